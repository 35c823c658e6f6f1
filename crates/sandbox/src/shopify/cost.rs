//! Calculated query cost and the per-shop leaky bucket.
//!
//! Cost rules (from the Shopify rate-limits page, see `specs/shopify.md` §2):
//! - a scalar or enum field costs 0;
//! - an object field costs 1 plus its selection (a list of objects is counted like one object);
//! - a connection field costs `2 + n × (1 + node selection)` where `n` is its `first`/`last`;
//!   `pageInfo` and `cursor` are free;
//! - each root field of a mutation costs 10, whatever it selects;
//! - the actual cost uses the number of nodes returned instead of `n`, and the difference
//!   is given back to the bucket after the request ran.

use std::collections::{HashMap, HashSet};

use async_graphql::parser::types::{
    BaseType, DocumentOperations, ExecutableDocument, Field, OperationType, Selection,
    SelectionSet, TypeKind, TypeSystemDefinition,
};
use async_graphql::{Name, Value as GqlValue};
use serde_json::Value;

/// Cost of a root mutation field.
pub(crate) const MUTATION_COST: u64 = 10;

/// What the cost walk needs to know about the schema: each field's named return type and
/// which types are leaves (scalars, enums).
#[derive(Debug, Default)]
pub(crate) struct TypeInfo {
    fields: HashMap<String, HashMap<String, String>>,
    leaves: HashSet<String>,
    query_root: String,
}

impl TypeInfo {
    /// Builds the type table from the SDL of the served schema.
    pub(crate) fn from_sdl(sdl: &str) -> TypeInfo {
        let mut info = TypeInfo {
            query_root: "QueryRoot".to_string(),
            ..TypeInfo::default()
        };
        for s in ["String", "Int", "Float", "Boolean", "ID"] {
            info.leaves.insert(s.to_string());
        }
        let Ok(doc) = async_graphql::parser::parse_schema(sdl) else {
            return info;
        };
        for def in doc.definitions {
            match def {
                TypeSystemDefinition::Type(t) => {
                    let t = t.node;
                    let name = t.name.node.to_string();
                    let fields = match t.kind {
                        TypeKind::Scalar | TypeKind::Enum(_) => {
                            info.leaves.insert(name);
                            continue;
                        }
                        TypeKind::Object(o) => o.fields,
                        TypeKind::Interface(i) => i.fields,
                        _ => continue,
                    };
                    let map = fields
                        .into_iter()
                        .map(|f| {
                            let mut ty = &f.node.ty.node;
                            while let BaseType::List(inner) = &ty.base {
                                ty = inner;
                            }
                            let named = match &ty.base {
                                BaseType::Named(n) => n.to_string(),
                                BaseType::List(_) => String::new(),
                            };
                            (f.node.name.node.to_string(), named)
                        })
                        .collect();
                    info.fields.insert(name, map);
                }
                TypeSystemDefinition::Schema(s) => {
                    if let Some(q) = s.node.query {
                        info.query_root = q.node.to_string();
                    }
                }
                TypeSystemDefinition::Directive(_) => {}
            }
        }
        info
    }

    fn field_type(&self, parent: &str, field: &str) -> Option<&str> {
        self.fields.get(parent)?.get(field).map(String::as_str)
    }

    fn is_connection(&self, ty: &str) -> bool {
        ty.ends_with("Connection")
            && self
                .fields
                .get(ty)
                .is_some_and(|f| f.contains_key("pageInfo"))
    }
}

/// The operation a request runs, with its kind.
pub(crate) struct Planned<'a> {
    doc: &'a ExecutableDocument,
    op_set: &'a SelectionSet,
    mutation: bool,
}

/// Picks the operation of `doc` named `name` (or the only one).
pub(crate) fn plan<'a>(doc: &'a ExecutableDocument, name: Option<&str>) -> Option<Planned<'a>> {
    let op = match (&doc.operations, name) {
        (DocumentOperations::Single(op), _) => op,
        (DocumentOperations::Multiple(ops), Some(n)) => ops.get(&Name::new(n))?,
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next()?,
        _ => return None,
    };
    Some(Planned {
        doc,
        op_set: &op.node.selection_set.node,
        mutation: op.node.ty == OperationType::Mutation,
    })
}

