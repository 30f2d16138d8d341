//! A leg's keypad and lobby IVR, and the prompts it hears.

use std::time::{Duration, Instant};

use super::calls::Calls;
use super::output::Output;
use super::prompt::{PromptName, PROMPT_RATE};
use super::signal::Signalling;
use super::view::LegEnd;
use super::{Ivr, IvrOutput, KeyAction};
use crate::media::{self, LegId, Prompt, PromptTarget};
use crate::meeting::{Actor, Command, Meetings, Place};

impl Calls {
    // ---- keypad and IVR -----------------------------------------------------------------------

    /// A digit from the leg's keypad (RFC 4733, SIP INFO, H.245 user input).
    pub fn on_digit(
        &mut self,
        now: Instant,
        sig: &mut impl Signalling,
        meetings: &mut Meetings,
        id: LegId,
        digit: char,
    ) {
        let Some(l) = self.legs.get_mut(&id) else {
            return;
        };
        tracing::debug!(leg = id.0, %digit, "digit");
        if let Some(ivr) = l.ivr.as_mut() {
            ivr.digit(now, digit);
            self.run_ivr(now, meetings, id);
        } else if let Some(action) = l.keypad.digit(now, digit) {
            self.on_key_action(now, sig, meetings, id, action);
        }
        self.schedule(id);
    }

    /// Drains the leg's IVR.
    pub fn run_ivr(&mut self, now: Instant, meetings: &mut Meetings, id: LegId) {
        while let Some(out) = self
            .legs
            .get_mut(&id)
            .and_then(|l| l.ivr.as_mut())
            .and_then(Ivr::poll_output)
        {
            match out {
                IvrOutput::Play(words) => self.play(PromptTarget::Leg(id), &words),
                IvrOutput::Lookup { meeting } => {
                    let found = meetings.has_passcode(&meeting).ok();
                    if let Some(ivr) = self.legs.get_mut(&id).and_then(|l| l.ivr.as_mut()) {
                        ivr.meeting_found(now, found);
                    }
                }
                IvrOutput::Join { meeting, passcode } => {
                    if let Err(e) = self.join(now, meetings, id, &meeting, passcode) {
                        tracing::info!(leg = id.0, error = %e, "IVR join refused");
                        if let Some(ivr) = self.legs.get_mut(&id).and_then(|l| l.ivr.as_mut()) {
                            ivr.passcode_refused(now);
                        }
                    }
                }
                IvrOutput::Hangup => {
                    let ms = self
                        .sentences
                        .duration_ms(&[PromptName::InvalidMeeting, PromptName::Goodbye]);
                    if let Some(l) = self.legs.get_mut(&id) {
                        l.ivr = None;
                        l.end = Some(LegEnd::by_us("no valid meeting entered at the lobby"));
                        l.hangup_at = Some(now + Duration::from_millis(ms + 300));
                    }
                }
            }
        }
        self.schedule(id);
    }

    fn on_key_action(
        &mut self,
        now: Instant,
        sig: &mut impl Signalling,
        meetings: &mut Meetings,
        id: LegId,
        action: KeyAction,
    ) {
        let l = &self.legs[&id];
        let (Some(meeting), Some(pid)) = (l.meeting.clone(), l.participant) else {
            return;
        };
        let actor = Actor::Participant(pid);
        let cmd = match action {
            KeyAction::Menu => {
                self.play(PromptTarget::Leg(id), &[PromptName::KeypadMenu]);
                return;
            }
            KeyAction::WhereAmI => {
                self.announce_place(now, sig, meetings, id);
                return;
            }
            KeyAction::ToggleMute => Command::Mute {
                participant: pid,
                muted: !l.muted,
            },
            KeyAction::AskForHelp => Command::RequestHelp { participant: pid },
            KeyAction::ReturnToMain => Command::Move {
                participant: pid,
                to: Place::Main,
            },
            KeyAction::JoinRoom(n) => {
                let room = meetings
                    .breakouts(now, &meeting)
                    .ok()
                    .and_then(|b| b.rooms.get(n as usize - 1).map(|r| r.id));
                match room {
                    Some(room) => Command::Move {
                        participant: pid,
                        to: Place::Room(room),
                    },
                    None => {
                        self.play(PromptTarget::Leg(id), &[PromptName::NotAllowed]);
                        return;
                    }
                }
            }
        };
        let ack = match &cmd {
            Command::RequestHelp { .. } => Some(PromptName::HelpRequested),
            _ => None,
        };
        match meetings.handle(now, &meeting, actor, cmd) {
            Ok(_) => {
                if let Some(p) = ack {
                    self.play(PromptTarget::Leg(id), &[p]);
                }
            }
            Err(e) => {
                tracing::info!(leg = id.0, error = %e, "keypad command refused");
                self.play(PromptTarget::Leg(id), &[PromptName::NotAllowed]);
            }
        }
    }

    /// Plays prompts back to back. Words without audio are skipped (a test build may have none).
    pub fn play(&mut self, target: PromptTarget, words: &[PromptName]) {
        let Some(samples) = self.sentences.compose(words) else {
            return;
        };
        let prompt = Prompt::pcm(PROMPT_RATE, samples);
        self.out
            .push_back(Output::Media(media::MediaCommand::PlayPrompt {
                target,
                prompt,
            }));
    }
}
