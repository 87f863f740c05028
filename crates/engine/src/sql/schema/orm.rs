//! Schemas written in Rust: diesel `table!` macros and sea-orm entities. (Readers of Rust
//! sources; they belong with the drivers in `db/` and will move there.)

use proc_macro2::{Delimiter, TokenStream, TokenTree};

use super::{Schema, Table};
use crate::sql::{norm_ident, snake_case};

impl Schema {
    /// Reads a diesel `table!` invocation: the tokens inside `table! { ... }` (merged into a
    /// table of the same name already in the schema, see [`Schema::merge_table`]). Handles several
    /// tables per invocation, `use ..;` lines, `#[sql_name = ".."]` on tables and columns,
    /// `schema.table`, an optional primary-key list, doc comments and `r#` identifiers.
    pub fn add_diesel_table_macro(&mut self, tokens: &TokenStream) {
        let trees: Vec<TokenTree> = tokens.clone().into_iter().collect();
        let mut i = 0;
        let mut sql_name: Option<String> = None;
        let mut name: Option<String> = None;
        let mut key: Option<Vec<String>> = None;
        while i < trees.len() {
            match &trees[i] {
                TokenTree::Ident(id) if id == "use" && name.is_none() => {
                    while i < trees.len()
                        && !matches!(&trees[i], TokenTree::Punct(p) if p.as_char() == ';')
                    {
                        i += 1;
                    }
                }
                TokenTree::Punct(p) if p.as_char() == '#' => {
                    if let Some(TokenTree::Group(g)) = trees.get(i + 1) {
                        if let Some(n) = sql_name_attr(&g.stream()) {
                            sql_name = Some(n);
                        }
                        i += 1;
                    }
                }
                TokenTree::Ident(id) => {
                    // `schema.table`: keep the last identifier.
                    name = Some(id.to_string());
                    key = None;
                }
                TokenTree::Group(g) if g.delimiter() == Delimiter::Parenthesis => {
                    // `table (a, b) { .. }`: the primary key, by the columns' Rust names.
                    key = Some(
                        g.stream()
                            .into_iter()
                            .filter_map(|t| match t {
                                TokenTree::Ident(i) => Some(i.to_string()),
                                _ => None,
                            })
                            .collect(),
                    );
                }
                TokenTree::Group(g) if g.delimiter() == Delimiter::Brace => {
                    if let Some(n) = sql_name.take().or(name.take()) {
                        let columns = diesel_columns(&g.stream());
                        let mut t = Table::named(&n);
                        for c in &columns {
                            t.add_column(&c.sql_name);
                            t.set_not_null(&c.sql_name, !c.nullable);
                        }
                        // Without a key list diesel assumes `id`.
                        let key = key.take().unwrap_or_else(|| vec!["id".to_string()]);
                        let key: Option<Vec<String>> = key
                            .iter()
                            .map(|k| {
                                let k = norm_ident(k);
                                columns
                                    .iter()
                                    .find(|c| norm_ident(&c.rust_name) == k)
                                    .map(|c| c.sql_name.clone())
                            })
                            .collect();
                        if let Some(key) = key {
                            t.set_primary_key(key, None);
                        }
                        self.merge_table(t);
                    }
                    name = None;
                    key = None;
                }
                _ => {}
            }
            i += 1;
        }
    }

