//! The host view resumes its meeting's event stream after a drop: changes made while it was
//! disconnected arrive as replayed events (`?since=<last seq seen>`), none missing.
//!
//! A script injected before the page's own wraps `WebSocket` to record every URL the page
//! connects to and, while told to hold, point new connections at a route that refuses them —
//! so the test decides when the page is offline.

use crate::browser;
use crate::support;

use browser::Browser;
use serde_json::json;
use support::api::{Api, TempDb};

const WRAP_WEBSOCKET: &str = r#"
(() => {
  const Real = window.WebSocket;
  const ws = (window.__ws = { urls: [], live: [], hold: false });
  window.WebSocket = function (url, protocols) {
    ws.urls.push(url);
    const target = ws.hold ? url.replace("/events?", "/no-such-stream?") : url;
    const socket = new Real(target, protocols);
    ws.live.push(socket);
    return socket;
  };
  window.WebSocket.prototype = Real.prototype;
})();
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_resumes_its_event_stream_after_a_drop() {
    let db = TempDb::new("console-resume");
    let api = Api::start(&db.0).await;
    api.create_meeting(json!({"id": "3000", "name": "Offsite"}))
        .await;
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(
            api.join(
                "3000",
                &format!("Room system {i}"),
                &format!("sip:rs{i}@corp.example"),
            )
            .await,
        );
    }
    let (s, b) = api
        .put(
            "/api/v1/meetings/3000/breakouts",
            json!({"count": 2, "assign": "manual"}),
        )
        .await;
    assert!(s.is_success(), "{b}");
    let rooms: Vec<String> = b["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    let (s, b) = api
        .post("/api/v1/meetings/3000/breakouts/open", json!({}))
        .await;
    assert!(s.is_success(), "{b}");

    let browser = Browser::start().await;
    browser.on_new_document(WRAP_WEBSOCKET).await;
    browser.goto(&api.url("/console/#/meetings/3000")).await;
    browser.type_into("#token", &api.token).await;
    browser.click("#login button").await;
    browser
        .wait(
            "three cards in the main session",
            "return document.querySelectorAll(\".room[data-room='main'] .card\").length === 3;",
            json!([]),
        )
        .await;
    let (_, m) = api.get("/api/v1/meetings/3000").await;
    let seen = m["last_seq"].as_u64().expect("last_seq");
    browser
        .wait(
            "the stream connected from the loaded state",
            "return window.__ws.urls.length === 1 && window.__ws.live[0].readyState === 1
                    && window.__ws.urls[0].includes('since=' + arguments[0]);",
            json!([seen]),
        )
        .await;

    // Drop the connection and keep the page offline while two participants are moved.
    browser
        .js(
            "window.__ws.hold = true; window.__ws.live.forEach(s => s.close());",
            json!([]),
        )
        .await;
    for (pid, room) in [(ids[0], &rooms[0]), (ids[1], &rooms[1])] {
        let (s, b) = api
            .post(
                &format!("/api/v1/meetings/3000/participants/{pid}/move"),
                json!({"room": room}),
            )
            .await;
        assert!(s.is_success(), "{b}");
    }
    // One refused reconnect, then let the next one through.
    browser
        .wait(
            "a reconnect attempt while held",
            "return window.__ws.urls.length >= 2;",
            json!([]),
        )
        .await;
    browser.js("window.__ws.hold = false;", json!([])).await;

    // The page resumed from the last event it had seen and replayed what it missed.
    let urls = browser
        .wait(
            "a resumed stream",
            "const w = window.__ws; const last = w.live[w.live.length - 1];
             return !w.hold && last.readyState === 1 && !last.url.includes('no-such-stream')
                    ? w.urls : null;",
            json!([]),
        )
        .await;
    let last = urls.as_array().unwrap().last().unwrap().as_str().unwrap();
    assert!(last.contains(&format!("since={seen}")), "{urls}");
    for seq in [seen + 1, seen + 2] {
        browser.wait_text("ol.log", &format!("#{seq}")).await;
    }
    let log = browser.wait_text("ol.log", "moved from").await;
    assert_eq!(log.matches("moved from").count(), 2, "{log}");
    for (pid, room) in [(ids[0], &rooms[0]), (ids[1], &rooms[1])] {
        browser
            .find(&format!(
                ".room[data-room='{room}'] .card[data-participant='{pid}']"
            ))
            .await;
    }
    browser.quit();
    api.stop().await;
}
