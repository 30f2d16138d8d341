//! Header names (RFC 3261 §7.3), compact forms folded onto the long form.

use bytes::Bytes;

use crate::sip::lex;

/// A header name, with compact forms (RFC 3261 §7.3.3) folded onto the long form so lookups
/// need not care which one the peer used. Names compare case-insensitively (§7.3.1).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum HeaderName {
    Via,
    From,
    To,
    CallId,
    CSeq,
    Contact,
    MaxForwards,
    ContentLength,
    ContentType,
    ContentEncoding,
    Route,
    RecordRoute,
    Allow,
    Supported,
    Require,
    ProxyRequire,
    Unsupported,
    SessionExpires,
    MinSe,
    UserAgent,
    Server,
    Reason,
    WwwAuthenticate,
    Authorization,
    ProxyAuthenticate,
    ProxyAuthorization,
    Expires,
    Accept,
    Event,
    ReferTo,
    RetryAfter,
    PAssertedIdentity,
    Date,
    /// Any other header; the name as received.
    Other(Bytes),
}

impl HeaderName {
    /// Case-insensitive lookup, compact forms included (§7.3.3, and RFC 4028 `x`).
    pub fn from_bytes(b: &[u8]) -> HeaderName {
        HeaderName::known(b).unwrap_or_else(|| HeaderName::Other(Bytes::copy_from_slice(b)))
    }

    /// Like [`HeaderName::from_bytes`] but an extension name shares `src` (`b` must be a
    /// slice of `src`). The parser's hot path: no allocation, no table scan.
    #[inline]
    pub fn from_shared(src: &Bytes, b: &[u8]) -> HeaderName {
        HeaderName::known(b).unwrap_or_else(|| HeaderName::Other(lex::sub(src, b)))
    }

    // Inlined: returned through memory, the 40-byte Option stalls store forwarding in the caller.
    #[inline(always)]
    fn known(b: &[u8]) -> Option<HeaderName> {
        // Dispatch on length and first letter, then one case-insensitive compare: this runs for
        // every header line of every message.
        let is = |name: &str| b.eq_ignore_ascii_case(name.as_bytes());
        let first = b.first()?.to_ascii_lowercase();
        Some(match (b.len(), first) {
            (1, _) => match first {
                b'v' => HeaderName::Via,
                b'f' => HeaderName::From,
                b't' => HeaderName::To,
                b'i' => HeaderName::CallId,
                b'm' => HeaderName::Contact,
                b'l' => HeaderName::ContentLength,
                b'c' => HeaderName::ContentType,
                b'e' => HeaderName::ContentEncoding,
                b'k' => HeaderName::Supported,
                b'x' => HeaderName::SessionExpires,
                b'o' => HeaderName::Event,
                b'r' => HeaderName::ReferTo,
                _ => return None,
            },
            (2, b't') if is("to") => HeaderName::To,
            (3, b'v') if is("via") => HeaderName::Via,
            (4, b'f') if is("from") => HeaderName::From,
            (4, b'c') if is("cseq") => HeaderName::CSeq,
            (4, b'd') if is("date") => HeaderName::Date,
            (5, b'r') if is("route") => HeaderName::Route,
            (5, b'a') if is("allow") => HeaderName::Allow,
            (5, b'e') if is("event") => HeaderName::Event,
            (6, b's') if is("server") => HeaderName::Server,
            (6, b'r') if is("reason") => HeaderName::Reason,
            (6, b'm') if is("min-se") => HeaderName::MinSe,
            (6, b'a') if is("accept") => HeaderName::Accept,
            (7, b'c') if is("call-id") => HeaderName::CallId,
            (7, b'c') if is("contact") => HeaderName::Contact,
            (7, b'r') if is("require") => HeaderName::Require,
            (7, b'e') if is("expires") => HeaderName::Expires,
            (8, b'r') if is("refer-to") => HeaderName::ReferTo,
            (9, b's') if is("supported") => HeaderName::Supported,
            (10, b'u') if is("user-agent") => HeaderName::UserAgent,
            (11, b'u') if is("unsupported") => HeaderName::Unsupported,
            (11, b'r') if is("retry-after") => HeaderName::RetryAfter,
            (12, b'm') if is("max-forwards") => HeaderName::MaxForwards,
            (12, b'c') if is("content-type") => HeaderName::ContentType,
            (12, b'r') if is("record-route") => HeaderName::RecordRoute,
            (13, b'a') if is("authorization") => HeaderName::Authorization,
            (13, b'p') if is("proxy-require") => HeaderName::ProxyRequire,
            (14, b'c') if is("content-length") => HeaderName::ContentLength,
            (15, b's') if is("session-expires") => HeaderName::SessionExpires,
            (16, b'c') if is("content-encoding") => HeaderName::ContentEncoding,
            (16, b'w') if is("www-authenticate") => HeaderName::WwwAuthenticate,
            (18, b'p') if is("proxy-authenticate") => HeaderName::ProxyAuthenticate,
            (19, b'p') if is("proxy-authorization") => HeaderName::ProxyAuthorization,
            (19, b'p') if is("p-asserted-identity") => HeaderName::PAssertedIdentity,
            _ => return None,
        })
    }

