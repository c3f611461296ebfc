//! What the editor asks about a position: the declarations the language knows (schemas, enums,
//! functions and `let`s of the standard library and the workspace), and which of them the
//! syntax under the cursor refers to.
//!
//! Types are followed syntactically, the way the checker assigns them: a top-level
//! `stack x { ... }` is a `Stack` (the `stack` field of `Workspace`), `service web { ... }`
//! inside it a `Service` (the `service` field of `Stack`), `Volume { ... }` a `Volume`, a call
//! has its function's return type, and a bare name in a field of enum type is a variant.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use hl_syntax::ast::*;
use hlc_core::diagnostics::{FileId, Span};

use crate::convert::Doc;

/// Where something is declared: a workspace file (by index into [`Index::files`]) or the
/// standard library (by its logical path, `std/k8s.hl`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    File(usize),
    Std(&'static str),
}

#[derive(Clone, Debug)]
pub struct Def {
    pub origin: Origin,
    pub start: usize,
    pub end: usize,
}

#[derive(Clone, Debug)]
pub struct FieldInfo {
    pub name: String,
    pub ty: TypeExpr,
    pub optional: bool,
    pub default: Option<String>,
    pub doc: Option<String>,
}

#[derive(Clone, Debug)]
pub struct SchemaInfo {
    pub doc: Option<String>,
    pub fields: Vec<FieldInfo>,
    pub def: Def,
}

#[derive(Clone, Debug)]
pub struct VariantInfo {
    pub name: String,
    pub payload: Option<String>,
    pub doc: Option<String>,
}

#[derive(Clone, Debug)]
pub struct EnumInfo {
    pub doc: Option<String>,
    pub variants: Vec<VariantInfo>,
    pub def: Def,
}

#[derive(Clone, Debug)]
pub struct FnInfo {
    pub doc: Option<String>,
    pub signature: String,
    pub params: Vec<(String, String)>,
    pub def: Def,
}

#[derive(Clone, Debug)]
pub struct LetInfo {
    pub doc: Option<String>,
    pub ty: Option<String>,
    pub value: String,
    pub def: Def,
}

/// A file of the workspace, parsed.
pub struct File {
    pub path: PathBuf,
    /// Its text and line index (shared with the open document or the disk copy).
    pub text: Arc<Doc>,
    pub ast: Arc<SourceFile>,
}

/// Everything declared in the standard library and a workspace.
/// Syntax trees of the files last indexed, by path, with the text each was parsed from.
#[derive(Default)]
pub struct ParseCache {
    files: HashMap<PathBuf, (Source, FileId, Arc<SourceFile>)>,
}

/// A text that was parsed: the standard library's, or a shared document (an `Arc<Doc>` is
/// never changed while shared, so the same pointer means the same text).
#[derive(Clone)]
enum Source {
    Std(&'static str),
    Doc(Arc<Doc>),
}

impl Source {
    fn text(&self) -> &str {
        match self {
            Source::Std(t) => t,
            Source::Doc(d) => d.text(),
        }
    }

