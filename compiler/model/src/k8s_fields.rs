//! The fields of a service that hl passes to Kubernetes as written (the schemas of
//! `stdlib/pod.hl`): read into JSON objects in Kubernetes' own spelling, for the emitter to lay
//! over the objects it builds. The standard library types them; this module only renames
//! (`initial_delay_seconds` → `initialDelaySeconds`), keeps what the program wrote (never a
//! schema default) and checks what needs the rest of the service: that a probe names a port the
//! container has, and that a number fits the 32 bits Kubernetes gives most of them.

use hl_diagnostics::{Code, Diagnostic, Span};
use hl_eval::{Record, Value, ValueKind};
use serde_json::{Map, Value as Json};

/// Fields of the main container (and of an extra or init container) that go into its
/// `Container` object, by hl name.
pub const CONTAINER_FIELDS: &[&str] = &[
    "liveness_probe",
    "readiness_probe",
    "startup_probe",
    "security_context",
    "lifecycle",
    "image_pull_policy",
    "working_dir",
    "env_from",
    "tty",
    "stdin",
];

/// Fields of a service that go into its pod's `PodSpec`, by hl name (`pod_security_context` is
/// the pod's `securityContext`).
pub const POD_FIELDS: &[&str] = &[
    "tolerations",
    "affinity",
    "topology_spread_constraints",
    "pod_security_context",
    "service_account_name",
    "automount_service_account_token",
    "host_network",
    "host_pid",
    "dns_policy",
    "dns_config",
    "host_aliases",
    "termination_grace_period_seconds",
    "runtime_class_name",
    "enable_service_links",
    "share_process_namespace",
    "restart_policy",
    "node_name",
    "image_pull_secrets",
];

/// Fields of a CronJob's spec.
pub const CRONJOB_FIELDS: &[&str] =
    &["concurrency_policy", "starting_deadline_seconds", "successful_jobs_history_limit", "failed_jobs_history_limit"];

/// Fields of a Deployment's, StatefulSet's or DaemonSet's spec (each takes those it has).
pub const WORKLOAD_FIELDS: &[&str] =
    &["revision_history_limit", "min_ready_seconds", "progress_deadline_seconds", "pod_management_policy"];

/// Fields of a Job's spec (also the spec of a CronJob's Jobs).
pub const JOB_FIELDS: &[&str] =
    &["backoff_limit", "ttl_seconds_after_finished", "active_deadline_seconds", "completions", "parallelism"];

/// Kubernetes fields that are 64-bit; every other number it takes here is 32-bit.
const INT64_FIELDS: &[&str] = &[
    "run_as_user",
    "run_as_group",
    "fs_group",
    "supplemental_groups",
    "active_deadline_seconds",
    "starting_deadline_seconds",
    "toleration_seconds",
    "termination_grace_period_seconds",
];

/// `initial_delay_seconds` → `initialDelaySeconds` (and the one name Kubernetes capitalises
/// otherwise: `non_resource_urls` → `nonResourceURLs`).
pub fn camel(name: &str) -> String {
    // Kubernetes writes these acronyms in capitals inside a name.
    match name {
        "non_resource_urls" => return "nonResourceURLs".to_string(),
        "host_pid" => return "hostPID".to_string(),
        "host_ipc" => return "hostIPC".to_string(),
        "cluster_ip" => return "clusterIP".to_string(),
        "cluster_ips" => return "clusterIPs".to_string(),
        "external_ips" => return "externalIPs".to_string(),
        "load_balancer_ip" => return "loadBalancerIP".to_string(),
        "pod_ip" => return "podIP".to_string(),
        "target_wwns" => return "targetWWNs".to_string(),
        _ => {}
    }
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Reads the Kubernetes fields of one record, reporting what cannot be emitted.
pub struct Reader<'d> {
    pub diags: &'d mut Vec<Diagnostic>,
}

