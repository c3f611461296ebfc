//! Fidelity against the real Terraform: the homelab's Terraform (`$HLC_SHARED_DIR/infra`, default
//! `../shared/infra`, read in place and never changed) is evaluated as far as the repository
//! determines it, and every Kubernetes object it creates is compared, fact by fact, with the
//! object hlc emits for `stacks/` (same kind, name and namespace).
//!
//! What is read: every `*.tf` of every stack directory (recursively, so local modules are
//! parsed even when no call reaches them), the shared factory modules the stacks call
//! (`../../modules/kubernetes/ingress_factory`, `nfs_volume`, ...; sources resolved relative
//! to the calling module), the `tiers` locals Terragrunt generates into each stack, and the
//! `inputs` of each stack's `terragrunt.hcl`. Evaluated: literals, `local.*`, `var.*` (inputs,
//! module arguments, defaults), templates and heredocs, `file`/`templatefile`, conditionals,
//! `for` expressions, `count` and `for_each` (one instance per index or key, none for
//! `count = 0`), `dynamic` blocks, references to other resources' configured attributes and
//! to module outputs, and the functions the homelab uses. What only exists outside the
//! repository (Vault and other data sources, variables of the encrypted tfvars, computed
//! attributes) becomes an unknown that names its origin: such a fact is compared by presence
//! on both sides, never by value.
//!
//! Compared (see `fidelity/facts.rs`): the object itself; per container (matched by name):
//! image, command, args, working directory, pull policy, env (value, or the Secret/ConfigMap
//! key or field it comes from), envFrom, ports, volume mounts, probes (action, path, port,
//! timings), resources, securityContext; per pod: volumes and their sources, node selector,
//! tolerations, affinity, service account, host network/PID, DNS policy and config,
//! termination grace period, priority and runtime class, restart policy, pull secrets, pod
//! securityContext; replicas and update strategy; CronJob and Job settings; Services (type,
//! ports, cluster IP, selector, LoadBalancer address, traffic policy); claims and volumes;
//! ConfigMap keys and contents; RBAC rules, role refs and subjects; quotas and LimitRanges;
//! namespace labels; ingresses (host, paths with their backend, auth mode, class); Helm
//! releases (chart, repository, version, top-level value keys). Secrets: presence only
//! (a Secret or an ExternalSecret of the same name).
//!
//! Differences must be listed in `tests/fidelity-gaps.txt`, one per line:
//! `<stack> <kind> <name> <fact path>: <what differs> | <reason>`. A difference not listed
//! fails the test, and so does a listed one that no longer occurs (the file stays true).
//!
//! Regenerate the list from the current state (kept lines keep their reasons; new ones get
//! `TODO port`, stale ones are dropped):
//!
//! ```sh
//! HLC_FIDELITY_WRITE_GAPS=1 cargo test -p hl-tests --test fidelity -- --nocapture
//! ```
//!
//! Lines whose reason is `TODO ...` are differences nobody has explained yet. The port has
//! landed, so they fail the test (`ALLOW_TODO_BY_DEFAULT` is `false`); a regeneration writes
//! new differences as `TODO port`, and `HLC_FIDELITY_ALLOW_TODO=1` lets them pass while a
//! stack is being re-ported locally.
//!
//! Without the shared directory the test says so and skips, unless `HLC_REQUIRE_SHARED=1`
//! (set by `.ci/run`), which makes that a failure.

#[path = "fidelity/eval.rs"]
mod eval;
#[path = "fidelity/facts.rs"]
mod facts;
#[path = "fidelity/k8s.rs"]
mod k8s;
#[path = "fidelity/terraform.rs"]
mod terraform;
#[path = "fidelity/value.rs"]
mod value;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use hl_tests::{read_dir, repo_root, shared_dir, skip};

use facts::{FV, Fact, Facts};
use terraform::{Inst, Instance, Loader};
use value::V;

