//! A receipt with a taxable fee, built by the builder and sent by the client to the ETA
//! stand-in: the stand-in follows ETA's main calculations (taxable fees T5–T12 in the VAT
//! base), so the receipt the builder makes is accepted, and one computed without the fee in
//! the VAT base is refused.

use chrono::Utc;
use eta_ereceipt::builder::{LineInput, ReceiptBuilder, TaxInput, example_seller};
use eta_ereceipt::chain::{MemoryChainStore, ReceiptChain};
use eta_ereceipt::client::{Environment, EtaClient, PosCredentials, SubmissionBatch};
use eta_ereceipt::codes::{ItemType, TaxType, UnitType};
use rust_decimal_macros::dec;

#[tokio::test]
async fn a_service_charge_is_in_the_vat_base_at_the_stand_in_as_at_eta() {
    let sandbox = sandbox::Sandbox::start(sandbox::SandboxConfig {
        orders: 0,
        catalog_groups: 1,
        ..sandbox::SandboxConfig::default()
    })
    .await
    .unwrap();
    let eta = &sandbox.config().eta;
    let device = &eta.devices[0];
    let mut seller = example_seller();
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
        .build()
        .unwrap();
    let code = format!("EG-{}-MEAL1", seller.rin);
    // Issue #18's worked example: net 100 with a 12 % service charge (T9, SC01): VAT 15.68.
    let receipt = ReceiptBuilder::sale(seller, "FEE-1", Utc::now())
        .line(
            LineInput::new(
                "MEAL1",
                "Meal",
                ItemType::Egs,
                &code,
                UnitType::Each,
                dec!(1),
                dec!(100),
            )
            .tax(TaxInput::rate(TaxType::T9, "SC01", dec!(12)))
            .tax(TaxInput::rate(TaxType::T1, "V009", dec!(14))),
        )
        .build()
        .unwrap();
    let vat = receipt.item_data[0]
        .taxable_items
        .iter()
        .find(|t| t.tax_type == TaxType::T1)
        .map(|t| t.amount)
        .unwrap();
    assert_eq!(vat, dec!(15.68));
    let chain = ReceiptChain::new(MemoryChainStore::default(), &device.serial);
    let sealed = chain.issue(receipt).await.unwrap();
    let result = client
        .submit(&SubmissionBatch::from_sealed(&[sealed]).unwrap())
        .await
        .unwrap();
    assert_eq!(
        (result.accepted.len(), result.rejected.len()),
        (1, 0),
        "{result:?}"
    );
    sandbox.shutdown().await;
}
