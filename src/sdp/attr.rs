//! Typed views of the attributes roomgate reads. Each is decoded on demand from the raw
//! `a=` value and prints back to the same text (`Display`), so an answer can be built from
//! typed values. A malformed value decodes to `None`: the caller treats the attribute as absent.

use std::fmt;

/// Stream direction (RFC 8866 §6.7, RFC 3264 §5.1, §6.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

impl Direction {
    pub fn from_name(name: &str) -> Option<Direction> {
        match name {
            "sendrecv" => Some(Direction::SendRecv),
            "sendonly" => Some(Direction::SendOnly),
            "recvonly" => Some(Direction::RecvOnly),
            "inactive" => Some(Direction::Inactive),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    fn from_bits(send: bool, recv: bool) -> Direction {
        match (send, recv) {
            (true, true) => Direction::SendRecv,
            (true, false) => Direction::SendOnly,
            (false, true) => Direction::RecvOnly,
            (false, false) => Direction::Inactive,
        }
    }

    pub fn sends(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::SendOnly)
    }

    pub fn receives(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::RecvOnly)
    }

    /// The same stream seen from the other end: sendonly there is recvonly here.
    pub fn reversed(self) -> Direction {
        Direction::from_bits(self.receives(), self.sends())
    }

    /// What both allow: we send only if both permit sending, and so on.
    pub fn intersect(self, other: Direction) -> Direction {
        Direction::from_bits(
            self.sends() && other.sends(),
            self.receives() && other.receives(),
        )
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>]` (§6.6).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rtpmap {
    pub payload_type: String,
    pub encoding: String,
    pub clock_rate: u32,
    /// For audio, the number of channels.
    pub params: Option<String>,
}

impl Rtpmap {
    pub fn parse(value: &str) -> Option<Rtpmap> {
        let (pt, rest) = value.split_once(' ')?;
        let mut parts = rest.trim().split('/');
        let encoding = parts.next().filter(|s| !s.is_empty())?;
        let clock_rate = parts.next()?.parse().ok()?;
        let params = parts.next().map(str::to_owned);
        // RTP payload types are 7 bits (RFC 3550 §5.1).
        if parts.next().is_some() || !is_number(pt) || pt.parse::<u8>().ok()? > 127 {
            return None;
        }
        Some(Rtpmap {
            payload_type: pt.to_owned(),
            encoding: encoding.to_owned(),
            clock_rate,
            params,
        })
    }

    /// Channels for audio; 1 when absent (§6.6).
    pub fn channels(&self) -> Option<u16> {
        match &self.params {
            None => Some(1),
            Some(p) => p.parse().ok(),
        }
    }

    /// The static audio payload types of RFC 3551 §6 that room systems use without rtpmap.
    pub fn static_payload(pt: &str) -> Option<Rtpmap> {
        let (name, rate) = match pt {
            "0" => ("PCMU", 8000),
            "3" => ("GSM", 8000),
            "4" => ("G723", 8000),
            "8" => ("PCMA", 8000),
            "9" => ("G722", 8000),
            "13" => ("CN", 8000),
            "18" => ("G729", 8000),
            "34" => ("H263", 90000),
            _ => return None,
        };
        Some(Rtpmap {
            payload_type: pt.to_owned(),
            encoding: name.to_owned(),
            clock_rate: rate,
            params: None,
        })
    }
}

impl fmt::Display for Rtpmap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}/{}",
            self.payload_type, self.encoding, self.clock_rate
        )?;
        if let Some(p) = &self.params {
            write!(f, "/{p}")?;
        }
        Ok(())
    }
}

/// `a=fmtp:<format> <format specific parameters>` (§6.15).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fmtp {
    pub format: String,
    pub params: String,
}

impl Fmtp {
    pub fn parse(value: &str) -> Option<Fmtp> {
        let (format, params) = value.split_once(' ').unwrap_or((value, ""));
        if format.is_empty() {
            return None;
        }
        Some(Fmtp {
            format: format.to_owned(),
            params: params.trim().to_owned(),
        })
    }

    /// `key=value` pairs separated by `;` (the common convention, e.g. RFC 6184 §8.1); a bare
    /// token (telephone-event's `0-16`) comes back with an empty key.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.params
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (k.trim(), v.trim()),
                None => ("", p),
            })
    }

    /// A parameter by name, case-insensitive (parameter names are case-insensitive in
    /// RFC 6184 and RFC 7587).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    }
}

impl fmt::Display for Fmtp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.format, self.params)
    }
}

/// `a=rtcp:<port> [<nettype> <addrtype> <address>]` (RFC 3605 §2.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rtcp {
    pub port: u16,
    /// The address when given: `IN IP4 10.0.0.1`.
    pub address: Option<String>,
}

impl Rtcp {
    pub fn parse(value: &str) -> Option<Rtcp> {
        let mut parts = value.split_whitespace();
        let port = parts.next()?.parse().ok()?;
        let address = match (parts.next(), parts.next(), parts.next()) {
            (None, _, _) => None,
            (Some(_), Some(_), Some(addr)) => Some(addr.to_owned()),
            _ => return None,
        };
        Some(Rtcp { port, address })
    }
}

/// `a=rtcp-fb:<pt or *> <type> [<parameter>]` (RFC 4585 §4.2), e.g. `96 nack pli`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RtcpFb {
    pub format: String,
    pub kind: String,
    pub param: Option<String>,
}

impl RtcpFb {
    pub fn parse(value: &str) -> Option<RtcpFb> {
        let mut parts = value.splitn(3, ' ');
        let format = parts.next().filter(|s| !s.is_empty())?;
        let kind = parts.next().filter(|s| !s.is_empty())?;
        let param = parts.next().map(|s| s.trim().to_owned());
        Some(RtcpFb {
            format: format.to_owned(),
            kind: kind.to_owned(),
            param,
        })
    }
}

impl fmt::Display for RtcpFb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.format, self.kind)?;
        if let Some(p) = &self.param {
            write!(f, " {p}")?;
        }
        Ok(())
    }
}

/// `a=crypto:<tag> <crypto-suite> <key-params> [<session-params>]` (RFC 4568 §9.1); parsed
/// only, kept for when SDES-SRTP lands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Crypto {
    pub tag: u32,
    pub suite: String,
    /// `inline:<key||salt>[|lifetime][|MKI:length]`, possibly several separated by `;`.
    pub key_params: String,
    pub session_params: Vec<String>,
}

impl Crypto {
    pub fn parse(value: &str) -> Option<Crypto> {
        let mut parts = value.split_whitespace();
        let tag = parts.next()?.parse().ok()?;
        let suite = parts.next()?.to_owned();
        let key_params = parts.next()?.to_owned();
        if !key_params.starts_with("inline:") {
            return None;
        }
        Some(Crypto {
            tag,
            suite,
            key_params,
            session_params: parts.map(str::to_owned).collect(),
        })
    }
}

/// `a=group:<semantics> <mid>…` (RFC 5888 §5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    pub semantics: String,
    pub mids: Vec<String>,
}

impl Group {
    pub fn parse(value: &str) -> Option<Group> {
        let mut parts = value.split_whitespace();
        let semantics = parts.next()?.to_owned();
        Some(Group {
            semantics,
            mids: parts.map(str::to_owned).collect(),
        })
    }
}

/// Milliseconds of `a=ptime`/`a=maxptime`; the grammar allows a fraction (`20.0`, §6.4).
pub fn parse_ms(value: &str) -> Option<u32> {
    let int = value.trim().split('.').next()?;
    int.parse().ok()
}

fn is_number(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtpmap_round_trips() {
        for v in ["96 opus/48000/2", "0 PCMU/8000", "101 telephone-event/8000"] {
            assert_eq!(Rtpmap::parse(v).unwrap().to_string(), v);
        }
        let r = Rtpmap::parse("96 opus/48000/2").unwrap();
        assert_eq!((r.clock_rate, r.channels()), (48000, Some(2)));
        assert!(Rtpmap::parse("x opus/48000").is_none());
        assert!(Rtpmap::parse("96 opus").is_none());
        assert!(Rtpmap::parse("96 opus/48000/2/1").is_none());
        assert!(Rtpmap::parse("128 opus/48000/2").is_none());
        assert!(Rtpmap::parse("300 opus/48000/2").is_none());
    }

    #[test]
    fn fmtp_pairs_are_case_insensitive() {
        let f = Fmtp::parse("97 Profile-Level-Id=42e01f; packetization-mode=1").unwrap();
        assert_eq!(f.get("profile-level-id"), Some("42e01f"));
        assert_eq!(f.get("packetization-mode"), Some("1"));
        assert_eq!(Fmtp::parse("101 0-16").unwrap().get(""), Some("0-16"));
    }

    #[test]
    fn direction_algebra() {
        assert_eq!(Direction::SendOnly.reversed(), Direction::RecvOnly);
        assert_eq!(Direction::Inactive.reversed(), Direction::Inactive);
        assert_eq!(
            Direction::RecvOnly.intersect(Direction::SendOnly),
            Direction::Inactive
        );
        assert_eq!(
            Direction::SendRecv.intersect(Direction::SendOnly),
            Direction::SendOnly
        );
    }

    #[test]
    fn rtcp_crypto_group_rtcpfb() {
        assert_eq!(
            Rtcp::parse("53020 IN IP4 126.16.64.4").unwrap(),
            Rtcp {
                port: 53020,
                address: Some("126.16.64.4".into())
            }
        );
        assert!(Rtcp::parse("53020 IN").is_none());
        let c = Crypto::parse(
            "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32 KDR=1",
        )
        .unwrap();
        assert_eq!(c.tag, 1);
        assert_eq!(c.session_params, vec!["KDR=1"]);
        assert_eq!(
            Group::parse("BUNDLE a v").unwrap().mids,
            vec!["a".to_string(), "v".to_string()]
        );
        assert_eq!(
            RtcpFb::parse("96 nack pli").unwrap().to_string(),
            "96 nack pli"
        );
        assert_eq!(parse_ms("20.0"), Some(20));
    }
}
