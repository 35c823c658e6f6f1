//! The engine's vocabulary in the state store: binding kinds and job kinds.
//!
//! The store keeps both as text (its schema does not know the engine); the engine names them
//! only through these enums, so a misspelt kind is a compile error, not a silent miss.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::System;

/// Defines a fieldless enum whose variants have a fixed text form in the store.
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$vmeta:meta])* $variant:ident => $text:literal ),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every kind.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The text form the store keeps.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $text, )+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownKind;
            fn from_str(text: &str) -> Result<Self, UnknownKind> {
                match text {
                    $( $text => Ok($name::$variant), )+
                    other => Err(UnknownKind(other.to_owned())),
                }
            }
        }
    };
}

/// A kind read from the store that this version of the engine does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown kind {0:?}")]
pub struct UnknownKind(pub String);

text_enum! {
    /// What a binding (a stored link between a local key and a remote entity) records.
    BindingKind {
        /// ERP item group code → storefront product.
        Product => "product",
        /// SKU → storefront variant (with its inventory item).
        Variant => "variant",
        /// SKU → the prices last written (as a content hash).
        Price => "price",
        /// ERP promotion code → storefront discount.
        Promotion => "promotion",
        /// `sku@location` → the quantity last written.
        Stock => "stock",
        /// Storefront customer id → ERP customer number.
        Customer => "customer",
        /// Storefront customer id → the last change read and when.
        CustomerRead => "customer_read",
        /// Storefront order id → ERP sales document.
        Order => "order",
        /// Storefront order id → the last change read and when.
        OrderRead => "order_read",
        /// Storefront refund id → ERP return document.
        Refund => "refund",
        /// `order:operation/number` → storefront fulfilment reported.
        Fulfillment => "fulfillment",
        /// `sale:{order}` or `return:{refund}` → tax receipt (uuid, chain, state, body).
        Receipt => "receipt",
    }
}

text_enum! {
    /// What a job does. Each kind belongs to one flow ([`JobKind::flow`]).
    JobKind {
        /// Create or update one product with its variants.
        PushProduct => "push_product",
        /// Write a chunk of variant prices.
        SetPrices => "set_prices",
        /// Create or update one automatic discount.
        PushPromotion => "push_promotion",
        /// Write a chunk of inventory quantities.
        SetStock => "set_stock",
        /// Create or update one ERP customer.
        ImportCustomer => "import_customer",
        /// Create one ERP sales document for an order.
        ImportOrder => "import_order",
        /// Cancel an order's ERP sales document.
        CancelOrder => "cancel_order",
        /// Create one ERP return for a refund.
        ImportRefund => "import_refund",
        /// Report one ERP shipment as a storefront fulfilment.
        CreateFulfillment => "create_fulfillment",
        /// Re-read an order a webhook named.
        RefetchOrder => "refetch_order",
        /// Build and chain one tax receipt.
        IssueReceipt => "issue_receipt",
        /// Send a device's open receipts.
        SubmitReceipts => "submit_receipts",
        /// Write a receipt's outcome to its ERP document.
        RecordReceipt => "record_receipt",
        /// Read the final status (Valid or Invalid) of a device's submitted receipts.
        PollReceipts => "poll_receipts",
        /// An Invalid receipt: a dead letter until replayed, then its replacement.
        ReplaceReceipt => "replace_receipt",
    }
}

impl JobKind {
    /// The remote system a job of this kind writes to (its work waits while that system is
    /// down).
    pub fn system(self) -> System {
        match self {
            JobKind::PushProduct
            | JobKind::SetPrices
            | JobKind::PushPromotion
            | JobKind::SetStock
            | JobKind::CreateFulfillment
            | JobKind::RefetchOrder => System::Storefront,
            JobKind::ImportCustomer
            | JobKind::ImportOrder
            | JobKind::CancelOrder
            | JobKind::ImportRefund
            | JobKind::RecordReceipt => System::Erp,
            JobKind::IssueReceipt
            | JobKind::SubmitReceipts
            | JobKind::PollReceipts
            | JobKind::ReplaceReceipt => System::TaxAuthority,
        }
    }

    /// The flow the kind belongs to, as [`PlannedWrite::flow`](super::PlannedWrite) names it.
    pub fn flow(self) -> &'static str {
        match self {
            JobKind::PushProduct => "catalog",
            JobKind::SetPrices => "prices",
            JobKind::PushPromotion => "promotions",
            JobKind::SetStock => "stock",
            JobKind::ImportCustomer => "customers",
            JobKind::ImportOrder | JobKind::CancelOrder | JobKind::RefetchOrder => "orders",
            JobKind::ImportRefund => "refunds",
            JobKind::CreateFulfillment => "fulfillments",
            JobKind::IssueReceipt
            | JobKind::SubmitReceipts
            | JobKind::RecordReceipt
            | JobKind::PollReceipts
            | JobKind::ReplaceReceipt => "receipts",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_forms_round_trip_and_match_serde() {
        for kind in BindingKind::ALL {
            assert_eq!(kind.as_str().parse::<BindingKind>(), Ok(*kind));
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::json!(kind.as_str())
            );
        }
        for kind in JobKind::ALL {
            assert_eq!(kind.as_str().parse::<JobKind>(), Ok(*kind));
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::json!(kind.as_str())
            );
        }
        assert_eq!(
            "prodcut".parse::<BindingKind>(),
            Err(UnknownKind("prodcut".to_owned()))
        );
    }
}
