//! Submission: batches of sealed receipts of one POS device (within ETA's limits) and
//! [`EtaClient::submit`], which never resends blindly after an uncertain send.

use bytes::Bytes;
use http::Method;
use serde::Deserialize;
use serde_json::value::RawValue;
use sync_core::error::Classify;

use super::{EtaClient, decode};
use crate::ReceiptUuid;
use crate::canonical;
use crate::error::{Error, EtaError};
use crate::model::SealedReceipt;

/// Most receipts in one submission.
pub const MAX_BATCH_RECEIPTS: usize = 500;
/// Most bytes in one submission body (1.5 MB, counted as 1,500,000 bytes to stay safe).
pub const MAX_BATCH_BYTES: usize = 1_500_000;

/// One receipt ready to send: its uuid, number and exact JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchReceipt {
    /// The uuid (already in the text).
    pub uuid: ReceiptUuid,
    /// `header.receiptNumber`.
    pub receipt_number: String,
    /// The exact JSON text sent.
    pub json: String,
}

/// Receipts of one POS device to send in one submission (≤ 500 receipts, ≤ 1.5 MB).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmissionBatch {
    device: String,
    receipts: Vec<BatchReceipt>,
}

#[derive(Deserialize)]
struct Probe {
    header: ProbeHeader,
    seller: ProbeSeller,
}
#[derive(Deserialize)]
struct ProbeHeader {
    #[serde(rename = "receiptNumber", default)]
    receipt_number: String,
}
#[derive(Deserialize)]
struct ProbeSeller {
    #[serde(rename = "deviceSerialNumber")]
    device_serial_number: String,
}

#[derive(Deserialize)]
struct BatchText<'a> {
    #[serde(borrow)]
    receipts: Vec<&'a RawValue>,
}

impl SubmissionBatch {
    /// A batch of sealed receipts (their JSON is sent byte for byte).
    ///
    /// # Errors
    ///
    /// [`Error::Batch`] when empty, above 500 receipts or 1.5 MB, or from several devices.
    pub fn from_sealed(sealed: &[SealedReceipt]) -> Result<Self, Error> {
        let receipts = sealed
            .iter()
            .map(|s| BatchReceipt {
                uuid: s.uuid.clone(),
                receipt_number: s.receipt.header.receipt_number.clone(),
                json: s.json.clone(),
            })
            .collect();
        let devices: Vec<&str> = sealed
            .iter()
            .map(|s| s.receipt.seller.device_serial_number.as_str())
            .collect();
        Self::checked(receipts, &devices)
    }

    /// A batch from the text of a `{"receipts":[...]}` document: each receipt's text is kept
    /// as is, except that its uuid is computed and written into `header.uuid`.
    ///
    /// # Errors
    ///
    /// [`Error::Uuid`] for malformed JSON or a receipt without `header.uuid`,
    /// [`Error::Batch`] as in [`from_sealed`](Self::from_sealed).
    pub fn from_batch_json(text: &str) -> Result<Self, Error> {
        canonical::batch_receipt_uuids(text)?;
        let parsed: BatchText<'_> = serde_json::from_str(text)
            .map_err(|e| Error::Batch(format!("not a {{\"receipts\":[...]}} document: {e}")))?;
        let mut receipts = Vec::with_capacity(parsed.receipts.len());
        let mut devices = Vec::with_capacity(parsed.receipts.len());
        for (i, raw) in parsed.receipts.iter().enumerate() {
            let stamped = canonical::stamp_receipt_uuid(raw.get())?;
            let probe: Probe = serde_json::from_str(raw.get()).map_err(|e| {
                Error::Batch(format!("receipts[{i}]: header.receiptNumber and seller.deviceSerialNumber are needed ({e})"))
            })?;
            devices.push(probe.seller.device_serial_number);
            receipts.push(BatchReceipt {
                uuid: stamped.uuid,
                receipt_number: probe.header.receipt_number,
                json: stamped.json,
            });
        }
        let refs: Vec<&str> = devices.iter().map(String::as_str).collect();
        Self::checked(receipts, &refs)
    }

