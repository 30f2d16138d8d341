//! Dialogs (RFC 3261 §12) and the session-timer arithmetic of RFC 4028.
//!
//! A [`Dialog`] holds what §12.1 says a dialog is: its id (Call-ID, local and remote tags),
//! local and remote CSeq, local and remote URIs, the remote target and the route set. It
//! builds our requests inside the dialog (§12.2.1.1, loose and strict routing) and checks the
//! ordering of the peer's (§12.2.2). The UA core ([`crate::sip::ua`]) owns dialogs.

use crate::sip::header::{AddressHeader, TypedHeader};
use crate::sip::message::{HeaderName, Headers, Method, Request};
use crate::sip::transaction::{wire, Peer};
use crate::sip::uri::NameAddr;
use bytes::Bytes;
use std::time::{Duration, Instant};

/// Identifies a dialog (§12): Call-ID plus both tags, seen from our side.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DialogId {
    pub call_id: String,
    pub local_tag: String,
    pub remote_tag: String,
}

/// Why a dialog could not be created or a request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DialogError {
    #[error("request lacks {0}, which a dialog needs")]
    Missing(&'static str),
    /// §12.2.2: a CSeq lower than the remote sequence number is answered with 500.
    #[error("CSeq {got} is lower than the dialog's remote CSeq {remote}")]
    OutOfOrder { got: u32, remote: u32 },
}

/// One dialog.
#[derive(Clone, Debug)]
pub struct Dialog {
    pub id: DialogId,
    local_seq: u32,
    remote_seq: Option<u32>,
    /// Our address as we present it in From of our requests (the INVITE's To plus our tag).
    local_uri: Bytes,
    /// The peer's From, tag included; the To of our requests.
    remote_uri: Bytes,
    remote_target: String,
    route_set: Vec<String>,
    /// Where in-dialog requests go: the flow the INVITE came in on. A sans-IO core has no
    /// resolver, and room systems behind NAT are only reachable through that flow (the same
    /// reasoning as RFC 3581 for responses).
    pub peer: Peer,
}

impl Dialog {
    /// The UAS side of a dialog created by `invite` and our 2xx carrying `local_tag` (§12.1.1):
    /// route set from Record-Route in order, remote target from Contact, remote CSeq from the
    /// request. `initial_local_seq` must be below 2^31 (§8.1.1.5).
    pub fn uas(
        invite: &Request,
        local_tag: &str,
        initial_local_seq: u32,
        peer: Peer,
    ) -> Result<Dialog, DialogError> {
        let h = &invite.headers;
        let call_id = wire::call_id(h).ok_or(DialogError::Missing("Call-ID"))?;
        let remote_tag = wire::tag(h, HeaderName::From).unwrap_or_default();
        let (remote_seq, _) = wire::cseq(h).ok_or(DialogError::Missing("CSeq"))?;
        let contact = wire::list_values(h, HeaderName::Contact)
            .into_iter()
            .next()
            .ok_or(DialogError::Missing("Contact"))?;
        let remote_target = wire::addr_uri(&contact);
        if remote_target.is_empty() {
            return Err(DialogError::Missing("Contact"));
        }
        let to = h.get(&HeaderName::To).ok_or(DialogError::Missing("To"))?;
        let to_text = String::from_utf8_lossy(to).trim().to_string();
        let local_uri = if wire::header_param(&to_text, "tag").is_some() {
            to_text
        } else {
            format!("{to_text};tag={local_tag}")
        };
        let remote_uri = h
            .get(&HeaderName::From)
            .ok_or(DialogError::Missing("From"))?;
        Ok(Dialog {
            id: DialogId {
                call_id,
                local_tag: local_tag.to_string(),
                remote_tag,
            },
            local_seq: initial_local_seq,
            remote_seq: Some(remote_seq),
            local_uri: Bytes::from(local_uri),
            remote_uri: remote_uri.clone(),
            remote_target,
            route_set: wire::list_values(h, HeaderName::RecordRoute),
            peer,
        })
    }

