//! Session-Expires and Min-SE (RFC 4028 §4, §5).

use std::fmt;

use bytes::Bytes;

use super::{HeaderError, Params, TypedHeader};
use crate::sip::bytes_str::BytesStr;
use crate::sip::lex;

/// Who refreshes the session (RFC 4028 §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refresher {
    Uac,
    Uas,
}

impl Refresher {
    pub fn as_str(self) -> &'static str {
        match self {
            Refresher::Uac => "uac",
            Refresher::Uas => "uas",
        }
    }
}

/// `Session-Expires: 1800;refresher=uac`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionExpires {
    pub interval: u32,
    pub params: Params,
}

impl SessionExpires {
    pub fn new(interval: u32, refresher: Option<Refresher>) -> Self {
        let mut params = Params::new();
        if let Some(r) = refresher {
            params.push("refresher", Some(BytesStr::from_static(r.as_str())));
        }
        SessionExpires { interval, params }
    }
    /// The refresher (values other than uac/uas are rejected at parse time).
    pub fn refresher(&self) -> Option<Refresher> {
        match self.params.value("refresher")? {
            r if r.eq_ignore_ascii_case("uac") => Some(Refresher::Uac),
            r if r.eq_ignore_ascii_case("uas") => Some(Refresher::Uas),
            _ => None,
        }
    }
    pub fn set_refresher(&mut self, r: Refresher) {
        self.params
            .set("refresher", Some(BytesStr::from_static(r.as_str())));
    }
}

fn delta_and_params(value: &Bytes, name: &'static str) -> Result<(u32, Params), HeaderError> {
    let err = HeaderError::Malformed(name);
    let (s, d) = lex::digits(lex::lws(value)).map_err(|_| err)?;
    let n = super::delta_seconds_saturating(d).ok_or(err)?;
    let (params, s) = lex::params(value, s).map_err(|_| err)?;
    if !lex::lws(s).is_empty() {
        return Err(err);
    }
    Ok((n, params))
}

impl TypedHeader for SessionExpires {
    fn parse(value: &Bytes) -> Result<Self, HeaderError> {
        let (interval, params) = delta_and_params(value, "Session-Expires")?;
        let se = SessionExpires { interval, params };
        if se.params.contains("refresher") && se.refresher().is_none() {
            return Err(HeaderError::Malformed("Session-Expires"));
        }
        Ok(se)
    }
}

impl fmt::Display for SessionExpires {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.interval, self.params)
    }
}

/// `Min-SE: 90` (RFC 4028 §5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MinSe {
    pub interval: u32,
    pub params: Params,
}

impl MinSe {
    pub fn new(interval: u32) -> Self {
        MinSe {
            interval,
            params: Params::new(),
        }
    }
}

impl TypedHeader for MinSe {
    fn parse(value: &Bytes) -> Result<Self, HeaderError> {
        let (interval, params) = delta_and_params(value, "Min-SE")?;
        Ok(MinSe { interval, params })
    }
}

impl fmt::Display for MinSe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.interval, self.params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::header::round_trip;

    #[test]
    fn session_expires() {
        let se: SessionExpires = round_trip("1800;refresher=uac");
        assert_eq!(se.interval, 1800);
        assert_eq!(se.refresher(), Some(Refresher::Uac));
        let se: SessionExpires = round_trip("90");
        assert_eq!(se.refresher(), None);
        assert_eq!(
            SessionExpires::new(600, Some(Refresher::Uas)).to_string(),
            "600;refresher=uas"
        );
        assert!(SessionExpires::parse(&Bytes::from_static(b"1800;refresher=proxy")).is_err());
        assert!(SessionExpires::parse(&Bytes::from_static(b"soon")).is_err());
    }

    #[test]
    fn min_se() {
        let m: MinSe = round_trip("90");
        assert_eq!(m.interval, 90);
        assert!(MinSe::parse(&Bytes::from_static(b"")).is_err());
    }
}
