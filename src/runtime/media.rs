//! A media shard: one OS thread that owns a [`MediaPlane`] and the RTP/RTCP sockets of its legs.
//!
//! One thread, one `epoll` (mio), one clock: every room of the shard mixes on the plane's
//! shared 20 ms tick, and no leg or room has a task or timer of its own. The engine task talks
//! to the shard with [`ShardCommand`]s (queue + waker) and hears back [`ShardEvent`]s; a
//! breakout move is one command that the plane applies at its next tick, so media follows a
//! move within a frame while the SIP dialog is untouched.
//!
//! Each shard measures itself: tick processing time, how late ticks start against their 20 ms
//! grid, late ticks, packets and socket calls. A [`ShardStats`] window is published every
//! [`STATS_WINDOW`] (read it with [`MediaShard::stats`]) and logged as "media shard stats".
//!
//! Receiving uses `recvmmsg(2)` on Linux: one call drains a socket and, when it returns fewer
//! datagrams than asked, also proves the socket empty — half the calls of `recv_from` until
//! `EWOULDBLOCK` for the usual one datagram per 20 ms per leg. Sending stays one `sendto` per
//! datagram: every leg has its own socket (its own port in the SDP), and a tick sends one audio
//! packet per socket, so `sendmmsg` (batching per socket) would carry one message per call.
//!
//! Whose packets, and where media goes: each leg's [`LegSources`] (see [`crate::media::source`])
//! learns the peer's source in a window after each offer/answer and holds on to it (symmetric
//! RTP through NAT, as rtpengine and Asterisk's `strictrtp` do); datagrams from anyone else are
//! dropped before the plane sees them, counted (`roomgate_rtp_foreign_packets_total`, the leg's
//! `foreign_packets`) and logged at most once per leg per ten seconds.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use mio::net::UdpSocket;
use mio::{Events, Interest, Poll, Token, Waker};
use tokio::sync::mpsc;

use crate::media::source::{LegSources, PeerAddrs, Verdict};
use crate::media::{LegId, MediaCommand, MediaEvent, MediaOutput, MediaPlane, PacketKind};

/// What the engine asks of a shard.
#[derive(Debug)]
pub enum ShardCommand {
    Open {
        leg: LegId,
        ip: IpAddr,
        audio_port: u16,
        video_port: Option<u16>,
    },
    Peer {
        leg: LegId,
        audio_rtp: Option<SocketAddr>,
        audio_rtcp: Option<SocketAddr>,
        video_rtp: Option<SocketAddr>,
        video_rtcp: Option<SocketAddr>,
        /// RTP and RTCP share the RTP socket (RFC 5761), per stream: audio, video.
        rtcp_mux: [bool; 2],
    },
    Media(MediaCommand),
    Close {
        leg: LegId,
    },
    /// Operators' observation (ops helper): emit every leg's statistics each `stats_every`
    /// (on top of the plane's own per-RTCP-interval ones, ~5 s, too coarse for a live view)
    /// and time every mixer tick into `metrics`.
    Observe {
        stats_every: Option<Duration>,
        metrics: Option<crate::ops::metrics::ShardMetrics>,
    },
}

/// What a shard tells the engine.
#[derive(Debug)]
pub enum ShardEvent {
    Media(MediaEvent),
    /// Every leg's statistics of one `stats_every` period, in one message (the engine's
    /// observation of them is one batch, and so is what it tells operators).
    Stats(Vec<crate::media::LegStats>),
    OpenFailed {
        leg: LegId,
        error: String,
    },
}

const WAKER: Token = Token(usize::MAX);

/// How often a shard publishes and logs its [`ShardStats`].
pub const STATS_WINDOW: Duration = Duration::from_secs(10);

/// How a shard does its socket I/O, and whom it takes media from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardOptions {
    /// Receive with `recvmmsg(2)` (Linux) rather than `recv_from` until `EWOULDBLOCK`.
    pub batch_recv: bool,
    /// Never follow a peer to a new source after the learning window (`media.strict_source`;
    /// see [`crate::media::source`]).
    pub strict_source: bool,
}

