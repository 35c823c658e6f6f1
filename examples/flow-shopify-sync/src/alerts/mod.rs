//! Alerts: what needs an operator, found in the state store and the engine's view of the
//! systems, sent as one digest per check (never one message per order) by e-mail
//! ([`mail`]) and/or to a chat webhook ([`chat`]). Each finding says what to do.
//!
//! Found: receipts ETA refused (Invalid / rejected) or near their 24-hour deadline; dead
//! letters and parked jobs older than `alerts.stale_after_hours`; a system failing
//! authentication or unreachable; the Shopify API version within `alerts.api_version_days`
//! of retirement; yesterday's three-way reconciliation out of balance. An unchanged digest
//! is sent again only after `alerts.repeat_hours`.

pub mod chat;
pub mod mail;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sync_core::engine::{Engine, Shutdown};
use sync_core::store::JobState;

use crate::config::AlertsSection;
use crate::console::receipts;

/// At most this many examples (orders, receipts) are named per finding.
const EXAMPLES: usize = 5;

/// One thing that needs an operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// A stable name of the kind of finding (`receipts_invalid`, `dead_letters`, …).
    pub kind: String,
    /// One line: what is wrong, with a count.
    pub title: String,
    /// A few examples (order names, receipt uuids, errors).
    pub examples: Vec<String>,
    /// What to do about it.
    pub what_to_do: String,
}

/// One check's findings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Digest {
    /// The findings, most urgent first.
    pub findings: Vec<Finding>,
}

impl Digest {
    /// The subject line (or the chat message's first line).
    pub fn subject(&self) -> String {
        match self.findings.len() {
            1 => format!("flow-shopify-sync: {}", self.findings[0].title),
            n => format!("flow-shopify-sync: {n} things need attention"),
        }
    }

    /// The plain-text body.
    pub fn text(&self, console_url: Option<&str>) -> String {
        let mut text = String::new();
        for finding in &self.findings {
            text.push_str(&format!("■ {}\n", finding.title));
            for example in &finding.examples {
                text.push_str(&format!("   - {example}\n"));
            }
            text.push_str(&format!("   What to do: {}\n\n", finding.what_to_do));
        }
        if let Some(url) = console_url {
            text.push_str(&format!("Operator console: {url}\n"));
        }
        text.push_str(
            "This digest is sent again only when it changes, or once a day while it stays.\n",
        );
        text
    }
}

/// What the checks read besides the store.
#[derive(Clone)]
pub struct Sources {
    /// The engine (store, outages, reconciliation).
    pub engine: Arc<Engine>,
    /// The Shopify client, for its API version's retirement date.
    pub shopify: Option<shopify_client::ShopifyClient>,
}

impl std::fmt::Debug for Sources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sources").finish_non_exhaustive()
    }
}

fn hours(h: u64) -> chrono::Duration {
    chrono::Duration::hours(i64::try_from(h).unwrap_or(i64::MAX / 3_600_000))
}

