//! From text to [`ast::SourceFile`]: the tolerant pest parse, then lowering of pest pairs into
//! the tree. Recovery nodes become [`Code::SyntaxError`] diagnostics; the parse never fails.

use hl_diagnostics::{Code, Diagnostic, FileId, Span};
use pest::Parser as _;
use pest::Token;
use pest::error::{ErrorVariant, InputLocation};
use pest::iterators::Pair;

use crate::ast::*;

#[derive(pest_derive::Parser)]
#[grammar = "hl.pest"]
struct HlParser;

/// The deepest bracket nesting the parser accepts. Deeper input is refused before parsing,
/// so that hostile input cannot exhaust the stack.
pub const MAX_NESTING: usize = 128;

/// The longest chain of operators (`a + b + ...`) or postfix operations (`a.b.c(...)`) in one
/// expression. Together with [`MAX_NESTING`] this bounds the depth of every expression tree.
pub const MAX_CHAIN: usize = 256;

/// The most steps (pest's rule calls) one parse may take: a backstop that turns any input the
/// grammar would need super-linear time for into an [`Code::NestingTooDeep`] diagnostic instead
/// of a hang. Real hl takes about 5 calls per byte, and text that is all errors about 50, so
/// this allows files of tens of megabytes and stops any parse within seconds. It is a constant,
/// so that whether a text hits it never depends on what else the process parsed.
pub const MAX_PARSE_STEPS: usize = 1 << 27;

/// pest's call limit is process-wide; it is set once, to the constant above.
fn set_step_limit() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| pest::set_call_limit(std::num::NonZeroUsize::new(MAX_PARSE_STEPS)));
}

/// The result of parsing one file: always a tree, plus the syntax errors found.
#[derive(Clone, Debug, PartialEq)]
pub struct Parse {
    pub file: SourceFile,
    pub errors: Vec<Diagnostic>,
}

/// Parse one file. Never fails: every independent syntax error is reported, and everything
/// that could be read is in the tree.
pub fn parse(file: FileId, text: &str) -> Parse {
    // The tolerant parse never fails, so it does not track attempts (pest's default: tracking
    // costs time on every file); the strict re-parse of a recovery node does, to name the
    // tokens it expected (see `recover`).
    set_step_limit();
    let mut closed = String::new();
    let mut lower = Lower::new(file, text, 0);
    let items = match lower.run(Rule::file, &mut closed) {
        Some(file_pair) => lower.file(file_pair),
        None => Vec::new(),
    };
    lower.clamp_spans();
    let mut comments = lower.comments;
    comments.sort_by_key(|c| c.span.start);
    comments.dedup_by_key(|c| c.span.start);
    let mut file = SourceFile { items, comments };
    attach_docs(&mut file, text);
    Parse { file, errors: lower.diags }
}

/// The result of the pre-scan: what is still open at the end of the text, or the offset of the
/// first bracket (or `if`, or interpolation) nested deeper than [`MAX_NESTING`].
type Unclosed = Result<Open, usize>;

/// What is open at the end of a text.
#[derive(Default)]
struct Open {
    /// Brackets (offset and byte), outermost first.
    brackets: Vec<(usize, u8)>,
    /// The `"""` of a multi-line string that never closes.
    ml_string: Option<usize>,
}

/// The offset just after the `//` or `/* */` comment that starts at `i` (a line comment ends
/// before its newline; an unclosed block comment runs to the end).
fn skip_comment(bytes: &[u8], mut i: usize) -> usize {
    if bytes.get(i + 1) == Some(&b'/') {
        while i < bytes.len() && bytes[i] != b'\n' {
            i += 1;
        }
        return i;
    }
    i += 2;
    while i < bytes.len() && !(bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/')) {
        i += 1;
    }
    (i + 2).min(bytes.len())
}

/// Whether `word` stands at `i` as a whole word.
fn word_at(bytes: &[u8], i: usize, word: &[u8]) -> bool {
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
    bytes[i..].starts_with(word)
        && (i == 0 || !is_ident(bytes[i - 1]))
        && bytes.get(i + word.len()).is_none_or(|b| !is_ident(*b))
}

/// What the pre-scan is reading: code, a string, a multi-line string, or the code of an
/// interpolation inside a string (with the braces open inside it).
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Code,
    Str,
    MlStr,
    Interp { braces: usize },
}

/// Whether the line starting at `i` closes a multi-line string (blanks, then `"""`); the offset
/// just after its `"""` if so.
fn ml_close_at(bytes: &[u8], mut i: usize) -> Option<usize> {
    while matches!(bytes.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    bytes[i.min(bytes.len())..].starts_with(b"\"\"\"").then_some(i + 3)
}

/// The pre-scan: one pass over the text that reads strings, multi-line strings,
/// interpolations and comments by the grammar's lexical rules (`string`, `ml_string`,
/// `interp_chunk`, `raw_string`, `bal_comment`) and counts the brackets of the code outside
/// them. It is the parser's view of the text's structure: a closing bracket closes whatever is
/// open (a wrong one is the recovery productions' business), an interpolation ends at its
/// matching `}` or at the end of its line, and so does every one-line string; a multi-line
/// string ends at its closing line. An `if` nests like a bracket until its `else` (`else if`
/// keeps the depth), for the depth only.
fn brackets(text: &str) -> Unclosed {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut open = Vec::new();
    // Strings and interpolations open around the current position, innermost last; empty in
    // code. Each holds the depth to return to when the line ends inside it.
    let mut modes: Vec<(Mode, usize)> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let mode = modes.last().map_or(Mode::Code, |m| m.0);
        if b == b'\n' && mode != Mode::Code {
            // Every one-line string and interpolation ends with its line; a multi-line string
            // goes on, unless the next line closes it.
            while let Some(&(m, d)) = modes.last() {
                if m == Mode::MlStr {
                    break;
                }
                depth = d;
                modes.pop();
            }
            // (A multi-line string holds its opening offset, not a depth: it is only ever
            // opened in code, whose depth it leaves as it is.)
            i += 1;
            if modes.last().is_some_and(|m| m.0 == Mode::MlStr)
                && let Some(after) = ml_close_at(bytes, i)
            {
                modes.pop();
                i = after;
            }
            continue;
        }
        match mode {
            Mode::Code => match b {
                b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                    modes.push((Mode::MlStr, i));
                    // The rest of the opening line is not read; the loop goes on at its end.
                    i = bytes[i..].iter().position(|&c| c == b'\n').map_or(bytes.len(), |p| i + p);
                    continue;
                }
                b'"' => modes.push((Mode::Str, depth)),
                b'/' if matches!(bytes.get(i + 1), Some(b'/' | b'*')) => {
                    // Stop on the comment's last byte; the loop steps past it.
                    i = skip_comment(bytes, i).saturating_sub(1);
                }
                b'i' if word_at(bytes, i, b"if") => deeper(&mut depth, i)?,
                b'e' if word_at(bytes, i, b"else") => depth = depth.saturating_sub(1),
                b'{' | b'[' | b'(' => {
                    deeper(&mut depth, i)?;
                    open.push((i, b));
                }
                b'}' | b']' | b')' => {
                    depth = depth.saturating_sub(1);
                    open.pop();
                }
                _ => {}
            },
            Mode::Str | Mode::MlStr => match b {
                b'"' if mode == Mode::Str => {
                    modes.pop();
                }
                b'\\' if mode == Mode::Str => i += 1,
                b'$' if mode == Mode::MlStr && bytes[i..].starts_with(b"$${") => i += 2,
                b'$' if bytes.get(i + 1) == Some(&b'{') => {
                    deeper(&mut depth, i)?;
                    modes.push((Mode::Interp { braces: 0 }, depth - 1));
                    i += 1;
                }
                _ => {}
            },
            Mode::Interp { braces } => match b {
                b'"' => modes.push((Mode::Str, depth)),
                b'{' => {
                    deeper(&mut depth, i)?;
                    if let Some(m) = modes.last_mut() {
                        m.0 = Mode::Interp { braces: braces + 1 };
                    }
                }
                b'}' => {
                    depth = depth.saturating_sub(1);
                    if braces == 0 {
                        modes.pop();
                    } else if let Some(m) = modes.last_mut() {
                        m.0 = Mode::Interp { braces: braces - 1 };
                    }
                }
                _ => {}
            },
        }
        i += 1;
    }
    let ml_string = modes.iter().find(|m| m.0 == Mode::MlStr).map(|m| m.1);
    Ok(Open { brackets: open, ml_string })
}

