//! The in-memory tax authority: one POS device, its chain, and its verdicts (given at once,
//! or held undecided until released, as ETA's asynchronous processing does).

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Mutex;

use async_trait::async_trait;

use rust_decimal::Decimal;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{Injected, lock};
use crate::connector::{
    BuiltReceipt, ConnectorError, ConnectorResult, SubmitOutcome, TaxAuthority,
};
use crate::error::{Outage, OutageCause, System};
use crate::model::{Order, ReceiptState, ReceiptUuid, Refund};

/// An in-memory tax authority with one POS device.
#[derive(Debug)]
pub struct MemoryTax {
    device: String,
    gateways: Vec<String>,
    max_batch: usize,
    state: Mutex<TaxState>,
    faults: Mutex<VecDeque<Injected>>,
    down: Mutex<Option<OutageCause>>,
}

#[derive(Debug, Default)]
struct TaxState {
    received: Vec<(ReceiptUuid, ReceiptUuid, SubmitOutcome)>,
    /// (receipt type, sale or refund id) → uuid of the accepted receipt.
    references: HashMap<(String, String), ReceiptUuid>,
    last: ReceiptUuid,
    submissions: u64,
    batch_sizes: Vec<usize>,
    /// Whether verdicts are held ([`MemoryTax::hold_verdicts`]).
    holding: bool,
    /// Receipts taken while verdicts were held, undecided until released.
    undecided: HashSet<ReceiptUuid>,
}

impl MemoryTax {
    /// A tax authority for `device` that knows the given payment gateways.
    pub fn new(device: impl Into<String>, gateways: &[&str]) -> Self {
        MemoryTax {
            device: device.into(),
            gateways: gateways.iter().map(|g| (*g).to_owned()).collect(),
            max_batch: 500,
            state: Mutex::new(TaxState::default()),
            faults: Mutex::new(VecDeque::new()),
            down: Mutex::new(None),
        }
    }
    /// Makes every remote call of this device fail as an outage (`Unauthenticated`: its
    /// credentials refused); `None`: it answers again.
    pub fn set_down(&self, cause: Option<OutageCause>) {
        *lock(&self.down) = cause;
    }
    fn up(&self) -> ConnectorResult<()> {
        match *lock(&self.down) {
            None => Ok(()),
            Some(cause) => Err(ConnectorError::down(
                Outage {
                    system: System::TaxAuthority,
                    cause,
                },
                format!("memory tax authority, device {}: {cause}", self.device),
            )),
        }
    }
    /// Makes the next submission fail as given.
    pub fn inject(&self, fault: Injected) {
        lock(&self.faults).push_back(fault);
    }
    /// Every receipt received: (uuid, previous uuid, outcome), in order.
    pub fn received(&self) -> Vec<(ReceiptUuid, ReceiptUuid, SubmitOutcome)> {
        lock(&self.state).received.clone()
    }
    /// Takes at most `max` receipts per submission (500 by default, as ETA does).
    #[must_use]
    pub fn with_max_batch(mut self, max: usize) -> Self {
        self.max_batch = max;
        self
    }
    /// How many submissions were made.
    pub fn submissions(&self) -> u64 {
        lock(&self.state).submissions
    }
    /// How many receipts each submission carried, in order.
    pub fn batch_sizes(&self) -> Vec<usize> {
        lock(&self.state).batch_sizes.clone()
    }
    /// Holds the verdicts (`true`), as ETA does while it processes a submission: a receipt
    /// taken from then on is answered undecided ([`ReceiptState::Pending`]) by the
    /// submission and by every look-up. Releasing (`false`) decides each of them Valid; the
    /// engine learns it when it next reads their verdicts.
    pub fn hold_verdicts(&self, hold: bool) {
        let mut state = lock(&self.state);
        state.holding = hold;
        if !hold {
            state.undecided.clear();
        }
    }
    /// The outcome a caller sees of a receipt taken with `outcome`: undecided while held.
    fn as_seen(state: &TaxState, outcome: &SubmitOutcome) -> SubmitOutcome {
        let mut seen = outcome.clone();
        if state.undecided.contains(&outcome.uuid) {
            seen.state = ReceiptState::Pending;
            seen.long_id = None;
        }
        seen
    }
    fn build(
        &self,
        kind: &str,
        key: &str,
        total: Decimal,
        gateway: Option<&str>,
        previous: &ReceiptUuid,
        reference: Option<&ReceiptUuid>,
    ) -> ConnectorResult<BuiltReceipt> {
        let gateway = gateway.unwrap_or("none");
        if !self.gateways.iter().any(|g| g == gateway) {
            return Err(ConnectorError::needs_mapping(
                format!("gateway:{gateway}"),
                format!("payment gateway {gateway} has no tax payment method"),
            ));
        }
        let body = json!({"type": kind, "key": key, "previous": previous, "reference": reference, "total": total.to_string(), "uuid": ""}).to_string();
        let uuid = ReceiptUuid::new(hex::encode(Sha256::digest(body.as_bytes())));
        Ok(BuiltReceipt {
            uuid,
            previous_uuid: previous.clone(),
            body,
            total,
        })
    }
}

