//! End-to-end tests of the `hlc` binary: exit codes, output layout, atomic replacement.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn hlc(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hlc")).args(args).current_dir(cwd).env("NO_COLOR", "1").output().expect("run hlc")
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("stacks")).expect("create scratch");
    // The cluster facts every workspace declares: here, only the domain ingresses go under.
    fs::write(dir.join("stacks/cluster.hl"), CLUSTER).expect("write cluster.hl");
    dir
}

/// A workspace's cluster facts: its domain (hosts are `<name>.example.org`, objects are
/// labelled `hlc.example.org/stack`).
const CLUSTER: &str = r#"cluster {
  domain = "example.org"
  tiers = { "core": TierPolicy {}, "cluster": TierPolicy {}, "aux": TierPolicy {} }
  storage_classes = {
    "proxmox-lvm": StorageClassPolicy { claim_suffix = "-proxmox", needs_backup = true },
    "proxmox-lvm-encrypted": StorageClassPolicy { claim_suffix = "-encrypted", encrypted = true, needs_backup = true },
  }
  default_storage_class = "proxmox-lvm"
  encrypted_storage_class = "proxmox-lvm-encrypted"
}
"#;

const GOOD: &str = r#"
stack demo {
  namespace demo { tier = "aux" }
  service web {
    image = "nginx:1.27"
    port http = 80
    resources { cpu = 10m, memory = 64Mi }
    ingress web { auth = app("nginx serves only public static files"), dns = proxied }
  }
}
"#;

#[test]
fn build_writes_one_object_per_file_and_a_kustomization() {
    let dir = scratch("build-ok");
    fs::write(dir.join("stacks/demo.hl"), GOOD).expect("write");
    let o = hlc(&["build"], &dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let k8s = dir.join("out/k8s/demo");
    for f in
        ["namespace-demo.yaml", "deployment-web.yaml", "service-web.yaml", "ingress-web.yaml", "kustomization.yaml"]
    {
        assert!(k8s.join(f).is_file(), "missing {f}");
    }
    let kust = fs::read_to_string(k8s.join("kustomization.yaml")).expect("read");
    assert!(kust.contains("- deployment-web.yaml"), "{kust}");
    // The wildcard TLS secret is Kyverno's to clone in, never hl's to emit.
    assert!(!k8s.join("secret-tls-secret.yaml").exists());
}

#[test]
fn failed_build_leaves_previous_output_intact() {
    let dir = scratch("build-fail");
    fs::write(dir.join("stacks/demo.hl"), GOOD).expect("write");
    assert!(hlc(&["build"], &dir).status.success());
    let before = fs::read_to_string(dir.join("out/k8s/demo/deployment-web.yaml")).expect("read");
    fs::write(dir.join("stacks/demo.hl"), GOOD.replace("replicas", "x").replace("port http = 80", "port http = 80000"))
        .expect("write");
    let o = hlc(&["build"], &dir);
    assert_eq!(o.status.code(), Some(1), "errors must exit 1");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("error[E0203]"), "{stderr}");
    let after = fs::read_to_string(dir.join("out/k8s/demo/deployment-web.yaml")).expect("previous output kept");
    assert_eq!(before, after);
    // No staging directories are left behind.
    let leftovers: Vec<_> = fs::read_dir(&dir)
        .expect("ls")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn a_failed_build_creates_no_directories() {
    let dir = scratch("build-fail-fresh");
    fs::write(dir.join("stacks/demo.hl"), GOOD.replace("port http = 80", "port http = 80000")).expect("write");
    let o = hlc(&["build", "--out", "new/parent/out"], &dir);
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!dir.join("new").exists(), "a failed build must not touch the disk");
}

/// Every file under `dir`, by path relative to it, with its bytes.
fn tree(dir: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in fs::read_dir(&d).expect("read_dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else {
                let rel = p.strip_prefix(dir).expect("inside").to_path_buf();
                out.insert(rel, fs::read(&p).expect("read"));
            }
        }
    }
    out
}