/// One level deeper at `at`: an error past [`MAX_NESTING`].
fn deeper(depth: &mut usize, at: usize) -> Result<(), usize> {
    *depth += 1;
    if *depth > MAX_NESTING { Err(at) } else { Ok(()) }
}

/// Offset of a `"` that opens a string never closed on its line (read as the pre-scan reads
/// strings: an interpolation's strings and braces nest).
fn unterminated_string(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'/' if matches!(bytes.get(i + 1), Some(b'/' | b'*')) => {
                // Stop on the comment's last byte; the loop steps past it.
                i = skip_comment(bytes, i).saturating_sub(1);
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                // A multi-line string: to its closing line (one never closed is the lowering's
                // to report).
                let mut j = i;
                loop {
                    match bytes[j..].iter().position(|&c| c == b'\n') {
                        None => return None,
                        Some(p) => j += p + 1,
                    }
                    if let Some(after) = ml_close_at(bytes, j) {
                        i = after - 1;
                        break;
                    }
                }
            }
            b'"' => match string_end(bytes, i) {
                Some(end) => i = end,
                None => return Some(i),
            },
            _ => {}
        }
        i += 1;
    }
    None
}

/// From the `"` at `start`: the offset of the string's closing quote, or `None` when the string
/// is not closed on its line (escapes skipped, interpolations read to their matching `}`).
fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let line_end = bytes[start..].iter().position(|&b| b == b'\n').map_or(bytes.len(), |p| start + p);
    let line = &bytes[..line_end];
    // The strings and interpolations open: `true` for a string, `false` (with its brace count) for an
    // interpolation.
    let mut stack: Vec<(bool, usize)> = vec![(true, 0)];
    let mut i = start + 1;
    while i < line.len() {
        let Some(&(is_str, braces)) = stack.last() else { break };
        match (is_str, line[i]) {
            (true, b'"') => {
                stack.pop();
                if stack.is_empty() {
                    return Some(i);
                }
            }
            (true, b'\\') => i += 1,
            (true, b'$') if line.get(i + 1) == Some(&b'{') => {
                stack.push((false, 0));
                i += 1;
            }
            (false, b'"') => stack.push((true, 0)),
            (false, b'{') => stack.push((false, braces + 1)),
            (false, b'}') => {
                stack.pop();
            }
            _ => {}
        }
        i += 1;
    }
    None
}

struct Lower<'t> {
    file: FileId,
    /// The text parsed: the file's, or an interpolation's (see `base`), with any brackets left
    /// open closed after it.
    text: &'t str,
    /// The length of the text's own part; no span reaches past it.
    len: usize,
    /// Where `text` starts in the file: pest's positions are relative to `text`, spans to the
    /// file.
    base: usize,
    diags: Vec<Diagnostic>,
    comments: Vec<Comment>,
    /// Byte ranges of every comment pest read, sorted (they never overlap), relative to `text`.
    trivia: Vec<(usize, usize)>,
}

/// The pair's one inner pair, if it has exactly one.
fn only_child<'i>(p: &Pair<'i, Rule>) -> Option<Pair<'i, Rule>> {
    let mut inner = p.clone().into_inner();
    match (inner.next(), inner.next()) {
        (Some(only), None) => Some(only),
        _ => None,
    }
}

fn is_trivia(rule: Rule) -> bool {
    matches!(rule, Rule::COMMENT | Rule::doc_comment | Rule::line_comment | Rule::block_comment)
}

