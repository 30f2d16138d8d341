//! The host and operator HTTP API (axum), under `/api/v1`, with its WebSocket event stream,
//! `GET /metrics`, `GET /healthz` and the web console at `/console/`.
//!
//! The API reaches the engine only through the [`Control`] trait: the runtime implements it
//! over the engine task's command channel, unit tests can implement it over a plain
//! [`crate::meeting::Meetings`]. See docs/api.md for the overview and `openapi.json` (served at
//! `GET /api/v1/openapi.json`) for the reference.

pub mod auth;
pub mod cdrs;
pub mod console;
pub mod events;
pub mod legs;
pub mod meetings;
pub mod metrics;
pub mod problem;

use std::future::Future;
use std::sync::Arc;

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Router;
use prometheus_client::registry::Registry;
use tokio_util::sync::CancellationToken;

pub use auth::{Access, Tokens};
pub use metrics::ApiMetrics;
pub use problem::Problem;

use crate::meeting::{
    Actor, BreakoutsView, Command, Event, JoinRequest, MeetingError, MeetingSpec, MeetingSummary,
    MeetingView, Outcome, ParticipantId, ParticipantView,
};

/// Why the engine could not do what the API asked.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ControlError {
    /// The meeting core refused the command; nothing changed.
    #[error(transparent)]
    Meeting(#[from] MeetingError),
    /// The engine is shutting down (or gone).
    #[error("roomgate is shutting down")]
    Unavailable,
    /// The change was applied but could not be made durable.
    #[error("storage: {0}")]
    Storage(String),
    /// A request field the engine could not use (e.g. a dial-out URI).
    #[error("{field}: {detail}")]
    Invalid { field: &'static str, detail: String },
}

/// `POST /api/v1/meetings/{id}/dial-out`: call a room system into the meeting.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DialOutRequest {
    /// `sip:room@127.0.0.1:5062`; the host must be an IP address; `;transport=tcp` for TCP.
    pub uri: String,
    /// A breakout room id to place the room system in when it answers.
    #[serde(default)]
    pub room: Option<crate::meeting::RoomId>,
    /// The participant's name (default: the URI's user part).
    #[serde(default)]
    pub name: Option<String>,
    /// Seconds to let it ring before giving up with CANCEL (1–600, default 60).
    #[serde(default)]
    pub ring_timeout_s: Option<u32>,
}

/// A live subscription to one meeting's events: first `backlog` (the events after the
/// requested sequence number, oldest first), then everything `live` receives. The engine takes
/// both in one step, so no sequence number falls between them.
pub struct EventSubscription {
    pub backlog: Vec<Event>,
    pub live: tokio::sync::broadcast::Receiver<Event>,
    /// Sequence number of the meeting's latest event when subscribing.
    pub last_seq: u64,
}

/// What the API needs from the engine. Every method is one round trip to the engine task; a
/// command happens whole or not at all.
pub trait Control: Clone + Send + Sync + 'static {
    /// Creates a meeting; answers once it is stored.
    fn create_meeting(
        &self,
        spec: MeetingSpec,
    ) -> impl Future<Output = Result<MeetingView, ControlError>> + Send;
    /// All meetings, ordered by id.
    fn list_meetings(
        &self,
    ) -> impl Future<Output = Result<Vec<MeetingSummary>, ControlError>> + Send;
    /// One meeting in full.
    fn meeting(&self, id: String)
        -> impl Future<Output = Result<MeetingView, ControlError>> + Send;
    /// Ends a meeting (its participants are hung up) and forgets it; answers with who was in it.
    fn end_meeting(
        &self,
        id: String,
    ) -> impl Future<Output = Result<Vec<ParticipantId>, ControlError>> + Send;
    /// A meeting's participants, ordered by id.
    fn participants(
        &self,
        id: String,
    ) -> impl Future<Output = Result<Vec<ParticipantView>, ControlError>> + Send;
    /// One participant.
    fn participant(
        &self,
        id: String,
        participant: ParticipantId,
    ) -> impl Future<Output = Result<ParticipantView, ControlError>> + Send;
    /// A meeting's breakout rooms.
    fn breakouts(
        &self,
        id: String,
    ) -> impl Future<Output = Result<BreakoutsView, ControlError>> + Send;
    /// Applies one command to one meeting as `actor`; answers once any stored state it changed
    /// is durable.
    fn command(
        &self,
        id: String,
        actor: Actor,
        cmd: Command,
    ) -> impl Future<Output = Result<Outcome, ControlError>> + Send;
    /// Subscribes to a meeting's events after `since` (`None`: only new ones).
    fn subscribe(
        &self,
        id: String,
        since: Option<u64>,
    ) -> impl Future<Output = Result<EventSubscription, ControlError>> + Send;

    /// Calls a room system into a meeting; answers with the new call leg's id at once (ringing,
    /// answer or failure follow on the leg).
    fn dial_out(
        &self,
        id: String,
        req: DialOutRequest,
    ) -> impl Future<Output = Result<u64, ControlError>> + Send;
    /// Operators: the call legs that are up, ordered by id, filtered.
    ///
    /// The default (an engine without call legs, e.g. a test fake) answers `Unavailable`.
    fn legs(
        &self,
        filter: crate::ops::legs::LegFilter,
    ) -> impl Future<Output = Result<Vec<crate::ops::legs::OpsLeg>, ControlError>> + Send {
        let _ = filter;
        async { Err(ControlError::Unavailable) }
    }
    /// One call leg that is up (`None`: no such leg now).
    fn leg(
        &self,
        id: u64,
    ) -> impl Future<Output = Result<Option<crate::ops::legs::OpsLeg>, ControlError>> + Send {
        let _ = id;
        async { Err(ControlError::Unavailable) }
    }
    /// The legs up now and every leg event after.
    fn subscribe_legs(
        &self,
    ) -> impl Future<Output = Result<crate::api::legs::LegSubscription, ControlError>> + Send {
        async { Err(ControlError::Unavailable) }
    }
    /// Call records by start time and meeting.
    fn call_records(
        &self,
        q: crate::store::LegQuery,
    ) -> impl Future<Output = Result<Vec<crate::store::LegRecord>, ControlError>> + Send {
        let _ = q;
        async { Err(ControlError::Unavailable) }
    }

    /// Attaches a participant (what the gateway does for a call; the API's host endpoint too).
    fn join(
        &self,
        id: String,
        actor: Actor,
        req: JoinRequest,
    ) -> impl Future<Output = Result<ParticipantId, ControlError>> + Send {
        let f = self.command(id, actor, Command::Join(req));
        async move {
            match f.await? {
                Outcome::Joined(p) => Ok(p),
                other => unreachable!("the core answers a join with Joined, not {other:?}"),
            }
        }
    }
}

