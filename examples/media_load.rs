//! End-to-end media load on loopback (run by bench/media_load.sh; not a test).
//!
//! Holds `--legs` G.711 µ-law call legs against a running `roomgate serve` (minimal SIP from
//! one UDP socket, RTP from one socket per leg), splits them into `--rooms` breakout rooms over
//! the HTTP API, sends a tone per room for `--secs` and measures, at our receiving sockets:
//! loss (sequence gaps) and the send-time jitter of roomgate's packets (deviation of each
//! leg's inter-arrival time from 20 ms); then `--moves` moves, each timed from the move API call
//! to the first packet at the moved leg carrying the new room's tone (Goertzel). Every figure
//! is printed beside a baseline measured in the same run:
//! - loss and jitter: the same generator against a trivial loopback RTP reflector;
//! - tick processing: the media plane's arithmetic floor (same legs and rooms, in process, no
//!   sockets);
//! - move latency: the round trip of a `GET` of the same participant over the same API;
//! - memory per leg: the plane's own `leg_memory_bytes`.
//!
//! Everything is on 127.0.0.1 and bounded by the arguments.

use std::collections::HashMap;
use std::net::{SocketAddr, UdpSocket as StdUdp};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mio::net::UdpSocket;
use mio::{Events, Interest, Poll, Token};
use roomgate::media::codec::g711::{ulaw_decode, ulaw_encode};
use roomgate::media::{
    AudioCodec, AudioParams, LegId, LegParams, MediaCommand, MediaOutput, MediaPlane, RoomKey, TICK,
};

struct Args {
    api: String,
    token: String,
    sip: SocketAddr,
    pid: u32,
    legs: usize,
    rooms: usize,
    secs: u64,
    moves: usize,
}

fn args() -> Args {
    let mut a = Args {
        api: String::new(),
        token: String::new(),
        sip: "127.0.0.1:5070".parse().unwrap(),
        pid: 0,
        legs: 500,
        rooms: 50,
        secs: 20,
        moves: 200,
    };
    let v: Vec<String> = std::env::args().skip(1).collect();
    for p in v.chunks(2) {
        let val = p.get(1).cloned().unwrap_or_default();
        match p[0].as_str() {
            "--api" => a.api = val,
            "--token" => a.token = val,
            "--sip" => a.sip = val.parse().expect("--sip ADDR:PORT"),
            "--pid" => a.pid = val.parse().expect("--pid N"),
            "--legs" => a.legs = val.parse().expect("--legs N"),
            "--rooms" => a.rooms = val.parse().expect("--rooms N"),
            "--secs" => a.secs = val.parse().expect("--secs N"),
            "--moves" => a.moves = val.parse().expect("--moves N"),
            o => panic!("unknown argument {o}"),
        }
    }
    assert!(
        !a.api.is_empty(),
        "--api http://127.0.0.1:PORT/api/v1 is required"
    );
    a
}

/// Tone of room `r`: on a 50 Hz bin so a 160-sample packet holds whole cycles.
fn tone(r: usize) -> f64 {
    400.0 + 50.0 * r as f64
}

fn goertzel(x: &[i16], freq: f64) -> f64 {
    let w = 2.0 * std::f64::consts::PI * freq / 8000.0;
    let c = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for &v in x {
        let s = v as f64 + c * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    2.0 * (s1 * s1 + s2 * s2 - c * s1 * s2).max(0.0).sqrt() / x.len() as f64
}

/// 20 ms µ-law payload of the tone (whole cycles, so every packet is the same).
fn payload(freq: f64) -> Vec<u8> {
    (0..160)
        .map(|i| {
            let s = 1500.0 * (2.0 * std::f64::consts::PI * freq * i as f64 / 8000.0).sin();
            ulaw_encode(s as i16)
        })
        .collect()
}

fn pct(v: &mut [f64], q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[(((v.len() as f64) * q).ceil() as usize).clamp(1, v.len()) - 1]
}

fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 {
        format!("{:.2}x", a / b)
    } else {
        "n/a (baseline 0)".into()
    }
}

