//! A ready-made `flow-shopify-sync` configuration for a running sandbox.
//!
//! [`write()`] puts `flow-shopify-sync.toml` in a folder, with the credential files it names
//! (the binary takes secrets only from files or environment variables) and a SQLite state file
//! beside it, so that `flow-shopify-sync run --config FILE` works with nothing else set. The
//! `demo` command and `sandbox serve --write-config FILE` both use it.

use std::path::{Path, PathBuf};

use crate::RunningSandbox;

/// Writes a `flow-shopify-sync` configuration for a running sandbox into `dir` (with the
/// credential files it names and a SQLite state file beside it); returns its path.
///
/// # Errors
///
/// When a file cannot be written (the message names it).
pub fn write(sandbox: &RunningSandbox, dir: &Path) -> Result<PathBuf, String> {
    let c = sandbox.config();
    let device = c
        .eta
        .devices
        .first()
        .ok_or("the sandbox has no ETA device")?;
    let secrets = [
        ("shopify-token", c.shopify.access_token.as_str()),
        ("shopify-secret", c.shopify.client_secret.as_str()),
        ("flow-password", c.flow.pass.as_str()),
        ("eta-secret", c.eta.client_secret.as_str()),
        ("eta-psk", device.preshared_key.as_str()),
    ];
    for (name, value) in secrets {
        std::fs::write(dir.join(name), value).map_err(|e| format!("writing {name}: {e}"))?;
    }
    let locations = &c.shopify.locations;
    let text = format!(
        r#"# flow-shopify-sync configuration for the local sandbox (written by the demo).
[store]
url = "sqlite://state.db"

[engine]
scope = "sandbox"
interval_secs = 30
locations = {{ "1" = "{loc1}", "2" = "{loc2}" }}

[daemon]
listen = "127.0.0.1:0"

[shopify]
shop = "{shop}"
base_url = "{shopify_url}"
access_token_file = "shopify-token"
webhook_secret_file = "shopify-secret"

[flow]
account = "{acc}"
user = "{usr}"
password_file = "flow-password"
hosts = {{ login = "{flow_url}", api = "{flow_url}", erp = "{flow_url}" }}
# The sandbox's choices where Flow's API is not public (see docs/sandbox.md and docs/flow-erp.md).
adapter = {{ stock_stores = [1, 2], walk_in_customer = "1" }}
operations = {{ refund = "SALRTN" }}
documents = {{ source_field = "SRCDOCNO", line_discount_is_percent = true, templates = {{ SALRTN = {{ builtin = "SALRET" }} }} }}
stock = {{ quantity_field = "QTY" }}

[eta]
environment = "preprod"
identity_url = "{eta_url}"
api_url = "{eta_url}"
client_id = "{eta_client}"
client_secret_file = "eta-secret"
pos_serial = "{serial}"
preshared_key_file = "eta-psk"
default_payment_method = "O"
payment_methods = {{ "shopify_payments" = "V", "paymob" = "V", "valu" = "O", "Cash on Delivery (COD)" = "C", "manual" = "C", "gift_card" = "GC" }}

[eta.seller]
rin = "{rin}"
companyTradeName = "Sandbox Trading"
branchCode = "0"
deviceSerialNumber = "{serial}"
activityCode = "4771"
branchAddress = {{ country = "EG", governate = "Cairo", regionCity = "Nasr City", street = "Abbas El Akkad", buildingNumber = "12" }}
"#,
        loc1 = locations.first().map_or("", String::as_str),
        loc2 = locations
            .get(1)
            .or(locations.first())
            .map_or("", String::as_str),
        shop = c.shopify.shop_domain,
        shopify_url = sandbox.shopify_url(),
        acc = c.flow.acc,
        usr = c.flow.usrid,
        flow_url = sandbox.flow_url(),
        eta_url = sandbox.eta_url(),
        eta_client = c.eta.client_id,
        serial = device.serial,
        rin = c.eta.taxpayer_rin,
    );
    let path = dir.join("flow-shopify-sync.toml");
    std::fs::write(&path, text).map_err(|e| format!("writing {}: {e}", path.display()))?;
    Ok(path)
}
