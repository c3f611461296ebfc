//! `hlc apply` and `hlc diff --live` against a real kube-apiserver (with etcd and the
//! controllers objects' lifecycles need), through the real `hlc` binary: the whole homelab
//! applied in wave order and counted, idempotence (resourceVersions, and a live diff of real
//! defaulting), an edit to one stack, a conflict with another field manager, dry runs, pruning,
//! bad credentials, a wrong CA, RBAC, `kubectl apply --server-side -k` on the output, and the
//! server going away mid-apply.
//!
//! The cluster comes from `tests/cluster/cluster.sh` (built once with Go into target/cluster;
//! `.ci/run` builds it). When it is not built, every test here prints a `SKIPPED:` line
//! (tests/src/skip.rs) and passes, unless `HLC_REQUIRE_CLUSTER=1` (as in `.ci/run`), where it
//! fails. Each test starts its own
//! cluster in its own process group and stops it on drop (and the script stops by itself when
//! this process is gone).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

#[path = "../../../tests/src/skip.rs"]
mod skip;

const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
const STACK_LABEL: &str = "hlc.viktorbarzin.me/stack";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repository root")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn hlc_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hlc"));
    cmd.args(args).env("NO_COLOR", "1").env_remove("CI").env_remove("KUBECONFIG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run hlc")
}

fn hlc(args: &[&str]) -> Output {
    hlc_env(args, &[])
}

fn show(o: &Output) -> String {
    format!("exit {:?}\n--- stdout\n{}\n--- stderr\n{}", o.status.code(), text(&o.stdout), text(&o.stderr))
}

fn no_panic(o: &Output) {
    let err = text(&o.stderr);
    assert!(!err.contains("panicked"), "hlc panicked:\n{}", show(o));
}

/// Set to `1` (as `.ci/run` does), a cluster that is not built fails these tests.
const REQUIRE_CLUSTER: &str = "HLC_REQUIRE_CLUSTER";

/// A cluster of `tests/cluster/cluster.sh serve`, stopped (its whole process group) on drop.
struct Cluster {
    dir: PathBuf,
    child: Child,
    kubectl: PathBuf,
}

