//! Customers: storefront customer changes → ERP customers.
//!
//! Read by the shared [`pull`](super::pull), through one storefront export when more
//! customers changed than the bulk threshold (see [`export`](super::export)). A customer is bound to its ERP number with a
//! content hash; an unchanged customer costs nothing, a changed one updates its ERP record,
//! and a first contact asks the ERP what it holds for the customer before creating one (see
//! [`ensure`]: contact data typed at checkout never takes over an existing ERP customer).

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::pull::{Pulled, pull};
use super::{Decision, Decisions, Work};
use crate::connector::{
    ConnectorResult, ContactMatch, CustomerIdentity, StorefrontOrders, UnverifiedMatch,
};
use crate::engine::base::{Engine, EngineError, Summary, content_hash};
use crate::engine::kinds::BindingKind;
use crate::engine::runtime::{JobError, JobResult, done};
use crate::model::{Change, Customer, CustomerId, ErpCustomerNo};
use crate::paging::Page;
use crate::store::{Direction, Job};

#[async_trait::async_trait]
impl Pulled for Customer {
    const FLOW: &'static str = "customers";
    const READ: BindingKind = BindingKind::CustomerRead;
    type Id = CustomerId;
    async fn changes(
        storefront: &dyn StorefrontOrders,
        since: Option<DateTime<Utc>>,
        cursor: Option<String>,
    ) -> ConnectorResult<Page<Change<CustomerId>, String>> {
        storefront.customer_changes_page(since, cursor).await
    }
    async fn fetch(
        storefront: &dyn StorefrontOrders,
        id: &CustomerId,
    ) -> ConnectorResult<Option<Self>> {
        storefront.customer(id).await
    }
    fn stamp(&self) -> (&CustomerId, DateTime<Utc>) {
        (&self.external_id, self.updated_at)
    }
    async fn decide(self, d: &mut Decisions<'_>) -> Result<(), EngineError> {
        // The content is part of the key: a second read of one change (see
        // `READ_SETTLED_AFTER`) that found more is imported; one that found the same is not.
        let key = format!(
            "{}:{}:{}",
            self.external_id,
            self.updated_at.to_rfc3339(),
            &content_hash(&self)[..16]
        );
        let resource = format!("customer:{}", self.external_id);
        let action = match d
            .engine()
            .binding(BindingKind::Customer, &self.external_id)
            .await?
        {
            Some(_) => "update",
            None => "create",
        };
        let label = self.external_id.to_string();
        let work = Work::ImportCustomer { customer: self };
        d.add(Decision::new(work, key, resource).reads(action, "erp", label))
            .await
    }
    async fn export(
        d: &mut Decisions<'_>,
        from: Option<DateTime<Utc>>,
        may_start: bool,
    ) -> Result<super::export::Exporting, EngineError> {
        super::export::export::<Self>(d, from, may_start).await
    }
}

/// Storefront customer changes since the checkpoint → ERP.
pub(crate) async fn decide(d: &mut Decisions<'_>) -> Result<(), EngineError> {
    pull::<Customer>(d).await
}

/// Writes one customer to the ERP.
pub(crate) async fn execute(engine: &Engine, job: &Job, customer: Customer) -> JobResult {
    let number = ensure(engine, job, &customer).await?;
    done(
        json!({"customer": number}),
        Summary {
            customers_imported: 1,
            ..Summary::default()
        },
    )
}

/// The customer's ERP number.
///
/// - Bound already: the bound number. A customer the connector created (its own) is updated
///   when the storefront customer changed; one linked by the operator's rule never is.
/// - Not bound: the ERP is asked what it holds ([`ErpSales::identify_customer`]). The ERP
///   customer carrying the storefront id (created by an earlier run that stopped before
///   recording it) is bound and updated; one linked by the operator's rule is bound as it
///   is, with no write. Otherwise a new ERP customer is created: existing customers whose
///   phone or e-mail merely match are never updated nor booked to (checkout data is not
///   verified), they are reported: a warning, an audit entry, and the binding's record
///   listed by [`Engine::customer_matches`].
///
/// [`ErpSales::identify_customer`]: crate::connector::ErpSales::identify_customer
///
/// Jobs of several resources meet a new customer at once (its first orders, its own customer
/// job): the not-bound path runs under a claim on the customer in the state store, so one job
/// asks the ERP and creates it, and the others wait for the claim and find it bound.
pub(crate) async fn ensure(
    engine: &Engine,
    job: &Job,
    customer: &Customer,
) -> Result<ErpCustomerNo, JobError> {
    if let Some(number) = settled(engine, customer).await? {
        return Ok(number);
    }
    let name = format!("customer:{}", customer.external_id);
    let holder = format!("{}#{}", engine.config.worker, job.id);
    let now = engine.now();
    let lease = chrono::Duration::from_std(engine.config.lease).unwrap_or(chrono::Duration::MAX);
    let store = &engine.store;
    let scope = &engine.config.scope;
    if !store.claim(scope, &name, &holder, now + lease, now).await? {
        // Another job is creating or updating this customer: come back when it is done.
        return Err(JobError::Wait {
            why: format!("another job is writing customer {}", customer.external_id),
            at: now + chrono::Duration::milliseconds(CLAIM_RETRY_MS),
            on: None,
        });
    }
    let result = write(engine, job, customer).await;
    // A job that failed after the claim gives it up too: its retry (or another job) looks
    // the customer up again before writing.
    store.release(scope, &name, &holder).await?;
    result
}

