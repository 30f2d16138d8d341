use super::*;

#[test]
fn empty_file_gives_defaults() {
    assert_eq!(Config::from_toml_str("").unwrap(), Config::default());
}

#[test]
fn listen_parses_v4_and_v6() {
    let c = Config::from_toml_str("[sip]\nlisten = [\"udp:127.0.0.1:5070\", \"tcp:[::1]:5070\"]\n")
        .unwrap();
    assert_eq!(c.sip.listen[0].transport, Transport::Udp);
    assert_eq!(c.sip.listen[1].addr, "[::1]:5070".parse().unwrap());
}

#[test]
fn unknown_transport_names_the_index_and_where() {
    let e = Config::from_toml_str(
        "[sip]\nlisten = [\"udp:127.0.0.1:5070\", \"sctp:127.0.0.1:5070\"]\n",
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "config: sip.listen[1]: unknown transport \"sctp\" (expected udp or tcp) \
         (line 2, column 33)"
    );
}

#[test]
fn unknown_key_and_section_are_named() {
    let e = Config::from_toml_str("[http]\nlisen = \"127.0.0.1:1\"\n").unwrap_err();
    assert_eq!(e.field(), Some("http.lisen"));
    // serde lists the keys that would have been right.
    assert!(e.to_string().contains("`listen`"), "{e}");
    assert_eq!(e.location().map(|l| l.line), Some(2));
    let e = Config::from_toml_str("[htp]\n").unwrap_err();
    assert_eq!(e.field(), Some("htp"));
    let e = Config::from_toml_str("sip = 5\n").unwrap_err();
    assert_eq!(e.field(), Some("sip"));
}

#[test]
fn syntax_error_is_not_blamed_on_a_key() {
    let e = Config::from_toml_str("[sip\n").unwrap_err();
    assert!(matches!(e, ConfigError::Syntax { .. }), "{e:?}");
    assert!(e.to_string().contains("line 1"), "{e}");
}

#[test]
fn wrong_type_is_named() {
    let e = Config::from_toml_str("[rtp]\nports = 20000\n").unwrap_err();
    assert_eq!(e.field(), Some("rtp.ports"));
    assert!(e.to_string().contains("expected a string"), "{e}");
    let e = Config::from_toml_str("[store]\npath = 5\n").unwrap_err();
    assert_eq!(e.field(), Some("store.path"));
}

#[test]
fn values_are_checked_as_read() {
    for (toml, field) in [
        ("[rtp]\nports = \"30000-20000\"\n", "rtp.ports"),
        ("[log]\nformat = \"xml\"\n", "log.format"),
        ("[log]\nlevel = \"roomgate=loud\"\n", "log.level"),
        ("[http]\nlisten = \"localhost\"\n", "http.listen"),
        ("[hep]\naddress = \"homer\"\n", "hep.address"),
        ("[hep]\ncapture_id = -1\n", "hep.capture_id"),
        ("[meetings]\ndemo = \"yes\"\n", "meetings.demo"),
    ] {
        let e = Config::from_toml_str(toml).unwrap_err();
        assert_eq!(e.field(), Some(field), "{toml}");
        assert_eq!(e.location().map(|l| l.line), Some(2), "{toml}");
    }
    let c = Config::from_toml_str("[hep]\naddress = \"127.0.0.1:9060\"\n").unwrap();
    assert_eq!(c.hep.address, Some("127.0.0.1:9060".parse().unwrap()));
}

#[test]
fn port_range_rules() {
    assert_eq!("20000-29999".parse::<PortRange>().unwrap().len(), 10000);
    assert!("3000-3000".parse::<PortRange>().is_err());
    assert!("0-10".parse::<PortRange>().is_err());
    assert!("10-70000".parse::<PortRange>().is_err());
}

#[test]
fn flags_override_file() {
    let mut c = Config::from_toml_str("[http]\nlisten = \"127.0.0.1:9000\"\n").unwrap();
    c.apply(Overrides {
        http_listen: Some("127.0.0.1:9001".parse().unwrap()),
        ..Overrides::default()
    })
    .unwrap();
    assert_eq!(c.http.listen.port(), 9001);
}

#[test]
fn tokens_are_checked() {
    let e = Config::from_toml_str("[api]\ntoken = \"short\"\n").unwrap_err();
    assert_eq!(e.field(), Some("api.token"));
    let e = Config::from_toml_str(
        "[api]\ntoken = \"aaaaaaaaaaaaaaaaaaaa\"\nparticipant_token = \"aaaaaaaaaaaaaaaaaaaa\"\n",
    )
    .unwrap_err();
    assert_eq!(e.field(), Some("api.participant_token"));
}

