//! SIP transactions (RFC 3261 §17) as sans-IO state machines, and the [`TransactionLayer`] that
//! owns them.
//!
//! # Drive contract
//!
//! ```text
//! handle_message(now, msg, source) | handle_timeout(now) | handle_transport_error(now, peer)
//! send_request(now, req, dest) → TransactionId | send_response(now, id, resp) | send_stateless
//!         then drain: poll_transmit() → Transmit    (bytes for the shell to send)
//!                     poll_event()    → Event       (for the transaction user, the UA core)
//!                     poll_timeout()  → Instant     (call handle_timeout(now) at or after it)
//! ```
//!
//! Every input may produce transmits and events; drain both, then re-read `poll_timeout`.
//! Nothing here reads a clock: timers live in an enum-indexed table per transaction
//! ([`timer::TimerTable`]) and are checked against it on `handle_timeout`, so an early or stale
//! wake-up is harmless.
//!
//! # What the layer does for its user
//!
//! - Matches requests to server transactions by branch + sent-by + method, falling back to the
//!   RFC 2543 rules for branches without the magic cookie (§17.2.3), and responses to client
//!   transactions by branch + CSeq method (§17.1.3).
//! - Absorbs retransmissions: a server transaction resends its last response; a client
//!   transaction retransmits its request (timers A, E) on unreliable transports only.
//! - Generates the ACK for a non-2xx final response (§17.1.1.3) and absorbs the ACK of one
//!   it sent (§17.2.1). ACKs for 2xx and 2xx retransmissions are the UA core's (§13.3.1.4).
//! - Sends 100 Trying for an INVITE the TU has not answered within 200 ms (§17.2.1).
//! - Stamps `received`/`rport` on the top Via of requests (§18.2.1, RFC 3581 §4) and sends
//!   responses where §18.2.2 and RFC 3581 say: back over the connection for TCP/TLS, to the
//!   source address and port when `rport` was asked for, else to the source IP and sent-by port.
//! - Keeps a transaction in the Accepted states of RFC 6026 after a 2xx, so retransmitted
//!   INVITEs are absorbed and do not look like new calls.

mod client_invite;
mod client_non_invite;
mod server_invite;
mod server_non_invite;
pub mod timer;
pub(crate) mod wire;

use crate::sip::message::{Message, Method, Request, Response, StatusCode};
use bytes::Bytes;
use client_invite::ClientInvite;
use client_non_invite::ClientNonInvite;
use server_invite::ServerInvite;
use server_non_invite::ServerNonInvite;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;
pub use timer::{Timer, TimerConfig};

/// A transport protocol (RFC 3261 §18).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transport {
    Udp,
    Tcp,
    Tls,
}

impl Transport {
    /// Reliable transports skip retransmissions and zero timers D, I, J, K (§17).
    pub fn is_reliable(self) -> bool {
        !matches!(self, Transport::Udp)
    }
    /// The transport token of a Via header (§20.42).
    pub fn via_token(self) -> &'static str {
        match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
            Transport::Tls => "TLS",
        }
    }
}

/// The far end of a message: transport and address. For TCP/TLS the shell maps it back to
/// the connection the request came in on (§18.2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Peer {
    pub transport: Transport,
    pub addr: SocketAddr,
}

impl Peer {
    pub fn new(transport: Transport, addr: SocketAddr) -> Self {
        Peer { transport, addr }
    }
}

/// Bytes to send to a peer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transmit {
    pub destination: Peer,
    pub payload: Bytes,
}

impl Transmit {
    fn new(destination: Peer, payload: Bytes) -> Self {
        Transmit {
            destination,
            payload,
        }
    }
}

/// Identifies one transaction for its lifetime; never reused by a layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TransactionId(u64);

/// What the layer tells its user (the UA core).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A new request created server transaction `id` (never an ACK). Answer it with
    /// [`TransactionLayer::send_response`]. The top Via already carries `received`/`rport`.
    Request {
        id: TransactionId,
        request: Request,
        source: Peer,
    },
    /// An ACK no server transaction absorbed: the ACK for a 2xx (§17.2.3, §13.3.1.4).
    Ack { request: Request, source: Peer },
    /// A response for client transaction `id` (1xx, the final one, and for INVITE every
    /// retransmitted 2xx, which the UA core must ACK: RFC 6026 §8.4).
    Response {
        id: TransactionId,
        response: Response,
    },
    /// A response that matched no client transaction: a late 2xx retransmission the UA core
    /// may still need to ACK (§13.2.2.4). Anything else can be dropped.
    StrayResponse { response: Response, source: Peer },
    /// Timer B or F (no final response), or timer H (no ACK for our non-2xx final response).
    Timeout { id: TransactionId },
    /// The shell reported a transport failure towards this transaction's peer (§17.1.4).
    TransportError { id: TransactionId },
}

