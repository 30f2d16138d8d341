//! Opus interoperability with an independent implementation (ffmpeg with libopus): a reference
//! signal encoded by libopus (mono and stereo, 10/20/60 ms packets) decodes well with ours, and
//! ours, wrapped in Ogg (RFC 7845) by a minimal writer here, decodes well with libopus. Opus is
//! perceptual, so the checks are tones found by Goertzel, a tone that must stay absent, and a
//! loose SNR bound. Fails when ffmpeg (or its libopus) is missing: the test command installs it.

use crate::ffmpeg_io;

use roomgate::media::codec::opus::{packet_units, OpusConfig, OpusDecoder, OpusEncoder};
use std::process::Command;

use ffmpeg_io::{decode_to_s16, ffmpeg, write_s16};

/// ffmpeg's decoder for Opus: libopus, the independent implementation.
const LIBOPUS: &[&str] = &["-c:a", "libopus"];

fn tmp(name: &str) -> std::path::PathBuf {
    ffmpeg_io::tmp("opus", name)
}

/// Best SNR over alignment lags up to 30 ms at 16 kHz (codec delay, pre-skip).
fn snr(reference: &[i16], test: &[i16]) -> f64 {
    ffmpeg_io::snr(reference, test, 480)
}

const RATE: f64 = 16000.0;
/// The two tones of the reference signal, and one frequency that must stay absent.
const TONES: [f64; 2] = [440.0, 2300.0];
const ABSENT: f64 = 1250.0;

fn ffmpeg_has_libopus() -> bool {
    Command::new("ffmpeg")
        .args(["-hide_banner", "-encoders"])
        .output()
        .map(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).contains("libopus"))
        .unwrap_or(false)
}

/// Two tones with a slow amplitude envelope, 2 s at 16 kHz.
fn reference() -> Vec<i16> {
    (0..32000)
        .map(|n| {
            let t = n as f64 / RATE;
            let two_pi = 2.0 * std::f64::consts::PI;
            let v = (two_pi * TONES[0] * t).sin() + 0.5 * (two_pi * TONES[1] * t).sin();
            let env = 0.7 + 0.3 * (two_pi * 1.5 * t).sin();
            (6000.0 * v * env) as i16
        })
        .collect()
}

