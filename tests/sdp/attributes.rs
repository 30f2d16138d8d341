//! Typed views over the raw attributes of real-looking room-system offers (RFC 8866 §6,
//! RFC 3605, RFC 4568, RFC 4585, RFC 4796, RFC 5888), and the m= protocols room systems use.

use roomgate::sdp::{Attribute, Attributes, BandwidthType, Direction, Proto, SessionDescription};

fn fixture(name: &str) -> SessionDescription {
    let path = format!(
        "{}/fixtures/sdp/{name}.offer.sdp",
        env!("CARGO_MANIFEST_DIR")
    );
    SessionDescription::parse(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn cisco_room_offer() {
    let sd = fixture("cisco_room");
    assert_eq!(sd.bandwidths[0].kind(), BandwidthType::As);
    let kinds: Vec<Proto> = sd.media.iter().map(|m| m.proto_kind()).collect();
    assert_eq!(
        kinds,
        [
            Proto::RtpAvp,
            Proto::RtpAvp,
            Proto::UdpBfcp,
            Proto::RtpAvp,
            Proto::Other
        ]
    );
    let audio = &sd.media[0];
    assert_eq!(audio.bandwidths[0].kind(), BandwidthType::Tias);
    assert_eq!(audio.rtpmap("108").unwrap().clock_rate, 90000);
    assert_eq!(audio.rtpmap_or_static("9").unwrap().encoding, "G722");
    let video = &sd.media[1];
    assert_eq!(video.content(), ["main"]);
    assert_eq!(video.label(), Some("11"));
    assert_eq!(
        video.fmtp("126").unwrap().get("profile-level-id"),
        Some("428016")
    );
    assert_eq!(video.rtcp_fb().count(), 3);
    assert!(video.rtcp_fb().all(|fb| fb.format == "*"));
    assert_eq!(sd.media[3].content(), ["slides"]);
    assert_eq!(sd.media[4].proto, "UDP/UDT/IX");
    assert_eq!(sd.media[4].formats, ["*"]);
    assert_eq!(video.direction(&sd), Direction::SendRecv);
}

#[test]
fn lifesize_media_level_connection_and_rtcp() {
    let sd = fixture("lifesize");
    assert!(sd.connection.is_none());
    assert_eq!(sd.bandwidths[0].kind(), BandwidthType::Ct);
    let audio = &sd.media[0];
    assert_eq!(audio.connection(&sd).unwrap().address, "127.0.0.14");
    let rtcp = audio.rtcp().unwrap();
    assert_eq!(
        (rtcp.port, rtcp.address.as_deref()),
        (60011, Some("127.0.0.24"))
    );
    assert_eq!(sd.media[2].proto_kind(), Proto::TcpBfcp);
    // Session-level direction applies to media without their own.
    assert_eq!(sd.direction_attribute(), Some(Direction::SendRecv));
    assert_eq!(sd.media[4].rtpmap("100").unwrap().encoding, "H224");
}

#[test]
fn crypto_mux_mid_group_ptime() {
    let sd = fixture("poly_srtp_best_effort");
    let c: Vec<_> = sd.media[0].crypto().collect();
    assert_eq!(c.len(), 2);
    assert_eq!(c[1].suite, "AES_CM_128_HMAC_SHA1_32");
    assert_eq!(sd.media[1].proto_kind(), Proto::RtpSavp);

    let baresip = fixture("baresip");
    assert!(baresip.media[0].rtcp_mux());
    assert_eq!(baresip.media[0].ptime(), Some(20));
    assert_eq!(baresip.attribute("tool"), Some(Some("baresip 1.0.0")));

    let web = fixture("softphone_te48k");
    assert_eq!(web.media[1].mid(), Some("1"));
    assert_eq!(web.media[0].proto_kind(), Proto::RtpAvpf);

    let mut grouped = web.clone();
    grouped
        .attributes
        .push(Attribute::value("group", "BUNDLE 0 1"));
    let g: Vec<_> = grouped.groups().collect();
    assert_eq!(g[0].semantics, "BUNDLE");
    assert_eq!(g[0].mids, ["0", "1"]);
    let printed = grouped.to_string();
    assert!(printed.contains("a=group:BUNDLE 0 1\r\n"));
    assert_eq!(
        SessionDescription::parse(printed.as_bytes()).unwrap(),
        grouped
    );
}

#[test]
fn every_listed_protocol_and_line_type() {
    let text = "v=0\r\no=- 1 1 IN IP4 127.0.0.5\r\ns=All lines\r\ni=info\r\n\
        u=http://127.0.0.5/\r\ne=ops@127.0.0.5\r\np=+1 555 0100\r\nc=IN IP4 127.0.0.5\r\n\
        b=CT:1000\r\nt=0 0\r\nr=604800 3600 0 90000\r\nz=2882844526 -1h\r\nk=prompt\r\n\
        a=recvonly\r\n\
        m=audio 1000 RTP/AVP 0\r\nm=audio 1002 RTP/AVPF 0\r\nm=audio 1004 RTP/SAVP 0\r\n\
        m=audio 1006 RTP/SAVPF 0\r\nm=application 1008 UDP/BFCP *\r\n\
        m=application 1010 TCP/BFCP *\r\nm=application 1012 TCP/TLS/BFCP *\r\n\
        m=video 1014/2 RTP/AVP 96\r\ni=two ports\r\nc=IN IP4 127.0.0.6\r\nc=IN IP4 127.0.0.7\r\n\
        b=AS:512\r\nb=TIAS:500000\r\nk=clear:secret\r\na=maxptime:40\r\n";
    let sd = SessionDescription::parse(text.as_bytes()).unwrap();
    assert_eq!(sd.to_string(), text);
    let protos: Vec<Proto> = sd.media.iter().map(|m| m.proto_kind()).collect();
    assert_eq!(
        protos,
        [
            Proto::RtpAvp,
            Proto::RtpAvpf,
            Proto::RtpSavp,
            Proto::RtpSavpf,
            Proto::UdpBfcp,
            Proto::TcpBfcp,
            Proto::TcpTlsBfcp,
            Proto::RtpAvp
        ]
    );
    let v = &sd.media[7];
    assert_eq!(v.port_count, Some(2));
    assert_eq!(v.connections.len(), 2);
    assert_eq!(v.maxptime(), Some(40));
    assert_eq!(v.direction(&sd), Direction::RecvOnly);
    assert_eq!(sd.times[0].repeats, ["604800 3600 0 90000"]);
}
