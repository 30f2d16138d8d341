//! SIP, SIPS and tel URIs (RFC 3261 §19.1, §25.1; RFC 3966) and the name-addr / addr-spec forms
//! used in From, To, Contact and Route (§20.10, §25.1).
//!
//! Parsing is zero-copy: user, host names and parameters are [`BytesStr`] slices of the
//! input. Escapes (`%XX`) are kept as received so printing round-trips; comparison
//! ([`PartialEq`] on [`Uri`]) follows RFC 3261 §19.1.4 and unescapes first.

use std::borrow::Cow;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use bytes::Bytes;

use crate::sip::bytes_str::BytesStr;
use crate::sip::lex::{self, is_lws, sub_str, ParamRef, Params};

/// What was wrong with a URI or name-addr; allocation-free.
#[derive(thiserror::Error, Debug, Clone, Copy, PartialEq, Eq)]
pub enum UriError {
    #[error("missing or invalid URI scheme")]
    Scheme,
    #[error("invalid user part in URI")]
    User,
    #[error("invalid host in URI")]
    Host,
    #[error("invalid port in URI")]
    Port,
    #[error("invalid URI parameter")]
    Param,
    #[error("invalid URI header")]
    Header,
    #[error("unexpected characters after URI")]
    Trailing,
    #[error("invalid display name")]
    DisplayName,
    #[error("unbalanced or malformed angle brackets")]
    Brackets,
    #[error("URI is not UTF-8")]
    Utf8,
}

/// A host: a name, an IPv4 address or an IPv6 reference (`[::1]`, RFC 3261 §25.1).
#[derive(Clone, Debug, Eq)]
pub enum Host {
    Name(BytesStr),
    V4(Ipv4Addr),
    V6(Ipv6Addr),
}

impl PartialEq for Host {
    /// Host names compare case-insensitively (§19.1.4).
    fn eq(&self, o: &Host) -> bool {
        match (self, o) {
            (Host::Name(a), Host::Name(b)) => a.eq_ignore_ascii_case(b),
            (Host::V4(a), Host::V4(b)) => a == b,
            (Host::V6(a), Host::V6(b)) => a == b,
            _ => false,
        }
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Name(n) => f.write_str(n),
            Host::V4(a) => write!(f, "{a}"),
            Host::V6(a) => write!(f, "[{a}]"),
        }
    }
}

impl From<std::net::IpAddr> for Host {
    fn from(a: std::net::IpAddr) -> Self {
        match a {
            std::net::IpAddr::V4(a) => Host::V4(a),
            std::net::IpAddr::V6(a) => Host::V6(a),
        }
    }
}

/// A `sip:` or `sips:` URI.
#[derive(Clone, Debug, Eq)]
pub struct SipUri {
    pub secure: bool,
    /// As received, escapes included; see [`SipUri::user_unescaped`].
    pub user: Option<BytesStr>,
    pub password: Option<BytesStr>,
    pub host: Host,
    pub port: Option<u16>,
    pub params: Params,
    /// `?name=value&…` headers (§19.1.1); each param always has a value.
    pub headers: Params,
}

impl SipUri {
    pub fn new(host: Host) -> Self {
        SipUri {
            secure: false,
            user: None,
            password: None,
            host,
            port: None,
            params: Params::new(),
            headers: Params::new(),
        }
    }
    pub fn with_user(mut self, user: impl Into<BytesStr>) -> Self {
        self.user = Some(user.into());
        self
    }
    pub fn with_port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }
    pub fn with_param(mut self, name: impl Into<BytesStr>, value: Option<BytesStr>) -> Self {
        self.params.set(name, value);
        self
    }
    /// The user part with `%XX` escapes decoded (may contain any byte, even NUL, RFC 4475 §3.1.1.4).
    pub fn user_unescaped(&self) -> Option<Cow<'_, [u8]>> {
        self.user.as_deref().map(|u| unescape(u.as_bytes()))
    }
    pub fn transport(&self) -> Option<&str> {
        self.params.value("transport")
    }
    pub fn maddr(&self) -> Option<&str> {
        self.params.value("maddr")
    }
    pub fn ttl(&self) -> Option<u8> {
        self.params.value("ttl").and_then(|t| t.parse().ok())
    }
    /// The `user=` parameter (`phone`, `ip`).
    pub fn user_param(&self) -> Option<&str> {
        self.params.value("user")
    }
    /// Loose routing (RFC 3261 §16.12, §19.1.1).
    pub fn lr(&self) -> bool {
        self.params.contains("lr")
    }
}