    /// The long form as a `'static` name (extension headers give "extension"), for errors.
    pub fn static_name(&self) -> &'static str {
        match self {
            HeaderName::Via => "Via",
            HeaderName::From => "From",
            HeaderName::To => "To",
            HeaderName::CallId => "Call-ID",
            HeaderName::CSeq => "CSeq",
            HeaderName::Contact => "Contact",
            HeaderName::MaxForwards => "Max-Forwards",
            HeaderName::ContentLength => "Content-Length",
            HeaderName::ContentType => "Content-Type",
            HeaderName::ContentEncoding => "Content-Encoding",
            HeaderName::Route => "Route",
            HeaderName::RecordRoute => "Record-Route",
            HeaderName::Allow => "Allow",
            HeaderName::Supported => "Supported",
            HeaderName::Require => "Require",
            HeaderName::ProxyRequire => "Proxy-Require",
            HeaderName::Unsupported => "Unsupported",
            HeaderName::SessionExpires => "Session-Expires",
            HeaderName::MinSe => "Min-SE",
            HeaderName::UserAgent => "User-Agent",
            HeaderName::Server => "Server",
            HeaderName::Reason => "Reason",
            HeaderName::WwwAuthenticate => "WWW-Authenticate",
            HeaderName::Authorization => "Authorization",
            HeaderName::ProxyAuthenticate => "Proxy-Authenticate",
            HeaderName::ProxyAuthorization => "Proxy-Authorization",
            HeaderName::Expires => "Expires",
            HeaderName::Accept => "Accept",
            HeaderName::Event => "Event",
            HeaderName::ReferTo => "Refer-To",
            HeaderName::RetryAfter => "Retry-After",
            HeaderName::PAssertedIdentity => "P-Asserted-Identity",
            HeaderName::Date => "Date",
            HeaderName::Other(_) => "extension",
        }
    }

    /// The long form we print.
    pub fn as_str(&self) -> &str {
        match self {
            // Extension names are tokens (ASCII) by the grammar; the parser guarantees it.
            HeaderName::Other(b) => std::str::from_utf8(b).unwrap_or("X-Invalid"),
            known => known.static_name(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_forms_fold_onto_long_names() {
        assert_eq!(HeaderName::from_bytes(b"v"), HeaderName::Via);
        assert_eq!(HeaderName::from_bytes(b"VIA"), HeaderName::Via);
        assert_eq!(HeaderName::from_bytes(b"i"), HeaderName::CallId);
        assert_eq!(HeaderName::from_bytes(b"x"), HeaderName::SessionExpires);
        assert_eq!(
            HeaderName::from_bytes(b"X-Custom"),
            HeaderName::Other(Bytes::from_static(b"X-Custom"))
        );
    }

    #[test]
    fn every_long_name_is_known_in_any_case() {
        let all = [
            HeaderName::Via,
            HeaderName::From,
            HeaderName::To,
            HeaderName::CallId,
            HeaderName::CSeq,
            HeaderName::Contact,
            HeaderName::MaxForwards,
            HeaderName::ContentLength,
            HeaderName::ContentType,
            HeaderName::ContentEncoding,
            HeaderName::Route,
            HeaderName::RecordRoute,
            HeaderName::Allow,
            HeaderName::Supported,
            HeaderName::Require,
            HeaderName::ProxyRequire,
            HeaderName::Unsupported,
            HeaderName::SessionExpires,
            HeaderName::MinSe,
            HeaderName::UserAgent,
            HeaderName::Server,
            HeaderName::Reason,
            HeaderName::WwwAuthenticate,
            HeaderName::Authorization,
            HeaderName::ProxyAuthenticate,
            HeaderName::ProxyAuthorization,
            HeaderName::Expires,
            HeaderName::Accept,
            HeaderName::Event,
            HeaderName::ReferTo,
            HeaderName::RetryAfter,
            HeaderName::PAssertedIdentity,
            HeaderName::Date,
        ];
        for h in all {
            assert_eq!(HeaderName::from_bytes(h.as_str().as_bytes()), h);
            assert_eq!(
                HeaderName::from_bytes(h.as_str().to_uppercase().as_bytes()),
                h
            );
        }
        assert!(matches!(
            HeaderName::from_bytes(b"C%6Fntact"),
            HeaderName::Other(_)
        ));
        assert!(matches!(HeaderName::from_bytes(b""), HeaderName::Other(_)));
    }
}
