//! Output safety of `hlc build`: `out/` is replaced atomically even when the process is killed
//! mid-write, leftovers of killed runs are cleaned up, no secret value reaches an emitted file,
//! and the output does not depend on the order in which the file system lists the workspace.

use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

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

/// Every file below `dir`, by relative path.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in fs::read_dir(dir).expect("read dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).expect("inside").to_string_lossy().into_owned();
                out.insert(rel, fs::read(&p).expect("read"));
            }
        }
    }
    let mut out = BTreeMap::new();
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out
}

/// One small stack; `tag` changes every Deployment, so two versions differ in many files.
fn stack(i: usize, tag: &str) -> String {
    format!(
        r#"stack app{i} {{
  namespace app{i} {{ tier = "aux" }}
  service web{i} {{
    image = "nginx:{tag}"
    port http = 80
    resources {{ cpu = 10m, memory = 64Mi }}
    config site = {{ "index.html": "<h1>app {i}, version {tag}</h1>" }}
    ingress web{i} {{ auth = app("serves only public static files"), dns = proxied }}
  }}
}}
"#
    )
}

fn write_workspace(dir: &Path, stacks: usize, tag: &str) {
    for i in 0..stacks {
        fs::write(dir.join(format!("stacks/app{i}.hl")), stack(i, tag)).expect("write stack");
    }
}

/// xorshift64*: reproducible delays.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1)
    }
}

fn staging_exists(dir: &Path) -> bool {
    fs::read_dir(dir).is_ok_and(|es| es.flatten().any(|e| e.file_name().to_string_lossy().starts_with(".out.tmp-")))
}

