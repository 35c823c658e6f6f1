//! Helpers for tests (feature `test-util`).
//!
//! - [`store_suite`]: the conformance suite every [`StateStore`](crate::store::StateStore)
//!   backend passes, plus two-worker races for shared databases.
//! - [`TempPostgres`]: a throwaway PostgreSQL server started from the machine's binaries, so
//!   `cargo test` needs no database running beforehand.

pub mod postgres;
pub mod store_suite;

pub use postgres::TempPostgres;
