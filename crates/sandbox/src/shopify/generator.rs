//! The seeded order generator, and the refunds and cancellations asked for after the fact:
//! each changes orders and fires its webhooks.

use std::sync::Arc;

use chrono::Duration;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::orders::{allocate, refund, refunded_quantities, round2, vat_of};
use super::returns::{ExchangeLineSpec, NewReturn, ReturnLineSpec};
use super::store::*;
use super::webhooks::Event;
use super::{ShopifyState, lock, webhooks};

/// One thing the generator may sell: a SKU, its title and its tax-inclusive unit price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogEntry {
    /// The SKU; lines refer to the stand-in's variant with this SKU when there is one. Empty
    /// makes a custom line without SKU (`sku: null`), as a merchant's hand-made line item.
    pub sku: String,
    /// The line title used when no variant has the SKU.
    pub title: String,
    /// Unit price, VAT included, in the shop currency.
    pub price: Decimal,
}

const FIRST: &[&str] = &[
    "Ahmed",
    "Mona",
    "Omar",
    "Nour",
    "Karim",
    "Salma",
    "Youssef",
    "Laila",
    "محمد",
    "فاطمة",
    "Hassan",
    "Mariam",
];

const LAST: &[&str] = &[
    "Hassan",
    "El-Sayed",
    "Mostafa",
    "Ibrahim",
    "Fahmy",
    "Nasser",
    "عبد الله",
    "Khalil",
    "Saleh",
    "Farouk",
];

const CITIES: &[(&str, &str, &str)] = &[
    ("Cairo", "Cairo", "11511"),
    ("Giza", "Giza", "12511"),
    ("Alexandria", "Alexandria", "21500"),
    ("Mansoura", "Dakahlia", "35511"),
    ("Tanta", "Gharbia", "31511"),
];

const GATEWAYS: &[&str] = &[
    "shopify_payments",
    "Cash on Delivery (COD)",
    "paymob",
    "valu",
    "manual",
];

fn address(st: &mut Store, rng: &mut StdRng, first: &str, last: &str) -> AddressRec {
    let (city, province, zip) = *CITIES.choose(rng).unwrap_or(&CITIES[0]);
    AddressRec {
        id: st.next_id(),
        first_name: first.to_string(),
        last_name: last.to_string(),
        address1: format!(
            "{} {} St.",
            rng.random_range(1..200),
            ["Tahrir", "Nile", "Corniche", "Salah Salem", "26th of July"][rng.random_range(0..5)]
        ),
        city: city.to_string(),
        province: province.to_string(),
        country: "Egypt".to_string(),
        country_code: "EG".to_string(),
        zip: zip.to_string(),
        phone: Some(format!("+2010{:08}", rng.random_range(0..100_000_000u32))),
    }
}

/// See [`ShopifyState::refund_order`].
pub(crate) fn refund_order(
    state: &Arc<ShopifyState>,
    order_id: &str,
    lines: &[(String, i64)],
    with_shipping: bool,
) -> Result<String, String> {
    let mut parsed = Vec::new();
    for (l, q) in lines {
        parsed.push((
            parse_gid("LineItem", l).ok_or_else(|| format!("`{l}` is not a LineItem GID"))?,
            *q,
        ));
    }
    refund_with(state, order_id, |st, order| {
        let location = st.locations.keys().next().copied();
        refund(
            st,
            order,
            &parsed,
            with_shipping,
            false,
            location,
            state.config.vat_rate,
            now(),
            "Refund",
        )
    })
}

/// See [`ShopifyState::refund_amount`].
pub(crate) fn refund_amount(
    state: &Arc<ShopifyState>,
    order_id: &str,
    amount: Decimal,
) -> Result<String, String> {
    if amount <= Decimal::ZERO || amount.normalize().scale() > 2 {
        return Err(format!(
            "amount {amount} must be greater than 0 with at most 2 decimals"
        ));
    }
    refund_with(state, order_id, |st, order| {
        let room: Decimal = super::orders::refundable_by_gateway(order)
            .iter()
            .map(|(_, r)| *r)
            .sum();
        if amount > room {
            return Err(format!(
                "amount {amount} exceeds the {room} order {} can still refund",
                order.name
            ));
        }
        let at = now();
        let txs = super::orders::refund_transactions(st, order, amount, at);
        Ok(super::orders::record_refund(
            st,
            order,
            Vec::new(),
            None,
            txs,
            at,
            "Goodwill",
        ))
    })
}

