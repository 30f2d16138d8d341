//! Mixer capacity: R rooms × P G.711 participants on the one shared 20 ms tick, and the same
//! with Opus participants (all Opus, and Opus and G.711 mixed in each room).
//!
//! Prints, for each scenario, the CPU time per tick and per participant beside a baseline
//! measured in the same run — the arithmetic floor: decoding, summing, N−1 subtracting and
//! encoding the same samples in a plain loop with no RTP, buffering or bookkeeping — and the
//! ratio. For Opus scenarios the floor is the codec work alone in a plain loop: every
//! participant's packet decoded, one encode per talker and one shared encode per room. Also
//! prints the memory held per audio leg. Criterion's own statistics follow.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use roomgate::media::codec::g711;
use roomgate::media::codec::opus::{OpusConfig, OpusDecoder, OpusEncoder, DEFAULT_COMPLEXITY};
use roomgate::media::rtp::write_packet;
use roomgate::media::{
    AudioCodec, AudioParams, LegId, LegParams, MediaCommand, MediaOutput, MediaPlane, RoomKey, TICK,
};
use std::time::{Duration, Instant};

struct Scenario {
    name: &'static str,
    rooms: u64,
    per_room: u64,
    talkers_per_room: u64,
    /// Participant `p` of a room is an Opus leg when `p % opus_every == 0` (0: none).
    opus_every: u64,
}

impl Scenario {
    fn is_opus(&self, p: u64) -> bool {
        self.opus_every != 0 && p % self.opus_every == 0
    }
}

const SCENARIOS: [Scenario; 5] = [
    Scenario {
        name: "50x10_all_talking",
        rooms: 50,
        per_room: 10,
        talkers_per_room: 10,
        opus_every: 0,
    },
    Scenario {
        name: "50x10_2_talkers",
        rooms: 50,
        per_room: 10,
        talkers_per_room: 2,
        opus_every: 0,
    },
    Scenario {
        name: "5x100_3_talkers",
        rooms: 5,
        per_room: 100,
        talkers_per_room: 3,
        opus_every: 0,
    },
    Scenario {
        name: "opus_50x10_2_talkers",
        rooms: 50,
        per_room: 10,
        talkers_per_room: 2,
        opus_every: 1,
    },
    Scenario {
        name: "mixed_50x10_2_talkers",
        rooms: 50,
        per_room: 10,
        talkers_per_room: 2,
        opus_every: 2,
    },
];

struct Rig {
    plane: MediaPlane,
    now: Instant,
    /// Per leg: packet template (seq/ts patched each tick) and RTP units per 20 ms.
    packets: Vec<(LegId, Vec<u8>, u32)>,
    seq: u16,
    ticks: u32,
}

fn tone_payload(f: f64, phase: u64) -> Vec<u8> {
    (0..160)
        .map(|i| {
            let t = (phase * 160 + i) as f64 / 8000.0;
            g711::ulaw_encode((6000.0 * (2.0 * std::f64::consts::PI * f * t).sin()) as i16)
        })
        .collect()
}

/// A steady-state 20 ms Opus packet of the same tone (or silence), from our encoder.
fn opus_payload(f: Option<f64>) -> Vec<u8> {
    let mut enc = OpusEncoder::default();
    let frame: Vec<i16> = (0..320)
        .map(|i| match f {
            Some(f) => {
                let t = i as f64 / 16000.0;
                (6000.0 * (2.0 * std::f64::consts::PI * f * t).sin()) as i16
            }
            None => 0,
        })
        .collect();
    let mut p = Vec::new();
    for _ in 0..10 {
        p.clear();
        enc.encode(&frame, &mut p);
    }
    p
}

