//! The playout buffer under a simulated lossy, jittery link (seeded): the listener keeps
//! getting one packet per tick, and the talker's tone survives loss, reordering, duplicates,
//! other packet times (10/30/40 ms) and silence suppression.

use crate::support::media::{goertzel, Peer, Sim};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use roomgate::media::codec::{AudioCodec, Encoder};
use roomgate::media::rtp::write_packet;
use roomgate::media::{LegId, MediaCommand, RoomKey, TICK};
use std::time::Duration;

struct Link {
    rng: SmallRng,
    loss: f64,
    dup: f64,
    max_delay_ms: u64,
    in_flight: Vec<(Duration, Vec<u8>)>,
}

impl Link {
    fn send(&mut self, at: Duration, pkt: Vec<u8>) {
        if self.rng.gen_bool(self.loss) {
            return;
        }
        let copies = if self.rng.gen_bool(self.dup) { 2 } else { 1 };
        for _ in 0..copies {
            let d = Duration::from_millis(self.rng.gen_range(0..=self.max_delay_ms));
            self.in_flight.push((at + d, pkt.clone()));
        }
    }

    fn deliver_until(&mut self, t: Duration) -> Vec<Vec<u8>> {
        self.in_flight.sort_by_key(|(a, _)| *a);
        let n = self.in_flight.partition_point(|(a, _)| *a <= t);
        self.in_flight.drain(..n).map(|(_, p)| p).collect()
    }
}

/// Sender of a 1 kHz tone with a given ptime, optionally silent (DTX) for some intervals.
struct Talker {
    ptime_ms: u32,
    seq: u16,
    ts: u32,
    enc: Encoder,
    samples: u64,
}

impl Talker {
    fn packet(&mut self, silent: bool, marker: bool) -> Option<Vec<u8>> {
        let n = (8 * self.ptime_ms) as usize;
        let pcm: Vec<i16> = (0..n)
            .map(|i| {
                let t = (self.samples + i as u64) as f64 / 8000.0;
                (5000.0 * (2.0 * std::f64::consts::PI * 1000.0 * t).sin()) as i16
            })
            .collect();
        self.samples += n as u64;
        let ts = self.ts;
        self.ts = self.ts.wrapping_add(n as u32);
        if silent {
            return None;
        }
        let mut payload = Vec::new();
        self.enc.encode(&pcm, &mut payload);
        let mut pkt = Vec::new();
        write_packet(&mut pkt, marker, 0, self.seq, ts, 0xabc, &payload);
        self.seq = self.seq.wrapping_add(1);
        Some(pkt)
    }
}

/// Runs `seconds` of a talker (leg 1) and a listener (leg 2) over the link; returns the
/// listener's frames. `dtx(ms) -> bool` says whether the talker is silent at that time.
fn run(ptime_ms: u32, link: &mut Link, seconds: u64, dtx: impl Fn(u64) -> bool) -> Sim {
    let mut sim = Sim::new(3);
    sim.add(Peer::new(1, AudioCodec::Pcmu, 0, None), None);
    let mut listener = Peer::new(2, AudioCodec::Pcmu, 0, None);
    listener.sending = false;
    sim.add(listener, None);
    sim.peer(1).sending = false;
    for leg in [1, 2] {
        sim.cmd(MediaCommand::Attach {
            leg: LegId(leg),
            room: RoomKey(1),
        });
    }
    let mut talker = Talker {
        ptime_ms,
        seq: 65000,
        ts: u32::MAX - 5000,
        enc: Encoder::new(AudioCodec::Pcmu),
        samples: 0,
    };
    let start = sim.now;
    let mut next_send = Duration::ZERO;
    let mut was_silent = true;
    for tick in 1..=(seconds * 50) {
        let tick_at = TICK * tick as u32;
        while next_send < tick_at {
            let ms = next_send.as_millis() as u64;
            let silent = dtx(ms);
            if let Some(p) = talker.packet(silent, was_silent && !silent) {
                link.send(next_send, p);
            }
            was_silent = silent;
            next_send += Duration::from_millis(ptime_ms as u64);
        }
        for pkt in link.deliver_until(tick_at) {
            sim.plane
                .handle_rtp(start + tick_at, LegId(1), &pkt)
                .expect("leg 1 exists");
        }
        sim.now = start + tick_at;
        sim.plane.handle_tick(sim.now);
        sim.drain();
    }
    sim
}

fn tone_frames(sim: &Sim, from: usize) -> (usize, usize) {
    let p = sim
        .peers
        .iter()
        .find(|p| p.id == LegId(2))
        .expect("listener");
    let frames = &p.received[from..];
    let loud = frames
        .iter()
        .filter(|f| goertzel(f, 1000.0, 8000.0) > 3500.0)
        .count();
    (loud, frames.len())
}

#[test]
fn tone_survives_loss_jitter_reordering_and_duplicates() {
    let mut link = Link {
        rng: SmallRng::seed_from_u64(42),
        loss: 0.03,
        dup: 0.02,
        max_delay_ms: 50,
        in_flight: Vec::new(),
    };
    let sim = run(20, &mut link, 20, |_| false);
    let p = sim
        .peers
        .iter()
        .find(|p| p.id == LegId(2))
        .expect("listener");
    assert_eq!(
        p.received.len(),
        1000,
        "one packet per tick, no gap, no burst"
    );
    let (loud, total) = tone_frames(&sim, 100);
    // 3 % loss with concealment; everything else must play out despite up to 50 ms of jitter
    // (the buffer grows its delay after the first late packets).
    assert!(
        loud * 100 >= total * 94,
        "{loud}/{total} frames carried the tone"
    );
}

#[test]
fn other_packet_times_play_continuously() {
    for ptime in [10, 30, 40] {
        let mut link = Link {
            rng: SmallRng::seed_from_u64(ptime as u64),
            loss: 0.0,
            dup: 0.0,
            max_delay_ms: 10,
            in_flight: Vec::new(),
        };
        let sim = run(ptime, &mut link, 5, |_| false);
        let (loud, total) = tone_frames(&sim, 20);
        assert_eq!(loud, total, "ptime {ptime}: every frame carries the tone");
    }
}

#[test]
fn silence_suppression_gives_silence_then_the_next_talkspurt() {
    let mut link = Link {
        rng: SmallRng::seed_from_u64(9),
        loss: 0.0,
        dup: 0.0,
        max_delay_ms: 15,
        in_flight: Vec::new(),
    };
    // Talk 1 s, silent (no packets) 1 s, talk 1 s, …
    let sim = run(20, &mut link, 6, |ms| (ms / 1000) % 2 == 1);
    let p = sim
        .peers
        .iter()
        .find(|p| p.id == LegId(2))
        .expect("listener");
    assert_eq!(p.received.len(), 300);
    let level = |range: std::ops::Range<usize>| {
        p.received[range]
            .iter()
            .map(|f| goertzel(f, 1000.0, 8000.0))
            .fold(0.0f64, f64::max)
    };
    // Deep inside each silent second nothing plays (concealment faded out) …
    assert!(level(65..95) < 50.0, "silent second 1: {}", level(65..95));
    assert!(level(165..195) < 50.0, "silent second 3");
    // … and each talkspurt plays fully.
    let (loud, _) = {
        let frames = &p.received[110..145];
        (
            frames
                .iter()
                .filter(|f| goertzel(f, 1000.0, 8000.0) > 3500.0)
                .count(),
            frames.len(),
        )
    };
    assert_eq!(loud, 35, "second talkspurt");
}
