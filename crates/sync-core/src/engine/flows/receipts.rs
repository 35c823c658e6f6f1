//! Receipts: issue (build, hash, chain) and submit in batches, then report back to the ERP.
//!
//! Decided in two places: a sale's or a return's receipt follows its order once the ERP has
//! the document ([`decide_for_order`], called by the orders and refunds flows), and each pass
//! asks for a submission when the device has open receipts ([`decide`]).
//!
//! Issuing is local: the receipt is built, its uuid computed, and the device's chain head is
//! moved from the previous uuid to the new one in the same transaction that stores the
//! receipt body. A receipt is therefore built once; every later submission sends the same
//! bytes with the same uuid. Submission sends the device's issued receipts in chain order, in
//! batches; a batch whose answer was lost is resolved by looking each uuid up first.
//!
//! Issue jobs queue on the resource `chain:{device}`, submissions on `submit:{device}`, so a
//! submission never waits behind a backlog of issues: each issue asks for a submission unless
//! one is already queued, and a submission takes every receipt issued so far, a page at a
//! time. Receipts therefore leave as soon as they are issued, in batches as large as what was
//! issued while the previous batch was on its way, and memory holds one page of receipt
//! bodies however long the backlog.
//!
//! ETA's answer to a submission reflects only its synchronous checks. A receipt it takes is
//! `submitted` (its submission's uuid kept) until the polling job of [`super::verdicts`]
//! reads its final status, Valid or Invalid, without sending it again. States and their
//! stored forms: [`crate::engine::ReceiptPhase`].

use std::collections::HashMap;

use serde_json::{Value, json};

use super::{Decision, Decisions, Work};
use crate::connector::{BuiltReceipt, ConnectorError, SubmitOutcome, TaxAuthority};
use crate::engine::ReceiptPhase;
use crate::engine::ReceiptTrigger;
use crate::engine::base::{Engine, EngineError, Summary};
use crate::engine::kinds::BindingKind;
use crate::engine::receipt_status::{
    BUILT, INVALID, REJECTED, SENDING, SUBMITTED, TO_SEND, VALID, is_sending,
};
use crate::engine::runtime::{JobError, JobResult, document_of, done};
use crate::model::{
    FinancialStatus, Order, OrderId, ReceiptRef, ReceiptState, ReceiptUuid, Refund, RefundId,
};
use crate::store::{Binding, Job, JobState};

/// The oldest receipts of `device` in one of the stored `states`, at most `limit`, in the
/// order they were issued.
pub(crate) async fn receipts_in(
    engine: &Engine,
    device: &str,
    states: &[&str],
    limit: usize,
) -> Result<Vec<Binding>, crate::store::StoreError> {
    engine
        .store
        .bindings_where(
            &engine.config.scope,
            BindingKind::Receipt.as_str(),
            &[("state", states), ("device", &[device])],
            limit,
        )
        .await
}

/// The oldest receipts of `device` still to send, at most `limit`.
async fn open_receipts(
    engine: &Engine,
    device: &str,
    limit: usize,
) -> Result<Vec<Binding>, crate::store::StoreError> {
    receipts_in(engine, device, TO_SEND, limit).await
}

/// A submission of the device's receipts still to send, and a reading of the final status
/// of those sent and undecided, when it has any.
pub(crate) async fn decide(d: &mut Decisions<'_>) -> Result<(), EngineError> {
    let engine = d.engine();
    if !engine.config.receipts_enabled {
        return Ok(());
    }
    let devices: Vec<String> = engine.devices.names().map(str::to_owned).collect();
    for device in devices {
        if !open_receipts(engine, &device, 1).await?.is_empty() {
            queue_submission(d, &device).await?;
        }
        super::verdicts::decide(d, &device).await?;
    }
    Ok(())
}

/// The device whose chain `order`'s receipts go on: its sale receipt's, once issued (a
/// return goes on the sale's device even if the routes changed since), else the route's.
pub(crate) async fn device_for(
    engine: &Engine,
    order: &Order,
) -> Result<String, crate::store::StoreError> {
    let sale_key = format!("sale:{}", order.external_id);
    if let Some(sale) = engine.binding(BindingKind::Receipt, &sale_key).await?
        && let Some(device) = sale.data.get("device").and_then(Value::as_str)
        && engine.devices.get(device).is_some()
    {
        return Ok(device.to_owned());
    }
    Ok(engine.devices.route(order).to_owned())
}

