//! RFC 4733 telephone-events: DTMF digits received from a leg and sent to a leg.

/// One decoded telephone-event payload (RFC 4733 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventPayload {
    /// Event code (§3.2: 0–9, 10 `*`, 11 `#`, 12–15 A–D, 16 flash).
    pub event: u8,
    /// End bit.
    pub end: bool,
    /// Volume in −dBm0 (0–63).
    pub volume: u8,
    /// Duration so far in RTP timestamp units.
    pub duration: u16,
}

impl EventPayload {
    /// Parses the first 4-byte event block of a payload; `None` if too short.
    pub fn parse(payload: &[u8]) -> Option<Self> {
        let b = payload.get(..4)?;
        Some(EventPayload {
            event: b[0],
            end: b[1] & 0x80 != 0,
            volume: b[1] & 0x3f,
            duration: u16::from_be_bytes([b[2], b[3]]),
        })
    }

    /// The 4-byte wire form.
    pub fn to_bytes(self) -> [u8; 4] {
        let d = self.duration.to_be_bytes();
        [
            self.event,
            ((self.end as u8) << 7) | (self.volume & 0x3f),
            d[0],
            d[1],
        ]
    }
}

/// Maps an event code to its keypad character.
pub fn event_to_digit(event: u8) -> Option<char> {
    Some(match event {
        0..=9 => (b'0' + event) as char,
        10 => '*',
        11 => '#',
        12..=15 => (b'A' + event - 12) as char,
        16 => '!',
        _ => return None,
    })
}

/// Maps a keypad character to its event code.
pub fn digit_to_event(digit: char) -> Option<u8> {
    Some(match digit {
        '0'..='9' => digit as u8 - b'0',
        '*' => 10,
        '#' => 11,
        'A'..='D' => digit as u8 - b'A' + 12,
        'a'..='d' => digit as u8 - b'a' + 12,
        '!' => 16,
        _ => return None,
    })
}

/// A digit reported once per event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Digit {
    /// The keypad character.
    pub digit: char,
    /// Duration in RTP timestamp units (divide by the clock rate for seconds).
    pub duration: u32,
}

#[derive(Debug, Clone, Copy)]
struct InProgress {
    ts: u32,
    event: u8,
    duration: u16,
    last_tick: u64,
}

/// Mixer ticks without an update after which an unfinished event is reported (its end
/// packets were all lost): 200 ms, well above the 50 ms update interval of §2.5.1.2.
const EVENT_TIMEOUT_TICKS: u64 = 10;
/// Ticks the leg stays out of the mix after an event ends, so the in-band tail of the tone
/// some phones send alongside the event never reaches the room.
const GUARD_TICKS: u64 = 2;

/// Receiver side: turns a stream of event packets into digits, one report per event.
#[derive(Debug, Clone, Default)]
pub struct DtmfReceiver {
    current: Option<InProgress>,
    /// Timestamp of the last event reported, so the redundant end packets (§2.5.1.4) are
    /// recognised as the same event.
    last_reported: Option<u32>,
    guard_until: u64,
    /// RTP timestamp spans of recent events (end `None` while in progress): audio played at
    /// those timestamps is kept out of the mix, so the in-band tone some phones send beside
    /// the events never reaches the room (audio and events share one clock, RFC 4733 §2.3.1).
    spans: Vec<(u32, Option<u32>)>,
    /// Extra audio suppressed after an event ends, in RTP units (0 means [`GUARD_UNITS`]).
    guard_units: u32,
    /// The events' RTP clock, Hz (0 means 8000).
    clock: u32,
}

/// Timestamp units of audio suppressed after an event ends (40 ms at 8 kHz).
const GUARD_UNITS: u32 = 320;

impl DtmfReceiver {
    /// A receiver for events on a `clock` Hz RTP clock (the audio's, RFC 4733 §2.1): the
    /// guard after an event stays 40 ms at 48 kHz (Opus) too.
    pub fn with_clock(clock: u32) -> Self {
        DtmfReceiver {
            guard_units: clock / 25,
            clock,
            ..DtmfReceiver::default()
        }
    }

    /// The clock its durations count in, Hz.
    pub fn clock(&self) -> u32 {
        if self.clock == 0 {
            8000
        } else {
            self.clock
        }
    }

    /// Feeds one telephone-event packet received at mixer tick `tick`.
    pub fn on_packet(&mut self, tick: u64, timestamp: u32, payload: &[u8]) -> Option<Digit> {
        let ev = EventPayload::parse(payload)?;
        if self.last_reported == Some(timestamp) {
            // A retransmitted end packet, or a late update of an event already reported.
            return None;
        }
        let mut report = None;
        if let Some(cur) = self.current {
            if cur.ts != timestamp {
                // A new event began before the previous one's end packets arrived.
                report = self.finish(tick);
            }
        }
        if self.current.is_none() {
            if self.spans.len() >= 8 {
                self.spans.remove(0);
            }
            self.spans.push((timestamp, None));
        }
        let cur = self.current.get_or_insert(InProgress {
            ts: timestamp,
            event: ev.event,
            duration: 0,
            last_tick: tick,
        });
        cur.duration = cur.duration.max(ev.duration);
        cur.last_tick = tick;
        if ev.end {
            let done = self.finish(tick);
            return report.or(done);
        }
        report
    }

    fn finish(&mut self, tick: u64) -> Option<Digit> {
        let cur = self.current.take()?;
        self.last_reported = Some(cur.ts);
        if let Some(span) = self.spans.iter_mut().rev().find(|s| s.0 == cur.ts) {
            span.1 = Some(cur.ts.wrapping_add(cur.duration as u32));
        }
        self.guard_until = tick + GUARD_TICKS;
        event_to_digit(cur.event).map(|digit| Digit {
            digit,
            duration: cur.duration as u32,
        })
    }

