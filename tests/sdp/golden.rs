//! Golden offer/answer tests (as rtpengine does): every `fixtures/sdp/<case>.offer.sdp` is
//! answered by roomgate and compared with `<case>.answer.sdp` and `<case>.negotiated.txt`
//! (the media spec handed to the media plane), or with `<case>.error.txt` when the offer must
//! be refused (488 with a Warning).
//!
//! Regenerate after an intended change with `SDP_GOLDEN_BLESS=1 cargo test --test sdp golden`
//! and review the diff.

use roomgate::sdp::{answer, LocalMedia, OfferAnswerState, SessionDescription};
use std::fs;
use std::path::{Path, PathBuf};

fn local() -> LocalMedia {
    let mut local = LocalMedia::new("127.0.0.1".parse().unwrap(), 20000, Some(20002));
    // Exercised here so the goldens show rtcp-mux being agreed when offered.
    local.rtcp_mux = true;
    local
}

fn cases() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sdp");
    let mut cases: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".offer.sdp"))
        .collect();
    cases.sort();
    cases
}

fn sibling(offer: &Path, suffix: &str) -> PathBuf {
    let name = offer.file_name().unwrap().to_string_lossy();
    offer.with_file_name(name.replace(".offer.sdp", suffix))
}

/// Compares with the golden file, or writes it when blessing. Returns a mismatch message.
fn check(path: &Path, actual: &str, bless: bool) -> Option<String> {
    if bless {
        fs::write(path, actual).unwrap();
        return None;
    }
    match fs::read_to_string(path) {
        Ok(expected) if expected == actual => None,
        Ok(expected) => Some(format!(
            "{} differs:\n--- expected\n{expected}\n--- actual\n{actual}",
            path.display()
        )),
        Err(_) => Some(format!("{} missing; actual:\n{actual}", path.display())),
    }
}

#[test]
fn every_offer_gets_its_golden_answer() {
    let bless = std::env::var_os("SDP_GOLDEN_BLESS").is_some();
    let cases = cases();
    assert!(
        cases.len() >= 10,
        "fixtures/sdp should hold the golden cases"
    );
    let mut failures = Vec::new();
    for case in &cases {
        let offer = SessionDescription::parse(&fs::read(case).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", case.display()));
        let mut state = OfferAnswerState::new(4242);
        let answer_path = sibling(case, ".answer.sdp");
        let media_path = sibling(case, ".negotiated.txt");
        let error_path = sibling(case, ".error.txt");
        match answer(&offer, &local(), &mut state) {
            Ok((sdp, media)) => {
                failures.extend(check(&answer_path, &sdp.to_string(), bless));
                failures.extend(check(&media_path, &format!("{media:#?}\n"), bless));
                if error_path.exists() {
                    failures.push(format!(
                        "{} exists but the offer was accepted",
                        error_path.display()
                    ));
                }
                // RFC 3264 §6: same number of m-lines, same media types, same order.
                assert_eq!(sdp.media.len(), offer.media.len(), "{}", case.display());
                for (a, o) in sdp.media.iter().zip(&offer.media) {
                    assert_eq!(a.media, o.media, "{}", case.display());
                }
                // Whatever we print, we parse back to the same thing.
                assert_eq!(
                    SessionDescription::parse(sdp.to_string().as_bytes()).unwrap(),
                    sdp
                );
            }
            Err(e) => {
                let (code, text) = e.warning();
                let actual = format!("{} {code} \"{text}\": {e}\n", e.status_code());
                failures.extend(check(&error_path, &actual, bless));
                if answer_path.exists() {
                    failures.push(format!(
                        "{} exists but the offer was refused",
                        answer_path.display()
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
