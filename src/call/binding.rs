//! A leg's binding to its meeting: admission (join, lobby, refuse), joining, placing a
//! dial-out in its breakout room, and carrying the meeting's decisions (moves, exchanges,
//! mutes, its end, broadcasts, the countdown) to the leg's media and signalling.

use std::time::Instant;

use super::calls::{media_room, Admission, Calls, Refusal};
use super::leg::PendingJoin;
use super::output::Output;
use super::prompt::{number_words, PromptName};
use super::signal::Signalling;
use super::view::{LegEnd, LegMove, LegState};
use super::{DialTarget, Ivr};
use crate::media::{self, LegId, PromptTarget};
use crate::meeting::{
    self, Actor, Command, EventKind, JoinRequest, MeetingError, Meetings, ParticipantId, Place,
    Role,
};

impl Calls {
    // ---- admission and meetings ---------------------------------------------------------------

    /// Where a call that dialled `target` goes. `media_settled` is false while the answer to
    /// our offer is still to come.
    pub fn admission(
        &self,
        meetings: &Meetings,
        target: DialTarget,
        media_settled: bool,
    ) -> Result<Admission, Refusal> {
        match target {
            DialTarget::Lobby => Ok(Admission::Lobby),
            DialTarget::Meeting { meeting, passcode } => {
                let needs_passcode = meetings
                    .has_passcode(&meeting)
                    .map_err(|e| Refusal::from_join(&meeting, &e))?;
                let join = PendingJoin { meeting, passcode };
                match (needs_passcode, join.passcode.is_some(), media_settled) {
                    // Dialled without the passcode: ask for it rather than refuse the call.
                    (true, false, true) => Ok(Admission::AskPasscode {
                        meeting: join.meeting,
                    }),
                    // The answer comes later; a missing passcode is refused before we answer.
                    (true, false, false) => Err(Refusal::WrongPasscode(join.meeting)),
                    (_, _, true) => Ok(Admission::Join(join)),
                    (_, _, false) => Ok(Admission::JoinOnAnswer(join)),
                }
            }
        }
    }

    /// Applies an admission to a new leg. A refused join leaves the leg for the caller to
    /// refuse and forget.
    pub fn admit(
        &mut self,
        now: Instant,
        meetings: &mut Meetings,
        id: LegId,
        admission: Admission,
    ) -> Result<(), Refusal> {
        match admission {
            Admission::Join(j) => {
                self.join(now, meetings, id, &j.meeting, j.passcode)
                    .map_err(|e| Refusal::from_join(&j.meeting, &e))?;
            }
            Admission::JoinOnAnswer(j) => {
                let l = self
                    .legs
                    .get_mut(&id)
                    .expect("admitted legs are in the table");
                l.join_on_answer = Some(j);
                l.state = LegState::AwaitingAnswer;
            }
            Admission::AskPasscode { meeting } => {
                let l = self
                    .legs
                    .get_mut(&id)
                    .expect("admitted legs are in the table");
                l.state = LegState::Lobby;
                l.ivr = Some(Ivr::for_passcode(now, &meeting));
            }
            Admission::Lobby => {
                let l = self
                    .legs
                    .get_mut(&id)
                    .expect("admitted legs are in the table");
                l.state = LegState::Lobby;
                l.ivr = Some(Ivr::new(now));
            }
        }
        self.touch(id);
        Ok(())
    }

    pub fn join(
        &mut self,
        now: Instant,
        meetings: &mut Meetings,
        id: LegId,
        meeting: &str,
        passcode: Option<String>,
    ) -> Result<ParticipantId, MeetingError> {
        let l = &self.legs[&id];
        let req = JoinRequest {
            name: l.name.clone(),
            identity: l.identity.clone(),
            role: Role::Participant,
            passcode,
        };
        // Register the leg before the meeting's Attach comes out of the pump.
        let pid = meetings.join(now, meeting, req)?;
        self.by_participant.insert(pid, id);
        let l = self.legs.get_mut(&id).expect("checked above");
        l.participant = Some(pid);
        l.meeting = Some(meeting.to_owned());
        l.state = LegState::InMeeting;
        l.ivr = None;
        tracing::info!(leg = id.0, participant = pid.0, %meeting, "joined meeting");
        self.touch(id);
        Ok(pid)
    }

