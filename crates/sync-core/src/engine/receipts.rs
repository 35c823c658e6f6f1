//! Receipts: issue (build, hash, chain) and submit in batches, then report back to the ERP.
//!
//! Issuing is local: the receipt is built, its uuid computed, and the device's chain head is
//! moved from the previous uuid to the new one in the same transaction that stores the
//! receipt body. A receipt is therefore built once; every later submission sends the same
//! bytes with the same uuid. Submission sends the device's issued receipts in chain order, in
//! batches; a batch whose answer was lost is resolved by looking each uuid up first.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use serde_json::{Value, json};

use super::jobs::{JobError, JobResult, Work, document_of};
use super::{Engine, EngineError, Summary};
use crate::connector::{BuiltReceipt, ConnectorError, SubmitOutcome};
use crate::model::{Order, ReceiptRef, ReceiptState};
use crate::store::{Binding, Direction, Job};

const ISSUED: &str = "issued";
const SUBMITTING: &str = "submitting";
const PENDING: &str = "pending";
const ACCEPTED: &str = "accepted";
const REJECTED: &str = "rejected";
/// The states of a receipt not yet settled with the tax authority.
const OPEN: &[&str] = &[ISSUED, SUBMITTING, PENDING];

/// Enqueues one submission job per pass for the device.
pub(crate) async fn enqueue_submission(engine: &Engine) -> Result<(), EngineError> {
    if !engine.config.receipts_enabled {
        return Ok(());
    }
    let device = engine.connectors.tax.device().to_owned();
    let open = !engine
        .store
        .bindings_where(&engine.config.scope, "receipt", "state", OPEN)
        .await?
        .is_empty();
    if open {
        let key = format!("submit:{device}:{}", engine.now().timestamp_millis());
        engine
            .enqueue(
                &Work::SubmitReceipts {
                    device: device.clone(),
                },
                key,
                format!("chain:{device}"),
            )
            .await?;
    }
    Ok(())
}

fn state_of(binding: &Binding) -> &str {
    binding
        .data
        .get("state")
        .and_then(Value::as_str)
        .unwrap_or(ISSUED)
}

/// Builds and chains one receipt.
pub(crate) async fn issue(
    engine: &Engine,
    _job: &Job,
    order: Order,
    refund_id: Option<String>,
) -> JobResult {
    let scope = &engine.config.scope;
    let tax = &engine.connectors.tax;
    let key = match &refund_id {
        None => format!("sale:{}", order.external_id),
        Some(id) => format!("return:{id}"),
    };
    if engine
        .store
        .binding(scope, "receipt", &key)
        .await?
        .is_some()
    {
        return Ok((json!({"already": true}), Summary::default()));
    }
    if engine
        .store
        .binding(scope, "order", &order.external_id)
        .await?
        .is_none()
    {
        return Err(JobError::NotYet("the order is not in the ERP yet"));
    }
    let device = tax.device().to_owned();
    for _ in 0..8 {
        let head = engine.store.chain_head(&device).await?.unwrap_or_default();
        let built: BuiltReceipt = match &refund_id {
            None => tax.build_sale(&order, &head)?,
            Some(id) => {
                let refund = order
                    .refunds
                    .iter()
                    .find(|r| &r.external_id == id)
                    .ok_or_else(|| {
                        ConnectorError::permanent(format!(
                            "refund {id} is not on order {}",
                            order.external_id
                        ))
                    })?;
                let sale_key = format!("sale:{}", order.external_id);
                let Some(sale) = engine.store.binding(scope, "receipt", &sale_key).await? else {
                    return Err(JobError::NotYet("the sale receipt is not issued yet"));
                };
                tax.build_return(&order, refund, &sale.remote_id, &head)?
            }
        };
        let binding = Binding {
            scope: scope.clone(),
            kind: "receipt".to_owned(),
            key: key.clone(),
            remote_id: built.uuid.clone(),
            content_hash: None,
            data: json!({
                "state": ISSUED,
                "device": device,
                "previous": built.previous_uuid,
                "body": built.body,
                "total": built.total.to_string(),
                "order": order.external_id,
                "refund": refund_id,
                "gateway": order.main_gateway(),
                "day": order.created_at.date_naive().to_string(),
            }),
            updated_at: engine.now(),
        };
        if engine
            .store
            .advance_chain(&device, &head, &built.uuid, &binding)
            .await?
        {
            engine
                .audit(
                    Direction::Outbound,
                    "tax",
                    "receipt",
                    &key,
                    json!({"uuid": built.uuid, "previous": built.previous_uuid}),
                )
                .await;
            // A full batch waiting: submit it now rather than at the end of the pass, so that
            // a backfill never holds more than about one batch of open receipts.
            let issued = engine.issued_unsubmitted.fetch_add(1, Ordering::Relaxed) + 1;
            if issued >= tax.max_batch().max(1) {
                engine.issued_unsubmitted.store(0, Ordering::Relaxed);
                enqueue_submission(engine)
                    .await
                    .map_err(super::jobs::engine_to_job)?;
            }
            return Ok((
                json!({"uuid": built.uuid}),
                Summary {
                    receipts_issued: 1,
                    ..Summary::default()
                },
            ));
        }
        // Another worker moved the head: build again on the new head.
    }
    Err(ConnectorError::transient("the receipt chain kept moving; will retry").into())
}

