//! Disk IO: reading a workspace and replacing the output directory atomically.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use hlc_core::OutputFile;
use hlc_core::diagnostics::Code;
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

/// The file that marks a directory as an output `hlc` wrote, and names the workspace it was
/// built from. An existing output directory is replaced only when it has one (or is empty).
pub const MARKER: &str = ".hlc-output";

/// Why `hlc` will not write to an output directory: a coded refusal with what to do instead,
/// or an IO problem that kept it from finding out.
#[derive(Debug)]
pub enum Refusal {
    Coded { code: Code, message: String, help: String },
    Io(String),
}

impl Refusal {
    fn new(code: Code, message: String, help: impl Into<String>) -> Refusal {
        Refusal::Coded { code, message, help: help.into() }
    }
}

/// The directories whose presence makes a directory the root of a version-controlled tree.
const VCS_DIRS: &[&str] = &[".git", ".hg", ".svn", ".jj"];

/// Check that `out` may be written (and replaced as a whole) for a build of `workspace`, and
/// return it as an absolute path without symbolic links in its parents. `out` must not be,
/// contain or lie inside the workspace; it must not be or contain the root of a
/// version-controlled tree (the one of the workspace, of the current directory, or `out`
/// itself); and if it exists it must be a real directory (not a link, not a file) that is
/// empty or carries [`MARKER`].
pub fn guard_out(out: &Path, workspace: &Path) -> Result<PathBuf, Refusal> {
    let shown = out.display().to_string();
    let abs_out = resolve(out).map_err(|e| Refusal::Io(format!("cannot write {shown}: {e}")))?;
    let abs_ws = fs::canonicalize(workspace)
        .map_err(|e| Refusal::Io(format!("cannot read the workspace {}: {e}", workspace.display())))?;
    let ws_shown = workspace.display();
    if abs_out == abs_ws {
        return Err(Refusal::new(
            Code::OutOverlapsWorkspace,
            format!("the output directory `{shown}` is the workspace `{ws_shown}`"),
            "write the output beside the workspace, e.g. `--out out`",
        ));
    }
    if abs_ws.starts_with(&abs_out) {
        return Err(Refusal::new(
            Code::OutOverlapsWorkspace,
            format!("the output directory `{shown}` contains the workspace `{ws_shown}`"),
            "write the output into a directory of its own beside the workspace, e.g. `--out out`",
        ));
    }
    if abs_out.starts_with(&abs_ws) {
        return Err(Refusal::new(
            Code::OutOverlapsWorkspace,
            format!("the output directory `{shown}` lies inside the workspace `{ws_shown}`"),
            "write the output outside the workspace, e.g. `--out out` beside it",
        ));
    }
    if is_vcs_root(&abs_out) {
        return Err(Refusal::new(
            Code::OutIsRepository,
            format!("the output directory `{shown}` is the root of a version-controlled tree"),
            "write the output into a directory of its own, e.g. `--out out`",
        ));
    }
    let cwd = std::env::current_dir().ok().and_then(|d| fs::canonicalize(d).ok());
    for root in [Some(abs_ws.as_path()), cwd.as_deref()].into_iter().flatten().filter_map(vcs_root) {
        if root.starts_with(&abs_out) {
            return Err(Refusal::new(
                Code::OutIsRepository,
                format!("the output directory `{shown}` contains the repository at `{}`", root.display()),
                "write the output into a directory of its own inside the repository, e.g. `--out out`",
            ));
        }
    }
    match fs::symlink_metadata(&abs_out) {
        // Nothing there to lose (missing, or its parent is no directory: writing will say so).
        Err(_) => Ok(abs_out),
        Ok(m) if m.file_type().is_symlink() => Err(Refusal::new(
            Code::OutNotHlcOutput,
            format!("the output path `{shown}` is a symbolic link; hlc never replaces what a link points at"),
            "pass the link's target as `--out`, or remove the link",
        )),
        Ok(m) if !m.is_dir() => Err(Refusal::new(
            Code::OutNotHlcOutput,
            format!("the output path `{shown}` is a file, not a directory"),
            "choose another `--out`, or move the file away",
        )),
        Ok(_) => {
            let marked = fs::symlink_metadata(abs_out.join(MARKER)).is_ok_and(|m| m.is_file());
            let empty = fs::read_dir(&abs_out).is_ok_and(|mut entries| entries.next().is_none());
            if marked || empty {
                Ok(abs_out)
            } else {
                Err(Refusal::new(
                    Code::OutNotHlcOutput,
                    format!(
                        "the output directory `{shown}` exists and was not written by hlc (it has no `{MARKER}` marker)"
                    ),
                    format!("choose another `--out`, or remove `{shown}` yourself if it only holds an old output"),
                ))
            }
        }
    }
}