// ---------------------------------------------------------------- RTP traffic ---------------

/// What the receiver learns per leg.
#[derive(Default, Clone)]
struct LegRx {
    packets: u64,
    first_seq: Option<u16>,
    ext_last: i64,
    last_at: Option<Instant>,
    intervals_us: Vec<f64>,
}

/// A pending move probe: the first packet at `leg` whose new-room tone dominates.
struct Probe {
    leg: usize,
    new_f: f64,
    old_f: f64,
    hit: Option<Instant>,
}

struct Traffic {
    stop: Arc<AtomicBool>,
    rx: Arc<Mutex<Vec<LegRx>>>,
    probe: Arc<Mutex<Option<Probe>>>,
    /// Room (tone) each leg sends.
    rooms: Arc<Mutex<Vec<usize>>>,
    threads: Vec<std::thread::JoinHandle<()>>,
    sent: Arc<Mutex<u64>>,
}

impl Traffic {
    /// Sends 20 ms packets from every socket to its destination, receives on the same sockets.
    fn start(socks: Vec<StdUdp>, dests: Vec<SocketAddr>, rooms: Vec<usize>) -> Traffic {
        let n = socks.len();
        let stop = Arc::new(AtomicBool::new(false));
        let rx = Arc::new(Mutex::new(vec![LegRx::default(); n]));
        let probe: Arc<Mutex<Option<Probe>>> = Arc::new(Mutex::new(None));
        let rooms = Arc::new(Mutex::new(rooms));
        let sent = Arc::new(Mutex::new(0u64));
        let send_socks: Vec<StdUdp> = socks.iter().map(|s| s.try_clone().unwrap()).collect();

        // Sender: one packet per leg per 20 ms on an absolute schedule.
        let (st, rm, se) = (stop.clone(), rooms.clone(), sent.clone());
        let sender = std::thread::spawn(move || {
            let payloads: Vec<Vec<u8>> = (0..128).map(|r| payload(tone(r))).collect();
            let start = Instant::now();
            let mut k: u32 = 0;
            let mut pkt = vec![0u8; 172];
            while !st.load(Ordering::Relaxed) {
                let rooms = rm.lock().unwrap().clone();
                for (i, s) in send_socks.iter().enumerate() {
                    pkt[0] = 0x80;
                    pkt[1] = 0;
                    pkt[2..4].copy_from_slice(&(k as u16).to_be_bytes());
                    pkt[4..8].copy_from_slice(&(k * 160).to_be_bytes());
                    pkt[8..12].copy_from_slice(&(0x5000_0000u32 + i as u32).to_be_bytes());
                    pkt[12..].copy_from_slice(&payloads[rooms[i] % 128]);
                    let _ = s.send_to(&pkt, dests[i]);
                }
                *se.lock().unwrap() += send_socks.len() as u64;
                k += 1;
                let next = start + TICK * k;
                let now = Instant::now();
                if next > now {
                    std::thread::sleep(next - now);
                }
            }
        });

        // Receiver: mio over every leg socket.
        let (st, rxs, pr) = (stop.clone(), rx.clone(), probe.clone());
        let receiver = std::thread::spawn(move || {
            let mut poll = Poll::new().unwrap();
            let mut socks: Vec<UdpSocket> = socks
                .into_iter()
                .map(|s| {
                    s.set_nonblocking(true).unwrap();
                    UdpSocket::from_std(s)
                })
                .collect();
            for (i, s) in socks.iter_mut().enumerate() {
                poll.registry()
                    .register(s, Token(i), Interest::READABLE)
                    .unwrap();
            }
            let mut events = Events::with_capacity(1024);
            let mut buf = [0u8; 2048];
            let mut pcm = Vec::with_capacity(160);
            while !st.load(Ordering::Relaxed) {
                let _ = poll.poll(&mut events, Some(Duration::from_millis(50)));
                for ev in events.iter() {
                    let i = ev.token().0;
                    while let Ok((n, _)) = socks[i].recv_from(&mut buf) {
                        let at = Instant::now();
                        if n < 12 || buf[1] & 0x7f != 0 {
                            continue;
                        }
                        let seq = u16::from_be_bytes([buf[2], buf[3]]);
                        {
                            let mut rx = rxs.lock().unwrap();
                            let l = &mut rx[i];
                            l.packets += 1;
                            match l.first_seq {
                                None => {
                                    l.first_seq = Some(seq);
                                    l.ext_last = seq as i64;
                                }
                                Some(_) => {
                                    let d = seq.wrapping_sub(l.ext_last as u16) as i16 as i64;
                                    if d > 0 {
                                        l.ext_last += d;
                                    }
                                }
                            }
                            if let Some(prev) = l.last_at {
                                l.intervals_us
                                    .push((at - prev).as_secs_f64() * 1e6 - 20_000.0);
                            }
                            l.last_at = Some(at);
                        }
                        let mut p = pr.lock().unwrap();
                        if let Some(p) = p.as_mut().filter(|p| p.leg == i && p.hit.is_none()) {
                            pcm.clear();
                            pcm.extend(buf[12..n].iter().map(|&b| ulaw_decode(b)));
                            let (new, old) = (goertzel(&pcm, p.new_f), goertzel(&pcm, p.old_f));
                            if new > 500.0 && new > 4.0 * old {
                                p.hit = Some(at);
                            }
                        }
                    }
                }
            }
        });
        Traffic {
            stop,
            rx,
            probe,
            rooms,
            threads: vec![sender, receiver],
            sent,
        }
    }

