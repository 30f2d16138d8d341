//! Unit tests of the four transaction state machines through the layer.

use super::*;
use crate::sip::message::{HeaderName, Headers};
use std::time::Duration;

fn peer(t: Transport) -> Peer {
    Peer::new(t, "192.0.2.10:5062".parse().unwrap())
}

fn request(method: Method, branch: &str, transport: Transport) -> Request {
    let mut h = Headers::new();
    h.push(
        HeaderName::Via,
        format!(
            "SIP/2.0/{} 192.0.2.10:5062;branch={branch}",
            transport.via_token()
        ),
    );
    h.push(HeaderName::From, "<sip:room@example.com>;tag=f1");
    h.push(HeaderName::To, "<sip:1000@gw.example.com>");
    h.push(HeaderName::CallId, "call-1");
    h.push(HeaderName::CSeq, format!("1 {method}"));
    h.push(HeaderName::MaxForwards, "70");
    Request {
        method,
        uri: Bytes::from_static(b"sip:1000@gw.example.com"),
        headers: h,
        body: Bytes::new(),
    }
}

fn response(req: &Request, code: u16) -> Response {
    let mut r = wire::response_to(req, StatusCode(code));
    wire::set_to_tag(&mut r.headers, "t1");
    r
}

fn drain(l: &mut TransactionLayer) -> (Vec<Transmit>, Vec<Event>) {
    let mut t = Vec::new();
    let mut e = Vec::new();
    while let Some(x) = l.poll_transmit() {
        t.push(x);
    }
    while let Some(x) = l.poll_event() {
        e.push(x);
    }
    (t, e)
}

fn first_line(t: &Transmit) -> String {
    let s = String::from_utf8_lossy(&t.payload);
    s.lines().next().unwrap_or("").to_string()
}

fn new_server(
    l: &mut TransactionLayer,
    now: Instant,
    req: &Request,
    transport: Transport,
) -> TransactionId {
    l.handle_request(now, req.clone(), peer(transport)).unwrap();
    let (_, ev) = drain(l);
    match ev.as_slice() {
        [Event::Request { id, .. }] => *id,
        other => panic!("expected one new request, got {other:?}"),
    }
}

#[test]
fn non_invite_server_absorbs_then_resends_final() {
    let t0 = Instant::now();
    let mut l = TransactionLayer::new(TimerConfig::default());
    let req = request(Method::Options, "z9hG4bKopt", Transport::Udp);
    let id = new_server(&mut l, t0, &req, Transport::Udp);
    // Trying: a retransmission is absorbed silently.
    l.handle_request(t0, req.clone(), peer(Transport::Udp))
        .unwrap();
    assert_eq!(drain(&mut l), (vec![], vec![]));
    l.send_response(t0, id, response(&req, 200)).unwrap();
    let (tx, _) = drain(&mut l);
    assert_eq!(tx.len(), 1);
    // Completed: the retransmission gets the final response again.
    l.handle_request(t0, req.clone(), peer(Transport::Udp))
        .unwrap();
    let (tx2, ev) = drain(&mut l);
    assert!(ev.is_empty());
    assert_eq!(tx2, tx);
    assert_eq!(
        l.send_response(t0, id, response(&req, 200)),
        Err(TransactionError::InvalidState)
    );
    // Timer J = 64*T1 ends it.
    assert_eq!(l.poll_timeout(), Some(t0 + Duration::from_secs(32)));
    l.handle_timeout(t0 + Duration::from_secs(32));
    assert!(l.is_empty());
    assert_eq!(l.poll_timeout(), None);
}

#[test]
fn non_invite_server_on_tcp_ends_at_the_final_response() {
    let t0 = Instant::now();
    let mut l = TransactionLayer::new(TimerConfig::default());
    let req = request(Method::Bye, "z9hG4bKbye", Transport::Tcp);
    let id = new_server(&mut l, t0, &req, Transport::Tcp);
    l.send_response(t0, id, response(&req, 200)).unwrap();
    assert!(l.is_empty());
}

