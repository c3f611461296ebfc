//! Disk IO: reading a workspace and replacing the output directory atomically.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use hlc_core::OutputFile;
use hlc_core::diagnostics::Code;
use rayon::prelude::*;

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

/// An output directory being written: the files go into a fresh directory beside `out`,
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
/// A file whose previous output has the same bytes is not written again: the previous file is
/// hard-linked into the staging directory (where the file system allows it), so a build that
/// changes a few files allocates and frees disk blocks only for those, and the files it did
/// not change keep their modification time. The previous output still goes away as a whole
/// with the swap; only its unchanged files live on, under the new output. A build whose every
/// file the previous output holds, and which holds nothing else, replaces nothing at all.
pub struct Staging {
    out: PathBuf,
    /// The previous output, whose unchanged files are linked rather than written.
    prev: Option<PathBuf>,
    /// The files of the batches the previous output holds byte for byte (relative paths).
    kept: Mutex<Vec<PathBuf>>,
    /// The text of the output's marker file.
    marker: String,
    parent: PathBuf,
    base: String,
    /// The staging directory, made on the first write; `None` if making it failed.
    dir: OnceLock<Option<PathBuf>>,
    error: Mutex<Option<io::Error>>,
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

    /// The staging directory, made (after cleaning up behind killed runs) on first use.
    fn dir(&self) -> Option<&Path> {
        self.dir
            .get_or_init(|| {
                let made = (|| {
                    fs::create_dir_all(&self.parent)?;
                    recover_interrupted(&self.parent, &self.base, &self.out)?;
                    let staging = self.parent.join(format!(".{}.tmp-{}", self.base, std::process::id()));
                    if staging.exists() {
                        fs::remove_dir_all(&staging)?;
                    }
                    fs::create_dir_all(&staging)?;
                    fs::write(staging.join(MARKER), &self.marker)?;
                    Ok(staging)
                })();
                made.map_err(|e| self.fail(e)).ok()
            })
            .as_deref()
    }

