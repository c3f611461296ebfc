//! From the Kubernetes provider's spelling to the API's: a `kubernetes_*` resource body
//! (snake_case, one block per list element, single blocks as one-element lists) becomes the
//! object the provider sends (camelCase, plural list fields, single blocks as objects).
//! Attribute maps (`labels`, `data`, `requests`, `selector`, ...) are the user's keys and are
//! kept as written.

use std::collections::BTreeMap;

use super::value::V;

/// The Kubernetes kind a Terraform resource type creates, for the types the test compares.
pub fn kind_of(rtype: &str) -> Option<&'static str> {
    let base = rtype.strip_suffix("_v1").unwrap_or(rtype);
    Some(match base {
        "kubernetes_deployment" => "Deployment",
        "kubernetes_stateful_set" => "StatefulSet",
        "kubernetes_daemonset" | "kubernetes_daemon_set" => "DaemonSet",
        "kubernetes_cron_job" => "CronJob",
        "kubernetes_job" => "Job",
        "kubernetes_service" => "Service",
        "kubernetes_config_map" => "ConfigMap",
        "kubernetes_secret" => "Secret",
        "kubernetes_persistent_volume_claim" => "PersistentVolumeClaim",
        "kubernetes_persistent_volume" => "PersistentVolume",
        "kubernetes_service_account" => "ServiceAccount",
        "kubernetes_role" => "Role",
        "kubernetes_role_binding" => "RoleBinding",
        "kubernetes_cluster_role" => "ClusterRole",
        "kubernetes_cluster_role_binding" => "ClusterRoleBinding",
        "kubernetes_resource_quota" => "ResourceQuota",
        "kubernetes_limit_range" => "LimitRange",
        "kubernetes_namespace" => "Namespace",
        "kubernetes_ingress" => "Ingress",
        "helm_release" => "HelmRelease",
        _ => return None,
    })
}

pub fn cluster_scoped(kind: &str) -> bool {
    matches!(kind, "Namespace" | "ClusterRole" | "ClusterRoleBinding" | "PersistentVolume")
}

/// Block types that are lists in the API, with their plural field name.
fn list_block(parent: &str, key: &str) -> Option<&'static str> {
    Some(match key {
        "container" => "containers",
        "init_container" => "initContainers",
        "env" => "env",
        "env_from" => "envFrom",
        "volume_mount" => "volumeMounts",
        "volume" => "volumes",
        "toleration" => "tolerations",
        "rule" => "rules",
        "subject" => "subjects",
        "image_pull_secrets" => "imagePullSecrets",
        "host_aliases" => "hostAliases",
        "path" => "paths",
        "tls" => "tls",
        "match_expressions" => "matchExpressions",
        "node_selector_term" => "nodeSelectorTerms",
        "preferred_during_scheduling_ignored_during_execution" => "preferredDuringSchedulingIgnoredDuringExecution",
        "required_during_scheduling_ignored_during_execution" if parent != "nodeAffinity" => {
            "requiredDuringSchedulingIgnoredDuringExecution"
        }
        "items" => "items",
        "option" => "options",
        "topology_spread_constraint" => "topologySpreadConstraints",
        "volume_claim_template" => "volumeClaimTemplates",
        "sysctl" => "sysctls",
        "limit" => "limits",
        "port" if parent != "service" => "ports",
        "sources" => "sources",
        _ => return None,
    })
}

/// A provider field name in the API's spelling.
fn rename(key: &str) -> String {
    match key {
        "timezone" => return "timeZone".into(),
        "load_balancer_ip" => return "loadBalancerIP".into(),
        "cluster_ip" => return "clusterIP".into(),
        "cluster_ips" => return "clusterIPs".into(),
        "external_ips" => return "externalIPs".into(),
        "host_ip" => return "hostIP".into(),
        "host_pid" => return "hostPID".into(),
        "host_ipc" => return "hostIPC".into(),
        "non_resource_urls" => return "nonResourceURLs".into(),
        _ => {}
    }
    let mut out = String::new();
    let mut up = false;
    for c in key.chars() {
        if c == '_' {
            up = true;
        } else if up {
            out.extend(c.to_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// A block body in the API's shape.
pub fn to_api(body: &V, parent: &str) -> V {
    let V::Map(m) = body else { return body.clone() };
    let mut out = BTreeMap::new();
    for (k, v) in m {
        match v {
            V::Blocks(items) => match list_block(parent, k) {
                Some(plural) => {
                    let list = items.iter().map(|b| to_api(b, plural)).collect();
                    out.insert(plural.to_string(), V::List(list));
                }
                None => {
                    let name = rename(k);
                    if let Some(first) = items.first() {
                        let inner = to_api(first, &name);
                        out.insert(name, inner);
                    }
                }
            },
            other => {
                out.insert(rename(k), other.clone());
            }
        }
    }
    V::Map(out)
}
