//! The static pass: every definition of a file name-resolved and checked without being run.
//!
//! Evaluation only reaches the code a workspace uses: a `let` nobody reads, a function nobody
//! calls and the branch of an `if` not taken are never evaluated, so a misspelt name or
//! `1 + "x"` there went unreported. This pass walks every definition of a file — top-level and
//! block `let`s, every `fn` body with its parameters in scope, both branches of every `if`,
//! schema field defaults, the stacks and everything in them — with the scopes of the evaluator
//! (the same [`Scope`]s, the same lookup order: block `let`s and parameters, the file's own
//! definitions and imports, the prelude, `cluster`) and the expected type the evaluator would
//! pass down (so that a bare `required` is a variant where an `Auth` is expected, and a name in
//! `depends_on` a stack).
//!
//! What it reports is what is certain without evaluating:
//! - a name that resolves to nothing (E0101, or E0203 where an enum is expected), through the
//!   evaluator's own reporting, so code, span, message and "did you mean" are the same;
//! - unknown type names in annotations (E0105);
//! - a *closed* expression (built from literals only: no name, call or record) is evaluated by
//!   the evaluator itself and checked against the type of the place it lands in, so
//!   `1 + "x"`, `[1, 2][5]` or `port = "http"` against a `Port` parameter give the
//!   evaluator's diagnostics;
//! - an operator, `if` condition or `not`/`-` whose operands have certain types though they
//!   are names (a parameter `n: Int`, a `let` of a literal, operators over them): the evaluator
//!   applies the operator to sample values of those types, so `n + "x"` in a function nobody
//!   calls is the evaluator's own E0201. Only `Int`, `Float`, `String` and `Bool` are followed;
//!   a call, a field or anything else leaves the type open and nothing is reported.
//!
//! Where the expected type depends on a caller (the body of a `fn` without a return type), a
//! name that could be an enum variant or a stack reference is not reported: only the call
//! decides. The pass also records what every name resolves to ([`Resolved::uses`]), which the
//! language server's references and rename are built on.

use super::*;

/// What a name refers to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// A `let` of a block or a function's parameter, by the span of its name.
    Local(Span),
    /// A top-level `let` or `fn` of a file (the workspace's or the standard library's), by the
    /// span of its name.
    Global(Span),
    /// The alias of an import (`import "x.hl" as x`): the file it names.
    Module(FileId),
    /// A built-in function (`len`, `file`, ...).
    Builtin,
    /// The workspace's cluster facts.
    Cluster,
    /// A variant of an enum (`required`, `Auth.required`).
    Variant,
    /// A stack, by name (`depends_on = [db]`, and the name of `stack db { }`).
    Stack(String),
    /// Nothing (already reported, or depending on the caller).
    Unresolved,
}

/// One identifier and what it refers to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameUse {
    pub span: Span,
    pub target: Target,
}

/// What the static pass found in one file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Resolved {
    pub diagnostics: Vec<Diagnostic>,
    /// Every use of a name (when asked for): variables, functions, stacks, the parameter
    /// named by a named argument.
    pub uses: Vec<NameUse>,
    /// Every definition's name: `let`, `fn`, parameters (as [`Target::Local`] or
    /// [`Target::Global`] of their own span) and top-level stacks ([`Target::Stack`]).
    pub defs: Vec<NameUse>,
}

/// Run the static pass over the files `targets` of `input` (each must be one of its files).
/// With `record`, the uses and definitions of names are kept ([`Resolved::uses`]).
pub fn check_statically(input: &EvalInput<'_>, limits: Limits, targets: &[FileId], record: bool) -> Vec<Resolved> {
    let mut ev = Evaluator::new(input, limits);
    if input.types.is_none() {
        ev.collect_types();
    }
    ev.build_scopes(input.stdlib_scopes.clone());
    // Definitions and imports are the evaluator's to report.
    ev.diags.clear();
    let mut out = Vec::with_capacity(targets.len());
    for id in targets {
        let Some(f) = ev.files.get(id).copied() else {
            out.push(Resolved::default());
            continue;
        };
        let mut w = Walker { ev: &mut ev, locals: Vec::new(), record, uses: Vec::new(), defs: Vec::new() };
        w.file(f);
        let (uses, defs) = (std::mem::take(&mut w.uses), std::mem::take(&mut w.defs));
        let diagnostics = std::mem::take(&mut ev.diags);
        out.push(Resolved { diagnostics, uses, defs });
    }
    out
}

