//! The per-stack checks against the whole-model check: `check(model)` must be exactly the
//! union of `check_global` and every stack's `check_stack`, each stack's summary must not
//! change when only positions do, and a finding that involves two stacks must be reported by
//! the right one.
//!
//! Models are built from hl text with the evaluator and the model builder (the crates below
//! hl-check), the standard library included: handwritten workspaces with findings across
//! stacks, the single-file ui fixtures and the homelab's own `stacks/`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use hl_check::backup::coverage;
use hl_check::{CheckIndex, Checked, StackSummary, StackView, check, check_global, check_stack};
use hl_diagnostics::{Diagnostic, FileId, Severity};
use hl_eval::{EvalInput, InputFile, Limits};
use hl_model::{Model, Stack};

const STDLIB: &[(&str, &str)] = &[
    ("std/cluster.hl", include_str!("../../../stdlib/cluster.hl")),
    ("std/k8s.hl", include_str!("../../../stdlib/k8s.hl")),
    ("std/backup.hl", include_str!("../../../stdlib/backup.hl")),
    ("std/proxmox.hl", include_str!("../../../stdlib/proxmox.hl")),
];

/// Build the model of a workspace of `(path, text)` files. Every file is evaluated in one go
/// (the standard library's types and values first, as the engine does); the evaluator's own
/// diagnostics do not matter here, only the model.
fn compile(files: &[(String, String)]) -> Model {
    let parses: Vec<(FileId, String, bool, hl_syntax::Parse)> = STDLIB
        .iter()
        .map(|(p, t)| (p.to_string(), true, t.to_string()))
        .chain(files.iter().map(|(p, t)| (p.clone(), false, t.clone())))
        .enumerate()
        .map(|(i, (path, stdlib, text))| {
            let id = FileId(u32::try_from(i).expect("few files"));
            (id, path, stdlib, hl_syntax::parse(id, &text))
        })
        .collect();
    let no_paths = hl_eval::WorkspacePaths::default();
    let input = |declares: bool, prelude: bool, types, stdlib_scopes| EvalInput {
        files: parses
            .iter()
            .map(|(id, path, stdlib, parse)| InputFile {
                id: *id,
                path: path.clone(),
                ast: &parse.file,
                stdlib: *stdlib,
                declares: declares && !*stdlib,
            })
            .collect(),
        root_schema: "Workspace",
        workspace_paths: &no_paths,
        prelude,
        types,
        stdlib_scopes,
        assets: None,
    };
    let prelude = hl_eval::evaluate(&input(false, true, None, None), Limits::default());
    let shared = (Some(prelude.types.clone()), Some(prelude.stdlib_scopes.clone()));
    let declared = hl_eval::evaluate(&input(true, false, shared.0, shared.1), Limits::default());
    let (root, _) = hl_eval::merge_roots(&prelude.root, &[&declared.root]);
    hl_model::build(&root, &prelude.prelude).0
}

/// One file, in the homelab's setting: with its cluster facts (`stacks/cluster.hl`) unless it
/// declares its own.
fn one_file(text: &str) -> Vec<(String, String)> {
    let mut files = vec![("main.hl".to_string(), text.to_string())];
    if !text.lines().any(|l| l.starts_with("cluster {")) {
        files.push(("cluster.hl".to_string(), include_str!("../../../stacks/cluster.hl").to_string()));
    }
    files
}

/// Cross-stack findings of every kind: `alpha` owns a namespace (its tier, Keel enrolment and
/// quota), serves a host and backs up first, and `beta` (and `gamma`) collide with it; `delta`
/// owns a namespace in a Guaranteed tier and a shared address, which `epsilon` uses badly.
const CROSS: &str = r#"
host_backup nfs-mirror {
  description = "NFS onto the backup disk"
  schedule = "*-*-* 02:00:00"
  command = ["/usr/local/bin/nfs-mirror"]
  produces = local
  sources = ["/srv/nfs"]
}

