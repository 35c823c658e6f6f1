//! The pull shared by orders and customers: read the storefront's changes since the flow's
//! checkpoint (ids and change times first), fetch whole only the records whose change has not
//! been read yet, and decide what each needs.
//!
//! The overlap window before the checkpoint, and the records webhooks already brought, cost a
//! change list, not the records again. In a run, each record's read is bound (its change time
//! and when it was read) and the checkpoint moves only after a page's jobs are stored, so a
//! crash re-reads the page; a plan records nothing.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::export::Exporting;
use super::{Decisions, since, source};
use crate::connector::{ConnectorResult, StorefrontOrders};
use crate::engine::base::{Engine, EngineError};
use crate::engine::kinds::BindingKind;
use crate::model::Change;
use crate::paging::Page;

/// Records read whole at once by a pull (the storefront client paces them to its budget).
const FETCHES_IN_FLIGHT: usize = 4;

/// How long after a record's last change a read of it must have happened for a pull to trust
/// that read. The storefront stamps changes to the second, so a read in the same second as a
/// change may have missed a second change stamped alike; the margin also absorbs a clock skew
/// between this machine and the storefront.
const READ_SETTLED_AFTER: chrono::Duration = chrono::Duration::seconds(5);

/// A storefront record that a pull reads by its changes: orders and customers.
#[async_trait::async_trait]
pub(crate) trait Pulled: Sized + Send + 'static {
    /// The flow's name: its checkpoint and the source named in its errors.
    const FLOW: &'static str;
    /// The binding kind that records the last change read of each record.
    const READ: BindingKind;
    /// The gauge that reports how far behind the newest change read is, if the flow has one.
    const LAG_GAUGE: Option<&'static str> = None;
    /// The record's id ([`OrderId`](crate::model::OrderId),
    /// [`CustomerId`](crate::model::CustomerId)).
    type Id: Clone + AsRef<str> + Send + Sync + 'static;
    /// One page of changes.
    async fn changes(
        storefront: &dyn StorefrontOrders,
        since: Option<DateTime<Utc>>,
        cursor: Option<String>,
    ) -> ConnectorResult<Page<Change<Self::Id>, String>>;
    /// One record, whole.
    async fn fetch(
        storefront: &dyn StorefrontOrders,
        id: &Self::Id,
    ) -> ConnectorResult<Option<Self>>;
    /// Its id and last change.
    fn stamp(&self) -> (&Self::Id, DateTime<Utc>);
    /// Decides what the record, as read now, needs.
    async fn decide(self, d: &mut Decisions<'_>) -> Result<(), EngineError>;
    /// Reads the records through one storefront export instead, when the kind has exports
    /// and an export is recorded, or `may_start` and more are to be read since `from` than
    /// the threshold (see [`export`](super::export)); returns what it did. The default
    /// reads none.
    async fn export(
        d: &mut Decisions<'_>,
        from: Option<DateTime<Utc>>,
        may_start: bool,
    ) -> Result<Exporting, EngineError> {
        let _ = (d, from, may_start);
        Ok(Exporting::No)
    }
    /// Decides what a page of records needs (one by one, unless the kind does better with
    /// the whole page, as orders do to look their documents up in one query).
    async fn decide_page(records: Vec<Self>, d: &mut Decisions<'_>) -> Result<(), EngineError> {
        for record in records {
            record.decide(d).await?;
        }
        Ok(())
    }
}

