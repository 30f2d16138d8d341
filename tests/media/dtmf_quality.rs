//! RFC 4733 digits in a clean stream leave the leg's receive statistics (loss, RFC 3550
//! jitter) and its quality band as the audio alone would have them: the events share the
//! audio's sequence space but every packet of an event carries its start timestamp.

use crate::support::media::{Peer, Sim};
use roomgate::media::codec::AudioCodec;
use roomgate::media::dtmf::EventPayload;
use roomgate::media::rtp::write_packet;
use roomgate::media::stats::LegStats;
use roomgate::media::{LegId, MediaCommand, RoomKey};
use roomgate::ops::quality::{verdict, Band, Window};
use std::time::Duration;

const TE: u8 = 101;

/// Six seconds of 20 ms PCMU from leg 1 (no loss), with a digit burst starting at each of
/// `digit_frames`: a start packet, updates every 50 ms with the event's start timestamp and
/// the end packet three times, 50 ms apart, all numbered in the audio's sequence. Returns leg
/// 1's statistics every 100 ms.
fn run(digit_frames: &[u32]) -> Vec<LegStats> {
    let mut sim = Sim::new(23);
    sim.add(Peer::new(1, AudioCodec::Pcmu, 0, None), Some(TE));
    sim.add(Peer::new(2, AudioCodec::Pcmu, 0, None), Some(TE));
    sim.peer(1).sending = false;
    sim.peer(2).sending = false;
    for leg in [1, 2] {
        sim.cmd(MediaCommand::Attach {
            leg: LegId(leg),
            room: RoomKey(3),
        });
    }
    let t0 = sim.now;
    // (arrival ms, RTP timestamp, payload type, payload)
    let mut sends: Vec<(u64, u32, u8, Vec<u8>)> = (0..300u32)
        .map(|i| (u64::from(i) * 20, 4000 + i * 160, 0, vec![0xff; 160]))
        .collect();
    for &frame in digit_frames {
        let ts = 4000 + frame * 160;
        for k in 0..7u64 {
            let ev = EventPayload {
                event: 9,
                end: k >= 4,
                volume: 10,
                duration: (400 * k.clamp(1, 4)) as u16,
            };
            let at = u64::from(frame) * 20 + 10 + 50 * k;
            sends.push((at, ts, TE, ev.to_bytes().to_vec()));
        }
    }
    sends.sort_by_key(|s| s.0);
    let mut sends = sends.into_iter().peekable();
    let mut seq = 65_400u16;
    let mut snapshots = Vec::new();
    for step in 1..=300u64 {
        let until = step * 20;
        while let Some((at, ts, pt, payload)) = sends.next_if(|s| s.0 < until) {
            let mut pkt = Vec::new();
            write_packet(&mut pkt, at == 0, pt, seq, ts, 0x4733, &payload);
            seq = seq.wrapping_add(1);
            sim.plane
                .handle_rtp(t0 + Duration::from_millis(at), LegId(1), &pkt)
                .expect("leg");
        }
        sim.step();
        if step % 5 == 0 {
            snapshots.push(sim.plane.stats(LegId(1)).expect("leg"));
        }
    }
    snapshots
}

#[test]
fn digits_leave_loss_jitter_and_band_as_the_audio_has_them() {
    let clean = run(&[]);
    let with_digits = run(&[40, 120, 200]);
    assert_eq!(clean.len(), with_digits.len());
    for (i, (c, d)) in clean.iter().zip(&with_digits).enumerate() {
        let at = (i + 1) * 100;
        assert_eq!(d.lost_in, 0, "{at} ms: no packet was lost");
        assert_eq!(d.loss_window, 0.0, "{at} ms");
        // Within one RTP timestamp unit (1/8 ms at 8 kHz).
        assert!(
            (d.jitter_ms - c.jitter_ms).abs() <= 0.125,
            "{at} ms: jitter {} ms with digits, {} ms without",
            d.jitter_ms,
            c.jitter_ms
        );
        let band = verdict(&Window {
            loss: d.lost_in.max(0) as f64 / d.expected_in.max(1) as f64,
            jitter_ms: f64::from(d.jitter_ms),
            rtt_ms: d.rtt_ms.map(f64::from),
        });
        assert_eq!(band, Band::Good, "{at} ms: jitter {} ms", d.jitter_ms);
    }
    // The digits were there: the plane reported them.
    assert!(with_digits.last().expect("snapshots").packets_in > clean[clean.len() - 1].packets_in);
}
