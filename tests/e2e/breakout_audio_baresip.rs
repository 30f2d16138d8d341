//! Breakout rooms heard by real softphones: four baresip instances dial meeting 1000, each
//! sending its own tone; the host opens two rooms, moves one, exchanges two and closes with a
//! countdown. At every step each baresip must have decoded exactly the tones of the others in
//! its room (Goertzel over the audio baresip itself recorded), and no call may be re-INVITEd
//! or hung up by a move.

use crate::support;

use std::time::Duration;
use support::baresip::Baresip;
use support::tour::{breakout_tour, places};
use support::{wait_until, Roomgate};

const TONES: [f64; 4] = [500.0, 800.0, 1100.0, 1400.0];

#[test]
fn each_baresip_hears_exactly_its_room_through_moves_and_exchange() {
    let rg = Roomgate::start(&[]);
    let target = format!("sip:1000@127.0.0.1:{}", rg.sip_port);
    let names = ["Boardroom", "Huddle", "Lab", "Lobby"];
    let phones: Vec<Baresip> = names
        .iter()
        .zip(TONES)
        .map(|(n, f)| Baresip::start(&n.to_lowercase(), n, f as u32, false, Some(&target), 120))
        .collect();
    assert!(
        wait_until(Duration::from_secs(15), || places(&rg).len() == 4),
        "not every baresip joined: {:?}\n{}",
        places(&rg),
        rg.log_text()
    );
    breakout_tour(&rg, &phones, &TONES);

    for phone in &phones {
        let log = phone.log();
        assert!(
            !log.contains("got re-INVITE"),
            "{} was re-INVITEd:\n{log}",
            phone.name
        );
        assert!(
            !log.contains("session closed"),
            "{} was hung up:\n{log}",
            phone.name
        );
    }
}
