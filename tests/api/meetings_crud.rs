//! Meetings: the demo meeting exists on first start; create, list, show, a duplicate is a
//! 409, end (DELETE) forgets the meeting.

use crate::support;

use reqwest::StatusCode;
use serde_json::json;
use support::api::{Api, TempDb};

#[tokio::test]
async fn create_list_show_end() {
    let db = TempDb::new("crud");
    let api = Api::start(&db.0).await;

    let (s, list) = api.get("/api/v1/meetings").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list[0]["id"], "1000", "demo meeting on first start: {list}");
    assert_eq!(list[0]["has_passcode"], false);

    let m = api
        .create_meeting(json!({"id": "2000", "name": "Board", "passcode": "4711"}))
        .await;
    assert_eq!(m["id"], "2000");
    assert_eq!(m["name"], "Board");
    assert_eq!(m["has_passcode"], true);
    assert!(m.get("passcode").is_none(), "the passcode is not echoed");

    let (s, p) = api.post("/api/v1/meetings", json!({"id": "2000"})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{p}");
    assert_eq!(p["field"], "id");

    let (s, list) = api.get("/api/v1/meetings").await;
    assert_eq!(s, StatusCode::OK);
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["1000", "2000"]);

    // A participant needs the passcode.
    let (s, p) = api
        .post(
            "/api/v1/meetings/2000/participants",
            json!({"name": "Lobby", "identity": "sip:lobby@corp.example"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{p}");
    assert_eq!(p["field"], "passcode");
    let (s, pv) = api
        .post(
            "/api/v1/meetings/2000/participants",
            json!({"name": "Lobby", "identity": "sip:lobby@corp.example", "passcode": "4711"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{pv}");
    assert_eq!(pv["room"], "main");

    let (s, shown) = api.get("/api/v1/meetings/2000").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        shown["participants"][0]["identity"],
        "sip:lobby@corp.example"
    );

    let (s, ended) = api.delete("/api/v1/meetings/2000").await;
    assert_eq!(s, StatusCode::OK, "{ended}");
    assert_eq!(ended["participants"], json!([pv["id"]]));

    let (s, p) = api.get("/api/v1/meetings/2000").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(p["type"], "/problems/unknown-meeting");
    let (s, _) = api.delete("/api/v1/meetings/2000").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    api.stop().await;
}
