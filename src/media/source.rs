//! Whose datagrams a call leg's media ports take, and where the leg's media goes: the peer's
//! media source, learned the way rtpengine and Asterisk's `strictrtp` learn it.
//!
//! A leg's RTP ports are open to the whole network, and plain RTP carries no proof of who sent
//! it. Sending a leg's media to whoever sent the last packet (naive symmetric RTP) lets a
//! stranger who sprays a port range take a room's conversation and silence the real endpoint.
//! So each stream of a leg (audio, video) learns one source and holds on to it:
//!
//! - **Learning window.** For [`LEARNING_WINDOW`] after the ports open and after each offer/answer
//!   ([`StreamSource::set_peer`]), the first source is learned (the peer may be behind NAT, so
//!   its packets need not come from the address in its SDP), and a source that matches the SDP
//!   better replaces it at once: the SDP's exact address beats one on the SDP's IP, which beats
//!   any other.
//! - **Afterwards** packets from other sources are dropped ([`Verdict::Foreign`]), except that a
//!   peer whose NAT binding changed is re-learned: [`SWITCH_PACKETS`] consecutive, in-sequence
//!   packets of the SSRC the old source was sending, from one new address, while the old source
//!   has been silent for [`OLD_SOURCE_SILENCE`]. With `strict` (`media.strict_source`) a source
//!   learned is never replaced until the next offer/answer.
//! - **Nothing learned** in the window (the peer sends nothing, e.g. it only receives): the SDP's
//!   exact address is accepted when it starts; another source only as above, and only from the
//!   SDP's IP or the IP the leg's other stream comes from (never in strict mode), so a leg that
//!   only listens cannot be taken over by a stranger either.
//! - **RTCP** is accepted from the SDP's RTCP address, or from the learned RTP source's IP on
//!   its RTP port (RFC 5761 multiplexing) or the port above it (RFC 3550 §11); when no RTCP
//!   source is known yet for that IP, from any port of it (the peer's NAT chose one).
//!
//! Where media goes follows what was learned: the learned RTP source, else the SDP's address;
//! nothing while the SDP says not to send (hold). SRTP makes this moot for encrypted legs; this
//! keeps plain RTP safe.
//!
//! Sans-IO: every input carries `now`; the media shard feeds it each received datagram with
//! its source and asks it where to send.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use super::PacketKind;

/// How long after the ports open or an offer/answer any source may be learned. Long enough for
/// the peer's first packets to arrive after it has our answer (a device starts its media a
/// moment after the 200 OK or its ACK, and the path adds its delay), short enough that a
/// stranger racing the peer has little time (rtpengine's delayed learning also waits 3 s).
pub const LEARNING_WINDOW: Duration = Duration::from_secs(3);

/// Consecutive in-sequence packets of the expected SSRC from one new address before a peer
/// whose address changed (NAT rebinding) is followed there: 160 ms of 20 ms audio. Random
/// datagrams do not make such a run; a stranger would have to know the stream's SSRC.
pub const SWITCH_PACKETS: u32 = 8;

/// How long the learned source must have been silent before another may replace it. A live
/// stream sends every 20 ms (even with DTX, every 400 ms or so), so a second without a packet
/// means the old path is gone; while the real peer still sends, nobody replaces it.
pub const OLD_SOURCE_SILENCE: Duration = Duration::from_secs(1);

/// At most one report (log line) per leg per this long, however many packets are dropped.
pub const REPORT_EVERY: Duration = Duration::from_secs(10);

/// What to do with one received datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// From the learned source: hand it on.
    Accept,
    /// A source learned (first packet, a better match for the SDP during the learning window, or
    /// the SDP's own address after it): hand it on; the stream's media now goes there.
    Learned { previous: Option<SocketAddr> },
    /// The learned source was replaced after the window (the peer's NAT binding changed): hand
    /// it on; the stream's media now goes there.
    Switched { previous: SocketAddr },
    /// From a foreign source: drop it. `report` when a log line is due for the leg (at most one
    /// per [`REPORT_EVERY`]).
    Foreign { report: bool },
}

