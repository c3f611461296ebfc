//! Disk IO: reading a workspace and replacing the output directory atomically.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use hlc_core::Artifact;
use rayon::prelude::*;

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

/// Write the artifacts into a fresh directory beside `out`, then swap it into place. A
/// failure at any point leaves the previous `out` as it was.
pub fn write_output(out: &Path, artifacts: &[Artifact]) -> io::Result<()> {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let base = out
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the output path has no directory name"))?
        .to_string_lossy()
        .into_owned();
    fs::create_dir_all(&parent)?;
    let pid = std::process::id();
    let staging = parent.join(format!(".{base}.tmp-{pid}"));
    let old = parent.join(format!(".{base}.old-{pid}"));
    if staging.exists() {
        fs::remove_dir_all(&staging)?;
    }
    fs::create_dir_all(&staging)?;
    let written = (|| {
        // Directories once each, then the files in parallel: a build writes thousands of
        // small files, and the file system's latency, not the bytes, is what costs.
        let mut paths = Vec::with_capacity(artifacts.len());
        let mut dirs = std::collections::BTreeSet::new();
        for a in artifacts {
            let path = staging.join(safe_relative(&a.path)?);
            if let Some(p) = path.parent() {
                dirs.insert(p.to_path_buf());
            }
            paths.push(path);
        }
        for d in &dirs {
            fs::create_dir_all(d)?;
        }
        paths.par_iter().zip(artifacts.par_iter()).try_for_each(|(path, a)| fs::write(path, &a.contents))
    })();
    if let Err(e) = written {
        let _ = fs::remove_dir_all(&staging);
        return Err(e);
    }
    if out.exists() {
        fs::rename(out, &old)?;
        if let Err(e) = fs::rename(&staging, out) {
            // Put the previous output back.
            let _ = fs::rename(&old, out);
            let _ = fs::remove_dir_all(&staging);
            return Err(e);
        }
        fs::remove_dir_all(&old)?;
    } else {
        fs::rename(&staging, out)?;
    }
    Ok(())
}

/// A relative path made only of normal components, so that nothing is written outside `out`.
fn safe_relative(path: &str) -> io::Result<PathBuf> {
    let mut p = PathBuf::new();
    for part in path.split('/') {
        if part.is_empty() || part == "." || part == ".." || part.contains('\\') || part.contains('\0') {
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
