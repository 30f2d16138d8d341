//! The operators' book of call legs: one record per leg, kept from the gateway's leg views and
//! the media plane's statistics, the events operators watch (started, updated, moved, quality,
//! ended; and every second one [`StatsBatch`] of every leg's figures), each serialized once
//! into a [`LegMessage`] for all watchers, and the call detail record written when a leg ends.
//!
//! Pure: every entry point takes `now` (for windows) and a [`Wall`] (to stamp wall-clock
//! times); the runtime reads the clocks and does the sending and storing.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde::Serialize;

use super::quality::{verdict, Band, BandWatch, Window};
use crate::call::{LegEnd, LegState, LegView};
use crate::media::LegStats;
use crate::meeting::{Actor, ParticipantId, Place};

/// The loss window of the live view and of the quality verdict: long enough that one burst
/// does not flip a band, short enough that operators see a fault while it lasts.
pub const LOSS_WINDOW: Duration = Duration::from_secs(20);

/// Samples kept per leg for the window: one a second is the fastest the runtime asks for.
const MAX_SAMPLES: usize = 64;

/// A monotonic instant paired with the wall clock read at the same moment, so past instants
/// (a move's `at`) convert to wall time.
#[derive(Clone, Copy, Debug)]
pub struct Wall {
    pub now: Instant,
    /// Milliseconds since the Unix epoch at `now`.
    pub unix_ms: i64,
}

impl Wall {
    /// Wall-clock milliseconds of `t` (before or after `now`).
    pub fn unix_ms_of(&self, t: Instant) -> i64 {
        if t <= self.now {
            self.unix_ms - self.now.duration_since(t).as_millis() as i64
        } else {
            self.unix_ms + t.duration_since(self.now).as_millis() as i64
        }
    }
}

/// RFC 3339 UTC with milliseconds (`2026-11-26T07:44:22.123Z`) from Unix milliseconds.
pub fn rfc3339(unix_ms: i64) -> String {
    let secs = unix_ms.div_euclid(1000);
    let ms = unix_ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{ms:03}Z",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    )
}

/// Wall-clock milliseconds that serialize as RFC 3339 text: formatted only when someone reads
/// them (the per-second statistics are mostly never looked at).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WallTime(pub i64);

impl Serialize for WallTime {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&rfc3339(self.0))
    }
}

/// One move of a leg, with its wall-clock time.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MoveRecord {
    pub at: String,
    pub at_ms: i64,
    pub from: Place,
    pub to: Place,
    pub by: Actor,
}

/// The peer's view of our stream, from its RTCP receiver reports (RFC 3550 §6.4.1).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PeerReport {
    pub fraction_lost: f32,
    pub cumulative_lost: i32,
    pub jitter_ms: f32,
}

/// A leg's live media statistics.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LiveStats {
    pub packets_in: u64,
    pub bytes_in: u64,
    pub packets_out: u64,
    pub bytes_out: u64,
    /// Packets lost from the peer since the start (RFC 3550 A.3).
    pub lost: i64,
    /// Fraction lost since the start.
    pub loss_total: f64,
    /// Fraction lost over the last [`LOSS_WINDOW`].
    pub loss_20s: f64,
    pub jitter_ms: f32,
    pub rtt_ms: Option<f32>,
    /// Estimated MOS of what the leg sends us.
    pub mos: f32,
    /// Estimated MOS of what the leg hears (from its reports).
    pub mos_out: Option<f32>,
    /// What the peer reports of our stream.
    pub peer: Option<PeerReport>,
    /// RTP/RTCP datagrams dropped because they came from a foreign source, not the peer.
    pub foreign_packets: u64,
    pub updated_at: WallTime,
}

/// Quality over a leg's life, for its call record.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct QualitySummary {
    /// The worst band it was in.
    pub worst: Option<Band>,
    pub mos_min: Option<f32>,
    pub mos_avg: Option<f32>,
    pub jitter_max_ms: f32,
    pub rtt_max_ms: Option<f32>,
    pub loss_20s_max: f64,
    /// Band crossings.
    pub crossings: u32,
    #[serde(skip)]
    mos_sum: f64,
    #[serde(skip)]
    mos_n: u32,
}

