//! Bulk operations: a query run over whole connections, or a mutation run once per line of a
//! staged JSONL file; the result is a JSONL file served at `/__shopify/bulk/{id}.jsonl`.
//!
//! Query results follow Shopify's flattening: each node of the root connection is one line,
//! and each node of a nested connection is its own line with `__parentId` set to the id of
//! the object that holds it, also when that object is inside a list or an object of its
//! node's line (an order's refunds, a list, each holding its refund line items). A query
//! has at most five connections, nested at most two deep (Shopify's documented limits,
//! checked when it starts); an object holding a nested connection must select its `id`
//! (strict: Shopify's documents do not say, and without it `__parentId` has no value), or
//! the operation fails. Mutation results are one line per input line:
//! `{"data": ..., "errors": ..., "__lineNumber": n}`.
//!
//! Here too: the `BulkOperation` object, the two mutations that start a run and the two query
//! fields that read one.

use std::sync::Arc;

use async_graphql::parser::types::OperationType;
use async_graphql::{Context, ID, Object, Request, Result, SimpleObject, Variables};
use serde_json::{Map, Value, json};

use super::outputs::*;
use super::*;
use crate::shopify::store::*;
use crate::shopify::types::*;
use crate::shopify::{ShopifyState, lock, webhooks};

#[Object]
impl BulkOperation {
    pub(crate) async fn id(&self) -> Result<ID> {
        Ok(gql_id("BulkOperation", self.0.id))
    }
    async fn status(&self) -> BulkOperationStatus {
        BulkOperationStatus::parse(self.0.status).unwrap_or(BulkOperationStatus::FAILED)
    }
    #[graphql(name = "type")]
    async fn type_(&self) -> BulkOperationType {
        if self.0.mutation {
            BulkOperationType::MUTATION
        } else {
            BulkOperationType::QUERY
        }
    }
    async fn error_code(&self) -> Option<BulkOperationErrorCode> {
        self.0.error_code.and_then(BulkOperationErrorCode::parse)
    }
    async fn query(&self) -> &str {
        &self.0.query
    }
    async fn object_count(&self) -> UnsignedInt64 {
        UnsignedInt64(self.0.object_count)
    }
    async fn root_object_count(&self) -> UnsignedInt64 {
        UnsignedInt64(self.0.root_object_count)
    }
    async fn file_size(&self) -> Option<UnsignedInt64> {
        self.0
            .result
            .as_ref()
            .map(|r| UnsignedInt64(r.len() as u64))
    }
    async fn url(&self, ctx: &Context<'_>) -> Result<Option<Url>> {
        let base = &cx(ctx)?.base_url;
        Ok(match (&self.0.result, self.0.status) {
            (Some(r), "COMPLETED") if !r.is_empty() => {
                Some(Url(format!("{base}/__shopify/bulk/{}.jsonl", self.0.id)))
            }
            _ => None,
        })
    }
    async fn partial_data_url(&self) -> Option<Url> {
        None
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
    async fn completed_at(&self) -> Option<DateTime> {
        self.0.completed_at.map(DateTime)
    }
}

#[derive(SimpleObject)]
pub(crate) struct BulkOperationRunQueryPayload {
    pub(crate) bulk_operation: Option<BulkOperation>,
    pub(crate) user_errors: Vec<BulkOperationUserError>,
}

#[derive(SimpleObject)]
pub(crate) struct BulkOperationRunMutationPayload {
    pub(crate) bulk_operation: Option<BulkOperation>,
    pub(crate) user_errors: Vec<BulkMutationUserError>,
}

/// `bulkOperationRunQuery` and `bulkOperationRunMutation`.
#[derive(Default)]
pub(crate) struct BulkMutations;

#[Object]
impl BulkMutations {
    async fn bulk_operation_run_query(
        &self,
        ctx: &Context<'_>,
        query: String,
        #[graphql(default = false)] group_objects: bool,
    ) -> Result<Option<BulkOperationRunQueryPayload>> {
        let result: Result<BulkOperationRunQueryPayload> = async move {
            let c = cx(ctx)?;
            Ok(run_query(c, query, group_objects))
        }
        .await;
        result.map(Some)
    }

