//! The facts of one Kubernetes object (in the API's shape), the same extraction for the
//! object Terraform would create and the object hlc emits: a fact is a path (`container[web].image`),
//! a value (a canonical text, or unknown with where it comes from) and the construct it belongs
//! to. Kubernetes defaults are filled in, so a field left to its default on one side and spelt
//! out on the other is the same fact.

use std::collections::BTreeMap;

use super::value::{V, json_text, num_text};

#[derive(Clone, Debug, PartialEq)]
pub enum FV {
    Known(String),
    /// Known only outside the repository (Vault, tfvars, data sources): compared by presence.
    Unknown(String),
}

#[derive(Clone, Debug)]
pub struct Fact {
    pub construct: &'static str,
    pub value: FV,
    /// The fact whose presence this one depends on (a container for its fields): when that one
    /// differs, this one is not compared on its own.
    pub parent: Option<String>,
}

#[derive(Default)]
pub struct Facts(pub BTreeMap<String, Fact>);

impl Facts {
    fn add(&mut self, construct: &'static str, path: String, value: FV, parent: Option<&str>) {
        self.0.insert(path, Fact { construct, value, parent: parent.map(str::to_string) });
    }

    /// A fact from a value; nothing when absent (null).
    fn put(&mut self, construct: &'static str, path: String, v: Option<&V>, parent: Option<&str>) {
        if let Some(fv) = v.and_then(fv) {
            self.add(construct, path, fv, parent);
        }
    }

    /// A fact with a default for when the field is absent.
    fn put_or(&mut self, construct: &'static str, path: String, v: Option<&V>, default: &str, parent: Option<&str>) {
        let fv = v.and_then(fv).unwrap_or_else(|| FV::Known(default.to_string()));
        self.add(construct, path, fv, parent);
    }

    fn present(&mut self, construct: &'static str, path: String, parent: Option<&str>) {
        self.add(construct, path, FV::Known("present".into()), parent);
    }
}

/// A value as a fact: scalars as their text, lists and maps as JSON of their texts.
pub fn fv(v: &V) -> Option<FV> {
    if let Some(u) = v.unknown_part() {
        return Some(FV::Unknown(u.to_string()));
    }
    Some(FV::Known(match v {
        V::Null => return None,
        V::List(l) | V::Blocks(l) => {
            json_text(&V::List(l.iter().map(|x| x.text().map_or(x.clone(), V::Str)).collect()))
        }
        V::Map(_) => json_text(v),
        V::Encoded(inner) => json_text(inner),
        other => other.text().unwrap_or_default(),
    }))
}

/// A quantity (`500m`, `1Gi`, `0.5`, `2048Mi`) as one canonical number.
pub fn quantity(t: &str) -> Option<String> {
    let t = t.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+')).unwrap_or(t.len());
    let (num, suffix) = t.split_at(split);
    let n: f64 = num.parse().ok()?;
    let mult = match suffix {
        "" => 1.0,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "Ki" => 1024.0,
        "Mi" => 1024.0 * 1024.0,
        "Gi" => 1024.0 * 1024.0 * 1024.0,
        "Ti" => 1024.0f64.powi(4),
        _ => return None,
    };
    Some(num_text((n * mult * 1000.0).round() / 1000.0))
}

fn put_qty(f: &mut Facts, construct: &'static str, path: String, v: Option<&V>, parent: Option<&str>) {
    match v {
        None | Some(V::Null) => {}
        Some(v) => match v.text() {
            Some(t) => f.add(construct, path, FV::Known(quantity(&t).unwrap_or(t)), parent),
            None => f.put(construct, path, Some(v), parent),
        },
    }
}

fn text(v: Option<&V>) -> String {
    match v.and_then(fv) {
        Some(FV::Known(t)) => t,
        Some(FV::Unknown(u)) => format!("<{u}>"),
        None => String::new(),
    }
}

