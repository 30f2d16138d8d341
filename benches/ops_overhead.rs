//! What operators' observation costs beside the media it observes, at 500 call legs (50 rooms
//! × 10 G.711 participants, 2 talking per room).
//!
//! One simulated second of media — 50 × (500 RTP packets in, one mixer tick, every output
//! drained) — is the baseline, measured in the same run as one second of observation:
//! - the shard's 1-second statistics: `plane.stats(leg)` for every leg, each sent to the
//!   engine over the same unbounded channel as in the runtime and received there;
//! - the engine's bookkeeping: `OpsState::stats` per leg (20 s loss window, quality verdict,
//!   events, RTP/loss counters and the jitter histogram);
//! - timing all 50 ticks into the tick histogram (two clock reads and an observe each);
//! - one operator watching `GET /api/v1/legs/events`: each event serialized to JSON.
//!
//! Prints both and the ratio (goal < 5 %). Run: `cargo bench --bench ops_overhead`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use roomgate::engine::{LegState, LegView};
use roomgate::media::codec::g711;
use roomgate::media::rtp::write_packet;
use roomgate::media::{
    AudioParams, LegId, LegParams, MediaCommand, MediaEvent, MediaOutput, MediaPlane, RoomKey, TICK,
};
use roomgate::meeting::{ParticipantId, Place};
use roomgate::ops::metrics::OpsMetrics;
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
                        codec: "PCMU".into(),
                        payload_type: 0,
                        clock_rate: 8000,
                        channels: 1,
                        telephone_event_pt: Some(101),
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
    tx: tokio::sync::mpsc::UnboundedSender<MediaEvent>,
    rx: tokio::sync::mpsc::UnboundedReceiver<MediaEvent>,
    /// One operator watching the leg-event stream: its messages are serialized as the
    /// WebSocket task would.
    watcher: Option<roomgate::ops::legs::LegSubscription>,
    _writer: StoreWriter,
}

impl Observer {
    fn new(rig: &Rig, watched: bool) -> Observer {
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
        let watcher = watched.then(|| ops.subscribe());
        Observer {
            ops,
            metrics,
            tx,
            rx,
            watcher,
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
        for (leg, _) in &rig.packets {
            if let Some(s) = rig.plane.stats(*leg) {
                let _ = self.tx.send(MediaEvent::Stats(Box::new(s)));
            }
        }
        // The engine.
        while let Ok(ev) = self.rx.try_recv() {
            if let MediaEvent::Stats(s) = ev {
                self.ops.stats(at, &s);
            }
        }
        // The operator's WebSocket task.
        if let Some(w) = &mut self.watcher {
            while let Ok(e) = w.live.try_recv() {
                black_box(serde_json::to_string(&*e).expect("serializes"));
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

fn summary() {
    let quick = !std::env::args().any(|a| a == "--bench");
    let runs = if quick { 1 } else { 31 };
    let mut rig = Rig::new();
    let mut plain = Observer::new(&rig, false);
    let mut watched = Observer::new(&rig, true);
    let (mut media_ns, mut plain_ns, mut watched_ns) = (Vec::new(), Vec::new(), Vec::new());
    // Paired: each media second is followed by its observations, so drift hits all three.
    for _ in 0..runs {
        media_ns.push(median(1, || {
            for _ in 0..TICKS_PER_SECOND {
                rig.frame();
            }
        }));
        let at = rig.now;
        plain_ns.push(median(1, || plain.second(&rig, at)));
        watched_ns.push(median(1, || watched.second(&rig, at)));
    }
    let mid = |mut v: Vec<f64>| {
        v.sort_by(|a, b| a.total_cmp(b));
        v[v.len() / 2]
    };
    let (media, plain, watched) = (mid(media_ns), mid(plain_ns), mid(watched_ns));
    let legs = (ROOMS * PER_ROOM) as f64;
    println!();
    println!("ops overhead at {legs} legs ({ROOMS} rooms x {PER_ROOM}, {TALKERS} talking), median of {runs} paired seconds");
    println!(
        "  media plane, 1 s (50 x rx+tick+drain):      {:>9.1} µs",
        media / 1e3
    );
    println!(
        "  stats + metrics, 1 s, nobody watching:      {:>9.1} µs  {:>5.0} ns/leg  ratio {:.2} %",
        plain / 1e3,
        plain / legs,
        plain / media * 100.0
    );
    println!(
        "  same + one operator on /legs/events (JSON): {:>9.1} µs  {:>5.0} ns/leg  ratio {:.2} %",
        watched / 1e3,
        watched / legs,
        watched / media * 100.0
    );
    println!("  (goal: < 5 % of the media plane's CPU)");
    println!();
}

fn bench(c: &mut Criterion) {
    summary();
    let mut rig = Rig::new();
    let mut obs = Observer::new(&rig, true);
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
