//! The UA core's own tests: a UAS answering requests crafted here, driven in simulated time.

use super::*;
use crate::sip::codec;
use crate::sip::dialog::Refresher;
use crate::sip::transaction::Transport;
use rand::SeedableRng;

const SRC: &str = "127.0.0.2:5062";

struct T {
    ua: UserAgent,
    now: Instant,
    branch: u32,
}

impl T {
    fn new() -> T {
        T {
            ua: UserAgent::new(UaConfig::default(), SmallRng::seed_from_u64(7)),
            now: Instant::now(),
            branch: 0,
        }
    }

    fn req(&mut self, method: Method, cseq: u32, to_tag: Option<&str>) -> Request {
        self.branch += 1;
        let mut h = crate::sip::Headers::new();
        h.push(
            HeaderName::Via,
            format!("SIP/2.0/UDP {SRC};branch=z9hG4bKt{};rport", self.branch),
        );
        h.push(HeaderName::MaxForwards, "70");
        h.push(HeaderName::From, format!("<sip:room@{SRC}>;tag=rt"));
        h.push(
            HeaderName::To,
            match to_tag {
                Some(t) => format!("<sip:1000@127.0.0.1>;tag={t}"),
                None => "<sip:1000@127.0.0.1>".to_string(),
            },
        );
        h.push(HeaderName::CallId, "unit-call");
        h.push(HeaderName::CSeq, format!("{cseq} {method}"));
        if method == Method::Invite {
            h.push(HeaderName::Contact, format!("<sip:room@{SRC}>"));
        }
        Request {
            method,
            uri: Bytes::from_static(b"sip:1000@127.0.0.1"),
            headers: h,
            body: Bytes::new(),
        }
    }

    fn feed(&mut self, r: Request) {
        let _ = self.ua.handle_message(
            self.now,
            Message::Request(r),
            Peer::new(Transport::Udp, SRC.parse().unwrap()),
        );
    }

    fn sent(&mut self) -> Vec<Message> {
        let mut v = Vec::new();
        while let Some(t) = self.ua.poll_transmit() {
            v.push(codec::parse(t.payload).expect("we print parseable SIP"));
        }
        v
    }

    fn statuses(&mut self) -> Vec<u16> {
        self.sent()
            .iter()
            .filter_map(|m| match m {
                Message::Response(r) => Some(r.status.0),
                _ => None,
            })
            .collect()
    }

    fn events(&mut self) -> Vec<UaEvent> {
        let mut v = Vec::new();
        while let Some(e) = self.ua.poll_event() {
            v.push(e);
        }
        v
    }

    /// INVITE (CSeq 5), answered 200, ACKed. Returns the call and our To tag.
    fn establish(&mut self) -> (CallHandle, String) {
        let inv = self.req(Method::Invite, 5, None);
        self.feed(inv);
        let call = match self.events().as_slice() {
            [UaEvent::IncomingCall { call, .. }] => *call,
            e => panic!("{e:?}"),
        };
        let now = self.now;
        self.ua
            .answer(now, call, Reply::sdp(StatusCode::OK, &b"v=0\r\n"[..]))
            .unwrap();
        let ok = self.sent().pop().unwrap();
        let tag = ok.headers().to().unwrap().tag().unwrap().to_string();
        let ack = self.req(Method::Ack, 5, Some(&tag));
        self.feed(ack);
        assert!(matches!(
            self.events().as_slice(),
            [UaEvent::Confirmed { .. }]
        ));
        (call, tag)
    }
}

#[test]
fn unknown_method_gets_405_with_allow() {
    let mut t = T::new();
    let r = t.req(Method::Subscribe, 1, None);
    t.feed(r);
    let sent = t.sent();
    let Message::Response(r) = &sent[0] else {
        panic!()
    };
    assert_eq!(r.status.0, 405);
    assert_eq!(r.headers.get(&HeaderName::Allow).unwrap(), ALLOW);
    assert!(t.events().is_empty());
}

#[test]
fn unknown_request_uri_scheme_gets_416() {
    let mut t = T::new();
    let mut r = t.req(Method::Options, 1, None);
    r.uri = Bytes::from_static(b"soap.beep://127.0.0.1:3002");
    t.feed(r);
    assert_eq!(t.statuses(), vec![416]);
}

