//! Tests of the Flow adapter (`adapter.rs`).
use super::*;
use crate::config::FlowConfig;
use crate::reads::Record;
use serde_json::json;

fn index(config: FlowConfig) -> SkuIndex {
    let client = FlowClient::builder(config).build().unwrap();
    let items = [
        json!({"ITNO": 10, "ITCODE": "TS-01", "HASCLR": 1, "HASSIZ": 1}),
        json!({"ITNO": 11, "ITCODE": "TS-01-X", "HASCLR": 1}),
        json!({"ITNO": 12, "ITCODE": "MUG"}),
    ]
    .into_iter()
    .map(|v| Item::from_record(Record(v.as_object().unwrap().clone())).unwrap())
    .collect();
    SkuIndex::build(&client, items)
}

#[test]
fn skus_resolve_to_items_colours_and_sizes() {
    let idx = index(FlowConfig::new("1", "u", "p".into()));
    assert_eq!(
        idx.resolve("MUG"),
        Some(SkuTarget {
            item: "12".into(),
            colour: None,
            size: None
        })
    );
    assert_eq!(
        idx.resolve("TS-01-RED-M"),
        Some(SkuTarget {
            item: "10".into(),
            colour: Some("RED".into()),
            size: Some("M".into())
        })
    );
    assert_eq!(
        idx.resolve("TS-01-X-BLUE"),
        Some(SkuTarget {
            item: "11".into(),
            colour: Some("BLUE".into()),
            size: None
        })
    );
    assert_eq!(idx.resolve("MUG-RED"), None, "MUG has no colours");
    assert_eq!(idx.resolve("NOPE"), None);
}

#[test]
fn whole_units_truncate_and_never_go_negative() {
    assert_eq!(whole_units(Decimal::new(35, 1)), 3);
    assert_eq!(whole_units(Decimal::new(-2, 0)), 0);
}