/// Goertzel amplitude of `freq` in `x` (a full-scale sine of amplitude A gives about A).
fn goertzel(x: &[i16], freq: f64) -> f64 {
    let c = 2.0 * (2.0 * std::f64::consts::PI * freq / RATE).cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for &v in x {
        let s = v as f64 + c * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    let power = s1 * s1 + s2 * s2 - c * s1 * s2;
    2.0 * power.max(0.0).sqrt() / x.len() as f64
}

/// Checks the decoded signal carries both tones at about their level and not the absent one.
fn check_tones(what: &str, pcm: &[i16]) {
    let steady = &pcm[3200..pcm.len().min(30000)];
    let want = goertzel(&reference()[3200..30000], TONES[0]);
    let a = goertzel(steady, TONES[0]);
    let b = goertzel(steady, TONES[1]);
    let off = goertzel(steady, ABSENT);
    assert!(
        a > 0.7 * want && a < 1.3 * want,
        "{what}: {} Hz at {a:.0}, want about {want:.0}",
        TONES[0]
    );
    assert!(b > 0.35 * want, "{what}: {} Hz at {b:.0}", TONES[1]);
    assert!(off < 0.05 * want, "{what}: {ABSENT} Hz at {off:.0}");
}

/// Decodes with opus-rs at 48 kHz mono (what libopus in ffmpeg outputs).
fn decode48(packets: &[Vec<u8>]) -> Vec<i16> {
    let mut dec = opus_rs::OpusDecoder::new(48000, 1).expect("valid");
    let mut f = vec![0f32; 2880];
    let mut out = Vec::new();
    for p in packets {
        let n = dec.decode(p, 2880, &mut f).expect("decodes");
        out.extend(
            f[..n]
                .iter()
                .map(|&x| (x * 32768.0).round().clamp(-32768.0, 32767.0) as i16),
        );
    }
    out
}

/// Ogg packets of a logical stream (RFC 3533 §6: segments of 255 continue a packet).
fn ogg_packets(file: &[u8]) -> Vec<Vec<u8>> {
    let mut packets = Vec::new();
    let mut cur = Vec::new();
    let mut pos = 0;
    while pos + 27 <= file.len() {
        assert_eq!(&file[pos..pos + 4], b"OggS", "Ogg capture pattern at {pos}");
        let nseg = file[pos + 26] as usize;
        let table = &file[pos + 27..pos + 27 + nseg];
        let mut data = pos + 27 + nseg;
        for &lace in table {
            cur.extend_from_slice(&file[data..data + lace as usize]);
            data += lace as usize;
            if lace < 255 {
                packets.push(std::mem::take(&mut cur));
            }
        }
        pos = data;
    }
    packets
}

/// Ogg CRC-32 (RFC 3533 §6: polynomial 0x04c11db7, not reflected, initial 0).
fn ogg_crc(data: &[u8]) -> u32 {
    let mut crc = 0u32;
    for &b in data {
        crc ^= (b as u32) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 {
                (crc << 1) ^ 0x04c1_1db7
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// One Ogg page holding one packet.
fn ogg_page(out: &mut Vec<u8>, flags: u8, granule: u64, seq: u32, packet: &[u8]) {
    let start = out.len();
    out.extend_from_slice(b"OggS");
    out.push(0);
    out.push(flags);
    out.extend_from_slice(&granule.to_le_bytes());
    out.extend_from_slice(&0x524f_4f4du32.to_le_bytes());
    out.extend_from_slice(&seq.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    let mut lacing = vec![255u8; packet.len() / 255];
    lacing.push((packet.len() % 255) as u8);
    out.push(lacing.len() as u8);
    out.extend_from_slice(&lacing);
    out.extend_from_slice(packet);
    let crc = ogg_crc(&out[start..]);
    out[start + 22..start + 26].copy_from_slice(&crc.to_le_bytes());
}

/// An Ogg Opus file (RFC 7845 §5: ID header, comment header, then one packet per page).
fn ogg_opus(packets: &[Vec<u8>]) -> Vec<u8> {
    let mut head = b"OpusHead".to_vec();
    head.push(1); // version
    head.push(1); // channels
    head.extend_from_slice(&0u16.to_le_bytes()); // pre-skip
    head.extend_from_slice(&16000u32.to_le_bytes()); // input rate (informational)
    head.extend_from_slice(&0i16.to_le_bytes()); // output gain
    head.push(0); // mapping family 0: mono/stereo
    let mut tags = b"OpusTags".to_vec();
    let vendor = b"roomgate";
    tags.extend_from_slice(&(vendor.len() as u32).to_le_bytes());
    tags.extend_from_slice(vendor);
    tags.extend_from_slice(&0u32.to_le_bytes());
    let mut out = Vec::new();
    ogg_page(&mut out, 0x02, 0, 0, &head);
    ogg_page(&mut out, 0, 0, 1, &tags);
    let mut granule = 0u64;
    for (i, p) in packets.iter().enumerate() {
        granule += packet_units(p).expect("our packets are valid") as u64;
        let flags = if i + 1 == packets.len() { 0x04 } else { 0 };
        ogg_page(&mut out, flags, granule, i as u32 + 2, p);
    }
    out
}

#[test]
fn ogg_writer_and_reader_agree() {
    let packets = vec![vec![9 << 3; 10], vec![9 << 3; 255], vec![9 << 3; 600]];
    let file = ogg_opus(&packets);
    let back = ogg_packets(&file);
    assert_eq!(&back[0][..8], b"OpusHead");
    assert_eq!(&back[2..], &packets[..]);
}

#[test]
fn opus_interoperates_with_ffmpeg_libopus_both_ways() {
    // scripts/test.sh installs ffmpeg with libopus: without it the interop is untested, which
    // must not pass.
    assert!(
        ffmpeg_has_libopus(),
        "ffmpeg with libopus is not installed (scripts/test.sh installs it): Opus interop cannot be tested"
    );
    let pcm = reference();
    let mut report = Vec::new();

    // libopus encodes, we decode: mono and stereo, several packet durations.
    for (channels, ms, bitrate) in [
        (1, "20", "24k"),
        (2, "20", "48k"),
        (1, "60", "24k"),
        (1, "10", "32k"),
    ] {
        let what = format!("libopus {channels} ch {ms} ms → ours");
        let raw = tmp(&format!("ref{channels}.raw"));
        write_s16(&raw, &pcm, channels);
        let ch = channels.to_string();
        let theirs = tmp(&format!("theirs-{channels}-{ms}.opus"));
        ffmpeg(&[
            "-f",
            "s16le",
            "-ar",
            "16000",
            "-ac",
            &ch,
            "-i",
            raw.to_str().expect("utf-8"),
            "-c:a",
            "libopus",
            "-application",
            "voip",
            "-b:a",
            bitrate,
            "-frame_duration",
            ms,
            "-f",
            "ogg",
            theirs.to_str().expect("utf-8"),
        ]);
        let packets = ogg_packets(&std::fs::read(&theirs).expect("ffmpeg output"));
        assert_eq!(&packets[0][..8], b"OpusHead", "{what}");
        assert_eq!(
            packets[0][9] as usize, channels,
            "{what}: OpusHead channels"
        );
        let audio = &packets[2..];
        let want_units: u32 = ms.parse::<u32>().expect("ms") * 48;
        let mut dec = OpusDecoder::new();
        let mut ours = Vec::new();
        for p in audio {
            assert_eq!(packet_units(p), Ok(want_units), "{what}: packet duration");
            assert_eq!(p[0] & 4 != 0, channels == 2, "{what}: ToC stereo flag");
            dec.try_decode(p, &mut ours)
                .expect("libopus packets decode");
        }
        assert!(ours.len() >= pcm.len(), "{what}: {} samples", ours.len());
        check_tones(&what, &ours);
        let s = snr(&pcm, &ours);
        assert!(s > 12.0, "{what}: SNR {s:.1} dB");
        if channels == 1 {
            // The same packets through libopus and through opus-rs, both at 48 kHz (libopus in
            // ffmpeg only outputs 48 kHz), agree closely.
            let decoded48 = tmp(&format!("theirs-{ms}-48k.raw"));
            let theirs48 = decode_to_s16(LIBOPUS, &theirs, &["-ac", "1"], &decoded48);
            // ffmpeg drops the OpusHead pre-skip (RFC 7845 §4.2); ours keeps it, so ours lags.
            let agree = snr(&theirs48, &decode48(audio));
            assert!(agree > 30.0, "{what}: decoders differ, {agree:.1} dB");
            report.push(format!(
                "{what}: SNR {s:.1} dB, decoders agree {agree:.1} dB"
            ));
            let _ = std::fs::remove_file(decoded48);
        } else {
            report.push(format!("{what}: SNR {s:.1} dB"));
        }
        let _ = std::fs::remove_file(raw);
        let _ = std::fs::remove_file(theirs);
    }

    // We encode (as the mixer does: 20 ms, with and without FEC), libopus decodes.
    for fec in [false, true] {
        let what = format!("ours (fec {fec}) → libopus");
        let mut enc = OpusEncoder::new(OpusConfig {
            fec,
            ..OpusConfig::default()
        });
        let packets: Vec<Vec<u8>> = pcm
            .chunks_exact(320)
            .map(|c| {
                let mut p = Vec::new();
                enc.try_encode(c, &mut p).expect("encodes");
                p
            })
            .collect();
        let ours = tmp(&format!("ours-{fec}.opus"));
        std::fs::write(&ours, ogg_opus(&packets)).expect("write");
        let decoded = tmp(&format!("ours-{fec}.raw"));
        let theirs = decode_to_s16(LIBOPUS, &ours, &["-ar", "16000", "-ac", "1"], &decoded);
        assert!(
            theirs.len() + 320 >= pcm.len(),
            "{what}: {} samples",
            theirs.len()
        );
        check_tones(&what, &theirs);
        let s = snr(&pcm, &theirs);
        assert!(s > 12.0, "{what}: SNR {s:.1} dB");
        // Both decoders on our bitstream agree closely. libopus in ffmpeg always outputs
        // 48 kHz, so compare there: opus-rs decoding at 48 kHz against libopus, no resampler.
        let decoded48 = tmp(&format!("ours-{fec}-48k.raw"));
        let theirs48 = decode_to_s16(LIBOPUS, &ours, &["-ac", "1"], &decoded48);
        let agree = snr(&decode48(&packets), &theirs48);
        assert!(agree > 30.0, "{what}: decoders differ, {agree:.1} dB");
        let _ = std::fs::remove_file(decoded48);
        report.push(format!(
            "{what}: SNR {s:.1} dB, decoders agree {agree:.1} dB"
        ));
        let _ = std::fs::remove_file(ours);
        let _ = std::fs::remove_file(decoded);
    }
    eprintln!("Opus interop:\n  {}", report.join("\n  "));
}
