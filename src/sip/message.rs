//! The SIP message model shared by the codec, transactions and dialogs.
//!
//! Zero-copy: header values are `Bytes` slices of the received buffer (folded values are the
//! rare exception and are copied once, unfolded). Typed headers are decoded on demand from the
//! raw values (see [`crate::sip::header`]), so a proxy-like path that only reads Via and CSeq
//! never pays for the rest.

use bytes::Bytes;
use std::fmt;

/// A UTF-8 string that is a zero-copy slice of a received buffer (or a static/owned string for
/// values we build). Derefs to `str`.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BytesStr(Bytes);

impl BytesStr {
    #[inline]
    pub const fn from_static(s: &'static str) -> Self {
        BytesStr(Bytes::from_static(s.as_bytes()))
    }
    #[inline]
    pub fn from_utf8(b: Bytes) -> Result<Self, std::str::Utf8Error> {
        std::str::from_utf8(&b)?;
        Ok(BytesStr(b))
    }
    /// Bytes already known to be ASCII (checked in debug builds).
    #[inline]
    pub(crate) fn from_ascii(b: Bytes) -> Self {
        debug_assert!(b.is_ascii());
        BytesStr(b)
    }
    #[inline]
    pub fn as_str(&self) -> &str {
        // SAFETY: every constructor checks (or is given) valid UTF-8 and the bytes are immutable.
        unsafe { std::str::from_utf8_unchecked(&self.0) }
    }
    pub fn as_bytes(&self) -> &Bytes {
        &self.0
    }
    /// The zero-copy `BytesStr` of `s`, which must be a slice of `self` (panics otherwise).
    #[inline]
    pub fn slice_ref(&self, s: &str) -> BytesStr {
        if s.is_empty() {
            return BytesStr::default();
        }
        BytesStr(self.0.slice_ref(s.as_bytes()))
    }
    pub fn into_bytes(self) -> Bytes {
        self.0
    }
}

impl std::ops::Deref for BytesStr {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for BytesStr {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl std::borrow::Borrow<str> for BytesStr {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for BytesStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for BytesStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl From<&'static str> for BytesStr {
    fn from(s: &'static str) -> Self {
        BytesStr::from_static(s)
    }
}

impl From<String> for BytesStr {
    fn from(s: String) -> Self {
        BytesStr(Bytes::from(s))
    }
}

impl PartialEq<str> for BytesStr {
    fn eq(&self, o: &str) -> bool {
        self.as_str() == o
    }
}

impl PartialEq<&str> for BytesStr {
    fn eq(&self, o: &&str) -> bool {
        self.as_str() == *o
    }
}

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

    /// Like [`Method::from_bytes`] but an extension method shares `src` instead of copying
    /// (`m` must be a slice of `src`).
    #[inline]
    pub fn from_shared(src: &Bytes, m: &[u8]) -> Method {
        match Method::known(m) {
            Some(k) => k,
            None => Method::Extension(crate::sip::header::lex::sub(src, m)),
        }
    }

    #[inline]
    fn known(b: &[u8]) -> Option<Method> {
        Some(match b {
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
            _ => return None,
        })
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
        HeaderName::known(b).unwrap_or_else(|| HeaderName::Other(Bytes::copy_from_slice(b)))
    }

