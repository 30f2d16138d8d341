//! A moved leg hears its new room at once: the move command itself puts out the leg's next
//! packet (the new room's mix, stamped for the coming tick), the coming tick skips that leg,
//! and the stream stays one packet per tick with continuous sequence numbers and timestamps.

use crate::support::media::{goertzel, Peer, Sim};
use roomgate::media::codec::AudioCodec;
use roomgate::media::{LegId, MediaCommand, RoomKey};

const MAIN: RoomKey = RoomKey(1);
const BREAKOUT: RoomKey = RoomKey(2);

#[test]
fn the_move_itself_sends_the_new_rooms_audio() {
    let mut sim = Sim::new(5);
    for (id, f) in [(1, 500.0), (2, 900.0), (3, 1300.0)] {
        sim.add(Peer::new(id, AudioCodec::Pcmu, 0, Some(f)), None);
    }
    for (leg, room) in [(1, MAIN), (2, MAIN), (3, BREAKOUT)] {
        sim.cmd(MediaCommand::Attach {
            leg: LegId(leg),
            room,
        });
    }
    sim.run(10);
    let before = sim.peer(1).headers.len();

    sim.cmd(MediaCommand::Move {
        leg: LegId(1),
        room: BREAKOUT,
    });
    // Out before any tick: the breakout's tone, not the main session's.
    let p = sim.peer(1);
    assert_eq!(p.headers.len(), before + 1, "no packet sent ahead");
    let ahead = p.last_frames(1);
    assert!(goertzel(&ahead, 1300.0, 8000.0) > 2500.0);
    assert!(goertzel(&ahead, 900.0, 8000.0) < 150.0);

    // The coming tick has nothing more for it; the one after does, and the stream never broke.
    sim.step();
    assert_eq!(sim.peer(1).headers.len(), before + 1);
    sim.run(5);
    let p = sim.peer(1);
    assert_eq!(p.headers.len(), before + 6);
    for w in p.headers.windows(2) {
        assert_eq!(w[1].0, w[0].0.wrapping_add(1), "seq gap");
        assert_eq!(w[1].1, w[0].1.wrapping_add(160), "timestamp gap");
        assert!(!w[1].2, "marker");
    }
}
