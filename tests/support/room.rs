//! A scripted room system for end-to-end tests: a SIP UA over a real UDP socket that places
//! one call, sends its own tone as G.711 µ-law (or, in Opus mode, fullband Opus at 48 kHz as a
//! WebRTC-era device would, through opus-rs directly) RTP every 20 ms, records what it receives,
//! sends keypad digits (RFC 4733 or SIP INFO), answers whatever roomgate sends in the dialog
//! (and counts it, so a test can prove a move never re-INVITEd or hung up the call).
//! With [`MediaOptions`] it also sends RTCP sender reports about what it hears, and its RTP
//! can be made lossy ([`RoomSystem::set_loss_percent`]) as over a bad link.
#![allow(dead_code)]

use roomgate::media::codec::g711::{ulaw_decode, ulaw_encode};
use std::collections::VecDeque;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{sleep, JoinHandle};
use std::time::{Duration, Instant};

const RATE: f64 = 8000.0;

/// The audio codec a room system offers (alone, with telephone-event at its clock rate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Codec {
    /// PCMU/8000, payload type 0.
    #[default]
    Pcmu,
    /// opus/48000/2, payload type 111 (RFC 7587), with in-band FEC.
    Opus,
}

impl Codec {
    fn pt(self) -> u8 {
        match self {
            Codec::Pcmu => 0,
            Codec::Opus => 111,
        }
    }
    /// RTP timestamp units per 20 ms.
    fn units(self) -> u32 {
        match self {
            Codec::Pcmu => 160,
            Codec::Opus => 960,
        }
    }
}
/// Received audio kept (seconds).
const KEEP_S: usize = 4;

#[derive(Default)]
struct Shared {
    /// Decoded samples received, newest last.
    heard: Mutex<VecDeque<i16>>,
    /// Digits to send as RFC 4733 events.
    digits: Mutex<VecDeque<char>>,
    reinvites: AtomicU32,
    byes: AtomicU32,
    infos: AtomicU32,
    messages: AtomicU32,
    /// The last BYE roomgate sent, as text.
    last_bye: Mutex<Option<String>>,
    /// (From, P-Asserted-Identity) of each UPDATE roomgate sent (RFC 4916 identity updates).
    identities: Mutex<Vec<(String, String)>>,
    stop: AtomicBool,
    /// Percent of outgoing audio packets not sent (their sequence numbers skipped).
    loss_percent: AtomicU32,
    /// Audio packets left unsent so far.
    dropped: AtomicU32,
    /// Roomgate's stream as received (RFC 3550 §6.4.1 report block fields).
    rx: Mutex<Reception>,
    /// RTCP compound packets sent.
    rtcp_sent: AtomicU32,
    /// The RTP socket media is sent from and received on; replaced by
    /// [`RoomSystem::rebind_rtp`] (as a NAT rebinding would change the source port).
    rtp: Mutex<Option<Arc<UdpSocket>>>,
}

impl Shared {
    fn rtp(&self) -> Arc<UdpSocket> {
        self.rtp.lock().unwrap().clone().expect("media started")
    }
}

/// What a receiver tracks of one RTP source (RFC 3550 §6.4.1, A.1), simplified: packets
/// arrive in order on loopback.
#[derive(Default, Clone, Copy)]
struct Reception {
    ssrc: Option<u32>,
    base_seq: u32,
    /// Extended highest sequence number received.
    ext_max: u32,
    received: u32,
}

/// How a room system's media behaves beyond the defaults.
#[derive(Clone, Copy, Debug, Default)]
pub struct MediaOptions {
    /// Send an RTCP compound (SR with a reception report block on roomgate's stream, then
    /// SDES CNAME; RFC 3550 §6.1) every second, from the port above the RTP port (§11).
    pub rtcp: bool,
    /// The one audio codec it offers.
    pub codec: Codec,
}

pub struct RoomSystem {
    pub name: String,
    /// roomgate's SDP answer.
    pub answer: String,
    sip: UdpSocket,
    gateway: SocketAddr,
    shared: Arc<Shared>,
    call_id: String,
    from_tag: String,
    to_header: String,
    cseq: u32,
    threads: Vec<JoinHandle<()>>,
    rtp_local: SocketAddr,
    rtp_remote: SocketAddr,
}