impl Planned<'_> {
    /// The requested cost.
    pub(crate) fn requested(&self, info: &TypeInfo, vars: &Value) -> u64 {
        if self.mutation {
            return MUTATION_COST.saturating_mul(self.root_fields().len() as u64);
        }
        let walk = Walk {
            info,
            doc: self.doc,
            vars,
        };
        walk.set(&info.query_root, self.op_set, None)
    }

    /// The actual cost, given the `data` answered.
    pub(crate) fn actual(&self, info: &TypeInfo, vars: &Value, data: &Value) -> u64 {
        if self.mutation {
            return MUTATION_COST.saturating_mul(self.root_fields().len() as u64);
        }
        let walk = Walk {
            info,
            doc: self.doc,
            vars,
        };
        walk.set(&info.query_root, self.op_set, Some(data))
    }

    fn root_fields(&self) -> Vec<&Field> {
        let mut out = Vec::new();
        collect(self.doc, self.op_set, &mut out, 0);
        out.retain(|(_, f)| !f.name.node.starts_with("__"));
        out.into_iter().map(|(_, f)| f).collect()
    }
}

/// The fields a selection set selects, each with the type it is selected on when a fragment
/// names one (`... on InventoryItem { … }`, or a named fragment's `on` type): a field inside
/// a fragment on a more specific type is looked up on that type, not on the parent's (an
/// interface such as `Node` does not have it).
fn collect<'a>(
    doc: &'a ExecutableDocument,
    set: &'a SelectionSet,
    out: &mut Vec<(Option<&'a str>, &'a Field)>,
    depth: u32,
) {
    // A budget of visits keeps hostile fragment spreads (cycles, exponential fan-out) cheap;
    // such documents fail validation afterwards anyway.
    let mut budget = 10_000u32;
    collect_in(doc, set, None, out, depth, &mut budget);
}

fn collect_in<'a>(
    doc: &'a ExecutableDocument,
    set: &'a SelectionSet,
    on: Option<&'a str>,
    out: &mut Vec<(Option<&'a str>, &'a Field)>,
    depth: u32,
    budget: &mut u32,
) {
    if depth > 32 || *budget == 0 {
        return;
    }
    *budget -= 1;
    for item in &set.items {
        match &item.node {
            Selection::Field(f) => out.push((on, &f.node)),
            Selection::InlineFragment(frag) => {
                let on = frag
                    .node
                    .type_condition
                    .as_ref()
                    .map(|c| c.node.on.node.as_str())
                    .or(on);
                collect_in(
                    doc,
                    &frag.node.selection_set.node,
                    on,
                    out,
                    depth + 1,
                    budget,
                )
            }
            Selection::FragmentSpread(spread) => {
                if let Some(def) = doc.fragments.get(&spread.node.fragment_name.node) {
                    let on = Some(def.node.type_condition.node.on.node.as_str());
                    collect_in(
                        doc,
                        &def.node.selection_set.node,
                        on,
                        out,
                        depth + 1,
                        budget,
                    );
                }
            }
        }
    }
}

struct Walk<'a> {
    info: &'a TypeInfo,
    doc: &'a ExecutableDocument,
    vars: &'a Value,
}

