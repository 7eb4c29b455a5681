//! The handler core, measured by criterion: what the vote counter does with
//! one 10,000-vote Lambda batch before it writes anything — parse the
//! event, base64-decode each record, parse and validate its JSON, count per
//! driver (day 06's `tally`).
//!
//! `just bench` runs this first; `benches/pitlane.rs` then reads criterion's
//! estimate and sets it beside the same work in Python.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pitlane::lambda::KinesisEvent;
use pitlane_bench::{HANDLER_CORE_PARSE_EVENT, HANDLER_CORE_PER_RECORD, HANDLER_CORE_WHOLE};

fn handler_core(c: &mut Criterion) {
    let json = pitlane_bench::vote_batch(10_000);
    let mut group = c.benchmark_group("handler_core");
    group.throughput(Throughput::Elements(10_000));
    group.sample_size(30);
    group.bench_function(HANDLER_CORE_WHOLE, |b| {
        b.iter(|| {
            let event: KinesisEvent = serde_json::from_str(&json).expect("a batch");
            let tally = day06_count_votes_solution::tally(&event.records);
            assert_eq!(tally.counts.values().sum::<u64>(), 10_000);
            tally
        })
    });
    // Where the time goes: the two halves on their own. Parsing the event
    // (base64 included) is what `lambda_runtime` does before the handler
    // runs; the per-record work is the handler's own.
    group.bench_function(HANDLER_CORE_PARSE_EVENT, |b| {
        b.iter(|| serde_json::from_str::<KinesisEvent>(&json).expect("a batch"))
    });
    let event: KinesisEvent = serde_json::from_str(&json).expect("a batch");
    group.bench_function(HANDLER_CORE_PER_RECORD, |b| {
        b.iter(|| day06_count_votes_solution::tally(&event.records))
    });
    group.finish();
}

criterion_group!(benches, handler_core);
criterion_main!(benches);
