//! The example CI pipelines in `tests/ci/` run what they say: every `hlc ...` command of the
//! GitHub Actions workflow and the Woodpecker pipeline is executed, as written, in a scratch git
//! repository with two commits (a base on `origin/main` and a change on top).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[path = "../../../tests/src/skip.rs"]
mod skip;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The `hlc ...` commands of an example file: `run: hlc ...` (GitHub) and `- hlc ...`
/// (Woodpecker) lines.
fn hlc_commands(file: &str) -> Vec<String> {
    let text = fs::read_to_string(repo_root().join("tests/ci").join(file)).expect("example pipeline");
    text.lines()
        .filter_map(|l| {
            let l = l.trim();
            let cmd = l.strip_prefix("run: ").or_else(|| l.strip_prefix("- "))?;
            cmd.starts_with("hlc ").then(|| cmd.to_string())
        })
        .collect()
}

fn git(dir: &Path, args: &[&str]) {
    let o = Command::new("git").args(args).current_dir(dir).output().expect("git");
    assert!(o.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&o.stderr));
}

/// The cluster: the tiers the stacks name.
const CLUSTER: &str = "cluster {\n  tiers = { \"aux\": TierPolicy {} }\n}\n";

const BASE: &str = r#"stack web {
  namespace web { tier = "aux" }
  service web {
    image = "nginx:1.27"
    port http = 80
    resources { cpu = 10m, memory = 64Mi }
  }
}
"#;

/// A repository whose `origin/main` is the base and whose HEAD changes the replica count.
fn scratch_repo(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("stacks")).expect("mkdir");
    git(&dir, &["init", "-q", "-b", "main"]);
    git(&dir, &["config", "user.email", "ci@example.invalid"]);
    git(&dir, &["config", "user.name", "ci"]);
    fs::write(dir.join("stacks/web.hl"), BASE).expect("write");
    fs::write(dir.join("stacks/cluster.hl"), CLUSTER).expect("write");
    git(&dir, &["add", "."]);
    git(&dir, &["commit", "-q", "-m", "base"]);
    git(&dir, &["update-ref", "refs/remotes/origin/main", "HEAD"]);
    fs::write(
        dir.join("stacks/web.hl"),
        BASE.replace("    port http = 80\n", "    replicas = 2\n    port http = 80\n"),
    )
    .expect("write");
    git(&dir, &["commit", "-q", "-am", "two replicas"]);
    dir
}

fn run(dir: &Path, cmd: &str) -> Output {
    let bin = Path::new(env!("CARGO_BIN_EXE_hlc")).parent().expect("bin dir").to_path_buf();
    let path = std::env::join_paths(
        std::iter::once(bin).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .expect("PATH");
    Command::new("bash")
        .args(["-c", cmd])
        .current_dir(dir)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .output()
        .expect("bash")
}

fn check_results(dir: &Path) {
    let sarif: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("hlc.sarif")).expect("hlc.sarif written"))
            .expect("SARIF is JSON");
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"][0]["tool"]["driver"]["name"], "hlc");
    let md = fs::read_to_string(dir.join("hlc-diff.md")).expect("hlc-diff.md written");
    assert!(md.contains("deployment-web.yaml"), "{md}");
    assert!(md.contains("replicas: 2"), "{md}");
}

