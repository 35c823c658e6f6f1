//! Scalars, enums (in `enums`) and small value objects of the served Admin schema subset.
//!
//! Names (types, fields, enum values) are exactly those of the 2026-01 Admin schema.

use async_graphql::{
    InputValueError, InputValueResult, Scalar, ScalarType, SimpleObject, Union, Value,
};
use chrono::{DateTime as ChronoDateTime, SecondsFormat, Utc};
use rust_decimal::Decimal;

/// Defines a GraphQL enum whose Rust variant names are the GraphQL values.
macro_rules! gql_enum {
    ($name:ident { $($(#[$meta:meta])* $item:ident),* $(,)? }) => {
        #[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq)]
        #[graphql(rename_items = "UPPERCASE")]
        #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
        pub(crate) enum $name { $($(#[$meta])* $item),* }

        #[allow(dead_code)]
        impl $name {
            /// The value named `s`.
            pub(crate) fn parse(s: &str) -> Option<Self> {
                match s {
                    $(stringify!($item) => Some(Self::$item),)*
                    _ => None,
                }
            }
            /// The GraphQL name of the value.
            pub(crate) fn as_str(self) -> &'static str {
                match self {
                    $(Self::$item => stringify!($item),)*
                }
            }
        }
    };
}
pub(crate) use gql_enum;

mod enums;
pub(crate) use enums::*;

// ---------------------------------------------------------------- scalars

fn decimal_from(value: &Value, what: &str) -> Result<Decimal, String> {
    match value {
        Value::String(s) => s
            .trim()
            .parse::<Decimal>()
            .map_err(|_| format!("`{s}` is not a valid {what}")),
        Value::Number(n) => n
            .to_string()
            .parse::<Decimal>()
            .map_err(|_| format!("`{n}` is not a valid {what}")),
        other => Err(format!("{what} must be a decimal string, got {other}")),
    }
}

/// `Money`: a decimal amount in the shop currency, sent as a string ("10.00").
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Money(pub(crate) Decimal);

#[Scalar(name = "Money")]
impl ScalarType for Money {
    fn parse(value: Value) -> InputValueResult<Self> {
        decimal_from(&value, "Money")
            .map(Money)
            .map_err(InputValueError::custom)
    }
    fn to_value(&self) -> Value {
        Value::String(money_str(self.0))
    }
}

/// `Decimal`: a decimal number sent as a string.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct DecimalScalar(pub(crate) Decimal);

#[Scalar(name = "Decimal")]
impl ScalarType for DecimalScalar {
    fn parse(value: Value) -> InputValueResult<Self> {
        decimal_from(&value, "Decimal")
            .map(DecimalScalar)
            .map_err(InputValueError::custom)
    }
    fn to_value(&self) -> Value {
        Value::String(money_str(self.0))
    }
}

/// Two decimal places at least (Shopify answers "10.0"; the stand-in answers "10.00").
pub(crate) fn money_str(d: Decimal) -> String {
    let mut d = d.normalize();
    if d.scale() < 2 {
        d.rescale(2);
    }
    d.to_string()
}

/// `DateTime`: an ISO 8601 UTC timestamp ("2026-01-01T00:00:00Z").
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct DateTime(pub(crate) ChronoDateTime<Utc>);

#[Scalar(name = "DateTime")]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => ChronoDateTime::parse_from_rfc3339(s)
                .map(|t| DateTime(t.with_timezone(&Utc)))
                .map_err(|_| {
                    InputValueError::custom(format!("`{s}` is not an ISO 8601 timestamp"))
                }),
            other => Err(InputValueError::expected_type(other.clone())),
        }
    }
    fn to_value(&self) -> Value {
        Value::String(time_str(self.0))
    }
}

/// Formats a timestamp the way Shopify does.
pub(crate) fn time_str(t: ChronoDateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `URL`: an RFC 3986 URL, as a string.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Url(pub(crate) String);

#[Scalar(name = "URL")]
impl ScalarType for Url {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) if s.contains("://") => Ok(Url(s.clone())),
            Value::String(s) => Err(InputValueError::custom(format!(
                "`{s}` is not an absolute URL"
            ))),
            other => Err(InputValueError::expected_type(other.clone())),
        }
    }
    fn to_value(&self) -> Value {
        Value::String(self.0.clone())
    }
}

/// `HTML`: an HTML string.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Html(pub(crate) String);

#[Scalar(name = "HTML")]
impl ScalarType for Html {
    fn parse(value: Value) -> InputValueResult<Self> {
        match value {
            Value::String(s) => Ok(Html(s)),
            other => Err(InputValueError::expected_type(other)),
        }
    }
    fn to_value(&self) -> Value {
        Value::String(self.0.clone())
    }
}

