//! Builds a sale receipt, validates it, chains it on a POS device and submits it to ETA.
//!
//! Against ETA's pre-production system, with a registered POS device:
//!
//! ```sh
//! ETA_CLIENT_ID=… ETA_CLIENT_SECRET=… ETA_POS_SERIAL=… ETA_PRESHARED_KEY=… ETA_RIN=… \
//!     cargo run -p eta-ereceipt --example submit_receipt
//! ```
//!
//! Without `ETA_CLIENT_ID` it starts the workspace's local ETA stand-in (the `sandbox` crate)
//! and submits there, so it runs anywhere. The item code must be one ETA knows for the
//! taxpayer (an EGS code `EG-<RIN>-<code>` or a GS1 code).

use chrono::Utc;
use eta_ereceipt::builder::{LineInput, ReceiptBuilder, TaxInput, example_seller};
use eta_ereceipt::chain::{MemoryChainStore, ReceiptChain};
use eta_ereceipt::client::{Environment, EtaClient, PosCredentials, SubmissionBatch};
use eta_ereceipt::codes::{ItemType, TaxType, UnitType};
use eta_ereceipt::validate::{ValidationOptions, validate};
use rust_decimal::Decimal;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let var = |name: &str| std::env::var(name).ok();
    let mut _sandbox = None;
    let mut seller = example_seller();
    let client = match var("ETA_CLIENT_ID") {
        Some(client_id) => {
            let serial = var("ETA_POS_SERIAL").ok_or("set ETA_POS_SERIAL")?;
            seller.rin = var("ETA_RIN").ok_or("set ETA_RIN")?;
            seller.device_serial_number = serial.clone();
            let credentials = PosCredentials::new(
                client_id,
                var("ETA_CLIENT_SECRET").ok_or("set ETA_CLIENT_SECRET")?,
                serial,
                "os",
                "1",
                var("ETA_PRESHARED_KEY").ok_or("set ETA_PRESHARED_KEY")?,
            );
            EtaClient::builder(Environment::Preproduction, credentials).build()?
        }
        None => {
            let sandbox = sandbox::Sandbox::start(sandbox::SandboxConfig::default()).await?;
            let eta = &sandbox.config().eta;
            let device = &eta.devices[0];
            seller.rin = eta.taxpayer_rin.clone();
            seller.device_serial_number = device.serial.clone();
            let credentials = PosCredentials::new(
                eta.client_id.clone(),
                eta.client_secret.clone(),
                device.serial.clone(),
                "os",
                "1",
                device.preshared_key.clone(),
            );
            let client = EtaClient::builder(Environment::Preproduction, credentials)
                .identity_url(sandbox.eta_url())
                .api_url(sandbox.eta_url())
                .build()?;
            eprintln!("no ETA_CLIENT_ID: submitting to the local stand-in");
            _sandbox = Some(sandbox);
            client
        }
    };
    let item_code = format!("EG-{}-TEA1", seller.rin);
    let device = seller.device_serial_number.clone();
    let receipt = ReceiptBuilder::sale(seller, "EXAMPLE-1", Utc::now())
        .line(
            LineInput::new(
                "TEA1",
                "Tea",
                ItemType::Egs,
                &item_code,
                UnitType::Each,
                Decimal::from(2),
                Decimal::new(1050, 2),
            )
            .tax(TaxInput::rate(TaxType::T1, "V009", Decimal::from(14))),
        )
        .build()?;
    let problems = validate(&receipt, &ValidationOptions::at(Utc::now()));
    if !problems.is_empty() {
        return Err(format!("ETA would refuse it: {problems:?}").into());
    }
    // The chain keeps each device's last uuid; a real POS keeps it in durable storage.
    let chain = ReceiptChain::new(MemoryChainStore::default(), &device);
    let sealed = chain.issue(receipt).await?;
    println!(
        "receipt {} (previous {:?})",
        sealed.uuid, sealed.receipt.header.previous_uuid
    );
    let result = client
        .submit(&SubmissionBatch::from_sealed(&[sealed])?)
        .await?;
    println!(
        "accepted: {}, rejected: {}",
        result.accepted.len(),
        result.rejected.len()
    );
    Ok(())
}
