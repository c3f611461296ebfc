//! `hlc apply` and `hlc diff --live` against an in-process stand-in for the Kubernetes API
//! server (`kubestub`): request sequence, wave order, field manager, dry run, `--stack`,
//! pruning, refusals, conflicts, an unreachable server, and the live diff. No real cluster is
//! involved; see the README for what that leaves untested.

mod kubestub;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use kubestub::{Reject, Req, Stub};
use serde_json::{Value, json};

/// The stack label of a workspace on `example.org` (`hlc.<domain>/stack`).
const STACK_LABEL: &str = "hlc.example.org/stack";
/// The stack label of the homelab's own workspace.
const HOMELAB_STACK_LABEL: &str = "hlc.viktorbarzin.me/stack";
const MANAGED_BY: &str = "app.kubernetes.io/managed-by";

fn hlc_env(args: &[&str], cwd: &Path, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hlc"));
    cmd.args(args).current_dir(cwd).env("NO_COLOR", "1").env_remove("CI").env_remove("KUBECONFIG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run hlc")
}

fn hlc(args: &[&str], cwd: &Path) -> Output {
    hlc_env(args, cwd, &[])
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const BASE: &str = "stack base {\n  namespace base { tier = \"core\" }\n}\n";

const DEMO: &str = r#"
stack demo {
  depends_on = [base]
  namespace demo { tier = "aux" }
  service web {
    image = "nginx:1.27"
    port http = 80
    secret web-secrets = vault("web")
    resources { cpu = 10m, memory = 64Mi }
    ingress web { auth = app("nginx serves only public static files"), dns = proxied }
  }
}
"#;

/// The cluster: its domain, and the tiers and storage classes the stacks name.
const CLUSTER: &str = "cluster {\n  domain = \"example.org\"\n  tiers = { \"core\": TierPolicy {}, \"cluster\": TierPolicy {}, \"aux\": TierPolicy {} }\n  storage_classes = {\n    \"proxmox-lvm\": StorageClassPolicy { claim_suffix = \"-proxmox\", needs_backup = true },\n    \"proxmox-lvm-encrypted\": StorageClassPolicy { claim_suffix = \"-encrypted\", encrypted = true, needs_backup = true },\n  }\n  default_storage_class = \"proxmox-lvm\"\n  encrypted_storage_class = \"proxmox-lvm-encrypted\"\n}\n";

/// A workspace of two stacks, `base` (wave 0) and `demo` (wave 1), and a stub with its
/// kubeconfig.
fn setup(name: &str) -> (PathBuf, Stub, String) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("apply").join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("stacks")).expect("create scratch");
    fs::write(dir.join("stacks/cluster.hl"), CLUSTER).expect("write");
    fs::write(dir.join("stacks/base.hl"), BASE).expect("write");
    fs::write(dir.join("stacks/demo.hl"), DEMO).expect("write");
    let stub = Stub::start();
    let kc = stub.kubeconfig(&dir).to_string_lossy().into_owned();
    (dir, stub, kc)
}

fn patches(reqs: &[Req]) -> Vec<&Req> {
    reqs.iter().filter(|r| r.method == "PATCH").collect()
}

fn body(r: &Req) -> Value {
    serde_json::from_str(&r.body).expect("apply body is JSON")
}

