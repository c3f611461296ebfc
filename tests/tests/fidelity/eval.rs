//! Evaluation of Terraform expressions (HCL syntax via `hcl-rs`) as far as the repository
//! determines them: literals, operators, conditionals, `for` expressions, splats, string
//! templates and the functions the homelab uses. Anything else is `V::Unknown` naming where it
//! comes from; an unknown spreads through whatever uses it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use hcl::Template;
use hcl::expr::{BinaryOperator, Expression, ObjectKey, TemplateExpr, TraversalOperator, UnaryOperator};
use hcl::template::{Directive, Element, Strip};

use super::value::{PLACEHOLDER, V, json_text};

/// What an expression's free names mean: the module instance it is evaluated in.
pub trait Resolver {
    /// A root name (`var`, `local`, `module`, `data`, `path`, a resource type) with the attribute
    /// names that follow it: the value reached and how many attribute names it consumed.
    fn root(&self, name: &str, attrs: &[String]) -> (V, usize);
    /// The directory relative paths in `file()` are read from (where Terraform runs).
    fn cwd(&self) -> &Path;
}

/// A resolver plus the names bound by `for`, `dynamic`, `count`, `for_each` and templates.
pub struct Scope<'a> {
    pub r: &'a dyn Resolver,
    pub vars: Vec<(String, V)>,
}

impl<'a> Scope<'a> {
    pub fn new(r: &'a dyn Resolver) -> Self {
        Scope { r, vars: Vec::new() }
    }

    pub fn with(&self, bind: impl IntoIterator<Item = (String, V)>) -> Scope<'a> {
        let mut vars = self.vars.clone();
        vars.extend(bind);
        Scope { r: self.r, vars }
    }

    fn var(&self, name: &str) -> Option<&V> {
        self.vars.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v)
    }
}