/// A `tel:` URI (RFC 3966): the number as written and its parameters.
#[derive(Clone, Debug, Eq)]
pub struct TelUri {
    pub number: BytesStr,
    pub params: Params,
}

/// A URI as found in a Request-URI or a name-addr.
#[derive(Clone, Debug, Eq)]
pub enum Uri {
    Sip(SipUri),
    Tel(TelUri),
    /// Any other absolute URI (RFC 3261 §19.1.5 answers an unknown scheme with 416 at the UAS;
    /// RFC 4475 §3.3.2).
    Other {
        scheme: BytesStr,
        opaque: BytesStr,
    },
}

impl Uri {
    /// Parses a complete URI (a Request-URI, or the inside of `<…>`).
    pub fn parse(b: &Bytes) -> Result<Uri, UriError> {
        let (uri, rest) = parse_uri(b, b, false)?;
        if rest.is_empty() {
            Ok(uri)
        } else {
            Err(UriError::Trailing)
        }
    }
    pub fn scheme(&self) -> &str {
        match self {
            Uri::Sip(u) if u.secure => "sips",
            Uri::Sip(_) => "sip",
            Uri::Tel(_) => "tel",
            Uri::Other { scheme, .. } => scheme,
        }
    }
    pub fn as_sip(&self) -> Option<&SipUri> {
        match self {
            Uri::Sip(u) => Some(u),
            _ => None,
        }
    }
    pub fn as_sip_mut(&mut self) -> Option<&mut SipUri> {
        match self {
            Uri::Sip(u) => Some(u),
            _ => None,
        }
    }
    /// Whether a sip/sips URI carries `?headers` (not allowed in a Request-URI, RFC 3261
    /// §19.1.1 table; RFC 4475 §3.1.2.11).
    pub fn has_headers(&self) -> bool {
        matches!(self, Uri::Sip(u) if !u.headers.is_empty())
    }
}

impl FromStr for Uri {
    type Err = UriError;
    fn from_str(s: &str) -> Result<Self, UriError> {
        Uri::parse(&Bytes::copy_from_slice(s.as_bytes()))
    }
}

impl From<SipUri> for Uri {
    fn from(u: SipUri) -> Self {
        Uri::Sip(u)
    }
}

impl fmt::Display for SipUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.secure { "sips:" } else { "sip:" })?;
        if let Some(u) = &self.user {
            f.write_str(u)?;
            if let Some(p) = &self.password {
                write!(f, ":{p}")?;
            }
            f.write_str("@")?;
        }
        write!(f, "{}", self.host)?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        write!(f, "{}", self.params)?;
        for (k, h) in self.headers.iter().enumerate() {
            f.write_str(if k == 0 { "?" } else { "&" })?;
            write!(f, "{}={}", h.name, h.value.unwrap_or(""))?;
        }
        Ok(())
    }
}

impl fmt::Display for Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Uri::Sip(u) => write!(f, "{u}"),
            Uri::Tel(t) => write!(f, "tel:{}{}", t.number, t.params),
            Uri::Other { scheme, opaque } => write!(f, "{scheme}:{opaque}"),
        }
    }
}

/// Decodes `%XX` escapes; malformed escapes are kept as is.
pub fn unescape(s: &[u8]) -> Cow<'_, [u8]> {
    if !s.contains(&b'%') {
        return Cow::Borrowed(s);
    }
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(s.len());
    let mut k = 0;
    while k < s.len() {
        if s[k] == b'%' && k + 2 < s.len() {
            if let (Some(h), Some(l)) = (hex(s[k + 1]), hex(s[k + 2])) {
                out.push(h << 4 | l);
                k += 3;
                continue;
            }
        }
        out.push(s[k]);
        k += 1;
    }
    Cow::Owned(out)
}

