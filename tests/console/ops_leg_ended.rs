//! The operator view in headless Chromium against a real `roomgate serve`: when a room system
//! hangs up, its leg leaves the live table (from the stream's `ended` message, while the
//! other leg stays), without reloading the page.

use crate::browser;
use crate::support;

use std::net::SocketAddr;

use browser::Browser;
use serde_json::json;
use support::room::RoomSystem;
use support::Roomgate;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_up_leg_leaves_the_table() {
    let rg = Roomgate::start(&[]);
    let gw: SocketAddr = ([127, 0, 0, 1], rg.sip_port).into();
    let stays = RoomSystem::call(gw, "1000", "Boardroom", 500.0);
    let leaves = RoomSystem::call(gw, "1000", "Huddle", 800.0);

    let b = Browser::start().await;
    b.goto(&format!("http://{}/console/#/legs", rg.http)).await;
    b.type_into("#token", support::TOKEN).await;
    b.click("#login button").await;
    let names = "return [...document.querySelectorAll('table.legs tbody tr[data-leg]')]
                   .map(r => r.children[1].textContent).sort();";
    b.wait(
        "both legs in the table",
        &format!("const n = (() => {{ {names} }})(); return n.length === 2 ? n : null;"),
        json!([]),
    )
    .await;
    // The page marks its window so a reload would show.
    b.js("window.__same_page = true;", json!([])).await;

    leaves.hangup();
    let left = b
        .wait(
            "only the Boardroom left",
            &format!("const n = (() => {{ {names} }})(); return n.length === 1 ? n : null;"),
            json!([]),
        )
        .await;
    assert_eq!(left, json!(["Boardroom"]));
    assert_eq!(
        b.js("return window.__same_page === true;", json!([])).await,
        json!(true)
    );
    b.wait_text("main h1", "Call legs (1)").await;
    let (_, text) = rg.api("GET", "/api/v1/legs", None);
    let legs: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(legs.as_array().map(Vec::len), Some(1), "{legs}");
    b.quit();
    stays.hangup();
}