    fn checked(receipts: Vec<BatchReceipt>, devices: &[&str]) -> Result<Self, Error> {
        if receipts.is_empty() {
            return Err(Error::Batch(
                "a submission needs at least one receipt".into(),
            ));
        }
        if receipts.len() > MAX_BATCH_RECEIPTS {
            return Err(Error::Batch(format!(
                "{} receipts; at most {MAX_BATCH_RECEIPTS} per submission",
                receipts.len()
            )));
        }
        let device = devices[0];
        if let Some((i, other)) = devices.iter().enumerate().find(|(_, d)| **d != device) {
            return Err(Error::Batch(format!(
                "receipts[{i}] is from device {other:?} but receipts[0] from {device:?}; one submission carries one POS device"
            )));
        }
        let batch = SubmissionBatch {
            device: device.to_owned(),
            receipts,
        };
        let size = batch.body(None, true).len();
        if size > MAX_BATCH_BYTES {
            return Err(Error::Batch(format!(
                "{size} bytes; at most {MAX_BATCH_BYTES} per submission"
            )));
        }
        Ok(batch)
    }

    /// The POS device of every receipt.
    pub fn device(&self) -> &str {
        &self.device
    }

    /// The receipts, in order.
    pub fn receipts(&self) -> &[BatchReceipt] {
        &self.receipts
    }

    /// Splits sealed receipts of one device into batches within both limits, keeping order.
    ///
    /// # Errors
    ///
    /// As [`from_sealed`](Self::from_sealed) (e.g. a single receipt above 1.5 MB).
    pub fn split(sealed: &[SealedReceipt]) -> Result<Vec<SubmissionBatch>, Error> {
        let mut out = Vec::new();
        let mut start = 0;
        let mut size = 64;
        for (i, s) in sealed.iter().enumerate() {
            let add = s.json.len() + 1;
            if i > start && (i - start == MAX_BATCH_RECEIPTS || size + add > MAX_BATCH_BYTES) {
                out.push(Self::from_sealed(&sealed[start..i])?);
                start = i;
                size = 64;
            }
            size += add;
        }
        if start < sealed.len() {
            out.push(Self::from_sealed(&sealed[start..])?);
        }
        Ok(out)
    }

    /// The request body for all receipts, or for those whose uuid is in `only`.
    fn body(&self, only: Option<&[ReceiptUuid]>, signatures: bool) -> String {
        let mut body = String::with_capacity(
            self.receipts
                .iter()
                .map(|r| r.json.len() + 1)
                .sum::<usize>()
                + 80,
        );
        body.push_str("{\"receipts\":[");
        let mut first = true;
        for r in &self.receipts {
            if only.is_some_and(|o| !o.contains(&r.uuid)) {
                continue;
            }
            if !first {
                body.push(',');
            }
            first = false;
            body.push_str(&r.json);
        }
        body.push(']');
        if signatures {
            body.push_str(",\"signatures\":[{\"signatureType\":\"I\",\"value\":\"\"}]");
        }
        body.push('}');
        body
    }
}

/// A receipt ETA accepted.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AcceptedReceipt {
    /// The uuid.
    pub uuid: String,
    /// ETA's long id.
    #[serde(default)]
    pub long_id: Option<String>,
    /// The receipt number.
    #[serde(default)]
    pub receipt_number: Option<String>,
    /// ETA's hash key.
    #[serde(default)]
    pub hash_key: Option<String>,
}

/// A receipt ETA rejected.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RejectedReceipt {
    /// The uuid.
    #[serde(default)]
    pub uuid: Option<String>,
    /// The receipt number.
    #[serde(default)]
    pub receipt_number: Option<String>,
    /// Why.
    #[serde(default)]
    pub error: Option<EtaError>,
}

/// A receipt found by uuid after an uncertain send (so it was not sent again).
#[derive(Debug, Clone, PartialEq)]
pub struct KnownReceipt {
    /// The uuid.
    pub uuid: ReceiptUuid,
    /// What `GET /api/v1/receipts/{uuid}/raw` returned.
    pub raw: serde_json::Value,
}

