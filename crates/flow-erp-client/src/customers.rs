//! Customers: exact matching by phone, e-mail or normalised name, and saving through `ADDCON`.
//!
//! Matching tries the phone first, then the e-mail, then the name (Arabic or Latin, also
//! against `FORDES`), each after normalisation (see [`crate::normalize`]). A match is always
//! on the **whole** normalised value, never a substring. Several customers may match one key;
//! the caller decides (the engine parks an ambiguous match for an operator).

use std::collections::HashMap;
use std::sync::Arc;

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
/// each customer's normalised phone, e-mail and names, each key leading straight to the
/// customer numbers that carry it. A look-up costs the same however many customers there are.
/// The rules are those of [`match_customers`].
///
/// It is built to stay small, as it holds every customer of the tenant: each key and each
/// customer number is stored once (shared by the maps that refer to it), and a key leads to
/// customers by a small index, not by a copy of their numbers: about 300 bytes a customer.
#[derive(Debug, Clone, Default)]
pub struct CustomerIndex {
    by_phone: HashMap<Arc<str>, Ids>,
    by_email: HashMap<Arc<str>, Ids>,
    by_name: HashMap<Arc<str>, Ids>,
    /// Each customer's number, by its index (a customer keeps its index for the life of the
    /// index, through updates).
    numbers: Vec<Arc<str>>,
    /// The index of each customer number.
    by_number: HashMap<Arc<str>, u32>,
    /// Each customer's keys, by its index, to take them out when the customer changes.
    keys: Vec<CustomerKeys>,
}

/// One customer's keys, each with the map it is in.
type CustomerKeys = Box<[(Field, Arc<str>)]>;

/// Which map a key belongs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Phone,
    Email,
    Name,
}

/// The customers (by index) that carry one key; nearly always one.
#[derive(Debug, Clone)]
enum Ids {
    One(u32),
    Many(Vec<u32>),
}

impl Ids {
    fn as_slice(&self) -> &[u32] {
        match self {
            Ids::One(id) => std::slice::from_ref(id),
            Ids::Many(ids) => ids,
        }
    }

    fn add(&mut self, id: u32) {
        match self {
            Ids::One(first) if *first != id => *self = Ids::Many(vec![*first, id]),
            Ids::Many(ids) if !ids.contains(&id) => ids.push(id),
            _ => {}
        }
    }

    /// Takes `id` out; `false` when none is left.
    fn remove(&mut self, id: u32) -> bool {
        match self {
            Ids::One(only) => *only != id,
            Ids::Many(ids) => {
                ids.retain(|i| *i != id);
                let left = !ids.is_empty();
                if let [last] = ids[..] {
                    *self = Ids::One(last);
                }
                left
            }
        }
    }
}