impl Default for ShardOptions {
    fn default() -> Self {
        ShardOptions {
            batch_recv: cfg!(target_os = "linux"),
            strict_source: false,
        }
    }
}

impl ShardOptions {
    /// The defaults, with `ROOMGATE_MEDIA_BATCH=0` turning batched receive off (to measure the
    /// difference on the same binary).
    pub fn from_env() -> Self {
        let mut o = ShardOptions::default();
        if std::env::var("ROOMGATE_MEDIA_BATCH").is_ok_and(|v| v == "0") {
            o.batch_recv = false;
        }
        o
    }
}

/// One window of a shard's self-measurement (the last [`STATS_WINDOW`]), plus totals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShardStats {
    /// Legs open now.
    pub legs: usize,
    /// Ticks run in the window.
    pub ticks: u64,
    /// Ticks that started more than a tick late, since the shard started (the plane's count).
    pub late_ticks_total: u64,
    /// Tick processing (plane mix + encode + sending), microseconds: median, p99, max.
    pub tick_p50_us: u32,
    /// See `tick_p50_us`.
    pub tick_p99_us: u32,
    /// See `tick_p50_us`.
    pub tick_max_us: u32,
    /// How late ticks started against their 20 ms grid (the send-time jitter we add), µs.
    pub tick_lag_p50_us: u32,
    /// See `tick_lag_p50_us`.
    pub tick_lag_p99_us: u32,
    /// See `tick_lag_p50_us`.
    pub tick_lag_max_us: u32,
    /// Datagrams received and the receive calls it took, in the window.
    pub rx_packets: u64,
    /// See `rx_packets`.
    pub rx_calls: u64,
    /// Datagrams sent (one call each) and send errors, in the window.
    pub tx_packets: u64,
    /// See `tx_packets`.
    pub tx_errors: u64,
}

/// Microsecond histogram with 1 µs buckets up to 50 ms (more is counted in the last bucket).
struct Hist {
    buckets: Vec<u32>,
    count: u64,
    max: u32,
}

impl Hist {
    const SPAN: usize = 50_000;
    fn new() -> Hist {
        Hist {
            buckets: vec![0; Self::SPAN + 1],
            count: 0,
            max: 0,
        }
    }
    fn add(&mut self, d: Duration) {
        let us = d.as_micros().min(u32::MAX as u128) as u32;
        self.buckets[(us as usize).min(Self::SPAN)] += 1;
        self.count += 1;
        self.max = self.max.max(us);
    }
    fn quantile(&self, q: f64) -> u32 {
        if self.count == 0 {
            return 0;
        }
        let rank = ((self.count as f64) * q).ceil().max(1.0) as u64;
        let mut seen = 0u64;
        for (us, &n) in self.buckets.iter().enumerate() {
            seen += n as u64;
            if seen >= rank {
                return us as u32;
            }
        }
        self.max
    }
    fn clear(&mut self) {
        self.buckets.iter_mut().for_each(|b| *b = 0);
        self.count = 0;
        self.max = 0;
    }
}

/// The shard's running measurements.
struct Meter {
    tick: Hist,
    lag: Hist,
    rx_packets: u64,
    rx_calls: u64,
    tx_packets: u64,
    tx_errors: u64,
    window_start: Instant,
    published: Arc<Mutex<ShardStats>>,
}

impl Meter {
    fn window(&mut self, legs: usize, late_ticks_total: u64) -> ShardStats {
        let s = ShardStats {
            legs,
            ticks: self.tick.count,
            late_ticks_total,
            tick_p50_us: self.tick.quantile(0.5),
            tick_p99_us: self.tick.quantile(0.99),
            tick_max_us: self.tick.max,
            tick_lag_p50_us: self.lag.quantile(0.5),
            tick_lag_p99_us: self.lag.quantile(0.99),
            tick_lag_max_us: self.lag.max,
            rx_packets: self.rx_packets,
            rx_calls: self.rx_calls,
            tx_packets: self.tx_packets,
            tx_errors: self.tx_errors,
        };
        self.tick.clear();
        self.lag.clear();
        self.rx_packets = 0;
        self.rx_calls = 0;
        self.tx_packets = 0;
        self.tx_errors = 0;
        s
    }
}

