//! What operators' observation costs beside the media it observes, at 500 call legs (50 rooms
//! × 10 G.711 participants, 2 talking per room).
//!
//! One simulated second of media — 50 × (500 RTP packets in, one mixer tick, every output
//! drained) — is the baseline, measured in the same run as one second of observation:
//! - the shard's 1-second statistics: `plane.stats(leg)` for every leg, sent to the engine in
//!   one message over the same unbounded channel as in the runtime and received there;
//! - the engine's bookkeeping: `OpsState::stats` (per leg: 20 s loss window, quality verdict,
//!   events, jitter histogram; the RTP/loss counters; the one `stats` message of the second
//!   when someone watches);
//! - timing all 50 ticks into the tick histogram (two clock reads and an observe each);
//! - 0, 1 and 4 operators watching `GET /api/v1/legs/events`: each one's messages received
//!   and made into WebSocket frames as its task does (`roomgate::api::legs::message`).
//!
//! Prints each beside the media second and the ratio (goal < 5 %). Run:
//! `cargo bench --bench ops_overhead`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use roomgate::call::{LegState, LegView};
use roomgate::media::codec::g711;
use roomgate::media::rtp::write_packet;
use roomgate::media::{
    AudioCodec, AudioParams, LegId, LegParams, MediaCommand, MediaOutput, MediaPlane, RoomKey, TICK,
};
use roomgate::meeting::{ParticipantId, Place};
use roomgate::ops::metrics::OpsMetrics;
use roomgate::runtime::media::ShardEvent;
use roomgate::runtime::ops::OpsState;
use roomgate::store::{Store, StoreWriter};
use std::time::{Duration, Instant};

const ROOMS: u64 = 50;
const PER_ROOM: u64 = 10;
const TALKERS: u64 = 2;
const TICKS_PER_SECOND: u32 = 50;

struct Rig {
    plane: MediaPlane,
    now: Instant,
    packets: Vec<(LegId, Vec<u8>)>,
    seq: u16,
    ts: u32,
}

fn tone(f: f64) -> Vec<u8> {
    (0..160)
        .map(|i| {
            let t = i as f64 / 8000.0;
            g711::ulaw_encode((6000.0 * (2.0 * std::f64::consts::PI * f * t).sin()) as i16)
        })
        .collect()
}

impl Rig {
    fn new() -> Rig {
        let mut plane = MediaPlane::new(1);
        let now = Instant::now();
        let mut packets = Vec::new();
        for r in 0..ROOMS {
            for p in 0..PER_ROOM {
                let id = LegId(r * 1000 + p);
                let params = LegParams {
                    audio: AudioParams {
                        codec: AudioCodec::Pcmu,
                        payload_type: 0,
                        telephone_event_pt: Some(101),
                        telephone_event_clock: None,
                        fmtp: None,
                        local_ssrc: id.0 as u32,
                    },
                    video: None,
                    cname: format!("{}", id.0),
                };
                plane
                    .handle_command(now, MediaCommand::AddLeg { leg: id, params })
                    .expect("add");
                plane
                    .handle_command(
                        now,
                        MediaCommand::Attach {
                            leg: id,
                            room: RoomKey(r),
                        },
                    )
                    .expect("attach");
                let payload = if p < TALKERS {
                    tone(400.0 + 50.0 * p as f64)
                } else {
                    vec![0xff; 160]
                };
                let mut pkt = Vec::new();
                write_packet(&mut pkt, false, 0, 0, 0, 0x1000 + id.0 as u32, &payload);
                packets.push((id, pkt));
            }
        }
        let mut rig = Rig {
            plane,
            now,
            packets,
            seq: 0,
            ts: 0,
        };
        for _ in 0..20 {
            rig.frame();
        }
        rig
    }

    /// One 20 ms frame: every leg's packet in, the tick, every output drained.
    fn frame(&mut self) {
        self.seq = self.seq.wrapping_add(1);
        self.ts = self.ts.wrapping_add(160);
        for (leg, pkt) in self.packets.iter_mut() {
            pkt[2..4].copy_from_slice(&self.seq.to_be_bytes());
            pkt[4..8].copy_from_slice(&self.ts.to_be_bytes());
            self.plane.handle_rtp(self.now, *leg, pkt).expect("leg");
        }
        self.now += TICK;
        self.plane.handle_tick(self.now);
        loop {
            match self.plane.poll_output() {
                MediaOutput::Timeout(_) => break,
                o => {
                    black_box(&o);
                }
            }
        }
    }
}

struct Observer {
    ops: OpsState,
    metrics: OpsMetrics,
    tx: tokio::sync::mpsc::UnboundedSender<ShardEvent>,
    rx: tokio::sync::mpsc::UnboundedReceiver<ShardEvent>,
    /// Operators watching the leg-event stream: their messages are made as the WebSocket
    /// task would.
    watchers: Vec<roomgate::api::legs::LegSubscription>,
    _writer: StoreWriter,
}