/// The stack an object names in its stack label: the demo workspace's, or the homelab's
/// (`stacks/cluster.hl` sets `label_domain`).
fn stack_of(r: &Req) -> String {
    body(r)
        .pointer("/metadata/labels")
        .and_then(|l| l.get(STACK_LABEL).or_else(|| l.get(HOMELAB_STACK_LABEL)))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

/// The waves of a workspace, from `hlc graph --format json`: stack → wave.
fn waves(dir: &Path, ws: &str) -> BTreeMap<String, usize> {
    let out = dir.join("graph-out");
    let o = hlc(&["graph", ws, "--out", out.to_str().expect("utf-8"), "--format", "json"], dir);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let g: Value = serde_json::from_slice(&o.stdout).expect("graph json");
    let mut m = BTreeMap::new();
    for (i, w) in g["waves"].as_array().expect("waves").iter().enumerate() {
        for s in w.as_array().expect("wave") {
            m.insert(s.as_str().expect("name").to_string(), i);
        }
    }
    m
}

/// Every PATCH is an apply by `hlc`, and no object of wave N+1 is sent before all of wave N.
fn assert_wave_order(reqs: &[Req], waves: &BTreeMap<String, usize>) {
    let mut last = 0;
    for r in patches(reqs) {
        assert_eq!(r.content_type, "application/apply-patch+yaml", "{}", r.line());
        assert_eq!(r.query.get("fieldManager").map(String::as_str), Some("hlc"), "{}", r.line());
        let stack = stack_of(r);
        let w = *waves.get(&stack).unwrap_or_else(|| panic!("object without a known stack label: {}", r.line()));
        assert!(w >= last, "{} (wave {w}) sent after an object of wave {last}", r.line());
        last = w;
    }
}

#[test]
fn apply_goes_wave_by_wave_with_field_manager_hlc() {
    let (dir, stub, kc) = setup("order");
    let o = hlc(&["apply", "--kubeconfig", &kc], &dir);
    let stdout = text(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{stdout}\n{}", text(&o.stderr));
    let reqs = stub.requests();
    assert_wave_order(&reqs, &waves(&dir, "stacks"));
    let ps = patches(&reqs);
    assert!(
        ps.iter().all(|r| !r.query.contains_key("dryRun") && !r.query.contains_key("force")),
        "not a dry run, no force"
    );
    // Discovery before the first write; inside a stack, its namespace first.
    let first_patch = reqs.iter().position(|r| r.method == "PATCH").expect("a patch");
    assert!(reqs[..first_patch].iter().any(|r| r.path == "/api/v1"), "discovery first");
    assert_eq!(ps[0].line(), "PATCH /api/v1/namespaces/base");
    let demo: Vec<&&Req> = ps.iter().filter(|r| stack_of(r) == "demo").collect();
    assert_eq!(demo[0].line(), "PATCH /api/v1/namespaces/demo");
    let paths: Vec<String> = ps.iter().map(|r| r.line()).collect();
    for want in [
        "PATCH /apis/apps/v1/namespaces/demo/deployments/web",
        "PATCH /api/v1/namespaces/demo/services/web",
        "PATCH /apis/networking.k8s.io/v1/namespaces/demo/ingresses/web",
    ] {
        assert!(paths.iter().any(|p| p == want), "missing {want} in {paths:#?}");
    }
    // Stored, with the ownership labels.
    let dep = stub.get("apps", "deployments", "demo", "web").expect("stored");
    assert_eq!(dep["metadata"]["labels"][MANAGED_BY], "hlc");
    assert_eq!(dep["metadata"]["labels"][STACK_LABEL], "demo");
    assert!(stdout.contains("== wave 0\napplied Namespace base  [base]\n"), "{stdout}");
    assert!(stdout.contains("applied Deployment demo/web  [demo]"), "{stdout}");
    assert!(
        text(&o.stderr).contains(&format!("objects of 2 stacks in 2 waves to {}", stub.url)),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn dry_run_is_the_default_in_ci_and_forced_by_the_flag() {
    let (dir, stub, kc) = setup("dry-run");
    for (args, env, dry) in [
        (vec!["apply", "--kubeconfig", &kc], vec![("CI", "true")], true),
        (vec!["apply", "--kubeconfig", &kc, "--dry-run"], vec![], true),
        (vec!["apply", "--kubeconfig", &kc, "--no-dry-run"], vec![("CI", "true")], false),
    ] {
        stub.clear_requests();
        let o = hlc_env(&args, &dir, &env);
        assert_eq!(o.status.code(), Some(0), "{args:?} {env:?}: {}", text(&o.stderr));
        let reqs = stub.requests();
        let ps = patches(&reqs);
        assert!(!ps.is_empty());
        for r in &ps {
            assert_eq!(
                r.query.get("dryRun").map(String::as_str),
                if dry { Some("All") } else { None },
                "{args:?} {env:?}"
            );
            assert_eq!(r.query.get("fieldManager").map(String::as_str), Some("hlc"));
        }
        if dry {
            assert!(stub.state().objects.is_empty(), "a dry run stores nothing");
            assert!(text(&o.stdout).contains("applied Deployment demo/web  [demo] (dry run)"), "{}", text(&o.stdout));
        } else {
            assert!(stub.get("apps", "deployments", "demo", "web").is_some());
        }
    }
    let o = hlc(&["apply", "--dry-run", "--no-dry-run", "--kubeconfig", &kc], &dir);
    assert_eq!(o.status.code(), Some(2), "contradictory flags are a usage error");
}

#[test]
fn stack_option_restricts_what_is_applied() {
    let (dir, stub, kc) = setup("stack");
    let o = hlc(&["apply", "--kubeconfig", &kc, "--stack", "demo"], &dir);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let reqs = stub.requests();
    let ps = patches(&reqs);
    assert!(!ps.is_empty());
    assert!(ps.iter().all(|r| stack_of(r) == "demo"), "only demo's objects");
    assert!(stub.get("", "namespaces", "", "base").is_none());
    let o = hlc(&["apply", "--kubeconfig", &kc, "--stack", "nope"], &dir);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("no stack `nope`"), "{}", text(&o.stderr));
}

fn deployment(ns: &str, name: &str, labels: Value) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
           "metadata": {"name": name, "namespace": ns, "labels": labels},
           "spec": {"replicas": 1}})
}

