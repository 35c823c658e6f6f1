//! Test set-up of what an order tells of its buyer: the customer's tax id, metafields and
//! tags, the order's custom attributes, and the company of a B2B order. No webhook fires; the
//! changed order's (or customer's) `updatedAt` moves, so an incremental pull reads it again.

use super::store::*;
use super::{ShopifyState, lock};

/// The company and location a B2B order is placed for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCompany {
    /// The company's name (`Company.name`).
    pub name: String,
    /// The ordering location's name (`CompanyLocation.name`).
    pub location_name: String,
    /// `CompanyLocation.taxSettings.taxRegistrationId`.
    pub tax_registration_id: Option<String>,
    /// The location's billing country, ISO 3166-1 alpha-2 among those the stand-in knows.
    pub country_code: String,
}

fn order_id(text: &str) -> Result<u64, String> {
    parse_gid("Order", text).ok_or_else(|| format!("`{text}` is not an Order GID"))
}

fn customer_id(text: &str) -> Result<u64, String> {
    parse_gid("Customer", text).ok_or_else(|| format!("`{text}` is not a Customer GID"))
}

impl ShopifyState {
    /// The GID of the customer of order `order` (a GID), if it has one.
    pub fn order_customer(&self, order: &str) -> Option<String> {
        let oid = order_id(order).ok()?;
        let st = lock(&self.store);
        st.orders
            .get(&oid)?
            .customer_id
            .map(|c| format!("gid://shopify/Customer/{c}"))
    }

    fn with_customer(
        &self,
        customer: &str,
        change: impl FnOnce(&mut CustomerRec),
    ) -> Result<(), String> {
        let cid = customer_id(customer)?;
        let mut st = lock(&self.store);
        let rec = st
            .customers
            .get_mut(&cid)
            .ok_or_else(|| format!("customer {customer} does not exist"))?;
        change(rec);
        rec.updated_at = now();
        // The customer's orders show the change: their next read carries it.
        for o in st.orders.values_mut() {
            if o.customer_id == Some(cid) {
                o.updated_at = now();
            }
        }
        Ok(())
    }

    fn with_order(&self, order: &str, change: impl FnOnce(&mut OrderRec)) -> Result<(), String> {
        let oid = order_id(order)?;
        let mut st = lock(&self.store);
        let rec = st
            .orders
            .get_mut(&oid)
            .ok_or_else(|| format!("order {order} does not exist"))?;
        change(rec);
        rec.updated_at = now();
        Ok(())
    }

    /// Sets (or, with `None`, clears) the customer's tax id (`Customer.taxSettings.taxId`).
    ///
    /// # Errors
    /// An unknown customer or a malformed GID.
    pub fn set_customer_tax_id(&self, customer: &str, tax_id: Option<&str>) -> Result<(), String> {
        self.with_customer(customer, |c| c.tax_id = tax_id.map(str::to_owned))
    }

    /// Sets a customer metafield (type `single_line_text_field`).
    ///
    /// # Errors
    /// An unknown customer or a malformed GID.
    pub fn set_customer_metafield(
        &self,
        customer: &str,
        namespace: &str,
        key: &str,
        value: &str,
    ) -> Result<(), String> {
        let id = lock(&self.store).next_id();
        self.with_customer(customer, |c| {
            let at = now();
            c.metafields
                .retain(|m| !(m.namespace == namespace && m.key == key));
            c.metafields.push(MetafieldRec {
                id,
                namespace: namespace.to_owned(),
                key: key.to_owned(),
                value: value.to_owned(),
                type_: "single_line_text_field".into(),
                created_at: at,
                updated_at: at,
            });
        })
    }

    /// Adds a tag to a customer (once).
    ///
    /// # Errors
    /// An unknown customer or a malformed GID.
    pub fn add_customer_tag(&self, customer: &str, tag: &str) -> Result<(), String> {
        self.with_customer(customer, |c| {
            if !c.tags.iter().any(|t| t.eq_ignore_ascii_case(tag)) {
                c.tags.push(tag.to_owned());
            }
        })
    }

    /// Replaces an order's custom attributes (`Order.customAttributes`).
    ///
    /// # Errors
    /// An unknown order or a malformed GID.
    pub fn set_order_attributes(
        &self,
        order: &str,
        attributes: &[(&str, &str)],
    ) -> Result<(), String> {
        self.with_order(order, |o| {
            o.custom_attributes = attributes
                .iter()
                .map(|(k, v)| ((*k).to_owned(), Some((*v).to_owned())))
                .collect();
        })
    }

    /// Makes an order a B2B order placed for `company` (`Order.purchasingEntity` answers a
    /// `PurchasingCompany`).
    ///
    /// # Errors
    /// An unknown order, a malformed GID, or a country the stand-in does not know.
    pub fn set_order_company(&self, order: &str, company: &NewCompany) -> Result<(), String> {
        if super::types::CountryCode::parse(&company.country_code).is_none() {
            return Err(format!(
                "country {} is not one the stand-in knows",
                company.country_code
            ));
        }
        let (id, location_id, address_id) = {
            let mut st = lock(&self.store);
            (st.next_id(), st.next_id(), st.next_id())
        };
        self.with_order(order, |o| {
            o.company = Some(CompanyRec {
                id,
                name: company.name.clone(),
                location_id,
                location_name: company.location_name.clone(),
                address_id,
                tax_registration_id: company.tax_registration_id.clone(),
                country_code: company.country_code.clone(),
            });
        })
    }
}
