//! The library half of `flow-shopify-sync`: configuration, wiring of the three clients into the
//! engine, the daemon, the demo and terminal output. The binary (`src/main.rs`) is a thin CLI
//! over it; benchmarks and tests build engines through it too.

pub mod alerts;
pub mod check;
pub mod config;
pub mod console;
pub mod daemon;
pub mod demo;
pub mod eta_buyer;
pub mod eta_codes;
pub mod gateways;
pub mod listener;
pub mod memory;
pub mod output;
pub mod screens;
pub mod wiring;
