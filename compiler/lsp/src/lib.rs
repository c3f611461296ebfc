//! `hlc lsp`: the hl language server, over stdio (lsp-server + lsp-types).
//!
//! Messages come through our own stdio transport (`transport.rs`): a malformed one is
//! answered with a JSON-RPC error and the server reads on.
//!
//! The main loop owns the state: the texts of open documents (which override the files on
//! disk; each with its line index, kept up to date by incremental `didChange` edits, so that
//! converting a position never scans the text) and, per hl workspace, an incremental compiler [`Session`] (the same salsa queries
//! as `hlc check`, so the diagnostics are the same) and the diagnostics last published. An
//! edit changes one file of the session, which forgets only what depended on that file; as
//! soon as no message is waiting, a worker thread asks the session for the workspace's
//! diagnostics, and the files whose diagnostics changed (cross-file: renaming a stack
//! updates its dependants), plus the edited ones, are published. An edit that arrives
//! meanwhile cancels the running compilation (salsa's cancellation); a result overtaken by a
//! newer edit is dropped, never published. Requests (hover, definition, completion, ...) are
//! answered on the main loop from a syntactic index of the workspace (files re-parsed only
//! when their text changed); a request the client cancelled before it was reached is
//! answered as cancelled; a panic in one is caught and answered with an error, and the
//! server goes on.
//!
//! An hl workspace is the directory tree a file belongs to: starting at the file's directory,
//! the highest ancestor reached through directories that themselves hold `.hl` files (for
//! `stacks/apps/web.hl` that is `stacks/`), never above the client's root folder.

#![forbid(unsafe_code)]

mod analysis;
mod convert;
mod features;
mod handlers;
mod names;
mod transport;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crossbeam_channel::{Receiver, Sender, select};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidChangeWatchedFiles, DidCloseTextDocument, DidOpenTextDocument, DidSaveTextDocument,
    Notification as _, PublishDiagnostics,
};
use lsp_types::{
    CompletionOptions, Diagnostic as LspDiagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, InitializeParams,
    Location, NumberOrString, OneOf, PositionEncodingKind, PublishDiagnosticsParams, RenameOptions, SaveOptions,
    ServerCapabilities, ServerInfo, TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions,
    TextDocumentSyncSaveOptions, Uri, WorkDoneProgressOptions,
};

use hlc_core::diagnostics::Sources;
use hlc_core::{InputText, Session};

use crate::analysis::{Index, ParseCache};
use crate::convert::{Doc, LineIndex};

/// Run the server on standard input and output until the client says `exit`.
///
/// The transport is our own (`transport.rs`), not lsp-server's: that one's reader stops at the
/// first message it cannot parse, and the server with it.
pub fn run_stdio() -> Result<(), String> {
    let (connection, io_threads) = transport::stdio()?;
    run(connection)?;
    io_threads.join()
}

