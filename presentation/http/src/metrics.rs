//! Prometheus metrics: request counts and latency histograms by route, method and status,
//! served at `/metrics` only to a scraper that presents the configured bearer token.

use std::sync::Arc;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, web};
use metrics::{Key, Label, Metadata, Recorder};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusRecorder};

use aegis_domain::scan::{LATENCY_BUCKETS_MS, ScanQueueStats};

const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];
const METADATA: Metadata<'static> = Metadata::new(module_path!(), metrics::Level::INFO, None);

/// The registry of this app's metrics. Owned, not installed globally, so several apps can
/// live in one process (tests) without sharing counts.
#[derive(Clone)]
pub struct HttpMetrics {
    recorder: Arc<PrometheusRecorder>,
}

impl HttpMetrics {
    pub fn new() -> Self {
        let builder = PrometheusBuilder::new();
        let builder = builder
            .set_buckets(&LATENCY_BUCKETS)
            .unwrap_or_else(|_| PrometheusBuilder::new());
        Self {
            recorder: Arc::new(builder.build_recorder()),
        }
    }

    pub fn render(&self) -> String {
        self.recorder.handle().render()
    }

    fn observe(&self, route: String, method: String, status: u16, seconds: f64) {
        let labels = vec![
            Label::new("route", route),
            Label::new("method", method),
            Label::new("status", status.to_string()),
        ];
        let requests = Key::from_parts("aegis_http_requests_total", labels.clone());
        self.recorder
            .register_counter(&requests, &METADATA)
            .increment(1);
        let latency = Key::from_parts("aegis_http_request_duration_seconds", labels);
        self.recorder
            .register_histogram(&latency, &METADATA)
            .record(seconds);
    }
}

/// Whether a request may read the metrics: only with `Authorization: Bearer <token>` equal to
/// the configured token. Without a configured token the metrics are not served at all (404,
/// as if absent), so that a default installation shows them to no one.
///
/// # Errors
/// A 404 problem when no token is configured, a 401 with `WWW-Authenticate: Bearer` when the
/// request does not present it.
pub fn authorize_scrape(
    headers: &actix_web::http::header::HeaderMap,
    configured: Option<&secrecy::SecretString>,
) -> Result<(), crate::problem::ApiError> {
    use secrecy::ExposeSecret;
    let Some(configured) = configured else {
        return Err(crate::problem::ApiError::not_found());
    };
    let presented = crate::auth::bearer_token(headers).unwrap_or_default();
    if same_secret(presented.as_bytes(), configured.expose_secret().as_bytes()) {
        Ok(())
    } else {
        Err(crate::problem::ApiError::new(
            actix_web::http::StatusCode::UNAUTHORIZED,
            "METRICS_TOKEN_REQUIRED",
            "The metrics need the configured bearer token",
        )
        .with_www_authenticate("Bearer realm=\"aegis-metrics\""))
    }
}

/// Compares every byte whatever the first difference, so that the time taken tells nothing of
/// how much of a guessed token was right.
fn same_secret(presented: &[u8], configured: &[u8]) -> bool {
    presented.len() == configured.len()
        && presented
            .iter()
            .zip(configured)
            .fold(0u8, |difference, (a, b)| difference | (a ^ b))
            == 0
}

