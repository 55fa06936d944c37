//! Benchmark: the whole Sigma corpus evaluated over every shared Security Dataset on one
//! thread: events per second, and the peak resident memory of the process.
//!
//! `cargo bench -p aegis-tests --bench telemetry_eval` (the corpus and datasets from
//! AEGIS_SHARED_FEEDS or ../shared/feeds). See docs/benchmarks.md.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    reason = "a benchmark program"
)]

use std::path::{Path, PathBuf};
use std::time::Instant;

use aegis_infrastructure::telemetry::{TelemetryLimits, evaluate_file, load_rules};

fn feeds() -> PathBuf {
    std::env::var_os("AEGIS_SHARED_FEEDS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/feeds"),
        PathBuf::from,
    )
}

fn datasets(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            datasets(&path, found);
        } else if path.extension().is_some_and(|e| e == "zip") {
            found.push(path);
        }
    }
}

/// The process's peak resident set, from /proc (Linux).
fn peak_rss_kib() -> Option<u64> {
    std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn main() {
    let feeds = feeds();
    let started = Instant::now();
    let corpus = load_rules(&feeds.join("sigma/SigmaHQ__sigma@8eaafff-full")).unwrap();
    println!(
        "corpus: {} rules read and compiled in {:.2?}",
        corpus.rules.len(),
        started.elapsed()
    );
    let mut found = Vec::new();
    datasets(
        &feeds.join("telemetry/OTRF__Security-Datasets/datasets/atomic/windows"),
        &mut found,
    );
    found.sort();
    let (mut events, mut bytes) = (0usize, 0u64);
    let started = Instant::now();
    for dataset in &found {
        let (evaluation, read) =
            evaluate_file(corpus.rules.clone(), dataset, TelemetryLimits::default()).unwrap();
        events += evaluation.events_read;
        bytes += read.bytes;
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "{} datasets: {events} events ({:.0} MiB of JSON) in {elapsed:.2} s: {:.0} events/s, {:.1} MiB/s, one thread",
        found.len(),
        bytes as f64 / 1_048_576.0,
        events as f64 / elapsed,
        bytes as f64 / 1_048_576.0 / elapsed
    );
    if let Some(peak) = peak_rss_kib() {
        println!("peak resident memory: {:.0} MiB", peak as f64 / 1024.0);
    }
}
