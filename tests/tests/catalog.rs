//! The ported stacks against the homelab's catalog: for every catalog stack, the namespaces it
//! owns (tier, Keel enrolment, quota and LimitRange opt-outs) and the emitted objects must carry
//! the catalog's workloads (kind, name, image, replicas), Services (type, ports with their
//! targets, protocols and node ports, LoadBalancer address, sharing, traffic policy), ingresses
//! (host, auth mode, backend Service and port), claims (storage class), NFS volumes and
//! ExternalSecrets (store); workloads, Services, ingresses, claims and NFS claims in the catalog's
//! namespace.
//!
//! The catalog is read in place from `$HLC_SHARED_DIR/domain/catalog.json` (default `../shared`).
//! Facts hl cannot express yet are listed, each with its reason, in `tests/catalog-gaps.txt`;
//! a gap that no longer applies is an error too, so the list stays true.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;

use hl_tests::{read_dir, repo_root, shared_dir, skip};
use serde_json::Value;

fn s(v: &Value) -> Option<&str> {
    v.as_str()
}

/// When the catalog places an object (`v`) in a namespace: whether its emitted YAML is there (in
/// its own metadata, at the first indent), and the problem if not.
fn placement(yaml: Option<&str>, v: &Value) -> Option<(bool, String)> {
    let (yaml, ns) = (yaml?, v["namespace"].as_str()?);
    Some((yaml.contains(&format!("\n  namespace: {ns}\n")), format!("namespace is not {ns}")))
}

/// A number written as a number or as digits in a string.
fn number(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_str().and_then(|t| t.parse().ok()))
}