/// Whether `order` was made before the connector went live for receipts.
pub(crate) fn before_go_live(engine: &Engine, order: &Order) -> bool {
    engine
        .config
        .go_live
        .is_some_and(|live| order.created_at < live)
}

/// When a sale becomes due for its receipt under `trigger`.
fn receipt_due(trigger: ReceiptTrigger, order: &Order) -> bool {
    if order.cancelled_at.is_some() {
        return false;
    }
    let paid = matches!(
        order.financial_status,
        FinancialStatus::Paid | FinancialStatus::PartiallyRefunded | FinancialStatus::Refunded
    );
    match trigger {
        ReceiptTrigger::OnPaid => paid,
        ReceiptTrigger::OnFulfilled => order.fulfilled,
        ReceiptTrigger::OnImport => true,
    }
}

/// The receipts an imported order needs now: its sale's, when due and not issued, and a
/// return receipt for each refund whose ERP return is recorded.
pub(crate) async fn decide_for_order(
    d: &mut Decisions<'_>,
    order: &Order,
) -> Result<(), EngineError> {
    let engine = d.engine();
    if !engine.config.receipts_enabled {
        return Ok(());
    }
    let device = device_for(engine, order).await?;
    let chain = format!("chain:{device}");
    let sale_key = format!("sale:{}", order.external_id);
    let sale_issued = engine
        .binding(BindingKind::Receipt, &sale_key)
        .await?
        .is_some();
    // A sale made before the connector went live has its receipt elsewhere, or none; its
    // refunds still get return receipts.
    let before_live = before_go_live(engine, order);
    let sale_due = receipt_due(engine.config.receipt_trigger, order) && !before_live;
    if !sale_issued && sale_due {
        let work = Work::IssueReceipt {
            order: order.clone(),
            refund_id: None,
        };
        let label = format!("sale:{}", order.name);
        d.add(Decision::new(work, sale_key, chain.clone()).reads("create", "tax", label))
            .await?;
    }
    if sale_issued || sale_due || before_live {
        for refund in &order.refunds {
            // A return receipt needs the return in the ERP first.
            if engine
                .binding(BindingKind::Refund, &refund.external_id)
                .await?
                .is_none()
            {
                continue;
            }
            let work = Work::IssueReceipt {
                order: order.clone(),
                refund_id: Some(refund.external_id.clone()),
            };
            let key = format!("return:{}", refund.external_id);
            d.add(Decision::new(work, key.clone(), chain.clone()).reads("create", "tax", key))
                .await?;
        }
    }
    Ok(())
}

/// Hands `d` a submission job for the device (on its own resource, `submit:{device}`). Its
/// key carries the time and a sequence number: each submission is a new job.
async fn queue_submission(d: &mut Decisions<'_>, device: &str) -> Result<(), EngineError> {
    let engine = d.engine();
    let seq = engine
        .submission_seq
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let key = format!("submit:{device}:{}:{seq}", engine.now().timestamp_millis());
    let work = Work::SubmitReceipts {
        device: device.to_owned(),
    };
    let decision =
        Decision::new(work, key.clone(), format!("submit:{device}")).reads("submit", "tax", device);
    if !d.is_run() {
        return d.add(decision).await;
    }
    let queued = d.add(decision).await;
    if queued.is_ok() {
        submissions(engine).insert(device.to_owned(), key);
    }
    queued
}