/// Whether gap lines with a `TODO` reason pass when `HLC_FIDELITY_ALLOW_TODO` is not set.
/// True while the stacks are being re-ported; the lead flips it when the port lands.
const ALLOW_TODO_BY_DEFAULT: bool = false;

const GAPS: &str = "tests/fidelity-gaps.txt";

/// The construct order of the printed figures.
const CONSTRUCTS: &[&str] = &[
    "objects",
    "containers",
    "env",
    "ports",
    "mounts",
    "probes",
    "resources",
    "security",
    "pod",
    "volumes",
    "workload",
    "cronjobs",
    "jobs",
    "services",
    "pvcs",
    "configmaps",
    "rbac",
    "quotas",
    "namespaces",
    "ingresses",
    "helm",
];

/// An emitted object.
struct Emitted {
    kind: String,
    namespace: String,
    name: String,
    doc: V,
}

/// The hl workspace compared: `stacks/`, or `$HLC_FIDELITY_STACKS` (to generate the gaps of a
/// committed state, e.g. `git archive HEAD stacks | tar -x -C /tmp/h`, while the working tree
/// has edits in progress).
fn stacks_dir() -> PathBuf {
    std::env::var_os("HLC_FIDELITY_STACKS").map_or_else(|| repo_root().join("stacks"), PathBuf::from)
}

fn emitted_objects(problems: &mut Vec<String>) -> Vec<Emitted> {
    let c = hlc_core::compile(read_dir(&stacks_dir()));
    assert!(!c.has_errors(), "stacks/ does not compile");
    let mut out = Vec::new();
    for a in &c.artifacts {
        let parts: Vec<&str> = a.path.split('/').collect();
        let ["k8s", stack, file] = parts.as_slice() else { continue };
        if *stack == "flux" || !file.ends_with(".yaml") || *file == "kustomization.yaml" {
            continue;
        }
        let doc: serde_json::Value = match serde_saphyr::from_str(&a.contents) {
            Ok(d) => d,
            Err(e) => {
                problems.push(format!("emitted {} does not parse as YAML: {e}", a.path));
                continue;
            }
        };
        let doc = V::from_json(&doc);
        let meta = doc.obj("metadata");
        let field = |v: Option<&V>, k: &str| v.and_then(|m| m.get(k)).and_then(V::text).unwrap_or_default();
        out.push(Emitted {
            kind: field(Some(&doc), "kind"),
            namespace: field(meta, "namespace"),
            name: field(meta, "name"),
            doc,
        });
    }
    out
}