/// Records the refund `make` makes of the (not cancelled) order `order_id`, then fires
/// `refunds/create` and `orders/updated`; answers the refund's id.
fn refund_with(
    state: &Arc<ShopifyState>,
    order_id: &str,
    make: impl FnOnce(&mut Store, &mut OrderRec) -> Result<RefundRec, String>,
) -> Result<String, String> {
    let oid =
        parse_gid("Order", order_id).ok_or_else(|| format!("`{order_id}` is not an Order GID"))?;
    let (id, events) = {
        let mut st = lock(&state.store);
        let mut order = st
            .orders
            .get(&oid)
            .cloned()
            .ok_or_else(|| format!("order {order_id} does not exist"))?;
        if order.cancelled_at.is_some() {
            return Err(format!("order {} is cancelled", order.name));
        }
        let rec = make(&mut st, &mut order)?;
        st.orders.insert(oid, order.clone());
        let payload = webhooks::order_payload(&st, &order);
        (
            gid("Refund", rec.id),
            vec![
                ("REFUNDS_CREATE", webhooks::refund_payload(&rec)),
                ("ORDERS_UPDATED", payload),
            ],
        )
    };
    for (topic, payload) in events {
        webhooks::emit(state, topic, payload);
    }
    Ok(id)
}

/// See [`ShopifyState::cancel_order`].
pub(crate) fn cancel_order(state: &Arc<ShopifyState>, order_id: &str) -> Result<(), String> {
    let oid =
        parse_gid("Order", order_id).ok_or_else(|| format!("`{order_id}` is not an Order GID"))?;
    let events = {
        let mut st = lock(&state.store);
        let mut order = st
            .orders
            .get(&oid)
            .cloned()
            .ok_or_else(|| format!("order {order_id} does not exist"))?;
        if order.cancelled_at.is_some() {
            return Err(format!("order {} is already cancelled", order.name));
        }
        if order.lines.iter().any(|l| l.fulfilled_quantity > 0) {
            return Err(format!(
                "order {} has fulfilled items and can't be cancelled",
                order.name
            ));
        }
        let done = refunded_quantities(&st, &order);
        let rest: Vec<(u64, i64)> = order
            .lines
            .iter()
            .map(|l| {
                (
                    l.id,
                    l.quantity
                        - done
                            .iter()
                            .find(|(id, _)| *id == l.id)
                            .map_or(0, |(_, q)| *q),
                )
            })
            .filter(|(_, q)| *q > 0)
            .collect();
        let location = st.locations.keys().next().copied();
        let now = now();
        let mut events = Vec::new();
        if let Ok(rec) = refund(
            &mut st,
            &mut order,
            &rest,
            true,
            true,
            location,
            state.config.vat_rate,
            now,
            "Order cancelled",
        ) {
            events.push(("REFUNDS_CREATE", webhooks::refund_payload(&rec)));
        }
        order.cancelled_at = Some(now);
        order.cancel_reason = Some("CUSTOMER");
        order.updated_at = now;
        st.orders.insert(oid, order.clone());
        let payload = webhooks::order_payload(&st, &order);
        events.push(("ORDERS_CANCELLED", payload.clone()));
        events.push(("ORDERS_UPDATED", payload));
        events
    };
    for (topic, payload) in events {
        webhooks::emit(state, topic, payload);
    }
    Ok(())
}

