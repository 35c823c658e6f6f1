//! The per-POS-device receipt chain: each receipt's `previousUUID` is the uuid of the
//! previous receipt issued on the same device (`""` for the device's first receipt).
//!
//! [`ReceiptChain::issue`] reads the head, writes it into `previousUUID`, seals the receipt and
//! records the new head with a compare-and-set through a [`ChainStore`], retrying when another
//! issuer moved the head in between. The store is a small trait so the engine can keep heads in
//! its database (under a row lock); [`MemoryChainStore`] is the in-memory implementation.
//!
//! Correcting an invalid receipt ([`ReceiptChain::issue_correction`]) issues a new receipt with
//! the **same** `previousUUID` as the invalid one and `referenceOldUUID` = the invalid uuid; the
//! head does not move, so neighbours keep their uuids.
//!
//! ```
//! use eta_ereceipt::chain::{MemoryChainStore, ReceiptChain};
//! # use eta_ereceipt::model::Receipt;
//! # async fn demo(first: Receipt, second: Receipt) -> Result<(), eta_ereceipt::chain::ChainError> {
//! let chain = ReceiptChain::new(MemoryChainStore::default(), "POS-1");
//! let a = chain.issue(first).await?;
//! let b = chain.issue(second).await?;
//! assert_eq!(b.receipt.header.previous_uuid, a.uuid.as_str());
//! # Ok(()) }
//! ```

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::model::{ModelError, Receipt, SealedReceipt};

/// A chain operation that failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChainError {
    /// The store failed.
    #[error("chain store failed")]
    Store(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The head kept moving under concurrent issuers.
    #[error("the chain head of device {device} kept changing; gave up after {attempts} attempts")]
    Contended {
        /// The device.
        device: String,
        /// Attempts made.
        attempts: u32,
    },
    /// The receipt belongs to another device.
    #[error("seller.deviceSerialNumber is {got:?} but this chain is for device {device:?}")]
    WrongDevice {
        /// The chain's device.
        device: String,
        /// The receipt's device.
        got: String,
    },
    /// The receipt could not be sealed.
    #[error(transparent)]
    Model(#[from] ModelError),
}

/// Where chain heads are kept, one per POS device.
#[async_trait]
pub trait ChainStore: Send + Sync {
    /// The uuid of the last receipt issued on `device`, `None` before its first.
    async fn head(&self, device: &str) -> Result<Option<String>, ChainError>;

    /// Sets the head of `device` to `new_head` if it is still `expected` (`None` = no receipt
    /// yet). Returns `false`, changing nothing, when the head is something else.
    async fn compare_and_set(
        &self,
        device: &str,
        expected: Option<&str>,
        new_head: &str,
    ) -> Result<bool, ChainError>;
}

/// Chain heads in memory (lost on restart; for tests and single-process tools).
#[derive(Debug, Default)]
pub struct MemoryChainStore {
    heads: Mutex<HashMap<String, String>>,
}

impl MemoryChainStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.heads.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait]
impl ChainStore for MemoryChainStore {
    async fn head(&self, device: &str) -> Result<Option<String>, ChainError> {
        Ok(self.lock().get(device).cloned())
    }

    async fn compare_and_set(
        &self,
        device: &str,
        expected: Option<&str>,
        new_head: &str,
    ) -> Result<bool, ChainError> {
        let mut heads = self.lock();
        if heads.get(device).map(String::as_str) != expected {
            return Ok(false);
        }
        heads.insert(device.to_owned(), new_head.to_owned());
        Ok(true)
    }
}

/// Issues receipts on one POS device's chain.
pub struct ReceiptChain<S> {
    store: S,
    device: String,
    max_attempts: u32,
}

impl<S> fmt::Debug for ReceiptChain<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReceiptChain")
            .field("device", &self.device)
            .finish_non_exhaustive()
    }
}

impl<S: ChainStore> ReceiptChain<S> {
    /// The chain of `device` (the POS serial, = `seller.deviceSerialNumber`).
    pub fn new(store: S, device: impl Into<String>) -> Self {
        ReceiptChain {
            store,
            device: device.into(),
            max_attempts: 64,
        }
    }