/// `path` made absolute, with the symbolic links of its existing ancestors resolved but not the
/// last component's (so that a link given as `--out` is seen as a link). `.` and `..` are
/// resolved first, so `--out .` names the current directory itself.
fn resolve(path: &Path) -> io::Result<PathBuf> {
    let abs = if path.is_absolute() { path.to_path_buf() } else { std::env::current_dir()?.join(path) };
    // Lexically normalise the components that name no directory of their own.
    let mut norm = PathBuf::new();
    for c in abs.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                // `a/link/..` is resolved as the file system would: through the link.
                let real = fs::canonicalize(&norm).unwrap_or_else(|_| norm.clone());
                norm = real.parent().map(Path::to_path_buf).unwrap_or(real);
            }
            other => norm.push(other),
        }
    }
    let Some(name) = norm.file_name().map(|n| n.to_os_string()) else {
        // The root directory.
        return Ok(norm);
    };
    let parent = norm.parent().map(Path::to_path_buf).unwrap_or_default();
    // The nearest existing ancestor, canonicalised, and the rest appended as written.
    let mut existing = parent.clone();
    let mut rest = Vec::new();
    while fs::symlink_metadata(&existing).is_err() {
        match (existing.file_name().map(|n| n.to_os_string()), existing.parent()) {
            (Some(n), Some(p)) => {
                rest.push(n);
                existing = p.to_path_buf();
            }
            _ => break,
        }
    }
    let mut out = fs::canonicalize(&existing)?;
    out.extend(rest.into_iter().rev());
    out.push(name);
    Ok(out)
}

fn is_vcs_root(dir: &Path) -> bool {
    VCS_DIRS.iter().any(|d| fs::symlink_metadata(dir.join(d)).is_ok())
}

/// The root of the version-controlled tree `dir` lies in, if any.
fn vcs_root(dir: &Path) -> Option<&Path> {
    dir.ancestors().find(|a| is_vcs_root(a))
}

/// The marker file's text: what the directory is, and the workspace it was built from (relative
/// to the output directory when they share a parent, so that the text does not depend on where
/// the repository is checked out).
fn marker_text(out: &Path, workspace: &Path) -> String {
    let ws = relative_to(workspace, out).unwrap_or_else(|| workspace.to_path_buf());
    format!(
        "# Output of `hlc build`: hlc replaces this directory as a whole on every build.\n\
         # Keep nothing else here.\nworkspace: {}\n",
        ws.display()
    )
}

/// `target` as a path relative to the directory `from` (both absolute): `../stacks`.
fn relative_to(target: &Path, from: &Path) -> Option<PathBuf> {
    let common = from.ancestors().find(|a| target.starts_with(a))?;
    // Only the root in common: an absolute path says more.
    common.parent()?;
    let ups = from.strip_prefix(common).ok()?.components().count();
    let mut rel: PathBuf = std::iter::repeat_n("..", ups).collect();
    rel.push(target.strip_prefix(common).ok()?);
    Some(rel)
}

/// Write the marker into an existing output directory that lacks it (`hlc graph` writes its
/// files into `out` without replacing it).
pub fn mark(out: &Path, workspace: &Path) -> io::Result<()> {
    let marker = out.join(MARKER);
    if fs::symlink_metadata(&marker).is_ok() {
        return Ok(());
    }
    let ws = fs::canonicalize(workspace)?;
    write_file_atomic(&marker, &marker_text(out, &ws))
}

/// The `.hl` files named by `paths`: files as given, directories searched recursively (in the
/// order given, each sorted by path; hidden directories, `target`, `out` and `node_modules`
/// skipped).
pub fn hl_files(paths: &[PathBuf]) -> io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found, 0)?;
            found.sort();
            out.extend(found);
        } else if p.is_file() {
            out.push(p.clone());
        } else {
            return Err(io::Error::new(io::ErrorKind::NotFound, format!("`{}` does not exist", p.display())));
        }
    }
    out.dedup();
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) -> io::Result<()> {
    if depth > 32 {
        return Ok(());
    }
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let ft = entry.file_type()?;
        let path = entry.path();
        if ft.is_dir() {
            if crate::fmt::walk_into(&entry.file_name().to_string_lossy()) {
                walk(&path, out, depth + 1)?;
            }
        } else if ft.is_file() && path.extension().is_some_and(|e| e == "hl") {
            out.push(path);
        }
    }
    Ok(())
}

