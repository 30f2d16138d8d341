//! The calls' own timers: 2xx retransmission until the ACK and giving up without one
//! (§13.3.1.4), session refresh and expiry (RFC 4028 §10), the glare retry (§14.1), and for
//! calls we place the ring timeout and giving up after our CANCEL (§9.1).

use super::state::{Call, Phase, Stage};
use super::timer::CallTimer;
use super::{EndReason, Fate, Shared};
use crate::sip::message::{Message, Method};
use bytes::Bytes;
use std::time::{Duration, Instant};

impl Shared {
    pub(super) fn on_call_timer(&mut self, now: Instant, c: &mut Call, t: CallTimer) -> Fate {
        match t {
            CallTimer::Retransmit2xx => {
                let t2 = self.cfg.timers.t2;
                let Phase::Dialog(d, _) = &mut c.phase else {
                    return Fate::Live;
                };
                let Some(u) = d.unacked.as_mut() else {
                    return Fate::Live;
                };
                let (txn, resp, dest) = (u.txn, u.response.clone(), u.destination);
                u.interval = (u.interval * 2).min(t2);
                c.timers.set(CallTimer::Retransmit2xx, now + u.interval);
                if self.layer.send_response(now, txn, resp.clone()).is_err() {
                    // The transaction's Accepted state is over: send it ourselves.
                    self.layer.send_stateless(dest, &Message::Response(resp));
                }
                Fate::Live
            }
            CallTimer::AckTimeout => {
                c.timers.stop(CallTimer::Retransmit2xx);
                // §13.3.1.4: confirm the dialog, then end the session with BYE.
                if let Phase::Dialog(d, stage) = &mut c.phase {
                    d.unacked = None;
                    *stage = Stage::Established;
                }
                self.send_bye(now, c, EndReason::NoAck)
            }
            CallTimer::SessionRefresh => {
                let Phase::Dialog(d, _) = &mut c.phase else {
                    return Fate::Live;
                };
                let busy = d.local_offer.is_some() || d.remote_offer.is_some();
                if busy || d.unacked.is_some() || d.identity.in_flight.is_some() {
                    // An exchange is under way (its success refreshes the session anyway), or
                    // a connected-identity UPDATE our refresh must not overlap (RFC 3311
                    // §5.1): try again shortly.
                    c.timers
                        .set(CallTimer::SessionRefresh, now + Duration::from_secs(2));
                    return Fate::Live;
                }
                let (method, ct, body) = if d.peer_allows_update {
                    (Method::Update, None, Bytes::new())
                } else {
                    (
                        Method::Invite,
                        (!d.local_sdp.is_empty()).then(|| "application/sdp".to_string()),
                        d.local_sdp.clone(),
                    )
                };
                // Refused only when the call is not established (yet): then there is nothing
                // to refresh.
                let _ = self.start_offer(now, c, method, ct, body, true);
                Fate::Live
            }
            CallTimer::SessionExpiry => self.send_bye(now, c, EndReason::SessionExpired),
            CallTimer::CancelGiveUp => {
                let Phase::Dialing(dialing) = &mut c.phase else {
                    return Fate::Live;
                };
                if c.ended {
                    // §9.1: our CANCEL got no final response to the INVITE.
                    self.layer.abandon(c.invite_txn);
                    return Fate::Over;
                }
                // The ring timeout: CANCEL once the INVITE is known to have arrived.
                if dialing.provisional_seen {
                    self.send_cancel(now, c);
                } else {
                    dialing.cancel_pending = true;
                    c.timers
                        .set(CallTimer::CancelGiveUp, now + self.cfg.timers.t1x64());
                }
                self.end(c, EndReason::NoAnswer);
                Fate::Live
            }
            CallTimer::GlareRetry => {
                let Phase::Dialog(d, _) = &mut c.phase else {
                    return Fate::Live;
                };
                if d.local_offer.as_ref().is_some_and(|o| o.txn.is_none()) {
                    self.send_offer(now, c.handle, c.source, d);
                }
                Fate::Live
            }
            CallTimer::IdentityRetry => {
                if let Phase::Dialog(d, _) = &mut c.phase {
                    d.identity.backing_off = false;
                }
                self.resume_identity(now, c);
                Fate::Live
            }
        }
    }
}
