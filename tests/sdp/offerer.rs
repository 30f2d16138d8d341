//! roomgate as the offerer (RFC 3264 §5, §8): the offer in our 200 to an INVITE without SDP,
//! our re-INVITEs (hold) and dial-out; the peer's answer read back with `accept_answer`.

use roomgate::sdp::{
    accept_answer, answer, offer, AudioCodec, Direction, LocalMedia, OfferAnswerError,
    OfferAnswerState, SessionDescription,
};

fn local() -> LocalMedia {
    LocalMedia::new("127.0.0.1".parse().unwrap(), 20000, Some(20002))
}

fn parse(s: &str) -> SessionDescription {
    SessionDescription::parse(s.as_bytes()).unwrap()
}

fn fixture(name: &str) -> SessionDescription {
    let path = format!(
        "{}/fixtures/sdp/{name}.offer.sdp",
        env!("CARGO_MANIFEST_DIR")
    );
    SessionDescription::parse(&std::fs::read(path).unwrap()).unwrap()
}

/// What a Poly would answer to our offer: G.722, its own telephone-event, H.264 at a lower
/// level, our payload type numbers (RFC 3264 §6.1).
const POLY_ANSWER: &str = "v=0\r\n\
o=GroupSeries 1 1 IN IP4 127.0.0.11\r\n\
s=-\r\n\
c=IN IP4 127.0.0.11\r\n\
t=0 0\r\n\
m=audio 49152 RTP/AVP 9 101\r\n\
a=rtpmap:9 G722/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-15\r\n\
a=ptime:20\r\n\
a=sendrecv\r\n\
m=video 49154 RTP/AVP 96\r\n\
b=AS:1024\r\n\
a=rtpmap:96 H264/90000\r\n\
a=fmtp:96 profile-level-id=42e01f;packetization-mode=1\r\n\
a=rtcp-fb:96 nack pli\r\n\
a=rtcp-fb:96 ccm tmmbr\r\n\
a=sendrecv\r\n";

#[test]
fn our_offer_lists_every_codec_and_is_stable() {
    let mut state = OfferAnswerState::new(31337);
    let o = offer(&local(), &mut state);
    let text = o.to_string();
    assert!(
        text.starts_with("v=0\r\no=roomgate 31337 1 IN IP4 127.0.0.1\r\n"),
        "{text}"
    );
    assert_eq!(o.media.len(), 2);
    let audio = &o.media[0];
    assert_eq!(audio.formats, ["111", "9", "0", "8", "101", "110"]);
    assert_eq!(audio.rtpmap("111").unwrap().to_string(), "111 opus/48000/2");
    assert_eq!(
        audio.rtpmap("101").unwrap().to_string(),
        "101 telephone-event/8000"
    );
    assert_eq!(
        audio.rtpmap("110").unwrap().to_string(),
        "110 telephone-event/48000"
    );
    let video = &o.media[1];
    assert_eq!(video.formats, ["96", "97"]);
    assert_eq!(
        video.fmtp("96").unwrap().params,
        "profile-level-id=42e028;packetization-mode=1"
    );
    assert_eq!(video.rtcp_fb().count(), 6);
    // Round-trips through the parser.
    assert_eq!(parse(&text), o);

    // Nothing changed: same version (RFC 3264 §8).
    let again = offer(&local(), &mut state);
    assert_eq!(again, o);
    assert_eq!(state.last_local(), Some(&o));
    assert_eq!(state.version(), 1);
    // Hold: sendonly, version + 1.
    let mut holding = local();
    holding.direction = Direction::SendOnly;
    let held = offer(&holding, &mut state);
    assert_eq!(held.origin.session_version, 2);
    assert_eq!(held.media[0].direction(&held), Direction::SendOnly);
}

#[test]
fn answer_in_the_ack_gives_the_media_spec() {
    let mut state = OfferAnswerState::new(1);
    let ours = offer(&local(), &mut state);
    let m = accept_answer(&ours, &parse(POLY_ANSWER), &mut state).unwrap();
    assert_eq!(m.audio.codec.encoding, AudioCodec::G722);
    assert_eq!(m.audio.codec.payload_type, 9);
    let te = m.audio.telephone_event.unwrap();
    assert_eq!((te.payload_type, te.clock_rate), (101, 8000));
    assert_eq!(
        m.audio.remote_rtp,
        Some("127.0.0.11:49152".parse().unwrap())
    );
    assert_eq!(
        m.audio.remote_rtcp,
        Some("127.0.0.11:49153".parse().unwrap())
    );
    assert_eq!(m.audio.remote_ptime, Some(20));
    assert_eq!(m.audio.local_port, 20000);
    let v = m.video.unwrap();
    let h = v.h264.unwrap();
    assert_eq!(h.profile_level_id.to_string(), "42e01f");
    assert_eq!(h.packetization_mode, 1);
    assert_eq!(v.remote_bandwidth_kbps, Some(1024));
    // Only feedback both sides listed.
    assert_eq!(v.rtcp_fb.len(), 1);
    assert_eq!(v.rtcp_fb[0].to_string(), "96 nack pli");
    assert!(m.declined.is_empty());
    assert!(!m.remote_hold);
}