impl Verdict {
    /// Whether the datagram goes on to the media plane.
    pub fn accepted(self) -> bool {
        !matches!(self, Verdict::Foreign { .. })
    }
}

/// What one offer/answer says about where a stream's peer receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PeerAddrs {
    /// RTP; `None`: send no RTP (hold).
    pub rtp: Option<SocketAddr>,
    /// RTCP (`a=rtcp`, or the RTP port + 1, or the RTP address when multiplexed); `None`: send
    /// no RTCP.
    pub rtcp: Option<SocketAddr>,
    /// RTCP rides on the RTP port (RFC 5761).
    pub rtcp_mux: bool,
}

/// The learned RTP source.
#[derive(Debug, Clone, Copy)]
struct Source {
    addr: SocketAddr,
    /// The SSRC it sends last.
    ssrc: u32,
    last_seen: Instant,
}

/// A new address on probation: the run of in-sequence packets it sent so far.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    addr: SocketAddr,
    ssrc: u32,
    next_seq: u16,
    count: u32,
}

/// One stream's (audio or video) source learning: its RTP and its RTCP.
#[derive(Debug, Clone)]
pub struct StreamSource {
    strict: bool,
    learn_until: Instant,
    /// The SDP's addresses (the last given; kept over a hold, which gives none).
    sdp_rtp: Option<SocketAddr>,
    sdp_rtcp: Option<SocketAddr>,
    /// The last offer/answer gave no address: send nothing.
    rtp_off: bool,
    rtcp_off: bool,
    mux: bool,
    rtp: Option<Source>,
    candidate: Option<Candidate>,
    rtcp: Option<SocketAddr>,
}

/// The SSRC and sequence number of an RTP packet (RFC 3550 §5.1), if it looks like one.
fn rtp_header(packet: &[u8]) -> Option<(u32, u16)> {
    if packet.len() < 12 || packet[0] >> 6 != 2 {
        return None;
    }
    let seq = u16::from_be_bytes([packet[2], packet[3]]);
    let ssrc = u32::from_be_bytes([packet[8], packet[9], packet[10], packet[11]]);
    Some((ssrc, seq))
}

impl StreamSource {
    /// A stream whose ports opened at `now`; `strict`: never replace a learned source after the
    /// learning window.
    pub fn new(now: Instant, strict: bool) -> StreamSource {
        StreamSource {
            strict,
            learn_until: now + LEARNING_WINDOW,
            sdp_rtp: None,
            sdp_rtcp: None,
            rtp_off: false,
            rtcp_off: false,
            mux: false,
            rtp: None,
            candidate: None,
            rtcp: None,
        }
    }

    /// A new offer/answer: its addresses, and the learning window starts again.
    pub fn set_peer(&mut self, now: Instant, peer: PeerAddrs) {
        self.learn_until = now + LEARNING_WINDOW;
        self.candidate = None;
        self.mux = peer.rtcp_mux;
        self.rtp_off = peer.rtp.is_none();
        self.rtcp_off = peer.rtcp.is_none();
        if peer.rtp.is_some() {
            self.sdp_rtp = peer.rtp;
        }
        if let Some(a) = peer.rtcp {
            if self.sdp_rtcp != Some(a) {
                // RTCP found by way of the old SDP may not be where the new one points.
                self.rtcp = None;
            }
            self.sdp_rtcp = Some(a);
        }
    }

    /// Where the stream's RTP goes: the learned source, else the SDP's address; `None` on hold.
    pub fn rtp_destination(&self) -> Option<SocketAddr> {
        if self.rtp_off {
            return None;
        }
        self.rtp.map(|s| s.addr).or(self.sdp_rtp)
    }

    /// Where the stream's RTCP goes: the learned RTCP source, else (multiplexed) the learned RTP
    /// source, else the SDP's RTCP address; `None` when the SDP gave none.
    pub fn rtcp_destination(&self) -> Option<SocketAddr> {
        if self.rtcp_off {
            return None;
        }
        let muxed = self.rtp.filter(|_| self.mux).map(|s| s.addr);
        self.rtcp.or(muxed).or(self.sdp_rtcp)
    }

