//! What each screen reports: one type per screen, with a stable JSON shape (printed with
//! `--json`), a text rendering for people, and the exit status it implies.
//!
//! The JSON shapes are part of the command-line interface: fields are only ever added, never
//! renamed or removed (`docs/cli.md` lists them; `tests/screens.rs` holds them against a
//! snapshot). Text is for people and may change.
//!
//! Exit statuses (see [`Status`]): `0` when the screen did what it was asked and nothing needs a
//! decision, `1` when it did its work but something needs an operator (a drift, an unknown item
//! code, a new dead letter), `2` when it could not do its work (configuration, a system down, the
//! state store).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use sync_core::engine::{
    PlannedWrite, ReceiptPhase, ReceiptStatus, SalesReconciliation, StockReconciliation, Summary,
};
use sync_core::store::{Job, JobState};

/// What a screen's outcome asks of the process's exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Done; nothing needs a decision. Exit 0.
    Ok,
    /// Done, but something needs an operator (named on the screen). Exit 1.
    Attention,
}

impl Status {
    /// The process exit code of this status.
    pub fn code(self) -> u8 {
        match self {
            Status::Ok => 0,
            Status::Attention => 1,
        }
    }
}

/// A screen's report: serialisable for `--json`, renderable as text for people.
pub trait Screen: Serialize {
    /// The text rendering, one string per line.
    fn lines(&self) -> Vec<String>;
    /// The exit status the report implies.
    fn status(&self) -> Status {
        Status::Ok
    }
}

/// A table of aligned columns for the text screens, measured in characters (not bytes), so
/// Arabic item names and long gateway names keep the columns straight.
#[derive(Debug, Default)]
pub struct Table {
    header: Vec<String>,
    right: Vec<bool>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column titles; a title starting with `>` is right-aligned (numbers).
    pub fn new(header: &[&str]) -> Table {
        Table {
            header: header
                .iter()
                .map(|h| h.trim_start_matches('>').to_owned())
                .collect(),
            right: header.iter().map(|h| h.starts_with('>')).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row (missing cells are empty).
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The header line and one line per row, columns two spaces apart, no trailing spaces.
    pub fn lines(&self) -> Vec<String> {
        let width = |s: &str| s.chars().count();
        let mut widths: Vec<usize> = self.header.iter().map(|h| width(h)).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate() {
                if i < widths.len() {
                    widths[i] = widths[i].max(width(cell));
                }
            }
        }
        let render = |cells: &[String]| {
            let mut line = String::new();
            for (i, w) in widths.iter().enumerate() {
                let cell = cells.get(i).map_or("", String::as_str);
                let pad = w.saturating_sub(width(cell));
                if i > 0 {
                    line.push_str("  ");
                }
                if self.right[i] {
                    line.push_str(&" ".repeat(pad));
                    line.push_str(cell);
                } else {
                    line.push_str(cell);
                    line.push_str(&" ".repeat(pad));
                }
            }
            line.trim_end().to_owned()
        };
        std::iter::once(render(&self.header))
            .chain(self.rows.iter().map(|r| render(r)))
            .collect()
    }
}

/// Money with two decimals, as people read it.
pub fn money(amount: Decimal) -> String {
    format!(
        "{:.2}",
        amount.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
    )
}

/// The lines of a pass summary: one non-zero count a line, or `nothing changed`.
pub fn summary_lines(summary: &Summary) -> Vec<String> {
    let value = serde_json::to_value(summary).unwrap_or_default();
    let lines: Vec<String> = value
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, count)| count.as_u64().unwrap_or(0) > 0)
        .map(|(key, count)| format!("{:>24}  {count}", key.replace('_', " ")))
        .collect();
    if lines.is_empty() {
        vec!["nothing changed".to_owned()]
    } else {
        lines
    }
}

/// A pass over one or more flows (`items push`, `images`, `stock`, `orders pull`, `customers
/// pull`, `receipts submit`, `dlq replay`).
#[derive(Debug, Clone, Serialize)]
pub struct PassReport {
    /// The screen, as typed (`orders pull`).
    pub screen: String,
    /// Jobs put back in the queue before the pass (`dlq replay` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replayed: Option<u64>,
    /// Item group codes asked for that Flow does not have (`items push`/`images` only).
    pub unknown_codes: Vec<String>,
    /// What the pass did.
    pub summary: Summary,
}

