//! G.722 interoperability with an independent implementation (ffmpeg's g722 codec): a reference
//! signal encoded by ffmpeg decodes well with ours, ours decodes well with ffmpeg, and both
//! decoders agree on the same bitstream, and both encoders produce the same bitstream. Fails when ffmpeg is missing: the test command installs it.

use crate::ffmpeg_io;

use roomgate::media::codec::g722::{G722Decoder, G722Encoder};
use std::process::Command;

use ffmpeg_io::{decode_to_s16, ffmpeg, snr, write_s16};

fn tmp(name: &str) -> std::path::PathBuf {
    ffmpeg_io::tmp("g722", name)
}

fn ffmpeg_available() -> bool {
    Command::new("ffmpeg")
        .arg("-version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Speech-like wideband test signal: a few harmonics with vibrato plus a 5 kHz component,
/// with an amplitude envelope, 2 s at 16 kHz.
fn reference() -> Vec<i16> {
    (0..32000)
        .map(|n| {
            let t = n as f64 / 16000.0;
            let f0 = 180.0 + 20.0 * (2.0 * std::f64::consts::PI * 3.0 * t).sin();
            let mut v = 0.0;
            for h in 1..=8 {
                v += (2.0 * std::f64::consts::PI * f0 * h as f64 * t).sin() / h as f64;
            }
            v += 0.3 * (2.0 * std::f64::consts::PI * 5000.0 * t).sin();
            let env = 0.6 + 0.4 * (2.0 * std::f64::consts::PI * 1.5 * t).sin();
            (5000.0 * v * env) as i16
        })
        .collect()
}

#[test]
fn g722_interoperates_with_ffmpeg_both_ways() {
    // scripts/test.sh installs ffmpeg: without it the interop is untested, which must not pass.
    assert!(
        ffmpeg_available(),
        "ffmpeg is not installed (scripts/test.sh installs it): G.722 interop cannot be tested"
    );
    let pcm = reference();
    let raw = tmp("ref.raw");
    write_s16(&raw, &pcm, 1);

    // ffmpeg encodes, we decode.
    let theirs = tmp("theirs.g722");
    ffmpeg(&[
        "-f",
        "s16le",
        "-ar",
        "16000",
        "-ac",
        "1",
        "-i",
        raw.to_str().expect("utf-8"),
        "-c:a",
        "g722",
        "-f",
        "g722",
        theirs.to_str().expect("utf-8"),
    ]);
    let their_bits = std::fs::read(&theirs).expect("ffmpeg output");
    assert!(their_bits.len() >= 15900, "{} bytes", their_bits.len());
    let mut ours_decoded = Vec::new();
    G722Decoder::new().decode(&their_bits, &mut ours_decoded);
    let s1 = snr(&pcm, &ours_decoded, 64);
    assert!(s1 > 15.0, "ffmpeg→ours SNR {s1:.1} dB");

    // Both decoders on ffmpeg's bitstream agree.
    let their_decoded_raw = tmp("theirs-decoded.raw");
    let their_decoded = decode_to_s16(
        &["-f", "g722"],
        &theirs,
        &["-ar", "16000"],
        &their_decoded_raw,
    );
    let agree = snr(&their_decoded, &ours_decoded, 64);
    assert!(agree > 40.0, "decoders disagree: {agree:.1} dB");

    // We encode, ffmpeg decodes.
    let mut our_bits = Vec::new();
    G722Encoder::new().encode(&pcm, &mut our_bits);
    let same = our_bits
        .iter()
        .zip(&their_bits)
        .filter(|(a, b)| a == b)
        .count();
    // Both follow the ITU arithmetic, so the bitstreams are identical.
    assert_eq!(
        same,
        our_bits.len(),
        "encoders differ in {} bytes",
        our_bits.len() - same
    );
    let ours = tmp("ours.g722");
    std::fs::write(&ours, &our_bits).expect("write");
    let decoded_raw = tmp("ours-decoded.raw");
    let decoded = decode_to_s16(&["-f", "g722"], &ours, &["-ar", "16000"], &decoded_raw);
    let s2 = snr(&pcm, &decoded, 64);
    assert!(s2 > 15.0, "ours→ffmpeg SNR {s2:.1} dB");
    eprintln!(
        "G.722 SNR: ffmpeg→ours {s1:.1} dB, ours→ffmpeg {s2:.1} dB, decoders agree {agree:.1} dB"
    );

    for p in [raw, theirs, their_decoded_raw, ours, decoded_raw] {
        let _ = std::fs::remove_file(p);
    }
}
