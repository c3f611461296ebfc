//! The compiler's one door to the outside world: where the workspace's files come from.
//!
//! The compiler reads nothing else: no clock, no environment variable, no file outside what
//! a [`Host`] lists. Its output is a function of the files alone, which is what makes builds
//! byte-identical across runs, machines and thread counts.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::InputText;

/// Where a workspace's `.hl` files come from.
///
/// Implement it to compile from anywhere (a git object store, a database, an editor's unsaved
/// buffers); [`MemoryHost`] and [`DiskHost`] cover the usual cases.
///
/// ```
/// use std::io;
/// use hlc_core::{Host, compile_host};
///
/// /// A workspace of one generated file.
/// struct OneStack;
///
/// impl Host for OneStack {
///     fn files(&self) -> io::Result<Vec<String>> {
///         Ok(vec!["demo.hl".to_string()])
///     }
///     fn read(&self, _path: &str) -> io::Result<Vec<u8>> {
///         Ok(b"stack demo { namespace demo {} }".to_vec())
///     }
/// }
///
/// let c = compile_host(&OneStack)?;
/// assert!(!c.has_errors());
/// assert_eq!(c.model.stacks[0].name, "demo");
/// # Ok::<(), io::Error>(())
/// ```
pub trait Host: Sync {
    /// The workspace's files: paths relative to its root, `/`-separated. The `.hl` files are
    /// compiled; the others are there for `file(...)` to read.
    fn files(&self) -> io::Result<Vec<String>>;

    /// The bytes of one of the files [`files`](Host::files) listed.
    fn read(&self, path: &str) -> io::Result<Vec<u8>>;

    /// How diagnostics name `path` (by default, the path itself).
    fn display(&self, path: &str) -> String {
        path.to_string()
    }
}

/// Read every file a host lists, sorted by path, ready for [`compile`](crate::compile).
///
/// ```
/// use hlc_core::{MemoryHost, load};
///
/// let host = MemoryHost::new().with_file("b.hl", "let b = 2").with_file("a.hl", "let a = 1");
/// let files = load(&host)?;
/// assert_eq!(files.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(), ["a.hl", "b.hl"]);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn load(host: &dyn Host) -> io::Result<Vec<InputText>> {
    let mut paths = host.files()?;
    paths.sort();
    paths.dedup();
    // Thousands of small files: read side by side (the order of the result is the paths').
    paths
        .into_par_iter()
        .map(|path| {
            let bytes = host.read(&path)?;
            Ok(InputText { display: host.display(&path), path, bytes })
        })
        .collect()
}

/// A workspace held in memory: path → contents.
///
/// ```
/// use hlc_core::{MemoryHost, compile_host};
///
/// let mut host = MemoryHost::new();
/// host.insert("web.hl", "stack web { namespace web {} }");
/// let c = compile_host(&host)?;
/// assert!(c.artifacts.iter().any(|a| a.path == "k8s/web/namespace-web.yaml"));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct MemoryHost {
    files: BTreeMap<String, Vec<u8>>,
}

impl MemoryHost {
    /// An empty workspace.
    pub fn new() -> Self {
        Self::default()
    }

    /// The workspace with one more file (builder style).
    pub fn with_file(mut self, path: impl Into<String>, contents: impl Into<Vec<u8>>) -> Self {
        self.insert(path, contents);
        self
    }

    /// Add or replace a file.
    pub fn insert(&mut self, path: impl Into<String>, contents: impl Into<Vec<u8>>) {
        self.files.insert(path.into(), contents.into());
    }

    /// Remove a file; returns its contents if it was there.
    pub fn remove(&mut self, path: &str) -> Option<Vec<u8>> {
        self.files.remove(path)
    }

    /// The contents of a file, if the workspace has it.
    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(Vec::as_slice)
    }

    /// The paths of all files, sorted.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }
}

impl Host for MemoryHost {
    fn files(&self) -> io::Result<Vec<String>> {
        Ok(self.files.keys().cloned().collect())
    }

    fn read(&self, path: &str) -> io::Result<Vec<u8>> {
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("no file `{path}` in the workspace")))
    }
}

/// A workspace directory on disk: every file below `root`, recursively, hidden entries skipped:
/// the `.hl` files are the sources, the others (scripts, configuration files) are read by
/// `file(...)`. Diagnostics name files as `root` joined with their relative path.
///
/// ```no_run
/// use hlc_core::{DiskHost, compile_host};
///
/// let c = compile_host(&DiskHost::new("stacks"))?;
/// println!("{} stacks, {} files to write", c.model.stacks.len(), c.artifacts.len());
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct DiskHost {
    root: PathBuf,
}