impl Cluster {
    /// Start a cluster in `target/cluster/test-<name>`, or `None` (after a SKIPPED line) when
    /// the cluster is not built and not required.
    fn start(test: &str, name: &str) -> Option<Cluster> {
        let root = repo_root();
        let script = root.join("tests/cluster/cluster.sh");
        let built = Command::new("bash").arg(&script).arg("status").status().is_ok_and(|s| s.success());
        if !built {
            let why = "the test cluster is not built (run `tests/cluster/cluster.sh build`: Go builds etcd, \
                       kube-apiserver, kube-controller-manager and kubectl into target/cluster)";
            skip::skip(test, why, REQUIRE_CLUSTER);
            return None;
        }
        // One directory per run: test runs in two checkouts share target/cluster.
        let dir = root.join("target/cluster").join(format!("test-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("create the cluster directory");
        let log = fs::File::create(dir.with_extension("log")).expect("create the cluster log");
        let child = Command::new("bash")
            .arg(&script)
            .arg("serve")
            .arg(&dir)
            .env("HLC_CLUSTER_WATCH_PID", std::process::id().to_string())
            .env("HLC_CLUSTER_NO_BUILD", "1")
            .env_remove("KUBECONFIG")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .process_group(0)
            .spawn()
            .expect("start tests/cluster/cluster.sh serve");
        let mut c = Cluster { dir, child, kubectl: root.join("target/cluster/bin/kubectl") };
        let t = Instant::now();
        while !c.dir.join("ready").exists() {
            if let Ok(Some(status)) = c.child.try_wait() {
                panic!("the cluster stopped ({status}) before it was ready:\n{}", c.log());
            }
            assert!(t.elapsed() < Duration::from_secs(300), "the cluster was not ready after 300 s:\n{}", c.log());
            std::thread::sleep(Duration::from_millis(200));
        }
        eprintln!("cluster `{name}` ready in {:.1} s at {}", t.elapsed().as_secs_f64(), c.server());
        Some(c)
    }

    fn log(&self) -> String {
        let mut s = fs::read_to_string(self.dir.with_extension("log")).unwrap_or_default();
        for f in ["apiserver.log", "etcd.log", "controller-manager.log"] {
            let t = fs::read_to_string(self.dir.join(f)).unwrap_or_default();
            let tail: Vec<&str> = t.lines().rev().take(15).collect();
            s.push_str(&format!("\n--- {f} (last lines)\n"));
            for l in tail.into_iter().rev() {
                s.push_str(l);
                s.push('\n');
            }
        }
        s
    }

    fn file(&self, name: &str) -> String {
        self.dir.join(name).to_str().expect("utf-8 path").to_string()
    }

    fn kubeconfig(&self) -> String {
        self.file("kubeconfig")
    }

    fn server(&self) -> String {
        fs::read_to_string(self.dir.join("server")).unwrap_or_default().trim().to_string()
    }

    fn kubectl(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut cmd = Command::new(&self.kubectl);
        cmd.arg("--kubeconfig").arg(self.kubeconfig()).args(args).env_remove("KUBECONFIG");
        cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("run kubectl");
        if let Some(input) = stdin {
            child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write to kubectl");
        }
        child.wait_with_output().expect("kubectl output")
    }

    fn kubectl_ok(&self, args: &[&str], stdin: Option<&str>) -> String {
        let o = self.kubectl(args, stdin);
        assert!(o.status.success(), "kubectl {args:?} failed:\n{}", show(&o));
        text(&o.stdout)
    }

    /// Every object of `types` with hlc's managed-by label: `Kind ns/name` → (resourceVersion,
    /// stack label).
    fn hlc_objects(&self, types: &str) -> BTreeMap<String, (String, String)> {
        self.hlc_objects_json(types).into_iter().map(|(k, (rv, stack, _))| (k, (rv, stack))).collect()
    }

    /// [`Cluster::hlc_objects`] with each object's JSON.
    fn hlc_objects_json(&self, types: &str) -> BTreeMap<String, (String, String, Value)> {
        let out = self.kubectl_ok(
            &["get", types, "-A", "-l", &format!("{MANAGED_BY}=hlc"), "-o", "json", "--show-managed-fields"],
            None,
        );
        let list: Value = serde_json::from_str(&out).expect("kubectl get -o json");
        let mut m = BTreeMap::new();
        for item in list["items"].as_array().expect("items") {
            let meta = &item["metadata"];
            let key = display(
                item["kind"].as_str().unwrap_or(""),
                meta["namespace"].as_str(),
                meta["name"].as_str().unwrap_or(""),
            );
            let rv = meta["resourceVersion"].as_str().unwrap_or("").to_string();
            let stack = meta["labels"][STACK_LABEL].as_str().unwrap_or("").to_string();
            m.insert(key, (rv, stack, item.clone()));
        }
        m
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // The script stops its processes in order (controllers, API server, etcd); whatever
        // is left after 40 s is killed with the whole process group.
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).stderr(Stdio::null()).status();
        let group = format!("-{}", self.child.id());
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(40) {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = Command::new("kill").args(["-KILL", "--", &group]).stderr(Stdio::null()).status();
        let _ = self.child.wait();
        // The logs stay for a failed test (`target/cluster/test-<name>-<pid>.log` and the
        // directory's *.log files).
        if !std::thread::panicking() {
            let _ = fs::remove_dir_all(&self.dir);
            let _ = fs::remove_file(self.dir.with_extension("log"));
        }
    }
}

fn display(kind: &str, ns: Option<&str>, name: &str) -> String {
    match ns {
        Some(ns) if !ns.is_empty() => format!("{kind} {ns}/{name}"),
        _ => format!("{kind} {name}"),
    }
}

/// One object of `hlc build`'s output.
#[derive(Clone, Debug)]
struct Obj {
    api_version: String,
    kind: String,
    display: String,
    stack: String,
    /// A Service with a `nodePort` written out.
    fixes_node_port: bool,
    namespace: Option<String>,
    name: String,
    file: PathBuf,
}

/// A scratch copy of `stacks/`, and a directory outside the repository for `hlc build`.
struct Workspace {
    stacks: PathBuf,
    out: PathBuf,
}

impl Workspace {
    fn new(name: &str) -> Workspace {
        let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("apiserver").join(name);
        let _ = fs::remove_dir_all(&base);
        let stacks = base.join("stacks");
        copy_dir(&repo_root().join("stacks"), &stacks);
        // `hlc build --out` refuses a directory inside a repository: the system's temporary one.
        let out = std::env::temp_dir().join(format!("hlc-apiserver-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&out);
        Workspace { stacks, out }
    }

    fn dir(&self) -> &str {
        self.stacks.to_str().expect("utf-8 path")
    }

    /// The objects `hlc apply` sends: every file of `k8s/<stack>/` but Flux's and the
    /// kustomizations.
    fn objects(&self) -> Vec<Obj> {
        let o = hlc(&["build", self.dir(), "--out", self.out.to_str().expect("utf-8")]);
        assert!(o.status.success(), "hlc build:\n{}", show(&o));
        let mut objs = Vec::new();
        let k8s = self.out.join("k8s");
        for stack in sorted_entries(&k8s) {
            let stack_name = stack.file_name().and_then(|n| n.to_str()).unwrap_or("").to_string();
            if stack_name == "flux" || !stack.is_dir() {
                continue;
            }
            for f in sorted_entries(&stack) {
                let file = f.file_name().and_then(|n| n.to_str()).unwrap_or("").to_string();
                if file == "kustomization.yaml" || !file.ends_with(".yaml") {
                    continue;
                }
                let doc: Value =
                    serde_saphyr::from_str(&fs::read_to_string(&f).expect("read output")).expect("output is YAML");
                let meta = &doc["metadata"];
                let kind = doc["kind"].as_str().expect("kind").to_string();
                objs.push(Obj {
                    api_version: doc["apiVersion"].as_str().expect("apiVersion").to_string(),
                    display: display(&kind, meta["namespace"].as_str(), meta["name"].as_str().expect("name")),
                    kind,
                    stack: stack_name.clone(),
                    fixes_node_port: doc["spec"]["ports"]
                        .as_array()
                        .is_some_and(|ps| ps.iter().any(|p| p.get("nodePort").is_some())),
                    namespace: meta["namespace"].as_str().map(String::from),
                    name: meta["name"].as_str().expect("name").to_string(),
                    file: f.clone(),
                });
            }
        }
        objs
    }
}

impl Drop for Workspace {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.out);
    }
}

fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir).expect("read dir").map(|e| e.expect("entry").path()).collect();
    v.sort();
    v
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("create dir");
    for p in sorted_entries(from) {
        let dest = to.join(p.file_name().expect("name"));
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            fs::copy(&p, &dest).expect("copy file");
        }
    }
}

