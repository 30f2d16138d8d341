//! SDP parser (RFC 8866 §5, §9 grammar). Line-oriented: each line is `<type>=<value>`; the
//! order of types is fixed (§5) and checked, so a misplaced or unknown line is reported with
//! its number instead of being silently misread.

use super::{
    Attribute, Bandwidth, Connection, MediaDescription, Origin, SessionDescription, Timing,
};
use std::net::{Ipv4Addr, Ipv6Addr};

/// A malformed session description: which line, and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("SDP line {line} (`{kind_letter}=`): {kind}")]
pub struct ParseError {
    /// 1-based line number (0 when the description ended too early).
    pub line: usize,
    /// The type letter of the offending line (`?` when there is none).
    pub kind_letter: char,
    pub kind: ParseErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseErrorKind {
    #[error("empty description")]
    Empty,
    #[error("not of the form <type>=<value>")]
    NotTypeValue,
    #[error("unknown type letter (RFC 8866 §5: the whole description must be ignored)")]
    UnknownType,
    #[error("out of order (RFC 8866 §5 fixes the order of lines)")]
    OutOfOrder,
    #[error("may appear only once here")]
    Duplicate,
    #[error("the description must start with v=0")]
    MissingVersion,
    #[error("unsupported protocol version (only v=0 exists)")]
    BadVersion,
    #[error("missing mandatory o= line")]
    MissingOrigin,
    #[error("missing mandatory s= line")]
    MissingSessionName,
    #[error("missing mandatory t= line")]
    MissingTiming,
    #[error("r= without a preceding t=")]
    RepeatWithoutTiming,
    #[error("value contains a NUL or CR character")]
    ControlCharacter,
    #[error("malformed {0}")]
    Malformed(&'static str),
}

fn err(line: usize, letter: char, kind: ParseErrorKind) -> ParseError {
    ParseError {
        line,
        kind_letter: letter,
        kind,
    }
}

/// Position of each type in the session part (RFC 8866 §5); `t` and `r` share a rank.
fn session_rank(letter: u8) -> Option<u8> {
    Some(match letter {
        b'v' => 0,
        b'o' => 1,
        b's' => 2,
        b'i' => 3,
        b'u' => 4,
        b'e' => 5,
        b'p' => 6,
        b'c' => 7,
        b'b' => 8,
        b't' | b'r' => 9,
        b'z' => 10,
        b'k' => 11,
        b'a' => 12,
        _ => return None,
    })
}

fn media_rank(letter: u8) -> Option<u8> {
    Some(match letter {
        b'm' => 0,
        b'i' => 1,
        b'c' => 2,
        b'b' => 3,
        b'k' => 4,
        b'a' => 5,
        _ => return None,
    })
}

/// Types that may repeat at their level.
fn repeatable(letter: u8, media_level: bool) -> bool {
    match letter {
        b'e' | b'p' | b't' | b'r' | b'b' | b'a' => true,
        b'c' => media_level, // several multicast addresses per media (§5.7)
        _ => false,
    }
}

pub(super) fn parse(input: &[u8]) -> Result<SessionDescription, ParseError> {
    // Text fields are UTF-8 by default (§5), but an ISO-8859-1 session name from an old room
    // system should not fail the call: decode lossily.
    let text = String::from_utf8_lossy(input);
    let mut lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    // A trailing line end (or a few, as some stacks add) leaves empty lines at the end.
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    if lines.is_empty() {
        return Err(err(0, '?', ParseErrorKind::Empty));
    }

    let mut b = Builder::default();
    for (i, line) in lines.iter().enumerate() {
        let n = i + 1;
        let bytes = line.as_bytes();
        if bytes.len() < 2 || bytes[1] != b'=' || !bytes[0].is_ascii_lowercase() {
            let letter = line.chars().next().unwrap_or('?');
            return Err(err(n, letter, ParseErrorKind::NotTypeValue));
        }
        let letter = bytes[0];
        let value = &line[2..];
        if value.contains(['\0', '\r']) {
            return Err(err(n, letter as char, ParseErrorKind::ControlCharacter));
        }
        b.line(n, letter, value)
            .map_err(|kind| err(n, letter as char, kind))?;
    }
    b.finish()
}

#[derive(Default)]
struct Builder {
    last_rank: Option<u8>,
    in_media: bool,
    version: bool,
    origin: Option<Origin>,
    session: Option<SessionDescription>,
    media: Option<MediaDescription>,
    last_line: usize,
}

impl Builder {
    fn sd(&mut self) -> &mut SessionDescription {
        self.session
            .as_mut()
            .expect("session exists once o= and s= have been read")
    }

    fn line(&mut self, n: usize, letter: u8, value: &str) -> Result<(), ParseErrorKind> {
        use ParseErrorKind::*;
        self.last_line = n;
        if n == 1 {
            if letter != b'v' {
                return Err(MissingVersion);
            }
            if value != "0" {
                return Err(BadVersion);
            }
            self.version = true;
            self.last_rank = Some(0);
            return Ok(());
        }
        // Order check (§5): a new m= opens a media section, anything else must not go back.
        if letter == b'm' {
            if self.session.is_none() {
                return Err(if self.origin.is_none() {
                    MissingOrigin
                } else {
                    MissingSessionName
                });
            }
            if self.sd().times.is_empty() {
                return Err(MissingTiming);
            }
            self.flush_media();
            self.in_media = true;
            self.last_rank = Some(0);
            self.media = Some(parse_media(value)?);
            return Ok(());
        }
        let rank = if self.in_media {
            media_rank(letter)
        } else {
            session_rank(letter)
        };
        let Some(rank) = rank else {
            return Err(
                if session_rank(letter).is_some() || media_rank(letter).is_some() {
                    OutOfOrder
                } else {
                    UnknownType
                },
            );
        };
        match self.last_rank {
            Some(last) if rank < last => return Err(OutOfOrder),
            Some(last) if rank == last && !repeatable(letter, self.in_media) => {
                return Err(Duplicate)
            }
            _ => {}
        }
        self.last_rank = Some(rank);

        if self.in_media {
            let m = self
                .media
                .as_mut()
                .expect("in_media is set together with media");
            match letter {
                b'i' => m.information = Some(value.to_owned()),
                b'c' => m.connections.push(parse_connection(value)?),
                b'b' => m.bandwidths.push(parse_bandwidth(value)?),
                b'k' => m.key = Some(value.to_owned()),
                b'a' => m.attributes.push(parse_attribute(value)?),
                _ => unreachable!("media_rank admits only these letters"),
            }
            return Ok(());
        }

        match letter {
            b'v' => return Err(Duplicate),
            b'o' => {
                self.origin = Some(parse_origin(value)?);
                return Ok(());
            }
            b's' => {
                if self.origin.is_none() {
                    return Err(MissingOrigin);
                }
                // §5.3 forbids an empty s=, but some stacks send one; it carries no meaning
                // for us, so accept it rather than fail the call.
                self.session = Some(SessionDescription {
                    origin: self.origin.take().expect("checked above"),
                    session_name: value.to_owned(),
                    information: None,
                    uri: None,
                    emails: Vec::new(),
                    phones: Vec::new(),
                    connection: None,
                    bandwidths: Vec::new(),
                    times: Vec::new(),
                    time_zones: None,
                    key: None,
                    attributes: Vec::new(),
                    media: Vec::new(),
                });
                return Ok(());
            }
            _ => {}
        }
        if self.session.is_none() {
            return Err(if self.origin.is_none() {
                MissingOrigin
            } else {
                MissingSessionName
            });
        }
        let sd = self.sd();
        if rank > 9 && sd.times.is_empty() {
            return Err(MissingTiming);
        }
        match letter {
            b'i' => sd.information = Some(value.to_owned()),
            b'u' => sd.uri = Some(value.to_owned()),
            b'e' => sd.emails.push(value.to_owned()),
            b'p' => sd.phones.push(value.to_owned()),
            b'c' => sd.connection = Some(parse_connection(value)?),
            b'b' => sd.bandwidths.push(parse_bandwidth(value)?),
            b't' => {
                let (start, stop) = value.split_once(' ').ok_or(Malformed("t= line"))?;
                sd.times.push(Timing {
                    start: number(start).ok_or(Malformed("t= start time"))?,
                    stop: number(stop).ok_or(Malformed("t= stop time"))?,
                    repeats: Vec::new(),
                });
            }
            b'r' => {
                let fields: Vec<&str> = value.split(' ').collect();
                if fields.len() < 3 || !fields.iter().all(|f| typed_time(f, false)) {
                    return Err(Malformed("r= line"));
                }
                sd.times
                    .last_mut()
                    .ok_or(RepeatWithoutTiming)?
                    .repeats
                    .push(value.to_owned());
            }
            b'z' => {
                let fields: Vec<&str> = value.split(' ').collect();
                let ok = fields.len() % 2 == 0
                    && fields
                        .chunks(2)
                        .all(|p| number(p[0]).is_some() && typed_time(p[1], true));
                if !ok {
                    return Err(Malformed("z= line"));
                }
                sd.time_zones = Some(value.to_owned());
            }
            b'k' => sd.key = Some(value.to_owned()),
            b'a' => sd.attributes.push(parse_attribute(value)?),
            _ => unreachable!("session_rank admits only these letters"),
        }
        Ok(())
    }

    fn flush_media(&mut self) {
        if let Some(m) = self.media.take() {
            self.sd().media.push(m);
        }
    }

    fn finish(mut self) -> Result<SessionDescription, ParseError> {
        let n = self.last_line;
        if !self.version {
            return Err(err(n, 'v', ParseErrorKind::MissingVersion));
        }
        if self.session.is_none() {
            let (letter, kind) = if self.origin.is_none() {
                ('o', ParseErrorKind::MissingOrigin)
            } else {
                ('s', ParseErrorKind::MissingSessionName)
            };
            return Err(err(n, letter, kind));
        }
        if self.sd().times.is_empty() {
            return Err(err(n, 't', ParseErrorKind::MissingTiming));
        }
        self.flush_media();
        Ok(self.session.expect("checked above"))
    }
}

fn number(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `typed-time = 1*DIGIT [fixed-len-time-unit]` (§9), optionally signed for z= offsets.
fn typed_time(s: &str, signed: bool) -> bool {
    let s = if signed {
        s.strip_prefix('-').unwrap_or(s)
    } else {
        s
    };
    let s = s.strip_suffix(['d', 'h', 'm', 's']).unwrap_or(s);
    number(s).is_some()
}

/// RFC 8866 §9 `token`.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'!' | b'#'
                        | b'$'
                        | b'%'
                        | b'&'
                        | b'\''
                        | b'*'
                        | b'+'
                        | b'-'
                        | b'.'
                        | b'^'
                        | b'_'
                        | b'`'
                        | b'{'
                        | b'|'
                        | b'}'
                        | b'~'
                )
        })
}