fn list<'a>(v: &'a V, key: &str) -> &'a [V] {
    v.get(key).and_then(V::as_list).unwrap_or_default()
}

/// Texts of a list, sorted, as one value.
fn sorted(v: Option<&V>) -> String {
    let mut t: Vec<String> = v.and_then(V::as_list).unwrap_or_default().iter().map(|x| text(Some(x))).collect();
    t.sort();
    t.join(",")
}

/// The facts of an object of `kind`; `repo_urls` gives a HelmRepository's URL by namespace and
/// name (for hlc's HelmReleases).
pub fn facts(kind: &str, obj: &V, repo_urls: &BTreeMap<(String, String), String>) -> Facts {
    let mut f = Facts::default();
    let spec = obj.obj("spec").cloned().unwrap_or(V::Null);
    match kind {
        "Deployment" | "StatefulSet" | "DaemonSet" => {
            if kind != "DaemonSet" {
                f.put_or("workload", "replicas".into(), spec.get("replicas"), "1", None);
            }
            let strategy = if kind == "Deployment" { spec.obj("strategy") } else { spec.obj("updateStrategy") };
            f.put_or("workload", "strategy".into(), strategy.and_then(|s| s.get("type")), "RollingUpdate", None);
            if let Some(pod_spec) = spec.obj("template").and_then(|t| t.obj("spec")) {
                pod(&mut f, pod_spec, "Always");
            }
        }
        "CronJob" => {
            f.put("cronjobs", "schedule".into(), spec.get("schedule"), None);
            f.put("cronjobs", "timeZone".into(), spec.get("timeZone"), None);
            f.put_or("cronjobs", "concurrencyPolicy".into(), spec.get("concurrencyPolicy"), "Allow", None);
            f.put_or(
                "cronjobs",
                "successfulJobsHistoryLimit".into(),
                spec.get("successfulJobsHistoryLimit"),
                "3",
                None,
            );
            f.put_or("cronjobs", "failedJobsHistoryLimit".into(), spec.get("failedJobsHistoryLimit"), "1", None);
            f.put("cronjobs", "startingDeadlineSeconds".into(), spec.get("startingDeadlineSeconds"), None);
            f.put_or("cronjobs", "suspend".into(), spec.get("suspend"), "false", None);
            let job = spec.obj("jobTemplate").and_then(|t| t.obj("spec")).cloned().unwrap_or(V::Null);
            job_facts(&mut f, "cronjobs", &job);
        }
        "Job" => {
            job_facts(&mut f, "jobs", &spec);
        }
        "Service" => service(&mut f, obj, &spec),
        "PersistentVolumeClaim" => {
            f.put("pvcs", "storageClassName".into(), spec.get("storageClassName"), None);
            let storage = spec.obj("resources").and_then(|r| r.get("requests")).and_then(|r| r.get("storage"));
            put_qty(&mut f, "pvcs", "storage".into(), storage, None);
            f.add("pvcs", "accessModes".into(), FV::Known(sorted(spec.get("accessModes"))), None);
        }
        "PersistentVolume" => {
            f.put("pvcs", "storageClassName".into(), spec.get("storageClassName"), None);
            put_qty(&mut f, "pvcs", "storage".into(), spec.get("capacity").and_then(|c| c.get("storage")), None);
            f.add("pvcs", "accessModes".into(), FV::Known(sorted(spec.get("accessModes"))), None);
            // The provider nests the source under `persistent_volume_source`.
            let src = spec.obj("persistentVolumeSource").unwrap_or(&spec);
            if let Some(nfs) = src.obj("nfs") {
                f.add(
                    "pvcs",
                    "nfs".into(),
                    FV::Known(format!("{}:{}", text(nfs.get("server")), text(nfs.get("path")))),
                    None,
                );
            }
        }
        "ConfigMap" => {
            for (k, v) in obj.get("data").and_then(V::as_map).into_iter().flatten() {
                f.put("configmaps", format!("data[{k}]"), Some(v), None);
            }
            for k in obj.get("binaryData").and_then(V::as_map).into_iter().flatten().map(|(k, _)| k) {
                f.present("configmaps", format!("binaryData[{k}]"), None);
            }
        }
        "Role" | "ClusterRole" => {
            for r in list(obj, "rules") {
                let key = format!(
                    "rule[groups={};resources={};verbs={};names={};urls={}]",
                    sorted(r.get("apiGroups")),
                    sorted(r.get("resources")),
                    sorted(r.get("verbs")),
                    sorted(r.get("resourceNames")),
                    sorted(r.get("nonResourceURLs")),
                );
                f.present("rbac", key, None);
            }
        }
        "RoleBinding" | "ClusterRoleBinding" => {
            let r = obj.obj("roleRef").cloned().unwrap_or(V::Null);
            f.add(
                "rbac",
                "roleRef".into(),
                FV::Known(format!("{}/{}", text(r.get("kind")), text(r.get("name")))),
                None,
            );
            for s in list(obj, "subjects") {
                let key =
                    format!("subject[{}/{}/{}]", text(s.get("kind")), text(s.get("namespace")), text(s.get("name")));
                f.present("rbac", key, None);
            }
        }
        "ResourceQuota" => {
            for (k, v) in spec.get("hard").and_then(V::as_map).into_iter().flatten() {
                put_qty(&mut f, "quotas", format!("hard[{k}]"), Some(v), None);
            }
        }
        "LimitRange" => {
            for l in list(&spec, "limits") {
                let ty = text(l.get("type"));
                for field in ["default", "defaultRequest", "max", "min", "maxLimitRequestRatio"] {
                    for (k, v) in l.get(field).and_then(V::as_map).into_iter().flatten() {
                        put_qty(&mut f, "quotas", format!("limit[{ty}].{field}.{k}"), Some(v), None);
                    }
                }
            }
        }
        "Namespace" => {
            let labels = obj.obj("metadata").and_then(|m| m.get("labels")).and_then(V::as_map);
            for (k, v) in labels.into_iter().flatten() {
                if k.starts_with("app.kubernetes.io/managed-by") || k.starts_with("hlc.") || k.starts_with("goldilocks")
                {
                    continue;
                }
                f.put("namespaces", format!("label[{k}]"), Some(v), None);
            }
        }
        "Ingress" => ingress(&mut f, obj, &spec),
        "HelmRelease" => helm(&mut f, obj, &spec, repo_urls),
        _ => {}
    }
    f
}

