//! G.722 at 64 kbit/s (ITU-T G.722 mode 1): sub-band ADPCM over a 24-tap QMF.
//!
//! Written from the block diagram of G.722 §3–§4 (blocks 1L–6L and 1H–6H). One byte per pair of
//! 16 kHz samples: 6 low-band bits and 2 high-band bits. On RTP the clock is 8000 Hz even
//! though the sampling rate is 16 kHz (RFC 3551 §4.5.2), so a byte is one timestamp unit.

const QMF: [i32; 12] = [3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11];
/// Low-band quantiser decision levels (G.722 Table 11, Q6).
const Q6: [i32; 32] = [
    0, 35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650, 714, 786, 858, 940,
    1023, 1121, 1219, 1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919, 0, 0,
];
const ILN: [u8; 32] = [
    0, 63, 62, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11,
    10, 9, 8, 7, 6, 5, 4, 0,
];
const ILP: [u8; 32] = [
    0, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41, 40, 39,
    38, 37, 36, 35, 34, 33, 32, 0,
];
const WL: [i32; 8] = [-60, -30, 58, 172, 334, 538, 1198, 3042];
const RL42: [usize; 16] = [0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0];
const ILB: [i32; 32] = [
    2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834,
    2896, 2960, 3025, 3091, 3158, 3228, 3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
];
const QM4: [i32; 16] = [
    0, -20456, -12896, -8968, -6288, -4240, -2584, -1200, 20456, 12896, 8968, 6288, 4240, 2584,
    1200, 0,
];
const QM6: [i32; 64] = [
    -136, -136, -136, -136, -24808, -21904, -19008, -16704, -14984, -13512, -12280, -11192, -10232,
    -9360, -8576, -7856, -7192, -6576, -6000, -5456, -4944, -4464, -4008, -3576, -3168, -2776,
    -2400, -2032, -1688, -1360, -1040, -728, 24808, 21904, 19008, 16704, 14984, 13512, 12280,
    11192, 10232, 9360, 8576, 7856, 7192, 6576, 6000, 5456, 4944, 4464, 4008, 3576, 3168, 2776,
    2400, 2032, 1688, 1360, 1040, 728, 432, 136, -432, -136,
];
const QM2: [i32; 4] = [-7408, -1616, 7408, 1616];
const WH: [i32; 3] = [0, -214, 798];
const RH2: [usize; 4] = [2, 1, 2, 1];
const IHN: [u8; 3] = [0, 1, 0];
const IHP: [u8; 3] = [0, 3, 2];

#[inline]
fn sat(v: i32) -> i32 {
    v.clamp(i16::MIN as i32, i16::MAX as i32)
}

/// State of one sub-band's adaptive predictor and scale factor (G.722 blocks 3 and 4).
#[derive(Debug, Clone)]
struct Band {
    s: i32,
    sp: i32,
    sz: i32,
    r: [i32; 3],
    a: [i32; 3],
    ap: [i32; 3],
    p: [i32; 3],
    d: [i32; 7],
    b: [i32; 7],
    bp: [i32; 7],
    nb: i32,
    det: i32,
}

impl Band {
    fn new(det: i32) -> Self {
        Band {
            s: 0,
            sp: 0,
            sz: 0,
            r: [0; 3],
            a: [0; 3],
            ap: [0; 3],
            p: [0; 3],
            d: [0; 7],
            b: [0; 7],
            bp: [0; 7],
            nb: 0,
            det,
        }
    }

    /// Block 3L/3H: log scale factor adaptation then the linear scale factor.
    fn scale(&mut self, wd: i32, max_nb: i32, shift_base: i32) {
        self.nb = (((self.nb * 127) >> 7) + wd).clamp(0, max_nb);
        let idx = ((self.nb >> 6) & 31) as usize;
        let sh = shift_base - (self.nb >> 11);
        let v = if sh < 0 {
            ILB[idx] << -sh
        } else {
            ILB[idx] >> sh
        };
        self.det = v << 2;
    }

