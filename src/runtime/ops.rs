//! The engine task's operator bookkeeping: it stamps wall-clock times on the gateway's leg
//! views and the media shard's statistics, keeps the live book of legs ([`LegBook`]), writes
//! call records, keeps the metrics current, feeds the leg-event stream and the HEP exporter.
//!
//! Owned by [`super::engine::Engine`] and driven from its output loop, so it needs no lock.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use tokio::sync::broadcast;

use super::hep::{Capture, HepSender};
use crate::api::legs::{LegSubscription, StatsInterest};
use crate::call::{LegEnd, LegState, LegView};
use crate::media::LegStats;
use crate::ops::hep::{HepProto, HepTransport};
use crate::ops::legs::{Cdr, LegBook, LegEvent, LegFilter, LegMessage, OpsLeg, StatsBatch, Wall};
use crate::ops::metrics::{
    BandLabels, DirLabels, OpsMetrics, RoomCounts, RoomLabels, SipCounter, StateLabels,
};
use crate::sip::transaction::{Peer, Transport};
use crate::store::{LegRecord, StoreError, StoreHandle, Write};

/// Leg events buffered per subscriber before it counts as lagging.
const LEG_EVENT_BUFFER: usize = 4096;

/// Reads both clocks at once.
pub fn wall() -> Wall {
    let unix_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    Wall {
        now: Instant::now(),
        unix_ms,
    }
}

fn state_label(s: LegState) -> StateLabels {
    StateLabels {
        state: serde_json::to_value(s)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
    }
}

/// Where a leg's RTCP flows, for HEP's addresses.
#[derive(Default, Clone, Copy)]
struct RtcpPath {
    local: Option<SocketAddr>,
    remote: Option<SocketAddr>,
    /// The last reports exported, the peer's and ours (their counts), so each report goes to
    /// Homer once although statistics come every second.
    last_report: Option<u64>,
    last_sent: Option<u64>,
}

pub struct OpsState {
    book: LegBook,
    metrics: OpsMetrics,
    events: broadcast::Sender<LegMessage>,
    /// This second's `stats` message, written once for every watcher.
    batch: StatsBatch,
    /// Subscribers that want the `stats` messages (see [`StatsInterest`]).
    stats_wanted: Arc<AtomicUsize>,
    sip: SipCounter,
    rooms: RoomCounts,
    hep: Option<HepSender>,
    /// Our SIP listen addresses by transport (HEP's source/destination).
    sip_local: Vec<(Transport, SocketAddr)>,
    rtcp: HashMap<u64, RtcpPath>,
    /// `rtp_packets{direction}` resolved once: the family lookup costs a lock and a hash.
    rtp_in: prometheus_client::metrics::counter::Counter,
    rtp_out: prometheus_client::metrics::counter::Counter,
}

impl OpsState {
    /// `run` keeps this process's call-record ids apart from earlier runs'.
    pub fn new(metrics: OpsMetrics, run: String) -> OpsState {
        let rtp_in = metrics
            .rtp_packets
            .get_or_create(&DirLabels { direction: "in" })
            .clone();
        let rtp_out = metrics
            .rtp_packets
            .get_or_create(&DirLabels { direction: "out" })
            .clone();
        OpsState {
            rtp_in,
            rtp_out,
            book: LegBook::new(run),
            metrics,
            events: broadcast::channel(LEG_EVENT_BUFFER).0,
            batch: StatsBatch::default(),
            stats_wanted: Arc::new(AtomicUsize::new(0)),
            sip: SipCounter::default(),
            rooms: RoomCounts::default(),
            hep: None,
            sip_local: Vec::new(),
            rtcp: HashMap::new(),
        }
    }

    /// Exports SIP and RTCP to Homer from now on.
    pub fn attach_hep(&mut self, hep: HepSender, sip_local: Vec<(Transport, SocketAddr)>) {
        self.hep = Some(hep);
        self.sip_local = sip_local;
    }

    pub fn metrics(&self) -> &OpsMetrics {
        &self.metrics
    }

    pub fn legs(&self, filter: &LegFilter) -> Vec<OpsLeg> {
        let mut v = self.book.list();
        v.retain(|l| filter.matches(l));
        v
    }

    /// The Call-ID of a leg that is up.
    pub fn call_id(&self, id: u64) -> Option<&str> {
        self.book.get(id).map(|l| l.call_id.as_str())
    }

    pub fn leg(&self, id: u64) -> Option<OpsLeg> {
        self.book.get(id).cloned()
    }

    pub fn subscribe(&self) -> LegSubscription {
        // In the same step as the snapshot: every later change is an event after it.
        LegSubscription {
            snapshot: self.book.list(),
            live: self.events.subscribe(),
            stats: StatsInterest::new(&self.stats_wanted),
        }
    }