fn header<'a>(msg: &'a str, name: &str) -> Option<&'a str> {
    msg.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

impl RoomSystem {
    /// Dials `user@gateway` and returns once the call is answered and ACKed.
    pub fn call(gateway: SocketAddr, user: &str, name: &str, tone_hz: f64) -> RoomSystem {
        Self::call_with(gateway, user, name, tone_hz, MediaOptions::default())
    }

    /// [`Self::call`] with media options: which codec it offers (alone, with telephone-event
    /// at its clock rate), whether it sends RTCP.
    pub fn call_with(
        gateway: SocketAddr,
        user: &str,
        name: &str,
        tone_hz: f64,
        opts: MediaOptions,
    ) -> RoomSystem {
        let sip = UdpSocket::bind("127.0.0.1:0").expect("bind SIP");
        sip.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let codec = opts.codec;
        let (rtp, rtcp) = if opts.rtcp {
            let (rtp, rtcp) = rtp_pair();
            (rtp, Some(rtcp))
        } else {
            (UdpSocket::bind("127.0.0.1:0").expect("bind RTP"), None)
        };
        let local = sip.local_addr().unwrap();
        let rtp_port = rtp.local_addr().unwrap().port();
        let call_id = format!("{name}-{}@127.0.0.1", local.port());
        let from_tag = format!("tag{}", local.port());
        let audio = match codec {
            Codec::Pcmu => "0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000",
            Codec::Opus => {
                "111 101\r\na=rtpmap:111 opus/48000/2\r\n\
                 a=fmtp:111 minptime=10;useinbandfec=1;stereo=1\r\n\
                 a=rtpmap:101 telephone-event/48000"
            }
        };
        let sdp = format!(
            "v=0\r\no={name} 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
             m=audio {rtp_port} RTP/AVP {audio}\r\na=fmtp:101 0-15\r\na=sendrecv\r\n"
        );
        let invite = format!(
            "INVITE sip:{user}@{gateway} SIP/2.0\r\n\
             Via: SIP/2.0/UDP {local};branch=z9hG4bK-{from_tag}-1;rport\r\n\
             From: \"{name}\" <sip:{name}@{local}>;tag={from_tag}\r\n\
             To: <sip:{user}@{gateway}>\r\nCall-ID: {call_id}\r\nCSeq: 1 INVITE\r\n\
             Contact: <sip:{name}@{local}>\r\nMax-Forwards: 70\r\n\
             Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE, MESSAGE\r\n\
             Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
            sdp.len()
        );
        let mut buf = vec![0u8; 65536];
        let deadline = Instant::now() + Duration::from_secs(15);
        let mut last_sent = Instant::now() - Duration::from_secs(1);
        let (to_header, remote_rtp, answer) = loop {
            assert!(Instant::now() < deadline, "{name}: no 200 OK to the INVITE");
            if last_sent.elapsed() >= Duration::from_millis(500) {
                sip.send_to(invite.as_bytes(), gateway).unwrap();
                last_sent = Instant::now();
            }
            let Ok((n, _)) = sip.recv_from(&mut buf) else {
                continue;
            };
            let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
            if !msg.starts_with("SIP/2.0 ") {
                continue;
            }
            let code: u16 = msg[8..11].parse().unwrap_or(0);
            if code < 200 {
                continue;
            }
            assert_eq!(code, 200, "{name}: call refused:\n{msg}");
            let to = header(&msg, "To").expect("To").to_owned();
            let body = msg.split("\r\n\r\n").nth(1).unwrap_or("");
            let port: u16 = body
                .lines()
                .find_map(|l| l.strip_prefix("m=audio "))
                .and_then(|l| l.split(' ').next())
                .and_then(|p| p.parse().ok())
                .expect("m=audio port in the answer");
            break (
                to,
                SocketAddr::from(([127, 0, 0, 1], port)),
                body.to_owned(),
            );
        };
        let mut rs = RoomSystem {
            name: name.to_owned(),
            answer,
            sip,
            gateway,
            shared: Arc::new(Shared::default()),
            call_id,
            from_tag,
            to_header,
            cseq: 1,
            threads: Vec::new(),
            rtp_local: rtp.local_addr().unwrap(),
            rtp_remote: remote_rtp,
        };
        rs.send_in_dialog("ACK", 1, None);
        rs.start_media(rtp, remote_rtp, tone_hz, codec);
        if let Some(rtcp) = rtcp {
            // RFC 3550 §11: RTCP on the port above RTP, unless the answer said otherwise.
            let to = SocketAddr::new(remote_rtp.ip(), remote_rtp.port() + 1);
            rs.start_rtcp(rtcp, to);
        }
        rs.start_sip_responder();
        rs
    }

