//! Payment gateway → ETA payment method mappings an operator adds while the daemon runs.
//!
//! A receipt whose Shopify gateway has no ETA payment method parks on `gateway:<name>`. With
//! `eta.payment_methods_file` set, the console's "Needs attention" page offers a form for it:
//! the mapping is written to that file (the configuration's folder, next to the settings it
//! belongs with, so it survives a lost state store and a restart), applied at once to the
//! running ETA adapter, and the parked receipts run. The file is a TOML table of
//! `gateway = "method code"` lines, read at every start together with `eta.payment_methods`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, anyhow, bail};
use eta_ereceipt::adapter::EtaTaxAuthority;
use eta_ereceipt::codes::PaymentMethod;

/// The longest gateway name accepted (Shopify's gateway names are short words).
const MAX_GATEWAY_CHARS: usize = 100;

/// The file of gateway mappings and the running adapters they apply to.
pub struct GatewayMappings {
    file: PathBuf,
    authorities: Vec<Arc<EtaTaxAuthority>>,
    /// One writer of the file at a time.
    write: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for GatewayMappings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayMappings")
            .field("file", &self.file)
            .finish_non_exhaustive()
    }
}

/// Reads the mappings file: `gateway = "code"` pairs; none when the file does not exist yet.
///
/// # Errors
///
/// The file cannot be read, is not a TOML table of strings, or names a code that is not an
/// ETA payment method (the error names the file, the gateway and the rule).
pub fn read(file: &Path) -> anyhow::Result<BTreeMap<String, PaymentMethod>> {
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", file.display())),
    };
    let table: BTreeMap<String, String> = toml::from_str(&text).with_context(|| {
        format!(
            "{}: must be `gateway = \"method code\"` lines",
            file.display()
        )
    })?;
    table
        .into_iter()
        .map(|(gateway, code)| {
            let method = code
                .parse::<PaymentMethod>()
                .map_err(|e| anyhow!("{}: {gateway}: {e}", file.display()))?;
            Ok((gateway.to_lowercase(), method))
        })
        .collect()
}

impl GatewayMappings {
    /// Mappings kept in `file`, applied to `authorities` when added.
    pub fn new(file: PathBuf, authorities: Vec<Arc<EtaTaxAuthority>>) -> Self {
        GatewayMappings {
            file,
            authorities,
            write: tokio::sync::Mutex::new(()),
        }
    }

    /// Where the mappings are kept.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// Maps `gateway` to `method`: written to the file (replaced whole, atomically), then
    /// applied to the running adapters.
    ///
    /// # Errors
    ///
    /// `gateway` is empty, too long or has control characters; the file cannot be read or
    /// written. Nothing is applied when the file was not written.
    pub async fn add(&self, gateway: &str, method: PaymentMethod) -> anyhow::Result<()> {
        let gateway = gateway.trim().to_lowercase();
        if gateway.is_empty()
            || gateway.chars().count() > MAX_GATEWAY_CHARS
            || gateway.chars().any(char::is_control)
        {
            bail!("gateway: 1 to {MAX_GATEWAY_CHARS} characters, no control characters");
        }
        let _one = self.write.lock().await;
        let mut all = read(&self.file)?;
        all.insert(gateway.clone(), method);
        let table: BTreeMap<&str, &str> = all.iter().map(|(g, m)| (g.as_str(), m.code())).collect();
        let text = format!(
            "# Payment gateway = ETA payment method, added in the console (eta.payment_methods_file).\n{}",
            toml::to_string(&table).context("writing the gateway mappings")?
        );
        let folder = self.file.parent().filter(|p| !p.as_os_str().is_empty());
        let mut temp = tempfile::NamedTempFile::new_in(folder.unwrap_or(Path::new(".")))
            .with_context(|| format!("writing next to {}", self.file.display()))?;
        std::io::Write::write_all(&mut temp, text.as_bytes())
            .with_context(|| format!("writing {}", self.file.display()))?;
        temp.persist(&self.file)
            .with_context(|| format!("replacing {}", self.file.display()))?;
        for authority in &self.authorities {
            authority.map_gateway(&gateway, method);
        }
        Ok(())
    }
}
