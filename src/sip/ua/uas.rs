//! Requests we receive (RFC 3261 §8.2, §12.2.2): what the core answers by itself, new calls
//! and their answer, CANCEL (§9.2), ACK (§13.3.1.4) and requests inside a dialog.

use super::build::{apply_reply, content_type, push_session_timer, response_dest};
use super::state::{Call, IdentityUpdate, InDialog, Offered, Phase, Stage, Unacked};
use super::timer::CallTimers;
use super::{
    CallHandle, CallState, EndReason, Fate, Reply, Shared, UaError, UaEvent, UserAgent, ALLOW,
    INFO_TYPES, SUPPORTED,
};
use crate::sip::dialog::{Dialog, DialogId, SessionTimer};
use crate::sip::message::{HeaderName, Method, Request, StatusCode};
use crate::sip::transaction::{wire, Peer, TransactionId};
use bytes::Bytes;
use rand::Rng;
use std::time::Instant;

fn allowed(m: &Method) -> bool {
    matches!(
        m,
        Method::Invite
            | Method::Ack
            | Method::Cancel
            | Method::Bye
            | Method::Options
            | Method::Info
            | Method::Update
            | Method::Message
    )
}

impl UserAgent {
    pub(super) fn on_request(
        &mut self,
        now: Instant,
        id: TransactionId,
        req: Request,
        source: Peer,
    ) {
        let method = req.method.clone();
        if method == Method::Cancel {
            return self.on_cancel(now, id, req);
        }
        let s = &mut self.shared;
        let max_forwards = req
            .headers
            .get(&HeaderName::MaxForwards)
            .and_then(|v| std::str::from_utf8(v).ok()?.trim().parse::<u32>().ok());
        if max_forwards == Some(0) && method != Method::Options {
            return s.reply_simple(now, id, &req, StatusCode::TOO_MANY_HOPS, vec![]);
        }
        if !allowed(&method) {
            let h = vec![(HeaderName::Allow, Bytes::from_static(ALLOW.as_bytes()))];
            return s.reply_simple(now, id, &req, StatusCode::METHOD_NOT_ALLOWED, h);
        }
        let unsupported: Vec<String> = wire::list_values(&req.headers, HeaderName::Require)
            .into_iter()
            .filter(|t| !SUPPORTED.iter().any(|ours| ours.eq_ignore_ascii_case(t)))
            .collect();
        if !unsupported.is_empty() {
            let h = vec![(HeaderName::Unsupported, Bytes::from(unsupported.join(", ")))];
            return s.reply_simple(now, id, &req, StatusCode::BAD_EXTENSION, h);
        }
        // §8.2.2.1: a Request-URI scheme we do not serve gets 416 (RFC 4475 §3.3.2, §3.3.3).
        let scheme = req.uri.split(|&c| c == b':').next().unwrap_or_default();
        if !["sip", "sips", "tel"]
            .iter()
            .any(|ours| ours.as_bytes().eq_ignore_ascii_case(scheme))
        {
            return s.reply_simple(now, id, &req, StatusCode::UNSUPPORTED_URI_SCHEME, vec![]);
        }
        if let Some(to_tag) = wire::tag(&req.headers, HeaderName::To) {
            let key = DialogId {
                call_id: wire::call_id(&req.headers).unwrap_or_default(),
                local_tag: to_tag,
                remote_tag: wire::tag(&req.headers, HeaderName::From).unwrap_or_default(),
            };
            return match s.by_dialog.get(&key).copied() {
                Some(h) => self.on_in_dialog(now, h, id, req),
                None => s.reply_simple(now, id, &req, StatusCode::CALL_DOES_NOT_EXIST, vec![]),
            };
        }
        match method {
            Method::Invite => self.on_invite(now, id, req, source),
            Method::Options => s.reply_options(now, id, &req),
            // RFC 3428 §4: MESSAGE needs no dialog, so 481 would be wrong. roomgate takes text
            // only from a participant's call (where Allow offers MESSAGE), not from strangers:
            // understood and refused (RFC 3261 §21.4.4), saying why.
            Method::Message => s.reply_simple(
                now,
                id,
                &req,
                StatusCode::FORBIDDEN,
                vec![(
                    HeaderName::Reason,
                    Bytes::from_static(
                        b"SIP;cause=403;text=\"MESSAGE is taken only inside a call to a meeting\"",
                    ),
                )],
            ),
            // Only meaningful inside a dialog (§12.2.2, §15.1.2).
            _ => s.reply_simple(now, id, &req, StatusCode::CALL_DOES_NOT_EXIST, vec![]),
        }
    }

