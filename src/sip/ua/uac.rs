//! Requests we send (RFC 3261 §8.1, §12.2.1): calls we place (§13.2) with their CANCEL
//! (§9.1), digest challenges (§22.2) and forked 2xx (§13.2.2.4); in a dialog, ACK, BYE (§15),
//! INFO, MESSAGE and the connected-identity UPDATE, and what their failure means for it.

use super::state::{Call, Dialing, IdentityUpdate, InDialog, Phase, Stage};
use super::timer::{CallTimer, CallTimers};
use super::{
    CallHandle, Dial, EndReason, Fate, Purpose, Shared, UaError, UaEvent, ALLOW, SUPPORTED,
};
use crate::sip::dialog::{Dialog, SessionTimer};
use crate::sip::digest;
use crate::sip::header::AuthHeader;
use crate::sip::message::{HeaderName, Headers, Message, Method, Request, Response, StatusCode};
use crate::sip::transaction::{wire, Peer, TransactionId};
use bytes::Bytes;
use rand::Rng;
use std::time::Instant;

impl Shared {
    // ---- calls we place -------------------------------------------------------------------

    /// Sends the INVITE of a call we place (see [`super::UserAgent::dial`]) and returns the
    /// call, ringing.
    pub(super) fn place_call(
        &mut self,
        now: Instant,
        handle: CallHandle,
        dial: Dial,
    ) -> Result<Call, UaError> {
        let local_tag = self.new_tag();
        let host = self
            .cfg
            .sent_by
            .rsplit_once(':')
            .map_or(self.cfg.sent_by.as_str(), |(h, _)| h);
        let call_id = format!(
            "{:016x}@{}",
            self.rng.gen::<u64>(),
            host.trim_matches(['[', ']'])
        );
        let seq: u32 = self.rng.gen_range(1..0x4000_0000);
        let mut h = Headers::with_capacity(14);
        h.push(HeaderName::Via, self.via_for(dial.destination));
        h.push(HeaderName::MaxForwards, "70");
        h.push(HeaderName::From, format!("<{}>;tag={local_tag}", dial.from));
        h.push(HeaderName::To, format!("<{}>", dial.target));
        h.push(HeaderName::CallId, call_id);
        h.push(HeaderName::CSeq, format!("{seq} INVITE"));
        h.push(HeaderName::Contact, self.contact(dial.destination));
        h.push(HeaderName::Allow, ALLOW);
        h.push(HeaderName::Supported, SUPPORTED.join(", "));
        if self.cfg.session.enabled {
            // RFC 4028 §7.1: ask for our interval, leave the refresher to the UAS.
            let min = self.cfg.session.min_se.max(90);
            h.push(
                HeaderName::SessionExpires,
                self.cfg.session.session_expires.max(min).to_string(),
            );
            h.push(HeaderName::MinSe, min.to_string());
        }
        if let Some(server) = &self.cfg.server {
            h.push(HeaderName::UserAgent, server.clone());
        }
        if !dial.sdp.is_empty() {
            h.push(HeaderName::ContentType, "application/sdp");
        }
        let invite = Request {
            method: Method::Invite,
            uri: Bytes::from(dial.target),
            headers: h,
            body: dial.sdp,
        };
        let id = self
            .layer
            .send_request(now, invite.clone(), dial.destination)?;
        self.client_txns.insert(id, (handle, Purpose::Invite));
        let mut timers = CallTimers::default();
        timers.set(CallTimer::CancelGiveUp, now + dial.ring_timeout);
        Ok(Call {
            handle,
            source: dial.destination,
            invite,
            invite_txn: id,
            local_tag,
            timers,
            merged_key: None,
            bye_reason: None,
            ended: false,
            phase: Phase::Dialing(Dialing::default()),
        })
    }

