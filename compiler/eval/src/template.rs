//! `template(text, vars)`: Terraform's template language (what `templatefile` reads), so that a
//! configuration file kept beside a stack can be filled in with hl values unchanged.
//!
//! Supported: `${name}` and `${name.field}` (dotted paths into records and maps), the
//! directives `%{ if name }`, `%{ if !name }`, `%{ else }`, `%{ endif }`,
//! `%{ for v in name }`, `%{ for k, v in name }` and `%{ endfor }`, the strip markers `~`
//! (`${~ x ~}`, `%{~ if x ~}`: remove the whitespace on that side, as Terraform does: up to and
//! including the end of the marker's line after it, back to the start of its line before it;
//! `tests/tests/templates.rs` holds this to HashiCorp's HCL), and the
//! escapes `$${` and `%%{` for a literal `${` and `%{`. Anything else inside `${ }` or `%{ }` is
//! an error with its line and column in the template.

use crate::value::{Fields, Value, ValueKind};

/// A template error: what went wrong, and where in the template text (byte offset).
#[derive(Debug, PartialEq)]
pub struct TemplateError {
    pub offset: usize,
    pub message: String,
}

/// Line and column (both from 1) of a byte offset in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rfind('\n').map_or(before.chars().count(), |i| before[i + 1..].chars().count()) + 1;
    (line, col)
}

#[derive(Debug)]
enum Token {
    Text(String),
    /// A `${...}` with the offset of its expression.
    Interp(String, usize),
    /// A `%{...}` with the offset of its directive.
    Directive(String, usize),
}

#[derive(Debug)]
enum Node {
    Text(String),
    Interp(Vec<String>, usize),
    If { negate: bool, path: Vec<String>, at: usize, then: Vec<Node>, otherwise: Vec<Node> },
    For { key: Option<String>, value: String, path: Vec<String>, at: usize, body: Vec<Node> },
}

/// Split the text into literal text and `${ }` / `%{ }` tokens, applying the escapes and the
/// strip markers.
fn tokens(text: &str) -> Result<Vec<Token>, TemplateError> {
    let bytes = text.as_bytes();
    let mut out: Vec<Token> = Vec::new();
    let mut lit = String::new();
    let mut strip_next = false;
    let mut i = 0;
    let mut start = 0;
    while i < bytes.len() {
        let two = &bytes[i..(i + 2).min(bytes.len())];
        if (two == b"$$" || two == b"%%") && bytes.get(i + 2) == Some(&b'{') {
            lit.push_str(&text[start..i]);
            lit.push(bytes[i] as char);
            lit.push('{');
            i += 3;
            start = i;
            continue;
        }
        if (two == b"${" || two == b"%{") && two.len() == 2 {
            lit.push_str(&text[start..i]);
            let is_directive = bytes[i] == b'%';
            let open = i;
            let mut j = i + 2;
            let strip_before = bytes.get(j) == Some(&b'~');
            if strip_before {
                j += 1;
            }
            // The expression ends at the first `}`: template expressions here are names and
            // dotted paths, which hold no braces.
            let Some(close) = text[j..].find('}').map(|p| j + p) else {
                return Err(TemplateError {
                    offset: open,
                    message: format!("`{}{{` is never closed", bytes[i] as char),
                });
            };
            let mut end = close;
            let strip_after = end > j && bytes[end - 1] == b'~';
            if strip_after {
                end -= 1;
            }
            let mut text_before = std::mem::take(&mut lit);
            if strip_next {
                text_before = strip_first_line_start(&text_before);
            }
            if strip_before {
                text_before = strip_last_line_end(&text_before);
            }
            if !text_before.is_empty() {
                out.push(Token::Text(text_before));
            }
            let inner = text[j..end].to_string();
            out.push(if is_directive { Token::Directive(inner, j) } else { Token::Interp(inner, j) });
            strip_next = strip_after;
            i = close + 1;
            start = i;
            continue;
        }
        i += 1;
    }
    lit.push_str(&text[start..]);
    if strip_next {
        lit = strip_first_line_start(&lit);
    }
    if !lit.is_empty() {
        out.push(Token::Text(lit));
    }
    Ok(out)
}