    /// The Call-ID of this call.
    pub fn call_id(&self) -> &str {
        &self.call_id
    }

    /// The SSRC of our audio stream.
    pub fn ssrc(&self) -> u32 {
        0x5151_0000 ^ self.rtp_remote.port() as u32
    }

    /// The SSRC of roomgate's stream to us, once heard.
    pub fn heard_ssrc(&self) -> Option<u32> {
        self.shared.rx.lock().unwrap().ssrc
    }

    /// Our RTP address, and roomgate's (from its answer).
    pub fn rtp_addrs(&self) -> (SocketAddr, SocketAddr) {
        (self.rtp_local, self.rtp_remote)
    }

    /// Moves its RTP to a new local port mid-call, as a NAT rebinding does to what roomgate sees:
    /// the same stream (SSRC, sequence numbers, timestamps) goes on from the new port, and the
    /// old one is closed. What it heard so far is forgotten, so what it hears from now on
    /// arrived at the new port. Returns the new address.
    pub fn rebind_rtp(&mut self) -> SocketAddr {
        let rtp = UdpSocket::bind("127.0.0.1:0").expect("bind RTP");
        rtp.set_read_timeout(Some(Duration::from_millis(20)))
            .unwrap();
        self.rtp_local = rtp.local_addr().unwrap();
        let mut heard = self.shared.heard.lock().unwrap();
        *self.shared.rtp.lock().unwrap() = Some(Arc::new(rtp));
        heard.clear();
        self.rtp_local
    }

    /// From now on, leaves `percent` of outgoing audio packets unsent (evenly spread; their
    /// sequence numbers are skipped, so the receiver counts them lost).
    pub fn set_loss_percent(&self, percent: u32) {
        self.shared
            .loss_percent
            .store(percent.min(100), Ordering::Relaxed);
    }

    /// Audio packets left unsent so far.
    pub fn dropped(&self) -> u32 {
        self.shared.dropped.load(Ordering::Relaxed)
    }

    /// RTCP compound packets sent so far.
    pub fn rtcp_sent(&self) -> u32 {
        self.shared.rtcp_sent.load(Ordering::Relaxed)
    }