fn job_facts(f: &mut Facts, construct: &'static str, job: &V) {
    f.put_or(construct, "backoffLimit".into(), job.get("backoffLimit"), "6", None);
    f.put(construct, "ttlSecondsAfterFinished".into(), job.get("ttlSecondsAfterFinished"), None);
    f.put(construct, "activeDeadlineSeconds".into(), job.get("activeDeadlineSeconds"), None);
    if let Some(pod_spec) = job.obj("template").and_then(|t| t.obj("spec")) {
        pod(f, pod_spec, "Never");
    }
}

/// The facts of a pod spec; `restart` is the restart policy when none is written (a Job's
/// template defaults to `Never` in the provider's schema, a workload's to `Always`).
fn pod(f: &mut Facts, spec: &V, restart: &str) {
    // Named ports of the containers, so that a probe on `http` and one on 8080 agree.
    let mut named: BTreeMap<String, String> = BTreeMap::new();
    for c in list(spec, "containers").iter().chain(list(spec, "initContainers")) {
        for p in list(c, "ports") {
            if let (Some(n), Some(num)) = (p.get("name").and_then(V::text), p.get("containerPort").and_then(V::text)) {
                named.insert(n, num);
            }
        }
    }
    // Volumes by what they are (a claim, a ConfigMap, a host path), not by their names, which
    // are local to the pod; a mount names the source of its volume.
    let mut sources: BTreeMap<String, FV> = BTreeMap::new();
    for v in list(spec, "volumes") {
        let source = volume_source(v);
        let key = match &source {
            FV::Known(t) => format!("volume[{t}]"),
            FV::Unknown(_) => format!("volume[{}]", text(v.get("name"))),
        };
        f.add("volumes", key, source.clone(), None);
        sources.insert(text(v.get("name")), source);
    }
    for (field, label) in [("containers", "container"), ("initContainers", "initContainer")] {
        for c in list(spec, field) {
            container(f, label, c, &named, &sources);
        }
    }
    f.put("pod", "serviceAccountName".into(), spec.get("serviceAccountName").or(spec.get("serviceAccount")), None);
    f.put_or("pod", "hostNetwork".into(), spec.get("hostNetwork"), "false", None);
    f.put_or("pod", "hostPID".into(), spec.get("hostPID"), "false", None);
    f.put_or("pod", "dnsPolicy".into(), spec.get("dnsPolicy"), "ClusterFirst", None);
    f.put("pod", "dnsConfig".into(), spec.obj("dnsConfig"), None);
    f.put_or("pod", "terminationGracePeriodSeconds".into(), spec.get("terminationGracePeriodSeconds"), "30", None);
    f.put("pod", "priorityClassName".into(), spec.get("priorityClassName"), None);
    f.put_or("pod", "restartPolicy".into(), spec.get("restartPolicy"), restart, None);
    f.put("pod", "runtimeClassName".into(), spec.get("runtimeClassName"), None);
    for (k, v) in spec.get("nodeSelector").and_then(V::as_map).into_iter().flatten() {
        f.put("pod", format!("nodeSelector[{k}]"), Some(v), None);
    }
    for t in list(spec, "tolerations") {
        let key = format!(
            "toleration[{} {} {} {}]",
            text(t.get("key")),
            text(t.get("operator")),
            text(t.get("value")),
            text(t.get("effect"))
        );
        f.present("pod", key, None);
    }
    if let Some(a) = spec.obj("affinity").and_then(V::as_map) {
        let keys: Vec<&str> = a.iter().filter(|(_, v)| !v.is_null()).map(|(k, _)| k.as_str()).collect();
        if !keys.is_empty() {
            f.add("pod", "affinity".into(), FV::Known(keys.join(",")), None);
        }
    }
    let pulls: Vec<String> = list(spec, "imagePullSecrets").iter().map(|s| text(s.get("name"))).collect();
    if !pulls.is_empty() {
        f.add("pod", "imagePullSecrets".into(), FV::Known(pulls.join(",")), None);
    }
    if let Some(sc) = spec.obj("securityContext") {
        security(f, "pod.securityContext", sc, None);
    }
}