    /// The learned RTP source's IP.
    pub fn source_ip(&self) -> Option<IpAddr> {
        self.rtp.map(|s| s.addr.ip())
    }

    /// How well `from` matches the SDP: its exact address, its IP, or neither.
    fn rank(&self, from: SocketAddr) -> u8 {
        match self.sdp_rtp {
            Some(a) if a == from => 2,
            Some(a) if a.ip() == from.ip() => 1,
            _ => 0,
        }
    }

    fn learn(&mut self, now: Instant, from: SocketAddr, ssrc: u32) -> Option<SocketAddr> {
        let previous = self.rtp.map(|s| s.addr);
        self.rtp = Some(Source {
            addr: from,
            ssrc,
            last_seen: now,
        });
        self.candidate = None;
        if previous.is_some_and(|p| p.ip() != from.ip()) {
            // The RTCP source learned beside the old one is not the new one's.
            self.rtcp = None;
        }
        previous
    }

    /// One RTP datagram from `from`. `other_ip`: where the leg's other stream comes from, if
    /// learned (a peer sends its audio and video from one host).
    pub fn on_rtp(
        &mut self,
        now: Instant,
        from: SocketAddr,
        packet: &[u8],
        other_ip: Option<IpAddr>,
    ) -> Verdict {
        let known = self.rtp.is_some_and(|s| s.addr == from);
        let Some((ssrc, seq)) = rtp_header(packet) else {
            // Not RTP: the plane counts it as malformed if it is the peer's; a stranger's
            // garbage teaches nothing.
            return if known {
                Verdict::Accept
            } else {
                Verdict::Foreign { report: false }
            };
        };
        if let Some(s) = self.rtp.as_mut().filter(|s| s.addr == from) {
            s.ssrc = ssrc;
            s.last_seen = now;
            return Verdict::Accept;
        }
        let learning = now < self.learn_until;
        let better = match self.rtp {
            None => true,
            Some(s) => self.rank(from) > self.rank(s.addr),
        };
        if (learning && better) || (self.rtp.is_none() && self.sdp_rtp == Some(from)) {
            let previous = self.learn(now, from, ssrc);
            return Verdict::Learned { previous };
        }
        if self.strict {
            return Verdict::Foreign { report: false };
        }
        // Re-learning: whom the newcomer must be. After the window, the stream we were
        // receiving (its SSRC); with nothing ever received, someone on the peer's host.
        let plausible = match self.rtp {
            Some(s) => learning || s.ssrc == ssrc,
            None => {
                self.sdp_rtp.is_some_and(|a| a.ip() == from.ip()) || other_ip == Some(from.ip())
            }
        };
        if !plausible {
            return Verdict::Foreign { report: false };
        }
        let run = match self.candidate.as_mut() {
            Some(c) if c.addr == from && c.ssrc == ssrc && c.next_seq == seq => {
                c.count += 1;
                c.next_seq = seq.wrapping_add(1);
                c.count
            }
            _ => {
                self.candidate = Some(Candidate {
                    addr: from,
                    ssrc,
                    next_seq: seq.wrapping_add(1),
                    count: 1,
                });
                1
            }
        };
        let silent = self
            .rtp
            .is_none_or(|s| now.saturating_duration_since(s.last_seen) >= OLD_SOURCE_SILENCE);
        if run < SWITCH_PACKETS || !silent {
            return Verdict::Foreign { report: false };
        }
        match self.learn(now, from, ssrc) {
            Some(previous) => Verdict::Switched { previous },
            None => Verdict::Learned { previous: None },
        }
    }