/// Finds what needs an operator now; `reconcile_day` (yesterday, once a day) adds the sales
/// comparison of that day.
///
/// # Errors
///
/// When the state store fails.
pub async fn collect(
    sources: &Sources,
    config: &AlertsSection,
    now: DateTime<Utc>,
    reconcile_day: Option<NaiveDate>,
) -> Result<Digest, sync_core::store::StoreError> {
    let engine = &sources.engine;
    let store = engine.store();
    let scope = &engine.config().scope;
    let mut findings = Vec::new();

    // Systems down.
    for outage in engine.outages() {
        let auth = format!("{:?}", outage.cause).to_lowercase();
        let what = if auth.contains("auth") || auth.contains("credential") {
            "its credentials were refused: renew them (token, password, client secret) in the configuration and restart"
        } else {
            "it cannot be reached: check its status and the network; its work waits in the queue and resumes by itself"
        };
        findings.push(Finding {
            kind: format!("system_down_{}", outage.system.as_str()),
            title: format!("{} is down ({auth})", crate::daemon::outage_name(&outage)),
            examples: vec![format!(
                "since {}: {}",
                outage.since.format("%Y-%m-%d %H:%M UTC"),
                outage.detail
            )],
            what_to_do: format!("{}: {what}.", crate::daemon::outage_name(&outage)),
        });
    }

    // Receipts.
    let all = store.bindings(scope, "receipt").await?;
    let refused: Vec<_> = all
        .iter()
        .filter(|r| receipts::refused(receipts::state(r)))
        .collect();
    if !refused.is_empty() {
        findings.push(Finding {
            kind: "receipts_invalid".to_owned(),
            title: format!("{} receipt(s) refused by ETA", refused.len()),
            examples: refused
                .iter()
                .take(EXAMPLES)
                .map(|r| format!("{} ({}): {}", r.remote_id, receipts::state(r), receipts::reasons(r)))
                .collect(),
            what_to_do: "open each in the console (Receipts), correct the cause ETA names (item code, buyer id, amounts) and issue it again.".to_owned(),
        });
    }
    let soon = now + hours(config.deadline_hours);
    let mut due: Vec<_> = all
        .iter()
        .filter(|r| !receipts::settled(receipts::state(r)))
        .filter_map(|r| receipts::issued_at(r).map(|at| (r, at + receipts::SUBMIT_WITHIN)))
        .filter(|(_, deadline)| *deadline <= soon)
        .collect();
    due.sort_by_key(|(_, deadline)| *deadline);
    if !due.is_empty() {
        let overdue = due.iter().filter(|(_, d)| *d < now).count();
        findings.push(Finding {
            kind: "receipts_deadline".to_owned(),
            title: format!(
                "{} receipt(s) without ETA's answer near or past their 24-hour deadline ({overdue} past)",
                due.len()
            ),
            examples: due
                .iter()
                .take(EXAMPLES)
                .map(|(r, d)| format!("{} ({}), deadline {}", r.remote_id, receipts::state(r), d.format("%Y-%m-%d %H:%M UTC")))
                .collect(),
            what_to_do: "make sure ETA is reachable (console Overview), then Sync now → receipts; receipts past the deadline go through ETA's late-submission process.".to_owned(),
        });
    }

    // Dead letters and parked jobs older than the threshold.
    let stale_before = now - hours(config.stale_after_hours);
    let dead: Vec<_> = store
        .jobs(scope, Some(JobState::Dead))
        .await?
        .into_iter()
        .filter(|j| j.updated_at <= stale_before)
        .collect();
    if !dead.is_empty() {
        findings.push(Finding {
            kind: "dead_letters".to_owned(),
            title: format!("{} dead letter(s) older than {} h", dead.len(), config.stale_after_hours),
            examples: dead
                .iter()
                .take(EXAMPLES)
                .map(|j| format!("job {} {}: {}", j.id, j.kind, j.last_error.as_deref().unwrap_or_default()))
                .collect(),
            what_to_do: "open Needs attention in the console: retry once the cause is fixed, edit the payload and retry when the data is wrong, or dismiss with a reason.".to_owned(),
        });
    }
    let mut parked: BTreeMap<String, u64> = BTreeMap::new();
    for job in store.jobs(scope, Some(JobState::Parked)).await? {
        if job.updated_at <= stale_before {
            *parked.entry(job.parked_on.unwrap_or_default()).or_default() += 1;
        }
    }
    if !parked.is_empty() {
        let total: u64 = parked.values().sum();
        findings.push(Finding {
            kind: "parked".to_owned(),
            title: format!("{total} job(s) waiting for {} missing mapping(s) for over {} h", parked.len(), config.stale_after_hours),
            examples: parked
                .iter()
                .take(EXAMPLES)
                .map(|(mapping, n)| format!("{mapping}: {n} job(s) — {}", crate::console::remedy(mapping)))
                .collect(),
            what_to_do: "add each mapping, then press “Run these jobs again” under Needs attention in the console.".to_owned(),
        });
    }

    // The Shopify API version.
    if let Some(client) = &sources.shopify {
        let version = client.version_status();
        if let Some(days) = version.days_left
            && days <= config.api_version_days
        {
            findings.push(Finding {
                kind: "shopify_api_version".to_owned(),
                title: format!("Shopify API version {} retires in {days} day(s)", version.version),
                examples: version.retires_on.map(|d| format!("retires on {d}")).into_iter().collect(),
                what_to_do: "upgrade flow-shopify-sync to a release that speaks a newer version (or set shopify.api_version to one it supports) before that day; `config check` shows the versions.".to_owned(),
            });
        }
    }

    // Yesterday's reconciliation.
    if let Some(day) = reconcile_day {
        match engine.reconcile_sales(day).await {
            Ok(sales) => {
                let mut examples: Vec<String> = sales
                    .by_gateway
                    .iter()
                    .filter(|(_, s)| !(s.storefront == s.erp && s.erp == s.receipts))
                    .map(|(g, s)| {
                        format!(
                            "{g}: Shopify {} · Flow {} · ETA {}",
                            crate::screens::money(s.storefront),
                            crate::screens::money(s.erp),
                            crate::screens::money(s.receipts)
                        )
                    })
                    .collect();
                examples.extend(
                    sales
                        .mismatches
                        .iter()
                        .map(|m| format!("{}: {}", m.name, m.problem)),
                );
                if !examples.is_empty() {
                    let n = examples.len();
                    examples.truncate(EXAMPLES);
                    findings.push(Finding {
                        kind: "reconciliation".to_owned(),
                        title: format!("the sales of {day} are out of balance ({n} difference(s))"),
                        examples,
                        what_to_do: format!("open Reconciliation for {day} in the console and follow each order that differs to its story."),
                    });
                }
            }
            Err(error) => tracing::warn!(%error, %day, "the alerts' reconciliation could not run"),
        }
    }
    Ok(Digest { findings })
}

