//! Shopify global ids (GIDs), typed by the resource they name and checked once.
//!
//! A [`Gid<R>`] is text of the form `gid://shopify/<Resource>/<digits>`, where `<Resource>` is
//! `R`'s name ([`Resource::NAME`]). It is made only by [`Gid::parse`], which checks that form
//! and answers an [`Error::Invalid`] naming the field and the rule, so an operation that takes
//! a `&Gid<Product>` needs no check of its own, and a variant id cannot be passed where a
//! product id is expected:
//!
//! ```
//! use shopify_client::gid::{Gid, Product, ProductGid};
//! let id = ProductGid::parse("product_id", "gid://shopify/Product/7").unwrap();
//! assert_eq!(id.as_str(), "gid://shopify/Product/7");
//! assert_eq!(id.number(), 7);
//! let err = Gid::<Product>::parse("product_id", "gid://shopify/ProductVariant/7").unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "product_id: must be a Shopify id like gid://shopify/Product/123, got \"gid://shopify/ProductVariant/7\""
//! );
//! ```
//!
//! ```compile_fail
//! use shopify_client::gid::{LocationGid, ProductGid};
//! fn archive(product: &ProductGid) {}
//! let location = LocationGid::parse("location_id", "gid://shopify/Location/1").unwrap();
//! archive(&location); // a location id is not a product id
//! ```
//!
//! Ids that come from Shopify's answers go through the same parse where the storefront
//! adapter hands them to the engine, so a malformed one is an error there, never a panic.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;

use crate::error::Error;

/// The longest GID text accepted (Shopify's ids are far shorter; this bounds what an answer
/// or a configuration file can make us hold and echo).
const MAX_LEN: usize = 128;

/// A kind of Shopify resource that has GIDs.
pub trait Resource {
    /// The resource name in the GID (`Product` in `gid://shopify/Product/1`).
    const NAME: &'static str;
}

macro_rules! resources {
    ($($(#[$meta:meta])* $name:ident => $alias:ident;)*) => {
        $(
            $(#[$meta])*
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
            pub enum $name {}

            impl Resource for $name {
                const NAME: &'static str = stringify!($name);
            }

            #[doc = concat!("The GID of a `", stringify!($name), "`.")]
            pub type $alias = Gid<$name>;
        )*
    };
}

resources! {
    /// A product.
    Product => ProductGid;
    /// A product variant.
    ProductVariant => VariantGid;
    /// The inventory item behind a variant.
    InventoryItem => InventoryItemGid;
    /// An inventory location.
    Location => LocationGid;
    /// An order.
    Order => OrderGid;
    /// A line item of an order.
    LineItem => LineItemGid;
    /// A refund.
    Refund => RefundGid;
    /// A return (of an order's items, with any exchange).
    Return => ReturnGid;
    /// A customer.
    Customer => CustomerGid;
    /// An automatic discount.
    DiscountAutomaticNode => DiscountGid;
    /// A price list.
    PriceList => PriceListGid;
    /// A webhook subscription.
    WebhookSubscription => WebhookSubscriptionGid;
    /// A bulk operation.
    BulkOperation => BulkOperationGid;
}

/// A checked Shopify GID of resource `R`.
pub struct Gid<R> {
    text: String,
    number: u64,
    resource: PhantomData<fn() -> R>,
}

impl<R: Resource> Gid<R> {
    /// Checks that `text` is `gid://shopify/<R::NAME>/<digits>`.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] naming `field` and the rule; the text is quoted, cut to a bounded
    /// length.
    pub fn parse(field: &str, text: &str) -> Result<Self, Error> {
        let number = text
            .strip_prefix("gid://shopify/")
            .and_then(|rest| rest.strip_prefix(R::NAME))
            .and_then(|rest| rest.strip_prefix('/'))
            .filter(|digits| {
                text.len() <= MAX_LEN
                    && !digits.is_empty()
                    && digits.bytes().all(|b| b.is_ascii_digit())
            })
            .and_then(|digits| digits.parse::<u64>().ok());
        match number {
            Some(number) => Ok(Gid {
                text: text.to_owned(),
                number,
                resource: PhantomData,
            }),
            None => {
                let shown: String = text.chars().take(MAX_LEN).collect();
                let cut = if shown.len() < text.len() { "…" } else { "" };
                Err(Error::invalid(
                    field,
                    format!(
                        "must be a Shopify id like gid://shopify/{}/123, got {shown:?}{cut}",
                        R::NAME
                    ),
                ))
            }
        }
    }

    /// Parses each of `texts`, naming the failing one `field[i]`.
    ///
    /// # Errors
    ///
    /// As [`Gid::parse`], for the first text that is not a GID of `R`.
    pub fn parse_all<S: AsRef<str>>(field: &str, texts: &[S]) -> Result<Vec<Self>, Error> {
        texts
            .iter()
            .enumerate()
            .map(|(i, t)| Self::parse(&format!("{field}[{i}]"), t.as_ref()))
            .collect()
    }
}

impl<R: Resource> std::str::FromStr for Gid<R> {
    type Err = Error;
    /// [`Gid::parse`] with the field named `id`.
    fn from_str(text: &str) -> Result<Self, Error> {
        Self::parse("id", text)
    }
}

impl<R> Gid<R> {
    /// The GID as text, as Shopify sends and takes it.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The numeric id at the end of the GID (what Shopify's REST API and webhooks call `id`).
    pub fn number(&self) -> u64 {
        self.number
    }

    /// Unwraps the text.
    pub fn into_string(self) -> String {
        self.text
    }
}

impl<R> Clone for Gid<R> {
    fn clone(&self) -> Self {
        Gid {
            text: self.text.clone(),
            number: self.number,
            resource: PhantomData,
        }
    }
}

impl<R> PartialEq for Gid<R> {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl<R> Eq for Gid<R> {}

impl<R> Hash for Gid<R> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.text.hash(state);
    }
}

impl<R> PartialOrd for Gid<R> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl<R> Ord for Gid<R> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.text.cmp(&other.text)
    }
}

