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

/// Render diagnostics the way `hlc check` prints them for people.
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