impl Screen for PassReport {
    fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if let Some(n) = self.replayed {
            lines.push(format!("{n} job(s) back in the queue"));
        }
        for code in &self.unknown_codes {
            lines.push(format!("{code}: no such item group in Flow"));
        }
        lines.extend(summary_lines(&self.summary));
        if self.summary.dead_letters > 0 || self.summary.parked > 0 {
            lines.push("see `dlq list` for what needs a decision".to_owned());
        }
        lines
    }

    /// Attention when a code was unknown or the pass left new dead letters or parked jobs.
    fn status(&self) -> Status {
        if !self.unknown_codes.is_empty()
            || self.summary.dead_letters > 0
            || self.summary.parked > 0
        {
            Status::Attention
        } else {
            Status::Ok
        }
    }
}

/// `items hold|activate`.
#[derive(Debug, Clone, Serialize)]
pub struct ItemsStatusReport {
    /// `held` or `active`.
    pub status: String,
    /// The codes whose product was set.
    pub set: Vec<String>,
    /// The codes never pushed to the storefront (nothing done for them).
    pub not_on_storefront: Vec<String>,
}

impl Screen for ItemsStatusReport {
    fn lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .not_on_storefront
            .iter()
            .map(|code| format!("{code}: not on the storefront yet (push it first)"))
            .collect();
        lines.push(format!("{} item(s) set to {}", self.set.len(), self.status));
        lines
    }

    fn status(&self) -> Status {
        if self.not_on_storefront.is_empty() {
            Status::Ok
        } else {
            Status::Attention
        }
    }
}

/// `store-id`.
#[derive(Debug, Clone, Serialize)]
pub struct StoreIdReport {
    /// The shop's GID.
    pub shop_id: String,
    /// Its name.
    pub name: String,
    /// Its `*.myshopify.com` domain.
    pub domain: String,
    /// Its currency (ISO 4217).
    pub currency: String,
    /// The Admin API version the connector calls.
    pub api_version: String,
    /// The day Shopify retires it (`null` for `unstable`).
    pub api_version_retires_on: Option<NaiveDate>,
    /// Days left until then (0 or less once retired; `null` for `unstable`).
    pub api_version_days_left: Option<i64>,
}

impl Screen for StoreIdReport {
    /// Attention from 90 days before the version's retirement.
    fn status(&self) -> Status {
        if self
            .api_version_days_left
            .is_none_or(|d| d <= shopify_client::version::RETIREMENT_WARNING_DAYS)
        {
            Status::Attention
        } else {
            Status::Ok
        }
    }

    fn lines(&self) -> Vec<String> {
        vec![
            format!("shop        {}", self.shop_id),
            format!("name        {}", self.name),
            format!("domain      {}", self.domain),
            format!("currency    {}", self.currency),
            format!(
                "API version {}{}",
                self.api_version,
                match (self.api_version_retires_on, self.api_version_days_left) {
                    (Some(day), Some(left)) if left > 0 =>
                        format!(": {left} days left (retired on {day})"),
                    (Some(day), _) => format!(": RETIRED on {day}; move to a newer version"),
                    _ => ": unstable, not for production".to_owned(),
                }
            ),
        ]
    }
}

/// `receipts status`: one entry per receipt (a JSON array), optionally of one state.
#[derive(Debug, Clone, Serialize)]
#[serde(transparent)]
pub struct ReceiptStatusReport {
    /// The receipts, in the order they were first stored (parked ones last).
    pub receipts: Vec<ReceiptStatus>,
    /// When the report was made, to tell the time left before each deadline (not printed
    /// in JSON: each receipt carries its deadline).
    #[serde(skip)]
    pub now: DateTime<Utc>,
    /// Time left before a deadline under which a receipt not Valid is flagged.
    #[serde(skip)]
    pub margin: chrono::Duration,
}

impl ReceiptStatusReport {
    /// The receipts not Valid whose deadline is less than the margin away (or past).
    pub fn near_deadline(&self) -> usize {
        self.receipts
            .iter()
            .filter(|r| near_deadline(r, self.now, self.margin))
            .count()
    }
}