pub fn eval(e: &Expression, s: &Scope) -> V {
    match e {
        Expression::Null => V::Null,
        Expression::Bool(b) => V::Bool(*b),
        Expression::Number(n) => V::Num(n.as_f64().unwrap_or(f64::NAN)),
        Expression::String(t) => V::Str(t.clone()),
        Expression::Array(items) => V::List(items.iter().map(|i| eval(i, s)).collect()),
        Expression::Object(obj) => {
            let mut m = BTreeMap::new();
            for (k, v) in obj.iter() {
                let key = match k {
                    ObjectKey::Identifier(id) => id.as_str().to_string(),
                    ObjectKey::Expression(Expression::Variable(id)) => id.as_str().to_string(),
                    ObjectKey::Expression(k) => match eval(k, s).text() {
                        Some(t) => t,
                        None => return V::unknown("an object key that is not known"),
                    },
                    _ => return V::unknown("an object key of a kind the test does not read"),
                };
                m.insert(key, eval(v, s));
            }
            V::Map(m)
        }
        Expression::TemplateExpr(t) => template_expr(t, s),
        Expression::Variable(id) => traverse(id.as_str(), &[], s),
        Expression::Traversal(t) => match &t.expr {
            Expression::Variable(id) => traverse(id.as_str(), &t.operators, s),
            other => apply_ops(eval(other, s), &t.operators, s),
        },
        Expression::FuncCall(f) => {
            let name = f.name.name.as_str();
            let mut args: Vec<V> = f.args.iter().map(|a| eval(a, s)).collect();
            if f.expand_final
                && let Some(last) = args.pop()
            {
                match last.as_list() {
                    Some(l) => args.extend(l.iter().cloned()),
                    None => return V::unknown(format!("{name}(...) of an unknown list")),
                }
            }
            call(name, args, s)
        }
        Expression::Parenthesis(e) => eval(e, s),
        Expression::Conditional(c) => match eval(&c.cond_expr, s) {
            V::Unknown(from) => V::Unknown(from),
            cond => match cond.truthy() {
                Some(true) => eval(&c.true_expr, s),
                Some(false) => eval(&c.false_expr, s),
                None => V::unknown("a condition that is not a boolean"),
            },
        },
        Expression::Operation(op) => match op.as_ref() {
            hcl::expr::Operation::Unary(u) => {
                let v = eval(&u.expr, s);
                match (u.operator, &v) {
                    (_, V::Unknown(_)) => v,
                    (UnaryOperator::Not, v) => v.truthy().map_or(V::unknown("! of a non-boolean"), |b| V::Bool(!b)),
                    (UnaryOperator::Neg, v) => v.num().map_or(V::unknown("- of a non-number"), |n| V::Num(-n)),
                }
            }
            hcl::expr::Operation::Binary(b) => binary(b.operator, eval(&b.lhs_expr, s), || eval(&b.rhs_expr, s)),
        },
        Expression::ForExpr(f) => {
            let coll = eval(&f.collection_expr, s);
            let items: Vec<(V, V)> = match entries(&coll) {
                Some(i) => i,
                None => return V::Unknown(coll.unknown_part().unwrap_or("a for over a non-collection").into()),
            };
            let mut list = Vec::new();
            let mut map: BTreeMap<String, V> = BTreeMap::new();
            let mut groups: BTreeMap<String, Vec<V>> = BTreeMap::new();
            for (k, v) in items {
                let mut bind = vec![(f.value_var.as_str().to_string(), v)];
                if let Some(kv) = &f.key_var {
                    bind.insert(0, (kv.as_str().to_string(), k));
                }
                let inner = s.with(bind);
                if let Some(cond) = &f.cond_expr {
                    match eval(cond, &inner).truthy() {
                        Some(true) => {}
                        Some(false) => continue,
                        None => return V::unknown("a for filter that is not known"),
                    }
                }
                let value = eval(&f.value_expr, &inner);
                match &f.key_expr {
                    None => list.push(value),
                    Some(ke) => {
                        let Some(key) = eval(ke, &inner).text() else {
                            return V::unknown("a for key that is not known");
                        };
                        if f.grouping {
                            groups.entry(key).or_default().push(value);
                        } else {
                            map.insert(key, value);
                        }
                    }
                }
            }
            match (&f.key_expr, f.grouping) {
                (None, _) => V::List(list),
                (Some(_), false) => V::Map(map),
                (Some(_), true) => V::Map(groups.into_iter().map(|(k, v)| (k, V::List(v))).collect()),
            }
        }
        _ => V::unknown("an expression of a kind the test does not read"),
    }
}

/// The (key, value) pairs a `for` or `for_each` walks: list indexes or map keys.
pub fn entries(v: &V) -> Option<Vec<(V, V)>> {
    match v {
        V::List(l) | V::Blocks(l) => Some(l.iter().enumerate().map(|(i, v)| (V::Num(i as f64), v.clone())).collect()),
        V::Map(m) => Some(m.iter().map(|(k, v)| (V::Str(k.clone()), v.clone())).collect()),
        _ => None,
    }
}

fn traverse(root: &str, ops: &[TraversalOperator], s: &Scope) -> V {
    if let Some(v) = s.var(root) {
        return apply_ops(v.clone(), ops, s);
    }
    let attrs: Vec<String> = ops
        .iter()
        .map_while(|op| match op {
            TraversalOperator::GetAttr(id) => Some(id.as_str().to_string()),
            _ => None,
        })
        .collect();
    let (v, used) = s.r.root(root, &attrs);
    apply_ops(v, &ops[used.min(ops.len())..], s)
}

fn apply_ops(mut v: V, ops: &[TraversalOperator], s: &Scope) -> V {
    for (i, op) in ops.iter().enumerate() {
        if let V::Unknown(_) = v {
            return v;
        }
        v = match op {
            TraversalOperator::GetAttr(id) => attr(&v, id.as_str()),
            TraversalOperator::Index(e) => index(&v, &eval(e, s)),
            TraversalOperator::LegacyIndex(n) => index(&v, &V::Num(*n as f64)),
            TraversalOperator::AttrSplat | TraversalOperator::FullSplat => {
                let rest = &ops[i + 1..];
                return match &v {
                    V::Null => V::List(vec![]),
                    V::List(l) | V::Blocks(l) => V::List(l.iter().map(|x| apply_ops(x.clone(), rest, s)).collect()),
                    other => V::List(vec![apply_ops(other.clone(), rest, s)]),
                };
            }
        };
    }
    v
}