/// An output directory being written: the files go into a staging directory beside `out`,
/// which then replaces `out` in one step. A failure at any point leaves the previous `out` as
/// it was; so does a run killed at any point: on Linux the two directories are exchanged in one
/// `renameat2(RENAME_EXCHANGE)`, so `out` is always either the complete previous output or the
/// complete new one. Elsewhere (or on a file system without the exchange) the swap is two
/// renames, and the next run puts back a previous output that a killed run left aside.
/// Staging directories of runs that died are removed by the next run.
///
/// Nothing touches the disk before the first file arrives, so a build that fails writes
/// nothing. Files arrive in batches from several threads at once ([`Staging::write`]); the
/// first error stops further writing and is returned by [`Staging::commit`].
///
/// A rebuild writes only what changed. A file whose previous output has the same bytes is
/// not written again but hard-linked from it (where the file system allows it), so the files
/// a build did not change keep their modification time; a build whose every file the previous
/// output holds, and which holds nothing else, replaces nothing at all. And the output the swap
/// replaced is not deleted: it stays beside `out` as its *spare* (`.<out>.spare`), which the
/// next build takes over as its staging directory. Since the spare shares every file that did
/// not change with `out` (hard links), bringing it up to date costs only the files that
/// changed since: no directory is made or removed, and no file is linked or unlinked, for the
/// rest. Only a spare that carries the marker of an output is taken over (hlc removes nothing
/// it cannot tell it wrote), and nothing in it is trusted: a file in it is kept only when it
/// is the very file (the same inode) of the previous output that holds the new bytes, every
/// other entry is replaced or removed, links in it are removed and never followed, and no file
/// in it is ever opened for writing (a changed file is unlinked, then made anew), so the
/// previous output's files, which it shares, are never written through it. Deleting the spare
/// is harmless; it holds a `.gitignore` of `*`, so that version control does not list it.
pub struct Staging {
    out: PathBuf,
    /// The previous output, whose unchanged files are linked rather than written.
    prev: Option<PathBuf>,
    /// The files the previous output holds byte for byte (relative paths), each with the
    /// previous file's inode number (0 where it is unknown).
    kept: Mutex<Vec<(PathBuf, u64)>>,
    /// The files written anew into the staging directory (relative paths).
    written: Mutex<Vec<PathBuf>>,
    /// The text of the output's marker file.
    marker: String,
    parent: PathBuf,
    base: String,
    /// The staging directory, made or taken over on the first write; `None` if that failed.
    dir: OnceLock<Option<Claimed>>,
    error: Mutex<Option<io::Error>>,
}

/// The staging directory of a run.
struct Claimed {
    path: PathBuf,
    /// What it held when the run took it over (the spare); `None` when the run made it empty.
    found: Option<Found>,
}

/// The entries of a spare taken over as the staging directory.
struct Found {
    /// Every file and directory below it (relative path → inode number, whether a directory).
    entries: FxHashMap<OsString, (u64, bool)>,
    /// Whether its inode numbers may be compared with the previous output's (the two lie on
    /// one device).
    same_device: bool,
}

impl Staging {
    /// Prepare to replace `out` (as returned by [`guard_out`]) with an output of `workspace`;
    /// fails only when `out` names no directory.
    pub fn new(out: &Path, workspace: &Path) -> io::Result<Staging> {
        let marker = marker_text(out, &fs::canonicalize(workspace)?);
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let base = out
            .file_name()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the output path has no directory name"))?
            .to_string_lossy()
            .into_owned();
        // `guard_out` let through only an empty directory or one that hlc wrote.
        let prev = fs::symlink_metadata(out.join(MARKER)).is_ok_and(|m| m.is_file()).then(|| out.to_path_buf());
        Ok(Staging {
            out: out.to_path_buf(),
            prev,
            kept: Mutex::new(Vec::new()),
            written: Mutex::new(Vec::new()),
            marker,
            parent,
            base,
            dir: OnceLock::new(),
            error: Mutex::new(None),
        })
    }

    fn fail(&self, e: io::Error) {
        if let Ok(mut first) = self.error.lock() {
            first.get_or_insert(e);
        }
    }

    fn failed(&self) -> bool {
        self.error.lock().map_or(true, |e| e.is_some())
    }

    /// Where the spare of this output lives.
    fn spare_path(&self) -> PathBuf {
        self.parent.join(format!(".{}.spare", self.base))
    }

