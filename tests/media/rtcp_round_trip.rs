//! RTCP round trip: we send SR + SDES at the RFC 3550 §6.2 interval (deterministic for a seed)
//! with a report block on the peer's stream; the peer's RR gives us its view and the RTT from
//! LSR/DLSR; its SR is echoed back in our next block; stats snapshots carry it all.

use crate::support::media::{Peer, Sim};
use roomgate::media::rtcp::{ReceiverReport, ReportBlock, RtcpPacket, SenderReport};
use roomgate::media::{AudioCodec, LegId, MediaCommand, MediaEvent, PacketKind, RoomKey};
use std::time::{Duration, Instant};

fn sim(seed: u64) -> Sim {
    let mut sim = Sim::new(seed);
    sim.add(Peer::new(1, AudioCodec::Pcmu, 0, Some(440.0)), None);
    sim.add(Peer::new(2, AudioCodec::Pcmu, 0, Some(880.0)), None);
    for leg in [1, 2] {
        sim.cmd(MediaCommand::Attach {
            leg: LegId(leg),
            room: RoomKey(1),
        });
    }
    sim
}

fn reports(sim: &Sim, leg: u64) -> Vec<(Instant, Vec<RtcpPacket>)> {
    sim.other
        .iter()
        .filter(|(_, t)| t.leg == LegId(leg) && t.kind == PacketKind::AudioRtcp)
        .map(|(at, t)| {
            (
                *at,
                RtcpPacket::parse_compound(&t.bytes).expect("we send valid RTCP"),
            )
        })
        .collect()
}

#[test]
fn reports_interval_loss_and_rtt() {
    let mut sim = sim(21);
    let start = sim.now;
    // Leg 1's peer loses 10 of its packets on the way to us.
    for i in 0..1000 {
        if (300..310).contains(&i) {
            sim.peer(1).next_packet();
            sim.peer(1).sending = false;
        }
        sim.step();
        sim.peer(1).sending = true;
    }
    let rs = reports(&sim, 1);
    assert!(rs.len() >= 4, "{} reports in 20 s", rs.len());
    // First report within [0.5, 1.5] · 2.5 s / (e − 3/2), then [0.5, 1.5] · 5 s / (e − 3/2).
    let k = std::f64::consts::E - 1.5;
    let first = (rs[0].0 - start).as_secs_f64();
    assert!(
        first >= 1.25 / k - 0.02 && first <= 3.75 / k + 0.02,
        "first {first}"
    );
    for w in rs.windows(2) {
        let gap = (w[1].0 - w[0].0).as_secs_f64();
        assert!(gap >= 2.5 / k - 0.02 && gap <= 7.5 / k + 0.02, "gap {gap}");
    }
    let (_, last) = rs.last().expect("reports");
    let RtcpPacket::SenderReport(sr) = &last[0] else {
        panic!("we send audio, so an SR first: {last:?}")
    };
    assert_eq!(sr.ssrc, 0x9001);
    match &last[1] {
        RtcpPacket::Sdes(s) => assert_eq!(s.cname, "leg36865@roomgate"),
        other => panic!("SDES second, got {other:?}"),
    }
    let block = sr.reports[0];
    assert_eq!(block.ssrc, 0x1001);
    assert_eq!(block.cumulative_lost, 10);
    assert!(block.jitter < 8, "steady sender, jitter {}", block.jitter);

    // The peer answers with an RR echoing our SR, after holding it 100 ms, 150 ms later.
    let (sent_at, _) = *rs.last().expect("reports");
    let rr = RtcpPacket::ReceiverReport(ReceiverReport {
        ssrc: 0x1001,
        reports: vec![ReportBlock {
            ssrc: 0x9001,
            fraction_lost: 64,
            cumulative_lost: 7,
            extended_highest_seq: 1234,
            jitter: 80,
            last_sr: sr.lsr(),
            delay_since_last_sr: 6554, // 100 ms in 1/65536 s
        }],
    });
    let at = sent_at + Duration::from_millis(150);
    sim.plane
        .handle_rtcp(at, LegId(1), &RtcpPacket::write_compound(&[rr]))
        .expect("leg");
    let st = sim.plane.stats(LegId(1)).expect("stats");
    let rtt = st.rtt_ms.expect("rtt from LSR/DLSR");
    assert!((rtt - 50.0).abs() < 1.0, "rtt {rtt}");
    let peer = st.peer.expect("peer view");
    assert_eq!(peer.cumulative_lost, 7);
    assert!((peer.fraction_lost - 0.25).abs() < 1e-6);
    assert!((peer.jitter_ms - 10.0).abs() < 1e-3);
    assert_eq!(st.lost_in, 10);
    assert!(st.mos_in > 4.0 && st.mos_out.expect("peer view") < st.mos_in);

    // The peer's SR is echoed in our next report with the delay since we got it.
    let psr = RtcpPacket::SenderReport(SenderReport {
        ssrc: 0x1001,
        ntp: 0x0000_1234_5678_0000,
        rtp_ts: 0,
        packet_count: 1,
        octet_count: 160,
        reports: vec![],
    });
    sim.plane
        .handle_rtcp(sim.now, LegId(1), &RtcpPacket::write_compound(&[psr]))
        .expect("leg");
    let got_at = sim.now;
    let before = reports(&sim, 1).len();
    while reports(&sim, 1).len() == before {
        sim.step();
    }
    let (at, next) = reports(&sim, 1).pop().expect("report");
    let RtcpPacket::SenderReport(sr) = &next[0] else {
        panic!("SR")
    };
    assert_eq!(sr.reports[0].last_sr, 0x1234_5678);
    // DLSR (RFC 3550 §6.4.1) against the simulated clock: a value check, not a timing one.
    let dlsr_s = sr.reports[0].delay_since_last_sr as f64 / 65536.0;
    assert!((dlsr_s - (at - got_at).as_secs_f64()).abs() < 0.001);

    assert!(sim
        .events
        .iter()
        .any(|e| matches!(e, MediaEvent::Stats(s) if s.leg == LegId(1) && s.packets_in > 0)));

    // Garbage is counted, not fatal.
    sim.plane
        .handle_rtcp(sim.now, LegId(1), &[0x80, 200, 0, 9])
        .expect("leg");
    assert_eq!(sim.plane.stats(LegId(1)).expect("stats").malformed, 1);
}

#[test]
fn report_times_are_deterministic_for_a_seed() {
    let times = |seed| {
        let mut s = sim(seed);
        let start = s.now;
        s.run(1000);
        reports(&s, 2)
            .into_iter()
            .map(|(t, _)| t - start)
            .collect::<Vec<_>>()
    };
    assert_eq!(times(5), times(5));
    assert_ne!(times(5), times(6));
}
