//! Structured logs: with `--log-format json`, every line logged about a call leg during a real
//! SIP call carries the Call-ID beside the leg id (in the event or one of its spans), so
//! operators can grep one call out of a busy log.

use crate::support;

use serde_json::Value;
use support::{assert_sipp_ok, sipp, Roomgate};

/// The value of `key` in the event or any of its spans.
fn field<'a>(line: &'a Value, key: &str) -> Option<&'a Value> {
    line.get(key)
        .or_else(|| line.get("fields").and_then(|f| f.get(key)))
        .or_else(|| line.get("span").and_then(|s| s.get(key)))
        .or_else(|| {
            line.get("spans")?
                .as_array()?
                .iter()
                .find_map(|s| s.get(key))
        })
}

#[test]
fn leg_lines_carry_the_call_id() {
    let rg = Roomgate::start(&["--log-format", "json"]);
    let out = sipp(&rg, "basic_call.xml", "u1", &[]);
    assert_sipp_ok(&rg, &out, "call");
    let _ = rg.api("GET", "/api/v1/cdrs", None);
    let log = rg.log_text();
    let lines: Vec<Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let about_legs: Vec<&Value> = lines.iter().filter(|l| field(l, "leg").is_some()).collect();
    assert!(
        about_legs.len() >= 3,
        "the call was logged (incoming, joined, ended):\n{log}"
    );
    let missing: Vec<&&Value> = about_legs
        .iter()
        .filter(|l| {
            field(l, "call_id")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
        })
        .collect();
    assert!(missing.is_empty(), "lines without a Call-ID: {missing:#?}");
}
