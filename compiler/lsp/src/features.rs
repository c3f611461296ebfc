//! Semantic tokens, inlay hints, signature help and code actions.

use std::collections::HashMap;

use hl_syntax::ast::*;
use hlc_core::diagnostics::Span;
use lsp_types::*;

use crate::analysis::{Index, element_name};
use crate::convert::{self, Doc};

/// The token types, in the order of the legend sent at initialisation.
pub const TOKEN_TYPES: &[SemanticTokenType] = &[
    SemanticTokenType::KEYWORD,
    SemanticTokenType::TYPE,
    SemanticTokenType::ENUM_MEMBER,
    SemanticTokenType::FUNCTION,
    SemanticTokenType::VARIABLE,
    SemanticTokenType::PROPERTY,
    SemanticTokenType::STRING,
    SemanticTokenType::NUMBER,
    SemanticTokenType::COMMENT,
    SemanticTokenType::NAMESPACE,
];

const KEYWORD: u32 = 0;
const TYPE: u32 = 1;
const ENUM_MEMBER: u32 = 2;
const FUNCTION: u32 = 3;
const VARIABLE: u32 = 4;
const PROPERTY: u32 = 5;
const STRING: u32 = 6;
const NUMBER: u32 = 7;
const COMMENT: u32 = 8;
const NAMESPACE: u32 = 9;

pub fn legend() -> SemanticTokensLegend {
    SemanticTokensLegend { token_types: TOKEN_TYPES.to_vec(), token_modifiers: Vec::new() }
}

struct Tokens<'a> {
    index: &'a Index,
    text: &'a str,
    raw: Vec<(usize, usize, u32)>,
}

