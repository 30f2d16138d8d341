//! The SIP codec: parse a datagram into a [`Message`] (RFC 3261 §7, §18.3), print a message
//! back ([`encode`]), and frame a byte stream ([`Framer`], RFC 3261 §18.3, RFC 5626 §3.5.1).
//!
//! Zero-copy: header names, values, the Request-URI, the reason phrase and the body of the
//! parsed message are slices of the input `Bytes`. Only folded header values (RFC 3261
//! §7.3.1) are copied once, unfolded.
//!
//! What [`parse`] checks: the start line (exactly one SP between its three parts, RFC 4475
//! §3.1.2.9/§3.1.2.10; a valid Request-URI without `?headers`, §3.1.2.7/8/11; SIP/2.0; a
//! three-digit status), header-line syntax, Content-Length (§18.3; RFC 4475 §3.1.2.2/3) and
//! the limits in [`ParseLimits`]. Typed headers are decoded on demand; [`validate`] decodes
//! every known header once, for a UAS that wants to answer 400 up front.

mod framer;
// The fuzz targets' invariant checks: built only for the fuzz crate (fuzz/), which enables
// the `fuzzing` feature, so no normal build carries them.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;

pub use framer::{Frame, Framer, FramerError, KeepAlive};

use bytes::{BufMut, Bytes, BytesMut};

use crate::sip::header::{
    AddressHeader, Allow, AuthHeader, CSeq, CallId, Contact, ContentLength, ContentType, Date,
    Expires, HeaderError, MaxForwards, MinSe, OptionTags, Reason, RetryAfter, Server,
    SessionExpires, TypedHeader, UserAgent, Via,
};
use crate::sip::lex::{self, sub};
use crate::sip::message::{HeaderName, Headers, Message, Method, Request, Response, StatusCode};
use crate::sip::uri::Uri;

/// Limits applied while parsing and framing. The defaults suit a gateway facing room systems.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseLimits {
    /// Largest message (head + body) accepted, in bytes. UDP datagrams cannot exceed 65,535.
    pub max_message_size: usize,
    /// Most header lines accepted in one message.
    pub max_headers: usize,
}

impl Default for ParseLimits {
    fn default() -> Self {
        ParseLimits {
            max_message_size: 64 * 1024,
            max_headers: 128,
        }
    }
}

/// Why a message could not be parsed. Small, `Copy` and allocation-free (hot path); it names
/// what was wrong so a UAS can say so in its 400's reason phrase.
#[derive(thiserror::Error, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseError {
    #[error("empty message")]
    Empty,
    #[error("message too large")]
    TooLarge,
    #[error("too many header lines")]
    TooManyHeaders,
    #[error("malformed start line")]
    StartLine,
    #[error("malformed method")]
    Method,
    #[error("malformed Request-URI")]
    RequestUri,
    #[error("unsupported SIP version")]
    Version,
    #[error("malformed status code")]
    StatusCode,
    #[error("malformed header line")]
    HeaderLine,
    #[error("Content-Length missing on a stream")]
    MissingContentLength,
    #[error("conflicting Content-Length headers")]
    ConflictingContentLength,
    #[error("body shorter than Content-Length")]
    BodyTooShort,
    #[error("CSeq method does not match the request method")]
    CSeqMethodMismatch,
    #[error(transparent)]
    Header(#[from] HeaderError),
}

