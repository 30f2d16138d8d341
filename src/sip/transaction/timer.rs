//! The timers of RFC 3261 §17 (Table 4 of §A) and RFC 6026, as an enum-indexed table per
//! transaction (after quinn-proto's `connection/timer.rs`).
//!
//! A transaction arms and stops entries here; the layer only learns "something may be due at
//! t". Expiry is always checked against the table, so a stale wake-up is harmless.

use std::time::{Duration, Instant};

/// One transaction timer. Letters as in RFC 3261 §17 and RFC 6026 §8.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Timer {
    /// INVITE client: request retransmit (§17.1.1.2), unreliable transports only.
    A,
    /// INVITE client: transaction timeout, 64*T1.
    B,
    /// INVITE client: wait for response retransmits in Completed (≥ 32 s, 0 on reliable).
    D,
    /// Non-INVITE client: request retransmit (§17.1.2.2), unreliable transports only.
    E,
    /// Non-INVITE client: transaction timeout, 64*T1.
    F,
    /// INVITE server: final response retransmit (§17.2.1), unreliable transports only.
    G,
    /// INVITE server: wait for ACK, 64*T1.
    H,
    /// INVITE server: absorb ACK retransmits in Confirmed (T4, 0 on reliable).
    I,
    /// Non-INVITE server: absorb request retransmits in Completed (64*T1, 0 on reliable).
    J,
    /// Non-INVITE client: absorb response retransmits in Completed (T4, 0 on reliable).
    K,
    /// INVITE server, Accepted state (RFC 6026 §8.7): 64*T1.
    L,
    /// INVITE client, Accepted state (RFC 6026 §8.4): 64*T1.
    M,
    /// INVITE server: send 100 Trying if the TU has not answered within 200 ms (§17.2.1).
    Trying,
}

impl Timer {
    const ALL: [Timer; 13] = [
        Timer::A,
        Timer::B,
        Timer::D,
        Timer::E,
        Timer::F,
        Timer::G,
        Timer::H,
        Timer::I,
        Timer::J,
        Timer::K,
        Timer::L,
        Timer::M,
        Timer::Trying,
    ];
}

/// Deadlines indexed by [`Timer`].
#[derive(Clone, Debug, Default)]
pub struct TimerTable {
    data: [Option<Instant>; 13],
}

impl TimerTable {
    pub fn set(&mut self, timer: Timer, at: Instant) {
        self.data[timer as usize] = Some(at);
    }
    pub fn get(&self, timer: Timer) -> Option<Instant> {
        self.data[timer as usize]
    }
    pub fn stop(&mut self, timer: Timer) {
        self.data[timer as usize] = None;
    }
    pub fn stop_all(&mut self) {
        self.data = [None; 13];
    }
    /// The earliest armed deadline.
    pub fn next_timeout(&self) -> Option<Instant> {
        self.data.iter().flatten().min().copied()
    }
    /// Disarms and returns the earliest timer due at `now`, if any.
    pub fn pop_expired(&mut self, now: Instant) -> Option<Timer> {
        let (timer, _) = Timer::ALL
            .iter()
            .filter_map(|&t| self.get(t).filter(|&at| at <= now).map(|at| (t, at)))
            .min_by_key(|&(_, at)| at)?;
        self.stop(timer);
        Some(timer)
    }
}

/// T1, T2, T4 (RFC 3261 §17.1.1.1 and Table 4) and the 100 Trying delay of §17.2.1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimerConfig {
    /// RTT estimate, 500 ms by default.
    pub t1: Duration,
    /// Maximum retransmit interval for non-INVITE requests and INVITE responses, 4 s.
    pub t2: Duration,
    /// Maximum time a message stays in the network, 5 s.
    pub t4: Duration,
    /// How long an INVITE server transaction waits for the TU before sending 100 Trying.
    pub trying_delay: Duration,
}

impl Default for TimerConfig {
    fn default() -> Self {
        TimerConfig {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
            trying_delay: Duration::from_millis(200),
        }
    }
}

impl TimerConfig {
    /// 64*T1: timers B, F, H, J, L, M.
    pub fn t1x64(&self) -> Duration {
        self.t1 * 64
    }
    /// Timer D: "at least 32 seconds" for unreliable transports (§17.1.1.2).
    pub fn timer_d(&self) -> Duration {
        Duration::from_secs(32).max(self.t1x64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earliest_expired_first_and_disarmed() {
        let t0 = Instant::now();
        let mut t = TimerTable::default();
        t.set(Timer::B, t0 + Duration::from_secs(32));
        t.set(Timer::A, t0 + Duration::from_millis(500));
        t.set(Timer::Trying, t0 + Duration::from_millis(200));
        assert_eq!(t.next_timeout(), Some(t0 + Duration::from_millis(200)));
        let now = t0 + Duration::from_secs(1);
        assert_eq!(t.pop_expired(now), Some(Timer::Trying));
        assert_eq!(t.pop_expired(now), Some(Timer::A));
        assert_eq!(t.pop_expired(now), None);
        assert_eq!(t.next_timeout(), Some(t0 + Duration::from_secs(32)));
        t.stop_all();
        assert_eq!(t.next_timeout(), None);
    }
}
