//! Content-Type (RFC 3261 §20.15): `type/subtype *(;param)`.

use std::fmt;

use bytes::Bytes;

use super::{HeaderError, Params, TypedHeader};
use crate::sip::bytes_str::BytesStr;
use crate::sip::lex;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContentType {
    pub mtype: BytesStr,
    pub subtype: BytesStr,
    pub params: Params,
}

impl ContentType {
    pub fn new(mtype: &'static str, subtype: &'static str) -> Self {
        ContentType {
            mtype: mtype.into(),
            subtype: subtype.into(),
            params: Params::new(),
        }
    }
    /// Media types compare case-insensitively (RFC 2045 §5.1).
    pub fn is(&self, mtype: &str, subtype: &str) -> bool {
        self.mtype.eq_ignore_ascii_case(mtype) && self.subtype.eq_ignore_ascii_case(subtype)
    }
    pub fn is_sdp(&self) -> bool {
        self.is("application", "sdp")
    }
}

impl TypedHeader for ContentType {
    fn parse(value: &Bytes) -> Result<Self, HeaderError> {
        let err = HeaderError::Malformed("Content-Type");
        let s = lex::lws(value);
        let (s, t) = lex::token(s).map_err(|_| err)?;
        let s = lex::lws(lex::expect(s, b'/').map_err(|_| err)?);
        let (s, st) = lex::token(s).map_err(|_| err)?;
        let (params, s) = lex::params(value, s).map_err(|_| err)?;
        if !lex::lws(s).is_empty() {
            return Err(err);
        }
        Ok(ContentType {
            mtype: lex::sub_str(value, t).ok_or(err)?,
            subtype: lex::sub_str(value, st).ok_or(err)?,
            params,
        })
    }
}

impl fmt::Display for ContentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}{}", self.mtype, self.subtype, self.params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::header::round_trip;

    #[test]
    fn type_subtype_params() {
        let c: ContentType = round_trip("multipart/mixed;boundary=unique-boundary-1");
        assert!(c.is("Multipart", "MIXED"));
        assert_eq!(c.params.value("boundary"), Some("unique-boundary-1"));
        let c: ContentType = round_trip("application/sdp");
        assert!(c.is_sdp());
        let c: ContentType = round_trip("text/plain;charset=\"utf-8\"");
        assert_eq!(
            c.params.get("charset").unwrap().unquoted().as_deref(),
            Some("utf-8")
        );
        assert!(ContentType::parse(&Bytes::from_static(b"application")).is_err());
        assert!(ContentType::parse(&Bytes::from_static(b"application/sdp garbage")).is_err());
    }
}