    fn same(&self, other: &Source) -> bool {
        match (self, other) {
            (Source::Doc(a), Source::Doc(b)) if Arc::ptr_eq(a, b) => true,
            _ => self.text() == other.text(),
        }
    }
}

impl ParseCache {
    fn get(&mut self, path: &std::path::Path, source: Source, id: FileId) -> Arc<SourceFile> {
        if let Some((t, i, ast)) = self.files.get(path)
            && *i == id
            && t.same(&source)
        {
            return ast.clone();
        }
        let ast = Arc::new(hl_syntax::parse(id, source.text()).file);
        self.files.insert(path.to_path_buf(), (source, id, ast.clone()));
        ast
    }
}

#[derive(Default)]
pub struct Index {
    pub schemas: HashMap<String, SchemaInfo>,
    pub enums: HashMap<String, EnumInfo>,
    pub fns: HashMap<String, FnInfo>,
    pub lets: HashMap<String, LetInfo>,
    /// Stack name → (file index, span of the name, description).
    pub stacks: BTreeMap<String, (usize, Span, Option<String>)>,
    /// The names the workspace's `cluster` declares in its map-valued facts (`tiers`,
    /// `storage_classes`), as written: what `tier = "..."` and `class = "..."` may be.
    pub cluster_names: BTreeMap<String, Vec<String>>,
    pub files: Vec<File>,
    /// What every name refers to, resolved on first use ([`crate::names::Names::of`]).
    pub names: std::cell::OnceCell<crate::names::Names>,
}

fn type_text(t: &TypeExpr) -> String {
    let mut s = match &t.kind {
        TypeKind::Named(p) => p.iter().map(|i| i.name.as_str()).collect::<Vec<_>>().join("."),
        TypeKind::List(x) => format!("[{}]", type_text(x)),
        TypeKind::Map(k, v) => format!("{{{}: {}}}", type_text(k), type_text(v)),
    };
    if t.optional {
        s.push('?');
    }
    s
}

/// The named type a value of `t` is built from: `Service` for `{DnsLabel: Service}`.
pub fn element_name(t: &TypeExpr) -> Option<String> {
    match &t.kind {
        TypeKind::Named(p) => p.last().map(|i| i.name.clone()),
        TypeKind::List(x) => element_name(x),
        TypeKind::Map(_, v) => element_name(v),
    }
}

fn slice(text: &str, span: Span) -> &str {
    text.get(span.start as usize..span.end as usize).unwrap_or_default()
}

impl Index {
    /// Index the standard library and the workspace files. Files whose text is in `cache`
    /// unchanged are not parsed again.
    pub fn build(files: Vec<(PathBuf, Arc<Doc>)>, cache: &mut ParseCache) -> Index {
        let mut index = Index::default();
        let mut seen: HashSet<PathBuf> = HashSet::new();
        for (path, text) in hlc_core::STDLIB {
            let key = PathBuf::from(path);
            let ast = cache.get(&key, Source::Std(text), FileId(u32::MAX));
            seen.insert(key);
            index.add_items(&ast.items, text, &|s: Span| Def {
                origin: Origin::Std(path),
                start: s.start as usize,
                end: s.end as usize,
            });
        }
        for (i, (path, text)) in files.into_iter().enumerate() {
            let ast = cache.get(&path, Source::Doc(text.clone()), FileId(i as u32));
            seen.insert(path.clone());
            index.add_items(&ast.items, &text, &|s: Span| Def {
                origin: Origin::File(i),
                start: s.start as usize,
                end: s.end as usize,
            });
            for item in &ast.items {
                if let Item::Decl(d) = item
                    && d.kw.name == "stack"
                    && let Some(n) = &d.name
                {
                    let description = match &d.body {
                        DeclBody::Block(b) => b.entries.iter().find_map(|e| match e {
                            Entry::Field(f) if f.name.name == "description" => {
                                Some(slice(&text, f.value.span).trim_matches('"').to_string())
                            }
                            _ => None,
                        }),
                        DeclBody::Expr(_) => None,
                    };
                    index.stacks.insert(n.name.clone(), (i, n.span, description));
                }
                if let Item::Decl(d) = item
                    && d.kw.name == "cluster"
                    && let DeclBody::Block(b) = &d.body
                {
                    for e in &b.entries {
                        if let Entry::Field(f) = e
                            && let ExprKind::Map(entries) = &f.value.kind
                        {
                            let keys = entries.iter().filter_map(|(k, _)| k.as_static());
                            index.cluster_names.entry(f.name.name.clone()).or_default().extend(keys);
                        }
                    }
                }
            }
            index.files.push(File { path, text, ast });
        }
        cache.files.retain(|p, _| seen.contains(p));
        index
    }