/// What a `~}` removes from the literal after it: Terraform reads a template's literal text one
/// line at a time (each piece ends after its newline) and strips only the piece next to the
/// marker, so the whitespace up to and including the first newline goes, and the next line's
/// indentation stays.
fn strip_first_line_start(text: &str) -> String {
    let end = text.find('\n').map_or(text.len(), |i| i + 1);
    let mut out = text[..end].trim_start().to_string();
    out.push_str(&text[end..]);
    out
}

/// What a `${~` or `%{~` removes from the literal before it: the trailing whitespace of its
/// last line piece (the text after the last newline, or the whole last line with its newline
/// when the literal ends with one), never the lines before. One quirk of HCL's scanner is kept:
/// a line end right after `$` or `%` and one more character (`$ ` then a newline) is a piece
/// of its own, so only the line end goes, and the character before it stays.
fn strip_last_line_end(text: &str) -> String {
    let bytes = text.as_bytes();
    if bytes.last() == Some(&b'\n') {
        let crlf = bytes.len() >= 2 && bytes[bytes.len() - 2] == b'\r';
        // A `\r` after a run of two or more `$`/`%` is not such a character: HCL trims it.
        let ends_alone = |k: usize| {
            k >= 2
                && matches!(bytes[k - 2], b'$' | b'%')
                && bytes[k - 1] != b'{'
                && (bytes[k - 1] != b'\r' || k < 3 || !matches!(bytes[k - 3], b'$' | b'%'))
        };
        // The line end starts at `\r\n`, or at `\n` when that `\r` is the character after `$`.
        let k = if crlf && !ends_alone(bytes.len() - 1) { bytes.len() - 2 } else { bytes.len() - 1 };
        if ends_alone(k) {
            return text[..k].to_string();
        }
    }
    let body = text.strip_suffix('\n').unwrap_or(text);
    let start = body.rfind('\n').map_or(0, |i| i + 1);
    let mut out = text[..start].to_string();
    out.push_str(text[start..].trim_end());
    out
}

/// A dotted path (`a.b.c`) of names.
fn path(expr: &str, at: usize) -> Result<Vec<String>, TemplateError> {
    let expr = expr.trim();
    let ok = |p: &str| {
        p.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    let parts: Vec<String> = expr.split('.').map(str::to_string).collect();
    if parts.iter().all(|p| ok(p)) {
        Ok(parts)
    } else {
        Err(TemplateError {
            offset: at,
            message: format!(
                "`{expr}` is not a name or a dotted path (`name`, `name.field`), the expressions a template may hold"
            ),
        })
    }
}

/// Nodes up to one of the `until` directives, which is returned with its offset (`None` at the
/// end of the text).
type Parsed = (Vec<Node>, Option<(String, usize)>);

/// Parse tokens into nodes, up to one of the `until` directives.
fn nodes(toks: &mut std::iter::Peekable<std::vec::IntoIter<Token>>, until: &[&str]) -> Result<Parsed, TemplateError> {
    let mut out = Vec::new();
    while let Some(t) = toks.next() {
        match t {
            Token::Text(s) => out.push(Node::Text(s)),
            Token::Interp(e, at) => out.push(Node::Interp(path(&e, at)?, at)),
            Token::Directive(d, at) => {
                let words: Vec<&str> = d.split_whitespace().collect();
                match words.as_slice() {
                    [w] if until.contains(w) => return Ok((out, Some((w.to_string(), at)))),
                    ["if", cond] => {
                        let (negate, name) = match cond.strip_prefix('!') {
                            Some(n) => (true, n),
                            None => (false, *cond),
                        };
                        let path = path(name, at)?;
                        let (then, end) = nodes(toks, &["else", "endif"])?;
                        let otherwise = match end {
                            Some((w, _)) if w == "else" => match nodes(toks, &["endif"])? {
                                (o, Some(_)) => o,
                                (_, None) => return Err(unclosed("if", "endif", at)),
                            },
                            Some(_) => Vec::new(),
                            None => return Err(unclosed("if", "endif", at)),
                        };
                        out.push(Node::If { negate, path, at, then, otherwise });
                    }
                    ["for", v, "in", over] => {
                        let body = match nodes(toks, &["endfor"])? {
                            (b, Some(_)) => b,
                            (_, None) => return Err(unclosed("for", "endfor", at)),
                        };
                        let value = v.to_string();
                        out.push(Node::For { key: None, value, path: path(over, at)?, at, body });
                    }
                    ["for", k, v, "in", over] if k.ends_with(',') => {
                        let body = match nodes(toks, &["endfor"])? {
                            (b, Some(_)) => b,
                            (_, None) => return Err(unclosed("for", "endfor", at)),
                        };
                        let key = Some(k.trim_end_matches(',').to_string());
                        out.push(Node::For { key, value: v.to_string(), path: path(over, at)?, at, body });
                    }
                    _ => {
                        return Err(TemplateError {
                            offset: at,
                            message: format!(
                                "`%{{{d}}}` is not a directive a template may hold (`if NAME`, `else`, `endif`, `for V in NAME`, `for K, V in NAME`, `endfor`)"
                            ),
                        });
                    }
                }
            }
        }
    }
    Ok((out, None))
}

fn unclosed(what: &str, end: &str, at: usize) -> TemplateError {
    TemplateError { offset: at, message: format!("this `%{{ {what} }}` has no `%{{ {end} }}`") }
}

/// Where the template's values come from: the variables, and the loop variables in scope.
struct Scope<'v> {
    vars: &'v Fields<Value>,
    locals: Vec<(String, Value)>,
}