/// A call leg as operators see it (`GET /api/v1/legs/{id}`).
#[derive(Clone, Debug, Serialize)]
pub struct OpsLeg {
    pub id: u64,
    /// `SIP/UDP`, `SIP/TCP`, `SIP/TLS`.
    pub protocol: String,
    pub call_id: String,
    pub local_tag: Option<String>,
    pub remote_tag: Option<String>,
    pub remote: String,
    pub user_agent: Option<String>,
    pub name: String,
    pub identity: String,
    pub state: LegState,
    pub meeting: Option<String>,
    pub participant: Option<ParticipantId>,
    pub room: Option<Place>,
    pub audio_codec: Option<String>,
    pub video_codec: Option<String>,
    pub video_note: Option<String>,
    pub muted: bool,
    pub joined_at: String,
    pub joined_ms: i64,
    pub stats: Option<LiveStats>,
    pub quality: Option<Band>,
    pub moves: Vec<MoveRecord>,
}

/// Why and when a leg ended, with what the call record keeps.
#[derive(Clone, Debug, Serialize)]
pub struct Cdr {
    /// Unique across restarts (`<run>-<leg>`); the leg id alone restarts at 1.
    pub id: String,
    pub leg: u64,
    pub call_id: String,
    pub protocol: String,
    pub remote: String,
    pub user_agent: Option<String>,
    pub name: String,
    pub identity: String,
    pub meeting: Option<String>,
    pub started_at: String,
    pub started_ms: i64,
    pub ended_at: Option<String>,
    pub ended_ms: Option<i64>,
    pub duration_s: Option<f64>,
    /// `caller`, `roomgate`, `timeout`, `refused`, `cancelled`, `network`, `interrupted`.
    pub end_by: Option<String>,
    pub sip_status: Option<u16>,
    pub reason: Option<String>,
    pub audio_codec: Option<String>,
    pub video_codec: Option<String>,
    pub packets_in: u64,
    pub packets_out: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub lost: i64,
    pub loss_total: f64,
    pub quality: QualitySummary,
    pub moves: Vec<MoveRecord>,
}

/// What operators are told, in order (`GET /api/v1/legs/events`), besides the per-second
/// [`StatsBatch`].
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LegEvent {
    Started {
        leg: Box<OpsLeg>,
    },
    Updated {
        leg: Box<OpsLeg>,
    },
    Moved {
        leg: u64,
        call_id: String,
        #[serde(flatten)]
        moved: MoveRecord,
    },
    /// The leg crossed into another quality band.
    Quality {
        leg: u64,
        call_id: String,
        from: Band,
        to: Band,
        at: String,
        loss_20s: f64,
        jitter_ms: f32,
        rtt_ms: Option<f32>,
    },
    /// Sent once the call record is durable.
    Ended {
        leg: Box<OpsLeg>,
        cdr: Box<Cdr>,
    },
}

impl LegEvent {
    pub fn leg_id(&self) -> u64 {
        match self {
            LegEvent::Started { leg } | LegEvent::Updated { leg } | LegEvent::Ended { leg, .. } => {
                leg.id
            }
            LegEvent::Moved { leg, .. } | LegEvent::Quality { leg, .. } => *leg,
        }
    }
}

struct Entry {
    leg: OpsLeg,
    samples: VecDeque<(Instant, u64, i64)>,
    watch: BandWatch,
    summary: QualitySummary,
}

/// Changes a stats sample implies, for metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct StatsDelta {
    pub packets_in: u64,
    pub packets_out: u64,
    pub lost: u64,
    pub jitter_ms: f32,
}

/// Every leg that is up, by id.
#[derive(Default)]
pub struct LegBook {
    run: String,
    legs: HashMap<u64, Entry>,
}

fn fraction(lost: i64, expected: u64) -> f64 {
    if expected == 0 {
        0.0
    } else {
        (lost.max(0) as f64 / expected as f64).clamp(0.0, 1.0)
    }
}