fn log_stats(s: &ShardStats) {
    tracing::info!(
        legs = s.legs,
        ticks = s.ticks,
        late_ticks_total = s.late_ticks_total,
        tick_p50_us = s.tick_p50_us,
        tick_p99_us = s.tick_p99_us,
        tick_max_us = s.tick_max_us,
        tick_lag_p50_us = s.tick_lag_p50_us,
        tick_lag_p99_us = s.tick_lag_p99_us,
        tick_lag_max_us = s.tick_lag_max_us,
        rx_packets = s.rx_packets,
        rx_calls = s.rx_calls,
        tx_packets = s.tx_packets,
        tx_errors = s.tx_errors,
        "media shard stats"
    );
}
fn kind_index(k: PacketKind) -> usize {
    match k {
        PacketKind::AudioRtp => 0,
        PacketKind::AudioRtcp => 1,
        PacketKind::VideoRtp => 2,
        PacketKind::VideoRtcp => 3,
    }
}

/// The inverse of [`kind_index`] (socket and token order: audio RTP, audio RTCP, video…).
fn kind_of(i: usize) -> PacketKind {
    match i {
        0 => PacketKind::AudioRtp,
        1 => PacketKind::AudioRtcp,
        2 => PacketKind::VideoRtp,
        _ => PacketKind::VideoRtcp,
    }
}

struct LegSockets {
    slot: usize,
    ip: IpAddr,
    /// Our RTP ports (audio, video): RTCP is on the next one unless muxed.
    ports: [Option<u16>; 2],
    /// RTCP rides on the RTP socket (RFC 5761); the RTCP socket is closed.
    mux: [bool; 2],
    socks: [Option<UdpSocket>; 4],
    /// Whose datagrams each stream takes, and where it goes.
    sources: LegSources,
}

/// The engine's handle on a running shard.
pub struct MediaShard {
    tx: std_mpsc::Sender<ShardCommand>,
    waker: Arc<Waker>,
    thread: Option<JoinHandle<()>>,
    stats: Arc<Mutex<ShardStats>>,
}

impl MediaShard {
    /// Starts the shard thread. Its events go to `events`.
    /// Options come from [`ShardOptions::from_env`].
    pub fn spawn(seed: u64, events: mpsc::UnboundedSender<ShardEvent>) -> io::Result<MediaShard> {
        Self::spawn_with(seed, events, ShardOptions::from_env())
    }

    /// Starts the shard thread with explicit socket options.
    pub fn spawn_with(
        seed: u64,
        events: mpsc::UnboundedSender<ShardEvent>,
        options: ShardOptions,
    ) -> io::Result<MediaShard> {
        let poll = Poll::new()?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
        let (tx, rx) = std_mpsc::channel();
        let stats = Arc::new(Mutex::new(ShardStats::default()));
        let published = stats.clone();
        let thread = std::thread::Builder::new()
            .name("roomgate-media".into())
            .spawn(move || Shard::new(poll, rx, events, seed, options, published).run())?;
        Ok(MediaShard {
            tx,
            waker,
            thread: Some(thread),
            stats,
        })
    }

    /// The last published measurement window (empty until the first [`STATS_WINDOW`] ends).
    pub fn stats(&self) -> ShardStats {
        self.stats
            .lock()
            .expect("stats lock is never poisoned")
            .clone()
    }

    /// Queues a command; call [`MediaShard::wake`] after a batch.
    pub fn send(&self, cmd: ShardCommand) {
        // A closed channel means the shard is gone (shutdown): nothing left to do.
        let _ = self.tx.send(cmd);
    }

    pub fn wake(&self) {
        let _ = self.waker.wake();
    }