/// Appends the scan queue in the text exposition format. The recorder models instruments a
/// process updates as things happen; these are counts the database holds whichever process
/// ran the scans, so they are written from the counts themselves, each family's header
/// followed by its samples.
pub fn render_scan_queue(queue: &ScanQueueStats, out: &mut String) {
    use std::fmt::Write as _;
    let mut family = |name: &str, kind: &str, help: &str, samples: &[(String, String)]| {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} {kind}");
        for (suffix_and_labels, value) in samples {
            let _ = writeln!(out, "{name}{suffix_and_labels} {value}");
        }
    };
    let plain = |value: u64| vec![(String::new(), value.to_string())];
    family(
        "aegis_scan_queue_depth",
        "gauge",
        "Scans waiting for a worker (queued) or held by one (running).",
        &[
            ("{status=\"queued\"}".to_owned(), queue.queued.to_string()),
            ("{status=\"running\"}".to_owned(), queue.running.to_string()),
        ],
    );
    family(
        "aegis_scan_dead_letters_total",
        "counter",
        "Scans given up as error once their attempts ran out.",
        &plain(queue.dead_letters),
    );
    family(
        "aegis_scans_completed_total",
        "counter",
        "Scans decided pass or fail.",
        &plain(queue.completed),
    );
    let mut latency: Vec<(String, String)> = LATENCY_BUCKETS_MS
        .iter()
        .zip(&queue.latency_buckets)
        .map(|(bound, count)| {
            (
                format!("_bucket{{le=\"{}\"}}", seconds(*bound)),
                count.to_string(),
            )
        })
        .collect();
    latency.push((
        "_bucket{le=\"+Inf\"}".to_owned(),
        queue.latency_count.to_string(),
    ));
    latency.push(("_sum".to_owned(), seconds(queue.latency_sum_ms)));
    latency.push(("_count".to_owned(), queue.latency_count.to_string()));
    family(
        "aegis_scan_latency_seconds",
        "histogram",
        "From submission to decision.",
        &latency,
    );
    family(
        "aegis_scan_diffs_expired_total",
        "counter",
        "Raw diffs past their tenant's retention, marked for deletion.",
        &plain(queue.diffs_expired),
    );
    family(
        "aegis_scan_diffs_awaiting_deletion",
        "gauge",
        "Expired diffs the evidence sweep has not removed yet (it retries while the store fails).",
        &plain(queue.diffs_awaiting_deletion),
    );
}

/// Milliseconds as the seconds Prometheus expects (`0.25`, `2`).
fn seconds(milliseconds: u64) -> String {
    let whole = milliseconds / 1000;
    match milliseconds % 1000 {
        0 => whole.to_string(),
        fraction => format!("{whole}.{}", format!("{fraction:03}").trim_end_matches('0')),
    }
}

impl Default for HttpMetrics {
    fn default() -> Self {
        Self::new()
    }
}

pub async fn middleware(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let metrics = request.app_data::<web::Data<HttpMetrics>>().cloned();
    // The route pattern, not the path, keeps label cardinality bounded.
    let route = request
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = request.method().to_string();
    let response = next.call(request).await?;
    if let Some(metrics) = metrics {
        metrics.observe(
            route,
            method,
            response.status().as_u16(),
            started.elapsed().as_secs_f64(),
        );
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scan_queue_is_a_histogram_prometheus_reads() {
        let queue = ScanQueueStats {
            queued: 2,
            running: 1,
            completed: 3,
            dead_letters: 1,
            latency_buckets: vec![0, 1, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3],
            latency_count: 3,
            latency_sum_ms: 2_750,
            diffs_expired: 4,
            diffs_awaiting_deletion: 1,
        };
        let mut text = String::new();
        render_scan_queue(&queue, &mut text);
        for line in [
            "aegis_scan_queue_depth{status=\"queued\"} 2",
            "aegis_scan_latency_seconds_bucket{le=\"0.25\"} 0",
            "aegis_scan_latency_seconds_bucket{le=\"0.5\"} 1",
            "aegis_scan_latency_seconds_bucket{le=\"3600\"} 3",
            "aegis_scan_latency_seconds_bucket{le=\"+Inf\"} 3",
            "aegis_scan_latency_seconds_sum 2.75",
            "aegis_scan_dead_letters_total 1",
            "aegis_scan_diffs_awaiting_deletion 1",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line} missing from:\n{text}"
            );
        }
        // Each family's samples follow its own TYPE line.
        let histogram = text.find("# TYPE aegis_scan_latency_seconds histogram");
        let first_bucket = text.find("aegis_scan_latency_seconds_bucket");
        let next_family = text.find("# HELP aegis_scan_diffs_expired_total");
        assert!(histogram < first_bucket && first_bucket < next_family);
    }
}
