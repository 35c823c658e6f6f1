//! The sync engine: flows, exactly-once jobs, webhooks, reconciliation and the scheduler.
//!
//! An [`Engine`] holds the five connectors ([`Connectors`]), a [`StateStore`](crate::store::StateStore)
//! and an [`EngineConfig`]. Its work comes in two halves:
//!
//! - **Flows** read what changed since their checkpoint, compare it with the bindings (content
//!   hashes make an unchanged entity cost nothing), and *decide* jobs, each with a
//!   deterministic key, so reading the same change twice yields one job.
//! - **Jobs** are leased from the store and run: the job is marked started before the remote
//!   call and completed after it. A job that was started before (a crash, a lost answer) first
//!   looks its effect up remotely (`find_sales_document`, `find_return`, the receipt uuid)
//!   and only then writes again.
//!
//! [`Engine::run_once`] runs every flow and drains the queue; [`Engine::run`] repeats passes
//! on a schedule, takes webhook-triggered work in between, and stops cleanly on request.
//! [`Engine::plan`] reports what the flows would write without writing anything: it calls the
//! same `decide` as a run, with a sink that lists instead of queueing.
//!
//! # Layout
//!
//! Imports point one way, from the top of this list to the bottom:
//!
//! | module | what it holds |
//! |---|---|
//! | `pass` | the entry points that compose flows and runtime: `run_once`, `run`, `plan` |
//! | `read_lease` | one worker reads a flow's source while the others run jobs |
//! | `ops`, `flows/reconcile` | operator actions and reconciliation, on request |
//! | `flows/*` | one module per flow, each with `decide` and `execute` |
//! | `runtime` | the job runtime: queue, lease, run, classify failures, bind, audit (no flow) |
//! | `receipt_status` | the receipt states, their stored forms, the per-receipt listing |
//! | `base`, `kinds` | the engine value, its configuration and counters; [`BindingKind`], [`JobKind`] |
//! | `webhook` | the [`WebhookVerifier`] seam |
//!
//! `docs/architecture.md` of the workspace shows how to add a flow.

mod base;
mod devices;
mod flows;
mod kinds;
mod last_pass;
pub mod memory;
mod ops;
mod pass;
mod read_lease;
mod receipt_status;
mod runtime;
mod webhook;

pub use base::{
    BackfillProgress, Connectors, Engine, EngineConfig, EngineError, OutageReport, PlannedWrite,
    ReceiptTrigger, Shutdown, Summary, content_hash,
};
pub use devices::{DeviceRoute, DevicesError, TaxDevices};
pub use flows::Flow;
pub use flows::reconcile::{
    DailySales, SalesMismatch, SalesReconciliation, StockDrift, StockReconciliation,
};
pub use kinds::{BindingKind, JobKind, UnknownKind};
pub use last_pass::{LastPass, PassOutcome};
pub use ops::PushedItems;
pub use receipt_status::{ReceiptPhase, ReceiptStatus};
pub use webhook::{WebhookError, WebhookEvent, WebhookOutcome, WebhookVerifier};
