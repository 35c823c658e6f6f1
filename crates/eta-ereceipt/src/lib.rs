//! eta-ereceipt (work in progress).