#[cfg(unix)]
#[test]
fn a_rebuild_keeps_the_files_it_did_not_change_and_equals_a_fresh_build() {
    use std::os::unix::fs::MetadataExt;
    let dir = scratch("build-rebuild");
    fs::write(dir.join("stacks/demo.hl"), GOOD).expect("write");
    let o = hlc(&["build"], &dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let k8s = dir.join("out/k8s/demo");
    let inode = |f: &str| fs::metadata(k8s.join(f)).expect("stat").ino();
    let (service, deployment, ingress) =
        (inode("service-web.yaml"), inode("deployment-web.yaml"), inode("ingress-web.yaml"));
    // A file of the output edited by hand, to the same size: it is written again, not kept.
    let path = k8s.join("ingress-web.yaml");
    let edited = fs::read_to_string(&path).expect("read").replacen("web", "WEB", 1);
    fs::write(&path, edited).expect("edit");
    // A new image changes the Deployment only.
    fs::write(dir.join("stacks/demo.hl"), GOOD.replace("nginx:1.27", "nginx:1.28")).expect("write");
    let o = hlc(&["build"], &dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(inode("service-web.yaml"), service, "an unchanged file is the previous one, linked");
    assert_ne!(inode("deployment-web.yaml"), deployment, "a changed file is written anew");
    assert_ne!(inode("ingress-web.yaml"), ingress, "a file edited by hand is written anew");
    // The previous output stays beside it as the next build's spare, sharing the files that
    // did not change; version control is told to leave it alone.
    let spare = dir.join(".out.spare/k8s/demo");
    assert_eq!(fs::metadata(k8s.join("service-web.yaml")).expect("stat").nlink(), 2, "shared with the spare");
    assert_eq!(fs::metadata(spare.join("service-web.yaml")).expect("stat").ino(), service);
    assert!(fs::read_to_string(spare.join("deployment-web.yaml")).expect("read").contains("nginx:1.27"));
    assert_eq!(fs::read_to_string(dir.join(".out.spare/.gitignore")).expect("read"), "*\n");
    // The next change takes the spare over as its staging directory: the unchanged files are
    // still the same ones, and the output is the one a fresh build writes.
    let deployment = inode("deployment-web.yaml");
    fs::write(dir.join("stacks/demo.hl"), GOOD.replace("nginx:1.27", "nginx:1.29")).expect("write");
    let o = hlc(&["build"], &dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(inode("service-web.yaml"), service, "an unchanged file is the same file, twice over");
    assert_ne!(inode("deployment-web.yaml"), deployment);
    assert!(fs::read_to_string(spare.join("deployment-web.yaml")).expect("read").contains("nginx:1.28"));
    assert!(!dir.join("out/.gitignore").exists(), "the spare's own file is not part of an output");
    fs::write(dir.join("stacks/demo.hl"), GOOD.replace("nginx:1.27", "nginx:1.28")).expect("write");
    let o = hlc(&["build"], &dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // The same bytes as a build into an empty directory.
    let o = hlc(&["build", "--out", "fresh"], &dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(tree(&dir.join("out")), tree(&dir.join("fresh")));
    assert!(fs::read_to_string(k8s.join("deployment-web.yaml")).expect("read").contains("nginx:1.28"));
    // Nothing changed: the output directory itself is left as it is.
    let out_inode = fs::metadata(dir.join("out")).expect("stat").ino();
    let o = hlc(&["build"], &dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        fs::metadata(dir.join("out")).expect("stat").ino(),
        out_inode,
        "a build that changes nothing swaps nothing"
    );
    // A file that is no output of the build makes it a new output, without that file.
    fs::write(k8s.join("stray.yaml"), "kind: Stray\n").expect("write");
    let o = hlc(&["build"], &dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!k8s.join("stray.yaml").exists());
    assert_eq!(tree(&dir.join("out")), tree(&dir.join("fresh")));
    // A stack removed: its files go.
    fs::write(dir.join("stacks/demo.hl"), GOOD.replace("nginx:1.27", "nginx:1.28").replace("demo", "other"))
        .expect("write");
    let o = hlc(&["build"], &dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!k8s.exists() && dir.join("out/k8s/other/service-web.yaml").is_file());
}

#[test]
fn a_build_that_cannot_write_says_so_and_leaves_nothing() {
    let dir = scratch("build-unwritable");
    fs::write(dir.join("stacks/demo.hl"), GOOD).expect("write");
    // The output's parent is a file: no directory can be made there.
    fs::write(dir.join("blocker"), "not a directory").expect("write");
    let o = hlc(&["build", "--out", "blocker/out"], &dir);
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("error: cannot write blocker/out"), "{stderr}");
    assert_eq!(fs::read_to_string(dir.join("blocker")).expect("read"), "not a directory");
}

#[test]
fn check_writes_nothing_and_reports_short_format() {
    let dir = scratch("check");
    fs::write(dir.join("stacks/demo.hl"), GOOD.replace("tier = \"aux\"", "tier = \"auxx\"")).expect("write");
    let o = hlc(&["check", "--format", "short"], &dir);
    assert_eq!(o.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("stacks/demo.hl:3:27: error[E0214]: tier `auxx` is not one the cluster declares"),
        "{stderr}"
    );
    assert!(!dir.join("out").exists());
}

#[test]
fn missing_workspace_is_a_usage_error() {
    let dir = scratch("missing");
    let o = hlc(&["check", "nope"], &dir);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn explain_knows_every_code() {
    let dir = scratch("explain");
    for c in hlc_core::diagnostics::CODES {
        let o = hlc(&["explain", c.code], &dir);
        assert!(o.status.success(), "explain {}", c.code);
        assert_eq!(String::from_utf8_lossy(&o.stdout), c.doc);
        let by_name = hlc(&["explain", c.name], &dir);
        assert_eq!(by_name.stdout, o.stdout);
    }
    assert_eq!(hlc(&["explain", "E9999"], &dir).status.code(), Some(2));
    let list = hlc(&["explain"], &dir);
    assert_eq!(String::from_utf8_lossy(&list.stdout).lines().count(), hlc_core::diagnostics::CODES.len());
}

#[test]
fn graph_prints_waves_and_writes_files() {
    let dir = scratch("graph");
    fs::write(dir.join("stacks/demo.hl"), GOOD.replace("stack demo {", "stack demo {\n  depends_on = [base]"))
        .expect("write");
    fs::write(dir.join("stacks/base.hl"), "stack base {\n  namespace base { tier = \"core\" }\n}\n").expect("write");
    let o = hlc(&["graph"], &dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "wave 0: base\nwave 1: demo\n");
    for f in ["graph.json", "graph.dot", "graph.mmd"] {
        assert!(dir.join("out").join(f).is_file(), "missing {f}");
    }
    let mermaid = hlc(&["graph", "--format", "mermaid"], &dir);
    assert!(String::from_utf8_lossy(&mermaid.stdout).contains("demo --> base"));
}

#[test]
fn backups_reports_coverage_as_table_and_json() {
    let dir = scratch("backups");
    let src = r#"
host_backup daily {
  description = "claims onto the backup disk"
  schedule = "*-*-* 05:00:00"
  command = ["/usr/local/bin/daily-backup"]
  produces = local
  sources = ["proxmox-lvm"]
}
host_backup offsite {
  description = "backup disk to the NAS"
  schedule = "daily"
  command = ["/usr/local/bin/offsite"]
  produces = offsite
  sources = ["/mnt/backup"]
}
stack notes {
  waive = { "E0513": "copied by the host's daily step" }
  namespace notes { tier = "aux" }
  service notes {
    image = "ghcr.io/example/notes:1.0.0"
    port http = 80
    volume data = pvc(1Gi, mount = "/data")
  }
}
"#;
    fs::write(dir.join("stacks/notes.hl"), src).expect("write");
    let table = hlc(&["backups"], &dir);
    assert!(table.status.success(), "{}", String::from_utf8_lossy(&table.stderr));
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.lines().any(|l| l.starts_with("notes/notes")
            && l.contains("notes-data-proxmox")
            && l.contains("1,2,3")
            && l.ends_with("1d")),
        "{text}"
    );
    let json = hlc(&["backups", "--format", "json"], &dir);
    let text = String::from_utf8_lossy(&json.stdout);
    assert!(text.contains(r#""claim":"notes-data-proxmox""#) && text.contains(r#""copies":[1,2,3]"#), "{text}");
    // Building writes the host's units.
    assert!(hlc(&["build"], &dir).status.success());
    assert!(dir.join("out/backup/host/hlc-backup-daily.timer").is_file());
}

#[test]
fn machine_readable_formats() {
    let dir = scratch("formats");
    fs::write(
        dir.join("stacks/demo.hl"),
        GOOD.replace("tier = \"aux\"", "tier = \"auxx\"").replace("port http = 80", "port http = 80000"),
    )
    .expect("write");
    let json = hlc(&["check", "--format", "json"], &dir);
    assert_eq!(json.status.code(), Some(1));
    let text = String::from_utf8_lossy(&json.stdout);
    assert!(text.starts_with("[\n  {\"file\":\"stacks/demo.hl\",\"line\":3,\"column\":27,\"end_line\":3,\"end_column\":33,\"code\":\"E0214\""), "{text}");
    assert!(text.contains("\"code\":\"E0203\"") && text.contains("\"labels\":[{"), "{text}");

    let gh = hlc(&["check", "--format", "github"], &dir);
    let text = String::from_utf8_lossy(&gh.stdout);
    assert!(
        text.lines().any(|l| l.starts_with(
            "::error file=stacks/demo.hl,line=3,col=27,endLine=3,endColumn=33,title=E0214 not-in-cluster::"
        )),
        "{text}"
    );

    let sarif = hlc(&["check", "--format", "sarif"], &dir);
    let text = String::from_utf8_lossy(&sarif.stdout);
    assert!(
        text.contains("\"version\":\"2.1.0\"")
            && text.contains("\"ruleId\":\"E0214\"")
            && text.contains("\"startLine\":3"),
        "{text}"
    );
}

#[test]
fn deny_warnings_fails_on_warnings() {
    let dir = scratch("deny");
    fs::write(dir.join("stacks/demo.hl"), GOOD.replace("namespace demo { tier = \"aux\" }", "namespace demo { }"))
        .expect("write");
    assert_eq!(hlc(&["check"], &dir).status.code(), Some(0));
    let o = hlc(&["check", "--deny-warnings"], &dir);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("warning[E0521]"));
}

#[test]
fn diff_compares_two_git_revisions() {
    let dir = scratch("diff");
    let git = |args: &[&str]| {
        let o = Command::new("git").args(args).current_dir(&dir).output().expect("git");
        assert!(o.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&o.stderr));
    };
    git(&["init", "-q", "-b", "main"]);
    git(&["config", "user.email", "ci@example.org"]);
    git(&["config", "user.name", "ci"]);
    fs::write(dir.join("stacks/demo.hl"), GOOD).expect("write");
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "first"]);
    let changed = GOOD
        .replace("resources { cpu = 10m, memory = 64Mi }", "replicas = 2\n    resources { cpu = 10m, memory = 64Mi }");
    fs::write(dir.join("stacks/demo.hl"), changed).expect("write");
    fs::write(dir.join("stacks/extra.hl"), "stack extra {\n  namespace extra { tier = \"aux\" }\n}\n").expect("write");
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "second"]);

    let o = hlc(&["diff", "--base", "HEAD~1", "--head", "HEAD"], &dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("== demo\nchanged k8s/demo/deployment-web.yaml  (from stacks/demo.hl@HEAD:4)"), "{text}");
    assert!(text.contains("-  replicas: 1\n+  replicas: 2"), "{text}");
    assert!(text.contains("added k8s/extra/namespace-extra.yaml"), "{text}");
    // The graph files change too (a new stack joins wave 0): json, dot, mmd and the picture.
    assert!(text.contains("== graph\nchanged graph.dot"), "{text}");
    assert!(text.contains("changed graph.svg"), "{text}");
    assert!(text.lines().last().is_some_and(|l| l.ends_with("0 removed, 5 changed")), "{text}");

    let md = hlc(&["diff", "--base", "HEAD~1", "--head", "HEAD", "--format", "markdown"], &dir);
    let text = String::from_utf8_lossy(&md.stdout);
    assert!(text.starts_with("### hlc diff `HEAD~1` → `HEAD`") && text.contains("```diff"), "{text}");
    // Without --head, the working tree is the head: nothing changed since HEAD.
    let o = hlc(&["diff", "--base", "HEAD"], &dir);
    assert_eq!(String::from_utf8_lossy(&o.stdout), "0 added, 0 removed, 0 changed\n");
}