#[async_trait]
impl TaxAuthority for MemoryTax {
    fn device(&self) -> &str {
        &self.device
    }
    fn max_batch(&self) -> usize {
        self.max_batch
    }
    fn build_sale(
        &self,
        order: &Order,
        previous_uuid: &ReceiptUuid,
    ) -> ConnectorResult<BuiltReceipt> {
        self.build(
            "s",
            order.external_id.as_str(),
            order.total,
            order.main_gateway(),
            previous_uuid,
            None,
        )
    }
    fn build_return(
        &self,
        order: &Order,
        refund: &Refund,
        sale_uuid: &ReceiptUuid,
        previous_uuid: &ReceiptUuid,
    ) -> ConnectorResult<BuiltReceipt> {
        self.build(
            "r",
            refund.external_id.as_str(),
            refund.total,
            order.main_gateway(),
            previous_uuid,
            Some(sale_uuid),
        )
    }
    fn build_unreferenced_return(
        &self,
        order: &Order,
        refund: &Refund,
        previous_uuid: &ReceiptUuid,
    ) -> ConnectorResult<BuiltReceipt> {
        self.build(
            "rwr",
            refund.external_id.as_str(),
            refund.total,
            order.main_gateway(),
            previous_uuid,
            None,
        )
    }
    async fn submit(&self, receipts: &[BuiltReceipt]) -> ConnectorResult<Vec<SubmitOutcome>> {
        self.up()?;
        let fault = lock(&self.faults).pop_front();
        if fault == Some(Injected::Transient) {
            return Err(ConnectorError::transient("connection refused"));
        }
        let mut state = lock(&self.state);
        if receipts.len() > self.max_batch {
            return Err(ConnectorError::permanent(format!(
                "{} receipts in one submission; at most {}",
                receipts.len(),
                self.max_batch
            )));
        }
        state.submissions += 1;
        state.batch_sizes.push(receipts.len());
        let mut outcomes = Vec::new();
        for r in receipts {
            let outcome = if state.received.iter().any(|(u, _, _)| u == &r.uuid) {
                SubmitOutcome {
                    uuid: r.uuid.clone(),
                    state: ReceiptState::Rejected,
                    long_id: None,
                    reason: Some("duplicate uuid".to_owned()),
                    submission: None,
                }
            } else if r.previous_uuid != state.last {
                SubmitOutcome {
                    uuid: r.uuid.clone(),
                    state: ReceiptState::Rejected,
                    long_id: None,
                    reason: Some(format!(
                        "previousUUID {} is not the device's last receipt {}",
                        r.previous_uuid, state.last
                    )),
                    submission: None,
                }
            } else {
                state.last = r.uuid.clone();
                // The reference the receipt carries (its type and sale or refund id), as the
                // authority's search would find it.
                if let Ok(body) = serde_json::from_str::<serde_json::Value>(&r.body) {
                    let text = |member: &str| body[member].as_str().unwrap_or("").to_owned();
                    state
                        .references
                        .insert((text("type"), text("key")), r.uuid.clone());
                }
                SubmitOutcome {
                    uuid: r.uuid.clone(),
                    state: ReceiptState::Accepted,
                    long_id: Some(format!("L-{}", &r.uuid.as_str()[..8])),
                    reason: None,
                    submission: None,
                }
            };
            if state.holding && outcome.state == ReceiptState::Accepted {
                state.undecided.insert(r.uuid.clone());
            }
            outcomes.push(Self::as_seen(&state, &outcome));
            state
                .received
                .push((r.uuid.clone(), r.previous_uuid.clone(), outcome));
        }
        if fault == Some(Injected::LostAnswer) {
            return Err(ConnectorError::uncertain(
                "connection dropped after the submission was sent",
            ));
        }
        Ok(outcomes)
    }
    async fn lookup(&self, uuid: &ReceiptUuid) -> ConnectorResult<Option<SubmitOutcome>> {
        self.up()?;
        let state = lock(&self.state);
        Ok(state
            .received
            .iter()
            .find(|(u, _, _)| u == uuid)
            .map(|(_, _, o)| Self::as_seen(&state, o)))
    }
    async fn find_receipt(
        &self,
        order: &Order,
        refund: Option<&Refund>,
    ) -> ConnectorResult<Option<SubmitOutcome>> {
        self.up()?;
        let (kind, key) = match refund {
            None => ("s", order.external_id.as_str()),
            Some(refund) => ("r", refund.external_id.as_str()),
        };
        let state = lock(&self.state);
        Ok(state
            .references
            .get(&(kind.to_owned(), key.to_owned()))
            .and_then(|uuid| state.received.iter().find(|(u, _, _)| u == uuid))
            .map(|(_, _, o)| Self::as_seen(&state, o)))
    }
    async fn chain_tail(&self) -> ConnectorResult<Option<ReceiptUuid>> {
        self.up()?;
        let state = lock(&self.state);
        Ok(Some(state.last.clone()).filter(|last| !last.as_str().is_empty()))
    }
}
