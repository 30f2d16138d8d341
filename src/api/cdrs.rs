//! `GET /api/v1/cdrs?from=&to=&meeting=&format=json|csv&limit=`: call detail records of legs
//! that started in `[from, to)`, oldest first. `from`/`to` are Unix seconds or RFC 3339 UTC
//! times (`2026-11-26T08:00:00Z`); `limit` defaults to 10000.
//!
//! JSON: an array of records (see [`crate::ops::legs::Cdr`]); a leg that was up when
//! roomgate stopped without a goodbye has `end_by: "interrupted"`. CSV: one line per record
//! with the columns of [`CSV_COLUMNS`]; moves as `time from→to by` joined with `; `.

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use axum::Json;
use serde::Deserialize;
use serde_json::Value;

use super::legs::operators_only;
use super::problem::{ApiQuery, Problem};
use super::{Access, ApiState, Control};
use crate::store::{LegQuery, LegRecord};

const DEFAULT_LIMIT: usize = 10_000;

#[derive(Debug, Deserialize)]
pub struct CdrParams {
    pub from: Option<String>,
    pub to: Option<String>,
    pub meeting: Option<String>,
    pub format: Option<String>,
    pub limit: Option<usize>,
}

/// Unix seconds from `1764144000` or `2026-11-26T08:00:00Z` (fraction allowed).
pub fn parse_time(s: &str) -> Option<i64> {
    if let Ok(n) = s.parse::<i64>() {
        return Some(n);
    }
    let s = s.strip_suffix('Z').or_else(|| s.strip_suffix("+00:00"))?;
    let (date, time) = s.split_once(['T', ' '])?;
    let mut d = date.split('-').map(|x| x.parse::<i64>());
    let (y, m, dd) = (d.next()?.ok()?, d.next()?.ok()?, d.next()?.ok()?);
    let time = time.split('.').next()?;
    let mut t = time.split(':').map(|x| x.parse::<i64>());
    let (hh, mm, ss) = (t.next()?.ok()?, t.next()?.ok()?, t.next()?.ok()?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&dd) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + dd - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// One record as the API shows it: the stored JSON with the row's end filled in when a
/// crash closed it.
pub fn record_json(r: &LegRecord) -> Value {
    let mut v: Value =
        serde_json::from_str(&r.record).unwrap_or_else(|_| Value::Object(Default::default()));
    let Some(o) = v.as_object_mut() else {
        return v;
    };
    o.entry("id").or_insert_with(|| r.id.clone().into());
    o.entry("call_id")
        .or_insert_with(|| r.call_id.clone().map_or(Value::Null, Into::into));
    o.entry("meeting")
        .or_insert_with(|| r.meeting_id.clone().map_or(Value::Null, Into::into));
    if o.get("ended_ms").is_none_or(Value::is_null) {
        if let Some(end) = r.ended_at {
            o.insert("ended_ms".into(), (end * 1000).into());
            o.insert(
                "ended_at".into(),
                crate::ops::legs::rfc3339(end * 1000).into(),
            );
            if let Some(start) = o.get("started_ms").and_then(Value::as_i64) {
                o.insert(
                    "duration_s".into(),
                    ((end * 1000 - start).max(0) as f64 / 1000.0).into(),
                );
            }
        }
    }
    if o.get("end_by").is_none_or(Value::is_null) {
        o.insert(
            "end_by".into(),
            r.end_reason.clone().map_or(Value::Null, Into::into),
        );
    }
    v
}

/// The CSV columns, in order.
pub const CSV_COLUMNS: [&str; 21] = [
    "id",
    "leg",
    "call_id",
    "meeting",
    "protocol",
    "remote",
    "user_agent",
    "name",
    "started_at",
    "ended_at",
    "duration_s",
    "end_by",
    "sip_status",
    "reason",
    "audio_codec",
    "packets_in",
    "packets_out",
    "loss_total",
    "quality",
    "mos_min",
    "moves",
];

fn csv_field(v: Option<&Value>) -> String {
    let s = match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    // RFC 4180 §2: quote fields with commas, quotes or line breaks; double the quotes.
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

pub fn to_csv(records: &[Value]) -> String {
    let mut out = CSV_COLUMNS.join(",");
    out.push_str("\r\n");
    for r in records {
        let moves = r["moves"]
            .as_array()
            .map(|m| {
                m.iter()
                    .map(|m| {
                        let by = match &m["by"] {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        format!(
                            "{} {}→{} {}",
                            m["at"].as_str().unwrap_or(""),
                            m["from"].as_str().unwrap_or(""),
                            m["to"].as_str().unwrap_or(""),
                            by
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default();
        let row: Vec<String> = CSV_COLUMNS
            .iter()
            .map(|c| match *c {
                "quality" => csv_field(r["quality"].get("worst")),
                "mos_min" => csv_field(r["quality"].get("mos_min")),
                "moves" => csv_field(Some(&Value::String(moves.clone()))),
                c => csv_field(r.get(c)),
            })
            .collect();
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    out
}

pub async fn list<C: Control>(
    State(s): State<ApiState<C>>,
    Extension(access): Extension<Access>,
    ApiQuery(p): ApiQuery<CdrParams>,
) -> Result<Response, Problem> {
    operators_only(access)?;
    let time = |field: &str, v: &Option<String>| -> Result<Option<i64>, Problem> {
        v.as_deref()
            .map(|t| {
                parse_time(t).ok_or_else(|| {
                    Problem::invalid(field, "Unix seconds or an RFC 3339 UTC time (…Z)")
                })
            })
            .transpose()
    };
    let q = LegQuery {
        from: time("from", &p.from)?,
        to: time("to", &p.to)?,
        meeting: p.meeting,
        limit: p.limit.unwrap_or(DEFAULT_LIMIT),
    };
    let csv = match p.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => return Err(Problem::invalid("format", "json or csv")),
    };
    let records: Vec<Value> = s
        .control
        .call_records(q)
        .await?
        .iter()
        .map(record_json)
        .collect();
    if csv {
        let mut res = to_csv(&records).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/csv; charset=utf-8; header=present"),
        );
        return Ok(res);
    }
    Ok(Json(records).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(parse_time("0"), Some(0));
        assert_eq!(parse_time("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_time("2026-11-26T07:34:22.123Z"), Some(1_795_678_462));
        assert_eq!(parse_time("2000-02-29T00:00:00Z"), Some(951_782_400));
        assert_eq!(parse_time("2026-13-01T00:00:00Z"), None);
        assert_eq!(parse_time("yesterday"), None);
    }

    #[test]
    fn csv_quotes_and_interrupted_rows() {
        let r = LegRecord {
            id: "x-1".into(),
            meeting_id: Some("1000".into()),
            call_id: Some("a,b".into()),
            protocol: "SIP/UDP".into(),
            remote: "127.0.0.1:1".into(),
            user_agent: None,
            started_at: 10,
            ended_at: Some(20),
            end_reason: Some("interrupted".into()),
            record:
                r#"{"started_ms": 10000, "ended_ms": null, "end_by": null, "name": "Say \"hi\""}"#
                    .into(),
        };
        let v = record_json(&r);
        assert_eq!(v["end_by"], "interrupted");
        assert_eq!(v["duration_s"], 10.0);
        let csv = to_csv(&[v]);
        let line = csv.lines().nth(1).unwrap();
        assert!(line.starts_with("x-1,,\"a,b\",1000,"), "{line}");
        assert!(line.contains("\"Say \"\"hi\"\"\""), "{line}");
    }
}