fn volume_source(v: &V) -> FV {
    let known = |kind: &str, x: Option<&V>| match x.and_then(fv) {
        Some(FV::Known(t)) => FV::Known(format!("{kind} {t}")),
        Some(FV::Unknown(u)) => FV::Unknown(u),
        None => FV::Known(kind.to_string()),
    };
    if let Some(p) = v.obj("persistentVolumeClaim") {
        return known("persistentVolumeClaim", p.get("claimName"));
    }
    if let Some(c) = v.obj("configMap") {
        return known("configMap", c.get("name"));
    }
    if let Some(s) = v.obj("secret") {
        return known("secret", s.get("secretName"));
    }
    if let Some(h) = v.obj("hostPath") {
        return known("hostPath", h.get("path"));
    }
    if let Some(n) = v.obj("nfs") {
        return FV::Known(format!("nfs {}:{}", text(n.get("server")), text(n.get("path"))));
    }
    if let Some(e) = v.obj("emptyDir") {
        let medium = text(e.get("medium"));
        return FV::Known(if medium.is_empty() { "emptyDir".into() } else { format!("emptyDir {medium}") });
    }
    if let Some(c) = v.obj("csi") {
        return known("csi", c.get("driver"));
    }
    let kinds: Vec<&str> = v.as_map().into_iter().flatten().map(|(k, _)| k.as_str()).filter(|k| *k != "name").collect();
    FV::Known(kinds.join(","))
}