fn ieq_unescaped(a: &str, b: &str) -> bool {
    unescape(a.as_bytes()).eq_ignore_ascii_case(&unescape(b.as_bytes()))
}

fn find_param<'a>(ps: &'a Params, name: &str) -> Option<ParamRef<'a>> {
    ps.iter().find(|p| ieq_unescaped(p.name, name))
}

fn param_values_eq(a: ParamRef<'_>, b: ParamRef<'_>) -> bool {
    match (a.value, b.value) {
        (None, None) => true,
        (Some(x), Some(y)) => ieq_unescaped(x, y),
        _ => false,
    }
}

/// RFC 3261 §19.1.4: parameters present in both must agree; user, ttl, method, maddr and
/// transport must appear in both or neither; headers must all match.
fn sip_params_eq(a: &Params, b: &Params) -> bool {
    for special in ["user", "ttl", "method", "maddr", "transport"] {
        match (find_param(a, special), find_param(b, special)) {
            (None, None) => {}
            (Some(x), Some(y)) if param_values_eq(x, y) => {}
            _ => return false,
        }
    }
    // A name repeated against §19.1.1 counts once (its first occurrence), on both sides, so
    // equality stays reflexive (found by the sip_message fuzz target).
    a.iter()
        .enumerate()
        .filter(|&(k, p)| a.iter().position(|q| ieq_unescaped(q.name, p.name)) == Some(k))
        .all(|(_, p)| match find_param(b, p.name) {
            Some(q) => param_values_eq(p, q),
            None => true,
        })
}

fn headers_eq(a: &Params, b: &Params) -> bool {
    let value = |p: ParamRef<'_>| unescape(p.value.unwrap_or("").as_bytes()).into_owned();
    a.len() == b.len()
        && a.iter().all(|h| {
            b.iter()
                .any(|g| ieq_unescaped(g.name, h.name) && value(g) == value(h))
        })
}

impl PartialEq for SipUri {
    /// URI equality per RFC 3261 §19.1.4 (not structural equality).
    fn eq(&self, o: &SipUri) -> bool {
        fn opt_unesc(s: &Option<BytesStr>) -> Option<Cow<'_, [u8]>> {
            s.as_deref().map(|s| unescape(s.as_bytes()))
        }
        self.secure == o.secure
            && opt_unesc(&self.user) == opt_unesc(&o.user)
            && opt_unesc(&self.password) == opt_unesc(&o.password)
            && self.host == o.host
            && self.port == o.port
            && sip_params_eq(&self.params, &o.params)
            && headers_eq(&self.headers, &o.headers)
    }
}

impl PartialEq for TelUri {
    /// RFC 3966 §4: visual separators do not count; parameters compare as a set.
    fn eq(&self, o: &TelUri) -> bool {
        let digits = |s: &str| {
            s.bytes()
                .filter(|c| !matches!(c, b'-' | b'.' | b'(' | b')'))
                .map(|c| c.to_ascii_lowercase())
                .collect::<Vec<_>>()
        };
        digits(&self.number) == digits(&o.number)
            && self.params.len() == o.params.len()
            && self.params.iter().all(|p| {
                let p = find_param(&self.params, p.name).expect("p is in self");
                find_param(&o.params, p.name).is_some_and(|q| param_values_eq(p, q))
            })
    }
}

impl PartialEq for Uri {
    fn eq(&self, o: &Uri) -> bool {
        match (self, o) {
            (Uri::Sip(a), Uri::Sip(b)) => a == b,
            (Uri::Tel(a), Uri::Tel(b)) => a == b,
            (
                Uri::Other {
                    scheme: s1,
                    opaque: o1,
                },
                Uri::Other {
                    scheme: s2,
                    opaque: o2,
                },
            ) => s1.eq_ignore_ascii_case(s2) && o1 == o2,
            _ => false,
        }
    }
}

// Character classes of RFC 3261 §25.1 (unreserved = alphanum / mark; `%` admits escapes).
const USER: [bool; 256] = lex::class(b"-_.!~*'()%&=+$,;?/", true);
const PASSWORD: [bool; 256] = lex::class(b"-_.!~*'()%&=+$,", true);
const PARAM: [bool; 256] = lex::class(b"-_.!~*'()%[]/:&+$", true);
const HNV: [bool; 256] = lex::class(b"-_.!~*'()%[]/?:+$", true);
const HOST: [bool; 256] = lex::class(b"-.", true);