    /// Clears the receive figures (start of a measurement window).
    fn reset(&self) {
        let mut rx = self.rx.lock().unwrap();
        for l in rx.iter_mut() {
            *l = LegRx::default();
        }
        *self.sent.lock().unwrap() = 0;
    }

    /// (received, expected by sequence span, |jitter| p50 µs, p99 µs).
    fn window(&self) -> (u64, u64, f64, f64) {
        let rx = self.rx.lock().unwrap();
        let (mut got, mut expected) = (0u64, 0u64);
        let mut dev: Vec<f64> = Vec::new();
        for l in rx.iter() {
            got += l.packets;
            if let Some(f) = l.first_seq {
                expected += (l.ext_last - f as i64 + 1) as u64;
            }
            dev.extend(l.intervals_us.iter().map(|d| d.abs()));
        }
        let p50 = pct(&mut dev, 0.5);
        let p99 = pct(&mut dev, 0.99);
        (got, expected, p50, p99)
    }

    fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads {
            let _ = t.join();
        }
    }
}

/// A trivial reflector: one thread, one socket per leg, echoes every datagram to its sender.
fn reflector(n: usize, stop: Arc<AtomicBool>) -> (Vec<SocketAddr>, std::thread::JoinHandle<()>) {
    let socks: Vec<StdUdp> = (0..n)
        .map(|_| StdUdp::bind("127.0.0.1:0").unwrap())
        .collect();
    let addrs = socks.iter().map(|s| s.local_addr().unwrap()).collect();
    let t = std::thread::spawn(move || {
        let mut poll = Poll::new().unwrap();
        let mut socks: Vec<UdpSocket> = socks
            .into_iter()
            .map(|s| {
                s.set_nonblocking(true).unwrap();
                UdpSocket::from_std(s)
            })
            .collect();
        for (i, s) in socks.iter_mut().enumerate() {
            poll.registry()
                .register(s, Token(i), Interest::READABLE)
                .unwrap();
        }
        let mut events = Events::with_capacity(1024);
        let mut buf = [0u8; 2048];
        while !stop.load(Ordering::Relaxed) {
            let _ = poll.poll(&mut events, Some(Duration::from_millis(50)));
            for ev in events.iter() {
                let s = &socks[ev.token().0];
                while let Ok((n, from)) = s.recv_from(&mut buf) {
                    let _ = s.send_to(&buf[..n], from);
                }
            }
        }
    });
    (addrs, t)
}

// ---------------------------------------------------------------- SIP + API -----------------

