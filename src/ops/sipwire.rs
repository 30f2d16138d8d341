//! A glance at a SIP message on the wire for counting (metrics) and capture (HEP): its start
//! line, CSeq method and whether the To header carries a tag. No allocation; the full parser
//! stays in `sip::codec`, this only reads what the counters need.

/// What a message is, as far as the counters care.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind<'a> {
    Request { method: &'a str },
    Response { status: u16 },
}

/// The start line and the headers the counters use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Glance<'a> {
    pub kind: Kind<'a>,
    /// Method of the CSeq header (RFC 3261 §20.16): what a response answers.
    pub cseq_method: &'a str,
    /// The To header has a tag: an in-dialog request (RFC 3261 §12.2).
    pub to_tag: bool,
    /// The Call-ID (RFC 3261 §20.8), for log lines and capture correlation.
    pub call_id: Option<&'a str>,
}

fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b))
}

/// Reads a message's start line and headers up to the blank line; `None` when it is not SIP
/// (what the metrics count as a parse error).
pub fn glance(buf: &[u8]) -> Option<Glance<'_>> {
    let text = std::str::from_utf8(&buf[..head_len(buf)]).ok()?;
    let mut lines = text.split("\r\n");
    let start = lines.next()?;
    let kind = if let Some(rest) = start.strip_prefix("SIP/2.0 ") {
        let code = rest.get(..3)?.parse().ok()?;
        if !(100..700).contains(&code) {
            return None;
        }
        Kind::Response { status: code }
    } else {
        let mut parts = start.split(' ');
        let method = parts.next()?;
        let _uri = parts.next()?;
        if parts.next()? != "SIP/2.0" || !is_token(method) {
            return None;
        }
        Kind::Request { method }
    };
    let mut cseq_method = None;
    let mut to_tag = false;
    let mut call_id = None;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim();
        // Compact forms: RFC 3261 §7.3.3 ("t" for To; CSeq has none).
        if name.eq_ignore_ascii_case("cseq") {
            cseq_method = value.split_whitespace().nth(1);
        } else if name.eq_ignore_ascii_case("call-id") || name == "i" {
            call_id = Some(value.trim());
        } else if name.eq_ignore_ascii_case("to") || name == "t" {
            to_tag = value
                .split(';')
                .skip(1)
                .any(|p| p.trim().to_ascii_lowercase().starts_with("tag="));
        }
    }
    Some(Glance {
        kind,
        cseq_method: cseq_method?,
        to_tag,
        call_id,
    })
}

fn head_len(buf: &[u8]) -> usize {
    buf.windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(buf.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_responses() {
        let inv = b"INVITE sip:1000@x SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nTo: <sip:1000@x>\r\n\
                    CSeq: 1 INVITE\r\n\r\nv=0\r\n";
        assert_eq!(
            glance(inv),
            Some(Glance {
                kind: Kind::Request { method: "INVITE" },
                cseq_method: "INVITE",
                to_tag: false,
                call_id: None,
            })
        );
        let ok = b"SIP/2.0 486 Busy Here\r\nt: <sip:a@b>;tag=9\r\ni: abc@h \r\nCSeq: 2 BYE\r\n\r\n";
        assert_eq!(
            glance(ok),
            Some(Glance {
                kind: Kind::Response { status: 486 },
                cseq_method: "BYE",
                to_tag: true,
                call_id: Some("abc@h"),
            })
        );
        assert_eq!(glance(b"\r\n\r\n"), None);
        assert_eq!(glance(b"HELLO world\r\n\r\n"), None);
        assert_eq!(glance(b"SIP/2.0 99x\r\nCSeq: 1 A\r\n\r\n"), None);
        assert_eq!(glance(&[0xff, 0xfe, 0x20]), None);
    }
}
