//! Offer/answer inside the dialog (RFC 3264 through re-INVITE, §14, and UPDATE, RFC 3311):
//! the peer's offers up to the call layer and its answers back, our offers and their answers,
//! glare (491, §14.1) and session refreshes (RFC 4028), which are offers too.

use super::build::{apply_reply, push_session_timer, response_dest};
use super::state::{Call, InDialog, LocalOffer, Phase, RemoteOffer, Stage, Unacked};
use super::timer::CallTimer;
use super::{CallHandle, Fate, Purpose, Reply, Shared, UaError, UaEvent, ALLOW, SUPPORTED};
use crate::sip::dialog::{Refresher, SessionTimer};
use crate::sip::message::{HeaderName, Method, Request, Response, StatusCode};
use crate::sip::transaction::{wire, Peer, TransactionId};

use bytes::Bytes;
use rand::Rng;
use std::time::{Duration, Instant};

impl Shared {
    /// A re-INVITE or UPDATE of the peer's in the confirmed (or answered) dialog of `c`.
    pub(super) fn on_remote_offer(
        &mut self,
        now: Instant,
        c: &mut Call,
        id: TransactionId,
        req: Request,
    ) {
        let method = req.method.clone();
        let Phase::Dialog(d, _) = &mut c.phase else {
            return;
        };
        let has_offer = !req.body.is_empty();
        if d.local_offer.is_some() && (method == Method::Invite || has_offer) {
            // §14.1 / RFC 3311 §5.2: glare.
            return self.reply_simple(now, id, &req, StatusCode::REQUEST_PENDING, vec![]);
        }
        if d.remote_offer.is_some() || (method == Method::Invite && d.unacked.is_some()) {
            // §14.2: an INVITE while the previous one is unfinished.
            let delay = self.rng.gen_range(0..=10u32);
            let h = vec![(HeaderName::RetryAfter, Bytes::from(delay.to_string()))];
            return self.reply_simple(now, id, &req, StatusCode::SERVER_INTERNAL_ERROR, h);
        }
        let session = match SessionTimer::negotiate_as_uas(&req, &self.cfg.session) {
            Ok(st) => st.or(d.session),
            Err(min_se) => {
                let h = vec![(HeaderName::MinSe, Bytes::from(min_se.to_string()))];
                return self.reply_simple(now, id, &req, StatusCode::INTERVAL_TOO_BRIEF, h);
            }
        };
        d.dialog.refresh_target(&req);
        d.remote_offer = Some(RemoteOffer {
            txn: id,
            request: req.clone(),
            session,
        });
        if method == Method::Update && !has_offer {
            // A bare UPDATE is a session refresh (RFC 4028 §7.4): nothing to negotiate.
            let _ = self.answer_offer(now, c, Reply::new(StatusCode::OK));
            return;
        }
        if method == Method::Invite {
            self.by_server_invite.insert(id, c.handle);
        }
        self.events.push_back(UaEvent::Offer {
            call: c.handle,
            method,
            body: req.body,
        });
    }

    /// The call layer's answer to the peer's pending offer (see [`super::UserAgent::answer_offer`]).
    pub(super) fn answer_offer(
        &mut self,
        now: Instant,
        c: &mut Call,
        reply: Reply,
    ) -> Result<(), UaError> {
        let no_offer = UaError::InvalidState("no offer pending");
        let Phase::Dialog(d, _) = &mut c.phase else {
            return Err(no_offer);
        };
        let offer = d.remote_offer.take().ok_or(no_offer)?;
        let status = reply.status;
        if !status.is_final() {
            d.remote_offer = Some(offer);
            return Err(UaError::InvalidState(
                "answer an offer with a final response",
            ));
        }
        let mut resp = self.response(&offer.request, status, None);
        if status.is_success() {
            resp.headers
                .push(HeaderName::Contact, self.contact(c.source));
            push_session_timer(&mut resp.headers, offer.session);
        }
        apply_reply(&mut resp, &reply);
        self.layer.send_response(now, offer.txn, resp.clone())?;
        let is_invite = offer.request.method == Method::Invite;
        if status.is_success() {
            if !reply.body.is_empty() {
                d.local_sdp = reply.body;
            }
            if offer.session.is_some() {
                d.session = offer.session;
            }
            if is_invite {
                let t = self.cfg.timers;
                d.unacked = Some(Unacked {
                    txn: offer.txn,
                    response: resp,
                    destination: response_dest(&offer.request, c.source),
                    cseq: wire::cseq(&offer.request.headers).map_or(0, |x| x.0),
                    interval: t.t1,
                    initial: false,
                });
                c.timers.await_ack(now, &t);
            }
            // A successful re-INVITE or UPDATE is a refresh (RFC 4028 §10).
            c.timers.restart_session(now, d.session);
        }
        if is_invite {
            self.by_server_invite.remove(&offer.txn);
        }
        Ok(())
    }

    /// A re-INVITE or UPDATE of the peer's still waiting for the call layer when the dialog
    /// ends gets 487, so its transaction does not wait forever (§15.1.2).
    pub(super) fn abort_remote_offer(&mut self, now: Instant, c: &mut Call) {
        let Phase::Dialog(d, _) = &mut c.phase else {
            return;
        };
        let Some(offer) = d.remote_offer.take() else {
            return;
        };
        let resp = self.response(&offer.request, StatusCode::REQUEST_TERMINATED, None);
        let _ = self.layer.send_response(now, offer.txn, resp);
        self.by_server_invite.remove(&offer.txn);
    }

