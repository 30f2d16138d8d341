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

/// Median over rounds of (roomgate time / rsip time), the two timed back to back in each
/// round with the order alternating: on a shared, busy machine this pairs each roomgate sample
/// with an rsip sample taken under the same load, which criterion's separate runs cannot.
fn paired_ratio(raw: &Bytes, rounds: usize) -> f64 {
    use std::time::Instant;
    let per_round = 200;
    let time = |f: &dyn Fn() -> usize| {
        let t = Instant::now();
        for _ in 0..per_round {
            black_box(f());
        }
        t.elapsed().as_secs_f64()
    };
    let mut ratios: Vec<f64> = (0..rounds)
        .map(|k| {
            let ours = || roomgate(black_box(raw));
            let theirs = || rsip(black_box(raw));
            if k % 2 == 0 {
                let a = time(&ours);
                a / time(&theirs)
            } else {
                let b = time(&theirs);
                time(&ours) / b
            }
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    ratios[rounds / 2]
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
    if std::env::args().any(|a| a == "--test" || a == "--list") {
        return;
    }

    let dir = criterion_dir();
    let corpus = corpus();
    println!(
        "\nsip_parse: roomgate vs rsip 0.4, parse + typed Via/From/To/CSeq/Call-ID (goal ratio <= 0.25)"
    );
    println!(
        "{:<10} {:>7} {:>13} {:>13} {:>11} {:>13}",
        "message", "bytes", "roomgate ns", "rsip ns", "mean ratio", "paired ratio"
    );
    for (m, raw) in &corpus {
        let paired = paired_ratio(raw, 301);
        let ours = mean_ns(&dir, &format!("roomgate/{m}"));
        let theirs = mean_ns(&dir, &format!("rsip/{m}"));
        let show = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.0}"));
        let ratio = match (ours, theirs) {
            (Some(a), Some(b)) => format!("{:.3}", a / b),
            _ => "-".to_string(),
        };
        println!(
            "{m:<10} {:>7} {:>13} {:>13} {ratio:>11} {paired:>13.3}",
            raw.len(),
            show(ours),
            show(theirs)
        );
    }
    println!(
        "(mean: criterion means of this run; paired: median of back-to-back timings, 301 rounds)"
    );
}
