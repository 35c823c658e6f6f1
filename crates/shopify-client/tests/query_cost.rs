//! The requested cost of every operation this crate sends, measured by the sandbox's Shopify
//! stand-in (which computes it before running a query, by Shopify's documented rules:
//! objects 1, connections `2 + first × node`, mutations 10) with the variables the client
//! sends at their largest, and pinned low.
//!
//! Shopify admits or throttles a query on its **requested** cost, the worst case of its
//! `first:` arguments, and refunds the difference to the actual cost afterwards: a query
//! asking for 80 lines of an order with three waits for points it never spends. Page sizes are
//! therefore chosen for the usual shape of the data, with follow-up pages for the rare large
//! record. A new or changed operation must be added here with its budget.

use serde_json::{Value, json};
use shopify_client::adapter::StorefrontConfig;
use shopify_client::ops::bulk_customers::bulk_customers_query;
use shopify_client::ops::bulk_orders::bulk_orders_query;
use shopify_client::ops::inventory::{LEVELS_PER_ITEM, MAX_LEVELS_PER_ITEM};
use shopify_client::ops::orders::{LINES_PER_REQUEST, OrderPull, REFUND_SHIPPING_IDS};
use shopify_client::queries;

const ORDER: &str = "gid://shopify/Order/1";

/// `(operation, query text, variables at their largest, budget)`.
fn operations() -> Vec<(&'static str, &'static str, Value, u64)> {
    let pull = OrderPull::default();
    let changes = StorefrontConfig::default().changes_page_size;
    let ids: Vec<String> = (0..250)
        .map(|i| format!("gid://shopify/InventoryItem/{i}"))
        .collect();
    macro_rules! op {
        ($m:ident, $vars:expr, $budget:expr) => {
            (
                queries::$m::OPERATION_NAME,
                queries::$m::QUERY,
                $vars,
                $budget,
            )
        };
    }
    vec![
        op!(shop_info, json!({}), 10),
        op!(access_scopes, json!({}), 10),
        op!(locations, json!({"first": 50}), 110),
        // The order pull: a page of whole orders, and one order by id, each with the first
        // page of lines; the rest of a long order by cursor.
        op!(
            orders,
            json!({"first": pull.page_size, "lines": pull.lines}),
            700
        ),
        op!(order, json!({"id": ORDER, "lines": pull.lines}), 230),
        op!(
            order_lines,
            json!({"id": ORDER, "first": LINES_PER_REQUEST}),
            460
        ),
        op!(order_changes, json!({"first": changes}), 260),
        // The backfill's choice between paging and a bulk query.
        op!(
            orders_count,
            json!({"query": "updated_at:>='2026-01-01T00:00:00Z'"}),
            10
        ),
        op!(
            customers_count,
            json!({"query": "updated_at:>='2026-01-01T00:00:00Z'"}),
            10
        ),
        op!(order_fulfillment_orders, json!({"id": ORDER}), 820),
        op!(refund, json!({"id": "gid://shopify/Refund/1"}), 520),
        // The refunded shipping of a bulk-read order's refunds, all of them in one request.
        op!(
            refund_shipping,
            json!({"ids": (0..REFUND_SHIPPING_IDS)
                .map(|i| format!("gid://shopify/Refund/{i}"))
                .collect::<Vec<_>>()}),
            30
        ),
        // Read only for an order with returns: 10 returns of 20 exchange items each.
        op!(
            order_returns,
            json!({"id": ORDER, "first": 10, "exchangeLines": 20}),
            500
        ),
        op!(customers, json!({"first": 100}), 510),
        op!(customer_changes, json!({"first": changes}), 260),
        op!(customer, json!({"id": "gid://shopify/Customer/1"}), 10),
        op!(
            inventory_levels,
            json!({"ids": ids, "names": ["available"], "levels": LEVELS_PER_ITEM}),
            50
        ),
        op!(
            inventory_levels,
            json!({"ids": ids, "names": ["available"], "levels": MAX_LEVELS_PER_ITEM}),
            760
        ),
        op!(
            variants_by_sku,
            json!({"first": 250, "query": "sku:a"}),
            760
        ),
        op!(
            product_operation,
            json!({"id": "gid://shopify/ProductSetOperation/1"}),
            510
        ),
        op!(product_media, json!({"id": "gid://shopify/Product/1"}), 710),
        op!(
            product_image_alts,
            json!({"id": "gid://shopify/Product/1"}),
            260
        ),
        op!(webhook_subscriptions, json!({"first": 100}), 110),
        op!(
            bulk_operation,
            json!({"id": "gid://shopify/BulkOperation/1"}),
            10
        ),
        // Mutations: 10 points per root field, whatever they select.
        op!(product_set, json!({}), 10),
        op!(product_update_status, json!({}), 10),
        op!(product_attach_media, json!({}), 10),
        op!(staged_uploads_create, json!({}), 10),
        op!(variants_bulk_update, json!({}), 10),
        op!(file_delete, json!({}), 10),
        op!(price_list_fixed_prices_add, json!({}), 10),
        op!(discount_automatic_basic_create, json!({}), 10),
        op!(discount_automatic_basic_update, json!({}), 10),
        op!(inventory_set_quantities, json!({}), 10),
        op!(inventory_activate, json!({}), 10),
        op!(fulfillment_create, json!({}), 10),
        op!(webhook_subscription_create, json!({}), 10),
        op!(webhook_subscription_delete, json!({}), 10),
        // The backfill's bulk query of orders with their refunds: a mutation's 10 points,
        // whatever the query it runs.
        op!(
            bulk_operation_run_query,
            json!({
                "query": bulk_orders_query(None, ("custom", "eta_buyer_id")),
                "groupObjects": true
            }),
            10
        ),
        // The customers' bulk query: the same 10 points.
        (
            queries::bulk_operation_run_query::OPERATION_NAME,
            queries::bulk_operation_run_query::QUERY,
            json!({
                "query": bulk_customers_query(Some("updated_at:>='2026-01-01T00:00:00Z'")),
                "groupObjects": false
            }),
            10,
        ),
        op!(bulk_operation_run_mutation, json!({}), 10),
    ]
}

#[test]
fn every_operation_requests_at_most_its_budget() {
    let shop = sandbox::shopify::ShopifyState::new(sandbox::ShopifyConfig::default());
    let mut over = Vec::new();
    for (name, query, vars, budget) in operations() {
        let cost = shop
            .requested_cost(query, Some(name), &vars)
            .unwrap_or_else(|| panic!("{name}: the stand-in cannot cost it"));
        println!("{name:<32} {cost:>5} (budget {budget})");
        assert!(cost > 0, "{name}: a cost of 0 means it was not costed");
        if cost > budget {
            over.push(format!("{name} requests {cost}, budget {budget}"));
        }
    }
    assert!(over.is_empty(), "over budget: {over:#?}");
}

#[test]
fn every_graphql_document_of_the_crate_is_costed_here() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("graphql");
    let costed: Vec<&str> = operations().iter().map(|(n, ..)| *n).collect();
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        for line in text.lines() {
            let Some(rest) = line
                .strip_prefix("query ")
                .or_else(|| line.strip_prefix("mutation "))
            else {
                continue;
            };
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !costed.contains(&name.as_str()) {
                missing.push(name);
            }
        }
    }
    assert!(
        missing.is_empty(),
        "operations without a cost budget: {missing:?}"
    );
}