impl Tokens<'_> {
    /// A token over bytes `start..end`, both moved back to a character boundary: a span
    /// computed from a keyword's length (or a malformed file) must not cut a character.
    fn push(&mut self, start: usize, end: usize, ty: u32) {
        let (start, end) =
            (convert::floor_char_boundary(self.text, start), convert::floor_char_boundary(self.text, end));
        if end > start {
            self.raw.push((start, end, ty));
        }
    }

    fn span(&mut self, s: Span, ty: u32) {
        self.push(s.start as usize, s.end as usize, ty);
    }

    fn item(&mut self, item: &Item) {
        match item {
            Item::Import(i) => {
                self.push(i.span.start as usize, i.span.start as usize + 6, KEYWORD);
                self.span(i.path_span, STRING);
            }
            Item::Let(l) => self.let_(l),
            Item::Schema(s) => {
                self.push(s.span.start as usize, s.span.start as usize + 6, KEYWORD);
                self.span(s.name.span, TYPE);
                for f in &s.fields {
                    self.span(f.name.span, PROPERTY);
                    self.ty(&f.ty);
                    if let Some(d) = &f.default {
                        self.expr(d, element_name(&f.ty).as_deref());
                    }
                }
            }
            Item::Enum(e) => {
                self.push(e.span.start as usize, e.span.start as usize + 4, KEYWORD);
                self.span(e.name.span, TYPE);
                for v in &e.variants {
                    self.span(v.name.span, ENUM_MEMBER);
                    if let Some(t) = &v.payload {
                        self.ty(t);
                    }
                }
            }
            Item::Fn(f) => {
                self.push(f.span.start as usize, f.span.start as usize + 2, KEYWORD);
                self.span(f.name.span, FUNCTION);
                for p in &f.params {
                    self.span(p.name.span, VARIABLE);
                    self.ty(&p.ty);
                    if let Some(d) = &p.default {
                        self.expr(d, element_name(&p.ty).as_deref());
                    }
                }
                if let Some(t) = &f.ret {
                    self.ty(t);
                }
                self.expr(&f.body, None);
            }
            Item::Decl(d) => self.decl(d, Some("Workspace")),
            Item::Error(_) => {}
        }
    }

    fn let_(&mut self, l: &Let) {
        self.push(l.span.start as usize, l.span.start as usize + 3, KEYWORD);
        self.span(l.name.span, VARIABLE);
        if let Some(t) = &l.ty {
            self.ty(t);
        }
        self.expr(&l.value, l.ty.as_ref().and_then(element_name).as_deref());
    }

    fn ty(&mut self, t: &TypeExpr) {
        match &t.kind {
            TypeKind::Named(p) => p.iter().for_each(|i| self.span(i.span, TYPE)),
            TypeKind::List(x) => self.ty(x),
            TypeKind::Map(k, v) => {
                self.ty(k);
                self.ty(v);
            }
        }
    }

    fn decl(&mut self, d: &Decl, parent: Option<&str>) {
        self.span(d.kw.span, KEYWORD);
        let ty = self.index.member_type(parent, &d.kw.name);
        if let Some(n) = &d.name {
            self.span(n.span, NAMESPACE);
        }
        match &d.body {
            DeclBody::Block(b) => self.block(b, ty.as_deref()),
            DeclBody::Expr(e) => self.expr(e, ty.as_deref()),
        }
    }

    fn block(&mut self, b: &Block, schema: Option<&str>) {
        for e in &b.entries {
            match e {
                Entry::Field(f) => {
                    self.span(f.name.span, PROPERTY);
                    let t = self.index.member_type(schema, &f.name.name);
                    self.expr(&f.value, t.as_deref());
                }
                Entry::Decl(d) => self.decl(d, schema),
                Entry::Spread(x) => self.expr(x, schema),
                Entry::Let(l) => self.let_(l),
                Entry::Error(_) => {}
            }
        }
    }

    fn name(&mut self, i: &Ident, expected: Option<&str>) {
        let is_variant = |e: &str| self.index.enums.get(e).is_some_and(|x| x.variants.iter().any(|v| v.name == i.name));
        let ty = if expected.is_some_and(is_variant) {
            ENUM_MEMBER
        } else if self.index.fns.contains_key(&i.name) {
            FUNCTION
        } else if self.index.lets.contains_key(&i.name) {
            VARIABLE
        } else if self.index.stacks.contains_key(&i.name) {
            NAMESPACE
        } else if self.index.enums.values().any(|e| e.variants.iter().any(|v| v.name == i.name)) {
            ENUM_MEMBER
        } else {
            VARIABLE
        };
        self.span(i.span, ty);
    }

    fn expr(&mut self, e: &Expr, expected: Option<&str>) {
        match &e.kind {
            ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Quantity { .. } => self.span(e.span, NUMBER),
            ExprKind::Bool(_) | ExprKind::Null => self.span(e.span, KEYWORD),
            ExprKind::Str(parts) => {
                if parts.iter().any(|p| matches!(p, StrPart::Interp(_))) {
                    // Strings with `${...}`: the text around the interpolations only.
                    let mut at = e.span.start as usize;
                    for p in parts {
                        if let StrPart::Interp(x) = p {
                            self.push(at, (x.span.start as usize).saturating_sub(2), STRING);
                            self.expr(x, None);
                            at = x.span.end as usize + 1;
                        }
                    }
                    self.push(at, e.span.end as usize, STRING);
                } else {
                    self.span(e.span, STRING);
                }
            }
            ExprKind::Name(i) => self.name(i, expected),
            ExprKind::List(xs) => xs.iter().for_each(|x| self.expr(x, expected)),
            ExprKind::Map(es) => es.iter().for_each(|(_, x)| self.expr(x, expected)),
            ExprKind::Record(b) => self.block(b, expected),
            ExprKind::TypedRecord(path, b) => {
                path.iter().for_each(|i| self.span(i.span, TYPE));
                let name = path.last().map(|i| i.name.clone());
                self.block(b, name.as_deref());
            }
            ExprKind::Call(callee, args) => {
                match &callee.kind {
                    ExprKind::Name(n) => self.name(n, expected),
                    _ => self.expr(callee, None),
                }
                for a in args {
                    if let Some(n) = &a.name {
                        self.span(n.span, VARIABLE);
                    }
                    self.expr(&a.value, None);
                }
            }
            ExprKind::Member(b, _) | ExprKind::Unary(_, b) => self.expr(b, None),
            ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => {
                self.expr(a, None);
                self.expr(b, None);
            }
            ExprKind::If(bs, o) => {
                for (c, t) in bs {
                    self.expr(c, None);
                    self.expr(t, expected);
                }
                self.expr(o, expected);
            }
            ExprKind::Error => {}
        }
    }
}