    async fn bulk_operation_run_mutation(
        &self,
        ctx: &Context<'_>,
        mutation: String,
        staged_upload_path: String,
        group_objects: Option<bool>,
        client_identifier: Option<String>,
    ) -> Result<Option<BulkOperationRunMutationPayload>> {
        let result: Result<BulkOperationRunMutationPayload> = async move {
            let _ = (group_objects, client_identifier);
            let c = cx(ctx)?;
            Ok(run_mutation(c, mutation, staged_upload_path))
        }
        .await;
        result.map(Some)
    }
}

/// The `bulkOperation` and `currentBulkOperation` query fields.
#[derive(Default)]
pub(crate) struct BulkQueries;

#[Object]
impl BulkQueries {
    async fn bulk_operation(&self, ctx: &Context<'_>, id: ID) -> Result<Option<BulkOperation>> {
        let id = gid_arg("BulkOperation", "id", &id)?;
        let st = lock(&cx(ctx)?.state.store);
        Ok(st.bulk_ops.get(&id).cloned().map(BulkOperation))
    }

    #[graphql(deprecation = "Use `bulkOperations` with status filter instead.")]
    async fn current_bulk_operation(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "type")] type_: Option<BulkOperationType>,
    ) -> Result<Option<BulkOperation>> {
        let mutation = type_.unwrap_or(BulkOperationType::QUERY) == BulkOperationType::MUTATION;
        let st = lock(&cx(ctx)?.state.store);
        Ok(st
            .bulk_ops
            .values()
            .rev()
            .find(|b| b.mutation == mutation)
            .cloned()
            .map(BulkOperation))
    }
}

fn operation_kind(text: &str) -> Option<(OperationType, usize)> {
    let doc = async_graphql::parser::parse_query(text).ok()?;
    let mut ops = doc.operations.iter();
    let (_, op) = ops.next()?;
    if ops.next().is_some() {
        return None;
    }
    Some((op.node.ty, op.node.selection_set.node.items.len()))
}

/// How many bulk operations of a type may run at once on a shop, by API version: from
/// 2026-01 up to five bulk queries, before it one; one bulk mutation in every version
/// (shopify.dev, "Perform bulk operations with the GraphQL Admin API", Limitations).
fn concurrent_limit(mutation: bool, version: &str) -> usize {
    if !mutation && version >= "2026-01" {
        5
    } else {
        1
    }
}

fn start(
    state: &Arc<ShopifyState>,
    mutation: bool,
    query: &str,
    version: &str,
) -> Result<BulkRec, ()> {
    let mut st = lock(&state.store);
    let running = st
        .bulk_ops
        .values()
        .filter(|b| b.mutation == mutation && matches!(b.status, "CREATED" | "RUNNING"))
        .count();
    if running >= concurrent_limit(mutation, version) {
        return Err(());
    }
    let id = st.next_id();
    let rec = BulkRec {
        id,
        mutation,
        query: query.to_string(),
        status: "CREATED",
        error_code: None,
        object_count: 0,
        root_object_count: 0,
        result: None,
        created_at: now(),
        completed_at: None,
    };
    st.bulk_ops.insert(id, rec.clone());
    Ok(rec)
}

fn finish(state: &Arc<ShopifyState>, id: u64, result: Result<(String, u64, u64), ()>) {
    let payload = {
        let mut st = lock(&state.store);
        let Some(b) = st.bulk_ops.get_mut(&id) else {
            return;
        };
        match result {
            Ok((text, objects, roots)) => {
                b.status = "COMPLETED";
                b.object_count = objects;
                b.root_object_count = roots;
                b.result = Some(text);
            }
            Err(()) => {
                b.status = "FAILED";
                b.error_code = Some("INTERNAL_SERVER_ERROR");
            }
        }
        b.completed_at = Some(now());
        webhooks::bulk_payload(b)
    };
    webhooks::emit(state, "BULK_OPERATIONS_FINISH", payload);
}

