//! shopify-client (work in progress).