/// How long a job that met another job's claim on a customer waits before looking again.
const CLAIM_RETRY_MS: i64 = 100;

/// The bound ERP number when nothing is left to write: a linked customer, or one whose
/// content is unchanged since it was written.
async fn settled(engine: &Engine, customer: &Customer) -> Result<Option<ErpCustomerNo>, JobError> {
    let hash = content_hash(customer);
    Ok(engine
        .binding(BindingKind::Customer, &customer.external_id)
        .await?
        .filter(|binding| {
            binding.data.get(LINKED_BY).is_some()
                || binding.content_hash.as_deref() == Some(hash.as_str())
        })
        .map(|binding| binding.remote_id.into()))
}

/// Creates or updates the customer in the ERP (under the claim; see [`ensure`]).
async fn write(engine: &Engine, job: &Job, customer: &Customer) -> Result<ErpCustomerNo, JobError> {
    let erp = &engine.connectors.erp_sales;
    let hash = content_hash(customer);
    // Read again under the claim: the job that held it before may have written the customer.
    let (existing, data) = match engine
        .binding(BindingKind::Customer, &customer.external_id)
        .await?
    {
        Some(binding) if binding.data.get(LINKED_BY).is_some() => {
            return Ok(binding.remote_id.into());
        }
        Some(binding) if binding.content_hash.as_deref() == Some(hash.as_str()) => {
            return Ok(binding.remote_id.into());
        }
        Some(binding) => (Some(ErpCustomerNo::new(binding.remote_id)), binding.data),
        None => match erp.identify_customer(customer).await? {
            CustomerIdentity::Owned { number } => (Some(number), Value::Null),
            CustomerIdentity::Linked { number, by } => {
                tracing::info!(
                    customer = %customer.external_id, erp = %number, rule = %by,
                    "customer linked to an existing ERP customer by the configured rule"
                );
                let record = json!({ LINKED_BY: by });
                engine
                    .audit(
                        Direction::Inbound,
                        "erp",
                        BindingKind::Customer,
                        &customer.external_id,
                        json!({"linked": number, "by": by}),
                    )
                    .await;
                engine
                    .bind(
                        BindingKind::Customer,
                        &customer.external_id,
                        &number,
                        Some(hash),
                        record,
                    )
                    .await?;
                return Ok(number);
            }
            CustomerIdentity::Unverified { matches: None } => (None, Value::Null),
            CustomerIdentity::Unverified {
                matches: Some(matched),
            } => {
                tracing::warn!(
                    customer = %customer.external_id, by = %matched.by,
                    erp = %matched.numbers.iter().map(ErpCustomerNo::as_str).collect::<Vec<_>>().join(", "),
                    "existing ERP customers match this storefront customer by unverified \
                     contact data: left untouched, a new customer is created; merge them in \
                     the ERP if they are one"
                );
                engine
                    .audit(
                        Direction::Inbound,
                        "erp",
                        BindingKind::Customer,
                        &customer.external_id,
                        json!({"unverified_match": matched}),
                    )
                    .await;
                (None, json!({ UNVERIFIED_MATCH: matched }))
            }
        },
    };
    engine.mark_started(job).await?;
    let number = erp.upsert_customer(customer, existing.as_ref()).await?;
    engine
        .bind(
            BindingKind::Customer,
            &customer.external_id,
            &number,
            Some(hash),
            data,
        )
        .await?;
    Ok(number)
}

/// The binding record of a customer linked by the operator's rule (never updated).
const LINKED_BY: &str = "linked_by";
/// The binding record of a customer created although contact data matched others.
const UNVERIFIED_MATCH: &str = "unverified_match";

impl Engine {
    /// The storefront customers whose phone, e-mail or name matched existing ERP customers
    /// that were left untouched (a new ERP customer was created for each): for an operator
    /// to merge in the ERP where they are one person.
    ///
    /// # Errors
    ///
    /// The state store failed.
    pub async fn customer_matches(&self) -> Result<Vec<UnverifiedMatch>, EngineError> {
        Ok(self
            .bindings(BindingKind::Customer)
            .await?
            .into_iter()
            .filter_map(|binding| {
                let matched = serde_json::from_value::<ContactMatch>(
                    binding.data.get(UNVERIFIED_MATCH)?.clone(),
                )
                .ok()?;
                Some(UnverifiedMatch {
                    storefront_id: binding.key.into(),
                    created: binding.remote_id.into(),
                    matched,
                })
            })
            .collect())
    }
}
