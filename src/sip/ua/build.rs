//! Building what we send: responses, our Via, Contact and tags, and the session-timer and
//! reply headers of a response.

use super::{Reply, Shared, SUPPORTED};
use crate::sip::dialog::{Refresher, SessionTimer};
use crate::sip::message::{HeaderName, Headers, Request, Response, StatusCode};
use crate::sip::transaction::{self, wire, Peer, Transport};
use rand::Rng;

impl Shared {
    /// A response to `req` (§8.2.6.2) with our To tag (unless 100 or already tagged).
    pub(super) fn response(
        &self,
        req: &Request,
        status: StatusCode,
        tag: Option<&str>,
    ) -> Response {
        let mut resp = Response::from_request(req, status);
        if let (Some(tag), true) = (tag, status != StatusCode::TRYING) {
            wire::set_to_tag(&mut resp.headers, tag);
        }
        if let Some(server) = &self.cfg.server {
            resp.headers.push(HeaderName::Server, server.clone());
        }
        resp
    }

    /// Our address as `peer` can reach it: of its IP family when we have one (a room system on
    /// IPv6 must not be told to send its ACK and BYE to an IPv4 address).
    fn sent_by(&self, peer: Peer) -> &str {
        match &self.cfg.sent_by_v6 {
            Some(v6) if peer.addr.is_ipv6() => v6,
            _ => &self.cfg.sent_by,
        }
    }

    pub(super) fn contact(&self, peer: Peer) -> String {
        let param = match peer.transport {
            Transport::Udp => "",
            Transport::Tcp => ";transport=tcp",
            Transport::Tls => ";transport=tls",
        };
        format!(
            "<sip:{}@{}{}>",
            self.cfg.contact_user,
            self.sent_by(peer),
            param
        )
    }

    pub(super) fn new_tag(&mut self) -> String {
        format!("{:016x}", self.rng.gen::<u64>())
    }

    /// A Via for a new request towards `peer`, with a fresh branch (§8.1.1.7) and rport
    /// (RFC 3581).
    pub(super) fn via_for(&mut self, peer: Peer) -> String {
        let branch: u64 = self.rng.gen();
        format!(
            "SIP/2.0/{} {};branch={}{:016x};rport",
            peer.transport.via_token(),
            self.sent_by(peer),
            wire::MAGIC_COOKIE,
            branch
        )
    }
}

/// Where a response to `req` goes (§18.2.2, RFC 3581): its top Via, read against `source`.
pub(super) fn response_dest(req: &Request, source: Peer) -> Peer {
    match wire::top_via(&req.headers) {
        Some(via) => transaction::response_destination(&via, source),
        None => source,
    }
}

/// What a 2xx that sets up or refreshes the session says about timers: Supported, and for a
/// negotiated session timer its Session-Expires, with `Require: timer` when the peer is the
/// refresher (RFC 4028 §9: the UAC must know it refreshes).
pub(super) fn push_session_timer(headers: &mut Headers, session: Option<SessionTimer>) {
    headers.push(HeaderName::Supported, SUPPORTED.join(", "));
    if let Some(st) = session {
        headers.push(HeaderName::SessionExpires, st.header_as_uas());
        if st.refresher == Refresher::Them {
            headers.push(HeaderName::Require, "timer");
        }
    }
}

/// The call layer's part of a response: its extra headers, Content-Type and body.
pub(super) fn apply_reply(resp: &mut Response, reply: &Reply) {
    for (n, v) in &reply.headers {
        resp.headers.push(n.clone(), v.clone());
    }
    if let Some(ct) = &reply.content_type {
        resp.headers.set(HeaderName::ContentType, ct.clone());
    }
    resp.body = reply.body.clone();
}

/// The media type of a request's body, lower-cased, without parameters.
pub(super) fn content_type(req: &Request) -> String {
    req.headers
        .get(&HeaderName::ContentType)
        .and_then(|v| std::str::from_utf8(v).ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default()
}
