//! The receipt's buyer and currency from the neutral order.
//!
//! - **Type.** A B2B order's company is a business (`B`), or a foreigner (`F`) when the
//!   company location's billing country is known and not `EG`. Otherwise a customer carrying
//!   [`BuyerRules::foreign_tag`] is a foreigner and one carrying [`BuyerRules::business_tag`]
//!   a business (the foreign tag wins when both are set); everyone else is a person (`P`).
//! - **Id.** A B2B company's id is its location's tax registration id, then the configured
//!   sources; any other buyer's id is the first of [`BuyerRules::id_sources`] that holds one
//!   (the customer's tax id, the customer metafield, the order attribute). The id is checked
//!   by the buyer type's rule (9-digit RIN for `B`, 14-digit national id for `P`, at most 30
//!   characters for `F`; spaces and dashes dropped from digit ids); the first source that
//!   holds a valid one wins, and a source holding an invalid one is named in the reason.
//! - **Name.** The company's name, else the billing address's company for a business, else
//!   the customer's name.
//! - **Currency.** An order whose amounts are in EGP but which the customer paid in another
//!   currency (its presentment amounts) is issued in that currency, with `exchangeRate` = the
//!   order's EGP total ÷ its presentment total, rounded to 5 decimals (ETA keeps at most 5).
//!
//! A business or foreign buyer without a valid id, or a person at or above ETA's threshold
//! without one, parks on `buyer-id:<receipt number>` with a reason naming where the connector
//! looked.

use rust_decimal::{Decimal, RoundingStrategy};
use sync_core::connector::{ConnectorError, ConnectorResult};
use sync_core::model::{BuyerFacts, Order};

use crate::buyer::{BuyerRules, IdSource, foreign_id, national_id, registration_number};
use crate::codes::BuyerType;
use crate::mapping::SaleCurrency;
use crate::model::{Buyer, Receipt};
use crate::validate::{ValidationOptions, total_in_egp};

/// Decimals of `exchangeRate` (ETA keeps at most 5 decimals on its amounts).
pub(crate) const RATE_DECIMALS: u32 = 5;
/// The largest `exchangeRate` accepted (EGP per unit): far above any real currency, so a
/// wrong amount in the shop is refused rather than issued.
pub(crate) const MAX_RATE: Decimal = Decimal::from_parts(100_000, 0, 0, false, 0);

/// The buyer found for an order, and what was looked at to find it.
#[derive(Debug, Clone)]
pub(crate) struct BuyerLookup {
    /// The buyer to put on the receipt (id only when it is valid for its type).
    pub(crate) buyer: Buyer,
    /// Where the id was looked for, for reasons.
    pub(crate) looked: Vec<String>,
    /// A source holding an id that is not valid for the buyer's type, with the rule.
    pub(crate) invalid: Vec<String>,
}

fn blank(v: &Option<String>) -> bool {
    v.as_deref().is_none_or(|s| s.trim().is_empty())
}

fn source_value<'a>(
    facts: &'a BuyerFacts,
    rules: &BuyerRules,
    source: IdSource,
) -> (String, Option<&'a str>) {
    match source {
        IdSource::TaxId => (
            "the customer's tax id (taxSettings.taxId)".into(),
            facts.customer_tax_id.as_deref(),
        ),
        IdSource::Metafield => (
            format!("the customer metafield {}", rules.id_metafield),
            facts.customer_metafield.as_deref(),
        ),
        IdSource::Attribute => (
            format!("the order attribute {:?}", rules.id_attribute),
            facts.attribute(&rules.id_attribute),
        ),
    }
}

/// The buyer of `order` by `rules`.
pub(crate) fn lookup(order: &Order, rules: &BuyerRules) -> BuyerLookup {
    let facts = &order.buyer;
    let company = facts.company.as_ref();
    let tagged = |tag: &Option<String>| tag.as_deref().is_some_and(|t| facts.has_tag(t));
    let buyer_type = match company {
        Some(c) => match c.country_code.as_deref() {
            Some(cc) if !cc.eq_ignore_ascii_case("EG") => BuyerType::Foreigner,
            _ => BuyerType::Business,
        },
        None if tagged(&rules.foreign_tag) => BuyerType::Foreigner,
        None if tagged(&rules.business_tag) => BuyerType::Business,
        None => BuyerType::Person,
    };
    let check = |text: &str| match buyer_type {
        BuyerType::Business => registration_number(text)
            .ok_or("not a 9-digit registration number (RIN) as ETA needs for a business buyer"),
        BuyerType::Person => {
            national_id(text).ok_or("not a 14-digit national id as ETA needs for a person")
        }
        BuyerType::Foreigner => foreign_id(text)
            .ok_or("not a foreign buyer id ETA takes (1 to 30 characters, no control characters)"),
    };
    let mut candidates: Vec<(String, Option<&str>)> = Vec::new();
    if let Some(c) = company {
        candidates.push((
            format!(
                "the tax registration id of company {:?} (taxSettings.taxRegistrationId)",
                c.name
            ),
            c.tax_registration_id.as_deref(),
        ));
    }
    for source in &rules.id_sources {
        candidates.push(source_value(facts, rules, *source));
    }
    let mut looked = Vec::new();
    let mut invalid = Vec::new();
    let mut id = None;
    for (place, value) in candidates {
        looked.push(place.clone());
        let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
            continue;
        };
        match check(value) {
            Ok(v) => {
                id = Some(v);
                break;
            }
            Err(rule) => invalid.push(format!("{place} holds {value:?}, {rule}")),
        }
    }
    let customer_name = order
        .customer
        .as_ref()
        .map(|c| c.display_name())
        .filter(|n| !n.trim().is_empty());
    let billing_company = order
        .billing_address
        .as_ref()
        .and_then(|a| a.company.clone())
        .filter(|n| !n.trim().is_empty());
    let name = match (company, buyer_type) {
        (Some(c), _) if !c.name.trim().is_empty() => Some(c.name.trim().to_owned()),
        (_, BuyerType::Business) => billing_company.or(customer_name),
        _ => customer_name,
    };
    BuyerLookup {
        buyer: Buyer {
            buyer_type,
            id,
            name,
            mobile_number: order.customer.as_ref().and_then(|c| c.phone.clone()),
            ..Buyer::walk_in()
        },
        looked,
        invalid,
    }
}

