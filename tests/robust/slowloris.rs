//! Slowloris: TCP connections that send a SIP message one byte at a time, never finishing it,
//! are closed once `sip.message_timeout_s` has passed since the message began; meanwhile an
//! established call is still served (in-dialog OPTIONS and re-INVITE answered 200).

use crate::support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use support::ua::Call;
use support::Roomgate;

const CONFIG: &str = "[sip]\nmessage_timeout_s = 2\nidle_timeout_s = 60\nmax_connections = 64\n";

#[test]
fn slow_senders_are_cut_off_and_calls_go_on() {
    let mut rg = Roomgate::start_with_config(CONFIG, &[]);
    let mut call = Call::establish(rg.sip_udp(), "1000").expect("call established");

    let head = b"INVITE sip:1000@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK-slow\r\nX-Slow: ";
    let mut slow: Vec<TcpStream> = (0..16)
        .map(|_| {
            let s = TcpStream::connect(rg.sip_udp()).expect("connect");
            s.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
            s
        })
        .collect();
    let mut closed = vec![false; slow.len()];
    // Dribble one byte per connection every 100 ms; bounded at 40 s (message_timeout is 2 s).
    let start = Instant::now();
    let mut i = 0usize;
    while closed.iter().any(|c| !c) && start.elapsed() < Duration::from_secs(40) {
        for (k, s) in slow.iter_mut().enumerate() {
            if closed[k] {
                continue;
            }
            let byte = head.get(i).copied().unwrap_or(b'x');
            let mut b = [0u8; 64];
            let gone = s.write_all(&[byte]).is_err() || matches!(s.read(&mut b), Ok(0));
            closed[k] = gone;
        }
        i += 1;
        if i % 10 == 0 {
            assert_eq!(call.options().expect("OPTIONS answered"), 200);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        closed.iter().all(|c| *c),
        "slowloris connections still open after 40 s ({} of {})",
        closed.iter().filter(|c| !**c).count(),
        closed.len()
    );
    assert!(rg.alive(), "roomgate died:\n{}", rg.log_text());
    assert_eq!(call.reinvite().expect("re-INVITE answered"), 200);

    // TCP SIP still works for a well-behaved client afterwards.
    let mut ok = TcpStream::connect(rg.sip_udp()).expect("connect");
    let port = ok.local_addr().unwrap().port();
    write!(
        ok,
        "OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:{port};branch=z9hG4bK-ok\r\n\
         From: <sip:t@127.0.0.1>;tag=1\r\nTo: <sip:127.0.0.1>\r\nCall-ID: slow-ok@127.0.0.1\r\n\
         CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    )
    .unwrap();
    ok.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut buf = [0u8; 4096];
    let n = ok.read(&mut buf).expect("response over TCP");
    assert!(
        buf[..n].starts_with(b"SIP/2.0 200"),
        "{}",
        String::from_utf8_lossy(&buf[..n])
    );
    assert_eq!(call.bye().expect("BYE answered"), 200);
}
