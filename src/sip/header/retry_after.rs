//! Retry-After (RFC 3261 §20.33): `delta-seconds [comment] *(;param)`.

use std::fmt;

use bytes::Bytes;

use super::{HeaderError, Params, TypedHeader};
use crate::sip::bytes_str::BytesStr;
use crate::sip::lex;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryAfter {
    pub seconds: u32,
    /// The comment including its parentheses.
    pub comment: Option<BytesStr>,
    pub params: Params,
}

impl RetryAfter {
    pub fn new(seconds: u32) -> Self {
        RetryAfter {
            seconds,
            comment: None,
            params: Params::new(),
        }
    }
    pub fn duration(&self) -> Option<u32> {
        self.params.value("duration").and_then(|d| d.parse().ok())
    }
}

impl TypedHeader for RetryAfter {
    fn parse(value: &Bytes) -> Result<Self, HeaderError> {
        let err = HeaderError::Malformed("Retry-After");
        let (s, d) = lex::digits(lex::lws(value)).map_err(|_| err)?;
        // An overflowing value is an error here (RFC 4475 §3.1.2.5 sends one in a response
        // that must be discarded).
        let seconds = lex::parse_u32(d).ok_or(err)?;
        let mut s = lex::lws(s);
        let mut comment = None;
        if s.first() == Some(&b'(') {
            let close = s.iter().position(|&c| c == b')').ok_or(err)?;
            comment = Some(lex::sub_str(value, &s[..close + 1]).ok_or(err)?);
            s = &s[close + 1..];
        }
        let (params, s) = lex::params(value, s).map_err(|_| err)?;
        if !lex::lws(s).is_empty() {
            return Err(err);
        }
        if params.contains("duration")
            && params
                .value("duration")
                .and_then(|d| d.parse::<u32>().ok())
                .is_none()
        {
            return Err(err);
        }
        Ok(RetryAfter {
            seconds,
            comment,
            params,
        })
    }
}

impl fmt::Display for RetryAfter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.seconds)?;
        if let Some(c) = &self.comment {
            write!(f, " {c}")?;
        }
        write!(f, "{}", self.params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::header::round_trip;

    #[test]
    fn seconds_comment_params() {
        let r: RetryAfter = round_trip("120 (I'm in a meeting);duration=60");
        assert_eq!(r.seconds, 120);
        assert_eq!(r.duration(), Some(60));
        assert_eq!(r.comment.as_deref(), Some("(I'm in a meeting)"));
        assert_eq!(round_trip::<RetryAfter>("5"), RetryAfter::new(5));
        assert!(RetryAfter::parse(&Bytes::from_static(b"949302838503028349304023988")).is_err());
    }
}
