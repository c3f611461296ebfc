//! The incremental engine: the pipeline as salsa queries.
//!
//! Inputs are the files (one [`File`] each: path, bytes) and the [`Workspace`] (a singleton:
//! which files, the limits). Every stage is a query over them, memoised and re-run only when
//! what it read changed:
//!
//! ```text
//!  File ─parsed─▶ Parse ─file_read(file)─▶ stack models, settings ─file_decls─▶ names, settings
//!                                                                        │
//!  StackName ─stack_model─▶ Stack ─digest─▶ summaries ─▶ indexes ─views(name)─┐
//!                               ├─stack_problems, stack_checks ◀──────────────┘
//!                               └─emitted_stack─▶ objects ─object_keys─▶ collisions
//! ```
//!
//! Each workspace file is evaluated on its own, with the standard library, the files it
//! imports and the files that define types. An edit re-parses and re-evaluates one file,
//! re-reads the stacks it declares, and re-checks and re-emits a stack only when the stack or
//! its view of the other stacks (span-free, so moving text does not change it) changed.
//! Workspace-wide queries (the indexes, the graph, the settings, the diagnostics) are joins
//! over the per-file and per-stack results.
//!
//! The driver ([`Snapshot`]) fills the memos of the per-file and per-stack queries in
//! parallel (rayon, each worker with its own handle on the database) before it asks for the
//! workspace-wide ones, which then find them memoised. `hlc check`, `hlc build`, the library
//! calls and the language server all go through these queries.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use hl_diagnostics::{Code, Diagnostic, FileId, Sources, Span, sort_and_dedup};
use hl_eval::{EvalInput, InputFile, Limits, Value};
use hl_model::Model;
use indexmap::IndexMap;
use rayon::prelude::*;
use salsa::Setter;

use crate::{Compilation, InputText, Options, Progress, STDLIB};

#[salsa::db]
#[derive(Clone, Default)]
pub(crate) struct Database {
    storage: salsa::Storage<Self>,
}

#[salsa::db]
impl salsa::Database for Database {}

/// One source file.
#[salsa::input]
pub(crate) struct File {
    #[returns(copy)]
    pub id: FileId,
    /// Logical path: relative to the workspace root with `/`, or `std/<name>.hl`.
    #[returns(ref)]
    pub path: String,
    /// How diagnostics name the file.
    #[returns(ref)]
    pub display: String,
    #[returns(ref)]
    pub bytes: Vec<u8>,
    #[returns(copy)]
    pub stdlib: bool,
}

/// The files of a workspace (the standard library first, then the workspace's files sorted by
/// path) and the evaluation limits.
#[salsa::input(singleton)]
pub(crate) struct Workspace {
    #[returns(ref)]
    pub files: Vec<File>,
    #[returns(copy)]
    pub limits: Limits,
}

/// A stack's name, interned: per-stack queries are keyed by this cheap id.
#[salsa::interned]
pub(crate) struct StackName<'db> {
    #[returns(ref)]
    pub text: String,
}

/// A parsed file, or why its bytes could not be read as text.
#[derive(Debug, PartialEq)]
pub(crate) struct Parsed {
    /// The text (for a file that is not text: the readable prefix, to show where it stops).
    pub text: Arc<str>,
    /// `None` when the bytes are not text; the file then takes no further part.
    pub parse: Option<Arc<hl_syntax::Parse>>,
    pub diagnostics: Vec<Diagnostic>,
}

#[salsa::tracked(returns(ref))]
pub(crate) fn parsed(db: &dyn salsa::Database, file: File) -> Parsed {
    let id = file.id(db);
    if !is_hl(file.path(db)) {
        // Another file of the workspace (a script, a configuration file): read only by
        // `file(...)`, never parsed.
        return Parsed { text: Arc::from(""), parse: None, diagnostics: Vec::new() };
    }
    match decode(file.bytes(db)) {
        Ok(text) => {
            let parse = if file.stdlib(db) { stdlib_parse(id, &text) } else { Arc::new(hl_syntax::parse(id, &text)) };
            let diagnostics = parse.errors.clone();
            Parsed { text, parse: Some(parse), diagnostics }
        }
        Err((offset, why)) => {
            let bytes = file.bytes(db);
            let display = file.display(db);
            let prefix = String::from_utf8_lossy(&bytes[..offset.min(bytes.len())]).into_owned();
            let d = Diagnostic::new(
                Code::InvalidText,
                format!("`{display}` {why}"),
                Span::new(id, offset, offset),
                format!("byte {offset}: the file {why}"),
            )
            .with_help("hl files must be UTF-8 text without NUL bytes; the file was not read");
            Parsed { text: prefix.into(), parse: None, diagnostics: vec![d] }
        }
    }
}