#[inline]
fn is_hnv_char(c: u8) -> bool {
    HNV[c as usize]
}

/// A slice of characters from one of the ASCII classes above (USER, PASSWORD, HOST).
#[inline]
fn ascii(src: &Bytes, s: &[u8]) -> BytesStr {
    BytesStr::from_ascii(lex::sub(src, s))
}

/// A port: 1 to 5 digits that fit in u16.
#[inline]
pub(crate) fn parse_port(d: &[u8]) -> Option<u16> {
    if d.is_empty() || d.len() > 5 || !d.iter().all(u8::is_ascii_digit) {
        return None;
    }
    u16::try_from(d.iter().fold(0u32, |v, &c| v * 10 + u32::from(c - b'0'))).ok()
}

/// A dotted-quad IPv4address (§25.1), without going through `str::parse`.
#[inline]
fn parse_ipv4(s: &[u8]) -> Option<Ipv4Addr> {
    let mut out = [0u8; 4];
    let mut parts = s.split(|&c| c == b'.');
    for o in &mut out {
        let p = parts.next()?;
        if p.is_empty() || p.len() > 3 || !p.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let v = p.iter().fold(0u16, |v, &c| v * 10 + u16::from(c - b'0'));
        *o = u8::try_from(v).ok()?;
    }
    if parts.next().is_some() {
        return None;
    }
    Some(Ipv4Addr::from(out))
}

/// `host` (§25.1): hostname, IPv4address or IPv6reference. Returns the host and the rest.
#[inline]
pub(crate) fn parse_host<'a>(src: &Bytes, s: &'a [u8]) -> Result<(Host, &'a [u8]), UriError> {
    if s.first() == Some(&b'[') {
        let close = s.iter().position(|&c| c == b']').ok_or(UriError::Host)?;
        let text = std::str::from_utf8(&s[1..close]).map_err(|_| UriError::Host)?;
        let a = text.parse::<Ipv6Addr>().map_err(|_| UriError::Host)?;
        return Ok((Host::V6(a), &s[close + 1..]));
    }
    let n = lex::span(s, &HOST);
    if n == 0 {
        return Err(UriError::Host);
    }
    let name = &s[..n];
    if let Some(a) = parse_ipv4(name) {
        return Ok((Host::V4(a), &s[n..]));
    }
    Ok((Host::Name(ascii(src, name)), &s[n..]))
}

#[inline]
fn uri_params<'a>(src: &Bytes, s: &'a [u8], params: &mut Params) -> Result<&'a [u8], UriError> {
    let mut rest = s;
    while rest.first() == Some(&b';') {
        let n = lex::span(&rest[1..], &PARAM);
        if n == 0 {
            return Err(UriError::Param);
        }
        rest = &rest[1 + n..];
        if rest.first() == Some(&b'=') {
            let m = lex::span(&rest[1..], &PARAM);
            if m == 0 {
                return Err(UriError::Param);
            }
            rest = &rest[1 + m..];
        }
    }
    let text = &s[..s.len() - rest.len()];
    if !text.is_empty() {
        // PARAM is ASCII only.
        *params = Params::from_checked(BytesStr::from_ascii(lex::sub(src, text)));
    }
    Ok(rest)
}

#[inline]
fn uri_headers<'a>(
    src: &Bytes,
    mut s: &'a [u8],
    headers: &mut Params,
) -> Result<&'a [u8], UriError> {
    if s.first() != Some(&b'?') {
        return Ok(s);
    }
    loop {
        // s starts with '?' or '&'
        let n = s[1..]
            .iter()
            .position(|&c| !is_hnv_char(c))
            .unwrap_or(s.len() - 1);
        if n == 0 || s.get(1 + n) != Some(&b'=') {
            return Err(UriError::Header);
        }
        let name = sub_str(src, &s[1..1 + n]).ok_or(UriError::Utf8)?;
        s = &s[2 + n..];
        let m = s.iter().position(|&c| !is_hnv_char(c)).unwrap_or(s.len());
        let value = sub_str(src, &s[..m]).ok_or(UriError::Utf8)?;
        headers.push(name, Some(value));
        s = &s[m..];
        if s.first() != Some(&b'&') {
            return Ok(s);
        }
    }
}

