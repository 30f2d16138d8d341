//! The operator view in headless Chromium against a page-level fixture: the console's own
//! routes (`roomgate::api::console::router`) beside a stand-in for the operators' API
//! (`GET /api/v1/legs`, `GET /api/v1/legs/{id}`, the `/api/v1/legs/events` WebSocket) in the
//! shape the operators' API documents, with legs in every state and quality band a real call
//! seldom shows at once (the real API: tests/console/ops_live_legs.rs). Checks the
//! quality colours, sorting, a leg's moves and the sparkline fed by the stream. Leaves
//! target/artifacts/console-legs.png and console-leg.png.

use crate::browser;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::Path;
use axum::routing::get;
use axum::{Json, Router};
use browser::{artifact, Browser};
use serde_json::{json, Value};

fn legs() -> Value {
    json!([
        {"id": 1, "call_id": "a84b4c76e66710@pc33.corp.example", "remote": "127.0.0.1:5062",
         "transport": "SIP/UDP", "user_agent": "Poly X50", "name": "Boardroom",
         "identity": "sip:boardroom@corp.example", "state": "confirmed", "meeting": "1000",
         "participant": 1, "room": "2", "audio_codec": "G722", "video_codec": "H264",
         "muted": false, "packets_in": 52000, "packets_out": 51980, "bytes_in": 8_320_000,
         "bytes_out": 8_316_800, "loss": 0.002, "loss_window": 0.001, "jitter_ms": 4.2,
         "rtt_ms": 18.0, "mos": 4.3, "quality": "good",
         "moves": [
            {"from": "main", "to": "1", "by": "host", "at": "2026-11-26T08:00:00Z"},
            {"from": "1", "to": "2", "by": "keypad", "at": "2026-11-26T08:05:00Z"}
         ]},
        {"id": 2, "remote": "127.0.0.1:5064", "transport": "SIP/TCP", "name": "Lisbon office",
         "state": "confirmed", "meeting": "1000", "room": "main", "audio_codec": "PCMU",
         "loss": 0.12, "loss_window": 0.14, "jitter_ms": 45.0, "rtt_ms": 240.0, "mos": 2.1,
         "quality": "bad", "moves": []},
        // A young leg: most fields not there yet.
        {"id": 3, "remote": "127.0.0.1:5066", "state": "early", "loss_window": 0.02,
         "jitter_ms": 12.0, "quality": "fair"}
    ])
}

/// Sends leg 1's stats once per 50 ms, with a loss and jitter that change, in the shape of
/// the operators' API's 1-second `stats` message (faster here so the test is short).
async fn stats(mut ws: WebSocket) {
    for i in 0u32.. {
        let msg = json!({"type": "stats", "at": "2026-11-26T08:10:00.000Z", "legs": [
            {"id": 1, "quality": "good",
             "stats": {"loss_20s": f64::from(i % 7) / 1000.0, "jitter_ms": 3.0 + f64::from(i % 5)}}
        ]});
        if ws
            .send(Message::Text(msg.to_string().into()))
            .await
            .is_err()
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn serve() -> String {
    let app = Router::new()
        .route("/api/v1/legs", get(|| async { Json(legs()) }))
        .route(
            "/api/v1/legs/events",
            get(|ws: WebSocketUpgrade| async { ws.on_upgrade(stats) }),
        )
        .route(
            "/api/v1/legs/{id}",
            get(|Path(id): Path<u64>| async move {
                Json(
                    legs()
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|l| l["id"] == id)
                        .cloned()
                        .unwrap_or(Value::Null),
                )
            }),
        )
        .merge(roomgate::api::console::router());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await });
    format!("http://{addr}")
}

/// The leg ids of the table's rows, top to bottom.
async fn order(b: &Browser) -> Value {
    b.js(
        "return [...document.querySelectorAll('table.legs tbody tr')].map(r => r.dataset.leg);",
        json!([]),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_sees_legs_sorted_coloured_and_a_legs_history() {
    let base = serve().await;
    let b = Browser::start().await;
    b.goto(&format!("{base}/console/#/legs")).await;
    b.type_into("#token", "fixture-token").await;
    b.click("#login button").await;

    b.wait(
        "three legs",
        "return document.querySelectorAll('table.legs tbody tr').length === 3;",
        json!([]),
    )
    .await;
    // Worst loss first by default; each row coloured by its quality.
    assert_eq!(order(&b).await, json!(["2", "3", "1"]));
    let classes = b
        .js(
            "return [...document.querySelectorAll('table.legs tbody tr')].map(r => r.className);",
            json!([]),
        )
        .await;
    assert_eq!(classes, json!(["q-bad", "q-fair", "q-good"]));
    b.wait_text("tr[data-leg='2'] .quality.bad", "bad").await;
    // Absent fields show a dash, not "undefined".
    let young = b.wait_text("tr[data-leg='3']", "—").await;
    assert!(
        !young.contains("undefined") && !young.contains("NaN"),
        "{young}"
    );

    // Sort by jitter: ascending, then descending.
    b.click("table.legs th:nth-child(10)").await;
    assert_eq!(order(&b).await, json!(["1", "3", "2"]));
    b.click("table.legs th:nth-child(10)").await;
    assert_eq!(order(&b).await, json!(["2", "3", "1"]));
    b.screenshot(&artifact("console-legs.png")).await;

    // A leg's detail: its moves, and a sparkline the stream keeps drawing.
    b.click("tr[data-leg='1']").await;
    b.wait_text("main h1", "Leg 1").await;
    let moves = b
        .js(
            "return [...document.querySelectorAll('table.moves tbody tr')].map(r => r.textContent);",
            json!([]),
        )
        .await;
    assert_eq!(moves.as_array().map(Vec::len), Some(2), "{moves}");
    assert!(moves[1].as_str().unwrap().contains("keypad"), "{moves}");
    b.wait(
        "a loss sparkline of at least 10 points",
        "const l = document.querySelector('svg.spark.loss polyline');
         return l && l.getAttribute('points').split(' ').length >= 10;",
        json!([]),
    )
    .await;
    b.wait_text("dl.facts", "a84b4c76e66710@pc33.corp.example")
        .await;
    b.screenshot(&artifact("console-leg.png")).await;
    b.quit();
}