/// How many times this process has parsed a standard library file ([`stdlib_parse`]).
pub(crate) static STDLIB_PARSES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The parse of a standard library file, made once per process: every session (each `hlc`
/// compilation, each fuzz execution, each workspace of the language server) has the same
/// standard library under the same file ids, so its syntax trees are shared rather than
/// parsed again. Keyed by id and text, so a different text is parsed (and cached) on its own.
fn stdlib_parse(id: FileId, text: &str) -> Arc<hl_syntax::Parse> {
    type Cache = std::sync::Mutex<Vec<(FileId, Arc<str>, Arc<hl_syntax::Parse>)>>;
    static CACHE: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let hit = |c: &[(FileId, Arc<str>, Arc<hl_syntax::Parse>)]| {
        c.iter().find(|(i, t, _)| *i == id && &**t == text).map(|(_, _, p)| p.clone())
    };
    if let Some(p) = cache.lock().ok().and_then(|c| hit(&c)) {
        return p;
    }
    let parse = Arc::new(hl_syntax::parse(id, text));
    STDLIB_PARSES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    if let Ok(mut c) = cache.lock()
        && hit(&c).is_none()
    {
        c.push((id, Arc::from(text), parse.clone()));
    }
    parse
}

/// Whether a workspace path is an hl source file (the others are read only by `file(...)`).
pub(crate) fn is_hl(path: &str) -> bool {
    path.ends_with(".hl")
}

/// Text of a file, or the offset and reason it is not acceptable.
fn decode(bytes: &[u8]) -> Result<Arc<str>, (usize, &'static str)> {
    let text = std::str::from_utf8(bytes).map_err(|e| (e.valid_up_to(), "is not valid UTF-8"))?;
    if let Some(i) = text.find('\0') {
        return Err((i, "contains a NUL byte"));
    }
    // Copied once, into the text every stage shares.
    Ok(Arc::from(text.strip_prefix('\u{feff}').unwrap_or(text)))
}

/// What evaluation needs to know of a file besides its own tree: the paths it imports and
/// whether it defines types. Unchanged by most edits, so the queries reading it stay valid.
#[derive(Debug, PartialEq, Eq, Default)]
pub(crate) struct Outline {
    imports: Vec<String>,
    defines_types: bool,
    /// It declares the workspace's `cluster` facts, which every file may read.
    declares_cluster: bool,
}

#[salsa::tracked(returns(ref))]
fn outline(db: &dyn salsa::Database, file: File) -> Outline {
    let Some(parse) = &parsed(db, file).parse else { return Outline::default() };
    let mut out = Outline::default();
    for item in &parse.file.items {
        match item {
            hl_syntax::ast::Item::Import(imp) => out.imports.push(imp.path.clone()),
            hl_syntax::ast::Item::Schema(_) | hl_syntax::ast::Item::Enum(_) => out.defines_types = true,
            hl_syntax::ast::Item::Decl(d) if d.kw.name == hl_eval::CLUSTER && d.name.is_none() => {
                out.declares_cluster = true;
            }
            _ => {}
        }
    }
    out
}

/// Every readable file by logical path.
#[salsa::tracked(returns(ref))]
fn by_path(db: &dyn salsa::Database) -> BTreeMap<String, File> {
    let ws = Workspace::get(db);
    ws.files(db).iter().map(|f| (f.path(db).clone(), *f)).collect()
}

/// The workspace files' paths, for the evaluator's suggestions.
#[salsa::tracked(returns(ref))]
fn workspace_paths(db: &dyn salsa::Database) -> hl_eval::WorkspacePaths {
    let ws = Workspace::get(db);
    hl_eval::WorkspacePaths::new(
        ws.files(db).iter().filter(|f| !f.stdlib(db) && is_hl(f.path(db))).map(|f| f.path(db).clone()).collect(),
    )
}

/// Workspace files that define types or declare the `cluster` facts: both are global, so every
/// evaluation reads them.
#[salsa::tracked(returns(ref))]
fn type_files(db: &dyn salsa::Database) -> Vec<File> {
    let ws = Workspace::get(db);
    ws.files(db)
        .iter()
        .copied()
        .filter(|f| !f.stdlib(db) && (outline(db, *f).defines_types || outline(db, *f).declares_cluster))
        .collect()
}

/// A file as evaluation reads it.
#[derive(Debug)]
pub(crate) struct EvalFile {
    id: FileId,
    path: String,
    stdlib: bool,
    parse: Arc<hl_syntax::Parse>,
}

impl PartialEq for EvalFile {
    /// The same file with the same parse (a file parsed again counts as changed).
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id && self.path == other.path && Arc::ptr_eq(&self.parse, &other.parse)
    }
}

fn eval_file(db: &dyn salsa::Database, f: File) -> Option<EvalFile> {
    parsed(db, f).parse.as_ref().map(|p| EvalFile {
        id: f.id(db),
        path: f.path(db).clone(),
        stdlib: f.stdlib(db),
        parse: Arc::clone(p),
    })
}

/// What every evaluation reads: the standard library and the files that define types (types
/// are global), in workspace order. One query, so that an edit verifies it once.
#[salsa::tracked(returns(ref))]
fn common_inputs(db: &dyn salsa::Database) -> Vec<EvalFile> {
    stdlib_files(db).iter().chain(type_files(db)).filter_map(|f| eval_file(db, *f)).collect()
}

/// One workspace file and everything it imports (transitively), sorted by path.
#[salsa::tracked(returns(ref))]
fn own_inputs(db: &dyn salsa::Database, file: File) -> Vec<EvalFile> {
    let paths = by_path(db);
    let mut reached: std::collections::HashSet<File> = std::collections::HashSet::from([file]);
    let mut todo = vec![file];
    while let Some(f) = todo.pop() {
        for imp in &outline(db, f).imports {
            let target = hl_eval::import_candidates(f.path(db), imp).iter().find_map(|c| paths.get(c)).copied();
            if let Some(t) = target
                && reached.insert(t)
            {
                todo.push(t);
            }
        }
    }
    let mut out: Vec<EvalFile> =
        reached.into_iter().filter(|f| !f.stdlib(db)).filter_map(|f| eval_file(db, f)).collect();
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// One evaluation's result.
#[derive(Debug)]
pub(crate) struct Evaluated {
    pub root: Value,
    pub types: Arc<hl_eval::Types>,
    pub stdlib_scopes: Arc<hl_eval::StdlibScopes>,
    pub prelude: hl_eval::Fields<Value>,
    pub diagnostics: Vec<Diagnostic>,
}

fn run_eval(
    db: &dyn salsa::Database,
    ws: Workspace,
    files: &[&EvalFile],
    declaring: Option<FileId>,
    shared: Option<(Arc<hl_eval::Types>, Arc<hl_eval::StdlibScopes>)>,
) -> Evaluated {
    let none = hl_eval::WorkspacePaths::default();
    // `file(...)` reads the workspace's files through salsa, so that an evaluation depends on
    // the files it read (and an edit to one re-evaluates just those).
    let assets = |path: &str| -> Option<Vec<u8>> {
        by_path(db).get(path).filter(|f| !f.stdlib(db)).map(|f| f.bytes(db).clone())
    };
    let input = EvalInput {
        files: input_files(files, declaring),
        root_schema: "Workspace",
        workspace_paths: if declaring.is_some() { workspace_paths(db) } else { &none },
        prelude: declaring.is_none(),
        types: shared.as_ref().map(|(types, _)| types.clone()),
        stdlib_scopes: shared.map(|(_, scopes)| scopes),
        assets: Some(&assets),
    };
    let out = hl_eval::evaluate(&input, ws.limits(db));
    Evaluated {
        root: out.root,
        types: out.types,
        stdlib_scopes: out.stdlib_scopes,
        prelude: out.prelude,
        diagnostics: out.diagnostics,
    }
}

/// One workspace file evaluated and memoised: only to find where a stack declared twice is;
/// everything else reads [`file_read`].
#[salsa::tracked(returns(ref), no_eq)]
fn file_eval(db: &dyn salsa::Database, file: File) -> Evaluated {
    evaluate_file(db, file)
}

/// One workspace file's declarations, evaluated with the standard library, the files that
/// define types and the files it imports, in workspace order (the standard library, then by
/// path).
fn evaluate_file(db: &dyn salsa::Database, file: File) -> Evaluated {
    let ws = Workspace::get(db);
    // The types and the standard library's names are the prelude's, found once.
    let shared = (prelude(db).types.clone(), prelude(db).stdlib_scopes.clone());
    let files = files_in_scope(db, file);
    run_eval(db, ws, &files, Some(file.id(db)), Some(shared))
}

/// The files an evaluation of `file` reads: the standard library, then the files that define
/// types and the files it imports, by path.
fn files_in_scope(db: &dyn salsa::Database, file: File) -> Vec<&EvalFile> {
    let (stdlib, typed): (Vec<&EvalFile>, Vec<&EvalFile>) = common_inputs(db).iter().partition(|f| f.stdlib);
    let mut rest: Vec<&EvalFile> = typed.into_iter().chain(own_inputs(db, file)).collect();
    rest.sort_by(|a, b| a.path.cmp(&b.path));
    rest.dedup_by(|a, b| a.id == b.id);
    stdlib.into_iter().chain(rest).collect()
}

/// The files handed to the evaluator, `declaring` among them the one whose declarations are
/// evaluated.
fn input_files<'a>(files: &[&'a EvalFile], declaring: Option<FileId>) -> Vec<InputFile<'a>> {
    files
        .iter()
        .map(|f| InputFile {
            id: f.id,
            path: f.path.clone(),
            ast: &f.parse.file,
            stdlib: f.stdlib,
            declares: Some(f.id) == declaring,
        })
        .collect()
}