#[test]
fn completions_and_man_page() {
    let dir = scratch("completions");
    for shell in ["bash", "zsh", "fish"] {
        let o = hlc(&["completions", shell], &dir);
        assert!(o.status.success() && String::from_utf8_lossy(&o.stdout).contains("hlc"), "{shell}");
    }
    let man = hlc(&["man"], &dir);
    let text = String::from_utf8_lossy(&man.stdout);
    assert!(text.contains(".TH hlc 1") && text.contains("build"), "{text}");
}

/// `hlc fmt`: `--check` reports and exits 1 without writing, plain `fmt` rewrites, `-` filters,
/// and files with syntax errors are left alone with a diagnostic.
#[test]
fn fmt_check_write_and_stdin() {
    let dir = scratch("fmt");
    fs::create_dir_all(dir.join("stacks/sub")).expect("mkdir");
    let messy = "stack a {namespace a {tier=\"aux\"}\n\n\n  depends_on=[ ]}\n";
    let tidy = "stack a {\n  namespace a { tier = \"aux\" }\n\n  depends_on = []\n}\n";
    let a = dir.join("stacks/sub/a.hl");
    let broken = dir.join("stacks/broken.hl");
    fs::write(&a, messy).expect("write");
    fs::write(&broken, "stack b { port = }\n").expect("write");
    // Files under out/ and target/ are never touched.
    fs::create_dir_all(dir.join("out")).expect("mkdir");
    fs::write(dir.join("out/x.hl"), messy).expect("write");

    let o = hlc(&["fmt", "--check"], &dir);
    let (out, err) = (String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(out.contains("stacks/sub/a.hl: not formatted"), "{out}");
    assert!(out.contains("+  namespace a { tier = \"aux\" }"), "the check prints a diff: {out}");
    assert!(err.contains("broken.hl: not formatted (syntax errors)"), "{err}");
    assert!(err.contains("3 files checked: 1 not formatted, 1 with syntax errors"), "{err}");
    assert_eq!(fs::read_to_string(&a).expect("read"), messy, "--check must not write");

    let o = hlc(&["fmt", "stacks/sub"], &dir);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(fs::read_to_string(&a).expect("read"), tidy);
    assert_eq!(hlc(&["fmt", "--check", "stacks/sub"], &dir).status.code(), Some(0));

    let o = hlc(&["fmt", "stacks/broken.hl"], &dir);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(fs::read_to_string(&broken).expect("read"), "stack b { port = }\n");
    assert_eq!(fs::read_to_string(dir.join("out/x.hl")).expect("read"), messy);

    let mut child = Command::new(env!("CARGO_BIN_EXE_hlc"))
        .args(["fmt", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run hlc");
    {
        use std::io::Write;
        child.stdin.take().expect("stdin").write_all(messy.as_bytes()).expect("write stdin");
    }
    let o = child.wait_with_output().expect("wait");
    assert_eq!((o.status.code(), String::from_utf8_lossy(&o.stdout).as_ref()), (Some(0), tidy));
    assert_eq!(hlc(&["fmt", "does-not-exist"], &dir).status.code(), Some(2));
}

/// The CLI is a thin front end: for every ui fixture, `hlc check --format json` prints exactly
/// the diagnostics the library API returns for the same directory.
#[test]
fn cli_and_api_agree_on_every_ui_fixture() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut dirs: Vec<PathBuf> = fs::read_dir(root.join("tests/ui"))
        .expect("tests/ui")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() > 100, "ui fixtures not found");
    for dir in &dirs {
        let path = dir.to_string_lossy().into_owned();
        let o = hlc(&["check", &path, "--format", "json"], &root);
        let cli = String::from_utf8_lossy(&o.stdout);
        let c = hlc_core::compile_host(&hlc_core::DiskHost::new(dir)).expect("read fixture");
        let api = hlc_core::diagnostics::render::json(&c.diagnostics, &c.sources);
        assert_eq!(cli.trim_end(), api.trim_end(), "{path}");
        let rel = &path;
        let expected_code = if c.has_errors() { 1 } else { 0 };
        assert_eq!(o.status.code(), Some(expected_code), "{rel}");
    }
}

#[test]
fn quiet_and_verbose() {
    let dir = scratch("quiet-verbose");
    fs::write(dir.join("stacks/demo.hl"), GOOD).expect("write");
    let o = hlc(&["check", "--quiet"], &dir);
    assert!(o.status.success());
    assert_eq!(String::from_utf8_lossy(&o.stderr), "", "--quiet prints nothing for a clean workspace");
    let o = hlc(&["build", "-v"], &dir);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    for stage in ["parse", "evaluate", "check", "emit", "total", "built 1 stacks"] {
        assert!(err.contains(stage), "--verbose reports `{stage}`: {err}");
    }
    let o = hlc(&["check", "-q", "-v"], &dir);
    assert_eq!(o.status.code(), Some(2), "--quiet and --verbose conflict");
}

/// `hlc build` of the real `stacks/` writes the same bytes with 1, 2 and 4 worker threads.
#[test]
fn build_output_is_identical_for_any_thread_count() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("threads");
    let _ = fs::remove_dir_all(&out);
    let mut trees = Vec::new();
    for threads in ["1", "2", "4"] {
        let dir = out.join(threads);
        let o = Command::new(env!("CARGO_BIN_EXE_hlc"))
            .args(["build", "stacks", "--out"])
            .arg(&dir)
            .current_dir(&root)
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .expect("run hlc");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let mut files = Vec::new();
        collect(&dir, &dir, &mut files);
        files.sort();
        trees.push(files);
    }
    assert!(trees[0].len() > 1000, "{} files", trees[0].len());
    assert!(trees[0] == trees[1], "1 vs 2 threads differ");
    assert!(trees[1] == trees[2], "2 vs 4 threads differ");
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    for e in fs::read_dir(dir).expect("read dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(root, &p, out);
        } else {
            let rel = p.strip_prefix(root).expect("inside").to_string_lossy().into_owned();
            out.push((rel, fs::read(&p).expect("read")));
        }
    }
}

