//! A real Opus softphone: baresip (Debian, its opus module is libopus) dials meeting 1000
//! offering only opus (stereo), with a 440 Hz sine as its microphone and its sndfile filter
//! dumping what it decodes to a WAV file (no audio device); a
//! G.711 room system in the same meeting sends 1000 Hz. The room system must hear baresip's
//! 440 Hz (libopus → our decoder → mix → G.711) and baresip's decoder must have produced the
//! room system's 1000 Hz (G.711 → mix → our encoder → libopus). Loopback only.

use crate::support;

use std::net::SocketAddr;
use std::time::Duration;

use crate::support::media::goertzel;
use support::baresip::Baresip;
use support::room::RoomSystem;
use support::{participants, wait_until, Roomgate};

const BARESIP_TONE: f64 = 440.0;
const ROOM_TONE: f64 = 1000.0;

#[test]
fn baresip_opus_and_a_g711_room_system_hear_each_other() {
    let rg = Roomgate::start(&[]);
    let gw: SocketAddr = ([127, 0, 0, 1], rg.sip_port).into();
    let phone = RoomSystem::call(gw, "1000", "Phone", ROOM_TONE);
    let target = format!("sip:1000@127.0.0.1:{}", rg.sip_port);
    // Quits after 9 s, which hangs the call up with BYE (bounded either way).
    let mut baresip = Baresip::start_opus("opusroom", "Opus room", BARESIP_TONE as u32, &target, 9);
    let joined = wait_until(Duration::from_secs(8), || {
        participants(&rg, "1000").len() == 2
    });
    // While baresip talks, what the room system hears.
    std::thread::sleep(Duration::from_secs(5));
    let heard = phone.tones_heard(&[BARESIP_TONE, ROOM_TONE]);
    let text = baresip.wait();
    assert!(joined, "baresip never joined\n{text}\n{}", rg.log_text());
    assert!(
        text.to_ascii_lowercase().contains("opus"),
        "baresip did not use opus:\n{text}"
    );
    assert_eq!(
        heard,
        vec![BARESIP_TONE],
        "the G.711 room system hears baresip's Opus tone only\n{text}"
    );

    // baresip's sndfile filter dumps what its Opus decoder (libopus) produced.
    let (pcm, rate) = baresip
        .decoded()
        .unwrap_or_else(|| panic!("no decode dump from baresip's sndfile\n{text}"));
    assert!(
        pcm.len() as f64 > 3.0 * rate,
        "{} samples at {rate}",
        pcm.len()
    );
    // The last 2 s before the hang-up: the room system's tone, not baresip's own.
    let tail = &pcm[pcm.len() - 2 * rate as usize..];
    let room = goertzel(tail, ROOM_TONE, rate);
    let own = goertzel(tail, BARESIP_TONE, rate);
    assert!(
        room > 1000.0,
        "baresip heard {ROOM_TONE} Hz at {room:.0}\n{text}"
    );
    assert!(
        own < 0.1 * room,
        "baresip heard itself at {own:.0} (room {room:.0})"
    );
    eprintln!("baresip heard {ROOM_TONE} Hz at amplitude {room:.0}, its own tone at {own:.0}");
    phone.hangup();
}
