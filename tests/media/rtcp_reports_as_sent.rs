//! Statistics snapshots carry the last RTCP report of each direction as it went on the wire
//! (what operators export to Homer): ours on the peer's stream, field by field as in the SR we
//! sent, and the peer's on ours (SR with its sender info, or RR), each counted so a new one is
//! told from the last.

use crate::support::media::{Peer, Sim};
use roomgate::media::rtcp::{ReceiverReport, ReportBlock, RtcpPacket, SenderReport};
use roomgate::media::{AudioCodec, LegId, MediaCommand, PacketKind, RoomKey};

#[test]
fn reports_both_ways_as_sent() {
    let mut sim = Sim::new(7);
    sim.add(Peer::new(1, AudioCodec::Pcmu, 0, Some(440.0)), None);
    sim.add(Peer::new(2, AudioCodec::Pcmu, 0, Some(880.0)), None);
    for leg in [1, 2] {
        sim.cmd(MediaCommand::Attach {
            leg: LegId(leg),
            room: RoomKey(1),
        });
    }
    assert_eq!(sim.plane.stats(LegId(1)).unwrap().sent_report, None);
    for _ in 0..500 {
        sim.step();
    }
    // Ours: the last SR we sent on leg 1, as parsed off the wire.
    let last_sr = sim
        .other
        .iter()
        .rev()
        .filter(|(_, t)| t.leg == LegId(1) && t.kind == PacketKind::AudioRtcp)
        .find_map(
            |(_, t)| match RtcpPacket::parse_compound(&t.bytes).unwrap().remove(0) {
                RtcpPacket::SenderReport(sr) if !sr.reports.is_empty() => Some(sr),
                _ => None,
            },
        )
        .expect("an SR with a report block in 10 s");
    let sent_reports = sim
        .other
        .iter()
        .filter(|(_, t)| t.leg == LegId(1) && t.kind == PacketKind::AudioRtcp)
        .count() as u64;
    let ours = sim
        .plane
        .stats(LegId(1))
        .unwrap()
        .sent_report
        .expect("ours");
    let b = last_sr.reports[0];
    assert_eq!(ours.reporter_ssrc, last_sr.ssrc);
    assert_eq!(ours.source_ssrc, b.ssrc);
    assert_eq!(ours.extended_highest_seq, b.extended_highest_seq);
    assert_eq!(ours.cumulative_lost, b.cumulative_lost);
    assert_eq!(ours.jitter, b.jitter);
    assert_eq!(ours.fraction_lost, b.fraction_lost);
    let info = ours.sender.expect("we send audio: an SR");
    assert_eq!(info.ntp, last_sr.ntp);
    assert_eq!(info.rtp_ts, last_sr.rtp_ts);
    assert_eq!(info.packet_count, last_sr.packet_count);
    assert_eq!(ours.count, sent_reports, "one per report with a block");

    // Theirs: an RR, then an SR, each on our stream.
    let block = |lost| ReportBlock {
        ssrc: last_sr.ssrc,
        fraction_lost: 3,
        cumulative_lost: lost,
        extended_highest_seq: 4321,
        jitter: 40,
        last_sr: 0,
        delay_since_last_sr: 0,
    };
    let rr = RtcpPacket::ReceiverReport(ReceiverReport {
        ssrc: 0x1001,
        reports: vec![block(5)],
    });
    sim.plane
        .handle_rtcp(sim.now, LegId(1), &RtcpPacket::write_compound(&[rr]))
        .unwrap();
    let theirs = sim.plane.stats(LegId(1)).unwrap().peer.unwrap().report;
    assert_eq!(
        (theirs.count, theirs.reporter_ssrc, theirs.source_ssrc),
        (1, 0x1001, last_sr.ssrc)
    );
    assert_eq!(theirs.sender, None, "an RR");
    assert_eq!((theirs.cumulative_lost, theirs.jitter), (5, 40));
    let sr = RtcpPacket::SenderReport(SenderReport {
        ssrc: 0x1001,
        ntp: 0x0000_1234_5678_0000,
        rtp_ts: 99,
        packet_count: 7,
        octet_count: 1120,
        reports: vec![block(6)],
    });
    sim.plane
        .handle_rtcp(sim.now, LegId(1), &RtcpPacket::write_compound(&[sr]))
        .unwrap();
    let theirs = sim.plane.stats(LegId(1)).unwrap().peer.unwrap().report;
    assert_eq!(theirs.count, 2);
    assert_eq!(theirs.cumulative_lost, 6);
    let info = theirs.sender.expect("an SR");
    assert_eq!(
        (info.ntp, info.rtp_ts, info.packet_count, info.octet_count),
        (0x0000_1234_5678_0000, 99, 7, 1120)
    );
}
