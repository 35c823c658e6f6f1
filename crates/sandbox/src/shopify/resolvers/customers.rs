//! Customers and their addresses.

use async_graphql::connection::Connection;
use async_graphql::{Context, ID, MaybeUndefined, Object, Result};
use rust_decimal::Decimal;

use super::outputs::*;
use super::*;
use crate::shopify::lock;
use crate::shopify::orders::totals;
use crate::shopify::search::{FieldVal, Filter, SortVal, page, page_by_id};
use crate::shopify::types::*;

#[Object]
impl MailingAddress {
    async fn id(&self) -> Result<ID> {
        Ok(gql_id("MailingAddress", self.0.id))
    }
    async fn first_name(&self) -> Option<&str> {
        Some(&self.0.first_name)
    }
    async fn last_name(&self) -> Option<&str> {
        Some(&self.0.last_name)
    }
    async fn name(&self) -> Option<String> {
        Some(format!("{} {}", self.0.first_name, self.0.last_name))
    }
    async fn address1(&self) -> Option<&str> {
        Some(&self.0.address1)
    }
    async fn address2(&self) -> Option<&str> {
        None
    }
    async fn company(&self) -> Option<&str> {
        None
    }
    async fn city(&self) -> Option<&str> {
        Some(&self.0.city)
    }
    async fn province(&self) -> Option<&str> {
        Some(&self.0.province)
    }
    async fn province_code(&self) -> Option<&str> {
        None
    }
    async fn country(&self) -> Option<&str> {
        Some(&self.0.country)
    }
    async fn country_code_v2(&self) -> Option<CountryCode> {
        CountryCode::parse(&self.0.country_code)
    }
    async fn zip(&self) -> Option<&str> {
        Some(&self.0.zip)
    }
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
    async fn formatted(&self, with_name: Option<bool>, with_company: Option<bool>) -> Vec<String> {
        let _ = with_company;
        let mut out = Vec::new();
        if with_name.unwrap_or(false) {
            out.push(format!("{} {}", self.0.first_name, self.0.last_name));
        }
        out.push(self.0.address1.clone());
        out.push(format!("{} {}", self.0.city, self.0.zip));
        out.push(self.0.country.clone());
        out
    }
}

