//! What the tool gives the rest of the toolchain: the JSON Schema of tenant-audit.toml
//! (`config-schema`, committed as `tenant-audit.schema.json`) and shell completions.

mod common;
use common::*;

use serde_json::Value;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const REGENERATE: &str = "regenerate it: cargo run -q -- config-schema > tenant-audit.schema.json";

fn generated_schema() -> String {
    let o = run(&["config-schema"], &root());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    stdout(&o)
}

fn validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(&generated_schema()).unwrap();
    jsonschema::validator_for(&schema).expect("the schema compiles")
}

/// The schema's complaints about a TOML text (converted to JSON as TOML editors do).
fn schema_errors(v: &jsonschema::Validator, toml_text: &str) -> Vec<String> {
    let doc: Value = toml::from_str(toml_text).expect("valid TOML");
    v.iter_errors(&doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

// ---------------------------------------------------------------- the schema

#[test]
fn committed_schema_is_the_generated_one() {
    let committed = std::fs::read_to_string(root().join("tenant-audit.schema.json"))
        .unwrap_or_else(|e| panic!("tenant-audit.schema.json: {e}; {REGENERATE}"));
    assert!(
        committed == generated_schema(),
        "tenant-audit.schema.json is out of date with the config types; {REGENERATE}"
    );
}

/// Every key of every table says what it is (the doc comment of its field).
#[test]
fn every_key_has_a_description() {
    fn walk(v: &Value, path: &str, missing: &mut Vec<String>) {
        let Some(map) = v.as_object() else { return };
        if let Some(props) = map.get("properties").and_then(Value::as_object) {
            for (key, s) in props {
                let here = format!("{path}.{key}");
                if s["description"]
                    .as_str()
                    .is_none_or(|d| d.trim().is_empty())
                {
                    missing.push(here.clone());
                }
                walk(s, &here, missing);
            }
        }
        for key in ["items", "additionalProperties"] {
            if let Some(s) = map.get(key) {
                walk(s, &format!("{path}[]"), missing);
            }
        }
    }
    let schema: Value = serde_json::from_str(&generated_schema()).unwrap();
    let mut missing = Vec::new();
    walk(&schema, "", &mut missing);
    assert!(missing.is_empty(), "keys without a description (add a doc comment to the field in crates/engine/src/config/raw.rs): {missing:?}");
    // The schema describes the real file: a sample of keys is there.
    for key in [
        "tenant", "sql", "handlers", "scopes", "cache", "rules", "bypass",
    ] {
        assert!(schema["properties"][key].is_object(), "{key}");
    }
    assert!(schema["properties"]["tenant"]["properties"]["global-tables"].is_object());
    assert!(schema["properties"]["scopes"]["properties"]["enum"].is_object());
}

#[test]
fn the_demo_config_validates() {
    let text =
        std::fs::read_to_string(root().join("fixtures/projects/demo-saas/tenant-audit.toml"))
            .unwrap();
    assert_eq!(schema_errors(&validator(), &text), Vec::<String>::new());
}

#[test]
fn the_embedded_defaults_validate() {
    let errors = schema_errors(&validator(), tenant_audit_engine::config::DEFAULT_TOML);
    assert_eq!(errors, Vec::<String>::new());
}

/// The README's configuration reference is a valid file.
#[test]
fn the_readme_config_reference_validates() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let section = &readme[readme.find("## Configuration").unwrap()..];
    let start = section.find("```toml\n").unwrap() + "```toml\n".len();
    let block = &section[start..start + section[start..].find("```").unwrap()];
    assert!(block.contains("[tenant]"), "{block}");
    assert_eq!(schema_errors(&validator(), block), Vec::<String>::new());
}

#[test]
fn init_output_validates() {
    let auth = "pub struct AdminUser;\nimpl<S: Send + Sync> FromRequestParts<S> for AdminUser {}\npub fn layer(r: Router) -> Router {\n    r.route_layer(middleware::from_fn(require_admin))\n}\n";
    let p = project(&[
        ("src/lib.rs", "pub mod auth;\n"),
        ("src/auth.rs", auth),
        (
            "migrations/0001_init.sql",
            "CREATE TABLE invoices (id BIGINT PRIMARY KEY, org_id BIGINT NOT NULL);\nCREATE TABLE plans (id BIGINT PRIMARY KEY, name TEXT);\n",
        ),
    ]);
    let o = run(&["init"], p.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let written = std::fs::read_to_string(p.path().join("tenant-audit.toml")).unwrap();
    assert_eq!(
        schema_errors(&validator(), &written),
        Vec::<String>::new(),
        "{written}"
    );
}

/// The schema and the tool agree: what one rejects the other rejects (exit 2), and what one
/// accepts (spellings the tool allows too) the other accepts.
#[test]
fn schema_and_tool_agree_on_good_and_bad_configs() {
    let v = validator();
    let good = [
        "[rules]\nta202 = \"deny\"\nunused-scope = \"off\"\n",
        "[sql]\ndialect = \"sqlite\"\n",
        "[handlers]\nframeworks = [\"axum\", \"actix-web\"]\n",
        "[[bypass]]\npath = \"src/jobs/**\"\nrules = [\"TA201\"]\nreason = \"nightly rollup\"\n",
        "[[bypass]]\nitem = \"api::public::*\"\nreason = \"public pages\"\n",
        "[[bypass]]\nroute = \"/auth/**\"\nmethods = [\"POST\"]\nrules = [\"TA101\"]\nreason = \"login\"\n",
        "[tenant.tables.orgs]\ncolumn = \"id\"\n",
        "[tenant.tables.memberships]\ncolumns = [\"collection_uuid\", \"user_uuid\"]\n",
        "[handlers]\ncheck-depth = 2\n",
        "[scopes]\nenum = \"Scope\"\nknown = [\"a:read\"]\n",
    ];
    let bad = [
        "[tenant]\ncolums = [\"org_id\"]\n",
        "[tenant]\ncolumns = \"org_id\"\n",
        "[rules]\nTA999 = \"error\"\n",
        "[rules]\nTA201 = \"loud\"\n",
        "[sql]\ndialect = \"oracle\"\n",
        "[handlers]\nframeworks = [\"express\"]\n",
        "[[bypass]]\nreason = \"no path\"\n",
        "[[bypass]]\npath = \"src/**\"\nitem = \"api::*\"\nreason = \"two targets\"\n",
        "[tenant.tables.orgs]\ncolumn = 1\n",
        "[tenant.tables.orgs]\ncolumn = \"id\"\ncolumns = [\"id\"]\n",
        "[handlers]\ncheck-depth = \"3\"\n",
        "[extra]\nkey = 1\n",
    ];
    let p = project(&[("src/lib.rs", "pub fn nothing() {}\n")]);
    let cfg = p.path().join("tenant-audit.toml");
    for text in good {
        assert_eq!(schema_errors(&v, text), Vec::<String>::new(), "{text}");
        std::fs::write(&cfg, text).unwrap();
        let o = run(&[], p.path());
        assert_ne!(o.status.code(), Some(2), "{text}: {}", stderr(&o));
    }
    for text in bad {
        assert!(
            !schema_errors(&v, text).is_empty(),
            "the schema accepts:\n{text}"
        );
        std::fs::write(&cfg, text).unwrap();
        assert_eq!(
            run(&[], p.path()).status.code(),
            Some(2),
            "the tool accepts:\n{text}"
        );
    }
}

// ---------------------------------------------------------------- completions

const SUBCOMMANDS: &[&str] = &[
    "check",
    "init",
    "rules",
    "explain",
    "bypasses",
    "routes",
    "config-schema",
    "completions",
];

#[test]
fn completions_name_every_subcommand() {
    use clap::CommandFactory;
    let cli = cargo_tenant_audit::Cli::command();
    let all: Vec<String> = cli
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    for s in SUBCOMMANDS {
        assert!(all.iter().any(|a| a == s), "{s} is a subcommand");
    }
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let o = run(&["completions", shell], &root());
        assert_eq!(o.status.code(), Some(0), "{shell}: {}", stderr(&o));
        let script = stdout(&o);
        assert!(script.contains("cargo-tenant-audit"), "{shell}");
        for s in &all {
            assert!(
                script.contains(s.as_str()),
                "{shell} script does not name `{s}`"
            );
        }
        // Options of the default command are completed too.
        assert!(script.contains("manifest-path"), "{shell}");
    }
    let o = run(&["completions", "tcsh"], &root());
    assert_eq!(o.status.code(), Some(2));
}

/// The bash script really completes: subcommands, a subcommand's own options and values.
#[test]
fn bash_completion_completes_after_a_subcommand() {
    let o = run(&["completions", "bash"], &root());
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("cargo-tenant-audit.bash");
    std::fs::write(&script, &o.stdout).unwrap();
    let complete = |words: &[&str]| -> String {
        // COMP_WORDS ends with the word being completed.
        let list = words
            .iter()
            .map(|w| format!("'{w}'"))
            .collect::<Vec<_>>()
            .join(" ");
        let prog = format!(
            "source '{}'; COMP_WORDS=({list}); COMP_CWORD={}; _cargo__tenant__audit cargo-tenant-audit '{}' '{}'; echo \"${{COMPREPLY[*]}}\"",
            script.display(),
            words.len() - 1,
            words[words.len() - 1],
            words[words.len() - 2],
        );
        let out = std::process::Command::new("bash")
            .args(["-c", &prog])
            .output()
            .expect("bash runs");
        text(&out.stdout).trim().to_string()
    };
    assert_eq!(
        complete(&["cargo-tenant-audit", "co"]),
        "config-schema completions"
    );
    assert_eq!(
        complete(&["cargo-tenant-audit", "completions", ""]),
        "-h --help bash elvish fish powershell zsh"
    );
    assert!(complete(&["cargo-tenant-audit", "init", "--"]).contains("--force"));
    assert!(complete(&["cargo-tenant-audit", "check", "--fo"]).contains("--format"));
}

/// fish completes the shells after `completions` (clap_complete's fish script alone does not
/// complete positional values); run in fish where it is installed.
#[test]
fn fish_completion_completes_the_shells() {
    let o = run(&["completions", "fish"], &root());
    let script = stdout(&o);
    let line = "complete -c cargo-tenant-audit -n \"__fish_cargo_tenant_audit_using_subcommand completions\" -f -a \"bash elvish fish powershell zsh\"";
    assert!(script.contains(line), "{script}");
    let fish = std::process::Command::new("fish").arg("--version").output();
    if fish.is_err() {
        eprintln!("fish is not installed: the script's line is checked, not its behaviour");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cargo-tenant-audit.fish");
    std::fs::write(&path, &o.stdout).unwrap();
    let out = std::process::Command::new("fish")
        .args([
            "--no-config",
            "-c",
            &format!(
                "source '{}'; complete -C 'cargo-tenant-audit completions '",
                path.display()
            ),
        ])
        .output()
        .unwrap();
    let got: Vec<String> = text(&out.stdout)
        .lines()
        .map(|l| l.split('\t').next().unwrap_or("").to_string())
        .collect();
    for shell in ["bash", "elvish", "fish", "powershell", "zsh"] {
        assert!(got.iter().any(|g| g == shell), "{shell} not in {got:?}");
    }
}
