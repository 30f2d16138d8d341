//! Golden mix: known signals from G.711 µ-law, A-law and G.722 legs in one (16 kHz) room come
//! out of every listener at the right level, without the listener's own signal and without
//! distortion beyond the codecs' own, across the 8↔16 kHz resampling.

use crate::support::media::{goertzel, Peer, Sim};
use roomgate::media::{AudioCodec, LegId, MediaCommand, RoomKey};

fn power(x: &[i16]) -> f64 {
    x.iter().map(|&s| (s as f64).powi(2)).sum::<f64>() / x.len() as f64
}

/// Checks that `audio` (at `rate`) is exactly the sum of `tones` (freq, amplitude) within
/// `tol` relative amplitude, and that everything else is below `residual_db` of the total.
fn assert_mix(audio: &[i16], rate: f64, tones: &[(f64, f64)], absent: &[f64], what: &str) {
    let mut explained = 0.0;
    for &(f, a) in tones {
        let got = goertzel(audio, f, rate);
        assert!(
            (got - a).abs() < 0.08 * a,
            "{what}: {f} Hz amplitude {got:.0}, want {a:.0}"
        );
        explained += got * got / 2.0;
    }
    for &f in absent {
        let got = goertzel(audio, f, rate);
        assert!(
            got < 60.0,
            "{what}: {f} Hz must be absent, amplitude {got:.0}"
        );
    }
    let total = power(audio);
    let residual_db = 10.0 * ((total - explained).max(1e-9) / total).log10();
    assert!(
        residual_db < -25.0,
        "{what}: distortion {residual_db:.1} dB"
    );
}

#[test]
fn mixed_codec_room_delivers_the_exact_sum_to_each_listener() {
    let mut sim = Sim::new(17);
    let mut a = Peer::new(1, AudioCodec::Pcmu, 0, Some(500.0));
    a.amplitude = 3000.0;
    let mut b = Peer::new(2, AudioCodec::G722, 9, Some(3000.0));
    b.amplitude = 3000.0;
    let mut c = Peer::new(3, AudioCodec::Pcma, 8, Some(1250.0));
    c.amplitude = 2000.0;
    let mut d = Peer::new(4, AudioCodec::G722, 9, None);
    d.sending = false;
    for p in [a, b, c, d] {
        sim.add(p, None);
    }
    for leg in 1..=4 {
        sim.cmd(MediaCommand::Attach {
            leg: LegId(leg),
            room: RoomKey(9),
        });
    }
    sim.run(60);
    let frames = 20; // 400 ms: integer cycles of every tone at both rates
    let get = |sim: &Sim, id: u64| {
        sim.peers
            .iter()
            .find(|p| p.id == LegId(id))
            .expect("peer")
            .last_frames(frames)
    };
    assert_mix(
        &get(&sim, 1),
        8000.0,
        &[(3000.0, 3000.0), (1250.0, 2000.0)],
        &[500.0],
        "µ-law leg",
    );
    assert_mix(
        &get(&sim, 2),
        16000.0,
        &[(500.0, 3000.0), (1250.0, 2000.0)],
        &[3000.0],
        "G.722 leg",
    );
    assert_mix(
        &get(&sim, 3),
        8000.0,
        &[(500.0, 3000.0), (3000.0, 3000.0)],
        &[1250.0],
        "A-law leg",
    );
    assert_mix(
        &get(&sim, 4),
        16000.0,
        &[(500.0, 3000.0), (3000.0, 3000.0), (1250.0, 2000.0)],
        &[],
        "silent G.722 listener (shared full mix)",
    );
}

#[test]
fn loud_talkers_saturate_instead_of_wrapping() {
    let mut sim = Sim::new(1);
    for (id, f) in [(1, 400.0), (2, 400.0), (3, 400.0)] {
        let mut p = Peer::new(id, AudioCodec::Pcmu, 0, Some(f));
        p.amplitude = 20000.0;
        sim.add(p, None);
    }
    let mut l = Peer::new(4, AudioCodec::Pcmu, 0, None);
    l.sending = false;
    sim.add(l, None);
    for leg in 1..=4 {
        sim.cmd(MediaCommand::Attach {
            leg: LegId(leg),
            room: RoomKey(1),
        });
    }
    sim.run(20);
    let heard = sim.peers[3].last_frames(5);
    // Three in-phase 20000 peaks sum to 60000: the mix must clip at full scale, keeping the
    // sign of every sample (wrapping would flip it).
    let peak = heard
        .iter()
        .map(|&s| (s as i32).abs())
        .max()
        .expect("audio");
    assert!(peak > 30000, "peak {peak}");
    let sign_flips = heard
        .windows(2)
        .filter(|w| (w[0] as i32 - w[1] as i32).abs() > 40000)
        .count();
    assert_eq!(sign_flips, 0, "wrap-around in the mix");
}
