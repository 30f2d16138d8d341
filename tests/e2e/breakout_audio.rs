//! Room systems in breakout rooms, end to end over real sockets: four room systems dial meeting
//! 1000, each sending its own tone; the host opens two breakout rooms, moves one, exchanges two
//! and closes with a countdown. At every step each room system must hear exactly the tones of
//! the others in its room (Goertzel over what it received), and no call may be re-INVITEd or
//! hung up by a move.

use crate::support;

use std::net::SocketAddr;
use std::thread::sleep;
use std::time::{Duration, Instant};
use support::room::RoomSystem;
use support::tour::{breakout_tour, places};
use support::Roomgate;

const TONES: [f64; 4] = [500.0, 800.0, 1100.0, 1400.0];

#[test]
fn each_room_system_hears_exactly_its_room_through_moves_and_exchange() {
    let rg = Roomgate::start(&[]);
    let gw: SocketAddr = ([127, 0, 0, 1], rg.sip_port).into();
    let names = ["Boardroom", "Huddle", "Lab", "Lobby"];
    let rooms: Vec<RoomSystem> = names
        .iter()
        .zip(TONES)
        .map(|(n, f)| RoomSystem::call(gw, "1000", n, f))
        .collect();
    assert_eq!(places(&rg).len(), 4);
    breakout_tour(&rg, &rooms, &TONES);

    for rs in &rooms {
        assert_eq!(rs.reinvites(), 0, "{} was re-INVITEd by a move", rs.name);
        assert_eq!(rs.byes(), 0, "{} was hung up", rs.name);
    }
    for rs in rooms {
        rs.hangup();
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while !places(&rg).is_empty() {
        assert!(
            Instant::now() < deadline,
            "participants left behind after BYE"
        );
        sleep(Duration::from_millis(100));
    }
}