/// Whether `r` is not Valid (nor replaced) and its deadline is less than `margin` away.
fn near_deadline(r: &ReceiptStatus, now: DateTime<Utc>, margin: chrono::Duration) -> bool {
    r.state != ReceiptPhase::Valid
        && r.replaced_by.is_none()
        && r.deadline.is_some_and(|d| d - now < margin)
}

impl Screen for ReceiptStatusReport {
    fn lines(&self) -> Vec<String> {
        if self.receipts.is_empty() {
            return vec!["no receipts".to_owned()];
        }
        let mut table = Table::new(&[
            "ORDER",
            "KIND",
            "STATE",
            "DEVICE",
            "UUID",
            "SUBMITTED",
            "DEADLINE",
            "REASON",
        ]);
        let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
        for r in &self.receipts {
            *counts.entry(r.state.as_str()).or_default() += 1;
            let deadline = r.deadline.map_or_else(String::new, |d| {
                let mut text = d.format("%Y-%m-%d %H:%M").to_string();
                if near_deadline(r, self.now, self.margin) {
                    text.push_str(if d <= self.now { " PAST" } else { " SOON" });
                }
                text
            });
            let mut reason = r.reason.clone().unwrap_or_default();
            if let Some(by) = &r.replaced_by {
                reason = format!("replaced by {}; {reason}", short(by));
            } else if let Some(old) = &r.reference_old_uuid {
                reason = format!("replaces {}", short(old));
            }
            if reason.chars().count() > 80 {
                reason = reason.chars().take(79).collect::<String>() + "…";
            }
            table.row(vec![
                r.order_name.clone().unwrap_or_else(|| r.order_id.clone()),
                r.kind.clone(),
                r.state.as_str().to_owned(),
                r.device.clone(),
                r.uuid.as_deref().map(short).unwrap_or_default(),
                r.submitted_at
                    .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                    .unwrap_or_default(),
                deadline,
                reason,
            ]);
        }
        let mut lines = table.lines();
        let totals: Vec<String> = counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
        lines.push(String::new());
        lines.push(format!(
            "{} receipts: {}",
            self.receipts.len(),
            totals.join(", ")
        ));
        let near = self.near_deadline();
        if near > 0 {
            lines.push(format!(
                "{near} receipt(s) not Valid with less than {} h before their deadline",
                self.margin.num_hours()
            ));
        }
        lines
    }

    /// Attention while any receipt is rejected, Invalid and not replaced, parked, or near its
    /// deadline.
    fn status(&self) -> Status {
        let stuck = self.receipts.iter().any(|r| {
            matches!(
                r.state,
                ReceiptPhase::Rejected | ReceiptPhase::Invalid | ReceiptPhase::Parked
            ) && r.replaced_by.is_none()
        });
        if stuck || self.near_deadline() > 0 {
            Status::Attention
        } else {
            Status::Ok
        }
    }
}

/// The first 12 characters of a uuid, for a table.
fn short(uuid: &str) -> String {
    uuid.chars().take(12).collect()
}

/// One stock level that differs, with its location's name.
#[derive(Debug, Clone, Serialize)]
pub struct DriftRow {
    /// The SKU.
    pub sku: String,
    /// The storefront location's id.
    pub location_id: String,
    /// Its name (the id when the storefront no longer lists it).
    pub location: String,
    /// What Flow holds.
    pub flow: i64,
    /// What Shopify had.
    pub shopify: i64,
}

/// One payment method's sums of the day, three ways.
#[derive(Debug, Clone, Serialize)]
pub struct GatewayRow {
    /// The payment gateway as Shopify names it.
    pub gateway: String,
    /// Orders counted.
    pub orders: u64,
    /// Shopify's order totals.
    pub shopify: Decimal,
    /// Flow's document totals.
    pub flow: Decimal,
    /// ETA's accepted sale receipt totals.
    pub eta: Decimal,
    /// Whether the three agree.
    pub balanced: bool,
}

/// One order whose three sides disagree.
#[derive(Debug, Clone, Serialize)]
pub struct MismatchRow {
    /// The Shopify order id.
    pub order_id: String,
    /// The order name.
    pub order_name: String,
    /// What is wrong.
    pub problem: String,
}

