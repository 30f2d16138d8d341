//! Prompts and tones: to one leg (mixed over what it hears, nobody else hears it), to a whole
//! room (everyone, talkers included), and to a leg in no room (it hears only the prompt);
//! each reports PromptDone when it ends.

use crate::support::media::{goertzel, Peer, Sim};
use roomgate::media::{AudioCodec, LegId, MediaCommand, MediaEvent, Prompt, PromptTarget, RoomKey};

fn heard(sim: &Sim, id: u64, frames: usize) -> Vec<i16> {
    sim.peers
        .iter()
        .find(|p| p.id == LegId(id))
        .expect("peer")
        .last_frames(frames)
}

fn amp(sim: &Sim, id: u64, f: f64) -> f64 {
    goertzel(&heard(sim, id, 5), f, 8000.0)
}

#[test]
fn prompts_to_a_leg_a_room_and_a_lone_leg() {
    let mut sim = Sim::new(4);
    sim.add(Peer::new(1, AudioCodec::Pcmu, 0, Some(500.0)), None);
    for id in [2, 3, 4] {
        let mut p = Peer::new(id, AudioCodec::Pcma, 8, None);
        p.sending = false;
        sim.add(p, None);
    }
    for id in 1..=3 {
        sim.cmd(MediaCommand::Attach {
            leg: LegId(id),
            room: RoomKey(1),
        });
    }
    sim.run(10);
    let tone = Prompt::tone(&[1000.0], 400, 8000, -20.0);

    // To leg 2 only.
    sim.cmd(MediaCommand::PlayPrompt {
        target: PromptTarget::Leg(LegId(2)),
        prompt: tone.clone(),
    });
    sim.run(10);
    assert!(amp(&sim, 2, 1000.0) > 2500.0, "leg 2 hears its prompt");
    assert!(amp(&sim, 2, 500.0) > 3500.0, "over the room audio");
    assert!(amp(&sim, 3, 1000.0) < 100.0, "leg 3 does not");
    assert!(amp(&sim, 1, 1000.0) < 100.0, "leg 1 does not");
    sim.run(15);
    assert!(amp(&sim, 2, 1000.0) < 100.0, "prompt over");
    assert!(sim.events.contains(&MediaEvent::PromptDone {
        target: PromptTarget::Leg(LegId(2))
    }));

    // To the room: everyone, the talker included.
    sim.cmd(MediaCommand::PlayPrompt {
        target: PromptTarget::Room(RoomKey(1)),
        prompt: tone.clone(),
    });
    sim.run(10);
    for id in 1..=3 {
        assert!(
            amp(&sim, id, 1000.0) > 2500.0,
            "leg {id} hears the room prompt"
        );
    }
    assert!(
        amp(&sim, 1, 500.0) < 100.0,
        "the talker still does not hear itself"
    );
    sim.run(15);
    assert!(sim.events.contains(&MediaEvent::PromptDone {
        target: PromptTarget::Room(RoomKey(1))
    }));

    // To leg 4, in no room: packets only while the prompt plays, carrying only the prompt.
    let before = sim.peers[3].received.len();
    assert_eq!(before, 0, "a leg in no room is sent nothing");
    sim.cmd(MediaCommand::PlayPrompt {
        target: PromptTarget::Leg(LegId(4)),
        prompt: tone,
    });
    sim.run(30);
    let got = sim.peers[3].received.len();
    assert_eq!(got, 20, "400 ms of prompt, 20 packets");
    let all = heard(&sim, 4, 20);
    assert!(goertzel(&all[400..2800], 1000.0, 8000.0) > 2500.0);
    assert!(goertzel(&all, 500.0, 8000.0) < 100.0);
}