    /// Block 4: reconstruction, pole/zero predictor update and prediction.
    fn predict(&mut self, d: i32) {
        // RECONS, PARREC
        self.d[0] = d;
        self.r[0] = sat(self.s + d);
        self.p[0] = sat(self.sz + d);
        // UPPOL2
        let sg0 = self.p[0] >> 15;
        let sg1 = self.p[1] >> 15;
        let sg2 = self.p[2] >> 15;
        let wd1 = sat(self.a[1] << 2);
        let wd2 = if sg0 == sg1 { -wd1 } else { wd1 }.min(32767);
        let mut wd3 = (wd2 >> 7) + if sg0 == sg2 { 128 } else { -128 };
        wd3 += (self.a[2] * 32512) >> 15;
        self.ap[2] = wd3.clamp(-12288, 12288);
        // UPPOL1
        let wd1 = if sg0 == sg1 { 192 } else { -192 };
        let wd2 = (self.a[1] * 32640) >> 15;
        let lim = sat(15360 - self.ap[2]);
        self.ap[1] = sat(wd1 + wd2).clamp(-lim, lim);
        // UPZERO
        let step = if d == 0 { 0 } else { 128 };
        let sgd = d >> 15;
        for i in 1..7 {
            let sgi = self.d[i] >> 15;
            let wd2 = if sgi == sgd { step } else { -step };
            let wd3 = (self.b[i] * 32640) >> 15;
            self.bp[i] = sat(wd2 + wd3);
        }
        // DELAYA
        for i in (1..7).rev() {
            self.d[i] = self.d[i - 1];
            self.b[i] = self.bp[i];
        }
        for i in (1..3).rev() {
            self.r[i] = self.r[i - 1];
            self.p[i] = self.p[i - 1];
            self.a[i] = self.ap[i];
        }
        // FILTEP
        let wd1 = (self.a[1] * sat(self.r[1] + self.r[1])) >> 15;
        let wd2 = (self.a[2] * sat(self.r[2] + self.r[2])) >> 15;
        self.sp = sat(wd1 + wd2);
        // FILTEZ
        let mut sz = 0;
        for i in (1..7).rev() {
            sz += (self.b[i] * sat(self.d[i] + self.d[i])) >> 15;
        }
        self.sz = sat(sz);
        // PREDIC
        self.s = sat(self.sp + self.sz);
    }
}

/// G.722 64 kbit/s encoder: 16 kHz PCM in, one byte per two samples out.
#[derive(Debug, Clone)]
pub struct G722Encoder {
    low: Band,
    high: Band,
    x: [i32; 24],
}

impl Default for G722Encoder {
    fn default() -> Self {
        Self::new()
    }
}

impl G722Encoder {
    /// A reset encoder (G.722 §3.3 initial values).
    pub fn new() -> Self {
        G722Encoder {
            low: Band::new(32),
            high: Band::new(8),
            x: [0; 24],
        }
    }

    /// Encodes `pcm` (16 kHz, an even number of samples; a trailing odd sample is ignored),
    /// appending `pcm.len() / 2` bytes to `out`.
    pub fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) {
        out.reserve(pcm.len() / 2);
        for pair in pcm.chunks_exact(2) {
            out.push(self.encode_pair(pair[0], pair[1]));
        }
    }

    fn encode_pair(&mut self, s0: i16, s1: i16) -> u8 {
        // Transmit QMF (G.722 §3.1): two new samples in, one low and one high sample out.
        self.x.copy_within(2.., 0);
        self.x[22] = s0 as i32;
        self.x[23] = s1 as i32;
        let mut sum_odd = 0;
        let mut sum_even = 0;
        for i in 0..12 {
            sum_odd += self.x[2 * i] * QMF[i];
            sum_even += self.x[2 * i + 1] * QMF[11 - i];
        }
        // The sub-band coders work on 15-bit values (limits ±16384): the analysis halves the
        // input and the synthesis (>> 11) doubles it back, as the ITU reference does.
        let xlow = (sum_even + sum_odd) >> 14;
        let xhigh = (sum_even - sum_odd) >> 14;

        // Low band: SUBTRA, QUANTL (6 bits), INVQAL (4-bit feedback), LOGSCL, SCALEL.
        let el = sat(xlow - self.low.s);
        let wd = if el >= 0 { el } else { -(el + 1) };
        let mut i = 1;
        while i < 30 {
            if wd < (Q6[i] * self.low.det) >> 12 {
                break;
            }
            i += 1;
        }
        let ilow = if el < 0 { ILN[i] } else { ILP[i] };
        let ril = (ilow >> 2) as usize;
        let dlow = (self.low.det * QM4[ril]) >> 15;
        self.low.scale(WL[RL42[ril]], 18432, 8);
        self.low.predict(dlow);

        // High band: SUBTRA, QUANTH (2 bits), INVQAH, LOGSCH, SCALEH.
        let eh = sat(xhigh - self.high.s);
        let wd = if eh >= 0 { eh } else { -(eh + 1) };
        let mih = if wd >= (564 * self.high.det) >> 12 {
            2
        } else {
            1
        };
        let ihigh = if eh < 0 { IHN[mih] } else { IHP[mih] };
        let dhigh = (self.high.det * QM2[ihigh as usize]) >> 15;
        self.high.scale(WH[RH2[ihigh as usize]], 22528, 10);
        self.high.predict(dhigh);

        (ihigh << 6) | ilow
    }
}

