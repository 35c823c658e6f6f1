//! Metafields of products and variants: the object, its lookups, and the inputs that set them.

use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, Object, Result};

use super::*;
use crate::shopify::search::{PageArgs, page};
use crate::shopify::store::*;
use crate::shopify::types::*;

#[derive(Clone)]
pub(crate) struct Metafield {
    rec: MetafieldRec,
    owner_kind: &'static str,
}

#[Object]
impl Metafield {
    async fn id(&self) -> Result<ID> {
        Ok(gql_id("Metafield", self.rec.id))
    }
    async fn namespace(&self) -> &str {
        &self.rec.namespace
    }
    async fn key(&self) -> &str {
        &self.rec.key
    }
    async fn value(&self) -> &str {
        &self.rec.value
    }
    #[graphql(name = "type")]
    async fn type_(&self) -> &str {
        &self.rec.type_
    }
    async fn owner_type(&self) -> MetafieldOwnerType {
        match self.owner_kind {
            "ProductVariant" => MetafieldOwnerType::PRODUCTVARIANT,
            "Customer" => MetafieldOwnerType::CUSTOMER,
            _ => MetafieldOwnerType::PRODUCT,
        }
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.rec.created_at)
    }
    async fn updated_at(&self) -> DateTime {
        DateTime(self.rec.updated_at)
    }
}

pub(crate) fn find_metafield(
    list: &[MetafieldRec],
    namespace: Option<String>,
    key: &str,
    kind: &'static str,
    _owner: u64,
) -> Option<Metafield> {
    let ns = namespace.unwrap_or_else(|| "custom".to_string());
    list.iter()
        .find(|m| m.namespace == ns && m.key == key)
        .map(|m| Metafield {
            rec: m.clone(),
            owner_kind: kind,
        })
}

pub(crate) fn metafields_connection(
    ctx: &Context<'_>,
    list: &[MetafieldRec],
    kind: &'static str,
    _owner: u64,
    namespace: Option<String>,
    keys: Option<Vec<String>>,
    args: PageArgs,
) -> Result<Connection<String, Metafield>> {
    let items = list
        .iter()
        .filter(|m| namespace.as_ref().is_none_or(|n| &m.namespace == n))
        .filter(|m| {
            keys.as_ref().is_none_or(|ks| {
                ks.iter()
                    .any(|k| *k == format!("{}.{}", m.namespace, m.key))
            })
        })
        .map(|m| {
            (
                id_key(m.id),
                m.id,
                Metafield {
                    rec: m.clone(),
                    owner_kind: kind,
                },
            )
        })
        .collect();
    page(items, &args, cx(ctx)?.bulk)
}

/// `UniqueMetafieldValueInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct UniqueMetafieldValueInput {
    pub(crate) namespace: Option<String>,
    pub(crate) key: String,
    pub(crate) value: String,
}

/// `MetafieldInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct MetafieldInput {
    pub(crate) id: Option<ID>,
    pub(crate) namespace: Option<String>,
    pub(crate) key: Option<String>,
    pub(crate) value: Option<String>,
    #[graphql(name = "type")]
    pub(crate) type_: Option<String>,
}

pub(crate) fn apply_metafields(
    st: &mut Store,
    existing: &[MetafieldRec],
    input: &[MetafieldInput],
    replace: bool,
) -> Vec<MetafieldRec> {
    let now = now();
    let mut out: Vec<MetafieldRec> = if replace {
        Vec::new()
    } else {
        existing.to_vec()
    };
    for m in input {
        let ns = m.namespace.clone().unwrap_or_else(|| "custom".to_string());
        let key = m.key.clone().unwrap_or_default();
        let prior = existing.iter().find(|e| e.namespace == ns && e.key == key);
        let rec = MetafieldRec {
            id: prior.map_or_else(|| st.next_id(), |p| p.id),
            namespace: ns.clone(),
            key: key.clone(),
            value: m.value.clone().unwrap_or_default(),
            type_: m
                .type_
                .clone()
                .or_else(|| prior.map(|p| p.type_.clone()))
                .unwrap_or_else(|| "single_line_text_field".to_string()),
            created_at: prior.map_or(now, |p| p.created_at),
            updated_at: now,
        };
        out.retain(|e| !(e.namespace == ns && e.key == key));
        out.push(rec);
    }
    out
}

pub(crate) fn check_metafields(
    input: &[MetafieldInput],
    base: &[&str],
) -> Vec<(Vec<String>, String)> {
    let mut errs = Vec::new();
    for (i, m) in input.iter().enumerate() {
        let idx = i.to_string();
        let mut p: Vec<String> = base.iter().map(|s| s.to_string()).collect();
        p.push(idx);
        if m.key.as_deref().is_none_or(str::is_empty) {
            let mut f = p.clone();
            f.push("key".into());
            errs.push((f, "Key can't be blank".to_string()));
        }
        if m.value.is_none() {
            let mut f = p.clone();
            f.push("value".into());
            errs.push((f, "Value can't be blank".to_string()));
        }
    }
    errs
}
