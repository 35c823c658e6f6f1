//! Bulk operations, for catalogs and backfills larger than paging should carry (and past
//! the 25,000-object pagination limit).
//!
//! - Query: [`ShopifyClient::bulk_query`] starts `bulkOperationRunQuery`;
//!   [`ShopifyClient::wait_bulk_operation`] polls `bulkOperation(id:)` until it ends;
//!   [`ShopifyClient::bulk_results`] downloads the JSONL result and streams its lines.
//! - Mutation: [`ShopifyClient::bulk_mutation`] uploads the JSONL variables to a staged
//!   target (`BULK_MUTATION_VARIABLES`) and starts `bulkOperationRunMutation`.
//!
//! Result URLs expire after 7 days. Limits: at least one and at most five connections,
//! nesting depth two. <https://shopify.dev/docs/api/usage/bulk-operations/queries>

use std::time::Duration;

use bytes::Bytes;
use futures::Stream;

use crate::client::{Safety, ShopifyClient};
use crate::error::Error;
use crate::ops::{missing, require, user_errors};
use crate::queries::{
    self, bulk_operation as bo, bulk_operation_run_mutation as borm,
    bulk_operation_run_query as borq, staged_uploads_create,
};

pub use crate::queries::bulk_operation::BulkOperationStatus;

/// The longest line of a bulk result that [`ShopifyClient::bulk_results`] reads (1 MiB):
/// one object with its own fields, nested connections being lines of their own.
pub const MAX_BULK_LINE: usize = 1 << 20;

/// A bulk operation's state, from `bulkOperation(id:)`.
pub type BulkOperation = bo::BulkOperationBulkOperation;

impl ShopifyClient {
    /// Starts a bulk query (a query with at least one connection, no pagination
    /// arguments needed); returns the operation id. Not retried after an uncertain
    /// failure: Shopify may have started it.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for an empty query; [`Error::UserErrors`] when refused (e.g.
    /// `OPERATION_IN_PROGRESS`, an invalid query).
    pub async fn bulk_query(&self, query: &str) -> Result<String, Error> {
        self.bulk_query_grouped(query, false).await
    }

    /// [`bulk_query`](Self::bulk_query), with `groupObjects` set: when `true`, the lines of
    /// each object's nested connections follow it in the result (slower for Shopify to
    /// produce, but the result can then be read one object at a time, as
    /// [`bulk_orders`](Self::bulk_orders) does).
    ///
    /// # Errors
    ///
    /// As [`bulk_query`](Self::bulk_query).
    pub async fn bulk_query_grouped(
        &self,
        query: &str,
        group_objects: bool,
    ) -> Result<String, Error> {
        const OP: &str = "BulkOperationRunQuery";
        require("query", query)?;
        let data: borq::ResponseData = self
            .run::<queries::BulkOperationRunQuery, _>(
                borq::Variables {
                    query: query.to_owned(),
                    group_objects,
                },
                Safety::Once,
            )
            .await?;
        let payload = data
            .bulk_operation_run_query
            .ok_or_else(|| missing(OP, "bulkOperationRunQuery"))?;
        user_errors!(OP, payload.user_errors, code)?;
        Ok(payload
            .bulk_operation
            .ok_or_else(|| missing(OP, "bulkOperation"))?
            .id)
    }

    /// Uploads `variables` (one JSON object per line) and starts a bulk mutation running
    /// `mutation` once per line; returns the operation id. `client_identifier` is echoed
    /// back in the operation (use the sync job id).
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for an empty mutation, no lines, or a line that is not a JSON
    /// object; [`Error::UserErrors`] when refused.
    pub async fn bulk_mutation(
        &self,
        mutation: &str,
        variables: &[serde_json::Value],
        client_identifier: Option<&str>,
    ) -> Result<String, Error> {
        const OP: &str = "BulkOperationRunMutation";
        require("mutation", mutation)?;
        if variables.is_empty() {
            return Err(Error::invalid("variables", "must hold at least one line"));
        }
        let mut jsonl = Vec::new();
        for (i, v) in variables.iter().enumerate() {
            if !v.is_object() {
                return Err(Error::invalid(
                    format!("variables[{i}]"),
                    "must be a JSON object",
                ));
            }
            serde_json::to_writer(&mut jsonl, v)
                .map_err(|e| Error::invalid(format!("variables[{i}]"), e.to_string()))?;
            jsonl.push(b'\n');
        }
        let filename = "bulk_op_vars.jsonl";
        let target = self
            .stage_upload(
                staged_uploads_create::StagedUploadTargetGenerateUploadResource::BULK_MUTATION_VARIABLES,
                filename,
                "text/jsonl",
                jsonl.len(),
            )
            .await?;
        let path = target
            .parameters
            .iter()
            .find(|(k, _)| k == "key")
            .map(|(_, v)| v.clone())
            .ok_or_else(|| missing("StagedUploadsCreate", "the `key` parameter"))?;
        self.upload_to_target(&target, filename, "text/jsonl", &jsonl)
            .await?;
        let data: borm::ResponseData = self
            .run::<queries::BulkOperationRunMutation, _>(
                borm::Variables {
                    mutation: mutation.to_owned(),
                    staged_upload_path: path,
                    client_identifier: client_identifier.map(str::to_owned),
                },
                Safety::Once,
            )
            .await?;
        let payload = data
            .bulk_operation_run_mutation
            .ok_or_else(|| missing(OP, "bulkOperationRunMutation"))?;
        user_errors!(OP, payload.user_errors, code)?;
        Ok(payload
            .bulk_operation
            .ok_or_else(|| missing(OP, "bulkOperation"))?
            .id)
    }