    fn add_items(&mut self, items: &[Item], text: &str, def: &dyn Fn(Span) -> Def) {
        for item in items {
            match item {
                Item::Schema(s) => {
                    let fields = s
                        .fields
                        .iter()
                        .map(|f| FieldInfo {
                            name: f.name.name.clone(),
                            ty: f.ty.clone(),
                            optional: f.optional || f.ty.optional || f.default.is_some(),
                            default: f.default.as_ref().map(|d| slice(text, d.span).to_string()),
                            doc: f.doc.clone(),
                        })
                        .collect();
                    self.schemas
                        .insert(s.name.name.clone(), SchemaInfo { doc: s.doc.clone(), fields, def: def(s.name.span) });
                }
                Item::Enum(e) => {
                    let variants = e
                        .variants
                        .iter()
                        .map(|v| VariantInfo {
                            name: v.name.name.clone(),
                            payload: v.payload.as_ref().map(type_text),
                            doc: v.doc.clone(),
                        })
                        .collect();
                    self.enums
                        .insert(e.name.name.clone(), EnumInfo { doc: e.doc.clone(), variants, def: def(e.name.span) });
                }
                Item::Fn(f) => {
                    let params: Vec<(String, String)> = f
                        .params
                        .iter()
                        .map(|p| {
                            let mut s = format!("{}: {}", p.name.name, type_text(&p.ty));
                            if let Some(d) = &p.default {
                                s.push_str(&format!(" = {}", slice(text, d.span)));
                            }
                            (p.name.name.clone(), s)
                        })
                        .collect();
                    let ret = f.ret.as_ref().map(|t| format!(" -> {}", type_text(t))).unwrap_or_default();
                    let signature = format!(
                        "fn {}({}){ret}",
                        f.name.name,
                        params.iter().map(|(_, s)| s.as_str()).collect::<Vec<_>>().join(", ")
                    );
                    self.fns.insert(
                        f.name.name.clone(),
                        FnInfo { doc: f.doc.clone(), signature, params, def: def(f.name.span) },
                    );
                }
                Item::Let(l) => {
                    self.lets.insert(
                        l.name.name.clone(),
                        LetInfo {
                            doc: l.doc.clone(),
                            ty: l.ty.as_ref().map(type_text),
                            value: slice(text, l.value.span).to_string(),
                            def: def(l.name.span),
                        },
                    );
                }
                _ => {}
            }
        }
    }

    pub fn field(&self, schema: &str, name: &str) -> Option<&FieldInfo> {
        self.schemas.get(schema)?.fields.iter().find(|f| f.name == name)
    }

    /// The schema of a block written for field/declaration `kw` of `schema`.
    pub fn member_type(&self, schema: Option<&str>, kw: &str) -> Option<String> {
        element_name(&self.field(schema?, kw)?.ty)
    }

