//! Kubernetes manifests, following what the homelab's factory modules emit.

use std::collections::BTreeMap;

use hl_diagnostics::{Code, Diagnostic, Span};
use hl_model::{
    AuthMode, Container as MContainer, EnvSecret, ExternalSecret, Facts, FluxSource, Frontend, Ingress, Mount,
    Namespace, Resources, Service, Stack, Upstream, Volume, VolumeSource, WorkloadKind,
};
use k8s_openapi::api::apps::v1::{
    DaemonSet, DaemonSetSpec, DaemonSetUpdateStrategy, Deployment, DeploymentSpec, DeploymentStrategy, StatefulSet,
    StatefulSetSpec,
};
use k8s_openapi::api::batch::v1::{CronJob, CronJobSpec, Job, JobSpec, JobTemplateSpec};
use k8s_openapi::api::core::v1::{
    CSIPersistentVolumeSource, ConfigMap, ConfigMapVolumeSource, Container, ContainerPort, EmptyDirVolumeSource,
    EnvFromSource, EnvVar, EnvVarSource, HostPathVolumeSource, KeyToPath, NFSVolumeSource, Namespace as K8sNamespace,
    PersistentVolume, PersistentVolumeClaim, PersistentVolumeClaimSpec, PersistentVolumeClaimVolumeSource,
    PersistentVolumeSpec, PodSpec, PodTemplateSpec, ResourceRequirements, SecretEnvSource, SecretKeySelector,
    SecretVolumeSource, Service as K8sService, ServicePort, ServiceSpec, VolumeMount, VolumeResourceRequirements,
};
use k8s_openapi::api::discovery::v1::{Endpoint, EndpointPort, EndpointSlice};
use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, Ingress as K8sIngress, IngressBackend, IngressRule, IngressServiceBackend,
    IngressSpec, IngressTLS, ServiceBackendPort,
};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::{Value as Json, json};

use crate::yaml::{to_yaml, to_yaml_buffered};
use crate::{Object, StackOutput};

/// Every object of one stack, in a stable order: the namespaces it owns first (a namespace it
/// only uses is its owner's, or Kubernetes', to emit), then each service's objects in
/// declaration order, then frontends, the stack's volumes, ingresses and secrets, and its Helm
/// releases. Identical objects declared twice (a claim shared by two services) are emitted
/// once; different objects with the same kind, namespace and name are an error.
pub fn emit_stack(stack: &Stack, facts: &Facts) -> StackOutput {
    let mut e = Emitter {
        stack: &stack.name,
        stack_label: facts.stack_label(),
        facts,
        objects: Vec::new(),
        diags: Vec::new(),
        buf: String::with_capacity(4096),
    };
    // A namespace the stack only uses is its owner's (or Kubernetes') to emit.
    for ns in stack.owned_namespaces() {
        e.namespace(ns);
    }
    for svc in &stack.services {
        e.service(svc);
    }
    for f in &stack.frontends {
        e.frontend(f);
    }
    for v in &stack.volumes {
        e.volume_objects(&v.namespace, &v.volume);
    }
    for ing in &stack.ingresses {
        e.ingress(ing);
    }
    for s in &stack.secrets {
        e.external_secret(s);
    }
    for h in &stack.helm {
        e.helm(h);
    }
    for o in &stack.objects {
        e.kube_object(o);
    }
    StackOutput { objects: e.objects, diagnostics: e.diags }
}

/// The Flux Kustomization that applies a stack's directory (`./<path>/k8s/<stack>` in the
/// repository `source` names) after the stacks it depends on, written to `k8s/flux/<stack>.yaml`.
/// `depends_on` is taken as given: the caller leaves out stacks with nothing to apply.
///
/// ```
/// let source = hl_model::FluxSource {
///     name: "homelab".into(),
///     namespace: "flux-system".into(),
///     url: "https://example.org/infra.git".into(),
///     branch: "main".into(),
///     secret: None,
///     interval_ms: 60_000,
///     path: "out".into(),
///     span: Default::default(),
/// };
/// let yaml = hl_emit::flux_kustomization("immich", &["dbaas", "external-secrets"], &source, &[]);
/// assert!(yaml.contains("path: ./out/k8s/immich"));
/// assert!(yaml.contains("- name: dbaas"));
/// assert!(yaml.contains("kind: GitRepository\n    name: homelab"));
/// ```
pub fn flux_kustomization(stack: &str, depends_on: &[&str], source: &FluxSource, ignore: &[ImageOwner]) -> String {
    // Typed rather than `json!`: there are as many of these as stacks.
    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Spec<'a> {
        interval: &'static str,
        path: String,
        prune: bool,
        source_ref: Ref<'a>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        depends_on: Vec<Name<'a>>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        ignore: Vec<Ignore<'a>>,
    }
    #[derive(serde::Serialize)]
    struct Ignore<'a> {
        paths: &'a [String],
        target: Target<'a>,
    }
    #[derive(serde::Serialize)]
    struct Target<'a> {
        group: &'static str,
        kind: &'static str,
        name: &'a str,
        namespace: &'a str,
    }
    #[derive(serde::Serialize)]
    struct Ref<'a> {
        kind: &'static str,
        name: &'a str,
    }
    #[derive(serde::Serialize)]
    struct Name<'a> {
        name: &'a str,
    }
    to_yaml(&FluxObject {
        api_version: "kustomize.toolkit.fluxcd.io/v1",
        kind: "Kustomization",
        metadata: Metadata { name: stack, namespace: &source.namespace },
        spec: Spec {
            interval: "10m",
            path: source.repo_path(&format!("k8s/{stack}")),
            prune: true,
            source_ref: Ref { kind: "GitRepository", name: &source.name },
            depends_on: depends_on.iter().map(|name| Name { name }).collect(),
            ignore: ignore
                .iter()
                .map(|o| Ignore {
                    paths: &o.paths,
                    target: Target { group: "apps", kind: o.kind, name: &o.name, namespace: &o.namespace },
                })
                .collect(),
        },
    })
}

/// A workload whose container images Keel updates in the cluster: Flux must not put back the
/// tags hl wrote, so its Kustomization leaves `paths` (JSON Pointers) alone after creation,
/// as the Terraform's `ignore_changes` on the image did.
#[derive(Clone, Debug, PartialEq)]
pub struct ImageOwner {
    /// `Deployment`, `StatefulSet` or `DaemonSet`.
    pub kind: &'static str,
    /// The workload's name.
    pub name: String,
    /// The workload's namespace.
    pub namespace: String,
    /// `/spec/template/spec/containers/<i>/image` and the same for init containers.
    pub paths: Vec<String>,
}

/// The workloads of `stack` whose images Keel owns: those of a long-running kind in a namespace
/// enrolled in Keel (`enrolled(namespace)`) whose policy is not `never`.
pub fn keel_owned(stack: &Stack, enrolled: &dyn Fn(&str) -> bool) -> Vec<ImageOwner> {
    stack
        .services
        .iter()
        .filter(|svc| svc.keel.as_deref() != Some("never") && enrolled(&svc.namespace))
        .filter_map(|svc| {
            let kind = match svc.kind {
                WorkloadKind::Deployment => "Deployment",
                WorkloadKind::StatefulSet => "StatefulSet",
                WorkloadKind::DaemonSet => "DaemonSet",
                WorkloadKind::CronJob | WorkloadKind::Job => return None,
            };
            let containers = (0..=svc.containers.len()).map(|i| format!("/spec/template/spec/containers/{i}/image"));
            let init = (0..svc.init_containers.len()).map(|i| format!("/spec/template/spec/initContainers/{i}/image"));
            Some(ImageOwner {
                kind,
                name: svc.name.clone(),
                namespace: svc.namespace.clone(),
                paths: containers.chain(init).collect(),
            })
        })
        .collect()
}

