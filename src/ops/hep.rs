//! HEPv3 (EEP) encoding, so operators can correlate SIP and RTCP by Call-ID in Homer.
//!
//! A HEP3 packet is `"HEP3"`, a u16 total length, then chunks of
//! `{vendor u16, type u16, length u16 (including these 6 bytes), payload}`, all big-endian.
//! Chunk types are those of the HEP3 specification (vendor 0, "generic").

use std::net::{IpAddr, SocketAddr};

use crate::media::PeerReportRaw;

/// What the captured payload is (HEP3 chunk 0x000b).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum HepProto {
    Sip = 1,
    /// RTCP reports, as Homer expects them: a JSON summary.
    RtcpJson = 5,
}

/// Transport the captured message travelled over (chunk 0x0002, an IP protocol number).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum HepTransport {
    Udp = 17,
    Tcp = 6,
}

/// One captured message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HepPacket<'a> {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub transport: HepTransport,
    pub proto: HepProto,
    /// Capture time since the Unix epoch.
    pub ts_sec: u32,
    pub ts_usec: u32,
    pub capture_id: u32,
    pub auth_key: Option<&'a str>,
    /// The correlation id (chunk 0x0011): the Call-ID for RTCP, so Homer ties it to the call.
    pub correlation_id: Option<&'a str>,
    pub payload: &'a [u8],
}

const CHUNK_HEADER: usize = 6;

fn chunk(out: &mut Vec<u8>, ty: u16, payload: &[u8]) {
    out.extend_from_slice(&0u16.to_be_bytes());
    out.extend_from_slice(&ty.to_be_bytes());
    out.extend_from_slice(&((CHUNK_HEADER + payload.len()) as u16).to_be_bytes());
    out.extend_from_slice(payload);
}

/// Why a packet could not be encoded.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HepError {
    #[error("source and destination are of different IP families")]
    MixedFamilies,
    #[error("packet of {0} bytes exceeds HEP3's 65535-byte limit")]
    TooLarge(usize),
}

impl HepPacket<'_> {
    /// Encodes into `out` (appending), returning the number of bytes written.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<usize, HepError> {
        let start = out.len();
        out.extend_from_slice(b"HEP3\0\0");
        match (self.src.ip(), self.dst.ip()) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                chunk(out, 0x0001, &[2]);
                chunk(out, 0x0002, &[self.transport as u8]);
                chunk(out, 0x0003, &s.octets());
                chunk(out, 0x0004, &d.octets());
            }
            (IpAddr::V6(s), IpAddr::V6(d)) => {
                chunk(out, 0x0001, &[10]);
                chunk(out, 0x0002, &[self.transport as u8]);
                chunk(out, 0x0005, &s.octets());
                chunk(out, 0x0006, &d.octets());
            }
            _ => {
                out.truncate(start);
                return Err(HepError::MixedFamilies);
            }
        }
        chunk(out, 0x0007, &self.src.port().to_be_bytes());
        chunk(out, 0x0008, &self.dst.port().to_be_bytes());
        chunk(out, 0x0009, &self.ts_sec.to_be_bytes());
        chunk(out, 0x000a, &self.ts_usec.to_be_bytes());
        chunk(out, 0x000b, &[self.proto as u8]);
        chunk(out, 0x000c, &self.capture_id.to_be_bytes());
        if let Some(key) = self.auth_key {
            chunk(out, 0x000e, key.as_bytes());
        }
        if let Some(cid) = self.correlation_id {
            chunk(out, 0x0011, cid.as_bytes());
        }
        chunk(out, 0x000f, self.payload);
        let len = out.len() - start;
        if len > u16::MAX as usize {
            out.truncate(start);
            return Err(HepError::TooLarge(len));
        }
        out[start + 4..start + 6].copy_from_slice(&(len as u16).to_be_bytes());
        Ok(len)
    }
}

/// An RTCP report as the JSON Homer stores for HEP type 5, in the shape its capture agents
/// (captagent, heplify) send: `type` 200 (SR, with `sender_information`) or 201 (RR), the
/// reporter's `ssrc`, and its report block with the fields as sent (RFC 3550 §6.4.1:
/// `ia_jitter` in RTP timestamp units, `lsr`/`dlsr` in NTP short format).
pub fn rtcp_json(r: &PeerReportRaw) -> String {
    let mut v = serde_json::json!({
        "type": if r.sender.is_some() { 200 } else { 201 },
        "ssrc": r.reporter_ssrc,
        "report_count": 1,
        "report_blocks": [{
            "source_ssrc": r.source_ssrc,
            "highest_seq_no": r.extended_highest_seq,
            "fraction_lost": r.fraction_lost,
            "ia_jitter": r.jitter,
            "packets_lost": r.cumulative_lost,
            "lsr": r.last_sr,
            "dlsr": r.delay_since_last_sr,
        }],
    });
    if let Some(s) = r.sender {
        let frac = s.ntp & 0xffff_ffff;
        v["sender_information"] = serde_json::json!({
            "ntp_timestamp_sec": s.ntp >> 32,
            "ntp_timestamp_usec": (frac * 1_000_000) >> 32,
            "rtp_timestamp": s.rtp_ts,
            "packets": s.packet_count,
            "octets": s.octet_count,
        });
    }
    v.to_string()
}

/// A decoded chunk (vendor, type, payload): for tests and for a collector-side check.
pub type Chunk<'a> = (u16, u16, &'a [u8]);