/// The `kubectl get` type list for these objects (`deployment.v1.apps,namespace,...`).
fn types(objs: &[Obj]) -> String {
    let set: BTreeSet<String> = objs
        .iter()
        .map(|o| match o.api_version.split_once('/') {
            Some((group, version)) => format!("{}.{version}.{group}", o.kind.to_ascii_lowercase()),
            None => o.kind.to_ascii_lowercase(),
        })
        .collect();
    set.into_iter().collect::<Vec<_>>().join(",")
}

/// The stack → wave map of `hlc graph`.
fn waves(ws: &Workspace) -> BTreeMap<String, usize> {
    let o = hlc(&["graph", ws.dir(), "--out", ws.out.join("graph").to_str().expect("utf-8"), "--format", "json"]);
    assert!(o.status.success(), "hlc graph:\n{}", show(&o));
    let g: Value = serde_json::from_slice(&o.stdout).expect("graph json");
    let mut m = BTreeMap::new();
    for (i, w) in g["waves"].as_array().expect("waves").iter().enumerate() {
        for s in w.as_array().expect("wave") {
            m.insert(s.as_str().expect("stack").to_string(), i);
        }
    }
    m
}

/// The lines of `hlc apply`'s standard output that start with `verb ` (`applied`, `would
/// prune`, ...): `(Kind ns/name, stack)`.
fn lines_of(stdout: &str, verb: &str) -> Vec<(String, String)> {
    stdout
        .lines()
        .filter_map(|l| l.strip_prefix(verb)?.strip_prefix(' '))
        .filter_map(|rest| {
            let (obj, stack) = rest.split_once("  [")?;
            Some((obj.to_string(), stack.split(']').next()?.to_string()))
        })
        .collect()
}

/// The paths of `hlc diff --live`'s standard output with their kind (`changed`, `added`,
/// `removed`).
fn diff_paths(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter(|l| l.starts_with("changed k8s/") || l.starts_with("added k8s/") || l.starts_with("removed k8s/"))
        .map(|l| l.split("  (from").next().unwrap_or(l).to_string())
        .collect()
}

