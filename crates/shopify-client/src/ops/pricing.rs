//! Prices and promotions: variant price / compare-at price in bulk, automatic basic
//! discounts with a start and an end, and fixed prices on price lists.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::client::{MAX_INPUT_ARRAY, Safety, ShopifyClient};
use crate::error::Error;
use crate::gid::{DiscountGid, PriceListGid, ProductGid, VariantGid};
use crate::ops::{missing, require, user_errors};
use crate::queries::{
    self, discount_automatic_basic_create as dabc, discount_automatic_basic_update as dabu,
    price_list_fixed_prices_add as plfpa, variants_bulk_update,
};
use crate::scalars::MoneyPatch;

/// A new price (and optionally compare-at price) for one variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantPrice {
    /// The variant id.
    pub variant_id: VariantGid,
    /// The selling price (in the shop currency, tax-inclusive when the shop's prices are).
    pub price: Decimal,
    /// The "was" price shown struck through.
    pub compare_at_price: CompareAtPrice,
}

/// What to do with a variant's compare-at ("was") price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CompareAtPrice {
    /// Leave it as it is.
    #[default]
    Unchanged,
    /// Set it.
    Set(Decimal),
    /// Remove it (the promotion ended).
    Clear,
}

/// The value of an automatic discount.
#[derive(Debug, Clone, PartialEq)]
pub enum DiscountValue {
    /// A fraction of the price, `0 < p ≤ 1` (0.15 = 15 %).
    Percentage(f64),
    /// A fixed amount off, per item or once per order.
    Amount {
        /// The amount in the shop currency.
        amount: Decimal,
        /// `true`: off each item; `false`: spread once over the order's eligible items.
        each_item: bool,
    },
}

/// An automatic basic discount (a promotion): applies without a code between `starts_at`
/// and `ends_at` to the listed variants.
#[derive(Debug, Clone, PartialEq)]
pub struct AutomaticDiscount {
    /// The title customers see.
    pub title: String,
    /// When it starts.
    pub starts_at: DateTime<Utc>,
    /// When it ends (`None` = open-ended).
    pub ends_at: Option<DateTime<Utc>>,
    /// How much.
    pub value: DiscountValue,
    /// The variants it applies to; empty = every product.
    pub variant_ids: Vec<VariantGid>,
}

/// A fixed price on a price list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixedPrice {
    /// The variant id.
    pub variant_id: VariantGid,
    /// The price.
    pub price: Decimal,
    /// The compare-at price, if any.
    pub compare_at_price: Option<Decimal>,
}

fn check_amount(field: &str, amount: Decimal) -> Result<(), Error> {
    if amount.is_sign_negative() {
        Err(Error::invalid(
            field,
            format!("must not be negative, got {amount}"),
        ))
    } else {
        Ok(())
    }
}

fn validate_discount(discount: &AutomaticDiscount) -> Result<(), Error> {
    require("title", &discount.title)?;
    if discount
        .ends_at
        .is_some_and(|end| end <= discount.starts_at)
    {
        return Err(Error::invalid("ends_at", "must be after starts_at"));
    }
    match &discount.value {
        DiscountValue::Percentage(p) if !(p.is_finite() && *p > 0.0 && *p <= 1.0) => {
            Err(Error::invalid(
                "value.percentage",
                format!("must be in (0, 1] (0.15 = 15 %), got {p}"),
            ))
        }
        DiscountValue::Amount { amount, .. } => check_amount("value.amount", *amount),
        DiscountValue::Percentage(_) => Ok(()),
    }
}

/// Builds a `DiscountAutomaticBasicInput` of generated module `$m` (create and update have
/// their own copies of the type).
macro_rules! discount_input {
    ($m:ident, $d:expr) => {{
        let d: &AutomaticDiscount = $d;
        let value = match &d.value {
            DiscountValue::Percentage(p) => $m::DiscountCustomerGetsValueInput {
                percentage: Some(*p),
                ..Default::default()
            },
            DiscountValue::Amount { amount, each_item } => $m::DiscountCustomerGetsValueInput {
                discount_amount: Some($m::DiscountAmountInput {
                    amount: Some(*amount),
                    applies_on_each_item: Some(*each_item),
                }),
                ..Default::default()
            },
        };
        let items = if d.variant_ids.is_empty() {
            $m::DiscountItemsInput {
                all: Some(true),
                ..Default::default()
            }
        } else {
            $m::DiscountItemsInput {
                products: Some($m::DiscountProductsInput {
                    product_variants_to_add: Some(
                        d.variant_ids
                            .iter()
                            .map(|v| v.as_str().to_owned())
                            .collect(),
                    ),
                    ..Default::default()
                }),
                ..Default::default()
            }
        };
        $m::DiscountAutomaticBasicInput {
            title: Some(d.title.clone()),
            starts_at: Some(d.starts_at),
            ends_at: d.ends_at,
            customer_gets: Some($m::DiscountCustomerGetsInput {
                value: Some(value),
                items: Some(items),
                ..Default::default()
            }),
            ..Default::default()
        }
    }};
}