    /// The staging directory, made (after cleaning up behind killed runs) or taken over from
    /// the spare on first use.
    fn dir(&self) -> Option<&Claimed> {
        self.dir
            .get_or_init(|| {
                let made = (|| {
                    fs::create_dir_all(&self.parent)?;
                    recover_interrupted(&self.parent, &self.base, &self.out)?;
                    let staging = self.parent.join(format!(".{}.tmp-{}", self.base, std::process::id()));
                    if fs::symlink_metadata(&staging).is_ok() {
                        remove_tree(&staging)?;
                    }
                    // Taking the spare over is one rename, so two runs never both take it. It
                    // only helps beside a previous output whose files it shares, and only a
                    // directory that carries the marker of an output is taken: hlc removes
                    // nothing it cannot tell it wrote.
                    let spare = self.spare_path();
                    let found = if self.prev.is_some()
                        && fs::symlink_metadata(&spare).is_ok_and(|m| m.is_dir())
                        && fs::symlink_metadata(spare.join(MARKER)).is_ok_and(|m| m.is_file())
                        && fs::rename(&spare, &staging).is_ok()
                    {
                        match self.inventory(&staging) {
                            Ok(found) => Some(found),
                            Err(_) => {
                                // Unreadable: start from an empty directory instead.
                                remove_tree(&staging)?;
                                None
                            }
                        }
                    } else {
                        None
                    };
                    if found.is_none() {
                        fs::create_dir(&staging)?;
                    }
                    let claimed = Claimed { path: staging, found };
                    self.clear(&claimed, Path::new(MARKER))?;
                    write_new(&claimed.path.join(MARKER), self.marker.as_bytes())?;
                    Ok(claimed)
                })();
                made.map_err(|e| self.fail(e)).ok()
            })
            .as_ref()
    }

    /// Everything a spare taken over holds, after removing what no output has: links and
    /// anything that is neither a file nor a directory.
    fn inventory(&self, staging: &Path) -> io::Result<Found> {
        let mut entries = FxHashMap::default();
        let mut todo = vec![PathBuf::new()];
        while let Some(rel) = todo.pop() {
            for e in fs::read_dir(staging.join(&rel))? {
                let e = e?;
                let path = rel.join(e.file_name());
                let t = e.file_type()?;
                if t.is_dir() {
                    entries.insert(path.clone().into_os_string(), (inode(&e), true));
                    todo.push(path);
                } else if t.is_file() {
                    entries.insert(path.into_os_string(), (inode(&e), false));
                } else {
                    fs::remove_file(e.path())?;
                }
            }
        }
        let same_device = match &self.prev {
            Some(prev) => same_device(prev, staging),
            None => false,
        };
        Ok(Found { entries, same_device })
    }