#[inline(always)]
fn parse_sip<'a>(
    src: &Bytes,
    s: &'a [u8],
    secure: bool,
    addr_spec: bool,
) -> Result<(SipUri, &'a [u8]), UriError> {
    let (mut user, mut password) = (None, None);
    let mut s = s;
    // Userinfo ends at an `@` that comes before any white space, bracket or quote (the host
    // part has no `@`); one pass finds it.
    let at = s
        .iter()
        .position(|&c| c == b'@' || is_lws(c) || matches!(c, b'<' | b'>' | b'"'));
    if let Some(at) = at.filter(|&k| s[k] == b'@') {
        let userinfo = &s[..at];
        // USER has no `:`, so the span ends at the password or at a bad character.
        let n = lex::span(userinfo, &USER);
        if n == 0 {
            return Err(UriError::User);
        }
        match userinfo.get(n) {
            None => {}
            Some(b':') => {
                let p = &userinfo[n + 1..];
                if lex::span(p, &PASSWORD) != p.len() {
                    return Err(UriError::User);
                }
                password = Some(ascii(src, p));
            }
            Some(_) => return Err(UriError::User),
        }
        user = Some(ascii(src, &userinfo[..n]));
        s = &s[at + 1..];
    }
    let (host, mut s) = parse_host(src, s)?;
    let mut port = None;
    if s.first() == Some(&b':') {
        let n = s[1..]
            .iter()
            .position(|c| !c.is_ascii_digit())
            .unwrap_or(s.len() - 1);
        port = Some(parse_port(&s[1..1 + n]).ok_or(UriError::Port)?);
        s = &s[1 + n..];
    }
    let mut uri = SipUri {
        secure,
        user,
        password,
        host,
        port,
        params: Params::new(),
        headers: Params::new(),
    };
    if addr_spec {
        // In an addr-spec, `;` starts header parameters; a `?` means the URI needed angle
        // brackets (RFC 3261 §20; RFC 4475 §3.1.2.13).
        if s.first() == Some(&b'?') {
            return Err(UriError::Header);
        }
        return Ok((uri, s));
    }
    let s = uri_params(src, s, &mut uri.params)?;
    let s = uri_headers(src, s, &mut uri.headers)?;
    Ok((uri, s))
}

