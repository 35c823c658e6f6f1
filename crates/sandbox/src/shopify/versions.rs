//! API versions: which one a request is served with (Shopify falls forward to the oldest
//! supported version), what each version's schema holds, and checking a request against it.
//!
//! One async-graphql schema holds the members of every version; a member that exists only
//! from (or only until) a version carries a visibility gate from this module. The schema a
//! version serves is what introspection shows with that version's gates, and a request is
//! checked against it before it runs: a field, argument, input field, enum value or type the
//! version does not have is refused as Shopify refuses an unknown one.

use std::collections::{BTreeMap, HashSet};

use async_graphql::parser::types::{
    BaseType, ExecutableDocument, OperationType, Selection, SelectionSet, Type,
};
use async_graphql::{Context, Pos, Request, Response, ServerError, Value as GqlValue};
use serde_json::Value;

use super::{ShopSchema, ShopifyState};

/// The first version with the 2026-04 inventory rules (`isActive`, `includeInactive`,
/// mandatory `@idempotent`, no `compareQuantity`).
pub(crate) const V2026_04: &str = "2026-04";
/// The first version with the 2026-10 rules (no `ITEM_NOT_STOCKED_AT_LOCATION`,
/// `FULFILLMENT_NOT_REQUIRED`).
pub(crate) const V2026_10: &str = "2026-10";

/// The version a request is served with, in the request's data (read by the gates).
#[derive(Debug, Clone)]
pub(crate) struct Served(pub(crate) String);

fn served<'a>(ctx: &'a Context<'_>) -> Option<&'a str> {
    ctx.data_opt::<Served>().map(|s| s.0.as_str())
}

/// Gate: the member exists from 2026-04 on.
pub(crate) fn since_2026_04(ctx: &Context<'_>) -> bool {
    served(ctx).is_none_or(|v| v >= V2026_04)
}

/// Gate: the member was removed in 2026-04.
pub(crate) fn before_2026_04(ctx: &Context<'_>) -> bool {
    served(ctx).is_none_or(|v| v < V2026_04)
}

/// The first version with `Customer.taxSettings` (the customer's tax id).
pub(crate) const V2026_07: &str = "2026-07";

/// Gate: the member exists from 2026-07 on.
pub(crate) fn since_2026_07(ctx: &Context<'_>) -> bool {
    served(ctx).is_none_or(|v| v >= V2026_07)
}

/// Gate: the member exists from 2026-10 on.
pub(crate) fn since_2026_10(ctx: &Context<'_>) -> bool {
    served(ctx).is_none_or(|v| v >= V2026_10)
}

/// Gate: the member was removed in 2026-10.
pub(crate) fn before_2026_10(ctx: &Context<'_>) -> bool {
    served(ctx).is_none_or(|v| v < V2026_10)
}

/// The stable release before `v` (`YYYY-MM`, quarterly: 01, 04, 07, 10).
fn previous_release(v: &str) -> Option<String> {
    let (y, m) = v.split_once('-')?;
    let (y, m): (u32, u32) = (y.parse().ok()?, m.parse().ok()?);
    match m {
        1 => Some(format!("{}-10", y.checked_sub(1)?)),
        4 | 7 | 10 => Some(format!("{y}-{:02}", m - 3)),
        _ => None,
    }
}

/// How many releases before the oldest supported one still fall forward (a year of them).
const RETIRED_WINDOW: usize = 4;

/// The version served for a `requested` one: itself when supported; for one of the four
/// releases before the oldest supported one (retired in the last year), the oldest supported
/// one (Shopify falls forward); `None` (404) for anything else (older, future or malformed
/// handles: the stand-in is strict).
pub(crate) fn resolve(supported: &[String], requested: &str) -> Option<String> {
    if supported.iter().any(|v| v == requested) {
        return Some(requested.to_string());
    }
    let oldest = supported.iter().min()?;
    let mut v = oldest.clone();
    for _ in 0..RETIRED_WINDOW {
        v = previous_release(&v)?;
        if v == requested {
            return Some(oldest.clone());
        }
    }
    None
}