#[test]
fn max_forwards_zero_gets_483_except_options() {
    let mut t = T::new();
    let mut r = t.req(Method::Invite, 1, None);
    r.headers.set(HeaderName::MaxForwards, "0");
    t.feed(r);
    assert_eq!(t.statuses(), vec![483]);
    let mut r = t.req(Method::Options, 2, None);
    r.headers.set(HeaderName::MaxForwards, "0");
    t.feed(r);
    assert_eq!(t.statuses(), vec![200]);
}

#[test]
fn unknown_require_gets_420_with_unsupported() {
    let mut t = T::new();
    let mut r = t.req(Method::Invite, 1, None);
    r.headers.push(HeaderName::Require, "timer, 100rel, foo");
    t.feed(r);
    let sent = t.sent();
    let Message::Response(r) = &sent[0] else {
        panic!()
    };
    assert_eq!(r.status.0, 420);
    assert_eq!(
        r.headers.get(&HeaderName::Unsupported).unwrap(),
        "100rel, foo"
    );
    let mut ok = t.req(Method::Invite, 2, None);
    ok.headers.push(HeaderName::Require, "timer");
    t.feed(ok);
    assert!(matches!(
        t.events().as_slice(),
        [UaEvent::IncomingCall { .. }]
    ));
}

#[test]
fn requests_for_unknown_dialogs_get_481() {
    let mut t = T::new();
    let r = t.req(Method::Bye, 1, Some("nosuchtag"));
    t.feed(r);
    let r = t.req(Method::Bye, 1, None);
    t.feed(r);
    let r = t.req(Method::Info, 1, Some("x"));
    t.feed(r);
    assert_eq!(t.statuses(), vec![481, 481, 481]);
}

#[test]
fn message_outside_a_dialog_is_refused_not_481() {
    // RFC 3428: a MESSAGE needs no dialog; ours are taken only in a participant's call.
    let mut t = T::new();
    let r = t.req(Method::Message, 1, None);
    t.feed(r);
    assert_eq!(t.statuses(), vec![403]);
}

#[test]
fn merged_invite_gets_482() {
    let mut t = T::new();
    let a = t.req(Method::Invite, 1, None);
    t.feed(a);
    // Same From tag, Call-ID and CSeq, another branch: it forked upstream (§8.2.2.2).
    let b = t.req(Method::Invite, 1, None);
    t.feed(b);
    assert_eq!(t.statuses(), vec![482]);
    assert_eq!(t.events().len(), 1);
}

#[test]
fn options_out_of_dialog_lists_capabilities() {
    let mut t = T::new();
    let r = t.req(Method::Options, 1, None);
    t.feed(r);
    let sent = t.sent();
    let Message::Response(r) = &sent[0] else {
        panic!()
    };
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers.get(&HeaderName::Allow).unwrap(), ALLOW);
    assert_eq!(
        r.headers.get(&HeaderName::Accept).unwrap(),
        "application/sdp"
    );
    assert_eq!(
        r.headers.get(&HeaderName::Supported).unwrap(),
        "timer, from-change"
    );
    assert!(r.headers.to().unwrap().tag().is_some());
}

#[test]
fn lower_cseq_in_dialog_gets_500_and_info_is_passed_up() {
    let mut t = T::new();
    let (call, tag) = t.establish();
    t.sent();
    let old = t.req(Method::Info, 3, Some(&tag));
    t.feed(old);
    assert_eq!(t.statuses(), vec![500]);
    let mut info = t.req(Method::Info, 6, Some(&tag));
    info.headers
        .push(HeaderName::ContentType, "application/dtmf-relay");
    info.body = Bytes::from_static(b"Signal=5\r\nDuration=160\r\n");
    t.feed(info);
    assert_eq!(t.statuses(), vec![200]);
    assert_eq!(
        t.events(),
        vec![UaEvent::Info {
            call,
            content_type: "application/dtmf-relay".into(),
            body: Bytes::from_static(b"Signal=5\r\nDuration=160\r\n"),
        }]
    );
    let mut bad = t.req(Method::Info, 7, Some(&tag));
    bad.headers.push(HeaderName::ContentType, "text/plain");
    bad.body = Bytes::from_static(b"hello");
    t.feed(bad);
    assert_eq!(t.statuses(), vec![415]);
}