#[test]
fn prune_only_with_the_flag_and_only_hlc_objects_of_the_applied_stacks() {
    let (dir, stub, kc) = setup("prune");
    stub.seed(deployment("demo", "old", json!({MANAGED_BY: "hlc", STACK_LABEL: "demo"})), "hlc");
    stub.seed(deployment("demo", "foreign", json!({"app": "foreign"})), "kubectl");
    stub.seed(deployment("base", "gone", json!({MANAGED_BY: "hlc", STACK_LABEL: "base"})), "hlc");
    stub.seed(deployment("demo", "helm-owned", json!({MANAGED_BY: "Helm", STACK_LABEL: "demo"})), "helm");

    // Without --prune: listed, nothing deleted.
    let o = hlc(&["apply", "--kubeconfig", &kc, "--stack", "demo"], &dir);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let stdout = text(&o.stdout);
    assert!(stdout.contains("would prune Deployment demo/old  [demo]\n"), "{stdout}");
    assert!(!stdout.contains("gone") && !stdout.contains("foreign") && !stdout.contains("helm-owned"), "{stdout}");
    assert!(text(&o.stderr).contains("rerun with --prune"), "{}", text(&o.stderr));
    let reqs = stub.requests();
    assert!(!reqs.iter().any(|r| r.method == "DELETE"));
    // The listing asks only for hlc's objects of the stack being applied.
    let list = reqs
        .iter()
        .find(|r| r.method == "GET" && r.path == "/apis/apps/v1/deployments")
        .expect("deployments listed across namespaces");
    assert_eq!(
        list.query.get("labelSelector").map(String::as_str),
        Some(&*format!("{MANAGED_BY}=hlc,{STACK_LABEL} in (demo)"))
    );

    // With --prune, in a dry run: the delete is sent with dryRun=All, nothing goes.
    stub.clear_requests();
    let o = hlc(&["apply", "--kubeconfig", &kc, "--stack", "demo", "--prune", "--dry-run"], &dir);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let dels: Vec<Req> = stub.requests().into_iter().filter(|r| r.method == "DELETE").collect();
    assert_eq!(dels.len(), 1);
    assert!(dels[0].dry_run(), "{:?}", dels[0]);
    assert!(stub.get("apps", "deployments", "demo", "old").is_some());

    // For real: only demo/old goes; then a whole-workspace apply prunes base's stale object.
    stub.clear_requests();
    let o = hlc(&["apply", "--kubeconfig", &kc, "--stack", "demo", "--prune"], &dir);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("pruned Deployment demo/old  [demo]\n"), "{}", text(&o.stdout));
    let dels: Vec<String> = stub.requests().iter().filter(|r| r.method == "DELETE").map(Req::line).collect();
    assert_eq!(dels, ["DELETE /apis/apps/v1/namespaces/demo/deployments/old"]);
    assert!(stub.get("apps", "deployments", "demo", "old").is_none());
    assert!(stub.get("apps", "deployments", "demo", "foreign").is_some());
    assert!(stub.get("apps", "deployments", "demo", "helm-owned").is_some());
    assert!(stub.get("apps", "deployments", "base", "gone").is_some());
    let o = hlc(&["apply", "--kubeconfig", &kc, "--prune"], &dir);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(stub.get("apps", "deployments", "base", "gone").is_none());
    assert!(stub.get("apps", "deployments", "demo", "foreign").is_some());
    // Everything hlc applied is still there.
    assert!(stub.get("apps", "deployments", "demo", "web").is_some());
}