/// The type the evaluator passes down to an expression.
#[derive(Clone, Debug)]
enum Want {
    /// None: names are looked up as they are.
    No,
    /// This type (as declared, optional or not); with the place the value is then checked
    /// against it (`coerce`), when it is.
    Ty(Ty, Option<Span>),
    /// It depends on the caller of the function the expression is in.
    Unknown,
}

impl Want {
    fn with(ty: Option<Ty>, site: Span) -> Want {
        ty.map_or(Want::No, |t| Want::Ty(t, Some(site)))
    }

    /// The expected type as the evaluator matches on it (optional stripped).
    fn ty(&self) -> Option<&Ty> {
        match self {
            Want::Ty(t, _) => Some(t.strip_optional()),
            _ => None,
        }
    }

    fn element(&self) -> Want {
        match self {
            Want::Unknown => Want::Unknown,
            Want::Ty(t, site) => match t.strip_optional() {
                Ty::List(inner) => Want::Ty((**inner).clone(), *site),
                _ => Want::No,
            },
            Want::No => Want::No,
        }
    }

    fn map_value(&self) -> Want {
        match self {
            Want::Unknown => Want::Unknown,
            Want::Ty(t, site) => match t.strip_optional() {
                Ty::Map(_, v) => Want::Ty((**v).clone(), *site),
                _ => Want::No,
            },
            Want::No => Want::No,
        }
    }
}

/// A name found in scope.
enum Found {
    Local(Span),
    Global(Global),
    Cluster,
}

struct Walker<'w, 'a> {
    ev: &'w mut Evaluator<'a>,
    /// Block `let`s and parameters in scope, innermost last, each with its type when that is
    /// certain without evaluating ([`Walker::static_ty`]).
    locals: Vec<(&'a str, Span, Option<Ty>)>,
    record: bool,
    uses: Vec<NameUse>,
    defs: Vec<NameUse>,
}

/// Built from literals alone: its value and its errors are the same wherever it is evaluated.
/// `if`, `and` and `or` are not: the static pass visits each of their parts, taken or not.
fn closed(e: &ast::Expr) -> bool {
    match &e.kind {
        ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Quantity { .. } | ExprKind::Bool(_) | ExprKind::Null => true,
        ExprKind::Str(parts) => parts.iter().all(|p| match p {
            StrPart::Text(_) => true,
            StrPart::Interp(x) => closed(x),
        }),
        ExprKind::List(items) => items.iter().all(closed),
        ExprKind::Map(entries) => entries.iter().all(|(k, v)| {
            closed(v)
                && k.parts.iter().all(|p| match p {
                    StrPart::Text(_) => true,
                    StrPart::Interp(x) => closed(x),
                })
        }),
        ExprKind::Unary(_, x) => closed(x),
        ExprKind::Binary(op, l, r) => !matches!(op, BinaryOp::And | BinaryOp::Or) && closed(l) && closed(r),
        ExprKind::Index(b, i) => closed(b) && closed(i),
        _ => false,
    }
}

/// `t` when the static pass follows values of it through operators.
fn primitive(t: &Ty) -> Option<Ty> {
    matches!(t, Ty::Int | Ty::Float | Ty::String | Ty::Bool).then(|| t.clone())
}

/// The type of a value the static pass follows ([`primitive`]).
fn value_ty(v: &Value) -> Option<Ty> {
    match v.kind {
        ValueKind::Int(_) => Some(Ty::Int),
        ValueKind::Float(_) => Some(Ty::Float),
        ValueKind::Str(_) => Some(Ty::String),
        ValueKind::Bool(_) => Some(Ty::Bool),
        _ => None,
    }
}

/// A value of the primitive type `t`, for the evaluator to apply an operator to: `1`, `1.0`,
/// `"s"`, `true` (none of them divides by zero or overflows).
fn sample(t: &Ty, span: Span) -> Value {
    let kind = match t {
        Ty::Int => ValueKind::Int(1),
        Ty::Float => ValueKind::Float(1.0),
        Ty::Bool => ValueKind::Bool(true),
        _ => ValueKind::Str("s".to_string()),
    };
    Value::new(kind, span)
}

/// Whether a closed expression computes anything (an operator, an index, an interpolation),
/// which may fail; literals alone never do.
fn operates(e: &ast::Expr) -> bool {
    match &e.kind {
        ExprKind::Str(parts) => parts.iter().any(|p| matches!(p, StrPart::Interp(_))),
        ExprKind::List(items) => items.iter().any(operates),
        ExprKind::Map(entries) => {
            entries.iter().any(|(k, v)| operates(v) || k.parts.iter().any(|p| matches!(p, StrPart::Interp(_))))
        }
        ExprKind::Unary(..) | ExprKind::Binary(..) | ExprKind::Index(..) => true,
        _ => false,
    }
}

impl<'a> Walker<'_, 'a> {
    fn use_(&mut self, span: Span, target: Target) {
        if self.record {
            self.uses.push(NameUse { span, target });
        }
    }

