//! The little header access the transaction, dialog and UA layers need: the top Via, CSeq,
//! tags, name-addr URIs, comma lists, and printing a message to bytes.
//!
//! Via, CSeq, Call-ID, tags and the session-timer headers are read with the codec's typed
//! headers ([`crate::sip::header`]) and printing is the codec's ([`crate::sip::codec::encode`]);
//! what is left here is the textual work the transaction and dialog layers need on raw values
//! (the top Via as received, comma lists, name-addr URIs, stamping `received`/`rport`).
//! A malformed value reads as `None` and the caller answers per the RFC.

use crate::sip::header::TypedHeader;
use crate::sip::message::{HeaderName, Headers, Message, Method, Request, Response, StatusCode};
use bytes::Bytes;

/// The branch prefix of RFC 3261 §8.1.1.7 ("magic cookie").
pub(crate) const MAGIC_COOKIE: &str = "z9hG4bK";

/// A view of one Via value (RFC 3261 §20.42, RFC 3581).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Via {
    pub transport: String,
    pub host: String,
    pub port: Option<u16>,
    pub branch: Option<String>,
    /// `Some(None)`: `rport` present without a value (RFC 3581 §3 asks us to fill it).
    pub rport: Option<Option<u16>>,
    pub received: Option<String>,
    pub maddr: Option<String>,
}

impl Via {
    /// sent-by with the default port made explicit, lower-cased: the form §17.2.3 compares.
    pub fn sent_by_key(&self) -> String {
        let default = if self.transport.eq_ignore_ascii_case("TLS") {
            5061
        } else {
            5060
        };
        format!(
            "{}:{}",
            self.host.to_ascii_lowercase(),
            self.port.unwrap_or(default)
        )
    }
}

/// Splits `s` at top-level commas: not inside quotes or `<…>` (RFC 3261 §7.3.1).
pub(crate) fn split_commas(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut quoted, mut angle, mut escaped, mut start) = (false, false, false, 0);
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '<' if !quoted => angle = true,
            '>' if !quoted => angle = false,
            ',' if !quoted && !angle => {
                out.push(s[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    let last = s[start..].trim();
    if !last.is_empty() || !out.is_empty() {
        out.push(last);
    }
    out.retain(|v| !v.is_empty());
    out
}

fn text(b: &Bytes) -> Option<&str> {
    std::str::from_utf8(b).ok()
}

/// Every comma-separated value of `name`, over all its header lines, in order.
pub(crate) fn list_values(headers: &Headers, name: HeaderName) -> Vec<String> {
    headers
        .get_all(&name)
        .filter_map(text)
        .flat_map(split_commas)
        .map(str::to_owned)
        .collect()
}

/// Byte index of the first top-level comma of a Via line (§7.3.1), or its length.
fn first_element_end(line: &str) -> usize {
    let (mut quoted, mut escaped) = (false, false);
    for (i, c) in line.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => return i,
            _ => {}
        }
    }
    line.len()
}

/// The raw text of the top Via value (first value of the first Via line).
pub(crate) fn top_via_raw(headers: &Headers) -> Option<String> {
    let first = text(headers.get(&HeaderName::Via)?)?;
    let v = first[..first_element_end(first)].trim();
    (!v.is_empty()).then(|| v.to_string())
}

pub(crate) fn top_via(headers: &Headers) -> Option<Via> {
    from_typed(headers.via().ok()?)
}

pub(crate) fn parse_via(v: &str) -> Option<Via> {
    from_typed(crate::sip::header::Via::parse(&Bytes::copy_from_slice(v.as_bytes())).ok()?)
}

fn from_typed(v: crate::sip::header::Via) -> Option<Via> {
    if &*v.version != "2.0" {
        return None;
    }
    Some(Via {
        transport: v.transport.as_str().to_ascii_uppercase(),
        host: v.host.to_string(),
        port: v.port,
        branch: v.branch().map(str::to_owned),
        rport: v.rport(),
        received: v.received().map(str::to_owned),
        maddr: v.maddr().map(str::to_owned),
    })
}

