//! A restart on the same database keeps scheduled meetings with their passcode, options,
//! breakout room definitions and pre-assignments; a deleted demo meeting stays deleted.

use crate::support;

use reqwest::StatusCode;
use serde_json::json;
use support::api::{Api, TempDb};

#[tokio::test]
async fn restart_keeps_meetings_and_preassignments() {
    let db = TempDb::new("restart");

    let api = Api::start(&db.0).await;
    api.create_meeting(json!({
        "id": "weekly-sales",
        "name": "Weekly sales",
        "passcode": "2468",
        "options": {"countdown_s": 15, "close_after_s": 600, "auto_move": false},
    }))
    .await;
    let (s, v) = api
        .put(
            "/api/v1/meetings/weekly-sales/breakouts",
            json!({"count": 3, "assign": "manual"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = api
        .call(
            reqwest::Method::PATCH,
            "/api/v1/meetings/weekly-sales/breakouts/rooms/2",
            Some(json!({"name": "North"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let pre = json!({"preassignments": [
        {"identity": "sip:boardroom@corp.example", "room": "North"},
        {"identity": "sip:*@sales.example", "room": "Room 3"},
    ]});
    let (s, v) = api
        .put("/api/v1/meetings/weekly-sales/preassignments", pre.clone())
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, _) = api.delete("/api/v1/meetings/1000").await;
    assert_eq!(s, StatusCode::OK);
    api.stop().await;

    let api = Api::start(&db.0).await;
    let (s, list) = api.get("/api/v1/meetings").await;
    assert_eq!(s, StatusCode::OK);
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["weekly-sales"], "the demo meeting is not recreated");

    let (s, m) = api.get("/api/v1/meetings/weekly-sales").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(m["name"], "Weekly sales");
    assert_eq!(m["has_passcode"], true);
    assert_eq!(m["options"]["countdown_s"], 15);
    assert_eq!(m["options"]["close_after_s"], 600);
    assert_eq!(m["options"]["auto_move"], false);
    assert_eq!(m["preassignments"], pre["preassignments"]);
    let names: Vec<&str> = m["breakouts"]["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Room 1", "North", "Room 3"]);
    assert_eq!(m["breakouts"]["state"], "created");

    // The passcode survived too, and the pre-assignment applies to a late joiner.
    let (s, p) = api
        .post(
            "/api/v1/meetings/weekly-sales/participants",
            json!({"name": "Boardroom", "identity": "sip:boardroom@corp.example", "passcode": "2468"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let north = m["breakouts"]["rooms"][1]["id"].clone();
    assert_eq!(p["assigned"], north);
    let (s, _) = api
        .post(
            "/api/v1/meetings/weekly-sales/participants",
            json!({"name": "Guest", "identity": "sip:guest@x.example", "passcode": "wrong"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    api.stop().await;
}