    /// Like [`HeaderName::from_bytes`] but an extension name shares `src` (`b` must be a
    /// slice of `src`). The parser's hot path: no allocation, no table scan.
    #[inline]
    pub fn from_shared(src: &Bytes, b: &[u8]) -> HeaderName {
        HeaderName::known(b)
            .unwrap_or_else(|| HeaderName::Other(crate::sip::header::lex::sub(src, b)))
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
    #[inline]
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
    #[inline]
    pub fn get(&self, name: &HeaderName) -> Option<&Bytes> {
        self.entries.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }
    /// Every raw value of `name`, in order.
    #[inline]
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

// ---------------------------------------------------------------------------------------------
// Typed access (decoded on demand; see crate::sip::header).

use crate::sip::header::{
    AddressHeader, Allow, AuthHeader, CSeq, CallId, Contact, ContentLength, ContentType, Date,
    Expires, HeaderError, MaxForwards, MinSe, OptionTags, Reason, RetryAfter, Server,
    SessionExpires, TypedHeader, UserAgent, Via,
};
use crate::sip::uri::Uri;

impl Headers {
    /// The only raw value of a single-valued header: `Ok(None)` when absent, `Multiple` when
    /// repeated (RFC 4475 §3.3.8 asks for a 400 then).
    #[inline]
    fn single_value<'a>(&'a self, name: &'a HeaderName) -> Result<Option<&'a Bytes>, HeaderError> {
        let mut it = self.get_all(name);
        let v = it.next();
        if v.is_some() && it.next().is_some() {
            return Err(HeaderError::Multiple(name.static_name()));
        }
        Ok(v)
    }

    /// The typed value of a single-valued header; `Ok(None)` when absent.
    #[inline]
    pub fn typed_single<T: TypedHeader>(
        &self,
        name: &HeaderName,
    ) -> Result<Option<T>, HeaderError> {
        match self.single_value(name)? {
            Some(v) => T::parse(v)
                .map(Some)
                .map_err(|e| e.relabel(name.static_name())),
            None => Ok(None),
        }
    }

    /// A mandatory single-valued header. (Not `typed_single` + `ok_or`: the typed value is
    /// returned straight from its parser, without moving it through an `Option`.)
    #[inline]
    pub fn typed_required<T: TypedHeader>(&self, name: &HeaderName) -> Result<T, HeaderError> {
        let v = self
            .single_value(name)?
            .ok_or(HeaderError::Missing(name.static_name()))?;
        T::parse(v).map_err(|e| e.relabel(name.static_name()))
    }

    /// Every element of a list header, across all its lines, in order.
    pub fn typed_list<T: TypedHeader>(&self, name: &HeaderName) -> Result<Vec<T>, HeaderError> {
        let label = name.static_name();
        let mut out = Vec::new();
        for v in self.get_all(name) {
            out.extend(T::parse_list(v).map_err(|e| e.relabel(label))?);
        }
        Ok(out)
    }

    /// Every line of a header parsed whole (headers whose values contain commas of their own,
    /// such as WWW-Authenticate).
    pub fn typed_lines<T: TypedHeader>(&self, name: &HeaderName) -> Result<Vec<T>, HeaderError> {
        let label = name.static_name();
        self.get_all(name)
            .map(|v| T::parse(v).map_err(|e| e.relabel(label)))
            .collect()
    }

    /// Replaces every value of `name` with `value` printed.
    pub fn set_typed<T: TypedHeader>(&mut self, name: HeaderName, value: &T) {
        self.set(name, value.to_value());
    }

    /// Appends `value` printed.
    pub fn push_typed<T: TypedHeader>(&mut self, name: HeaderName, value: &T) {
        self.push(name, value.to_value());
    }

    /// The top Via (the first element of the first Via line): the one that names this hop.
    pub fn via(&self) -> Result<Via, HeaderError> {
        let v = self
            .get(&HeaderName::Via)
            .ok_or(HeaderError::Missing("Via"))?;
        crate::sip::header::parse_first_via(v)
    }
    pub fn vias(&self) -> Result<Vec<Via>, HeaderError> {
        self.typed_list(&HeaderName::Via)
    }
    pub fn from(&self) -> Result<AddressHeader, HeaderError> {
        self.typed_required(&HeaderName::From)
    }
    pub fn to(&self) -> Result<AddressHeader, HeaderError> {
        self.typed_required(&HeaderName::To)
    }
    pub fn call_id(&self) -> Result<CallId, HeaderError> {
        self.typed_required(&HeaderName::CallId)
    }
    pub fn cseq(&self) -> Result<CSeq, HeaderError> {
        self.typed_required(&HeaderName::CSeq)
    }
    /// Absent in RFC 2543 requests (RFC 4475 §3.4.1); proxies add it (§16.6).
    pub fn max_forwards(&self) -> Result<Option<MaxForwards>, HeaderError> {
        self.typed_single(&HeaderName::MaxForwards)
    }
    pub fn contacts(&self) -> Result<Vec<Contact>, HeaderError> {
        self.typed_list(&HeaderName::Contact)
    }
    pub fn content_length(&self) -> Result<Option<ContentLength>, HeaderError> {
        self.typed_single(&HeaderName::ContentLength)
    }
    pub fn content_type(&self) -> Result<Option<ContentType>, HeaderError> {
        self.typed_single(&HeaderName::ContentType)
    }
    pub fn routes(&self) -> Result<Vec<AddressHeader>, HeaderError> {
        self.address_list(&HeaderName::Route)
    }
    pub fn record_routes(&self) -> Result<Vec<AddressHeader>, HeaderError> {
        self.address_list(&HeaderName::RecordRoute)
    }
    pub fn p_asserted_identities(&self) -> Result<Vec<AddressHeader>, HeaderError> {
        self.address_list(&HeaderName::PAssertedIdentity)
    }
    fn address_list(&self, name: &HeaderName) -> Result<Vec<AddressHeader>, HeaderError> {
        let label = name.static_name();
        let mut out = Vec::new();
        for v in self.get_all(name) {
            out.extend(AddressHeader::parse_list_of(v, label)?);
        }
        Ok(out)
    }
    /// `Ok(None)` when absent (the peer did not say), else every method of every Allow line.
    pub fn allow(&self) -> Result<Option<Allow>, HeaderError> {
        if self.get(&HeaderName::Allow).is_none() {
            return Ok(None);
        }
        let mut all = Allow::default();
        for a in self.typed_lines::<Allow>(&HeaderName::Allow)? {
            all.0.extend(a.0);
        }
        Ok(Some(all))
    }
    fn option_tags(&self, name: &HeaderName) -> Result<OptionTags, HeaderError> {
        let mut all = OptionTags::default();
        for t in self.typed_lines::<OptionTags>(name)? {
            all.0.extend(t.0);
        }
        Ok(all)
    }
    pub fn supported(&self) -> Result<OptionTags, HeaderError> {
        self.option_tags(&HeaderName::Supported)
    }
    pub fn require(&self) -> Result<OptionTags, HeaderError> {
        self.option_tags(&HeaderName::Require)
    }
    pub fn proxy_require(&self) -> Result<OptionTags, HeaderError> {
        self.option_tags(&HeaderName::ProxyRequire)
    }
    pub fn unsupported(&self) -> Result<OptionTags, HeaderError> {
        self.option_tags(&HeaderName::Unsupported)
    }
    pub fn session_expires(&self) -> Result<Option<SessionExpires>, HeaderError> {
        self.typed_single(&HeaderName::SessionExpires)
    }
    pub fn min_se(&self) -> Result<Option<MinSe>, HeaderError> {
        self.typed_single(&HeaderName::MinSe)
    }
    pub fn user_agent(&self) -> Result<Option<UserAgent>, HeaderError> {
        self.typed_single(&HeaderName::UserAgent)
    }
    pub fn server(&self) -> Result<Option<Server>, HeaderError> {
        self.typed_single(&HeaderName::Server)
    }
    pub fn reasons(&self) -> Result<Vec<Reason>, HeaderError> {
        self.typed_list(&HeaderName::Reason)
    }
    pub fn www_authenticate(&self) -> Result<Vec<AuthHeader>, HeaderError> {
        self.typed_lines(&HeaderName::WwwAuthenticate)
    }
    pub fn authorization(&self) -> Result<Vec<AuthHeader>, HeaderError> {
        self.typed_lines(&HeaderName::Authorization)
    }
    pub fn proxy_authenticate(&self) -> Result<Vec<AuthHeader>, HeaderError> {
        self.typed_lines(&HeaderName::ProxyAuthenticate)
    }
    pub fn proxy_authorization(&self) -> Result<Vec<AuthHeader>, HeaderError> {
        self.typed_lines(&HeaderName::ProxyAuthorization)
    }
    pub fn retry_after(&self) -> Result<Option<RetryAfter>, HeaderError> {
        self.typed_single(&HeaderName::RetryAfter)
    }
    pub fn expires(&self) -> Result<Option<Expires>, HeaderError> {
        self.typed_single(&HeaderName::Expires)
    }
    pub fn date(&self) -> Result<Option<Date>, HeaderError> {
        self.typed_single(&HeaderName::Date)
    }
}

macro_rules! delegate_typed_accessors {
    ($($name:ident -> $ret:ty;)*) => {
        impl Request {
            $(
                #[doc = concat!("See [`Headers::", stringify!($name), "`].")]
                pub fn $name(&self) -> $ret { self.headers.$name() }
            )*
        }
        impl Response {
            $(
                #[doc = concat!("See [`Headers::", stringify!($name), "`].")]
                pub fn $name(&self) -> $ret { self.headers.$name() }
            )*
        }
        impl Message {
            $(
                #[doc = concat!("See [`Headers::", stringify!($name), "`].")]
                pub fn $name(&self) -> $ret { self.headers().$name() }
            )*
        }
    };
}

delegate_typed_accessors! {
    via -> Result<Via, HeaderError>;
    vias -> Result<Vec<Via>, HeaderError>;
    from -> Result<AddressHeader, HeaderError>;
    to -> Result<AddressHeader, HeaderError>;
    call_id -> Result<CallId, HeaderError>;
    cseq -> Result<CSeq, HeaderError>;
    max_forwards -> Result<Option<MaxForwards>, HeaderError>;
    contacts -> Result<Vec<Contact>, HeaderError>;
    content_length -> Result<Option<ContentLength>, HeaderError>;
    content_type -> Result<Option<ContentType>, HeaderError>;
    routes -> Result<Vec<AddressHeader>, HeaderError>;
    record_routes -> Result<Vec<AddressHeader>, HeaderError>;
    p_asserted_identities -> Result<Vec<AddressHeader>, HeaderError>;
    allow -> Result<Option<Allow>, HeaderError>;
    supported -> Result<OptionTags, HeaderError>;
    require -> Result<OptionTags, HeaderError>;
    proxy_require -> Result<OptionTags, HeaderError>;
    unsupported -> Result<OptionTags, HeaderError>;
    session_expires -> Result<Option<SessionExpires>, HeaderError>;
    min_se -> Result<Option<MinSe>, HeaderError>;
    user_agent -> Result<Option<UserAgent>, HeaderError>;
    server -> Result<Option<Server>, HeaderError>;
    reasons -> Result<Vec<Reason>, HeaderError>;
    www_authenticate -> Result<Vec<AuthHeader>, HeaderError>;
    authorization -> Result<Vec<AuthHeader>, HeaderError>;
    proxy_authenticate -> Result<Vec<AuthHeader>, HeaderError>;
    proxy_authorization -> Result<Vec<AuthHeader>, HeaderError>;
    retry_after -> Result<Option<RetryAfter>, HeaderError>;
    expires -> Result<Option<Expires>, HeaderError>;
    date -> Result<Option<Date>, HeaderError>;
}

// ---------------------------------------------------------------------------------------------
// Printing and building.

impl Message {
    /// Prints the message (Content-Length set from the body), see [`crate::sip::codec::encode`].
    pub fn to_bytes(&self) -> Bytes {
        let mut out = bytes::BytesMut::new();
        crate::sip::codec::encode(self, &mut out);
        out.freeze()
    }
    /// See [`crate::sip::codec::validate`].
    pub fn validate(&self) -> Result<(), crate::sip::codec::ParseError> {
        crate::sip::codec::validate(self)
    }
    pub fn headers_mut(&mut self) -> &mut Headers {
        match self {
            Message::Request(r) => &mut r.headers,
            Message::Response(r) => &mut r.headers,
        }
    }
    pub fn as_request(&self) -> Option<&Request> {
        match self {
            Message::Request(r) => Some(r),
            Message::Response(_) => None,
        }
    }
    pub fn as_response(&self) -> Option<&Response> {
        match self {
            Message::Response(r) => Some(r),
            Message::Request(_) => None,
        }
    }
}

impl From<Request> for Message {
    fn from(r: Request) -> Self {
        Message::Request(r)
    }
}

impl From<Response> for Message {
    fn from(r: Response) -> Self {
        Message::Response(r)
    }
}

impl Request {
    /// A request with no headers and no body; add headers with the `with_*` methods.
    pub fn new(method: Method, uri: &Uri) -> Request {
        Request {
            method,
            uri: Bytes::from(uri.to_string()),
            headers: Headers::with_capacity(12),
            body: Bytes::new(),
        }
    }
    /// The Request-URI decoded.
    pub fn request_uri(&self) -> Result<Uri, crate::sip::uri::UriError> {
        Uri::parse(&self.uri)
    }
    pub fn to_bytes(&self) -> Bytes {
        Message::Request(self.clone()).to_bytes()
    }
    pub fn with_header(mut self, name: HeaderName, value: impl Into<Bytes>) -> Self {
        self.headers.push(name, value);
        self
    }
    pub fn with_typed<T: TypedHeader>(mut self, name: HeaderName, value: &T) -> Self {
        self.headers.push_typed(name, value);
        self
    }
    pub fn with_via(self, via: &Via) -> Self {
        self.with_typed(HeaderName::Via, via)
    }
    pub fn with_from(self, from: &AddressHeader) -> Self {
        self.with_typed(HeaderName::From, from)
    }
    pub fn with_to(self, to: &AddressHeader) -> Self {
        self.with_typed(HeaderName::To, to)
    }
    pub fn with_call_id(self, id: &str) -> Self {
        self.with_header(HeaderName::CallId, Bytes::from(id.to_string()))
    }
    pub fn with_cseq(self, seq: u32) -> Self {
        let c = CSeq::new(seq, self.method.clone());
        self.with_typed(HeaderName::CSeq, &c)
    }
    pub fn with_max_forwards(self, n: u8) -> Self {
        self.with_typed(HeaderName::MaxForwards, &MaxForwards(n))
    }
    pub fn with_contact(self, c: &Contact) -> Self {
        self.with_typed(HeaderName::Contact, c)
    }
    pub fn with_route(self, r: &AddressHeader) -> Self {
        self.with_typed(HeaderName::Route, r)
    }
    /// Sets the body and its Content-Type (Content-Length is written when printing).
    pub fn with_body(mut self, content_type: &ContentType, body: impl Into<Bytes>) -> Self {
        self.headers
            .set_typed(HeaderName::ContentType, content_type);
        self.body = body.into();
        self
    }

    /// The CANCEL for this request (RFC 3261 §9.1): same Request-URI, top Via, From, To,
    /// Call-ID and CSeq number, method CANCEL; Route copied.
    pub fn cancel(&self) -> Result<Request, HeaderError> {
        self.derived(Method::Cancel, None)
    }

    /// The ACK for a non-2xx final response to this INVITE (RFC 3261 §17.1.1.3): the To of
    /// the response (with its tag), the top Via only, Route copied.
    pub fn ack_for(&self, response: &Response) -> Result<Request, HeaderError> {
        let to = response
            .headers
            .get(&HeaderName::To)
            .ok_or(HeaderError::Missing("To"))?
            .clone();
        self.derived(Method::Ack, Some(to))
    }

    fn derived(&self, method: Method, to: Option<Bytes>) -> Result<Request, HeaderError> {
        let top = self.via()?;
        let cseq = self.cseq()?;
        let mut h = Headers::with_capacity(8);
        h.push_typed(HeaderName::Via, &top);
        if let Some(mf) = self.headers.get(&HeaderName::MaxForwards) {
            h.push(HeaderName::MaxForwards, mf.clone());
        }
        for (name, want) in [(HeaderName::From, true), (HeaderName::To, to.is_none())] {
            if want {
                let v = self
                    .headers
                    .get(&name)
                    .ok_or(HeaderError::Missing(name.static_name()))?;
                h.push(name, v.clone());
            }
        }
        if let Some(to) = to {
            h.push(HeaderName::To, to);
        }
        let call_id = self
            .headers
            .get(&HeaderName::CallId)
            .ok_or(HeaderError::Missing("Call-ID"))?;
        h.push(HeaderName::CallId, call_id.clone());
        h.push_typed(HeaderName::CSeq, &CSeq::new(cseq.seq, method.clone()));
        for r in self.headers.get_all(&HeaderName::Route) {
            h.push(HeaderName::Route, r.clone());
        }
        Ok(Request {
            method,
            uri: self.uri.clone(),
            headers: h,
            body: Bytes::new(),
        })
    }
}

impl Response {
    /// A response with the default reason phrase and no headers.
    pub fn new(status: StatusCode) -> Response {
        Response {
            status,
            reason: Bytes::from_static(status.reason().as_bytes()),
            headers: Headers::with_capacity(10),
            body: Bytes::new(),
        }
    }

    /// A response to `req` (RFC 3261 §8.2.6.2): every Via in order, From, To, Call-ID and CSeq
    /// copied as received (raw values, so nothing is re-encoded), plus Record-Route for
    /// responses that may establish a dialog (§12.1.1). Add a To tag with [`Self::with_to_tag`].
    pub fn from_request(req: &Request, status: StatusCode) -> Response {
        let mut r = Response::new(status);
        for (name, value) in req.headers.iter() {
            let copy = match name {
                HeaderName::Via
                | HeaderName::From
                | HeaderName::To
                | HeaderName::CallId
                | HeaderName::CSeq => true,
                HeaderName::RecordRoute => {
                    req.method == Method::Invite && status.0 > 100 && status.0 < 300
                }
                _ => false,
            };
            if copy {
                r.headers.push(name.clone(), value.clone());
            }
        }
        r
    }

    /// Adds `tag` to the To header unless it already has one (§8.2.6.2: a UAS adds its tag;
    /// a request inside a dialog already carries it).
    pub fn with_to_tag(mut self, tag: &str) -> Result<Response, HeaderError> {
        let mut to = self.to()?;
        if to.tag().is_none() {
            to.set_tag(BytesStr::from(tag.to_string()));
            self.headers.set_typed(HeaderName::To, &to);
        }
        Ok(self)
    }
    pub fn with_reason_phrase(mut self, reason: &str) -> Self {
        self.reason = Bytes::from(reason.to_string());
        self
    }
    pub fn with_header(mut self, name: HeaderName, value: impl Into<Bytes>) -> Self {
        self.headers.push(name, value);
        self
    }
    pub fn with_typed<T: TypedHeader>(mut self, name: HeaderName, value: &T) -> Self {
        self.headers.push_typed(name, value);
        self
    }
    pub fn with_contact(self, c: &Contact) -> Self {
        self.with_typed(HeaderName::Contact, c)
    }
    pub fn with_body(mut self, content_type: &ContentType, body: impl Into<Bytes>) -> Self {
        self.headers
            .set_typed(HeaderName::ContentType, content_type);
        self.body = body.into();
        self
    }
    pub fn to_bytes(&self) -> Bytes {
        Message::Response(self.clone()).to_bytes()
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

    const INVITE: &[u8] = b"INVITE sip:1000@127.0.0.1 SIP/2.0\r\n\
Via: SIP/2.0/UDP 127.0.0.2:5060;branch=z9hG4bK74bf9;rport, SIP/2.0/UDP 127.0.0.3;branch=z9hG4bK2\r\n\
Via: SIP/2.0/TCP 127.0.0.4;branch=z9hG4bK3\r\n\
Max-Forwards: 70\r\n\
Record-Route: <sip:127.0.0.9;lr>\r\n\
f: \"Room 12\" <sip:room12@127.0.0.2>;tag=9fxced76sl\r\n\
t: <sip:1000@127.0.0.1>\r\n\
i: 3848276298220188511@127.0.0.2\r\n\
CSeq: 1 INVITE\r\n\
m: <sip:room12@127.0.0.2:5060>\r\n\
Content-Length: 0\r\n\r\n";

    fn invite() -> Request {
        match crate::sip::codec::parse(Bytes::from_static(INVITE)).unwrap() {
            Message::Request(r) => r,
            Message::Response(_) => panic!(),
        }
    }

    #[test]
    fn typed_accessors() {
        let r = invite();
        assert_eq!(r.via().unwrap().branch(), Some("z9hG4bK74bf9"));
        assert_eq!(r.vias().unwrap().len(), 3);
        assert_eq!(r.from().unwrap().tag(), Some("9fxced76sl"));
        assert_eq!(r.to().unwrap().tag(), None);
        assert_eq!(
            r.call_id().unwrap().as_str(),
            "3848276298220188511@127.0.0.2"
        );
        assert_eq!(r.cseq().unwrap(), CSeq::new(1, Method::Invite));
        assert_eq!(r.max_forwards().unwrap(), Some(MaxForwards(70)));
        assert_eq!(r.contacts().unwrap().len(), 1);
        assert_eq!(r.record_routes().unwrap().len(), 1);
        assert_eq!(r.session_expires().unwrap(), None);
        assert!(r.supported().unwrap().0.is_empty());
        let mut r2 = r.clone();
        r2.headers.push(HeaderName::From, "<sip:x@127.0.0.1>;tag=2");
        assert_eq!(r2.from(), Err(HeaderError::Multiple("From")));
        r2.headers.remove(&HeaderName::CallId);
        assert_eq!(r2.call_id(), Err(HeaderError::Missing("Call-ID")));
        r2.headers.set(HeaderName::CSeq, "x INVITE");
        assert_eq!(r2.cseq(), Err(HeaderError::Malformed("CSeq")));
    }

    #[test]
    fn response_from_request_copies_rfc3261_8_2_6_2_headers() {
        let req = invite();
        let resp = Response::from_request(&req, StatusCode::OK)
            .with_to_tag("as83kd9bs")
            .unwrap();
        assert_eq!(resp.vias().unwrap(), req.vias().unwrap());
        assert_eq!(resp.from().unwrap(), req.from().unwrap());
        assert_eq!(resp.to().unwrap().tag(), Some("as83kd9bs"));
        assert_eq!(resp.call_id().unwrap(), req.call_id().unwrap());
        assert_eq!(resp.cseq().unwrap(), req.cseq().unwrap());
        assert_eq!(resp.record_routes().unwrap().len(), 1);
        assert!(resp.contacts().unwrap().is_empty());
        // Printed and parsed again it is the same response.
        let again = crate::sip::codec::parse(resp.to_bytes()).unwrap();
        assert_eq!(again.to().unwrap().tag(), Some("as83kd9bs"));
        assert_eq!(again.as_response().unwrap().status, StatusCode::OK);
        // An existing tag is kept.
        let twice = resp.with_to_tag("other").unwrap();
        assert_eq!(twice.to().unwrap().tag(), Some("as83kd9bs"));
        let trying = Response::from_request(&req, StatusCode::TRYING);
        assert!(trying.record_routes().unwrap().is_empty());
    }

    #[test]
    fn request_builder_cancel_and_ack() {
        let uri: Uri = "sip:room12@127.0.0.2:5060".parse().unwrap();
        let via = Via::new(
            crate::sip::header::Transport::Udp,
            crate::sip::uri::Host::V4(std::net::Ipv4Addr::LOCALHOST),
            Some(5060),
            "z9hG4bKabc",
        );
        let from = AddressHeader::new("sip:1000@127.0.0.1".parse().unwrap()).with_tag("f1");
        let to = AddressHeader::new(uri.clone());
        let req = Request::new(Method::Invite, &uri)
            .with_via(&via)
            .with_max_forwards(70)
            .with_from(&from)
            .with_to(&to)
            .with_call_id("c1@127.0.0.1")
            .with_cseq(7)
            .with_body(&ContentType::new("application", "sdp"), "v=0\r\n");
        let parsed = crate::sip::codec::parse(req.to_bytes()).unwrap();
        assert_eq!(parsed.via().unwrap().branch(), Some("z9hG4bKabc"));
        assert_eq!(parsed.cseq().unwrap(), CSeq::new(7, Method::Invite));
        assert_eq!(parsed.content_length().unwrap(), Some(ContentLength(5)));
        parsed.validate().unwrap();

        let cancel = req.cancel().unwrap();
        assert_eq!(cancel.method, Method::Cancel);
        assert_eq!(cancel.cseq().unwrap(), CSeq::new(7, Method::Cancel));
        assert_eq!(cancel.via().unwrap(), via);
        assert_eq!(cancel.uri, req.uri);

        let busy = Response::from_request(&req, StatusCode(486))
            .with_to_tag("t9")
            .unwrap();
        let ack = req.ack_for(&busy).unwrap();
        assert_eq!(ack.cseq().unwrap(), CSeq::new(7, Method::Ack));
        assert_eq!(ack.to().unwrap().tag(), Some("t9"));
        assert!(ack.body.is_empty());
    }
}
