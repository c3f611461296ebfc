//! Request handlers. Each takes the request's params and answers from the workspace index.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hl_syntax::ast::*;
use hlc_core::diagnostics::{FileId, Span};
use lsp_server::{ErrorCode, Request};
use lsp_types::request::{
    CodeActionRequest, Completion, DocumentSymbolRequest, Formatting, GotoDefinition, HoverRequest, InlayHintRequest,
    PrepareRenameRequest, References, Rename, Request as _, SemanticTokensFullRequest, SignatureHelpRequest,
    WorkspaceSymbolRequest,
};
use lsp_types::*;
use serde_json::Value;

use crate::analysis::{self, Found, Index, Origin, element_name};
use crate::convert::{Doc, LineIndex};
use crate::features;
use crate::names::{self, Names};
use crate::{Server, convert, uri_path};
use hlc_core::names::Target;

type Answer = Result<Value, (ErrorCode, String)>;

fn params<T: serde::de::DeserializeOwned>(req: &Request) -> Result<T, (ErrorCode, String)> {
    serde_json::from_value(req.params.clone()).map_err(|e| (ErrorCode::InvalidParams, e.to_string()))
}

fn json<T: serde::Serialize>(v: T) -> Answer {
    serde_json::to_value(v).map_err(|e| (ErrorCode::InternalError, e.to_string()))
}

pub fn handle(server: &mut Server, req: &Request) -> Answer {
    match req.method.as_str() {
        HoverRequest::METHOD => {
            let p: HoverParams = params(req)?;
            json(hover(server, &p.text_document_position_params)?)
        }
        GotoDefinition::METHOD => {
            let p: GotoDefinitionParams = params(req)?;
            json(definition(server, &p.text_document_position_params)?)
        }
        References::METHOD => {
            let p: ReferenceParams = params(req)?;
            json(references(server, &p.text_document_position, p.context.include_declaration)?)
        }
        PrepareRenameRequest::METHOD => {
            let p: TextDocumentPositionParams = params(req)?;
            json(prepare_rename(server, &p)?)
        }
        Rename::METHOD => {
            let p: RenameParams = params(req)?;
            json(rename(server, &p)?)
        }
        DocumentSymbolRequest::METHOD => {
            let p: DocumentSymbolParams = params(req)?;
            json(document_symbols(server, &p.text_document.uri)?)
        }
        WorkspaceSymbolRequest::METHOD => {
            let p: WorkspaceSymbolParams = params(req)?;
            json(workspace_symbols(server, &p.query))
        }
        Formatting::METHOD => {
            let p: DocumentFormattingParams = params(req)?;
            json(format(server, &p.text_document.uri)?)
        }
        Completion::METHOD => {
            let p: CompletionParams = params(req)?;
            json(completion(server, &p.text_document_position)?)
        }
        SemanticTokensFullRequest::METHOD => {
            let p: SemanticTokensParams = params(req)?;
            let (index, fi) = file_of(server, &p.text_document.uri)?;
            json(SemanticTokensResult::Tokens(features::semantic_tokens(index, fi)))
        }
        InlayHintRequest::METHOD => {
            let p: InlayHintParams = params(req)?;
            let (index, fi) = file_of(server, &p.text_document.uri)?;
            json(features::inlay_hints(index, fi, p.range))
        }
        SignatureHelpRequest::METHOD => {
            let p: SignatureHelpParams = params(req)?;
            let (index, fi, offset) = at(server, &p.text_document_position_params)?;
            json(features::signature_help(index, fi, offset))
        }
        CodeActionRequest::METHOD => {
            let p: CodeActionParams = params(req)?;
            json(features::code_actions(&p.text_document.uri, &p.context.diagnostics))
        }
        _ => Err((ErrorCode::MethodNotFound, format!("hlc lsp does not handle `{}`", req.method))),
    }
}

/// The workspace index and the file's index in it.
fn file_of<'a>(server: &'a mut Server, uri: &Uri) -> Result<(&'a Index, usize), (ErrorCode, String)> {
    let path = uri_path(uri)?;
    let ws = server.workspace_of(&path);
    let index = server.index(&ws);
    let fi =
        index.file_index(&path).ok_or((ErrorCode::InvalidParams, format!("{} is not an hl file", path.display())))?;
    Ok((index, fi))
}

