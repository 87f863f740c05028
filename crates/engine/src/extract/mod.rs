//! Phase 1: one file at a time, read, parse, ONE visitor walk that records the file's facts, drop
//! the syntax tree. Frameworks, drivers and caches plug into the walk as [`Collector`]s, handed
//! to it by the registry ([`Plugins`]); the walk itself knows none of them.

mod cx;
pub mod facts;
mod items;
pub mod tenant;
mod text;
pub mod values;
mod walk;

pub use crate::ast::{
    last_segment, pat_ident, pat_idents, path_text, segments, short, string_wrapped, tokens_text,
    type_text,
};
pub use cx::{may_name_a_check, FileCx, FrameworkSpec, Plugins};
pub use facts::*;
pub use items::{block_diverges, diverges};
pub use values::{Env, Value};
pub use walk::{FnScope, Generics, Local, Walker};

use crate::config::Config;
use crate::diagnostic::Span;
use crate::workspace::{Package, SourceFile};

/// A piece of phase 1 that looks at nodes during the walk and records facts.
/// Every hook is called once per node; collectors never walk the tree themselves.
pub trait Collector: Sync {
    /// Every expression, before its children are walked.
    fn expr<'ast>(&self, _w: &mut Walker<'ast, '_>, _e: &'ast syn::Expr) {}
    /// Every macro invocation (expression, statement or item position).
    fn mac<'ast>(&self, _w: &mut Walker<'ast, '_>, _m: &'ast syn::Macro) {}
    /// Every fn, method and trait method, after its [`FnFact`] is pushed.
    fn fn_item<'ast>(
        &self,
        _w: &mut Walker<'ast, '_>,
        _attrs: &'ast [syn::Attribute],
        _sig: &'ast syn::Signature,
    ) {
    }
    /// Every item, before its children are walked.
    fn item<'ast>(&self, _w: &mut Walker<'ast, '_>, _i: &'ast syn::Item) {}
    /// Every `impl` block, before its items are walked.
    fn item_impl<'ast>(&self, _w: &mut Walker<'ast, '_>, _i: &'ast syn::ItemImpl) {}
    /// When a fn body has been walked (its state is dropped after this).
    fn fn_end<'ast>(&self, _w: &mut Walker<'ast, '_>) {}
}

/// Extracts the facts of one file. Never panics on the file's content: a parse failure is
/// recorded as [`ParseError`]; a bug of ours is caught by the caller.
pub fn extract_file(
    config: &Config,
    plugins: &Plugins,
    package: &Package,
    file: &SourceFile,
    index: usize,
    text: &str,
) -> FileFacts {
    let mut facts = FileFacts {
        file: index,
        package: file.package,
        lines: text.lines().count(),
        module: file.module.clone().into(),
        ..FileFacts::default()
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let ast = match syn::parse_file(text) {
        Ok(ast) => ast,
        Err(e) => {
            facts.parse_error = Some(ParseError {
                span: Span::from_pm2(e.span()),
                message: e.to_string(),
                internal: false,
            });
            return facts;
        }
    };
    let arena = typed_arena::Arena::new();
    let cx = FileCx::new(config, package, file, plugins, text);
    let mut walker = Walker::new(&cx, facts, &arena);
    walker.walk_file(&ast);
    walker.finish()
}

#[cfg(test)]
mod tests {
    use crate::workspace::{CargoIdentity, Package, SourceFile};

    fn facts(toml: &str, src: &str) -> super::FileFacts {
        let known = crate::config::Known {
            frameworks: crate::registry::framework_names(),
        };
        let config = crate::config::Config::from_str(toml, "t.toml", known).unwrap();
        let package = Package {
            name: "svc".into(),
            root: "/svc".into(),
            deps: Default::default(),
            plain: true,
            targets: Vec::new(),
            cargo: CargoIdentity::default(),
        };
        let file = SourceFile {
            abs: "/svc/src/lib.rs".into(),
            rel: "src/lib.rs".into(),
            package: 0,
            module: Vec::new(),
            crate_root: true,
        };
        let plugins = crate::registry::plugins();
        super::extract_file(&config, plugins, &package, &file, 0, src)
    }

    fn names(list: &[crate::intern::Name]) -> Vec<&str> {
        list.iter().map(|n| n.as_str()).collect()
    }

    /// A fn keeps the names it calls that may be a check (configured, or named like one for
    /// `init`); the file keeps every name once, in the order first called, then the names of
    /// its fns' attributes not called.
    #[test]
    fn fns_keep_the_calls_a_check_may_be_and_the_file_every_call() {
        let f = facts(
            "[handlers]\nchecks = [\"authz::gate\"]\n",
            r#"
/// Loads.
#[tracing::instrument]
fn a() { load(); authz::gate(); load(); x.require_role(); println!("x"); }
#[load]
#[instrument(skip_all)]
fn b() { load(); other(); check_response(); ensure_can_edit(); }
fn c() { let k = move || gate(); }
"#,
        );
        let calls: Vec<Vec<&str>> = f.fns.iter().map(|x| names(&x.calls)).collect();
        assert_eq!(
            calls,
            [
                vec!["gate", "require_role"],
                vec!["check_response", "ensure_can_edit"],
                vec!["gate"]
            ]
        );
        assert_eq!(
            names(&f.called),
            [
                "load",
                "gate",
                "require_role",
                "println",
                "other",
                "check_response",
                "ensure_can_edit",
                "doc",
                "instrument"
            ]
        );
    }

    /// A query's or cache call's item path is its fn's, joined again only when asked; a site
    /// whose item is not its fn's path keeps its own.
    #[test]
    fn sites_name_their_fns_item_without_a_copy_of_it() {
        let f = facts(
            "[tenant]\ncolumns = [\"org_id\"]\n",
            r#"
mod api {
    pub struct Repo;
    impl Repo {
        pub async fn load(&self, pool: &sqlx::PgPool) {
            sqlx::query("SELECT id FROM invoices").fetch_all(pool).await;
            let mut c: redis::Connection = todo!();
            redis::cmd("GET").arg("k").query::<String>(&mut c);
        }
    }
}
"#,
        );
        assert_eq!(f.queries.len(), 1);
        let q = &f.queries[0];
        assert_eq!(q.item, "", "the fn's path is not kept twice");
        assert_eq!(f.item_of(q.fn_index, &q.item), "api::Repo::load");
        assert!(!f.caches.is_empty());
        for c in &f.caches {
            assert_eq!(c.item, "");
            assert_eq!(f.item_of(c.fn_index, &c.item), "api::Repo::load");
        }
        // A fact of its own item (or outside any fn) keeps it.
        assert_eq!(f.item_of(q.fn_index, "api::other"), "api::other");
        assert_eq!(f.item_of(None, "api"), "api");
    }
}
