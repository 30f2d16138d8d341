//! Prometheus metrics served at `GET /metrics` (OpenMetrics text exposition via
//! prometheus-client). Other layers register their own metrics in the same [`Registry`] before
//! the server starts; this module owns the API's and the meeting gauges.

use std::sync::Arc;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: String,
    /// The route template (`/api/v1/meetings/{id}`), never the raw path: bounded cardinality.
    pub route: String,
    pub status: u16,
}

/// The API's metrics and the meeting gauges the engine keeps current.
#[derive(Clone, Default)]
pub struct ApiMetrics {
    pub requests: Family<RequestLabels, Counter>,
    /// Meetings that exist (scheduled or running).
    pub meetings: Gauge,
    /// Participants attached, over all meetings.
    pub participants: Gauge,
    /// Breakout rooms that are open (or closing), over all meetings.
    pub open_rooms: Gauge,
    /// Event-stream WebSocket connections.
    pub event_streams: Gauge,
}

impl ApiMetrics {
    /// Creates the metrics and registers them under `roomgate_`.
    pub fn register(registry: &mut Registry) -> ApiMetrics {
        let m = ApiMetrics::default();
        registry.register(
            "roomgate_api_requests",
            "API requests by method, route and status",
            m.requests.clone(),
        );
        registry.register(
            "roomgate_meetings",
            "Meetings that exist",
            m.meetings.clone(),
        );
        registry.register(
            "roomgate_participants",
            "Participants attached to a meeting",
            m.participants.clone(),
        );
        registry.register(
            "roomgate_breakout_rooms_open",
            "Breakout rooms open or closing",
            m.open_rooms.clone(),
        );
        registry.register(
            "roomgate_api_event_streams",
            "Open event-stream WebSocket connections",
            m.event_streams.clone(),
        );
        m
    }
}

/// Counts every request by its matched route (middleware).
pub async fn count_requests(
    State(metrics): State<ApiMetrics>,
    req: Request,
    next: Next,
) -> Response {
    let method = req.method().as_str().to_owned();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let res = next.run(req).await;
    tracing::debug!(%method, %route, status = res.status().as_u16(), "api request");
    metrics
        .requests
        .get_or_create(&RequestLabels {
            method,
            route,
            status: res.status().as_u16(),
        })
        .inc();
    res
}

/// `GET /metrics`.
pub async fn serve_metrics(State(registry): State<Arc<Registry>>) -> Response {
    let mut body = String::new();
    match prometheus_client::encoding::text::encode(&mut body, &registry) {
        Ok(()) => {
            let mut res = body.into_response();
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                ),
            );
            res
        }
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}