impl LegBook {
    /// `run` tells this process's call records apart from earlier runs' (leg ids restart).
    pub fn new(run: impl Into<String>) -> LegBook {
        LegBook {
            run: run.into(),
            legs: HashMap::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.legs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.legs.is_empty()
    }

    pub fn get(&self, id: u64) -> Option<&OpsLeg> {
        self.legs.get(&id).map(|e| &e.leg)
    }

    /// Every leg, ordered by id.
    pub fn list(&self) -> Vec<OpsLeg> {
        let mut v: Vec<OpsLeg> = self.legs.values().map(|e| e.leg.clone()).collect();
        v.sort_by_key(|l| l.id);
        v
    }

    /// The call record id of leg `id` in this run.
    pub fn cdr_id(&self, id: u64) -> String {
        format!("{}-{id}", self.run)
    }

    /// A leg appeared or changed; returns the events it implies (`Started` the first time,
    /// then `Moved` per new move and `Updated`).
    pub fn update(&mut self, wall: Wall, view: &LegView) -> Vec<LegEvent> {
        let mut events = Vec::new();
        let e = match self.legs.get_mut(&view.id) {
            Some(e) => e,
            None => {
                let leg = OpsLeg {
                    id: view.id,
                    protocol: format!("SIP/{}", view.transport.to_ascii_uppercase()),
                    call_id: view.call_id.clone(),
                    local_tag: None,
                    remote_tag: None,
                    remote: view.remote.to_string(),
                    user_agent: None,
                    name: String::new(),
                    identity: String::new(),
                    state: view.state,
                    meeting: None,
                    participant: None,
                    room: None,
                    audio_codec: None,
                    video_codec: None,
                    video_note: None,
                    muted: false,
                    joined_at: rfc3339(wall.unix_ms),
                    joined_ms: wall.unix_ms,
                    stats: None,
                    quality: None,
                    moves: Vec::new(),
                };
                self.legs.insert(
                    view.id,
                    Entry {
                        leg,
                        samples: VecDeque::new(),
                        watch: BandWatch::default(),
                        summary: QualitySummary::default(),
                    },
                );
                let e = self.legs.get_mut(&view.id).expect("just inserted");
                apply_view(&mut e.leg, view, wall, &mut Vec::new());
                events.push(LegEvent::Started {
                    leg: Box::new(e.leg.clone()),
                });
                return events;
            }
        };
        let mut moved = Vec::new();
        apply_view(&mut e.leg, view, wall, &mut moved);
        for m in moved {
            events.push(LegEvent::Moved {
                leg: view.id,
                call_id: view.call_id.clone(),
                moved: m,
            });
        }
        events.push(LegEvent::Updated {
            leg: Box::new(e.leg.clone()),
        });
        events
    }

    /// A statistics snapshot from the media plane; returns a `Quality` event when the leg
    /// crossed a band, and the counters' growth; nothing for an unknown leg. The leg's new
    /// figures are in [`Self::get`] (for a [`StatsBatch`]).
    pub fn stats(
        &mut self,
        now: Instant,
        wall: Wall,
        s: &LegStats,
    ) -> Option<(Option<LegEvent>, StatsDelta)> {
        let e = self.legs.get_mut(&s.leg.0)?;
        let prev = e.leg.stats.as_ref();
        let delta = StatsDelta {
            packets_in: s
                .packets_in
                .saturating_sub(prev.map_or(0, |p| p.packets_in)),
            packets_out: s
                .packets_out
                .saturating_sub(prev.map_or(0, |p| p.packets_out)),
            lost: (s.lost_in.max(0) - prev.map_or(0, |p| p.lost.max(0))).max(0) as u64,
            jitter_ms: s.jitter_ms,
        };
        e.samples.push_back((now, s.expected_in, s.lost_in));
        // The baseline is the newest sample at least a window old (or the oldest there is).
        while e.samples.len() > MAX_SAMPLES
            || e.samples
                .get(1)
                .is_some_and(|(t, _, _)| now.duration_since(*t) >= LOSS_WINDOW)
        {
            e.samples.pop_front();
        }
        let (_, exp0, lost0) = *e.samples.front().expect("one pushed above");
        let loss_20s = if e.samples.len() > 1 {
            fraction(s.lost_in - lost0, s.expected_in.saturating_sub(exp0))
        } else {
            f64::from(s.loss_window)
        };
        let stats = LiveStats {
            packets_in: s.packets_in,
            bytes_in: s.bytes_in,
            packets_out: s.packets_out,
            bytes_out: s.bytes_out,
            lost: s.lost_in,
            loss_total: fraction(s.lost_in, s.expected_in),
            loss_20s,
            jitter_ms: s.jitter_ms,
            rtt_ms: s.rtt_ms,
            mos: s.mos_in,
            mos_out: s.mos_out,
            peer: s.peer.map(|p| PeerReport {
                fraction_lost: p.fraction_lost,
                cumulative_lost: p.cumulative_lost,
                jitter_ms: p.jitter_ms,
            }),
            foreign_packets: s.foreign_packets,
            updated_at: WallTime(wall.unix_ms),
        };
        let band = verdict(&Window {
            loss: loss_20s,
            jitter_ms: f64::from(s.jitter_ms),
            rtt_ms: s.rtt_ms.map(f64::from),
        });
        let sum = &mut e.summary;
        sum.worst = Some(sum.worst.map_or(band, |w| w.max(band)));
        sum.mos_min = Some(sum.mos_min.map_or(s.mos_in, |m| m.min(s.mos_in)));
        sum.mos_sum += f64::from(s.mos_in);
        sum.mos_n += 1;
        sum.mos_avg = Some((sum.mos_sum / f64::from(sum.mos_n)) as f32);
        sum.jitter_max_ms = sum.jitter_max_ms.max(s.jitter_ms);
        if let Some(r) = s.rtt_ms {
            sum.rtt_max_ms = Some(sum.rtt_max_ms.map_or(r, |m| m.max(r)));
        }
        sum.loss_20s_max = sum.loss_20s_max.max(loss_20s);
        let mut crossing = None;
        if let Some((from, to)) = e.watch.update(band) {
            sum.crossings += 1;
            crossing = Some(LegEvent::Quality {
                leg: s.leg.0,
                call_id: e.leg.call_id.clone(),
                from,
                to,
                at: rfc3339(wall.unix_ms),
                loss_20s,
                jitter_ms: s.jitter_ms,
                rtt_ms: s.rtt_ms,
            });
        }
        e.leg.quality = Some(band);
        e.leg.stats = Some(stats);
        Some((crossing, delta))
    }

    /// The call record of a leg that is up (its `end_*` fields empty): written when the leg
    /// starts, so a crash leaves a row that the next start closes as interrupted.
    pub fn open_record(&self, id: u64) -> Option<Cdr> {
        let e = self.legs.get(&id)?;
        Some(self.cdr(e, None))
    }

    /// A leg ended: forgets it and returns its final view and call record (`Moved` events of
    /// moves seen only now come first).
    pub fn end(
        &mut self,
        wall: Wall,
        view: &LegView,
        end: &LegEnd,
    ) -> (Vec<LegEvent>, Option<(OpsLeg, Cdr)>) {
        let mut events = Vec::new();
        if !self.legs.contains_key(&view.id) {
            // Ended before any update reached us (refused at once): still a record.
            events.extend(self.update(wall, view));
        }
        let mut e = self.legs.remove(&view.id).expect("inserted above");
        let mut moved = Vec::new();
        apply_view(&mut e.leg, view, wall, &mut moved);
        for m in moved {
            events.push(LegEvent::Moved {
                leg: view.id,
                call_id: view.call_id.clone(),
                moved: m,
            });
        }
        let cdr = self.cdr(&e, Some((wall.unix_ms, end)));
        (events, Some((e.leg, cdr)))
    }

    fn cdr(&self, e: &Entry, end: Option<(i64, &LegEnd)>) -> Cdr {
        let l = &e.leg;
        let s = l.stats.as_ref();
        Cdr {
            id: self.cdr_id(l.id),
            leg: l.id,
            call_id: l.call_id.clone(),
            protocol: l.protocol.clone(),
            remote: l.remote.clone(),
            user_agent: l.user_agent.clone(),
            name: l.name.clone(),
            identity: l.identity.clone(),
            meeting: l.meeting.clone(),
            started_at: l.joined_at.clone(),
            started_ms: l.joined_ms,
            ended_at: end.map(|(ms, _)| rfc3339(ms)),
            ended_ms: end.map(|(ms, _)| ms),
            duration_s: end.map(|(ms, _)| (ms - l.joined_ms).max(0) as f64 / 1000.0),
            end_by: end.map(|(_, e)| e.by.to_owned()),
            sip_status: end.and_then(|(_, e)| e.status),
            reason: end.map(|(_, e)| e.reason.clone()),
            audio_codec: l.audio_codec.clone(),
            video_codec: l.video_codec.clone(),
            packets_in: s.map_or(0, |s| s.packets_in),
            packets_out: s.map_or(0, |s| s.packets_out),
            bytes_in: s.map_or(0, |s| s.bytes_in),
            bytes_out: s.map_or(0, |s| s.bytes_out),
            lost: s.map_or(0, |s| s.lost),
            loss_total: s.map_or(0.0, |s| s.loss_total),
            quality: e.summary.clone(),
            moves: l.moves.clone(),
        }
    }
}

/// Copies a view into a record; moves not yet recorded go to `moved` too.
fn apply_view(leg: &mut OpsLeg, v: &LegView, wall: Wall, moved: &mut Vec<MoveRecord>) {
    leg.call_id.clone_from(&v.call_id);
    leg.local_tag.clone_from(&v.local_tag);
    leg.remote_tag.clone_from(&v.remote_tag);
    leg.remote = v.remote.to_string();
    leg.user_agent.clone_from(&v.user_agent);
    leg.name.clone_from(&v.name);
    leg.identity.clone_from(&v.identity);
    leg.state = v.state;
    leg.meeting.clone_from(&v.meeting);
    leg.participant = v.participant;
    leg.room = v.room;
    leg.audio_codec.clone_from(&v.audio_codec);
    leg.video_codec.clone_from(&v.video_codec);
    leg.video_note.clone_from(&v.video_note);
    leg.muted = v.muted;
    // The core keeps every move of the leg in order; the ones past our count are new.
    for m in v.moves.iter().skip(leg.moves.len()) {
        let at_ms = wall.unix_ms_of(m.at);
        let r = MoveRecord {
            at: rfc3339(at_ms),
            at_ms,
            from: m.from,
            to: m.to,
            by: m.by,
        };
        leg.moves.push(r.clone());
        moved.push(r);
    }
}

/// Filters of `GET /api/v1/legs`; `None` matches everything.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct LegFilter {
    pub meeting: Option<String>,
    /// `main` or a breakout room id.
    pub room: Option<String>,
    /// A [`LegState`] in snake case (`in_meeting`).
    pub state: Option<String>,
    /// `SIP/UDP`, `udp`, `tcp`… (case-insensitive; `SIP/` optional).
    pub protocol: Option<String>,
    /// The remote address: `ip` or `ip:port`.
    pub remote: Option<String>,
    /// Minimum loss over the last 20 s, as a fraction (0.05 = 5 %).
    pub min_loss: Option<f64>,
}

