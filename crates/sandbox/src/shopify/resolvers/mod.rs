//! The resolvers of the served schema, one module per resource: its output objects, its
//! inputs and payloads, and its part of the query and mutation roots (merged in the module
//! root, where the schema is built).
//!
//! Imports point one way: a resource module uses [`outputs`] (the output types more than one
//! module names, and the `Node` interface), this module's helpers, a few resource modules
//! below it, and the store, types, orders and webhooks modules; none imports a module that
//! imports it back.

pub(crate) mod bulk;
pub(crate) mod buyers;
pub(crate) mod customers;
pub(crate) mod discounts;
pub(crate) mod files;
pub(crate) mod fulfillments;
pub(crate) mod inventory;
pub(crate) mod inventory_writes;
pub(crate) mod media;
pub(crate) mod metafields;
pub(crate) mod order_lines;
pub(crate) mod orders;
pub(crate) mod outputs;
pub(crate) mod product_mutations;
pub(crate) mod product_set;
pub(crate) mod products;
pub(crate) mod refunds;
pub(crate) mod returns;
pub(crate) mod shop;
pub(crate) mod webhooks;

use std::sync::Arc;

use async_graphql::{Context, CustomDirective, Directive, Error, ErrorExtensions, ID, Result};
use rust_decimal::Decimal;
use serde_json::Value;

use crate::shopify::search::{PageArgs, SortVal};
use crate::shopify::store::*;
use crate::shopify::types::*;
use crate::shopify::{ShopifyState, lock};

/// Per-request data: the state, the base URL the client reached us on, the API version.
pub(crate) struct Ctx {
    pub(crate) state: Arc<ShopifyState>,
    pub(crate) base_url: String,
    pub(crate) version: String,
    /// Inside a bulk operation: connections need no `first`.
    pub(crate) bulk: bool,
}

pub(crate) fn cx<'a>(ctx: &Context<'a>) -> Result<&'a Ctx> {
    ctx.data::<Ctx>()
}

/// The `@idempotent(key:)` directive.
///
/// On `inventorySetQuantities` the mutation itself honours the key (answering Shopify's
/// `IDEMPOTENCY_*` user errors). On any other root mutation field the directive does it: the
/// first answer for a key is remembered with the field's arguments, and a request with the
/// same key and arguments gets that answer again without running the mutation a second time;
/// the same key with other arguments is an error. On query fields it is accepted and ignored.
struct Idempotent {
    key: String,
}

#[async_graphql::async_trait::async_trait]
impl CustomDirective for Idempotent {
    async fn resolve_field(
        &self,
        ctx: &Context<'_>,
        resolve: async_graphql::extensions::ResolveFut<'_>,
    ) -> async_graphql::ServerResult<Option<async_graphql::Value>> {
        use async_graphql::parser::types::OperationType;
        let name = ctx.item.node.name.node.to_string();
        let root = ctx.path_node.as_ref().is_some_and(|p| p.parent.is_none());
        let mutation = ctx.query_env.operation.node.ty == OperationType::Mutation;
        let Ok(c) = ctx.data::<Ctx>() else {
            return resolve.await;
        };
        if !root || !mutation || name == "inventorySetQuantities" {
            return resolve.await;
        }
        let args = ctx.field().arguments()?;
        let fingerprint = format!("{name}:{args:?}");
        let slot = format!("{name}\u{0}{}", self.key);
        let error = |code: &str, msg: &str| {
            let mut e = async_graphql::ServerError::new(msg, Some(ctx.item.pos));
            let mut ext = async_graphql::ErrorExtensionValues::default();
            ext.set("code", code);
            e.extensions = Some(ext);
            e
        };
        {
            let mut st = lock(&c.state.store);
            match st.idempotent.get(&slot) {
                Some(prior) if prior.fingerprint != fingerprint => {
                    return Err(error(
                        "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
                        "The same idempotency key was used with different parameters.",
                    ));
                }
                Some(prior) if prior.result.is_null() => {
                    return Err(error(
                        "IDEMPOTENCY_CONCURRENT_REQUEST",
                        "A request with this idempotency key is in progress.",
                    ));
                }
                Some(prior) => {
                    return Ok(Some(
                        async_graphql::Value::from_json(prior.result.clone())
                            .unwrap_or(async_graphql::Value::Null),
                    ));
                }
                None => {
                    st.idempotent.insert(
                        slot.clone(),
                        IdempotentRec {
                            fingerprint: fingerprint.clone(),
                            result: Value::Null,
                        },
                    );
                }
            }
        }
        let out = resolve.await;
        let mut st = lock(&c.state.store);
        match &out {
            Ok(Some(v)) => {
                let json = v.clone().into_json().unwrap_or(Value::Null);
                st.idempotent.insert(
                    slot,
                    IdempotentRec {
                        fingerprint,
                        result: json,
                    },
                );
            }
            _ => {
                // A failed attempt leaves no trace: the key may be used again.
                st.idempotent.remove(&slot);
            }
        }
        out
    }
}

