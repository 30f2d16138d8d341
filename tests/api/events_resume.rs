//! The WebSocket event stream resumes with `?since=<seq>` without missing or repeating a
//! sequence number, continues live, and closes after `meeting_ended`.

use crate::support;

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::{json, Value};
use support::api::{Api, TempDb};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(api: &Api, query: &str) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
    let url = format!(
        "ws://{}/api/v1/meetings/1000/events{query}",
        api.server.http_addr()
    );
    let mut req = url.into_client_request().unwrap();
    req.headers_mut().insert(
        "authorization",
        format!("Bearer {}", api.token).parse().unwrap(),
    );
    tokio_tungstenite::connect_async(req)
        .await
        .map(|(ws, _)| ws)
}

/// The next event, or `None` when the server closed the stream. Bounded so that a bug fails
/// the test instead of hanging it (not a timing assertion).
async fn next_event(ws: &mut Ws) -> Option<Value> {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(20), ws.next())
            .await
            .expect("the server sends within 20 s");
        match msg {
            Some(Ok(Message::Text(t))) => return Some(serde_json::from_str(&t).unwrap()),
            Some(Ok(Message::Close(_))) | None => return None,
            Some(Ok(_)) => continue,
            Some(Err(e)) => panic!("websocket error: {e}"),
        }
    }
}

async fn last_seq(api: &Api) -> u64 {
    let (s, m) = api.get("/api/v1/meetings/1000").await;
    assert_eq!(s, StatusCode::OK);
    m["last_seq"].as_u64().unwrap()
}

#[tokio::test]
async fn resume_since_is_gapless_then_live() {
    let db = TempDb::new("events");
    let api = Api::start(&db.0).await;

    // From the start: meeting_created is seq 1.
    let mut ws = connect(&api, "?since=0").await.unwrap();
    let first = next_event(&mut ws).await.unwrap();
    assert_eq!(first["seq"], 1);
    assert_eq!(first["type"], "meeting_created");
    api.join("1000", "A", "sip:a@x.example").await;
    api.join("1000", "B", "sip:b@x.example").await;
    let mut seen = 1;
    while seen < last_seq(&api).await {
        let e = next_event(&mut ws).await.unwrap();
        assert_eq!(e["seq"], seen + 1, "live events are gapless: {e}");
        seen += 1;
    }
    drop(ws);

    // Changes while nobody watches.
    let (s, v) = api
        .put(
            "/api/v1/meetings/1000/breakouts",
            json!({"count": 2, "seed": 1}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = api
        .post("/api/v1/meetings/1000/breakouts/open", json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, _) = api
        .post(
            "/api/v1/meetings/1000/broadcast",
            json!({"message": "5 minutes"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let missed_until = last_seq(&api).await;
    assert!(
        missed_until > seen + 2,
        "rooms, assignments, opening and the broadcast are events"
    );

    // Resume: exactly seen+1 ..= missed_until, then live.
    let mut ws = connect(&api, &format!("?since={seen}")).await.unwrap();
    for want in seen + 1..=missed_until {
        let e = next_event(&mut ws).await.unwrap();
        assert_eq!(e["seq"], want, "{e}");
        assert_eq!(e["meeting"], "1000");
    }
    let (s, _) = api
        .post(
            "/api/v1/meetings/1000/broadcast",
            json!({"message": "live"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let e = next_event(&mut ws).await.unwrap();
    assert_eq!(e["seq"], missed_until + 1);
    assert_eq!(e["type"], "broadcast");
    assert_eq!(e["message"], "live");

    // A resume point ahead of the log is refused before the upgrade.
    match connect(&api, "?since=999999").await {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => {
            assert_eq!(res.status().as_u16(), 422)
        }
        other => panic!("expected HTTP 422, got {:?}", other.map(|_| ())),
    }

    // Ending the meeting ends the stream after meeting_ended.
    let (s, _) = api.delete("/api/v1/meetings/1000").await;
    assert_eq!(s, StatusCode::OK);
    let e = next_event(&mut ws).await.unwrap();
    assert_eq!(e["type"], "meeting_ended");
    assert_eq!(e["seq"], missed_until + 2);
    assert!(
        next_event(&mut ws).await.is_none(),
        "closed after meeting_ended"
    );
    api.stop().await;
}