/// Semantic tokens of one file, encoded as the protocol wants (relative positions, one line
/// per token).
pub fn semantic_tokens(index: &Index, fi: usize) -> SemanticTokens {
    let file = &index.files[fi];
    let mut t = Tokens { index, text: file.text.text(), raw: Vec::new() };
    for item in &file.ast.items {
        t.item(item);
    }
    for c in &file.ast.comments {
        t.span(c.span, COMMENT);
    }
    let mut raw = t.raw;
    raw.sort();
    raw.dedup_by(|b, a| b.0 < a.1); // drop overlaps, keep the first
    let doc = &file.text;
    let text = doc.text();
    let mut data = Vec::with_capacity(raw.len());
    let (mut prev_line, mut prev_col) = (0u32, 0u32);
    for (start, end, ty) in raw {
        // A token never spans lines in the encoding: split multi-line ones (block comments).
        let mut s = start;
        while s < end {
            let line_end = text[s..end].find('\n').map(|i| s + i).unwrap_or(end);
            let p = doc.position(s);
            let len = u32::try_from(convert::utf16_len(&text[s..line_end])).unwrap_or(u32::MAX);
            if len > 0 {
                let delta_line = p.line - prev_line;
                let delta_start = if delta_line == 0 { p.character - prev_col } else { p.character };
                data.push(SemanticToken {
                    delta_line,
                    delta_start,
                    length: len,
                    token_type: ty,
                    token_modifiers_bitset: 0,
                });
                prev_line = p.line;
                prev_col = p.character;
            }
            s = line_end + 1;
        }
    }
    SemanticTokens { result_id: None, data }
}

/// Inlay hints: parameter names of positional arguments, and the type of each declaration.
pub fn inlay_hints(index: &Index, fi: usize, range: Range) -> Vec<InlayHint> {
    let file = &index.files[fi];
    let (from, to) = (file.text.offset(range.start), file.text.offset(range.end));
    let mut hints = Vec::new();
    let mut h = Hints { index, text: &file.text, from, to, out: &mut hints };
    for item in &file.ast.items {
        match item {
            Item::Decl(d) => h.decl(d, Some("Workspace")),
            Item::Let(l) => h.expr(&l.value),
            Item::Fn(f) => h.expr(&f.body),
            _ => {}
        }
    }
    hints
}

struct Hints<'a> {
    index: &'a Index,
    text: &'a Doc,
    from: usize,
    to: usize,
    out: &'a mut Vec<InlayHint>,
}

impl Hints<'_> {
    fn visible(&self, at: usize) -> bool {
        self.from <= at && at <= self.to
    }

    fn hint(&mut self, at: usize, label: String, kind: InlayHintKind, left: bool) {
        if !self.visible(at) {
            return;
        }
        self.out.push(InlayHint {
            position: self.text.position(at),
            label: InlayHintLabel::String(label),
            kind: Some(kind),
            text_edits: None,
            tooltip: None,
            padding_left: Some(left),
            padding_right: Some(!left),
            data: None,
        });
    }

    fn decl(&mut self, d: &Decl, parent: Option<&str>) {
        let ty = self.index.member_type(parent, &d.kw.name);
        if let (Some(n), Some(t)) = (&d.name, &ty) {
            self.hint(n.span.end as usize, format!(": {t}"), InlayHintKind::TYPE, false);
        }
        match &d.body {
            DeclBody::Block(b) => self.block(b, ty.as_deref()),
            DeclBody::Expr(e) => self.expr(e),
        }
    }

    fn block(&mut self, b: &Block, schema: Option<&str>) {
        for e in &b.entries {
            match e {
                Entry::Field(f) => self.expr(&f.value),
                Entry::Decl(d) => self.decl(d, schema),
                Entry::Spread(x) => self.expr(x),
                Entry::Let(l) => self.expr(&l.value),
                Entry::Error(_) => {}
            }
        }
    }

    fn expr(&mut self, e: &Expr) {
        if (e.span.end as usize) < self.from || (e.span.start as usize) > self.to {
            return;
        }
        match &e.kind {
            ExprKind::Call(callee, args) => {
                if let ExprKind::Name(n) = &callee.kind
                    && let Some(f) = self.index.fns.get(&n.name)
                {
                    let mut positional = 0;
                    for a in args {
                        if a.name.is_none() {
                            if let Some((p, _)) = f.params.get(positional) {
                                self.hint(
                                    a.value.span.start as usize,
                                    format!("{p} ="),
                                    InlayHintKind::PARAMETER,
                                    false,
                                );
                            }
                            positional += 1;
                        }
                    }
                }
                self.expr(callee);
                args.iter().for_each(|a| self.expr(&a.value));
            }
            ExprKind::List(xs) => xs.iter().for_each(|x| self.expr(x)),
            ExprKind::Map(es) => es.iter().for_each(|(_, x)| self.expr(x)),
            ExprKind::Record(b) => self.block(b, None),
            ExprKind::TypedRecord(p, b) => {
                let name = p.last().map(|i| i.name.clone());
                self.block(b, name.as_deref());
            }
            ExprKind::Member(b, _) | ExprKind::Unary(_, b) => self.expr(b),
            ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => {
                self.expr(a);
                self.expr(b);
            }
            ExprKind::If(bs, o) => {
                for (c, t) in bs {
                    self.expr(c);
                    self.expr(t);
                }
                self.expr(o);
            }
            _ => {}
        }
    }
}

