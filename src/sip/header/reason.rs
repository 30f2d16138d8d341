//! Reason (RFC 3326 §2): `protocol ;cause=N ;text="…"`, comma-separated.

use std::fmt;

use bytes::Bytes;

use super::{parse_comma_list, HeaderError, Params, TypedHeader};
use crate::sip::bytes_str::BytesStr;
use crate::sip::lex;

const NAME: &str = "Reason";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reason {
    /// "SIP", "Q.850" or an extension token.
    pub protocol: BytesStr,
    pub params: Params,
}

impl Reason {
    /// `Reason: SIP ;cause=404 ;text="Meeting not found"` — what a caller's screen can show.
    pub fn new(protocol: &'static str, cause: u16, text: &str) -> Self {
        let mut params = Params::new();
        params.push("cause", Some(BytesStr::from(cause.to_string())));
        params.push("text", Some(BytesStr::from(lex::quote(text))));
        Reason {
            protocol: protocol.into(),
            params,
        }
    }
    pub fn cause(&self) -> Option<u16> {
        self.params.value("cause").and_then(|c| c.parse().ok())
    }
    pub fn text(&self) -> Option<std::borrow::Cow<'_, str>> {
        self.params.get("text").and_then(|p| p.unquoted())
    }
}

impl TypedHeader for Reason {
    fn parse(value: &Bytes) -> Result<Self, HeaderError> {
        let err = HeaderError::Malformed(NAME);
        let (s, p) = lex::token(lex::lws(value)).map_err(|_| err)?;
        let (params, s) = lex::params(value, s).map_err(|_| err)?;
        if !lex::lws(s).is_empty() {
            return Err(err);
        }
        let r = Reason {
            protocol: lex::sub_str(value, p).ok_or(err)?,
            params,
        };
        if r.params.contains("cause") && r.cause().is_none() {
            return Err(err);
        }
        Ok(r)
    }
    fn parse_list(value: &Bytes) -> Result<Vec<Self>, HeaderError> {
        parse_comma_list(value, NAME)
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.protocol, self.params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::header::round_trip;

    #[test]
    fn protocol_cause_text() {
        let r: Reason = round_trip("SIP ;cause=200 ;text=\"Call completed elsewhere\"");
        assert_eq!(&*r.protocol, "SIP");
        assert_eq!(r.cause(), Some(200));
        assert_eq!(r.text().as_deref(), Some("Call completed elsewhere"));
        let r = Reason::new("SIP", 403, "Wrong \"passcode\"");
        let back = Reason::parse(&Bytes::from(r.to_string())).unwrap();
        assert_eq!(back.text().as_deref(), Some("Wrong \"passcode\""));
        let rs = Reason::parse_list(&Bytes::from_static(b"Q.850;cause=16, SIP;cause=487")).unwrap();
        assert_eq!(rs.len(), 2);
        assert!(Reason::parse(&Bytes::from_static(b"SIP;cause=abc")).is_err());
    }
}
