//! Diagnostics for hl.
//!
//! Every problem in user input becomes a [`Diagnostic`]: a stable [`Code`] from the registry
//! ([`CODES`], with [`lookup`]), a severity, a one-line message, a primary [`Label`] pointing at a
//! [`Span`], secondary labels, and help. Diagnostics are plain data; [`render`] turns them into
//! text for people (miette's graphical report) or for tools (one line per diagnostic).
//!
//! Spans are byte ranges into the files of one compilation, held in [`Sources`]; a span is
//! resolved to a line and column only when it is shown.
//!
//! ```
//! use hl_diagnostics::{Code, Diagnostic, Sources, Span, render};
//!
//! let mut sources = Sources::new();
//! let file = sources.add("stacks/web.hl", "service web {\n  replica = 2\n}\n");
//! let d = Diagnostic::new(
//!     Code::UnknownField,
//!     "`Service` has no field `replica`",
//!     Span::new(file, 16, 23),
//!     "unknown field",
//! )
//! .with_help("did you mean `replicas`?");
//! assert_eq!(
//!     render::short(&[d], &sources),
//!     "stacks/web.hl:2:3: error[E0204]: `Service` has no field `replica`\n",
//! );
//! ```

#![warn(missing_docs)]

mod codes;
pub mod render;
mod source;

pub use codes::{CODES, Code, CodeInfo, lookup};
pub use source::{FileId, LineCol, SourceFile, Sources, Span};

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The input is wrong. A compilation with any error emits nothing, and no stack can waive
    /// an error.
    Error,
    /// A departure from the homelab's conventions. Output is still written (unless the CLI
    /// runs with `--deny-warnings`), and a stack may accept it with `waive` and a reason.
    Warning,
}

impl Severity {
    /// The lowercase word reports use: `error` or `warning`, as in `error[E0204]`.
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
    /// Where: a byte range in one of the compilation's [`Sources`].
    pub span: Span,
    /// What is true there, short enough to draw under the snippet (`unknown field`,
    /// `the other job`). When empty, the place is marked without text.
    pub message: String,
}

impl Label {
    /// A label at `span` saying `message`.
    pub fn new(span: Span, message: impl Into<String>) -> Self {
        Label { span, message: message.into() }
    }
}

/// A change that fixes a diagnostic, for editors: replace `span` with `replacement` (an empty
/// span inserts). The language server offers each as a quick fix. A fix is only what the user
/// evidently meant (the name a misspelling is closest to, a variant of the expected enum);
/// none writes placeholder text that would merely silence a rule.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Fix {
    /// What an editor shows (`` Change `replica` to `replicas` ``).
    pub title: String,
    /// The text to replace, in the diagnostic's sources.
    pub span: Span,
    /// The new text.
    pub replacement: String,
    /// Whether this is the one evident fix, which an editor may apply without a choice.
    pub preferred: bool,
}

