//! Operator actions behind the binary's screens: push, hold or activate chosen items, remove
//! their images, and report receipt states.

use std::collections::BTreeMap;

use super::base::{Engine, EngineError, Summary};
use super::flows::{Decisions, catalog};
use super::kinds::BindingKind;
use crate::model::{ProductId, ProductStatus};

/// What [`Engine::push_items`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct PushedItems {
    /// What the pass did.
    pub summary: Summary,
    /// Codes asked for that the ERP does not have (nothing was done for them).
    pub unknown: Vec<String>,
}

impl Engine {
    /// Pushes the item groups with the given codes (all of them with `None`), whether or not
    /// they changed; with `without_images`, their images are removed from the storefront.
    /// Codes the ERP does not have are returned in [`PushedItems::unknown`], in the order given.
    ///
    /// # Errors
    ///
    /// When the store fails or the ERP cannot be read.
    pub async fn push_items(
        &self,
        codes: Option<&[String]>,
        without_images: bool,
    ) -> Result<PushedItems, EngineError> {
        self.migrate().await?;
        let groups = self
            .connectors
            .erp_catalog
            .product_groups()
            .await
            .map_err(|source| EngineError::Source {
                flow: "catalog",
                source,
            })?;
        let unknown: Vec<String> = codes
            .unwrap_or_default()
            .iter()
            .filter(|code| !groups.iter().any(|g| &&g.code == code))
            .cloned()
            .collect();
        let stamp = self.now().timestamp_millis();
        let mut decisions = Decisions::run(self);
        for mut group in groups {
            if codes.is_some_and(|c| !c.contains(&group.code)) {
                continue;
            }
            if without_images {
                group.images.clear();
            }
            let key = format!(
                "{}:manual:{stamp}:{}",
                group.code,
                catalog::catalog_hash(&group)
            );
            decisions.add(catalog::push(group, key, true)).await?;
        }
        Ok(PushedItems {
            summary: self.drain().await?,
            unknown,
        })
    }

    /// Holds or activates the products of the given item group codes. Codes that were never
    /// pushed are reported back.
    ///
    /// # Errors
    ///
    /// When the store fails or the storefront refuses.
    pub async fn set_items_status(
        &self,
        codes: &[String],
        status: ProductStatus,
    ) -> Result<Vec<String>, EngineError> {
        self.migrate().await?;
        let mut missing = Vec::new();
        for code in codes {
            match self.binding(BindingKind::Product, code).await? {
                Some(binding) => {
                    self.connectors
                        .storefront_catalog
                        .set_status(&ProductId::new(binding.remote_id.as_str()), status)
                        .await
                        .map_err(|source| EngineError::Source {
                            flow: "catalog",
                            source,
                        })?;
                    let mut data = binding.data.clone();
                    data["status"] = serde_json::json!(status);
                    self.bind(
                        BindingKind::Product,
                        code,
                        &binding.remote_id,
                        binding.content_hash.clone(),
                        data,
                    )
                    .await?;
                }
                None => missing.push(code.clone()),
            }
        }
        Ok(missing)
    }

    /// How many receipts are in each state (`parked`, `built`, `submitted`, `valid`,
    /// `invalid`, `rejected`; the text forms of earlier versions are read as these).
    ///
    /// # Errors
    ///
    /// When the store fails.
    pub async fn receipt_states(&self) -> Result<BTreeMap<String, u64>, EngineError> {
        let mut counts = BTreeMap::new();
        for receipt in self.receipt_statuses(None).await? {
            *counts.entry(receipt.state.as_str().to_owned()).or_default() += 1;
        }
        Ok(counts)
    }
}