impl<'t> Lower<'t> {
    fn new(file: FileId, text: &'t str, base: usize) -> Lower<'t> {
        Lower { file, text, len: text.len(), base, diags: Vec::new(), comments: Vec::new(), trivia: Vec::new() }
    }

    /// Parse `text` (this lowerer's own text) with `rule` after the pre-scan: brackets nested
    /// too deep are reported and nothing is parsed; brackets still open at the end are closed
    /// for the parser, after the text, and reported once. Left open, each would fail its
    /// construct only at the end of the text, after everything inside was read, and every
    /// alternative around it would read it all again (nested unclosed blocks took exponential
    /// time). Returns the pair of `rule`, with `self.text` set to what was parsed (which
    /// `closed` keeps alive).
    fn run(&mut self, rule: Rule, closed: &'t mut String) -> Option<Pair<'t, Rule>> {
        let (file, base) = (self.file, self.base);
        let unclosed = match brackets(self.text) {
            Ok(unclosed) => unclosed,
            Err(offset) => {
                self.diags.push(
                    Diagnostic::new(
                        Code::NestingTooDeep,
                        format!("brackets and `if`s are nested more than {MAX_NESTING} levels deep"),
                        Span::new(file, base + offset, base + offset + 1),
                        "nested too deep here",
                    )
                    .with_help("split the value into named `let` bindings"),
                );
                return None;
            }
        };
        if let Some(at) = unclosed.ml_string {
            self.diags.push(
                Diagnostic::new(
                    Code::SyntaxError,
                    "multi-line string is never closed",
                    Span::new(file, base + at, base + at + 3),
                    "this `\"\"\"` has no closing line",
                )
                .with_help("end the string with a line that holds only `\"\"\"`"),
            );
        }
        if let Some(&(at, open)) = unclosed.brackets.last() {
            let close = |b: u8| match b {
                b'{' => '}',
                b'[' => ']',
                _ => ')',
            };
            let mut d = Diagnostic::new(
                Code::SyntaxError,
                format!("`{}` is never closed", open as char),
                Span::new(file, base + at, base + at + 1),
                format!("this `{}` has no matching `{}`", open as char, close(open)),
            )
            .with_help(format!("add the closing `{}`", close(open)));
            if unclosed.brackets.len() > 1 {
                let end = if rule == Rule::file { "file" } else { "interpolation" };
                d = d.with_note(format!("{} brackets are open at the end of the {end}", unclosed.brackets.len()));
            }
            self.diags.push(d);
        }
        if unclosed.ml_string.is_some() || !unclosed.brackets.is_empty() {
            // Close what is open, after the text: the multi-line string first (its closing line
            // has no indentation, so no line is indented less), then the brackets.
            closed.reserve(self.text.len() + unclosed.brackets.len() + 5);
            closed.push_str(self.text);
            if unclosed.ml_string.is_some() {
                closed.push_str("\n\"\"\"");
            }
            closed.push('\n');
            closed.extend(unclosed.brackets.iter().rev().map(|&(_, b)| match b {
                b'{' => '}',
                b'[' => ']',
                _ => ')',
            }));
            let closed: &'t String = closed;
            self.text = closed.as_str();
        }
        match HlParser::parse(rule, self.text) {
            Ok(mut pairs) => {
                // The comments' ranges from the token stream (no pairs are made for it); a
                // comment has no inner rules, so each one's end token comes right after its start.
                let mut start = None;
                for token in pairs.clone().tokens() {
                    match token {
                        Token::Start { rule: Rule::line_comment | Rule::block_comment | Rule::doc_comment, pos } => {
                            start = Some(pos.pos());
                        }
                        Token::End { rule: Rule::line_comment | Rule::block_comment | Rule::doc_comment, pos } => {
                            if let Some(start) = start.take() {
                                self.trivia.push((start, pos.pos()));
                            }
                        }
                        _ => {}
                    }
                }
                self.trivia.sort_unstable();
                self.trivia.dedup();
                pairs.next()
            }
            Err(e) => {
                self.push_pest_error(&e, base);
                None
            }
        }
    }

    /// Keep every span inside the text's own part (nothing points into the closing brackets
    /// `run` added).
    fn clamp_spans(&mut self) {
        let (lo, hi) = (self.base as u32, (self.base + self.len) as u32);
        for d in &mut self.diags {
            for span in std::iter::once(&mut d.primary.span).chain(d.secondary.iter_mut().map(|l| &mut l.span)) {
                span.start = span.start.clamp(lo, hi);
                span.end = span.end.clamp(lo, hi);
            }
        }
    }

    /// The expression of an interpolation whose text (between `${` and `}`) is `body`, at
    /// offset `at` of this lowerer's text. It is parsed on its own, so that nothing in it can
    /// make the parser read past the string.
    fn interpolation(&mut self, body: &str, at: usize) -> Expr {
        let base = self.base + at;
        let span = Span::new(self.file, base, base + body.len());
        if body.trim().is_empty() {
            self.diags.push(
                Diagnostic::new(
                    Code::SyntaxError,
                    "empty interpolation",
                    Span::new(self.file, base - 2, base + body.len() + 1),
                    "nothing between `${` and `}`",
                )
                .with_help("write an expression inside `${...}`, or `\\$` for a literal `$`"),
            );
            return Expr { kind: ExprKind::Error, span };
        }
        let mut closed = String::new();
        let mut sub = Lower::new(self.file, body, base);
        let expr = match sub.run(Rule::expr_only, &mut closed) {
            Some(pair) => {
                let inner = sub.children(pair).into_iter().find(|c| c.as_rule() == Rule::expr);
                inner.map(|e| sub.expr(e))
            }
            None => None,
        };
        sub.clamp_spans();
        self.diags.append(&mut sub.diags);
        self.comments.append(&mut sub.comments);
        expr.unwrap_or(Expr { kind: ExprKind::Error, span })
    }

    /// The span of a pair, without the whitespace pest may have consumed after it.
    fn span(&self, p: &Pair<'_, Rule>) -> Span {
        let s = p.as_span();
        let start = s.start().min(self.len);
        let end = self.content_end(start, s.end()).min(self.len);
        Span::new(self.file, self.base + start, self.base + end)
    }

    /// Where the text of a pair really ends: pest may have consumed whitespace and comments
    /// after its last token while trying optional parts; those belong to what follows. Walks
    /// back over whitespace and over comments pest itself recognised (so `//` in a string is
    /// never taken for one).
    fn content_end(&self, start: usize, end: usize) -> usize {
        let bytes = self.text.as_bytes();
        let mut e = end.min(bytes.len());
        loop {
            while e > start && matches!(bytes[e - 1], b' ' | b'\t' | b'\r' | b'\n') {
                e -= 1;
            }
            match self.trivia.binary_search_by(|(_, ce)| ce.cmp(&e)) {
                Ok(i) if self.trivia[i].0 >= start && self.trivia[i].0 < e => e = self.trivia[i].0,
                _ => return e,
            }
        }
    }

    /// Children without comments; comments are collected on the side.
    fn children<'i>(&mut self, p: Pair<'i, Rule>) -> Vec<Pair<'i, Rule>> {
        let inner = p.into_inner();
        let mut out = Vec::with_capacity(inner.len());
        for c in inner {
            if is_trivia(c.as_rule()) {
                self.comment(c);
            } else {
                out.push(c);
            }
        }
        out
    }

    fn comment(&mut self, p: Pair<'_, Rule>) {
        let pair = if p.as_rule() == Rule::COMMENT {
            match p.into_inner().next() {
                Some(inner) => inner,
                None => return,
            }
        } else {
            p
        };
        let kind = match pair.as_rule() {
            Rule::doc_comment => CommentKind::Doc,
            Rule::block_comment => CommentKind::Block,
            _ => CommentKind::Line,
        };
        let s = pair.as_span();
        let span = Span::new(self.file, self.base + s.start(), self.base + s.end());
        self.comments.push(Comment { kind, text: pair.as_str().to_string(), span });
    }

    fn too_long(&mut self, span: Span) -> Expr {
        self.diags.push(
            Diagnostic::new(
                Code::NestingTooDeep,
                format!("this expression chains more than {MAX_CHAIN} operations"),
                Span::new(self.file, span.start as usize, span.start as usize + 1),
                "expression starts here",
            )
            .with_help("split the expression into named `let` bindings"),
        );
        Expr { kind: ExprKind::Error, span }
    }

    fn ident(&self, p: &Pair<'_, Rule>) -> Ident {
        Ident { name: p.as_str().to_string(), span: self.span(p) }
    }

    fn file(&mut self, p: Pair<'_, Rule>) -> Vec<Item> {
        let children = self.children(p);
        let mut items = Vec::with_capacity(children.len());
        for c in children {
            match c.as_rule() {
                Rule::EOI => {}
                Rule::bad_item => {
                    let span = self.span(&c);
                    self.recover(Rule::item_only, c.as_str(), span.start as usize, "an item");
                    items.push(Item::Error(span));
                }
                _ => {
                    if let Some(item) = self.item(c) {
                        items.push(item);
                    }
                }
            }
        }
        items
    }

