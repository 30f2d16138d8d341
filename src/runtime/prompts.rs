//! The voice prompts, built into the binary so a fresh install speaks without any files.
//! `scripts/make-prompts.sh` made them (16 kHz mono 16-bit WAV).

use std::sync::Arc;

use crate::call::{PromptAssets, PromptName};

macro_rules! prompts {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_bytes!(concat!("../../assets/prompts/", $name, ".wav")) as &[u8])),*]
    };
}

const ASSETS: &[(&str, &[u8])] = prompts![
    "welcome",
    "enter_passcode",
    "invalid_meeting",
    "invalid_passcode",
    "goodbye",
    "joining",
    "main_session",
    "breakout_room",
    "muted",
    "unmuted",
    "help_requested",
    "not_allowed",
    "rooms_closing",
    "seconds",
    "meeting_ended",
    "broadcast",
    "keypad_menu",
    "chime",
    "n_zero",
    "n_one",
    "n_two",
    "n_three",
    "n_four",
    "n_five",
    "n_six",
    "n_seven",
    "n_eight",
    "n_nine",
    "n_ten",
    "n_eleven",
    "n_twelve",
    "n_thirteen",
    "n_fourteen",
    "n_fifteen",
    "n_sixteen",
    "n_seventeen",
    "n_eighteen",
    "n_nineteen",
    "n_twenty",
    "n_thirty",
    "n_forty",
    "n_fifty",
    "n_sixty",
    "n_seventy",
    "n_eighty",
    "n_ninety",
    "n_hundred",
];

/// PCM samples of a 16-bit mono WAV file's `data` chunk, if it is one.
pub fn wav_samples(wav: &[u8]) -> Option<Vec<i16>> {
    if wav.len() < 12 || &wav[..4] != b"RIFF" || &wav[8..12] != b"WAVE" {
        return None;
    }
    let mut at = 12;
    let mut pcm16 = false;
    while at + 8 <= wav.len() {
        let id = &wav[at..at + 4];
        let len = u32::from_le_bytes(wav[at + 4..at + 8].try_into().ok()?) as usize;
        let body = wav.get(at + 8..at + 8 + len)?;
        match id {
            b"fmt " if body.len() >= 16 => {
                let format = u16::from_le_bytes([body[0], body[1]]);
                let channels = u16::from_le_bytes([body[2], body[3]]);
                let bits = u16::from_le_bytes([body[14], body[15]]);
                pcm16 = format == 1 && channels == 1 && bits == 16;
            }
            b"data" if pcm16 => {
                return Some(
                    body.chunks_exact(2)
                        .map(|c| i16::from_le_bytes([c[0], c[1]]))
                        .collect(),
                );
            }
            _ => {}
        }
        at += 8 + len + (len & 1);
    }
    None
}

/// Every prompt by name, ready for the gateway.
pub fn load() -> PromptAssets {
    ASSETS
        .iter()
        .map(|(file, wav)| {
            let name = PromptName::ALL
                .iter()
                .copied()
                .find(|p| p.file_name() == *file)
                .expect("every bundled prompt is a PromptName (tested)");
            let pcm = wav_samples(wav).expect("bundled prompts are 16-bit mono WAV");
            (name, Arc::from(pcm))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_prompt_name_has_one_bundled_asset() {
        for name in PromptName::ALL {
            let n = ASSETS
                .iter()
                .filter(|(f, _)| *f == name.file_name())
                .count();
            assert_eq!(
                n,
                1,
                "{name:?} ({}.wav) bundled {n} times",
                name.file_name()
            );
        }
        assert_eq!(
            ASSETS.len(),
            PromptName::ALL.len(),
            "an asset no PromptName names"
        );
    }

    #[test]
    fn every_bundled_prompt_decodes_and_has_sound() {
        let p = load();
        assert_eq!(p.len(), ASSETS.len());
        for (name, pcm) in &p {
            assert!(pcm.len() > 1600, "{name:?} is shorter than 0.1 s");
            let peak = pcm.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0);
            assert!(peak > 3000, "{name:?} is silent (peak {peak})");
        }
    }

    #[test]
    fn rejects_non_wav() {
        assert!(wav_samples(b"not a wav file at all").is_none());
    }
}