/// The pull policy Kubernetes defaults to: `Always` for `:latest` or no tag, else `IfNotPresent`.
fn default_pull(image: Option<&V>) -> Option<String> {
    let image = image?.text()?;
    let last = image.rsplit('/').next().unwrap_or(&image);
    let always = !image.contains('@') && (!last.contains(':') || last.ends_with(":latest"));
    Some(if always { "Always" } else { "IfNotPresent" }.to_string())
}

fn container(f: &mut Facts, label: &str, c: &V, named: &BTreeMap<String, String>, sources: &BTreeMap<String, FV>) {
    let base = format!("{label}[{}]", text(c.get("name")));
    let p = Some(base.as_str());
    f.present("containers", base.clone(), None);
    f.put("containers", format!("{base}.image"), c.get("image"), p);
    f.put("containers", format!("{base}.command"), c.get("command"), p);
    f.put("containers", format!("{base}.args"), c.get("args"), p);
    f.put("containers", format!("{base}.workingDir"), c.get("workingDir"), p);
    match (c.get("imagePullPolicy").filter(|v| !v.is_null()), default_pull(c.get("image"))) {
        (Some(v), _) => f.put("containers", format!("{base}.imagePullPolicy"), Some(v), p),
        (None, Some(d)) => f.add("containers", format!("{base}.imagePullPolicy"), FV::Known(d), p),
        (None, None) => {}
    }
    for e in list(c, "env") {
        if let V::Unknown(u) = e {
            // A `dynamic "env"` over something unknown: which names is not known.
            f.add("env", format!("{base}.env[*]"), FV::Unknown(u.clone()), p);
            continue;
        }
        let name = text(e.get("name"));
        let value = match e.obj("valueFrom") {
            None => match e.get("value").and_then(fv) {
                Some(FV::Known(t)) => FV::Known(format!("value {t}")),
                Some(u) => u,
                None => FV::Known("value ".into()),
            },
            Some(from) => env_source(from),
        };
        f.add("env", format!("{base}.env[{name}]"), value, p);
    }
    for e in list(c, "envFrom") {
        let (kind, r) = match (e.obj("secretRef"), e.obj("configMapRef")) {
            (Some(r), _) => ("secret", r),
            (_, Some(r)) => ("configMap", r),
            _ => continue,
        };
        let prefix = text(e.get("prefix"));
        f.present(
            "env",
            format!(
                "{base}.envFrom[{kind} {}{}]",
                text(r.get("name")),
                if prefix.is_empty() { String::new() } else { format!(" prefix {prefix}") }
            ),
            p,
        );
    }
    for port in list(c, "ports") {
        let key = format!(
            "{base}.port[{}/{}]",
            text(port.get("containerPort")),
            port.get("protocol").and_then(V::text).unwrap_or("TCP".into())
        );
        let mut value = text(port.get("name"));
        if let Some(h) = port.get("hostPort").and_then(V::text) {
            value = format!("{value} hostPort {h}");
        }
        f.add("ports", key, FV::Known(value), p);
    }
    for m in list(c, "volumeMounts") {
        let key = format!("{base}.mount[{}]", text(m.get("mountPath")));
        f.present("mounts", key.clone(), p);
        let volume = text(m.get("name"));
        let source = sources.get(&volume).cloned().unwrap_or(FV::Known(format!("volume {volume} (not declared)")));
        f.add("mounts", format!("{key}.volume"), source, Some(&key));
        f.put("mounts", format!("{key}.subPath"), m.get("subPath").filter(|v| v.as_str() != Some("")), Some(&key));
        f.put_or("mounts", format!("{key}.readOnly"), m.get("readOnly"), "false", Some(&key));
    }
    for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
        let Some(pr) = c.obj(probe) else { continue };
        let key = format!("{base}.{probe}");
        f.present("probes", key.clone(), p);
        let k = Some(key.as_str());
        let port_of = |v: Option<&V>| {
            let t = text(v);
            named.get(&t).cloned().unwrap_or(t)
        };
        if let Some(h) = pr.obj("httpGet") {
            f.add("probes", format!("{key}.action"), FV::Known("httpGet".into()), k);
            f.put_or("probes", format!("{key}.path"), h.get("path"), "/", k);
            f.add("probes", format!("{key}.port"), FV::Known(port_of(h.get("port"))), k);
            f.put_or("probes", format!("{key}.scheme"), h.get("scheme"), "HTTP", k);
        } else if let Some(t) = pr.obj("tcpSocket") {
            f.add("probes", format!("{key}.action"), FV::Known("tcpSocket".into()), k);
            f.add("probes", format!("{key}.port"), FV::Known(port_of(t.get("port"))), k);
        } else if let Some(e) = pr.obj("exec") {
            f.add("probes", format!("{key}.action"), FV::Known("exec".into()), k);
            f.put("probes", format!("{key}.command"), e.get("command"), k);
        } else if let Some(g) = pr.obj("grpc") {
            f.add("probes", format!("{key}.action"), FV::Known("grpc".into()), k);
            f.add("probes", format!("{key}.port"), FV::Known(port_of(g.get("port"))), k);
        }
        for (field, default) in [
            ("initialDelaySeconds", "0"),
            ("periodSeconds", "10"),
            ("timeoutSeconds", "1"),
            ("successThreshold", "1"),
            ("failureThreshold", "3"),
        ] {
            f.put_or("probes", format!("{key}.{field}"), pr.get(field), default, k);
        }
    }
    if let Some(r) = c.obj("resources") {
        for side in ["requests", "limits"] {
            for (k, v) in r.get(side).and_then(V::as_map).into_iter().flatten() {
                put_qty(f, "resources", format!("{base}.resources.{side}.{k}"), Some(v), p);
            }
        }
    }
    if let Some(sc) = c.obj("securityContext") {
        security(f, &format!("{base}.securityContext"), sc, p);
    }
}

