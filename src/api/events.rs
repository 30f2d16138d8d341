//! `GET /api/v1/meetings/{id}/events`: a meeting's events over a WebSocket, one JSON text
//! message per event (`{"meeting", "seq", "type", …}`, see `crate::meeting::Event`).
//!
//! `?since=<seq>` resumes: the stream starts with every event after `seq` and continues live,
//! with no sequence number missing or repeated. Without `since` it starts with the next event.
//! The subscription is taken before the upgrade, so a resume that is no longer possible
//! (`since` older than the kept log) is an HTTP 410 problem, and an unknown meeting a 404.
//!
//! The server closes the socket with
//! - 1000 after `meeting_ended` (the meeting is gone),
//! - 1001 when roomgate shuts down,
//! - 1008 when the client fell so far behind that events were dropped for it; the close
//!   reason is `resume with since=<last seq delivered>`.

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;

use super::problem::{ApiPath, ApiQuery, Problem};
use super::{ApiState, Control, EventSubscription};
use crate::meeting::{Event, EventKind};

#[derive(Debug, Deserialize)]
pub struct EventsQuery {
    #[serde(default)]
    pub since: Option<u64>,
    /// Accepted here for browsers (see `auth`); checked by the auth layer.
    #[serde(default)]
    #[allow(dead_code)]
    access_token: Option<String>,
}

pub async fn stream<C: Control>(
    State(s): State<ApiState<C>>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<EventsQuery>,
    ws: WebSocketUpgrade,
) -> Result<Response, Problem> {
    let sub = s.control.subscribe(id, q.since).await?;
    let metrics = s.metrics.clone();
    let shutdown = s.shutdown.clone();
    Ok(ws.on_upgrade(move |socket| async move {
        metrics.event_streams.inc();
        run(socket, sub, shutdown).await;
        metrics.event_streams.dec();
    }))
}

fn text(e: &Event) -> Message {
    Message::Text(
        serde_json::to_string(e)
            .expect("events serialize: plain data with string keys")
            .into(),
    )
}

async fn close(mut socket: WebSocket, code: u16, reason: String) {
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        })))
        .await;
}

async fn run(
    mut socket: WebSocket,
    sub: EventSubscription,
    shutdown: tokio_util::sync::CancellationToken,
) {
    let EventSubscription {
        backlog,
        mut live,
        last_seq,
    } = sub;
    let mut last = last_seq;
    for e in &backlog {
        if socket.send(text(e)).await.is_err() {
            return;
        }
        last = e.seq;
    }
    if backlog
        .last()
        .is_some_and(|e| matches!(e.kind, EventKind::MeetingEnded { .. }))
    {
        return close(socket, 1000, "meeting ended".into()).await;
    }
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => {
                return close(socket, 1001, "roomgate is shutting down".into()).await;
            }
            incoming = socket.recv() => match incoming {
                // The stream is one-way; pings are answered by axum, anything else ignored.
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
            e = live.recv() => match e {
                Ok(e) => {
                    if e.seq <= last {
                        continue; // already sent in the backlog
                    }
                    last = e.seq;
                    if socket.send(text(&e)).await.is_err() {
                        return;
                    }
                    if matches!(e.kind, EventKind::MeetingEnded { .. }) {
                        return close(socket, 1000, "meeting ended".into()).await;
                    }
                }
                Err(RecvError::Lagged(_)) => {
                    return close(socket, 1008, format!("resume with since={last}")).await;
                }
                Err(RecvError::Closed) => {
                    return close(socket, 1000, "meeting ended".into()).await;
                }
            }
        }
    }
}
