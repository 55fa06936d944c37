//! The telemetry evaluator over the repository's fixtures (every shape of event, rules that
//! fire, do not fire and cannot be evaluated) and over the shared Security Datasets with the
//! whole Sigma corpus (skipped, saying so, when ../shared is absent).

use std::path::{Path, PathBuf};

use aegis_infrastructure::telemetry::{
    Evaluation, RuleEntry, TelemetryLimits, evaluate_file, load_rules,
};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/telemetry")
}

fn fixture_rules() -> Vec<RuleEntry> {
    let set = load_rules(&fixtures().join("rules")).unwrap();
    assert!(set.skipped.is_empty(), "{:?}", set.skipped);
    set.rules
}

fn evaluate(rules: Vec<RuleEntry>, events: &Path) -> Evaluation {
    evaluate_file(rules, events, TelemetryLimits::default())
        .unwrap()
        .0
}

fn fired<'a>(
    evaluation: &'a Evaluation,
    id: &str,
) -> Option<&'a aegis_infrastructure::telemetry::FiredRule> {
    evaluation.fired.iter().find(|f| f.id == id)
}

const WHOAMI: &str = "9e8f2e4d-0000-4000-8000-000000000001";
const MIMIKATZ: &str = "9e8f2e4d-0000-4000-8000-000000000002";
const LSASS: &str = "9e8f2e4d-0000-4000-8000-000000000003";

#[test]
fn the_flat_format_fires_sysmon_security_and_powershell_rules() {
    let evaluation = evaluate(fixture_rules(), &fixtures().join("security_datasets.jsonl"));
    assert_eq!(evaluation.events_read, 6);
    assert_eq!(
        evaluation.rules_evaluated, 3,
        "{:?}",
        evaluation.unsupported
    );
    assert_eq!(evaluation.rules_unsupported, 2);
    // Sysmon 1 and Security 4688; the one under svchost is filtered out.
    let whoami = fired(&evaluation, WHOAMI).unwrap();
    assert_eq!(whoami.matching_events, 2);
    assert_eq!(
        whoami.first_match_at.map(|t| t.to_rfc3339()),
        Some("2024-03-01T10:00:01.100+00:00".to_owned())
    );
    let sample = &whoami.samples[0];
    assert_eq!(sample.record_id.as_deref(), Some("101"));
    assert!(
        sample
            .fields
            .iter()
            .any(|f| f.name == "image" && f.value.ends_with("whoami.exe"))
    );
    assert_eq!(fired(&evaluation, MIMIKATZ).unwrap().matching_events, 1);
    assert_eq!(fired(&evaluation, LSASS).unwrap().matching_events, 1);
    let reasons: Vec<&str> = evaluation
        .unsupported
        .iter()
        .map(|u| u.reason.as_str())
        .collect();
    assert!(reasons.iter().any(|r| r.contains("linux")), "{reasons:?}");
    assert!(
        reasons.iter().any(|r| r.contains("aggregation")),
        "{reasons:?}"
    );
}

#[test]
fn winlogbeat_and_splunk_exports_fire_the_same_rules() {
    let winlogbeat = evaluate(fixture_rules(), &fixtures().join("winlogbeat.ndjson"));
    assert_eq!(
        fired(&winlogbeat, WHOAMI).map(|f| f.matching_events),
        Some(1)
    );
    let splunk = evaluate(fixture_rules(), &fixtures().join("splunk_export.json"));
    assert_eq!(fired(&splunk, MIMIKATZ).map(|f| f.matching_events), Some(1));
    assert!(fired(&splunk, WHOAMI).is_none());
}

