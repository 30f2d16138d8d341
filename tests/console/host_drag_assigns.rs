//! Before the rooms open, dragging a card assigns by hand: the participant stays in the main
//! session, its assignment (checked through the API) is the room it was dropped on, the card
//! waits in that room's column, and opening the rooms moves it there.

use crate::browser;
use crate::support;

use browser::{poll, Browser};
use serde_json::json;
use support::api::{Api, TempDb};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dragging_before_the_rooms_open_assigns() {
    let db = TempDb::new("console-assign");
    let api = Api::start(&db.0).await;
    api.create_meeting(json!({"id": "4000"})).await;
    let pid = api
        .join("4000", "Boardroom", "sip:boardroom@corp.example")
        .await;
    api.join("4000", "Huddle 3", "sip:huddle3@corp.example")
        .await;

    let b = Browser::start().await;
    b.goto(&api.url("/console/#/meetings/4000")).await;
    b.type_into("#token", &api.token).await;
    b.click("#login button").await;

    // Three rooms, assigned by hand, created from the page.
    b.type_into("#room-count", "3").await;
    b.js(
        "const s = document.querySelector('#room-assign'); s.value = 'manual';",
        json!([]),
    )
    .await;
    b.click("#create-rooms").await;
    b.wait(
        "four columns",
        "return document.querySelectorAll('.room').length === 4;",
        json!([]),
    )
    .await;
    let (_, br) = api.get("/api/v1/meetings/4000/breakouts").await;
    assert_eq!(br["state"], "created", "{br}");
    let third = br["rooms"][2]["id"].as_str().unwrap().to_owned();

    let card = format!(".card[data-participant='{pid}']");
    b.drag(&card, &format!(".room[data-room='{third}']")).await;
    let participant = poll(|| async {
        let (_, p) = api
            .get(&format!("/api/v1/meetings/4000/participants/{pid}"))
            .await;
        (p["assigned"] == third.as_str()).then_some(p)
    })
    .await
    .expect("the drop assigned the participant to the third room");
    assert_eq!(
        participant["room"], "main",
        "nobody moves before the rooms open"
    );
    b.find(&format!(".room[data-room='{third}'] {card}.planned"))
        .await;

    b.click("#open-rooms").await;
    let moved = poll(|| async {
        let (_, p) = api
            .get(&format!("/api/v1/meetings/4000/participants/{pid}"))
            .await;
        (p["room"] == third.as_str()).then_some(())
    })
    .await;
    assert!(moved.is_some(), "opening the rooms moved it to its room");
    b.wait(
        "the card no longer dashed",
        "const c = document.querySelector(arguments[0]); return c && !c.classList.contains('planned');",
        json!([format!(".room[data-room='{third}'] {card}")]),
    )
    .await;

    b.quit();
    api.stop().await;
}
