//! `roomgate check-config`: the shipped example passes; a broken config fails naming the key;
//! `serve` refuses a bad flag naming it, before starting anything; the flags of `serve` are the
//! ones docs/config.md lists.

use std::process::Command;

fn roomgate(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_roomgate"))
        .args(args)
        .output()
        .expect("the roomgate binary runs")
}

fn temp_file(name: &str, text: &str) -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!("roomgate-cli-{name}-{}.toml", std::process::id()));
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn example_config_passes() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/roomgate.example.toml");
    let out = roomgate(&["check-config", example]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn broken_configs_fail_naming_the_key() {
    let cases = [
        (
            "transport",
            "[sip]\nlisten = [\"udp:127.0.0.1:5060\", \"sctp:127.0.0.1:5060\"]\n",
            "config: sip.listen[1]: unknown transport \"sctp\"",
        ),
        (
            "ports",
            "[rtp]\nports = \"30000-20000\"\n",
            "config: rtp.ports:",
        ),
        (
            "typo",
            "[http]\nlisten_addr = \"127.0.0.1:8080\"\n",
            "config: http.listen_addr: unknown field `listen_addr`, expected `listen` or \
             `max_connections` (line 2, column 1)",
        ),
        ("format", "[log]\nformat = \"xml\"\n", "config: log.format:"),
        (
            "credentials",
            "[[sip.credentials]]\nusername = \"gw\"\n",
            "config: sip.credentials[0].password: missing",
        ),
        ("token", "[api]\ntoken = \"short\"\n", "config: api.token:"),
        ("syntax", "[sip\n", "config: "),
    ];
    for (name, text, want) in cases {
        let path = temp_file(name, text);
        let out = roomgate(&["check-config", path.to_str().unwrap()]);
        let _ = std::fs::remove_file(&path);
        assert!(!out.status.success(), "{name} must fail");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(want),
            "{name}: {err:?} should contain {want:?}"
        );
    }
}

#[test]
fn bad_flags_fail_naming_the_flag() {
    for (args, want) in [
        (
            &["serve", "--sip-listen", "sctp:127.0.0.1:5060"][..],
            "--sip-listen",
        ),
        (&["serve", "--rtp-ports", "20000"][..], "--rtp-ports"),
        (&["serve", "--log-format", "xml"][..], "--log-format"),
        (
            &["serve", "--http-listen", "localhost"][..],
            "--http-listen",
        ),
        (
            &["serve", "--answer-delay-ms", "60001"][..],
            "--answer-delay-ms",
        ),
    ] {
        let out = roomgate(args);
        assert!(!out.status.success(), "{args:?} must fail");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{args:?}: {err}");
    }
    // A bad value in the file named by --config fails `serve` the same way.
    let path = temp_file("serve", "[store]\npath = 5\n");
    let out = roomgate(&["serve", "--config", path.to_str().unwrap()]);
    let _ = std::fs::remove_file(&path);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("config: store.path"));
}

/// The Flag column of docs/config.md lists exactly the flags `roomgate serve` has (besides
/// `--config`), so neither can gain or lose one unnoticed.
#[test]
fn documented_flags_are_the_serve_flags() {
    let long_flags = |text: &str| -> std::collections::BTreeSet<String> {
        text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .filter(|w| w.starts_with("--") && w.len() > 2)
            .map(str::to_owned)
            .collect()
    };
    let docs = include_str!("../../docs/config.md");
    let documented = long_flags(
        &docs
            .lines()
            .filter(|l| l.starts_with("| `"))
            .filter_map(|l| l.split(" | ").nth(1))
            .collect::<Vec<_>>()
            .join(" "),
    );
    let out = roomgate(&["serve", "--help"]);
    assert!(out.status.success());
    let mut serve = long_flags(&String::from_utf8_lossy(&out.stdout));
    for not_a_key in ["--config", "--help", "--version"] {
        serve.remove(not_a_key);
    }
    assert!(serve.contains("--sip-listen"), "{serve:?}");
    assert_eq!(
        documented, serve,
        "docs/config.md Flag column vs `serve --help`"
    );
}
