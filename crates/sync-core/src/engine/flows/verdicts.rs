//! Receipts to their final status: the polling job that reads the tax authority's verdict on
//! receipts it took, and the replacement of a receipt it found Invalid.
//!
//! **Polling.** A receipt the authority took for processing is `submitted`, with the uuid of
//! its submission. One job per device, on the resource `poll:{device}` and keyed by the
//! oldest undecided receipt (`poll:{device}:{uuid}`, so deciding, submitting and restarting
//! all name the same job), reads the submissions' details (or each receipt) until every
//! receipt is Valid or Invalid. It never sends a receipt again. Between two readings it waits
//! half the time the oldest undecided receipt has waited so far, within
//! [`EngineConfig::receipt_poll_min`](crate::engine::EngineConfig::receipt_poll_min) and
//! [`receipt_poll_max`](crate::engine::EngineConfig::receipt_poll_max); the wait is the job's
//! own `run_after` in the store, so a crash loses nothing and costs no attempt.
//!
//! **Replacement.** An Invalid receipt gets a job `replace:{uuid}` on its chain's resource
//! that, on its first run, becomes a dead letter naming the authority's reasons. Replayed by
//! an operator once the cause is fixed, it reads the order again, builds the receipt again
//! with `header.referenceOldUUID` = the Invalid uuid, chains it at the device's head and
//! queues it for submission. The Invalid receipt stays listed under `replaced:{uuid}`. A
//! sale keeps one receipt binding, so it never has two Valid receipts: the authority takes a
//! replacement only of an Invalid receipt.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration as TimeDelta, Utc};
use serde_json::{Value, json};

use super::receipts::{
    apply_outcome, receipt_data, receipts_in, state_of, submit_soon, valid_sale,
};
use super::{Decision, Decisions, Work};
use crate::connector::{BuiltReceipt, ConnectorError};
use crate::engine::ReceiptPhase;
use crate::engine::base::{Engine, EngineError, Summary};
use crate::engine::kinds::BindingKind;
use crate::engine::receipt_status::{BUILT, INVALID, REJECTED, TO_SEND, UNDECIDED};
use crate::engine::runtime::{JobError, JobResult, done};
use crate::model::{OrderId, ReceiptState, ReceiptUuid, RefundId};
use crate::store::{Binding, Job};

/// Undecided receipts one reading covers.
const POLL_PAGE: usize = 500;

/// A polling job for the device's oldest undecided receipt, when it has one (a run finds the
/// stored job under the same key, so a restart adds none).
pub(crate) async fn decide(d: &mut Decisions<'_>, device: &str) -> Result<(), EngineError> {
    let engine = d.engine();
    if d.is_run() {
        report_deadlines(engine, device).await?;
    }
    let Some(oldest) = receipts_in(engine, device, UNDECIDED, 1)
        .await?
        .into_iter()
        .next()
    else {
        return Ok(());
    };
    d.add(poll_decision(device, &oldest.remote_id, None)).await
}

/// Receipts of a device counted for the deadline report, at most.
const DEADLINE_SCAN: usize = 10_000;

/// Reports the device's receipts not Valid with less than the configured margin before their
/// deadline (or past it): a warning naming each (up to ten) and the gauge
/// `sync_receipts_near_deadline{device}`.
async fn report_deadlines(engine: &Engine, device: &str) -> Result<(), EngineError> {
    let mut states: Vec<&str> = TO_SEND.to_vec();
    states.extend_from_slice(UNDECIDED);
    states.extend_from_slice(&[INVALID, REJECTED]);
    let now = engine.now();
    let margin = TimeDelta::from_std(engine.config.receipt_deadline_margin).unwrap_or_default();
    let mut near = 0u64;
    for binding in receipts_in(engine, device, &states, DEADLINE_SCAN).await? {
        if binding.data.get("replaced_by").is_some() {
            continue;
        }
        let Some(deadline) = binding
            .data
            .get("deadline")
            .and_then(Value::as_str)
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        else {
            continue;
        };
        let left = deadline.with_timezone(&Utc) - now;
        if left < margin {
            near += 1;
            if near <= 10 {
                tracing::warn!(
                    key = %binding.key,
                    uuid = %binding.remote_id,
                    state = state_of(&binding),
                    deadline = %deadline,
                    minutes_left = left.num_minutes(),
                    "receipt not Valid close to (or past) the tax authority's deadline"
                );
            }
        }
    }
    metrics::gauge!("sync_receipts_near_deadline", "device" => device.to_owned()).set(near as f64);
    Ok(())
}

fn poll_decision(device: &str, oldest: &str, not_before: Option<DateTime<Utc>>) -> Decision {
    let work = Work::PollReceipts {
        device: device.to_owned(),
        oldest: oldest.to_owned(),
        not_before,
    };
    Decision::new(
        work,
        format!("poll:{device}:{oldest}"),
        format!("poll:{device}"),
    )
    .reads("poll", "tax", device)
}