impl Rig {
    fn new(s: &Scenario) -> Rig {
        let mut plane = MediaPlane::new(1);
        let now = Instant::now();
        let mut packets = Vec::new();
        for r in 0..s.rooms {
            for p in 0..s.per_room {
                let id = LegId(r * 1000 + p);
                let opus = s.is_opus(p);
                let params = LegParams {
                    audio: AudioParams {
                        codec: if opus {
                            AudioCodec::Opus
                        } else {
                            AudioCodec::Pcmu
                        },
                        payload_type: if opus { 111 } else { 0 },
                        telephone_event_pt: Some(101),
                        telephone_event_clock: None,
                        fmtp: opus.then(|| "useinbandfec=1".into()),
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
                // 400 Hz + 50·p: an integer number of cycles in 20 ms, so one payload repeats.
                let talker = p < s.talkers_per_room;
                let f = 400.0 + 50.0 * p as f64;
                let payload = match (opus, talker) {
                    (true, _) => opus_payload(talker.then_some(f)),
                    (false, true) => tone_payload(f, 0),
                    (false, false) => vec![0xff; 160], // µ-law silence
                };
                let pt = if opus { 111 } else { 0 };
                let mut pkt = Vec::new();
                write_packet(&mut pkt, false, pt, 0, 0, 0x1000 + id.0 as u32, &payload);
                packets.push((id, pkt, if opus { 960 } else { 160 }));
            }
        }
        let mut rig = Rig {
            plane,
            now,
            packets,
            seq: 0,
            ticks: 0,
        };
        // Warm up past the playout delay so every buffer is in steady state.
        for _ in 0..20 {
            rig.receive();
            rig.tick();
        }
        rig
    }

    fn receive(&mut self) {
        self.seq = self.seq.wrapping_add(1);
        self.ticks = self.ticks.wrapping_add(1);
        for (leg, pkt, units) in self.packets.iter_mut() {
            let ts = self.ticks.wrapping_mul(*units);
            pkt[2..4].copy_from_slice(&self.seq.to_be_bytes());
            pkt[4..8].copy_from_slice(&ts.to_be_bytes());
            self.plane.handle_rtp(self.now, *leg, pkt).expect("leg");
        }
    }

    fn tick(&mut self) -> usize {
        self.now += TICK;
        self.plane.handle_tick(self.now);
        let mut n = 0;
        loop {
            match self.plane.poll_output() {
                MediaOutput::Timeout(_) => break,
                o => {
                    black_box(&o);
                    n += 1;
                }
            }
        }
        n
    }
}

/// The arithmetic floor for one tick: per room, decode every participant's 160 samples and
/// sum them; per participant, subtract its own, clip and encode.
struct Floor {
    rooms: Vec<Vec<Vec<u8>>>,
    pcm: Vec<Vec<i16>>,
    acc: Vec<i32>,
    out: Vec<u8>,
}

impl Floor {
    fn new(s: &Scenario) -> Floor {
        let rooms = (0..s.rooms)
            .map(|_| {
                (0..s.per_room)
                    .map(|p| tone_payload(400.0 + 50.0 * p as f64, 0))
                    .collect()
            })
            .collect();
        Floor {
            rooms,
            pcm: vec![vec![0; 160]; s.per_room as usize],
            acc: vec![0; 160],
            out: vec![0; 160],
        }
    }

    fn tick(&mut self) -> u64 {
        let mut check = 0u64;
        for room in &self.rooms {
            self.acc.fill(0);
            for (payload, pcm) in room.iter().zip(self.pcm.iter_mut()) {
                for ((d, &c), a) in pcm.iter_mut().zip(payload).zip(self.acc.iter_mut()) {
                    *d = g711::ulaw_decode(c);
                    *a += *d as i32;
                }
            }
            for pcm in &self.pcm[..room.len()] {
                for ((o, &a), &own) in self.out.iter_mut().zip(&self.acc).zip(pcm) {
                    *o = g711::ulaw_encode((a - own as i32).clamp(-32768, 32767) as i16);
                }
                check = check.wrapping_add(self.out[0] as u64);
            }
        }
        black_box(check)
    }
}

/// The codec floor of a scenario with Opus legs: per room, every Opus participant's packet
/// decoded (G.711 ones as in [`Floor`]), summed at 16 kHz, and one Opus encode per Opus
/// talker plus one shared Opus encode for the Opus listeners; G.711 encodes per G.711 leg.
/// No resampling, RTP or buffering.
struct OpusFloor {
    /// Per room, per participant: Opus packet or G.711 payload.
    rooms: Vec<Vec<(bool, bool, Vec<u8>)>>,
    decoders: Vec<Vec<OpusDecoder>>,
    encoders: Vec<Vec<OpusEncoder>>,
    shared: Vec<OpusEncoder>,
    pcm: Vec<i16>,
    acc: Vec<i32>,
    out: Vec<u8>,
}

impl OpusFloor {
    fn new(s: &Scenario) -> OpusFloor {
        let rooms: Vec<Vec<(bool, bool, Vec<u8>)>> = (0..s.rooms)
            .map(|_| {
                (0..s.per_room)
                    .map(|p| {
                        let talker = p < s.talkers_per_room;
                        let f = 400.0 + 50.0 * p as f64;
                        let opus = s.is_opus(p);
                        let payload = match (opus, talker) {
                            (true, _) => opus_payload(talker.then_some(f)),
                            (false, true) => tone_payload(f, 0),
                            (false, false) => vec![0xff; 160],
                        };
                        (opus, talker, payload)
                    })
                    .collect()
            })
            .collect();
        let decoders = rooms
            .iter()
            .map(|r| r.iter().map(|_| OpusDecoder::new()).collect())
            .collect();
        let encoders = rooms
            .iter()
            .map(|r| r.iter().map(|_| OpusEncoder::default()).collect())
            .collect();
        OpusFloor {
            shared: rooms.iter().map(|_| OpusEncoder::default()).collect(),
            rooms,
            decoders,
            encoders,
            pcm: vec![0; 320],
            acc: vec![0; 320],
            out: Vec::with_capacity(1500),
        }
    }

    fn tick(&mut self) -> u64 {
        let mut check = 0u64;
        for (r, room) in self.rooms.iter().enumerate() {
            self.acc.fill(0);
            for (p, (opus, _, payload)) in room.iter().enumerate() {
                if *opus {
                    self.decoders[r][p].decode_slice(payload, &mut self.pcm);
                } else {
                    for (d, &c) in self.pcm.iter_mut().zip(payload) {
                        *d = g711::ulaw_decode(c);
                    }
                }
                for (a, &x) in self.acc.iter_mut().zip(&self.pcm) {
                    *a += x as i32;
                }
            }
            let mix: Vec<i16> = self
                .acc
                .iter()
                .map(|&a| a.clamp(-32768, 32767) as i16)
                .collect();
            let mut any_opus_listener = false;
            for (p, (opus, talker, _)) in room.iter().enumerate() {
                self.out.clear();
                match (opus, talker) {
                    (true, true) => self.encoders[r][p].encode(&mix, &mut self.out),
                    (true, false) => any_opus_listener = true,
                    (false, _) => self
                        .out
                        .extend(mix[..160].iter().map(|&v| g711::ulaw_encode(v))),
                }
                check = check.wrapping_add(self.out.first().copied().unwrap_or(0) as u64);
            }
            if any_opus_listener {
                self.out.clear();
                self.shared[r].encode(&mix, &mut self.out);
                check = check.wrapping_add(self.out[0] as u64);
            }
        }
        black_box(check)
    }
}

/// Median of `batches` measurements of `ticks` calls, in ns per call.
fn measure(mut f: impl FnMut(), ticks: u32, batches: usize) -> f64 {
    let mut v: Vec<f64> = (0..batches)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..ticks {
                f();
            }
            t.elapsed().as_nanos() as f64 / ticks as f64
        })
        .collect();
    v.sort_by(|a, b| a.partial_cmp(b).expect("finite"));
    v[v.len() / 2]
}