fn env_source(from: &V) -> FV {
    let pair = |kind: &str, r: &V, a: &str, b: &str| match (r.get(a).and_then(fv), r.get(b).and_then(fv)) {
        (Some(FV::Unknown(u)), _) | (_, Some(FV::Unknown(u))) => FV::Unknown(u),
        _ => FV::Known(format!("{kind} {}/{}", text(r.get(a)), text(r.get(b)))),
    };
    if let Some(r) = from.obj("secretKeyRef") {
        return pair("secretKeyRef", r, "name", "key");
    }
    if let Some(r) = from.obj("configMapKeyRef") {
        return pair("configMapKeyRef", r, "name", "key");
    }
    if let Some(r) = from.obj("fieldRef") {
        return FV::Known(format!("fieldRef {}", text(r.get("fieldPath"))));
    }
    if let Some(r) = from.obj("resourceFieldRef") {
        return FV::Known(format!("resourceFieldRef {}", text(r.get("resource"))));
    }
    FV::Known("valueFrom".into())
}

fn security(f: &mut Facts, base: &str, sc: &V, parent: Option<&str>) {
    for (k, v) in sc.as_map().into_iter().flatten() {
        match (k.as_str(), v) {
            ("capabilities", caps) => {
                let caps = match caps {
                    V::List(l) => l.first().cloned().unwrap_or(V::Null),
                    other => other.clone(),
                };
                for side in ["add", "drop"] {
                    let s = sorted(caps.get(side));
                    if !s.is_empty() {
                        f.add("security", format!("{base}.capabilities.{side}"), FV::Known(s), parent);
                    }
                }
            }
            (_, V::Map(_) | V::List(_) | V::Blocks(_)) => f.put("security", format!("{base}.{k}"), Some(v), parent),
            (_, v) => f.put("security", format!("{base}.{k}"), Some(v), parent),
        }
    }
}