/// The key of the last submission job this engine queued for each device.
fn submissions(
    engine: &Engine,
) -> std::sync::MutexGuard<'_, std::collections::BTreeMap<String, String>> {
    engine
        .submission_queued
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Whether the last submission this engine queued for the device has not started yet: it
/// will then read the receipts open now when it runs. The engine remembers only the job's
/// key; the store says whether it still waits, since another worker sharing the store may
/// have run it already (a flag kept in memory alone stayed set on the worker that queued
/// it, whose later receipts then waited for the next pass).
async fn submission_pending(
    engine: &Engine,
    device: &str,
) -> Result<bool, crate::store::StoreError> {
    let Some(key) = submissions(engine).get(device).cloned() else {
        return Ok(false);
    };
    let job = engine
        .store
        .job_by_key(
            &engine.config.scope,
            crate::engine::kinds::JobKind::SubmitReceipts.as_str(),
            &key,
        )
        .await?;
    Ok(job.is_some_and(|job| job.state == JobState::Pending))
}

/// Queues a submission for the device now (from a running job).
pub(crate) async fn submit_soon(engine: &Engine, device: &str) -> Result<(), JobError> {
    Ok(queue_submission(&mut Decisions::run(engine), device).await?)
}

/// A receipt binding's stored state (`built` when it has none).
pub(crate) fn state_of(binding: &Binding) -> &str {
    binding
        .data
        .get("state")
        .and_then(Value::as_str)
        .unwrap_or(BUILT)
}

/// Builds and chains one receipt.
pub(crate) async fn issue(
    engine: &Engine,
    job: &Job,
    order: Order,
    refund_id: Option<RefundId>,
) -> JobResult {
    let scope = &engine.config.scope;
    // The device is the one the job was queued for (its resource), so the chain it moves is
    // the one its lease serialises.
    let device = match job.resource.strip_prefix("chain:") {
        Some(device) => device.to_owned(),
        None => device_for(engine, &order).await?,
    };
    let tax = engine.tax_for(&device)?;
    let key = match &refund_id {
        None => format!("sale:{}", order.external_id),
        Some(id) => format!("return:{id}"),
    };
    if engine.binding(BindingKind::Receipt, &key).await?.is_some() {
        return done(json!({"already": true}), Summary::default());
    }
    if engine
        .binding(BindingKind::Order, &order.external_id)
        .await?
        .is_none()
    {
        return Err(JobError::NotYet("the order is not in the ERP yet"));
    }
    let refund = match &refund_id {
        None => None,
        Some(id) => Some(
            order
                .refunds
                .iter()
                .find(|r| &r.external_id == id)
                .ok_or_else(|| {
                    ConnectorError::permanent(format!(
                        "refund {id} is not on order {}",
                        order.external_id
                    ))
                })?,
        ),
    };
    // The state store is a cache: before issuing a receipt it has no record of, ask the tax
    // authority whether it holds one for this sale or return already (a lost or fresh store).
    if let Some(held) = tax.find_receipt(&order, refund).await? {
        tracing::info!(%key, uuid = %held.uuid, "receipt found at the tax authority; recorded, not issued again");
        let mut data = receipt_data(engine, &order, refund, &device, SENDING);
        data["total"] = json!(order_total(&order, refund).to_string());
        data["recovered"] = json!(true);
        engine
            .bind(BindingKind::Receipt, &key, &held.uuid, None, data)
            .await?;
        // The next submission asks the authority for its outcome (a submitted receipt is
        // looked up, never sent again) and records it.
        submit_soon(engine, &device).await?;
        return done(
            json!({"found": held.uuid}),
            Summary {
                recovered_by_lookup: 1,
                ..Summary::default()
            },
        );
    }
    // What the build cannot check alone (item codes registered with the authority): a
    // missing registration parks the job, naming it, before anything is issued.
    tax.prepare(&order, refund).await?;
    // A return references its sale's Valid receipt; a refund of a sale made before go-live
    // references the one the authority holds, or none (a return without reference).
    let sale = match refund {
        None => None,
        Some(_) => sale_reference(engine, job, tax.as_ref(), &order).await?,
    };
    for _ in 0..8 {
        // A device without a local chain head (a first start, or a lost store) goes on from
        // the last receipt the authority holds for it.
        let (expected, head) = match engine.store.chain_head(&device).await? {
            Some(head) => (head.clone(), ReceiptUuid::new(head)),
            None => (String::new(), tax.chain_tail().await?.unwrap_or_default()),
        };
        let built: BuiltReceipt = match (refund, &sale) {
            (None, _) => tax.build_sale(&order, &head)?,
            (Some(refund), Some(sale)) => tax.build_return(&order, refund, sale, &head)?,
            (Some(refund), None) => tax.build_unreferenced_return(&order, refund, &head)?,
        };
        let binding = Binding {
            scope: scope.clone(),
            kind: BindingKind::Receipt.as_str().to_owned(),
            key: key.clone(),
            remote_id: built.uuid.to_string(),
            content_hash: None,
            data: {
                let mut data = receipt_data(engine, &order, refund, &device, BUILT);
                data["previous"] = json!(built.previous_uuid);
                data["reference"] = json!(sale);
                if refund.is_some() && sale.is_none() {
                    data["unreferenced"] = json!(true);
                }
                data["body"] = json!(built.body);
                data["total"] = json!(built.total.to_string());
                data["shop_total"] = json!(order_total(&order, refund).to_string());
                data
            },
            updated_at: engine.now(),
        };
        let audit = json!({"uuid": built.uuid, "previous": built.previous_uuid});
        if engine
            .advance_chain(&device, &expected, &binding, audit)
            .await?
        {
            // Submit it soon rather than at the next pass: unless a submission is queued
            // and not started (it will take this receipt too), queue one.
            if !submission_pending(engine, &device).await? {
                submit_soon(engine, &device).await?;
            }
            return done(
                json!({"uuid": built.uuid}),
                Summary {
                    receipts_issued: 1,
                    ..Summary::default()
                },
            );
        }
        // Another worker moved the head: build again on the new head.
    }
    Err(ConnectorError::transient("the receipt chain kept moving; will retry").into())
}