    /// The device.
    pub fn device(&self) -> &str {
        &self.device
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The `previousUUID` the next receipt will carry (`""` before the first).
    ///
    /// # Errors
    ///
    /// [`ChainError::Store`] when the store fails.
    pub async fn previous_uuid(&self) -> Result<String, ChainError> {
        Ok(self.store.head(&self.device).await?.unwrap_or_default())
    }

    fn check_device(&self, receipt: &Receipt) -> Result<(), ChainError> {
        if receipt.seller.device_serial_number != self.device {
            return Err(ChainError::WrongDevice {
                device: self.device.clone(),
                got: receipt.seller.device_serial_number.clone(),
            });
        }
        Ok(())
    }

    /// Chains `receipt` after the current head, seals it and records it as the new head.
    ///
    /// # Errors
    ///
    /// [`ChainError::WrongDevice`] when the receipt's device differs, [`ChainError::Contended`]
    /// when the head kept moving, [`ChainError::Store`] when the store fails.
    pub async fn issue(&self, mut receipt: Receipt) -> Result<SealedReceipt, ChainError> {
        self.check_device(&receipt)?;
        for _ in 0..self.max_attempts {
            let head = self.store.head(&self.device).await?;
            receipt.header.previous_uuid = head.clone().unwrap_or_default();
            receipt.header.reference_old_uuid = None;
            let sealed = receipt.clone().seal()?;
            if self
                .store
                .compare_and_set(&self.device, head.as_deref(), sealed.uuid.as_str())
                .await?
            {
                return Ok(sealed);
            }
        }
        Err(ChainError::Contended {
            device: self.device.clone(),
            attempts: self.max_attempts,
        })
    }

    /// Issues the correction of an invalid receipt: same `previousUUID` as the invalid one,
    /// `referenceOldUUID` = the invalid uuid. The head does not move.
    ///
    /// # Errors
    ///
    /// [`ChainError::WrongDevice`] or [`ChainError::Model`].
    pub fn issue_correction(
        &self,
        invalid: &SealedReceipt,
        mut receipt: Receipt,
    ) -> Result<SealedReceipt, ChainError> {
        self.check_device(&receipt)?;
        receipt.header.previous_uuid = invalid.receipt.header.previous_uuid.clone();
        receipt.header.reference_old_uuid = Some(invalid.uuid.as_str().to_owned());
        Ok(receipt.seal()?)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::model::tests::sample;

    #[tokio::test]
    async fn receipts_chain_by_previous_uuid() {
        let chain = ReceiptChain::new(MemoryChainStore::default(), "POS-1");
        assert_eq!(chain.previous_uuid().await.unwrap(), "");
        let a = chain.issue(sample()).await.unwrap();
        assert_eq!(a.receipt.header.previous_uuid, "");
        let mut second = sample();
        second.header.receipt_number = "R-2".into();
        let b = chain.issue(second).await.unwrap();
        assert_eq!(b.receipt.header.previous_uuid, a.uuid.as_str());
        assert_eq!(chain.previous_uuid().await.unwrap(), b.uuid.as_str());
        assert!(b.json.contains(&format!("\"previousUUID\":\"{}\"", a.uuid)));
    }

    /// A store that yields between reading the head and setting it, so issuers interleave.
    #[derive(Default)]
    struct Yielding(MemoryChainStore, std::sync::atomic::AtomicU32);

    #[async_trait]
    impl ChainStore for Yielding {
        async fn head(&self, device: &str) -> Result<Option<String>, ChainError> {
            let head = self.0.head(device).await;
            tokio::task::yield_now().await;
            head
        }
        async fn compare_and_set(
            &self,
            device: &str,
            expected: Option<&str>,
            new_head: &str,
        ) -> Result<bool, ChainError> {
            let ok = self.0.compare_and_set(device, expected, new_head).await?;
            if !ok {
                self.1.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            Ok(ok)
        }
    }

    #[tokio::test]
    async fn concurrent_issuers_never_share_a_previous_uuid() {
        let chain = Arc::new(ReceiptChain::new(Yielding::default(), "POS-1"));
        let mut tasks = Vec::new();
        for n in 0..20 {
            let chain = chain.clone();
            tasks.push(tokio::spawn(async move {
                let mut r = sample();
                r.header.receipt_number = format!("R-{n}");
                chain.issue(r).await.unwrap()
            }));
        }
        let mut sealed = Vec::new();
        for t in tasks {
            sealed.push(t.await.unwrap());
        }
        let mut prevs: Vec<_> = sealed
            .iter()
            .map(|s| s.receipt.header.previous_uuid.clone())
            .collect();
        prevs.sort();
        prevs.dedup();
        assert_eq!(prevs.len(), 20, "every receipt has its own predecessor");
        // walking back from the head visits all 20
        let mut at = chain.previous_uuid().await.unwrap();
        let mut seen = 0;
        while let Some(s) = sealed.iter().find(|s| s.uuid.as_str() == at) {
            at = s.receipt.header.previous_uuid.clone();
            seen += 1;
        }
        assert_eq!((seen, at.as_str()), (20, ""));
        assert!(
            chain.store().1.load(std::sync::atomic::Ordering::Relaxed) > 0,
            "the test did make issuers collide"
        );
    }

    #[tokio::test]
    async fn correction_reuses_the_previous_uuid_and_keeps_the_head() {
        let chain = ReceiptChain::new(MemoryChainStore::default(), "POS-1");
        let a = chain.issue(sample()).await.unwrap();
        let bad = chain.issue(sample()).await.unwrap();
        let c = chain.issue(sample()).await.unwrap();
        let fixed = chain.issue_correction(&bad, sample()).unwrap();
        assert_eq!(fixed.receipt.header.previous_uuid, a.uuid.as_str());
        assert_eq!(
            fixed.receipt.header.reference_old_uuid.as_deref(),
            Some(bad.uuid.as_str())
        );
        assert_ne!(fixed.uuid, bad.uuid);
        assert_eq!(chain.previous_uuid().await.unwrap(), c.uuid.as_str());
        let mut other = sample();
        other.seller.device_serial_number = "POS-9".into();
        assert!(matches!(
            chain.issue(other).await,
            Err(ChainError::WrongDevice { .. })
        ));
    }
}
