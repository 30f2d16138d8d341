//! A call and its stage. Each stage owns what only it has (the quinn-proto
//! `connection::State` way): no dialog sits beside a stage that has none, so nothing has to
//! assume one is there.

use super::timer::CallTimers;
use super::{CallHandle, CallState};
use crate::sip::dialog::{Dialog, SessionTimer};
use crate::sip::message::{Method, Request, Response};
use crate::sip::transaction::{Peer, TransactionId};
use bytes::Bytes;
use std::time::Duration;

#[derive(Debug)]
pub(super) struct Call {
    pub(super) handle: CallHandle,
    /// Where the INVITE came from (a call we answer) or went (a call we place).
    pub(super) source: Peer,
    /// The INVITE: the peer's, or ours as last sent (a challenge or a 422 makes a new one).
    pub(super) invite: Request,
    /// Its transaction: a server transaction, or a client one for a call we place.
    pub(super) invite_txn: TransactionId,
    pub(super) local_tag: String,
    pub(super) timers: CallTimers,
    /// §8.2.2.2: the (From tag, Call-ID, CSeq) under which an INVITE we received is in
    /// `Shared::merged`; none for calls we place.
    pub(super) merged_key: Option<(String, String, u32)>,
    /// A Reason header value (RFC 3326) for our BYE, set by
    /// [`UserAgent::hangup_with_reason`](super::UserAgent::hangup_with_reason).
    pub(super) bye_reason: Option<Bytes>,
    /// Terminated was emitted (the call may linger, e.g. while its BYE or CANCEL runs).
    pub(super) ended: bool,
    pub(super) phase: Phase,
}

/// Where a call stands, with what only that stage has.
#[derive(Debug)]
pub(super) enum Phase {
    /// An INVITE we received, not answered with a final response yet (§13.3.1).
    Offered(Offered),
    /// Our INVITE, not answered yet (§13.2.2).
    Dialing(Dialing),
    /// A dialog exists (§12): we sent a 2xx to the INVITE, or got one to ours.
    Dialog(Box<InDialog>, Stage),
}

/// An INVITE we received: what it said that we need when we answer it.
#[derive(Clone, Copy, Debug)]
pub(super) struct Offered {
    /// The session timer our 2xx will carry (RFC 4028 §9).
    pub(super) negotiated: Option<SessionTimer>,
    /// Its Allow lists UPDATE (RFC 3311), so refreshes need no re-INVITE.
    pub(super) peer_allows_update: bool,
}

/// Our INVITE on its way.
#[derive(Debug, Default)]
pub(super) struct Dialing {
    /// A provisional response arrived, so CANCEL may be sent (§9.1).
    pub(super) provisional_seen: bool,
    /// Hung up before any provisional response: CANCEL as soon as one arrives.
    pub(super) cancel_pending: bool,
    /// Realms whose challenge we answered already (a second one means wrong credentials,
    /// unless it says the nonce was stale).
    pub(super) auth_realms: Vec<String>,
}

/// How far a dialog has come.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Stage {
    /// Our 2xx to the INVITE awaits its ACK (§13.3.1.4); a hang-up waits for it too (§15).
    Answered { hangup_pending: bool },
    /// ACKed (or, for a call we placed, answered): the dialog is confirmed.
    Established,
    /// BYE sent; kept until our BYE transaction ends.
    Ending,
}

/// A call with a dialog: the dialog, the session it carries and its offer/answer exchanges.
#[derive(Debug)]
pub(super) struct InDialog {
    pub(super) dialog: Dialog,
    /// We placed the call, so we own its Call-ID (which sets the glare back-off, §14.1).
    pub(super) outgoing: bool,
    /// The negotiated session timer (RFC 4028).
    pub(super) session: Option<SessionTimer>,
    /// Our current session description, offered again by a re-INVITE refresh.
    pub(super) local_sdp: Bytes,
    pub(super) peer_allows_update: bool,
    /// Our 2xx to an INVITE (initial or re-INVITE) not yet ACKed.
    pub(super) unacked: Option<Unacked>,
    /// The peer's re-INVITE or UPDATE waiting for the call layer's answer.
    pub(super) remote_offer: Option<RemoteOffer>,
    /// Our re-INVITE or UPDATE under way (or waiting to be retried after 491).
    pub(super) local_offer: Option<LocalOffer>,
    /// The ACK we sent for the last 2xx to an INVITE of ours, resent on its retransmissions.
    pub(super) last_ack: Option<(u32, Request)>,
    /// The connected-identity UPDATE (RFC 4916): at most one under way.
    pub(super) identity: IdentityUpdate,
}

/// The connected-identity UPDATEs of a dialog. RFC 3311 §5.1 lets one UPDATE be under way at
/// a time: a second one overlapping it (or our own re-INVITE/UPDATE offer) draws 491 from
/// room systems that treat any UPDATE as an offer, and a reordered pair 500 (§12.2.2). So
/// names asked for meanwhile wait here, and only the latest is sent once the road is clear.
#[derive(Debug, Default)]
pub(super) struct IdentityUpdate {
    /// The UPDATE under way and the name it carries.
    pub(super) in_flight: Option<(TransactionId, String)>,
    /// The latest name asked for while one was under way (or during a 491 back-off).
    pub(super) next: Option<String>,
    /// After a 491, waiting for [`super::timer::CallTimer::IdentityRetry`] (§14.1).
    pub(super) backing_off: bool,
}

/// A 2xx of ours being retransmitted until its ACK (§13.3.1.4).
#[derive(Debug)]
pub(super) struct Unacked {
    pub(super) txn: TransactionId,
    pub(super) response: Response,
    pub(super) destination: Peer,
    pub(super) cseq: u32,
    pub(super) interval: Duration,
    /// The 2xx to the initial INVITE: its ACK confirms the dialog.
    pub(super) initial: bool,
}

#[derive(Debug)]
pub(super) struct RemoteOffer {
    pub(super) txn: TransactionId,
    pub(super) request: Request,
    pub(super) session: Option<SessionTimer>,
}

#[derive(Debug)]
pub(super) struct LocalOffer {
    /// None while waiting to be (re)sent: after 491 or 422.
    pub(super) txn: Option<TransactionId>,
    pub(super) method: Method,
    pub(super) content_type: Option<String>,
    pub(super) body: Bytes,
    /// A session refresh we started ourselves: its answer is not the call layer's business.
    pub(super) refresh_only: bool,
    /// Session-Expires to ask for (raised after a 422).
    pub(super) interval: Option<u32>,
}

impl Call {
    pub(super) fn state(&self) -> CallState {
        match &self.phase {
            Phase::Offered(_) | Phase::Dialing(_) => CallState::Offering,
            Phase::Dialog(_, Stage::Answered { .. }) => CallState::Answered,
            Phase::Dialog(_, Stage::Established) => CallState::Established,
            Phase::Dialog(_, Stage::Ending) => CallState::Ending,
        }
    }

    pub(super) fn dialog(&self) -> Option<&Dialog> {
        match &self.phase {
            Phase::Dialog(d, _) => Some(&d.dialog),
            Phase::Offered(_) | Phase::Dialing(_) => None,
        }
    }

    pub(super) fn session(&self) -> Option<SessionTimer> {
        match &self.phase {
            Phase::Dialog(d, _) => d.session,
            Phase::Offered(_) | Phase::Dialing(_) => None,
        }
    }
}