/// What a receipt binding records of its sale or return, in `state`, on `device`: with its
/// deadline, the sale's (or refund's) time plus the configured window.
pub(crate) fn receipt_data(
    engine: &Engine,
    order: &Order,
    refund: Option<&Refund>,
    device: &str,
    state: &str,
) -> Value {
    let sold = refund.map_or(order.created_at, |r| r.created_at);
    let window = chrono::Duration::from_std(engine.config.receipt_deadline).unwrap_or_default();
    json!({
        "state": state,
        "device": device,
        "order": order.external_id,
        "name": order.name,
        "refund": refund.map(|r| &r.external_id),
        "gateway": order.main_gateway(),
        "day": order.created_at.date_naive().to_string(),
        "deadline": (sold + window).to_rfc3339(),
    })
}

/// The uuid of the sale's receipt once it is Valid: a return references only a Valid sale.
/// While the sale is undecided the return's `job` waits half its age, within the polling
/// bounds; while it is Invalid, waiting for a replacement that a person must fix first, the
/// longest of them. It never counts as an attempt, and the sale's receipt (or its
/// replacement) turning Valid wakes it at once ([`sale_turned_valid`]).
pub(crate) async fn valid_sale(
    engine: &Engine,
    job: &Job,
    order: &Order,
) -> Result<ReceiptUuid, JobError> {
    let sale_key = format!("sale:{}", order.external_id);
    let Some(sale) = engine.binding(BindingKind::Receipt, &sale_key).await? else {
        return Err(JobError::NotYet("the sale receipt is not issued yet"));
    };
    let min = chrono::Duration::from_std(engine.config.receipt_poll_min)
        .unwrap_or_default()
        .max(chrono::Duration::milliseconds(100));
    let max = chrono::Duration::from_std(engine.config.receipt_poll_max)
        .unwrap_or_default()
        .max(min);
    let (why, wait) = match ReceiptPhase::from_stored(state_of(&sale)) {
        Some(ReceiptPhase::Valid) => return Ok(ReceiptUuid::new(sale.remote_id)),
        Some(ReceiptPhase::Rejected) => {
            return Err(JobError::NotYet(
                "the sale receipt was rejected; the return waits for a corrected sale",
            ));
        }
        // The replacement waits for a person (its dead letter fixed and replayed), whose
        // replacement turning Valid wakes the return: the longest wait, so that a pass does
        // not hold its drain open for it.
        Some(ReceiptPhase::Invalid) => (
            format!(
                "the sale receipt {} is Invalid; the return waits for its replacement",
                sale.remote_id
            ),
            max,
        ),
        _ => (
            format!(
                "the sale receipt {} is not Valid yet; the return waits",
                sale.remote_id
            ),
            ((engine.now() - job.created_at) / 2).clamp(min, max),
        ),
    };
    Err(JobError::Wait {
        why,
        at: engine.now() + wait,
        on: Some(waiting_on(&sale_key)),
    })
}

