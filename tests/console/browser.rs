//! The console family's browser: headless Chromium driven through chromedriver with
//! the W3C WebDriver protocol (plain JSON over reqwest), on loopback only.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

/// The W3C name of an element reference in WebDriver JSON (WebDriver §12.1).
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// How long a wait polls before the test gives up (not a timing assertion: a bound).
const PATIENCE: Duration = Duration::from_secs(20);

/// Where tests leave screenshots: target/artifacts/.
pub fn artifact(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/artifacts");
    std::fs::create_dir_all(&dir).expect("create target/artifacts");
    dir.join(name)
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
}

/// A chromedriver process and one browser session.
pub struct Browser {
    http: reqwest::Client,
    session: String,
    driver: Child,
    profile: PathBuf,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium with a fresh profile. Panics with the fix
    /// when either is missing.
    pub async fn start() -> Browser {
        let missing = "headless Chromium is needed for the console tests: \
                       `apt-get install chromium chromium-driver` (scripts/test.sh does it)";
        let driver_bin = which("chromedriver").expect(missing);
        let chromium = ["chromium", "chromium-browser", "google-chrome"]
            .iter()
            .find_map(|n| which(n))
            .expect(missing);

        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
            l.local_addr().expect("bound").port()
        };
        let profile = std::env::temp_dir().join(format!(
            "roomgate-console-profile-{}-{port}",
            std::process::id()
        ));
        let driver = Command::new(driver_bin)
            .arg(format!("--port={port}"))
            // Chromium keeps crash reports and caches under these; keep them in the profile,
            // which is removed at the end.
            .env("XDG_CONFIG_HOME", profile.join("config"))
            .env("XDG_CACHE_HOME", profile.join("cache"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let mut b = Browser {
            http: reqwest::Client::new(),
            session: String::new(),
            driver,
            profile,
        };
        let base = format!("http://127.0.0.1:{port}");
        let ready = poll(|| async {
            let r = b.http.get(format!("{base}/status")).send().await.ok()?;
            let v: Value = r.json().await.ok()?;
            v["value"]["ready"].as_bool().filter(|r| *r)
        })
        .await;
        assert!(ready.is_some(), "chromedriver never became ready");

        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--disable-breakpad",
                    "--disable-crash-reporter", "--window-size=1400,1000",
                    format!("--user-data-dir={}", b.profile.display()),
                ]
            }
        }}});
        let res: Value = b
            .http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .await
            .expect("chromedriver answers")
            .json()
            .await
            .expect("JSON");
        b.session = format!(
            "{base}/session/{}",
            res["value"]["sessionId"]
                .as_str()
                .unwrap_or_else(|| panic!("no session: {res}"))
        );
        b
    }

    /// One WebDriver command; the `value` of the answer. Panics on a WebDriver error.
    pub async fn cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        self.try_cmd(method.clone(), path, body)
            .await
            .unwrap_or_else(|(err, msg)| panic!("WebDriver {method} {path}: {err}: {msg}"))
    }

    /// One WebDriver command; the `value`, or the WebDriver error code and message.
    pub async fn try_cmd(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, (String, Value)> {
        let mut req = self
            .http
            .request(method.clone(), format!("{}{path}", self.session));
        // WebDriver wants a JSON body on every POST, even an empty one.
        if method == reqwest::Method::POST {
            req = req.json(&body.unwrap_or(json!({})));
        }
        let v: Value = req
            .send()
            .await
            .expect("chromedriver answers")
            .json()
            .await
            .expect("JSON");
        match v["value"]["error"].as_str() {
            Some(err) => Err((err.to_owned(), v["value"]["message"].clone())),
            None => Ok(v["value"].clone()),
        }
    }

    pub async fn goto(&self, url: &str) {
        self.cmd(reqwest::Method::POST, "/url", Some(json!({"url": url})))
            .await;
    }

    /// Runs `script` (a function body; `arguments` are `args`) in the page.
    pub async fn js(&self, script: &str, args: Value) -> Value {
        self.cmd(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": args})),
        )
        .await
    }

    /// Runs `source` in every page before its own scripts (Chromium DevTools protocol,
    /// `Page.addScriptToEvaluateOnNewDocument`, through chromedriver's `goog/cdp/execute`).
    pub async fn on_new_document(&self, source: &str) {
        self.cmd(
            reqwest::Method::POST,
            "/goog/cdp/execute",
            Some(json!({"cmd": "Page.addScriptToEvaluateOnNewDocument",
                        "params": {"source": source}})),
        )
        .await;
    }

    /// The first element matching `css` (waits for it to appear).
    pub async fn find(&self, css: &str) -> Value {
        let found = poll(|| async {
            let v = self
                .js("return document.querySelector(arguments[0]);", json!([css]))
                .await;
            v.get(ELEMENT).is_some().then_some(v)
        })
        .await;
        found.unwrap_or_else(|| panic!("no element {css} appeared"))
    }

    /// Waits until `script` (a function body) returns a truthy value; returns it.
    pub async fn wait(&self, what: &str, script: &str, args: Value) -> Value {
        let v = poll(|| async {
            let v = self.js(script, args.clone()).await;
            let truthy =
                !matches!(v, Value::Null | Value::Bool(false)) && v != json!(0) && v != json!("");
            truthy.then_some(v)
        })
        .await;
        v.unwrap_or_else(|| panic!("gave up waiting for {what}"))
    }

    /// Waits until the text of the first `css` contains `text`.
    pub async fn wait_text(&self, css: &str, text: &str) -> String {
        let v = self
            .wait(
                &format!("{css} to contain {text:?}"),
                "const e = document.querySelector(arguments[0]);
                 return e && e.textContent.includes(arguments[1]) ? e.textContent : null;",
                json!([css, text]),
            )
            .await;
        v.as_str().expect("text").to_owned()
    }

    fn id(el: &Value) -> String {
        el[ELEMENT]
            .as_str()
            .expect("an element reference")
            .to_owned()
    }

    /// Clicks the first `css`. A live page may redraw between the find and the click: a
    /// stale element is found again.
    pub async fn click(&self, css: &str) {
        for _ in 0..10 {
            let el = self.find(css).await;
            let path = format!("/element/{}/click", Self::id(&el));
            match self.try_cmd(reqwest::Method::POST, &path, None).await {
                Ok(_) => return,
                Err((e, _)) if e == "stale element reference" => continue,
                Err((e, msg)) => panic!("click {css}: {e}: {msg}"),
            }
        }
        panic!("{css} kept going stale");
    }

    /// Clears the field `css` and types `text` into it.
    pub async fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        let id = Self::id(&el);
        self.cmd(reqwest::Method::POST, &format!("/element/{id}/clear"), None)
            .await;
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{id}/value"),
            Some(json!({"text": text})),
        )
        .await;
    }

    /// Types `text` into the element `css` (WebDriver key codes such as U+E007 Enter allowed).
    pub async fn keys(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{}/value", Self::id(&el)),
            Some(json!({"text": text})),
        )
        .await;
    }

    /// A real drag with the mouse (WebDriver §17.5 pointer actions): press on the centre of
    /// `from`, move a little, move over `to` in steps, release.
    pub async fn drag(&self, from: &str, to: &str) {
        let (a, b) = (self.find(from).await, self.find(to).await);
        let actions = json!({"actions": [{
            "type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"},
            "actions": [
                {"type": "pointerMove", "origin": a, "x": 0, "y": 0, "duration": 0},
                {"type": "pointerDown", "button": 0},
                {"type": "pause", "duration": 50},
                {"type": "pointerMove", "origin": "pointer", "x": 12, "y": 12, "duration": 100},
                {"type": "pointerMove", "origin": b, "x": 0, "y": 0, "duration": 300},
                {"type": "pause", "duration": 50},
                {"type": "pointerUp", "button": 0},
            ]
        }]});
        self.cmd(reqwest::Method::POST, "/actions", Some(actions))
            .await;
        self.cmd(reqwest::Method::DELETE, "/actions", None).await;
    }

    /// Saves a PNG of the viewport.
    pub async fn screenshot(&self, path: &Path) {
        let v = self.cmd(reqwest::Method::GET, "/screenshot", None).await;
        let png = base64_decode(v.as_str().expect("base64 PNG"));
        assert!(png.starts_with(b"\x89PNG"), "a PNG");
        std::fs::write(path, png).expect("write the screenshot");
    }

    /// Ends the session and chromedriver, and removes the profile.
    pub fn quit(self) {
        // Drop does it all; this names the moment in a test.
        drop(self);
    }

    /// Closes the browser (a WebDriver "Delete Session", sent with a plain blocking socket so it
    /// also works from `Drop` while a test panics), then stops chromedriver: killing
    /// chromedriver alone would leave Chromium running.
    fn stop(&mut self) {
        use std::io::{Read, Write};
        if let Some(rest) = self.session.strip_prefix("http://") {
            let (addr, path) = rest.split_at(rest.find('/').expect("a path"));
            if let Ok(mut s) = std::net::TcpStream::connect(addr) {
                let _ = s.set_read_timeout(Some(Duration::from_secs(20)));
                let _ = write!(
                    s,
                    "DELETE {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
                );
                // The answer comes once the browser is gone (chromedriver keeps the
                // connection open, so read the answer's start, not to the end).
                let _ = s.read(&mut [0u8; 512]);
            }
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // A failed test still must not leave Chromium or chromedriver running.
        self.stop();
    }
}

/// Retries `f` every 100 ms until it answers `Some`, for at most [`PATIENCE`].
pub async fn poll<T, F, Fut>(mut f: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let tries = PATIENCE.as_millis() / 100;
    for _ in 0..tries {
        if let Some(v) = f().await {
            return Some(v);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

/// Standard base64 (RFC 4648 §4), enough for WebDriver's screenshots; no crate needed.
fn base64_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let bytes: Vec<u8> = s.bytes().filter(|c| *c != b'=' && *c != b'\n').collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            n |= (val(*c) as u32) << (18 - 6 * i);
        }
        out.extend_from_slice(&n.to_be_bytes()[1..chunk.len()]);
    }
    out
}

#[test]
fn base64_round_trip() {
    assert_eq!(base64_decode("aGVsbG8="), b"hello");
    assert_eq!(base64_decode("aGVsbG8hIQ=="), b"hello!!");
    assert_eq!(base64_decode("YWJj"), b"abc");
}