#[test]
fn reinvite_offer_answer_and_ack() {
    let mut t = T::new();
    let (call, tag) = t.establish();
    t.sent();
    let mut re = t.req(Method::Invite, 6, Some(&tag));
    re.headers
        .set(HeaderName::Contact, "<sip:room@127.0.0.3:5062>");
    re.headers.push(HeaderName::ContentType, "application/sdp");
    re.body = Bytes::from_static(b"v=0\r\na=sendonly\r\n");
    t.feed(re);
    assert_eq!(
        t.events(),
        vec![UaEvent::Offer {
            call,
            method: Method::Invite,
            body: Bytes::from_static(b"v=0\r\na=sendonly\r\n"),
        }]
    );
    // The target refresh moved the remote target (§12.2.2).
    assert_eq!(
        t.ua.dialog(call).unwrap().remote_target(),
        "sip:room@127.0.0.3:5062"
    );
    // A second INVITE while the first is unanswered: 500 with Retry-After (§14.2).
    let again = t.req(Method::Invite, 7, Some(&tag));
    t.feed(again);
    let sent = t.sent();
    let Message::Response(r) = sent.last().unwrap() else {
        panic!()
    };
    assert_eq!(r.status.0, 500);
    assert!(r.headers.get(&HeaderName::RetryAfter).is_some());

    let now = t.now;
    t.ua.answer_offer(
        now,
        call,
        Reply::sdp(StatusCode::OK, &b"v=0\r\na=recvonly\r\n"[..]),
    )
    .unwrap();
    let sent = t.sent();
    let Message::Response(ok) = &sent[0] else {
        panic!()
    };
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(&ok.body[..], b"v=0\r\na=recvonly\r\n");
    let ack = t.req(Method::Ack, 6, Some(&tag));
    t.feed(ack);
    assert_eq!(
        t.events(),
        vec![UaEvent::OfferAcked {
            call,
            ack_body: Bytes::new()
        }]
    );
}

#[test]
fn update_offer_goes_to_the_call_layer_and_bare_update_refreshes() {
    let mut t = T::new();
    let (call, tag) = t.establish();
    t.sent();
    let mut up = t.req(Method::Update, 6, Some(&tag));
    up.headers.push(HeaderName::ContentType, "application/sdp");
    up.body = Bytes::from_static(b"v=0\r\na=inactive\r\n");
    t.feed(up);
    assert_eq!(
        t.events(),
        vec![UaEvent::Offer {
            call,
            method: Method::Update,
            body: Bytes::from_static(b"v=0\r\na=inactive\r\n"),
        }]
    );
    // Our own offer cannot start while theirs is pending (§14.1).
    let now = t.now;
    assert_eq!(
        t.ua.update(now, call, Bytes::from_static(b"v=0\r\n")),
        Err(UaError::OfferPending)
    );
    t.ua.answer_offer(now, call, Reply::sdp(StatusCode::OK, &b"v=0\r\n"[..]))
        .unwrap();
    assert_eq!(t.statuses(), vec![200]);
    // A bare UPDATE (RFC 4028 §7.4 refresh) is answered by the core alone.
    let mut bare = t.req(Method::Update, 7, Some(&tag));
    bare.headers
        .push(HeaderName::SessionExpires, "1800;refresher=uac");
    t.feed(bare);
    let sent = t.sent();
    let Message::Response(r) = &sent[0] else {
        panic!()
    };
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.headers.get(&HeaderName::SessionExpires).unwrap(),
        "1800;refresher=uac"
    );
    assert_eq!(r.headers.get(&HeaderName::Require).unwrap(), "timer");
    assert!(t.events().is_empty());
    assert_eq!(
        t.ua.session_timer(call).map(|s| s.refresher),
        Some(Refresher::Them)
    );
}