#[test]
fn invite_server_sends_100_trying_after_200ms_unless_answered() {
    let t0 = Instant::now();
    let mut l = TransactionLayer::new(TimerConfig::default());
    let req = request(Method::Invite, "z9hG4bKinv", Transport::Udp);
    let _id = new_server(&mut l, t0, &req, Transport::Udp);
    assert_eq!(l.poll_timeout(), Some(t0 + Duration::from_millis(200)));
    l.handle_timeout(t0 + Duration::from_millis(199));
    assert_eq!(drain(&mut l).0.len(), 0);
    l.handle_timeout(t0 + Duration::from_millis(200));
    let (tx, _) = drain(&mut l);
    assert_eq!(first_line(&tx[0]), "SIP/2.0 100 Trying");
    // A retransmitted INVITE gets the 100 again.
    l.handle_request(t0, req.clone(), peer(Transport::Udp))
        .unwrap();
    assert_eq!(first_line(&drain(&mut l).0[0]), "SIP/2.0 100 Trying");

    let req2 = request(Method::Invite, "z9hG4bKinv2", Transport::Udp);
    let id2 = new_server(&mut l, t0, &req2, Transport::Udp);
    l.send_response(t0, id2, response(&req2, 180)).unwrap();
    drain(&mut l);
    l.handle_timeout(t0 + Duration::from_secs(1));
    let (tx, _) = drain(&mut l);
    assert!(tx.iter().all(|t| !first_line(t).contains("100")));
}

#[test]
fn invite_server_retransmits_error_with_g_until_ack() {
    let t0 = Instant::now();
    let mut l = TransactionLayer::new(TimerConfig::default());
    let req = request(Method::Invite, "z9hG4bKg", Transport::Udp);
    let id = new_server(&mut l, t0, &req, Transport::Udp);
    l.send_response(t0, id, response(&req, 486)).unwrap();
    drain(&mut l);
    let mut sent = Vec::new();
    let mut now = t0;
    for _ in 0..5 {
        now = l.poll_timeout().unwrap();
        l.handle_timeout(now);
        if !drain(&mut l).0.is_empty() {
            sent.push(now - t0);
        }
    }
    let ms = |m| Duration::from_millis(m);
    assert_eq!(sent, vec![ms(500), ms(1500), ms(3500), ms(7500), ms(11500)]);
    // The ACK (same branch) confirms; no more retransmissions, no event to the TU.
    let mut ack = request(Method::Ack, "z9hG4bKg", Transport::Udp);
    wire::set_to_tag(&mut ack.headers, "t1");
    l.handle_request(now, ack.clone(), peer(Transport::Udp))
        .unwrap();
    assert_eq!(drain(&mut l), (vec![], vec![]));
    // Confirmed absorbs ACK retransmissions until timer I (T4).
    l.handle_request(now, ack, peer(Transport::Udp)).unwrap();
    assert_eq!(drain(&mut l), (vec![], vec![]));
    l.handle_timeout(now + Duration::from_secs(5));
    assert!(l.is_empty());
}

#[test]
fn invite_server_h_fires_when_no_ack() {
    let t0 = Instant::now();
    let mut l = TransactionLayer::new(TimerConfig::default());
    let req = request(Method::Invite, "z9hG4bKh", Transport::Tcp);
    let id = new_server(&mut l, t0, &req, Transport::Tcp);
    l.send_response(t0, id, response(&req, 404)).unwrap();
    drain(&mut l);
    // TCP: no timer G, only H.
    assert_eq!(l.poll_timeout(), Some(t0 + Duration::from_secs(32)));
    l.handle_timeout(t0 + Duration::from_secs(32));
    assert_eq!(drain(&mut l).1, vec![Event::Timeout { id }]);
    assert!(l.is_empty());
}

