//! Reconciliation: the three-way daily report (Shopify orders, Flow documents, accepted ETA
//! receipts) by payment method with the differences highlighted, a 30-day chart in inline
//! SVG, and, on request, the stock drift (a dry run: nothing is corrected from here).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use chrono::{NaiveDate, Utc};
use maud::{Markup, PreEscaped, html};
use rust_decimal::Decimal;
use serde::Deserialize;
use sync_core::engine::{SalesReconciliation, StockReconciliation};

use super::Console;
use super::auth::Signed;
use super::layout::{self, text};
use crate::screens::{ReconcileReport, money};

/// Days in the chart.
const CHART_DAYS: i64 = 30;
/// How long a past day's figures are reused before they are read again.
const DAY_FRESH_FOR: Duration = Duration::from_secs(3600);

/// One day of the chart: the totals of the three sides and whether they agree.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct DayTotals {
    shopify: Decimal,
    flow: Decimal,
    eta: Decimal,
    balanced: bool,
}

/// Past days' totals, read once an hour at most, in the background.
#[derive(Default)]
pub(crate) struct DayCache {
    days: Mutex<BTreeMap<NaiveDate, (Instant, DayTotals)>>,
    filling: AtomicBool,
}

pub(crate) fn totals(sales: &SalesReconciliation) -> DayTotals {
    let mut t = DayTotals {
        balanced: sales.mismatches.is_empty(),
        ..DayTotals::default()
    };
    for s in sales.by_gateway.values() {
        t.shopify += s.storefront;
        t.flow += s.erp;
        t.eta += s.receipts;
        t.balanced &= s.storefront == s.erp && s.erp == s.receipts;
    }
    t
}

/// `?day=YYYY-MM-DD&stock=1`.
#[derive(Deserialize)]
pub(crate) struct ReconcileQuery {
    day: Option<String>,
    stock: Option<String>,
}

/// The chart's days: today's figures, and the past days from the cache. Days not read yet
/// (or read over an hour ago) are read in the background, one at a time, so the page never
/// waits for thirty comparisons; they show grey until then.
fn days(
    console: &Console,
    today: NaiveDate,
    today_totals: DayTotals,
) -> Vec<(NaiveDate, Option<DayTotals>)> {
    let mut out = Vec::new();
    let mut missing = Vec::new();
    for back in (0..CHART_DAYS).rev() {
        let day = today - chrono::Duration::days(back);
        if back == 0 {
            out.push((day, Some(today_totals)));
            continue;
        }
        let cached = console.days.days.lock().ok().and_then(|c| {
            c.get(&day)
                .map(|(at, t)| (at.elapsed() < DAY_FRESH_FOR, *t))
        });
        if !cached.is_some_and(|(fresh, _)| fresh) {
            missing.push(day);
        }
        out.push((day, cached.map(|(_, t)| t)));
    }
    if !missing.is_empty() && !console.days.filling.swap(true, Ordering::AcqRel) {
        let (engine, cache) = (console.engine.clone(), console.days.clone());
        tokio::spawn(async move {
            for day in missing {
                match engine.reconcile_sales(day).await {
                    Ok(sales) => {
                        if let Ok(mut c) = cache.days.lock() {
                            c.insert(day, (Instant::now(), totals(&sales)));
                        }
                    }
                    Err(error) => {
                        tracing::warn!(%error, %day, "the chart's day could not be read");
                        break;
                    }
                }
            }
            cache.filling.store(false, Ordering::Release);
        });
    }
    out
}

/// The 30-day chart: the Shopify total per day as a bar, red where the three sides differ,
/// grey where the day could not be read.
fn chart(days: &[(NaiveDate, Option<DayTotals>)]) -> Markup {
    let max = days
        .iter()
        .filter_map(|(_, t)| t.map(|t| t.shopify.max(t.flow).max(t.eta)))
        .max()
        .unwrap_or_default()
        .max(Decimal::ONE);
    let (w, h, bar) = (600.0_f64, 160.0_f64, 600.0_f64 / CHART_DAYS as f64);
    let mut svg = format!(
        r#"<svg viewBox="0 0 {w} {}" width="100%" role="img" aria-label="Shopify sales per day, last 30 days; red bars are days out of balance" xmlns="http://www.w3.org/2000/svg">"#,
        h + 20.0
    );
    for (i, (day, t)) in days.iter().enumerate() {
        let x = i as f64 * bar;
        let (height, fill, title) = match t {
            Some(t) => {
                let ratio = (t.shopify / max).to_string().parse::<f64>().unwrap_or(0.0);
                let fill = if t.balanced { "#1c6b34" } else { "#a3122a" };
                (
                    (ratio * h).max(1.0),
                    fill,
                    format!(
                        "{day}: Shopify {} · Flow {} · ETA {}{}",
                        money(t.shopify),
                        money(t.flow),
                        money(t.eta),
                        if t.balanced { "" } else { " · out of balance" }
                    ),
                )
            }
            None => (h, "#d8dde3", format!("{day}: not read yet")),
        };
        svg.push_str(&format!(
            r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{fill}"><title>{}</title></rect>"#,
            x + 1.0,
            h - height,
            bar - 2.0,
            height,
            maud::html! { (title) }.into_string()
        ));
    }
    if let (Some((first, _)), Some((last, _))) = (days.first(), days.last()) {
        svg.push_str(&format!(
            r##"<text x="0" y="{}" font-size="11" fill="#5b6570">{first}</text><text x="{w}" y="{}" font-size="11" fill="#5b6570" text-anchor="end">{last}</text>"##,
            h + 15.0,
            h + 15.0
        ));
    }
    svg.push_str("</svg>");
    html! { figure { (PreEscaped(svg)) figcaption.mute { "Shopify sales per day; red: out of balance, grey: not read yet (the past days are read in the background: reload in a minute). Hover a bar for its figures." } } }
}