    /// Responses to our initial INVITE (§13.2.2).
    pub(super) fn on_invite_response(
        &mut self,
        now: Instant,
        c: &mut Call,
        id: TransactionId,
        resp: Response,
    ) -> Fate {
        let status = resp.status;
        if status.is_provisional() {
            // Only an INVITE still ringing hears these (§17.1.1.2: Proceeding).
            let Phase::Dialing(dialing) = &mut c.phase else {
                return Fate::Live;
            };
            dialing.provisional_seen = true;
            if dialing.cancel_pending {
                dialing.cancel_pending = false;
                self.send_cancel(now, c);
            } else if status.0 > 100 && !c.ended {
                self.events.push_back(UaEvent::Progress {
                    call: c.handle,
                    status,
                    body: resp.body,
                });
            }
            return Fate::Live;
        }
        let seq = wire::cseq(&resp.headers).map_or(0, |x| x.0);
        if status.is_success() {
            return self.on_invite_2xx(now, c, id, resp, seq);
        }
        if matches!(status.0, 401 | 407) && !c.ended && self.answer_challenge(now, c, &resp) {
            return Fate::Live;
        }
        if status == StatusCode::INTERVAL_TOO_BRIEF && !c.ended {
            // RFC 4028 §7.1: try once more with the Min-SE the UAS wants.
            if let Some(min) = wire::min_se(&resp.headers) {
                let asked = wire::session_expires(&c.invite.headers).map(|x| x.0);
                if asked.is_some_and(|a| a < min) {
                    return self.retry_invite(now, c, min);
                }
            }
        }
        self.end(c, EndReason::Refused(status));
        Fate::Over
    }

    /// A 2xx to our INVITE: the first sets up the dialog; a retransmission is ACKed again, a
    /// 2xx from another fork is ACKed and ended (§13.2.2.4).
    fn on_invite_2xx(
        &mut self,
        now: Instant,
        c: &mut Call,
        id: TransactionId,
        resp: Response,
        seq: u32,
    ) -> Fate {
        // Keep listening to this transaction: more 2xx may come (forking, retransmission).
        self.client_txns.insert(id, (c.handle, Purpose::Invite));
        if let Phase::Dialog(d, _) = &mut c.phase {
            let to_tag = wire::tag(&resp.headers, HeaderName::To);
            if to_tag.as_deref() == Some(&d.dialog.id.remote_tag) {
                self.ack(c.source, d, seq);
            } else {
                self.ack_and_bye_fork(now, c, &resp);
            }
            return Fate::Live;
        }
        let Ok(dialog) = Dialog::uac(&c.invite, &resp, c.source) else {
            // A 2xx we cannot build a dialog from (no To tag or Contact) cannot be ACKed
            // properly either; give the call up.
            self.end(c, EndReason::Refused(resp.status));
            return Fate::Over;
        };
        self.by_dialog.insert(dialog.id.clone(), c.handle);
        c.timers.stop(CallTimer::CancelGiveUp);
        let peer_allows_update = wire::list_values(&resp.headers, HeaderName::Allow)
            .iter()
            .any(|m| m.eq_ignore_ascii_case("UPDATE"));
        let session = SessionTimer::from_response_as_uac(&resp.headers);
        let call = InDialog {
            dialog,
            outgoing: true,
            session,
            local_sdp: c.invite.body.clone(),
            peer_allows_update,
            unacked: None,
            remote_offer: None,
            local_offer: None,
            last_ack: None,
            identity: IdentityUpdate::default(),
        };
        c.phase = Phase::Dialog(Box::new(call), Stage::Established);
        self.send_ack(c, seq);
        if c.ended {
            // Hung up while the 2xx was on its way: ACK it, then BYE (§9.1, §15).
            return self.send_bye(now, c, EndReason::LocalHangup);
        }
        c.timers.restart_session(now, session);
        self.events.push_back(UaEvent::Answered {
            call: c.handle,
            body: resp.body,
        });
        Fate::Live
    }