    fn def(&mut self, span: Span, target: Target) {
        if self.record {
            self.defs.push(NameUse { span, target });
        }
    }

    /// Walk what the evaluator does not evaluate because of an error it reports there (an
    /// unknown field, an argument that binds to no parameter): the names are resolved for the
    /// language server, and nothing is reported, so that one mistake stays one diagnostic.
    fn quietly(&mut self, walk: impl FnOnce(&mut Self)) {
        let mark = self.ev.diags.len();
        walk(self);
        self.ev.diags.truncate(mark);
    }

    /// A type annotation, resolved as the evaluator resolves it (an unknown type is E0105).
    fn resolve(&mut self, t: &ast::TypeExpr) -> Ty {
        self.ev.resolve_type(t)
    }

    /// A type resolved again at a call (already reported where it is written).
    fn resolve_quietly(&mut self, t: &ast::TypeExpr) -> Ty {
        let mark = self.ev.diags.len();
        let ty = self.ev.resolve_type(t);
        self.ev.diags.truncate(mark);
        ty
    }

    fn lookup(&self, name: &str) -> Option<Found> {
        if let Some((_, s, _)) = self.locals.iter().rev().find(|(n, _, _)| *n == name) {
            return Some(Found::Local(*s));
        }
        let g = self
            .ev
            .scopes
            .get(&self.ev.file)
            .and_then(|s| s.get(name).copied())
            .or_else(|| self.ev.prelude.get(name).copied());
        match g {
            Some(g) => Some(Found::Global(g)),
            None if name == CLUSTER => Some(Found::Cluster),
            None => None,
        }
    }

    /// Whether a name is bound (as the evaluator's `lookup_silent`: not counting `cluster`).
    fn bound(&self, name: &str) -> bool {
        self.locals.iter().any(|(n, _, _)| *n == name)
            || self.ev.scopes.get(&self.ev.file).is_some_and(|s| s.contains_key(name))
            || self.ev.prelude.contains_key(name)
    }

    fn target(&self, found: &Found) -> Target {
        match found {
            Found::Local(s) => Target::Local(*s),
            Found::Cluster => Target::Cluster,
            Found::Global(g) => self.global_target(*g),
        }
    }

    fn global_target(&self, g: Global) -> Target {
        match g {
            Global::Let(file, item) | Global::Fn(file, item) => Target::Global(self.ev.item_span(file, item)),
            Global::Module(file) => Target::Module(file),
            Global::Broken => Target::Unresolved,
        }
    }

    fn is_variant_anywhere(&self, name: &str) -> bool {
        self.ev.types.values().any(|t| matches!(&**t, TypeDef::Enum(e) if e.variants.contains_key(name)))
    }

    /// Report a name that resolves to nothing, through the evaluator (with the locals in
    /// scope as its suggestions).
    fn unknown(&mut self, id: &ast::Ident, exp: Option<&Ty>) {
        let locals = self.locals.iter().map(|(n, s, _)| (n.to_string(), Value::error(*s))).collect();
        let saved = std::mem::replace(&mut self.ev.locals, locals);
        let _ = self.ev.eval_name(id, exp);
        self.ev.locals = saved;
    }

    // ------------------------------------------------------------------ items

    fn file(&mut self, f: &'a InputFile<'a>) {
        self.ev.file = f.id;
        let root_def = self.ev.types.get(self.ev.root_schema).cloned();
        let root = match root_def.as_deref() {
            Some(TypeDef::Schema(s)) => Some(s),
            _ => None,
        };
        for (i, item) in f.ast.items.iter().enumerate() {
            self.locals.clear();
            match item {
                Item::Let(l) => {
                    self.def(l.name.span, Target::Global(l.name.span));
                    let ty = l.ty.as_ref().map(|t| self.resolve(t));
                    self.expr(&l.value, Want::with(ty, l.name.span));
                }
                Item::Fn(d) => self.fn_def(d),
                Item::Schema(s) => {
                    let Some(def) = self.ev.types.get(&s.name.name).cloned() else { continue };
                    let TypeDef::Schema(def) = &*def else { continue };
                    if def.file != f.id || def.item as usize != i {
                        continue;
                    }
                    for fd in &s.fields {
                        if let (Some(x), Some(ft)) = (&fd.default, def.fields.get(&fd.name.name)) {
                            self.expr(x, Want::Ty(ft.ty.clone(), Some(ft.span)));
                        }
                    }
                }
                Item::Decl(d) => self.decl(d, root, false, true),
                Item::Import(_) | Item::Enum(_) | Item::Error(_) => {}
            }
        }
        self.locals.clear();
    }