/// Parses a URI at the start of `s`. With `addr_spec`, the URI ends where header parameters
/// (`;`), a list separator or white space begin; otherwise `s` is the whole URI.
#[inline(always)]
pub(crate) fn parse_uri<'a>(
    src: &Bytes,
    s: &'a [u8],
    addr_spec: bool,
) -> Result<(Uri, &'a [u8]), UriError> {
    let n = s
        .iter()
        .position(|&c| !(c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.')))
        .unwrap_or(s.len());
    if n == 0 || !s[0].is_ascii_alphabetic() || s.get(n) != Some(&b':') {
        return Err(UriError::Scheme);
    }
    let scheme = &s[..n];
    let rest = &s[n + 1..];
    if scheme.eq_ignore_ascii_case(b"sip") || scheme.eq_ignore_ascii_case(b"sips") {
        let (u, r) = parse_sip(src, rest, scheme.len() == 4, addr_spec)?;
        return Ok((Uri::Sip(u), r));
    }
    let end_of = |r: &[u8], stop_semi: bool| {
        r.iter()
            .position(|&c| {
                is_lws(c)
                    || matches!(c, b'<' | b'>' | b'"')
                    || (addr_spec && c == b',')
                    || (stop_semi && c == b';')
            })
            .unwrap_or(r.len())
    };
    if scheme.eq_ignore_ascii_case(b"tel") {
        let k = end_of(rest, true);
        if k == 0 {
            return Err(UriError::User);
        }
        let number = sub_str(src, &rest[..k]).ok_or(UriError::Utf8)?;
        let mut tel = TelUri {
            number,
            params: Params::new(),
        };
        let r = if addr_spec {
            &rest[k..]
        } else {
            uri_params(src, &rest[k..], &mut tel.params)?
        };
        return Ok((Uri::Tel(tel), r));
    }
    let k = end_of(rest, addr_spec);
    if k == 0 {
        return Err(UriError::Scheme);
    }
    Ok((
        Uri::Other {
            scheme: sub_str(src, scheme).ok_or(UriError::Utf8)?,
            opaque: sub_str(src, &rest[..k]).ok_or(UriError::Utf8)?,
        },
        &rest[k..],
    ))
}

/// A `name-addr` or `addr-spec` (RFC 3261 §25.1): an optional display name and a URI.
/// Always printed as a name-addr (`"Display" <uri>` or `<uri>`), which is never ambiguous.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameAddr {
    /// The display name as received: the inside of the quoted string (escapes kept) or the
    /// token sequence. See [`NameAddr::display_name`].
    pub display: Option<BytesStr>,
    pub uri: Uri,
}

impl NameAddr {
    pub fn new(uri: Uri) -> Self {
        NameAddr { display: None, uri }
    }
    /// Sets a display name from plain text (quotes and backslashes are escaped on print).
    pub fn with_display_name(mut self, name: &str) -> Self {
        let q = lex::quote(name);
        self.display = Some(BytesStr::from(q[1..q.len() - 1].to_string()));
        self
    }
    /// The display name with quoted-pair escapes removed.
    pub fn display_name(&self) -> Option<Cow<'_, str>> {
        self.display.as_deref().map(|d| {
            if d.contains('\\') {
                Cow::Owned(lex::unquote(&format!("\"{d}\"")).into_owned())
            } else {
                Cow::Borrowed(d)
            }
        })
    }

    /// Parses a name-addr / addr-spec at the start of `s`, returning the rest (header params).
    #[inline(always)]
    pub(crate) fn parse_in<'a>(src: &Bytes, s: &'a [u8]) -> Result<(NameAddr, &'a [u8]), UriError> {
        let s = lex::lws(s);
        let (display, s) = match s.first() {
            Some(b'"') => {
                let (rest, q) = lex::quoted_string(s).map_err(|_| UriError::DisplayName)?;
                let d = sub_str(src, &q[1..q.len() - 1]).ok_or(UriError::Utf8)?;
                (Some(d), lex::lws(rest))
            }
            Some(b'<') => (None, s),
            _ => {
                // `*(token LWS)` followed by `<` is a display name (RFC 4475 §3.1.1.6: no
                // space needed before `<`); anything else is an addr-spec.
                let mut k = s;
                let mut end = 0;
                while let Ok((r, _)) = lex::token(k) {
                    end = s.len() - r.len();
                    k = lex::lws(r);
                }
                if end > 0 && k.first() == Some(&b'<') {
                    (Some(sub_str(src, &s[..end]).ok_or(UriError::Utf8)?), k)
                } else {
                    let (uri, rest) = parse_uri(src, s, true)?;
                    return Ok((NameAddr { display: None, uri }, rest));
                }
            }
        };
        if s.first() != Some(&b'<') {
            return Err(UriError::Brackets);
        }
        // The closing bracket, with no white space before it (RFC 4475 §3.1.2.14).
        let close = 1 + s[1..]
            .iter()
            .position(|&c| c == b'>' || is_lws(c))
            .ok_or(UriError::Brackets)?;
        if s[close] != b'>' {
            return Err(UriError::Brackets);
        }
        let inner = &s[1..close];
        let (uri, rest) = parse_uri(src, inner, false)?;
        if !rest.is_empty() {
            return Err(UriError::Trailing);
        }
        Ok((NameAddr { display, uri }, &s[close + 1..]))
    }

    pub fn parse(b: &Bytes) -> Result<NameAddr, UriError> {
        let (na, rest) = NameAddr::parse_in(b, b)?;
        if lex::lws(rest).is_empty() {
            Ok(na)
        } else {
            Err(UriError::Trailing)
        }
    }
}