/// The workspace index, the file's index in it, and the byte offset of the position.
fn at<'a>(
    server: &'a mut Server,
    pos: &TextDocumentPositionParams,
) -> Result<(&'a Index, usize, usize), (ErrorCode, String)> {
    let path = uri_path(&pos.text_document.uri)?;
    let ws = server.workspace_of(&path);
    let index = server.index(&ws);
    let fi =
        index.file_index(&path).ok_or((ErrorCode::InvalidParams, format!("{} is not an hl file", path.display())))?;
    let offset = index.files[fi].text.offset(pos.position);
    Ok((index, fi, offset))
}

fn markdown(value: String, index: &Index, fi: usize, span: Span) -> Hover {
    Hover {
        contents: HoverContents::Markup(MarkupContent { kind: MarkupKind::Markdown, value }),
        range: Some(index.files[fi].text.range(span.start as usize, span.end as usize)),
    }
}

fn variant_markdown(index: &Index, enum_name: &str, variant: &str) -> Option<String> {
    let e = index.enums.get(enum_name)?;
    let v = e.variants.iter().find(|v| v.name == variant)?;
    let head = match &v.payload {
        Some(p) => format!("{variant}({p})"),
        None => variant.to_string(),
    };
    let mut s = format!("```hl\n{enum_name}.{head}\n```");
    if let Some(d) = &v.doc {
        s.push_str(&format!("\n\n{d}"));
    }
    if let Some(d) = &e.doc {
        s.push_str(&format!("\n\n---\n`{enum_name}`: {d}"));
    }
    Some(s)
}

fn name_markdown(index: &Index, name: &str, expected: Option<&str>, field: Option<&str>) -> Option<String> {
    if let Some(e) = expected
        && let Some(s) = variant_markdown(index, e, name)
    {
        return Some(s);
    }
    if (expected == Some("StackRef") || field == Some("depends_on"))
        && let Some((_, _, description)) = index.stacks.get(name)
    {
        let mut s = format!("```hl\nstack {name}\n```");
        if let Some(d) = description {
            s.push_str(&format!("\n\n{d}"));
        }
        return Some(s);
    }
    if let Some(f) = index.fns.get(name) {
        let mut s = format!("```hl\n{}\n```", f.signature);
        if let Some(d) = &f.doc {
            s.push_str(&format!("\n\n{d}"));
        }
        return Some(s);
    }
    if let Some(l) = index.lets.get(name) {
        let ty = l.ty.as_ref().map(|t| format!(": {t}")).unwrap_or_default();
        let value =
            if l.value.len() > 400 { format!("{}…", &l.value[..floor(&l.value, 400)]) } else { l.value.clone() };
        let mut s = format!("```hl\nlet {name}{ty} = {value}\n```");
        if let Some(d) = &l.doc {
            s.push_str(&format!("\n\n{d}"));
        }
        return Some(s);
    }
    // A variant of any enum, when the context's type is unknown.
    let mut owners: Vec<&String> =
        index.enums.iter().filter(|(_, e)| e.variants.iter().any(|v| v.name == name)).map(|(n, _)| n).collect();
    owners.sort();
    owners.first().and_then(|e| variant_markdown(index, e, name))
}

