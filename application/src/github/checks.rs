//! The `github_checks` job: reports each scan from GitHub as a check run, one stage at a
//! time and in order (created queued, `in_progress` once a worker claimed the scan,
//! `completed` with its conclusion and annotations), each stage stored as soon as GitHub took
//! it. A failure never touches the scan: the check run is retried with a growing delay and
//! given up after `MAX_ATTEMPTS`.

use aegis_domain::github::{
    ANNOTATIONS_PER_REQUEST, CheckRun, CheckStage, annotations, conclusion, summary,
};
use aegis_domain::scan::Scan;

use super::{CheckOutput, CheckUpdate, GithubError, GithubService, GithubTarget, NewCheckRun};

/// Check runs one run reports before it queues the next run.
const BATCH: u64 = 50;
/// Failures before a check run is given up.
const MAX_ATTEMPTS: u32 = 8;
/// The first retry's delay; each next one doubles, up to `MAX_DELAY`.
const FIRST_DELAY: i64 = 5;
const MAX_DELAY: i64 = 600;

/// What a run of the job did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// Requests GitHub took.
    pub sent: u64,
    pub failed: u64,
    pub abandoned: u64,
}

impl GithubService {
    /// Reports the check runs that are behind their scans (the `github_checks` job).
    ///
    /// # Errors
    /// `Unexpected` on storage failure; GitHub's refusals are recorded on the check run.
    pub async fn report_checks(&self) -> Result<CheckReport, GithubError> {
        let now = self.clock.now();
        let open = self.database.open_check_runs(now, BATCH).await?;
        let mut report = CheckReport::default();
        for mut check in open.iter().cloned() {
            let Some(scan) = self
                .database
                .find_scan(check.tenant_id, check.scan_id)
                .await?
            else {
                continue;
            };
            if CheckStage::of(scan.status) <= check.stage {
                continue;
            }
            let config = self.database.github_config(check.tenant_id).await?;
            let target = match &config {
                Some(config) => self.target(config).await.ok(),
                None => None,
            };
            let (Some(config), Some(target)) = (config, target) else {
                check.abandoned = true;
                check.last_error = Some(
                    "the GitHub integration was removed or its token cannot be read".to_owned(),
                );
                check.updated_at = self.clock.now();
                self.database
                    .save_check_run(check.tenant_id, &check)
                    .await?;
                report.abandoned += 1;
                continue;
            };
            match self
                .advance(&mut check, &scan, &config.check_name, &target, &mut report)
                .await
            {
                Ok(()) => {
                    check.attempts = 0;
                    check.retry_at = None;
                    check.last_error = None;
                }
                Err(error) => {
                    report.failed += 1;
                    check.attempts += 1;
                    check.last_error = Some(error.chars().take(2000).collect());
                    if check.attempts >= MAX_ATTEMPTS {
                        tracing::warn!(scan = %check.scan_id, %error, "a check run was given up");
                        check.abandoned = true;
                        report.abandoned += 1;
                    } else {
                        let delay = (FIRST_DELAY << (check.attempts - 1).min(10)).min(MAX_DELAY);
                        let retry_at = self.clock.now() + chrono::Duration::seconds(delay);
                        check.retry_at = Some(retry_at);
                        self.kick.at(retry_at).await;
                    }
                }
            }
            check.updated_at = self.clock.now();
            self.database
                .save_check_run(check.tenant_id, &check)
                .await?;
        }
        if open.len() as u64 == BATCH {
            self.kick.at(self.clock.now()).await;
        }
        Ok(report)
    }

    /// Sends the stages between the check run's and its scan's, storing each as it lands.
    async fn advance(
        &self,
        check: &mut CheckRun,
        scan: &Scan,
        name: &str,
        target: &GithubTarget,
        report: &mut CheckReport,
    ) -> Result<(), String> {
        let reached = CheckStage::of(scan.status);
        while let Some(next) = check.stage.next().filter(|next| *next <= reached) {
            match next {
                CheckStage::Pending => {}
                CheckStage::Queued => {
                    let id = self
                        .api
                        .create_check_run(
                            target,
                            &check.repository,
                            &NewCheckRun {
                                name: name.to_owned(),
                                head_sha: check.head_sha.clone(),
                                external_id: scan.id.to_string(),
                                details_url: self
                                    .public_url
                                    .as_ref()
                                    .map(|url| format!("{url}/scans/{}", scan.id)),
                            },
                        )
                        .await
                        .map_err(|e| e.to_string())?;
                    check.github_id = Some(id);
                }
                CheckStage::InProgress => {
                    let id = check.github_id.ok_or("the check run has no GitHub id")?;
                    let started = CheckUpdate::Started {
                        at: self.clock.now(),
                    };
                    self.api
                        .update_check_run(target, &check.repository, id, &started)
                        .await
                        .map_err(|e| e.to_string())?;
                }
                CheckStage::Completed => {
                    self.complete(check, scan, target, report).await?;
                }
            }
            report.sent += 1;
            check.stage = next;
            check.updated_at = self.clock.now();
            // Stored at once: a failure later in this run never sends this stage again.
            self.database
                .save_check_run(check.tenant_id, check)
                .await
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// Sends the annotations in batches of 50 while in progress (GitHub appends them), then
    /// completes the check run with the last batch; resumes after the last batch GitHub took.
    async fn complete(
        &self,
        check: &mut CheckRun,
        scan: &Scan,
        target: &GithubTarget,
        report: &mut CheckReport,
    ) -> Result<(), String> {
        let id = check.github_id.ok_or("the check run has no GitHub id")?;
        let all = annotations(scan);
        let (title, text) = summary(scan);
        let output = |from: usize, to: usize| CheckOutput {
            title: title.clone(),
            summary: text.clone(),
            annotations: all[from..to].to_vec(),
        };
        let mut sent = (check.annotations_sent as usize).min(all.len());
        while all.len() - sent > ANNOTATIONS_PER_REQUEST {
            let to = sent + ANNOTATIONS_PER_REQUEST;
            self.api
                .update_check_run(
                    target,
                    &check.repository,
                    id,
                    &CheckUpdate::Annotate(output(sent, to)),
                )
                .await
                .map_err(|e| e.to_string())?;
            report.sent += 1;
            sent = to;
            check.annotations_sent = u32::try_from(sent).unwrap_or(u32::MAX);
            self.database
                .save_check_run(check.tenant_id, check)
                .await
                .map_err(|e| e.to_string())?;
        }
        let completed = CheckUpdate::Completed {
            conclusion: conclusion(scan),
            at: scan.completed_at.unwrap_or_else(|| self.clock.now()),
            output: output(sent, all.len()),
        };
        self.api
            .update_check_run(target, &check.repository, id, &completed)
            .await
            .map_err(|e| e.to_string())?;
        check.annotations_sent = u32::try_from(all.len()).unwrap_or(u32::MAX);
        Ok(())
    }
}
