//! The mapping between Shopify's shapes and the neutral model: the `productSet` input of an
//! item group, and orders, refunds and customers as the engine reads them. Pure functions,
//! re-exported from [`adapter`](crate::adapter); the rules are in its module docs.

use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use sync_core::connector::{ConnectorError, ConnectorResult};
use sync_core::model;

use super::{StorefrontConfig, edge};
use crate::ops::customers::Customer as ShopifyCustomer;
use crate::ops::enum_text;
use crate::ops::orders::{Order as ShopifyOrder, OrderReturn, Refund as ShopifyRefund};
use crate::ops::products::ProductStatus;
use crate::queries::{customers, orders, product_set};

pub(super) fn status_to_shopify(status: model::ProductStatus) -> ProductStatus {
    match status {
        model::ProductStatus::Active => ProductStatus::ACTIVE,
        model::ProductStatus::Held => ProductStatus::DRAFT,
        model::ProductStatus::Archived => ProductStatus::ARCHIVED,
    }
}

/// Builds the `productSet` input for an item group (options ↔ attributes, variants).
///
/// # Errors
///
/// A permanent error when a variant does not have one value per option, or when two
/// variants share a SKU or a combination of option values.
pub fn product_input(
    group: &model::ProductGroup,
    config: &StorefrontConfig,
) -> ConnectorResult<product_set::ProductSetInput> {
    if group.variants.is_empty() {
        return Err(ConnectorError::permanent(format!(
            "item group {}: a product needs at least one variant",
            group.code
        )));
    }
    let default_option = group.options.is_empty();
    let option_names: Vec<String> = if default_option {
        vec!["Title".into()]
    } else {
        group.options.clone()
    };
    let mut values: Vec<Vec<String>> = vec![Vec::new(); option_names.len()];
    let mut seen_skus = std::collections::HashSet::new();
    let mut seen_combos = std::collections::HashSet::new();
    let mut variants = Vec::with_capacity(group.variants.len());
    for v in &group.variants {
        let option_values: Vec<String> = if default_option {
            vec!["Default Title".into()]
        } else {
            v.option_values.clone()
        };
        if option_values.len() != option_names.len() {
            return Err(ConnectorError::permanent(format!(
                "item group {}: variant {} has {} option values for {} options ({})",
                group.code,
                v.sku,
                option_values.len(),
                option_names.len(),
                option_names.join(", ")
            )));
        }
        if !seen_skus.insert(v.sku.as_str()) {
            return Err(ConnectorError::permanent(format!(
                "item group {}: SKU {} appears twice",
                group.code, v.sku
            )));
        }
        if !seen_combos.insert(option_values.clone()) {
            return Err(ConnectorError::permanent(format!(
                "item group {}: two variants have the options {}",
                group.code,
                option_values.join(" / ")
            )));
        }
        for (i, value) in option_values.iter().enumerate() {
            if !values[i].contains(value) {
                values[i].push(value.clone());
            }
        }
        variants.push(product_set::ProductVariantSetInput {
            sku: Some(v.sku.to_string()),
            barcode: v.barcode.clone(),
            price: Some(v.price),
            compare_at_price: v.compare_at_price,
            taxable: Some(v.taxable),
            option_values: option_names
                .iter()
                .zip(&option_values)
                .map(|(option, value)| product_set::VariantOptionValueInput {
                    option_name: Some(option.clone()),
                    name: Some(value.clone()),
                    ..Default::default()
                })
                .collect(),
            inventory_item: Some(product_set::InventoryItemInput {
                tracked: Some(true),
                measurement: v.weight_kg.and_then(|w| w.to_f64()).map(|value| {
                    product_set::InventoryItemMeasurementInput {
                        weight: Some(product_set::WeightInput {
                            value,
                            unit: crate::queries::WeightUnit::KILOGRAMS,
                        }),
                        ..Default::default()
                    }
                }),
                ..Default::default()
            }),
            ..Default::default()
        });
    }
    Ok(product_set::ProductSetInput {
        title: Some(group.title.clone()),
        description_html: Some(group.description.clone()),
        vendor: group.vendor.clone(),
        product_type: group.product_type.clone(),
        status: Some(status_to_shopify(group.status)),
        metafields: Some(vec![product_set::MetafieldInput {
            namespace: Some(config.group_metafield_namespace.clone()),
            key: Some(config.group_metafield_key.clone()),
            value: Some(group.code.clone()),
            type_: Some("single_line_text_field".into()),
            ..Default::default()
        }]),
        product_options: Some(
            option_names
                .iter()
                .zip(values)
                .enumerate()
                .map(|(i, (name, values))| product_set::OptionSetInput {
                    name: Some(name.clone()),
                    position: Some(i as i64 + 1),
                    values: Some(
                        values
                            .into_iter()
                            .map(|v| product_set::OptionValueSetInput {
                                name: Some(v),
                                ..Default::default()
                            })
                            .collect(),
                    ),
                    ..Default::default()
                })
                .collect(),
        ),
        variants: Some(variants),
        ..Default::default()
    })
}