host_backup disk-a {
  description = "one step"
  schedule = "*-*-* 04:00:00"
  command = ["/usr/local/bin/a"]
  produces = offsite
  sources = ["/mnt/backup"]
  target = "/mnt/offsite/a"
}

host_backup disk-b {
  description = "another step at the same minute on the same storage"
  schedule = "*-*-* 04:00:00"
  command = ["/usr/local/bin/b"]
  produces = offsite
  sources = ["/mnt/backup"]
  target = "/mnt/offsite/b"
}

stack alpha {
  namespace shared {
    tier = "aux"
    keel = true
  }
  service web {
    image = "nginx"
    replicas = 2
    port http = 80
    resources { cpu = 100m, memory = 1Gi }
    ingress web {}
    volume data = pvc(1Gi, mount = "/data")
  }
  service web-backup = pvc_backup(source = "web-data-proxmox", target = "/srv/nfs/web-backup", target_claim = "web-backup-host", schedule = "0 3 * * *")
}

stack beta {
  waive = {
    "E0513": "the cache is rebuilt on start",
  }
  namespace shared { external = true }
  service api {
    image = "ghcr.io/example/api:1.0.3"
    replicas = 2
    port http = 80
    resources { cpu = 100m, memory = 1Gi }
    ingress api { host = "web" }
    volume data = pvc(1Gi, mount = "/data")
    volume cache = pvc(1Gi, mount = "/cache")
  }
  service api-backup = pvc_backup(source = "api-data-proxmox", target = "/srv/nfs/api-backup", target_claim = "api-backup-host", schedule = "0 3 * * *")
  // Backs up a claim of zeta's, in the same namespace.
  service notes-backup = pvc_backup(source = "notes-data-proxmox", target = "/srv/nfs/notes-backup", target_claim = "notes-backup-host", schedule = "30 4 * * *")
}

stack zeta {
  namespace shared { external = true }
  service notes {
    image = "ghcr.io/example/notes"
    port http = 80
    volume data = pvc(1Gi, mount = "/data")
  }
}

stack delta {
  namespace infra { tier = "cluster" }
  service dns {
    image = "coredns/coredns"
    udp_port dns = 53
    resources { cpu = 10m, memory = 64Mi }
    expose {
      type = LoadBalancer
      lb_ip = "10.0.20.201"
      shared_ip = true
    }
  }
}

stack epsilon {
  namespace infra { external = true }
  service resolver {
    image = "coredns/coredns"
    udp_port dns = 53
    resources { cpu = 10m, memory = 64Mi, memory_limit = 128Mi }
    expose {
      type = LoadBalancer
      lb_ip = "10.0.20.201"
    }
  }
}

stack gamma {
  namespace gamma { tier = "aux" }
  service other {
    image = "ghcr.io/example/other:2.0.0"
    port http = 80
    ingress other { host = "web" }
  }
}
"#;

/// Ties and orders that "first one wins" depends on: a namespace owned twice with different
/// tiers, the same host and path three times, an address with three users, a host step and
/// two stacks' jobs on one storage at one minute, quota labels that tie, DaemonSets, and
/// waivers of every kind.
const MESSY: &str = r#"
host_backup nfs-copy {
  description = "writes where the jobs write"
  schedule = "*-*-* 03:00:00"
  command = ["/usr/local/bin/copy"]
  produces = local
  sources = ["/srv/nfs"]
  target = "nfs:192.168.1.127"
}

stack one {
  waive = {
    "E0513": "",
    "nope": "unknown",
    "E0541": "an error",
    "E0592": "about waivers",
    "E0553": "unused here",
  }
  namespace dup { tier = "core" }
  service a {
    namespace = "dup"
    image = "nginx"
    replicas = 3
    port http = 80
    resources { cpu = 2, memory = 3Gi, memory_limit = 4Gi }
    ingress a { host = "same" }
    expose {
      type = LoadBalancer
      lb_ip = "10.0.20.205"
      shared_ip = true
      traffic_policy = Local
    }
  }
  service a-backup = pvc_backup(source = "a-data", target = "/srv/nfs/a", target_claim = "a-backup-host", schedule = "0 3 * * *")
}