    /// Make the directory `rel_dir` inside the staging directory, removing files of a spare
    /// that stand where one of its directories goes.
    fn make_dir(&self, claimed: &Claimed, rel_dir: &Path) -> io::Result<()> {
        if let Some(found) = &claimed.found {
            for a in rel_dir.ancestors().filter(|a| !a.as_os_str().is_empty()) {
                if found.entries.get(a.as_os_str()).is_some_and(|(_, dir)| !dir) {
                    let path = claimed.path.join(a);
                    // Another thread may have put the directory there already.
                    if let Err(e) = fs::remove_file(&path)
                        && e.kind() != io::ErrorKind::NotFound
                        && !fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir())
                    {
                        return Err(e);
                    }
                }
            }
        }
        // Tolerates a directory made meanwhile by another thread.
        fs::create_dir_all(claimed.path.join(rel_dir))
    }

    /// Clear the way for a new file `rel` in a spare: what stands there goes (it may be a
    /// file the previous output shares, which must not be written through).
    fn clear(&self, claimed: &Claimed, rel: &Path) -> io::Result<()> {
        match claimed.found.as_ref().and_then(|f| f.entries.get(rel.as_os_str())) {
            Some(&(_, dir)) => remove_entry(&claimed.path.join(rel), dir),
            None => Ok(()),
        }
    }

    /// Write a batch of files (their directories first, once each: a batch is one stack's
    /// files, or files that mostly share a directory). The files the previous output already
    /// holds byte for byte are only noted, to be linked at [`Staging::commit`] if there is a
    /// new output to make at all.
    pub fn write(&self, files: &[OutputFile<'_>]) {
        if files.is_empty() || self.failed() {
            return;
        }
        let mut rels = Vec::with_capacity(files.len());
        for f in files {
            match safe_relative(f.path) {
                Ok(rel) if rel.file_name().is_some() => rels.push(rel),
                Ok(_) => {
                    return self
                        .fail(io::Error::new(io::ErrorKind::InvalidInput, format!("unsafe output path `{}`", f.path)));
                }
                Err(e) => return self.fail(e),
            }
        }
        // Which files the previous output holds already (the inode of each that it does).
        let mut held: Vec<Option<u64>> = vec![None; files.len()];
        if let Some(prev) = &self.prev {
            let mut prev_dirs = PrevDirs::default();
            let mut buf = Vec::new();
            for (i, (f, rel)) in files.iter().zip(&rels).enumerate() {
                let (Some(rel_dir), Some(name)) = (rel.parent(), rel.file_name()) else { continue };
                held[i] = prev_dirs.get(prev, rel_dir).and_then(|d| d.holds(name, f.contents.as_bytes(), &mut buf));
            }
        }
        let mut kept = Vec::new();
        let mut fresh = Vec::new();
        for ((f, rel), held) in files.iter().zip(rels).zip(held) {
            match held {
                Some(ino) => kept.push((rel, ino)),
                None => fresh.push((f, rel)),
            }
        }
        match self.kept.lock() {
            Ok(mut all) => all.extend(kept),
            Err(_) => return self.fail(io::Error::other("a writer panicked")),
        }
        if fresh.is_empty() {
            return;
        }
        let Some(claimed) = self.dir() else { return };
        let mut current: Option<(PathBuf, Dir)> = None;
        let mut written = Vec::with_capacity(fresh.len());
        for (f, rel) in fresh {
            let done = (|| {
                let (Some(rel_dir), Some(name)) = (rel.parent(), rel.file_name()) else {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!("unsafe output path `{}`", f.path),
                    ));
                };
                let into = match &current {
                    Some((at, into)) if at == rel_dir => into,
                    _ => {
                        self.make_dir(claimed, rel_dir)?;
                        &current.insert((rel_dir.to_path_buf(), Dir::open(&claimed.path.join(rel_dir))?)).1
                    }
                };
                self.clear(claimed, &rel)?;
                into.write(name, f.contents.as_bytes())
            })();
            if let Err(e) = done {
                return self.fail(e);
            }
            written.push(rel);
        }
        match self.written.lock() {
            Ok(mut all) => all.extend(written),
            Err(_) => self.fail(io::Error::other("a writer panicked")),
        }
    }

    /// Put the new output in place of the previous one, or report the first error (and
    /// remove what was written).
    pub fn commit(self) -> io::Result<()> {
        let kept = std::mem::take(&mut *self.kept.lock().map_err(|_| io::Error::other("a writer panicked"))?);
        let written = std::mem::take(&mut *self.written.lock().map_err(|_| io::Error::other("a writer panicked"))?);
        if self.dir.get().is_none()
            && !self.failed()
            && self.prev.as_ref().is_some_and(|p| self.unchanged(p, kept.iter().map(|(rel, _)| rel.as_path())))
        {
            // Every file is the previous output's, and it has no other: nothing to replace.
            // What killed runs left beside it still goes.
            return recover_interrupted(&self.parent, &self.base, &self.out);
        }
        if !self.failed()
            && let Some(claimed) = self.dir()
            && let Err(e) = self.complete(claimed, &kept, &written)
        {
            self.fail(e);
        }
        let staging = self.dir().map(|c| c.path.clone());
        let failed = self.error.lock().ok().and_then(|mut e| e.take());
        let staging = match (staging, failed) {
            (Some(staging), None) => staging,
            (staging, failed) => {
                if let Some(staging) = staging {
                    let _ = remove_tree(&staging);
                }
                return Err(failed.unwrap_or_else(|| io::Error::other("the staging directory could not be made")));
            }
        };
        let (out, old) = (&self.out, self.parent.join(format!(".{}.old-{}", self.base, std::process::id())));
        if fs::symlink_metadata(out).is_ok() {
            if exchange(&staging, out).is_ok() {
                // `staging` now holds the previous output: it becomes the spare.
                self.keep_as_spare(&staging);
                return Ok(());
            }
            fs::rename(out, &old)?;
            if let Err(e) = fs::rename(&staging, out) {
                // Put the previous output back.
                let _ = fs::rename(&old, out);
                let _ = remove_tree(&staging);
                return Err(e);
            }
            self.keep_as_spare(&old);
        } else {
            fs::rename(&staging, out)?;
        }
        Ok(())
    }

    /// Make the staging directory the complete new output: the files the previous output
    /// holds are linked from it, unless the staging directory (a spare) has that very file
    /// already; and what a spare holds that the new output does not is removed.
    fn complete(&self, claimed: &Claimed, kept: &[(PathBuf, u64)], written: &[PathBuf]) -> io::Result<()> {
        let prev = self.prev.as_deref();
        if let Some(found) = &claimed.found {
            let wanted =
                with_ancestors(kept.iter().map(|(rel, _)| rel.as_path()).chain(written.iter().map(PathBuf::as_path)));
            // The entries nothing wants, but not those inside a directory that goes as a whole.
            let unwanted: FxHashSet<&OsStr> =
                found.entries.keys().map(OsString::as_os_str).filter(|p| !wanted.contains(p)).collect();
            let doomed: Vec<(&Path, bool)> = unwanted
                .iter()
                .map(Path::new)
                .filter(|p| !p.ancestors().skip(1).any(|a| unwanted.contains(a.as_os_str())))
                .map(|p| (p, found.entries.get(p.as_os_str()).is_some_and(|(_, dir)| *dir)))
                .collect();
            doomed.par_iter().try_for_each(|(rel, dir)| remove_entry(&claimed.path.join(rel), *dir))?;
        }
        let Some(prev) = prev else { return Ok(()) };
        // The files the staging directory does not have already, by directory.
        let same = |rel: &Path, ino: u64| {
            claimed.found.as_ref().is_some_and(|f| {
                f.same_device && ino != 0 && f.entries.get(rel.as_os_str()).is_some_and(|&(i, dir)| i == ino && !dir)
            })
        };
        let missing: Vec<&Path> =
            kept.iter().filter(|(rel, ino)| !same(rel, *ino)).map(|(rel, _)| rel.as_path()).collect();
        let dirs: std::collections::BTreeSet<&Path> = missing.iter().filter_map(|rel| rel.parent()).collect();
        for d in dirs {
            self.make_dir(claimed, d)?;
        }
        missing.par_iter().try_for_each(|rel| {
            self.clear(claimed, rel)?;
            let (from, to) = (prev.join(rel), claimed.path.join(rel));
            fs::hard_link(&from, &to).or_else(|_| fs::copy(&from, &to).map(|_| ()))
        })?;
        Ok(())
    }

    /// Keep a previous output, now set aside at `old`, as the next build's spare; if there is
    /// one already (another run's), remove it instead.
    fn keep_as_spare(&self, old: &Path) {
        let ignore = old.join(SPARE_IGNORE);
        let kept = remove_entry(&ignore, false).is_ok()
            && write_new(&ignore, b"*\n").is_ok()
            && fs::rename(old, self.spare_path()).is_ok();
        if !kept {
            let _ = remove_tree(old);
        }
    }

    /// Whether the previous output `prev` is exactly the new one: its marker says the same,
    /// and besides it, it holds the `kept` files (all of them checked equal) and the
    /// directories they lie in, nothing else.
    fn unchanged<'k>(&self, prev: &Path, kept: impl Iterator<Item = &'k Path>) -> bool {
        if fs::read(prev.join(MARKER)).ok().as_deref() != Some(self.marker.as_bytes()) {
            return false;
        }
        let want = with_ancestors(kept);
        // Walk the previous output: every entry must be wanted, and as many as are wanted.
        let mut seen = 0usize;
        let mut todo = vec![PathBuf::new()];
        while let Some(rel) = todo.pop() {
            let Ok(entries) = fs::read_dir(prev.join(&rel)) else { return false };
            for e in entries {
                let Ok(e) = e else { return false };
                let path = rel.join(e.file_name());
                if !want.contains(path.as_os_str()) {
                    return false;
                }
                seen += 1;
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    todo.push(path);
                }
            }
        }
        seen == want.len()
    }

    /// Give up: the previous output stays. A spare taken over goes back to being the spare
    /// (nothing in it is trusted); a directory made for this run is removed.
    pub fn abandon(self) {
        if let Some(Some(claimed)) = self.dir.get()
            && (claimed.found.is_none() || fs::rename(&claimed.path, self.spare_path()).is_err())
        {
            let _ = remove_tree(&claimed.path);
        }
    }
}