/// Apply the Services of `objs` that fix a node port, and their Namespaces, with kubectl as
/// field manager `manager`: see the first step of `the_homelab_on_a_real_api_server`.
fn claim_fixed_node_ports(cluster: &Cluster, objs: &[Obj], manager: &str) {
    let fixed: Vec<&Obj> = objs.iter().filter(|o| o.fixes_node_port).collect();
    let namespaces: BTreeSet<&str> = fixed.iter().filter_map(|o| o.namespace.as_deref()).collect();
    let manager = format!("--field-manager={manager}");
    let mut args = vec!["apply", "--server-side", manager.as_str()];
    for o in objs.iter().filter(|o| o.kind == "Namespace" && namespaces.contains(o.name.as_str())).chain(fixed) {
        args.extend(["-f", o.file.to_str().expect("utf-8 path")]);
    }
    cluster.kubectl_ok(&args, None);
}

/// `got` holds exactly `want`; the assertion names the differences.
fn same_set<'a>(got: impl IntoIterator<Item = &'a String>, want: &BTreeSet<String>, what: &str) {
    let got: BTreeSet<&String> = got.into_iter().collect();
    let missing: Vec<&String> = want.iter().filter(|w| !got.contains(w)).collect();
    let extra: Vec<&&String> = got.iter().filter(|g| !want.contains(**g)).collect();
    assert!(missing.is_empty() && extra.is_empty(), "{what}: missing {missing:?}, not in the output {extra:?}");
}

fn changed_rvs(before: &BTreeMap<String, (String, String)>, after: &BTreeMap<String, (String, String)>) -> Vec<String> {
    before
        .iter()
        .filter(|(k, (rv, _))| after.get(*k).is_some_and(|(rv2, _)| rv2 != rv))
        .map(|(k, _)| k.clone())
        .collect()
}