    /// Starts an offer of ours in the established dialog of `c`: the call layer's re-INVITE or
    /// UPDATE, or (`refresh_only`) a session refresh of our own.
    pub(super) fn start_offer(
        &mut self,
        now: Instant,
        c: &mut Call,
        method: Method,
        content_type: Option<String>,
        body: Bytes,
        refresh_only: bool,
    ) -> Result<(), UaError> {
        let Phase::Dialog(d, Stage::Established) = &mut c.phase else {
            return Err(UaError::InvalidState("the call is not established"));
        };
        // A connected-identity UPDATE under way counts too: one UPDATE at a time on the dialog
        // (RFC 3311 §5.1); the call layer tries again as for any pending exchange.
        let identity = d.identity.in_flight.is_some();
        if d.local_offer.is_some() || d.remote_offer.is_some() || d.unacked.is_some() || identity {
            return Err(UaError::OfferPending);
        }
        d.local_offer = Some(LocalOffer {
            txn: None,
            method,
            content_type,
            body,
            refresh_only,
            interval: d.session.map(|s| s.interval),
        });
        self.send_offer(now, c.handle, c.source, d);
        Ok(())
    }

    /// Sends (or re-sends after 491/422) the current local offer with a new CSeq.
    pub(super) fn send_offer(
        &mut self,
        now: Instant,
        h: CallHandle,
        source: Peer,
        d: &mut InDialog,
    ) {
        let via = self.via_for(source);
        let contact = self.contact(source);
        let min_se = self.cfg.session.min_se.max(90);
        let Some(mut offer) = d.local_offer.take() else {
            return;
        };
        let mut req = d.dialog.request(offer.method.clone(), via);
        req.headers.push(HeaderName::Contact, contact);
        req.headers.push(HeaderName::Allow, ALLOW);
        req.headers
            .push(HeaderName::Supported, SUPPORTED.join(", "));
        if let Some(interval) = offer.interval {
            // We keep the refresher role we had; RFC 4028 §7.4 lets the UAC ask for it.
            let st = SessionTimer {
                interval,
                refresher: d.session.map(|s| s.refresher).unwrap_or(Refresher::Us),
            };
            req.headers
                .push(HeaderName::SessionExpires, st.header_as_uac());
            req.headers.push(HeaderName::MinSe, min_se.to_string());
        }
        if let Some(ct) = &offer.content_type {
            req.headers.push(HeaderName::ContentType, ct.clone());
        }
        req.body = offer.body.clone();
        // Only a duplicate branch can fail here; the offer is dropped rather than looped on.
        if let Ok(id) = self.layer.send_request(now, req, d.dialog.peer) {
            offer.txn = Some(id);
            d.local_offer = Some(offer);
            self.client_txns.insert(id, (h, Purpose::Offer));
        }
    }

    /// A response to a re-INVITE or UPDATE of ours.
    pub(super) fn on_offer_response(
        &mut self,
        now: Instant,
        c: &mut Call,
        id: TransactionId,
        resp: Response,
    ) -> Fate {
        let status = resp.status;
        let seq = wire::cseq(&resp.headers).map(|x| x.0).unwrap_or(0);
        let Phase::Dialog(d, _) = &mut c.phase else {
            return Fate::Live;
        };
        // Ours if it answers the offer under way; else a late answer to one given up.
        let current = d.local_offer.take_if(|o| o.txn == Some(id));
        let method = match &current {
            Some(o) => o.method.clone(),
            None => wire::cseq(&resp.headers)
                .map(|x| x.1)
                .unwrap_or(Method::Invite),
        };
        if status.is_success() && method == Method::Invite {
            // §13.2.2.4: every 2xx to our INVITE is ACKed, retransmissions included.
            self.ack(c.source, d, seq);
        }
        let Some(mut offer) = current else {
            return Fate::Live;
        };
        if status.is_provisional() {
            d.local_offer = Some(offer);
            return Fate::Live;
        }
        if status == StatusCode::REQUEST_PENDING {
            let wait = self.glare_wait(d.outgoing);
            offer.txn = None;
            d.local_offer = Some(offer);
            c.timers.set(CallTimer::GlareRetry, now + wait);
            return Fate::Live;
        }
        if status == StatusCode::INTERVAL_TOO_BRIEF {
            // RFC 4028 §7.4: retry with at least the Min-SE the peer asked for.
            if let Some(min) = wire::min_se(&resp.headers) {
                if offer.interval.is_none_or(|i| i < min) {
                    offer.interval = Some(min);
                    offer.txn = None;
                    d.local_offer = Some(offer);
                    self.send_offer(now, c.handle, c.source, d);
                    return Fate::Live;
                }
            }
        }
        if status == StatusCode::CALL_DOES_NOT_EXIST || status == StatusCode::REQUEST_TIMEOUT {
            return self.lose_dialog(now, c, status);
        }
        if status.is_success() {
            if !offer.body.is_empty() {
                d.local_sdp = offer.body;
            }
            d.session = SessionTimer::from_response_as_uac(&resp.headers);
            c.timers.restart_session(now, d.session);
        }
        if !offer.refresh_only {
            self.events.push_back(UaEvent::OfferAnswered {
                call: c.handle,
                status,
                body: resp.body,
            });
        }
        Fate::Live
    }

    /// §14.1: after a 491 the owner of the Call-ID (the caller, so us on calls we placed) waits
    /// 2.1–4 s, the other side 0–2 s, in 10 ms units, before trying again.
    pub(super) fn glare_wait(&mut self, outgoing: bool) -> Duration {
        let units = if outgoing { 210..=400u64 } else { 0..=200u64 };
        Duration::from_millis(10 * self.rng.gen_range(units))
    }
}