/// The static pass over one file ([`hl_eval::check_statically`]): every definition of it
/// name-resolved and checked without being evaluated (unused `let`s, uncalled `fn`s, the
/// branches not taken), with the same files in scope as [`evaluate_file`]. For the standard
/// library (`None`), its files with [`common_inputs`].
fn run_statics(db: &dyn salsa::Database, file: Option<File>) -> Vec<Diagnostic> {
    let ws = Workspace::get(db);
    let shared = (prelude(db).types.clone(), prelude(db).stdlib_scopes.clone());
    let common = common_inputs(db);
    let files: Vec<&EvalFile> = match file {
        Some(file) => files_in_scope(db, file),
        None => common.iter().collect(),
    };
    let targets: Vec<FileId> = match file {
        Some(file) => vec![file.id(db)],
        None => files.iter().filter(|f| f.stdlib).map(|f| f.id).collect(),
    };
    let none = hl_eval::WorkspacePaths::default();
    let input = EvalInput {
        files: input_files(&files, None),
        root_schema: "Workspace",
        workspace_paths: &none,
        prelude: false,
        types: Some(shared.0),
        stdlib_scopes: Some(shared.1),
        assets: None,
    };
    hl_eval::check_statically(&input, ws.limits(db), &targets, false).into_iter().flat_map(|r| r.diagnostics).collect()
}

/// [`run_statics`] of one workspace file, memoised.
#[salsa::tracked(returns(ref))]
fn file_statics(db: &dyn salsa::Database, file: File) -> Vec<Diagnostic> {
    run_statics(db, Some(file))
}

/// [`run_statics`] of the standard library, memoised.
#[salsa::tracked(returns(ref))]
fn stdlib_statics(db: &dyn salsa::Database) -> Vec<Diagnostic> {
    run_statics(db, None)
}

/// The standard library's files.
#[salsa::tracked(returns(ref))]
fn stdlib_files(db: &dyn salsa::Database) -> Vec<File> {
    let ws = Workspace::get(db);
    ws.files(db).iter().copied().filter(|f| f.stdlib(db)).collect()
}

/// The types, the standard library's values and the root of an empty workspace.
#[salsa::tracked(returns(ref), no_eq)]
fn prelude(db: &dyn salsa::Database) -> Evaluated {
    let ws = Workspace::get(db);
    let files: Vec<&EvalFile> = common_inputs(db).iter().collect();
    run_eval(db, ws, &files, None, None)
}

fn workspace_files(db: &dyn salsa::Database) -> impl Iterator<Item = File> + '_ {
    readable_files(db).iter().copied()
}

/// The workspace's files that are text (the others take no part after parsing).
#[salsa::tracked(returns(ref))]
fn readable_files(db: &dyn salsa::Database) -> Vec<File> {
    let ws = Workspace::get(db);
    ws.files(db).iter().copied().filter(|f| !f.stdlib(db) && parsed(db, *f).parse.is_some()).collect()
}

/// The cluster facts, from the standard library.
#[salsa::tracked(returns(ref))]
fn facts(db: &dyn salsa::Database) -> hl_model::Facts {
    hl_model::read_facts(&prelude(db).prelude)
}

/// The `stack` entries of one file's partial root: the map, if the file declares stacks.
fn stack_map(root: &Value) -> Option<&hl_eval::Fields<Value>> {
    let rec = root.as_record()?;
    if rec.defaults.contains("stack") {
        return None;
    }
    rec.get("stack").and_then(Value::as_map)
}

/// What one file declares at the top: its stacks (with where) and its partial root without
/// the stacks, from which the workspace-wide settings are read. One query per file, so that
/// an edit verifies one memo for both.
#[derive(Debug, PartialEq)]
struct FileDecls {
    /// The names of the stacks it declares (their positions are read only to report a
    /// duplicate, so that moving text leaves this equal).
    stacks: Vec<String>,
    globals: Value,
}

#[salsa::tracked(returns(ref))]
fn file_decls(db: &dyn salsa::Database, file: File) -> FileDecls {
    let read = file_read(db, file);
    FileDecls { stacks: read.stacks.keys().cloned().collect(), globals: read.globals.clone() }
}

/// One workspace file evaluated and read: the models of the stacks it declares, its partial
/// root without the stacks, and what evaluating it found. The evaluated value itself is not
/// kept: it is many times the size of the text, and nothing after this reads it (except the
/// positions of a stack declared twice, which [`file_eval`] evaluates again).
#[derive(Debug)]
struct FileRead {
    /// Each stack it declares, in declaration order, read into the model.
    stacks: IndexMap<String, StackModel>,
    globals: Value,
    diagnostics: Vec<Diagnostic>,
}

#[salsa::tracked(returns(ref), no_eq)]
fn file_read(db: &dyn salsa::Database, file: File) -> FileRead {
    let ev = evaluate_file(db, file);
    let root = &ev.root;
    let stacks = stack_map(root)
        .map(|m| {
            m.iter()
                .map(|(name, value)| {
                    let (stack, diagnostics) = hl_model::read_stack(name, value, facts(db));
                    let stack = stack.map(|mut s| {
                        locate_waiver_codes(&mut s, file.id(db), &parsed(db, file).text);
                        Arc::new(s)
                    });
                    (name.clone(), StackModel { stack, diagnostics })
                })
                .collect()
        })
        .unwrap_or_default();
    FileRead {
        stacks,
        // The root's own span (the whole file) is not read when the roots are joined; leaving
        // it out keeps a file's settings equal while text moves in a file that declares none.
        globals: Value { span: Span::default(), ..without_stacks(root) },
        diagnostics: ev.diagnostics,
    }
}

