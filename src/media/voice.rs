//! Voice activity of one leg's audio: the RFC 6464 level of a frame, the mix gate that keeps
//! quiet microphones out of the room's mix, and the talking state with its hysteresis.
//!
//! Its own file because the leg measures it (on the frame it pulls each tick) and the mixer
//! reads it (who is in the mix, who speaks loudest): neither owns it.

/// RFC 6464 audio level (0 = 0 dBov … 127 = −127 dBov or silence) of a frame.
pub fn level_dbov(frame: &[i16]) -> u8 {
    if frame.is_empty() {
        return 127;
    }
    // Each square fits in u32 (≤ 2^30); summing in u64 cannot overflow for any frame size.
    let energy: u64 = frame
        .iter()
        .map(|&s| ((s as i32) * (s as i32)) as u32 as u64)
        .sum();
    let mean = energy as f32 / frame.len() as f32;
    if mean < 1.0 {
        return 127;
    }
    // dBov relative to a full-scale square wave (RFC 6464 §3, 32767² mean power).
    let db = 10.0 * (mean / (32767.0f32 * 32767.0)).log10();
    (-db).round().clamp(0.0, 127.0) as u8
}

/// Frames louder than this (in −dBov) go into the mix; quieter ones are gated out after the
/// hangover, so background hiss of many open microphones does not add up.
const MIX_GATE: u8 = 60;
/// Ticks a leg stays in the mix after its last frame above the gate (200 ms).
const MIX_HANGOVER: u16 = 10;
/// Talking starts above this level (−40 dBov) for `TALK_ON` ticks …
const TALK_LEVEL: u8 = 40;
const TALK_ON: u16 = 2;
/// … and stops after `TALK_OFF` ticks below it (500 ms).
const TALK_OFF: u16 = 25;

/// Per-leg voice activity: the mix gate, the talking state and a smoothed loudness score.
#[derive(Debug, Clone, Default)]
pub struct VoiceActivity {
    hangover: u16,
    above: u16,
    below: u16,
    /// Talking (with hysteresis).
    pub talking: bool,
    /// Set by the update that flipped `talking`.
    pub changed: bool,
    /// Last frame's level (−dBov).
    pub level: u8,
    /// Exponentially smoothed loudness (127 − level), for active-speaker ranking.
    pub score: f32,
}

impl VoiceActivity {
    /// Consecutive ticks below the talking level, up to now.
    pub fn quiet_ticks(&self) -> u16 {
        self.below
    }

    /// Feeds one frame's level; returns whether the frame belongs in the mix.
    pub fn update(&mut self, level: u8) -> bool {
        self.level = level;
        self.changed = false;
        self.score = self.score * 0.9 + (127 - level) as f32 * 0.1;
        if level <= TALK_LEVEL {
            self.above = self.above.saturating_add(1);
            self.below = 0;
            if !self.talking && self.above >= TALK_ON {
                self.talking = true;
                self.changed = true;
            }
        } else {
            self.below = self.below.saturating_add(1);
            self.above = 0;
            if self.talking && self.below >= TALK_OFF {
                self.talking = false;
                self.changed = true;
            }
        }
        if level <= MIX_GATE {
            self.hangover = MIX_HANGOVER;
            true
        } else if self.hangover > 0 {
            self.hangover -= 1;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_of_full_scale_and_quiet_frames() {
        assert_eq!(level_dbov(&[0; 160]), 127);
        let square: Vec<i16> = (0..160)
            .map(|i| if i % 2 == 0 { 32767 } else { -32767 })
            .collect();
        assert_eq!(level_dbov(&square), 0);
        let sine: Vec<i16> = (0..160)
            .map(|i| (3277.0 * (i as f32 * 0.3).sin()) as i16)
            .collect();
        // −20 dB amplitude, −3 dB for a sine: 23 dBov.
        assert_eq!(level_dbov(&sine), 23);
    }

    #[test]
    fn talking_has_hysteresis() {
        let mut v = VoiceActivity::default();
        assert!(v.update(20));
        assert!(!v.talking);
        v.update(20);
        assert!(v.talking && v.changed);
        for _ in 0..24 {
            v.update(90);
            assert!(v.talking);
        }
        v.update(90);
        assert!(!v.talking && v.changed);
    }
}