/// Pulls `T`'s changes since its checkpoint and decides what each unread one needs.
pub(crate) async fn pull<T: Pulled>(d: &mut Decisions<'_>) -> Result<(), EngineError> {
    let engine = d.engine();
    let scope = &engine.config.scope;
    let storefront = engine.connectors.storefront_orders.as_ref();
    let mut from = since(engine, engine.store.checkpoint(scope, T::FLOW).await?);
    // An export recorded before (a restart) is read first.
    if T::export(d, from, false).await? == Exporting::Read {
        from = since(engine, engine.store.checkpoint(scope, T::FLOW).await?);
    }
    let mut cursor = None;
    let mut newest: Option<DateTime<Utc>> = None;
    let mut first = true;
    loop {
        let page = T::changes(storefront, from, cursor.take())
            .await
            .map_err(source(T::FLOW))?;
        // A full first page: perhaps a backlog worth an export (the storefront counts it).
        if std::mem::take(&mut first) && page.has_more {
            match T::export(d, from, true).await? {
                Exporting::No => {}
                Exporting::Read => {
                    // After an export the checkpoint is its start: go on incrementally.
                    from = since(engine, engine.store.checkpoint(scope, T::FLOW).await?);
                    continue;
                }
                // The export starts on a later pass; reading one by one now would cost
                // what it saves.
                Exporting::Deferred => return Ok(()),
            }
        }
        let mut unread = Vec::new();
        for change in &page.items {
            newest = newest.max(Some(change.updated_at));
            if !already_read(engine, T::READ, change).await? {
                unread.push(&change.external_id);
            }
        }
        let read_at = engine.now();
        let records = fetch_each::<T>(storefront, &unread)
            .await
            .map_err(source(T::FLOW))?;
        let records: Vec<T> = records.into_iter().flatten().collect();
        let stamps: Vec<(T::Id, DateTime<Utc>)> = records
            .iter()
            .map(|r| {
                let (id, updated_at) = r.stamp();
                (id.clone(), updated_at)
            })
            .collect();
        T::decide_page(records, d).await?;
        if d.is_run() {
            for (id, updated_at) in stamps {
                record_read(engine, T::READ, id.as_ref(), updated_at, read_at).await?;
            }
        }
        if let Some(newest) = newest
            && d.is_run()
        {
            if let Some(gauge) = T::LAG_GAUGE {
                let lag = (engine.now() - newest).num_milliseconds().max(0) as f64 / 1000.0;
                metrics::gauge!(gauge).set(lag);
            }
            // The checkpoint moves only after the page's jobs are stored: a crash re-reads it.
            engine
                .store
                .set_checkpoint(scope, T::FLOW, &newest.to_rfc3339())
                .await?;
        }
        match page.next {
            Some(next) if page.has_more => cursor = Some(next),
            _ => break,
        }
    }
    Ok(())
}

/// Reads the records `ids` whole, a few at a time, in the order given (`None` for one that
/// no longer exists).
async fn fetch_each<T: Pulled>(
    storefront: &dyn StorefrontOrders,
    ids: &[&T::Id],
) -> ConnectorResult<Vec<Option<T>>> {
    use futures::StreamExt;
    let mut ids = ids.iter();
    let mut in_flight = futures::stream::FuturesOrdered::new();
    let mut records = Vec::with_capacity(ids.len());
    loop {
        while in_flight.len() < FETCHES_IN_FLIGHT {
            let Some(id) = ids.next() else { break };
            in_flight.push_back(T::fetch(storefront, id));
        }
        match in_flight.next().await {
            Some(record) => records.push(record?),
            None => return Ok(records),
        }
    }
}

/// Whether the engine already read `change` of its record (or a later one), long enough after
/// it for no other change to hide under the same time stamp.
pub(crate) async fn already_read(
    engine: &Engine,
    kind: BindingKind,
    change: &Change<impl AsRef<str>>,
) -> Result<bool, EngineError> {
    let Some(read) = engine.binding(kind, &change.external_id).await? else {
        return Ok(false);
    };
    let time = |member: &str| {
        read.data
            .get(member)
            .and_then(Value::as_str)
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc))
    };
    let (Some(updated_at), Some(read_at)) = (time("updated_at"), time("read_at")) else {
        return Ok(false);
    };
    Ok(change.updated_at < updated_at
        || (change.updated_at == updated_at && read_at >= updated_at + READ_SETTLED_AFTER))
}

/// Records that the change of record `id` made at `updated_at` was read at `read_at`.
pub(crate) async fn record_read(
    engine: &Engine,
    kind: BindingKind,
    id: &str,
    updated_at: DateTime<Utc>,
    read_at: DateTime<Utc>,
) -> Result<(), EngineError> {
    engine
        .bind(
            kind,
            id,
            id,
            None,
            serde_json::json!({
                "updated_at": updated_at.to_rfc3339(),
                "read_at": read_at.to_rfc3339(),
            }),
        )
        .await?;
    Ok(())
}