fn floor(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn hover(server: &mut Server, pos: &TextDocumentPositionParams) -> Result<Option<Hover>, (ErrorCode, String)> {
    let (index, fi, offset) = at(server, pos)?;
    let (found, _) = analysis::locate(index, &index.files[fi].ast, offset);
    let Some(found) = found else { return Ok(None) };
    let text = index.files[fi].text.text();
    let (value, span) = match found {
        Found::Member { schema, ident } => {
            let Some(schema) = schema else { return Ok(None) };
            let Some(f) = index.field(&schema, &ident.name) else { return Ok(None) };
            let mut s = analysis::field_markdown(&schema, f);
            if let Some(t) = element_name(&f.ty)
                && let Some(extra) = analysis::type_markdown(index, &t)
            {
                s.push_str(&format!("\n\n---\n{extra}"));
            }
            (s, ident.span)
        }
        Found::DeclName { kw, ident, ty } => {
            let mut s = format!("```hl\n{} {}\n```", kw.name, ident.name);
            if let Some(t) = &ty {
                s.push_str(&format!("\n\na `{t}`"));
                if let Some(extra) = analysis::type_markdown(index, t) {
                    s.push_str(&format!("\n\n---\n{extra}"));
                }
            }
            (s, ident.span)
        }
        Found::ItemName { ident } | Found::TypeName { ident } => {
            let s = analysis::type_markdown(index, &ident.name)
                .or_else(|| name_markdown(index, &ident.name, None, None))
                .unwrap_or_default();
            (s, ident.span)
        }
        Found::Name { ident, expected, field } => {
            match name_markdown(index, &ident.name, expected.as_deref(), field.as_deref()) {
                Some(s) => (s, ident.span),
                None => return Ok(None),
            }
        }
        Found::Literal { expr, expected } => {
            let literal = text.get(expr.span.start as usize..expr.span.end as usize).unwrap_or_default();
            let ty = expected.map(|t| format!(": {t}")).unwrap_or_default();
            let mut s = format!("```hl\n{literal}{ty}\n```");
            if let ExprKind::Quantity { number, unit } = &expr.kind {
                s.push_str(&format!("\n\n{number} {}", unit_words(unit)));
            }
            (s, expr.span)
        }
        Found::Import { path } => (format!("imports `{path}` (relative to this file)"), Span::default()),
    };
    if value.is_empty() {
        return Ok(None);
    }
    let mut h = markdown(value, index, fi, span);
    if span == Span::default() {
        h.range = None;
    }
    Ok(Some(h))
}

fn unit_words(unit: &str) -> &'static str {
    match unit {
        "m" => "milli-CPU (thousandths of a core) or minutes, by where it lands",
        "Ki" => "kibibytes",
        "Mi" => "mebibytes",
        "Gi" => "gibibytes",
        "Ti" => "tebibytes",
        "s" => "seconds",
        "h" => "hours",
        "d" => "days",
        _ => "",
    }
}

fn location(
    server_root_std: Option<&Path>,
    index: &Index,
    origin: &Origin,
    start: usize,
    end: usize,
) -> Option<Location> {
    match origin {
        Origin::File(i) => {
            let f = index.files.get(*i)?;
            Some(Location { uri: convert::path_to_uri(&f.path)?, range: f.text.range(start, end) })
        }
        Origin::Std(logical) => {
            // The standard library is embedded; point into its source when the client's tree
            // has it (this repository's `stdlib/`).
            let file = server_root_std?.join(logical.trim_start_matches("std/"));
            let text = std::fs::read_to_string(&file).ok()?;
            let (_, embedded) = hlc_core::STDLIB.iter().find(|(p, _)| p == logical)?;
            if text != *embedded {
                return None;
            }
            Some(Location { uri: convert::path_to_uri(&file)?, range: LineIndex::new(&text).range(&text, start, end) })
        }
    }
}

fn stdlib_dir(ws: &Path) -> Option<PathBuf> {
    ws.ancestors().map(|a| a.join("stdlib")).find(|d| d.join("k8s.hl").is_file())
}

fn definition(
    server: &mut Server,
    pos: &TextDocumentPositionParams,
) -> Result<Option<GotoDefinitionResponse>, (ErrorCode, String)> {
    let path = uri_path(&pos.text_document.uri)?;
    let ws = server.workspace_of(&path);
    let std_dir = stdlib_dir(&ws);
    let (index, fi, offset) = at(server, pos)?;
    // A name: where the compiler resolves it (a parameter, not a global of the same name).
    let names = Names::of(index, &ws);
    if let Some((place, span)) = names.at(fi, offset).and_then(|(_, t)| names.definition(&t)) {
        let origin = match place {
            Ok(f) => Origin::File(f),
            Err(std) => Origin::Std(std),
        };
        let found = location(std_dir.as_deref(), index, &origin, span.start as usize, span.end as usize);
        return Ok(found.map(GotoDefinitionResponse::Scalar));
    }
    let (found, _) = analysis::locate(index, &index.files[fi].ast, offset);
    let target = match found {
        Some(Found::Name { ident, expected, field }) => {
            let name = ident.name.as_str();
            let stack = (expected.as_deref() == Some("StackRef") || field.as_deref() == Some("depends_on"))
                .then(|| index.stacks.get(name))
                .flatten();
            if let Some((sfi, span, _)) = stack {
                location(None, index, &Origin::File(*sfi), span.start as usize, span.end as usize)
            } else if let Some(d) = index.fns.get(name).map(|f| &f.def).or_else(|| index.lets.get(name).map(|l| &l.def))
            {
                location(std_dir.as_deref(), index, &d.origin, d.start, d.end)
            } else if let Some(e) = expected.as_deref().and_then(|e| index.enums.get(e)) {
                location(std_dir.as_deref(), index, &e.def.origin, e.def.start, e.def.end)
            } else {
                None
            }
        }
        Some(Found::TypeName { ident }) => {
            let def =
                index.schemas.get(&ident.name).map(|s| &s.def).or_else(|| index.enums.get(&ident.name).map(|e| &e.def));
            def.and_then(|d| location(std_dir.as_deref(), index, &d.origin, d.start, d.end))
        }
        Some(Found::Member { schema: Some(schema), .. }) => index
            .schemas
            .get(&schema)
            .and_then(|s| location(std_dir.as_deref(), index, &s.def.origin, s.def.start, s.def.end)),
        Some(Found::Import { path: rel }) => {
            let target = index.files[fi].path.parent().map(|d| d.join(rel));
            target.and_then(|t| Some(Location { uri: convert::path_to_uri(&t)?, range: Range::default() }))
        }
        _ => None,
    };
    Ok(target.map(GotoDefinitionResponse::Scalar))
}

