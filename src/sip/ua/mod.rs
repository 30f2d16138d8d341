//! The UA core (RFC 3261 §8.2, §12–§15): what roomgate does with requests once the
//! transaction layer has matched them, and the calls (UAS dialogs) it keeps.
//!
//! # Drive contract
//!
//! ```text
//! handle_message(now, msg, source) | handle_timeout(now) | handle_transport_error(now, peer)
//! answer / hangup / reinvite / update / answer_offer / info / message   (the call layer's commands)
//!         then drain: poll_transmit() → Transmit   (bytes for the shell)
//!                     poll_event()    → UaEvent    (for the call layer)
//!                     poll_timeout()  → Instant    (call handle_timeout at or after it)
//! ```
//!
//! The UA core owns a [`TransactionLayer`] and forwards its transmits; it never reads a clock
//! and takes its randomness (tags, branches, CSeq, glare back-off) from the injected RNG.
//! The shell parses datagrams with [`crate::sip::codec`] (answering what does not parse) and
//! hands over the [`Message`] with its source [`Peer`]; for TCP/TLS the shell maps a
//! [`Transmit`]'s destination back to the connection it came from.
//!
//! ```
//! use bytes::Bytes;
//! use rand::{rngs::SmallRng, SeedableRng};
//! use roomgate::sip::{codec, StatusCode};
//! use roomgate::sip::transaction::{Peer, Transport};
//! use roomgate::sip::ua::{Reply, UaConfig, UaEvent, UserAgent};
//! use std::time::Instant;
//!
//! let mut ua = UserAgent::new(UaConfig::default(), SmallRng::seed_from_u64(1));
//! let now = Instant::now(); // read by the shell, never by the core
//! let datagram = Bytes::from_static(
//!     b"INVITE sip:1000@127.0.0.1 SIP/2.0\r\n\
//!       Via: SIP/2.0/UDP 127.0.0.2:5062;branch=z9hG4bK776asdhds;rport\r\n\
//!       Max-Forwards: 70\r\n\
//!       From: <sip:room@127.0.0.2>;tag=1928301774\r\n\
//!       To: <sip:1000@127.0.0.1>\r\n\
//!       Call-ID: a84b4c76e66710@127.0.0.2\r\n\
//!       CSeq: 314159 INVITE\r\n\
//!       Contact: <sip:room@127.0.0.2:5062>\r\n\
//!       Content-Length: 0\r\n\r\n",
//! );
//! let source = Peer::new(Transport::Udp, "127.0.0.2:5062".parse().unwrap());
//! ua.handle_message(now, codec::parse(datagram).unwrap(), source).unwrap();
//! while let Some(event) = ua.poll_event() {
//!     if let UaEvent::IncomingCall { call, .. } = event {
//!         ua.answer(now, call, Reply::new(StatusCode::RINGING)).unwrap();
//!     }
//! }
//! let ringing = ua.poll_transmit().unwrap();
//! assert_eq!(ringing.destination, source); // rport: back to where it came from
//! assert!(ringing.payload.starts_with(b"SIP/2.0 180 Ringing\r\n"));
//! // Sleep until this, call `handle_timeout(now)`, drain again.
//! let _next_wakeup = ua.poll_timeout();
//! ```
//!
//! # What it answers by itself
//!
//! - 483 for Max-Forwards 0 (OPTIONS excepted, §11), 405 with Allow for methods we do not
//!   implement (§8.2.1), 420 with Unsupported for unknown Require option-tags (§8.2.2.3),
//!   482 for merged requests (§8.2.2.2), 481 for in-dialog requests with no dialog (§12.2.2),
//!   500 for out-of-order CSeq (§12.2.2), 200 to OPTIONS with Allow/Accept/Supported (§11.2).
//! - CANCEL (§9.2): 200 to the CANCEL and 487 to the INVITE if unanswered; 481 with no match.
//! - The 2xx to an INVITE is retransmitted from T1 doubling to T2 until the ACK (§13.3.1.4),
//!   over TCP too (it travels end to end; a later hop may be UDP); with no ACK in 64*T1 the
//!   call is ended with BYE and [`EndReason::NoAck`].
//! - Glare (§14.1): a re-INVITE or UPDATE crossing ours gets 491; when ours gets 491 it is
//!   retried after 0–2 s in 10 ms units (2.1–4 s on calls we placed, whose Call-ID we own).
//! - Connected identity (RFC 4916): one UPDATE in flight per dialog (RFC 3311 §5.1), the
//!   latest name sent when it completes; its 491 retried like ours above; its failure or
//!   timeout leaves the call up (only a 481 ends it).
//! - Calls we place ([`UserAgent::dial`]): 2xx ACKed by the core (§13.2.2.4), extra forked
//!   2xx ACKed and sent BYE, CANCEL on hangup once a provisional arrived (§9.1), a 422 retried
//!   with the asked Min-SE (RFC 4028 §7.1).
//! - Session timers (RFC 4028): 422 when Session-Expires is below our Min-SE, Session-Expires
//!   with the refresher in our 2xx, a refresh (UPDATE if the peer allows it, else re-INVITE)
//!   at half the interval when we refresh, BYE when the session expires unrefreshed (§10).
//! - INFO (application/dtmf-relay, application/media_control+xml…) and MESSAGE are answered
//!   200 and passed up; other INFO bodies get 415 with Accept.
//!
//! # Inside
//!
//! [`UserAgent`] keeps its calls beside one `Shared` part (the transaction layer, the indexes
//! from transactions and dialogs to calls, the RNG, the event queue), so a handler holds the
//! call it works on and everything else at once. A call's stage is an enum whose variants own
//! what only that stage has (`state.rs`): the unanswered INVITE we received, the one we sent
//! (with its CANCEL and challenge bookkeeping), or the dialog with its offer/answer exchanges.
//! The work is split by what it is about: `uas.rs` (requests we receive), `uac.rs` (requests
//! we send: dial-out, digest challenges, forking, CANCEL, BYE, INFO/MESSAGE),
//! `offer_answer.rs` (re-INVITE/UPDATE within the dialog, glare), `timers.rs` (2xx
//! retransmission and no-ACK, session timers, ring timeout) and `build.rs` (building
//! messages).