    /// Stops the thread (it ends when the command queue closes) and waits for it.
    pub fn stop(mut self) {
        let (tx, _) = std_mpsc::channel();
        drop(std::mem::replace(&mut self.tx, tx));
        self.wake();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct Shard {
    poll: Poll,
    rx: std_mpsc::Receiver<ShardCommand>,
    events: mpsc::UnboundedSender<ShardEvent>,
    plane: MediaPlane,
    legs: HashMap<LegId, LegSockets>,
    /// Token slot → leg (token = slot * 4 + stream kind).
    slots: Vec<Option<LegId>>,
    free_slots: Vec<usize>,
    next_tick: Option<Instant>,
    buf: Vec<u8>,
    options: ShardOptions,
    meter: Meter,
    #[cfg(target_os = "linux")]
    batch: Box<batch::RecvBatch>,
    /// See [`ShardCommand::Observe`].
    stats_every: Option<Duration>,
    next_stats: Option<Instant>,
    metrics: Option<crate::ops::metrics::ShardMetrics>,
    late_reported: u64,
}

impl Shard {
    fn new(
        poll: Poll,
        rx: std_mpsc::Receiver<ShardCommand>,
        events: mpsc::UnboundedSender<ShardEvent>,
        seed: u64,
        options: ShardOptions,
        published: Arc<Mutex<ShardStats>>,
    ) -> Shard {
        Shard {
            poll,
            rx,
            events,
            plane: MediaPlane::new(seed),
            legs: HashMap::new(),
            slots: Vec::new(),
            free_slots: Vec::new(),
            next_tick: None,
            buf: vec![0u8; 2048],
            options,
            meter: Meter {
                tick: Hist::new(),
                lag: Hist::new(),
                rx_packets: 0,
                rx_calls: 0,
                tx_packets: 0,
                tx_errors: 0,
                window_start: Instant::now(),
                published,
            },
            #[cfg(target_os = "linux")]
            batch: Box::new(batch::RecvBatch::new()),
            stats_every: None,
            next_stats: None,
            metrics: None,
            late_reported: 0,
        }
    }

    /// Publishes and logs the window when it is over (and at exit).
    fn publish(&mut self, now: Instant, force: bool) {
        if !force && now.duration_since(self.meter.window_start) < STATS_WINDOW {
            return;
        }
        self.meter.window_start = now;
        let s = self.meter.window(self.legs.len(), self.plane.late_ticks());
        log_stats(&s);
        *self
            .meter
            .published
            .lock()
            .expect("stats lock is never poisoned") = s;
    }

    fn run(mut self) {
        let mut events = Events::with_capacity(1024);
        loop {
            let wake_at = match (self.next_tick, self.next_stats) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let timeout = wake_at.map(|t| t.saturating_duration_since(Instant::now()));
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if e.kind() != io::ErrorKind::Interrupted {
                    tracing::error!(error = %e, "media shard poll failed");
                    return;
                }
            }
            for ev in events.iter() {
                if ev.token() == WAKER {
                    continue;
                }
                self.receive(ev.token());
            }
            if !self.commands() {
                self.publish(Instant::now(), true);
                return;
            }
            let now = Instant::now();
            match self.next_tick {
                Some(due) if due <= now => {
                    self.meter.lag.add(now - due);
                    self.plane.handle_tick(now);
                    self.observe_tick(now);
                    self.drain();
                    self.meter.tick.add(now.elapsed());
                }
                _ => self.drain(),
            }
            if self.next_stats.is_some_and(|t| t <= now) {
                self.emit_stats(now);
            }
            self.publish(now, false);
        }
    }

    /// Applies queued commands; false when the engine is gone.
    fn commands(&mut self) -> bool {
        loop {
            match self.rx.try_recv() {
                Ok(cmd) => self.command(cmd),
                Err(std_mpsc::TryRecvError::Empty) => return true,
                Err(std_mpsc::TryRecvError::Disconnected) => return false,
            }
        }
    }

    fn command(&mut self, cmd: ShardCommand) {
        let now = Instant::now();
        match cmd {
            ShardCommand::Open {
                leg,
                ip,
                audio_port,
                video_port,
            } => {
                if let Err(e) = self.open(now, leg, ip, audio_port, video_port) {
                    self.close(leg);
                    let _ = self.events.send(ShardEvent::OpenFailed {
                        leg,
                        error: e.to_string(),
                    });
                }
            }
            ShardCommand::Peer {
                leg,
                audio_rtp,
                audio_rtcp,
                video_rtp,
                video_rtcp,
                rtcp_mux,
            } => {
                self.set_mux(leg, rtcp_mux);
                if let Some(l) = self.legs.get_mut(&leg) {
                    // A new offer/answer: its addresses, and a new learning window.
                    l.sources.set_peer(
                        now,
                        PeerAddrs {
                            rtp: audio_rtp,
                            rtcp: audio_rtcp,
                            rtcp_mux: rtcp_mux[0],
                        },
                        PeerAddrs {
                            rtp: video_rtp,
                            rtcp: video_rtcp,
                            rtcp_mux: rtcp_mux[1],
                        },
                    );
                }
            }
            ShardCommand::Media(cmd) => {
                if let Err(e) = self.plane.handle_command(now, cmd) {
                    tracing::debug!(error = %e, "media command refused");
                }
            }
            ShardCommand::Close { leg } => self.close(leg),
            ShardCommand::Observe {
                stats_every,
                metrics,
            } => {
                self.stats_every = stats_every;
                self.next_stats = stats_every.map(|d| now + d);
                self.late_reported = self.plane.late_ticks();
                self.metrics = metrics;
            }
        }
    }

    /// Records how long the tick that started at `started` took, and late ticks.
    fn observe_tick(&mut self, started: Instant) {
        let Some(m) = &self.metrics else { return };
        m.tick_seconds.observe(started.elapsed().as_secs_f64());
        let late = self.plane.late_ticks();
        if late > self.late_reported {
            m.late_ticks.inc_by(late - self.late_reported);
            self.late_reported = late;
        }
    }

    /// Every leg's statistics to the engine, then the next deadline.
    fn emit_stats(&mut self, now: Instant) {
        let all: Vec<_> = self
            .legs
            .keys()
            .filter_map(|leg| self.plane.stats(*leg))
            .collect();
        if !all.is_empty() {
            let _ = self.events.send(ShardEvent::Stats(all));
        }
        self.next_stats = self.stats_every.map(|d| now + d);
    }

    fn open(
        &mut self,
        now: Instant,
        leg: LegId,
        ip: IpAddr,
        audio_port: u16,
        video_port: Option<u16>,
    ) -> io::Result<()> {
        let slot = self.free_slots.pop().unwrap_or_else(|| {
            self.slots.push(None);
            self.slots.len() - 1
        });
        self.slots[slot] = Some(leg);
        let mut l = LegSockets {
            slot,
            ip,
            ports: [Some(audio_port), video_port],
            mux: [false; 2],
            socks: [None, None, None, None],
            sources: LegSources::new(now, self.options.strict_source),
        };
        let ports = [
            Some(audio_port),
            Some(audio_port + 1),
            video_port,
            video_port.map(|p| p + 1),
        ];
        let result = (|| {
            for (i, port) in ports.iter().enumerate() {
                let Some(port) = port else { continue };
                let mut s = UdpSocket::bind(SocketAddr::new(ip, *port))?;
                self.poll
                    .registry()
                    .register(&mut s, Token(slot * 4 + i), Interest::READABLE)?;
                l.socks[i] = Some(s);
            }
            Ok(())
        })();
        // Keep what was bound so close() deregisters it on failure too.
        self.legs.insert(leg, l);
        result
    }

    /// Closes the RTCP socket of each stream that multiplexes RTCP on its RTP port (RFC 5761:
    /// one socket per stream, half the descriptors), or binds it again if a later offer/answer
    /// dropped the multiplexing.
    fn set_mux(&mut self, leg: LegId, mux: [bool; 2]) {
        let Some(l) = self.legs.get_mut(&leg) else {
            return;
        };
        for (s, &on) in mux.iter().enumerate() {
            let rtcp = 2 * s + 1;
            let Some(port) = l.ports[s] else { continue };
            if on == l.mux[s] {
                continue;
            }
            l.mux[s] = on;
            if on {
                if let Some(mut sock) = l.socks[rtcp].take() {
                    let _ = self.poll.registry().deregister(&mut sock);
                }
                continue;
            }
            let bound = UdpSocket::bind(SocketAddr::new(l.ip, port + 1)).and_then(|mut sock| {
                self.poll.registry().register(
                    &mut sock,
                    Token(l.slot * 4 + rtcp),
                    Interest::READABLE,
                )?;
                Ok(sock)
            });
            match bound {
                Ok(sock) => l.socks[rtcp] = Some(sock),
                Err(e) => {
                    tracing::warn!(leg = leg.0, error = %e, "cannot bind the RTCP port again")
                }
            }
        }
    }

    fn close(&mut self, leg: LegId) {
        if let Some(mut l) = self.legs.remove(&leg) {
            for s in l.socks.iter_mut().flatten() {
                let _ = self.poll.registry().deregister(s);
            }
            self.slots[l.slot] = None;
            self.free_slots.push(l.slot);
        }
    }

    fn receive(&mut self, token: Token) {
        let slot = token.0 / 4;
        let kind = token.0 % 4;
        let Some(Some(leg)) = self.slots.get(slot).copied() else {
            return;
        };
        let now = Instant::now();
        #[cfg(target_os = "linux")]
        if self.options.batch_recv {
            self.receive_batch(now, leg, kind);
            return;
        }
        loop {
            let Some(l) = self.legs.get_mut(&leg) else {
                return;
            };
            let Some(sock) = l.socks[kind].as_ref() else {
                return;
            };
            self.meter.rx_calls += 1;
            let (n, from) = match sock.recv_from(&mut self.buf) {
                Ok(x) => x,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(_) => return,
            };
            self.meter.rx_packets += 1;
            let kind = l.demux(kind, &self.buf[..n]);
            let pkt = &self.buf[..n];
            admit(
                &mut self.plane,
                self.metrics.as_ref(),
                l,
                leg,
                now,
                kind,
                from,
                pkt,
            );
        }
    }

    /// Drains one socket with `recvmmsg(2)`: a short batch means the socket is empty.
    #[cfg(target_os = "linux")]
    fn receive_batch(&mut self, now: Instant, leg: LegId, kind: usize) {
        use std::os::fd::AsRawFd;
        loop {
            let Some(l) = self.legs.get_mut(&leg) else {
                return;
            };
            let Some(sock) = l.socks[kind].as_ref() else {
                return;
            };
            self.meter.rx_calls += 1;
            let n = match self.batch.recv(sock.as_raw_fd()) {
                Ok(n) => n,
                Err(_) => return, // EWOULDBLOCK (empty) or a socket error: wait for readiness
            };
            self.meter.rx_packets += n as u64;
            for i in 0..n {
                let (pkt, from) = self.batch.get(i);
                let kind = l.demux(kind, pkt);
                // UDP sources are always IPv4 or IPv6; one that is neither cannot be vetted.
                let Some(from) = from else { continue };
                admit(
                    &mut self.plane,
                    self.metrics.as_ref(),
                    l,
                    leg,
                    now,
                    kind,
                    from,
                    pkt,
                );
            }
            if n < batch::BATCH {
                return;
            }
        }
    }

    fn drain(&mut self) {
        loop {
            match self.plane.poll_output() {
                MediaOutput::Transmit(t) => {
                    let i = kind_index(t.kind);
                    let Some(l) = self.legs.get(&t.leg) else {
                        continue;
                    };
                    // RTCP goes out of the RTCP socket, RTP out of the RTP one (RFC 3550 §11),
                    // both out of the RTP one when multiplexed (RFC 5761 §4).
                    let from = if i % 2 == 1 && l.mux[i / 2] { i - 1 } else { i };
                    let to = l.sources.destination(t.kind);
                    let (Some(sock), Some(to)) = (l.socks[from].as_ref(), to) else {
                        continue;
                    };
                    match sock.send_to(&t.bytes, to) {
                        Ok(_) => self.meter.tx_packets += 1,
                        Err(_) => self.meter.tx_errors += 1,
                    }
                }
                // The plane's own statistics (with each RTCP report it sends) are dropped:
                // operators get every leg's each second from `emit_stats`.
                MediaOutput::Event(MediaEvent::Stats(_)) => {}
                MediaOutput::Event(ev) => {
                    let _ = self.events.send(ShardEvent::Media(ev));
                }
                MediaOutput::Timeout(t) => {
                    self.next_tick = t;
                    return;
                }
            }
        }
    }
}

impl LegSockets {
    /// Which stream a datagram received on socket `kind` belongs to: on a multiplexed RTP
    /// socket, RTCP is told from RTP by the second octet (RFC 5761 §4: RTCP packet types
    /// 192–223 fall where RTP's marker bit and payload types 64–95 would, which no dynamic
    /// payload mapping uses).
    fn demux(&self, kind: usize, pkt: &[u8]) -> usize {
        let muxed = kind % 2 == 0 && self.mux[kind / 2];
        if muxed && pkt.len() >= 2 && (192..=223).contains(&pkt[1]) {
            kind + 1
        } else {
            kind
        }
    }
}

/// Vets one datagram of stream `kind` received on `leg`'s ports from `from`: the peer's go to
/// the plane; a foreign source's are dropped, counted (the leg's statistics, Prometheus) and
/// logged at most once per leg per [`crate::media::source::REPORT_EVERY`].
#[allow(clippy::too_many_arguments)]
fn admit(
    plane: &mut MediaPlane,
    metrics: Option<&crate::ops::metrics::ShardMetrics>,
    l: &mut LegSockets,
    leg: LegId,
    now: Instant,
    kind: usize,
    from: SocketAddr,
    pkt: &[u8],
) {
    let stream = kind_of(kind);
    match l.sources.check(now, stream, from, pkt) {
        Verdict::Accept => {}
        Verdict::Learned { previous } => {
            tracing::debug!(leg = leg.0, ?stream, source = %from, ?previous, "media source learned");
        }
        Verdict::Switched { previous } => {
            tracing::info!(
                leg = leg.0,
                ?stream,
                source = %from,
                %previous,
                "media source re-learned (the peer's address changed)"
            );
        }
        Verdict::Foreign { report } => {
            plane.count_foreign(leg);
            if let Some(m) = metrics {
                m.foreign_packets.inc();
            }
            if report {
                tracing::warn!(
                    leg = leg.0,
                    ?stream,
                    source = %from,
                    foreign_packets = l.sources.foreign_packets(),
                    "RTP from a foreign source dropped"
                );
            }
            return;
        }
    }
    deliver(plane, now, leg, kind, pkt);
}

/// Hands one received datagram to the plane (RTCP on odd stream kinds, RFC 3550 §11).
fn deliver(plane: &mut MediaPlane, now: Instant, leg: LegId, kind: usize, pkt: &[u8]) {
    let r = if kind % 2 == 1 {
        plane.handle_rtcp(now, leg, pkt)
    } else {
        plane.handle_rtp(now, leg, pkt)
    };
    if let Err(e) = r {
        tracing::trace!(error = %e, "media packet refused");
    }
}

#[cfg(target_os = "linux")]
mod batch {
    //! `recvmmsg(2)` into fixed buffers.