    fn fn_def(&mut self, d: &'a ast::FnDef) {
        self.def(d.name.span, Target::Global(d.name.span));
        let tys: Vec<Ty> = d.params.iter().map(|p| self.resolve(&p.ty)).collect();
        let ret = d.ret.as_ref().map(|t| self.resolve(t));
        // Defaults are evaluated without the other parameters in scope.
        for (p, t) in d.params.iter().zip(&tys) {
            if let Some(x) = &p.default {
                self.expr(x, Want::Ty(t.clone(), Some(p.span)));
            }
        }
        for (p, t) in d.params.iter().zip(&tys) {
            self.def(p.name.span, Target::Local(p.name.span));
            self.locals.push((&p.name.name, p.name.span, primitive(t)));
        }
        let want = match ret {
            Some(t) => Want::Ty(t, Some(d.name.span)),
            None => Want::Unknown,
        };
        self.expr(&d.body, want);
        self.locals.clear();
    }

    // ------------------------------------------------------------------ blocks

    /// `{ ... }` where the evaluator expects `want`.
    fn block_as(&mut self, b: &'a ast::Block, want: &Want, head: Span) {
        match want {
            Want::Unknown => self.entries(&b.entries, None, true, None),
            Want::No => self.entries(&b.entries, None, false, None),
            Want::Ty(t, _) => match t.strip_optional() {
                Ty::Schema(name) => match self.ev.types.get(name).cloned() {
                    Some(def) if matches!(&*def, TypeDef::Schema(_)) => {
                        if let TypeDef::Schema(s) = &*def {
                            self.entries(&b.entries, Some(s), false, Some(head));
                        }
                    }
                    _ => self.entries(&b.entries, None, true, None),
                },
                Ty::Map(_, _) if b.entries.is_empty() => {}
                _ => self.entries(&b.entries, None, false, None),
            },
        }
    }

    /// A block's entries against a schema (`None`: a record without one; `unknown`: the
    /// evaluator's schema depends on a caller).
    fn entries(&mut self, entries: &'a [Entry], schema: Option<&SchemaDef>, unknown: bool, head: Option<Span>) {
        if let (Some(s), Some(head)) = (schema, head) {
            self.missing_fields(entries, s, head);
        }
        let mark = self.locals.len();
        for entry in entries {
            match entry {
                Entry::Error(_) => {}
                Entry::Let(l) => {
                    let ty = l.ty.as_ref().map(|t| self.resolve(t));
                    let known = match &ty {
                        Some(t) => primitive(t),
                        None => self.static_ty(&l.value),
                    };
                    self.expr(&l.value, Want::with(ty, l.name.span));
                    self.def(l.name.span, Target::Local(l.name.span));
                    self.locals.push((&l.name.name, l.name.span, known));
                }
                Entry::Spread(x) => self.expr(x, Want::No),
                Entry::Field(f) => {
                    let want = match schema {
                        Some(s) => match s.fields.get(&f.name.name) {
                            Some(ft) => Want::Ty(ft.ty.clone(), Some(f.name.span)),
                            // An unknown field (E0204) is not evaluated.
                            None => {
                                self.ev.unknown_field(s, &f.name.name, f.name.span);
                                self.quietly(|w| w.expr(&f.value, Want::Unknown));
                                continue;
                            }
                        },
                        None if unknown => Want::Unknown,
                        None => Want::No,
                    };
                    self.expr(&f.value, want);
                }
                Entry::Decl(d) => self.decl(d, schema, unknown, false),
            }
        }
        self.locals.truncate(mark);
    }

