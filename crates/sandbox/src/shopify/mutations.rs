//! Input objects, payloads and the mutation root.
//!
//! Every mutation validates all of its input before changing anything: a request that
//! yields `userErrors` leaves the state as it was.

use std::collections::HashSet;
use std::sync::Arc;

use async_graphql::{
    Context, Error, ErrorExtensions, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject,
};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::objects::*;
use super::store::*;
use super::types::*;
use super::{ShopifyState, bulk, lock, webhooks};

/// Most items an input array may hold.
const MAX_INPUT: usize = 250;

fn check_input_size(arg: &str, n: usize) -> Result<()> {
    if n > MAX_INPUT {
        return Err(Error::new(format!(
            "The input array size of {n} is greater than the maximum allowed of {MAX_INPUT}."
        ))
        .extend_with(|_, e| {
            e.set("code", "MAX_INPUT_SIZE_EXCEEDED");
            e.set("argument", arg);
        }));
    }
    Ok(())
}

// ===================================================================== inputs

/// `UniqueMetafieldValueInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct UniqueMetafieldValueInput {
    pub(crate) namespace: Option<String>,
    pub(crate) key: String,
    pub(crate) value: String,
}

/// `ProductSetIdentifiers`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct ProductSetIdentifiers {
    pub(crate) id: Option<ID>,
    pub(crate) handle: Option<String>,
    pub(crate) custom_id: Option<UniqueMetafieldValueInput>,
}

/// `ProductIdentifierInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct ProductIdentifierInput {
    pub(crate) id: Option<ID>,
    pub(crate) custom_id: Option<UniqueMetafieldValueInput>,
    pub(crate) handle: Option<String>,
}

/// `SEOInput`.
#[derive(InputObject, Debug, Clone)]
#[graphql(name = "SEOInput")]
pub(crate) struct SeoInput {
    pub(crate) title: Option<String>,
    pub(crate) description: Option<String>,
}

/// `MetafieldInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct MetafieldInput {
    pub(crate) id: Option<ID>,
    pub(crate) namespace: Option<String>,
    pub(crate) key: Option<String>,
    pub(crate) value: Option<String>,
    #[graphql(name = "type")]
    pub(crate) type_: Option<String>,
}

/// `FileSetInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct FileSetInput {
    pub(crate) filename: Option<String>,
    pub(crate) content_type: Option<FileContentType>,
    pub(crate) alt: Option<String>,
    pub(crate) duplicate_resolution_mode: Option<FileCreateInputDuplicateResolutionMode>,
    pub(crate) id: Option<ID>,
    pub(crate) original_source: Option<String>,
}

/// `OptionValueSetInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct OptionValueSetInput {
    pub(crate) id: Option<ID>,
    pub(crate) name: Option<String>,
}

/// `OptionSetInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct OptionSetInput {
    pub(crate) id: Option<ID>,
    pub(crate) name: Option<String>,
    pub(crate) position: Option<i32>,
    pub(crate) values: Option<Vec<OptionValueSetInput>>,
}

/// `VariantOptionValueInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct VariantOptionValueInput {
    pub(crate) id: Option<ID>,
    pub(crate) name: Option<String>,
    pub(crate) linked_metafield_value: Option<String>,
    pub(crate) option_id: Option<ID>,
    pub(crate) option_name: Option<String>,
}

/// `ProductSetInventoryInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct ProductSetInventoryInput {
    pub(crate) location_id: ID,
    pub(crate) name: String,
    pub(crate) quantity: i32,
}

/// `InventoryItemInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct InventoryItemInput {
    pub(crate) sku: Option<String>,
    pub(crate) cost: Option<DecimalScalar>,
    pub(crate) tracked: Option<bool>,
    pub(crate) country_code_of_origin: Option<CountryCode>,
    pub(crate) harmonized_system_code: Option<String>,
    pub(crate) province_code_of_origin: Option<String>,
    pub(crate) requires_shipping: Option<bool>,
}

/// `ProductVariantSetInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct ProductVariantSetInput {
    pub(crate) id: Option<ID>,
    pub(crate) option_values: Vec<VariantOptionValueInput>,
    pub(crate) price: Option<Money>,
    pub(crate) sku: Option<String>,
    pub(crate) barcode: Option<String>,
    pub(crate) position: Option<i32>,
    pub(crate) file: Option<FileSetInput>,
    pub(crate) metafields: Option<Vec<MetafieldInput>>,
    pub(crate) compare_at_price: MaybeUndefined<Money>,
    pub(crate) inventory_policy: Option<ProductVariantInventoryPolicy>,
    pub(crate) inventory_quantities: Option<Vec<ProductSetInventoryInput>>,
    pub(crate) inventory_item: Option<InventoryItemInput>,
    pub(crate) taxable: Option<bool>,
    pub(crate) tax_code: Option<String>,
    pub(crate) requires_components: Option<bool>,
    pub(crate) show_unit_price: Option<bool>,
}

/// `ProductSetInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct ProductSetInput {
    pub(crate) description_html: Option<String>,
    pub(crate) handle: Option<String>,
    pub(crate) seo: Option<SeoInput>,
    pub(crate) product_type: Option<String>,
    pub(crate) tags: Option<Vec<String>>,
    pub(crate) template_suffix: Option<String>,
    pub(crate) title: Option<String>,
    pub(crate) vendor: Option<String>,
    pub(crate) redirect_new_handle: Option<bool>,
    pub(crate) status: Option<ProductStatus>,
    pub(crate) metafields: Option<Vec<MetafieldInput>>,
    pub(crate) files: Option<Vec<FileSetInput>>,
    pub(crate) product_options: Option<Vec<OptionSetInput>>,
    #[graphql(deprecation = "Use `identifier` instead.")]
    pub(crate) id: Option<ID>,
    pub(crate) variants: Option<Vec<ProductVariantSetInput>>,
    pub(crate) requires_selling_plan: Option<bool>,
}

/// `ProductUpdateInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct ProductUpdateInput {
    pub(crate) description_html: Option<String>,
    pub(crate) handle: Option<String>,
    pub(crate) seo: Option<SeoInput>,
    pub(crate) product_type: Option<String>,
    pub(crate) tags: Option<Vec<String>>,
    pub(crate) template_suffix: Option<String>,
    pub(crate) title: Option<String>,
    pub(crate) vendor: Option<String>,
    pub(crate) redirect_new_handle: Option<bool>,
    pub(crate) id: Option<ID>,
    pub(crate) metafields: Option<Vec<MetafieldInput>>,
    pub(crate) status: Option<ProductStatus>,
    pub(crate) requires_selling_plan: Option<bool>,
}

/// `CreateMediaInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct CreateMediaInput {
    pub(crate) original_source: String,
    pub(crate) alt: Option<String>,
    pub(crate) media_content_type: MediaContentType,
}

/// `InventoryLevelInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct InventoryLevelInput {
    pub(crate) available_quantity: i32,
    pub(crate) location_id: ID,
}

/// `ProductVariantsBulkInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct ProductVariantsBulkInput {
    pub(crate) barcode: Option<String>,
    pub(crate) compare_at_price: MaybeUndefined<Money>,
    pub(crate) id: Option<ID>,
    pub(crate) media_src: Option<Vec<String>>,
    pub(crate) inventory_policy: Option<ProductVariantInventoryPolicy>,
    pub(crate) inventory_quantities: Option<Vec<InventoryLevelInput>>,
    pub(crate) inventory_item: Option<InventoryItemInput>,
    pub(crate) media_id: Option<ID>,
    pub(crate) metafields: Option<Vec<MetafieldInput>>,
    pub(crate) option_values: Option<Vec<VariantOptionValueInput>>,
    pub(crate) price: Option<Money>,
    pub(crate) taxable: Option<bool>,
    pub(crate) tax_code: Option<String>,
    pub(crate) show_unit_price: Option<bool>,
    pub(crate) requires_components: Option<bool>,
}

/// `StagedUploadInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct StagedUploadInput {
    pub(crate) resource: StagedUploadTargetGenerateUploadResource,
    pub(crate) filename: String,
    pub(crate) mime_type: String,
    #[graphql(default_with = "Some(StagedUploadHttpMethodType::PUT)")]
    pub(crate) http_method: Option<StagedUploadHttpMethodType>,
    pub(crate) file_size: Option<UnsignedInt64>,
}

/// `FileCreateInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct FileCreateInput {
    pub(crate) filename: Option<String>,
    pub(crate) content_type: Option<FileContentType>,
    pub(crate) alt: Option<String>,
    pub(crate) duplicate_resolution_mode: Option<FileCreateInputDuplicateResolutionMode>,
    pub(crate) original_source: String,
}

/// `ProductVariantAppendMediaInput` (and `ProductVariantDetachMediaInput`, same fields).
#[derive(InputObject, Debug, Clone)]
pub(crate) struct ProductVariantAppendMediaInput {
    pub(crate) variant_id: ID,
    pub(crate) media_ids: Vec<ID>,
}

/// `ProductVariantDetachMediaInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct ProductVariantDetachMediaInput {
    pub(crate) variant_id: ID,
    pub(crate) media_ids: Vec<ID>,
}

/// `FileUpdateInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct FileUpdateInput {
    pub(crate) id: ID,
    pub(crate) alt: Option<String>,
    pub(crate) original_source: Option<String>,
    pub(crate) preview_image_source: Option<String>,
    pub(crate) filename: Option<String>,
    pub(crate) references_to_add: Option<Vec<ID>>,
    pub(crate) references_to_remove: Option<Vec<ID>>,
}

/// `InventoryQuantityInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct InventoryQuantityInput {
    pub(crate) inventory_item_id: ID,
    pub(crate) location_id: ID,
    pub(crate) quantity: i32,
    #[graphql(deprecation = "Use `changeFromQuantity` instead. This will be removed in 2026-04.")]
    pub(crate) compare_quantity: Option<i32>,
    pub(crate) change_from_quantity: MaybeUndefined<i32>,
}

/// `InventorySetQuantitiesInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct InventorySetQuantitiesInput {
    pub(crate) reason: String,
    pub(crate) name: String,
    pub(crate) reference_document_uri: Option<String>,
    pub(crate) quantities: Vec<InventoryQuantityInput>,
    #[graphql(
        deprecation = "Pass a null `changeFromQuantity` instead. This field will be removed in 2026-04."
    )]
    pub(crate) ignore_compare_quantity: Option<bool>,
}

/// `InventoryChangeInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct InventoryChangeInput {
    pub(crate) delta: i32,
    pub(crate) change_from_quantity: Option<i32>,
    pub(crate) inventory_item_id: ID,
    pub(crate) location_id: ID,
    pub(crate) ledger_document_uri: Option<String>,
}

/// `InventoryAdjustQuantitiesInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct InventoryAdjustQuantitiesInput {
    pub(crate) reason: String,
    pub(crate) name: String,
    pub(crate) reference_document_uri: Option<String>,
    pub(crate) changes: Vec<InventoryChangeInput>,
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

/// `FulfillmentTrackingInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct FulfillmentTrackingInput {
    pub(crate) number: Option<String>,
    pub(crate) url: Option<Url>,
    pub(crate) company: Option<String>,
    pub(crate) numbers: Option<Vec<String>>,
    pub(crate) urls: Option<Vec<Url>>,
}

/// `FulfillmentOrderLineItemInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct FulfillmentOrderLineItemInput {
    pub(crate) id: ID,
    pub(crate) quantity: i32,
}

/// `FulfillmentOrderLineItemsInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct FulfillmentOrderLineItemsInput {
    pub(crate) fulfillment_order_id: ID,
    pub(crate) fulfillment_order_line_items: Option<Vec<FulfillmentOrderLineItemInput>>,
}

/// `FulfillmentInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct FulfillmentInput {
    pub(crate) tracking_info: Option<FulfillmentTrackingInput>,
    pub(crate) notify_customer: Option<bool>,
    pub(crate) line_items_by_fulfillment_order: Vec<FulfillmentOrderLineItemsInput>,
}

/// `WebhookSubscriptionInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct WebhookSubscriptionInput {
    pub(crate) format: Option<WebhookSubscriptionFormat>,
    pub(crate) include_fields: Option<Vec<String>>,
    pub(crate) filter: Option<String>,
    pub(crate) metafield_namespaces: Option<Vec<String>>,
    #[graphql(deprecation = "Use `uri` instead.")]
    pub(crate) callback_url: Option<Url>,
    pub(crate) uri: Option<String>,
}

// ===================================================================== payloads

#[derive(SimpleObject)]
pub(crate) struct ProductSetPayload {
    product: Option<Product>,
    product_set_operation: Option<ProductSetOperation>,
    user_errors: Vec<ProductSetUserError>,
}

