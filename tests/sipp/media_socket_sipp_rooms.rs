//! Real sockets on loopback: four SIPp room systems play G.711 tones (pcaps, `play_pcap_audio`)
//! into meeting 1000, the host splits them into two breakout rooms over the HTTP API, and one
//! Rust listener leg per room (a UDP socket speaking just enough SIP, receiving RTP) must hear
//! exactly the tones of its own room (Goertzel) — before and after a move.
//!
//! Needs `sipp` (Debian: sip-tester) and raw sockets for `play_pcap_audio` (root or
//! CAP_NET_RAW); it says why and passes vacuously only when sipp is missing.

use crate::support;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use roomgate::media::codec::g711::ulaw_decode;
use serde_json::{json, Value};

const TOKEN: &str = "media-socket-test-token-0123";
/// Tones on 50 Hz bins so a 160-sample frame holds whole cycles.
const TONES: [(&str, f64); 4] = [
    ("toneA", 450.0),
    ("toneB", 750.0),
    ("toneC", 1150.0),
    ("toneD", 1550.0),
];
/// How long the SIPp calls stay up (the test ends them sooner).
const HOLD: Duration = Duration::from_secs(40);

/// Amplitude of the `freq` component of `x` (Goertzel), in sample units.
fn goertzel(x: &[i16], freq: f64) -> f64 {
    let w = 2.0 * std::f64::consts::PI * freq / 8000.0;
    let c = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for &v in x {
        let s = v as f64 + c * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    let power = s1 * s1 + s2 * s2 - c * s1 * s2;
    2.0 * power.max(0.0).sqrt() / x.len() as f64
}

/// A pcap (Ethernet/IPv4/UDP, 127.0.0.1) of `secs` seconds of a µ-law tone at `freq`, 20 ms
/// packets — what SIPp's `play_pcap_audio` replays towards the SDP's address.
fn write_tone_pcap(path: &Path, freq: f64, secs: u32, src_port: u16) {
    let mut out = Vec::new();
    // pcap global header: magic, v2.4, tz 0, sigfigs 0, snaplen, linktype 1 (Ethernet).
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&0i32.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&65535u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    let ssrc = 0x1000_0000 | freq as u32;
    for n in 0..secs * 50 {
        let mut rtp = vec![0x80, 0x00];
        rtp.extend_from_slice(&(n as u16).to_be_bytes());
        rtp.extend_from_slice(&(n * 160).to_be_bytes());
        rtp.extend_from_slice(&ssrc.to_be_bytes());
        for i in 0..160u32 {
            let t = (n * 160 + i) as f64 / 8000.0;
            let s = (6000.0 * (2.0 * std::f64::consts::PI * freq * t).sin()) as i16;
            rtp.push(roomgate::media::codec::g711::ulaw_encode(s));
        }
        let udp_len = 8 + rtp.len();
        let ip_len = 20 + udp_len;
        let mut frame = Vec::with_capacity(14 + ip_len);
        frame.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00]);
        let mut ip = vec![
            0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1,
        ];
        ip[2..4].copy_from_slice(&(ip_len as u16).to_be_bytes());
        let mut sum = 0u32;
        for c in ip.chunks(2) {
            sum += u16::from_be_bytes([c[0], c[1]]) as u32;
        }
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        ip[10..12].copy_from_slice(&(!(sum as u16)).to_be_bytes());
        frame.extend_from_slice(&ip);
        frame.extend_from_slice(&src_port.to_be_bytes());
        frame.extend_from_slice(&src_port.to_be_bytes());
        frame.extend_from_slice(&(udp_len as u16).to_be_bytes());
        frame.extend_from_slice(&0u16.to_be_bytes()); // SIPp recomputes the checksum
        frame.extend_from_slice(&rtp);
        let usec = n * 20_000;
        out.extend_from_slice(&(usec / 1_000_000).to_le_bytes());
        out.extend_from_slice(&(usec % 1_000_000).to_le_bytes());
        out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        out.extend_from_slice(&frame);
    }
    std::fs::write(path, out).expect("temp dir is writable");
}

