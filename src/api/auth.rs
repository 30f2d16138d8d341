//! Bearer-token authentication (RFC 6750) and the two access levels.
//!
//! - the **host** token (`api.token`) may do everything;
//! - the **participant** token (`api.participant_token`, optional) may read (GET, including the
//!   event stream) but not manage: any other method answers 403.
//!
//! The token comes in `Authorization: Bearer <token>`; for the WebSocket event stream, which
//! browsers cannot give headers, `?access_token=<token>` is also accepted (RFC 6750 §2.3).
//! Tokens are compared in constant time.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::problem::Problem;

/// What a caller may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Host,
    Participant,
}

/// The accepted tokens.
#[derive(Clone)]
pub struct Tokens {
    host: Arc<str>,
    participant: Option<Arc<str>>,
}

impl Tokens {
    pub fn new(host: impl Into<String>, participant: Option<String>) -> Tokens {
        Tokens {
            host: Arc::from(host.into()),
            participant: participant.map(Arc::from),
        }
    }

    /// The access a presented token grants, if any.
    pub fn check(&self, presented: &str) -> Option<Access> {
        if ct_eq(presented.as_bytes(), self.host.as_bytes()) {
            return Some(Access::Host);
        }
        match &self.participant {
            Some(p) if ct_eq(presented.as_bytes(), p.as_bytes()) => Some(Access::Participant),
            _ => None,
        }
    }
}

/// Constant-time comparison, so response timing does not leak how much of a guess was right.
fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn presented_token(req: &Request) -> Option<String> {
    if let Some(v) = req.headers().get(header::AUTHORIZATION) {
        let v = v.to_str().ok()?;
        let (scheme, token) = v.split_once(' ')?;
        // RFC 7235 §2.1: the scheme is case-insensitive.
        return scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim().to_owned());
    }
    req.uri().query().and_then(|q| {
        q.split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == "access_token")
            .map(|(_, v)| v.to_owned())
    })
}

/// Middleware: 401 without a valid token, 403 for a participant token on a managing method.
/// The granted [`Access`] is left in the request extensions.
pub async fn require_token(State(tokens): State<Tokens>, mut req: Request, next: Next) -> Response {
    let Some(token) = presented_token(&req) else {
        return Problem::unauthorized("missing bearer token (Authorization: Bearer <token>)")
            .into_response();
    };
    let Some(access) = tokens.check(&token) else {
        return Problem::unauthorized("invalid bearer token").into_response();
    };
    let reads = matches!(*req.method(), Method::GET | Method::HEAD);
    if access == Access::Participant && !reads {
        return Problem::forbidden("a participant token may read but not manage meetings")
            .into_response();
    }
    req.extensions_mut().insert(access);
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels() {
        let t = Tokens::new("hosthosthosthost", Some("partpartpartpart".into()));
        assert_eq!(t.check("hosthosthosthost"), Some(Access::Host));
        assert_eq!(t.check("partpartpartpart"), Some(Access::Participant));
        assert_eq!(t.check("hosthosthosthos"), None);
        assert_eq!(t.check(""), None);
        let t = Tokens::new("hosthosthosthost", None);
        assert_eq!(t.check("partpartpartpart"), None);
    }
}