    use std::io;
    use std::mem::{size_of, zeroed};
    use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
    use std::os::fd::RawFd;

    /// Datagrams per call: a leg gets one per 20 ms, more only after a stall.
    pub const BATCH: usize = 8;
    const SIZE: usize = 2048;

    pub struct RecvBatch {
        bufs: [[u8; SIZE]; BATCH],
        addrs: [libc::sockaddr_storage; BATCH],
        lens: [usize; BATCH],
    }

    impl RecvBatch {
        pub fn new() -> RecvBatch {
            RecvBatch {
                bufs: [[0; SIZE]; BATCH],
                // SAFETY: sockaddr_storage is plain old data; all-zero is a valid value.
                addrs: unsafe { zeroed() },
                lens: [0; BATCH],
            }
        }

        /// Receives up to [`BATCH`] datagrams without blocking; `Err` when none was waiting.
        pub fn recv(&mut self, fd: RawFd) -> io::Result<usize> {
            // SAFETY: iovec and mmsghdr are plain old data; all-zero is valid before we fill
            // in the pointers.
            let mut iov: [libc::iovec; BATCH] = unsafe { zeroed() };
            let mut hdrs: [libc::mmsghdr; BATCH] = unsafe { zeroed() };
            for i in 0..BATCH {
                iov[i] = libc::iovec {
                    iov_base: self.bufs[i].as_mut_ptr().cast(),
                    iov_len: SIZE,
                };
                let h = &mut hdrs[i].msg_hdr;
                h.msg_name = (&mut self.addrs[i] as *mut libc::sockaddr_storage).cast();
                h.msg_namelen = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
                h.msg_iov = &mut iov[i];
                h.msg_iovlen = 1;
            }
            // SAFETY: every header points at a live buffer and address slot of `self` (and at
            // `iov`, which outlives the call); the kernel writes at most the lengths given.
            let n = unsafe {
                libc::recvmmsg(
                    fd,
                    hdrs.as_mut_ptr(),
                    BATCH as libc::c_uint,
                    libc::MSG_DONTWAIT,
                    std::ptr::null_mut(),
                )
            };
            if n < 0 {
                return Err(io::Error::last_os_error());
            }
            let n = n as usize;
            for (len, h) in self.lens.iter_mut().zip(&hdrs).take(n) {
                *len = (h.msg_len as usize).min(SIZE);
            }
            Ok(n)
        }