/// Kill the real `hlc build` at many points, most of them while it writes its files: `out/`
/// is always byte for byte the complete previous output or the complete new one, and the next
/// run removes what the killed ones left behind.
#[test]
fn killed_build_leaves_previous_or_new_output() {
    let dir = scratch("kill-mid-write");
    const STACKS: usize = 400;
    // The two complete outputs, built beforehand.
    let mut expected = Vec::new();
    for tag in ["1.27", "1.28"] {
        write_workspace(&dir, STACKS, tag);
        let o = hlc(&["build", "--out", "expected"], &dir);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        expected.push(tree(&dir.join("expected")));
        fs::rename(dir.join("expected"), dir.join(format!("expected-{tag}"))).expect("keep");
    }
    assert!(expected[0].len() > 2000 && expected[0] != expected[1]);
    write_workspace(&dir, STACKS, "1.27");
    assert!(hlc(&["build"], &dir).status.success());

    // How long a run takes, and how long it spends writing (from its staging directory's
    // appearance to its exit).
    let timed = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_hlc")).arg("build").current_dir(&dir).spawn().expect("spawn");
    let mut write_start = None;
    while child.try_wait().expect("wait").is_none() {
        if write_start.is_none() && staging_exists(&dir) {
            write_start = Some(timed.elapsed());
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    let total = timed.elapsed();
    // The window to kill in once the staging directory exists: the first run's writing time,
    // narrowed whenever a run finished inside it (a loaded machine varies the writing time from
    // run to run, and one calibration could leave most kills too late).
    let mut writing = total.saturating_sub(write_start.unwrap_or_default()).max(Duration::from_millis(5));

    let mut rng = Rng(0x0bad_5eed_0000_0001);
    let (mut killed_writing, mut completed) = (0, 0);
    for round in 0..24 {
        // Alternate the source between the two versions: every run replaces one with the other.
        let tag = if round % 2 == 0 { "1.28" } else { "1.27" };
        write_workspace(&dir, STACKS, tag);
        let mut child = Command::new(env!("CARGO_BIN_EXE_hlc"))
            .arg("build")
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let started = Instant::now();
        if round % 3 == 0 {
            // Anywhere in the run.
            std::thread::sleep(Duration::from_micros(rng.below(total.as_micros() as u64 + 1)));
        } else {
            // While it writes: once its staging directory exists, within the writing time.
            while !staging_exists(&dir) && child.try_wait().expect("wait").is_none() {
                if started.elapsed() > Duration::from_secs(120) {
                    break;
                }
                std::thread::sleep(Duration::from_micros(100));
            }
            std::thread::sleep(Duration::from_micros(rng.below(writing.as_micros() as u64 + 1)));
        }
        let was_writing = staging_exists(&dir);
        let _ = child.kill();
        let status = child.wait().expect("reap");
        if status.success() {
            completed += 1;
            if round % 3 != 0 {
                writing = (writing * 3 / 4).max(Duration::from_micros(200));
            }
        } else if was_writing {
            killed_writing += 1;
        }
        let got = tree(&dir.join("out"));
        assert!(
            got == expected[0] || got == expected[1],
            "round {round}: out/ is neither output ({} files)",
            got.len()
        );
    }
    assert!(killed_writing >= 4, "only {killed_writing} runs were killed while writing ({completed} completed)");

    // A normal run cleans up after the killed ones and writes the new output.
    write_workspace(&dir, STACKS, "1.28");
    assert!(hlc(&["build"], &dir).status.success());
    assert!(tree(&dir.join("out")) == expected[1]);
    assert_no_leftovers(&dir);
}

/// No staging or set-aside directory of any run is left beside `out/` (only the spare, the
/// output before the current one, which the next build takes over).
fn assert_no_leftovers(dir: &Path) {
    let leftovers: Vec<String> = fs::read_dir(dir)
        .expect("ls")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".out.") && n != ".out.spare")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// A previous output that a killed run had set aside (the two-rename swap where the atomic
/// exchange is unavailable) is put back by the next run, and stale staging directories go.
#[test]
fn next_run_recovers_what_a_killed_run_left() {
    let dir = scratch("recover");
    write_workspace(&dir, 2, "1.27");
    assert!(hlc(&["build"], &dir).status.success());
    let before = tree(&dir.join("out"));
    // A dead process's leftovers: its half-written staging directory, and the previous output
    // it renamed aside just before it died. (PIDs above the Linux maximum never run.)
    fs::create_dir_all(dir.join(".out.tmp-4194999/k8s")).expect("mkdir");
    fs::write(dir.join(".out.tmp-4194999/k8s/half.yaml"), "kind: Half").expect("write");
    fs::rename(dir.join("out"), dir.join(".out.old-4194998")).expect("set aside");
    // A failed build does not write, but it does not run the recovery either: the next good one does.
    write_workspace(&dir, 2, "1.28");
    assert!(hlc(&["build"], &dir).status.success());
    let after = tree(&dir.join("out"));
    assert!(after != before && after.keys().eq(before.keys()));
    assert_no_leftovers(&dir);
}

/// The real homelab's output holds no secret value: it has no Secret with data (the TLS
/// secrets are Kyverno's clones), and every ExternalSecret only names a store and keys in it,
/// and a template only renders what it fetched.
#[test]
fn real_stacks_emit_no_secret_values() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("secrets-out");
    let _ = fs::remove_dir_all(&out);
    let o = Command::new(env!("CARGO_BIN_EXE_hlc"))
        .args(["build", "stacks", "--out"])
        .arg(&out)
        .current_dir(&root)
        .output()
        .expect("run hlc");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (mut secrets, mut external) = (0, 0);
    for (path, bytes) in tree(&out) {
        if !path.ends_with(".yaml") {
            continue;
        }
        let text = String::from_utf8(bytes).expect("utf-8");
        let doc: Json = serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{path}: not YAML: {e}"));
        match doc["kind"].as_str() {
            Some("Secret") => {
                secrets += 1;
                assert!(doc.get("stringData").is_none(), "{path}: stringData");
                // Each entry under `data` is an empty string.
                for (k, v) in doc["data"].as_object().into_iter().flatten() {
                    assert_eq!(v, "", "{path}: a Secret with a value under {k}");
                }
            }
            Some("ExternalSecret") => {
                external += 1;
                // Only references: a store, a target, and keys (with properties) in Vault; a
                // template's entries render fetched values (`{{ .key }}`).
                only_references(&doc, &path);
            }
            _ => {}
        }
    }
    assert!(external > 50, "{secrets} Secrets, {external} ExternalSecrets");
}