/// The event the returns of a sale wait for: its receipt (`sale_key`) turning Valid.
fn waiting_on(sale_key: &str) -> String {
    format!("valid:{sale_key}")
}

/// Wakes the returns waiting for the receipt `receipt_key`, now Valid (the first receipt or
/// its replacement), so they are issued on the next drain instead of after their back-off.
/// Only a sale's receipt has returns waiting for it: a return's costs no store write.
async fn sale_turned_valid(engine: &Engine, receipt_key: &str) -> Result<(), JobError> {
    if !receipt_key.starts_with("sale:") {
        return Ok(());
    }
    let woken = engine
        .store
        .wake(&engine.config.scope, &waiting_on(receipt_key))
        .await?;
    if woken > 0 {
        tracing::debug!(
            sale = receipt_key,
            woken,
            "returns waiting for the sale's receipt woken"
        );
    }
    Ok(())
}

/// What a return receipt of `order` references: its sale's Valid receipt
/// ([`valid_sale`]). For a sale made before go-live with no sale receipt recorded, the one
/// the tax authority holds for it (recorded, then waited for as any sale receipt), or, when
/// it holds none, nothing: the return is issued without reference.
async fn sale_reference(
    engine: &Engine,
    job: &Job,
    tax: &dyn TaxAuthority,
    order: &Order,
) -> Result<Option<ReceiptUuid>, JobError> {
    let sale_key = format!("sale:{}", order.external_id);
    if !before_go_live(engine, order)
        || engine
            .binding(BindingKind::Receipt, &sale_key)
            .await?
            .is_some()
    {
        return valid_sale(engine, job, order).await.map(Some);
    }
    let Some(held) = tax.find_receipt(order, None).await? else {
        tracing::info!(order = %order.external_id, "sale made before go-live with no receipt at the tax authority: return receipt without reference");
        return Ok(None);
    };
    let device = tax.device().to_owned();
    let mut data = receipt_data(engine, order, None, &device, SENDING);
    data["total"] = json!(order.total.to_string());
    data["recovered"] = json!(true);
    engine
        .bind(BindingKind::Receipt, &sale_key, &held.uuid, None, data)
        .await?;
    submit_soon(engine, &device).await?;
    valid_sale(engine, job, order).await.map(Some)
}

