//! The canonical layout of hl source (`hlc fmt`).
//!
//! The formatter prints the syntax tree again; it never edits text. What it keeps from the
//! source is only what the tree cannot say: comments (every one, in order, on its own line or
//! at the end of the line it ended) and whether two neighbours were separated by a blank line
//! (at most one is kept). Everything else follows from the tree and the line width:
//!
//! - two spaces per level; blocks, lists, maps and argument lists open on the line that
//!   introduces them and close on a line of their own, with one entry per line (and a trailing
//!   comma in lists, maps and arguments);
//! - a list, map, argument list or expression stays on one line when it fits in [`WIDTH`]
//!   columns and holds no comment, and so does a block of plain fields
//!   (`resources { cpu = 15m, memory = 256Mi }`); a block that declares things
//!   (`service web { port http = 80 }`) or a top-level declaration (`stack x { ... }`) is always
//!   laid out one entry per line; a call whose only argument is a literal too long for the line
//!   stays on one line, since breaking it would not make it fit;
//! - literals (numbers, quantities, strings) are printed exactly as written; `||`, `&&` and
//!   `!` become `or`, `and` and `not`; parentheses are printed where precedence needs them and
//!   kept where the author put them around an operand of an operator.
//!
//! Invariants, tested over every `.hl` file of the repository: the output parses to the same
//! tree (so compiles to the same bytes), and formatting it again changes nothing.

#![forbid(unsafe_code)]

use hl_diagnostics::{Diagnostic, FileId};
use hl_syntax::ast::*;

/// The line width the layout aims for. Literals longer than that are never split.
pub const WIDTH: usize = 120;

/// Format one file. Source with syntax errors is not formatted: its diagnostics are returned.
pub fn format(file: FileId, text: &str) -> Result<String, Vec<Diagnostic>> {
    let parsed = hl_syntax::parse(file, text);
    if !parsed.errors.is_empty() {
        return Err(parsed.errors);
    }
    let mut p = Printer {
        src: text,
        comments: &parsed.file.comments,
        next: 0,
        out: String::with_capacity(text.len() + text.len() / 8),
        indent: 0,
        last_end: 0,
        at_block_start: true,
    };
    p.file(&parsed.file);
    Ok(p.out)
}

struct Printer<'a> {
    src: &'a str,
    comments: &'a [Comment],
    /// The first comment not printed yet.
    next: usize,
    out: String,
    indent: usize,
    /// Source offset just after the last node or comment printed (to find blank lines).
    last_end: usize,
    /// Nothing printed yet since the last `{` (or the start of the file): no blank line here.
    at_block_start: bool,
}

fn start(span: hl_diagnostics::Span) -> usize {
    span.start as usize
}

fn end(span: hl_diagnostics::Span) -> usize {
    span.end as usize
}