/// The relative paths `rels`, the directories they lie in, and the marker: what an output
/// holding those files consists of. Keyed by their bytes (a `Path` hashes component by
/// component, which made the sets of a 2,000-file output cost more than the walk they serve).
fn with_ancestors<'p>(rels: impl Iterator<Item = &'p Path>) -> FxHashSet<&'p OsStr> {
    let mut set = FxHashSet::default();
    for rel in rels {
        set.insert(rel.as_os_str());
        set.extend(rel.ancestors().skip(1).map(Path::as_os_str).filter(|a| !a.is_empty()));
    }
    set.insert(OsStr::new(MARKER));
    set
}

/// Remove a directory (with what it holds) or a file (a link is removed, never followed); one
/// that is gone already is fine.
fn remove_entry(path: &Path, dir: bool) -> io::Result<()> {
    match if dir { fs::remove_dir_all(path) } else { fs::remove_file(path) } {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Create the file `path`, which must not exist (not even as a link): nothing that stands
/// there is written through.
fn write_new(path: &Path, contents: &[u8]) -> io::Result<()> {
    io::Write::write_all(&mut fs::OpenOptions::new().write(true).create_new(true).open(path)?, contents)
}

/// The file a spare holds so that version control does not list it.
const SPARE_IGNORE: &str = ".gitignore";

/// The inode number of a directory entry (0 where the system has none).
fn inode(e: &fs::DirEntry) -> u64 {
    #[cfg(unix)]
    {
        std::os::unix::fs::DirEntryExt::ino(e)
    }
    #[cfg(not(unix))]
    {
        let _ = e;
        0
    }
}

/// Whether two directories lie on one device (so that their inode numbers compare).
fn same_device(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        matches!((fs::symlink_metadata(a), fs::symlink_metadata(b)), (Ok(x), Ok(y)) if x.dev() == y.dev())
    }
    #[cfg(not(unix))]
    {
        let _ = (a, b);
        false
    }
}

/// The directories of the previous output a batch reads, opened once each: only real
/// directories inside it, never one reached through a link someone put there.
#[derive(Default)]
struct PrevDirs(Vec<(PathBuf, Option<Dir>)>);

impl PrevDirs {
    fn get(&mut self, prev: &Path, rel_dir: &Path) -> Option<&Dir> {
        let i = match self.0.iter().position(|(at, _)| at == rel_dir) {
            Some(i) => i,
            None => {
                let mut at = prev.to_path_buf();
                let mut real = true;
                for c in rel_dir.components() {
                    at.push(c);
                    real &= fs::symlink_metadata(&at).is_ok_and(|m| m.is_dir());
                }
                let dir = if real { Dir::open(&at).ok() } else { None };
                self.0.push((rel_dir.to_path_buf(), dir));
                self.0.len() - 1
            }
        };
        self.0[i].1.as_ref()
    }
}

/// A directory files are written into. On Linux it is held open and files are created
/// relative to it, so that creating a hundred thousand files does not walk the whole path to
/// the output directory for each one.
#[cfg(target_os = "linux")]
struct Dir(rustix::fd::OwnedFd);

#[cfg(target_os = "linux")]
impl Dir {
    fn open(path: &Path) -> io::Result<Dir> {
        use rustix::fs::{Mode, OFlags};
        Ok(Dir(rustix::fs::open(path, OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())?))
    }

    /// Create the file `name` in this directory, where nothing may stand (not even a link):
    /// a file is never written through another name.
    fn write(&self, name: &std::ffi::OsStr, contents: &[u8]) -> io::Result<()> {
        use rustix::fs::{Mode, OFlags};
        let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(&self.0, name, flags, Mode::from_raw_mode(0o666))?;
        io::Write::write_all(&mut fs::File::from(fd), contents)
    }

    /// Whether this directory has a regular file `name` with exactly `contents` (read into
    /// `buf`, which is kept for the next file): its inode number if it has.
    fn holds(&self, name: &std::ffi::OsStr, contents: &[u8], buf: &mut Vec<u8>) -> Option<u64> {
        use rustix::fs::{FileType, Mode, OFlags};
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(&self.0, name, flags, Mode::empty()).ok()?;
        let st = rustix::fs::fstat(&fd).ok()?;
        let same_size = FileType::from_raw_mode(st.st_mode) == FileType::RegularFile
            && u64::try_from(st.st_size).is_ok_and(|n| n == contents.len() as u64);
        if !same_size {
            return None;
        }
        buf.clear();
        buf.resize(contents.len(), 0);
        let same = io::Read::read_exact(&mut fs::File::from(fd), buf).is_ok() && buf.as_slice() == contents;
        same.then_some(st.st_ino)
    }
}

/// A directory files are written into (by full path here).
#[cfg(not(target_os = "linux"))]
struct Dir(PathBuf);

#[cfg(not(target_os = "linux"))]
impl Dir {
    fn open(path: &Path) -> io::Result<Dir> {
        Ok(Dir(path.to_path_buf()))
    }

    /// Create the file `name` in this directory, where nothing may stand (not even a link).
    fn write(&self, name: &std::ffi::OsStr, contents: &[u8]) -> io::Result<()> {
        write_new(&self.0.join(name), contents)
    }

    /// Whether this directory has a regular file `name` with exactly `contents`: its inode
    /// number if it has (0 where the system has none).
    fn holds(&self, name: &std::ffi::OsStr, contents: &[u8], _: &mut Vec<u8>) -> Option<u64> {
        let path = self.0.join(name);
        let m = fs::symlink_metadata(&path).ok()?;
        let same = m.is_file() && m.len() == contents.len() as u64 && fs::read(&path).is_ok_and(|old| old == contents);
        #[cfg(unix)]
        let ino = std::os::unix::fs::MetadataExt::ino(&m);
        #[cfg(not(unix))]
        let ino = 0;
        same.then_some(ino)
    }
}

/// Remove a previous output: its stacks' directories side by side (a large workspace's output
/// has a hundred thousand files), then what is left. Symbolic links are removed, never
/// followed: neither `path` nor its `k8s` is read through a link.
fn remove_tree(path: &Path) -> io::Result<()> {
    let real_dir = |p: &Path| fs::symlink_metadata(p).is_ok_and(|m| m.is_dir());
    if !real_dir(path) {
        return fs::remove_file(path);
    }
    let k8s = path.join("k8s");
    if real_dir(&k8s)
        && let Ok(entries) = fs::read_dir(&k8s)
    {
        let dirs: Vec<PathBuf> =
            entries.flatten().filter(|e| e.file_type().is_ok_and(|t| t.is_dir())).map(|e| e.path()).collect();
        dirs.par_iter().for_each(|d| {
            let _ = fs::remove_dir_all(d);
        });
    }
    fs::remove_dir_all(path)
}

/// Swap two paths atomically.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(io::Error::from)
}

