//! `GET /api/v1/legs/events` sends every leg's statistics once a second in one `stats`
//! message (`{"type": "stats", "at", "legs": [{"id", "quality", "stats"}, …]}`), the same text
//! to every watcher: two room systems on a real call, two operators watching.

use crate::support;

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::Value;
use support::room::RoomSystem;
use support::{Roomgate, TOKEN};
use tokio_tungstenite::tungstenite::Message;

async fn next_text<S>(ws: &mut S) -> String
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    match tokio::time::timeout(Duration::from_secs(20), ws.next()).await {
        Ok(Some(Ok(Message::Text(t)))) => t.to_string(),
        other => panic!("no message: {other:?}"),
    }
}

/// The next `stats` message listing both legs, as text.
async fn stats_of_both<S>(ws: &mut S, ids: &[u64]) -> String
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        let t = next_text(ws).await;
        let v: Value = serde_json::from_str(&t).unwrap();
        if v["type"] != "stats" {
            continue;
        }
        let listed: Vec<u64> = v["legs"]
            .as_array()
            .expect("legs")
            .iter()
            .map(|l| l["id"].as_u64().unwrap())
            .collect();
        if ids.iter().all(|id| listed.contains(id)) {
            return t;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_stats_message_a_second_for_every_leg_and_watcher() {
    let rg = tokio::task::spawn_blocking(|| Roomgate::start(&[]))
        .await
        .unwrap();
    let gw: SocketAddr = ([127, 0, 0, 1], rg.sip_port).into();
    let a = RoomSystem::call(gw, "1000", "Boardroom", 500.0);
    let b = RoomSystem::call(gw, "1000", "Huddle", 800.0);
    let (_, text) = rg.api("GET", "/api/v1/legs", None);
    let legs: Value = serde_json::from_str(&text).unwrap();
    let ids: Vec<u64> = legs
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids.len(), 2, "{legs}");

    let url = format!("ws://{}/api/v1/legs/events?access_token={TOKEN}", rg.http);
    let (mut w1, _) = tokio_tungstenite::connect_async(&url)
        .await
        .expect("upgrade");
    let (mut w2, _) = tokio_tungstenite::connect_async(&url)
        .await
        .expect("upgrade");
    // Each watcher's messages of the same second (`at`): the very same text.
    let at = |t: &str| {
        serde_json::from_str::<Value>(t).unwrap()["at"]
            .as_str()
            .expect("at")
            .to_owned()
    };
    let mut first = stats_of_both(&mut w1, &ids).await;
    let mut other = stats_of_both(&mut w2, &ids).await;
    for _ in 0..3 {
        match at(&first).cmp(&at(&other)) {
            std::cmp::Ordering::Equal => break,
            std::cmp::Ordering::Less => first = stats_of_both(&mut w1, &ids).await,
            std::cmp::Ordering::Greater => other = stats_of_both(&mut w2, &ids).await,
        }
    }
    assert_eq!(other, first);
    let v: Value = serde_json::from_str(&first).unwrap();
    assert!(v["at"].as_str().is_some_and(|t| t.ends_with('Z')), "{v}");
    let entries = v["legs"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "each leg once: {v}");
    for e in entries {
        assert_eq!(e["quality"], "good", "{e}");
        assert!(e["stats"]["packets_in"].as_u64().unwrap() > 0, "{e}");
        assert!(e["stats"]["loss_20s"].is_number(), "{e}");
        assert!(e.get("call_id").is_none() && e["stats"].get("updated_at").is_none());
    }
    // A second later, the next message: the counters moved on.
    let second = stats_of_both(&mut w1, &ids).await;
    let v2: Value = serde_json::from_str(&second).unwrap();
    assert_ne!(v2["at"], v["at"]);
    let packets = |v: &Value, id: u64| {
        v["legs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["id"] == id)
            .unwrap()["stats"]["packets_in"]
            .as_u64()
            .unwrap()
    };
    assert!(packets(&v2, ids[0]) > packets(&v, ids[0]));
    drop((a, b));
}
