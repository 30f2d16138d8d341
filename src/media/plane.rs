//! [`MediaPlane`]: owns every leg and room of one media shard. See the module docs of
//! [`crate::media`] for the drive contract.

use super::codec::opus::OpusConfig;
use super::codec::{AudioCodec, Encoder};
use super::dtmf;
use super::leg::Leg;
use super::mixer::{Room, Scratch};
use super::prompt::PromptPlayer;
use super::rtcp::{
    report_interval, Fir, FirEntry, Nack, Pli, ReceiverReport, Remb, RtcpPacket, Sdes,
    SenderReport, Tmmbr, TmmbrEntry,
};
use super::rtp::RtpPacket;
use super::stats::PeerSenderInfo;
use super::video::{self, VideoLeg};
use super::{
    LegId, LegParams, MediaCommand, MediaError, MediaEvent, MediaOutput, PacketKind, PromptTarget,
    RoomKey, Transmit, TICK,
};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::time::{Duration, Instant};

/// The media plane of one shard. Sans-IO: see [`crate::media`].
pub struct MediaPlane {
    rng: SmallRng,
    legs: Vec<Option<Leg>>,
    free: Vec<usize>,
    index: HashMap<LegId, usize, BuildHasherDefault<LegIdHasher>>,
    rooms: BTreeMap<RoomKey, Room>,
    out: VecDeque<MediaOutput>,
    scratch: Scratch,
    /// Ticks run so far; also the audio clock of every outgoing stream.
    tick: u64,
    next_tick: Option<Instant>,
    late_ticks: u64,
    /// Our NTP clock: the NTP time at an instant (RFC 3550 §4 wallclock for SRs).
    ntp_ref: Option<(Instant, u64)>,
}

/// FxHash-style hasher for the leg index: leg ids come from the engine, not the network, and
/// this lookup runs for every received packet.
#[derive(Default)]
struct LegIdHasher(u64);

impl Hasher for LegIdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(b as u64);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

/// Receiver feedback to relay to a video source.
enum Feedback {
    Keyframe,
    Nack(Vec<u16>),
    Remb(u64),
    Tmmbr(u64, u16),
}

/// Session bandwidth assumed for the RTCP share (G.711 with headers, ~80 kbit/s), octets/s.
const SESSION_BW: f64 = 10_000.0;

impl std::fmt::Debug for MediaPlane {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaPlane")
            .field("legs", &self.index.len())
            .field("rooms", &self.rooms.len())
            .field("tick", &self.tick)
            .finish()
    }
}

impl MediaPlane {
    /// A plane whose randomness (sequence and timestamp starts, RTCP intervals) comes from
    /// `seed`.
    pub fn new(seed: u64) -> Self {
        MediaPlane {
            rng: SmallRng::seed_from_u64(seed),
            legs: Vec::new(),
            free: Vec::new(),
            index: HashMap::default(),
            rooms: BTreeMap::new(),
            out: VecDeque::new(),
            scratch: Scratch::default(),
            tick: 0,
            next_tick: None,
            late_ticks: 0,
            ntp_ref: None,
        }
    }

    /// Ties our NTP clock to wall-clock time: `ntp` (64-bit NTP format) is the time at `now`.
    /// Without it, SR timestamps start at an arbitrary epoch, which is fine for RTT (only our
    /// own clock is compared) but not for lip sync with other systems.
    pub fn set_ntp_reference(&mut self, now: Instant, ntp: u64) {
        self.ntp_ref = Some((now, ntp));
    }

    fn ntp(&mut self, now: Instant) -> u64 {
        let (at, base) = *self.ntp_ref.get_or_insert((now, 1u64 << 62));
        let d = now.saturating_duration_since(at);
        let frac = ((d.subsec_nanos() as u64) << 32) / 1_000_000_000;
        base.wrapping_add((d.as_secs() << 32) | frac)
    }

    /// A statistics snapshot of one leg.
    pub fn stats(&self, leg: LegId) -> Option<super::stats::LegStats> {
        let i = self.slot(leg).ok()?;
        Some(self.legs[i].as_ref()?.stats())
    }

    /// Counts one datagram received on `leg`'s ports that the shell dropped because it came
    /// from a foreign source ([`super::source::LegSources`]), for the leg's statistics.
    pub fn count_foreign(&mut self, leg: LegId) {
        if let Ok(l) = self.leg_mut(leg) {
            l.foreign += 1;
        }
    }