/// Swap two paths atomically: not available here, so the caller renames twice.
#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> io::Result<()> {
    Err(io::Error::new(io::ErrorKind::Unsupported, "no atomic exchange of directories on this system"))
}

/// Clean up after runs that were killed while writing `out`: their staging directories
/// (`.<base>.tmp-<pid>`) are removed, and a previous output that a run set aside
/// (`.<base>.old-<pid>`) just before it died is put back when `out` is missing. Only entries
/// of processes that no longer run are touched, so that two builds at once do not disturb
/// each other; where that cannot be told (no `/proc`), leftovers are left alone, and they are
/// never read.
fn recover_interrupted(parent: &Path, base: &str, out: &Path) -> io::Result<()> {
    let Ok(entries) = fs::read_dir(parent) else { return Ok(()) };
    let (tmp, old) = (format!(".{base}.tmp-"), format!(".{base}.old-"));
    let mut stale: Vec<(bool, PathBuf)> = Vec::new();
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let (is_old, pid) = match (name.strip_prefix(&tmp), name.strip_prefix(&old)) {
            (Some(pid), _) => (false, pid),
            (_, Some(pid)) => (true, pid),
            _ => continue,
        };
        let Ok(pid) = pid.parse::<u32>() else { continue };
        if is_dead(pid) {
            stale.push((is_old, e.path()));
        }
    }
    stale.sort();
    for (is_old, path) in stale {
        if is_old && fs::symlink_metadata(out).is_err() {
            fs::rename(&path, out)?;
        } else {
            fs::remove_dir_all(&path)?;
        }
    }
    Ok(())
}