fn service(f: &mut Facts, obj: &V, spec: &V) {
    let ty = spec.get("type").and_then(V::text).unwrap_or_else(|| "ClusterIP".into());
    f.add("services", "type".into(), FV::Known(ty.clone()), None);
    for p in list(spec, "ports") {
        let port = text(p.get("port"));
        let key = format!("port[{port}/{}]", p.get("protocol").and_then(V::text).unwrap_or("TCP".into()));
        f.present("services", key.clone(), None);
        let k = Some(key.as_str());
        match p.get("targetPort").filter(|v| !v.is_null()) {
            Some(t) => f.put("services", format!("{key}.targetPort"), Some(t), k),
            None => f.add("services", format!("{key}.targetPort"), FV::Known(port.clone()), k),
        }
        f.put("services", format!("{key}.nodePort"), p.get("nodePort"), k);
    }
    f.put("services", "clusterIP".into(), spec.get("clusterIP").filter(|v| v.as_str() != Some("")), None);
    f.put("services", "externalName".into(), spec.get("externalName"), None);
    for (k, v) in spec.get("selector").and_then(V::as_map).into_iter().flatten() {
        f.put("services", format!("selector[{k}]"), Some(v), None);
    }
    let annotations = obj.obj("metadata").and_then(|m| m.get("annotations"));
    let lb = spec
        .get("loadBalancerIP")
        .filter(|v| !v.is_null())
        .or_else(|| annotations.and_then(|a| a.get("metallb.universe.tf/loadBalancerIPs")))
        .or_else(|| annotations.and_then(|a| a.get("metallb.io/loadBalancerIPs")));
    f.put("services", "loadBalancerIP".into(), lb, None);
    if ty == "LoadBalancer" || ty == "NodePort" {
        f.put_or("services", "externalTrafficPolicy".into(), spec.get("externalTrafficPolicy"), "Cluster", None);
    }
}

fn ingress(f: &mut Facts, obj: &V, spec: &V) {
    f.put("ingresses", "ingressClassName".into(), spec.get("ingressClassName"), None);
    let hosts: Vec<String> = list(spec, "rules").iter().map(|r| text(r.get("host"))).collect();
    f.add("ingresses", "host".into(), FV::Known(hosts.join(",")), None);
    for r in list(spec, "rules") {
        for p in r.obj("http").map(|h| list(h, "paths")).unwrap_or_default() {
            let svc = p.obj("backend").and_then(|b| b.obj("service")).cloned().unwrap_or(V::Null);
            let port = svc.obj("port").cloned().unwrap_or(V::Null);
            let port = port.get("number").or(port.get("name"));
            let value = match (svc.get("name").and_then(fv), port.and_then(fv)) {
                (Some(FV::Unknown(u)), _) | (_, Some(FV::Unknown(u))) => FV::Unknown(u),
                _ => FV::Known(format!("{}:{}", text(svc.get("name")), text(port))),
            };
            f.add("ingresses", format!("path[{}{}]", text(r.get("host")), text(p.get("path"))), value, None);
        }
    }
    let mw = obj
        .obj("metadata")
        .and_then(|m| m.get("annotations"))
        .and_then(|a| a.get("traefik.ingress.kubernetes.io/router.middlewares"));
    let auth = match mw.and_then(fv) {
        Some(FV::Unknown(u)) => FV::Unknown(u),
        Some(FV::Known(t)) if t.contains("authentik-forward-auth-public") => FV::Known("public".into()),
        Some(FV::Known(t)) if t.contains("authentik-forward-auth") => FV::Known("required".into()),
        _ => FV::Known("none or app".into()),
    };
    f.add("ingresses", "auth".into(), auth, None);
}

