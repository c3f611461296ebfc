//! Every object emitted for `stacks/` and for the emit fixtures (`tests/emit/*`) validates:
//! core kinds against the official Kubernetes schemas (`kubernetes-validate --strict`, where a
//! missing schema is a failure) and custom resources against the CRD schemas of the shared
//! material.
//!
//! The Python tooling is installed by `tests/validate/setup.sh` into `target/hl-venv`. The CRD
//! schemas are read in place from `$HLC_SHARED_DIR/schemas/crds` (default: `../shared` beside
//! the repository). When either is unavailable this test says so and skips, unless
//! `HLC_REQUIRE_SHARED=1` (as in `.ci/run`), where it fails.

use std::fs;
use std::process::Command;

use hl_tests::{in_homelab, read_dir, repo_root, shared_dir, skip};

fn skip_or_fail(why: &str) {
    skip("emitted_objects_validate_against_kubernetes_and_crd_schemas", why, skip::SHARED);
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

    // The real homelab, a second one (tests/second-homelab), and every emit fixture (each
    // shows constructs the homelab may not use yet), each into a directory of its own.
    // One directory per run: several runs at once (a developer's and CI's, or parallel test
    // binaries) must not write into each other's output.
    let out = root.join("target").join(format!("hl-validate-out-{}", std::process::id()));
    let _ = fs::remove_dir_all(&out);
    let mut workspaces = vec![
        ("stacks".to_string(), root.join("stacks")),
        ("second-homelab".to_string(), root.join("tests/second-homelab")),
    ];
    let mut fixtures: Vec<_> =
        fs::read_dir(root.join("tests/emit")).expect("tests/emit").flatten().map(|e| e.path()).collect();
    fixtures.sort();
    workspaces.extend(fixtures.into_iter().filter(|p| p.is_dir()).map(|p| {
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        (format!("emit-{name}"), p)
    }));
    let mut objects = 0;
    let mut dirs = Vec::new();
    for (name, dir) in &workspaces {
        let c = hlc_core::compile(in_homelab(read_dir(dir)));
        assert!(!c.has_errors(), "{name} does not compile");
        for a in &c.artifacts {
            let path = out.join(name).join(&a.path);
            fs::create_dir_all(path.parent().expect("artifact has a parent")).expect("create dir");
            fs::write(&path, &a.contents).expect("write artifact");
        }
        objects += c
            .artifacts
            .iter()
            .filter(|a| {
                a.path.starts_with("k8s/") && a.path.ends_with(".yaml") && !a.path.ends_with("kustomization.yaml")
            })
            .count();
        dirs.push(out.join(name).join("k8s"));
    }
    assert!(objects > 0);

    let res = Command::new(&python)
        .arg(root.join("tests/validate/validate.py"))
        .arg("--crds")
        .arg(&crds)
        .arg("--k8s-version")
        .arg("1.33.0")
        .args(dirs.iter().filter(|d| d.is_dir()))
        .output()
        .expect("run validate.py");
    let stdout = String::from_utf8_lossy(&res.stdout);
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert!(res.status.success(), "schema validation failed:\n{stdout}\n{stderr}");
    let summary = stdout.lines().last().unwrap_or_default();
    let _ = fs::remove_dir_all(&out);
    assert!(
        summary.starts_with(&format!("validated {objects} objects: {objects} passed, 0 failed")),
        "unexpected summary: {summary}"
    );
}
