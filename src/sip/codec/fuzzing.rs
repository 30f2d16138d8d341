//! Invariant checks of the cargo-fuzz targets (fuzz/fuzz_targets/sip_*.rs), shared with their
//! corpus replay and proptest smoke test (fuzz/tests/). Each panics when an invariant breaks.
//! Compiled only with the `fuzzing` feature.

use bytes::Bytes;

use super::{encode, parse_with, Frame, Framer, FramerError, ParseLimits};
use crate::sip::header::TypedHeader;
use crate::sip::message::Message;

fn unlimited() -> ParseLimits {
    ParseLimits {
        max_message_size: usize::MAX,
        max_headers: usize::MAX,
    }
}

fn same_typed<T: TypedHeader + PartialEq + std::fmt::Debug>(v: &T) {
    let printed = v.to_value();
    let back = T::parse(&printed)
        .unwrap_or_else(|e| panic!("printed header {printed:?} does not reparse: {e}"));
    assert_eq!(&back, v, "header changed through print: {printed:?}");
}

/// Parse; if accepted, decode every typed header (no panic), and check that printing then
/// parsing gives the same message (stable printing, same body, same typed core headers).
pub fn check_message(data: &[u8]) {
    let Ok(m) = parse_with(Bytes::copy_from_slice(data), &ParseLimits::default()) else {
        return;
    };
    let _ = m.validate();
    exercise_accessors(&m);
    let printed = m.to_bytes();
    let again = parse_with(printed.clone(), &unlimited())
        .unwrap_or_else(|e| panic!("printed message does not reparse: {e}\n{printed:?}"));
    assert_eq!(again.body(), m.body());
    assert_eq!(again.to_bytes(), printed, "printing is not stable");
    match (&m, &again) {
        (Message::Request(a), Message::Request(b)) => {
            assert_eq!(a.method, b.method);
            assert_eq!(a.uri, b.uri);
        }
        (Message::Response(a), Message::Response(b)) => {
            assert_eq!(a.status, b.status);
            assert_eq!(a.reason, b.reason);
        }
        _ => panic!("request/response changed through print"),
    }
    assert_eq!(m.vias().ok(), again.vias().ok());
    assert_eq!(m.from().ok(), again.from().ok());
    assert_eq!(m.to().ok(), again.to().ok());
    assert_eq!(m.cseq().ok(), again.cseq().ok());
    assert_eq!(m.call_id().ok(), again.call_id().ok());
    assert_eq!(m.contacts().ok(), again.contacts().ok());
}

fn exercise_accessors(m: &Message) {
    if let Ok(v) = m.vias() {
        v.iter().for_each(same_typed);
    }
    if let Ok(v) = m.from() {
        same_typed(&v);
    }
    if let Ok(v) = m.to() {
        same_typed(&v);
    }
    if let Ok(v) = m.cseq() {
        same_typed(&v);
    }
    if let Ok(v) = m.call_id() {
        same_typed(&v);
    }
    if let Ok(v) = m.contacts() {
        v.iter().for_each(same_typed);
    }
    if let Ok(v) = m.routes() {
        v.iter().for_each(same_typed);
    }
    if let Ok(Some(v)) = m.content_type() {
        same_typed(&v);
    }
    if let Ok(Some(v)) = m.session_expires() {
        same_typed(&v);
    }
    if let Ok(v) = m.reasons() {
        v.iter().for_each(same_typed);
    }
    if let Ok(v) = m.www_authenticate() {
        v.iter().for_each(same_typed);
    }
    let _ = (
        m.via(),
        m.max_forwards(),
        m.content_length(),
        m.record_routes(),
        m.p_asserted_identities(),
        m.allow(),
        m.supported(),
        m.require(),
        m.min_se(),
        m.user_agent(),
        m.server(),
        m.authorization(),
        m.retry_after(),
        m.expires(),
        m.date(),
    );
    if let Message::Request(r) = m {
        if let Ok(u) = r.request_uri() {
            let printed = Bytes::from(u.to_string());
            let back = crate::sip::uri::Uri::parse(&printed)
                .unwrap_or_else(|e| panic!("printed URI {printed:?} does not reparse: {e}"));
            assert_eq!(back, u);
        }
    }
}

/// Feeds `data` to a [`Framer`] in chunks whose sizes come from the data itself, and checks
/// that chunking does not change what is framed, that the buffer stays bounded, and that every
/// framed message prints and reparses.
pub fn check_framer(data: &[u8]) {
    let limits = ParseLimits {
        max_message_size: 4096,
        max_headers: 64,
    };
    let whole = frames(data, data.len().max(1), &limits);
    let step = usize::from(data.first().copied().unwrap_or(1) % 17) + 1;
    let chunked = frames(data, step, &limits);
    assert_eq!(whole, chunked, "framing depends on how the bytes arrive");
}

#[derive(Debug, PartialEq)]
enum Seen {
    Frame(Frame),
    MessageError,
    Fatal,
}

fn frames(data: &[u8], step: usize, limits: &ParseLimits) -> Vec<Seen> {
    let mut f = Framer::new(limits.clone());
    let mut out = Vec::new();
    for chunk in data.chunks(step) {
        f.push(chunk);
        loop {
            match f.next_frame() {
                Ok(Some(fr)) => {
                    if let Frame::Message(m) = &fr {
                        let mut buf = bytes::BytesMut::new();
                        encode(m, &mut buf);
                        parse_with(buf.freeze(), &unlimited())
                            .expect("a framed message prints and reparses");
                    }
                    out.push(Seen::Frame(fr));
                }
                Ok(None) => break,
                Err(FramerError::Message(_)) => out.push(Seen::MessageError),
                Err(FramerError::Fatal(_)) => {
                    out.push(Seen::Fatal);
                    return out;
                }
            }
        }
        assert!(
            f.buffered() <= limits.max_message_size + step,
            "framer buffer grew past its bound"
        );
    }
    out
}