/// See [`ShopifyState::generate_orders`].
pub(crate) fn generate(
    state: &Arc<ShopifyState>,
    n: usize,
    catalog: &[CatalogEntry],
    refund_rate: f64,
    cancel_rate: f64,
    seed: u64,
) -> Vec<String> {
    if catalog.is_empty() || n == 0 {
        return Vec::new();
    }
    let rate = state.config.vat_rate;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut events: Vec<Event> = Vec::new();
    let mut ids = Vec::new();
    {
        let mut st = lock(&state.store);
        let now = now();
        let start = now - Duration::minutes(7 * n as i64 + 60);
        let location = st.locations.keys().next().copied();
        // Customers: a pool a third the size of the orders, so that some come back.
        let mut pool = Vec::new();
        for i in 0..(n / 3 + 1) {
            let first = FIRST.choose(&mut rng).unwrap_or(&"Ahmed").to_string();
            let last = LAST.choose(&mut rng).unwrap_or(&"Hassan").to_string();
            let id = st.next_id();
            let addr = address(&mut st, &mut rng, &first, &last);
            let created = start - Duration::days(rng.random_range(1..90));
            let email = format!("customer{id}.{i}@example.com");
            let rec = CustomerRec {
                id,
                first_name: first,
                last_name: last,
                email: Some(email),
                phone: addr.phone.clone(),
                address: Some(addr),
                tags: if rng.random_bool(0.2) {
                    vec!["vip".to_string()]
                } else {
                    Vec::new()
                },
                note: None,
                tax_id: None,
                metafields: Vec::new(),
                created_at: created,
                updated_at: created,
            };
            events.push(("CUSTOMERS_CREATE", webhooks::customer_payload(&rec)));
            st.customers.insert(id, rec);
            pool.push(id);
        }
        for i in 0..n {
            let created = start + Duration::minutes(7 * i as i64 + rng.random_range(0..5));
            let oid = st.next_id();
            let number = st.next_order_number;
            st.next_order_number += 1;
            // Lines.
            let count =
                rng.random_range(1..=catalog.len().min(state.config.max_lines_per_order.max(1)));
            let picks: Vec<&CatalogEntry> = catalog.choose_multiple(&mut rng, count).collect();
            let mut lines = Vec::new();
            for entry in picks {
                let variant = st.variant_by_sku(&entry.sku).cloned();
                let (title, variant_title, variant_id, product_id) = match &variant {
                    Some(v) => {
                        let p = st.products.get(&v.product_id);
                        let vt = v.title();
                        (
                            p.map_or_else(|| entry.title.clone(), |p| p.title.clone()),
                            (vt != "Default Title").then_some(vt),
                            Some(v.id),
                            Some(v.product_id),
                        )
                    }
                    None => (entry.title.clone(), None, None, None),
                };
                // Lines of a variant whose item needs no shipping, and a share of the others
                // (drawn only when asked for, so that the default keeps the seeded orders).
                let ships = variant
                    .as_ref()
                    .and_then(|v| st.items.get(&v.inventory_item_id))
                    .is_none_or(|i| i.requires_shipping);
                let digital_rate = state.config.digital_line_rate.clamp(0.0, 1.0);
                let digital = digital_rate > 0.0 && rng.random_bool(digital_rate);
                lines.push(LineRec {
                    id: st.next_id(),
                    title,
                    variant_title,
                    sku: (!entry.sku.is_empty()).then(|| entry.sku.clone()),
                    variant_id,
                    product_id,
                    quantity: rng.random_range(1..=3),
                    unit_price: entry.price,
                    allocations: Vec::new(),
                    tax_lines: Vec::new(),
                    fulfilled_quantity: 0,
                    requires_shipping: ships && !digital,
                });
            }
            // Order discounts.
            let mut apps = Vec::new();
            let gross: Vec<Decimal> = lines
                .iter()
                .map(|l| l.unit_price * Decimal::from(l.quantity))
                .collect();
            let gross_total: Decimal = gross.iter().copied().sum();
            let roll: f64 = rng.random();
            let discount = if roll < 0.25 {
                apps.push(DiscountAppRec {
                    title: "Seasonal sale 10%".into(),
                    code: None,
                    percentage: Some(10.0),
                    amount: None,
                    target_shipping: false,
                });
                Some(round2(gross_total * Decimal::new(10, 2)))
            } else if roll < 0.35 && gross_total > Decimal::new(200, 0) {
                apps.push(DiscountAppRec {
                    title: "WELCOME50".into(),
                    code: Some("WELCOME50".into()),
                    percentage: None,
                    amount: Some(Decimal::new(50, 0)),
                    target_shipping: false,
                });
                Some(Decimal::new(50, 0))
            } else {
                None
            };
            if let Some(total) = discount {
                for (l, share) in lines.iter_mut().zip(allocate(total, &gross)) {
                    l.allocations.push(AllocationRec {
                        application_index: 0,
                        amount: share,
                    });
                }
            }
            for l in &mut lines {
                let net = l.unit_price * Decimal::from(l.quantity) - l.discount_total();
                l.tax_lines.push(TaxRec {
                    title: "VAT".into(),
                    rate,
                    amount: vat_of(net, rate),
                });
            }
            // Shipping.
            let roll: f64 = rng.random();
            let mut shipping = Vec::new();
            if roll < 0.85 {
                let (title, code, price) = if roll < 0.7 {
                    ("Standard Shipping", "standard", Decimal::new(50, 0))
                } else {
                    ("Express Shipping", "express", Decimal::new(9500, 2))
                };
                shipping.push(ShippingRec {
                    id: st.next_id(),
                    title: title.into(),
                    code: code.into(),
                    price,
                    tax_lines: vec![TaxRec {
                        title: "VAT".into(),
                        rate,
                        amount: vat_of(price, rate),
                    }],
                });
            }
            let total: Decimal = lines
                .iter()
                .map(|l| l.unit_price * Decimal::from(l.quantity) - l.discount_total())
                .sum::<Decimal>()
                + shipping.iter().map(|s| s.price).sum::<Decimal>();
            // Customer.
            let customer = if rng.random_bool(0.85) {
                pool.choose(&mut rng).copied()
            } else {
                None
            };
            let (email, phone, addr) = match customer.and_then(|c| st.customers.get(&c)) {
                Some(c) => (c.email.clone(), c.phone.clone(), c.address.clone()),
                None => {
                    let first = FIRST.choose(&mut rng).unwrap_or(&"Guest").to_string();
                    let last = LAST.choose(&mut rng).unwrap_or(&"Buyer").to_string();
                    let a = address(&mut st, &mut rng, &first, &last);
                    (
                        Some(format!("guest{oid}@example.com")),
                        a.phone.clone(),
                        Some(a),
                    )
                }
            };
            // Payment.
            let gateway = GATEWAYS.choose(&mut rng).unwrap_or(&"manual").to_string();
            let mut transactions = Vec::new();
            if rng.random_bool(0.1) && total > Decimal::new(100, 0) {
                let card = Decimal::new(100, 0);
                transactions.push(TransactionRec {
                    id: st.next_id(),
                    kind: "SALE",
                    status: "SUCCESS",
                    gateway: "gift_card".into(),
                    amount: card,
                    created_at: created,
                });
                transactions.push(TransactionRec {
                    id: st.next_id(),
                    kind: "SALE",
                    status: "SUCCESS",
                    gateway: gateway.clone(),
                    amount: total - card,
                    created_at: created,
                });
            } else {
                transactions.push(TransactionRec {
                    id: st.next_id(),
                    kind: "SALE",
                    status: "SUCCESS",
                    gateway: gateway.clone(),
                    amount: total,
                    created_at: created,
                });
            }
            let pos = rng.random_bool(0.2);
            let fo = st.next_id();
            let mut order = OrderRec {
                id: oid,
                number,
                name: format!("#{number}"),
                email,
                phone,
                customer_id: customer,
                currency: state.currency.as_str().to_string(),
                lines,
                discount_apps: apps,
                shipping,
                billing_address: addr.clone(),
                shipping_address: addr,
                transactions,
                refund_ids: Vec::new(),
                fulfillments: Vec::new(),
                fulfillment_order_id: fo,
                location_id: location,
                cancelled_at: None,
                cancel_reason: None,
                note: None,
                tags: Vec::new(),
                custom_attributes: Vec::new(),
                company: None,
                source_name: if pos { "pos".into() } else { "web".into() },
                created_at: created,
                processed_at: created,
                updated_at: created,
            };
            let cancel = rng.random_bool(cancel_rate.clamp(0.0, 1.0));
            let do_refund = !cancel && rng.random_bool(refund_rate.clamp(0.0, 1.0));
            if !cancel && rng.random_bool(0.4) {
                let fid = st.next_id();
                let at = (created + Duration::minutes(rng.random_range(5..60))).min(now);
                let fl: Vec<(u64, i64)> = order.lines.iter().map(|l| (l.id, l.quantity)).collect();
                for l in &mut order.lines {
                    l.fulfilled_quantity = l.quantity;
                }
                order.fulfillments.push(FulfillmentRec {
                    id: fid,
                    name: format!("{}-F1", order.name),
                    location_id: location,
                    lines: fl,
                    tracking_company: Some("Aramex".into()),
                    tracking_numbers: vec![format!(
                        "ARX{:09}",
                        rng.random_range(0..1_000_000_000u32)
                    )],
                    tracking_urls: Vec::new(),
                    created_at: at,
                });
                order.updated_at = at;
            }
            let mut after: Vec<Event> = Vec::new();
            if cancel || do_refund {
                let at = (created + Duration::minutes(rng.random_range(30..600))).min(now);
                let chosen: Vec<(u64, i64)> = if cancel {
                    order.lines.iter().map(|l| (l.id, l.quantity)).collect()
                } else {
                    let l = &order.lines[rng.random_range(0..order.lines.len())];
                    vec![(l.id, rng.random_range(1..=l.quantity))]
                };
                let with_shipping = !order.shipping.is_empty() && (cancel || rng.random_bool(0.3));
                let note = if cancel {
                    "Order cancelled"
                } else {
                    "Customer return"
                };
                // The generator's own choices are always refundable.
                if let Ok(rec) = refund(
                    &mut st,
                    &mut order,
                    &chosen,
                    with_shipping,
                    cancel,
                    location,
                    rate,
                    at,
                    note,
                ) {
                    after.push(("REFUNDS_CREATE", webhooks::refund_payload(&rec)));
                }
                if cancel {
                    order.cancelled_at = Some(at);
                    order.cancel_reason = Some(
                        *["CUSTOMER", "INVENTORY", "DECLINED", "OTHER"]
                            .choose(&mut rng)
                            .unwrap_or(&"CUSTOMER"),
                    );
                }
            }
            if let Some(c) = customer.and_then(|c| st.customers.get_mut(&c)) {
                c.updated_at = c.updated_at.max(created);
            }
            st.orders.insert(oid, order.clone());
            let payload: Value = webhooks::order_payload(&st, &order);
            events.push(("ORDERS_CREATE", payload.clone()));
            events.push(("ORDERS_PAID", payload.clone()));
            if !order.fulfillments.is_empty() {
                events.push(("ORDERS_FULFILLED", payload.clone()));
            }
            events.extend(after);
            if order.cancelled_at.is_some() {
                events.push(("ORDERS_CANCELLED", payload.clone()));
            }
            if order.updated_at != order.created_at {
                events.push(("ORDERS_UPDATED", payload));
            }
            if let Some(c) = customer.and_then(|c| st.customers.get(&c)) {
                events.push(("CUSTOMERS_UPDATE", webhooks::customer_payload(c)));
            }
            ids.push(gid("Order", oid));
        }
    }
    for (topic, payload) in events {
        webhooks::emit(state, topic, payload);
    }
    exchange_some(state, &ids, seed);
    ids
}

