//! `docs/configuration.md` against the code, so the reference cannot drift:
//!
//! - its complete example is a configuration the binary accepts (every section parsed by the
//!   same code `run` uses, unknown keys refused), and
//! - the keys its tables list are exactly the keys the code accepts. The code's keys are
//!   found by asking the parsers themselves: a probe key put into each table makes the
//!   parser answer "unknown field, expected one of …" with the table's real fields, and a probe
//!   table put in place of each field tells a nested table from a value.

use std::collections::BTreeSet;
use std::path::PathBuf;

use flow_shopify_sync::config::Config;

const DOC: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../docs/configuration.md"
));
const PROBE: &str = "__probe__";

/// The secret keys of each section: the file names them `KEY_env` or `KEY_file`.
const SECRETS: &[&str] = &[
    "shopify.access_token",
    "shopify.client_secret",
    "shopify.webhook_secret",
    "flow.password",
    "eta.client_secret",
    "eta.preshared_key",
];

/// The complete example: the first ```toml block after the heading "Complete example".
fn example() -> String {
    let from = DOC
        .find("## Complete example")
        .expect("docs/configuration.md has a \"## Complete example\" section");
    let rest = &DOC[from..];
    let start = rest.find("```toml\n").expect("a ```toml block") + "```toml\n".len();
    let end = rest[start..].find("```").expect("the block ends");
    rest[start..start + end].to_owned()
}

/// Every environment variable the example names is set (to a value no check refuses).
fn env(_: &str) -> Option<String> {
    Some("not-a-real-secret".to_owned())
}

/// Parses `text` as `run` does: the configuration, then every system's section.
async fn accept(text: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let config =
        Config::parse(text, dir.path().to_path_buf(), &env).map_err(|e| format!("{e:#}"))?;
    flow_shopify_sync::wiring::connect(&config)
        .await
        .map(|_| ())
        .map_err(|e| format!("{e:#}"))
}

/// The fields the parser expects where it met the probe, if the error is about the probe.
fn expected_fields(error: &str) -> Option<Vec<String>> {
    let at = error.find(&format!("unknown field `{PROBE}`"))?;
    let rest = &error[at..];
    if rest.contains("there are no fields") {
        return Some(Vec::new());
    }
    // serde lists one field as "expected `a`", two as "`a` or `b`", more as "one of `a`, `b`".
    let list = rest.split_once("expected ")?.1;
    Some(
        list.split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect(),
    )
}

fn table_at<'a>(root: &'a mut toml::Table, path: &[String]) -> &'a mut toml::Table {
    let mut table = root;
    for key in path {
        let entry = table
            .entry(key.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if !entry.is_table() {
            *entry = toml::Value::Table(toml::Table::new());
        }
        table = entry.as_table_mut().expect("just made a table");
    }
    table
}

/// The keys (dotted paths) the code accepts under `path`, found by probing.
async fn probe(base: &toml::Table, path: Vec<String>, keys: &mut BTreeSet<String>) {
    let mut with_probe = base.clone();
    table_at(&mut with_probe, &path).insert(PROBE.to_owned(), toml::Value::Integer(0));
    let error = accept(&toml::to_string(&with_probe).unwrap())
        .await
        .expect_err("a probe key is refused");
    let fields = expected_fields(&error)
        .unwrap_or_else(|| panic!("no field list for {}: {error}", path.join(".")));
    for field in fields {
        let mut child = path.clone();
        child.push(field.clone());
        // A table in place of the field: a nested table answers about the probe.
        let mut nested = base.clone();
        let parent = table_at(&mut nested, &path);
        let mut probe_table = toml::Table::new();
        probe_table.insert(PROBE.to_owned(), toml::Value::Integer(0));
        parent.insert(field.clone(), toml::Value::Table(probe_table));
        let answer = accept(&toml::to_string(&nested).unwrap()).await;
        match answer {
            Err(error) if expected_fields(&error).is_some() => {
                Box::pin(probe(base, child, keys)).await;
            }
            _ => {
                keys.insert(child.join("."));
            }
        }
    }
}

/// The keys the reference's tables list: the backticked first cell of each table row.
fn documented() -> BTreeSet<String> {
    DOC.lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split_once('`').map(|(key, _)| key.to_owned()))
        .collect()
}

/// What the file spells: a secret key is given as `_env` or `_file`.
fn spelled(keys: &BTreeSet<String>) -> BTreeSet<String> {
    keys.iter()
        .flat_map(|key| {
            if SECRETS.contains(&key.as_str()) {
                vec![format!("{key}_env"), format!("{key}_file")]
            } else {
                vec![key.clone()]
            }
        })
        .collect()
}

#[tokio::test]
async fn the_complete_example_is_accepted_as_it_stands() {
    let text = example();
    if let Err(error) = accept(&text).await {
        panic!("the example of docs/configuration.md is refused: {error}");
    }
}

#[tokio::test]
async fn the_reference_lists_exactly_the_keys_the_code_accepts() {
    let base: toml::Table = example().parse().expect("the example is TOML");
    let mut keys = BTreeSet::new();
    for section in [
        "store", "engine", "daemon", "console", "alerts", "shopify", "flow", "eta",
    ] {
        probe(&base, vec![section.to_owned()], &mut keys).await;
    }
    let code = spelled(&keys);
    let doc = documented();
    if std::env::var_os("PRINT_CONFIG_KEYS").is_some() {
        for key in &code {
            println!("{key}");
        }
    }
    let undocumented: Vec<_> = code.difference(&doc).collect();
    let stale: Vec<_> = doc.difference(&code).collect();
    assert!(
        undocumented.is_empty() && stale.is_empty(),
        "docs/configuration.md is out of step with the code.\nkeys the code accepts that it does not list: {undocumented:#?}\nkeys it lists that the code does not accept: {stale:#?}"
    );
    assert!(code.len() > 40, "the probe found too few keys: {code:?}");
}

#[test]
fn the_probe_reads_serde_s_field_lists() {
    assert_eq!(
        expected_fields(
            "engine.__probe__: unknown field `__probe__`, expected one of `scope`, `interval_secs`"
        ),
        Some(vec!["scope".to_owned(), "interval_secs".to_owned()])
    );
    assert_eq!(
        expected_fields("unknown field `__probe__`, expected `url`"),
        Some(vec!["url".to_owned()])
    );
    assert_eq!(
        expected_fields("unknown field `__probe__`, expected `url` or `password_env`"),
        Some(vec!["url".to_owned(), "password_env".to_owned()])
    );
    assert_eq!(
        expected_fields("invalid type: integer `0`, expected a string"),
        None
    );
    let _ = PathBuf::new();
}
