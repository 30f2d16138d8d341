//! Prompts and tones played to one leg or to a whole room, mixed over the room's audio.

use std::sync::Arc;

/// PCM audio to play: mono, 8 or 16 kHz. Cheap to clone (shared samples).
#[derive(Debug, Clone, PartialEq)]
pub struct Prompt {
    /// Sampling rate of `samples` (8000 or 16000).
    pub rate: u32,
    /// The samples.
    pub samples: Arc<[i16]>,
}

impl Prompt {
    /// Wraps PCM samples. Rates other than 8000/16000 are treated as 16000 by the player's
    /// nearest-sample conversion, so callers should resample first.
    pub fn pcm(rate: u32, samples: impl Into<Arc<[i16]>>) -> Self {
        Prompt {
            rate,
            samples: samples.into(),
        }
    }

    /// A tone: the sum of `freqs` (Hz) for `duration_ms`, at `level_dbov` (e.g. −16) overall,
    /// with 5 ms ramps so it starts and stops without clicks.
    pub fn tone(freqs: &[f64], duration_ms: u32, rate: u32, level_dbov: f64) -> Self {
        let n = (rate as u64 * duration_ms as u64 / 1000) as usize;
        let peak = 32767.0 * 10f64.powf(level_dbov / 20.0) * std::f64::consts::SQRT_2;
        let per = peak / freqs.len().max(1) as f64;
        let ramp = (rate as usize / 200).max(1);
        let samples: Vec<i16> = (0..n)
            .map(|i| {
                let t = i as f64 / rate as f64;
                let v: f64 = freqs
                    .iter()
                    .map(|f| (2.0 * std::f64::consts::PI * f * t).sin() * per)
                    .sum();
                let g = (i.min(n - 1 - i) as f64 / ramp as f64).min(1.0);
                (v * g).clamp(-32768.0, 32767.0) as i16
            })
            .collect();
        Prompt::pcm(rate, samples)
    }

    /// Duration in milliseconds.
    pub fn duration_ms(&self) -> u64 {
        self.samples.len() as u64 * 1000 / self.rate.max(1) as u64
    }
}

/// A prompt being played, one frame per tick.
#[derive(Debug, Clone)]
pub struct PromptPlayer {
    prompt: Prompt,
    /// Position in output-rate samples scaled to the prompt rate: `pos * prompt.rate / rate`.
    played_ms_x: u64,
}

impl PromptPlayer {
    /// Starts `prompt` from the beginning.
    pub fn new(prompt: Prompt) -> Self {
        PromptPlayer {
            prompt,
            played_ms_x: 0,
        }
    }

    /// Adds the next frame of the prompt, at `rate`, onto `acc`. Returns false once finished.
    pub fn mix_into(&mut self, acc: &mut [i32], rate: u32) -> bool {
        let src = &self.prompt.samples;
        // Position counted in units of 1/(rate·prompt.rate) s avoids drift between rates.
        for (i, a) in acc.iter_mut().enumerate() {
            let idx =
                ((self.played_ms_x + i as u64) * self.prompt.rate as u64 / rate as u64) as usize;
            match src.get(idx) {
                Some(&s) => *a += s as i32,
                None => break,
            }
        }
        self.played_ms_x += acc.len() as u64;
        let next = (self.played_ms_x * self.prompt.rate as u64 / rate as u64) as usize;
        next < src.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tone_has_requested_length_and_level() {
        let p = Prompt::tone(&[1000.0], 500, 8000, -20.0);
        assert_eq!(p.samples.len(), 4000);
        assert_eq!(p.duration_ms(), 500);
        let rms = (p.samples[400..3600]
            .iter()
            .map(|&s| (s as f64).powi(2))
            .sum::<f64>()
            / 3200.0)
            .sqrt();
        let dbov = 20.0 * (rms / 32767.0).log10();
        assert!((dbov + 20.0).abs() < 0.5, "{dbov}");
    }

    #[test]
    fn player_runs_out_after_the_prompt_at_any_rate() {
        let p = Prompt::pcm(8000, vec![100i16; 320]);
        let mut pl = PromptPlayer::new(p.clone());
        let mut acc = vec![0i32; 320];
        assert!(pl.mix_into(&mut acc, 16000));
        assert_eq!(acc[0], 100);
        let mut acc = vec![0i32; 320];
        assert!(!pl.mix_into(&mut acc, 16000));
        assert_eq!(acc[319], 100);
        let mut pl = PromptPlayer::new(p);
        let mut acc = vec![0i32; 160];
        assert!(pl.mix_into(&mut acc, 8000));
        assert!(!pl.mix_into(&mut acc, 8000));
    }
}