/// A call leg we control: minimal SIP over UDP (INVITE/ACK/BYE) and an RTP receiver that keeps
/// every decoded sample with the frame count at which it arrived.
struct Listener {
    sip: UdpSocket,
    server: SocketAddr,
    call_id: String,
    from_tag: String,
    to_header: String,
    request_uri: String,
    cseq: u32,
    audio: Arc<Mutex<Vec<i16>>>,
}

fn header<'a>(msg: &'a str, name: &str) -> Option<&'a str> {
    msg.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then_some(v.trim())
    })
}

impl Listener {
    fn call(name: &str, server: SocketAddr) -> Listener {
        let sip = UdpSocket::bind("127.0.0.1:0").unwrap();
        sip.set_read_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        let rtp = UdpSocket::bind("127.0.0.1:0").unwrap();
        rtp.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let local = sip.local_addr().unwrap();
        let rtp_port = rtp.local_addr().unwrap().port();
        let call_id = format!("{name}-{}@127.0.0.1", std::process::id());
        let from_tag = format!("{name}tag");
        let sdp = format!(
            "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
             m=audio {rtp_port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n"
        );
        let invite = format!(
            "INVITE sip:1000@{server} SIP/2.0\r\n\
             Via: SIP/2.0/UDP {local};branch=z9hG4bK{name}inv\r\n\
             From: \"{name}\" <sip:{name}@{local}>;tag={from_tag}\r\n\
             To: <sip:1000@{server}>\r\n\
             Call-ID: {call_id}\r\nCSeq: 1 INVITE\r\n\
             Contact: <sip:{name}@{local}>\r\nMax-Forwards: 70\r\n\
             Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
            sdp.len()
        );
        let mut buf = vec![0u8; 4096];
        let mut answer = None;
        for _ in 0..20 {
            sip.send_to(invite.as_bytes(), server).unwrap();
            let deadline = Instant::now() + Duration::from_millis(500);
            while Instant::now() < deadline {
                let Ok((n, _)) = sip.recv_from(&mut buf) else {
                    break;
                };
                let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
                if msg.starts_with("SIP/2.0 200") && msg.contains("INVITE") {
                    answer = Some(msg);
                    break;
                }
                assert!(
                    msg.starts_with("SIP/2.0 1"),
                    "{name}: unexpected answer to INVITE:\n{msg}"
                );
            }
            if answer.is_some() {
                break;
            }
        }
        let ok = answer.unwrap_or_else(|| panic!("{name}: no 200 to the INVITE"));
        let to_header = header(&ok, "To").expect("200 has a To").to_owned();
        let request_uri = header(&ok, "Contact")
            .and_then(|c| Some(c[c.find('<')? + 1..c.find('>')?].to_owned()))
            .unwrap_or_else(|| format!("sip:1000@{server}"));
        let mut l = Listener {
            sip,
            server,
            call_id,
            from_tag,
            to_header,
            request_uri,
            cseq: 1,
            audio: Arc::new(Mutex::new(Vec::new())),
        };
        let ack = l.request("ACK", "ack");
        l.sip.send_to(ack.as_bytes(), server).unwrap();
        let audio = l.audio.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 2048];
            // Ends when the test process does; bounded by the test's own duration.
            loop {
                let Ok((n, _)) = rtp.recv_from(&mut buf) else {
                    if Arc::strong_count(&audio) == 1 {
                        return;
                    }
                    continue;
                };
                // RTP header (RFC 3550 §5.1) with no CSRCs or extension from roomgate; skip
                // anything that is not PCMU.
                if n < 12 || buf[1] & 0x7f != 0 {
                    continue;
                }
                let mut a = audio.lock().unwrap();
                a.extend(buf[12..n].iter().map(|&b| ulaw_decode(b)));
            }
        });
        l
    }

    fn request(&mut self, method: &str, branch: &str) -> String {
        let local = self.sip.local_addr().unwrap();
        if method != "ACK" {
            self.cseq += 1;
        }
        format!(
            "{method} {} SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bK{}{branch}\r\n\
             From: <sip:listener@{local}>;tag={}\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: {} {method}\r\n\
             Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
            self.request_uri, self.from_tag, self.from_tag, self.to_header, self.call_id, self.cseq
        )
    }

    fn samples(&self) -> usize {
        self.audio.lock().unwrap().len()
    }

    /// Waits until `frames` more 20 ms frames have arrived after sample `from`, then returns the
    /// levels of each test tone over them.
    fn levels_after(&self, from: usize, skip: usize, frames: usize) -> HashMap<&'static str, f64> {
        let end = from + (skip + frames) * 160;
        let give_up = Instant::now() + Duration::from_secs(10);
        while self.samples() < end {
            assert!(Instant::now() < give_up, "roomgate stopped sending audio");
            std::thread::sleep(Duration::from_millis(20));
        }
        let a = self.audio.lock().unwrap();
        let w = &a[from + skip * 160..end];
        TONES.iter().map(|&(n, f)| (n, goertzel(w, f))).collect()
    }

    fn hang_up(mut self) {
        let bye = self.request("BYE", "bye");
        let mut buf = [0u8; 2048];
        for _ in 0..4 {
            let _ = self.sip.send_to(bye.as_bytes(), self.server);
            if let Ok((n, _)) = self.sip.recv_from(&mut buf) {
                if buf[..n].starts_with(b"SIP/2.0 200") {
                    return;
                }
            }
        }
    }
}