#[Directive(location = "Field", name = "idempotent")]
pub(crate) fn idempotent(key: String) -> impl CustomDirective {
    Idempotent { key }
}

/// The `@idempotent` key on the current field, if any.
pub(crate) fn idempotency_key(ctx: &Context<'_>) -> Result<Option<String>> {
    for d in ctx.field().directives()? {
        if d.name.node == "idempotent" {
            for (name, value) in d.arguments {
                if name.node == "key"
                    && let async_graphql::Value::String(s) = value.node
                {
                    if s.is_empty() {
                        return Err(Error::new("@idempotent: `key` must not be empty"));
                    }
                    return Ok(Some(s));
                }
            }
        }
    }
    Ok(None)
}

fn pargs(
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
    reverse: Option<bool>,
) -> PageArgs {
    PageArgs {
        first,
        after,
        last,
        before,
        reverse: reverse.unwrap_or(false),
    }
}

/// `ordersCount` / `customersCount`: how many of the records, given by their
/// `(updated_at, created_at)`, match `query` (on those two fields), under the count's `limit`
/// ([`Count::limited`]).
fn count_by_time(
    times: impl Iterator<Item = (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)>,
    query: Option<&str>,
    limit: &async_graphql::MaybeUndefined<i32>,
) -> Result<Count> {
    use crate::shopify::search::{FieldVal, Filter};
    let filter = Filter::parse(query, &["updated_at", "created_at"])?;
    let mut n = 0;
    for (updated_at, created_at) in times {
        if filter.matches(|f| match f {
            "updated_at" => Some(FieldVal::Time(updated_at)),
            "created_at" => Some(FieldVal::Time(created_at)),
            _ => None,
        })? {
            n += 1;
        }
    }
    Ok(Count::limited(n, limit))
}

fn time_key(t: chrono::DateTime<chrono::Utc>) -> SortVal {
    SortVal::Int(t.timestamp_millis())
}

fn id_key(id: u64) -> SortVal {
    SortVal::Int(id as i64)
}

fn gid_arg(kind: &str, arg: &str, id: &ID) -> Result<u64> {
    parse_gid(kind, id.as_str()).ok_or_else(|| {
        Error::new(format!(
            "argument `{arg}`: `{}` is not a valid {kind} id (gid://shopify/{kind}/<number>)",
            id.as_str()
        ))
    })
}

fn money(ctx: &Context<'_>, amount: Decimal) -> Result<MoneyV2> {
    Ok(MoneyV2::new(amount, cx(ctx)?.state.currency))
}

fn bag(ctx: &Context<'_>, amount: Decimal) -> Result<MoneyBag> {
    let state = &cx(ctx)?.state;
    let mut bag = MoneyBag::new(amount, state.currency);
    if let Some((currency, rate)) = state.presentment {
        bag.presentment_money = MoneyV2::new(amount / rate, currency);
    }
    Ok(bag)
}

fn gql_id(kind: &str, id: u64) -> ID {
    ID(gid(kind, id))
}

fn legacy(id: u64) -> UnsignedInt64 {
    UnsignedInt64(id)
}

/// Most items an input array may hold.
const MAX_INPUT: usize = 250;

fn check_input_size(arg: &str, n: usize) -> Result<()> {
    if n > MAX_INPUT {
        return Err(Error::new(format!(
            "The input array size of {n} is greater than the maximum allowed of {MAX_INPUT}."
        ))
        .extend_with(|_, e| {
            e.set("code", "MAX_INPUT_SIZE_EXCEEDED");
            e.set("argument", arg);
        }));
    }
    Ok(())
}

/// Resolves a list of GIDs of one `kind`, in order: the numbers of those `known` accepts, and
/// the position and GID of each one that is not a `kind` GID or that `known` refuses.
pub(crate) fn resolve_ids<'a>(
    kind: &str,
    ids: impl IntoIterator<Item = &'a ID>,
    mut known: impl FnMut(u64) -> bool,
) -> (Vec<u64>, Vec<(usize, &'a ID)>) {
    let mut found = Vec::new();
    let mut refused = Vec::new();
    for (i, id) in ids.into_iter().enumerate() {
        match parse_gid(kind, id.as_str()).filter(|n| known(*n)) {
            Some(n) => found.push(n),
            None => refused.push((i, id)),
        }
    }
    (found, refused)
}