/// `reconcile`: stock in full and the day's sales three ways.
#[derive(Debug, Clone, Serialize)]
pub struct ReconcileReport {
    /// `true` when nothing differs (stock and sales).
    pub balanced: bool,
    /// `true` when no correction was pushed.
    pub dry_run: bool,
    /// Stock levels compared.
    pub stock_compared: u64,
    /// Stock levels that differed (corrected unless a dry run).
    pub stock_drift: Vec<DriftRow>,
    /// The day of the sales comparison.
    pub day: NaiveDate,
    /// Sums per payment method.
    pub sales: Vec<GatewayRow>,
    /// Orders whose sides disagree.
    pub mismatches: Vec<MismatchRow>,
}

impl ReconcileReport {
    /// Builds the report from the engine's two comparisons and the storefront's location
    /// names (id → name).
    pub fn new(
        stock: &StockReconciliation,
        sales: &SalesReconciliation,
        day: NaiveDate,
        dry_run: bool,
        locations: &BTreeMap<String, String>,
    ) -> ReconcileReport {
        let stock_drift: Vec<DriftRow> = stock
            .drift
            .iter()
            .map(|d| DriftRow {
                sku: d.sku.to_string(),
                location_id: d.location_id.to_string(),
                location: locations
                    .get(d.location_id.as_str())
                    .cloned()
                    .unwrap_or_else(|| d.location_id.to_string()),
                flow: d.erp,
                shopify: d.storefront,
            })
            .collect();
        let sales_rows: Vec<GatewayRow> = sales
            .by_gateway
            .iter()
            .map(|(gateway, s)| GatewayRow {
                gateway: gateway.clone(),
                orders: s.orders,
                shopify: s.storefront,
                flow: s.erp,
                eta: s.receipts,
                balanced: s.storefront == s.erp && s.erp == s.receipts,
            })
            .collect();
        let mismatches: Vec<MismatchRow> = sales
            .mismatches
            .iter()
            .map(|m| MismatchRow {
                order_id: m.order.to_string(),
                order_name: m.name.clone(),
                problem: m.problem.clone(),
            })
            .collect();
        ReconcileReport {
            balanced: stock_drift.is_empty()
                && mismatches.is_empty()
                && sales_rows.iter().all(|r| r.balanced),
            dry_run,
            stock_compared: stock.compared,
            stock_drift,
            day,
            sales: sales_rows,
            mismatches,
        }
    }
}

impl Screen for ReconcileReport {
    fn lines(&self) -> Vec<String> {
        let mut lines = vec![format!(
            "stock: {} levels compared, {} differed{}",
            self.stock_compared,
            self.stock_drift.len(),
            match (self.stock_drift.is_empty(), self.dry_run) {
                (true, _) => "",
                (false, true) => " (dry run: not corrected)",
                (false, false) => ", corrected",
            }
        )];
        if !self.stock_drift.is_empty() {
            let mut table = Table::new(&["  SKU", "LOCATION", ">FLOW", ">SHOPIFY"]);
            for d in &self.stock_drift {
                table.row(vec![
                    format!("  {}", d.sku),
                    d.location.clone(),
                    d.flow.to_string(),
                    d.shopify.to_string(),
                ]);
            }
            lines.extend(table.lines());
        }
        lines.push(String::new());
        if self.sales.is_empty() {
            lines.push(format!("sales of {}: no orders", self.day));
        } else {
            lines.push(format!("sales of {}:", self.day));
            let mut table = Table::new(&[
                "  PAYMENT METHOD",
                ">ORDERS",
                ">SHOPIFY",
                ">FLOW",
                ">ETA",
                "",
            ]);
            for g in &self.sales {
                table.row(vec![
                    format!("  {}", g.gateway),
                    g.orders.to_string(),
                    money(g.shopify),
                    money(g.flow),
                    money(g.eta),
                    if g.balanced { "" } else { "<< differs" }.to_owned(),
                ]);
            }
            lines.extend(table.lines());
        }
        for m in &self.mismatches {
            lines.push(format!("  mismatch {}: {}", m.order_name, m.problem));
        }
        lines.push(String::new());
        lines.push(if self.balanced {
            "balanced".to_owned()
        } else {
            "OUT OF BALANCE: see the differences above".to_owned()
        });
        lines
    }