fn set_running(state: &Arc<ShopifyState>, id: u64) {
    if let Some(b) = lock(&state.store).bulk_ops.get_mut(&id) {
        b.status = "RUNNING";
    }
}

/// Starts a bulk query.
///
/// Without `groupObjects`, Shopify promises no order of the lines; the stand-in then writes
/// every root object first and the nested ones after them (the least convenient order it may
/// take), so a reader that needs an object's children right after it must ask for grouping.
pub(crate) fn run_query(c: &Ctx, query: String, group: bool) -> BulkOperationRunQueryPayload {
    let err = |code, m: &str| BulkOperationRunQueryPayload {
        bulk_operation: None,
        user_errors: vec![BulkOperationUserError::new(code, path(&["query"]), m)],
    };
    match operation_kind(&query) {
        Some((OperationType::Query, 1)) => {}
        Some((OperationType::Query, _)) => {
            return err(
                BulkOperationUserErrorCode::INVALID,
                "Bulk queries must contain exactly one top-level field.",
            );
        }
        _ => {
            return err(
                BulkOperationUserErrorCode::INVALID,
                "Invalid bulk query: it must be one GraphQL query operation.",
            );
        }
    }
    match connections(&query) {
        Some((count, _)) if count > MAX_CONNECTIONS => {
            return err(
                BulkOperationUserErrorCode::INVALID,
                &format!(
                    "Bulk queries are limited to {MAX_CONNECTIONS} connections; this one has {count}."
                ),
            );
        }
        Some((_, depth)) if depth > MAX_CONNECTION_DEPTH => {
            return err(
                BulkOperationUserErrorCode::INVALID,
                &format!(
                    "Bulk queries are limited to {MAX_CONNECTION_DEPTH} levels of nested connections; this one has {depth}."
                ),
            );
        }
        Some((0, _)) | None => {
            return err(
                BulkOperationUserErrorCode::INVALID,
                "Bulk queries must contain at least one connection.",
            );
        }
        Some(_) => {}
    }
    let Ok(rec) = start(&c.state, false, &query, &c.version) else {
        return err(
            BulkOperationUserErrorCode::OPERATION_IN_PROGRESS,
            "As many bulk query operations as this API version allows are already in progress for this app and shop.",
        );
    };
    let state = c.state.clone();
    let base_url = c.base_url.clone();
    let version = c.version.clone();
    let id = rec.id;
    tokio::spawn(async move {
        set_running(&state, id);
        let req = Request::new(query).data(Ctx {
            state: state.clone(),
            base_url,
            version: version.clone(),
            bulk: true,
        });
        let resp = crate::shopify::versions::execute(&state, req, &version).await;
        let result = if resp.errors.is_empty() {
            let data = resp.data.into_json().unwrap_or(Value::Null);
            flatten(&data, group).map_err(|rule| {
                tracing::warn!(%rule, "bulk query failed");
            })
        } else {
            tracing::warn!(errors = ?resp.errors, "bulk query failed");
            Err(())
        };
        finish(&state, id, result);
    });
    BulkOperationRunQueryPayload {
        bulk_operation: Some(BulkOperation(rec)),
        user_errors: Vec::new(),
    }
}

/// At most this many connections in a bulk query.
const MAX_CONNECTIONS: usize = 5;
/// Connections nested at most this deep in a bulk query.
const MAX_CONNECTION_DEPTH: usize = 2;

