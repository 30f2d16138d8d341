//! Regression replay of the kept corpus: every file under `corpus/` goes through every fuzz
//! target's function (its own target's seeds and findings, and the other targets' inputs as
//! foreign bytes), so the test command runs the targets' invariants on stable Rust, without
//! cargo-fuzz. A target whose corpus folder is missing or empty fails: the folder names must
//! follow `roomgate_fuzz::TARGETS`.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use roomgate_fuzz::{Target, TARGETS};

fn corpus_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
}

fn replay(name: &str) {
    let target: Target = TARGETS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|&(_, t)| t)
        .unwrap_or_else(|| panic!("no target {name}"));
    let own = files(&corpus_root().join(name));
    assert!(!own.is_empty(), "corpus/{name}/ has no seed");
    let mut all = own.clone();
    for (other, _) in TARGETS.iter().filter(|(n, _)| *n != name) {
        all.extend(files(&corpus_root().join(other)));
    }
    for path in &all {
        let data = std::fs::read(path).expect("corpus file");
        if catch_unwind(AssertUnwindSafe(|| target(&data))).is_err() {
            panic!("target {name} fails on {}", path.display());
        }
    }
}

fn names_in(dir: &Path, strip: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .map(|n| n.strip_suffix(strip).map(str::to_string).unwrap_or(n))
        .collect();
    names.sort();
    names
}

#[test]
fn every_target_has_a_binary_and_a_corpus_folder() {
    let mut names: Vec<String> = TARGETS.iter().map(|(n, _)| n.to_string()).collect();
    names.sort();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert_eq!(names_in(&root.join("fuzz_targets"), ".rs"), names);
    assert_eq!(names_in(&corpus_root(), ""), names);
}

macro_rules! replay_tests {
    ($($name:ident),* $(,)?) => {
        $(#[test]
        fn $name() {
            replay(stringify!($name));
        })*

        #[test]
        fn every_target_is_replayed() {
            let mut tested = vec![$(stringify!($name)),*];
            tested.sort();
            let mut names: Vec<&str> = TARGETS.iter().map(|(n, _)| *n).collect();
            names.sort();
            assert_eq!(tested, names);
        }
    };
}

replay_tests!(
    sip_message,
    sip_framer,
    sdp,
    rtp,
    rtcp,
    rfc4733,
    info_dtmf,
    h264_keyframe,
    jitter,
);