/// Symbolic links inside the workspace are followed when they stay inside it (a directory
/// linked twice, or to its own parent, is read once); a link that leads outside it, or
/// nowhere, is an error naming the link, not a silent skip.
#[cfg(unix)]
#[test]
fn workspace_symlinks_are_followed_inside_and_named_outside() {
    use std::os::unix::fs::symlink;
    let dir = scratch("ws-symlinks");
    fs::create_dir_all(dir.join("stacks/real")).expect("mkdir");
    fs::write(dir.join("stacks/real/demo.hl"), GOOD).expect("write");
    symlink(dir.join("stacks/real"), dir.join("stacks/alias")).expect("symlink");
    symlink(dir.join("stacks"), dir.join("stacks/real/loop")).expect("symlink");
    let o = hlc(&["check"], &dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("checked 1 stacks from 2 files"), "{stderr}");

    fs::create_dir_all(dir.join("elsewhere")).expect("mkdir");
    fs::write(dir.join("elsewhere/other.hl"), "let x = 1\n").expect("write");
    symlink(dir.join("elsewhere/other.hl"), dir.join("stacks/other.hl")).expect("symlink");
    let o = hlc(&["check"], &dir);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("stacks/other.hl") && stderr.contains("outside the workspace"), "{stderr}");
    fs::remove_file(dir.join("stacks/other.hl")).expect("rm");

    symlink(dir.join("nowhere.hl"), dir.join("stacks/dangling.hl")).expect("symlink");
    let o = hlc(&["check"], &dir);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("stacks/dangling.hl") && stderr.contains("leads nowhere"), "{stderr}");
}