    /// Takes one RTCP datagram received on `leg` (compound, RFC 3550 §6.1). Malformed ones are
    /// counted and dropped.
    pub fn handle_rtcp(
        &mut self,
        now: Instant,
        leg: LegId,
        packet: &[u8],
    ) -> Result<(), MediaError> {
        let ntp = self.ntp(now);
        let l = self.leg_mut(leg)?;
        let packets = match RtcpPacket::parse_compound(packet) {
            Ok(p) => p,
            Err(_) => {
                l.malformed_rtcp += 1;
                return Ok(());
            }
        };
        // Feedback about the video we send this leg goes to whoever's video that is.
        let our_video = l.video.as_ref().map(|v| v.local_ssrc);
        let mut feedback = Vec::new();
        for p in packets {
            match p {
                RtcpPacket::SenderReport(sr) => {
                    l.peer_sr = Some((sr.lsr(), now));
                    let info = PeerSenderInfo {
                        ntp: sr.ntp,
                        rtp_ts: sr.rtp_ts,
                        packet_count: sr.packet_count,
                        octet_count: sr.octet_count,
                    };
                    l.on_report_blocks(sr.ssrc, Some(info), &sr.reports, ntp);
                }
                RtcpPacket::ReceiverReport(rr) => {
                    l.on_report_blocks(rr.ssrc, None, &rr.reports, ntp)
                }
                RtcpPacket::Sdes(sdes) => l.peer_cname = Some(sdes.cname),
                RtcpPacket::Bye(_) => l.peer_bye = true,
                RtcpPacket::Pli(p) if Some(p.media_ssrc) == our_video => {
                    feedback.push(Feedback::Keyframe)
                }
                RtcpPacket::Fir(f) if f.entries.iter().any(|e| Some(e.ssrc) == our_video) => {
                    feedback.push(Feedback::Keyframe)
                }
                RtcpPacket::Nack(n) if Some(n.media_ssrc) == our_video => {
                    feedback.push(Feedback::Nack(n.lost))
                }
                RtcpPacket::Remb(r) if r.ssrcs.iter().any(|&s| Some(s) == our_video) => {
                    feedback.push(Feedback::Remb(r.bitrate))
                }
                RtcpPacket::Tmmbr(t) => {
                    if let Some(e) = t.entries.iter().find(|e| Some(e.ssrc) == our_video) {
                        feedback.push(Feedback::Tmmbr(e.bitrate, e.overhead));
                    }
                }
                _ => {}
            }
        }
        if !feedback.is_empty() {
            self.relay_feedback(now, leg, feedback);
        }
        Ok(())
    }

    /// RFC 4585 / RFC 5104 feedback from a receiver, relayed to the source it is watching with
    /// SSRCs (and NACKed sequence numbers) mapped into that source's stream.
    fn relay_feedback(&mut self, now: Instant, receiver: LegId, feedback: Vec<Feedback>) {
        let Some(ri) = self.index.get(&receiver).copied() else {
            return;
        };
        let Some(rv) = self.legs[ri].as_ref().and_then(|l| l.video.as_ref()) else {
            return;
        };
        let Some(source) = rv.out.current else {
            return;
        };
        let out_stream = rv.out.clone();
        let Some(si) = self.index.get(&source).copied() else {
            return;
        };
        for f in feedback {
            match f {
                Feedback::Keyframe => self.request_keyframe(now, si, false),
                other => {
                    let Some(sv) = self.legs[si].as_ref().and_then(|l| l.video.as_ref()) else {
                        return;
                    };
                    let media = sv.remote_ssrc.unwrap_or(0);
                    let sender = sv.local_ssrc;
                    let pkt = match other {
                        Feedback::Nack(lost) => {
                            let lost: Vec<u16> = lost
                                .iter()
                                .filter_map(|&s| out_stream.map_nack(s))
                                .collect();
                            if lost.is_empty() {
                                continue;
                            }
                            RtcpPacket::Nack(Nack {
                                sender_ssrc: sender,
                                media_ssrc: media,
                                lost,
                            })
                        }
                        Feedback::Remb(bitrate) => RtcpPacket::Remb(Remb {
                            sender_ssrc: sender,
                            bitrate,
                            ssrcs: vec![media],
                        }),
                        Feedback::Tmmbr(bitrate, overhead) => RtcpPacket::Tmmbr(Tmmbr {
                            sender_ssrc: sender,
                            entries: vec![TmmbrEntry {
                                ssrc: media,
                                bitrate,
                                overhead,
                            }],
                        }),
                        Feedback::Keyframe => unreachable!("handled above"),
                    };
                    let rr = RtcpPacket::ReceiverReport(ReceiverReport {
                        ssrc: sender,
                        reports: vec![],
                    });
                    self.out.push_back(MediaOutput::Transmit(Transmit {
                        leg: source,
                        kind: PacketKind::VideoRtcp,
                        bytes: RtcpPacket::write_compound(&[rr, pkt]),
                    }));
                }
            }
        }
    }