#[test]
fn invite_server_accepted_absorbs_retransmitted_invite() {
    let t0 = Instant::now();
    let mut l = TransactionLayer::new(TimerConfig::default());
    let req = request(Method::Invite, "z9hG4bKacc", Transport::Udp);
    let id = new_server(&mut l, t0, &req, Transport::Udp);
    l.send_response(t0, id, response(&req, 200)).unwrap();
    drain(&mut l);
    l.handle_request(t0, req.clone(), peer(Transport::Udp))
        .unwrap();
    assert_eq!(drain(&mut l), (vec![], vec![]));
    // The UA core's 2xx retransmission goes through.
    l.send_response(t0, id, response(&req, 200)).unwrap();
    assert_eq!(drain(&mut l).0.len(), 1);
    // The ACK for the 2xx has its own branch: to the TU.
    let ack = request(Method::Ack, "z9hG4bKack2xx", Transport::Udp);
    l.handle_request(t0, ack, peer(Transport::Udp)).unwrap();
    assert!(matches!(drain(&mut l).1.as_slice(), [Event::Ack { .. }]));
    l.handle_timeout(t0 + Duration::from_secs(32));
    assert!(l.is_empty());
}

#[test]
fn non_invite_client_e_doubles_to_t2_then_f_times_out() {
    let t0 = Instant::now();
    let mut l = TransactionLayer::new(TimerConfig::default());
    let req = request(Method::Bye, "z9hG4bKc1", Transport::Udp);
    let id = l.send_request(t0, req, peer(Transport::Udp)).unwrap();
    assert_eq!(drain(&mut l).0.len(), 1);
    let mut at = Vec::new();
    let mut events = Vec::new();
    while let Some(now) = l.poll_timeout() {
        l.handle_timeout(now);
        let (tx, ev) = drain(&mut l);
        if !tx.is_empty() {
            at.push((now - t0).as_millis());
        }
        events.extend(ev);
    }
    assert_eq!(
        &at[..8],
        &[500, 1500, 3500, 7500, 11500, 15500, 19500, 23500]
    );
    assert_eq!(events, vec![Event::Timeout { id }]);
    assert!(l.is_empty());
}

#[test]
fn non_invite_client_completes_and_absorbs_retransmitted_response() {
    let t0 = Instant::now();
    let mut l = TransactionLayer::new(TimerConfig::default());
    let req = request(Method::Info, "z9hG4bKc2", Transport::Udp);
    let id = l
        .send_request(t0, req.clone(), peer(Transport::Udp))
        .unwrap();
    drain(&mut l);
    let resp = response(&req, 200);
    l.handle_response(t0, resp.clone(), peer(Transport::Udp))
        .unwrap();
    assert!(matches!(drain(&mut l).1.as_slice(), [Event::Response { id: i, .. }] if *i == id));
    l.handle_response(t0, resp, peer(Transport::Udp)).unwrap();
    assert_eq!(drain(&mut l), (vec![], vec![]));
    l.handle_timeout(t0 + Duration::from_secs(5));
    assert!(l.is_empty());
}

#[test]
fn invite_client_acks_error_and_reacks_retransmission() {
    let t0 = Instant::now();
    let mut l = TransactionLayer::new(TimerConfig::default());
    let mut req = request(Method::Invite, "z9hG4bKc3", Transport::Udp);
    req.headers
        .push(HeaderName::Route, "<sip:proxy.example.com;lr>");
    l.send_request(t0, req.clone(), peer(Transport::Udp))
        .unwrap();
    drain(&mut l);
    let resp = response(&req, 486);
    l.handle_response(t0, resp.clone(), peer(Transport::Udp))
        .unwrap();
    let (tx, ev) = drain(&mut l);
    assert_eq!(ev.len(), 1);
    let ack = String::from_utf8_lossy(&tx[0].payload).to_string();
    assert!(
        ack.starts_with("ACK sip:1000@gw.example.com SIP/2.0\r\n"),
        "{ack}"
    );
    assert!(ack.contains("CSeq: 1 ACK\r\n"));
    assert!(ack.contains(";tag=t1"));
    assert!(ack.contains("Route: <sip:proxy.example.com;lr>"));
    assert!(ack.contains("branch=z9hG4bKc3"));
    l.handle_response(t0, resp, peer(Transport::Udp)).unwrap();
    let (tx2, ev2) = drain(&mut l);
    assert!(ev2.is_empty());
    assert_eq!(tx2, tx);
    l.handle_timeout(t0 + Duration::from_secs(32));
    assert!(l.is_empty());
}