#[test]
fn the_homelab_on_a_real_api_server() {
    let Some(cluster) = Cluster::start("the_homelab_on_a_real_api_server", "homelab") else { return };
    let kc = cluster.kubeconfig();
    let ws = Workspace::new("homelab");
    let objs = ws.objects();
    let types = types(&objs);
    let expected: BTreeSet<String> = objs.iter().map(|o| o.display.clone()).collect();
    assert_eq!(expected.len(), objs.len(), "two objects of the output with one identity");

    // 0. The node ports the output fixes lie in the range Kubernetes also allocates from at
    //    random (30000-32767 above its static band, 30000-30085): a Service that takes node
    //    ports at random (coturn's LoadBalancer, 101 ports) can take one of them first, and the
    //    Service that fixes it is then refused (422 "provided port is already allocated"), as
    //    it would be when the homelab is applied to a new cluster. Until the stacks move them
    //    into the static band, those Services (and their Namespaces) are applied first, as
    //    hlc would apply them (field manager `hlc`, so hlc's apply below finds them its own).
    claim_fixed_node_ports(&cluster, &objs, "hlc");

    // 1. The whole homelab: every object accepted, in wave order.
    let t = Instant::now();
    let o = hlc(&["apply", ws.dir(), "--kubeconfig", &kc]);
    let took = t.elapsed();
    assert_eq!(o.status.code(), Some(0), "hlc apply of the homelab:\n{}", show(&o));
    let stdout = text(&o.stdout);
    let applied = lines_of(&stdout, "applied");
    assert_eq!(applied.len(), objs.len(), "objects applied");
    same_set(applied.iter().map(|(d, _)| d), &expected, "the objects applied");
    let waves = waves(&ws);
    let mut last = 0;
    for (d, stack) in &applied {
        let w = waves[stack];
        assert!(w >= last, "{d} of {stack} (wave {w}) applied after an object of wave {last}");
        last = w;
    }
    let live = cluster.hlc_objects(&types);
    same_set(live.keys(), &expected, "the objects with hlc's label in the cluster");
    let stacks: BTreeSet<&str> = objs.iter().map(|o| o.stack.as_str()).collect();
    eprintln!(
        "applied {} objects of {} stacks in {} waves in {:.1} s (debug build of hlc, compilation included)",
        objs.len(),
        stacks.len(),
        applied.iter().map(|(_, s)| waves[s]).collect::<BTreeSet<_>>().len(),
        took.as_secs_f64()
    );

    // 2. Idempotence: applying again changes no object, and the live diff sees no change (the
    //    server's defaults do not show up as differences). The first apply after the creation
    //    still gives some objects a new resourceVersion with nothing changed in them (custom
    //    resources whose CRD has defaults, claims, token Secrets): the API server stores them
    //    once more, and does so for `kubectl apply --server-side` too. From then on nothing.
    let o = hlc(&["apply", ws.dir(), "--kubeconfig", &kc]);
    assert_eq!(o.status.code(), Some(0), "second hlc apply:\n{}", show(&o));
    let live_json = cluster.hlc_objects_json(&types);
    let rewritten = changed_rvs(&live, &cluster.hlc_objects(&types));
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &rewritten {
        *kinds.entry(r.split(' ').next().unwrap_or("")).or_default() += 1;
    }
    eprintln!("the first re-apply stored {} objects once more, with nothing changed: {kinds:?}", rewritten.len());
    let live = cluster.hlc_objects(&types);
    let o = hlc(&["apply", ws.dir(), "--kubeconfig", &kc]);
    assert_eq!(o.status.code(), Some(0), "third hlc apply:\n{}", show(&o));
    let again_json = cluster.hlc_objects_json(&types);
    let again = cluster.hlc_objects(&types);
    let changed: Vec<String> = changed_rvs(&live, &again)
        .into_iter()
        .map(|k| {
            let fields = |m: &BTreeMap<String, (String, String, Value)>| {
                m.get(&k).map(|(_, _, v)| v["metadata"]["managedFields"].to_string()).unwrap_or_default()
            };
            format!("{k}\n  before: {}\n  after:  {}", fields(&live_json), fields(&again_json))
        })
        .collect();
    assert!(changed.is_empty(), "objects a second apply changed:\n{}", changed.join("\n"));
    let o = hlc(&["diff", "--live", ws.dir(), "--kubeconfig", &kc]);
    assert_eq!(o.status.code(), Some(0), "hlc diff --live:\n{}", show(&o));
    assert_eq!(diff_paths(&text(&o.stdout)), Vec::<String>::new(), "live diff after apply:\n{}", text(&o.stdout));
    assert!(
        text(&o.stderr).contains(&format!("{} objects unchanged", objs.len())),
        "every object unchanged:\n{}",
        show(&o)
    );

    // 3. An edit to one stack: exactly its Deployment changes, in the diff and in the cluster.
    let freshrss = ws.stacks.join("freshrss.hl");
    let src = fs::read_to_string(&freshrss).expect("freshrss.hl");
    assert!(src.contains("cpu = 15m, memory = 256Mi"), "the edit's anchor in stacks/freshrss.hl");
    fs::write(&freshrss, src.replace("cpu = 15m, memory = 256Mi", "cpu = 25m, memory = 256Mi")).expect("edit");
    let o = hlc(&["diff", "--live", ws.dir(), "--kubeconfig", &kc]);
    assert_eq!(o.status.code(), Some(0), "hlc diff --live after the edit:\n{}", show(&o));
    let out = text(&o.stdout);
    assert_eq!(diff_paths(&out), ["changed k8s/freshrss/deployment-freshrss.yaml"], "{out}");
    assert!(out.contains("-            cpu: 15m") && out.contains("+            cpu: 25m"), "{out}");
    let o = hlc(&["apply", ws.dir(), "--kubeconfig", &kc]);
    assert_eq!(o.status.code(), Some(0), "hlc apply after the edit:\n{}", show(&o));
    let edited = cluster.hlc_objects(&types);
    assert_eq!(changed_rvs(&again, &edited), ["Deployment freshrss/freshrss"], "objects the edit changed");

    // 4. A conflict with another field manager is a 409 naming it; --force-conflicts takes over.
    let theirs = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: freshrss\n  namespace: freshrss\nspec:\n  \
                  template:\n    spec:\n      containers:\n      - name: freshrss\n        resources:\n          \
                  requests:\n            cpu: 50m\n";
    cluster
        .kubectl_ok(&["apply", "--server-side", "--field-manager=other", "--force-conflicts", "-f", "-"], Some(theirs));
    let o = hlc(&["apply", ws.dir(), "--kubeconfig", &kc, "--stack", "freshrss"]);
    no_panic(&o);
    assert_eq!(o.status.code(), Some(1), "apply over another manager's field:\n{}", show(&o));
    let err = text(&o.stderr);
    assert!(err.contains("(409 Conflict)") && err.contains("`other`"), "a 409 naming the manager:\n{err}");
    assert!(err.contains("Deployment freshrss/freshrss"), "{err}");
    let o = hlc(&["apply", ws.dir(), "--kubeconfig", &kc, "--stack", "freshrss", "--force-conflicts"]);
    assert_eq!(o.status.code(), Some(0), "--force-conflicts:\n{}", show(&o));
    let cpu = cluster.kubectl_ok(
        &[
            "get",
            "deployment",
            "-n",
            "freshrss",
            "freshrss",
            "-o",
            "jsonpath={.spec.template.spec.containers[0].resources.requests.cpu}",
        ],
        None,
    );
    assert_eq!(cpu, "25m", "hlc's value after --force-conflicts");

    // 5. Dry runs store nothing: a new stack, and a removed one with --prune.
    let before = cluster.hlc_objects(&types);
    fs::write(
        ws.stacks.join("drytest.hl"),
        "stack drytest {\n  depends_on = [platform]\n  namespace drytest { tier = \"aux\" }\n}\n",
    )
    .expect("write drytest.hl");
    fs::remove_file(&freshrss).expect("remove freshrss.hl");
    let removed: BTreeSet<String> = objs.iter().filter(|o| o.stack == "freshrss").map(|o| o.display.clone()).collect();
    for (how, env) in [("CI=1", vec![("CI", "1")]), ("--dry-run", vec![])] {
        let mut args = vec!["apply", ws.dir(), "--kubeconfig", &kc, "--prune"];
        if env.is_empty() {
            args.push("--dry-run");
        }
        let o = hlc_env(&args, &env);
        assert_eq!(o.status.code(), Some(0), "{how} apply --prune:\n{}", show(&o));
        let stdout = text(&o.stdout);
        assert!(stdout.contains("applied Namespace drytest  [drytest] (dry run)"), "{how}:\n{stdout}");
        let pruned: BTreeSet<String> = lines_of(&stdout, "pruned").into_iter().map(|(d, _)| d).collect();
        assert_eq!(pruned, removed, "{how}: what a dry-run prune names");
        assert_eq!(cluster.hlc_objects(&types), before, "{how} changed the cluster");
        let ns = cluster.kubectl(&["get", "namespace", "drytest"], None);
        assert!(!ns.status.success(), "{how} created the namespace drytest");
    }

    // 6. Pruning: listed without --prune; with it, the removed stack's objects (and nothing
    //    else) are deleted; objects without both of hlc's labels are never touched.
    let unlabelled = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: not-hlcs\n  namespace: default\ndata:\n  a: b\n\
                      ---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: half-labelled\n  namespace: default\n  \
                      labels:\n    app.kubernetes.io/managed-by: hlc\ndata:\n  a: b\n\
                      ---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: not-hlcs\n\
                      rules: []\n";
    cluster.kubectl_ok(&["apply", "--server-side", "--field-manager=someone", "-f", "-"], Some(unlabelled));
    let o = hlc(&["apply", ws.dir(), "--kubeconfig", &kc]);
    assert_eq!(o.status.code(), Some(0), "apply without --prune:\n{}", show(&o));
    let stdout = text(&o.stdout);
    let would: BTreeSet<String> = lines_of(&stdout, "would prune").into_iter().map(|(d, _)| d).collect();
    assert_eq!(would, removed, "what apply lists as stale");
    let listed = cluster.hlc_objects(&types);
    assert!(removed.iter().all(|d| listed.contains_key(d)), "nothing deleted without --prune");
    let o = hlc(&["apply", ws.dir(), "--kubeconfig", &kc, "--prune"]);
    assert_eq!(o.status.code(), Some(0), "apply --prune:\n{}", show(&o));
    let pruned: BTreeSet<String> = lines_of(&text(&o.stdout), "pruned").into_iter().map(|(d, _)| d).collect();
    assert_eq!(pruned, removed, "what --prune deleted");
    // The namespace's deletion finishes when the namespace controller has emptied it.
    let t = Instant::now();
    let after = loop {
        let now = cluster.hlc_objects(&types);
        if removed.iter().all(|d| !now.contains_key(d)) || t.elapsed() > Duration::from_secs(120) {
            break now;
        }
        std::thread::sleep(Duration::from_secs(1));
    };
    let left: Vec<&String> = removed.iter().filter(|d| after.contains_key(*d)).collect();
    assert!(left.is_empty(), "objects of the removed stack still there: {left:?}");
    let mut kept = before.clone();
    kept.retain(|d, _| !removed.contains(d));
    let mut now = after.clone();
    now.retain(|d, (_, stack)| stack != "drytest" && d != "ConfigMap default/half-labelled");
    let touched: Vec<String> = kept
        .iter()
        .filter(|(d, v)| now.get(*d) != Some(*v))
        .map(|(d, v)| format!("{d}: {v:?} -> {:?}", now.get(d)))
        .chain(now.keys().filter(|d| !kept.contains_key(*d)).map(|d| format!("{d}: new")))
        .collect();
    assert!(touched.is_empty(), "pruning touched other objects:\n{}", touched.join("\n"));
    for obj in ["configmap/not-hlcs", "configmap/half-labelled"] {
        cluster.kubectl_ok(&["get", "-n", "default", obj], None);
    }
    cluster.kubectl_ok(&["get", "clusterrole", "not-hlcs"], None);
}