fn attr(v: &V, name: &str) -> V {
    match v {
        V::Map(m) => m.get(name).cloned().unwrap_or_else(|| V::unknown(format!("attribute {name} (computed)"))),
        V::Unknown(_) => v.clone(),
        _ => V::unknown(format!("attribute {name} of a non-object")),
    }
}

fn index(v: &V, i: &V) -> V {
    match (v, i) {
        (V::Unknown(_), _) => v.clone(),
        (_, V::Unknown(_)) => i.clone(),
        (V::List(l) | V::Blocks(l), i) => match i.num() {
            Some(n) if n >= 0.0 && (n as usize) < l.len() => l[n as usize].clone(),
            _ => V::unknown("an index out of range"),
        },
        (V::Map(m), i) => match i.text().and_then(|k| m.get(&k).cloned()) {
            Some(v) => v,
            None => V::unknown(format!("key {} (not set)", i.text().unwrap_or_default())),
        },
        _ => V::unknown("an index into a non-collection"),
    }
}

fn binary(op: BinaryOperator, l: V, r: impl FnOnce() -> V) -> V {
    // `&&` / `||` short-circuit as Terraform's do not, but a known side decides the result.
    match op {
        BinaryOperator::And if l.truthy() == Some(false) => return V::Bool(false),
        BinaryOperator::Or if l.truthy() == Some(true) => return V::Bool(true),
        _ => {}
    }
    let r = r();
    if let Some(u) = l.unknown_part().or(r.unknown_part()) {
        if matches!(op, BinaryOperator::Eq | BinaryOperator::NotEq) && (l.is_null() || r.is_null()) {
            // `x == null` where x is known only at apply time: a value from outside is not null.
            let eq = l.is_null() && r.is_null();
            return V::Bool(if op == BinaryOperator::Eq { eq } else { !eq });
        }
        return V::Unknown(u.to_string());
    }
    use BinaryOperator as B;
    match op {
        B::Eq | B::NotEq => {
            let eq = same(&l, &r);
            V::Bool(if op == B::Eq { eq } else { !eq })
        }
        B::And | B::Or => match (l.truthy(), r.truthy()) {
            (Some(a), Some(b)) => V::Bool(if op == B::And { a && b } else { a || b }),
            _ => V::unknown("a boolean operator on non-booleans"),
        },
        _ => {
            let (Some(a), Some(b)) = (l.num(), r.num()) else {
                return V::unknown("arithmetic on non-numbers");
            };
            match op {
                B::Less => V::Bool(a < b),
                B::LessEq => V::Bool(a <= b),
                B::Greater => V::Bool(a > b),
                B::GreaterEq => V::Bool(a >= b),
                B::Plus => V::Num(a + b),
                B::Minus => V::Num(a - b),
                B::Mul => V::Num(a * b),
                B::Div => V::Num(a / b),
                B::Mod => V::Num(a % b),
                _ => V::unknown("an operator"),
            }
        }
    }
}

/// Terraform's equality: numbers and their digits compare equal, as do lists and sets.
fn same(a: &V, b: &V) -> bool {
    match (a, b) {
        (V::Num(x), V::Num(y)) => x == y,
        (V::Null, V::Null) => true,
        (V::Null, _) | (_, V::Null) => false,
        (V::List(x) | V::Blocks(x), V::List(y) | V::Blocks(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (V::Map(x), V::Map(y)) => x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w))),
        _ => a.text().is_some() && a.text() == b.text() && std::mem::discriminant(a) == std::mem::discriminant(b),
    }
}

fn template_expr(t: &TemplateExpr, s: &Scope) -> V {
    match Template::from_expr(t) {
        Ok(t) => render(&t, s),
        Err(e) => V::unknown(format!("a template that does not parse ({e})")),
    }
}

