//! flow-erp-client (work in progress).
