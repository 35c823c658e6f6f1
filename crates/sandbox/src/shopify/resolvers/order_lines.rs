//! An order's parts: discount applications and allocations, line items, shipping lines and
//! transactions.

use async_graphql::{Context, Interface, Object, Result};
use rust_decimal::Decimal;

use super::outputs::*;
use super::*;
use crate::shopify::lock;
use crate::shopify::orders::refunded_quantities;
use crate::shopify::store::*;
use crate::shopify::types::*;

pub(crate) fn tax_line(ctx: &Context<'_>, t: &TaxRec) -> Result<TaxLine> {
    let rate: f64 = t.rate.try_into().unwrap_or(0.0);
    Ok(TaxLine {
        channel_liable: Some(false),
        price_set: bag(ctx, t.amount)?,
        rate: Some(rate),
        rate_percentage: Some((rate * 10000.0).round() / 100.0),
        source: Some("Shopify".to_string()),
        title: t.title.clone(),
    })
}
pub(crate) fn discount_application(
    ctx: &Context<'_>,
    index: usize,
    a: &DiscountAppRec,
) -> Result<DiscountApplication> {
    let value = match (a.percentage, a.amount) {
        (Some(p), _) => {
            PricingValue::PricingPercentageValue(PricingPercentageValue { percentage: p })
        }
        (None, Some(m)) => PricingValue::MoneyV2(money(ctx, m)?),
        (None, None) => PricingValue::MoneyV2(money(ctx, Decimal::ZERO)?),
    };
    let common = AppCommon {
        allocation_method: DiscountApplicationAllocationMethod::ACROSS,
        index: index as i32,
        target_selection: DiscountApplicationTargetSelection::ALL,
        target_type: if a.target_shipping {
            DiscountApplicationTargetType::SHIPPING_LINE
        } else {
            DiscountApplicationTargetType::LINE_ITEM
        },
        value,
        title: a.title.clone(),
    };
    Ok(match &a.code {
        Some(code) => DiscountApplication::DiscountCodeApplication(DiscountCodeApplication {
            c: common,
            code: code.clone(),
        }),
        None => DiscountApplication::AutomaticDiscountApplication(AutomaticDiscountApplication {
            c: common,
        }),
    })
}

#[derive(Clone)]
pub(crate) struct AppCommon {
    allocation_method: DiscountApplicationAllocationMethod,
    index: i32,
    target_selection: DiscountApplicationTargetSelection,
    target_type: DiscountApplicationTargetType,
    value: PricingValue,
    title: String,
}

#[derive(Clone)]
pub(crate) struct AutomaticDiscountApplication {
    c: AppCommon,
}

#[Object]
impl AutomaticDiscountApplication {
    async fn allocation_method(&self) -> Result<DiscountApplicationAllocationMethod> {
        Ok(self.c.allocation_method)
    }
    async fn index(&self) -> Result<i32> {
        Ok(self.c.index)
    }
    async fn target_selection(&self) -> Result<DiscountApplicationTargetSelection> {
        Ok(self.c.target_selection)
    }
    async fn target_type(&self) -> Result<DiscountApplicationTargetType> {
        Ok(self.c.target_type)
    }
    async fn value(&self) -> Result<PricingValue> {
        Ok(self.c.value.clone())
    }
    async fn title(&self) -> &str {
        &self.c.title
    }
}

#[derive(Clone)]
pub(crate) struct DiscountCodeApplication {
    c: AppCommon,
    code: String,
}

#[Object]
impl DiscountCodeApplication {
    async fn allocation_method(&self) -> Result<DiscountApplicationAllocationMethod> {
        Ok(self.c.allocation_method)
    }
    async fn index(&self) -> Result<i32> {
        Ok(self.c.index)
    }
    async fn target_selection(&self) -> Result<DiscountApplicationTargetSelection> {
        Ok(self.c.target_selection)
    }
    async fn target_type(&self) -> Result<DiscountApplicationTargetType> {
        Ok(self.c.target_type)
    }
    async fn value(&self) -> Result<PricingValue> {
        Ok(self.c.value.clone())
    }
    async fn code(&self) -> &str {
        &self.code
    }
}

