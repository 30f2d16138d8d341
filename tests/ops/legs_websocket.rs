//! `GET /api/v1/legs/events` (WebSocket) delivers a snapshot, then `started` when a real SIP
//! call arrives and `ended` (with its call record) when it hangs up.

use crate::support;

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::Value;
use support::{assert_sipp_ok, sipp, Roomgate, TOKEN};
use tokio_tungstenite::tungstenite::Message;

async fn next<S>(ws: &mut S) -> Value
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    match tokio::time::timeout(Duration::from_secs(20), ws.next()).await {
        Ok(Some(Ok(Message::Text(t)))) => serde_json::from_str::<Value>(&t).unwrap(),
        other => panic!("no event: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn started_then_ended() {
    let rg = std::sync::Arc::new(
        tokio::task::spawn_blocking(|| Roomgate::start(&[]))
            .await
            .unwrap(),
    );
    let url = format!(
        "ws://{}/api/v1/legs/events?stats=false&access_token={TOKEN}",
        rg.http
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("upgrade");
    let first = next(&mut ws).await;
    assert_eq!(first["type"], "snapshot");
    assert_eq!(first["legs"], Value::Array(vec![]));

    let rg2 = rg.clone();
    let call = tokio::task::spawn_blocking(move || sipp(&rg2, "basic_call.xml", "u1", &[]));
    let mut seen = Vec::new();
    let ended = loop {
        let e = next(&mut ws).await;
        if e["type"] == "ended" {
            break e;
        }
        seen.push(e);
    };
    let out = call.await.unwrap();
    assert_sipp_ok(&rg, &out, "call");
    let id = &ended["leg"]["id"];
    let started = seen
        .iter()
        .position(|e| e["type"] == "started" && e["leg"]["id"] == *id)
        .expect("started before ended");
    assert!(
        seen[started..].iter().all(|e| e["type"] != "stats"),
        "stats=false"
    );
    assert_eq!(ended["cdr"]["end_by"], "caller");
    assert_eq!(ended["cdr"]["leg"], *id);
    assert_eq!(ended["leg"]["call_id"], seen[started]["leg"]["call_id"]);
}