    /// Re-sends our INVITE with a larger Session-Expires (RFC 4028 §7.1).
    fn retry_invite(&mut self, now: Instant, c: &mut Call, interval: u32) -> Fate {
        let interval = interval.to_string();
        let sent = self.resend_invite(now, c, |headers| {
            headers.set(HeaderName::SessionExpires, interval.clone());
            headers.set(HeaderName::MinSe, interval);
        });
        if sent {
            return Fate::Live;
        }
        self.end(c, EndReason::Refused(StatusCode::INTERVAL_TOO_BRIEF));
        Fate::Over
    }

    /// Answers a 401/407 to our INVITE with credentials (RFC 3261 §22.2): the same INVITE with
    /// a new branch and CSeq and an Authorization (401) or Proxy-Authorization (407) for each
    /// challenge. False when we cannot or should not (no credentials, unsupported scheme, or
    /// the realm refused our credentials already).
    fn answer_challenge(&mut self, now: Instant, c: &mut Call, resp: &Response) -> bool {
        if self.cfg.credentials.is_empty() {
            return false;
        }
        // Challenges come while the INVITE is unanswered, never after.
        let Phase::Dialing(dialing) = &mut c.phase else {
            return false;
        };
        let (asks, answers) = if resp.status.0 == 401 {
            (HeaderName::WwwAuthenticate, HeaderName::Authorization)
        } else {
            (
                HeaderName::ProxyAuthenticate,
                HeaderName::ProxyAuthorization,
            )
        };
        // RFC 8760 §2.4: of several challenges for one realm, answer the first we support.
        let mut chosen: Vec<AuthHeader> = Vec::new();
        for ch in resp
            .headers
            .typed_lines::<AuthHeader>(&asks)
            .unwrap_or_default()
        {
            if !digest::supported(&ch) {
                continue;
            }
            let realm = ch.param("realm").map(|r| r.into_owned());
            if chosen
                .iter()
                .any(|o| o.param("realm").map(|r| r.into_owned()) == realm)
            {
                continue;
            }
            let stale = ch
                .param("stale")
                .is_some_and(|v| v.eq_ignore_ascii_case("true"));
            if realm
                .as_ref()
                .is_some_and(|r| dialing.auth_realms.contains(r) && !stale)
            {
                // §22.2: a fresh challenge for credentials we already sent means they were
                // refused; trying again would loop.
                return false;
            }
            chosen.push(ch);
        }
        if chosen.is_empty() {
            return false;
        }
        let uri = String::from_utf8_lossy(&c.invite.uri).into_owned();
        let mut lines = Vec::with_capacity(chosen.len());
        for ch in &chosen {
            let cnonce = format!("{:016x}", self.rng.gen::<u64>());
            let req = digest::RequestLine {
                method: "INVITE",
                uri: &uri,
                body: &c.invite.body,
            };
            match digest::authorize(ch, &self.cfg.credentials, &req, &cnonce, 1) {
                Ok(a) => lines.push(a.to_string()),
                Err(e) => {
                    tracing::info!(error = %e, "cannot answer the challenge to our INVITE");
                    return false;
                }
            }
        }
        for ch in &chosen {
            if let Some(r) = ch.param("realm") {
                if !dialing.auth_realms.iter().any(|x| x == r.as_ref()) {
                    dialing.auth_realms.push(r.into_owned());
                }
            }
        }
        self.resend_invite(now, c, |headers| {
            headers.remove(&answers);
            for l in lines {
                headers.push(answers.clone(), l);
            }
        })
    }

    /// Re-sends our INVITE with a new branch and the next CSeq (§8.1.3.5, §22.2), after
    /// `edit` changed its headers. False if it could not be sent.
    fn resend_invite(
        &mut self,
        now: Instant,
        c: &mut Call,
        edit: impl FnOnce(&mut Headers),
    ) -> bool {
        let destination = c.source;
        let mut invite = c.invite.clone();
        let via = self.via_for(destination);
        let seq = wire::cseq(&invite.headers).map_or(1, |x| x.0 + 1);
        invite.headers.set(HeaderName::Via, via);
        invite
            .headers
            .set(HeaderName::CSeq, format!("{seq} INVITE"));
        edit(&mut invite.headers);
        let Ok(id) = self.layer.send_request(now, invite.clone(), destination) else {
            return false;
        };
        self.client_txns.insert(id, (c.handle, Purpose::Invite));
        c.invite = invite;
        c.invite_txn = id;
        if let Phase::Dialing(dialing) = &mut c.phase {
            // §9.1: a CANCEL must wait for a provisional response to the new INVITE.
            dialing.provisional_seen = false;
        }
        true
    }

