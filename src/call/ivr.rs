//! The lobby IVR: asks a caller who dialled the bare host (or a lobby number) for the meeting
//! id and, when the meeting has one, its passcode. Three attempts, then goodbye.
//!
//! Sans-IO: digits and `now` in, [`IvrOutput`]s out. The engine plays the named prompts,
//! answers [`IvrOutput::Lookup`] with [`Ivr::meeting_found`], and tries [`IvrOutput::Join`]
//! (the meeting checks the passcode), reporting a refused passcode with
//! [`Ivr::passcode_refused`]. The IVR knows nothing of meetings.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::prompt::PromptName;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IvrOutput {
    /// Stop whatever prompt is playing and play these, in order.
    Play(Vec<PromptName>),
    /// Does this meeting exist, and does it need a passcode? Answer with `meeting_found`.
    Lookup { meeting: String },
    /// Try to admit the caller; the meeting checks the passcode.
    Join {
        meeting: String,
        passcode: Option<String>,
    },
    /// Give up: play goodbye (already queued) and hang up.
    Hangup,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    MeetingId,
    Looking,
    Passcode,
    Joining,
    Done,
}

#[derive(Debug)]
pub struct Ivr {
    stage: Stage,
    digits: String,
    meeting: String,
    attempts: u8,
    deadline: Option<Instant>,
    out: VecDeque<IvrOutput>,
}

impl Ivr {
    pub const ATTEMPTS: u8 = 3;
    /// How long we wait for the caller to finish an entry before we count a failed attempt.
    pub const ENTRY_TIMEOUT: Duration = Duration::from_secs(15);
    const MAX_DIGITS: usize = 20;

    pub fn new(now: Instant) -> Self {
        let mut ivr = Ivr {
            stage: Stage::MeetingId,
            digits: String::new(),
            meeting: String::new(),
            attempts: 0,
            deadline: Some(now + Self::ENTRY_TIMEOUT),
            out: VecDeque::new(),
        };
        ivr.out
            .push_back(IvrOutput::Play(vec![PromptName::Welcome]));
        ivr
    }

    /// For a caller who dialled a meeting that needs a passcode without giving one: ask only
    /// for the passcode.
    pub fn for_passcode(now: Instant, meeting: &str) -> Self {
        Ivr {
            stage: Stage::Passcode,
            digits: String::new(),
            meeting: meeting.to_owned(),
            attempts: 0,
            deadline: Some(now + Self::ENTRY_TIMEOUT),
            out: VecDeque::from([IvrOutput::Play(vec![PromptName::EnterPasscode])]),
        }
    }

    pub fn digit(&mut self, now: Instant, d: char) {
        if !matches!(self.stage, Stage::MeetingId | Stage::Passcode) {
            return;
        }
        self.deadline = Some(now + Self::ENTRY_TIMEOUT);
        if d != '#' {
            if d.is_ascii_digit() && self.digits.len() < Self::MAX_DIGITS {
                self.digits.push(d);
            }
            return;
        }
        let entry = std::mem::take(&mut self.digits);
        match self.stage {
            Stage::MeetingId if entry.is_empty() => self.fail(now, PromptName::InvalidMeeting),
            Stage::MeetingId => {
                self.meeting = entry.clone();
                self.stage = Stage::Looking;
                self.deadline = None;
                self.out.push_back(IvrOutput::Lookup { meeting: entry });
            }
            Stage::Passcode => {
                self.stage = Stage::Joining;
                self.deadline = None;
                self.out.push_back(IvrOutput::Join {
                    meeting: self.meeting.clone(),
                    passcode: Some(entry),
                });
            }
            Stage::Looking | Stage::Joining | Stage::Done => unreachable!("filtered above"),
        }
    }

    /// The engine's answer to [`IvrOutput::Lookup`]: `None` when there is no such meeting,
    /// `Some(needs_passcode)` when there is.
    pub fn meeting_found(&mut self, now: Instant, found: Option<bool>) {
        if self.stage != Stage::Looking {
            return;
        }
        match found {
            None => {
                self.stage = Stage::MeetingId;
                self.fail(now, PromptName::InvalidMeeting);
            }
            Some(false) => {
                self.stage = Stage::Done;
                self.deadline = None;
                self.out
                    .push_back(IvrOutput::Play(vec![PromptName::Joining]));
                self.out.push_back(IvrOutput::Join {
                    meeting: self.meeting.clone(),
                    passcode: None,
                });
            }
            Some(true) => {
                self.stage = Stage::Passcode;
                self.deadline = Some(now + Self::ENTRY_TIMEOUT);
                self.out
                    .push_back(IvrOutput::Play(vec![PromptName::EnterPasscode]));
            }
        }
    }

    /// The meeting refused the passcode of the last [`IvrOutput::Join`].
    pub fn passcode_refused(&mut self, now: Instant) {
        if self.stage == Stage::Joining {
            self.stage = Stage::Passcode;
            self.fail(now, PromptName::InvalidPasscode);
        }
    }