/// Point each waiver's `code_span` at its key as written (`"E0513"` in `waive = { "E0513":
/// "why" }`), so that a wrong code is reported at the code and not at the reason. A value keeps
/// no span of its map key, so the key is found in the text just before the reason: `"key"` or
/// `key`, then `:`. A waiver whose reason lies in another file, or whose key is not found there
/// as written, keeps the reason's span.
fn locate_waiver_codes(stack: &mut hl_model::Stack, file: FileId, text: &str) {
    for w in &mut stack.waivers {
        if w.span.file != file {
            continue;
        }
        let before = text.get(..w.span.start as usize).unwrap_or_default().trim_end();
        let Some(before) = before.strip_suffix(':') else { continue };
        let before = before.trim_end();
        let start = if let Some(inner) = before.strip_suffix('"') {
            inner.rfind('"').filter(|&q| inner.get(q + 1..) == Some(w.key.as_str()))
        } else {
            before.strip_suffix(w.key.as_str()).map(str::len)
        };
        if let Some(start) = start {
            w.code_span = Span::new(file, start, before.len());
        }
    }
}

fn file_stacks(db: &dyn salsa::Database, file: File) -> &Vec<String> {
    &file_decls(db, file).stacks
}

/// Every stack name and the file that declares it (the first, in workspace order), in model
/// order. Unchanged by an edit that declares no stack and removes none.
#[salsa::tracked(returns(ref))]
fn stack_files(db: &dyn salsa::Database) -> IndexMap<String, File> {
    let mut out = IndexMap::new();
    for f in workspace_files(db) {
        for name in file_stacks(db, f) {
            out.entry(name.clone()).or_insert(f);
        }
    }
    out
}

/// Every declared stack's interned name, in model order.
#[salsa::tracked(returns(ref))]
fn stack_ids<'db>(db: &'db dyn salsa::Database) -> Vec<StackName<'db>> {
    stack_files(db).keys().map(|n| StackName::new(db, n.clone())).collect()
}

/// A stack declared in two files.
#[salsa::tracked(returns(ref))]
fn stack_duplicates(db: &dyn salsa::Database) -> Vec<Diagnostic> {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for f in workspace_files(db) {
        for name in file_stacks(db, f) {
            *seen.entry(name.as_str()).or_default() += 1;
        }
    }
    if seen.values().all(|n| *n == 1) {
        return Vec::new();
    }
    // Only now read where they are.
    let mut first: HashMap<&str, Span> = HashMap::new();
    let mut diags = Vec::new();
    for f in workspace_files(db) {
        let Some(m) = stack_map(&file_eval(db, f).root) else { continue };
        for (name, v) in m.iter().filter(|(n, _)| seen.get(n.as_str()).is_some_and(|c| *c > 1)) {
            match first.get(name.as_str()) {
                Some(prev) => diags.push(hl_eval::twice_declared("stack", name, v.span, *prev)),
                None => {
                    first.insert(name, v.span);
                }
            }
        }
    }
    diags
}

fn without_stacks(root: &Value) -> Value {
    let Some(rec) = root.as_record() else { return root.clone() };
    let mut rec = rec.clone();
    rec.fields.shift_remove("stack");
    rec.field_spans.shift_remove("stack");
    rec.defaults.remove("stack");
    Value::new(hl_eval::ValueKind::Record(Arc::new(rec)), root.span)
}

/// The workspace-wide settings (owners, groups, the Proxmox host, host backups, the facts) as
/// a model without stacks, and what joining the files' settings found.
#[salsa::tracked(returns(ref))]
fn globals(db: &dyn salsa::Database) -> (Arc<Model>, Vec<Diagnostic>) {
    let base = without_stacks(&prelude(db).root);
    let parts: Vec<&Value> = workspace_files(db).map(|f| &file_decls(db, f).globals).collect();
    let (root, mut diags) = hl_eval::merge_roots(&base, &parts);
    let (model, read) = hl_model::read_globals(&root, facts(db));
    diags.extend(read);
    (Arc::new(model), diags)
}

/// One stack's model and the problems found reading it. Equal after an edit elsewhere, so
/// what reads it is not re-run.
#[derive(Debug, PartialEq)]
pub(crate) struct StackModel {
    pub stack: Option<Arc<hl_model::Stack>>,
    pub diagnostics: Vec<Diagnostic>,
}

#[salsa::tracked(returns(ref))]
fn stack_model<'db>(db: &'db dyn salsa::Database, name: StackName<'db>) -> StackModel {
    let name = name.text(db);
    let read = stack_files(db).get(name).map(|f| file_read(db, *f));
    match read.and_then(|r| r.stacks.get(name)) {
        Some(m) => StackModel { stack: m.stack.clone(), diagnostics: m.diagnostics.clone() },
        None => StackModel { stack: None, diagnostics: Vec::new() },
    }
}

fn stack<'db>(db: &'db dyn salsa::Database, name: StackName<'db>) -> Option<Arc<hl_model::Stack>> {
    stack_model(db, name).stack.clone()
}

/// Another stack, by name (to point at it from a diagnostic).
fn stack_by_name(db: &dyn salsa::Database, name: &str) -> Option<Arc<hl_model::Stack>> {
    stack(db, StackName::new(db, name.to_string()))
}

/// The names of the stacks in the model (valid names only), in model order.
#[salsa::tracked(returns(ref))]
pub(crate) fn stack_names<'db>(db: &'db dyn salsa::Database) -> Vec<StackName<'db>> {
    stack_ids(db).iter().copied().filter(|n| stack_model(db, *n).stack.is_some()).collect()
}

/// The whole model: the workspace-wide settings and every stack (shared with the per-stack
/// queries).
#[salsa::tracked(returns(ref), no_eq)]
pub(crate) fn model(db: &dyn salsa::Database) -> Arc<Model> {
    let mut m = globals(db).0.as_ref().clone();
    m.stacks = stack_names(db).iter().filter_map(|n| stack(db, *n)).collect();
    Arc::new(m)
}

/// What the rest of the workspace needs to know of one stack: its summaries for the
/// structural and the domain checks, and its node in the graph. One query, so that an edit
/// verifies one memo per stack for all three.
#[derive(Debug, PartialEq)]
pub(crate) struct Digest {
    model: hl_model::StackSummary,
    check: hl_check::StackSummary,
    /// The graph node without positions ([`graph_node`] has them).
    shape: hl_graph::StackNode,
}

#[salsa::tracked(returns(ref))]
fn digest<'db>(db: &'db dyn salsa::Database, name: StackName<'db>) -> Option<Digest> {
    stack(db, name).map(|s| Digest {
        model: hl_model::StackSummary::of(&s),
        check: hl_check::StackSummary::of(&s),
        shape: hl_graph::StackNode::of(&s).without_spans(),
    })
}

/// One stack's node in the graph, with the positions its edges point at.
#[salsa::tracked(returns(ref))]
fn graph_node<'db>(db: &'db dyn salsa::Database, name: StackName<'db>) -> Option<hl_graph::StackNode> {
    stack(db, name).map(|s| hl_graph::StackNode::of(&s))
}