/// The Flux `GitRepository` every Kustomization of [`flux_kustomization`] names: the
/// repository and branch the output is committed to, fetched every `interval`.
///
/// ```
/// let source = hl_model::FluxSource {
///     name: "homelab".into(),
///     namespace: "flux-system".into(),
///     url: "https://example.org/infra.git".into(),
///     branch: "main".into(),
///     secret: Some("homelab-deploy-key".into()),
///     interval_ms: 90_000,
///     path: "out".into(),
///     span: Default::default(),
/// };
/// let yaml = hl_emit::flux_git_repository(&source);
/// assert!(yaml.starts_with("apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\n"));
/// assert!(yaml.contains("interval: 1m30s"));
/// assert!(yaml.contains("ref:\n    branch: main"));
/// assert!(yaml.contains("secretRef:\n    name: homelab-deploy-key"));
/// ```
pub fn flux_git_repository(source: &FluxSource) -> String {
    #[derive(serde::Serialize)]
    struct Spec<'a> {
        interval: String,
        url: &'a str,
        #[serde(rename = "ref")]
        reference: Ref<'a>,
        #[serde(rename = "secretRef", skip_serializing_if = "Option::is_none")]
        secret_ref: Option<SecretRef<'a>>,
    }
    #[derive(serde::Serialize)]
    struct Ref<'a> {
        branch: &'a str,
    }
    #[derive(serde::Serialize)]
    struct SecretRef<'a> {
        name: &'a str,
    }
    to_yaml(&FluxObject {
        api_version: "source.toolkit.fluxcd.io/v1",
        kind: "GitRepository",
        metadata: Metadata { name: &source.name, namespace: &source.namespace },
        spec: Spec {
            interval: go_duration(source.interval_ms),
            url: &source.url,
            reference: Ref { branch: &source.branch },
            secret_ref: source.secret.as_deref().map(|name| SecretRef { name }),
        },
    })
}

/// A Flux object: its type, name and namespace, and its spec.
#[derive(serde::Serialize)]
struct FluxObject<'a, S> {
    #[serde(rename = "apiVersion")]
    api_version: &'static str,
    kind: &'static str,
    metadata: Metadata<'a>,
    spec: S,
}

/// A Flux object's metadata: its name and namespace.
#[derive(serde::Serialize)]
struct Metadata<'a> {
    name: &'a str,
    namespace: &'a str,
}

/// Milliseconds as a Go duration, the form Flux's intervals take, without its zero parts:
/// `1h30m`, `45s`, `1m500ms`.
fn go_duration(ms: u64) -> String {
    if ms == 0 {
        return "0s".into();
    }
    let parts = [(ms / 3_600_000, "h"), (ms / 60_000 % 60, "m"), (ms / 1_000 % 60, "s"), (ms % 1_000, "ms")];
    parts.iter().filter(|(n, _)| *n > 0).map(|(n, unit)| format!("{n}{unit}")).collect()
}

/// The `kustomization.yaml` listing a stack's files (names inside the stack directory), sorted.
///
/// ```
/// let yaml = hl_emit::kustomization(&["service-web.yaml", "deployment-web.yaml"]);
/// assert!(yaml.find("deployment-web.yaml") < yaml.find("service-web.yaml"));
/// ```
pub fn kustomization<S: AsRef<str>>(files: &[S]) -> String {
    #[derive(serde::Serialize)]
    struct Kustomization<'a> {
        #[serde(rename = "apiVersion")]
        api_version: &'static str,
        kind: &'static str,
        resources: Vec<&'a str>,
    }
    let mut resources: Vec<&str> = files.iter().map(AsRef::as_ref).collect();
    resources.sort_unstable();
    to_yaml(&Kustomization { api_version: "kustomize.config.k8s.io/v1beta1", kind: "Kustomization", resources })
}

struct Emitter<'s> {
    /// The stack being emitted: every object carries it in its stack label.
    stack: &'s str,
    /// The stack label's key ([`Facts::stack_label`]).
    stack_label: String,
    /// The cluster facts: the ingress controller, annotations, resources and NFS settings.
    facts: &'s Facts,
    objects: Vec<Object>,
    diags: Vec<Diagnostic>,
    /// Scratch space every object's YAML is written into before it is copied out.
    buf: String,
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn extend(map: &mut BTreeMap<String, String>, extra: &[(String, String)]) {
    for (k, v) in extra {
        map.insert(k.clone(), v.clone());
    }
}

fn non_empty<K, V>(m: BTreeMap<K, V>) -> Option<BTreeMap<K, V>> {
    if m.is_empty() { None } else { Some(m) }
}

fn non_empty_vec<T>(v: Vec<T>) -> Option<Vec<T>> {
    if v.is_empty() { None } else { Some(v) }
}

fn meta(name: &str, namespace: Option<&str>) -> ObjectMeta {
    ObjectMeta { name: Some(name.to_string()), namespace: namespace.map(str::to_string), ..Default::default() }
}

/// The label every emitted object carries with the value `hlc`: what `hlc apply --prune` looks
/// for (with the workspace's stack label, [`Facts::stack_label`]) to find the objects hlc put
/// into a cluster.
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";

/// A custom resource (Traefik, External Secrets, Flux) whose spec is built as JSON. Its keys come
/// out in the order of the fields: `apiVersion`, `kind`, `metadata` (`labels`, `name`,
/// `namespace`, alphabetical like a typed object's metadata), `spec`.
#[derive(serde::Serialize)]
struct CustomResource<'a> {
    #[serde(rename = "apiVersion")]
    api_version: &'a str,
    kind: &'a str,
    metadata: CustomMeta<'a>,
    spec: &'a Json,
}

#[derive(serde::Serialize)]
struct CustomMeta<'a> {
    labels: OwnershipLabels<'a>,
    name: &'a str,
    namespace: &'a str,
}

/// [`MANAGED_BY_LABEL`] and the stack label, sorted like every other label map.
struct OwnershipLabels<'a> {
    key: &'a str,
    stack: &'a str,
}

impl serde::Serialize for OwnershipLabels<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(2))?;
        if MANAGED_BY_LABEL < self.key {
            map.serialize_entry(MANAGED_BY_LABEL, "hlc")?;
            map.serialize_entry(self.key, self.stack)?;
        } else {
            map.serialize_entry(self.key, self.stack)?;
            map.serialize_entry(MANAGED_BY_LABEL, "hlc")?;
        }
        map.end()
    }
}

