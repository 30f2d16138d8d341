//! Via (RFC 3261 §20.42, §18.2.1; rport RFC 3581).

use std::fmt;

use bytes::Bytes;

use super::{parse_comma_list, HeaderError, Params, TypedHeader};
use crate::sip::bytes_str::BytesStr;
use crate::sip::lex::{self, sub_str};
use crate::sip::uri::{parse_host, Host};

const NAME: &str = "Via";

/// The transport of a Via's sent-protocol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transport {
    Udp,
    Tcp,
    Tls,
    Sctp,
    Ws,
    Wss,
    Other(BytesStr),
}

impl Transport {
    pub fn parse(s: BytesStr) -> Transport {
        const KNOWN: [(&str, Transport); 6] = [
            ("UDP", Transport::Udp),
            ("TCP", Transport::Tcp),
            ("TLS", Transport::Tls),
            ("SCTP", Transport::Sctp),
            ("WS", Transport::Ws),
            ("WSS", Transport::Wss),
        ];
        for (name, t) in KNOWN {
            if s.eq_ignore_ascii_case(name) {
                return t;
            }
        }
        Transport::Other(s)
    }
    /// Like [`Transport::parse`], building a string only for an unknown transport.
    #[inline]
    fn from_token(src: &Bytes, t: &[u8]) -> Option<Transport> {
        for (name, known) in [
            (&b"UDP"[..], Transport::Udp),
            (b"TCP", Transport::Tcp),
            (b"TLS", Transport::Tls),
            (b"SCTP", Transport::Sctp),
            (b"WS", Transport::Ws),
            (b"WSS", Transport::Wss),
        ] {
            if t.eq_ignore_ascii_case(name) {
                return Some(known);
            }
        }
        sub_str(src, t).map(Transport::Other)
    }

    pub fn as_str(&self) -> &str {
        match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
            Transport::Tls => "TLS",
            Transport::Sctp => "SCTP",
            Transport::Ws => "WS",
            Transport::Wss => "WSS",
            Transport::Other(s) => s,
        }
    }
    /// Reliable transports need no retransmissions (RFC 3261 §17.1.1.2).
    pub fn is_reliable(&self) -> bool {
        !matches!(self, Transport::Udp)
    }
}

/// One Via value: `SIP/2.0/UDP host:port;branch=…;received=…;rport`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Via {
    /// The protocol version ("2.0"); the protocol name is always SIP.
    pub version: BytesStr,
    pub transport: Transport,
    pub host: Host,
    pub port: Option<u16>,
    pub params: Params,
}

impl Via {
    pub fn new(transport: Transport, host: Host, port: Option<u16>, branch: &str) -> Via {
        let mut params = Params::new();
        params.push("branch", Some(BytesStr::from(branch.to_string())));
        Via {
            version: BytesStr::from_static("2.0"),
            transport,
            host,
            port,
            params,
        }
    }
    pub fn branch(&self) -> Option<&str> {
        self.params.value("branch")
    }
    /// A branch starting with the RFC 3261 magic cookie (§8.1.1.7) identifies the transaction.
    pub fn has_rfc3261_branch(&self) -> bool {
        self.branch().is_some_and(|b| b.starts_with("z9hG4bK"))
    }
    pub fn received(&self) -> Option<&str> {
        self.params.value("received")
    }
    /// `None`: no rport; `Some(None)`: rport without value (a request asking for it, RFC 3581
    /// §3); `Some(Some(p))`: the filled-in port.
    pub fn rport(&self) -> Option<Option<u16>> {
        self.params
            .get("rport")
            .map(|p| p.value.and_then(|v| v.parse().ok()))
    }
    pub fn maddr(&self) -> Option<&str> {
        self.params.value("maddr")
    }
    pub fn ttl(&self) -> Option<u8> {
        self.params.value("ttl").and_then(|t| t.parse().ok())
    }
    /// Sets `received` (§18.2.1).
    pub fn set_received(&mut self, addr: std::net::IpAddr) {
        self.params
            .set("received", Some(BytesStr::from(addr.to_string())));
    }
    /// Fills in `rport` with the source port (RFC 3581 §4).
    pub fn set_rport(&mut self, port: u16) {
        self.params
            .set("rport", Some(BytesStr::from(port.to_string())));
    }
}

fn parse_via(src: &Bytes) -> Result<Via, ()> {
    let (via, rest) = parse_via_prefix(src, src)?;
    if !lex::lws(rest).is_empty() {
        return Err(());
    }
    Ok(via)
}

/// The top Via of a raw value without splitting the list first: parses one via-parm and
/// checks that the rest is empty or the next list element (RFC 3261 §7.3.1).
#[inline(always)]
pub(crate) fn parse_first(value: &Bytes) -> Result<Via, HeaderError> {
    let err = HeaderError::Malformed(NAME);
    let (via, rest) = parse_via_prefix(value, value).map_err(|_| err)?;
    match lex::lws(rest).first() {
        None | Some(b',') => Ok(via),
        Some(_) => Err(err),
    }
}