/// Errors of the transaction layer. Network input never panics; a malformed request that can
/// be answered gets its 400 queued before the error is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransactionError {
    #[error("no such transaction")]
    NoSuchTransaction,
    #[error("the transaction cannot send this response in its current state")]
    InvalidState,
    #[error("message has no usable top Via")]
    MissingVia,
    #[error("request has no branch with the RFC 3261 magic cookie")]
    MissingBranch,
    #[error("a client transaction with this branch and method already exists")]
    DuplicateBranch,
    #[error("ACK is not sent through a client transaction (§17.1.1.3, §13.2.2.4)")]
    AckIsNotATransaction,
    #[error("malformed message: {0}")]
    Malformed(&'static str),
    /// Too many transactions outside dialogs; a 503 was sent.
    #[error("overloaded: new request refused with 503")]
    Overloaded,
}

/// Where transactions put their output until the user drains it.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
}

impl Outbox {
    fn transmit(&mut self, t: Transmit) {
        self.transmits.push_back(t);
    }
    fn event(&mut self, e: Event) {
        self.events.push_back(e);
    }
}

#[derive(Debug)]
#[allow(clippy::enum_variant_names)] // the RFC's own names
enum Kind {
    ClientInvite(ClientInvite),
    ClientNonInvite(ClientNonInvite),
    ServerInvite(ServerInvite),
    ServerNonInvite(ServerNonInvite),
}

impl Kind {
    fn timers(&mut self) -> &mut timer::TimerTable {
        match self {
            Kind::ClientInvite(t) => &mut t.timers,
            Kind::ClientNonInvite(t) => &mut t.timers,
            Kind::ServerInvite(t) => &mut t.timers,
            Kind::ServerNonInvite(t) => &mut t.timers,
        }
    }
    fn peer(&self) -> Peer {
        match self {
            Kind::ClientInvite(t) => t.peer,
            Kind::ClientNonInvite(t) => t.peer,
            Kind::ServerInvite(t) => t.peer,
            Kind::ServerNonInvite(t) => t.peer,
        }
    }
    fn is_terminated(&self) -> bool {
        match self {
            Kind::ClientInvite(t) => t.state == client_invite::State::Terminated,
            Kind::ClientNonInvite(t) => t.state == client_non_invite::State::Terminated,
            Kind::ServerInvite(t) => t.state == server_invite::State::Terminated,
            Kind::ServerNonInvite(t) => t.state == server_non_invite::State::Terminated,
        }
    }
}

/// How §17.2.3 identifies a server transaction.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum ServerKey {
    /// RFC 3261 branch: branch + sent-by + method (ACK counts as INVITE).
    Branch {
        branch: String,
        sent_by: String,
        method: Method,
    },
    /// RFC 2543 fallback: Request-URI, From tag, Call-ID, CSeq number, top Via, method. The To
    /// tag is left out so the ACK for our non-2xx response (which carries our tag) matches.
    Legacy {
        uri: Bytes,
        from_tag: String,
        call_id: String,
        cseq: u32,
        via: String,
        method: Method,
    },
}

fn server_key(req: &Request, raw_via: &str, via: &wire::Via, method: Method) -> Option<ServerKey> {
    let method = if method == Method::Ack {
        Method::Invite
    } else {
        method
    };
    match &via.branch {
        Some(b) if b.starts_with(wire::MAGIC_COOKIE) => Some(ServerKey::Branch {
            branch: b.clone(),
            sent_by: via.sent_by_key(),
            method,
        }),
        _ => Some(ServerKey::Legacy {
            uri: req.uri.clone(),
            from_tag: wire::tag(&req.headers, crate::sip::HeaderName::From).unwrap_or_default(),
            call_id: wire::call_id(&req.headers)?,
            cseq: wire::cseq(&req.headers)?.0,
            via: raw_via.to_string(),
            method,
        }),
    }
}

