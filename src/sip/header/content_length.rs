//! Content-Length (RFC 3261 §20.14).

use std::fmt;

use bytes::Bytes;

use super::{HeaderError, TypedHeader};
use crate::sip::lex;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContentLength(pub u32);

impl TypedHeader for ContentLength {
    fn parse(value: &Bytes) -> Result<Self, HeaderError> {
        lex::parse_u32(lex::trim(value))
            .map(ContentLength)
            .ok_or(HeaderError::Malformed("Content-Length"))
    }
}

impl fmt::Display for ContentLength {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::header::round_trip;

    #[test]
    fn digits_only() {
        assert_eq!(round_trip::<ContentLength>("150"), ContentLength(150));
        assert!(ContentLength::parse(&Bytes::from_static(b"-999")).is_err());
        assert!(ContentLength::parse(&Bytes::from_static(b"12 3")).is_err());
    }
}
