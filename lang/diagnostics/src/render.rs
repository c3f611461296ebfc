//! Renderers: the human report (miette's graphical handler) and the one-line short form.

use std::fmt;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};

use crate::{Diagnostic, Sources};

/// How to draw the human report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// Unicode box drawing with ANSI colours.
    Color,
    /// Unicode box drawing, no colours (stable for snapshots and pipes).
    Plain,
}

/// Render diagnostics the way `hlc check` prints them for people: a header
/// (`error[E0204]: message`), the snippet with its labels, help and notes, and a blank line
/// after each. `width` is the column count that long lines are wrapped to.
pub fn human(diags: &[Diagnostic], sources: &Sources, style: Style, width: usize) -> String {
    let mut theme = match style {
        Style::Color => GraphicalTheme::unicode(),
        Style::Plain => GraphicalTheme::unicode_nocolor(),
    };
    // The header already says `error[E0204]:`; no extra severity glyph in front of it.
    theme.characters.error = String::new();
    theme.characters.warning = String::new();
    theme.characters.advice = String::new();
    let handler = GraphicalReportHandler::new_themed(theme).with_width(width).with_links(false).with_context_lines(1);
    let mut out = String::new();
    for d in diags {
        let report = Report::new(d, sources);
        let mut one = String::new();
        if handler.render_report(&mut one, &report).is_err() {
            one = short_line(d, sources);
        }
        // miette indents the header to make room for a severity glyph we do not use.
        out.push_str(one.trim_start_matches(' '));
        // Notes, each with its own snippet when it points somewhere.
        for r in &report.related {
            if r.source.is_none() {
                out.push_str(&format!("  = {}\n", r.header));
                continue;
            }
            let mut note = String::new();
            if handler.render_report(&mut note, r).is_ok() {
                out.push_str(note.trim_start_matches(' '));
            }
        }
        out.push('\n');
    }
    out
}

/// One line per diagnostic: `path:line:col: error[E0204]: message`.
pub fn short(diags: &[Diagnostic], sources: &Sources) -> String {
    let mut out = String::new();
    for d in diags {
        out.push_str(&short_line(d, sources));
        out.push('\n');
    }
    out
}

fn short_line(d: &Diagnostic, sources: &Sources) -> String {
    let (path, lc) = match sources.get(d.primary.span.file) {
        Some(f) => (f.path.as_str(), f.line_col(d.primary.span.start)),
        None => ("<unknown>", crate::LineCol { line: 0, col: 0 }),
    };
    format!("{}:{}:{}: {}[{}]: {}", path, lc.line, lc.col, d.severity.as_str(), d.code.info().code, d.message)
}

/// A one-line summary such as `2 errors, 1 warning`.
///
/// ```
/// use hl_diagnostics::{Code, Diagnostic, Span, render};
///
/// let d = Diagnostic::new(Code::NamespaceTier, "namespace `scratch` has no tier", Span::default(), "no tier");
/// assert_eq!(render::summary(&[d]), "0 errors, 1 warning");
/// ```
pub fn summary(diags: &[Diagnostic]) -> String {
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    format!("{}, {}", plural(errors, "error"), plural(warnings, "warning"))
}

/// Adapter from our plain-data diagnostic to miette's trait. Labels in the primary file are
/// drawn on its snippet; labels in other files become related reports with their own snippet.
struct Report {
    header: String,
    severity: miette::Severity,
    help: Option<String>,
    source: Option<NamedSource<String>>,
    labels: Vec<LabeledSpan>,
    related: Vec<Related>,
}

/// A note attached to a report, optionally pointing into another file.
struct Related {
    header: String,
    source: Option<NamedSource<String>>,
    label: Option<LabeledSpan>,
}

impl fmt::Debug for Related {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.header)
    }
}

impl fmt::Display for Related {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.header)
    }
}

impl std::error::Error for Related {}

impl miette::Diagnostic for Related {
    fn severity(&self) -> Option<miette::Severity> {
        Some(miette::Severity::Advice)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.label.as_ref().map(|l| Box::new(std::iter::once(l.clone())) as Box<dyn Iterator<Item = LabeledSpan>>)
    }
}