    fn decl(&mut self, d: &'a ast::Decl, schema: Option<&SchemaDef>, unknown: bool, top: bool) {
        let kw = &d.kw.name;
        if top
            && kw == "stack"
            && let Some(n) = &d.name
        {
            self.def(n.span, Target::Stack(n.name.clone()));
        }
        let ft = match schema {
            Some(s) => match s.fields.get(kw) {
                Some(ft) => Some(ft.ty.clone()),
                None => {
                    self.ev.unknown_field(s, kw, d.kw.span);
                    return self.quietly(|w| w.decl_body(d, Want::Unknown));
                }
            },
            None if unknown => return self.decl_body(d, Want::Unknown),
            None => None,
        };
        match &d.name {
            Some(name) => {
                let value = match ft.as_ref().map(Ty::strip_optional) {
                    Some(Ty::Map(k, v)) => {
                        // The name is the entry's key: checked as the evaluator checks it.
                        let key = Value::new(ValueKind::Str(name.name.clone()), name.span);
                        self.ev.coerce(key, k, name.span);
                        Some((**v).clone())
                    }
                    Some(Ty::Error) | None => None,
                    Some(_) => return self.quietly(|w| w.decl_body(d, Want::Unknown)),
                };
                let want = match &d.body {
                    ast::DeclBody::Expr(_) => Want::with(value, d.kw.span),
                    ast::DeclBody::Block(_) => value.map_or(Want::No, |t| Want::Ty(t, None)),
                };
                self.decl_body(d, want);
            }
            None => {
                let want = match &d.body {
                    ast::DeclBody::Expr(_) => Want::with(ft, d.kw.span),
                    ast::DeclBody::Block(_) => ft.map_or(Want::No, |t| Want::Ty(t, None)),
                };
                self.decl_body(d, want);
            }
        }
    }

    fn decl_body(&mut self, d: &'a ast::Decl, want: Want) {
        match &d.body {
            ast::DeclBody::Expr(e) => self.expr(e, want),
            ast::DeclBody::Block(b) => {
                let head = match &d.name {
                    Some(n) => d.kw.span.to(n.span),
                    None => d.kw.span,
                };
                self.block_as(b, &want, head)
            }
        }
    }

    /// Required fields of `schema` that no entry sets (E0205): certain when the block has no
    /// spread (which may set anything), no misspelt field and nothing unreadable.
    fn missing_fields(&mut self, entries: &[Entry], schema: &SchemaDef, head: Span) {
        let mut set: Vec<&str> = Vec::new();
        for e in entries {
            match e {
                Entry::Spread(_) | Entry::Error(_) => return,
                // A misspelt field may be the missing one (the evaluator's rule too).
                Entry::Field(f) if !schema.fields.contains_key(&f.name.name) => return,
                Entry::Field(f) => set.push(&f.name.name),
                Entry::Decl(d) => set.push(&d.kw.name),
                Entry::Let(_) => {}
            }
        }
        let missing: Vec<String> = schema
            .fields
            .iter()
            .filter(|(name, ft)| {
                !ft.has_default && !ft.optional && !matches!(ft.ty, Ty::Optional(_)) && !set.contains(&name.as_str())
            })
            .map(|(name, _)| name.clone())
            .collect();
        if !missing.is_empty() {
            self.ev.error(missing_fields(schema, &missing, head));
        }
    }

    // ------------------------------------------------------------------ expressions

    /// A closed expression, evaluated and checked where it lands, as the evaluator would.
    fn constant(&mut self, e: &ast::Expr, want: &Want) {
        let site = match want {
            Want::Ty(t, Some(site)) => Some((t, *site)),
            _ => None,
        };
        // Literals alone cannot fail: only a check against a type can.
        if site.is_none() && !operates(e) {
            return;
        }
        let v = self.ev.eval_expr(e, want.ty());
        if let Some((t, site)) = site {
            self.ev.coerce(v, t, site);
        }
    }