        /// Datagram `i` of the last batch and where it came from.
        pub fn get(&self, i: usize) -> (&[u8], Option<SocketAddr>) {
            (
                &self.bufs[i][..self.lens[i]],
                to_socket_addr(&self.addrs[i]),
            )
        }
    }

    fn to_socket_addr(ss: &libc::sockaddr_storage) -> Option<SocketAddr> {
        match ss.ss_family as libc::c_int {
            libc::AF_INET => {
                // SAFETY: the kernel wrote a sockaddr_in when the family is AF_INET, and
                // sockaddr_storage is large and aligned enough for it.
                let a =
                    unsafe { &*(ss as *const libc::sockaddr_storage).cast::<libc::sockaddr_in>() };
                Some(SocketAddr::V4(SocketAddrV4::new(
                    Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr)),
                    u16::from_be(a.sin_port),
                )))
            }
            libc::AF_INET6 => {
                // SAFETY: as above, for sockaddr_in6 under AF_INET6.
                let a =
                    unsafe { &*(ss as *const libc::sockaddr_storage).cast::<libc::sockaddr_in6>() };
                Some(SocketAddr::V6(SocketAddrV6::new(
                    Ipv6Addr::from(a.sin6_addr.s6_addr),
                    u16::from_be(a.sin6_port),
                    a.sin6_flowinfo,
                    a.sin6_scope_id,
                )))
            }
            _ => None,
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use std::os::fd::AsRawFd;

