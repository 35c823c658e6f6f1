//! Everything the stand-in holds, as JSON (`ShopifyState::dump`).

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::orders::{financial_status, fulfillment_status, totals};
use super::store::*;
use super::types::*;
use super::{ShopifyState, lock};

/// Everything the stand-in holds, as JSON.
pub(crate) fn dump(state: &ShopifyState) -> Value {
    let st = lock(&state.store);
    let money_s = |d: Decimal| money_str(d);
    let locations: Vec<Value> = st
        .locations
        .values()
        .map(|l| json!({"id": gid("Location", l.id), "name": l.name}))
        .collect();
    let products: Vec<Value> = st
        .products
        .values()
        .map(|p| {
            let variants: Vec<Value> = p
                .variant_ids
                .iter()
                .filter_map(|id| st.variants.get(id))
                .map(|v| {
                    let inventory: Vec<Value> = st
                        .levels
                        .values()
                        .filter(|l| l.item_id == v.inventory_item_id)
                        .map(|l| json!({"location_id": gid("Location", l.location_id), "available": l.available, "on_hand": l.on_hand, "active": l.active}))
                        .collect();
                    json!({
                        "id": gid("ProductVariant", v.id),
                        "sku": v.sku,
                        "barcode": v.barcode,
                        "title": v.title(),
                        "price": money_s(v.price),
                        "compare_at_price": v.compare_at_price.map(money_s),
                        "options": v.selected.iter().map(|(n, val)| json!({"name": n, "value": val})).collect::<Vec<_>>(),
                        "inventory_item_id": gid("InventoryItem", v.inventory_item_id),
                        "inventory": inventory,
                        "media_id": v.media_id.map(|m| gid("MediaImage", m)),
                    })
                })
                .collect();
            let media: Vec<Value> = p
                .media_ids
                .iter()
                .filter_map(|id| st.media.get(id))
                .map(|m| json!({"id": gid("MediaImage", m.id), "alt": m.alt, "source": m.original_source, "status": if m.ready {"READY"} else {"FAILED"}}))
                .collect();
            json!({
                "id": gid("Product", p.id),
                "handle": p.handle,
                "title": p.title,
                "status": p.status.as_str(),
                "vendor": p.vendor,
                "product_type": p.product_type,
                "tags": p.tags,
                "options": p.options.iter().map(|o| json!({"name": o.name, "values": o.values.iter().map(|(_, v)| v.clone()).collect::<Vec<_>>()})).collect::<Vec<_>>(),
                "metafields": p.metafields.iter().map(|m| json!({"namespace": m.namespace, "key": m.key, "value": m.value, "type": m.type_})).collect::<Vec<_>>(),
                "variants": variants,
                "media": media,
                "updated_at": time_str(p.updated_at),
            })
        })
        .collect();
    let orders: Vec<Value> = st
        .orders
        .values()
        .map(|o| {
            let t = totals(&st, o);
            json!({
                "id": gid("Order", o.id),
                "name": o.name,
                "cancelled": o.cancelled_at.is_some(),
                "cancelled_at": o.cancelled_at.map(time_str),
                "customer_id": o.customer_id.map(|c| gid("Customer", c)),
                "financial_status": financial_status(&st, o).as_str(),
                "fulfillment_status": fulfillment_status(o).as_str(),
                "total": money_s(t.total),
                "tax": money_s(t.tax),
                "discounts": money_s(t.discounts),
                "shipping": money_s(t.shipping),
                "refunded": money_s(t.refunded),
                "gateways": o.transactions.iter().filter(|x| x.kind == "SALE").map(|x| x.gateway.clone()).collect::<Vec<_>>(),
                "lines": o.lines.iter().map(|l| json!({
                    "id": gid("LineItem", l.id),
                    "sku": l.sku,
                    "variant_id": l.variant_id.map(|v| gid("ProductVariant", v)),
                    "quantity": l.quantity,
                    "requires_shipping": l.requires_shipping,
                    "unit_price": money_s(l.unit_price),
                    "discount": money_s(l.discount_total()),
                })).collect::<Vec<_>>(),
                "refund_ids": o.refund_ids.iter().map(|r| gid("Refund", *r)).collect::<Vec<_>>(),
                "source_name": o.source_name,
                "retail_location_id": o.location_id.filter(|_| o.source_name == "pos").map(|l| gid("Location", l)),
                "created_at": time_str(o.created_at),
                "updated_at": time_str(o.updated_at),
            })
        })
        .collect();
    let customers: Vec<Value> = st
        .customers
        .values()
        .map(|c| json!({"id": gid("Customer", c.id), "first_name": c.first_name, "last_name": c.last_name, "email": c.email, "phone": c.phone, "updated_at": time_str(c.updated_at)}))
        .collect();
    let refunds: Vec<Value> = st
        .refunds
        .values()
        .map(|r| json!({
            "id": gid("Refund", r.id),
            "order_id": gid("Order", r.order_id),
            "total": money_s(r.total()),
            "lines": r.lines.iter().map(|l| json!({"line_item_id": gid("LineItem", l.line_item_id), "quantity": l.quantity, "restock_type": l.restock_type, "subtotal": money_s(l.subtotal), "tax": money_s(l.total_tax)})).collect::<Vec<_>>(),
            "shipping": r.shipping.map(|(_, a, t)| json!({"amount": money_s(a), "tax": money_s(t)})),
            "created_at": time_str(r.created_at),
        }))
        .collect();
    let discounts: Vec<Value> = st
        .discounts
        .values()
        .map(|d| json!({
            "id": gid("DiscountAutomaticNode", d.id),
            "title": d.title,
            "percentage": d.percentage,
            "amount": d.amount.map(money_s),
            "all_items": d.all_items,
            "product_ids": d.product_ids.iter().map(|p| gid("Product", *p)).collect::<Vec<_>>(),
            "variant_ids": d.variant_ids.iter().map(|p| gid("ProductVariant", *p)).collect::<Vec<_>>(),
            "starts_at": time_str(d.starts_at),
            "ends_at": d.ends_at.map(time_str),
        }))
        .collect();
    let price_lists: Vec<Value> = st
        .price_lists
        .values()
        .map(|p| json!({
            "id": gid("PriceList", p.id),
            "name": p.name,
            "currency": p.currency,
            "prices": p.prices.iter().map(|(v, (price, cmp))| json!({"variant_id": gid("ProductVariant", *v), "price": money_s(*price), "compare_at_price": cmp.map(money_s)})).collect::<Vec<_>>(),
        }))
        .collect();
    let webhooks: Vec<Value> = st
        .webhooks
        .values()
        .map(|w| json!({"id": gid("WebhookSubscription", w.id), "topic": w.topic, "uri": w.uri}))
        .collect();
    let files: Vec<Value> = st
        .media
        .values()
        .map(|m| json!({"id": gid("MediaImage", m.id), "product_id": m.product_id.map(|p| gid("Product", p)), "filename": m.filename, "source": m.original_source, "ready": m.ready, "error": m.error}))
        .collect();
    let bulk: Vec<Value> = st
        .bulk_ops
        .values()
        .map(|b| json!({"id": gid("BulkOperation", b.id), "type": if b.mutation {"MUTATION"} else {"QUERY"}, "status": b.status, "object_count": b.object_count}))
        .collect();
    let adjustments: Vec<Value> = st
        .adjustment_groups
        .values()
        .map(|g| json!({
            "id": gid("InventoryAdjustmentGroup", g.id),
            "reason": g.reason,
            "reference_document_uri": g.reference_document_uri,
            "changes": g.changes.iter().map(|c| json!({"inventory_item_id": gid("InventoryItem", c.item_id), "location_id": gid("Location", c.location_id), "name": c.name, "delta": c.delta, "quantity_after": c.quantity_after})).collect::<Vec<_>>(),
        }))
        .collect();
    let returns: Vec<Value> = st
        .returns
        .values()
        .map(|r| json!({
            "id": gid("Return", r.id),
            "order_id": gid("Order", r.order_id),
            "name": r.name,
            "status": r.status,
            "source": r.source.as_str(),
            "lines": r.lines.iter().map(|l| json!({"id": gid("ReturnLineItem", l.id), "line_item_id": gid("LineItem", l.line_item_id), "quantity": l.quantity, "processed": l.processed, "reason": l.reason})).collect::<Vec<_>>(),
            "exchange_lines": r.exchanges.iter().map(|x| json!({"id": gid("ExchangeLineItem", x.id), "sku": x.sku, "quantity": x.quantity, "processed": x.processed, "line_item_ids": x.line_item_ids.iter().map(|l| gid("LineItem", *l)).collect::<Vec<_>>()})).collect::<Vec<_>>(),
            "refund_ids": r.refund_ids.iter().map(|f| gid("Refund", *f)).collect::<Vec<_>>(),
        }))
        .collect();
    json!({
        "shop": {"domain": state.config.shop_domain, "name": state.config.shop_name, "currency": state.currency.as_str()},
        "locations": locations,
        "products": products,
        "orders": orders,
        "customers": customers,
        "refunds": refunds,
        "returns": returns,
        "discounts": discounts,
        "price_lists": price_lists,
        "webhook_subscriptions": webhooks,
        "files": files,
        "bulk_operations": bulk,
        "inventory_adjustments": adjustments,
    })
}