    fn expr(&mut self, e: &'a ast::Expr, want: Want) {
        if closed(e) {
            return self.constant(e, &want);
        }
        match &e.kind {
            ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Quantity { .. }
            | ExprKind::Bool(_)
            | ExprKind::Null
            | ExprKind::Error => {}
            ExprKind::Str(parts) => self.parts(parts),
            ExprKind::List(items) => {
                let w = want.element();
                for it in items {
                    self.expr(it, w.clone());
                }
            }
            ExprKind::Map(entries) => {
                let w = want.map_value();
                for (k, v) in entries {
                    self.parts(&k.parts);
                    self.expr(v, w.clone());
                }
            }
            ExprKind::Record(b) => self.block_as(b, &want, b.span),
            ExprKind::TypedRecord(path, b) => {
                let Some(last) = path.last() else { return };
                let def = self.ev.types.get(&last.name).cloned();
                match def.as_deref() {
                    Some(TypeDef::Schema(s)) => self.entries(&b.entries, Some(s), false, Some(last.span)),
                    Some(TypeDef::Enum(_)) => self.quietly(|w| w.entries(&b.entries, None, true, None)),
                    None => {
                        let d = super::unknown_schema(&last.name, last.span, &self.ev.types);
                        self.ev.error(d);
                        self.quietly(|w| w.entries(&b.entries, None, true, None));
                    }
                }
            }
            ExprKind::Name(id) => self.name(id, &want),
            ExprKind::Unary(op, x) => {
                self.expr(x, Want::No);
                if let Some(t) = self.static_ty(x) {
                    self.ev.unary_value(*op, sample(&t, x.span), x.span, e.span);
                }
            }
            ExprKind::Binary(op, l, r) => {
                let w = if matches!(op, BinaryOp::And | BinaryOp::Or) { Want::Ty(Ty::Bool, None) } else { Want::No };
                self.expr(l, w.clone());
                self.expr(r, w);
                self.operands(*op, l, r, e.span);
            }
            ExprKind::If(branches, otherwise) => {
                for (c, t) in branches {
                    if closed(c) {
                        // `if 1 then ...`: a condition that is certainly not a `Bool`.
                        let v = self.ev.eval_expr(c, Some(&Ty::Bool));
                        if !v.is_error() && !matches!(v.kind, ValueKind::Bool(_)) {
                            self.ev.error(not_a_condition(&v, c.span));
                        }
                    } else {
                        self.expr(c, Want::Ty(Ty::Bool, None));
                        if let Some(t) = self.static_ty(c).filter(|t| *t != Ty::Bool) {
                            self.ev.error(not_a_condition(&sample(&t, c.span), c.span));
                        }
                    }
                    self.expr(t, want.clone());
                }
                self.expr(otherwise, want);
            }
            ExprKind::Member(base, field) => self.member(base, field, e.span),
            ExprKind::Index(b, i) => {
                self.expr(b, Want::No);
                self.expr(i, Want::No);
            }
            ExprKind::Call(callee, args) => self.call(callee, args, &want, e.span),
        }
    }

    /// The operands of `op` whose types are certain (literals, typed parameters and `let`s,
    /// operators over them), applied by the evaluator to values of those types: what it would
    /// report whenever the code runs, reported without running it (`n + "x"` for `n: Int`).
    /// Only types are at stake: the sample values divide by nothing and overflow nothing.
    fn operands(&mut self, op: BinaryOp, l: &ast::Expr, r: &ast::Expr, span: Span) {
        if closed(l) && closed(r) && !matches!(op, BinaryOp::And | BinaryOp::Or) {
            // Evaluated as a whole by `constant`.
            return;
        }
        let (lt, rt) = (self.static_ty(l), self.static_ty(r));
        if matches!(op, BinaryOp::And | BinaryOp::Or) {
            for (t, x) in [(lt, l), (rt, r)] {
                if let Some(t) = t.filter(|t| *t != Ty::Bool) {
                    let v = sample(&t, x.span);
                    self.ev.op_mismatch(op, &v, &v, x.span);
                }
            }
            return;
        }
        if let (Some(lt), Some(rt)) = (lt, rt) {
            self.ev.binary_values(op, sample(&lt, l.span), sample(&rt, r.span), r.span, span);
        }
    }

    /// The type of `e` when it is certain without evaluating and one of `Int`, `Float`,
    /// `String`, `Bool`: literals, names bound to a typed parameter or `let` (or a top-level
    /// `let` of a literal), and `-`, `not` and the operators over such operands when the
    /// evaluator accepts them. `None` for everything else, and for an operation the evaluator
    /// rejects (reported once, where it is).
    fn static_ty(&mut self, e: &ast::Expr) -> Option<Ty> {
        match &e.kind {
            ExprKind::Int(_) => Some(Ty::Int),
            ExprKind::Float(_) => Some(Ty::Float),
            ExprKind::Bool(_) => Some(Ty::Bool),
            ExprKind::Str(_) => Some(Ty::String),
            ExprKind::Name(id) => self.name_ty(&id.name),
            ExprKind::Unary(op, x) => {
                let t = self.static_ty(x)?;
                let v = self.silently(|ev| ev.unary_value(*op, sample(&t, x.span), x.span, e.span));
                value_ty(&v)
            }
            ExprKind::Binary(op, l, r) => {
                let (lt, rt) = (self.static_ty(l)?, self.static_ty(r)?);
                if matches!(op, BinaryOp::And | BinaryOp::Or) {
                    return (lt == Ty::Bool && rt == Ty::Bool).then_some(Ty::Bool);
                }
                let v =
                    self.silently(|ev| ev.binary_values(*op, sample(&lt, l.span), sample(&rt, r.span), r.span, e.span));
                value_ty(&v)
            }
            _ => None,
        }
    }

