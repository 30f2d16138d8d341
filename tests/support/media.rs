//! Shared harness for the media tests: a simulated clock, fake peers that send RTP, and
//! analysis helpers (Goertzel, SNR).
#![allow(dead_code)]

use roomgate::media::codec::{AudioCodec, Decoder, Encoder};
use roomgate::media::rtp::{write_packet, RtpPacket};
use roomgate::media::{
    AudioParams, LegId, LegParams, MediaCommand, MediaEvent, MediaOutput, MediaPlane, PacketKind,
    TICK,
};
use std::time::Instant;

/// Amplitude of the `freq` component of `x` (Goertzel), in sample units.
pub fn goertzel(x: &[i16], freq: f64, rate: f64) -> f64 {
    let w = 2.0 * std::f64::consts::PI * freq / rate;
    let c = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for &v in x {
        let s = v as f64 + c * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    let power = s1 * s1 + s2 * s2 - c * s1 * s2;
    2.0 * power.max(0.0).sqrt() / x.len() as f64
}

pub fn params(codec: AudioCodec, pt: u8, ssrc: u32, te: Option<u8>) -> LegParams {
    LegParams {
        audio: AudioParams {
            codec,
            payload_type: pt,
            telephone_event_pt: te,
            telephone_event_clock: None,
            fmtp: None,
            local_ssrc: ssrc,
        },
        video: None,
        cname: format!("leg{ssrc}@roomgate"),
    }
}

/// One simulated peer: sends a tone (or silence) and decodes what it receives.
pub struct Peer {
    pub id: LegId,
    pub codec: AudioCodec,
    pub pt: u8,
    pub ssrc: u32,
    pub seq: u16,
    pub ts: u32,
    pub sent_samples: u64,
    pub freq: Option<f64>,
    pub amplitude: f64,
    pub encoder: Encoder,
    pub decoder: Decoder,
    /// Decoded received audio, packet by packet.
    pub received: Vec<Vec<i16>>,
    /// (seq, timestamp, marker, ssrc) of every received audio packet.
    pub headers: Vec<(u16, u32, bool, u32)>,
    /// Every received audio datagram.
    pub raw: Vec<Vec<u8>>,
    pub sending: bool,
}

impl Peer {
    pub fn new(id: u64, codec: AudioCodec, pt: u8, freq: Option<f64>) -> Self {
        Peer {
            id: LegId(id),
            codec,
            pt,
            ssrc: 0x1000 + id as u32,
            seq: (id as u16).wrapping_mul(7919),
            ts: (id as u32).wrapping_mul(104729),
            sent_samples: 0,
            freq,
            amplitude: 4000.0,
            encoder: Encoder::new(codec),
            decoder: Decoder::new(codec),
            received: Vec::new(),
            headers: Vec::new(),
            raw: Vec::new(),
            sending: true,
        }
    }

    /// The next 20 ms RTP packet of this peer's tone.
    pub fn next_packet(&mut self) -> Vec<u8> {
        let rate = self.codec.sample_rate() as f64;
        let n = (self.codec.sample_rate() / 50) as usize;
        let pcm: Vec<i16> = (0..n)
            .map(|i| {
                let t = (self.sent_samples + i as u64) as f64 / rate;
                match self.freq {
                    Some(f) => (self.amplitude * (2.0 * std::f64::consts::PI * f * t).sin()) as i16,
                    None => 0,
                }
            })
            .collect();
        self.sent_samples += n as u64;
        let mut payload = Vec::new();
        self.encoder.encode(&pcm, &mut payload);
        let mut pkt = Vec::new();
        write_packet(
            &mut pkt, false, self.pt, self.seq, self.ts, self.ssrc, &payload,
        );
        self.seq = self.seq.wrapping_add(1);
        // 20 ms of the RTP clock: 160 for G.711 and G.722, 960 for Opus (RFC 7587 §4.1).
        self.ts = self.ts.wrapping_add(20 * self.codec.clock_rate() / 1000);
        pkt
    }

    pub fn last_frames(&self, frames: usize) -> Vec<i16> {
        let start = self.received.len().saturating_sub(frames);
        self.received[start..].concat()
    }
}

/// The plane plus its peers on a simulated clock.
pub struct Sim {
    pub plane: MediaPlane,
    pub now: Instant,
    pub peers: Vec<Peer>,
    pub events: Vec<MediaEvent>,
    pub other: Vec<(Instant, roomgate::media::Transmit)>,
}

impl Sim {
    pub fn new(seed: u64) -> Self {
        Sim {
            plane: MediaPlane::new(seed),
            now: Instant::now(),
            peers: Vec::new(),
            events: Vec::new(),
            other: Vec::new(),
        }
    }

    pub fn add(&mut self, peer: Peer, te: Option<u8>) {
        let p = params(peer.codec, peer.pt, 0x9000 + peer.id.0 as u32, te);
        self.plane
            .handle_command(
                self.now,
                MediaCommand::AddLeg {
                    leg: peer.id,
                    params: p,
                },
            )
            .expect("add leg");
        self.peers.push(peer);
    }

    pub fn cmd(&mut self, c: MediaCommand) {
        self.plane.handle_command(self.now, c).expect("command");
        self.drain();
    }

    pub fn peer(&mut self, id: u64) -> &mut Peer {
        self.peers
            .iter_mut()
            .find(|p| p.id == LegId(id))
            .expect("known peer")
    }

    /// Every sending peer sends one packet, 20 ms pass, the plane ticks; outputs are drained.
    pub fn step(&mut self) {
        for i in 0..self.peers.len() {
            if !self.peers[i].sending {
                continue;
            }
            let pkt = self.peers[i].next_packet();
            let id = self.peers[i].id;
            self.plane
                .handle_rtp(self.now, id, &pkt)
                .expect("known leg");
        }
        self.now += TICK;
        self.plane.handle_tick(self.now);
        self.drain();
    }

    pub fn drain(&mut self) {
        loop {
            match self.plane.poll_output() {
                MediaOutput::Timeout(_) => break,
                MediaOutput::Event(e) => self.events.push(e),
                MediaOutput::Transmit(t) if t.kind == PacketKind::AudioRtp => {
                    let peer = self
                        .peers
                        .iter_mut()
                        .find(|p| p.id == t.leg)
                        .expect("transmit to a known leg");
                    let pkt = RtpPacket::parse(&t.bytes).expect("we send valid RTP");
                    peer.headers
                        .push((pkt.seq, pkt.timestamp, pkt.marker, pkt.ssrc));
                    if pkt.payload_type == peer.pt {
                        let mut pcm = Vec::new();
                        peer.decoder.decode(pkt.payload, &mut pcm);
                        peer.received.push(pcm);
                    } else {
                        peer.received.push(vec![0; 160]);
                    }
                    peer.raw.push(t.bytes.clone());
                }
                MediaOutput::Transmit(t) => self.other.push((self.now, t)),
            }
        }
    }

    pub fn run(&mut self, steps: usize) {
        for _ in 0..steps {
            self.step();
        }
    }
}