#[test]
fn a_refused_object_stops_later_waves_with_the_servers_message() {
    let (dir, stub, kc) = setup("refused");
    stub.state().reject.push(Reject {
        kind: "Namespace".into(),
        name: "base".into(),
        code: 422,
        reason: "Invalid".into(),
        message: "Namespace \"base\" is invalid: metadata.labels: Invalid value: \"x\"".into(),
    });
    let o = hlc(&["apply", "--kubeconfig", &kc], &dir);
    assert_eq!(o.status.code(), Some(1));
    let stderr = text(&o.stderr);
    assert!(stderr.contains("error: Namespace base (stack `base`, k8s/base/namespace-base.yaml): the API server refused it (422 Invalid): Namespace \"base\" is invalid"), "{stderr}");
    assert!(stderr.contains("apply failed: 1 of 1 objects of wave 0 refused"), "{stderr}");
    let reqs = stub.requests();
    assert!(patches(&reqs).iter().all(|r| stack_of(r) == "base"), "nothing of wave 1 is sent");
    assert!(
        !reqs.iter().any(|r| r.method == "DELETE" || r.query.contains_key("labelSelector")),
        "no pruning after a failure"
    );

    // A 403 in the last wave: every object of that wave is still tried and reported.
    let (dir, stub, kc) = setup("forbidden");
    stub.state().reject.push(Reject {
        kind: "Deployment".into(),
        name: "web".into(),
        code: 403,
        reason: "Forbidden".into(),
        message: "deployments.apps \"web\" is forbidden: User \"ci\" cannot patch resource".into(),
    });
    let o = hlc(&["apply", "--kubeconfig", &kc], &dir);
    assert_eq!(o.status.code(), Some(1));
    let stderr = text(&o.stderr);
    assert!(stderr.contains("(403 Forbidden): deployments.apps \"web\" is forbidden"), "{stderr}");
    assert!(stderr.contains("help: the credentials"), "{stderr}");
    // The Deployment is refused; the rest of its wave is still applied, and reported.
    let stdout = text(&o.stdout);
    assert!(
        stdout.contains("failed  Deployment demo/web  [demo]") && stdout.contains("applied Ingress demo/web  [demo]"),
        "{stdout}"
    );
    assert!(stderr.contains("apply failed: 1 of 5 objects of wave 1 refused"), "{stderr}");
}

