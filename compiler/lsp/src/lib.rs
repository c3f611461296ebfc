//! `hlc lsp`: the hl language server, over stdio (lsp-server + lsp-types).
//!
//! The main loop owns the state: the texts of open documents (which override the files on
//! disk) and, per hl workspace, the last diagnostics published. Edits mark their workspace
//! dirty; after a short quiet period the whole workspace is compiled on a worker thread with
//! the same library call as `hlc check`, so the diagnostics are the same, in every file the
//! edit affects (cross-file: renaming a stack updates its dependants). A result that a newer
//! edit has overtaken is dropped, not published. Requests (hover, definition, completion, ...)
//! are answered on the main loop from a syntactic index of the workspace; a panic in one is
//! caught and answered with an error, and the server goes on.
//!
//! An hl workspace is the directory tree a file belongs to: starting at the file's directory,
//! the highest ancestor reached through directories that themselves hold `.hl` files (for
//! `stacks/apps/web.hl` that is `stacks/`), never above the client's root folder.

#![forbid(unsafe_code)]

mod analysis;
mod convert;
mod features;
mod handlers;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

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

use crate::analysis::Index;

/// How long the server waits after the last edit before compiling.
const DEBOUNCE: Duration = Duration::from_millis(60);

/// Run the server on standard input and output until the client says `exit`.
pub fn run_stdio() -> Result<(), String> {
    let (connection, io_threads) = Connection::stdio();
    run(connection)?;
    io_threads.join().map_err(|e| e.to_string())
}