/// A position's workspace: its index and root, the file's index in it, the byte offset, and
/// what every name of the workspace refers to.
type Resolution<'a> = (&'a Index, PathBuf, usize, usize, &'a Names);

fn resolved<'a>(
    server: &'a mut Server,
    pos: &TextDocumentPositionParams,
) -> Result<Resolution<'a>, (ErrorCode, String)> {
    let path = uri_path(&pos.text_document.uri)?;
    let ws = server.workspace_of(&path);
    let (index, fi, offset) = at(server, pos)?;
    let names = Names::of(index, &ws);
    Ok((index, ws, fi, offset, names))
}

fn ident_text(index: &Index, fi: usize, span: Span) -> &str {
    index.files[fi].text.text().get(span.start as usize..span.end as usize).unwrap_or_default()
}

fn references(
    server: &mut Server,
    pos: &TextDocumentPositionParams,
    declarations: bool,
) -> Result<Option<Vec<Location>>, (ErrorCode, String)> {
    let (index, _, fi, offset, names) = resolved(server, pos)?;
    let Some((_, target)) = names.at(fi, offset) else { return Ok(None) };
    if matches!(target, Target::Unresolved) {
        return Ok(None);
    }
    let locs = names
        .occurrences(&target, declarations)
        .into_iter()
        .filter_map(|(f, span)| location(None, index, &Origin::File(f), span.start as usize, span.end as usize))
        .collect();
    Ok(Some(locs))
}

fn prepare_rename(
    server: &mut Server,
    pos: &TextDocumentPositionParams,
) -> Result<Option<PrepareRenameResponse>, (ErrorCode, String)> {
    let (index, _, fi, offset, names) = resolved(server, pos)?;
    let Some((span, target)) = names.at(fi, offset) else { return Ok(None) };
    names::renameable(names, &target, ident_text(index, fi, span)).map_err(|e| (ErrorCode::InvalidRequest, e))?;
    Ok(Some(PrepareRenameResponse::Range(index.files[fi].text.range(span.start as usize, span.end as usize))))
}

fn valid_name(name: &str) -> bool {
    let keywords = [
        "import", "as", "let", "schema", "enum", "fn", "if", "then", "else", "true", "false", "null", "and", "or",
        "not",
    ];
    let parsed = hl_syntax::parse(FileId(0), &format!("let {name} = 1\n"));
    parsed.errors.is_empty()
        && !keywords.contains(&name)
        && matches!(parsed.file.items.as_slice(), [Item::Let(l)] if l.name.name == name)
}

