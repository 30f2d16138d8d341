//! Bad input gets an RFC 9457 problem naming the field, and changes nothing.

use crate::support;

use reqwest::StatusCode;
use serde_json::{json, Value};
use support::api::{Api, TempDb};

fn assert_problem(status: StatusCode, p: &Value, want: StatusCode, field: &str) {
    assert_eq!(status, want, "{p}");
    assert_eq!(p["status"], want.as_u16(), "{p}");
    assert_eq!(p["field"], field, "{p}");
    for k in ["type", "title", "detail"] {
        assert!(p[k].is_string(), "problem has {k}: {p}");
    }
}

#[tokio::test]
async fn bad_input_names_the_field_and_changes_nothing() {
    let db = TempDb::new("problems");
    let api = Api::start(&db.0).await;
    let bp = "/api/v1/meetings/1000/breakouts";

    // Count out of range.
    let (s, p) = api.put(bp, json!({"count": 0})).await;
    assert_problem(s, &p, StatusCode::UNPROCESSABLE_ENTITY, "count");
    let (s, p) = api.put(bp, json!({"count": 101})).await;
    assert_problem(s, &p, StatusCode::UNPROCESSABLE_ENTITY, "count");
    // Wrong type, missing field, unknown field, bad option.
    let (s, p) = api.put(bp, json!({"count": "three"})).await;
    assert_problem(s, &p, StatusCode::UNPROCESSABLE_ENTITY, "count");
    let (s, p) = api.put(bp, json!({"assign": "auto"})).await;
    assert_problem(s, &p, StatusCode::UNPROCESSABLE_ENTITY, "count");
    let (s, p) = api.put(bp, json!({"count": 2, "colour": "red"})).await;
    assert_problem(s, &p, StatusCode::UNPROCESSABLE_ENTITY, "colour");
    let (s, p) = api
        .put(bp, json!({"count": 2, "options": {"countdown_s": 99999}}))
        .await;
    assert_problem(s, &p, StatusCode::UNPROCESSABLE_ENTITY, "countdown_s");

    // Malformed JSON.
    let res = api
        .http
        .put(api.url(bp))
        .bearer_auth(&api.token)
        .header("content-type", "application/json")
        .body("{\"count\": 3,")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let s = res.status();
    let p: Value = res.json().await.unwrap();
    assert_problem(s, &p, StatusCode::BAD_REQUEST, "body");
    assert!(
        p["detail"].as_str().unwrap().contains("malformed JSON"),
        "{p}"
    );

    // None of that created rooms.
    let (s, _) = api.get(bp).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Unknown meeting, participant, room.
    let (s, p) = api.get("/api/v1/meetings/nope").await;
    assert_problem(s, &p, StatusCode::NOT_FOUND, "id");
    let (s, p) = api
        .post(
            "/api/v1/meetings/1000/participants/999/move",
            json!({"room": "main"}),
        )
        .await;
    assert_problem(s, &p, StatusCode::NOT_FOUND, "participant");
    let (s, p) = api
        .post(
            "/api/v1/meetings/1000/participants/abc/move",
            json!({"room": "main"}),
        )
        .await;
    assert_problem(s, &p, StatusCode::NOT_FOUND, "participant");

    // Two participants, two rooms, rooms open; then invalid moves.
    let a = api.join("1000", "A", "sip:a@x.example").await;
    let b = api.join("1000", "B", "sip:b@x.example").await;
    let (s, v) = api
        .put(
            bp,
            json!({"count": 2, "assign": "manual", "options": {"countdown_s": 0}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, p) = api
        .post(
            &format!("/api/v1/meetings/1000/participants/{a}/move"),
            json!({"room": "1"}),
        )
        .await;
    assert_problem(s, &p, StatusCode::CONFLICT, "room");
    assert_eq!(p["type"], "/problems/room-closed");
    let (s, _) = api.post(&format!("{bp}/open"), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, p) = api
        .post(
            &format!("/api/v1/meetings/1000/participants/{a}/move"),
            json!({"room": "77"}),
        )
        .await;
    assert_problem(s, &p, StatusCode::NOT_FOUND, "room");
    // Both are in the main session (manual, nobody assigned): exchanging them is refused.
    let (s, p) = api
        .post(
            "/api/v1/meetings/1000/participants/exchange",
            json!({"a": a, "b": b}),
        )
        .await;
    assert_problem(s, &p, StatusCode::CONFLICT, "b");
    let (s, p) = api
        .post(
            "/api/v1/meetings/1000/participants/exchange",
            json!({"a": a, "b": 4242}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{p}");
    // Nothing half-applied: both still in the main session.
    let (_, parts) = api.get("/api/v1/meetings/1000/participants").await;
    assert!(
        parts
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["room"] == "main"),
        "{parts}"
    );

    // Unknown route, wrong method and wrong content type are problems too.
    let (s, p) = api.get("/api/v1/nothing-here").await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{p}");
    assert_eq!(p["type"], "/problems/no-such-route");
    let (s, p) = api.put("/api/v1/meetings/1000/broadcast", json!({})).await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED, "{p}");
    assert_eq!(p["type"], "/problems/method-not-allowed");
    let res = api
        .http
        .post(api.url("/api/v1/meetings/1000/broadcast"))
        .bearer_auth(&api.token)
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    api.stop().await;
}
