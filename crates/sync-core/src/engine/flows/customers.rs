//! Customers: storefront customer changes → ERP customers.
//!
//! Read by the shared [`pull`](super::pull). A customer is bound to its ERP number with a
//! content hash; an unchanged customer costs nothing, a changed one updates its ERP record,
//! and a first contact looks the customer up in the ERP before creating one.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::pull::{Pulled, pull};
use super::{Decision, Decisions, Work};
use crate::connector::{ConnectorResult, StorefrontOrders};
use crate::engine::base::{Engine, EngineError, Summary, content_hash};
use crate::engine::kinds::BindingKind;
use crate::engine::runtime::{JobError, JobResult, done};
use crate::model::{Change, Customer};
use crate::paging::Page;
use crate::store::Job;

#[async_trait::async_trait]
impl Pulled for Customer {
    const FLOW: &'static str = "customers";
    const READ: BindingKind = BindingKind::CustomerRead;
    async fn changes(
        storefront: &dyn StorefrontOrders,
        since: Option<DateTime<Utc>>,
        cursor: Option<String>,
    ) -> ConnectorResult<Page<Change, String>> {
        storefront.customer_changes_page(since, cursor).await
    }
    async fn fetch(storefront: &dyn StorefrontOrders, id: &str) -> ConnectorResult<Option<Self>> {
        storefront.customer(id).await
    }
    fn stamp(&self) -> (&str, DateTime<Utc>) {
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
        let label = self.external_id.clone();
        let work = Work::ImportCustomer { customer: self };
        d.add(Decision::new(work, key, resource).reads(action, "erp", label))
            .await
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

/// The customer's ERP number: the bound one (updated when the customer changed), or one found
/// or created in the ERP.
pub(crate) async fn ensure(
    engine: &Engine,
    job: &Job,
    customer: &Customer,
) -> Result<String, JobError> {
    let erp = &engine.connectors.erp_sales;
    let hash = content_hash(customer);
    let existing = match engine
        .binding(BindingKind::Customer, &customer.external_id)
        .await?
    {
        Some(binding) if binding.content_hash.as_deref() == Some(hash.as_str()) => {
            return Ok(binding.remote_id);
        }
        Some(binding) => Some(binding.remote_id),
        None => erp.find_customer(customer).await?,
    };
    engine.mark_started(job).await?;
    let number = erp.upsert_customer(customer, existing.as_deref()).await?;
    engine
        .bind(
            BindingKind::Customer,
            &customer.external_id,
            &number,
            Some(hash),
            Value::Null,
        )
        .await?;
    Ok(number)
}