impl Printer<'_> {
    // ------------------------------------------------------------------ output primitives

    fn at_line_start(&self) -> bool {
        self.out.is_empty() || self.out.ends_with('\n')
    }

    fn w(&mut self, s: &str) {
        if s.is_empty() {
            return;
        }
        if self.at_line_start() {
            for _ in 0..self.indent {
                self.out.push_str("  ");
            }
        }
        self.out.push_str(s);
        self.at_block_start = false;
    }

    fn nl(&mut self) {
        self.out.push('\n');
    }

    fn blank(&mut self) {
        if !self.out.is_empty() && !self.out.ends_with("\n\n") {
            if !self.at_line_start() {
                self.nl();
            }
            self.nl();
        }
    }

    /// The column the next character lands in.
    fn col(&self) -> usize {
        let line = match self.out.rfind('\n') {
            Some(i) => &self.out[i + 1..],
            None => &self.out[..],
        };
        if line.is_empty() { self.indent * 2 } else { line.chars().count() }
    }

    fn fits(&self, s: &str, suffix: usize) -> bool {
        !s.contains('\n') && self.col() + s.chars().count() + suffix <= WIDTH
    }

    // ------------------------------------------------------------------ comments

    fn has_comment(&self, from: usize, to: usize) -> bool {
        let i = self.comments.partition_point(|c| start(c.span) < from);
        self.comments.get(i).is_some_and(|c| start(c.span) < to)
    }

    fn blank_between(&self, from: usize, to: usize) -> bool {
        from < to && self.src.get(from..to).is_some_and(|gap| gap.matches('\n').count() >= 2)
    }

    /// Print the comments that come before `pos` on lines of their own, then the blank line
    /// that separated the next node from what came before it, if there was one.
    fn leading(&mut self, pos: usize) {
        while let Some(c) = self.comments.get(self.next) {
            if start(c.span) >= pos {
                break;
            }
            if !self.at_line_start() {
                self.nl();
            }
            if !self.at_block_start && self.blank_between(self.last_end, start(c.span)) {
                self.blank();
            }
            self.w(c.text.trim_end());
            self.nl();
            self.last_end = end(c.span);
            self.next += 1;
        }
        if !self.at_block_start && self.blank_between(self.last_end, pos) {
            self.blank();
        }
    }

    /// After a node that ended at `node_end`: print the comment that follows it on the same
    /// line, and any comment inside the node that no slot of the layout took.
    fn trailing(&mut self, node_end: usize) {
        let mut printed = false;
        while let Some(c) = self.comments.get(self.next) {
            let s = start(c.span);
            let inside = s < node_end;
            let same_line = !printed
                && s >= node_end
                && self.src.get(self.last_end.max(node_end)..s).is_some_and(|gap| !gap.contains('\n'));
            if !inside && !same_line {
                break;
            }
            if printed || self.at_line_start() {
                if !self.at_line_start() {
                    self.nl();
                }
            } else {
                self.out.push(' ');
            }
            self.w(c.text.trim_end());
            printed = true;
            self.last_end = self.last_end.max(end(c.span));
            self.next += 1;
        }
        self.last_end = self.last_end.max(node_end);
    }

    // ------------------------------------------------------------------ items

    fn file(&mut self, f: &SourceFile) {
        let mut prev_multiline = false;
        for item in &f.items {
            let span = item.span();
            if prev_multiline && !self.at_block_start {
                self.blank();
            }
            let before_comments = self.out.len();
            self.leading(start(span));
            let before = self.out.len();
            self.item(item);
            prev_multiline = self.out[before..].trim_end().contains('\n');
            // A multi-line item is set off by a blank line on both sides.
            if prev_multiline
                && before_comments > 0
                && !self.out[..before_comments].ends_with("\n\n")
                && !self.out[before_comments..].starts_with('\n')
            {
                self.out.insert(before_comments, '\n');
            }
            self.trailing(end(span));
            self.nl();
        }
        self.leading(self.src.len());
        let trimmed = self.out.trim_end().len();
        self.out.truncate(trimmed);
        if !self.out.is_empty() {
            self.nl();
        }
    }

    fn item(&mut self, item: &Item) {
        match item {
            Item::Import(i) => {
                self.w("import ");
                let path = self.slice(i.path_span).to_string();
                self.w(&path);
                if let Some(a) = &i.alias {
                    self.w(" as ");
                    self.w(&a.name);
                }
            }
            Item::Let(l) => self.let_(l),
            Item::Schema(s) => self.schema(s),
            Item::Enum(e) => self.enum_(e),
            Item::Fn(f) => self.fn_(f),
            Item::Decl(d) => self.decl(d, true),
            Item::Error(span) => self.verbatim(*span),
        }
    }

    fn slice(&self, span: hl_diagnostics::Span) -> &str {
        self.src.get(start(span)..end(span)).unwrap_or_default()
    }

    fn verbatim(&mut self, span: hl_diagnostics::Span) {
        let text = self.slice(span).to_string();
        self.w(&text);
    }

    fn let_(&mut self, l: &Let) {
        self.w("let ");
        self.w(&l.name.name);
        if let Some(t) = &l.ty {
            self.w(": ");
            self.w(&ty(t));
        }
        self.w(" = ");
        self.expr(&l.value, 0);
    }

    fn schema(&mut self, s: &Schema) {
        self.w("schema ");
        self.w(&s.name.name);
        self.w(" {");
        self.open(s.span);
        for f in &s.fields {
            self.leading(start(f.span));
            self.w(&f.name.name);
            if f.optional {
                self.w("?");
            }
            self.w(": ");
            self.w(&ty(&f.ty));
            if let Some(d) = &f.default {
                self.w(" = ");
                self.expr(d, 0);
            }
            self.trailing(end(f.span));
            self.nl();
        }
        self.close(s.span);
    }

    fn enum_(&mut self, e: &EnumDef) {
        self.w("enum ");
        self.w(&e.name.name);
        let flat: Vec<String> = e.variants.iter().map(variant).collect();
        let line = if flat.is_empty() { " {}".to_string() } else { format!(" {{ {} }}", flat.join(", ")) };
        if !self.has_comment(start(e.name.span), end(e.span)) && self.fits(&line, 0) {
            self.w(&line);
            return;
        }
        self.w(" {");
        self.open(e.span);
        for v in &e.variants {
            self.leading(start(v.span));
            self.w(&variant(v));
            self.trailing(end(v.span));
            self.nl();
        }
        self.close(e.span);
    }

    fn fn_(&mut self, f: &FnDef) {
        self.w("fn ");
        self.w(&f.name.name);
        let ret = f.ret.as_ref().map(|t| format!(" -> {}", ty(t))).unwrap_or_default();
        let params: Option<Vec<String>> = f.params.iter().map(|p| self.flat_param(p)).collect();
        let header = params.map(|ps| format!("({}){ret} =", ps.join(", ")));
        let params_span_end = f.params.last().map(|p| end(p.span)).unwrap_or(start(f.name.span));
        match header {
            Some(h) if self.fits(&h, 0) && !self.has_comment(start(f.name.span), params_span_end) => self.w(&h),
            _ => {
                self.w("(");
                self.indent += 1;
                self.nl();
                self.at_block_start = true;
                self.last_end = end(f.name.span);
                for p in &f.params {
                    self.leading(start(p.span));
                    self.w(&p.name.name);
                    self.w(": ");
                    self.w(&ty(&p.ty));
                    if let Some(d) = &p.default {
                        self.w(" = ");
                        self.expr(d, 1);
                    }
                    self.w(",");
                    self.trailing(end(p.span));
                    self.nl();
                }
                self.indent -= 1;
                self.w(")");
                self.w(&ret);
                self.w(" =");
            }
        }
        self.body(&f.body);
    }

    /// The right-hand side of a function: on the same line when it fits or is a record that
    /// opens there, otherwise on the next line, indented.
    fn body(&mut self, body: &Expr) {
        let hug = matches!(body.kind, ExprKind::Record(_) | ExprKind::TypedRecord(..));
        let flat = self.flat(body);
        if hug || flat.as_ref().is_some_and(|s| self.fits(s, 1)) {
            self.w(" ");
            self.expr(body, 0);
        } else {
            self.indent += 1;
            self.nl();
            self.expr(body, 0);
            self.indent -= 1;
        }
    }

    fn flat_param(&self, p: &Param) -> Option<String> {
        let mut s = format!("{}: {}", p.name.name, ty(&p.ty));
        if let Some(d) = &p.default {
            s.push_str(" = ");
            s.push_str(&self.flat(d)?);
        }
        Some(s)
    }

    // ------------------------------------------------------------------ blocks

    /// After an opening `{`: the entries start on the next line, one level deeper.
    fn open(&mut self, span: hl_diagnostics::Span) {
        self.indent += 1;
        self.nl();
        self.at_block_start = true;
        self.last_end = start(span);
    }

    /// Before the closing `}` of `span`: the comments left inside it, then the brace.
    fn close(&mut self, span: hl_diagnostics::Span) {
        self.leading(end(span).saturating_sub(1));
        self.indent -= 1;
        if !self.at_line_start() {
            self.nl();
        }
        // An empty block prints as `{}`.
        if self.out.ends_with("{\n") {
            self.out.pop();
            self.out.push('}');
        } else {
            self.w("}");
        }
        self.at_block_start = false;
        self.last_end = end(span);
    }

    fn decl(&mut self, d: &Decl, top_level: bool) {
        self.w(&d.kw.name);
        if let Some(n) = &d.name {
            self.w(" ");
            // A quoted name (`stack "media..old"`) is printed as written, quotes and all.
            let written = self.src.get(n.span.start as usize..n.span.end as usize).unwrap_or_default();
            let name = if written.starts_with('"') { written.to_string() } else { n.name.clone() };
            self.w(&name);
        }
        match &d.body {
            DeclBody::Expr(e) => {
                self.w(" = ");
                self.expr(e, 0);
            }
            DeclBody::Block(b) => {
                self.w(" ");
                self.block(b, top_level, 0);
            }
        }
    }

    fn block(&mut self, b: &Block, expand: bool, suffix: usize) {
        if !expand
            && let Some(s) = self.flat_block(b)
            && self.fits(&s, suffix)
        {
            self.w(&s);
            return;
        }
        self.w("{");
        self.open(b.span);
        for e in &b.entries {
            let span = entry_span(e);
            self.leading(start(span));
            match e {
                Entry::Field(f) => {
                    self.w(&f.name.name);
                    self.w(" = ");
                    self.expr(&f.value, 0);
                }
                Entry::Decl(d) => self.decl(d, false),
                Entry::Spread(x) => {
                    self.w("..");
                    self.expr(x, 0);
                }
                Entry::Let(l) => self.let_(l),
                Entry::Error(span) => self.verbatim(*span),
            }
            self.trailing(end(span));
            self.nl();
        }
        self.close(b.span);
    }

    /// A block on one line: only plain fields, no comment.
    fn flat_block(&self, b: &Block) -> Option<String> {
        if self.has_comment(start(b.span), end(b.span)) {
            return None;
        }
        if b.entries.is_empty() {
            return Some("{}".to_string());
        }
        let mut parts = Vec::with_capacity(b.entries.len());
        for e in &b.entries {
            let Entry::Field(f) = e else { return None };
            parts.push(format!("{} = {}", f.name.name, self.flat(&f.value)?));
        }
        Some(format!("{{ {} }}", parts.join(", ")))
    }

    // ------------------------------------------------------------------ expressions

    /// Print `e`; `suffix` columns follow it on the line (a comma, a closing bracket).
    fn expr(&mut self, e: &Expr, suffix: usize) {
        if let Some(s) = self.flat(e)
            && self.fits(&s, suffix)
        {
            self.w(&s);
            return;
        }
        self.broken(e, suffix);
    }

    fn broken(&mut self, e: &Expr, suffix: usize) {
        let (inner_start, inner_end) = self.unparen(e.span);
        match &e.kind {
            ExprKind::List(items) => {
                if items.is_empty() {
                    self.w("[]");
                    return;
                }
                self.w("[");
                self.open_at(inner_start);
                for x in items {
                    self.leading(start(x.span));
                    self.expr(x, 1);
                    self.w(",");
                    self.trailing(end(x.span));
                    self.nl();
                }
                self.close_at(inner_end, "]");
            }
            ExprKind::Map(entries) => {
                self.w("{");
                self.open_at(inner_start);
                for (k, v) in entries {
                    self.leading(start(k.span));
                    let key = self.slice(k.span).to_string();
                    self.w(&key);
                    self.w(": ");
                    self.expr(v, 1);
                    self.w(",");
                    self.trailing(end(v.span));
                    self.nl();
                }
                self.close_at(inner_end, "}");
            }
            ExprKind::Record(b) => self.block(b, true, suffix),
            ExprKind::TypedRecord(path, b) => {
                self.w(&dotted(path));
                self.w(" ");
                self.block(b, true, suffix);
            }
            ExprKind::Call(callee, args) => {
                self.postfix_base(callee);
                self.args(args, inner_end, suffix);
            }
            ExprKind::Member(base, name) => {
                self.postfix_base(base);
                self.w(".");
                self.w(&name.name);
            }
            ExprKind::Index(base, index) => {
                self.postfix_base(base);
                self.w("[");
                self.expr(index, 1 + suffix);
                self.w("]");
            }
            ExprKind::Unary(op, x) => {
                self.w(unary(*op));
                self.operand(x, operand_needs_parens(x), suffix);
            }
            ExprKind::Binary(op, l, r) => {
                let lp = self.binary_operand_parens(*op, l, false);
                let rp = self.binary_operand_parens(*op, r, true);
                self.operand(l, lp, 0);
                self.w(" ");
                self.w(op.symbol());
                let rhs = self.flat(r).map(|s| if rp { format!("({s})") } else { s });
                match rhs {
                    Some(s) if self.fits(&s, 1 + suffix) => {
                        self.w(" ");
                        self.w(&s);
                    }
                    _ => {
                        self.indent += 1;
                        self.nl();
                        self.operand(r, rp, suffix);
                        self.indent -= 1;
                    }
                }
            }
            ExprKind::If(branches, otherwise) => {
                for (i, (cond, then)) in branches.iter().enumerate() {
                    if i > 0 {
                        self.nl();
                        self.w("else ");
                    }
                    self.w("if ");
                    self.expr(cond, 5);
                    self.w(" then");
                    self.indent += 1;
                    self.nl();
                    self.expr(then, 0);
                    self.indent -= 1;
                }
                self.nl();
                self.w("else");
                self.indent += 1;
                self.nl();
                let nested = self.parenthesized_if(otherwise);
                self.operand(otherwise, nested, suffix);
                self.indent -= 1;
            }
            ExprKind::Str(_) if self.leaf(e).starts_with("\"\"\"") => self.ml_string(&self.leaf(e)),
            // Leaves have no broken form: they are printed as written.
            _ => {
                let s = self.flat(e).unwrap_or_else(|| self.leaf(e));
                self.w(&s);
            }
        }
    }

    /// A multi-line string, written as `text`: its content lines and closing `"""` one level
    /// deeper than the line it starts on. The closing line's indentation is what every content
    /// line loses, so moving both by the same amount keeps the value; blank lines carry no
    /// indentation.
    fn ml_string(&mut self, text: &str) {
        let mut lines: Vec<&str> = text.split('\n').collect();
        let close = lines.pop().unwrap_or_default();
        let indent = &close[..close.len() - close.trim_start().len()];
        self.w("\"\"\"");
        self.indent += 1;
        for line in lines.iter().skip(1) {
            self.nl();
            let line = line.strip_suffix('\r').unwrap_or(line);
            if !line.trim().is_empty() {
                self.w(line.strip_prefix(indent).unwrap_or(line));
            }
        }
        self.nl();
        self.w("\"\"\"");
        self.indent -= 1;
    }

    fn open_at(&mut self, pos: usize) {
        self.indent += 1;
        self.nl();
        self.at_block_start = true;
        self.last_end = pos;
    }

    fn close_at(&mut self, inner_end: usize, bracket: &str) {
        self.leading(inner_end.saturating_sub(1));
        self.indent -= 1;
        if !self.at_line_start() {
            self.nl();
        }
        self.w(bracket);
        self.last_end = inner_end;
    }

    /// Call arguments: on one line, hugging a single record/list/map/call argument, or one
    /// argument per line.
    fn args(&mut self, args: &[Arg], inner_end: usize, suffix: usize) {
        let flat: Option<Vec<String>> = args.iter().map(|a| self.flat_arg(a)).collect();
        let args_start = args.first().map(arg_start).unwrap_or(inner_end);
        if let Some(parts) = flat {
            let s = format!("({})", parts.join(", "));
            if self.fits(&s, suffix) && !self.has_comment(args_start, inner_end) {
                self.w(&s);
                return;
            }
        }
        // A lone literal too long for the line would not fit on the next one either.
        if let [a] = args
            && a.name.is_none()
            && self.is_leaf(&a.value)
            && let Some(s) = self.flat_arg(a)
        {
            self.w("(");
            self.w(&s);
            self.w(")");
            return;
        }
        if let [a] = args
            && matches!(
                a.value.kind,
                ExprKind::Record(_) | ExprKind::TypedRecord(..) | ExprKind::List(_) | ExprKind::Map(_)
            )
            && !self.has_comment(args_start, start(a.value.span))
        {
            self.w("(");
            if let Some(n) = &a.name {
                self.w(&n.name);
                self.w(" = ");
            }
            self.expr(&a.value, 1 + suffix);
            self.w(")");
            return;
        }
        self.w("(");
        self.open_at(args_start);
        for a in args {
            self.leading(arg_start(a));
            if let Some(n) = &a.name {
                self.w(&n.name);
                self.w(" = ");
            }
            self.expr(&a.value, 1);
            self.w(",");
            self.trailing(end(a.value.span));
            self.nl();
        }
        self.close_at(inner_end, ")");
    }

    fn is_leaf(&self, e: &Expr) -> bool {
        matches!(
            e.kind,
            ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Quantity { .. } | ExprKind::Str(_) | ExprKind::Name(_)
        )
    }

    fn flat_arg(&self, a: &Arg) -> Option<String> {
        let v = self.flat(&a.value)?;
        Some(match &a.name {
            Some(n) => format!("{} = {v}", n.name),
            None => v,
        })
    }

    fn postfix_base(&mut self, base: &Expr) {
        self.operand(base, operand_needs_parens(base), 0);
    }

    fn operand(&mut self, x: &Expr, parens: bool, suffix: usize) {
        if parens {
            self.w("(");
            self.expr(x, suffix + 1);
            self.w(")");
        } else {
            self.expr(x, suffix);
        }
    }

    /// An `if` written in parentheses as another `if`'s `else` branch keeps them: without
    /// them it would read as one more `else if` of the outer chain, another tree.
    fn parenthesized_if(&self, x: &Expr) -> bool {
        matches!(x.kind, ExprKind::If(..)) && self.user_parens(x.span)
    }

    fn binary_operand_parens(&self, op: BinaryOp, x: &Expr, right: bool) -> bool {
        match &x.kind {
            ExprKind::Binary(inner, ..) => {
                let (p, q) = (inner.binding_power(), op.binding_power());
                p < q || (right && p == q) || self.user_parens(x.span)
            }
            ExprKind::If(..) => true,
            ExprKind::Unary(..) => self.user_parens(x.span),
            _ => false,
        }
    }

    /// `e` on one line, or `None` when it holds a comment (or cannot be flat).
    fn flat(&self, e: &Expr) -> Option<String> {
        if self.has_comment(start(e.span), end(e.span)) {
            return None;
        }
        Some(match &e.kind {
            // A multi-line string is never flat.
            ExprKind::Str(_) if self.leaf(e).starts_with("\"\"\"") => return None,
            ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Quantity { .. }
            | ExprKind::Str(_)
            | ExprKind::Bool(_)
            | ExprKind::Null => self.leaf(e),
            ExprKind::Name(n) => n.name.clone(),
            ExprKind::List(items) => {
                let parts: Option<Vec<String>> = items.iter().map(|x| self.flat(x)).collect();
                format!("[{}]", parts?.join(", "))
            }
            ExprKind::Map(entries) => {
                let mut parts = Vec::with_capacity(entries.len());
                for (k, v) in entries {
                    parts.push(format!("{}: {}", self.slice(k.span), self.flat(v)?));
                }
                format!("{{ {} }}", parts.join(", "))
            }
            ExprKind::Record(b) => self.flat_block(b)?,
            ExprKind::TypedRecord(path, b) => format!("{} {}", dotted(path), self.flat_block(b)?),
            ExprKind::Unary(op, x) => format!("{}{}", unary(*op), self.flat_operand(x, operand_needs_parens(x))?),
            ExprKind::Binary(op, l, r) => format!(
                "{} {} {}",
                self.flat_operand(l, self.binary_operand_parens(*op, l, false))?,
                op.symbol(),
                self.flat_operand(r, self.binary_operand_parens(*op, r, true))?
            ),
            ExprKind::Call(callee, args) => {
                let parts: Option<Vec<String>> = args.iter().map(|a| self.flat_arg(a)).collect();
                format!("{}({})", self.flat_operand(callee, operand_needs_parens(callee))?, parts?.join(", "))
            }
            ExprKind::Member(base, name) => {
                format!("{}.{}", self.flat_operand(base, operand_needs_parens(base))?, name.name)
            }
            ExprKind::Index(base, index) => {
                format!("{}[{}]", self.flat_operand(base, operand_needs_parens(base))?, self.flat(index)?)
            }
            ExprKind::If(branches, otherwise) => {
                let mut s = String::new();
                for (i, (c, t)) in branches.iter().enumerate() {
                    if i > 0 {
                        s.push_str(" else ");
                    }
                    s.push_str(&format!("if {} then {}", self.flat(c)?, self.flat(t)?));
                }
                s.push_str(" else ");
                s.push_str(&self.flat_operand(otherwise, self.parenthesized_if(otherwise))?);
                s
            }
            ExprKind::Error => return None,
        })
    }

    fn flat_operand(&self, x: &Expr, parens: bool) -> Option<String> {
        let s = self.flat(x)?;
        Some(if parens { format!("({s})") } else { s })
    }

    /// A literal exactly as written, without the parentheses around it.
    fn leaf(&self, e: &Expr) -> String {
        let (s, t) = self.unparen(e.span);
        self.src.get(s..t).unwrap_or_default().to_string()
    }

    /// Whether the author wrote parentheses around the whole of `span`.
    fn user_parens(&self, span: hl_diagnostics::Span) -> bool {
        self.src.get(start(span)..end(span)).is_some_and(wrapped_in_parens)
    }

    /// `span` without the parentheses the author wrapped around it.
    fn unparen(&self, span: hl_diagnostics::Span) -> (usize, usize) {
        let (mut s, mut t) = (start(span), end(span));
        while let Some(text) = self.src.get(s..t) {
            if !wrapped_in_parens(text) {
                break;
            }
            let inner = &text[1..text.len() - 1];
            let lead = inner.len() - inner.trim_start().len();
            let trail = inner.len() - inner.trim_end().len();
            s += 1 + lead;
            t -= 1 + trail;
        }
        (s, t)
    }
}