/// Decodes a HEP3 packet into its chunks, checking every length.
pub fn decode(buf: &[u8]) -> Option<Vec<Chunk<'_>>> {
    if buf.len() < 6 || &buf[..4] != b"HEP3" {
        return None;
    }
    let total = u16::from_be_bytes([buf[4], buf[5]]) as usize;
    if total != buf.len() {
        return None;
    }
    let mut chunks = Vec::new();
    let mut rest = &buf[6..];
    while !rest.is_empty() {
        if rest.len() < CHUNK_HEADER {
            return None;
        }
        let vendor = u16::from_be_bytes([rest[0], rest[1]]);
        let ty = u16::from_be_bytes([rest[2], rest[3]]);
        let len = u16::from_be_bytes([rest[4], rest[5]]) as usize;
        if len < CHUNK_HEADER || len > rest.len() {
            return None;
        }
        chunks.push((vendor, ty, &rest[CHUNK_HEADER..len]));
        rest = &rest[len..];
    }
    Some(chunks)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet<'a>(src: &str, dst: &str, payload: &'a [u8]) -> HepPacket<'a> {
        HepPacket {
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
            transport: HepTransport::Udp,
            proto: HepProto::Sip,
            ts_sec: 1_700_000_000,
            ts_usec: 123_456,
            capture_id: 2001,
            auth_key: Some("secret"),
            correlation_id: None,
            payload,
        }
    }

    #[test]
    fn ipv4_packet_decodes_to_its_chunks() {
        let sip = b"OPTIONS sip:a@127.0.0.1 SIP/2.0\r\n\r\n";
        let mut out = Vec::new();
        let n = packet("127.0.0.1:5060", "127.0.0.2:5070", sip)
            .encode(&mut out)
            .unwrap();
        assert_eq!(n, out.len());
        let chunks = decode(&out).expect("well-formed");
        let get = |t: u16| chunks.iter().find(|c| c.1 == t).map(|c| c.2).unwrap();
        assert_eq!(get(0x0001), [2]);
        assert_eq!(get(0x0002), [17]);
        assert_eq!(get(0x0003), [127, 0, 0, 1]);
        assert_eq!(get(0x0004), [127, 0, 0, 2]);
        assert_eq!(get(0x0007), 5060u16.to_be_bytes());
        assert_eq!(get(0x0008), 5070u16.to_be_bytes());
        assert_eq!(get(0x000b), [1]);
        assert_eq!(get(0x000c), 2001u32.to_be_bytes());
        assert_eq!(get(0x000e), b"secret");
        assert_eq!(get(0x000f), sip);
    }

    #[test]
    fn ipv6_and_correlation_id() {
        let mut p = packet("[::1]:5060", "[::1]:5070", b"{}");
        p.proto = HepProto::RtcpJson;
        p.correlation_id = Some("abc@host");
        let mut out = Vec::new();
        p.encode(&mut out).unwrap();
        let chunks = decode(&out).unwrap();
        assert!(chunks.iter().any(|c| c.1 == 0x0005 && c.2.len() == 16));
        assert!(chunks.iter().any(|c| c.1 == 0x0011 && c.2 == b"abc@host"));
    }

    #[test]
    fn rejects_mixed_families_and_oversize() {
        let mut out = vec![9];
        let err = packet("127.0.0.1:1", "[::1]:2", b"").encode(&mut out);
        assert_eq!(err, Err(HepError::MixedFamilies));
        assert_eq!(out, [9], "nothing half-written");
        let big = vec![0u8; 70_000];
        assert!(matches!(
            packet("127.0.0.1:1", "127.0.0.1:2", &big).encode(&mut out),
            Err(HepError::TooLarge(_))
        ));
        assert_eq!(out, [9]);
    }

    #[test]
    fn rtcp_reports_in_homers_json() {
        use crate::media::PeerSenderInfo;
        let rr = PeerReportRaw {
            count: 3,
            reporter_ssrc: 0xdead_beef,
            source_ssrc: 42,
            sender: None,
            fraction_lost: 64,
            cumulative_lost: -2,
            extended_highest_seq: 70_000,
            jitter: 160,
            last_sr: 0x1234_5678,
            delay_since_last_sr: 65_536,
        };
        let v: serde_json::Value = serde_json::from_str(&rtcp_json(&rr)).unwrap();
        assert_eq!(v["type"], 201);
        assert_eq!(v["ssrc"], 0xdead_beef_u32);
        assert!(v.get("sender_information").is_none());
        let b = &v["report_blocks"][0];
        assert_eq!(b["source_ssrc"], 42);
        assert_eq!(b["fraction_lost"], 64);
        assert_eq!(b["packets_lost"], -2);
        assert_eq!(b["highest_seq_no"], 70_000);
        assert_eq!(b["ia_jitter"], 160);
        assert_eq!(b["lsr"], 0x1234_5678);
        assert_eq!(b["dlsr"], 65_536);
        let sr = PeerReportRaw {
            sender: Some(PeerSenderInfo {
                // 3913056000 s after 1900 and a half.
                ntp: (3_913_056_000u64 << 32) | 0x8000_0000,
                rtp_ts: 8000,
                packet_count: 50,
                octet_count: 8000,
            }),
            ..rr
        };
        let v: serde_json::Value = serde_json::from_str(&rtcp_json(&sr)).unwrap();
        assert_eq!(v["type"], 200);
        let si = &v["sender_information"];
        assert_eq!(si["ntp_timestamp_sec"], 3_913_056_000u64);
        assert_eq!(si["ntp_timestamp_usec"], 500_000);
        assert_eq!(si["packets"], 50);
        assert_eq!(si["octets"], 8000);
        assert_eq!(si["rtp_timestamp"], 8000);
    }

    #[test]
    fn decode_rejects_truncation() {
        let mut out = Vec::new();
        packet("127.0.0.1:1", "127.0.0.1:2", b"x")
            .encode(&mut out)
            .unwrap();
        assert!(decode(&out[..out.len() - 1]).is_none());
        assert!(decode(b"HEP2\0\x06").is_none());
    }
}
