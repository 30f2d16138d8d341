//! The H.264 keyframe check on received video payloads (RFC 6184 §5.4) and the H.264 fmtp
//! parameters read from the peer's SDP (RFC 6184 §8.1).

use roomgate::media::video::{check_fmtp, starts_keyframe};
use roomgate::sdp::h264::ProfileLevelId;

/// IDR slice and SPS: the NAL unit types that start a decodable picture for the check.
fn key(nal_type: u8) -> bool {
    nal_type == 5 || nal_type == 7
}

/// The input as an RTP payload, then as the units of payloads we build from it, then as fmtp
/// text. What must hold: the F and NRI bits never matter; a single NAL unit is a keyframe
/// exactly when its type is; an FU-A (type 28) is one exactly when its start fragment carries
/// a keyframe type; a STAP-A (type 24) is one exactly when one of its units is.
pub fn h264_keyframe(data: &[u8]) {
    let k = starts_keyframe(data);
    if let Some((&first, rest)) = data.split_first() {
        let t = first & 0x1f;
        for nri in [0x00, 0x60, 0x80, 0xe0] {
            let mut other = vec![nri | t];
            other.extend_from_slice(rest);
            assert_eq!(starts_keyframe(&other), k, "F/NRI bits changed the verdict");
        }
        if t != 24 && t != 28 {
            assert_eq!(k, key(t), "single NAL unit of type {t}");
        }
        // The same NAL unit as the first fragment of an FU-A, then as a middle fragment.
        let fu = [0x7c, 0x80 | t];
        assert_eq!(starts_keyframe(&[&fu[..], rest].concat()), key(t));
        let middle = [0x7c, t];
        assert!(!starts_keyframe(&[&middle[..], rest].concat()));
    } else {
        assert!(!k, "an empty payload is no keyframe");
    }

    // A STAP-A of non-empty units cut from the input (each unit's length from its first byte).
    let mut stap = vec![0x78];
    let mut any_key = false;
    let mut rest = data;
    while let Some(&len) = rest.first() {
        let unit = &rest[1..rest.len().min(1 + usize::from(len % 32) + 1)];
        rest = &rest[1 + unit.len()..];
        if unit.is_empty() {
            break;
        }
        any_key |= key(unit[0] & 0x1f);
        stap.extend_from_slice(&(unit.len() as u16).to_be_bytes());
        stap.extend_from_slice(unit);
    }
    assert_eq!(starts_keyframe(&stap), any_key, "STAP-A {stap:02x?}");

    if let Ok(text) = std::str::from_utf8(data) {
        fmtp(text);
    }
}

/// profile-level-id prints back as it was read (lower-case hex) and capping keeps the profile
/// and never raises the level (RFC 6184 §8.2.2); the forwarding check never panics, and it
/// accepts only an fmtp that asks for packetization-mode 1.
fn fmtp(text: &str) {
    if let Some(p) = ProfileLevelId::parse(text) {
        assert_eq!(p.to_string(), text.to_ascii_lowercase());
        assert_eq!(ProfileLevelId::parse(&p.to_string()), Some(p));
        for level in [0x0a, 0x0b, 0x1f, 0x28, 0x33, p.level_idc] {
            let c = p.capped(level);
            assert_eq!(c.profile(), p.profile());
            assert!(c.level_rank() <= p.level_rank());
        }
    }
    if check_fmtp(text).is_ok() {
        assert!(text.to_ascii_lowercase().contains("packetization-mode"));
    }
}
