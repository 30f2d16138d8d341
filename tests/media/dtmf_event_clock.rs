//! A peer that offers opus/48000 with only telephone-event/8000 (common on phones): its digit
//! durations count in the event's own 8 kHz clock (RFC 4733 §2.5.1.3), so a 200 ms key press
//! is reported as 200 ms, not a sixth of it.

use crate::support::media::{params, Sim};
use roomgate::media::dtmf::EventPayload;
use roomgate::media::rtp::write_packet;
use roomgate::media::{AudioCodec, LegId, MediaCommand, MediaEvent};
use std::time::Duration;

const TE: u8 = 101;

fn digits(event_clock: Option<u32>) -> Vec<(char, Duration)> {
    let mut sim = Sim::new(3);
    let mut p = params(AudioCodec::Opus, 111, 0x9001, Some(TE));
    p.audio.telephone_event_clock = event_clock;
    sim.cmd(MediaCommand::AddLeg {
        leg: LegId(1),
        params: p,
    });
    // Digit 5 for 200 ms at 8 kHz: durations 160, 320, … 1600, the end sent three times.
    let mut seq = 10u16;
    for k in 1..=10u16 {
        let copies = if k == 10 { 3 } else { 1 };
        for _ in 0..copies {
            let ev = EventPayload {
                event: 5,
                end: k == 10,
                volume: 10,
                duration: k * 160,
            };
            let mut pkt = Vec::new();
            write_packet(&mut pkt, k == 1, TE, seq, 48_000, 0x77, &ev.to_bytes());
            seq = seq.wrapping_add(1);
            sim.plane.handle_rtp(sim.now, LegId(1), &pkt).expect("leg");
        }
        sim.step();
    }
    sim.run(5);
    sim.events
        .iter()
        .filter_map(|e| match e {
            MediaEvent::Dtmf {
                digit, duration, ..
            } => Some((*digit, *duration)),
            _ => None,
        })
        .collect()
}

#[test]
fn event_durations_use_the_event_clock() {
    assert_eq!(digits(Some(8000)), vec![('5', Duration::from_millis(200))]);
    // Without the clock the same packets would read as 48 kHz units.
    assert_eq!(
        digits(None),
        vec![('5', Duration::from_micros(1600 * 1_000_000 / 48_000))]
    );
}