#[test]
fn bad_answers_are_refused_or_lose_video() {
    let mut state = OfferAnswerState::new(1);
    let ours = offer(&local(), &mut state);

    // A higher level than we offered breaks RFC 6184 §8.2.2: video is dropped, audio kept.
    let too_high = POLY_ANSWER.replace("42e01f", "42e033");
    let m = accept_answer(&ours, &parse(&too_high), &mut state).unwrap();
    assert!(m.video.is_none());
    assert_eq!(m.declined[0].media, "video");

    // A different packetization mode on the same payload type is not an answer to it.
    let wrong_mode = POLY_ANSWER.replace("packetization-mode=1", "packetization-mode=0");
    assert!(accept_answer(&ours, &parse(&wrong_mode), &mut state)
        .unwrap()
        .video
        .is_none());

    // An answer that drops trailing m-lines (SIPp's UAS does) declines them.
    let video_removed = POLY_ANSWER.split("m=video").next().unwrap().to_owned();
    let m = accept_answer(&ours, &parse(&video_removed), &mut state).unwrap();
    assert!(m.video.is_none());
    assert!(m
        .declined
        .iter()
        .any(|d| d.media == "video" && d.reason == "missing from the answer"));
    // More m-lines than we offered cannot be an answer to us.
    let doubled = format!(
        "{POLY_ANSWER}{}",
        &POLY_ANSWER[POLY_ANSWER.find("m=audio").unwrap()..]
    );
    assert!(matches!(
        accept_answer(&ours, &parse(&doubled), &mut state),
        Err(OfferAnswerError::MediaCountMismatch { .. })
    ));

    let no_audio = POLY_ANSWER.replace("m=audio 49152 RTP/AVP 9 101", "m=audio 0 RTP/AVP 9 101");
    assert_eq!(
        accept_answer(&ours, &parse(&no_audio), &mut state),
        Err(OfferAnswerError::NoCommonAudioCodec)
    );

    // A format we never offered is not accepted (RFC 3264 §6.1).
    let foreign = POLY_ANSWER
        .replace("RTP/AVP 9 101", "RTP/AVP 18 101")
        .replace("rtpmap:9 G722", "rtpmap:18 G729");
    assert_eq!(
        accept_answer(&ours, &parse(&foreign), &mut state),
        Err(OfferAnswerError::NoCommonAudioCodec)
    );
}

#[test]
fn reoffer_keeps_m_lines_and_payload_types_of_the_session() {
    let mut state = OfferAnswerState::new(8);
    let cisco = fixture("cisco_room");
    let (ans, _) = answer(&cisco, &local(), &mut state).unwrap();
    assert_eq!(ans.origin.session_version, 1);

    // Our re-INVITE (say, to put the room system on hold).
    let mut holding = local();
    holding.direction = Direction::SendOnly;
    let re = offer(&holding, &mut state);
    assert_eq!(re.origin.session_version, 2);
    // RFC 3264 §8: every m-line of the session, in order; the declined ones stay at port 0.
    let kinds: Vec<(&str, u16, &str)> = re
        .media
        .iter()
        .map(|m| (m.media.as_str(), m.port, m.proto.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("audio", 20000, "RTP/AVP"),
            ("video", 20002, "RTP/AVP"),
            ("application", 0, "UDP/BFCP"),
            ("video", 0, "RTP/AVP"),
            ("application", 0, "UDP/UDT/IX"),
        ]
    );
    // RFC 3264 §8.3.2: Cisco bound 101 to MP4A-LATM and 107 to telephone-event, 126 to H.264
    // mode 1 and 97 to mode 0; our re-offer must not give those numbers another meaning.
    let audio = &re.media[0];
    assert_eq!(audio.rtpmap("107").unwrap().encoding, "telephone-event");
    assert!(audio.rtpmap("101").is_none());
    assert!(!audio.formats.contains(&"101".to_string()));
    let video = &re.media[1];
    assert_eq!(video.formats, ["126", "97"]);
    assert_eq!(
        video.fmtp("126").unwrap().get("packetization-mode"),
        Some("1")
    );
    assert_eq!(
        video.fmtp("97").unwrap().get("packetization-mode"),
        Some("0")
    );

    // The room system answers recvonly: we send, it receives; it is not holding us.
    let reply = re
        .to_string()
        .replace("a=sendonly", "a=recvonly")
        .replace("127.0.0.1", "127.0.0.12")
        .replace("o=roomgate", "o=tandberg");
    let m = accept_answer(&re, &parse(&reply), &mut state).unwrap();
    assert_eq!(m.audio.direction, Direction::SendOnly);
    assert!(!m.remote_hold);
    assert_eq!(m.declined.len(), 3);
}

#[test]
fn ipv6_answer_and_offer() {
    let v6 = LocalMedia::new("::1".parse().unwrap(), 20000, None);
    let offer_v6 = parse(
        "v=0\r\no=- 1 1 IN IP6 ::1\r\ns=-\r\nc=IN IP6 ::1\r\nt=0 0\r\n\
         m=audio 30000 RTP/AVP 0 8\r\na=rtcp:30001 IN IP6 ::1\r\n\
         m=video 30002 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n",
    );
    let mut state = OfferAnswerState::new(6);
    let (ans, m) = answer(&offer_v6, &v6, &mut state).unwrap();
    let text = ans.to_string();
    assert!(text.contains("o=roomgate 6 1 IN IP6 ::1\r\n"), "{text}");
    assert!(text.contains("c=IN IP6 ::1\r\n"), "{text}");
    assert!(
        text.contains("m=video 0 RTP/AVP 96\r\n"),
        "video disabled: {text}"
    );
    assert_eq!(m.audio.remote_rtp, Some("[::1]:30000".parse().unwrap()));
    assert_eq!(m.audio.remote_rtcp, Some("[::1]:30001".parse().unwrap()));
    assert_eq!(m.declined[0].reason, "video is disabled");
    let o = offer(&v6, &mut state);
    assert_eq!(o.connection.as_ref().unwrap().addrtype, "IP6");
}
