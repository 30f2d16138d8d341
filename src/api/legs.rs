//! Operators' live view of call legs.
//!
//! - `GET /api/v1/legs?meeting=&room=&state=&protocol=&remote=&min_loss=`: the legs that are
//!   up (see [`crate::ops::legs::OpsLeg`]), ordered by id.
//! - `GET /api/v1/legs/{id}`: one leg.
//! - `GET /api/v1/legs/events` (WebSocket): first one `snapshot` message (`{"type":
//!   "snapshot", "legs": […]}`), then one JSON text message per leg event: `started`,
//!   `updated`, `moved`, `quality` (a band crossed), `stats` (once a second, every leg's
//!   figures: `{"type": "stats", "at", "legs": [{"id", "quality", "stats"}, …]}`, see
//!   [`crate::ops::legs::StatsBatch`]) and `ended` (sent once the call record is durable).
//!   `?stats=false` leaves out the `stats` messages. Every message is serialized once by the
//!   engine and shared by all watchers.
//!   Closes with 1001 at shutdown and 1008 when the client fell too far behind (reconnect:
//!   the snapshot brings it up to date).

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use axum::Json;
use serde::Deserialize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::broadcast::{self, error::RecvError};

use super::problem::{ApiPath, ApiQuery, Problem};
use super::{Access, ApiState, Control};
use crate::ops::legs::{LegFilter, LegMessage, OpsLeg};

pub async fn list<C: Control>(
    State(s): State<ApiState<C>>,
    Extension(access): Extension<Access>,
    ApiQuery(filter): ApiQuery<LegFilter>,
) -> Result<Response, Problem> {
    operators_only(access)?;
    if filter.min_loss.is_some_and(|l| !(0.0..=1.0).contains(&l)) {
        return Err(Problem::invalid(
            "min_loss",
            "a fraction from 0 to 1 (0.05 = 5 %)",
        ));
    }
    Ok(Json(s.control.legs(filter).await?).into_response())
}

pub async fn show<C: Control>(
    State(s): State<ApiState<C>>,
    Extension(access): Extension<Access>,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, Problem> {
    operators_only(access)?;
    let unknown = || Problem::not_found("unknown-leg", "id", format!("no call leg {id} is up"));
    let n: u64 = id.parse().map_err(|_| unknown())?;
    match s.control.leg(n).await? {
        Some(l) => Ok(Json(l).into_response()),
        None => Err(unknown()),
    }
}

/// Call legs and records name callers and their addresses: the host token only.
pub(super) fn operators_only(access: Access) -> Result<(), Problem> {
    match access {
        Access::Host => Ok(()),
        Access::Participant => Err(Problem::forbidden(
            "call legs and call records need the host token",
        )),
    }
}

#[derive(Debug, Deserialize)]
pub struct StreamQuery {
    /// Send the 1-second `stats` messages (default true).
    #[serde(default)]
    pub stats: Option<bool>,
    /// Accepted here for browsers (see `auth`); checked by the auth layer.
    #[serde(default)]
    #[allow(dead_code)]
    access_token: Option<String>,
}

pub async fn stream<C: Control>(
    State(s): State<ApiState<C>>,
    Extension(access): Extension<Access>,
    ApiQuery(q): ApiQuery<StreamQuery>,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Result<Response, Problem> {
    // Access first: a participant is refused whether or not it asked for an upgrade.
    operators_only(access)?;
    let ws = ws.map_err(|e| {
        Problem::new(
            axum::http::StatusCode::BAD_REQUEST,
            "not-a-websocket",
            e.body_text(),
        )
    })?;
    let sub = s.control.subscribe_legs().await?;
    let shutdown = s.shutdown.clone();
    let with_stats = q.stats.unwrap_or(true);
    Ok(ws.on_upgrade(move |socket| run(socket, sub, shutdown, with_stats)))
}

async fn close(mut socket: WebSocket, code: u16, reason: &str) {
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        })))
        .await;
}

/// The WebSocket frame of a stream message: its shared bytes, checked as UTF-8 (no copy).
pub fn message(m: &LegMessage) -> Message {
    Message::Text(
        Utf8Bytes::try_from(m.json.clone())
            .expect("leg messages are JSON text: serde_json writes UTF-8"),
    )
}

fn text(v: &impl serde::Serialize) -> Message {
    Message::Text(
        serde_json::to_string(v)
            .expect("leg events serialize: plain data with string keys")
            .into(),
    )
}

async fn run(
    mut socket: WebSocket,
    sub: LegSubscription,
    shutdown: tokio_util::sync::CancellationToken,
    with_stats: bool,
) {
    let LegSubscription {
        snapshot,
        mut live,
        stats: mut interest,
    } = sub;
    if !with_stats {
        // The engine writes no `stats` message for this watcher's sake.
        interest.drop_interest();
    }
    let first = serde_json::json!({"type": "snapshot", "legs": snapshot});
    if socket.send(text(&first)).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => {
                return close(socket, 1001, "roomgate is shutting down").await;
            }
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
            e = live.recv() => match e {
                Ok(e) => {
                    if !with_stats && e.stats {
                        continue;
                    }
                    if socket.send(message(&e)).await.is_err() {
                        return;
                    }
                }
                Err(RecvError::Lagged(_)) => {
                    return close(socket, 1008, "too far behind; reconnect for a new snapshot").await;
                }
                Err(RecvError::Closed) => {
                    return close(socket, 1001, "roomgate is shutting down").await;
                }
            }
        }
    }
}

/// A live subscription to leg events: the legs up when it was taken, then every message.
pub struct LegSubscription {
    pub snapshot: Vec<OpsLeg>,
    pub live: broadcast::Receiver<LegMessage>,
    /// This subscriber's interest in the per-second `stats` messages.
    pub stats: StatsInterest,
}

/// One subscriber's interest in the `stats` messages: counted while held, so the engine
/// writes them only while someone wants them (a `?stats=false` watcher drops it).
#[derive(Debug)]
pub struct StatsInterest(Option<Arc<AtomicUsize>>);

impl StatsInterest {
    /// Counts one more subscriber wanting `stats` in `wanting`.
    pub fn new(wanting: &Arc<AtomicUsize>) -> StatsInterest {
        wanting.fetch_add(1, Ordering::Relaxed);
        StatsInterest(Some(wanting.clone()))
    }

    /// This subscriber does not want them (after all).
    pub fn drop_interest(&mut self) {
        if let Some(w) = self.0.take() {
            w.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

impl Drop for StatsInterest {
    fn drop(&mut self) {
        self.drop_interest();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_interest_counts_each_subscriber_once() {
        let wanting = Arc::new(AtomicUsize::new(0));
        let a = StatsInterest::new(&wanting);
        let mut b = StatsInterest::new(&wanting);
        assert_eq!(wanting.load(Ordering::Relaxed), 2);
        b.drop_interest();
        b.drop_interest();
        assert_eq!(wanting.load(Ordering::Relaxed), 1, "dropped once");
        drop(b);
        assert_eq!(wanting.load(Ordering::Relaxed), 1);
        drop(a);
        assert_eq!(wanting.load(Ordering::Relaxed), 0);
    }
}