    /// Reads a bulk operation's state once.
    ///
    /// # Errors
    ///
    /// [`Error::JobFailed`] when there is no such operation.
    pub async fn bulk_operation(
        &self,
        id: &crate::gid::BulkOperationGid,
    ) -> Result<BulkOperation, Error> {
        let data: bo::ResponseData = self
            .run::<queries::BulkOperation, _>(
                bo::Variables {
                    id: id.as_str().to_owned(),
                },
                Safety::Repeatable,
            )
            .await?;
        data.bulk_operation.ok_or_else(|| Error::JobFailed {
            what: "bulk operation",
            id: id.as_str().to_owned(),
            status: "not found".into(),
            detail: None,
        })
    }

    /// Polls a bulk operation until it is `COMPLETED` and returns it (its `url` holds the
    /// result; `None` when the result is empty).
    ///
    /// # Errors
    ///
    /// [`Error::JobFailed`] when it ends `FAILED`, `CANCELED` or `EXPIRED` (with its error
    /// code), or is still running at the client's poll timeout.
    pub async fn wait_bulk_operation(
        &self,
        id: &crate::gid::BulkOperationGid,
    ) -> Result<BulkOperation, Error> {
        let started = self.inner.frame.clock().instant();
        loop {
            let op = self.bulk_operation(id).await?;
            match op.status {
                BulkOperationStatus::COMPLETED => return Ok(op),
                BulkOperationStatus::FAILED
                | BulkOperationStatus::CANCELED
                | BulkOperationStatus::EXPIRED => {
                    return Err(Error::JobFailed {
                        what: "bulk operation",
                        id: id.as_str().to_owned(),
                        status: crate::ops::enum_text(&op.status),
                        detail: op.error_code.as_ref().map(crate::ops::enum_text),
                    });
                }
                _ => {}
            }
            if started.elapsed() >= self.inner.poll_timeout {
                return Err(Error::JobFailed {
                    what: "bulk operation",
                    id: id.as_str().to_owned(),
                    status: crate::ops::enum_text(&op.status),
                    detail: Some("still running when the poll timeout passed".into()),
                });
            }
            self.inner
                .frame
                .clock()
                .sleep(self.inner.poll_interval.max(Duration::from_millis(1)))
                .await;
        }
    }

    /// Downloads a pre-signed URL (a bulk result, an image) through the request frame, with
    /// the client's retry policy and without the Shopify token.
    pub(crate) async fn download(&self, url: &str) -> Result<Bytes, Error> {
        const OP: &str = "download";
        let url = crate::ops::check_url("url", url)?;
        self.inner
            .frame
            .send(
                "shopify",
                OP,
                || {
                    http::Request::get(url.as_str())
                        .body(Bytes::new())
                        .map_err(|e| Error::invalid("url", e.to_string()))
                },
                |sent| crate::ops::presigned_answer(OP, sent).map(http::Response::into_body),
            )
            .await
    }

