//! A ready-made `flow-shopify-sync` configuration for a running sandbox.
//!
//! [`write()`] puts `flow-shopify-sync.toml` in a folder, with the credential files it names
//! (the binary takes secrets only from files or environment variables) and a SQLite state file
//! beside it, so that `flow-shopify-sync run --config FILE` works with nothing else set. The
//! `demo` command and `sandbox serve --write-config FILE` both use it.
//!
//! Product images come from a folder, as many Flow sites keep them: [`write()`] also puts one
//! small PNG per item group and colour in `images/` (named `{item}_{colour}.png` after the
//! first item of that colour, and coloured after the colour) and points Flow's
//! `catalog.images` at it, so a full cycle uploads real image files through Shopify's staged
//! uploads.

use std::collections::{HashMap, HashSet};
use std::io::Cursor;
use std::path::{Path, PathBuf};

use crate::RunningSandbox;

/// What [`write_with()`] writes besides the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Write an image folder and configure Flow's folder image source (default `true`).
    pub images: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options { images: true }
    }
}

/// Writes a `flow-shopify-sync` configuration for a running sandbox into `dir` (with the
/// credential files it names, the image folder and a SQLite state file beside it); returns its
/// path. Same as [`write_with()`] with the default [`Options`].
///
/// # Errors
///
/// When a file cannot be written (the message names it).
pub fn write(sandbox: &RunningSandbox, dir: &Path) -> Result<PathBuf, String> {
    write_with(sandbox, dir, Options::default())
}

/// The folder, relative to the configuration, that holds the product images.
pub const IMAGE_FOLDER: &str = "images";

/// The file name of the image of an item in a colour, as the configuration's pattern gives it.
pub fn image_file_name(item: &str, colour: &str) -> String {
    format!("{item}_{colour}.png")
}

/// An 8 × 8 PNG in the colour named `colour` (grey for a name it does not know).
///
/// # Errors
///
/// When the PNG encoder fails (it does not for an image this small).
pub fn colour_png(colour: &str) -> Result<Vec<u8>, String> {
    let rgb = match colour.to_ascii_lowercase().as_str() {
        "black" => [20, 20, 20],
        "white" => [245, 245, 245],
        "red" => [200, 30, 40],
        "navy" => [20, 30, 90],
        "beige" => [225, 205, 170],
        "green" => [30, 140, 60],
        _ => [128, 128, 128],
    };
    let img = image::RgbImage::from_pixel(8, 8, image::Rgb(rgb));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| format!("encoding a PNG: {e}"))?;
    Ok(out.into_inner())
}

/// Writes one PNG per item group and colour of the Flow stand-in into `dir/images`, named
/// after the first item of that colour (as a shop photographs a colour once, not each
/// size): the client links it to every variant of that colour.
fn write_images(sandbox: &RunningSandbox, dir: &Path) -> Result<(), String> {
    let folder = dir.join(IMAGE_FOLDER);
    std::fs::create_dir_all(&folder).map_err(|e| format!("creating {}: {e}", folder.display()))?;
    let mut pngs: HashMap<String, Vec<u8>> = HashMap::new();
    let mut done: HashSet<(u32, String)> = HashSet::new();
    for item in sandbox.flow().all_catalog_items() {
        if !done.insert((item.group, item.colour.clone())) {
            continue;
        }
        let png = match pngs.get(&item.colour_name) {
            Some(png) => png,
            None => {
                let png = colour_png(&item.colour_name)?;
                pngs.entry(item.colour_name.clone()).or_insert(png)
            }
        };
        let path = folder.join(image_file_name(&item.sku, &item.colour));
        std::fs::write(&path, png).map_err(|e| format!("writing {}: {e}", path.display()))?;
    }
    Ok(())
}

/// Writes a `flow-shopify-sync` configuration for a running sandbox into `dir`, with the
/// credential files it names and a SQLite state file beside it, and, when `options.images`, the
/// image folder; returns its path.
///
/// # Errors
///
/// When a file cannot be written (the message names it).
pub fn write_with(
    sandbox: &RunningSandbox,
    dir: &Path,
    options: Options,
) -> Result<PathBuf, String> {
    let c = sandbox.config();
    let device = c
        .eta
        .devices
        .first()
        .ok_or("the sandbox has no ETA device")?;
    let secrets = [
        ("shopify-secret", c.shopify.client_secret.as_str()),
        ("flow-password", c.flow.pass.as_str()),
        ("eta-secret", c.eta.client_secret.as_str()),
        ("eta-psk", device.preshared_key.as_str()),
    ];
    for (name, value) in secrets {
        let path = dir.join(name);
        std::fs::write(&path, value).map_err(|e| format!("writing {name}: {e}"))?;
        // Secret files are for their owner alone (the connector warns about others).
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| format!("restricting {name}: {e}"))?;
        }
    }
    let catalog = if options.images {
        write_images(sandbox, dir)?;
        format!(
            "catalog = {{ images = {{ source = \"folder\", path = \"{IMAGE_FOLDER}\", pattern = \"{}\" }} }}\n",
            image_file_name("{item}", "{colour}")
        )
    } else {
        String::new()
    };
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
# Client credentials: the 24 h token is fetched, and fetched again when refused.
client_id = "{shopify_client}"
client_secret_file = "shopify-secret"
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
{catalog}
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
payment_methods_file = "payment-methods.toml"

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
        shopify_client = c.shopify.client_id,
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
