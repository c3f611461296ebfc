//! References and rename on the compiler's scope resolution (`hlc_core::names`, the static
//! pass's record of what every name refers to), never on the text: a use belongs to a
//! definition when the compiler resolves it there. Renaming a stack leaves a parameter of the
//! same name alone, renaming a parameter changes only its uses (and the named arguments that
//! set it), and a rename is refused when the compiler would resolve any name of the
//! workspace differently afterwards (the new name captured by, or shadowing, another binding).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use hl_syntax::ast::Item;
use hlc_core::diagnostics::{FileId, Span};
use hlc_core::names::{NameFile, Resolved, Target, is_stdlib, resolve_names, stdlib_path};

use crate::analysis::Index;

/// What every name of the workspace's files refers to, by file index (as [`Index::files`]).
pub struct Names {
    pub files: Vec<Resolved>,
}

/// A file's path as imports name it: relative to the workspace root, with `/`.
fn logical(ws: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(ws).unwrap_or(path);
    rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

impl Names {
    pub fn resolve(index: &Index, ws: &Path) -> Names {
        let files: Vec<NameFile<'_>> = index
            .files
            .iter()
            .enumerate()
            .map(|(i, f)| NameFile { id: FileId(i as u32), path: logical(ws, &f.path), ast: &f.ast })
            .collect();
        Names { files: resolve_names(&files) }
    }

    /// The names of `index` (a workspace rooted at `ws`), resolved once per index.
    pub fn of<'i>(index: &'i Index, ws: &Path) -> &'i Names {
        index.names.get_or_init(|| Names::resolve(index, ws))
    }

    /// Where the definition of `target` is: a file index and its name's span, or the
    /// standard library's logical path and the span.
    pub fn definition(&self, target: &Target) -> Option<(Result<usize, &'static str>, Span)> {
        match target {
            Target::Local(s) | Target::Global(s) => match stdlib_path(s.file) {
                Some(path) => Some((Err(path), *s)),
                None => Some((Ok(s.file.0 as usize), *s)),
            },
            Target::Stack(_) => self
                .files
                .iter()
                .enumerate()
                .find_map(|(fi, r)| r.defs.iter().find(|d| &d.target == target).map(|d| (Ok(fi), d.span))),
            _ => None,
        }
    }

    /// The name at `offset` of file `fi` (a definition or a use) and what it refers to.
    pub fn at(&self, fi: usize, offset: usize) -> Option<(Span, Target)> {
        let r = self.files.get(fi)?;
        r.defs
            .iter()
            .chain(&r.uses)
            .filter(|u| (u.span.start as usize) <= offset && offset <= u.span.end as usize)
            .min_by_key(|u| u.span.end - u.span.start)
            .map(|u| (u.span, u.target.clone()))
    }

    /// Every definition (with `declarations`) and use of `target`, by file index.
    pub fn occurrences(&self, target: &Target, declarations: bool) -> Vec<(usize, Span)> {
        let mut out = Vec::new();
        for (fi, r) in self.files.iter().enumerate() {
            let defs = r.defs.iter().filter(|_| declarations);
            for u in defs.chain(&r.uses) {
                if &u.target == target && !out.contains(&(fi, u.span)) {
                    out.push((fi, u.span));
                }
            }
        }
        out.sort_by_key(|(fi, s)| (*fi, s.start));
        out
    }
}

/// Whether `target` can be renamed: a `let`, `fn` or parameter of the workspace, or one of its
/// stacks. The error says why not.
pub fn renameable(names: &Names, target: &Target, text: &str) -> Result<(), String> {
    match target {
        Target::Local(def) | Target::Global(def) if is_stdlib(def.file) => {
            Err(format!("`{text}` is defined by the standard library and cannot be renamed"))
        }
        Target::Local(_) | Target::Global(_) => Ok(()),
        Target::Stack(name) => {
            if names.files.iter().any(|r| r.defs.iter().any(|d| &d.target == target)) {
                Ok(())
            } else {
                Err(format!("no stack `{name}` is declared in the workspace"))
            }
        }
        Target::Builtin => Err(format!("`{text}` is a built-in function and cannot be renamed")),
        Target::Cluster => Err("`cluster` names the workspace's cluster facts and cannot be renamed".into()),
        Target::Variant => Err(format!("`{text}` is an enum variant; variants cannot be renamed")),
        Target::Module(_) => Err(format!("`{text}` is an import's alias; aliases cannot be renamed")),
        Target::Unresolved => Err(format!("`{text}` does not refer to a definition")),
    }
}

/// A rename: the new text of every file it changes, checked to resolve every name as before.
pub struct Rename {
    /// File index → the spans replaced by the new name.
    pub edits: BTreeMap<usize, Vec<Span>>,
}