/// The connections of a bulk query: how many, and how deep the deepest is nested. A field
/// is a connection when it selects `edges` or `nodes`; fragments are followed.
fn connections(text: &str) -> Option<(usize, usize)> {
    use async_graphql::parser::types::{ExecutableDocument, Field, Selection, SelectionSet};
    fn fields<'a>(
        doc: &'a ExecutableDocument,
        set: &'a SelectionSet,
        out: &mut Vec<&'a Field>,
        guard: usize,
    ) {
        if guard > 32 {
            return;
        }
        for item in &set.items {
            match &item.node {
                Selection::Field(f) => out.push(&f.node),
                Selection::FragmentSpread(spread) => {
                    if let Some(fragment) = doc.fragments.get(&spread.node.fragment_name.node) {
                        fields(doc, &fragment.node.selection_set.node, out, guard + 1);
                    }
                }
                Selection::InlineFragment(inline) => {
                    fields(doc, &inline.node.selection_set.node, out, guard + 1);
                }
            }
        }
    }
    fn walk(
        doc: &ExecutableDocument,
        set: &SelectionSet,
        depth: usize,
        found: &mut (usize, usize),
        guard: usize,
    ) {
        if guard > 64 {
            return;
        }
        let mut here = Vec::new();
        fields(doc, set, &mut here, 0);
        for field in here {
            let mut inner = Vec::new();
            fields(doc, &field.selection_set.node, &mut inner, 0);
            let connection = inner
                .iter()
                .any(|f| matches!(f.name.node.as_str(), "edges" | "nodes"));
            let depth = depth + usize::from(connection);
            if connection {
                found.0 += 1;
                found.1 = found.1.max(depth);
            }
            walk(doc, &field.selection_set.node, depth, found, guard + 1);
        }
    }
    let doc = async_graphql::parser::parse_query(text).ok()?;
    let (_, op) = doc.operations.iter().next()?;
    let mut found = (0, 0);
    walk(&doc, &op.node.selection_set.node, 0, &mut found, 0);
    Some(found)
}

/// Turns the data of a bulk query into JSONL lines: (text, objects, root objects); `Err`
/// names the rule the data breaks (a nested connection whose holder has no `id`).
fn flatten(data: &Value, group: bool) -> Result<(String, u64, u64), String> {
    let mut lines = Vec::new();
    let mut roots = 0;
    if let Some(root) = data.as_object().and_then(|m| m.values().next()) {
        match nodes_of(root) {
            Some(nodes) => {
                for n in nodes {
                    roots += 1;
                    emit_node(n, None, &mut lines)?;
                }
            }
            None => {
                roots = 1;
                emit_node(root, None, &mut lines)?;
            }
        }
    }
    if !group {
        // Roots first, nested objects after (a stable partition).
        lines.sort_by_key(|(nested, _)| *nested);
    }
    let lines: Vec<String> = lines.into_iter().map(|(_, line)| line).collect();
    let count = lines.len() as u64;
    let mut text = lines.join("\n");
    if !text.is_empty() {
        text.push('\n');
    }
    Ok((text, count, roots))
}

fn nodes_of(v: &Value) -> Option<Vec<&Value>> {
    let obj = v.as_object()?;
    if let Some(edges) = obj.get("edges").and_then(Value::as_array) {
        return Some(edges.iter().filter_map(|e| e.get("node")).collect());
    }
    obj.get("nodes")
        .and_then(Value::as_array)
        .map(|n| n.iter().collect())
}

fn is_connection(v: &Value) -> bool {
    v.get("edges").is_some() || v.get("nodes").is_some()
}

/// `obj` without its connections, wherever they are in it (in its fields, in objects and
/// lists below them); each connection's nodes go to `children` with the id of the object
/// that holds the connection.
fn without_connections<'a>(
    obj: &'a Map<String, Value>,
    children: &mut Vec<(String, &'a Value)>,
) -> Result<Map<String, Value>, String> {
    let id = obj.get("id").and_then(Value::as_str);
    let mut own = Map::new();
    for (k, v) in obj {
        if is_connection(v) {
            let Some(id) = id else {
                return Err(format!(
                    "the object holding the connection `{k}` selects no `id`, which its nodes' `__parentId` needs"
                ));
            };
            children.extend(
                nodes_of(v)
                    .into_iter()
                    .flatten()
                    .map(|n| (id.to_owned(), n)),
            );
        } else {
            own.insert(k.clone(), value_without_connections(v, children)?);
        }
    }
    Ok(own)
}