#[test]
fn options_and_message_inside_the_dialog() {
    let mut t = T::new();
    let (call, tag) = t.establish();
    t.sent();
    let o = t.req(Method::Options, 6, Some(&tag));
    t.feed(o);
    let sent = t.sent();
    let Message::Response(r) = &sent[0] else {
        panic!()
    };
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers.get(&HeaderName::Allow).unwrap(), ALLOW);
    assert_eq!(r.headers.to().unwrap().tag(), Some(tag.as_str()));
    let mut m = t.req(Method::Message, 7, Some(&tag));
    m.headers.push(HeaderName::ContentType, "text/plain");
    m.body = Bytes::from_static(b"hello room");
    t.feed(m);
    assert_eq!(t.statuses(), vec![200]);
    assert_eq!(
        t.events(),
        vec![UaEvent::Message {
            call,
            content_type: "text/plain".into(),
            body: Bytes::from_static(b"hello room"),
        }]
    );
}

#[test]
fn hangup_before_the_ack_waits_for_it() {
    let mut t = T::new();
    let inv = t.req(Method::Invite, 1, None);
    t.feed(inv);
    let Some(UaEvent::IncomingCall { call, .. }) = t.events().pop() else {
        panic!()
    };
    let now = t.now;
    t.ua.answer(now, call, Reply::new(StatusCode::OK)).unwrap();
    let tag = t.sent()[0]
        .headers()
        .to()
        .unwrap()
        .tag()
        .unwrap()
        .to_string();
    t.ua.hangup(now, call).unwrap();
    assert!(t.sent().is_empty(), "§15: no BYE before the ACK");
    assert_eq!(t.ua.state(call), Some(CallState::Answered));
    let ack = t.req(Method::Ack, 1, Some(&tag));
    t.feed(ack);
    let sent = t.sent();
    assert!(matches!(&sent[0], Message::Request(r) if r.method == Method::Bye));
    assert_eq!(t.ua.state(call), Some(CallState::Ending));
    assert_eq!(
        t.events(),
        vec![
            UaEvent::Confirmed {
                call,
                ack_body: Bytes::new()
            },
            UaEvent::Terminated {
                call,
                reason: EndReason::LocalHangup
            }
        ]
    );
}

#[test]
fn cancelled_reinvite_gets_487() {
    let mut t = T::new();
    let (call, tag) = t.establish();
    t.sent();
    let mut re = t.req(Method::Invite, 6, Some(&tag));
    re.body = Bytes::from_static(b"v=0\r\n");
    let mut cancel = re.clone();
    t.feed(re);
    t.events();
    cancel.method = Method::Cancel;
    cancel.headers.set(HeaderName::CSeq, "6 CANCEL");
    cancel.body = Bytes::new();
    t.feed(cancel);
    let mut st = t.statuses();
    st.sort();
    assert_eq!(st, vec![200, 487]);
    assert_eq!(t.events(), vec![UaEvent::OfferCancelled { call }]);
    let now = t.now;
    assert!(t
        .ua
        .answer_offer(now, call, Reply::new(StatusCode::OK))
        .is_err());
}

#[test]
fn remote_bye_ends_the_call_once() {
    let mut t = T::new();
    let (call, tag) = t.establish();
    t.sent();
    let bye = t.req(Method::Bye, 6, Some(&tag));
    t.feed(bye.clone());
    assert_eq!(t.statuses(), vec![200]);
    // A retransmission is absorbed by the transaction: same 200, no new event.
    t.feed(bye);
    assert_eq!(t.statuses(), vec![200]);
    assert_eq!(
        t.events(),
        vec![UaEvent::Terminated {
            call,
            reason: EndReason::RemoteBye
        }]
    );
    let info = t.req(Method::Info, 7, Some(&tag));
    t.feed(info);
    assert_eq!(t.statuses(), vec![481]);
    assert_eq!(t.ua.call_count(), 0);
    let now = t.now;
    assert_eq!(t.ua.hangup(now, call), Err(UaError::NoSuchCall));
}

