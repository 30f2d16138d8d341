//! Keeps the dependency direction of DESIGN.md and `src/lib.rs` honest: an arrow never points
//! back up.
//!
//! `sip`, `sdp` ← `call`; `meeting`, `media` ← `call` ← `engine` ← `runtime` ← `main`;
//! `payload` (codec names) is a leaf anyone may use; `ops` reads `call`'s leg view and `media`'s
//! statistics; `api`, `store`, `config` ← `runtime`. `meeting` knows no protocol, `media` never
//! parses signalling, `ops` and `api` never import `engine` (`api` reaches it through its own
//! trait). And the core is sans-IO: no tokio, sockets, threads or clock reads in its folders.

use std::fs;
use std::path::Path;

const ALL: &[&str] = &[
    "payload", "sip", "sdp", "media", "meeting", "call", "engine", "ops", "store", "config", "api",
    "runtime",
];

/// For each top-level module: the crate modules it must never name.
const FORBIDDEN: &[(&str, &[&str])] = &[
    ("payload", ALL),
    (
        "sip",
        &[
            "sdp", "call", "meeting", "media", "engine", "ops", "runtime", "api", "store", "config",
        ],
    ),
    (
        "sdp",
        &[
            "sip", "call", "meeting", "media", "engine", "ops", "runtime", "api", "store", "config",
        ],
    ),
    (
        "media",
        &[
            "sip", "sdp", "call", "meeting", "engine", "ops", "runtime", "api", "store", "config",
        ],
    ),
    (
        "meeting",
        &[
            "sip", "sdp", "call", "media", "engine", "ops", "runtime", "api", "store", "config",
        ],
    ),
    (
        "call",
        &["engine", "ops", "runtime", "api", "store", "config"],
    ),
    ("engine", &["ops", "runtime", "api", "store", "config"]),
    (
        "ops",
        &["sip", "sdp", "engine", "runtime", "api", "store", "config"],
    ),
    (
        "store",
        &[
            "sip", "sdp", "call", "media", "engine", "ops", "runtime", "api", "config",
        ],
    ),
    (
        "config",
        &[
            "sip", "sdp", "call", "meeting", "media", "engine", "ops", "runtime", "api", "store",
        ],
    ),
    (
        "api",
        &["sip", "sdp", "call", "media", "engine", "runtime", "config"],
    ),
    // Only `main` may use the runtime; it may use everything else.
    ("runtime", &[]),
];

/// The sans-IO core: state machines that take `now` and are drained, never doing I/O.
const CORE: &[&str] = &[
    "payload", "sip", "sdp", "media", "meeting", "call", "engine", "ops",
];

/// What the core must not touch (outside its unit tests): the async runtime, sockets, threads
/// and the clock. Time and bytes are inputs.
const IMPURE: &[&str] = &[
    "tokio",
    "std::net::UdpSocket",
    "std::net::TcpStream",
    "std::net::TcpListener",
    "UdpSocket::",
    "TcpStream::",
    "TcpListener::",
    "socket2",
    "mio::",
    "std::thread",
    "thread::spawn",
    "Instant::now",
    "SystemTime::now",
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

/// A file's code without its comments and without its unit tests (`#[cfg(test)]` to the end,
/// as the crate writes them, or a whole `tests.rs`).
fn code_of(file: &Path) -> Vec<(usize, String)> {
    let text = fs::read_to_string(file).expect("source files are readable UTF-8");
    if file.file_name().is_some_and(|n| n == "tests.rs") {
        return Vec::new();
    }
    text.lines()
        .enumerate()
        .take_while(|(_, l)| l.trim() != "#[cfg(test)]")
        .map(|(n, l)| (n + 1, l.split("//").next().unwrap_or("").to_owned()))
        .collect()
}

#[test]
fn the_core_does_no_io() {
    let mut violations = Vec::new();
    for module in CORE {
        for file in files_of(module) {
            for (n, code) in code_of(&file) {
                for bad in IMPURE {
                    if code.contains(bad) {
                        violations.push(format!("{}:{n}: {module} uses {bad}", file.display()));
                    }
                }
            }
        }
    }
    assert!(
        violations.is_empty(),
        "the core must stay sans-IO:\n{}",
        violations.join("\n")
    );
}

#[test]
fn every_top_level_module_has_rules() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for e in fs::read_dir(&src).expect("src/ is readable").flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let module = name.strip_suffix(".rs").unwrap_or(&name).to_owned();
        if ["lib", "main"].contains(&module.as_str()) {
            continue;
        }
        assert!(
            FORBIDDEN.iter().any(|(m, _)| *m == module),
            "src/{name}: a new top-level module needs its place in FORBIDDEN (and DESIGN.md)"
        );
    }
}

#[test]
fn the_check_sees_the_tree() {
    // Guards against the test passing vacuously because it looked in the wrong place.
    assert!(!files_of("sip").is_empty());
    assert!(!files_of("meeting").is_empty());
}

/// A module file's path below `src/` as module names (`call/sip.rs` → `["call", "sip"]`).
fn module_path(file: &Path, src: &Path) -> Vec<String> {
    let rel = file
        .strip_prefix(src)
        .expect("under src/")
        .with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// The module files a file names (`crate::a::b…` and `super::x…`), as their module paths.
fn imports_of(file: &Path, me: &[String], modules: &[Vec<String>]) -> Vec<Vec<String>> {
    // `super` of a file is its folder's module; of a folder's mod.rs, the folder's parent.
    let parent: Vec<String> = me[..me.len().saturating_sub(1)].to_vec();
    let resolve = |path: Vec<String>| -> Option<Vec<String>> {
        (1..=path.len())
            .rev()
            .map(|n| path[..n].to_vec())
            .find(|p| modules.contains(p))
    };
    let mut out = Vec::new();
    for (_, code) in code_of(file) {
        for (prefix, base) in [("crate::", Vec::new()), ("super::", parent.clone())] {
            for (i, _) in code.match_indices(prefix) {
                let before = code[..i].chars().next_back();
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    continue;
                }
                let rest = &code[i + prefix.len()..];
                let path: Vec<String> = rest
                    .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                    .next()
                    .unwrap_or("")
                    .split("::")
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect();
                let mut full = base.clone();
                full.extend(path);
                if let Some(t) = resolve(full) {
                    if t != me && !out.contains(&t) {
                        out.push(t);
                    }
                }
            }
        }
    }
    out
}

#[test]
fn no_two_module_files_import_each_other() {
    // A folder's mod.rs and its own files may name each other (re-exports, shared types);
    // two files that are not one inside the other may not: that is an import circle.
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.retain(|f| !f.ends_with("lib.rs") && !f.ends_with("main.rs"));
    let modules: Vec<Vec<String>> = files.iter().map(|f| module_path(f, &src)).collect();
    let edges: Vec<(Vec<String>, Vec<Vec<String>>)> = files
        .iter()
        .zip(&modules)
        .map(|(f, m)| (m.clone(), imports_of(f, m, &modules)))
        .collect();
    let nested = |a: &[String], b: &[String]| a.starts_with(b) || b.starts_with(a);
    let mut circles = Vec::new();
    for (a, outs) in &edges {
        for b in outs {
            let back = edges.iter().any(|(m, o)| m == b && o.contains(a));
            if back && !nested(a, b) && a < b {
                circles.push(format!("{} <-> {}", a.join("/"), b.join("/")));
            }
        }
    }
    assert!(
        circles.is_empty(),
        "import circles:\n{}",
        circles.join("\n")
    );
    assert!(edges.len() > 100, "the check sees the tree");
}