/// Refuses to issue `receipt` when its buyer lacks what ETA needs: the job parks on
/// `buyer-id:<receipt number>` with a reason naming where the connector looked.
pub(crate) fn require(
    receipt: &Receipt,
    lookup: &BuyerLookup,
    options: &ValidationOptions,
) -> ConnectorResult<()> {
    let buyer = &receipt.buyer;
    let egp = total_in_egp(receipt);
    let (who, needs) = match buyer.buyer_type {
        BuyerType::Business => (
            "the buyer is a business (B)".to_owned(),
            "its 9-digit registration number (RIN) and name",
        ),
        BuyerType::Foreigner => (
            "the buyer is a foreigner (F)".to_owned(),
            "the buyer's id and name",
        ),
        BuyerType::Person if egp >= options.person_id_threshold => (
            format!(
                "the buyer is a person and the total is {} EGP, at or above ETA's {} EGP",
                egp.round_dp(2),
                options.person_id_threshold
            ),
            "the buyer's 14-digit national id and name (id and name)",
        ),
        BuyerType::Person => return Ok(()),
    };
    if !blank(&buyer.id) && !blank(&buyer.name) {
        return Ok(());
    }
    let number = &receipt.header.receipt_number;
    let missing = match (blank(&buyer.id), blank(&buyer.name)) {
        (true, true) => "no valid id and no name",
        (true, false) => "no valid id",
        _ => "no name",
    };
    let mut reason = format!(
        "receipt {number}: {who}, so ETA needs {needs}; the order carries {missing}. \
         Looked in: {}",
        lookup.looked.join(", ")
    );
    if !lookup.invalid.is_empty() {
        reason.push_str(&format!("; refused: {}", lookup.invalid.join("; ")));
    }
    reason.push_str(". Add it in the shop, then replay the job");
    Err(ConnectorError::needs_mapping(
        format!("buyer-id:{number}"),
        reason,
    ))
}

/// The currency an order's receipt is issued in: `None` for EGP; the presentment currency with
/// its rate to EGP for an EGP shop's order paid in another currency.
///
/// # Errors
///
/// A needs-mapping error on `currency:<code>` when the shop's currency is not EGP (the
/// connector reads no rate to EGP for it), or when the rate cannot be derived from the order
/// (no presentment total, or a rate outside 0.00001..=100,000).
pub(crate) fn sale_currency(order: &Order) -> ConnectorResult<Option<SaleCurrency>> {
    if order.currency != sync_core::money::Currency::EGP {
        let code = order.currency.as_str();
        return Err(ConnectorError::needs_mapping(
            format!("currency:{code}"),
            format!(
                "order {}: the shop's amounts are in {code}; a receipt needs the exchange rate \
                 of its amounts to EGP (ETA's exchangeRate), which the connector reads only for \
                 shops whose currency is EGP (from the order's shop and presentment amounts)",
                order.name
            ),
        ));
    }
    let Some(p) = &order.presentment else {
        return Ok(None);
    };
    if p.currency == sync_core::money::Currency::EGP {
        return Ok(None);
    }
    let code = p.currency.as_str();
    let park = |why: String| {
        Err(ConnectorError::needs_mapping(
            format!("currency:{code}"),
            format!("order {}: paid in {code}; {why}", order.name),
        ))
    };
    if p.total <= Decimal::ZERO || order.total <= Decimal::ZERO {
        return park(format!(
            "the exchange rate to EGP cannot be derived from totals of {} EGP and {} {code}",
            order.total, p.total
        ));
    }
    let rate = (order.total / p.total)
        .round_dp_with_strategy(RATE_DECIMALS, RoundingStrategy::MidpointAwayFromZero)
        .normalize();
    if rate <= Decimal::ZERO || rate > MAX_RATE {
        return park(format!(
            "the exchange rate {} EGP per {code} (from totals of {} EGP and {} {code}) is outside \
             0.00001..=100000",
            rate, order.total, p.total
        ));
    }
    Ok(Some(SaleCurrency {
        code: code.to_owned(),
        egp_per_unit: rate,
    }))
}