/// `UnsignedInt64`: a non-negative 64-bit integer sent as a string.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct UnsignedInt64(pub(crate) u64);

#[Scalar(name = "UnsignedInt64")]
impl ScalarType for UnsignedInt64 {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => s
                .parse()
                .map(UnsignedInt64)
                .map_err(|_| InputValueError::custom(format!("`{s}` is not an UnsignedInt64"))),
            Value::Number(n) => n
                .as_u64()
                .map(UnsignedInt64)
                .ok_or_else(|| InputValueError::custom(format!("`{n}` is not an UnsignedInt64"))),
            other => Err(InputValueError::expected_type(other.clone())),
        }
    }
    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

// ---------------------------------------------------------------- value objects

/// `MoneyV2`.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "MoneyV2")]
pub(crate) struct MoneyV2 {
    pub(crate) amount: DecimalScalar,
    pub(crate) currency_code: CurrencyCode,
}

impl MoneyV2 {
    pub(crate) fn new(amount: Decimal, currency: CurrencyCode) -> Self {
        MoneyV2 {
            amount: DecimalScalar(amount.round_dp(2)),
            currency_code: currency,
        }
    }
}

/// `MoneyBag`: an amount in shop and presentment currency (equal unless the stand-in is
/// configured with a presentment currency).
#[derive(SimpleObject, Debug, Clone)]
pub(crate) struct MoneyBag {
    pub(crate) shop_money: MoneyV2,
    pub(crate) presentment_money: MoneyV2,
}

impl MoneyBag {
    pub(crate) fn new(amount: Decimal, currency: CurrencyCode) -> Self {
        MoneyBag {
            shop_money: MoneyV2::new(amount, currency),
            presentment_money: MoneyV2::new(amount, currency),
        }
    }
}

/// `Count`.
#[derive(SimpleObject, Debug, Clone)]
pub(crate) struct Count {
    pub(crate) count: i32,
    pub(crate) precision: CountPrecision,
}

/// The bound a count stops at when its query gives no `limit` (Shopify's default).
pub(crate) const COUNT_LIMIT: usize = 10_000;

impl Count {
    pub(crate) fn exact(n: usize) -> Self {
        Count {
            count: i32::try_from(n).unwrap_or(i32::MAX),
            precision: CountPrecision::EXACT,
        }
    }

    /// `n` counted under a query's `limit` argument, as Shopify documents it: absent, the
    /// count stops at [`COUNT_LIMIT`]; `null`, there is no limit; a number, it stops there.
    /// A count that stopped is `AT_LEAST` the bound.
    pub(crate) fn limited(n: usize, limit: &async_graphql::MaybeUndefined<i32>) -> Self {
        let bound = match limit {
            async_graphql::MaybeUndefined::Undefined => Some(COUNT_LIMIT),
            async_graphql::MaybeUndefined::Null => None,
            async_graphql::MaybeUndefined::Value(v) => Some(usize::try_from(*v).unwrap_or(0)),
        };
        match bound {
            Some(bound) if n > bound => Count {
                count: i32::try_from(bound).unwrap_or(i32::MAX),
                precision: CountPrecision::AT_LEAST,
            },
            _ => Count::exact(n),
        }
    }
}

/// `PricingPercentageValue`.
#[derive(SimpleObject, Debug, Clone)]
pub(crate) struct PricingPercentageValue {
    pub(crate) percentage: f64,
}

/// `PricingValue`.
#[derive(Union, Debug, Clone)]
pub(crate) enum PricingValue {
    MoneyV2(MoneyV2),
    PricingPercentageValue(PricingPercentageValue),
}

/// `UserError`.
#[derive(SimpleObject, Debug, Clone)]
pub(crate) struct UserError {
    pub(crate) field: Option<Vec<String>>,
    pub(crate) message: String,
}

/// Builds a field path such as `["input", "quantities", "0", "quantity"]`.
pub(crate) fn path(parts: &[&str]) -> Option<Vec<String>> {
    Some(parts.iter().map(|s| s.to_string()).collect())
}

macro_rules! coded_error {
    ($name:ident, $code:ty) => {
        #[doc = concat!("`", stringify!($name), "`.")]
        #[derive(SimpleObject, Debug, Clone)]
        pub(crate) struct $name {
            pub(crate) code: Option<$code>,
            pub(crate) field: Option<Vec<String>>,
            pub(crate) message: String,
        }

        impl $name {
            pub(crate) fn new(
                code: $code,
                field: Option<Vec<String>>,
                message: impl Into<String>,
            ) -> Self {
                $name {
                    code: Some(code),
                    field,
                    message: message.into(),
                }
            }
        }
    };
}