    /// Joins the meeting the leg was waiting for, now that its media is settled.
    pub fn join_pending(
        &mut self,
        now: Instant,
        sig: &mut impl Signalling,
        meetings: &mut Meetings,
        id: LegId,
    ) {
        let Some(j) = self.legs.get_mut(&id).and_then(|l| l.join_on_answer.take()) else {
            return;
        };
        if let Err(e) = self.join(now, meetings, id, &j.meeting, j.passcode) {
            let text = Refusal::from_join(&j.meeting, &e).text();
            tracing::info!(leg = id.0, %text, "could not join after the answer");
            if let Some(l) = self.legs.get(&id) {
                sig.hang_up(now, &l.signal, None);
            }
        }
    }

    /// A dial-out answered: into the breakout room the host chose, now if rooms are open,
    /// otherwise as the assignment applied when they open.
    pub fn place_answered(&mut self, now: Instant, meetings: &mut Meetings, id: LegId) {
        let Some(l) = self.legs.get_mut(&id) else {
            return;
        };
        let (Some(room), Some(pid), Some(meeting)) =
            (l.place_in.take(), l.participant, l.meeting.clone())
        else {
            return;
        };
        let moved = meetings.handle(
            now,
            &meeting,
            Actor::Host,
            Command::Move {
                participant: pid,
                to: Place::Room(room),
            },
        );
        if moved.is_err() {
            let _ = meetings.handle(
                now,
                &meeting,
                Actor::Host,
                Command::Assign {
                    participant: pid,
                    room: Some(room),
                },
            );
        }
        self.touch(id);
    }

    /// A meeting's decision for the media plane: re-point the leg's mix subscription.
    pub fn on_meeting_media(&mut self, cmd: meeting::MediaCommand) {
        use media::MediaCommand as M;
        use meeting::MediaCommand as C;
        match cmd {
            C::Attach { participant, room }
            | C::Move {
                participant,
                to: room,
            } => {
                let Some(leg) = self.leg_of(&participant) else {
                    return;
                };
                let mroom = media_room(&mut self.rooms, room);
                if let Some(l) = self.legs.get_mut(&leg) {
                    l.room = Some(room.room);
                    l.media.room = Some(mroom);
                }
                self.out
                    .push_back(Output::Media(M::Attach { leg, room: mroom }));
                self.request_keyframe(leg);
                self.touch(leg);
            }
            C::Exchange { a, a_to, b, b_to } => {
                let (Some(la), Some(lb)) = (self.leg_of(&a), self.leg_of(&b)) else {
                    return;
                };
                for (leg, to) in [(la, a_to), (lb, b_to)] {
                    let mroom = media_room(&mut self.rooms, to);
                    if let Some(l) = self.legs.get_mut(&leg) {
                        l.room = Some(to.room);
                        l.media.room = Some(mroom);
                    }
                    self.touch(leg);
                }
                self.out
                    .push_back(Output::Media(M::Exchange { a: la, b: lb }));
                self.request_keyframe(la);
                self.request_keyframe(lb);
            }
            C::Detach { participant } => {
                if let Some(leg) = self.leg_of(&participant) {
                    if let Some(l) = self.legs.get_mut(&leg) {
                        l.room = None;
                        l.media.room = None;
                    }
                    self.out.push_back(Output::Media(M::Detach { leg }));
                    self.touch(leg);
                }
            }
            C::Mute { participant, muted } => {
                if let Some(leg) = self.leg_of(&participant) {
                    if let Some(l) = self.legs.get_mut(&leg) {
                        l.muted = muted;
                    }
                    self.out.push_back(Output::Media(M::Mute { leg, muted }));
                    self.touch(leg);
                }
            }
        }
    }