stack two {
  waive = { "E0522": "it is fine", "E0516 with one": "staggered later" }
  namespace dup {
    tier = "aux"
    keel = true
  }
  service a {
    namespace = "dup"
    image = "nginx:1.27"
    kind = daemonset
    port http = 80
    ingress b { host = "same" }
    ingress c { host = "same" }
    expose {
      type = LoadBalancer
      lb_ip = "10.0.20.205"
    }
  }
  service b-backup = pvc_backup(source = "b-data", target = "/srv/nfs/b", target_claim = "b-backup-host", schedule = "0 3 * * *")
  service c-backup = pvc_backup(source = "c-data", target = "/srv/nfs/c", target_claim = "c-backup-host", schedule = "0 3 * * *")
}

stack three {
  namespace dup { external = true }
  service a {
    image = "redis:7.2"
    replicas = 3
    port http = 80
    resources { cpu = 2, memory = 3Gi }
    expose {
      type = LoadBalancer
      lb_ip = "10.0.20.205"
      shared_ip = true
    }
  }
  volume data = stack_pvc(20Gi, mounted_by = "a chart", claim = "a-data")
}
"#;

/// Every workspace the properties are checked on: the handwritten ones, the single-file ui
/// fixtures of the domain checks (E04xx to E06xx) and the homelab's `stacks/`.
fn workspaces() -> Vec<(String, Vec<(String, String)>)> {
    let mut out = vec![("cross".to_string(), one_file(CROSS)), ("messy".to_string(), one_file(MESSY))];
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let ui = root.join("tests/ui");
    let mut dirs: Vec<_> = std::fs::read_dir(&ui).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default();
    dirs.sort();
    for dir in dirs {
        let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        if !(name.starts_with("E04") || name.starts_with("E05") || name.starts_with("E06")) {
            continue;
        }
        let hl: Vec<_> = std::fs::read_dir(&dir)
            .map(|d| d.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "hl")).collect())
            .unwrap_or_default();
        if let [only] = hl.as_slice()
            && let Ok(text) = std::fs::read_to_string(only)
        {
            out.push((name, one_file(&text)));
        }
    }
    let mut files: Vec<_> = std::fs::read_dir(root.join("stacks"))
        .map(|d| d.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "hl")).collect())
        .unwrap_or_default();
    files.sort();
    let stacks: Vec<(String, String)> = files
        .iter()
        .filter_map(|p| {
            let name = p.file_name()?.to_str()?.to_string();
            Some((name, std::fs::read_to_string(p).ok()?))
        })
        .collect();
    assert!(stacks.len() > 50, "the homelab's stacks/ is read");
    out.push(("stacks".to_string(), stacks));
    out
}

/// Diagnostics in a canonical order, to compare them as multisets.
fn sorted(mut d: Vec<Diagnostic>) -> Vec<Diagnostic> {
    d.sort_by_cached_key(|d| format!("{:?} {d:?}", d.sort_key()));
    d
}

/// Check every stack on its own, with a fresh index and globals that hold no stacks, and join
/// the results with the global findings. Also returns, per stack, the stacks it looked up.
fn per_stack(model: &Model) -> (Checked, Vec<(String, Vec<String>, Checked)>) {
    let globals = Model { stacks: Vec::new(), ..model.clone() };
    let summaries: Vec<StackSummary> = model.stacks.iter().map(|s| StackSummary::of(s)).collect();
    let index = CheckIndex::new(model.stacks.iter().zip(&summaries).map(|(s, sum)| (s.name.as_str(), sum)));
    let by_name: HashMap<&str, &Arc<Stack>> = model.stacks.iter().map(|s| (s.name.as_str(), s)).collect();
    let mut all = check_global(&globals);
    let mut each = Vec::new();
    for stack in &model.stacks {
        let asked = RefCell::new(Vec::new());
        let other = |name: &str| {
            asked.borrow_mut().push(name.to_string());
            by_name.get(name).map(|s| Arc::clone(s))
        };
        let c = check_stack(&globals, &index.view(stack), stack, &other);
        all.diagnostics.extend(c.diagnostics.iter().cloned());
        all.waived.extend(c.waived.iter().cloned());
        each.push((stack.name.clone(), asked.into_inner(), c));
    }
    all.waived.sort_by(|a, b| (&a.stack, a.code, &a.message).cmp(&(&b.stack, b.code, &b.message)));
    (all, each)
}