impl Emitter<'_> {
    /// Serialise a typed object with the ownership labels added to its `metadata.labels`.
    ///
    /// The object is serialised as it is, not through `serde_json::Value`: typed objects write
    /// their metadata fields in declared (alphabetical) order, so `labels` lands where sorting
    /// the keys of a JSON copy put it, and the YAML is the same.
    fn push<T>(&mut self, mut obj: T, name: &str, namespace: Option<&str>, origin: Span)
    where
        T: serde::Serialize + k8s_openapi::Resource + k8s_openapi::Metadata<Ty = ObjectMeta>,
    {
        let l = obj.metadata_mut().labels.get_or_insert_with(BTreeMap::new);
        l.insert(MANAGED_BY_LABEL.into(), "hlc".into());
        l.insert(self.stack_label.clone(), self.stack.into());
        let yaml = to_yaml_buffered(&obj, &mut self.buf);
        self.add(Object {
            api_version: T::API_VERSION.to_string(),
            kind: T::KIND.to_string(),
            name: name.to_string(),
            namespace: namespace.map(str::to_string),
            yaml,
            origin,
        });
    }

    /// An object declared as written: its JSON read back into the Kubernetes type it names, so
    /// that a shape Kubernetes would refuse is an error here rather than at apply time.
    fn kube_object(&mut self, o: &hl_model::KubeObject) {
        use k8s_openapi::api::core::v1::{LimitRange, ResourceQuota, ServiceAccount};
        use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
        let mut meta = serde_json::Map::new();
        meta.insert("name".into(), Json::String(o.name.clone()));
        if let Some(ns) = &o.namespace {
            meta.insert("namespace".into(), Json::String(ns.clone()));
        }
        if !o.labels.is_empty() {
            meta.insert("labels".into(), string_pairs(&o.labels));
        }
        if !o.annotations.is_empty() {
            meta.insert("annotations".into(), string_pairs(&o.annotations));
        }
        let mut doc = o.body.clone();
        doc.insert("metadata".into(), Json::Object(meta));
        let doc = Json::Object(doc);
        match o.kind.as_str() {
            "ServiceAccount" => self.push_typed::<ServiceAccount>(doc, o),
            "Role" => self.push_typed::<Role>(doc, o),
            "RoleBinding" => self.push_typed::<RoleBinding>(doc, o),
            "ClusterRole" => self.push_typed::<ClusterRole>(doc, o),
            "ClusterRoleBinding" => self.push_typed::<ClusterRoleBinding>(doc, o),
            "ResourceQuota" => self.push_typed::<ResourceQuota>(doc, o),
            "LimitRange" => self.push_typed::<LimitRange>(doc, o),
            "ConfigMap" => self.push_typed::<ConfigMap>(doc, o),
            "PodDisruptionBudget" => self.push_typed::<PodDisruptionBudget>(doc, o),
            "PriorityClass" => self.push_typed::<k8s_openapi::api::scheduling::v1::PriorityClass>(doc, o),
            "NetworkPolicy" => self.push_typed::<k8s_openapi::api::networking::v1::NetworkPolicy>(doc, o),
            "StorageClass" => self.push_typed::<k8s_openapi::api::storage::v1::StorageClass>(doc, o),
            // A custom resource: its shape is the standard library's schema of it (and the
            // schema test holds the output to the CRD's).
            _ => self.push_custom(doc, o),
        }
    }

    fn push_custom(&mut self, doc: Json, o: &hl_model::KubeObject) {
        let Json::Object(mut body) = doc else { return };
        let mut meta = match body.remove("metadata") {
            Some(Json::Object(m)) => m,
            _ => serde_json::Map::new(),
        };
        let mut labels = match meta.remove("labels") {
            Some(Json::Object(l)) => l,
            _ => serde_json::Map::new(),
        };
        labels.insert(MANAGED_BY_LABEL.into(), Json::String("hlc".into()));
        labels.insert(self.stack_label.clone(), Json::String(self.stack.into()));
        let mut labels: Vec<(String, Json)> = labels.into_iter().collect();
        labels.sort_by(|a, b| a.0.cmp(&b.0));
        let mut m = serde_json::Map::new();
        if let Some(a) = meta.remove("annotations") {
            m.insert("annotations".into(), a);
        }
        m.insert("labels".into(), Json::Object(labels.into_iter().collect()));
        m.extend(meta);
        let mut out = serde_json::Map::new();
        out.insert("apiVersion".into(), Json::String(o.api_version.clone()));
        out.insert("kind".into(), Json::String(o.kind.clone()));
        out.insert("metadata".into(), Json::Object(m));
        out.extend(body);
        let yaml = to_yaml_buffered(&Json::Object(out), &mut self.buf);
        self.add(Object {
            api_version: o.api_version.clone(),
            kind: o.kind.clone(),
            name: o.name.clone(),
            namespace: o.namespace.clone(),
            yaml,
            origin: o.span,
        });
    }

    fn push_typed<T>(&mut self, doc: Json, o: &hl_model::KubeObject)
    where
        T: serde::Serialize
            + serde::de::DeserializeOwned
            + k8s_openapi::Resource
            + k8s_openapi::Metadata<Ty = ObjectMeta>,
    {
        match serde_json::from_value::<T>(doc) {
            Ok(obj) => self.push(obj, &o.name, o.namespace.as_deref(), o.span),
            Err(e) => self.diags.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    format!("{} `{}` is not a Kubernetes {} the API server would take: {e}", o.kind, o.name, T::KIND),
                    o.span,
                    "declared here",
                )
                .with_help("compare the fields with the Kubernetes API reference of this kind"),
            ),
        }
    }

    /// Serialise a custom resource whose spec is built as JSON, with the ownership labels.
    fn push_json(&mut self, api_version: &str, kind: &str, name: &str, namespace: &str, spec: Json, origin: Span) {
        let doc = CustomResource {
            api_version,
            kind,
            metadata: CustomMeta {
                labels: OwnershipLabels { key: &self.stack_label, stack: self.stack },
                name,
                namespace,
            },
            spec: &spec,
        };
        let yaml = to_yaml_buffered(&doc, &mut self.buf);
        self.add(Object {
            api_version: api_version.to_string(),
            kind: kind.to_string(),
            name: name.to_string(),
            namespace: Some(namespace.to_string()),
            yaml,
            origin,
        });
    }

    fn add(&mut self, obj: Object) {
        if let Some(prev) =
            self.objects.iter().find(|o| o.kind == obj.kind && o.name == obj.name && o.namespace == obj.namespace)
        {
            if prev.yaml != obj.yaml {
                let where_ = obj.namespace.as_deref().map(|n| format!(" in namespace `{n}`")).unwrap_or_default();
                self.diags.push(
                    Diagnostic::new(
                        Code::OutputCollision,
                        format!("two different {} objects named `{}`{where_}", obj.kind, obj.name),
                        obj.origin,
                        "declared here",
                    )
                    .with_label(prev.origin, "and differently here")
                    .with_help("give one of them another name, or declare it once and mount it with `claim(...)`"),
                );
            }
            return;
        }
        self.objects.push(obj);
    }

    /// A HelmRepository (in the release's namespace) and the HelmRelease that installs from it.
    fn helm(&mut self, h: &hl_model::HelmRelease) {
        let ns = h.namespace.as_str();
        let mut repo_spec = serde_json::Map::new();
        repo_spec.insert("interval".into(), json!(h.interval));
        repo_spec.insert("url".into(), json!(h.repo));
        if h.repo.starts_with("oci://") {
            repo_spec.insert("type".into(), json!("oci"));
        }
        let repo = Json::Object(repo_spec);
        self.push_json("source.toolkit.fluxcd.io/v1", "HelmRepository", &h.name, ns, repo, h.span);
        let mut chart = serde_json::Map::new();
        chart.insert("chart".into(), json!(h.chart));
        if let Some(v) = &h.version {
            chart.insert("version".into(), json!(v));
        }
        chart.insert("sourceRef".into(), json!({ "kind": "HelmRepository", "name": h.name, "namespace": ns }));
        let mut spec = serde_json::Map::new();
        spec.insert("interval".into(), json!(h.interval));
        spec.insert("chart".into(), json!({ "spec": Json::Object(chart) }));
        for (k, v) in &h.fields {
            spec.insert(k.clone(), v.clone());
        }
        if h.create_namespace {
            let install = spec.entry("install").or_insert_with(|| json!({}));
            if let Some(i) = install.as_object_mut() {
                i.insert("createNamespace".into(), json!(true));
            }
        }
        if h.values.as_object().is_some_and(|o| !o.is_empty()) {
            spec.insert("values".into(), h.values.clone());
        }
        self.push_json("helm.toolkit.fluxcd.io/v2", "HelmRelease", &h.name, ns, Json::Object(spec), h.span);
    }

    fn namespace(&mut self, ns: &Namespace) {
        let mut l = BTreeMap::new();
        if let Some(policy) = ns.tier.as_ref().and_then(|t| self.facts.tier_policies.get(t)) {
            l.insert("tier".to_string(), policy.label.clone());
        }
        if ns.keel && self.facts.keel {
            l.insert("keel.sh/enrolled".into(), "true".into());
        }
        if ns.custom_quota {
            l.insert("resource-governance/custom-quota".into(), "true".into());
        }
        if ns.custom_limitrange {
            l.insert("resource-governance/custom-limitrange".into(), "true".into());
        }
        extend(&mut l, &ns.labels);
        let obj =
            K8sNamespace { metadata: ObjectMeta { labels: Some(l), ..meta(&ns.name, None) }, ..Default::default() };
        self.push(obj, &ns.name, None, ns.span);
        // The wildcard TLS secret is Kyverno's: its sync-tls-secret policy clones
        // `kyverno/tls-secret` into every namespace (and keeps it in sync). An hl copy would
        // be applied by Flux over Kyverno's on every reconcile, so none is emitted.
    }

    fn service(&mut self, svc: &Service) {
        for v in &svc.volumes {
            self.volume_objects(&svc.namespace, v);
        }
        for s in &svc.secrets {
            self.external_secret(s);
        }
        for (name, data) in &svc.configs {
            let cm = ConfigMap {
                metadata: meta(name, Some(&svc.namespace)),
                data: Some(data.iter().cloned().collect()),
                ..Default::default()
            };
            self.push(cm, name, Some(&svc.namespace), svc.span);
        }
        self.workload(svc);
        let app = pod_identity(svc);
        if let Some(x) = &svc.expose {
            self.k8s_service(&svc.namespace, &app, Some(&app), x, None);
        }
        for x in &svc.extra_services {
            self.k8s_service(&svc.namespace, &app, Some(&app), x, None);
        }
        self.pdb(svc);
        for ing in &svc.ingresses {
            self.ingress(ing);
        }
    }

    fn volume_objects(&mut self, namespace: &str, v: &Volume) {
        match &v.source {
            VolumeSource::Pvc { claim, size, class, autoresize, access } => {
                let pvc = PersistentVolumeClaim {
                    metadata: ObjectMeta {
                        annotations: autoresize.as_ref().map(autoresize_annotations),
                        ..meta(claim, Some(namespace))
                    },
                    spec: Some(claim_spec(access, class, size, None)),
                    ..Default::default()
                };
                self.push(pvc, claim, Some(namespace), v.span);
            }
            VolumeSource::Nfs { inline: true, .. } => {}
            VolumeSource::Nfs { claim, path, server, size, access, inline: false } => {
                let pv = PersistentVolume {
                    metadata: meta(claim, None),
                    spec: Some(PersistentVolumeSpec {
                        capacity: Some([("storage".to_string(), Quantity(size.clone()))].into()),
                        access_modes: Some(vec![access.clone()]),
                        persistent_volume_reclaim_policy: Some("Retain".into()),
                        storage_class_name: self.facts.nfs_storage_class.clone(),
                        volume_mode: Some("Filesystem".into()),
                        mount_options: non_empty_vec(self.facts.nfs_mount_options.clone()),
                        csi: Some(CSIPersistentVolumeSource {
                            driver: "nfs.csi.k8s.io".into(),
                            volume_handle: claim.clone(),
                            volume_attributes: Some(
                                [("server".to_string(), server.clone()), ("share".to_string(), path.clone())].into(),
                            ),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }),
                    ..Default::default()
                };
                self.push(pv, claim, None, v.span);
                let pvc = PersistentVolumeClaim {
                    metadata: meta(claim, Some(namespace)),
                    spec: Some(claim_spec(
                        access,
                        self.facts.nfs_storage_class.as_deref().unwrap_or(""),
                        size,
                        Some(claim),
                    )),
                    ..Default::default()
                };
                self.push(pvc, claim, Some(namespace), v.span);
            }
            _ => {}
        }
    }

    fn external_secret(&mut self, s: &ExternalSecret) {
        let mut spec = serde_json::Map::new();
        spec.insert("refreshInterval".into(), json!(s.refresh));
        spec.insert("secretStoreRef".into(), json!({ "name": s.store, "kind": "ClusterSecretStore" }));
        let mut target = json!({ "name": s.target, "creationPolicy": "Owner" });
        if let Some(p) = &s.deletion_policy {
            target["deletionPolicy"] = json!(p);
        }
        let with_metadata = !s.secret_labels.is_empty() || !s.secret_annotations.is_empty();
        if !s.template.is_empty() || s.template_type.is_some() || with_metadata {
            let mut t = serde_json::Map::new();
            t.insert("engineVersion".into(), json!("v2"));
            if with_metadata {
                let mut m = serde_json::Map::new();
                if !s.secret_annotations.is_empty() {
                    m.insert("annotations".into(), string_pairs(&s.secret_annotations));
                }
                if !s.secret_labels.is_empty() {
                    m.insert("labels".into(), string_pairs(&s.secret_labels));
                }
                t.insert("metadata".into(), Json::Object(m));
            }
            if let Some(ty) = &s.template_type {
                t.insert("type".into(), json!(ty));
            }
            if !s.template.is_empty() {
                t.insert("data".into(), string_pairs(&s.template));
            }
            target["template"] = Json::Object(t);
        }
        spec.insert("target".into(), target);
        if !s.extract.is_empty() {
            let from: Vec<Json> = s.extract.iter().map(|k| json!({ "extract": { "key": k } })).collect();
            spec.insert("dataFrom".into(), Json::Array(from));
        }
        if !s.data.is_empty() {
            let data: Vec<Json> = s
                .data
                .iter()
                .map(|(k, key, prop)| json!({ "secretKey": k, "remoteRef": { "key": key, "property": prop } }))
                .collect();
            spec.insert("data".into(), Json::Array(data));
        }
        let spec = Json::Object(spec);
        self.push_json("external-secrets.io/v1", "ExternalSecret", &s.name, &s.namespace, spec, s.span);
    }

    fn pod_spec(&self, svc: &Service) -> PodSpec {
        let env_from = secret_env_from(svc);
        let own = svc.volumes.iter().filter(|v| !v.mount.is_empty()).map(|v| VolumeMount {
            name: v.name.clone(),
            mount_path: v.mount.clone(),
            read_only: v.read_only.then_some(true),
            sub_path: v.sub_path.clone(),
            ..Default::default()
        });
        let mounts: Vec<VolumeMount> = own.chain(svc.volume_mounts.iter().map(volume_mount)).collect();
        let mut container_ports = ports(&svc.ports, "TCP");
        container_ports.extend(ports(&svc.udp_ports, "UDP"));
        let main = Container {
            name: svc.container_name.clone(),
            image: Some(svc.image.clone()),
            command: non_empty_vec(svc.command.clone()),
            args: non_empty_vec(svc.args.clone()),
            ports: non_empty_vec(container_ports),
            env: non_empty_vec(env(&svc.env, &svc.env_secret)),
            env_from: non_empty_vec(env_from),
            resources: resources(&svc.resources, self.facts),
            volume_mounts: non_empty_vec(mounts),
            ..Default::default()
        };
        let main = overlay(main, &with_env(&svc.container_fields, &svc.env_value_from));
        let mut containers = vec![main];
        containers.extend(svc.containers.iter().map(|c| sidecar(c, svc, self.facts)));
        let init: Vec<Container> = svc.init_containers.iter().map(|c| sidecar(c, svc, self.facts)).collect();
        let volumes: Vec<k8s_openapi::api::core::v1::Volume> = svc
            .volumes
            .iter()
            .filter(|v| !matches!(v.source, VolumeSource::Template { .. }))
            .map(|v| {
                let mut vol = k8s_openapi::api::core::v1::Volume { name: v.name.clone(), ..Default::default() };
                let o = &v.options;
                let items: Vec<KeyToPath> = o
                    .items
                    .iter()
                    .map(|(key, path, mode)| KeyToPath { key: key.clone(), path: path.clone(), mode: *mode })
                    .collect();
                match &v.source {
                    VolumeSource::Nfs { inline: true, path, server, .. } => {
                        vol.nfs = Some(NFSVolumeSource {
                            path: path.clone(),
                            server: server.clone(),
                            read_only: v.read_only.then_some(true),
                        });
                    }
                    VolumeSource::Pvc { claim, .. } | VolumeSource::Nfs { claim, .. } | VolumeSource::Claim(claim) => {
                        vol.persistent_volume_claim = Some(PersistentVolumeClaimVolumeSource {
                            claim_name: claim.clone(),
                            read_only: v.read_only.then_some(true),
                        });
                    }
                    VolumeSource::EmptyDir | VolumeSource::Template { .. } => {
                        vol.empty_dir = Some(EmptyDirVolumeSource {
                            medium: o.medium.clone(),
                            size_limit: o.size_limit.clone().map(Quantity),
                        })
                    }
                    VolumeSource::ConfigMap(n) => {
                        vol.config_map = Some(ConfigMapVolumeSource {
                            name: n.clone(),
                            default_mode: o.default_mode,
                            items: non_empty_vec(items.clone()),
                            optional: o.optional,
                        })
                    }
                    VolumeSource::Secret(n) => {
                        vol.secret = Some(SecretVolumeSource {
                            secret_name: Some(n.clone()),
                            default_mode: o.default_mode,
                            items: non_empty_vec(items.clone()),
                            optional: o.optional,
                        })
                    }
                    VolumeSource::HostPath { path, kind } => {
                        vol.host_path = Some(HostPathVolumeSource { path: path.clone(), type_: kind.clone() })
                    }
                }
                vol
            })
            .collect();
        let mut node_selector: BTreeMap<String, String> = BTreeMap::new();
        extend(&mut node_selector, &svc.node_selector);
        let spec = PodSpec {
            containers,
            init_containers: non_empty_vec(init),
            volumes: non_empty_vec(volumes),
            node_selector: non_empty(node_selector),
            priority_class_name: svc.priority_class.clone(),
            // A Job's pods may not restart `Always` (Kubernetes' default for pods): `Never`, what
            // the Terraform kubernetes provider writes when a job says nothing, unless the
            // service says otherwise.
            restart_policy: matches!(svc.kind, WorkloadKind::CronJob | WorkloadKind::Job).then(|| "Never".to_string()),
            ..Default::default()
        };
        overlay(spec, &svc.pod_fields)
    }

    fn workload(&mut self, svc: &Service) {
        let app = pod_identity(svc);
        let mut obj_labels = app.clone();
        // Sablier finds the workloads to wake by these labels (the ingress factory's contract).
        if let Some(s) = svc.ingresses.iter().find_map(|i| i.sablier.as_ref()) {
            obj_labels.insert("sablier.enable".into(), "true".into());
            obj_labels.insert("sablier.group".into(), s.group.clone());
            obj_labels.insert("sablier.ready-after".into(), "5s".into());
        }
        extend(&mut obj_labels, &svc.labels);
        let mut ann = BTreeMap::new();
        if let Some(k) = &svc.keel {
            ann.insert("keel.sh/policy".to_string(), k.clone());
        }
        extend(&mut ann, &svc.annotations);
        let mut pod_ann = BTreeMap::new();
        if let Some(d) = svc.diun {
            pod_ann.insert("diun.enable".to_string(), d.to_string());
        }
        extend(&mut pod_ann, &svc.pod_annotations);
        let metadata = ObjectMeta {
            labels: Some(obj_labels),
            annotations: non_empty(ann),
            ..meta(&svc.name, Some(&svc.namespace))
        };
        let mut pod_labels = app.clone();
        extend(&mut pod_labels, &svc.pod_labels);
        let template = PodTemplateSpec {
            metadata: Some(ObjectMeta {
                labels: Some(pod_labels),
                annotations: non_empty(pod_ann),
                ..Default::default()
            }),
            spec: Some(self.pod_spec(svc)),
        };
        let selector = LabelSelector { match_labels: Some(app), ..Default::default() };
        let replicas = i32::try_from(svc.replicas).unwrap_or(i32::MAX);
        match svc.kind {
            WorkloadKind::Deployment => {
                // Block volumes that only one node can mount must not overlap during a rollout.
                let rwo = svc
                    .volumes
                    .iter()
                    .any(|v| matches!(&v.source, VolumeSource::Pvc { access, .. } if access == "ReadWriteOnce"));
                let strategy = svc
                    .strategy
                    .clone()
                    .or_else(|| svc.rolling_update.is_some().then(|| "RollingUpdate".to_string()))
                    .or_else(|| rwo.then(|| "Recreate".to_string()));
                let rolling_update = svc.rolling_update.clone().and_then(|r| serde_json::from_value(r).ok());
                let obj = Deployment {
                    metadata,
                    spec: Some(overlay(
                        DeploymentSpec {
                            replicas: Some(replicas),
                            selector,
                            strategy: strategy.map(|t| DeploymentStrategy { type_: Some(t), rolling_update }),
                            template,
                            ..Default::default()
                        },
                        &svc.workload_fields,
                    )),
                    ..Default::default()
                };
                self.push(obj, &svc.name, Some(&svc.namespace), svc.span);
            }
            WorkloadKind::StatefulSet => {
                let obj = StatefulSet {
                    metadata,
                    spec: Some(overlay(
                        StatefulSetSpec {
                            replicas: Some(replicas),
                            selector,
                            service_name: Some(svc.expose.as_ref().map_or(svc.name.clone(), |e| e.name.clone())),
                            template,
                            volume_claim_templates: non_empty_vec(claim_templates(svc)),
                            ..Default::default()
                        },
                        &without(&svc.workload_fields, "progressDeadlineSeconds"),
                    )),
                    ..Default::default()
                };
                self.push(obj, &svc.name, Some(&svc.namespace), svc.span);
            }
            WorkloadKind::DaemonSet => {
                let obj = DaemonSet {
                    metadata,
                    spec: Some(overlay(
                        DaemonSetSpec {
                            selector,
                            template,
                            // A DaemonSet rolls out with RollingUpdate by default; its parameters
                            // (maxUnavailable, maxSurge) are the same as a Deployment's.
                            update_strategy: svc.rolling_update.clone().map(|r| DaemonSetUpdateStrategy {
                                type_: Some("RollingUpdate".into()),
                                rolling_update: serde_json::from_value(r).ok(),
                            }),
                            ..Default::default()
                        },
                        &without(&svc.workload_fields, "progressDeadlineSeconds"),
                    )),
                    ..Default::default()
                };
                self.push(obj, &svc.name, Some(&svc.namespace), svc.span);
            }
            WorkloadKind::Job => {
                let obj = Job {
                    metadata,
                    spec: Some(overlay(JobSpec { template, ..Default::default() }, &svc.job_fields)),
                    ..Default::default()
                };
                self.push(obj, &svc.name, Some(&svc.namespace), svc.span);
            }
            WorkloadKind::CronJob => {
                let Some((schedule, _)) = &svc.schedule else { return };
                let obj = CronJob {
                    metadata,
                    spec: Some(overlay(
                        CronJobSpec {
                            schedule: schedule.clone(),
                            time_zone: svc.time_zone.clone(),
                            suspend: svc.suspend.then_some(true),
                            job_template: JobTemplateSpec {
                                metadata: non_empty(svc.job_labels.iter().cloned().collect())
                                    .map(|l| ObjectMeta { labels: Some(l), ..Default::default() }),
                                spec: Some(overlay(JobSpec { template, ..Default::default() }, &svc.job_fields)),
                            },
                            ..Default::default()
                        },
                        &svc.cronjob_fields,
                    )),
                    ..Default::default()
                };
                self.push(obj, &svc.name, Some(&svc.namespace), svc.span);
            }
        }
    }

    /// A PodDisruptionBudget for a Critical-path Service (by default at most one pod down) or
    /// wherever one is declared.
    fn pdb(&mut self, svc: &Service) {
        let budget = match (svc.pdb, svc.critical) {
            (Some(p), _) => p,
            (None, true) => hl_model::Pdb { min_available: None, max_unavailable: Some(1) },
            (None, false) => return,
        };
        let int = |v: Option<i64>| v.and_then(|n| i32::try_from(n).ok()).map(IntOrString::Int);
        let obj = PodDisruptionBudget {
            metadata: ObjectMeta { labels: Some(pod_identity(svc)), ..meta(&svc.name, Some(&svc.namespace)) },
            spec: Some(PodDisruptionBudgetSpec {
                min_available: int(budget.min_available),
                max_unavailable: int(budget.max_unavailable),
                selector: Some(LabelSelector { match_labels: Some(pod_identity(svc)), ..Default::default() }),
                ..Default::default()
            }),
            ..Default::default()
        };
        self.push(obj, &svc.name, Some(&svc.namespace), svc.span);
    }

    /// A Kubernetes Service with these labels, selecting pods by `selector` (none: its endpoints
    /// are written separately); with `external_name`, of type ExternalName (a CNAME to that
    /// host), whatever type `x` says.
    fn k8s_service(
        &mut self,
        namespace: &str,
        obj_labels: &BTreeMap<String, String>,
        selector: Option<&BTreeMap<String, String>>,
        x: &hl_model::Expose,
        external_name: Option<&str>,
    ) {
        let mut ann = BTreeMap::new();
        if let Some(ip) = &x.lb_ip {
            ann.insert("metallb.io/loadBalancerIPs".to_string(), ip.clone());
        }
        if x.shared_ip {
            ann.insert("metallb.io/allow-shared-ip".to_string(), "shared".to_string());
        }
        extend(&mut ann, &x.annotations);
        let mut obj_labels = obj_labels.clone();
        extend(&mut obj_labels, &x.labels);
        let headless = x.service_type == "headless";
        let ports: Vec<ServicePort> = x
            .ports
            .iter()
            .map(|p| ServicePort {
                name: Some(p.name.clone()),
                port: i32::from(p.port),
                target_port: Some(match &p.target_name {
                    Some(name) => IntOrString::String(name.clone()),
                    None => IntOrString::Int(i32::from(p.target)),
                }),
                protocol: Some(p.protocol.clone()),
                node_port: p.node_port.map(i32::from),
                ..Default::default()
            })
            .collect();
        let obj = K8sService {
            metadata: ObjectMeta {
                labels: Some(obj_labels),
                annotations: non_empty(ann),
                ..meta(&x.name, Some(namespace))
            },
            spec: Some(ServiceSpec {
                type_: Some(match external_name {
                    Some(_) => "ExternalName".to_string(),
                    None if headless => "ClusterIP".to_string(),
                    None => x.service_type.clone(),
                }),
                external_name: external_name.map(str::to_string),
                cluster_ip: if headless { Some("None".to_string()) } else { x.cluster_ip.clone() },
                selector: if x.selector.is_empty() {
                    selector.cloned()
                } else {
                    Some(x.selector.iter().cloned().collect())
                },
                ports: Some(ports),
                external_traffic_policy: x.traffic_policy.clone(),
                publish_not_ready_addresses: x.publish_not_ready_addresses,
                session_affinity: x.session_affinity.clone(),
                ..Default::default()
            }),
            ..Default::default()
        };
        self.push(obj, &x.name, Some(namespace), x.span);
    }

    /// A Service in front of pods hl does not declare: by selector, or with an EndpointSlice of
    /// the addresses it forwards to. Then its ingresses.
    fn frontend(&mut self, f: &Frontend) {
        let mut obj_labels = labels(&[("app", &f.name)]);
        extend(&mut obj_labels, &f.labels);
        match &f.upstream {
            Upstream::Pods(sel) => {
                let selector: BTreeMap<String, String> = sel.iter().cloned().collect();
                self.k8s_service(&f.namespace, &obj_labels, Some(&selector), &f.expose, None);
            }
            Upstream::ExternalName(host) => {
                self.k8s_service(&f.namespace, &obj_labels, None, &f.expose, Some(host));
            }
            Upstream::Addresses(addrs) => {
                self.k8s_service(&f.namespace, &obj_labels, None, &f.expose, None);
                let slice = EndpointSlice {
                    metadata: ObjectMeta {
                        labels: Some(labels(&[
                            ("kubernetes.io/service-name", &f.expose.name),
                            // Not the EndpointSlice controller's: it leaves the slice alone.
                            ("endpointslice.kubernetes.io/managed-by", "hlc"),
                        ])),
                        ..meta(&f.expose.name, Some(&f.namespace))
                    },
                    address_type: if addrs.iter().any(|a| a.contains(':')) { "IPv6" } else { "IPv4" }.into(),
                    endpoints: addrs
                        .iter()
                        .map(|a| Endpoint { addresses: vec![a.clone()], ..Default::default() })
                        .collect(),
                    ports: Some(
                        f.expose
                            .ports
                            .iter()
                            .map(|p| EndpointPort {
                                name: Some(p.name.clone()),
                                port: Some(i32::from(p.target)),
                                protocol: Some(p.protocol.clone()),
                                ..Default::default()
                            })
                            .collect(),
                    ),
                };
                self.push(slice, &f.expose.name, Some(&f.namespace), f.span);
            }
        }
        for ing in &f.ingresses {
            self.ingress(ing);
        }
    }

    fn ingress(&mut self, ing: &Ingress) {
        let ns = ing.namespace.as_str();
        let mut ann: BTreeMap<String, String> = BTreeMap::new();
        let facts = self.facts;
        let middlewares = chain(ing, facts);
        if !middlewares.is_empty() {
            ann.insert("traefik.ingress.kubernetes.io/router.middlewares".into(), middlewares.join(","));
        }
        if let Some(e) = &facts.ingress.entrypoint {
            ann.insert("traefik.ingress.kubernetes.io/router.entrypoints".into(), e.clone());
        }
        if let Some(homepage) = facts.homepage.as_ref().filter(|_| ing.homepage) {
            ann.insert("gethomepage.dev/enabled".into(), "true".into());
            ann.insert("gethomepage.dev/name".into(), ing.name.replace(['-', '_'], " "));
            ann.insert(
                "gethomepage.dev/group".into(),
                ing.homepage_group
                    .clone()
                    .or_else(|| homepage.groups.get(ns).cloned())
                    .unwrap_or_else(|| homepage.default_group.clone()),
            );
            ann.insert("gethomepage.dev/href".into(), format!("https://{}", ing.host));
            ann.insert("gethomepage.dev/icon".into(), format!("{}.png", ing.name.replace('-', "")));
            if let Some(d) = &ing.description {
                ann.insert("gethomepage.dev/description".into(), d.clone());
            }
        }
        if let Some(key) = facts.dns_type_annotation.as_ref().filter(|_| ing.dns_type != "none") {
            ann.insert(key.clone(), ing.dns_type.clone());
        }
        let monitor =
            ing.external_monitor.or_else(|| matches!(ing.dns_type.as_str(), "proxied" | "non-proxied").then_some(true));
        if let (Some(m), Some(key)) = (monitor, &facts.external_monitor_annotation) {
            ann.insert(key.clone(), m.to_string());
        }
        if let Some(a) = facts.authentik.as_ref().filter(|_| ing.auth == AuthMode::Required) {
            ann.insert(a.allowed_groups_annotation.clone(), ing.allowed_groups.join(","));
        }
        extend(&mut ann, &ing.annotations);
        let paths = ing
            .paths
            .iter()
            .map(|p| HTTPIngressPath {
                path: Some(p.clone()),
                path_type: "ImplementationSpecific".into(),
                backend: IngressBackend {
                    service: Some(IngressServiceBackend {
                        name: ing.backend.clone(),
                        port: Some(ServiceBackendPort { number: Some(i32::from(ing.port)), name: None }),
                    }),
                    ..Default::default()
                },
            })
            .collect();
        let obj = K8sIngress {
            metadata: ObjectMeta { annotations: Some(ann), ..meta(&ing.name, Some(ns)) },
            spec: Some(IngressSpec {
                ingress_class_name: Some(facts.ingress.class.clone()),
                tls: facts.ingress.tls_secret.as_ref().map(|secret| {
                    vec![IngressTLS { hosts: Some(vec![ing.host.clone()]), secret_name: Some(secret.clone()) }]
                }),
                rules: Some(vec![IngressRule {
                    host: Some(ing.host.clone()),
                    http: Some(HTTPIngressRuleValue { paths }),
                }]),
                ..Default::default()
            }),
            ..Default::default()
        };
        self.push(obj, &ing.name, Some(ns), ing.span);
        if let Some(csp) = &ing.custom_csp {
            let name = format!("custom-csp-{}", ing.name);
            let spec = json!({ "headers": { "contentSecurityPolicy": csp } });
            self.push_json("traefik.io/v1alpha1", "Middleware", &name, ns, spec, ing.span);
        }
        if let Some((size, span)) = &ing.max_body_size {
            match body_bytes(size) {
                Some(bytes) => {
                    let name = format!("buffering-{}", ing.name);
                    let spec = json!({ "buffering": { "maxRequestBodyBytes": bytes } });
                    self.push_json("traefik.io/v1alpha1", "Middleware", &name, ns, spec, ing.span);
                }
                None => self.diags.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        format!("`{size}` is not a body size"),
                        *span,
                        "expected digits with an optional k, m or g",
                    )
                    .with_help("write it like `5g`, `500m` or `10k` (k = 1024 bytes)"),
                ),
            }
        }
        if let Some(s) = &ing.sablier {
            let name = format!("sablier-{}", ing.name);
            let mut cfg = serde_json::Map::new();
            if let Some(url) = &self.facts.sablier_url {
                cfg.insert("sablierUrl".into(), json!(url));
            }
            cfg.insert("group".into(), json!(s.group));
            cfg.insert("sessionDuration".into(), json!(s.session_duration));
            cfg.insert("failOpen".into(), json!(true));
            cfg.insert("ignoreUserAgent".into(), json!(["(?i)uptime-?kuma", "(?i)blackbox", "Go-http-client"]));
            if s.strategy == "blocking" {
                cfg.insert("blocking".into(), json!({ "timeout": s.blocking_timeout }));
            } else {
                cfg.insert(
                    "dynamic".into(),
                    json!({
                        "displayName": s.display_name,
                        "showDetails": true,
                        "theme": s.theme,
                        "refreshFrequency": s.refresh_frequency,
                    }),
                );
            }
            let spec = json!({ "plugin": { "sablier": Json::Object(cfg) } });
            self.push_json("traefik.io/v1alpha1", "Middleware", &name, ns, spec, ing.span);
        }
    }
}

