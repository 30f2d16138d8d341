//! Non-INVITE client transaction (RFC 3261 §17.1.2, Figure 6).

use super::timer::{Timer, TimerConfig, TimerTable};
use super::{Event, Outbox, Peer, TransactionId, Transmit};
use crate::sip::message::Response;
use bytes::Bytes;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum State {
    Trying,
    Proceeding,
    Completed,
    Terminated,
}

#[derive(Debug)]
pub(super) struct ClientNonInvite {
    pub(super) state: State,
    pub(super) timers: TimerTable,
    pub(super) peer: Peer,
    request_bytes: Bytes,
    retransmit_interval: Duration,
}

impl ClientNonInvite {
    pub(super) fn start(
        now: Instant,
        cfg: &TimerConfig,
        peer: Peer,
        request_bytes: Bytes,
        out: &mut Outbox,
    ) -> Self {
        let mut timers = TimerTable::default();
        if !peer.transport.is_reliable() {
            timers.set(Timer::E, now + cfg.t1);
        }
        timers.set(Timer::F, now + cfg.t1x64());
        out.transmit(Transmit::new(peer, request_bytes.clone()));
        ClientNonInvite {
            state: State::Trying,
            timers,
            peer,
            request_bytes,
            retransmit_interval: cfg.t1,
        }
    }

    pub(super) fn on_response(
        &mut self,
        now: Instant,
        cfg: &TimerConfig,
        response: Response,
        id: TransactionId,
        out: &mut Outbox,
    ) {
        if !matches!(self.state, State::Trying | State::Proceeding) {
            // Completed absorbs retransmitted responses (§17.1.2.2).
            return;
        }
        if response.status.is_provisional() {
            self.state = State::Proceeding;
        } else {
            self.timers.stop_all();
            if self.peer.transport.is_reliable() {
                self.state = State::Terminated;
            } else {
                self.state = State::Completed;
                self.timers.set(Timer::K, now + cfg.t4);
            }
        }
        out.event(Event::Response { id, response });
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
            (Timer::E, State::Trying | State::Proceeding) => {
                out.transmit(Transmit::new(self.peer, self.request_bytes.clone()));
                // §17.1.2.2: doubling up to T2 in Trying; T2 flat once a provisional arrived.
                self.retransmit_interval = if self.state == State::Trying {
                    (self.retransmit_interval * 2).min(cfg.t2)
                } else {
                    cfg.t2
                };
                self.timers.set(Timer::E, now + self.retransmit_interval);
            }
            (Timer::F, State::Trying | State::Proceeding) => {
                out.event(Event::Timeout { id });
                self.terminate();
            }
            (Timer::K, State::Completed) => self.terminate(),
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
