//! The host view in headless Chromium against a real roomgate: sign in, create and open
//! breakout rooms from the page, drag a participant's card to another room with real pointer
//! actions and check through the API that it moved; exchange two participants; see an API
//! refusal shown; close with the countdown visible. Leaves target/artifacts/console-host.png.

use crate::browser;
use crate::support;

use browser::{artifact, poll, Browser};
use serde_json::json;
use support::api::{Api, TempDb};

/// Where the API says each participant is: `(id, room)`.
async fn places(api: &Api) -> Vec<(u64, String)> {
    let (_, v) = api.get("/api/v1/meetings/2000/participants").await;
    v.as_array()
        .expect("participants")
        .iter()
        .map(|p| {
            (
                p["id"].as_u64().unwrap(),
                p["room"].as_str().unwrap().into(),
            )
        })
        .collect()
}

async fn room_of(api: &Api, pid: u64) -> String {
    places(api)
        .await
        .into_iter()
        .find(|(id, _)| *id == pid)
        .expect("participant")
        .1
}

/// Waits until the API reports `pid` in `room`.
async fn until_in(api: &Api, pid: u64, room: &str) {
    let ok = poll(|| async { (room_of(api, pid).await == room).then_some(()) }).await;
    assert!(
        ok.is_some(),
        "participant {pid} never reached room {room}; it is in {}",
        room_of(api, pid).await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_drags_a_participant_to_another_room() {
    let db = TempDb::new("console-host");
    let api = Api::start(&db.0).await;
    api.create_meeting(json!({"id": "2000", "name": "Quarterly planning"}))
        .await;
    let people = [
        ("Boardroom", "sip:boardroom@corp.example"),
        ("Huddle 3", "sip:huddle3@corp.example"),
        ("Lisbon office", "sip:lisbon@corp.example"),
        ("Alice (softphone)", "sip:alice@corp.example"),
    ];
    let mut ids = Vec::new();
    for (name, identity) in people {
        ids.push(api.join("2000", name, identity).await);
    }

    let b = Browser::start().await;
    b.goto(&api.url("/console")).await;

    // Sign in once; the token stays in sessionStorage.
    b.type_into("#token", &api.token).await;
    b.click("#login button").await;
    b.click("a[href='#/meetings/2000']").await;
    b.wait(
        "four cards in the main session",
        "return document.querySelectorAll(\".room[data-room='main'] .card\").length === 4;",
        json!([]),
    )
    .await;
    let stored = b
        .js(
            "return sessionStorage.getItem('roomgate.token');",
            json!([]),
        )
        .await;
    assert_eq!(stored, json!(api.token));

    // Two rooms, assigned automatically, from the form.
    b.type_into("#room-count", "2").await;
    b.click("#create-rooms").await;
    b.wait(
        "three columns",
        "return document.querySelectorAll('.room').length === 3;",
        json!([]),
    )
    .await;
    b.click("#open-rooms").await;
    b.wait_text("#breakout-state", "open").await;
    let (_, breakouts) = api.get("/api/v1/meetings/2000/breakouts").await;
    assert_eq!(breakouts["state"], "open", "{breakouts}");
    let rooms: Vec<String> = breakouts["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(rooms.len(), 2);

    // The drag: a participant of the first room onto the second room's column.
    let now = places(&api).await;
    let (pid, _) = now
        .iter()
        .find(|(_, r)| *r == rooms[0])
        .cloned()
        .expect("auto-assignment put someone in the first room");
    let card = format!(".card[data-participant='{pid}']");
    b.wait(
        "the card in its room's column",
        "return document.querySelector(arguments[0]) !== null;",
        json!([format!(".room[data-room='{}'] {card}", rooms[0])]),
    )
    .await;
    b.drag(&card, &format!(".room[data-room='{}']", rooms[1]))
        .await;
    until_in(&api, pid, &rooms[1]).await;
    // The page follows the meeting's event stream: the card shows up in its new column.
    b.find(&format!(".room[data-room='{}'] {card}", rooms[1]))
        .await;
    b.wait_text("ol.log", "moved from").await;

    // Exchange: select one card in each room, then exchange.
    let now = places(&api).await;
    let in_room = |r: &str| now.iter().find(|(_, x)| x == r).expect("someone").0;
    let (a, c) = (in_room(&rooms[0]), in_room(&rooms[1]));
    b.click(&format!(".card[data-participant='{a}']")).await;
    b.click(&format!(".card[data-participant='{c}']")).await;
    b.wait_text("#exchange", "2/2").await;
    b.click("#exchange").await;
    until_in(&api, a, &rooms[1]).await;
    until_in(&api, c, &rooms[0]).await;

    // A refusal is shown with its problem details: a room name that is taken (409).
    let first_name = breakouts["rooms"][0]["name"].as_str().unwrap().to_owned();
    b.click(&format!(
        ".room[data-room='{}'] button[title='Rename room']",
        rooms[1]
    ))
    .await;
    // The field opens with its text selected: typing replaces it; U+E007 is Enter.
    b.keys("input.rename", &format!("{first_name}\u{E007}"))
        .await;
    let toast = b.wait_text("#toasts", "409").await;
    assert!(
        toast.contains("room-name-taken") || toast.contains("name"),
        "{toast}"
    );

    // Broadcast reaches the event log.
    b.type_into("form.broadcast input", "Five minutes left")
        .await;
    b.click("form.broadcast button").await;
    b.wait_text("ol.log", "Five minutes left").await;

    // Close: the countdown (60 s by default) is visible while everyone is still in the rooms.
    b.click("#close-rooms").await;
    let countdown = b
        .wait_text("#countdown", "Back to the main session in")
        .await;
    let (_, breakouts) = api.get("/api/v1/meetings/2000/breakouts").await;
    assert_eq!(breakouts["state"], "closing", "{breakouts}");
    assert!(countdown.contains(":"), "{countdown}");

    let shot = artifact("console-host.png");
    b.screenshot(&shot).await;
    b.quit();
    api.stop().await;
}
