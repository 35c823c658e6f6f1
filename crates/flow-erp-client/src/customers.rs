//! Customers: exact matching by phone, e-mail or normalised name, and saving through `ADDCON`.
//!
//! Matching tries the phone first, then the e-mail, then the name (Arabic or Latin, also
//! against `FORDES`), each after normalisation (see [`crate::normalize`]). A match is always
//! on the **whole** normalised value, never a substring. Several customers may match one key;
//! the caller decides (the engine parks an ambiguous match for an operator).

use bytes::Bytes;
use serde_json::Value;
use sync_core::error::Classify;

use crate::client::FlowClient;
use crate::error::{Error, Result};
use crate::normalize::{normalize_email, normalize_name, normalize_phone};
use crate::reads::Customer;

/// What to look a customer up by; absent keys are skipped.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CustomerQuery {
    /// A phone number in any common form.
    pub phone: Option<String>,
    /// An e-mail address.
    pub email: Option<String>,
    /// A name, Arabic or Latin.
    pub name: Option<String>,
}

/// Which key matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchedBy {
    /// The phone number (`TEL1`).
    Phone,
    /// The e-mail address (`EMAIL`).
    Email,
    /// The normalised name (`CNAME` or `FORDES`).
    Name,
}

/// The customers that matched, and by which key.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerMatch {
    /// The key that matched.
    pub by: MatchedBy,
    /// Every customer with that key (more than one means the match is ambiguous).
    pub customers: Vec<Customer>,
}

/// Finds customers matching `query` among `customers` (phone, then e-mail, then name).
///
/// For many look-ups in one list, build a [`CustomerIndex`] once instead.
pub fn match_customers(customers: &[Customer], query: &CustomerQuery) -> Option<CustomerMatch> {
    let index = CustomerIndex::new(customers.iter());
    let (by, numbers) = index.find(query)?;
    Some(CustomerMatch {
        by,
        customers: numbers
            .iter()
            .filter_map(|n| customers.iter().find(|c| &c.number == n))
            .cloned()
            .collect(),
    })
}

/// The matching keys of Flow's customers, without the rest of their records.
///
/// `GETCON` has no search, so matching needs the whole customer list; this keeps of it only
/// each customer's normalised phone, e-mail and names, and finds the customers carrying a key
/// by binary search. The rules are those of [`match_customers`].
///
/// It is built to stay small, as it holds every customer of the tenant: every key and every
/// customer number lives in one text buffer, and the index itself is two sorted arrays of
/// small fixed-size entries pointing into it, about 130 bytes a customer in a handful of
/// allocations, however many customers there are. Building it from a list sorts once;
/// [`insert`](CustomerIndex::insert) keeps the arrays sorted as it goes (a move of the
/// entries after the new one, which is cheap next to the `ADDCON` that precedes it).
#[derive(Debug, Clone, Default)]
pub struct CustomerIndex {
    /// Every customer number and key, back to back.
    text: String,
    /// Each customer's number, by customer id (a customer keeps its id through updates).
    numbers: Vec<Span>,
    /// The ids of the indexed customers, sorted by number.
    by_number: Vec<u32>,
    /// Every key of every customer, sorted by field, then key text, then customer id.
    keys: Vec<Key>,
}

/// Which kind of key an entry holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Field {
    Phone,
    Email,
    Name,
    /// The Shopify customer id the customer carries (`customers.reference_field`).
    Reference,
}

/// A stretch of [`CustomerIndex::text`].
#[derive(Debug, Clone, Copy)]
struct Span {
    start: u32,
    len: u32,
}

/// One key of one customer.
#[derive(Debug, Clone, Copy)]
struct Key {
    field: Field,
    text: Span,
    id: u32,
}

