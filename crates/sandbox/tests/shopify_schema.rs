//! The served schema is a subset of the real Admin API schema of its version (2026-01 and
//! 2026-10): every type, field, argument, input field and enum value the stand-in serves for
//! the version exists in the vendored schema with the same type, and every input object keeps
//! the real one's required fields.

use std::collections::HashMap;
use std::io::Read;

use async_graphql::parser::parse_schema;
use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};

#[derive(Debug, Default)]
struct Ty {
    kind: &'static str,
    /// field -> (type, args name -> type)
    fields: HashMap<String, (String, HashMap<String, String>)>,
    /// input field -> (type, has default)
    inputs: HashMap<String, (String, bool)>,
    values: Vec<String>,
}

fn types(sdl: &str) -> HashMap<String, Ty> {
    let doc = parse_schema(sdl).expect("SDL parses");
    let mut out = HashMap::new();
    for def in doc.definitions {
        let TypeSystemDefinition::Type(t) = def else {
            continue;
        };
        let t = t.node;
        let mut ty = Ty::default();
        match t.kind {
            TypeKind::Scalar => ty.kind = "scalar",
            TypeKind::Union(_) => ty.kind = "union",
            TypeKind::Enum(e) => {
                ty.kind = "enum";
                ty.values = e
                    .values
                    .into_iter()
                    .map(|v| v.node.value.node.to_string())
                    .collect();
            }
            TypeKind::Object(o) => {
                ty.kind = "object";
                for f in o.fields {
                    let args = f
                        .node
                        .arguments
                        .iter()
                        .map(|a| (a.node.name.node.to_string(), a.node.ty.node.to_string()))
                        .collect();
                    ty.fields.insert(
                        f.node.name.node.to_string(),
                        (f.node.ty.node.to_string(), args),
                    );
                }
            }
            TypeKind::Interface(i) => {
                ty.kind = "interface";
                for f in i.fields {
                    ty.fields.insert(
                        f.node.name.node.to_string(),
                        (f.node.ty.node.to_string(), HashMap::new()),
                    );
                }
            }
            TypeKind::InputObject(i) => {
                ty.kind = "input";
                for f in i.fields {
                    ty.inputs.insert(
                        f.node.name.node.to_string(),
                        (f.node.ty.node.to_string(), f.node.default_value.is_some()),
                    );
                }
            }
        }
        out.insert(t.name.node.to_string(), ty);
    }
    out
}

#[test]
fn served_schema_is_a_subset_of_the_real_admin_schema() {
    check_subset(&sandbox::shopify::schema_sdl(), "2026-01");
}

#[test]
fn served_2026_10_schema_is_a_subset_of_the_real_2026_10_schema() {
    check_subset(&sandbox::shopify::schema_sdl_for("2026-10"), "2026-10");
}

/// The members each version has and the other has not: the gates are applied.
#[test]
fn versions_serve_their_own_members() {
    let old = types(&sandbox::shopify::schema_sdl_for("2026-01"));
    let new = types(&sandbox::shopify::schema_sdl_for("2026-10"));
    let level_field = |t: &HashMap<String, Ty>, f: &str| t["InventoryLevel"].fields.contains_key(f);
    assert!(!level_field(&old, "isActive"));
    assert!(level_field(&new, "isActive"));
    let status = |t: &HashMap<String, Ty>| t["OrderDisplayFulfillmentStatus"].values.clone();
    assert!(!status(&old).contains(&"FULFILLMENT_NOT_REQUIRED".to_string()));
    assert!(status(&new).contains(&"FULFILLMENT_NOT_REQUIRED".to_string()));
    let input = |t: &HashMap<String, Ty>| {
        t["InventoryQuantityInput"]
            .inputs
            .contains_key("compareQuantity")
    };
    assert!(input(&old));
    assert!(!input(&new));
    let code = |t: &HashMap<String, Ty>| {
        t["InventorySetQuantitiesUserErrorCode"]
            .values
            .contains(&"ITEM_NOT_STOCKED_AT_LOCATION".to_string())
    };
    assert!(code(&old));
    assert!(!code(&new));
    // The customer's tax id is read from 2026-07.
    let tax_settings = |t: &HashMap<String, Ty>| t["Customer"].fields.contains_key("taxSettings");
    assert!(!tax_settings(&old));
    assert!(tax_settings(&new));
}

fn check_subset(served_sdl: &str, version: &str) {
    // The full schemas are vendored (gzip-compressed) in the shopify-client crate of this
    // repository; their sources are named in crates/shopify-client/schema/SOURCE.md.
    let path = format!(
        "{}/../shopify-client/schema/admin-{version}.graphql.gz",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut real_sdl = String::new();
    std::fs::File::open(&path)
        .and_then(|f| flate2::read::GzDecoder::new(f).read_to_string(&mut real_sdl))
        .unwrap_or_else(|e| panic!("the vendored Admin schema is not readable at {path}: {e}"));
    let real = types(&real_sdl);
    let ours = types(served_sdl);
    let mut problems = Vec::new();
    let mut checked = 0;
    for (name, t) in &ours {
        // Built-in scalars and the stand-in's own connection plumbing names are checked too.
        if ["String", "Int", "Float", "Boolean", "ID"].contains(&name.as_str())
            || name.starts_with("__")
        {
            continue;
        }
        let root = match name.as_str() {
            "QueryRoot" | "Mutation" => name.clone(),
            _ => name.clone(),
        };
        let Some(r) = real.get(&root) else {
            problems.push(format!("type {name} does not exist in the real schema"));
            continue;
        };
        if r.kind != t.kind {
            problems.push(format!(
                "type {name} is a {} here but a {} in the real schema",
                t.kind, r.kind
            ));
        }
        for (field, (ty, args)) in &t.fields {
            checked += 1;
            match r.fields.get(field) {
                None => problems.push(format!("{name}.{field} does not exist in the real schema")),
                Some((rty, rargs)) => {
                    if rty != ty {
                        problems.push(format!(
                            "{name}.{field}: {ty} here, {rty} in the real schema"
                        ));
                    }
                    for (arg, aty) in args {
                        match rargs.get(arg) {
                            None => problems.push(format!(
                                "{name}.{field}({arg}:) does not exist in the real schema"
                            )),
                            Some(raty) if raty != aty => problems.push(format!(
                                "{name}.{field}({arg}:) is {aty} here, {raty} in the real schema"
                            )),
                            _ => {}
                        }
                    }
                }
            }
        }
        for (field, (ty, _)) in &t.inputs {
            checked += 1;
            match r.inputs.get(field) {
                None => problems.push(format!(
                    "input {name}.{field} does not exist in the real schema"
                )),
                Some((rty, _)) if rty != ty => problems.push(format!(
                    "input {name}.{field}: {ty} here, {rty} in the real schema"
                )),
                _ => {}
            }
        }
        if t.kind == "input" {
            for (field, (rty, has_default)) in &r.inputs {
                if rty.ends_with('!') && !has_default && !t.inputs.contains_key(field) {
                    problems.push(format!(
                        "input {name} lacks the real schema's required field {field}: {rty}"
                    ));
                }
            }
        }
        for v in &t.values {
            checked += 1;
            if !r.values.contains(v) {
                problems.push(format!(
                    "enum {name} value {v} does not exist in the real schema"
                ));
            }
        }
    }
    assert!(checked > 300, "only {checked} members checked");
    assert!(
        problems.is_empty(),
        "{version}: {} differences:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
