//! INVITE client transaction (RFC 3261 §17.1.1, Figure 5, with the Accepted state of
//! RFC 6026 §8.4 so 2xx retransmissions from forking proxies still reach the TU).

use super::timer::{Timer, TimerConfig, TimerTable};
use super::{wire, Event, Outbox, Peer, TransactionId, Transmit};
use crate::sip::message::{HeaderName, Headers, Message, Method, Request, Response};
use bytes::Bytes;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum State {
    Calling,
    Proceeding,
    Completed,
    Accepted,
    Terminated,
}

#[derive(Debug)]
pub(super) struct ClientInvite {
    pub(super) state: State,
    pub(super) timers: TimerTable,
    pub(super) peer: Peer,
    request: Request,
    request_bytes: Bytes,
    retransmit_interval: Duration,
    ack: Option<Bytes>,
}

impl ClientInvite {
    pub(super) fn start(
        now: Instant,
        cfg: &TimerConfig,
        peer: Peer,
        request: Request,
        request_bytes: Bytes,
        out: &mut Outbox,
    ) -> Self {
        let mut timers = TimerTable::default();
        if !peer.transport.is_reliable() {
            timers.set(Timer::A, now + cfg.t1);
        }
        timers.set(Timer::B, now + cfg.t1x64());
        out.transmit(Transmit::new(peer, request_bytes.clone()));
        ClientInvite {
            state: State::Calling,
            timers,
            peer,
            request,
            request_bytes,
            retransmit_interval: cfg.t1,
            ack: None,
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
        let status = response.status;
        match self.state {
            State::Calling | State::Proceeding => {
                if status.is_provisional() {
                    self.state = State::Proceeding;
                    // §17.1.1.2: no more retransmissions once a provisional arrived; timer B
                    // only guards Calling.
                    self.timers.stop(Timer::A);
                    self.timers.stop(Timer::B);
                } else if status.is_success() {
                    self.timers.stop_all();
                    self.state = State::Accepted;
                    self.timers.set(Timer::M, now + cfg.t1x64());
                } else {
                    self.timers.stop_all();
                    let ack = wire::encode(&Message::Request(self.ack_for(&response)));
                    out.transmit(Transmit::new(self.peer, ack.clone()));
                    self.ack = Some(ack);
                    if self.peer.transport.is_reliable() {
                        self.state = State::Terminated;
                    } else {
                        self.state = State::Completed;
                        self.timers.set(Timer::D, now + cfg.timer_d());
                    }
                }
                out.event(Event::Response { id, response });
            }
            // A retransmitted final response: our ACK was lost (§17.1.1.2).
            State::Completed if status.is_final() => {
                if let Some(ack) = &self.ack {
                    out.transmit(Transmit::new(self.peer, ack.clone()));
                }
            }
            // RFC 6026 §8.4: further 2xx go to the TU (it ACKs each); the rest is dropped.
            State::Accepted if status.is_success() => out.event(Event::Response { id, response }),
            _ => {}
        }
    }

    /// The ACK for a non-2xx final response (§17.1.1.3).
    fn ack_for(&self, response: &Response) -> Request {
        let req = &self.request.headers;
        let mut headers = Headers::with_capacity(8);
        if let Some(via) = wire::top_via_raw(req) {
            headers.push(HeaderName::Via, via);
        }
        for name in [HeaderName::From] {
            if let Some(v) = req.get(&name) {
                headers.push(name, v.clone());
            }
        }
        if let Some(to) = response.headers.get(&HeaderName::To) {
            headers.push(HeaderName::To, to.clone());
        }
        if let Some(v) = req.get(&HeaderName::CallId) {
            headers.push(HeaderName::CallId, v.clone());
        }
        let seq = wire::cseq(req).map(|(n, _)| n).unwrap_or(1);
        headers.push(HeaderName::CSeq, format!("{seq} ACK"));
        for route in req.get_all(&HeaderName::Route) {
            headers.push(HeaderName::Route, route.clone());
        }
        headers.push(HeaderName::MaxForwards, "70");
        Request {
            method: Method::Ack,
            uri: self.request.uri.clone(),
            headers,
            body: Bytes::new(),
        }
    }

    pub(super) fn on_timer(
        &mut self,
        now: Instant,
        _cfg: &TimerConfig,
        timer: Timer,
        id: TransactionId,
        out: &mut Outbox,
    ) {
        match (timer, self.state) {
            (Timer::A, State::Calling) => {
                out.transmit(Transmit::new(self.peer, self.request_bytes.clone()));
                // §17.1.1.2: A doubles without the T2 cap.
                self.retransmit_interval *= 2;
                self.timers.set(Timer::A, now + self.retransmit_interval);
            }
            (Timer::B, State::Calling) => {
                out.event(Event::Timeout { id });
                self.terminate();
            }
            (Timer::D, State::Completed) | (Timer::M, State::Accepted) => self.terminate(),
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