mod build;
mod offer_answer;
mod state;
#[cfg(test)]
mod tests;
mod timer;
mod timers;
mod uac;
mod uas;

use self::state::{Call, Phase, Stage};
use crate::sip::dialog::{Dialog, DialogId, SessionTimer, SessionTimerConfig};
use crate::sip::digest::Credential;
use crate::sip::message::{HeaderName, Message, Method, Request, Response, StatusCode};
use crate::sip::transaction::{
    self, wire, Event, Peer, TimerConfig, TransactionError, TransactionId, TransactionLayer,
    Transmit,
};
use bytes::Bytes;
use rand::rngs::SmallRng;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::time::{Duration, Instant};

/// Methods we implement (the Allow header of §20.5).
pub const ALLOW: &str = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, MESSAGE";
/// Option-tags we support (Supported, §20.37).
pub const SUPPORTED: &[&str] = &["timer", "from-change"];
/// INFO bodies we accept: what room systems send for keys and for picture_fast_update.
pub const INFO_TYPES: &[&str] = &[
    "application/dtmf-relay",
    "application/dtmf",
    "application/media_control+xml",
];

/// Configuration of the UA core.
#[derive(Clone, Debug)]
pub struct UaConfig {
    pub timers: TimerConfig,
    pub session: SessionTimerConfig,
    /// Our sent-by (`host[:port]`) for Via and the host part of Contact.
    pub sent_by: String,
    /// The same for peers reached over IPv6 (`[::1]:5060`); `None`: `sent_by` for everyone.
    pub sent_by_v6: Option<String>,
    /// The user part of our Contact.
    pub contact_user: String,
    /// The Server header of our responses, if any.
    pub server: Option<String>,
    /// Live server transactions outside dialogs before new requests get 503
    /// ([`TransactionLayer::set_max_out_of_dialog`]).
    pub max_out_of_dialog: usize,
    /// Accounts for answering 401/407 challenges to the calls we place (RFC 3261 §22.2).
    pub credentials: Vec<Credential>,
}