impl ParseError {
    /// The header at fault, if the error is about one.
    pub fn header(&self) -> Option<&'static str> {
        match self {
            ParseError::Header(h) => Some(h.header()),
            ParseError::MissingContentLength
            | ParseError::ConflictingContentLength
            | ParseError::BodyTooShort => Some("Content-Length"),
            ParseError::CSeqMethodMismatch => Some("CSeq"),
            _ => None,
        }
    }

    /// The status a UAS answers a request with when it can answer at all (RFC 3261 §8.2,
    /// §21.5.6: 505 for another version; 513 for an oversized message; otherwise 400).
    pub fn status(&self) -> StatusCode {
        match self {
            ParseError::Version => StatusCode::VERSION_NOT_SUPPORTED,
            ParseError::TooLarge => StatusCode(513),
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Transport {
    Datagram,
    Stream,
}

/// Parses one whole datagram with the default [`ParseLimits`].
///
/// RFC 3261 §18.3: without Content-Length the body is the rest of the datagram; a
/// Content-Length larger than what arrived is an error; bytes past it are discarded.
#[inline]
pub fn parse(b: Bytes) -> Result<Message, ParseError> {
    parse_with(b, &ParseLimits::default())
}

/// [`parse`] with explicit limits.
#[inline]
pub fn parse_with(b: Bytes, limits: &ParseLimits) -> Result<Message, ParseError> {
    parse_inner(b, limits, Transport::Datagram)
}

/// Parses one message framed from a stream: Content-Length is mandatory (§18.3, §20.14) and
/// must cover exactly the rest of `b`.
pub fn parse_stream_message(b: Bytes, limits: &ParseLimits) -> Result<Message, ParseError> {
    parse_inner(b, limits, Transport::Stream)
}

enum StartLine {
    Request(Method, Bytes),
    Response(StatusCode, Bytes),
}

fn is_version(v: &[u8]) -> Result<(), ParseError> {
    if v.eq_ignore_ascii_case(b"SIP/2.0") {
        Ok(())
    } else if v.len() > 4 && v[..4].eq_ignore_ascii_case(b"SIP/") {
        Err(ParseError::Version)
    } else {
        Err(ParseError::StartLine)
    }
}

#[inline]
fn parse_start_line(src: &Bytes, line: &[u8]) -> Result<StartLine, ParseError> {
    if line.len() >= 4 && line[..4].eq_ignore_ascii_case(b"SIP/") {
        // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase (§7.2). A missing final SP
        // before an empty reason is tolerated (RFC 4475 §3.1.1.13 sends "100 ").
        let sp = line
            .iter()
            .position(|&c| c == b' ')
            .ok_or(ParseError::StartLine)?;
        is_version(&line[..sp])?;
        let rest = &line[sp + 1..];
        let code_end = rest.iter().position(|&c| c == b' ').unwrap_or(rest.len());
        let code = &rest[..code_end];
        if code.len() != 3 || !code.iter().all(u8::is_ascii_digit) || code[0] == b'0' {
            return Err(ParseError::StatusCode);
        }
        let n = code.iter().fold(0u16, |n, &c| n * 10 + u16::from(c - b'0'));
        if !(100..=699).contains(&n) {
            return Err(ParseError::StatusCode);
        }
        let reason = rest.get(code_end + 1..).unwrap_or(&[]);
        if reason.iter().any(|&c| c < 0x20 && c != b'\t') {
            return Err(ParseError::StartLine);
        }
        return Ok(StartLine::Response(StatusCode(n), sub(src, reason)));
    }
    // Request-Line = Method SP Request-URI SP SIP-Version (§7.1): exactly two single spaces.
    let mut parts = line.split(|&c| c == b' ');
    let (Some(m), Some(uri), Some(v), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ParseError::StartLine);
    };
    if m.is_empty() || !m.iter().all(|&c| lex::is_token(c)) {
        return Err(ParseError::Method);
    }
    is_version(v)?;
    if uri.is_empty() || uri.iter().any(|&c| c <= b' ' || c >= 0x7f) {
        return Err(ParseError::RequestUri);
    }
    if !request_uri_looks_valid(uri) {
        return Err(ParseError::RequestUri);
    }
    Ok(StartLine::Request(
        Method::from_shared(src, m),
        sub(src, uri),
    ))
}

/// The Request-URI checks that need no full URI parse (that happens in [`validate`] and
/// `Request::request_uri`): an absolute URI (`scheme ":"`, so not `<…>`, RFC 4475 §3.1.2.7)
/// and, for sip/sips, no `?headers` after the host part (RFC 3261 §19.1.1 table; RFC 4475
/// §3.1.2.11). Spaces and controls were rejected by the caller.
fn request_uri_looks_valid(uri: &[u8]) -> bool {
    let n = uri
        .iter()
        .position(|&c| !(c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.')))
        .unwrap_or(uri.len());
    if n == 0 || !uri[0].is_ascii_alphabetic() || uri.get(n) != Some(&b':') || n + 1 == uri.len() {
        return false;
    }
    let scheme = &uri[..n];
    if scheme.eq_ignore_ascii_case(b"sip") || scheme.eq_ignore_ascii_case(b"sips") {
        let rest = &uri[n + 1..];
        // The user part may hold `?` (user-unreserved); only what follows `@` is host, params
        // and headers.
        let host_part = match rest.iter().position(|&c| c == b'@') {
            Some(at) => &rest[at + 1..],
            None => rest,
        };
        return !host_part.is_empty() && !host_part.contains(&b'?') && !host_part.contains(&b'<');
    }
    !uri.iter().any(|&c| matches!(c, b'<' | b'>' | b'"'))
}

/// The next LF at or after `from` (memchr: this scan is most of the parser's per-byte work).
fn find_lf(b: &[u8], from: usize) -> Option<usize> {
    memchr::memchr(b'\n', &b[from..]).map(|k| k + from)
}

/// Strips a CR before the LF at `lf` (bare LF line ends are tolerated).
fn line_end(b: &[u8], start: usize, lf: usize) -> usize {
    if lf > start && b[lf - 1] == b'\r' {
        lf - 1
    } else {
        lf
    }
}

fn unfold(region: &[u8]) -> Bytes {
    let mut v = Vec::with_capacity(region.len());
    for &c in region {
        if c != b'\r' && c != b'\n' {
            v.push(c);
        }
    }
    let t = lex::trim(&v);
    let (a, n) = (t.as_ptr() as usize - v.as_ptr() as usize, t.len());
    Bytes::from(v).slice(a..a + n)
}

#[inline]
fn parse_inner(b: Bytes, limits: &ParseLimits, mode: Transport) -> Result<Message, ParseError> {
    if b.len() > limits.max_message_size {
        return Err(ParseError::TooLarge);
    }
    let s: &[u8] = &b;
    // §7.5: CRLFs before the start line are ignored.
    let mut p = s
        .iter()
        .position(|&c| c != b'\r' && c != b'\n')
        .ok_or(ParseError::Empty)?;
    let lf = find_lf(s, p).ok_or(ParseError::StartLine)?;
    let start = parse_start_line(&b, &s[p..line_end(s, p, lf)])?;
    p = lf + 1;

    // 14 entries of 72 bytes stay under glibc's tcache limit (1,032 bytes): most messages
    // fit without a reallocation and the block is cheap to get and free.
    let mut headers = Headers::with_capacity(14);
    let mut content_length: Option<usize> = None;
    let body_start;
    loop {
        if p >= s.len() {
            // No empty line: tolerated on a datagram (nothing follows), an error on a stream.
            if mode == Transport::Stream {
                return Err(ParseError::HeaderLine);
            }
            body_start = s.len();
            break;
        }
        if s[p] == b'\n' {
            body_start = p + 1;
            break;
        }
        if s[p] == b'\r' && s.get(p + 1) == Some(&b'\n') {
            body_start = p + 2;
            break;
        }
        if lex::is_wsp(s[p]) {
            // A continuation line with no header to continue.
            return Err(ParseError::HeaderLine);
        }
        let lf = find_lf(s, p).unwrap_or(s.len());
        let mut next = (lf + 1).min(s.len());
        let mut end = line_end(s, p, lf);
        let mut folded = false;
        while next < s.len() && lex::is_wsp(s[next]) {
            folded = true;
            let lf2 = find_lf(s, next).unwrap_or(s.len());
            end = line_end(s, next, lf2);
            next = (lf2 + 1).min(s.len());
        }
        let line = &s[p..end];
        // header-name = token, then HCOLON = *( SP / HTAB ) ":" SWS (§7.3.1, §25.1): one pass
        // checks the name and finds the colon.
        let n = lex::span_token(line);
        let mut colon = n;
        while colon < line.len() && lex::is_wsp(line[colon]) {
            colon += 1;
        }
        if n == 0 || line.get(colon) != Some(&b':') {
            return Err(ParseError::HeaderLine);
        }
        let name = &line[..n];
        let raw = &line[colon + 1..];
        let value = if folded {
            unfold(raw)
        } else {
            sub(&b, lex::trim(raw))
        };
        if headers.len() >= limits.max_headers {
            return Err(ParseError::TooManyHeaders);
        }
        let hname = HeaderName::from_shared(&b, name);
        if hname == HeaderName::ContentLength {
            let n = ContentLength::parse(&value)?.0 as usize;
            match content_length {
                Some(m) if m != n => return Err(ParseError::ConflictingContentLength),
                _ => content_length = Some(n),
            }
        }
        headers.push(hname, value);
        p = next;
    }

    let available = s.len() - body_start;
    let body = match (content_length, mode) {
        (None, Transport::Datagram) => b.slice(body_start..),
        (None, Transport::Stream) => return Err(ParseError::MissingContentLength),
        (Some(n), _) if n > available => return Err(ParseError::BodyTooShort),
        (Some(n), _) => b.slice(body_start..body_start + n),
    };
    Ok(match start {
        StartLine::Request(method, uri) => Message::Request(Request {
            method,
            uri,
            headers,
            body,
        }),
        StartLine::Response(status, reason) => Message::Response(Response {
            status,
            reason,
            headers,
            body,
        }),
    })
}

/// Decodes every known header of `m` once and checks what a UAS must reject with 400 before
/// looking further (RFC 3261 §8.2; RFC 4475 §3.1.2): a malformed known header, a Request-URI
/// that is not a URI, or a CSeq method that differs from the request's (§8.1.1.5).
/// Unknown headers are not checked (§7.3: they are passed along as they are).
pub fn validate(m: &Message) -> Result<(), ParseError> {
    for (name, value) in m.headers().iter() {
        check_header(name, value).map_err(|e| e.relabel(name.static_name()))?;
    }
    if let Message::Request(r) = m {
        Uri::parse(&r.uri).map_err(|_| ParseError::RequestUri)?;
        if let Some(v) = r.headers.get(&HeaderName::CSeq) {
            let cseq = CSeq::parse(v)?;
            if cseq.method != r.method {
                return Err(ParseError::CSeqMethodMismatch);
            }
        }
    }
    Ok(())
}

fn check_header(name: &HeaderName, v: &Bytes) -> Result<(), HeaderError> {
    match name {
        HeaderName::Via => Via::parse_list(v).map(drop),
        HeaderName::From | HeaderName::To | HeaderName::ReferTo => {
            AddressHeader::parse(v).map(drop)
        }
        HeaderName::CallId => CallId::parse(v).map(drop),
        HeaderName::CSeq => CSeq::parse(v).map(drop),
        HeaderName::Contact => Contact::parse_list(v).map(drop),
        HeaderName::MaxForwards => MaxForwards::parse(v).map(drop),
        HeaderName::ContentLength => ContentLength::parse(v).map(drop),
        HeaderName::ContentType => ContentType::parse(v).map(drop),
        HeaderName::Route | HeaderName::RecordRoute | HeaderName::PAssertedIdentity => {
            AddressHeader::parse_list_of(v, "Route").map(drop)
        }
        HeaderName::Allow => Allow::parse(v).map(drop),
        HeaderName::Supported
        | HeaderName::Require
        | HeaderName::ProxyRequire
        | HeaderName::Unsupported => OptionTags::parse(v).map(drop),
        HeaderName::SessionExpires => SessionExpires::parse(v).map(drop),
        HeaderName::MinSe => MinSe::parse(v).map(drop),
        HeaderName::UserAgent => UserAgent::parse(v).map(drop),
        HeaderName::Server => Server::parse(v).map(drop),
        HeaderName::Reason => Reason::parse_list(v).map(drop),
        HeaderName::WwwAuthenticate
        | HeaderName::Authorization
        | HeaderName::ProxyAuthenticate
        | HeaderName::ProxyAuthorization => AuthHeader::parse(v).map(drop),
        HeaderName::Expires => Expires::parse(v).map(drop),
        HeaderName::RetryAfter => RetryAfter::parse(v).map(drop),
        HeaderName::Date => Date::parse(v).map(drop),
        _ => Ok(()),
    }
}

/// Prints `m` into `out`. Content-Length is always written and always matches the body
/// (it replaces the first Content-Length header in place, or is appended).
pub fn encode(m: &Message, out: &mut BytesMut) {
    let (headers, body) = match m {
        Message::Request(r) => {
            out.reserve(r.uri.len() + 64 + r.body.len());
            out.put_slice(r.method.as_bytes());
            out.put_u8(b' ');
            out.put_slice(&r.uri);
            out.put_slice(b" SIP/2.0\r\n");
            (&r.headers, &r.body)
        }
        Message::Response(r) => {
            out.reserve(64 + r.body.len());
            out.put_slice(b"SIP/2.0 ");
            out.put_slice(r.status.0.to_string().as_bytes());
            out.put_u8(b' ');
            out.put_slice(&r.reason);
            out.put_slice(b"\r\n");
            (&r.headers, &r.body)
        }
    };
    let mut wrote_length = false;
    for (name, value) in headers.iter() {
        if *name == HeaderName::ContentLength {
            if wrote_length {
                continue;
            }
            wrote_length = true;
            put_content_length(out, body.len());
            continue;
        }
        out.put_slice(name.as_str().as_bytes());
        out.put_slice(b": ");
        out.put_slice(value);
        out.put_slice(b"\r\n");
    }
    if !wrote_length {
        put_content_length(out, body.len());
    }
    out.put_slice(b"\r\n");
    out.put_slice(body);
}

fn put_content_length(out: &mut BytesMut, n: usize) {
    out.put_slice(b"Content-Length: ");
    out.put_slice(n.to_string().as_bytes());
    out.put_slice(b"\r\n");
}

// Printing is the codec's: the message types get their `to_bytes()` and `validate()` here, so
// the message model does not depend on the codec.

impl Message {
    /// Prints the message (Content-Length set from the body), see [`encode`].
    pub fn to_bytes(&self) -> Bytes {
        let mut out = BytesMut::new();
        encode(self, &mut out);
        out.freeze()
    }
    /// See [`validate`].
    pub fn validate(&self) -> Result<(), ParseError> {
        validate(self)
    }
}

impl Request {
    pub fn to_bytes(&self) -> Bytes {
        Message::Request(self.clone()).to_bytes()
    }
}

impl Response {
    pub fn to_bytes(&self) -> Bytes {
        Message::Response(self.clone()).to_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INVITE: &[u8] = b"INVITE sip:1000@127.0.0.1 SIP/2.0\r\n\
Via: SIP/2.0/UDP 127.0.0.2:5060;branch=z9hG4bK74bf9;rport\r\n\
Max-Forwards: 70\r\n\
From: \"Room 12\" <sip:room12@127.0.0.2>;tag=9fxced76sl\r\n\
To: <sip:1000@127.0.0.1>\r\n\
Call-ID: 3848276298220188511@127.0.0.2\r\n\
CSeq: 1 INVITE\r\n\
Contact: <sip:room12@127.0.0.2:5060>\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 4\r\n\
\r\n\
v=0\n";

    fn req(m: Message) -> Request {
        match m {
            Message::Request(r) => r,
            Message::Response(_) => panic!("expected a request"),
        }
    }

    #[test]
    fn parses_a_request_zero_copy() {
        let b = Bytes::from_static(INVITE);
        let r = req(parse(b.clone()).unwrap());
        assert_eq!(r.method, Method::Invite);
        assert_eq!(&r.uri[..], b"sip:1000@127.0.0.1");
        assert_eq!(&r.body[..], b"v=0\n");
        assert_eq!(r.headers.len(), 9);
        let v = r.headers.get(&HeaderName::Via).unwrap();
        // The value points into the input buffer.
        let range = b.as_ptr() as usize..b.as_ptr() as usize + b.len();
        assert!(range.contains(&(v.as_ptr() as usize)));
        validate(&Message::Request(r)).unwrap();
    }

    #[test]
    fn content_length_rules_over_udp() {
        let without = b"OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKa\r\n\r\nrest of datagram";
        let r = req(parse(Bytes::from_static(without)).unwrap());
        assert_eq!(&r.body[..], b"rest of datagram");
        let longer = b"OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nContent-Length: 99\r\n\r\nshort";
        assert_eq!(
            parse(Bytes::from_static(longer)),
            Err(ParseError::BodyTooShort)
        );
        let extra = b"OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nl: 2\r\n\r\nokEXTRA";
        assert_eq!(
            &req(parse(Bytes::from_static(extra)).unwrap()).body[..],
            b"ok"
        );
        let negative = b"OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nContent-Length: -999\r\n\r\n";
        assert_eq!(
            parse(Bytes::from_static(negative)),
            Err(ParseError::Header(HeaderError::Malformed("Content-Length")))
        );
        let two = b"OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nContent-Length: 5\r\nl: 3\r\n\r\nabcde";
        assert_eq!(
            parse(Bytes::from_static(two)),
            Err(ParseError::ConflictingContentLength)
        );
    }

    #[test]
    fn start_line_errors() {
        let cases: &[(&[u8], ParseError)] = &[
            (b"INVITE  sip:a@b SIP/2.0\r\n\r\n", ParseError::StartLine),
            (b"INVITE sip:a@b SIP/2.0 \r\n\r\n", ParseError::StartLine),
            (b"INVITE <sip:a@b> SIP/2.0\r\n\r\n", ParseError::RequestUri),
            (
                b"INVITE sip:a@b?Route=%3Csip:x%3E SIP/2.0\r\n\r\n",
                ParseError::RequestUri,
            ),
            (b"OPTIONS sip:a@b SIP/7.0\r\n\r\n", ParseError::Version),
            (b"SIP/2.0 4294967301 big\r\n\r\n", ParseError::StatusCode),
            (b"SIP/2.0 099 low\r\n\r\n", ParseError::StatusCode),
            (b"\r\n\r\n", ParseError::Empty),
            (
                b"INVITE sip:a@b SIP/2.0\r\nno colon here\r\n\r\n",
                ParseError::HeaderLine,
            ),
            (
                b"INVITE sip:a@b SIP/2.0\r\n continuation\r\n\r\n",
                ParseError::HeaderLine,
            ),
        ];
        for (raw, want) in cases {
            assert_eq!(
                parse(Bytes::copy_from_slice(raw)).err(),
                Some(*want),
                "{}",
                String::from_utf8_lossy(raw)
            );
        }
    }

    #[test]
    fn folded_values_are_unfolded() {
        let raw = b"OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nSubject: first\r\n  second\r\n\tthird\r\nl: 0\r\n\r\n";
        let r = req(parse(Bytes::from_static(raw)).unwrap());
        assert_eq!(
            &r.headers
                .get(&HeaderName::Other(Bytes::from_static(b"Subject")))
                .unwrap()[..],
            b"first  second\tthird"
        );
    }

    #[test]
    fn response_without_reason_and_leading_crlf() {
        let raw = b"\r\n\r\nSIP/2.0 100 \r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\nContent-Length: 0\r\n\r\n";
        match parse(Bytes::from_static(raw)).unwrap() {
            Message::Response(r) => {
                assert_eq!(r.status, StatusCode::TRYING);
                assert!(r.reason.is_empty());
            }
            Message::Request(_) => panic!(),
        }
        assert!(parse(Bytes::from_static(b"SIP/2.0 180\r\nl: 0\r\n\r\n")).is_ok());
    }

    #[test]
    fn limits() {
        let big = ParseLimits {
            max_message_size: 50,
            max_headers: 2,
        };
        assert_eq!(
            parse_with(Bytes::from_static(INVITE), &big),
            Err(ParseError::TooLarge)
        );
        let few = ParseLimits {
            max_headers: 2,
            ..ParseLimits::default()
        };
        assert_eq!(
            parse_with(Bytes::from_static(INVITE), &few),
            Err(ParseError::TooManyHeaders)
        );
    }

    #[test]
    fn encode_round_trips_and_sets_content_length() {
        let m = parse(Bytes::from_static(INVITE)).unwrap();
        let mut out = BytesMut::new();
        encode(&m, &mut out);
        assert_eq!(&out[..], INVITE);
        let mut r = req(m);
        r.body = Bytes::from_static(b"v=0\r\no=x\r\n");
        let again = req(parse(Message::Request(r.clone()).to_bytes()).unwrap());
        assert_eq!(again.content_length().unwrap(), Some(ContentLength(10)));
        assert_eq!(again.body, r.body);
        assert_eq!(again.headers.len(), r.headers.len());
    }

    #[test]
    fn validate_names_the_header() {
        let raw =
            b"OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;;,;,,\r\nl: 0\r\n\r\n";
        let m = parse(Bytes::from_static(raw)).unwrap();
        assert_eq!(
            validate(&m),
            Err(ParseError::Header(HeaderError::Malformed("Via")))
        );
        let raw = b"OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nCSeq: 8 INVITE\r\nl: 0\r\n\r\n";
        let m = parse(Bytes::from_static(raw)).unwrap();
        assert_eq!(validate(&m), Err(ParseError::CSeqMethodMismatch));
    }
}

/// The message model's typed view and builders, printed and parsed back.
#[cfg(test)]
mod message_tests {
    use super::*;
    use crate::sip::header::Transport;
    use crate::sip::uri::Host;

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
        match parse(Bytes::from_static(INVITE)).unwrap() {
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
        let again = parse(resp.to_bytes()).unwrap();
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
            Transport::Udp,
            Host::V4(std::net::Ipv4Addr::LOCALHOST),
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
        let parsed = parse(req.to_bytes()).unwrap();
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
