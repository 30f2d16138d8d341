//! A real call whose link turns lossy: the room system's RTP starts clean, then a quarter of
//! its packets go missing (sequence numbers skipped), then it is clean again. The leg's quality
//! verdict (20 s loss window) crosses from good into bad, each crossing an alert on
//! `/api/v1/legs/events`, and once the loss stops it crosses back towards good as clean
//! packets dilute the window (the full return to good takes the window's 20 s; not waited for).

use crate::support;

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::Value;
use support::room::RoomSystem;
use support::{Roomgate, TOKEN};
use tokio_tungstenite::tungstenite::Message;

const BANDS: [&str; 4] = ["good", "fair", "poor", "bad"];

fn rank(band: &Value) -> usize {
    BANDS
        .iter()
        .position(|b| band == b)
        .unwrap_or_else(|| panic!("a band: {band}"))
}

async fn next<S>(ws: &mut S) -> Value
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    match tokio::time::timeout(Duration::from_secs(20), ws.next()).await {
        Ok(Some(Ok(Message::Text(t)))) => serde_json::from_str::<Value>(&t).unwrap(),
        other => panic!("no event: {other:?}"),
    }
}

/// The next `quality` alert of leg `id`.
async fn crossing<S>(ws: &mut S, id: &Value) -> Value
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        let e = next(ws).await;
        if e["type"] == "quality" && e["leg"] == *id {
            return e;
        }
    }
}

fn leg(rg: &Roomgate, call_id: &str) -> Option<Value> {
    let (status, text) = rg.api("GET", "/api/v1/legs", None);
    assert_eq!(status, 200, "{text}");
    let legs: Value = serde_json::from_str(&text).unwrap();
    legs.as_array()?
        .iter()
        .find(|l| l["call_id"] == call_id)
        .cloned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loss_crosses_bands_and_back() {
    let rg = tokio::task::spawn_blocking(|| Roomgate::start(&[]))
        .await
        .unwrap();
    let url = format!(
        "ws://{}/api/v1/legs/events?stats=false&access_token={TOKEN}",
        rg.http
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("upgrade");
    assert_eq!(next(&mut ws).await["type"], "snapshot");

    let gw: SocketAddr = ([127, 0, 0, 1], rg.sip_port).into();
    let rs = RoomSystem::call(gw, "1000", "Lossy", 700.0);
    // Clean first: two seconds of packets in the window, judged good.
    let mut clean = None;
    for _ in 0..100 {
        clean = leg(&rg, rs.call_id())
            .filter(|l| l["stats"]["packets_in"].as_u64().is_some_and(|p| p >= 100));
        if clean.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let clean = clean.expect("the call's stats");
    assert_eq!(clean["quality"], "good", "{clean}");
    let id = clean["id"].clone();

    // A quarter of the packets lost: worse and worse until bad (>= 10 % over the window).
    rs.set_loss_percent(25);
    let mut worse = Vec::new();
    while worse.last().is_none_or(|e: &Value| e["to"] != "bad") {
        let e = crossing(&mut ws, &id).await;
        assert!(
            rank(&e["to"]) > rank(&e["from"]),
            "only worse while lossy: {e}"
        );
        worse.push(e);
    }
    assert_eq!(worse[0]["from"], "good", "{worse:?}");
    let bad = worse.last().unwrap();
    assert!(bad["loss_20s"].as_f64().unwrap() >= 0.10, "{bad}");
    assert_eq!(bad["call_id"], rs.call_id());
    assert!(rs.dropped() > 0);

    // Clean again: the window dilutes and the verdict improves.
    rs.set_loss_percent(0);
    let better = crossing(&mut ws, &id).await;
    assert_eq!(better["from"], "bad", "{better}");
    assert!(rank(&better["to"]) < rank(&better["from"]), "{better}");
    assert!(better["loss_20s"].as_f64().unwrap() < 0.10, "{better}");
    let now = leg(&rg, rs.call_id()).expect("still up");
    assert!(rank(&now["quality"]) < rank(&Value::from("bad")), "{now}");
    tokio::task::spawn_blocking(move || rs.hangup())
        .await
        .unwrap();
}