/// A printable, space-free field (`non-ws-string`, §9).
fn is_non_ws(s: &str) -> bool {
    !s.is_empty() && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn parse_origin(value: &str) -> Result<Origin, ParseErrorKind> {
    use ParseErrorKind::Malformed;
    let f: Vec<&str> = value.split(' ').collect();
    if f.len() != 6 {
        return Err(Malformed("o= line (six space-separated fields)"));
    }
    if !is_non_ws(f[0]) {
        return Err(Malformed("o= username"));
    }
    if !is_token(f[3]) || !is_token(f[4]) {
        return Err(Malformed("o= network or address type"));
    }
    if !is_non_ws(f[5]) {
        return Err(Malformed("o= address"));
    }
    Ok(Origin {
        username: f[0].to_owned(),
        session_id: number(f[1]).ok_or(Malformed("o= session id"))?,
        session_version: number(f[2]).ok_or(Malformed("o= session version"))?,
        nettype: f[3].to_owned(),
        addrtype: f[4].to_owned(),
        address: f[5].to_owned(),
    })
}

fn is_hostname(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

fn parse_connection(value: &str) -> Result<Connection, ParseErrorKind> {
    use ParseErrorKind::Malformed;
    let f: Vec<&str> = value.split(' ').collect();
    if f.len() != 3 || !is_token(f[0]) || !is_token(f[1]) {
        return Err(Malformed("c= line (<nettype> <addrtype> <address>)"));
    }
    let mut parts = f[2].split('/');
    let address = parts.next().unwrap_or_default();
    let a = parts.next();
    let b = parts.next();
    if parts.next().is_some() {
        return Err(Malformed("c= address suffix"));
    }
    let num = |s: &str| number(s).ok_or(Malformed("c= ttl or address count"));
    let (ttl, count) = match (f[1], a, b) {
        (_, None, _) => (None, None),
        // IP4 multicast: /ttl[/count]; IP6: /count only (§5.7).
        ("IP6", Some(c), None) => (None, Some(num(c)?)),
        ("IP6", Some(_), Some(_)) => return Err(Malformed("c= IP6 address suffix")),
        (_, Some(t), c) => (
            Some(u8::try_from(num(t)?).map_err(|_| Malformed("c= ttl"))?),
            c.map(num).transpose()?,
        ),
    };
    let count = count
        .map(|c| u32::try_from(c).map_err(|_| Malformed("c= address count")))
        .transpose()?;
    let valid = match f[1] {
        "IP4" => address.parse::<Ipv4Addr>().is_ok() || is_hostname(address),
        "IP6" => address.parse::<Ipv6Addr>().is_ok() || is_hostname(address),
        _ => is_non_ws(address),
    };
    if !valid {
        return Err(Malformed("c= address"));
    }
    Ok(Connection {
        nettype: f[0].to_owned(),
        addrtype: f[1].to_owned(),
        address: address.to_owned(),
        ttl,
        count,
    })
}

fn parse_bandwidth(value: &str) -> Result<Bandwidth, ParseErrorKind> {
    use ParseErrorKind::Malformed;
    let (kind, bw) = value
        .split_once(':')
        .ok_or(Malformed("b= line (<bwtype>:<bandwidth>)"))?;
    if !is_token(kind) {
        return Err(Malformed("b= bandwidth type"));
    }
    Ok(Bandwidth {
        kind: kind.to_owned(),
        value: number(bw).ok_or(Malformed("b= bandwidth value"))?,
    })
}

fn parse_attribute(value: &str) -> Result<Attribute, ParseErrorKind> {
    let (name, val) = match value.split_once(':') {
        Some((n, v)) => (n, Some(v.to_owned())),
        None => (value, None),
    };
    if !is_token(name) {
        return Err(ParseErrorKind::Malformed("a= attribute name"));
    }
    Ok(Attribute {
        name: name.to_owned(),
        value: val,
    })
}

fn parse_media(value: &str) -> Result<MediaDescription, ParseErrorKind> {
    use ParseErrorKind::Malformed;
    let f: Vec<&str> = value.split(' ').collect();
    if f.len() < 4 {
        return Err(Malformed("m= line (<media> <port> <proto> <fmt>…)"));
    }
    if !is_token(f[0]) {
        return Err(Malformed("m= media type"));
    }
    let (port, count) = match f[1].split_once('/') {
        Some((p, c)) => (p, Some(c)),
        None => (f[1], None),
    };
    let port = number(port)
        .and_then(|p| u16::try_from(p).ok())
        .ok_or(Malformed("m= port"))?;
    let port_count = count
        .map(|c| number(c).and_then(|c| u16::try_from(c).ok()))
        .map(|c| c.ok_or(Malformed("m= port count")))
        .transpose()?;
    if !f[2].split('/').all(is_token) {
        return Err(Malformed("m= protocol"));
    }
    if !f[3..].iter().all(|s| is_token(s)) {
        return Err(Malformed("m= format list"));
    }
    Ok(MediaDescription {
        media: f[0].to_owned(),
        port,
        port_count,
        proto: f[2].to_owned(),
        formats: f[3..].iter().map(|s| (*s).to_owned()).collect(),
        information: None,
        connections: Vec::new(),
        bandwidths: Vec::new(),
        key: None,
        attributes: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASIC: &str = "v=0\r\no=alice 2890844526 2890844527 IN IP4 127.0.0.2\r\ns=-\r\n\
        c=IN IP4 127.0.0.2\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0\r\n";

    fn kind(input: &str) -> (usize, ParseErrorKind) {
        let e = parse(input.as_bytes()).unwrap_err();
        (e.line, e.kind)
    }

    #[test]
    fn basic_and_lf_only() {
        let a = parse(BASIC.as_bytes()).unwrap();
        let b = parse(BASIC.replace("\r\n", "\n").as_bytes()).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.origin.session_version, 2890844527);
        assert_eq!(a.media[0].formats, vec!["0"]);
    }

    #[test]
    fn rfc8866_example() {
        // RFC 8866 §5 example, addresses moved to loopback.
        let s = "v=0\r\no=jdoe 3724394400 3724394405 IN IP4 127.0.0.4\r\ns=Call to John Smith\r\n\
            i=SDP Offer #1\r\nu=http://www.jdoe.example.com/home.html\r\n\
            e=Jane Doe <jane@jdoe.example.com>\r\np=+1 617 555-6011\r\nc=IN IP4 127.0.0.4\r\n\
            t=0 0\r\nm=audio 49170 RTP/AVP 0\r\nm=audio 49180 RTP/AVP 0\r\n\
            m=video 51372 RTP/AVP 99\r\nc=IN IP6 2001:db8::2\r\na=rtpmap:99 h263-1998/90000\r\n";
        let sd = parse(s.as_bytes()).unwrap();
        assert_eq!(sd.media.len(), 3);
        assert_eq!(sd.phones, vec!["+1 617 555-6011"]);
        assert_eq!(sd.media[2].connections[0].addrtype, "IP6");
    }

    #[test]
    fn errors_name_the_line() {
        assert_eq!(kind(""), (0, ParseErrorKind::Empty));
        assert_eq!(kind("o=x\r\n").1, ParseErrorKind::MissingVersion);
        assert_eq!(kind("v=1\r\n").1, ParseErrorKind::BadVersion);
        let bad_c = BASIC.replace("c=IN IP4 127.0.0.2", "c=IN IP4");
        assert_eq!(
            kind(&bad_c),
            (
                4,
                ParseErrorKind::Malformed("c= line (<nettype> <addrtype> <address>)")
            )
        );
        let unknown = BASIC.replace("t=0 0", "t=0 0\r\ny=1");
        assert_eq!(kind(&unknown), (6, ParseErrorKind::UnknownType));
        let order = BASIC.replace(
            "s=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0",
            "s=-\r\nt=0 0\r\nc=IN IP4 127.0.0.2",
        );
        assert_eq!(kind(&order), (5, ParseErrorKind::OutOfOrder));
        let no_t = BASIC.replace("t=0 0\r\n", "");
        assert_eq!(kind(&no_t), (5, ParseErrorKind::MissingTiming));
        let two_s = BASIC.replace("s=-", "s=-\r\ns=x");
        assert_eq!(kind(&two_s), (4, ParseErrorKind::Duplicate));
        let bad_port = BASIC.replace("49170", "70000");
        assert_eq!(kind(&bad_port), (6, ParseErrorKind::Malformed("m= port")));
        let e = parse(bad_port.as_bytes()).unwrap_err();
        assert_eq!(e.to_string(), "SDP line 6 (`m=`): malformed m= port");
    }

    #[test]
    fn connection_forms() {
        let c = parse_connection("IN IP4 224.2.1.1/127/3").unwrap();
        assert_eq!((c.ttl, c.count), (Some(127), Some(3)));
        let c = parse_connection("IN IP6 ff00::1/3").unwrap();
        assert_eq!((c.ttl, c.count), (None, Some(3)));
        assert!(parse_connection("IN IP4 ::1").is_err());
        assert!(parse_connection("IN IP4 10.0.0.1/300").is_err());
        assert!(parse_connection("IN IP4 host.example.com").is_ok());
    }

    #[test]
    fn repeat_and_zone() {
        let s = BASIC.replace(
            "t=0 0\r\n",
            "t=3034423619 3042462419\r\nr=604800 3600 0 90000\r\nr=7d 1h 0 25h\r\nz=2882844526 -1h 2898848070 0\r\n",
        );
        let sd = parse(s.as_bytes()).unwrap();
        assert_eq!(sd.times[0].repeats.len(), 2);
        assert!(sd.time_zones.is_some());
        let bad = BASIC.replace("t=0 0\r\n", "t=0 0\r\nr=7x 1h 0\r\n");
        assert_eq!(kind(&bad).1, ParseErrorKind::Malformed("r= line"));
    }
}
