//! Print → parse round-trips for generated session descriptions (proptest) and for every
//! fixture; answering a generated description never panics.

use proptest::prelude::*;
use roomgate::sdp::{
    answer, offer, Attribute, Bandwidth, Connection, LocalMedia, MediaDescription,
    OfferAnswerState, Origin, SessionDescription, Timing,
};
use std::net::{Ipv4Addr, Ipv6Addr};

fn token() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9][a-zA-Z0-9.+_~!*-]{0,8}"
}

/// Text fields: any printable characters, spaces included (RFC 8866 §9 `text`).
fn text() -> impl Strategy<Value = String> {
    "\\PC{0,16}"
}

fn connection() -> impl Strategy<Value = Connection> {
    prop_oneof![
        (
            any::<[u8; 4]>(),
            proptest::option::of((any::<u8>(), proptest::option::of(1u32..64)))
        )
            .prop_map(|(ip, ttl)| Connection {
                nettype: "IN".into(),
                addrtype: "IP4".into(),
                address: Ipv4Addr::from(ip).to_string(),
                ttl: ttl.map(|t| t.0),
                count: ttl.and_then(|t| t.1),
            }),
        (any::<[u8; 16]>(), proptest::option::of(1u32..64)).prop_map(|(ip, count)| Connection {
            nettype: "IN".into(),
            addrtype: "IP6".into(),
            address: Ipv6Addr::from(ip).to_string(),
            ttl: None,
            count,
        }),
    ]
}

fn bandwidth() -> impl Strategy<Value = Bandwidth> {
    (
        prop_oneof![
            Just("AS".to_string()),
            Just("CT".to_string()),
            Just("TIAS".to_string()),
            token()
        ],
        any::<u64>(),
    )
        .prop_map(|(kind, value)| Bandwidth { kind, value })
}

fn attribute() -> impl Strategy<Value = Attribute> {
    prop_oneof![
        (token(), proptest::option::of(text())).prop_map(|(name, value)| Attribute { name, value }),
        (
            96u8..128,
            "(opus|PCMU|G722|H264|telephone-event)",
            8000u32..96000
        )
            .prop_map(|(pt, enc, rate)| Attribute::value("rtpmap", format!("{pt} {enc}/{rate}"))),
        "(sendrecv|sendonly|recvonly|inactive|rtcp-mux)".prop_map(|n| Attribute::flag(&n)),
    ]
}

fn media() -> impl Strategy<Value = MediaDescription> {
    (
        prop_oneof![
            Just("audio".to_string()),
            Just("video".to_string()),
            token()
        ],
        any::<u16>(),
        proptest::option::of(any::<u16>()),
        prop_oneof![
            Just("RTP/AVP".to_string()),
            Just("RTP/SAVPF".to_string()),
            Just("UDP/BFCP".to_string()),
            Just("UDP/UDT/IX".to_string()),
            token()
        ],
        proptest::collection::vec(
            prop_oneof![(0u8..128).prop_map(|n| n.to_string()), token()],
            1..5,
        ),
        proptest::option::of(text()),
        proptest::collection::vec(connection(), 0..3),
        proptest::collection::vec(bandwidth(), 0..3),
        proptest::option::of(text()),
        proptest::collection::vec(attribute(), 0..8),
    )
        .prop_map(
            |(
                media,
                port,
                port_count,
                proto,
                formats,
                information,
                connections,
                bandwidths,
                key,
                attributes,
            )| {
                MediaDescription {
                    media,
                    port,
                    port_count,
                    proto,
                    formats,
                    information,
                    connections,
                    bandwidths,
                    key,
                    attributes,
                }
            },
        )
}

fn timing() -> impl Strategy<Value = Timing> {
    (
        any::<u64>(),
        any::<u64>(),
        proptest::collection::vec(
            prop_oneof![
                Just("604800 3600 0 90000".to_string()),
                Just("7d 1h 0 25h".to_string())
            ],
            0..2,
        ),
    )
        .prop_map(|(start, stop, repeats)| Timing {
            start,
            stop,
            repeats,
        })
}