/// G.722 64 kbit/s decoder: one byte in, two 16 kHz samples out.
#[derive(Debug, Clone)]
pub struct G722Decoder {
    low: Band,
    high: Band,
    x: [i32; 24],
}

impl Default for G722Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl G722Decoder {
    /// A reset decoder.
    pub fn new() -> Self {
        G722Decoder {
            low: Band::new(32),
            high: Band::new(8),
            x: [0; 24],
        }
    }

    /// Decodes `data`, appending `2 * data.len()` samples at 16 kHz to `out`.
    pub fn decode(&mut self, data: &[u8], out: &mut Vec<i16>) {
        out.reserve(data.len() * 2);
        for &code in data {
            let (a, b) = self.decode_byte(code);
            out.push(a);
            out.push(b);
        }
    }

    /// Decodes `data` into `out` (two samples per byte; extra bytes or samples are ignored).
    pub fn decode_slice(&mut self, data: &[u8], out: &mut [i16]) {
        for (&code, pair) in data.iter().zip(out.chunks_exact_mut(2)) {
            let (a, b) = self.decode_byte(code);
            pair[0] = a;
            pair[1] = b;
        }
    }

    fn decode_byte(&mut self, code: u8) -> (i16, i16) {
        let ilow = (code & 0x3f) as usize;
        let ihigh = ((code >> 6) & 0x03) as usize;
        // Block 5L: the 6-bit inverse quantiser gives the output; the 4-bit one adapts.
        let wd2 = (self.low.det * QM6[ilow]) >> 15;
        let rlow = (self.low.s + wd2).clamp(-16384, 16383);
        let ril = ilow >> 2;
        let dlowt = (self.low.det * QM4[ril]) >> 15;
        self.low.scale(WL[RL42[ril]], 18432, 8);
        self.low.predict(dlowt);

        let dhigh = (self.high.det * QM2[ihigh]) >> 15;
        let rhigh = (dhigh + self.high.s).clamp(-16384, 16383);
        self.high.scale(WH[RH2[ihigh]], 22528, 10);
        self.high.predict(dhigh);

        // Receive QMF (G.722 §4.4).
        self.x.copy_within(2.., 0);
        self.x[22] = rlow + rhigh;
        self.x[23] = rlow - rhigh;
        let mut xout1 = 0;
        let mut xout2 = 0;
        for i in 0..12 {
            xout2 += self.x[2 * i] * QMF[i];
            xout1 += self.x[2 * i + 1] * QMF[11 - i];
        }
        (sat(xout1 >> 11) as i16, sat(xout2 >> 11) as i16)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snr_db(reference: &[i16], test: &[i16]) -> f64 {
        let sig: f64 = reference.iter().map(|&s| (s as f64).powi(2)).sum();
        let noise: f64 = reference
            .iter()
            .zip(test)
            .map(|(&a, &b)| (a as f64 - b as f64).powi(2))
            .sum();
        10.0 * (sig / noise.max(1.0)).log10()
    }

    /// Finds the codec delay (QMF analysis + synthesis) by maximising SNR over small lags.
    fn best_snr(reference: &[i16], decoded: &[i16]) -> f64 {
        (0..64)
            .map(|lag| {
                let n = reference.len() - 64;
                snr_db(&reference[..n], &decoded[lag..lag + n])
            })
            .fold(f64::MIN, f64::max)
    }

    #[test]
    fn round_trip_of_a_wideband_signal_keeps_its_shape() {
        let pcm: Vec<i16> = (0..16000)
            .map(|n| {
                let t = n as f64 / 16000.0;
                (6000.0 * (2.0 * std::f64::consts::PI * 440.0 * t).sin()
                    + 3000.0 * (2.0 * std::f64::consts::PI * 5000.0 * t).sin())
                    as i16
            })
            .collect();
        let mut enc = G722Encoder::new();
        let mut bytes = Vec::new();
        enc.encode(&pcm, &mut bytes);
        assert_eq!(bytes.len(), 8000);
        let mut dec = G722Decoder::new();
        let mut out = Vec::new();
        dec.decode(&bytes, &mut out);
        assert_eq!(out.len(), 16000);
        // Skip the adaptation at the start.
        let snr = best_snr(&pcm[2000..], &out[2000..]);
        assert!(snr > 20.0, "SNR {snr:.1} dB");
    }

    #[test]
    fn silence_stays_quiet() {
        let mut enc = G722Encoder::new();
        let mut bytes = Vec::new();
        enc.encode(&[0i16; 640], &mut bytes);
        let mut dec = G722Decoder::new();
        let mut out = Vec::new();
        dec.decode(&bytes, &mut out);
        assert!(out.iter().all(|s| s.abs() < 64), "{:?}", &out[..32]);
    }
}
