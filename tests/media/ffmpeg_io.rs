//! ffmpeg as the independent codec implementation the codec tests compare against: running
//! it, raw s16le files in and out, and the SNR of one signal against another.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// A scratch file for this test process.
pub fn tmp(tag: &str, name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("roomgate-{tag}-{}-{name}", std::process::id()))
}

/// Runs ffmpeg quietly; a failure fails the test with its stderr.
pub fn ffmpeg(args: &[&str]) {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .output()
        .expect("ffmpeg runs (apt-get install ffmpeg)");
    assert!(
        out.status.success(),
        "ffmpeg {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Has ffmpeg decode `input` (read with the `decoder` options, e.g. `["-f", "g722"]`) to raw
/// s16le at `out` with the `format` options (e.g. `["-ar", "16000"]`), and returns it.
pub fn decode_to_s16(decoder: &[&str], input: &Path, format: &[&str], out: &Path) -> Vec<i16> {
    let mut args: Vec<&str> = decoder.to_vec();
    args.extend(["-i", input.to_str().expect("utf-8 path"), "-f", "s16le"]);
    args.extend_from_slice(format);
    args.push(out.to_str().expect("utf-8 path"));
    ffmpeg(&args);
    read_s16(&out.to_path_buf())
}

/// Writes mono `pcm` as raw s16le, each sample repeated on `channels` channels.
pub fn write_s16(path: &PathBuf, pcm: &[i16], channels: usize) {
    let bytes: Vec<u8> = pcm
        .iter()
        .flat_map(|s| std::iter::repeat_n(*s, channels))
        .flat_map(|s| s.to_le_bytes())
        .collect();
    std::fs::write(path, bytes).expect("write temp file");
}

pub fn read_s16(path: &PathBuf) -> Vec<i16> {
    std::fs::read(path)
        .expect("read temp file")
        .chunks_exact(2)
        .map(|c| i16::from_le_bytes([c[0], c[1]]))
        .collect()
}

/// Best SNR (dB) of `test` against `reference` over alignment lags below `max_lag` samples
/// (codec delay), ignoring the first 1,600 samples (100 ms at 16 kHz) of adaptation.
pub fn snr(reference: &[i16], test: &[i16], max_lag: usize) -> f64 {
    let skip = 1600;
    let n = reference.len().min(test.len()) - skip - max_lag;
    (0..max_lag)
        .map(|lag| {
            let (mut sig, mut noise) = (0.0f64, 0.0f64);
            for i in skip..skip + n {
                let r = reference[i] as f64;
                let d = r - test[i + lag] as f64;
                sig += r * r;
                noise += d * d;
            }
            10.0 * (sig / noise.max(1.0)).log10()
        })
        .fold(f64::MIN, f64::max)
}