/// `(...)` where the first parenthesis closes at the last character (strings and comments
/// skipped).
fn wrapped_in_parens(text: &str) -> bool {
    let b = text.as_bytes();
    if b.len() < 2 || b[0] != b'(' || b[b.len() - 1] != b')' {
        return false;
    }
    let mut depth = 0usize;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    i += 1;
                }
                i += 1;
            }
            b'(' => depth += 1,
            b')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i == b.len() - 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    false
}

/// The base of a call, member access or index, and the operand of `-`/`not`, binds tighter
/// than any operator: an operator expression there needs parentheses.
fn operand_needs_parens(x: &Expr) -> bool {
    matches!(x.kind, ExprKind::Binary(..) | ExprKind::Unary(..) | ExprKind::If(..))
}

fn unary(op: UnaryOp) -> &'static str {
    match op {
        UnaryOp::Neg => "-",
        UnaryOp::Not => "not ",
    }
}

fn entry_span(e: &Entry) -> hl_diagnostics::Span {
    match e {
        Entry::Field(f) => f.span,
        Entry::Decl(d) => d.span,
        Entry::Spread(x) => x.span,
        Entry::Let(l) => l.span,
        Entry::Error(s) => *s,
    }
}

fn arg_start(a: &Arg) -> usize {
    a.name.as_ref().map(|n| start(n.span)).unwrap_or(start(a.value.span))
}

fn dotted(path: &[Ident]) -> String {
    path.iter().map(|i| i.name.as_str()).collect::<Vec<_>>().join(".")
}

fn variant(v: &Variant) -> String {
    match &v.payload {
        Some(t) => format!("{}({})", v.name.name, ty(t)),
        None => v.name.name.clone(),
    }
}

fn ty(t: &TypeExpr) -> String {
    let mut s = match &t.kind {
        TypeKind::Named(path) => dotted(path),
        TypeKind::List(x) => format!("[{}]", ty(x)),
        TypeKind::Map(k, v) => format!("{{{}: {}}}", ty(k), ty(v)),
    };
    if t.optional {
        s.push('?');
    }
    s
}
