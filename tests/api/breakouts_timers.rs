//! The engine task drives the meeting timers in real time: rooms opened with `close_after_s`
//! run out (`time_up` for the host), count down, and close by themselves, bringing everyone
//! back to the main session — with no request from anybody.

use crate::support;

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::json;
use support::api::{Api, TempDb};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn close_after_and_countdown_fire_on_their_own() {
    let db = TempDb::new("timers");
    let api = Api::start(&db.0).await;
    for i in 0..4 {
        api.join("1000", &format!("P{i}"), &format!("sip:p{i}@x.example"))
            .await;
    }
    let (s, v) = api
        .put(
            "/api/v1/meetings/1000/breakouts",
            json!({"count": 2, "options": {"close_after_s": 1, "countdown_s": 1, "notify_host": true}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, m) = api.get("/api/v1/meetings/1000").await;
    let since = m["last_seq"].as_u64().unwrap();

    let mut req = format!(
        "ws://{}/api/v1/meetings/1000/events?since={since}&access_token={}",
        api.server.http_addr(),
        api.token
    )
    .into_client_request()
    .unwrap();
    req.headers_mut().remove("authorization");
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();

    let (s, b) = api
        .post("/api/v1/meetings/1000/breakouts/open", json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["state"], "open");
    assert_eq!(b["seconds_left"], 1);

    // Wait (bounded, so a bug fails rather than hangs) for the timers' events, in order.
    let mut types = Vec::new();
    while types.last().map(String::as_str) != Some("rooms_closed") {
        let msg = tokio::time::timeout(Duration::from_secs(30), ws.next())
            .await
            .expect("the timers fire")
            .expect("stream open")
            .unwrap();
        if let Message::Text(t) = msg {
            let e: serde_json::Value = serde_json::from_str(&t).unwrap();
            types.push(e["type"].as_str().unwrap().to_owned());
        }
    }
    let pos = |t: &str| types.iter().position(|x| x == t).unwrap_or(usize::MAX);
    assert!(pos("rooms_opened") < pos("time_up"), "{types:?}");
    assert!(pos("time_up") < pos("rooms_closing"), "{types:?}");
    assert!(pos("rooms_closing") < pos("rooms_closed"), "{types:?}");

    let (_, b) = api.get("/api/v1/meetings/1000/breakouts").await;
    assert_eq!(b["state"], "closed");
    assert!(b["seconds_left"].is_null());
    let (_, parts) = api.get("/api/v1/meetings/1000/participants").await;
    assert!(parts
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["room"] == "main"));
    api.stop().await;
}