    /// The call layer hangs up a call we placed that is still ringing (not yet ended).
    pub(super) fn cancel_dialing(&mut self, now: Instant, c: &mut Call) {
        if let Phase::Dialing(dialing) = &mut c.phase {
            // §9.1: CANCEL only once a provisional response showed the INVITE arrived.
            if dialing.provisional_seen {
                self.send_cancel(now, c);
            } else {
                dialing.cancel_pending = true;
            }
        }
        self.end(c, EndReason::LocalHangup);
    }

    /// CANCEL for our unanswered INVITE (§9.1): same Request-URI, Call-ID, From, To, Route and
    /// top Via (so the same branch), CSeq number with method CANCEL.
    pub(super) fn send_cancel(&mut self, now: Instant, c: &mut Call) {
        let inv = &c.invite;
        let mut headers = Headers::with_capacity(8);
        if let Some(via) = wire::top_via_raw(&inv.headers) {
            headers.push(HeaderName::Via, via);
        }
        headers.push(HeaderName::MaxForwards, "70");
        for name in [HeaderName::From, HeaderName::To, HeaderName::CallId] {
            if let Some(v) = inv.headers.get(&name) {
                headers.push(name, v.clone());
            }
        }
        let seq = wire::cseq(&inv.headers).map_or(1, |x| x.0);
        headers.push(HeaderName::CSeq, format!("{seq} CANCEL"));
        for r in inv.headers.get_all(&HeaderName::Route) {
            headers.push(HeaderName::Route, r.clone());
        }
        let cancel = Request {
            method: Method::Cancel,
            uri: inv.uri.clone(),
            headers,
            body: Bytes::new(),
        };
        if let Ok(id) = self.layer.send_request(now, cancel, c.source) {
            self.client_txns.insert(id, (c.handle, Purpose::Ignore));
        }
        c.timers
            .set(CallTimer::CancelGiveUp, now + self.cfg.timers.t1x64());
    }

    /// §13.2.2.4: a 2xx from another fork than the one we kept is ACKed and then ended.
    fn ack_and_bye_fork(&mut self, now: Instant, c: &Call, resp: &Response) {
        let Ok(mut fork) = Dialog::uac(&c.invite, resp, c.source) else {
            return;
        };
        let seq = wire::cseq(&resp.headers).map_or(0, |x| x.0);
        let ack = fork.ack(seq, self.via_for(c.source));
        self.layer.send_stateless(fork.peer, &Message::Request(ack));
        let bye = fork.request(Method::Bye, self.via_for(c.source));
        if let Ok(id) = self.layer.send_request(now, bye, fork.peer) {
            self.client_txns.insert(id, (c.handle, Purpose::Ignore));
        }
    }

    // ---- in the dialog --------------------------------------------------------------------

    /// ACKs the 2xx with CSeq `seq` to an INVITE of ours, if `c` has a dialog.
    pub(super) fn send_ack(&mut self, c: &mut Call, seq: u32) {
        if let Phase::Dialog(d, _) = &mut c.phase {
            self.ack(c.source, d, seq);
        }
    }

    /// The ACK for the 2xx with CSeq `seq` (§13.2.2.4), the same one again for a
    /// retransmission of that 2xx.
    pub(super) fn ack(&mut self, source: Peer, d: &mut InDialog, seq: u32) {
        let via = self.via_for(source);
        let ack = match &d.last_ack {
            Some((s, ack)) if *s == seq => ack.clone(),
            _ => {
                let ack = d.dialog.ack(seq, via);
                d.last_ack = Some((seq, ack.clone()));
                ack
            }
        };
        self.layer
            .send_stateless(d.dialog.peer, &Message::Request(ack));
    }