    /// Reads a sea-orm entity: a struct deriving `DeriveEntityModel` (or, in the expanded
    /// style, `DeriveModel`) with `#[sea_orm(table_name = "..")]`. Columns are the field names,
    /// or their `#[sea_orm(column_name = "..")]`; fields marked `#[sea_orm(ignore)]` are skipped.
    /// Anything else is ignored.
    pub fn add_sea_orm_model(&mut self, item: &syn::ItemStruct) {
        let derives_model = item.attrs.iter().any(|a| {
            a.path().is_ident("derive")
                && a.meta
                    .require_list()
                    .map(|l| {
                        l.tokens.clone().into_iter().any(|t| {
                            matches!(&t, TokenTree::Ident(i) if i == "DeriveEntityModel" || i == "DeriveModel")
                        })
                    })
                    .unwrap_or(false)
        });
        if !derives_model {
            return;
        }
        let Some(table) = item
            .attrs
            .iter()
            .filter_map(|a| sea_orm_attr(a, "table_name"))
            .next()
        else {
            return;
        };
        let mut t = Table::named(&table);
        let mut key = Vec::new();
        for field in &item.fields {
            let Some(ident) = &field.ident else { continue };
            if sea_orm_flag(&field.attrs, "ignore") {
                continue;
            }
            let column = field
                .attrs
                .iter()
                .filter_map(|a| sea_orm_attr(a, "column_name"))
                .next()
                .unwrap_or_else(|| ident.to_string());
            t.add_column(&column);
            let optional = matches!(&field.ty, syn::Type::Path(p)
                if p.path.segments.last().is_some_and(|s| s.ident == "Option"));
            t.set_not_null(
                &column,
                !optional && !sea_orm_flag(&field.attrs, "nullable"),
            );
            if sea_orm_flag(&field.attrs, "primary_key") {
                key.push(column.clone());
            }
            if sea_orm_flag(&field.attrs, "unique") {
                t.add_unique(vec![column]);
            }
        }
        t.set_primary_key(key, None);
        self.merge_table(t);
    }
}

impl Schema {
    /// Reads the `belongs_to` relations of a sea-orm entity's `enum Relation` as foreign keys of
    /// `table`: `#[sea_orm(belongs_to = "super::app::Entity", from = "Column::AppId", to =
    /// "super::app::Column::Id")]` is `app_id REFERENCES app (id)`. `entity_table` names the
    /// table of an entity module (`app` in the example; its last path segment is used when it
    /// returns `None`). Relations without `belongs_to` (`has_many`) say nothing about `table`.
    pub fn add_sea_orm_relations(
        &mut self,
        table: &str,
        item: &syn::ItemEnum,
        entity_table: impl Fn(&str) -> Option<String>,
    ) {
        for v in &item.variants {
            for a in &v.attrs {
                let (Some(target), Some(from)) =
                    (sea_orm_attr(a, "belongs_to"), sea_orm_attr(a, "from"))
                else {
                    continue;
                };
                let module = target.strip_suffix("::Entity").unwrap_or(&target);
                let last = module.rsplit("::").next().unwrap_or(module);
                let referenced_table = entity_table(last).unwrap_or_else(|| last.to_string());
                let columns = relation_columns(&from);
                let referenced = sea_orm_attr(a, "to")
                    .map(|t| relation_columns(&t))
                    .unwrap_or_default();
                if columns.is_empty() {
                    continue;
                }
                self.table_mut(table).add_foreign_key(
                    None,
                    &columns,
                    &referenced_table,
                    &referenced,
                );
            }
        }
    }
}

impl Schema {
    /// Reads a diesel `joinable!(child -> parent (fk))` invocation (the tokens inside it) as
    /// `fk REFERENCES parent`, the parent's primary key. Anything else is ignored.
    pub fn add_diesel_joinable(&mut self, tokens: &TokenStream) {
        let trees: Vec<TokenTree> = tokens.clone().into_iter().collect();
        let ident = |i: usize| match trees.get(i) {
            Some(TokenTree::Ident(id)) => Some(id.to_string()),
            _ => None,
        };
        let punct = |i: usize, c: char| matches!(trees.get(i), Some(TokenTree::Punct(p)) if p.as_char() == c);
        let (Some(child), true, true, Some(parent)) =
            (ident(0), punct(1, '-'), punct(2, '>'), ident(3))
        else {
            return;
        };
        let Some(TokenTree::Group(g)) = trees.get(4) else {
            return;
        };
        let fk: Vec<String> = g
            .stream()
            .into_iter()
            .filter_map(|t| match t {
                TokenTree::Ident(i) => Some(i.to_string()),
                _ => None,
            })
            .collect();
        if fk.len() == 1 {
            self.table_mut(&child)
                .add_foreign_key(None, &fk, &parent, &[]);
        }
    }
}

