//! Routes: routers built by builder chains and routes declared by attributes.

use super::FnFact;
use crate::diagnostic::Span;

/// A router (or app, scope, route table) built by one expression chain.
#[derive(Debug, Clone, Default)]
pub struct RouterFact {
    pub framework: &'static str,
    /// Index of the fn the chain is in (into `FileFacts::fns`).
    pub fn_index: Option<usize>,
    pub span: Span,
    /// This chain is the value its fn returns.
    pub returned: bool,
    /// Consumed by another chain of the same file (so it is not a root).
    pub nested: bool,
    /// Prefix applied to every route of the chain (loco `.prefix`, rocket `mount`, poem-openapi).
    pub prefix: Option<String>,
    /// For a poem-openapi `#[OpenApi]` impl: its self type's last segment (what
    /// `OpenApiService::new(Api, ..)` names).
    pub api: Option<String>,
    pub ops: Vec<RouterOp>,
}

/// How far a layer reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cover {
    /// axum `.layer`/`.route_layer`: the routes added before it.
    Before,
    /// actix `.wrap`, poem `.with`: everything in the container.
    All,
}

#[derive(Debug, Clone)]
pub enum RouterOp {
    /// A handler registration. `path`/`methods` None/empty: take them from the handler's route attribute.
    Route {
        path: Option<String>,
        methods: Vec<String>,
        handler: HandlerRef,
        /// Layers on this one route (`get(h).layer(x)`, `#[get(.., wrap = "x")]`).
        layers: Vec<String>,
    },
    Layer {
        text: String,
        cover: Cover,
    },
    Nest {
        prefix: Option<String>,
        target: Target,
    },
    Merge {
        target: Target,
    },
    /// The chain continues a router value (`r = r.route(..)`, `scope.wrap(..)`,
    /// `service_routes().layer(..)`): one target per definition that may reach it. The chain
    /// is the same container, so it keeps the value's prefix and its whole-container layers,
    /// and a layer seen on only one of the alternatives covers only that path.
    Extend {
        alternatives: Vec<Target>,
    },
}

/// A router referred to by another.
#[derive(Debug, Clone)]
pub enum Target {
    /// Another chain of the same file (index into `FileFacts::routers`).
    Chain(usize),
    /// The router returned by a fn: path as written and the module it is written in.
    Call {
        path: Vec<String>,
        module: crate::intern::Module,
    },
    /// A fn passed to actix `.configure(f)`: the routes it registers on its `ServiceConfig`.
    Configure {
        path: Vec<String>,
        module: crate::intern::Module,
    },
    /// A poem-openapi API type handed to `OpenApiService::new(..)`: the operations of its
    /// `#[OpenApi]` impl (by the type's last path segment, in the package).
    Api {
        name: String,
    },
    Unknown(String),
}

#[derive(Debug, Clone)]
pub enum HandlerRef {
    /// A fn named by a path (generics stripped), resolved in phase 2.
    Path {
        segments: Vec<String>,
        module: crate::intern::Module,
        span: Span,
    },
    /// A closure recorded as its own fn fact.
    Closure { fn_index: usize },
}

impl HandlerRef {
    pub fn span(&self, fns: &[FnFact]) -> Span {
        match self {
            HandlerRef::Path { span, .. } => *span,
            HandlerRef::Closure { fn_index } => fns[*fn_index].span,
        }
    }
}

/// A route declared by an attribute on the handler itself.
#[derive(Debug, Clone)]
pub struct RouteAttr {
    pub framework: &'static str,
    pub methods: Vec<String>,
    pub path: Option<String>,
    /// Middleware named in the attribute (`#[get("/x", wrap = "Auth")]`).
    pub wraps: Vec<String>,
}