    fn on_invite(&mut self, now: Instant, id: TransactionId, req: Request, source: Peer) {
        let s = &mut self.shared;
        let merged_key = (
            wire::tag(&req.headers, HeaderName::From).unwrap_or_default(),
            wire::call_id(&req.headers).unwrap_or_default(),
            wire::cseq(&req.headers).map(|c| c.0).unwrap_or(0),
        );
        if let Some(&other) = s.merged.get(&merged_key) {
            if other != id && s.layer.contains(other) {
                // §8.2.2.2: the same request reached us by another path.
                return s.reply_simple(now, id, &req, StatusCode::LOOP_DETECTED, vec![]);
            }
        }
        if wire::list_values(&req.headers, HeaderName::Contact).is_empty() {
            // §8.1.1.8: an INVITE must carry a Contact; without one there is no dialog.
            let tag = s.new_tag();
            let mut resp = s.response(&req, StatusCode::BAD_REQUEST, Some(&tag));
            resp.reason = Bytes::from_static(b"Missing Contact");
            let _ = s.layer.send_response(now, id, resp);
            return;
        }
        let negotiated = match SessionTimer::negotiate_as_uas(&req, &s.cfg.session) {
            Ok(st) => st,
            Err(min_se) => {
                let h = vec![(HeaderName::MinSe, Bytes::from(min_se.to_string()))];
                return s.reply_simple(now, id, &req, StatusCode::INTERVAL_TOO_BRIEF, h);
            }
        };
        let peer_allows_update = wire::list_values(&req.headers, HeaderName::Allow)
            .iter()
            .any(|m| m.eq_ignore_ascii_case("UPDATE"));
        self.next_call += 1;
        let handle = CallHandle(self.next_call);
        let local_tag = s.new_tag();
        s.merged.insert(merged_key.clone(), id);
        s.by_server_invite.insert(id, handle);
        self.calls.insert(
            handle,
            Call {
                handle,
                source,
                invite: req.clone(),
                invite_txn: id,
                local_tag,
                timers: CallTimers::default(),
                merged_key: Some(merged_key),
                bye_reason: None,
                ended: false,
                phase: Phase::Offered(Offered {
                    negotiated,
                    peer_allows_update,
                }),
            },
        );
        s.events.push_back(UaEvent::IncomingCall {
            call: handle,
            request: req,
            source,
        });
    }

    fn on_cancel(&mut self, now: Instant, id: TransactionId, cancel: Request) {
        let s = &mut self.shared;
        let Some(invite_txn) = s.layer.find_cancelled_invite(&cancel) else {
            return s.reply_simple(now, id, &cancel, StatusCode::CALL_DOES_NOT_EXIST, vec![]);
        };
        let handle = s.by_server_invite.get(&invite_txn).copied();
        let tag = handle
            .and_then(|h| self.calls.get(&h))
            .map(|c| c.local_tag.clone());
        // §9.2: the CANCEL itself is answered 200 whether or not it still has an effect, with
        // the same To tag as the INVITE's response.
        let ok_tag = tag.clone().unwrap_or_else(|| s.new_tag());
        let ok = s.response(&cancel, StatusCode::OK, Some(&ok_tag));
        let _ = s.layer.send_response(now, id, ok);
        let Some(h) = handle else { return };
        if !s.layer.invite_is_proceeding(invite_txn) {
            return;
        }
        let Some(invite) = s.layer.invite_request(invite_txn).cloned() else {
            return;
        };
        let resp = s.response(&invite, StatusCode::REQUEST_TERMINATED, tag.as_deref());
        let _ = s.layer.send_response(now, invite_txn, resp);
        let Some(c) = self.calls.get_mut(&h) else {
            return;
        };
        if c.state() == CallState::Offering && c.invite_txn == invite_txn {
            s.end(c, EndReason::Cancelled);
            self.remove(h);
            return;
        }
        // A re-INVITE of the peer's, still waiting for the call layer's answer.
        if let Phase::Dialog(d, _) = &mut c.phase {
            if d.remote_offer.as_ref().is_some_and(|o| o.txn == invite_txn) {
                d.remote_offer = None;
                s.by_server_invite.remove(&invite_txn);
                s.events.push_back(UaEvent::OfferCancelled { call: h });
            }
        }
    }