/// What one stack's checks read of the other stacks: its views of both indexes.
#[derive(Debug, PartialEq)]
pub(crate) struct Views {
    model: hl_model::StackView,
    check: hl_check::StackView,
}

#[salsa::tracked(returns(ref))]
fn views<'db>(db: &'db dyn salsa::Database, name: StackName<'db>) -> Option<Views> {
    stack(db, name).map(|s| Views { model: model_index(db).view(&s, facts(db)), check: check_index(db).view(&s) })
}

#[salsa::tracked(returns(ref))]
fn model_index(db: &dyn salsa::Database) -> hl_model::WorkspaceIndex {
    let names = stack_names(db);
    let summaries: Vec<(&str, &hl_model::StackSummary)> =
        names.iter().filter_map(|n| digest(db, *n).as_ref().map(|d| (n.text(db).as_str(), &d.model))).collect();
    hl_model::WorkspaceIndex::new(summaries)
}

/// Everything wrong with one stack's structure: reading it, and against the other stacks.
#[salsa::tracked(returns(ref))]
fn stack_problems<'db>(db: &'db dyn salsa::Database, name: StackName<'db>) -> Vec<Diagnostic> {
    let m = stack_model(db, name);
    let mut out = m.diagnostics.clone();
    if let (Some(s), Some(views)) = (&m.stack, views(db, name)) {
        let other = |n: &str| stack_by_name(db, n);
        out.extend(hl_model::check_stack(s, &views.model, facts(db), &other));
    }
    out
}

/// One stack's Kubernetes objects.
#[salsa::tracked(returns(ref), no_eq)]
pub(crate) fn emitted_stack<'db>(db: &'db dyn salsa::Database, name: StackName<'db>) -> Option<hl_emit::StackOutput> {
    stack(db, name).as_deref().map(|s| hl_emit::emit_stack(s, facts(db)))
}

/// The kind, namespace and name of each object a stack emits, in order.
#[salsa::tracked(returns(ref))]
fn object_keys<'db>(db: &'db dyn salsa::Database, name: StackName<'db>) -> Vec<(String, Option<String>, String)> {
    emitted_stack(db, name)
        .iter()
        .flat_map(|o| o.objects.iter())
        .map(|o| (o.kind.clone(), o.namespace.clone(), o.name.clone()))
        .collect()
}

/// Objects that two stacks both emit.
#[salsa::tracked(returns(ref))]
fn collisions(db: &dyn salsa::Database) -> Vec<Diagnostic> {
    let names = stack_names(db);
    let keys: Vec<&Vec<(String, Option<String>, String)>> = names.iter().map(|n| object_keys(db, *n)).collect();
    let mut first: rustc_hash::FxHashMap<&(String, Option<String>, String), StackName<'_>> =
        rustc_hash::FxHashMap::with_capacity_and_hasher(keys.iter().map(|k| k.len()).sum(), Default::default());
    let mut clash = false;
    for (n, keys) in names.iter().zip(keys) {
        for key in keys {
            match first.get(key) {
                Some(other) if other != n => clash = true,
                Some(_) => {}
                None => {
                    first.insert(key, *n);
                }
            }
        }
    }
    if !clash {
        return Vec::new();
    }
    let stacks: Vec<(String, &hl_emit::StackOutput)> =
        names.iter().filter_map(|n| emitted_stack(db, *n).as_ref().map(|o| (n.text(db).clone(), o))).collect();
    crate::cross_stack_collisions(&stacks)
}

#[salsa::tracked(returns(ref), no_eq)]
pub(crate) fn graph(db: &dyn salsa::Database) -> (hl_graph::Graph, Vec<Diagnostic>) {
    let names = stack_names(db);
    let nodes = names.iter().filter_map(|n| graph_node(db, *n).as_ref());
    hl_graph::build_from(nodes, facts(db))
}

/// The graph's problems (cycles, forbidden edges). Decided on the nodes without positions,
/// which moving text does not change; only when there are problems is the graph built again
/// with positions, to point at them.
#[salsa::tracked(returns(ref))]
fn graph_problems(db: &dyn salsa::Database) -> Vec<Diagnostic> {
    let names = stack_names(db);
    let shapes = names.iter().filter_map(|n| digest(db, *n).as_ref().map(|d| &d.shape));
    if hl_graph::build_from(shapes, facts(db)).1.is_empty() {
        return Vec::new();
    }
    graph(db).1.clone()
}

#[salsa::tracked(returns(ref))]
fn check_index(db: &dyn salsa::Database) -> hl_check::CheckIndex {
    let names = stack_names(db);
    let summaries: Vec<(&str, &hl_check::StackSummary)> =
        names.iter().filter_map(|n| digest(db, *n).as_ref().map(|d| (n.text(db).as_str(), &d.check))).collect();
    hl_check::CheckIndex::new(summaries)
}

/// Whether the file that declares a stack has a syntax or evaluation error, or the stack a
/// structural one (a reference to a claim, a stack or a namespace that does not exist). Such a
/// stack's model is partial or points at nothing: a value that failed is absent (a misspelt
/// `replica` leaves the default of one replica, a failed `pvc_backup(...)` call leaves its claim
/// without a backup job), a backup job that mounts a misspelt claim backs up nothing, and what
/// the domain rules would find there follows from the error already reported. (An error of the
/// model's own reading leaves the values in place, and does not count.)
#[salsa::tracked]
fn stack_has_errors<'db>(db: &'db dyn salsa::Database, name: StackName<'db>) -> bool {
    let errors = |d: &[Diagnostic]| d.iter().any(Diagnostic::is_error);
    let file = stack_files(db).get(name.text(db)).copied();
    // `stack_problems` starts with the reader's diagnostics; the structural checks' follow.
    let read = stack_model(db, name).diagnostics.len();
    file.is_some_and(|f| errors(&parsed(db, f).diagnostics) || errors(&file_read(db, f).diagnostics))
        || errors(stack_problems(db, name).get(read..).unwrap_or_default())
}

/// The domain checks of one stack (its waivers applied). One mistake, one diagnostic: a stack
/// with an error of its own ([`stack_has_errors`]) is not checked until the error is fixed.
#[salsa::tracked(returns(ref))]
fn stack_checks<'db>(db: &'db dyn salsa::Database, name: StackName<'db>) -> Option<hl_check::Checked> {
    if *stack_has_errors(db, name) {
        return Some(hl_check::Checked::default());
    }
    let s = stack(db, name)?;
    let views = views(db, name).as_ref()?;
    let other = |n: &str| stack_by_name(db, n);
    Some(hl_check::check_stack(&globals(db).0, &views.check, &s, &other))
}