    /// BYE (§15.1.1): the dialog is ending; the call goes when our BYE transaction ends.
    pub(super) fn send_bye(&mut self, now: Instant, c: &mut Call, reason: EndReason) -> Fate {
        let via = self.via_for(c.source);
        if let Phase::Dialog(_, Stage::Ending) = c.phase {
            return Fate::Live;
        }
        c.timers.stop_all();
        self.abort_remote_offer(now, c);
        let why = c.bye_reason.take();
        let Phase::Dialog(d, stage) = &mut c.phase else {
            // No dialog yet: nobody to say BYE to.
            self.end(c, reason);
            return Fate::Over;
        };
        *stage = Stage::Ending;
        d.unacked = None;
        d.local_offer = None;
        let mut req = d.dialog.request(Method::Bye, via);
        if let Some(why) = why {
            req.headers.push(HeaderName::Reason, why);
        }
        let peer = d.dialog.peer;
        self.end(c, reason);
        match self.layer.send_request(now, req, peer) {
            Ok(id) => {
                self.client_txns.insert(id, (c.handle, Purpose::Bye));
                Fate::Live
            }
            Err(_) => Fate::Over,
        }
    }

    /// INFO or MESSAGE in the dialog of `c` (see [`super::UserAgent::info`]).
    pub(super) fn send_in_dialog(
        &mut self,
        now: Instant,
        c: &mut Call,
        method: Method,
        content_type: Option<&str>,
        body: Bytes,
    ) -> Result<(), UaError> {
        let via = self.via_for(c.source);
        let Phase::Dialog(d, Stage::Answered { .. } | Stage::Established) = &mut c.phase else {
            return Err(UaError::InvalidState("the call has no confirmed dialog"));
        };
        let mut req = d.dialog.request(method, via);
        if let Some(ct) = content_type {
            req.headers.push(HeaderName::ContentType, ct.to_string());
        }
        req.body = body;
        let id = self.layer.send_request(now, req, d.dialog.peer)?;
        self.client_txns.insert(id, (c.handle, Purpose::Other));
        Ok(())
    }

    /// The connected-identity UPDATE (see [`super::UserAgent::update_identity`]); false when
    /// the peer does not allow UPDATE. While another one (or our offer) is under way the name
    /// only replaces any name already waiting: the peer needs to see the latest, not each.
    pub(super) fn update_identity(
        &mut self,
        now: Instant,
        c: &mut Call,
        display_name: &str,
    ) -> Result<bool, UaError> {
        let Phase::Dialog(d, Stage::Established) = &mut c.phase else {
            return Err(UaError::InvalidState("the call is not established"));
        };
        if !d.peer_allows_update {
            return Ok(false);
        }
        d.identity.next = Some(display_name.to_owned());
        self.send_identity(now, c)?;
        Ok(true)
    }

    /// Sends the name waiting, if any, unless an UPDATE of ours or our re-INVITE/UPDATE offer
    /// is under way or a 491 back-off runs (RFC 3311 §5.1, RFC 3261 §14.1): the UPDATE goes
    /// when they are over. From carries the name (RFC 4916 §4), P-Asserted-Identity asserts it
    /// (RFC 3325), and no body leaves the media session alone (RFC 3311 §5.1).
    pub(super) fn send_identity(&mut self, now: Instant, c: &mut Call) -> Result<(), UaError> {
        let via = self.via_for(c.source);
        let contact = self.contact(c.source);
        let Phase::Dialog(d, stage) = &mut c.phase else {
            return Ok(());
        };
        if *stage != Stage::Established {
            // Ending: nobody left to tell.
            d.identity.next = None;
            return Ok(());
        }
        let busy = d.identity.in_flight.is_some() || d.identity.backing_off;
        if busy || d.local_offer.is_some() {
            return Ok(());
        }
        let Some(name) = d.identity.next.take() else {
            return Ok(());
        };
        d.dialog.set_local_display_name(&name);
        let asserted = d.dialog.local_identity().map(|id| id.addr.to_string());
        let mut req = d.dialog.request(Method::Update, via);
        if let Some(a) = asserted {
            req.headers.push(HeaderName::PAssertedIdentity, a);
        }
        req.headers.push(HeaderName::Contact, contact);
        req.headers
            .push(HeaderName::Supported, SUPPORTED.join(", "));
        let id = self.layer.send_request(now, req, d.dialog.peer)?;
        d.identity.in_flight = Some((id, name));
        self.client_txns.insert(id, (c.handle, Purpose::Identity));
        Ok(())
    }

