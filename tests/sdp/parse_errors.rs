//! Malformed descriptions are refused with an error naming the line (RFC 8866 §5), and never
//! panic; the tolerated deviations (LF line ends, trailing blank lines, empty `s=`) parse.

use roomgate::sdp::{ParseErrorKind, SessionDescription};

const GOOD: &str = "v=0\r\n\
o=- 1 1 IN IP4 127.0.0.5\r\n\
s=-\r\n\
c=IN IP4 127.0.0.5\r\n\
t=0 0\r\n\
m=audio 4000 RTP/AVP 0\r\n\
a=sendrecv\r\n";

fn error(text: &str) -> (usize, char, ParseErrorKind, String) {
    let e = SessionDescription::parse(text.as_bytes()).unwrap_err();
    (e.line, e.kind_letter, e.kind.clone(), e.to_string())
}

#[test]
fn each_bad_line_is_named() {
    let cases: &[(&str, &str, usize, char)] = &[
        ("v=0", "v=1", 1, 'v'),
        ("o=- 1 1 IN IP4 127.0.0.5", "o=- 1 IN IP4 127.0.0.5", 2, 'o'),
        (
            "o=- 1 1 IN IP4 127.0.0.5",
            "o=- x 1 IN IP4 127.0.0.5",
            2,
            'o',
        ),
        ("c=IN IP4 127.0.0.5", "c=IN IP4", 4, 'c'),
        ("c=IN IP4 127.0.0.5", "c=IN IP4 ::1", 4, 'c'),
        ("c=IN IP4 127.0.0.5", "c=IN IP6 127.0.0.5/2/3", 4, 'c'),
        ("t=0 0", "t=0", 5, 't'),
        ("t=0 0", "t=now 0", 5, 't'),
        ("m=audio 4000 RTP/AVP 0", "m=audio 4000 RTP/AVP", 6, 'm'),
        ("m=audio 4000 RTP/AVP 0", "m=audio port RTP/AVP 0", 6, 'm'),
        ("m=audio 4000 RTP/AVP 0", "m=audio 4000/x RTP/AVP 0", 6, 'm'),
        ("a=sendrecv", "a=", 7, 'a'),
        ("a=sendrecv", "a=:value", 7, 'a'),
        ("a=sendrecv", "a=send recv", 7, 'a'),
        ("a=sendrecv", "b=AS", 7, 'b'),
        ("a=sendrecv", "b=AS:fast", 7, 'b'),
        ("a=sendrecv", "x=unknown", 7, 'x'),
        ("a=sendrecv", "sendrecv", 7, 's'),
        ("a=sendrecv", "A=sendrecv", 7, 'A'),
        ("a=sendrecv", "a=send\rrecv", 7, 'a'),
        // Out of order (§5): c= after a= at media level, s= after c= at session level.
        ("a=sendrecv", "a=sendrecv\r\nc=IN IP4 127.0.0.5", 8, 'c'),
        (
            "s=-\r\nc=IN IP4 127.0.0.5",
            "c=IN IP4 127.0.0.5\r\ns=-",
            3,
            'c',
        ),
        // r= needs a t= before it; z= comes after all of them.
        ("t=0 0", "t=0 0\r\nz=0 -1h\r\nr=7d 1h 0", 7, 'r'),
    ];
    for (from, to, line, letter) in cases {
        let text = GOOD.replacen(from, to, 1);
        let (l, c, kind, msg) = error(&text);
        assert_eq!((l, c), (*line, *letter), "{to:?}: {kind:?}");
        assert!(
            msg.starts_with(&format!("SDP line {line} (`{letter}=`): ")),
            "{msg}"
        );
    }
}

#[test]
fn missing_mandatory_lines() {
    assert_eq!(error("").2, ParseErrorKind::Empty);
    assert_eq!(error("\r\n\r\n").2, ParseErrorKind::Empty);
    assert_eq!(
        error(&GOOD.replace("v=0\r\n", "")).2,
        ParseErrorKind::MissingVersion
    );
    assert_eq!(
        error(&GOOD.replace("o=- 1 1 IN IP4 127.0.0.5\r\n", "")).2,
        ParseErrorKind::MissingOrigin
    );
    assert_eq!(
        error(&GOOD.replace("s=-\r\n", "")).2,
        ParseErrorKind::MissingSessionName
    );
    assert_eq!(
        error(&GOOD.replace("t=0 0\r\n", "")).2,
        ParseErrorKind::MissingTiming
    );
    assert_eq!(
        error("v=0\r\no=- 1 1 IN IP4 127.0.0.5\r\n").2,
        ParseErrorKind::MissingSessionName
    );
    assert_eq!(
        error(&GOOD.replace("s=-", "s=-\r\ns=again")).2,
        ParseErrorKind::Duplicate
    );
}

#[test]
fn tolerated_deviations() {
    let lf = GOOD.replace("\r\n", "\n");
    let with_blank_tail = format!("{GOOD}\r\n\r\n");
    let empty_name = GOOD.replace("s=-", "s=");
    // "Salle é" in ISO-8859-1 from an old room system: decoded lossily, not refused.
    let (head, tail) = GOOD.split_once("s=-").unwrap();
    let latin1 = [head.as_bytes(), b"s=Salle \xe9", tail.as_bytes()].concat();
    for text in [
        lf.as_bytes(),
        with_blank_tail.as_bytes(),
        empty_name.as_bytes(),
        &latin1,
    ] {
        let sd = SessionDescription::parse(text).unwrap();
        assert_eq!(sd.media.len(), 1);
    }
    // An empty line in the middle is not a line.
    assert_eq!(
        error(&GOOD.replace("t=0 0\r\n", "t=0 0\r\n\r\n")).2,
        ParseErrorKind::NotTypeValue
    );
}

#[test]
fn truncations_of_a_real_offer_never_panic() {
    let path = format!(
        "{}/fixtures/sdp/cisco_room.offer.sdp",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(path).unwrap();
    for end in 0..bytes.len() {
        let _ = SessionDescription::parse(&bytes[..end]);
    }
    for i in 0..bytes.len() {
        let mut flipped = bytes.clone();
        flipped[i] ^= 0x20;
        let _ = SessionDescription::parse(&flipped);
    }
}