/// One problem found in user input.
///
/// Built with [`Diagnostic::new`] and the `with_*` methods; every field is public, so tools
/// read the code, severity, message and spans directly.
///
/// ```
/// use hl_diagnostics::{Code, Diagnostic, Severity, Sources, Span};
///
/// let mut sources = Sources::new();
/// let file = sources.add("web.hl", "service web {\n  replica = 2\n}\n");
/// let at = Span::new(file, 16, 23);
/// let d = Diagnostic::new(Code::UnknownField, "`Service` has no field `replica`", at, "unknown field")
///     .with_help("did you mean `replicas`?");
///
/// assert_eq!(d.code, Code::UnknownField);
/// assert_eq!((d.code.info().code, d.code.info().name), ("E0204", "unknown-field"));
/// assert_eq!(d.severity, Severity::Error); // the code's default severity
/// assert!(d.is_error());
/// let text = sources.get(file).expect("added above");
/// assert_eq!(text.slice(d.primary.span), "replica");
/// assert_eq!(d.help.as_deref(), Some("did you mean `replicas`?"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    /// The registry code. It never changes meaning; waivers and `hlc explain` name it.
    pub code: Code,
    /// Error or warning; [`Diagnostic::new`] takes the code's default
    /// ([`CodeInfo::severity`]).
    pub severity: Severity,
    /// One line without a final period that names the thing at fault
    /// (`` stack `web` depends on itself ``).
    pub message: String,
    /// Where the problem is and what is wrong there. Reports, sorting and the machine
    /// formats' location all use its span.
    pub primary: Label,
    /// Other places that explain the problem (the first of two clashing declarations, the
    /// field that expected a type), in the order they were added. They may lie in other files.
    pub secondary: Vec<Label>,
    /// How to fix it, when the compiler has concrete advice (`did you mean ...?`); `None`
    /// otherwise.
    pub help: Option<String>,
    /// Facts without a place of their own, printed after the snippet as `= note: ...`.
    pub notes: Vec<String>,
    /// Edits that fix it ([`Fix`]), for editors; the reports do not print them.
    pub fixes: Vec<Fix>,
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
            fixes: Vec::new(),
        }
    }

    /// Add a secondary label: another place that explains this problem.
    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Self {
        self.secondary.push(Label::new(span, message));
        self
    }

    /// Set the help line, replacing any earlier one.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// "did you mean `suggestion`?": the help line, and the preferred [`Fix`] that writes the
    /// suggestion over the primary label's span (which must be the misspelt text).
    ///
    /// ```
    /// use hl_diagnostics::{Code, Diagnostic, FileId, Span};
    ///
    /// let at = Span::new(FileId(0), 16, 23);
    /// let d = Diagnostic::new(Code::UnknownField, "`Service` has no field `replica`", at, "unknown field")
    ///     .with_suggestion("replicas");
    /// assert_eq!(d.help.as_deref(), Some("did you mean `replicas`?"));
    /// assert_eq!((d.fixes[0].span, d.fixes[0].replacement.as_str()), (at, "replicas"));
    /// ```
    pub fn with_suggestion(mut self, suggestion: impl Into<String>) -> Self {
        let suggestion = suggestion.into();
        self.help = Some(format!("did you mean `{suggestion}`?"));
        self.fixes.push(Fix {
            title: format!("Change to `{suggestion}`"),
            span: self.primary.span,
            replacement: suggestion,
            preferred: true,
        });
        self
    }

    /// Add a fix: replace `span` with `replacement`, shown as `title`.
    pub fn with_fix(mut self, title: impl Into<String>, span: Span, replacement: impl Into<String>) -> Self {
        self.fixes.push(Fix { title: title.into(), span, replacement: replacement.into(), preferred: false });
        self
    }

    /// Add a note, shown after the snippet.
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// Whether this diagnostic is an error, which stops the compilation from emitting output.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The order in which diagnostics are reported: by file, position, then code, so that
    /// output is byte-identical across runs and thread counts.
    pub fn sort_key(&self) -> (FileId, u32, u32, &'static str, &str) {
        (self.primary.span.file, self.primary.span.start, self.primary.span.end, self.code.info().code, &self.message)
    }
}

/// Whether a reason that a rule asks for (the one an `app(...)` or `none(...)` ingress gives,
/// a waiver's) says nothing: empty, only punctuation (`...`, `?`), a stand-in word (`n/a`,
/// `reason`), or a to-do marker (`TODO`, `TBD`, `FIXME`, `XXX`) with or without text after it.
/// Such a reason would satisfy the rule without anyone having answered it.
///
/// ```
/// use hl_diagnostics::placeholder_reason;
///
/// for r in ["", "  ", "...", "…", "TODO", "todo", "TODO: say what gates this service", "TBD", "FIXME later", "n/a"] {
///     assert!(placeholder_reason(r), "{r:?}");
/// }
/// for r in ["FreshRSS has its own login", "Todo app with its own login", "to do: nothing, it is public"] {
///     assert!(!placeholder_reason(r), "{r:?}");
/// }
/// ```
pub fn placeholder_reason(reason: &str) -> bool {
    const MARKERS: &[&str] = &["todo", "tbd", "tba", "fixme", "xxx"];
    const STAND_INS: &[&str] = &["n/a", "na", "none", "reason", "placeholder", "tbc", "-"];
    let r = reason.trim();
    if !r.chars().any(char::is_alphanumeric) {
        return true;
    }
    let lower = r.to_lowercase();
    if STAND_INS.contains(&lower.trim_end_matches(['.', '!'])) {
        return true;
    }
    let word: String = r.chars().take_while(|c| c.is_alphanumeric()).collect();
    let rest = &r[word.len()..];
    if !MARKERS.contains(&word.to_lowercase().as_str()) {
        return false;
    }
    // `TODO`, `todo:`, `TODO - ...`, `TODO say ...`; but `Todo app ...` is a name.
    rest.trim().is_empty() || !rest.starts_with(char::is_whitespace) || word.chars().all(|c| c.is_uppercase())
}

/// Sort diagnostics into reporting order ([`Diagnostic::sort_key`]) and drop exact
/// duplicates, such as the same problem found through two paths.
///
/// ```
/// use hl_diagnostics::{Code, Diagnostic, FileId, Span, sort_and_dedup};
///
/// let at = |start| Span::new(FileId(0), start, start + 1);
/// let late = Diagnostic::new(Code::UnknownName, "`b` is not defined", at(40), "not defined");
/// let early = Diagnostic::new(Code::UnknownName, "`a` is not defined", at(3), "not defined");
/// let mut diags = vec![late.clone(), early.clone(), late.clone()];
/// sort_and_dedup(&mut diags);
/// assert_eq!(diags, vec![early, late]);
/// ```
pub fn sort_and_dedup(diags: &mut Vec<Diagnostic>) {
    diags.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    diags.dedup();
}

