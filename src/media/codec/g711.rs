//! G.711 µ-law and A-law (ITU-T G.711), table-driven.
//!
//! The encoder tables are built at compile time from the segment rules of G.711 §3 and §4 (the
//! same arithmetic as the ITU-T G.191 reference `ulaw_compress`/`alaw_compress`), so encode is one
//! load per sample; the decoders are 256-entry tables (G.711 Tables 1 and 2).

/// µ-law bias added before segment search (G.711 §3: 33 in 14-bit units).
const ULAW_BIAS: i32 = 0x84;

/// Encodes one 16-bit linear sample to µ-law the reference way (14-bit magnitude, bias 33).
const fn ulaw_encode_ref(sample: i16) -> u8 {
    // G.191 works on 14-bit input: the 16-bit sample's two low bits are dropped.
    // G.191 takes the one's complement of negative samples, so -1..-4 map to "negative zero".
    let mut pcm = (sample as i32) >> 2;
    let mask: i32 = if pcm < 0 {
        pcm = -pcm - 1;
        0x7f
    } else {
        0xff
    };
    if pcm > 8159 {
        pcm = 8159;
    }
    pcm += ULAW_BIAS >> 2;
    // Segment = position of the highest set bit above bit 5.
    let mut seg = 0;
    let mut v = pcm >> 6;
    while v != 0 {
        seg += 1;
        v >>= 1;
    }
    let code = if seg >= 8 {
        0x7f
    } else {
        (seg << 4) | ((pcm >> (seg + 1)) & 0x0f)
    };
    (code ^ mask) as u8
}

/// Encodes one 16-bit linear sample to A-law (13-bit magnitude, even bits inverted).
const fn alaw_encode_ref(sample: i16) -> u8 {
    let mut pcm = (sample as i32) >> 3;
    let mask: i32 = if pcm >= 0 {
        0xd5
    } else {
        pcm = -pcm - 1;
        0x55
    };
    if pcm > 4095 {
        pcm = 4095;
    }
    let mut seg = 0;
    let mut v = pcm >> 5;
    while v != 0 {
        seg += 1;
        v >>= 1;
    }
    let code = if seg >= 8 {
        0x7f
    } else if seg < 2 {
        (seg << 4) | ((pcm >> 1) & 0x0f)
    } else {
        (seg << 4) | ((pcm >> seg) & 0x0f)
    };
    (code ^ mask) as u8
}

const fn ulaw_decode_ref(code: u8) -> i16 {
    let u = !code as i32;
    let t = (((u & 0x0f) << 3) + ULAW_BIAS) << ((u & 0x70) >> 4);
    (if u & 0x80 != 0 {
        ULAW_BIAS - t
    } else {
        t - ULAW_BIAS
    }) as i16
}

const fn alaw_decode_ref(code: u8) -> i16 {
    let a = (code ^ 0x55) as i32;
    let mut t = (a & 0x0f) << 4;
    let seg = (a & 0x70) >> 4;
    t = match seg {
        0 => t + 8,
        1 => t + 0x108,
        _ => (t + 0x108) << (seg - 1),
    };
    (if a & 0x80 != 0 { t } else { -t }) as i16
}

const fn build_ulaw_enc() -> [u8; 16384] {
    let mut t = [0u8; 16384];
    let mut i = 0;
    while i < 16384 {
        // Index = the 14-bit sample (two's complement) the reference encoder looks at.
        let s14 = ((i as i32) << 18) >> 18;
        t[i] = ulaw_encode_ref((s14 << 2) as i16);
        i += 1;
    }
    t
}

const fn build_alaw_enc() -> [u8; 8192] {
    let mut t = [0u8; 8192];
    let mut i = 0;
    while i < 8192 {
        let s13 = ((i as i32) << 19) >> 19;
        t[i] = alaw_encode_ref((s13 << 3) as i16);
        i += 1;
    }
    t
}

const fn build_ulaw_dec() -> [i16; 256] {
    let mut t = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = ulaw_decode_ref(i as u8);
        i += 1;
    }
    t
}

const fn build_alaw_dec() -> [i16; 256] {
    let mut t = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = alaw_decode_ref(i as u8);
        i += 1;
    }
    t
}

static ULAW_ENC: [u8; 16384] = build_ulaw_enc();
static ALAW_ENC: [u8; 8192] = build_alaw_enc();
/// µ-law code word → 16-bit linear (G.711 Table 2, scaled by 4).
pub static ULAW_DEC: [i16; 256] = build_ulaw_dec();
/// A-law code word → 16-bit linear (G.711 Table 1, scaled by 8).
pub static ALAW_DEC: [i16; 256] = build_alaw_dec();