/// Queues the device's polling job (from a running job), due after the shortest wait.
pub(crate) async fn poll_soon(engine: &Engine, device: &str) -> Result<(), JobError> {
    let Some(oldest) = receipts_in(engine, device, UNDECIDED, 1)
        .await?
        .into_iter()
        .next()
    else {
        return Ok(());
    };
    let at = engine.now() + wait_after(engine, &oldest);
    let mut decisions = Decisions::run(engine);
    decisions
        .add(poll_decision(device, &oldest.remote_id, Some(at)))
        .await?;
    Ok(())
}

/// How long to wait before reading `oldest`'s verdict again: half its wait so far, within
/// the configured bounds.
fn wait_after(engine: &Engine, oldest: &Binding) -> TimeDelta {
    let min = TimeDelta::from_std(engine.config.receipt_poll_min).unwrap_or_default();
    let max = TimeDelta::from_std(engine.config.receipt_poll_max)
        .unwrap_or_default()
        .max(min);
    let waited = oldest
        .data
        .get("submitted_at")
        .and_then(Value::as_str)
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map_or(TimeDelta::zero(), |t| engine.now() - t.with_timezone(&Utc));
    (waited / 2).clamp(min, max)
}

/// Reads the final status of the device's undecided receipts and records each decided one.
pub(crate) async fn poll(
    engine: &Engine,
    device: &str,
    oldest: &str,
    not_before: Option<DateTime<Utc>>,
) -> JobResult {
    // To the microsecond, as the store keeps the job's time: a job woken at its stored time
    // is due even when `at` has a finer fraction (else a clock standing still would wake it
    // again and again).
    if let Some(at) =
        not_before.filter(|at| at.timestamp_micros() > engine.now().timestamp_micros())
    {
        return Err(JobError::Wait {
            why: "waiting before the first reading of the receipts' final status".to_owned(),
            at,
            on: None,
        });
    }
    let undecided = receipts_in(engine, device, UNDECIDED, POLL_PAGE).await?;
    let mut by_submission: BTreeMap<Option<String>, Vec<Binding>> = BTreeMap::new();
    for binding in undecided {
        let submission = binding
            .data
            .get("submission")
            .and_then(Value::as_str)
            .map(str::to_owned);
        by_submission.entry(submission).or_default().push(binding);
    }
    let mut summary = Summary::default();
    let mut decided = 0usize;
    for (submission, bindings) in by_submission {
        let uuids: Vec<ReceiptUuid> = bindings
            .iter()
            .map(|b| ReceiptUuid::new(b.remote_id.as_str()))
            .collect();
        let outcomes = engine
            .tax_for(device)?
            .verdicts(submission.as_deref(), &uuids)
            .await?;
        for outcome in outcomes {
            if outcome.state == ReceiptState::Pending {
                continue;
            }
            let Some(binding) = bindings
                .iter()
                .find(|b| b.remote_id == outcome.uuid.as_str())
            else {
                continue;
            };
            decided += 1;
            apply_outcome(engine, binding.clone(), &outcome, &mut summary).await?;
        }
    }
    let Some(next) = receipts_in(engine, device, UNDECIDED, 1)
        .await?
        .into_iter()
        .next()
    else {
        return done(json!({"decided": decided}), summary);
    };
    let wait = wait_after(engine, &next);
    if next.remote_id == oldest {
        tracing::debug!(%device, decided, wait_s = wait.num_seconds(), "receipts still undecided; reading again later");
        return Err(JobError::Wait {
            why: format!("receipt {oldest} is not decided yet; reading again later"),
            at: engine.now() + wait,
            on: None,
        });
    }
    // The oldest was decided: the job of the new oldest goes on, after its wait.
    let mut decisions = Decisions::run(engine);
    decisions
        .add(poll_decision(
            device,
            &next.remote_id,
            Some(engine.now() + wait),
        ))
        .await?;
    done(json!({"decided": decided, "next": next.remote_id}), summary)
}

/// Queues the dead letter of an Invalid receipt: the job that, replayed, replaces it.
pub(crate) async fn queue_replacement(
    engine: &Engine,
    binding: &Binding,
    device: &str,
) -> Result<(), JobError> {
    engine
        .enqueue(
            &Work::ReplaceReceipt {
                receipt_key: binding.key.clone(),
                invalid: binding.remote_id.clone(),
            },
            format!("replace:{}", binding.remote_id),
            format!("chain:{device}"),
        )
        .await?;
    Ok(())
}

