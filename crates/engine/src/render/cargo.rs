//! cargo's JSON messages (`--format cargo`, also `--message-format json`): the lines
//! `cargo check --message-format=json` prints, so that rust-analyzer (`check.overrideCommand`)
//! and every other reader of cargo's messages shows our findings the way it shows clippy's.
//!
//! One `compiler-message` a finding, then one `build-finished`. Bypassed findings are left out,
//! as in SARIF: an editor has no place for a suppressed diagnostic. Each message names the
//! package and target that own the file (`package_id`, `manifest_path`, `target`, as cargo
//! writes them) and carries a rustc diagnostic: the rule's code and docs, the level, one
//! primary span with byte offsets and the source lines, the help as a `help` child, and
//! `rendered` in rustc's own layout. Byte offsets and source lines need the file, which is read
//! here; a file that cannot be read still gets its message, with no `text` and zero offsets.

use super::{offset, read_source, RenderOptions};
use crate::diagnostic::{Diagnostic, Pos, Severity};
use crate::rules::RULES;
use crate::workspace::{package_id, Package, Target};
use crate::Report;
use foldhash::{HashMap, HashMapExt};
use serde_json::{json, Value};
use std::io::{self, Write};
use std::path::Path;

/// How `rendered` is written, as cargo's `--message-format` variants choose it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Rendered {
    /// `json`: rustc's human layout, no colours.
    #[default]
    Plain,
    /// `json-diagnostic-rendered-ansi`: the same with ANSI colours.
    Ansi,
    /// `json-diagnostic-short`: one line, `file:line:col: level[code]: message`.
    Short,
}

pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

pub fn render(
    report: &Report,
    style: Rendered,
    opts: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut sources: HashMap<&str, Option<String>> = HashMap::new();
    for d in report.active() {
        let text = sources
            .entry(d.file.as_str())
            .or_insert_with(|| read_source(&report.root, &d.file));
        let mut msg = owner(report, &report.root.join(&d.file));
        msg["message"] = diagnostic(d, text.as_deref(), style);
        serde_json::to_writer(&mut *out, &msg)?;
        writeln!(out)?;
    }
    let threshold = opts.fail_on.unwrap_or(Severity::Error);
    let success =
        report.summary.internal_errors == 0 && !report.active().any(|d| d.severity >= threshold);
    serde_json::to_writer(
        &mut *out,
        &json!({"reason": "build-finished", "success": success}),
    )?;
    writeln!(out)
}

/// The start of a `compiler-message`: the package and target that own `file` (absolute).
fn owner(report: &Report, file: &Path) -> Value {
    // The package whose folder is the deepest one holding the file (members never nest files
    // of another member: those are listed under that one); files outside every package, such
    // as the config file of a virtual workspace, go to the first package.
    let package = report
        .packages
        .iter()
        .filter(|p| file.starts_with(&p.root))
        .max_by_key(|p| p.root.components().count())
        .or(report.packages.first());
    let (id, manifest, target) = match package {
        Some(p) if !p.cargo.id.is_empty() => (
            p.cargo.id.clone(),
            p.cargo.manifest_path.clone(),
            target_of(&p.cargo.targets, file).map_or_else(|| plain_target(p, file), target_json),
        ),
        // A plain folder (or a lone file): no cargo package, so the one cargo would make of it.
        Some(p) => (
            package_id(&p.root, &p.name, "0.0.0"),
            p.root.join("Cargo.toml"),
            plain_target(p, file),
        ),
        None => {
            let name = report
                .root
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "files".into());
            let p = Package {
                name,
                root: report.root.clone(),
                deps: Default::default(),
                plain: true,
                targets: Vec::new(),
                cargo: Default::default(),
            };
            (
                package_id(&p.root, &p.name, "0.0.0"),
                p.root.join("Cargo.toml"),
                plain_target(&p, file),
            )
        }
    };
    json!({
        "reason": "compiler-message",
        "package_id": id,
        "manifest_path": manifest.to_string_lossy(),
        "target": target,
    })
}

/// The target whose crate holds `file`: the target rooted at it, else the one whose root's
/// folder is the deepest holding it (a lib before a bin in the same folder: `src/api.rs` of a
/// package with `src/lib.rs` and `src/main.rs` is the lib's), else the lib, else the first.
fn target_of<'a>(targets: &'a [Target], file: &Path) -> Option<&'a Target> {
    let is_lib = |t: &Target| {
        t.kind
            .iter()
            .any(|k| k.contains("lib") || k == "proc-macro")
    };
    if let Some(t) = targets.iter().find(|t| t.src_path == file) {
        return Some(t);
    }
    targets
        .iter()
        .filter(|t| !t.kind.iter().any(|k| k == "custom-build"))
        .filter_map(|t| {
            let dir = t.src_path.parent()?;
            file.starts_with(dir)
                .then(|| ((dir.components().count(), is_lib(t)), t))
        })
        .max_by_key(|(rank, _)| *rank)
        .map(|(_, t)| t)
        .or_else(|| targets.iter().find(|t| is_lib(t)))
        .or(targets.first())
}

