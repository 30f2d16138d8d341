//! RFC 4475: every torture message in fixtures/sip/rfc4475 gets the parse verdict its manifest
//! (expect.toml) records; valid messages expose their typed headers and survive print → parse.
//! The reference copies in ../shared/conformance/rfc4475 get the same verdicts (their absence fails).

use std::path::{Path, PathBuf};

use bytes::Bytes;
use roomgate::sip::codec::{self, ParseError};
use roomgate::sip::header::{Contact, HeaderError};
use roomgate::sip::uri::Uri;
use roomgate::sip::{HeaderName, Message, StatusCode};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sip/rfc4475")
}

fn manifest() -> toml::Table {
    let text = std::fs::read_to_string(fixtures().join("expect.toml")).expect("manifest exists");
    toml::from_str(&text).expect("manifest is TOML")
}

fn parse_and_validate(raw: &[u8]) -> Result<Message, ParseError> {
    let m = codec::parse(Bytes::copy_from_slice(raw))?;
    m.validate()?;
    Ok(m)
}

fn verdict(raw: &[u8]) -> String {
    match parse_and_validate(raw) {
        Ok(_) => "ok".to_string(),
        Err(e) => format!("{e:?}"),
    }
}

fn load(name: &str) -> Message {
    let raw = std::fs::read(fixtures().join(format!("{name}.sip"))).expect("fixture exists");
    parse_and_validate(&raw).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn every_fixture_gets_its_verdict() {
    let manifest = manifest();
    assert_eq!(manifest.len(), 49, "RFC 4475 has 49 messages");
    let mut wrong = Vec::new();
    for (name, expect) in &manifest {
        let raw = std::fs::read(fixtures().join(format!("{name}.sip")))
            .unwrap_or_else(|e| panic!("{name}.sip: {e}"));
        let want = expect["parse"].as_str().expect("parse is a string");
        let got = verdict(&raw);
        if got != want {
            wrong.push(format!("{name}: expected {want}, got {got}"));
            continue;
        }
        // A codec rejection of a request maps onto the status the manifest records.
        if expect["layer"].as_str() == Some("codec") {
            if let Some(status) = expect.get("status").and_then(|s| s.as_integer()) {
                let e = parse_and_validate(&raw).unwrap_err();
                assert_eq!(e.status(), StatusCode(status as u16), "{name}");
            }
        }
    }
    assert!(wrong.is_empty(), "verdicts differ:\n{}", wrong.join("\n"));
}

#[test]
fn valid_messages_expose_typed_headers_and_round_trip() {
    // These lack (or repeat) core headers on purpose; the UAS answers them (§3.3.1, §3.3.8).
    let incomplete = ["insuf", "multi01"];
    for (name, expect) in &manifest() {
        if expect["parse"].as_str() != Some("ok") || incomplete.contains(&name.as_str()) {
            continue;
        }
        let m = load(name);
        let via = m.via().unwrap_or_else(|e| panic!("{name}: {e}"));
        let cseq = m.cseq().unwrap_or_else(|e| panic!("{name}: {e}"));
        let from = m.from().unwrap_or_else(|e| panic!("{name}: {e}"));
        let to = m.to().unwrap_or_else(|e| panic!("{name}: {e}"));
        let call_id = m.call_id().unwrap_or_else(|e| panic!("{name}: {e}"));
        m.contacts().unwrap_or_else(|e| panic!("{name}: {e}"));

        let again = codec::parse(m.to_bytes()).unwrap_or_else(|e| panic!("{name} reprinted: {e}"));
        again.validate().unwrap();
        assert_eq!(again.via().unwrap(), via, "{name}");
        assert_eq!(again.cseq().unwrap(), cseq, "{name}");
        assert_eq!(again.from().unwrap(), from, "{name}");
        assert_eq!(again.to().unwrap(), to, "{name}");
        assert_eq!(again.call_id().unwrap(), call_id, "{name}");
        assert_eq!(again.body(), m.body(), "{name}");
        // Printing is stable.
        assert_eq!(again.to_bytes(), m.to_bytes(), "{name}");
    }
}

#[test]
fn tortuous_values_decode() {
    let m = load("wsinv");
    let vias = m.vias().unwrap();
    assert_eq!(vias.len(), 3);
    assert_eq!(vias[1].branch(), Some("z9hG4bK9ikj8"));
    assert_eq!(m.cseq().unwrap().seq, 9);
    assert_eq!(m.max_forwards().unwrap().unwrap().0, 68);
    assert_eq!(m.to().unwrap().tag(), Some("1918181833n"));
    assert_eq!(
        m.from().unwrap().addr.display_name().as_deref(),
        Some("J Rosenberg \\\"")
    );
    assert_eq!(m.contacts().unwrap()[0].q(), Some(330));
    assert_eq!(m.body().len(), 150);

    let m = load("esc01");
    let user = m.as_request().unwrap().request_uri().unwrap();
    assert_eq!(
        &*user.as_sip().unwrap().user_unescaped().unwrap(),
        b"sips:user@example.com"
    );
    let m = load("escnull");
    assert_eq!(m.contacts().unwrap().len(), 2);
    let m = load("lwsdisp");
    assert_eq!(m.from().unwrap().addr.display.as_deref(), Some("caller"));
    let m = load("dblreq");
    assert!(m.body().is_empty());
    let m = load("transports");
    assert_eq!(m.vias().unwrap().len(), 5);
    let m = load("unreason");
    assert!(std::str::from_utf8(&m.as_response().unwrap().reason).is_ok());
    let m = load("longreq");
    assert!(m.vias().unwrap().len() > 30);
    let m = load("intmeth");
    let r = m.as_request().unwrap();
    assert_eq!(r.cseq().unwrap().method, r.method);
}

#[test]
fn application_layer_cases_carry_what_the_uas_needs() {
    let m = load("insuf");
    assert_eq!(m.call_id(), Err(HeaderError::Missing("Call-ID")));
    assert_eq!(m.from(), Err(HeaderError::Missing("From")));
    let m = load("multi01");
    assert_eq!(m.from(), Err(HeaderError::Multiple("From")));
    assert_eq!(m.cseq(), Err(HeaderError::Multiple("CSeq")));
    for name in ["unkscm", "novelsc"] {
        let uri = load(name).as_request().unwrap().request_uri().unwrap();
        assert!(matches!(uri, Uri::Other { .. }), "{name}");
    }
    assert!(matches!(
        load("unksm2").to().unwrap().uri(),
        Uri::Other { .. }
    ));
    assert!(load("bext01")
        .require()
        .unwrap()
        .contains("nothingSupportsThisEither"));
    assert!(load("bext01")
        .proxy_require()
        .unwrap()
        .contains("noProxiesSupportThis"));
    assert!(load("invut")
        .content_type()
        .unwrap()
        .unwrap()
        .is("application", "unknownformat"));
    assert!(!load("regaut01").authorization().unwrap()[0].is_digest());
    assert_eq!(load("zeromf").max_forwards().unwrap().unwrap().0, 0);
    let c = &load("cparam01").contacts().unwrap()[0];
    assert!(c.address().unwrap().params.contains("unknownparam"));
    let c = &load("cparam02").contacts().unwrap()[0];
    assert!(c
        .uri()
        .unwrap()
        .as_sip()
        .unwrap()
        .params
        .contains("unknownparam"));
    let c: &Contact = &load("regescrt").contacts().unwrap()[0];
    assert!(c.uri().unwrap().has_headers());
    let accept = load("sdp01");
    assert_eq!(
        accept.headers().get(&HeaderName::Accept).map(|v| &v[..]),
        Some(&b"text/nobodyKnowsThis"[..])
    );
    let bcast = load("bcast");
    assert_eq!(bcast.vias().unwrap()[1].host.to_string(), "255.255.255.255");
    assert!(load("badbranch").via().unwrap().branch() == Some("z9hG4bK"));
}

#[test]
fn reference_copies_agree() {
    // In CI the shared conformance folder sits beside the crate; a worktree is one level deeper.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let Some(dir) = [
        root.join("../shared/conformance/rfc4475"),
        root.join("../../shared/conformance/rfc4475"),
    ]
    .into_iter()
    .find(|d| d.is_dir()) else {
        // The test command runs beside ../shared (CI lays it there): a missing copy is a
        // broken set-up, not a pass.
        panic!("../shared/conformance/rfc4475 is missing: the RFC 4475 reference check cannot run");
    };
    let mut wrong = Vec::new();
    for (name, expect) in &manifest() {
        let raw = std::fs::read(dir.join(format!("{name}.txt")))
            .unwrap_or_else(|e| panic!("{name}.txt: {e}"));
        let want = expect["parse"].as_str().unwrap();
        let got = verdict(&raw);
        if got != want {
            wrong.push(format!("{name}: expected {want}, got {got}"));
        }
    }
    assert!(wrong.is_empty(), "verdicts differ:\n{}", wrong.join("\n"));
}