/// `hlc init` starts a workspace that builds clean on its own domain, in the canonical layout;
/// it never writes into a directory that holds something (E0904).
#[test]
fn init_starts_a_homelab_that_builds_on_its_own_domain() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("init");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("mkdir");
    let o = hlc(&["init", "demo", "--domain", "example.org"], &dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = hlc(&["build", "demo", "--out", "out"], &dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let ingress = fs::read_to_string(dir.join("out/k8s/hello/ingress-hello.yaml")).expect("an ingress");
    assert!(ingress.contains("host: hello.example.org"), "{ingress}");
    let o = hlc(&["fmt", "--check", "demo"], &dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));

    // With Authentik, a pool and an NFS server: the example goes through the provider.
    let o = hlc(
        &["init", "lab", "--domain", "lab.example.org", "--authentik", "--metallb-pool", "192.0.2.200-192.0.2.220"],
        &dir,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = hlc(&["build", "lab", "--out", "out-lab"], &dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let ingress = fs::read_to_string(dir.join("out-lab/k8s/hello/ingress-hello.yaml")).expect("an ingress");
    assert!(ingress.contains("authentik-forward-auth@kubernetescrd"), "{ingress}");

    // Never into a directory that holds something: output_safety.rs. Flags that would write invalid hl are refused before anything is written.
    let o = hlc(&["init", "bad", "--domain", "not a domain"], &dir);
    assert_eq!(o.status.code(), Some(2));
    assert!(!dir.join("bad").exists());
}

/// `hlc build --stdout` streams the real homelab's objects: the stream is, byte for byte, the
/// files `hlc build --out` writes under `k8s/` (kustomize's `kustomization.yaml` left out), in
/// path order, each after `---` and a `# Source:` line; nothing is written to disk. A failed
/// build streams nothing.
#[test]
fn build_stdout_streams_the_files_of_the_output() {
    let stacks = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../stacks");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("stdout-stream");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("mkdir");
    let out = dir.join("out");
    let built = hlc(&["build", stacks.to_str().expect("utf-8"), "--out", out.to_str().expect("utf-8")], &dir);
    assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
    let streamed = hlc(&["build", stacks.to_str().expect("utf-8"), "--stdout"], &dir);
    assert!(streamed.status.success(), "{}", String::from_utf8_lossy(&streamed.stderr));
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
        for e in fs::read_dir(dir).expect("read_dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else if p.extension().is_some_and(|x| x == "yaml")
                && p.file_name().is_some_and(|n| n != "kustomization.yaml")
            {
                let rel = p.strip_prefix(root).expect("inside").to_string_lossy().replace('\\', "/");
                out.push((rel, fs::read_to_string(&p).expect("read")));
            }
        }
    }
    let mut files = Vec::new();
    walk(&out, &out.join("k8s"), &mut files);
    files.sort();
    assert!(files.len() > 1500, "{} files", files.len());
    let expected: String = files.iter().map(|(p, t)| format!("---\n# Source: {p}\n{t}")).collect();
    let got = String::from_utf8(streamed.stdout).expect("utf-8");
    assert_eq!(got.len(), expected.len());
    assert!(got == expected, "the stream differs from the files");
    assert_eq!(fs::read_dir(&dir).expect("read_dir").count(), 1, "--stdout wrote nothing beside --out's tree");

    // A build that fails streams nothing, and `--out` with `--stdout` is refused.
    let bad = scratch("stdout-failed");
    fs::write(bad.join("stacks/demo.hl"), GOOD.replace("port http = 80", "port http = 80000")).expect("write");
    let o = hlc(&["build", "--stdout"], &bad);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty(), "{}", String::from_utf8_lossy(&o.stdout));
    assert!(!bad.join("out").exists());
    let o = hlc(&["build", "--stdout", "--out", "x"], &bad);
    assert_eq!(o.status.code(), Some(2));
}