/// The outcome of [`EtaClient::submit`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SubmissionResult {
    /// The submission id(s) (`submissionId` or `submissionUUID`), one per request that got an
    /// answer.
    pub submission_ids: Vec<String>,
    /// Accepted receipts.
    pub accepted: Vec<AcceptedReceipt>,
    /// Rejected receipts, with ETA's reasons.
    pub rejected: Vec<RejectedReceipt>,
    /// Receipts that ETA already had when a response was lost (found by uuid, not resent).
    pub already_known: Vec<KnownReceipt>,
    /// Receipts ETA did not have after an uncertain send, not resent because ETA asked to wait
    /// longer than the builder's
    /// [`resend_wait_limit`](super::EtaClientBuilder::resend_wait_limit): submit them again
    /// later.
    pub unresolved: Vec<ReceiptUuid>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SubmitResponse {
    #[serde(default, alias = "submissionUUID", alias = "submissionUuid")]
    submission_id: Option<String>,
    #[serde(default)]
    accepted_documents: Vec<AcceptedReceipt>,
    #[serde(default)]
    rejected_documents: Vec<RejectedReceipt>,
}

impl EtaClient {
    /// Submits one batch. Receipts ETA already has after a lost response (or a 422 duplicate)
    /// are looked up by uuid and reported in [`SubmissionResult::already_known`]; only the
    /// others are sent again.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] for a refused submission (400 `BadStructure`, 403, …), the last
    /// retryable error when the policy gives up, or the uncertain error when look-ups fail
    /// too (then nothing is known: try [`receipt_raw`](Self::receipt_raw) later).
    pub async fn submit(&self, batch: &SubmissionBatch) -> Result<SubmissionResult, Error> {
        if batch.device != self.inner.credentials.pos_serial {
            return Err(Error::Batch(format!(
                "the batch is from device {:?} but the client's token is for POS {:?}",
                batch.device, self.inner.credentials.pos_serial
            )));
        }
        let mut result = SubmissionResult::default();
        let mut pending: Vec<ReceiptUuid> = batch.receipts.iter().map(|r| r.uuid.clone()).collect();
        let mut rounds = 0u32;
        loop {
            rounds += 1;
            let only = (pending.len() != batch.receipts.len()).then_some(pending.as_slice());
            let body = Bytes::from(batch.body(only, self.inner.signatures));
            match self
                .call(
                    "submit",
                    Method::POST,
                    "/api/v1/receiptsubmissions",
                    Some(body),
                    true,
                )
                .await
            {
                Ok(response) => {
                    let parsed: SubmitResponse = decode("submit", response.body(), true)?;
                    result.submission_ids.extend(parsed.submission_id);
                    result.accepted.extend(parsed.accepted_documents);
                    result.rejected.extend(parsed.rejected_documents);
                    return Ok(result);
                }
                Err(error)
                    if error.is_uncertain()
                        && rounds < self.inner.frame.retry_policy().attempts() =>
                {
                    tracing::warn!(%error, receipts = pending.len(), "submission outcome unknown: looking the receipts up before any resend");
                    let wait = error.retry_after();
                    let mut still = Vec::new();
                    for uuid in pending {
                        match self.receipt_raw(uuid.as_str()).await {
                            Ok(Some(raw)) => result.already_known.push(KnownReceipt { uuid, raw }),
                            Ok(None) => still.push(uuid),
                            // look-up failed: the outcome stays unknown; report the first error
                            Err(_) => return Err(error),
                        }
                    }
                    if still.is_empty() {
                        return Ok(result);
                    }
                    if let Some(wait) = wait {
                        if wait > self.inner.resend_wait_limit {
                            result.unresolved = still;
                            return Ok(result);
                        }
                        self.inner.frame.clock().sleep(wait).await;
                    }
                    pending = still;
                }
                Err(error) => return Err(error),
            }
        }
    }
}