impl LegFilter {
    pub fn matches(&self, l: &OpsLeg) -> bool {
        if let Some(m) = &self.meeting {
            if l.meeting.as_deref() != Some(m.as_str()) {
                return false;
            }
        }
        if let Some(r) = &self.room {
            if l.room.map(|p| p.to_string()).as_deref() != Some(r.as_str()) {
                return false;
            }
        }
        if let Some(s) = &self.state {
            let state = serde_json::to_value(l.state).expect("a unit enum serializes");
            if state.as_str() != Some(s.as_str()) {
                return false;
            }
        }
        if let Some(p) = &self.protocol {
            let want = p.to_ascii_uppercase();
            let want = want.strip_prefix("SIP/").unwrap_or(&want);
            if l.protocol.strip_prefix("SIP/") != Some(want) {
                return false;
            }
        }
        if let Some(r) = &self.remote {
            let host = l
                .remote
                .rsplit_once(':')
                .map_or(l.remote.as_str(), |(h, _)| h)
                .trim_matches(['[', ']']);
            if l.remote != *r && host != r.trim_matches(['[', ']']) {
                return false;
            }
        }
        if let Some(min) = self.min_loss {
            if l.stats.as_ref().map_or(0.0, |s| s.loss_20s) < min {
                return false;
            }
        }
        true
    }
}

