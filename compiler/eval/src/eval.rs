//! The evaluator.

mod statics;

pub use statics::{NameUse, Resolved, Target, check_statically};

use std::collections::HashMap;
use std::sync::Arc;

use hl_diagnostics::{Code, Diagnostic, FileId, Span, SuggestionMemo, did_you_mean, list_names, nearest_two};
use hl_syntax::ast::{self, BinaryOp, Entry, ExprKind, Item, StrPart, UnaryOp};
use hl_types::{Scalar, ValueError};
use indexmap::IndexMap;
use rustc_hash::{FxBuildHasher, FxHashMap};

use crate::ty::{self, EnumDef, FieldTy, SchemaDef, Ty, TypeDef, VariantDef};
use crate::value::{EnumValue, Fields, FnRef, Quantity, Record, Value, ValueKind};

/// One parsed file given to the evaluator.
pub struct InputFile<'a> {
    pub id: FileId,
    /// Logical path with `/` separators: `freshrss.hl`, `lib/web.hl`, `std/k8s.hl`.
    pub path: String,
    pub ast: &'a ast::SourceFile,
    /// Standard library files form the prelude: their definitions are in scope everywhere,
    /// and they contribute no declarations to the workspace.
    pub stdlib: bool,
    /// Whether the file's top-level declarations are evaluated into the root. A file given
    /// only for its definitions (a file another one imports, or one that defines types) has
    /// this off: its declarations belong to another evaluation.
    pub declares: bool,
}

/// Standard base64 (RFC 4648, with padding) of `bytes`: `file_base64()` here, and the
/// emitter's render-time `base64` references.
pub fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Reads a workspace file for `file(...)`: its bytes by logical path, or `None`.
pub type ReadAsset<'a> = dyn Fn(&str) -> Option<Vec<u8>> + 'a;

/// Every schema and enum by name.
pub type Types = Fields<Arc<TypeDef>>;

pub struct EvalInput<'a> {
    pub files: Vec<InputFile<'a>>,
    /// The schema of the workspace root (the top-level declarations of all workspace files).
    pub root_schema: &'a str,
    /// Every workspace file's path, for suggestions when an import names no file. Empty: the
    /// paths of `files`.
    pub workspace_paths: &'a WorkspacePaths,
    /// Whether to evaluate the standard library's `let`s into [`EvalOutput::prelude`].
    pub prelude: bool,
    /// The types, when an earlier evaluation of the same files' type definitions collected
    /// them ([`EvalOutput::types`]); `None` collects them from `files`.
    pub types: Option<Arc<Types>>,
    /// The names the standard library defines, when an earlier evaluation with the same
    /// standard library files found them ([`EvalOutput::stdlib_scopes`]); `None` reads them
    /// from `files`.
    pub stdlib_scopes: Option<Arc<StdlibScopes>>,
    /// The workspace's other files, for `file("path")`: the bytes of a file by its logical path
    /// (relative to the workspace root, with `/`), or `None` when the workspace has no such
    /// file. `None` here: no file can be read.
    pub assets: Option<&'a ReadAsset<'a>>,
}

/// The names the standard library defines: the prelude (in scope in every file) and each
/// standard library file's own scope. They depend on the standard library files alone, so an
/// evaluation hands them to the next one instead of every evaluation building them again.
#[derive(Debug, Default)]
pub struct StdlibScopes {
    prelude: Arc<Scope>,
    files: FxHashMap<FileId, Arc<Scope>>,
    /// Standard library files with an unresolved import.
    broken_imports: Vec<FileId>,
}

/// The workspace files' paths, for suggesting one when an import names no file.
///
/// A search reads every path, and when a file many others import goes missing, every one of
/// them asks the same question; so the answers are remembered, by the importing file's
/// directory and the path it asked for.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct WorkspacePaths {
    paths: Vec<String>,
    /// (directory, import path) → the two nearest paths as written from that directory.
    hints: SuggestionMemo<(String, String), NearestTwo>,
}

type NearestTwo = [Option<String>; 2];

impl WorkspacePaths {
    pub fn new(paths: Vec<String>) -> Self {
        WorkspacePaths { paths, hints: SuggestionMemo::default() }
    }

    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    /// The workspace path nearest to `import` as `from` would write it, other than `from`.
    fn suggest(&self, from: &str, import: &str) -> Option<String> {
        let dir = from.rfind('/').map_or("", |i| &from[..i]);
        let two = self.hints.get_or_insert_with((dir.to_string(), import.to_string()), || {
            nearest_paths(dir, import, self.paths.iter().map(String::as_str))
        });
        // Of the two, the first that is not the importing file itself.
        let own = relative_to(dir, from);
        two.into_iter().flatten().find(|p| *p != own)
    }
}

/// The two paths nearest to `import` as a file in `dir` would write them.
fn nearest_paths<'p>(dir: &str, import: &str, paths: impl Iterator<Item = &'p str>) -> NearestTwo {
    let mut known: Vec<String> = paths.map(|p| relative_to(dir, p)).collect();
    known.sort();
    nearest_two(import, known.iter().map(String::as_str)).map(|n| n.map(|(p, _)| p.to_string()))
}

/// Bounds on evaluation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Limits {
    pub steps: u64,
    pub call_depth: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { steps: 20_000_000, call_depth: 200 }
    }
}

pub struct EvalOutput {
    /// The workspace root record.
    pub root: Value,
    /// The values of the standard library's `let`s (cluster facts the later stages read).
    pub prelude: Fields<Value>,
    pub diagnostics: Vec<Diagnostic>,
    pub types: Arc<Types>,
    /// The standard library's names, for the next evaluation ([`EvalInput::stdlib_scopes`]).
    pub stdlib_scopes: Arc<StdlibScopes>,
}

/// Evaluate a workspace.
pub fn evaluate(input: &EvalInput<'_>, limits: Limits) -> EvalOutput {
    let mut ev = Evaluator::new(input, limits);
    if input.types.is_none() {
        ev.collect_types();
    }
    let stdlib_scopes = ev.build_scopes(input.stdlib_scopes.clone());
    let root = ev.eval_root();
    let prelude = if input.prelude { ev.prelude_values() } else { Fields::default() };
    EvalOutput { root, prelude, diagnostics: ev.diags, types: ev.types, stdlib_scopes }
}

/// Names in scope in one file: its own definitions and what it imports, in order.
type Scope = IndexMap<String, Global, FxBuildHasher>;

