//! A peer that changes SSRC (and jumps its sequence and timestamp) mid-call is followed after
//! RFC 3550 A.1 probation; a stray packet from another SSRC is ignored.

use crate::support::media::{goertzel, Peer, Sim};
use roomgate::media::rtp::write_packet;
use roomgate::media::{AudioCodec, LegId, MediaCommand, RoomKey};

#[test]
fn new_ssrc_takes_over_after_probation() {
    let mut sim = Sim::new(8);
    sim.add(Peer::new(1, AudioCodec::Pcmu, 0, Some(600.0)), None);
    let mut l = Peer::new(2, AudioCodec::Pcmu, 0, None);
    l.sending = false;
    sim.add(l, None);
    for id in [1, 2] {
        sim.cmd(MediaCommand::Attach {
            leg: LegId(id),
            room: RoomKey(1),
        });
    }
    sim.run(20);
    // A single stray packet from another source does not disturb playout.
    let mut stray = Vec::new();
    write_packet(&mut stray, false, 0, 9, 9, 0xdead, &[0x00; 160]);
    sim.plane
        .handle_rtp(sim.now, LegId(1), &stray)
        .expect("leg");
    sim.run(5);
    let heard = &sim.peers[1];
    assert!(heard.received[20..25]
        .iter()
        .all(|f| goertzel(f, 600.0, 8000.0) > 3500.0));

    // The peer restarts with a new SSRC, sequence and timestamp (e.g. after a re-INVITE).
    {
        let p = sim.peer(1);
        p.ssrc = 0xbeef;
        p.seq = p.seq.wrapping_add(30000);
        p.ts = p.ts.wrapping_add(1_000_000);
        p.freq = Some(900.0);
    }
    sim.run(20);
    let heard = &sim.peers[1];
    let tail: Vec<i16> = heard.last_frames(10);
    assert!(goertzel(&tail, 900.0, 8000.0) > 3500.0, "new source plays");
    assert!(goertzel(&tail, 600.0, 8000.0) < 100.0);
    let st = sim.plane.stats(LegId(1)).expect("stats");
    assert!(
        st.lost_in <= 0,
        "no loss counted across the restart: {}",
        st.lost_in
    );
}