/// `Column::AppId` -> `[app_id]`; `(Column::A, Column::B)` -> `[a, b]`.
fn relation_columns(spec: &str) -> Vec<String> {
    spec.trim_matches(|c| c == '(' || c == ')')
        .split(',')
        .filter_map(|p| p.trim().rsplit("::").next())
        .filter(|p| !p.is_empty())
        .map(snake_case)
        .collect()
}

/// `#[sea_orm(.., flag, ..)]` on one of `attrs`.
fn sea_orm_flag(attrs: &[syn::Attribute], flag: &str) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("sea_orm")
            && a.meta.require_list().is_ok_and(|l| {
                let trees: Vec<TokenTree> = l.tokens.clone().into_iter().collect();
                // A bare flag: not the key of `flag = ..`.
                trees.iter().enumerate().any(|(i, t)| {
                matches!(t, TokenTree::Ident(id) if id == flag)
                    && !matches!(trees.get(i + 1), Some(TokenTree::Punct(p)) if p.as_char() == '=')
            })
            })
    })
}

/// `#[sea_orm(key = "value", ..)]` -> value.
fn sea_orm_attr(attr: &syn::Attribute, key: &str) -> Option<String> {
    if !attr.path().is_ident("sea_orm") {
        return None;
    }
    let list = attr.meta.require_list().ok()?;
    key_string_value(&list.tokens, key)
}

/// In a token list `a = "x", b, c = "y"`, the string value of `key`.
fn key_string_value(tokens: &TokenStream, key: &str) -> Option<String> {
    let trees: Vec<TokenTree> = tokens.clone().into_iter().collect();
    for w in trees.windows(3) {
        if let (TokenTree::Ident(k), TokenTree::Punct(eq), TokenTree::Literal(lit)) =
            (&w[0], &w[1], &w[2])
        {
            if k == key && eq.as_char() == '=' {
                if let Ok(syn::Lit::Str(s)) =
                    syn::parse2::<syn::Lit>(TokenStream::from(TokenTree::Literal(lit.clone())))
                {
                    return Some(s.value());
                }
            }
        }
    }
    None
}

/// The inside of an attribute `[sql_name = "x"]` -> `x`.
fn sql_name_attr(tokens: &TokenStream) -> Option<String> {
    key_string_value(tokens, "sql_name")
}

/// A column of a diesel `table!` body.
struct DieselColumn {
    rust_name: String,
    /// `#[sql_name = ".."]`, else the Rust name.
    sql_name: String,
    /// Its type is `Nullable<..>`.
    nullable: bool,
}