    /// One RTCP datagram from `from` (on the RTCP port, or demultiplexed from the RTP port).
    pub fn on_rtcp(&mut self, _now: Instant, from: SocketAddr) -> Verdict {
        if self.rtcp == Some(from) {
            return Verdict::Accept;
        }
        let previous = self.rtcp;
        if self.sdp_rtcp == Some(from) {
            self.rtcp = Some(from);
            return Verdict::Learned { previous };
        }
        let Some(src) = self.rtp.map(|s| s.addr) else {
            return Verdict::Foreign { report: false };
        };
        if from.ip() != src.ip() {
            return Verdict::Foreign { report: false };
        }
        // RFC 5761 (the RTP port) or RFC 3550 §11 (the port above); any port of the source's
        // host while none is known there (a NAT maps RTCP to a port of its choosing).
        let expected = from.port() == src.port() || Some(from.port()) == src.port().checked_add(1);
        if expected || self.rtcp.is_none_or(|r| r.ip() != src.ip()) {
            self.rtcp = Some(from);
            return Verdict::Learned { previous };
        }
        Verdict::Foreign { report: false }
    }
}

/// A leg's source learning: its audio and video streams, and what it dropped.
#[derive(Debug, Clone)]
pub struct LegSources {
    streams: [StreamSource; 2],
    foreign: u64,
    reported_at: Option<Instant>,
}

fn stream_of(kind: PacketKind) -> (usize, bool) {
    match kind {
        PacketKind::AudioRtp => (0, false),
        PacketKind::AudioRtcp => (0, true),
        PacketKind::VideoRtp => (1, false),
        PacketKind::VideoRtcp => (1, true),
    }
}

impl LegSources {
    /// A leg whose ports opened at `now`. See [`StreamSource::new`] for `strict`.
    pub fn new(now: Instant, strict: bool) -> LegSources {
        LegSources {
            streams: [
                StreamSource::new(now, strict),
                StreamSource::new(now, strict),
            ],
            foreign: 0,
            reported_at: None,
        }
    }

    /// A new offer/answer (see [`StreamSource::set_peer`]).
    pub fn set_peer(&mut self, now: Instant, audio: PeerAddrs, video: PeerAddrs) {
        self.streams[0].set_peer(now, audio);
        self.streams[1].set_peer(now, video);
    }

    /// One datagram of stream `kind` (RTCP already told from RTP) received from `from`.
    pub fn check(
        &mut self,
        now: Instant,
        kind: PacketKind,
        from: SocketAddr,
        packet: &[u8],
    ) -> Verdict {
        let (i, rtcp) = stream_of(kind);
        let other_ip = self.streams[1 - i].source_ip();
        let s = &mut self.streams[i];
        let v = if rtcp {
            s.on_rtcp(now, from)
        } else {
            s.on_rtp(now, from, packet, other_ip)
        };
        if v.accepted() {
            return v;
        }
        self.foreign += 1;
        let report = self
            .reported_at
            .is_none_or(|t| now.saturating_duration_since(t) >= REPORT_EVERY);
        if report {
            self.reported_at = Some(now);
        }
        Verdict::Foreign { report }
    }

    /// Where datagrams of stream `kind` go, if anywhere.
    pub fn destination(&self, kind: PacketKind) -> Option<SocketAddr> {
        let (i, rtcp) = stream_of(kind);
        if rtcp {
            self.streams[i].rtcp_destination()
        } else {
            self.streams[i].rtp_destination()
        }
    }