coded_error!(ProductSetUserError, ProductSetUserErrorCode);
coded_error!(
    ProductVariantsBulkUpdateUserError,
    ProductVariantsBulkUpdateUserErrorCode
);
coded_error!(
    InventorySetQuantitiesUserError,
    InventorySetQuantitiesUserErrorCode
);
coded_error!(MediaUserError, MediaUserErrorCode);
coded_error!(ReturnUserError, ReturnErrorCode);
coded_error!(
    InventoryAdjustQuantitiesUserError,
    InventoryAdjustQuantitiesUserErrorCode
);
coded_error!(
    ProductVariantsBulkCreateUserError,
    ProductVariantsBulkCreateUserErrorCode
);
coded_error!(
    ProductVariantsBulkDeleteUserError,
    ProductVariantsBulkDeleteUserErrorCode
);
coded_error!(FilesUserError, FilesErrorCode);
coded_error!(BulkOperationUserError, BulkOperationUserErrorCode);
coded_error!(BulkMutationUserError, BulkMutationErrorCode);
coded_error!(PriceListPriceUserError, PriceListPriceUserErrorCode);

/// `DiscountUserError`.
#[derive(SimpleObject, Debug, Clone)]
pub(crate) struct DiscountUserError {
    pub(crate) code: Option<DiscountErrorCode>,
    pub(crate) extra_info: Option<String>,
    pub(crate) field: Option<Vec<String>>,
    pub(crate) message: String,
}

/// `ShopPlan`.
#[derive(SimpleObject, Debug, Clone)]
pub(crate) struct ShopPlan {
    pub(crate) display_name: String,
    pub(crate) partner_development: bool,
    pub(crate) public_display_name: String,
    pub(crate) shopify_plus: bool,
}

/// `Domain`.
#[derive(SimpleObject, Debug, Clone)]
pub(crate) struct Domain {
    pub(crate) host: String,
    pub(crate) id: async_graphql::ID,
    pub(crate) ssl_enabled: bool,
    pub(crate) url: Url,
}

/// `AppInstallation`: the calling app's installation on the shop.
#[derive(SimpleObject, Debug, Clone)]
pub(crate) struct AppInstallation {
    pub(crate) id: async_graphql::ID,
    pub(crate) access_scopes: Vec<AccessScope>,
}

/// `AccessScope`.
#[derive(SimpleObject, Debug, Clone)]
pub(crate) struct AccessScope {
    pub(crate) description: String,
    pub(crate) handle: String,
}

/// `LocationAddress`.
#[derive(SimpleObject, Debug, Clone)]
pub(crate) struct LocationAddress {
    pub(crate) address1: Option<String>,
    pub(crate) address2: Option<String>,
    pub(crate) city: Option<String>,
    pub(crate) country: Option<String>,
    pub(crate) country_code: Option<String>,
    pub(crate) formatted: Vec<String>,
    pub(crate) phone: Option<String>,
    pub(crate) province: Option<String>,
    pub(crate) province_code: Option<String>,
    pub(crate) zip: Option<String>,
}

/// `SelectedOption` (without `optionValue`, see `ProductVariant.selectedOptions`).
#[derive(SimpleObject, Debug, Clone)]
pub(crate) struct ProductOptionValue {
    pub(crate) id: async_graphql::ID,
    pub(crate) name: String,
    pub(crate) has_variants: bool,
}

/// `SelectedOption`.
#[derive(SimpleObject, Debug, Clone)]
pub(crate) struct SelectedOption {
    pub(crate) name: String,
    pub(crate) value: String,
    pub(crate) option_value: ProductOptionValue,
}

/// `ProductOption`.
#[derive(SimpleObject, Debug, Clone)]
pub(crate) struct ProductOption {
    pub(crate) id: async_graphql::ID,
    pub(crate) name: String,
    pub(crate) position: i32,
    pub(crate) values: Vec<String>,
    pub(crate) option_values: Vec<ProductOptionValue>,
}

/// `ProductPriceRangeV2`.
#[derive(SimpleObject, Debug, Clone)]
pub(crate) struct ProductPriceRangeV2 {
    pub(crate) max_variant_price: MoneyV2,
    pub(crate) min_variant_price: MoneyV2,
}

/// `StagedUploadParameter`.
#[derive(SimpleObject, Debug, Clone)]
pub(crate) struct StagedUploadParameter {
    pub(crate) name: String,
    pub(crate) value: String,
}

/// `StagedMediaUploadTarget`.
#[derive(SimpleObject, Debug, Clone)]
pub(crate) struct StagedMediaUploadTarget {
    pub(crate) parameters: Vec<StagedUploadParameter>,
    pub(crate) resource_url: Option<Url>,
    pub(crate) url: Option<Url>,
}