fn codes(c: &Checked) -> Vec<&'static str> {
    let mut v: Vec<_> = c.diagnostics.iter().map(|d| d.code.info().code).collect();
    v.sort_unstable();
    v
}

#[test]
fn check_is_the_union_of_the_global_and_per_stack_checks() {
    for (name, files) in workspaces() {
        let model = compile(&files);
        let whole = check(&model);
        let (union, each) = per_stack(&model);
        assert_eq!(sorted(whole.diagnostics.clone()), sorted(union.diagnostics), "{name}: diagnostics");
        assert_eq!(whole.waived, union.waived, "{name}: waived warnings");
        for (stack, asked, c) in each {
            // Another stack is read only to label a finding.
            assert!(
                asked.is_empty() || !c.diagnostics.is_empty() || !c.waived.is_empty(),
                "{name}: `{stack}` looked up {asked:?} without reporting anything"
            );
            assert!(!asked.contains(&stack), "{name}: `{stack}` looked itself up");
        }
    }
}

#[test]
fn the_workspaces_do_report_findings() {
    // Guards the property above against vacuous models: the evaluation works, and findings of
    // the cross-stack rules are among the reported ones.
    let cross = check(&compile(&one_file(CROSS)));
    let all = codes(&cross);
    for code in ["E0516", "E0522", "E0523", "E0541", "E0543", "E0544", "E0553"] {
        assert!(all.contains(&code), "{code} in {all:?}");
    }
    let stacks = workspaces().pop().map(|(_, f)| compile(&f)).unwrap_or_default();
    assert!(stacks.stacks.len() > 50);
}

/// The same files with text added at the top of each, so that every span moves.
fn moved(files: &[(String, String)]) -> Vec<(String, String)> {
    files.iter().map(|(p, t)| (p.clone(), format!("// moved down\n\n\n{t}"))).collect()
}

#[test]
fn summaries_and_views_do_not_see_positions() {
    for (name, files) in workspaces() {
        let before = compile(&files);
        let after = compile(&moved(&files));
        assert_eq!(before.stacks.len(), after.stacks.len());
        let summarise = |m: &Model| -> Vec<StackSummary> { m.stacks.iter().map(|s| StackSummary::of(s)).collect() };
        let (sb, sa) = (summarise(&before), summarise(&after));
        let mut moved_stacks = 0;
        for ((b, a), (x, y)) in before.stacks.iter().zip(&after.stacks).zip(sb.iter().zip(&sa)) {
            assert_eq!(b.name, a.name);
            moved_stacks += usize::from(b != a);
            assert_eq!(x, y, "{name}: summary of `{}`", b.name);
        }
        assert!(moved_stacks > 0 || before.stacks.is_empty(), "{name}: the spans did move");
        let ib = CheckIndex::new(before.stacks.iter().zip(&sb).map(|(s, x)| (s.name.as_str(), x)));
        let ia = CheckIndex::new(after.stacks.iter().zip(&sa).map(|(s, x)| (s.name.as_str(), x)));
        assert_eq!(ib, ia, "{name}: index");
        for (b, a) in before.stacks.iter().zip(&after.stacks) {
            assert_eq!(ib.view(b), ia.view(a), "{name}: view of `{}`", b.name);
        }
    }
}