    /// The UAC side of a dialog created by our `invite` and a 2xx (or 1xx with a To tag)
    /// `response` to it (§12.1.2): route set from the response's Record-Route in reverse,
    /// remote target from its Contact, local CSeq from the INVITE, remote CSeq empty.
    pub fn uac(
        invite: &Request,
        response: &crate::sip::message::Response,
        peer: Peer,
    ) -> Result<Dialog, DialogError> {
        let (h, r) = (&invite.headers, &response.headers);
        let call_id = wire::call_id(h).ok_or(DialogError::Missing("Call-ID"))?;
        let local_tag = wire::tag(h, HeaderName::From).ok_or(DialogError::Missing("From tag"))?;
        let remote_tag = wire::tag(r, HeaderName::To).ok_or(DialogError::Missing("To tag"))?;
        let (local_seq, _) = wire::cseq(h).ok_or(DialogError::Missing("CSeq"))?;
        let contact = wire::list_values(r, HeaderName::Contact)
            .into_iter()
            .next()
            .ok_or(DialogError::Missing("Contact"))?;
        let remote_target = wire::addr_uri(&contact);
        if remote_target.is_empty() {
            return Err(DialogError::Missing("Contact"));
        }
        let mut route_set = wire::list_values(r, HeaderName::RecordRoute);
        route_set.reverse();
        Ok(Dialog {
            id: DialogId {
                call_id,
                local_tag,
                remote_tag,
            },
            local_seq,
            remote_seq: None,
            local_uri: h
                .get(&HeaderName::From)
                .ok_or(DialogError::Missing("From"))?
                .clone(),
            remote_uri: r
                .get(&HeaderName::To)
                .ok_or(DialogError::Missing("To"))?
                .clone(),
            remote_target,
            route_set,
            peer,
        })
    }

    pub fn remote_target(&self) -> &str {
        &self.remote_target
    }

    pub fn route_set(&self) -> &[String] {
        &self.route_set
    }

    pub fn local_seq(&self) -> u32 {
        self.local_seq
    }

    /// §12.2.2: refuse a request whose CSeq is lower than the last one seen, then remember it.
    pub fn check_remote_cseq(&mut self, request: &Request) -> Result<(), DialogError> {
        let (got, _) = wire::cseq(&request.headers).ok_or(DialogError::Missing("CSeq"))?;
        match self.remote_seq {
            Some(remote) if got < remote => Err(DialogError::OutOfOrder { got, remote }),
            _ => {
                self.remote_seq = Some(got);
                Ok(())
            }
        }
    }

    /// A target refresh request (re-INVITE, UPDATE) replaces the remote target with its
    /// Contact (§12.2.2, RFC 3311 §5.2).
    pub fn refresh_target(&mut self, request: &Request) {
        if let Some(c) = wire::list_values(&request.headers, HeaderName::Contact)
            .into_iter()
            .next()
        {
            let uri = wire::addr_uri(&c);
            if !uri.is_empty() {
                self.remote_target = uri;
            }
        }
    }

    /// Our identity as the peer sees it in From of our requests: URI and display name.
    pub fn local_identity(&self) -> Option<AddressHeader> {
        AddressHeader::parse(&self.local_uri).ok()
    }

    /// Changes the display name we present in From of our requests (RFC 4916 §4.1: the URI
    /// and display name of From may change mid-dialog, the tag never does). The URI is kept.
    pub fn set_local_display_name(&mut self, name: &str) {
        let Some(mut id) = self.local_identity() else {
            return;
        };
        id.addr = NameAddr::new(id.addr.uri).with_display_name(name);
        self.local_uri = Bytes::from(id.to_string());
    }

    /// A new request inside the dialog (§12.2.1.1): the next local CSeq, Request-URI and Route
    /// by the loose or strict routing rules, From/To/Call-ID of the dialog. `via` is the full
    /// top Via value, fresh branch included. The caller adds Contact, body and extensions.
    pub fn request(&mut self, method: Method, via: String) -> Request {
        self.local_seq = self.local_seq.wrapping_add(1) & 0x7fff_ffff;
        let seq = self.local_seq;
        self.build(method, seq, via)
    }

    /// The ACK for a 2xx to our re-INVITE with CSeq `seq` (§13.2.2.4): same CSeq number, its
    /// own branch.
    pub fn ack(&self, seq: u32, via: String) -> Request {
        self.build(Method::Ack, seq, via)
    }