fn session() -> impl Strategy<Value = SessionDescription> {
    (
        (token(), any::<u64>(), any::<u64>(), connection()),
        text(),
        (
            proptest::option::of(text()),
            proptest::option::of(text()),
            proptest::collection::vec(text(), 0..2),
            proptest::collection::vec(text(), 0..2),
        ),
        proptest::option::of(connection()),
        proptest::collection::vec(bandwidth(), 0..2),
        proptest::collection::vec(timing(), 1..3),
        proptest::option::of(Just("2882844526 -1h 2898848070 0".to_string())),
        proptest::option::of(text()),
        proptest::collection::vec(attribute(), 0..4),
        proptest::collection::vec(media(), 0..5),
    )
        .prop_map(
            |(
                (user, id, version, oc),
                session_name,
                (information, uri, emails, phones),
                connection,
                bandwidths,
                times,
                time_zones,
                key,
                attributes,
                media,
            )| {
                SessionDescription {
                    origin: Origin {
                        username: user,
                        session_id: id,
                        session_version: version,
                        nettype: oc.nettype,
                        addrtype: oc.addrtype,
                        address: oc.address,
                    },
                    session_name,
                    information,
                    uri,
                    emails,
                    phones,
                    connection,
                    bandwidths,
                    times,
                    time_zones,
                    key,
                    attributes,
                    media,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn print_then_parse_is_identity(sd in session()) {
        let text = sd.to_string();
        let back = SessionDescription::parse(text.as_bytes())
            .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(&back, &sd);
        // LF-only line ends mean the same.
        let lf = text.replace("\r\n", "\n");
        prop_assert_eq!(SessionDescription::parse(lf.as_bytes()).unwrap(), sd);
    }

    #[test]
    fn answering_anything_never_panics(sd in session()) {
        let local = LocalMedia::new("127.0.0.1".parse().unwrap(), 20000, Some(20002));
        let mut state = OfferAnswerState::new(1);
        if let Ok((ans, _)) = answer(&sd, &local, &mut state) {
            prop_assert_eq!(ans.media.len(), sd.media.len());
            let text = ans.to_string();
            prop_assert_eq!(SessionDescription::parse(text.as_bytes()).unwrap(), ans);
            // A re-offer after any accepted offer keeps every m-line (RFC 3264 §8).
            let re = offer(&local, &mut state);
            prop_assert!(re.media.len() >= sd.media.len());
            prop_assert_eq!(SessionDescription::parse(re.to_string().as_bytes()).unwrap(), re);
        }
    }
}

#[test]
fn every_fixture_round_trips() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sdp");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "sdp") {
            let sd = SessionDescription::parse(&std::fs::read(&path).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let printed = sd.to_string();
            assert_eq!(SessionDescription::parse(printed.as_bytes()).unwrap(), sd);
            // Our parser keeps every line, so the CRLF form of the file is what we print.
            let original = std::fs::read_to_string(&path)
                .unwrap()
                .replace("\r\n", "\n");
            assert_eq!(
                printed.replace("\r\n", "\n"),
                original,
                "{}",
                path.display()
            );
            n += 1;
        }
    }
    assert!(n >= 20);
}

/// m-lines assembled from the pieces room systems really send, so that answers are
/// actually produced and their invariants checked.
fn realistic_media() -> impl Strategy<Value = MediaDescription> {
    let audio_fmt = prop_oneof![
        Just(("0".to_string(), None)),
        Just(("8".to_string(), None)),
        Just(("9".to_string(), None)),
        Just(("18".to_string(), None)),
        (96u8..128).prop_map(|pt| (pt.to_string(), Some("opus/48000/2"))),
        (96u8..128).prop_map(|pt| (pt.to_string(), Some("telephone-event/8000"))),
        (96u8..128).prop_map(|pt| (pt.to_string(), Some("telephone-event/48000"))),
        (96u8..128).prop_map(|pt| (pt.to_string(), Some("G7221/16000"))),
        (96u8..128).prop_map(|pt| (pt.to_string(), Some("OPUS/48000/1"))),
    ];
    let video_fmt = (
        96u8..128,
        0u8..3,
        "(42e0|4200|42c0|4d00|6400|f400)",
        9u8..0x34,
    )
        .prop_map(|(pt, mode, profile, level)| (pt, mode, format!("{profile}{level:02x}")));
    prop_oneof![
        (
            any::<u16>(),
            "(RTP/AVP|RTP/AVPF|RTP/SAVP)",
            proptest::collection::vec(audio_fmt, 1..6),
            "(sendrecv|sendonly|recvonly|inactive|rtcp-mux|ptime:20)"
        )
            .prop_map(|(port, proto, fmts, flag)| {
                let mut m = MediaDescription {
                    media: "audio".into(),
                    port,
                    port_count: None,
                    proto,
                    formats: Vec::new(),
                    information: None,
                    connections: Vec::new(),
                    bandwidths: Vec::new(),
                    key: None,
                    attributes: Vec::new(),
                };
                for (pt, map) in fmts {
                    m.formats.push(pt.to_string());
                    if let Some(map) = map {
                        m.attributes
                            .push(Attribute::value("rtpmap", format!("{pt} {map}")));
                    }
                }
                let (name, value) = match flag.split_once(':') {
                    Some((n, v)) => (n.to_string(), Some(v.to_string())),
                    None => (flag, None),
                };
                m.attributes.push(Attribute { name, value });
                m
            }),
        (
            any::<u16>(),
            proptest::collection::vec(video_fmt, 1..4),
            proptest::option::of("(main|slides|alt)")
        )
            .prop_map(|(port, fmts, content)| {
                let mut m = MediaDescription {
                    media: "video".into(),
                    port,
                    port_count: None,
                    proto: "RTP/AVP".into(),
                    formats: Vec::new(),
                    information: None,
                    connections: Vec::new(),
                    bandwidths: Vec::new(),
                    key: None,
                    attributes: Vec::new(),
                };
                for (pt, mode, plid) in fmts {
                    m.formats.push(pt.to_string());
                    m.attributes
                        .push(Attribute::value("rtpmap", format!("{pt} H264/90000")));
                    m.attributes.push(Attribute::value(
                        "fmtp",
                        format!("{pt} profile-level-id={plid};packetization-mode={mode}"),
                    ));
                    m.attributes
                        .push(Attribute::value("rtcp-fb", format!("{pt} nack pli")));
                }
                if let Some(c) = content {
                    m.attributes.push(Attribute::value("content", c));
                }
                m
            }),
        Just(()).prop_map(|_| MediaDescription {
            media: "application".into(),
            port: 5070,
            port_count: None,
            proto: "UDP/BFCP".into(),
            formats: vec!["*".into()],
            information: None,
            connections: Vec::new(),
            bandwidths: Vec::new(),
            key: None,
            attributes: vec![Attribute::value("floorctrl", "c-s")],
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn answers_to_realistic_offers_keep_the_rules(
        media in proptest::collection::vec(realistic_media(), 1..6),
        zero in any::<bool>(),
    ) {
        let addr = if zero { "0.0.0.0" } else { "127.0.0.9" };
        let text = format!("v=0\r\no=- 1 1 IN IP4 127.0.0.9\r\ns=-\r\nc=IN IP4 {addr}\r\nt=0 0\r\n");
        let mut sd = SessionDescription::parse(text.as_bytes()).unwrap();
        sd.media = media;
        let local = LocalMedia::new("127.0.0.1".parse().unwrap(), 20000, Some(20002));
        let mut state = OfferAnswerState::new(1);
        match answer(&sd, &local, &mut state) {
            Ok((ans, neg)) => {
                prop_assert_eq!(ans.media.len(), sd.media.len());
                let mut accepted = 0;
                for (a, o) in ans.media.iter().zip(&sd.media) {
                    prop_assert_eq!(&a.media, &o.media);
                    if a.port != 0 {
                        accepted += 1;
                        prop_assert_eq!(&a.proto, &o.proto);
                        // Answered formats are a subset of the offered ones (RFC 3264 §6.1).
                        for f in &a.formats {
                            prop_assert!(o.formats.contains(f));
                        }
                    }
                }
                prop_assert_eq!(accepted, 1 + usize::from(neg.video.is_some()));
                prop_assert_eq!(neg.declined.len(), sd.media.len() - accepted);
                if let Some(v) = &neg.video {
                    let h = v.h264.unwrap();
                    prop_assert!(h.profile_level_id.level_idc <= 0x28);
                    prop_assert!(h.packetization_mode <= 1);
                }
                prop_assert_eq!(neg.remote_hold, zero || !sd.media[neg.audio.media_index].direction(&sd).receives());
                if zero {
                    prop_assert_eq!(neg.audio.remote_rtp, None);
                }
            }
            Err(e) => {
                prop_assert_eq!(e.status_code(), 488);
                // Refused only when no audio line carries a codec we have.
                let has_usable_audio = sd.media.iter().any(|m| {
                    m.media == "audio" && m.port != 0 && (m.proto == "RTP/AVP" || m.proto == "RTP/AVPF")
                        && m.formats.iter().any(|f| {
                            m.rtpmap_or_static(f).is_some_and(|r| {
                                roomgate::sdp::AudioCodec::ALL.iter().any(|c| c.matches(&r))
                            })
                        })
                });
                prop_assert!(!has_usable_audio, "{e}");
            }
        }
    }
}