    /// Asks leg `i` for a keyframe: RTCP PLI and FIR (RFC 4585 §6.3.1, RFC 5104 §4.3.1) on its
    /// video, and a KeyframeNeeded event for SIP INFO picture_fast_update. Unforced requests are
    /// limited to one per 200 ms per source (a switch storm must not flood the sender).
    fn request_keyframe(&mut self, _now: Instant, i: usize, force: bool) {
        let tick = self.tick;
        let Some(leg) = self.legs[i].as_mut() else {
            return;
        };
        let id = leg.id;
        let Some(v) = leg.video.as_mut() else {
            self.out
                .push_back(MediaOutput::Event(MediaEvent::KeyframeNeeded { leg: id }));
            return;
        };
        if !force && v.last_request_tick.is_some_and(|t| tick < t + 10) {
            return;
        }
        v.last_request_tick = Some(tick);
        v.keyframes_requested += 1;
        v.fir_seq = v.fir_seq.wrapping_add(1);
        let media = v.remote_ssrc.unwrap_or(0);
        // A compound packet starts with a report (RFC 3550 §6.1, RFC 4585 §3.1).
        let bytes = RtcpPacket::write_compound(&[
            RtcpPacket::ReceiverReport(ReceiverReport {
                ssrc: v.local_ssrc,
                reports: vec![],
            }),
            RtcpPacket::Pli(Pli {
                sender_ssrc: v.local_ssrc,
                media_ssrc: media,
            }),
            RtcpPacket::Fir(Fir {
                sender_ssrc: v.local_ssrc,
                entries: vec![FirEntry {
                    ssrc: media,
                    seq: v.fir_seq,
                }],
            }),
        ]);
        self.out.push_back(MediaOutput::Transmit(Transmit {
            leg: id,
            kind: PacketKind::VideoRtcp,
            bytes,
        }));
        self.out
            .push_back(MediaOutput::Event(MediaEvent::KeyframeNeeded { leg: id }));
    }

    /// Forwards one video packet from leg `i` to every receiver in its room that should see it.
    fn forward_video(&mut self, now: Instant, i: usize, packet: &[u8]) {
        let Ok(pkt) = RtpPacket::parse(packet) else {
            if let Some(l) = self.legs[i].as_mut() {
                l.malformed += 1;
            }
            return;
        };
        let leg = self.legs[i].as_mut().expect("caller resolved a live leg");
        let source = leg.id;
        let Some(v) = leg.video.as_mut() else { return };
        v.remote_ssrc = Some(pkt.ssrc);
        v.packets_in += 1;
        let Some(room) = leg.room.and_then(|k| self.rooms.get(&k)) else {
            return;
        };
        let keyframe = video::starts_keyframe(pkt.payload);
        for &m in &room.members {
            if m == i {
                continue;
            }
            let Some(l) = self.legs[m].as_mut() else {
                continue;
            };
            let want = room.video_view(l.id);
            let Some(v) = l.video.as_mut() else { continue };
            if v.out.current != Some(source) {
                // Switch only on a keyframe of the wanted source; until then the receiver
                // keeps the previous source's picture.
                if want != Some(source) || !keyframe {
                    continue;
                }
                if v.out.current.is_some() {
                    v.switches += 1;
                }
                v.out.switch_to(source, &pkt, now);
            }
            let bytes = v.out.rewrite(packet, &pkt, v.local_ssrc, now);
            v.packets_out += 1;
            v.bytes_out += pkt.payload.len() as u64;
            self.out.push_back(MediaOutput::Transmit(Transmit {
                leg: l.id,
                kind: PacketKind::VideoRtp,
                bytes,
            }));
        }
    }

