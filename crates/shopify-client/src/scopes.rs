//! The access scopes a Flow–Shopify connector needs, and which of them a shop's grant lacks.
//!
//! Shopify refuses a call the app has no scope for with `ACCESS_DENIED`, and only at the
//! moment of the call: a connector installed without `write_discounts` works for weeks until
//! the first promotion. [`missing`] compares the granted handles (read with
//! [`ShopifyClient::access_scopes`](crate::ShopifyClient::access_scopes)) with [`REQUIRED`] at
//! set-up time instead.
//!
//! Shopify's rule that a `write_` scope includes its `read_` scope is applied: a grant of
//! `write_products` satisfies a need for `read_products`.
//!
//! ```
//! use shopify_client::scopes::{self, REQUIRED};
//!
//! let granted = ["write_products", "write_inventory", "read_locations", "read_orders"];
//! let missing = scopes::missing(REQUIRED, &granted);
//! assert!(missing.iter().any(|need| need.any_of == ["read_customers"]));
//! assert!(!missing.iter().any(|need| need.any_of == ["read_products"]));
//! ```

/// One need: a feature of the connector and the scopes any one of which allows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScopeNeed {
    /// What the connector does with it (`catalogue`, `stock`…).
    pub feature: &'static str,
    /// The scope handles, any one of which is enough.
    pub any_of: &'static [&'static str],
}

impl std::fmt::Display for ScopeNeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.any_of.join(" or "), self.feature)
    }
}

/// What the connector's jobs need, one entry per feature, from the operations it sends (each
/// Admin API page names the scope of its query or mutation).
pub const REQUIRED: &[ScopeNeed] = &[
    ScopeNeed {
        feature: "catalogue, prices and images (productSet, productVariantsBulkUpdate, priceListFixedPricesAdd)",
        any_of: &["write_products"],
    },
    ScopeNeed {
        feature: "stock (inventorySetQuantities, inventoryActivate)",
        any_of: &["write_inventory"],
    },
    ScopeNeed {
        feature: "locations",
        any_of: &["read_locations"],
    },
    ScopeNeed {
        feature: "orders and refunds",
        any_of: &["read_orders"],
    },
    ScopeNeed {
        feature: "returns (returns/* webhooks, exchanges read from an order's returns)",
        any_of: &["read_returns"],
    },
    ScopeNeed {
        feature: "customers",
        any_of: &["read_customers"],
    },
    ScopeNeed {
        feature: "promotions (automatic discounts)",
        any_of: &["write_discounts"],
    },
    ScopeNeed {
        feature: "product images (stagedUploadsCreate, fileDelete)",
        any_of: &["write_files"],
    },
    ScopeNeed {
        feature: "fulfilments (fulfillmentCreate)",
        any_of: &[
            "write_merchant_managed_fulfillment_orders",
            "write_assigned_fulfillment_orders",
            "write_third_party_fulfillment_orders",
        ],
    },
];

/// Needed only for some work: a backfill of orders older than 60 days reads them with
/// `read_all_orders` (Shopify shows older orders to no app without it).
pub const RECOMMENDED: &[ScopeNeed] = &[ScopeNeed {
    feature: "orders older than 60 days (backfill)",
    any_of: &["read_all_orders"],
}];

/// Whether `granted` allows `scope`: the scope itself, or its `write_` form for a `read_`
/// scope.
pub fn allows<S: AsRef<str>>(granted: &[S], scope: &str) -> bool {
    let write = scope
        .strip_prefix("read_")
        .map(|resource| format!("write_{resource}"));
    granted.iter().any(|g| {
        let g = g.as_ref();
        g == scope || write.as_deref() == Some(g)
    })
}

/// The needs of `needs` that `granted` does not meet, in their order.
pub fn missing<'a, S: AsRef<str>>(needs: &'a [ScopeNeed], granted: &[S]) -> Vec<&'a ScopeNeed> {
    needs
        .iter()
        .filter(|need| !need.any_of.iter().any(|scope| allows(granted, scope)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_scope_includes_its_read_scope_but_not_the_other_way() {
        assert!(allows(&["write_orders"], "read_orders"));
        assert!(allows(&["read_orders"], "read_orders"));
        assert!(!allows(&["read_orders"], "write_orders"));
        assert!(!allows(&["write_order"], "read_orders"));
        assert!(!allows::<&str>(&[], "read_orders"));
    }

    #[test]
    fn any_one_scope_of_a_need_meets_it() {
        let need = &REQUIRED
            .iter()
            .find(|n| n.feature.starts_with("fulfilments"))
            .unwrap();
        assert!(
            missing(
                std::slice::from_ref(*need),
                &["write_third_party_fulfillment_orders"]
            )
            .is_empty()
        );
        assert_eq!(
            missing(std::slice::from_ref(*need), &["read_orders"]).len(),
            1
        );
    }

    #[test]
    fn every_need_is_met_by_a_full_grant_and_named_when_missing() {
        let full: Vec<&str> = REQUIRED.iter().map(|n| n.any_of[0]).collect();
        assert!(missing(REQUIRED, &full).is_empty());
        let without_files: Vec<&str> = full
            .iter()
            .copied()
            .filter(|s| *s != "write_files")
            .collect();
        let gap = missing(REQUIRED, &without_files);
        assert_eq!(gap.len(), 1);
        assert!(
            gap[0].to_string().starts_with("write_files ("),
            "{}",
            gap[0]
        );
    }
}
