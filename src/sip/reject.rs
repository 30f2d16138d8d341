//! Answers for requests the codec could not parse (RFC 3261 §8.2, RFC 4475 §3.1.2).
//!
//! A UAS answers a malformed request with 400 when it can, which needs the headers a response
//! copies (Via, From, To, Call-ID, CSeq; §8.2.6.2). When the parse failed those were never
//! decoded, so this scans the raw lines for them, as a stateless element does. Responses, ACKs
//! and anything without the five headers get no answer: there is no one to answer to.

use crate::sip::message::{HeaderName, Headers, Response, StatusCode};
use bytes::Bytes;

/// The response to send for an unparseable datagram, if one can be sent.
pub fn reply_to_unparseable(data: &Bytes, status: StatusCode, why: &str) -> Option<Response> {
    let text = data.as_ref();
    let head_end = find(text, b"\r\n\r\n").unwrap_or(text.len());
    let head = &text[..head_end];
    let mut lines = head.split(|&b| b == b'\n').map(trim_cr);
    let start = lines.next()?;
    let method = start.split(|&b| b == b' ').next()?;
    if method.is_empty()
        || method.starts_with(b"SIP/")
        || method == b"ACK"
        || !method
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(b))
    {
        return None;
    }
    let mut wanted: [(HeaderName, Vec<Bytes>); 5] = [
        (HeaderName::Via, Vec::new()),
        (HeaderName::From, Vec::new()),
        (HeaderName::To, Vec::new()),
        (HeaderName::CallId, Vec::new()),
        (HeaderName::CSeq, Vec::new()),
    ];
    for line in lines {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let name = HeaderName::from_bytes(trim(&line[..colon]));
        if let Some((_, vals)) = wanted.iter_mut().find(|(n, _)| *n == name) {
            let start = data.as_ptr() as usize;
            let v = trim(&line[colon + 1..]);
            let off = v.as_ptr() as usize - start;
            vals.push(data.slice(off..off + v.len()));
        }
    }
    if wanted.iter().any(|(_, v)| v.is_empty()) {
        return None;
    }
    let mut headers = Headers::with_capacity(6);
    for (name, vals) in wanted {
        // One Via/From/To/Call-ID/CSeq each, except that every Via is copied (§8.2.6.2).
        let take = if name == HeaderName::Via {
            vals.len()
        } else {
            1
        };
        for v in vals.into_iter().take(take) {
            headers.push(name.clone(), v);
        }
    }
    headers.push(HeaderName::ContentLength, "0");
    let reason: String = why.chars().filter(|c| !c.is_control()).take(100).collect();
    Some(Response {
        status,
        reason: Bytes::from(format!("{} ({reason})", status.reason())),
        headers,
        body: Bytes::new(),
    })
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

fn trim_cr(l: &[u8]) -> &[u8] {
    l.strip_suffix(b"\r").unwrap_or(l)
}

fn trim(b: &[u8]) -> &[u8] {
    let s = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let e = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(s, |e| e + 1);
    &b[s..e]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_a_request_with_the_five_headers() {
        let raw = Bytes::from_static(
            b"INVITE sip:1000@127.0.0.1 SIP/7.0\r\nVia: SIP/2.0/UDP 127.0.0.2;branch=z9hG4bK1\r\n\
              v: SIP/2.0/UDP 127.0.0.3;branch=z9hG4bK2\r\nf: <sip:a@127.0.0.2>;tag=1\r\n\
              t: <sip:1000@127.0.0.1>\r\ni: abc\r\nCSeq: 1 INVITE\r\n\r\n",
        );
        let r = reply_to_unparseable(&raw, StatusCode::VERSION_NOT_SUPPORTED, "version").unwrap();
        assert_eq!(r.status, StatusCode(505));
        assert_eq!(r.headers.get_all(&HeaderName::Via).count(), 2);
        assert_eq!(r.headers.get(&HeaderName::CallId).unwrap(), "abc");
        assert!(String::from_utf8_lossy(&r.reason).starts_with("Version Not Supported"));
    }

    #[test]
    fn no_answer_to_responses_acks_or_headless_junk() {
        let resp = Bytes::from_static(b"SIP/2.0 200 OK\r\nVia: x\r\n\r\n");
        assert!(reply_to_unparseable(&resp, StatusCode::BAD_REQUEST, "").is_none());
        let ack = Bytes::from_static(
            b"ACK sip:a@b SIP/2.0\r\nVia: v\r\nFrom: f\r\nTo: t\r\nCall-ID: c\r\nCSeq: 1 ACK\r\n\r\n",
        );
        assert!(reply_to_unparseable(&ack, StatusCode::BAD_REQUEST, "").is_none());
        let junk = Bytes::from_static(b"\x00\x01\x02garbage");
        assert!(reply_to_unparseable(&junk, StatusCode::BAD_REQUEST, "").is_none());
        let partial = Bytes::from_static(b"INVITE sip:a@b SIP/2.0\r\nVia: v\r\n\r\n");
        assert!(reply_to_unparseable(&partial, StatusCode::BAD_REQUEST, "").is_none());
    }
}
