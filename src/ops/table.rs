//! The `roomgate legs` terminal table: call legs as the API returns them, one line each.

use serde_json::Value;

/// How to order the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortBy {
    Id,
    /// Worst loss over the last 20 s first.
    Loss,
    /// Worst jitter first.
    Jitter,
}

impl std::str::FromStr for SortBy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "id" => Ok(SortBy::Id),
            "loss" => Ok(SortBy::Loss),
            "jitter" => Ok(SortBy::Jitter),
            _ => Err(format!("{s:?}: expected id, loss or jitter")),
        }
    }
}

fn num(v: &Value, path: &[&str]) -> f64 {
    path.iter().fold(v, |v, k| &v[*k]).as_f64().unwrap_or(0.0)
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

/// Orders legs (a JSON array from `GET /api/v1/legs`) in place.
pub fn sort(legs: &mut [Value], by: SortBy) {
    let key = |l: &Value| match by {
        SortBy::Id => -num(l, &["id"]),
        SortBy::Loss => num(l, &["stats", "loss_20s"]),
        SortBy::Jitter => num(l, &["stats", "jitter_ms"]),
    };
    // Descending by the key (ids: ascending, hence the minus), ties by id.
    legs.sort_by(|a, b| {
        key(b)
            .total_cmp(&key(a))
            .then(num(a, &["id"]).total_cmp(&num(b, &["id"])))
    });
}

/// The table, header included, with a trailing newline.
pub fn render(legs: &[Value]) -> String {
    let mut out = format!(
        "{:>5} {:<8} {:<16} {:<22} {:<10} {:<8} {:<6} {:<6} {:>9} {:>8} {:>6} {:>7} {:>4} {:<5} {:>5}\n",
        "LEG", "PROTO", "NAME", "REMOTE", "STATE", "MEETING", "ROOM", "CODEC", "PKTS IN", "LOSS20s",
        "JIT", "RTT", "MOS", "QUAL", "MOVES"
    );
    for l in legs {
        let s = &l["stats"];
        let loss = if s.is_null() {
            "-".to_owned()
        } else {
            format!("{:.1}%", num(s, &["loss_20s"]) * 100.0)
        };
        let ms = |k: &str| match s[k].as_f64() {
            Some(v) => format!("{v:.0}ms"),
            None => "-".into(),
        };
        out.push_str(&format!(
            "{:>5} {:<8} {:<16} {:<22} {:<10} {:<8} {:<6} {:<6} {:>9} {:>8} {:>6} {:>7} {:>4} {:<5} {:>5}\n",
            text(&l["id"]),
            cut(&text(&l["protocol"]), 8),
            cut(&text(&l["name"]), 16),
            cut(&text(&l["remote"]), 22),
            cut(&text(&l["state"]), 10),
            cut(&text(&l["meeting"]), 8),
            cut(&text(&l["room"]), 6),
            cut(&text(&l["audio_codec"]), 6),
            s["packets_in"].as_u64().map_or("-".into(), |n| n.to_string()),
            loss,
            ms("jitter_ms"),
            ms("rtt_ms"),
            s["mos"].as_f64().map_or("-".into(), |m| format!("{m:.1}")),
            text(&l["quality"]),
            l["moves"].as_array().map_or(0, Vec::len),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sorted_by_loss_then_rendered() {
        let mut legs = vec![
            json!({"id": 1, "name": "A", "stats": {"loss_20s": 0.01, "jitter_ms": 9.0}}),
            json!({"id": 2, "name": "B", "stats": {"loss_20s": 0.20, "jitter_ms": 1.0, "mos": 2.1}, "quality": "bad"}),
            json!({"id": 3, "name": "C", "stats": null, "moves": [{}, {}]}),
        ];
        sort(&mut legs, SortBy::Loss);
        assert_eq!(
            legs.iter()
                .map(|l| l["id"].as_u64().unwrap())
                .collect::<Vec<_>>(),
            [2, 1, 3]
        );
        sort(&mut legs, SortBy::Jitter);
        assert_eq!(legs[0]["id"], 1);
        sort(&mut legs, SortBy::Id);
        assert_eq!(legs[0]["id"], 1);
        let t = render(&legs);
        assert_eq!(t.lines().count(), 4);
        let b = t
            .lines()
            .find(|l| l.trim_start().starts_with("2 "))
            .unwrap();
        assert!(
            b.contains("20.0%") && b.contains("2.1") && b.contains("bad"),
            "{b}"
        );
        assert!(
            t.lines().last().unwrap().trim_end().ends_with('2'),
            "two moves"
        );
    }
}