/// One argument or input field.
#[derive(Debug, Clone)]
struct InputDef {
    ty: String,
    named: String,
    default: Option<String>,
}

/// One output field.
#[derive(Debug, Clone)]
struct FieldDef {
    ty: String,
    named: String,
    args: BTreeMap<String, InputDef>,
}

#[derive(Debug, Clone, Default)]
struct TypeDef {
    kind: String,
    fields: BTreeMap<String, FieldDef>,
    inputs: BTreeMap<String, InputDef>,
    values: Vec<String>,
    interfaces: Vec<String>,
    possible: Vec<String>,
}

/// The schema one version serves: the members introspection shows for it.
#[derive(Debug, Clone, Default)]
pub(crate) struct ServedSchema {
    types: BTreeMap<String, TypeDef>,
}

const INTROSPECTION: &str = r#"{ __schema { types {
  kind name
  fields(includeDeprecated: true) { name type { ...R } args(includeDeprecated: true) { name type { ...R } defaultValue } }
  inputFields(includeDeprecated: true) { name type { ...R } defaultValue }
  enumValues(includeDeprecated: true) { name }
  interfaces { name } possibleTypes { name }
} } }
fragment R on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } }"#;

/// `[X!]!` from an introspection type reference, and the named type inside.
fn type_ref(v: &Value) -> (String, String) {
    match v["kind"].as_str() {
        Some("NON_NULL") => {
            let (t, n) = type_ref(&v["ofType"]);
            (format!("{t}!"), n)
        }
        Some("LIST") => {
            let (t, n) = type_ref(&v["ofType"]);
            (format!("[{t}]"), n)
        }
        _ => {
            let n = v["name"].as_str().unwrap_or_default().to_string();
            (n.clone(), n)
        }
    }
}

fn input_def(v: &Value) -> (String, InputDef) {
    let (ty, named) = type_ref(&v["type"]);
    let name = v["name"].as_str().unwrap_or_default().to_string();
    let default = v["defaultValue"].as_str().map(str::to_string);
    (name, InputDef { ty, named, default })
}

