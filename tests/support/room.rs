//! A scripted room system for end-to-end tests: a SIP UA over a real UDP socket that places
//! one call, sends its own tone as G.711 µ-law (or, in Opus mode, fullband Opus at 48 kHz as a
//! WebRTC-era device would, through opus-rs directly) RTP every 20 ms, records what it receives,
//! sends keypad digits (RFC 4733 or SIP INFO), answers whatever roomgate sends in the dialog
//! (and counts it, so a test can prove a move never re-INVITEd or hung up the call).
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// PCMU/8000, payload type 0.
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
    stop: AtomicBool,
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
        Self::call_with(gateway, user, name, tone_hz, Codec::Pcmu)
    }

    /// Like [`Self::call`], offering only `codec` (and telephone-event at its clock rate).
    pub fn call_with(
        gateway: SocketAddr,
        user: &str,
        name: &str,
        tone_hz: f64,
        codec: Codec,
    ) -> RoomSystem {
        let sip = UdpSocket::bind("127.0.0.1:0").expect("bind SIP");
        sip.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let rtp = UdpSocket::bind("127.0.0.1:0").expect("bind RTP");
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
        };
        rs.send_in_dialog("ACK", 1, None);
        rs.start_media(rtp, remote_rtp, tone_hz, codec);
        rs.start_sip_responder();
        rs
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
        let rx = rtp.try_clone().unwrap();
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
                let _ = rtp.send_to(&pkt, remote);
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
                let Ok(n) = rx.recv(&mut buf) else { continue };
                if n < 12 || buf[1] & 0x7f != codec.pt() {
                    continue;
                }
                let cc = (buf[0] & 0x0f) as usize;
                let payload = &buf[12 + 4 * cc..n];
                let mut heard = shared.heard.lock().unwrap();
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
        let x = self.recent(1000);
        let total: f64 = x
            .iter()
            .map(|&s| (s as f64) * (s as f64))
            .sum::<f64>()
            .max(1.0);
        freqs
            .iter()
            .copied()
            .filter(|&f| goertzel(&x, f) / total > 0.02)
            .collect()
    }

    pub fn reinvites(&self) -> u32 {
        self.shared.reinvites.load(Ordering::Relaxed)
    }
    pub fn byes(&self) -> u32 {
        self.shared.byes.load(Ordering::Relaxed)
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

impl Drop for RoomSystem {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
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