/// Replaces the top Via value with `new_value`, keeping every other header where it was.
pub(crate) fn replace_top_via(headers: &mut Headers, new_value: String) {
    let mut out = Headers::with_capacity(headers.len());
    let mut done = false;
    for (name, value) in headers.iter() {
        if !done && *name == HeaderName::Via {
            done = true;
            // Keep the rest of the line (", SIP/2.0/UDP proxy…") byte for byte.
            let rest = text(value).map_or("", |line| &line[first_element_end(line)..]);
            let mut joined = new_value.clone();
            joined.push_str(rest);
            out.push(name.clone(), Bytes::from(joined));
        } else {
            out.push(name.clone(), value.clone());
        }
    }
    *headers = out;
}

/// [`stamp_received_parsed`] reading the top Via itself (tests).
#[cfg(test)]
pub(crate) fn stamp_received(headers: &mut Headers, source: std::net::SocketAddr) {
    let Some(raw) = top_via_raw(headers) else {
        return;
    };
    let Some(via) = parse_via(&raw) else {
        return;
    };
    stamp_received_parsed(headers, &raw, &via, source);
}

/// RFC 3261 §18.2.1 and RFC 3581 §4: stamp `received` (and fill `rport`) on the top Via of a
/// request from `source`, so responses can find their way back through NAT. `raw`/`via` are
/// that top Via as received, already read by the caller.
pub(crate) fn stamp_received_parsed(
    headers: &mut Headers,
    raw: &str,
    via: &Via,
    source: std::net::SocketAddr,
) {
    let ip = source.ip();
    let ip_text = ip.to_string();
    let host_is_source = via
        .host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<std::net::IpAddr>()
        .map(|h| h == ip)
        .unwrap_or(false);
    let wants_rport = via.rport.is_some();
    if host_is_source && !wants_rport {
        return;
    }
    let (head, params) = match raw.find(';') {
        Some(i) => (&raw[..i], &raw[i + 1..]),
        None => (raw, ""),
    };
    let mut value = head.trim_end().to_string();
    for p in params.split(';').filter(|p| !p.trim().is_empty()) {
        let name = p.split('=').next().unwrap_or("").trim();
        if name.eq_ignore_ascii_case("received") {
            continue;
        }
        value.push(';');
        if name.eq_ignore_ascii_case("rport") {
            value.push_str(&format!("rport={}", source.port()));
        } else {
            value.push_str(p.trim());
        }
    }
    value.push_str(";received=");
    value.push_str(&ip_text);
    replace_top_via(headers, value);
}

/// CSeq: sequence number and method (§20.16).
pub(crate) fn cseq(headers: &Headers) -> Option<(u32, Method)> {
    let c = headers.cseq().ok()?;
    Some((c.seq, c.method))
}

pub(crate) fn call_id(headers: &Headers) -> Option<String> {
    Some(headers.call_id().ok()?.as_str().to_string())
}

/// Index where the header parameters of a name-addr / addr-spec value start (§20.10: in the
/// addr-spec form everything after the first `;` is a header parameter).
fn header_params_start(v: &str) -> usize {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in v.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '<' if !quoted => return v[i..].find('>').map(|j| i + j + 1).unwrap_or(v.len()),
            _ => {}
        }
    }
    v.find(';').unwrap_or(v.len())
}

/// A header parameter of a name-addr value (`tag`, `expires`…).
pub(crate) fn header_param(v: &str, name: &str) -> Option<String> {
    let params = &v[header_params_start(v)..];
    params.split(';').find_map(|p| {
        let (n, val) = match p.find('=') {
            Some(i) => (p[..i].trim(), p[i + 1..].trim()),
            None => (p.trim(), ""),
        };
        n.eq_ignore_ascii_case(name).then(|| val.to_string())
    })
}

/// The `tag` of From or To (§19.3). Read textually: tags are looked up several times per
/// request (matching, dialogs, merged requests) and a full name-addr parse each time showed
/// in profiles; [`header_param`] knows where header parameters start.
pub(crate) fn tag(headers: &Headers, name: HeaderName) -> Option<String> {
    let v = text(headers.get(&name)?)?;
    header_param(v, "tag").filter(|t| !t.is_empty())
}