    fn build(&self, method: Method, seq: u32, via: String) -> Request {
        let (uri, routes): (String, Vec<String>) = match self.route_set.first() {
            None => (self.remote_target.clone(), Vec::new()),
            Some(first) if wire::uri_has_lr(&wire::addr_uri(first)) => {
                (self.remote_target.clone(), self.route_set.clone())
            }
            Some(first) => {
                // Strict routing (§12.2.1.1): first route becomes the Request-URI, the remote
                // target goes last in Route.
                let mut routes: Vec<String> = self.route_set[1..].to_vec();
                routes.push(format!("<{}>", self.remote_target));
                (wire::addr_uri(first), routes)
            }
        };
        let mut h = Headers::with_capacity(10 + routes.len());
        h.push(HeaderName::Via, via);
        h.push(HeaderName::MaxForwards, "70");
        for r in routes {
            h.push(HeaderName::Route, r);
        }
        h.push(HeaderName::From, self.local_uri.clone());
        h.push(HeaderName::To, self.remote_uri.clone());
        h.push(HeaderName::CallId, self.id.call_id.clone());
        h.push(HeaderName::CSeq, format!("{seq} {method}"));
        Request {
            method,
            uri: Bytes::from(uri),
            headers: h,
            body: Bytes::new(),
        }
    }
}

/// Who refreshes the session, from our side of the dialog (RFC 4028 §4's uac/uas are per
/// transaction; this is what stays true between refreshes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refresher {
    Us,
    Them,
}

/// Session timer settings (RFC 4028).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionTimerConfig {
    /// Offer a session timer when the INVITE asked for none (RFC 4028 §9 allows it).
    pub enabled: bool,
    /// The interval we prefer, seconds (1800 is RFC 4028's recommendation).
    pub session_expires: u32,
    /// The smallest interval we accept, seconds; at least 90 (RFC 4028 §5).
    pub min_se: u32,
}

impl Default for SessionTimerConfig {
    fn default() -> Self {
        SessionTimerConfig {
            enabled: true,
            session_expires: 1800,
            min_se: 90,
        }
    }
}

/// A negotiated session timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionTimer {
    pub interval: u32,
    pub refresher: Refresher,
}

impl SessionTimer {
    /// RFC 4028 §9, at the UAS of a (re-)INVITE or UPDATE: `Err(min_se)` means answer 422 with
    /// that Min-SE. `Ok(None)`: no session timer.
    pub fn negotiate_as_uas(
        request: &Request,
        cfg: &SessionTimerConfig,
    ) -> Result<Option<SessionTimer>, u32> {
        let h = &request.headers;
        let min_se = cfg.min_se.max(90);
        let their_min = wire::min_se(h).unwrap_or(90);
        let uac_supports = wire::list_values(h, HeaderName::Supported)
            .iter()
            .any(|t| t.eq_ignore_ascii_case("timer"));
        match wire::session_expires(h) {
            Some((se, _)) if se < min_se => Err(min_se),
            Some((se, refresher)) => {
                // The UAS may lower the interval, never below either side's Min-SE.
                let interval = se.min(cfg.session_expires.max(their_min).max(min_se));
                let refresher = match refresher.as_deref() {
                    Some("uac") => Refresher::Them,
                    Some("uas") => Refresher::Us,
                    // Unspecified: the UAC refreshes if it can (§9), else we do.
                    _ if uac_supports => Refresher::Them,
                    _ => Refresher::Us,
                };
                Ok(Some(SessionTimer {
                    interval,
                    refresher,
                }))
            }
            None if cfg.enabled => Ok(Some(SessionTimer {
                interval: cfg.session_expires.max(their_min).max(min_se),
                refresher: Refresher::Us,
            })),
            None => Ok(None),
        }
    }

    /// RFC 4028 §7.2, at the UAC of a refresh we sent: read the timer the 2xx settled.
    pub fn from_response_as_uac(headers: &Headers) -> Option<SessionTimer> {
        let (interval, refresher) = wire::session_expires(headers)?;
        Some(SessionTimer {
            interval,
            refresher: match refresher.as_deref() {
                Some("uas") => Refresher::Them,
                _ => Refresher::Us,
            },
        })
    }

    /// The Session-Expires value for our response, where we are the UAS of the transaction.
    pub fn header_as_uas(&self) -> String {
        let r = match self.refresher {
            Refresher::Us => "uas",
            Refresher::Them => "uac",
        };
        format!("{};refresher={r}", self.interval)
    }

