//! The Pkl workspace of `hl-bench race` is the hl workspace's workload: for 30 stacks of seed
//! 1, Pkl and hlc emit the same core objects (the comparison `hl-bench race` makes before it
//! times anything, `race::compare`), and Pkl's check mode renders exactly what its build writes.
//!
//! Pkl comes from `tests/tools/pkl.sh` (npm install of a pinned version into `target/tools`).
//! When it cannot be had, the test says so and skips, unless `HLC_REQUIRE_TOOLS=1` (as in
//! `.ci/run`), where it fails.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use hl_bench::generate::{self, Options};
use hl_bench::{pkl, race};

use hl_tests::skip;

const TEST: &str = "pkl_renders_the_same_core_objects_as_hlc";

/// A fresh directory under the target directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn bytes_under(dir: &Path) -> u64 {
    let mut total = 0;
    for entry in fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display())) {
        let entry = entry.expect("a directory entry");
        let path = entry.path();
        if path.is_dir() {
            total += bytes_under(&path);
        } else {
            total += fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        }
    }
    total
}

#[test]
fn pkl_renders_the_same_core_objects_as_hlc() {
    let pkl_bin = match hl_tests::tool("pkl.sh") {
        Ok(p) => p,
        Err(why) => {
            let why = format!("Pkl {} cannot be had: {why}", race::PKL_VERSION);
            return skip::skip(TEST, &why, skip::TOOLS);
        }
    };
    let dir = TempDir::new("pkl-race");
    let opts = Options { stacks: 30, seed: 1 };
    let (hl_ws, pkl_ws) = (dir.0.join("hl"), dir.0.join("pkl"));
    let (hl_out, pkl_out) = (dir.0.join("hl-out"), dir.0.join("pkl-out"));
    generate::write(&hl_ws, opts, false).expect("the hl workspace is written");
    pkl::write(&pkl_ws, opts, false).expect("the Pkl workspace is written");

    // hlc's side: what `hlc build` writes under `k8s/`.
    let c = hlc_core::compile_host(&hlc_core::DiskHost::new(&hl_ws)).expect("the hl workspace is read");
    assert!(!c.has_errors(), "hlc reports errors for the generated workspace");
    for a in c.artifacts.iter().filter(|a| a.path.starts_with("k8s/")) {
        let path = hl_out.join(&a.path);
        fs::create_dir_all(path.parent().expect("a file under k8s/")).expect("mkdir");
        fs::write(&path, &a.contents).expect("write");
    }

    // Pkl's side, as the race runs it.
    let build = Command::new(&pkl_bin)
        .current_dir(&pkl_ws)
        .args(["eval", "--color", "never", "-m"])
        .arg(&pkl_out)
        .args(race::pkl_parts(&pkl_ws).expect("the parts are listed"))
        .output()
        .expect("pkl runs");
    assert!(build.status.success(), "pkl eval -m failed:\n{}", String::from_utf8_lossy(&build.stderr));

    let cmp = race::compare(&hl_out, &pkl_out).expect("both outputs are read");
    eprintln!("{}\n{}", cmp.summary(), cmp.files_summary());
    assert!(cmp.differences.is_empty(), "hlc and Pkl differ:\n{}", cmp.differences.join("\n"));
    for kind in ["Deployment", "CronJob", "Service", "Ingress", "PersistentVolumeClaim"] {
        assert!(cmp.objects.get(kind).is_some_and(|n| *n > 0), "no {kind} was compared: {:?}", cmp.objects);
    }
    assert!(cmp.containers > 30, "{} containers compared", cmp.containers);
    assert_eq!(cmp.files_pkl, cmp.files_both, "Pkl writes files hlc does not");

    // The check mode renders every file the build writes: the lengths of their texts add up to
    // the bytes on disk (the YAML is ASCII).
    let check = Command::new(&pkl_bin)
        .current_dir(&pkl_ws)
        .args(["eval", "--color", "never", "-x", race::PKL_CHECK, pkl::ENTRY])
        .output()
        .expect("pkl runs");
    assert!(check.status.success(), "pkl eval -x failed:\n{}", String::from_utf8_lossy(&check.stderr));
    let rendered: u64 = String::from_utf8_lossy(&check.stdout).trim().parse().expect("a number");
    assert_eq!(rendered, bytes_under(&pkl_out), "the check mode renders other text than the build writes");
}