/// Run the server on a connection (stdio, or an in-memory pair in tests).
pub fn run(connection: Connection) -> Result<(), String> {
    let capabilities = ServerCapabilities {
        position_encoding: Some(PositionEncodingKind::UTF16),
        text_document_sync: Some(TextDocumentSyncCapability::Options(TextDocumentSyncOptions {
            open_close: Some(true),
            change: Some(TextDocumentSyncKind::INCREMENTAL),
            save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions { include_text: Some(false) })),
            ..Default::default()
        })),
        hover_provider: Some(lsp_types::HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Right(RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: WorkDoneProgressOptions::default(),
        })),
        document_symbol_provider: Some(OneOf::Left(true)),
        workspace_symbol_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        semantic_tokens_provider: Some(lsp_types::SemanticTokensServerCapabilities::SemanticTokensOptions(
            lsp_types::SemanticTokensOptions {
                legend: features::legend(),
                full: Some(lsp_types::SemanticTokensFullOptions::Bool(true)),
                range: None,
                work_done_progress_options: WorkDoneProgressOptions::default(),
            },
        )),
        inlay_hint_provider: Some(OneOf::Left(true)),
        signature_help_provider: Some(lsp_types::SignatureHelpOptions {
            trigger_characters: Some(vec!["(".into(), ",".into()]),
            retrigger_characters: None,
            work_done_progress_options: WorkDoneProgressOptions::default(),
        }),
        code_action_provider: Some(lsp_types::CodeActionProviderCapability::Simple(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec!["=".into(), " ".into(), "[".into(), ",".into()]),
            ..Default::default()
        }),
        ..Default::default()
    };
    let caps = serde_json::to_value(capabilities).map_err(|e| e.to_string())?;
    let init = serde_json::json!({
        "capabilities": caps,
        "serverInfo": ServerInfo { name: "hlc".into(), version: Some(env!("CARGO_PKG_VERSION").into()) },
    });
    let params = initialize(&connection, init)?;
    let root = client_root(&params);
    let mut server = Server::new(connection.sender.clone(), root);
    if let Some(dir) = std::env::var_os("HLC_CRD_SCHEMAS") {
        match hlc_core::CrdSchemas::read_dir(std::path::Path::new(&dir)) {
            Ok(s) => server.crds = Some(Arc::new(s)),
            Err(e) => server.log(&format!("hlc lsp: HLC_CRD_SCHEMAS: {e}; manifests are not checked against CRDs")),
        }
    }
    server.main_loop(&connection.receiver)
}

/// Wait for the `initialize` request and answer it. Requests before it are answered "not
/// initialized", and an `initialize` with params that are not `InitializeParams` is answered
/// "invalid params"; the server waits on for a good one. (The `initialized` notification
/// that follows is not waited for: the main loop ignores it.)
fn initialize(connection: &Connection, result: serde_json::Value) -> Result<InitializeParams, String> {
    loop {
        let msg = connection.receiver.recv().map_err(|_| "the client left before `initialize`".to_string())?;
        let response = match msg {
            Message::Request(req) if req.method == "initialize" => {
                match serde_json::from_value::<InitializeParams>(req.params) {
                    Ok(params) => {
                        let _ = connection.sender.send(Message::Response(Response::new_ok(req.id, result)));
                        return Ok(params);
                    }
                    Err(e) => Response::new_err(
                        req.id,
                        ErrorCode::InvalidParams as i32,
                        format!("`initialize`: invalid params: {e}"),
                    ),
                }
            }
            Message::Request(req) => Response::new_err(
                req.id,
                ErrorCode::ServerNotInitialized as i32,
                format!("`{}` before `initialize`", req.method),
            ),
            Message::Notification(n) if n.method == "exit" => return Err("exit before initialize".into()),
            Message::Notification(_) | Message::Response(_) => continue,
        };
        let _ = connection.sender.send(Message::Response(response));
    }
}

#[allow(deprecated)] // root_uri is what older clients send
fn client_root(params: &InitializeParams) -> Option<PathBuf> {
    params
        .workspace_folders
        .as_ref()
        .and_then(|f| f.first())
        .and_then(|f| convert::uri_to_path(&f.uri))
        .or_else(|| params.root_uri.as_ref().and_then(convert::uri_to_path))
}

/// One compilation's result, from a worker thread.
struct Compiled {
    workspace: PathBuf,
    generation: u64,
    diagnostics: BTreeMap<PathBuf, Vec<LspDiagnostic>>,
}

/// An hl workspace the server has seen: its incremental compiler session and what was
/// published for it.
struct WorkspaceState {
    session: Session,
    /// The texts of its files on disk, by absolute path (open documents override them).
    disk: BTreeMap<PathBuf, Arc<Doc>>,
    /// The bytes of the files on disk that are not UTF-8 text, which `disk` holds decoded
    /// lossily for the editor features: the compiler is given these bytes, so it reports
    /// such a file as `hlc check` does (E0003), never the text of a lossy reading.
    raw: BTreeMap<PathBuf, Vec<u8>>,
    /// The generation of its latest edit; a result of an older one is stale.
    generation: u64,
    /// Per file: the diagnostics last published (files without any are absent).
    published: HashMap<PathBuf, Vec<LspDiagnostic>>,
    /// Files edited since the last publication: their diagnostics are published even when
    /// unchanged, so that the client sees the edit was checked.
    edited: BTreeSet<PathBuf>,
}