    pub fn file_index(&self, path: &std::path::Path) -> Option<usize> {
        self.files.iter().position(|f| f.path == path)
    }
}

/// What is under (or just before) the cursor.
#[derive(Debug)]
pub enum Found<'a> {
    /// A field name or declaration keyword in a block of type `schema`.
    Member { schema: Option<String>, ident: &'a Ident },
    /// The name of a declaration (`stack freshrss`).
    DeclName { kw: &'a Ident, ident: &'a Ident, ty: Option<String> },
    /// The name of a `let`, `fn`, `schema` or `enum` where it is defined.
    ItemName { ident: &'a Ident },
    /// A name in an expression, in a place that expects `expected`; `field` is the field it is
    /// the value of.
    Name { ident: &'a Ident, expected: Option<String>, field: Option<String> },
    /// A literal in a place that expects `expected`.
    Literal { expr: &'a Expr, expected: Option<String> },
    /// A type name in a type expression.
    TypeName { ident: &'a Ident },
    /// An import's path.
    Import { path: &'a str },
}

/// The innermost block around the cursor: its type and the members it already has.
#[derive(Debug, Default, Clone)]
pub struct BlockCtx {
    pub schema: Option<String>,
    pub present: Vec<String>,
}

struct Walker<'a> {
    index: &'a Index,
    offset: usize,
    found: Option<Found<'a>>,
    block: Option<BlockCtx>,
}

fn contains(span: Span, offset: usize) -> bool {
    (span.start as usize) <= offset && offset <= (span.end as usize)
}

/// Find what is at `offset` in `file` (the cursor may sit just after a name).
pub fn locate<'a>(index: &'a Index, file: &'a SourceFile, offset: usize) -> (Option<Found<'a>>, Option<BlockCtx>) {
    let mut w = Walker { index, offset, found: None, block: None };
    for item in &file.items {
        if contains(item.span(), offset) {
            w.item(item);
        }
    }
    (w.found, w.block)
}

impl<'a> Walker<'a> {
    fn hit(&self, ident: &Ident) -> bool {
        contains(ident.span, self.offset)
    }

    fn item(&mut self, item: &'a Item) {
        match item {
            Item::Import(i) => {
                if contains(i.path_span, self.offset) {
                    self.found = Some(Found::Import { path: &i.path });
                }
            }
            Item::Let(l) => {
                if self.hit(&l.name) {
                    self.found = Some(Found::ItemName { ident: &l.name });
                } else {
                    let expected = l.ty.as_ref().and_then(element_name);
                    self.expr(&l.value, expected, None);
                }
            }
            Item::Schema(s) => {
                if self.hit(&s.name) {
                    self.found = Some(Found::ItemName { ident: &s.name });
                }
                for f in &s.fields {
                    self.ty(&f.ty);
                    if let Some(d) = &f.default {
                        self.expr(d, element_name(&f.ty), Some(f.name.name.clone()));
                    }
                }
            }
            Item::Enum(e) => {
                if self.hit(&e.name) {
                    self.found = Some(Found::ItemName { ident: &e.name });
                }
                for v in &e.variants {
                    if let Some(t) = &v.payload {
                        self.ty(t);
                    }
                }
            }
            Item::Fn(f) => {
                if self.hit(&f.name) {
                    self.found = Some(Found::ItemName { ident: &f.name });
                }
                for p in &f.params {
                    self.ty(&p.ty);
                    if let Some(d) = &p.default {
                        self.expr(d, element_name(&p.ty), None);
                    }
                }
                if let Some(t) = &f.ret {
                    self.ty(t);
                }
                let ret = f.ret.as_ref().and_then(element_name);
                self.expr(&f.body, ret, None);
            }
            Item::Decl(d) => self.decl(d, Some("Workspace".to_string())),
            Item::Error(_) => {}
        }
    }

    fn ty(&mut self, t: &'a TypeExpr) {
        if !contains(t.span, self.offset) {
            return;
        }
        match &t.kind {
            TypeKind::Named(path) => {
                if let Some(i) = path.iter().find(|i| self.hit(i)) {
                    self.found = Some(Found::TypeName { ident: i });
                }
            }
            TypeKind::List(x) => self.ty(x),
            TypeKind::Map(k, v) => {
                self.ty(k);
                self.ty(v);
            }
        }
    }

    fn decl(&mut self, d: &'a Decl, parent: Option<String>) {
        let ty = self.index.member_type(parent.as_deref(), &d.kw.name);
        if self.hit(&d.kw) {
            self.found = Some(Found::Member { schema: parent, ident: &d.kw });
            return;
        }
        if let Some(n) = &d.name
            && self.hit(n)
        {
            self.found = Some(Found::DeclName { kw: &d.kw, ident: n, ty });
            return;
        }
        match &d.body {
            DeclBody::Block(b) => self.block(b, ty),
            DeclBody::Expr(e) => self.expr(e, ty, Some(d.kw.name.clone())),
        }
    }

    fn block(&mut self, b: &'a Block, schema: Option<String>) {
        if !contains(b.span, self.offset) {
            return;
        }
        let present = b
            .entries
            .iter()
            .filter_map(|e| match e {
                Entry::Field(f) => Some(f.name.name.clone()),
                Entry::Decl(d) => Some(d.kw.name.clone()),
                _ => None,
            })
            .collect();
        self.block = Some(BlockCtx { schema: schema.clone(), present });
        for e in &b.entries {
            match e {
                Entry::Field(f) if contains(f.span, self.offset) => {
                    if self.hit(&f.name) {
                        self.found = Some(Found::Member { schema: schema.clone(), ident: &f.name });
                    } else {
                        let expected = self.index.member_type(schema.as_deref(), &f.name.name);
                        self.expr(&f.value, expected, Some(f.name.name.clone()));
                    }
                }
                Entry::Decl(d) if contains(d.span, self.offset) => self.decl(d, schema.clone()),
                Entry::Spread(x) if contains(x.span, self.offset) => self.expr(x, schema.clone(), None),
                Entry::Let(l) if contains(l.span, self.offset) => {
                    if self.hit(&l.name) {
                        self.found = Some(Found::ItemName { ident: &l.name });
                    } else {
                        self.expr(&l.value, l.ty.as_ref().and_then(element_name), None);
                    }
                }
                _ => {}
            }
        }
    }

    fn expr(&mut self, e: &'a Expr, expected: Option<String>, field: Option<String>) {
        if !contains(e.span, self.offset) {
            return;
        }
        match &e.kind {
            ExprKind::Name(i) => self.found = Some(Found::Name { ident: i, expected, field }),
            ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Quantity { .. } | ExprKind::Bool(_) | ExprKind::Null => {
                self.found = Some(Found::Literal { expr: e, expected })
            }
            ExprKind::Str(parts) => {
                self.found = Some(Found::Literal { expr: e, expected });
                for p in parts {
                    if let StrPart::Interp(x) = p {
                        self.expr(x, None, None);
                    }
                }
            }
            ExprKind::List(items) => {
                for x in items {
                    self.expr(x, expected.clone(), field.clone());
                }
            }
            ExprKind::Map(entries) => {
                for (_, v) in entries {
                    self.expr(v, expected.clone(), field.clone());
                }
            }
            ExprKind::Record(b) => self.block(b, expected),
            ExprKind::TypedRecord(path, b) => {
                if let Some(i) = path.iter().find(|i| self.hit(i)) {
                    self.found = Some(Found::TypeName { ident: i });
                    return;
                }
                self.block(b, path.last().map(|i| i.name.clone()));
            }
            ExprKind::Call(callee, args) => {
                if let ExprKind::Name(n) = &callee.kind
                    && self.hit(n)
                {
                    self.found = Some(Found::Name { ident: n, expected, field });
                    return;
                }
                self.expr(callee, None, None);
                let fn_params = match &callee.kind {
                    ExprKind::Name(n) => self.index.fns.get(&n.name).map(|f| f.params.clone()),
                    _ => None,
                };
                for (i, a) in args.iter().enumerate() {
                    // The type of a parameter, for a call of a known function.
                    let pname = a
                        .name
                        .as_ref()
                        .map(|n| n.name.clone())
                        .or_else(|| fn_params.as_ref().and_then(|ps| ps.get(i)).map(|(n, _)| n.clone()));
                    let pty = match (&callee.kind, &pname) {
                        (ExprKind::Name(n), Some(p)) => self.param_type(&n.name, p),
                        _ => None,
                    };
                    self.expr(&a.value, pty, pname);
                }
            }
            ExprKind::Member(base, _) | ExprKind::Unary(_, base) => self.expr(base, None, None),
            ExprKind::Index(base, idx) => {
                self.expr(base, None, None);
                self.expr(idx, None, None);
            }
            ExprKind::Binary(_, l, r) => {
                self.expr(l, None, None);
                self.expr(r, None, None);
            }
            ExprKind::If(branches, otherwise) => {
                for (c, t) in branches {
                    self.expr(c, None, None);
                    self.expr(t, expected.clone(), field.clone());
                }
                self.expr(otherwise, expected, field);
            }
            ExprKind::Error => {}
        }
    }

    fn param_type(&self, f: &str, param: &str) -> Option<String> {
        // Parameter types are not kept in FnInfo in typed form; read them from the signature.
        let info = self.index.fns.get(f)?;
        let (_, text) = info.params.iter().find(|(n, _)| n == param)?;
        let ty = text.split_once(": ")?.1;
        let ty = ty.split(" = ").next()?.trim_end_matches('?');
        let name = ty.rsplit([':', '{', '[']).next()?.trim_matches(['}', ']']);
        Some(name.trim().to_string())
    }
}

/// Markdown for hovering a schema field.
pub fn field_markdown(schema: &str, f: &FieldInfo) -> String {
    let mut s = format!("```hl\n{}: {}", f.name, type_text(&f.ty));
    if let Some(d) = &f.default {
        s.push_str(&format!(" = {d}"));
    }
    s.push_str(&format!("\n```\nfield of `{schema}`"));
    if let Some(doc) = &f.doc {
        s.push_str(&format!("\n\n{doc}"));
    }
    s
}

pub fn type_markdown(index: &Index, name: &str) -> Option<String> {
    if let Some(s) = index.schemas.get(name) {
        let mut out = format!("```hl\nschema {name}\n```");
        if let Some(d) = &s.doc {
            out.push_str(&format!("\n\n{d}"));
        }
        return Some(out);
    }
    let e = index.enums.get(name)?;
    let variants: Vec<String> = e
        .variants
        .iter()
        .map(|v| match &v.payload {
            Some(p) => format!("{}({p})", v.name),
            None => v.name.clone(),
        })
        .collect();
    let mut out = format!("```hl\nenum {name} {{ {} }}\n```", variants.join(", "));
    if let Some(d) = &e.doc {
        out.push_str(&format!("\n\n{d}"));
    }
    Some(out)
}