fn rate(rate: Option<f64>) -> Decimal {
    rate.and_then(Decimal::from_f64)
        .map(|d| d.round_dp(6).normalize())
        .unwrap_or_default()
}

/// Which amount of a money bag to read: the shop's or the customer's (presentment).
pub(super) type Pick = fn(&orders::PairFields) -> Decimal;

/// The amount in the shop's currency.
pub(super) fn shop(m: &orders::PairFields) -> Decimal {
    m.shop_money.amount
}

fn tax_lines(lines: &[orders::TaxLineFields], pick: Pick) -> Vec<model::TaxLine> {
    lines
        .iter()
        .map(|t| model::TaxLine {
            title: t.title.clone(),
            rate: rate(t.rate),
            amount: pick(&t.price_set),
        })
        .collect()
}

fn address(a: &orders::AddressFields) -> model::Address {
    let name = [a.first_name.as_deref(), a.last_name.as_deref()]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    model::Address {
        name: (!name.is_empty()).then_some(name),
        company: a.company.clone(),
        line1: a.address1.clone(),
        line2: a.address2.clone(),
        city: a.city.clone(),
        province: a.province.clone(),
        country_code: a.country_code_v2.as_ref().map(enum_text),
        zip: a.zip.clone(),
        phone: a.phone.clone(),
    }
}

fn financial_status(
    status: Option<&orders::OrderDisplayFinancialStatus>,
) -> model::FinancialStatus {
    use model::FinancialStatus as F;
    match status.map(enum_text).as_deref() {
        Some("PENDING") => F::Pending,
        Some("AUTHORIZED") => F::Authorized,
        Some("PARTIALLY_PAID") => F::PartiallyPaid,
        Some("PAID") => F::Paid,
        Some("PARTIALLY_REFUNDED") => F::PartiallyRefunded,
        Some("REFUNDED") => F::Refunded,
        Some("VOIDED") => F::Voided,
        _ => F::Other,
    }
}

/// Whether the order is delivered as far as it needs delivering (`model::Order::fulfilled`),
/// reading Shopify's fulfilment status by its meaning:
///
/// - `FULFILLED`: everything shipped;
/// - `FULFILLMENT_NOT_REQUIRED` (2026-10): nothing is left to fulfil because the order was
///   cancelled, refunded or edited to nothing; nothing was delivered (an order with some units
///   fulfilled keeps `PARTIALLY_FULFILLED` or `FULFILLED`), so it is not;
/// - otherwise, an order whose remaining lines all need no shipping (digital goods,
///   services: `requiresShipping: false`) is never fulfilled by a carrier; it counts as
///   delivered once paid (`PAID` or `PARTIALLY_REFUNDED`), so that a receipt issued on
///   fulfilment is issued when it is paid, not never.
fn delivered(order: &ShopifyOrder) -> bool {
    match enum_text(&order.display_fulfillment_status).as_str() {
        "FULFILLED" => true,
        "FULFILLMENT_NOT_REQUIRED" => false,
        _ => {
            let mut left = order
                .line_items
                .nodes
                .iter()
                .filter(|l| l.current_quantity > 0)
                .peekable();
            let paid = matches!(
                financial_status(order.display_financial_status.as_ref()),
                model::FinancialStatus::Paid | model::FinancialStatus::PartiallyRefunded
            );
            paid && left.peek().is_some() && left.all(|l| !l.requires_shipping)
        }
    }
}