/// Render a template (string template, heredoc or `templatefile` contents).
pub fn render(t: &Template, s: &Scope) -> V {
    let mut out = String::new();
    let mut unknown = None;
    match render_into(t.elements(), s, &mut out, false, false, &mut unknown) {
        Ok(()) => match unknown {
            None => V::Str(out),
            Some(u) => V::Partial(out, u),
        },
        Err(u) => V::Unknown(u),
    }
}

/// Appends the elements to `out`; `strip_next` trims the leading whitespace of the first
/// literal (a `~}` before it). A template made of one interpolation yields its value unchanged
/// in Terraform; here it yields its text.
/// An unknown interpolation writes [`PLACEHOLDER`] and is remembered in `unknown` (the first
/// one); an unknown condition or loop makes the whole text unknown (`Err`).
/// `strip_tail` is the closing directive's `~` before it (`%{~ endfor }`), which trims the last
/// literal. A marker trims only the line piece next to it, as HCL's scanner reads a template's
/// literal text one line at a time: `~}` up to and including the end of its line, `%{~` back
/// to the start of its line (or over the one newline just before it).
fn render_into(
    elems: &[Element],
    s: &Scope,
    out: &mut String,
    mut strip_next: bool,
    strip_tail: bool,
    unknown: &mut Option<String>,
) -> Result<(), String> {
    for (i, e) in elems.iter().enumerate() {
        let strip_before_next = match elems.get(i + 1) {
            Some(n) => n.clone_strip().strip_start(),
            None => strip_tail,
        };
        match e {
            Element::Literal(lit) => {
                let text = lit.as_str();
                let first_end = if strip_next { text.find('\n').map_or(text.len(), |i| i + 1) } else { 0 };
                let (head, rest) = text.split_at(first_end);
                let mut text = format!("{}{rest}", head.trim_start());
                if strip_before_next {
                    let body = text.strip_suffix('\n').unwrap_or(&text);
                    let start = body.rfind('\n').map_or(0, |i| i + 1);
                    let kept = text[start..].trim_end().len();
                    text.truncate(start + kept);
                }
                out.push_str(&text);
                strip_next = false;
            }
            Element::Interpolation(interp) => {
                let v = eval(&interp.expr, s);
                if let Some(u) = v.unknown_part() {
                    unknown.get_or_insert_with(|| u.to_string());
                    out.push_str(PLACEHOLDER);
                    strip_next = interp.strip.strip_end();
                    continue;
                }
                match v {
                    V::Null => {}
                    v => out.push_str(&v.text().ok_or("a collection interpolated into a string")?),
                }
                strip_next = interp.strip.strip_end();
            }
            Element::Directive(d) => match d.as_ref() {
                Directive::If(dir) => {
                    let cond = eval(&dir.cond_expr, s);
                    if let Some(u) = cond.unknown_part() {
                        return Err(u.to_string());
                    }
                    let end_strip = dir.endif_strip.strip_start();
                    let true_tail = if dir.false_template.is_some() { dir.else_strip.strip_start() } else { end_strip };
                    match cond.truthy() {
                        Some(true) => render_into(
                            dir.true_template.elements(),
                            s,
                            out,
                            dir.if_strip.strip_end(),
                            true_tail,
                            unknown,
                        )?,
                        Some(false) => {
                            if let Some(f) = &dir.false_template {
                                render_into(f.elements(), s, out, dir.else_strip.strip_end(), end_strip, unknown)?;
                            }
                        }
                        None => return Err("a template condition that is not a boolean".into()),
                    }
                    strip_next = dir.endif_strip.strip_end();
                }
                Directive::For(dir) => {
                    let coll = eval(&dir.collection_expr, s);
                    let items = entries(&coll).ok_or_else(|| {
                        coll.unknown_part().unwrap_or("a template for over a non-collection").to_string()
                    })?;
                    for (k, v) in items {
                        let mut bind = vec![(dir.value_var.as_str().to_string(), v)];
                        if let Some(kv) = &dir.key_var {
                            bind.push((kv.as_str().to_string(), k));
                        }
                        let mut body = String::new();
                        render_into(
                            dir.template.elements(),
                            &s.with(bind),
                            &mut body,
                            dir.for_strip.strip_end(),
                            dir.endfor_strip.strip_start(),
                            unknown,
                        )?;
                        out.push_str(&body);
                    }
                    strip_next = dir.endfor_strip.strip_end();
                }
            },
        }
    }
    Ok(())
}

