//! Memory of an Opus call leg, measured with a counting allocator: what adding a leg to the
//! media plane allocates (its Opus decoder, and an encoder only once it talks).

use crate::counting_alloc;
use crate::support::media;

use counting_alloc::live_after;

use roomgate::media::codec::opus::{OpusDecoder, OpusEncoder};
use roomgate::media::{AudioCodec, LegId, MediaCommand, MediaPlane};
use std::time::Instant;

#[test]
fn opus_leg_memory() {
    let (dec, dec_bytes) = live_after(OpusDecoder::new);
    let (mut enc, enc_idle) = live_after(OpusEncoder::default);
    let (_, enc_used) = live_after(|| {
        let mut out = Vec::with_capacity(1500);
        enc.encode(&[0; 320], &mut out);
    });
    let mut plane = MediaPlane::new(1);
    let now = Instant::now();
    let (_, g711_leg) = live_after(|| {
        plane
            .handle_command(
                now,
                MediaCommand::AddLeg {
                    leg: LegId(1),
                    params: media::params(AudioCodec::Pcmu, 0, 1, None),
                },
            )
            .expect("add")
    });
    let (_, opus_leg) = live_after(|| {
        plane
            .handle_command(
                now,
                MediaCommand::AddLeg {
                    leg: LegId(2),
                    params: media::params(AudioCodec::Opus, 111, 2, None),
                },
            )
            .expect("add")
    });
    eprintln!(
        "Opus decoder {dec_bytes} B, encoder {enc_idle} B idle + {enc_used} B once it encodes; \
         added leg: G.711 {g711_leg} B, Opus {opus_leg} B"
    );
    drop(dec);
    // A listener's leg holds a decoder but no encoder state until it talks.
    assert!(opus_leg < dec_bytes + enc_used / 2, "{opus_leg} B");
    assert!(enc_idle < 4096, "{enc_idle} B");
    assert!(enc_used > 4096, "{enc_used} B");
}