#[test]
fn a_gzipped_and_a_zipped_capture_read_like_the_plain_one() {
    use std::io::Write;
    let plain = std::fs::read(fixtures().join("security_datasets.jsonl")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let gz_path = dir.path().join("capture.jsonl.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&plain).unwrap();
    std::fs::write(&gz_path, gz.finish().unwrap()).unwrap();
    let zip_path = dir.path().join("capture.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    zip.start_file("capture.json", zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all(&plain).unwrap();
    zip.finish().unwrap();
    for path in [gz_path, zip_path] {
        let evaluation = evaluate(fixture_rules(), &path);
        assert_eq!(evaluation.events_read, 6, "{}", path.display());
        assert_eq!(
            fired(&evaluation, WHOAMI).map(|f| f.matching_events),
            Some(2)
        );
    }
}

/// A real EVTX log: the sample the evtx project ships in its Python binding's source
/// distribution (PyPI `evtx` 0.8.0, `samples/Security_short_selected.evtx`), which
/// scripts/test.sh fetches once and names in AEGIS_TEST_EVTX_SAMPLE. What is asserted here is
/// what that project's own reference parser (pyevtx-rs 0.14) reports for it: seven Security
/// records, the fourth a failed Remote Desktop logon (4625, type 10, `EventRecordID`
/// 319457832) from 23.94.153.202, created at 15:24:36.686 UTC (`TimeCreated`; the record was
/// written 31 ms later, which is not the event's time).
#[test]
fn an_evtx_log_is_read_record_by_record_and_fires_a_security_rule() {
    let Some(sample) = std::env::var_os("AEGIS_TEST_EVTX_SAMPLE").map(PathBuf::from) else {
        eprintln!(
            "skipped: AEGIS_TEST_EVTX_SAMPLE is unset (scripts/test.sh fetches the evtx project's sample log)"
        );
        return;
    };
    let rules = load_rules(&fixtures().join("evtx-rules")).unwrap();
    assert!(rules.skipped.is_empty(), "{:?}", rules.skipped);
    let evaluation = evaluate(rules.rules.clone(), &sample);
    assert_eq!(evaluation.events_read, 7);
    assert_eq!(
        evaluation.rules_evaluated, 2,
        "{:?}",
        evaluation.unsupported
    );
    let public = fired(&evaluation, "9e8f2e4d-0000-4000-8000-000000000101").unwrap();
    assert_eq!(public.matching_events, 1);
    assert_eq!(
        public.first_match_at.map(|t| t.to_rfc3339()),
        Some("2016-06-29T15:24:36.686+00:00".to_owned())
    );
    assert_eq!(public.samples[0].record_id.as_deref(), Some("319457832"));
    assert!(fired(&evaluation, "9e8f2e4d-0000-4000-8000-000000000102").is_none());

    // The same log gzipped reads the same: the format is recognised after decompression.
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let gz_path = dir.path().join("security.evtx.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&std::fs::read(&sample).unwrap()).unwrap();
    std::fs::write(&gz_path, gz.finish().unwrap()).unwrap();
    let gzipped = evaluate(rules.rules, &gz_path);
    assert_eq!(gzipped.events_read, 7);
    assert_eq!(
        fired(&gzipped, "9e8f2e4d-0000-4000-8000-000000000101").map(|f| f.matching_events),
        Some(1)
    );
}

fn shared() -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/feeds");
    root.join("telemetry/OTRF__Security-Datasets")
        .is_dir()
        .then_some(root)
}

fn datasets(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![root.join("telemetry/OTRF__Security-Datasets/datasets")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "zip") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// The whole corpus over three shared datasets (the debug build reads about 1 MB of JSON a
/// second through 2,800 rules; the 46 are `every_shared_dataset_…` below and
/// `scripts/telemetry-datasets.sh`): the credential-dumping rules of each fire.
#[test]
fn the_whole_corpus_proves_credential_dumping_in_shared_datasets() {
    let Some(root) = shared() else {
        eprintln!("skipped: ../shared/feeds/telemetry is absent (the shared feed corpus)");
        return;
    };
    let corpus = load_rules(&root.join("sigma/SigmaHQ__sigma@8eaafff-full")).unwrap();
    assert!(corpus.rules.len() > 3_000, "{}", corpus.rules.len());
    for (name, technique) in [
        ("cmd_psexec_lsa_secrets_dump.zip", "T1003.002"),
        ("cmd_sam_copy_esentutl.zip", "T1003.002"),
        (
            "covenant_dcsync_dcerpc_drsuapi_DsGetNCChanges.zip",
            "T1003.006",
        ),
    ] {
        let dataset = datasets(&root)
            .into_iter()
            .find(|d| d.ends_with(name))
            .unwrap();
        let (evaluation, _) =
            evaluate_file(corpus.rules.clone(), &dataset, TelemetryLimits::default()).unwrap();
        assert!(evaluation.events_read > 200, "{name}");
        assert_eq!(
            evaluation.rules_evaluated + evaluation.rules_unsupported,
            corpus.rules.len()
        );
        assert!(
            evaluation
                .fired
                .iter()
                .any(|f| f.techniques.iter().any(|t| t == technique)),
            "{name}: no rule of {technique} fired: {:?}",
            evaluation
                .fired
                .iter()
                .map(|f| &f.title)
                .collect::<Vec<_>>()
        );
    }
}

/// Every shared dataset evaluates without error against the whole corpus (minutes in a debug
/// build: run with `--run-ignored all`, or `scripts/telemetry-datasets.sh` on a release build).
#[test]
#[ignore = "minutes in a debug build; scripts/telemetry-datasets.sh runs it on a release build"]
fn every_shared_dataset_evaluates_against_the_whole_corpus() {
    let Some(root) = shared() else {
        eprintln!("skipped: ../shared/feeds/telemetry is absent (the shared feed corpus)");
        return;
    };
    let corpus = load_rules(&root.join("sigma/SigmaHQ__sigma@8eaafff-full")).unwrap();
    let datasets = datasets(&root);
    assert_eq!(datasets.len(), 46);
    let mut fired_somewhere = 0;
    for dataset in &datasets {
        let (evaluation, _) =
            evaluate_file(corpus.rules.clone(), dataset, TelemetryLimits::default())
                .unwrap_or_else(|e| panic!("{}: {e}", dataset.display()));
        assert!(evaluation.events_read > 0, "{}", dataset.display());
        if !evaluation.fired.is_empty() {
            fired_somewhere += 1;
        }
    }
    assert!(
        fired_somewhere >= 40,
        "rules fired on only {fired_somewhere} datasets"
    );
}
