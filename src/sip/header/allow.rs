//! Allow (RFC 3261 §20.5): a comma-separated list of methods (may be empty).

use std::fmt;

use bytes::Bytes;

use super::{HeaderError, TypedHeader};
use crate::sip::lex;
use crate::sip::message::Method;

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Allow(pub Vec<Method>);

impl Allow {
    pub fn contains(&self, m: &Method) -> bool {
        self.0.contains(m)
    }
}

impl TypedHeader for Allow {
    fn parse(value: &Bytes) -> Result<Self, HeaderError> {
        let err = HeaderError::Malformed("Allow");
        if lex::trim(value).is_empty() {
            return Ok(Allow(Vec::new()));
        }
        let mut out = Vec::new();
        for part in lex::split_commas(value) {
            match lex::token(part) {
                Ok(([], m)) => out.push(Method::from_shared(value, m)),
                _ => return Err(err),
            }
        }
        Ok(Allow(out))
    }
}

impl fmt::Display for Allow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (k, m) in self.0.iter().enumerate() {
            if k > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{m}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::header::round_trip;

    #[test]
    fn methods() {
        let a: Allow = round_trip("INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE");
        assert!(a.contains(&Method::Update));
        assert_eq!(a.0.len(), 7);
        assert_eq!(round_trip::<Allow>(""), Allow(vec![]));
        assert!(Allow::parse(&Bytes::from_static(b"INVITE,,BYE")).is_err());
    }
}