/// Where a response to a request from `source` goes (RFC 3261 §18.2.2, RFC 3581 §4).
/// `via` is the request's top Via as received.
pub(crate) fn response_destination(via: &wire::Via, source: Peer) -> Peer {
    if source.transport.is_reliable() {
        // Back over the connection the request arrived on.
        return source;
    }
    if let Some(maddr) = via.maddr.as_deref().and_then(|m| m.parse::<IpAddr>().ok()) {
        return Peer::new(
            source.transport,
            SocketAddr::new(maddr, via.port.unwrap_or(5060)),
        );
    }
    if via.rport.is_some() {
        return source;
    }
    // `received` is the source IP (we stamp it), the port is sent-by's or the default.
    Peer::new(
        source.transport,
        SocketAddr::new(source.addr.ip(), via.port.unwrap_or(5060)),
    )
}

#[derive(Debug)]
struct Entry {
    kind: Kind,
    server_key: Option<ServerKey>,
    client_key: Option<(String, Method)>,
    /// The deadline last pushed onto the layer's heap for this transaction.
    scheduled: Option<Instant>,
    /// A server transaction for a request outside any dialog (counts against the limit).
    out_of_dialog: bool,
}

/// Default for [`TransactionLayer::set_max_out_of_dialog`]: a minute of 1,000 new calls/s
/// with every transaction living its full 64*T1.
pub const DEFAULT_MAX_OUT_OF_DIALOG: usize = 65_536;

/// Owns every transaction, keyed by [`TransactionId`]. See the module docs for the drive
/// contract.
#[derive(Debug)]
pub struct TransactionLayer {
    cfg: TimerConfig,
    next_id: u64,
    txns: HashMap<TransactionId, Entry>,
    server_keys: HashMap<ServerKey, TransactionId>,
    client_keys: HashMap<(String, Method), TransactionId>,
    deadlines: BinaryHeap<Reverse<(Instant, TransactionId)>>,
    out: Outbox,
    out_of_dialog: usize,
    max_out_of_dialog: usize,
}

impl TransactionLayer {
    pub fn new(cfg: TimerConfig) -> Self {
        TransactionLayer {
            cfg,
            next_id: 0,
            txns: HashMap::new(),
            server_keys: HashMap::new(),
            client_keys: HashMap::new(),
            deadlines: BinaryHeap::new(),
            out: Outbox::default(),
            out_of_dialog: 0,
            max_out_of_dialog: DEFAULT_MAX_OUT_OF_DIALOG,
        }
    }

    pub fn timer_config(&self) -> &TimerConfig {
        &self.cfg
    }

    /// Caps live server transactions for requests outside a dialog (new calls, OPTIONS…).
    /// Past the cap such requests get a stateless 503 with Retry-After (RFC 3261 §21.5.4)
    /// while requests inside dialogs — established calls — are still served.
    pub fn set_max_out_of_dialog(&mut self, max: usize) {
        self.max_out_of_dialog = max;
    }

    /// Live transactions.
    pub fn len(&self) -> usize {
        self.txns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.txns.is_empty()
    }

    /// Whether transaction `id` still exists.
    pub fn contains(&self, id: TransactionId) -> bool {
        self.txns.contains_key(&id)
    }

    /// A parsed message received from `source`.
    pub fn handle_message(
        &mut self,
        now: Instant,
        message: Message,
        source: Peer,
    ) -> Result<(), TransactionError> {
        match message {
            Message::Request(r) => self.handle_request(now, r, source),
            Message::Response(r) => self.handle_response(now, r, source),
        }
    }

