//! The operators' Prometheus metrics (`roomgate_*` at `GET /metrics`): calls, SIP traffic,
//! legs per room, RTP and quality, the mixer tick, moves. The engine task and the media shard
//! update them; prometheus-client's metrics are atomics behind `Arc`s, so updating costs no
//! lock and no allocation once a label set exists.

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{Hash, Hasher};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use super::sipwire::{glance, Kind};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StateLabels {
    pub state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StatusLabels {
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DirMethodLabels {
    /// `in` (received) or `out` (sent).
    pub direction: &'static str,
    pub method: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DirLabels {
    pub direction: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RoomLabels {
    pub meeting: String,
    /// `main` or a breakout room id.
    pub room: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct BandLabels {
    pub band: String,
}

fn jitter_histogram() -> Histogram {
    // 1 ms … 512 ms.
    Histogram::new(exponential_buckets(1.0, 2.0, 10))
}

/// The media shard's share: its tick, and what it refused. Cloned into the shard thread.
#[derive(Clone, Debug)]
pub struct ShardMetrics {
    /// Wall time of one mixer tick (all rooms of the shard), seconds.
    pub tick_seconds: Histogram,
    /// Ticks that started late (the plane's own count).
    pub late_ticks: Counter,
    /// RTP/RTCP datagrams dropped because they came from a foreign source, not the leg's peer.
    pub foreign_packets: Counter,
}

impl Default for ShardMetrics {
    fn default() -> Self {
        ShardMetrics {
            // 10 µs … ~40 ms: a tick must end well inside its 20 ms.
            tick_seconds: Histogram::new(exponential_buckets(1e-5, 2.0, 13)),
            late_ticks: Counter::default(),
            foreign_packets: Counter::default(),
        }
    }
}

/// Every operator metric.
#[derive(Clone)]
pub struct OpsMetrics {
    /// Call legs by state.
    pub calls: Family<StateLabels, Gauge>,
    /// Incoming INVITEs that start a call (no To tag).
    pub call_attempts: Counter,
    /// Final answers ≥ 300 to a call's INVITE, by status.
    pub call_failures: Family<StatusLabels, Counter>,
    /// Final answers to INVITEs by status (successes too).
    pub invite_answers: Family<StatusLabels, Counter>,
    /// SIP transactions started (requests other than ACK, each seen once), by direction/method.
    pub transactions: Family<DirMethodLabels, Counter>,
    /// SIP messages seen again byte for byte (retransmissions), by direction.
    pub retransmissions: Family<DirLabels, Counter>,
    /// Received datagrams that are not SIP.
    pub parse_errors: Counter,
    /// Legs per meeting and room.
    pub legs_per_room: Family<RoomLabels, Gauge>,
    /// RTP packets by direction.
    pub rtp_packets: Family<DirLabels, Counter>,
    /// RTP packets lost from peers (RFC 3550 A.3).
    pub rtp_lost: Counter,
    /// Interarrival jitter samples (RFC 3550 §6.4.1), milliseconds.
    pub jitter_ms: Histogram,
    /// Quality band crossings, by the band entered.
    pub quality_crossings: Family<BandLabels, Counter>,
    /// Breakout moves of call legs.
    pub moves: Counter,
    /// HEP packets dropped because the exporter fell behind.
    pub hep_dropped: Counter,
    /// Call records that could not be stored.
    pub cdr_failures: Counter,
    /// Leg-event WebSocket connections.
    pub leg_streams: Gauge,
    pub shard: ShardMetrics,
}

impl Default for OpsMetrics {
    fn default() -> Self {
        OpsMetrics {
            calls: Family::default(),
            call_attempts: Counter::default(),
            call_failures: Family::default(),
            invite_answers: Family::default(),
            transactions: Family::default(),
            retransmissions: Family::default(),
            parse_errors: Counter::default(),
            legs_per_room: Family::default(),
            rtp_packets: Family::default(),
            rtp_lost: Counter::default(),
            jitter_ms: jitter_histogram(),
            quality_crossings: Family::default(),
            moves: Counter::default(),
            hep_dropped: Counter::default(),
            cdr_failures: Counter::default(),
            leg_streams: Gauge::default(),
            shard: ShardMetrics::default(),
        }
    }
}

impl OpsMetrics {
    /// Creates the metrics and registers them under `roomgate_`.
    pub fn register(r: &mut Registry) -> OpsMetrics {
        let m = OpsMetrics::default();
        r.register("roomgate_calls", "Call legs by state", m.calls.clone());
        r.register(
            "roomgate_call_attempts",
            "Incoming calls (initial INVITEs)",
            m.call_attempts.clone(),
        );
        r.register(
            "roomgate_call_failures",
            "Calls refused or failed, by SIP status of the final answer",
            m.call_failures.clone(),
        );
        r.register(
            "roomgate_invite_answers",
            "Final answers to INVITEs by SIP status",
            m.invite_answers.clone(),
        );
        r.register(
            "roomgate_sip_transactions",
            "SIP transactions by direction and method",
            m.transactions.clone(),
        );
        r.register(
            "roomgate_sip_retransmissions",
            "SIP messages seen again byte for byte, by direction",
            m.retransmissions.clone(),
        );
        r.register(
            "roomgate_sip_parse_errors",
            "Received SIP datagrams that could not be read",
            m.parse_errors.clone(),
        );
        r.register(
            "roomgate_legs_per_room",
            "Call legs per meeting and room",
            m.legs_per_room.clone(),
        );
        r.register(
            "roomgate_rtp_packets",
            "RTP packets by direction",
            m.rtp_packets.clone(),
        );
        r.register(
            "roomgate_rtp_lost_packets",
            "RTP packets lost from peers",
            m.rtp_lost.clone(),
        );
        r.register(
            "roomgate_rtp_jitter_milliseconds",
            "Interarrival jitter of peers' streams",
            m.jitter_ms.clone(),
        );
        r.register(
            "roomgate_quality_crossings",
            "Quality band crossings by band entered",
            m.quality_crossings.clone(),
        );
        r.register(
            "roomgate_moves",
            "Call legs moved between rooms",
            m.moves.clone(),
        );
        r.register(
            "roomgate_hep_dropped",
            "HEP packets dropped (exporter behind)",
            m.hep_dropped.clone(),
        );
        r.register(
            "roomgate_cdr_failures",
            "Call records that could not be stored",
            m.cdr_failures.clone(),
        );
        r.register(
            "roomgate_api_leg_streams",
            "Open leg-event WebSocket connections",
            m.leg_streams.clone(),
        );
        r.register(
            "roomgate_mixer_tick_seconds",
            "Duration of one mixer tick",
            m.shard.tick_seconds.clone(),
        );
        r.register(
            "roomgate_mixer_late_ticks",
            "Mixer ticks that started late",
            m.shard.late_ticks.clone(),
        );
        r.register(
            "roomgate_rtp_foreign_packets",
            "RTP and RTCP datagrams dropped because they came from a source other than the call leg's peer",
            m.shard.foreign_packets.clone(),
        );
        m
    }
}

/// Remembers recently seen messages (by a hash of peer and bytes) to spot retransmissions:
/// RFC 3261 §17.1.1.2 retransmits the same bytes.
pub struct Recent {
    set: HashSet<u64>,
    order: VecDeque<u64>,
    cap: usize,
}

impl Recent {
    pub fn new(cap: usize) -> Recent {
        Recent {
            set: HashSet::with_capacity(cap),
            order: VecDeque::with_capacity(cap),
            cap,
        }
    }

    /// True when the same key was seen among the last `cap` ones.
    pub fn seen(&mut self, peer: std::net::SocketAddr, bytes: &[u8]) -> bool {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        peer.hash(&mut h);
        bytes.hash(&mut h);
        let k = h.finish();
        if self.set.contains(&k) {
            return true;
        }
        if self.order.len() == self.cap {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        self.order.push_back(k);
        self.set.insert(k);
        false
    }
}

/// Counts SIP messages in both directions.
pub struct SipCounter {
    inbound: Recent,
    outbound: Recent,
}

impl Default for SipCounter {
    fn default() -> Self {
        SipCounter {
            inbound: Recent::new(4096),
            outbound: Recent::new(4096),
        }
    }
}

impl SipCounter {
    /// One message received from or sent to `peer`.
    /// Returns the message's Call-ID, if it has one.
    pub fn count<'a>(
        &mut self,
        m: &OpsMetrics,
        inbound: bool,
        peer: std::net::SocketAddr,
        bytes: &'a [u8],
    ) -> Option<&'a str> {
        let direction = if inbound { "in" } else { "out" };
        let Some(g) = glance(bytes) else {
            if inbound && !bytes.iter().all(|b| b.is_ascii_whitespace()) {
                // Keep-alive CRLFs (RFC 5626 §3.5.1) are not errors.
                m.parse_errors.inc();
            }
            return None;
        };
        let recent = if inbound {
            &mut self.inbound
        } else {
            &mut self.outbound
        };
        if recent.seen(peer, bytes) {
            m.retransmissions
                .get_or_create(&DirLabels { direction })
                .inc();
            return g.call_id;
        }
        match g.kind {
            Kind::Request { method } => {
                if method != "ACK" {
                    m.transactions
                        .get_or_create(&DirMethodLabels {
                            direction,
                            method: method.to_owned(),
                        })
                        .inc();
                }
                if inbound && method == "INVITE" && !g.to_tag {
                    m.call_attempts.inc();
                }
            }
            Kind::Response { status } => {
                if !inbound && g.cseq_method == "INVITE" && status >= 200 {
                    m.invite_answers
                        .get_or_create(&StatusLabels { status })
                        .inc();
                    if status >= 300 {
                        m.call_failures
                            .get_or_create(&StatusLabels { status })
                            .inc();
                    }
                }
            }
        }
        g.call_id
    }
}

/// Per-room leg counts kept current as legs move (the gauge family is not enumerable).
#[derive(Default)]
pub struct RoomCounts {
    by_leg: HashMap<u64, RoomLabels>,
}

impl RoomCounts {
    /// Leg `leg` is now in `room` (or nowhere).
    pub fn set(&mut self, m: &OpsMetrics, leg: u64, room: Option<RoomLabels>) {
        if self.by_leg.get(&leg) == room.as_ref() {
            return;
        }
        if let Some(old) = self.by_leg.remove(&leg) {
            m.legs_per_room.get_or_create(&old).dec();
        }
        if let Some(new) = room {
            m.legs_per_room.get_or_create(&new).inc();
            self.by_leg.insert(leg, new);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retransmissions_and_attempts() {
        let m = OpsMetrics::default();
        let mut c = SipCounter::default();
        let peer = "127.0.0.1:5070".parse().unwrap();
        let inv = b"INVITE sip:1@x SIP/2.0\r\nTo: <sip:1@x>\r\nCSeq: 1 INVITE\r\n\r\n";
        c.count(&m, true, peer, inv);
        c.count(&m, true, peer, inv);
        c.count(
            &m,
            false,
            peer,
            b"SIP/2.0 404 No\r\nTo: <sip:1@x>;tag=a\r\nCSeq: 1 INVITE\r\n\r\n",
        );
        c.count(&m, true, peer, b"garbage");
        c.count(&m, true, peer, b"\r\n\r\n");
        assert_eq!(m.call_attempts.get(), 1);
        assert_eq!(
            m.retransmissions
                .get_or_create(&DirLabels { direction: "in" })
                .get(),
            1
        );
        assert_eq!(
            m.call_failures
                .get_or_create(&StatusLabels { status: 404 })
                .get(),
            1
        );
        assert_eq!(m.parse_errors.get(), 1);
        let t = DirMethodLabels {
            direction: "in",
            method: "INVITE".into(),
        };
        assert_eq!(m.transactions.get_or_create(&t).get(), 1);
    }
}