/// `DiscountApplication` interface.
#[allow(clippy::duplicated_attributes)]
#[derive(Interface, Clone)]
#[graphql(
    field(name = "allocation_method", ty = "DiscountApplicationAllocationMethod"),
    field(name = "index", ty = "i32"),
    field(name = "target_selection", ty = "DiscountApplicationTargetSelection"),
    field(name = "target_type", ty = "DiscountApplicationTargetType"),
    field(name = "value", ty = "PricingValue")
)]
pub(crate) enum DiscountApplication {
    AutomaticDiscountApplication(AutomaticDiscountApplication),
    DiscountCodeApplication(DiscountCodeApplication),
}

pub(crate) struct DiscountAllocation {
    amount: Decimal,
    application: DiscountApplication,
}

#[Object]
impl DiscountAllocation {
    async fn allocated_amount_set(&self, ctx: &Context<'_>) -> Result<MoneyBag> {
        bag(ctx, self.amount)
    }
    async fn discount_application(&self) -> &DiscountApplication {
        &self.application
    }
}

#[Object]
impl LineItem {
    async fn id(&self) -> Result<ID> {
        Ok(gql_id("LineItem", self.line.id))
    }
    async fn name(&self) -> String {
        match &self.line.variant_title {
            Some(v) => format!("{} - {v}", self.line.title),
            None => self.line.title.clone(),
        }
    }
    async fn title(&self) -> &str {
        &self.line.title
    }
    async fn variant_title(&self) -> Option<&str> {
        self.line.variant_title.as_deref()
    }
    async fn sku(&self) -> Option<&str> {
        self.line.sku.as_deref()
    }
    async fn vendor(&self) -> Option<&str> {
        None
    }
    async fn quantity(&self) -> i32 {
        self.line.quantity as i32
    }
    async fn current_quantity(&self, ctx: &Context<'_>) -> Result<i32> {
        let st = lock(&cx(ctx)?.state.store);
        let refunded = refunded_quantities(&st, &self.order)
            .iter()
            .find(|(id, _)| *id == self.line.id)
            .map_or(0, |(_, q)| *q);
        Ok((self.line.quantity - refunded) as i32)
    }
    async fn refundable_quantity(&self, ctx: &Context<'_>) -> Result<i32> {
        self.current_quantity(ctx).await
    }
    async fn unfulfilled_quantity(&self) -> i32 {
        (self.line.quantity - self.line.fulfilled_quantity) as i32
    }
    async fn non_fulfillable_quantity(&self) -> i32 {
        0
    }
    async fn requires_shipping(&self) -> bool {
        self.line.requires_shipping
    }
    async fn taxable(&self) -> bool {
        !self.line.tax_lines.is_empty()
    }
    async fn is_gift_card(&self) -> bool {
        false
    }
    async fn restockable(&self) -> bool {
        self.line.variant_id.is_some()
    }
    async fn variant(&self, ctx: &Context<'_>) -> Result<Option<ProductVariant>> {
        let st = lock(&cx(ctx)?.state.store);
        Ok(self
            .line
            .variant_id
            .and_then(|id| st.variants.get(&id))
            .cloned()
            .map(ProductVariant))
    }
    async fn product(&self, ctx: &Context<'_>) -> Result<Option<Product>> {
        let st = lock(&cx(ctx)?.state.store);
        Ok(self
            .line
            .product_id
            .and_then(|id| st.products.get(&id))
            .cloned()
            .map(Product))
    }
    async fn original_unit_price_set(&self, ctx: &Context<'_>) -> Result<MoneyBag> {
        bag(ctx, self.line.unit_price)
    }
    async fn original_total_set(&self, ctx: &Context<'_>) -> Result<MoneyBag> {
        bag(
            ctx,
            self.line.unit_price * Decimal::from(self.line.quantity),
        )
    }
    async fn discounted_unit_price_set(&self, ctx: &Context<'_>) -> Result<MoneyBag> {
        bag(ctx, self.line.unit_price)
    }
    async fn discounted_unit_price_after_all_discounts_set(
        &self,
        ctx: &Context<'_>,
    ) -> Result<MoneyBag> {
        let q = Decimal::from(self.line.quantity.max(1));
        bag(
            ctx,
            ((self.line.unit_price * q - self.line.discount_total()) / q).round_dp(2),
        )
    }
    async fn discounted_total_set(
        &self,
        ctx: &Context<'_>,
        with_code_discounts: Option<bool>,
    ) -> Result<MoneyBag> {
        let gross = self.line.unit_price * Decimal::from(self.line.quantity);
        if with_code_discounts.unwrap_or(false) {
            bag(ctx, gross - self.line.discount_total())
        } else {
            bag(ctx, gross)
        }
    }
    async fn total_discount_set(&self, ctx: &Context<'_>) -> Result<MoneyBag> {
        bag(ctx, self.line.discount_total())
    }
    async fn discount_allocations(&self, ctx: &Context<'_>) -> Result<Vec<DiscountAllocation>> {
        self.line
            .allocations
            .iter()
            .filter_map(|a| {
                self.order
                    .discount_apps
                    .get(a.application_index)
                    .map(|app| (a, app))
            })
            .map(|(a, app)| {
                Ok(DiscountAllocation {
                    amount: a.amount,
                    application: discount_application(ctx, a.application_index, app)?,
                })
            })
            .collect()
    }
    async fn tax_lines(&self, ctx: &Context<'_>, first: Option<i32>) -> Result<Vec<TaxLine>> {
        let n = first.map_or(usize::MAX, |n| n.max(0) as usize);
        self.line
            .tax_lines
            .iter()
            .take(n)
            .map(|t| tax_line(ctx, t))
            .collect()
    }
    async fn custom_attributes(&self) -> Vec<Attribute> {
        Vec::new()
    }
}

