//! Expires (RFC 3261 §20.19): delta-seconds; huge values saturate (RFC 4475 §3.1.2.4).

use std::fmt;

use bytes::Bytes;

use super::{HeaderError, TypedHeader};
use crate::sip::lex;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expires(pub u32);

impl TypedHeader for Expires {
    fn parse(value: &Bytes) -> Result<Self, HeaderError> {
        super::delta_seconds_saturating(lex::trim(value))
            .map(Expires)
            .ok_or(HeaderError::Malformed("Expires"))
    }
}

impl fmt::Display for Expires {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::header::round_trip;

    #[test]
    fn seconds() {
        assert_eq!(round_trip::<Expires>("3600"), Expires(3600));
        assert_eq!(
            Expires::parse(&Bytes::from_static(b"10000000000000000000000000")).unwrap(),
            Expires(u32::MAX)
        );
        assert!(Expires::parse(&Bytes::from_static(b"soon")).is_err());
    }
}