    fn item(&mut self, p: Pair<'_, Rule>) -> Option<Item> {
        Some(match p.as_rule() {
            Rule::import => Item::Import(self.import(p)),
            Rule::let_item => Item::Let(self.let_item(p)),
            Rule::schema => Item::Schema(self.schema(p)),
            Rule::enum_def => Item::Enum(self.enum_def(p)),
            Rule::fn_def => Item::Fn(self.fn_def(p)),
            Rule::decl => Item::Decl(self.decl(p)),
            _ => return None,
        })
    }

    fn import(&mut self, p: Pair<'_, Rule>) -> Import {
        let span = self.span(&p);
        let mut path = String::new();
        let mut path_span = span;
        let mut alias = None;
        for c in self.children(p) {
            match c.as_rule() {
                Rule::string => {
                    path_span = self.span(&c);
                    path = self.plain_string(c, "an import path");
                }
                Rule::ident => alias = Some(self.ident(&c)),
                _ => {}
            }
        }
        Import { path, path_span, alias, span }
    }

    /// A string that must not contain interpolation (import paths, quoted names); `what` says
    /// which, in the label of the error.
    fn plain_string(&mut self, p: Pair<'_, Rule>, what: &str) -> String {
        let span = self.span(&p);
        let mut out = String::new();
        for part in self.string_parts(p) {
            match part {
                StrPart::Text(t) => out.push_str(&t),
                StrPart::Interp(e) => self.diags.push(
                    Diagnostic::new(
                        Code::SyntaxError,
                        "interpolation is not allowed here",
                        e.span,
                        format!("{what} must be a plain string"),
                    )
                    .with_label(span, "in this string"),
                ),
            }
        }
        out
    }

    fn let_item(&mut self, p: Pair<'_, Rule>) -> Let {
        let span = self.span(&p);
        let mut name = None;
        let mut ty = None;
        let mut value = None;
        for c in self.children(p) {
            match c.as_rule() {
                Rule::ident => name = Some(self.ident(&c)),
                Rule::ty => ty = Some(self.ty(c)),
                Rule::expr => value = Some(self.expr(c)),
                _ => {}
            }
        }
        Let {
            doc: None,
            name: name.unwrap_or_else(|| missing_ident(span)),
            ty,
            value: value.unwrap_or(Expr { kind: ExprKind::Error, span }),
            span,
        }
    }

    fn schema(&mut self, p: Pair<'_, Rule>) -> Schema {
        let span = self.span(&p);
        let mut name = None;
        let mut fields = Vec::new();
        for c in self.children(p) {
            match c.as_rule() {
                Rule::ident => name = Some(self.ident(&c)),
                Rule::field_def => fields.push(self.field_def(c)),
                _ => {}
            }
        }
        Schema { doc: None, name: name.unwrap_or_else(|| missing_ident(span)), fields, span }
    }

    fn field_def(&mut self, p: Pair<'_, Rule>) -> FieldDef {
        let span = self.span(&p);
        let mut name = None;
        let mut optional = false;
        let mut ty = None;
        let mut default = None;
        for c in self.children(p) {
            match c.as_rule() {
                Rule::ident => name = Some(self.ident(&c)),
                Rule::optional_mark => optional = true,
                Rule::ty => ty = Some(self.ty(c)),
                Rule::expr => default = Some(self.expr(c)),
                _ => {}
            }
        }
        FieldDef {
            doc: None,
            name: name.unwrap_or_else(|| missing_ident(span)),
            optional,
            ty: ty.unwrap_or_else(|| error_type(span)),
            default,
            span,
        }
    }

    fn enum_def(&mut self, p: Pair<'_, Rule>) -> EnumDef {
        let span = self.span(&p);
        let mut name = None;
        let mut variants = Vec::new();
        for c in self.children(p) {
            match c.as_rule() {
                Rule::ident => name = Some(self.ident(&c)),
                Rule::variant => {
                    let vspan = self.span(&c);
                    let mut vname = None;
                    let mut payload = None;
                    for v in self.children(c) {
                        match v.as_rule() {
                            Rule::ident => vname = Some(self.ident(&v)),
                            Rule::ty => payload = Some(self.ty(v)),
                            _ => {}
                        }
                    }
                    variants.push(Variant {
                        doc: None,
                        name: vname.unwrap_or_else(|| missing_ident(vspan)),
                        payload,
                        span: vspan,
                    });
                }
                _ => {}
            }
        }
        EnumDef { doc: None, name: name.unwrap_or_else(|| missing_ident(span)), variants, span }
    }

    fn fn_def(&mut self, p: Pair<'_, Rule>) -> FnDef {
        let span = self.span(&p);
        let mut name = None;
        let mut params = Vec::new();
        let mut ret = None;
        let mut body = None;
        for c in self.children(p) {
            match c.as_rule() {
                Rule::ident => name = Some(self.ident(&c)),
                Rule::param => {
                    let pspan = self.span(&c);
                    let mut pname = None;
                    let mut ty = None;
                    let mut default = None;
                    for x in self.children(c) {
                        match x.as_rule() {
                            Rule::ident => pname = Some(self.ident(&x)),
                            Rule::ty => ty = Some(self.ty(x)),
                            Rule::expr => default = Some(self.expr(x)),
                            _ => {}
                        }
                    }
                    params.push(Param {
                        name: pname.unwrap_or_else(|| missing_ident(pspan)),
                        ty: ty.unwrap_or_else(|| error_type(pspan)),
                        default,
                        span: pspan,
                    });
                }
                Rule::ty => ret = Some(self.ty(c)),
                Rule::expr => body = Some(self.expr(c)),
                _ => {}
            }
        }
        FnDef {
            doc: None,
            name: name.unwrap_or_else(|| missing_ident(span)),
            params,
            ret,
            body: body.unwrap_or(Expr { kind: ExprKind::Error, span }),
            span,
        }
    }

    fn decl(&mut self, p: Pair<'_, Rule>) -> Decl {
        let span = self.span(&p);
        // The first name is the keyword, the second (if any) the declared name.
        let (mut kw, mut name) = (None, None);
        let mut body = None;
        for c in self.children(p) {
            let id = match c.as_rule() {
                Rule::ident => self.ident(&c),
                // A quoted name: its text, at the string (quotes included).
                Rule::string => {
                    let sspan = self.span(&c);
                    Ident { name: self.plain_string(c, "a quoted name"), span: sspan }
                }
                Rule::block => {
                    body = Some(DeclBody::Block(self.block(c)));
                    continue;
                }
                Rule::expr => {
                    body = Some(DeclBody::Expr(self.expr(c)));
                    continue;
                }
                _ => continue,
            };
            if kw.is_none() {
                kw = Some(id);
            } else if name.is_none() {
                name = Some(id);
            }
        }
        let kw = kw.unwrap_or_else(|| missing_ident(span));
        Decl { doc: None, kw, name, body: body.unwrap_or(DeclBody::Block(Block { entries: Vec::new(), span })), span }
    }

