//! A media shard: one OS thread that owns a [`MediaPlane`] and the RTP/RTCP sockets of its legs.
//!
//! One thread, one `epoll` (mio), one clock: every room of the shard mixes on the plane's
//! shared 20 ms tick, and no leg or room has a task or timer of its own. The engine task talks
//! to the shard with [`ShardCommand`]s (queue + waker) and hears back [`ShardEvent`]s; a
//! breakout move is one command that the plane applies at its next tick, so media follows a
//! move within a frame while the SIP dialog is untouched.
//!
//! Symmetric RTP: until the SDP gives an address (or when the peer is behind NAT) the shard
//! sends to where the leg's packets come from — the address learned from the first packet
//! replaces the SDP's (as rtpengine's "learning" does).

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::mpsc as std_mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use mio::net::UdpSocket;
use mio::{Events, Interest, Poll, Token, Waker};
use tokio::sync::mpsc;

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
    OpenFailed { leg: LegId, error: String },
}

const WAKER: Token = Token(usize::MAX);
fn kind_index(k: PacketKind) -> usize {
    match k {
        PacketKind::AudioRtp => 0,
        PacketKind::AudioRtcp => 1,
        PacketKind::VideoRtp => 2,
        PacketKind::VideoRtcp => 3,
    }
}

struct LegSockets {
    slot: usize,
    socks: [Option<UdpSocket>; 4],
    /// Where each stream goes; learned from received packets when the SDP gave none.
    remote: [Option<SocketAddr>; 4],
    learned: [bool; 4],
}

/// The engine's handle on a running shard.
pub struct MediaShard {
    tx: std_mpsc::Sender<ShardCommand>,
    waker: Arc<Waker>,
    thread: Option<JoinHandle<()>>,
}

impl MediaShard {
    /// Starts the shard thread. Its events go to `events`.
    pub fn spawn(seed: u64, events: mpsc::UnboundedSender<ShardEvent>) -> io::Result<MediaShard> {
        let poll = Poll::new()?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
        let (tx, rx) = std_mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("roomgate-media".into())
            .spawn(move || Shard::new(poll, rx, events, seed).run())?;
        Ok(MediaShard {
            tx,
            waker,
            thread: Some(thread),
        })
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
            stats_every: None,
            next_stats: None,
            metrics: None,
            late_reported: 0,
        }
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
                return;
            }
            let now = Instant::now();
            if self.next_tick.is_some_and(|t| t <= now) {
                self.plane.handle_tick(now);
                self.observe_tick(now);
            }
            if self.next_stats.is_some_and(|t| t <= now) {
                self.emit_stats(now);
            }
            self.drain();
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
                if let Err(e) = self.open(leg, ip, audio_port, video_port) {
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
            } => {
                if let Some(l) = self.legs.get_mut(&leg) {
                    for (i, a) in [audio_rtp, audio_rtcp, video_rtp, video_rtcp]
                        .into_iter()
                        .enumerate()
                    {
                        // A learned address (symmetric RTP) wins over the SDP's.
                        if !l.learned[i] {
                            l.remote[i] = a;
                        }
                        if a.is_none() {
                            // Hold: stop sending even to a learned address.
                            l.remote[i] = None;
                            l.learned[i] = false;
                        }
                    }
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
        for leg in self.legs.keys() {
            if let Some(s) = self.plane.stats(*leg) {
                let _ = self
                    .events
                    .send(ShardEvent::Media(MediaEvent::Stats(Box::new(s))));
            }
        }
        self.next_stats = self.stats_every.map(|d| now + d);
    }

    fn open(
        &mut self,
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
            socks: [None, None, None, None],
            remote: [None; 4],
            learned: [false; 4],
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
        loop {
            let Some(l) = self.legs.get_mut(&leg) else {
                return;
            };
            let Some(sock) = l.socks[kind].as_ref() else {
                return;
            };
            let (n, from) = match sock.recv_from(&mut self.buf) {
                Ok(x) => x,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(_) => return,
            };
            if l.remote[kind] != Some(from) {
                l.remote[kind] = Some(from);
                l.learned[kind] = true;
            }
            let pkt = &self.buf[..n];
            let r = if kind % 2 == 1 {
                self.plane.handle_rtcp(now, leg, pkt)
            } else {
                self.plane.handle_rtp(now, leg, pkt)
            };
            if let Err(e) = r {
                tracing::trace!(error = %e, "media packet refused");
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
                    // RTCP goes out of the RTCP socket, RTP out of the RTP one (RFC 3550 §11).
                    let (Some(sock), Some(to)) = (l.socks[i].as_ref(), l.remote[i]) else {
                        continue;
                    };
                    let _ = sock.send_to(&t.bytes, to);
                }
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
