//! Non-INVITE server transaction (RFC 3261 §17.2.2, Figure 8).

use super::timer::{Timer, TimerConfig, TimerTable};
use super::{Event, Outbox, Peer, TransactionError, TransactionId, Transmit};
use crate::sip::message::Response;
use bytes::Bytes;
use std::time::Instant;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum State {
    Trying,
    Proceeding,
    Completed,
    Terminated,
}

#[derive(Debug)]
pub(super) struct ServerNonInvite {
    pub(super) state: State,
    pub(super) timers: TimerTable,
    pub(super) peer: Peer,
    last_response: Option<Bytes>,
}

impl ServerNonInvite {
    pub(super) fn new(peer: Peer) -> Self {
        ServerNonInvite {
            state: State::Trying,
            timers: TimerTable::default(),
            peer,
            last_response: None,
        }
    }

    /// A retransmission of the request: Trying absorbs it; Proceeding and Completed resend the
    /// last response (§17.2.2).
    pub(super) fn on_request_retransmit(&mut self, out: &mut Outbox) {
        if matches!(self.state, State::Proceeding | State::Completed) {
            if let Some(bytes) = &self.last_response {
                out.transmit(Transmit::new(self.peer, bytes.clone()));
            }
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
        if !matches!(self.state, State::Trying | State::Proceeding) {
            return Err(TransactionError::InvalidState);
        }
        out.transmit(Transmit::new(self.peer, bytes.clone()));
        self.last_response = Some(bytes);
        if response.status.is_provisional() {
            self.state = State::Proceeding;
        } else if self.peer.transport.is_reliable() {
            // Timer J is zero on reliable transports: nothing to absorb.
            self.terminate();
        } else {
            self.state = State::Completed;
            self.timers.set(Timer::J, now + cfg.t1x64());
        }
        Ok(())
    }

    pub(super) fn on_timer(&mut self, timer: Timer, id: TransactionId, out: &mut Outbox) {
        if timer == Timer::J && self.state == State::Completed {
            self.terminate();
        }
        let _ = (id, out);
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