    /// Once per tick: every receiver whose wanted source differs from what it gets has a
    /// keyframe requested from that source (on a speaker switch, a move, an exchange, a
    /// departure), repeated every second until the switch happens.
    fn video_switches(&mut self, now: Instant) {
        let tick = self.tick;
        let mut requests = Vec::new();
        for room in self.rooms.values() {
            for &m in &room.members {
                let Some(l) = self.legs[m].as_mut() else {
                    continue;
                };
                let want = room.video_view(l.id);
                let Some(v) = l.video.as_mut() else { continue };
                let Some(want) = want else { continue };
                if v.out.current == Some(want) {
                    v.out.pending = None;
                    continue;
                }
                match v.out.pending {
                    Some((p, at)) if p == want && tick < at + 50 => {}
                    _ => {
                        v.out.pending = Some((want, tick));
                        requests.push(want);
                    }
                }
            }
        }
        requests.sort();
        requests.dedup();
        for r in requests {
            if let Some(&i) = self.index.get(&r) {
                self.request_keyframe(now, i, false);
            }
        }
    }

    fn rtcp_due(&mut self, now: Instant) {
        let ntp = self.ntp(now);
        for slot in self.legs.iter_mut() {
            let Some(leg) = slot.as_mut() else { continue };
            if leg.rtcp_next > now {
                continue;
            }
            let bytes = leg.build_report(now, ntp);
            let t = report_interval(
                2,
                2,
                SESSION_BW * 0.05,
                true,
                leg.avg_rtcp_size,
                false,
                &mut self.rng,
            );
            leg.rtcp_initial = false;
            leg.rtcp_next = now + t;
            self.out.push_back(MediaOutput::Transmit(Transmit {
                leg: leg.id,
                kind: PacketKind::AudioRtcp,
                bytes,
            }));
            // The video we forward to this leg is our stream too: an SR for it (RFC 3550 §6.4.1).
            if let Some(v) = leg.video.as_mut() {
                if v.packets_out > v.reported_out {
                    v.reported_out = v.packets_out;
                    let sr = RtcpPacket::SenderReport(SenderReport {
                        ssrc: v.local_ssrc,
                        ntp,
                        rtp_ts: v.out.rtp_ts_at(now).unwrap_or(0),
                        packet_count: v.packets_out as u32,
                        octet_count: v.bytes_out as u32,
                        reports: vec![],
                    });
                    let sdes = RtcpPacket::Sdes(Sdes {
                        ssrc: v.local_ssrc,
                        cname: leg.cname.clone(),
                    });
                    self.out.push_back(MediaOutput::Transmit(Transmit {
                        leg: leg.id,
                        kind: PacketKind::VideoRtcp,
                        bytes: RtcpPacket::write_compound(&[sr, sdes]),
                    }));
                }
            }
            self.out
                .push_back(MediaOutput::Event(MediaEvent::Stats(Box::new(leg.stats()))));
        }
    }

    fn slot(&self, leg: LegId) -> Result<usize, MediaError> {
        self.index
            .get(&leg)
            .copied()
            .ok_or(MediaError::UnknownLeg(leg))
    }

    fn leg_mut(&mut self, leg: LegId) -> Result<&mut Leg, MediaError> {
        let i = self.slot(leg)?;
        Ok(self.legs[i].as_mut().expect("index points at live legs"))
    }

    /// Number of legs.
    pub fn leg_count(&self) -> usize {
        self.index.len()
    }

    /// Number of rooms with at least one leg.
    pub fn room_count(&self) -> usize {
        self.rooms.len()
    }

    /// The room a leg is subscribed to.
    pub fn room_of(&self, leg: LegId) -> Option<RoomKey> {
        let i = self.slot(leg).ok()?;
        self.legs[i].as_ref()?.room
    }

    /// Ticks that started more than one tick period late (the shell fell behind).
    pub fn late_ticks(&self) -> u64 {
        self.late_ticks
    }

    /// Approximate bytes of audio state held for one leg (struct plus its buffers).
    pub fn leg_memory_bytes(&self, leg: LegId) -> Option<usize> {
        let i = self.slot(leg).ok()?;
        Some(self.legs[i].as_ref()?.memory_bytes())
    }

