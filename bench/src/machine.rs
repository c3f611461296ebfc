//! What `run` and `race` share about the machine they measure on (the directory they work in,
//! the load on the machine, its cores, the hlc binary they time) and about the figures they
//! report (medians, MiB).

use std::fs;
use std::path::{Path, PathBuf};

/// The directory a run works in: the one given, kept afterwards, or a fresh `PREFIX-<pid>`
/// under the system's temporary directory, removed when this is dropped, however the run ends.
pub struct WorkDir {
    pub path: PathBuf,
    remove: bool,
}

impl WorkDir {
    pub fn new(given: Option<&Path>, prefix: &str) -> Result<WorkDir, String> {
        let dir = match given {
            Some(p) => WorkDir { path: p.to_path_buf(), remove: false },
            None => {
                let path = std::env::temp_dir().join(format!("{prefix}-{}", std::process::id()));
                WorkDir { path, remove: true }
            }
        };
        fs::create_dir_all(&dir.path).map_err(|e| format!("cannot create `{}`: {e}", dir.path.display()))?;
        Ok(dir)
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if self.remove {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

/// The 1, 5 and 15 minute load averages, where the system publishes them (Linux): other work
/// on the machine shows in wall times.
pub fn load_average() -> Option<String> {
    let text = fs::read_to_string("/proc/loadavg").ok()?;
    let fields: Vec<&str> = text.split_whitespace().take(3).collect();
    (fields.len() == 3).then(|| fields.join(" "))
}

pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// The hlc binary to time exists, or how to get it.
pub fn require_hlc(hlc: &Path) -> Result<(), String> {
    if hlc.is_file() {
        Ok(())
    } else {
        Err(format!(
            "hlc not found at `{}`: build it with `cargo build --release -p hlc`, or pass --hlc",
            hlc.display()
        ))
    }
}

/// The median of `xs` (the mean of the middle two for an even count); 0 for none.
pub fn median(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        return 0.0;
    }
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 }
}

/// Bytes as MiB.
pub fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}
