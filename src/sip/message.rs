//! The SIP message model shared by the codec, transactions and dialogs.
//!
//! Zero-copy: header values are `Bytes` slices of the received buffer (folded values are the
//! rare exception and are copied once, unfolded). Typed headers are decoded on demand from the
//! raw values (see [`crate::sip::header`]), so a proxy-like path that only reads Via and CSeq
//! never pays for the rest.

use bytes::Bytes;
use std::fmt;

/// A request method (RFC 3261 §7.1). Unknown methods are kept as extension methods (§8.2.1
/// answers them with 405 at the UAS).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    Invite,
    Ack,
    Bye,
    Cancel,
    Options,
    Register,
    Info,
    Update,
    Prack,
    Message,
    Refer,
    Notify,
    Subscribe,
    Extension(Bytes),
}

impl Method {
    /// Methods are case-sensitive (RFC 3261 §7.1).
    pub fn from_bytes(b: &[u8]) -> Method {
        match b {
            b"INVITE" => Method::Invite,
            b"ACK" => Method::Ack,
            b"BYE" => Method::Bye,
            b"CANCEL" => Method::Cancel,
            b"OPTIONS" => Method::Options,
            b"REGISTER" => Method::Register,
            b"INFO" => Method::Info,
            b"UPDATE" => Method::Update,
            b"PRACK" => Method::Prack,
            b"MESSAGE" => Method::Message,
            b"REFER" => Method::Refer,
            b"NOTIFY" => Method::Notify,
            b"SUBSCRIBE" => Method::Subscribe,
            other => Method::Extension(Bytes::copy_from_slice(other)),
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Method::Invite => b"INVITE",
            Method::Ack => b"ACK",
            Method::Bye => b"BYE",
            Method::Cancel => b"CANCEL",
            Method::Options => b"OPTIONS",
            Method::Register => b"REGISTER",
            Method::Info => b"INFO",
            Method::Update => b"UPDATE",
            Method::Prack => b"PRACK",
            Method::Message => b"MESSAGE",
            Method::Refer => b"REFER",
            Method::Notify => b"NOTIFY",
            Method::Subscribe => b"SUBSCRIBE",
            Method::Extension(b) => b,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(self.as_bytes()))
    }
}

/// A response status code, 100..=699 (RFC 3261 §7.2; §21).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StatusCode(pub u16);

impl StatusCode {
    pub const TRYING: StatusCode = StatusCode(100);
    pub const RINGING: StatusCode = StatusCode(180);
    pub const OK: StatusCode = StatusCode(200);
    pub const BAD_REQUEST: StatusCode = StatusCode(400);
    pub const FORBIDDEN: StatusCode = StatusCode(403);
    pub const NOT_FOUND: StatusCode = StatusCode(404);
    pub const METHOD_NOT_ALLOWED: StatusCode = StatusCode(405);
    pub const REQUEST_TIMEOUT: StatusCode = StatusCode(408);
    pub const UNSUPPORTED_MEDIA_TYPE: StatusCode = StatusCode(415);
    pub const UNSUPPORTED_URI_SCHEME: StatusCode = StatusCode(416);
    pub const BAD_EXTENSION: StatusCode = StatusCode(420);
    pub const INTERVAL_TOO_BRIEF: StatusCode = StatusCode(422);
    pub const CALL_DOES_NOT_EXIST: StatusCode = StatusCode(481);
    pub const LOOP_DETECTED: StatusCode = StatusCode(482);
    pub const TOO_MANY_HOPS: StatusCode = StatusCode(483);
    pub const REQUEST_TERMINATED: StatusCode = StatusCode(487);
    pub const NOT_ACCEPTABLE_HERE: StatusCode = StatusCode(488);
    pub const REQUEST_PENDING: StatusCode = StatusCode(491);
    pub const SERVER_INTERNAL_ERROR: StatusCode = StatusCode(500);
    pub const SERVICE_UNAVAILABLE: StatusCode = StatusCode(503);
    pub const VERSION_NOT_SUPPORTED: StatusCode = StatusCode(505);

    pub fn is_provisional(self) -> bool {
        self.0 < 200
    }
    pub fn is_success(self) -> bool {
        (200..300).contains(&self.0)
    }
    pub fn is_final(self) -> bool {
        self.0 >= 200
    }