    /// Applies one command from the meeting core.
    pub fn handle_command(&mut self, now: Instant, cmd: MediaCommand) -> Result<(), MediaError> {
        match cmd {
            MediaCommand::AddLeg { leg, params } => self.add_leg(now, leg, params),
            MediaCommand::RemoveLeg { leg } => {
                let i = self.slot(leg)?;
                self.subscribe(i, None);
                self.legs[i] = None;
                self.free.push(i);
                self.index.remove(&leg);
                if self.index.is_empty() {
                    self.next_tick = None;
                }
                Ok(())
            }
            MediaCommand::Attach { leg, room } | MediaCommand::Move { leg, room } => {
                let i = self.slot(leg)?;
                let moved = self.legs[i].as_ref().is_some_and(|l| l.room != Some(room));
                self.subscribe(i, Some(room));
                if moved {
                    self.send_ahead(now, i);
                }
                Ok(())
            }
            MediaCommand::Detach { leg } => {
                let i = self.slot(leg)?;
                self.subscribe(i, None);
                Ok(())
            }
            MediaCommand::Exchange { a, b } => {
                let ia = self.slot(a)?;
                let ib = self.slot(b)?;
                let ra = self.legs[ia].as_ref().and_then(|l| l.room);
                let rb = self.legs[ib].as_ref().and_then(|l| l.room);
                let ra = ra.ok_or(MediaError::NotInRoom(a))?;
                let rb = rb.ok_or(MediaError::NotInRoom(b))?;
                // Both re-subscriptions happen inside this one call: no tick can run between.
                self.subscribe(ia, Some(rb));
                self.subscribe(ib, Some(ra));
                if ra != rb {
                    self.send_ahead(now, ia);
                    self.send_ahead(now, ib);
                }
                Ok(())
            }
            MediaCommand::Mute { leg, muted } => {
                self.leg_mut(leg)?.muted = muted;
                Ok(())
            }
            MediaCommand::PlayPrompt { target, prompt } => {
                match target {
                    PromptTarget::Leg(leg) => {
                        self.leg_mut(leg)?.prompt = Some(PromptPlayer::new(prompt));
                    }
                    PromptTarget::Room(room) => {
                        // A prompt to a room nobody is in plays to nobody: report it done.
                        match self.rooms.get_mut(&room) {
                            Some(r) => r.prompt = Some(PromptPlayer::new(prompt)),
                            None => self
                                .out
                                .push_back(MediaOutput::Event(MediaEvent::PromptDone { target })),
                        }
                    }
                }
                Ok(())
            }
            MediaCommand::SendDtmf {
                leg,
                digit,
                duration,
            } => {
                let ev = dtmf::digit_to_event(digit).ok_or(MediaError::BadDigit(digit))?;
                let l = self.leg_mut(leg)?;
                if l.te_pt.is_none() {
                    return Err(MediaError::InvalidParams("telephone-event not negotiated"));
                }
                let units =
                    (duration.as_millis() as u64 * l.codec.clock_rate() as u64 / 1000) as u32;
                l.dtmf_tx = Some(dtmf::DtmfSender::new(ev, units));
                Ok(())
            }
            MediaCommand::RequestKeyframe { leg } => {
                let i = self.slot(leg)?;
                self.request_keyframe(now, i, true);
                Ok(())
            }
        }
    }

