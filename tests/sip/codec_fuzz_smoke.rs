//! The fuzz targets' invariants (roomgate::sip::codec::fuzzing) run as proptests, so plain
//! `cargo test` exercises them without cargo-fuzz: random bytes, and mutations (byte
//! overwrites, truncations, splices) of the RFC 4475 fixtures and the benchmark corpus.

use std::path::Path;

use proptest::prelude::*;
use roomgate::sip::codec::fuzzing::{check_framer, check_message};

fn seeds() -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sip");
    let mut out = Vec::new();
    for dir in ["rfc4475", "corpus"] {
        let mut files: Vec<_> = std::fs::read_dir(root.join(dir))
            .expect("fixture dir")
            .map(|e| e.expect("dir entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "sip"))
            .collect();
        files.sort();
        out.extend(files.iter().map(|p| std::fs::read(p).expect("fixture")));
    }
    assert!(out.len() >= 54);
    out
}

fn mutated() -> impl Strategy<Value = Vec<u8>> {
    let seeds = seeds();
    let n = seeds.len();
    (
        0..n,
        proptest::collection::vec((any::<usize>(), any::<u8>()), 0..8),
        any::<usize>(),
        0..n,
        any::<usize>(),
    )
        .prop_map(move |(pick, edits, cut, other, at)| {
            let mut m = seeds[pick].clone();
            for (pos, byte) in edits {
                if !m.is_empty() {
                    let k = pos % m.len();
                    m[k] = byte;
                }
            }
            // Truncate, then splice the start of another message (pipelined or garbage tail).
            let cut = cut % (m.len() + 1);
            m.truncate(cut.max(m.len() / 2));
            let tail = &seeds[other];
            m.extend_from_slice(&tail[..at % (tail.len() + 1)]);
            m
        })
}

#[test]
fn every_seed_passes_the_invariants() {
    for s in seeds() {
        check_message(&s);
        check_framer(&s);
    }
}

#[test]
fn fuzz_finding_repeated_uri_params_compare_equal_to_themselves() {
    // Found by `cargo fuzz run sip_message`: URI equality was not reflexive with a repeated
    // parameter name.
    let crash = b"OPTIONS sip:user;par=u%40example;par=u%40exe.com SIP/2.0\r\nTo: sip:j_user@e\0\0\0\0\0\0\0\0\0\0\0\0cept: application/\nVia: SIP\r\n";
    check_message(crash);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_break_the_parser(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        check_message(&data);
        check_framer(&data);
    }

    #[test]
    fn mutated_messages_keep_the_invariants(data in mutated()) {
        check_message(&data);
        check_framer(&data);
    }
}