impl Reader<'_> {
    /// The fields `names` of `r` that the program wrote, as one JSON object in Kubernetes'
    /// spelling (`pod_security_context` becomes `securityContext`).
    pub fn object(&mut self, r: &Record, names: &[&str]) -> Map<String, Json> {
        let mut out = Map::new();
        for &name in names {
            let Some(v) = r.fields.get(name) else { continue };
            if r.defaults.contains(name) || v.is_null() {
                continue;
            }
            let key = match name {
                "pod_security_context" => "securityContext".to_string(),
                _ => camel(name),
            };
            out.insert(key, self.json(v, name));
        }
        out
    }

    /// A value as Kubernetes JSON: records keep the fields the program wrote, renamed;
    /// maps keep their keys; enum variants are their names; quantities their text.
    pub fn json(&mut self, v: &Value, field: &str) -> Json {
        match &v.kind {
            ValueKind::Null | ValueKind::Error | ValueKind::Func(_) | ValueKind::Module(_) => Json::Null,
            ValueKind::Bool(b) => Json::Bool(*b),
            ValueKind::Int(i) => {
                let wide = INT64_FIELDS.contains(&field);
                if !wide && i32::try_from(*i).is_err() {
                    self.diags.push(
                        Diagnostic::new(
                            Code::OutOfRange,
                            format!("`{field}` is {i}, more than Kubernetes takes"),
                            v.span,
                            "outside the 32-bit range",
                        )
                        .with_help(format!("Kubernetes reads `{}` as a 32-bit number", camel(field))),
                    );
                }
                Json::from(*i)
            }
            ValueKind::Float(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
            ValueKind::Str(s) => Json::String(s.clone()),
            ValueKind::Quantity(q) => Json::String(q.display()),
            ValueKind::List(l) => Json::Array(l.iter().map(|x| self.json(x, field)).collect()),
            ValueKind::Map(m) => Json::Object(m.iter().map(|(k, x)| (k.clone(), self.json(x, field))).collect()),
            ValueKind::Record(r) => Json::Object(
                r.fields
                    .iter()
                    .filter(|(k, x)| !x.is_null() && !r.defaults.contains(*k))
                    .map(|(k, x)| (camel(k), self.json(x, k)))
                    .collect(),
            ),
            ValueKind::Enum(e) => match &e.payload {
                None => Json::String(e.variant.clone()),
                Some(p) => Json::Object([(camel(&e.variant), self.json(p, field))].into_iter().collect()),
            },
        }
    }

    /// The `env` entries of `env_value_from`: `{name, valueFrom}` in declaration order.
    pub fn env_value_from(&mut self, r: &Record) -> Vec<Json> {
        let Some(m) = r.fields.get("env_value_from").and_then(Value::as_map) else { return Vec::new() };
        m.iter()
            .map(|(name, src)| {
                let mut e = Map::new();
                e.insert("name".into(), Json::String(name.clone()));
                e.insert("valueFrom".into(), self.json(src, "env_value_from"));
                Json::Object(e)
            })
            .collect()
    }

    /// Probes and lifecycle hooks that name a port the container does not have (by name; a
    /// number may be any port the process listens on).
    pub fn check_port_names(&mut self, r: &Record, container: &str, ports: &[(String, u16)], fallback: Span) {
        let mut refs: Vec<(&'static str, &Value)> = Vec::new();
        for probe in ["liveness_probe", "readiness_probe", "startup_probe"] {
            if let Some(p) = r.fields.get(probe).and_then(Value::as_record) {
                action_ports(p, probe, &mut refs);
            }
        }
        if let Some(l) = r.fields.get("lifecycle").and_then(Value::as_record) {
            for hook in ["post_start", "pre_stop"] {
                if let Some(h) = l.fields.get(hook).and_then(Value::as_record) {
                    action_ports(h, hook, &mut refs);
                }
            }
        }
        for (what, port) in refs {
            let Some(name) = port.as_str() else { continue };
            if ports.iter().any(|(p, _)| p == name) {
                continue;
            }
            let known: Vec<&str> = ports.iter().map(|(p, _)| p.as_str()).collect();
            let at = if port.span.start == port.span.end { fallback } else { port.span };
            let d = Diagnostic::new(
                Code::UnknownReference,
                format!(
                    "the {} of `{container}` names port `{name}`, which the container does not have",
                    what.replace('_', " ")
                ),
                at,
                "no such port",
            );
            self.diags.push(if known.is_empty() {
                d.with_help("declare the port (`port http = 8080`), or give its number")
            } else {
                d.with_help(format!("the container's ports: {}", known.join(", ")))
            });
        }
    }
}

/// The `port` values of a probe's or a hook's HTTP and TCP actions.
fn action_ports<'v>(action: &'v Record, what: &'static str, out: &mut Vec<(&'static str, &'v Value)>) {
    for kind in ["http_get", "tcp_socket"] {
        if let Some(port) = action.fields.get(kind).and_then(Value::as_record).and_then(|a| a.fields.get("port")) {
            out.push((what, port));
        }
    }
}