impl Scope<'_> {
    fn get(&self, path: &[String], at: usize) -> Result<Value, TemplateError> {
        let (first, rest) =
            path.split_first().ok_or_else(|| TemplateError { offset: at, message: "empty name".into() })?;
        let mut v = match self.locals.iter().rev().find(|(n, _)| n == first) {
            Some((_, v)) => v.clone(),
            None => self.vars.get(first).cloned().ok_or_else(|| {
                let mut known: Vec<&str> = self.vars.keys().map(String::as_str).collect();
                known.extend(self.locals.iter().map(|(n, _)| n.as_str()));
                TemplateError {
                    offset: at,
                    message: format!(
                        "the template uses `{first}`, which it is not given (it is given: {})",
                        if known.is_empty() { "nothing".to_string() } else { known.join(", ") }
                    ),
                }
            })?,
        };
        for (i, field) in rest.iter().enumerate() {
            let next = match &v.kind {
                ValueKind::Record(r) => r.fields.get(field).cloned(),
                ValueKind::Map(m) => m.get(field).cloned(),
                _ => None,
            };
            v = next.ok_or_else(|| TemplateError {
                offset: at,
                message: format!("`{}` has no field `{field}`", path[..=i].join(".")),
            })?;
        }
        Ok(v)
    }
}

fn render_nodes(nodes: &[Node], scope: &mut Scope<'_>, out: &mut String) -> Result<(), TemplateError> {
    for n in nodes {
        match n {
            Node::Text(t) => out.push_str(t),
            Node::Interp(path, at) => {
                let v = scope.get(path, *at)?;
                let t = v.as_text().ok_or_else(|| TemplateError {
                    offset: *at,
                    message: format!("`{}` is {}, which cannot be written into text", path.join("."), v.describe()),
                })?;
                out.push_str(&t);
            }
            Node::If { negate, path, at, then, otherwise } => {
                let v = scope.get(path, *at)?;
                let ValueKind::Bool(b) = v.kind else {
                    return Err(TemplateError {
                        offset: *at,
                        message: format!("`%{{ if }}` needs a Bool, and `{}` is {}", path.join("."), v.describe()),
                    });
                };
                render_nodes(if b != *negate { then } else { otherwise }, scope, out)?;
            }
            Node::For { key, value, path, at, body } => {
                let v = scope.get(path, *at)?;
                let items: Vec<(Value, Value)> = match &v.kind {
                    ValueKind::List(l) => l
                        .iter()
                        .enumerate()
                        .map(|(i, x)| (Value::new(ValueKind::Int(i as i64), x.span), x.clone()))
                        .collect(),
                    // Terraform goes through a map (or an object) in the byte order of its keys,
                    // whatever the order it was written in.
                    ValueKind::Map(m) => {
                        let mut entries: Vec<(&String, &Value)> = m.iter().collect();
                        entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
                        entries
                            .into_iter()
                            .map(|(k, x)| (Value::new(ValueKind::Str(k.clone()), x.span), x.clone()))
                            .collect()
                    }
                    _ => {
                        return Err(TemplateError {
                            offset: *at,
                            message: format!(
                                "`%{{ for }}` needs a list or a map, and `{}` is {}",
                                path.join("."),
                                v.describe()
                            ),
                        });
                    }
                };
                for (k, x) in items {
                    let mark = scope.locals.len();
                    if let Some(key) = key {
                        scope.locals.push((key.clone(), k));
                    }
                    scope.locals.push((value.clone(), x));
                    render_nodes(body, scope, out)?;
                    scope.locals.truncate(mark);
                }
            }
        }
    }
    Ok(())
}