/// Rename what the name at the position refers to: its definition and exactly the uses the
/// compiler resolves to it, in every file. Refused (an error response) for the standard
/// library's names, built-ins, variants and `cluster`, for a new name that is not a valid
/// name, and for one that would change what any name of the workspace refers to.
fn rename(server: &mut Server, p: &RenameParams) -> Result<Option<WorkspaceEdit>, (ErrorCode, String)> {
    let new = p.new_name.trim();
    let (index, ws, fi, offset, names) = resolved(server, &p.text_document_position)?;
    let Some((span, target)) = names.at(fi, offset) else {
        return Err((ErrorCode::InvalidRequest, "nothing to rename here".into()));
    };
    let old = ident_text(index, fi, span).to_string();
    names::renameable(names, &target, &old).map_err(|e| (ErrorCode::InvalidRequest, e))?;
    if !valid_name(new) {
        return Err((ErrorCode::InvalidParams, format!("`{new}` is not a valid hl name")));
    }
    if matches!(target, Target::Stack(_)) && hlc_core::types::dns_label(new).is_err() {
        return Err((ErrorCode::InvalidParams, format!("`{new}` is not a valid stack name (a lowercase DNS label)")));
    }
    if new == old {
        return Ok(Some(WorkspaceEdit::default()));
    }
    let plan = names::plan(index, &ws, names, &target, &old, new).map_err(|e| (ErrorCode::InvalidParams, e))?;
    #[allow(clippy::mutable_key_type)] // lsp-types' Uri caches its parse; keys are never mutated
    let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
    for (f, spans) in plan.edits {
        let file = &index.files[f];
        let Some(uri) = convert::path_to_uri(&file.path) else { continue };
        let edits = changes.entry(uri).or_default();
        for span in spans {
            edits.push(TextEdit {
                range: file.text.range(span.start as usize, span.end as usize),
                new_text: new.to_string(),
            });
        }
    }
    Ok(Some(WorkspaceEdit { changes: Some(changes), ..Default::default() }))
}

#[allow(deprecated)] // DocumentSymbol::deprecated is a required field
fn symbol(
    name: String,
    detail: Option<String>,
    kind: SymbolKind,
    text: &Doc,
    span: Span,
    sel: Span,
    children: Vec<DocumentSymbol>,
) -> DocumentSymbol {
    DocumentSymbol {
        name,
        detail,
        kind,
        tags: None,
        deprecated: None,
        range: text.range(span.start as usize, span.end as usize),
        selection_range: text.range(sel.start as usize, sel.end as usize),
        children: if children.is_empty() { None } else { Some(children) },
    }
}

fn decl_symbols(d: &Decl, text: &Doc) -> DocumentSymbol {
    let name = d.name.as_ref().map(|n| format!("{} {}", d.kw.name, n.name)).unwrap_or_else(|| d.kw.name.clone());
    let sel = d.name.as_ref().map(|n| n.span).unwrap_or(d.kw.span);
    let kind = match d.kw.name.as_str() {
        "stack" => SymbolKind::MODULE,
        "service" => SymbolKind::CLASS,
        "namespace" => SymbolKind::NAMESPACE,
        "ingress" | "port" => SymbolKind::INTERFACE,
        "volume" => SymbolKind::FILE,
        "secret" => SymbolKind::KEY,
        _ => SymbolKind::OBJECT,
    };
    let children = match &d.body {
        DeclBody::Block(b) => b
            .entries
            .iter()
            .filter_map(|e| match e {
                Entry::Decl(c) if c.name.is_some() => Some(decl_symbols(c, text)),
                _ => None,
            })
            .collect(),
        DeclBody::Expr(_) => Vec::new(),
    };
    symbol(name, None, kind, text, d.span, sel, children)
}

fn document_symbols(server: &mut Server, uri: &Uri) -> Result<Option<DocumentSymbolResponse>, (ErrorCode, String)> {
    let path = uri_path(uri)?;
    let ws = server.workspace_of(&path);
    let index = server.index(&ws);
    let Some(fi) = index.file_index(&path) else { return Ok(None) };
    let f = &index.files[fi];
    let text = &f.text;
    let mut out = Vec::new();
    for item in &f.ast.items {
        let s = match item {
            Item::Decl(d) => decl_symbols(d, text),
            Item::Let(l) => {
                symbol(l.name.name.clone(), Some("let".into()), SymbolKind::CONSTANT, text, l.span, l.name.span, vec![])
            }
            Item::Fn(x) => {
                symbol(x.name.name.clone(), Some("fn".into()), SymbolKind::FUNCTION, text, x.span, x.name.span, vec![])
            }
            Item::Schema(x) => symbol(
                x.name.name.clone(),
                Some("schema".into()),
                SymbolKind::STRUCT,
                text,
                x.span,
                x.name.span,
                vec![],
            ),
            Item::Enum(x) => {
                symbol(x.name.name.clone(), Some("enum".into()), SymbolKind::ENUM, text, x.span, x.name.span, vec![])
            }
            _ => continue,
        };
        out.push(s);
    }
    Ok(Some(DocumentSymbolResponse::Nested(out)))
}