/// Maps a refund read by id to the neutral model.
///
/// # Errors
///
/// A permanent error naming the field when the refund's id or one of its line ids is not a
/// Shopify GID of its resource.
pub fn map_refund(refund: &ShopifyRefund, taxes_included: bool) -> ConnectorResult<model::Refund> {
    let shipping = refund
        .refund_shipping_lines
        .nodes
        .iter()
        .map(|s| {
            let sub = s.subtotal_amount_set.shop_money.amount;
            if taxes_included {
                sub + s.tax_amount_set.shop_money.amount
            } else {
                sub
            }
        })
        .sum();
    Ok(model::Refund {
        external_id: edge::id(&refund.id)?,
        created_at: refund.created_at.unwrap_or(refund.processed_at),
        lines: refund
            .refund_line_items
            .nodes
            .iter()
            .map(|l| {
                Ok(model::RefundLine {
                    line_id: edge::id(&l.line_item.id)?,
                    sku: l.line_item.sku.clone().map(model::Sku::from),
                    quantity: Decimal::from(l.quantity),
                    amount: l.subtotal_set.shop_money.amount,
                    tax: l.total_tax_set.shop_money.amount,
                })
            })
            .collect::<ConnectorResult<_>>()?,
        shipping,
        total: refund.total_refunded_set.shop_money.amount,
        payments: refund
            .transactions
            .nodes
            .iter()
            .filter(|t| enum_text(&t.kind) == "REFUND" && enum_text(&t.status) == "SUCCESS")
            .map(|t| model::Payment {
                gateway: t.gateway.clone().unwrap_or_default(),
                amount: t.amount_set.shop_money.amount,
            })
            .collect(),
    })
}

/// Maps an order (and its refunds, read separately) to the neutral model.
///
/// # Errors
///
/// A permanent error when the order lists more lines than were read, its currency is not
/// an ISO code, or one of its ids (order, line, customer) is not a Shopify GID of its
/// resource.
pub fn map_order(
    order: &ShopifyOrder,
    refunds: Vec<model::Refund>,
) -> ConnectorResult<model::Order> {
    map_order_with_returns(order, refunds, &[])
}

/// Maps an order, its refunds and its returns (each read separately) to the neutral model.
///
/// The order lines that a processed exchange added (the `lineItems` of a return's
/// `exchangeLineItems`) are taken out of [`Order::lines`](model::Order::lines) and their
/// amounts out of its totals: each return with such lines becomes one
/// [`Exchange`](model::Exchange), a sale of its own. The returned items are in the order's
/// refunds, as for any return.
///
/// # Errors
///
/// As [`map_order`]; also a permanent error when a return's id is not a Shopify return GID.
pub fn map_order_with_returns(
    order: &ShopifyOrder,
    refunds: Vec<model::Refund>,
    returns: &[OrderReturn],
) -> ConnectorResult<model::Order> {
    let mut mapped = map_order_lines_and_totals(order, refunds)?;
    split_exchanges(&mut mapped, returns)?;
    Ok(mapped)
}

