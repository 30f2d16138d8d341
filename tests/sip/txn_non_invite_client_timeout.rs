//! RFC 3261 §17.1.2.2: a non-INVITE client transaction retransmits on timer E (T1 doubling to
//! T2) and gives up on timer F (64*T1); the UA core then ends the dialog (§12.2.1.2).

use crate::sim;

use bytes::Bytes;
use roomgate::sip::transaction::Transport;
use roomgate::sip::ua::{EndReason, UaEvent};
use sim::{offsets_ms, Dir, LinkConfig, Sim};
use std::time::Duration;

#[test]
fn info_into_silence_retransmits_then_times_out() {
    let mut sim = Sim::new(6, Transport::Udp, LinkConfig::perfect());
    let call = sim.establish(&[]);
    // From now on nothing roomgate sends reaches the room system.
    sim.drop_if(|dir, _, _| dir == Dir::ToRoom);
    let t0 = (sim.now - sim.start).as_millis();
    let now = sim.now;
    sim.ua
        .info(
            now,
            call,
            "application/media_control+xml",
            Bytes::from_static(b"<media_control><vc_primitive><to_encoder><picture_fast_update/></to_encoder></vc_primitive></media_control>"),
        )
        .unwrap();
    sim.run_for(Duration::from_secs(70));

    let infos = sim.sent_by_gateway("INFO ", None);
    let at: Vec<u128> = offsets_ms(&sim, &infos).iter().map(|ms| ms - t0).collect();
    assert_eq!(
        at,
        vec![0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]
    );
    // Timer F at 32 s: the dialog is given up with a BYE (itself retransmitted, then F again).
    let byes = sim.sent_by_gateway("BYE ", None);
    assert_eq!(offsets_ms(&sim, &byes)[0] - t0, 32_000);
    assert_eq!(
        sim.ua_events
            .iter()
            .filter_map(|(_, e)| match e {
                UaEvent::Terminated { reason, .. } => Some(*reason),
                _ => None,
            })
            .collect::<Vec<_>>(),
        vec![EndReason::DialogLost]
    );
    assert_eq!(sim.ua.call_count(), 0, "gone after the BYE's own timer F");
}