#[derive(SimpleObject)]
pub(crate) struct ProductUpdatePayload {
    product: Option<Product>,
    user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub(crate) struct ProductVariantsBulkUpdatePayload {
    product: Option<Product>,
    product_variants: Option<Vec<ProductVariant>>,
    user_errors: Vec<ProductVariantsBulkUpdateUserError>,
}

#[derive(SimpleObject)]
pub(crate) struct StagedUploadsCreatePayload {
    staged_targets: Option<Vec<StagedMediaUploadTarget>>,
    user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub(crate) struct ProductCreateMediaPayload {
    media: Option<Vec<Media>>,
    media_user_errors: Vec<MediaUserError>,
    product: Option<Product>,
    user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub(crate) struct ProductDeleteMediaPayload {
    deleted_media_ids: Option<Vec<ID>>,
    deleted_product_image_ids: Option<Vec<ID>>,
    media_user_errors: Vec<MediaUserError>,
    product: Option<Product>,
    user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub(crate) struct FileCreatePayload {
    files: Option<Vec<File>>,
    user_errors: Vec<FilesUserError>,
}

#[derive(SimpleObject)]
pub(crate) struct FileUpdatePayload {
    files: Option<Vec<File>>,
    user_errors: Vec<FilesUserError>,
}

#[derive(SimpleObject)]
pub(crate) struct FileDeletePayload {
    deleted_file_ids: Option<Vec<ID>>,
    user_errors: Vec<FilesUserError>,
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
pub(crate) struct ProductVariantAppendMediaPayload {
    product: Option<Product>,
    product_variants: Option<Vec<ProductVariant>>,
    user_errors: Vec<MediaUserError>,
}

#[derive(SimpleObject)]
pub(crate) struct ProductVariantDetachMediaPayload {
    product: Option<Product>,
    product_variants: Option<Vec<ProductVariant>>,
    user_errors: Vec<MediaUserError>,
}

#[derive(SimpleObject)]
pub(crate) struct PriceListFixedPricesAddPayload {
    prices: Option<Vec<PriceListPrice>>,
    user_errors: Vec<PriceListPriceUserError>,
}

#[derive(SimpleObject)]
pub(crate) struct InventorySetQuantitiesPayload {
    inventory_adjustment_group: Option<InventoryAdjustmentGroup>,
    user_errors: Vec<InventorySetQuantitiesUserError>,
}

#[derive(SimpleObject)]
pub(crate) struct InventoryAdjustQuantitiesPayload {
    inventory_adjustment_group: Option<InventoryAdjustmentGroup>,
    user_errors: Vec<InventoryAdjustQuantitiesUserError>,
}

#[derive(SimpleObject)]
pub(crate) struct ProductVariantsBulkCreatePayload {
    product: Option<Product>,
    product_variants: Option<Vec<ProductVariant>>,
    user_errors: Vec<ProductVariantsBulkCreateUserError>,
}

#[derive(SimpleObject)]
pub(crate) struct ProductVariantsBulkDeletePayload {
    product: Option<Product>,
    user_errors: Vec<ProductVariantsBulkDeleteUserError>,
}

#[derive(SimpleObject)]
pub(crate) struct InventoryActivatePayload {
    inventory_level: Option<InventoryLevel>,
    user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub(crate) struct FulfillmentCreatePayload {
    fulfillment: Option<Fulfillment>,
    user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub(crate) struct WebhookSubscriptionCreatePayload {
    user_errors: Vec<UserError>,
    webhook_subscription: Option<WebhookSubscription>,
}

#[derive(SimpleObject)]
pub(crate) struct WebhookSubscriptionDeletePayload {
    deleted_webhook_subscription_id: Option<ID>,
    user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub(crate) struct BulkOperationRunQueryPayload {
    pub(crate) bulk_operation: Option<BulkOperation>,
    pub(crate) user_errors: Vec<BulkOperationUserError>,
}

#[derive(SimpleObject)]
pub(crate) struct BulkOperationRunMutationPayload {
    pub(crate) bulk_operation: Option<BulkOperation>,
    pub(crate) user_errors: Vec<BulkMutationUserError>,
}

// ===================================================================== helpers

/// A webhook to send once the store lock is released.
pub(crate) type Event = (&'static str, Value);

fn emit_all(state: &Arc<ShopifyState>, events: Vec<Event>) {
    for (topic, payload) in events {
        webhooks::emit(state, topic, payload);
    }
}

fn slug(title: &str) -> String {
    let mut out = String::new();
    for ch in title.chars().flat_map(char::to_lowercase) {
        if ch.is_alphanumeric() {
            out.push(ch);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

fn valid_handle(h: &str) -> bool {
    !h.is_empty()
        && h.chars()
            .all(|c| (c.is_alphanumeric() && !c.is_uppercase()) || c == '-' || c == '_')
}

/// The image format of an uploaded file, from its signature: Shopify processes an image
/// upload into media, and a file that is no image ends `FAILED`.
pub(crate) fn image_kind(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// Whether a media source can be used, and why not.
fn media_source_state(st: &Store, source: &str) -> (bool, Option<String>) {
    if let Some((_, key)) = source.split_once("/__shopify/staged-uploads/") {
        let key = key.split('?').next().unwrap_or(key);
        return match st.staged.get(key) {
            Some(StagedRec {
                bytes: Some(bytes), ..
            }) => match image_kind(bytes) {
                Some(_) => (true, None),
                None => (
                    false,
                    Some(format!(
                        "Image could not be processed: the file uploaded to `{key}` is not a PNG, JPEG, GIF or WebP image"
                    )),
                ),
            },
            Some(_) => (
                false,
                Some(format!("nothing was uploaded to the staged target `{key}`")),
            ),
            None => (
                false,
                Some(format!("`{key}` is not a staged upload of this shop")),
            ),
        };
    }
    if source.starts_with("https://") || source.starts_with("http://") {
        (true, None)
    } else {
        (false, Some(format!("`{source}` is not an http(s) URL")))
    }
}

fn new_media(
    st: &mut Store,
    product: Option<u64>,
    source: &str,
    alt: Option<String>,
    filename: Option<String>,
) -> u64 {
    let (ready, error) = media_source_state(st, source);
    let mime = source
        .split_once("/__shopify/staged-uploads/")
        .and_then(|(_, k)| st.staged.get(k.split('?').next().unwrap_or(k)))
        .map(|s| s.mime_type.clone());
    let id = st.next_id();
    let now = now();
    st.media.insert(
        id,
        MediaRec {
            id,
            product_id: product,
            alt,
            original_source: source.to_string(),
            filename,
            mime_type: mime,
            ready,
            error,
            created_at: now,
            updated_at: now,
        },
    );
    id
}

fn apply_metafields(
    st: &mut Store,
    existing: &[MetafieldRec],
    input: &[MetafieldInput],
    replace: bool,
) -> Vec<MetafieldRec> {
    let now = now();
    let mut out: Vec<MetafieldRec> = if replace {
        Vec::new()
    } else {
        existing.to_vec()
    };
    for m in input {
        let ns = m.namespace.clone().unwrap_or_else(|| "custom".to_string());
        let key = m.key.clone().unwrap_or_default();
        let prior = existing.iter().find(|e| e.namespace == ns && e.key == key);
        let rec = MetafieldRec {
            id: prior.map_or_else(|| st.next_id(), |p| p.id),
            namespace: ns.clone(),
            key: key.clone(),
            value: m.value.clone().unwrap_or_default(),
            type_: m
                .type_
                .clone()
                .or_else(|| prior.map(|p| p.type_.clone()))
                .unwrap_or_else(|| "single_line_text_field".to_string()),
            created_at: prior.map_or(now, |p| p.created_at),
            updated_at: now,
        };
        out.retain(|e| !(e.namespace == ns && e.key == key));
        out.push(rec);
    }
    out
}

fn check_metafields(input: &[MetafieldInput], base: &[&str]) -> Vec<(Vec<String>, String)> {
    let mut errs = Vec::new();
    for (i, m) in input.iter().enumerate() {
        let idx = i.to_string();
        let mut p: Vec<String> = base.iter().map(|s| s.to_string()).collect();
        p.push(idx);
        if m.key.as_deref().is_none_or(str::is_empty) {
            let mut f = p.clone();
            f.push("key".into());
            errs.push((f, "Key can't be blank".to_string()));
        }
        if m.value.is_none() {
            let mut f = p.clone();
            f.push("value".into());
            errs.push((f, "Value can't be blank".to_string()));
        }
    }
    errs
}

/// Sets one quantity (`available` or `on_hand`) and moves the other by the same delta;
/// returns the changes to record.
pub(crate) fn set_quantity(
    st: &mut Store,
    item: u64,
    loc: u64,
    name: &str,
    qty: i64,
    uri: Option<String>,
) -> Vec<ChangeRec> {
    let now = now();
    let level = st.level_mut(item, loc, now);
    let (current, other_name) = if name == "on_hand" {
        (level.on_hand, "available")
    } else {
        (level.available, "on_hand")
    };
    let delta = qty - current;
    level.available += delta;
    level.on_hand += delta;
    level.updated_at = now;
    let (a, o) = (level.available, level.on_hand);
    if let Some(i) = st.items.get_mut(&item) {
        i.updated_at = now;
    }
    let after = |n: &str| if n == "on_hand" { o } else { a };
    vec![
        ChangeRec {
            item_id: item,
            location_id: loc,
            name: name.to_string(),
            delta,
            quantity_after: after(name),
            ledger_document_uri: uri.clone(),
        },
        ChangeRec {
            item_id: item,
            location_id: loc,
            name: other_name.to_string(),
            delta,
            quantity_after: after(other_name),
            ledger_document_uri: uri,
        },
    ]
}

// ===================================================================== productSet

fn pse(
    code: ProductSetUserErrorCode,
    field: &[&str],
    msg: impl Into<String>,
) -> ProductSetUserError {
    ProductSetUserError::new(code, path(field), msg)
}

/// Resolves the product a productSet targets: `Ok(Some(id))` to update, `Ok(None)` to create.
fn resolve_target(
    st: &Store,
    input: &ProductSetInput,
    ident: &Option<ProductSetIdentifiers>,
) -> std::result::Result<Option<u64>, ProductSetUserError> {
    use ProductSetUserErrorCode as C;
    if let Some(ident) = ident {
        if input.id.is_some() {
            return Err(pse(
                C::ID_NOT_ALLOWED,
                &["input", "id"],
                "`id` is not allowed in the input when `identifier` is given",
            ));
        }
        let set = [
            ident.id.is_some(),
            ident.handle.is_some(),
            ident.custom_id.is_some(),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        if set != 1 {
            return Err(pse(
                C::INVALID_INPUT,
                &["identifier"],
                "exactly one of `id`, `handle` or `customId` must be given",
            ));
        }
        if let Some(id) = &ident.id {
            let n = parse_gid("Product", id.as_str()).ok_or_else(|| {
                pse(
                    C::INVALID_INPUT,
                    &["identifier", "id"],
                    format!("`{}` is not a Product id", id.as_str()),
                )
            })?;
            return if st.products.contains_key(&n) {
                Ok(Some(n))
            } else {
                Err(pse(
                    C::PRODUCT_DOES_NOT_EXIST,
                    &["identifier", "id"],
                    "Product does not exist",
                ))
            };
        }
        if let Some(h) = &ident.handle {
            if let Some(given) = &input.handle
                && given != h
                && st.product_by_handle(h).is_none()
            {
                return Err(pse(
                    C::INPUT_MISMATCH,
                    &["input", "handle"],
                    "the handle in the input differs from `identifier.handle` for a new product",
                ));
            }
            return Ok(st.product_by_handle(h).map(|p| p.id));
        }
        if let Some(c) = &ident.custom_id {
            let ns = c.namespace.clone().unwrap_or_else(|| "custom".to_string());
            return Ok(st
                .products
                .values()
                .find(|p| {
                    p.metafields
                        .iter()
                        .any(|m| m.namespace == ns && m.key == c.key && m.value == c.value)
                })
                .map(|p| p.id));
        }
    }
    if let Some(id) = &input.id {
        let n = parse_gid("Product", id.as_str()).ok_or_else(|| {
            pse(
                C::INVALID_INPUT,
                &["input", "id"],
                format!("`{}` is not a Product id", id.as_str()),
            )
        })?;
        return if st.products.contains_key(&n) {
            Ok(Some(n))
        } else {
            Err(pse(
                C::PRODUCT_DOES_NOT_EXIST,
                &["input", "id"],
                "Product does not exist",
            ))
        };
    }
    Ok(None)
}

/// The (option name, value) pairs a variant input selects, checked against the options.
fn variant_selection(
    options: &[(String, Vec<String>)],
    v: &ProductVariantSetInput,
    i: usize,
) -> std::result::Result<Vec<(String, String)>, ProductSetUserError> {
    use ProductSetUserErrorCode as C;
    let idx = i.to_string();
    let mut picked: Vec<(String, String)> = Vec::new();
    for ov in &v.option_values {
        let oname = ov.option_name.clone().ok_or_else(|| pse(C::INVALID_VARIANT, &["input", "variants", &idx, "optionValues"], "each option value needs `optionName` (option ids are not supported by the sandbox)"))?;
        let Some((_, values)) = options.iter().find(|(n, _)| *n == oname) else {
            return Err(pse(
                C::OPTION_DOES_NOT_EXIST,
                &["input", "variants", &idx, "optionValues"],
                format!("Option `{oname}` does not exist"),
            ));
        };
        let vname = ov.name.clone().ok_or_else(|| {
            pse(
                C::INVALID_VARIANT,
                &["input", "variants", &idx, "optionValues"],
                "each option value needs `name`",
            )
        })?;
        if !values.contains(&vname) {
            return Err(pse(
                C::OPTION_VALUE_DOES_NOT_EXIST,
                &["input", "variants", &idx, "optionValues"],
                format!("Option value `{vname}` does not exist on option `{oname}`"),
            ));
        }
        if picked.iter().any(|(n, _)| *n == oname) {
            return Err(pse(
                C::INVALID_VARIANT,
                &["input", "variants", &idx, "optionValues"],
                format!("option `{oname}` is given twice"),
            ));
        }
        picked.push((oname, vname));
    }
    if picked.len() != options.len() {
        return Err(pse(
            C::INVALID_VARIANT,
            &["input", "variants", &idx, "optionValues"],
            "a variant must have exactly one value for every product option",
        ));
    }
    picked.sort_by_key(|(n, _)| options.iter().position(|(o, _)| o == n));
    Ok(picked)
}

/// Validates and applies a productSet; returns the product id and whether it was created.
pub(crate) fn product_set(
    st: &mut Store,
    input: &ProductSetInput,
    ident: &Option<ProductSetIdentifiers>,
) -> std::result::Result<(u64, bool), Vec<ProductSetUserError>> {
    use ProductSetUserErrorCode as C;
    let target = resolve_target(st, input, ident).map_err(|e| vec![e])?;
    let mut errors = Vec::new();
    let creating = target.is_none();
    if creating && input.title.as_deref().is_none_or(|t| t.trim().is_empty()) {
        errors.push(pse(
            C::MISSING_FIELD_REQUIRED,
            &["input", "title"],
            "Title can't be blank",
        ));
    }
    // Handle.
    let handle = input
        .handle
        .clone()
        .or_else(|| ident.as_ref().and_then(|i| i.handle.clone()))
        .or_else(|| creating.then(|| slug(input.title.as_deref().unwrap_or(""))));
    if let Some(h) = &handle {
        if !valid_handle(h) {
            errors.push(pse(
                C::INVALID_INPUT,
                &["input", "handle"],
                format!("handle `{h}` may hold only lowercase letters, digits, `-` and `_`"),
            ));
        } else if st
            .products
            .values()
            .any(|p| &p.handle == h && Some(p.id) != target)
        {
            errors.push(pse(
                C::HANDLE_NOT_UNIQUE,
                &["input", "handle"],
                format!("Handle '{h}' already in use. Please provide a new handle."),
            ));
        }
    }
    // Options and variants.
    let options: Option<Vec<(String, Vec<String>)>> = input.product_options.as_ref().map(|opts| {
        opts.iter()
            .map(|o| {
                (
                    o.name.clone().unwrap_or_default(),
                    o.values
                        .clone()
                        .unwrap_or_default()
                        .into_iter()
                        .filter_map(|v| v.name)
                        .collect(),
                )
            })
            .collect()
    });
    match (&options, &input.variants) {
        (None, Some(_)) => errors.push(pse(
            C::PRODUCT_OPTIONS_INPUT_MISSING,
            &["input", "productOptions"],
            "productOptions are required when variants are given",
        )),
        (Some(_), None) => errors.push(pse(
            C::VARIANTS_INPUT_MISSING,
            &["input", "variants"],
            "variants are required when productOptions are given",
        )),
        _ => {}
    }
    if let Some(opts) = &options {
        if opts.len() > 3 {
            errors.push(pse(
                C::OPTIONS_OVER_LIMIT,
                &["input", "productOptions"],
                "a product has at most 3 options",
            ));
        }
        let mut names = HashSet::new();
        for (i, (name, values)) in opts.iter().enumerate() {
            let idx = i.to_string();
            if name.trim().is_empty() {
                errors.push(pse(
                    C::MISSING_FIELD_REQUIRED,
                    &["input", "productOptions", &idx, "name"],
                    "option name can't be blank",
                ));
            } else if !names.insert(name.clone()) {
                errors.push(pse(
                    C::DUPLICATED_OPTION_NAME,
                    &["input", "productOptions", &idx, "name"],
                    format!("Duplicated option name `{name}`"),
                ));
            }
            if values.is_empty() {
                errors.push(pse(
                    C::OPTION_VALUES_MISSING,
                    &["input", "productOptions", &idx, "values"],
                    "an option needs at least one value",
                ));
            }
            let mut seen = HashSet::new();
            for v in values {
                if !seen.insert(v) {
                    errors.push(pse(
                        C::DUPLICATED_OPTION_VALUE,
                        &["input", "productOptions", &idx, "values"],
                        format!("Duplicated option value `{v}`"),
                    ));
                }
            }
        }
    }
    let mut selections = Vec::new();
    if let (Some(opts), Some(variants)) = (&options, &input.variants) {
        if variants.len() > 2048 {
            errors.push(pse(
                C::VARIANTS_OVER_LIMIT,
                &["input", "variants"],
                "a product has at most 2048 variants",
            ));
        }
        let mut combos = HashSet::new();
        for (i, v) in variants.iter().enumerate() {
            let idx = i.to_string();
            match variant_selection(opts, v, i) {
                Ok(sel) => {
                    if !combos.insert(sel.clone()) {
                        errors.push(pse(
                            C::INVALID_VARIANT,
                            &["input", "variants", &idx, "optionValues"],
                            "two variants have the same option values",
                        ));
                    }
                    selections.push(sel);
                }
                Err(e) => errors.push(e),
            }
            if let Some(id) = &v.id {
                let ok = parse_gid("ProductVariant", id.as_str())
                    .and_then(|n| st.variants.get(&n))
                    .is_some_and(|var| Some(var.product_id) == target);
                if !ok {
                    errors.push(pse(
                        C::PRODUCT_VARIANT_DOES_NOT_EXIST,
                        &["input", "variants", &idx, "id"],
                        "Product variant does not exist on this product",
                    ));
                }
            }
            if v.price.is_some_and(|p| p.0.is_sign_negative()) {
                errors.push(pse(
                    C::INVALID_VARIANT,
                    &["input", "variants", &idx, "price"],
                    "price must be at least 0",
                ));
            }
            if let MaybeUndefined::Value(c) = &v.compare_at_price
                && c.0.is_sign_negative()
            {
                errors.push(pse(
                    C::INVALID_VARIANT,
                    &["input", "variants", &idx, "compareAtPrice"],
                    "compareAtPrice must be at least 0",
                ));
            }
            for (j, q) in v.inventory_quantities.iter().flatten().enumerate() {
                let jdx = j.to_string();
                if !parse_gid("Location", q.location_id.as_str())
                    .is_some_and(|l| st.locations.contains_key(&l))
                {
                    errors.push(pse(
                        C::INVALID_INPUT,
                        &[
                            "input",
                            "variants",
                            &idx,
                            "inventoryQuantities",
                            &jdx,
                            "locationId",
                        ],
                        "Location does not exist",
                    ));
                }
                if q.name != "available" && q.name != "on_hand" {
                    errors.push(pse(
                        C::INVALID_INPUT,
                        &[
                            "input",
                            "variants",
                            &idx,
                            "inventoryQuantities",
                            &jdx,
                            "name",
                        ],
                        "name must be `available` or `on_hand`",
                    ));
                }
                if q.quantity < 0 {
                    errors.push(pse(
                        C::INVALID_INPUT,
                        &[
                            "input",
                            "variants",
                            &idx,
                            "inventoryQuantities",
                            &jdx,
                            "quantity",
                        ],
                        "quantity must be at least 0",
                    ));
                }
            }
            for (f, m) in check_metafields(
                v.metafields.as_deref().unwrap_or(&[]),
                &["input", "variants", &idx, "metafields"],
            ) {
                errors.push(ProductSetUserError::new(C::INVALID_METAFIELD, Some(f), m));
            }
        }
    }
    for (f, m) in check_metafields(
        input.metafields.as_deref().unwrap_or(&[]),
        &["input", "metafields"],
    ) {
        errors.push(ProductSetUserError::new(C::INVALID_METAFIELD, Some(f), m));
    }
    for (i, f) in input.files.iter().flatten().enumerate() {
        let idx = i.to_string();
        match (&f.id, &f.original_source) {
            (Some(id), _) => {
                let ok = parse_gid("MediaImage", id.as_str())
                    .and_then(|n| st.media.get(&n))
                    .is_some_and(|m| m.product_id.is_none() || m.product_id == target);
                if !ok {
                    errors.push(pse(
                        C::NOT_FOUND,
                        &["input", "files", &idx, "id"],
                        "File does not exist",
                    ));
                }
            }
            (None, Some(src)) if !src.is_empty() => {}
            _ => errors.push(pse(
                C::MISSING_FIELD_REQUIRED,
                &["input", "files", &idx, "originalSource"],
                "a file needs `id` or `originalSource`",
            )),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    // ---- apply
    let now = now();
    let pid = match target {
        Some(id) => id,
        None => {
            let id = st.next_id();
            st.products.insert(
                id,
                ProductRec {
                    id,
                    handle: String::new(),
                    title: String::new(),
                    description_html: String::new(),
                    vendor: String::new(),
                    product_type: String::new(),
                    tags: Vec::new(),
                    status: Status::Active,
                    options: Vec::new(),
                    variant_ids: Vec::new(),
                    media_ids: Vec::new(),
                    metafields: Vec::new(),
                    created_at: now,
                    updated_at: now,
                },
            );
            id
        }
    };
    let mut p = st
        .products
        .get(&pid)
        .cloned()
        .ok_or_else(|| vec![pse(C::GENERIC_ERROR, &["input"], "product vanished")])?;
    if let Some(h) = handle {
        p.handle = h;
    }
    if let Some(t) = &input.title {
        p.title = t.clone();
    }
    if let Some(d) = &input.description_html {
        p.description_html = d.clone();
    }
    if let Some(v) = &input.vendor {
        p.vendor = v.clone();
    }
    if let Some(t) = &input.product_type {
        p.product_type = t.clone();
    }
    if let Some(t) = &input.tags {
        p.tags = t.clone();
    }
    if let Some(s) = input.status {
        p.status = match s {
            ProductStatus::ACTIVE => Status::Active,
            ProductStatus::ARCHIVED => Status::Archived,
            ProductStatus::DRAFT => Status::Draft,
            ProductStatus::UNLISTED => Status::Unlisted,
        };
    }
    if let Some(c) = ident.as_ref().and_then(|i| i.custom_id.as_ref()) {
        let ns = c.namespace.clone().unwrap_or_else(|| "custom".to_string());
        if !p
            .metafields
            .iter()
            .any(|m| m.namespace == ns && m.key == c.key)
        {
            let mf = MetafieldInput {
                id: None,
                namespace: Some(ns),
                key: Some(c.key.clone()),
                value: Some(c.value.clone()),
                type_: Some("single_line_text_field".into()),
            };
            p.metafields = apply_metafields(st, &p.metafields, &[mf], false);
        }
    }
    if let Some(mfs) = &input.metafields {
        p.metafields = apply_metafields(st, &p.metafields, mfs, true);
    }
    if let Some(opts) = &options {
        let mut new_opts = Vec::new();
        for (i, (name, values)) in opts.iter().enumerate() {
            let prior = p.options.iter().find(|o| &o.name == name).cloned();
            let vals = values
                .iter()
                .map(|v| {
                    let id = prior
                        .as_ref()
                        .and_then(|o| o.values.iter().find(|(_, n)| n == v).map(|(id, _)| *id))
                        .unwrap_or_else(|| st.next_id());
                    (id, v.clone())
                })
                .collect();
            new_opts.push(OptionRec {
                id: prior.map_or_else(|| st.next_id(), |o| o.id),
                name: name.clone(),
                position: i as i32 + 1,
                values: vals,
            });
        }
        p.options = new_opts;
    }
    if creating && input.variants.is_none() {
        // A product always has a variant: the default one.
        p.options = vec![OptionRec {
            id: st.next_id(),
            name: "Title".into(),
            position: 1,
            values: vec![(st.next_id(), "Default Title".into())],
        }];
        let vid = new_variant(st, pid, vec![("Title".into(), "Default Title".into())], 1);
        p.variant_ids = vec![vid];
    }
    if let Some(files) = &input.files {
        let mut keep = Vec::new();
        for f in files {
            match (&f.id, &f.original_source) {
                (Some(id), _) => {
                    if let Some(n) = parse_gid("MediaImage", id.as_str()) {
                        if let Some(m) = st.media.get_mut(&n) {
                            m.product_id = Some(pid);
                            if f.alt.is_some() {
                                m.alt = f.alt.clone();
                            }
                        }
                        keep.push(n);
                    }
                }
                (None, Some(src)) => {
                    let existing = p
                        .media_ids
                        .iter()
                        .copied()
                        .find(|m| st.media.get(m).is_some_and(|r| &r.original_source == src));
                    keep.push(existing.unwrap_or_else(|| {
                        new_media(st, Some(pid), src, f.alt.clone(), f.filename.clone())
                    }));
                }
                _ => {}
            }
        }
        for old in p.media_ids.iter().filter(|m| !keep.contains(m)) {
            st.media.remove(old);
        }
        p.media_ids = keep;
    }
    if let Some(variants) = &input.variants {
        let mut kept = Vec::new();
        for (i, (v, sel)) in variants.iter().zip(selections).enumerate() {
            let by_id =
                v.id.as_ref()
                    .and_then(|id| parse_gid("ProductVariant", id.as_str()));
            let by_options = p.variant_ids.iter().copied().find(|vid| {
                !kept.contains(vid) && st.variants.get(vid).is_some_and(|r| r.selected == sel)
            });
            let (vid, created) = match by_id.or(by_options) {
                Some(vid) => (vid, false),
                None => (new_variant(st, pid, sel.clone(), i as i32 + 1), true),
            };
            kept.push(vid);
            let media = v
                .file
                .as_ref()
                .and_then(|f| match (&f.id, &f.original_source) {
                    (Some(id), _) => parse_gid("MediaImage", id.as_str()),
                    (None, Some(src)) => {
                        let existing =
                            p.media_ids.iter().copied().find(|m| {
                                st.media.get(m).is_some_and(|r| &r.original_source == src)
                            });
                        Some(existing.unwrap_or_else(|| {
                            let m =
                                new_media(st, Some(pid), src, f.alt.clone(), f.filename.clone());
                            p.media_ids.push(m);
                            m
                        }))
                    }
                    _ => None,
                });
            let item_id;
            {
                let prior_mf = st
                    .variants
                    .get(&vid)
                    .map(|r| r.metafields.clone())
                    .unwrap_or_default();
                let mf = v
                    .metafields
                    .as_ref()
                    .map(|m| apply_metafields(st, &prior_mf, m, true));
                let Some(r) = st.variants.get_mut(&vid) else {
                    continue;
                };
                r.selected = sel;
                r.position = v.position.unwrap_or(i as i32 + 1);
                if let Some(pr) = v.price {
                    r.price = pr.0;
                }
                match &v.compare_at_price {
                    MaybeUndefined::Value(c) => r.compare_at_price = Some(c.0),
                    MaybeUndefined::Null => r.compare_at_price = None,
                    MaybeUndefined::Undefined => {}
                }
                if let Some(s) = v
                    .sku
                    .clone()
                    .or_else(|| v.inventory_item.as_ref().and_then(|i| i.sku.clone()))
                {
                    r.sku = Some(s);
                }
                if v.barcode.is_some() {
                    r.barcode = v.barcode.clone();
                }
                if let Some(t) = v.taxable {
                    r.taxable = t;
                }
                if let Some(pol) = v.inventory_policy {
                    r.inventory_policy_continue = pol == ProductVariantInventoryPolicy::CONTINUE;
                }
                if media.is_some() {
                    r.media_id = media;
                }
                if let Some(mf) = mf {
                    r.metafields = mf;
                }
                r.updated_at = now;
                item_id = r.inventory_item_id;
            }
            if let (Some(ii), Some(item)) = (&v.inventory_item, st.items.get_mut(&item_id)) {
                if let Some(c) = ii.cost {
                    item.cost = Some(c.0);
                }
                if let Some(t) = ii.tracked {
                    item.tracked = t;
                }
                if let Some(rs) = ii.requires_shipping {
                    item.requires_shipping = rs;
                }
                item.updated_at = now;
            }
            if created {
                for q in v.inventory_quantities.iter().flatten() {
                    if let Some(loc) = parse_gid("Location", q.location_id.as_str()) {
                        set_quantity(st, item_id, loc, &q.name, i64::from(q.quantity), None);
                    }
                }
            }
        }
        for old in p.variant_ids.iter().filter(|v| !kept.contains(v)) {
            st.remove_variant(*old);
        }
        p.variant_ids = kept;
    }
    p.updated_at = now;
    st.products.insert(pid, p);
    Ok((pid, creating))
}

fn new_variant(
    st: &mut Store,
    product: u64,
    selected: Vec<(String, String)>,
    position: i32,
) -> u64 {
    let now = now();
    let vid = st.next_id();
    let iid = st.next_id();
    st.items.insert(
        iid,
        InventoryItemRec {
            id: iid,
            variant_id: vid,
            tracked: true,
            cost: None,
            requires_shipping: true,
            created_at: now,
            updated_at: now,
        },
    );
    st.variants.insert(
        vid,
        VariantRec {
            id: vid,
            product_id: product,
            sku: None,
            barcode: None,
            price: Decimal::ZERO,
            compare_at_price: None,
            position,
            selected,
            inventory_item_id: iid,
            taxable: true,
            inventory_policy_continue: false,
            media_id: None,
            metafields: Vec::new(),
            created_at: now,
            updated_at: now,
        },
    );
    vid
}

// ===================================================================== inventory

const REASONS: &[&str] = &[
    "correction",
    "cycle_count_available",
    "damaged",
    "movement_canceled",
    "movement_created",
    "movement_received",
    "movement_updated",
    "other",
    "promotion",
    "quality_control",
    "received",
    "reservation_created",
    "reservation_deleted",
    "reservation_updated",
    "restock",
    "safety_stock",
    "shrinkage",
];

fn ise(
    code: InventorySetQuantitiesUserErrorCode,
    field: &[&str],
    msg: impl Into<String>,
) -> InventorySetQuantitiesUserError {
    InventorySetQuantitiesUserError::new(code, path(field), msg)
}

/// Validates and applies inventorySetQuantities; all or nothing.
fn inventory_set(
    st: &mut Store,
    input: &InventorySetQuantitiesInput,
    version: &str,
) -> std::result::Result<u64, Vec<InventorySetQuantitiesUserError>> {
    use InventorySetQuantitiesUserErrorCode as C;
    let new_api = version >= "2026-04";
    let mut errors = Vec::new();
    if input.name != "available" && input.name != "on_hand" {
        errors.push(ise(
            C::INVALID_NAME,
            &["input", "name"],
            format!(
                "The quantity name must be either 'available' or 'on_hand', got `{}`.",
                input.name
            ),
        ));
    }
    if !REASONS.contains(&input.reason.as_str()) {
        errors.push(ise(
            C::INVALID_REASON,
            &["input", "reason"],
            format!(
                "The specified reason `{}` is invalid. Valid values: {}.",
                input.reason,
                REASONS.join(", ")
            ),
        ));
    }
    if let Some(uri) = &input.reference_document_uri
        && !uri.split_once(':').is_some_and(|(scheme, rest)| {
            !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
                && !rest.is_empty()
        })
    {
        errors.push(ise(
            C::INVALID_REFERENCE_DOCUMENT,
            &["input", "referenceDocumentUri"],
            "The reference document URI must be a valid URI, e.g. gid://erp/SyncJob/1.",
        ));
    }
    if new_api && input.ignore_compare_quantity.is_some() {
        errors.push(ise(
            C::COMPARE_QUANTITY_REQUIRED,
            &["input", "ignoreCompareQuantity"],
            "ignoreCompareQuantity was removed in 2026-04; pass a null changeFromQuantity instead",
        ));
    }
    let mut seen = HashSet::new();
    let mut plan = Vec::new();
    for (i, q) in input.quantities.iter().enumerate() {
        let idx = i.to_string();
        let item = parse_gid("InventoryItem", q.inventory_item_id.as_str())
            .filter(|id| st.items.contains_key(id));
        let loc = parse_gid("Location", q.location_id.as_str())
            .filter(|id| st.locations.contains_key(id));
        let Some(item) = item else {
            errors.push(ise(
                C::INVALID_INVENTORY_ITEM,
                &["input", "quantities", &idx, "inventoryItemId"],
                "The specified inventory item could not be found.",
            ));
            continue;
        };
        let Some(loc) = loc else {
            errors.push(ise(
                C::INVALID_LOCATION,
                &["input", "quantities", &idx, "locationId"],
                "The specified location could not be found.",
            ));
            continue;
        };
        if !seen.insert((item, loc)) {
            errors.push(ise(
                C::NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR,
                &["input", "quantities", &idx],
                "The combination of inventoryItemId and locationId must be unique.",
            ));
            continue;
        }
        let Some(level) = st.levels.get(&(item, loc)) else {
            errors.push(ise(
                C::ITEM_NOT_STOCKED_AT_LOCATION,
                &["input", "quantities", &idx, "locationId"],
                "The specified inventory item is not stocked at the location.",
            ));
            continue;
        };
        if q.quantity < 0 {
            errors.push(ise(
                C::INVALID_QUANTITY_NEGATIVE,
                &["input", "quantities", &idx, "quantity"],
                "The quantity can't be negative.",
            ));
        } else if q.quantity > 1_000_000_000 {
            errors.push(ise(
                C::INVALID_QUANTITY_TOO_HIGH,
                &["input", "quantities", &idx, "quantity"],
                "The quantity can't be higher than 1,000,000,000.",
            ));
        }
        let current = if input.name == "on_hand" {
            level.on_hand
        } else {
            level.available
        };
        match (&q.change_from_quantity, q.compare_quantity) {
            (MaybeUndefined::Value(expected), _) => {
                if i64::from(*expected) != current {
                    errors.push(ise(C::CHANGE_FROM_QUANTITY_STALE, &["input", "quantities", &idx, "changeFromQuantity"], format!("The specified changeFromQuantity ({expected}) does not match the current quantity ({current}).")));
                }
            }
            (MaybeUndefined::Null, _) => {}
            (MaybeUndefined::Undefined, Some(_)) if new_api => {
                errors.push(ise(
                    C::COMPARE_QUANTITY_REQUIRED,
                    &["input", "quantities", &idx, "compareQuantity"],
                    "compareQuantity was removed in 2026-04; use changeFromQuantity",
                ));
            }
            (MaybeUndefined::Undefined, Some(expected)) => {
                if i64::from(expected) != current {
                    errors.push(ise(C::COMPARE_QUANTITY_STALE, &["input", "quantities", &idx, "compareQuantity"], format!("The specified compare quantity ({expected}) does not match the current quantity ({current}).")));
                }
            }
            (MaybeUndefined::Undefined, None) => {
                if new_api || !input.ignore_compare_quantity.unwrap_or(false) {
                    errors.push(ise(C::COMPARE_QUANTITY_REQUIRED, &["input", "quantities", &idx, "changeFromQuantity"], "changeFromQuantity is required: pass the expected current quantity, or null to skip the check."));
                }
            }
        }
        plan.push((item, loc, i64::from(q.quantity)));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut changes = Vec::new();
    for (item, loc, qty) in plan {
        changes.extend(set_quantity(
            st,
            item,
            loc,
            &input.name,
            qty,
            input.reference_document_uri.clone(),
        ));
    }
    let id = st.next_id();
    st.adjustment_groups.insert(
        id,
        AdjustmentGroupRec {
            id,
            reason: input.reason.clone(),
            reference_document_uri: input.reference_document_uri.clone(),
            changes,
            created_at: now(),
        },
    );
    Ok(id)
}

fn level_events(st: &Store, group: u64) -> Vec<Event> {
    let Some(g) = st.adjustment_groups.get(&group) else {
        return Vec::new();
    };
    let mut seen = HashSet::new();
    g.changes
        .iter()
        .filter(|c| seen.insert((c.item_id, c.location_id)))
        .filter_map(|c| st.levels.get(&(c.item_id, c.location_id)))
        .map(|l| ("INVENTORY_LEVELS_UPDATE", webhooks::level_payload(l)))
        .collect()
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
            for (i, id) in p.products_to_add.iter().flatten().enumerate() {
                match parse_gid("Product", id.as_str()).filter(|n| st.products.contains_key(n)) {
                    Some(n) if !product_ids.contains(&n) => product_ids.push(n),
                    Some(_) => {}
                    None => errors.push(e(
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
                    )),
                }
            }
            for id in p.products_to_remove.iter().flatten() {
                product_ids.retain(|n| Some(*n) != parse_gid("Product", id.as_str()));
            }
            for (i, id) in p.product_variants_to_add.iter().flatten().enumerate() {
                match parse_gid("ProductVariant", id.as_str())
                    .filter(|n| st.variants.contains_key(n))
                {
                    Some(n) if !variant_ids.contains(&n) => variant_ids.push(n),
                    Some(_) => {}
                    None => errors.push(e(
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
                    )),
                }
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

type VariantMediaResult = (
    Option<Product>,
    Option<Vec<ProductVariant>>,
    Vec<MediaUserError>,
);

/// Attaches (`append`) or detaches media to/from variants of a product; all or nothing.
fn variant_media_change(
    c: &Ctx,
    product_id: &ID,
    pairs: &[(ID, Vec<ID>)],
    append: bool,
) -> Result<VariantMediaResult> {
    use MediaUserErrorCode as C;
    check_input_size("variantMedia", pairs.len())?;
    let mut st = lock(&c.state.store);
    let e = |code, f: &[&str], m: &str| MediaUserError::new(code, path(f), m);
    let Some(pid) =
        parse_gid("Product", product_id.as_str()).filter(|p| st.products.contains_key(p))
    else {
        return Ok((
            None,
            None,
            vec![e(
                C::PRODUCT_DOES_NOT_EXIST,
                &["productId"],
                "Product does not exist",
            )],
        ));
    };
    let mut errors = Vec::new();
    let mut plan = Vec::new();
    let mut seen = HashSet::new();
    for (i, (vid, media)) in pairs.iter().enumerate() {
        let idx = i.to_string();
        let Some(v) = parse_gid("ProductVariant", vid.as_str())
            .and_then(|n| st.variants.get(&n))
            .filter(|v| v.product_id == pid)
        else {
            errors.push(e(
                C::PRODUCT_VARIANT_DOES_NOT_EXIST_ON_PRODUCT,
                &["variantMedia", &idx, "variantId"],
                "Variant does not exist on the given product",
            ));
            continue;
        };
        if !seen.insert(v.id) {
            errors.push(e(
                C::PRODUCT_VARIANT_SPECIFIED_MULTIPLE_TIMES,
                &["variantMedia", &idx, "variantId"],
                "Variant is specified more than once",
            ));
            continue;
        }
        if media.len() != 1 {
            errors.push(e(
                C::TOO_MANY_MEDIA_PER_INPUT_PAIR,
                &["variantMedia", &idx, "mediaIds"],
                "Exactly one media per variant",
            ));
            continue;
        }
        let Some(m) = parse_gid("MediaImage", media[0].as_str())
            .and_then(|n| st.media.get(&n))
            .filter(|m| m.product_id == Some(pid))
        else {
            errors.push(e(
                C::MEDIA_DOES_NOT_EXIST_ON_PRODUCT,
                &["variantMedia", &idx, "mediaIds", "0"],
                "Media does not exist on the given product",
            ));
            continue;
        };
        if append {
            if !m.ready {
                errors.push(e(
                    C::NON_READY_MEDIA,
                    &["variantMedia", &idx, "mediaIds", "0"],
                    "Media is not ready",
                ));
                continue;
            }
            if v.media_id.is_some_and(|x| x != m.id) {
                errors.push(e(
                    C::PRODUCT_VARIANT_ALREADY_HAS_MEDIA,
                    &["variantMedia", &idx, "variantId"],
                    "The variant already has media; detach it first",
                ));
                continue;
            }
        } else if v.media_id != Some(m.id) {
            errors.push(e(
                C::MEDIA_IS_NOT_ATTACHED_TO_VARIANT,
                &["variantMedia", &idx, "mediaIds", "0"],
                "The media is not attached to the variant",
            ));
            continue;
        }
        plan.push((v.id, m.id));
    }
    if !errors.is_empty() {
        return Ok((st.products.get(&pid).cloned().map(Product), None, errors));
    }
    let now = now();
    let mut out = Vec::new();
    for (vid, mid) in plan {
        if let Some(v) = st.variants.get_mut(&vid) {
            v.media_id = if append { Some(mid) } else { None };
            v.updated_at = now;
            out.push(ProductVariant(v.clone()));
        }
    }
    Ok((
        st.products.get(&pid).cloned().map(Product),
        Some(out),
        Vec::new(),
    ))
}

// ===================================================================== Mutation

pub(crate) struct Mutation;

#[Object(name = "Mutation")]
impl Mutation {
    async fn product_set(
        &self,
        ctx: &Context<'_>,
        input: ProductSetInput,
        #[graphql(default_with = "Some(true)")] synchronous: Option<bool>,
        identifier: Option<ProductSetIdentifiers>,
    ) -> Result<Option<ProductSetPayload>> {
        let result: Result<ProductSetPayload> = async move {
            let c = cx(ctx)?;
            if let Some(v) = &input.variants {
                check_input_size("input.variants", v.len().min(MAX_INPUT))?;
            }
            if !synchronous.unwrap_or(true) {
                let op_id = {
                    let mut st = lock(&c.state.store);
                    let id = st.next_id();
                    st.product_ops.insert(
                        id,
                        ProductOpRec {
                            id,
                            product_id: None,
                            status: "CREATED",
                            user_errors: Vec::new(),
                        },
                    );
                    id
                };
                let state = c.state.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    if let Some(op) = lock(&state.store).product_ops.get_mut(&op_id) {
                        op.status = "ACTIVE";
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    let events = {
                        let mut st = lock(&state.store);
                        let result = product_set(&mut st, &input, &identifier);
                        let mut events = Vec::new();
                        let (pid, errors) = match result {
                            Ok((pid, created)) => {
                                if let Some(p) = st.products.get(&pid) {
                                    events.push((
                                        if created {
                                            "PRODUCTS_CREATE"
                                        } else {
                                            "PRODUCTS_UPDATE"
                                        },
                                        webhooks::product_payload(&st, p),
                                    ));
                                }
                                (Some(pid), Vec::new())
                            }
                            Err(errs) => (
                                None,
                                errs.into_iter()
                                    .map(|e| {
                                        (
                                            e.field.unwrap_or_default(),
                                            e.message,
                                            e.code
                                                .map(|c| c.as_str().to_string())
                                                .unwrap_or_default(),
                                        )
                                    })
                                    .collect(),
                            ),
                        };
                        if let Some(op) = st.product_ops.get_mut(&op_id) {
                            op.product_id = pid;
                            op.user_errors = errors;
                            op.status = "COMPLETE";
                        }
                        events
                    };
                    emit_all(&state, events);
                });
                let op = lock(&c.state.store).product_ops.get(&op_id).cloned();
                return Ok(ProductSetPayload {
                    product: None,
                    product_set_operation: op.map(ProductSetOperation),
                    user_errors: Vec::new(),
                });
            }
            let (payload, events) = {
                let mut st = lock(&c.state.store);
                match product_set(&mut st, &input, &identifier) {
                    Ok((pid, created)) => {
                        let p = st.products.get(&pid).cloned();
                        let events = p
                            .as_ref()
                            .map(|p| {
                                vec![(
                                    if created {
                                        "PRODUCTS_CREATE"
                                    } else {
                                        "PRODUCTS_UPDATE"
                                    },
                                    webhooks::product_payload(&st, p),
                                )]
                            })
                            .unwrap_or_default();
                        (
                            ProductSetPayload {
                                product: p.map(Product),
                                product_set_operation: None,
                                user_errors: Vec::new(),
                            },
                            events,
                        )
                    }
                    Err(errors) => (
                        ProductSetPayload {
                            product: None,
                            product_set_operation: None,
                            user_errors: errors,
                        },
                        Vec::new(),
                    ),
                }
            };
            emit_all(&c.state, events);
            Ok(payload)
        }
        .await;
        result.map(Some)
    }

    async fn product_update(
        &self,
        ctx: &Context<'_>,
        product: Option<ProductUpdateInput>,
        media: Option<Vec<CreateMediaInput>>,
    ) -> Result<Option<ProductUpdatePayload>> {
        let result: Result<ProductUpdatePayload> = async move {
        let c = cx(ctx)?;
        let Some(input) = product else {
            return Err(Error::new("argument `product` is required (the deprecated `input` argument is not supported by the sandbox)"));
        };
        let err = |f: &[&str], m: &str| Ok(ProductUpdatePayload { product: None, user_errors: vec![UserError { field: path(f), message: m.to_string() }] });
        let Some(id) = input.id.as_ref() else { return err(&["product", "id"], "Product id is required") };
        let Some(pid) = parse_gid("Product", id.as_str()) else { return err(&["product", "id"], "Product does not exist") };
        let (payload, events) = {
            let mut st = lock(&c.state.store);
            let Some(mut p) = st.products.get(&pid).cloned() else { return err(&["product", "id"], "Product does not exist") };
            if let Some(h) = &input.handle {
                if !valid_handle(h) {
                    return err(&["product", "handle"], "handle may hold only lowercase letters, digits, `-` and `_`");
                }
                if st.products.values().any(|o| &o.handle == h && o.id != pid) {
                    return err(&["product", "handle"], "Handle has already been taken");
                }
                p.handle = h.clone();
            }
            if let Some(t) = &input.title {
                if t.trim().is_empty() {
                    return err(&["product", "title"], "Title can't be blank");
                }
                p.title = t.clone();
            }
            if let Some(mfs) = &input.metafields
                && let Some((f, m)) = check_metafields(mfs, &["product", "metafields"]).into_iter().next()
            {
                return Ok(ProductUpdatePayload { product: None, user_errors: vec![UserError { field: Some(f), message: m }] });
            }
            for (i, m) in media.iter().flatten().enumerate() {
                if m.media_content_type != MediaContentType::IMAGE {
                    return err(&["media", &i.to_string(), "mediaContentType"], "only IMAGE media are supported by the sandbox");
                }
            }
            if let Some(d) = &input.description_html {
                p.description_html = d.clone();
            }
            if let Some(v) = &input.vendor {
                p.vendor = v.clone();
            }
            if let Some(t) = &input.product_type {
                p.product_type = t.clone();
            }
            if let Some(t) = &input.tags {
                p.tags = t.clone();
            }
            if let Some(s) = input.status {
                p.status = match s {
                    ProductStatus::ACTIVE => Status::Active,
                    ProductStatus::ARCHIVED => Status::Archived,
                    ProductStatus::DRAFT => Status::Draft,
                    ProductStatus::UNLISTED => Status::Unlisted,
                };
            }
            if let Some(mfs) = &input.metafields {
                p.metafields = apply_metafields(&mut st, &p.metafields, mfs, false);
            }
            for m in media.iter().flatten() {
                let id = new_media(&mut st, Some(pid), &m.original_source, m.alt.clone(), None);
                p.media_ids.push(id);
            }
            p.updated_at = now();
            st.products.insert(pid, p.clone());
            let events = vec![("PRODUCTS_UPDATE", webhooks::product_payload(&st, &p))];
            (ProductUpdatePayload { product: Some(Product(p)), user_errors: Vec::new() }, events)
        };
        emit_all(&c.state, events);
        Ok(payload)
            }
        .await;
        result.map(Some)
    }

    async fn product_variants_bulk_update(
        &self,
        ctx: &Context<'_>,
        variants: Vec<ProductVariantsBulkInput>,
        product_id: ID,
        media: Option<Vec<CreateMediaInput>>,
        #[graphql(default_with = "Some(false)")] allow_partial_updates: Option<bool>,
    ) -> Result<Option<ProductVariantsBulkUpdatePayload>> {
        let result: Result<ProductVariantsBulkUpdatePayload> = async move {
        use ProductVariantsBulkUpdateUserErrorCode as C;
        check_input_size("variants", variants.len())?;
        let c = cx(ctx)?;
        let e = |code, f: &[&str], m: &str| ProductVariantsBulkUpdateUserError::new(code, path(f), m);
        let (payload, events) = {
            let mut st = lock(&c.state.store);
            let Some(pid) = parse_gid("Product", product_id.as_str()).filter(|p| st.products.contains_key(p)) else {
                return Ok(ProductVariantsBulkUpdatePayload { product: None, product_variants: None, user_errors: vec![e(C::PRODUCT_DOES_NOT_EXIST, &["productId"], "Product does not exist")] });
            };
            let mut errors = Vec::new();
            let mut ok = Vec::new();
            for (i, v) in variants.iter().enumerate() {
                let idx = i.to_string();
                let before = errors.len();
                let vid = match &v.id {
                    None => {
                        errors.push(e(C::PRODUCT_VARIANT_ID_MISSING, &["variants", &idx, "id"], "Product variant is missing ID attribute"));
                        continue;
                    }
                    Some(id) => match parse_gid("ProductVariant", id.as_str()).and_then(|n| st.variants.get(&n)) {
                        None => {
                            errors.push(e(C::PRODUCT_VARIANT_DOES_NOT_EXIST, &["variants", &idx, "id"], "Product variant does not exist"));
                            continue;
                        }
                        Some(r) if r.product_id != pid => {
                            errors.push(e(C::MUST_BE_FOR_THIS_PRODUCT, &["variants", &idx, "id"], "Product variant does not belong to this product"));
                            continue;
                        }
                        Some(r) => r.id,
                    },
                };
                if v.inventory_quantities.is_some() {
                    errors.push(e(C::NO_INVENTORY_QUANTITIES_ON_VARIANTS_UPDATE, &["variants", &idx, "inventoryQuantities"], "Inventory quantities can only be provided during create. To update inventory for existing variants, use inventorySetQuantities."));
                }
                if v.price.is_some_and(|p| p.0.is_sign_negative()) {
                    errors.push(e(C::NEGATIVE_PRICE_VALUE, &["variants", &idx, "price"], "Price must be greater than or equal to 0"));
                }
                if let MaybeUndefined::Value(cp) = &v.compare_at_price
                    && cp.0.is_sign_negative()
                {
                    errors.push(e(C::GREATER_THAN_OR_EQUAL_TO, &["variants", &idx, "compareAtPrice"], "Compare at price must be greater than or equal to 0"));
                }
                if v.option_values.is_some() {
                    errors.push(e(C::INVALID_INPUT, &["variants", &idx, "optionValues"], "changing option values is not supported by the sandbox; use productSet"));
                }
                if let Some(mid) = &v.media_id
                    && parse_gid("MediaImage", mid.as_str()).and_then(|m| st.media.get(&m)).is_none_or(|m| m.product_id != Some(pid))
                {
                    errors.push(e(C::INVALID_INPUT, &["variants", &idx, "mediaId"], "Media does not exist on this product"));
                }
                if errors.len() == before {
                    ok.push((vid, v));
                }
            }
            if !errors.is_empty() && !allow_partial_updates.unwrap_or(false) {
                return Ok(ProductVariantsBulkUpdatePayload { product: st.products.get(&pid).cloned().map(Product), product_variants: None, user_errors: errors });
            }
            let now = now();
            let mut updated = Vec::new();
            for (vid, v) in ok {
                let mf = v.metafields.as_ref().map(|m| {
                    let prior = st.variants.get(&vid).map(|r| r.metafields.clone()).unwrap_or_default();
                    apply_metafields(&mut st, &prior, m, false)
                });
                let item_id = {
                    let Some(r) = st.variants.get_mut(&vid) else { continue };
                    if let Some(p) = v.price {
                        r.price = p.0;
                    }
                    match &v.compare_at_price {
                        MaybeUndefined::Value(cp) => r.compare_at_price = Some(cp.0),
                        MaybeUndefined::Null => r.compare_at_price = None,
                        MaybeUndefined::Undefined => {}
                    }
                    if v.barcode.is_some() {
                        r.barcode = v.barcode.clone();
                    }
                    if let Some(t) = v.taxable {
                        r.taxable = t;
                    }
                    if let Some(pol) = v.inventory_policy {
                        r.inventory_policy_continue = pol == ProductVariantInventoryPolicy::CONTINUE;
                    }
                    if let Some(s) = v.inventory_item.as_ref().and_then(|i| i.sku.clone()) {
                        r.sku = Some(s);
                    }
                    if let Some(m) = &v.media_id {
                        r.media_id = parse_gid("MediaImage", m.as_str());
                    }
                    if let Some(mf) = mf {
                        r.metafields = mf;
                    }
                    r.updated_at = now;
                    updated.push(r.clone());
                    r.inventory_item_id
                };
                if let (Some(ii), Some(item)) = (&v.inventory_item, st.items.get_mut(&item_id)) {
                    if let Some(cost) = ii.cost {
                        item.cost = Some(cost.0);
                    }
                    if let Some(t) = ii.tracked {
                        item.tracked = t;
                    }
                    item.updated_at = now;
                }
            }
            for m in media.iter().flatten() {
                let id = new_media(&mut st, Some(pid), &m.original_source, m.alt.clone(), None);
                if let Some(p) = st.products.get_mut(&pid) {
                    p.media_ids.push(id);
                }
            }
            if let Some(p) = st.products.get_mut(&pid) {
                p.updated_at = now;
            }
            let p = st.products.get(&pid).cloned();
            let events = p.iter().map(|p| ("PRODUCTS_UPDATE", webhooks::product_payload(&st, p))).collect::<Vec<_>>();
            (
                ProductVariantsBulkUpdatePayload { product: p.map(Product), product_variants: Some(updated.into_iter().map(ProductVariant).collect()), user_errors: errors },
                events,
            )
        };
        emit_all(&c.state, events);
        Ok(payload)
            }
        .await;
        result.map(Some)
    }

    async fn staged_uploads_create(
        &self,
        ctx: &Context<'_>,
        input: Vec<StagedUploadInput>,
    ) -> Result<Option<StagedUploadsCreatePayload>> {
        let result: Result<StagedUploadsCreatePayload> = async move {
        use StagedUploadTargetGenerateUploadResource as R;
        check_input_size("input", input.len())?;
        let c = cx(ctx)?;
        let mut st = lock(&c.state.store);
        let mut errors = Vec::new();
        for (i, u) in input.iter().enumerate() {
            let idx = i.to_string();
            if u.filename.trim().is_empty() {
                errors.push(UserError { field: path(&["input", &idx, "filename"]), message: "Filename can't be blank".into() });
            }
            if u.mime_type.trim().is_empty() {
                errors.push(UserError { field: path(&["input", &idx, "mimeType"]), message: "Mime type can't be blank".into() });
            }
            if !matches!(u.resource, R::IMAGE | R::FILE | R::PRODUCT_IMAGE | R::BULK_MUTATION_VARIABLES) {
                errors.push(UserError { field: path(&["input", &idx, "resource"]), message: format!("resource {} is not supported by the sandbox (IMAGE, FILE, PRODUCT_IMAGE, BULK_MUTATION_VARIABLES are)", u.resource.as_str()) });
            }
            if u.resource == R::BULK_MUTATION_VARIABLES && u.http_method != Some(StagedUploadHttpMethodType::POST) {
                errors.push(UserError { field: path(&["input", &idx, "httpMethod"]), message: "BULK_MUTATION_VARIABLES uploads must use httpMethod POST".into() });
            }
        }
        if !errors.is_empty() {
            return Ok(StagedUploadsCreatePayload { staged_targets: None, user_errors: errors });
        }
        let mut targets = Vec::new();
        for u in &input {
            let n = st.next_id();
            let dir = if u.resource == R::BULK_MUTATION_VARIABLES { "bulk" } else { "files" };
            let safe: String = u.filename.chars().map(|ch| if ch.is_ascii_alphanumeric() || ".-_".contains(ch) { ch } else { '_' }).collect();
            let key = format!("tmp/{}/{dir}/{n:08x}/{safe}", c.state.config.shop_domain);
            let signature = format!("{:016x}", n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let mut params = Vec::new();
            let url;
            if u.http_method == Some(StagedUploadHttpMethodType::POST) {
                url = format!("{}/__shopify/staged-uploads", c.base_url);
                for (k, v) in [
                    ("Content-Type", u.mime_type.clone()),
                    ("success_action_status", "201".to_string()),
                    ("acl", "private".to_string()),
                    ("key", key.clone()),
                    ("x-goog-date", now().format("%Y%m%dT%H%M%SZ").to_string()),
                    ("x-goog-credential", "sandbox-uploader/auto/storage/goog4_request".to_string()),
                    ("x-goog-algorithm", "GOOG4-RSA-SHA256".to_string()),
                    ("x-goog-signature", signature.clone()),
                    ("policy", format!("sandbox-policy-{n}")),
                ] {
                    params.push(StagedUploadParameter { name: k.to_string(), value: v });
                }
            } else {
                url = format!("{}/__shopify/staged-uploads/{key}?X-Goog-Signature={signature}", c.base_url);
                params.push(StagedUploadParameter { name: "content_type".into(), value: u.mime_type.clone() });
                params.push(StagedUploadParameter { name: "acl".into(), value: "private".into() });
            }
            st.staged.insert(key.clone(), StagedRec { mime_type: u.mime_type.clone(), bytes: None, signature, post: u.http_method == Some(StagedUploadHttpMethodType::POST), params: params.iter().map(|p| (p.name.clone(), p.value.clone())).collect() });
            targets.push(StagedMediaUploadTarget { parameters: params, resource_url: Some(Url(format!("{}/__shopify/staged-uploads/{key}", c.base_url))), url: Some(Url(url)) });
        }
        Ok(StagedUploadsCreatePayload { staged_targets: Some(targets), user_errors: Vec::new() })
            }
        .await;
        result.map(Some)
    }

    #[graphql(deprecation = "Use `productUpdate` or `productSet` instead.")]
    async fn product_create_media(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        media: Vec<CreateMediaInput>,
    ) -> Result<Option<ProductCreateMediaPayload>> {
        let result: Result<ProductCreateMediaPayload> = async move {
            use MediaUserErrorCode as C;
            check_input_size("media", media.len())?;
            let c = cx(ctx)?;
            let mut st = lock(&c.state.store);
            let Some(pid) =
                parse_gid("Product", product_id.as_str()).filter(|p| st.products.contains_key(p))
            else {
                return Ok(ProductCreateMediaPayload {
                    media: None,
                    media_user_errors: vec![MediaUserError::new(
                        C::PRODUCT_DOES_NOT_EXIST,
                        path(&["productId"]),
                        "Product does not exist",
                    )],
                    product: None,
                    user_errors: vec![UserError {
                        field: path(&["productId"]),
                        message: "Product does not exist".into(),
                    }],
                });
            };
            let mut errors = Vec::new();
            for (i, m) in media.iter().enumerate() {
                if m.media_content_type != MediaContentType::IMAGE {
                    errors.push(MediaUserError::new(
                        C::INVALID_MEDIA_TYPE,
                        path(&["media", &i.to_string(), "mediaContentType"]),
                        "only IMAGE media are supported by the sandbox",
                    ));
                }
                if m.original_source.trim().is_empty() {
                    errors.push(MediaUserError::new(
                        C::BLANK,
                        path(&["media", &i.to_string(), "originalSource"]),
                        "Original source can't be blank",
                    ));
                }
            }
            if !errors.is_empty() {
                let user_errors = errors
                    .iter()
                    .map(|e| UserError {
                        field: e.field.clone(),
                        message: e.message.clone(),
                    })
                    .collect();
                return Ok(ProductCreateMediaPayload {
                    media: None,
                    media_user_errors: errors,
                    product: st.products.get(&pid).cloned().map(Product),
                    user_errors,
                });
            }
            let mut out = Vec::new();
            for m in &media {
                let id = new_media(&mut st, Some(pid), &m.original_source, m.alt.clone(), None);
                if let Some(p) = st.products.get_mut(&pid) {
                    p.media_ids.push(id);
                    p.updated_at = now();
                }
                if let Some(r) = st.media.get(&id) {
                    out.push(Media::MediaImage(MediaImage(r.clone())));
                }
            }
            Ok(ProductCreateMediaPayload {
                media: Some(out),
                media_user_errors: Vec::new(),
                product: st.products.get(&pid).cloned().map(Product),
                user_errors: Vec::new(),
            })
        }
        .await;
        result.map(Some)
    }

    #[graphql(deprecation = "Use `fileUpdate` instead.")]
    async fn product_delete_media(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        media_ids: Vec<ID>,
    ) -> Result<Option<ProductDeleteMediaPayload>> {
        let result: Result<ProductDeleteMediaPayload> = async move {
            use MediaUserErrorCode as C;
            check_input_size("mediaIds", media_ids.len())?;
            let c = cx(ctx)?;
            let mut st = lock(&c.state.store);
            let err = |code, f: &[&str], m: &str| {
                Ok(ProductDeleteMediaPayload {
                    deleted_media_ids: None,
                    deleted_product_image_ids: None,
                    media_user_errors: vec![MediaUserError::new(code, path(f), m)],
                    product: None,
                    user_errors: vec![UserError {
                        field: path(f),
                        message: m.into(),
                    }],
                })
            };
            let Some(pid) =
                parse_gid("Product", product_id.as_str()).filter(|p| st.products.contains_key(p))
            else {
                return err(
                    C::PRODUCT_DOES_NOT_EXIST,
                    &["productId"],
                    "Product does not exist",
                );
            };
            let mut ids = Vec::new();
            for (i, m) in media_ids.iter().enumerate() {
                match parse_gid("MediaImage", m.as_str()).and_then(|n| st.media.get(&n)) {
                    Some(r) if r.product_id == Some(pid) => ids.push(r.id),
                    Some(_) => {
                        return err(
                            C::MEDIA_DOES_NOT_EXIST_ON_PRODUCT,
                            &["mediaIds", &i.to_string()],
                            "Media does not exist on the given product",
                        );
                    }
                    None => {
                        return err(
                            C::MEDIA_DOES_NOT_EXIST,
                            &["mediaIds", &i.to_string()],
                            "Media does not exist",
                        );
                    }
                }
            }
            for id in &ids {
                st.media.remove(id);
            }
            for v in st.variants.values_mut().filter(|v| v.product_id == pid) {
                if v.media_id.is_some_and(|m| ids.contains(&m)) {
                    v.media_id = None;
                }
            }
            if let Some(p) = st.products.get_mut(&pid) {
                p.media_ids.retain(|m| !ids.contains(m));
                p.updated_at = now();
            }
            Ok(ProductDeleteMediaPayload {
                deleted_media_ids: Some(ids.iter().map(|i| ID(gid("MediaImage", *i))).collect()),
                deleted_product_image_ids: Some(
                    ids.iter().map(|i| ID(gid("ProductImage", *i))).collect(),
                ),
                media_user_errors: Vec::new(),
                product: st.products.get(&pid).cloned().map(Product),
                user_errors: Vec::new(),
            })
        }
        .await;
        result.map(Some)
    }

    async fn file_create(
        &self,
        ctx: &Context<'_>,
        files: Vec<FileCreateInput>,
    ) -> Result<Option<FileCreatePayload>> {
        let result: Result<FileCreatePayload> = async move {
            check_input_size("files", files.len())?;
            let c = cx(ctx)?;
            let mut st = lock(&c.state.store);
            let mut errors = Vec::new();
            for (i, f) in files.iter().enumerate() {
                if f.original_source.trim().is_empty() {
                    errors.push(FilesUserError::new(
                        FilesErrorCode::MISSING_ARGUMENTS,
                        path(&["files", &i.to_string(), "originalSource"]),
                        "Original source can't be blank",
                    ));
                }
                if f.content_type.is_some_and(|t| t != FileContentType::IMAGE) {
                    errors.push(FilesUserError::new(
                        FilesErrorCode::INVALID,
                        path(&["files", &i.to_string(), "contentType"]),
                        "only IMAGE files are supported by the sandbox",
                    ));
                }
            }
            if !errors.is_empty() {
                return Ok(FileCreatePayload {
                    files: None,
                    user_errors: errors,
                });
            }
            let mut out = Vec::new();
            for f in &files {
                let id = new_media(
                    &mut st,
                    None,
                    &f.original_source,
                    f.alt.clone(),
                    f.filename.clone(),
                );
                if let Some(r) = st.media.get(&id) {
                    out.push(File::MediaImage(MediaImage(r.clone())));
                }
            }
            Ok(FileCreatePayload {
                files: Some(out),
                user_errors: Vec::new(),
            })
        }
        .await;
        result.map(Some)
    }

    async fn product_variant_append_media(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        variant_media: Vec<ProductVariantAppendMediaInput>,
    ) -> Result<Option<ProductVariantAppendMediaPayload>> {
        let pairs: Vec<(ID, Vec<ID>)> = variant_media
            .into_iter()
            .map(|v| (v.variant_id, v.media_ids))
            .collect();
        let (product, variants, errors) =
            variant_media_change(cx(ctx)?, &product_id, &pairs, true)?;
        Ok(Some(ProductVariantAppendMediaPayload {
            product,
            product_variants: variants,
            user_errors: errors,
        }))
    }

    async fn product_variant_detach_media(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        variant_media: Vec<ProductVariantDetachMediaInput>,
    ) -> Result<Option<ProductVariantDetachMediaPayload>> {
        let pairs: Vec<(ID, Vec<ID>)> = variant_media
            .into_iter()
            .map(|v| (v.variant_id, v.media_ids))
            .collect();
        let (product, variants, errors) =
            variant_media_change(cx(ctx)?, &product_id, &pairs, false)?;
        Ok(Some(ProductVariantDetachMediaPayload {
            product,
            product_variants: variants,
            user_errors: errors,
        }))
    }

    async fn file_update(
        &self,
        ctx: &Context<'_>,
        files: Vec<FileUpdateInput>,
    ) -> Result<Option<FileUpdatePayload>> {
        check_input_size("files", files.len())?;
        let c = cx(ctx)?;
        let mut st = lock(&c.state.store);
        let e = |code, f: &[&str], m: &str| FilesUserError::new(code, path(f), m);
        let mut errors = Vec::new();
        let mut plan = Vec::new();
        for (i, f) in files.iter().enumerate() {
            let idx = i.to_string();
            let Some(mid) =
                parse_gid("MediaImage", f.id.as_str()).filter(|n| st.media.contains_key(n))
            else {
                errors.push(e(
                    FilesErrorCode::FILE_DOES_NOT_EXIST,
                    &["files", &idx, "id"],
                    &format!("File id {} does not exist.", f.id.as_str()),
                ));
                continue;
            };
            if f.preview_image_source.is_some() {
                errors.push(e(
                    FilesErrorCode::INVALID,
                    &["files", &idx, "previewImageSource"],
                    "previewImageSource is for non-image files, which the sandbox does not support",
                ));
            }
            let mut add = Vec::new();
            for (j, r) in f.references_to_add.iter().flatten().enumerate() {
                match parse_gid("Product", r.as_str()).filter(|n| st.products.contains_key(n)) {
                    Some(p) => add.push(p),
                    None => errors.push(e(
                        FilesErrorCode::INVALID,
                        &["files", &idx, "referencesToAdd", &j.to_string()],
                        "only existing products can be referenced by the sandbox's files",
                    )),
                }
            }
            let mut remove = Vec::new();
            for (j, r) in f.references_to_remove.iter().flatten().enumerate() {
                match parse_gid("Product", r.as_str()).filter(|n| {
                    st.products
                        .get(n)
                        .is_some_and(|p| p.media_ids.contains(&mid))
                }) {
                    Some(p) => remove.push(p),
                    None => errors.push(e(
                        FilesErrorCode::INVALID,
                        &["files", &idx, "referencesToRemove", &j.to_string()],
                        "the file is not referenced by that product",
                    )),
                }
            }
            if add.len() > 1
                || (add.len() == 1
                    && st
                        .media
                        .get(&mid)
                        .and_then(|m| m.product_id)
                        .is_some_and(|p| p != add[0]))
            {
                errors.push(e(
                    FilesErrorCode::INVALID,
                    &["files", &idx, "referencesToAdd"],
                    "the sandbox attaches a file to one product at most",
                ));
            }
            plan.push((mid, f.clone(), add, remove));
        }
        if !errors.is_empty() {
            return Ok(Some(FileUpdatePayload {
                files: None,
                user_errors: errors,
            }));
        }
        let now = now();
        let mut out = Vec::new();
        for (mid, f, add, remove) in plan {
            if let Some(src) = &f.original_source {
                let (ready, error) = media_source_state(&st, src);
                if let Some(m) = st.media.get_mut(&mid) {
                    m.original_source = src.clone();
                    m.ready = ready;
                    m.error = error;
                }
            }
            for p in &remove {
                if let Some(prod) = st.products.get_mut(p) {
                    prod.media_ids.retain(|m| *m != mid);
                    prod.updated_at = now;
                }
                for v in st
                    .variants
                    .values_mut()
                    .filter(|v| v.product_id == *p && v.media_id == Some(mid))
                {
                    v.media_id = None;
                }
            }
            for p in &add {
                if let Some(prod) = st.products.get_mut(p)
                    && !prod.media_ids.contains(&mid)
                {
                    prod.media_ids.push(mid);
                    prod.updated_at = now;
                }
            }
            if let Some(m) = st.media.get_mut(&mid) {
                if f.alt.is_some() {
                    m.alt = f.alt.clone();
                }
                if f.filename.is_some() {
                    m.filename = f.filename.clone();
                }
                if !remove.is_empty() {
                    m.product_id = None;
                }
                if let Some(p) = add.first() {
                    m.product_id = Some(*p);
                }
                m.updated_at = now;
                out.push(File::MediaImage(MediaImage(m.clone())));
            }
        }
        Ok(Some(FileUpdatePayload {
            files: Some(out),
            user_errors: Vec::new(),
        }))
    }

    async fn file_delete(
        &self,
        ctx: &Context<'_>,
        file_ids: Vec<ID>,
    ) -> Result<Option<FileDeletePayload>> {
        let result: Result<FileDeletePayload> = async move {
            check_input_size("fileIds", file_ids.len())?;
            let c = cx(ctx)?;
            let mut st = lock(&c.state.store);
            let mut ids = Vec::new();
            for (i, f) in file_ids.iter().enumerate() {
                match parse_gid("MediaImage", f.as_str()).filter(|n| st.media.contains_key(n)) {
                    Some(n) => ids.push(n),
                    None => {
                        return Ok(FileDeletePayload {
                            deleted_file_ids: None,
                            user_errors: vec![FilesUserError::new(
                                FilesErrorCode::FILE_DOES_NOT_EXIST,
                                path(&["fileIds", &i.to_string()]),
                                format!("File id {} does not exist.", f.as_str()),
                            )],
                        });
                    }
                }
            }
            for id in &ids {
                st.media.remove(id);
            }
            for p in st.products.values_mut() {
                p.media_ids.retain(|m| !ids.contains(m));
            }
            for v in st.variants.values_mut() {
                if v.media_id.is_some_and(|m| ids.contains(&m)) {
                    v.media_id = None;
                }
            }
            Ok(FileDeletePayload {
                deleted_file_ids: Some(ids.iter().map(|i| ID(gid("MediaImage", *i))).collect()),
                user_errors: Vec::new(),
            })
        }
        .await;
        result.map(Some)
    }

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

    async fn inventory_set_quantities(
        &self,
        ctx: &Context<'_>,
        input: InventorySetQuantitiesInput,
    ) -> Result<Option<InventorySetQuantitiesPayload>> {
        let result: Result<InventorySetQuantitiesPayload> = async move {
        check_input_size("input.quantities", input.quantities.len())?;
        let c = cx(ctx)?;
        let key = idempotency_key(ctx)?;
        let new_api = c.version.as_str() >= "2026-04";
        if new_api && key.is_none() {
            return Err(Error::new("The @idempotent directive is required for inventorySetQuantities as of API version 2026-04.")
                .extend_with(|_, e| e.set("code", "BAD_REQUEST")));
        }
        let fingerprint = format!("inventorySetQuantities:{:?}", ctx.field().arguments()?);
        let (group, errors, events) = {
            let mut st = lock(&c.state.store);
            if let Some(k) = &key
                && let Some(prior) = st.idempotent.get(k).cloned()
            {
                if prior.fingerprint != fingerprint {
                    let e = ise(InventorySetQuantitiesUserErrorCode::IDEMPOTENCY_KEY_PARAMETER_MISMATCH, &["input"], "The same idempotency key was used with different parameters.");
                    return Ok(InventorySetQuantitiesPayload { inventory_adjustment_group: None, user_errors: vec![e] });
                }
                let group = prior.result.get("group").and_then(Value::as_u64).and_then(|g| st.adjustment_groups.get(&g)).cloned();
                let errors = prior
                    .result
                    .get("errors")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .map(|e| InventorySetQuantitiesUserError {
                                code: e["code"].as_str().and_then(InventorySetQuantitiesUserErrorCode::parse),
                                field: e["field"].as_array().map(|f| f.iter().filter_map(|s| s.as_str().map(String::from)).collect()),
                                message: e["message"].as_str().unwrap_or_default().to_string(),
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                return Ok(InventorySetQuantitiesPayload { inventory_adjustment_group: group.map(InventoryAdjustmentGroup), user_errors: errors });
            }
            let result = inventory_set(&mut st, &input, &c.version);
            let (group, errors) = match result {
                Ok(g) => (Some(g), Vec::new()),
                Err(e) => (None, e),
            };
            if let Some(k) = key {
                let remembered = json!({
                    "group": group,
                    "errors": errors.iter().map(|e| json!({"code": e.code.map(|c| c.as_str()), "field": e.field, "message": e.message})).collect::<Vec<_>>(),
                });
                st.idempotent.insert(k, IdempotentRec { fingerprint, result: remembered });
            }
            let events = group.map(|g| level_events(&st, g)).unwrap_or_default();
            (group.and_then(|g| st.adjustment_groups.get(&g).cloned()), errors, events)
        };
        emit_all(&c.state, events);
        Ok(InventorySetQuantitiesPayload { inventory_adjustment_group: group.map(InventoryAdjustmentGroup), user_errors: errors })
            }
        .await;
        result.map(Some)
    }

    async fn inventory_adjust_quantities(
        &self,
        ctx: &Context<'_>,
        input: InventoryAdjustQuantitiesInput,
    ) -> Result<Option<InventoryAdjustQuantitiesPayload>> {
        let result: Result<InventoryAdjustQuantitiesPayload> = async move {
        use InventoryAdjustQuantitiesUserErrorCode as C;
        check_input_size("input.changes", input.changes.len())?;
        let c = cx(ctx)?;
        let e = |code, f: &[&str], m: &str| InventoryAdjustQuantitiesUserError::new(code, path(f), m);
        let (payload, events) = {
            let mut st = lock(&c.state.store);
            let mut errors = Vec::new();
            if input.name != "available" && input.name != "on_hand" {
                errors.push(e(C::INVALID_QUANTITY_NAME, &["input", "name"], "The quantity name must be 'available' or 'on_hand' (the sandbox tracks no other state)."));
            }
            if !REASONS.contains(&input.reason.as_str()) {
                errors.push(e(C::INVALID_REASON, &["input", "reason"], &format!("The specified reason `{}` is invalid.", input.reason)));
            }
            if let Some(uri) = &input.reference_document_uri
                && !uri.contains(':')
            {
                errors.push(e(C::INVALID_REFERENCE_DOCUMENT, &["input", "referenceDocumentUri"], "The reference document URI must be a valid URI."));
            }
            let mut plan = Vec::new();
            for (i, ch) in input.changes.iter().enumerate() {
                let idx = i.to_string();
                let Some(item) = parse_gid("InventoryItem", ch.inventory_item_id.as_str()).filter(|n| st.items.contains_key(n)) else {
                    errors.push(e(C::INVALID_INVENTORY_ITEM, &["input", "changes", &idx, "inventoryItemId"], "The specified inventory item could not be found."));
                    continue;
                };
                let Some(loc) = parse_gid("Location", ch.location_id.as_str()).filter(|n| st.locations.contains_key(n)) else {
                    errors.push(e(C::INVALID_LOCATION, &["input", "changes", &idx, "locationId"], "The specified location could not be found."));
                    continue;
                };
                match (&ch.ledger_document_uri, input.name.as_str()) {
                    (Some(_), "available") => errors.push(e(C::INVALID_AVAILABLE_DOCUMENT, &["input", "changes", &idx, "ledgerDocumentUri"], "The available quantity can't have a ledger document.")),
                    (None, name) if name != "available" => errors.push(e(C::INVALID_QUANTITY_DOCUMENT, &["input", "changes", &idx, "ledgerDocumentUri"], "A ledger document URI is required for quantity names other than available.")),
                    _ => {}
                }
                let Some(level) = st.levels.get(&(item, loc)) else {
                    errors.push(e(C::ITEM_NOT_STOCKED_AT_LOCATION, &["input", "changes", &idx, "locationId"], "The specified inventory item is not stocked at the location."));
                    continue;
                };
                let current = if input.name == "on_hand" { level.on_hand } else { level.available };
                if let Some(expected) = ch.change_from_quantity
                    && i64::from(expected) != current
                {
                    errors.push(e(C::CHANGE_FROM_QUANTITY_STALE, &["input", "changes", &idx, "changeFromQuantity"], &format!("The specified changeFromQuantity ({expected}) does not match the current quantity ({current}).")));
                }
                let after = current + i64::from(ch.delta);
                if after > 1_000_000_000 {
                    errors.push(e(C::INVALID_QUANTITY_TOO_HIGH, &["input", "changes", &idx, "delta"], "The quantity can't be higher than 1,000,000,000."));
                } else if after < -1_000_000_000 {
                    errors.push(e(C::INVALID_QUANTITY_TOO_LOW, &["input", "changes", &idx, "delta"], "The quantity can't be lower than -1,000,000,000."));
                }
                plan.push((item, loc, after, ch.ledger_document_uri.clone()));
            }
            if !errors.is_empty() {
                return Ok(InventoryAdjustQuantitiesPayload { inventory_adjustment_group: None, user_errors: errors });
            }
            let mut changes = Vec::new();
            for (item, loc, after, ledger) in plan {
                changes.extend(set_quantity(&mut st, item, loc, &input.name, after, ledger));
            }
            let id = st.next_id();
            let group = AdjustmentGroupRec { id, reason: input.reason.clone(), reference_document_uri: input.reference_document_uri.clone(), changes, created_at: now() };
            st.adjustment_groups.insert(id, group.clone());
            let events = level_events(&st, id);
            (InventoryAdjustQuantitiesPayload { inventory_adjustment_group: Some(InventoryAdjustmentGroup(group)), user_errors: Vec::new() }, events)
        };
        emit_all(&c.state, events);
        Ok(payload)
            }
        .await;
        result.map(Some)
    }

    async fn product_variants_bulk_create(
        &self,
        ctx: &Context<'_>,
        variants: Vec<ProductVariantsBulkInput>,
        product_id: ID,
        media: Option<Vec<CreateMediaInput>>,
        #[graphql(default_with = "Some(ProductVariantsBulkCreateStrategy::DEFAULT)")]
        strategy: Option<ProductVariantsBulkCreateStrategy>,
    ) -> Result<Option<ProductVariantsBulkCreatePayload>> {
        let result: Result<ProductVariantsBulkCreatePayload> = async move {
            use ProductVariantsBulkCreateUserErrorCode as C;
            check_input_size("variants", variants.len())?;
            let c = cx(ctx)?;
            let e = |code, f: &[&str], m: &str| {
                ProductVariantsBulkCreateUserError::new(code, path(f), m)
            };
            let (payload, events) = {
                let mut st = lock(&c.state.store);
                let Some(pid) = parse_gid("Product", product_id.as_str())
                    .filter(|p| st.products.contains_key(p))
                else {
                    return Ok(ProductVariantsBulkCreatePayload {
                        product: None,
                        product_variants: None,
                        user_errors: vec![e(
                            C::PRODUCT_DOES_NOT_EXIST,
                            &["productId"],
                            "Product does not exist",
                        )],
                    });
                };
                let mut p = st
                    .products
                    .get(&pid)
                    .cloned()
                    .ok_or_else(|| Error::new("product vanished"))?;
                let standalone = p.variant_ids.len() == 1
                    && st.variants.get(&p.variant_ids[0]).is_some_and(|v| {
                        v.selected == vec![("Title".to_string(), "Default Title".to_string())]
                    });
                let replace_standalone = standalone
                    && strategy
                        != Some(ProductVariantsBulkCreateStrategy::PRESERVE_STANDALONE_VARIANT);
                // The option names in play: the product's, or (replacing the standalone variant)
                // those the new variants use, in order of appearance.
                let option_names: Vec<String> = if replace_standalone {
                    let mut names = Vec::new();
                    for v in &variants {
                        for ov in v.option_values.iter().flatten() {
                            if let Some(n) = &ov.option_name
                                && !names.contains(n)
                            {
                                names.push(n.clone());
                            }
                        }
                    }
                    names
                } else {
                    p.options.iter().map(|o| o.name.clone()).collect()
                };
                let mut errors = Vec::new();
                let mut selections = Vec::new();
                let existing: Vec<Vec<(String, String)>> = if replace_standalone {
                    Vec::new()
                } else {
                    p.variant_ids
                        .iter()
                        .filter_map(|v| st.variants.get(v))
                        .map(|v| v.selected.clone())
                        .collect()
                };
                for (i, v) in variants.iter().enumerate() {
                    let idx = i.to_string();
                    if v.id.is_some() {
                        errors.push(e(
                            C::INVALID_INPUT,
                            &["variants", &idx, "id"],
                            "id can't be given when creating a variant",
                        ));
                    }
                    if v.price.is_some_and(|p| p.0.is_sign_negative()) {
                        errors.push(e(
                            C::NEGATIVE_PRICE_VALUE,
                            &["variants", &idx, "price"],
                            "Price must be greater than or equal to 0",
                        ));
                    }
                    let mut sel = Vec::new();
                    for ov in v.option_values.iter().flatten() {
                        match (&ov.option_name, &ov.name) {
                            (Some(o), Some(n)) if option_names.contains(o) => {
                                sel.push((o.clone(), n.clone()))
                            }
                            (Some(o), _) if !option_names.contains(o) => {
                                errors.push(e(
                                    C::OPTION_VALUES_FOR_NUMBER_OF_UNKNOWN_OPTIONS,
                                    &["variants", &idx, "optionValues"],
                                    &format!("Option `{o}` does not exist on the product"),
                                ));
                            }
                            _ => errors.push(e(
                                C::INVALID_INPUT,
                                &["variants", &idx, "optionValues"],
                                "each option value needs `optionName` and `name`",
                            )),
                        }
                    }
                    sel.sort_by_key(|(n, _)| option_names.iter().position(|o| o == n));
                    if sel.len() != option_names.len() {
                        errors.push(e(
                            C::NEED_TO_ADD_OPTION_VALUES,
                            &["variants", &idx, "optionValues"],
                            "a variant needs exactly one value for every product option",
                        ));
                    } else if existing.contains(&sel) || selections.contains(&sel) {
                        errors.push(e(
                            C::VARIANT_ALREADY_EXISTS,
                            &["variants", &idx, "optionValues"],
                            "a variant with these option values already exists",
                        ));
                    }
                    for (j, q) in v.inventory_quantities.iter().flatten().enumerate() {
                        if !parse_gid("Location", q.location_id.as_str())
                            .is_some_and(|l| st.locations.contains_key(&l))
                        {
                            errors.push(e(
                                C::TRACKED_VARIANT_LOCATION_NOT_FOUND,
                                &[
                                    "variants",
                                    &idx,
                                    "inventoryQuantities",
                                    &j.to_string(),
                                    "locationId",
                                ],
                                "Location does not exist",
                            ));
                        }
                    }
                    selections.push(sel);
                }
                if option_names.len() > 3 {
                    errors.push(e(
                        C::INVALID_INPUT,
                        &["variants"],
                        "a product has at most 3 options",
                    ));
                }
                if !errors.is_empty() {
                    return Ok(ProductVariantsBulkCreatePayload {
                        product: Some(Product(p)),
                        product_variants: None,
                        user_errors: errors,
                    });
                }
                if replace_standalone {
                    for old in std::mem::take(&mut p.variant_ids) {
                        st.remove_variant(old);
                    }
                    p.options = option_names
                        .iter()
                        .enumerate()
                        .map(|(i, n)| OptionRec {
                            id: 0,
                            name: n.clone(),
                            position: i as i32 + 1,
                            values: Vec::new(),
                        })
                        .collect();
                    for o in &mut p.options {
                        o.id = st.next_id();
                    }
                }
                // New option values join their options.
                for sel in &selections {
                    for (o, v) in sel {
                        let fresh = st.next_id();
                        if let Some(opt) = p.options.iter_mut().find(|x| &x.name == o)
                            && !opt.values.iter().any(|(_, n)| n == v)
                        {
                            opt.values.push((fresh, v.clone()));
                        }
                    }
                }
                let mut created = Vec::new();
                for (v, sel) in variants.iter().zip(selections) {
                    let position = p.variant_ids.len() as i32 + 1;
                    let vid = new_variant(&mut st, pid, sel, position);
                    p.variant_ids.push(vid);
                    let item_id = {
                        let Some(r) = st.variants.get_mut(&vid) else {
                            continue;
                        };
                        if let Some(pr) = v.price {
                            r.price = pr.0;
                        }
                        if let MaybeUndefined::Value(cp) = &v.compare_at_price {
                            r.compare_at_price = Some(cp.0);
                        }
                        r.barcode = v.barcode.clone();
                        r.sku = v.inventory_item.as_ref().and_then(|i| i.sku.clone());
                        if let Some(t) = v.taxable {
                            r.taxable = t;
                        }
                        if let Some(pol) = v.inventory_policy {
                            r.inventory_policy_continue =
                                pol == ProductVariantInventoryPolicy::CONTINUE;
                        }
                        r.inventory_item_id
                    };
                    if let (Some(ii), Some(item)) = (&v.inventory_item, st.items.get_mut(&item_id))
                    {
                        item.cost = ii.cost.map(|c| c.0);
                        if let Some(t) = ii.tracked {
                            item.tracked = t;
                        }
                    }
                    for q in v.inventory_quantities.iter().flatten() {
                        if let Some(loc) = parse_gid("Location", q.location_id.as_str()) {
                            set_quantity(
                                &mut st,
                                item_id,
                                loc,
                                "available",
                                i64::from(q.available_quantity),
                                None,
                            );
                        }
                    }
                    if let Some(r) = st.variants.get(&vid) {
                        created.push(r.clone());
                    }
                }
                for m in media.iter().flatten() {
                    let id = new_media(&mut st, Some(pid), &m.original_source, m.alt.clone(), None);
                    p.media_ids.push(id);
                }
                p.updated_at = now();
                st.products.insert(pid, p.clone());
                let events = vec![("PRODUCTS_UPDATE", webhooks::product_payload(&st, &p))];
                (
                    ProductVariantsBulkCreatePayload {
                        product: Some(Product(p)),
                        product_variants: Some(created.into_iter().map(ProductVariant).collect()),
                        user_errors: Vec::new(),
                    },
                    events,
                )
            };
            emit_all(&c.state, events);
            Ok(payload)
        }
        .await;
        result.map(Some)
    }

    async fn product_variants_bulk_delete(
        &self,
        ctx: &Context<'_>,
        variants_ids: Vec<ID>,
        product_id: ID,
    ) -> Result<Option<ProductVariantsBulkDeletePayload>> {
        let result: Result<ProductVariantsBulkDeletePayload> = async move {
            use ProductVariantsBulkDeleteUserErrorCode as C;
            check_input_size("variantsIds", variants_ids.len())?;
            let c = cx(ctx)?;
            let e = |code, f: &[&str], m: &str| {
                ProductVariantsBulkDeleteUserError::new(code, path(f), m)
            };
            let (payload, events) = {
                let mut st = lock(&c.state.store);
                let Some(pid) = parse_gid("Product", product_id.as_str())
                    .filter(|p| st.products.contains_key(p))
                else {
                    return Ok(ProductVariantsBulkDeletePayload {
                        product: None,
                        user_errors: vec![e(
                            C::PRODUCT_DOES_NOT_EXIST,
                            &["productId"],
                            "Product does not exist",
                        )],
                    });
                };
                let mut p = st
                    .products
                    .get(&pid)
                    .cloned()
                    .ok_or_else(|| Error::new("product vanished"))?;
                let mut ids = Vec::new();
                for v in &variants_ids {
                    match parse_gid("ProductVariant", v.as_str()) {
                        Some(n) if p.variant_ids.contains(&n) => ids.push(n),
                        _ => {
                            return Ok(ProductVariantsBulkDeletePayload {
                                product: Some(Product(p)),
                                user_errors: vec![e(
                                    C::AT_LEAST_ONE_VARIANT_DOES_NOT_BELONG_TO_THE_PRODUCT,
                                    &["variantsIds"],
                                    "At least one variant does not belong to the product",
                                )],
                            });
                        }
                    }
                }
                if p.variant_ids.iter().all(|v| ids.contains(v)) {
                    return Ok(ProductVariantsBulkDeletePayload {
                        product: Some(Product(p)),
                        user_errors: vec![e(
                            C::CANNOT_DELETE_LAST_VARIANT,
                            &["variantsIds"],
                            "Cannot delete the last variant of a product",
                        )],
                    });
                }
                for id in &ids {
                    st.remove_variant(*id);
                }
                p.variant_ids.retain(|v| !ids.contains(v));
                p.updated_at = now();
                st.products.insert(pid, p.clone());
                let events = vec![("PRODUCTS_UPDATE", webhooks::product_payload(&st, &p))];
                (
                    ProductVariantsBulkDeletePayload {
                        product: Some(Product(p)),
                        user_errors: Vec::new(),
                    },
                    events,
                )
            };
            emit_all(&c.state, events);
            Ok(payload)
        }
        .await;
        result.map(Some)
    }

    async fn inventory_activate(
        &self,
        ctx: &Context<'_>,
        inventory_item_id: ID,
        location_id: ID,
        available: Option<i32>,
        on_hand: Option<i32>,
        #[graphql(default_with = "Some(false)")] stock_at_legacy_location: Option<bool>,
    ) -> Result<Option<InventoryActivatePayload>> {
        let result: Result<InventoryActivatePayload> = async move {
        let _ = stock_at_legacy_location;
        let c = cx(ctx)?;
        let err = |f: &str, m: &str| Ok(InventoryActivatePayload { inventory_level: None, user_errors: vec![UserError { field: path(&[f]), message: m.to_string() }] });
        let mut st = lock(&c.state.store);
        let Some(item) = parse_gid("InventoryItem", inventory_item_id.as_str()).filter(|n| st.items.contains_key(n)) else {
            return err("inventoryItemId", "Inventory item does not exist");
        };
        let Some(loc) = parse_gid("Location", location_id.as_str()).filter(|n| st.locations.contains_key(n)) else {
            return err("locationId", "Location does not exist");
        };
        if available.is_some() && on_hand.is_some() {
            return err("available", "available and onHand can't both be given");
        }
        if available.is_some_and(|a| a < 0) || on_hand.is_some_and(|a| a < 0) {
            return err("available", "quantity must be at least 0");
        }
        let existed = st.levels.contains_key(&(item, loc));
        if existed && (available.is_some() || on_hand.is_some()) {
            return err("available", "Not allowed to set available quantity when the item is already active at the location.");
        }
        st.level_mut(item, loc, now());
        if let Some(a) = available {
            set_quantity(&mut st, item, loc, "available", i64::from(a), None);
        } else if let Some(o) = on_hand {
            set_quantity(&mut st, item, loc, "on_hand", i64::from(o), None);
        }
        Ok(InventoryActivatePayload { inventory_level: st.levels.get(&(item, loc)).cloned().map(InventoryLevel), user_errors: Vec::new() })
            }
        .await;
        result.map(Some)
    }

    async fn fulfillment_create(
        &self,
        ctx: &Context<'_>,
        fulfillment: FulfillmentInput,
        message: Option<String>,
    ) -> Result<Option<FulfillmentCreatePayload>> {
        let result: Result<FulfillmentCreatePayload> = async move {
        let _ = message;
        let c = cx(ctx)?;
        let err = |f: &[&str], m: &str| Ok(FulfillmentCreatePayload { fulfillment: None, user_errors: vec![UserError { field: path(f), message: m.to_string() }] });
        let (payload, events) = {
            let mut st = lock(&c.state.store);
            if fulfillment.line_items_by_fulfillment_order.is_empty() {
                return err(&["fulfillment", "lineItemsByFulfillmentOrder"], "At least one fulfillment order is required");
            }
            let mut order_id = None;
            let mut plan: Vec<(u64, i64)> = Vec::new();
            for (i, fo) in fulfillment.line_items_by_fulfillment_order.iter().enumerate() {
                let idx = i.to_string();
                let Some(foid) = parse_gid("FulfillmentOrder", fo.fulfillment_order_id.as_str()) else {
                    return err(&["fulfillment", "lineItemsByFulfillmentOrder", &idx, "fulfillmentOrderId"], "Fulfillment order does not exist.");
                };
                let Some(order) = st.orders.values().find(|o| o.fulfillment_order_id == foid) else {
                    return err(&["fulfillment", "lineItemsByFulfillmentOrder", &idx, "fulfillmentOrderId"], "Fulfillment order does not exist.");
                };
                if order_id.is_some_and(|o| o != order.id) {
                    return err(&["fulfillment", "lineItemsByFulfillmentOrder"], "All fulfillment orders must belong to the same order.");
                }
                if order.cancelled_at.is_some() {
                    return err(&["fulfillment", "lineItemsByFulfillmentOrder", &idx, "fulfillmentOrderId"], "Fulfillment order is cancelled and can't be fulfilled.");
                }
                order_id = Some(order.id);
                match &fo.fulfillment_order_line_items {
                    None => plan.extend(order.lines.iter().filter(|l| l.quantity > l.fulfilled_quantity).map(|l| (l.id, l.quantity - l.fulfilled_quantity))),
                    Some(items) => {
                        for (j, li) in items.iter().enumerate() {
                            let jdx = j.to_string();
                            let line = parse_gid("FulfillmentOrderLineItem", li.id.as_str()).and_then(|n| order.lines.iter().find(|l| l.id == n));
                            let Some(line) = line else {
                                return err(&["fulfillment", "lineItemsByFulfillmentOrder", &idx, "fulfillmentOrderLineItems", &jdx, "id"], "Fulfillment order line item does not exist.");
                            };
                            let remaining = line.quantity - line.fulfilled_quantity;
                            if li.quantity < 1 || i64::from(li.quantity) > remaining {
                                return err(&["fulfillment", "lineItemsByFulfillmentOrder", &idx, "fulfillmentOrderLineItems", &jdx, "quantity"], &format!("Quantity must be between 1 and the remaining quantity ({remaining})."));
                            }
                            plan.push((line.id, i64::from(li.quantity)));
                        }
                    }
                }
            }
            let Some(oid) = order_id else { return err(&["fulfillment"], "nothing to fulfill") };
            if plan.is_empty() {
                return err(&["fulfillment", "lineItemsByFulfillmentOrder"], "The fulfillment order has nothing left to fulfill.");
            }
            let fid = st.next_id();
            let now = now();
            let t = fulfillment.tracking_info.clone();
            let mut numbers: Vec<String> = t.as_ref().and_then(|t| t.number.clone()).into_iter().collect();
            numbers.extend(t.as_ref().and_then(|t| t.numbers.clone()).unwrap_or_default());
            let mut urls: Vec<String> = t.as_ref().and_then(|t| t.url.clone()).map(|u| u.0).into_iter().collect();
            urls.extend(t.as_ref().and_then(|t| t.urls.clone()).unwrap_or_default().into_iter().map(|u| u.0));
            let Some(order) = st.orders.get_mut(&oid) else { return err(&["fulfillment"], "order vanished") };
            for (lid, q) in &plan {
                if let Some(l) = order.lines.iter_mut().find(|l| l.id == *lid) {
                    l.fulfilled_quantity += q;
                }
            }
            let rec = FulfillmentRec {
                id: fid,
                name: format!("{}-F{}", order.name, order.fulfillments.len() + 1),
                location_id: order.location_id,
                lines: plan,
                tracking_company: t.as_ref().and_then(|t| t.company.clone()),
                tracking_numbers: numbers,
                tracking_urls: urls,
                created_at: now,
            };
            order.fulfillments.push(rec.clone());
            order.updated_at = now;
            let order = order.clone();
            let full = fulfillment_status(&order) == OrderDisplayFulfillmentStatus::FULFILLED;
            let payload = webhooks::order_payload(&st, &order);
            let events = vec![
                ("FULFILLMENTS_CREATE", webhooks::fulfillment_payload(&order, &rec)),
                (if full { "ORDERS_FULFILLED" } else { "ORDERS_PARTIALLY_FULFILLED" }, payload.clone()),
                ("ORDERS_UPDATED", payload),
            ];
            (FulfillmentCreatePayload { fulfillment: Some(Fulfillment(rec)), user_errors: Vec::new() }, events)
        };
        emit_all(&c.state, events);
        Ok(payload)
            }
        .await;
        result.map(Some)
    }

    async fn webhook_subscription_create(
        &self,
        ctx: &Context<'_>,
        topic: WebhookSubscriptionTopic,
        webhook_subscription: WebhookSubscriptionInput,
    ) -> Result<Option<WebhookSubscriptionCreatePayload>> {
        let result: Result<WebhookSubscriptionCreatePayload> = async move {
            let c = cx(ctx)?;
            let w = webhook_subscription;
            let err = |f: &[&str], m: &str| {
                Ok(WebhookSubscriptionCreatePayload {
                    user_errors: vec![UserError {
                        field: path(f),
                        message: m.to_string(),
                    }],
                    webhook_subscription: None,
                })
            };
            let uri = match (w.uri.clone(), w.callback_url.clone()) {
                (Some(u), None) => u,
                (None, Some(u)) => u.0,
                (Some(_), Some(_)) => {
                    return err(
                        &["webhookSubscription"],
                        "give `uri` or `callbackUrl`, not both",
                    );
                }
                (None, None) => {
                    return err(&["webhookSubscription", "uri"], "Address can't be blank");
                }
            };
            if !(uri.starts_with("https://") || uri.starts_with("http://")) {
                return err(
                    &["webhookSubscription", "uri"],
                    "Address is invalid: the sandbox delivers to http(s) URIs only",
                );
            }
            if w.filter.as_deref().is_some_and(|f| !f.trim().is_empty()) {
                return err(
                    &["webhookSubscription", "filter"],
                    "webhook filters are not supported by the sandbox",
                );
            }
            if w.format == Some(WebhookSubscriptionFormat::XML) {
                return err(
                    &["webhookSubscription", "format"],
                    "XML webhooks are not supported by the sandbox",
                );
            }
            let mut st = lock(&c.state.store);
            if st
                .webhooks
                .values()
                .any(|x| x.topic == topic.as_str() && x.uri == uri)
            {
                return err(
                    &["webhookSubscription", "callbackUrl"],
                    "Address for this topic has already been taken",
                );
            }
            let id = st.next_id();
            let rec = WebhookRec {
                id,
                topic: topic.as_str().to_string(),
                uri,
                format_json: true,
                include_fields: w.include_fields.unwrap_or_default(),
                filter: w.filter,
                api_version: c.version.clone(),
                created_at: now(),
            };
            st.webhooks.insert(id, rec.clone());
            Ok(WebhookSubscriptionCreatePayload {
                user_errors: Vec::new(),
                webhook_subscription: Some(WebhookSubscription(rec)),
            })
        }
        .await;
        result.map(Some)
    }

    async fn webhook_subscription_delete(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<Option<WebhookSubscriptionDeletePayload>> {
        let result: Result<WebhookSubscriptionDeletePayload> = async move {
            let c = cx(ctx)?;
            let mut st = lock(&c.state.store);
            match parse_gid("WebhookSubscription", id.as_str()).and_then(|n| st.webhooks.remove(&n))
            {
                Some(w) => Ok(WebhookSubscriptionDeletePayload {
                    deleted_webhook_subscription_id: Some(ID(gid("WebhookSubscription", w.id))),
                    user_errors: Vec::new(),
                }),
                None => Ok(WebhookSubscriptionDeletePayload {
                    deleted_webhook_subscription_id: None,
                    user_errors: vec![UserError {
                        field: path(&["id"]),
                        message: "Webhook subscription does not exist".into(),
                    }],
                }),
            }
        }
        .await;
        result.map(Some)
    }

    async fn bulk_operation_run_query(
        &self,
        ctx: &Context<'_>,
        query: String,
        #[graphql(default = false)] group_objects: bool,
    ) -> Result<Option<BulkOperationRunQueryPayload>> {
        let result: Result<BulkOperationRunQueryPayload> = async move {
            let _ = group_objects;
            let c = cx(ctx)?;
            Ok(bulk::run_query(c, query))
        }
        .await;
        result.map(Some)
    }

    async fn bulk_operation_run_mutation(
        &self,
        ctx: &Context<'_>,
        mutation: String,
        staged_upload_path: String,
        group_objects: Option<bool>,
        client_identifier: Option<String>,
    ) -> Result<Option<BulkOperationRunMutationPayload>> {
        let result: Result<BulkOperationRunMutationPayload> = async move {
            let _ = (group_objects, client_identifier);
            let c = cx(ctx)?;
            Ok(bulk::run_mutation(c, mutation, staged_upload_path))
        }
        .await;
        result.map(Some)
    }
}