    fn status(&self) -> Status {
        if self.balanced {
            Status::Ok
        } else {
            Status::Attention
        }
    }
}

/// One dead letter or parked job.
#[derive(Debug, Clone, Serialize)]
pub struct DeadLetterRow {
    /// The job id (`dlq replay ID`).
    pub id: i64,
    /// `dead` or `parked`.
    pub state: String,
    /// The job kind.
    pub kind: String,
    /// Its idempotency key.
    pub key: String,
    /// The order name, when the job is about an order.
    pub order_name: Option<String>,
    /// Remote calls started.
    pub attempts: u32,
    /// The mapping it waits for, when parked.
    pub waiting_for: Option<String>,
    /// The last error.
    pub error: Option<String>,
    /// When the job was queued.
    pub created_at: DateTime<Utc>,
    /// Its last change.
    pub updated_at: DateTime<Utc>,
}

/// `dlq list`.
#[derive(Debug, Clone, Serialize)]
pub struct DeadLettersReport {
    /// Dead letters and parked jobs, oldest first.
    pub jobs: Vec<DeadLetterRow>,
}

impl DeadLettersReport {
    /// From the stored jobs.
    pub fn new(jobs: Vec<Job>) -> DeadLettersReport {
        let mut rows: Vec<DeadLetterRow> = jobs
            .into_iter()
            .map(|job| DeadLetterRow {
                id: job.id,
                state: match job.state {
                    JobState::Parked => "parked",
                    _ => "dead",
                }
                .to_owned(),
                order_name: order_name(&job.payload),
                kind: job.kind,
                key: job.key,
                attempts: job.attempts,
                waiting_for: job.parked_on,
                error: job.last_error,
                created_at: job.created_at,
                updated_at: job.updated_at,
            })
            .collect();
        rows.sort_by_key(|r| (r.created_at, r.id));
        DeadLettersReport { jobs: rows }
    }
}

/// The order name a job's payload carries (`#1001`), wherever the flow put it.
fn order_name(payload: &serde_json::Value) -> Option<String> {
    ["/name", "/order/name", "/order_name"]
        .iter()
        .find_map(|p| payload.pointer(p).and_then(|v| v.as_str()))
        .map(str::to_owned)
}

impl Screen for DeadLettersReport {
    fn lines(&self) -> Vec<String> {
        if self.jobs.is_empty() {
            return vec!["no dead letters and nothing parked".to_owned()];
        }
        let mut table = Table::new(&[
            ">ID",
            "STATE",
            "KIND",
            "ORDER",
            ">TRIES",
            "LAST CHANGE",
            "WHY",
        ]);
        for j in &self.jobs {
            let why = j.waiting_for.as_ref().map_or_else(
                || j.error.clone().unwrap_or_default(),
                |m| format!("waiting for mapping {m}"),
            );
            table.row(vec![
                j.id.to_string(),
                j.state.clone(),
                j.kind.clone(),
                j.order_name.clone().unwrap_or_else(|| j.key.clone()),
                j.attempts.to_string(),
                j.updated_at.format("%Y-%m-%d %H:%M").to_string(),
                why,
            ]);
        }
        let mut lines = table.lines();
        lines.push(format!(
            "{} job(s); `dlq replay ID` or `dlq replay --all` once the cause is fixed",
            self.jobs.len()
        ));
        lines
    }

    fn status(&self) -> Status {
        if self.jobs.is_empty() {
            Status::Ok
        } else {
            Status::Attention
        }
    }
}

/// `plan`.
#[derive(Debug, Clone, Serialize)]
pub struct PlanReport {
    /// Every write a run would make, by flow then key in natural order.
    pub writes: Vec<PlannedWrite>,
    /// Writes per flow and action (`{"catalog": {"create": 3}}`).
    pub totals: BTreeMap<String, BTreeMap<String, u64>>,
    /// All writes.
    pub total: u64,
}

impl PlanReport {
    /// Orders and totals the engine's plan.
    pub fn new(mut writes: Vec<PlannedWrite>) -> PlanReport {
        writes.sort_by(|a, b| {
            a.flow
                .cmp(&b.flow)
                .then_with(|| alphanumeric_sort::compare_str(&a.key, &b.key))
                .then_with(|| a.action.cmp(&b.action))
        });
        let mut totals: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
        for w in &writes {
            *totals
                .entry(w.flow.clone())
                .or_default()
                .entry(w.action.clone())
                .or_default() += 1;
        }
        PlanReport {
            total: writes.len() as u64,
            writes,
            totals,
        }
    }
}