/// The checks of the Proxmox host, its VMs and the host backups, which no stack owns.
#[salsa::tracked(returns(ref))]
fn global_checks(db: &dyn salsa::Database) -> hl_check::Checked {
    hl_check::check_global(&globals(db).0)
}

/// Every check's result: the stacks' and the host's.
#[salsa::tracked(returns(ref), no_eq)]
pub(crate) fn checked(db: &dyn salsa::Database) -> hl_check::Checked {
    let stacks = stack_names(db).iter().filter_map(|n| stack_checks(db, *n).clone());
    hl_check::join(std::iter::once(global_checks(db).clone()).chain(stacks))
}

/// Every diagnostic of the workspace, sorted, each once.
#[salsa::tracked(returns(ref), no_eq)]
pub(crate) fn diagnostics(db: &dyn salsa::Database) -> Vec<Diagnostic> {
    let ws = Workspace::get(db);
    let mut out = Vec::new();
    for f in ws.files(db) {
        out.extend(parsed(db, *f).diagnostics.iter().cloned());
    }
    out.extend(prelude(db).diagnostics.iter().cloned());
    for f in workspace_files(db) {
        out.extend(file_read(db, f).diagnostics.iter().cloned());
    }
    out.extend(stack_duplicates(db).iter().cloned());
    out.extend(globals(db).1.iter().cloned());
    for name in stack_ids(db) {
        out.extend(stack_problems(db, *name).iter().cloned());
    }
    for name in stack_names(db) {
        if let Some(o) = emitted_stack(db, *name) {
            out.extend(o.diagnostics.iter().cloned());
        }
    }
    out.extend(graph_problems(db).iter().cloned());
    out.extend(checked(db).diagnostics.iter().cloned());
    out.extend(collisions(db).iter().cloned());
    // The static pass reports what evaluation did not reach; where evaluation reported the
    // same code at the same place, the mistake is reported once, by evaluation.
    let reported: std::collections::HashSet<(Code, Span)> = out.iter().map(|d| (d.code, d.primary.span)).collect();
    let statics = stdlib_statics(db).iter().chain(workspace_files(db).flat_map(|f| file_statics(db, f).iter()));
    out.extend(statics.filter(|d| !reported.contains(&(d.code, d.primary.span))).cloned());
    sort_and_dedup(&mut out);
    // Files in workspace order (the standard library, then by path), whatever their ids: a
    // session gives a file added later a higher id than a fresh compilation would.
    let rank: HashMap<FileId, usize> = ws.files(db).iter().enumerate().map(|(i, f)| (f.id(db), i)).collect();
    out.sort_by_key(|d| rank.get(&d.primary.span.file).copied().unwrap_or(usize::MAX));
    out
}

/// A compilation was overtaken by a change to its inputs; its result would be stale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cancelled;

impl std::fmt::Display for Cancelled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the compilation was cancelled by a newer change")
    }
}

impl std::error::Error for Cancelled {}

/// Stack size of the threads that compile. Expression trees are bounded in depth by the
/// parser's nesting and chain limits; this leaves a wide margin for evaluating the deepest.
const STACK_SIZE: usize = 256 * 1024 * 1024;

fn new_pool() -> Option<Arc<rayon::ThreadPool>> {
    rayon::ThreadPoolBuilder::new()
        .thread_name(|i| format!("hlc-compile-{i}"))
        .stack_size(STACK_SIZE)
        .build()
        .ok()
        .map(Arc::new)
}

/// An incremental compiler: the workspace's files, kept between compilations so that the
/// next one redoes only what an edit touched. The language server keeps one per workspace;
/// [`crate::compile_with`] makes one for a single compilation.
///
/// ```
/// use hlc_core::{InputText, Limits, Session};
///
/// let file = |text: &str| InputText { path: "a.hl".into(), display: "a.hl".into(), bytes: text.into() };
/// let mut session = Session::new(Limits::default());
/// session.set_files(vec![file("stack a { namespace a { replicas = 1 } }")]);
/// let diags = session.snapshot().diagnostics().expect("not cancelled");
/// assert_eq!(diags[0].code.info().code, "E0204"); // a namespace has no `replicas`
/// session.set_files(vec![file("stack a { namespace a {} }")]);
/// assert!(session.snapshot().diagnostics().expect("not cancelled").is_empty());
/// ```
pub struct Session {
    db: Database,
    ws: Workspace,
    /// Workspace files by path; ids are never reused, so memoised spans stay right.
    files: BTreeMap<String, File>,
    next_id: u32,
    pool: Option<Arc<rayon::ThreadPool>>,
    /// The queries executed, when the session was made by [`Session::recording`].
    log: Option<Arc<std::sync::Mutex<Vec<salsa::DatabaseKeyIndex>>>>,
}

impl Session {
    /// A session with no workspace files yet (the standard library is there).
    pub fn new(limits: Limits) -> Session {
        Session::with(Database::default(), limits, None)
    }

    /// A session that records every query it executes (salsa's `WillExecute` event), for
    /// tests that hold the engine to its incrementality: [`Session::take_executions`] says
    /// what ran since the last time it was asked. A plain session installs no event callback.
    pub fn recording(limits: Limits) -> Session {
        let log: Arc<std::sync::Mutex<Vec<salsa::DatabaseKeyIndex>>> = Arc::default();
        let sink = Arc::clone(&log);
        let callback = move |event: salsa::Event| {
            if let salsa::EventKind::WillExecute { database_key } = event.kind {
                sink.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(database_key);
            }
        };
        let db = Database { storage: salsa::Storage::new(Some(Box::new(callback))) };
        Session::with(db, limits, Some(log))
    }