#[allow(deprecated)] // SymbolInformation::deprecated is a required field
fn workspace_symbols(server: &mut Server, query: &str) -> Vec<SymbolInformation> {
    let q = query.to_lowercase();
    let mut roots: Vec<PathBuf> = server.open.keys().map(|p| server.workspace_of(p)).collect();
    roots.sort();
    roots.dedup();
    let mut out = Vec::new();
    for ws in roots {
        let index = server.index(&ws);
        for f in &index.files {
            let Some(uri) = convert::path_to_uri(&f.path) else { continue };
            let mut push = |name: String, kind: SymbolKind, span: Span, container: Option<String>| {
                if name.to_lowercase().contains(&q) {
                    out.push(SymbolInformation {
                        name,
                        kind,
                        tags: None,
                        deprecated: None,
                        location: Location {
                            uri: uri.clone(),
                            range: f.text.range(span.start as usize, span.end as usize),
                        },
                        container_name: container,
                    });
                }
            };
            for item in &f.ast.items {
                match item {
                    Item::Decl(d) => {
                        let Some(n) = &d.name else { continue };
                        push(n.name.clone(), SymbolKind::MODULE, n.span, None);
                        if let DeclBody::Block(b) = &d.body {
                            for e in &b.entries {
                                if let Entry::Decl(c) = e
                                    && let Some(cn) = &c.name
                                {
                                    push(
                                        cn.name.clone(),
                                        SymbolKind::OBJECT,
                                        cn.span,
                                        Some(format!("{} {}", d.kw.name, n.name)),
                                    );
                                }
                            }
                        }
                    }
                    Item::Let(l) => push(l.name.name.clone(), SymbolKind::CONSTANT, l.name.span, None),
                    Item::Fn(x) => push(x.name.name.clone(), SymbolKind::FUNCTION, x.name.span, None),
                    Item::Schema(x) => push(x.name.name.clone(), SymbolKind::STRUCT, x.name.span, None),
                    Item::Enum(x) => push(x.name.name.clone(), SymbolKind::ENUM, x.name.span, None),
                    _ => {}
                }
            }
        }
    }
    out
}

fn format(server: &mut Server, uri: &Uri) -> Result<Option<Vec<TextEdit>>, (ErrorCode, String)> {
    let path = uri_path(uri)?;
    let doc = match server.open.get(&path) {
        Some(doc) => doc.clone(),
        None => {
            Arc::new(Doc::new(std::fs::read_to_string(&path).map_err(|e| (ErrorCode::InternalError, e.to_string()))?))
        }
    };
    let text = doc.text();
    match hlc_core::format_source(FileId(0), text) {
        Ok(formatted) if formatted == text => Ok(Some(Vec::new())),
        Ok(formatted) => Ok(Some(vec![TextEdit { range: doc.range(0, text.len()), new_text: formatted }])),
        // A file with syntax errors is not formatted; its diagnostics say why.
        Err(_) => Ok(None),
    }
}