        #[test]
        fn a_short_batch_carries_every_datagram_and_its_source() {
            let rx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
            let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
            let mut b = RecvBatch::new();
            assert!(b.recv(rx.as_raw_fd()).is_err(), "nothing waiting yet");
            for i in 0..3u8 {
                tx.send_to(&[i; 5], rx.local_addr().unwrap()).unwrap();
            }
            // Loopback delivery is synchronous with sendto; a short wait keeps this robust.
            let mut got = Vec::new();
            for _ in 0..100 {
                if let Ok(n) = b.recv(rx.as_raw_fd()) {
                    for i in 0..n {
                        let (p, from) = b.get(i);
                        assert_eq!(from, Some(tx.local_addr().unwrap()));
                        got.push(p.to_vec());
                    }
                }
                if got.len() == 3 {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            assert_eq!(got, vec![vec![0u8; 5], vec![1u8; 5], vec![2u8; 5]]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_quantiles_pick_the_right_bucket() {
        let mut h = Hist::new();
        for us in 1..=100u64 {
            h.add(Duration::from_micros(us));
        }
        assert_eq!(h.quantile(0.5), 50);
        assert_eq!(h.quantile(0.99), 99);
        assert_eq!(h.max, 100);
        h.add(Duration::from_secs(1));
        assert_eq!(h.max, 1_000_000);
        assert_eq!(h.quantile(1.0), Hist::SPAN as u32);
        h.clear();
        assert_eq!(h.quantile(0.99), 0);
    }
}
