//! What an order tells of its buyer for a tax receipt ([`model::BuyerFacts`]) and its amounts
//! in the currency the customer paid in ([`model::Presentment`]).
//!
//! - the customer's tax id (`Customer.taxSettings.taxId`), the configured customer metafield
//!   (see `ShopifyClientBuilder::buyer_id_metafield`) and the customer's tags;
//! - the order's custom attributes (`customAttributes`), in Shopify's order;
//! - a B2B order's company (`purchasingEntity` of type `PurchasingCompany`): its name, the
//!   ordering location's tax registration id (`CompanyLocation.taxSettings`) and the country
//!   of the location's billing address;
//! - when the presentment currency differs from the shop's, every line, shipping line and
//!   payment again from the bags' `presentmentMoney`, with the presentment total.
//!
//! Values are handed on as Shopify holds them, trimmed, at most [`MAX_VALUE`] characters (a
//! longer one is cut, and the tax connector's checks then refuse it); blank values are left out.

use rust_decimal::Decimal;
use sync_core::connector::{ConnectorError, ConnectorResult};
use sync_core::model;

use super::mapping::{Pick, order_lines, payments, shipping_lines};
use crate::ops::enum_text;
use crate::ops::orders::Order as ShopifyOrder;
use crate::queries::orders;

/// The longest buyer value handed on (characters).
pub(crate) const MAX_VALUE: usize = 200;

/// The most custom attributes handed on.
pub(crate) const MAX_ATTRIBUTES: usize = 50;

fn clean(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.chars().take(MAX_VALUE).collect())
}

/// The buyer facts of `order`.
pub(super) fn buyer_facts(order: &ShopifyOrder) -> model::BuyerFacts {
    let customer = order.customer.as_ref();
    let company = match &order.purchasing_entity {
        Some(orders::OrderFieldsPurchasingEntity::PurchasingCompany(p)) => {
            Some(model::BuyerCompany {
                name: p.company.name.trim().chars().take(MAX_VALUE).collect(),
                tax_registration_id: p
                    .location
                    .tax_settings
                    .tax_registration_id
                    .as_deref()
                    .and_then(clean),
                country_code: p
                    .location
                    .billing_address
                    .as_ref()
                    .map(|a| enum_text(&a.country_code)),
            })
        }
        _ => None,
    };
    model::BuyerFacts {
        customer_tax_id: customer
            .and_then(|c| c.tax_settings.tax_id.as_deref())
            .and_then(clean),
        customer_metafield: customer
            .and_then(|c| c.buyer_id_metafield.as_ref())
            .and_then(|m| clean(&m.value)),
        customer_tags: customer
            .map(|c| c.tags.iter().filter_map(|t| clean(t)).collect())
            .unwrap_or_default(),
        attributes: order
            .custom_attributes
            .iter()
            .filter_map(|a| Some((clean(&a.key)?, clean(a.value.as_deref()?)?)))
            .take(MAX_ATTRIBUTES)
            .collect(),
        company,
    }
}

/// The amount in the customer's (presentment) currency.
fn presented(m: &orders::PairFields) -> Decimal {
    m.presentment_money.amount
}

/// The order's amounts in its presentment currency, when it differs from the shop's.
///
/// # Errors
///
/// A needs-mapping error on `currency:<code>` when the presentment currency is not an ISO
/// code; a permanent error when a bag's presentment amount is in another currency than the
/// order's presentment currency.
pub(super) fn presentment(order: &ShopifyOrder) -> ConnectorResult<Option<model::Presentment>> {
    let code = enum_text(&order.presentment_currency_code);
    if code == enum_text(&order.currency_code) {
        return Ok(None);
    }
    let currency: sync_core::money::Currency = code.parse().map_err(|_| {
        ConnectorError::needs_mapping(
            format!("currency:{code}"),
            format!(
                "order {}: presentment currency {code:?} is not an ISO 4217 code",
                order.name
            ),
        )
    })?;
    let total = &order.total_price_set.presentment_money;
    if enum_text(&total.currency_code) != code {
        return Err(ConnectorError::permanent(format!(
            "order {}: totalPriceSet.presentmentMoney is in {}, not the order's presentment currency {code}",
            order.name,
            enum_text(&total.currency_code)
        )));
    }
    let pick: Pick = presented;
    Ok(Some(model::Presentment {
        currency,
        lines: order_lines(order, pick)?,
        shipping_lines: shipping_lines(order, pick),
        total: total.amount,
        payments: payments(order, pick),
    }))
}