impl CustomerIndex {
    /// Indexes `customers`.
    pub fn new<'a>(customers: impl IntoIterator<Item = &'a Customer>) -> Self {
        let mut index = CustomerIndex::default();
        for customer in customers {
            index.push(
                &customer.number,
                [customer.name.as_deref(), customer.foreign_name.as_deref()],
                customer.phone.as_deref(),
                customer.email.as_deref(),
                None,
            );
        }
        index.finish();
        index
    }

    /// How many customers are indexed.
    pub fn len(&self) -> usize {
        self.by_number.len()
    }

    /// Whether no customer is indexed.
    pub fn is_empty(&self) -> bool {
        self.by_number.is_empty()
    }

    /// The bytes the index holds on the heap (its buffers' capacities).
    pub fn heap_bytes(&self) -> usize {
        self.text.capacity()
            + self.numbers.capacity() * std::mem::size_of::<Span>()
            + self.by_number.capacity() * std::mem::size_of::<u32>()
            + self.keys.capacity() * std::mem::size_of::<Key>()
    }

    fn slice(&self, span: Span) -> &str {
        let start = span.start as usize;
        self.text
            .get(start..start + span.len as usize)
            .unwrap_or("")
    }

    fn append(&mut self, text: &str) -> Span {
        let span = Span {
            start: u32::try_from(self.text.len()).unwrap_or(u32::MAX),
            len: u32::try_from(text.len()).unwrap_or(u32::MAX),
        };
        self.text.push_str(text);
        span
    }

    /// Stores a new customer's number; returns the customer's id.
    fn add_number(&mut self, number: &str) -> u32 {
        let id = u32::try_from(self.numbers.len()).unwrap_or(u32::MAX);
        let span = self.append(number);
        self.numbers.push(span);
        id
    }

    fn number(&self, id: u32) -> &str {
        self.numbers
            .get(id as usize)
            .map_or("", |span| self.slice(*span))
    }

    fn order(&self, key: &Key, field: Field, text: &str, id: u32) -> std::cmp::Ordering {
        (key.field, self.slice(key.text), key.id).cmp(&(field, text, id))
    }

    /// The normalised keys of one customer, each once.
    fn keys_of(
        names: [Option<&str>; 2],
        phone: Option<&str>,
        email: Option<&str>,
    ) -> Vec<(Field, String)> {
        let mut wanted: Vec<(Field, String)> = Vec::with_capacity(4);
        if let Some(phone) = phone.map(normalize_phone).filter(|k| !k.is_empty()) {
            wanted.push((Field::Phone, phone));
        }
        if let Some(email) = email.map(normalize_email).filter(|k| !k.is_empty()) {
            wanted.push((Field::Email, email));
        }
        for name in names.into_iter().flatten().map(normalize_name) {
            if !name.is_empty() && !wanted.contains(&(Field::Name, name.clone())) {
                wanted.push((Field::Name, name));
            }
        }
        wanted
    }

    /// Adds a customer while building, unsorted; [`finish`](Self::finish) sorts.
    fn push(
        &mut self,
        number: &str,
        names: [Option<&str>; 2],
        phone: Option<&str>,
        email: Option<&str>,
        reference: Option<&str>,
    ) {
        let id = self.add_number(number);
        self.by_number.push(id);
        let reference = reference
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(|r| (Field::Reference, r.to_owned()));
        for (field, key) in Self::keys_of(names, phone, email)
            .into_iter()
            .chain(reference)
        {
            let text = self.append(&key);
            self.keys.push(Key { field, text, id });
        }
    }

    /// Sorts what [`push`](Self::push) added. A number listed twice keeps its last row.
    fn finish(&mut self) {
        let mut by_number = std::mem::take(&mut self.by_number);
        by_number.sort_unstable_by(|a, b| self.number(*a).cmp(self.number(*b)).then(a.cmp(b)));
        let mut replaced = vec![false; self.numbers.len()];
        let mut kept: Vec<u32> = Vec::with_capacity(by_number.len());
        for id in by_number {
            if let Some(last) = kept.last_mut()
                && self.number(*last) == self.number(id)
            {
                replaced[*last as usize] = true;
                *last = id;
                continue;
            }
            kept.push(id);
        }
        kept.shrink_to_fit();
        self.by_number = kept;
        let mut keys = std::mem::take(&mut self.keys);
        keys.retain(|k| !replaced[k.id as usize]);
        keys.sort_unstable_by(|a, b| self.order(a, b.field, self.slice(b.text), b.id));
        keys.shrink_to_fit();
        self.keys = keys;
        self.text.shrink_to_fit();
        self.numbers.shrink_to_fit();
    }

    /// Records that customer `number` (indexed already) carries `reference`, the Shopify
    /// customer id, in place of any it carried before; see [`find_reference`](Self::find_reference).
    pub fn set_reference(&mut self, number: &str, reference: &str) {
        let Ok(at) = self
            .by_number
            .binary_search_by(|id| self.number(*id).cmp(number))
        else {
            return;
        };
        let id = self.by_number[at];
        self.keys
            .retain(|k| !(k.id == id && k.field == Field::Reference));
        let reference = reference.trim();
        if reference.is_empty() {
            return;
        }
        let at = self
            .keys
            .partition_point(|k| self.order(k, Field::Reference, reference, id).is_lt());
        let text = self.append(reference);
        self.keys.insert(
            at,
            Key {
                field: Field::Reference,
                text,
                id,
            },
        );
    }

    /// The numbers of the customers carrying `reference` (the Shopify customer id) in
    /// `customers.reference_field`, exactly; `None` when none does.
    pub fn find_reference(&self, reference: &str) -> Option<Vec<String>> {
        self.carrying(Field::Reference, reference.trim())
    }

    /// Adds customer `number` with its names (`CNAME`, `FORDES`), phone and e-mail, or replaces
    /// what was known of it (the reference it carries is kept).
    pub fn insert(
        &mut self,
        number: &str,
        names: [Option<&str>; 2],
        phone: Option<&str>,
        email: Option<&str>,
    ) {
        let id = match self
            .by_number
            .binary_search_by(|id| self.number(*id).cmp(number))
        {
            Ok(at) => {
                let id = self.by_number[at];
                self.keys
                    .retain(|k| k.id != id || k.field == Field::Reference);
                id
            }
            Err(at) => {
                let id = self.add_number(number);
                self.by_number.insert(at, id);
                id
            }
        };
        for (field, key) in Self::keys_of(names, phone, email) {
            let at = self
                .keys
                .partition_point(|k| self.order(k, field, &key, id).is_lt());
            let text = self.append(&key);
            self.keys.insert(at, Key { field, text, id });
        }
    }

    /// The numbers of the customers carrying `key` as their `field`, in the order they were
    /// first indexed; `None` when none does.
    fn carrying(&self, field: Field, key: &str) -> Option<Vec<String>> {
        let from = self
            .keys
            .partition_point(|k| (k.field, self.slice(k.text)) < (field, key));
        let numbers: Vec<String> = self.keys[from..]
            .iter()
            .take_while(|k| k.field == field && self.slice(k.text) == key)
            .map(|k| self.number(k.id).to_owned())
            .collect();
        (!numbers.is_empty()).then_some(numbers)
    }

    /// The numbers of the customers matching `query` and the key that matched: the phone
    /// (at least 6 digits once normalised), else the e-mail (with an `@`), else the name;
    /// each on its whole normalised value.
    pub fn find(&self, query: &CustomerQuery) -> Option<(MatchedBy, Vec<String>)> {
        let phone = query
            .phone
            .as_deref()
            .map(normalize_phone)
            .filter(|p| p.len() >= 6);
        if let Some(found) = phone.and_then(|p| self.carrying(Field::Phone, &p)) {
            return Some((MatchedBy::Phone, found));
        }
        let email = query
            .email
            .as_deref()
            .map(normalize_email)
            .filter(|e| e.contains('@'));
        if let Some(found) = email.and_then(|e| self.carrying(Field::Email, &e)) {
            return Some((MatchedBy::Email, found));
        }
        let name = query
            .name
            .as_deref()
            .map(normalize_name)
            .filter(|n| !n.is_empty());
        name.and_then(|n| self.carrying(Field::Name, &n))
            .map(|found| (MatchedBy::Name, found))
    }
}