    /// Datagrams dropped so far because they came from a foreign source.
    pub fn foreign_packets(&self) -> u64 {
        self.foreign
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    fn rtp(ssrc: u32, seq: u16) -> Vec<u8> {
        let mut p = vec![0x80, 0];
        p.extend_from_slice(&seq.to_be_bytes());
        p.extend_from_slice(&0u32.to_be_bytes());
        p.extend_from_slice(&ssrc.to_be_bytes());
        p.extend_from_slice(&[0xff; 160]);
        p
    }

    const PEER: &str = "192.0.2.10:40000";
    const NAT: &str = "198.51.100.7:61000";
    const STRANGER: &str = "203.0.113.66:5004";

    fn audio(rtp: &str) -> PeerAddrs {
        let a = addr(rtp);
        PeerAddrs {
            rtp: Some(a),
            rtcp: Some(SocketAddr::new(a.ip(), a.port() + 1)),
            rtcp_mux: false,
        }
    }

    /// A leg that learned `from` (sending SSRC 7 from sequence 100) in its learning window and
    /// whose window is over; returns the clock and the next sequence number.
    fn learned(strict: bool, from: &str) -> (LegSources, Instant, u16) {
        let t0 = Instant::now();
        let mut s = LegSources::new(t0, strict);
        s.set_peer(t0, audio(PEER), PeerAddrs::default());
        let mut now = t0;
        let mut seq = 100;
        for _ in 0..250 {
            // 5 s of 20 ms packets: the window (3 s) passes while the peer talks.
            let v = s.check(now, PacketKind::AudioRtp, addr(from), &rtp(7, seq));
            assert!(v.accepted(), "{v:?}");
            now += Duration::from_millis(20);
            seq += 1;
        }
        assert_eq!(s.destination(PacketKind::AudioRtp), Some(addr(from)));
        (s, now, seq)
    }

    #[test]
    fn the_first_source_is_learned_and_media_goes_there() {
        let t0 = Instant::now();
        let mut s = LegSources::new(t0, false);
        s.set_peer(t0, audio(PEER), PeerAddrs::default());
        assert_eq!(s.destination(PacketKind::AudioRtp), Some(addr(PEER)));
        // Behind NAT: packets come from elsewhere than the SDP says.
        let v = s.check(t0, PacketKind::AudioRtp, addr(NAT), &rtp(7, 1));
        assert_eq!(v, Verdict::Learned { previous: None });
        assert_eq!(s.destination(PacketKind::AudioRtp), Some(addr(NAT)));
        let v = s.check(t0, PacketKind::AudioRtp, addr(NAT), &rtp(7, 2));
        assert_eq!(v, Verdict::Accept);
        assert_eq!(s.foreign_packets(), 0);
    }

    #[test]
    fn in_the_window_the_sdp_address_wins_over_a_first_stranger() {
        let t0 = Instant::now();
        let mut s = LegSources::new(t0, true);
        s.set_peer(t0, audio(PEER), PeerAddrs::default());
        // A stranger races the peer and is first...
        let v = s.check(t0, PacketKind::AudioRtp, addr(STRANGER), &rtp(9, 1));
        assert_eq!(v, Verdict::Learned { previous: None });
        // ...the peer's own address replaces it, and from then on the stranger is foreign.
        let t1 = t0 + Duration::from_millis(100);
        let v = s.check(t1, PacketKind::AudioRtp, addr(PEER), &rtp(7, 1));
        assert_eq!(
            v,
            Verdict::Learned {
                previous: Some(addr(STRANGER))
            }
        );
        let v = s.check(t1, PacketKind::AudioRtp, addr(STRANGER), &rtp(9, 2));
        assert_eq!(v, Verdict::Foreign { report: true });
        assert_eq!(s.destination(PacketKind::AudioRtp), Some(addr(PEER)));
    }

    #[test]
    fn a_spray_is_never_accepted_and_reported_once_per_ten_seconds() {
        let (mut s, mut now, mut seq) = learned(false, NAT);
        let mut reports = 0;
        let mut stranger_seq: u16 = 5000;
        // 20 s of spray, each 20 ms: from one address in sequence with one SSRC (the strongest
        // case), and from a new address and SSRC each time; the peer keeps talking.
        for i in 0..1000u32 {
            for (from, ssrc, sq) in [
                (addr(STRANGER), 0xdead_beef, stranger_seq),
                (
                    SocketAddr::new(addr(STRANGER).ip(), 10_000 + (i % 50_000) as u16),
                    i,
                    i as u16,
                ),
            ] {
                match s.check(now, PacketKind::AudioRtp, from, &rtp(ssrc, sq)) {
                    Verdict::Foreign { report } => reports += u32::from(report),
                    v => panic!("spray packet {i} accepted: {v:?}"),
                }
            }
            stranger_seq = stranger_seq.wrapping_add(1);
            let v = s.check(now, PacketKind::AudioRtp, addr(NAT), &rtp(7, seq));
            assert_eq!(v, Verdict::Accept);
            seq = seq.wrapping_add(1);
            now += Duration::from_millis(20);
        }
        assert_eq!(s.foreign_packets(), 2000);
        assert_eq!(reports, 2, "one report at the start, one ten seconds later");
        assert_eq!(s.destination(PacketKind::AudioRtp), Some(addr(NAT)));
    }

    #[test]
    fn a_stranger_with_the_right_ssrc_waits_while_the_peer_talks() {
        let (mut s, mut now, mut seq) = learned(false, NAT);
        // Even knowing the SSRC and continuing the sequence: the peer is not silent.
        let mut other = seq;
        for _ in 0..200 {
            let v = s.check(now, PacketKind::AudioRtp, addr(STRANGER), &rtp(7, other));
            assert!(!v.accepted(), "{v:?}");
            assert_eq!(
                s.check(now, PacketKind::AudioRtp, addr(NAT), &rtp(7, seq)),
                Verdict::Accept
            );
            other = other.wrapping_add(1);
            seq = seq.wrapping_add(1);
            now += Duration::from_millis(20);
        }
        assert_eq!(s.destination(PacketKind::AudioRtp), Some(addr(NAT)));
    }

    #[test]
    fn nat_rebinding_is_relearned_after_a_run_of_the_same_ssrc_and_the_old_source_silent() {
        let (mut s, mut now, mut seq) = learned(false, NAT);
        let rebound = addr("198.51.100.7:61234");
        let mut first_accepted = None;
        for i in 0..100u32 {
            let v = s.check(now, PacketKind::AudioRtp, rebound, &rtp(7, seq));
            if v.accepted() && first_accepted.is_none() {
                assert_eq!(
                    v,
                    Verdict::Switched {
                        previous: addr(NAT)
                    }
                );
                first_accepted = Some(i);
            }
            seq = seq.wrapping_add(1);
            now += Duration::from_millis(20);
        }
        // The old source's last packet came 20 ms before the first new one: a second after it
        // (the 50th new packet) the silence is long enough, and the run long since.
        assert_eq!(first_accepted, Some(49));
        assert_eq!(s.destination(PacketKind::AudioRtp), Some(rebound));
        // The old address is now the stranger.
        let v = s.check(now, PacketKind::AudioRtp, addr(NAT), &rtp(7, seq));
        assert!(!v.accepted());
    }

    #[test]
    fn a_broken_run_or_another_ssrc_starts_over_or_never_switches() {
        let (mut s, mut now, seq) = learned(false, NAT);
        let rebound = addr("198.51.100.7:61234");
        // Another SSRC from the new address: not the stream we were receiving.
        for k in 0..100u16 {
            let v = s.check(now, PacketKind::AudioRtp, rebound, &rtp(8, seq + k));
            assert!(!v.accepted(), "{v:?}");
            now += Duration::from_millis(20);
        }
        // The right SSRC, but every other sequence number: never a run of eight.
        for k in 0..100u16 {
            let v = s.check(now, PacketKind::AudioRtp, rebound, &rtp(7, seq + 2 * k));
            assert!(!v.accepted(), "{v:?}");
            now += Duration::from_millis(20);
        }
        // A clean run: eight packets (the old source has long been silent).
        let base = seq + 1000;
        for k in 0..SWITCH_PACKETS as u16 - 1 {
            let v = s.check(now, PacketKind::AudioRtp, rebound, &rtp(7, base + k));
            assert!(!v.accepted(), "{v:?}");
        }
        let last = base + SWITCH_PACKETS as u16 - 1;
        let v = s.check(now, PacketKind::AudioRtp, rebound, &rtp(7, last));
        assert!(matches!(v, Verdict::Switched { .. }), "{v:?}");
    }

    #[test]
    fn strict_mode_never_switches_after_the_window() {
        let (mut s, mut now, mut seq) = learned(true, NAT);
        let rebound = addr("198.51.100.7:61234");
        for _ in 0..500 {
            let v = s.check(now, PacketKind::AudioRtp, rebound, &rtp(7, seq));
            assert!(!v.accepted(), "{v:?}");
            seq = seq.wrapping_add(1);
            now += Duration::from_millis(20);
        }
        assert_eq!(s.destination(PacketKind::AudioRtp), Some(addr(NAT)));
        // A new offer/answer opens a new window: then the peer's new address is learned.
        s.set_peer(now, audio(PEER), PeerAddrs::default());
        let v = s.check(now, PacketKind::AudioRtp, rebound, &rtp(7, seq));
        assert!(
            !v.accepted(),
            "no better a match for the SDP than the learned source"
        );
        let v = s.check(now, PacketKind::AudioRtp, addr(PEER), &rtp(7, seq + 1));
        assert_eq!(
            v,
            Verdict::Learned {
                previous: Some(addr(NAT))
            }
        );
    }

    #[test]
    fn a_leg_that_never_sends_is_not_taken_over_by_a_stranger() {
        let t0 = Instant::now();
        let mut s = LegSources::new(t0, false);
        s.set_peer(t0, audio(PEER), PeerAddrs::default());
        let mut now = t0 + LEARNING_WINDOW;
        for k in 0..500u16 {
            let v = s.check(now, PacketKind::AudioRtp, addr(STRANGER), &rtp(9, k));
            assert!(!v.accepted(), "{v:?}");
            now += Duration::from_millis(20);
        }
        assert_eq!(s.destination(PacketKind::AudioRtp), Some(addr(PEER)));
        // The peer's host starting late, from another port, is learned after a run.
        let late = addr("192.0.2.10:50000");
        let mut verdicts = (0..SWITCH_PACKETS as u16)
            .map(|k| s.check(now, PacketKind::AudioRtp, late, &rtp(3, k)))
            .collect::<Vec<_>>();
        assert_eq!(
            verdicts.pop(),
            Some(Verdict::Learned { previous: None }),
            "{verdicts:?}"
        );
        assert!(verdicts.iter().all(|v| !v.accepted()));
        assert_eq!(s.destination(PacketKind::AudioRtp), Some(late));
    }

    #[test]
    fn the_sdp_address_is_accepted_when_it_starts_late() {
        let t0 = Instant::now();
        let mut s = LegSources::new(t0, true);
        s.set_peer(t0, audio(PEER), PeerAddrs::default());
        let late = t0 + Duration::from_secs(30);
        let v = s.check(late, PacketKind::AudioRtp, addr(PEER), &rtp(7, 1));
        assert_eq!(v, Verdict::Learned { previous: None });
    }

    #[test]
    fn rtcp_comes_from_the_learned_host_on_the_expected_ports() {
        let (mut s, now, _) = learned(true, NAT);
        let nat = addr(NAT);
        // No RTCP source known yet on the learned host: its NAT's port for RTCP is learned.
        let nat_rtcp = SocketAddr::new(nat.ip(), 62000);
        let v = s.check(now, PacketKind::AudioRtcp, nat_rtcp, &[0x80, 200]);
        assert_eq!(v, Verdict::Learned { previous: None });
        assert_eq!(s.destination(PacketKind::AudioRtcp), Some(nat_rtcp));
        assert_eq!(
            s.check(now, PacketKind::AudioRtcp, nat_rtcp, &[0x80, 200]),
            Verdict::Accept
        );
        // Then only the expected ports of that host: RTP's (multiplexed) and the one above.
        let other = SocketAddr::new(nat.ip(), 62002);
        assert!(!s
            .check(now, PacketKind::AudioRtcp, other, &[0x80, 200])
            .accepted());
        assert!(s
            .check(now, PacketKind::AudioRtcp, nat, &[0x80, 200])
            .accepted());
        let above = SocketAddr::new(nat.ip(), nat.port() + 1);
        assert!(s
            .check(now, PacketKind::AudioRtcp, above, &[0x80, 200])
            .accepted());
        // Never from another host, whatever the port.
        let stranger = SocketAddr::new(addr(STRANGER).ip(), nat.port() + 1);
        assert!(!s
            .check(now, PacketKind::AudioRtcp, stranger, &[0x80, 200])
            .accepted());
        // The SDP's RTCP address is always the peer's.
        let sdp_rtcp = SocketAddr::new(addr(PEER).ip(), addr(PEER).port() + 1);
        assert!(s
            .check(now, PacketKind::AudioRtcp, sdp_rtcp, &[0x80, 200])
            .accepted());
    }

    #[test]
    fn rtcp_before_any_rtp_only_from_the_sdp() {
        let t0 = Instant::now();
        let mut s = LegSources::new(t0, false);
        s.set_peer(t0, audio(PEER), PeerAddrs::default());
        let v = s.check(t0, PacketKind::AudioRtcp, addr(STRANGER), &[0x80, 200]);
        assert!(!v.accepted());
        let sdp_rtcp = SocketAddr::new(addr(PEER).ip(), addr(PEER).port() + 1);
        assert!(s
            .check(t0, PacketKind::AudioRtcp, sdp_rtcp, &[0x80, 200])
            .accepted());
    }

    #[test]
    fn multiplexed_rtcp_goes_to_the_learned_rtp_source() {
        let t0 = Instant::now();
        let mut s = LegSources::new(t0, false);
        let peer = addr(PEER);
        s.set_peer(
            t0,
            PeerAddrs {
                rtp: Some(peer),
                rtcp: Some(peer),
                rtcp_mux: true,
            },
            PeerAddrs::default(),
        );
        s.check(t0, PacketKind::AudioRtp, addr(NAT), &rtp(7, 1));
        assert_eq!(s.destination(PacketKind::AudioRtcp), Some(addr(NAT)));
        assert!(s
            .check(t0, PacketKind::AudioRtcp, addr(NAT), &[0x80, 200])
            .accepted());
    }

    #[test]
    fn hold_sends_nothing_and_resume_goes_back_to_the_learned_source() {
        let (mut s, now, seq) = learned(false, NAT);
        s.set_peer(
            now,
            PeerAddrs {
                rtp: None,
                rtcp: None,
                rtcp_mux: false,
            },
            PeerAddrs::default(),
        );
        assert_eq!(s.destination(PacketKind::AudioRtp), None);
        assert_eq!(s.destination(PacketKind::AudioRtcp), None);
        // A peer on hold may still send (sendonly): still its packets.
        assert_eq!(
            s.check(now, PacketKind::AudioRtp, addr(NAT), &rtp(7, seq)),
            Verdict::Accept
        );
        assert_eq!(s.destination(PacketKind::AudioRtp), None);
        s.set_peer(now, audio(PEER), PeerAddrs::default());
        assert_eq!(s.destination(PacketKind::AudioRtp), Some(addr(NAT)));
    }

    #[test]
    fn video_learns_from_the_audio_host_after_its_window() {
        let (mut s, now, _) = learned(false, NAT);
        let video = SocketAddr::new(addr(PEER).ip(), 40002);
        s.set_peer(
            now - Duration::from_secs(5),
            audio(PEER),
            PeerAddrs {
                rtp: Some(video),
                rtcp: None,
                rtcp_mux: false,
            },
        );
        // Video starts late from the NAT's address: the host audio comes from.
        let from = SocketAddr::new(addr(NAT).ip(), 61002);
        let v: Vec<_> = (0..SWITCH_PACKETS as u16)
            .map(|k| s.check(now, PacketKind::VideoRtp, from, &rtp(11, k)))
            .collect();
        assert_eq!(v.last(), Some(&Verdict::Learned { previous: None }));
        // A stranger's video on another host is not.
        let (mut s, now, _) = learned(false, NAT);
        let v: Vec<_> = (0..50u16)
            .map(|k| {
                s.check(
                    now + LEARNING_WINDOW,
                    PacketKind::VideoRtp,
                    addr(STRANGER),
                    &rtp(11, k),
                )
            })
            .collect();
        assert!(v.iter().all(|v| !v.accepted()), "{v:?}");
    }

    #[test]
    fn garbage_teaches_nothing() {
        let t0 = Instant::now();
        let mut s = LegSources::new(t0, false);
        let v = s.check(t0, PacketKind::AudioRtp, addr(STRANGER), b"hello");
        assert!(!v.accepted());
        assert_eq!(s.destination(PacketKind::AudioRtp), None);
        assert_eq!(s.foreign_packets(), 1);
    }
}
