//! Supported, Require, Unsupported and Proxy-Require (RFC 3261 §20.37, §20.32, §20.40,
//! §20.29): comma-separated option tags (Supported may be empty).

use std::fmt;

use bytes::Bytes;

use super::{HeaderError, TypedHeader};
use crate::sip::bytes_str::BytesStr;
use crate::sip::lex;

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct OptionTags(pub Vec<BytesStr>);

impl OptionTags {
    /// Compared exactly: registered option tags are lower-case tokens (RFC 3261 §19.2).
    pub fn contains(&self, tag: &str) -> bool {
        self.0.iter().any(|t| t.as_str() == tag)
    }
}

impl TypedHeader for OptionTags {
    fn parse(value: &Bytes) -> Result<Self, HeaderError> {
        let err = HeaderError::Malformed("option-tag");
        if lex::trim(value).is_empty() {
            return Ok(OptionTags(Vec::new()));
        }
        let mut out = Vec::new();
        for part in lex::split_commas(value) {
            match lex::token(part) {
                Ok(([], t)) => out.push(lex::sub_str(value, t).ok_or(err)?),
                _ => return Err(err),
            }
        }
        Ok(OptionTags(out))
    }
}

impl fmt::Display for OptionTags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (k, t) in self.0.iter().enumerate() {
            if k > 0 {
                f.write_str(", ")?;
            }
            f.write_str(t)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::header::round_trip;

    #[test]
    fn tags() {
        let t: OptionTags = round_trip("timer, 100rel, replaces");
        assert!(t.contains("timer"));
        assert!(!t.contains("path"));
        assert_eq!(round_trip::<OptionTags>("").0.len(), 0);
        assert!(OptionTags::parse(&Bytes::from_static(b"timer 100rel")).is_err());
    }
}