impl Walk<'_> {
    /// Cost of a selection set on `ty`; with `data`, the actual cost against that object.
    fn set(&self, ty: &str, set: &SelectionSet, data: Option<&Value>) -> u64 {
        let mut fields = Vec::new();
        collect(self.doc, set, &mut fields, 0);
        fields
            .into_iter()
            .map(|(on, f)| {
                let key = f.alias.as_ref().map_or(&f.name.node, |a| &a.node);
                let value = data.map(|d| d.get(key.as_str()).unwrap_or(&Value::Null));
                self.field(on.unwrap_or(ty), f, value)
            })
            .fold(0u64, u64::saturating_add)
    }

    fn int_arg(&self, f: &Field, name: &str) -> Option<u64> {
        let (_, v) = f.arguments.iter().find(|(n, _)| n.node == name)?;
        let value = v
            .node
            .clone()
            .into_const_with(|name| {
                let json = self.vars.get(name.as_str()).cloned().unwrap_or(Value::Null);
                GqlValue::from_json(json).map_err(|_| ())
            })
            .ok()?;
        match value {
            GqlValue::Number(n) => n.as_u64(),
            _ => None,
        }
    }

    fn field(&self, parent: &str, f: &Field, data: Option<&Value>) -> u64 {
        if f.name.node.starts_with("__") {
            return 0;
        }
        let Some(ty) = self.info.field_type(parent, &f.name.node) else {
            return 0;
        };
        if self.info.leaves.contains(ty) {
            return 0;
        }
        if self.info.is_connection(ty) {
            return self.connection(ty, f, data);
        }
        match data {
            None => self.set(ty, &f.selection_set.node, None).saturating_add(1),
            Some(Value::Null) => 0,
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| self.set(ty, &f.selection_set.node, Some(i)))
                .max()
                .unwrap_or(0)
                .saturating_add(1),
            Some(obj) => self
                .set(ty, &f.selection_set.node, Some(obj))
                .saturating_add(1),
        }
    }

    fn connection(&self, ty: &str, f: &Field, data: Option<&Value>) -> u64 {
        let node_ty = self.info.field_type(ty, "nodes").unwrap_or("").to_string();
        let edge_ty = self.info.field_type(ty, "edges").unwrap_or("").to_string();
        let mut inner = Vec::new();
        collect(self.doc, &f.selection_set.node, &mut inner, 0);
        match data {
            None => {
                let n = self
                    .int_arg(f, "first")
                    .or_else(|| self.int_arg(f, "last"))
                    .unwrap_or(0);
                let mut per_item = 0;
                for (_, c) in &inner {
                    let cost = match c.name.node.as_str() {
                        "nodes" => self
                            .set(&node_ty, &c.selection_set.node, None)
                            .saturating_add(1),
                        "edges" => self.set(&edge_ty, &c.selection_set.node, None),
                        _ => 0,
                    };
                    per_item = per_item.max(cost);
                }
                n.saturating_mul(per_item).saturating_add(2)
            }
            Some(Value::Null) => 0,
            Some(conn) => {
                let mut best = 0;
                for (_, c) in &inner {
                    let key = c.alias.as_ref().map_or(&c.name.node, |a| &a.node);
                    let items = conn.get(key.as_str()).and_then(Value::as_array);
                    let cost: u64 = match (c.name.node.as_str(), items) {
                        ("nodes", Some(items)) => items
                            .iter()
                            .map(|i| {
                                self.set(&node_ty, &c.selection_set.node, Some(i))
                                    .saturating_add(1)
                            })
                            .fold(0u64, u64::saturating_add),
                        ("edges", Some(items)) => items
                            .iter()
                            .map(|i| self.set(&edge_ty, &c.selection_set.node, Some(i)))
                            .fold(0u64, u64::saturating_add),
                        _ => 0,
                    };
                    best = best.max(cost);
                }
                best.saturating_add(2)
            }
        }
    }
}

/// The throttle status reported in `extensions.cost.throttleStatus`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ThrottleStatus {
    pub(crate) maximum_available: f64,
    pub(crate) currently_available: f64,
    pub(crate) restore_rate: f64,
}

impl ThrottleStatus {
    pub(crate) fn to_json(self) -> Value {
        serde_json::json!({
            "maximumAvailable": self.maximum_available,
            "currentlyAvailable": self.currently_available.floor() as i64,
            "restoreRate": self.restore_rate,
        })
    }
}

/// A leaky bucket of cost points.
#[derive(Debug)]
pub(crate) struct Bucket {
    max: f64,
    rate: f64,
    available: f64,
    last: tokio::time::Instant,
}

impl Bucket {
    /// A full bucket of `max` points refilling at `rate` points per second.
    pub(crate) fn new(max: f64, rate: f64) -> Bucket {
        Bucket {
            max,
            rate,
            available: max,
            last: tokio::time::Instant::now(),
        }
    }

    fn refill(&mut self) {
        let now = tokio::time::Instant::now();
        let secs = now.duration_since(self.last).as_secs_f64();
        self.available = (self.available + secs * self.rate).min(self.max);
        self.last = now;
    }

    /// Takes `cost` points if the bucket holds them.
    pub(crate) fn try_take(&mut self, cost: u64) -> bool {
        self.refill();
        let cost = cost as f64;
        if cost <= self.available {
            self.available -= cost;
            true
        } else {
            false
        }
    }

    /// Gives back `points` (requested minus actual).
    pub(crate) fn refund(&mut self, points: u64) {
        self.refill();
        self.available = (self.available + points as f64).min(self.max);
    }

    /// Empties the bucket (for tests and demos).
    pub(crate) fn drain(&mut self) {
        self.refill();
        self.available = 0.0;
    }