/// Whether no process `pid` runs (this one counts as dead: a leftover with its own id is from
/// an earlier process that had the same id).
fn is_dead(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let proc = Path::new("/proc");
    proc.join("self").exists() && !proc.join(pid.to_string()).exists()
}

/// The longest file name most file systems accept, in bytes.
const MAX_NAME: usize = 255;

/// A relative path made only of normal components, so that nothing is written outside `out`:
/// defence in depth, since the compiler only produces such paths.
fn safe_relative(path: &str) -> io::Result<PathBuf> {
    let mut p = PathBuf::new();
    for part in path.split('/') {
        if part.is_empty()
            || part == "."
            || part == ".."
            || part.len() > MAX_NAME
            || part.chars().any(|c| c == '\\' || c == ':' || c.is_control())
        {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("unsafe output path `{path}`")));
        }
        p.push(part);
    }
    Ok(p)
}

/// Replace one file atomically: write a sibling temporary file, then rename it over the target.
pub fn write_file_atomic(path: &Path, contents: &str) -> io::Result<()> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent)?;
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?
        .to_string_lossy()
        .into_owned();
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    fs::write(&tmp, contents)?;
    fs::rename(&tmp, path).inspect_err(|_| {
        let _ = fs::remove_file(&tmp);
    })
}
