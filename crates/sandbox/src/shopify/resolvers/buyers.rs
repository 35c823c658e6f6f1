//! What an order tells of its buyer: custom attributes, the customer's tax settings, and a
//! B2B order's purchasing company (`PurchasingEntity`), with the shapes of the 2026-10 schema.

use async_graphql::{ID, Object, SimpleObject, Union};

use super::outputs::Customer;
use super::*;
use crate::shopify::store::CompanyRec;
use crate::shopify::types::*;

/// `TaxSettings`: a customer's tax settings (from 2026-07).
#[derive(SimpleObject, Clone)]
#[graphql(visible = "crate::shopify::versions::since_2026_07")]
pub(crate) struct TaxSettings {
    pub(crate) tax_id: Option<String>,
}

/// `CompanyLocationTaxSettings`.
#[derive(SimpleObject, Clone)]
pub(crate) struct CompanyLocationTaxSettings {
    pub(crate) tax_registration_id: Option<String>,
    pub(crate) tax_exempt: bool,
}

/// `Company` (its id and name).
#[derive(Clone)]
pub(crate) struct Company(pub(crate) CompanyRec);

#[Object]
impl Company {
    async fn id(&self) -> ID {
        gql_id("Company", self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
}

/// `CompanyAddress` (a company location's billing address; its country only).
#[derive(Clone)]
pub(crate) struct CompanyAddress(pub(crate) CompanyRec);

#[Object]
impl CompanyAddress {
    async fn id(&self) -> ID {
        gql_id("CompanyAddress", self.0.address_id)
    }
    /// The location's country; a country the stand-in does not list is an error.
    async fn country_code(&self) -> async_graphql::Result<CountryCode> {
        CountryCode::parse(&self.0.country_code).ok_or_else(|| {
            async_graphql::Error::new(format!(
                "country {} is not one the stand-in knows",
                self.0.country_code
            ))
        })
    }
}

/// `CompanyLocation`.
#[derive(Clone)]
pub(crate) struct CompanyLocation(pub(crate) CompanyRec);

#[Object]
impl CompanyLocation {
    async fn id(&self) -> ID {
        gql_id("CompanyLocation", self.0.location_id)
    }
    async fn name(&self) -> &str {
        &self.0.location_name
    }
    async fn tax_settings(&self) -> CompanyLocationTaxSettings {
        CompanyLocationTaxSettings {
            tax_registration_id: self.0.tax_registration_id.clone(),
            tax_exempt: false,
        }
    }
    async fn billing_address(&self) -> Option<CompanyAddress> {
        Some(CompanyAddress(self.0.clone()))
    }
}

/// `PurchasingCompany`: the company, and its location, a B2B order was placed for.
#[derive(Clone)]
pub(crate) struct PurchasingCompany(pub(crate) CompanyRec);

#[Object]
impl PurchasingCompany {
    async fn company(&self) -> Company {
        Company(self.0.clone())
    }
    async fn location(&self) -> CompanyLocation {
        CompanyLocation(self.0.clone())
    }
}

/// `PurchasingEntity`: who an order was placed for.
// Built per resolved field and dropped with the answer; boxing a variant would need the union
// derive to take a `Box`.
#[allow(clippy::large_enum_variant)]
#[derive(Union, Clone)]
pub(crate) enum PurchasingEntity {
    Customer(Customer),
    PurchasingCompany(PurchasingCompany),
}
