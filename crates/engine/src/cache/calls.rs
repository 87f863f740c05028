//! The one cache collector: types the receiver of every method call some family takes a key
//! with and forwards every hook to the
//! families for their own source forms.

use super::types::{self, Desc, TypeEnv};
use super::{key, CacheFact, Pending, PendingRoot, FAMILIES};
use crate::diagnostic::Span;
use crate::extract::{Collector, Walker};

pub struct CacheCalls;

impl Collector for CacheCalls {
    fn expr<'ast>(&self, w: &mut Walker<'ast, '_>, e: &'ast syn::Expr) {
        for f in FAMILIES {
            f.expr(w, e);
        }
        if let syn::Expr::MethodCall(m) = e {
            on_method(w, e, m);
        }
    }

    fn mac<'ast>(&self, w: &mut Walker<'ast, '_>, m: &'ast syn::Macro) {
        for f in FAMILIES {
            f.mac(w, m);
        }
    }

    fn fn_item<'ast>(
        &self,
        w: &mut Walker<'ast, '_>,
        attrs: &'ast [syn::Attribute],
        sig: &'ast syn::Signature,
    ) {
        for f in FAMILIES {
            f.fn_item(w, attrs, sig);
        }
    }

    fn item<'ast>(&self, w: &mut Walker<'ast, '_>, i: &'ast syn::Item) {
        for f in FAMILIES {
            f.item(w, i);
        }
    }

    fn item_impl<'ast>(&self, w: &mut Walker<'ast, '_>, i: &'ast syn::ItemImpl) {
        for f in FAMILIES {
            f.item_impl(w, i);
        }
    }

    fn fn_end<'ast>(&self, w: &mut Walker<'ast, '_>) {
        for f in FAMILIES {
            f.fn_end(w);
        }
    }
}

/// A method call some family takes a key with: type its receiver, judge its keys.
fn on_method<'ast>(w: &mut Walker<'ast, '_>, e: &'ast syn::Expr, m: &'ast syn::ExprMethodCall) {
    let config = w.cx.config;
    if !crate::intern::with_text(&m.method, |method| super::maybe_key_method(method, config)) {
        return;
    }
    let desc = {
        let env = TypeEnv {
            uses: &w.facts.uses,
            module: &w.module,
            pkg: w.cx.package,
            config,
            generics: w.generics(),
        };
        types::ty_of(w, &m.receiver, &env)
    };
    let Some(desc) = desc else { return };
    let method = m.method.to_string();
    let span = Span::from_pm2(crate::ast::expr_span(e));
    let item = w.current_item();
    let root = match desc {
        Desc::Known(ct) => {
            let family = FAMILIES[ct.family];
            if !family.is_key_method(&method, config) {
                return;
            }
            let args: Vec<_> = m.args.iter().map(|a| key::arg_fact(w, a)).collect();
            for j in family.judge(&method, &args, config) {
                let fact = ct.fact(j, span, item.clone(), &w.module);
                w.facts.caches.push(fact);
            }
            return;
        }
        Desc::Pending(root, fields) => (root, fields),
        Desc::Unknown(name) if types::looks_like_cache(&name) => {
            (PendingRoot::Untyped(name), Vec::new())
        }
        Desc::Unknown(_) => return,
    };
    let args = crate::extract::KeyArgs::of(m.args.iter().map(|a| key::arg_fact(w, a)).collect());
    let module = w.module.clone();
    let generics = w.generics().to_vec();
    w.facts.caches.push(CacheFact {
        span,
        item,
        pending: Some(Box::new(Pending {
            root: root.0,
            steps: root.1,
            method: method.into(),
            args,
            module,
            generics,
        })),
        ..CacheFact::default()
    });
}