fn names(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

impl ServedSchema {
    /// Introspects `schema` as `version` serves it.
    pub(crate) fn introspect(schema: &ShopSchema, version: &str) -> ServedSchema {
        let req = Request::new(INTROSPECTION).data(Served(version.to_string()));
        let resp = futures::executor::block_on(schema.execute(req));
        let data = resp.data.into_json().unwrap_or(Value::Null);
        let mut types = BTreeMap::new();
        for t in data["__schema"]["types"].as_array().into_iter().flatten() {
            let Some(name) = t["name"].as_str() else {
                continue;
            };
            let fields = t["fields"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|f| {
                    let (ty, named) = type_ref(&f["type"]);
                    let args = f["args"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(input_def)
                        .collect();
                    let name = f["name"].as_str().unwrap_or_default().to_string();
                    (name, FieldDef { ty, named, args })
                })
                .collect();
            let inputs = t["inputFields"]
                .as_array()
                .into_iter()
                .flatten()
                .map(input_def)
                .collect();
            types.insert(
                name.to_string(),
                TypeDef {
                    kind: t["kind"].as_str().unwrap_or_default().to_string(),
                    fields,
                    inputs,
                    values: names(&t["enumValues"]),
                    interfaces: names(&t["interfaces"]),
                    possible: names(&t["possibleTypes"]),
                },
            );
        }
        ServedSchema { types }
    }

    /// The schema as SDL (types in name order; no descriptions or directives).
    pub(crate) fn sdl(&self) -> String {
        let mut out = String::from("schema {\n  query: QueryRoot\n  mutation: Mutation\n}\n");
        let arg = |(n, a): (&String, &InputDef)| match &a.default {
            Some(d) => format!("{n}: {} = {d}", a.ty),
            None => format!("{n}: {}", a.ty),
        };
        for (name, t) in &self.types {
            if name.starts_with("__")
                || ["String", "Int", "Float", "Boolean", "ID"].contains(&name.as_str())
            {
                continue;
            }
            out.push('\n');
            match t.kind.as_str() {
                "SCALAR" => out.push_str(&format!("scalar {name}\n")),
                "UNION" => out.push_str(&format!("union {name} = {}\n", t.possible.join(" | "))),
                "ENUM" => {
                    out.push_str(&format!("enum {name} {{\n"));
                    for v in &t.values {
                        out.push_str(&format!("  {v}\n"));
                    }
                    out.push_str("}\n");
                }
                "INPUT_OBJECT" => {
                    out.push_str(&format!("input {name} {{\n"));
                    for f in &t.inputs {
                        out.push_str(&format!("  {}\n", arg(f)));
                    }
                    out.push_str("}\n");
                }
                kind => {
                    let word = if kind == "INTERFACE" {
                        "interface"
                    } else {
                        "type"
                    };
                    out.push_str(&format!("{word} {name}"));
                    if !t.interfaces.is_empty() {
                        out.push_str(&format!(" implements {}", t.interfaces.join(" & ")));
                    }
                    out.push_str(" {\n");
                    for (f, def) in &t.fields {
                        let args: Vec<String> = def.args.iter().map(arg).collect();
                        if args.is_empty() {
                            out.push_str(&format!("  {f}: {}\n", def.ty));
                        } else {
                            out.push_str(&format!("  {f}({}): {}\n", args.join(", "), def.ty));
                        }
                    }
                    out.push_str("}\n");
                }
            }
        }
        out
    }

    /// Checks a request against this version's schema: the errors, empty when it may run.
    /// Syntax errors are left to the executor.
    pub(crate) fn check(&self, req: &Request) -> Vec<ServerError> {
        let Ok(doc) = async_graphql::parser::parse_query(&req.query) else {
            return Vec::new();
        };
        let vars = serde_json::to_value(&req.variables).unwrap_or(Value::Null);
        let mut c = Checker {
            schema: self,
            doc: &doc,
            errors: Vec::new(),
            visited: HashSet::new(),
        };
        for (_, op) in doc.operations.iter() {
            let root = match op.node.ty {
                OperationType::Query => "QueryRoot",
                OperationType::Mutation => "Mutation",
                OperationType::Subscription => "Subscription",
            };
            for v in &op.node.variable_definitions {
                let name = v.node.name.node.as_str();
                c.variable(name, &v.node.var_type.node, &vars[name], v.pos);
            }
            c.set(root, &op.node.selection_set.node);
        }
        c.errors
    }
}

struct Checker<'a> {
    schema: &'a ServedSchema,
    doc: &'a ExecutableDocument,
    errors: Vec<ServerError>,
    visited: HashSet<(String, String)>,
}

fn error(message: String, pos: Pos, code: &str) -> ServerError {
    let mut e = ServerError::new(message, Some(pos));
    let mut ext = async_graphql::ErrorExtensionValues::default();
    ext.set("code", code);
    e.extensions = Some(ext);
    e
}

fn named(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(n) => n.as_str(),
        BaseType::List(inner) => named(inner),
    }
}