fn helm(f: &mut Facts, obj: &V, spec: &V, repo_urls: &BTreeMap<(String, String), String>) {
    if let Some(chart) = spec.obj("chart").and_then(|c| c.obj("spec")) {
        // hlc's HelmRelease (Flux): chart, version, and the repository it points at.
        f.put("helm", "chart".into(), chart.get("chart"), None);
        f.put("helm", "version".into(), chart.get("version"), None);
        let src = chart.obj("sourceRef").cloned().unwrap_or(V::Null);
        let ns = src
            .get("namespace")
            .and_then(V::text)
            .or_else(|| obj.obj("metadata").and_then(|m| m.get("namespace")).and_then(V::text))
            .unwrap_or_default();
        let url = repo_urls.get(&(ns, text(src.get("name")))).cloned().unwrap_or_else(|| "<none>".into());
        f.add("helm", "repository".into(), FV::Known(url), None);
        let mut keys: std::collections::BTreeSet<String> =
            spec.get("values").and_then(V::as_map).into_iter().flatten().map(|(k, _)| k.clone()).collect();
        // `valuesFrom` with a `targetPath` sets that value (its first segment is a key of the
        // values) from a Secret or ConfigMap at install time; without one, the key holds a
        // whole values document hl does not see, so its keys are unknown.
        let mut whole_document = false;
        for r in spec.get("valuesFrom").and_then(V::as_list).unwrap_or_default() {
            match r.get("targetPath").and_then(V::text) {
                Some(p) => _ = keys.insert(p.split(['.', '[']).next().unwrap_or(&p).to_string()),
                None => whole_document = true,
            }
        }
        for k in keys {
            f.present("helm", format!("value[{k}]"), None);
        }
        if whole_document {
            let from = "a values document read from a Secret at install time (valuesFrom)";
            f.add("helm", "value[*]".into(), FV::Unknown(from.into()), None);
        }
        return;
    }
    // Terraform's helm_release (a resource body, not an object).
    f.put("helm", "chart".into(), obj.get("chart"), None);
    f.put("helm", "version".into(), obj.get("version"), None);
    let repo = obj.get("repository").and_then(V::text).map(|r| r.trim_end_matches('/').to_string());
    f.add("helm", "repository".into(), FV::Known(repo.unwrap_or_else(|| "<none>".into())), None);
    let mut keys: BTreeMap<String, FV> = BTreeMap::new();
    for v in obj.get("values").and_then(V::as_list).unwrap_or_default() {
        match v {
            V::Encoded(inner) => {
                for k in inner.as_map().into_iter().flatten().map(|(k, _)| k) {
                    keys.insert(k.clone(), FV::Known("present".into()));
                }
            }
            V::Str(t) => match super::value::yaml_doc(t) {
                Ok(serde_json::Value::Object(o)) => {
                    for k in o.keys() {
                        keys.insert(k.clone(), FV::Known("present".into()));
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    keys.insert("*".into(), FV::Unknown(format!("values that do not parse as YAML ({e})")));
                }
            },
            // Some interpolations are unknown (a secret, a data source): the keys are still the
            // template's own text, so they are compared; their values are not.
            V::Partial(t, u) => match super::value::yaml_doc(t) {
                Ok(serde_json::Value::Object(o)) => {
                    for k in o.keys() {
                        keys.insert(k.clone(), FV::Known("present".into()));
                    }
                }
                _ => {
                    keys.insert("*".into(), FV::Unknown(u.clone()));
                }
            },
            V::Unknown(u) => {
                keys.insert("*".into(), FV::Unknown(u.clone()));
            }
            _ => {}
        }
    }
    for s in ["set", "set_sensitive", "set_list"].iter().flat_map(|k| list(obj, k)) {
        if let Some(n) = s.get("name").and_then(V::text) {
            let top = n.split('.').next().unwrap_or(&n).split('[').next().unwrap_or(&n).to_string();
            keys.insert(top, FV::Known("present".into()));
        }
    }
    for (k, v) in keys {
        f.add("helm", format!("value[{k}]"), v, None);
    }
}