/// Everything the handlers share.
#[derive(Clone)]
pub struct ApiState<C> {
    pub control: C,
    pub metrics: ApiMetrics,
    /// Cancelled at shutdown: event streams close (with code 1001 "going away").
    pub shutdown: CancellationToken,
}

/// The OpenAPI 3.1 document, served as is.
pub const OPENAPI_JSON: &str = include_str!("openapi.json");

async fn openapi() -> Response {
    let mut res = OPENAPI_JSON.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    res
}

async fn method_not_allowed() -> Problem {
    Problem::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "this route does not take that method; see /api/v1/openapi.json",
    )
}

async fn healthz() -> &'static str {
    "ok\n"
}

/// The whole HTTP application: `/api/v1/…` behind the bearer token, `/healthz` and `/metrics`
/// open (bind `http.listen` to a trusted network, or scrape through a proxy).
///
/// Every route is listed in `openapi.json`; `tests/api/openapi_routes.rs` checks it.
pub fn router<C: Control>(state: ApiState<C>, tokens: Tokens, registry: Arc<Registry>) -> Router {
    use meetings as m;
    let v1 = Router::new()
        .route("/meetings", get(m::list::<C>).post(m::create::<C>))
        .route("/meetings/{id}", get(m::show::<C>).delete(m::end::<C>))
        .route(
            "/meetings/{id}/participants",
            get(m::participants::<C>).post(m::add_participant::<C>),
        )
        .route(
            "/meetings/{id}/participants/exchange",
            post(m::exchange::<C>),
        )
        .route(
            "/meetings/{id}/participants/{pid}",
            get(m::participant::<C>).delete(m::remove_participant::<C>),
        )
        .route(
            "/meetings/{id}/participants/{pid}/move",
            post(m::move_participant::<C>),
        )
        .route(
            "/meetings/{id}/participants/{pid}/assignment",
            put(m::assign::<C>),
        )
        .route(
            "/meetings/{id}/breakouts",
            get(m::breakouts::<C>)
                .put(m::create_breakouts::<C>)
                .delete(m::remove_breakouts::<C>),
        )
        .route("/meetings/{id}/breakouts/options", put(m::set_options::<C>))
        .route("/meetings/{id}/breakouts/rooms", post(m::add_room::<C>))
        .route(
            "/meetings/{id}/breakouts/rooms/{room}",
            axum::routing::patch(m::rename_room::<C>).delete(m::delete_room::<C>),
        )
        .route("/meetings/{id}/breakouts/open", post(m::open::<C>))
        .route("/meetings/{id}/breakouts/close", post(m::close::<C>))
        .route("/meetings/{id}/breakouts/assign", post(m::auto_assign::<C>))
        .route("/meetings/{id}/broadcast", post(m::broadcast::<C>))
        .route("/meetings/{id}/dial-out", post(m::dial_out::<C>))
        .route(
            "/meetings/{id}/preassignments",
            get(m::preassignments::<C>).put(m::set_preassignments::<C>),
        )
        .route("/meetings/{id}/events", get(events::stream::<C>))
        .route("/legs", get(legs::list::<C>))
        .route("/legs/events", get(legs::stream::<C>))
        .route("/legs/{id}", get(legs::show::<C>))
        .route("/cdrs", get(cdrs::list::<C>))
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state.clone())
        .layer(axum::middleware::from_fn_with_state(
            tokens,
            auth::require_token,
        ))
        // The document is public: it describes the API, holds no data.
        .route("/openapi.json", get(openapi));
    Router::new()
        .nest("/api/v1", v1)
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics::serve_metrics).with_state(registry))
        // Static files, no token: see `console` and docs/console.md.
        .merge(console::router())
        .fallback(|| async {
            Problem::new(
                axum::http::StatusCode::NOT_FOUND,
                "no-such-route",
                "no such route; see /api/v1/openapi.json",
            )
        })
        .layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            metrics::count_requests,
        ))
}