    /// The Session-Expires value for a refresh we send, where we are the UAC.
    pub fn header_as_uac(&self) -> String {
        let r = match self.refresher {
            Refresher::Us => "uac",
            Refresher::Them => "uas",
        };
        format!("{};refresher={r}", self.interval)
    }

    /// When the refresher refreshes: half the interval (RFC 4028 §10).
    pub fn refresh_at(&self, from: Instant) -> Instant {
        from + Duration::from_secs(u64::from(self.interval)) / 2
    }

    /// When the other side gives up and sends BYE: the interval minus the lesser of 32 s and
    /// a third of it (RFC 4028 §10).
    pub fn expire_at(&self, from: Instant) -> Instant {
        let i = u64::from(self.interval);
        from + Duration::from_secs(i - (i / 3).min(32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::transaction::Transport;

    fn invite(extra: &[(HeaderName, &str)]) -> Request {
        let mut h = Headers::new();
        h.push(HeaderName::Via, "SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK1");
        h.push(HeaderName::From, "\"Room\" <sip:room@10.0.0.2>;tag=ft");
        h.push(HeaderName::To, "<sip:1000@gw>");
        h.push(HeaderName::CallId, "cid");
        h.push(HeaderName::CSeq, "10 INVITE");
        h.push(HeaderName::Contact, "<sip:room@10.0.0.2:5060>");
        for (n, v) in extra {
            h.push(n.clone(), v.to_string());
        }
        Request {
            method: Method::Invite,
            uri: Bytes::from_static(b"sip:1000@gw"),
            headers: h,
            body: Bytes::new(),
        }
    }

    fn peer() -> Peer {
        Peer::new(Transport::Udp, "10.0.0.2:5060".parse().unwrap())
    }

    #[test]
    fn uas_dialog_builds_requests_with_loose_routes() {
        let inv = invite(&[
            (
                HeaderName::RecordRoute,
                "<sip:p1.example;lr>, <sip:p2.example;lr>",
            ),
            (HeaderName::RecordRoute, "<sip:p3.example;lr>"),
        ]);
        let mut d = Dialog::uas(&inv, "lt", 100, peer()).unwrap();
        assert_eq!(d.id.remote_tag, "ft");
        assert_eq!(d.route_set().len(), 3);
        let bye = d.request(Method::Bye, "SIP/2.0/UDP gw;branch=z9hG4bKb".into());
        assert_eq!(&bye.uri[..], b"sip:room@10.0.0.2:5060");
        let routes: Vec<_> = bye.headers.get_all(&HeaderName::Route).collect();
        assert_eq!(routes.len(), 3);
        assert_eq!(routes[0], "<sip:p1.example;lr>");
        assert_eq!(wire::cseq(&bye.headers), Some((101, Method::Bye)));
        assert_eq!(
            wire::tag(&bye.headers, HeaderName::From).as_deref(),
            Some("lt")
        );
        assert_eq!(
            wire::tag(&bye.headers, HeaderName::To).as_deref(),
            Some("ft")
        );
        let info = d.request(Method::Info, "SIP/2.0/UDP gw;branch=z9hG4bKc".into());
        assert_eq!(wire::cseq(&info.headers), Some((102, Method::Info)));
    }

    #[test]
    fn local_display_name_changes_but_uri_and_tag_stay() {
        let inv = invite(&[]);
        let mut d = Dialog::uas(&inv, "lt", 100, peer()).unwrap();
        let before = d.local_identity().unwrap();
        d.set_local_display_name("Room \"2\"");
        let after = d.local_identity().unwrap();
        assert_eq!(after.addr.display_name().as_deref(), Some("Room \"2\""));
        assert_eq!(after.uri(), before.uri());
        let update = d.request(Method::Update, "SIP/2.0/UDP gw;branch=z9hG4bKu".into());
        assert_eq!(
            wire::tag(&update.headers, HeaderName::From).as_deref(),
            Some("lt")
        );
        let from = String::from_utf8_lossy(update.headers.get(&HeaderName::From).unwrap());
        assert!(from.starts_with("\"Room \\\"2\\\"\" <"), "{from}");
    }

    #[test]
    fn uac_dialog_reverses_record_route_and_continues_our_cseq() {
        let mut inv = invite(&[]);
        inv.headers.set(HeaderName::From, "<sip:1000@gw>;tag=ours");
        let mut h = Headers::new();
        h.push(HeaderName::To, "<sip:room@10.0.0.2>;tag=theirs");
        h.push(HeaderName::Contact, "<sip:room@10.0.0.9:5062>");
        h.push(
            HeaderName::RecordRoute,
            "<sip:p2.example;lr>, <sip:p1.example;lr>",
        );
        let resp = crate::sip::message::Response {
            status: crate::sip::StatusCode::OK,
            reason: Bytes::from_static(b"OK"),
            headers: h,
            body: Bytes::new(),
        };
        let mut d = Dialog::uac(&inv, &resp, peer()).unwrap();
        assert_eq!(d.id.local_tag, "ours");
        assert_eq!(d.id.remote_tag, "theirs");
        assert_eq!(
            d.route_set(),
            ["<sip:p1.example;lr>", "<sip:p2.example;lr>"]
        );
        let bye = d.request(Method::Bye, "SIP/2.0/UDP gw;branch=z9hG4bKb".into());
        assert_eq!(wire::cseq(&bye.headers), Some((11, Method::Bye)));
        assert_eq!(&bye.uri[..], b"sip:room@10.0.0.9:5062");
        assert_eq!(
            wire::tag(&bye.headers, HeaderName::To).as_deref(),
            Some("theirs")
        );
    }

    #[test]
    fn strict_route_moves_remote_target_into_route() {
        let inv = invite(&[(HeaderName::RecordRoute, "<sip:strict.example>")]);
        let mut d = Dialog::uas(&inv, "lt", 1, peer()).unwrap();
        let bye = d.request(Method::Bye, "SIP/2.0/UDP gw;branch=z9hG4bKb".into());
        assert_eq!(&bye.uri[..], b"sip:strict.example");
        let routes: Vec<_> = bye.headers.get_all(&HeaderName::Route).collect();
        assert_eq!(routes, vec!["<sip:room@10.0.0.2:5060>"]);
    }

    #[test]
    fn lower_remote_cseq_is_out_of_order() {
        let inv = invite(&[]);
        let mut d = Dialog::uas(&inv, "lt", 1, peer()).unwrap();
        let mut r = invite(&[]);
        r.headers.set(HeaderName::CSeq, "9 INFO");
        assert_eq!(
            d.check_remote_cseq(&r),
            Err(DialogError::OutOfOrder { got: 9, remote: 10 })
        );
        r.headers.set(HeaderName::CSeq, "11 INFO");
        assert!(d.check_remote_cseq(&r).is_ok());
        assert!(Dialog::uas(&invite(&[]), "x", 1, peer()).is_ok());
        let mut no_contact = invite(&[]);
        no_contact.headers.remove(&HeaderName::Contact);
        assert_eq!(
            Dialog::uas(&no_contact, "x", 1, peer()).unwrap_err(),
            DialogError::Missing("Contact")
        );
    }

    #[test]
    fn session_timer_negotiation() {
        let cfg = SessionTimerConfig::default();
        let small = invite(&[(HeaderName::SessionExpires, "60")]);
        assert_eq!(SessionTimer::negotiate_as_uas(&small, &cfg), Err(90));
        let uac = invite(&[
            (HeaderName::SessionExpires, "3600"),
            (HeaderName::Supported, "timer, 100rel"),
        ]);
        let st = SessionTimer::negotiate_as_uas(&uac, &cfg).unwrap().unwrap();
        assert_eq!(st.interval, 1800);
        assert_eq!(st.refresher, Refresher::Them);
        assert_eq!(st.header_as_uas(), "1800;refresher=uac");
        let uas = invite(&[(HeaderName::SessionExpires, "120;refresher=uas")]);
        let st = SessionTimer::negotiate_as_uas(&uas, &cfg).unwrap().unwrap();
        assert_eq!((st.interval, st.refresher), (120, Refresher::Us));
        let t0 = Instant::now();
        assert_eq!(st.refresh_at(t0), t0 + Duration::from_secs(60));
        assert_eq!(st.expire_at(t0), t0 + Duration::from_secs(88));
        let none = invite(&[]);
        let st = SessionTimer::negotiate_as_uas(&none, &cfg)
            .unwrap()
            .unwrap();
        assert_eq!((st.interval, st.refresher), (1800, Refresher::Us));
        let off = SessionTimerConfig {
            enabled: false,
            ..cfg
        };
        assert_eq!(SessionTimer::negotiate_as_uas(&none, &off), Ok(None));
    }
}
