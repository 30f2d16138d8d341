//! Max-Forwards (RFC 3261 §20.22): 0..=255.

use std::fmt;

use bytes::Bytes;

use super::{HeaderError, TypedHeader};
use crate::sip::lex;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaxForwards(pub u8);

impl TypedHeader for MaxForwards {
    fn parse(value: &Bytes) -> Result<Self, HeaderError> {
        lex::parse_u32(lex::trim(value))
            .and_then(|n| u8::try_from(n).ok())
            .map(MaxForwards)
            .ok_or(HeaderError::Malformed("Max-Forwards"))
    }
}

impl fmt::Display for MaxForwards {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::header::round_trip;

    #[test]
    fn range() {
        assert_eq!(round_trip::<MaxForwards>("70"), MaxForwards(70));
        assert_eq!(
            MaxForwards::parse(&Bytes::from_static(b"0068")).unwrap(),
            MaxForwards(68)
        );
        assert!(MaxForwards::parse(&Bytes::from_static(b"300")).is_err());
        assert!(MaxForwards::parse(&Bytes::from_static(b"seventy")).is_err());
    }
}