#[test]
fn a_conflict_names_the_owner_and_force_conflicts_takes_over() {
    let (dir, stub, kc) = setup("conflict");
    let mut dep = deployment("demo", "web", json!({"app": "web"}));
    dep["spec"] = json!({"replicas": 5});
    stub.seed(dep, "kubectl-edit");
    let o = hlc(&["apply", "--kubeconfig", &kc], &dir);
    assert_eq!(o.status.code(), Some(1));
    let stderr = text(&o.stderr);
    assert!(
        stderr.contains(
            "(409 Conflict): Apply failed with 1 conflict: conflict with \"kubectl-edit\" using apps/v1: .spec.replicas"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("help: the field manager `kubectl-edit` owns these fields")
            && stderr.contains("--force-conflicts"),
        "{stderr}"
    );
    stub.clear_requests();
    let o = hlc(&["apply", "--kubeconfig", &kc, "--force-conflicts"], &dir);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(patches(&stub.requests()).iter().all(|r| r.query.get("force").map(String::as_str) == Some("true")));
    let live = stub.get("apps", "deployments", "demo", "web").expect("stored");
    assert_eq!(live["spec"]["replicas"], 1);
}

#[test]
fn an_unreachable_server_is_a_clear_error_with_exit_2() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("apply").join("unreachable");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("stacks")).expect("create");
    fs::write(dir.join("stacks/cluster.hl"), CLUSTER).expect("write");
    fs::write(dir.join("stacks/base.hl"), BASE).expect("write");
    // A port that was free a moment ago: nothing listens on it.
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let kc = dir.join("kubeconfig");
    fs::write(
        &kc,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: x\n  cluster:\n    server: http://127.0.0.1:{port}\ncontexts:\n- name: x\n  context:\n    cluster: x\n    user: x\ncurrent-context: x\nusers:\n- name: x\n  user: {{}}\n"
        ),
    )
    .expect("write");
    for args in [
        vec!["apply", "--kubeconfig", kc.to_str().expect("utf-8")],
        vec!["diff", "--live", "--kubeconfig", kc.to_str().expect("utf-8")],
    ] {
        let o = hlc(&args, &dir);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let stderr = text(&o.stderr);
        assert!(
            stderr.contains(&format!("error: cannot talk to the Kubernetes API server at http://127.0.0.1:{port}/")),
            "{stderr}"
        );
        assert!(stderr.to_lowercase().contains("connection refused"), "{stderr}");
    }
    let o = hlc(&["apply", "--kubeconfig", "no-such-kubeconfig"], &dir);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("cannot read the kubeconfig no-such-kubeconfig"), "{}", text(&o.stderr));
}

#[test]
fn errors_in_the_workspace_refuse_to_apply() {
    let (dir, stub, kc) = setup("errors");
    fs::write(dir.join("stacks/demo.hl"), DEMO.replace("port http = 80", "port http = 80000")).expect("write");
    let o = hlc(&["apply", "--kubeconfig", &kc], &dir);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("apply failed"), "{}", text(&o.stderr));
    assert!(stub.requests().is_empty(), "nothing is sent");
}

#[test]
fn a_kind_the_cluster_does_not_serve_is_reported() {
    let (dir, stub, kc) = setup("missing-crd");
    stub.state().missing_groups.push("external-secrets.io".into());
    let o = hlc(&["apply", "--kubeconfig", &kc, "--dry-run"], &dir);
    let stderr = text(&o.stderr);
    // The fixture's `vault(...)` secret is an ExternalSecret.
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("the server does not serve ExternalSecret in external-secrets.io/v1"), "{stderr}");
    assert!(stderr.contains("help: install the CustomResourceDefinition"), "{stderr}");
}

