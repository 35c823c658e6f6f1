//! Where the engine's ids and Shopify's GIDs meet: the one place the adapter converts between
//! them.
//!
//! Each id kind of `sync_core::model` that names a Shopify record is tied here to the Shopify
//! resource it names ([`Edge`]). An id going out is parsed into its [`Gid`] before any call
//! (an id from configuration or from the state store that is not a GID of its resource is a
//! permanent error naming the field and the rule); a GID coming in from an answer is parsed
//! before the engine sees it (a malformed one is an error, never a panic). The operations of
//! the client take only [`Gid`]s, so they check nothing again.

use sync_core::connector::{ConnectorError, ConnectorResult};
use sync_core::model::{
    CustomerId, ExchangeId, InventoryItemId, LocationId, OrderId, OrderLineId, ProductId,
    PromotionId, RefundId, VariantId,
};

use crate::gid::{self, Gid, Resource};

/// An engine id that names a Shopify record of resource [`Edge::Resource`].
pub(crate) trait Edge: Sized {
    /// The Shopify resource.
    type Resource: Resource;
    /// The field named in errors about it.
    const FIELD: &'static str;
    /// The id as text.
    fn text(&self) -> &str;
    /// The engine id of a checked GID.
    fn of(gid: Gid<Self::Resource>) -> Self;
}

macro_rules! edges {
    ($($id:ty => $resource:ty, $field:literal;)*) => {
        $(
            impl Edge for $id {
                type Resource = $resource;
                const FIELD: &'static str = $field;
                fn text(&self) -> &str {
                    self.as_str()
                }
                fn of(gid: Gid<$resource>) -> Self {
                    <$id>::new(gid.into_string())
                }
            }
        )*
    };
}

edges! {
    ProductId => gid::Product, "product_id";
    VariantId => gid::ProductVariant, "variant_id";
    InventoryItemId => gid::InventoryItem, "inventory_item_id";
    LocationId => gid::Location, "location_id";
    OrderId => gid::Order, "order_id";
    OrderLineId => gid::LineItem, "line_id";
    RefundId => gid::Refund, "refund_id";
    ExchangeId => gid::Return, "return_id";
    CustomerId => gid::Customer, "customer_id";
    PromotionId => gid::DiscountAutomaticNode, "promotion_id";
}

/// The GID of an engine id going out to Shopify.
pub(crate) fn gid<I: Edge>(id: &I) -> ConnectorResult<Gid<I::Resource>> {
    Gid::parse(I::FIELD, id.text()).map_err(ConnectorError::from_client)
}

/// The GIDs of several engine ids going out, naming the failing one by its index.
pub(crate) fn gids<'a, I: Edge + 'a>(
    ids: impl IntoIterator<Item = &'a I>,
) -> ConnectorResult<Vec<Gid<I::Resource>>> {
    ids.into_iter()
        .enumerate()
        .map(|(i, id)| {
            Gid::parse(&format!("{}[{i}]", I::FIELD), id.text())
                .map_err(ConnectorError::from_client)
        })
        .collect()
}

/// The engine id of a GID in a Shopify answer.
pub(crate) fn id<I: Edge>(text: &str) -> ConnectorResult<I> {
    Gid::<I::Resource>::parse(I::FIELD, text)
        .map(I::of)
        .map_err(ConnectorError::from_client)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_cross_the_edge_as_gids_of_their_resource() {
        let product = ProductId::new("gid://shopify/Product/7");
        assert_eq!(gid(&product).unwrap().number(), 7);
        let back: ProductId = id("gid://shopify/Product/7").unwrap();
        assert_eq!(back, product);
        let locations = [
            LocationId::new("gid://shopify/Location/1"),
            LocationId::new("gid://shopify/Location/2"),
        ];
        assert_eq!(gids(&locations).unwrap().len(), 2);
    }

    #[test]
    fn an_id_of_another_resource_or_form_is_refused_naming_the_field() {
        let wrong = LocationId::new("gid://shopify/Product/1");
        let err = gid(&wrong).unwrap_err();
        assert_eq!(
            err.to_string(),
            "location_id: must be a Shopify id like gid://shopify/Location/123, got \
             \"gid://shopify/Product/1\""
        );
        let err = id::<VariantId>("not a gid").unwrap_err();
        assert!(err.to_string().starts_with("variant_id: "), "{err}");
        let err = gids(&[
            LocationId::new("gid://shopify/Location/1"),
            LocationId::new("x"),
        ])
        .unwrap_err();
        assert!(err.to_string().starts_with("location_id[1]: "), "{err}");
    }
}
