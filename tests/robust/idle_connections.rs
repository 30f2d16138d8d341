//! Many idle TCP connections: beyond `sip.max_connections` they are closed at accept, those
//! admitted are closed after `sip.idle_timeout_s`, and an established call is served
//! throughout (in-dialog OPTIONS answered 200). Memory stays bounded.

use crate::support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use support::ua::Call;
use support::{rss_kib, Roomgate};

const MAX: usize = 100;
const CONFIG: &str = "[sip]\nmax_connections = 100\nidle_timeout_s = 5\nmessage_timeout_s = 2\n";

fn is_closed(s: &mut TcpStream) -> bool {
    let mut b = [0u8; 16];
    match s.read(&mut b) {
        Ok(0) => true,
        Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
        Ok(_) => false,
    }
}

#[test]
fn idle_connections_are_capped_and_expire() {
    let mut rg = Roomgate::start_with_config(CONFIG, &[]);
    let mut call = Call::establish(rg.sip_udp(), "1000").expect("call established");
    let rss_before = rss_kib(rg.pid()).expect("rss");

    let mut conns: Vec<TcpStream> = (0..MAX + 150)
        .map(|_| TcpStream::connect(rg.sip_udp()).expect("the kernel accepts the connection"))
        .collect();
    for c in &conns {
        c.set_read_timeout(Some(Duration::from_millis(5))).unwrap();
    }
    assert_eq!(call.options().expect("OPTIONS answered"), 200);

    // Over the cap: closed at once by roomgate (bounded wait; well under the idle timeout).
    let mut closed = 0;
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        closed = conns.iter_mut().map(is_closed).filter(|x| *x).count();
        if closed >= 150 {
            break;
        }
    }
    assert!(
        (150..MAX + 150).contains(&closed),
        "{closed} of {} connections closed before the idle timeout (cap {MAX})",
        MAX + 150
    );
    assert_eq!(call.options().expect("OPTIONS answered"), 200);

    // The admitted ones expire when idle (bounded at 30 s; the idle timeout is 5 s).
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut open = conns.len();
    while Instant::now() < deadline {
        open = conns.iter_mut().map(is_closed).filter(|x| !*x).count();
        if open == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(open, 0, "idle connections were never closed");
    assert!(rg.alive(), "roomgate died:\n{}", rg.log_text());

    // Slots freed: a new connection is served.
    let mut ok = TcpStream::connect(rg.sip_udp()).expect("connect");
    let port = ok.local_addr().unwrap().port();
    write!(
        ok,
        "OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:{port};branch=z9hG4bK-idle\r\n\
         From: <sip:t@127.0.0.1>;tag=1\r\nTo: <sip:127.0.0.1>\r\nCall-ID: idle-ok@127.0.0.1\r\n\
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

    assert_eq!(call.options().expect("OPTIONS answered"), 200);
    let rss_after = rss_kib(rg.pid()).expect("rss");
    assert!(
        rss_after < rss_before + 32 * 1024,
        "RSS grew from {rss_before} KiB to {rss_after} KiB"
    );
    assert_eq!(call.bye().expect("BYE answered"), 200);
}