/// Directory levels below the root that are searched (deeper ones are ignored).
const MAX_DEPTH: usize = 32;

impl DiskHost {
    /// The workspace rooted at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        DiskHost { root: root.into() }
    }

    /// The workspace's root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The `.hl` files below `dir` (whose path relative to the root is `rel`). Symbolic links
    /// are followed when they lead inside the workspace (`root`, canonical); one that leads
    /// outside it, or nowhere, is an error that names it, never a silent skip. `seen` holds the
    /// directories already searched, so that a link to an ancestor does not loop.
    fn walk(
        &self,
        root: &Path,
        dir: &Path,
        rel: &str,
        depth: usize,
        seen: &mut Vec<PathBuf>,
        out: &mut Vec<String>,
    ) -> io::Result<()> {
        if depth > MAX_DEPTH {
            return Ok(());
        }
        let named =
            |e: io::Error, what: &Path| io::Error::new(e.kind(), format!("cannot read `{}`: {e}", what.display()));
        let mut entries = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(|e| named(e, dir))? {
            let entry = entry.map_err(|e| named(e, dir))?;
            let is_link = entry.file_type().is_ok_and(|t| t.is_symlink());
            entries.push((is_link, entry.file_name(), entry));
        }
        // Real entries before links, each in name order: a directory reached both ways is
        // read (and named) where it really is, whatever order the file system lists it in.
        entries.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        for (_, _, entry) in entries {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let path = if rel.is_empty() { name.clone() } else { format!("{rel}/{name}") };
            let mut ft = entry.file_type().map_err(|e| named(e, &entry.path()))?;
            let mut target = entry.path();
            if ft.is_symlink() {
                let shown = self.root.join(&path);
                target = std::fs::canonicalize(&target).map_err(|e| {
                    io::Error::new(
                        e.kind(),
                        format!("`{}` is a symbolic link that leads nowhere: {e}", shown.display()),
                    )
                })?;
                if !target.starts_with(root) {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!(
                            "`{}` is a symbolic link to `{}`, outside the workspace; hlc reads only files inside it \
                             (copy the file in, or move the workspace's root up)",
                            shown.display(),
                            target.display()
                        ),
                    ));
                }
                ft = std::fs::metadata(&target).map_err(|e| named(e, &shown))?.file_type();
            }
            if ft.is_dir() {
                let canonical = std::fs::canonicalize(&target).map_err(|e| named(e, &target))?;
                if !seen.contains(&canonical) {
                    seen.push(canonical);
                    self.walk(root, &target, &path, depth + 1, seen, out)?;
                }
            } else if ft.is_file() {
                // `.hl` files are the sources; the others are read by `file(...)`.
                out.push(path);
            }
        }
        Ok(())
    }
}

impl Host for DiskHost {
    fn files(&self) -> io::Result<Vec<String>> {
        if !self.root.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("`{}` is not a directory (give the workspace directory, e.g. `stacks`)", self.root.display()),
            ));
        }
        let root = std::fs::canonicalize(&self.root)?;
        let (mut out, mut seen) = (Vec::new(), vec![root.clone()]);
        self.walk(&root, &self.root, "", 0, &mut seen, &mut out)?;
        Ok(out)
    }

    fn read(&self, path: &str) -> io::Result<Vec<u8>> {
        // Only paths below the root: a listed path never climbs out of it.
        if path.split('/').any(|c| c == ".." || c.is_empty()) || Path::new(path).is_absolute() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("`{path}` is not inside the workspace")));
        }
        let full = self.root.join(path);
        // A file removed or made unreadable since it was listed: say which.
        std::fs::read(&full).map_err(|e| io::Error::new(e.kind(), format!("cannot read `{}`: {e}", full.display())))
    }

    fn display(&self, path: &str) -> String {
        self.root.join(path).to_string_lossy().replace('\\', "/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file removed between listing and reading is an error that names it.
    #[test]
    fn a_file_gone_mid_build_is_named() {
        let dir = std::env::temp_dir().join(format!("hlc-host-gone-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join("a.hl"), "let x = 1").expect("write");
        let host = DiskHost::new(&dir);
        let files = host.files().expect("list");
        std::fs::remove_file(dir.join("a.hl")).expect("rm");
        let e = host.read(&files[0]).expect_err("gone");
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        assert!(e.to_string().contains("a.hl"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
