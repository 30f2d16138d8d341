//! Call-ID (RFC 3261 §20.8): `word [ "@" word ]`.

use std::fmt;

use bytes::Bytes;

use super::{HeaderError, TypedHeader};
use crate::sip::bytes_str::BytesStr;
use crate::sip::lex;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CallId(pub BytesStr);

impl CallId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TypedHeader for CallId {
    fn parse(value: &Bytes) -> Result<Self, HeaderError> {
        let err = HeaderError::Malformed("Call-ID");
        let v = lex::trim(value);
        let (left, right) = match v.iter().position(|&c| c == b'@') {
            Some(k) => (&v[..k], Some(&v[k + 1..])),
            None => (v, None),
        };
        let ok = |w: &[u8]| !w.is_empty() && w.iter().all(|&c| lex::is_word(c));
        if !ok(left) || right.is_some_and(|r| !ok(r)) {
            return Err(err);
        }
        Ok(CallId(lex::sub_str(value, v).ok_or(err)?))
    }
}

impl fmt::Display for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::header::round_trip;

    #[test]
    fn words() {
        let c: CallId = round_trip("a84b4c76e66710@pc33.atlanta.com");
        assert_eq!(c.as_str(), "a84b4c76e66710@pc33.atlanta.com");
        round_trip::<CallId>("intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
        assert!(CallId::parse(&Bytes::from_static(b"a b")).is_err());
        assert!(CallId::parse(&Bytes::from_static(b"")).is_err());
        assert!(CallId::parse(&Bytes::from_static(b"a@b@c")).is_err());
    }
}
