//! Every Traefik Middleware an emitted Ingress names in its chain
//! (`traefik.ingress.kubernetes.io/router.middlewares`), or an IngressRoute in its routes, exists: an emitted `Middleware` object
//! of that namespace and name, or one a stack declares `unmanaged_middleware` (written outside
//! hl, with the reason). Traefik refuses a router whose chain names a missing Middleware, so
//! the ingress would serve nothing. Read from the emitted objects, not from the model's chain.

use std::collections::BTreeSet;

use hl_tests::{read_dir, repo_root};

#[test]
fn every_middleware_an_ingress_names_exists() {
    let c = hlc_core::compile(read_dir(&repo_root().join("stacks")));
    assert!(!c.has_errors(), "stacks/ does not compile");
    let mut declared = BTreeSet::new();
    let mut named = Vec::new();
    for a in c.artifacts.iter().filter(|a| a.path.starts_with("k8s/") && a.path.ends_with(".yaml")) {
        let Ok(obj) = serde_saphyr::from_str::<serde_json::Value>(&a.contents) else { continue };
        let meta = &obj["metadata"];
        let ns = meta["namespace"].as_str().unwrap_or_default();
        let name = meta["name"].as_str().unwrap_or_default();
        match (obj["apiVersion"].as_str(), obj["kind"].as_str()) {
            (Some("traefik.io/v1alpha1"), Some("Middleware")) => {
                declared.insert(format!("{ns}-{name}@kubernetescrd"));
            }
            (Some("networking.k8s.io/v1"), Some("Ingress")) => {
                let chain = meta["annotations"]["traefik.ingress.kubernetes.io/router.middlewares"].as_str();
                for m in chain.unwrap_or_default().split(',').filter(|m| !m.is_empty()) {
                    named.push((a.path.clone(), m.to_string()));
                }
            }
            // An IngressRoute names its routes' Middlewares by name and namespace (its own by
            // default), which is the same `<namespace>-<name>@kubernetescrd` to Traefik.
            (Some("traefik.io/v1alpha1"), Some("IngressRoute" | "IngressRouteTCP")) => {
                let routes = obj["spec"]["routes"].as_array().into_iter().flatten();
                for m in routes.flat_map(|r| r["middlewares"].as_array().into_iter().flatten()) {
                    let Some(mname) = m["name"].as_str() else { continue };
                    let mns = m["namespace"].as_str().unwrap_or(ns);
                    named.push((a.path.clone(), format!("{mns}-{mname}@kubernetescrd")));
                }
            }
            _ => {}
        }
    }
    let unmanaged: BTreeSet<String> = c
        .model
        .stacks
        .iter()
        .flat_map(|s| s.unmanaged_middlewares.iter().map(|(ns, n, _)| format!("{ns}-{n}@kubernetescrd")))
        .collect();
    assert!(declared.len() > 20 && named.len() > 500, "too few Middlewares or Ingresses to prove anything");
    let missing: Vec<String> = named
        .iter()
        .filter(|(_, m)| m.ends_with("@kubernetescrd") && !declared.contains(m) && !unmanaged.contains(m))
        .map(|(file, m)| format!("{file}: {m}"))
        .collect();
    assert!(missing.is_empty(), "Ingresses name Middlewares that do not exist:\n{}", missing.join("\n"));
    let unused: Vec<&String> = unmanaged.iter().filter(|m| !named.iter().any(|(_, n)| n == *m)).collect();
    assert!(unused.is_empty(), "unmanaged Middlewares no Ingress names: {unused:?}");
    eprintln!(
        "{} middleware references of Ingresses resolve: {} emitted Middlewares, {} unmanaged",
        named.len(),
        declared.len(),
        unmanaged.len()
    );
}