    /// A request matching the dialog of call `h` (§12.2.2).
    fn on_in_dialog(&mut self, now: Instant, h: CallHandle, id: TransactionId, req: Request) {
        let method = req.method.clone();
        let s = &mut self.shared;
        // `by_dialog` names only calls with a dialog; were it ever otherwise, the request
        // matches no dialog of ours.
        let Some(c) = self.calls.get_mut(&h) else {
            return s.reply_simple(now, id, &req, StatusCode::CALL_DOES_NOT_EXIST, vec![]);
        };
        let Phase::Dialog(d, stage) = &mut c.phase else {
            return s.reply_simple(now, id, &req, StatusCode::CALL_DOES_NOT_EXIST, vec![]);
        };
        if *stage == Stage::Ending {
            // The dialog is going away: a crossing BYE is fine, anything else is too late.
            let status = if method == Method::Bye {
                StatusCode::OK
            } else {
                StatusCode::CALL_DOES_NOT_EXIST
            };
            return s.reply_simple(now, id, &req, status, vec![]);
        }
        if d.dialog.check_remote_cseq(&req).is_err() {
            return s.reply_simple(now, id, &req, StatusCode::SERVER_INTERNAL_ERROR, vec![]);
        }
        let fate = match method {
            Method::Bye => {
                s.reply_simple(now, id, &req, StatusCode::OK, vec![]);
                // §15.1.2: requests still pending in the dialog get 487.
                s.abort_remote_offer(now, c);
                s.end(c, EndReason::RemoteBye);
                Fate::Over
            }
            Method::Invite | Method::Update => {
                s.on_remote_offer(now, c, id, req);
                Fate::Live
            }
            Method::Info => {
                let ct = content_type(&req);
                if !req.body.is_empty() && !INFO_TYPES.iter().any(|t| *t == ct) {
                    let h2 = vec![(HeaderName::Accept, Bytes::from(INFO_TYPES.join(", ")))];
                    return s.reply_simple(now, id, &req, StatusCode::UNSUPPORTED_MEDIA_TYPE, h2);
                }
                s.reply_simple(now, id, &req, StatusCode::OK, vec![]);
                s.events.push_back(UaEvent::Info {
                    call: h,
                    content_type: ct,
                    body: req.body,
                });
                Fate::Live
            }
            Method::Message => {
                s.reply_simple(now, id, &req, StatusCode::OK, vec![]);
                s.events.push_back(UaEvent::Message {
                    call: h,
                    content_type: content_type(&req),
                    body: req.body,
                });
                Fate::Live
            }
            Method::Options => {
                s.reply_options(now, id, &req);
                Fate::Live
            }
            _ => {
                let h2 = vec![(HeaderName::Allow, Bytes::from_static(ALLOW.as_bytes()))];
                s.reply_simple(now, id, &req, StatusCode::METHOD_NOT_ALLOWED, h2);
                Fate::Live
            }
        };
        self.settle(h, fate);
    }

    pub(super) fn on_ack(&mut self, now: Instant, ack: Request) {
        let key = DialogId {
            call_id: wire::call_id(&ack.headers).unwrap_or_default(),
            local_tag: wire::tag(&ack.headers, HeaderName::To).unwrap_or_default(),
            remote_tag: wire::tag(&ack.headers, HeaderName::From).unwrap_or_default(),
        };
        // §17.2.3: an ACK matching nothing is dropped.
        let Some(&h) = self.shared.by_dialog.get(&key) else {
            return;
        };
        let Some(c) = self.calls.get_mut(&h) else {
            return;
        };
        let Phase::Dialog(d, stage) = &mut c.phase else {
            return;
        };
        let seq = wire::cseq(&ack.headers).map(|x| x.0);
        let Some(unacked) = d.unacked.take_if(|u| Some(u.cseq) == seq) else {
            return; // A retransmitted ACK.
        };
        c.timers.stop(super::timer::CallTimer::Retransmit2xx);
        c.timers.stop(super::timer::CallTimer::AckTimeout);
        let fate = if unacked.initial {
            let hangup_pending = matches!(
                stage,
                Stage::Answered {
                    hangup_pending: true
                }
            );
            *stage = Stage::Established;
            self.shared.events.push_back(UaEvent::Confirmed {
                call: h,
                ack_body: ack.body,
            });
            if hangup_pending {
                self.shared.send_bye(now, c, EndReason::LocalHangup)
            } else {
                Fate::Live
            }
        } else {
            self.shared.events.push_back(UaEvent::OfferAcked {
                call: h,
                ack_body: ack.body,
            });
            Fate::Live
        };
        self.settle(h, fate);
    }
}