/// The Traefik middleware chain of an ingress, each middleware once, in the order the
/// cluster's `ingress.chain` gives: its Anubis middlewares (for an Anubis backend), those on
/// every ingress, rate limiting (unless skipped), CSP headers (unless the ingress has its own),
/// AI blocking, the auth provider's forward-auth for `required` and `public`, local-only; then
/// the ingress's own Sablier, CSP and buffering middlewares and its `extra_middlewares`.
pub fn chain(ing: &Ingress, facts: &Facts) -> Vec<String> {
    let c = &facts.ingress;
    let anti_ai = ing.anti_ai.unwrap_or(matches!(ing.auth, AuthMode::App | AuthMode::None));
    let ns = &ing.namespace;
    let mut out: Vec<String> = Vec::new();
    let mut push = |s: &str| {
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    };
    if facts.anubis_prefix.as_ref().is_some_and(|p| ing.backend.starts_with(p.as_str())) {
        c.anubis_first.iter().for_each(|m| push(m));
    }
    c.always.iter().for_each(|m| push(m));
    if let Some(m) = c.rate_limit.as_ref().filter(|_| !ing.skip_rate_limit) {
        push(m);
    }
    if let Some(m) = c.csp_headers.as_ref().filter(|_| ing.custom_csp.is_none()) {
        push(m);
    }
    if anti_ai {
        c.anti_ai.iter().for_each(|m| push(m));
    }
    if let Some(a) = &facts.authentik {
        match ing.auth {
            AuthMode::Required => push(&a.forward_auth),
            AuthMode::Public => push(&a.forward_auth_public),
            AuthMode::App | AuthMode::None => {}
        }
    }
    if let Some(m) = c.local_only.as_ref().filter(|_| ing.local_only) {
        push(m);
    }
    if ing.sablier.is_some() {
        push(&format!("{ns}-sablier-{}@kubernetescrd", ing.name));
    }
    if ing.custom_csp.is_some() {
        push(&format!("{ns}-custom-csp-{}@kubernetescrd", ing.name));
    }
    if ing.max_body_size.is_some() {
        push(&format!("{ns}-buffering-{}@kubernetescrd", ing.name));
    }
    for m in &ing.extra_middlewares {
        push(m);
    }
    out
}