/// A TCP proxy to the API server that kills kube-apiserver once the client has sent `limit`
/// bytes: the server goes away in the middle of an apply.
struct Cutter {
    port: u16,
    cut: Arc<AtomicBool>,
}

impl Cutter {
    fn start(upstream: u16, limit: usize, cluster_dir: PathBuf) -> Cutter {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let sent = Arc::new(AtomicUsize::new(0));
        let cut = Arc::new(AtomicBool::new(false));
        let (sent2, cut2) = (sent.clone(), cut.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                if cut2.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else { continue };
                let (mut c_in, mut s_out) = (client.try_clone().expect("clone"), server.try_clone().expect("clone"));
                let (mut s_in, mut c_out) = (server, client);
                let (sent3, cut3, dir) = (sent2.clone(), cut2.clone(), cluster_dir.clone());
                std::thread::spawn(move || {
                    let mut buf = [0u8; 16384];
                    while let Ok(n) = c_in.read(&mut buf) {
                        if n == 0 || cut3.load(Ordering::SeqCst) {
                            break;
                        }
                        if sent3.fetch_add(n, Ordering::SeqCst) + n > limit {
                            cut3.store(true, Ordering::SeqCst);
                            if let Ok(pid) = fs::read_to_string(dir.join("apiserver.pid")) {
                                let _ = Command::new("kill").args(["-KILL", pid.trim()]).status();
                            }
                            break;
                        }
                        if s_out.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = c_in.shutdown(Shutdown::Both);
                    let _ = s_out.shutdown(Shutdown::Both);
                });
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut s_in, &mut c_out);
                    let _ = c_out.shutdown(Shutdown::Both);
                });
            }
        });
        Cutter { port, cut }
    }
}