/// One message of the leg-event stream as JSON text, serialized once and shared by every
/// watcher (cloning it clones a reference count).
#[derive(Clone, Debug)]
pub struct LegMessage {
    /// A per-second `stats` message (left out for `?stats=false`).
    pub stats: bool,
    /// UTF-8 JSON text.
    pub json: Bytes,
}

impl LegMessage {
    pub fn event(e: &LegEvent) -> LegMessage {
        LegMessage {
            stats: false,
            json: Bytes::from(
                serde_json::to_vec(e).expect("leg events serialize: plain data with string keys"),
            ),
        }
    }
}

/// Every leg's statistics of one second as one `stats` message, written once for every
/// watcher: `{"type":"stats","at":"<RFC 3339>","legs":[{"id":7,"quality":"good","stats":
/// {…}},…]}`. Each entry is a partial [`OpsLeg`] that a client merges into the leg it knows;
/// the entries' `stats` leave out `updated_at`, which is the message's `at`.
///
/// One message a second instead of one per leg: watchers cost a reference count and a
/// WebSocket frame each, not a serialization per leg.
#[derive(Default)]
pub struct StatsBatch {
    buf: Vec<u8>,
    legs: usize,
}

/// Appends one JSON value (a number, `null` or a plain struct) to `out`.
fn json_value(out: &mut Vec<u8>, v: &impl Serialize) {
    serde_json::to_writer(out, v).expect("statistics serialize: plain data with string keys");
}