    /// What a meeting's event means for its call legs: prompts, texts, hang-ups, moves.
    pub fn on_meeting_event(
        &mut self,
        now: Instant,
        sig: &mut impl Signalling,
        meetings: &Meetings,
        ev: &meeting::Event,
    ) {
        match &ev.kind {
            EventKind::MeetingEnded { participants } => {
                for p in participants {
                    let Some(leg) = self.by_participant.remove(p) else {
                        continue;
                    };
                    if let Some(l) = self.legs.get_mut(&leg) {
                        l.end = Some(LegEnd::by_us("the meeting ended"));
                        l.participant = None;
                        sig.hang_up(now, &l.signal, Some("The meeting has ended"));
                    }
                }
            }
            EventKind::ParticipantMoved {
                participant,
                from,
                to,
                by,
            } => {
                if let Some(leg) = self.leg_of(participant) {
                    self.record_move(now, leg, *from, *to, *by);
                    self.announce_place(now, sig, meetings, leg);
                }
            }
            EventKind::ParticipantsExchanged {
                a,
                a_to,
                b,
                b_to,
                by,
            } => {
                for (p, from, to) in [(a, *b_to, *a_to), (b, *a_to, *b_to)] {
                    if let Some(leg) = self.leg_of(p) {
                        self.record_move(now, leg, from, to, *by);
                        self.announce_place(now, sig, meetings, leg);
                    }
                }
            }
            EventKind::ParticipantMuted {
                participant, muted, ..
            } => {
                if let Some(leg) = self.leg_of(participant) {
                    let p = if *muted {
                        PromptName::Muted
                    } else {
                        PromptName::Unmuted
                    };
                    self.play(PromptTarget::Leg(leg), &[p]);
                    self.touch(leg);
                }
            }
            EventKind::RoomsClosing { countdown_s } if *countdown_s > 0 => {
                let mut words = vec![PromptName::RoomsClosing];
                words.extend(number_words(*countdown_s));
                words.push(PromptName::Seconds);
                for leg in self.legs_in(ev.meeting.as_str()) {
                    self.play(PromptTarget::Leg(leg), &words);
                }
            }
            EventKind::Broadcast { message, .. } => {
                for leg in self.legs_in(ev.meeting.as_str()) {
                    self.play(
                        PromptTarget::Leg(leg),
                        &[PromptName::Chime, PromptName::Broadcast],
                    );
                    sig.send_text(now, &self.legs[&leg].signal, message);
                }
            }
            _ => {}
        }
    }

    fn legs_in(&self, meeting: &str) -> Vec<LegId> {
        let mut v: Vec<LegId> = self
            .legs
            .values()
            .filter(|l| l.meeting.as_deref() == Some(meeting))
            .map(|l| l.id)
            .collect();
        v.sort();
        v
    }

    fn record_move(&mut self, now: Instant, leg: LegId, from: Place, to: Place, by: Actor) {
        if let Some(l) = self.legs.get_mut(&leg) {
            l.moves.push(LegMove {
                at: now,
                from,
                to,
                by,
            });
            tracing::info!(leg = leg.0, call_id = %l.signal.call_id(), ?from, ?to, ?by, "moved");
        }
        self.touch(leg);
    }

    /// Tells a participant where it now is: "You are in breakout room 3" / "You are in the
    /// main session", and the place's name on its screen where its signalling can show it.
    pub(super) fn announce_place(
        &mut self,
        now: Instant,
        sig: &mut impl Signalling,
        meetings: &Meetings,
        leg: LegId,
    ) {
        let Some(l) = self.legs.get(&leg) else { return };
        let (Some(meeting), Some(place)) = (l.meeting.as_deref(), l.room) else {
            return;
        };
        let label = meetings.place_label(meeting, place).ok().flatten();
        let words = match place {
            Place::Main => vec![PromptName::MainSession],
            Place::Room(_) => {
                let mut v = vec![PromptName::BreakoutRoom];
                v.extend(
                    label
                        .as_ref()
                        .and_then(|l| l.room_number)
                        .map(number_words)
                        .unwrap_or_default(),
                );
                v
            }
        };
        self.play(PromptTarget::Leg(leg), &words);
        if let (Some(label), Some(l)) = (label, self.legs.get(&leg)) {
            sig.show_place(now, &l.signal, &label.name);
        }
    }
}
