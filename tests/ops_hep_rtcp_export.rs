//! With `[hep] address` set, the RTCP reports a room system sends on a real call reach the
//! Homer collector as HEPv3 type 5 (RTCP, as Homer's JSON), correlated to the call by its
//! Call-ID (chunk 0x0011), from the room system's RTCP address to roomgate's. A UDP socket on
//! loopback plays the collector and decodes what arrives with `roomgate::ops::hep::decode`.

mod support;

use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use roomgate::ops::hep::decode;
use support::room::{MediaOptions, RoomSystem};
use support::{scratch_dir, Roomgate};

/// One decoded capture: (protocol type, source, destination, correlation id, payload).
struct Captured {
    proto: u8,
    src: SocketAddr,
    dst: SocketAddr,
    correlation: Option<String>,
    payload: Vec<u8>,
}

fn parse(buf: &[u8]) -> Captured {
    let chunks = decode(buf).expect("a well-formed HEP3 packet");
    let find = |ty: u16| chunks.iter().find(|(v, t, _)| *v == 0 && *t == ty);
    let get = |ty: u16| -> &[u8] {
        find(ty)
            .map(|(_, _, p)| *p)
            .unwrap_or_else(|| panic!("chunk {ty:#06x} present"))
    };
    assert_eq!(get(0x0001), [2], "IPv4 family");
    assert_eq!(get(0x0002), [17], "UDP");
    let ip = |b: &[u8]| IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3]));
    let port = |b: &[u8]| u16::from_be_bytes([b[0], b[1]]);
    Captured {
        proto: get(0x000b)[0],
        src: SocketAddr::new(ip(get(0x0003)), port(get(0x0007))),
        dst: SocketAddr::new(ip(get(0x0004)), port(get(0x0008))),
        correlation: find(0x0011).map(|(_, _, p)| String::from_utf8_lossy(p).into_owned()),
        payload: get(0x000f).to_vec(),
    }
}

#[test]
fn rtcp_reports_reach_the_collector_with_the_call_id() {
    let collector = UdpSocket::bind("127.0.0.1:0").unwrap();
    collector
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let dir = scratch_dir("ops-hep-rtcp");
    let cfg = dir.join("hep.toml");
    std::fs::write(
        &cfg,
        format!(
            "[hep]\naddress = \"{}\"\ncapture_id = 2002\n",
            collector.local_addr().unwrap()
        ),
    )
    .unwrap();
    let rg = Roomgate::start_in(dir, &["--config", cfg.to_str().unwrap()]);
    let gw: SocketAddr = ([127, 0, 0, 1], rg.sip_port).into();
    let rs = RoomSystem::call_with(gw, "1000", "Boardroom", 600.0, MediaOptions { rtcp: true });
    let (our_rtp, their_rtp) = rs.rtp_addrs();
    let our_rtcp = SocketAddr::new(our_rtp.ip(), our_rtp.port() + 1);
    let their_rtcp = SocketAddr::new(their_rtp.ip(), their_rtp.port() + 1);

    let mut buf = [0u8; 65536];
    let deadline = Instant::now() + Duration::from_secs(15);
    let report = loop {
        assert!(
            Instant::now() < deadline,
            "no RTCP capture ({} RTCP packets sent); log:\n{}",
            rs.rtcp_sent(),
            rg.log_text()
        );
        let Ok((n, _)) = collector.recv_from(&mut buf) else {
            continue;
        };
        let c = parse(&buf[..n]);
        if c.proto == 5 {
            break c;
        }
        assert_eq!(c.proto, 1, "only SIP and RTCP are captured");
    };
    assert_eq!(report.correlation.as_deref(), Some(rs.call_id()));
    assert_eq!(report.src, our_rtcp, "from the room system's RTCP port");
    assert_eq!(report.dst, their_rtcp, "to roomgate's RTCP port");
    let json: serde_json::Value =
        serde_json::from_slice(&report.payload).expect("Homer's RTCP JSON");
    // The room system sent a sender report (RFC 3550 §6.4.1) on roomgate's stream.
    assert_eq!(json["type"], 200, "{json}");
    assert_eq!(json["ssrc"], rs.ssrc(), "the reporter: {json}");
    assert!(
        json["sender_information"]["packets"].as_u64().unwrap() > 0,
        "{json}"
    );
    let block = &json["report_blocks"][0];
    assert_eq!(
        block["source_ssrc"].as_u64(),
        rs.heard_ssrc().map(u64::from),
        "on roomgate's stream: {json}"
    );
    assert!(block["highest_seq_no"].as_u64().is_some(), "{json}");
    assert_eq!(block["packets_lost"], 0, "loopback loses nothing: {json}");
    assert_eq!(block["fraction_lost"], 0, "{json}");
    rs.hangup();
}