#[Object]
impl ShippingLine {
    async fn id(&self) -> Option<ID> {
        Some(gql_id("ShippingLine", self.0.id))
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn code(&self) -> Option<&str> {
        Some(&self.0.code)
    }
    async fn source(&self) -> Option<&str> {
        Some("shopify")
    }
    async fn carrier_identifier(&self) -> Option<&str> {
        None
    }
    async fn custom(&self) -> bool {
        false
    }
    async fn is_removed(&self) -> bool {
        false
    }
    async fn original_price_set(&self, ctx: &Context<'_>) -> Result<MoneyBag> {
        bag(ctx, self.0.price)
    }
    async fn discounted_price_set(&self, ctx: &Context<'_>) -> Result<MoneyBag> {
        bag(ctx, self.0.price)
    }
    async fn current_discounted_price_set(&self, ctx: &Context<'_>) -> Result<MoneyBag> {
        bag(ctx, self.0.price)
    }
    async fn tax_lines(&self, ctx: &Context<'_>) -> Result<Vec<TaxLine>> {
        self.0.tax_lines.iter().map(|t| tax_line(ctx, t)).collect()
    }
    async fn discount_allocations(&self) -> Vec<DiscountAllocation> {
        Vec::new()
    }
}

#[Object]
impl OrderTransaction {
    async fn id(&self) -> Result<ID> {
        Ok(gql_id("OrderTransaction", self.0.id))
    }
    async fn kind(&self) -> OrderTransactionKind {
        OrderTransactionKind::parse(self.0.kind).unwrap_or(OrderTransactionKind::SALE)
    }
    async fn status(&self) -> OrderTransactionStatus {
        OrderTransactionStatus::parse(self.0.status).unwrap_or(OrderTransactionStatus::UNKNOWN)
    }
    async fn gateway(&self) -> Option<&str> {
        Some(&self.0.gateway)
    }
    async fn formatted_gateway(&self) -> Option<String> {
        Some(
            self.0
                .gateway
                .split('_')
                .map(|w| {
                    let mut c = w.chars();
                    c.next()
                        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                        .unwrap_or_default()
                })
                .collect::<Vec<_>>()
                .join(" "),
        )
    }
    async fn manual_payment_gateway(&self) -> bool {
        self.0.gateway.contains("Cash") || self.0.gateway == "manual"
    }
    async fn test(&self) -> bool {
        false
    }
    async fn amount_set(&self, ctx: &Context<'_>) -> Result<MoneyBag> {
        bag(ctx, self.0.amount)
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
    async fn processed_at(&self) -> Option<DateTime> {
        Some(DateTime(self.0.created_at))
    }
}
