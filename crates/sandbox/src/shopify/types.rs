//! Scalars, enums and small value objects of the served Admin schema subset.
//!
//! Names (types, fields, enum values) are exactly those of the 2026-01 Admin schema.

use async_graphql::{
    InputValueError, InputValueResult, Scalar, ScalarType, SimpleObject, Union, Value,
};
use chrono::{DateTime as ChronoDateTime, SecondsFormat, Utc};
use rust_decimal::Decimal;

/// Defines a GraphQL enum whose Rust variant names are the GraphQL values.
macro_rules! gql_enum {
    ($name:ident { $($item:ident),* $(,)? }) => {
        #[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq)]
        #[graphql(rename_items = "UPPERCASE")]
        #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
        pub(crate) enum $name { $($item),* }

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

// ---------------------------------------------------------------- enums

gql_enum!(CurrencyCode {
    EGP,
    USD,
    EUR,
    GBP,
    SAR,
    AED,
    KWD,
    QAR,
    BHD,
    OMR,
    JOD,
    CAD,
    AUD,
    JPY,
    CHF,
    CNY,
    INR,
    TRY
});
gql_enum!(CountryCode {
    EG,
    US,
    GB,
    DE,
    FR,
    SA,
    AE,
    KW,
    QA,
    JO,
    CA,
    AU,
    TR
});
gql_enum!(ProductStatus {
    ACTIVE,
    ARCHIVED,
    DRAFT,
    UNLISTED
});
gql_enum!(ProductVariantInventoryPolicy { DENY, CONTINUE });
gql_enum!(MediaContentType {
    VIDEO,
    EXTERNAL_VIDEO,
    MODEL_3D,
    IMAGE
});
gql_enum!(MediaStatus {
    UPLOADED,
    PROCESSING,
    READY,
    FAILED
});
gql_enum!(MediaPreviewImageStatus {
    UPLOADED,
    PROCESSING,
    READY,
    FAILED
});
gql_enum!(FileStatus {
    UPLOADED,
    PROCESSING,
    READY,
    FAILED
});
gql_enum!(FileContentType {
    IMAGE,
    FILE,
    VIDEO,
    EXTERNAL_VIDEO,
    MODEL_3D
});
gql_enum!(FileCreateInputDuplicateResolutionMode {
    APPEND_UUID,
    RAISE_ERROR,
    REPLACE
});
gql_enum!(MediaErrorCode {
    UNKNOWN,
    INVALID_SIGNED_URL,
    IMAGE_DOWNLOAD_FAILURE,
    IMAGE_PROCESSING_FAILURE,
    UNSUPPORTED_IMAGE_FILE_TYPE
});
gql_enum!(FileErrorCode {
    UNKNOWN,
    INVALID_SIGNED_URL,
    IMAGE_DOWNLOAD_FAILURE,
    IMAGE_PROCESSING_FAILURE,
    UNSUPPORTED_IMAGE_FILE_TYPE
});
gql_enum!(MediaWarningCode {
    MODEL_LARGE_PHYSICAL_SIZE,
    MODEL_SMALL_PHYSICAL_SIZE
});
gql_enum!(StagedUploadTargetGenerateUploadResource {
    COLLECTION_IMAGE,
    FILE,
    IMAGE,
    MODEL_3D,
    PRODUCT_IMAGE,
    SHOP_IMAGE,
    VIDEO,
    BULK_MUTATION_VARIABLES,
    RETURN_LABEL,
    URL_REDIRECT_IMPORT,
    DISPUTE_FILE_UPLOAD
});
gql_enum!(StagedUploadHttpMethodType { PUT, POST });
gql_enum!(ProductOperationStatus {
    CREATED,
    ACTIVE,
    COMPLETE
});
gql_enum!(ProductSetUserErrorCode {
    ID_NOT_ALLOWED,
    MISSING_FIELD_REQUIRED,
    INPUT_MISMATCH,
    NOT_FOUND,
    METAFIELD_MISMATCH,
    GENERIC_ERROR,
    INVALID_METAFIELD,
    INVALID_VARIANT,
    PRODUCT_DOES_NOT_EXIST,
    PRODUCT_SUSPENDED,
    PRODUCT_VARIANT_DOES_NOT_EXIST,
    OPTION_DOES_NOT_EXIST,
    OPTION_VALUE_DOES_NOT_EXIST,
    OPTIONS_OVER_LIMIT,
    OPTION_VALUES_OVER_LIMIT,
    OPTION_VALUES_MISSING,
    DUPLICATED_OPTION_NAME,
    DUPLICATED_OPTION_VALUE,
    VARIANTS_OVER_LIMIT,
    PRODUCT_OPTIONS_INPUT_MISSING,
    VARIANTS_INPUT_MISSING,
    GIFT_CARDS_NOT_ACTIVATED,
    GIFT_CARD_ATTRIBUTE_CANNOT_BE_CHANGED,
    INVALID_PRODUCT,
    INVALID_INPUT,
    JOB_ERROR,
    CAPABILITY_VIOLATION,
    CANNOT_COMBINE_LINKED_AND_NONLINKED_OPTION_VALUES,
    INVALID_METAFIELD_VALUE_FOR_LINKED_OPTION,
    DUPLICATE_LINKED_OPTION,
    DUPLICATED_METAFIELD_VALUE,
    LINKED_OPTIONS_NOT_SUPPORTED_FOR_SHOP,
    LINKED_METAFIELD_DEFINITION_NOT_FOUND,
    DUPLICATED_VALUE,
    HANDLE_NOT_UNIQUE,
    INVENTORY_QUANTITIES_LIMIT_EXCEEDED
});
gql_enum!(ProductVariantsBulkUpdateUserErrorCode {
    INVALID_INPUT,
    CANNOT_SPECIFY_BOTH,
    MUST_SPECIFY_ONE_OF_PAIR,
    OPTION_VALUE_NAME_TOO_LONG,
    PRODUCT_DOES_NOT_EXIST,
    PRODUCT_VARIANT_ID_MISSING,
    PRODUCT_VARIANT_DOES_NOT_EXIST,
    OPTION_DOES_NOT_EXIST,
    OPTION_VALUE_DOES_NOT_EXIST,
    MUST_BE_FOR_THIS_PRODUCT,
    NOT_DEFINED_FOR_SHOP,
    PRODUCT_SUSPENDED,
    NO_INVENTORY_QUANTITIES_ON_VARIANTS_UPDATE,
    VARIANT_ALREADY_EXISTS,
    GREATER_THAN_OR_EQUAL_TO,
    NEED_TO_ADD_OPTION_VALUES,
    OPTION_VALUES_FOR_NUMBER_OF_UNKNOWN_OPTIONS,
    SUBSCRIPTION_VIOLATION,
    NO_INVENTORY_QUANTITES_DURING_UPDATE,
    NEGATIVE_PRICE_VALUE,
    BLANK,
    TOO_SHORT,
    TOO_LONG,
    INVALID_VALUE,
    CANNOT_SET_NAME_FOR_LINKED_OPTION_VALUE,
    UNSUPPORTED_COMBINED_LISTING_PARENT_OPERATION,
    INVENTORY_QUANTITIES_LIMIT_EXCEEDED
});
gql_enum!(InventoryAdjustQuantitiesUserErrorCode {
    INTERNAL_LEDGER_DOCUMENT,
    INVALID_AVAILABLE_DOCUMENT,
    INVALID_INVENTORY_ITEM,
    INVALID_LEDGER_DOCUMENT,
    INVALID_LOCATION,
    INVALID_QUANTITY_DOCUMENT,
    INVALID_QUANTITY_NAME,
    INVALID_QUANTITY_TOO_LOW,
    INVALID_QUANTITY_TOO_HIGH,
    INVALID_REASON,
    INVALID_REFERENCE_DOCUMENT,
    SERVICE_UNAVAILABLE,
    CHANGE_FROM_QUANTITY_STALE,
    ADJUST_QUANTITIES_FAILED,
    MAX_ONE_LEDGER_DOCUMENT,
    ITEM_NOT_STOCKED_AT_LOCATION,
    NON_MUTABLE_INVENTORY_ITEM,
    IDEMPOTENCY_CONCURRENT_REQUEST,
    IDEMPOTENCY_KEY_PARAMETER_MISMATCH,
    IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED
});
gql_enum!(ProductVariantsBulkCreateUserErrorCode {
    INVALID_INPUT,
    PRODUCT_DOES_NOT_EXIST,
    NO_KEY_ON_CREATE,
    VARIANT_ALREADY_EXISTS,
    PRODUCT_SUSPENDED,
    GREATER_THAN_OR_EQUAL_TO,
    NEED_TO_ADD_OPTION_VALUES,
    OPTION_VALUES_FOR_NUMBER_OF_UNKNOWN_OPTIONS,
    TOO_MANY_INVENTORY_LOCATIONS,
    SUBSCRIPTION_VIOLATION,
    VARIANT_ALREADY_EXISTS_CHANGE_OPTION_VALUE,
    TRACKED_VARIANT_LOCATION_NOT_FOUND,
    MUST_BE_FOR_THIS_PRODUCT,
    NOT_DEFINED_FOR_SHOP,
    INVALID,
    NEGATIVE_PRICE_VALUE,
    INVENTORY_QUANTITIES_LIMIT_EXCEEDED
});
gql_enum!(ProductVariantsBulkDeleteUserErrorCode {
    PRODUCT_DOES_NOT_EXIST,
    PRODUCT_SUSPENDED,
    CANNOT_DELETE_LAST_VARIANT,
    AT_LEAST_ONE_VARIANT_DOES_NOT_BELONG_TO_THE_PRODUCT
});
gql_enum!(ProductVariantsBulkCreateStrategy {
    DEFAULT,
    REMOVE_STANDALONE_VARIANT,
    PRESERVE_STANDALONE_VARIANT
});
gql_enum!(InventorySetQuantitiesUserErrorCode {
    INVALID_INVENTORY_ITEM,
    INVALID_LOCATION,
    INVALID_QUANTITY_NEGATIVE,
    INVALID_REASON,
    INVALID_REFERENCE_DOCUMENT,
    ITEM_NOT_STOCKED_AT_LOCATION,
    INVALID_QUANTITY_TOO_HIGH,
    INVALID_QUANTITY_TOO_LOW,
    COMPARE_QUANTITY_REQUIRED,
    COMPARE_QUANTITY_STALE,
    CHANGE_FROM_QUANTITY_STALE,
    INVALID_NAME,
    NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR,
    NON_MUTABLE_INVENTORY_ITEM,
    IDEMPOTENCY_CONCURRENT_REQUEST,
    IDEMPOTENCY_KEY_PARAMETER_MISMATCH,
    IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED
});
gql_enum!(MediaUserErrorCode {
    INVALID,
    BLANK,
    VIDEO_VALIDATION_ERROR,
    MODEL3D_VALIDATION_ERROR,
    VIDEO_THROTTLE_EXCEEDED,
    MODEL3D_THROTTLE_EXCEEDED,
    PRODUCT_MEDIA_LIMIT_EXCEEDED,
    SHOP_MEDIA_LIMIT_EXCEEDED,
    PRODUCT_DOES_NOT_EXIST,
    MEDIA_DOES_NOT_EXIST,
    MEDIA_DOES_NOT_EXIST_ON_PRODUCT,
    TOO_MANY_MEDIA_PER_INPUT_PAIR,
    MAXIMUM_VARIANT_MEDIA_PAIRS_EXCEEDED,
    INVALID_MEDIA_TYPE,
    PRODUCT_VARIANT_SPECIFIED_MULTIPLE_TIMES,
    PRODUCT_VARIANT_DOES_NOT_EXIST_ON_PRODUCT,
    NON_READY_MEDIA,
    PRODUCT_VARIANT_ALREADY_HAS_MEDIA,
    MEDIA_IS_NOT_ATTACHED_TO_VARIANT,
    MEDIA_CANNOT_BE_MODIFIED,
    PRODUCT_SUSPENDED,
    MISSING_ARGUMENTS
});
gql_enum!(FilesErrorCode {
    INVALID,
    FILE_DOES_NOT_EXIST,
    FILE_LOCKED,
    TOO_MANY_ARGUMENTS,
    MISSING_ARGUMENTS,
    INVALID_FILENAME_EXTENSION,
    INVALID_FILENAME,
    FILENAME_ALREADY_EXISTS,
    INVALID_IMAGE_SOURCE_URL,
    NON_IMAGE_MEDIA_PER_SHOP_LIMIT_EXCEEDED,
    MEDIA_CANNOT_BE_MODIFIED
});
gql_enum!(OrderDisplayFinancialStatus {
    PENDING,
    AUTHORIZED,
    PARTIALLY_PAID,
    PARTIALLY_REFUNDED,
    VOIDED,
    PAID,
    REFUNDED,
    EXPIRED
});
gql_enum!(OrderDisplayFulfillmentStatus {
    UNFULFILLED,
    PARTIALLY_FULFILLED,
    FULFILLED,
    RESTOCKED,
    PENDING_FULFILLMENT,
    OPEN,
    IN_PROGRESS,
    ON_HOLD,
    SCHEDULED,
    REQUEST_DECLINED
});
gql_enum!(OrderSortKeys {
    CREATED_AT,
    CURRENT_TOTAL_PRICE,
    CUSTOMER_NAME,
    DESTINATION,
    FINANCIAL_STATUS,
    FULFILLMENT_STATUS,
    ID,
    ORDER_NUMBER,
    PO_NUMBER,
    PROCESSED_AT,
    RELEVANCE,
    TOTAL_ITEMS_QUANTITY,
    TOTAL_PRICE,
    UPDATED_AT
});
gql_enum!(OrderCancelReason {
    CUSTOMER,
    DECLINED,
    FRAUD,
    INVENTORY,
    STAFF,
    OTHER
});
gql_enum!(OrderTransactionKind {
    SALE,
    CAPTURE,
    AUTHORIZATION,
    VOID,
    REFUND,
    CHANGE,
    EMV_AUTHORIZATION,
    SUGGESTED_REFUND
});
gql_enum!(OrderTransactionStatus {
    SUCCESS,
    FAILURE,
    PENDING,
    ERROR,
    AWAITING_RESPONSE,
    UNKNOWN
});
gql_enum!(CustomerSortKeys {
    CREATED_AT,
    ID,
    LOCATION,
    NAME,
    RELEVANCE,
    UPDATED_AT
});
gql_enum!(CustomerState {
    DECLINED,
    DISABLED,
    ENABLED,
    INVITED
});
gql_enum!(ProductSortKeys {
    CREATED_AT,
    ID,
    INVENTORY_TOTAL,
    PRODUCT_TYPE,
    PUBLISHED_AT,
    RELEVANCE,
    TITLE,
    UPDATED_AT,
    VENDOR
});
gql_enum!(ProductVariantSortKeys {
    FULL_TITLE,
    ID,
    INVENTORY_LEVELS_AVAILABLE,
    INVENTORY_MANAGEMENT,
    INVENTORY_POLICY,
    INVENTORY_QUANTITY,
    NAME,
    POPULAR,
    POSITION,
    RELEVANCE,
    SKU,
    TITLE
});
gql_enum!(LocationSortKeys {
    ID,
    NAME,
    RELEVANCE
});
gql_enum!(RefundLineItemRestockType {
    RETURN,
    CANCEL,
    LEGACY_RESTOCK,
    NO_RESTOCK
});
gql_enum!(DiscountApplicationAllocationMethod { ACROSS, EACH, ONE });
gql_enum!(DiscountApplicationTargetSelection {
    ALL,
    ENTITLED,
    EXPLICIT
});
gql_enum!(DiscountApplicationTargetType {
    LINE_ITEM,
    SHIPPING_LINE
});
gql_enum!(FulfillmentStatus {
    PENDING,
    OPEN,
    SUCCESS,
    CANCELLED,
    ERROR,
    FAILURE
});
gql_enum!(FulfillmentOrderStatus {
    OPEN,
    IN_PROGRESS,
    CANCELLED,
    INCOMPLETE,
    CLOSED,
    SCHEDULED,
    ON_HOLD
});
gql_enum!(WebhookSubscriptionTopic {
    APP_UNINSTALLED,
    BULK_OPERATIONS_FINISH,
    CUSTOMERS_CREATE,
    CUSTOMERS_DELETE,
    CUSTOMERS_UPDATE,
    FULFILLMENTS_CREATE,
    INVENTORY_LEVELS_UPDATE,
    ORDERS_CANCELLED,
    ORDERS_CREATE,
    ORDERS_DELETE,
    ORDERS_EDITED,
    ORDERS_FULFILLED,
    ORDERS_PAID,
    ORDERS_PARTIALLY_FULFILLED,
    ORDERS_UPDATED,
    PRODUCTS_CREATE,
    PRODUCTS_DELETE,
    PRODUCTS_UPDATE,
    REFUNDS_CREATE
});
gql_enum!(WebhookSubscriptionFormat { JSON, XML });
gql_enum!(WebhookSubscriptionSortKeys { CREATED_AT, ID });
gql_enum!(BulkOperationStatus {
    CANCELED,
    CANCELING,
    COMPLETED,
    CREATED,
    EXPIRED,
    FAILED,
    RUNNING
});
gql_enum!(BulkOperationType { QUERY, MUTATION });
gql_enum!(BulkOperationErrorCode {
    ACCESS_DENIED,
    INTERNAL_SERVER_ERROR,
    TIMEOUT
});
gql_enum!(BulkOperationUserErrorCode {
    OPERATION_IN_PROGRESS,
    INVALID,
    LIMIT_REACHED
});
gql_enum!(BulkMutationErrorCode {
    OPERATION_IN_PROGRESS,
    INVALID_MUTATION,
    INVALID_STAGED_UPLOAD_FILE,
    NO_SUCH_FILE,
    INTERNAL_FILE_SERVER_ERROR,
    LIMIT_REACHED
});
gql_enum!(PriceListPriceUserErrorCode {
    BLANK,
    PRICE_LIST_NOT_FOUND,
    PRICE_LIST_CURRENCY_MISMATCH,
    LOCAL_CURRENCY_GIFT_CARD_ISSUANCE_CURRENCY_MISMATCH,
    LOCAL_CURRENCY_GIFT_CARD_LIMIT_EXCEEDED,
    VARIANT_NOT_FOUND,
    PRICE_NOT_FIXED
});
gql_enum!(PriceListPriceOriginType { FIXED, RELATIVE });
gql_enum!(DiscountErrorCode {
    BLANK,
    PRESENT,
    EQUAL_TO,
    GREATER_THAN,
    GREATER_THAN_OR_EQUAL_TO,
    INVALID,
    LESS_THAN_OR_EQUAL_TO,
    LESS_THAN,
    TAKEN,
    TOO_LONG,
    TOO_SHORT,
    INTERNAL_ERROR,
    TOO_MANY_ARGUMENTS,
    MISSING_ARGUMENT,
    ACTIVE_PERIOD_OVERLAP,
    END_DATE_BEFORE_START_DATE,
    EXCEEDED_MAX,
    VALUE_OUTSIDE_RANGE,
    CONFLICT,
    DUPLICATE,
    APPLIES_ON_NOTHING
});
gql_enum!(DiscountStatus {
    ACTIVE,
    EXPIRED,
    SCHEDULED
});
gql_enum!(CountPrecision { EXACT, AT_LEAST });
gql_enum!(MetafieldOwnerType {
    PRODUCT,
    PRODUCTVARIANT
});

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

/// `MoneyBag`: the same amount in shop and presentment currency (always equal here).
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

impl Count {
    pub(crate) fn exact(n: usize) -> Self {
        Count {
            count: i32::try_from(n).unwrap_or(i32::MAX),
            precision: CountPrecision::EXACT,
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
    use super::*;

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