pub(crate) struct Server {
    sender: Sender<Message>,
    root: Option<PathBuf>,
    /// Open documents: path → text and line index (overrides the disk).
    pub(crate) open: HashMap<PathBuf, Arc<Doc>>,
    /// Open documents' versions, echoed in published diagnostics.
    versions: HashMap<PathBuf, i32>,
    workspaces: HashMap<PathBuf, WorkspaceState>,
    /// Workspaces edited since their last compilation started.
    dirty: BTreeSet<PathBuf>,
    results_tx: Sender<Compiled>,
    results_rx: Receiver<Compiled>,
    /// Index per workspace, for requests; dropped on every edit in it.
    indexes: HashMap<PathBuf, Index>,
    parse_cache: ParseCache,
    shutdown: bool,
    /// The CRD schemas of `HLC_CRD_SCHEMAS`, read at start: manifests are checked against
    /// them (E0215) as `hlc check --crd-schemas` does.
    crds: Option<Arc<hlc_core::CrdSchemas>>,
}

/// JSON-RPC's code for a request the client cancelled.
const REQUEST_CANCELLED: i32 = -32800;

impl Server {
    fn new(sender: Sender<Message>, root: Option<PathBuf>) -> Self {
        let (results_tx, results_rx) = crossbeam_channel::unbounded();
        Server {
            sender,
            root,
            open: HashMap::new(),
            versions: HashMap::new(),
            workspaces: HashMap::new(),
            dirty: BTreeSet::new(),
            results_tx,
            results_rx,
            indexes: HashMap::new(),
            parse_cache: ParseCache::default(),
            shutdown: false,
            crds: None,
        }
    }