/// The lines a UA routes on (Via, Contact, Route, Record-Route, and any maddr) in a fixture.
fn routed_lines(raw: &[u8]) -> Vec<String> {
    let head = match raw.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(end) => &raw[..end],
        None => raw,
    };
    let mut out: Vec<String> = Vec::new();
    let mut routed = false;
    for (i, line) in head.split(|&b| b == b'\n').enumerate() {
        let line = String::from_utf8_lossy(line)
            .trim_end_matches('\r')
            .to_lowercase();
        let continuation = line.starts_with(' ') || line.starts_with('\t');
        if i > 0 && !continuation {
            let name = line.split(':').next().unwrap_or("").trim();
            routed = ["via", "v", "contact", "m", "route", "record-route"].contains(&name);
        }
        if i > 0 && (routed || line.contains("maddr=")) {
            out.push(line);
        }
    }
    out
}

#[test]
fn fixtures_only_point_at_loopback() {
    // Replaying a fixture must never send a packet off the machine: the RFC's documentation
    // addresses (192.0.2.0/24) and example.* hosts were moved onto 127.0.0.0/8.
    let mut wrong = Vec::new();
    for name in manifest().keys() {
        let raw = std::fs::read(fixtures().join(format!("{name}.sip"))).expect("fixture exists");
        if raw.windows(8).any(|w| w == b"192.0.2.") {
            wrong.push(format!("{name}: 192.0.2.x left in"));
        }
        for line in routed_lines(&raw) {
            if line.contains("example.") || line.contains("examle.") {
                wrong.push(format!("{name}: host name in {line:?}"));
            }
            let quads = line
                .split(|c: char| !(c.is_ascii_digit() || c == '.'))
                .filter(|t| t.split('.').count() == 4 && t.split('.').all(|p| !p.is_empty()));
            for quad in quads {
                if !quad.starts_with("127.") && quad != "255.255.255.255" {
                    wrong.push(format!("{name}: {quad} in {line:?}"));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "off-loopback addresses:\n{}",
        wrong.join("\n")
    );
}
