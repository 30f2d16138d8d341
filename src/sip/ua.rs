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
//! - Calls we place ([`UserAgent::dial`]): 2xx ACKed by the core (§13.2.2.4), extra forked
//!   2xx ACKed and sent BYE, CANCEL on hangup once a provisional arrived (§9.1), a 422 retried
//!   with the asked Min-SE (RFC 4028 §7.1).
//! - Session timers (RFC 4028): 422 when Session-Expires is below our Min-SE, Session-Expires
//!   with the refresher in our 2xx, a refresh (UPDATE if the peer allows it, else re-INVITE)
//!   at half the interval when we refresh, BYE when the session expires unrefreshed (§10).
//! - INFO (application/dtmf-relay, application/media_control+xml…) and MESSAGE are answered
//!   200 and passed up; other INFO bodies get 415 with Accept.

use crate::sip::dialog::{Dialog, DialogId, Refresher, SessionTimer, SessionTimerConfig};
use crate::sip::digest::{self, Credential};
use crate::sip::header::AuthHeader;
use crate::sip::message::{HeaderName, Headers, Message, Method, Request, Response, StatusCode};
use crate::sip::transaction::{
    self, wire, Event, Peer, TimerConfig, TransactionError, TransactionId, TransactionLayer,
    Transmit, Transport,
};
use bytes::Bytes;
use rand::rngs::SmallRng;
use rand::Rng;
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
    /// An INFO or MESSAGE we sent was refused (a 481 or 408 ends the call instead, §12.2.1.2).
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

/// The UA core's timers per call (enum-indexed like the transactions').
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CallTimer {
    Retransmit2xx = 0,
    AckTimeout = 1,
    SessionRefresh = 2,
    SessionExpiry = 3,
    GlareRetry = 4,
    /// A call we place: while it rings, the ring timeout (then we CANCEL, §9.1); after our
    /// CANCEL, no final response 64*T1 later: give the INVITE up. One slot, since a call
    /// needs the second only once the first has fired or been superseded by a hang-up.
    CancelGiveUp = 5,
}

const CALL_TIMERS: [CallTimer; 6] = [
    CallTimer::Retransmit2xx,
    CallTimer::AckTimeout,
    CallTimer::SessionRefresh,
    CallTimer::SessionExpiry,
    CallTimer::GlareRetry,
    CallTimer::CancelGiveUp,
];

#[derive(Debug)]
struct Unacked {
    txn: TransactionId,
    response: Response,
    destination: Peer,
    cseq: u32,
    interval: Duration,
    initial: bool,
}

#[derive(Debug)]
struct RemoteOffer {
    txn: TransactionId,
    request: Request,
    session: Option<SessionTimer>,
}

#[derive(Debug)]
struct LocalOffer {
    txn: Option<TransactionId>,
    method: Method,
    content_type: Option<String>,
    body: Bytes,
    /// A session refresh we started ourselves: its answer is not the call layer's business.
    refresh_only: bool,
    /// Session-Expires to ask for (raised after a 422).
    interval: Option<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Purpose {
    Bye,
    Offer,
    Other,
    /// Our initial INVITE.
    Invite,
    /// CANCEL, or BYE to an extra forked 2xx: their answers change nothing.
    Ignore,
}

#[derive(Debug)]
struct Call {
    state: CallState,
    source: Peer,
    invite: Request,
    invite_txn: TransactionId,
    local_tag: String,
    dialog: Option<Dialog>,
    timers: [Option<Instant>; 6],
    scheduled: Option<Instant>,
    unacked: Option<Unacked>,
    remote_offer: Option<RemoteOffer>,
    local_offer: Option<LocalOffer>,
    /// The ACK we sent for the last 2xx to our re-INVITE, resent on its retransmissions.
    last_ack: Option<(u32, Request)>,
    session: Option<SessionTimer>,
    negotiated: Option<SessionTimer>,
    local_sdp: Bytes,
    peer_allows_update: bool,
    hangup_pending: bool,
    /// A Reason header value (RFC 3326) for our BYE, set by [`UserAgent::hangup_with_reason`].
    bye_reason: Option<Bytes>,
    ended: bool,
    merged_key: (String, String, u32),
    /// We placed this call (UAC); `invite` is ours and `invite_txn` a client transaction.
    outgoing: bool,
    /// A provisional response arrived, so CANCEL may be sent (§9.1).
    provisional_seen: bool,
    /// Hung up before any provisional response: CANCEL as soon as one arrives.
    cancel_pending: bool,
    /// Realms whose challenge we answered already (a second one means wrong credentials,
    /// unless it says the nonce was stale).
    auth_realms: Vec<String>,
}

impl Call {
    fn set(&mut self, t: CallTimer, at: Instant) {
        self.timers[t as usize] = Some(at);
    }
    fn stop(&mut self, t: CallTimer) {
        self.timers[t as usize] = None;
    }
    fn next_timeout(&self) -> Option<Instant> {
        self.timers.iter().flatten().min().copied()
    }
}

/// The UA core. See the module docs for the drive contract.
#[derive(Debug)]
pub struct UserAgent {
    cfg: UaConfig,
    rng: SmallRng,
    layer: TransactionLayer,
    next_call: u64,
    calls: HashMap<CallHandle, Call>,
    /// INVITE server transactions (initial and re-INVITE) → their call.
    by_server_invite: HashMap<TransactionId, CallHandle>,
    by_dialog: HashMap<DialogId, CallHandle>,
    client_txns: HashMap<TransactionId, (CallHandle, Purpose)>,
    /// §8.2.2.2: (From tag, Call-ID, CSeq) of INVITEs in progress.
    merged: HashMap<(String, String, u32), TransactionId>,
    deadlines: BinaryHeap<Reverse<(Instant, CallHandle)>>,
    events: VecDeque<UaEvent>,
}

impl UserAgent {
    pub fn new(cfg: UaConfig, rng: SmallRng) -> Self {
        let mut layer = TransactionLayer::new(cfg.timers);
        layer.set_max_out_of_dialog(cfg.max_out_of_dialog);
        UserAgent {
            layer,
            cfg,
            rng,
            next_call: 0,
            calls: HashMap::new(),
            by_server_invite: HashMap::new(),
            by_dialog: HashMap::new(),
            client_txns: HashMap::new(),
            merged: HashMap::new(),
            deadlines: BinaryHeap::new(),
            events: VecDeque::new(),
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
        Some(self.calls.get(&call)?.state)
    }

    /// The dialog of `call`, once answered.
    /// The Call-ID of `call` (from its INVITE: known before any dialog exists).
    pub fn call_id(&self, call: CallHandle) -> Option<&str> {
        let c = self.calls.get(&call)?;
        std::str::from_utf8(c.invite.headers.get(&HeaderName::CallId)?).ok()
    }

    pub fn dialog(&self, call: CallHandle) -> Option<&Dialog> {
        self.calls.get(&call)?.dialog.as_ref()
    }

    /// The negotiated session timer of `call`, if any.
    pub fn session_timer(&self, call: CallHandle) -> Option<SessionTimer> {
        self.calls.get(&call)?.session
    }

    /// The transaction layer, for inspection.
    pub fn transactions(&self) -> &TransactionLayer {
        &self.layer
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
        let r = self.layer.handle_message(now, message, source);
        self.process_layer(now);
        r
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        self.layer.handle_timeout(now);
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
                c.scheduled = None;
            }
            while let Some(t) = self.due_call_timer(h, now) {
                self.calls
                    .get_mut(&h)
                    .expect("due timers belong to live calls")
                    .stop(t);
                self.on_call_timer(now, h, t);
            }
            self.reschedule(h);
            self.process_layer(now);
        }
    }

    fn due_call_timer(&self, h: CallHandle, now: Instant) -> Option<CallTimer> {
        let call = self.calls.get(&h)?;
        CALL_TIMERS
            .iter()
            .copied()
            .filter(|t| call.timers[*t as usize].is_some_and(|at| at <= now))
            .min_by_key(|t| call.timers[*t as usize])
    }

    /// The shell could not deliver to `peer`.
    pub fn handle_transport_error(&mut self, now: Instant, peer: Peer) {
        self.layer.handle_transport_error(now, peer);
        self.process_layer(now);
    }

