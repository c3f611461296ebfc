//! A second homelab (`tests/second-homelab/`): its own domain, addresses, NFS server and
//! ingress controller, no Authentik, no Keel, no dashboard. It builds clean, its ingresses and
//! labels are on its own domain, and its output carries nothing of the first homelab: not
//! its domain, not its addresses, not its Authentik groups or middlewares. (Its schema
//! validation is in `validate.rs`, with the other workspaces.)

use hl_tests::{read_dir, repo_root};

#[test]
fn a_second_homelab_builds_on_its_own_facts_alone() {
    let c = hlc_core::compile(read_dir(&repo_root().join("tests/second-homelab")));
    assert!(c.diagnostics.is_empty(), "{:?}", c.diagnostics);
    assert!(c.objects >= 8, "{} objects", c.objects);

    // What would betray the first homelab: its domain, its addresses, its groups and the
    // middlewares of its ingress chain, read from its own cluster facts.
    let first = hlc_core::compile(read_dir(&repo_root().join("stacks")));
    let f = &first.model.facts;
    let mut traces: Vec<String> = vec!["viktorbarzin".into(), "10.0.".into(), "192.168.1.".into()];
    traces.extend(f.nfs_server.iter().cloned());
    let auth = f.authentik.as_ref().expect("the first homelab runs Authentik");
    traces.extend(auth.ui_groups.iter().cloned());
    traces.push(auth.forward_auth.clone());
    traces.extend(f.ingress.always.iter().cloned());
    traces.extend(f.homepage.iter().flat_map(|h| h.groups.values().cloned()));
    // Its storage classes and tiers' labels, which the second homelab names differently.
    traces.extend(f.storage_classes.keys().cloned());
    traces.extend(f.tier_policies.values().map(|p| format!("tier: {}", p.label)));
    assert!(traces.len() > 20, "{traces:?}");
    let mut leaks = Vec::new();
    for a in &c.artifacts {
        for t in traces.iter().filter(|t| a.contents.contains(t.as_str())) {
            leaks.push(format!("{}: {t}", a.path));
        }
    }
    assert!(leaks.is_empty(), "the first homelab leaks into the second's output:\n{}", leaks.join("\n"));

    // Its own facts are used: the domain, the label, the ingress controller, the NFS server
    // and its mount options, the workspace's policy.
    let ingress = c.artifact("k8s/wiki/ingress-wiki.yaml").expect("the wiki's ingress").contents.as_str();
    assert!(ingress.contains("host: wiki.example.org"), "{ingress}");
    assert!(ingress.contains("ingressClassName: nginx"), "{ingress}");
    assert!(ingress.contains("secretName: wildcard-example-org"), "{ingress}");
    assert!(!ingress.contains("traefik"), "no Traefik annotations without Traefik: {ingress}");
    assert!(ingress.contains("hlc.example.org/stack: wiki"), "{ingress}");
    let claim = c
        .artifact("k8s/wiki/persistentvolumeclaim-wiki-data-ssd.yaml")
        .expect("the claim, named with its class's suffix");
    assert!(claim.contents.contains("storageClassName: array-ssd"), "{}", claim.contents);
    let ns = c.artifact("k8s/wiki/namespace-wiki.yaml").expect("the namespace").contents.as_str();
    assert!(ns.contains("tier: aux"), "a tier without a label is labelled with its name: {ns}");
    let pv = c.artifacts.iter().find(|a| a.path.starts_with("k8s/wiki/persistentvolume-")).expect("the NFS volume");
    assert!(pv.contents.contains("server: \"192.168.50.10\""), "{}", pv.contents);
    assert!(pv.contents.contains("mountOptions:\n  - nfsvers=4.1\n  - hard\n"), "{}", pv.contents);
    assert_eq!(c.model.facts.stack_label(), "hlc.example.org/stack");
    assert_eq!(c.waived.len(), 1, "the workspace turned E0513 off once: {:?}", c.waived);
    assert!(c.waived[0].reason.starts_with("workspace policy: "), "{:?}", c.waived);
}