/// A customer to add (no `number`) or update (with `number`) through `ADDCON`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CustomerRecord {
    /// `CNO` of an existing customer; `None` to add one.
    pub number: Option<String>,
    /// `CNAME`.
    pub name: String,
    /// `FORDES`, the name in the other language.
    pub foreign_name: Option<String>,
    /// `TEL1`.
    pub phone: Option<String>,
    /// `EMAIL`.
    pub email: Option<String>,
    /// `CADD`.
    pub address: Option<String>,
    /// The Shopify customer id, written to `customers.reference_field` (when that is set) so
    /// the customer can be found again by it ([`CustomerIndex::find_reference`]).
    pub reference: Option<String>,
}

impl FlowClient {
    /// Reads every customer (`GETCON/C`) straight into a [`CustomerIndex`].
    ///
    /// Only each row's number, names, phone and e-mail are read out of the answer, straight
    /// from the bytes received; the rows are never built whole (as
    /// [`customers`](FlowClient::customers) builds them), so the memory this takes is the
    /// answer as received and the index, however many fields Flow sends.
    /// Field names match in any case, as elsewhere.
    ///
    /// # Errors
    ///
    /// As every call; [`Error::Decode`] for an answer that is not a list of rows, or a row
    /// without `CNO`.
    pub async fn customer_index(&self) -> Result<CustomerIndex> {
        let body = self
            .get_body("GETCON", &["api", "CONCMD", "GETCON", "C"])
            .await?;
        index_customer_rows(
            crate::wire::decode_text("GETCON", &body)?,
            &self.inner.config.customers.reference_field,
        )
    }

