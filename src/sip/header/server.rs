//! Server (RFC 3261 §20.35): the same grammar as User-Agent.

use std::fmt;

use bytes::Bytes;

use super::user_agent::parse_product_text;
use super::{HeaderError, TypedHeader};
use crate::sip::bytes_str::BytesStr;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Server(pub BytesStr);

impl TypedHeader for Server {
    fn parse(value: &Bytes) -> Result<Self, HeaderError> {
        parse_product_text(value, "Server").map(Server)
    }
}

impl fmt::Display for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::header::round_trip;

    #[test]
    fn product() {
        let s: Server = round_trip("roomgate/0.1.0");
        assert_eq!(&*s.0, "roomgate/0.1.0");
        assert!(Server::parse(&Bytes::from_static(b"a//b")).is_err());
    }
}