impl Default for UaConfig {
    fn default() -> Self {
        UaConfig {
            timers: TimerConfig::default(),
            session: SessionTimerConfig::default(),
            sent_by: "127.0.0.1:5060".into(),
            sent_by_v6: None,
            contact_user: "roomgate".into(),
            server: Some(concat!("roomgate/", env!("CARGO_PKG_VERSION")).into()),
            max_out_of_dialog: transaction::DEFAULT_MAX_OUT_OF_DIALOG,
            credentials: Vec::new(),
        }
    }
}

/// Identifies one incoming call from its INVITE to its end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallHandle(u64);

/// Why a call ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndReason {
    /// The caller cancelled before we answered (487 sent).
    Cancelled,
    /// We answered with a final non-2xx response.
    Rejected,
    /// The peer sent BYE.
    RemoteBye,
    /// [`UserAgent::hangup`].
    LocalHangup,
    /// Our 2xx was never ACKed within 64*T1 (§13.3.1.4); BYE sent.
    NoAck,
    /// The session timer ran out without a refresh (RFC 4028 §10); BYE sent.
    SessionExpired,
    /// A request of ours in the dialog timed out or got 408/481 (§12.2.1.2).
    DialogLost,
    /// The transport towards the peer failed.
    TransportError,
    /// Our outgoing call was refused with this final response.
    Refused(StatusCode),
    /// Our outgoing INVITE got no final response (timer B, §17.1.1.2).
    NoAnswer,
}

/// What the UA core tells the call layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UaEvent {
    /// A new INVITE. Answer it with [`UserAgent::answer`] (1xx, then 2xx or an error).
    IncomingCall {
        call: CallHandle,
        request: Request,
        source: Peer,
    },
    /// The ACK for our 2xx arrived; `ack_body` holds the answer when the INVITE had no offer.
    Confirmed { call: CallHandle, ack_body: Bytes },
    /// Our outgoing call got a provisional response (180, 183 with early media…).
    Progress {
        call: CallHandle,
        status: StatusCode,
        body: Bytes,
    },
    /// Our outgoing call was answered (and ACKed); `body` is the SDP answer.
    Answered { call: CallHandle, body: Bytes },
    /// The peer sent a re-INVITE or UPDATE. Answer with [`UserAgent::answer_offer`]. An empty
    /// `body` on a re-INVITE asks us for an offer in the 2xx (answer in the ACK).
    Offer {
        call: CallHandle,
        method: Method,
        body: Bytes,
    },
    /// The peer cancelled its pending re-INVITE (487 sent).
    OfferCancelled { call: CallHandle },
    /// The ACK for our 2xx to a re-INVITE.
    OfferAcked { call: CallHandle, ack_body: Bytes },
    /// The final answer to our re-INVITE or UPDATE (after any glare retries).
    OfferAnswered {
        call: CallHandle,
        status: StatusCode,
        body: Bytes,
    },
    /// INFO in the dialog (already answered 200).
    Info {
        call: CallHandle,
        content_type: String,
        body: Bytes,
    },
    /// MESSAGE in the dialog (already answered 200).
    Message {
        call: CallHandle,
        content_type: String,
        body: Bytes,
    },
    /// An INFO, MESSAGE or connected-identity UPDATE we sent was refused. For INFO and MESSAGE
    /// a 481 or 408 ends the call instead (§12.2.1.2); for the identity UPDATE only a 481 does,
    /// and a timeout comes here as 408 (the room system keeps showing the old name).
    RequestFailed {
        call: CallHandle,
        method: Method,
        status: StatusCode,
    },
    /// The call is over; emitted exactly once per call.
    Terminated { call: CallHandle, reason: EndReason },
}

/// A response the call layer wants sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub status: StatusCode,
    pub content_type: Option<String>,
    pub body: Bytes,
    /// Extra headers (Reason, Retry-After…).
    pub headers: Vec<(HeaderName, Bytes)>,
}