fn header<'a>(msg: &'a str, name: &str) -> Option<&'a str> {
    msg.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then_some(v.trim())
    })
}

struct Dialog {
    to: String,
    uri: String,
    call_id: String,
    tag: String,
}

/// Places `n` calls to meeting 1000 (one at a time, INVITE → 200 → ACK); returns each leg's
/// dialog and roomgate's RTP address from the answer.
fn place_calls(sip: &StdUdp, server: SocketAddr, rtp_ports: &[u16]) -> Vec<(Dialog, SocketAddr)> {
    let local = sip.local_addr().unwrap();
    sip.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let mut out = Vec::new();
    let mut buf = vec![0u8; 8192];
    for (i, port) in rtp_ports.iter().enumerate() {
        let call_id = format!("load{i}-{}@127.0.0.1", std::process::id());
        let tag = format!("t{i}");
        let sdp = format!(
            "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
             m=audio {port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n"
        );
        let invite = format!(
            "INVITE sip:1000@{server} SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bKl{i}\r\n\
             From: \"leg{i}\" <sip:leg{i}@{local}>;tag={tag}\r\nTo: <sip:1000@{server}>\r\n\
             Call-ID: {call_id}\r\nCSeq: 1 INVITE\r\nContact: <sip:leg{i}@{local}>\r\n\
             Max-Forwards: 70\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
            sdp.len()
        );
        let mut ok = None;
        'tries: for _ in 0..10 {
            sip.send_to(invite.as_bytes(), server).unwrap();
            while let Ok((n, _)) = sip.recv_from(&mut buf) {
                let m = String::from_utf8_lossy(&buf[..n]).into_owned();
                if m.starts_with("SIP/2.0 200")
                    && header(&m, "Call-ID") == Some(call_id.as_str())
                    && header(&m, "CSeq").is_some_and(|c| c.ends_with("INVITE"))
                {
                    ok = Some(m);
                    break 'tries;
                }
            }
        }
        let m = ok.unwrap_or_else(|| panic!("call {i}: no 200 OK"));
        let to = header(&m, "To").unwrap().to_owned();
        let uri = header(&m, "Contact")
            .and_then(|c| Some(c[c.find('<')? + 1..c.find('>')?].to_owned()))
            .unwrap_or_else(|| format!("sip:1000@{server}"));
        let body = &m[m.find("\r\n\r\n").unwrap() + 4..];
        let ip = body
            .lines()
            .find_map(|l| l.strip_prefix("c=IN IP4 "))
            .unwrap()
            .trim();
        let aport: u16 = body
            .lines()
            .find_map(|l| l.strip_prefix("m=audio "))
            .and_then(|l| l.split(' ').next())
            .unwrap()
            .parse()
            .unwrap();
        let d = Dialog {
            to,
            uri,
            call_id,
            tag,
        };
        let ack = request(&d, local, "ACK", 1, &format!("a{i}"));
        sip.send_to(ack.as_bytes(), server).unwrap();
        out.push((d, format!("{ip}:{aport}").parse().unwrap()));
    }
    out
}

fn request(d: &Dialog, local: SocketAddr, method: &str, cseq: u32, branch: &str) -> String {
    format!(
        "{method} {} SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bK{branch}\r\n\
         From: <sip:load@{local}>;tag={}\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: {cseq} {method}\r\n\
         Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
        d.uri, d.tag, d.to, d.call_id
    )
}