/// Signature help inside a call of a known function: its parameters, the one being written
/// highlighted.
pub fn signature_help(index: &Index, fi: usize, offset: usize) -> Option<SignatureHelp> {
    let text = index.files[fi].text.text();
    let offset = convert::floor_char_boundary(text, offset);
    // Walk back to the unclosed `(` of the call, counting commas at its depth. (Bytes: the
    // ASCII ones looked for never occur inside a multi-byte character.)
    let bytes = text.as_bytes();
    let (mut depth, mut commas, mut i) = (0i32, 0u32, offset);
    let mut in_string = false;
    while i > 0 {
        i -= 1;
        match bytes[i] {
            // A quote not escaped by an odd number of backslashes.
            b'"' if bytes[..i].iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 0 => in_string = !in_string,
            _ if in_string => {}
            b')' | b']' | b'}' => depth += 1,
            b'(' | b'[' | b'{' if depth > 0 => depth -= 1,
            b'(' => break,
            b'[' | b'{' => return None,
            b',' if depth == 0 => commas += 1,
            _ => {}
        }
        if i == 0 {
            return None;
        }
    }
    let name_end = i;
    // The name before `(`: it starts after the last character that cannot be in one (which
    // may be several bytes long).
    let name_start = text[..name_end]
        .char_indices()
        .rev()
        .find(|&(_, c)| !(c.is_alphanumeric() || c == '_' || c == '-'))
        .map(|(j, c)| j + c.len_utf8())
        .unwrap_or(0);
    let f = index.fns.get(&text[name_start..name_end])?;
    // A named argument (`mount = `) picks its parameter by name.
    let current = &text[i + 1..offset];
    let last_arg = current.rsplit(',').next().unwrap_or_default().trim();
    let active = last_arg
        .split_once('=')
        .and_then(|(n, _)| f.params.iter().position(|(p, _)| p == n.trim()))
        .unwrap_or(commas as usize) as u32;
    let parameters = f
        .params
        .iter()
        .map(|(_, label)| ParameterInformation { label: ParameterLabel::Simple(label.clone()), documentation: None })
        .collect();
    Some(SignatureHelp {
        signatures: vec![SignatureInformation {
            label: f.signature.clone(),
            documentation: f
                .doc
                .clone()
                .map(|d| Documentation::MarkupContent(MarkupContent { kind: MarkupKind::Markdown, value: d })),
            parameters: Some(parameters),
            active_parameter: Some(active),
        }],
        active_signature: Some(0),
        active_parameter: Some(active),
    })
}

/// Quick fixes for the diagnostics the client sends along: the structured fixes the compiler
/// attached to each diagnostic ([`hlc_core::diagnostics::Fix`]), which the server published in
/// the diagnostic's `data` (`fixes`: title, range, newText, preferred) and the client sends
/// back. Nothing is read from the message: a diagnostic without fixes has no quick fix.
#[allow(clippy::mutable_key_type)] // lsp-types' Uri caches its parse; keys are never mutated
pub fn code_actions(uri: &Uri, diagnostics: &[Diagnostic]) -> Vec<CodeActionOrCommand> {
    let mut out = Vec::new();
    for d in diagnostics {
        let fixes = d.data.as_ref().and_then(|v| v.get("fixes")).and_then(|v| v.as_array());
        for f in fixes.into_iter().flatten() {
            let Ok(fix) = serde_json::from_value::<WireFix>(f.clone()) else { continue };
            let mut changes = HashMap::new();
            changes.insert(uri.clone(), vec![TextEdit { range: fix.range, new_text: fix.new_text }]);
            out.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: fix.title,
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![d.clone()]),
                edit: Some(WorkspaceEdit { changes: Some(changes), ..Default::default() }),
                is_preferred: Some(fix.preferred),
                ..Default::default()
            }));
        }
    }
    out
}

/// A [`hlc_core::diagnostics::Fix`] as published in a diagnostic's `data`, its span turned
/// into a range of the diagnostic's document.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireFix {
    pub title: String,
    pub range: Range,
    pub new_text: String,
    pub preferred: bool,
}
