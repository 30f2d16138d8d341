//! The host's whole breakout flow over HTTP: create rooms with automatic assignment, open,
//! move, exchange, close with no countdown — everyone ends in the main session.

use crate::support;

use std::collections::HashMap;

use reqwest::StatusCode;
use serde_json::{json, Value};
use support::api::{Api, TempDb};

async fn places(api: &Api) -> HashMap<u64, String> {
    let (s, v) = api.get("/api/v1/meetings/1000/participants").await;
    assert_eq!(s, StatusCode::OK);
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["id"].as_u64().unwrap(),
                p["room"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn create_auto_assign_open_move_exchange_close() {
    let db = TempDb::new("flow");
    let api = Api::start(&db.0).await;
    let mut ids = Vec::new();
    for i in 0..6 {
        ids.push(
            api.join(
                "1000",
                &format!("Room system {i}"),
                &format!("sip:rs{i}@corp.example"),
            )
            .await,
        );
    }

    let (s, b) = api
        .put(
            "/api/v1/meetings/1000/breakouts",
            json!({"count": 3, "assign": "auto", "seed": 7,
                   "options": {"countdown_s": 0, "auto_move": true}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["state"], "created");
    assert_eq!(b["rooms"].as_array().unwrap().len(), 3);
    assert_eq!(b["options"]["countdown_s"], 0);

    // Auto-assignment: an even split, visible on the participants.
    let (_, parts) = api.get("/api/v1/meetings/1000/participants").await;
    let mut per_room: HashMap<String, usize> = HashMap::new();
    for p in parts.as_array().unwrap() {
        assert_eq!(p["room"], "main", "nobody moves before the rooms open");
        *per_room
            .entry(p["assigned"].as_str().expect("assigned").to_owned())
            .or_default() += 1;
    }
    assert_eq!(per_room.len(), 3);
    assert!(per_room.values().all(|&n| n == 2), "{per_room:?}");

    let (s, b) = api
        .post("/api/v1/meetings/1000/breakouts/open", json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["state"], "open");
    let now = places(&api).await;
    assert!(
        now.values().all(|r| r != "main"),
        "auto_move put everyone in a room: {now:?}"
    );

    // Move the first participant to another room.
    let room_ids: Vec<String> = b["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    let p0 = ids[0];
    let target = room_ids.iter().find(|r| **r != now[&p0]).unwrap().clone();
    let (s, v) = api
        .post(
            &format!("/api/v1/meetings/1000/participants/{p0}/move"),
            json!({"room": target}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["room"], Value::String(target.clone()));

    // Exchange p0 with somebody in a different room.
    let before = places(&api).await;
    let other = *before
        .iter()
        .find(|(_, r)| **r != before[&p0])
        .map(|(id, _)| id)
        .unwrap();
    let (s, v) = api
        .post(
            "/api/v1/meetings/1000/participants/exchange",
            json!({"a": p0, "b": other}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let after = places(&api).await;
    assert_eq!(after[&p0], before[&other]);
    assert_eq!(after[&other], before[&p0]);

    // Move one back to the main session.
    let (s, v) = api
        .post(
            &format!("/api/v1/meetings/1000/participants/{}/move", ids[5]),
            json!({"room": "main"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["room"], "main");

    let (s, b) = api
        .post("/api/v1/meetings/1000/breakouts/close", json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["state"], "closed", "countdown_s = 0 closes at once");
    assert!(places(&api).await.values().all(|r| r == "main"));

    // Rooms can be added, renamed and deleted; removing breakouts leaves none.
    let (s, r) = api
        .post(
            "/api/v1/meetings/1000/breakouts/rooms",
            json!({"name": "Extra"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let rid = r["id"].as_str().unwrap().to_owned();
    let (s, b) = api
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/meetings/1000/breakouts/rooms/{rid}"),
            Some(json!({"name": "Renamed"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert!(b["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["name"] == "Renamed"));
    let (s, b) = api
        .delete(&format!("/api/v1/meetings/1000/breakouts/rooms/{rid}"))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["rooms"].as_array().unwrap().len(), 3);
    let (s, _) = api.delete("/api/v1/meetings/1000/breakouts").await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = api.get("/api/v1/meetings/1000/breakouts").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    api.stop().await;
}
