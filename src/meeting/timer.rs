//! The per-meeting timer table (quinn-proto style): one slot per kind of timer. Expiry is
//! checked against the table and the breakout state, so a stale deadline is harmless.

use std::time::Instant;

/// The breakout timers of one meeting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Timer {
    /// `close_after_s` after the rooms opened.
    CloseAfter = 0,
    /// `countdown_s` after a close began.
    Countdown = 1,
}

impl Timer {
    pub(crate) const ALL: [Timer; 2] = [Timer::CloseAfter, Timer::Countdown];
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct TimerTable {
    slots: [Option<Instant>; 2],
}

impl TimerTable {
    pub(crate) fn set(&mut self, t: Timer, at: Instant) {
        self.slots[t as usize] = Some(at);
    }

    pub(crate) fn stop(&mut self, t: Timer) {
        self.slots[t as usize] = None;
    }

    pub(crate) fn get(&self, t: Timer) -> Option<Instant> {
        self.slots[t as usize]
    }

    pub(crate) fn clear(&mut self) {
        self.slots = [None; 2];
    }

    /// The earliest deadline.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.slots.iter().flatten().min().copied()
    }

    /// Takes the timer if it is due at `now`.
    pub(crate) fn take_due(&mut self, t: Timer, now: Instant) -> bool {
        match self.slots[t as usize] {
            Some(at) if at <= now => {
                self.slots[t as usize] = None;
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn earliest_and_due() {
        let t0 = Instant::now();
        let mut t = TimerTable::default();
        assert_eq!(t.next(), None);
        t.set(Timer::Countdown, t0 + Duration::from_secs(5));
        t.set(Timer::CloseAfter, t0 + Duration::from_secs(3));
        assert_eq!(t.next(), Some(t0 + Duration::from_secs(3)));
        assert!(!t.take_due(Timer::CloseAfter, t0));
        assert!(t.take_due(Timer::CloseAfter, t0 + Duration::from_secs(3)));
        assert!(!t.take_due(Timer::CloseAfter, t0 + Duration::from_secs(3)));
        assert_eq!(t.next(), Some(t0 + Duration::from_secs(5)));
        t.clear();
        assert_eq!(t.get(Timer::Countdown), None);
    }
}
