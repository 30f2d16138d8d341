//! Six legs each send their own tone; every leg must hear exactly the tones of the others in
//! its room — before and after a move and an exchange, from the very first packet after the
//! change, with its RTP sequence and timestamps running on without a gap or a burst.

use crate::support::media::{goertzel, Peer, Sim};
use roomgate::media::{AudioCodec, LegId, MediaCommand, RoomKey};

/// Integer numbers of cycles in 20 ms, so even one packet separates them cleanly.
const FREQS: [f64; 6] = [400.0, 700.0, 1000.0, 1300.0, 1600.0, 1900.0];
const MAIN: RoomKey = RoomKey(1);
const BREAKOUT: RoomKey = RoomKey(2);

fn setup() -> Sim {
    let mut sim = Sim::new(7);
    for (i, f) in FREQS.iter().enumerate() {
        let codec = if i % 2 == 0 {
            AudioCodec::Pcmu
        } else {
            AudioCodec::Pcma
        };
        let pt = if codec == AudioCodec::Pcmu { 0 } else { 8 };
        sim.add(Peer::new(i as u64 + 1, codec, pt, Some(*f)), None);
    }
    for leg in 1..=6u64 {
        let room = if leg <= 3 { MAIN } else { BREAKOUT };
        sim.cmd(MediaCommand::Attach {
            leg: LegId(leg),
            room,
        });
    }
    sim
}

/// Asserts that `audio` contains exactly the tones of `members` other than `me`.
fn assert_hears(audio: &[i16], me: u64, members: &[u64], what: &str) {
    for (i, f) in FREQS.iter().enumerate() {
        let leg = i as u64 + 1;
        let amp = goertzel(audio, *f, 8000.0);
        let expected = leg != me && members.contains(&leg);
        if expected {
            assert!(
                amp > 2500.0,
                "{what}: leg {me} should hear leg {leg} ({f} Hz), amplitude {amp:.0}"
            );
        } else {
            assert!(
                amp < 150.0,
                "{what}: leg {me} must not hear leg {leg} ({f} Hz), amplitude {amp:.0}"
            );
        }
    }
}

fn check_rooms(sim: &Sim, rooms: &[&[u64]], frames: usize, what: &str) {
    for members in rooms {
        for &me in members.iter() {
            let p = sim.peers.iter().find(|p| p.id == LegId(me)).expect("peer");
            assert_hears(&p.last_frames(frames), me, members, what);
        }
    }
}

fn assert_continuous(sim: &Sim) {
    for p in &sim.peers {
        for w in p.headers.windows(2) {
            assert_eq!(w[1].0, w[0].0.wrapping_add(1), "leg {:?}: seq gap", p.id);
            assert_eq!(
                w[1].1,
                w[0].1.wrapping_add(160),
                "leg {:?}: timestamp gap",
                p.id
            );
            assert!(!w[1].2, "leg {:?}: unexpected marker", p.id);
            assert_eq!(w[1].3, w[0].3, "leg {:?}: SSRC changed", p.id);
        }
    }
}

#[test]
fn each_room_hears_only_itself_across_moves_and_an_exchange() {
    let mut sim = setup();
    sim.run(20);
    check_rooms(&sim, &[&[1, 2, 3], &[4, 5, 6]], 10, "initial");
    // Every leg got exactly one packet per tick.
    for p in &sim.peers {
        assert_eq!(p.received.len(), 20, "leg {:?}", p.id);
    }

    // Move leg 1 to the breakout room: its very next packet carries the breakout mix.
    sim.cmd(MediaCommand::Move {
        leg: LegId(1),
        room: BREAKOUT,
    });
    sim.step();
    let first = sim.peer(1).last_frames(1);
    assert_hears(&first, 1, &[1, 4, 5, 6], "first packet after the move");
    let first_main = sim.peer(2).last_frames(1);
    assert_hears(&first_main, 2, &[2, 3], "main session right after the move");
    sim.run(10);
    check_rooms(&sim, &[&[2, 3], &[1, 4, 5, 6]], 8, "after move");

    // Exchange leg 2 (main) and leg 5 (breakout), atomically.
    sim.cmd(MediaCommand::Exchange {
        a: LegId(2),
        b: LegId(5),
    });
    sim.step();
    assert_hears(
        &sim.peer(2).last_frames(1),
        2,
        &[1, 2, 4, 6],
        "first packet after exchange",
    );
    assert_hears(
        &sim.peer(5).last_frames(1),
        5,
        &[3, 5],
        "first packet after exchange",
    );
    sim.run(10);
    check_rooms(&sim, &[&[3, 5], &[1, 2, 4, 6]], 8, "after exchange");

    // Back to the main session for everyone.
    for leg in 1..=6u64 {
        sim.cmd(MediaCommand::Move {
            leg: LegId(leg),
            room: MAIN,
        });
    }
    sim.run(10);
    check_rooms(
        &sim,
        &[&[1, 2, 3, 4, 5, 6]],
        8,
        "all back in the main session",
    );
    assert_eq!(
        sim.plane.room_count(),
        1,
        "the empty breakout room costs nothing"
    );

    assert_continuous(&sim);
    for p in &sim.peers {
        assert_eq!(
            p.received.len(),
            20 + 1 + 10 + 1 + 10 + 10,
            "leg {:?}",
            p.id
        );
    }
}

#[test]
fn a_muted_leg_is_heard_by_nobody_but_still_hears() {
    let mut sim = setup();
    sim.cmd(MediaCommand::Mute {
        leg: LegId(2),
        muted: true,
    });
    sim.run(15);
    for me in [1u64, 3] {
        let p = sim.peers.iter().find(|p| p.id == LegId(me)).expect("peer");
        assert_hears(&p.last_frames(8), me, &[1, 3], "muted leg 2");
    }
    let p = sim.peers.iter().find(|p| p.id == LegId(2)).expect("peer");
    assert_hears(&p.last_frames(8), 2, &[1, 2, 3], "muted leg still hears");
}