    fn main_loop(&mut self, receiver: &Receiver<Message>) -> Result<(), String> {
        loop {
            // Compile as soon as no message is waiting: edits that arrive together are
            // compiled once, and a compilation still running is cancelled by the next edit.
            let first = if self.dirty.is_empty() {
                select! {
                    recv(receiver) -> msg => match msg {
                        Ok(m) => m,
                        Err(_) => return Ok(()),
                    },
                    recv(self.results_rx) -> r => {
                        if let Ok(r) = r {
                            self.publish(r);
                        }
                        continue;
                    }
                }
            } else {
                match receiver.try_recv() {
                    Ok(m) => m,
                    Err(crossbeam_channel::TryRecvError::Empty) => {
                        self.compile_dirty();
                        continue;
                    }
                    Err(crossbeam_channel::TryRecvError::Disconnected) => return Ok(()),
                }
            };
            // Everything already waiting is handled as one batch, so that a request the
            // client cancelled meanwhile is answered as cancelled, not computed.
            let mut batch = vec![first];
            batch.extend(receiver.try_iter());
            let cancelled: HashSet<lsp_server::RequestId> = batch.iter().filter_map(cancelled_id).collect();
            for msg in batch {
                match msg {
                    Message::Request(req) => {
                        if req.method == "shutdown" {
                            self.shutdown = true;
                            self.reply(Response::new_ok(req.id, serde_json::Value::Null));
                            continue;
                        }
                        if self.shutdown {
                            self.reply(Response::new_err(
                                req.id,
                                ErrorCode::InvalidRequest as i32,
                                "shutting down".into(),
                            ));
                            continue;
                        }
                        if cancelled.contains(&req.id) {
                            self.reply(Response::new_err(req.id, REQUEST_CANCELLED, "cancelled by the client".into()));
                            continue;
                        }
                        self.request(req);
                    }
                    Message::Notification(n) => {
                        if n.method == "exit" {
                            return if self.shutdown { Ok(()) } else { Err("exit without shutdown".into()) };
                        }
                        let method = n.method.clone();
                        // Nor must a bug in handling a notification.
                        let handled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.notification(n)));
                        if handled.is_err() {
                            self.log(&format!("hlc lsp: `{method}` failed"));
                        }
                    }
                    Message::Response(_) => {}
                }
            }
        }
    }

    fn reply(&self, r: Response) {
        let _ = self.sender.send(Message::Response(r));
    }

    fn request(&mut self, req: Request) {
        let id = req.id.clone();
        let method = req.method.clone();
        // A bug in one handler must not take the server down: answer with an error instead.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handlers::handle(self, &req)));
        let response = match result {
            Ok(Ok(value)) => Response::new_ok(id, value),
            Ok(Err((code, message))) => Response::new_err(id, code as i32, message),
            Err(_) => Response::new_err(id, ErrorCode::InternalError as i32, format!("hlc lsp: `{method}` failed")),
        };
        self.reply(response);
    }

    fn notification(&mut self, n: Notification) {
        match n.method.as_str() {
            DidOpenTextDocument::METHOD => {
                if let Ok(p) = serde_json::from_value::<lsp_types::DidOpenTextDocumentParams>(n.params)
                    && let Some(path) = convert::uri_to_path(&p.text_document.uri)
                {
                    self.open.insert(path.clone(), Arc::new(Doc::new(p.text_document.text)));
                    self.versions.insert(path.clone(), p.text_document.version);
                    self.touch(&path, false);
                }
            }
            DidChangeTextDocument::METHOD => {
                if let Ok(p) = serde_json::from_value::<lsp_types::DidChangeTextDocumentParams>(n.params)
                    && let Some(path) = convert::uri_to_path(&p.text_document.uri)
                {
                    // The changes apply in order, each to the text the previous one left; a
                    // document not opened can only start from a change with the whole text.
                    let doc = match self.open.get_mut(&path) {
                        Some(doc) => doc,
                        None if p.content_changes.iter().any(|c| c.range.is_none()) => {
                            self.open.entry(path.clone()).or_insert_with(|| Arc::new(Doc::new(String::new())))
                        }
                        None => return,
                    };
                    // Shared with an index or the parse cache: edited as a copy (so the copy
                    // there still matches its syntax tree).
                    let doc = Arc::make_mut(doc);
                    for change in &p.content_changes {
                        doc.apply(change.range, &change.text);
                    }
                    self.versions.insert(path.clone(), p.text_document.version);
                    self.touch(&path, false);
                }
            }
            DidSaveTextDocument::METHOD => {
                if let Ok(p) = serde_json::from_value::<lsp_types::DidSaveTextDocumentParams>(n.params)
                    && let Some(path) = convert::uri_to_path(&p.text_document.uri)
                {
                    self.touch(&path, true);
                }
            }
            DidCloseTextDocument::METHOD => {
                if let Ok(p) = serde_json::from_value::<lsp_types::DidCloseTextDocumentParams>(n.params)
                    && let Some(path) = convert::uri_to_path(&p.text_document.uri)
                {
                    // The file on disk counts again.
                    self.open.remove(&path);
                    self.versions.remove(&path);
                    self.touch(&path, true);
                }
            }
            DidChangeWatchedFiles::METHOD => {
                if let Ok(p) = serde_json::from_value::<lsp_types::DidChangeWatchedFilesParams>(n.params) {
                    for c in p.changes {
                        if let Some(path) = convert::uri_to_path(&c.uri) {
                            self.touch(&path, true);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// A file changed (in the editor, or on disk when `reread`): tell its workspace's
    /// session, which forgets only what depended on it.
    fn touch(&mut self, path: &Path, reread: bool) {
        let ws = self.workspace_of(path);
        self.load(&ws);
        let Some(state) = self.workspaces.get_mut(&ws) else { return };
        if reread {
            match std::fs::read(path) {
                Ok(bytes) => {
                    let (doc, raw) = disk_file(bytes);
                    state.disk.insert(path.to_path_buf(), doc);
                    match raw {
                        Some(bytes) => state.raw.insert(path.to_path_buf(), bytes),
                        None => state.raw.remove(path),
                    };
                }
                Err(_) => {
                    state.disk.remove(path);
                    state.raw.remove(path);
                }
            }
        }
        if path.extension().is_some_and(|e| e == "hl")
            && let Ok(rel) = path.strip_prefix(&ws)
        {
            let rel = rel.to_string_lossy().replace('\\', "/");
            let bytes = match (self.open.get(path), state.disk.get(path)) {
                (Some(doc), _) => Some(doc.text().as_bytes().to_vec()),
                (None, Some(doc)) => {
                    Some(state.raw.get(path).cloned().unwrap_or_else(|| doc.text().as_bytes().to_vec()))
                }
                (None, None) => None,
            };
            match bytes {
                Some(bytes) => {
                    state.session.set_file(InputText { path: rel, display: path.to_string_lossy().into_owned(), bytes })
                }
                None => state.session.remove_file(&rel),
            }
        }
        state.generation += 1;
        state.edited.insert(path.to_path_buf());
        self.indexes.remove(&ws);
        self.dirty.insert(ws);
    }

    /// Read a workspace's files from disk the first time it is seen.
    fn load(&mut self, ws: &Path) {
        if self.workspaces.contains_key(ws) {
            return;
        }
        let mut disk = BTreeMap::new();
        let mut raw = BTreeMap::new();
        let host = hlc_core::DiskHost::new(ws);
        if let Ok(paths) = hlc_core::Host::files(&host) {
            for rel in paths {
                if let Ok(bytes) = hlc_core::Host::read(&host, &rel) {
                    let (doc, bytes) = disk_file(bytes);
                    disk.insert(ws.join(&rel), doc);
                    if let Some(bytes) = bytes {
                        raw.insert(ws.join(&rel), bytes);
                    }
                }
            }
        }
        let mut session = Session::new(hlc_core::Limits::default());
        let files = disk
            .iter()
            .filter_map(|(path, text)| {
                let rel = path.strip_prefix(ws).ok()?.to_string_lossy().replace('\\', "/");
                let bytes = match self.open.get(path) {
                    Some(doc) => doc.text().as_bytes().to_vec(),
                    None => raw.get(path).cloned().unwrap_or_else(|| text.text().as_bytes().to_vec()),
                };
                Some(InputText { path: rel, display: path.to_string_lossy().into_owned(), bytes })
            })
            .collect();
        session.set_files(files);
        self.workspaces.insert(
            ws.to_path_buf(),
            WorkspaceState { session, disk, raw, generation: 0, published: HashMap::new(), edited: BTreeSet::new() },
        );
    }

    /// The hl workspace a file belongs to (see the crate docs).
    pub(crate) fn workspace_of(&self, path: &Path) -> PathBuf {
        let mut ws = path.parent().map(Path::to_path_buf).unwrap_or_default();
        while let Some(parent) = ws.parent() {
            if self.root.as_deref().is_some_and(|r| !parent.starts_with(r)) || !holds_hl_files(parent) {
                break;
            }
            ws = parent.to_path_buf();
        }
        ws
    }

    /// The workspace's files: those on disk, with open documents' texts over them.
    pub(crate) fn texts(&mut self, ws: &Path) -> Vec<(PathBuf, Arc<Doc>)> {
        self.load(ws);
        let mut files: BTreeMap<PathBuf, Arc<Doc>> =
            self.workspaces.get(ws).map(|s| s.disk.clone()).unwrap_or_default();
        for (path, text) in &self.open {
            if path.starts_with(ws) && path.extension().is_some_and(|e| e == "hl") {
                files.insert(path.clone(), text.clone());
            }
        }
        files.into_iter().filter(|(p, _)| p.extension().is_some_and(|e| e == "hl")).collect()
    }

    pub(crate) fn index(&mut self, ws: &Path) -> &Index {
        if !self.indexes.contains_key(ws) {
            let texts = self.texts(ws);
            let index = Index::build(texts, &mut self.parse_cache);
            self.indexes.insert(ws.to_path_buf(), index);
        }
        &self.indexes[ws]
    }

    /// Start compiling every edited workspace on a worker thread. A later edit cancels it.
    fn compile_dirty(&mut self) {
        let dirty = std::mem::take(&mut self.dirty);
        for ws in dirty {
            let Some(state) = self.workspaces.get(&ws) else { continue };
            let snapshot = state.session.snapshot();
            let generation = state.generation;
            let tx = self.results_tx.clone();
            let crds = self.crds.clone();
            let spawned = std::thread::Builder::new().name("hlc-lsp-compile".into()).spawn(move || {
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    let found = snapshot.diagnostics_checked(crds);
                    // Let the next edit in at once: the conversion needs no database.
                    drop(snapshot);
                    found.map(|(diags, sources)| convert_diagnostics(&diags, &sources))
                }));
                if let Ok(Ok(diagnostics)) = result {
                    let _ = tx.send(Compiled { workspace: ws, generation, diagnostics });
                }
            });
            if spawned.is_err() {
                self.log("hlc lsp: cannot start a compile thread");
            }
        }
    }

    fn publish(&mut self, r: Compiled) {
        let Some(state) = self.workspaces.get_mut(&r.workspace) else { return };
        // Overtaken by a newer edit: its own compilation will publish.
        if state.generation != r.generation {
            return;
        }
        let edited = std::mem::take(&mut state.edited);
        let mut paths: BTreeSet<PathBuf> = r.diagnostics.keys().cloned().collect();
        paths.extend(state.published.keys().cloned());
        paths.extend(edited.iter().cloned());
        let mut sends = Vec::new();
        for path in paths {
            let now = r.diagnostics.get(&path).cloned().unwrap_or_default();
            let before = state.published.get(&path).map(Vec::as_slice).unwrap_or_default();
            if before != now.as_slice() || edited.contains(&path) {
                sends.push((path.clone(), now.clone()));
            }
            if now.is_empty() {
                state.published.remove(&path);
            } else {
                state.published.insert(path, now);
            }
        }
        for (path, diags) in sends {
            self.send_diagnostics(&path, diags);
        }
    }

    fn send_diagnostics(&self, path: &Path, diagnostics: Vec<LspDiagnostic>) {
        let Some(uri) = convert::path_to_uri(path) else { return };
        let version = self.versions.get(path).copied();
        let params = PublishDiagnosticsParams { uri, diagnostics, version };
        if let Ok(params) = serde_json::to_value(params) {
            let _ =
                self.sender.send(Message::Notification(Notification::new(PublishDiagnostics::METHOD.into(), params)));
        }
    }

    fn log(&self, message: &str) {
        let params = serde_json::json!({ "type": 3, "message": message });
        let _ = self.sender.send(Message::Notification(Notification::new("window/logMessage".into(), params)));
    }
}

/// The request a `$/cancelRequest` notification names.
fn cancelled_id(msg: &Message) -> Option<lsp_server::RequestId> {
    let Message::Notification(n) = msg else { return None };
    if n.method != "$/cancelRequest" {
        return None;
    }
    let p: lsp_types::CancelParams = serde_json::from_value(n.params.clone()).ok()?;
    Some(match p.id {
        NumberOrString::Number(i) => lsp_server::RequestId::from(i),
        NumberOrString::String(s) => lsp_server::RequestId::from(s),
    })
}

/// A file read from disk: its text for the editor features (decoded lossily when it is not
/// UTF-8), and its bytes when they are not UTF-8, for the compiler to judge as the CLI does.
fn disk_file(bytes: Vec<u8>) -> (Arc<Doc>, Option<Vec<u8>>) {
    match String::from_utf8(bytes) {
        Ok(text) => (Arc::new(Doc::new(text)), None),
        Err(e) => {
            let bytes = e.into_bytes();
            (Arc::new(Doc::new(String::from_utf8_lossy(&bytes).into_owned())), Some(bytes))
        }
    }
}

fn holds_hl_files(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries.flatten().any(|e| e.path().extension().is_some_and(|x| x == "hl") && e.path().is_file())
    })
}

