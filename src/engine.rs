//! The sans-IO gateway: composes the signalling stacks, the call layer, meetings and media
//! behind one drive contract.
//!
//! # Drive contract
//!
//! ```text
//! handle_sip(now, peer, bytes) | handle_media_event(now, ev) | handle_media_failed(now, leg)
//! with_meetings(now, |m| host command) | hangup(now, leg) | dial_out(now, …) | begin_shutdown(now)
//! handle_timeout(now)
//!         then drain: poll_output()  → Output   (SIP bytes, media commands, events)
//!                     poll_timeout() → Instant  (call handle_timeout at or after it)
//! ```
//!
//! Every input runs to completion: the UA's events become call-leg changes ([`crate::call`]),
//! the meetings' decisions become media commands, and each leg changed by the input is
//! reported once ([`Output::LegUpdated`]).
//!
//! The media plane runs beside the gateway (one media shard per core in the runtime, each
//! owning its RTP sockets): the gateway speaks to it only through [`Output::Media`],
//! [`Output::MediaOpen`], [`Output::MediaPeer`] and [`Output::MediaClose`], and hears back
//! through [`Gateway::handle_media_event`]. RTP ports are allocated by the call layer, so the
//! SDP answer names a port before the shard binds it; the runtime binds it before it sends the
//! answer.

use std::time::Instant;

use bytes::Bytes;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use crate::call::{self, CallConfig, Calls, LegEnd, LegView, PromptAssets};
use crate::media::{LegId, MediaEvent};
use crate::meeting::Meetings;
use crate::sip::message::Message;
use crate::sip::transaction::{Peer, Transmit};
use crate::sip::ua::{UaConfig, UaEvent, UserAgent};
use crate::sip::{codec, reject};

pub use crate::call::{
    DialOut, DialOutError, LegMove, LegState, Output, DEFAULT_RING_TIMEOUT_S, PROMPT_RATE,
};

/// What the gateway needs to know at start. Prompts are loaded by the runtime (the core does
/// no I/O): 16 kHz mono PCM by prompt name.
#[derive(Clone, Debug, Default)]
pub struct GatewayConfig {
    pub ua: UaConfig,
    /// Dial plan, keypad, media addresses, RTP ports, answer delay, call limit, video.
    pub calls: CallConfig,
    pub prompts: PromptAssets,
    pub seed: u64,
}

/// The gateway. See the module docs for the drive contract.
pub struct Gateway {
    ua_cfg: UaConfig,
    ua: UserAgent,
    meetings: Meetings,
    calls: Calls,
    /// Malformed datagrams dropped without an answer.
    pub dropped: u64,
}

impl Gateway {
    pub fn new(cfg: GatewayConfig, meetings: Meetings) -> Gateway {
        let mut rng = SmallRng::seed_from_u64(cfg.seed);
        let ua = UserAgent::new(cfg.ua.clone(), SmallRng::seed_from_u64(rng.gen()));
        let calls = Calls::new(cfg.calls, cfg.prompts, rng.gen());
        Gateway {
            ua_cfg: cfg.ua,
            ua,
            meetings,
            calls,
            dropped: 0,
        }
    }

    pub fn meetings(&self) -> &Meetings {
        &self.meetings
    }

    /// Runs a host command against the meetings and carries its effects to the calls and the
    /// media plane.
    pub fn with_meetings<R>(&mut self, now: Instant, f: impl FnOnce(&mut Meetings) -> R) -> R {
        let r = f(&mut self.meetings);
        self.pump(now);
        r
    }

    pub fn leg_count(&self) -> usize {
        self.calls.len()
    }