impl ShopifyClient {
    /// Sets price and compare-at price of variants of one product with
    /// `productVariantsBulkUpdate`, 250 variants per request. Setting a price twice is
    /// harmless, so transient failures are retried.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for negative amounts; [`Error::UserErrors`]
    /// when Shopify refuses (nothing of that request is applied).
    pub async fn update_variant_prices(
        &self,
        product_id: &ProductGid,
        prices: &[VariantPrice],
    ) -> Result<usize, Error> {
        const OP: &str = "VariantsBulkUpdate";
        for (i, p) in prices.iter().enumerate() {
            check_amount(&format!("prices[{i}].price"), p.price)?;
            if let CompareAtPrice::Set(c) = p.compare_at_price {
                check_amount(&format!("prices[{i}].compare_at_price"), c)?;
            }
        }
        let mut updated = 0;
        for chunk in prices.chunks(MAX_INPUT_ARRAY) {
            let variants = chunk
                .iter()
                .map(|p| variants_bulk_update::ProductVariantsBulkInput {
                    id: Some(p.variant_id.as_str().to_owned()),
                    price: Some(MoneyPatch::Set(p.price)),
                    compare_at_price: match p.compare_at_price {
                        CompareAtPrice::Unchanged => None,
                        CompareAtPrice::Set(amount) => Some(MoneyPatch::Set(amount)),
                        CompareAtPrice::Clear => Some(MoneyPatch::Clear),
                    },
                    ..Default::default()
                })
                .collect();
            let data: variants_bulk_update::ResponseData = self
                .run::<queries::VariantsBulkUpdate, _>(
                    variants_bulk_update::Variables {
                        product_id: product_id.as_str().to_owned(),
                        variants,
                    },
                    Safety::Repeatable,
                )
                .await?;
            let payload = data
                .product_variants_bulk_update
                .ok_or_else(|| missing(OP, "productVariantsBulkUpdate"))?;
            user_errors!(OP, payload.user_errors, code)?;
            updated += payload.product_variants.map_or(0, |v| v.len());
        }
        Ok(updated)
    }

    /// Creates an automatic basic discount and returns its id. Not retried after an
    /// uncertain failure (a second run would create a second discount): look it up by
    /// title first in that case.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for an empty title, a percentage outside (0, 1], a negative
    /// amount or an end before the start; [`Error::UserErrors`] when refused.
    pub async fn create_automatic_discount(
        &self,
        discount: &AutomaticDiscount,
    ) -> Result<String, Error> {
        const OP: &str = "DiscountAutomaticBasicCreate";
        validate_discount(discount)?;
        let data: dabc::ResponseData = self
            .run::<queries::DiscountAutomaticBasicCreate, _>(
                dabc::Variables {
                    discount: discount_input!(dabc, discount),
                },
                Safety::Once,
            )
            .await?;
        let payload = data
            .discount_automatic_basic_create
            .ok_or_else(|| missing(OP, "discountAutomaticBasicCreate"))?;
        user_errors!(OP, payload.user_errors, code)?;
        Ok(payload
            .automatic_discount_node
            .ok_or_else(|| missing(OP, "automaticDiscountNode"))?
            .id)
    }

    /// Replaces the settings of an existing automatic basic discount (title, window,
    /// value, variants). Repeating it is harmless, so transient failures are retried.
    ///
    /// # Errors
    ///
    /// As [`ShopifyClient::create_automatic_discount`].
    pub async fn update_automatic_discount(
        &self,
        id: &DiscountGid,
        discount: &AutomaticDiscount,
    ) -> Result<String, Error> {
        const OP: &str = "DiscountAutomaticBasicUpdate";
        validate_discount(discount)?;
        let data: dabu::ResponseData = self
            .run::<queries::DiscountAutomaticBasicUpdate, _>(
                dabu::Variables {
                    id: id.as_str().to_owned(),
                    discount: discount_input!(dabu, discount),
                },
                Safety::Repeatable,
            )
            .await?;
        let payload = data
            .discount_automatic_basic_update
            .ok_or_else(|| missing(OP, "discountAutomaticBasicUpdate"))?;
        user_errors!(OP, payload.user_errors, code)?;
        Ok(payload
            .automatic_discount_node
            .ok_or_else(|| missing(OP, "automaticDiscountNode"))?
            .id)
    }

    /// Adds (or replaces) fixed prices on a price list, 250 per request, in `currency`
    /// (the price list's currency, ISO 4217). Retried on transient failures (a set, not an
    /// increment).
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for malformed ids, an unknown currency or negative amounts;
    /// [`Error::UserErrors`] when refused.
    pub async fn add_fixed_prices(
        &self,
        price_list_id: &PriceListGid,
        currency: &str,
        prices: &[FixedPrice],
    ) -> Result<usize, Error> {
        const OP: &str = "PriceListFixedPricesAdd";
        let currency: plfpa::CurrencyCode =
            serde_json::from_value(serde_json::Value::String(currency.to_ascii_uppercase()))
                .ok()
                .filter(|c| !matches!(c, plfpa::CurrencyCode::Other(_)))
                .ok_or_else(|| {
                    Error::invalid(
                        "currency",
                        format!("{currency:?} is not a currency Shopify knows"),
                    )
                })?;
        for (i, p) in prices.iter().enumerate() {
            check_amount(&format!("prices[{i}].price"), p.price)?;
        }
        let mut added = 0;
        for chunk in prices.chunks(MAX_INPUT_ARRAY) {
            let list = chunk
                .iter()
                .map(|p| plfpa::PriceListPriceInput {
                    variant_id: p.variant_id.as_str().to_owned(),
                    price: plfpa::MoneyInput {
                        amount: p.price,
                        currency_code: currency.clone(),
                    },
                    compare_at_price: p.compare_at_price.map(|amount| plfpa::MoneyInput {
                        amount,
                        currency_code: currency.clone(),
                    }),
                })
                .collect();
            let data: plfpa::ResponseData = self
                .run::<queries::PriceListFixedPricesAdd, _>(
                    plfpa::Variables {
                        price_list_id: price_list_id.as_str().to_owned(),
                        prices: list,
                    },
                    Safety::Repeatable,
                )
                .await?;
            let payload = data
                .price_list_fixed_prices_add
                .ok_or_else(|| missing(OP, "priceListFixedPricesAdd"))?;
            user_errors!(OP, payload.user_errors, code)?;
            added += payload.prices.map_or(0, |p| p.len());
        }
        Ok(added)
    }
}