trait StripOf {
    fn clone_strip(&self) -> Strip;
}

impl StripOf for Element {
    fn clone_strip(&self) -> Strip {
        match self {
            Element::Literal(_) => Strip::None,
            Element::Interpolation(i) => i.strip,
            Element::Directive(d) => match d.as_ref() {
                Directive::If(d) => d.if_strip,
                Directive::For(d) => d.for_strip,
            },
        }
    }
}

fn read_file(path: &str, s: &Scope) -> Result<(PathBuf, String), V> {
    let p = s.r.cwd().join(path);
    std::fs::read_to_string(&p).map(|t| (p, t)).map_err(|_| V::unknown(format!("file {path} (not in the repository)")))
}

fn strs(args: &[V]) -> Option<Vec<String>> {
    args.iter().map(V::text).collect()
}

fn call(name: &str, args: Vec<V>, s: &Scope) -> V {
    // Functions that look at unknown arguments themselves.
    match name {
        "try" => return args.iter().find(|a| a.unknown_part().is_none()).or(args.first()).cloned().unwrap_or(V::Null),
        "can" => {
            return match args.first().and_then(V::unknown_part) {
                Some(u) if u.starts_with("error") => V::Bool(false),
                Some(u) => V::Unknown(u.to_string()),
                None => V::Bool(true),
            };
        }
        "coalesce" => {
            for a in &args {
                match a {
                    V::Unknown(_) => return a.clone(),
                    V::Null => {}
                    V::Str(t) if t.is_empty() => {}
                    a => return a.clone(),
                }
            }
            return V::Null;
        }
        "merge" => {
            let mut out = BTreeMap::new();
            for a in &args {
                match a {
                    V::Map(m) => out.extend(m.iter().map(|(k, v)| (k.clone(), v.clone()))),
                    V::Null => {}
                    other => return V::Unknown(other.unknown_part().unwrap_or("merge of a non-map").into()),
                }
            }
            return V::Map(out);
        }
        "yamlencode" | "jsonencode" => return args.into_iter().next().map_or(V::Null, |v| V::Encoded(Box::new(v))),
        "sensitive" | "nonsensitive" | "tostring" | "tomap" | "tolist" | "toset" | "chomp_keep" => {
            let v = args.into_iter().next().unwrap_or(V::Null);
            return match (name, v) {
                ("tostring", v @ (V::Num(_) | V::Bool(_))) => V::Str(v.text().unwrap_or_default()),
                ("toset", V::List(l)) => V::List(dedup(l)),
                (_, v) => v,
            };
        }
        "lookup" => {
            return match (args.first(), args.get(1)) {
                (Some(V::Map(m)), Some(k)) => match k.text() {
                    Some(k) => m.get(&k).cloned().or_else(|| args.get(2).cloned()).unwrap_or(V::unknown("lookup miss")),
                    None => k.clone(),
                },
                (Some(u @ V::Unknown(_)), _) => u.clone(),
                _ => V::unknown("lookup on a non-map"),
            };
        }
        "length" => {
            return match args.first() {
                Some(V::List(l) | V::Blocks(l)) => V::Num(l.len() as f64),
                Some(V::Map(m)) => V::Num(m.len() as f64),
                Some(V::Str(t)) => V::Num(t.chars().count() as f64),
                Some(other) => V::Unknown(other.unknown_part().unwrap_or("length of a scalar").into()),
                None => V::unknown("length()"),
            };
        }
        "concat" => {
            let mut out = Vec::new();
            for a in &args {
                match a.as_list() {
                    Some(l) => out.extend(l.iter().cloned()),
                    None => return V::Unknown(a.unknown_part().unwrap_or("concat of a non-list").into()),
                }
            }
            return V::List(out);
        }
        "compact" => {
            return match args.first() {
                Some(V::List(l)) => {
                    V::List(l.iter().filter(|v| !matches!(v, V::Null) && v.as_str() != Some("")).cloned().collect())
                }
                Some(other) => other.clone(),
                None => V::Null,
            };
        }
        "distinct" => {
            return match args.into_iter().next() {
                Some(V::List(l)) => V::List(dedup(l)),
                Some(other) => other,
                None => V::Null,
            };
        }
        "flatten" => {
            fn flat(v: &V, out: &mut Vec<V>) {
                match v {
                    V::List(l) | V::Blocks(l) => l.iter().for_each(|x| flat(x, out)),
                    other => out.push(other.clone()),
                }
            }
            let mut out = Vec::new();
            args.iter().for_each(|a| flat(a, &mut out));
            return V::List(out);
        }
        "keys" | "values" => {
            return match args.first() {
                Some(V::Map(m)) if name == "keys" => V::List(m.keys().map(|k| V::Str(k.clone())).collect()),
                Some(V::Map(m)) => V::List(m.values().cloned().collect()),
                Some(other) => V::Unknown(other.unknown_part().unwrap_or("keys of a non-map").into()),
                None => V::Null,
            };
        }
        "contains" => {
            return match (args.first(), args.get(1)) {
                (Some(V::List(l)), Some(x)) if x.unknown_part().is_none() => V::Bool(l.iter().any(|v| same(v, x))),
                (Some(V::Map(m)), Some(x)) => V::Bool(x.text().is_some_and(|k| m.contains_key(&k))),
                _ => V::unknown("contains() of something unknown"),
            };
        }
        "element" => {
            return match (args.first(), args.get(1).and_then(V::num)) {
                (Some(V::List(l)), Some(i)) if !l.is_empty() => l[(i as usize) % l.len()].clone(),
                _ => V::unknown("element() of something unknown"),
            };
        }
        "one" => {
            return match args.first() {
                Some(V::List(l)) if l.is_empty() => V::Null,
                Some(V::List(l)) => l[0].clone(),
                _ => V::unknown("one() of something unknown"),
            };
        }
        "zipmap" => {
            return match (args.first(), args.get(1)) {
                (Some(V::List(k)), Some(V::List(v))) => {
                    V::Map(k.iter().filter_map(V::text).zip(v.iter().cloned()).collect())
                }
                _ => V::unknown("zipmap of something unknown"),
            };
        }
        "range" => {
            let n: Vec<f64> = args.iter().filter_map(V::num).collect();
            let (start, end, step) = match n.as_slice() {
                [e] => (0.0, *e, 1.0),
                [a, e] => (*a, *e, 1.0),
                [a, e, st] => (*a, *e, *st),
                _ => return V::unknown("range() of something unknown"),
            };
            let mut out = Vec::new();
            let mut x = start;
            while (step > 0.0 && x < end) || (step < 0.0 && x > end) {
                out.push(V::Num(x));
                x += step;
                if out.len() > 10_000 {
                    break;
                }
            }
            return V::List(out);
        }
        "file" => {
            return match args.first().and_then(V::text) {
                Some(p) => read_file(&p, s).map_or_else(|u| u, |(_, t)| V::Str(t)),
                None => V::Unknown(args.first().and_then(V::unknown_part).unwrap_or("file()").into()),
            };
        }
        "templatefile" => {
            let Some(p) = args.first().and_then(V::text) else {
                return V::Unknown(args.first().and_then(V::unknown_part).unwrap_or("templatefile()").into());
            };
            let (path, text) = match read_file(&p, s) {
                Ok(x) => x,
                Err(u) => return u,
            };
            let vars = match args.get(1) {
                Some(V::Map(m)) => m.clone(),
                _ => BTreeMap::new(),
            };
            return match text.parse::<Template>() {
                Ok(t) => {
                    let inner = Scope { r: &NoNames(s.r.cwd().to_path_buf()), vars: vars.into_iter().collect() };
                    render(&t, &inner)
                }
                Err(e) => V::unknown(format!("error: {} does not parse as a template ({e})", path.display())),
            };
        }
        _ => {}
    }
    if let Some(u) = args.iter().find_map(V::unknown_part) {
        return V::Unknown(u.to_string());
    }
    let t = strs(&args);
    let t1 = || t.as_ref().and_then(|t| t.first().cloned());
    let str_fn = |f: &dyn Fn(&[String]) -> Option<String>| {
        t.as_deref().and_then(f).map_or(V::unknown(format!("error: {name}()")), V::Str)
    };
    match name {
        "lower" => str_fn(&|a| a.first().map(|x| x.to_lowercase())),
        "upper" => str_fn(&|a| a.first().map(|x| x.to_uppercase())),
        "trimspace" => str_fn(&|a| a.first().map(|x| x.trim().to_string())),
        "chomp" => str_fn(&|a| a.first().map(|x| x.trim_end_matches(['\n', '\r']).to_string())),
        "trimprefix" => {
            str_fn(&|a| Some(a.first()?.strip_prefix(a.get(1)?.as_str()).unwrap_or(a.first()?).to_string()))
        }
        "trimsuffix" => {
            str_fn(&|a| Some(a.first()?.strip_suffix(a.get(1)?.as_str()).unwrap_or(a.first()?).to_string()))
        }
        "trim" => str_fn(&|a| {
            let cut: Vec<char> = a.get(1)?.chars().collect();
            Some(a.first()?.trim_matches(cut.as_slice()).to_string())
        }),
        "replace" => {
            // A pattern in slashes is a regular expression: not evaluated here.
            str_fn(&|a| {
                let (x, from, to) = (a.first()?, a.get(1)?, a.get(2)?);
                (!(from.len() > 1 && from.starts_with('/') && from.ends_with('/')))
                    .then(|| x.replace(from.as_str(), to))
            })
        }
        "substr" => str_fn(&|a| {
            let chars: Vec<char> = a.first()?.chars().collect();
            let off: usize = a.get(1)?.parse().ok()?;
            let len: i64 = a.get(2)?.parse().ok()?;
            let end = if len < 0 { chars.len() } else { (off + len as usize).min(chars.len()) };
            Some(chars.get(off.min(chars.len())..end)?.iter().collect())
        }),
        "indent" => str_fn(&|a| {
            let n: usize = a.first()?.parse().ok()?;
            let pad = " ".repeat(n);
            Some(a.get(1)?.replace('\n', &format!("\n{pad}")))
        }),
        "format" => format_fn(&args),
        "join" => match (args.first().and_then(V::text), args.get(1)) {
            (Some(sep), Some(l)) => match l.as_list().map(|l| l.iter().map(V::text).collect::<Option<Vec<_>>>()) {
                Some(Some(parts)) => V::Str(parts.join(&sep)),
                _ => V::unknown("error: join of a non-list"),
            },
            _ => V::unknown("error: join()"),
        },
        "split" => match t.as_deref() {
            Some([sep, x]) => V::List(x.split(sep.as_str()).map(|p| V::Str(p.to_string())).collect()),
            _ => V::unknown("error: split()"),
        },
        "startswith" | "endswith" => match t.as_deref() {
            Some([x, p]) => {
                V::Bool(if name == "startswith" { x.starts_with(p.as_str()) } else { x.ends_with(p.as_str()) })
            }
            _ => V::unknown("error: startswith()"),
        },
        "tonumber" => t1().and_then(|x| x.parse::<f64>().ok()).map_or(V::unknown("error: tonumber()"), V::Num),
        "tobool" => args.first().and_then(V::truthy).map_or(V::unknown("error: tobool()"), V::Bool),
        "min" | "max" => {
            let n: Vec<f64> = args.iter().filter_map(V::num).collect();
            let r = if name == "min" { n.iter().copied().reduce(f64::min) } else { n.iter().copied().reduce(f64::max) };
            r.map_or(V::unknown("error: min()"), V::Num)
        }
        "abs" => args.first().and_then(V::num).map_or(V::unknown("error: abs()"), |n| V::Num(n.abs())),
        "floor" => args.first().and_then(V::num).map_or(V::unknown("error: floor()"), |n| V::Num(n.floor())),
        "ceil" => args.first().and_then(V::num).map_or(V::unknown("error: ceil()"), |n| V::Num(n.ceil())),
        "jsondecode" | "yamldecode" => match t1() {
            Some(x) => {
                let parsed: Result<serde_json::Value, String> = if name == "jsondecode" {
                    serde_json::from_str(&x).map_err(|e| e.to_string())
                } else {
                    super::value::yaml_doc(&x).map_err(|e| e.to_string())
                };
                parsed.map_or_else(|e| V::unknown(format!("error: {name} ({e})")), |j| V::from_json(&j))
            }
            None => V::unknown("error: jsondecode()"),
        },
        "setunion" => {
            let mut out = Vec::new();
            for a in &args {
                out.extend(a.as_list().unwrap_or_default().iter().cloned());
            }
            V::List(dedup(out))
        }
        "reverse" => match args.first() {
            Some(V::List(l)) => V::List(l.iter().rev().cloned().collect()),
            _ => V::unknown("error: reverse()"),
        },
        "sort" => match args.first() {
            Some(V::List(l)) => {
                let mut t: Vec<String> = l.iter().filter_map(V::text).collect();
                t.sort();
                V::List(t.into_iter().map(V::Str).collect())
            }
            _ => V::unknown("error: sort()"),
        },
        "base64encode" => t1().map_or(V::unknown("error: base64encode()"), |x| V::Str(base64(x.as_bytes()))),
        "abspath" | "pathexpand" => t1().map_or(V::unknown("error: abspath()"), V::Str),
        "dirname" => t1().map_or(V::unknown("error: dirname()"), |x| {
            V::Str(Path::new(&x).parent().map(|p| p.to_string_lossy().into_owned()).unwrap_or_default())
        }),
        "basename" => t1().map_or(V::unknown("error: basename()"), |x| {
            V::Str(Path::new(&x).file_name().map(|p| p.to_string_lossy().into_owned()).unwrap_or_default())
        }),
        "fileset" => V::unknown("fileset() (directory listing)"),
        _ => V::unknown(format!("{name}() (not evaluated by the test)")),
    }
}