    /// Called once per mixer tick: reports an event whose end packets never came.
    pub fn on_tick(&mut self, tick: u64) -> Option<Digit> {
        match self.current {
            Some(c) if tick >= c.last_tick + EVENT_TIMEOUT_TICKS => self.finish(tick),
            _ => None,
        }
    }

    /// True while an event is in progress (or just ended).
    pub fn active(&self, tick: u64) -> bool {
        self.current.is_some() || tick < self.guard_until
    }

    /// True if audio at RTP timestamps `[ts, ts + len)` overlaps an event (plus a guard), so it
    /// must stay out of the mix. Forgets spans that playout has passed.
    pub fn suppresses(&mut self, ts: u32, len: u32) -> bool {
        // Wrap-aware comparisons: differences as signed 32-bit values.
        let before = |a: u32, b: u32| (a.wrapping_sub(b) as i32) < 0;
        let guard = if self.guard_units == 0 {
            GUARD_UNITS
        } else {
            self.guard_units
        };
        self.spans
            .retain(|&(_, end)| end.is_none_or(|e| !before(e.wrapping_add(guard), ts)));
        self.spans.iter().any(|&(start, end)| {
            let starts_before_frame_end = before(start, ts.wrapping_add(len));
            let ends_after_frame_start = end.is_none_or(|e| before(ts, e.wrapping_add(guard)));
            starts_before_frame_end && ends_after_frame_start
        })
    }
}

/// Sender side: one digit being played out as telephone-event packets, one per tick.
#[derive(Debug, Clone)]
pub struct DtmfSender {
    event: u8,
    /// RTP timestamp of the event start (fixed for all its packets, §2.5.1.1).
    pub timestamp: Option<u32>,
    total: u32,
    elapsed: u32,
    ends_left: u8,
}

/// Copies of the end packet (RFC 4733 §2.5.1.4 recommends three).
const END_COPIES: u8 = 3;

impl DtmfSender {
    /// A digit of `duration` timestamp units (capped below the 16-bit duration field).
    pub fn new(event: u8, duration: u32) -> Self {
        DtmfSender {
            event,
            timestamp: None,
            total: duration.clamp(160, 0xff00),
            elapsed: 0,
            ends_left: END_COPIES,
        }
    }

    /// The next packet's payload and marker bit, advancing by `frame` units; `None` when done.
    pub fn next(&mut self, frame: u32) -> Option<([u8; 4], bool)> {
        if self.ends_left == 0 {
            return None;
        }
        let first = self.elapsed == 0;
        let end = self.elapsed + frame >= self.total;
        if end {
            self.elapsed = self.total;
            self.ends_left -= 1;
        } else {
            self.elapsed += frame;
        }
        let p = EventPayload {
            event: self.event,
            end,
            volume: 10,
            duration: self.elapsed as u16,
        };
        Some((p.to_bytes(), first))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkt(event: u8, end: bool, duration: u16) -> [u8; 4] {
        EventPayload {
            event,
            end,
            volume: 10,
            duration,
        }
        .to_bytes()
    }

    #[test]
    fn payload_round_trip() {
        let p = EventPayload::parse(&pkt(11, true, 1234)).expect("4 bytes");
        assert_eq!((p.event, p.end, p.volume, p.duration), (11, true, 10, 1234));
        assert!(EventPayload::parse(&[1, 2]).is_none());
    }

    #[test]
    fn digit_reported_once_despite_redundant_end_packets() {
        let mut r = DtmfReceiver::default();
        assert_eq!(r.on_packet(0, 800, &pkt(5, false, 160)), None);
        assert!(r.active(0));
        assert_eq!(r.on_packet(1, 800, &pkt(5, false, 320)), None);
        let d = r.on_packet(2, 800, &pkt(5, true, 800));
        assert_eq!(
            d,
            Some(Digit {
                digit: '5',
                duration: 800
            })
        );
        assert_eq!(r.on_packet(2, 800, &pkt(5, true, 800)), None);
        assert_eq!(r.on_packet(3, 800, &pkt(5, true, 800)), None);
        assert!(r.active(3));
        assert!(!r.active(5));
        assert!(r.suppresses(700, 160), "overlaps the start");
        assert!(r.suppresses(1600 + 100, 160), "inside the guard");
        assert!(!r.suppresses(500, 160), "before the event");
        assert!(!r.suppresses(2000, 160), "after the guard");
        assert!(!r.suppresses(1700, 160), "span was forgotten once passed");
    }

    #[test]
    fn lost_end_packets_are_covered_by_next_event_or_timeout() {
        let mut r = DtmfReceiver::default();
        r.on_packet(0, 100, &pkt(1, false, 400));
        let d = r.on_packet(5, 2000, &pkt(10, false, 160));
        assert_eq!(d.map(|d| d.digit), Some('1'));
        assert_eq!(r.on_tick(6), None);
        assert_eq!(r.on_tick(15).map(|d| d.digit), Some('*'));
    }

    #[test]
    fn sender_emits_marker_updates_and_three_ends() {
        let mut s = DtmfSender::new(digit_to_event('#').expect("valid"), 800);
        let mut pkts = Vec::new();
        while let Some(p) = s.next(160) {
            pkts.push(p);
        }
        assert_eq!(pkts.len(), 4 + 3);
        assert!(pkts[0].1 && !pkts[1].1);
        let last = EventPayload::parse(&pkts[6].0).expect("4 bytes");
        assert!(last.end);
        assert_eq!(last.duration, 800);
        assert_eq!(last.event, 11);
        assert!(!EventPayload::parse(&pkts[3].0).expect("4 bytes").end);
    }
}