impl Reply {
    pub fn new(status: StatusCode) -> Self {
        Reply {
            status,
            content_type: None,
            body: Bytes::new(),
            headers: Vec::new(),
        }
    }
    /// A response carrying a session description.
    pub fn sdp(status: StatusCode, body: impl Into<Bytes>) -> Self {
        Reply {
            content_type: Some("application/sdp".into()),
            body: body.into(),
            ..Reply::new(status)
        }
    }
    pub fn header(mut self, name: HeaderName, value: impl Into<Bytes>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

/// An outgoing call: roomgate dialling a room system ([`UserAgent::dial`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dial {
    /// Request-URI and To, e.g. `sip:room@192.0.2.7:5060`.
    pub target: String,
    /// Our address for From, e.g. `sip:1000@gateway.example`.
    pub from: String,
    /// The first hop.
    pub destination: Peer,
    /// The SDP offer (dial-out always offers in the INVITE, RFC 3264 §5).
    pub sdp: Bytes,
    /// How long to let it ring before giving up with CANCEL ([`EndReason::NoAnswer`]): a
    /// provisional response stops Timer B (§17.1.1.2), so without this a callee that rings and
    /// never answers would ring forever.
    pub ring_timeout: Duration,
}

/// Errors of the UA core's commands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UaError {
    #[error("no such call")]
    NoSuchCall,
    #[error("not possible in the call's current state: {0}")]
    InvalidState(&'static str),
    #[error("an offer/answer exchange is already in progress (§14.1)")]
    OfferPending,
    #[error(transparent)]
    Transaction(#[from] TransactionError),
}

/// Where a call's signalling stands (what operators see as the SIP dialog state).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallState {
    /// INVITE received, no final response yet (RFC 3261 §13.3.1).
    Offering,
    /// 2xx sent, waiting for the ACK (§13.3.1.4).
    Answered,
    /// ACKed: the dialog is confirmed.
    Established,
    /// BYE sent; kept until our BYE transaction ends.
    Ending,
}

/// What a client transaction of ours is for, so its outcome reaches the right handler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Purpose {
    Bye,
    Offer,
    Other,
    /// The connected-identity UPDATE (RFC 4916): its failure never ends the call but a 481.
    Identity,
    /// Our initial INVITE.
    Invite,
    /// CANCEL, or BYE to an extra forked 2xx: their answers change nothing.
    Ignore,
}

/// Whether a call outlives what a handler just did to it. `Over`: the call is finished (its
/// Terminated event, if due, is out) and the UA drops it with its indexes.
#[must_use]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fate {
    Live,
    Over,
}

/// The UA core. See the module docs for the drive contract.
#[derive(Debug)]
pub struct UserAgent {
    calls: HashMap<CallHandle, Call>,
    /// Everything else a call's handling touches, in its own struct so that a handler can hold
    /// `&mut Call` and `&mut Shared` together instead of looking the call up again.
    shared: Shared,
    next_call: u64,
    deadlines: BinaryHeap<Reverse<(Instant, CallHandle)>>,
}

#[derive(Debug)]
struct Shared {
    cfg: UaConfig,
    rng: SmallRng,
    layer: TransactionLayer,
    /// INVITE server transactions (initial and re-INVITE) → their call.
    by_server_invite: HashMap<TransactionId, CallHandle>,
    by_dialog: HashMap<DialogId, CallHandle>,
    client_txns: HashMap<TransactionId, (CallHandle, Purpose)>,
    /// §8.2.2.2: (From tag, Call-ID, CSeq) of INVITEs in progress.
    merged: HashMap<(String, String, u32), TransactionId>,
    events: VecDeque<UaEvent>,
}

impl UserAgent {
    pub fn new(cfg: UaConfig, rng: SmallRng) -> Self {
        let mut layer = TransactionLayer::new(cfg.timers);
        layer.set_max_out_of_dialog(cfg.max_out_of_dialog);
        UserAgent {
            calls: HashMap::new(),
            shared: Shared {
                layer,
                cfg,
                rng,
                by_server_invite: HashMap::new(),
                by_dialog: HashMap::new(),
                client_txns: HashMap::new(),
                merged: HashMap::new(),
                events: VecDeque::new(),
            },
            next_call: 0,
            deadlines: BinaryHeap::new(),
        }
    }