impl CustomerIndex {
    /// Indexes `customers`.
    pub fn new<'a>(customers: impl IntoIterator<Item = &'a Customer>) -> Self {
        let mut index = CustomerIndex::default();
        for customer in customers {
            index.insert(
                &customer.number,
                [customer.name.as_deref(), customer.foreign_name.as_deref()],
                customer.phone.as_deref(),
                customer.email.as_deref(),
            );
        }
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

    /// Adds customer `number` with its names (`CNAME`, `FORDES`), phone and e-mail, or replaces
    /// what was known of it.
    pub fn insert(
        &mut self,
        number: &str,
        names: [Option<&str>; 2],
        phone: Option<&str>,
        email: Option<&str>,
    ) {
        let id = match self.by_number.get(number) {
            Some(&id) => {
                self.remove_keys(id);
                id
            }
            None => {
                let id = u32::try_from(self.numbers.len()).unwrap_or(u32::MAX);
                let number: Arc<str> = Arc::from(number);
                self.numbers.push(number.clone());
                self.keys.push(Box::default());
                self.by_number.insert(number, id);
                id
            }
        };
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
        let mut keys = Vec::with_capacity(wanted.len());
        for (field, key) in wanted {
            let map = self.map_mut(field);
            // The key text is stored once, whoever else carries it.
            let shared = match map.get_key_value(key.as_str()) {
                Some((shared, _)) => shared.clone(),
                None => Arc::from(key),
            };
            map.entry(shared.clone())
                .and_modify(|ids| ids.add(id))
                .or_insert(Ids::One(id));
            keys.push((field, shared));
        }
        if let Some(slot) = self.keys.get_mut(id as usize) {
            *slot = keys.into_boxed_slice();
        }
    }

    fn map_mut(&mut self, field: Field) -> &mut HashMap<Arc<str>, Ids> {
        match field {
            Field::Phone => &mut self.by_phone,
            Field::Email => &mut self.by_email,
            Field::Name => &mut self.by_name,
        }
    }

    fn remove_keys(&mut self, id: u32) {
        let keys = self
            .keys
            .get_mut(id as usize)
            .map(std::mem::take)
            .unwrap_or_default();
        for (field, key) in keys.iter() {
            let map = self.map_mut(*field);
            if let Some(ids) = map.get_mut(key)
                && !ids.remove(id)
            {
                map.remove(key);
            }
        }
    }

    fn numbers_of(&self, ids: &Ids) -> Vec<String> {
        ids.as_slice()
            .iter()
            .filter_map(|id| self.numbers.get(*id as usize))
            .map(|n| n.to_string())
            .collect()
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
        if let Some(found) = phone.and_then(|p| self.by_phone.get(p.as_str())) {
            return Some((MatchedBy::Phone, self.numbers_of(found)));
        }
        let email = query
            .email
            .as_deref()
            .map(normalize_email)
            .filter(|e| e.contains('@'));
        if let Some(found) = email.and_then(|e| self.by_email.get(e.as_str())) {
            return Some((MatchedBy::Email, self.numbers_of(found)));
        }
        let name = query
            .name
            .as_deref()
            .map(normalize_name)
            .filter(|n| !n.is_empty());
        name.and_then(|n| self.by_name.get(n.as_str()))
            .map(|found| (MatchedBy::Name, self.numbers_of(found)))
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
}

impl FlowClient {
    /// Reads every customer (`GETCON/C`) straight into a [`CustomerIndex`].
    ///
    /// Only each row's number, names, phone and e-mail are read out of the answer; the rows
    /// are never built whole (as [`customers`](FlowClient::customers) builds them), so the
    /// memory this takes is the answer's text and the index, however many fields Flow sends.
    /// Field names match in any case, as elsewhere.
    ///
    /// # Errors
    ///
    /// As every call; [`Error::Decode`] for an answer that is not a list of rows, or a row
    /// without `CNO`.
    pub async fn customer_index(&self) -> Result<CustomerIndex> {
        let text = self
            .get_text("GETCON", &["api", "CONCMD", "GETCON", "C"])
            .await?;
        index_customer_rows(&text)
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
    /// # Errors
    ///
    /// [`Error::Refused`] for `CMDERR`; [`Error::UncertainSave`] when the outcome is unknown
    /// (see [`FlowClient::save_customer_exactly_once`]).
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
    /// matched by phone or e-mail (exactly); only when none matches is the save repeated, once.
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
fn index_customer_rows(text: &str) -> Result<CustomerIndex> {
    let trimmed = text.trim();
    if !trimmed.starts_with('[') {
        let rows = crate::reads::records("GETCON", crate::client::parse_json("GETCON", trimmed)?)?;
        let customers = rows
            .into_iter()
            .map(Customer::from_record)
            .collect::<Result<Vec<_>>>()?;
        return Ok(CustomerIndex::new(customers.iter()));
    }
    let rows: Vec<KeyRow> =
        serde_json::from_str(trimmed).map_err(|e| Error::decode("GETCON", format!("rows: {e}")))?;
    let mut index = CustomerIndex::default();
    for (i, row) in rows.into_iter().enumerate() {
        let number = row
            .number
            .ok_or_else(|| Error::decode("GETCON", format!("[{i}]: row without CNO")))?;
        index.insert(
            &number,
            [row.name.as_deref(), row.foreign_name.as_deref()],
            row.phone.as_deref(),
            row.email.as_deref(),
        );
    }
    Ok(index)
}

/// A customer row reduced to its matching keys while it is parsed.
#[derive(Default)]
struct KeyRow {
    number: Option<String>,
    name: Option<String>,
    foreign_name: Option<String>,
    phone: Option<String>,
    email: Option<String>,
}

impl<'de> serde::Deserialize<'de> for KeyRow {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        struct Rows;
        impl<'de> serde::de::Visitor<'de> for Rows {
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
                    let slot = match key.to_ascii_uppercase().as_str() {
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
        deserializer.deserialize_map(Rows)
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
mod tests {
    use super::*;
    use crate::reads::Record;
    use serde_json::json;

    fn customer(v: Value) -> Customer {
        Customer::from_record(Record(v.as_object().unwrap().clone())).unwrap()
    }

    #[test]
    fn the_customer_list_is_indexed_row_by_row_with_fields_in_any_case() {
        let text = r#"[
            {"CNO": 7, "cname": " Sara Mostafa ", "Tel1": "+20 100 123 4567", "EMAIL": null,
             "CADD": {"nested": [1, 2]}, "TOTDISC": 0.5},
            {"CNO": "8", "CNAME": "", "FORDES": "عمر", "TEL1": 1111111111, "email": "O@Example.com"}
        ]"#;
        let index = index_customer_rows(text).unwrap();
        assert_eq!(index.len(), 2);
        let by_phone = CustomerQuery {
            phone: Some("01001234567".into()),
            ..CustomerQuery::default()
        };
        assert_eq!(
            index.find(&by_phone),
            Some((MatchedBy::Phone, vec!["7".to_owned()]))
        );
        let by_email = CustomerQuery {
            email: Some("o@example.com".into()),
            ..CustomerQuery::default()
        };
        assert_eq!(
            index.find(&by_email),
            Some((MatchedBy::Email, vec!["8".to_owned()]))
        );
        let by_name = CustomerQuery {
            name: Some("sara  mostafa".into()),
            ..CustomerQuery::default()
        };
        assert_eq!(
            index.find(&by_name).map(|(by, _)| by),
            Some(MatchedBy::Name)
        );
    }

    #[test]
    fn the_streamed_index_matches_as_the_index_of_whole_rows() {
        let rows = json!([
            {"CNO": 1, "CNAME": "د. أحمد عبد الله", "TEL1": "+20 100 123 4567", "EMAIL": "Ahmed@Example.com"},
            {"CNO": 2, "CNAME": "Ahmed Abdalla", "FORDES": "أحمد عبدالله", "TEL1": "0100 123 4567"},
            {"CNO": 3, "CNAME": "Mona", "EMAIL": "mona@example.com", "TEL1": ""}
        ]);
        let streamed = index_customer_rows(&rows.to_string()).unwrap();
        let whole: Vec<Customer> = rows
            .as_array()
            .unwrap()
            .iter()
            .cloned()
            .map(customer)
            .collect();
        let built = CustomerIndex::new(whole.iter());
        for query in [
            CustomerQuery {
                phone: Some("01001234567".into()),
                ..CustomerQuery::default()
            },
            CustomerQuery {
                email: Some("ahmed@example.com".into()),
                ..CustomerQuery::default()
            },
            CustomerQuery {
                name: Some("أحمد عبدالله".into()),
                ..CustomerQuery::default()
            },
            CustomerQuery {
                email: Some("MONA@example.com".into()),
                ..CustomerQuery::default()
            },
            CustomerQuery {
                name: Some("nobody".into()),
                ..CustomerQuery::default()
            },
        ] {
            assert_eq!(streamed.find(&query), built.find(&query), "{query:?}");
        }
        // Other shapes of the answer go through the row reader.
        let wrapped = json!({"data": rows}).to_string();
        assert_eq!(index_customer_rows(&wrapped).unwrap().len(), 3);
    }

    #[test]
    fn a_customer_row_without_a_number_or_a_broken_list_is_a_decode_error() {
        let err = index_customer_rows(r#"[{"CNO": 1}, {"CNAME": "x"}]"#).unwrap_err();
        assert!(err.to_string().contains("[1]: row without CNO"), "{err}");
        let err = index_customer_rows(r#"[{"CNO": 1}, 5]"#).unwrap_err();
        assert!(err.to_string().contains("GETCON"), "{err}");
        let err = index_customer_rows("[{\"CNO\": 1").unwrap_err();
        assert!(err.to_string().contains("GETCON"), "{err}");
    }

    fn book() -> Vec<Customer> {
        vec![
            customer(
                json!({"CNO": 1, "CNAME": "د. أحمد عبد الله", "TEL1": "+20 100 123 4567", "EMAIL": "Ahmed@Example.com"}),
            ),
            customer(
                json!({"CNO": 2, "CNAME": "فاطمة علي", "FORDES": "Fatma Ali", "TEL1": "0111"}),
            ),
            customer(json!({"CNO": 3, "CNAME": "محمد", "TEL1": ""})),
            customer(json!({"CNO": 4, "CNAME": "محمد علي"})),
        ]
    }

    #[test]
    fn phone_then_email_then_name() {
        let m = match_customers(
            &book(),
            &CustomerQuery {
                phone: Some("01001234567".into()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            (m.by, m.customers[0].number.as_str()),
            (MatchedBy::Phone, "1")
        );
        let m = match_customers(
            &book(),
            &CustomerQuery {
                email: Some(" ahmed@example.COM".into()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(m.by, MatchedBy::Email);
        let m = match_customers(
            &book(),
            &CustomerQuery {
                name: Some("احمد عبدالله".replace("عبدالله", "عبد الله")),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            (m.by, m.customers[0].number.as_str()),
            (MatchedBy::Name, "1")
        );
        let m = match_customers(
            &book(),
            &CustomerQuery {
                name: Some("FATMA ALI".into()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(m.customers[0].number, "2");
        let m = match_customers(
            &book(),
            &CustomerQuery {
                name: Some("فاطمه علي".into()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(m.customers[0].number, "2");
    }

    #[test]
    fn never_a_substring_match() {
        let m = match_customers(
            &book(),
            &CustomerQuery {
                name: Some("محمد".into()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(m.customers.len(), 1);
        assert_eq!(m.customers[0].number, "3");
        assert!(
            match_customers(
                &book(),
                &CustomerQuery {
                    name: Some("عبد الله".into()),
                    ..Default::default()
                }
            )
            .is_none()
        );
        assert!(
            match_customers(
                &book(),
                &CustomerQuery {
                    phone: Some("0100123456".into()),
                    ..Default::default()
                }
            )
            .is_none()
        );
    }

    #[test]
    fn the_index_follows_a_customer_that_changes() {
        let mut index = CustomerIndex::new(book().iter());
        assert_eq!(index.len(), 4);
        let by_phone = |index: &CustomerIndex, phone: &str| {
            index.find(&CustomerQuery {
                phone: Some(phone.into()),
                ..Default::default()
            })
        };
        assert_eq!(
            by_phone(&index, "+201001234567"),
            Some((MatchedBy::Phone, vec!["1".to_owned()]))
        );
        // Customer 1 changes phone: the old one no longer leads to it.
        index.insert("1", [Some("Ahmed"), None], Some("01229998877"), None);
        assert_eq!(index.len(), 4);
        assert_eq!(by_phone(&index, "01001234567"), None);
        assert_eq!(
            by_phone(&index, "0122 999 8877"),
            Some((MatchedBy::Phone, vec!["1".to_owned()]))
        );
        // A new customer with the same phone makes the match ambiguous.
        index.insert("9", [Some("Other"), None], Some("01229998877"), None);
        assert_eq!(
            by_phone(&index, "01229998877").map(|(_, n)| n),
            Some(vec!["1".to_owned(), "9".to_owned()])
        );
        assert_eq!(index.len(), 5);
        // And no longer once the other customer moves away; its old keys are gone.
        index.insert("9", [Some("Other Name"), None], Some("01005556666"), None);
        assert_eq!(
            by_phone(&index, "01229998877").map(|(_, n)| n),
            Some(vec!["1".to_owned()])
        );
        let by_name = |name: &str| {
            index.find(&CustomerQuery {
                name: Some(name.into()),
                ..Default::default()
            })
        };
        assert_eq!(by_name("Other"), None);
        assert_eq!(
            by_name("other name"),
            Some((MatchedBy::Name, vec!["9".to_owned()]))
        );
        assert_eq!(index.len(), 5);
    }
}
