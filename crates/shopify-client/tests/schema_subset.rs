//! The committed schema subset (`graphql/schema.graphql`) must agree with the full Admin
//! schema it was extracted from: every type, field, argument, input field, enum value and
//! union member of the subset exists in the full schema with the same type and default.
//!
//! The full schema is vendored in the crate, gzip-compressed, under `schema/` (its source is
//! named in `schema/SOURCE.md`).

use std::collections::HashMap;
use std::io::Read;
use std::path::PathBuf;

use graphql_parser::schema::{Definition, Document, TypeDefinition, parse_schema};

/// The full Admin schema of the version the crate targets, relative to the crate.
const FULL_SCHEMA: &str = "schema/admin-2026-10.graphql.gz";

type Doc = Document<'static, String>;
type Def = TypeDefinition<'static, String>;

fn types(doc: &Doc) -> HashMap<&str, &Def> {
    doc.definitions
        .iter()
        .filter_map(|d| match d {
            Definition::TypeDefinition(t) => Some(t),
            _ => None,
        })
        .map(|t| (type_name(t), t))
        .collect()
}

fn type_name(t: &Def) -> &str {
    match t {
        TypeDefinition::Scalar(x) => &x.name,
        TypeDefinition::Object(x) => &x.name,
        TypeDefinition::Interface(x) => &x.name,
        TypeDefinition::Union(x) => &x.name,
        TypeDefinition::Enum(x) => &x.name,
        TypeDefinition::InputObject(x) => &x.name,
    }
}

fn kind(t: &Def) -> &'static str {
    match t {
        TypeDefinition::Scalar(_) => "scalar",
        TypeDefinition::Object(_) => "type",
        TypeDefinition::Interface(_) => "interface",
        TypeDefinition::Union(_) => "union",
        TypeDefinition::Enum(_) => "enum",
        TypeDefinition::InputObject(_) => "input",
    }
}

type Fields<'d> = &'d [graphql_parser::schema::Field<'static, String>];
type Inputs<'d> = &'d [graphql_parser::schema::InputValue<'static, String>];

fn fields(t: &Def) -> Option<Fields<'_>> {
    match t {
        TypeDefinition::Object(x) => Some(&x.fields),
        TypeDefinition::Interface(x) => Some(&x.fields),
        _ => None,
    }
}

fn compare_inputs(where_: &str, sub: Inputs<'_>, full: Inputs<'_>, problems: &mut Vec<String>) {
    for s in sub {
        match full.iter().find(|f| f.name == s.name) {
            None => problems.push(format!(
                "{where_}: {} does not exist in the full schema",
                s.name
            )),
            Some(f) => {
                if s.value_type.to_string() != f.value_type.to_string() {
                    problems.push(format!(
                        "{where_}.{}: type {} in the subset, {} in the full schema",
                        s.name, s.value_type, f.value_type
                    ));
                }
                let sd = s.default_value.as_ref().map(ToString::to_string);
                let fd = f.default_value.as_ref().map(ToString::to_string);
                if sd != fd {
                    problems.push(format!("{where_}.{}: default {sd:?} vs {fd:?}", s.name));
                }
            }
        }
    }
    // Arguments and input fields are kept whole: a missing one means the subset is stale.
    for f in full {
        if !sub.iter().any(|s| s.name == f.name) {
            problems.push(format!("{where_}: {} is missing from the subset", f.name));
        }
    }
}

fn check(sub: &Doc, full: &Doc) -> Vec<String> {
    let full_types = types(full);
    let mut problems = Vec::new();
    for (name, st) in types(sub) {
        let Some(ft) = full_types.get(name) else {
            problems.push(format!("type {name} does not exist in the full schema"));
            continue;
        };
        if kind(st) != kind(ft) {
            problems.push(format!(
                "{name}: {} in the subset, {} in the full schema",
                kind(st),
                kind(ft)
            ));
            continue;
        }
        if let (Some(sf), Some(ff)) = (fields(st), fields(ft)) {
            for s in sf {
                match ff.iter().find(|f| f.name == s.name) {
                    None => problems.push(format!(
                        "{name}.{} does not exist in the full schema",
                        s.name
                    )),
                    Some(f) => {
                        if s.field_type.to_string() != f.field_type.to_string() {
                            problems.push(format!(
                                "{name}.{}: type {} in the subset, {} in the full schema",
                                s.name, s.field_type, f.field_type
                            ));
                        }
                        compare_inputs(
                            &format!("{name}.{}()", s.name),
                            &s.arguments,
                            &f.arguments,
                            &mut problems,
                        );
                    }
                }
            }
        }
        match (st, ft) {
            (TypeDefinition::InputObject(s), TypeDefinition::InputObject(f)) => {
                compare_inputs(name, &s.fields, &f.fields, &mut problems);
            }
            (TypeDefinition::Enum(s), TypeDefinition::Enum(f)) => {
                let sv: Vec<&str> = s.values.iter().map(|v| v.name.as_str()).collect();
                let fv: Vec<&str> = f.values.iter().map(|v| v.name.as_str()).collect();
                if sv != fv {
                    problems.push(format!("enum {name}: values {sv:?} vs {fv:?}"));
                }
            }
            (TypeDefinition::Union(s), TypeDefinition::Union(f)) => {
                for m in &s.types {
                    if !f.types.contains(m) {
                        problems.push(format!(
                            "union {name}: {m} is not a member in the full schema"
                        ));
                    }
                }
            }
            (TypeDefinition::Object(s), TypeDefinition::Object(f)) => {
                for i in &s.implements_interfaces {
                    if !f.implements_interfaces.contains(i) {
                        problems.push(format!("{name} does not implement {i} in the full schema"));
                    }
                }
            }
            _ => {}
        }
    }
    problems
}

/// Reads a schema file, decompressing it when its name ends in `.gz`.
fn read(path: &PathBuf, what: &str) -> String {
    let read = || -> std::io::Result<String> {
        let mut text = String::new();
        let mut file = std::fs::File::open(path)?;
        if path.extension().is_some_and(|e| e == "gz") {
            flate2::read::GzDecoder::new(file).read_to_string(&mut text)?;
        } else {
            file.read_to_string(&mut text)?;
        }
        Ok(text)
    };
    read().unwrap_or_else(|e| panic!("{what} not readable at {}: {e}", path.display()))
}

#[test]
fn subset_types_and_fields_match_the_full_admin_schema() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let full_text = read(&root.join(FULL_SCHEMA), "full schema");
    let sub_text = read(&root.join("graphql/schema.graphql"), "schema subset");
    let full = parse_schema::<String>(&full_text)
        .expect("the full schema parses")
        .into_static();
    let sub = parse_schema::<String>(&sub_text)
        .expect("the subset parses")
        .into_static();
    let problems = check(&sub, &full);
    assert!(
        problems.is_empty(),
        "subset disagrees with the full schema:\n{}",
        problems.join("\n")
    );
    // The subset is a real subset, not the whole schema.
    assert!(types(&sub).len() < types(&full).len() / 5);
}