/// Takes the lines each processed exchange of `returns` added out of `order`'s lines and
/// totals, into one [`model::Exchange`] per return.
fn split_exchanges(order: &mut model::Order, returns: &[OrderReturn]) -> ConnectorResult<()> {
    for r in returns {
        let added: Vec<&str> = r
            .exchange_line_items
            .nodes
            .iter()
            .flat_map(|x| x.line_items.iter().flatten())
            .map(|l| l.id.as_str())
            .collect();
        if added.is_empty() {
            continue;
        }
        let mut lines = Vec::new();
        let mut presented = Vec::new();
        let mut kept = Vec::new();
        let mut kept_presented = Vec::new();
        let mut presentment_lines = order
            .presentment
            .as_mut()
            .map(|p| std::mem::take(&mut p.lines).into_iter());
        for line in std::mem::take(&mut order.lines) {
            let shown = presentment_lines.as_mut().and_then(Iterator::next);
            if added.contains(&line.line_id.as_str()) {
                lines.push(line);
                presented.extend(shown);
            } else {
                kept.push(line);
                kept_presented.extend(shown);
            }
        }
        order.lines = kept;
        let total = |lines: &[model::OrderLine]| -> (Decimal, Decimal) {
            lines
                .iter()
                .fold((Decimal::ZERO, Decimal::ZERO), |(total, tax), l| {
                    let t: Decimal = l.tax_lines.iter().map(|t| t.amount).sum();
                    let net = l.net_total();
                    (
                        total + if order.taxes_included { net } else { net + t },
                        tax + t,
                    )
                })
        };
        let (given, given_tax) = total(&lines);
        let (shown_total, _) = total(&presented);
        order.total -= given;
        order.total_tax -= given_tax;
        let presentment_lines = match order.presentment.as_mut() {
            Some(p) => {
                p.lines = kept_presented;
                p.total -= shown_total;
                Some(presented)
            }
            None => None,
        };
        // A refund that returns only items given in this exchange is a return of the
        // exchange's sale. (One mixing them with the order's own items stays with the order,
        // where the lines it cannot find make it a dead letter naming them.)
        let (of_exchange, of_order): (Vec<_>, Vec<_>) = std::mem::take(&mut order.refunds)
            .into_iter()
            .partition(|refund| {
                refund.returns_items()
                    && refund
                        .lines
                        .iter()
                        .filter(|l| l.quantity > Decimal::ZERO)
                        .all(|l| added.contains(&l.line_id.as_str()))
            });
        order.refunds = of_order;
        order.exchanges.push(model::Exchange {
            external_id: edge::id(&r.id)?,
            return_name: r.name.clone(),
            created_at: r.created_at,
            lines,
            presentment_lines,
            total: given,
            total_tax: given_tax,
            refunds: of_exchange,
        });
    }
    Ok(())
}

/// [`map_order`] before exchanges are taken apart: every line, Shopify's totals.
fn map_order_lines_and_totals(
    order: &ShopifyOrder,
    refunds: Vec<model::Refund>,
) -> ConnectorResult<model::Order> {
    if order.line_items.page_info.has_next_page {
        return Err(ConnectorError::permanent(format!(
            "order {}: more than the {} lines read; read the rest with ShopifyClient::complete_order_lines",
            order.name,
            order.line_items.nodes.len()
        )));
    }
    let currency_text = enum_text(&order.currency_code);
    let currency = currency_text.parse().map_err(|_| {
        ConnectorError::needs_mapping(
            format!("currency:{currency_text}"),
            format!(
                "order {}: currency {currency_text:?} is not an ISO 4217 code",
                order.name
            ),
        )
    })?;
    let lines = order_lines(order, shop)?;
    let shipping_lines = shipping_lines(order, shop);
    let customer = order
        .customer
        .as_ref()
        .map(|c| {
            Ok::<_, ConnectorError>(model::Customer {
                external_id: edge::id(&c.id)?,
                email: c
                    .default_email_address
                    .as_ref()
                    .map(|e| e.email_address.clone()),
                phone: c
                    .default_phone_number
                    .as_ref()
                    .map(|p| p.phone_number.clone()),
                first_name: c.first_name.clone(),
                last_name: c.last_name.clone(),
                addresses: order.billing_address.iter().map(address).collect(),
                updated_at: order.updated_at,
            })
        })
        .transpose()?;
    Ok(model::Order {
        external_id: edge::id(&order.id)?,
        name: order.name.clone(),
        created_at: order.created_at,
        updated_at: order.updated_at,
        currency,
        taxes_included: order.taxes_included,
        customer,
        email: order.email.clone(),
        phone: order.phone.clone(),
        billing_address: order.billing_address.as_ref().map(address),
        shipping_address: order.shipping_address.as_ref().map(address),
        lines,
        shipping_lines,
        total: order.total_price_set.shop_money.amount,
        total_tax: order
            .total_tax_set
            .as_ref()
            .map(|t| t.shop_money.amount)
            .unwrap_or_default(),
        financial_status: financial_status(order.display_financial_status.as_ref()),
        fulfilled: delivered(order),
        cancelled_at: order.cancelled_at,
        payments: payments(order, shop),
        refunds,
        buyer: super::buyer::buyer_facts(order),
        presentment: super::buyer::presentment(order)?,
        exchanges: Vec::new(),
        source: order.source_name.clone().filter(|s| !s.is_empty()),
        location: order
            .retail_location
            .as_ref()
            .map(|l| edge::id(&l.id))
            .transpose()?,
    })
}