    fn block(&mut self, p: Pair<'_, Rule>) -> Block {
        let span = self.span(&p);
        let children = self.children(p);
        let mut entries = Vec::with_capacity(children.len());
        for c in children {
            match c.as_rule() {
                // `name = value` is a field; the grammar reads it as a `decl` (see `entry`).
                Rule::decl => entries.push(match self.decl(c) {
                    Decl { name: None, body: DeclBody::Expr(value), kw, span, .. } => {
                        Entry::Field(Field { name: kw, value, span })
                    }
                    d => Entry::Decl(Box::new(d)),
                }),
                Rule::let_item => entries.push(Entry::Let(Box::new(self.let_item(c)))),
                Rule::spread => {
                    let sspan = self.span(&c);
                    let e = self
                        .children(c)
                        .into_iter()
                        .next()
                        .map(|x| self.expr(x))
                        .unwrap_or(Expr { kind: ExprKind::Error, span: sspan });
                    entries.push(Entry::Spread(e));
                }
                Rule::bad_entry => {
                    let espan = self.span(&c);
                    self.recover(Rule::entry_only, c.as_str(), espan.start as usize, "a field");
                    entries.push(Entry::Error(espan));
                }
                _ => {}
            }
        }
        Block { entries, span }
    }

    fn ty(&mut self, p: Pair<'_, Rule>) -> TypeExpr {
        let span = self.span(&p);
        let mut kind = None;
        let mut optional = false;
        for c in self.children(p) {
            match c.as_rule() {
                Rule::optional_mark => optional = true,
                Rule::ty_path => {
                    let idents = self.children(c).iter().map(|i| self.ident(i)).collect();
                    kind = Some(TypeKind::Named(idents));
                }
                Rule::list_ty => {
                    let inner = self.children(c).into_iter().next();
                    let inner = inner.map(|i| self.ty(i)).unwrap_or_else(|| error_type(span));
                    kind = Some(TypeKind::List(Box::new(inner)));
                }
                Rule::map_ty => {
                    let mut parts = self.children(c).into_iter();
                    let k = parts.next().map(|i| self.ty(i)).unwrap_or_else(|| error_type(span));
                    let v = parts.next().map(|i| self.ty(i)).unwrap_or_else(|| error_type(span));
                    kind = Some(TypeKind::Map(Box::new(k), Box::new(v)));
                }
                _ => {}
            }
        }
        TypeExpr { kind: kind.unwrap_or(TypeKind::Named(Vec::new())), optional, span }
    }

    fn expr(&mut self, p: Pair<'_, Rule>) -> Expr {
        // Most expressions are one operand: no operator lists to build.
        if let Some(only) = only_child(&p)
            && only.as_rule() == Rule::postfix
        {
            return self.postfix(only);
        }
        let span = self.span(&p);
        let operators = p.clone().into_inner().filter(|c| binary_op(c.as_rule()).is_some()).count();
        if operators > MAX_CHAIN {
            return self.too_long(span);
        }
        // Operands (with their prefix operators) and the infix operators between them.
        let mut operands: Vec<Expr> = Vec::new();
        let mut ops: Vec<BinaryOp> = Vec::new();
        let mut prefixes: Vec<(UnaryOp, Span)> = Vec::new();
        for c in self.children(p) {
            let cspan = self.span(&c);
            match c.as_rule() {
                Rule::neg => prefixes.push((UnaryOp::Neg, cspan)),
                Rule::not => prefixes.push((UnaryOp::Not, cspan)),
                Rule::postfix => {
                    let mut e = self.postfix(c);
                    while let Some((op, ospan)) = prefixes.pop() {
                        let s = ospan.to(e.span);
                        e = Expr { kind: ExprKind::Unary(op, Box::new(e)), span: s };
                    }
                    operands.push(e);
                }
                rule => {
                    if let Some(op) = binary_op(rule) {
                        ops.push(op);
                    }
                }
            }
        }
        if operands.is_empty() {
            return Expr { kind: ExprKind::Error, span };
        }
        // Precedence climbing over the flat operand/operator lists (left-associative).
        let mut out: Vec<Expr> = Vec::new();
        let mut stack: Vec<BinaryOp> = Vec::new();
        let mut operands = operands.into_iter();
        if let Some(first) = operands.next() {
            out.push(first);
        }
        for (op, rhs) in ops.into_iter().zip(operands) {
            while let Some(&top) = stack.last() {
                if top.binding_power() >= op.binding_power() {
                    stack.pop();
                    reduce(&mut out, top);
                } else {
                    break;
                }
            }
            stack.push(op);
            out.push(rhs);
        }
        while let Some(op) = stack.pop() {
            reduce(&mut out, op);
        }
        out.pop().unwrap_or(Expr { kind: ExprKind::Error, span })
    }

    fn postfix(&mut self, p: Pair<'_, Rule>) -> Expr {
        // Most operands are a primary with nothing after it.
        if let Some(only) = only_child(&p)
            && !is_trivia(only.as_rule())
        {
            return self.primary(only);
        }
        let span = self.span(&p);
        if p.clone().into_inner().count() > MAX_CHAIN + 1 {
            return self.too_long(span);
        }
        let mut parts = self.children(p).into_iter();
        let Some(first) = parts.next() else {
            return Expr { kind: ExprKind::Error, span: Span::default() };
        };
        let mut e = self.primary(first);
        for c in parts {
            let cspan = self.span(&c);
            let span = e.span.to(cspan);
            e = match c.as_rule() {
                Rule::call => {
                    let children = self.children(c);
                    let mut args = Vec::with_capacity(children.len());
                    for a in children {
                        let mut name = None;
                        let mut value = None;
                        for x in self.children(a) {
                            match x.as_rule() {
                                Rule::ident => name = Some(self.ident(&x)),
                                Rule::expr => value = Some(self.expr(x)),
                                _ => {}
                            }
                        }
                        args.push(Arg { name, value: value.unwrap_or(Expr { kind: ExprKind::Error, span: cspan }) });
                    }
                    Expr { kind: ExprKind::Call(Box::new(e), args), span }
                }
                Rule::member => {
                    let id = self.children(c).into_iter().next().map(|i| self.ident(&i));
                    let id = id.unwrap_or_else(|| missing_ident(cspan));
                    Expr { kind: ExprKind::Member(Box::new(e), id), span }
                }
                Rule::index => {
                    let ix = self.children(c).into_iter().next().map(|i| self.expr(i));
                    let ix = ix.unwrap_or(Expr { kind: ExprKind::Error, span: cspan });
                    Expr { kind: ExprKind::Index(Box::new(e), Box::new(ix)), span }
                }
                _ => e,
            };
        }
        e
    }