impl fmt::Display for NameAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(d) = &self.display {
            write!(f, "\"{d}\" ")?;
        }
        write!(f, "<{}>", self.uri)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(s: &str) -> Uri {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn round_trip(s: &str) -> Uri {
        let u = uri(s);
        let printed = u.to_string();
        assert_eq!(printed, s, "prints as received");
        assert_eq!(uri(&printed), u);
        u
    }

    #[test]
    fn sip_uri_parts() {
        let u = round_trip("sip:alice:secret@Example.COM:5070;transport=tcp;lr?subject=hi&x=1");
        let s = u.as_sip().unwrap();
        assert!(!s.secure);
        assert_eq!(s.user.as_deref(), Some("alice"));
        assert_eq!(s.password.as_deref(), Some("secret"));
        assert_eq!(s.host, Host::Name("example.com".into()));
        assert_eq!(s.port, Some(5070));
        assert_eq!(s.transport(), Some("tcp"));
        assert!(s.lr());
        assert_eq!(s.headers.value("subject"), Some("hi"));
    }

    #[test]
    fn hosts() {
        let u = round_trip("sips:[2001:db8::1]:5061");
        assert_eq!(
            u.as_sip().unwrap().host,
            Host::V6("2001:db8::1".parse().unwrap())
        );
        let u = round_trip("sip:1000@127.0.0.1");
        assert_eq!(u.as_sip().unwrap().host, Host::V4(Ipv4Addr::LOCALHOST));
        assert!("sip:1000@[::1".parse::<Uri>().is_err());
        assert!("sip:1000@".parse::<Uri>().is_err());
        assert!("sip:1000@host:99999".parse::<Uri>().is_err());
    }

    #[test]
    fn ipv4_or_name() {
        assert_eq!(parse_ipv4(b"127.0.0.1"), Some(Ipv4Addr::LOCALHOST));
        assert_eq!(parse_ipv4(b"255.255.255.255"), Some(Ipv4Addr::BROADCAST));
        for not in [
            &b"256.1.1.1"[..],
            b"1.2.3",
            b"1.2.3.4.5",
            b"1..2.3",
            b"a.b.c.d",
            b"1234.1.1.1",
        ] {
            assert_eq!(parse_ipv4(not), None);
        }
        let u = uri("sip:x@1.2.3.4.example.com");
        assert_eq!(
            u.as_sip().unwrap().host,
            Host::Name("1.2.3.4.example.com".into())
        );
    }

    #[test]
    fn tel_and_other_schemes() {
        let u = round_trip("tel:+1-201-555-0123;phone-context=example.com");
        assert!(matches!(u, Uri::Tel(_)));
        assert_eq!(u, uri("tel:+12015550123;phone-context=example.com"));
        let u = round_trip("soap.beep://127.0.0.3:3002");
        assert_eq!(u.scheme(), "soap.beep");
        assert!("<sip:x@y>".parse::<Uri>().is_err());
    }

    #[test]
    fn escapes_in_user_and_params() {
        let u = round_trip("sip:sips%3Auser%40example.com@example.net");
        assert_eq!(
            &*u.as_sip().unwrap().user_unescaped().unwrap(),
            b"sips:user@example.com"
        );
        let u = uri("sip:null-%00-null@example.com");
        assert_eq!(
            &*u.as_sip().unwrap().user_unescaped().unwrap(),
            b"null-\0-null"
        );
        assert_eq!(
            uri("sip:cal%6Cer@host;%6C%72;n%61me=v%61lue"),
            uri("sip:caller@HOST;lr;name=value")
        );
    }

    #[test]
    fn comparison_rfc3261_19_1_4() {
        // The equal pairs of §19.1.4.
        assert_eq!(
            uri("sip:%61lice@atlanta.com;transport=TCP"),
            uri("sip:alice@AtLanTa.CoM;Transport=tcp")
        );
        assert_eq!(
            uri("sip:carol@chicago.com"),
            uri("sip:carol@chicago.com;newparam=5")
        );
        assert_eq!(
            uri("sip:carol@chicago.com;security=on"),
            uri("sip:carol@chicago.com;newparam=5")
        );
        assert_eq!(
            uri("sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com"),
            uri("sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com")
        );
        assert_eq!(
            uri("sip:alice@atlanta.com?subject=project%20x&priority=urgent"),
            uri("sip:alice@atlanta.com?priority=urgent&subject=project%20x")
        );
        // The unequal pairs.
        assert_ne!(
            uri("SIP:ALICE@AtLanTa.CoM;Transport=udp"),
            uri("sip:alice@AtLanTa.CoM;Transport=UDP")
        );
        assert_ne!(uri("sip:bob@biloxi.com"), uri("sip:bob@biloxi.com:5060"));
        assert_ne!(
            uri("sip:bob@biloxi.com"),
            uri("sip:bob@biloxi.com;transport=udp")
        );
        assert_ne!(
            uri("sip:bob@biloxi.com:6000;transport=tcp"),
            uri("sip:bob@biloxi.com:6000")
        );
        assert_ne!(
            uri("sip:carol@chicago.com"),
            uri("sip:carol@chicago.com?Subject=next%20meeting")
        );
        assert_ne!(
            uri("sip:bob@phone21.boxesbybob.com"),
            uri("sip:bob@192.0.2.4")
        );
        assert_ne!(
            uri("sip:carol@chicago.com;security=on"),
            uri("sip:carol@chicago.com;security=off")
        );
        assert_ne!(uri("sip:a@x"), uri("sips:a@x"));
        // Repeated parameter names (illegal, but received): still equal to itself.
        let dup = uri("sip:user;par=u%40example;par=u%40exe.com");
        assert_eq!(dup, dup.clone());
        let dup = uri("sip:a@x?h=1&h=2");
        assert_eq!(dup, dup.clone());
    }

    #[test]
    fn name_addr_forms() {
        let b = Bytes::from_static(br#""J Rosenberg \\\"" <sip:jdrosen@example.com>"#);
        let na = NameAddr::parse(&b).unwrap();
        assert_eq!(na.display_name().as_deref(), Some(r#"J Rosenberg \""#));
        let na2 = NameAddr::parse(&Bytes::from(na.to_string())).unwrap();
        assert_eq!(na, na2);

        let b = Bytes::from_static(b"caller<sip:caller@example.com>");
        assert_eq!(
            NameAddr::parse(&b).unwrap().display.as_deref(),
            Some("caller")
        );
        let b = Bytes::from_static(b"sip:caller@example.net");
        assert!(NameAddr::parse(&b).unwrap().display.is_none());
        for bad in [
            &b"\"Mr. J. User <sip:j.user@example.com>"[..],
            b"\"Watson, Thomas\" < sip:t.watson@example.org >",
            b"Bell, Alexander <sip:a.g.bell@example.com>",
            b"<sip:x@y",
        ] {
            assert!(
                NameAddr::parse(&Bytes::copy_from_slice(bad)).is_err(),
                "{bad:?}"
            );
        }
        let na = NameAddr::new(uri("sip:1000@127.0.0.1")).with_display_name(r#"Room "A""#);
        assert_eq!(na.to_string(), r#""Room \"A\"" <sip:1000@127.0.0.1>"#);
        assert_eq!(na.display_name().as_deref(), Some(r#"Room "A""#));
    }

    #[test]
    fn unusual_user_and_password() {
        let s = "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com";
        let u = round_trip(s);
        let s = u.as_sip().unwrap();
        assert_eq!(
            s.user.as_deref(),
            Some("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*")
        );
        assert_eq!(
            s.password.as_deref(),
            Some("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)")
        );
    }

    #[test]
    fn repeated_parameters_keep_equality_reflexive() {
        // Fuzzer find (sip_message): `;p=…;p=…` compared unequal to itself.
        for raw in [
            "sip:user@example.com;p=a;p=b",
            "sip:user@example.com?h=a&h=b",
            "tel:+1-555;p=a;p=b",
        ] {
            let u = Uri::parse(&Bytes::from_static(raw.as_bytes())).unwrap();
            assert_eq!(u, u.clone(), "{raw}");
            let back = Uri::parse(&Bytes::from(u.to_string())).unwrap();
            assert_eq!(back, u, "{raw}");
        }
    }
}