fn target_json(t: &Target) -> Value {
    json!({
        "kind": t.kind,
        "crate_types": t.crate_types,
        "name": t.name,
        "src_path": t.src_path.to_string_lossy(),
        "edition": t.edition,
        "doc": t.doc,
        "doctest": t.doctest,
        "test": t.test,
    })
}

/// A package without cargo targets: the file is a lib crate of its own.
fn plain_target(p: &Package, file: &Path) -> Value {
    target_json(&Target {
        name: p.name.replace('-', "_"),
        kind: vec!["lib".into()],
        crate_types: vec!["lib".into()],
        src_path: file.to_path_buf(),
        edition: "2021".into(),
        doc: true,
        doctest: true,
        test: true,
    })
}

/// The rustc diagnostic of one finding.
fn diagnostic(d: &Diagnostic, text: Option<&str>, style: Rendered) -> Value {
    let explanation = RULES
        .iter()
        .map(|r| r.meta())
        .find(|m| m.code == d.code)
        .map(|m| m.docs.trim_end());
    let children: Vec<Value> = d
        .help
        .iter()
        .map(|h| {
            json!({
                "$message_type": "diagnostic",
                "message": h,
                "code": null,
                "level": "help",
                "spans": [],
                "children": [],
                "rendered": null,
            })
        })
        .collect();
    json!({
        "$message_type": "diagnostic",
        "message": d.message,
        "code": {"code": d.code, "explanation": explanation},
        "level": level(d.severity),
        "spans": [span(d, text)],
        "children": children,
        "rendered": rendered(d, text, style),
    })
}

/// The finding's region with an end at or after its start; an empty one covers one character,
/// so an editor has something to underline.
fn region(d: &Diagnostic) -> (Pos, Pos) {
    let start = Pos {
        line: d.span.start.line.max(1),
        column: d.span.start.column.max(1),
    };
    let mut end = if d.span.end > start {
        d.span.end
    } else {
        start
    };
    if end == start {
        end.column += 1;
    }
    (start, end)
}

fn span(d: &Diagnostic, text: Option<&str>) -> Value {
    let (start, end) = region(d);
    let (byte_start, byte_end, lines) = match text {
        Some(t) => (
            offset(t, start.line, start.column),
            offset(t, end.line, end.column),
            span_lines(t, start, end),
        ),
        None => (0, 0, Vec::new()),
    };
    json!({
        "file_name": d.file,
        "byte_start": byte_start,
        "byte_end": byte_end,
        "line_start": start.line,
        "line_end": end.line,
        "column_start": start.column,
        "column_end": end.column,
        "is_primary": true,
        "text": lines,
        "label": d.label,
        "suggested_replacement": null,
        "suggestion_applicability": null,
        "expansion": null,
    })
}

/// rustc's `text` of a span: each line it covers, with the highlighted columns (1-based, the
/// end exclusive).
fn span_lines(text: &str, start: Pos, end: Pos) -> Vec<Value> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i as u32 + 1, l))
        .skip_while(|(n, _)| *n < start.line)
        .take_while(|(n, _)| *n <= end.line)
        .map(|(n, l)| {
            let from = if n == start.line { start.column } else { 1 };
            let to = if n == end.line {
                end.column
            } else {
                l.chars().count() as u32 + 1
            };
            json!({"text": l, "highlight_start": from, "highlight_end": to})
        })
        .collect()
}

/// ANSI styling of the rendered text; nothing when colours are off.
struct Paint(bool);