#[test]
fn the_comparison_catches_a_drifted_field() {
    let full = parse_schema::<String>("type Shop { name: String! id: ID! } enum E { A B }")
        .unwrap()
        .into_static();
    let good = parse_schema::<String>("type Shop { name: String! } enum E { A B }")
        .unwrap()
        .into_static();
    assert!(check(&good, &full).is_empty());
    let drifted = parse_schema::<String>("type Shop { name: String plan: String } enum E { A }")
        .unwrap()
        .into_static();
    let problems = check(&drifted, &full);
    assert_eq!(problems.len(), 3, "{problems:?}");
}

#[test]
fn the_committed_subset_is_what_the_extractor_writes() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let full = root.join(FULL_SCHEMA);
    assert!(full.exists(), "full schema missing at {}", full.display());
    let output = std::process::Command::new("python3")
        .arg(root.join("scripts/extract_schema.py"))
        .arg(&full)
        .arg("--check")
        .output()
        .expect("python3 runs scripts/extract_schema.py (install Python 3 to run this check)");
    assert!(
        output.status.success(),
        "graphql/schema.graphql is stale or an operation selects an unknown field:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Every vendored full schema decompresses to the file named in `schema/SOURCE.md`: the
/// SHA-256 recorded there for it matches, so a schema cannot change without its note.
#[test]
fn vendored_schemas_match_the_digests_in_their_source_note() {
    use sha2::{Digest, Sha256};
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schema");
    let note = read(&root.join("SOURCE.md"), "schema/SOURCE.md");
    let mut checked = 0;
    for entry in std::fs::read_dir(&root).expect("schema/ lists") {
        let path = entry.expect("schema/ entry").path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if !name.ends_with(".graphql.gz") {
            continue;
        }
        let digest = hex::encode(Sha256::digest(read(&path, name).as_bytes()));
        let row = note
            .lines()
            .find(|l| l.starts_with(&format!("| `{name}`")))
            .unwrap_or_else(|| panic!("schema/SOURCE.md has no row for {name}"));
        assert!(
            row.contains(&format!("`{digest}`")),
            "{name} decompresses to sha256 {digest}, not the digest in schema/SOURCE.md"
        );
        checked += 1;
    }
    assert!(checked >= 1, "no vendored schema found under schema/");
}