/// The fields an ExternalSecret may hold outside its template: names of stores, targets and
/// keys, never a value (hlc's ownership labels are names too).
const REFERENCE_FIELDS: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "name",
    "namespace",
    "labels",
    "app.kubernetes.io/managed-by",
    "hlc.viktorbarzin.me/stack",
    "annotations",
    "spec",
    "refreshInterval",
    "secretStoreRef",
    "target",
    "creationPolicy",
    "deletionPolicy",
    "dataFrom",
    "extract",
    "key",
    "data",
    "secretKey",
    "remoteRef",
    "property",
];

/// Every key of the ExternalSecret `v` is a reference field, except under `template`, whose
/// string entries under a secret's name (`*PASSWORD*`, `*TOKEN*`, ...) render fetched values
/// (`{{ .key }}`): a literal there is a value that belongs in Vault. A literal entry under
/// another name (a host, a port, a config file) is fine.
fn only_references(v: &Json, path: &str) {
    match v {
        Json::Object(m) => {
            for (k, x) in m {
                assert!(
                    REFERENCE_FIELDS.contains(&k.as_str()) || k == "template",
                    "{path}: unexpected field `{k}` in an ExternalSecret"
                );
                if k == "template" {
                    template_renders_fetched_values(x, path);
                } else {
                    only_references(x, path);
                }
            }
        }
        Json::Array(a) => a.iter().for_each(|x| only_references(x, path)),
        _ => {}
    }
}

fn template_renders_fetched_values(v: &Json, path: &str) {
    match v {
        Json::Object(m) => {
            for (k, x) in m {
                if let Json::String(text) = x {
                    let secret_name =
                        ["PASSWORD", "SECRET", "TOKEN", "KEY"].iter().any(|w| k.to_ascii_uppercase().contains(w));
                    assert!(
                        matches!(k.as_str(), "engineVersion" | "type")
                            || text.contains("{{")
                            || text.is_empty()
                            || !secret_name,
                        "{path}: an ExternalSecret template entry with a literal secret: {k}"
                    );
                }
                template_renders_fetched_values(x, path);
            }
        }
        Json::Array(a) => a.iter().for_each(|x| template_renders_fetched_values(x, path)),
        _ => {}
    }
}