/// Puts a device's open receipts in chain order.
fn chain_order(mut open: Vec<Binding>) -> Vec<Binding> {
    let by_previous: HashMap<String, usize> = open
        .iter()
        .enumerate()
        .map(|(i, b)| {
            (
                b.data
                    .get("previous")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned(),
                i,
            )
        })
        .collect();
    let uuids: std::collections::HashSet<&str> =
        open.iter().map(|b| b.remote_id.as_str()).collect();
    // The first open receipt is the one whose previous uuid is not itself open.
    let start = open.iter().position(|b| {
        !uuids.contains(b.data.get("previous").and_then(Value::as_str).unwrap_or(""))
    });
    let mut order = Vec::with_capacity(open.len());
    let mut seen = vec![false; open.len()];
    let mut next = start;
    while let Some(i) = next {
        if seen[i] {
            break;
        }
        seen[i] = true;
        order.push(i);
        next = by_previous.get(&open[i].remote_id).copied();
    }
    // Anything not on the main path (should not happen) goes last, in stored order.
    order.extend((0..open.len()).filter(|i| !seen[*i]));
    let mut slots: Vec<Option<Binding>> = open.drain(..).map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}

/// Submits a device's issued receipts; resolves earlier uncertain submissions first.
pub(crate) async fn submit(engine: &Engine, job: &Job, device: &str) -> JobResult {
    let scope = &engine.config.scope;
    let tax = &engine.connectors.tax;
    let mut summary = Summary::default();
    let all: Vec<Binding> = engine
        .store
        .bindings_where(scope, "receipt", "state", OPEN)
        .await?
        .into_iter()
        .filter(|b| b.data.get("device").and_then(Value::as_str) == Some(device))
        .collect();
    let mut to_send = Vec::new();
    for binding in chain_order(all) {
        if state_of(&binding) == ISSUED {
            to_send.push(binding);
            continue;
        }
        // Submitted before, outcome unknown: ask before sending again.
        match tax.lookup(&binding.remote_id).await? {
            Some(outcome) => {
                summary.recovered_by_lookup += 1;
                apply_outcome(engine, binding, &outcome, &mut summary).await?;
            }
            None => to_send.push(binding),
        }
    }
    let max = tax.max_batch().max(1);
    let mut sent = 0usize;
    let mut batch_bytes = 0usize;
    let mut batch: Vec<Binding> = Vec::new();
    let limit_bytes = 1_400_000usize;
    let mut batches: Vec<Vec<Binding>> = Vec::new();
    for binding in to_send {
        let size = binding
            .data
            .get("body")
            .and_then(Value::as_str)
            .map_or(0, str::len);
        if !batch.is_empty() && (batch.len() >= max || batch_bytes + size > limit_bytes) {
            batches.push(std::mem::take(&mut batch));
            batch_bytes = 0;
        }
        batch_bytes += size;
        batch.push(binding);
    }
    if !batch.is_empty() {
        batches.push(batch);
    }
    for batch in batches {
        for binding in &batch {
            set_state(engine, binding, SUBMITTING, None).await?;
        }
        let receipts: Vec<BuiltReceipt> = batch
            .iter()
            .map(|b| BuiltReceipt {
                uuid: b.remote_id.clone(),
                previous_uuid: b
                    .data
                    .get("previous")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned(),
                body: b
                    .data
                    .get("body")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned(),
                total: b
                    .data
                    .get("total")
                    .and_then(Value::as_str)
                    .and_then(|t| t.parse().ok())
                    .unwrap_or_default(),
            })
            .collect();
        engine
            .store
            .mark_started(job.id, &engine.config.worker)
            .await?;
        let outcomes = tax.submit(&receipts).await?;
        let by_uuid: HashMap<&str, &SubmitOutcome> =
            outcomes.iter().map(|o| (o.uuid.as_str(), o)).collect();
        for binding in batch {
            match by_uuid.get(binding.remote_id.as_str()) {
                Some(outcome) => apply_outcome(engine, binding, outcome, &mut summary).await?,
                None => {
                    let outcome = SubmitOutcome {
                        uuid: binding.remote_id.clone(),
                        state: ReceiptState::Pending,
                        long_id: None,
                        reason: None,
                    };
                    apply_outcome(engine, binding, &outcome, &mut summary).await?;
                }
            }
            sent += 1;
        }
    }
    Ok((json!({"submitted": sent}), summary))
}

