//! Shared by the api and console families: a real roomgate (`roomgate::runtime::start`) on
//! 127.0.0.1:0 with a temporary SQLite file, and a small JSON client.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use reqwest::{Method, StatusCode};
use roomgate::config::Config;
use roomgate::runtime::{self, Server};
use serde_json::Value;

pub const HOST_TOKEN: &str = "host-token-0123456789";
pub const PARTICIPANT_TOKEN: &str = "participant-token-0123456789";

/// A fresh database path, unique per test process and call; removed on drop.
pub struct TempDb(pub PathBuf);

impl TempDb {
    pub fn new(name: &str) -> TempDb {
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!(
            "roomgate-{name}-{}-{}.db",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let db = TempDb(p);
        db.remove();
        db
    }

    fn remove(&self) {
        for ext in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{ext}", self.0.display()));
        }
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        self.remove();
    }
}

/// The configuration the tests run with: loopback only, no SIP listeners, the given store.
pub fn config(db: &Path) -> Config {
    let mut c = Config::default();
    c.http.listen = "127.0.0.1:0".parse().unwrap();
    c.sip.listen.clear();
    c.store.path = db.to_owned();
    c.api.token = Some(HOST_TOKEN.into());
    c.api.participant_token = Some(PARTICIPANT_TOKEN.into());
    c
}

pub struct Api {
    pub server: Server,
    pub base: String,
    pub token: String,
    pub http: reqwest::Client,
}

impl Api {
    pub async fn start(db: &Path) -> Api {
        Api::start_with(config(db)).await
    }

    pub async fn start_with(c: Config) -> Api {
        let server = runtime::start(c).await.expect("roomgate starts");
        Api {
            base: format!("http://{}", server.http_addr()),
            token: server.api_token().to_owned(),
            server,
            http: reqwest::Client::new(),
        }
    }

    pub async fn stop(self) {
        self.server.shutdown().await;
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request with the host token and an optional JSON body; the body back as JSON
    /// (`Value::Null` when empty).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.call_as(&self.token.clone(), method, path, body).await
    }

    pub async fn call_as(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method, self.url(path)).bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request reaches the server");
        let status = res.status();
        let bytes = res.bytes().await.expect("body");
        let v = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        (status, v)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PUT, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, None).await
    }

    /// Creates a meeting and asserts 201.
    pub async fn create_meeting(&self, body: Value) -> Value {
        let (s, v) = self.post("/api/v1/meetings", body).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        v
    }

    /// Attaches a participant through the host endpoint; returns its id.
    pub async fn join(&self, meeting: &str, name: &str, identity: &str) -> u64 {
        let (s, v) = self
            .post(
                &format!("/api/v1/meetings/{meeting}/participants"),
                serde_json::json!({"name": name, "identity": identity}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        v["id"].as_u64().expect("participant id")
    }
}
