//! SIP transports: UDP sockets and TCP listeners/connections (RFC 3261 §18).
//!
//! Socket tasks only move bytes: datagrams and framed stream messages go to the engine task
//! over one channel; the engine sends through [`SipSender`], which never blocks it (UDP
//! `try_send_to`; TCP through each connection's bounded write queue).
//!
//! Limits against abuse (all configurable through [`SipLimits`]): a connection cap (extra
//! connections are closed at once), a per-connection idle timeout, a deadline for a message
//! that has started arriving (slowloris), and the codec's maximum message size. A full engine
//! queue drops UDP datagrams (SIP retransmits) rather than letting one flood starve the timers
//! of established calls.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::{mpsc, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::{SipListen, Transport as ListenTransport};
use crate::sip::codec::{Frame, Framer, FramerError, KeepAlive, ParseLimits};
use crate::sip::message::Message;
use crate::sip::transaction::{Peer, Transport};

/// What the transports hand the engine.
#[derive(Debug)]
pub enum SipIn {
    /// A UDP datagram, unparsed (the engine answers unparseable requests itself).
    Datagram { peer: Peer, data: Bytes },
    /// A message framed off a stream.
    Message { peer: Peer, message: Message },
    /// Bytes towards `peer` could not be delivered.
    TransportError { peer: Peer },
    /// Everything sent before this has been handled and its answers queued: the engine says so
    /// on `done` (a stream about to close waits for it, so what it framed is answered).
    Handled {
        done: tokio::sync::oneshot::Sender<()>,
    },
}

#[derive(Clone, Debug)]
pub struct SipLimits {
    pub max_connections: usize,
    pub idle_timeout: Duration,
    /// A message that started arriving must be complete within this.
    pub message_timeout: Duration,
    pub parse: ParseLimits,
}

impl Default for SipLimits {
    fn default() -> Self {
        SipLimits {
            max_connections: 4096,
            idle_timeout: Duration::from_secs(600),
            message_timeout: Duration::from_secs(10),
            parse: ParseLimits::default(),
        }
    }
}

/// Counters the operators' metrics read.
#[derive(Debug, Default)]
pub struct SipCounters {
    pub datagrams_in: AtomicU64,
    pub datagrams_dropped: AtomicU64,
    pub stream_errors: AtomicU64,
    pub connections_refused: AtomicU64,
    pub sends_failed: AtomicU64,
}

type Conns = Arc<Mutex<HashMap<SocketAddr, mpsc::Sender<Bytes>>>>;

/// The engine's side: sends SIP without blocking.
#[derive(Clone)]
pub struct SipSender {
    udp: Vec<Arc<UdpSocket>>,
    conns: Conns,
    inbound: mpsc::Sender<SipIn>,
    limits: SipLimits,
    tracker: TaskTracker,
    stop: CancellationToken,
    pub counters: Arc<SipCounters>,
}

/// The bound SIP sockets, ready to run.
pub struct SipTransports {
    udp: Vec<Arc<UdpSocket>>,
    tcp: Vec<TcpListener>,
}

impl SipTransports {
    /// Binds every listen address now, so a bad one fails start-up with its name.
    pub async fn bind(listen: &[SipListen]) -> anyhow::Result<SipTransports> {
        let mut udp = Vec::new();
        let mut tcp = Vec::new();
        for (i, l) in listen.iter().enumerate() {
            match l.transport {
                ListenTransport::Udp => {
                    let s = UdpSocket::bind(l.addr).await.map_err(|e| {
                        anyhow::anyhow!("sip.listen[{i}]: cannot bind udp:{}: {e}", l.addr)
                    })?;
                    udp.push(Arc::new(s));
                }
                ListenTransport::Tcp => {
                    let s = TcpListener::bind(l.addr).await.map_err(|e| {
                        anyhow::anyhow!("sip.listen[{i}]: cannot bind tcp:{}: {e}", l.addr)
                    })?;
                    tcp.push(s);
                }
            }
        }
        Ok(SipTransports { udp, tcp })
    }

    pub fn local_addrs(&self) -> Vec<(Transport, SocketAddr)> {
        let u = self
            .udp
            .iter()
            .filter_map(|s| s.local_addr().ok())
            .map(|a| (Transport::Udp, a));
        let t = self
            .tcp
            .iter()
            .filter_map(|s| s.local_addr().ok())
            .map(|a| (Transport::Tcp, a));
        u.chain(t).collect()
    }

