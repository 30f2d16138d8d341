//! What a SIP call leg keeps beside the protocol-neutral leg: the UA's handle, the dialog's
//! identifiers, and the SDP offer/answer state of its session.

use std::time::Instant;

use super::view::SignalView;
use crate::sdp::{self, OfferAnswerState};
use crate::sip::transaction::Peer;
use crate::sip::ua::{CallHandle, Reply};

/// What a SIP leg keeps beside the protocol-neutral leg.
#[derive(Debug)]
pub struct SipCall {
    pub call: CallHandle,
    pub call_id: String,
    pub local_tag: Option<String>,
    pub remote_tag: Option<String>,
    pub peer: Peer,
    pub user_agent: Option<String>,
    /// The SDP offer/answer state of the session (RFC 3264 §8 versions).
    pub oa: OfferAnswerState,
    /// Our offer, when the peer's answer is still to come (offerless INVITE or re-INVITE).
    pub our_offer: Option<sdp::SessionDescription>,
    /// Its Allow lists MESSAGE (RFC 3428): broadcasts are shown as text.
    pub accepts_message: bool,
    /// A delayed answer (ringing first).
    pub answer_at: Option<(Instant, Reply)>,
}

impl SipCall {
    pub fn new(call: CallHandle, peer: Peer, oa: OfferAnswerState) -> SipCall {
        SipCall {
            call,
            call_id: String::new(),
            local_tag: None,
            remote_tag: None,
            peer,
            user_agent: None,
            oa,
            our_offer: None,
            accepts_message: false,
            answer_at: None,
        }
    }

    pub fn view(&self) -> SignalView<'_> {
        SignalView {
            call_id: &self.call_id,
            local_tag: self.local_tag.as_deref(),
            remote_tag: self.remote_tag.as_deref(),
            remote: self.peer.addr,
            transport: self.peer.transport.via_token(),
            user_agent: self.user_agent.as_deref(),
        }
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        self.answer_at.as_ref().map(|(t, _)| *t)
    }
}
