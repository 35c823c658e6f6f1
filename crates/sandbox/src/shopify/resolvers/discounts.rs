//! Automatic discounts and price lists: the objects, their inputs and mutations, and
//! `automaticDiscountNode`.

use async_graphql::{Context, Error, ID, InputObject, Object, Result, SimpleObject, Union};
use rust_decimal::Decimal;

use super::outputs::*;
use super::*;
use crate::shopify::lock;
use crate::shopify::store::*;
use crate::shopify::types::*;

#[derive(Clone)]
pub(crate) struct DiscountAutomaticBasic(pub(crate) DiscountRec);

#[Object]
impl DiscountAutomaticBasic {
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn status(&self) -> DiscountStatus {
        let now = now();
        if self.0.starts_at > now {
            DiscountStatus::SCHEDULED
        } else if self.0.ends_at.is_some_and(|e| e <= now) {
            DiscountStatus::EXPIRED
        } else {
            DiscountStatus::ACTIVE
        }
    }
    async fn starts_at(&self) -> DateTime {
        DateTime(self.0.starts_at)
    }
    async fn ends_at(&self) -> Option<DateTime> {
        self.0.ends_at.map(DateTime)
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
    async fn updated_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
    async fn summary(&self) -> String {
        discount_summary(&self.0)
    }
    async fn short_summary(&self) -> String {
        discount_summary(&self.0)
    }
    async fn async_usage_count(&self) -> i32 {
        0
    }
    async fn recurring_cycle_limit(&self) -> i32 {
        0
    }
}

fn discount_summary(d: &DiscountRec) -> String {
    match (d.percentage, d.amount) {
        (Some(p), _) => format!("{}% off", p * 100.0),
        (None, Some(a)) => format!("{} off", money_str(a)),
        _ => String::new(),
    }
}

/// `DiscountAutomatic` union (basic discounts only).
#[derive(Union, Clone)]
pub(crate) enum DiscountAutomatic {
    DiscountAutomaticBasic(DiscountAutomaticBasic),
}

#[Object]
impl DiscountAutomaticNode {
    pub(crate) async fn id(&self) -> Result<ID> {
        Ok(gql_id("DiscountAutomaticNode", self.0.id))
    }
    async fn automatic_discount(&self) -> DiscountAutomatic {
        DiscountAutomatic::DiscountAutomaticBasic(DiscountAutomaticBasic(self.0.clone()))
    }
}

pub(crate) struct PriceListPrice {
    pub(crate) variant_id: u64,
    pub(crate) price: Decimal,
    pub(crate) compare_at: Option<Decimal>,
}

#[Object]
impl PriceListPrice {
    async fn price(&self, ctx: &Context<'_>) -> Result<MoneyV2> {
        money(ctx, self.price)
    }
    async fn compare_at_price(&self, ctx: &Context<'_>) -> Result<Option<MoneyV2>> {
        self.compare_at.map(|c| money(ctx, c)).transpose()
    }
    async fn origin_type(&self) -> PriceListPriceOriginType {
        PriceListPriceOriginType::FIXED
    }
    async fn variant(&self, ctx: &Context<'_>) -> Result<ProductVariant> {
        let st = lock(&cx(ctx)?.state.store);
        st.variants
            .get(&self.variant_id)
            .cloned()
            .map(ProductVariant)
            .ok_or_else(|| Error::new("variant not found"))
    }
}

/// `MoneyInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct MoneyInput {
    pub(crate) amount: DecimalScalar,
    pub(crate) currency_code: CurrencyCode,
}

/// `PriceListPriceInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct PriceListPriceInput {
    pub(crate) variant_id: ID,
    pub(crate) price: MoneyInput,
    pub(crate) compare_at_price: Option<MoneyInput>,
}

/// `DiscountCombinesWithInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct DiscountCombinesWithInput {
    pub(crate) product_discounts: Option<bool>,
    pub(crate) order_discounts: Option<bool>,
    pub(crate) shipping_discounts: Option<bool>,
}

gql_enum!(DiscountBuyerSelection { ALL });

/// `DiscountContextInput` (only `all`).
#[derive(InputObject, Debug, Clone)]
pub(crate) struct DiscountContextInput {
    pub(crate) all: Option<DiscountBuyerSelection>,
}

/// `DiscountMinimumQuantityInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct DiscountMinimumQuantityInput {
    pub(crate) greater_than_or_equal_to_quantity: Option<UnsignedInt64>,
}

/// `DiscountMinimumSubtotalInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct DiscountMinimumSubtotalInput {
    pub(crate) greater_than_or_equal_to_subtotal: Option<DecimalScalar>,
}

/// `DiscountMinimumRequirementInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct DiscountMinimumRequirementInput {
    pub(crate) quantity: Option<DiscountMinimumQuantityInput>,
    pub(crate) subtotal: Option<DiscountMinimumSubtotalInput>,
}

/// `DiscountAmountInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct DiscountAmountInput {
    pub(crate) amount: Option<DecimalScalar>,
    pub(crate) applies_on_each_item: Option<bool>,
}

/// `DiscountCustomerGetsValueInput` (percentage or amount).
#[derive(InputObject, Debug, Clone)]
pub(crate) struct DiscountCustomerGetsValueInput {
    pub(crate) percentage: Option<f64>,
    pub(crate) discount_amount: Option<DiscountAmountInput>,
}

/// `DiscountProductsInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct DiscountProductsInput {
    pub(crate) products_to_add: Option<Vec<ID>>,
    pub(crate) products_to_remove: Option<Vec<ID>>,
    pub(crate) product_variants_to_add: Option<Vec<ID>>,
    pub(crate) product_variants_to_remove: Option<Vec<ID>>,
}

/// `DiscountItemsInput` (no collections).
#[derive(InputObject, Debug, Clone)]
pub(crate) struct DiscountItemsInput {
    pub(crate) products: Option<DiscountProductsInput>,
    pub(crate) all: Option<bool>,
}

/// `DiscountCustomerGetsInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct DiscountCustomerGetsInput {
    pub(crate) value: Option<DiscountCustomerGetsValueInput>,
    pub(crate) items: Option<DiscountItemsInput>,
    pub(crate) applies_on_one_time_purchase: Option<bool>,
    pub(crate) applies_on_subscription: Option<bool>,
}

/// `DiscountAutomaticBasicInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct DiscountAutomaticBasicInput {
    pub(crate) combines_with: Option<DiscountCombinesWithInput>,
    pub(crate) title: Option<String>,
    pub(crate) starts_at: Option<DateTime>,
    pub(crate) ends_at: Option<DateTime>,
    pub(crate) context: Option<DiscountContextInput>,
    pub(crate) minimum_requirement: Option<DiscountMinimumRequirementInput>,
    pub(crate) customer_gets: Option<DiscountCustomerGetsInput>,
    pub(crate) recurring_cycle_limit: Option<i32>,
}

#[derive(SimpleObject)]
pub(crate) struct DiscountAutomaticBasicCreatePayload {
    automatic_discount_node: Option<DiscountAutomaticNode>,
    user_errors: Vec<DiscountUserError>,
}

#[derive(SimpleObject)]
pub(crate) struct DiscountAutomaticBasicUpdatePayload {
    automatic_discount_node: Option<DiscountAutomaticNode>,
    user_errors: Vec<DiscountUserError>,
}

#[derive(SimpleObject)]
pub(crate) struct PriceListFixedPricesAddPayload {
    prices: Option<Vec<PriceListPrice>>,
    user_errors: Vec<PriceListPriceUserError>,
}

