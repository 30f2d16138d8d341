//! RFC 9457 problem details: every 4xx/5xx the API sends is `application/problem+json` with
//! `type`, `title`, `status`, `detail` and, when one field is to blame, `field`.
//!
//! `type` is a relative URI reference `/problems/<code>` (RFC 9457 §3.1.1 allows it); the codes
//! are listed in docs/api.md.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::ControlError;
use crate::meeting::MeetingError;

/// A problem details object (RFC 9457 §3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Problem {
        Problem {
            type_: format!("/problems/{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            field: None,
        }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Problem {
        self.field = Some(field.into());
        self
    }

    pub fn unauthorized(detail: &str) -> Problem {
        Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }

    pub fn forbidden(detail: &str) -> Problem {
        Problem::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    pub fn not_found(code: &str, field: &str, detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, code, detail).with_field(field)
    }

    pub fn invalid(field: &str, detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid-value", detail).with_field(field)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = (status, axum::Json(&self)).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::UNAUTHORIZED {
            // RFC 6750 §3: tell the client which scheme to use.
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"roomgate\""),
            );
        }
        res
    }
}

impl From<MeetingError> for Problem {
    fn from(e: MeetingError) -> Problem {
        let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::CONFLICT);
        let p = Problem::new(status, e.code(), e.to_string());
        match e.field() {
            Some(f) => p.with_field(f),
            None => p,
        }
    }
}

impl From<ControlError> for Problem {
    fn from(e: ControlError) -> Problem {
        match e {
            ControlError::Meeting(m) => m.into(),
            ControlError::Unavailable => Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "shutting-down",
                "roomgate is shutting down",
            ),
            ControlError::Storage(s) => Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "storage",
                format!("the change was applied but could not be stored: {s}"),
            ),
            ControlError::Invalid { field, detail } => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-field",
                format!("{field}: {detail}"),
            )
            .with_field(field),
        }
    }
}

/// Where serde's message says which field is wrong, pull its name out: serde_path_to_error
/// (which axum uses) prefixes the path (`options.countdown_s: invalid type…`); a missing or
/// unknown field is named inside the message at the root (`.: missing field `count``).
fn field_of(msg: &str) -> Option<String> {
    let (path, rest) = match msg.split_once(": ") {
        Some((path, rest)) if !path.is_empty() && !path.contains(' ') => (path, rest),
        // At the root there is no path prefix.
        _ => (".", msg),
    };
    for marker in ["missing field `", "unknown field `"] {
        if let Some(i) = rest.find(marker) {
            let tail = &rest[i + marker.len()..];
            if let Some(end) = tail.find('`') {
                let inner = &tail[..end];
                // For an unknown field the path already ends with it.
                let last = path.rsplit('.').next().unwrap_or(path);
                return Some(if path == "." {
                    inner.to_owned()
                } else if last == inner {
                    path.to_owned()
                } else {
                    format!("{path}.{inner}")
                });
            }
        }
    }
    (path != ".").then(|| path.to_owned())
}

fn json_rejection(r: JsonRejection) -> Problem {
    match r {
        JsonRejection::JsonDataError(e) => {
            // body_text: "Failed to deserialize the JSON body into the target type: <path>: <why>"
            let text = e.body_text();
            let inner = text
                .split_once("target type: ")
                .map(|(_, t)| t.to_owned())
                .unwrap_or(text);
            let p = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid-body", &inner);
            match field_of(&inner) {
                Some(f) => p.with_field(f),
                None => p,
            }
        }
        JsonRejection::JsonSyntaxError(e) => Problem::new(
            StatusCode::BAD_REQUEST,
            "malformed-json",
            e.body_text().replace(
                "Failed to parse the request body as JSON: ",
                "malformed JSON: ",
            ),
        )
        .with_field("body"),
        JsonRejection::MissingJsonContentType(_) => Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "content-type",
            "expected Content-Type: application/json",
        )
        .with_field("Content-Type"),
        other => {
            Problem::new(StatusCode::BAD_REQUEST, "bad-body", other.body_text()).with_field("body")
        }
    }
}

/// `axum::Json` with rejections as problem details naming the field.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(r) => Err(json_rejection(r)),
        }
    }
}

/// `axum::extract::Query` with problem-details rejections.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(r) => {
                let text = match &r {
                    QueryRejection::FailedToDeserializeQueryString(e) => e.body_text(),
                    other => other.body_text(),
                };
                let p = Problem::new(StatusCode::BAD_REQUEST, "bad-query", &text);
                let field = text
                    .rsplit_once(": ")
                    .and_then(|(_, why)| field_of(&format!(".: {why}")));
                Err(match field {
                    Some(f) => p.with_field(f),
                    None => p,
                })
            }
        }
    }
}

/// `axum::extract::Path` with problem-details rejections.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(ApiPath(v)),
            Err(r) => {
                let text = match &r {
                    PathRejection::FailedToDeserializePathParams(e) => e.body_text(),
                    other => other.body_text(),
                };
                Err(Problem::new(StatusCode::NOT_FOUND, "bad-path", text))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_from_serde_messages() {
        assert_eq!(
            field_of("count: invalid type: string \"x\", expected u32 at line 1 column 14"),
            Some("count".into())
        );
        assert_eq!(
            field_of("options.countdown_s: invalid value"),
            Some("options.countdown_s".into())
        );
        assert_eq!(
            field_of(".: missing field `count` at line 1 column 2"),
            Some("count".into())
        );
        assert_eq!(
            field_of("options.colour: unknown field `colour`, expected one of …"),
            Some("options.colour".into())
        );
        assert_eq!(
            field_of("missing field `count` at line 1 column 17"),
            Some("count".into())
        );
        assert_eq!(field_of("something else entirely"), None);
    }

    #[test]
    fn meeting_errors_keep_status_code_and_field() {
        let p: Problem = MeetingError::CountOutOfRange { count: 0, max: 100 }.into();
        assert_eq!(p.status, 422);
        assert_eq!(p.field.as_deref(), Some("count"));
        assert_eq!(p.type_, "/problems/count-out-of-range");
    }
}