    /// Reads every customer (`GETCON/C`) and matches `query` exactly.
    ///
    /// # Errors
    ///
    /// As [`FlowClient::customers`].
    pub async fn find_customer(&self, query: &CustomerQuery) -> Result<Option<CustomerMatch>> {
        let customers = self.customers().await?;
        Ok(match_customers(&customers, query))
    }

    /// Builds the `ADDCON` payload from the customer template (nothing is sent).
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] when the name is empty.
    pub fn build_customer(&self, customer: &CustomerRecord) -> Result<Value> {
        if customer.name.trim().is_empty() {
            return Err(Error::invalid("customer.name", "must not be empty"));
        }
        let config = &self.inner.config;
        let mut record = self.inner.templates.customer().clone();
        let number = customer.number.clone().unwrap_or_else(|| "0".to_owned());
        let cno = match (record.get("CNO"), number.parse::<i64>()) {
            (Some(Value::Number(_)), Ok(n)) => Value::from(n),
            _ => Value::String(number),
        };
        record.set("CNO", cno);
        record.set("CNAME", Value::String(customer.name.clone()));
        let optional = [
            ("FORDES", &customer.foreign_name),
            ("TEL1", &customer.phone),
            ("EMAIL", &customer.email),
            ("CADD", &customer.address),
            ("CONGRP", &config.customers.group),
        ];
        let reference_field = config.customers.reference_field.as_str();
        if !reference_field.is_empty()
            && let Some(reference) = &customer.reference
        {
            record.set(reference_field, Value::String(reference.clone()));
        }
        for (field, value) in optional {
            if let Some(value) = value {
                record.set(field, Value::String(value.clone()));
            }
        }
        let company = Value::from(config.tenant.company);
        record.set("CONO", company);
        Ok(Value::Object(record.0))
    }

    /// Adds or updates a customer through `ADDCON`; returns its `CNO`.
    ///
    /// An update (`number` set) sends that `CNO`; the answer must name the same customer.
    ///
    /// # Errors
    ///
    /// [`Error::Refused`] for `CMDERR`; [`Error::UncertainSave`] when the outcome is unknown
    /// (see [`FlowClient::save_customer_exactly_once`]); [`Error::ReadBackMismatch`] when an
    /// update is answered with another customer number (the tenant's `ADDCON` added a
    /// customer: a duplicate to merge in Flow, never retried).
    pub async fn save_customer(&self, customer: &CustomerRecord) -> Result<String> {
        let payload = self.build_customer(customer)?;
        let url = self.api_path(&self.inner.config.customers.add_path)?;
        let reference = customer
            .email
            .clone()
            .or_else(|| customer.phone.clone())
            .unwrap_or_else(|| customer.name.clone());
        let answer = self
            .save_call(
                "ADDCON",
                url,
                Bytes::from(payload.to_string()),
                "ADDCON",
                &reference,
            )
            .await?;
        let number = answer.trim();
        match (number.is_empty() || number == "0", &customer.number) {
            // An update answered with another number added a customer instead: say so
            // rather than let the caller take the new number for the old customer.
            // Permanent: sending it again would add yet another customer.
            (false, Some(existing)) if number != existing.trim() => Err(Error::ReadBackMismatch {
                op: "ADDCON".into(),
                docno: number.to_owned(),
                differences: vec![format!(
                    "CNO: the update of customer {existing} was answered with customer \
                         {number}; this ADDCON added a customer instead of updating, and \
                         {number} is a duplicate of {existing} to merge in Flow"
                )],
            }),
            (false, _) => Ok(number.to_owned()),
            (true, Some(existing)) => Ok(existing.clone()),
            (true, None) => Err(Error::UncertainSave {
                op: "ADDCON".into(),
                reference,
                why: "CMDDNE without a customer number".into(),
                source: None,
            }),
        }
    }

    /// Adds a customer exactly once: after an uncertain save, the customers are read again and
    /// the customer looked up by its `reference` in `customers.reference_field` (when both are
    /// set), else matched by phone or e-mail (exactly); only when none is found is the save
    /// repeated, once.
    ///
    /// # Errors
    ///
    /// As [`FlowClient::save_customer`].
    pub async fn save_customer_exactly_once(&self, customer: &CustomerRecord) -> Result<String> {
        let mut resaved = false;
        loop {
            match self.save_customer(customer).await {
                Ok(number) => return Ok(number),
                Err(error) if error.is_uncertain() && customer.number.is_none() => {
                    let field = &self.inner.config.customers.reference_field;
                    if let Some(reference) = customer.reference.as_deref()
                        && !field.is_empty()
                    {
                        match self
                            .customer_index()
                            .await
                            .map(|i| i.find_reference(reference))
                        {
                            Ok(Some(found)) if found.len() == 1 => {
                                return Ok(found[0].clone());
                            }
                            Ok(None) if !resaved => resaved = true,
                            _ => return Err(error),
                        }
                        continue;
                    }
                    let query = CustomerQuery {
                        phone: customer.phone.clone(),
                        email: customer.email.clone(),
                        name: None,
                    };
                    match self.find_customer(&query).await {
                        Ok(Some(found)) if found.customers.len() == 1 => {
                            return Ok(found.customers[0].number.clone());
                        }
                        Ok(None)
                            if !resaved && (query.phone.is_some() || query.email.is_some()) =>
                        {
                            resaved = true;
                        }
                        _ => return Err(error),
                    }
                }
                Err(error) => return Err(error),
            }
        }
    }
}

