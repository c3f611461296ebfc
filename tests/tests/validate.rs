//! Every object emitted for `stacks/` validates: core kinds against the official Kubernetes
//! schemas (`kubernetes-validate --strict`, where a missing schema is a failure) and custom
//! resources against the CRD schemas of the shared material.
//!
//! The Python tooling is installed by `tests/validate/setup.sh` into `target/hl-venv`. The CRD
//! schemas are read in place from `$HLC_SHARED_DIR/schemas/crds` (default: `../shared` beside
//! the repository). When either is unavailable this test says so and skips, unless
//! `HLC_REQUIRE_SHARED=1` (as in `.ci/run`), where it fails.

use std::fs;
use std::process::Command;

use hl_tests::{read_dir, repo_root, shared_dir, shared_required};

fn skip_or_fail(why: &str) {
    if shared_required() {
        panic!("{why} (HLC_REQUIRE_SHARED=1)");
    }
    eprintln!("SKIPPED schema validation: {why}");
}

#[test]
fn emitted_objects_validate_against_kubernetes_and_crd_schemas() {
    let crds = shared_dir().join("schemas").join("crds");
    if !crds.is_dir() {
        skip_or_fail(&format!(
            "CRD schemas not found at {} (set HLC_SHARED_DIR to the shared material)",
            crds.display()
        ));
        return;
    }
    let root = repo_root();
    let setup = Command::new("bash").arg(root.join("tests/validate/setup.sh")).current_dir(&root).output();
    let python = match setup {
        Ok(o) if o.status.success() => {
            String::from_utf8_lossy(&o.stdout).lines().last().unwrap_or_default().trim().to_string()
        }
        Ok(o) => {
            skip_or_fail(&format!(
                "tests/validate/setup.sh failed: {}",
                String::from_utf8_lossy(&o.stderr).lines().last().unwrap_or_default()
            ));
            return;
        }
        Err(e) => {
            skip_or_fail(&format!("cannot run bash: {e}"));
            return;
        }
    };

    let c = hlc_core::compile(read_dir(&root.join("stacks")));
    assert!(!c.has_errors(), "stacks/ does not compile");
    let out = root.join("target").join("hl-validate-out");
    let _ = fs::remove_dir_all(&out);
    for a in &c.artifacts {
        let path = out.join(&a.path);
        fs::create_dir_all(path.parent().expect("artifact has a parent")).expect("create dir");
        fs::write(&path, &a.contents).expect("write artifact");
    }
    let objects = c
        .artifacts
        .iter()
        .filter(|a| a.path.starts_with("k8s/") && a.path.ends_with(".yaml") && !a.path.ends_with("kustomization.yaml"))
        .count();
    assert!(objects > 0);

    let res = Command::new(&python)
        .arg(root.join("tests/validate/validate.py"))
        .arg("--crds")
        .arg(&crds)
        .arg("--k8s-version")
        .arg("1.33.0")
        .arg(out.join("k8s"))
        .output()
        .expect("run validate.py");
    let stdout = String::from_utf8_lossy(&res.stdout);
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert!(res.status.success(), "schema validation failed:\n{stdout}\n{stderr}");
    let summary = stdout.lines().last().unwrap_or_default();
    assert!(
        summary.starts_with(&format!("validated {objects} objects: {objects} passed, 0 failed")),
        "unexpected summary: {summary}"
    );
}