async fn set_state(
    engine: &Engine,
    binding: &Binding,
    state: &str,
    outcome: Option<&SubmitOutcome>,
) -> Result<(), crate::store::StoreError> {
    let mut data = binding.data.clone();
    data["state"] = json!(state);
    if let Some(outcome) = outcome {
        data["long_id"] = json!(outcome.long_id);
        data["reason"] = json!(outcome.reason);
    }
    engine
        .bind("receipt", &binding.key, &binding.remote_id, None, data)
        .await
}

async fn apply_outcome(
    engine: &Engine,
    binding: Binding,
    outcome: &SubmitOutcome,
    summary: &mut Summary,
) -> Result<(), JobError> {
    let state = match outcome.state {
        ReceiptState::Accepted => ACCEPTED,
        ReceiptState::Rejected => REJECTED,
        ReceiptState::Pending => PENDING,
    };
    set_state(engine, &binding, state, Some(outcome)).await?;
    match outcome.state {
        ReceiptState::Accepted => summary.receipts_accepted += 1,
        ReceiptState::Rejected => {
            summary.receipts_rejected += 1;
            tracing::warn!(uuid = %outcome.uuid, reason = ?outcome.reason, "receipt rejected by the tax authority");
        }
        ReceiptState::Pending => return Ok(()),
    }
    let order_id = binding
        .data
        .get("order")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    engine
        .enqueue(
            &Work::RecordReceipt {
                order_id: order_id.clone(),
                receipt_key: binding.key.clone(),
            },
            format!("record:{}:{}", binding.key, state),
            format!("order:{order_id}"),
        )
        .await
        .map_err(super::jobs::engine_to_job)?;
    Ok(())
}

/// Writes a receipt's outcome to the ERP document it belongs to.
pub(crate) async fn record(
    engine: &Engine,
    job: &Job,
    order_id: &str,
    receipt_key: &str,
) -> JobResult {
    let scope = &engine.config.scope;
    let Some(receipt) = engine.store.binding(scope, "receipt", receipt_key).await? else {
        return Err(ConnectorError::permanent(format!("no receipt {receipt_key}")).into());
    };
    let document_binding = match receipt.data.get("refund").and_then(Value::as_str) {
        Some(refund) => engine.store.binding(scope, "refund", refund).await?,
        None => engine.store.binding(scope, "order", order_id).await?,
    };
    let Some(document_binding) = document_binding else {
        return Err(JobError::NotYet("the ERP document is not recorded yet"));
    };
    let document = document_of(&document_binding)?;
    let state = match state_of(&receipt) {
        ACCEPTED => ReceiptState::Accepted,
        REJECTED => ReceiptState::Rejected,
        _ => ReceiptState::Pending,
    };
    let reference = ReceiptRef {
        uuid: receipt.remote_id.clone(),
        device: receipt
            .data
            .get("device")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        state,
        long_id: receipt
            .data
            .get("long_id")
            .and_then(Value::as_str)
            .map(str::to_owned),
        reason: receipt
            .data
            .get("reason")
            .and_then(Value::as_str)
            .map(str::to_owned),
    };
    engine
        .store
        .mark_started(job.id, &engine.config.worker)
        .await?;
    engine
        .connectors
        .erp_sales
        .record_receipt(&document, &reference)
        .await?;
    Ok((json!({"recorded": reference.uuid}), Summary::default()))
}