    /// The default reason phrase (RFC 3261 §21), used when we build a response.
    pub fn reason(self) -> &'static str {
        match self.0 {
            100 => "Trying",
            180 => "Ringing",
            181 => "Call Is Being Forwarded",
            182 => "Queued",
            183 => "Session Progress",
            200 => "OK",
            202 => "Accepted",
            400 => "Bad Request",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "Not Found",
            405 => "Method Not Allowed",
            406 => "Not Acceptable",
            407 => "Proxy Authentication Required",
            408 => "Request Timeout",
            413 => "Request Entity Too Large",
            414 => "Request-URI Too Long",
            415 => "Unsupported Media Type",
            416 => "Unsupported URI Scheme",
            420 => "Bad Extension",
            421 => "Extension Required",
            422 => "Session Interval Too Small",
            480 => "Temporarily Unavailable",
            481 => "Call/Transaction Does Not Exist",
            482 => "Loop Detected",
            483 => "Too Many Hops",
            484 => "Address Incomplete",
            486 => "Busy Here",
            487 => "Request Terminated",
            488 => "Not Acceptable Here",
            491 => "Request Pending",
            500 => "Server Internal Error",
            501 => "Not Implemented",
            503 => "Service Unavailable",
            504 => "Server Time-out",
            505 => "Version Not Supported",
            513 => "Message Too Large",
            600 => "Busy Everywhere",
            603 => "Decline",
            604 => "Does Not Exist Anywhere",
            606 => "Not Acceptable",
            _ => "Unknown",
        }
    }
}

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
        const TABLE: &[(&str, HeaderName)] = &[
            ("via", HeaderName::Via),
            ("v", HeaderName::Via),
            ("from", HeaderName::From),
            ("f", HeaderName::From),
            ("to", HeaderName::To),
            ("t", HeaderName::To),
            ("call-id", HeaderName::CallId),
            ("i", HeaderName::CallId),
            ("cseq", HeaderName::CSeq),
            ("contact", HeaderName::Contact),
            ("m", HeaderName::Contact),
            ("max-forwards", HeaderName::MaxForwards),
            ("content-length", HeaderName::ContentLength),
            ("l", HeaderName::ContentLength),
            ("content-type", HeaderName::ContentType),
            ("c", HeaderName::ContentType),
            ("content-encoding", HeaderName::ContentEncoding),
            ("e", HeaderName::ContentEncoding),
            ("route", HeaderName::Route),
            ("record-route", HeaderName::RecordRoute),
            ("allow", HeaderName::Allow),
            ("supported", HeaderName::Supported),
            ("k", HeaderName::Supported),
            ("require", HeaderName::Require),
            ("proxy-require", HeaderName::ProxyRequire),
            ("unsupported", HeaderName::Unsupported),
            ("session-expires", HeaderName::SessionExpires),
            ("x", HeaderName::SessionExpires),
            ("min-se", HeaderName::MinSe),
            ("user-agent", HeaderName::UserAgent),
            ("server", HeaderName::Server),
            ("reason", HeaderName::Reason),
            ("www-authenticate", HeaderName::WwwAuthenticate),
            ("authorization", HeaderName::Authorization),
            ("proxy-authenticate", HeaderName::ProxyAuthenticate),
            ("proxy-authorization", HeaderName::ProxyAuthorization),
            ("expires", HeaderName::Expires),
            ("accept", HeaderName::Accept),
            ("event", HeaderName::Event),
            ("o", HeaderName::Event),
            ("refer-to", HeaderName::ReferTo),
            ("r", HeaderName::ReferTo),
            ("retry-after", HeaderName::RetryAfter),
            ("p-asserted-identity", HeaderName::PAssertedIdentity),
            ("date", HeaderName::Date),
        ];
        for (name, h) in TABLE {
            if b.eq_ignore_ascii_case(name.as_bytes()) {
                return h.clone();
            }
        }
        HeaderName::Other(Bytes::copy_from_slice(b))
    }

    /// The long form we print.
    pub fn as_str(&self) -> &str {
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
            // Extension names are tokens (ASCII) by the grammar; the parser guarantees it.
            HeaderName::Other(b) => std::str::from_utf8(b).unwrap_or("X-Invalid"),
        }
    }
}

/// The raw header multimap, in received order (order matters for Via, Route, Record-Route).
/// A header line with several comma-separated values stays one entry; typed decoders split it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Headers {
    entries: Vec<(HeaderName, Bytes)>,
}

impl Headers {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn with_capacity(n: usize) -> Self {
        Headers {
            entries: Vec::with_capacity(n),
        }
    }
    pub fn push(&mut self, name: HeaderName, value: impl Into<Bytes>) {
        self.entries.push((name, value.into()));
    }
    /// Insert before all existing entries (a new top Via, §8.1.1.7).
    pub fn push_front(&mut self, name: HeaderName, value: impl Into<Bytes>) {
        self.entries.insert(0, (name, value.into()));
    }
    /// Replace every value of `name` with one value.
    pub fn set(&mut self, name: HeaderName, value: impl Into<Bytes>) {
        let value = value.into();
        if let Some(i) = self.entries.iter().position(|(n, _)| *n == name) {
            self.entries[i].1 = value;
            let mut seen = false;
            self.entries.retain(|(n, _)| {
                if *n != name {
                    return true;
                }
                let keep = !seen;
                seen = true;
                keep
            });
        } else {
            self.entries.push((name, value));
        }
    }
    pub fn remove(&mut self, name: &HeaderName) {
        self.entries.retain(|(n, _)| n != name);
    }
    /// The first raw value of `name`.
    pub fn get(&self, name: &HeaderName) -> Option<&Bytes> {
        self.entries.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }
    /// Every raw value of `name`, in order.
    pub fn get_all<'a>(&'a self, name: &'a HeaderName) -> impl Iterator<Item = &'a Bytes> + 'a {
        self.entries
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v)
    }
    pub fn iter(&self) -> impl Iterator<Item = (&HeaderName, &Bytes)> {
        self.entries.iter().map(|(n, v)| (n, v))
    }
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// A request. `uri` is the raw Request-URI; parse it with [`crate::sip::uri`] when needed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub method: Method,
    pub uri: Bytes,
    pub headers: Headers,
    pub body: Bytes,
}

/// A response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub status: StatusCode,
    pub reason: Bytes,
    pub headers: Headers,
    pub body: Bytes,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    Request(Request),
    Response(Response),
}

impl Message {
    pub fn headers(&self) -> &Headers {
        match self {
            Message::Request(r) => &r.headers,
            Message::Response(r) => &r.headers,
        }
    }
    pub fn body(&self) -> &Bytes {
        match self {
            Message::Request(r) => &r.body,
            Message::Response(r) => &r.body,
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
    fn set_replaces_all_values() {
        let mut h = Headers::new();
        h.push(HeaderName::Via, "a");
        h.push(HeaderName::From, "f");
        h.push(HeaderName::Via, "b");
        h.set(HeaderName::Via, "c");
        assert_eq!(h.get_all(&HeaderName::Via).count(), 1);
        assert_eq!(h.get(&HeaderName::Via).unwrap(), "c");
    }
}
