//! RFC 4733 telephone-events: one payload, a stream of them into the receiver, and our own
//! sender's packets (with losses) into the receiver.

use crate::Bytes;
use roomgate::media::dtmf::{
    digit_to_event, event_to_digit, Digit, DtmfReceiver, DtmfSender, EventPayload,
};

/// Ticks after which the receiver gives up on an event's end packets, plus its guard, with
/// margin (the receiver's own constants are private: 10 + 2).
const SETTLE_TICKS: u64 = 20;

pub fn rfc4733(data: &[u8]) {
    payload(data);
    receiver_stream(data);
    sender_to_receiver(data);
}

/// §2.3: the first event block reads back through our writer bit for bit, except the
/// reserved R bit, which a sender sets to zero.
fn payload(data: &[u8]) {
    let Some(ev) = EventPayload::parse(data) else {
        assert!(data.len() < 4, "a 4-byte block was refused");
        return;
    };
    let wire = ev.to_bytes();
    assert_eq!(wire, [data[0], data[1] & !0x40, data[2], data[3]]);
    assert_eq!(EventPayload::parse(&wire), Some(ev));
    if let Some(c) = event_to_digit(ev.event) {
        assert_eq!(digit_to_event(c), Some(ev.event), "digit {c:?} maps back");
    }
}

/// Records of `[tick advance][timestamp index][repeat?][4-byte payload]` into one receiver,
/// ticked like the mixer does. Whatever arrives: a packet repeated at once (the redundant
/// copies of §2.5.1.4) never reports a second digit, every digit is a keypad character, and
/// once the stream stops the receiver settles (reports what it held, then goes quiet).
fn receiver_stream(data: &[u8]) {
    let mut input = Bytes::new(data);
    let clock = [8000, 16000, 48000][usize::from(input.u8() % 3)];
    let mut rx = DtmfReceiver::with_clock(clock);
    let mut tick = 0u64;
    let mut max_duration = 0u32;
    let mut digits = 0usize;
    let mut events = 0usize;
    while !input.is_empty() {
        let advance = input.u8();
        tick += u64::from(advance % 8);
        // Few distinct timestamps, so the fuzzer meets the same event again easily.
        let ts = u32::from(input.u8() % 16) * 800;
        let repeat = input.u8() & 1 == 1;
        let payload = input.take(4);
        if let Some(ev) = EventPayload::parse(payload) {
            max_duration = max_duration.max(u32::from(ev.duration));
            events += 1;
        }
        let mut check = |d: Option<Digit>| {
            if let Some(d) = d {
                assert!(digit_to_event(d.digit).is_some(), "{d:?}");
                assert!(
                    d.duration <= max_duration,
                    "{d:?} longer than any packet said"
                );
                digits += 1;
            }
        };
        check(rx.on_tick(tick));
        check(rx.on_packet(tick, ts, payload));
        if repeat {
            assert_eq!(
                rx.on_packet(tick, ts, payload),
                None,
                "a repeat reported again"
            );
        }
        let _ = rx.suppresses(ts.wrapping_sub(160), 160);
        let _ = rx.active(tick);
    }
    assert!(
        digits <= events,
        "{digits} digits from {events} event packets"
    );
    // Whatever was still in progress is reported at most once more, then nothing.
    let _ = rx.on_tick(tick + SETTLE_TICKS);
    assert_eq!(rx.on_tick(tick + 2 * SETTLE_TICKS), None);
    assert!(
        !rx.active(tick + 2 * SETTLE_TICKS),
        "receiver never settled"
    );
}

/// One digit played by our sender and received through a loss pattern: the receiver reports
/// it exactly once (if any of its packets arrived and the event is a keypad one), with the
/// longest duration that had arrived when it reported (at the end packet, or after the timeout
/// when a loss burst hid the rest); the sender follows §2.5.1 (marker on the first packet
/// only, durations never shrink, three end packets carrying the full duration).
fn sender_to_receiver(data: &[u8]) {
    let mut input = Bytes::new(data);
    let event = input.u8() % 20;
    let duration = u32::from(input.u16());
    let frame = [80, 160, 320, 960][usize::from(input.u8() % 4)];
    let ts = input.u32();
    let loss = input.rest();

    let mut tx = DtmfSender::new(event, duration);
    let full = duration.clamp(160, 0xff00);
    let mut rx = DtmfReceiver::default();
    let mut reported: Vec<Digit> = Vec::new();
    let mut longest: Option<u32> = None;
    let mut report = |d: Option<Digit>, longest: Option<u32>| {
        if let Some(d) = d {
            assert_eq!(Some(d.duration), longest, "{d:?}");
            reported.push(d);
        }
    };
    let (mut sent, mut ends, mut last_duration) = (0usize, 0usize, 0u16);
    let mut tick = 0u64;
    while let Some((payload, marker)) = tx.next(frame) {
        let ev = EventPayload::parse(&payload).expect("we write 4 bytes");
        assert_eq!(ev.event, event);
        assert_eq!(
            marker,
            sent == 0,
            "marker on the first packet only (§2.5.1.1)"
        );
        assert!(ev.duration >= last_duration, "duration shrank");
        last_duration = ev.duration;
        if ev.end {
            ends += 1;
            assert_eq!(
                u32::from(ev.duration),
                full,
                "end packet without the full duration"
            );
        }
        let lost = loss
            .get(sent / 8)
            .is_some_and(|b| b & (1 << (sent % 8)) != 0);
        report(rx.on_tick(tick), longest);
        if !lost {
            longest = longest.max(Some(u32::from(ev.duration)));
            report(rx.on_packet(tick, ts, &payload), longest);
        }
        sent += 1;
        tick += 1;
        assert!(sent <= 0x1_0000, "the sender never ends");
    }
    assert_eq!(ends, 3, "§2.5.1.4: three end packets");
    report(rx.on_tick(tick + SETTLE_TICKS), longest);
    let digit = event_to_digit(event);
    match (longest, digit) {
        (Some(_), Some(digit)) => {
            assert_eq!(reported.len(), 1, "{reported:?}");
            assert_eq!(reported[0].digit, digit);
        }
        _ => assert_eq!(reported, [], "a digit from nothing"),
    }
}