/// Render `text` with `vars`.
pub fn render(text: &str, vars: &Fields<Value>) -> Result<String, TemplateError> {
    let mut toks = tokens(text)?.into_iter().peekable();
    let (tree, stray) = nodes(&mut toks, &[])?;
    if let Some((w, at)) = stray {
        return Err(TemplateError { offset: at, message: format!("`%{{ {w} }}` without its opening directive") });
    }
    let mut out = String::with_capacity(text.len());
    render_nodes(&tree, &mut Scope { vars, locals: Vec::new() }, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hl_diagnostics::{FileId, Span};

    fn v(kind: ValueKind) -> Value {
        Value::new(kind, Span::new(FileId(0), 0, 0))
    }

    fn s(text: &str) -> Value {
        v(ValueKind::Str(text.to_string()))
    }

    fn vars() -> Fields<Value> {
        let mut site = Fields::default();
        site.insert("host".to_string(), s("a.example.org"));
        site.insert("tls".to_string(), v(ValueKind::Bool(false)));
        let mut headers = Fields::default();
        headers.insert("X-A".to_string(), s("1"));
        headers.insert("X-B".to_string(), s("2"));
        let mut out = Fields::default();
        out.insert("port".to_string(), v(ValueKind::Int(80)));
        out.insert("site".to_string(), v(ValueKind::Map(site)));
        out.insert("names".to_string(), v(ValueKind::List(vec![s("a"), s("b")])));
        out.insert("headers".to_string(), v(ValueKind::Map(headers)));
        out
    }

    /// The same output as Terraform's `templatefile` gives for this text.
    #[test]
    fn renders_like_terraform() {
        let text = "listen ${port};\n\
                    server_name ${ site.host };\n\
                    %{ if site.tls }ssl on;%{ else }# plain%{ endif }\n\
                    %{ if !site.tls }insecure\n%{ endif }\
                    %{ for n in names ~}\n  alias ${n};\n%{ endfor ~}\n\
                    %{ for k, v in headers }${k}: ${v}\n%{ endfor }\
                    set $x $${y} %%{z};\n";
        let out = render(text, &vars()).expect("renders");
        assert_eq!(
            out,
            "listen 80;\nserver_name a.example.org;\n# plain\ninsecure\n  alias a;\n  alias b;\nX-A: 1\nX-B: 2\nset $x ${y} %{z};\n"
        );
    }

    #[test]
    fn errors_name_the_place_and_what_is_known() {
        let e = render("a\n  ${nope}", &vars()).expect_err("unknown");
        assert_eq!(line_col("a\n  ${nope}", e.offset), (2, 5));
        assert!(e.message.contains("`nope`") && e.message.contains("port, site, names, headers"), "{}", e.message);
        assert!(render("${site.missing}", &vars()).expect_err("field").message.contains("no field `missing`"));
        assert!(
            render("%{ for x in port }%{ endfor }", &vars()).expect_err("not a list").message.contains("list or a map")
        );
        assert!(render("%{ if port }%{ endif }", &vars()).expect_err("not a bool").message.contains("needs a Bool"));
        assert!(render("%{ for x in names }", &vars()).expect_err("open").message.contains("no `%{ endfor }`"));
        assert!(render("${a + b}", &vars()).expect_err("expr").message.contains("not a name"));
        assert!(render("${port", &vars()).expect_err("unclosed").message.contains("never closed"));
        assert!(render("%{ endif }", &vars()).is_err());
        assert!(render("${names}", &vars()).expect_err("list").message.contains("cannot be written"));
    }
}