/// FNV-1a, for a short stable digest of long values in gap lines.
fn digest(t: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in t.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

fn show(v: &FV) -> String {
    match v {
        FV::Known(t) if t.chars().count() > 80 => {
            let head: String = t.chars().take(48).collect();
            format!("{head:?}... ({} chars, #{})", t.chars().count(), &digest(t)[..8])
        }
        FV::Known(t) => format!("{t:?}"),
        FV::Unknown(u) => format!("<from {u}>"),
    }
}

/// Prints past the test harness's capture, so the figures show on every run.
fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// Whether two ConfigMap contents say the same thing: equal text, or equal documents (a
/// `yamlencode` in Terraform against YAML written out in hl).
fn same_document(a: &str, b: &str) -> bool {
    let parse = |t: &str| value::yaml_doc(t).ok().filter(|v| v.is_object() || v.is_array());
    matches!((parse(a), parse(b)), (Some(x), Some(y)) if x == y)
}

#[derive(Default)]
struct Tally {
    compared: BTreeMap<&'static str, usize>,
    matched: BTreeMap<&'static str, usize>,
}

impl Tally {
    fn count(&mut self, construct: &'static str, ok: bool) {
        *self.compared.entry(construct).or_default() += 1;
        if ok {
            *self.matched.entry(construct).or_default() += 1;
        }
    }
}

/// Compares the facts of one object; returns the differences as `path: what differs`.
fn compare(tf: &Facts, hl: &Facts, tally: &mut Tally) -> Vec<String> {
    let mut out = Vec::new();
    let paths: BTreeSet<&String> = tf.0.keys().chain(hl.0.keys()).collect();
    for path in paths {
        let (t, h) = (tf.0.get(path), hl.0.get(path));
        let fact: &Fact = t.or(h).expect("the path is on one side");
        if let Some(parent) = &fact.parent
            && (!tf.0.contains_key(parent) || !hl.0.contains_key(parent))
        {
            continue; // the parent's own difference covers it
        }
        let wildcard = path.ends_with("[*]") && {
            let prefix = &path[..path.len() - 2];
            hl.0.keys().any(|k| k.starts_with(prefix))
        };
        let ok = match (t.map(|f| &f.value), h.map(|f| &f.value)) {
            (Some(FV::Unknown(_)), Some(_)) => true,
            (Some(FV::Unknown(_)), None) => wildcard,
            (Some(FV::Known(a)), Some(FV::Known(b))) => a == b || (path.starts_with("data[") && same_document(a, b)),
            _ => false,
        };
        tally.count(fact.construct, ok);
        if ok {
            continue;
        }
        let what = match (t, h) {
            (Some(t), Some(h)) => format!("Terraform {}, hl {}", show(&t.value), show(&h.value)),
            (Some(t), None) => format!("Terraform {}, not in hl", show(&t.value)),
            (None, Some(h)) => format!("not in Terraform, hl {}", show(&h.value)),
            (None, None) => continue,
        };
        out.push(format!("{path}: {what}"));
    }
    out
}

/// Every directory under `dir` holding `*.tf` files (so each is parsed, called or not).
fn tf_dirs(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    if entries.iter().any(|p| p.is_file() && p.extension().is_some_and(|e| e == "tf")) {
        out.push(dir.to_path_buf());
    }
    for p in entries {
        if p.is_dir() && !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')) {
            tf_dirs(&p, out);
        }
    }
}

fn wanted(rtype: &str) -> bool {
    k8s::kind_of(rtype).is_some()
}