/// Builds the index from a `GETCON` answer: a list of rows is read row by row, keeping only
/// the matching keys; any other shape (a wrapped list, a single row) goes through the general
/// row reader.
fn index_customer_rows(text: &str, reference_field: &str) -> Result<CustomerIndex> {
    let trimmed = text.trim();
    if !trimmed.starts_with('[') {
        let rows = crate::reads::records("GETCON", crate::client::parse_json("GETCON", trimmed)?)?;
        let mut references = Vec::new();
        let mut customers = Vec::new();
        for row in rows {
            let reference = (!reference_field.is_empty())
                .then(|| row.text(reference_field))
                .flatten();
            let customer = Customer::from_record(row)?;
            if let Some(reference) = reference {
                references.push((customer.number.clone(), reference));
            }
            customers.push(customer);
        }
        let mut index = CustomerIndex::new(customers.iter());
        for (number, reference) in references {
            index.set_reference(&number, &reference);
        }
        return Ok(index);
    }
    let mut index = CustomerIndex::default();
    let mut rows = serde_json::Deserializer::from_str(trimmed);
    let field = reference_field.to_ascii_uppercase();
    serde::de::DeserializeSeed::deserialize(IndexRows(&mut index, &field), &mut rows)
        .and_then(|()| rows.end())
        .map_err(|e| Error::decode("GETCON", format!("rows: {e}")))?;
    index.finish();
    Ok(index)
}