/// `5g` -> 5368709120 (k = 1024, m = 1024^2, g = 1024^3, no unit = bytes).
fn body_bytes(s: &str) -> Option<u64> {
    let (digits, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = digits.parse().ok()?;
    let mult = match unit {
        "" => 1,
        "k" | "K" => 1024,
        "m" | "M" => 1024 * 1024,
        "g" | "G" => 1024 * 1024 * 1024,
        _ => return None,
    };
    n.checked_mul(mult)
}

fn ports(p: &[(String, u16)], protocol: &str) -> Vec<ContainerPort> {
    p.iter()
        .map(|(n, port)| ContainerPort {
            name: Some(n.clone()),
            container_port: i32::from(*port),
            protocol: Some(protocol.into()),
            ..Default::default()
        })
        .collect()
}

fn env(e: &[(String, String)], from_secrets: &[EnvSecret]) -> Vec<EnvVar> {
    let plain = e.iter().map(|(k, v)| EnvVar { name: k.clone(), value: Some(v.clone()), ..Default::default() });
    let secret = from_secrets.iter().map(|s| EnvVar {
        name: s.name.clone(),
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector { name: s.secret.clone(), key: s.key.clone(), optional: None }),
            ..Default::default()
        }),
        ..Default::default()
    });
    plain.chain(secret).collect()
}