struct Api {
    rt: tokio::runtime::Runtime,
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    fn call(&self, method: &str, path: &str, body: Option<serde_json::Value>) -> serde_json::Value {
        self.rt.block_on(async {
            let url = format!("{}{path}", self.base);
            let r = match method {
                "GET" => self.http.get(&url),
                "PUT" => self.http.put(&url),
                _ => self.http.post(&url),
            }
            .bearer_auth(&self.token);
            let r = match body {
                Some(b) => r.json(&b),
                None => r,
            };
            let res = r.send().await.expect("roomgate answers HTTP");
            let st = res.status();
            let text = res.text().await.unwrap();
            assert!(st.is_success(), "{method} {path}: {st} {text}");
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
        })
    }
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

// ---------------------------------------------------------------- in-process floor ----------

/// The plane alone with the same legs and rooms: per-tick processing p50/p99 (µs), and the
/// mean `leg_memory_bytes`.
fn plane_floor(legs: usize, rooms: usize, ticks: usize) -> (f64, f64, f64) {
    let t0 = Instant::now();
    let mut plane = MediaPlane::new(7);
    for i in 0..legs {
        let leg = LegId(i as u64);
        plane
            .handle_command(
                t0,
                MediaCommand::AddLeg {
                    leg,
                    params: LegParams {
                        audio: AudioParams {
                            codec: AudioCodec::Pcmu,
                            payload_type: 0,
                            telephone_event_pt: None,
                            telephone_event_clock: None,
                            fmtp: None,
                            local_ssrc: 0x7000_0000 + i as u32,
                        },
                        video: None,
                        cname: format!("leg{i}@floor"),
                    },
                },
            )
            .unwrap();
        plane
            .handle_command(
                t0,
                MediaCommand::Attach {
                    leg,
                    room: RoomKey((i % rooms) as u64),
                },
            )
            .unwrap();
    }
    let payloads: Vec<Vec<u8>> = (0..rooms).map(|r| payload(tone(r))).collect();
    let mut times = Vec::with_capacity(ticks);
    let mut pkt = vec![0u8; 172];
    for k in 0..ticks + 50 {
        let now = t0 + TICK * k as u32;
        for i in 0..legs {
            pkt[0] = 0x80;
            pkt[1] = 0;
            pkt[2..4].copy_from_slice(&(k as u16).to_be_bytes());
            pkt[4..8].copy_from_slice(&((k * 160) as u32).to_be_bytes());
            pkt[8..12].copy_from_slice(&(i as u32 + 1).to_be_bytes());
            pkt[12..].copy_from_slice(&payloads[i % rooms]);
            let _ = plane.handle_rtp(now, LegId(i as u64), &pkt);
        }
        let start = Instant::now();
        plane.handle_tick(now);
        let mut sent = 0usize;
        loop {
            match plane.poll_output() {
                MediaOutput::Transmit(t) => sent += t.bytes.len(),
                MediaOutput::Event(_) => {}
                MediaOutput::Timeout(_) => break,
            }
        }
        std::hint::black_box(sent);
        if k >= 50 {
            times.push(start.elapsed().as_secs_f64() * 1e6);
        }
    }
    let mem: usize = (0..legs)
        .filter_map(|i| plane.leg_memory_bytes(LegId(i as u64)))
        .sum();
    let p50 = pct(&mut times, 0.5);
    let p99 = pct(&mut times, 0.99);
    (p50, p99, mem as f64 / legs as f64)
}

// ---------------------------------------------------------------- main ----------------------

fn main() {
    let a = args();
    let n = a.legs;
    println!(
        "media_load: {} legs, {} rooms, {} s windows, {} moves",
        n, a.rooms, a.secs, a.moves
    );

    // Baseline 1: the same generator against a trivial reflector.
    let stop = Arc::new(AtomicBool::new(false));
    let (refl, rt) = reflector(n, stop.clone());
    let socks: Vec<StdUdp> = (0..n)
        .map(|_| StdUdp::bind("127.0.0.1:0").unwrap())
        .collect();
    let tr = Traffic::start(socks, refl, (0..n).map(|i| i % a.rooms).collect());
    std::thread::sleep(Duration::from_secs(1));
    tr.reset();
    std::thread::sleep(Duration::from_secs(a.secs));
    let base_sent = *tr.sent.lock().unwrap();
    let (b_got, b_exp, b_j50, b_j99) = tr.window();
    tr.stop();
    stop.store(true, Ordering::Relaxed);
    let _ = rt.join();

    // Baseline 2: the plane's arithmetic floor.
    let (f50, f99, plane_mem) = plane_floor(n, a.rooms, 500);

    // roomgate: calls, rooms, traffic.
    let api = Api {
        rt: tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap(),
        http: reqwest::Client::new(),
        base: a.api.clone(),
        token: a.token.clone(),
    };
    let rss0 = rss_kib(a.pid);
    let socks: Vec<StdUdp> = (0..n)
        .map(|_| StdUdp::bind("127.0.0.1:0").unwrap())
        .collect();
    let ports: Vec<u16> = socks
        .iter()
        .map(|s| s.local_addr().unwrap().port())
        .collect();
    let sip = StdUdp::bind("127.0.0.1:0").unwrap();
    let t_calls = Instant::now();
    let calls = place_calls(&sip, a.sip, &ports);
    println!("calls: {n} up in {:.1} s", t_calls.elapsed().as_secs_f64());
    let parts = api.call("GET", "/meetings/1000/participants", None);
    let pid_of: HashMap<String, u64> = parts
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap_or_default().to_owned(),
                p["id"].as_u64().unwrap(),
            )
        })
        .collect();
    let pids: Vec<u64> = (0..n)
        .map(|i| {
            *pid_of
                .iter()
                .find(|(k, _)| k.as_str() == format!("leg{i}"))
                .unwrap_or_else(|| panic!("leg{i} is not a participant"))
                .1
        })
        .collect();
    api.call(
        "PUT",
        "/meetings/1000/breakouts",
        Some(serde_json::json!({"count": a.rooms, "assign": "manual",
                                "options": {"countdown_s": 0}})),
    );
    api.call(
        "POST",
        "/meetings/1000/breakouts/open",
        Some(serde_json::json!({})),
    );
    let b = api.call("GET", "/meetings/1000/breakouts", None);
    let room_ids: Vec<String> = b["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    let mut room_of: Vec<usize> = (0..n).map(|i| i % a.rooms).collect();
    for (i, pid) in pids.iter().enumerate() {
        api.call(
            "POST",
            &format!("/meetings/1000/participants/{pid}/move"),
            Some(serde_json::json!({"room": room_ids[room_of[i]]})),
        );
    }
    let dests: Vec<SocketAddr> = calls.iter().map(|c| c.1).collect();
    let tr = Traffic::start(socks, dests, room_of.clone());
    std::thread::sleep(Duration::from_secs(2));
    let rss1 = rss_kib(a.pid);
    tr.reset();
    std::thread::sleep(Duration::from_secs(a.secs));
    let sent = *tr.sent.lock().unwrap();
    let (got, exp, j50, j99) = tr.window();

    // Moves under the same load: legs in turn, each to the next room.
    let mut lat = Vec::new();
    let mut api_part = Vec::new();
    let mut rtt = Vec::new();
    let mut misses = 0;
    for m in 0..a.moves {
        let i = (m * 7919) % n;
        // The loop would otherwise phase-lock to roomgate's tick (each iteration starts just
        // after a packet arrives, i.e. just after a tick) and measure only the worst case:
        // start each move at a spread-out phase of the 20 ms tick instead.
        std::thread::sleep(Duration::from_micros(
            (m as u64).wrapping_mul(2_654_435_761) % 20_000,
        ));
        let (old, new) = (room_of[i], (room_of[i] + 1) % a.rooms);
        let t = Instant::now();
        api.call(
            "GET",
            &format!("/meetings/1000/participants/{}", pids[i]),
            None,
        );
        rtt.push(t.elapsed().as_secs_f64() * 1e3);
        *tr.probe.lock().unwrap() = Some(Probe {
            leg: i,
            new_f: tone(new),
            old_f: tone(old),
            hit: None,
        });
        let t0 = Instant::now();
        api.call(
            "POST",
            &format!("/meetings/1000/participants/{}/move", pids[i]),
            Some(serde_json::json!({"room": room_ids[new]})),
        );
        api_part.push(t0.elapsed().as_secs_f64() * 1e3);
        room_of[i] = new;
        tr.rooms.lock().unwrap()[i] = new;
        let give_up = t0 + Duration::from_millis(500);
        loop {
            if let Some(h) = tr.probe.lock().unwrap().as_ref().and_then(|p| p.hit) {
                lat.push((h - t0).as_secs_f64() * 1e3);
                break;
            }
            if Instant::now() > give_up {
                misses += 1;
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        *tr.probe.lock().unwrap() = None;
    }
    let rss2 = rss_kib(a.pid);
    tr.stop();
    // Hang up (best effort; roomgate also ends the calls at shutdown).
    let local = sip.local_addr().unwrap();
    for (i, (d, _)) in calls.iter().enumerate() {
        let _ = sip.send_to(
            request(d, local, "BYE", 2, &format!("b{i}")).as_bytes(),
            a.sip,
        );
    }

    let loss = 1.0 - got as f64 / exp.max(1) as f64;
    let b_loss = 1.0 - b_got as f64 / b_exp.max(1) as f64;
    println!("--- figures (roomgate | baseline | ratio) ---");
    println!(
        "packets: roomgate sent us {got} of {exp} in sequence (we sent {sent}); reflector echoed {b_got} of {b_exp} (we sent {base_sent})"
    );
    println!(
        "loss: {:.4}% | reflector {:.4}%",
        loss.max(0.0) * 100.0,
        b_loss.max(0.0) * 100.0
    );
    println!(
        "send-time jitter |inter-arrival - 20 ms|: p50 {:.0} us p99 {:.0} us | reflector p50 {:.0} us p99 {:.0} us | p99 ratio {}",
        j50, j99, b_j50, b_j99, ratio(j99, b_j99)
    );
    println!(
        "plane floor (in process, same legs/rooms): tick p50 {:.0} us p99 {:.0} us (compare with the shard's tick_p99_us below)",
        f50, f99
    );
    let mut l2 = lat.clone();
    let (m50, m99, mmax) = (pct(&mut l2, 0.5), pct(&mut lat, 0.99), pct(&mut lat, 1.0));
    let (r50, r99) = (pct(&mut rtt, 0.5), pct(&mut rtt, 0.99));
    let (a50, a99) = (pct(&mut api_part, 0.5), pct(&mut api_part, 0.99));
    println!("move API call itself (POST until its answer): p50 {a50:.1} ms p99 {a99:.1} ms");
    println!(
        "move latency ({} moves, {} missed): p50 {:.1} ms p99 {:.1} ms max {:.1} ms | API GET round trip p50 {:.1} ms p99 {:.1} ms | p99 ratio {}",
        lat.len(), misses, m50, m99, mmax, r50, r99, ratio(m99, r99)
    );
    // A plane that applied moves at the next tick would wait uniformly over [0, 20 ms) for it;
    // roomgate sends the moved leg's next packet with the move, so it should sit far below.
    // This reference is arithmetic (the uniform wait's percentiles), not measured: the measured
    // same-run baseline is the API round trip above.
    println!(
        "move latency vs the next-tick wait (arithmetic, not measured: p50 10.0 ms, p99 19.8 ms): p50 ratio {} p99 ratio {}",
        ratio(m50, 10.0),
        ratio(m99, 19.8)
    );
    let growth = rss1.saturating_sub(rss0) as f64 * 1024.0;
    println!(
        "memory: RSS {} KiB before calls, {} KiB with {n} legs, {} KiB after moves; growth per leg {:.1} KiB | plane leg_memory_bytes {:.1} KiB | ratio {}",
        rss0,
        rss1,
        rss2,
        growth / n as f64 / 1024.0,
        plane_mem / 1024.0,
        ratio(growth / n as f64, plane_mem)
    );
    // Later, the set-up's transient state (SIP transactions waiting out their timers, HTTP
    // buffers) is gone; what stays is what a held leg costs.
    let held = rss2.saturating_sub(rss0) as f64 / n as f64;
    println!(
        "memory once set-up state expired (after the moves): growth per leg {:.1} KiB | plane {:.1} KiB | ratio {}",
        held,
        plane_mem / 1024.0,
        ratio(held * 1024.0, plane_mem)
    );
    println!("floor_tick_p99_us={f99:.0}");
}