/// The cross-stack model's per-stack results, by stack name.
fn cross() -> (Model, HashMap<String, Checked>) {
    let model = compile(&one_file(CROSS));
    let (_, each) = per_stack(&model);
    let by_stack = each.into_iter().map(|(n, _, c)| (n, c)).collect();
    (model, by_stack)
}

fn with_code<'a>(c: &'a Checked, code: &str) -> Vec<&'a Diagnostic> {
    c.diagnostics.iter().filter(|d| d.code.info().code == code).collect()
}

#[test]
fn cross_stack_findings_belong_to_the_right_stack() {
    let (model, by) = cross();
    let stack = |n: &str| model.stacks.iter().find(|s| s.name == n).expect("stack exists");
    let (alpha, beta, gamma, delta, epsilon) = (&by["alpha"], &by["beta"], &by["gamma"], &by["delta"], &by["epsilon"]);

    // The same host and path: reported by the later stacks, labelled with alpha's ingress.
    let alpha_ingress = stack("alpha").all_ingresses().next().expect("alpha serves web").span;
    assert!(with_code(alpha, "E0541").is_empty());
    for c in [beta, gamma] {
        let dup = with_code(c, "E0541");
        assert_eq!(dup.len(), 1, "{dup:?}");
        assert_eq!(dup[0].secondary.first().map(|l| l.span), Some(alpha_ingress));
    }

    // The quota of `shared` is alpha's (it gives the tier), summed over both stacks: 2Gi each
    // fits the aux quota, 4Gi does not. The labels name both stacks' services.
    let quota = with_code(alpha, "E0522");
    assert_eq!(quota.len(), 1, "{quota:?}");
    assert!(quota[0].message.contains("namespace `shared`"), "{}", quota[0].message);
    let labelled: Vec<_> = quota[0].secondary.iter().map(|l| l.span).collect();
    assert!(labelled.contains(&stack("beta").services[0].span), "{labelled:?}");
    assert!(labelled.contains(&stack("alpha").services[0].span), "{labelled:?}");
    assert!(with_code(beta, "E0522").is_empty());

    // Tier and Keel enrolment of a namespace that another stack owns.
    assert_eq!(with_code(epsilon, "E0523").len(), 1, "burstable memory in delta's `cluster` tier");
    assert_eq!(with_code(beta, "E0553").len(), 1, "pinned image in alpha's Keel namespace");
    assert!(with_code(alpha, "E0553").is_empty(), "alpha's own image is not pinned");

    // A shared address that epsilon's Service does not opt into, on the same port: labelled
    // with delta's address as written (`lb_ip`), whose Service keeps the port.
    let delta_lb = stack("delta").all_exposes().next().map(|(_, _, x)| x.values.at("lb_ip", x.span));
    for code in ["E0543", "E0544"] {
        let found = with_code(epsilon, code);
        assert_eq!(found.len(), 1, "{code}: {found:?}");
        assert_eq!(found[0].secondary.first().map(|l| l.span), delta_lb, "{code}");
    }
    assert!(with_code(delta, "E0544").is_empty(), "the first user keeps the port");
    // delta opts in: the conflict is epsilon's alone.
    assert!(with_code(delta, "E0543").is_empty());

    // Two backup jobs on the same NFS server at the same minute: the later one is reported,
    // labelled with the earlier one's schedule.
    let overlap = with_code(beta, "E0516");
    assert_eq!(overlap.len(), 1, "{overlap:?}");
    let alpha_schedule = stack("alpha").services[1].schedule.as_ref().map(|(_, s)| *s);
    assert_eq!(overlap[0].secondary.first().map(|l| l.span), alpha_schedule);
    assert!(with_code(alpha, "E0516").is_empty());
    // The host's two steps collide with each other: a global finding, which no stack reports.
    let global = check_global(&model);
    assert_eq!(with_code(&global, "E0516").len(), 1);

    // beta backs up `data` (with a job in its own stack) but not `cache`, and waives the
    // warning with a reason.
    assert_eq!(beta.waived.len(), 1, "{:?}", beta.waived);
    assert!(beta.waived[0].code == "E0513" && beta.waived[0].message.contains("api-cache"), "{:?}", beta.waived);
    assert!(with_code(beta, "E0592").is_empty(), "the waiver is used");
    assert!(beta.diagnostics.iter().all(|d| d.severity == Severity::Error || d.code.info().code != "E0513"));

    // zeta's claim is copied by a job of beta's: backed up, and covered through the host's
    // mirror of the job's NFS target.
    let zeta = &by["zeta"];
    assert!(with_code(zeta, "E0513").is_empty(), "{:?}", zeta.diagnostics);
    assert!(with_code(zeta, "E0515").is_empty(), "{:?}", zeta.diagnostics);
    let rows = coverage(&model);
    let notes = rows.iter().find(|r| r.stack == "zeta").expect("zeta's volume has a row");
    let jobs: Vec<&str> = notes.jobs.iter().map(|j| j.name.as_str()).collect();
    assert_eq!(jobs, ["shared/notes-backup", "host/nfs-mirror"]);
    assert_eq!(notes.copies, [true, true, true]);
}

