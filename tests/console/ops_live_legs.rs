//! The operator view in headless Chromium against a real `roomgate serve` with two real room
//! systems on a call: the live legs table shows each leg with what `GET /api/v1/legs` says
//! (remote address, codec, loss, MOS, quality band); a host moves one through the API, and
//! that leg's detail page lists the move. Leaves target/artifacts/console-ops-live.png and
//! console-ops-live-leg.png.

use crate::browser;
use crate::support;

use std::net::SocketAddr;

use browser::{artifact, Browser};
use serde_json::{json, Value};
use support::room::RoomSystem;
use support::Roomgate;

fn api(rg: &Roomgate, method: &str, path: &str, body: Option<&str>) -> Value {
    let (status, text) = rg.api(method, path, body);
    assert!(
        (200..300).contains(&status),
        "{method} {path}: {status} {text}"
    );
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// A fraction as the console shows it (ops.js `pct`).
fn pct(x: &Value) -> String {
    match x.as_f64() {
        Some(x) => format!("{:.*} %", if x < 0.1 { 2 } else { 1 }, x * 100.0),
        None => "—".into(),
    }
}

/// What a leg's row should read, from the API's view of it: (header, text) per column.
fn expected_row(l: &Value) -> Vec<(&'static str, String)> {
    let s = &l["stats"];
    vec![
        ("Leg", l["id"].to_string()),
        ("Remote", l["remote"].as_str().unwrap_or("").to_owned()),
        ("Transport", l["protocol"].as_str().unwrap_or("").to_owned()),
        ("Meeting", l["meeting"].as_str().unwrap_or("").to_owned()),
        ("Room", l["room"].as_str().unwrap_or("").to_owned()),
        ("Codec", l["audio_codec"].as_str().unwrap_or("").to_owned()),
        ("Loss", pct(&s["loss_20s"])),
        (
            "MOS",
            s["mos"].as_f64().map_or("—".into(), |m| format!("{m:.2}")),
        ),
        ("Quality", l["quality"].as_str().unwrap_or("").to_owned()),
    ]
}

/// The table's rows as `{leg id: {header: text}}`.
async fn rows(b: &Browser) -> Value {
    b.js(
        "const heads = [...document.querySelectorAll('table.legs thead th')].map(t => t.textContent);
         const out = {};
         for (const r of document.querySelectorAll('table.legs tbody tr[data-leg]')) {
           const cells = {};
           [...r.children].forEach((td, i) => cells[heads[i]] = td.textContent);
           cells.band = r.querySelector('.quality')?.className || '';
           out[r.dataset.leg] = cells;
         }
         return out;",
        json!([]),
    )
    .await
}

/// Waits until every leg the API lists reads in the table as the API says (the figures move
/// every second: each try compares one fresh API answer with the page).
async fn table_matches_api(b: &Browser, rg: &Roomgate) -> Value {
    let mut last = (Value::Null, Value::Null);
    for _ in 0..200 {
        let legs = api(rg, "GET", "/api/v1/legs", None);
        let page = rows(b).await;
        let arr = legs.as_array().expect("a list");
        let row = |l: &Value| page[l["id"].to_string()].clone();
        let all = arr.len() == 2
            && page.as_object().map(|o| o.len()) == Some(2)
            && arr.iter().all(|l| {
                l["stats"].is_object()
                    && l["quality"].is_string()
                    && expected_row(l)
                        .iter()
                        .all(|(col, want)| row(l)[*col].as_str() == Some(want.as_str()))
                    && row(l)["band"]
                        .as_str()
                        .is_some_and(|c| c.ends_with(l["quality"].as_str().unwrap()))
            });
        if all {
            return legs;
        }
        last = (legs, page);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!(
        "the table never matched the API\nAPI: {}\npage: {}",
        last.0, last.1
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_sees_real_legs_and_a_move() {
    let rg = Roomgate::start(&[]);
    let gw: SocketAddr = ([127, 0, 0, 1], rg.sip_port).into();
    let boardroom = RoomSystem::call(gw, "1000", "Boardroom", 500.0);
    let huddle = RoomSystem::call(gw, "1000", "Huddle", 800.0);

    let b = Browser::start().await;
    b.goto(&format!("http://{}/console/#/legs", rg.http)).await;
    b.type_into("#token", support::TOKEN).await;
    b.click("#login button").await;

    let legs = table_matches_api(&b, &rg).await;
    let legs = legs.as_array().unwrap();
    for l in legs {
        assert_eq!(l["audio_codec"], "PCMU", "{l}");
        assert_eq!(l["quality"], "good", "a clean loopback call: {l}");
    }
    let call_ids: Vec<&str> = legs
        .iter()
        .map(|l| l["call_id"].as_str().unwrap())
        .collect();
    assert!(call_ids.contains(&boardroom.call_id()) && call_ids.contains(&huddle.call_id()));
    b.screenshot(&artifact("console-ops-live.png")).await;

    // The host moves the Boardroom into a breakout room through the API.
    let leg = legs
        .iter()
        .find(|l| l["call_id"] == boardroom.call_id())
        .unwrap();
    let (id, pid) = (
        leg["id"].as_u64().unwrap(),
        leg["participant"].as_u64().unwrap(),
    );
    let b_rooms = api(
        &rg,
        "PUT",
        "/api/v1/meetings/1000/breakouts",
        Some(r#"{"count": 2, "assign": "manual", "options": {"countdown_s": 0}}"#),
    );
    let room = b_rooms["rooms"][0]["id"]
        .as_str()
        .expect("room id")
        .to_owned();
    api(
        &rg,
        "POST",
        "/api/v1/meetings/1000/breakouts/open",
        Some("{}"),
    );
    api(
        &rg,
        "POST",
        &format!("/api/v1/meetings/1000/participants/{pid}/move"),
        Some(&format!(r#"{{"room": "{room}"}}"#)),
    );

    // Its detail, opened from the table: the move as the API lists it.
    b.click(&format!("tr[data-leg='{id}']")).await;
    b.wait_text("main h1", &format!("Leg {id}")).await;
    b.wait_text("dl.facts", boardroom.call_id()).await;
    let moves = b
        .wait(
            "the move in the leg's moves",
            "const rows = [...document.querySelectorAll('table.moves tbody tr')];
             return rows.length ? rows.map(r => [...r.children].map(td => td.textContent)) : null;",
            json!([]),
        )
        .await;
    let api_leg = api(&rg, "GET", &format!("/api/v1/legs/{id}"), None);
    let m = &api_leg["moves"][0];
    assert_eq!(
        api_leg["moves"].as_array().map(Vec::len),
        Some(1),
        "{api_leg}"
    );
    assert_eq!(
        moves,
        json!([[m["at"], m["from"], m["to"], m["by"]]]),
        "the page's moves vs the API's {api_leg}"
    );
    assert_eq!(m["from"], "main");
    assert_eq!(m["to"], room.as_str());
    assert_eq!(m["by"], "host");
    b.wait_text("dl.facts", &room).await;
    // The stream's 1-second `stats` messages keep the sparkline growing.
    b.wait(
        "a loss sparkline of at least 3 points from the stream",
        "const l = document.querySelector('svg.spark.loss polyline');
         return l && l.getAttribute('points').split(' ').length >= 3;",
        json!([]),
    )
    .await;
    b.screenshot(&artifact("console-ops-live-leg.png")).await;
    b.quit();
    boardroom.hangup();
    huddle.hangup();
}
