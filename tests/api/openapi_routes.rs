//! Keeps `src/api/openapi.json` honest: every route the router registers (read from the
//! router's source) is documented with its methods, and every documented operation is served
//! by the real server (neither the 404 fallback nor a 405).

use crate::support;

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::Value;
use support::api::{Api, TempDb};

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// (path, method) pairs registered in `api::router`, from its source.
fn routes_in_source() -> BTreeSet<(String, String)> {
    let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/api/mod.rs"))
        .expect("router source");
    let body = &src[src.find("pub fn router").expect("router fn")..];
    // Up to the end of the function (its closing brace at column 0).
    let body = &body[..body.find("\n}\n").expect("end of router fn")];
    let nest = body.find(".nest(\"/api/v1\"").expect("v1 is nested");
    let mut out = BTreeSet::new();
    for (start, _) in body.match_indices(".route(") {
        let chunk = &body[start + ".route(".len()..];
        let end = chunk.find(".route(").unwrap_or(chunk.len());
        let chunk = &chunk[..end];
        let lit = chunk.split('"').nth(1).expect("a path literal");
        let prefix = if start < nest { "/api/v1" } else { "" };
        let mut found = false;
        for m in METHODS {
            // `get(` but not `.get(` of something else, nor `forget(`.
            let hits = chunk
                .match_indices(&format!("{m}("))
                .any(|(i, _)| i == 0 || !chunk.as_bytes()[i - 1].is_ascii_alphanumeric());
            if hits {
                out.insert((format!("{prefix}{lit}"), m.to_owned()));
                found = true;
            }
        }
        assert!(found, "no method found for route {lit}");
    }
    out
}

fn operations_in_document() -> BTreeSet<(String, String)> {
    let doc: Value = serde_json::from_str(roomgate::api::OPENAPI_JSON).expect("valid JSON");
    assert_eq!(doc["openapi"], "3.1.0");
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for m in METHODS {
            if item.get(m).is_some() {
                out.insert((path.clone(), m.to_owned()));
            }
        }
    }
    out
}

#[test]
fn every_route_is_documented_and_nothing_else() {
    let routes = routes_in_source();
    assert!(routes.len() > 20, "the parse saw the router: {routes:?}");
    let docs = operations_in_document();
    let undocumented: Vec<_> = routes.difference(&docs).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from openapi.json: {undocumented:?}"
    );
    let phantom: Vec<_> = docs.difference(&routes).collect();
    assert!(phantom.is_empty(), "documented but not routed: {phantom:?}");
}

#[tokio::test]
async fn every_documented_operation_is_served() {
    let db = TempDb::new("openapi");
    let api = Api::start(&db.0).await;
    let mut ops: Vec<_> = operations_in_document().into_iter().collect();
    // Deletes last, so the demo meeting is there for the others.
    ops.sort_by_key(|(_, m)| m == "delete");
    for (path, m) in ops {
        let concrete = path
            .replace("{id}", "1000")
            .replace("{pid}", "1")
            .replace("{room}", "1");
        let method = Method::from_bytes(m.to_uppercase().as_bytes()).unwrap();
        let (s, v) = api.call(method, &concrete, None).await;
        assert_ne!(s, StatusCode::METHOD_NOT_ALLOWED, "{m} {path}");
        assert_ne!(v["type"], "/problems/no-such-route", "{m} {path}: {v}");
    }
    api.stop().await;
}