impl Shared {
    /// The call layer's response to the INVITE of `c` (see [`UserAgent::answer`]).
    pub(super) fn answer(
        &mut self,
        now: Instant,
        c: &mut Call,
        reply: Reply,
    ) -> Result<Fate, UaError> {
        let offered = match &c.phase {
            Phase::Offered(o) => *o,
            Phase::Dialing(_) => return Err(UaError::InvalidState("we placed this call")),
            Phase::Dialog(d, _) if d.outgoing => {
                return Err(UaError::InvalidState("we placed this call"))
            }
            Phase::Dialog(..) => {
                return Err(UaError::InvalidState("the INVITE was already answered"))
            }
        };
        if !self.layer.invite_is_proceeding(c.invite_txn) {
            return Err(UaError::InvalidState("the INVITE was already answered"));
        }
        let status = reply.status;
        let mut resp = self.response(&c.invite, status, Some(&c.local_tag));
        let txn = c.invite_txn;
        if status.0 > 100 && status.0 < 300 {
            resp.headers
                .push(HeaderName::Contact, self.contact(c.source));
        }
        if status.is_success() {
            resp.headers.push(HeaderName::Allow, ALLOW);
            push_session_timer(&mut resp.headers, offered.negotiated);
        }
        apply_reply(&mut resp, &reply);
        let destination = response_dest(&c.invite, c.source);
        self.layer.send_response(now, txn, resp.clone())?;
        if status.is_success() {
            let seq = self.rng.gen_range(1..0x4000_0000);
            let dialog = Dialog::uas(&c.invite, &c.local_tag, seq, c.source)
                .map_err(|_| UaError::InvalidState("INVITE cannot create a dialog"))?;
            self.by_dialog.insert(dialog.id.clone(), c.handle);
            let t = self.cfg.timers;
            let cseq = wire::cseq(&c.invite.headers).map(|x| x.0).unwrap_or(0);
            c.timers.await_ack(now, &t);
            c.timers.restart_session(now, offered.negotiated);
            let call = InDialog {
                dialog,
                outgoing: false,
                session: offered.negotiated,
                local_sdp: reply.body,
                peer_allows_update: offered.peer_allows_update,
                unacked: Some(Unacked {
                    txn,
                    response: resp,
                    destination,
                    cseq,
                    interval: t.t1,
                    initial: true,
                }),
                remote_offer: None,
                local_offer: None,
                last_ack: None,
                identity: IdentityUpdate::default(),
            };
            let stage = Stage::Answered {
                hangup_pending: false,
            };
            c.phase = Phase::Dialog(Box::new(call), stage);
            Ok(Fate::Live)
        } else if status.is_final() {
            self.end(c, EndReason::Rejected);
            Ok(Fate::Over)
        } else {
            Ok(Fate::Live)
        }
    }

    pub(super) fn reply_simple(
        &mut self,
        now: Instant,
        id: TransactionId,
        req: &Request,
        status: StatusCode,
        headers: Vec<(HeaderName, Bytes)>,
    ) {
        let tag = self.new_tag();
        let mut resp = self.response(req, status, Some(&tag));
        for (n, v) in headers {
            resp.headers.push(n, v);
        }
        // The transaction may be gone only if we answered twice: a bug, not worth a panic.
        let _ = self.layer.send_response(now, id, resp);
    }

    fn reply_options(&mut self, now: Instant, id: TransactionId, req: &Request) {
        let h = vec![
            (HeaderName::Allow, Bytes::from_static(ALLOW.as_bytes())),
            (HeaderName::Accept, Bytes::from_static(b"application/sdp")),
            (HeaderName::Supported, Bytes::from(SUPPORTED.join(", "))),
        ];
        self.reply_simple(now, id, req, StatusCode::OK, h);
    }
}