fn text(data: &Value, member: &str) -> Option<String> {
    data.get(member)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The dead letter of an Invalid receipt on its first run; its replacement when replayed.
pub(crate) async fn replace(
    engine: &Engine,
    job: &Job,
    receipt_key: &str,
    invalid: &str,
) -> JobResult {
    let Some(current) = engine.binding(BindingKind::Receipt, receipt_key).await? else {
        return Err(ConnectorError::permanent(format!("no receipt {receipt_key}")).into());
    };
    if current.remote_id != invalid {
        return done(
            json!({"replaced_by": current.remote_id}),
            Summary::default(),
        );
    }
    if ReceiptPhase::from_stored(state_of(&current)) != Some(ReceiptPhase::Invalid) {
        return done(json!({"not_invalid": invalid}), Summary::default());
    }
    let reason = text(&current.data, "reason").unwrap_or_else(|| "no reason given".to_owned());
    // The first run reports the receipt to the operator (a dead letter); only a replay, once
    // the cause is fixed, issues the replacement.
    if !(job.started && job.last_error.is_some()) {
        engine.mark_started(job).await?;
        return Err(ConnectorError::permanent(format!(
            "receipt {invalid} ({receipt_key}) is Invalid at the tax authority: {reason}. Fix the cause \
             (a mapping, the order's data), then replay this job: it issues a replacement receipt \
             naming {invalid} in referenceOldUUID"
        ))
        .into());
    }
    let order_id: OrderId = text(&current.data, "order").unwrap_or_default().into();
    let Some(order) = engine.connectors.storefront_orders.order(&order_id).await? else {
        return Err(ConnectorError::permanent(format!(
            "order {order_id} of the Invalid receipt {invalid} is not in the storefront"
        ))
        .into());
    };
    let refund_id: Option<RefundId> = text(&current.data, "refund").map(RefundId::from);
    let refund = match &refund_id {
        None => None,
        Some(id) => Some(
            order
                .refunds
                .iter()
                .find(|r| &r.external_id == id)
                .ok_or_else(|| {
                    ConnectorError::permanent(format!("refund {id} is not on order {order_id}"))
                })?,
        ),
    };
    if current.data.get("unreferenced").and_then(Value::as_bool) == Some(true) {
        return Err(ConnectorError::permanent(format!(
            "receipt {invalid} ({receipt_key}) is an Invalid return without reference: the \
             connector does not replace those; issue its correction from ETA's portal"
        ))
        .into());
    }
    let sale = match refund {
        Some(_) => Some(valid_sale(engine, job, &order).await?),
        None => None,
    };
    let device =
        text(&current.data, "device").unwrap_or_else(|| engine.devices.default_device().to_owned());
    let tax = engine.tax_for(&device)?;
    let old_uuid = ReceiptUuid::new(invalid);
    for _ in 0..8 {
        let (expected, head) = match engine.store.chain_head(&device).await? {
            Some(head) => (head.clone(), ReceiptUuid::new(head)),
            None => (String::new(), tax.chain_tail().await?.unwrap_or_default()),
        };
        let built: BuiltReceipt =
            tax.build_replacement(&order, refund.zip(sale.as_ref()), &old_uuid, &head)?;
        // The Invalid receipt stays listed, naming its replacement.
        let mut old = current.data.clone();
        old["replaced_by"] = json!(built.uuid);
        if let Some(fields) = old.as_object_mut() {
            fields.remove("body");
        }
        engine
            .bind(
                BindingKind::Receipt,
                &format!("replaced:{invalid}"),
                invalid,
                None,
                old,
            )
            .await?;
        let mut data = receipt_data(engine, &order, refund, &device, BUILT);
        data["previous"] = json!(built.previous_uuid);
        data["body"] = json!(built.body);
        data["total"] = json!(built.total.to_string());
        data["shop_total"] = json!(super::receipts::order_total(&order, refund).to_string());
        data["reference"] = json!(sale);
        data["replaces"] = json!(invalid);
        let binding = Binding {
            scope: engine.config.scope.clone(),
            kind: BindingKind::Receipt.as_str().to_owned(),
            key: receipt_key.to_owned(),
            remote_id: built.uuid.to_string(),
            content_hash: None,
            data,
            updated_at: engine.now(),
        };
        let audit =
            json!({"uuid": built.uuid, "previous": built.previous_uuid, "replaces": invalid});
        if engine
            .advance_chain(&device, &expected, &binding, audit)
            .await?
        {
            tracing::info!(%receipt_key, %invalid, uuid = %built.uuid, "replacement receipt issued");
            submit_soon(engine, &device).await?;
            return done(
                json!({"uuid": built.uuid, "replaces": invalid}),
                Summary {
                    receipts_issued: 1,
                    ..Summary::default()
                },
            );
        }
    }
    Err(ConnectorError::transient("the receipt chain kept moving; will retry").into())
}
