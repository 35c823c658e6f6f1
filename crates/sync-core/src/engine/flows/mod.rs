//! The flows: one module each, every one with the same two faces.
//!
//! - **`decide`** reads its source, compares it with the bindings, and hands each write it
//!   wants to a [`Decisions`] sink as a [`Decision`]: the work, its idempotency key, its
//!   resource, and how a person would read it ([`PlannedWrite`]). [`Engine::run_once`]
//!   decides into a sink that queues the jobs; [`Engine::plan`] decides into one that only
//!   lists them. Both call the same `decide`, so a plan cannot disagree with a run.
//! - **`execute`** runs one job of the flow (the runtime calls it through [`Work`]).
//!
//! | module | decides from | executes |
//! |---|---|---|
//! | [`catalog`] | ERP item groups vs product bindings | create/update a product |
//! | [`prices`] | ERP prices vs price bindings | write a chunk of prices |
//! | [`promotions`] | ERP promotions vs promotion bindings | create/update a discount |
//! | [`stock`] | ERP stock vs stock bindings | write a chunk of quantities |
//! | [`customers`] | storefront customer changes | create/update an ERP customer |
//! | [`orders`] | storefront order changes; webhooks | import, cancel, re-read an order |
//! | [`refunds`] | (follows an order) | create an ERP return |
//! | [`fulfillments`] | ERP shipments since the checkpoint | report a fulfilment |
//! | [`receipts`] | open receipts; (follows orders and refunds) | issue, submit, record receipts |
//! | [`verdicts`] | (follows receipts) undecided receipts | read final statuses, replace Invalid ones |
//! | [`reconcile`] | a full comparison, on request | (stock corrections as [`stock`] writes) |
//!
//! Imports point one way: flows → [`runtime`](super::runtime) → store and model.

pub(crate) mod catalog;
pub(crate) mod customers;
mod export;
pub(crate) mod fulfillments;
pub(crate) mod orders;
pub(crate) mod prices;
pub(crate) mod promotions;
mod pull;
pub(crate) mod receipts;
pub(crate) mod reconcile;
pub(crate) mod refunds;
pub(crate) mod stock;
pub(crate) mod verdicts;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::base::{Engine, EngineError, PlannedWrite, Summary};
use super::kinds::JobKind;
use super::runtime::{JobResult, Task};
use crate::connector::{ConnectorError, RemoteVariant, StockWrite};
use crate::error::System;
use crate::model::{
    Customer, Order, OrderId, PriceChange, ProductGroup, Promotion, RefundId, Shipment,
};
use crate::store::Job;

/// The flows a pass can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flow {
    /// Item groups → products, variants, options, images.
    Catalog,
    /// Prices and compare-at prices.
    Prices,
    /// Promotions → automatic discounts.
    Promotions,
    /// Stock → inventory levels (delta).
    Stock,
    /// Storefront customers → ERP.
    Customers,
    /// Storefront orders, cancellations and refunds → ERP.
    Orders,
    /// ERP shipments → storefront fulfilments.
    Fulfillments,
    /// Sales and refunds → tax receipts.
    Receipts,
}

impl Flow {
    /// Every flow, in the order a pass runs them.
    pub const ALL: [Flow; 8] = [
        Flow::Catalog,
        Flow::Prices,
        Flow::Promotions,
        Flow::Stock,
        Flow::Customers,
        Flow::Orders,
        Flow::Fulfillments,
        Flow::Receipts,
    ];

    /// The flow's name.
    pub fn name(self) -> &'static str {
        match self {
            Flow::Catalog => "catalog",
            Flow::Prices => "prices",
            Flow::Promotions => "promotions",
            Flow::Stock => "stock",
            Flow::Customers => "customers",
            Flow::Orders => "orders",
            Flow::Fulfillments => "fulfillments",
            Flow::Receipts => "receipts",
        }
    }

    /// The system every decision of the flow reads through a connector call that cannot be
    /// skipped, so that a decision that succeeded proves the system answers (it closes that
    /// system's breaker). `None` for a flow that reads only the state store, or whose read a
    /// connector may answer without a call (promotions and shipments have empty defaults).
    pub fn source(self) -> Option<System> {
        match self {
            Flow::Catalog | Flow::Prices | Flow::Stock => Some(System::Erp),
            Flow::Customers | Flow::Orders => Some(System::Storefront),
            Flow::Promotions | Flow::Fulfillments | Flow::Receipts => None,
        }
    }

    /// Hands every write the flow wants now to `decisions`.
    pub(crate) async fn decide(self, decisions: &mut Decisions<'_>) -> Result<(), EngineError> {
        match self {
            Flow::Catalog => catalog::decide(decisions).await,
            Flow::Prices => prices::decide(decisions).await,
            Flow::Promotions => promotions::decide(decisions).await,
            Flow::Stock => stock::decide(decisions, stock::Pass::Delta).await,
            Flow::Customers => customers::decide(decisions).await,
            Flow::Orders => orders::decide(decisions).await,
            Flow::Fulfillments => fulfillments::decide(decisions).await,
            Flow::Receipts => receipts::decide(decisions).await,
        }
    }
}