impl<R> fmt::Debug for Gid<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.text, f)
    }
}

impl<R> fmt::Display for Gid<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Serialises as the GID text.
impl<R> serde::Serialize for Gid<R> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

/// Reads GID text, checked as [`Gid::parse`] does.
impl<'de, R: Resource> serde::Deserialize<'de> for Gid<R> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Gid::parse("id", &text).map_err(serde::de::Error::custom)
    }
}

impl<R> AsRef<str> for Gid<R> {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

impl<R> PartialEq<str> for Gid<R> {
    fn eq(&self, other: &str) -> bool {
        self.text == other
    }
}

impl<R> PartialEq<&str> for Gid<R> {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gid_of_its_resource_parses() {
        let id = LocationGid::parse("location_id", "gid://shopify/Location/42").unwrap();
        assert_eq!(id.as_str(), "gid://shopify/Location/42");
        assert_eq!(id.number(), 42);
        assert_eq!(id.to_string(), "gid://shopify/Location/42");
        assert_eq!(format!("{id:?}"), "\"gid://shopify/Location/42\"");
    }

    #[test]
    fn anything_else_is_refused_naming_the_field_and_the_rule() {
        for bad in [
            "",
            "42",
            "gid://shopify/Location/",
            "gid://shopify/Location/4a",
            "gid://shopify/Location/42?x=1",
            "gid://shopify/Locations/42",
            "gid://shopify/InventoryItem/42",
            "gid://other/Location/42",
            "gid://shopify/Location/99999999999999999999999",
            " gid://shopify/Location/42",
        ] {
            let err = LocationGid::parse("changes[3].location_id", bad).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!(
                    "changes[3].location_id: must be a Shopify id like \
                     gid://shopify/Location/123, got {bad:?}"
                ),
            );
        }
    }

    #[test]
    fn a_long_text_is_quoted_cut() {
        let long = format!("gid://shopify/Product/{}", "1".repeat(500));
        let err = ProductGid::parse("id", &long).unwrap_err().to_string();
        assert!(err.len() < 300, "{err}");
        assert!(err.ends_with('…'), "{err}");
    }

    #[test]
    fn parse_all_names_the_index() {
        let ids = VariantGid::parse_all(
            "variant_ids",
            &[
                "gid://shopify/ProductVariant/1",
                "gid://shopify/ProductVariant/2",
            ],
        )
        .unwrap();
        assert_eq!(ids.len(), 2);
        let err = VariantGid::parse_all("variant_ids", &["gid://shopify/ProductVariant/1", "x"])
            .unwrap_err();
        assert!(err.to_string().starts_with("variant_ids[1]: "), "{err}");
    }
}