impl Observer {
    fn new(rig: &Rig, watchers: usize) -> Observer {
        let metrics = OpsMetrics::default();
        let mut ops = OpsState::new(metrics.clone(), "bench".into());
        let (store, writer) =
            StoreWriter::spawn(Store::open_in_memory().expect("memory db")).expect("writer");
        for (leg, _) in &rig.packets {
            let view = LegView {
                id: leg.0,
                call_id: format!("call-{}@bench", leg.0),
                local_tag: Some("a".into()),
                remote_tag: Some("b".into()),
                remote: "127.0.0.1:5070".parse().expect("literal"),
                transport: "UDP",
                user_agent: Some("bench".into()),
                name: "Room".into(),
                identity: "sip:room@bench".into(),
                state: LegState::InMeeting,
                meeting: Some(format!("m{}", leg.0 / 1000)),
                participant: Some(ParticipantId(leg.0)),
                room: Some(Place::Main),
                audio_codec: Some("PCMU".into()),
                video_codec: None,
                video_note: None,
                muted: false,
                direction: "in",
                moves: Vec::new(),
            };
            ops.leg_updated(&view, &store);
        }
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        // Without a subscriber the engine publishes no `stats` events at all.
        let watchers = (0..watchers).map(|_| ops.subscribe()).collect();
        Observer {
            ops,
            metrics,
            tx,
            rx,
            watchers,
            _writer: writer,
        }
    }

    /// One second of observation of `rig`'s legs.
    fn second(&mut self, rig: &Rig, at: Instant) {
        // The shard: 50 ticks timed, then every leg's statistics sent.
        for _ in 0..TICKS_PER_SECOND {
            let t = Instant::now();
            self.metrics
                .shard
                .tick_seconds
                .observe(black_box(t.elapsed().as_secs_f64()));
        }
        let all: Vec<_> = rig
            .packets
            .iter()
            .filter_map(|(leg, _)| rig.plane.stats(*leg))
            .collect();
        let _ = self.tx.send(ShardEvent::Stats(all));
        // The engine.
        while let Ok(ev) = self.rx.try_recv() {
            if let ShardEvent::Stats(all) = ev {
                self.ops.stats(at, &all);
            }
        }
        // The operators' WebSocket tasks.
        for w in &mut self.watchers {
            while let Ok(m) = w.live.try_recv() {
                black_box(roomgate::api::legs::message(&m));
            }
        }
    }
}

/// Median of `n` runs of `f`, in ns.
fn median(n: usize, mut f: impl FnMut()) -> f64 {
    let mut v: Vec<f64> = (0..n)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_nanos() as f64
        })
        .collect();
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Operators watching `/api/v1/legs/events` in each observation measured.
const WATCHERS: [usize; 3] = [0, 1, 4];

fn summary() {
    let quick = !std::env::args().any(|a| a == "--bench");
    let runs = if quick { 1 } else { 31 };
    let mut rig = Rig::new();
    let mut observers: Vec<Observer> = WATCHERS.iter().map(|&n| Observer::new(&rig, n)).collect();
    let mut media_ns = Vec::new();
    let mut obs_ns: Vec<Vec<f64>> = vec![Vec::new(); WATCHERS.len()];
    // Paired: each media second is followed by its observations, so drift hits them all.
    for _ in 0..runs {
        media_ns.push(median(1, || {
            for _ in 0..TICKS_PER_SECOND {
                rig.frame();
            }
        }));
        let at = rig.now;
        for (o, ns) in observers.iter_mut().zip(obs_ns.iter_mut()) {
            ns.push(median(1, || o.second(&rig, at)));
        }
    }
    let mid = |mut v: Vec<f64>| {
        v.sort_by(|a, b| a.total_cmp(b));
        v[v.len() / 2]
    };
    let media = mid(media_ns);
    let legs = (ROOMS * PER_ROOM) as f64;
    println!();
    println!("ops overhead at {legs} legs ({ROOMS} rooms x {PER_ROOM}, {TALKERS} talking), median of {runs} paired seconds");
    println!(
        "  media plane, 1 s (50 x rx+tick+drain) [baseline]:  {:>9.1} µs",
        media / 1e3
    );
    for (n, ns) in WATCHERS.iter().zip(obs_ns) {
        let t = mid(ns);
        println!(
            "  stats + metrics, 1 s, {n} operator(s) on /legs/events: {:>9.1} µs  {:>5.0} ns/leg  ratio {:.2} %",
            t / 1e3,
            t / legs,
            t / media * 100.0
        );
    }
    println!("  (goal: < 5 % of the media plane's CPU)");
    println!();
}

fn bench(c: &mut Criterion) {
    summary();
    let mut rig = Rig::new();
    let mut obs = Observer::new(&rig, 1);
    let mut g = c.benchmark_group("ops_overhead_500_legs");
    g.sample_size(10).measurement_time(Duration::from_secs(3));
    g.bench_function("media_second", |b| {
        b.iter(|| {
            for _ in 0..TICKS_PER_SECOND {
                rig.frame();
            }
        })
    });
    let at = rig.now;
    g.bench_function("observation_second", |b| b.iter(|| obs.second(&rig, at)));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