fn summary() {
    // Under `cargo test --all-targets` (no --bench flag) run a smoke pass only.
    let quick = !std::env::args().any(|a| a == "--bench");
    let (batches, ticks) = if quick { (1, 2) } else { (15, 100) };
    println!();
    println!("mixer capacity (release, one shared 20 ms tick; median of 15 batches of 100 ticks)");
    println!(
        "{:<20} {:>6} {:>12} {:>12} {:>12} {:>12} {:>12} {:>8}",
        "scenario",
        "legs",
        "tick µs",
        "rx+tick µs",
        "ns/leg tick",
        "ns/leg rx+t",
        "floor ns/leg",
        "ratio"
    );
    for s in &SCENARIOS {
        let legs = (s.rooms * s.per_room) as f64;
        let mut rig = Rig::new(s);
        // Tick only: packets are fed outside the timed region.
        let mut tick_ns = Vec::new();
        for _ in 0..batches {
            let mut total = Duration::ZERO;
            for _ in 0..ticks {
                rig.receive();
                let t = Instant::now();
                rig.tick();
                total += t.elapsed();
            }
            tick_ns.push(total.as_nanos() as f64 / ticks as f64);
        }
        tick_ns.sort_by(|a, b| a.partial_cmp(b).expect("finite"));
        let tick = tick_ns[tick_ns.len() / 2];
        let full = measure(
            || {
                rig.receive();
                rig.tick();
            },
            ticks,
            batches,
        );
        let base = if s.opus_every == 0 {
            let mut floor = Floor::new(s);
            measure(
                || {
                    floor.tick();
                },
                ticks,
                batches,
            )
        } else {
            let mut floor = OpusFloor::new(s);
            measure(
                || {
                    floor.tick();
                },
                ticks,
                batches,
            )
        };
        println!(
            "{:<20} {:>6} {:>12.1} {:>12.1} {:>12.0} {:>12.0} {:>12.0} {:>8.2}",
            s.name,
            legs,
            tick / 1000.0,
            full / 1000.0,
            tick / legs,
            full / legs,
            base / legs,
            tick / base,
        );
        assert_eq!(rig.plane.late_ticks(), 0);
    }
    let rig = Rig::new(&SCENARIOS[0]);
    let bytes = rig.plane.leg_memory_bytes(LegId(0)).expect("leg 0 exists");
    println!(
        "memory per G.711 audio leg (struct + buffers, steady state): {} bytes ({:.1} KiB; goal ≤ 64 KiB)",
        bytes,
        bytes as f64 / 1024.0
    );
    // What one Opus operation costs (16 kHz mono, 20 ms), to read the Opus rows by.
    let tone = opus_payload(Some(450.0));
    let quiet = opus_payload(None);
    let mut dec = OpusDecoder::new();
    let mut pcm = vec![0i16; 320];
    let d_tone = measure(
        || dec.decode_slice(black_box(&tone), &mut pcm),
        ticks * 10,
        batches,
    );
    let d_quiet = measure(
        || dec.decode_slice(black_box(&quiet), &mut pcm),
        ticks * 10,
        batches,
    );
    println!(
        "opus decode per 20 ms packet: tone {:.1} µs, silence {:.1} µs",
        d_tone / 1000.0,
        d_quiet / 1000.0
    );
    let frame: Vec<i16> = (0..320)
        .map(|i| (6000.0 * (i as f64 * 0.17).sin()) as i16)
        .collect();
    for complexity in [0u8, 2, 5, 9] {
        let mut enc = OpusEncoder::new(OpusConfig {
            complexity,
            ..OpusConfig::from_fmtp("useinbandfec=1")
        });
        let mut out = Vec::with_capacity(1500);
        let e = measure(
            || {
                out.clear();
                enc.encode(black_box(&frame), &mut out);
            },
            ticks * 10,
            batches,
        );
        let default = if complexity == DEFAULT_COMPLEXITY {
            " (default)"
        } else {
            ""
        };
        println!(
            "opus encode per 20 ms frame, complexity {complexity}{default}: {:.1} µs",
            e / 1000.0
        );
    }
    let opus = Rig::new(&SCENARIOS[3]);
    let bytes = opus.plane.leg_memory_bytes(LegId(0)).expect("leg 0 exists");
    println!(
        "memory per Opus audio leg as counted here: {} bytes + opus-rs codec state (not seen here; tests/media_opus_leg_memory.rs measures it)",
        bytes
    );
    println!("ratio = tick-only time / arithmetic floor (decode+sum+N−1+encode in a plain loop;");
    println!(
        "        for opus/mixed: the codec work alone — all decodes, talker + shared encodes)"
    );
    println!();
}

fn bench(c: &mut Criterion) {
    summary();
    let mut g = c.benchmark_group("mixer");
    g.sample_size(30);
    for s in &SCENARIOS {
        let mut rig = Rig::new(s);
        g.bench_function(format!("{}/rx_plus_tick", s.name), |b| {
            b.iter(|| {
                rig.receive();
                rig.tick()
            })
        });
        if s.opus_every == 0 {
            let mut floor = Floor::new(s);
            g.bench_function(format!("{}/floor", s.name), |b| b.iter(|| floor.tick()));
        } else {
            let mut floor = OpusFloor::new(s);
            g.bench_function(format!("{}/floor", s.name), |b| b.iter(|| floor.tick()));
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
