//! `GET /metrics` exposes API request counters by route and the meeting/participant gauges.

use crate::support;

use serde_json::json;
use support::api::{Api, TempDb};

fn sample(text: &str, prefix: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn request_counters_and_gauges() {
    let db = TempDb::new("metrics");
    let api = Api::start(&db.0).await;
    api.create_meeting(json!({"id": "2000"})).await;
    api.join("1000", "A", "sip:a@x.example").await;
    api.join("2000", "B", "sip:b@x.example").await;
    api.join("2000", "C", "sip:c@x.example").await;
    for _ in 0..3 {
        api.get("/api/v1/meetings/nope").await;
    }

    let text = api
        .http
        .get(api.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(sample(&text, "roomgate_meetings "), Some(2.0), "{text}");
    assert_eq!(sample(&text, "roomgate_participants "), Some(3.0), "{text}");
    let nope = text
        .lines()
        .find(|l| {
            l.starts_with("roomgate_api_requests_total")
                && l.contains("route=\"/api/v1/meetings/{id}\"")
                && l.contains("status=\"404\"")
        })
        .unwrap_or_else(|| panic!("a 404 counter by route template: {text}"));
    assert!(nope.ends_with(" 3"), "{nope}");

    // Open rooms are counted.
    let (s, v) = api
        .put("/api/v1/meetings/2000/breakouts", json!({"count": 4}))
        .await;
    assert!(s.is_success(), "{v}");
    api.post("/api/v1/meetings/2000/breakouts/open", json!({}))
        .await;
    let text = api
        .http
        .get(api.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        sample(&text, "roomgate_breakout_rooms_open "),
        Some(4.0),
        "{text}"
    );

    // Ending a meeting takes its participants and rooms off the gauges.
    api.delete("/api/v1/meetings/2000").await;
    let text = api
        .http
        .get(api.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(sample(&text, "roomgate_meetings "), Some(1.0), "{text}");
    assert_eq!(sample(&text, "roomgate_participants "), Some(1.0), "{text}");
    assert_eq!(
        sample(&text, "roomgate_breakout_rooms_open "),
        Some(0.0),
        "{text}"
    );
    api.stop().await;
}
