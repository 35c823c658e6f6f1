//! ETA's asynchronous step: after its synchronous checks, each receipt ETA took for processing
//! gets its final status, `Valid` or `Invalid`, once `EtaConfig::validation_delay` has passed.
//! The stand-in fails a receipt there for a rule ETA checks late: an item code that is not
//! registered and active for the taxpayer (`EtaConfig::registered_item_codes`, the code API's
//! approved requests: module `codes`, and the codes registered later through
//! `EtaState::register_item_codes` or `POST /__admin/eta/item_codes`).

use serde_json::{Value, json};

use super::{EtaConfig, Receipt};

/// The error (ETA's error body) that makes `receipt` Invalid at the asynchronous step, if any.
pub(super) fn asynchronous_error(
    cfg: &EtaConfig,
    registered: impl Fn(&str) -> bool,
    receipt: &Receipt,
) -> Option<Value> {
    cfg.registered_item_codes.as_ref()?;
    let raw: Value = serde_json::from_str(&receipt.raw).ok()?;
    let details: Vec<Value> = raw["itemData"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .filter_map(|(i, line)| {
            let code = line["itemCode"].as_str().unwrap_or_default();
            (!registered(code)).then(|| {
                json!({
                    "code": "ItemCodeNotRegistered",
                    "message": format!("item code {code} is not registered and active for taxpayer {}", cfg.taxpayer_rin),
                    "target": "itemCode",
                    "propertyPath": format!("receipt.itemData[{i}].itemCode"),
                })
            })
        })
        .collect();
    if details.is_empty() {
        return None;
    }
    Some(json!({
        "code": "ItemCodeNotRegistered",
        "message": format!("receipt {} is invalid: {} item code(s) not registered for the taxpayer", receipt.receipt_number, details.len()),
        "target": receipt.receipt_number,
        "details": details,
    }))
}
