//! RFC 4028 §10: when the room system is the refresher and stops refreshing, roomgate sends
//! BYE before the session expires (interval minus min(32 s, interval/3)); each refresh it
//! does send pushes that moment back.

use crate::sim;

use roomgate::sip::message::{HeaderName, Method};
use roomgate::sip::transaction::Transport;
use roomgate::sip::ua::{EndReason, UaEvent};
use sim::{offsets_ms, LinkConfig, Sim};
use std::time::Duration;

#[test]
fn unrefreshed_session_is_ended_with_bye() {
    let mut sim = Sim::new(9, Transport::Udp, LinkConfig::perfect());
    sim.establish(&[
        (HeaderName::SessionExpires, "90;refresher=uac"),
        (HeaderName::Supported, "timer"),
    ]);
    let ok = sim.sent_by_gateway("SIP/2.0 200", Some("INVITE"))[0];
    let text = String::from_utf8_lossy(&ok.bytes).to_string();
    assert!(
        text.contains("Session-Expires: 90;refresher=uac\r\n"),
        "{text}"
    );
    assert!(text.contains("Require: timer\r\n"), "{text}");
    let t0 = (ok.at - sim.start).as_millis();

    // The room refreshes once with a bare UPDATE at 45 s, then goes quiet.
    sim.run_for(Duration::from_secs(45) - (sim.now - ok.at));
    let mut update = sim.room_in_dialog(Method::Update);
    update
        .headers
        .push(HeaderName::SessionExpires, "90;refresher=uac");
    update.headers.push(HeaderName::Supported, "timer");
    sim.room_send(update);
    sim.run_for(Duration::from_secs(200));

    let refresh_ok = sim.sent_by_gateway("SIP/2.0 200", Some("UPDATE"));
    assert_eq!(refresh_ok.len(), 1);
    let refreshed_at = (refresh_ok[0].at - sim.start).as_millis() - t0;
    let byes = sim.sent_by_gateway("BYE ", None);
    assert_eq!(byes.len(), 1);
    // 90 - min(32, 30) = 60 s after the last refresh, not after the 2xx.
    assert_eq!(offsets_ms(&sim, &byes)[0] - t0, refreshed_at + 60_000);
    let reasons: Vec<_> = sim
        .ua_events
        .iter()
        .filter_map(|(_, e)| match e {
            UaEvent::Terminated { reason, .. } => Some(*reason),
            _ => None,
        })
        .collect();
    assert_eq!(reasons, vec![EndReason::SessionExpired]);
    assert_eq!(sim.ua.call_count(), 0);
}

#[test]
fn session_expires_below_min_se_gets_422() {
    let mut sim = Sim::new(10, Transport::Udp, LinkConfig::perfect());
    sim.room_invite(&[(HeaderName::SessionExpires, "60")]);
    sim.run_for(Duration::from_secs(1));
    let responses = sim.room_responses();
    let last = responses.last().unwrap();
    assert_eq!(last.status.0, 422);
    assert_eq!(
        last.headers.get(&HeaderName::MinSe).map(|v| v.as_ref()),
        Some(&b"90"[..])
    );
    assert!(sim.ua_events.is_empty());
}
