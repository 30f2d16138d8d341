//! The Grafana dashboard in deploy/ only queries metrics roomgate registers: every
//! `roomgate_*` series name in deploy/grafana-dashboard.json is in the `/metrics` exposition.

use prometheus_client::registry::Registry;
use roomgate::api::ApiMetrics;
use roomgate::ops::metrics::OpsMetrics;

#[test]
fn every_dashboard_series_is_registered() {
    let mut registry = Registry::default();
    ApiMetrics::register(&mut registry);
    let ops = OpsMetrics::register(&mut registry);
    // Families appear in the exposition once they have a sample.
    ops.calls
        .get_or_create(&roomgate::ops::metrics::StateLabels {
            state: "in_meeting".into(),
        })
        .set(0);
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
    let exposed: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split(' ').next())
        .collect();
    let dash = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/deploy/grafana-dashboard.json"
    ))
    .unwrap();
    serde_json::from_str::<serde_json::Value>(&dash).expect("valid JSON");
    let mut names: Vec<&str> = dash
        .match_indices("roomgate_")
        .map(|(i, _)| {
            let rest = &dash[i..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            &rest[..end]
        })
        .filter(|n| *n != "roomgate_ops" && !n.ends_with('_'))
        .collect();
    names.sort_unstable();
    names.dedup();
    assert!(names.len() > 10, "{names:?}");
    for n in names {
        let family = ["_total", "_bucket", "_count", "_sum"]
            .iter()
            .find_map(|s| n.strip_suffix(s))
            .unwrap_or(n);
        assert!(
            exposed.contains(&family),
            "{n} is not exposed; exposed: {exposed:?}"
        );
    }
}
