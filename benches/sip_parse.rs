//! Parse + typed access to Via, From, To, CSeq and Call-ID on a corpus of real-looking
//! messages (fixtures/sip/corpus), for roomgate's codec and, as the baseline in the same run,
//! rsip 0.4. Ids: `sip_parse/roomgate/<message>` and `sip_parse/rsip/<message>`; the ratio
//! roomgate/rsip is printed at the end (goal ≤ 0.25).
//!
//! `cargo bench --bench sip_parse -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use criterion::Criterion;
use roomgate::sip::codec;

const MESSAGES: [&str; 5] = ["invite", "ok200", "ack", "bye", "register"];

fn corpus() -> Vec<(&'static str, Bytes)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sip/corpus");
    MESSAGES
        .iter()
        .map(|m| {
            let raw = std::fs::read(dir.join(format!("{m}.sip"))).expect("corpus file");
            (*m, Bytes::from(raw))
        })
        .collect()
}

fn roomgate(raw: &Bytes) -> usize {
    let m = codec::parse(raw.clone()).expect("corpus parses");
    let via = m.via().expect("Via");
    let from = m.from().expect("From");
    let to = m.to().expect("To");
    let cseq = m.cseq().expect("CSeq");
    let call_id = m.call_id().expect("Call-ID");
    via.branch().map_or(0, str::len)
        + from.tag().map_or(0, str::len)
        + to.tag().map_or(0, str::len)
        + cseq.seq as usize
        + call_id.as_str().len()
        + m.body().len()
}

fn rsip(raw: &[u8]) -> usize {
    use rsip::prelude::*;
    let m = rsip::SipMessage::try_from(raw).expect("rsip parses the corpus");
    let via = m.via_header().expect("Via").typed().expect("typed Via");
    let from = m.from_header().expect("From").typed().expect("typed From");
    let to = m.to_header().expect("To").typed().expect("typed To");
    let cseq = m.cseq_header().expect("CSeq").typed().expect("typed CSeq");
    let call_id = m.call_id_header().expect("Call-ID").value().len();
    via.branch().map_or(0, |b| b.to_string().len())
        + from.tag().map_or(0, |t| t.value().len())
        + to.tag().map_or(0, |t| t.value().len())
        + cseq.seq as usize
        + call_id
        + m.body().len()
}

fn bench(c: &mut Criterion) {
    let corpus = corpus();
    // Same observable result from both parsers before timing anything.
    for (name, raw) in &corpus {
        assert_eq!(roomgate(raw), rsip(raw), "{name}: parsers disagree");
    }
    let mut g = c.benchmark_group("sip_parse");
    for (name, raw) in &corpus {
        g.throughput(criterion::Throughput::Bytes(raw.len() as u64));
        g.bench_function(format!("roomgate/{name}"), |b| {
            b.iter(|| roomgate(black_box(raw)))
        });
        g.bench_function(format!("rsip/{name}"), |b| b.iter(|| rsip(black_box(raw))));
    }
    g.finish();

    // Where roomgate's time goes, on the INVITE: parse alone, then each typed access alone.
    let (_, invite) = &corpus[0];
    let parsed = codec::parse(invite.clone()).expect("corpus parses");
    let mut g = c.benchmark_group("sip_parse_breakdown");
    g.bench_function("parse", |b| {
        b.iter(|| codec::parse(black_box(invite).clone()).map(|m| m.headers().len()))
    });
    g.bench_function("via", |b| b.iter(|| black_box(&parsed).via().is_ok()));
    g.bench_function("from", |b| b.iter(|| black_box(&parsed).from().is_ok()));
    g.bench_function("to", |b| b.iter(|| black_box(&parsed).to().is_ok()));
    g.bench_function("cseq", |b| b.iter(|| black_box(&parsed).cseq().is_ok()));
    g.bench_function("call_id", |b| {
        b.iter(|| black_box(&parsed).call_id().is_ok())
    });
    g.finish();
}

/// Mean time in ns criterion recorded for `sip_parse/<id>` in this run.
fn mean_ns(dir: &Path, id: &str) -> Option<f64> {
    let path = dir
        .join("sip_parse")
        .join(id.replace('/', "_"))
        .join("new/estimates.json");
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    v["mean"]["point_estimate"].as_f64()
}

fn criterion_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
        .join("criterion")
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();

    let dir = criterion_dir();
    println!("\nsip_parse: mean per message, roomgate vs rsip 0.4 (same run; goal ratio <= 0.25)");
    println!(
        "{:<10} {:>14} {:>14} {:>8}",
        "message", "roomgate ns", "rsip ns", "ratio"
    );
    for m in MESSAGES {
        match (
            mean_ns(&dir, &format!("roomgate/{m}")),
            mean_ns(&dir, &format!("rsip/{m}")),
        ) {
            (Some(ours), Some(theirs)) => {
                println!("{m:<10} {ours:>14.0} {theirs:>14.0} {:>8.3}", ours / theirs)
            }
            _ => println!("{m:<10} (no estimate recorded: run without --test / a filter)"),
        }
    }
}
