//! Document templates: the captured field set of each operation (shipped as data in
//! `templates/`, overridable per operation in the configuration) and the customer template.
//!
//! Loaded once when the client is built. This module needs only the configuration, the error
//! type and [`Record`], so the client can hold the templates without importing the documents
//! that use them. [`DocumentTemplate`] is re-exported from [`documents`](crate::documents).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::config::{Cancellation, FlowConfig, TemplateSource};
use crate::error::{Error, Result};
use crate::record::Record;

const BUILTIN: &[(&str, &str)] = &[
    ("SALINV", include_str!("../templates/SALINV.json")),
    ("SALORD", include_str!("../templates/SALORD.json")),
    ("SALRET", include_str!("../templates/SALRET.json")),
];
const BUILTIN_CUSTOMER: &str = include_str!("../templates/CUSTOMER.json");

/// A document template: the header fields and the fields of one line.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DocumentTemplate {
    /// Header fields with their neutral values (`DTL` removed).
    pub header: Record,
    /// The fields of one `DTL` line.
    pub line: Record,
}

impl DocumentTemplate {
    /// Parses a template: a JSON object of header fields whose `DTL` holds an array with the
    /// line template first.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming `field` when the text is not such an object.
    pub fn parse(field: &str, text: &str) -> Result<Self> {
        let text = text.trim_start_matches('\u{FEFF}');
        let value: Value = serde_json::from_str(text)
            .map_err(|e| Error::config(field, format!("not JSON: {e}")))?;
        let Value::Object(mut header) = value else {
            return Err(Error::config(
                field,
                "must be a JSON object of header fields",
            ));
        };
        let dtl_key = header
            .keys()
            .find(|k| k.eq_ignore_ascii_case("DTL"))
            .cloned()
            .ok_or_else(|| Error::config(field, "must have a DTL array with one line template"))?;
        let line = match header.remove(&dtl_key) {
            Some(Value::Array(mut lines)) if !lines.is_empty() => match lines.swap_remove(0) {
                Value::Object(line) => line,
                _ => return Err(Error::config(field, "DTL[0] must be a JSON object")),
            },
            _ => return Err(Error::config(field, "DTL must be a non-empty array")),
        };
        Ok(DocumentTemplate {
            header: Record(header),
            line: Record(line),
        })
    }
}

/// The loaded templates of a client.
#[derive(Debug, Clone, Default)]
pub(crate) struct Templates {
    documents: BTreeMap<String, DocumentTemplate>,
    customer: Record,
}

fn load_source(config: &FlowConfig, field: &str, source: &TemplateSource) -> Result<String> {
    match source {
        TemplateSource::Json(text) => Ok(text.clone()),
        TemplateSource::Builtin(name) => BUILTIN
            .iter()
            .find(|(op, _)| op.eq_ignore_ascii_case(name))
            .map(|(_, text)| (*text).to_owned())
            .ok_or_else(|| {
                Error::config(
                    field,
                    format!("no built-in template {name:?} (there are SALINV, SALORD, SALRET)"),
                )
            }),
        TemplateSource::File(path) => {
            let path = config.resolve_path(path);
            std::fs::read_to_string(&path)
                .map_err(|e| Error::config(field, format!("cannot read {}: {e}", path.display())))
        }
    }
}

impl Templates {
    pub(crate) fn load(config: &FlowConfig) -> Result<Self> {
        let mut documents = BTreeMap::new();
        for (op, text) in BUILTIN {
            documents.insert(
                (*op).to_owned(),
                DocumentTemplate::parse(&format!("templates/{op}.json"), text)?,
            );
        }
        for (op, source) in &config.documents.templates {
            let field = format!("documents.templates.{op}");
            let text = load_source(config, &field, source)?;
            documents.insert(op.clone(), DocumentTemplate::parse(&field, &text)?);
        }
        let mut needed = vec![
            ("operations.web_order", config.operations.web_order.clone()),
            ("operations.refund", config.operations.refund.clone()),
        ];
        if let Cancellation::Document { op } = &config.operations.cancellation {
            needed.push(("operations.cancellation.op", op.clone()));
        }
        if let Some(op) = &config.operations.credit {
            needed.push(("operations.credit", op.clone()));
        }
        for (field, op) in needed {
            if !documents.contains_key(&op) {
                return Err(Error::config(
                    field,
                    format!("no template for operation {op} (add documents.templates.{op})"),
                ));
            }
        }
        let customer_text = match &config.customers.template {
            Some(source) => load_source(config, "customers.template", source)?,
            None => BUILTIN_CUSTOMER.to_owned(),
        };
        let customer =
            match serde_json::from_str::<Value>(customer_text.trim_start_matches('\u{FEFF}')) {
                Ok(Value::Object(map)) => Record(map),
                Ok(_) => return Err(Error::config("customers.template", "must be a JSON object")),
                Err(e) => {
                    return Err(Error::config(
                        "customers.template",
                        format!("not JSON: {e}"),
                    ));
                }
            };
        Ok(Templates {
            documents,
            customer,
        })
    }

    pub(crate) fn document(&self, op: &str) -> Result<&DocumentTemplate> {
        self.documents.get(op).ok_or_else(|| {
            Error::invalid(
                "op",
                format!("no template for operation {op} (add documents.templates.{op})"),
            )
        })
    }

    pub(crate) fn customer(&self) -> &Record {
        &self.customer
    }
}