#[test]
fn sip_limits_and_answer_delay() {
    let c = Config::from_toml_str(
        "[sip]\nanswer_delay_ms = 0\nmax_connections = 8\nidle_timeout_s = 5\nmessage_timeout_s = 2\nmax_out_of_dialog_transactions = 100\n",
    )
    .unwrap();
    assert_eq!(c.sip.max_out_of_dialog_transactions, 100);
    assert_eq!(c.sip.answer_delay_ms, 0);
    assert_eq!(
        (
            c.sip.max_connections,
            c.sip.idle_timeout_s,
            c.sip.message_timeout_s
        ),
        (8, 5, 2)
    );
    let e = Config::from_toml_str("[sip]\nmax_connections = 0\n").unwrap_err();
    assert_eq!(e.field(), Some("sip.max_connections"));
    assert!(
        e.to_string().contains("0 is out of range 1..=1000000"),
        "{e}"
    );
    let e =
        Config::from_toml_str("[sip]\nmax_out_of_dialog_transactions = \"many\"\n").unwrap_err();
    assert_eq!(e.field(), Some("sip.max_out_of_dialog_transactions"));
    let e = Config::from_toml_str("[sip]\nanswer_delay_ms = -1\n").unwrap_err();
    assert_eq!(e.field(), Some("sip.answer_delay_ms"));
    let e = Config::from_toml_str("[sip]\nanswer_delay_ms = 60001\n").unwrap_err();
    assert_eq!(e.field(), Some("sip.answer_delay_ms"));
}

#[test]
fn duplicate_listen_is_rejected() {
    let e =
        Config::from_toml_str("[sip]\nlisten = [\"udp:127.0.0.1:5070\", \"udp:127.0.0.1:5070\"]\n")
            .unwrap_err();
    assert_eq!(e.field(), Some("sip.listen[1]"));
}

#[test]
fn meeting_limits() {
    let c = Config::from_toml_str("[meetings]\nmax_rooms = 20\nevent_log = 100\n").unwrap();
    assert_eq!((c.meetings.max_rooms, c.meetings.event_log), (20, 100));
    let e = Config::from_toml_str("[meetings]\nmax_participants = 0\n").unwrap_err();
    assert_eq!(e.field(), Some("meetings.max_participants"));
}

#[test]
fn sip_credentials() {
    let c = Config::from_toml_str(
        "[[sip.credentials]]\nrealm = \"pbx\"\nusername = \"gw\"\npassword = \"pw-secret-1\"\n\n[[sip.credentials]]\nusername = \"any\"\npassword = \"\"\n",
    )
    .unwrap();
    assert_eq!(c.sip.credentials.len(), 2);
    assert_eq!(c.sip.credentials[0].realm.as_deref(), Some("pbx"));
    assert_eq!(c.sip.credentials[1].realm, None);
    assert!(!format!("{c:?}").contains("pw-secret-1"));
    for (toml, field) in [
        (
            "[[sip.credentials]]\nusername = \"gw\"\n",
            "sip.credentials[0].password",
        ),
        (
            "[[sip.credentials]]\npassword = \"x\"\n",
            "sip.credentials[0].username",
        ),
        (
            "[[sip.credentials]]\nusername = \"\"\npassword = \"x\"\n",
            "sip.credentials[0].username",
        ),
        (
            "[[sip.credentials]]\nusername = \"a\"\npassword = \"b\"\nuser = \"c\"\n",
            "sip.credentials[0].user",
        ),
        ("[sip]\ncredentials = \"x\"\n", "sip.credentials"),
        ("[sip]\ncredentials = [1]\n", "sip.credentials[0]"),
    ] {
        let e = Config::from_toml_str(toml).unwrap_err();
        assert_eq!(e.field(), Some(field), "{toml}");
    }
}

#[test]
fn media_strict_source() {
    assert!(!Config::default().media.strict_source);
    let c = Config::from_toml_str("[media]\nstrict_source = true\n").unwrap();
    assert!(c.media.strict_source);
    let e = Config::from_toml_str("[media]\nstrict_source = \"yes\"\n").unwrap_err();
    assert_eq!(e.field(), Some("media.strict_source"));
    let e = Config::from_toml_str("[media]\nstrict = true\n").unwrap_err();
    assert_eq!(e.field(), Some("media.strict"));
}

#[test]
fn debug_hides_tokens() {
    let c = Config::from_toml_str("[api]\ntoken = \"secretsecretsecret\"\n").unwrap();
    assert!(!format!("{c:?}").contains("secretsecretsecret"));
}

// The file, the docs and the structs must not drift apart: the keys of the structs are
// derived by serializing a config and walking it, so a field added without a docs row or an
// example line fails here.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