    /// The caller was admitted: the IVR has nothing more to do.
    pub fn admitted(&mut self) {
        self.stage = Stage::Done;
        self.deadline = None;
    }

    fn fail(&mut self, now: Instant, why: PromptName) {
        self.attempts += 1;
        self.digits.clear();
        if self.attempts >= Self::ATTEMPTS {
            self.stage = Stage::Done;
            self.deadline = None;
            self.out
                .push_back(IvrOutput::Play(vec![why, PromptName::Goodbye]));
            self.out.push_back(IvrOutput::Hangup);
            return;
        }
        let again = match self.stage {
            Stage::Passcode => PromptName::EnterPasscode,
            _ => PromptName::Welcome,
        };
        self.deadline = Some(now + Self::ENTRY_TIMEOUT);
        self.out.push_back(IvrOutput::Play(vec![why, again]));
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        if self.deadline.is_some_and(|d| now >= d) {
            let why = match self.stage {
                Stage::Passcode => PromptName::InvalidPasscode,
                _ => PromptName::InvalidMeeting,
            };
            self.fail(now, why);
        }
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        self.deadline
    }

    pub fn poll_output(&mut self) -> Option<IvrOutput> {
        self.out.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(ivr: &mut Ivr) -> Vec<IvrOutput> {
        std::iter::from_fn(|| ivr.poll_output()).collect()
    }
    fn keys(ivr: &mut Ivr, now: Instant, s: &str) {
        s.chars().for_each(|c| ivr.digit(now, c));
    }

    #[test]
    fn meeting_without_passcode() {
        let t = Instant::now();
        let mut ivr = Ivr::new(t);
        assert_eq!(
            drain(&mut ivr),
            [IvrOutput::Play(vec![PromptName::Welcome])]
        );
        keys(&mut ivr, t, "1000#");
        assert_eq!(
            drain(&mut ivr),
            [IvrOutput::Lookup {
                meeting: "1000".into()
            }]
        );
        ivr.meeting_found(t, Some(false));
        let out = drain(&mut ivr);
        assert_eq!(
            out[1],
            IvrOutput::Join {
                meeting: "1000".into(),
                passcode: None
            }
        );
        assert_eq!(ivr.poll_timeout(), None);
    }

    #[test]
    fn passcode_with_one_mistake() {
        let t = Instant::now();
        let mut ivr = Ivr::new(t);
        keys(&mut ivr, t, "42#");
        ivr.meeting_found(t, Some(true));
        drain(&mut ivr);
        keys(&mut ivr, t, "778#");
        assert_eq!(
            drain(&mut ivr),
            [IvrOutput::Join {
                meeting: "42".into(),
                passcode: Some("778".into())
            }]
        );
        ivr.passcode_refused(t);
        assert_eq!(
            drain(&mut ivr),
            [IvrOutput::Play(vec![
                PromptName::InvalidPasscode,
                PromptName::EnterPasscode
            ])]
        );
        keys(&mut ivr, t, "777#");
        assert!(drain(&mut ivr).contains(&IvrOutput::Join {
            meeting: "42".into(),
            passcode: Some("777".into())
        }));
        ivr.admitted();
        assert_eq!(ivr.poll_timeout(), None);
    }

    #[test]
    fn passcode_only_when_the_meeting_was_dialled() {
        let t = Instant::now();
        let mut ivr = Ivr::for_passcode(t, "1000");
        assert_eq!(
            drain(&mut ivr),
            [IvrOutput::Play(vec![PromptName::EnterPasscode])]
        );
        keys(&mut ivr, t, "4321#");
        assert_eq!(
            drain(&mut ivr),
            [IvrOutput::Join {
                meeting: "1000".into(),
                passcode: Some("4321".into())
            }]
        );
    }

    #[test]
    fn three_strikes_then_goodbye() {
        let t = Instant::now();
        let mut ivr = Ivr::new(t);
        for _ in 0..3 {
            keys(&mut ivr, t, "9#");
            ivr.meeting_found(t, None);
        }
        let out = drain(&mut ivr);
        assert_eq!(out.last(), Some(&IvrOutput::Hangup));
        assert!(out.contains(&IvrOutput::Play(vec![
            PromptName::InvalidMeeting,
            PromptName::Goodbye
        ])));
        keys(&mut ivr, t, "1000#");
        assert!(drain(&mut ivr).is_empty(), "no input after hang-up");
    }

    #[test]
    fn silence_counts_as_an_attempt() {
        let t = Instant::now();
        let mut ivr = Ivr::new(t);
        drain(&mut ivr);
        let mut now = t;
        for _ in 0..3 {
            now = ivr.poll_timeout().expect("waiting for digits");
            ivr.handle_timeout(now);
        }
        assert_eq!(drain(&mut ivr).last(), Some(&IvrOutput::Hangup));
        assert!(now >= t + Ivr::ENTRY_TIMEOUT * 3);
    }
}