/// `pos` of file `fi` once `edits` replaced their spans with `len` bytes each.
fn moved(edits: &BTreeMap<usize, Vec<Span>>, fi: usize, pos: u32, len: usize) -> u32 {
    let delta: i64 = edits
        .get(&fi)
        .into_iter()
        .flatten()
        .filter(|s| s.end <= pos)
        .map(|s| len as i64 - i64::from(s.end - s.start))
        .sum();
    (i64::from(pos) + delta) as u32
}

fn moved_span(edits: &BTreeMap<usize, Vec<Span>>, fi: usize, s: Span, len: usize) -> Span {
    Span { file: s.file, start: moved(edits, fi, s.start, len), end: moved(edits, fi, s.end, len) }
}

/// Plan renaming `target` (written `old`) to `new`, refusing a rename that would make any name
/// of the workspace resolve to something else: the workspace is resolved again with the new
/// text, and every use must refer to what it referred to before (the renamed definition under
/// its new name).
pub fn plan(index: &Index, ws: &Path, names: &Names, target: &Target, old: &str, new: &str) -> Result<Rename, String> {
    let mut edits: BTreeMap<usize, Vec<Span>> = BTreeMap::new();
    for (fi, span) in names.occurrences(target, true) {
        edits.entry(fi).or_default().push(span);
    }
    let taken = Target::Stack(new.to_string());
    match target {
        Target::Stack(_) if names.files.iter().any(|r| r.defs.iter().any(|d| d.target == taken)) => {
            return Err(format!("a stack `{new}` is already declared"));
        }
        Target::Global(def) => {
            // Another top-level definition of that name in the same file: both would be defined.
            let fi = def.file.0 as usize;
            let taken = index.files.get(fi).is_some_and(|f| {
                f.ast.items.iter().any(|i| match i {
                    Item::Let(l) => l.name.name == new,
                    Item::Fn(d) => d.name.name == new,
                    _ => false,
                })
            });
            if taken {
                return Err(format!("`{new}` is already defined in the same file"));
            }
        }
        _ => {}
    }
    // The workspace as it would be.
    let mut texts: HashMap<usize, String> = HashMap::new();
    for (fi, spans) in &edits {
        let Some(f) = index.files.get(*fi) else { continue };
        let mut text = f.text.text().to_string();
        let mut spans = spans.clone();
        spans.sort_by_key(|s| std::cmp::Reverse(s.start));
        for s in spans {
            if let Some(range) = text.get(s.start as usize..s.end as usize)
                && range == old
            {
                text.replace_range(s.start as usize..s.end as usize, new);
            } else {
                return Err(format!("the text at a use of `{old}` changed; try again"));
            }
        }
        texts.insert(*fi, text);
    }
    let parsed: HashMap<usize, hl_syntax::Parse> =
        texts.iter().map(|(fi, t)| (*fi, hl_syntax::parse(FileId(*fi as u32), t))).collect();
    for (fi, p) in &parsed {
        // Parsed again only when the new text has errors: was it already broken?
        if !p.errors.is_empty()
            && p.errors.len() > hl_syntax::parse(FileId(*fi as u32), index.files[*fi].text.text()).errors.len()
        {
            return Err(format!("`{new}` cannot stand where `{old}` does"));
        }
    }
    let files: Vec<NameFile<'_>> = index
        .files
        .iter()
        .enumerate()
        .map(|(i, f)| NameFile {
            id: FileId(i as u32),
            path: logical(ws, &f.path),
            ast: parsed.get(&i).map_or(&*f.ast, |p| &p.file),
        })
        .collect();
    let after = resolve_names(&files);
    let len = new.len();
    let expected = |t: &Target| -> Target {
        match t {
            Target::Local(s) => Target::Local(moved_span(&edits, s.file.0 as usize, *s, len)),
            Target::Global(s) if !is_stdlib(s.file) => Target::Global(moved_span(&edits, s.file.0 as usize, *s, len)),
            Target::Stack(n) if t == target => Target::Stack(new.to_string()),
            other => other.clone(),
        }
    };
    for (fi, (before, now)) in names.files.iter().zip(&after).enumerate() {
        let now: HashMap<(u32, u32), &Target> =
            now.uses.iter().map(|u| ((u.span.start, u.span.end), &u.target)).collect();
        for u in &before.uses {
            let s = moved_span(&edits, fi, u.span, len);
            let want = expected(&u.target);
            if now.get(&(s.start, s.end)).copied() != Some(&want) {
                let f = &index.files[fi];
                let name = texts.get(&fi).map_or(f.text.text(), String::as_str).get(s.start as usize..s.end as usize);
                let line = f.text.text().get(..u.span.start as usize).unwrap_or_default().matches('\n').count() + 1;
                let file = f.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                return Err(format!(
                    "renaming `{old}` to `{new}` would change what `{}` refers to ({file}, line {line}): \
                     the new name is captured by, or shadows, another binding there",
                    name.unwrap_or(new)
                ));
            }
        }
    }
    Ok(Rename { edits })
}
