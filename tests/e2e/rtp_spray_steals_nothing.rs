//! Nobody steals a call's media (plain RTP): two room systems talk in meeting 1000 while a
//! stranger's socket sprays RTP (valid headers, a random SSRC per port, in sequence, its own
//! tone) at every even port of roomgate's RTP range for five seconds. The stranger must receive
//! nothing, both room systems must keep hearing exactly each other throughout and after, and
//! the dropped packets must be counted (per leg, in Prometheus) and logged.

use crate::support;

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::sleep;
use std::time::{Duration, Instant};
use support::room::RoomSystem;
use support::{wait_until, Roomgate};

const A_TONE: f64 = 500.0;
const B_TONE: f64 = 800.0;
/// What the stranger sends: if it ever reached a mix, a room system would hear it.
const STRANGER_TONE: f64 = 1700.0;
const TONES: [f64; 3] = [A_TONE, B_TONE, STRANGER_TONE];
const SPRAY: Duration = Duration::from_secs(5);

/// Sprays every even port of `ports` with one 20 ms PCMU packet per port per round until `SPRAY`
/// has passed, then listens a little longer; returns how many datagrams came back.
fn spray(ports: (u16, u16), sprayer: UdpSocket, done: Arc<AtomicBool>) -> usize {
    sprayer.set_nonblocking(true).unwrap();
    let targets: Vec<(SocketAddr, u32, u16)> = (ports.0..=ports.1)
        .filter(|p| p % 2 == 0)
        .map(|p| {
            (
                SocketAddr::from(([127, 0, 0, 1], p)),
                rand::random(),
                rand::random(),
            )
        })
        .collect();
    let payload: Vec<u8> = (0..160)
        .map(|i| {
            let t = i as f64 / 8000.0;
            let s = (2.0 * std::f64::consts::PI * STRANGER_TONE * t).sin() * 12000.0;
            roomgate::media::codec::g711::ulaw_encode(s as i16)
        })
        .collect();
    let mut received = 0;
    let mut buf = [0u8; 2048];
    let start = Instant::now();
    let mut round: u32 = 0;
    while start.elapsed() < SPRAY {
        for (to, ssrc, seq0) in &targets {
            let mut pkt = vec![0x80, 0];
            pkt.extend_from_slice(&seq0.wrapping_add(round as u16).to_be_bytes());
            pkt.extend_from_slice(&(round * 160).to_be_bytes());
            pkt.extend_from_slice(&ssrc.to_be_bytes());
            pkt.extend_from_slice(&payload);
            let _ = sprayer.send_to(&pkt, to);
        }
        round += 1;
        while sprayer.recv_from(&mut buf).is_ok() {
            received += 1;
        }
        sleep(Duration::from_millis(20));
    }
    done.store(true, Ordering::Relaxed);
    // Whatever roomgate would have sent in answer is on its way within a tick or two.
    let until = Instant::now() + Duration::from_millis(500);
    while Instant::now() < until {
        while sprayer.recv_from(&mut buf).is_ok() {
            received += 1;
        }
        sleep(Duration::from_millis(20));
    }
    received
}

/// A full second of received audio holds `tone` and nothing else of ours.
fn hears_only(rs: &RoomSystem, tone: f64) -> bool {
    rs.recent(1000).len() == 8000 && rs.tones_heard(&TONES) == [tone]
}

#[test]
fn a_stranger_spraying_rtp_at_every_port_gets_nothing_and_silences_nobody() {
    let rg = Roomgate::start(&[]);
    let gw = rg.sip_udp();
    let a = RoomSystem::call(gw, "1000", "Boardroom", A_TONE);
    let b = RoomSystem::call(gw, "1000", "Huddle", B_TONE);
    assert!(
        wait_until(Duration::from_secs(20), || hears_only(&a, B_TONE)
            && hears_only(&b, A_TONE)),
        "the two room systems never heard each other: A {:?}, B {:?}",
        a.tones_heard(&TONES),
        b.tones_heard(&TONES)
    );

    let sprayer = UdpSocket::bind("127.0.0.1:0").unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let ports = rg.rtp_ports;
    let spraying = {
        let done = done.clone();
        std::thread::spawn(move || spray(ports, sprayer, done))
    };
    // The spray starts as soon as they hear each other, so usually inside the legs' learning
    // window (3 s from the answer), and outlasts it. Each second of it, both still hear exactly
    // the other (each check covers the last second they received).
    let mut checks = 0;
    while !done.load(Ordering::Relaxed) {
        sleep(Duration::from_millis(1000));
        if done.load(Ordering::Relaxed) {
            break;
        }
        checks += 1;
        assert_eq!(
            a.tones_heard(&TONES),
            [B_TONE],
            "Boardroom during the spray (second {checks})"
        );
        assert_eq!(
            b.tones_heard(&TONES),
            [A_TONE],
            "Huddle during the spray (second {checks})"
        );
    }
    let received = spraying.join().expect("sprayer thread");
    assert!(checks >= 3, "only {checks} checks during the spray");
    assert_eq!(received, 0, "the stranger received roomgate's media");

    // After it, too.
    sleep(Duration::from_millis(1000));
    assert_eq!(a.tones_heard(&TONES), [B_TONE], "Boardroom after the spray");
    assert_eq!(b.tones_heard(&TONES), [A_TONE], "Huddle after the spray");

    // Counted per leg (the operators' legs view), in Prometheus, and logged.
    let foreign = |rg: &Roomgate| -> Vec<u64> {
        let (status, body) = rg.api("GET", "/api/v1/legs", None);
        assert_eq!(status, 200, "{body}");
        let legs: serde_json::Value = serde_json::from_str(&body).expect("legs JSON");
        legs.as_array()
            .expect("a list of legs")
            .iter()
            .map(|l| l["stats"]["foreign_packets"].as_u64().unwrap_or(0))
            .collect()
    };
    assert!(
        wait_until(Duration::from_secs(5), || {
            let f = foreign(&rg);
            f.len() == 2 && f.iter().all(|&n| n > 0)
        }),
        "foreign packets per leg: {:?}",
        foreign(&rg)
    );
    let (_, metrics) = rg.api("GET", "/metrics", None);
    let total: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("roomgate_rtp_foreign_packets_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    assert!(total > 0, "roomgate_rtp_foreign_packets_total: {total}");
    let log = rg.log_text();
    let lines = log
        .lines()
        .filter(|l| l.contains("RTP from a foreign source dropped"))
        .count();
    // Rate-limited: one line per leg per ten seconds, and this spray lasted five.
    assert!(lines == 2, "{lines} log lines about foreign sources");

    a.hangup();
    b.hangup();
}