/// Columns of a diesel table body: `#[..] name -> Type<..>, ...`.
fn diesel_columns(tokens: &TokenStream) -> Vec<DieselColumn> {
    let trees: Vec<TokenTree> = tokens.clone().into_iter().collect();
    let mut columns: Vec<DieselColumn> = Vec::new();
    let mut sql_name: Option<String> = None;
    let mut last_ident: Option<String> = None;
    let mut in_type = false;
    let mut angle = 0usize;
    let mut i = 0;
    while i < trees.len() {
        match &trees[i] {
            TokenTree::Punct(p) if p.as_char() == '#' && !in_type => {
                if let Some(TokenTree::Group(g)) = trees.get(i + 1) {
                    if let Some(n) = sql_name_attr(&g.stream()) {
                        sql_name = Some(n);
                    }
                    i += 1;
                }
            }
            TokenTree::Punct(p)
                if p.as_char() == '-'
                    && !in_type
                    && matches!(trees.get(i + 1), Some(TokenTree::Punct(q)) if q.as_char() == '>') =>
            {
                if let Some(rust_name) = last_ident.take() {
                    columns.push(DieselColumn {
                        sql_name: sql_name.take().unwrap_or_else(|| rust_name.clone()),
                        rust_name,
                        nullable: false,
                    });
                }
                in_type = true;
                angle = 0;
                i += 1;
            }
            TokenTree::Punct(p) if in_type && p.as_char() == '<' => angle += 1,
            TokenTree::Punct(p) if in_type && p.as_char() == '>' => angle = angle.saturating_sub(1),
            TokenTree::Punct(p) if p.as_char() == ',' && angle == 0 => {
                in_type = false;
                last_ident = None;
                sql_name = None;
            }
            TokenTree::Ident(id) if in_type && angle == 0 && id == "Nullable" => {
                if let Some(c) = columns.last_mut() {
                    c.nullable = true;
                }
            }
            TokenTree::Ident(id) if !in_type => last_ident = Some(id.to_string()),
            _ => {}
        }
        i += 1;
    }
    columns
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::schema::test_columns as cols;

    #[test]
    fn diesel_table_macro() {
        let tokens: TokenStream = quote::quote! {
            use diesel::sql_types::*;
            use crate::schema::sql_types::Mood;

            /// Projects of an organisation.
            projects (id) {
                id -> Int4,
                org_id -> Uuid,
                #[sql_name = "type"]
                kind -> Nullable<Text>,
                r#ref -> Array<Nullable<Int4>>,
                mood -> Mood,
            }

            #[sql_name = "Members"]
            app.members (org_id, user_id) {
                org_id -> Uuid,
                user_id -> Uuid,
            }

            countries {
                code -> Text,
            }
        };
        let mut s = Schema::default();
        s.add_diesel_table_macro(&tokens);
        assert_eq!(
            cols(&s, "projects"),
            ["id", "org_id", "type", "ref", "mood"]
        );
        assert_eq!(cols(&s, "members"), ["org_id", "user_id"]);
        assert_eq!(cols(&s, "countries"), ["code"]);
        assert_eq!(s.tables.len(), 3);
        let p = s.table("projects").unwrap();
        assert_eq!(p.primary_key(), ["id"]);
        assert!(p.is_not_null("org_id"));
        assert!(!p.is_not_null("type"), "Nullable<Text>");
        assert!(
            p.is_not_null("ref"),
            "Array<Nullable<..>> is itself not null"
        );
        assert_eq!(
            s.table("members").unwrap().primary_key(),
            ["org_id", "user_id"]
        );
        // No key list, no `id` column: no key.
        assert!(s.table("countries").unwrap().primary_key().is_empty());
    }

    #[test]
    fn sea_orm_model() {
        let item: syn::ItemStruct = syn::parse_quote! {
            #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
            #[sea_orm(table_name = "projects", schema_name = "app")]
            pub struct Model {
                #[sea_orm(primary_key, auto_increment = false)]
                pub id: Uuid,
                #[sea_orm(column_name = "OrgId", indexed)]
                pub organisation: Uuid,
                #[sea_orm(column_type = "Decimal(Some((10, 2)))", nullable)]
                pub price: Option<Decimal>,
                #[sea_orm(ignore)]
                pub cache: String,
                pub r#type: String,
            }
        };
        let mut s = Schema::default();
        s.add_sea_orm_model(&item);
        assert_eq!(cols(&s, "projects"), ["id", "orgid", "price", "type"]);
        let p = s.table("projects").unwrap();
        assert_eq!(p.primary_key(), ["id"]);
        assert!(p.is_not_null("orgid"));
        assert!(!p.is_not_null("price"));

        let composite: syn::ItemStruct = syn::parse_quote! {
            #[derive(DeriveEntityModel)]
            #[sea_orm(table_name = "slo_versions")]
            pub struct Model {
                #[sea_orm(primary_key)]
                pub org: Uuid,
                #[sea_orm(primary_key, auto_increment = false)]
                pub slo_id: String,
                #[sea_orm(primary_key)]
                pub generation: i64,
                #[sea_orm(unique)]
                pub slug: String,
            }
        };
        s.add_sea_orm_model(&composite);
        let v = s.table("slo_versions").unwrap();
        assert_eq!(v.primary_key(), ["org", "slo_id", "generation"]);
        assert_eq!(v.unique_keys(), [vec!["slug".to_string()]]);

        let not_entity: syn::ItemStruct = syn::parse_quote! {
            #[derive(Debug)]
            #[sea_orm(table_name = "nope")]
            pub struct Model { pub id: i32 }
        };
        s.add_sea_orm_model(&not_entity);
        assert!(s.table("nope").is_none());
    }

    #[test]
    fn a_model_merges_into_the_table_the_migrations_define() {
        let mut s = Schema::default();
        s.apply_migration(
            "CREATE TABLE endpoint (id TEXT PRIMARY KEY, app_id TEXT NOT NULL REFERENCES application (id), url TEXT);",
            crate::sql::Dialect::Postgres,
        );
        let model: syn::ItemStruct = syn::parse_quote! {
            #[derive(DeriveEntityModel)]
            #[sea_orm(table_name = "endpoint")]
            pub struct Model {
                #[sea_orm(primary_key)]
                pub id: String,
                pub app_id: String,
                pub channels: Option<Json>,
            }
        };
        s.add_sea_orm_model(&model);
        let t = s.table("endpoint").unwrap();
        assert_eq!(t.columns, ["id", "app_id", "url", "channels"]);
        assert_eq!(t.primary_key(), ["id"]);
        assert_eq!(
            t.foreign_key("app_id").map(|f| f.table.as_str()),
            Some("application")
        );
    }

    #[test]
    fn sea_orm_relations_are_foreign_keys() {
        let rel: syn::ItemEnum = syn::parse_quote! {
            #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
            pub enum Relation {
                #[sea_orm(
                    belongs_to = "super::kube_environment::Entity",
                    from = "Column::EnvironmentId",
                    to = "super::kube_environment::Column::Id",
                    on_update = "NoAction",
                    on_delete = "NoAction"
                )]
                KubeEnvironment,
                #[sea_orm(has_many = "super::label::Entity")]
                Label,
                #[sea_orm(belongs_to = "Entity", from = "(Column::OrgId, Column::Slug)", to = "(Column::OrgId, Column::Slug)")]
                SelfRef,
            }
        };
        let mut s = Schema::default();
        s.add_sea_orm_relations("kube_environment_workload", &rel, |m| {
            (m == "kube_environment").then(|| "kube_environments".to_string())
        });
        let t = s.table("kube_environment_workload").unwrap();
        let fk = t.foreign_key("environment_id").unwrap();
        assert_eq!(fk.table, "kube_environments");
        assert_eq!(fk.referenced.as_deref(), Some("id"));
        assert_eq!(t.foreign_key("slug").unwrap().key, ["org_id", "slug"]);
        assert_eq!(t.foreign_keys().len(), 3);
    }

    #[test]
    fn diesel_joinable_is_a_foreign_key() {
        let mut s = Schema::default();
        s.add_diesel_table_macro(&quote::quote! {
            ciphers (uuid) { uuid -> Text, organization_uuid -> Nullable<Text>, user_uuid -> Text, }
        });
        s.add_diesel_joinable(&quote::quote! { ciphers -> users (user_uuid) });
        s.add_diesel_joinable(&quote::quote! { ciphers -> organizations (organization_uuid) });
        s.add_diesel_joinable(&quote::quote! { nonsense });
        let t = s.table("ciphers").unwrap();
        let fk = t.foreign_key("user_uuid").unwrap();
        assert_eq!(
            (fk.table.as_str(), fk.referenced.as_deref()),
            ("users", None)
        );
        assert!(t.is_not_null("user_uuid") && !t.is_not_null("organization_uuid"));
        assert_eq!(t.foreign_keys().len(), 2);
    }
}