/// `GET /console/reconciliation`.
pub(crate) async fn page(
    State(console): State<Console>,
    signed: Signed,
    Query(query): Query<ReconcileQuery>,
) -> Markup {
    let today = Utc::now().date_naive();
    let day = match query.day.as_deref().filter(|d| !d.is_empty()) {
        None => Ok(today),
        Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|_| format!("day: expected YYYY-MM-DD, got {text:?}")),
    };
    let body = match day {
        Err(why) => html! { p.bad { (why) } },
        Ok(day) => match console.engine.reconcile_sales(day).await {
            Err(e) => layout::problem("the sales could not be compared", &e),
            Ok(sales) => {
                let stock = if query.stock.is_some() {
                    Some(console.engine.reconcile_stock(true).await)
                } else {
                    None
                };
                let empty = StockReconciliation::default();
                let stock_ok = match &stock {
                    Some(Ok(s)) => s,
                    _ => &empty,
                };
                let report = ReconcileReport::new(stock_ok, &sales, day, true, &console.locations);
                let today_totals = if day == today {
                    totals(&sales)
                } else {
                    match console.engine.reconcile_sales(today).await {
                        Ok(s) => totals(&s),
                        Err(_) => DayTotals::default(),
                    }
                };
                let chart_days = days(&console, today, today_totals);
                body(
                    &report,
                    &chart_days,
                    stock
                        .as_ref()
                        .map(|s| s.as_ref().map(|_| ()).map_err(|e| e.to_string())),
                )
            }
        },
    };
    layout::page("Reconciliation", "/console/reconciliation", &signed, body)
}

fn body(
    report: &ReconcileReport,
    days: &[(NaiveDate, Option<DayTotals>)],
    stock: Option<Result<(), String>>,
) -> Markup {
    html! {
        form method="get" action="/console/reconciliation" {
            label { "Day " input type="date" name="day" value=(report.day); }
            button type="submit" { "Compare" }
        }
        h2 { "Sales of " (report.day) " by payment method "
            @if report.sales.iter().all(|r| r.balanced) && report.mismatches.is_empty() { span.pill.ok { "in balance" } } @else { span.pill.bad { "out of balance" } } }
        div.scroll { table {
            tr { th { "Payment method" } th.n { "Orders" } th.n { "Shopify" } th.n { "Flow" } th.n { "ETA (accepted)" } th.n { "Difference" } }
            @for r in &report.sales {
                tr class=[(!r.balanced).then_some("diff")] {
                    td { (text(&r.gateway)) }
                    td.n { (r.orders) }
                    td.n { (money(r.shopify)) }
                    td.n { (money(r.flow)) }
                    td.n { (money(r.eta)) }
                    td.n { @if r.balanced { "—" } @else { b.bad { (money(r.shopify - r.flow.min(r.eta))) } } }
                }
            }
            @if report.sales.is_empty() { tr { td colspan="6" { span.mute { "No sales that day." } } } }
        } }
        @if !report.mismatches.is_empty() {
            h2 { "Orders that differ" }
            div.scroll { table {
                tr { th { "Order" } th { "What differs" } }
                @for m in &report.mismatches {
                    tr.diff { td { a href=(format!("/console/orders/story?id={}", url::form_urlencoded::byte_serialize(m.order_id.as_bytes()).collect::<String>())) { (text(&m.order_name)) } } td dir="auto" { (m.problem) } }
                }
            } }
        }
        h2 { "Last 30 days" }
        (chart(days))
        h2 { "Stock drift" }
        @match &stock {
            None => { p { a href=(format!("/console/reconciliation?day={}&stock=1", report.day)) { "Compare every stock level now" } " (reads both sides; corrects nothing)" } }
            Some(Err(e)) => { p.bad { "The stock could not be compared: " (e) } }
            Some(Ok(())) if report.stock_drift.is_empty() => { p.ok { (report.stock_compared) " levels compared; none differs." } }
            Some(Ok(())) => {
                p { (report.stock_compared) " levels compared; " (report.stock_drift.len()) " differ. `reconcile` on the command line (or the next stock pass) corrects them." }
                div.scroll { table {
                    tr { th { "SKU" } th { "Location" } th.n { "Flow" } th.n { "Shopify" } th.n { "Drift" } }
                    @for d in &report.stock_drift {
                        tr.diff { td { (d.sku) } td { (text(&d.location)) } td.n { (d.flow) } td.n { (d.shopify) } td.n { (d.shopify - d.flow) } }
                    }
                } }
            }
        }
    }
}