    pub fn legs(&self) -> impl Iterator<Item = LegView> + '_ {
        self.calls.views()
    }

    pub fn leg(&self, id: LegId) -> Option<LegView> {
        self.calls.view(id)
    }

    pub fn ua(&self) -> &UserAgent {
        &self.ua
    }

    // ---- inputs ---------------------------------------------------------------------------

    /// A datagram or a framed stream message from `peer`.
    pub fn handle_sip(&mut self, now: Instant, peer: Peer, data: Bytes) {
        // Headers are typed lazily; check the ones the RFC requires to be well-formed before
        // acting, so a malformed request gets 400 rather than a guess (RFC 4475 §3.1.2).
        match codec::parse(data.clone()).and_then(|m| m.validate().map(|()| m)) {
            Ok(msg) => {
                if let Err(e) = self.ua.handle_message(now, msg, peer) {
                    tracing::debug!(%e, remote = %peer.addr, "SIP message refused");
                }
            }
            Err(e) => match reject::reply_to_unparseable(&data, e.status(), &e.to_string()) {
                // RFC 3261 §8.2 (and RFC 4475): answer what can be answered; never a response
                // to a response or to an ACK.
                Some(resp) => {
                    tracing::debug!(%e, remote = %peer.addr, "malformed request answered");
                    let mut buf = bytes::BytesMut::with_capacity(512);
                    codec::encode(&Message::Response(resp), &mut buf);
                    // §18.2.2: back to where it came from (over its connection on TCP).
                    self.calls.push(Output::Sip(Transmit {
                        destination: peer,
                        payload: buf.freeze(),
                    }));
                }
                None => {
                    self.dropped += 1;
                    tracing::debug!(%e, remote = %peer.addr, "malformed message dropped");
                }
            },
        }
        self.pump(now);
    }

    /// A message framed off a stream transport (already parsed by the framer).
    pub fn handle_sip_message(&mut self, now: Instant, peer: Peer, msg: Message) {
        if msg.validate().is_err() {
            // Answered as a malformed datagram is (400 naming the header, RFC 4475 §3.1.2).
            return self.handle_sip(now, peer, msg.to_bytes());
        }
        if let Err(e) = self.ua.handle_message(now, msg, peer) {
            tracing::debug!(%e, remote = %peer.addr, "SIP message refused");
        }
        self.pump(now);
    }

    /// The shell could not bind a leg's RTP ports: end that call.
    pub fn handle_media_failed(&mut self, now: Instant, leg: LegId) {
        if let Some(l) = self.calls.get_mut(leg) {
            tracing::warn!(leg = leg.0, call_id = %l.signal.call_id(), "RTP ports unavailable; ending call");
            // This is why the call ends, whatever was said before.
            l.end = None;
        }
        let end = LegEnd {
            by: "roomgate",
            status: Some(503),
            reason: "RTP ports unavailable".into(),
        };
        self.calls.hang_up(now, &mut self.ua, leg, end);
        self.pump(now);
    }

    /// The shell could not deliver SIP to `peer`.
    pub fn handle_transport_error(&mut self, now: Instant, peer: Peer) {
        self.ua.handle_transport_error(now, peer);
        self.pump(now);
    }

    pub fn handle_media_event(&mut self, now: Instant, ev: MediaEvent) {
        use call::Signalling;
        match ev {
            MediaEvent::Dtmf { leg, digit, .. } => {
                self.calls
                    .on_digit(now, &mut self.ua, &mut self.meetings, leg, digit)
            }
            MediaEvent::KeyframeNeeded { leg } => {
                if let Some(l) = self.calls.get(leg).filter(|l| l.media.has_video()) {
                    self.ua.request_keyframe(now, &l.signal);
                }
            }
            MediaEvent::Stats(_)
            | MediaEvent::Talking { .. }
            | MediaEvent::ActiveSpeaker { .. }
            | MediaEvent::PromptDone { .. } => {}
        }
        self.pump(now);
    }

    /// Hangs up a leg (operator or host action).
    pub fn hangup(&mut self, now: Instant, leg: LegId) -> bool {
        let ok = self.calls.hang_up(
            now,
            &mut self.ua,
            leg,
            LegEnd::by_us("hung up by an operator"),
        );
        self.pump(now);
        ok
    }

    /// Calls a room system into `meeting` as a UAC (RFC 3261 §13.2). The call joins the meeting
    /// when it answers (and goes to `room`, if given); ringing, answer and failure show as leg
    /// updates and, at the end, a call record with the SIP status.
    pub fn dial_out(
        &mut self,
        now: Instant,
        meeting: &str,
        req: DialOut,
    ) -> Result<LegId, DialOutError> {
        let id = call::sip::dial_out(
            &mut self.calls,
            &mut self.ua,
            &self.ua_cfg,
            &mut self.meetings,
            now,
            meeting,
            req,
        )?;
        self.pump(now);
        Ok(id)
    }

    /// Refuse new calls (503) and hang up every leg; the shell waits for `leg_count() == 0`.
    pub fn begin_shutdown(&mut self, now: Instant) {
        self.calls.draining = true;
        for id in self.calls.ids() {
            self.calls.hang_up(
                now,
                &mut self.ua,
                id,
                LegEnd::by_us("roomgate shutting down"),
            );
        }
        self.pump(now);
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        self.ua.handle_timeout(now);
        self.meetings.handle_timeout(now);
        self.calls
            .handle_timeout(now, &mut self.ua, &mut self.meetings);
        self.pump(now);
    }

    // ---- outputs --------------------------------------------------------------------------

    pub fn poll_output(&mut self) -> Option<Output> {
        self.calls.poll_output()
    }

    pub fn poll_timeout(&mut self) -> Option<Instant> {
        [
            self.ua.poll_timeout(),
            self.meetings.poll_timeout(),
            self.calls.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    // ---- the pump: UA events, meeting effects ----------------------------------------------

    fn pump(&mut self, now: Instant) {
        loop {
            let mut progressed = false;
            while let Some(t) = self.ua.poll_transmit() {
                self.calls.push(Output::Sip(t));
                progressed = true;
            }
            while let Some(ev) = self.ua.poll_event() {
                self.on_ua_event(now, ev);
                progressed = true;
            }
            while let Some(cmd) = self.meetings.poll_media() {
                self.calls.on_meeting_media(cmd);
                progressed = true;
            }
            while let Some(ev) = self.meetings.poll_event() {
                self.calls
                    .on_meeting_event(now, &mut self.ua, &self.meetings, &ev);
                self.calls.push(Output::Meeting(ev));
                progressed = true;
            }
            if !progressed {
                break;
            }
        }
        self.calls.flush_updates();
    }

    fn on_ua_event(&mut self, now: Instant, ev: UaEvent) {
        use call::sip;
        let (calls, ua, meetings) = (&mut self.calls, &mut self.ua, &mut self.meetings);
        match ev {
            UaEvent::IncomingCall {
                call,
                request,
                source,
            } => sip::incoming(calls, ua, meetings, now, call, request, source),
            UaEvent::Confirmed { call, ack_body } | UaEvent::OfferAcked { call, ack_body } => {
                sip::answered(calls, ua, meetings, now, call, ack_body)
            }
            UaEvent::Offer { call, body, .. } => sip::offer(calls, ua, now, call, body),
            UaEvent::OfferCancelled { call } => sip::offer_cancelled(calls, call),
            UaEvent::Progress { call, status, .. } => {
                if let Some(id) = calls.by_sip(call) {
                    tracing::info!(leg = id.0, status = status.0, "dial-out progress");
                    calls.touch(id);
                }
            }
            UaEvent::Answered { call, body } => {
                sip::dial_answered(calls, ua, meetings, now, call, body)
            }
            UaEvent::OfferAnswered { .. } => {}
            UaEvent::Info {
                call,
                content_type,
                body,
            } => sip::info(calls, ua, meetings, now, call, &content_type, &body),
            UaEvent::Message { call, body, .. } => {
                if let Some(id) = calls.by_sip(call) {
                    tracing::info!(leg = id.0, text = %String::from_utf8_lossy(&body), "MESSAGE from a leg");
                }
            }
            UaEvent::RequestFailed {
                call,
                method,
                status,
            } => {
                // e.g. a room system that refuses MESSAGE or picture_fast_update: not fatal.
                if let Some(id) = calls.by_sip(call) {
                    tracing::debug!(leg = id.0, %method, status = status.0, "in-dialog request refused");
                }
            }
            UaEvent::Terminated { call, reason } => {
                sip::terminated(calls, meetings, now, call, reason)
            }
        }
    }
}
