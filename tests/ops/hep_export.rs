//! With `[hep] address` set, roomgate sends every SIP message of a call, both directions, to
//! the Homer collector as HEPv3: a UDP socket on loopback plays the collector and decodes
//! what arrives with `roomgate::ops::hep::decode`.

use crate::support;

use std::net::UdpSocket;
use std::time::{Duration, Instant};

use roomgate::ops::hep::decode;
use support::{assert_sipp_ok, scratch_dir, sipp, Roomgate};

struct Captured {
    proto: u8,
    src_port: u16,
    dst_port: u16,
    capture_id: u32,
    auth: Vec<u8>,
    payload: String,
}

fn parse(buf: &[u8]) -> Captured {
    let chunks = decode(buf).expect("a well-formed HEP3 packet");
    let get = |ty: u16| -> &[u8] {
        chunks
            .iter()
            .find(|(v, t, _)| *v == 0 && *t == ty)
            .map(|(_, _, p)| *p)
            .unwrap_or_else(|| panic!("chunk {ty:#06x} present"))
    };
    let u16_of = |b: &[u8]| u16::from_be_bytes([b[0], b[1]]);
    Captured {
        proto: get(0x000b)[0],
        src_port: u16_of(get(0x0007)),
        dst_port: u16_of(get(0x0008)),
        capture_id: u32::from_be_bytes(get(0x000c).try_into().unwrap()),
        auth: get(0x000e).to_vec(),
        payload: String::from_utf8_lossy(get(0x000f)).into_owned(),
    }
}

#[test]
fn sip_both_ways_reaches_the_collector() {
    let collector = UdpSocket::bind("127.0.0.1:0").unwrap();
    collector
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let dir = scratch_dir("ops-hep");
    let cfg = dir.join("hep.toml");
    std::fs::write(
        &cfg,
        format!(
            "[hep]\naddress = \"{}\"\ncapture_id = 2001\npassword = \"homer-secret\"\n",
            collector.local_addr().unwrap()
        ),
    )
    .unwrap();
    let rg = Roomgate::start_in(dir, &["--config", cfg.to_str().unwrap()]);
    let out = sipp(&rg, "basic_call.xml", "u1", &[]);
    assert_sipp_ok(&rg, &out, "call");

    let mut got = Vec::new();
    let mut buf = [0u8; 65536];
    let deadline = Instant::now() + Duration::from_secs(10);
    let done = |got: &[Captured]| {
        let has = |f: &dyn Fn(&Captured) -> bool| got.iter().any(f);
        has(&|c| c.payload.starts_with("INVITE ") && c.dst_port == rg.sip_port)
            && has(&|c| {
                c.payload.starts_with("SIP/2.0 200")
                    && c.payload.contains("INVITE")
                    && c.src_port == rg.sip_port
            })
            && has(&|c| c.payload.starts_with("BYE ") && c.dst_port == rg.sip_port)
            && has(&|c| c.payload.starts_with("SIP/2.0 200") && c.payload.contains(" BYE"))
    };
    while !done(&got) {
        assert!(
            Instant::now() < deadline,
            "captured so far: {:?}\nlog:\n{}",
            got.iter()
                .map(|c| c.payload.lines().next().unwrap_or(""))
                .collect::<Vec<_>>(),
            rg.log_text()
        );
        if let Ok((n, _)) = collector.recv_from(&mut buf) {
            got.push(parse(&buf[..n]));
        }
    }
    for c in &got {
        assert_eq!(c.proto, 1, "SIP");
        assert_eq!(c.capture_id, 2001);
        assert_eq!(c.auth, b"homer-secret");
    }
    // The ACK went in too: every request of the dialog is there for Homer's ladder.
    assert!(got.iter().any(|c| c.payload.starts_with("ACK ")));
}
