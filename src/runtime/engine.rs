//! The engine task: the one owner of the core state.
//!
//! [`Engine`] holds the sans-IO [`Gateway`] (signalling, call legs, meetings) and is driven
//! by one tokio task ([`run`]) exactly as the crate docs' drive contract says: one input at a
//! time (a [`Request`] from the API, a SIP message from the socket tasks, a media event from
//! the media shard, or a timer), then drain the outputs, then sleep until the core's next
//! deadline — the only sleep in the task. Nothing else touches the state, so there are no
//! locks; callers talk to it through [`EngineHandle`] (mpsc in, oneshot out).
//!
//! Draining hands SIP to the socket tasks, media commands to the media shard, meeting events
//! to their subscribers and leg updates to the operators' book; after every input the engine
//! turns what changed into store writes (meetings, options, room definitions,
//! pre-assignments, call records) and answers API calls only once their writes are durable.

use std::collections::{HashMap, HashSet};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::{broadcast, mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::api::legs::LegSubscription;
use crate::api::{ApiMetrics, Control, ControlError, DialOutRequest, EventSubscription};
use crate::engine::{Gateway, Output};
use crate::meeting::{
    Actor, BreakoutOptions, BreakoutState, BreakoutsView, Command, Event, EventKind, MeetingError,
    MeetingSpec, MeetingSummary, MeetingView, Outcome, ParticipantId, ParticipantView,
    PreAssignment,
};
use crate::ops::legs::{LegFilter, OpsLeg};
use crate::ops::metrics::OpsMetrics;
use crate::runtime::media::{MediaShard, ShardCommand, ShardEvent};
use crate::runtime::ops::OpsState;
use crate::runtime::sip::{SipIn, SipSender};
use crate::store::{
    StoreError, StoreHandle, StoredMeeting, StoredPreassignment, StoredRoom, Write,
};
use std::time::Duration;

type Reply<T> = oneshot::Sender<Result<T, ControlError>>;

/// One call into the engine.
pub enum Request {
    CreateMeeting(MeetingSpec, Reply<MeetingView>),
    ListMeetings(Reply<Vec<MeetingSummary>>),
    Meeting(String, Reply<MeetingView>),
    EndMeeting(String, Reply<Vec<ParticipantId>>),
    Participants(String, Reply<Vec<ParticipantView>>),
    Participant(String, ParticipantId, Reply<ParticipantView>),
    Breakouts(String, Reply<BreakoutsView>),
    Command {
        meeting: String,
        actor: Actor,
        cmd: Command,
        reply: Reply<Outcome>,
    },
    Subscribe {
        meeting: String,
        since: Option<u64>,
        reply: Reply<EventSubscription>,
    },
    DialOut {
        meeting: String,
        req: DialOutRequest,
        reply: Reply<u64>,
    },
    /// Operators: the call legs that are up, filtered.
    Legs(LegFilter, Reply<Vec<OpsLeg>>),
    Leg(u64, Reply<Option<OpsLeg>>),
    SubscribeLegs(Reply<LegSubscription>),
}

/// Events buffered per subscriber before it counts as lagging (then it is told to resume).
const SUBSCRIBER_BUFFER: usize = 1024;

/// The core state and its outputs' destinations.
pub struct Engine {
    gateway: Gateway,
    sip: Option<SipSender>,
    media: Option<MediaShard>,
    store: StoreHandle,
    metrics: ApiMetrics,
    /// One broadcast channel per meeting that has (or had) an event-stream subscriber.
    subscribers: HashMap<String, broadcast::Sender<Event>>,
    /// Meetings whose stored definition changed during the current input.
    dirty_rooms: HashSet<String>,
    dirty_preassignments: HashSet<String>,
    ended: Vec<String>,
    /// Deletes of meetings ended during the current input.
    pending_deletes: Vec<Write>,
    /// Open (or closing) breakout rooms per meeting, for the gauge.
    open_rooms: HashMap<String, usize>,
    dirty_open: HashSet<String>,
    /// Operators' view of the call legs (see `runtime::ops`).
    ops: OpsState,
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn options_json(o: &BreakoutOptions) -> String {
    serde_json::to_string(o).expect("options serialize: plain data")
}

impl Engine {
    pub fn new(gateway: Gateway, store: StoreHandle, metrics: ApiMetrics) -> Engine {
        Engine {
            gateway,
            sip: None,
            media: None,
            store,
            metrics,
            subscribers: HashMap::new(),
            dirty_rooms: HashSet::new(),
            dirty_preassignments: HashSet::new(),
            ended: Vec::new(),
            pending_deletes: Vec::new(),
            open_rooms: HashMap::new(),
            dirty_open: HashSet::new(),
            ops: OpsState::new(OpsMetrics::default(), format!("{:x}", unix_now())),
        }
    }

    /// Operators' bookkeeping with registered metrics (and HEP export, if configured).
    pub fn attach_ops(&mut self, ops: OpsState) {
        self.ops = ops;
    }

    /// Connects the SIP transports and the media shard (absent in API-only tests).
    pub fn attach_io(&mut self, sip: SipSender, media: MediaShard) {
        self.sip = Some(sip);
        self.media = Some(media);
    }

    pub fn gateway(&self) -> &Gateway {
        &self.gateway
    }

    /// A SIP message or a transport failure from the socket tasks.
    pub fn handle_sip(&mut self, now: Instant, input: SipIn) {
        match input {
            // Every line logged while handling a message carries its Call-ID (the core's
            // own lines add the leg id).
            SipIn::Datagram { peer, data } => {
                let call_id = self.ops.sip(true, peer, &data).unwrap_or("").to_owned();
                let _span = tracing::info_span!("sip", %call_id).entered();
                self.gateway.handle_sip(now, peer, data)
            }
            SipIn::Message { peer, message } => {
                let bytes = message.to_bytes();
                let call_id = self.ops.sip(true, peer, &bytes).unwrap_or("").to_owned();
                let _span = tracing::info_span!("sip", %call_id).entered();
                self.gateway.handle_sip_message(now, peer, message)
            }
            SipIn::TransportError { peer } => self.gateway.handle_transport_error(now, peer),
            SipIn::Handled { done } => {
                // Inputs are handled in order and each flush queues its answers: all before
                // this one are out to their connections' writers.
                let _ = done.send(());
                return;
            }
        }
        self.flush();
    }

    /// An event from the media shard.
    pub fn handle_media(&mut self, now: Instant, ev: ShardEvent) {
        match ev {
            ShardEvent::Media(ev) => self.gateway.handle_media_event(now, ev),
            // Statistics are for operators only: the core has nothing to do with them.
            ShardEvent::Stats(all) => self.ops.stats(now, &all),
            ShardEvent::OpenFailed { leg, error } => {
                let call_id = self.ops.call_id(leg.0).unwrap_or("");
                tracing::warn!(leg = leg.0, %call_id, %error, "RTP ports could not be bound");
                self.gateway.handle_media_failed(now, leg);
            }
        }
        self.flush();
    }

    /// Refuse new calls and hang up every call (graceful shutdown).
    pub fn begin_shutdown(&mut self, now: Instant) {
        self.gateway.begin_shutdown(now);
        self.flush();
    }

    /// Drains outputs and writes what they imply, without an API reply waiting on them.
    fn flush(&mut self) {
        for w in self.drain(true) {
            self.store.write(w);
        }
    }

    /// Puts stored meetings back into the registry (at start, before any request). Their
    /// creation events are not written back to the store: they came from it.
    pub fn restore(&mut self, now: Instant, stored: Vec<StoredMeeting>) -> usize {
        let mut n = 0;
        for m in stored {
            let options = serde_json::from_str(&m.options).unwrap_or_else(|e| {
                tracing::warn!(meeting = %m.id, error = %e, "stored options unreadable; using defaults");
                BreakoutOptions::default()
            });
            let spec = MeetingSpec {
                id: m.id.clone(),
                name: m.name,
                passcode: m.passcode,
                options,
                preassignments: m
                    .preassignments
                    .into_iter()
                    .map(|p| PreAssignment {
                        identity: p.identity,
                        room: p.room,
                    })
                    .collect(),
                rooms: m.rooms.into_iter().map(|r| r.name).collect(),
            };
            match self
                .gateway
                .with_meetings(now, |m| m.create_meeting(now, spec))
            {
                Ok(_) => n += 1,
                Err(e) => {
                    tracing::error!(meeting = %m.id, error = %e, "stored meeting not restored")
                }
            }
        }
        self.drain(false);
        n
    }

    /// Creates a meeting as the store's first content (the demo meeting).
    pub fn create_initial(&mut self, now: Instant, spec: MeetingSpec) -> Result<(), MeetingError> {
        let writes = self.create(now, spec)?.1;
        for w in writes {
            self.store.write(w);
        }
        Ok(())
    }

    fn create(
        &mut self,
        now: Instant,
        spec: MeetingSpec,
    ) -> Result<(MeetingView, Vec<Write>), MeetingError> {
        let put = Write::PutMeeting {
            id: spec.id.clone(),
            name: spec.name.clone(),
            passcode: spec.passcode.clone(),
            options: options_json(&spec.options),
            created_at: unix_now(),
        };
        let pre = Write::PutPreassignments {
            meeting: spec.id.clone(),
            preassignments: spec
                .preassignments
                .iter()
                .map(|p| StoredPreassignment {
                    identity: p.identity.clone(),
                    room: p.room.clone(),
                })
                .collect(),
        };
        let view = self
            .gateway
            .with_meetings(now, |m| m.create_meeting(now, spec))?;
        // The meeting row first: room and pre-assignment rows refer to it.
        let mut writes = vec![put, pre];
        writes.extend(self.drain(true));
        Ok((view, writes))
    }

    /// The next deadline of the core.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        self.gateway.poll_timeout()
    }

    /// Fires due timers and drains their outputs.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.gateway.handle_timeout(now);
        self.flush();
    }

    /// Handles one request; the reply is sent now, or once its store writes are durable.
    pub fn handle(&mut self, now: Instant, req: Request) {
        match req {
            Request::CreateMeeting(spec, reply) => match self.create(now, spec) {
                Ok((view, writes)) => self.reply_after(writes, reply, view),
                Err(e) => {
                    let _ = reply.send(Err(e.into()));
                }
            },
            Request::ListMeetings(reply) => {
                let _ = reply.send(Ok(self.gateway.meetings().list()));
            }
            Request::Meeting(id, reply) => {
                let _ = reply.send(self.gateway.meetings().get(now, &id).map_err(Into::into));
            }
            Request::EndMeeting(id, reply) => {
                match self.gateway.with_meetings(now, |m| m.end_meeting(now, &id)) {
                    Ok(participants) => {
                        let writes = self.drain(true);
                        self.reply_after(writes, reply, participants);
                    }
                    Err(e) => {
                        let _ = reply.send(Err(e.into()));
                    }
                }
            }
            Request::Participants(id, reply) => {
                let _ = reply.send(
                    self.gateway
                        .meetings()
                        .participants(&id)
                        .map_err(Into::into),
                );
            }
            Request::Participant(id, p, reply) => {
                let _ = reply.send(
                    self.gateway
                        .meetings()
                        .participant(&id, p)
                        .map_err(Into::into),
                );
            }
            Request::Breakouts(id, reply) => {
                let _ = reply.send(
                    self.gateway
                        .meetings()
                        .breakouts(now, &id)
                        .map_err(Into::into),
                );
            }
            Request::Command {
                meeting,
                actor,
                cmd,
                reply,
            } => match self
                .gateway
                .with_meetings(now, |m| m.handle(now, &meeting, actor, cmd))
            {
                Ok(outcome) => {
                    let writes = self.drain(true);
                    self.reply_after(writes, reply, outcome);
                }
                Err(e) => {
                    let _ = reply.send(Err(e.into()));
                }
            },
            Request::Subscribe {
                meeting,
                since,
                reply,
            } => {
                let _ = reply.send(self.subscribe(&meeting, since));
            }
            Request::DialOut {
                meeting,
                req,
                reply,
            } => {
                let dial = crate::call::DialOut {
                    uri: req.uri,
                    room: req.room,
                    name: req.name,
                    ring_timeout_s: req.ring_timeout_s,
                };
                let r = self.gateway.dial_out(now, &meeting, dial);
                self.flush();
                let _ = reply.send(r.map(|leg| leg.0).map_err(|e| match e {
                    crate::call::DialOutError::Meeting(m) => ControlError::Meeting(m),
                    crate::call::DialOutError::ShuttingDown => ControlError::Unavailable,
                    other => ControlError::Invalid {
                        field: other.field().unwrap_or("uri"),
                        detail: other.to_string(),
                    },
                }));
            }
            Request::Legs(filter, reply) => {
                let _ = reply.send(Ok(self.ops.legs(&filter)));
            }
            Request::Leg(id, reply) => {
                let _ = reply.send(Ok(self.ops.leg(id)));
            }
            Request::SubscribeLegs(reply) => {
                let _ = reply.send(Ok(self.ops.subscribe()));
            }
        }
    }

    fn subscribe(
        &mut self,
        id: &str,
        since: Option<u64>,
    ) -> Result<EventSubscription, ControlError> {
        let last_seq = self.gateway.meetings().last_seq(id)?;
        let backlog = match since {
            Some(s) => self.gateway.meetings().events_since(id, s)?,
            None => Vec::new(),
        };
        // Taken in the same step as the backlog, and every event is broadcast in `drain`
        // before the next input: nothing can fall between the two.
        let live = self
            .subscribers
            .entry(id.to_owned())
            .or_insert_with(|| broadcast::channel(SUBSCRIBER_BUFFER).0)
            .subscribe();
        Ok(EventSubscription {
            backlog,
            live,
            last_seq,
        })
    }

    /// Sends `value` once `writes` are durable (at once if there are none).
    fn reply_after<T: Send + 'static>(&mut self, writes: Vec<Write>, reply: Reply<T>, value: T) {
        let Some((last, rest)) = writes.split_last() else {
            let _ = reply.send(Ok(value));
            return;
        };
        for w in rest {
            self.store.write(w.clone());
        }
        // The writer commits in order, so the last write durable means all of them are.
        self.store.write_then(
            last.clone(),
            Box::new(move |r: Result<(), &StoreError>| {
                let _ = reply.send(match r {
                    Ok(()) => Ok(value),
                    Err(e) => Err(ControlError::Storage(e.to_string())),
                });
            }),
        );
    }

    /// Drains the core's outputs: media commands to the media plane, events to subscribers
    /// and metrics; returns the store writes they imply (none when `persist` is false).
    fn drain(&mut self, persist: bool) -> Vec<Write> {
        let mut wake_media = false;
        while let Some(out) = self.gateway.poll_output() {
            match out {
                Output::Sip(t) => {
                    self.ops.sip(false, t.destination, &t.payload);
                    if let Some(sip) = &self.sip {
                        sip.send(t.destination, t.payload);
                    }
                }
                Output::MediaOpen {
                    leg,
                    ip,
                    audio_port,
                    video_port,
                } => {
                    self.ops.media_local(
                        leg.0,
                        std::net::SocketAddr::new(ip, audio_port.wrapping_add(1)),
                    );
                    wake_media |= self.to_media(ShardCommand::Open {
                        leg,
                        ip,
                        audio_port,
                        video_port,
                    });
                }
                Output::MediaPeer {
                    leg,
                    audio_rtp,
                    audio_rtcp,
                    video_rtp,
                    video_rtcp,
                    rtcp_mux,
                } => {
                    self.ops.media_remote(leg.0, audio_rtcp);
                    wake_media |= self.to_media(ShardCommand::Peer {
                        leg,
                        audio_rtp,
                        audio_rtcp,
                        video_rtp,
                        video_rtcp,
                        rtcp_mux,
                    });
                }
                Output::Media(cmd) => wake_media |= self.to_media(ShardCommand::Media(cmd)),
                Output::MediaClose { leg } => {
                    wake_media |= self.to_media(ShardCommand::Close { leg })
                }
                Output::Meeting(e) => {
                    self.observe(&e);
                    if let Some(tx) = self.subscribers.get(e.meeting.as_str()) {
                        // No receivers is fine: nobody is watching right now.
                        let _ = tx.send(e);
                    }
                }
                Output::LegUpdated(view) => self.ops.leg_updated(&view, &self.store),
                Output::LegEnded(view, end) => self.ops.leg_ended(&view, &end, &self.store),
            }
        }
        if wake_media {
            if let Some(m) = &self.media {
                m.wake();
            }
        }
        for id in self.ended.drain(..) {
            // Dropping the sender ends the streams after they read `meeting_ended`.
            self.subscribers.remove(&id);
        }
        self.count_open_rooms();
        let mut writes = Vec::new();
        let rooms: Vec<String> = self.dirty_rooms.drain().collect();
        let pre: Vec<String> = self.dirty_preassignments.drain().collect();
        if !persist {
            return writes;
        }
        for id in rooms {
            let Ok(view) = self.gateway.meetings().get(Instant::now(), &id) else {
                continue; // ended in the same input; its delete is queued below
            };
            writes.push(Write::PutRooms {
                meeting: id,
                options: options_json(&view.options),
                rooms: view
                    .breakouts
                    .map(|b| {
                        b.rooms
                            .into_iter()
                            .map(|r| StoredRoom {
                                id: r.id.to_string(),
                                name: r.name,
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            });
        }
        for id in pre {
            let Ok(view) = self.gateway.meetings().get(Instant::now(), &id) else {
                continue;
            };
            writes.push(Write::PutPreassignments {
                meeting: id,
                preassignments: view
                    .preassignments
                    .into_iter()
                    .map(|p| StoredPreassignment {
                        identity: p.identity,
                        room: p.room,
                    })
                    .collect(),
            });
        }
        writes.append(&mut self.pending_deletes);
        writes
    }

    fn count_open_rooms(&mut self) {
        if self.dirty_open.is_empty() {
            return;
        }
        let now = Instant::now();
        for id in self.dirty_open.drain() {
            let n = match self.gateway.meetings().breakouts(now, &id) {
                Ok(b) if matches!(b.state, BreakoutState::Open | BreakoutState::Closing) => {
                    b.rooms.len()
                }
                _ => 0,
            };
            if n == 0 {
                self.open_rooms.remove(&id);
            } else {
                self.open_rooms.insert(id, n);
            }
        }
        let total: usize = self.open_rooms.values().sum();
        self.metrics.open_rooms.set(total as i64);
    }

    /// Bookkeeping an event implies: metrics and what must be stored.
    fn observe(&mut self, e: &Event) {
        let id = e.meeting.as_str();
        if matches!(
            e.kind,
            EventKind::RoomsOpened { .. }
                | EventKind::RoomsClosing { .. }
                | EventKind::RoomsClosed
                | EventKind::RoomCreated { .. }
                | EventKind::RoomDeleted { .. }
                | EventKind::MeetingEnded { .. }
        ) {
            self.dirty_open.insert(id.to_owned());
        }
        match &e.kind {
            EventKind::MeetingCreated { .. } => {
                self.metrics.meetings.inc();
            }
            EventKind::MeetingEnded { participants } => {
                self.metrics.meetings.dec();
                self.metrics.participants.dec_by(participants.len() as i64);
                self.dirty_rooms.remove(id);
                self.dirty_preassignments.remove(id);
                self.pending_deletes
                    .push(Write::DeleteMeeting { id: id.to_owned() });
                self.ended.push(id.to_owned());
            }
            EventKind::ParticipantJoined { .. } => {
                self.metrics.participants.inc();
            }
            EventKind::ParticipantLeft { .. } => {
                self.metrics.participants.dec();
            }
            EventKind::RoomCreated { .. }
            | EventKind::RoomRenamed { .. }
            | EventKind::RoomDeleted { .. }
            | EventKind::OptionsChanged { .. } => {
                self.dirty_rooms.insert(id.to_owned());
            }
            EventKind::PreassignmentsChanged { .. } => {
                self.dirty_preassignments.insert(id.to_owned());
            }
            _ => {}
        }
    }

    /// Queues a command for the media shard; true when one was queued (wake it after).
    fn to_media(&self, cmd: ShardCommand) -> bool {
        match &self.media {
            Some(m) => {
                m.send(cmd);
                true
            }
            None => false,
        }
    }

    /// Called once when the engine stops, after the last request: the place to hang up calls
    /// (BYE) once the SIP gateway lives here. Returns when the store has everything.
    pub async fn finish(self) {
        if let Some(m) = self.media {
            let _ = tokio::task::spawn_blocking(move || m.stop()).await;
        }
        if self.store.flush().await.is_err() {
            tracing::error!("store writer stopped before the final flush");
        }
    }
}

/// How long a graceful shutdown waits for hung-up calls to finish their BYE transactions.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// The engine task: requests, SIP, media events and the core's deadline in, until `stop` is
/// cancelled; then new calls are refused, every call is hung up, the task waits (at most
/// [`DRAIN_TIMEOUT`]) for the BYEs to complete, answers the requests already queued, runs
/// [`Engine::finish`] and ends.
pub async fn run(
    mut engine: Engine,
    mut rx: mpsc::Receiver<Request>,
    mut sip_rx: mpsc::Receiver<SipIn>,
    mut media_rx: mpsc::UnboundedReceiver<ShardEvent>,
    stop: CancellationToken,
) {
    let mut draining_until: Option<Instant> = None;
    let mut api_open = true;
    loop {
        if let Some(d) = draining_until {
            if engine.gateway.leg_count() == 0 || Instant::now() >= d {
                break;
            }
        }
        let deadline = match (engine.poll_timeout(), draining_until) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        tokio::select! {
            biased;
            _ = stop.cancelled(), if draining_until.is_none() => {
                let now = Instant::now();
                engine.begin_shutdown(now);
                draining_until = Some(now + DRAIN_TIMEOUT);
            }
            m = media_rx.recv() => if let Some(m) = m {
                engine.handle_media(Instant::now(), m);
            },
            s = sip_rx.recv() => if let Some(s) = s {
                engine.handle_sip(Instant::now(), s);
            },
            req = rx.recv(), if api_open => match req {
                Some(req) => engine.handle(Instant::now(), req),
                None => api_open = false,
            },
            _ = sleep_until(deadline), if deadline.is_some() => {
                engine.handle_timeout(Instant::now());
            }
        }
    }
    rx.close();
    while let Ok(req) = rx.try_recv() {
        engine.handle(Instant::now(), req);
    }
    engine.finish().await;
    tracing::debug!("engine stopped");
}

async fn sleep_until(deadline: Option<Instant>) {
    if let Some(d) = deadline {
        tokio::time::sleep_until(d.into()).await;
    }
}

/// A cheap, cloneable way to talk to the engine task; implements [`Control`] for the API.
#[derive(Clone)]
pub struct EngineHandle {
    tx: mpsc::Sender<Request>,
    /// The database, for call-record queries on a reader connection beside the writer.
    store_path: Option<std::sync::Arc<std::path::PathBuf>>,
}

impl EngineHandle {
    pub fn new(tx: mpsc::Sender<Request>) -> EngineHandle {
        EngineHandle {
            tx,
            store_path: None,
        }
    }

    /// Serves call-record queries from the database at `path`.
    pub fn with_store_path(mut self, path: std::path::PathBuf) -> EngineHandle {
        self.store_path = Some(std::sync::Arc::new(path));
        self
    }

    async fn call<T>(&self, make: impl FnOnce(Reply<T>) -> Request) -> Result<T, ControlError> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(make(tx))
            .await
            .map_err(|_| ControlError::Unavailable)?;
        rx.await.map_err(|_| ControlError::Unavailable)?
    }
}

impl Control for EngineHandle {
    async fn dial_out(&self, id: String, req: DialOutRequest) -> Result<u64, ControlError> {
        self.call(|reply| Request::DialOut {
            meeting: id,
            req,
            reply,
        })
        .await
    }

    async fn create_meeting(&self, spec: MeetingSpec) -> Result<MeetingView, ControlError> {
        self.call(|r| Request::CreateMeeting(spec, r)).await
    }

    async fn list_meetings(&self) -> Result<Vec<MeetingSummary>, ControlError> {
        self.call(Request::ListMeetings).await
    }

    async fn meeting(&self, id: String) -> Result<MeetingView, ControlError> {
        self.call(|r| Request::Meeting(id, r)).await
    }

    async fn end_meeting(&self, id: String) -> Result<Vec<ParticipantId>, ControlError> {
        self.call(|r| Request::EndMeeting(id, r)).await
    }

    async fn participants(&self, id: String) -> Result<Vec<ParticipantView>, ControlError> {
        self.call(|r| Request::Participants(id, r)).await
    }

    async fn participant(
        &self,
        id: String,
        participant: ParticipantId,
    ) -> Result<ParticipantView, ControlError> {
        self.call(|r| Request::Participant(id, participant, r))
            .await
    }

    async fn breakouts(&self, id: String) -> Result<BreakoutsView, ControlError> {
        self.call(|r| Request::Breakouts(id, r)).await
    }

    async fn command(
        &self,
        id: String,
        actor: Actor,
        cmd: Command,
    ) -> Result<Outcome, ControlError> {
        self.call(|reply| Request::Command {
            meeting: id,
            actor,
            cmd,
            reply,
        })
        .await
    }

    async fn subscribe(
        &self,
        id: String,
        since: Option<u64>,
    ) -> Result<EventSubscription, ControlError> {
        self.call(|reply| Request::Subscribe {
            meeting: id,
            since,
            reply,
        })
        .await
    }

    async fn legs(&self, filter: LegFilter) -> Result<Vec<OpsLeg>, ControlError> {
        self.call(|r| Request::Legs(filter, r)).await
    }

    async fn leg(&self, id: u64) -> Result<Option<OpsLeg>, ControlError> {
        self.call(|r| Request::Leg(id, r)).await
    }

    async fn subscribe_legs(&self) -> Result<LegSubscription, ControlError> {
        self.call(Request::SubscribeLegs).await
    }

    async fn call_records(
        &self,
        q: crate::store::LegQuery,
    ) -> Result<Vec<crate::store::LegRecord>, ControlError> {
        let Some(path) = self.store_path.clone() else {
            return Err(ControlError::Unavailable);
        };
        tokio::task::spawn_blocking(move || {
            crate::store::Store::open_reader(&path).and_then(|s| s.legs_between(&q))
        })
        .await
        .map_err(|_| ControlError::Unavailable)?
        .map_err(|e| ControlError::Storage(e.to_string()))
    }
}