    fn add_leg(&mut self, now: Instant, leg: LegId, params: LegParams) -> Result<(), MediaError> {
        if self.index.contains_key(&leg) {
            return Err(MediaError::LegExists(leg));
        }
        let a = &params.audio;
        let codec = a.codec;
        // RFC 3550 §5.1: random initial sequence number and timestamp.
        let seq: u16 = self.rng.gen();
        let ts: u32 = self.rng.gen();
        let mut l = Leg::new(
            leg,
            codec,
            a.payload_type,
            a.telephone_event_pt,
            a.local_ssrc,
            seq,
            ts,
            now,
        );
        l.cname = params.cname.clone();
        if let Some(clock) = a.telephone_event_clock {
            // Event durations count in the event's own clock (RFC 4733 §2.5.1.3).
            l.dtmf_rx = crate::media::dtmf::DtmfReceiver::with_clock(clock);
        }
        if codec == AudioCodec::Opus {
            let fmtp = a.fmtp.as_deref().unwrap_or_default();
            l.encoder = Encoder::opus(OpusConfig::from_fmtp(fmtp));
        }
        if let Some(v) = &params.video {
            match video::check_fmtp(&v.fmtp) {
                Ok(()) => {
                    let vseq: u16 = self.rng.gen();
                    let vts: u32 = self.rng.gen();
                    l.video = Some(VideoLeg::new(v.payload_type, v.local_ssrc, vseq, vts));
                }
                Err(reason) => l.video_refused = Some(reason),
            }
        }
        // RFC 3550 §6.3.2: the first report after half the minimum interval.
        l.rtcp_next = now
            + report_interval(
                2,
                2,
                SESSION_BW * 0.05,
                false,
                l.avg_rtcp_size,
                true,
                &mut self.rng,
            );
        let i = match self.free.pop() {
            Some(i) => {
                self.legs[i] = Some(l);
                i
            }
            None => {
                self.legs.push(Some(l));
                self.legs.len() - 1
            }
        };
        self.index.insert(leg, i);
        if self.next_tick.is_none() {
            self.next_tick = Some(now + TICK);
        }
        Ok(())
    }

    /// Re-points a leg's subscription. Effective at the next tick (mixing only happens there).
    /// A leg just moved into a room gets its next packet now instead of at the next tick: the
    /// new room's mix of the last tick, stamped with the coming tick's sequence number and
    /// timestamp, and that tick then skips it. The stream stays continuous (one packet up to a
    /// tick early, none twice) and the room system hears its new room within the time the
    /// command took, not up to 20 ms later. Only for a leg that was sending, whose codec can
    /// encode one frame alone (G.711; G.722 from a fresh encoder, as any switch of shared
    /// encoders does), without a digit in flight; others wait for the tick. A prompt playing
    /// to the leg resumes at the next tick (the move's own announcement replaces it anyway).
    fn send_ahead(&mut self, now: Instant, i: usize) {
        let tick = self.tick;
        let Some(leg) = self.legs[i].as_ref() else {
            return;
        };
        let Some(room) = leg.room.and_then(|k| self.rooms.get(&k)) else {
            return;
        };
        if leg.last_sent_tick() != Some(tick)
            || room.last_mix_tick != tick
            || leg.dtmf_tx.is_some()
            || matches!(leg.codec, AudioCodec::Opus)
        {
            return;
        }
        // The room as it is now: without the voices of those who left since the last tick
        // (e.g. the other half of an exchange).
        let mut mix: Vec<i32> = room.last_mix.iter().map(|&v| i32::from(v)).collect();
        for &c in &room.last_contributors {
            if room.members.contains(&c) {
                continue;
            }
            match self.legs[c].as_ref() {
                Some(gone) if gone.frame.len() == mix.len() => {
                    for (m, &v) in mix.iter_mut().zip(&gone.frame) {
                        *m -= i32::from(v);
                    }
                }
                _ => return,
            }
        }
        let full: Vec<i16> = mix.into_iter().map(super::mixer::clip).collect();
        let n = (leg.codec.sample_rate() / 50) as usize;
        let pcm = if full.len() == n {
            full
        } else if full.len() == 2 * n {
            let mut narrow = vec![0; n];
            super::resample::Downsampler::new().process(&full, &mut narrow);
            narrow
        } else {
            return;
        };
        let leg = self.legs[i].as_mut().expect("checked above");
        let mut encoder = Encoder::new(leg.codec);
        let bytes = leg.send_audio_with(tick + 1, now, n, |b| encoder.encode(&pcm, b));
        self.out.push_back(MediaOutput::Transmit(Transmit {
            leg: leg.id,
            kind: PacketKind::AudioRtp,
            bytes,
        }));
    }

    fn subscribe(&mut self, i: usize, room: Option<RoomKey>) {
        let leg = self.legs[i].as_mut().expect("caller resolved a live leg");
        let old = leg.room;
        if old == room {
            return;
        }
        let id = leg.id;
        leg.room = room;
        if let Some(k) = old {
            if let Some(r) = self.rooms.get_mut(&k) {
                r.members.retain(|&m| m != i);
                r.forget(id);
                if r.members.is_empty() {
                    // An empty room is dropped: it costs nothing until someone joins again.
                    self.rooms.remove(&k);
                } else {
                    r.update_rate(&self.legs);
                }
            }
        }
        if let Some(k) = room {
            let r = self.rooms.entry(k).or_default();
            r.members.push(i);
            r.update_rate(&self.legs);
            if self.legs[i].as_ref().is_some_and(|l| l.video.is_some()) {
                r.joined_with_video(id);
            }
        }
    }