#[test]
fn kubectl_credentials_and_a_server_going_away() {
    let Some(cluster) = Cluster::start("kubectl_credentials_and_a_server_going_away", "second") else { return };
    let ws = Workspace::new("second");
    let objs = ws.objects();
    let types = types(&objs);

    // Bad credentials and a wrong CA are clear errors (exit 2), never a panic; a user the
    // server knows but RBAC does not let write is refused object by object (exit 1).
    for (kc, words) in [
        ("bad-token.kubeconfig", vec!["401", "did not accept the credentials"]),
        ("wrong-ca.kubeconfig", vec!["cannot talk to the Kubernetes API server", "certificate"]),
    ] {
        for cmd in [vec!["apply"], vec!["diff", "--live"]] {
            let mut args = cmd.clone();
            args.extend([ws.dir(), "--kubeconfig"]);
            let path = cluster.file(kc);
            args.push(&path);
            let o = hlc(&args);
            no_panic(&o);
            assert_eq!(o.status.code(), Some(2), "{cmd:?} with {kc}:\n{}", show(&o));
            let err = text(&o.stderr);
            for w in &words {
                assert!(err.contains(w), "{cmd:?} with {kc}: `{w}` missing:\n{err}");
            }
        }
    }
    let o = hlc(&["apply", ws.dir(), "--kubeconfig", &cluster.file("viewer.kubeconfig")]);
    no_panic(&o);
    assert_eq!(o.status.code(), Some(1), "apply as a user without RBAC:\n{}", show(&o));
    let err = text(&o.stderr);
    assert!(err.contains("(403 Forbidden)") && err.contains("may not write this object"), "{err}");
    assert!(err.contains("objects of later waves not applied"), "{err}");

    // kubectl apply --server-side -k of the output gives the objects hlc applies: the live
    // diff of hlc against what kubectl applied has nothing to change.
    let agg = ws.out.join("all");
    fs::create_dir_all(&agg).expect("create the aggregate kustomization");
    let stacks: BTreeSet<&str> = objs.iter().map(|o| o.stack.as_str()).collect();
    let mut k = String::from("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n");
    for s in &stacks {
        k.push_str(&format!("- ../k8s/{s}\n"));
    }
    fs::write(agg.join("kustomization.yaml"), k).expect("write the aggregate kustomization");
    claim_fixed_node_ports(&cluster, &objs, "kubectl");
    let t = Instant::now();
    cluster.kubectl_ok(&["apply", "--server-side", "-k", agg.to_str().expect("utf-8")], None);
    eprintln!("kubectl apply --server-side -k of {} stacks: {:.1} s", stacks.len(), t.elapsed().as_secs_f64());
    let live = cluster.hlc_objects(&types);
    let expected: BTreeSet<String> = objs.iter().map(|o| o.display.clone()).collect();
    same_set(live.keys(), &expected, "what kubectl applied");
    let o = hlc(&["diff", "--live", ws.dir(), "--kubeconfig", &cluster.kubeconfig()]);
    assert_eq!(o.status.code(), Some(0), "hlc diff --live after kubectl:\n{}", show(&o));
    assert_eq!(diff_paths(&text(&o.stdout)), Vec::<String>::new(), "{}", text(&o.stdout));

    // hlc takes over what kubectl applied. Without --force-conflicts it cannot everywhere:
    // where the server defaults fields inside the items of an atomic list (an ExternalSecret's
    // `spec.data`, a StatefulSet's `volumeClaimTemplates`), kubectl owns the list with the
    // defaulted items, and hlc's list without the defaults is another value: a 409 naming
    // `kubectl`.
    let o = hlc(&["apply", ws.dir(), "--kubeconfig", &cluster.kubeconfig(), "--force-conflicts"]);
    assert_eq!(o.status.code(), Some(0), "hlc apply --force-conflicts after kubectl:\n{}", show(&o));
    assert_eq!(lines_of(&text(&o.stdout), "applied").len(), objs.len(), "{}", show(&o));

    // The server going away mid-apply: reported with the objects not applied, exit 2.
    let port: u16 = fs::read_to_string(cluster.dir.join("port")).expect("port").trim().parse().expect("a port");
    let cutter = Cutter::start(port, 400_000, cluster.dir.clone());
    let kc = fs::read_to_string(cluster.kubeconfig())
        .expect("kubeconfig")
        .replace(&format!("127.0.0.1:{port}"), &format!("127.0.0.1:{}", cutter.port));
    let proxied = cluster.dir.join("proxied.kubeconfig");
    fs::write(&proxied, kc).expect("write the proxied kubeconfig");
    let o = hlc(&["apply", ws.dir(), "--kubeconfig", proxied.to_str().expect("utf-8")]);
    no_panic(&o);
    assert!(cutter.cut.load(Ordering::SeqCst), "the proxy never cut: {}", show(&o));
    assert_eq!(o.status.code(), Some(2), "apply with the server gone:\n{}", show(&o));
    let stdout = text(&o.stdout);
    let (applied, not_applied) = (lines_of(&stdout, "applied"), lines_of(&stdout, "not applied"));
    assert!(!applied.is_empty() && !not_applied.is_empty(), "{}", show(&o));
    assert_eq!(applied.len() + not_applied.len(), objs.len(), "every object is either applied or not");
    let err = text(&o.stderr);
    assert!(err.contains("cannot talk to the Kubernetes API server"), "{err}");
    assert!(err.contains(&format!("{} not applied", not_applied.len())), "{err}");
    eprintln!("server gone after {} objects: {} reported not applied", applied.len(), not_applied.len());
}