    fn primary(&mut self, p: Pair<'_, Rule>) -> Expr {
        let span = self.span(&p);
        let kind = match p.as_rule() {
            Rule::number => {
                let text = p.as_str();
                let parts = self.children(p);
                if let Some(unit) = parts.iter().find(|c| c.as_rule() == Rule::unit) {
                    let number = parts.first().map_or("", |n| n.as_str()).to_string();
                    ExprKind::Quantity { number, unit: unit.as_str().to_string() }
                } else if parts.first().map(|c| c.as_rule()) == Some(Rule::float) {
                    match text.parse::<f64>() {
                        Ok(f) => ExprKind::Float(f),
                        Err(_) => ExprKind::Error,
                    }
                } else {
                    match text.parse::<i64>() {
                        Ok(i) => ExprKind::Int(i),
                        Err(_) => {
                            self.diags.push(
                                Diagnostic::new(
                                    Code::OutOfRange,
                                    "integer literal is too large",
                                    span,
                                    "does not fit in 64 bits",
                                )
                                .with_help(format!(
                                    "integers range from {} to {}",
                                    i64::MIN,
                                    i64::MAX
                                )),
                            );
                            ExprKind::Error
                        }
                    }
                }
            }
            Rule::string => ExprKind::Str(self.string_parts(p)),
            Rule::ml_string => ExprKind::Str(self.ml_string(p)),
            Rule::boolean => ExprKind::Bool(p.as_str() == "true"),
            Rule::null => ExprKind::Null,
            Rule::paren => {
                return self
                    .children(p)
                    .into_iter()
                    .next()
                    .map(|c| {
                        let mut e = self.expr(c);
                        e.span = span;
                        e
                    })
                    .unwrap_or(Expr { kind: ExprKind::Error, span });
            }
            Rule::if_expr => {
                let mut exprs: Vec<Expr> = Vec::new();
                let mut branches = Vec::new();
                for c in self.children(p) {
                    match c.as_rule() {
                        Rule::expr => exprs.push(self.expr(c)),
                        Rule::else_if => {
                            let mut parts: Vec<Expr> = Vec::new();
                            for x in self.children(c) {
                                if x.as_rule() == Rule::expr {
                                    parts.push(self.expr(x));
                                }
                            }
                            if let Ok([cond, then]) = <[Expr; 2]>::try_from(parts) {
                                branches.push((cond, then));
                            }
                        }
                        _ => {}
                    }
                }
                match <[Expr; 3]>::try_from(exprs) {
                    Ok([cond, then, otherwise]) => {
                        branches.insert(0, (cond, then));
                        ExprKind::If(branches, Box::new(otherwise))
                    }
                    Err(_) => ExprKind::Error,
                }
            }
            Rule::path => {
                let children = self.children(p);
                let mut path = Vec::with_capacity(children.len());
                let mut block = None;
                for c in children {
                    match c.as_rule() {
                        Rule::ident => path.push(self.ident(&c)),
                        Rule::block => block = Some(self.block(c)),
                        _ => {}
                    }
                }
                match (block, path.len()) {
                    (Some(b), _) => ExprKind::TypedRecord(path, b),
                    (None, 1) => ExprKind::Name(path.remove(0)),
                    _ => ExprKind::Error,
                }
            }
            Rule::list => {
                let children = self.children(p);
                let mut items = Vec::with_capacity(children.len());
                for c in children {
                    if c.as_rule() == Rule::bad_element {
                        let espan = self.span(&c);
                        self.recover(Rule::expr_only, c.as_str(), espan.start as usize, "a list element");
                        items.push(Expr { kind: ExprKind::Error, span: espan });
                    } else {
                        items.push(self.expr(c));
                    }
                }
                ExprKind::List(items)
            }
            Rule::map => {
                let children = self.children(p);
                let mut entries = Vec::with_capacity(children.len());
                for c in children {
                    let mut parts = self.children(c).into_iter();
                    let (Some(k), Some(v)) = (parts.next(), parts.next()) else { continue };
                    let kspan = self.span(&k);
                    let parts = if k.as_rule() == Rule::string {
                        self.string_parts(k)
                    } else {
                        vec![StrPart::Text(k.as_str().to_string())]
                    };
                    entries.push((MapKey { parts, span: kspan }, self.expr(v)));
                }
                ExprKind::Map(entries)
            }
            Rule::record => match self.children(p).into_iter().next() {
                Some(b) => ExprKind::Record(self.block(b)),
                None => ExprKind::Error,
            },
            _ => ExprKind::Error,
        };
        Expr { kind, span }
    }