const DOCS: &str = include_str!("../../docs/config.md");
const EXAMPLE: &str = include_str!("../../deploy/roomgate.example.toml");

/// Every key below `prefix` with its value, spelled as the docs spell it: an array of tables
/// is a key of its own and its tables' keys are `key[].name`.
fn walk(prefix: &str, v: &Value, keys: &mut BTreeMap<String, Value>) {
    let mut leaf = || keys.insert(prefix.to_owned(), v.clone());
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                walk(&key, v, keys);
            }
        }
        Value::Array(a) if a.first().is_some_and(Value::is_object) => {
            leaf();
            walk(&format!("{prefix}[]"), &a[0], keys);
        }
        _ => {
            leaf();
        }
    }
}

fn keys_of(v: &impl serde::Serialize) -> BTreeMap<String, Value> {
    let mut keys = BTreeMap::new();
    walk("", &serde_json::to_value(v).expect("serializes"), &mut keys);
    keys
}

/// Every key of the structs: a default config with one credential, so that the keys of a
/// `[[sip.credentials]]` table are there too. (`None` serializes as null, so unset options
/// count.)
fn struct_keys() -> BTreeSet<String> {
    let mut c = Config::default();
    c.sip.credentials.push(SipCredential {
        realm: None,
        username: "u".into(),
        password: "p".into(),
    });
    keys_of(&c).into_keys().collect()
}

/// `(key, default cell)` of each row of the key table in docs/config.md.
fn documented() -> Vec<(&'static str, &'static str)> {
    DOCS.lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.strip_prefix("| `")?.split(" | ").collect();
            let key = cells[0].strip_suffix('`')?;
            Some((key, *cells.get(2)?))
        })
        .collect()
}

/// The example with its commented-out keys (`# token = "…"`, `# [[sip.credentials]]`) put
/// back, so that they are checked too.
fn example_uncommented() -> String {
    let is_key = |s: &str| {
        s.starts_with('[')
            || s.split_once(" = ").is_some_and(|(k, _)| {
                !k.is_empty() && k.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
            })
    };
    EXAMPLE
        .lines()
        .map(|l| match l.strip_prefix("# ") {
            Some(rest) if is_key(rest) => rest,
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn diff(what: &str, a: &BTreeSet<String>, b: &BTreeSet<String>) -> String {
    format!(
        "{what}: missing {:?}, unknown {:?}",
        a.difference(b).collect::<Vec<_>>(),
        b.difference(a).collect::<Vec<_>>()
    )
}

#[test]
fn docs_document_every_field_and_nothing_else() {
    let fields = struct_keys();
    let docs: BTreeSet<String> = documented().iter().map(|(k, _)| k.to_string()).collect();
    assert!(fields.len() > 20, "the walk found the fields: {fields:?}");
    assert_eq!(fields, docs, "{}", diff("docs/config.md", &fields, &docs));
}

#[test]
fn example_holds_every_key_with_its_default() {
    // As shipped (options commented out) it is exactly the defaults.
    assert_eq!(Config::from_toml_str(EXAMPLE).unwrap(), Config::default());
    // With them put back every key is there, and every one parses (unknown keys would fail).
    let full = example_uncommented();
    let parsed = Config::from_toml_str(&full).unwrap_or_else(|e| panic!("{e}"));
    assert!(parsed.api.token.is_some() && !parsed.sip.credentials.is_empty());
    let table: toml::Table = full.parse().unwrap();
    let example: BTreeSet<String> = keys_of(&table).into_keys().collect();
    let fields = struct_keys();
    assert_eq!(
        fields,
        example,
        "{}",
        diff("deploy/roomgate.example.toml", &fields, &example)
    );
}

#[test]
fn documented_defaults_are_the_defaults() {
    let defaults = keys_of(&Config::default());
    for (key, cell) in documented() {
        let Some(default) = defaults.get(key) else {
            continue; // inside an array of tables: no default of its own
        };
        let want = match cell.strip_prefix('`').and_then(|c| c.strip_suffix('`')) {
            // A TOML value (`4096`, `true`, `["udp:…"]`) or bare text (`127.0.0.1:8080`).
            Some(text) => match format!("v = {text}").parse::<toml::Table>() {
                Ok(t) => serde_json::to_value(&t["v"]).unwrap(),
                Err(_) => Value::String(text.to_owned()),
            },
            // Prose (none, off, generated): nothing is set by default.
            None => {
                assert!(
                    default.is_null() || default.as_array().is_some_and(Vec::is_empty),
                    "{key}: documented as {cell:?} but defaults to {default}"
                );
                continue;
            }
        };
        assert_eq!(&want, default, "{key}: docs/config.md says {cell}");
    }
}
