//! What hl-apply sends is what `hlc build` writes: every object of `stacks/` read back from its
//! YAML and written again gives the same bytes (no string turned into a number or a boolean,
//! no key reordered), and the apply order follows the waves.

use hlc_core::{DiskHost, compile_host};

#[test]
fn manifests_of_the_real_stacks_round_trip_and_follow_the_waves() {
    let stacks = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../stacks");
    let c = compile_host(&DiskHost::new(&stacks)).expect("read stacks/");
    assert!(!c.has_errors());
    let artifacts = c.artifacts.iter().map(|a| (a.path.as_str(), a.contents.as_str()));
    let manifests = hl_apply::manifests(artifacts, &c.graph.waves).expect("every object parses");
    let objects = c
        .artifacts
        .iter()
        .filter(|a| {
            a.path.starts_with("k8s/") && !a.path.starts_with("k8s/flux/") && !a.path.ends_with("/kustomization.yaml")
        })
        .count();
    assert_eq!(manifests.len(), objects);
    let mut last_wave = 0;
    // The workspace's own stack label (stacks/cluster.hl).
    let stack_label = c.model.facts.stack_label();
    assert_eq!(stack_label, "hlc.viktorbarzin.me/stack");
    for m in &manifests {
        let original = c.artifact(&m.path).expect("artifact").contents.as_str();
        assert_eq!(hl_apply::to_yaml(&m.doc), original, "{} does not round-trip", m.path);
        assert!(m.wave >= last_wave, "{} out of wave order", m.path);
        last_wave = m.wave;
        let labels = &m.doc["metadata"]["labels"];
        assert_eq!(labels[hl_apply::MANAGED_BY_LABEL], "hlc", "{}", m.path);
        assert_eq!(labels[stack_label.as_str()], m.stack.as_str(), "{}", m.path);
    }
}

#[test]
fn quoted_scalars_stay_strings() {
    let yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: \"true\"\n  b: \"80\"\n  c: \"0755\"\n  d: \"1.10\"\n  e: \"null\"\n";
    let m = hl_apply::manifests([("k8s/s/configmap-x.yaml", yaml)], &[vec!["s".to_string()]]).expect("parses");
    for k in ["a", "b", "c", "d", "e"] {
        assert!(m[0].doc["data"][k].is_string(), "{k}: {}", m[0].doc["data"][k]);
    }
}