    /// The queries executed since the session was made or this was last called, in order:
    /// each run of a query's body (its memo was missing or out of date) as the query's name
    /// and what it was asked about, a file's path or a stack's name ("" for a query of the
    /// whole workspace). Empty for a session not made by [`Session::recording`].
    pub fn take_executions(&mut self) -> Vec<(String, String)> {
        let Some(log) = self.log.clone() else { return Vec::new() };
        let take = || std::mem::take(&mut *log.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        let keys = take();
        use salsa::plumbing::AsId;
        let mut names: HashMap<salsa::Id, String> = HashMap::new();
        for f in self.ws.files(&self.db) {
            names.insert(f.as_id(), f.path(&self.db).clone());
        }
        for s in stack_ids(&self.db) {
            names.insert(s.as_id(), s.text(&self.db).clone());
        }
        let out = keys
            .into_iter()
            .map(|k| {
                let query = salsa::Database::ingredient_debug_name(&self.db, k.ingredient_index()).into_owned();
                (query, names.get(&k.key_index()).cloned().unwrap_or_default())
            })
            .collect();
        // What naming them executed is not part of the record.
        take();
        out
    }

    fn with(db: Database, limits: Limits, log: Option<Arc<std::sync::Mutex<Vec<salsa::DatabaseKeyIndex>>>>) -> Session {
        let mut stdlib = Vec::new();
        for (i, (path, text)) in STDLIB.iter().enumerate() {
            let display = format!("<stdlib>/{}", path.trim_start_matches("std/"));
            let id = FileId(u32::try_from(i).unwrap_or(u32::MAX));
            stdlib.push(File::builder(id, path.to_string(), display, text.as_bytes().to_vec(), true).new(&db));
        }
        let ws = Workspace::builder(stdlib, limits).new(&db);
        Session {
            db,
            ws,
            files: BTreeMap::new(),
            next_id: u32::try_from(STDLIB.len()).unwrap_or(u32::MAX),
            pool: new_pool(),
            log,
        }
    }

    /// Make `files` the workspace's files. A file whose bytes did not change keeps what was
    /// computed from it. Waits for running compilations of this session to stop (they are
    /// cancelled).
    pub fn set_files(&mut self, files: Vec<InputText>) {
        let mut files = files;
        files.sort_by(|a, b| a.path.cmp(&b.path));
        files.dedup_by(|a, b| a.path == b.path);
        let mut next: BTreeMap<String, File> = BTreeMap::new();
        for f in files {
            let path = f.path.clone();
            let file = match self.files.remove(&path) {
                Some(file) => {
                    if file.bytes(&self.db) != &f.bytes {
                        file.set_bytes(&mut self.db).to(f.bytes);
                    }
                    if file.display(&self.db) != &f.display {
                        file.set_display(&mut self.db).to(f.display);
                    }
                    file
                }
                None => self.new_file(f),
            };
            next.insert(path, file);
        }
        self.files = next;
        self.sync_list();
    }

    /// Add a file, or change one's contents: the same as [`Session::set_files`] with this
    /// one file replaced.
    pub fn set_file(&mut self, file: InputText) {
        match self.files.get(&file.path).copied() {
            Some(f) => {
                if f.bytes(&self.db) != &file.bytes {
                    f.set_bytes(&mut self.db).to(file.bytes);
                }
                if f.display(&self.db) != &file.display {
                    f.set_display(&mut self.db).to(file.display);
                }
            }
            None => {
                let path = file.path.clone();
                let f = self.new_file(file);
                self.files.insert(path, f);
                self.sync_list();
            }
        }
    }

    /// A new workspace file with a fresh id.
    fn new_file(&mut self, f: InputText) -> File {
        let id = FileId(self.next_id);
        self.next_id = self.next_id.saturating_add(1);
        File::builder(id, f.path, f.display, f.bytes, false).new(&self.db)
    }

    /// Remove a file from the workspace, if it is there.
    pub fn remove_file(&mut self, path: &str) {
        if self.files.remove(path).is_some() {
            self.sync_list();
        }
    }

    /// The workspace's files' paths, sorted.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    fn sync_list(&mut self) {
        let mut list: Vec<File> = self.ws.files(&self.db).iter().copied().filter(|f| f.stdlib(&self.db)).collect();
        list.extend(self.files.values().copied());
        if self.ws.files(&self.db) != &list {
            self.ws.set_files(&mut self.db).to(list);
        }
    }

    /// Change the evaluation limits.
    pub fn set_limits(&mut self, limits: Limits) {
        if self.ws.limits(&self.db) != limits {
            self.ws.set_limits(&mut self.db).to(limits);
        }
    }

    /// A handle for compiling the current files, on this thread or another. A later
    /// [`Session::set_files`] cancels what it is computing.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot { db: self.db.clone(), ws: self.ws, pool: self.pool.clone() }
    }
}

/// The files of a [`Session`] at one moment, to compile.
pub struct Snapshot {
    db: Database,
    ws: Workspace,
    pool: Option<Arc<rayon::ThreadPool>>,
}

impl Snapshot {
    /// Every diagnostic of the workspace, sorted, each once (what `hlc check` reports).
    pub fn diagnostics(&self) -> Result<Vec<Diagnostic>, Cancelled> {
        self.run(|db, ws| {
            prefill(db, ws, &Options::default(), false);
            diagnostics(db).clone()
        })
    }

    /// The files, for resolving the spans of diagnostics: every file's path as diagnostics
    /// name it and its text.
    pub fn sources(&self) -> Result<Sources, Cancelled> {
        self.run(sources_now)
    }

    /// The diagnostics (as [`Snapshot::diagnostics`]) and the files their labels point into
    /// (the other files are left out of the [`Sources`]): what an editor needs to show them.
    pub fn diagnostics_with_sources(&self) -> Result<(Vec<Diagnostic>, Sources), Cancelled> {
        self.diagnostics_checked(None)
    }

    /// [`Snapshot::diagnostics_with_sources`], and with `crds` every stack's manifests
    /// against their CRD schemas (E0215), as `hlc check --crd-schemas` reports them.
    pub fn diagnostics_checked(
        &self,
        crds: Option<Arc<hl_check::crd::CrdSchemas>>,
    ) -> Result<(Vec<Diagnostic>, Sources), Cancelled> {
        self.run(move |db, ws| {
            prefill(db, ws, &Options::default(), false);
            let mut diags = diagnostics(db).clone();
            if let Some(crds) = &crds {
                let before = diags.len();
                for name in stack_ids(db) {
                    if let Some(s) = stack(db, *name) {
                        diags.extend(hl_check::crd::check_stack(&s, crds));
                    }
                }
                if diags.len() > before {
                    diags.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
                }
            }
            let wanted: std::collections::HashSet<FileId> = diags
                .iter()
                .flat_map(|d| std::iter::once(&d.primary).chain(&d.secondary))
                .map(|l| l.span.file)
                .collect();
            let mut sources = Sources::new();
            for f in ws.files(db).iter().filter(|f| wanted.contains(&f.id(db))) {
                sources.insert(f.id(db), source_file(db, *f).clone());
            }
            (diags, sources)
        })
    }

    /// The whole compilation: diagnostics, model, graph and (without errors) the output files.
    pub fn compile(&self, options: &Options<'_>) -> Result<Compilation, Cancelled> {
        self.run(|db, ws| compile_now(db, ws, options))
    }

    fn run<T: Send>(&self, f: impl FnOnce(&Database, Workspace) -> T + Send) -> Result<T, Cancelled> {
        let (db, ws) = (self.db.clone(), self.ws);
        let guarded =
            move || salsa::Cancelled::catch(std::panic::AssertUnwindSafe(|| f(&db, ws))).map_err(|_| Cancelled);
        match &self.pool {
            Some(pool) => pool.install(guarded),
            None => guarded(),
        }
    }
}