    // ---- outputs ------------------------------------------------------------------------

    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.layer.poll_transmit()
    }

    pub fn poll_event(&mut self) -> Option<UaEvent> {
        self.events.pop_front()
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
            if c.next_timeout() == Some(at) {
                break Some(at);
            }
            self.deadlines.pop();
            if c.scheduled == Some(at) {
                c.scheduled = None;
                self.reschedule(h);
            }
        };
        match (mine, self.layer.poll_timeout()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    // ---- commands -----------------------------------------------------------------------

    /// Answers the INVITE of `call`: 1xx (any number), then one final response. A 2xx creates
    /// the dialog; a 3xx–6xx ends the call.
    pub fn answer(&mut self, now: Instant, call: CallHandle, reply: Reply) -> Result<(), UaError> {
        let c = self.calls.get(&call).ok_or(UaError::NoSuchCall)?;
        if c.outgoing {
            return Err(UaError::InvalidState("we placed this call"));
        }
        if c.state != CallState::Offering || !self.layer.invite_is_proceeding(c.invite_txn) {
            return Err(UaError::InvalidState("the INVITE was already answered"));
        }
        let status = reply.status;
        let mut resp = self.response(&c.invite, status, Some(&c.local_tag.clone()));
        let txn = c.invite_txn;
        let source = c.source;
        if status.0 > 100 && status.0 < 300 {
            resp.headers.push(HeaderName::Contact, self.contact(source));
        }
        if status.is_success() {
            resp.headers.push(HeaderName::Allow, ALLOW);
            push_session_timer(&mut resp.headers, c.negotiated);
        }
        apply_reply(&mut resp, &reply);
        let dest = self.response_dest(&c.invite, c.source);
        self.layer.send_response(now, txn, resp.clone())?;
        if status.is_success() {
            let seq = self.rng.gen_range(1..0x4000_0000);
            let c = self.calls.get_mut(&call).expect("checked above");
            let dialog = Dialog::uas(&c.invite, &c.local_tag, seq, c.source)
                .map_err(|_| UaError::InvalidState("INVITE cannot create a dialog"))?;
            self.by_dialog.insert(dialog.id.clone(), call);
            c.dialog = Some(dialog);
            c.state = CallState::Answered;
            c.local_sdp = reply.body.clone();
            c.session = c.negotiated;
            let cseq = wire::cseq(&c.invite.headers).map(|x| x.0).unwrap_or(0);
            self.start_2xx_retransmit(now, call, txn, resp, dest, cseq, true);
            self.restart_session_timers(now, call);
        } else if status.is_final() {
            self.end(call, EndReason::Rejected);
            self.remove(call);
        }
        self.reschedule(call);
        self.process_layer(now);
        Ok(())
    }

    /// Ends `call`: BYE once established (after the ACK if it is still awaited, §15), 480 if
    /// still unanswered.
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

    pub fn hangup(&mut self, now: Instant, call: CallHandle) -> Result<(), UaError> {
        let c = self.calls.get_mut(&call).ok_or(UaError::NoSuchCall)?;
        match c.state {
            CallState::Offering if c.outgoing => {
                if c.ended {
                    return Ok(());
                }
                // §9.1: CANCEL only once a provisional response showed the INVITE arrived.
                if c.provisional_seen {
                    self.send_cancel(now, call);
                } else {
                    c.cancel_pending = true;
                }
                self.end(call, EndReason::LocalHangup);
            }
            CallState::Offering => {
                return self.answer(now, call, Reply::new(StatusCode(480)));
            }
            CallState::Answered => c.hangup_pending = true,
            CallState::Established => self.send_bye(now, call, EndReason::LocalHangup),
            CallState::Ending => {}
        }
        self.reschedule(call);
        self.process_layer(now);
        Ok(())
    }

    /// Places an outgoing call (RFC 3261 §13.2.1). Its progress comes back as
    /// [`UaEvent::Progress`], [`UaEvent::Answered`] (the 2xx is ACKed by the core) or
    /// [`UaEvent::Terminated`]; [`UserAgent::hangup`] cancels it while unanswered.
    pub fn dial(&mut self, now: Instant, dial: Dial) -> Result<CallHandle, UaError> {
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
        let mut h = crate::sip::Headers::with_capacity(14);
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
        self.next_call += 1;
        let handle = CallHandle(self.next_call);
        self.client_txns.insert(id, (handle, Purpose::Invite));
        let mut timers = [None; 6];
        timers[CallTimer::CancelGiveUp as usize] = Some(now + dial.ring_timeout);
        self.calls.insert(
            handle,
            Call {
                state: CallState::Offering,
                source: dial.destination,
                invite,
                invite_txn: id,
                local_tag,
                dialog: None,
                timers,
                scheduled: None,
                unacked: None,
                remote_offer: None,
                local_offer: None,
                last_ack: None,
                session: None,
                negotiated: None,
                local_sdp: Bytes::new(),
                peer_allows_update: false,
                hangup_pending: false,
                bye_reason: None,
                ended: false,
                merged_key: (String::new(), String::new(), 0),
                outgoing: true,
                provisional_seen: false,
                cancel_pending: false,
                auth_realms: Vec::new(),
            },
        );
        self.reschedule(handle);
        self.process_layer(now);
        Ok(handle)
    }

    /// Sends a re-INVITE with `sdp` as the offer (§14.1).
    pub fn reinvite(&mut self, now: Instant, call: CallHandle, sdp: Bytes) -> Result<(), UaError> {
        self.start_offer(
            now,
            call,
            Method::Invite,
            Some("application/sdp".into()),
            sdp,
            false,
        )
    }

    /// Sends an UPDATE with `sdp` as the offer (RFC 3311).
    pub fn update(&mut self, now: Instant, call: CallHandle, sdp: Bytes) -> Result<(), UaError> {
        self.start_offer(
            now,
            call,
            Method::Update,
            Some("application/sdp".into()),
            sdp,
            false,
        )
    }

    /// Answers the peer's pending re-INVITE or UPDATE ([`UaEvent::Offer`]).
    pub fn answer_offer(
        &mut self,
        now: Instant,
        call: CallHandle,
        reply: Reply,
    ) -> Result<(), UaError> {
        let c = self.calls.get_mut(&call).ok_or(UaError::NoSuchCall)?;
        let offer = c
            .remote_offer
            .take()
            .ok_or(UaError::InvalidState("no offer pending"))?;
        let status = reply.status;
        if !status.is_final() {
            c.remote_offer = Some(offer);
            return Err(UaError::InvalidState(
                "answer an offer with a final response",
            ));
        }
        let source = c.source;
        let mut resp = self.response(&offer.request, status, None);
        if status.is_success() {
            resp.headers.push(HeaderName::Contact, self.contact(source));
            push_session_timer(&mut resp.headers, offer.session);
        }
        apply_reply(&mut resp, &reply);
        self.layer.send_response(now, offer.txn, resp.clone())?;
        let c = self.calls.get_mut(&call).expect("checked above");
        if status.is_success() {
            if !reply.body.is_empty() {
                c.local_sdp = reply.body.clone();
            }
            if offer.session.is_some() {
                c.session = offer.session;
            }
            if offer.request.method == Method::Invite {
                let dest = self.response_dest(&offer.request, source);
                let cseq = wire::cseq(&offer.request.headers).map(|x| x.0).unwrap_or(0);
                self.start_2xx_retransmit(now, call, offer.txn, resp, dest, cseq, false);
            }
            // A successful re-INVITE or UPDATE is a refresh (RFC 4028 §10).
            self.restart_session_timers(now, call);
        }
        if offer.request.method == Method::Invite {
            self.by_server_invite.remove(&offer.txn);
        }
        self.reschedule(call);
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
        self.send_in_dialog(now, call, Method::Info, Some(content_type), body)
    }

    /// Tells the peer who it is now connected to (RFC 4916 connected identity): an UPDATE
    /// without a body (RFC 3311 §5.1, so the media session is untouched) whose From carries
    /// `display_name` and whose P-Asserted-Identity (RFC 3325) asserts it. Room systems show
    /// it as the far end's name. Returns false, sending nothing, when the peer does not allow
    /// UPDATE (a re-INVITE would renegotiate media for a cosmetic change).
    pub fn update_identity(
        &mut self,
        now: Instant,
        call: CallHandle,
        display_name: &str,
    ) -> Result<bool, UaError> {
        let via = self.new_via(call);
        let c = self.calls.get_mut(&call).ok_or(UaError::NoSuchCall)?;
        if c.state != CallState::Established {
            return Err(UaError::InvalidState("the call is not established"));
        }
        if !c.peer_allows_update {
            return Ok(false);
        }
        let source = c.source;
        let dialog = c.dialog.as_mut().expect("established calls have a dialog");
        dialog.set_local_display_name(display_name);
        let asserted = dialog.local_identity().map(|id| id.addr.to_string());
        let mut req = dialog.request(Method::Update, via);
        let peer = dialog.peer;
        if let Some(a) = asserted {
            req.headers.push(HeaderName::PAssertedIdentity, a);
        }
        req.headers.push(HeaderName::Contact, self.contact(source));
        req.headers
            .push(HeaderName::Supported, SUPPORTED.join(", "));
        let id = self.layer.send_request(now, req, peer)?;
        self.client_txns.insert(id, (call, Purpose::Other));
        self.process_layer(now);
        Ok(true)
    }

    /// Sends MESSAGE in the dialog.
    pub fn message(
        &mut self,
        now: Instant,
        call: CallHandle,
        content_type: &str,
        body: Bytes,
    ) -> Result<(), UaError> {
        self.send_in_dialog(now, call, Method::Message, Some(content_type), body)
    }

    // ---- the transaction user -------------------------------------------------------------

    fn process_layer(&mut self, now: Instant) {
        while let Some(ev) = self.layer.poll_event() {
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
                    if let Some(&h) = self.by_server_invite.get(&id) {
                        self.end(h, EndReason::TransportError);
                        self.remove(h);
                    } else {
                        self.on_client_failure(now, id, EndReason::TransportError);
                    }
                }
            }
        }
    }

    fn on_request(&mut self, now: Instant, id: TransactionId, req: Request, source: Peer) {
        let method = req.method.clone();
        if method == Method::Cancel {
            return self.on_cancel(now, id, req);
        }
        let max_forwards = req
            .headers
            .get(&HeaderName::MaxForwards)
            .and_then(|v| std::str::from_utf8(v).ok()?.trim().parse::<u32>().ok());
        if max_forwards == Some(0) && method != Method::Options {
            return self.reply_simple(now, id, &req, StatusCode::TOO_MANY_HOPS, vec![]);
        }
        if !allowed(&method) {
            let h = vec![(HeaderName::Allow, Bytes::from_static(ALLOW.as_bytes()))];
            return self.reply_simple(now, id, &req, StatusCode::METHOD_NOT_ALLOWED, h);
        }
        let unsupported: Vec<String> = wire::list_values(&req.headers, HeaderName::Require)
            .into_iter()
            .filter(|t| !SUPPORTED.iter().any(|s| s.eq_ignore_ascii_case(t)))
            .collect();
        if !unsupported.is_empty() {
            let h = vec![(HeaderName::Unsupported, Bytes::from(unsupported.join(", ")))];
            return self.reply_simple(now, id, &req, StatusCode::BAD_EXTENSION, h);
        }
        // §8.2.2.1: a Request-URI scheme we do not serve gets 416 (RFC 4475 §3.3.2, §3.3.3).
        let scheme = req.uri.split(|&c| c == b':').next().unwrap_or_default();
        if !["sip", "sips", "tel"]
            .iter()
            .any(|s| s.as_bytes().eq_ignore_ascii_case(scheme))
        {
            return self.reply_simple(now, id, &req, StatusCode::UNSUPPORTED_URI_SCHEME, vec![]);
        }
        if let Some(to_tag) = wire::tag(&req.headers, HeaderName::To) {
            let key = DialogId {
                call_id: wire::call_id(&req.headers).unwrap_or_default(),
                local_tag: to_tag,
                remote_tag: wire::tag(&req.headers, HeaderName::From).unwrap_or_default(),
            };
            return match self.by_dialog.get(&key).copied() {
                Some(h) => self.on_in_dialog(now, h, id, req),
                None => self.reply_simple(now, id, &req, StatusCode::CALL_DOES_NOT_EXIST, vec![]),
            };
        }
        match method {
            Method::Invite => self.on_invite(now, id, req, source),
            Method::Options => self.reply_options(now, id, &req),
            // Only meaningful inside a dialog (§12.2.2, §15.1.2).
            _ => self.reply_simple(now, id, &req, StatusCode::CALL_DOES_NOT_EXIST, vec![]),
        }
    }

    fn on_invite(&mut self, now: Instant, id: TransactionId, req: Request, source: Peer) {
        let merged_key = (
            wire::tag(&req.headers, HeaderName::From).unwrap_or_default(),
            wire::call_id(&req.headers).unwrap_or_default(),
            wire::cseq(&req.headers).map(|c| c.0).unwrap_or(0),
        );
        if let Some(&other) = self.merged.get(&merged_key) {
            if other != id && self.layer.contains(other) {
                // §8.2.2.2: the same request reached us by another path.
                return self.reply_simple(now, id, &req, StatusCode::LOOP_DETECTED, vec![]);
            }
        }
        if wire::list_values(&req.headers, HeaderName::Contact).is_empty() {
            // §8.1.1.8: an INVITE must carry a Contact; without one there is no dialog.
            let tag = self.new_tag();
            let mut resp = self.response(&req, StatusCode::BAD_REQUEST, Some(&tag));
            resp.reason = Bytes::from_static(b"Missing Contact");
            let _ = self.layer.send_response(now, id, resp);
            return;
        }
        let negotiated = match SessionTimer::negotiate_as_uas(&req, &self.cfg.session) {
            Ok(st) => st,
            Err(min_se) => {
                let h = vec![(HeaderName::MinSe, Bytes::from(min_se.to_string()))];
                return self.reply_simple(now, id, &req, StatusCode::INTERVAL_TOO_BRIEF, h);
            }
        };
        let peer_allows_update = wire::list_values(&req.headers, HeaderName::Allow)
            .iter()
            .any(|m| m.eq_ignore_ascii_case("UPDATE"));
        self.next_call += 1;
        let handle = CallHandle(self.next_call);
        let local_tag = self.new_tag();
        self.merged.insert(merged_key.clone(), id);
        self.by_server_invite.insert(id, handle);
        self.calls.insert(
            handle,
            Call {
                state: CallState::Offering,
                source,
                invite: req.clone(),
                invite_txn: id,
                local_tag,
                dialog: None,
                timers: [None; 6],
                scheduled: None,
                unacked: None,
                remote_offer: None,
                local_offer: None,
                last_ack: None,
                session: None,
                negotiated,
                local_sdp: Bytes::new(),
                peer_allows_update,
                hangup_pending: false,
                bye_reason: None,
                ended: false,
                merged_key,
                outgoing: false,
                provisional_seen: false,
                cancel_pending: false,
                auth_realms: Vec::new(),
            },
        );
        self.events.push_back(UaEvent::IncomingCall {
            call: handle,
            request: req,
            source,
        });
    }

    fn on_cancel(&mut self, now: Instant, id: TransactionId, cancel: Request) {
        let Some(invite_txn) = self.layer.find_cancelled_invite(&cancel) else {
            return self.reply_simple(now, id, &cancel, StatusCode::CALL_DOES_NOT_EXIST, vec![]);
        };
        let handle = self.by_server_invite.get(&invite_txn).copied();
        let tag = handle
            .and_then(|h| self.calls.get(&h))
            .map(|c| c.local_tag.clone());
        // §9.2: the CANCEL itself is answered 200 whether or not it still has an effect, with
        // the same To tag as the INVITE's response.
        let ok_tag = tag.clone().unwrap_or_else(|| self.new_tag());
        let ok = self.response(&cancel, StatusCode::OK, Some(&ok_tag));
        let _ = self.layer.send_response(now, id, ok);
        let Some(h) = handle else { return };
        if !self.layer.invite_is_proceeding(invite_txn) {
            return;
        }
        let Some(invite) = self.layer.invite_request(invite_txn).cloned() else {
            return;
        };
        let resp = self.response(&invite, StatusCode::REQUEST_TERMINATED, tag.as_deref());
        let _ = self.layer.send_response(now, invite_txn, resp);
        let Some(c) = self.calls.get_mut(&h) else {
            return;
        };
        if c.state == CallState::Offering && c.invite_txn == invite_txn {
            self.end(h, EndReason::Cancelled);
            self.remove(h);
        } else if c.remote_offer.as_ref().is_some_and(|o| o.txn == invite_txn) {
            c.remote_offer = None;
            self.by_server_invite.remove(&invite_txn);
            self.events.push_back(UaEvent::OfferCancelled { call: h });
        }
    }

    fn on_in_dialog(&mut self, now: Instant, h: CallHandle, id: TransactionId, req: Request) {
        let method = req.method.clone();
        let c = self
            .calls
            .get_mut(&h)
            .expect("by_dialog indexes live calls");
        if c.state == CallState::Ending {
            // The dialog is going away: a crossing BYE is fine, anything else is too late.
            let status = if method == Method::Bye {
                StatusCode::OK
            } else {
                StatusCode::CALL_DOES_NOT_EXIST
            };
            return self.reply_simple(now, id, &req, status, vec![]);
        }
        let dialog = c.dialog.as_mut().expect("dialog calls have a dialog");
        if dialog.check_remote_cseq(&req).is_err() {
            return self.reply_simple(now, id, &req, StatusCode::SERVER_INTERNAL_ERROR, vec![]);
        }
        match method {
            Method::Bye => {
                self.reply_simple(now, id, &req, StatusCode::OK, vec![]);
                // §15.1.2: requests still pending in the dialog get 487.
                self.abort_remote_offer(now, h);
                self.end(h, EndReason::RemoteBye);
                self.remove(h);
            }
            Method::Invite | Method::Update => {
                let has_offer = !req.body.is_empty();
                if c.local_offer.is_some() && (method == Method::Invite || has_offer) {
                    // §14.1 / RFC 3311 §5.2: glare.
                    return self.reply_simple(now, id, &req, StatusCode::REQUEST_PENDING, vec![]);
                }
                if c.remote_offer.is_some() || (method == Method::Invite && c.unacked.is_some()) {
                    // §14.2: an INVITE while the previous one is unfinished.
                    let delay = self.rng.gen_range(0..=10u32);
                    let h2 = vec![(HeaderName::RetryAfter, Bytes::from(delay.to_string()))];
                    return self.reply_simple(now, id, &req, StatusCode::SERVER_INTERNAL_ERROR, h2);
                }
                let session = match SessionTimer::negotiate_as_uas(&req, &self.cfg.session) {
                    Ok(st) => st.or(c.session),
                    Err(min_se) => {
                        let h2 = vec![(HeaderName::MinSe, Bytes::from(min_se.to_string()))];
                        return self.reply_simple(
                            now,
                            id,
                            &req,
                            StatusCode::INTERVAL_TOO_BRIEF,
                            h2,
                        );
                    }
                };
                let c = self.calls.get_mut(&h).expect("live");
                c.dialog.as_mut().expect("dialog").refresh_target(&req);
                c.remote_offer = Some(RemoteOffer {
                    txn: id,
                    request: req.clone(),
                    session,
                });
                if method == Method::Update && !has_offer {
                    // A bare UPDATE is a session refresh (RFC 4028 §7.4): nothing to negotiate.
                    let _ = self.answer_offer(now, h, Reply::new(StatusCode::OK));
                    return;
                }
                if method == Method::Invite {
                    self.by_server_invite.insert(id, h);
                }
                self.events.push_back(UaEvent::Offer {
                    call: h,
                    method,
                    body: req.body,
                });
            }
            Method::Info => {
                let ct = content_type(&req);
                if !req.body.is_empty() && !INFO_TYPES.iter().any(|t| *t == ct) {
                    let h2 = vec![(HeaderName::Accept, Bytes::from(INFO_TYPES.join(", ")))];
                    return self.reply_simple(
                        now,
                        id,
                        &req,
                        StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        h2,
                    );
                }
                self.reply_simple(now, id, &req, StatusCode::OK, vec![]);
                self.events.push_back(UaEvent::Info {
                    call: h,
                    content_type: ct,
                    body: req.body,
                });
            }
            Method::Message => {
                self.reply_simple(now, id, &req, StatusCode::OK, vec![]);
                self.events.push_back(UaEvent::Message {
                    call: h,
                    content_type: content_type(&req),
                    body: req.body,
                });
            }
            Method::Options => self.reply_options(now, id, &req),
            _ => {
                let h2 = vec![(HeaderName::Allow, Bytes::from_static(ALLOW.as_bytes()))];
                self.reply_simple(now, id, &req, StatusCode::METHOD_NOT_ALLOWED, h2);
            }
        }
        self.reschedule(h);
    }

    fn on_ack(&mut self, now: Instant, ack: Request) {
        let key = DialogId {
            call_id: wire::call_id(&ack.headers).unwrap_or_default(),
            local_tag: wire::tag(&ack.headers, HeaderName::To).unwrap_or_default(),
            remote_tag: wire::tag(&ack.headers, HeaderName::From).unwrap_or_default(),
        };
        let Some(&h) = self.by_dialog.get(&key) else {
            return; // §17.2.3: an ACK matching nothing is dropped.
        };
        let c = self
            .calls
            .get_mut(&h)
            .expect("by_dialog indexes live calls");
        let seq = wire::cseq(&ack.headers).map(|x| x.0);
        let Some(unacked) = c.unacked.take_if(|u| Some(u.cseq) == seq) else {
            return; // A retransmitted ACK.
        };
        c.stop(CallTimer::Retransmit2xx);
        c.stop(CallTimer::AckTimeout);
        if unacked.initial {
            c.state = CallState::Established;
            self.events.push_back(UaEvent::Confirmed {
                call: h,
                ack_body: ack.body,
            });
            if c.hangup_pending {
                self.send_bye(now, h, EndReason::LocalHangup);
            }
        } else {
            self.events.push_back(UaEvent::OfferAcked {
                call: h,
                ack_body: ack.body,
            });
        }
        self.reschedule(h);
    }

    fn on_response(&mut self, now: Instant, id: TransactionId, resp: Response) {
        let Some(&(h, purpose)) = self.client_txns.get(&id) else {
            // A 2xx retransmission after we let go of the transaction: ACK it again.
            return self.on_stray_response(resp);
        };
        if resp.status.is_final() {
            self.client_txns.remove(&id);
        }
        if !self.calls.contains_key(&h) {
            return;
        }
        let status = resp.status;
        match purpose {
            Purpose::Bye => {
                if status.is_final() {
                    self.remove(h);
                }
            }
            Purpose::Other => {
                if status == StatusCode::CALL_DOES_NOT_EXIST
                    || status == StatusCode::REQUEST_TIMEOUT
                {
                    self.lose_dialog(now, h, status);
                } else if status.is_final() && !status.is_success() {
                    let method = wire::cseq(&resp.headers).map_or(Method::Info, |c| c.1);
                    self.events.push_back(UaEvent::RequestFailed {
                        call: h,
                        method,
                        status,
                    });
                }
            }
            Purpose::Offer => self.on_offer_response(now, h, id, resp),
            Purpose::Invite => self.on_invite_response(now, h, id, resp),
            Purpose::Ignore => {}
        }
        self.reschedule(h);
    }

    /// Responses to our initial INVITE (§13.2.2).
    fn on_invite_response(
        &mut self,
        now: Instant,
        h: CallHandle,
        id: TransactionId,
        resp: Response,
    ) {
        let status = resp.status;
        let c = self.calls.get_mut(&h).expect("checked by caller");
        if status.is_provisional() {
            c.provisional_seen = true;
            if c.cancel_pending {
                c.cancel_pending = false;
                self.send_cancel(now, h);
            } else if status.0 > 100 && !c.ended {
                self.events.push_back(UaEvent::Progress {
                    call: h,
                    status,
                    body: resp.body,
                });
            }
            return;
        }
        let seq = wire::cseq(&resp.headers).map_or(0, |x| x.0);
        if status.is_success() {
            // Keep listening to this transaction: more 2xx may come (forking, retransmission).
            self.client_txns.insert(id, (h, Purpose::Invite));
            if let Some(d) = &c.dialog {
                if wire::tag(&resp.headers, HeaderName::To).as_deref() == Some(&d.id.remote_tag) {
                    self.send_ack(h, seq);
                } else {
                    self.ack_and_bye_fork(now, h, &resp);
                }
                return;
            }
            let Ok(dialog) = Dialog::uac(&c.invite, &resp, c.source) else {
                // A 2xx we cannot build a dialog from (no To tag or Contact) cannot be ACKed
                // properly either; give the call up.
                self.end(h, EndReason::Refused(status));
                self.remove(h);
                return;
            };
            self.by_dialog.insert(dialog.id.clone(), h);
            c.dialog = Some(dialog);
            c.state = CallState::Established;
            c.stop(CallTimer::CancelGiveUp);
            c.peer_allows_update = wire::list_values(&resp.headers, HeaderName::Allow)
                .iter()
                .any(|m| m.eq_ignore_ascii_case("UPDATE"));
            c.local_sdp = c.invite.body.clone();
            c.session = SessionTimer::from_response_as_uac(&resp.headers);
            self.send_ack(h, seq);
            if self.calls[&h].ended {
                // Hung up while the 2xx was on its way: ACK it, then BYE (§9.1, §15).
                self.send_bye(now, h, EndReason::LocalHangup);
            } else {
                self.restart_session_timers(now, h);
                self.events.push_back(UaEvent::Answered {
                    call: h,
                    body: resp.body,
                });
            }
            return;
        }
        if matches!(status.0, 401 | 407) && !c.ended && self.answer_challenge(now, h, &resp) {
            return;
        }
        let c = self.calls.get_mut(&h).expect("checked by caller");
        if status == StatusCode::INTERVAL_TOO_BRIEF && !c.ended {
            // RFC 4028 §7.1: try once more with the Min-SE the UAS wants.
            if let Some(min) = wire::min_se(&resp.headers) {
                let asked = wire::session_expires(&c.invite.headers).map(|x| x.0);
                if asked.is_some_and(|a| a < min) {
                    return self.retry_invite(now, h, min);
                }
            }
        }
        self.end(h, EndReason::Refused(status));
        self.remove(h);
    }

    /// Re-sends our INVITE with a larger Session-Expires (RFC 4028 §7.1).
    fn retry_invite(&mut self, now: Instant, h: CallHandle, interval: u32) {
        let interval = interval.to_string();
        if !self.resend_invite(now, h, |headers| {
            headers.set(HeaderName::SessionExpires, interval.clone());
            headers.set(HeaderName::MinSe, interval);
        }) {
            self.end(h, EndReason::Refused(StatusCode::INTERVAL_TOO_BRIEF));
            self.remove(h);
        }
    }

    /// Answers a 401/407 to our INVITE with credentials (RFC 3261 §22.2): the same INVITE with
    /// a new branch and CSeq and an Authorization (401) or Proxy-Authorization (407) for each
    /// challenge. False when we cannot or should not (no credentials, unsupported scheme, or
    /// the realm refused our credentials already).
    fn answer_challenge(&mut self, now: Instant, h: CallHandle, resp: &Response) -> bool {
        if self.cfg.credentials.is_empty() {
            return false;
        }
        let (asks, answers) = if resp.status.0 == 401 {
            (HeaderName::WwwAuthenticate, HeaderName::Authorization)
        } else {
            (
                HeaderName::ProxyAuthenticate,
                HeaderName::ProxyAuthorization,
            )
        };
        let c = self.calls.get(&h).expect("checked by caller");
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
                .is_some_and(|r| c.auth_realms.contains(r) && !stale)
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
        let body = c.invite.body.clone();
        let mut lines = Vec::with_capacity(chosen.len());
        for ch in &chosen {
            let cnonce = format!("{:016x}", self.rng.gen::<u64>());
            let req = digest::RequestLine {
                method: "INVITE",
                uri: &uri,
                body: &body,
            };
            match digest::authorize(ch, &self.cfg.credentials, &req, &cnonce, 1) {
                Ok(a) => lines.push(a.to_string()),
                Err(e) => {
                    tracing::info!(error = %e, "cannot answer the challenge to our INVITE");
                    return false;
                }
            }
        }
        let c = self.calls.get_mut(&h).expect("checked by caller");
        for ch in &chosen {
            if let Some(r) = ch.param("realm") {
                if !c.auth_realms.iter().any(|x| x == r.as_ref()) {
                    c.auth_realms.push(r.into_owned());
                }
            }
        }
        self.resend_invite(now, h, |headers| {
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
        h: CallHandle,
        edit: impl FnOnce(&mut crate::sip::Headers),
    ) -> bool {
        let c = self.calls.get(&h).expect("checked by caller");
        let destination = c.source;
        let mut invite = c.invite.clone();
        let via = self.via_for(destination);
        let seq = wire::cseq(&invite.headers).map_or(1, |x| x.0 + 1);
        invite.headers.set(HeaderName::Via, via);
        invite
            .headers
            .set(HeaderName::CSeq, format!("{seq} INVITE"));
        edit(&mut invite.headers);
        match self.layer.send_request(now, invite.clone(), destination) {
            Ok(id) => {
                self.client_txns.insert(id, (h, Purpose::Invite));
                let c = self.calls.get_mut(&h).expect("checked by caller");
                c.invite = invite;
                c.invite_txn = id;
                // §9.1: a CANCEL must wait for a provisional response to the new INVITE.
                c.provisional_seen = false;
                true
            }
            Err(_) => false,
        }
    }

    /// CANCEL for our unanswered INVITE (§9.1): same Request-URI, Call-ID, From, To, Route and
    /// top Via (so the same branch), CSeq number with method CANCEL.
    fn send_cancel(&mut self, now: Instant, h: CallHandle) {
        let c = self.calls.get(&h).expect("checked by caller");
        let inv = &c.invite;
        let mut headers = crate::sip::Headers::with_capacity(8);
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
            self.client_txns.insert(id, (h, Purpose::Ignore));
        }
        let give_up = now + self.cfg.timers.t1x64();
        self.calls
            .get_mut(&h)
            .expect("checked by caller")
            .set(CallTimer::CancelGiveUp, give_up);
    }

    /// §13.2.2.4: a 2xx from another fork than the one we kept is ACKed and then ended.
    fn ack_and_bye_fork(&mut self, now: Instant, h: CallHandle, resp: &Response) {
        let c = self.calls.get(&h).expect("checked by caller");
        let Ok(mut fork) = Dialog::uac(&c.invite, resp, c.source) else {
            return;
        };
        let source = c.source;
        let seq = wire::cseq(&resp.headers).map_or(0, |x| x.0);
        let ack = fork.ack(seq, self.via_for(source));
        self.layer.send_stateless(fork.peer, &Message::Request(ack));
        let bye = fork.request(Method::Bye, self.via_for(source));
        if let Ok(id) = self.layer.send_request(now, bye, fork.peer) {
            self.client_txns.insert(id, (h, Purpose::Ignore));
        }
    }

    fn on_offer_response(
        &mut self,
        now: Instant,
        h: CallHandle,
        id: TransactionId,
        resp: Response,
    ) {
        let status = resp.status;
        let seq = wire::cseq(&resp.headers).map(|x| x.0).unwrap_or(0);
        let (method, is_current) = {
            let c = self.calls.get(&h).expect("checked by caller");
            match &c.local_offer {
                Some(o) if o.txn == Some(id) => (o.method.clone(), true),
                _ => (
                    wire::cseq(&resp.headers)
                        .map(|x| x.1)
                        .unwrap_or(Method::Invite),
                    false,
                ),
            }
        };
        if status.is_success() && method == Method::Invite {
            // §13.2.2.4: every 2xx to our INVITE is ACKed, retransmissions included.
            self.send_ack(h, seq);
        }
        if !is_current || status.is_provisional() {
            return;
        }
        let c = self.calls.get_mut(&h).expect("checked by caller");
        if status == StatusCode::REQUEST_PENDING {
            // §14.1: the owner of the Call-ID (the caller) waits 2.1–4 s, the other side 0–2 s,
            // in 10 ms units, then retries.
            let units = if c.outgoing { 210..=400u64 } else { 0..=200u64 };
            let wait = Duration::from_millis(10 * self.rng.gen_range(units));
            let o = c.local_offer.as_mut().expect("current");
            o.txn = None;
            c.set(CallTimer::GlareRetry, now + wait);
            return;
        }
        if status == StatusCode::INTERVAL_TOO_BRIEF {
            // RFC 4028 §7.4: retry with at least the Min-SE the peer asked for.
            if let Some(min) = wire::min_se(&resp.headers) {
                let o = c.local_offer.as_mut().expect("current");
                if o.interval.is_none_or(|i| i < min) {
                    o.interval = Some(min);
                    o.txn = None;
                    self.send_offer(now, h);
                    return;
                }
            }
        }
        let offer = c.local_offer.take().expect("current");
        if status == StatusCode::CALL_DOES_NOT_EXIST || status == StatusCode::REQUEST_TIMEOUT {
            return self.lose_dialog(now, h, status);
        }
        if status.is_success() {
            if !offer.body.is_empty() {
                c.local_sdp = offer.body.clone();
            }
            c.session = SessionTimer::from_response_as_uac(&resp.headers);
            self.restart_session_timers(now, h);
        }
        if !offer.refresh_only {
            self.events.push_back(UaEvent::OfferAnswered {
                call: h,
                status,
                body: resp.body,
            });
        }
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
        if let Some(&h) = self.by_dialog.get(&key) {
            self.send_ack(h, seq);
        }
    }

    fn on_client_failure(&mut self, now: Instant, id: TransactionId, reason: EndReason) {
        let Some((h, purpose)) = self.client_txns.remove(&id) else {
            return;
        };
        if !self.calls.contains_key(&h) {
            return;
        }
        match purpose {
            Purpose::Bye => self.remove(h),
            Purpose::Ignore => {}
            Purpose::Invite => {
                if self.calls[&h].state == CallState::Offering {
                    let why = if reason == EndReason::TransportError {
                        reason
                    } else {
                        EndReason::NoAnswer
                    };
                    self.end(h, why);
                    self.remove(h);
                }
            }
            _ => {
                if reason == EndReason::TransportError {
                    self.abort_remote_offer(now, h);
                    self.end(h, reason);
                    self.remove(h);
                } else {
                    self.lose_dialog(now, h, StatusCode::REQUEST_TIMEOUT);
                }
            }
        }
    }

    /// §12.2.1.2: a 481 or 408 (or timeout) to a request in the dialog ends it.
    fn lose_dialog(&mut self, now: Instant, h: CallHandle, status: StatusCode) {
        if status == StatusCode::CALL_DOES_NOT_EXIST {
            self.abort_remote_offer(now, h);
            self.end(h, EndReason::DialogLost);
            self.remove(h);
        } else {
            self.send_bye(now, h, EndReason::DialogLost);
        }
    }

    fn on_call_timer(&mut self, now: Instant, h: CallHandle, t: CallTimer) {
        match t {
            CallTimer::Retransmit2xx => {
                let t2 = self.cfg.timers.t2;
                let c = self.calls.get_mut(&h).expect("timer of a live call");
                let Some(u) = c.unacked.as_mut() else { return };
                let (txn, resp, dest) = (u.txn, u.response.clone(), u.destination);
                u.interval = (u.interval * 2).min(t2);
                let next = now + u.interval;
                c.set(CallTimer::Retransmit2xx, next);
                if self.layer.send_response(now, txn, resp.clone()).is_err() {
                    // The transaction's Accepted state is over: send it ourselves.
                    self.layer.send_stateless(dest, &Message::Response(resp));
                }
            }
            CallTimer::AckTimeout => {
                let c = self.calls.get_mut(&h).expect("timer of a live call");
                c.unacked = None;
                c.stop(CallTimer::Retransmit2xx);
                // §13.3.1.4: confirm the dialog, then end the session with BYE.
                c.state = CallState::Established;
                self.send_bye(now, h, EndReason::NoAck);
            }
            CallTimer::SessionRefresh => {
                let c = self.calls.get_mut(&h).expect("timer of a live call");
                if c.local_offer.is_some() || c.remote_offer.is_some() || c.unacked.is_some() {
                    // An exchange is under way; its success refreshes the session anyway.
                    c.set(CallTimer::SessionRefresh, now + Duration::from_secs(2));
                    return;
                }
                let (method, ct, body) = if c.peer_allows_update {
                    (Method::Update, None, Bytes::new())
                } else {
                    (
                        Method::Invite,
                        (!c.local_sdp.is_empty()).then(|| "application/sdp".to_string()),
                        c.local_sdp.clone(),
                    )
                };
                let _ = self.start_offer(now, h, method, ct, body, true);
            }
            CallTimer::SessionExpiry => self.send_bye(now, h, EndReason::SessionExpired),
            CallTimer::CancelGiveUp => {
                let c = self.calls.get_mut(&h).expect("timer of a live call");
                if !(c.outgoing && c.state == CallState::Offering) {
                    return;
                }
                if c.ended {
                    // §9.1: our CANCEL got no final response to the INVITE.
                    let txn = c.invite_txn;
                    self.layer.abandon(txn);
                    self.remove(h);
                    return;
                }
                // The ring timeout: CANCEL once the INVITE is known to have arrived.
                if c.provisional_seen {
                    self.send_cancel(now, h);
                } else {
                    c.cancel_pending = true;
                    c.set(CallTimer::CancelGiveUp, now + self.cfg.timers.t1x64());
                }
                self.end(h, EndReason::NoAnswer);
            }
            CallTimer::GlareRetry => {
                let c = self.calls.get(&h).expect("timer of a live call");
                if c.local_offer.as_ref().is_some_and(|o| o.txn.is_none()) {
                    self.send_offer(now, h);
                }
            }
        }
    }

    // ---- building blocks ------------------------------------------------------------------

    fn start_offer(
        &mut self,
        now: Instant,
        h: CallHandle,
        method: Method,
        content_type: Option<String>,
        body: Bytes,
        refresh_only: bool,
    ) -> Result<(), UaError> {
        let c = self.calls.get_mut(&h).ok_or(UaError::NoSuchCall)?;
        if c.state != CallState::Established {
            return Err(UaError::InvalidState("the call is not established"));
        }
        if c.local_offer.is_some() || c.remote_offer.is_some() || c.unacked.is_some() {
            return Err(UaError::OfferPending);
        }
        c.local_offer = Some(LocalOffer {
            txn: None,
            method,
            content_type,
            body,
            refresh_only,
            interval: c.session.map(|s| s.interval),
        });
        self.send_offer(now, h);
        self.reschedule(h);
        self.process_layer(now);
        Ok(())
    }

    /// Sends (or re-sends after 491/422) the current local offer with a new CSeq.
    fn send_offer(&mut self, now: Instant, h: CallHandle) {
        let via = self.new_via(h);
        let contact = self.contact(self.calls[&h].source);
        let min_se = self.cfg.session.min_se.max(90);
        let c = self.calls.get_mut(&h).expect("caller checked");
        let Some(offer) = c.local_offer.as_ref() else {
            return;
        };
        let dialog = c.dialog.as_mut().expect("established calls have a dialog");
        let mut req = dialog.request(offer.method.clone(), via);
        req.headers.push(HeaderName::Contact, contact);
        req.headers.push(HeaderName::Allow, ALLOW);
        req.headers
            .push(HeaderName::Supported, SUPPORTED.join(", "));
        if let Some(interval) = offer.interval {
            // We keep the refresher role we had; RFC 4028 §7.4 lets the UAC ask for it.
            let st = SessionTimer {
                interval,
                refresher: c.session.map(|s| s.refresher).unwrap_or(Refresher::Us),
            };
            req.headers
                .push(HeaderName::SessionExpires, st.header_as_uac());
            req.headers.push(HeaderName::MinSe, min_se.to_string());
        }
        if let Some(ct) = &offer.content_type {
            req.headers.push(HeaderName::ContentType, ct.clone());
        }
        req.body = offer.body.clone();
        let peer = dialog.peer;
        match self.layer.send_request(now, req, peer) {
            Ok(id) => {
                let c = self.calls.get_mut(&h).expect("caller checked");
                c.local_offer.as_mut().expect("checked above").txn = Some(id);
                self.client_txns.insert(id, (h, Purpose::Offer));
            }
            Err(_) => {
                // Only a duplicate branch can fail here; drop the offer rather than loop.
                self.calls.get_mut(&h).expect("caller checked").local_offer = None;
            }
        }
    }

    fn send_in_dialog(
        &mut self,
        now: Instant,
        h: CallHandle,
        method: Method,
        content_type: Option<&str>,
        body: Bytes,
    ) -> Result<(), UaError> {
        let via = self.new_via(h);
        let c = self.calls.get_mut(&h).ok_or(UaError::NoSuchCall)?;
        if !matches!(c.state, CallState::Established | CallState::Answered) {
            return Err(UaError::InvalidState("the call has no confirmed dialog"));
        }
        let dialog = c.dialog.as_mut().expect("answered calls have a dialog");
        let mut req = dialog.request(method, via);
        if let Some(ct) = content_type {
            req.headers.push(HeaderName::ContentType, ct.to_string());
        }
        req.body = body;
        let peer = dialog.peer;
        let id = self.layer.send_request(now, req, peer)?;
        self.client_txns.insert(id, (h, Purpose::Other));
        self.process_layer(now);
        Ok(())
    }

    fn send_bye(&mut self, now: Instant, h: CallHandle, reason: EndReason) {
        let via = self.new_via(h);
        let Some(c) = self.calls.get_mut(&h) else {
            return;
        };
        if c.state == CallState::Ending {
            return;
        }
        c.state = CallState::Ending;
        c.timers = [None; 6];
        c.unacked = None;
        c.local_offer = None;
        self.abort_remote_offer(now, h);
        let c = self.calls.get_mut(&h).expect("checked above");
        let why = c.bye_reason.take();
        let Some(dialog) = c.dialog.as_mut() else {
            self.end(h, reason);
            self.remove(h);
            return;
        };
        let mut req = dialog.request(Method::Bye, via);
        if let Some(why) = why {
            req.headers.push(HeaderName::Reason, why);
        }
        let peer = dialog.peer;
        self.end(h, reason);
        match self.layer.send_request(now, req, peer) {
            Ok(id) => {
                self.client_txns.insert(id, (h, Purpose::Bye));
            }
            Err(_) => self.remove(h),
        }
    }

    /// A re-INVITE or UPDATE of the peer's still waiting for the call layer when the dialog
    /// ends gets 487, so its transaction does not wait forever (§15.1.2).
    fn abort_remote_offer(&mut self, now: Instant, h: CallHandle) {
        let Some(offer) = self.calls.get_mut(&h).and_then(|c| c.remote_offer.take()) else {
            return;
        };
        let resp = self.response(&offer.request, StatusCode::REQUEST_TERMINATED, None);
        let _ = self.layer.send_response(now, offer.txn, resp);
        self.by_server_invite.remove(&offer.txn);
    }

    fn send_ack(&mut self, h: CallHandle, seq: u32) {
        let via = self.new_via(h);
        let Some(c) = self.calls.get_mut(&h) else {
            return;
        };
        let Some(dialog) = c.dialog.as_ref() else {
            return;
        };
        let ack = match &c.last_ack {
            Some((s, ack)) if *s == seq => ack.clone(),
            _ => {
                let ack = dialog.ack(seq, via);
                c.last_ack = Some((seq, ack.clone()));
                ack
            }
        };
        let peer = dialog.peer;
        self.layer.send_stateless(peer, &Message::Request(ack));
    }

    #[allow(clippy::too_many_arguments)]
    fn start_2xx_retransmit(
        &mut self,
        now: Instant,
        h: CallHandle,
        txn: TransactionId,
        response: Response,
        destination: Peer,
        cseq: u32,
        initial: bool,
    ) {
        let t = self.cfg.timers;
        let c = self.calls.get_mut(&h).expect("caller checked");
        // §13.3.1.4: retransmitted whatever our transport, because the 2xx travels end to end
        // and a later hop may be UDP.
        c.set(CallTimer::Retransmit2xx, now + t.t1);
        c.set(CallTimer::AckTimeout, now + t.t1x64());
        c.unacked = Some(Unacked {
            txn,
            response,
            destination,
            cseq,
            interval: t.t1,
            initial,
        });
    }

    /// RFC 4028 §10: (re)arm refresh and expiry from `now`, the moment of the last refresh.
    fn restart_session_timers(&mut self, now: Instant, h: CallHandle) {
        let c = self.calls.get_mut(&h).expect("caller checked");
        c.stop(CallTimer::SessionRefresh);
        c.stop(CallTimer::SessionExpiry);
        if let Some(st) = c.session {
            if st.refresher == Refresher::Us {
                c.set(CallTimer::SessionRefresh, st.refresh_at(now));
            }
            c.set(CallTimer::SessionExpiry, st.expire_at(now));
        }
    }

    fn reply_simple(
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

    /// A response to `req` (§8.2.6.2) with our To tag (unless 100 or already tagged).
    fn response(&self, req: &Request, status: StatusCode, tag: Option<&str>) -> Response {
        let mut resp = Response::from_request(req, status);
        if let (Some(tag), true) = (tag, status != StatusCode::TRYING) {
            wire::set_to_tag(&mut resp.headers, tag);
        }
        if let Some(server) = &self.cfg.server {
            resp.headers.push(HeaderName::Server, server.clone());
        }
        resp
    }

    fn response_dest(&self, req: &Request, source: Peer) -> Peer {
        match wire::top_via(&req.headers) {
            Some(via) => transaction::response_destination(&via, source),
            None => source,
        }
    }

    /// Our address as `peer` can reach it: of its IP family when we have one (a room system on
    /// IPv6 must not be told to send its ACK and BYE to an IPv4 address).
    fn sent_by(&self, peer: Peer) -> &str {
        match &self.cfg.sent_by_v6 {
            Some(v6) if peer.addr.is_ipv6() => v6,
            _ => &self.cfg.sent_by,
        }
    }

    fn contact(&self, peer: Peer) -> String {
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

    fn new_tag(&mut self) -> String {
        format!("{:016x}", self.rng.gen::<u64>())
    }

    fn new_via(&mut self, h: CallHandle) -> String {
        match self.calls.get(&h).map(|c| c.source) {
            Some(peer) => self.via_for(peer),
            None => self.via_for(Peer {
                transport: Transport::Udp,
                addr: std::net::SocketAddr::from(([0, 0, 0, 0], 0)),
            }),
        }
    }

    fn via_for(&mut self, peer: Peer) -> String {
        let branch: u64 = self.rng.gen();
        format!(
            "SIP/2.0/{} {};branch={}{:016x};rport",
            peer.transport.via_token(),
            self.sent_by(peer),
            wire::MAGIC_COOKIE,
            branch
        )
    }

    /// Emits Terminated once.
    fn end(&mut self, h: CallHandle, reason: EndReason) {
        if let Some(c) = self.calls.get_mut(&h) {
            if !c.ended {
                c.ended = true;
                self.events
                    .push_back(UaEvent::Terminated { call: h, reason });
            }
        }
    }

    fn remove(&mut self, h: CallHandle) {
        let Some(c) = self.calls.remove(&h) else {
            return;
        };
        self.by_server_invite.remove(&c.invite_txn);
        if let Some(o) = &c.remote_offer {
            self.by_server_invite.remove(&o.txn);
        }
        if let Some(d) = &c.dialog {
            self.by_dialog.remove(&d.id);
        }
        if self.merged.get(&c.merged_key) == Some(&c.invite_txn) {
            self.merged.remove(&c.merged_key);
        }
        // An INVITE of ours still in Proceeding has no timer of its own (§17.1.1.2): with the
        // call gone nobody would ever CANCEL it, so let it go too.
        let stuck: Vec<TransactionId> = self
            .client_txns
            .iter()
            .filter(|(_, (owner, p))| *owner == h && matches!(p, Purpose::Offer | Purpose::Invite))
            .map(|(id, _)| *id)
            .collect();
        for id in stuck {
            self.layer.abandon(id);
        }
        self.client_txns.retain(|_, (owner, _)| *owner != h);
    }

    fn reschedule(&mut self, h: CallHandle) {
        let Some(c) = self.calls.get_mut(&h) else {
            return;
        };
        let next = c.next_timeout();
        if next != c.scheduled {
            c.scheduled = next;
            if let Some(at) = next {
                self.deadlines.push(Reverse((at, h)));
            }
        }
    }
}

/// What a 2xx that sets up or refreshes the session says about timers: Supported, and for a
/// negotiated session timer its Session-Expires, with `Require: timer` when the peer is the
/// refresher (RFC 4028 §9: the UAC must know it refreshes).
fn push_session_timer(headers: &mut Headers, session: Option<SessionTimer>) {
    headers.push(HeaderName::Supported, SUPPORTED.join(", "));
    if let Some(st) = session {
        headers.push(HeaderName::SessionExpires, st.header_as_uas());
        if st.refresher == Refresher::Them {
            headers.push(HeaderName::Require, "timer");
        }
    }
}

fn apply_reply(resp: &mut Response, reply: &Reply) {
    for (n, v) in &reply.headers {
        resp.headers.push(n.clone(), v.clone());
    }
    if let Some(ct) = &reply.content_type {
        resp.headers.set(HeaderName::ContentType, ct.clone());
    }
    resp.body = reply.body.clone();
}

/// The media type of a request's body, lower-cased, without parameters.
fn content_type(req: &Request) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::codec;
    use rand::SeedableRng;

    const SRC: &str = "127.0.0.2:5062";

    struct T {
        ua: UserAgent,
        now: Instant,
        branch: u32,
    }

    impl T {
        fn new() -> T {
            T {
                ua: UserAgent::new(UaConfig::default(), SmallRng::seed_from_u64(7)),
                now: Instant::now(),
                branch: 0,
            }
        }

        fn req(&mut self, method: Method, cseq: u32, to_tag: Option<&str>) -> Request {
            self.branch += 1;
            let mut h = crate::sip::Headers::new();
            h.push(
                HeaderName::Via,
                format!("SIP/2.0/UDP {SRC};branch=z9hG4bKt{};rport", self.branch),
            );
            h.push(HeaderName::MaxForwards, "70");
            h.push(HeaderName::From, format!("<sip:room@{SRC}>;tag=rt"));
            h.push(
                HeaderName::To,
                match to_tag {
                    Some(t) => format!("<sip:1000@127.0.0.1>;tag={t}"),
                    None => "<sip:1000@127.0.0.1>".to_string(),
                },
            );
            h.push(HeaderName::CallId, "unit-call");
            h.push(HeaderName::CSeq, format!("{cseq} {method}"));
            if method == Method::Invite {
                h.push(HeaderName::Contact, format!("<sip:room@{SRC}>"));
            }
            Request {
                method,
                uri: Bytes::from_static(b"sip:1000@127.0.0.1"),
                headers: h,
                body: Bytes::new(),
            }
        }

        fn feed(&mut self, r: Request) {
            let _ = self.ua.handle_message(
                self.now,
                Message::Request(r),
                Peer::new(Transport::Udp, SRC.parse().unwrap()),
            );
        }

        fn sent(&mut self) -> Vec<Message> {
            let mut v = Vec::new();
            while let Some(t) = self.ua.poll_transmit() {
                v.push(codec::parse(t.payload).expect("we print parseable SIP"));
            }
            v
        }

        fn statuses(&mut self) -> Vec<u16> {
            self.sent()
                .iter()
                .filter_map(|m| match m {
                    Message::Response(r) => Some(r.status.0),
                    _ => None,
                })
                .collect()
        }

        fn events(&mut self) -> Vec<UaEvent> {
            let mut v = Vec::new();
            while let Some(e) = self.ua.poll_event() {
                v.push(e);
            }
            v
        }

        /// INVITE (CSeq 5), answered 200, ACKed. Returns the call and our To tag.
        fn establish(&mut self) -> (CallHandle, String) {
            let inv = self.req(Method::Invite, 5, None);
            self.feed(inv);
            let call = match self.events().as_slice() {
                [UaEvent::IncomingCall { call, .. }] => *call,
                e => panic!("{e:?}"),
            };
            let now = self.now;
            self.ua
                .answer(now, call, Reply::sdp(StatusCode::OK, &b"v=0\r\n"[..]))
                .unwrap();
            let ok = self.sent().pop().unwrap();
            let tag = ok.headers().to().unwrap().tag().unwrap().to_string();
            let ack = self.req(Method::Ack, 5, Some(&tag));
            self.feed(ack);
            assert!(matches!(
                self.events().as_slice(),
                [UaEvent::Confirmed { .. }]
            ));
            (call, tag)
        }
    }

    #[test]
    fn unknown_method_gets_405_with_allow() {
        let mut t = T::new();
        let r = t.req(Method::Subscribe, 1, None);
        t.feed(r);
        let sent = t.sent();
        let Message::Response(r) = &sent[0] else {
            panic!()
        };
        assert_eq!(r.status.0, 405);
        assert_eq!(r.headers.get(&HeaderName::Allow).unwrap(), ALLOW);
        assert!(t.events().is_empty());
    }

    #[test]
    fn unknown_request_uri_scheme_gets_416() {
        let mut t = T::new();
        let mut r = t.req(Method::Options, 1, None);
        r.uri = Bytes::from_static(b"soap.beep://127.0.0.1:3002");
        t.feed(r);
        assert_eq!(t.statuses(), vec![416]);
    }

    #[test]
    fn max_forwards_zero_gets_483_except_options() {
        let mut t = T::new();
        let mut r = t.req(Method::Invite, 1, None);
        r.headers.set(HeaderName::MaxForwards, "0");
        t.feed(r);
        assert_eq!(t.statuses(), vec![483]);
        let mut r = t.req(Method::Options, 2, None);
        r.headers.set(HeaderName::MaxForwards, "0");
        t.feed(r);
        assert_eq!(t.statuses(), vec![200]);
    }

    #[test]
    fn unknown_require_gets_420_with_unsupported() {
        let mut t = T::new();
        let mut r = t.req(Method::Invite, 1, None);
        r.headers.push(HeaderName::Require, "timer, 100rel, foo");
        t.feed(r);
        let sent = t.sent();
        let Message::Response(r) = &sent[0] else {
            panic!()
        };
        assert_eq!(r.status.0, 420);
        assert_eq!(
            r.headers.get(&HeaderName::Unsupported).unwrap(),
            "100rel, foo"
        );
        let mut ok = t.req(Method::Invite, 2, None);
        ok.headers.push(HeaderName::Require, "timer");
        t.feed(ok);
        assert!(matches!(
            t.events().as_slice(),
            [UaEvent::IncomingCall { .. }]
        ));
    }

    #[test]
    fn requests_for_unknown_dialogs_get_481() {
        let mut t = T::new();
        let r = t.req(Method::Bye, 1, Some("nosuchtag"));
        t.feed(r);
        let r = t.req(Method::Bye, 1, None);
        t.feed(r);
        let r = t.req(Method::Info, 1, Some("x"));
        t.feed(r);
        assert_eq!(t.statuses(), vec![481, 481, 481]);
    }

    #[test]
    fn merged_invite_gets_482() {
        let mut t = T::new();
        let a = t.req(Method::Invite, 1, None);
        t.feed(a);
        // Same From tag, Call-ID and CSeq, another branch: it forked upstream (§8.2.2.2).
        let b = t.req(Method::Invite, 1, None);
        t.feed(b);
        assert_eq!(t.statuses(), vec![482]);
        assert_eq!(t.events().len(), 1);
    }

    #[test]
    fn options_out_of_dialog_lists_capabilities() {
        let mut t = T::new();
        let r = t.req(Method::Options, 1, None);
        t.feed(r);
        let sent = t.sent();
        let Message::Response(r) = &sent[0] else {
            panic!()
        };
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.headers.get(&HeaderName::Allow).unwrap(), ALLOW);
        assert_eq!(
            r.headers.get(&HeaderName::Accept).unwrap(),
            "application/sdp"
        );
        assert_eq!(
            r.headers.get(&HeaderName::Supported).unwrap(),
            "timer, from-change"
        );
        assert!(r.headers.to().unwrap().tag().is_some());
    }

    #[test]
    fn lower_cseq_in_dialog_gets_500_and_info_is_passed_up() {
        let mut t = T::new();
        let (call, tag) = t.establish();
        t.sent();
        let old = t.req(Method::Info, 3, Some(&tag));
        t.feed(old);
        assert_eq!(t.statuses(), vec![500]);
        let mut info = t.req(Method::Info, 6, Some(&tag));
        info.headers
            .push(HeaderName::ContentType, "application/dtmf-relay");
        info.body = Bytes::from_static(b"Signal=5\r\nDuration=160\r\n");
        t.feed(info);
        assert_eq!(t.statuses(), vec![200]);
        assert_eq!(
            t.events(),
            vec![UaEvent::Info {
                call,
                content_type: "application/dtmf-relay".into(),
                body: Bytes::from_static(b"Signal=5\r\nDuration=160\r\n"),
            }]
        );
        let mut bad = t.req(Method::Info, 7, Some(&tag));
        bad.headers.push(HeaderName::ContentType, "text/plain");
        bad.body = Bytes::from_static(b"hello");
        t.feed(bad);
        assert_eq!(t.statuses(), vec![415]);
    }

    #[test]
    fn reinvite_offer_answer_and_ack() {
        let mut t = T::new();
        let (call, tag) = t.establish();
        t.sent();
        let mut re = t.req(Method::Invite, 6, Some(&tag));
        re.headers
            .set(HeaderName::Contact, "<sip:room@127.0.0.3:5062>");
        re.headers.push(HeaderName::ContentType, "application/sdp");
        re.body = Bytes::from_static(b"v=0\r\na=sendonly\r\n");
        t.feed(re);
        assert_eq!(
            t.events(),
            vec![UaEvent::Offer {
                call,
                method: Method::Invite,
                body: Bytes::from_static(b"v=0\r\na=sendonly\r\n"),
            }]
        );
        // The target refresh moved the remote target (§12.2.2).
        assert_eq!(
            t.ua.dialog(call).unwrap().remote_target(),
            "sip:room@127.0.0.3:5062"
        );
        // A second INVITE while the first is unanswered: 500 with Retry-After (§14.2).
        let again = t.req(Method::Invite, 7, Some(&tag));
        t.feed(again);
        let sent = t.sent();
        let Message::Response(r) = sent.last().unwrap() else {
            panic!()
        };
        assert_eq!(r.status.0, 500);
        assert!(r.headers.get(&HeaderName::RetryAfter).is_some());

        let now = t.now;
        t.ua.answer_offer(
            now,
            call,
            Reply::sdp(StatusCode::OK, &b"v=0\r\na=recvonly\r\n"[..]),
        )
        .unwrap();
        let sent = t.sent();
        let Message::Response(ok) = &sent[0] else {
            panic!()
        };
        assert_eq!(ok.status, StatusCode::OK);
        assert_eq!(&ok.body[..], b"v=0\r\na=recvonly\r\n");
        let ack = t.req(Method::Ack, 6, Some(&tag));
        t.feed(ack);
        assert_eq!(
            t.events(),
            vec![UaEvent::OfferAcked {
                call,
                ack_body: Bytes::new()
            }]
        );
    }

    #[test]
    fn update_offer_goes_to_the_call_layer_and_bare_update_refreshes() {
        let mut t = T::new();
        let (call, tag) = t.establish();
        t.sent();
        let mut up = t.req(Method::Update, 6, Some(&tag));
        up.headers.push(HeaderName::ContentType, "application/sdp");
        up.body = Bytes::from_static(b"v=0\r\na=inactive\r\n");
        t.feed(up);
        assert_eq!(
            t.events(),
            vec![UaEvent::Offer {
                call,
                method: Method::Update,
                body: Bytes::from_static(b"v=0\r\na=inactive\r\n"),
            }]
        );
        // Our own offer cannot start while theirs is pending (§14.1).
        let now = t.now;
        assert_eq!(
            t.ua.update(now, call, Bytes::from_static(b"v=0\r\n")),
            Err(UaError::OfferPending)
        );
        t.ua.answer_offer(now, call, Reply::sdp(StatusCode::OK, &b"v=0\r\n"[..]))
            .unwrap();
        assert_eq!(t.statuses(), vec![200]);
        // A bare UPDATE (RFC 4028 §7.4 refresh) is answered by the core alone.
        let mut bare = t.req(Method::Update, 7, Some(&tag));
        bare.headers
            .push(HeaderName::SessionExpires, "1800;refresher=uac");
        t.feed(bare);
        let sent = t.sent();
        let Message::Response(r) = &sent[0] else {
            panic!()
        };
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(
            r.headers.get(&HeaderName::SessionExpires).unwrap(),
            "1800;refresher=uac"
        );
        assert_eq!(r.headers.get(&HeaderName::Require).unwrap(), "timer");
        assert!(t.events().is_empty());
        assert_eq!(
            t.ua.session_timer(call).map(|s| s.refresher),
            Some(Refresher::Them)
        );
    }

    #[test]
    fn options_and_message_inside_the_dialog() {
        let mut t = T::new();
        let (call, tag) = t.establish();
        t.sent();
        let o = t.req(Method::Options, 6, Some(&tag));
        t.feed(o);
        let sent = t.sent();
        let Message::Response(r) = &sent[0] else {
            panic!()
        };
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.headers.get(&HeaderName::Allow).unwrap(), ALLOW);
        assert_eq!(r.headers.to().unwrap().tag(), Some(tag.as_str()));
        let mut m = t.req(Method::Message, 7, Some(&tag));
        m.headers.push(HeaderName::ContentType, "text/plain");
        m.body = Bytes::from_static(b"hello room");
        t.feed(m);
        assert_eq!(t.statuses(), vec![200]);
        assert_eq!(
            t.events(),
            vec![UaEvent::Message {
                call,
                content_type: "text/plain".into(),
                body: Bytes::from_static(b"hello room"),
            }]
        );
    }

    #[test]
    fn hangup_before_the_ack_waits_for_it() {
        let mut t = T::new();
        let inv = t.req(Method::Invite, 1, None);
        t.feed(inv);
        let Some(UaEvent::IncomingCall { call, .. }) = t.events().pop() else {
            panic!()
        };
        let now = t.now;
        t.ua.answer(now, call, Reply::new(StatusCode::OK)).unwrap();
        let tag = t.sent()[0]
            .headers()
            .to()
            .unwrap()
            .tag()
            .unwrap()
            .to_string();
        t.ua.hangup(now, call).unwrap();
        assert!(t.sent().is_empty(), "§15: no BYE before the ACK");
        assert_eq!(t.ua.state(call), Some(CallState::Answered));
        let ack = t.req(Method::Ack, 1, Some(&tag));
        t.feed(ack);
        let sent = t.sent();
        assert!(matches!(&sent[0], Message::Request(r) if r.method == Method::Bye));
        assert_eq!(t.ua.state(call), Some(CallState::Ending));
        assert_eq!(
            t.events(),
            vec![
                UaEvent::Confirmed {
                    call,
                    ack_body: Bytes::new()
                },
                UaEvent::Terminated {
                    call,
                    reason: EndReason::LocalHangup
                }
            ]
        );
    }

    #[test]
    fn cancelled_reinvite_gets_487() {
        let mut t = T::new();
        let (call, tag) = t.establish();
        t.sent();
        let mut re = t.req(Method::Invite, 6, Some(&tag));
        re.body = Bytes::from_static(b"v=0\r\n");
        let mut cancel = re.clone();
        t.feed(re);
        t.events();
        cancel.method = Method::Cancel;
        cancel.headers.set(HeaderName::CSeq, "6 CANCEL");
        cancel.body = Bytes::new();
        t.feed(cancel);
        let mut st = t.statuses();
        st.sort();
        assert_eq!(st, vec![200, 487]);
        assert_eq!(t.events(), vec![UaEvent::OfferCancelled { call }]);
        let now = t.now;
        assert!(t
            .ua
            .answer_offer(now, call, Reply::new(StatusCode::OK))
            .is_err());
    }

    #[test]
    fn remote_bye_ends_the_call_once() {
        let mut t = T::new();
        let (call, tag) = t.establish();
        t.sent();
        let bye = t.req(Method::Bye, 6, Some(&tag));
        t.feed(bye.clone());
        assert_eq!(t.statuses(), vec![200]);
        // A retransmission is absorbed by the transaction: same 200, no new event.
        t.feed(bye);
        assert_eq!(t.statuses(), vec![200]);
        assert_eq!(
            t.events(),
            vec![UaEvent::Terminated {
                call,
                reason: EndReason::RemoteBye
            }]
        );
        let info = t.req(Method::Info, 7, Some(&tag));
        t.feed(info);
        assert_eq!(t.statuses(), vec![481]);
        assert_eq!(t.ua.call_count(), 0);
        let now = t.now;
        assert_eq!(t.ua.hangup(now, call), Err(UaError::NoSuchCall));
    }

    #[test]
    fn refused_info_is_reported_and_481_ends_the_call() {
        let mut t = T::new();
        let (call, _) = t.establish();
        t.sent();
        let now = t.now;
        for (status, ends) in [(415u16, false), (481, true)] {
            t.ua.info(
                now,
                call,
                "application/dtmf-relay",
                Bytes::from_static(b"Signal=1\r\n"),
            )
            .unwrap();
            let Some(Message::Request(info)) = t.sent().pop() else {
                panic!()
            };
            let resp = Response::from_request(&info, StatusCode(status));
            let src = Peer::new(Transport::Udp, SRC.parse().unwrap());
            t.ua.handle_message(now, Message::Response(resp), src)
                .unwrap();
            let ev = t.events();
            if ends {
                assert_eq!(
                    ev,
                    vec![UaEvent::Terminated {
                        call,
                        reason: EndReason::DialogLost
                    }]
                );
                assert_eq!(t.ua.call_count(), 0);
            } else {
                assert_eq!(
                    ev,
                    vec![UaEvent::RequestFailed {
                        call,
                        method: Method::Info,
                        status: StatusCode(415)
                    }]
                );
            }
        }
    }

    #[test]
    fn ipv6_responses_follow_rport_or_the_connection() {
        let mut ua = UserAgent::new(UaConfig::default(), SmallRng::seed_from_u64(9));
        let now = Instant::now();
        for (transport, via, expect) in [
            (
                Transport::Udp,
                "SIP/2.0/UDP [2001:db8::7]:5070;branch=z9hG4bKv6a",
                "[2001:db8::7]:5070",
            ),
            (
                Transport::Udp,
                "SIP/2.0/UDP [2001:db8::7]:5070;branch=z9hG4bKv6b;rport",
                "[2001:db8::7]:41000",
            ),
            (
                Transport::Tcp,
                "SIP/2.0/TCP [2001:db8::7]:5070;branch=z9hG4bKv6c",
                "[2001:db8::7]:41000",
            ),
        ] {
            let mut h = crate::sip::Headers::new();
            h.push(HeaderName::Via, via);
            h.push(HeaderName::From, "<sip:room@[2001:db8::7]>;tag=v6");
            h.push(HeaderName::To, "<sip:1000@[2001:db8::1]>");
            h.push(HeaderName::CallId, format!("v6-{}", via.len()));
            h.push(HeaderName::CSeq, "1 OPTIONS");
            let req = Request {
                method: Method::Options,
                uri: Bytes::from_static(b"sip:1000@[2001:db8::1]"),
                headers: h,
                body: Bytes::new(),
            };
            let source = Peer::new(transport, "[2001:db8::7]:41000".parse().unwrap());
            ua.handle_message(now, Message::Request(req), source)
                .unwrap();
            let t = ua.poll_transmit().unwrap();
            assert_eq!(t.destination.addr, expect.parse().unwrap(), "{via}");
            assert_eq!(t.destination.transport, transport);
            let resp = codec::parse(t.payload).unwrap();
            let v = resp.headers().via().unwrap();
            if via.ends_with("rport") {
                assert_eq!(v.rport(), Some(Some(41000)));
                assert_eq!(v.received(), Some("2001:db8::7"));
            }
        }
    }

    #[test]
    fn answering_twice_is_refused() {
        let mut t = T::new();
        let inv = t.req(Method::Invite, 1, None);
        t.feed(inv);
        let Some(UaEvent::IncomingCall { call, .. }) = t.events().pop() else {
            panic!()
        };
        let now = t.now;
        t.ua.answer(now, call, Reply::new(StatusCode::RINGING))
            .unwrap();
        t.ua.answer(now, call, Reply::new(StatusCode::OK)).unwrap();
        assert!(matches!(
            t.ua.answer(now, call, Reply::new(StatusCode::OK)),
            Err(UaError::InvalidState(_))
        ));
        let sent = t.sent();
        // 180 and 200 carry the same To tag and a Contact (§12.1.1).
        let tags: Vec<_> = sent
            .iter()
            .map(|m| m.headers().to().unwrap().tag().unwrap().to_string())
            .collect();
        assert_eq!(tags[0], tags[1]);
        assert!(sent
            .iter()
            .all(|m| m.headers().get(&HeaderName::Contact).is_some()));
    }
}