fn completion(
    server: &mut Server,
    pos: &TextDocumentPositionParams,
) -> Result<Option<CompletionResponse>, (ErrorCode, String)> {
    let (index, fi, offset) = at(server, pos)?;
    let text = index.files[fi].text.text();
    let line_start = text[..offset].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let before = &text[line_start..offset];
    let (found, block) = analysis::locate(index, &index.files[fi].ast, offset);
    let schema = block.as_ref().and_then(|b| b.schema.clone());
    let mut items = Vec::new();

    // `field = <cursor>`: the values of the field's type.
    let value_of = before.rsplit_once('=').and_then(|(lhs, rhs)| {
        // A string being typed (`tier = "a`) counts too: the cluster's names are strings.
        let rhs = rhs.trim().strip_prefix('"').unwrap_or(rhs.trim());
        let rhs_ok = rhs.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-');
        // The name just before `=` (after a comment, a `{` or `,` too, not only a space).
        let lhs = lhs.trim_end();
        let field = &lhs[lhs.trim_end_matches(|c: char| c.is_alphanumeric() || c == '_' || c == '-').len()..];
        (rhs_ok && !field.is_empty()).then_some(field.to_string())
    });
    let in_depends_on = before.contains("depends_on") && before.contains('[') && !before.contains(']');
    let expected = match &found {
        Some(Found::Name { expected, .. }) | Some(Found::Literal { expected, .. }) => expected.clone(),
        _ => None,
    }
    .or_else(|| value_of.as_deref().and_then(|f| index.member_type(schema.as_deref(), f)));

    // A namespace's tier and a claim's class: the names the workspace's cluster declares.
    let cluster_fact = match value_of.as_deref() {
        Some("tier") if schema.as_deref() == Some("Namespace") => Some("tiers"),
        Some("class") if schema.as_deref() != Some("IngressPolicy") => Some("storage_classes"),
        _ => None,
    };
    let quote_typed = before.rsplit_once('=').is_some_and(|(_, rhs)| rhs.trim_start().starts_with('"'));
    if let Some(fact) = cluster_fact.filter(|f| index.cluster_names.contains_key(*f)) {
        for name in index.cluster_names.get(fact).into_iter().flatten() {
            items.push(CompletionItem {
                label: name.clone(),
                kind: Some(CompletionItemKind::ENUM_MEMBER),
                detail: Some(format!("cluster.{fact}")),
                insert_text: Some(if quote_typed { name.clone() } else { format!("\"{name}\"") }),
                ..Default::default()
            });
        }
    } else if in_depends_on || expected.as_deref() == Some("StackRef") {
        for (name, (_, _, description)) in &index.stacks {
            items.push(CompletionItem {
                label: name.clone(),
                kind: Some(CompletionItemKind::MODULE),
                detail: description.clone(),
                ..Default::default()
            });
        }
    } else if let Some(e) = expected.as_deref().and_then(|e| index.enums.get(e).map(|x| (e, x))) {
        let (ename, info) = e;
        for v in &info.variants {
            let (insert, fmt) = match &v.payload {
                Some(_) => (format!("{}(\"$1\")", v.name), InsertTextFormat::SNIPPET),
                None => (v.name.clone(), InsertTextFormat::PLAIN_TEXT),
            };
            items.push(CompletionItem {
                label: v.name.clone(),
                kind: Some(CompletionItemKind::ENUM_MEMBER),
                detail: Some(format!("{ename}{}", v.payload.as_ref().map(|p| format!("({p})")).unwrap_or_default())),
                documentation: v
                    .doc
                    .clone()
                    .map(|d| Documentation::MarkupContent(MarkupContent { kind: MarkupKind::Markdown, value: d })),
                insert_text: Some(insert),
                insert_text_format: Some(fmt),
                ..Default::default()
            });
        }
    } else if value_of.is_none() && before.trim().chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-') {
        // At the start of an entry: the fields of the block's schema not written yet.
        if let (Some(s), Some(b)) = (schema.as_deref().and_then(|s| index.schemas.get(s).map(|x| (s, x))), &block) {
            let (sname, info) = s;
            for f in
                info.fields.iter().filter(|f| !b.present.contains(&f.name) || matches!(f.ty.kind, TypeKind::Map(..)))
            {
                items.push(CompletionItem {
                    label: f.name.clone(),
                    kind: Some(CompletionItemKind::FIELD),
                    detail: Some(format!("{sname}.{}", f.name)),
                    documentation: Some(Documentation::MarkupContent(MarkupContent {
                        kind: MarkupKind::Markdown,
                        value: analysis::field_markdown(sname, f),
                    })),
                    sort_text: Some(format!("{}{}", if f.optional { 1 } else { 0 }, f.name)),
                    ..Default::default()
                });
            }
        }
    }
    if items.is_empty() && value_of.is_some() {
        // Any expression: the names in scope.
        for (name, f) in &index.fns {
            items.push(CompletionItem {
                label: name.clone(),
                kind: Some(CompletionItemKind::FUNCTION),
                detail: Some(f.signature.clone()),
                ..Default::default()
            });
        }
        for (name, l) in &index.lets {
            items.push(CompletionItem {
                label: name.clone(),
                kind: Some(CompletionItemKind::CONSTANT),
                detail: l.ty.clone(),
                ..Default::default()
            });
        }
    }
    items.sort_by(|a, b| a.sort_text.as_ref().unwrap_or(&a.label).cmp(b.sort_text.as_ref().unwrap_or(&b.label)));
    Ok(Some(CompletionResponse::Array(items)))
}