impl Screen for PlanReport {
    fn lines(&self) -> Vec<String> {
        if self.writes.is_empty() {
            return vec!["nothing to do: every system is in step".to_owned()];
        }
        let mut table = Table::new(&["FLOW", "ACTION", "TARGET", "KEY"]);
        for w in &self.writes {
            table.row(vec![
                w.flow.clone(),
                w.action.clone(),
                w.target.clone(),
                w.key.clone(),
            ]);
        }
        let mut lines = table.lines();
        lines.push(String::new());
        for (flow, actions) in &self.totals {
            let mut line = format!("{flow:<13}");
            for (action, n) in actions {
                let _ = write!(line, " {n} {action}");
            }
            lines.push(line);
        }
        lines.push(format!(
            "{} write(s) in all; nothing was written",
            self.total
        ));
        lines
    }
}

/// `customers matches`: storefront customers created in Flow although a Flow customer had the
/// same phone or e-mail, for an operator to merge.
#[derive(Debug, Clone, Serialize)]
pub struct CustomerMatchesReport {
    /// One entry per such customer.
    pub matches: Vec<sync_core::connector::UnverifiedMatch>,
}

impl Screen for CustomerMatchesReport {
    fn lines(&self) -> Vec<String> {
        if self.matches.is_empty() {
            return vec![
                "no customer matched an existing Flow customer by phone or e-mail".to_owned(),
            ];
        }
        let mut table = Table::new(&["SHOPIFY CUSTOMER", "CREATED IN FLOW", "SAME AS (BY)"]);
        for m in &self.matches {
            let numbers: Vec<String> = m.matched.numbers.iter().map(ToString::to_string).collect();
            table.row(vec![
                m.storefront_id.to_string(),
                m.created.to_string(),
                format!("{} ({})", numbers.join(", "), m.matched.by),
            ]);
        }
        let mut lines = table.lines();
        lines.push(
            "each was booked to a new Flow customer; merge them in Flow if they are the same person"
                .to_owned(),
        );
        lines
    }

    fn status(&self) -> Status {
        if self.matches.is_empty() {
            Status::Ok
        } else {
            Status::Attention
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_by_characters_not_bytes() {
        let mut table = Table::new(&["NAME", ">QTY"]);
        table.row(vec!["قميص".to_owned(), "5".to_owned()]);
        table.row(vec!["shirt".to_owned(), "12".to_owned()]);
        let lines = table.lines();
        assert_eq!(lines[0], "NAME   QTY");
        assert_eq!(lines[1], "قميص     5");
        assert_eq!(lines[2], "shirt   12");
    }

    #[test]
    fn money_has_two_decimals() {
        assert_eq!(money(Decimal::new(5, 0)), "5.00");
        assert_eq!(money(Decimal::new(12345, 3)), "12.35");
    }

    #[test]
    fn plans_sort_keys_naturally_and_total_by_flow() {
        let write = |key: &str| PlannedWrite {
            flow: "orders".to_owned(),
            action: "create".to_owned(),
            target: "erp".to_owned(),
            key: key.to_owned(),
            job_kind: sync_core::engine::JobKind::ImportOrder,
            job_key: key.to_owned(),
        };
        let plan = PlanReport::new(vec![write("#10"), write("#2"), write("#1")]);
        let keys: Vec<&str> = plan.writes.iter().map(|w| w.key.as_str()).collect();
        assert_eq!(keys, ["#1", "#2", "#10"]);
        assert_eq!(plan.totals["orders"]["create"], 3);
        assert_eq!(plan.total, 3);
    }

    #[test]
    fn a_pass_with_new_dead_letters_needs_attention() {
        let mut report = PassReport {
            screen: "orders pull".to_owned(),
            replayed: None,
            unknown_codes: vec![],
            summary: Summary::default(),
        };
        assert_eq!(report.status(), Status::Ok);
        report.summary.dead_letters = 1;
        assert_eq!(report.status(), Status::Attention);
        assert!(report.lines().iter().any(|l| l.contains("dlq list")));
    }
}