#[cfg(test)]
mod tests {
    //! Handlers against a fake [`Control`]: error mapping without an engine.
    use super::*;
    use crate::meeting::MeetingError;

    /// Refuses everything with one error.
    #[derive(Clone)]
    struct Refuse(ControlError);

    impl Control for Refuse {
        async fn create_meeting(&self, _: MeetingSpec) -> Result<MeetingView, ControlError> {
            Err(self.0.clone())
        }
        async fn list_meetings(&self) -> Result<Vec<MeetingSummary>, ControlError> {
            Err(self.0.clone())
        }
        async fn meeting(&self, _: String) -> Result<MeetingView, ControlError> {
            Err(self.0.clone())
        }
        async fn end_meeting(&self, _: String) -> Result<Vec<ParticipantId>, ControlError> {
            Err(self.0.clone())
        }
        async fn participants(&self, _: String) -> Result<Vec<ParticipantView>, ControlError> {
            Err(self.0.clone())
        }
        async fn participant(
            &self,
            _: String,
            _: ParticipantId,
        ) -> Result<ParticipantView, ControlError> {
            Err(self.0.clone())
        }
        async fn breakouts(&self, _: String) -> Result<BreakoutsView, ControlError> {
            Err(self.0.clone())
        }
        async fn command(&self, _: String, _: Actor, _: Command) -> Result<Outcome, ControlError> {
            Err(self.0.clone())
        }
        async fn subscribe(
            &self,
            _: String,
            _: Option<u64>,
        ) -> Result<EventSubscription, ControlError> {
            Err(self.0.clone())
        }
        async fn dial_out(&self, _: String, _: DialOutRequest) -> Result<u64, ControlError> {
            Err(self.0.clone())
        }
    }

    async fn serve(err: ControlError) -> String {
        let state = ApiState {
            control: Refuse(err),
            metrics: ApiMetrics::default(),
            shutdown: CancellationToken::new(),
        };
        let app = router(
            state,
            Tokens::new("unit-test-token-0123", None),
            Arc::new(Registry::default()),
        );
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(l, app).await });
        format!("http://{addr}")
    }

    async fn problem(base: &str, path: &str, body: serde_json::Value) -> Problem {
        reqwest::Client::new()
            .post(format!("{base}{path}"))
            .bearer_auth("unit-test-token-0123")
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn engine_errors_map_to_problems() {
        let base = serve(ControlError::Unavailable).await;
        let p = problem(&base, "/api/v1/meetings", serde_json::json!({"id": "1"})).await;
        assert_eq!(
            (p.status, p.type_.as_str()),
            (503, "/problems/shutting-down")
        );

        let base = serve(ControlError::Storage("disk full".into())).await;
        let p = problem(
            &base,
            "/api/v1/meetings/1/breakouts/open",
            serde_json::json!({}),
        )
        .await;
        assert_eq!(p.status, 500);
        assert!(p.detail.contains("disk full"));

        let base = serve(
            MeetingError::UnknownRoom {
                room: crate::meeting::RoomId(9),
            }
            .into(),
        )
        .await;
        let p = problem(
            &base,
            "/api/v1/meetings/1/participants/2/move",
            serde_json::json!({"room": "9"}),
        )
        .await;
        assert_eq!((p.status, p.field.as_deref()), (404, Some("room")));
    }

    #[tokio::test]
    async fn bad_bodies_never_reach_the_engine() {
        // The fake would answer 503; a 4xx shows the handler refused first.
        let base = serve(ControlError::Unavailable).await;
        let p = problem(
            &base,
            "/api/v1/meetings/1/participants/2/move",
            serde_json::json!({"room": "lobby"}),
        )
        .await;
        assert_eq!((p.status, p.field.as_deref()), (422, Some("room")));
        let p = problem(
            &base,
            "/api/v1/meetings/1/participants/x/move",
            serde_json::json!({"room": "main"}),
        )
        .await;
        assert_eq!((p.status, p.field.as_deref()), (404, Some("participant")));
    }
}
