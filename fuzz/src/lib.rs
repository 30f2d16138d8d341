//! The bodies of roomgate's fuzz targets, one plain function per target, so that the same
//! checks run three ways:
//!
//! - `cargo fuzz run <target>` (nightly, libFuzzer): each `fuzz_targets/<target>.rs` is a
//!   three-line `fuzz_target!` calling the function of the same name here;
//! - `cargo test --manifest-path fuzz/Cargo.toml` (stable, the test command): `tests/replay.rs`
//!   feeds every file of the kept corpus (`corpus/<target>/`) through every target;
//! - the SIP checks also run as proptests (`tests/sip_codec_smoke.rs`).
//!
//! Every target is network input handed to a parser, and each asserts what must hold of what
//! it parsed (a round trip through our own writer where the type can be written), not only
//! that it did not panic: a panic here is a finding.

pub mod h264;
pub mod info_dtmf;
pub mod jitter;
pub mod rfc4733;
pub mod rtcp;
pub mod rtp;
pub mod sdp;

/// A fuzz target's body: panics when an invariant breaks.
pub type Target = fn(&[u8]);

/// Every target by its name (the name of its `fuzz_targets/*.rs` and `corpus/*/`).
pub const TARGETS: &[(&str, Target)] = &[
    ("sip_message", sip_message),
    ("sip_framer", sip_framer),
    ("sdp", sdp::sdp),
    ("rtp", rtp::rtp),
    ("rtcp", rtcp::rtcp),
    ("rfc4733", rfc4733::rfc4733),
    ("info_dtmf", info_dtmf::info_dtmf),
    ("h264_keyframe", h264::h264_keyframe),
    ("jitter", jitter::jitter),
];

/// One SIP datagram: parse, decode every typed header, print, reparse (see
/// `roomgate::sip::codec::fuzzing::check_message`).
pub fn sip_message(data: &[u8]) {
    roomgate::sip::codec::fuzzing::check_message(data);
}

/// A SIP byte stream (TCP/TLS), framed whole and in chunks: same frames, bounded buffer (see
/// `roomgate::sip::codec::fuzzing::check_framer`).
pub fn sip_framer(data: &[u8]) {
    roomgate::sip::codec::fuzzing::check_framer(data);
}

/// Reads structured input from the fuzzer's bytes; past the end every read is zero/empty,
/// so any input is a valid program.
pub(crate) struct Bytes<'a> {
    data: &'a [u8],
}

impl<'a> Bytes<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Bytes { data }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    pub(crate) fn u8(&mut self) -> u8 {
        let (&b, rest) = self.data.split_first().unwrap_or((&0, &[]));
        self.data = rest;
        b
    }

    pub(crate) fn u16(&mut self) -> u16 {
        u16::from_be_bytes([self.u8(), self.u8()])
    }

    pub(crate) fn u32(&mut self) -> u32 {
        u32::from_be_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }

    /// Up to `n` bytes (fewer at the end of the input).
    pub(crate) fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.data.split_at(n.min(self.data.len()));
        self.data = rest;
        head
    }

    /// Everything left.
    pub(crate) fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.data)
    }
}