    /// The certain type of a name: a parameter or block `let` in scope, else a top-level `let`
    /// (of this file or an import) that is annotated or whose value is a literal expression.
    fn name_ty(&mut self, name: &str) -> Option<Ty> {
        if let Some((_, _, t)) = self.locals.iter().rev().find(|(n, _, _)| *n == name) {
            return t.clone();
        }
        let Some(Found::Global(Global::Let(file, item))) = self.lookup(name) else { return None };
        let f = self.ev.files.get(&file).copied()?;
        let Some(Item::Let(l)) = f.ast.items.get(item as usize) else { return None };
        match &l.ty {
            Some(t) => {
                let here = std::mem::replace(&mut self.ev.file, file);
                let ty = self.resolve_quietly(t);
                self.ev.file = here;
                primitive(&ty)
            }
            // A literal expression names nothing, so it needs no scope (and cannot loop).
            None if closed(&l.value) => {
                let v = self.silently(|ev| ev.eval_expr(&l.value, None));
                value_ty(&v)
            }
            None => None,
        }
    }

    /// Run `f` on the evaluator and drop what it reports.
    fn silently(&mut self, f: impl FnOnce(&mut Evaluator<'a>) -> Value) -> Value {
        let mark = self.ev.diags.len();
        let v = f(self.ev);
        self.ev.diags.truncate(mark);
        v
    }

    fn parts(&mut self, parts: &'a [StrPart]) {
        for p in parts {
            if let StrPart::Interp(x) = p {
                self.expr(x, Want::No);
            }
        }
    }

    fn name(&mut self, id: &'a ast::Ident, want: &Want) {
        let exp = want.ty();
        // A bare variant where an enum is expected, a stack where a stack reference is.
        if let Some(Ty::Enum(en)) = exp
            && self.ev.enum_def(en).is_some_and(|e| e.variants.contains_key(&id.name))
        {
            return self.use_(id.span, Target::Variant);
        }
        if let Some(Ty::StackRef) = exp {
            return self.use_(id.span, Target::Stack(id.name.clone()));
        }
        match self.lookup(&id.name) {
            Some(found) => {
                let t = self.target(&found);
                self.use_(id.span, t);
            }
            None => {
                self.use_(id.span, Target::Unresolved);
                // Where the caller decides the type, the name may be a variant or a stack.
                if matches!(want, Want::Unknown)
                    && (self.is_variant_anywhere(&id.name) || hl_types::dns_label(&id.name).is_ok())
                {
                    return;
                }
                let exp = exp.cloned();
                self.unknown(id, exp.as_ref());
            }
        }
    }

    fn member(&mut self, base: &'a ast::Expr, field: &'a ast::Ident, span: Span) {
        if let ExprKind::Name(b) = &base.kind {
            // `Auth.required`: a qualified variant.
            if !self.bound(&b.name)
                && let Some(e) = self.ev.enum_def(&b.name)
            {
                if !e.variants.contains_key(&field.name) {
                    let e = e.clone();
                    self.ev.variant_value(&e, field, None, span);
                }
                return self.use_(field.span, Target::Variant);
            }
            // `x.name` of an imported file.
            if let Some(Found::Global(Global::Module(file))) = self.lookup(&b.name) {
                self.use_(b.span, Target::Module(file));
                match self.ev.scopes.get(&file).and_then(|s| s.get(&field.name).copied()) {
                    Some(Global::Broken) => {}
                    Some(Global::Module(_)) | None => {
                        let d = self.ev.no_such_member(file, field);
                        self.ev.error(d);
                    }
                    Some(g) => {
                        let t = self.global_target(g);
                        self.use_(field.span, t);
                    }
                }
                return;
            }
        }
        self.expr(base, Want::No);
    }

    fn call(&mut self, callee: &'a ast::Expr, args: &'a [ast::Arg], want: &Want, span: Span) {
        let exp = want.ty();
        if let ExprKind::Name(id) = &callee.kind {
            // A variant with data where an enum is expected: `auth = app("...")`.
            if let Some(Ty::Enum(en)) = exp
                && let Some(e) = self.ev.enum_def(en)
                && e.variants.contains_key(&id.name)
            {
                let e = e.clone();
                self.use_(id.span, Target::Variant);
                return self.variant_args(&e, id, args);
            }
            if BUILTINS.contains(&id.name.as_str()) && !self.bound(&id.name) {
                self.use_(id.span, Target::Builtin);
                for a in args {
                    self.expr(&a.value, Want::No);
                }
                return;
            }
            if matches!(want, Want::Unknown) && !self.bound(&id.name) && self.is_variant_anywhere(&id.name) {
                self.use_(id.span, Target::Unresolved);
                return self.unknown_args(args);
            }
        }
        if let ExprKind::Member(base, name) = &callee.kind
            && let ExprKind::Name(b) = &base.kind
            && !self.bound(&b.name)
            && let Some(e) = self.ev.enum_def(&b.name)
        {
            let e = e.clone();
            if !e.variants.contains_key(&name.name) {
                self.ev.variant_value(&e, name, None, span);
                return self.quietly(|w| w.unknown_args(args));
            }
            self.use_(name.span, Target::Variant);
            return self.variant_args(&e, name, args);
        }
        let errors = self.ev.diags.len();
        let Some((file, def)) = self.callee(callee) else {
            // A callee that is not a function (reported) is not called: its arguments are not
            // evaluated. One that is a value (a parameter) is, against types only a call knows.
            if self.ev.diags.len() > errors {
                return self.quietly(|w| w.unknown_args(args));
            }
            return self.unknown_args(args);
        };
        let saved = self.ev.file;
        self.ev.file = file;
        let tys: Vec<Ty> = def.params.iter().map(|p| self.resolve_quietly(&p.ty)).collect();
        self.ev.file = saved;
        // Arguments that bind to no parameter, parameters left without a value: E0210.
        let (binding, problems) = bind_arguments(def, &tys, args, span);
        for d in problems {
            self.ev.error(d);
        }
        for (a, idx) in args.iter().zip(binding) {
            if let (Some(n), Some(ix)) = (&a.name, idx) {
                self.use_(n.span, Target::Local(def.params[ix].name.span));
            }
            match idx {
                Some(ix) => self.expr(&a.value, Want::Ty(tys[ix].clone(), Some(a.value.span))),
                // Not bound (reported): not evaluated.
                None => self.quietly(|w| w.expr(&a.value, Want::Unknown)),
            }
        }
    }

    fn unknown_args(&mut self, args: &'a [ast::Arg]) {
        for a in args {
            self.expr(&a.value, Want::Unknown);
        }
    }

    fn variant_args(&mut self, e: &EnumDef, name: &ast::Ident, args: &'a [ast::Arg]) {
        match (e.variants.get(&name.name).and_then(|v| v.payload.clone()), args) {
            (Some(p), [arg]) if arg.name.is_none() => self.expr(&arg.value, Want::Ty(p, Some(name.span))),
            // Reported by the evaluator (`E0207`): the arguments are not evaluated.
            _ => self.quietly(|w| w.unknown_args(args)),
        }
    }

    /// The function a call calls, when the static pass can tell: a `fn` of the file's scope,
    /// the prelude or an imported module. Records the callee's names.
    fn callee(&mut self, callee: &'a ast::Expr) -> Option<(FileId, &'a ast::FnDef)> {
        let g = match &callee.kind {
            ExprKind::Name(id) => {
                self.name(id, &Want::No);
                match self.lookup(&id.name) {
                    Some(Found::Global(g)) => g,
                    _ => return None,
                }
            }
            ExprKind::Member(base, field) => {
                let ExprKind::Name(b) = &base.kind else {
                    self.expr(callee, Want::No);
                    return None;
                };
                let module = match self.lookup(&b.name) {
                    Some(Found::Global(Global::Module(m))) => m,
                    _ => {
                        self.expr(callee, Want::No);
                        return None;
                    }
                };
                self.member(base, field, callee.span);
                self.ev.scopes.get(&module).and_then(|s| s.get(&field.name).copied())?
            }
            _ => {
                self.expr(callee, Want::No);
                return None;
            }
        };
        let Global::Fn(file, item) = g else { return None };
        let f = self.ev.files.get(&file).copied()?;
        match f.ast.items.get(item as usize) {
            Some(Item::Fn(def)) => Some((file, def)),
            _ => None,
        }
    }
}