#[test]
fn stacks_do_what_the_terraform_does() {
    let infra = shared_dir().join("infra");
    let stacks_dir = infra.join("stacks");
    if !stacks_dir.is_dir() {
        let why = format!("the homelab's Terraform not found at {} (set HLC_SHARED_DIR)", stacks_dir.display());
        return skip("stacks_do_what_the_terraform_does", &why, skip::SHARED);
    }
    let infra_text = infra.canonicalize().unwrap_or(infra.clone()).to_string_lossy().into_owned();
    let mut load_problems: Vec<String> = Vec::new();
    let hl_objects = emitted_objects(&mut load_problems);
    let mut by_key: BTreeMap<(&str, &str, &str), &Emitted> = BTreeMap::new();
    let mut by_name: BTreeMap<(&str, &str), Vec<&Emitted>> = BTreeMap::new();
    let mut repo_urls: BTreeMap<(String, String), String> = BTreeMap::new();
    for o in &hl_objects {
        by_key.insert((o.kind.as_str(), o.namespace.as_str(), o.name.as_str()), o);
        by_name.entry((o.kind.as_str(), o.name.as_str())).or_default().push(o);
        if o.kind == "HelmRepository"
            && let Some(url) = o.doc.obj("spec").and_then(|s| s.get("url")).and_then(V::text)
        {
            repo_urls.insert((o.namespace.clone(), o.name.clone()), url.trim_end_matches('/').to_string());
        }
    }

    let mut loader = Loader::default();
    let tiers = infra.join("tiers.tf");
    if tiers.is_file() {
        loader.generated.push(tiers);
    }
    let mut stacks: Vec<PathBuf> = fs::read_dir(&stacks_dir)
        .map(|d| d.flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect())
        .unwrap_or_default();
    stacks.sort();

    let mut problems: BTreeSet<String> = BTreeSet::new();
    let mut tally = Tally::default();
    let mut unresolved: Vec<String> = Vec::new();
    let mut instances_total = 0;
    for dir in &stacks {
        let stack = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if stack.starts_with('_') {
            continue; // `_template`: the skeleton new stacks are copied from
        }
        let mut dirs = Vec::new();
        tf_dirs(dir, &mut dirs);
        if dirs.is_empty() {
            continue;
        }
        for d in &dirs {
            loader.module(d, d == dir);
        }
        let inputs = terraform::terragrunt_inputs(dir, &loader.problems);
        let root = Inst::root(&loader, dir, inputs);
        let mut found: Vec<Instance> = Vec::new();
        let mut skipped = Vec::new();
        root.collect(&wanted, &mut found, &mut skipped);
        unresolved.extend(skipped.into_iter().map(|s| format!("{stack}: {s}")));
        instances_total += found.len();
        for inst in found {
            let Some(kind) = k8s::kind_of(&inst.rtype) else { continue };
            let obj = if kind == "HelmRelease" { inst.body.clone() } else { k8s::to_api(&inst.body, "") };
            let (name, ns) = if kind == "HelmRelease" {
                (obj.get("name").cloned(), obj.get("namespace").cloned().unwrap_or(V::Str("default".into())))
            } else {
                let meta = obj.obj("metadata");
                let ns = match meta.and_then(|m| m.get("namespace")) {
                    Some(v) if !v.is_null() => v.clone(),
                    _ if k8s::cluster_scoped(kind) => V::Str(String::new()),
                    _ => V::Str("default".into()),
                };
                (meta.and_then(|m| m.get("name")).cloned(), ns)
            };
            let Some(name) = name.as_ref().and_then(V::text) else {
                let from = name.as_ref().and_then(V::unknown_part).unwrap_or("nowhere").to_string();
                unresolved.push(format!("{stack}: {}: its name comes from {from}", inst.address));
                continue;
            };
            let found = match ns.text() {
                Some(ns) => by_key.get(&(kind, ns.as_str(), name.as_str())).copied().or_else(|| {
                    // A Secret ported as an ExternalSecret of the same name.
                    (kind == "Secret")
                        .then(|| by_key.get(&("ExternalSecret", ns.as_str(), name.as_str())).copied())
                        .flatten()
                }),
                None => match by_name.get(&(kind, name.as_str())).map(Vec::as_slice) {
                    Some([one]) => Some(*one),
                    _ => None,
                },
            };
            let line = |what: String| format!("{stack} {kind} {name} {what}").replace(&infra_text, "infra");
            tally.count("objects", found.is_some());
            let Some(hl) = found else {
                let ns = ns.text().unwrap_or_else(|| format!("<{}>", ns.unknown_part().unwrap_or("?")));
                problems.insert(line(format!("object: missing in hl (namespace {ns}, Terraform {})", inst.address)));
                continue;
            };
            if kind == "Secret" {
                continue;
            }
            let tf_facts = facts::facts(kind, &obj, &repo_urls);
            let hl_facts = facts::facts(kind, &hl.doc, &repo_urls);
            for d in compare(&tf_facts, &hl_facts, &mut tally) {
                problems.insert(line(d));
            }
        }
    }
    load_problems.extend(loader.problems.borrow().iter().map(|p| p.replace(&infra_text, "infra")));

    // The figures.
    let (mut all_c, mut all_m) = (0, 0);
    for c in CONSTRUCTS {
        let (n, m) = (tally.compared.get(c).copied().unwrap_or(0), tally.matched.get(c).copied().unwrap_or(0));
        all_c += n;
        all_m += m;
        say(&format!("fidelity: {c:<11} {m:>5}/{n:<5} matched"));
    }
    say(&format!(
        "fidelity: total       {all_m:>5}/{all_c:<5} matched ({} Terraform resources in {} stacks)",
        instances_total,
        stacks.len()
    ));
    unresolved.sort();
    unresolved.dedup();
    say(&format!(
        "fidelity: {} resources or modules not compared (multiplicity or name unknown; listed with --nocapture)",
        unresolved.len()
    ));
    for u in &unresolved {
        eprintln!("  {}", u.replace(&infra_text, "infra"));
    }
    assert!(load_problems.is_empty(), "the Terraform or the output could not be read:\n{}", load_problems.join("\n"));

    // The gaps file.
    let path = repo_root().join(GAPS);
    let text = fs::read_to_string(&path).unwrap_or_default();
    let mut gaps: BTreeMap<String, String> = BTreeMap::new();
    for l in text.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')) {
        let (key, reason) = l.rsplit_once(" | ").unwrap_or((l, ""));
        gaps.insert(key.trim().to_string(), reason.trim().to_string());
    }
    if std::env::var("HLC_FIDELITY_WRITE_GAPS").is_ok_and(|v| v == "1") {
        let mut out = String::from(HEADER);
        for p in &problems {
            let reason = gaps.get(p).map_or("TODO port", String::as_str);
            out.push_str(&format!("{p} | {reason}\n"));
        }
        fs::write(&path, out).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        say(&format!("fidelity: wrote {} gap lines to {GAPS}", problems.len()));
        return;
    }
    let unexplained: Vec<&String> = problems.iter().filter(|p| !gaps.contains_key(*p)).collect();
    let stale: Vec<&String> = gaps.keys().filter(|g| !problems.contains(*g)).collect();
    let todo = gaps.iter().filter(|(k, r)| r.starts_with("TODO") && problems.contains(*k)).count();
    let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
    for r in gaps.values() {
        *reasons.entry(r.as_str()).or_default() += 1;
    }
    say(&format!(
        "fidelity: {} differences; {} gap lines in {GAPS}, {todo} of them TODO, {} not listed, {} stale",
        problems.len(),
        gaps.len(),
        unexplained.len(),
        stale.len()
    ));
    for (reason, n) in &reasons {
        say(&format!("fidelity:   {n:>5} x {reason}"));
    }
    if todo > 0 {
        say(&format!(
            "fidelity: WARNING: {todo} differences carry a TODO reason in {GAPS} (allowed while the port is under way)"
        ));
    }
    let allow_todo = match std::env::var("HLC_FIDELITY_ALLOW_TODO").as_deref() {
        Ok("1") => true,
        Ok("0") => false,
        _ => ALLOW_TODO_BY_DEFAULT,
    };
    assert!(
        unexplained.is_empty() && stale.is_empty(),
        "differences from the Terraform not listed in {GAPS}:\n{}\n\ngap lines that no longer apply:\n{}\n\n\
         (regenerate: HLC_FIDELITY_WRITE_GAPS=1 cargo test -p hl-tests --test fidelity)",
        unexplained.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n"),
        stale.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n")
    );
    assert!(
        allow_todo || todo == 0,
        "{todo} gap lines in {GAPS} carry a TODO reason; give each a reason a reviewer accepts \
         (or set HLC_FIDELITY_ALLOW_TODO=1)"
    );
}

const HEADER: &str = "\
# Differences between the homelab's Terraform (../shared/infra) and what hlc emits for stacks/,
# one per line (tests/tests/fidelity.rs):
#   <stack> <kind> <name> <fact path>: <what differs> | <reason>
# The fidelity test fails on a difference not listed here and on a line that no longer applies.
# A reason says why the difference is right or cannot be closed yet (\"the value lives in the
# encrypted tfvars\", \"Traefik IngressRoute not expressible yet\"); `TODO port` marks lines not
# yet looked at, which fail once the port lands (HLC_FIDELITY_ALLOW_TODO).
# Regenerate (keeps the reasons of lines that still apply):
#   HLC_FIDELITY_WRITE_GAPS=1 cargo test -p hl-tests --test fidelity -- --nocapture
";