    /// A multi-line string's parts: its content lines without the closing line's indentation,
    /// each with its newline.
    fn ml_string(&mut self, p: Pair<'_, Rule>) -> Vec<StrPart> {
        let whole = self.span(&p);
        let (mut open, mut lines, mut close) = (None, Vec::new(), None);
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::ml_open => open = Some(c),
                Rule::ml_line | Rule::ml_line_lf => lines.push(c),
                Rule::ml_close => close = Some(c),
                _ => {}
            }
        }
        if let Some(o) = open.filter(|o| !o.as_str().trim().is_empty()) {
            let span = self.span(&o);
            self.diags.push(
                Diagnostic::new(Code::SyntaxError, "text after the opening `\"\"\"`", span, "not part of the string")
                    .with_help("a multi-line string starts on the line after its `\"\"\"`"),
            );
        }
        let indent = match &close {
            Some(c) => c.as_str().trim_end_matches('"'),
            None => {
                let at = whole.start as usize;
                self.diags.push(
                    Diagnostic::new(
                        Code::SyntaxError,
                        "multi-line string is never closed",
                        Span::new(self.file, at, at + 3),
                        "this `\"\"\"` has no closing line",
                    )
                    .with_help("end the string with a line that holds only `\"\"\"`"),
                );
                ""
            }
        };
        let mut parts: Vec<StrPart> = Vec::new();
        let push_text = |parts: &mut Vec<StrPart>, s: &str| match parts.last_mut() {
            Some(StrPart::Text(t)) => t.push_str(s),
            _ => parts.push(StrPart::Text(s.to_string())),
        };
        for line in lines {
            let text = line.as_str();
            if !text.trim().is_empty() {
                let mut skip = indent.len();
                if !text.starts_with(indent) {
                    let at = self.base + line.as_span().start();
                    let shown = text.len() - text.trim_start().len();
                    self.diags.push(
                        Diagnostic::new(
                            Code::SyntaxError,
                            "this line is indented less than the closing `\"\"\"`",
                            Span::new(self.file, at, at + shown.max(1)),
                            "less indentation than the closing line",
                        )
                        .with_help("the closing `\"\"\"` sets how much indentation every line loses: indent this line at least as far"),
                    );
                    skip = text.len() - text.trim_start().len();
                }
                for c in line.into_inner() {
                    match c.as_rule() {
                        Rule::ml_text | Rule::ml_text_lf => {
                            let t = c.as_str();
                            let cut = skip.min(t.len());
                            skip -= cut;
                            push_text(&mut parts, &t[cut..]);
                        }
                        Rule::ml_dollar => push_text(&mut parts, "${"),
                        Rule::interp => {
                            if let Some(body) = c.into_inner().find(|b| b.as_rule() == Rule::interp_body) {
                                let e = self.interpolation(body.as_str(), body.as_span().start());
                                parts.push(StrPart::Interp(e));
                            }
                        }
                        Rule::ml_broken => {
                            let span = self.span(&c);
                            let at = span.start as usize;
                            self.diags.push(
                                Diagnostic::new(
                                    Code::SyntaxError,
                                    "interpolation is never closed on its line",
                                    Span::new(self.file, at, at + 2),
                                    "this `${` has no `}` on its line",
                                )
                                .with_help("close it with `}` on the same line, or write `$${` for a literal `${`"),
                            );
                        }
                        _ => {}
                    }
                }
            }
            push_text(&mut parts, "\n");
        }
        if parts.is_empty() {
            parts.push(StrPart::Text(String::new()));
        }
        parts
    }

    fn string_parts(&mut self, p: Pair<'_, Rule>) -> Vec<StrPart> {
        // Most strings are one piece of text: a vector of exactly that many parts, and the
        // text copied once.
        let children = self.children(p);
        if let [only] = children.as_slice()
            && only.as_rule() == Rule::text
        {
            return vec![StrPart::Text(only.as_str().to_string())];
        }
        let mut parts: Vec<StrPart> = Vec::with_capacity(children.len());
        let push_text = |parts: &mut Vec<StrPart>, s: &str| {
            if let Some(StrPart::Text(t)) = parts.last_mut() {
                t.push_str(s);
            } else {
                parts.push(StrPart::Text(s.to_string()));
            }
        };
        for c in children {
            match c.as_rule() {
                Rule::text => push_text(&mut parts, c.as_str()),
                Rule::escape => {
                    let s = c.as_str();
                    let decoded = match s {
                        "\\n" => "\n".to_string(),
                        "\\t" => "\t".to_string(),
                        "\\r" => "\r".to_string(),
                        "\\\"" => "\"".to_string(),
                        "\\\\" => "\\".to_string(),
                        "\\$" => "$".to_string(),
                        _ => {
                            let hex = s.trim_start_matches("\\u{").trim_end_matches('}');
                            match u32::from_str_radix(hex, 16).ok().and_then(char::from_u32) {
                                Some(ch) => ch.to_string(),
                                None => {
                                    let span = self.span(&c);
                                    self.diags.push(Diagnostic::new(
                                        Code::SyntaxError,
                                        format!("`{s}` is not a valid unicode escape"),
                                        span,
                                        "not a unicode scalar value",
                                    ));
                                    String::new()
                                }
                            }
                        }
                    };
                    push_text(&mut parts, &decoded);
                }
                Rule::interp => {
                    if let Some(body) = c.into_inner().find(|b| b.as_rule() == Rule::interp_body) {
                        let e = self.interpolation(body.as_str(), body.as_span().start());
                        parts.push(StrPart::Interp(e));
                    }
                }
                _ => {}
            }
        }
        parts
    }

    /// Re-parse recovered text with a strict rule to report what exactly is wrong with it.
    fn recover(&mut self, rule: Rule, text: &str, offset: usize, what: &str) {
        if let Some(q) = unterminated_string(text) {
            let span = Span::new(self.file, offset + q, offset + q + 1);
            self.diags.push(
                Diagnostic::new(Code::SyntaxError, "unterminated string", span, "this string is never closed")
                    .with_help("a string ends with `\"` on the same line"),
            );
            return;
        }
        let strict = {
            // pest's switch for tracking attempts is process-wide. One lock serialises the
            // strict re-parses, so that a thread never switches it off under another's; a
            // tolerant parse that runs meanwhile is only slower, never different.
            static DETAIL: std::sync::Mutex<()> = std::sync::Mutex::new(());
            let _guard = DETAIL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            pest::set_error_detail(true);
            let strict = HlParser::parse(rule, text);
            pest::set_error_detail(false);
            strict
        };
        match strict {
            Err(e) => self.push_pest_error(&e, offset),
            Ok(_) => {
                // The text is fine on its own but not where it stands.
                let span = Span::new(self.file, offset, offset + text.trim_end().len());
                self.diags.push(Diagnostic::new(
                    Code::SyntaxError,
                    format!("expected {what} here"),
                    span,
                    "not allowed in this position",
                ));
            }
        }
    }

    fn push_pest_error(&mut self, e: &pest::error::Error<Rule>, offset: usize) {
        if let ErrorVariant::CustomError { message } = &e.variant
            && message.contains("call limit")
        {
            // The backstop of `MAX_PARSE_STEPS`: report it where the parse stood.
            let pos = match e.location {
                InputLocation::Pos(p) => p,
                InputLocation::Span((s, _)) => s,
            };
            let at = (offset + pos).min(self.base + self.len);
            self.diags.push(
                Diagnostic::new(
                    Code::NestingTooDeep,
                    format!("this text takes the parser more than {MAX_PARSE_STEPS} steps to read"),
                    Span::new(self.file, at, at),
                    "the parser gave up here",
                )
                .with_help("split the file, or close the brackets and strings left open around here"),
            );
            return;
        }
        let (pos, mut expected) = match e.parse_attempts() {
            Some(attempts) => {
                let mut names: Vec<String> = attempts
                    .expected_tokens()
                    .into_iter()
                    .filter_map(|t| {
                        let token = t.to_string();
                        if token == "_" {
                            // The one literal that starts an identifier.
                            return Some("a name".to_string());
                        }
                        is_token_worth_naming(&token).then(|| format!("`{token}`"))
                    })
                    .collect();
                for cs in attempts.call_stacks() {
                    if let Some(n) = cs.deepest.get_rule().and_then(|r| rule_name(*r)) {
                        names.push(n.to_string());
                    }
                }
                (attempts.max_position, names)
            }
            None => {
                let pos = match e.location {
                    InputLocation::Pos(p) => p,
                    InputLocation::Span((s, _)) => s,
                };
                let names = match &e.variant {
                    ErrorVariant::ParsingError { positives, .. } => {
                        positives.iter().filter_map(|r| rule_name(*r)).map(str::to_string).collect()
                    }
                    ErrorVariant::CustomError { .. } => Vec::new(),
                };
                (pos, names)
            }
        };
        expected.sort();
        expected.dedup();
        // `offset` and the spans are the file's; `self.text` starts at `self.base`.
        let abs = offset + pos;
        let (local, local_from) = (abs.saturating_sub(self.base), offset.saturating_sub(self.base));
        let found = describe_found(self.text, local);
        // Report at the end of the previous token rather than after skipped whitespace.
        let mut at = local;
        while at > local_from && self.text.as_bytes().get(at - 1).is_some_and(|b| b.is_ascii_whitespace()) {
            at -= 1;
        }
        let span = if at < local {
            Span::new(self.file, self.base + at, self.base + at)
        } else {
            Span::new(self.file, abs, abs + found_len(self.text, local))
        };
        let expected = if expected.is_empty() { "valid hl".to_string() } else { join_or(&expected) };
        let msg = format!("expected {expected}, found {found}");
        self.diags.push(Diagnostic::new(Code::SyntaxError, msg, span, format!("expected {expected}")));
    }
}

