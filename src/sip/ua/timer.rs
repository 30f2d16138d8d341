//! A call's timer table: one slot per timer, enum-indexed like the transactions' (a stale
//! deadline on the UA's heap is harmless: expiry is checked against the table).

use crate::sip::dialog::{Refresher, SessionTimer};
use crate::sip::transaction::TimerConfig;
use std::time::Instant;

/// The UA core's timers per call (enum-indexed like the transactions').
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum CallTimer {
    Retransmit2xx = 0,
    AckTimeout = 1,
    SessionRefresh = 2,
    SessionExpiry = 3,
    GlareRetry = 4,
    /// A call we place: while it rings, the ring timeout (then we CANCEL, §9.1); after our
    /// CANCEL, no final response 64*T1 later: give the INVITE up. One slot, since a call
    /// needs the second only once the first has fired or been superseded by a hang-up.
    CancelGiveUp = 5,
    /// A connected-identity UPDATE that got 491 is tried again (§14.1).
    IdentityRetry = 6,
}

const CALL_TIMERS: [CallTimer; 7] = [
    CallTimer::Retransmit2xx,
    CallTimer::AckTimeout,
    CallTimer::SessionRefresh,
    CallTimer::SessionExpiry,
    CallTimer::GlareRetry,
    CallTimer::CancelGiveUp,
    CallTimer::IdentityRetry,
];

/// A call's timer table, and the deadline the UA's heap holds for it.
#[derive(Debug, Default)]
pub(super) struct CallTimers {
    at: [Option<Instant>; 7],
    /// The entry the UA pushed on its deadline heap for this call, if any.
    pub(super) scheduled: Option<Instant>,
}

impl CallTimers {
    pub(super) fn set(&mut self, t: CallTimer, at: Instant) {
        self.at[t as usize] = Some(at);
    }
    pub(super) fn stop(&mut self, t: CallTimer) {
        self.at[t as usize] = None;
    }
    pub(super) fn stop_all(&mut self) {
        self.at = [None; 7];
    }
    pub(super) fn next_timeout(&self) -> Option<Instant> {
        self.at.iter().flatten().min().copied()
    }
    /// The earliest timer due at `now`.
    pub(super) fn due(&self, now: Instant) -> Option<CallTimer> {
        CALL_TIMERS
            .iter()
            .copied()
            .filter(|t| self.at[*t as usize].is_some_and(|at| at <= now))
            .min_by_key(|t| self.at[*t as usize])
    }

    /// §13.3.1.4: a 2xx of ours is retransmitted from T1 on, whatever our transport (the 2xx
    /// travels end to end and a later hop may be UDP), until its ACK or 64*T1.
    pub(super) fn await_ack(&mut self, now: Instant, t: &TimerConfig) {
        self.set(CallTimer::Retransmit2xx, now + t.t1);
        self.set(CallTimer::AckTimeout, now + t.t1x64());
    }

    /// RFC 4028 §10: (re)arms refresh and expiry from `now`, the moment of the last refresh.
    pub(super) fn restart_session(&mut self, now: Instant, session: Option<SessionTimer>) {
        self.stop(CallTimer::SessionRefresh);
        self.stop(CallTimer::SessionExpiry);
        if let Some(st) = session {
            if st.refresher == Refresher::Us {
                self.set(CallTimer::SessionRefresh, st.refresh_at(now));
            }
            self.set(CallTimer::SessionExpiry, st.expire_at(now));
        }
    }
}