/// The URI of a name-addr or addr-spec value.
pub(crate) fn addr_uri(v: &str) -> String {
    let v = v.trim();
    let mut quoted = false;
    for (i, c) in v.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '<' if !quoted => {
                let rest = &v[i + 1..];
                return rest[..rest.find('>').unwrap_or(rest.len())]
                    .trim()
                    .to_string();
            }
            _ => {}
        }
    }
    v[..v.find(';').unwrap_or(v.len())].trim().to_string()
}

/// Whether a URI (or Route value) carries the `lr` parameter (§19.1.1, loose routing).
pub(crate) fn uri_has_lr(uri: &str) -> bool {
    let uri = uri.split('?').next().unwrap_or("");
    uri.split(';').skip(1).any(|p| {
        p.split('=')
            .next()
            .unwrap_or("")
            .trim()
            .eq_ignore_ascii_case("lr")
    })
}

/// Session-Expires (RFC 4028 §4): delta-seconds and the refresher (`uac`/`uas`), if named.
pub(crate) fn session_expires(headers: &Headers) -> Option<(u32, Option<String>)> {
    let se = headers.session_expires().ok()??;
    Some((se.interval, se.refresher().map(|r| r.as_str().to_string())))
}

/// Min-SE (RFC 4028 §5).
pub(crate) fn min_se(headers: &Headers) -> Option<u32> {
    Some(headers.min_se().ok()??.interval)
}

/// A response to `req` with the headers §8.2.6.2 copies (Via, From, To, Call-ID, CSeq; and
/// Timestamp per §8.2.6.1). The caller adds the To tag when it creates a dialog.
pub(crate) fn response_to(req: &Request, status: StatusCode) -> Response {
    let mut headers = Headers::with_capacity(8);
    for (name, value) in req.headers.iter() {
        let copy = matches!(
            name,
            HeaderName::Via
                | HeaderName::From
                | HeaderName::To
                | HeaderName::CallId
                | HeaderName::CSeq
        ) || matches!(name, HeaderName::Other(n) if n.eq_ignore_ascii_case(b"timestamp"));
        if copy {
            headers.push(name.clone(), value.clone());
        }
    }
    Response {
        status,
        reason: Bytes::from_static(status.reason().as_bytes()),
        headers,
        body: Bytes::new(),
    }
}

/// Appends `;tag=…` to the To header unless it already has one (§8.2.6.2).
pub(crate) fn set_to_tag(headers: &mut Headers, tag_value: &str) {
    if tag(headers, HeaderName::To).is_some() {
        return;
    }
    if let Some(to) = headers.get(&HeaderName::To).and_then(text) {
        let to = format!("{};tag={}", to.trim_end(), tag_value);
        headers.set(HeaderName::To, to);
    }
}