    /// A request received from `source` (§17.2.3).
    pub fn handle_request(
        &mut self,
        now: Instant,
        mut request: Request,
        source: Peer,
    ) -> Result<(), TransactionError> {
        let raw_via = wire::top_via_raw(&request.headers).ok_or(TransactionError::MissingVia)?;
        let via = wire::parse_via(&raw_via).ok_or(TransactionError::MissingVia)?;
        let is_ack = request.method == Method::Ack;
        // §8.1.1: these are mandatory; without them we cannot match or answer sensibly.
        let problem = match wire::cseq(&request.headers) {
            None => Some("missing or malformed CSeq"),
            Some((_, m)) if m != request.method => Some("CSeq method differs from the request"),
            _ if wire::call_id(&request.headers).is_none() => Some("missing Call-ID"),
            _ if request.headers.get(&crate::sip::HeaderName::From).is_none() => {
                Some("missing From")
            }
            _ if request.headers.get(&crate::sip::HeaderName::To).is_none() => Some("missing To"),
            _ => None,
        };
        if let Some(problem) = problem {
            if !is_ack {
                let mut resp = wire::response_to(&request, StatusCode::BAD_REQUEST);
                resp.reason = Bytes::from(format!("Bad Request ({problem})"));
                // §8.2.6.2 wants a To tag; without an RNG here, derive one from the Via so a
                // retransmission gets the same answer.
                let mut hasher = std::collections::hash_map::DefaultHasher::new();
                std::hash::Hash::hash(&raw_via, &mut hasher);
                let tag = format!("{:016x}", std::hash::Hasher::finish(&hasher));
                wire::set_to_tag(&mut resp.headers, &tag);
                let dest = response_destination(&via, source);
                self.out
                    .transmit(Transmit::new(dest, wire::encode(&Message::Response(resp))));
            }
            return Err(TransactionError::Malformed(problem));
        }
        let key = server_key(&request, &raw_via, &via, request.method.clone())
            .ok_or(TransactionError::Malformed("unmatchable request"))?;
        wire::stamp_received_parsed(&mut request.headers, &raw_via, &via, source.addr);

        if let Some(&id) = self.server_keys.get(&key) {
            let cfg = self.cfg;
            let entry = self
                .txns
                .get_mut(&id)
                .expect("server keys index live transactions");
            let mut to_tu = false;
            match (&mut entry.kind, &request.method) {
                (Kind::ServerInvite(t), Method::Invite) => t.on_invite_retransmit(&mut self.out),
                (Kind::ServerInvite(t), Method::Ack) => to_tu = t.on_ack(now, &cfg),
                (Kind::ServerNonInvite(t), _) => t.on_request_retransmit(&mut self.out),
                _ => {}
            }
            if to_tu {
                self.out.event(Event::Ack { request, source });
            }
            self.after(id);
            return Ok(());
        }
        if is_ack {
            self.out.event(Event::Ack { request, source });
            return Ok(());
        }
        let dest = response_destination(&via, source);
        let out_of_dialog = wire::tag(&request.headers, crate::sip::HeaderName::To).is_none();
        if out_of_dialog && self.out_of_dialog >= self.max_out_of_dialog {
            let mut resp = wire::response_to(&request, StatusCode::SERVICE_UNAVAILABLE);
            wire::set_to_tag(&mut resp.headers, "overload");
            resp.headers
                .push(crate::sip::HeaderName::RetryAfter, Bytes::from_static(b"5"));
            self.out
                .transmit(Transmit::new(dest, wire::encode(&Message::Response(resp))));
            return Err(TransactionError::Overloaded);
        }
        self.out_of_dialog += usize::from(out_of_dialog);
        let id = self.alloc_id();
        let kind = if request.method == Method::Invite {
            Kind::ServerInvite(ServerInvite::new(now, &self.cfg, dest, request.clone()))
        } else {
            Kind::ServerNonInvite(ServerNonInvite::new(dest))
        };
        self.server_keys.insert(key.clone(), id);
        self.txns.insert(
            id,
            Entry {
                kind,
                server_key: Some(key),
                client_key: None,
                scheduled: None,
                out_of_dialog,
            },
        );
        self.after(id);
        self.out.event(Event::Request {
            id,
            request,
            source,
        });
        Ok(())
    }

    /// A response received from `source` (§17.1.3).
    pub fn handle_response(
        &mut self,
        now: Instant,
        response: Response,
        source: Peer,
    ) -> Result<(), TransactionError> {
        let via = wire::top_via(&response.headers).ok_or(TransactionError::MissingVia)?;
        let (_, method) =
            wire::cseq(&response.headers).ok_or(TransactionError::Malformed("missing CSeq"))?;
        let key = (via.branch.unwrap_or_default(), method);
        let Some(&id) = self.client_keys.get(&key) else {
            self.out.event(Event::StrayResponse { response, source });
            return Ok(());
        };
        let cfg = self.cfg;
        let entry = self
            .txns
            .get_mut(&id)
            .expect("client keys index live transactions");
        match &mut entry.kind {
            Kind::ClientInvite(t) => t.on_response(now, &cfg, response, id, &mut self.out),
            Kind::ClientNonInvite(t) => t.on_response(now, &cfg, response, id, &mut self.out),
            _ => {}
        }
        self.after(id);
        Ok(())
    }