/// The stack-level objects hl passes to Kubernetes as written: the stack's field, the object's
/// apiVersion and kind, and whether it lives in a namespace.
pub const OBJECT_KINDS: &[(&str, &str, &str, bool)] = &[
    ("service_account", "v1", "ServiceAccount", true),
    ("role", "rbac.authorization.k8s.io/v1", "Role", true),
    ("role_binding", "rbac.authorization.k8s.io/v1", "RoleBinding", true),
    ("cluster_role", "rbac.authorization.k8s.io/v1", "ClusterRole", false),
    ("cluster_role_binding", "rbac.authorization.k8s.io/v1", "ClusterRoleBinding", false),
    ("resource_quota", "v1", "ResourceQuota", true),
    ("limit_range", "v1", "LimitRange", true),
    ("config_map", "v1", "ConfigMap", true),
    ("pod_disruption_budget", "policy/v1", "PodDisruptionBudget", true),
    ("priority_class", "scheduling.k8s.io/v1", "PriorityClass", false),
    ("network_policy", "networking.k8s.io/v1", "NetworkPolicy", true),
    ("persistent_volume", "v1", "PersistentVolume", false),
    ("storage_class", "storage.k8s.io/v1", "StorageClass", false),
    ("token_secret", "v1", "Secret", true),
    ("middleware", "traefik.io/v1alpha1", "Middleware", true),
    ("ingress_route", "traefik.io/v1alpha1", "IngressRoute", true),
    ("ingress_route_tcp", "traefik.io/v1alpha1", "IngressRouteTCP", true),
];

/// The verbs a Role's rule may name.
const VERBS: &[&str] = &[
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
    "*",
    "use",
    "bind",
    "escalate",
    "impersonate",
    "approve",
    "sign",
];

impl Reader<'_> {
    /// An object's body: every field but its metadata (`namespace`, `labels`, `annotations`),
    /// as written. A rule's verbs are checked.
    pub fn object_body(&mut self, r: &Record) -> Map<String, Json> {
        if let Some(rules) = r.fields.get("rules").and_then(Value::as_list) {
            for rule in rules.iter().filter_map(Value::as_record) {
                for verb in rule.fields.get("verbs").and_then(Value::as_list).unwrap_or_default() {
                    let Some(v) = verb.as_str() else { continue };
                    if !VERBS.contains(&v) {
                        let d = Diagnostic::new(
                            Code::InvalidValue,
                            format!("`{v}` is not a verb Kubernetes authorizes"),
                            verb.span,
                            "unknown verb",
                        );
                        let hint = hl_diagnostics::did_you_mean(v, VERBS.iter().copied());
                        self.diags.push(match hint {
                            Some(c) => d.with_help(format!("did you mean `{c}`?")),
                            None => d.with_help(format!("the verbs: {}", VERBS.join(", "))),
                        });
                    }
                }
            }
        }
        let names: Vec<&str> = r
            .fields
            .keys()
            .map(String::as_str)
            .filter(|k| !matches!(*k, "name" | "namespace" | "labels" | "annotations"))
            .collect();
        self.object(r, &names)
    }
}

#[cfg(test)]
mod tests {
    use super::camel;

    #[test]
    fn names_become_kubernetes_names() {
        assert_eq!(camel("initial_delay_seconds"), "initialDelaySeconds");
        assert_eq!(
            camel("required_during_scheduling_ignored_during_execution"),
            "requiredDuringSchedulingIgnoredDuringExecution"
        );
        assert_eq!(camel("se_linux_options"), "seLinuxOptions");
        assert_eq!(camel("exec"), "exec");
    }
}
