//! The words roomgate speaks, and the sentences it composes from them.
//!
//! A prompt is named by [`PromptName`], one enum for the call layer that plays it and for the
//! runtime that loads its audio: a misspelt name is a compile error, not a silent gap.

use std::collections::HashMap;
use std::sync::Arc;

/// The rate of every prompt asset (16 kHz mono PCM).
pub const PROMPT_RATE: u32 = 16_000;

macro_rules! prompt_names {
    ($($variant:ident = $file:literal),* $(,)?) => {
        /// One spoken word or phrase: `assets/prompts/<file_name>.wav`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum PromptName { $($variant),* }

        impl PromptName {
            /// Every prompt, in declaration order.
            pub const ALL: &'static [PromptName] = &[$(PromptName::$variant),*];

            /// The asset's file name without `.wav`.
            pub const fn file_name(self) -> &'static str {
                match self { $(PromptName::$variant => $file),* }
            }
        }
    };
}

prompt_names! {
    Welcome = "welcome",
    EnterPasscode = "enter_passcode",
    InvalidMeeting = "invalid_meeting",
    InvalidPasscode = "invalid_passcode",
    Goodbye = "goodbye",
    Joining = "joining",
    MainSession = "main_session",
    BreakoutRoom = "breakout_room",
    Muted = "muted",
    Unmuted = "unmuted",
    HelpRequested = "help_requested",
    NotAllowed = "not_allowed",
    RoomsClosing = "rooms_closing",
    Seconds = "seconds",
    MeetingEnded = "meeting_ended",
    Broadcast = "broadcast",
    KeypadMenu = "keypad_menu",
    Chime = "chime",
    N0 = "n_zero",
    N1 = "n_one",
    N2 = "n_two",
    N3 = "n_three",
    N4 = "n_four",
    N5 = "n_five",
    N6 = "n_six",
    N7 = "n_seven",
    N8 = "n_eight",
    N9 = "n_nine",
    N10 = "n_ten",
    N11 = "n_eleven",
    N12 = "n_twelve",
    N13 = "n_thirteen",
    N14 = "n_fourteen",
    N15 = "n_fifteen",
    N16 = "n_sixteen",
    N17 = "n_seventeen",
    N18 = "n_eighteen",
    N19 = "n_nineteen",
    N20 = "n_twenty",
    N30 = "n_thirty",
    N40 = "n_forty",
    N50 = "n_fifty",
    N60 = "n_sixty",
    N70 = "n_seventy",
    N80 = "n_eighty",
    N90 = "n_ninety",
    Hundred = "n_hundred",
}

/// The prompt audio by name, as the runtime loaded it.
pub type PromptAssets = HashMap<PromptName, Arc<[i16]>>;

/// The words for 0..=999 (`[N40, N2]` for 42).
pub fn number_words(n: u32) -> Vec<PromptName> {
    use PromptName::*;
    const SMALL: [PromptName; 20] = [
        N0, N1, N2, N3, N4, N5, N6, N7, N8, N9, N10, N11, N12, N13, N14, N15, N16, N17, N18, N19,
    ];
    const TENS: [PromptName; 10] = [N0, N10, N20, N30, N40, N50, N60, N70, N80, N90];
    let mut v = Vec::new();
    let n = n.min(999);
    if n >= 100 {
        v.push(SMALL[(n / 100) as usize]);
        v.push(Hundred);
        if n % 100 == 0 {
            return v;
        }
    }
    let r = n % 100;
    if r < 20 {
        if r > 0 || v.is_empty() {
            v.push(SMALL[r as usize]);
        }
    } else {
        v.push(TENS[(r / 10) as usize]);
        if r % 10 > 0 {
            v.push(SMALL[(r % 10) as usize]);
        }
    }
    v
}

/// Sentences composed from prompt words, shared by every leg that hears them (500 legs told
/// "breakout room 3" hold one copy, not 500).
#[derive(Debug, Default)]
pub struct Sentences {
    assets: PromptAssets,
    composed: HashMap<Vec<PromptName>, Arc<[i16]>>,
}

impl Sentences {
    /// Sentences are few (prompt words × room numbers); the cache is bounded anyway.
    const MAX: usize = 512;

    pub fn new(assets: PromptAssets) -> Sentences {
        Sentences {
            assets,
            composed: HashMap::new(),
        }
    }

    /// The sentence's samples, composed once; `None` when none of its words has audio (a test
    /// build may have no assets).
    pub fn compose(&mut self, words: &[PromptName]) -> Option<Arc<[i16]>> {
        if let Some(s) = self.composed.get(words) {
            return Some(s.clone());
        }
        let mut samples: Vec<i16> = Vec::new();
        for w in words {
            if let Some(p) = self.assets.get(w) {
                samples.extend_from_slice(p);
                // A short pause between words keeps composed sentences intelligible.
                samples.extend(std::iter::repeat_n(0, PROMPT_RATE as usize / 20));
            }
        }
        if samples.is_empty() {
            return None;
        }
        if self.composed.len() >= Self::MAX {
            self.composed.clear();
        }
        let s: Arc<[i16]> = samples.into();
        self.composed.insert(words.to_vec(), s.clone());
        Some(s)
    }

    /// How long the words play, without the pauses (for a hang-up after a goodbye).
    pub fn duration_ms(&self, words: &[PromptName]) -> u64 {
        let samples: usize = words
            .iter()
            .filter_map(|w| self.assets.get(w))
            .map(|p| p.len())
            .sum();
        samples as u64 * 1000 / PROMPT_RATE as u64
    }
}

#[cfg(test)]
mod tests {
    use super::PromptName::*;
    use super::*;

    #[test]
    fn numbers_are_spoken() {
        assert_eq!(number_words(3), [N3]);
        assert_eq!(number_words(0), [N0]);
        assert_eq!(number_words(17), [N17]);
        assert_eq!(number_words(20), [N20]);
        assert_eq!(number_words(42), [N40, N2]);
        assert_eq!(number_words(100), [N1, Hundred]);
        assert_eq!(number_words(105), [N1, Hundred, N5]);
    }

    #[test]
    fn a_sentence_is_composed_once_and_shared() {
        let mut s = Sentences::new(PromptAssets::from([
            (BreakoutRoom, vec![1i16; 800].into()),
            (N3, vec![2i16; 800].into()),
        ]));
        let a = s.compose(&[BreakoutRoom, N3]).expect("has audio");
        let b = s.compose(&[BreakoutRoom, N3]).expect("has audio");
        assert_eq!(a.len(), 2 * (800 + PROMPT_RATE as usize / 20));
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(s.compose(&[Goodbye]), None, "no audio for it");
        assert_eq!(s.duration_ms(&[BreakoutRoom, N3]), 100);
    }

    #[test]
    fn file_names_are_distinct() {
        let mut names: Vec<_> = PromptName::ALL.iter().map(|p| p.file_name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), PromptName::ALL.len());
    }
}
