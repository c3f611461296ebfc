//! Diagnostics for hl.
//!
//! Every problem in user input becomes a [`Diagnostic`]: a stable [`Code`] from the registry
//! ([`codes`]), a severity, a one-line message, a primary [`Label`] pointing at a [`Span`],
//! secondary labels, and help. Diagnostics are plain data; [`render`] turns them into text
//! for people (miette's graphical report) or for tools (one line per diagnostic).

mod codes;
pub mod render;
mod source;

pub use codes::{CODES, Code, CodeInfo, lookup};
pub use source::{FileId, LineCol, SourceFile, Sources, Span};

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// A span with a message: one fact about one place.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

impl Label {
    pub fn new(span: Span, message: impl Into<String>) -> Self {
        Label { span, message: message.into() }
    }
}

/// One problem found in user input.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    pub primary: Label,
    pub secondary: Vec<Label>,
    pub help: Option<String>,
    pub notes: Vec<String>,
}

impl Diagnostic {
    /// A diagnostic with the code's default severity.
    pub fn new(code: Code, message: impl Into<String>, span: Span, label: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: code.info().severity,
            message: message.into(),
            primary: Label::new(span, label),
            secondary: Vec::new(),
            help: None,
            notes: Vec::new(),
        }
    }

    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Self {
        self.secondary.push(Label::new(span, message));
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The order in which diagnostics are reported: by file, position, then code, so that
    /// output is byte-identical across runs and thread counts.
    pub fn sort_key(&self) -> (FileId, u32, u32, &'static str, &str) {
        (self.primary.span.file, self.primary.span.start, self.primary.span.end, self.code.info().code, &self.message)
    }
}

/// Sort diagnostics into reporting order and drop exact duplicates.
pub fn sort_and_dedup(diags: &mut Vec<Diagnostic>) {
    diags.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    diags.dedup();
}

/// "did you mean `x`?" for a misspelled name: the closest candidate by edit distance, if it is
/// close enough to be a plausible typo.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(&str, f64)> = None;
    for cand in candidates {
        if cand == name {
            continue;
        }
        let score = strsim::jaro_winkler(name, cand);
        let dist = strsim::levenshtein(name, cand);
        let plausible = score > 0.85 || dist <= 2.min(cand.len().saturating_sub(1)).max(1);
        if plausible && best.is_none_or(|(_, s)| score > s) {
            best = Some((cand, score));
        }
    }
    best.map(|(c, _)| c)
}

/// Join names as "`a`, `b` or `c`" for messages.
pub fn list_names<S: AsRef<str>>(names: &[S]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{}`", n.as_ref())).collect();
    match quoted.len() {
        0 => String::new(),
        1 => quoted[0].clone(),
        n => format!("{} or {}", quoted[..n - 1].join(", "), quoted[n - 1]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let fields = ["replicas", "image", "port", "resources"];
        assert_eq!(did_you_mean("replica", fields), Some("replicas"));
        assert_eq!(did_you_mean("prot", fields), Some("port"));
        assert_eq!(did_you_mean("zzzzzz", fields), None);
    }

    #[test]
    fn lists_names_in_prose() {
        assert_eq!(list_names(&["a", "b", "c"]), "`a`, `b` or `c`");
        assert_eq!(list_names(&["a"]), "`a`");
    }
}