impl Paint {
    fn paint(&self, style: &str, s: &str) -> String {
        if self.0 && !s.is_empty() {
            format!("\x1b[{style}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}

const GUTTER: &str = "1;34";

fn level_style(s: Severity) -> &'static str {
    match s {
        Severity::Error => "1;31",
        Severity::Warning => "1;33",
        Severity::Note => "1;32",
    }
}

/// The finding as rustc prints a diagnostic:
///
/// ```text
/// error[TA201]: sqlx query touches tenant-owned table `projects` without a tenant predicate
///   --> src/api/projects.rs:33:21
///    |
/// 33 |     let rows = sqlx::query_as::<_, Project>("SELECT ...")
///    |                     ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ no tenant predicate
///    |
///    = help: add `AND org_id = $n`
/// ```
///
/// A span over several lines is underlined on its first line only (the start of a long chain
/// is what matters), as in the human output.
fn rendered(d: &Diagnostic, text: Option<&str>, style: Rendered) -> String {
    let (start, end) = region(d);
    let head = format!("{}[{}]", level(d.severity), d.code);
    if style == Rendered::Short {
        return format!(
            "{}:{}:{}: {head}: {}\n",
            d.file, start.line, start.column, d.message
        );
    }
    let p = Paint(style == Rendered::Ansi);
    let lvl = level_style(d.severity);
    let line = text.and_then(|t| t.lines().nth(start.line as usize - 1));
    let width = start.line.to_string().len();
    let pad = " ".repeat(width);
    let bar = p.paint(GUTTER, "|");
    let mut out = format!(
        "{}{}\n{pad}{} {}:{}:{}\n",
        p.paint(lvl, &head),
        p.paint("1", &format!(": {}", d.message)),
        p.paint(GUTTER, "-->"),
        d.file,
        start.line,
        start.column
    );
    out.push_str(&format!("{pad} {bar}\n"));
    if let Some(l) = line {
        let before: String = l
            .chars()
            .take(start.column as usize - 1)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let line_chars = l.chars().count() as u32 + 1;
        let to = if end.line == start.line {
            end.column.min(line_chars)
        } else {
            line_chars
        };
        let carets = "^".repeat(to.saturating_sub(start.column).max(1) as usize);
        let label = d
            .label
            .as_deref()
            .map(|s| format!(" {s}"))
            .unwrap_or_default();
        out.push_str(&format!(
            "{} {bar} {l}\n{pad} {bar} {before}{}\n",
            p.paint(GUTTER, &start.line.to_string()),
            p.paint(lvl, &format!("{carets}{label}"))
        ));
    }
    if let Some(h) = &d.help {
        if line.is_some() {
            out.push_str(&format!("{pad} {bar}\n"));
        }
        out.push_str(&format!(
            "{pad} {} {}: {h}\n",
            p.paint(GUTTER, "="),
            p.paint("1", "help")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Span;

    fn finding(file: &str, span: Span) -> Diagnostic {
        Diagnostic {
            code: "TA201",
            name: "untenanted-query",
            severity: Severity::Error,
            message: "query touches `projects` without a tenant predicate".into(),
            file: file.into(),
            span,
            label: Some("no tenant predicate".into()),
            help: Some("add `AND org_id = $n`".into()),
            item: String::new(),
            fingerprint: String::new(),
            snippet: String::new(),
            suppressed: None,
            reached_from: None,
        }
    }

    fn report(root: &Path, diagnostics: Vec<Diagnostic>) -> Report {
        Report {
            root: root.to_path_buf(),
            config: crate::config::Config::defaults(),
            diagnostics,
            summary: Default::default(),
            bypasses: Vec::new(),
            routes: Vec::new(),
            packages: Vec::new(),
            unreached: Vec::new(),
            unresolved_caches: Vec::new(),
        }
    }

    fn lines(r: &Report, style: Rendered) -> Vec<Value> {
        let mut buf = Vec::new();
        render(r, style, &RenderOptions::default(), &mut buf).unwrap();
        String::from_utf8(buf)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    fn span_of(l1: u32, c1: u32, l2: u32, c2: u32) -> Span {
        Span {
            start: Pos {
                line: l1,
                column: c1,
            },
            end: Pos {
                line: l2,
                column: c2,
            },
        }
    }

    #[test]
    fn unreadable_file_still_gets_its_message() {
        let dir = std::env::temp_dir().join(format!("ta-cargo-none-{}", std::process::id()));
        let r = report(&dir, vec![finding("src/gone.rs", span_of(3, 5, 3, 9))]);
        let out = lines(&r, Rendered::Plain);
        assert_eq!(out.len(), 2);
        let m = &out[0]["message"];
        assert_eq!(m["code"]["code"], "TA201");
        let s = &m["spans"][0];
        assert_eq!(s["file_name"], "src/gone.rs");
        assert_eq!(
            (s["line_start"].as_u64(), s["column_start"].as_u64()),
            (Some(3), Some(5))
        );
        assert_eq!(s["text"], json!([]));
        assert_eq!(
            (s["byte_start"].as_u64(), s["byte_end"].as_u64()),
            (Some(0), Some(0))
        );
        let rendered = m["rendered"].as_str().unwrap();
        assert!(rendered.contains("--> src/gone.rs:3:5"), "{rendered}");
        assert!(rendered.contains("= help: add"), "{rendered}");
        // No package known: the folder stands in for one.
        assert!(out[0]["package_id"]
            .as_str()
            .unwrap()
            .starts_with("path+file:///"));
        assert_eq!(
            out[1],
            json!({"reason": "build-finished", "success": false})
        );
    }

    #[test]
    fn byte_offsets_and_lines_of_a_multi_line_span() {
        let dir = std::env::temp_dir().join(format!("ta-cargo-src-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("src")).unwrap();
        // A BOM and a multi-byte character before the span: offsets count bytes after the BOM.
        let src = "\u{feff}// é\nfn f() {\n    let q = query(\n        \"SELECT\");\n}\n";
        std::fs::write(dir.join("src/lib.rs"), src).unwrap();
        let r = report(&dir, vec![finding("src/lib.rs", span_of(3, 13, 4, 18))]);
        let out = lines(&r, Rendered::Plain);
        let s = &out[0]["message"]["spans"][0];
        let text = src.trim_start_matches('\u{feff}');
        let (b0, b1) = (
            s["byte_start"].as_u64().unwrap() as usize,
            s["byte_end"].as_u64().unwrap() as usize,
        );
        assert_eq!(&text[b0..b1], "query(\n        \"SELECT\")");
        assert_eq!(
            s["text"],
            json!([
                {"text": "    let q = query(", "highlight_start": 13, "highlight_end": 19},
                {"text": "        \"SELECT\");", "highlight_start": 1, "highlight_end": 18},
            ])
        );
        assert_eq!(
            out[0]["message"]["rendered"],
            "error[TA201]: query touches `projects` without a tenant predicate\n --> src/lib.rs:3:13\n  |\n3 |     let q = query(\n  |             ^^^^^^ no tenant predicate\n  |\n  = help: add `AND org_id = $n`\n"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn short_and_ansi_renderings() {
        let dir = std::env::temp_dir().join(format!("ta-cargo-style-{}", std::process::id()));
        let r = report(&dir, vec![finding("src/a.rs", span_of(1, 1, 1, 4))]);
        let short = lines(&r, Rendered::Short);
        assert_eq!(
            short[0]["message"]["rendered"],
            "src/a.rs:1:1: error[TA201]: query touches `projects` without a tenant predicate\n"
        );
        let ansi = lines(&r, Rendered::Ansi);
        let text = ansi[0]["message"]["rendered"].as_str().unwrap();
        assert!(
            text.starts_with("\x1b[1;31merror[TA201]\x1b[0m"),
            "{text:?}"
        );
        let plain = lines(&r, Rendered::Plain);
        assert!(!plain[0]["message"]["rendered"]
            .as_str()
            .unwrap()
            .contains('\x1b'));
    }

    #[test]
    fn a_point_span_covers_one_character() {
        let dir = std::env::temp_dir().join(format!("ta-cargo-point-{}", std::process::id()));
        let r = report(&dir, vec![finding("tenant-audit.toml", Span::point(4, 1))]);
        let s = &lines(&r, Rendered::Plain)[0]["message"]["spans"][0];
        assert_eq!(
            (s["column_start"].as_u64(), s["column_end"].as_u64()),
            (Some(1), Some(2))
        );
    }

    fn target(name: &str, kind: &str, path: &str) -> Target {
        Target {
            name: name.into(),
            kind: vec![kind.into()],
            crate_types: vec![kind.into()],
            src_path: path.into(),
            edition: "2021".into(),
            doc: true,
            doctest: false,
            test: true,
        }
    }

    #[test]
    fn the_target_that_owns_a_file() {
        let targets = [
            target("build-script-build", "custom-build", "/p/build.rs"),
            target("svc", "bin", "/p/src/main.rs"),
            target("svc", "lib", "/p/src/lib.rs"),
            target("tool", "bin", "/p/src/bin/tool.rs"),
        ];
        let of = |f: &str| {
            let t = target_of(&targets, Path::new(f)).unwrap();
            format!("{} {}", t.kind[0], t.name)
        };
        assert_eq!(of("/p/src/main.rs"), "bin svc");
        assert_eq!(of("/p/src/api/users.rs"), "lib svc");
        assert_eq!(of("/p/src/bin/tool.rs"), "bin tool");
        assert_eq!(of("/p/src/bin/shared.rs"), "bin tool");
        assert_eq!(of("/p/tenant-audit.toml"), "lib svc");
        assert_eq!(of("/p/build.rs"), "custom-build build-script-build");
    }
}