struct Kill(Vec<Child>);
impl Drop for Kill {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn http(rt: &tokio::runtime::Runtime, method: &str, url: String, body: Option<Value>) -> Value {
    rt.block_on(async {
        let c = reqwest::Client::new();
        let req = match method {
            "GET" => c.get(&url),
            "PUT" => c.put(&url),
            _ => c.post(&url),
        }
        .bearer_auth(TOKEN);
        let req = match body {
            Some(b) => req.json(&b),
            None => req,
        };
        let res = req.send().await.expect("roomgate answers HTTP");
        let status = res.status();
        let text = res.text().await.unwrap();
        assert!(status.is_success(), "{method} {url}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    })
}

/// Asserts that `levels` has every tone of `hear` loud and every other tone absent.
fn assert_hears(who: &str, levels: &HashMap<&str, f64>, hear: &[&str]) {
    for &(name, _) in &TONES {
        let v = levels[name];
        if hear.contains(&name) {
            // Each tone is sent at amplitude 6000; the N-1 mix passes it through.
            assert!(v > 1500.0, "{who} should hear {name}: {levels:?}");
        } else {
            assert!(v < 150.0, "{who} must not hear {name}: {levels:?}");
        }
    }
}

#[test]
fn sipp_tones_split_into_two_breakout_rooms_and_follow_a_move() {
    // scripts/test.sh installs SIPp (Debian package sip-tester): a missing peer must fail.
    assert!(
        Command::new("sipp").arg("-v").output().is_ok(),
        "sipp is not installed (Debian package sip-tester; scripts/test.sh installs it)"
    );
    let dir = std::env::temp_dir().join(format!("roomgate-media-socket-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("gw.db");
    let sip_port = support::free_port();
    let server: SocketAddr = format!("127.0.0.1:{sip_port}").parse().unwrap();
    let mut procs = Kill(Vec::new());
    let mut gw = Command::new(env!("CARGO_BIN_EXE_roomgate"))
        .args(["serve", "--sip-listen", &format!("udp:{server}")])
        .args(["--http-listen", "127.0.0.1:0", "--db"])
        .arg(&db)
        .args(["--api-token", TOKEN])
        // A port range of our own so parallel tests do not collide.
        .args(["--rtp-ports", &{
            let (first, last) = support::rtp_range(sip_port);
            format!("{first}-{last}")
        }])
        .env_remove("ROOMGATE_API_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("roomgate starts");
    let mut lines = BufReader::new(gw.stdout.take().unwrap()).lines();
    procs.0.push(gw);
    let base = loop {
        let line = lines.next().expect("roomgate prints its address").unwrap();
        if let Some(rest) = line.strip_prefix("roomgate: HTTP API on ") {
            break rest.to_owned();
        }
    };
    let rt = tokio::runtime::Runtime::new().unwrap();

    // The SIPp room systems, one process per tone.
    let template = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rtp/tone_call.xml"),
    )
    .unwrap();
    for (i, &(name, freq)) in TONES.iter().enumerate() {
        let pcap: PathBuf = dir.join(format!("{name}.pcap"));
        write_tone_pcap(&pcap, freq, HOLD.as_secs() as u32, 41_000 + i as u16 * 2);
        let xml = dir.join(format!("{name}.xml"));
        std::fs::write(
            &xml,
            template
                .replace("@PCAP@", pcap.to_str().unwrap())
                .replace("@HOLD_MS@", &HOLD.as_millis().to_string()),
        )
        .unwrap();
        let child = Command::new("sipp")
            .arg(server.to_string())
            .arg("-sf")
            .arg(&xml)
            .args(["-s", "1000", "-m", "1", "-i", "127.0.0.1", "-p", "0"])
            .args([
                "-mi",
                "127.0.0.1",
                "-mp",
                &support::free_media_port().to_string(),
            ])
            .args(["-key", "user", name, "-timeout", "60s", "-nostdin"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("sipp starts");
        procs.0.push(child);
    }
    let room1 = Listener::call("listen1", server);
    let room2 = Listener::call("listen2", server);

    // Everyone in the main session: six participants.
    let url = |p: &str| format!("{base}/meetings/1000{p}");
    let give_up = Instant::now() + Duration::from_secs(15);
    let pids: HashMap<String, u64> = loop {
        let v = http(&rt, "GET", url("/participants"), None);
        let m: HashMap<String, u64> = v
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
        if m.len() >= 6 {
            break m;
        }
        assert!(Instant::now() < give_up, "not all calls joined: {v}");
        std::thread::sleep(Duration::from_millis(100));
    };
    let pid = |name: &str| {
        *pids
            .iter()
            .find(|(n, _)| n.contains(name))
            .unwrap_or_else(|| panic!("no participant named {name} in {pids:?}"))
            .1
    };

    // In the main session everybody hears every tone.
    let at = room1.samples();
    assert_hears(
        "listen1 in main",
        &room1.levels_after(at, 10, 25),
        &["toneA", "toneB", "toneC", "toneD"],
    );

    // Two breakout rooms, manual assignment: A, B and listen1 in one; C, D and listen2 in the other.
    http(
        &rt,
        "PUT",
        url("/breakouts"),
        Some(json!({"count": 2, "assign": "manual"})),
    );
    http(&rt, "POST", url("/breakouts/open"), Some(json!({})));
    let b = http(&rt, "GET", url("/breakouts"), None);
    let rooms: Vec<String> = b["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    let moves = [
        ("toneA", 0),
        ("toneB", 0),
        ("listen1", 0),
        ("toneC", 1),
        ("toneD", 1),
        ("listen2", 1),
    ];
    for (name, r) in moves {
        http(
            &rt,
            "POST",
            url(&format!("/participants/{}/move", pid(name))),
            Some(json!({"room": rooms[r]})),
        );
    }
    let (at1, at2) = (room1.samples(), room2.samples());
    assert_hears(
        "listen1 in room 1",
        &room1.levels_after(at1, 10, 25),
        &["toneA", "toneB"],
    );
    assert_hears(
        "listen2 in room 2",
        &room2.levels_after(at2, 10, 25),
        &["toneC", "toneD"],
    );

    // Move A to the other room: media follows, the SIP call is untouched.
    http(
        &rt,
        "POST",
        url(&format!("/participants/{}/move", pid("toneA"))),
        Some(json!({"room": rooms[1]})),
    );
    let (at1, at2) = (room1.samples(), room2.samples());
    assert_hears(
        "listen1 after the move",
        &room1.levels_after(at1, 10, 25),
        &["toneB"],
    );
    assert_hears(
        "listen2 after the move",
        &room2.levels_after(at2, 10, 25),
        &["toneA", "toneC", "toneD"],
    );

    room1.hang_up();
    room2.hang_up();
    drop(procs);
    let _ = std::fs::remove_dir_all(&dir);
}
