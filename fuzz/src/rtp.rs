//! One RTP datagram (RFC 3550 §5.1).

use roomgate::media::rtp::{rewrite_header, write_packet, RtpPacket};

/// Parse; if accepted, the view must describe the datagram exactly (header, CSRCs, extension,
/// payload, padding add up to its length), our writer must give back the same fields and
/// payload, and the forwarding rewrite must change only sequence number, timestamp and SSRC.
pub fn rtp(data: &[u8]) {
    let Ok(p) = RtpPacket::parse(data) else {
        return;
    };
    assert_eq!(data[0] >> 6, 2, "accepted a version other than 2");
    // RFC 3550 §5.1: 12 fixed bytes and 4 per CSRC at least, then the payload, then padding
    // whose count is the last byte.
    assert!(p.header_len >= 12 + 4 * usize::from(data[0] & 0x0f));
    let offset = p.payload.as_ptr() as usize - data.as_ptr() as usize;
    assert_eq!(
        offset, p.header_len,
        "payload does not start after the header"
    );
    let padding = if data[0] & 0x20 != 0 {
        usize::from(data[data.len() - 1])
    } else {
        0
    };
    assert_eq!(p.header_len + p.payload.len() + padding, data.len());
    assert_eq!(p.marker, data[1] & 0x80 != 0);
    assert_eq!(p.payload_type, data[1] & 0x7f);
    assert_eq!(p.seq, u16::from_be_bytes([data[2], data[3]]));
    assert_eq!(
        p.ssrc,
        u32::from_be_bytes([data[8], data[9], data[10], data[11]])
    );

    let mut out = Vec::new();
    write_packet(
        &mut out,
        p.marker,
        p.payload_type,
        p.seq,
        p.timestamp,
        p.ssrc,
        p.payload,
    );
    let q = RtpPacket::parse(&out).expect("a packet we write parses");
    assert_eq!(q.header_len, 12);
    assert_eq!(
        (
            q.marker,
            q.payload_type,
            q.seq,
            q.timestamp,
            q.ssrc,
            q.payload
        ),
        (
            p.marker,
            p.payload_type,
            p.seq,
            p.timestamp,
            p.ssrc,
            p.payload
        ),
        "write → parse changed the packet"
    );

    let mut forwarded = data.to_vec();
    let (seq, ts, ssrc) = (!p.seq, p.timestamp.rotate_left(7) ^ 1, !p.ssrc);
    rewrite_header(&mut forwarded, seq, ts, ssrc);
    let r = RtpPacket::parse(&forwarded).expect("a rewritten packet still parses");
    assert_eq!((r.seq, r.timestamp, r.ssrc), (seq, ts, ssrc));
    assert_eq!(
        (r.marker, r.payload_type, r.header_len, r.payload),
        (p.marker, p.payload_type, p.header_len, p.payload),
        "the forwarding rewrite touched more than seq, timestamp and SSRC"
    );
}