/// Run the example's four `hlc` commands in a fresh scratch repository; each must succeed and
/// leave the SARIF report and the markdown diff behind.
fn run_example(file: &str, scratch: &str) -> (Vec<String>, PathBuf) {
    let cmds = hlc_commands(file);
    assert_eq!(cmds.len(), 4, "{cmds:?}");
    let dir = scratch_repo(scratch);
    for cmd in &cmds {
        let o = run(&dir, cmd);
        assert!(
            o.status.success(),
            "`{cmd}` failed: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }
    check_results(&dir);
    (cmds, dir)
}

#[test]
fn github_actions_example_runs() {
    let (cmds, dir) = run_example("github-actions.yml", "ci-github");

    // A broken change: the annotations step fails and names the file and line.
    fs::write(dir.join("stacks/web.hl"), BASE.replace("tier = \"aux\"", "tier = \"gold\"")).expect("write");
    let annotate = cmds.iter().find(|c| c.contains("--format github")).expect("annotation step");
    let o = run(&dir, annotate);
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("::error file=stacks/web.hl,line=2"), "{out}");
}

#[test]
fn woodpecker_example_runs() {
    let (cmds, dir) = run_example("woodpecker.yml", "ci-woodpecker");

    // An unformatted change fails the formatting step.
    fs::write(dir.join("stacks/web.hl"), BASE.replace("tier = \"aux\"", "tier=\"aux\"")).expect("write");
    let fmt = cmds.iter().find(|c| c.contains("fmt --check")).expect("fmt step");
    assert_eq!(run(&dir, fmt).status.code(), Some(1));
}

/// `--format sarif` validates against the official SARIF 2.1.0 JSON schema, which the crate
/// `serde-sarif` (0.8.0) ships: a throwaway manifest makes cargo fetch it, and the schema is
/// read in place from cargo's registry (never copied into the repository). Python's jsonschema
/// comes from `tests/validate/setup.sh`. Without network or Python the test says so and skips,
/// unless `HLC_REQUIRE_SHARED=1` (CI), where it fails.
#[test]
fn sarif_output_validates_against_the_sarif_schema() {
    let skip = |why: String| skip::skip("sarif_output_validates_against_the_sarif_schema", &why, skip::SHARED);
    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sarif-schema");
    let _ = fs::remove_dir_all(&scratch);
    fs::create_dir_all(scratch.join("fetch/src")).expect("mkdir");
    fs::write(
        scratch.join("fetch/Cargo.toml"),
        "[package]\nname = \"sarif-schema-fetch\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[dependencies]\nserde-sarif = \"=0.8.0\"\n\n[workspace]\n",
    )
    .expect("write");
    fs::write(scratch.join("fetch/src/lib.rs"), "").expect("write");
    let meta = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["metadata", "--format-version", "1", "--manifest-path"])
        .arg(scratch.join("fetch/Cargo.toml"))
        .output();
    let meta = match meta {
        Ok(o) if o.status.success() => o.stdout,
        Ok(o) => return skip(format!("cargo metadata failed: {}", String::from_utf8_lossy(&o.stderr).trim())),
        Err(e) => return skip(format!("cannot run cargo: {e}")),
    };
    let meta: serde_json::Value = serde_json::from_slice(&meta).expect("cargo metadata JSON");
    let manifest = meta["packages"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == "serde-sarif"))
        .and_then(|p| p["manifest_path"].as_str())
        .map(PathBuf::from)
        .expect("serde-sarif in the metadata");
    let schema = manifest.parent().expect("crate dir").join("src/schema.json");
    assert!(schema.is_file(), "no schema at {}", schema.display());

    let setup = Command::new("bash").arg(repo_root().join("tests/validate/setup.sh")).current_dir(repo_root()).output();
    let python = match setup {
        Ok(o) if o.status.success() => {
            String::from_utf8_lossy(&o.stdout).lines().last().unwrap_or_default().trim().to_string()
        }
        _ => return skip("tests/validate/setup.sh failed (no Python tooling)".into()),
    };

    // A workspace with an error, a warning and a related location.
    let dir = scratch.join("ws");
    fs::create_dir_all(dir.join("stacks")).expect("mkdir");
    fs::write(dir.join("stacks/a.hl"), BASE.replace("tier = \"aux\"", "tier = \"gold\"")).expect("write");
    fs::write(
        dir.join("stacks/b.hl"),
        "stack b {\n  namespace b { tier = \"aux\" }\n  service b {\n    image = \"nginx:1.27\"\n    port http = 80\n    volume data = pvc(1Gi, mount = \"/data\")\n  }\n}\n",
    )
    .expect("write");
    let o = run(&dir, "hlc check stacks --format sarif > out.sarif");
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    let sarif: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("out.sarif")).expect("read")).expect("JSON");
    assert!(sarif["runs"][0]["results"].as_array().is_some_and(|r| r.len() >= 2), "{sarif}");

    let script = "import json,sys\nfrom jsonschema import Draft7Validator\nschema=json.load(open(sys.argv[1]))\ndoc=json.load(open(sys.argv[2]))\nerrors=list(Draft7Validator(schema).iter_errors(doc))\nfor e in errors[:20]: print(list(e.absolute_path), e.message)\nsys.exit(1 if errors else 0)\n";
    let v =
        Command::new(&python).args(["-c", script]).arg(&schema).arg(dir.join("out.sarif")).output().expect("python");
    assert!(
        v.status.success(),
        "SARIF does not validate:\n{}{}",
        String::from_utf8_lossy(&v.stdout),
        String::from_utf8_lossy(&v.stderr)
    );
}