    /// Current status.
    pub(crate) fn status(&mut self) -> ThrottleStatus {
        self.refill();
        ThrottleStatus {
            maximum_available: self.max,
            currently_available: self.available,
            restore_rate: self.rate,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SDL: &str = r#"
        schema { query: QueryRoot mutation: Mutation }
        type QueryRoot { shop: Shop! products(first: Int, last: Int): ProductConnection! nodes(ids: [ID!]!): [Node]! }
        interface Node { id: ID! }
        type InventoryItem implements Node { id: ID! levels(first: Int): ProductConnection! }
        type Mutation { productSet(x: Int): Shop }
        type Shop { id: ID! name: String! plan: Plan! }
        type Plan { shopifyPlus: Boolean! }
        type ProductConnection { edges: [ProductEdge!]! nodes: [Product!]! pageInfo: PageInfo! }
        type ProductEdge { cursor: String! node: Product! }
        type PageInfo { hasNextPage: Boolean! }
        type Product { id: ID! title: String! variants(first: Int): ProductConnection! }
    "#;

    #[test]
    fn requested_and_actual_cost_follow_the_rules() {
        let info = TypeInfo::from_sdl(SDL);
        let doc = async_graphql::parser::parse_query(
            "query($n: Int) { shop { name plan { shopifyPlus } } products(first: $n) { edges { node { id variants(first: 5) { nodes { id } } } } pageInfo { hasNextPage } } }",
        )
        .unwrap();
        let p = plan(&doc, None).unwrap();
        let vars = serde_json::json!({"n": 10});
        // shop: 1 + plan 1 = 2; products: 2 + 10 × (1 + (2 + 5 × 1)) = 82.
        assert_eq!(p.requested(&info, &vars), 84);
        let data = serde_json::json!({
            "shop": {"name": "x", "plan": {"shopifyPlus": false}},
            "products": {"edges": [{"node": {"id": "1", "variants": {"nodes": [{"id": "2"}]}}}],
                         "pageInfo": {"hasNextPage": false}}
        });
        // shop 2; products: 2 + (1 + (2 + 1)) = 6.
        assert_eq!(p.actual(&info, &vars, &data), 8);
        let m = async_graphql::parser::parse_query(
            "mutation { a: productSet(x: 1) { id } b: productSet(x: 2) { id } }",
        )
        .unwrap();
        assert_eq!(plan(&m, None).unwrap().requested(&info, &vars), 20);
    }

    #[test]
    fn fields_in_a_fragment_are_costed_on_the_fragment_type() {
        let info = TypeInfo::from_sdl(SDL);
        let doc = async_graphql::parser::parse_query(
            "{ nodes(ids: [\"a\", \"b\"]) { __typename ... on InventoryItem { id levels(first: 10) { nodes { id } } } } }",
        )
        .unwrap();
        let p = plan(&doc, None).unwrap();
        // A list of objects counts as one: 1 + levels (2 + 10 × 1), found on InventoryItem,
        // not on the `Node` interface the list holds.
        assert_eq!(p.requested(&info, &Value::Null), 13);
        let data = serde_json::json!({"nodes": [
            {"__typename": "InventoryItem", "id": "a", "levels": {"nodes": [{"id": "p"}]}},
            {"__typename": "InventoryItem", "id": "b", "levels": {"nodes": [{"id": "p"}, {"id": "q"}]}}
        ]});
        // The costliest item: 1 + (2 + 2 × 1).
        assert_eq!(p.actual(&info, &Value::Null, &data), 5);
        // The same through a named fragment.
        let doc = async_graphql::parser::parse_query(
            "{ nodes(ids: [\"a\"]) { ...Item } } fragment Item on InventoryItem { levels(first: 4) { nodes { id } } }",
        )
        .unwrap();
        assert_eq!(plan(&doc, None).unwrap().requested(&info, &Value::Null), 7);
    }

    #[test]
    fn hostile_fragments_and_huge_pages_neither_hang_nor_overflow() {
        let info = TypeInfo::from_sdl(SDL);
        let mut q = String::from("{ shop { ...F0 } }");
        for i in 0..40 {
            q.push_str(&format!(
                " fragment F{i} on Shop {{ ...F{n} ...F{n} }}",
                n = i + 1
            ));
        }
        q.push_str(" fragment F40 on Shop { name }");
        let doc = async_graphql::parser::parse_query(&q).unwrap();
        let cost = plan(&doc, None).unwrap().requested(&info, &Value::Null);
        assert!(cost >= 1);
        let doc = async_graphql::parser::parse_query(
            "{ products(first: 2147483647) { nodes { variants(first: 2147483647) { nodes { variants(first: 2147483647) { nodes { id } } } } } } }",
        )
        .unwrap();
        assert_eq!(
            plan(&doc, None).unwrap().requested(&info, &Value::Null),
            u64::MAX
        );
    }

    #[tokio::test(start_paused = true)]
    async fn bucket_leaks_and_refills() {
        let mut b = Bucket::new(100.0, 10.0);
        assert!(b.try_take(80));
        assert!(!b.try_take(30));
        tokio::time::advance(std::time::Duration::from_secs(1)).await;
        assert!(b.try_take(30));
        b.refund(5);
        assert_eq!(b.status().currently_available.floor() as i64, 5);
    }
}