/// Whitespace and comment openers are always acceptable; naming them helps nobody.
fn is_token_worth_naming(token: &str) -> bool {
    // Character ranges (`a..z`) and built-in rules print as placeholders; skip them too.
    // `"""` opens a multi-line string where `"` opens a string: naming `"` says it.
    let placeholder = matches!(token, "//" | "///" | "/*" | "BUILTIN_RULE" | "\"\"\"");
    let range = token.len() > 2 && token.contains("..");
    !(placeholder || range || token.trim().is_empty())
}

fn reduce(out: &mut Vec<Expr>, op: BinaryOp) {
    let (Some(rhs), Some(lhs)) = (out.pop(), out.pop()) else { return };
    let span = lhs.span.to(rhs.span);
    out.push(Expr { kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)), span });
}

fn binary_op(rule: Rule) -> Option<BinaryOp> {
    Some(match rule {
        Rule::or => BinaryOp::Or,
        Rule::and => BinaryOp::And,
        Rule::eq => BinaryOp::Eq,
        Rule::ne => BinaryOp::Ne,
        Rule::lt => BinaryOp::Lt,
        Rule::le => BinaryOp::Le,
        Rule::gt => BinaryOp::Gt,
        Rule::ge => BinaryOp::Ge,
        Rule::add => BinaryOp::Add,
        Rule::sub => BinaryOp::Sub,
        Rule::mul => BinaryOp::Mul,
        Rule::div => BinaryOp::Div,
        Rule::rem => BinaryOp::Rem,
        _ => return None,
    })
}

fn rule_name(r: Rule) -> Option<&'static str> {
    Some(match r {
        Rule::ident | Rule::path | Rule::ty_path => "a name",
        Rule::expr | Rule::primary => "a value",
        Rule::int | Rule::number | Rule::float => "a number",
        Rule::string => "a string",
        Rule::ty => "a type",
        Rule::block | Rule::record => "`{`",
        Rule::decl | Rule::entry => "a field",
        Rule::import | Rule::let_item | Rule::schema | Rule::enum_def | Rule::fn_def => "an item",
        Rule::EOI => "end of input",
        Rule::call => "`(`",
        Rule::member => "`.`",
        Rule::index => "`[`",
        Rule::param => "a parameter",
        Rule::arg => "an argument",
        Rule::variant => "a variant",
        Rule::field_def => "a field definition",
        Rule::map_entry => "a map entry",
        Rule::or
        | Rule::and
        | Rule::eq
        | Rule::ne
        | Rule::lt
        | Rule::le
        | Rule::gt
        | Rule::ge
        | Rule::add
        | Rule::sub
        | Rule::mul
        | Rule::div
        | Rule::rem => "an operator",
        Rule::optional_mark => "`?`",
        Rule::spread => "`..`",
        _ => return None,
    })
}

fn join_or<S: AsRef<str>>(names: &[S]) -> String {
    let names: Vec<&str> = names.iter().map(AsRef::as_ref).collect();
    match names.len() {
        0 => String::new(),
        1 => names[0].to_string(),
        n => format!("{} or {}", names[..n - 1].join(", "), names[n - 1]),
    }
}

fn describe_found(text: &str, at: usize) -> String {
    match text.get(at..).and_then(|s| s.chars().next()) {
        None => "end of file".to_string(),
        Some('\n') => "end of line".to_string(),
        Some(c) => {
            let tok: String =
                text[at..].chars().take_while(|ch| ch.is_alphanumeric() || *ch == '_' || *ch == '-').take(32).collect();
            if tok.is_empty() { format!("`{c}`") } else { format!("`{tok}`") }
        }
    }
}

fn found_len(text: &str, at: usize) -> usize {
    match text.get(at..).and_then(|s| s.chars().next()) {
        None | Some('\n') => 0,
        Some(c) => {
            let n: usize = text[at..]
                .chars()
                .take_while(|ch| ch.is_alphanumeric() || *ch == '_' || *ch == '-')
                .map(char::len_utf8)
                .sum();
            if n == 0 { c.len_utf8() } else { n }
        }
    }
}

fn missing_ident(span: Span) -> Ident {
    Ident { name: String::new(), span }
}

fn error_type(span: Span) -> TypeExpr {
    TypeExpr { kind: TypeKind::Named(Vec::new()), optional: false, span }
}

/// Attach `///` comments to the item, field or variant that directly follows them.
fn attach_docs(file: &mut SourceFile, text: &str) {
    let docs: Vec<&Comment> = file.comments.iter().filter(|c| c.kind == CommentKind::Doc).collect();
    if docs.is_empty() {
        return;
    }
    // A `///` documents what follows only from a line of its own or after the `{` that opens
    // the schema or enum (the formatter moves it to a line of its own): after a field or a
    // variant on its line it is a comment about that one. Commas count as blank between a doc
    // comment and what it documents (the formatter drops the optional ones, and must not
    // change what is documented).
    let starts_line = |c: &Comment| {
        let before = text.get(..c.span.start as usize).unwrap_or("");
        let line = before[before.rfind('\n').map_or(0, |i| i + 1)..].trim();
        line.is_empty() || line.ends_with('{')
    };
    let doc_for = |start: u32| -> Option<String> {
        // Walk back over doc comments separated only by whitespace (and commas).
        let mut lines = Vec::new();
        let mut cursor = start as usize;
        for c in docs.iter().rev() {
            if c.span.end as usize > cursor {
                continue;
            }
            let gap = text.get(c.span.end as usize..cursor).unwrap_or("x");
            if !gap.chars().all(|ch| ch.is_whitespace() || ch == ',') || !starts_line(c) {
                break;
            }
            lines.push(c.text.trim_start_matches("///").trim().to_string());
            cursor = c.span.start as usize;
        }
        if lines.is_empty() {
            return None;
        }
        lines.reverse();
        Some(lines.join("\n"))
    };
    for item in &mut file.items {
        match item {
            Item::Let(l) => l.doc = doc_for(l.span.start),
            Item::Schema(s) => {
                s.doc = doc_for(s.span.start);
                for f in &mut s.fields {
                    f.doc = doc_for(f.span.start);
                }
            }
            Item::Enum(e) => {
                e.doc = doc_for(e.span.start);
                for v in &mut e.variants {
                    v.doc = doc_for(v.span.start);
                }
            }
            Item::Fn(f) => f.doc = doc_for(f.span.start),
            Item::Decl(d) => d.doc = doc_for(d.span.start),
            Item::Import(_) | Item::Error(_) => {}
        }
    }
}
