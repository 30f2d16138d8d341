//! Contact (RFC 3261 §20.10): `*` or a list of addresses with `expires` and `q` parameters.

use std::fmt;

use bytes::Bytes;

use super::{parse_comma_list, AddressHeader, HeaderError, TypedHeader};
use crate::sip::lex;
use crate::sip::uri::Uri;

const NAME: &str = "Contact";

// Nearly every Contact is an address; boxing it would cost an allocation for nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Contact {
    /// `Contact: *` (REGISTER removal of every binding, §10.2.2).
    Wildcard,
    Address(AddressHeader),
}

impl Contact {
    pub fn new(uri: Uri) -> Self {
        Contact::Address(AddressHeader::new(uri))
    }
    pub fn address(&self) -> Option<&AddressHeader> {
        match self {
            Contact::Address(a) => Some(a),
            Contact::Wildcard => None,
        }
    }
    pub fn uri(&self) -> Option<&Uri> {
        self.address().map(|a| a.uri())
    }
    /// `expires` in seconds; huge values saturate.
    pub fn expires(&self) -> Option<u32> {
        self.address()
            .and_then(|a| a.params.value("expires"))
            .and_then(|v| super::delta_seconds_saturating(v.as_bytes()))
    }
    /// `q` as thousandths (0..=1000).
    pub fn q(&self) -> Option<u16> {
        let v = self.address()?.params.value("q")?;
        parse_qvalue(v)
    }
}

/// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in thousandths.
fn parse_qvalue(v: &str) -> Option<u16> {
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    if frac.len() > 3 || !frac.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let mut milli: u16 = frac.parse::<u16>().unwrap_or(0);
    for _ in frac.len()..3 {
        milli *= 10;
    }
    match int {
        "0" => Some(milli),
        "1" if milli == 0 => Some(1000),
        _ => None,
    }
}

impl TypedHeader for Contact {
    fn parse(value: &Bytes) -> Result<Self, HeaderError> {
        if lex::trim(value) == b"*" {
            return Ok(Contact::Wildcard);
        }
        let a = AddressHeader::parse_inner(value).map_err(|_| HeaderError::Malformed(NAME))?;
        if let Some(q) = a.params.value("q") {
            parse_qvalue(q).ok_or(HeaderError::Malformed(NAME))?;
        }
        if let Some(e) = a.params.value("expires") {
            super::delta_seconds_saturating(e.as_bytes()).ok_or(HeaderError::Malformed(NAME))?;
        }
        Ok(Contact::Address(a))
    }
    fn parse_list(value: &Bytes) -> Result<Vec<Self>, HeaderError> {
        parse_comma_list(value, NAME)
    }
}

impl fmt::Display for Contact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Contact::Wildcard => f.write_str("*"),
            Contact::Address(a) => write!(f, "{a}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::header::round_trip;

    #[test]
    fn address_with_expires_and_q() {
        let c: Contact =
            round_trip("\"Room\" <sip:room@127.0.0.1:5062;transport=tcp>;expires=3600;q=0.7");
        assert_eq!(c.expires(), Some(3600));
        assert_eq!(c.q(), Some(700));
        assert_eq!(c.uri().unwrap().as_sip().unwrap().transport(), Some("tcp"));
    }

    #[test]
    fn wildcard() {
        let c: Contact = round_trip("*");
        assert_eq!(c, Contact::Wildcard);
    }

    #[test]
    fn lists_and_lws() {
        let b = Bytes::from_static(
            b"<sip:a@127.0.0.1>;q=1, \"Quoted string \\\"\\\"\" <sip:jdrosen@example.com> ; newparam =  newvalue ; secondparam ; q = 0.33",
        );
        let cs = Contact::parse_list(&b).unwrap();
        assert_eq!(cs.len(), 2);
        assert_eq!(cs[0].q(), Some(1000));
        assert_eq!(cs[1].q(), Some(330));
        assert_eq!(
            cs[1].address().unwrap().params.value("newparam"),
            Some("newvalue")
        );
    }

    #[test]
    fn huge_expires_saturates_and_bad_q_fails() {
        let c = Contact::parse(&Bytes::from_static(b"<sip:u@h>;expires=280297596632815")).unwrap();
        assert_eq!(c.expires(), Some(u32::MAX));
        assert!(Contact::parse(&Bytes::from_static(b"<sip:u@h>;q=2")).is_err());
        assert!(
            Contact::parse_list(&Bytes::from_static(b"\"Joe\" <sip:joe@example.org>;;;;")).is_err()
        );
        assert!(Contact::parse(&Bytes::from_static(
            b"sip:user@example.com?Route=%3Csip:sip.example.com%3E"
        ))
        .is_err());
    }
}