impl Report {
    fn new(d: &Diagnostic, sources: &Sources) -> Self {
        let file = d.primary.span.file;
        let named =
            |id| sources.get(id).map(|f| NamedSource::new(f.path.clone(), f.text.to_string()).with_language("hl"));
        let mut labels =
            vec![LabeledSpan::new_primary_with_span(non_empty(d.primary.message.clone()), to_span(d.primary.span))];
        // Labels in other files are drawn as related notes with their own snippet.
        let mut related = Vec::new();
        for l in &d.secondary {
            if l.span.file == file {
                labels.push(LabeledSpan::new_with_span(non_empty(l.message.clone()), to_span(l.span)));
            } else if let Some(src) = named(l.span.file) {
                related.push(Related {
                    header: format!("note: {}", l.message),
                    source: Some(src),
                    label: Some(LabeledSpan::new_primary_with_span(None, to_span(l.span))),
                });
            }
        }
        for n in &d.notes {
            related.push(Related { header: format!("note: {n}"), source: None, label: None });
        }
        let help = d.help.clone();
        Report {
            header: format!("{}[{}]: {}", d.severity.as_str(), d.code.info().code, d.message),
            severity: match d.severity {
                crate::Severity::Error => miette::Severity::Error,
                crate::Severity::Warning => miette::Severity::Warning,
            },
            help,
            source: named(file),
            labels,
            related,
        }
    }
}

fn non_empty(s: String) -> Option<String> {
    if s.is_empty() { None } else { Some(s) }
}

fn to_span(s: crate::Span) -> SourceSpan {
    SourceSpan::new((s.start as usize).into(), s.len())
}

impl fmt::Debug for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.header)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.header)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
}

/// Position of a span for machine-readable output: 1-based lines and columns, end inclusive
/// of the last character's column + 1 (as editors count).
struct Pos {
    path: String,
    line: u32,
    col: u32,
    end_line: u32,
    end_col: u32,
}

fn pos(span: crate::Span, sources: &Sources) -> Pos {
    match sources.get(span.file) {
        Some(f) => {
            let a = f.line_col(span.start);
            let b = f.line_col(span.end);
            Pos { path: f.path.clone(), line: a.line, col: a.col, end_line: b.line, end_col: b.col }
        }
        None => Pos { path: String::new(), line: 0, col: 0, end_line: 0, end_col: 0 },
    }
}

fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn json_location(span: crate::Span, sources: &Sources) -> String {
    let p = pos(span, sources);
    format!(
        "\"file\":{},\"line\":{},\"column\":{},\"end_line\":{},\"end_column\":{}",
        json_string(&p.path),
        p.line,
        p.col,
        p.end_line,
        p.end_col
    )
}

/// One JSON object per diagnostic, in an array: file, line, column, end, code, name, severity,
/// message, labels (each with its own location), help and notes.
pub fn json(diags: &[Diagnostic], sources: &Sources) -> String {
    let mut items = Vec::new();
    for d in diags {
        let mut labels = vec![format!(
            "{{{},\"message\":{},\"primary\":true}}",
            json_location(d.primary.span, sources),
            json_string(&d.primary.message)
        )];
        for l in &d.secondary {
            labels.push(format!(
                "{{{},\"message\":{},\"primary\":false}}",
                json_location(l.span, sources),
                json_string(&l.message)
            ));
        }
        let notes: Vec<String> = d.notes.iter().map(|n| json_string(n)).collect();
        items.push(format!(
            "{{{},\"code\":{},\"name\":{},\"severity\":{},\"message\":{},\"labels\":[{}],\"help\":{},\"notes\":[{}]}}",
            json_location(d.primary.span, sources),
            json_string(d.code.info().code),
            json_string(d.code.info().name),
            json_string(d.severity.as_str()),
            json_string(&d.message),
            labels.join(","),
            d.help.as_deref().map_or("null".to_string(), json_string),
            notes.join(",")
        ));
    }
    if items.is_empty() { "[]\n".to_string() } else { format!("[\n  {}\n]\n", items.join(",\n  ")) }
}

