//! Keeps the dependency direction of DESIGN.md honest: an arrow never points back up.
//!
//! `sip::codec ← transaction ← dialog ← call ← engine ← runtime ← main`; `sdp ← call`;
//! `meeting ← engine`; `media ← engine`; `api ← runtime`; `ops` (the operators' view of the
//! engine's legs, pure) sits between the engine and `api`/`runtime`. `meeting` knows nothing of SIP, `media`
//! never parses SIP, and `api` reaches the engine only through its own trait.

use std::fs;
use std::path::Path;

/// For each top-level module: the crate modules it must never name.
const FORBIDDEN: &[(&str, &[&str])] = &[
    (
        "sip",
        &[
            "sdp", "call", "meeting", "media", "engine", "runtime", "api", "store", "config",
        ],
    ),
    (
        "sdp",
        &[
            "sip", "call", "meeting", "media", "engine", "runtime", "api", "store", "config",
        ],
    ),
    (
        "media",
        &[
            "sip", "sdp", "call", "meeting", "engine", "runtime", "api", "store", "config",
        ],
    ),
    (
        "meeting",
        &[
            "sip", "sdp", "call", "media", "engine", "runtime", "api", "store", "config",
        ],
    ),
    (
        "call",
        &["media", "engine", "runtime", "api", "store", "config"],
    ),
    ("engine", &["runtime", "api", "store"]),
    ("api", &["sip", "sdp", "call", "media", "engine", "runtime"]),
    (
        "store",
        &["sip", "sdp", "call", "media", "engine", "runtime", "api"],
    ),
];

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

fn files_of(module: &str) -> Vec<std::path::PathBuf> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src.join(module), &mut files);
    let single = src.join(format!("{module}.rs"));
    if single.exists() {
        files.push(single);
    }
    files
}

#[test]
fn no_module_reaches_back_up_the_layers() {
    let mut violations = Vec::new();
    for (module, forbidden) in FORBIDDEN {
        for file in files_of(module) {
            let text = fs::read_to_string(&file).expect("source files are readable UTF-8");
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                for f in *forbidden {
                    let needle = format!("crate::{f}");
                    let hit = code.match_indices(&needle).any(|(i, _)| {
                        let next = code[i + needle.len()..].chars().next();
                        !matches!(next, Some(c) if c.is_alphanumeric() || c == '_')
                    });
                    if hit {
                        violations.push(format!("{}:{}: {module} uses {f}", file.display(), n + 1));
                    }
                }
            }
        }
    }
    assert!(
        violations.is_empty(),
        "layering violations:\n{}",
        violations.join("\n")
    );
}

#[test]
fn the_check_sees_the_tree() {
    // Guards against the test passing vacuously because it looked in the wrong place.
    assert!(!files_of("sip").is_empty());
    assert!(!files_of("meeting").is_empty());
}