    /// Calls not yet fully gone (an ended call lingers while its BYE transaction runs).
    pub fn call_count(&self) -> usize {
        self.calls.len()
    }

    /// Every call not yet over, e.g. to hang them all up at shutdown.
    pub fn calls(&self) -> impl Iterator<Item = CallHandle> + '_ {
        self.calls.iter().filter(|(_, c)| !c.ended).map(|(h, _)| *h)
    }

    /// The signalling state of `call`.
    pub fn state(&self, call: CallHandle) -> Option<CallState> {
        Some(self.calls.get(&call)?.state())
    }

    /// The Call-ID of `call` (from its INVITE: known before any dialog exists).
    pub fn call_id(&self, call: CallHandle) -> Option<&str> {
        let c = self.calls.get(&call)?;
        std::str::from_utf8(c.invite.headers.get(&HeaderName::CallId)?).ok()
    }

    /// The dialog of `call`, once answered.
    pub fn dialog(&self, call: CallHandle) -> Option<&Dialog> {
        self.calls.get(&call)?.dialog()
    }

    /// The negotiated session timer of `call`, if any.
    pub fn session_timer(&self, call: CallHandle) -> Option<SessionTimer> {
        self.calls.get(&call)?.session()
    }

    /// The transaction layer, for inspection.
    pub fn transactions(&self) -> &TransactionLayer {
        &self.shared.layer
    }

    // ---- inputs -------------------------------------------------------------------------

    /// A parsed message from `source`. Malformed messages are answered (400) or dropped by the
    /// transaction layer; the error only says why.
    pub fn handle_message(
        &mut self,
        now: Instant,
        message: Message,
        source: Peer,
    ) -> Result<(), TransactionError> {
        let r = self.shared.layer.handle_message(now, message, source);
        self.process_layer(now);
        r
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        self.shared.layer.handle_timeout(now);
        self.process_layer(now);
        let mut due = Vec::new();
        while let Some(Reverse((at, h))) = self.deadlines.peek().copied() {
            if at > now {
                break;
            }
            self.deadlines.pop();
            due.push(h);
        }
        for h in due {
            if let Some(c) = self.calls.get_mut(&h) {
                // Its heap entry is gone: let `reschedule` push whatever comes next.
                c.timers.scheduled = None;
            }
            // One timer at a time, earliest first: each may change the others (or end the call).
            while let Some(c) = self.calls.get_mut(&h) {
                let Some(t) = c.timers.due(now) else { break };
                c.timers.stop(t);
                let fate = self.shared.on_call_timer(now, c, t);
                if fate == Fate::Over {
                    self.remove(h);
                }
            }
            self.reschedule(h);
            self.process_layer(now);
        }
    }

    /// The shell could not deliver to `peer`.
    pub fn handle_transport_error(&mut self, now: Instant, peer: Peer) {
        self.shared.layer.handle_transport_error(now, peer);
        self.process_layer(now);
    }

    // ---- outputs ------------------------------------------------------------------------

    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.shared.layer.poll_transmit()
    }

    pub fn poll_event(&mut self) -> Option<UaEvent> {
        self.shared.events.pop_front()
    }

    pub fn poll_timeout(&mut self) -> Option<Instant> {
        let mine = loop {
            let Some(Reverse((at, h))) = self.deadlines.peek().copied() else {
                break None;
            };
            let Some(c) = self.calls.get_mut(&h) else {
                self.deadlines.pop();
                continue;
            };
            if c.timers.next_timeout() == Some(at) {
                break Some(at);
            }
            self.deadlines.pop();
            if c.timers.scheduled == Some(at) {
                c.timers.scheduled = None;
                self.reschedule(h);
            }
        };
        match (mine, self.shared.layer.poll_timeout()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    // ---- commands -----------------------------------------------------------------------

    /// Answers the INVITE of `call`: 1xx (any number), then one final response. A 2xx creates
    /// the dialog; a 3xx–6xx ends the call.
    pub fn answer(&mut self, now: Instant, call: CallHandle, reply: Reply) -> Result<(), UaError> {
        let c = self.calls.get_mut(&call).ok_or(UaError::NoSuchCall)?;
        let fate = self.shared.answer(now, c, reply)?;
        self.settle(call, fate);
        self.process_layer(now);
        Ok(())
    }

    /// [`UserAgent::hangup`] with a Reason header (RFC 3326) on the BYE, e.g.
    /// `SIP;cause=200;text="The meeting has ended"`, which room systems show on screen.
    pub fn hangup_with_reason(
        &mut self,
        now: Instant,
        call: CallHandle,
        reason: impl Into<Bytes>,
    ) -> Result<(), UaError> {
        let c = self.calls.get_mut(&call).ok_or(UaError::NoSuchCall)?;
        c.bye_reason = Some(reason.into());
        self.hangup(now, call)
    }

    /// Ends `call`: BYE once established (after the ACK if it is still awaited, §15), 480 if
    /// still unanswered, CANCEL if we placed it and it is still ringing (§9.1).
    pub fn hangup(&mut self, now: Instant, call: CallHandle) -> Result<(), UaError> {
        let c = self.calls.get_mut(&call).ok_or(UaError::NoSuchCall)?;
        let fate = match c.phase {
            Phase::Offered(_) => {
                return self.answer(now, call, Reply::new(StatusCode(480)));
            }
            Phase::Dialing(_) => {
                if c.ended {
                    return Ok(());
                }
                self.shared.cancel_dialing(now, c);
                Fate::Live
            }
            Phase::Dialog(
                _,
                Stage::Answered {
                    ref mut hangup_pending,
                },
            ) => {
                *hangup_pending = true;
                Fate::Live
            }
            Phase::Dialog(_, Stage::Established) => {
                self.shared.send_bye(now, c, EndReason::LocalHangup)
            }
            Phase::Dialog(_, Stage::Ending) => Fate::Live,
        };
        self.settle(call, fate);
        self.process_layer(now);
        Ok(())
    }

    /// Places an outgoing call (RFC 3261 §13.2.1). Its progress comes back as
    /// [`UaEvent::Progress`], [`UaEvent::Answered`] (the 2xx is ACKed by the core) or
    /// [`UaEvent::Terminated`]; [`UserAgent::hangup`] cancels it while unanswered.
    pub fn dial(&mut self, now: Instant, dial: Dial) -> Result<CallHandle, UaError> {
        let handle = CallHandle(self.next_call + 1);
        let call = self.shared.place_call(now, handle, dial)?;
        self.next_call += 1;
        self.calls.insert(handle, call);
        self.settle(handle, Fate::Live);
        self.process_layer(now);
        Ok(handle)
    }

    /// Sends a re-INVITE with `sdp` as the offer (§14.1).
    pub fn reinvite(&mut self, now: Instant, call: CallHandle, sdp: Bytes) -> Result<(), UaError> {
        self.offer(now, call, Method::Invite, sdp)
    }

    /// Sends an UPDATE with `sdp` as the offer (RFC 3311).
    pub fn update(&mut self, now: Instant, call: CallHandle, sdp: Bytes) -> Result<(), UaError> {
        self.offer(now, call, Method::Update, sdp)
    }

    fn offer(
        &mut self,
        now: Instant,
        call: CallHandle,
        method: Method,
        sdp: Bytes,
    ) -> Result<(), UaError> {
        let c = self.calls.get_mut(&call).ok_or(UaError::NoSuchCall)?;
        let ct = Some("application/sdp".to_string());
        self.shared.start_offer(now, c, method, ct, sdp, false)?;
        self.settle(call, Fate::Live);
        self.process_layer(now);
        Ok(())
    }

    /// Answers the peer's pending re-INVITE or UPDATE ([`UaEvent::Offer`]).
    pub fn answer_offer(
        &mut self,
        now: Instant,
        call: CallHandle,
        reply: Reply,
    ) -> Result<(), UaError> {
        let c = self.calls.get_mut(&call).ok_or(UaError::NoSuchCall)?;
        self.shared.answer_offer(now, c, reply)?;
        self.settle(call, Fate::Live);
        self.process_layer(now);
        Ok(())
    }

    /// Sends INFO in the dialog (e.g. application/media_control+xml picture_fast_update).
    pub fn info(
        &mut self,
        now: Instant,
        call: CallHandle,
        content_type: &str,
        body: Bytes,
    ) -> Result<(), UaError> {
        let c = self.calls.get_mut(&call).ok_or(UaError::NoSuchCall)?;
        self.shared
            .send_in_dialog(now, c, Method::Info, Some(content_type), body)?;
        self.process_layer(now);
        Ok(())
    }

    /// Tells the peer who it is now connected to (RFC 4916 connected identity): an UPDATE
    /// without a body (RFC 3311 §5.1, so the media session is untouched) whose From carries
    /// `display_name` and whose P-Asserted-Identity (RFC 3325) asserts it. Room systems show
    /// it as the far end's name. Returns false, sending nothing, when the peer does not allow
    /// UPDATE (a re-INVITE would renegotiate media for a cosmetic change).
    ///
    /// One UPDATE at a time per dialog (RFC 3311 §5.1): while one is unanswered, or our own
    /// re-INVITE/UPDATE offer is, the name waits and only the latest waiting is sent when the
    /// way is clear (true all the same). A 491 is retried after the §14.1 back-off.
    pub fn update_identity(
        &mut self,
        now: Instant,
        call: CallHandle,
        display_name: &str,
    ) -> Result<bool, UaError> {
        let c = self.calls.get_mut(&call).ok_or(UaError::NoSuchCall)?;
        let sent = self.shared.update_identity(now, c, display_name)?;
        if sent {
            self.process_layer(now);
        }
        Ok(sent)
    }

    /// Sends MESSAGE in the dialog.
    pub fn message(
        &mut self,
        now: Instant,
        call: CallHandle,
        content_type: &str,
        body: Bytes,
    ) -> Result<(), UaError> {
        let c = self.calls.get_mut(&call).ok_or(UaError::NoSuchCall)?;
        self.shared
            .send_in_dialog(now, c, Method::Message, Some(content_type), body)?;
        self.process_layer(now);
        Ok(())
    }

    // ---- the transaction user -------------------------------------------------------------

    fn process_layer(&mut self, now: Instant) {
        while let Some(ev) = self.shared.layer.poll_event() {
            match ev {
                Event::Request {
                    id,
                    request,
                    source,
                } => self.on_request(now, id, request, source),
                Event::Ack { request, .. } => self.on_ack(now, request),
                Event::Response { id, response } => self.on_response(now, id, response),
                Event::StrayResponse { response, .. } => self.on_stray_response(response),
                Event::Timeout { id } => self.on_client_failure(now, id, EndReason::DialogLost),
                Event::TransportError { id } => {
                    if let Some(&h) = self.shared.by_server_invite.get(&id) {
                        if let Some(c) = self.calls.get_mut(&h) {
                            self.shared.end(c, EndReason::TransportError);
                        }
                        self.remove(h);
                    } else {
                        self.on_client_failure(now, id, EndReason::TransportError);
                    }
                }
            }
        }
    }

    fn on_response(&mut self, now: Instant, id: TransactionId, resp: Response) {
        let Some(&(h, purpose)) = self.shared.client_txns.get(&id) else {
            // A 2xx retransmission after we let go of the transaction: ACK it again.
            return self.on_stray_response(resp);
        };
        if resp.status.is_final() {
            self.shared.client_txns.remove(&id);
        }
        let Some(c) = self.calls.get_mut(&h) else {
            return;
        };
        let status = resp.status;
        let fate = match purpose {
            Purpose::Bye if status.is_final() => Fate::Over,
            Purpose::Bye | Purpose::Ignore => Fate::Live,
            Purpose::Other => self.shared.on_in_dialog_response(now, c, resp),
            Purpose::Offer => {
                let fate = self.shared.on_offer_response(now, c, id, resp);
                if fate == Fate::Live && status.is_final() {
                    // A connected-identity UPDATE may have waited for our offer (RFC 3311 §5.1).
                    self.shared.resume_identity(now, c);
                }
                fate
            }
            Purpose::Identity => self.shared.on_identity_outcome(now, c, id, Ok(&resp)),
            Purpose::Invite => self.shared.on_invite_response(now, c, id, resp),
        };
        self.settle(h, fate);
    }

    fn on_stray_response(&mut self, resp: Response) {
        // A 2xx to our re-INVITE retransmitted after its transaction ended: ACK it again.
        let Some((seq, Method::Invite)) = wire::cseq(&resp.headers) else {
            return;
        };
        if !resp.status.is_success() {
            return;
        }
        let key = DialogId {
            call_id: wire::call_id(&resp.headers).unwrap_or_default(),
            local_tag: wire::tag(&resp.headers, HeaderName::From).unwrap_or_default(),
            remote_tag: wire::tag(&resp.headers, HeaderName::To).unwrap_or_default(),
        };
        let Some(&h) = self.shared.by_dialog.get(&key) else {
            return;
        };
        if let Some(c) = self.calls.get_mut(&h) {
            self.shared.send_ack(c, seq);
        }
    }

    fn on_client_failure(&mut self, now: Instant, id: TransactionId, reason: EndReason) {
        let Some((h, purpose)) = self.shared.client_txns.remove(&id) else {
            return;
        };
        let Some(c) = self.calls.get_mut(&h) else {
            return;
        };
        let fate = match purpose {
            Purpose::Bye => Fate::Over,
            Purpose::Ignore => Fate::Live,
            Purpose::Invite if c.state() == CallState::Offering => {
                let why = if reason == EndReason::TransportError {
                    reason
                } else {
                    EndReason::NoAnswer
                };
                self.shared.end(c, why);
                Fate::Over
            }
            Purpose::Invite => Fate::Live,
            Purpose::Identity if reason != EndReason::TransportError => {
                self.shared.on_identity_outcome(now, c, id, Err(()))
            }
            Purpose::Offer | Purpose::Other | Purpose::Identity => {
                if reason == EndReason::TransportError {
                    self.shared.abort_remote_offer(now, c);
                    self.shared.end(c, reason);
                    Fate::Over
                } else {
                    self.shared.lose_dialog(now, c, StatusCode::REQUEST_TIMEOUT)
                }
            }
        };
        self.settle(h, fate);
    }

    // ---- the calls' lifecycle -----------------------------------------------------------

    /// After a handler: drops the call if it is over, else brings its heap entry up to date.
    fn settle(&mut self, h: CallHandle, fate: Fate) {
        if fate == Fate::Over {
            self.remove(h);
        }
        self.reschedule(h);
    }

    fn remove(&mut self, h: CallHandle) {
        let Some(c) = self.calls.remove(&h) else {
            return;
        };
        let s = &mut self.shared;
        s.by_server_invite.remove(&c.invite_txn);
        if let Phase::Dialog(d, _) = &c.phase {
            if let Some(o) = &d.remote_offer {
                s.by_server_invite.remove(&o.txn);
            }
            s.by_dialog.remove(&d.dialog.id);
        }
        if let Some(key) = &c.merged_key {
            if s.merged.get(key) == Some(&c.invite_txn) {
                s.merged.remove(key);
            }
        }
        // An INVITE of ours still in Proceeding has no timer of its own (§17.1.1.2): with the
        // call gone nobody would ever CANCEL it, so let it go too.
        let stuck: Vec<TransactionId> = s
            .client_txns
            .iter()
            .filter(|(_, (owner, p))| *owner == h && matches!(p, Purpose::Offer | Purpose::Invite))
            .map(|(id, _)| *id)
            .collect();
        for id in stuck {
            s.layer.abandon(id);
        }
        s.client_txns.retain(|_, (owner, _)| *owner != h);
    }

    fn reschedule(&mut self, h: CallHandle) {
        let Some(c) = self.calls.get_mut(&h) else {
            return;
        };
        let next = c.timers.next_timeout();
        if next != c.timers.scheduled {
            c.timers.scheduled = next;
            if let Some(at) = next {
                self.deadlines.push(Reverse((at, h)));
            }
        }
    }
}

impl Shared {
    /// Emits Terminated, once per call.
    fn end(&mut self, c: &mut Call, reason: EndReason) {
        if !c.ended {
            c.ended = true;
            self.events.push_back(UaEvent::Terminated {
                call: c.handle,
                reason,
            });
        }
    }
}
