//! A proxy that challenges our INVITE with 407 (RFC 3261 §22.3): the UA core ACKs the 407,
//! re-sends the INVITE with the same Call-ID and From tag, the next CSeq, a new branch and a
//! Proxy-Authorization answering the challenge; without credentials the call ends with 407.

use crate::sim;

use bytes::Bytes;
use roomgate::sip::digest::Credential;
use roomgate::sip::header::{AuthHeader, TypedHeader};
use roomgate::sip::message::{HeaderName, Method, Request, Response, StatusCode};
use roomgate::sip::transaction::{TransactionId, Transport};
use roomgate::sip::ua::{Dial, EndReason, UaConfig, UaEvent};
use sim::{room_peer, LinkConfig, Sim, GATEWAY_SDP, ROOM};
use std::time::Duration;

fn sim(credentials: Vec<Credential>) -> Sim {
    let cfg = UaConfig {
        credentials,
        ..UaConfig::default()
    };
    let mut sim = Sim::with_config(7, Transport::Udp, LinkConfig::perfect(), cfg);
    let now = sim.now;
    sim.ua
        .dial(
            now,
            Dial {
                target: format!("sip:room@{ROOM}"),
                from: "sip:1000@127.0.0.1".into(),
                destination: room_peer(Transport::Udp),
                sdp: Bytes::from_static(GATEWAY_SDP),
                ring_timeout: Duration::from_secs(60),
            },
        )
        .unwrap();
    sim.pump();
    sim
}

fn invites(sim: &mut Sim, n: usize) -> Vec<(TransactionId, Request)> {
    assert!(
        sim.run_until(Duration::from_secs(5), |s| s
            .room_requests()
            .iter()
            .filter(|(_, r)| r.method == Method::Invite)
            .count()
            >= n),
        "fewer than {n} INVITEs"
    );
    sim.room_requests()
        .into_iter()
        .filter(|(_, r)| r.method == Method::Invite)
        .collect()
}

fn challenge(sim: &mut Sim, id: TransactionId, req: &Request) {
    let mut resp = Response::from_request(req, StatusCode(407))
        .with_to_tag("proxytag")
        .unwrap();
    resp.headers.push(
        HeaderName::ProxyAuthenticate,
        "Digest realm=\"proxy.example\", nonce=\"4c2b9a\", qop=\"auth\", algorithm=SHA-256",
    );
    let now = sim.now;
    sim.room.layer.send_response(now, id, resp).unwrap();
    sim.pump();
}

fn header(r: &Request, name: HeaderName) -> &Bytes {
    r.headers.get(&name).expect("header present")
}

#[test]
fn challenged_invite_is_resent_with_proxy_authorization() {
    let mut sim = sim(vec![Credential {
        realm: Some("proxy.example".into()),
        username: "roomgate".into(),
        password: "pw".into(),
    }]);
    let first = invites(&mut sim, 1).remove(0);
    challenge(&mut sim, first.0, &first.1);
    let all = invites(&mut sim, 2);
    let (old, new) = (&all[0].1, &all[1].1);
    assert_eq!(
        header(old, HeaderName::CallId),
        header(new, HeaderName::CallId)
    );
    assert_eq!(header(old, HeaderName::From), header(new, HeaderName::From));
    assert_ne!(header(old, HeaderName::Via), header(new, HeaderName::Via));
    let seq = |r: &Request| r.cseq().unwrap().seq;
    assert_eq!(seq(new), seq(old) + 1);
    assert_eq!(new.body, old.body);
    let auth = AuthHeader::parse(header(new, HeaderName::ProxyAuthorization)).unwrap();
    assert_eq!(auth.param("username").as_deref(), Some("roomgate"));
    assert_eq!(auth.param("realm").as_deref(), Some("proxy.example"));
    assert_eq!(auth.param("algorithm").as_deref(), Some("SHA-256"));
    assert_eq!(
        auth.param("uri").as_deref(),
        Some(&*format!("sip:room@{ROOM}"))
    );
    assert_eq!(auth.param("response").map(|r| r.len()), Some(64));
    assert!(new.headers.get(&HeaderName::Authorization).is_none());
    // The call goes on (the 407's ACK belongs to the transaction layer, §17.1.1.3).
    assert!(!sim
        .ua_events
        .iter()
        .any(|(_, e)| matches!(e, UaEvent::Terminated { .. })));
}

#[test]
fn without_credentials_the_call_ends_with_the_challenge_status() {
    let mut sim = sim(Vec::new());
    let first = invites(&mut sim, 1).remove(0);
    challenge(&mut sim, first.0, &first.1);
    assert!(
        sim.run_until(Duration::from_secs(5), |s| s.ua_events.iter().any(
            |(_, e)| {
                matches!(
                    e,
                    UaEvent::Terminated {
                        reason: EndReason::Refused(StatusCode(407)),
                        ..
                    }
                )
            }
        ))
    );
    assert_eq!(invites(&mut sim, 1).len(), 1);
}