#[test]
fn a_view_changes_with_what_other_stacks_declare() {
    // beta asks for more memory: alpha, which reports the quota, sees it in its view; gamma,
    // which shares nothing with beta, does not.
    let before = compile(&one_file(CROSS));
    let after = compile(&one_file(&CROSS.replacen(
        "resources { cpu = 100m, memory = 1Gi }\n    ingress api",
        "resources { cpu = 100m, memory = 2Gi }\n    ingress api",
        1,
    )));
    let views = |m: &Model| -> HashMap<String, StackView> {
        let sums: Vec<StackSummary> = m.stacks.iter().map(|s| StackSummary::of(s)).collect();
        let ix = CheckIndex::new(m.stacks.iter().zip(&sums).map(|(s, x)| (s.name.as_str(), x)));
        m.stacks.iter().map(|s| (s.name.clone(), ix.view(s))).collect()
    };
    let (vb, va) = (views(&before), views(&after));
    assert_ne!(vb["alpha"], va["alpha"]);
    assert_eq!(vb["gamma"], va["gamma"]);
}

/// Of several earlier backup jobs that collide with a later one, the first in model order is
/// named, whichever of the later job's minutes it shares; and jobs at other minutes are never
/// named. (Earlier jobs are looked up by the minutes they fire in.)
#[test]
fn a_backup_overlap_names_the_first_earlier_job_whatever_minute_it_shares() {
    let job = |stack: &str, schedule: &str| {
        format!(
            "stack {stack} {{\n  namespace {stack} {{ tier = \"aux\" }}\n  service {stack}-backup = pvc_backup(source = \"{stack}-data\", target = \"/srv/nfs/{stack}\", target_claim = \"{stack}-host\", schedule = \"{schedule}\")\n}}\n"
        )
    };
    // a fires at 3:30 and b at 3:00, both before c (3:00 and 3:30); d fires at 4:15 only.
    let text =
        [job("a", "30 3 * * *"), job("b", "0 3 * * *"), job("c", "0,30 3 * * *"), job("d", "15 4 * * *")].concat();
    let model = compile(&one_file(&text));
    let (_, each) = per_stack(&model);
    let by: HashMap<String, Checked> = each.into_iter().map(|(n, _, c)| (n, c)).collect();
    let schedule_of = |n: &str| {
        let s = model.stacks.iter().find(|s| s.name == n).expect("stack exists");
        s.services[0].schedule.as_ref().map(|(_, span)| *span)
    };
    let c = with_code(&by["c"], "E0516");
    assert_eq!(c.len(), 1, "{c:?}");
    assert_eq!(c[0].secondary.first().map(|l| l.span), schedule_of("a"), "a comes first in model order");
    for quiet in ["a", "b", "d"] {
        assert!(with_code(&by[quiet], "E0516").is_empty(), "{quiet}: {:?}", with_code(&by[quiet], "E0516"));
    }
}