#[test]
fn diff_live_shows_changed_added_and_counts_unchanged_objects() {
    let (dir, stub, kc) = setup("diff-live");
    let o = hlc(&["apply", "--kubeconfig", &kc], &dir);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let stored = stub.state().objects.len();
    // Someone else's change in the cluster, a new image in hl, a new stack, a stale object.
    stub.seed(deployment("demo", "old", json!({MANAGED_BY: "hlc", STACK_LABEL: "demo"})), "hlc");
    fs::write(dir.join("stacks/demo.hl"), DEMO.replace("nginx:1.27", "nginx:1.28")).expect("write");
    fs::write(dir.join("stacks/extra.hl"), "stack extra {\n  namespace extra { tier = \"aux\" }\n}\n").expect("write");
    stub.clear_requests();
    let o = hlc(&["diff", "--live", "--kubeconfig", &kc], &dir);
    let stdout = text(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{stdout}\n{}", text(&o.stderr));
    assert!(
        stdout.contains(
            "== demo\nremoved k8s/demo/deployment-old.yaml\nchanged k8s/demo/deployment-web.yaml  (from stacks/demo.hl:"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("--- live/k8s/demo/deployment-web.yaml\n+++ hlc/k8s/demo/deployment-web.yaml\n"),
        "{stdout}"
    );
    assert!(stdout.contains("-        image: nginx:1.27\n+        image: nginx:1.28\n"), "{stdout}");
    assert!(
        !stdout.contains("managedFields") && !stdout.contains("resourceVersion") && !stdout.contains("uid-"),
        "{stdout}"
    );
    assert!(stdout.contains("== extra\nadded k8s/extra/namespace-extra.yaml"), "{stdout}");
    assert!(!stdout.contains("service-web.yaml"), "unchanged objects are not listed: {stdout}");
    // Added: the new stack's Namespace (its TLS secret is Kyverno's, not hl's).
    assert!(stdout.ends_with("1 added, 1 removed, 1 changed\n"), "{stdout}");
    assert!(
        text(&o.stderr).contains(&format!("{} objects unchanged in {}", stored - 1, stub.url)),
        "{}",
        text(&o.stderr)
    );
    // Nothing was written: every PATCH was a dry run, nothing deleted, the store is as it was.
    let reqs = stub.requests();
    assert!(patches(&reqs).iter().all(|r| r.query.get("dryRun").map(String::as_str) == Some("All")));
    assert!(!reqs.iter().any(|r| r.method == "DELETE"));
    assert_eq!(stub.state().objects.len(), stored + 1);
    // The GET of the live object comes before the dry run of each object.
    let dep = "/apis/apps/v1/namespaces/demo/deployments/web";
    let get = reqs.iter().position(|r| r.method == "GET" && r.path == dep).expect("GET");
    let patch = reqs.iter().position(|r| r.method == "PATCH" && r.path == dep).expect("PATCH");
    assert!(get < patch);

    let o = hlc(&["diff", "--live", "--kubeconfig", &kc, "--format", "json", "--stack", "demo"], &dir);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let j: Value = serde_json::from_slice(&o.stdout).expect("json");
    let kinds: Vec<(&str, &str)> = j
        .as_array()
        .expect("array")
        .iter()
        .map(|c| (c["path"].as_str().unwrap_or(""), c["change"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(kinds, [("k8s/demo/deployment-old.yaml", "removed"), ("k8s/demo/deployment-web.yaml", "changed")]);

    let o = hlc(&["diff", "--live", "--kubeconfig", &kc, "--format", "markdown", "--stack", "base"], &dir);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("0 added, 0 removed, 0 changed"), "{}", text(&o.stdout));
}

#[test]
fn the_real_stacks_dry_run_against_the_stub() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let stacks = root.join("stacks");
    let stacks = stacks.to_str().expect("utf-8");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("apply").join("real");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create");
    let stub = Stub::start();
    let kc = stub.kubeconfig(&dir);
    let o = hlc_env(&["apply", stacks, "--kubeconfig", kc.to_str().expect("utf-8")], &dir, &[("CI", "1")]);
    let stderr = text(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    let reqs = stub.requests();
    let ps = patches(&reqs);
    assert!(ps.iter().all(|r| r.query.get("dryRun").map(String::as_str) == Some("All")));
    assert_wave_order(&reqs, &waves(&dir, stacks));
    // Every object of every stack directory, and nothing else (Flux's Kustomizations stay out).
    let out = dir.join("out");
    let b = hlc(&["build", stacks, "--out", out.to_str().expect("utf-8")], &dir);
    assert!(b.status.success());
    let mut files = 0;
    for stack in fs::read_dir(out.join("k8s")).expect("ls").flatten() {
        if stack.file_name() == "flux" {
            continue;
        }
        files +=
            fs::read_dir(stack.path()).expect("ls").flatten().filter(|f| f.file_name() != "kustomization.yaml").count();
    }
    assert_eq!(ps.len(), files);
    assert!(stderr.contains(&format!("applied {files} objects of")), "{stderr}");
    eprintln!("dry-run applied {files} objects of the real stacks");
}