/// An entry of a block, or a top-level declaration read as an entry of the workspace root,
/// without copying it.
#[derive(Clone, Copy)]
enum EntryRef<'e> {
    Field(&'e ast::Field),
    Decl(&'e ast::Decl),
    Spread(&'e ast::Expr),
    Let(&'e ast::Let),
    Error,
}

impl<'e> From<&'e Entry> for EntryRef<'e> {
    fn from(e: &'e Entry) -> Self {
        match e {
            Entry::Field(f) => EntryRef::Field(f),
            Entry::Decl(d) => EntryRef::Decl(d),
            Entry::Spread(x) => EntryRef::Spread(x),
            Entry::Let(l) => EntryRef::Let(l),
            Entry::Error(_) => EntryRef::Error,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Global {
    Let(FileId, u32),
    Fn(FileId, u32),
    Module(FileId),
    /// The alias of an import that failed (already reported): uses evaluate to an error.
    Broken,
}

enum Slot {
    InProgress,
    Done(Value),
}

struct Evaluator<'a> {
    files: IndexMap<FileId, &'a InputFile<'a>, FxBuildHasher>,
    assets: Option<&'a ReadAsset<'a>>,
    by_path: FxHashMap<String, FileId>,
    root_schema: &'a str,
    workspace_paths: &'a WorkspacePaths,
    types: Arc<Types>,
    prelude: Arc<Scope>,
    scopes: FxHashMap<FileId, Arc<Scope>>,
    /// Files with an unresolved import: unknown names there may come from it.
    broken_imports: std::collections::HashSet<FileId>,
    memo: FxHashMap<Global, Slot>,
    /// Schema field defaults already evaluated, by schema file, item and field: a default is
    /// evaluated in its schema's file with nothing else in scope, so it has one value per
    /// evaluation (a Service's 80-odd defaults would otherwise be evaluated for every service).
    defaults: FxHashMap<(FileId, u32, usize), Value>,
    /// The workspace's `cluster` declaration, evaluated once on first use.
    cluster: Option<Slot>,
    locals: Vec<(String, Value)>,
    file: FileId,
    diags: Vec<Diagnostic>,
    steps_left: u64,
    depth: u32,
    limits: Limits,
    limit_reported: bool,
}

/// The name under which every file reads the workspace's cluster facts, and the keyword that
/// declares them.
pub const CLUSTER: &str = "cluster";
/// The schema of the cluster facts.
const CLUSTER_SCHEMA: &str = "Cluster";

const BUILTINS: &[&str] = &[
    "len",
    "join",
    "lower",
    "upper",
    "keys",
    "contains",
    "str",
    "file",
    "file_base64",
    "template",
    "yaml",
    "sha256",
    "sha1",
];

impl<'a> Evaluator<'a> {
    fn new(input: &'a EvalInput<'a>, limits: Limits) -> Self {
        let mut files = IndexMap::with_hasher(FxBuildHasher);
        let mut by_path = FxHashMap::default();
        for f in &input.files {
            files.insert(f.id, f);
            by_path.insert(f.path.clone(), f.id);
        }
        Evaluator {
            files,
            assets: input.assets,
            by_path,
            root_schema: input.root_schema,
            workspace_paths: input.workspace_paths,
            types: input.types.clone().unwrap_or_default(),
            prelude: Arc::default(),
            scopes: FxHashMap::default(),
            broken_imports: std::collections::HashSet::new(),
            memo: FxHashMap::default(),
            defaults: FxHashMap::default(),
            cluster: None,
            locals: Vec::new(),
            file: FileId(0),
            diags: Vec::new(),
            steps_left: limits.steps,
            depth: 0,
            limits,
            limit_reported: false,
        }
    }

    fn error(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    // ------------------------------------------------------------------ definitions

    fn collect_types(&mut self) {
        // First pass: names, so that types can refer to each other in any order.
        let mut first_span: HashMap<String, Span> = HashMap::new();
        let files: Vec<&InputFile<'a>> = self.files.values().copied().collect();
        for f in &files {
            for item in &f.ast.items {
                let (name, span) = match item {
                    Item::Schema(s) => (&s.name, s.span),
                    Item::Enum(e) => (&e.name, e.span),
                    _ => continue,
                };
                if name.name.is_empty() {
                    continue;
                }
                if let Some(prev) = first_span.get(&name.name) {
                    self.error(
                        Diagnostic::new(
                            Code::DuplicateDefinition,
                            format!("the type `{}` is defined twice", name.name),
                            name.span,
                            "defined again here",
                        )
                        .with_label(*prev, "first defined here")
                        .with_help("rename one of the two definitions"),
                    );
                    continue;
                }
                if ty::builtin(&name.name).is_some() {
                    self.error(Diagnostic::new(
                        Code::DuplicateDefinition,
                        format!("`{}` is a built-in type and cannot be redefined", name.name),
                        name.span,
                        "built-in type name",
                    ));
                    continue;
                }
                first_span.insert(name.name.clone(), span);
                // Placeholder so that lookups during resolution see the name.
                Arc::make_mut(&mut self.types).insert(
                    name.name.clone(),
                    Arc::new(TypeDef::Enum(EnumDef {
                        name: name.name.clone(),
                        variants: Fields::default(),
                        doc: None,
                        span,
                    })),
                );
            }
        }
        // Second pass: resolve field and payload types.
        for f in &files {
            for (idx, item) in f.ast.items.iter().enumerate() {
                match item {
                    Item::Schema(s) if first_span.get(&s.name.name) == Some(&s.span) => {
                        let mut fields: Fields<FieldTy> = Fields::default();
                        for (i, fd) in s.fields.iter().enumerate() {
                            if fields.contains_key(&fd.name.name) {
                                self.error(Diagnostic::new(
                                    Code::DuplicateDefinition,
                                    format!("field `{}` is defined twice in `{}`", fd.name.name, s.name.name),
                                    fd.name.span,
                                    "defined again here",
                                ));
                                continue;
                            }
                            let mut t = self.resolve_type(&fd.ty);
                            if fd.optional && !matches!(t, Ty::Optional(_)) {
                                t = Ty::Optional(Box::new(t));
                            }
                            fields.insert(
                                fd.name.name.clone(),
                                FieldTy {
                                    name: fd.name.name.clone(),
                                    optional: fd.optional || fd.ty.optional,
                                    ty: t,
                                    index: i,
                                    has_default: fd.default.is_some(),
                                    doc: fd.doc.clone(),
                                    span: fd.span,
                                },
                            );
                        }
                        Arc::make_mut(&mut self.types).insert(
                            s.name.name.clone(),
                            Arc::new(TypeDef::Schema(SchemaDef {
                                name: s.name.name.clone(),
                                file: f.id,
                                item: idx as u32,
                                fields,
                                doc: s.doc.clone(),
                                span: s.span,
                            })),
                        );
                    }
                    Item::Enum(e) if first_span.get(&e.name.name) == Some(&e.span) => {
                        let mut variants: Fields<VariantDef> = Fields::default();
                        for v in &e.variants {
                            if variants.contains_key(&v.name.name) {
                                self.error(Diagnostic::new(
                                    Code::DuplicateDefinition,
                                    format!("variant `{}` is defined twice in `{}`", v.name.name, e.name.name),
                                    v.name.span,
                                    "defined again here",
                                ));
                                continue;
                            }
                            let payload = v.payload.as_ref().map(|t| self.resolve_type(t));
                            variants.insert(
                                v.name.name.clone(),
                                VariantDef { name: v.name.name.clone(), payload, doc: v.doc.clone(), span: v.span },
                            );
                        }
                        Arc::make_mut(&mut self.types).insert(
                            e.name.name.clone(),
                            Arc::new(TypeDef::Enum(EnumDef {
                                name: e.name.name.clone(),
                                variants,
                                doc: e.doc.clone(),
                                span: e.span,
                            })),
                        );
                    }
                    _ => {}
                }
            }
        }
    }

    fn resolve_type(&mut self, t: &ast::TypeExpr) -> Ty {
        let base = match &t.kind {
            ast::TypeKind::Named(path) => {
                let Some(last) = path.last() else { return Ty::Error };
                let name = &last.name;
                if let Some(b) = ty::builtin(name) {
                    b
                } else {
                    match self.types.get(name).map(|t| &**t) {
                        Some(TypeDef::Schema(_)) => Ty::Schema(name.clone()),
                        Some(TypeDef::Enum(e)) if !e.variants.is_empty() || self.is_enum_item(name) => {
                            Ty::Enum(name.clone())
                        }
                        Some(TypeDef::Enum(_)) => {
                            // Placeholder during the first pass: decide by the item kind.
                            if self.is_enum_item(name) { Ty::Enum(name.clone()) } else { Ty::Schema(name.clone()) }
                        }
                        None => {
                            let mut candidates: Vec<&str> = ty::BUILTIN_NAMES.to_vec();
                            candidates.extend(self.types.keys().map(String::as_str));
                            let mut d = Diagnostic::new(
                                Code::UnknownType,
                                format!("unknown type `{name}`"),
                                last.span,
                                "not a type",
                            );
                            if let Some(s) = did_you_mean(name, candidates) {
                                d = d.with_suggestion(s);
                            }
                            self.error(d);
                            Ty::Error
                        }
                    }
                }
            }
            ast::TypeKind::List(inner) => Ty::List(Box::new(self.resolve_type(inner))),
            ast::TypeKind::Map(k, v) => Ty::Map(Box::new(self.resolve_type(k)), Box::new(self.resolve_type(v))),
        };
        if t.optional { Ty::Optional(Box::new(base)) } else { base }
    }

    fn is_enum_item(&self, name: &str) -> bool {
        self.files.values().any(|f| f.ast.items.iter().any(|i| matches!(i, Item::Enum(e) if e.name.name == name)))
    }

    /// Every file's scope and the prelude; the standard library's part from `stdlib` when an
    /// earlier evaluation found it. Returns the standard library's part.
    fn build_scopes(&mut self, stdlib: Option<Arc<StdlibScopes>>) -> Arc<StdlibScopes> {
        let files: Vec<&InputFile<'a>> = self.files.values().copied().collect();
        if let Some(known) = &stdlib {
            self.prelude = known.prelude.clone();
            for (id, scope) in &known.files {
                if self.files.contains_key(id) {
                    self.scopes.insert(*id, scope.clone());
                }
            }
            self.broken_imports.extend(known.broken_imports.iter().copied());
        } else {
            // The prelude: every definition of the standard library.
            let mut prelude = Scope::default();
            for f in files.iter().filter(|f| f.stdlib) {
                for (name, g) in self.own_defs(f) {
                    prelude.entry(name).or_insert(g);
                }
            }
            self.prelude = Arc::new(prelude);
        }
        for f in &files {
            if stdlib.is_some() && f.stdlib && self.scopes.contains_key(&f.id) {
                continue;
            }
            let mut scope = self.own_defs(f);
            for item in &f.ast.items {
                let Item::Import(imp) = item else { continue };
                let Some(target) = self.resolve_import(f, imp) else {
                    // Names the missing file would have defined are not reported again.
                    match &imp.alias {
                        Some(alias) => {
                            scope.entry(alias.name.clone()).or_insert(Global::Broken);
                        }
                        None => {
                            self.broken_imports.insert(f.id);
                        }
                    }
                    continue;
                };
                match &imp.alias {
                    Some(alias) => {
                        scope.entry(alias.name.clone()).or_insert(Global::Module(target));
                    }
                    None => {
                        if let Some(tf) = self.files.get(&target).copied() {
                            for (name, g) in self.own_defs(tf) {
                                scope.entry(name).or_insert(g);
                            }
                        }
                    }
                }
            }
            self.scopes.insert(f.id, Arc::new(scope));
        }
        self.check_import_cycles(&files);
        stdlib.unwrap_or_else(|| {
            let stdlib_files = files.iter().filter(|f| f.stdlib);
            Arc::new(StdlibScopes {
                prelude: self.prelude.clone(),
                files: stdlib_files.clone().filter_map(|f| Some((f.id, self.scopes.get(&f.id)?.clone()))).collect(),
                broken_imports: stdlib_files.map(|f| f.id).filter(|id| self.broken_imports.contains(id)).collect(),
            })
        })
    }

    /// The `let` and `fn` items a file defines, reporting duplicates.
    fn own_defs(&mut self, f: &InputFile<'a>) -> Scope {
        let mut out = Scope::default();
        let mut spans: FxHashMap<&str, Span> = FxHashMap::default();
        for (i, item) in f.ast.items.iter().enumerate() {
            let (name, g) = match item {
                Item::Let(l) => (&l.name, Global::Let(f.id, i as u32)),
                Item::Fn(d) => (&d.name, Global::Fn(f.id, i as u32)),
                _ => continue,
            };
            if name.name.is_empty() {
                continue;
            }
            if let Some(prev) = spans.get(name.name.as_str()) {
                // Report once: scopes are built for every importer too.
                if !self.diags.iter().any(|d| d.code == Code::DuplicateDefinition && d.primary.span == name.span) {
                    self.error(
                        Diagnostic::new(
                            Code::DuplicateDefinition,
                            format!("`{}` is defined twice", name.name),
                            name.span,
                            "defined again here",
                        )
                        .with_label(*prev, "first defined here"),
                    );
                }
                continue;
            }
            spans.insert(&name.name, name.span);
            out.insert(name.name.clone(), g);
        }
        out
    }

    fn import_target(&self, from: &InputFile<'a>, path: &str) -> Option<FileId> {
        import_candidates(&from.path, path).iter().find_map(|c| self.by_path.get(c).copied())
    }

    fn resolve_import(&mut self, from: &InputFile<'a>, imp: &ast::Import) -> Option<FileId> {
        match self.import_target(from, &imp.path) {
            Some(t) => Some(t),
            None => {
                // Suggest paths as the importing file would write them.
                let hint = if self.workspace_paths.is_empty() {
                    let dir = from.path.rfind('/').map_or("", |i| &from.path[..i]);
                    let paths = self.files.values().filter(|f| !f.stdlib && f.id != from.id).map(|f| f.path.as_str());
                    nearest_paths(dir, &imp.path, paths)[0].clone()
                } else {
                    self.workspace_paths.suggest(&from.path, &imp.path)
                };
                let mut d = Diagnostic::new(
                    Code::UnresolvedImport,
                    format!("cannot find the file `{}` to import", imp.path),
                    imp.path_span,
                    "no such file in the workspace",
                )
                .with_note(
                    "import paths are relative to the importing file; `std/...` names a standard library module",
                );
                if let Some(s) = hint {
                    d = d.with_help(format!("did you mean `{s}`?"));
                }
                self.error(d);
                None
            }
        }
    }

    fn check_import_cycles(&mut self, files: &[&InputFile<'a>]) {
        // Edges from each file to the files it imports, with the import's span.
        let mut edges: IndexMap<FileId, Vec<(FileId, Span)>> = IndexMap::new();
        for f in files {
            let mut out = Vec::new();
            for item in &f.ast.items {
                if let Item::Import(imp) = item
                    && let Some(t) = self.import_target(f, &imp.path)
                {
                    out.push((t, imp.span));
                }
            }
            edges.insert(f.id, out);
        }
        // Depth-first search with colours; each cycle is reported once, at its first edge.
        let mut state: HashMap<FileId, u8> = HashMap::new();
        let mut reported: Vec<Vec<FileId>> = Vec::new();
        for f in files {
            let mut stack: Vec<(FileId, Span)> = Vec::new();
            self.dfs_imports(f.id, &edges, &mut state, &mut stack, &mut reported);
        }
    }

    fn dfs_imports(
        &mut self,
        node: FileId,
        edges: &IndexMap<FileId, Vec<(FileId, Span)>>,
        state: &mut HashMap<FileId, u8>,
        stack: &mut Vec<(FileId, Span)>,
        reported: &mut Vec<Vec<FileId>>,
    ) {
        match state.get(&node) {
            Some(2) => return,
            Some(1) => {
                let start = stack.iter().position(|(f, _)| *f == node).unwrap_or(0);
                let cycle: Vec<(FileId, Span)> = stack[start..].to_vec();
                let mut key: Vec<FileId> = cycle.iter().map(|(f, _)| *f).collect();
                key.sort();
                if reported.contains(&key) {
                    return;
                }
                reported.push(key);
                let path = |id: FileId| self.files.get(&id).map(|f| f.path.clone()).unwrap_or_default();
                let mut names: Vec<String> = cycle.iter().map(|(f, _)| path(*f)).collect();
                names.push(path(node));
                let Some(&(_, first_span)) = cycle.get(1).or(cycle.first()) else { return };
                let mut d = Diagnostic::new(
                    Code::ImportCycle,
                    format!("import cycle: {}", names.join(" -> ")),
                    first_span,
                    "this import closes a cycle",
                )
                .with_help("move the shared definitions into a file that both can import");
                for (_, s) in cycle.iter().skip(2) {
                    d = d.with_label(*s, "imported here");
                }
                self.error(d);
                return;
            }
            _ => {}
        }
        state.insert(node, 1);
        if let Some(out) = edges.get(&node) {
            for (t, span) in out {
                stack.push((node, Span::default()));
                if let Some(last) = stack.last_mut() {
                    last.1 = *span;
                }
                // Record the edge span on the target's frame for labels.
                stack.pop();
                stack.push((node, *span));
                self.dfs_imports(*t, edges, state, stack, reported);
                stack.pop();
            }
        }
        state.insert(node, 2);
    }

    // ------------------------------------------------------------------ root

    fn prelude_values(&mut self) -> Fields<Value> {
        let lets: Vec<(String, Global)> =
            self.prelude.iter().filter(|(_, g)| matches!(g, Global::Let(..))).map(|(n, g)| (n.clone(), *g)).collect();
        let mut out: Fields<Value> = lets.into_iter().map(|(n, g)| (n, self.global_value(g))).collect();
        if !out.contains_key(CLUSTER) {
            let c = self.cluster_value();
            out.insert(CLUSTER.to_string(), c);
        }
        out
    }

    /// The workspace's cluster facts: its `cluster` declaration (the first, in workspace order,
    /// among the files of this evaluation) as a `Cluster` record with every default filled
    /// in, or all the defaults when it declares none. Evaluated once per evaluation, in the
    /// declaring file's scope, whoever asks first.
    fn cluster_value(&mut self) -> Value {
        match &self.cluster {
            Some(Slot::Done(v)) => return v.clone(),
            Some(Slot::InProgress) => {
                let span = self.cluster_decl().map_or_else(Span::default, |(_, d)| d.kw.span);
                self.error(
                    Diagnostic::new(
                        Code::CyclicDefinition,
                        "`cluster` is defined in terms of itself",
                        span,
                        "this declaration reads `cluster`",
                    )
                    .with_help("write the fact out instead of reading it from `cluster`"),
                );
                return Value::error(span);
            }
            None => {}
        }
        self.cluster = Some(Slot::InProgress);
        let saved = (self.file, std::mem::take(&mut self.locals));
        let root = self.types.get(self.root_schema).cloned();
        let schema = self.types.get(CLUSTER_SCHEMA).cloned();
        let v = if let Some((file, d)) = self.cluster_decl()
            && let Some(TypeDef::Schema(root)) = root.as_deref()
        {
            let refs = [(file, EntryRef::Decl(d))];
            let whole = self.eval_entries(&refs, Some(root), d.span, d.kw.span);
            whole.as_record().and_then(|r| r.get(CLUSTER)).cloned().unwrap_or_else(|| Value::error(d.span))
        } else if let Some(TypeDef::Schema(schema)) = schema.as_deref() {
            self.eval_entries(&[], Some(schema), Span::default(), Span::default())
        } else {
            Value::error(Span::default())
        };
        self.file = saved.0;
        self.locals = saved.1;
        self.cluster = Some(Slot::Done(v.clone()));
        v
    }

    /// The first top-level `cluster { ... }` declaration of a workspace file.
    fn cluster_decl(&self) -> Option<(FileId, &'a ast::Decl)> {
        self.files.values().filter(|f| !f.stdlib).find_map(|f| {
            f.ast.items.iter().find_map(|item| match item {
                Item::Decl(d) if d.kw.name == CLUSTER && d.name.is_none() => Some((f.id, d)),
                _ => None,
            })
        })
    }

    fn eval_root(&mut self) -> Value {
        let Some(def) = self.types.get(self.root_schema).cloned() else {
            return Value::error(Span::default());
        };
        let TypeDef::Schema(schema) = &*def else {
            return Value::error(Span::default());
        };
        let files: Vec<&InputFile<'a>> = self.files.values().copied().filter(|f| !f.stdlib && f.declares).collect();
        // Top-level declarations are entries of the workspace root.
        let refs: Vec<(FileId, EntryRef<'_>)> = files
            .iter()
            .flat_map(|f| {
                f.ast.items.iter().filter_map(|item| match item {
                    Item::Decl(d) => Some((f.id, EntryRef::Decl(d))),
                    _ => None,
                })
            })
            .collect();
        let span = Span::default();
        self.eval_entries(&refs, Some(schema), span, span)
    }

    // ------------------------------------------------------------------ blocks and records

    /// Evaluate the entries of a block against an optional schema.
    fn eval_entries(
        &mut self,
        entries: &[(FileId, EntryRef<'_>)],
        schema: Option<&SchemaDef>,
        block_span: Span,
        head_span: Span,
    ) -> Value {
        let saved_file = self.file;
        let locals_mark = self.locals.len();
        let mut fields: Fields<Value> = Fields::default();
        let mut field_spans: Fields<Span> = Fields::default();
        let mut defaults = rustc_hash::FxHashSet::default();
        // Fields set explicitly (not by a spread), for duplicate detection.
        let mut explicit: FxHashMap<&str, Span> = FxHashMap::default();
        let mut map_entry_spans: FxHashMap<(&str, &str), Span> = FxHashMap::default();
        // A block with unreadable entries may well set the "missing" fields there; so may one
        // with a misspelt field (`prot = 9113` for `port`) or a spread that failed (a call
        // with a wrong argument): one mistake, one diagnostic.
        let mut unreadable = false;
        for (file, entry) in entries {
            self.file = *file;
            match entry {
                EntryRef::Error => unreadable = true,
                EntryRef::Let(l) => {
                    let expected = l.ty.as_ref().map(|t| self.resolve_type(t));
                    let v = self.eval_expr(&l.value, expected.as_ref());
                    let v = match &expected {
                        Some(t) => self.coerce(v, t, l.name.span),
                        None => v,
                    };
                    self.locals.push((l.name.name.clone(), v));
                }
                EntryRef::Spread(e) => {
                    let v = self.eval_expr(e, None);
                    match &v.kind {
                        ValueKind::Record(r) => {
                            for (k, fv) in &r.fields {
                                if let Some(s) = schema
                                    && !s.fields.contains_key(k)
                                {
                                    self.unknown_field(s, k, fv.span);
                                    continue;
                                }
                                let fv = match schema.and_then(|s| s.fields.get(k)) {
                                    Some(ft) => self.coerce(fv.clone(), &ft.ty, e.span),
                                    None => fv.clone(),
                                };
                                field_spans.insert(k.clone(), r.field_spans.get(k).copied().unwrap_or(e.span));
                                if r.defaults.contains(k) {
                                    defaults.insert(k.clone());
                                } else {
                                    defaults.remove(k);
                                }
                                fields.insert(k.clone(), fv);
                            }
                        }
                        ValueKind::Error => unreadable = true,
                        _ => {
                            let found = v.describe();
                            self.error(Diagnostic::new(
                                Code::TypeMismatch,
                                format!("only a record can be spread into a block, found {found}"),
                                e.span,
                                "not a record",
                            ));
                        }
                    }
                }
                EntryRef::Field(f) => {
                    let ft = match schema {
                        Some(s) => match s.fields.get(&f.name.name) {
                            Some(ft) => Some(&ft.ty),
                            None => {
                                self.unknown_field(s, &f.name.name, f.name.span);
                                unreadable = true;
                                continue;
                            }
                        },
                        None => None,
                    };
                    if let Some(prev) = explicit.get(f.name.name.as_str()) {
                        self.duplicate_field(&f.name.name, f.name.span, *prev);
                        continue;
                    }
                    let v = self.eval_expr(&f.value, ft);
                    let v = match ft {
                        Some(t) => self.coerce(v, t, f.name.span),
                        None => v,
                    };
                    explicit.insert(&f.name.name, f.name.span);
                    field_spans.insert(f.name.name.clone(), f.span);
                    defaults.remove(&f.name.name);
                    fields.insert(f.name.name.clone(), v);
                }
                EntryRef::Decl(d) => {
                    let kw = &d.kw.name;
                    let ft = match schema {
                        Some(s) => match s.fields.get(kw) {
                            Some(ft) => Some(&ft.ty),
                            None => {
                                self.unknown_field(s, kw, d.kw.span);
                                continue;
                            }
                        },
                        None => None,
                    };
                    match &d.name {
                        Some(name) => {
                            // A named declaration adds an entry to a map field.
                            let (key_ty, val_ty) = match ft.map(Ty::strip_optional) {
                                Some(Ty::Map(k, v)) => (Some(&**k), Some(&**v)),
                                Some(Ty::Error) | None => (None, None),
                                Some(other) => {
                                    self.error(
                                        Diagnostic::new(
                                            Code::TypeMismatch,
                                            format!("`{kw}` takes a single value, not named entries"),
                                            name.span,
                                            "remove this name",
                                        )
                                        .with_help(format!(
                                            "`{kw}` has type `{other}`; write `{kw} {{ ... }}` or `{kw} = ...`"
                                        )),
                                    );
                                    continue;
                                }
                            };
                            if let Some(kt) = key_ty {
                                let key = Value::new(ValueKind::Str(name.name.clone()), name.span);
                                self.coerce(key, kt, name.span);
                            }
                            let mut v = self.eval_decl_body(d, val_ty);
                            // A named record is located by its name: `service web` points at `web`.
                            if matches!(v.kind, ValueKind::Record(_)) {
                                v.span = name.span;
                            }
                            let map_key = (kw.as_str(), name.name.as_str());
                            if let Some(prev) = map_entry_spans.get(&map_key) {
                                self.error(
                                    Diagnostic::new(
                                        Code::DuplicateField,
                                        format!("`{kw} {}` is declared twice", name.name),
                                        name.span,
                                        "declared again here",
                                    )
                                    .with_label(*prev, "first declared here")
                                    .with_help("give each declaration its own name"),
                                );
                                continue;
                            }
                            map_entry_spans.insert(map_key, name.span);
                            if explicit.contains_key(kw.as_str()) {
                                self.duplicate_field(kw, d.kw.span, explicit[kw.as_str()]);
                                continue;
                            }
                            let slot = fields
                                .entry(kw.clone())
                                .or_insert_with(|| Value::new(ValueKind::Map(Fields::default()), d.kw.span));
                            if let ValueKind::Map(m) = &mut slot.kind {
                                m.insert(name.name.clone(), v);
                            } else {
                                *slot =
                                    Value::new(ValueKind::Map(Fields::from_iter([(name.name.clone(), v)])), d.kw.span);
                            }
                            field_spans.entry(kw.clone()).or_insert(d.span);
                        }
                        None => {
                            if let Some(prev) = explicit.get(kw.as_str()) {
                                self.duplicate_field(kw, d.kw.span, *prev);
                                continue;
                            }
                            let v = self.eval_decl_body(d, ft);
                            let v = match ft {
                                Some(t) => self.coerce(v, t, d.kw.span),
                                None => v,
                            };
                            explicit.insert(kw, d.kw.span);
                            field_spans.insert(kw.clone(), d.span);
                            defaults.remove(kw);
                            fields.insert(kw.clone(), v);
                        }
                    }
                }
            }
        }
        self.locals.truncate(locals_mark);
        self.file = saved_file;
        let record = Record { schema: schema.map(|s| s.name.clone()), fields, field_spans, defaults };
        let record = match schema {
            Some(s) => self.complete(record, s, head_span, !unreadable),
            None => record,
        };
        Value::new(ValueKind::Record(Arc::new(record)), block_span)
    }

    fn eval_decl_body(&mut self, d: &ast::Decl, expected: Option<&Ty>) -> Value {
        match &d.body {
            ast::DeclBody::Expr(e) => {
                let v = self.eval_expr(e, expected);
                match expected {
                    Some(t) => self.coerce(v, t, d.kw.span),
                    None => v,
                }
            }
            ast::DeclBody::Block(b) => {
                let head = match &d.name {
                    Some(n) => d.kw.span.to(n.span),
                    None => d.kw.span,
                };
                self.eval_block_as(b, expected, head)
            }
        }
    }

    /// Evaluate `{ ... }` where a value of type `expected` is wanted.
    fn eval_block_as(&mut self, b: &ast::Block, expected: Option<&Ty>, head: Span) -> Value {
        let file = self.file;
        let entries: Vec<(FileId, EntryRef<'_>)> = b.entries.iter().map(|e| (file, EntryRef::from(e))).collect();
        match expected.map(Ty::strip_optional) {
            Some(Ty::Schema(name)) => {
                let Some(def) = self.types.get(name).cloned() else { return Value::error(b.span) };
                let TypeDef::Schema(schema) = &*def else { return Value::error(b.span) };
                self.eval_entries(&entries, Some(schema), b.span, head)
            }
            Some(Ty::Map(_, _)) if b.entries.is_empty() => Value::new(ValueKind::Map(Fields::default()), b.span),
            _ => self.eval_entries(&entries, None, b.span, head),
        }
    }

    /// Fill defaults and report missing required fields.
    fn complete(&mut self, mut record: Record, schema: &SchemaDef, head: Span, report_missing: bool) -> Record {
        let mut missing = Vec::new();
        // The fields in schema order (for stable output): each set field is moved over, each
        // unset one gets its default. Fields the schema does not have were reported and are
        // left out.
        let mut fields = Fields::with_capacity_and_hasher(schema.fields.len(), FxBuildHasher);
        // Every field the program left unset gets a span and (mostly) a default mark: grow
        // the two maps once rather than doubling through a large schema's fields.
        let unset = schema.fields.len().saturating_sub(record.fields.len());
        record.field_spans.reserve(unset);
        record.defaults.reserve(unset);
        for (name, ft) in &schema.fields {
            if let Some((name, v)) = record.fields.swap_remove_entry(name) {
                fields.insert(name, v);
            } else if ft.has_default {
                let v = self.eval_default(schema, ft);
                record.field_spans.insert(name.clone(), v.span);
                fields.insert(name.clone(), v);
                record.defaults.insert(name.clone());
            } else if ft.optional || matches!(ft.ty, Ty::Optional(_)) {
                fields.insert(name.clone(), Value::new(ValueKind::Null, head));
                record.defaults.insert(name.clone());
            } else {
                missing.push(name.clone());
                fields.insert(name.clone(), Value::error(head));
            }
        }
        record.fields = fields;
        if !missing.is_empty() && report_missing {
            self.error(missing_fields(schema, &missing, head));
        }
        record
    }

    fn eval_default(&mut self, schema: &SchemaDef, ft: &FieldTy) -> Value {
        let key = (schema.file, schema.item, ft.index);
        if let Some(v) = self.defaults.get(&key) {
            return v.clone();
        }
        let errors = self.diags.len();
        let v = self.eval_default_now(schema, ft);
        // A default that reported something is evaluated again where it is used next, so that
        // each use reports (and the step budget counts) as before.
        if self.diags.len() == errors {
            self.defaults.insert(key, v.clone());
        }
        v
    }

    fn eval_default_now(&mut self, schema: &SchemaDef, ft: &FieldTy) -> Value {
        let Some(file) = self.files.get(&schema.file).copied() else { return Value::error(ft.span) };
        let Some(Item::Schema(s)) = file.ast.items.get(schema.item as usize) else { return Value::error(ft.span) };
        let Some(expr) = s.fields.get(ft.index).and_then(|f| f.default.as_ref()) else {
            return Value::error(ft.span);
        };
        let saved = (self.file, std::mem::take(&mut self.locals));
        self.file = schema.file;
        let v = self.eval_expr(expr, Some(&ft.ty));
        let v = self.coerce(v, &ft.ty, ft.span);
        self.file = saved.0;
        self.locals = saved.1;
        v
    }

    fn unknown_field(&mut self, schema: &SchemaDef, name: &str, span: Span) {
        let mut d = Diagnostic::new(
            Code::UnknownField,
            format!("`{}` has no field `{name}`", schema.name),
            span,
            "unknown field",
        );
        if let Some(s) = did_you_mean(name, schema.fields.keys().map(String::as_str)) {
            d = d.with_suggestion(s);
        } else {
            let names: Vec<&str> = schema.fields.keys().map(String::as_str).collect();
            d = d.with_help(format!("the fields of `{}` are {}", schema.name, list_names(&names)));
        }
        self.error(d);
    }

    fn duplicate_field(&mut self, name: &str, span: Span, prev: Span) {
        self.error(
            Diagnostic::new(Code::DuplicateField, format!("`{name}` is set twice"), span, "set again here")
                .with_label(prev, "first set here")
                .with_help("remove one of the two"),
        );
    }

    // ------------------------------------------------------------------ expressions

    fn tick(&mut self, span: Span) -> bool {
        if self.steps_left == 0 {
            if !self.limit_reported {
                self.limit_reported = true;
                self.error(
                    Diagnostic::new(
                        Code::EvaluationLimit,
                        format!("evaluation stopped after {} steps", self.limits.steps),
                        span,
                        "still evaluating here",
                    )
                    .with_help("evaluation is bounded; look for recursion that never ends or that grows exponentially"),
                );
            }
            return false;
        }
        self.steps_left -= 1;
        true
    }

    fn eval_expr(&mut self, e: &ast::Expr, expected: Option<&Ty>) -> Value {
        if !self.tick(e.span) {
            return Value::error(e.span);
        }
        let span = e.span;
        let exp = expected.map(Ty::strip_optional);
        match &e.kind {
            ExprKind::Error => Value::error(span),
            ExprKind::Null => Value::new(ValueKind::Null, span),
            ExprKind::Bool(b) => Value::new(ValueKind::Bool(*b), span),
            ExprKind::Int(i) => Value::new(ValueKind::Int(*i), span),
            ExprKind::Float(f) => Value::new(ValueKind::Float(*f), span),
            ExprKind::Quantity { number, unit } => match number.parse::<f64>() {
                Ok(n) => Value::new(
                    ValueKind::Quantity(Quantity { number: n, text: number.clone(), unit: Some(unit.clone()) }),
                    span,
                ),
                Err(_) => Value::error(span),
            },
            ExprKind::Str(parts) => self.eval_string(parts, span),
            ExprKind::List(items) => {
                let elem = match exp {
                    Some(Ty::List(t)) => Some((**t).clone()),
                    _ => None,
                };
                let mut out = Vec::with_capacity(items.len());
                for it in items {
                    let v = self.eval_expr(it, elem.as_ref());
                    out.push(v);
                }
                Value::new(ValueKind::List(out), span)
            }
            ExprKind::Map(entries) => {
                let vt = match exp {
                    Some(Ty::Map(_, v)) => Some((**v).clone()),
                    _ => None,
                };
                let mut m: Fields<Value> = Fields::default();
                // The span of each key of `m`, by its index there.
                let mut key_spans: Vec<Span> = Vec::with_capacity(entries.len());
                for (k, ve) in entries {
                    let key = match self.eval_string(&k.parts, k.span).kind {
                        ValueKind::Str(s) => s,
                        _ => continue,
                    };
                    if let Some(prev) = m.get_index_of(&key).and_then(|i| key_spans.get(i)) {
                        self.duplicate_field(&key, k.span, *prev);
                        continue;
                    }
                    key_spans.push(k.span);
                    let v = self.eval_expr(ve, vt.as_ref());
                    m.insert(key, v);
                }
                Value::new(ValueKind::Map(m), span)
            }
            ExprKind::Record(b) => self.eval_block_as(b, exp, b.span),
            ExprKind::TypedRecord(path, b) => {
                let Some(last) = path.last() else { return Value::error(span) };
                match self.types.get(&last.name).cloned().as_deref() {
                    Some(TypeDef::Schema(s)) => {
                        let file = self.file;
                        let entries: Vec<(FileId, EntryRef<'_>)> =
                            b.entries.iter().map(|x| (file, EntryRef::from(x))).collect();
                        self.eval_entries(&entries, Some(s), span, last.span)
                    }
                    Some(TypeDef::Enum(_)) => {
                        self.error(Diagnostic::new(
                            Code::TypeMismatch,
                            format!("`{}` is an enum, not a schema", last.name),
                            last.span,
                            "cannot build a record of an enum",
                        ));
                        Value::error(span)
                    }
                    None => {
                        self.error(unknown_schema(&last.name, last.span, &self.types));
                        Value::error(span)
                    }
                }
            }
            ExprKind::Name(id) => self.eval_name(id, exp),
            ExprKind::Unary(op, inner) => {
                let v = self.eval_expr(inner, None);
                self.unary_value(*op, v, inner.span, span)
            }
            ExprKind::Binary(op, l, r) => self.eval_binary(*op, l, r, span),
            ExprKind::If(branches, otherwise) => {
                for (c, t) in branches {
                    let cv = self.eval_expr(c, Some(&Ty::Bool));
                    match cv.kind {
                        ValueKind::Bool(true) => return self.eval_expr(t, expected),
                        ValueKind::Bool(false) => {}
                        ValueKind::Error => return Value::error(span),
                        _ => {
                            self.error(not_a_condition(&cv, c.span));
                            return Value::error(span);
                        }
                    }
                }
                self.eval_expr(otherwise, expected)
            }
            ExprKind::Member(base, field) => self.eval_member(base, field, exp, span),
            ExprKind::Index(base, ix) => {
                let b = self.eval_expr(base, None);
                let i = self.eval_expr(ix, None);
                match (&b.kind, &i.kind) {
                    (ValueKind::Error, _) | (_, ValueKind::Error) => Value::error(span),
                    (ValueKind::List(l), ValueKind::Int(n)) => match usize::try_from(*n).ok().and_then(|n| l.get(n)) {
                        Some(v) => v.clone(),
                        None => {
                            let len = l.len();
                            self.error(Diagnostic::new(
                                Code::EvaluationError,
                                format!("index {n} is out of range for a list of {len} elements"),
                                ix.span,
                                "out of range",
                            ));
                            Value::error(span)
                        }
                    },
                    (ValueKind::Map(m), ValueKind::Str(k)) => match m.get(k) {
                        Some(v) => v.clone(),
                        None => {
                            let keys: Vec<&str> = m.keys().map(String::as_str).collect();
                            let mut d = Diagnostic::new(
                                Code::EvaluationError,
                                format!("the map has no key `{k}`"),
                                ix.span,
                                "no such key",
                            );
                            if let Some(s) = did_you_mean(k, keys) {
                                d = d.with_help(format!("did you mean `{s}`?"));
                            }
                            self.error(d);
                            Value::error(span)
                        }
                    },
                    _ => {
                        let (bd, id) = (b.describe(), i.describe());
                        self.error(Diagnostic::new(
                            Code::TypeMismatch,
                            format!("cannot index {bd} with {id}"),
                            ix.span,
                            "lists take an `Int`, maps a `String`",
                        ));
                        Value::error(span)
                    }
                }
            }
            ExprKind::Call(callee, args) => self.eval_call(callee, args, exp, span),
        }
    }

    fn eval_string(&mut self, parts: &[StrPart], span: Span) -> Value {
        let mut out = String::new();
        for p in parts {
            match p {
                StrPart::Text(t) => out.push_str(t),
                StrPart::Interp(e) => {
                    let v = self.eval_expr(e, None);
                    match v.as_text() {
                        Some(t) => out.push_str(&t),
                        None => {
                            if !v.is_error() {
                                let what = v.describe();
                                self.error(Diagnostic::new(
                                    Code::TypeMismatch,
                                    format!("cannot interpolate {what} into a string"),
                                    e.span,
                                    "not a scalar value",
                                ));
                            }
                            return Value::error(span);
                        }
                    }
                }
            }
        }
        Value::new(ValueKind::Str(out), span)
    }

    fn enum_def(&self, name: &str) -> Option<&EnumDef> {
        match self.types.get(name).map(|t| &**t) {
            Some(TypeDef::Enum(e)) => Some(e),
            _ => None,
        }
    }

    fn eval_name(&mut self, id: &ast::Ident, exp: Option<&Ty>) -> Value {
        let span = id.span;
        // A bare variant name where an enum is expected: `auth = required`.
        if let Some(Ty::Enum(en)) = exp
            && let Some(e) = self.enum_def(en)
            && let Some(v) = e.variants.get(&id.name)
        {
            if let Some(p) = &v.payload {
                let (en, vn, p) = (e.name.clone(), v.name.clone(), p.clone());
                self.error(
                    Diagnostic::new(
                        Code::VariantPayload,
                        format!("`{en}.{vn}` carries a `{p}` that is missing"),
                        span,
                        format!("`{vn}` needs a value"),
                    )
                    .with_help(format!("write `{vn}(<{p}>)`")),
                );
                return Value::error(span);
            }
            return Value::new(
                ValueKind::Enum(Arc::new(EnumValue { enum_name: en.clone(), variant: id.name.clone(), payload: None })),
                span,
            );
        }
        // A stack name where a stack reference is expected: `depends_on = [platform]`.
        // Stack names live in their own namespace: `vault` here is the stack, not `fn vault`.
        if let Some(Ty::StackRef) = exp {
            return Value::new(ValueKind::Str(id.name.clone()), span);
        }
        match self.lookup(&id.name) {
            Some(v) => {
                let mut v = v;
                // The value keeps its origin span, but a use of a name is reported at the use.
                if matches!(v.kind, ValueKind::Error) {
                    v.span = span;
                }
                v
            }
            None => {
                if let Some(Ty::Enum(en)) = exp
                    && let Some(e) = self.enum_def(en)
                {
                    let names: Vec<&str> = e.variants.keys().map(String::as_str).collect();
                    let mut d = Diagnostic::new(
                        Code::UnknownVariant,
                        format!("`{}` is not a variant of `{}`", id.name, e.name),
                        span,
                        format!("expected one of {}", list_names(&names)),
                    );
                    if let Some(s) = did_you_mean(&id.name, names.iter().copied()) {
                        d = d.with_suggestion(s);
                    }
                    d = variant_fixes(d, e, span);
                    self.error(d);
                    return Value::error(span);
                }
                self.unknown_name(id);
                Value::error(span)
            }
        }
    }

    fn names_in_scope(&self) -> Vec<String> {
        let mut names: Vec<String> = self.locals.iter().map(|(n, _)| n.clone()).collect();
        if let Some(s) = self.scopes.get(&self.file) {
            names.extend(s.keys().cloned());
        }
        names.extend(self.prelude.keys().cloned());
        names.extend(BUILTINS.iter().map(|s| s.to_string()));
        names
    }

    fn unknown_name(&mut self, id: &ast::Ident) {
        if self.broken_imports.contains(&self.file) {
            return;
        }
        let names = self.names_in_scope();
        let mut d = Diagnostic::new(
            Code::UnknownName,
            format!("cannot find `{}` in this scope", id.name),
            id.span,
            "not defined",
        );
        if let Some(s) = did_you_mean(&id.name, names.iter().map(String::as_str)) {
            d = d.with_suggestion(s);
        } else {
            // Perhaps a variant of an enum used where no enum is expected.
            let owners: Vec<String> = self
                .types
                .values()
                .filter_map(|t| match &**t {
                    TypeDef::Enum(e) if e.variants.contains_key(&id.name) => Some(e.name.clone()),
                    _ => None,
                })
                .collect();
            if let Some(o) = owners.first() {
                d = d.with_help(format!("`{}` is a variant of `{o}`: write `{o}.{}`", id.name, id.name));
            }
        }
        self.error(d);
    }

    fn lookup(&mut self, name: &str) -> Option<Value> {
        if let Some((_, v)) = self.locals.iter().rev().find(|(n, _)| n == name) {
            return Some(v.clone());
        }
        let g =
            self.scopes.get(&self.file).and_then(|s| s.get(name).copied()).or_else(|| self.prelude.get(name).copied());
        match g {
            Some(g) => Some(self.global_value(g)),
            None if name == CLUSTER => Some(self.cluster_value()),
            None => None,
        }
    }

    fn global_value(&mut self, g: Global) -> Value {
        match g {
            Global::Fn(file, item) => Value::new(ValueKind::Func(FnRef { file, item }), self.item_span(file, item)),
            Global::Module(file) => Value::new(ValueKind::Module(file), Span::default()),
            Global::Broken => Value::error(Span::default()),
            Global::Let(file, item) => {
                match self.memo.get(&g) {
                    Some(Slot::Done(v)) => return v.clone(),
                    Some(Slot::InProgress) => {
                        let span = self.item_span(file, item);
                        let name = self.item_name(file, item);
                        self.error(
                            Diagnostic::new(
                                Code::CyclicDefinition,
                                format!("`{name}` is defined in terms of itself"),
                                span,
                                "this definition depends on itself",
                            )
                            .with_help("break the cycle by writing one of the values out"),
                        );
                        return Value::error(span);
                    }
                    None => {}
                }
                self.memo.insert(g, Slot::InProgress);
                let Some(f) = self.files.get(&file).copied() else { return Value::error(Span::default()) };
                let Some(Item::Let(l)) = f.ast.items.get(item as usize) else { return Value::error(Span::default()) };
                let saved = (self.file, std::mem::take(&mut self.locals));
                self.file = file;
                let expected = l.ty.as_ref().map(|t| self.resolve_type(t));
                let v = self.eval_expr(&l.value, expected.as_ref());
                let v = match &expected {
                    Some(t) => self.coerce(v, t, l.name.span),
                    None => v,
                };
                self.file = saved.0;
                self.locals = saved.1;
                self.memo.insert(g, Slot::Done(v.clone()));
                v
            }
        }
    }

    fn item_span(&self, file: FileId, item: u32) -> Span {
        self.files
            .get(&file)
            .and_then(|f| f.ast.items.get(item as usize))
            .map(|i| match i {
                Item::Let(l) => l.name.span,
                Item::Fn(f) => f.name.span,
                other => other.span(),
            })
            .unwrap_or_default()
    }

    fn item_name(&self, file: FileId, item: u32) -> String {
        match self.files.get(&file).and_then(|f| f.ast.items.get(item as usize)) {
            Some(Item::Let(l)) => l.name.name.clone(),
            Some(Item::Fn(f)) => f.name.name.clone(),
            _ => String::new(),
        }
    }

    fn eval_member(&mut self, base: &ast::Expr, field: &ast::Ident, exp: Option<&Ty>, span: Span) -> Value {
        // `Auth.required`: a qualified variant.
        if let ExprKind::Name(b) = &base.kind
            && self.lookup_silent(&b.name).is_none()
            && let Some(e) = self.enum_def(&b.name)
        {
            let e = e.clone();
            return self.variant_value(&e, field, None, span);
        }
        let _ = exp;
        let b = self.eval_expr(base, None);
        match &b.kind {
            ValueKind::Error => Value::error(span),
            ValueKind::Record(r) => match r.fields.get(&field.name) {
                Some(v) => v.clone(),
                None => {
                    let mut d = Diagnostic::new(
                        Code::UnknownField,
                        format!("{} has no field `{}`", b.describe(), field.name),
                        field.span,
                        "unknown field",
                    );
                    if let Some(s) = did_you_mean(&field.name, r.fields.keys().map(String::as_str)) {
                        d = d.with_suggestion(s);
                    }
                    self.error(d);
                    Value::error(span)
                }
            },
            ValueKind::Map(m) => match m.get(&field.name) {
                Some(v) => v.clone(),
                None => {
                    self.error(Diagnostic::new(
                        Code::EvaluationError,
                        format!("the map has no key `{}`", field.name),
                        field.span,
                        "no such key",
                    ));
                    Value::error(span)
                }
            },
            ValueKind::Module(file) => {
                let g = self.scopes.get(file).and_then(|s| s.get(&field.name).copied());
                match g {
                    Some(Global::Broken) => Value::error(span),
                    Some(Global::Module(_)) | None => {
                        let d = self.no_such_member(*file, field);
                        self.error(d);
                        Value::error(span)
                    }
                    Some(g) => self.global_value(g),
                }
            }
            _ => {
                let what = b.describe();
                self.error(Diagnostic::new(
                    Code::TypeMismatch,
                    format!("{what} has no fields"),
                    field.span,
                    "field access on a value without fields",
                ));
                Value::error(span)
            }
        }
    }

    /// `x.name` where the file imported as `x` defines no `name`: E0101, with the nearest
    /// name it does define.
    fn no_such_member(&self, file: FileId, field: &ast::Ident) -> Diagnostic {
        let path = self.files.get(&file).map(|f| f.path.clone()).unwrap_or_default();
        let mut d = Diagnostic::new(
            Code::UnknownName,
            format!("`{path}` defines no `{}`", field.name),
            field.span,
            "not defined in that file",
        );
        let defined = self.scopes.get(&file).into_iter().flat_map(|s| s.iter());
        let names = defined.filter(|(_, g)| matches!(g, Global::Let(..) | Global::Fn(..)));
        if let Some(s) = did_you_mean(&field.name, names.map(|(n, _)| n.as_str())) {
            d = d.with_suggestion(s);
        }
        d
    }

    fn lookup_silent(&self, name: &str) -> Option<()> {
        if self.locals.iter().any(|(n, _)| n == name) {
            return Some(());
        }
        if self.scopes.get(&self.file).is_some_and(|s| s.contains_key(name)) || self.prelude.contains_key(name) {
            return Some(());
        }
        None
    }

    fn variant_value(&mut self, e: &EnumDef, name: &ast::Ident, args: Option<&[ast::Arg]>, span: Span) -> Value {
        let Some(v) = e.variants.get(&name.name).cloned() else {
            let names: Vec<&str> = e.variants.keys().map(String::as_str).collect();
            let mut d = Diagnostic::new(
                Code::UnknownVariant,
                format!("`{}` is not a variant of `{}`", name.name, e.name),
                name.span,
                format!("expected one of {}", list_names(&names)),
            );
            if let Some(s) = did_you_mean(&name.name, names.iter().copied()) {
                d = d.with_suggestion(s);
            }
            d = variant_fixes(d, e, name.span);
            self.error(d);
            return Value::error(span);
        };
        let payload = match (&v.payload, args) {
            (None, None) => None,
            (Some(p), Some([arg])) if arg.name.is_none() => {
                let pv = self.eval_expr(&arg.value, Some(p));
                Some(self.coerce(pv, p, name.span))
            }
            (Some(p), _) => {
                self.error(
                    Diagnostic::new(
                        Code::VariantPayload,
                        format!("`{}.{}` carries exactly one `{p}`", e.name, v.name),
                        span,
                        format!("`{}` needs one value", v.name),
                    )
                    .with_help(format!("write `{}(<{p}>)`", v.name)),
                );
                return Value::error(span);
            }
            (None, Some(_)) => {
                self.error(
                    Diagnostic::new(
                        Code::VariantPayload,
                        format!("`{}.{}` carries no value", e.name, v.name),
                        span,
                        "remove the parentheses",
                    )
                    .with_help(format!("write `{}`", v.name)),
                );
                return Value::error(span);
            }
        };
        Value::new(
            ValueKind::Enum(Arc::new(EnumValue { enum_name: e.name.clone(), variant: v.name.clone(), payload })),
            span,
        )
    }

    fn eval_call(&mut self, callee: &ast::Expr, args: &[ast::Arg], exp: Option<&Ty>, span: Span) -> Value {
        // A variant with data where an enum is expected: `auth = app("has its own login")`.
        if let ExprKind::Name(id) = &callee.kind {
            if let Some(Ty::Enum(en)) = exp
                && let Some(e) = self.enum_def(en)
                && e.variants.contains_key(&id.name)
            {
                let e = e.clone();
                return self.variant_value(&e, id, Some(args), span);
            }
            if BUILTINS.contains(&id.name.as_str()) && self.lookup_silent(&id.name).is_none() {
                return self.eval_builtin(id, args, span);
            }
        }
        if let ExprKind::Member(base, name) = &callee.kind
            && let ExprKind::Name(b) = &base.kind
            && self.lookup_silent(&b.name).is_none()
            && let Some(e) = self.enum_def(&b.name)
        {
            let e = e.clone();
            return self.variant_value(&e, name, Some(args), span);
        }
        let f = self.eval_expr(callee, None);
        let fref = match &f.kind {
            ValueKind::Func(r) => *r,
            ValueKind::Error => return Value::error(span),
            _ => {
                let what = f.describe();
                let msg = match &callee.kind {
                    ExprKind::Name(id) => format!("`{}` is {what}, not a function", id.name),
                    _ => format!("{what} cannot be called"),
                };
                let mut d = Diagnostic::new(Code::NotCallable, msg, callee.span, "not a function");
                if f.span != callee.span && f.span != Span::default() && f.span.file == callee.span.file {
                    d = d.with_label(f.span, "the value is defined here");
                }
                self.error(d);
                return Value::error(span);
            }
        };
        let Some(file) = self.files.get(&fref.file).copied() else { return Value::error(span) };
        let Some(Item::Fn(def)) = file.ast.items.get(fref.item as usize) else { return Value::error(span) };
        if self.depth >= self.limits.call_depth {
            if !self.limit_reported {
                self.limit_reported = true;
                self.error(
                    Diagnostic::new(
                        Code::EvaluationLimit,
                        format!("calls are nested more than {} deep", self.limits.call_depth),
                        span,
                        "this call is too deep",
                    )
                    .with_help(format!("`{}` probably calls itself without an end condition", def.name.name)),
                );
            }
            // Stop evaluating altogether, as when the step budget runs out. Returning an error
            // from this call alone lets every caller on the way back up call again (`f(f(n))`
            // climbs back to the limit from each level), which only the step budget would end,
            // after exponential time.
            self.steps_left = 0;
            return Value::error(span);
        }
        // Parameter types are resolved in the function's own file.
        let saved_file = self.file;
        self.file = fref.file;
        let param_tys: Vec<Ty> = def.params.iter().map(|p| self.resolve_type(&p.ty)).collect();
        let ret_ty = def.ret.as_ref().map(|t| self.resolve_type(t));
        self.file = saved_file;
        // Bind arguments: positional first, then by name.
        let (binding, problems) = bind_arguments(def, &param_tys, args, span);
        let ok = problems.is_empty();
        for d in problems {
            self.error(d);
        }
        let mut bound: Vec<Option<Value>> = vec![None; def.params.len()];
        for (a, idx) in args.iter().zip(binding) {
            let Some(idx) = idx else { continue };
            let v = self.eval_expr(&a.value, Some(&param_tys[idx]));
            let v = self.coerce(v, &param_tys[idx], a.value.span);
            bound[idx] = Some(v);
        }
        // Defaults for the rest, evaluated in the function's file.
        let saved = (self.file, std::mem::take(&mut self.locals));
        self.file = fref.file;
        for (i, p) in def.params.iter().enumerate() {
            if bound[i].is_some() {
                continue;
            }
            match &p.default {
                Some(d) => {
                    let v = self.eval_expr(d, Some(&param_tys[i]));
                    bound[i] = Some(self.coerce(v, &param_tys[i], p.span));
                }
                None if matches!(param_tys[i], Ty::Optional(_)) => {
                    bound[i] = Some(Value::new(ValueKind::Null, span));
                }
                // Missing: reported by `bind_arguments`.
                None => {}
            }
        }
        if !ok {
            self.file = saved.0;
            self.locals = saved.1;
            return Value::error(span);
        }
        self.file = fref.file;
        for (p, v) in def.params.iter().zip(bound) {
            self.locals.push((p.name.name.clone(), v.unwrap_or(Value::error(span))));
        }
        self.depth += 1;
        let expected = ret_ty.as_ref().or(exp);
        let mut result = self.eval_expr(&def.body, expected);
        if let Some(t) = &ret_ty {
            result = self.coerce(result, t, def.name.span);
        }
        // A record made by a template is located where the template is called.
        if matches!(result.kind, ValueKind::Record(_)) && span.file == saved.0 {
            result.span = span;
        }
        // What a standard-library function made is located, for the program that called it,
        // at the call: a finding about a volume `pvc_backup(...)` declares points at that call
        // in the user's file, never into `<stdlib>/` (which CI annotations cannot name). The
        // arguments keep their own spans, where the caller wrote them.
        let is_stdlib = |id: FileId| self.files.get(&id).is_some_and(|f| f.stdlib);
        if is_stdlib(fref.file) && !is_stdlib(saved.0) {
            let stdlib: Vec<FileId> = self.files.values().filter(|f| f.stdlib).map(|f| f.id).collect();
            anchor_at_call(&mut result, span, &stdlib);
        }
        self.depth -= 1;
        self.file = saved.0;
        self.locals = saved.1;
        result
    }

    fn eval_builtin(&mut self, id: &ast::Ident, args: &[ast::Arg], span: Span) -> Value {
        let vals: Vec<Value> = args.iter().map(|a| self.eval_expr(&a.value, None)).collect();
        if vals.iter().any(Value::is_error) {
            return Value::error(span);
        }
        let arity = |n: usize| vals.len() == n;
        let result = match (id.name.as_str(), vals.as_slice()) {
            ("len", [v]) => match &v.kind {
                ValueKind::List(l) => Some(ValueKind::Int(l.len() as i64)),
                ValueKind::Map(m) => Some(ValueKind::Int(m.len() as i64)),
                ValueKind::Str(s) => Some(ValueKind::Int(s.chars().count() as i64)),
                _ => None,
            },
            ("join", [l, sep]) => match (&l.kind, &sep.kind) {
                (ValueKind::List(items), ValueKind::Str(sep)) => {
                    let parts: Option<Vec<String>> = items.iter().map(|i| i.as_text()).collect();
                    parts.map(|p| ValueKind::Str(p.join(sep)))
                }
                _ => None,
            },
            ("lower", [v]) => v.as_str().map(|s| ValueKind::Str(s.to_lowercase())),
            ("upper", [v]) => v.as_str().map(|s| ValueKind::Str(s.to_uppercase())),
            ("str", [v]) => v.as_text().map(ValueKind::Str),
            ("keys", [v]) => v
                .as_map()
                .map(|m| ValueKind::List(m.keys().map(|k| Value::new(ValueKind::Str(k.clone()), v.span)).collect())),
            ("file", [p]) => match &p.kind {
                ValueKind::Str(path) => return self.read_file(path, &args[0].value, span, false),
                _ => None,
            },
            ("file_base64", [p]) => match &p.kind {
                ValueKind::Str(path) => return self.read_file(path, &args[0].value, span, true),
                _ => None,
            },
            ("sha256", [t]) => t.as_str().map(|text| {
                use sha2::Digest;
                let digest = sha2::Sha256::digest(text.as_bytes());
                ValueKind::Str(digest.iter().map(|b| format!("{b:02x}")).collect())
            }),
            // Terraform's `sha1(...)`: the checksum annotations that roll a pod when its
            // script or config changes.
            ("sha1", [t]) => t.as_str().map(|text| {
                use sha1::Digest;
                let digest = sha1::Sha1::digest(text.as_bytes());
                ValueKind::Str(digest.iter().map(|b| format!("{b:02x}")).collect())
            }),
            ("yaml", [t]) => match &t.kind {
                ValueKind::Str(text) => return self.parse_yaml(text, span),
                _ => None,
            },
            ("template", [t, vars]) => match (&t.kind, &vars.kind) {
                (ValueKind::Str(text), ValueKind::Map(m)) => return self.render_template(text, m, span),
                (ValueKind::Str(text), ValueKind::Record(r)) => return self.render_template(text, &r.fields, span),
                _ => None,
            },
            ("contains", [c, x]) => match &c.kind {
                ValueKind::List(l) => Some(ValueKind::Bool(l.iter().any(|i| values_equal(i, x)))),
                ValueKind::Map(m) => x.as_str().map(|k| ValueKind::Bool(m.contains_key(k))),
                ValueKind::Str(s) => x.as_str().map(|k| ValueKind::Bool(s.contains(k))),
                _ => None,
            },
            _ => {
                let _ = arity;
                let sig = match id.name.as_str() {
                    "len" => "len(list | map | string)",
                    "join" => "join(list, separator)",
                    "lower" => "lower(string)",
                    "upper" => "upper(string)",
                    "str" => "str(scalar)",
                    "keys" => "keys(map)",
                    "file" => "file(path)",
                    "file_base64" => "file_base64(path)",
                    "yaml" => "yaml(text)",
                    "sha256" => "sha256(text)",
                    "sha1" => "sha1(text)",
                    "template" => "template(text, { name: value, ... })",
                    _ => "contains(list | map | string, value)",
                };
                self.error(Diagnostic::new(
                    Code::BadArguments,
                    format!("wrong arguments to `{}`", id.name),
                    span,
                    format!("expected `{sig}`"),
                ));
                return Value::error(span);
            }
        };
        match result {
            Some(k) => Value::new(k, span),
            None => {
                let found: Vec<String> = vals.iter().map(Value::describe).collect();
                self.error(Diagnostic::new(
                    Code::TypeMismatch,
                    format!("`{}` cannot be applied to {}", id.name, found.join(", ")),
                    span,
                    "wrong argument types",
                ));
                Value::error(span)
            }
        }
    }

    /// `file(path)`: the text of a workspace file, the path relative to the file that makes the
    /// call (where it is written, not where a function is called from).
    /// `file_base64(path)` (`base64`) reads any file, text or not, as base64 text (a ConfigMap's
    /// `binary_data`).
    fn read_file(&mut self, path: &str, arg: &ast::Expr, span: Span, base64: bool) -> Value {
        let here = self.files.get(&self.file).map(|f| f.path.as_str()).unwrap_or_default();
        let dir = here.rsplit_once('/').map_or("", |(d, _)| d);
        let mut parts: Vec<&str> =
            if path.starts_with('/') { Vec::new() } else { dir.split('/').filter(|p| !p.is_empty()).collect() };
        let mut outside = path.starts_with('/');
        for part in path.split('/') {
            match part {
                "" | "." => {}
                ".." => outside |= parts.pop().is_none(),
                p => parts.push(p),
            }
        }
        let resolved = parts.join("/");
        if outside || resolved.is_empty() {
            self.error(
                Diagnostic::new(
                    Code::MissingFile,
                    format!("`{path}` is outside the workspace"),
                    arg.span,
                    "the path leaves the workspace",
                )
                .with_help(
                    "`file` reads files inside the workspace, by a path relative to this file: move the file in",
                ),
            );
            return Value::error(span);
        }
        let Some(bytes) = self.assets.and_then(|read| read(&resolved)) else {
            self.error(
                Diagnostic::new(
                    Code::MissingFile,
                    format!("no file `{resolved}` in the workspace"),
                    arg.span,
                    "no such file",
                )
                .with_help(format!("the path is relative to `{here}`; hidden files are not part of the workspace")),
            );
            return Value::error(span);
        };
        if base64 {
            return Value::new(ValueKind::Str(base64_encode(&bytes)), span);
        }
        match String::from_utf8(bytes) {
            Ok(text) if !text.contains('\0') => Value::new(ValueKind::Str(text), span),
            Ok(text) => {
                let at = text.find('\0').unwrap_or_default();
                self.error(
                    Diagnostic::new(
                        Code::InvalidText,
                        format!("`{resolved}` contains a NUL byte (at byte {at})"),
                        arg.span,
                        "not text",
                    )
                    .with_help("`file` reads UTF-8 text"),
                );
                Value::error(span)
            }
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                self.error(
                    Diagnostic::new(
                        Code::InvalidText,
                        format!("`{resolved}` is not valid UTF-8 (at byte {at})"),
                        arg.span,
                        "not UTF-8 text",
                    )
                    .with_help("`file` reads UTF-8 text"),
                );
                Value::error(span)
            }
        }
    }

    /// `yaml(text)`: a YAML document as an hl value (mappings become maps, sequences lists), so
    /// that a chart's values file moves over unchanged.
    fn parse_yaml(&mut self, text: &str, span: Span) -> Value {
        match crate::yaml::read(text, span) {
            Ok(doc) => doc,
            Err(e) => {
                let first = e.to_string();
                let first = first.lines().next().unwrap_or_default().to_string();
                self.error(
                    Diagnostic::new(Code::InvalidYaml, format!("the text is not YAML: {first}"), span, "in this text")
                        .with_help("check the file with a YAML linter; `yaml` reads one document"),
                );
                Value::error(span)
            }
        }
    }

    /// `template(text, vars)`: Terraform's template language over hl values.
    fn render_template(&mut self, text: &str, vars: &crate::value::Fields<Value>, span: Span) -> Value {
        match crate::template::render(text, vars) {
            Ok(out) => Value::new(ValueKind::Str(out), span),
            Err(e) => {
                let (line, col) = crate::template::line_col(text, e.offset);
                self.error(
                    Diagnostic::new(
                        Code::TemplateError,
                        format!("template line {line}, column {col}: {}", e.message),
                        span,
                        "in this template",
                    )
                    .with_help("templates take `${name}`, `${name.field}`, `%{ if name }`, `%{ for v in name }`; `$${` is a literal `${`"),
                );
                Value::error(span)
            }
        }
    }

    fn eval_binary(&mut self, op: BinaryOp, l: &ast::Expr, r: &ast::Expr, span: Span) -> Value {
        if matches!(op, BinaryOp::And | BinaryOp::Or) {
            let lv = self.eval_expr(l, Some(&Ty::Bool));
            let lb = match lv.kind {
                ValueKind::Bool(b) => b,
                ValueKind::Error => return Value::error(span),
                _ => return self.op_mismatch(op, &lv, &lv, l.span),
            };
            if (op == BinaryOp::And && !lb) || (op == BinaryOp::Or && lb) {
                return Value::new(ValueKind::Bool(lb), span);
            }
            let rv = self.eval_expr(r, Some(&Ty::Bool));
            return match rv.kind {
                ValueKind::Bool(b) => Value::new(ValueKind::Bool(b), span),
                ValueKind::Error => Value::error(span),
                _ => self.op_mismatch(op, &rv, &rv, r.span),
            };
        }
        let lv = self.eval_expr(l, None);
        let rv = self.eval_expr(r, None);
        self.binary_values(op, lv, rv, r.span, span)
    }

    /// `op` (not `-` or `not`'s short-circuit partners `and`/`or`) applied to two values, `r_span`
    /// the right operand's place (a division by zero is reported there), `span` the whole.
    pub(super) fn binary_values(&mut self, op: BinaryOp, lv: Value, rv: Value, r_span: Span, span: Span) -> Value {
        if lv.is_error() || rv.is_error() {
            return Value::error(span);
        }
        use ValueKind as K;
        let kind = match (op, &lv.kind, &rv.kind) {
            (BinaryOp::Eq, _, _) => K::Bool(values_equal(&lv, &rv)),
            (BinaryOp::Ne, _, _) => K::Bool(!values_equal(&lv, &rv)),
            (BinaryOp::Add, K::Int(a), K::Int(b)) => match a.checked_add(*b) {
                Some(n) => K::Int(n),
                None => return self.overflow(span),
            },
            (BinaryOp::Sub, K::Int(a), K::Int(b)) => match a.checked_sub(*b) {
                Some(n) => K::Int(n),
                None => return self.overflow(span),
            },
            (BinaryOp::Mul, K::Int(a), K::Int(b)) => match a.checked_mul(*b) {
                Some(n) => K::Int(n),
                None => return self.overflow(span),
            },
            (BinaryOp::Div | BinaryOp::Rem, K::Int(_), K::Int(0)) => {
                self.error(Diagnostic::new(Code::EvaluationError, "division by zero", r_span, "this is zero"));
                return Value::error(span);
            }
            (BinaryOp::Div, K::Int(a), K::Int(b)) => K::Int(a.wrapping_div(*b)),
            (BinaryOp::Rem, K::Int(a), K::Int(b)) => K::Int(a.wrapping_rem(*b)),
            (BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div, a, b)
                if as_f64(a).is_some() && as_f64(b).is_some() =>
            {
                let (x, y) = (as_f64(a).unwrap_or(0.0), as_f64(b).unwrap_or(0.0));
                K::Float(match op {
                    BinaryOp::Add => x + y,
                    BinaryOp::Sub => x - y,
                    BinaryOp::Mul => x * y,
                    _ => x / y,
                })
            }
            (BinaryOp::Add, K::Str(a), K::Str(b)) => K::Str(format!("{a}{b}")),
            (BinaryOp::Add, K::List(a), K::List(b)) => K::List(a.iter().chain(b).cloned().collect()),
            (BinaryOp::Add, K::Map(a), K::Map(b)) => {
                let mut m = a.clone();
                for (k, v) in b {
                    m.insert(k.clone(), v.clone());
                }
                K::Map(m)
            }
            (BinaryOp::Add, K::Record(a), K::Record(b)) if a.schema == b.schema || b.schema.is_none() => {
                let mut rec = (**a).clone();
                for (k, v) in &b.fields {
                    rec.fields.insert(k.clone(), v.clone());
                    if let Some(s) = b.field_spans.get(k) {
                        rec.field_spans.insert(k.clone(), *s);
                    }
                    if b.defaults.contains(k) {
                        rec.defaults.insert(k.clone());
                    } else {
                        rec.defaults.remove(k);
                    }
                }
                K::Record(Arc::new(rec))
            }
            (BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge, a, b) => {
                let ord = match (a, b) {
                    (K::Str(x), K::Str(y)) => Some(x.cmp(y)),
                    _ => match (as_f64(a), as_f64(b)) {
                        (Some(x), Some(y)) => x.partial_cmp(&y),
                        _ => None,
                    },
                };
                match ord {
                    Some(o) => K::Bool(match op {
                        BinaryOp::Lt => o.is_lt(),
                        BinaryOp::Le => o.is_le(),
                        BinaryOp::Gt => o.is_gt(),
                        _ => o.is_ge(),
                    }),
                    None => return self.op_mismatch(op, &lv, &rv, span),
                }
            }
            _ => return self.op_mismatch(op, &lv, &rv, span),
        };
        Value::new(kind, span)
    }

    /// `-` or `not` applied to a value, `inner` the operand's place.
    pub(super) fn unary_value(&mut self, op: UnaryOp, v: Value, inner: Span, span: Span) -> Value {
        match (op, &v.kind) {
            (_, ValueKind::Error) => v,
            (UnaryOp::Neg, ValueKind::Int(i)) => Value::new(ValueKind::Int(i.wrapping_neg()), span),
            (UnaryOp::Neg, ValueKind::Float(f)) => Value::new(ValueKind::Float(-f), span),
            (UnaryOp::Not, ValueKind::Bool(b)) => Value::new(ValueKind::Bool(!b), span),
            _ => {
                let what = v.describe();
                let op = if op == UnaryOp::Neg { "-" } else { "not" };
                self.error(Diagnostic::new(
                    Code::TypeMismatch,
                    format!("`{op}` cannot be applied to {what}"),
                    inner,
                    format!("this is {what}"),
                ));
                Value::error(span)
            }
        }
    }

    fn overflow(&mut self, span: Span) -> Value {
        self.error(Diagnostic::new(
            Code::EvaluationError,
            "integer overflow",
            span,
            "the result does not fit in 64 bits",
        ));
        Value::error(span)
    }

    fn op_mismatch(&mut self, op: BinaryOp, l: &Value, r: &Value, span: Span) -> Value {
        let (a, b) = (l.describe(), r.describe());
        let msg = if l == r {
            format!("`{}` cannot be applied to {a}", op.symbol())
        } else {
            format!("`{}` cannot be applied to {a} and {b}", op.symbol())
        };
        self.error(Diagnostic::new(Code::TypeMismatch, msg, span, "unsupported operand types"));
        Value::error(span)
    }

    // ------------------------------------------------------------------ type checking

    /// Check a value against a type at the place `site`, converting where the type says so.
    fn coerce(&mut self, v: Value, t: &Ty, site: Span) -> Value {
        use ValueKind as K;
        if matches!(v.kind, K::Error) {
            return v;
        }
        match t {
            Ty::Any | Ty::Error => v,
            Ty::Optional(inner) => {
                if v.is_null() {
                    v
                } else {
                    self.coerce(v, inner, site)
                }
            }
            Ty::String => match v.kind {
                K::Str(_) => v,
                _ => self.mismatch(v, t, site),
            },
            Ty::StackRef => match &v.kind {
                K::Str(s) => {
                    if let Err(e) = hl_types::dns_label(s) {
                        return self.invalid(v.clone(), Scalar::DnsLabel, e, site);
                    }
                    v
                }
                _ => self.mismatch(v, t, site),
            },
            Ty::Int => match v.kind {
                K::Int(_) => v,
                _ => self.mismatch(v, t, site),
            },
            Ty::Float => match v.kind {
                K::Int(i) => Value::new(K::Float(i as f64), v.span),
                K::Float(_) => v,
                _ => self.mismatch(v, t, site),
            },
            Ty::Bool => match v.kind {
                K::Bool(_) => v,
                _ => self.mismatch(v, t, site),
            },
            Ty::Scalar(s) => self.coerce_scalar(v, *s, site),
            Ty::List(inner) => match v.kind {
                K::List(items) => {
                    let span = v.span;
                    let items = items.into_iter().map(|i| self.coerce(i, inner, site)).collect();
                    Value::new(K::List(items), span)
                }
                _ => self.mismatch(v, t, site),
            },
            Ty::Map(kt, vt) => match v.kind {
                K::Map(m) => {
                    let span = v.span;
                    let mut out = Fields::default();
                    for (k, x) in m {
                        let key = Value::new(K::Str(k.clone()), x.span);
                        self.coerce(key, kt, site);
                        out.insert(k, self.coerce(x, vt, site));
                    }
                    Value::new(K::Map(out), span)
                }
                K::Record(ref r) if r.schema.is_none() && r.fields.is_empty() => {
                    Value::new(K::Map(Fields::default()), v.span)
                }
                _ => self.mismatch(v, t, site),
            },
            Ty::Schema(name) => match &v.kind {
                K::Record(r) if r.schema.as_deref() == Some(name.as_str()) => v,
                K::Record(r) if r.schema.is_none() => {
                    let Some(def) = self.types.get(name).cloned() else { return v };
                    let TypeDef::Schema(s) = &*def else { return v };
                    let mut fields = Fields::default();
                    for (k, fv) in &r.fields {
                        match s.fields.get(k) {
                            Some(ft) => {
                                let fv = self.coerce(fv.clone(), &ft.ty, site);
                                fields.insert(k.clone(), fv);
                            }
                            None => self.unknown_field(s, k, r.field_spans.get(k).copied().unwrap_or(fv.span)),
                        }
                    }
                    let rec = Record {
                        schema: Some(name.clone()),
                        fields,
                        field_spans: r.field_spans.clone(),
                        defaults: r.defaults.clone(),
                    };
                    let rec = self.complete(rec, s, v.span, true);
                    Value::new(K::Record(Arc::new(rec)), v.span)
                }
                _ => self.mismatch(v, t, site),
            },
            Ty::Enum(name) => match &v.kind {
                K::Enum(e) if &e.enum_name == name => v,
                _ => self.mismatch(v, t, site),
            },
        }
    }

    fn coerce_scalar(&mut self, v: Value, s: Scalar, site: Span) -> Value {
        use ValueKind as K;
        let span = v.span;
        if s.is_quantity() {
            let (number, unit, text) = match &v.kind {
                K::Int(i) => (*i as f64, None, i.to_string()),
                K::Float(f) => (*f, None, f.to_string()),
                K::Quantity(q) => (q.number, q.unit.clone(), q.text.clone()),
                _ => return self.mismatch(v, &Ty::Scalar(s), site),
            };
            if s == Scalar::Memory && unit.is_none() {
                // A bare number is a byte count to Kubernetes: `memory = 2` is two bytes, the
                // neighbouring slip of `cpu = 256Mi`.
                let shown = text.clone();
                self.error(
                    Diagnostic::new(
                        Code::WrongUnit,
                        format!("`{shown}` has no unit: a bare number of bytes is almost never meant here"),
                        v.span,
                        "a memory or storage quantity needs a unit",
                    )
                    .with_help(format!(
                        "write `{shown}Gi` or `{shown}Mi` (or `{shown}k`, `{shown}M` for decimal units)"
                    )),
                );
                return Value::error(span);
            }
            let res = match s {
                Scalar::Cpu => hl_types::cpu_millis(number, unit.as_deref()).map(|_| ()),
                Scalar::Memory => hl_types::memory_bytes(number, unit.as_deref()).map(|_| ()),
                _ => hl_types::duration_millis(number, unit.as_deref()).map(|_| ()),
            };
            return match res {
                Ok(()) => Value::new(K::Quantity(Quantity { number, text, unit }), span),
                Err(e) => self.invalid(v, s, e, site),
            };
        }
        match s {
            Scalar::Port => match v.kind {
                K::Int(n) => match hl_types::port(n) {
                    Ok(_) => v,
                    Err(e) => self.invalid(v, s, e, site),
                },
                _ => self.mismatch(v, &Ty::Scalar(s), site),
            },
            Scalar::PortRef | Scalar::IntOrPercent => {
                let res = match (&v.kind, s) {
                    (K::Int(n), Scalar::PortRef) => hl_types::port(*n).map(|_| ()),
                    (K::Int(n), _) if *n >= 0 => Ok(()),
                    (K::Int(n), _) => Err(hl_types::ValueError::OutOfRange {
                        value: n.to_string(),
                        min: "0".into(),
                        max: i64::MAX.to_string(),
                    }),
                    (K::Str(t), Scalar::PortRef) => hl_types::port_name(t),
                    (K::Str(t), _) => hl_types::percent(t),
                    _ => return self.mismatch(v, &Ty::Scalar(s), site),
                };
                match res {
                    Ok(()) => v,
                    Err(e) => self.invalid(v, s, e, site),
                }
            }
            _ => {
                let Some(text) = v.as_str() else { return self.mismatch(v, &Ty::Scalar(s), site) };
                let res = match s {
                    Scalar::DnsLabel => hl_types::dns_label(text),
                    Scalar::PortName => hl_types::port_name(text),
                    Scalar::DnsSubdomain => hl_types::dns_subdomain(text),
                    Scalar::Hostname => hl_types::hostname(text),
                    Scalar::Ip => hl_types::ip(text).map(|_| ()),
                    Scalar::Cidr => hl_types::cidr(text).map(|_| ()),
                    Scalar::Image => hl_types::image(text).map(|_| ()),
                    Scalar::Schedule => hl_types::schedule::parse(text).map(|_| ()),
                    _ => hl_types::abs_path(text),
                };
                match res {
                    Ok(()) => v,
                    Err(e) => self.invalid(v, s, e, site),
                }
            }
        }
    }

    fn invalid(&mut self, v: Value, s: Scalar, e: ValueError, site: Span) -> Value {
        let shown = match &v.kind {
            ValueKind::Quantity(q) => q.display(),
            ValueKind::Int(i) => i.to_string(),
            ValueKind::Float(f) => f.to_string(),
            ValueKind::Str(t) => format!("\"{t}\""),
            _ => v.describe(),
        };
        let mut d = match &e {
            ValueError::WrongUnit { found, .. } => Diagnostic::new(
                Code::WrongUnit,
                format!("expected a `{}` value, found a {found} quantity `{shown}`", s.name()),
                v.span,
                format!("this is a {found} quantity"),
            )
            .with_help(format!("`{}` is {}", s.name(), s.describe())),
            ValueError::UnknownUnit { unit, .. } => Diagnostic::new(
                Code::WrongUnit,
                format!("`{unit}` is not a unit of `{}`", s.name()),
                v.span,
                "unknown unit",
            )
            .with_help(format!("`{}` is {}", s.name(), s.describe())),
            ValueError::OutOfRange { min, max, .. } => Diagnostic::new(
                Code::OutOfRange,
                format!("{shown} is out of range for `{}`", s.name()),
                v.span,
                format!("must be between {min} and {max}"),
            ),
            ValueError::Invalid { reason } => Diagnostic::new(
                Code::InvalidValue,
                format!("{shown} is not a valid `{}`", s.name()),
                v.span,
                reason.clone(),
            )
            .with_help(format!("`{}` is {}", s.name(), s.describe())),
        };
        if site != v.span && site != Span::default() && site.file == v.span.file {
            d = d.with_label(site, format!("expected `{}` because of this", s.name()));
        }
        self.error(d);
        Value::error(v.span)
    }

    fn mismatch(&mut self, v: Value, t: &Ty, site: Span) -> Value {
        let found = v.describe();
        let mut d = Diagnostic::new(
            Code::TypeMismatch,
            format!("expected `{t}`, found {found}"),
            v.span,
            format!("expected `{t}`"),
        );
        if site != v.span && site != Span::default() && site.file == v.span.file && !site.contains(v.span.start) {
            d = d.with_label(site, format!("expected `{t}` because of this"));
        }
        // Targeted help for the common slips.
        match (&v.kind, t.strip_optional()) {
            (ValueKind::Str(s), Ty::Scalar(sc)) if sc.is_quantity() || *sc == Scalar::Port => {
                d = d.with_help(format!("write the value without quotes: `{s}`"));
            }
            (ValueKind::Str(s), Ty::Enum(en)) => {
                if let Some(e) = self.enum_def(en) {
                    if e.variants.contains_key(s.as_str()) {
                        d = d.with_help(format!("write the variant without quotes: `{s}`"));
                    } else {
                        let names: Vec<&str> = e.variants.keys().map(String::as_str).collect();
                        d = d.with_help(format!("the variants of `{en}` are {}", list_names(&names)));
                    }
                }
            }
            (ValueKind::Int(i), Ty::String) => d = d.with_help(format!("write it as a string: `\"{i}\"`")),
            _ => {}
        }
        self.error(d);
        Value::error(v.span)
    }
}

/// A record of `schema` written at `head` leaves the fields `missing` (required, without a
/// default) unset: E0205.
/// E0105 for a typed record whose schema `name` no file defines, with the nearest known type.
pub(crate) fn unknown_schema(name: &str, span: Span, types: &Types) -> Diagnostic {
    let d = Diagnostic::new(Code::UnknownType, format!("unknown schema `{name}`"), span, "not a schema");
    match did_you_mean(name, types.keys().map(String::as_str)) {
        Some(s) => d.with_suggestion(s),
        None => d,
    }
}

pub(crate) fn missing_fields(schema: &SchemaDef, missing: &[String], head: Span) -> Diagnostic {
    let names = list_names(missing);
    let plural = if missing.len() == 1 { "field" } else { "fields" };
    let mut d = Diagnostic::new(
        Code::MissingField,
        format!("missing {plural} {names} in `{}`", schema.name),
        head,
        format!("{names} must be set here"),
    );
    if let Some(ft) = missing.first().and_then(|m| schema.fields.get(m)) {
        d = d.with_label(ft.span, "declared here without a default");
        d = d.with_help(format!("add `{} = <{}>`", ft.name, ft.ty));
    }
    d
}

/// The condition of an `if` (at `span`) evaluated to `v`, which is not a `Bool`: E0201.
pub(crate) fn not_a_condition(v: &Value, span: Span) -> Diagnostic {
    let what = v.describe();
    Diagnostic::new(
        Code::TypeMismatch,
        format!("the condition of `if` must be a `Bool`, found {what}"),
        span,
        "expected `Bool`",
    )
}

/// How a call's arguments bind to the parameters of `def` (positional first, then by name):
/// each argument's parameter (`None`: it binds to none and is not evaluated), and the
/// diagnostics (E0210) of the arguments that bind to none and, when there are none, of the
/// parameters left without a value. The evaluator and the static pass both bind with it.
pub(crate) fn bind_arguments(
    def: &ast::FnDef,
    param_tys: &[Ty],
    args: &[ast::Arg],
    span: Span,
) -> (Vec<Option<usize>>, Vec<Diagnostic>) {
    let mut binding = Vec::with_capacity(args.len());
    let mut problems = Vec::new();
    let mut bound = vec![false; def.params.len()];
    let mut positional_done = false;
    for (i, a) in args.iter().enumerate() {
        let idx = match &a.name {
            None if positional_done => {
                problems.push(Diagnostic::new(
                    Code::BadArguments,
                    "a positional argument cannot follow a named one",
                    a.value.span,
                    "positional after named",
                ));
                None
            }
            None if i >= def.params.len() => {
                let n = def.params.len();
                problems.push(
                    Diagnostic::new(
                        Code::BadArguments,
                        format!("`{}` takes {n} argument{}", def.name.name, if n == 1 { "" } else { "s" }),
                        a.value.span,
                        "extra argument",
                    )
                    .with_label(def.name.span, "defined here"),
                );
                None
            }
            None => Some(i),
            Some(n) => {
                positional_done = true;
                let ix = def.params.iter().position(|p| p.name.name == n.name);
                if ix.is_none() {
                    let names: Vec<&str> = def.params.iter().map(|p| p.name.name.as_str()).collect();
                    let d = Diagnostic::new(
                        Code::BadArguments,
                        format!("`{}` has no parameter `{}`", def.name.name, n.name),
                        n.span,
                        "unknown parameter",
                    );
                    problems.push(match did_you_mean(&n.name, names.iter().copied()) {
                        Some(s) => d.with_suggestion(s),
                        None => d.with_help(format!("the parameters are {}", list_names(&names))),
                    });
                }
                ix
            }
        };
        let idx = match idx {
            Some(ix) if bound[ix] => {
                problems.push(Diagnostic::new(
                    Code::BadArguments,
                    format!("parameter `{}` is given twice", def.params[ix].name.name),
                    a.value.span,
                    "given again here",
                ));
                None
            }
            other => other,
        };
        if let Some(ix) = idx {
            bound[ix] = true;
        }
        binding.push(idx);
    }
    // A misspelt named argument already explains why its parameter looks missing.
    let missing: Vec<String> = def
        .params
        .iter()
        .zip(param_tys)
        .zip(&bound)
        .filter(|((p, t), b)| !**b && p.default.is_none() && !matches!(t, Ty::Optional(_)))
        .map(|((p, _), _)| p.name.name.clone())
        .collect();
    if !missing.is_empty() && problems.is_empty() {
        problems.push(
            Diagnostic::new(
                Code::BadArguments,
                format!(
                    "missing argument{} {} to `{}`",
                    if missing.len() == 1 { "" } else { "s" },
                    list_names(&missing),
                    def.name.name
                ),
                span,
                "in this call",
            )
            .with_label(def.name.span, "defined here"),
        );
    }
    (binding, problems)
}

/// A wrong variant's other fixes: each variant without a payload, written over `span` (the
/// suggestion, when there is one, is already the preferred fix). A variant that carries a
/// reason or other data is not offered: its payload is for the user to write.
fn variant_fixes(mut d: Diagnostic, e: &EnumDef, span: Span) -> Diagnostic {
    let suggested: Vec<String> = d.fixes.iter().map(|f| f.replacement.clone()).collect();
    for (name, v) in &e.variants {
        if v.payload.is_none() && !suggested.contains(name) {
            d = d.with_fix(format!("Change to `{name}`"), span, name.clone());
        }
    }
    d
}

fn as_f64(k: &ValueKind) -> Option<f64> {
    match k {
        ValueKind::Int(i) => Some(*i as f64),
        ValueKind::Float(f) => Some(*f),
        _ => None,
    }
}

/// Structural equality that ignores spans.
pub fn values_equal(a: &Value, b: &Value) -> bool {
    use ValueKind as K;
    match (&a.kind, &b.kind) {
        (K::Null, K::Null) => true,
        (K::Bool(x), K::Bool(y)) => x == y,
        (K::Int(x), K::Int(y)) => x == y,
        (K::Float(x), K::Float(y)) => x == y,
        (K::Int(x), K::Float(y)) | (K::Float(y), K::Int(x)) => (*x as f64) == *y,
        (K::Str(x), K::Str(y)) => x == y,
        (K::Quantity(x), K::Quantity(y)) => x.number == y.number && x.unit == y.unit,
        (K::List(x), K::List(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| values_equal(a, b)),
        (K::Map(x), K::Map(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| values_equal(v, w)))
        }
        (K::Record(x), K::Record(y)) => {
            x.schema == y.schema
                && x.fields.len() == y.fields.len()
                && x.fields.iter().all(|(k, v)| y.fields.get(k).is_some_and(|w| values_equal(v, w)))
        }
        (K::Enum(x), K::Enum(y)) => {
            x.enum_name == y.enum_name
                && x.variant == y.variant
                && match (&x.payload, &y.payload) {
                    (None, None) => true,
                    (Some(p), Some(q)) => values_equal(p, q),
                    _ => false,
                }
        }
        (K::Func(x), K::Func(y)) => x == y,
        (K::Module(x), K::Module(y)) => x == y,
        _ => false,
    }
}

/// Move every span of `v` that lies in one of the `stdlib` files to `call` (see
/// `Evaluator::eval_call`): the value, its items and entries, a record's fields and their
/// recorded places, a variant's data.
fn anchor_at_call(v: &mut Value, call: Span, stdlib: &[FileId]) {
    if stdlib.contains(&v.span.file) {
        v.span = call;
    }
    match &mut v.kind {
        ValueKind::List(items) => items.iter_mut().for_each(|x| anchor_at_call(x, call, stdlib)),
        ValueKind::Map(m) => m.values_mut().for_each(|x| anchor_at_call(x, call, stdlib)),
        ValueKind::Record(r) => {
            let r = Arc::make_mut(r);
            r.fields.values_mut().for_each(|x| anchor_at_call(x, call, stdlib));
            for s in r.field_spans.values_mut().filter(|s| stdlib.contains(&s.file)) {
                *s = call;
            }
        }
        ValueKind::Enum(e) => {
            if let Some(p) = &mut Arc::make_mut(e).payload {
                anchor_at_call(p, call, stdlib);
            }
        }
        _ => {}
    }
}

/// The workspace paths an `import` of `path` written in the file `from` may name, in the
/// order they are tried: relative to the importing file's directory (or `std/...`), as
/// written and with `.hl` added.
pub fn import_candidates(from: &str, path: &str) -> Vec<String> {
    let mut candidates = Vec::new();
    // Import paths are relative to the importing file: an absolute path names no file of the
    // workspace (it was read as relative, silently).
    if path.starts_with('/') {
        return candidates;
    }
    if path.starts_with("std/") {
        candidates.push(path.to_string());
    } else {
        let dir = match from.rfind('/') {
            Some(i) => &from[..i],
            None => "",
        };
        candidates.push(normalize(&format!("{dir}/{path}")));
    }
    let with_ext: Vec<String> = candidates.iter().filter(|c| !c.ends_with(".hl")).map(|c| format!("{c}.hl")).collect();
    candidates.extend(with_ext);
    candidates
}

/// `path` (relative to the workspace root) as seen from the directory `dir`.
fn relative_to(dir: &str, path: &str) -> String {
    let from: Vec<&str> = dir.split('/').filter(|c| !c.is_empty()).collect();
    let to: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<&str> = vec![".."; from.len() - common];
    parts.extend(&to[common..]);
    parts.join("/")
}

/// Normalise `a/./b/../c` to `a/c`.
fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_suggestions_are_relative_and_never_the_importing_file() {
        let paths = WorkspacePaths::new(vec!["stacks/app.hl".into(), "stacks/apps.hl".into(), "base/lib.hl".into()]);
        // From `stacks/app.hl` the nearest path to `app.h` is the file itself: the next one is
        // suggested, even though the first search was remembered for another file.
        assert_eq!(paths.suggest("stacks/other.hl", "app.h").as_deref(), Some("app.hl"));
        assert_eq!(paths.suggest("stacks/app.hl", "app.h").as_deref(), Some("apps.hl"));
        assert_eq!(paths.suggest("stacks/app.hl", "../base/lb.hl").as_deref(), Some("../base/lib.hl"));
        assert_eq!(paths.suggest("stacks/app.hl", "zzz").as_deref(), None);
        assert_eq!(paths.hints.len(), 3);
    }
}