    /// Takes one RTP datagram received on `leg`'s audio port. Malformed packets are counted and
    /// dropped.
    pub fn handle_rtp(
        &mut self,
        now: Instant,
        leg: LegId,
        packet: &[u8],
    ) -> Result<(), MediaError> {
        let tick = self.tick;
        let i = self.slot(leg)?;
        let l = self.legs[i].as_mut().expect("index points at live legs");
        let pt = packet.get(1).map(|b| b & 0x7f);
        if l.video.as_ref().is_some_and(|v| Some(v.pt) == pt) {
            self.forward_video(now, i, packet);
            return Ok(());
        }
        if let Some(d) = l.on_rtp(now, tick, packet) {
            let clock = u64::from(l.dtmf_rx.clock());
            self.out.push_back(MediaOutput::Event(MediaEvent::Dtmf {
                leg,
                digit: d.digit,
                duration: Duration::from_micros(d.duration as u64 * 1_000_000 / clock),
            }));
        }
        Ok(())
    }

    /// Runs whatever is due at `now`: the shared mixer tick (one 20 ms frame for every room).
    pub fn handle_tick(&mut self, now: Instant) {
        let Some(due) = self.next_tick else {
            return;
        };
        if now < due {
            return;
        }
        self.tick += 1;
        let tick = self.tick;
        // Rooms, in key order (deterministic output order).
        for (&key, room) in self.rooms.iter_mut() {
            room.tick(
                key,
                &mut self.legs,
                &mut self.scratch,
                tick,
                now,
                &mut self.out,
            );
        }
        // Legs in no room: keep their playout moving (DTMF, stats) and play their prompt.
        for slot in self.legs.iter_mut() {
            let Some(leg) = slot.as_mut() else { continue };
            if leg.room.is_some() {
                continue;
            }
            let rate = leg.codec.sample_rate();
            leg.pull(tick, rate);
            if let Some(p) = leg.prompt.as_mut() {
                let n = (rate / 50) as usize;
                let mut acc = vec![0i32; n];
                let more = p.mix_into(&mut acc, rate);
                let pcm: Vec<i16> = acc
                    .iter()
                    .map(|&v| v.clamp(i16::MIN as i32, i16::MAX as i32) as i16)
                    .collect();
                let mut payload = Vec::with_capacity(n);
                leg.encoder.encode(&pcm, &mut payload);
                let bytes = leg.send_audio(tick, now, &payload);
                self.out.push_back(MediaOutput::Transmit(Transmit {
                    leg: leg.id,
                    kind: PacketKind::AudioRtp,
                    bytes,
                }));
                if !more {
                    leg.prompt = None;
                    self.out
                        .push_back(MediaOutput::Event(MediaEvent::PromptDone {
                            target: PromptTarget::Leg(leg.id),
                        }));
                }
            }
        }
        // DTMF whose end packets were all lost.
        for slot in self.legs.iter_mut() {
            let Some(leg) = slot.as_mut() else { continue };
            if let Some(d) = leg.dtmf_rx.on_tick(tick) {
                let clock = u64::from(leg.dtmf_rx.clock());
                self.out.push_back(MediaOutput::Event(MediaEvent::Dtmf {
                    leg: leg.id,
                    digit: d.digit,
                    duration: Duration::from_micros(d.duration as u64 * 1_000_000 / clock),
                }));
            }
        }
        self.video_switches(now);
        // RTCP reports due (sent on the first tick at or after their time).
        self.rtcp_due(now);
        // Schedule the next tick on the fixed 20 ms grid; if the shell fell more than a tick
        // behind, skip ahead rather than bursting catch-up frames.
        let mut next = due + TICK;
        if now >= next {
            self.late_ticks += 1;
            next = now + TICK;
        }
        self.next_tick = Some(next);
    }

    /// The next output, or the next deadline when there is nothing to send.
    pub fn poll_output(&mut self) -> MediaOutput {
        self.out
            .pop_front()
            .unwrap_or(MediaOutput::Timeout(self.next_tick))
    }
}
