//! From and To (RFC 3261 §20.20, §20.39): a name-addr or addr-spec plus header parameters
//! (`tag`). The same shape serves Route, Record-Route, Contact and P-Asserted-Identity.

use std::fmt;

use bytes::Bytes;

use super::{HeaderError, Params, TypedHeader};
use crate::sip::bytes_str::BytesStr;
use crate::sip::lex;
use crate::sip::uri::{NameAddr, Uri};

/// A name-addr / addr-spec with header parameters: `"Alice" <sip:alice@host>;tag=1928301774`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddressHeader {
    pub addr: NameAddr,
    pub params: Params,
}

impl AddressHeader {
    pub fn new(uri: Uri) -> Self {
        AddressHeader {
            addr: NameAddr::new(uri),
            params: Params::new(),
        }
    }
    pub fn uri(&self) -> &Uri {
        &self.addr.uri
    }
    /// The dialog tag (§19.3).
    pub fn tag(&self) -> Option<&str> {
        self.params.value("tag")
    }
    pub fn set_tag(&mut self, tag: impl Into<BytesStr>) {
        self.params.set("tag", Some(tag.into()));
    }
    pub fn with_tag(mut self, tag: impl Into<BytesStr>) -> Self {
        self.set_tag(tag);
        self
    }

    /// Parses a comma-separated list (Route, Record-Route, P-Asserted-Identity), naming
    /// `label` in errors.
    pub fn parse_list_of(value: &Bytes, label: &'static str) -> Result<Vec<Self>, HeaderError> {
        super::parse_comma_list::<AddressHeader>(value, label).map_err(|e| e.relabel(label))
    }

    #[inline(always)]
    pub(crate) fn parse_inner(value: &Bytes) -> Result<Self, ()> {
        let (addr, rest) = NameAddr::parse_in(value, value).map_err(|_| ())?;
        let (params, rest) = lex::params(value, rest)?;
        if !lex::lws(rest).is_empty() {
            return Err(());
        }
        Ok(AddressHeader { addr, params })
    }
}

impl TypedHeader for AddressHeader {
    #[inline(always)]
    fn parse(value: &Bytes) -> Result<Self, HeaderError> {
        Self::parse_inner(value).map_err(|_| HeaderError::Malformed("From/To"))
    }
}

impl fmt::Display for AddressHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.addr, self.params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::header::round_trip;

    #[test]
    fn name_addr_with_tag() {
        let h: AddressHeader = round_trip("\"Room 12\" <sip:room12@127.0.0.1>;tag=a6c85cf");
        assert_eq!(h.tag(), Some("a6c85cf"));
        assert_eq!(h.addr.display_name().as_deref(), Some("Room 12"));
        assert_eq!(h.uri().as_sip().unwrap().user.as_deref(), Some("room12"));
    }

    #[test]
    fn addr_spec_params_belong_to_the_header() {
        let h: AddressHeader = round_trip("sip:caller@127.0.0.1;tag=134161461246");
        assert_eq!(h.tag(), Some("134161461246"));
        assert!(h.uri().as_sip().unwrap().params.is_empty());
        // Printed as a name-addr so the tag cannot be mistaken for a URI parameter.
        assert_eq!(h.to_string(), "<sip:caller@127.0.0.1>;tag=134161461246");
    }

    #[test]
    fn lws_around_params() {
        // RFC 4475 §3.1.1.1, unfolded.
        let b = Bytes::from_static(
            b"\"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>    ;    tag = 98asjd8",
        );
        let h = AddressHeader::parse(&b).unwrap();
        assert_eq!(h.tag(), Some("98asjd8"));
        assert_eq!(h.addr.display.as_deref(), Some("J Rosenberg \\\\\\\""));
    }

    #[test]
    fn set_tag() {
        let mut h = AddressHeader::parse(&Bytes::from_static(b"<sip:1000@127.0.0.1>")).unwrap();
        assert_eq!(h.tag(), None);
        h.set_tag("xyz");
        assert_eq!(h.to_string(), "<sip:1000@127.0.0.1>;tag=xyz");
    }
}