/// Validates a `DiscountAutomaticBasicInput` into a record: a new one, or `existing` with the
/// given fields changed.
fn discount_build(
    st: &mut Store,
    d: &DiscountAutomaticBasicInput,
    existing: Option<&DiscountRec>,
) -> std::result::Result<DiscountRec, Vec<DiscountUserError>> {
    use DiscountErrorCode as C;
    let mut errors = Vec::new();
    let e = |code, f: &[&str], m: &str| DiscountUserError {
        code: Some(code),
        extra_info: None,
        field: path(f),
        message: m.to_string(),
    };
    let base = "automaticBasicDiscount";
    let title = match (&d.title, existing) {
        (Some(t), _) if !t.trim().is_empty() => t.clone(),
        (None, Some(x)) => x.title.clone(),
        _ => {
            errors.push(e(C::BLANK, &[base, "title"], "Title can't be blank"));
            String::new()
        }
    };
    let starts = d
        .starts_at
        .map(|t| t.0)
        .or(existing.map(|x| x.starts_at))
        .unwrap_or_else(now);
    let ends = d.ends_at.map(|t| t.0).or(existing.and_then(|x| x.ends_at));
    if ends.is_some_and(|end| end <= starts) {
        errors.push(e(
            C::END_DATE_BEFORE_START_DATE,
            &[base, "endsAt"],
            "Ends at needs to be after starts_at",
        ));
    }
    let gets = d.customer_gets.clone();
    let (mut percentage, mut amount) = (
        existing.and_then(|x| x.percentage),
        existing.and_then(|x| x.amount),
    );
    match gets.as_ref().and_then(|g| g.value.clone()) {
        None if existing.is_none() => errors.push(e(
            C::BLANK,
            &[base, "customerGets", "value"],
            "Value can't be blank",
        )),
        None => {}
        Some(v) => match (v.percentage, v.discount_amount) {
            (Some(p), None) if (0.0..=1.0).contains(&p) && p > 0.0 => {
                percentage = Some(p);
                amount = None;
            }
            (Some(_), None) => errors.push(e(
                C::VALUE_OUTSIDE_RANGE,
                &[base, "customerGets", "value", "percentage"],
                "Percentage must be between 0 and 1",
            )),
            (None, Some(a)) => match a.amount {
                Some(x) if x.0 > Decimal::ZERO => {
                    amount = Some(x.0);
                    percentage = None;
                }
                _ => errors.push(e(
                    C::GREATER_THAN,
                    &[base, "customerGets", "value", "discountAmount", "amount"],
                    "Amount must be greater than 0",
                )),
            },
            _ => errors.push(e(
                C::INVALID,
                &[base, "customerGets", "value"],
                "give exactly one of percentage or discountAmount",
            )),
        },
    }
    let items = gets.as_ref().and_then(|g| g.items.clone());
    let mut all = existing.is_some_and(|x| x.all_items);
    let mut product_ids = existing.map(|x| x.product_ids.clone()).unwrap_or_default();
    let mut variant_ids = existing.map(|x| x.variant_ids.clone()).unwrap_or_default();
    if let Some(items) = &items {
        all = items.all.unwrap_or(false);
        if let Some(p) = &items.products {
            let (found, refused) =
                resolve_ids("Product", p.products_to_add.iter().flatten(), |n| {
                    st.products.contains_key(&n)
                });
            for n in found {
                if !product_ids.contains(&n) {
                    product_ids.push(n);
                }
            }
            for (i, _) in refused {
                errors.push(e(
                    C::INVALID,
                    &[
                        base,
                        "customerGets",
                        "items",
                        "products",
                        "productsToAdd",
                        &i.to_string(),
                    ],
                    "Product does not exist",
                ));
            }
            for id in p.products_to_remove.iter().flatten() {
                product_ids.retain(|n| Some(*n) != parse_gid("Product", id.as_str()));
            }
            let (found, refused) = resolve_ids(
                "ProductVariant",
                p.product_variants_to_add.iter().flatten(),
                |n| st.variants.contains_key(&n),
            );
            for n in found {
                if !variant_ids.contains(&n) {
                    variant_ids.push(n);
                }
            }
            for (i, _) in refused {
                errors.push(e(
                    C::INVALID,
                    &[
                        base,
                        "customerGets",
                        "items",
                        "products",
                        "productVariantsToAdd",
                        &i.to_string(),
                    ],
                    "Product variant does not exist",
                ));
            }
            for id in p.product_variants_to_remove.iter().flatten() {
                variant_ids.retain(|n| Some(*n) != parse_gid("ProductVariant", id.as_str()));
            }
        }
    }
    if !all && product_ids.is_empty() && variant_ids.is_empty() {
        errors.push(e(
            C::APPLIES_ON_NOTHING,
            &[base, "customerGets", "items"],
            "Items must be specified",
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(DiscountRec {
        id: existing.map_or_else(|| st.next_id(), |x| x.id),
        title,
        percentage,
        amount,
        product_ids,
        variant_ids,
        all_items: all,
        starts_at: starts,
        ends_at: ends,
        created_at: existing.map_or_else(now, |x| x.created_at),
    })
}

/// The automatic discount and price list mutations.
#[derive(Default)]
pub(crate) struct DiscountMutations;

#[Object]
impl DiscountMutations {
    async fn discount_automatic_basic_create(
        &self,
        ctx: &Context<'_>,
        automatic_basic_discount: DiscountAutomaticBasicInput,
    ) -> Result<Option<DiscountAutomaticBasicCreatePayload>> {
        let c = cx(ctx)?;
        let mut st = lock(&c.state.store);
        Ok(Some(
            match discount_build(&mut st, &automatic_basic_discount, None) {
                Ok(rec) => {
                    st.discounts.insert(rec.id, rec.clone());
                    DiscountAutomaticBasicCreatePayload {
                        automatic_discount_node: Some(DiscountAutomaticNode(rec)),
                        user_errors: Vec::new(),
                    }
                }
                Err(errors) => DiscountAutomaticBasicCreatePayload {
                    automatic_discount_node: None,
                    user_errors: errors,
                },
            },
        ))
    }

    async fn discount_automatic_basic_update(
        &self,
        ctx: &Context<'_>,
        id: ID,
        automatic_basic_discount: DiscountAutomaticBasicInput,
    ) -> Result<Option<DiscountAutomaticBasicUpdatePayload>> {
        let c = cx(ctx)?;
        let mut st = lock(&c.state.store);
        let Some(existing) = parse_gid("DiscountAutomaticNode", id.as_str())
            .and_then(|n| st.discounts.get(&n))
            .cloned()
        else {
            let e = DiscountUserError {
                code: Some(DiscountErrorCode::INVALID),
                extra_info: None,
                field: path(&["id"]),
                message: "Discount does not exist".into(),
            };
            return Ok(Some(DiscountAutomaticBasicUpdatePayload {
                automatic_discount_node: None,
                user_errors: vec![e],
            }));
        };
        Ok(Some(
            match discount_build(&mut st, &automatic_basic_discount, Some(&existing)) {
                Ok(rec) => {
                    st.discounts.insert(rec.id, rec.clone());
                    DiscountAutomaticBasicUpdatePayload {
                        automatic_discount_node: Some(DiscountAutomaticNode(rec)),
                        user_errors: Vec::new(),
                    }
                }
                Err(errors) => DiscountAutomaticBasicUpdatePayload {
                    automatic_discount_node: None,
                    user_errors: errors,
                },
            },
        ))
    }

    async fn price_list_fixed_prices_add(
        &self,
        ctx: &Context<'_>,
        price_list_id: ID,
        prices: Vec<PriceListPriceInput>,
    ) -> Result<Option<PriceListFixedPricesAddPayload>> {
        let result: Result<PriceListFixedPricesAddPayload> = async move {
        use PriceListPriceUserErrorCode as C;
        check_input_size("prices", prices.len())?;
        let c = cx(ctx)?;
        let mut st = lock(&c.state.store);
        let e = |code, f: &[&str], m: &str| PriceListPriceUserError::new(code, path(f), m);
        let Some(pl) = parse_gid("PriceList", price_list_id.as_str()).filter(|n| st.price_lists.contains_key(n)) else {
            return Ok(PriceListFixedPricesAddPayload { prices: None, user_errors: vec![e(C::PRICE_LIST_NOT_FOUND, &["priceListId"], "Price list not found.")] });
        };
        let currency = st.price_lists.get(&pl).map(|p| p.currency.clone()).unwrap_or_default();
        let mut errors = Vec::new();
        let mut plan = Vec::new();
        for (i, p) in prices.iter().enumerate() {
            let idx = i.to_string();
            let Some(vid) = parse_gid("ProductVariant", p.variant_id.as_str()).filter(|n| st.variants.contains_key(n)) else {
                errors.push(e(C::VARIANT_NOT_FOUND, &["prices", &idx, "variantId"], "Variant not found."));
                continue;
            };
            for (label, m) in [("price", Some(&p.price)), ("compareAtPrice", p.compare_at_price.as_ref())] {
                if let Some(m) = m {
                    if m.currency_code.as_str() != currency {
                        errors.push(e(C::PRICE_LIST_CURRENCY_MISMATCH, &["prices", &idx, label, "currencyCode"], &format!("The specified currency doesn't match the price list's currency ({currency}).")));
                    }
                    if m.amount.0.is_sign_negative() {
                        errors.push(e(C::BLANK, &["prices", &idx, label, "amount"], "Amount must be at least 0"));
                    }
                }
            }
            plan.push((vid, p.price.amount.0, p.compare_at_price.as_ref().map(|c| c.amount.0)));
        }
        if !errors.is_empty() {
            return Ok(PriceListFixedPricesAddPayload { prices: None, user_errors: errors });
        }
        let mut out = Vec::new();
        if let Some(list) = st.price_lists.get_mut(&pl) {
            for (vid, price, cmp) in plan {
                list.prices.insert(vid, (price, cmp));
                out.push(PriceListPrice { variant_id: vid, price, compare_at: cmp });
            }
        }
        Ok(PriceListFixedPricesAddPayload { prices: Some(out), user_errors: Vec::new() })
            }
        .await;
        result.map(Some)
    }
}

/// `automaticDiscountNode`.
#[derive(Default)]
pub(crate) struct DiscountQueries;

#[Object]
impl DiscountQueries {
    async fn automatic_discount_node(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<Option<DiscountAutomaticNode>> {
        let id = gid_arg("DiscountAutomaticNode", "id", &id)?;
        let st = lock(&cx(ctx)?.state.store);
        Ok(st.discounts.get(&id).cloned().map(DiscountAutomaticNode))
    }
}