#[test]
fn invite_client_on_tcp_never_retransmits() {
    let t0 = Instant::now();
    let mut l = TransactionLayer::new(TimerConfig::default());
    let req = request(Method::Invite, "z9hG4bKc4", Transport::Tcp);
    let id = l.send_request(t0, req, peer(Transport::Tcp)).unwrap();
    drain(&mut l);
    assert_eq!(l.poll_timeout(), Some(t0 + Duration::from_secs(32)));
    l.handle_timeout(t0 + Duration::from_secs(32));
    let (tx, ev) = drain(&mut l);
    assert!(tx.is_empty());
    assert_eq!(ev, vec![Event::Timeout { id }]);
}

#[test]
fn responses_follow_rport_and_sent_by_port() {
    let src = Peer::new(Transport::Udp, "203.0.113.9:41000".parse().unwrap());
    let mut h = Headers::new();
    h.push(
        HeaderName::Via,
        "SIP/2.0/UDP 10.0.0.2:5070;branch=z9hG4bKr;rport",
    );
    let via = wire::top_via(&h).unwrap();
    assert_eq!(response_destination(&via, src), src);
    let mut h = Headers::new();
    h.push(HeaderName::Via, "SIP/2.0/UDP 10.0.0.2:5070;branch=z9hG4bKr");
    let via = wire::top_via(&h).unwrap();
    assert_eq!(
        response_destination(&via, src).addr,
        "203.0.113.9:5070".parse().unwrap()
    );
    let tcp = Peer::new(Transport::Tcp, src.addr);
    assert_eq!(response_destination(&via, tcp), tcp);
}

#[test]
fn rfc2543_requests_match_without_magic_cookie() {
    let t0 = Instant::now();
    let mut l = TransactionLayer::new(TimerConfig::default());
    let req = request(Method::Invite, "oldstyle1", Transport::Udp);
    let id = new_server(&mut l, t0, &req, Transport::Udp);
    l.send_response(t0, id, response(&req, 480)).unwrap();
    drain(&mut l);
    l.handle_request(t0, req.clone(), peer(Transport::Udp))
        .unwrap();
    let (tx, ev) = drain(&mut l);
    assert!(ev.is_empty());
    assert_eq!(first_line(&tx[0]), "SIP/2.0 480 Temporarily Unavailable");
    let mut ack = request(Method::Ack, "oldstyle1", Transport::Udp);
    wire::set_to_tag(&mut ack.headers, "t1");
    l.handle_request(t0, ack, peer(Transport::Udp)).unwrap();
    assert_eq!(drain(&mut l), (vec![], vec![]));
}

#[test]
fn cancel_finds_its_invite() {
    let t0 = Instant::now();
    let mut l = TransactionLayer::new(TimerConfig::default());
    for branch in ["z9hG4bKcx", "legacy-branch"] {
        let inv = request(Method::Invite, branch, Transport::Udp);
        let id = new_server(&mut l, t0, &inv, Transport::Udp);
        let cancel = request(Method::Cancel, branch, Transport::Udp);
        l.handle_request(t0, cancel, peer(Transport::Udp)).unwrap();
        let (_, ev) = drain(&mut l);
        let Event::Request { request, .. } = &ev[0] else {
            panic!("{ev:?}")
        };
        assert_eq!(l.find_cancelled_invite(request), Some(id));
        let other = request_with_branch(Method::Cancel, "z9hG4bKnone");
        assert_eq!(l.find_cancelled_invite(&other), None);
    }
}