/// Prints a message (§7) with the codec; Content-Length always matches the body (§18.3).
pub(crate) fn encode(msg: &Message) -> Bytes {
    msg.to_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn via_with_lws_ipv6_and_params() {
        let v =
            parse_via("SIP / 2.0 / UDP [2001:db8::9]:5070;branch=z9hG4bKx;rport;received=1.2.3.4")
                .unwrap();
        assert_eq!(v.transport, "UDP");
        assert_eq!(v.host, "[2001:db8::9]");
        assert_eq!(v.port, Some(5070));
        assert_eq!(v.branch.as_deref(), Some("z9hG4bKx"));
        assert_eq!(v.rport, Some(None));
        assert_eq!(v.received.as_deref(), Some("1.2.3.4"));
        assert_eq!(v.sent_by_key(), "[2001:db8::9]:5070");
        assert!(parse_via("SIP/3.0/UDP h").is_none());
        assert!(parse_via("SIP/2.0/UDP").is_none());
    }

    #[test]
    fn commas_inside_quotes_and_angles_do_not_split() {
        let v = split_commas("\"a, b\" <sip:x@y;p=1,2>;tag=1, <sip:z@w>");
        assert_eq!(v, vec!["\"a, b\" <sip:x@y;p=1,2>;tag=1", "<sip:z@w>"]);
    }

    #[test]
    fn tags_and_uris() {
        let v = "\"Room ;x\" <sip:room@10.0.0.1;transport=tcp>;tag=abc;x=y";
        assert_eq!(header_param(v, "tag").as_deref(), Some("abc"));
        assert_eq!(addr_uri(v), "sip:room@10.0.0.1;transport=tcp");
        assert_eq!(header_param("sip:a@b;tag=9", "tag").as_deref(), Some("9"));
        assert_eq!(addr_uri("sip:a@b;tag=9"), "sip:a@b");
        assert!(uri_has_lr("sip:p.example.com;lr"));
        assert!(!uri_has_lr("sip:p.example.com;transport=udp"));
    }

    #[test]
    fn stamps_received_and_rport() {
        let mut h = Headers::new();
        h.push(
            HeaderName::Via,
            "SIP/2.0/UDP 192.168.1.5:5060;rport;branch=z9hG4bK1, SIP/2.0/UDP p:5060",
        );
        stamp_received(&mut h, "203.0.113.7:40000".parse().unwrap());
        let via = top_via(&h).unwrap();
        assert_eq!(via.rport, Some(Some(40000)));
        assert_eq!(via.received.as_deref(), Some("203.0.113.7"));
        assert_eq!(via.branch.as_deref(), Some("z9hG4bK1"));
        assert_eq!(list_values(&h, HeaderName::Via).len(), 2);

        // Same address, no rport: nothing to add (§18.2.1).
        let mut h = Headers::new();
        h.push(
            HeaderName::Via,
            "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK2",
        );
        stamp_received(&mut h, "127.0.0.1:5060".parse().unwrap());
        assert_eq!(
            h.get(&HeaderName::Via).unwrap(),
            "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK2"
        );
    }

    #[test]
    fn stamps_ipv6_sources_the_rfc_5118_way() {
        let mut h = Headers::new();
        h.push(
            HeaderName::Via,
            "SIP/2.0/UDP [2001:db8::9]:5070;branch=z9hG4bK3;rport",
        );
        stamp_received(&mut h, "[2001:db8::20]:41000".parse().unwrap());
        let via = top_via(&h).unwrap();
        assert_eq!(via.rport, Some(Some(41000)));
        assert_eq!(via.received.as_deref(), Some("2001:db8::20"));
        // Same address without rport: nothing added.
        let mut h = Headers::new();
        h.push(HeaderName::Via, "SIP/2.0/TCP [2001:db8::9];branch=z9hG4bK4");
        stamp_received(&mut h, "[2001:db8::9]:5060".parse().unwrap());
        assert_eq!(top_via(&h).unwrap().received, None);
    }

    #[test]
    fn cseq_and_session_expires() {
        let mut h = Headers::new();
        h.push(HeaderName::CSeq, "  42 INVITE ");
        h.push(HeaderName::SessionExpires, "1800;refresher=UAC");
        h.push(HeaderName::MinSe, "90;x=1");
        assert_eq!(cseq(&h), Some((42, Method::Invite)));
        assert_eq!(session_expires(&h), Some((1800, Some("uac".into()))));
        assert_eq!(min_se(&h), Some(90));
    }

    #[test]
    fn encode_writes_content_length_from_body() {
        let mut h = Headers::new();
        h.push(HeaderName::ContentLength, "99");
        h.push(HeaderName::CallId, "c");
        let r = Response {
            status: StatusCode::OK,
            reason: Bytes::from_static(b"OK"),
            headers: h,
            body: Bytes::from_static(b"xy"),
        };
        let b = encode(&Message::Response(r));
        assert_eq!(
            &b[..],
            b"SIP/2.0 200 OK\r\nContent-Length: 2\r\nCall-ID: c\r\n\r\nxy"
        );
    }
}
