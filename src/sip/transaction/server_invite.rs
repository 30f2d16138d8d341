//! INVITE server transaction (RFC 3261 §17.2.1, Figure 7, with the Accepted state of
//! RFC 6026 §8.7 so retransmitted INVITEs after a 2xx are absorbed, not mistaken for new calls).

use super::timer::{Timer, TimerConfig, TimerTable};
use super::{wire, Event, Outbox, Peer, TransactionError, TransactionId, Transmit};
use crate::sip::message::{HeaderName, Headers, Message, Request, Response, StatusCode};
use bytes::Bytes;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum State {
    Proceeding,
    Completed,
    Confirmed,
    Accepted,
    Terminated,
}

#[derive(Debug)]
pub(super) struct ServerInvite {
    pub(super) state: State,
    pub(super) timers: TimerTable,
    pub(super) peer: Peer,
    /// Kept to build the 100 Trying and for CANCEL matching by the UA core.
    pub(super) request: Request,
    last_response: Option<Bytes>,
    retransmit_interval: Duration,
}

impl ServerInvite {
    pub(super) fn new(now: Instant, cfg: &TimerConfig, peer: Peer, request: Request) -> Self {
        let mut timers = TimerTable::default();
        timers.set(Timer::Trying, now + cfg.trying_delay);
        ServerInvite {
            state: State::Proceeding,
            timers,
            peer,
            request,
            last_response: None,
            retransmit_interval: cfg.t1,
        }
    }

    /// A retransmitted INVITE (§17.2.1): resend the most recent provisional in Proceeding, the
    /// final response in Completed; absorbed in Confirmed and Accepted.
    pub(super) fn on_invite_retransmit(&mut self, out: &mut Outbox) {
        if matches!(self.state, State::Proceeding | State::Completed) {
            if let Some(bytes) = &self.last_response {
                out.transmit(Transmit::new(self.peer, bytes.clone()));
            }
        }
    }

    /// An ACK matching this transaction. Returns true when it belongs to the TU: in Accepted,
    /// an ACK that matched (only possible with RFC 2543 matching) acknowledges the 2xx.
    pub(super) fn on_ack(&mut self, now: Instant, cfg: &TimerConfig) -> bool {
        match self.state {
            State::Completed => {
                self.timers.stop(Timer::G);
                self.timers.stop(Timer::H);
                if self.peer.transport.is_reliable() {
                    self.terminate();
                } else {
                    self.state = State::Confirmed;
                    self.timers.set(Timer::I, now + cfg.t4);
                }
                false
            }
            State::Accepted => true,
            _ => false,
        }
    }

    pub(super) fn send_response(
        &mut self,
        now: Instant,
        cfg: &TimerConfig,
        response: &Response,
        bytes: Bytes,
        out: &mut Outbox,
    ) -> Result<(), TransactionError> {
        let status = response.status;
        match self.state {
            State::Proceeding => {}
            // The UA core retransmits its 2xx through us while we absorb INVITEs (RFC 6026 §8.7).
            State::Accepted if status.is_success() => {
                out.transmit(Transmit::new(self.peer, bytes));
                return Ok(());
            }
            _ => return Err(TransactionError::InvalidState),
        }
        self.timers.stop(Timer::Trying);
        out.transmit(Transmit::new(self.peer, bytes.clone()));
        if status.is_provisional() {
            self.last_response = Some(bytes);
            return Ok(());
        }
        // The transaction lives 64*T1 more only to absorb retransmissions and match a late
        // CANCEL: keep just what that needs, and let the received datagram go.
        self.request = keep_for_matching(&self.request);
        if status.is_success() {
            // The UA core retransmits the 2xx itself (§13.3.1.4): nothing for us to resend.
            self.last_response = None;
            self.state = State::Accepted;
            self.timers.set(Timer::L, now + cfg.t1x64());
        } else {
            self.last_response = Some(bytes);
            self.state = State::Completed;
            if !self.peer.transport.is_reliable() {
                self.retransmit_interval = cfg.t1;
                self.timers.set(Timer::G, now + cfg.t1);
            }
            self.timers.set(Timer::H, now + cfg.t1x64());
        }
        Ok(())
    }

    pub(super) fn on_timer(
        &mut self,
        now: Instant,
        cfg: &TimerConfig,
        timer: Timer,
        id: TransactionId,
        out: &mut Outbox,
    ) {
        match (timer, self.state) {
            (Timer::Trying, State::Proceeding) if self.last_response.is_none() => {
                let trying = wire::response_to(&self.request, StatusCode::TRYING);
                let bytes = wire::encode(&Message::Response(trying));
                out.transmit(Transmit::new(self.peer, bytes.clone()));
                self.last_response = Some(bytes);
            }
            (Timer::G, State::Completed) => {
                if let Some(bytes) = &self.last_response {
                    out.transmit(Transmit::new(self.peer, bytes.clone()));
                }
                self.retransmit_interval = (self.retransmit_interval * 2).min(cfg.t2);
                self.timers.set(Timer::G, now + self.retransmit_interval);
            }
            (Timer::H, State::Completed) => {
                // The ACK never came (§17.2.1): tell the TU.
                out.event(Event::Timeout { id });
                self.terminate();
            }
            (Timer::I, State::Confirmed) | (Timer::L, State::Accepted) => self.terminate(),
            _ => {}
        }
    }

    pub(super) fn on_transport_error(&mut self, id: TransactionId, out: &mut Outbox) {
        out.event(Event::TransportError { id });
        self.terminate();
    }

    fn terminate(&mut self) {
        self.state = State::Terminated;
        self.timers.stop_all();
    }
}

/// The parts of an INVITE that CANCEL matching reads after the final response (the RFC 2543
/// fallback of §9.2 compares Request-URI, top Via, Call-ID and CSeq), copied out of the
/// received buffer.
fn keep_for_matching(r: &Request) -> Request {
    let mut headers = Headers::with_capacity(3);
    for name in [HeaderName::Via, HeaderName::CallId, HeaderName::CSeq] {
        if let Some(v) = r.headers.get(&name) {
            headers.push(name, Bytes::copy_from_slice(v));
        }
    }
    Request {
        method: r.method.clone(),
        uri: Bytes::copy_from_slice(&r.uri),
        headers,
        body: Bytes::new(),
    }
}