/// The compiler's sources (outside their unit tests) hold no value of this homelab: not its
/// domain, not its addresses, not its Authentik groups. Those are `stacks/cluster.hl`'s.
#[test]
fn the_compiler_holds_no_value_of_this_homelab() {
    let first = hlc_core::compile(read_dir(&repo_root().join("stacks")));
    let auth = first.model.facts.authentik.as_ref().expect("the first homelab runs Authentik");
    let mut traces: Vec<String> = vec!["viktorbarzin".into(), "10.0.".into()];
    traces.extend(first.model.facts.nfs_server.iter().cloned());
    // Its storage classes and tier labels, quoted as a Rust literal would hold them.
    // (`local-path`, Rancher's class, is also the stable name of the rule about node-local
    // classes, E0511.)
    let classes = first.model.facts.storage_classes.keys().filter(|c| hl_diagnostics::lookup(c).is_none());
    traces.extend(classes.map(|c| format!("\"{c}\"")));
    traces.extend(first.model.facts.tier_policies.values().map(|p| format!("\"{}\"", p.label)));
    traces.extend(auth.ui_groups.iter().map(|g| format!("\"{g}\"")));
    let mut files = Vec::new();
    for top in ["compiler", "lang"] {
        collect_rs(&repo_root().join(top), &mut files);
    }
    assert!(files.len() > 50, "{} Rust files", files.len());
    let mut found = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        // Unit tests may use the homelab's values as examples.
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for (n, line) in code.lines().enumerate() {
            for t in traces.iter().filter(|t| line.contains(t.as_str())) {
                found.push(format!("{}:{}: {t}", f.display(), n + 1));
            }
        }
    }
    assert!(found.is_empty(), "values of this homelab in the compiler:\n{}", found.join("\n"));
}

/// The `.rs` files under `dir`'s `src/` directories (not its tests, examples or benchmarks).
fn collect_rs(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if p.is_dir() && !matches!(name.as_str(), "tests" | "examples" | "benches" | "target" | "kubestub") {
            collect_rs(&p, out);
        } else if name.ends_with(".rs") && p.components().any(|c| c.as_os_str() == "src") && name != "tests.rs" {
            out.push(p);
        }
    }
}

/// The workspace's policy sets a domain rule's severity for every stack: an error reported as
/// a warning (the build goes on), a warning reported as an error (it stops).
#[test]
fn the_policy_sets_a_rules_severity() {
    let file = |path: &str, text: &str| hlc_core::InputText {
        path: path.into(),
        display: path.into(),
        bytes: text.as_bytes().to_vec(),
    };
    let stack = r#"
cluster {
  domain = "example.org"
  tiers = { "aux": TierPolicy {} }
  storage_classes = { "ssd": StorageClassPolicy { needs_backup = true } }
  default_storage_class = "ssd"
}
stack wiki {
  namespace wiki { tier = "aux" }
  service wiki {
    image = "requarks/wiki:2.5.300"
    port http = 3000
    resources { cpu = 50m, memory = 256Mi }
    volume data = pvc(1Gi, mount = "/data")
    ingress wiki { dns = proxied }
  }
}
"#;
    let severities = |policy: &str| {
        let c = hlc_core::compile(vec![file("main.hl", stack), file("policy.hl", policy)]);
        let mut s: Vec<(String, hlc_core::Severity)> =
            c.diagnostics.iter().map(|d| (d.code.info().code.to_string(), d.severity)).collect();
        s.sort_by(|a, b| a.0.cmp(&b.0));
        s
    };
    use hlc_core::Severity::{Error, Warning};
    // As the rules are: no provider for `auth = required` (an error), no backup job (a warning).
    assert_eq!(severities(""), [("E0506".to_string(), Error), ("E0513".to_string(), Warning)]);
    let swapped = severities(r#"policy { rules = { "E0506": warning, "no-backup": error } }"#);
    assert_eq!(swapped, [("E0506".to_string(), Warning), ("E0513".to_string(), Error)]);
}