/// The total of the sale (or of `refund`) in the shop's currency: what reconciliation compares
/// (a receipt issued in the customer's currency carries another figure, kept as `total`).
pub(crate) fn order_total(order: &Order, refund: Option<&Refund>) -> rust_decimal::Decimal {
    refund.map_or(order.total, |r| r.total)
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

/// How many pages (of up to one batch each) one submission job sends before it hands the rest
/// to a new job, so that no job outlives its lease.
const PAGES_PER_JOB: usize = 4;

/// Submits a device's open receipts, the oldest first, a page of up to one batch at a time;
/// resolves earlier uncertain submissions first.
pub(crate) async fn submit(engine: &Engine, job: &Job, device: &str) -> JobResult {
    // From here on, a newly issued receipt asks for a submission of its own.
    {
        let mut queued = submissions(engine);
        if queued.get(device) == Some(&job.key) {
            queued.remove(device);
        }
    }
    let tax = engine.tax_for(device)?;
    let max = tax.max_batch().max(1);
    let mut summary = Summary::default();
    let mut sent = 0usize;
    for _ in 0..PAGES_PER_JOB {
        // Every receipt a page deals with leaves the states to send (a receipt taken but
        // undecided is `submitted`, for the polling job), so the next page reads new ones.
        let page: Vec<Binding> = open_receipts(engine, device, max).await?;
        if page.is_empty() {
            return done(json!({"submitted": sent}), summary);
        }
        let full = page.len() >= max;
        submit_page(engine, job, tax.as_ref(), page, &mut summary, &mut sent).await?;
        if !full {
            return done(json!({"submitted": sent}), summary);
        }
    }
    // More than this job's share is open: a new job goes on with it.
    submit_soon(engine, device).await?;
    done(json!({"submitted": sent, "more": true}), summary)
}

/// Sends one page of open receipts in chain order, asking first about those submitted before
/// whose outcome is unknown.
async fn submit_page(
    engine: &Engine,
    job: &Job,
    tax: &dyn TaxAuthority,
    page: Vec<Binding>,
    summary: &mut Summary,
    sent: &mut usize,
) -> Result<(), JobError> {
    let mut to_send = Vec::new();
    for binding in chain_order(page) {
        if !is_sending(state_of(&binding)) {
            to_send.push(binding);
            continue;
        }
        // Submitted before, outcome unknown: ask before sending again.
        match tax
            .lookup(&ReceiptUuid::new(binding.remote_id.as_str()))
            .await?
        {
            Some(outcome) => {
                summary.recovered_by_lookup += 1;
                apply_outcome(engine, binding, &outcome, summary).await?;
            }
            None => to_send.push(binding),
        }
    }
    for mut batch in batches(to_send, tax.max_batch().max(1)) {
        let now = json!(engine.now().to_rfc3339());
        for binding in &mut batch {
            // Kept on the binding in hand too: the outcome is recorded from it.
            binding.data["submitted_at"] = now.clone();
            set_state(engine, binding, SENDING, None).await?;
        }
        let receipts: Vec<BuiltReceipt> = batch.iter().map(built_receipt).collect();
        engine.mark_started(job).await?;
        let outcomes = tax.submit(&receipts).await?;
        let by_uuid: HashMap<&str, &SubmitOutcome> =
            outcomes.iter().map(|o| (o.uuid.as_str(), o)).collect();
        for binding in batch {
            let outcome = by_uuid.get(binding.remote_id.as_str()).map_or_else(
                || SubmitOutcome {
                    uuid: binding.remote_id.as_str().into(),
                    state: ReceiptState::Pending,
                    long_id: None,
                    reason: None,
                    submission: None,
                },
                |o| (*o).clone(),
            );
            apply_outcome(engine, binding, &outcome, summary).await?;
            *sent += 1;
        }
    }
    Ok(())
}

/// Splits receipts into submissions of at most `max` receipts and about 1.4 MB of bodies (the
/// tax authority takes up to 1.5 MB).
fn batches(receipts: Vec<Binding>, max: usize) -> Vec<Vec<Binding>> {
    const LIMIT_BYTES: usize = 1_400_000;
    let mut batches: Vec<Vec<Binding>> = Vec::new();
    let mut batch: Vec<Binding> = Vec::new();
    let mut batch_bytes = 0usize;
    for binding in receipts {
        let size = binding
            .data
            .get("body")
            .and_then(Value::as_str)
            .map_or(0, str::len);
        if !batch.is_empty() && (batch.len() >= max || batch_bytes + size > LIMIT_BYTES) {
            batches.push(std::mem::take(&mut batch));
            batch_bytes = 0;
        }
        batch_bytes += size;
        batch.push(binding);
    }
    if !batch.is_empty() {
        batches.push(batch);
    }
    batches
}

/// The receipt as stored at issue: the same bytes and uuid every time it is sent.
fn built_receipt(binding: &Binding) -> BuiltReceipt {
    let text = |member: &str| {
        binding
            .data
            .get(member)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    BuiltReceipt {
        uuid: binding.remote_id.as_str().into(),
        previous_uuid: text("previous").into(),
        body: text("body"),
        total: text("total").parse().unwrap_or_default(),
    }
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
        if outcome.long_id.is_some() || data.get("long_id").is_none() {
            data["long_id"] = json!(outcome.long_id);
        }
        if outcome.submission.is_some() || data.get("submission").is_none() {
            data["submission"] = json!(outcome.submission);
        }
        data["reason"] = json!(outcome.reason);
    }
    engine
        .bind(
            BindingKind::Receipt,
            &binding.key,
            &binding.remote_id,
            None,
            data,
        )
        .await
}

/// Records what the tax authority said of a receipt: its state, long id, reasons and
/// submission; a receipt taken but undecided gets a polling job, an Invalid one its dead
/// letter, and a final state is written to the ERP document.
pub(crate) async fn apply_outcome(
    engine: &Engine,
    binding: Binding,
    outcome: &SubmitOutcome,
    summary: &mut Summary,
) -> Result<(), JobError> {
    let state = match outcome.state {
        ReceiptState::Accepted => VALID,
        ReceiptState::Rejected => REJECTED,
        ReceiptState::Pending => SUBMITTED,
        ReceiptState::Invalid => INVALID,
    };
    set_state(engine, &binding, state, Some(outcome)).await?;
    let device = binding
        .data
        .get("device")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    match outcome.state {
        ReceiptState::Accepted => {
            summary.receipts_accepted += 1;
            sale_turned_valid(engine, &binding.key).await?;
        }
        ReceiptState::Rejected => {
            summary.receipts_rejected += 1;
            tracing::warn!(uuid = %outcome.uuid, reason = ?outcome.reason, "receipt rejected by the tax authority");
        }
        ReceiptState::Invalid => {
            summary.receipts_invalid += 1;
            tracing::warn!(uuid = %outcome.uuid, reason = ?outcome.reason, "receipt Invalid at the tax authority; a dead letter until replaced");
            super::verdicts::queue_replacement(engine, &binding, &device).await?;
        }
        ReceiptState::Pending => {
            super::verdicts::poll_soon(engine, &device).await?;
            return Ok(());
        }
    }
    let order_id: OrderId = binding
        .data
        .get("order")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .into();
    engine
        .enqueue(
            &Work::RecordReceipt {
                order_id: order_id.clone(),
                receipt_key: binding.key.clone(),
            },
            format!("record:{}:{}:{}", binding.key, binding.remote_id, state),
            format!("order:{order_id}"),
        )
        .await?;
    Ok(())
}

/// Writes a receipt's outcome to the ERP document it belongs to.
pub(crate) async fn record(
    engine: &Engine,
    job: &Job,
    order_id: &OrderId,
    receipt_key: &str,
) -> JobResult {
    let Some(receipt) = engine.binding(BindingKind::Receipt, receipt_key).await? else {
        return Err(ConnectorError::permanent(format!("no receipt {receipt_key}")).into());
    };
    let document_binding = match receipt.data.get("refund").and_then(Value::as_str) {
        Some(refund) => engine.binding(BindingKind::Refund, refund).await?,
        None => engine.binding(BindingKind::Order, order_id).await?,
    };
    let Some(document_binding) = document_binding else {
        return Err(JobError::NotYet("the ERP document is not recorded yet"));
    };
    let document = document_of(&document_binding)?;
    let state = match ReceiptPhase::from_stored(state_of(&receipt)) {
        Some(ReceiptPhase::Valid) => ReceiptState::Accepted,
        Some(ReceiptPhase::Rejected) => ReceiptState::Rejected,
        Some(ReceiptPhase::Invalid) => ReceiptState::Invalid,
        _ => ReceiptState::Pending,
    };
    let reference = ReceiptRef {
        uuid: receipt.remote_id.as_str().into(),
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
    engine.mark_started(job).await?;
    engine
        .connectors
        .erp_sales
        .record_receipt(&document, &reference)
        .await?;
    done(json!({"recorded": reference.uuid}), Summary::default())
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::engine::memory::{MemoryErp, MemoryStorefront, MemoryTax};
    use crate::engine::{Connectors, EngineConfig};
    use crate::store::{SqliteStore, StateStore};

    /// An engine over a fresh store in memory and empty memory connectors (device `POS-1`).
    async fn engine() -> (Engine, Arc<dyn StateStore>) {
        let store: Arc<dyn StateStore> = Arc::new(SqliteStore::in_memory().await.unwrap());
        let erp = Arc::new(MemoryErp::new());
        let shop = Arc::new(MemoryStorefront::new(Vec::new()));
        let connectors = Connectors {
            erp_catalog: erp.clone(),
            erp_sales: erp,
            storefront_catalog: shop.clone(),
            storefront_orders: shop,
            tax: Arc::new(MemoryTax::new("POS-1", &["cash"])),
        };
        let engine = Engine::new(connectors, store.clone(), EngineConfig::new("shop-1"));
        engine.migrate().await.unwrap();
        (engine, store)
    }

    /// A worker remembers the submission it queued, but another worker sharing the store may
    /// run it: once that has started, this worker's next receipt needs a submission of its
    /// own (a flag kept in memory alone said "queued" until the next pass).
    #[tokio::test]
    async fn a_submission_another_worker_started_is_no_longer_pending() {
        let (engine, store) = engine().await;
        assert!(!submission_pending(&engine, "POS-1").await.unwrap());

        queue_submission(&mut Decisions::run(&engine), "POS-1")
            .await
            .unwrap();
        assert!(submission_pending(&engine, "POS-1").await.unwrap());
        assert!(
            !submission_pending(&engine, "POS-2").await.unwrap(),
            "another device's"
        );

        // Another worker leases the submission: it has started, and may have read the open
        // receipts already.
        let leased = store
            .lease("other", 8, Duration::from_secs(60), engine.now())
            .await
            .unwrap();
        assert_eq!(leased.len(), 1);
        assert!(!submission_pending(&engine, "POS-1").await.unwrap());
        store
            .complete(leased[0].id, "other", json!({"submitted": 0}))
            .await
            .unwrap();
        assert!(!submission_pending(&engine, "POS-1").await.unwrap());

        // A new one is pending again.
        queue_submission(&mut Decisions::run(&engine), "POS-1")
            .await
            .unwrap();
        assert!(submission_pending(&engine, "POS-1").await.unwrap());
    }

    /// The sale's receipt turns Valid, and its wake runs, while the return's job is still
    /// looking at it: the wake finds nothing waiting. The return's wait, stored after, must
    /// not last its whole back-off.
    #[tokio::test]
    async fn a_wait_for_an_event_that_came_meanwhile_is_over_at_once() {
        let (engine, store) = engine().await;
        let scope = engine.config.scope.clone();
        for (n, sale_state) in [(1, "submitted"), (2, "valid")] {
            let sale_key = format!("sale:gid://shopify/Order/{n}");
            engine
                .bind(
                    BindingKind::Receipt,
                    &sale_key,
                    &format!("uuid-{n}"),
                    None,
                    json!({"state": sale_state, "device": "POS-1"}),
                )
                .await
                .unwrap();
            store
                .enqueue(crate::store::NewJob {
                    scope: scope.clone(),
                    kind: "issue_receipt".into(),
                    key: format!("return:{n}"),
                    resource: format!("chain:POS-{n}"),
                    payload: json!({}),
                })
                .await
                .unwrap();
        }
        let now = engine.now();
        let jobs = store
            .lease(&engine.config.worker, 8, Duration::from_secs(60), now)
            .await
            .unwrap();
        assert_eq!(jobs.len(), 2);
        // Sale 2 turns Valid while both returns run: its wake finds nothing waiting.
        sale_turned_valid(&engine, "sale:gid://shopify/Order/2")
            .await
            .unwrap();
        let later = now + chrono::Duration::minutes(5);
        for job in &jobs {
            let n = job.key.trim_start_matches("return:");
            let on = waiting_on(&format!("sale:gid://shopify/Order/{n}"));
            engine
                .wait_for(job, later, on, "the sale is not Valid yet".into())
                .await
                .unwrap();
        }
        let runnable = store
            .lease(&engine.config.worker, 8, Duration::from_secs(60), now)
            .await
            .unwrap();
        assert_eq!(
            runnable.iter().map(|j| j.key.as_str()).collect::<Vec<_>>(),
            ["return:2"],
            "the return whose sale is Valid runs now; the other waits for its sale"
        );
    }
}
