//! RFC 4733 telephone-events: a digit sent with redundant end packets is reported once with its
//! duration, and neither the events nor the in-band tone beside them reach the room; digits
//! sent to a leg go out as events in the leg's own sequence space.

use crate::support::media::{goertzel, Peer, Sim};
use roomgate::media::codec::{AudioCodec, Encoder};
use roomgate::media::dtmf::EventPayload;
use roomgate::media::rtp::{write_packet, RtpPacket};
use roomgate::media::{LegId, MediaCommand, MediaEvent, RoomKey};
use std::time::Duration;

const TE: u8 = 101;

fn room_of_two() -> Sim {
    let mut sim = Sim::new(11);
    sim.add(Peer::new(1, AudioCodec::Pcmu, 0, None), Some(TE));
    let mut listener = Peer::new(2, AudioCodec::Pcmu, 0, Some(1000.0));
    listener.sending = true;
    sim.add(listener, Some(TE));
    sim.peer(1).sending = false;
    for leg in [1, 2] {
        sim.cmd(MediaCommand::Attach {
            leg: LegId(leg),
            room: RoomKey(5),
        });
    }
    sim
}

#[test]
fn received_digit_is_reported_once_and_never_heard() {
    let mut sim = room_of_two();
    let mut enc = Encoder::new(AudioCodec::Pcmu);
    let (mut seq, mut ts) = (100u16, 8000u32);
    let mut sample = 0u64;
    // 10 frames of speech-like 500 Hz, then digit '1' (697 + 1209 Hz in band, and as events),
    // 10 frames long, then 10 frames of 500 Hz again.
    let ev_ts = ts + 160 * 10;
    for frame in 0..40u32 {
        let dtmf = (10..20).contains(&frame);
        let pcm: Vec<i16> = (0..160)
            .map(|i| {
                let t = (sample + i) as f64 / 8000.0;
                let w = |f: f64| (2.0 * std::f64::consts::PI * f * t).sin();
                let v = if dtmf {
                    4000.0 * (w(697.0) + w(1209.0))
                } else {
                    5000.0 * w(500.0)
                };
                v as i16
            })
            .collect();
        sample += 160;
        let mut payload = Vec::new();
        enc.encode(&pcm, &mut payload);
        let mut pkt = Vec::new();
        write_packet(&mut pkt, frame == 0, 0, seq, ts, 0x77, &payload);
        seq = seq.wrapping_add(1);
        sim.plane.handle_rtp(sim.now, LegId(1), &pkt).expect("leg");
        if dtmf {
            let k = frame - 9;
            let copies = if frame == 19 { 3 } else { 1 };
            for _ in 0..copies {
                let ev = EventPayload {
                    event: 1,
                    end: frame == 19,
                    volume: 10,
                    duration: (k * 160) as u16,
                };
                let mut pkt = Vec::new();
                write_packet(&mut pkt, frame == 10, TE, seq, ev_ts, 0x77, &ev.to_bytes());
                seq = seq.wrapping_add(1);
                sim.plane.handle_rtp(sim.now, LegId(1), &pkt).expect("leg");
            }
        }
        ts = ts.wrapping_add(160);
        sim.step();
    }
    sim.run(5);
    let digits: Vec<_> = sim
        .events
        .iter()
        .filter_map(|e| match e {
            MediaEvent::Dtmf {
                leg,
                digit,
                duration,
            } => Some((*leg, *digit, *duration)),
            _ => None,
        })
        .collect();
    assert_eq!(digits, vec![(LegId(1), '1', Duration::from_millis(200))]);

    let heard = sim
        .peers
        .iter()
        .find(|p| p.id == LegId(2))
        .expect("listener");
    let mut saw_speech = 0;
    for (i, frame) in heard.received.iter().enumerate() {
        let low = goertzel(frame, 697.0, 8000.0);
        let high = goertzel(frame, 1209.0, 8000.0);
        assert!(
            low < 150.0 && high < 150.0,
            "frame {i}: DTMF leaked ({low:.0}, {high:.0})"
        );
        if goertzel(frame, 500.0, 8000.0) > 3500.0 {
            saw_speech += 1;
        }
    }
    // The speech before and after the digit is heard (minus the guard around it).
    assert!(saw_speech >= 16, "speech frames heard: {saw_speech}");
}

#[test]
fn digit_sent_to_a_leg_uses_events_in_its_stream() {
    let mut sim = room_of_two();
    sim.run(5);
    sim.cmd(MediaCommand::SendDtmf {
        leg: LegId(1),
        digit: '#',
        duration: Duration::from_millis(100),
    });
    sim.run(12);
    let p = sim.peers.iter().find(|p| p.id == LegId(1)).expect("peer 1");
    let pkts: Vec<RtpPacket<'_>> = p
        .raw
        .iter()
        .map(|b| RtpPacket::parse(b).expect("valid"))
        .collect();
    for w in pkts.windows(2) {
        assert_eq!(w[1].seq, w[0].seq.wrapping_add(1), "one sequence space");
    }
    let events: Vec<(&RtpPacket<'_>, EventPayload)> = pkts
        .iter()
        .filter(|p| p.payload_type == TE)
        .map(|p| (p, EventPayload::parse(p.payload).expect("4 bytes")))
        .collect();
    // 100 ms = 800 units: updates at 160..640, then the end packet three times.
    assert_eq!(events.len(), 4 + 3);
    assert!(
        events[0].0.marker,
        "first event packet has the marker (RFC 4733 §2.5.1.1)"
    );
    assert!(events
        .iter()
        .all(|(p, e)| p.timestamp == events[0].0.timestamp && e.event == 11));
    let durations: Vec<u16> = events.iter().map(|(_, e)| e.duration).collect();
    assert_eq!(durations, vec![160, 320, 480, 640, 800, 800, 800]);
    assert_eq!(events.iter().filter(|(_, e)| e.end).count(), 3);
    // Audio resumes afterwards with its timestamps still on the 20 ms grid.
    let first = pkts
        .iter()
        .position(|p| p.payload_type == TE)
        .expect("events");
    let after = &pkts[first + 7];
    assert_eq!(after.payload_type, 0);
    assert_eq!(
        after.timestamp,
        pkts[first - 1].timestamp.wrapping_add(160 * 8)
    );
}