/// The service's ExternalSecrets that are exposed as environment.
fn secret_env_from(svc: &Service) -> Vec<EnvFromSource> {
    svc.secrets
        .iter()
        .filter(|s| s.env)
        .map(|s| EnvFromSource {
            secret_ref: Some(SecretEnvSource { name: s.target.clone(), optional: None }),
            ..Default::default()
        })
        .collect()
}

/// The spec of a claim: one access mode, a class, a size, and for static volumes the PV it binds.
fn claim_spec(access: &str, class: &str, size: &str, volume: Option<&str>) -> PersistentVolumeClaimSpec {
    PersistentVolumeClaimSpec {
        access_modes: Some(vec![access.to_string()]),
        storage_class_name: Some(class.to_string()),
        volume_name: volume.map(str::to_string),
        resources: Some(VolumeResourceRequirements {
            requests: Some([("storage".to_string(), Quantity(size.to_string()))].into()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The pvc-autoresizer's annotations of a claim it grows.
fn autoresize_annotations(a: &hl_model::Autoresize) -> BTreeMap<String, String> {
    labels(&[
        ("resize.topolvm.io/threshold", &a.threshold),
        ("resize.topolvm.io/increase", &a.increase),
        ("resize.topolvm.io/storage_limit", &a.limit),
    ])
}

fn claim_templates(svc: &Service) -> Vec<PersistentVolumeClaim> {
    svc.volumes
        .iter()
        .filter_map(|v| match &v.source {
            VolumeSource::Template { size, class, access, autoresize } => Some(PersistentVolumeClaim {
                metadata: ObjectMeta {
                    name: Some(v.name.clone()),
                    annotations: autoresize.as_ref().map(autoresize_annotations),
                    ..Default::default()
                },
                spec: Some(claim_spec(access, class, size, None)),
                ..Default::default()
            }),
            _ => None,
        })
        .collect()
}

fn resources(r: &Resources, facts: &Facts) -> Option<ResourceRequirements> {
    let mut requests = BTreeMap::new();
    let mut limits = BTreeMap::new();
    if let Some(c) = &r.cpu {
        requests.insert("cpu".to_string(), Quantity(c.clone()));
    }
    if let Some(m) = &r.memory {
        requests.insert("memory".to_string(), Quantity(m.clone()));
    }
    if let Some(m) = r.memory_limit.as_ref().or(r.memory.as_ref()) {
        limits.insert("memory".to_string(), Quantity(m.clone()));
    }
    if let Some(g) = r.gpu {
        limits.insert("nvidia.com/gpu".to_string(), Quantity(g.to_string()));
    }
    if let (Some(g), Some(resource)) = (r.gpumem, &facts.gpu_memory_resource) {
        limits.insert(resource.clone(), Quantity(g.to_string()));
    }
    if let Some(c) = &r.cpu_limit {
        limits.insert("cpu".to_string(), Quantity(c.clone()));
    }
    if let Some(e) = &r.ephemeral_storage {
        requests.insert("ephemeral-storage".to_string(), Quantity(e.clone()));
    }
    if let Some(e) = &r.ephemeral_storage_limit {
        limits.insert("ephemeral-storage".to_string(), Quantity(e.clone()));
    }
    if requests.is_empty() && limits.is_empty() {
        return None;
    }
    Some(ResourceRequirements { requests: non_empty(requests), limits: non_empty(limits), ..Default::default() })
}

/// Name-value pairs in declaration order as a JSON object of strings.
fn string_pairs(l: &[(String, String)]) -> Json {
    Json::Object(l.iter().map(|(k, v)| (k.clone(), Json::String(v.clone()))).collect())
}

fn volume_mount(m: &Mount) -> VolumeMount {
    VolumeMount {
        name: m.volume.clone(),
        mount_path: m.path.clone(),
        read_only: m.read_only.then_some(true),
        sub_path: m.sub_path.clone(),
        ..Default::default()
    }
}

fn sidecar(c: &MContainer, svc: &Service, facts: &Facts) -> Container {
    let mounts: Vec<VolumeMount> = c.mounts.iter().map(volume_mount).collect();
    let base = Container {
        name: c.name.clone(),
        image: Some(c.image.clone()),
        command: non_empty_vec(c.command.clone()),
        args: non_empty_vec(c.args.clone()),
        ports: non_empty_vec([ports(&c.ports, "TCP"), ports(&c.udp_ports, "UDP")].concat()),
        env: non_empty_vec(env(&c.env, &c.env_secret)),
        env_from: if c.secrets { non_empty_vec(secret_env_from(svc)) } else { None },
        resources: resources(&c.resources, facts),
        volume_mounts: non_empty_vec(mounts),
        ..Default::default()
    };
    overlay(base, &with_env(&c.fields, &c.env_value_from))
}

/// The labels that identify a service's pods: its workload's and its Services' selector, and
/// labels on both; `app: <name>` unless the service says otherwise (`match_labels`).
fn pod_identity(svc: &Service) -> BTreeMap<String, String> {
    if svc.match_labels.is_empty() { labels(&[("app", &svc.name)]) } else { svc.match_labels.iter().cloned().collect() }
}

/// `fields` without `key` (a field the object at hand does not have).
fn without(fields: &serde_json::Map<String, Json>, key: &str) -> serde_json::Map<String, Json> {
    let mut out = fields.clone();
    out.remove(key);
    out
}

/// A container's written fields, with its `valueFrom` environment variables as `env`.
fn with_env(fields: &serde_json::Map<String, Json>, env_value_from: &[Json]) -> serde_json::Map<String, Json> {
    let mut out = fields.clone();
    if !env_value_from.is_empty() {
        out.insert("env".into(), Json::Array(env_value_from.to_vec()));
    }
    out
}

/// `base` with `fields` (Kubernetes' spelling, as the model read them) laid over it, through
/// JSON: a field hl did not set takes the written value, and a list hl built (`env`,
/// `envFrom`, `volumes`, ...) gets the written items after its own. The standard library types
/// every field after the Kubernetes object it mirrors, so the result always reads back.
fn overlay<T: serde::Serialize + serde::de::DeserializeOwned>(base: T, fields: &serde_json::Map<String, Json>) -> T {
    if fields.is_empty() {
        return base;
    }
    let Ok(mut v) = serde_json::to_value(&base) else { return base };
    if let Some(obj) = v.as_object_mut() {
        for (k, x) in fields {
            match (obj.get_mut(k), x) {
                (Some(Json::Array(have)), Json::Array(more)) => have.extend(more.iter().cloned()),
                _ => {
                    obj.insert(k.clone(), x.clone());
                }
            }
        }
    }
    serde_json::from_value(v).unwrap_or(base)
}