    /// [`Shared::send_identity`] after something that may have cleared its way; a failure to
    /// send (only a duplicate branch) drops the name rather than ending anything.
    pub(super) fn resume_identity(&mut self, now: Instant, c: &mut Call) {
        if let Err(e) = self.send_identity(now, c) {
            tracing::debug!(error = %e, "connected-identity UPDATE not sent");
        }
    }

    /// The outcome of a connected-identity UPDATE: `Ok(response)`, or `Err(())` when it timed
    /// out. Only a 481 ends the call (the dialog is gone, RFC 5057 §5.1); anything else failing
    /// means the peer kept the old name, which is no reason to end a working call (unlike
    /// §12.2.1.2's 408 for requests that matter to the dialog). A 491 is retried after the
    /// §14.1 back-off with the latest name.
    pub(super) fn on_identity_outcome(
        &mut self,
        now: Instant,
        c: &mut Call,
        id: TransactionId,
        outcome: Result<&Response, ()>,
    ) -> Fate {
        let status = match outcome {
            Ok(resp) if resp.status.is_provisional() => return Fate::Live,
            Ok(resp) => resp.status,
            Err(()) => StatusCode::REQUEST_TIMEOUT,
        };
        let Phase::Dialog(d, _) = &mut c.phase else {
            return Fate::Live;
        };
        let Some((_, name)) = d.identity.in_flight.take_if(|(t, _)| *t == id) else {
            return Fate::Live;
        };
        if status == StatusCode::CALL_DOES_NOT_EXIST {
            return self.lose_dialog(now, c, status);
        }
        if status == StatusCode::REQUEST_PENDING {
            d.identity.next.get_or_insert(name);
            d.identity.backing_off = true;
            let wait = self.glare_wait(d.outgoing);
            c.timers.set(CallTimer::IdentityRetry, now + wait);
            return Fate::Live;
        }
        if !status.is_success() {
            self.events.push_back(UaEvent::RequestFailed {
                call: c.handle,
                method: Method::Update,
                status,
            });
        }
        self.resume_identity(now, c);
        Fate::Live
    }

    /// A response to INFO or MESSAGE.
    pub(super) fn on_in_dialog_response(
        &mut self,
        now: Instant,
        c: &mut Call,
        resp: Response,
    ) -> Fate {
        let status = resp.status;
        if status == StatusCode::CALL_DOES_NOT_EXIST || status == StatusCode::REQUEST_TIMEOUT {
            return self.lose_dialog(now, c, status);
        }
        if status.is_final() && !status.is_success() {
            let method = wire::cseq(&resp.headers).map_or(Method::Info, |c| c.1);
            self.events.push_back(UaEvent::RequestFailed {
                call: c.handle,
                method,
                status,
            });
        }
        Fate::Live
    }

    /// §12.2.1.2: a 481 or 408 (or timeout) to a request in the dialog ends it.
    pub(super) fn lose_dialog(&mut self, now: Instant, c: &mut Call, status: StatusCode) -> Fate {
        if status == StatusCode::CALL_DOES_NOT_EXIST {
            self.abort_remote_offer(now, c);
            self.end(c, EndReason::DialogLost);
            Fate::Over
        } else {
            self.send_bye(now, c, EndReason::DialogLost)
        }
    }
}
