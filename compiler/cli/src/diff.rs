//! `hlc diff`: compile two git revisions of a workspace (read through git, the working tree is
//! not touched) and report the emitted files that were added, removed or changed, grouped by
//! stack, with a line diff per changed file and the declaration each object comes from.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use hlc_core::{Compilation, Host};

/// What changed in one output file.
pub struct Change {
    pub path: String,
    pub kind: &'static str,
    pub diff: String,
    /// `file:line` of the declaration, when the file is a Kubernetes object.
    pub source: Option<String>,
}

fn git(root: &Path, args: &[&str]) -> std::io::Result<Vec<u8>> {
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .output()
        .map_err(|e| std::io::Error::other(format!("cannot run git: {e}")))?;
    if !out.status.success() {
        return Err(std::io::Error::other(format!(
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(out.stdout)
}

/// A workspace directory at a git revision, read through git (`ls-tree` + `show`): the
/// working tree is never touched.
pub struct GitHost {
    top: std::path::PathBuf,
    prefix: String,
    rev: String,
}

impl GitHost {
    /// The workspace `dir` (inside a git repository) at revision `rev`.
    pub fn new(dir: &Path, rev: &str) -> std::io::Result<Self> {
        let top = String::from_utf8_lossy(&git(dir, &["rev-parse", "--show-toplevel"])?).trim().to_string();
        let prefix = String::from_utf8_lossy(&git(dir, &["rev-parse", "--show-prefix"])?).trim().to_string();
        Ok(GitHost { top: top.into(), prefix, rev: rev.to_string() })
    }
}

impl Host for GitHost {
    fn files(&self) -> std::io::Result<Vec<String>> {
        let listing = git(&self.top, &["ls-tree", "-r", "--name-only", &self.rev, "--", &self.prefix])?;
        let files: Vec<String> = String::from_utf8_lossy(&listing)
            .lines()
            .filter(|p| !p.rsplit('/').next().is_some_and(|name| name.starts_with('.')))
            .map(|p| p.strip_prefix(&self.prefix).unwrap_or(p).to_string())
            .collect();
        // The `.hl` files are the sources; the others are there for `file(...)`.
        if !files.iter().any(|p| p.ends_with(".hl")) {
            return Err(std::io::Error::other(format!("no .hl files under `{}` at `{}`", self.prefix, self.rev)));
        }
        Ok(files)
    }

    fn read(&self, path: &str) -> std::io::Result<Vec<u8>> {
        git(&self.top, &["show", &format!("{}:{}{path}", self.rev, self.prefix)])
    }

    fn display(&self, path: &str) -> String {
        format!("{}{path}@{}", self.prefix, self.rev)
    }
}

/// `file:line` of the declaration an output file comes from.
pub fn source_of(c: &Compilation, path: &str) -> Option<String> {
    let span = c.origins.get(path)?;
    let f = c.sources.get(span.file)?;
    let lc = f.line_col(span.start);
    Some(format!("{}:{}", f.path, lc.line))
}

/// The changes from `base` to `head`, sorted by path.
pub fn changes(base: &Compilation, head: &Compilation) -> Vec<Change> {
    let old: BTreeMap<&str, &str> = base.artifacts.iter().map(|a| (a.path.as_str(), a.contents.as_str())).collect();
    let new: BTreeMap<&str, &str> = head.artifacts.iter().map(|a| (a.path.as_str(), a.contents.as_str())).collect();
    let mut out = Vec::new();
    let paths: std::collections::BTreeSet<&str> = old.keys().chain(new.keys()).copied().collect();
    for path in paths {
        let (kind, a, b, source) = match (old.get(path), new.get(path)) {
            (None, Some(b)) => ("added", "", *b, source_of(head, path)),
            (Some(a), None) => ("removed", *a, "", source_of(base, path)),
            (Some(a), Some(b)) if a != b => ("changed", *a, *b, source_of(head, path)),
            _ => continue,
        };
        let diff = unified(a, b, &format!("base/{path}"), &format!("head/{path}"));
        out.push(Change { path: path.to_string(), kind, diff, source });
    }
    out
}

/// A unified line diff of two texts (three lines of context), with these file names.
pub fn unified(a: &str, b: &str, old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(a, b).unified_diff().context_radius(3).header(old, new).to_string()
}

/// The group a path belongs to: its stack, or the kind of host-side output.
pub fn group(path: &str) -> String {
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        ["k8s", "flux", ..] => "flux".into(),
        ["k8s", stack, ..] => (*stack).into(),
        [first, ..] if first.starts_with("graph.") => "graph".into(),
        [first, ..] => (*first).into(),
        [] => String::new(),
    }
}

pub fn render_text(changes: &[Change]) -> String {
    let mut out = String::new();
    let mut last = String::new();
    for c in changes {
        let g = group(&c.path);
        if g != last {
            out.push_str(&format!("== {g}\n"));
            last = g;
        }
        let from = c.source.as_deref().map(|s| format!("  (from {s})")).unwrap_or_default();
        out.push_str(&format!("{} {}{from}\n", c.kind, c.path));
        if c.kind == "changed" {
            out.push_str(&c.diff);
        }
    }
    let count = |k: &str| changes.iter().filter(|c| c.kind == k).count();
    out.push_str(&format!("{} added, {} removed, {} changed\n", count("added"), count("removed"), count("changed")));
    out
}

pub fn render_markdown(changes: &[Change], base: &str, head: &str) -> String {
    let count = |k: &str| changes.iter().filter(|c| c.kind == k).count();
    let mut out = format!(
        "### hlc diff `{base}` → `{head}`\n\n{} added, {} removed, {} changed\n",
        count("added"),
        count("removed"),
        count("changed")
    );
    let mut last = String::new();
    for c in changes {
        let g = group(&c.path);
        if g != last {
            out.push_str(&format!("\n#### {g}\n\n"));
            last = g;
        }
        let from = c.source.as_deref().map(|s| format!(" — from `{s}`")).unwrap_or_default();
        out.push_str(&format!("- **{}** `{}`{from}\n", c.kind, c.path));
        if c.kind == "changed" {
            out.push_str(&format!("\n```diff\n{}```\n\n", c.diff));
        }
    }
    out
}

pub fn render_json(changes: &[Change]) -> String {
    let items: Vec<String> = changes
        .iter()
        .map(|c| {
            format!(
                "{{\"group\":{},\"path\":{},\"change\":{},\"source\":{},\"diff\":{}}}",
                crate::json_str(&group(&c.path)),
                crate::json_str(&c.path),
                crate::json_str(c.kind),
                c.source.as_deref().map_or("null".into(), crate::json_str),
                crate::json_str(&c.diff)
            )
        })
        .collect();
    if items.is_empty() { "[]\n".into() } else { format!("[\n  {}\n]\n", items.join(",\n  ")) }
}