/// The order's lines, with amounts read by `pick`.
pub(super) fn order_lines(
    order: &ShopifyOrder,
    pick: Pick,
) -> ConnectorResult<Vec<model::OrderLine>> {
    order
        .line_items
        .nodes
        .iter()
        .map(|l| {
            Ok(model::OrderLine {
                line_id: edge::id(&l.id)?,
                sku: l
                    .sku
                    .clone()
                    .filter(|s| !s.is_empty())
                    .map(model::Sku::from),
                title: l.name.clone(),
                quantity: Decimal::from(l.quantity),
                unit_price: pick(&l.original_unit_price_set),
                discount: l
                    .discount_allocations
                    .iter()
                    .map(|a| pick(&a.allocated_amount_set))
                    .sum(),
                tax_lines: tax_lines(&l.tax_lines, pick),
            })
        })
        .collect()
}

/// The order's shipping lines, with amounts read by `pick`.
pub(super) fn shipping_lines(order: &ShopifyOrder, pick: Pick) -> Vec<model::ShippingLine> {
    order
        .shipping_lines
        .nodes
        .iter()
        .map(|s| model::ShippingLine {
            title: s.title.clone(),
            price: pick(&s.original_price_set),
            discount: pick(&s.original_price_set) - pick(&s.discounted_price_set),
            tax_lines: tax_lines(&s.tax_lines, pick),
        })
        .collect()
}

/// The order's successful sales and captures, with amounts read by `pick`.
pub(super) fn payments(order: &ShopifyOrder, pick: Pick) -> Vec<model::Payment> {
    order
        .transactions
        .iter()
        .filter(|t| {
            matches!(enum_text(&t.kind).as_str(), "SALE" | "CAPTURE")
                && enum_text(&t.status) == "SUCCESS"
        })
        .map(|t| model::Payment {
            gateway: t.gateway.clone().unwrap_or_default(),
            amount: pick(&t.amount_set),
        })
        .collect()
}

/// Maps a customer to the neutral model.
///
/// # Errors
///
/// A permanent error naming the field when the customer's id is not a Shopify customer GID.
pub fn map_customer(c: &ShopifyCustomer) -> ConnectorResult<model::Customer> {
    let address = c
        .default_address
        .as_ref()
        .map(|a: &customers::CustomerFieldsDefaultAddress| {
            let name = [a.first_name.as_deref(), a.last_name.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            model::Address {
                name: (!name.is_empty()).then_some(name),
                company: a.company.clone(),
                line1: a.address1.clone(),
                line2: a.address2.clone(),
                city: a.city.clone(),
                province: a.province.clone(),
                country_code: a.country_code_v2.as_ref().map(enum_text),
                zip: a.zip.clone(),
                phone: a.phone.clone(),
            }
        });
    Ok(model::Customer {
        external_id: edge::id(&c.id)?,
        email: c
            .default_email_address
            .as_ref()
            .map(|e| e.email_address.clone()),
        phone: c
            .default_phone_number
            .as_ref()
            .map(|p| p.phone_number.clone()),
        first_name: c.first_name.clone(),
        last_name: c.last_name.clone(),
        addresses: address.into_iter().collect(),
        updated_at: c.updated_at,
    })
}
