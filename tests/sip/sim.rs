//! A simulated-time harness for the SIP transaction and dialog layers: roomgate's
//! [`UserAgent`] and a scripted room system (a bare [`TransactionLayer`] the test drives)
//! joined by an in-process link that can lose, duplicate and reorder datagrams.
//!
//! Time only moves when [`Sim::step`] jumps to the next deadline or delivery, so a 64*T1
//! timeout runs in microseconds and every run with the same seed is the same run.

#![allow(dead_code)] // each test file uses a different part of the harness

use bytes::Bytes;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use roomgate::sip::codec;
use roomgate::sip::message::{HeaderName, Headers, Message, Method, Request, Response, StatusCode};
use roomgate::sip::transaction::{
    Event, Peer, TimerConfig, TransactionId, TransactionLayer, Transmit, Transport,
};
use roomgate::sip::ua::{UaConfig, UaEvent, UserAgent};
use std::time::{Duration, Instant};

pub const GATEWAY: &str = "127.0.0.1:5060";
pub const ROOM: &str = "127.0.0.2:5062";

/// How the link treats datagrams (TCP/TLS are always delivered once, in order).
#[derive(Clone, Copy, Debug)]
pub struct LinkConfig {
    pub loss: f64,
    pub duplicate: f64,
    pub delay: Duration,
    /// Extra uniform delay per datagram; larger than the gap between two sends, it reorders.
    pub jitter: Duration,
}

