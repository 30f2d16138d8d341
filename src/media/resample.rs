//! 2:1 and 1:2 sample-rate conversion between 8 kHz and 16 kHz legs and the room's mix rate.
//!
//! A 23-tap half-band low-pass (windowed sinc, Blackman window) in polyphase form: half of its
//! taps are zero and the centre tap is ½, so each output sample costs 6–12 multiplies.

/// Half-band FIR length (taps −11..=11).
const HALF: usize = 11;

fn odd_taps_q15() -> [i32; 12] {
    // h[k] for k = -11, -9, …, 11 (odd k only; even k ≠ 0 are zero in a half-band filter).
    let mut t = [0i32; 12];
    let n = (2 * HALF + 1) as f64;
    for (j, slot) in t.iter_mut().enumerate() {
        let k = 2 * j as i64 - HALF as i64;
        let x = std::f64::consts::PI * k as f64 / 2.0;
        let sinc = x.sin() / x;
        let m = (k + HALF as i64) as f64;
        let w = 0.42 - 0.5 * (2.0 * std::f64::consts::PI * m / (n - 1.0)).cos()
            + 0.08 * (4.0 * std::f64::consts::PI * m / (n - 1.0)).cos();
        *slot = (0.5 * sinc * w * 32768.0).round() as i32;
    }
    t
}

#[inline]
fn clip(v: i32) -> i16 {
    v.clamp(i16::MIN as i32, i16::MAX as i32) as i16
}

/// 8 kHz → 16 kHz.
#[derive(Debug, Clone)]
pub struct Upsampler {
    taps: [i32; 12],
    /// The last 11 input samples (oldest first), then room for a frame.
    work: Vec<i32>,
}

impl Default for Upsampler {
    fn default() -> Self {
        Self::new()
    }
}

impl Upsampler {
    /// A resampler with silent history.
    pub fn new() -> Self {
        Upsampler {
            taps: odd_taps_q15(),
            work: vec![0; HALF],
        }
    }

    /// Converts `input` (8 kHz) into `out` (16 kHz, exactly twice as long).
    pub fn process(&mut self, input: &[i16], out: &mut [i16]) {
        debug_assert_eq!(out.len(), input.len() * 2);
        self.work.truncate(HALF);
        self.work.extend(input.iter().map(|&s| s as i32));
        for (m, pair) in out.chunks_exact_mut(2).enumerate() {
            // work[m + 11] is input[m]; y[2m] = 2·Σ h[2j−11]·x[m−j], y[2m+1] = x[m−5].
            let mut acc = 0i32;
            for j in 0..12 {
                acc += self.taps[j] * self.work[m + HALF - j];
            }
            pair[0] = clip(acc >> 14);
            pair[1] = clip(self.work[m + HALF - 5]);
        }
        let len = self.work.len();
        self.work.copy_within(len - HALF.., 0);
        self.work.truncate(HALF);
    }
}

/// 16 kHz → 8 kHz.
#[derive(Debug, Clone)]
pub struct Downsampler {
    taps: [i32; 12],
    work: Vec<i32>,
}

impl Default for Downsampler {
    fn default() -> Self {
        Self::new()
    }
}

impl Downsampler {
    /// A resampler with silent history.
    pub fn new() -> Self {
        Downsampler {
            taps: odd_taps_q15(),
            work: vec![0; 2 * HALF],
        }
    }

    /// Converts `input` (16 kHz, even length) into `out` (8 kHz, half as long).
    pub fn process(&mut self, input: &[i16], out: &mut [i16]) {
        debug_assert_eq!(out.len() * 2, input.len());
        let hist = 2 * HALF;
        self.work.truncate(hist);
        self.work.extend(input.iter().map(|&s| s as i32));
        for (m, o) in out.iter_mut().enumerate() {
            // Newest sample used is input[2m] = work[2m + 22].
            let base = 2 * m + hist;
            let mut acc = self.work[base - HALF] << 14; // centre tap ½ in Q15
            for j in 0..12 {
                acc += self.taps[j] * self.work[base - 2 * j];
            }
            *o = clip(acc >> 15);
        }
        let len = self.work.len();
        self.work.copy_within(len - hist.., 0);
        self.work.truncate(hist);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(freq: f64, rate: f64, n: usize, amp: f64) -> Vec<i16> {
        (0..n)
            .map(|i| (amp * (2.0 * std::f64::consts::PI * freq * i as f64 / rate).sin()) as i16)
            .collect()
    }

    fn rms(x: &[i16]) -> f64 {
        (x.iter().map(|&s| (s as f64).powi(2)).sum::<f64>() / x.len() as f64).sqrt()
    }

    #[test]
    fn passband_tone_keeps_its_level_both_ways() {
        let input = tone(1000.0, 8000.0, 1600, 10000.0);
        let mut up = Upsampler::new();
        let mut out = vec![0; 3200];
        for (i, o) in input.chunks(160).zip(out.chunks_mut(320)) {
            up.process(i, o);
        }
        let r = rms(&out[400..]) / rms(&input[200..]);
        assert!((0.95..1.05).contains(&r), "up gain {r}");

        let wide = tone(1000.0, 16000.0, 3200, 10000.0);
        let mut down = Downsampler::new();
        let mut out = vec![0; 1600];
        for (i, o) in wide.chunks(320).zip(out.chunks_mut(160)) {
            down.process(i, o);
        }
        let r = rms(&out[200..]) / rms(&wide[400..]);
        assert!((0.95..1.05).contains(&r), "down gain {r}");
    }

    #[test]
    fn stopband_tone_is_attenuated_when_decimating() {
        let wide = tone(6500.0, 16000.0, 3200, 10000.0);
        let mut down = Downsampler::new();
        let mut out = vec![0; 1600];
        for (i, o) in wide.chunks(320).zip(out.chunks_mut(160)) {
            down.process(i, o);
        }
        let r = rms(&out[200..]) / rms(&wide[400..]);
        assert!(r < 0.05, "alias gain {r}");
    }
}