/// What a job does, with what it needs: the payload of every job the flows queue.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Work {
    PushProduct {
        group: ProductGroup,
    },
    SetPrices {
        changes: Vec<(RemoteVariant, PriceChange)>,
    },
    PushPromotion {
        promotion: Promotion,
    },
    SetStock {
        writes: Vec<StockWrite>,
    },
    ImportCustomer {
        customer: Customer,
    },
    ImportOrder {
        order: Order,
    },
    CancelOrder {
        order: Order,
    },
    ImportRefund {
        order: Order,
        refund_id: RefundId,
    },
    CreateFulfillment {
        shipment: Shipment,
    },
    RefetchOrder {
        order_id: OrderId,
    },
    IssueReceipt {
        order: Order,
        refund_id: Option<RefundId>,
    },
    SubmitReceipts {
        device: String,
    },
    RecordReceipt {
        order_id: OrderId,
        receipt_key: String,
    },
    PollReceipts {
        device: String,
        oldest: String,
        #[serde(default)]
        not_before: Option<DateTime<Utc>>,
    },
    ReplaceReceipt {
        receipt_key: String,
        invalid: String,
    },
}

#[async_trait::async_trait]
impl Task for Work {
    fn kind(&self) -> JobKind {
        match self {
            Work::PushProduct { .. } => JobKind::PushProduct,
            Work::SetPrices { .. } => JobKind::SetPrices,
            Work::PushPromotion { .. } => JobKind::PushPromotion,
            Work::SetStock { .. } => JobKind::SetStock,
            Work::ImportCustomer { .. } => JobKind::ImportCustomer,
            Work::ImportOrder { .. } => JobKind::ImportOrder,
            Work::CancelOrder { .. } => JobKind::CancelOrder,
            Work::ImportRefund { .. } => JobKind::ImportRefund,
            Work::CreateFulfillment { .. } => JobKind::CreateFulfillment,
            Work::RefetchOrder { .. } => JobKind::RefetchOrder,
            Work::IssueReceipt { .. } => JobKind::IssueReceipt,
            Work::SubmitReceipts { .. } => JobKind::SubmitReceipts,
            Work::RecordReceipt { .. } => JobKind::RecordReceipt,
            Work::PollReceipts { .. } => JobKind::PollReceipts,
            Work::ReplaceReceipt { .. } => JobKind::ReplaceReceipt,
        }
    }

    async fn execute(self, engine: &Engine, job: &Job) -> JobResult {
        match self {
            Work::PushProduct { group } => catalog::execute(engine, job, group).await,
            Work::SetPrices { changes } => prices::execute(engine, job, changes).await,
            Work::PushPromotion { promotion } => promotions::execute(engine, job, promotion).await,
            Work::SetStock { writes } => stock::execute(engine, job, writes).await,
            Work::ImportCustomer { customer } => customers::execute(engine, job, customer).await,
            Work::ImportOrder { order } => orders::import(engine, job, order).await,
            Work::CancelOrder { order } => orders::cancel(engine, job, order).await,
            Work::ImportRefund { order, refund_id } => {
                refunds::execute(engine, job, order, refund_id).await
            }
            Work::CreateFulfillment { shipment } => {
                fulfillments::execute(engine, job, shipment).await
            }
            Work::RefetchOrder { order_id } => orders::refetch(engine, &order_id).await,
            Work::IssueReceipt { order, refund_id } => {
                receipts::issue(engine, job, order, refund_id).await
            }
            Work::SubmitReceipts { device } => receipts::submit(engine, job, &device).await,
            Work::RecordReceipt {
                order_id,
                receipt_key,
            } => receipts::record(engine, job, &order_id, &receipt_key).await,
            Work::PollReceipts {
                device,
                oldest,
                not_before,
            } => verdicts::poll(engine, &device, &oldest, not_before).await,
            Work::ReplaceReceipt {
                receipt_key,
                invalid,
            } => verdicts::replace(engine, job, &receipt_key, &invalid).await,
        }
    }
}

/// One write a flow decided on.
#[derive(Debug)]
pub(crate) struct Decision {
    /// The job's work.
    pub(crate) work: Work,
    /// Its idempotency key.
    pub(crate) key: String,
    /// Its serialisation key (jobs of one resource run one at a time, in order).
    pub(crate) resource: String,
    /// `create`, `update`, `delete` or `submit`.
    pub(crate) action: &'static str,
    /// `storefront`, `erp` or `tax`.
    pub(crate) target: &'static str,
    /// The entity as a person knows it.
    pub(crate) label: String,
}