    /// The result lines of the bulk query `id` of `what` (`orders`, `customers`), once it
    /// finished ([`wait_bulk_operation`](Self::wait_bulk_operation)), streamed as they
    /// download ([`bulk_results`](Self::bulk_results)); none for an empty result.
    /// `Ok(None)` when there is no such operation or it ended without a result (`FAILED`,
    /// `CANCELED`, `EXPIRED`): the caller starts another.
    pub(crate) async fn finished_bulk_lines(
        &self,
        id: &crate::gid::BulkOperationGid,
        what: &'static str,
    ) -> Result<Option<impl Stream<Item = Result<serde_json::Value, Error>> + use<>>, Error> {
        use futures::StreamExt;
        let url = match self.wait_bulk_operation(id).await {
            Ok(op) => op.url,
            Err(Error::JobFailed { status, .. })
                if matches!(
                    status.as_str(),
                    "not found" | "FAILED" | "CANCELED" | "EXPIRED"
                ) =>
            {
                tracing::warn!(
                    operation = id.as_str(),
                    %status,
                    what,
                    "bulk query ended without a result"
                );
                return Ok(None);
            }
            // Still running at the poll timeout, or a request error.
            Err(e) => return Err(e),
        };
        Ok(Some(match url {
            Some(url) => self.bulk_results(&url).await?.left_stream(),
            // An empty result has no file.
            None => futures::stream::empty().right_stream(),
        }))
    }

    /// Downloads a bulk result (`url` of a completed operation; pre-signed, so no token is
    /// sent) and streams its JSONL lines as JSON values, as the download arrives: the file is
    /// never held whole, only the line being read (at most [`MAX_BULK_LINE`] bytes). Each
    /// line of a nested query carries `__parentId`.
    ///
    /// # Errors
    ///
    /// The download's start fails as a whole ([`Error::Http`], [`Error::Transport`]); a
    /// failure while reading it, a line longer than [`MAX_BULK_LINE`] or a line that is not
    /// JSON is an error item of the stream ([`Error::Transport`], [`Error::Invalid`],
    /// [`Error::Decode`]), after which the stream ends.
    pub async fn bulk_results(
        &self,
        url: &str,
    ) -> Result<impl Stream<Item = Result<serde_json::Value, Error>> + use<>, Error> {
        use futures::StreamExt;
        const OP: &str = "bulk result download";
        let url = crate::ops::check_url("url", url)?;
        let frame = &self.inner.frame;
        // Until the answer's head arrives, the client's retry policy applies; the body is
        // read once, as it arrives.
        let response = sync_core::retry::run(frame.retry_policy(), frame.clock().as_ref(), |_| {
            let url = url.clone();
            async move {
                let request = http::Request::get(url.as_str())
                    .body(Bytes::new())
                    .map_err(|e| Error::invalid("url", e.to_string()))?;
                let response =
                    frame
                        .transport()
                        .send_streaming(request)
                        .await
                        .map_err(|source| Error::Transport {
                            operation: OP.into(),
                            retry_safe: true,
                            source,
                        })?;
                if response.status().is_success() {
                    Ok(response)
                } else {
                    Err(Error::Http {
                        operation: OP.into(),
                        status: response.status().as_u16(),
                        message: String::new(),
                        request_id: None,
                        retry_safe: true,
                    })
                }
            }
        })
        .await?;
        let chunks = response
            .into_body()
            .map(|chunk| chunk.map_err(std::io::Error::other));
        let lines = tokio_util::codec::FramedRead::new(
            tokio_util::io::StreamReader::new(chunks),
            tokio_util::codec::LinesCodec::new_with_max_length(MAX_BULK_LINE),
        );
        let mut failed = false;
        Ok(lines
            .filter(|line| {
                let blank = matches!(line, Ok(l) if l.trim().is_empty());
                std::future::ready(!blank)
            })
            .map(|line| {
                let line = line.map_err(|e| match e {
                    tokio_util::codec::LinesCodecError::MaxLineLengthExceeded => Error::invalid(
                        "bulk result",
                        format!("a line is longer than {MAX_BULK_LINE} bytes"),
                    ),
                    tokio_util::codec::LinesCodecError::Io(io) => {
                        match io.downcast::<sync_core::transport::TransportError>() {
                            Ok(source) => Error::Transport {
                                operation: OP.into(),
                                retry_safe: true,
                                source,
                            },
                            Err(io) => Error::invalid("bulk result", io.to_string()),
                        }
                    }
                })?;
                serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_str(&line))
                    .map_err(|source| Error::Decode {
                        operation: OP.into(),
                        retry_safe: true,
                        source,
                        body: Bytes::from(line),
                    })
            })
            .take_while(move |item| {
                // The stream ends after its first error.
                let go = !failed;
                failed |= item.is_err();
                std::future::ready(go)
            }))
    }
}