    /// Fires due timers.
    pub fn handle_timeout(&mut self, now: Instant) {
        let mut due = Vec::new();
        while let Some(Reverse((at, id))) = self.deadlines.peek().copied() {
            if at > now {
                break;
            }
            self.deadlines.pop();
            due.push(id);
        }
        let cfg = self.cfg;
        for id in due {
            let Some(entry) = self.txns.get_mut(&id) else {
                continue;
            };
            // Its heap entry is gone: let `after` push whatever comes next.
            entry.scheduled = None;
            while let Some(timer) = entry.kind.timers().pop_expired(now) {
                match &mut entry.kind {
                    Kind::ClientInvite(t) => t.on_timer(now, &cfg, timer, id, &mut self.out),
                    Kind::ClientNonInvite(t) => t.on_timer(now, &cfg, timer, id, &mut self.out),
                    Kind::ServerInvite(t) => t.on_timer(now, &cfg, timer, id, &mut self.out),
                    Kind::ServerNonInvite(t) => t.on_timer(timer, id, &mut self.out),
                }
            }
            self.after(id);
        }
    }

    /// The shell could not deliver to `peer` (ICMP unreachable, connection reset): every
    /// transaction sending there fails (§17.1.4, §17.2.4).
    pub fn handle_transport_error(&mut self, _now: Instant, peer: Peer) {
        let ids: Vec<_> = self
            .txns
            .iter()
            .filter(|(_, e)| e.kind.peer() == peer)
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            let entry = self.txns.get_mut(&id).expect("collected just above");
            match &mut entry.kind {
                Kind::ClientInvite(t) => t.on_transport_error(id, &mut self.out),
                Kind::ClientNonInvite(t) => t.on_transport_error(id, &mut self.out),
                Kind::ServerInvite(t) => t.on_transport_error(id, &mut self.out),
                Kind::ServerNonInvite(t) => t.on_transport_error(id, &mut self.out),
            }
            self.after(id);
        }
    }

    /// Starts a client transaction for `request` towards `destination`. The request must
    /// carry its top Via with a fresh magic-cookie branch (§8.1.1.7).
    pub fn send_request(
        &mut self,
        now: Instant,
        request: Request,
        destination: Peer,
    ) -> Result<TransactionId, TransactionError> {
        if request.method == Method::Ack {
            return Err(TransactionError::AckIsNotATransaction);
        }
        let via = wire::top_via(&request.headers).ok_or(TransactionError::MissingVia)?;
        let branch = via
            .branch
            .filter(|b| b.starts_with(wire::MAGIC_COOKIE))
            .ok_or(TransactionError::MissingBranch)?;
        let key = (branch, request.method.clone());
        if self.client_keys.contains_key(&key) {
            return Err(TransactionError::DuplicateBranch);
        }
        let id = self.alloc_id();
        let is_invite = request.method == Method::Invite;
        let bytes = wire::encode(&Message::Request(request.clone()));
        let kind = if is_invite {
            Kind::ClientInvite(ClientInvite::start(
                now,
                &self.cfg,
                destination,
                request,
                bytes,
                &mut self.out,
            ))
        } else {
            Kind::ClientNonInvite(ClientNonInvite::start(
                now,
                &self.cfg,
                destination,
                bytes,
                &mut self.out,
            ))
        };
        self.client_keys.insert(key.clone(), id);
        self.txns.insert(
            id,
            Entry {
                kind,
                server_key: None,
                client_key: Some(key),
                scheduled: None,
                out_of_dialog: false,
            },
        );
        self.after(id);
        Ok(id)
    }

    /// Sends `response` through server transaction `id`. For an INVITE in the Accepted state
    /// (after a 2xx) this is how the UA core retransmits its 2xx.
    pub fn send_response(
        &mut self,
        now: Instant,
        id: TransactionId,
        response: Response,
    ) -> Result<(), TransactionError> {
        let cfg = self.cfg;
        let entry = self
            .txns
            .get_mut(&id)
            .ok_or(TransactionError::NoSuchTransaction)?;
        let result = match &mut entry.kind {
            Kind::ServerInvite(t) => {
                let bytes = wire::encode(&Message::Response(response.clone()));
                t.send_response(now, &cfg, &response, bytes, &mut self.out)
            }
            Kind::ServerNonInvite(t) => {
                let bytes = wire::encode(&Message::Response(response.clone()));
                t.send_response(now, &cfg, &response, bytes, &mut self.out)
            }
            _ => Err(TransactionError::InvalidState),
        };
        self.after(id);
        result
    }

    /// Sends a message outside any transaction: the ACK for a 2xx (§13.2.2.4), a 2xx
    /// retransmission after the INVITE transaction is gone, a stateless response.
    pub fn send_stateless(&mut self, destination: Peer, message: &Message) {
        self.out
            .transmit(Transmit::new(destination, wire::encode(message)));
    }

    /// Drops transaction `id` without a word (RFC 3261 §9.1: an INVITE whose CANCEL brought
    /// no final response within 64*T1 is considered cancelled and destroyed).
    pub fn abandon(&mut self, id: TransactionId) {
        if let Some(entry) = self.txns.get_mut(&id) {
            match &mut entry.kind {
                Kind::ClientInvite(t) => t.state = client_invite::State::Terminated,
                Kind::ClientNonInvite(t) => t.state = client_non_invite::State::Terminated,
                Kind::ServerInvite(t) => t.state = server_invite::State::Terminated,
                Kind::ServerNonInvite(t) => t.state = server_non_invite::State::Terminated,
            }
            entry.kind.timers().stop_all();
            self.after(id);
        }
    }

    /// The INVITE server transaction a CANCEL targets (§9.2: the §17.2.3 rules with the
    /// method taken as INVITE).
    pub fn find_cancelled_invite(&self, cancel: &Request) -> Option<TransactionId> {
        let raw_via = wire::top_via_raw(&cancel.headers)?;
        let via = wire::parse_via(&raw_via)?;
        let key = server_key(cancel, &raw_via, &via, Method::Invite)?;
        if let Some(id) = self.server_keys.get(&key) {
            return Some(*id);
        }
        if let ServerKey::Legacy { .. } = key {
            // Legacy keys hold the Via as received, the CANCEL the TU holds is stamped: compare
            // against the stored (equally stamped) INVITE instead.
            return self
                .txns
                .iter()
                .find_map(|(id, e)| match (&e.kind, &e.server_key) {
                    (Kind::ServerInvite(t), Some(ServerKey::Legacy { .. })) => {
                        let their = wire::top_via_raw(&t.request.headers)?;
                        (their == raw_via
                            && t.request.uri == cancel.uri
                            && wire::call_id(&t.request.headers) == wire::call_id(&cancel.headers)
                            && wire::cseq(&t.request.headers).map(|c| c.0)
                                == wire::cseq(&cancel.headers).map(|c| c.0))
                        .then_some(*id)
                    }
                    _ => None,
                });
        }
        None
    }

    /// The request of INVITE server transaction `id`, while it lives.
    pub fn invite_request(&self, id: TransactionId) -> Option<&Request> {
        match &self.txns.get(&id)?.kind {
            Kind::ServerInvite(t) => Some(&t.request),
            _ => None,
        }
    }

    /// Whether INVITE server transaction `id` may still send a final response (Proceeding).
    pub fn invite_is_proceeding(&self, id: TransactionId) -> bool {
        matches!(&self.txns.get(&id).map(|e| &e.kind),
            Some(Kind::ServerInvite(t)) if t.state == server_invite::State::Proceeding)
    }

    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.out.transmits.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<Event> {
        self.out.events.pop_front()
    }

    /// The next instant `handle_timeout` has work to do, if any.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        while let Some(Reverse((at, id))) = self.deadlines.peek().copied() {
            let Some(entry) = self.txns.get_mut(&id) else {
                self.deadlines.pop();
                continue;
            };
            if entry.kind.timers().next_timeout() == Some(at) {
                return Some(at);
            }
            // Stale: the transaction re-armed. Its current deadline was pushed when it changed;
            // if this entry was the one `scheduled` remembers, forget it and push afresh.
            self.deadlines.pop();
            if entry.scheduled == Some(at) {
                entry.scheduled = None;
                self.after(id);
            }
        }
        None
    }

    fn alloc_id(&mut self) -> TransactionId {
        self.next_id += 1;
        TransactionId(self.next_id)
    }

    /// Bookkeeping after any input to transaction `id`: drop it once terminated, else make
    /// sure its next deadline is on the heap.
    fn after(&mut self, id: TransactionId) {
        let Some(entry) = self.txns.get_mut(&id) else {
            return;
        };
        if entry.kind.is_terminated() {
            let entry = self.txns.remove(&id).expect("present just above");
            self.out_of_dialog -= usize::from(entry.out_of_dialog);
            if let Some(k) = entry.server_key {
                self.server_keys.remove(&k);
            }
            if let Some(k) = entry.client_key {
                self.client_keys.remove(&k);
            }
            return;
        }
        let next = entry.kind.timers().next_timeout();
        if next != entry.scheduled {
            entry.scheduled = next;
            if let Some(at) = next {
                self.deadlines.push(Reverse((at, id)));
            }
        }
    }
}

#[cfg(test)]
mod tests;