impl Checker<'_> {
    fn set(&mut self, parent: &str, set: &SelectionSet) {
        for sel in &set.items {
            match &sel.node {
                Selection::Field(f) => {
                    let name = f.node.name.node.as_str();
                    if name.starts_with("__") {
                        continue;
                    }
                    let Some(def) = self
                        .schema
                        .types
                        .get(parent)
                        .and_then(|t| t.fields.get(name))
                        .cloned()
                    else {
                        if self.schema.types.contains_key(parent) {
                            self.errors.push(error(
                                format!("Field '{name}' doesn't exist on type '{parent}'"),
                                f.pos,
                                "undefinedField",
                            ));
                        }
                        continue;
                    };
                    for (arg, value) in &f.node.arguments {
                        let arg = arg.node.as_str();
                        match def.args.get(arg) {
                            None => self.errors.push(error(
                                format!("Field '{name}' doesn't accept argument '{arg}'"),
                                value.pos,
                                "argumentNotAccepted",
                            )),
                            Some(a) => {
                                let Ok(v) = value.node.clone().into_const_with(|_| {
                                    Ok::<_, std::convert::Infallible>(GqlValue::Null)
                                });
                                let v = v.into_json().unwrap_or(Value::Null);
                                self.value(&a.named, &v, value.pos, arg);
                            }
                        }
                    }
                    self.set(&def.named, &f.node.selection_set.node);
                }
                Selection::InlineFragment(i) => {
                    let on = i
                        .node
                        .type_condition
                        .as_ref()
                        .map_or(parent.to_string(), |c| c.node.on.node.to_string());
                    if self.known_type(&on, i.pos) {
                        self.set(&on, &i.node.selection_set.node);
                    }
                }
                Selection::FragmentSpread(s) => {
                    let name = s.node.fragment_name.node.to_string();
                    let Some(frag) = self.doc.fragments.get(s.node.fragment_name.node.as_str())
                    else {
                        continue;
                    };
                    let on = frag.node.type_condition.node.on.node.to_string();
                    if self.visited.insert((name, on.clone())) && self.known_type(&on, s.pos) {
                        self.set(&on, &frag.node.selection_set.node);
                    }
                }
            }
        }
    }

    fn known_type(&mut self, name: &str, pos: Pos) -> bool {
        if self.schema.types.contains_key(name) {
            return true;
        }
        self.errors.push(error(
            format!("No such type {name}, so it can't be a fragment condition"),
            pos,
            "undefinedType",
        ));
        false
    }

    fn variable(&mut self, name: &str, ty: &Type, value: &Value, pos: Pos) {
        let ty_name = named(ty);
        if !self.schema.types.contains_key(ty_name) {
            self.errors.push(error(
                format!("{ty_name} isn't a defined input type (on ${name})"),
                pos,
                "variableRequiresValidType",
            ));
            return;
        }
        self.value(ty_name, value, pos, &format!("${name}"));
    }

    /// Checks an input value (input object keys, enum values) against a named type.
    fn value(&mut self, ty: &str, value: &Value, pos: Pos, at: &str) {
        let Some(t) = self.schema.types.get(ty) else {
            return;
        };
        match value {
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    self.value(ty, v, pos, &format!("{at}.{i}"));
                }
            }
            Value::Object(map) if t.kind == "INPUT_OBJECT" => {
                let t = t.clone();
                for (k, v) in map {
                    match t.inputs.get(k) {
                        None => self.errors.push(error(
                            format!("{at}.{k}: field is not defined on {ty}"),
                            pos,
                            "argumentLiteralsIncompatible",
                        )),
                        Some(f) => self.value(&f.named, v, pos, &format!("{at}.{k}")),
                    }
                }
            }
            Value::String(s) if t.kind == "ENUM" && !t.values.contains(s) => {
                self.errors.push(error(
                    format!("{at}: expected type '{ty}', got '{s}' (not a value of {ty})"),
                    pos,
                    "argumentLiteralsIncompatible",
                ));
            }
            _ => {}
        }
    }
}

/// Runs a request as `version` serves it: refused when it names a member the version does
/// not have, executed otherwise.
pub(crate) async fn execute(state: &ShopifyState, req: Request, version: &str) -> Response {
    let errors = match state.served.get(version) {
        Some(s) => s.check(&req),
        None => ServedSchema::introspect(&state.schema, version).check(&req),
    };
    if !errors.is_empty() {
        return Response::from_errors(errors);
    }
    state
        .schema
        .execute(req.data(Served(version.to_string())))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn falls_forward_to_the_oldest_supported_version() {
        let supported = vec!["2026-10".to_string(), "2026-01".to_string()];
        assert_eq!(resolve(&supported, "2026-10").as_deref(), Some("2026-10"));
        assert_eq!(resolve(&supported, "2025-10").as_deref(), Some("2026-01"));
        assert_eq!(resolve(&supported, "2025-01").as_deref(), Some("2026-01"));
        assert_eq!(resolve(&supported, "2024-10"), None);
        assert_eq!(resolve(&supported, "2019-01"), None);
        assert_eq!(resolve(&supported, "2026-04"), None);
        assert_eq!(resolve(&supported, "2027-01"), None);
        assert_eq!(resolve(&supported, "unstable"), None);
        assert_eq!(resolve(&supported, "graphql"), None);
        assert_eq!(resolve(&[], "2026-01"), None);
    }
}