/// Sends `digest` on every configured channel; each failure is returned, not hidden.
pub async fn send(
    config: &AlertsSection,
    digest: &Digest,
    console_url: Option<&str>,
) -> Vec<String> {
    let mut failures = Vec::new();
    if let Some(email) = &config.email
        && let Err(error) = mail::send(email, &digest.subject(), &digest.text(console_url)).await
    {
        failures.push(format!("e-mail: {error:#}"));
    }
    if let Some(hook) = &config.chat
        && let Err(error) = chat::send(hook, digest, console_url).await
    {
        failures.push(format!("chat: {error:#}"));
    }
    failures
}

/// Checks every `alerts.interval_minutes` until `stop`, sending a digest when the findings
/// change (or after `alerts.repeat_hours` unchanged); yesterday's reconciliation is checked
/// once a day.
pub async fn run(
    sources: Sources,
    config: AlertsSection,
    console_url: Option<String>,
    stop: Shutdown,
) {
    let mut last: Option<(Digest, DateTime<Utc>)> = None;
    let mut reconciled: Option<NaiveDate> = None;
    let interval = Duration::from_secs(config.interval_minutes * 60);
    while !stop.is_triggered() {
        let now = Utc::now();
        let yesterday = now.date_naive().pred_opt();
        let day = yesterday.filter(|d| reconciled != Some(*d));
        match collect(&sources, &config, now, day).await {
            Ok(digest) => {
                reconciled = yesterday;
                let repeat = last.as_ref().is_none_or(|(previous, at)| {
                    *previous != digest || now - *at >= hours(config.repeat_hours)
                });
                if !digest.findings.is_empty() && repeat {
                    let failures = send(&config, &digest, console_url.as_deref()).await;
                    for failure in &failures {
                        tracing::error!(failure, "an alert digest could not be sent");
                    }
                    if failures.is_empty() {
                        tracing::info!(findings = digest.findings.len(), "alert digest sent");
                    }
                    last = Some((digest, now));
                } else if digest.findings.is_empty() {
                    last = None;
                }
            }
            Err(error) => {
                tracing::warn!(%error, "alerts: the state store failed; trying again next time")
            }
        }
        let deadline = tokio::time::Instant::now() + interval;
        while !stop.is_triggered() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}