/// Gives [`ShopifyConfig::exchange_rate`](super::ShopifyConfig::exchange_rate) of the
/// `orders` an exchange processed at a point of sale: one unit of the first line back, one
/// unit of another variant of the shop given. Orders that cannot be exchanged are passed over.
fn exchange_some(state: &Arc<ShopifyState>, orders: &[String], seed: u64) {
    let rate = state.config.exchange_rate.clamp(0.0, 1.0);
    if rate <= 0.0 {
        return;
    }
    let mut rng = StdRng::seed_from_u64(seed ^ 0x6578_6368_616e_6765);
    for id in orders {
        if !rng.random_bool(rate) {
            continue;
        }
        let spec = {
            let st = lock(&state.store);
            let Some(order) = parse_gid("Order", id).and_then(|oid| st.orders.get(&oid)) else {
                continue;
            };
            let Some(line) = order.lines.first() else {
                continue;
            };
            let exchangeable = order.cancelled_at.is_none()
                && order.refund_ids.is_empty()
                && line.variant_id.is_some()
                && line.fulfilled_quantity > 0;
            let given = st
                .variants
                .values()
                .filter(|v| Some(v.id) != line.variant_id && v.sku.is_some())
                .min_by_key(|v| v.id)
                .and_then(|v| v.sku.clone());
            match (exchangeable, given) {
                (true, Some(sku)) => NewReturn {
                    order_id: id.clone(),
                    source: Some("pos".into()),
                    lines: vec![ReturnLineSpec {
                        line_item_id: gid("LineItem", line.id),
                        quantity: 1,
                        reason: Some("SIZE_TOO_SMALL".into()),
                        note: None,
                        customer_note: None,
                    }],
                    exchange: vec![ExchangeLineSpec {
                        sku: Some(sku),
                        variant_id: None,
                        quantity: 1,
                    }],
                    fulfill: false,
                    process: true,
                },
                _ => continue,
            }
        };
        // A return the stand-in refuses (none expected: the checks above are its rules) is
        // left out; the order stays as generated.
        let _ = super::returns::create(state, &spec);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shopify::ShopifyConfig;

    fn catalog() -> Vec<CatalogEntry> {
        (1..=6)
            .map(|i| CatalogEntry {
                sku: format!("SKU-{i}"),
                title: format!("Item {i}"),
                price: Decimal::new(9950 + i * 1000, 2),
            })
            .collect()
    }

    #[test]
    fn same_seed_same_orders_with_variety_and_consistent_amounts() {
        let a = ShopifyState::new(ShopifyConfig::default());
        let b = ShopifyState::new(ShopifyConfig::default());
        a.generate_orders(60, &catalog(), 0.3, 0.1, 42);
        b.generate_orders(60, &catalog(), 0.3, 0.1, 42);
        let strip = |v: Value| {
            v["orders"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| {
                    (
                        o["name"].clone(),
                        o["total"].clone(),
                        o["financial_status"].clone(),
                        o["cancelled"].clone(),
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(strip(a.dump()), strip(b.dump()));
        let dump = a.dump();
        let orders = dump["orders"].as_array().unwrap();
        assert_eq!(orders.len(), 60);
        assert!(orders.iter().any(|o| o["cancelled"] == true));
        assert!(
            orders
                .iter()
                .any(|o| o["financial_status"] == "PARTIALLY_REFUNDED")
        );
        assert!(orders.iter().any(|o| o["discounts"] != "0.00"));
        assert!(
            orders
                .iter()
                .any(|o| o["lines"].as_array().unwrap().len() > 1)
        );
        let gateways: std::collections::HashSet<String> = orders
            .iter()
            .flat_map(|o| {
                o["gateways"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|g| g.as_str().unwrap().to_string())
            })
            .collect();
        assert!(gateways.len() >= 3, "{gateways:?}");
        // Tax is the VAT contained in each tax-inclusive amount.
        let st = lock(&a.store);
        for o in st.orders.values() {
            for l in &o.lines {
                let net = l.unit_price * Decimal::from(l.quantity) - l.discount_total();
                assert_eq!(l.tax_lines[0].amount, vat_of(net, Decimal::new(14, 2)));
            }
            let refunded: Decimal = o.refund_ids.iter().map(|r| st.refunds[r].total()).sum();
            let t = crate::shopify::orders::totals(&st, o);
            assert!(refunded <= t.total);
            assert_eq!(t.received, t.total);
        }
    }
}