fn value_without_connections<'a>(
    v: &'a Value,
    children: &mut Vec<(String, &'a Value)>,
) -> Result<Value, String> {
    Ok(match v {
        Value::Object(m) => Value::Object(without_connections(m, children)?),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| value_without_connections(item, children))
                .collect::<Result<_, _>>()?,
        ),
        other => other.clone(),
    })
}

fn emit_node(
    node: &Value,
    parent: Option<&str>,
    lines: &mut Vec<(bool, String)>,
) -> Result<(), String> {
    let Some(obj) = node.as_object() else {
        return Ok(());
    };
    let mut children = Vec::new();
    let mut own = without_connections(obj, &mut children)?;
    if let Some(p) = parent {
        own.insert("__parentId".to_string(), Value::String(p.to_string()));
    }
    lines.push((parent.is_some(), Value::Object(own).to_string()));
    for (holder, child) in children {
        emit_node(child, Some(&holder), lines)?;
    }
    Ok(())
}

/// Starts a bulk mutation over the staged JSONL file at `staged_path`.
pub(crate) fn run_mutation(
    c: &Ctx,
    mutation: String,
    staged_path: String,
) -> BulkOperationRunMutationPayload {
    let err = |code, f: &str, m: &str| BulkOperationRunMutationPayload {
        bulk_operation: None,
        user_errors: vec![BulkMutationUserError::new(code, path(&[f]), m)],
    };
    match operation_kind(&mutation) {
        Some((OperationType::Mutation, 1)) => {}
        _ => {
            return err(
                BulkMutationErrorCode::INVALID_MUTATION,
                "mutation",
                "Invalid mutation: it must be one mutation operation with exactly one top-level field.",
            );
        }
    }
    let file = lock(&c.state.store)
        .staged
        .get(&staged_path)
        .and_then(|s| s.bytes.clone());
    let Some(file) = file else {
        return err(
            BulkMutationErrorCode::NO_SUCH_FILE,
            "stagedUploadPath",
            "The JSONL file could not be found. Try uploading the file again.",
        );
    };
    let Ok(text) = String::from_utf8(file.to_vec()) else {
        return err(
            BulkMutationErrorCode::INVALID_STAGED_UPLOAD_FILE,
            "stagedUploadPath",
            "The staged file is not UTF-8 JSONL.",
        );
    };
    let mut inputs = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(m)) => inputs.push((i, Value::Object(m))),
            _ => {
                return err(
                    BulkMutationErrorCode::INVALID_STAGED_UPLOAD_FILE,
                    "stagedUploadPath",
                    &format!("Line {} of the staged file is not a JSON object.", i + 1),
                );
            }
        }
    }
    let Ok(rec) = start(&c.state, true, &mutation, &c.version) else {
        return err(
            BulkMutationErrorCode::OPERATION_IN_PROGRESS,
            "mutation",
            "A bulk mutation operation for this app and shop is already in progress.",
        );
    };
    let state = c.state.clone();
    let base_url = c.base_url.clone();
    let version = c.version.clone();
    let id = rec.id;
    tokio::spawn(async move {
        set_running(&state, id);
        let mut out = String::new();
        let n = inputs.len() as u64;
        for (line_no, vars) in inputs {
            let req = Request::new(mutation.clone())
                .variables(Variables::from_json(vars))
                .data(Ctx {
                    state: state.clone(),
                    base_url: base_url.clone(),
                    version: version.clone(),
                    bulk: false,
                });
            let resp = crate::shopify::versions::execute(&state, req, &version).await;
            let mut line = json!({"data": resp.data.into_json().unwrap_or(Value::Null), "__lineNumber": line_no});
            if !resp.errors.is_empty() {
                line["errors"] = serde_json::to_value(&resp.errors).unwrap_or(Value::Null);
            }
            out.push_str(&line.to_string());
            out.push('\n');
        }
        finish(&state, id, Ok((out, n, n)));
    });
    BulkOperationRunMutationPayload {
        bulk_operation: Some(BulkOperation(rec)),
        user_errors: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_grouping_every_root_comes_before_the_nested_lines() {
        let data = json!({"products": {"edges": [
            {"node": {"id": "P1", "variants": {"edges": [{"node": {"id": "V1"}}]}}},
            {"node": {"id": "P2", "variants": {"edges": [{"node": {"id": "V2"}}]}}}
        ]}});
        let ids = |group| {
            let (text, _, _) = flatten(&data, group).unwrap();
            text.lines()
                .map(|l| serde_json::from_str::<Value>(l).unwrap()["id"].clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(true), vec!["P1", "V1", "P2", "V2"]);
        assert_eq!(ids(false), vec!["P1", "P2", "V1", "V2"]);
    }

    #[test]
    fn five_bulk_queries_at_once_from_2026_01_one_before_and_one_mutation_always() {
        assert_eq!(concurrent_limit(false, "2025-10"), 1);
        assert_eq!(concurrent_limit(false, "2026-01"), 5);
        assert_eq!(concurrent_limit(false, "2026-10"), 5);
        assert_eq!(concurrent_limit(true, "2026-10"), 1);
    }

    #[test]
    fn a_connection_inside_a_list_is_flattened_under_the_object_holding_it() {
        let data = json!({"orders": {"edges": [
            {"node": {"id": "gid://shopify/Order/1",
                      "refunds": [{"id": "gid://shopify/Refund/2",
                                   "refundLineItems": {"nodes": [{"id": "gid://shopify/RefundLineItem/3"}]},
                                   "transactions": {"edges": [{"node": {"id": "gid://shopify/OrderTransaction/4"}}]}}]}}
        ]}});
        let (text, objects, roots) = flatten(&data, true).unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!((objects, roots), (3, 1));
        assert_eq!(
            lines[0],
            json!({"id": "gid://shopify/Order/1", "refunds": [{"id": "gid://shopify/Refund/2"}]})
        );
        assert_eq!(lines[1]["__parentId"], "gid://shopify/Refund/2");
        assert_eq!(lines[2]["__parentId"], "gid://shopify/Refund/2");
        let holder_without_id = json!({"orders": {"nodes": [
            {"id": "gid://shopify/Order/1", "refunds": [{"refundLineItems": {"nodes": []}}]}
        ]}});
        let rule = flatten(&holder_without_id, true).unwrap_err();
        assert!(rule.contains("selects no `id`"), "{rule}");
    }

    #[test]
    fn connections_are_counted_through_fragments_and_lists() {
        let five = "query { orders { edges { node { ...O } } } }
            fragment O on Order { id lineItems { nodes { id } } shippingLines { nodes { id } }
              refunds { id refundLineItems { nodes { id } } transactions { nodes { id } } } }";
        assert_eq!(connections(five), Some((5, 2)));
        let deep = "query { products { edges { node { id variants { edges { node { id
            metafields { edges { node { id } } } } } } } } } }";
        assert_eq!(connections(deep), Some((3, 3)));
    }

    #[test]
    fn flattens_nested_connections_with_parent_ids() {
        let data = json!({"products": {"edges": [
            {"node": {"id": "gid://shopify/Product/1", "title": "A",
                      "variants": {"edges": [{"node": {"id": "gid://shopify/ProductVariant/2", "sku": "A-1"}}]}}}
        ]}});
        let (text, objects, roots) = flatten(&data, true).unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!((objects, roots), (2, 1));
        assert_eq!(
            lines[0],
            json!({"id": "gid://shopify/Product/1", "title": "A"})
        );
        assert_eq!(lines[1]["__parentId"], "gid://shopify/Product/1");
        assert_eq!(lines[1]["sku"], "A-1");
    }
}
