//! Typed SIP headers, decoded on demand from the raw values kept in
//! [`Headers`](crate::sip::message::Headers) (the ezk `sip-types` approach): a path that only
//! reads Via and CSeq never pays for the rest. One file per header, each with a
//! parse → print → parse round-trip test.
//!
//! Decoded values stay zero-copy: their strings are
//! [`BytesStr`](crate::sip::message::BytesStr) slices of the received buffer. The typed
//! accessors (`via()`, `from()`, `cseq()`…) on `Headers`, `Request`, `Response` and `Message`
//! are defined here (`access`), as are the typed builders (`build`), and return
//! `Result<_, HeaderError>`, whose variants name the header so a UAS can answer e.g.
//! "400 Malformed Via".

use std::fmt;

use bytes::Bytes;

use crate::sip::lex;

mod access;
mod allow;
mod auth;
mod build;
mod call_id;
mod contact;
mod content_length;
mod content_type;
mod cseq;
mod date;
mod expires;
mod from_to;
mod max_forwards;
mod option_tags;
mod p_asserted_identity;
mod reason;
mod retry_after;
mod route;
mod server;
mod session_expires;
mod user_agent;
mod via;

pub use allow::Allow;
pub use auth::{AuthHeader, AuthParam};
pub use call_id::CallId;
pub use contact::Contact;
pub use content_length::ContentLength;
pub use content_type::ContentType;
pub use cseq::CSeq;
pub use date::Date;
pub use expires::Expires;
pub use from_to::AddressHeader;
pub use max_forwards::MaxForwards;
pub use option_tags::OptionTags;
pub use reason::Reason;
pub use retry_after::RetryAfter;
pub use server::Server;
pub use session_expires::{MinSe, Refresher, SessionExpires};
pub use user_agent::UserAgent;
pub(crate) use via::parse_first as parse_first_via;
pub use via::{Transport, Via};

// Parameters are shared with URIs, so they live with the lexer both use.
pub use crate::sip::lex::{Param, ParamRef, Params, ParamsIter};

/// What was wrong with a header; allocation-free, names the header (its long form).
#[derive(thiserror::Error, Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderError {
    #[error("missing {0} header")]
    Missing(&'static str),
    #[error("malformed {0} header")]
    Malformed(&'static str),
    /// A single-valued header (From, To, Call-ID, CSeq, Max-Forwards, Content-Length…)
    /// appeared more than once (RFC 3261 §7.3.1; RFC 4475 §3.3.8).
    #[error("more than one {0} header")]
    Multiple(&'static str),
}

impl HeaderError {
    /// The header this error is about.
    pub fn header(&self) -> &'static str {
        match *self {
            HeaderError::Missing(h) | HeaderError::Malformed(h) | HeaderError::Multiple(h) => h,
        }
    }

    /// The same error, about another header (typed parsers shared by several headers report
    /// a generic name; the accessors relabel it).
    pub(crate) fn relabel(self, name: &'static str) -> Self {
        match self {
            HeaderError::Missing(_) => HeaderError::Missing(name),
            HeaderError::Malformed(_) => HeaderError::Malformed(name),
            HeaderError::Multiple(_) => HeaderError::Multiple(name),
        }
    }
}

/// A header with a typed form. `parse` takes one raw value (one header line, unfolded, without
/// the name); `Display` prints the value back (without the name).
pub trait TypedHeader: Sized + fmt::Display {
    /// Parses one element (for list headers: one comma-separated element).
    fn parse(value: &Bytes) -> Result<Self, HeaderError>;

    /// Parses a whole header line of a comma-separated list header (§7.3.1). Single-valued
    /// headers keep the default, which rejects nothing and parses the value as one element.
    fn parse_list(value: &Bytes) -> Result<Vec<Self>, HeaderError> {
        Ok(vec![Self::parse(value)?])
    }

    /// The printed value as `Bytes`.
    fn to_value(&self) -> Bytes {
        Bytes::from(self.to_string())
    }
}

/// Parses every comma-separated element of `value` with `T::parse`; empty elements are errors.
pub(crate) fn parse_comma_list<T: TypedHeader>(
    value: &Bytes,
    label: &'static str,
) -> Result<Vec<T>, HeaderError> {
    let mut out = Vec::new();
    for part in lex::split_commas(value) {
        if part.is_empty() {
            return Err(HeaderError::Malformed(label));
        }
        out.push(T::parse(&lex::sub(value, part))?);
    }
    Ok(out)
}

/// A delta-seconds value (§25.1) that saturates instead of failing: RFC 4475 §3.1.2.4 shows
/// huge Expires values that an element must survive.
pub(crate) fn delta_seconds_saturating(d: &[u8]) -> Option<u32> {
    if d.is_empty() || !d.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(lex::parse_u32(d).unwrap_or(u32::MAX))
}

#[cfg(test)]
pub(crate) fn round_trip<T: TypedHeader + PartialEq + fmt::Debug>(raw: &'static str) -> T {
    let a = T::parse(&Bytes::from_static(raw.as_bytes()))
        .unwrap_or_else(|e| panic!("{raw:?} must parse: {e}"));
    let printed = a.to_string();
    let b = T::parse(&Bytes::from(printed.clone()))
        .unwrap_or_else(|e| panic!("{printed:?} (printed from {raw:?}) must reparse: {e}"));
    assert_eq!(a, b, "round trip of {raw:?} via {printed:?}");
    a
}