fn dedup(l: Vec<V>) -> Vec<V> {
    let mut seen = BTreeSet::new();
    l.into_iter().filter(|v| seen.insert(json_text(v))).collect()
}

/// `format` with the verbs the homelab uses (`%s`, `%d`, `%v`, `%%`).
fn format_fn(args: &[V]) -> V {
    let Some(spec) = args.first().and_then(V::text) else { return V::unknown("error: format()") };
    let mut out = String::new();
    let mut rest = args[1..].iter();
    let mut chars = spec.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some('s' | 'v' | 'd') => match rest.next().and_then(V::text) {
                Some(t) => out.push_str(&t),
                None => return V::unknown("error: format()"),
            },
            Some('q') => match rest.next().and_then(V::text) {
                Some(t) => out.push_str(&serde_json::Value::String(t).to_string()),
                None => return V::unknown("error: format()"),
            },
            _ => return V::unknown("format() with a verb the test does not evaluate"),
        }
    }
    V::Str(out)
}

/// Standard base64 with padding (Terraform's `base64encode`), written here so that the
/// reference side owes nothing to the compiler.
pub fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The scope of a `templatefile`: only the variables passed in.
struct NoNames(PathBuf);

impl Resolver for NoNames {
    fn root(&self, name: &str, _: &[String]) -> (V, usize) {
        (V::unknown(format!("error: {name} (not passed to the template)")), 0)
    }
    fn cwd(&self) -> &Path {
        &self.0
    }
}
