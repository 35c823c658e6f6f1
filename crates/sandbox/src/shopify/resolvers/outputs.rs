//! The output objects that more than one resolver module names, declared once (their fields
//! are resolved in the module of their resource), and the `Node` interface over every object
//! `node(id:)` finds.

use async_graphql::{ID, Interface};

use crate::shopify::store::*;

#[derive(Clone)]
pub(crate) struct Location(pub(crate) LocationRec);

#[derive(Clone)]
pub(crate) struct Product(pub(crate) ProductRec);

#[derive(Clone)]
pub(crate) struct ProductVariant(pub(crate) VariantRec);

#[derive(Clone)]
pub(crate) struct InventoryItem(pub(crate) InventoryItemRec);

#[derive(Clone)]
pub(crate) struct InventoryLevel(pub(crate) LevelRec);

#[derive(Clone)]
pub(crate) struct MediaImage(pub(crate) MediaRec);

#[derive(Clone)]
pub(crate) struct MailingAddress(pub(crate) AddressRec);

#[derive(Clone)]
pub(crate) struct Customer(pub(crate) CustomerRec);

#[derive(Clone)]
pub(crate) struct Order(pub(crate) OrderRec);

#[derive(Clone)]
pub(crate) struct LineItem {
    pub(crate) line: LineRec,
    pub(crate) order: OrderRec,
}

#[derive(Clone)]
pub(crate) struct ShippingLine(pub(crate) ShippingRec);

#[derive(Clone)]
pub(crate) struct OrderTransaction(pub(crate) TransactionRec);

#[derive(Clone)]
pub(crate) struct Refund(pub(crate) RefundRec);

#[derive(Clone)]
pub(crate) struct Fulfillment(pub(crate) FulfillmentRec);

#[derive(Clone)]
pub(crate) struct FulfillmentOrder(pub(crate) OrderRec);

#[derive(Clone)]
pub(crate) struct WebhookSubscription(pub(crate) WebhookRec);

#[derive(Clone)]
pub(crate) struct BulkOperation(pub(crate) BulkRec);

#[derive(Clone)]
pub(crate) struct ProductSetOperation(pub(crate) ProductOpRec);

#[derive(Clone)]
pub(crate) struct DiscountAutomaticNode(pub(crate) DiscountRec);

/// The `Node` interface, for `node(id:)` and `nodes(ids:)`.
#[derive(Interface, Clone)]
#[graphql(field(name = "id", ty = "ID"))]
pub(crate) enum Node {
    Product(Product),
    ProductVariant(ProductVariant),
    Location(Location),
    InventoryItem(InventoryItem),
    InventoryLevel(InventoryLevel),
    MediaImage(MediaImage),
    Customer(Customer),
    Order(Order),
    Refund(Refund),
    Fulfillment(Fulfillment),
    FulfillmentOrder(FulfillmentOrder),
    WebhookSubscription(WebhookSubscription),
    BulkOperation(BulkOperation),
    ProductSetOperation(ProductSetOperation),
    DiscountAutomaticNode(DiscountAutomaticNode),
}

/// Finds any supported object by its GID.
pub(crate) fn find_node(st: &Store, id: &str) -> Option<Node> {
    let rest = id.strip_prefix("gid://shopify/")?;
    let (kind, num) = rest.split_once('/')?;
    let n: u64 = num.split('?').next()?.parse().ok()?;
    Some(match kind {
        "Product" => Node::Product(Product(st.products.get(&n)?.clone())),
        "ProductVariant" => Node::ProductVariant(ProductVariant(st.variants.get(&n)?.clone())),
        "Location" => Node::Location(Location(st.locations.get(&n)?.clone())),
        "InventoryItem" => Node::InventoryItem(InventoryItem(st.items.get(&n)?.clone())),
        "InventoryLevel" => Node::InventoryLevel(InventoryLevel(
            st.levels.values().find(|l| l.id == n)?.clone(),
        )),
        "MediaImage" => Node::MediaImage(MediaImage(st.media.get(&n)?.clone())),
        "Customer" => Node::Customer(Customer(st.customers.get(&n)?.clone())),
        "Order" => Node::Order(Order(st.orders.get(&n)?.clone())),
        "Refund" => Node::Refund(Refund(st.refunds.get(&n)?.clone())),
        "Fulfillment" => Node::Fulfillment(Fulfillment(
            st.orders
                .values()
                .flat_map(|o| o.fulfillments.iter())
                .find(|f| f.id == n)?
                .clone(),
        )),
        "FulfillmentOrder" => Node::FulfillmentOrder(FulfillmentOrder(
            st.orders
                .values()
                .find(|o| o.fulfillment_order_id == n)?
                .clone(),
        )),
        "WebhookSubscription" => {
            Node::WebhookSubscription(WebhookSubscription(st.webhooks.get(&n)?.clone()))
        }
        "BulkOperation" => Node::BulkOperation(BulkOperation(st.bulk_ops.get(&n)?.clone())),
        "ProductSetOperation" => {
            Node::ProductSetOperation(ProductSetOperation(st.product_ops.get(&n)?.clone()))
        }
        "DiscountAutomaticNode" => {
            Node::DiscountAutomaticNode(DiscountAutomaticNode(st.discounts.get(&n)?.clone()))
        }
        _ => return None,
    })
}