/// A canary secret written into hl in every place a value could be smuggled is an error, and
/// the canary is in no file of the output directory (nor does an earlier output gain it).
#[test]
fn a_literal_secret_is_refused_and_never_emitted() {
    const CANARY: &str = "Cn4ry-S3cret-Value-7f3a";
    let dir = scratch("canary");
    write_workspace(&dir, 1, "1.27");
    assert!(hlc(&["build"], &dir).status.success());
    let before = tree(&dir.join("out"));
    let places = [
        format!(r#"env = {{ "DB_PASSWORD": "{CANARY}" }}"#),
        format!(r#"env = {{ "API_TOKEN": "{CANARY}" }}"#),
        format!(r#"env = {{ "DATABASE_URL": "postgres://app:{CANARY}@postgresql.dbaas:5432/app" }}"#),
        format!(r#"container sidecar {{ image = "busybox:1.36", env = {{ "SECRET_KEY": "{CANARY}" }} }}"#),
        format!(r#"init_container setup {{ image = "busybox:1.36", env = {{ "ADMIN_PASSWORD": "{CANARY}" }} }}"#),
        format!(r#"secret creds {{ store = "vault-kv", value = "{CANARY}" }}"#),
        format!(r#"secret creds {{ string_data = {{ "password": "{CANARY}" }} }}"#),
    ];
    for place in &places {
        let text = stack(0, "1.27").replace("    port http = 80\n", &format!("    port http = 80\n    {place}\n"));
        fs::write(dir.join("stacks/app0.hl"), &text).expect("write");
        let o = hlc(&["build"], &dir);
        assert_eq!(o.status.code(), Some(1), "accepted: {place}\n{}", String::from_utf8_lossy(&o.stderr));
        let after = tree(&dir.join("out"));
        assert!(after == before, "output changed: {place}");
        for (path, bytes) in &after {
            assert!(!String::from_utf8_lossy(bytes).contains(CANARY), "{path} holds the canary");
        }
        let leftovers =
            fs::read_dir(&dir).expect("ls").flatten().filter(|e| e.file_name() != "out" && e.file_name() != "stacks");
        for e in leftovers {
            assert!(tree(&e.path()).values().all(|b| !String::from_utf8_lossy(b).contains(CANARY)));
        }
    }
}

/// The output does not depend on the order in which files were created (which is the order
/// some file systems list them in) nor on how they are spread over directories.
#[test]
fn output_is_independent_of_file_system_order() {
    let sources: Vec<String> = (0..12).map(|i| stack(i, "1.27")).collect();
    let flat = |i: usize| format!("app{i}.hl");
    let nested = |i: usize| format!("{}/{}/app{i}.hl", ["zeta", "alpha", "mid"][i % 3], 11 - i);
    type Layout<'a> = (&'a str, &'a dyn Fn(usize) -> String, bool);
    let layouts: [Layout<'_>; 3] = [("in-order", &flat, false), ("reversed", &flat, true), ("nested", &nested, true)];
    let mut outputs = Vec::new();
    for (name, path, reverse) in &layouts {
        let dir = scratch(&format!("fs-order-{name}"));
        let mut order: Vec<usize> = (0..sources.len()).collect();
        if *reverse {
            order.reverse();
        }
        for i in order {
            let p = dir.join("stacks").join(path(i));
            fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            fs::write(&p, &sources[i]).expect("write");
        }
        let o = hlc(&["build"], &dir);
        assert!(o.status.success(), "{name}: {}", String::from_utf8_lossy(&o.stderr));
        outputs.push((name, tree(&dir.join("out"))));
    }
    for (name, out) in &outputs[1..] {
        assert!(out == &outputs[0].1, "{name} differs from {}", outputs[0].0);
    }
}

/// What `hlc build` printed and its exit code, for a refusal.
fn refused(o: &Output, code: &str) -> String {
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(2), "expected a refusal (exit 2) with {code}:\n{stderr}");
    assert!(stderr.contains(&format!("error[{code}]")), "expected {code}:\n{stderr}");
    assert!(stderr.contains("help:"), "a refusal says what to do:\n{stderr}");
    stderr
}

/// `--out` naming the workspace, a directory that holds it, or one inside it is refused before
/// anything is written: `hlc build stacks --out stacks` used to replace every `.hl` file with
/// YAML.
#[test]
fn out_overlapping_the_workspace_is_refused() {
    let dir = scratch("out-overlap");
    write_workspace(&dir, 2, "1.27");
    fs::create_dir_all(dir.join("nested")).expect("mkdir");
    let before = tree(&dir);
    for (args, cwd, what) in [
        (&["build", "stacks", "--out", "stacks"][..], dir.clone(), "is the workspace"),
        (&["build", "stacks", "--out", "."][..], dir.clone(), "contains the workspace"),
        (&["build", "stacks", "--out", "stacks/out"][..], dir.clone(), "lies inside the workspace"),
        (&["build", "../stacks", "--out", ".."][..], dir.join("nested"), "contains the workspace"),
        (&["build", "stacks", "--out", "./stacks/../stacks"][..], dir.clone(), "is the workspace"),
        (&["graph", "stacks", "--out", "stacks"][..], dir.clone(), "is the workspace"),
    ] {
        let stderr = refused(&hlc(args, &cwd), "E0901");
        assert!(stderr.contains(what), "{args:?}: {stderr}");
        assert_eq!(tree(&dir), before, "{args:?} changed files");
    }
}

/// `--out` naming the root of a version-controlled tree, or a directory holding the repository
/// the workspace or the current directory is in, is refused: `.git` went with the output.
#[test]
fn out_at_a_repository_root_is_refused() {
    let dir = scratch("out-repo");
    let repo = dir.join("repo");
    fs::create_dir_all(repo.join(".git")).expect("mkdir");
    fs::write(repo.join(".git/HEAD"), "ref: refs/heads/main\n").expect("write");
    fs::create_dir_all(repo.join("sub")).expect("mkdir");
    // The workspace outside the repository, so that only the repository rule applies.
    write_workspace(&dir, 2, "1.27");
    let before = tree(&dir);
    for (args, cwd, what) in [
        (&["build", "../stacks", "--out", "."][..], repo.clone(), "is the root of a version-controlled tree"),
        (&["build", "../../stacks", "--out", ".."][..], repo.join("sub"), "is the root of a version-controlled tree"),
        (&["build", "stacks", "--out", "repo"][..], dir.clone(), "is the root of a version-controlled tree"),
    ] {
        let stderr = refused(&hlc(args, &cwd), "E0902");
        assert!(stderr.contains(what), "{args:?}: {stderr}");
        assert_eq!(tree(&dir), before, "{args:?} changed files");
    }
    // A directory above the repository the command runs in: it holds the repository.
    let outer = dir.join("outer");
    fs::create_dir_all(outer.join("repo2/.git")).expect("mkdir");
    let ws = dir.join("ws-elsewhere");
    fs::create_dir_all(&ws).expect("mkdir");
    fs::copy(dir.join("stacks/app0.hl"), ws.join("app0.hl")).expect("copy");
    let stderr = refused(&hlc(&["build", ws.to_str().expect("utf-8"), "--out", ".."], &outer.join("repo2")), "E0902");
    assert!(stderr.contains("contains the repository"), "{stderr}");
    // An output directory inside the repository is what everyone does.
    let o = hlc(&["build", "../stacks", "--out", "out"], &repo);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(repo.join(".git/HEAD").is_file());
}

/// A symbolic link given as `--out` is refused, and neither it nor what it points at changes:
/// the previous version removed the subdirectories of the target's `k8s/` and replaced the
/// link with a directory.
#[cfg(unix)]
#[test]
fn symlinked_out_is_refused_and_its_target_kept() {
    let dir = scratch("out-symlink");
    write_workspace(&dir, 2, "1.27");
    let elsewhere = dir.join("elsewhere");
    fs::create_dir_all(elsewhere.join("k8s/keep")).expect("mkdir");
    fs::write(elsewhere.join("k8s/keep/precious.yaml"), "kind: Precious").expect("write");
    std::os::unix::fs::symlink(&elsewhere, dir.join("out")).expect("symlink");
    let before = tree(&elsewhere);
    let stderr = refused(&hlc(&["build"], &dir), "E0903");
    assert!(stderr.contains("symbolic link"), "{stderr}");
    assert_eq!(tree(&elsewhere), before);
    assert!(fs::symlink_metadata(dir.join("out")).expect("link").file_type().is_symlink());
    // Even a link to an earlier hlc output is not replaced through.
    fs::remove_file(dir.join("out")).expect("unlink");
    assert!(hlc(&["build", "--out", "real"], &dir).status.success());
    std::os::unix::fs::symlink(dir.join("real"), dir.join("out")).expect("symlink");
    refused(&hlc(&["build"], &dir), "E0903");
    assert!(dir.join("real/.hlc-output").is_file());
}

/// A symbolic link *inside* a previous output (its `k8s`, or a stack directory) is removed
/// with the output, never followed.
#[cfg(unix)]
#[test]
fn links_inside_a_previous_output_are_not_followed() {
    let dir = scratch("out-inner-link");
    write_workspace(&dir, 2, "1.27");
    assert!(hlc(&["build"], &dir).status.success());
    let elsewhere = dir.join("elsewhere");
    fs::create_dir_all(elsewhere.join("stack/sub")).expect("mkdir");
    fs::write(elsewhere.join("stack/sub/precious.yaml"), "kind: Precious").expect("write");
    std::os::unix::fs::symlink(elsewhere.join("stack"), dir.join("out/k8s/linked")).expect("symlink");
    let before = tree(&elsewhere);
    let o = hlc(&["build"], &dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(tree(&elsewhere), before);
    assert!(fs::symlink_metadata(dir.join("out/k8s/linked")).is_err(), "the new output has no link");
    // A file of the previous output replaced by a link to a file elsewhere with the very bytes
    // the build writes there: the link is not reused (nor the file it points at linked into
    // the output); the new output has a file of its own, and the target is untouched.
    let deployment = dir.join("out/k8s/app0/deployment-web0.yaml");
    fs::copy(&deployment, elsewhere.join("same.yaml")).expect("copy");
    fs::remove_file(&deployment).expect("remove");
    std::os::unix::fs::symlink(elsewhere.join("same.yaml"), &deployment).expect("symlink");
    let before = tree(&elsewhere);
    let o = hlc(&["build"], &dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(tree(&elsewhere), before);
    let meta = fs::symlink_metadata(&deployment).expect("stat");
    assert!(meta.file_type().is_file(), "a file of the output's own, not a link");
    {
        use std::os::unix::fs::MetadataExt;
        assert_eq!(meta.nlink(), 1, "not linked to the file elsewhere");
    }
    // The whole `k8s` of the previous output a link: the same.
    fs::rename(dir.join("out/k8s"), dir.join("k8s-moved")).expect("move");
    std::os::unix::fs::symlink(&elsewhere, dir.join("out/k8s")).expect("symlink");
    assert!(hlc(&["build"], &dir).status.success());
    assert_eq!(tree(&elsewhere), before);
}

/// The spare (`.out.spare`, the output before the current one, which the next build takes
/// over as its staging directory) is never trusted: whatever was done to it, the next build's
/// output is the one a build into an empty directory writes, nothing outside is written or
/// removed through a link planted in it, and the previous output's files that it shares are
/// never written through it.
#[cfg(unix)]
#[test]
fn a_tampered_spare_is_repaired_and_never_followed() {
    use std::os::unix::fs::symlink;
    let dir = scratch("spare-tampered");
    write_workspace(&dir, 3, "1.27");
    assert!(hlc(&["build"], &dir).status.success());
    write_workspace(&dir, 3, "1.28");
    assert!(hlc(&["build"], &dir).status.success());
    let spare = dir.join(".out.spare");
    assert!(spare.join(".hlc-output").is_file(), "two builds leave a spare");
    let elsewhere = dir.join("elsewhere");
    fs::create_dir_all(elsewhere.join("sub")).expect("mkdir");
    fs::write(elsewhere.join("sub/precious.yaml"), "kind: Precious").expect("write");
    fs::write(elsewhere.join("marker"), "precious marker").expect("write");
    // A link to a directory elsewhere; a stack's directory replaced by a file; a file replaced
    // by a directory; a file replaced by a link to a file elsewhere with the very bytes the
    // next build writes; a shared file replaced by one of other bytes; a stray file and a
    // stray directory.
    symlink(&elsewhere, spare.join("k8s/linked")).expect("symlink");
    fs::remove_dir_all(spare.join("k8s/app1")).expect("rm");
    fs::write(spare.join("k8s/app1"), "a file where a directory goes").expect("write");
    fs::remove_file(spare.join("k8s/app0/service-web0.yaml")).expect("rm");
    fs::create_dir_all(spare.join("k8s/app0/service-web0.yaml/inner")).expect("mkdir");
    let namespace = fs::read(dir.join("out/k8s/app2/namespace-app2.yaml")).expect("read");
    fs::write(elsewhere.join("same.yaml"), &namespace).expect("write");
    fs::remove_file(spare.join("k8s/app2/namespace-app2.yaml")).expect("rm");
    symlink(elsewhere.join("same.yaml"), spare.join("k8s/app2/namespace-app2.yaml")).expect("symlink");
    fs::remove_file(spare.join("k8s/app2/service-web2.yaml")).expect("rm");
    fs::write(spare.join("k8s/app2/service-web2.yaml"), "kind: Stale").expect("write");
    fs::write(spare.join("k8s/app0/stray.yaml"), "kind: Stray").expect("write");
    fs::create_dir_all(spare.join("k8s/gone/deeper")).expect("mkdir");
    let outside = tree(&elsewhere);
    let current = tree(&dir.join("out"));

    write_workspace(&dir, 3, "1.29");
    let o = hlc(&["build"], &dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(hlc(&["build", "--out", "fresh"], &dir).status.success());
    assert_eq!(tree(&dir.join("out")), tree(&dir.join("fresh")), "the output is a fresh build's");
    assert_eq!(tree(&elsewhere), outside, "nothing elsewhere is written or removed");
    assert!(
        fs::symlink_metadata(dir.join("out/k8s/app2/namespace-app2.yaml")).expect("stat").file_type().is_file(),
        "a file of the output's own, not a link"
    );
    // The output it replaced is the spare now, unchanged by the build that took over the old one.
    assert_eq!(tree(&spare), {
        let mut t = current;
        t.insert(".gitignore".into(), b"*\n".to_vec());
        t
    });
    assert_no_leftovers(&dir);

    // A spare whose marker is not a file of its own (here a link to a file elsewhere) is not
    // taken over, nor removed: hlc removes nothing it cannot tell it wrote.
    fs::remove_file(spare.join(".hlc-output")).expect("rm");
    symlink(elsewhere.join("marker"), spare.join(".hlc-output")).expect("symlink");
    let unmarked = tree(&spare);
    write_workspace(&dir, 3, "1.30");
    let o = hlc(&["build"], &dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(tree(&spare), unmarked);
    assert_eq!(tree(&elsewhere), outside);
    assert!(hlc(&["build", "--out", "fresh"], &dir).status.success());
    assert_eq!(tree(&dir.join("out")), tree(&dir.join("fresh")));

    // A link in place of the spare is neither taken over nor replaced; the build still works.
    fs::remove_dir_all(&spare).expect("rm");
    symlink(&elsewhere, &spare).expect("symlink");
    write_workspace(&dir, 3, "1.31");
    assert!(hlc(&["build"], &dir).status.success());
    assert_eq!(tree(&elsewhere), outside);
    assert!(fs::symlink_metadata(&spare).expect("stat").file_type().is_symlink());
    assert!(hlc(&["build", "--out", "fresh"], &dir).status.success());
    assert_eq!(tree(&dir.join("out")), tree(&dir.join("fresh")));
}

/// A regular file, or a directory that hlc did not write, is refused and left as it was; an
/// empty directory is used, and from then on carries the marker that lets the next build
/// replace it.
#[test]
fn only_empty_or_marked_directories_are_replaced() {
    let dir = scratch("out-foreign");
    write_workspace(&dir, 2, "1.27");
    fs::write(dir.join("out"), "not a directory").expect("write");
    let stderr = refused(&hlc(&["build"], &dir), "E0903");
    assert!(stderr.contains("is a file"), "{stderr}");
    assert_eq!(fs::read_to_string(dir.join("out")).expect("read"), "not a directory");
    // The file stays where it was, and later builds are refused the same way (the previous
    // version hid it away, after which every build failed).
    refused(&hlc(&["build"], &dir), "E0903");
    fs::remove_file(dir.join("out")).expect("rm");

    fs::create_dir_all(dir.join("notes")).expect("mkdir");
    fs::write(dir.join("notes/today.txt"), "todo").expect("write");
    let stderr = refused(&hlc(&["build", "--out", "notes"], &dir), "E0903");
    assert!(stderr.contains("was not written by hlc"), "{stderr}");
    assert_eq!(fs::read_to_string(dir.join("notes/today.txt")).expect("read"), "todo");

    fs::create_dir_all(dir.join("empty")).expect("mkdir");
    for _ in 0..2 {
        let o = hlc(&["build", "--out", "empty"], &dir);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let marker = fs::read_to_string(dir.join("empty/.hlc-output")).expect("marker");
    assert!(marker.contains("workspace: ../stacks"), "{marker}");
    // `hlc graph` marks the directory it writes into, so a build after it may replace it.
    let o = hlc(&["graph", "--out", "graphs"], &dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(dir.join("graphs/.hlc-output").is_file() && dir.join("graphs/graph.json").is_file());
    let o = hlc(&["build", "--out", "graphs"], &dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// `hlc init` never writes into a directory that holds something: an existing workspace keeps
/// its `cluster.hl` and every other file.
#[test]
fn init_refuses_a_directory_that_is_not_empty() {
    let dir = scratch("init-not-empty");
    write_workspace(&dir, 1, "1.27");
    let before = tree(&dir);
    refused(&hlc(&["init", "stacks", "--domain", "other.example"], &dir), "E0904");
    assert_eq!(tree(&dir), before);
}