/// Reads a list of customer rows into an index one row at a time, so that only one row is
/// ever held apart from the answer's text.
struct IndexRows<'a>(&'a mut CustomerIndex, &'a str);

impl<'de> serde::de::DeserializeSeed<'de> for IndexRows<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> std::result::Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for IndexRows<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a list of customer rows")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<(), A::Error> {
        let mut i = 0usize;
        while let Some(row) = seq.next_element_seed(KeyRowSeed(self.1))? {
            let number = row.number.ok_or_else(|| {
                <A::Error as serde::de::Error>::custom(format!("[{i}]: row without CNO"))
            })?;
            self.0.push(
                &number,
                [row.name.as_deref(), row.foreign_name.as_deref()],
                row.phone.as_deref(),
                row.email.as_deref(),
                row.reference.as_deref(),
            );
            i += 1;
        }
        Ok(())
    }
}

/// A customer row reduced to its matching keys while it is parsed.
#[derive(Default)]
struct KeyRow {
    number: Option<String>,
    name: Option<String>,
    foreign_name: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    reference: Option<String>,
}

/// Reads one [`KeyRow`]; `.0` is the reference field's name in upper case (empty: none).
struct KeyRowSeed<'a>(&'a str);

impl<'de> serde::de::DeserializeSeed<'de> for KeyRowSeed<'_> {
    type Value = KeyRow;
    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> std::result::Result<KeyRow, D::Error> {
        struct Rows<'a>(&'a str);
        impl<'de> serde::de::Visitor<'de> for Rows<'_> {
            type Value = KeyRow;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a customer row (an object)")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<KeyRow, A::Error> {
                let mut row = KeyRow::default();
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    let upper = key.to_ascii_uppercase();
                    let slot = match upper.as_str() {
                        field if !self.0.is_empty() && field == self.0 => &mut row.reference,
                        "CNO" => &mut row.number,
                        "CNAME" => &mut row.name,
                        "FORDES" => &mut row.foreign_name,
                        "TEL1" => &mut row.phone,
                        "EMAIL" => &mut row.email,
                        _ => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                            continue;
                        }
                    };
                    *slot = map.next_value::<FieldText>()?.0;
                }
                Ok(row)
            }
        }
        deserializer.deserialize_map(Rows(self.0))
    }
}

/// A field's value as trimmed text, as [`crate::reads::Record::text`] reads it: numbers and
/// booleans as written, `None` for null, blank text, lists and objects.
struct FieldText(Option<String>);

impl<'de> serde::Deserialize<'de> for FieldText {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        // Through `serde_json::Value` for scalars only: a number keeps the form
        // `serde_json::Number` writes, exactly as the row reader does.
        let value = serde_json::Value::deserialize(deserializer)?;
        Ok(FieldText(match value {
            Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }))
    }
}

#[cfg(test)]
mod tests;