/// The compiler's diagnostics in the protocol's form, per file (the standard library's left
/// out).
fn convert_diagnostics(
    diagnostics: &[hlc_core::Diagnostic],
    sources: &Sources,
) -> BTreeMap<PathBuf, Vec<LspDiagnostic>> {
    let mut out: BTreeMap<PathBuf, Vec<LspDiagnostic>> = BTreeMap::new();
    // One line index per file, built the first time a diagnostic points into it.
    let mut lines: HashMap<hlc_core::diagnostics::FileId, LineIndex> = HashMap::new();
    let mut range = |file: hlc_core::diagnostics::FileId, text: &str, start: u32, end: u32| {
        lines.entry(file).or_insert_with(|| LineIndex::new(text)).range(text, start as usize, end as usize)
    };
    for d in diagnostics {
        let Some(file) = sources.get(d.primary.span.file) else { continue };
        if file.path.starts_with("<stdlib>") {
            continue;
        }
        let text = &file.text;
        let mut message = d.message.clone();
        if let Some(h) = &d.help {
            message.push_str(&format!("\nhelp: {h}"));
        }
        for n in &d.notes {
            message.push_str(&format!("\nnote: {n}"));
        }
        if !d.primary.message.is_empty() {
            message = format!("{message}\n{}", d.primary.message);
        }
        let related: Vec<DiagnosticRelatedInformation> = d
            .secondary
            .iter()
            .filter_map(|l| {
                let f = sources.get(l.span.file)?;
                if f.path.starts_with("<stdlib>") {
                    return None;
                }
                Some(DiagnosticRelatedInformation {
                    location: Location {
                        uri: convert::path_to_uri(Path::new(&f.path))?,
                        range: range(l.span.file, &f.text, l.span.start, l.span.end),
                    },
                    message: l.message.clone(),
                })
            })
            .collect();
        let info = d.code.info();
        // The compiler's fixes, for code actions (the client sends `data` back with them):
        // only those in this diagnostic's own file.
        let fixes: Vec<features::WireFix> = d
            .fixes
            .iter()
            .filter(|f| f.span.file == d.primary.span.file)
            .map(|f| features::WireFix {
                title: f.title.clone(),
                range: range(f.span.file, text, f.span.start, f.span.end),
                new_text: f.replacement.clone(),
                preferred: f.preferred,
            })
            .collect();
        let mut data = serde_json::json!({ "name": info.name });
        if !fixes.is_empty() {
            data["fixes"] = serde_json::to_value(fixes).unwrap_or_default();
        }
        out.entry(PathBuf::from(&file.path)).or_default().push(LspDiagnostic {
            range: range(d.primary.span.file, text, d.primary.span.start, d.primary.span.end),
            severity: Some(if d.is_error() { DiagnosticSeverity::ERROR } else { DiagnosticSeverity::WARNING }),
            code: Some(NumberOrString::String(info.code.to_string())),
            code_description: None,
            source: Some("hlc".into()),
            message,
            related_information: if related.is_empty() { None } else { Some(related) },
            tags: None,
            data: Some(data),
        });
    }
    out
}

pub(crate) fn uri_path(uri: &Uri) -> Result<PathBuf, (ErrorCode, String)> {
    convert::uri_to_path(uri).ok_or((ErrorCode::InvalidParams, format!("not a local file: {}", uri.as_str())))
}
