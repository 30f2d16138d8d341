//! RFC 4028 §9–§10: when roomgate is the refresher it refreshes the session at half the
//! interval (UPDATE, since the room allows it), and the session stays up.

use crate::sim;

use roomgate::sip::message::{HeaderName, Method};
use roomgate::sip::transaction::Transport;
use roomgate::sip::ua::UaEvent;
use sim::{offsets_ms, LinkConfig, Sim};
use std::time::Duration;

#[test]
fn refresher_uas_refreshes_every_half_interval() {
    let mut sim = Sim::new(7, Transport::Udp, LinkConfig::perfect());
    sim.room.auto_reply = Some(Box::new(|r| {
        (r.method == Method::Update).then(|| {
            (
                200,
                vec![(HeaderName::SessionExpires, "120;refresher=uac".to_string())],
            )
        })
    }));
    let call = sim.establish(&[
        (HeaderName::SessionExpires, "120;refresher=uas"),
        (HeaderName::Supported, "timer"),
    ]);
    // Our 2xx told the room who refreshes.
    let ok = sim.sent_by_gateway("SIP/2.0 200", Some("INVITE"))[0]
        .bytes
        .clone();
    let ok = String::from_utf8_lossy(&ok).to_string();
    assert!(
        ok.contains("Session-Expires: 120;refresher=uas\r\n"),
        "{ok}"
    );
    let answered_at = sim.sent_by_gateway("SIP/2.0 200", Some("INVITE"))[0].at;
    let t0 = (answered_at - sim.start).as_millis();

    sim.run_for(Duration::from_secs(300));
    let updates = sim.sent_by_gateway("UPDATE ", None);
    let at: Vec<u128> = offsets_ms(&sim, &updates)
        .iter()
        .map(|ms| ms - t0)
        .collect();
    // Each refresh restarts the clock when its 2xx arrives (20 ms round trip).
    assert_eq!(at, vec![60_000, 120_020, 180_040, 240_060]);
    for u in &updates {
        let text = String::from_utf8_lossy(&u.bytes).to_string();
        assert!(
            text.contains("Session-Expires: 120;refresher=uac\r\n"),
            "{text}"
        );
        assert!(text.contains("CSeq: "));
    }
    assert!(sim.sent_by_gateway("BYE ", None).is_empty());
    assert_eq!(
        sim.count_events(|e| matches!(e, UaEvent::Terminated { .. })),
        0
    );
    // Refreshes are the UA core's business, not the call layer's.
    assert_eq!(
        sim.count_events(|e| matches!(e, UaEvent::OfferAnswered { .. })),
        0
    );
    assert!(sim.ua.session_timer(call).is_some());
}

#[test]
fn without_update_the_refresh_is_a_reinvite_with_our_last_sdp() {
    let mut sim = Sim::new(8, Transport::Udp, LinkConfig::perfect());
    sim.room.auto_reply = Some(Box::new(|r| {
        (r.method == Method::Invite).then(|| {
            (
                200,
                vec![(HeaderName::SessionExpires, "90;refresher=uac".to_string())],
            )
        })
    }));
    // A room system that does not allow UPDATE.
    let mut req = sim.room.request(Method::Invite, Transport::Udp, None);
    req.headers
        .push(HeaderName::Contact, format!("<sip:room@{}>", sim::ROOM));
    req.headers
        .push(HeaderName::Allow, "INVITE, ACK, CANCEL, BYE");
    req.headers
        .push(HeaderName::SessionExpires, "90;refresher=uas");
    sim.room_send(req);
    assert!(sim.run_until(Duration::from_secs(1), |s| s.incoming_call().is_some()));
    let call = sim.incoming_call().unwrap();
    let now = sim.now;
    sim.ua
        .answer(
            now,
            call,
            roomgate::sip::ua::Reply::sdp(roomgate::sip::StatusCode::OK, sim::GATEWAY_SDP),
        )
        .unwrap();
    sim.run_for(Duration::from_secs(100));
    let reinvites = sim.sent_by_gateway("INVITE ", None);
    assert_eq!(reinvites.len(), 2, "refreshes at 45 s and 90 s");
    let text = String::from_utf8_lossy(&reinvites[0].bytes).to_string();
    assert!(text.ends_with(std::str::from_utf8(sim::GATEWAY_SDP).unwrap()));
    // Each 2xx to our re-INVITE is ACKed by the UA core.
    assert_eq!(sim.sent_by_gateway("ACK ", None).len(), 2);
    assert!(sim.sent_by_gateway("BYE ", None).is_empty());
}