/// "did you mean `x`?" for a misspelled name: the closest candidate by edit distance, if it is
/// close enough to be a plausible typo. The name itself is never suggested.
///
/// ```
/// use hl_diagnostics::did_you_mean;
///
/// let tiers = ["core", "cluster", "gpu", "edge", "aux"];
/// assert_eq!(did_you_mean("clster", tiers), Some("cluster"));
/// assert_eq!(did_you_mean("gold", tiers), None);
/// ```
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    nearest(name, candidates).map(|(c, _)| c)
}

/// [`did_you_mean`] with the suggestion's similarity (Jaro-Winkler, 0 to 1), so that the best
/// of several candidate lists can be picked without searching them together: of equal scores,
/// the first candidate wins.
pub fn nearest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<(&'a str, f64)> {
    nearest_two(name, candidates)[0]
}

/// The two best suggestions for `name`, best first, ranked by similarity and then by order:
/// the second is the answer when the first turns out to be excluded.
pub fn nearest_two<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> [Option<(&'a str, f64)>; 2] {
    let mut best: [Option<(&str, f64)>; 2] = [None, None];
    let len = name.chars().count();
    for cand in candidates {
        if cand == name {
            continue;
        }
        let score = strsim::jaro_winkler(name, cand);
        if best[1].is_some_and(|(_, s)| score <= s) {
            continue;
        }
        // The edit distance is at least the difference in length, so a long way off in length
        // needs no edit distance.
        let limit = 2.min(cand.len().saturating_sub(1)).max(1);
        let plausible =
            score > 0.85 || (len.abs_diff(cand.chars().count()) <= limit && strsim::levenshtein(name, cand) <= limit);
        if !plausible {
            continue;
        }
        if best[0].is_none_or(|(_, s)| score > s) {
            best = [Some((cand, score)), best[0]];
        } else {
            best[1] = Some((cand, score));
        }
    }
    best
}

/// Suggestions remembered by question, kept inside a value they are computed from (a list of
/// names): a workspace that lost a file or a stack asks the same question once per file or
/// stack that names it, and each search reads every name.
///
/// Being a function of its owner's other data, it takes no part in comparing the owner (two
/// memos are always equal), and a clone starts empty. It is shared between threads.
///
/// ```
/// use hl_diagnostics::SuggestionMemo;
///
/// let memo: SuggestionMemo<String, usize> = SuggestionMemo::default();
/// assert_eq!(memo.get_or_insert_with("clster".into(), || 7), 7);
/// assert_eq!(memo.get_or_insert_with("clster".into(), || unreachable!()), 7);
/// ```
pub struct SuggestionMemo<K, V>(std::sync::Mutex<std::collections::HashMap<K, V>>);

impl<K: Eq + std::hash::Hash, V: Clone> SuggestionMemo<K, V> {
    /// The remembered answer to `key`, or `compute`'s, which is then remembered. The search
    /// runs outside the lock: two threads asking at once may both search.
    pub fn get_or_insert_with(&self, key: K, compute: impl FnOnce() -> V) -> V {
        if let Some(found) = self.0.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return found;
        }
        let found = compute();
        if let Ok(mut m) = self.0.lock() {
            m.insert(key, found.clone());
        }
        found
    }

    /// How many answers are remembered.
    pub fn len(&self) -> usize {
        self.0.lock().map_or(0, |m| m.len())
    }

    /// Whether no answer is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<K, V> Default for SuggestionMemo<K, V> {
    fn default() -> Self {
        SuggestionMemo(std::sync::Mutex::default())
    }
}

impl<K, V> Clone for SuggestionMemo<K, V> {
    fn clone(&self) -> Self {
        SuggestionMemo::default()
    }
}

impl<K, V> PartialEq for SuggestionMemo<K, V> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl<K, V> Eq for SuggestionMemo<K, V> {}

impl<K, V> std::fmt::Debug for SuggestionMemo<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SuggestionMemo")
    }
}

/// Join names as "`a`, `b` or `c`" for messages; no names give an empty string.
///
/// ```
/// assert_eq!(hl_diagnostics::list_names(&["infra", "vault", "dbaas"]), "`infra`, `vault` or `dbaas`");
/// ```
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
    fn ranks_the_two_nearest_by_score_then_order() {
        let [first, second] = nearest_two("replica", ["image", "replicas", "replicaz", "replicasss"]);
        assert_eq!(first.map(|(c, _)| c), Some("replicas"));
        assert_eq!(second.map(|(c, _)| c), Some("replicaz"));
        assert_eq!(nearest_two("zzzzzz", ["image"]), [None, None]);
    }

    #[test]
    fn lists_names_in_prose() {
        assert_eq!(list_names(&["a", "b", "c"]), "`a`, `b` or `c`");
        assert_eq!(list_names(&["a"]), "`a`");
    }
}
