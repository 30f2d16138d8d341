//! With `[hep] address` set, the RTCP reports of a real call reach the Homer collector both ways
//! as HEPv3 type 5 (RTCP, as Homer's JSON), correlated to the call by its Call-ID (chunk
//! 0x0011): the room system's sender reports on roomgate's stream, from its RTCP address to
//! roomgate's, and roomgate's on the room system's stream, the other way. A UDP socket on
//! loopback plays the collector and decodes what arrives with `roomgate::ops::hep::decode`.

use crate::support;

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
fn rtcp_reports_both_ways_reach_the_collector_with_the_call_id() {
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
    let rs = RoomSystem::call_with(
        gw,
        "1000",
        "Boardroom",
        600.0,
        MediaOptions {
            rtcp: true,
            ..MediaOptions::default()
        },
    );
    let (our_rtp, their_rtp) = rs.rtp_addrs();
    let ours = SocketAddr::new(our_rtp.ip(), our_rtp.port() + 1);
    let theirs = SocketAddr::new(their_rtp.ip(), their_rtp.port() + 1);

    let mut buf = [0u8; 65536];
    let deadline = Instant::now() + Duration::from_secs(15);
    let (mut from_room, mut from_gateway) = (None, None);
    while from_room.is_none() || from_gateway.is_none() {
        assert!(
            Instant::now() < deadline,
            "RTCP captures: room system's {}, roomgate's {} ({} RTCP packets sent); log:\n{}",
            from_room.is_some(),
            from_gateway.is_some(),
            rs.rtcp_sent(),
            rg.log_text()
        );
        let Ok((n, _)) = collector.recv_from(&mut buf) else {
            continue;
        };
        let c = parse(&buf[..n]);
        if c.proto == 1 {
            continue; // SIP
        }
        assert_eq!(c.proto, 5, "only SIP and RTCP are captured");
        assert_eq!(c.correlation.as_deref(), Some(rs.call_id()));
        let json: serde_json::Value =
            serde_json::from_slice(&c.payload).expect("Homer's RTCP JSON");
        match (c.src, c.dst) {
            (s, d) if s == ours && d == theirs => from_room = Some(json),
            (s, d) if s == theirs && d == ours => from_gateway = Some(json),
            other => panic!("RTCP between the call's RTCP addresses, not {other:?}: {json}"),
        }
    }
    let heard = rs.heard_ssrc().map(u64::from);
    // The room system's sender report (RFC 3550 §6.4.1) on roomgate's stream.
    let json = from_room.unwrap();
    assert_eq!(json["type"], 200, "{json}");
    assert_eq!(json["ssrc"], rs.ssrc(), "the reporter: {json}");
    assert!(
        json["sender_information"]["packets"].as_u64().unwrap() > 0,
        "{json}"
    );
    let block = &json["report_blocks"][0];
    assert_eq!(block["source_ssrc"].as_u64(), heard, "{json}");
    assert!(block["highest_seq_no"].as_u64().is_some(), "{json}");
    assert_eq!(block["packets_lost"], 0, "loopback loses nothing: {json}");
    assert_eq!(block["fraction_lost"], 0, "{json}");
    // Roomgate's report on the room system's stream: it sends audio too, so an SR.
    let json = from_gateway.unwrap();
    assert_eq!(json["type"], 200, "{json}");
    assert_eq!(json["ssrc"].as_u64(), heard, "roomgate's SSRC: {json}");
    let block = &json["report_blocks"][0];
    assert_eq!(block["source_ssrc"], rs.ssrc(), "{json}");
    assert_eq!(block["packets_lost"], 0, "{json}");
    rs.hangup();
}