impl Decision {
    /// A decision to run `work` under `key` on `resource`.
    pub(crate) fn new(work: Work, key: String, resource: String) -> Self {
        Decision {
            work,
            key,
            resource,
            action: "update",
            target: "storefront",
            label: String::new(),
        }
    }

    /// Says what the write does to which system's entity, for a plan.
    pub(crate) fn reads(
        mut self,
        action: &'static str,
        target: &'static str,
        label: impl Into<String>,
    ) -> Self {
        self.action = action;
        self.target = target;
        self.label = label.into();
        self
    }

    fn planned(&self) -> PlannedWrite {
        let kind = self.work.kind();
        PlannedWrite {
            flow: kind.flow().to_owned(),
            action: self.action.to_owned(),
            target: self.target.to_owned(),
            key: self.label.clone(),
            job_kind: kind,
            job_key: self.key.clone(),
        }
    }
}

/// Where decisions go: queued as jobs (a run) or listed (a plan).
#[derive(Debug)]
pub(crate) struct Decisions<'e> {
    engine: &'e Engine,
    planned: Option<Vec<PlannedWrite>>,
    /// What deciding counted (unchanged products, unmapped stock).
    pub(crate) summary: Summary,
}

impl<'e> Decisions<'e> {
    /// A sink that queues each decision as a job, and records what the flows read.
    pub(crate) fn run(engine: &'e Engine) -> Self {
        Decisions {
            engine,
            planned: None,
            summary: Summary::default(),
        }
    }

    /// A sink that only lists the decisions and writes nothing to the store.
    pub(crate) fn plan(engine: &'e Engine) -> Self {
        Decisions {
            engine,
            planned: Some(Vec::new()),
            summary: Summary::default(),
        }
    }

    /// The engine the flows decide for.
    pub(crate) fn engine(&self) -> &'e Engine {
        self.engine
    }

    /// Whether decisions are queued (a run), so the flow may also record what it read.
    pub(crate) fn is_run(&self) -> bool {
        self.planned.is_none()
    }

    /// Queues (run) or lists (plan) one decision.
    pub(crate) async fn add(&mut self, decision: Decision) -> Result<(), EngineError> {
        match &mut self.planned {
            Some(planned) => {
                // A run would find a job under this key already and queue nothing.
                let queued = self
                    .engine
                    .store
                    .job_by_key(
                        &self.engine.config.scope,
                        decision.work.kind().as_str(),
                        &decision.key,
                    )
                    .await?;
                if queued.is_none() {
                    planned.push(decision.planned());
                }
                Ok(())
            }
            None => self
                .engine
                .enqueue(&decision.work, decision.key, decision.resource)
                .await
                .map(drop),
        }
    }

    /// The writes listed by a plan sink.
    pub(crate) fn into_planned(self) -> Vec<PlannedWrite> {
        self.planned.unwrap_or_default()
    }
}

impl Engine {
    /// Runs the flows' jobs until none is runnable. See [`Engine::drain_tasks`].
    pub(crate) async fn drain(&self) -> Result<Summary, EngineError> {
        self.drain_tasks::<Work>(true).await
    }

    /// Runs the flows' jobs until none is runnable now, without waiting for those due later.
    pub(crate) async fn drain_runnable(&self) -> Result<Summary, EngineError> {
        self.drain_tasks::<Work>(false).await
    }

    /// Decides `flow` into a run sink: its jobs are queued, its reads recorded.
    pub(crate) async fn enqueue_flow(
        &self,
        flow: Flow,
        summary: &mut Summary,
    ) -> Result<(), EngineError> {
        let mut decisions = Decisions::run(self);
        flow.decide(&mut decisions).await?;
        summary.add(&decisions.summary);
        Ok(())
    }
}

/// Maps a source read's failure to the engine error naming `flow`.
pub(crate) fn source(flow: &'static str) -> impl FnOnce(ConnectorError) -> EngineError {
    move |source| EngineError::Source { flow, source }
}

/// Where an incremental read starts: the checkpoint less the configured overlap.
pub(crate) fn since(engine: &Engine, checkpoint: Option<String>) -> Option<DateTime<Utc>> {
    let overlap = chrono::Duration::from_std(engine.config.overlap).unwrap_or_default();
    checkpoint
        .and_then(|c| DateTime::parse_from_rfc3339(&c).ok())
        .map(|t| t.with_timezone(&Utc) - overlap)
}

/// A label for a job over several entities: all of them when few, else a count and the first.
pub(crate) fn list_label<'a>(what: &str, items: impl ExactSizeIterator<Item = &'a str>) -> String {
    const SHOWN: usize = 5;
    let count = items.len();
    let shown: Vec<&str> = items.take(SHOWN).collect();
    if count <= SHOWN {
        shown.join(",")
    } else {
        format!("{count} {what}: {},…", shown.join(","))
    }
}
