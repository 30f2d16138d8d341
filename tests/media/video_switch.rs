//! Video forwarding: every leg sees its room's active speaker (the speaker sees the previous
//! one, never itself); a switch or a move requests a keyframe (PLI + FIR + KeyframeNeeded) and
//! happens on that keyframe; each receiver gets one continuous stream (own SSRC, consecutive
//! sequence numbers, increasing timestamps); receivers' NACK and REMB reach the right sender.

use crate::support::media::{params, Peer, Sim};
use roomgate::media::rtcp::{Nack, Remb, RtcpPacket};
use roomgate::media::rtp::{write_packet, RtpPacket};
use roomgate::media::{
    AudioCodec, LegId, MediaCommand, MediaEvent, PacketKind, RoomKey, VideoParams,
};
use std::collections::HashMap;

const VPT: u8 = 96;

struct Cam {
    seq: u16,
    ts: u32,
    ssrc: u32,
    want_keyframe: bool,
}

/// One received video packet: (seq, ts, ssrc, source id, is keyframe).
type Received = (u16, u32, u32, u8, bool);

struct Rig {
    sim: Sim,
    cams: HashMap<u64, Cam>,
    seen: usize,
    /// Per receiver: (seq, ts, ssrc, source id, is keyframe).
    video: HashMap<u64, Vec<Received>>,
    /// Per source: RTCP packets received.
    rtcp: HashMap<u64, Vec<RtcpPacket>>,
}

impl Rig {
    fn new(legs: &[(u64, Option<f64>, &str)]) -> Rig {
        let mut sim = Sim::new(99);
        let mut cams = HashMap::new();
        for &(id, tone, fmtp) in legs {
            let peer = Peer::new(id, AudioCodec::Pcmu, 0, tone);
            let mut p = params(AudioCodec::Pcmu, 0, 0x9000 + id as u32, None);
            p.video = Some(VideoParams {
                payload_type: VPT,
                fmtp: fmtp.into(),
                local_ssrc: 0x5000 + id as u32,
            });
            sim.plane
                .handle_command(
                    sim.now,
                    MediaCommand::AddLeg {
                        leg: peer.id,
                        params: p,
                    },
                )
                .expect("add");
            sim.peers.push(peer);
            cams.insert(
                id,
                Cam {
                    seq: 100 * id as u16,
                    ts: 7_000 * id as u32,
                    ssrc: 0x7000 + id as u32,
                    want_keyframe: true,
                },
            );
        }
        Rig {
            sim,
            cams,
            seen: 0,
            video: HashMap::new(),
            rtcp: HashMap::new(),
        }
    }

    fn step(&mut self) {
        let mut ids: Vec<u64> = self.cams.keys().copied().collect();
        ids.sort();
        for id in ids {
            let cam = self.cams.get_mut(&id).expect("cam");
            // Payload: NAL header (IDR 0x65 or non-IDR 0x41), then the source id.
            let nal = if cam.want_keyframe { 0x65 } else { 0x41 };
            cam.want_keyframe = false;
            let mut pkt = Vec::new();
            write_packet(
                &mut pkt,
                true,
                VPT,
                cam.seq,
                cam.ts,
                cam.ssrc,
                &[nal, id as u8, 0, 0],
            );
            cam.seq = cam.seq.wrapping_add(1);
            cam.ts = cam.ts.wrapping_add(1800);
            self.sim
                .plane
                .handle_rtp(self.sim.now, LegId(id), &pkt)
                .expect("leg");
        }
        self.sim.step();
        self.collect();
    }

    fn collect(&mut self) {
        for (_, t) in &self.sim.other[self.seen..] {
            match t.kind {
                PacketKind::VideoRtp => {
                    let p = RtpPacket::parse(&t.bytes).expect("valid RTP");
                    self.video.entry(t.leg.0).or_default().push((
                        p.seq,
                        p.timestamp,
                        p.ssrc,
                        p.payload[1],
                        p.payload[0] == 0x65,
                    ));
                }
                PacketKind::VideoRtcp => {
                    let ps = RtcpPacket::parse_compound(&t.bytes).expect("valid RTCP");
                    if ps.iter().any(|p| matches!(p, RtcpPacket::Pli(_))) {
                        self.cams.get_mut(&t.leg.0).expect("cam").want_keyframe = true;
                    }
                    self.rtcp.entry(t.leg.0).or_default().extend(ps);
                }
                _ => {}
            }
        }
        self.seen = self.sim.other.len();
    }