/// Appends `"key":` then the value.
fn json_field(out: &mut Vec<u8>, key: &[u8], v: &impl Serialize) {
    out.extend_from_slice(key);
    json_value(out, v);
}
impl StatsBatch {
    /// Adds a leg's current figures (nothing for a leg without statistics yet).
    ///
    /// Written field by field with the keys as literals: this runs for every leg every second
    /// while someone watches, and a derived serializer spends a third of its time escaping
    /// the keys. `stats_batch_is_one_message_of_partial_legs` holds it to [`LiveStats`]'s
    /// own serialization.
    pub fn push(&mut self, leg: &OpsLeg) {
        let Some(f) = &leg.stats else { return };
        let out = &mut self.buf;
        out.extend_from_slice(if self.legs == 0 { b"[" } else { b"," });
        json_field(out, br#"{"id":"#, &leg.id);
        json_field(out, br#","quality":"#, &leg.quality);
        json_field(out, br#","stats":{"packets_in":"#, &f.packets_in);
        json_field(out, br#","bytes_in":"#, &f.bytes_in);
        json_field(out, br#","packets_out":"#, &f.packets_out);
        json_field(out, br#","bytes_out":"#, &f.bytes_out);
        json_field(out, br#","lost":"#, &f.lost);
        json_field(out, br#","loss_total":"#, &f.loss_total);
        json_field(out, br#","loss_20s":"#, &f.loss_20s);
        json_field(out, br#","jitter_ms":"#, &f.jitter_ms);
        json_field(out, br#","rtt_ms":"#, &f.rtt_ms);
        json_field(out, br#","mos":"#, &f.mos);
        json_field(out, br#","mos_out":"#, &f.mos_out);
        json_field(out, br#","peer":"#, &f.peer);
        json_field(out, br#","foreign_packets":"#, &f.foreign_packets);
        out.extend_from_slice(b"}}");
        self.legs += 1;
    }

    pub fn is_empty(&self) -> bool {
        self.legs == 0
    }

    /// The message of the legs pushed since the last one, stamped `unix_ms`; empties the
    /// batch. `None` when no leg was pushed.
    pub fn finish(&mut self, unix_ms: i64) -> Option<LegMessage> {
        if self.legs == 0 {
            return None;
        }
        let mut out = Vec::with_capacity(self.buf.len() + 64);
        out.extend_from_slice(br#"{"type":"stats","at":""#);
        out.extend_from_slice(rfc3339(unix_ms).as_bytes());
        out.extend_from_slice(br#"","legs":"#);
        out.extend_from_slice(&self.buf);
        out.extend_from_slice(b"]}");
        self.buf.clear();
        self.legs = 0;
        Some(LegMessage {
            stats: true,
            json: Bytes::from(out),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::call::LegMove;
    use crate::media::codec::AudioCodec;
    use crate::media::LegId;
    use crate::meeting::RoomId;

    fn view(id: u64) -> LegView {
        LegView {
            id,
            call_id: format!("call-{id}"),
            local_tag: Some("l".into()),
            remote_tag: Some("r".into()),
            remote: "127.0.0.1:5070".parse().unwrap(),
            transport: "UDP",
            user_agent: Some("ua".into()),
            name: "Boardroom".into(),
            identity: "sip:boardroom@x".into(),
            state: LegState::InMeeting,
            meeting: Some("1000".into()),
            participant: Some(ParticipantId(1)),
            room: Some(Place::Main),
            audio_codec: Some("PCMU".into()),
            video_codec: None,
            video_note: None,
            muted: false,
            direction: "in",
            moves: Vec::new(),
        }
    }

    fn stats(id: u64, expected: u64, lost: i64, jitter: f32) -> LegStats {
        LegStats {
            leg: LegId(id),
            room: None,
            codec: AudioCodec::Pcmu,
            packets_in: expected - lost as u64,
            bytes_in: 0,
            packets_out: expected,
            bytes_out: 0,
            expected_in: expected,
            lost_in: lost,
            loss_window: 0.0,
            jitter_ms: jitter,
            late: 0,
            concealed_frames: 0,
            playout_delay_ms: 0,
            malformed: 0,
            unknown_payload_type: 0,
            foreign_packets: 0,
            peer: None,
            sent_report: None,
            rtt_ms: None,
            peer_bye: false,
            mos_in: 4.4,
            mos_out: None,
            video: None,
        }
    }

    #[test]
    fn wall_times_are_iso_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(1_795_678_462_123), "2026-11-26T07:34:22.123Z");
        assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn moves_get_wall_times_and_events_once() {
        let t0 = Instant::now();
        let mut book = LegBook::new("run");
        let wall = Wall {
            now: t0,
            unix_ms: 1_000_000,
        };
        let ev = book.update(wall, &view(7));
        assert!(matches!(ev.as_slice(), [LegEvent::Started { .. }]));
        let mut v = view(7);
        v.moves.push(LegMove {
            at: t0 + Duration::from_secs(2),
            from: Place::Main,
            to: Place::Room(RoomId(1)),
            by: Actor::Host,
        });
        v.room = Some(Place::Room(RoomId(1)));
        let wall = Wall {
            now: t0 + Duration::from_secs(3),
            unix_ms: 1_003_000,
        };
        let ev = book.update(wall, &v);
        match ev.as_slice() {
            [LegEvent::Moved { moved, .. }, LegEvent::Updated { .. }] => {
                assert_eq!(moved.at_ms, 1_002_000)
            }
            other => panic!("{other:?}"),
        }
        // The same view again: no second Moved.
        let ev = book.update(wall, &v);
        assert!(matches!(ev.as_slice(), [LegEvent::Updated { .. }]));
        let end = LegEnd {
            by: "caller",
            status: None,
            reason: "BYE".into(),
        };
        let (_, done) = book.end(wall, &v, &end);
        let (_, cdr) = done.unwrap();
        assert_eq!(cdr.moves.len(), 1);
        assert_eq!(cdr.end_by.as_deref(), Some("caller"));
        assert_eq!(cdr.id, "run-7");
        assert!(book.is_empty());
    }

    #[test]
    fn loss_window_and_band_crossings() {
        let t0 = Instant::now();
        let mut book = LegBook::new("r");
        let w = |s: u64| Wall {
            now: t0 + Duration::from_secs(s),
            unix_ms: s as i64 * 1000,
        };
        book.update(w(0), &view(1));
        let (ev, _) = book.stats(t0, w(0), &stats(1, 1000, 0, 5.0)).unwrap();
        assert!(ev.is_none(), "the first verdict is not a crossing");
        assert_eq!(book.get(1).unwrap().quality, Some(Band::Good));
        // 100 of the next 1000 lost: 10 % in the window, 5 % in total.
        let t = t0 + Duration::from_secs(5);
        let (ev, delta) = book.stats(t, w(5), &stats(1, 2000, 100, 5.0)).unwrap();
        assert_eq!(delta.lost, 100);
        match ev {
            Some(LegEvent::Quality { from, to, .. }) => {
                assert_eq!((from, to), (Band::Good, Band::Bad));
            }
            other => panic!("{other:?}"),
        }
        let s = book.get(1).unwrap().stats.clone().unwrap();
        assert!((s.loss_20s - 0.1).abs() < 1e-9);
        assert!((s.loss_total - 0.05).abs() < 1e-9);
        // 10 s later the loss is still inside the window, diluted: 5 %.
        let t = t0 + Duration::from_secs(15);
        let (ev, _) = book.stats(t, w(15), &stats(1, 3000, 100, 5.0)).unwrap();
        assert!(matches!(
            ev,
            Some(LegEvent::Quality {
                from: Band::Bad,
                to: Band::Poor,
                ..
            })
        ));
        // 25 s after it, with no new loss, the window has forgotten it.
        let t = t0 + Duration::from_secs(30);
        let (ev, _) = book.stats(t, w(30), &stats(1, 4000, 100, 5.0)).unwrap();
        assert!(matches!(
            ev,
            Some(LegEvent::Quality {
                from: Band::Poor,
                to: Band::Good,
                ..
            })
        ));
        assert!(book.stats(t, w(35), &stats(9, 1, 0, 0.0)).is_none());
    }

    #[test]
    fn stats_batch_is_one_message_of_partial_legs() {
        let t0 = Instant::now();
        let wall = Wall {
            now: t0,
            unix_ms: 1_795_678_462_123,
        };
        let mut book = LegBook::new("r");
        let mut batch = StatsBatch::default();
        assert!(batch.finish(wall.unix_ms).is_none(), "nothing pushed");
        book.update(wall, &view(1));
        book.update(wall, &view(2));
        batch.push(book.get(2).unwrap());
        assert!(batch.is_empty(), "a leg without statistics is left out");
        book.stats(t0, wall, &stats(1, 1000, 0, 5.0)).unwrap();
        book.stats(t0, wall, &stats(2, 1000, 50, 40.0)).unwrap();
        batch.push(book.get(1).unwrap());
        batch.push(book.get(2).unwrap());
        let m = batch.finish(wall.unix_ms).expect("two legs");
        assert!(m.stats);
        assert!(batch.is_empty() && batch.finish(0).is_none(), "emptied");
        let v: serde_json::Value = serde_json::from_slice(&m.json).unwrap();
        assert_eq!(v["type"], "stats");
        assert_eq!(v["at"], "2026-11-26T07:34:22.123Z");
        let legs = v["legs"].as_array().unwrap();
        assert_eq!(legs.len(), 2);
        assert_eq!(legs[0]["id"], 1);
        assert_eq!(legs[0]["quality"], "good");
        assert_eq!(legs[1]["id"], 2);
        assert_eq!(legs[1]["quality"], "fair", "40 ms of jitter costs a band");
        // The same figures as the leg's own `stats`, but `updated_at` (the message's `at`).
        // (Compared as parsed text: `to_value` would widen the f32 figures to f64.)
        let text = serde_json::to_string(book.get(2).unwrap().stats.as_ref().unwrap()).unwrap();
        let mut full: serde_json::Value = serde_json::from_str(&text).unwrap();
        full.as_object_mut().unwrap().remove("updated_at");
        assert_eq!(legs[1]["stats"], full);
        assert_eq!(legs[1]["stats"]["lost"], 50);
    }

    #[test]
    fn events_are_serialized_once_as_their_json() {
        let mut book = LegBook::new("r");
        let wall = Wall {
            now: Instant::now(),
            unix_ms: 0,
        };
        let ev = book.update(wall, &view(3)).remove(0);
        let m = LegMessage::event(&ev);
        assert!(!m.stats);
        let v: serde_json::Value = serde_json::from_slice(&m.json).unwrap();
        assert_eq!(v, serde_json::to_value(&ev).unwrap());
        assert_eq!(v["type"], "started");
        assert_eq!(v["leg"]["id"], 3);
    }

    #[test]
    fn filters() {
        let mut book = LegBook::new("r");
        let wall = Wall {
            now: Instant::now(),
            unix_ms: 0,
        };
        book.update(wall, &view(1));
        let l = book.get(1).unwrap();
        let f = |j: serde_json::Value| serde_json::from_value::<LegFilter>(j).unwrap();
        assert!(f(serde_json::json!({"meeting": "1000", "room": "main"})).matches(l));
        assert!(f(serde_json::json!({"protocol": "udp", "state": "in_meeting"})).matches(l));
        assert!(f(serde_json::json!({"remote": "127.0.0.1"})).matches(l));
        assert!(!f(serde_json::json!({"remote": "127.0.0.2"})).matches(l));
        assert!(!f(serde_json::json!({"protocol": "SIP/TCP"})).matches(l));
        assert!(!f(serde_json::json!({"min_loss": 0.01})).matches(l));
    }
}
