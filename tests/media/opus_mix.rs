//! An Opus talker, a G.711 talker and two silent Opus listeners in one room: the room mixes at
//! 16 kHz, each talker hears the other's tone across the codecs, the Opus listeners hear both
//! and share one encode (byte-identical payloads), and Opus timestamps advance 960 per 20 ms
//! packet (RFC 7587 §4.1).

use crate::support::media::{goertzel, Peer, Sim};
use roomgate::media::rtp::RtpPacket;
use roomgate::media::{AudioCodec, LegId, MediaCommand, RoomKey};

const OPUS_TONE: f64 = 700.0;
const PCMU_TONE: f64 = 500.0;
const AMP: f64 = 3000.0;

fn assert_tone(audio: &[i16], rate: f64, f: f64, what: &str) {
    let got = goertzel(audio, f, rate);
    // Opus is perceptual: the level within 20 %.
    assert!(
        (got - AMP).abs() < 0.2 * AMP,
        "{what}: {f} Hz amplitude {got:.0}, want about {AMP}"
    );
}

fn assert_absent(audio: &[i16], rate: f64, f: f64, what: &str) {
    let got = goertzel(audio, f, rate);
    assert!(
        got < 0.05 * AMP,
        "{what}: {f} Hz must be absent, amplitude {got:.0}"
    );
}

#[test]
fn opus_and_g711_legs_mix_and_opus_listeners_share_one_encode() {
    let mut sim = Sim::new(23);
    let mut talker = Peer::new(1, AudioCodec::Opus, 111, Some(OPUS_TONE));
    talker.amplitude = AMP;
    let mut phone = Peer::new(2, AudioCodec::Pcmu, 0, Some(PCMU_TONE));
    phone.amplitude = AMP;
    let mut l1 = Peer::new(3, AudioCodec::Opus, 111, None);
    l1.sending = false;
    let mut l2 = Peer::new(4, AudioCodec::Opus, 111, None);
    l2.sending = false;
    for p in [talker, phone, l1, l2] {
        sim.add(p, Some(101));
    }
    for leg in 1..=4 {
        sim.cmd(MediaCommand::Attach {
            leg: LegId(leg),
            room: RoomKey(5),
        });
    }
    sim.run(100);

    let opus_heard = sim.peer(1).last_frames(25);
    assert_eq!(opus_heard.len(), 25 * 320, "Opus legs receive 16 kHz audio");
    assert_tone(&opus_heard, 16000.0, PCMU_TONE, "Opus talker");
    assert_absent(
        &opus_heard,
        16000.0,
        OPUS_TONE,
        "Opus talker (its own voice)",
    );

    let phone_heard = sim.peer(2).last_frames(25);
    assert_eq!(phone_heard.len(), 25 * 160);
    assert_tone(&phone_heard, 8000.0, OPUS_TONE, "G.711 talker");
    assert_absent(
        &phone_heard,
        8000.0,
        PCMU_TONE,
        "G.711 talker (its own voice)",
    );

    for id in [3, 4] {
        let heard = sim.peer(id).last_frames(25);
        assert_tone(&heard, 16000.0, OPUS_TONE, "Opus listener");
        assert_tone(&heard, 16000.0, PCMU_TONE, "Opus listener");
    }

    // One shared encode: the two listeners get the same payload every tick.
    let payloads = |sim: &mut Sim, id: u64| -> Vec<Vec<u8>> {
        sim.peer(id)
            .raw
            .iter()
            .map(|b| RtpPacket::parse(b).expect("valid").payload.to_vec())
            .collect()
    };
    let (p3, p4) = (payloads(&mut sim, 3), payloads(&mut sim, 4));
    assert_eq!(p3.len(), 100);
    assert_eq!(
        p3, p4,
        "Opus listeners hearing the same mix share one encode"
    );
    // The talker's own N−1 mix is its own encode.
    assert_ne!(payloads(&mut sim, 1)[50..], p3[50..]);

    // RTP timestamps on the 48 kHz clock: 960 per 20 ms packet.
    let ts: Vec<u32> = sim.peer(3).headers.iter().map(|h| h.1).collect();
    assert!(
        ts.windows(2).all(|w| w[1].wrapping_sub(w[0]) == 960),
        "{ts:?}"
    );
    let ts: Vec<u32> = sim.peer(2).headers.iter().map(|h| h.1).collect();
    assert!(ts.windows(2).all(|w| w[1].wrapping_sub(w[0]) == 160));
}