fn sources_now(db: &Database, ws: Workspace) -> Sources {
    // Each file's lines are indexed on its own (in parallel); joining them only copies.
    let files: Vec<(FileId, hl_diagnostics::SourceFile)> =
        ws.files(db).par_iter().map_with(db.clone(), |db, f| (f.id(db), source_file(db, *f).clone())).collect();
    let mut sources = Sources::new();
    for (id, file) in files {
        sources.insert(id, file);
    }
    sources
}

/// A file's text with its lines indexed, kept until the file changes.
#[salsa::tracked(returns(ref))]
fn source_file(db: &dyn salsa::Database, file: File) -> hl_diagnostics::SourceFile {
    hl_diagnostics::SourceFile::new(file.display(db).clone(), parsed(db, file).text.clone())
}

/// Run `work` on every item on the threads of the current pool, the costliest items first
/// (by `cost`, an estimate), each thread taking the next item as it finishes one: a large
/// file started last would otherwise keep one thread busy while the others wait. The work
/// fills memos, so the order the items run in changes no result.
fn costliest_first<T: Sync>(
    db: &Database,
    items: &[T],
    cost: impl Fn(&Database, &T) -> usize,
    work: impl Fn(&Database, &T) + Sync,
) {
    let mut order: Vec<(usize, usize)> = items.iter().enumerate().map(|(i, t)| (cost(db, t), i)).collect();
    order.sort_unstable_by(|a, b| b.cmp(a));
    let next = std::sync::atomic::AtomicUsize::new(0);
    // A database handle is not shared between threads: each thread takes a copy of its own.
    let handle = std::sync::Mutex::new(db.clone());
    rayon::broadcast(|_| {
        let Ok(db) = handle.lock().map(|h| h.clone()) else { return };
        loop {
            let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(&(_, i)) = order.get(k) else { break };
            work(&db, &items[i]);
        }
    });
}

/// The size of a file's text: what parsing and evaluating it cost, roughly.
fn text_size(db: &Database, f: &File) -> usize {
    f.bytes(db).len()
}

/// The size of the text of the file that declares a stack: what reading, checking and emitting
/// the stack cost, roughly.
fn stack_size(db: &Database, n: &StackName<'_>) -> usize {
    stack_files(db).get(n.text(db).as_str()).map_or(0, |f| f.bytes(db).len())
}

/// Compute the per-file and per-stack queries in parallel, so that the workspace-wide queries
/// find them memoised.
fn prefill(db: &Database, ws: Workspace, options: &Options<'_>, with_graph: bool) {
    let files: Vec<File> = ws.files(db).clone();
    options.report(Progress::Parsing { files: files.iter().filter(|f| !f.stdlib(db)).count() });
    costliest_first(db, &files, text_size, |db, f| {
        let _ = outline(db, *f);
    });
    options.report(Progress::Evaluating);
    let _ = prelude(db);
    let todo: Vec<File> = workspace_files(db).collect();
    costliest_first(db, &todo, text_size, |db, f| {
        let _ = file_read(db, *f);
        let _ = file_decls(db, *f);
        let _ = file_statics(db, *f);
    });
    let _ = stdlib_statics(db);
    let names = stack_ids(db).clone();
    costliest_first(db, &names, stack_size, |db, n| {
        let _ = stack_model(db, *n);
        let _ = digest(db, *n);
    });
    let _ = globals(db);
    options.report(Progress::Checking);
    let names = stack_names(db).clone();
    // The two indexes each join every stack's summaries on one thread: side by side.
    let (a, b) = (db.clone(), db.clone());
    rayon::join(
        move || {
            let _ = model_index(&a);
        },
        move || {
            let _ = check_index(&b);
        },
    );
    names.par_iter().for_each_with(db.clone(), |db, n| {
        let _ = stack_problems(db, *n);
        let _ = stack_checks(db, *n);
    });
    let _ = checked(db);
    options.report(Progress::Emitting { stacks: names.len() });
    // The graph is built on one thread while the others emit; a full compilation also
    // wants it with positions, for its output.
    let (a, b) = (db.clone(), db.clone());
    rayon::join(
        move || {
            let _ = graph_problems(&a);
            if with_graph {
                let _ = graph(&a);
            }
        },
        move || {
            costliest_first(&b, &names, stack_size, |db, n| {
                let _ = object_keys(db, *n);
                options.report(Progress::StackEmitted);
            })
        },
    );
}

fn compile_now(db: &Database, ws: Workspace, options: &Options<'_>) -> Compilation {
    prefill(db, ws, options, true);
    let diags = diagnostics(db).clone();
    let m = model(db);
    let (graph, _) = graph(db);
    let checked = checked(db);
    let mut artifacts = Vec::new();
    let mut origins = BTreeMap::new();
    let ok = !diags.iter().any(Diagnostic::is_error);
    // The stacks with objects: only they get a Flux Kustomization.
    let applying: rustc_hash::FxHashSet<&str> =
        stack_names(db).iter().filter(|n| !object_keys(db, **n).is_empty()).map(|n| n.text(db).as_str()).collect();
    let applies = |stack: &str| applying.contains(stack);
    let objects = if ok {
        crate::flux_objects(graph, m, &applies)
            + stack_names(db).iter().map(|n| object_keys(db, *n).len()).sum::<usize>()
    } else {
        0
    };
    if ok {
        if let Some(write) = options.writer {
            // Each stack's files go out as one task; the rest (Flux objects, one per stack,
            // among them) in shares, so that a thread done with its part takes more.
            let (names, each) = (stack_names(db).clone(), db.clone());
            rayon::join(
                move || {
                    names.par_iter().for_each_with(each, |db, name| {
                        if let Some(out) = emitted_stack(db, *name) {
                            crate::write_stack(name.text(db), out, write);
                        }
                    })
                },
                || {
                    crate::workspace_artifacts(graph, m, &applies).par_chunks(64).for_each(|share| {
                        let batch: Vec<crate::OutputFile<'_>> =
                            share.iter().map(|a| crate::OutputFile { path: &a.path, contents: &a.contents }).collect();
                        write(&batch);
                    })
                },
            );
        } else if options.artifacts {
            let laid: Vec<_> = stack_names(db)
                .par_iter()
                .map_with(db.clone(), |db, name| {
                    emitted_stack(db, *name).as_ref().map(|out| crate::lay_out(name.text(db), out))
                })
                .collect();
            for (files, from) in laid.into_iter().flatten() {
                artifacts.extend(files);
                origins.extend(from);
            }
            artifacts.extend(crate::workspace_artifacts(graph, m, &applies));
            // Paths are unique.
            artifacts.par_sort_unstable_by(|a, b| a.path.cmp(&b.path));
        }
    }
    Compilation {
        sources: sources_now(db, ws),
        diagnostics: diags,
        model: m.clone(),
        graph: graph.clone(),
        waived: checked.waived.clone(),
        artifacts,
        objects,
        origins,
    }
}