/// Encodes one sample to µ-law.
#[inline]
pub fn ulaw_encode(sample: i16) -> u8 {
    ULAW_ENC[((sample as u16) >> 2) as usize]
}

/// Encodes one sample to A-law.
#[inline]
pub fn alaw_encode(sample: i16) -> u8 {
    ALAW_ENC[((sample as u16) >> 3) as usize]
}

/// Decodes one µ-law code word.
#[inline]
pub fn ulaw_decode(code: u8) -> i16 {
    ULAW_DEC[code as usize]
}

/// Decodes one A-law code word.
#[inline]
pub fn alaw_decode(code: u8) -> i16 {
    ALAW_DEC[code as usize]
}

/// Encodes a block to µ-law; `out` must be at least as long as `pcm`.
pub fn ulaw_encode_block(pcm: &[i16], out: &mut [u8]) {
    for (o, &s) in out.iter_mut().zip(pcm) {
        *o = ulaw_encode(s);
    }
}

/// Encodes a block to A-law; `out` must be at least as long as `pcm`.
pub fn alaw_encode_block(pcm: &[i16], out: &mut [u8]) {
    for (o, &s) in out.iter_mut().zip(pcm) {
        *o = alaw_encode(s);
    }
}

/// Decodes a µ-law block, appending to `out`.
pub fn ulaw_decode_into(data: &[u8], out: &mut Vec<i16>) {
    out.extend(data.iter().map(|&c| ULAW_DEC[c as usize]));
}

/// Decodes an A-law block, appending to `out`.
pub fn alaw_decode_into(data: &[u8], out: &mut Vec<i16>) {
    out.extend(data.iter().map(|&c| ALAW_DEC[c as usize]));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulaw_known_values() {
        // G.711 Table 2: code 0xFF and 0x7F are the two zeros; 0x80 / 0x00 the extremes.
        assert_eq!(ulaw_decode(0xff), 0);
        assert_eq!(ulaw_decode(0x7f), 0);
        assert_eq!(ulaw_decode(0x80), 32124);
        assert_eq!(ulaw_decode(0x00), -32124);
        assert_eq!(ulaw_decode(0xfe), 8);
        assert_eq!(ulaw_encode(0), 0xff);
        assert_eq!(ulaw_encode(i16::MAX), 0x80);
        assert_eq!(ulaw_encode(i16::MIN), 0x00);
    }

    #[test]
    fn alaw_known_values() {
        // G.711 Table 1: 0xD5 / 0x55 are the smallest positive / negative levels.
        assert_eq!(alaw_decode(0xd5), 8);
        assert_eq!(alaw_decode(0x55), -8);
        assert_eq!(alaw_decode(0xaa), 32256);
        assert_eq!(alaw_decode(0x2a), -32256);
        assert_eq!(alaw_encode(0), 0xd5);
        assert_eq!(alaw_encode(-1), 0x55);
        assert_eq!(alaw_encode(i16::MAX), 0xaa);
        assert_eq!(alaw_encode(i16::MIN), 0x2a);
    }

    #[test]
    fn every_code_word_round_trips() {
        for c in 0..=255u8 {
            let u = ulaw_encode(ulaw_decode(c));
            // 0x7F ("negative zero") re-encodes as 0xFF.
            assert_eq!(u, if c == 0x7f { 0xff } else { c }, "µ-law {c:#x}");
            assert_eq!(alaw_encode(alaw_decode(c)), c, "A-law {c:#x}");
        }
    }

    #[test]
    fn table_matches_reference_for_every_sample() {
        for s in i16::MIN..=i16::MAX {
            assert_eq!(ulaw_encode(s), ulaw_encode_ref(s));
            assert_eq!(alaw_encode(s), alaw_encode_ref(s));
        }
    }

    #[test]
    fn quantisation_error_is_bounded_by_the_segment_step() {
        for s in (i16::MIN..=i16::MAX).step_by(7) {
            let u = ulaw_decode(ulaw_encode(s)) as i32;
            let a = alaw_decode(alaw_encode(s)) as i32;
            let e = (s as i32).abs();
            // Half a step of the top segment is 512 (µ) / 512 (A) in 16-bit units.
            let tol = (e / 16).max(16) + 8;
            assert!((u - s as i32).abs() <= tol, "µ {s} -> {u}");
            assert!((a - s as i32).abs() <= tol, "A {s} -> {a}");
        }
    }
}