/// GitHub Actions workflow commands: one `::error`/`::warning` annotation per diagnostic.
pub fn github(diags: &[Diagnostic], sources: &Sources) -> String {
    // Property values escape `%`, CR, LF, `:` and `,`; messages escape `%`, CR and LF.
    let prop = |s: &str| {
        s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A").replace(':', "%3A").replace(',', "%2C")
    };
    let msg = |s: &str| s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A");
    let mut out = String::new();
    for d in diags {
        let p = pos(d.primary.span, sources);
        let kind = if d.is_error() { "error" } else { "warning" };
        let mut text = d.message.clone();
        if let Some(h) = &d.help {
            text.push_str("\nhelp: ");
            text.push_str(h);
        }
        out.push_str(&format!(
            "::{kind} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
            prop(&p.path),
            p.line,
            p.col,
            p.end_line,
            p.end_col,
            prop(&format!("{} {}", d.code.info().code, d.code.info().name)),
            msg(&text)
        ));
    }
    out
}

/// SARIF 2.1.0: one run of the `hlc` tool with a rule per code used and a result per diagnostic.
pub fn sarif(diags: &[Diagnostic], sources: &Sources, version: &str) -> String {
    let mut codes: Vec<&crate::CodeInfo> = diags.iter().map(|d| d.code.info()).collect();
    codes.sort_by_key(|c| c.code);
    codes.dedup_by_key(|c| c.code);
    let rules: Vec<String> = codes
        .iter()
        .map(|c| {
            format!(
                "{{\"id\":{},\"name\":{},\"shortDescription\":{{\"text\":{}}},\"fullDescription\":{{\"markdown\":{},\"text\":{}}},\"defaultConfiguration\":{{\"level\":{}}}}}",
                json_string(c.code),
                json_string(c.name),
                json_string(c.summary),
                json_string(c.doc),
                json_string(c.summary),
                json_string(if c.severity == crate::Severity::Error { "error" } else { "warning" })
            )
        })
        .collect();
    let region = |span: crate::Span| {
        let p = pos(span, sources);
        format!(
            "{{\"physicalLocation\":{{\"artifactLocation\":{{\"uri\":{}}},\"region\":{{\"startLine\":{},\"startColumn\":{},\"endLine\":{},\"endColumn\":{}}}}}}}",
            json_string(&p.path),
            p.line.max(1),
            p.col.max(1),
            p.end_line.max(1),
            p.end_col.max(1)
        )
    };
    let results: Vec<String> = diags
        .iter()
        .map(|d| {
            let rule_index = codes.iter().position(|c| c.code == d.code.info().code).unwrap_or(0);
            let mut text = d.message.clone();
            if let Some(h) = &d.help {
                text.push_str("\nhelp: ");
                text.push_str(h);
            }
            let related: Vec<String> = d
                .secondary
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    let loc = region(l.span);
                    // Splice the id and message into the location object.
                    format!("{{\"id\":{i},\"message\":{{\"text\":{}}},{}", json_string(&l.message), &loc[1..])
                })
                .collect();
            format!(
                "{{\"ruleId\":{},\"ruleIndex\":{rule_index},\"level\":{},\"message\":{{\"text\":{}}},\"locations\":[{}]{}}}",
                json_string(d.code.info().code),
                json_string(if d.is_error() { "error" } else { "warning" }),
                json_string(&text),
                region(d.primary.span),
                if related.is_empty() { String::new() } else { format!(",\"relatedLocations\":[{}]", related.join(",")) }
            )
        })
        .collect();
    format!(
        "{{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\",\"version\":\"2.1.0\",\"runs\":[{{\"tool\":{{\"driver\":{{\"name\":\"hlc\",\"version\":{},\"informationUri\":\"https://github.com/ViktorBarzin/infra\",\"rules\":[{}]}}}},\"results\":[{}]}}]}}\n",
        json_string(version),
        rules.join(","),
        results.join(",")
    )
}
