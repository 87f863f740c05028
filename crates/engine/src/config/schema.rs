//! The JSON Schema of tenant-audit.toml (`cargo tenant-audit config-schema`, committed as
//! `tenant-audit.schema.json`), generated from the types the file is read into ([`super::raw`]):
//! their doc comments are the descriptions an editor shows for each key (taplo, Even Better
//! TOML). Draft-07, every table inline: what TOML editors read best.
//!
//! The few values the types leave as plain strings but the tool checks (rule codes and
//! severities, frameworks, SQL dialects) are spelled out here, from the same lists the
//! validation uses: the rules and frameworks come from the caller ([`Names`]: the registry,
//! which sits above config).

use super::raw::RawConfig;
use schemars::generate::{SchemaGenerator, SchemaSettings};
use schemars::{json_schema, JsonSchema, Schema};
use serde_json::{json, Map, Value};
use std::borrow::Cow;

/// What the schema spells out that config does not own: the rules (code, name, summary,
/// default severity) and the framework names.
pub struct Names<'a> {
    pub rules: Vec<(&'a str, &'a str, &'a str, &'a str)>,
    pub frameworks: Vec<&'a str>,
}

/// The schema, as printed by `config-schema`.
pub fn schema(names: &Names<'_>) -> Value {
    let generator = SchemaSettings::draft07()
        .with(|s| s.inline_subschemas = true)
        .into_generator();
    let mut v = generator.into_root_schema_for::<RawConfig>().to_value();
    for_toml(&mut v);
    if let Some(Value::Object(rules)) = v.pointer_mut("/properties/rules") {
        // Keep the field's own description; the rest comes from the rule list.
        if let Value::Object(filled) = rules_schema(names) {
            for (k, x) in filled {
                rules.insert(k, x);
            }
        }
    }
    if let Some(f) = v.pointer_mut("/properties/handlers/properties/frameworks/items") {
        *f = json!({"type": "string", "enum": names.frameworks});
    }
    v
}

/// The schema as the committed file holds it: pretty-printed, with a final newline.
pub fn schema_text(names: &Names<'_>) -> String {
    let mut text = serde_json::to_string_pretty(&schema(names)).unwrap_or_default();
    text.push('\n');
    text
}

/// The severities `[rules]` accepts (`Severity::parse` plus off), canonical ones first.
const SEVERITIES: &[&str] = &[
    "error", "warning", "note", "off", "deny", "warn", "info", "allow",
];

/// `[rules]` as the types see it (filled in by [`schema`] from [`Names`]).
pub struct Rules;

impl JsonSchema for Rules {
    fn schema_name() -> Cow<'static, str> {
        "Rules".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "object"})
    }
}

/// `[rules]`: each rule by code and by name, with its summary; codes and names are matched
/// case-insensitively, as `find_rule` does.
fn rules_schema(names: &Names<'_>) -> Value {
    let severity = json!({
        "type": "string",
        "enum": SEVERITIES,
        "description": "error, warning, note or off (also deny, warn, info, allow)",
    });
    let mut properties = Map::new();
    let mut keys = Vec::new();
    for (code, name, summary, default) in &names.rules {
        for key in [*code, *name] {
            let mut s = severity.clone();
            s["description"] = json!(format!("{code} {name}: {summary} (default: {default})"));
            properties.insert(key.to_string(), s);
            keys.push(case_insensitive(key));
        }
    }
    json!({
        "type": "object",
        "properties": properties,
        "propertyNames": {"pattern": format!("^({})$", keys.join("|"))},
        "additionalProperties": severity,
    })
}

/// `^TA201$` that also matches `ta201`: a JSON Schema pattern has no flags.
fn case_insensitive(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphabetic() {
                format!("[{}{}]", c.to_ascii_uppercase(), c.to_ascii_lowercase())
            } else if c.is_ascii_alphanumeric() {
                c.to_string()
            } else {
                format!("\\{c}")
            }
        })
        .collect()
}

/// `[sql] dialect`.
pub struct Dialect;

impl JsonSchema for Dialect {
    fn schema_name() -> Cow<'static, str> {
        "Dialect".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "enum": ["auto", "postgres", "postgresql", "mysql", "sqlite", "generic"],
        })
    }
}

/// One of `[handlers] frameworks` (the names are filled in by [`schema`]).
pub struct Framework;

impl JsonSchema for Framework {
    fn schema_name() -> Cow<'static, str> {
        "Framework".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "string"})
    }
}

/// Made for TOML: an optional key is one that may be left out (TOML has no null), so the
/// `null` that `Option` adds to a type or an enum is taken away again; and descriptions are
/// doc comments unwrapped, one line a paragraph.
fn for_toml(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    let only = types.remove(0);
                    map.insert("type".into(), only);
                }
            }
            if let Some(Value::Array(values)) = map.get_mut("enum") {
                values.retain(|t| !t.is_null());
            }
            if let Some(Value::String(d)) = map.get_mut("description") {
                *d = d
                    .split("\n\n")
                    .map(|p| p.split('\n').map(str::trim).collect::<Vec<_>>().join(" "))
                    .collect::<Vec<_>>()
                    .join("\n\n");
            }
            for key in ["anyOf", "oneOf"] {
                if let Some(Value::Array(alts)) = map.get_mut(key) {
                    alts.retain(|a| a != &json!({"type": "null"}));
                    if alts.len() == 1 {
                        let only = alts.remove(0);
                        map.remove(key);
                        if let Value::Object(inner) = only {
                            for (k, v) in inner {
                                map.entry(k).or_insert(v);
                            }
                        }
                    }
                }
            }
            map.values_mut().for_each(for_toml);
        }
        Value::Array(items) => items.iter_mut().for_each(for_toml),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_insensitive_patterns() {
        assert_eq!(case_insensitive("TA2"), "[Tt][Aa]2");
        assert_eq!(case_insensitive("a-b"), "[Aa]\\-[Bb]");
    }
}