    /// Serialized once, for every watcher; not at all when nobody watches.
    fn publish(&self, e: LegEvent) {
        if self.events.receiver_count() > 0 {
            // A watcher gone since is fine.
            let _ = self.events.send(LegMessage::event(&e));
        }
    }

    /// A SIP message received from or sent to `peer`: counted, and captured for Homer.
    /// Returns its Call-ID (for the log span of its handling).
    pub fn sip<'a>(&mut self, inbound: bool, peer: Peer, bytes: &'a Bytes) -> Option<&'a str> {
        let call_id = self.sip.count(&self.metrics, inbound, peer.addr, bytes);
        self.capture_sip(inbound, peer, bytes);
        call_id
    }

    fn capture_sip(&self, inbound: bool, peer: Peer, bytes: &Bytes) {
        let Some(hep) = &self.hep else { return };
        let local = self
            .sip_local
            .iter()
            .find(|(t, a)| *t == peer.transport && a.is_ipv4() == peer.addr.is_ipv4())
            .or_else(|| self.sip_local.first())
            .map(|(_, a)| *a);
        let Some(local) = local else { return };
        let (src, dst) = if inbound {
            (peer.addr, local)
        } else {
            (local, peer.addr)
        };
        hep.send(Capture {
            src,
            dst,
            transport: match peer.transport {
                Transport::Udp => HepTransport::Udp,
                Transport::Tcp | Transport::Tls => HepTransport::Tcp,
            },
            proto: HepProto::Sip,
            at: SystemTime::now(),
            correlation_id: None,
            payload: bytes.clone(),
        });
    }

    /// The leg's RTCP socket address (ours) is known.
    pub fn media_local(&mut self, leg: u64, rtcp: SocketAddr) {
        self.rtcp.entry(leg).or_default().local = Some(rtcp);
    }

    /// The peer's RTCP address is known (or gone, on hold).
    pub fn media_remote(&mut self, leg: u64, rtcp: Option<SocketAddr>) {
        if let Some(a) = rtcp {
            self.rtcp.entry(leg).or_default().remote = Some(a);
        }
    }

    /// A leg appeared or changed.
    pub fn leg_updated(&mut self, view: &LegView, store: &StoreHandle) {
        let _span = tracing::info_span!("leg", leg = view.id, call_id = %view.call_id).entered();
        let before = self.book.get(view.id).map(|l| l.state);
        let events = self.book.update(wall(), view);
        match before {
            None => {
                self.metrics
                    .calls
                    .get_or_create(&state_label(view.state))
                    .inc();
                // The open record: a crash leaves it for the next start to close.
                if let Some(cdr) = self.book.open_record(view.id) {
                    store.write(Write::PutLeg(row(&cdr)));
                }
            }
            Some(s) if s != view.state => {
                self.metrics.calls.get_or_create(&state_label(s)).dec();
                self.metrics
                    .calls
                    .get_or_create(&state_label(view.state))
                    .inc();
            }
            Some(_) => {}
        }
        self.rooms.set(&self.metrics, view.id, room_labels(view));
        for e in events {
            if matches!(e, LegEvent::Moved { .. }) {
                self.metrics.moves.inc();
                if let LegEvent::Moved { moved, .. } = &e {
                    tracing::info!(from = %moved.from, to = %moved.to, "leg moved");
                }
            }
            self.publish(e);
        }
    }

    /// A leg ended: its record is written durably, then `ended` is published.
    pub fn leg_ended(&mut self, view: &LegView, end: &LegEnd, store: &StoreHandle) {
        let _span = tracing::info_span!("leg", leg = view.id, call_id = %view.call_id).entered();
        let before = self.book.get(view.id).map(|l| l.state);
        let (events, done) = self.book.end(wall(), view, end);
        if let Some(s) = before {
            self.metrics.calls.get_or_create(&state_label(s)).dec();
        }
        self.rooms.set(&self.metrics, view.id, None);
        self.rtcp.remove(&view.id);
        for e in events {
            match e {
                LegEvent::Moved { .. } => {
                    self.metrics.moves.inc();
                    self.publish(e);
                }
                // A leg that ended before any update: counted, never shown as up.
                LegEvent::Started { .. } => {}
                _ => self.publish(e),
            }
        }
        let Some((leg, cdr)) = done else { return };
        tracing::info!(
            by = end.by,
            status = end.status,
            reason = %end.reason,
            "leg ended"
        );
        let tx = self.events.clone();
        let failures = self.metrics.cdr_failures.clone();
        let w = Write::PutLeg(row(&cdr));
        store.write_then(
            w,
            Box::new(move |r: Result<(), &StoreError>| {
                if let Err(e) = r {
                    failures.inc();
                    tracing::error!(leg = cdr.leg, call_id = %cdr.call_id, error = %e, "call record not stored");
                }
                if tx.receiver_count() > 0 {
                    let _ = tx.send(LegMessage::event(&LegEvent::Ended {
                        leg: Box::new(leg),
                        cdr: Box::new(cdr),
                    }));
                }
            }),
        );
    }

    /// One second's statistics of every leg of a media shard: the legs' live figures,
    /// quality verdicts (a crossing is an event), metrics, RTCP reports to Homer, and one
    /// `stats` message for whoever watches the leg-event stream.
    pub fn stats(&mut self, now: Instant, all: &[LegStats]) {
        let wall = wall();
        // A subscriber gone without dropping its interest yet is harmless: one message more.
        let watching = self.stats_wanted.load(Ordering::Relaxed) > 0;
        let mut total = crate::ops::legs::StatsDelta::default();
        for s in all {
            let Some((crossing, delta)) = self.book.stats(now, wall, s) else {
                continue;
            };
            total.packets_in += delta.packets_in;
            total.packets_out += delta.packets_out;
            total.lost += delta.lost;
            self.metrics.jitter_ms.observe(f64::from(delta.jitter_ms));
            if let Some(e) = crossing {
                if let LegEvent::Quality {
                    from, to, call_id, ..
                } = &e
                {
                    tracing::info!(leg = s.leg.0, %call_id, %from, %to, "quality band crossed");
                    self.metrics
                        .quality_crossings
                        .get_or_create(&BandLabels {
                            band: to.to_string(),
                        })
                        .inc();
                }
                self.publish(e);
            }
            if watching {
                if let Some(leg) = self.book.get(s.leg.0) {
                    self.batch.push(leg);
                }
            }
            self.export_rtcp(s);
        }
        // Counters once a second, not once per leg.
        self.rtp_in.inc_by(total.packets_in);
        self.rtp_out.inc_by(total.packets_out);
        self.metrics.rtp_lost.inc_by(total.lost);
        if let Some(m) = self.batch.finish(wall.unix_ms) {
            let _ = self.events.send(m);
        }
    }

    /// The latest RTCP reports of the leg's audio, both ways (the peer's of our stream and
    /// ours of its stream), as Homer's RTCP JSON, each report once.
    fn export_rtcp(&mut self, s: &LegStats) {
        let Some(hep) = &self.hep else { return };
        let Some(path) = self.rtcp.get_mut(&s.leg.0) else {
            return;
        };
        let (Some(local), Some(remote)) = (path.local, path.remote) else {
            return;
        };
        let theirs = s
            .peer
            .map(|p| p.report)
            .filter(|r| path.last_report != Some(r.count));
        let ours = s.sent_report.filter(|r| path.last_sent != Some(r.count));
        if theirs.is_none() && ours.is_none() {
            return;
        }
        if let Some(r) = theirs {
            path.last_report = Some(r.count);
        }
        if let Some(r) = ours {
            path.last_sent = Some(r.count);
        }
        let Some(call_id) = self.book.get(s.leg.0).map(|l| l.call_id.as_str()) else {
            return;
        };
        let capture = |src, dst, r: &crate::media::PeerReportRaw| Capture {
            src,
            dst,
            transport: HepTransport::Udp,
            proto: HepProto::RtcpJson,
            at: SystemTime::now(),
            correlation_id: Some(call_id.to_owned()),
            payload: Bytes::from(crate::ops::hep::rtcp_json(r)),
        };
        if let Some(r) = theirs {
            hep.send(capture(remote, local, &r));
        }
        if let Some(r) = ours {
            hep.send(capture(local, remote, &r));
        }
    }
}

fn room_labels(v: &LegView) -> Option<RoomLabels> {
    Some(RoomLabels {
        meeting: v.meeting.clone()?,
        room: v.room?.to_string(),
    })
}

/// The store row of a call record.
fn row(cdr: &Cdr) -> LegRecord {
    LegRecord {
        id: cdr.id.clone(),
        meeting_id: cdr.meeting.clone(),
        call_id: Some(cdr.call_id.clone()),
        protocol: cdr.protocol.clone(),
        remote: cdr.remote.clone(),
        user_agent: cdr.user_agent.clone(),
        started_at: cdr.started_ms.div_euclid(1000),
        ended_at: cdr.ended_ms.map(|ms| ms.div_euclid(1000)),
        end_reason: cdr.end_by.clone(),
        record: serde_json::to_string(cdr).expect("a call record serializes: plain data"),
    }
}