    /// Write a batch of files (their directories first, once each: a batch is one stack's
    /// files, or files that mostly share a directory). A batch the previous output already
    /// holds byte for byte is only noted, to be linked at [`Staging::commit`] if there is a new
    /// output to make at all.
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
        // Which files the previous output holds already.
        let mut held = vec![false; files.len()];
        let mut prev_dirs = PrevDirs::default();
        let mut buf = Vec::new();
        if let Some(prev) = &self.prev {
            for (i, (f, rel)) in files.iter().zip(&rels).enumerate() {
                let (Some(rel_dir), Some(name)) = (rel.parent(), rel.file_name()) else { continue };
                held[i] = prev_dirs.get(prev, rel_dir).is_some_and(|d| d.holds(name, f.contents.as_bytes(), &mut buf));
            }
        }
        if held.iter().all(|h| *h) {
            match self.kept.lock() {
                Ok(mut kept) => kept.extend(rels),
                Err(_) => self.fail(io::Error::other("a writer panicked")),
            }
            return;
        }
        let Some(dir) = self.dir() else { return };
        let mut current: Option<(PathBuf, Dir)> = None;
        for ((f, rel), held) in files.iter().zip(&rels).zip(held) {
            let written = (|| {
                let path = dir.join(rel);
                let (Some(parent), Some(name), Some(rel_dir)) = (path.parent(), path.file_name(), rel.parent()) else {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!("unsafe output path `{}`", f.path),
                    ));
                };
                let into = match &current {
                    Some((at, into)) if at == parent => into,
                    _ => {
                        // Tolerates a directory made meanwhile by another thread.
                        fs::create_dir_all(parent)?;
                        &current.insert((parent.to_path_buf(), Dir::open(parent)?)).1
                    }
                };
                if held
                    && let Some(prev) = self.prev.as_ref().and_then(|p| prev_dirs.get(p, rel_dir))
                    && into.link_from(prev, name).is_ok()
                {
                    return Ok(());
                }
                into.write(name, f.contents.as_bytes())
            })();
            if let Err(e) = written {
                return self.fail(e);
            }
        }
    }

    /// Put the new output in place of the previous one, or report the first error (and
    /// remove what was written).
    pub fn commit(self) -> io::Result<()> {
        let kept = std::mem::take(&mut *self.kept.lock().map_err(|_| io::Error::other("a writer panicked"))?);
        if self.dir.get().is_none() && !self.failed() && self.prev.as_ref().is_some_and(|p| self.unchanged(p, &kept)) {
            // Every file is the previous output's, and it has no other: nothing to replace.
            // What killed runs left beside it still goes.
            return recover_interrupted(&self.parent, &self.base, &self.out);
        }
        if !self.failed()
            && let (Some(prev), Some(staging)) = (&self.prev, self.dir())
        {
            // The batches the previous output held: their files live on in the new output.
            let dirs: std::collections::BTreeSet<&Path> = kept.iter().filter_map(|rel| rel.parent()).collect();
            if let Some(e) = dirs.into_iter().find_map(|d| fs::create_dir_all(staging.join(d)).err()) {
                self.fail(e);
            }
            kept.par_iter().for_each(|rel| {
                let (from, to) = (prev.join(rel), staging.join(rel));
                if let Err(e) = fs::hard_link(&from, &to).or_else(|_| fs::copy(&from, &to).map(|_| ())) {
                    self.fail(e);
                }
            });
        }
        let staging = self.dir().map(Path::to_path_buf);
        let failed = self.error.into_inner().ok().flatten();
        let staging = match (staging, failed) {
            (Some(staging), None) => staging,
            (staging, failed) => {
                if let Some(staging) = staging {
                    let _ = fs::remove_dir_all(staging);
                }
                return Err(failed.unwrap_or_else(|| io::Error::other("the staging directory could not be made")));
            }
        };
        let (out, old) = (&self.out, self.parent.join(format!(".{}.old-{}", self.base, std::process::id())));
        if fs::symlink_metadata(out).is_ok() {
            if exchange(&staging, out).is_ok() {
                // `staging` now holds the previous output. Leaving it behind is harmless: the
                // next run removes it.
                let _ = remove_tree(&staging);
                return Ok(());
            }
            fs::rename(out, &old)?;
            if let Err(e) = fs::rename(&staging, out) {
                // Put the previous output back.
                let _ = fs::rename(&old, out);
                let _ = fs::remove_dir_all(&staging);
                return Err(e);
            }
            let _ = remove_tree(&old);
        } else {
            fs::rename(&staging, out)?;
        }
        Ok(())
    }

    /// Whether the previous output `prev` is exactly the new one: its marker says the same,
    /// and besides it, it holds the `kept` files (all of them checked equal) and the
    /// directories they lie in, nothing else.
    fn unchanged(&self, prev: &Path, kept: &[PathBuf]) -> bool {
        if fs::read(prev.join(MARKER)).ok().as_deref() != Some(self.marker.as_bytes()) {
            return false;
        }
        let mut want: std::collections::HashSet<&Path> = kept.iter().map(PathBuf::as_path).collect();
        for rel in kept {
            want.extend(rel.ancestors().skip(1).filter(|a| !a.as_os_str().is_empty()));
        }
        want.insert(Path::new(MARKER));
        // Walk the previous output: every entry must be wanted, and as many as are wanted.
        let mut seen = 0usize;
        let mut todo = vec![PathBuf::new()];
        while let Some(rel) = todo.pop() {
            let Ok(entries) = fs::read_dir(prev.join(&rel)) else { return false };
            for e in entries {
                let Ok(e) = e else { return false };
                let path = rel.join(e.file_name());
                if !want.contains(path.as_path()) {
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

    /// Give up: remove whatever was written; the previous output stays.
    pub fn abandon(self) {
        if let Some(Some(staging)) = self.dir.get() {
            let _ = fs::remove_dir_all(staging);
        }
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

    /// Create (or replace) the file `name` in this directory.
    fn write(&self, name: &std::ffi::OsStr, contents: &[u8]) -> io::Result<()> {
        use rustix::fs::{Mode, OFlags};
        let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(&self.0, name, flags, Mode::from_raw_mode(0o666))?;
        io::Write::write_all(&mut fs::File::from(fd), contents)
    }

    /// Whether this directory has a regular file `name` with exactly `contents` (read into
    /// `buf`, which is kept for the next file).
    fn holds(&self, name: &std::ffi::OsStr, contents: &[u8], buf: &mut Vec<u8>) -> bool {
        use rustix::fs::{FileType, Mode, OFlags};
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let Ok(fd) = rustix::fs::openat(&self.0, name, flags, Mode::empty()) else { return false };
        let same_size = rustix::fs::fstat(&fd).is_ok_and(|st| {
            FileType::from_raw_mode(st.st_mode) == FileType::RegularFile
                && u64::try_from(st.st_size).is_ok_and(|n| n == contents.len() as u64)
        });
        if !same_size {
            return false;
        }
        buf.clear();
        buf.resize(contents.len(), 0);
        io::Read::read_exact(&mut fs::File::from(fd), buf).is_ok() && buf.as_slice() == contents
    }

    /// Hard-link `name` of `from` as `name` here.
    fn link_from(&self, from: &Dir, name: &std::ffi::OsStr) -> io::Result<()> {
        rustix::fs::linkat(&from.0, name, &self.0, name, rustix::fs::AtFlags::empty()).map_err(io::Error::from)
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

    /// Create (or replace) the file `name` in this directory.
    fn write(&self, name: &std::ffi::OsStr, contents: &[u8]) -> io::Result<()> {
        fs::write(self.0.join(name), contents)
    }

    /// Whether this directory has a regular file `name` with exactly `contents`.
    fn holds(&self, name: &std::ffi::OsStr, contents: &[u8], _: &mut Vec<u8>) -> bool {
        let path = self.0.join(name);
        fs::symlink_metadata(&path).is_ok_and(|m| m.is_file() && m.len() == contents.len() as u64)
            && fs::read(&path).is_ok_and(|old| old == contents)
    }

    /// Hard-link `name` of `from` as `name` here.
    fn link_from(&self, from: &Dir, name: &std::ffi::OsStr) -> io::Result<()> {
        fs::hard_link(from.0.join(name), self.0.join(name))
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