    fn last_source(&self, receiver: u64) -> Option<u8> {
        self.video.get(&receiver)?.last().map(|v| v.3)
    }
}

fn assert_continuous(rig: &Rig, receiver: u64) {
    let v = &rig.video[&receiver];
    for w in v.windows(2) {
        assert_eq!(
            w[1].0,
            w[0].0.wrapping_add(1),
            "receiver {receiver}: sequence gap"
        );
        let dts = w[1].1.wrapping_sub(w[0].1) as i32;
        assert!(dts > 0, "receiver {receiver}: timestamp went back ({dts})");
        assert_eq!(
            w[1].2,
            0x5000 + receiver as u32,
            "receiver {receiver}: SSRC"
        );
    }
    for w in v.windows(2) {
        if w[1].3 != w[0].3 {
            assert!(
                w[1].4,
                "receiver {receiver}: switch to {} not on a keyframe",
                w[1].3
            );
        }
    }
    assert!(
        v.iter().all(|p| p.3 as u64 != receiver),
        "receiver {receiver} got its own video"
    );
}

const GOOD: &str = "profile-level-id=42e01f;packetization-mode=1";

#[test]
fn speaker_switches_and_moves_keep_streams_continuous() {
    let mut rig = Rig::new(&[(1, Some(500.0), GOOD), (2, None, GOOD), (3, None, GOOD)]);
    for id in 1..=3 {
        rig.sim.cmd(MediaCommand::Attach {
            leg: LegId(id),
            room: RoomKey(1),
        });
    }
    for _ in 0..30 {
        rig.step();
    }
    // Leg 1 talks: 2 and 3 see it; 1 sees the previous video speaker (2, who joined next).
    assert_eq!(rig.last_source(2), Some(1));
    assert_eq!(rig.last_source(3), Some(1));
    assert_eq!(rig.last_source(1), Some(2));

    // Leg 2 takes over.
    rig.sim.peer(1).freq = None;
    rig.sim.peer(2).freq = Some(700.0);
    let before = rig.sim.events.len();
    for _ in 0..60 {
        rig.step();
    }
    assert!(rig.sim.events[before..].iter().any(|e| matches!(
        e,
        MediaEvent::ActiveSpeaker {
            room: RoomKey(1),
            leg: LegId(2)
        }
    )));
    assert!(rig.sim.events[before..]
        .iter()
        .any(|e| matches!(e, MediaEvent::KeyframeNeeded { leg: LegId(2) })));
    // Talking events with the RFC 6464 level: 2 started (a −19 dBov tone), 1 stopped.
    assert!(rig.sim.events[before..].iter().any(|e| matches!(
        e,
        MediaEvent::Talking { leg: LegId(2), talking: true, level } if (17..=21).contains(level)
    )));
    assert!(rig.sim.events[before..].iter().any(|e| matches!(
        e,
        MediaEvent::Talking {
            leg: LegId(1),
            talking: false,
            ..
        }
    )));
    assert!(rig.rtcp[&2].iter().any(|p| matches!(p, RtcpPacket::Fir(_))));
    assert!(rig.rtcp[&2]
        .iter()
        .any(|p| matches!(p, RtcpPacket::Pli(p) if p.media_ssrc == 0x7002)));
    assert_eq!(rig.last_source(1), Some(2));
    assert_eq!(rig.last_source(3), Some(2));
    assert_eq!(
        rig.last_source(2),
        Some(1),
        "the speaker sees the previous speaker"
    );

    // Leg 3 moves to a breakout room where leg 4 is: it sees leg 4 from its next keyframe.
    let p4 = Peer::new(4, AudioCodec::Pcmu, 0, None);
    let mut prm = params(AudioCodec::Pcmu, 0, 0x9004, None);
    prm.video = Some(VideoParams {
        payload_type: VPT,
        fmtp: GOOD.into(),
        local_ssrc: 0x5004,
    });
    rig.sim
        .plane
        .handle_command(
            rig.sim.now,
            MediaCommand::AddLeg {
                leg: LegId(4),
                params: prm,
            },
        )
        .expect("add 4");
    rig.sim.peers.push(p4);
    rig.cams.insert(
        4,
        Cam {
            seq: 60000,
            ts: 1,
            ssrc: 0x7004,
            want_keyframe: false,
        },
    );
    rig.sim.cmd(MediaCommand::Attach {
        leg: LegId(4),
        room: RoomKey(2),
    });
    for _ in 0..5 {
        rig.step();
    }
    rig.sim.cmd(MediaCommand::Move {
        leg: LegId(3),
        room: RoomKey(2),
    });
    for _ in 0..10 {
        rig.step();
    }
    assert_eq!(rig.last_source(3), Some(4), "moved leg sees its new room");
    assert_eq!(
        rig.last_source(4),
        Some(3),
        "and the room's first member sees the newcomer"
    );

    for r in 1..=4 {
        assert_continuous(&rig, r);
    }

    // Receiver 3 NACKs two packets it got from 4: leg 4 is asked for its own numbers.
    let got: Vec<(u16, u8)> = rig.video[&3]
        .iter()
        .rev()
        .take(3)
        .map(|v| (v.0, v.3))
        .collect();
    assert!(got.iter().all(|g| g.1 == 4));
    let nack = RtcpPacket::Nack(Nack {
        sender_ssrc: 0x1003,
        media_ssrc: 0x5003,
        lost: vec![got[2].0, got[1].0],
    });
    let remb = RtcpPacket::Remb(Remb {
        sender_ssrc: 0x1003,
        bitrate: 300_000,
        ssrcs: vec![0x5003],
    });
    rig.sim
        .plane
        .handle_rtcp(
            rig.sim.now,
            LegId(3),
            &RtcpPacket::write_compound(&[nack, remb]),
        )
        .expect("leg");
    rig.sim.drain();
    rig.collect();
    let to4 = &rig.rtcp[&4];
    let n = to4
        .iter()
        .find_map(|p| match p {
            RtcpPacket::Nack(n) => Some(n.clone()),
            _ => None,
        })
        .expect("NACK relayed to leg 4");
    assert_eq!(n.media_ssrc, 0x7004);
    assert_eq!(n.sender_ssrc, 0x5004);
    // Leg 4's camera sent seq 60000.. ; the last packet it sent was cams[4].seq − 1.
    let last4 = rig.cams[&4].seq.wrapping_sub(1);
    assert_eq!(n.lost, vec![last4.wrapping_sub(2), last4.wrapping_sub(1)]);
    assert!(to4.iter().any(
        |p| matches!(p, RtcpPacket::Remb(r) if r.ssrcs == vec![0x7004] && r.bitrate > 290_000)
    ));

    // Within a few seconds every receiver gets an SR for the video stream we send it.
    for _ in 0..400 {
        rig.step();
    }
    let srs = rig.rtcp[&3]
        .iter()
        .filter_map(|p| match p {
            RtcpPacket::SenderReport(sr) => Some(sr.clone()),
            _ => None,
        })
        .collect::<Vec<_>>();
    let sr = srs.last().expect("video SR to leg 3");
    assert_eq!(sr.ssrc, 0x5003);
    assert!(sr.packet_count as usize <= rig.video[&3].len());
    assert!(sr.packet_count > 0);

    let st = rig.sim.plane.stats(LegId(3)).expect("stats");
    let v = st.video.expect("video negotiated").expect("forwardable");
    assert_eq!(v.source, Some(LegId(4)));
    assert!(v.switches >= 1);
}

#[test]
fn unforwardable_video_is_refused_with_a_reason() {
    let rig = Rig::new(&[(1, None, "profile-level-id=640028;packetization-mode=1")]);
    let st = rig.sim.plane.stats(LegId(1)).expect("stats");
    let reason = st.video.expect("video negotiated").expect_err("refused");
    assert!(reason.contains("profile_idc"), "{reason}");
}
