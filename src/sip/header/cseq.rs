//! CSeq (RFC 3261 §20.16): sequence number and method.

use std::fmt;

use bytes::Bytes;

use super::{HeaderError, TypedHeader};
use crate::sip::lex;
use crate::sip::message::Method;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CSeq {
    /// Less than 2**31 (§8.1.1.5; RFC 4475 §3.1.2.4).
    pub seq: u32,
    pub method: Method,
}

impl CSeq {
    pub fn new(seq: u32, method: Method) -> Self {
        CSeq { seq, method }
    }
}

impl TypedHeader for CSeq {
    fn parse(value: &Bytes) -> Result<Self, HeaderError> {
        let err = HeaderError::Malformed("CSeq");
        let s = lex::lws(value);
        let (s, d) = lex::digits(s).map_err(|_| err)?;
        let seq = lex::parse_u32(d).filter(|&n| n < 1 << 31).ok_or(err)?;
        let r = lex::lws(s);
        if r.len() == s.len() {
            return Err(err);
        }
        let (r, m) = lex::token(r).map_err(|_| err)?;
        if !lex::lws(r).is_empty() {
            return Err(err);
        }
        Ok(CSeq {
            seq,
            method: Method::from_shared(value, m),
        })
    }
}

impl fmt::Display for CSeq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.seq, self.method)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::header::round_trip;

    #[test]
    fn seq_and_method() {
        let c: CSeq = round_trip("4711 INVITE");
        assert_eq!(c, CSeq::new(4711, Method::Invite));
        let c = CSeq::parse(&Bytes::from_static(b"0009  INVITE")).unwrap();
        assert_eq!(c.seq, 9);
        let c: CSeq = round_trip("29344 RE%47IST%45R");
        assert!(matches!(c.method, Method::Extension(_)));
    }

    #[test]
    fn limits() {
        assert!(CSeq::parse(&Bytes::from_static(b"2147483647 BYE")).is_ok());
        for bad in [
            "2147483648 BYE",
            "36893488147419103232 REGISTER",
            "1",
            "INVITE",
            "1INVITE",
            "-1 BYE",
        ] {
            assert!(
                CSeq::parse(&Bytes::from_static(bad.as_bytes())).is_err(),
                "{bad}"
            );
        }
    }
}