/// `Image`.
#[derive(SimpleObject, Debug, Clone)]
pub(crate) struct Image {
    pub(crate) id: Option<async_graphql::ID>,
    pub(crate) alt_text: Option<String>,
    pub(crate) url: Url,
    pub(crate) original_src: Url,
    pub(crate) src: Url,
    pub(crate) width: Option<i32>,
    pub(crate) height: Option<i32>,
}

/// `MediaPreviewImage`.
#[derive(SimpleObject, Debug, Clone)]
pub(crate) struct MediaPreviewImage {
    pub(crate) image: Option<Image>,
    pub(crate) status: MediaPreviewImageStatus,
}

/// `MediaError`.
#[derive(SimpleObject, Debug, Clone)]
pub(crate) struct MediaError {
    pub(crate) code: MediaErrorCode,
    pub(crate) details: Option<String>,
    pub(crate) message: String,
}

/// `FileError`.
#[derive(SimpleObject, Debug, Clone)]
pub(crate) struct FileError {
    pub(crate) code: FileErrorCode,
    pub(crate) details: Option<String>,
    pub(crate) message: String,
}

/// `MediaWarning`.
#[derive(SimpleObject, Debug, Clone)]
pub(crate) struct MediaWarning {
    pub(crate) code: MediaWarningCode,
    pub(crate) message: Option<String>,
}

/// `MediaImageOriginalSource`.
#[derive(SimpleObject, Debug, Clone)]
pub(crate) struct MediaImageOriginalSource {
    pub(crate) file_size: Option<i32>,
    pub(crate) url: Option<Url>,
}

/// `TaxLine`.
#[derive(SimpleObject, Debug, Clone)]
pub(crate) struct TaxLine {
    pub(crate) channel_liable: Option<bool>,
    pub(crate) price_set: MoneyBag,
    pub(crate) rate: Option<f64>,
    pub(crate) rate_percentage: Option<f64>,
    pub(crate) source: Option<String>,
    pub(crate) title: String,
}

/// `Attribute`.
#[derive(SimpleObject, Debug, Clone)]
pub(crate) struct Attribute {
    pub(crate) key: String,
    pub(crate) value: Option<String>,
}

/// `FulfillmentTrackingInfo`.
#[derive(SimpleObject, Debug, Clone)]
pub(crate) struct FulfillmentTrackingInfo {
    pub(crate) company: Option<String>,
    pub(crate) number: Option<String>,
    pub(crate) url: Option<Url>,
}

/// `CustomerEmailAddress` (the address only).
#[derive(SimpleObject, Debug, Clone)]
pub(crate) struct CustomerEmailAddress {
    pub(crate) email_address: String,
}

/// `CustomerPhoneNumber` (the number only).
#[derive(SimpleObject, Debug, Clone)]
pub(crate) struct CustomerPhoneNumber {
    pub(crate) phone_number: String,
}

/// `ApiVersion`.
#[derive(SimpleObject, Debug, Clone)]
pub(crate) struct ApiVersion {
    pub(crate) display_name: String,
    pub(crate) handle: String,
    pub(crate) supported: bool,
}

/// `SEO`.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "SEO")]
pub(crate) struct Seo {
    pub(crate) description: Option<String>,
    pub(crate) title: Option<String>,
}

#[cfg(test)]
mod tests {
    use async_graphql::MaybeUndefined;

    use super::*;

    #[test]
    fn a_count_stops_at_ten_thousand_unless_its_limit_says_otherwise() {
        let at = |n, limit| {
            let c = Count::limited(n, &limit);
            (c.count, c.precision == CountPrecision::EXACT)
        };
        assert_eq!(at(10_000, MaybeUndefined::Undefined), (10_000, true));
        assert_eq!(at(10_001, MaybeUndefined::Undefined), (10_000, false));
        assert_eq!(at(50_000, MaybeUndefined::Null), (50_000, true));
        assert_eq!(at(50_000, MaybeUndefined::Value(20_000)), (20_000, false));
        assert_eq!(at(3, MaybeUndefined::Value(-1)), (0, false));
    }

    #[test]
    fn money_has_two_decimals_and_parses_strings_and_numbers() {
        assert_eq!(money_str(Decimal::new(10, 0)), "10.00");
        assert_eq!(money_str(Decimal::new(12345, 3)), "12.345");
        assert_eq!(
            Money::parse(Value::String("9.5".into())).unwrap().0,
            Decimal::new(95, 1)
        );
        assert!(Money::parse(Value::String("ten".into())).is_err());
        assert_eq!(ProductStatus::parse("DRAFT"), Some(ProductStatus::DRAFT));
        assert_eq!(
            OrderDisplayFinancialStatus::PARTIALLY_REFUNDED.as_str(),
            "PARTIALLY_REFUNDED"
        );
    }
}