    /// Sends an RTCP compound every second: SR (RFC 3550 §6.4.1) with one report block on
    /// roomgate's stream once it has been heard, then SDES CNAME (§6.5).
    fn start_rtcp(&mut self, rtcp: UdpSocket, to: SocketAddr) {
        let shared = self.shared.clone();
        let cname = format!("{}@127.0.0.1", self.name);
        let ssrc = self.ssrc();
        self.threads.push(std::thread::spawn(move || {
            let start = Instant::now();
            let mut n = 0u64;
            let mut prev = Reception::default();
            let mut prev_expected = 0u32;
            while !shared.stop.load(Ordering::Relaxed) {
                n += 1;
                let next = start + Duration::from_secs(n);
                while Instant::now() < next {
                    if shared.stop.load(Ordering::Relaxed) {
                        return;
                    }
                    sleep(Duration::from_millis(20));
                }
                let rx = *shared.rx.lock().unwrap();
                let sent = (start.elapsed().as_millis() / 20) as u32;
                let mut pkt = Vec::with_capacity(128);
                let rc = u8::from(rx.ssrc.is_some());
                pkt.extend_from_slice(&[0x80 | rc, 200]);
                pkt.extend_from_slice(&(6u16 + 6 * u16::from(rc)).to_be_bytes());
                pkt.extend_from_slice(&ssrc.to_be_bytes());
                // Sender info: NTP time (seconds since 1900), RTP time, packets, octets.
                let unix = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap();
                let ntp_sec = unix.as_secs() + 2_208_988_800;
                let ntp_frac = ((unix.subsec_nanos() as u64) << 32) / 1_000_000_000;
                pkt.extend_from_slice(&(ntp_sec as u32).to_be_bytes());
                pkt.extend_from_slice(&(ntp_frac as u32).to_be_bytes());
                pkt.extend_from_slice(&(sent * 160).to_be_bytes());
                pkt.extend_from_slice(&sent.to_be_bytes());
                pkt.extend_from_slice(&(sent * 160).to_be_bytes());
                if let Some(source) = rx.ssrc {
                    // RFC 3550 A.3: lost = expected − received; the fraction over the interval.
                    let expected = rx.ext_max.wrapping_sub(rx.base_seq) + 1;
                    let lost = expected as i64 - rx.received as i64;
                    let exp_int = expected.wrapping_sub(prev_expected);
                    let rcv_int = rx.received.wrapping_sub(prev.received);
                    let lost_int = exp_int as i64 - rcv_int as i64;
                    let fraction = if exp_int == 0 || lost_int <= 0 {
                        0
                    } else {
                        ((lost_int << 8) / exp_int as i64) as u8
                    };
                    prev = rx;
                    prev_expected = expected;
                    let cumulative = (lost.clamp(-0x80_0000, 0x7f_ffff) as i32 as u32) & 0xff_ffff;
                    pkt.extend_from_slice(&source.to_be_bytes());
                    pkt.extend_from_slice(
                        &((u32::from(fraction) << 24) | cumulative).to_be_bytes(),
                    );
                    pkt.extend_from_slice(&rx.ext_max.to_be_bytes());
                    pkt.extend_from_slice(&0u32.to_be_bytes()); // jitter: loopback has none
                    pkt.extend_from_slice(&0u32.to_be_bytes()); // LSR: no SR heard
                    pkt.extend_from_slice(&0u32.to_be_bytes()); // DLSR
                }
                // SDES: one chunk, CNAME, then a null item padding to a 32-bit boundary.
                let mut chunk = ssrc.to_be_bytes().to_vec();
                chunk.extend_from_slice(&[1, cname.len() as u8]);
                chunk.extend_from_slice(cname.as_bytes());
                chunk.push(0);
                while chunk.len() % 4 != 0 {
                    chunk.push(0);
                }
                pkt.extend_from_slice(&[0x81, 202]);
                pkt.extend_from_slice(&((chunk.len() / 4) as u16).to_be_bytes());
                pkt.extend_from_slice(&chunk);
                if rtcp.send_to(&pkt, to).is_ok() {
                    shared.rtcp_sent.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }

    fn request(&self, method: &str, cseq: u32, body: Option<(&str, &str)>) -> String {
        let local = self.sip.local_addr().unwrap();
        let (ct, b) = body.unwrap_or(("", ""));
        let ct = if ct.is_empty() {
            String::new()
        } else {
            format!("Content-Type: {ct}\r\n")
        };
        format!(
            "{method} sip:roomgate@{gw} SIP/2.0\r\n\
             Via: SIP/2.0/UDP {local};branch=z9hG4bK-{tag}-{method}-{cseq};rport\r\n\
             From: \"{name}\" <sip:{name}@{local}>;tag={tag}\r\nTo: {to}\r\n\
             Call-ID: {id}\r\nCSeq: {cseq} {method}\r\nMax-Forwards: 70\r\n\
             {ct}Content-Length: {len}\r\n\r\n{b}",
            gw = self.gateway,
            id = self.call_id,
            name = self.name,
            tag = self.from_tag,
            to = self.to_header,
            len = b.len()
        )
    }

    fn send_in_dialog(&self, method: &str, cseq: u32, body: Option<(&str, &str)>) {
        let req = self.request(method, cseq, body);
        self.sip.send_to(req.as_bytes(), self.gateway).unwrap();
    }

    /// Sends RTP: the tone, or RFC 4733 events when a digit is queued (same SSRC, same
    /// timestamp clock, as a real phone does). Records what comes back.
    fn start_media(&mut self, rtp: UdpSocket, remote: SocketAddr, tone_hz: f64, codec: Codec) {
        rtp.set_read_timeout(Some(Duration::from_millis(20)))
            .unwrap();
        *self.shared.rtp.lock().unwrap() = Some(Arc::new(rtp));
        let shared = self.shared.clone();
        self.threads.push(std::thread::spawn(move || {
            let mut seq: u16 = 1;
            let mut ts: u32 = 0;
            let mut phase = 0.0f64;
            let ssrc: u32 = 0x5151_0000 ^ remote.port() as u32;
            let start = Instant::now();
            let mut frame = 0u64;
            let mut event: Option<(u8, u32, u16)> = None; // (code, start ts, packets sent)
            let units = codec.units();
            let mut opus = (codec == Codec::Opus).then(|| {
                opus_rs::OpusEncoder::new(48000, 1, opus_rs::Application::Voip).expect("encoder")
            });
            while !shared.stop.load(Ordering::Relaxed) {
                let mut pkt = Vec::with_capacity(172);
                if event.is_none() {
                    if let Some(d) = shared.digits.lock().unwrap().pop_front() {
                        let code = match d {
                            '0'..='9' => d as u8 - b'0',
                            '*' => 10,
                            '#' => 11,
                            _ => 0,
                        };
                        event = Some((code, ts, 0));
                    }
                }
                if let Some((code, ev_ts, n)) = event {
                    // RFC 4733 §2.5: 100 ms of event, then the end packet three times.
                    let end = n >= 5;
                    let duration = ((n.min(5) + 1) as u32 * units) as u16;
                    pkt.extend_from_slice(&[0x80, if n == 0 { 0x80 | 101 } else { 101 }]);
                    pkt.extend_from_slice(&seq.to_be_bytes());
                    pkt.extend_from_slice(&ev_ts.to_be_bytes());
                    pkt.extend_from_slice(&ssrc.to_be_bytes());
                    pkt.extend_from_slice(&[code, if end { 0x80 | 10 } else { 10 }]);
                    pkt.extend_from_slice(&duration.to_be_bytes());
                    event = if n >= 7 {
                        None
                    } else {
                        Some((code, ev_ts, n + 1))
                    };
                } else {
                    pkt.extend_from_slice(&[0x80, codec.pt()]);
                    pkt.extend_from_slice(&seq.to_be_bytes());
                    pkt.extend_from_slice(&ts.to_be_bytes());
                    pkt.extend_from_slice(&ssrc.to_be_bytes());
                    match opus.as_mut() {
                        None => {
                            for _ in 0..160 {
                                let s = (phase.sin() * 8000.0) as i16;
                                phase += 2.0 * std::f64::consts::PI * tone_hz / RATE;
                                pkt.push(ulaw_encode(s));
                            }
                        }
                        Some(enc) => {
                            let pcm: Vec<i16> = (0..960)
                                .map(|_| {
                                    let s = (phase.sin() * 8000.0) as i16;
                                    phase += 2.0 * std::f64::consts::PI * tone_hz / 48000.0;
                                    s
                                })
                                .collect();
                            let mut out = [0u8; 1275];
                            let n = enc.encode_i16(&pcm, 960, &mut out).expect("encodes");
                            pkt.extend_from_slice(&out[..n]);
                        }
                    }
                }
                let loss = u64::from(shared.loss_percent.load(Ordering::Relaxed));
                // Evenly spread: frame f is dropped when ⌊f·loss/100⌋ steps up at f.
                let drop = event.is_none() && (frame + 1) * loss / 100 != frame * loss / 100;
                if drop {
                    shared.dropped.fetch_add(1, Ordering::Relaxed);
                } else {
                    let _ = shared.rtp().send_to(&pkt, remote);
                }
                seq = seq.wrapping_add(1);
                ts = ts.wrapping_add(units);
                frame += 1;
                let next = start + Duration::from_millis(20 * frame);
                if let Some(d) = next.checked_duration_since(Instant::now()) {
                    sleep(d);
                }
            }
        }));
        let shared = self.shared.clone();
        self.threads.push(std::thread::spawn(move || {
            let mut buf = [0u8; 2048];
            // Opus is decoded straight to the 8 kHz the analysis works at (RFC 6716 §2).
            let mut opus = (codec == Codec::Opus)
                .then(|| opus_rs::OpusDecoder::new(RATE as i32, 1).expect("decoder"));
            let mut pcm = vec![0f32; 960];
            while !shared.stop.load(Ordering::Relaxed) {
                let sock = shared.rtp();
                let Ok(n) = sock.recv(&mut buf) else {
                    continue;
                };
                if n < 12 || buf[1] & 0x7f != codec.pt() {
                    continue;
                }
                let cc = (buf[0] & 0x0f) as usize;
                {
                    let seq = u32::from(u16::from_be_bytes([buf[2], buf[3]]));
                    let ssrc = u32::from_be_bytes([buf[8], buf[9], buf[10], buf[11]]);
                    let mut r = shared.rx.lock().unwrap();
                    if r.ssrc != Some(ssrc) {
                        *r = Reception {
                            ssrc: Some(ssrc),
                            base_seq: seq,
                            ext_max: seq,
                            received: 0,
                        };
                    }
                    // Extend to 32 bits across wraps (in-order delivery on loopback).
                    let cycles = r.ext_max & !0xffff;
                    let mut ext = cycles | seq;
                    if ext + 0x8000 < r.ext_max {
                        ext += 0x1_0000;
                    }
                    if ext > r.ext_max {
                        r.ext_max = ext;
                    }
                    r.received += 1;
                }
                let Some(payload) = buf.get(12 + 4 * cc..n) else {
                    continue;
                };
                let mut heard = shared.heard.lock().unwrap();
                if !Arc::ptr_eq(&sock, &shared.rtp()) {
                    // Received on a port given up since (`rebind_rtp`): not what it hears now.
                    continue;
                }
                match opus.as_mut() {
                    None => heard.extend(payload.iter().map(|&b| ulaw_decode(b))),
                    Some(dec) => {
                        let got = dec
                            .decode(payload, 960, &mut pcm)
                            .expect("roomgate's Opus decodes");
                        heard.extend(pcm[..got].iter().map(|&x| (x * 32768.0) as i16));
                    }
                }
                let excess = heard.len().saturating_sub(KEEP_S * RATE as usize);
                heard.drain(..excess);
            }
        }));
    }

    /// Answers roomgate's in-dialog requests 200 OK and counts them.
    fn start_sip_responder(&mut self) {
        let sip = self.sip.try_clone().unwrap();
        let shared = self.shared.clone();
        self.threads.push(std::thread::spawn(move || {
            let mut buf = vec![0u8; 65536];
            while !shared.stop.load(Ordering::Relaxed) {
                let Ok((n, from)) = sip.recv_from(&mut buf) else {
                    continue;
                };
                let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
                let method = msg.split(' ').next().unwrap_or("");
                match method {
                    "INVITE" => shared.reinvites.fetch_add(1, Ordering::Relaxed),
                    "BYE" => {
                        *shared.last_bye.lock().unwrap() = Some(msg.clone());
                        shared.byes.fetch_add(1, Ordering::Relaxed)
                    }
                    "INFO" => shared.infos.fetch_add(1, Ordering::Relaxed),
                    "UPDATE" => {
                        let get = |n| header(&msg, n).unwrap_or_default().to_owned();
                        shared
                            .identities
                            .lock()
                            .unwrap()
                            .push((get("From"), get("P-Asserted-Identity")));
                        0
                    }
                    "MESSAGE" => shared.messages.fetch_add(1, Ordering::Relaxed),
                    _ if method.starts_with("SIP/") || method == "ACK" => continue,
                    _ => 0,
                };
                let mut resp = String::from("SIP/2.0 200 OK\r\n");
                for h in ["Via", "From", "To", "Call-ID", "CSeq"] {
                    for line in msg.lines() {
                        if let Some((n, _)) = line.split_once(':') {
                            if n.trim().eq_ignore_ascii_case(h) {
                                resp.push_str(line.trim_end());
                                resp.push_str("\r\n");
                            }
                        }
                    }
                }
                resp.push_str("Content-Length: 0\r\n\r\n");
                let _ = sip.send_to(resp.as_bytes(), from);
            }
        }));
    }

    /// Queues keypad digits as RFC 4733 events (one every 200 ms or so, as a keypad sends).
    pub fn press_rfc4733(&self, digits: &str) {
        for d in digits.chars() {
            self.shared.digits.lock().unwrap().push_back(d);
            sleep(Duration::from_millis(250));
        }
    }

    /// Sends keypad digits as SIP INFO (application/dtmf-relay), as many room systems do.
    pub fn press_info(&mut self, digits: &str) {
        for d in digits.chars() {
            self.cseq += 1;
            let body = format!("Signal={d}\r\nDuration=160\r\n");
            self.send_in_dialog("INFO", self.cseq, Some(("application/dtmf-relay", &body)));
            sleep(Duration::from_millis(150));
        }
    }

    /// The last `ms` of received audio.
    pub fn recent(&self, ms: usize) -> Vec<i16> {
        let heard = self.shared.heard.lock().unwrap();
        let n = (ms * RATE as usize / 1000).min(heard.len());
        heard.iter().skip(heard.len() - n).copied().collect()
    }

    /// Which of `freqs` are clearly present in the last second of received audio.
    pub fn tones_heard(&self, freqs: &[f64]) -> Vec<f64> {
        super::tour::tones_in(&self.recent(1000), freqs)
    }

    pub fn reinvites(&self) -> u32 {
        self.shared.reinvites.load(Ordering::Relaxed)
    }
    pub fn byes(&self) -> u32 {
        self.shared.byes.load(Ordering::Relaxed)
    }
    /// (From, P-Asserted-Identity) of every UPDATE received, oldest first.
    pub fn identities(&self) -> Vec<(String, String)> {
        self.shared.identities.lock().unwrap().clone()
    }
    pub fn last_bye(&self) -> Option<String> {
        self.shared.last_bye.lock().unwrap().clone()
    }

    pub fn hangup(mut self) {
        self.cseq += 1;
        self.send_in_dialog("BYE", self.cseq, None);
        sleep(Duration::from_millis(100));
    }
}

impl super::tour::Listener for RoomSystem {
    fn name(&self) -> &str {
        &self.name
    }
    fn recent(&self, ms: usize) -> Vec<i16> {
        RoomSystem::recent(self, ms)
    }
}

impl Drop for RoomSystem {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// An RTP socket on an even port with the RTCP socket on the port above (RFC 3550 §11).
fn rtp_pair() -> (UdpSocket, UdpSocket) {
    for _ in 0..100 {
        let rtp = UdpSocket::bind("127.0.0.1:0").expect("bind RTP");
        let port = rtp.local_addr().unwrap().port();
        if port % 2 == 1 || port == u16::MAX {
            continue;
        }
        if let Ok(rtcp) = UdpSocket::bind(("127.0.0.1", port + 1)) {
            return (rtp, rtcp);
        }
    }
    panic!("no free even/odd loopback port pair for RTP/RTCP");
}

/// Power at `freq` relative to the signal (Goertzel), scaled so a pure tone gives ~0.5.
pub fn goertzel(x: &[i16], freq: f64) -> f64 {
    let w = 2.0 * std::f64::consts::PI * freq / RATE;
    let c = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for &v in x {
        let s0 = v as f64 + c * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let p = s1 * s1 + s2 * s2 - c * s1 * s2;
    2.0 * p / x.len().max(1) as f64
}
