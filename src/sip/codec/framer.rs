//! Stream framing for SIP over TCP/TLS (RFC 3261 §18.3): check that a whole message is
//! buffered (end of headers found, Content-Length bytes present), then parse it — the
//! check-then-parse shape of mini-redis's `Connection::parse_frame`.
//!
//! Content-Length is mandatory on streams (§18.3, §20.14). CRLF keep-alives between messages
//! (RFC 5626 §3.5.1) are reported: a double-CRLF "ping" must be answered with a single-CRLF
//! "pong" by the transport. The buffer is bounded by [`ParseLimits::max_message_size`].
//!
//! Errors come in two kinds ([`FramerError`]): `Fatal` when the stream cannot be framed any
//! more (oversized, Content-Length missing or unreadable) — the transport closes the
//! connection; `Message` when one complete message was consumed but did not parse — the stream
//! goes on, and a request may be answered with [`ParseError::status`] if its Via is readable.

use bytes::{Buf, Bytes, BytesMut};

use super::{parse_stream_message, ParseError, ParseLimits};
use crate::sip::lex;
use crate::sip::message::Message;

/// A CRLF keep-alive (RFC 5626 §3.5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeepAlive {
    /// CRLFCRLF: answer with [`Framer::PONG`].
    Ping,
    /// A lone CRLF: the answer to our ping.
    Pong,
}

/// What [`Framer::next_frame`] yields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    Message(Message),
    KeepAlive(KeepAlive),
}

/// Why [`Framer::next_frame`] failed.
#[derive(thiserror::Error, Debug, Clone, Copy, PartialEq, Eq)]
pub enum FramerError {
    /// The stream cannot be framed any further; close the connection.
    #[error("stream framing failed: {0}")]
    Fatal(ParseError),
    /// One whole message was consumed and could not be parsed; the stream continues.
    #[error("malformed message on stream: {0}")]
    Message(ParseError),
}

/// Push bytes as they arrive; pull complete frames.
#[derive(Debug)]
pub struct Framer {
    buf: BytesMut,
    limits: ParseLimits,
    /// How far the end-of-headers search got, so a slow sender costs O(n) overall.
    scanned: usize,
    /// The bytes of the last whole message that failed to parse ([`FramerError::Message`]),
    /// so the transport can have it answered 400 like a datagram (RFC 3261 §8.2, RFC 4475).
    rejected: Option<Bytes>,
}

impl Framer {
    /// The pong to send back for a [`KeepAlive::Ping`].
    pub const PONG: &'static [u8] = b"\r\n";

    pub fn new(limits: ParseLimits) -> Self {
        Framer {
            buf: BytesMut::with_capacity(4096),
            limits,
            scanned: 0,
            rejected: None,
        }
    }

    /// Appends received bytes.
    pub fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// Bytes buffered but not yet framed.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The next complete frame, `Ok(None)` when more bytes are needed.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, FramerError> {
        // Keep-alives only occur between messages, i.e. at the start of the buffer.
        if self.buf.starts_with(b"\r\n\r\n") {
            self.buf.advance(4);
            self.scanned = 0;
            return Ok(Some(Frame::KeepAlive(KeepAlive::Ping)));
        }
        if self.buf.starts_with(b"\r\n") {
            if self.buf.len() < 4 && b"\r\n\r\n".starts_with(&self.buf) {
                // Could still become a ping.
                return Ok(None);
            }
            self.buf.advance(2);
            self.scanned = 0;
            return Ok(Some(Frame::KeepAlive(KeepAlive::Pong)));
        }
        let Some(head_len) = self.find_end_of_headers() else {
            if self.buf.len() > self.limits.max_message_size {
                return Err(FramerError::Fatal(ParseError::TooLarge));
            }
            return Ok(None);
        };
        let body_len = content_length(&self.buf[..head_len]).map_err(FramerError::Fatal)?;
        let total = head_len.saturating_add(body_len);
        if total > self.limits.max_message_size {
            return Err(FramerError::Fatal(ParseError::TooLarge));
        }
        if self.buf.len() < total {
            return Ok(None);
        }
        let frame: Bytes = self.buf.split_to(total).freeze();
        self.scanned = 0;
        parse_stream_message(frame.clone(), &self.limits)
            .map(|m| Some(Frame::Message(m)))
            .map_err(|e| {
                self.rejected = Some(frame);
                FramerError::Message(e)
            })
    }

    /// Takes the bytes of the message the last [`FramerError::Message`] was about.
    pub fn take_rejected(&mut self) -> Option<Bytes> {
        self.rejected.take()
    }

    /// Length of the head including the blank line, once it is buffered.
    fn find_end_of_headers(&mut self) -> Option<usize> {
        let b = &self.buf[..];
        let from = self.scanned.saturating_sub(3);
        match b[from..].windows(4).position(|w| w == b"\r\n\r\n") {
            Some(k) => Some(from + k + 4),
            None => {
                self.scanned = b.len();
                None
            }
        }
    }
}