    /// Starts the receive tasks on `tracker`; they end when `stop` is cancelled.
    pub fn spawn(
        self,
        inbound: mpsc::Sender<SipIn>,
        limits: SipLimits,
        tracker: &TaskTracker,
        stop: CancellationToken,
    ) -> SipSender {
        let counters = Arc::new(SipCounters::default());
        let conns: Conns = Arc::default();
        for sock in &self.udp {
            tracker.spawn(udp_loop(
                sock.clone(),
                inbound.clone(),
                counters.clone(),
                stop.clone(),
            ));
        }
        let sender = SipSender {
            udp: self.udp,
            conns,
            inbound,
            limits,
            tracker: tracker.clone(),
            stop: stop.clone(),
            counters,
        };
        let slots = Arc::new(Semaphore::new(sender.limits.max_connections));
        for listener in self.tcp {
            tracker.spawn(accept_loop(listener, sender.clone(), slots.clone()));
        }
        sender
    }
}

async fn udp_loop(
    sock: Arc<UdpSocket>,
    tx: mpsc::Sender<SipIn>,
    counters: Arc<SipCounters>,
    stop: CancellationToken,
) {
    let mut buf = vec![0u8; 65_536];
    loop {
        let (n, from) = tokio::select! {
            _ = stop.cancelled() => return,
            r = sock.recv_from(&mut buf) => match r {
                Ok(x) => x,
                // ICMP port unreachable and friends surface here on some systems: not fatal.
                Err(e) => {
                    tracing::debug!(error = %e, "UDP receive error");
                    continue;
                }
            },
        };
        counters.datagrams_in.fetch_add(1, Ordering::Relaxed);
        // A lone CRLF or CRLFCRLF is a keep-alive (RFC 5626 §4.4.1 uses STUN on UDP; some
        // phones send CRLF anyway): nothing to parse.
        if buf[..n].iter().all(|b| matches!(b, b'\r' | b'\n' | 0)) {
            continue;
        }
        let msg = SipIn::Datagram {
            peer: Peer::new(Transport::Udp, from),
            data: Bytes::copy_from_slice(&buf[..n]),
        };
        if tx.try_send(msg).is_err() {
            // The engine is saturated: drop, the sender retransmits (RFC 3261 §17.1.1.2).
            counters.datagrams_dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

async fn accept_loop(listener: TcpListener, sender: SipSender, slots: Arc<Semaphore>) {
    loop {
        let (stream, from) = tokio::select! {
            _ = sender.stop.cancelled() => return,
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    tracing::warn!(error = %e, "TCP accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            sender
                .counters
                .connections_refused
                .fetch_add(1, Ordering::Relaxed);
            drop(stream);
            continue;
        };
        let s = sender.clone();
        sender.tracker.spawn(async move {
            s.serve_connection(stream, from).await;
            drop(permit);
        });
    }
}

impl SipSender {
    /// Sends `payload` to `peer`. Never waits: a full socket buffer or connection queue drops
    /// the message (the transaction layer retransmits on UDP; a stalled TCP peer is closed).
    pub fn send(&self, peer: Peer, payload: Bytes) {
        match peer.transport {
            Transport::Udp => {
                let Some(sock) = self
                    .udp
                    .iter()
                    .find(|s| {
                        s.local_addr()
                            .is_ok_and(|a| a.is_ipv4() == peer.addr.is_ipv4())
                    })
                    .or(self.udp.first())
                else {
                    self.failed(peer);
                    return;
                };
                if let Err(e) = sock.try_send_to(&payload, peer.addr) {
                    tracing::debug!(error = %e, to = %peer.addr, "UDP send failed");
                    self.counters.sends_failed.fetch_add(1, Ordering::Relaxed);
                }
            }
            Transport::Tcp | Transport::Tls => {
                let existing = self
                    .conns
                    .lock()
                    .expect("connection map lock is never held across a panic")
                    .get(&peer.addr)
                    .cloned();
                match existing {
                    Some(tx) => {
                        if tx.try_send(payload).is_err() {
                            self.failed(peer);
                        }
                    }
                    // §18.2.2 / §18.1.1: no connection left (the peer closed it); open one.
                    None => {
                        let s = self.clone();
                        self.tracker.spawn(async move {
                            match tokio::time::timeout(
                                Duration::from_secs(5),
                                TcpStream::connect(peer.addr),
                            )
                            .await
                            {
                                Ok(Ok(stream)) => {
                                    let (tx, rx) = s.register(peer.addr);
                                    let _ = tx.try_send(payload);
                                    s.run_connection(stream, peer.addr, tx, rx).await;
                                }
                                _ => s.failed(peer),
                            }
                        });
                    }
                }
            }
        }
    }

    fn failed(&self, peer: Peer) {
        self.counters.sends_failed.fetch_add(1, Ordering::Relaxed);
        let _ = self.inbound.try_send(SipIn::TransportError { peer });
    }

    /// A connection's write queue, registered so the engine can reach the peer through it.
    fn register(&self, addr: SocketAddr) -> (mpsc::Sender<Bytes>, mpsc::Receiver<Bytes>) {
        let (tx, rx) = mpsc::channel::<Bytes>(256);
        self.conns
            .lock()
            .expect("connection map lock is never held across a panic")
            .insert(addr, tx.clone());
        (tx, rx)
    }

    async fn serve_connection(&self, stream: TcpStream, from: SocketAddr) {
        let (tx, rx) = self.register(from);
        self.run_connection(stream, from, tx, rx).await;
    }

    async fn run_connection(
        &self,
        stream: TcpStream,
        peer_addr: SocketAddr,
        tx: mpsc::Sender<Bytes>,
        mut out_rx: mpsc::Receiver<Bytes>,
    ) {
        let _ = stream.set_nodelay(true);
        let (mut rd, mut wr) = stream.into_split();
        let peer = Peer::new(Transport::Tcp, peer_addr);
        let mut framer = Framer::new(self.limits.parse.clone());
        let mut buf = vec![0u8; 16 * 1024];
        let mut partial_since: Option<tokio::time::Instant> = None;
        let idle = self.limits.idle_timeout;
        let msg_deadline = self.limits.message_timeout;
        'conn: loop {
            let deadline = match partial_since {
                Some(t) => t + msg_deadline,
                None => tokio::time::Instant::now() + idle,
            };
            tokio::select! {
                _ = self.stop.cancelled() => break,
                out = out_rx.recv() => match out {
                    Some(bytes) => {
                        if wr.write_all(&bytes).await.is_err() {
                            self.failed(peer);
                            break;
                        }
                    }
                    None => break,
                },
                _ = tokio::time::sleep_until(deadline) => {
                    tracing::debug!(peer = %peer_addr, partial = partial_since.is_some(), "closing slow or idle SIP connection");
                    break;
                }
                r = rd.read(&mut buf) => {
                    let n = match r {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    framer.push(&buf[..n]);
                    loop {
                        match framer.next_frame() {
                            Ok(Some(Frame::Message(message))) => {
                                // Stream messages are never dropped: wait for the engine.
                                if self.inbound.send(SipIn::Message { peer, message }).await.is_err() {
                                    break 'conn;
                                }
                            }
                            Ok(Some(Frame::KeepAlive(KeepAlive::Ping))) => {
                                // RFC 5626 §3.5.1: CRLFCRLF ping, CRLF pong.
                                let _ = tx.try_send(Bytes::from_static(Framer::PONG));
                            }
                            Ok(Some(Frame::KeepAlive(KeepAlive::Pong))) => {}
                            Ok(None) => break,
                            Err(FramerError::Message(e)) => {
                                // A whole message that does not parse: the stream is still
                                // in step, so the engine answers it (400/505…) like a
                                // datagram (RFC 3261 §8.2, RFC 4475 §3.1.2) and we read on.
                                self.counters.stream_errors.fetch_add(1, Ordering::Relaxed);
                                tracing::debug!(peer = %peer_addr, error = %e, "malformed SIP message on stream");
                                if let Some(data) = framer.take_rejected() {
                                    if self.inbound.send(SipIn::Datagram { peer, data }).await.is_err() {
                                        break 'conn;
                                    }
                                }
                            }
                            Err(e) => {
                                // §18.3: a stream whose framing is lost cannot be resynchronised.
                                // The messages framed before it are still answered (RFC 4475
                                // §3.1.2.10 dblreq): the connection closes once the engine has
                                // handled them and queued its answers to the writer.
                                self.counters.stream_errors.fetch_add(1, Ordering::Relaxed);
                                tracing::debug!(peer = %peer_addr, error = %e, "SIP stream error; closing");
                                let (done, handled) = tokio::sync::oneshot::channel();
                                if self.inbound.send(SipIn::Handled { done }).await.is_ok() {
                                    let _ = tokio::time::timeout(self.limits.message_timeout, handled).await;
                                }
                                while let Ok(bytes) = out_rx.try_recv() {
                                    if wr.write_all(&bytes).await.is_err() {
                                        break;
                                    }
                                }
                                break 'conn;
                            }
                        }
                    }
                    partial_since = if framer.buffered() > 0 {
                        partial_since.or(Some(tokio::time::Instant::now()))
                    } else {
                        None
                    };
                }
            }
        }
        let mut conns = self
            .conns
            .lock()
            .expect("connection map lock is never held across a panic");
        if conns.get(&peer_addr).is_some_and(|c| c.same_channel(&tx)) {
            conns.remove(&peer_addr);
        }
    }
}