#[test]
fn stacks_match_the_catalog() {
    let path = shared_dir().join("domain").join("catalog.json");
    let Ok(text) = fs::read_to_string(&path) else {
        let why = format!("catalog not found at {} (set HLC_SHARED_DIR)", path.display());
        return skip("stacks_match_the_catalog", &why, skip::SHARED);
    };
    let catalog: Vec<Value> = serde_json::from_str(&text).expect("catalog.json parses");
    let c = hlc_core::compile(read_dir(&repo_root().join("stacks")));
    assert!(!c.has_errors(), "stacks/ does not compile");

    // Emitted objects by (stack, kind, name): their YAML text.
    let mut objects: BTreeMap<(String, String, String), &str> = BTreeMap::new();
    for a in &c.artifacts {
        let parts: Vec<&str> = a.path.split('/').collect();
        if let ["k8s", stack, file] = parts.as_slice()
            && let Some((kind, name)) = file.trim_end_matches(".yaml").split_once('-')
        {
            objects.insert((stack.to_string(), kind.to_string(), name.to_string()), a.contents.as_str());
        }
    }
    let stacks: BTreeSet<&str> = c.model.stacks.iter().map(|s| s.name.as_str()).collect();
    let mut problems: BTreeSet<String> = BTreeSet::new();
    let mut check = |stack: &str, what: &str, name: &str, ok: bool, detail: String| {
        if !ok {
            problems.insert(format!("{stack} {what} {name}: {detail}"));
        }
    };

    for entry in &catalog {
        let Some(stack) = entry.get("name").and_then(s) else { continue };
        if stack == "_template" {
            continue;
        }
        check(stack, "stack", stack, stacks.contains(stack), "not ported".into());
        if !stacks.contains(stack) {
            continue;
        }
        let has =
            |kind: &str, name: &str| objects.get(&(stack.to_string(), kind.to_string(), name.to_string())).copied();
        // The namespaces the stack owns (emits); those used with `external = true` are another
        // stack's or Kubernetes' own. Namespaces made per item of a map have no name to compare.
        let model_stack = c.model.stacks.iter().find(|s| s.name == stack);
        let owned: BTreeMap<&str, &hlc_core::model::Namespace> =
            model_stack.into_iter().flat_map(|s| s.owned_namespaces()).map(|n| (n.name.as_str(), n)).collect();
        let mut listed: BTreeSet<&str> = BTreeSet::new();
        for n in entry["namespaces"].as_array().into_iter().flatten() {
            let Some(name) = n["name"].as_str() else { continue };
            listed.insert(name);
            let Some(ns) = owned.get(name) else {
                check(stack, "Namespace", name, false, "not owned by the stack".into());
                continue;
            };
            let tier = n["tier"].as_str();
            // The namespace's `tier` label: its tier's label in the cluster facts.
            let label = ns.tier.as_ref().and_then(|t| c.model.facts.tier_policies.get(t)).map(|p| p.label.as_str());
            check(stack, "Namespace", name, label == tier, format!("tier is not {tier:?}"));
            for (field, have) in [
                ("keel_enrolled", ns.keel),
                ("custom_quota", ns.custom_quota),
                ("custom_limitrange", ns.custom_limitrange),
            ] {
                if let Some(want) = n[field].as_bool() {
                    check(stack, "Namespace", name, have == want, format!("{field} is not {want}"));
                }
            }
        }
        let per_item = entry["namespaces"].as_array().into_iter().flatten().any(|n| n["name"].as_str().is_none());
        for name in owned.keys().filter(|n| !listed.contains(*n)) {
            check(stack, "Namespace", name, per_item, "owned by the stack, but not in the catalog".into());
        }
        for w in entry["workloads"].as_array().into_iter().flatten() {
            let (Some(kind), Some(name)) = (w["kind"].as_str(), w["name"].as_str()) else { continue };
            let file_kind = kind.to_ascii_lowercase();
            let obj = has(&file_kind, name);
            check(stack, kind, name, obj.is_some(), "missing".into());
            if let Some((ok, detail)) = placement(obj, w) {
                check(stack, kind, name, ok, detail);
            }
            let Some(yaml) = obj else { continue };
            if let Some(image) = w["image"].as_str() {
                check(stack, kind, name, yaml.contains(&format!("image: {image}\n")), format!("image is not {image}"));
            }
            if let Some(r) = w["replicas"].as_i64() {
                check(stack, kind, name, yaml.contains(&format!("replicas: {r}\n")), format!("replicas are not {r}"));
            }
        }
        for svc in entry["k8s_services"].as_array().into_iter().flatten() {
            let Some(name) = svc["name"].as_str() else { continue };
            if svc["type"].as_str() == Some("ExternalName") {
                continue;
            }
            check(stack, "Service", name, has("service", name).is_some(), "missing".into());
            if let Some((ok, detail)) = placement(has("service", name), svc) {
                check(stack, "Service", name, ok, detail);
            }
            let Some(x) = c
                .model
                .stacks
                .iter()
                .filter(|s| s.name == stack)
                .flat_map(|s| s.all_exposes())
                .map(|(_, _, x)| x)
                .find(|x| x.name == name)
            else {
                continue;
            };
            if let Some(ty) = svc["type"].as_str() {
                let declared = if x.service_type == "headless" { "ClusterIP" } else { x.service_type.as_str() };
                check(stack, "Service", name, declared == ty, format!("type is not {ty}"));
            }
            // Ports as (port, target, protocol, node port); names are the module's business.
            let want: BTreeSet<(i64, i64, String, Option<i64>)> = svc["ports"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| {
                    let port = number(&p["port"])?;
                    let target = number(&p["target_port"]).unwrap_or(port);
                    let protocol = p["protocol"].as_str().unwrap_or("TCP").to_string();
                    Some((port, target, protocol, number(&p["node_port"])))
                })
                .collect();
            let have: BTreeSet<(i64, i64, String, Option<i64>)> = x
                .ports
                .iter()
                .map(|p| (i64::from(p.port), i64::from(p.target), p.protocol.clone(), p.node_port.map(i64::from)))
                .collect();
            let show = |ports: &BTreeSet<(i64, i64, String, Option<i64>)>| {
                let v: Vec<String> = ports
                    .iter()
                    .map(|(p, t, proto, n)| match n {
                        Some(n) => format!("{p}:{t}/{proto} (node port {n})"),
                        None => format!("{p}:{t}/{proto}"),
                    })
                    .collect();
                v.join(", ")
            };
            check(stack, "Service", name, want == have, format!("ports are not {}", show(&want)));
            let lb_ip = svc["lb_ip"].as_str();
            check(
                stack,
                "Service",
                name,
                x.lb_ip.as_deref() == lb_ip,
                format!("LoadBalancer address is not {lb_ip:?}"),
            );
            if let Some(shared) = svc["shared_ip"].as_bool() {
                check(stack, "Service", name, x.shared_ip == shared, format!("shared address is not {shared}"));
            }
            let policy = svc["external_traffic_policy"].as_str();
            check(
                stack,
                "Service",
                name,
                x.traffic_policy.as_deref() == policy,
                format!("traffic policy is not {policy:?}"),
            );
        }
        for ing in entry["ingresses"].as_array().into_iter().flatten() {
            let Some(name) = ing["name"].as_str() else { continue };
            if !ing["multiplicity"].is_null() {
                continue;
            }
            let obj = has("ingress", name);
            check(stack, "Ingress", name, obj.is_some(), "missing".into());
            if let Some((ok, detail)) = placement(obj, ing) {
                check(stack, "Ingress", name, ok, detail);
            }
            if let (Some(yaml), Some(host)) = (obj, ing["effective_host"].as_str()) {
                check(
                    stack,
                    "Ingress",
                    name,
                    yaml.contains(&format!("- host: {host}\n")),
                    format!("host is not {host}"),
                );
            }
            let declared = c
                .model
                .stacks
                .iter()
                .filter(|s| s.name == stack)
                .flat_map(|s| s.all_ingresses())
                .find(|i| i.name == name);
            if let (Some(auth), Some(d)) = (ing["auth"].as_str(), declared) {
                check(stack, "Ingress", name, d.auth.as_str() == auth, format!("auth is not {auth}"));
            }
            // The backend: the factory's `service_name`, by default the ingress's own name.
            if let Some(d) = declared {
                if let Some(port) = number(&ing["port"]) {
                    check(stack, "Ingress", name, i64::from(d.port) == port, format!("backend port is not {port}"));
                }
                let backend = match &ing["service_name"] {
                    Value::Null => Some(name),
                    v => v.as_str(),
                };
                if let Some(backend) = backend {
                    check(stack, "Ingress", name, d.backend == backend, format!("backend Service is not {backend}"));
                }
            }
        }
        for pvc in entry["volumes"]["pvcs"].as_array().into_iter().flatten() {
            let (Some(name), Some(class)) = (pvc["name"].as_str(), pvc["storage_class"].as_str()) else { continue };
            let obj = has("persistentvolumeclaim", name);
            check(stack, "PersistentVolumeClaim", name, obj.is_some(), "missing".into());
            if let Some((ok, detail)) = placement(obj, pvc) {
                check(stack, "PersistentVolumeClaim", name, ok, detail);
            }
            if let Some(yaml) = obj {
                check(
                    stack,
                    "PersistentVolumeClaim",
                    name,
                    yaml.contains(&format!("storageClassName: {class}\n")),
                    format!("class is not {class}"),
                );
            }
        }
        for nfs in entry["volumes"]["nfs_volumes"].as_array().into_iter().flatten() {
            let (Some(name), Some(path)) = (nfs["name"].as_str(), nfs["path"].as_str()) else { continue };
            if !nfs["multiplicity"].is_null() {
                continue;
            }
            let obj = has("persistentvolume", name);
            check(stack, "PersistentVolume", name, obj.is_some(), "missing".into());
            // The volume is cluster-wide; its claim goes into the namespace.
            if let Some((ok, detail)) = placement(has("persistentvolumeclaim", name), nfs) {
                check(stack, "PersistentVolume", name, ok, detail);
            }
            if let Some(yaml) = obj {
                check(
                    stack,
                    "PersistentVolume",
                    name,
                    yaml.contains(&format!("share: {path}\n")),
                    format!("path is not {path}"),
                );
            }
        }
        for es in entry["secrets"]["external_secrets"].as_array().into_iter().flatten() {
            let (Some(name), Some(store)) = (es["name"].as_str(), es["store"].as_str()) else { continue };
            if !es["multiplicity"].is_null() {
                continue;
            }
            let obj = has("externalsecret", name);
            check(stack, "ExternalSecret", name, obj.is_some(), "missing".into());
            if let Some(yaml) = obj {
                check(
                    stack,
                    "ExternalSecret",
                    name,
                    yaml.contains(&format!("name: {store}\n")),
                    format!("store is not {store}"),
                );
            }
        }
    }

    // Known gaps: `stack kind name: detail | reason` per line.
    let gaps_text = fs::read_to_string(repo_root().join("tests/catalog-gaps.txt")).unwrap_or_default();
    let gaps: BTreeSet<String> = gaps_text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| l.split(" | ").next().unwrap_or(l).trim().to_string())
        .collect();
    let unexplained: Vec<&String> = problems.iter().filter(|p| !gaps.contains(*p)).collect();
    let stale: Vec<&String> = gaps.iter().filter(|g| !problems.contains(*g)).collect();
    assert!(
        unexplained.is_empty() && stale.is_empty(),
        "catalog mismatches not listed in tests/catalog-gaps.txt:\n{}\n\ngaps that no longer apply:\n{}",
        unexplained.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n"),
        stale.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n")
    );
}