impl LinkConfig {
    pub fn perfect() -> Self {
        LinkConfig {
            loss: 0.0,
            duplicate: 0.0,
            delay: Duration::from_millis(10),
            jitter: Duration::ZERO,
        }
    }
    pub fn lossy(loss: f64, duplicate: f64, jitter_ms: u64) -> Self {
        LinkConfig {
            loss,
            duplicate,
            delay: Duration::from_millis(10),
            jitter: Duration::from_millis(jitter_ms),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    /// roomgate → room system.
    ToRoom,
    /// room system → roomgate.
    ToGateway,
}

/// One datagram or segment put on the link.
#[derive(Clone, Debug)]
pub struct Sent {
    pub at: Instant,
    pub dir: Dir,
    pub first_line: String,
    pub method_of_cseq: String,
    pub delivered: bool,
    pub bytes: Bytes,
}

type Filter = Box<dyn FnMut(Dir, &str, &Message) -> bool>;

struct InFlight {
    at: Instant,
    seq: u64,
    dir: Dir,
    bytes: Bytes,
    /// Index of the send in `Sim::wire`, to notice reordering.
    sent_index: usize,
}

/// The scripted far end: a transaction layer plus what it saw.
pub struct Room {
    pub layer: TransactionLayer,
    pub events: Vec<(Instant, Event)>,
    pub call_id: String,
    pub from_tag: String,
    pub cseq: u32,
    /// The To header of the 2xx that made the dialog (our tag inside).
    pub dialog_to: Option<Bytes>,
    branch: u64,
    /// ACK every 2xx to an INVITE (§13.2.2.4).
    pub auto_ack: bool,
    /// Answer every BYE from roomgate with 200.
    pub auto_answer_bye: bool,
    /// Answers requests from roomgate: `Some((status, extra headers))`, or `None` to leave
    /// the request to the test.
    pub auto_reply: Option<AutoReply>,
}

pub type AutoReply = Box<dyn FnMut(&Request) -> Option<(u16, Vec<(HeaderName, String)>)>>;

pub struct Sim {
    pub now: Instant,
    pub start: Instant,
    pub ua: UserAgent,
    pub room: Room,
    pub ua_events: Vec<(Instant, UaEvent)>,
    pub wire: Vec<Sent>,
    pub transport: Transport,
    /// What the link did: extra copies delivered, datagrams delivered after a later one.
    pub duplicated: usize,
    pub reordered: usize,
    last_delivered: [Option<usize>; 2],
    link: LinkConfig,
    rng: SmallRng,
    flight: Vec<InFlight>,
    seq: u64,
    last_reliable: [Instant; 2],
    filter: Option<Filter>,
}

pub fn gateway_peer(t: Transport) -> Peer {
    Peer::new(t, GATEWAY.parse().unwrap())
}
pub fn room_peer(t: Transport) -> Peer {
    Peer::new(t, ROOM.parse().unwrap())
}

impl Sim {
    pub fn new(seed: u64, transport: Transport, link: LinkConfig) -> Sim {
        Sim::with_config(seed, transport, link, UaConfig::default())
    }

    pub fn with_config(seed: u64, transport: Transport, link: LinkConfig, cfg: UaConfig) -> Sim {
        // Any instant will do: the harness never reads the clock after this.
        let start = Instant::now();
        let timers: TimerConfig = cfg.timers;
        Sim {
            now: start,
            start,
            ua: UserAgent::new(cfg, SmallRng::seed_from_u64(seed)),
            room: Room {
                layer: TransactionLayer::new(timers),
                events: Vec::new(),
                call_id: format!("call-{seed}@127.0.0.2"),
                from_tag: format!("room{seed}"),
                cseq: 1,
                dialog_to: None,
                branch: seed << 20,
                auto_ack: true,
                auto_answer_bye: true,
                auto_reply: None,
            },
            ua_events: Vec::new(),
            wire: Vec::new(),
            transport,
            duplicated: 0,
            reordered: 0,
            last_delivered: [None; 2],
            link,
            rng: SmallRng::seed_from_u64(seed ^ 0x5eed),
            flight: Vec::new(),
            seq: 0,
            last_reliable: [start; 2],
            filter: None,
        }
    }

    /// Drops every message for which `f(direction, first line, message)` is true.
    pub fn drop_if(&mut self, f: impl FnMut(Dir, &str, &Message) -> bool + 'static) {
        self.filter = Some(Box::new(f));
    }

    pub fn clear_filter(&mut self) {
        self.filter = None;
    }

    pub fn elapsed(&self) -> Duration {
        self.now - self.start
    }

    /// Moves the outputs of both sides onto the link and records events.
    pub fn pump(&mut self) {
        loop {
            let mut moved = false;
            while let Some(t) = self.ua.poll_transmit() {
                self.send(Dir::ToRoom, t);
                moved = true;
            }
            while let Some(ev) = self.ua.poll_event() {
                self.ua_events.push((self.now, ev));
            }
            while let Some(ev) = self.room.layer.poll_event() {
                self.room_event(ev);
                moved = true;
            }
            while let Some(t) = self.room.layer.poll_transmit() {
                self.send(Dir::ToGateway, t);
                moved = true;
            }
            if !moved {
                break;
            }
        }
    }

    fn room_event(&mut self, ev: Event) {
        if let Event::Response { response, .. } = &ev {
            if response.status.is_success() {
                if let Some((_, Method::Invite)) = cseq(&response.headers) {
                    if self.room.dialog_to.is_none() {
                        self.room.dialog_to = response.headers.get(&HeaderName::To).cloned();
                    }
                    if self.room.auto_ack {
                        let t = self.transport;
                        let ack = self.room.ack_for(response, t);
                        self.room
                            .layer
                            .send_stateless(gateway_peer(t), &Message::Request(ack));
                    }
                }
            }
        }
        if let Event::Request { id, request, .. } = &ev {
            let reply = match &mut self.room.auto_reply {
                Some(f) => f(request),
                None => None,
            };
            if let Some((status, extra)) = reply {
                let mut resp = Response::from_request(request, StatusCode(status));
                for (n, v) in extra {
                    resp.headers.push(n, v);
                }
                if (200..300).contains(&status) {
                    resp.headers
                        .push(HeaderName::Contact, format!("<sip:room@{ROOM}>"));
                }
                let _ = self.room.layer.send_response(self.now, *id, resp);
            } else if request.method == Method::Bye && self.room.auto_answer_bye {
                let resp = Response::from_request(request, StatusCode::OK);
                let _ = self.room.layer.send_response(self.now, *id, resp);
            }
        }
        self.room.events.push((self.now, ev));
    }

    fn send(&mut self, dir: Dir, t: Transmit) {
        let msg = codec::parse(t.payload.clone()).expect("both sides print parseable SIP");
        let first_line = String::from_utf8_lossy(&t.payload)
            .lines()
            .next()
            .unwrap_or("")
            .to_string();
        let method_of_cseq = cseq(msg.headers())
            .map(|(_, m)| m.to_string())
            .unwrap_or_default();
        let dropped_by_filter = match &mut self.filter {
            Some(f) => f(dir, &first_line, &msg),
            None => false,
        };
        let reliable = self.transport.is_reliable();
        let lost = dropped_by_filter || (!reliable && self.rng.gen_bool(self.link.loss));
        self.wire.push(Sent {
            at: self.now,
            dir,
            first_line,
            method_of_cseq,
            delivered: !lost,
            bytes: t.payload.clone(),
        });
        if lost {
            return;
        }
        let copies = if !reliable && self.rng.gen_bool(self.link.duplicate) {
            self.duplicated += 1;
            2
        } else {
            1
        };
        let sent_index = self.wire.len() - 1;
        for _ in 0..copies {
            let jitter = if self.link.jitter.is_zero() || reliable {
                Duration::ZERO
            } else {
                self.link.jitter.mul_f64(self.rng.gen::<f64>())
            };
            let mut at = self.now + self.link.delay + jitter;
            if reliable {
                // A stream keeps its order.
                let slot = &mut self.last_reliable[dir as usize];
                at = at.max(*slot);
                *slot = at;
            }
            self.seq += 1;
            self.flight.push(InFlight {
                at,
                seq: self.seq,
                dir,
                bytes: t.payload.clone(),
                sent_index,
            });
        }
    }

    /// Advances to the next thing that happens (a delivery or a deadline), at most to
    /// `limit`. Returns false when nothing is left before `limit`.
    pub fn step(&mut self, limit: Instant) -> bool {
        self.pump();
        let next_flight = self.flight.iter().map(|f| (f.at, f.seq)).min();
        let candidates = [
            next_flight.map(|x| x.0),
            self.ua.poll_timeout(),
            self.room.layer.poll_timeout(),
        ];
        let Some(next) = candidates.iter().flatten().min().copied() else {
            return false;
        };
        if next > limit {
            self.now = self.now.max(limit);
            return false;
        }
        self.now = self.now.max(next);
        if let Some((at, seq)) = next_flight {
            if at <= self.now {
                let i = self.flight.iter().position(|f| f.seq == seq).unwrap();
                let f = self.flight.swap_remove(i);
                let last = &mut self.last_delivered[f.dir as usize];
                if last.is_some_and(|l| f.sent_index < l) {
                    self.reordered += 1;
                }
                *last = Some(last.map_or(f.sent_index, |l| l.max(f.sent_index)));
                let msg = codec::parse(f.bytes).expect("parseable");
                match f.dir {
                    Dir::ToRoom => {
                        let _ = self.room.layer.handle_message(
                            self.now,
                            msg,
                            gateway_peer(self.transport),
                        );
                    }
                    Dir::ToGateway => {
                        let _ = self
                            .ua
                            .handle_message(self.now, msg, room_peer(self.transport));
                    }
                }
                self.pump();
                return true;
            }
        }
        self.ua.handle_timeout(self.now);
        self.room.layer.handle_timeout(self.now);
        self.pump();
        true
    }

    /// Delivers `bytes` to roomgate now, as if the link had produced another copy.
    pub fn inject_to_gateway(&mut self, bytes: Bytes) {
        let msg = codec::parse(bytes).expect("parseable");
        let _ = self
            .ua
            .handle_message(self.now, msg, room_peer(self.transport));
        self.pump();
    }

    /// Runs for `d` of simulated time.
    pub fn run_for(&mut self, d: Duration) {
        let limit = self.now + d;
        while self.step(limit) {}
        self.now = self.now.max(limit);
    }

    /// Runs until `pred` holds (checked after every step) or `max` of simulated time passed.
    pub fn run_until(&mut self, max: Duration, mut pred: impl FnMut(&Sim) -> bool) -> bool {
        let limit = self.now + max;
        loop {
            if pred(self) {
                return true;
            }
            if !self.step(limit) {
                return pred(self);
            }
        }
    }

    // ---- the room system's script -------------------------------------------------------

    /// The room system dials 1000@gateway with `extra` headers and an SDP offer.
    pub fn room_invite(&mut self, extra: &[(HeaderName, &str)]) -> TransactionId {
        let mut req = self.room.request(Method::Invite, self.transport, None);
        req.headers
            .push(HeaderName::Contact, format!("<sip:room@{ROOM}>"));
        req.headers.push(
            HeaderName::Allow,
            "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE",
        );
        for (n, v) in extra {
            req.headers.push(n.clone(), v.to_string());
        }
        req.headers.push(HeaderName::ContentType, "application/sdp");
        req.body = Bytes::from_static(b"v=0\r\no=room 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n");
        self.room_send(req)
    }

    /// The room system sends `req` through a client transaction.
    pub fn room_send(&mut self, req: Request) -> TransactionId {
        let id = self
            .room
            .layer
            .send_request(self.now, req, gateway_peer(self.transport))
            .expect("valid request");
        self.pump();
        id
    }

    /// An in-dialog request from the room system (after the 2xx), next CSeq.
    pub fn room_in_dialog(&mut self, method: Method) -> Request {
        self.room.cseq += 1;
        let to = self.room.dialog_to.clone();
        self.room.request(method, self.transport, to)
    }

    /// CANCEL for the room's INVITE (same branch, §9.1).
    pub fn room_cancel(&mut self, invite_branch_of: &Request) -> Request {
        let mut h = Headers::new();
        let via = invite_branch_of
            .headers
            .get(&HeaderName::Via)
            .unwrap()
            .clone();
        h.push(HeaderName::Via, via);
        for n in [HeaderName::From, HeaderName::To, HeaderName::CallId] {
            h.push(n.clone(), invite_branch_of.headers.get(&n).unwrap().clone());
        }
        let (seq, _) = cseq(&invite_branch_of.headers).unwrap();
        h.push(HeaderName::CSeq, format!("{seq} CANCEL"));
        h.push(HeaderName::MaxForwards, "70");
        Request {
            method: Method::Cancel,
            uri: invite_branch_of.uri.clone(),
            headers: h,
            body: Bytes::new(),
        }
    }

    /// The room system answers a request it received from roomgate.
    pub fn room_respond(
        &mut self,
        id: TransactionId,
        req: &Request,
        status: u16,
        extra: &[(HeaderName, &str)],
    ) {
        let mut resp = Response::from_request(req, StatusCode(status));
        for (n, v) in extra {
            resp.headers.push(n.clone(), v.to_string());
        }
        if (200..300).contains(&status) {
            resp.headers
                .push(HeaderName::Contact, format!("<sip:room@{ROOM}>"));
        }
        self.room
            .layer
            .send_response(self.now, id, resp)
            .expect("room answers its own transaction");
        self.pump();
    }

    /// Requests roomgate sent to the room system so far (method, transaction, request).
    pub fn room_requests(&self) -> Vec<(TransactionId, Request)> {
        self.room
            .events
            .iter()
            .filter_map(|(_, e)| match e {
                Event::Request { id, request, .. } => Some((*id, request.clone())),
                _ => None,
            })
            .collect()
    }

    /// Final responses the room's client transactions received, in order.
    pub fn room_responses(&self) -> Vec<Response> {
        self.room
            .events
            .iter()
            .filter_map(|(_, e)| match e {
                Event::Response { response, .. } => Some(response.clone()),
                _ => None,
            })
            .collect()
    }

    /// Messages put on the link by roomgate whose first line starts with `prefix` (and whose
    /// CSeq method is `method`, when given).
    pub fn sent_by_gateway(&self, prefix: &str, method: Option<&str>) -> Vec<&Sent> {
        self.wire
            .iter()
            .filter(|s| s.dir == Dir::ToRoom && s.first_line.starts_with(prefix))
            .filter(|s| method.is_none_or(|m| s.method_of_cseq == m))
            .collect()
    }

    pub fn sent_by_room(&self, prefix: &str) -> Vec<&Sent> {
        self.wire
            .iter()
            .filter(|s| s.dir == Dir::ToGateway && s.first_line.starts_with(prefix))
            .collect()
    }

    /// The first IncomingCall's handle.
    pub fn incoming_call(&self) -> Option<roomgate::sip::ua::CallHandle> {
        self.ua_events.iter().find_map(|(_, e)| match e {
            UaEvent::IncomingCall { call, .. } => Some(*call),
            _ => None,
        })
    }

    pub fn count_events(&self, pred: impl Fn(&UaEvent) -> bool) -> usize {
        self.ua_events.iter().filter(|(_, e)| pred(e)).count()
    }

    /// Dials, waits for the IncomingCall, answers 200 with SDP and waits for the ACK.
    pub fn establish(&mut self, extra: &[(HeaderName, &str)]) -> roomgate::sip::ua::CallHandle {
        self.room_invite(extra);
        assert!(self.run_until(Duration::from_secs(40), |s| s.incoming_call().is_some()));
        let call = self.incoming_call().unwrap();
        let now = self.now;
        self.ua
            .answer(
                now,
                call,
                roomgate::sip::ua::Reply::sdp(StatusCode::OK, GATEWAY_SDP),
            )
            .unwrap();
        self.pump();
        assert!(
            self.run_until(Duration::from_secs(40), |s| s
                .count_events(|e| matches!(e, UaEvent::Confirmed { .. }))
                == 1),
            "the call was not confirmed"
        );
        call
    }
}

pub const GATEWAY_SDP: &[u8] =
    b"v=0\r\no=roomgate 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 20000 RTP/AVP 0\r\n";

impl Room {
    fn next_branch(&mut self) -> String {
        self.branch += 1;
        format!("z9hG4bKroom{:x}", self.branch)
    }

    /// A request from the room system; `to` is the dialog's To (with roomgate's tag) if any.
    pub fn request(&mut self, method: Method, t: Transport, to: Option<Bytes>) -> Request {
        let mut h = Headers::new();
        h.push(
            HeaderName::Via,
            format!(
                "SIP/2.0/{} {ROOM};branch={};rport",
                t.via_token(),
                self.next_branch()
            ),
        );
        h.push(HeaderName::MaxForwards, "70");
        h.push(
            HeaderName::From,
            format!("\"Room\" <sip:room@{ROOM}>;tag={}", self.from_tag),
        );
        // In the dialog the Request-URI is roomgate's Contact (§12.2.1.1, no route set).
        let uri = if to.is_some() {
            format!("sip:roomgate@{GATEWAY}")
        } else {
            format!("sip:1000@{GATEWAY}")
        };
        h.push(
            HeaderName::To,
            to.unwrap_or_else(|| Bytes::from(format!("<sip:1000@{GATEWAY}>"))),
        );
        h.push(HeaderName::CallId, self.call_id.clone());
        h.push(HeaderName::CSeq, format!("{} {method}", self.cseq));
        Request {
            method,
            uri: Bytes::from(uri),
            headers: h,
            body: Bytes::new(),
        }
    }

    /// The ACK for a 2xx (§13.2.2.4): its own branch, CSeq number of the INVITE.
    pub fn ack_for(&mut self, resp: &Response, t: Transport) -> Request {
        let (seq, _) = cseq(&resp.headers).expect("2xx has CSeq");
        let mut h = Headers::new();
        h.push(
            HeaderName::Via,
            format!(
                "SIP/2.0/{} {ROOM};branch={};rport",
                t.via_token(),
                self.next_branch()
            ),
        );
        h.push(HeaderName::MaxForwards, "70");
        for n in [HeaderName::From, HeaderName::To, HeaderName::CallId] {
            h.push(n.clone(), resp.headers.get(&n).unwrap().clone());
        }
        h.push(HeaderName::CSeq, format!("{seq} ACK"));
        Request {
            method: Method::Ack,
            uri: Bytes::from(format!("sip:roomgate@{GATEWAY}")),
            headers: h,
            body: Bytes::new(),
        }
    }
}

/// CSeq number and method, read with the codec's typed header.
pub fn cseq(h: &Headers) -> Option<(u32, Method)> {
    let c = h.cseq().ok()?;
    Some((c.seq, c.method))
}

/// Milliseconds since the start for each entry.
pub fn offsets_ms(sim: &Sim, sent: &[&Sent]) -> Vec<u128> {
    sent.iter()
        .map(|s| (s.at - sim.start).as_millis())
        .collect()
}
