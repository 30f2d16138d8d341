//! One compound RTCP datagram (RFC 3550 §6.1) with the feedback messages we read (RFC 4585,
//! RFC 5104, REMB).

use roomgate::media::rtcp::RtcpPacket;

/// Parse; if accepted, write what we understood and parse that again: the same packets must
/// come back (`Other` is never written; text items longer than the 255 bytes an item holds
/// come back cut at a character boundary), every packet's length field must cover exactly what
/// it wrote, and writing must be stable.
pub fn rtcp(data: &[u8]) {
    let Ok(packets) = RtcpPacket::parse_compound(data) else {
        return;
    };
    let written = RtcpPacket::write_compound(&packets);
    let again = RtcpPacket::parse_compound(&written)
        .unwrap_or_else(|e| panic!("what we write does not parse: {e}\n{written:02x?}"));
    let known: Vec<&RtcpPacket> = packets
        .iter()
        .filter(|p| !matches!(p, RtcpPacket::Other { .. }))
        .collect();
    assert_eq!(again.len(), known.len(), "{packets:?}\n{again:?}");
    for (p, a) in known.iter().zip(&again) {
        assert_same(p, a);
        let mut one = Vec::new();
        p.write(&mut one);
        assert!(
            one.len() >= 4 && one.len() % 4 == 0,
            "RTCP packets are 32-bit aligned"
        );
        let words = usize::from(u16::from_be_bytes([one[2], one[3]]));
        assert_eq!((words + 1) * 4, one.len(), "length field of {p:?}");
    }
    assert_eq!(
        RtcpPacket::write_compound(&again),
        written,
        "writing is not stable"
    );
}

/// `again` is `p` written and parsed back.
fn assert_same(p: &RtcpPacket, again: &RtcpPacket) {
    match (p, again) {
        (RtcpPacket::Sdes(a), RtcpPacket::Sdes(b)) => {
            assert_eq!(a.ssrc, b.ssrc);
            same_text(&a.cname, &b.cname);
        }
        (RtcpPacket::Bye(a), RtcpPacket::Bye(b)) => {
            assert_eq!(a.ssrcs, b.ssrcs);
            match (&a.reason, &b.reason) {
                (Some(x), Some(y)) => same_text(x, y),
                (x, y) => assert_eq!(x, y),
            }
        }
        (RtcpPacket::Nack(a), RtcpPacket::Nack(b)) => {
            // The lost list is a set: the writer regroups it into PID + bitmask pairs (RFC 4585
            // §6.2.1), which may change its order, never its members.
            assert_eq!((a.sender_ssrc, a.media_ssrc), (b.sender_ssrc, b.media_ssrc));
            let set = |l: &[u16]| {
                let mut v = l.to_vec();
                v.sort_unstable();
                v.dedup();
                v
            };
            assert_eq!(set(&a.lost), set(&b.lost), "NACK lost set changed");
        }
        _ => assert_eq!(p, again, "write → parse changed the packet"),
    }
}

/// A text item (RFC 3550 §6.5: UTF-8, at most 255 bytes) comes back whole when it fits, else
/// as its longest prefix that fits and ends on a character boundary.
fn same_text(sent: &str, back: &str) {
    if sent.len() <= 255 {
        assert_eq!(sent, back);
    } else {
        assert!(
            sent.starts_with(back),
            "{back:?} is not a prefix of {sent:?}"
        );
        assert!(
            back.len() <= 255 && back.len() > 251,
            "cut at {} bytes",
            back.len()
        );
    }
}