/// Finds Content-Length (or `l`) among the header lines of `head` without a full parse.
fn content_length(head: &[u8]) -> Result<usize, ParseError> {
    let mut found: Option<usize> = None;
    // Skip the start line; folded Content-Length values are not supported on streams (no
    // implementation folds a number).
    for line in head.split(|&c| c == b'\n').skip(1) {
        let Some(colon) = line.iter().position(|&c| c == b':') else {
            continue;
        };
        let name = lex::trim(&line[..colon]);
        if name.eq_ignore_ascii_case(b"content-length") || name.eq_ignore_ascii_case(b"l") {
            let n = lex::parse_u32(lex::trim(&line[colon + 1..])).ok_or(ParseError::Header(
                crate::sip::header::HeaderError::Malformed("Content-Length"),
            ))? as usize;
            match found {
                Some(m) if m != n => return Err(ParseError::ConflictingContentLength),
                _ => found = Some(n),
            }
        }
    }
    found.ok_or(ParseError::MissingContentLength)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BYE: &[u8] = b"BYE sip:room12@127.0.0.2 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bKb1\r\nCSeq: 2 BYE\r\nContent-Length: 5\r\n\r\nhello";

    #[test]
    fn frames_byte_by_byte_with_keepalives() {
        let mut f = Framer::new(ParseLimits::default());
        let mut stream = Vec::new();
        stream.extend_from_slice(b"\r\n\r\n");
        stream.extend_from_slice(BYE);
        stream.extend_from_slice(b"\r\n");
        stream.extend_from_slice(BYE);
        let mut frames = Vec::new();
        for b in &stream {
            f.push(std::slice::from_ref(b));
            while let Some(fr) = f.next_frame().unwrap() {
                frames.push(fr);
            }
        }
        assert_eq!(frames.len(), 4);
        assert_eq!(frames[0], Frame::KeepAlive(KeepAlive::Ping));
        assert!(
            matches!(&frames[1], Frame::Message(Message::Request(r)) if &r.body[..] == b"hello")
        );
        assert_eq!(frames[2], Frame::KeepAlive(KeepAlive::Pong));
        assert!(matches!(frames[3], Frame::Message(_)));
        assert_eq!(f.buffered(), 0);
    }

    #[test]
    fn content_length_is_mandatory() {
        let mut f = Framer::new(ParseLimits::default());
        f.push(b"OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bKx\r\n\r\n");
        assert_eq!(
            f.next_frame(),
            Err(FramerError::Fatal(ParseError::MissingContentLength))
        );
    }

    #[test]
    fn bounded_buffer() {
        let limits = ParseLimits {
            max_message_size: 128,
            ..ParseLimits::default()
        };
        let mut f = Framer::new(limits.clone());
        f.push(&[b'A'; 200]);
        assert_eq!(
            f.next_frame(),
            Err(FramerError::Fatal(ParseError::TooLarge))
        );
        let mut f = Framer::new(limits);
        f.push(b"OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nContent-Length: 100000\r\n\r\n");
        assert_eq!(
            f.next_frame(),
            Err(FramerError::Fatal(ParseError::TooLarge))
        );
    }

    #[test]
    fn a_bad_message_is_consumed_and_the_stream_goes_on() {
        let mut f = Framer::new(ParseLimits::default());
        f.push(b"OPTIONS  sip:a@127.0.0.1 SIP/2.0\r\nContent-Length: 0\r\n\r\n");
        f.push(BYE);
        assert_eq!(
            f.next_frame(),
            Err(FramerError::Message(ParseError::StartLine))
        );
        assert!(matches!(f.next_frame(), Ok(Some(Frame::Message(_)))));
    }
}