/// Run the server on a connection (stdio, or an in-memory pair in tests).
pub fn run(connection: Connection) -> Result<(), String> {
    let capabilities = ServerCapabilities {
        position_encoding: Some(PositionEncodingKind::UTF16),
        text_document_sync: Some(TextDocumentSyncCapability::Options(TextDocumentSyncOptions {
            open_close: Some(true),
            change: Some(TextDocumentSyncKind::FULL),
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
    let (id, params) = connection.initialize_start().map_err(|e| e.to_string())?;
    let params: InitializeParams = serde_json::from_value(params).map_err(|e| e.to_string())?;
    connection.initialize_finish(id, init).map_err(|e| e.to_string())?;
    let root = client_root(&params);
    let mut server = Server::new(connection.sender.clone(), root);
    server.main_loop(&connection.receiver)
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

/// One compilation's result, from the worker thread.
struct Compiled {
    workspace: PathBuf,
    generation: u64,
    diagnostics: BTreeMap<PathBuf, Vec<LspDiagnostic>>,
}

pub(crate) struct Server {
    sender: Sender<Message>,
    root: Option<PathBuf>,
    /// Open documents: path → text (overrides the disk).
    pub(crate) open: HashMap<PathBuf, String>,
    /// Workspaces waiting to be compiled, and when the last edit came.
    dirty: BTreeSet<PathBuf>,
    last_edit: Option<Instant>,
    /// Per workspace: the generation of its latest edit.
    generation: HashMap<PathBuf, u64>,
    /// Files with diagnostics currently shown, per workspace.
    shown: HashMap<PathBuf, BTreeSet<PathBuf>>,
    results_tx: Sender<Compiled>,
    results_rx: Receiver<Compiled>,
    /// Index per workspace, for requests; dropped on every edit in it.
    indexes: HashMap<PathBuf, Index>,
    shutdown: bool,
}

impl Server {
    fn new(sender: Sender<Message>, root: Option<PathBuf>) -> Self {
        let (results_tx, results_rx) = crossbeam_channel::unbounded();
        Server {
            sender,
            root,
            open: HashMap::new(),
            dirty: BTreeSet::new(),
            last_edit: None,
            generation: HashMap::new(),
            shown: HashMap::new(),
            results_tx,
            results_rx,
            indexes: HashMap::new(),
            shutdown: false,
        }
    }

    fn main_loop(&mut self, receiver: &Receiver<Message>) -> Result<(), String> {
        loop {
            let timeout = match self.last_edit {
                Some(t) if !self.dirty.is_empty() => DEBOUNCE.saturating_sub(t.elapsed()),
                _ => Duration::from_secs(3600),
            };
            select! {
                recv(receiver) -> msg => {
                    let Ok(msg) = msg else { return Ok(()) };
                    match msg {
                        Message::Request(req) => {
                            if req.method == "shutdown" {
                                self.shutdown = true;
                                self.reply(Response::new_ok(req.id, serde_json::Value::Null));
                                continue;
                            }
                            if self.shutdown {
                                self.reply(Response::new_err(req.id, ErrorCode::InvalidRequest as i32, "shutting down".into()));
                                continue;
                            }
                            self.request(req);
                        }
                        Message::Notification(n) => {
                            if n.method == "exit" {
                                return if self.shutdown { Ok(()) } else { Err("exit without shutdown".into()) };
                            }
                            self.notification(n);
                        }
                        Message::Response(_) => {}
                    }
                }
                recv(self.results_rx) -> r => {
                    if let Ok(r) = r {
                        self.publish(r);
                    }
                }
                default(timeout) => self.compile_dirty(),
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
                    self.open.insert(path.clone(), p.text_document.text);
                    self.touch(&path);
                }
            }
            DidChangeTextDocument::METHOD => {
                if let Ok(p) = serde_json::from_value::<lsp_types::DidChangeTextDocumentParams>(n.params)
                    && let Some(path) = convert::uri_to_path(&p.text_document.uri)
                    && let Some(change) = p.content_changes.into_iter().last()
                {
                    self.open.insert(path.clone(), change.text);
                    self.touch(&path);
                }
            }
            DidSaveTextDocument::METHOD => {
                if let Ok(p) = serde_json::from_value::<lsp_types::DidSaveTextDocumentParams>(n.params)
                    && let Some(path) = convert::uri_to_path(&p.text_document.uri)
                {
                    self.touch(&path);
                }
            }
            DidCloseTextDocument::METHOD => {
                if let Ok(p) = serde_json::from_value::<lsp_types::DidCloseTextDocumentParams>(n.params)
                    && let Some(path) = convert::uri_to_path(&p.text_document.uri)
                {
                    // The file on disk counts again.
                    self.open.remove(&path);
                    self.touch(&path);
                }
            }
            DidChangeWatchedFiles::METHOD => {
                if let Ok(p) = serde_json::from_value::<lsp_types::DidChangeWatchedFilesParams>(n.params) {
                    for c in p.changes {
                        if let Some(path) = convert::uri_to_path(&c.uri) {
                            self.touch(&path);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// A file changed: its workspace needs compiling again.
    fn touch(&mut self, path: &Path) {
        let ws = self.workspace_of(path);
        *self.generation.entry(ws.clone()).or_default() += 1;
        self.indexes.remove(&ws);
        self.dirty.insert(ws);
        self.last_edit = Some(Instant::now());
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
    pub(crate) fn texts(&self, ws: &Path) -> Vec<(PathBuf, String)> {
        let mut files: BTreeMap<PathBuf, String> = BTreeMap::new();
        let disk = hlc_core::DiskHost::new(ws);
        if let Ok(paths) = hlc_core::Host::files(&disk) {
            for rel in paths {
                if let Ok(bytes) = hlc_core::Host::read(&disk, &rel) {
                    files.insert(ws.join(&rel), String::from_utf8_lossy(&bytes).into_owned());
                }
            }
        }
        for (path, text) in &self.open {
            if path.starts_with(ws) && path.extension().is_some_and(|e| e == "hl") {
                files.insert(path.clone(), text.clone());
            }
        }
        files.into_iter().collect()
    }

    pub(crate) fn index(&mut self, ws: &Path) -> &Index {
        if !self.indexes.contains_key(ws) {
            let index = Index::build(self.texts(ws));
            self.indexes.insert(ws.to_path_buf(), index);
        }
        &self.indexes[ws]
    }

    fn compile_dirty(&mut self) {
        let dirty = std::mem::take(&mut self.dirty);
        for ws in dirty {
            let files = self.texts(&ws);
            let generation = self.generation.get(&ws).copied().unwrap_or_default();
            let tx = self.results_tx.clone();
            let spawned = std::thread::Builder::new().name("hlc-lsp-compile".into()).spawn(move || {
                let result = std::panic::catch_unwind(|| compile(&ws, files));
                if let Ok(diagnostics) = result {
                    let _ = tx.send(Compiled { workspace: ws, generation, diagnostics });
                }
            });
            if spawned.is_err() {
                self.log("hlc lsp: cannot start a compile thread");
            }
        }
    }

    fn publish(&mut self, r: Compiled) {
        // Overtaken by a newer edit: its own compilation will publish.
        if self.generation.get(&r.workspace).copied().unwrap_or_default() != r.generation {
            return;
        }
        let previous = self.shown.remove(&r.workspace).unwrap_or_default();
        let mut now = BTreeSet::new();
        for (path, diags) in &r.diagnostics {
            now.insert(path.clone());
            self.send_diagnostics(path, diags.clone());
        }
        for path in previous.difference(&now) {
            self.send_diagnostics(path, Vec::new());
        }
        self.shown.insert(r.workspace, now);
    }

    fn send_diagnostics(&self, path: &Path, diagnostics: Vec<LspDiagnostic>) {
        let Some(uri) = convert::path_to_uri(path) else { return };
        let params = PublishDiagnosticsParams { uri, diagnostics, version: None };
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

fn holds_hl_files(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries.flatten().any(|e| e.path().extension().is_some_and(|x| x == "hl") && e.path().is_file())
    })
}

/// The files of a workspace as the compiler sees them, named by absolute path.
struct Overlay<'a> {
    root: &'a Path,
    files: Vec<(String, Vec<u8>)>,
}

impl hlc_core::Host for Overlay<'_> {
    fn files(&self) -> std::io::Result<Vec<String>> {
        Ok(self.files.iter().map(|(p, _)| p.clone()).collect())
    }

    fn read(&self, path: &str) -> std::io::Result<Vec<u8>> {
        self.files
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, b)| b.clone())
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, path.to_string()))
    }

    fn display(&self, path: &str) -> String {
        self.root.join(path).to_string_lossy().into_owned()
    }
}

/// Compile a workspace and turn its diagnostics into the protocol's, per file.
fn compile(ws: &Path, files: Vec<(PathBuf, String)>) -> BTreeMap<PathBuf, Vec<LspDiagnostic>> {
    let overlay = Overlay {
        root: ws,
        files: files
            .into_iter()
            .filter_map(|(p, t)| {
                let rel = p.strip_prefix(ws).ok()?.to_string_lossy().replace('\\', "/");
                Some((rel, t.into_bytes()))
            })
            .collect(),
    };
    let mut out: BTreeMap<PathBuf, Vec<LspDiagnostic>> = BTreeMap::new();
    let Ok(c) = hlc_core::compile_host(&overlay) else { return out };
    for d in &c.diagnostics {
        let Some(file) = c.sources.get(d.primary.span.file) else { continue };
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
                let f = c.sources.get(l.span.file)?;
                if f.path.starts_with("<stdlib>") {
                    return None;
                }
                Some(DiagnosticRelatedInformation {
                    location: Location {
                        uri: convert::path_to_uri(Path::new(&f.path))?,
                        range: convert::range(&f.text, l.span.start as usize, l.span.end as usize),
                    },
                    message: l.message.clone(),
                })
            })
            .collect();
        let info = d.code.info();
        out.entry(PathBuf::from(&file.path)).or_default().push(LspDiagnostic {
            range: convert::range(text, d.primary.span.start as usize, d.primary.span.end as usize),
            severity: Some(if d.is_error() { DiagnosticSeverity::ERROR } else { DiagnosticSeverity::WARNING }),
            code: Some(NumberOrString::String(info.code.to_string())),
            code_description: None,
            source: Some("hlc".into()),
            message,
            related_information: if related.is_empty() { None } else { Some(related) },
            tags: None,
            data: Some(serde_json::json!({ "name": info.name })),
        });
    }
    out
}

pub(crate) fn uri_path(uri: &Uri) -> Result<PathBuf, (ErrorCode, String)> {
    convert::uri_to_path(uri).ok_or((ErrorCode::InvalidParams, format!("not a local file: {}", uri.as_str())))
}