#[test]
fn after_the_final_response_a_cancel_still_finds_its_invite() {
    let t0 = Instant::now();
    let mut l = TransactionLayer::new(TimerConfig::default());
    for (branch, code) in [
        ("z9hG4bKlate", 200),
        ("legacy-late", 486),
        ("legacy-ok", 200),
    ] {
        let inv = request(Method::Invite, branch, Transport::Udp);
        let id = new_server(&mut l, t0, &inv, Transport::Udp);
        l.send_response(t0, id, response(&inv, code)).unwrap();
        drain(&mut l);
        // Only the matching fields are kept past the final response; the body and the rest
        // of the received message are let go.
        let kept = l.invite_request(id).expect("the transaction lives on");
        assert_eq!(kept.headers.len(), 3);
        assert!(kept.body.is_empty());
        let cancel = request(Method::Cancel, branch, Transport::Udp);
        l.handle_request(t0, cancel, peer(Transport::Udp)).unwrap();
        let (_, ev) = drain(&mut l);
        let Event::Request { request, .. } = &ev[0] else {
            panic!("{ev:?}")
        };
        assert_eq!(l.find_cancelled_invite(request), Some(id), "{branch}");
        assert!(!l.invite_is_proceeding(id));
    }
}

fn request_with_branch(m: Method, b: &str) -> Request {
    request(m, b, Transport::Udp)
}

#[test]
fn malformed_request_gets_400_and_ack_is_never_answered() {
    let t0 = Instant::now();
    let mut l = TransactionLayer::new(TimerConfig::default());
    let mut req = request(Method::Options, "z9hG4bKbad", Transport::Udp);
    req.headers.remove(&HeaderName::CallId);
    assert!(l.handle_request(t0, req, peer(Transport::Udp)).is_err());
    let (tx, ev) = drain(&mut l);
    assert!(first_line(&tx[0]).starts_with("SIP/2.0 400"));
    assert!(ev.is_empty());
    let mut ack = request(Method::Ack, "z9hG4bKbad2", Transport::Udp);
    ack.headers.remove(&HeaderName::CSeq);
    assert!(l.handle_request(t0, ack, peer(Transport::Udp)).is_err());
    assert_eq!(drain(&mut l), (vec![], vec![]));
    let mut no_via = request(Method::Options, "z9hG4bKbad3", Transport::Udp);
    no_via.headers.remove(&HeaderName::Via);
    assert_eq!(
        l.handle_request(t0, no_via, peer(Transport::Udp)),
        Err(TransactionError::MissingVia)
    );
}

#[test]
fn past_the_cap_new_requests_get_503_but_dialogs_are_served() {
    let t0 = Instant::now();
    let mut l = TransactionLayer::new(TimerConfig::default());
    l.set_max_out_of_dialog(2);
    for b in ["z9hG4bKo1", "z9hG4bKo2"] {
        new_server(
            &mut l,
            t0,
            &request(Method::Invite, b, Transport::Udp),
            Transport::Udp,
        );
    }
    let third = request(Method::Invite, "z9hG4bKo3", Transport::Udp);
    assert_eq!(
        l.handle_request(t0, third, peer(Transport::Udp)),
        Err(TransactionError::Overloaded)
    );
    let (tx, ev) = drain(&mut l);
    assert!(first_line(&tx[0]).starts_with("SIP/2.0 503"));
    assert!(String::from_utf8_lossy(&tx[0].payload).contains("Retry-After: 5\r\n"));
    assert!(ev.is_empty());
    // A BYE inside a dialog still gets its transaction.
    let mut bye = request(Method::Bye, "z9hG4bKo4", Transport::Udp);
    wire::set_to_tag(&mut bye.headers, "ours");
    new_server(&mut l, t0, &bye, Transport::Udp);
    // Retransmissions of the admitted INVITEs still match their transactions.
    l.handle_request(
        t0,
        request(Method::Invite, "z9hG4bKo1", Transport::Udp),
        peer(Transport::Udp),
    )
    .unwrap();
    assert_eq!(drain(&mut l).1, vec![]);
}