#[test]
fn refused_info_is_reported_and_481_ends_the_call() {
    let mut t = T::new();
    let (call, _) = t.establish();
    t.sent();
    let now = t.now;
    for (status, ends) in [(415u16, false), (481, true)] {
        t.ua.info(
            now,
            call,
            "application/dtmf-relay",
            Bytes::from_static(b"Signal=1\r\n"),
        )
        .unwrap();
        let Some(Message::Request(info)) = t.sent().pop() else {
            panic!()
        };
        let resp = Response::from_request(&info, StatusCode(status));
        let src = Peer::new(Transport::Udp, SRC.parse().unwrap());
        t.ua.handle_message(now, Message::Response(resp), src)
            .unwrap();
        let ev = t.events();
        if ends {
            assert_eq!(
                ev,
                vec![UaEvent::Terminated {
                    call,
                    reason: EndReason::DialogLost
                }]
            );
            assert_eq!(t.ua.call_count(), 0);
        } else {
            assert_eq!(
                ev,
                vec![UaEvent::RequestFailed {
                    call,
                    method: Method::Info,
                    status: StatusCode(415)
                }]
            );
        }
    }
}

#[test]
fn ipv6_responses_follow_rport_or_the_connection() {
    let mut ua = UserAgent::new(UaConfig::default(), SmallRng::seed_from_u64(9));
    let now = Instant::now();
    for (transport, via, expect) in [
        (
            Transport::Udp,
            "SIP/2.0/UDP [2001:db8::7]:5070;branch=z9hG4bKv6a",
            "[2001:db8::7]:5070",
        ),
        (
            Transport::Udp,
            "SIP/2.0/UDP [2001:db8::7]:5070;branch=z9hG4bKv6b;rport",
            "[2001:db8::7]:41000",
        ),
        (
            Transport::Tcp,
            "SIP/2.0/TCP [2001:db8::7]:5070;branch=z9hG4bKv6c",
            "[2001:db8::7]:41000",
        ),
    ] {
        let mut h = crate::sip::Headers::new();
        h.push(HeaderName::Via, via);
        h.push(HeaderName::From, "<sip:room@[2001:db8::7]>;tag=v6");
        h.push(HeaderName::To, "<sip:1000@[2001:db8::1]>");
        h.push(HeaderName::CallId, format!("v6-{}", via.len()));
        h.push(HeaderName::CSeq, "1 OPTIONS");
        let req = Request {
            method: Method::Options,
            uri: Bytes::from_static(b"sip:1000@[2001:db8::1]"),
            headers: h,
            body: Bytes::new(),
        };
        let source = Peer::new(transport, "[2001:db8::7]:41000".parse().unwrap());
        ua.handle_message(now, Message::Request(req), source)
            .unwrap();
        let t = ua.poll_transmit().unwrap();
        assert_eq!(t.destination.addr, expect.parse().unwrap(), "{via}");
        assert_eq!(t.destination.transport, transport);
        let resp = codec::parse(t.payload).unwrap();
        let v = resp.headers().via().unwrap();
        if via.ends_with("rport") {
            assert_eq!(v.rport(), Some(Some(41000)));
            assert_eq!(v.received(), Some("2001:db8::7"));
        }
    }
}

#[test]
fn answering_twice_is_refused() {
    let mut t = T::new();
    let inv = t.req(Method::Invite, 1, None);
    t.feed(inv);
    let Some(UaEvent::IncomingCall { call, .. }) = t.events().pop() else {
        panic!()
    };
    let now = t.now;
    t.ua.answer(now, call, Reply::new(StatusCode::RINGING))
        .unwrap();
    t.ua.answer(now, call, Reply::new(StatusCode::OK)).unwrap();
    assert!(matches!(
        t.ua.answer(now, call, Reply::new(StatusCode::OK)),
        Err(UaError::InvalidState(_))
    ));
    let sent = t.sent();
    // 180 and 200 carry the same To tag and a Contact (§12.1.1).
    let tags: Vec<_> = sent
        .iter()
        .map(|m| m.headers().to().unwrap().tag().unwrap().to_string())
        .collect();
    assert_eq!(tags[0], tags[1]);
    assert!(sent
        .iter()
        .all(|m| m.headers().get(&HeaderName::Contact).is_some()));
}