#[Object]
impl Customer {
    pub(crate) async fn id(&self) -> Result<ID> {
        Ok(gql_id("Customer", self.0.id))
    }
    async fn legacy_resource_id(&self) -> UnsignedInt64 {
        legacy(self.0.id)
    }
    async fn first_name(&self) -> Option<&str> {
        Some(&self.0.first_name)
    }
    async fn last_name(&self) -> Option<&str> {
        Some(&self.0.last_name)
    }
    async fn display_name(&self) -> String {
        format!("{} {}", self.0.first_name, self.0.last_name)
    }
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
    async fn default_email_address(&self) -> Option<CustomerEmailAddress> {
        self.0
            .email
            .clone()
            .map(|e| CustomerEmailAddress { email_address: e })
    }
    async fn default_phone_number(&self) -> Option<CustomerPhoneNumber> {
        self.0
            .phone
            .clone()
            .map(|p| CustomerPhoneNumber { phone_number: p })
    }
    async fn default_address(&self) -> Option<MailingAddress> {
        self.0.address.clone().map(MailingAddress)
    }
    async fn addresses(&self, first: Option<i32>) -> Vec<MailingAddress> {
        let n = first.map_or(usize::MAX, |n| n.max(0) as usize);
        self.0
            .address
            .clone()
            .map(MailingAddress)
            .into_iter()
            .take(n)
            .collect()
    }
    async fn addresses_v2(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        reverse: Option<bool>,
    ) -> Result<Connection<String, MailingAddress>> {
        let items = self
            .0
            .address
            .clone()
            .map(|a| (id_key(a.id), a.id, MailingAddress(a)))
            .into_iter()
            .collect();
        page(
            items,
            &pargs(first, after, last, before, reverse),
            cx(ctx)?.bulk,
        )
    }
    async fn tags(&self) -> &[String] {
        &self.0.tags
    }
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    async fn state(&self) -> CustomerState {
        CustomerState::ENABLED
    }
    async fn verified_email(&self) -> bool {
        self.0.email.is_some()
    }
    async fn tax_exempt(&self) -> bool {
        false
    }
    /// From 2026-07 (the customer's tax id).
    #[graphql(visible = "crate::shopify::versions::since_2026_07")]
    async fn tax_settings(&self) -> super::buyers::TaxSettings {
        super::buyers::TaxSettings {
            tax_id: self.0.tax_id.clone(),
        }
    }
    /// One metafield by namespace (default `custom`, as Shopify's app-reserved namespace is
    /// not modelled) and key.
    async fn metafield(
        &self,
        namespace: Option<String>,
        key: String,
    ) -> Option<super::metafields::Metafield> {
        super::metafields::find_metafield(
            &self.0.metafields,
            namespace,
            &key,
            "Customer",
            self.0.id,
        )
    }
    async fn locale(&self) -> &str {
        "en"
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
    async fn updated_at(&self) -> DateTime {
        DateTime(self.0.updated_at)
    }
    async fn number_of_orders(&self, ctx: &Context<'_>) -> Result<UnsignedInt64> {
        let st = lock(&cx(ctx)?.state.store);
        Ok(UnsignedInt64(
            st.orders
                .values()
                .filter(|o| o.customer_id == Some(self.0.id))
                .count() as u64,
        ))
    }
    async fn amount_spent(&self, ctx: &Context<'_>) -> Result<MoneyV2> {
        let total: Decimal = {
            let st = lock(&cx(ctx)?.state.store);
            st.orders
                .values()
                .filter(|o| o.customer_id == Some(self.0.id) && o.cancelled_at.is_none())
                .map(|o| totals(&st, o).total)
                .sum()
        };
        money(ctx, total)
    }
}

/// The `customers` and `customer` query fields.
#[derive(Default)]
pub(crate) struct CustomerQueries;

#[Object]
impl CustomerQueries {
    #[allow(clippy::too_many_arguments)]
    async fn customers(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        reverse: Option<bool>,
        sort_key: Option<CustomerSortKeys>,
        query: Option<String>,
    ) -> Result<Connection<String, Customer>> {
        let c = cx(ctx)?;
        let filter = Filter::parse(
            query.as_deref(),
            &[
                "updated_at",
                "created_at",
                "email",
                "id",
                "phone",
                "first_name",
                "last_name",
                "tag",
            ],
        )?;
        let st = lock(&c.state.store);
        let mut items = Vec::new();
        for cu in st.customers.values() {
            let ok = filter.matches(|f| {
                Some(match f {
                    "updated_at" => FieldVal::Time(cu.updated_at),
                    "created_at" => FieldVal::Time(cu.created_at),
                    "email" => FieldVal::Str(cu.email.clone().unwrap_or_default()),
                    "phone" => FieldVal::Str(cu.phone.clone().unwrap_or_default()),
                    "id" => FieldVal::Int(cu.id as i64),
                    "first_name" => FieldVal::Str(cu.first_name.clone()),
                    "last_name" => FieldVal::Str(cu.last_name.clone()),
                    "" => FieldVal::Str(format!(
                        "{} {} {}",
                        cu.first_name,
                        cu.last_name,
                        cu.email.clone().unwrap_or_default()
                    )),
                    "tag" => FieldVal::List(cu.tags.clone()),
                    _ => return None,
                })
            })?;
            if ok {
                let key = match sort_key.unwrap_or(CustomerSortKeys::ID) {
                    CustomerSortKeys::UPDATED_AT => time_key(cu.updated_at),
                    CustomerSortKeys::CREATED_AT => time_key(cu.created_at),
                    CustomerSortKeys::NAME => {
                        SortVal::Str(format!("{} {}", cu.first_name, cu.last_name))
                    }
                    _ => id_key(cu.id),
                };
                items.push((key, cu.id));
            }
        }
        page_by_id(
            items,
            &pargs(first, after, last, before, reverse),
            c.bulk,
            |id| st.customers.get(&id).cloned().map(Customer),
        )
    }

    /// `customersCount(query:)`: the customers matching a search by `updated_at` or
    /// `created_at` (other fields are refused), counted exactly (Shopify stops at its
    /// `limit`, 10,000 by default; the stand-in takes no `limit` and never stops).
    async fn customers_count(
        &self,
        ctx: &Context<'_>,
        query: Option<String>,
        limit: MaybeUndefined<i32>,
    ) -> Result<Option<Count>> {
        let st = lock(&cx(ctx)?.state.store);
        let times = st.customers.values().map(|r| (r.updated_at, r.created_at));
        Ok(Some(count_by_time(times, query.as_deref(), &limit)?))
    }

    async fn customer(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Customer>> {
        let id = gid_arg("Customer", "id", &id)?;
        let st = lock(&cx(ctx)?.state.store);
        Ok(st.customers.get(&id).cloned().map(Customer))
    }
}