#[inline(always)]
fn parse_via_prefix<'a>(src: &Bytes, s: &'a [u8]) -> Result<(Via, &'a [u8]), ()> {
    let s = lex::lws(s);
    // sent-protocol = protocol-name SLASH protocol-version SLASH transport, SLASH = SWS "/" SWS.
    let (s, name) = lex::token(s).map_err(|_| ())?;
    if !name.eq_ignore_ascii_case(b"SIP") {
        return Err(());
    }
    let s = lex::lws(lex::expect(s, b'/')?);
    let (s, version) = lex::token(s).map_err(|_| ())?;
    let s = lex::lws(lex::expect(s, b'/')?);
    let (s, transport) = lex::token(s).map_err(|_| ())?;
    let rest = lex::lws(s);
    if rest.len() == s.len() {
        return Err(()); // LWS required before sent-by
    }
    let (host, mut s) = parse_host(src, rest).map_err(|_| ())?;
    let mut port = None;
    let after = lex::lws(s);
    if after.first() == Some(&b':') {
        let (r, d) = lex::digits(lex::lws(&after[1..])).map_err(|_| ())?;
        port = Some(crate::sip::uri::parse_port(d).ok_or(())?);
        s = r;
    }
    let (params, s) = lex::params(src, s)?;
    Ok((
        Via {
            version: sub_str(src, version).ok_or(())?,
            transport: Transport::from_token(src, transport).ok_or(())?,
            host,
            port,
            params,
        },
        s,
    ))
}

impl TypedHeader for Via {
    fn parse(value: &Bytes) -> Result<Self, HeaderError> {
        parse_via(value).map_err(|_| HeaderError::Malformed(NAME))
    }
    fn parse_list(value: &Bytes) -> Result<Vec<Self>, HeaderError> {
        parse_comma_list(value, NAME)
    }
}

impl fmt::Display for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SIP/{}/{} {}",
            self.version,
            self.transport.as_str(),
            self.host
        )?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        write!(f, "{}", self.params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::header::round_trip;

    #[test]
    fn parses_and_round_trips() {
        let v: Via = round_trip(
            "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK776asdhds;received=127.0.0.2;rport=5062;maddr=127.0.0.9;ttl=16",
        );
        assert_eq!(v.transport, Transport::Udp);
        assert_eq!(v.port, Some(5060));
        assert_eq!(v.branch(), Some("z9hG4bK776asdhds"));
        assert!(v.has_rfc3261_branch());
        assert_eq!(v.received(), Some("127.0.0.2"));
        assert_eq!(v.rport(), Some(Some(5062)));
        assert_eq!(v.maddr(), Some("127.0.0.9"));
        assert_eq!(v.ttl(), Some(16));
    }

    #[test]
    fn rport_without_value_and_ipv6() {
        let v: Via = round_trip("SIP/2.0/TCP [::1]:5070;rport;branch=z9hG4bKx");
        assert_eq!(v.rport(), Some(None));
        assert_eq!(v.host, Host::V6(std::net::Ipv6Addr::LOCALHOST));
        let mut v = v;
        v.set_rport(40000);
        v.set_received("127.0.0.5".parse().unwrap());
        assert_eq!(v.rport(), Some(Some(40000)));
        assert_eq!(
            v.to_string(),
            "SIP/2.0/TCP [::1]:5070;rport=40000;branch=z9hG4bKx;received=127.0.0.5"
        );
    }

    #[test]
    fn lws_everywhere_and_lists() {
        // RFC 4475 §3.1.1.1 (after unfolding).
        let b = Bytes::from_static(
            b"SIP  / 2.0  / TCP     spindle.example.com   ;  branch  =   z9hG4bK9ikj8  , SIP  /    2.0   / UDP  192.168.255.111   ; branch= z9hG4bK30239",
        );
        let vs = Via::parse_list(&b).unwrap();
        assert_eq!(vs.len(), 2);
        assert_eq!(vs[0].transport, Transport::Tcp);
        assert_eq!(vs[0].branch(), Some("z9hG4bK9ikj8"));
        assert_eq!(vs[1].branch(), Some("z9hG4bK30239"));
        assert_eq!(vs[1].host, Host::V4("192.168.255.111".parse().unwrap()));
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "SIP/2.0/UDP 192.0.2.15;;,;,,",
            "SIP/2.0/UDP",
            "SIP/2.0/UDP host:port",
            "HTTP/1.1/TCP host",
            "SIP/2.0/UDPhost",
        ] {
            assert!(
                Via::parse_list(&Bytes::from_static(bad.as_bytes())).is_err(),
                "{bad}"
            );
        }
    }
}
