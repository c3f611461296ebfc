//! The model types.

use hl_diagnostics::Span;

/// Where the program wrote the values of a declaration's fields, so that a finding points at
/// the value the user must change (`replicas = 1`, a literal secret, a `vmid`) rather than at
/// the declaration: for each field set explicitly (not a schema default), the span of its value,
/// and for a list's items and a map's entries the spans of `field[index]` and `field[key]`
/// (`pci[0]`, `env[DB_PASSWORD]`). A value made by a function points where the function's
/// caller wrote it when it was an argument (`k8s_worker(204, ...)`).
///
/// Every model entity carries one, so it is kept compact: the keys' text in one string, and
/// beside it their ranges with the spans, sorted by key (two allocations, not one per key).
#[derive(Clone, Debug, Default)]
pub struct ValueSpans {
    /// Every key's text, one after another.
    text: String,
    /// Each key's range in `text` and the span of its value; sorted by key, each key once.
    keys: Vec<(usize, usize, Span)>,
}

impl PartialEq for ValueSpans {
    fn eq(&self, other: &ValueSpans) -> bool {
        self.keys.len() == other.keys.len() && self.entries().zip(other.entries()).all(|(a, b)| a == b)
    }
}

impl Eq for ValueSpans {}

impl ValueSpans {
    /// Start an empty set; add keys with [`ValueSpans::insert`], then [`ValueSpans::finish`].
    pub fn builder() -> ValueSpans {
        ValueSpans::default()
    }

    /// Add the key written by `key` (a key added again replaces the earlier one).
    pub fn insert(&mut self, key: std::fmt::Arguments<'_>, span: Span) {
        use std::fmt::Write as _;
        let start = self.text.len();
        let _ = self.text.write_fmt(key);
        self.keys.push((start, self.text.len(), span));
    }

    /// Sort the keys, keeping the last span given for a key.
    pub fn finish(mut self) -> ValueSpans {
        let text = &self.text;
        // A stable sort keeps a repeated key's spans in the order they were added.
        self.keys.sort_by(|a, b| text[a.0..a.1].cmp(&text[b.0..b.1]));
        // Of a run of equal keys the first stays in place and takes the span of the last.
        self.keys.dedup_by(|later, kept| {
            let same = text[later.0..later.1] == text[kept.0..kept.1];
            if same {
                kept.2 = later.2;
            }
            same
        });
        self
    }

    /// The keys with their spans, in key order.
    pub fn entries(&self) -> impl Iterator<Item = (&str, Span)> {
        self.keys.iter().map(|&(s, e, span)| (&self.text[s..e], span))
    }

    /// The span of the value at `key`, if the program wrote one.
    pub fn get(&self, key: &str) -> Option<Span> {
        let i = self.keys.binary_search_by(|&(s, e, _)| self.text[s..e].cmp(key)).ok()?;
        Some(self.keys[i].2)
    }

    /// The span of the value at `key`, or `fallback` (the declaration) when it was not written.
    pub fn at(&self, key: &str, fallback: Span) -> Span {
        self.get(key).unwrap_or(fallback)
    }
}

/// The whole homelab as declared: what every later stage (emitters, the stack graph, the
/// domain checks) reads.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Model {
    /// Every stack, in declaration order (the workspace's files in path order). A stack whose
    /// name is invalid is reported and left out.
    /// Shared, so that a stack unchanged by an edit is not copied.
    pub stacks: Vec<std::sync::Arc<Stack>>,
    /// Authentik groups declared in hl (name, declaration).
    pub authentik_groups: Vec<(String, Span)>,
    /// People with an RBAC tier (`owner` declarations), in declaration order.
    pub owners: Vec<Owner>,
    /// The PVE host, its segments, VM templates, VMs and SSH key references; each part is empty
    /// when the workspace declares none.
    pub proxmox: Proxmox,
    /// The PVE host's backup steps (`host_backup`), each run by a systemd timer: the host's side
    /// of 3-2-1. A step without a readable schedule is left out.
    pub host_backups: Vec<HostBackup>,
    /// Where Flux fetches the output from (`flux`); `None` when the workspace sets none (or
    /// sets one that could not be read, which is reported), and then no Flux objects are
    /// emitted.
    pub flux: Option<FluxSource>,
    /// Cluster facts from the standard library.
    pub facts: Facts,
}

/// The git repository Flux fetches the output from, and where the output lies in it: the
/// workspace's `flux` setting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FluxSource {
    /// The `GitRepository`'s name, which every Flux Kustomization's `sourceRef` names.
    pub name: String,
    /// The namespace of the `GitRepository` and the Kustomizations.
    pub namespace: String,
    /// The repository's URL (`https://`, `http://` or `ssh://`).
    pub url: String,
    /// The branch Flux follows.
    pub branch: String,
    /// The Secret with the credentials for a private repository.
    pub secret: Option<String>,
    /// How often Flux fetches it, in milliseconds (more than zero).
    pub interval_ms: u64,
    /// The output directory's place in the repository: relative, `/`-separated, without
    /// empty, `.` or `..` components and without a trailing `/`; empty for the root.
    pub path: String,
    /// The `flux` declaration.
    pub span: Span,
}

impl FluxSource {
    /// The path, relative to the repository's root, of an output directory (`k8s/immich`) as
    /// a Flux Kustomization's `path` names it (`./out/k8s/immich`).
    ///
    /// ```
    /// let mut f = hl_model::FluxSource {
    ///     name: "homelab".into(),
    ///     namespace: "flux-system".into(),
    ///     url: "https://example.org/infra.git".into(),
    ///     branch: "main".into(),
    ///     secret: None,
    ///     interval_ms: 60_000,
    ///     path: "out".into(),
    ///     span: Default::default(),
    /// };
    /// assert_eq!(f.repo_path("k8s/immich"), "./out/k8s/immich");
    /// f.path.clear();
    /// assert_eq!(f.repo_path("k8s/immich"), "./k8s/immich");
    /// ```
    pub fn repo_path(&self, dir: &str) -> String {
        if self.path.is_empty() { format!("./{dir}") } else { format!("./{}/{dir}", self.path) }
    }
}

/// The cluster facts and workspace policy, read from the workspace's `cluster` declaration
/// (the standard library's `Cluster` schema documents each). Nothing of one homelab is built in: a fact nobody declared is empty,
/// and what depends on it is off.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Facts {
    /// The public root domain ingress hosts go under (`domain`).
    pub domain: Option<String>,
    /// The domain of hlc's own labels: `<label_domain>/stack` marks every object
    /// (`label_domain`, else `hlc.<domain>`, else `hlc.local`).
    pub label_domain: String,
    /// The NFS server `nfs(...)` volumes use unless they name one.
    pub nfs_server: Option<String>,
    /// The mount options of NFS PersistentVolumes.
    pub nfs_mount_options: Vec<String>,
    /// The storage class NFS PersistentVolumes name, if any.
    pub nfs_storage_class: Option<String>,
    /// First and last address of the MetalLB pool, both inclusive, as written. LoadBalancer
    /// addresses must lie inside it and VM addresses outside it.
    pub metallb_pool: Option<(String, String)>,
    /// The Tier 0 (bootstrap) stacks, whose Terraform state is local and encrypted. Every
    /// other stack must be State tier 1.
    pub tier0_stacks: Vec<String>,
    /// The stacks that hold every Tier 1 stack's Terraform state: the graph makes each Tier 1
    /// stack depend on them.
    pub state_backend_stacks: Vec<String>,
    /// Dependencies that must never exist (from, to, why).
    pub forbidden_dependencies: Vec<(String, String, String)>,
    /// Vault KV paths any stack may read (first segment under `secret/`).
    pub shared_vault_paths: Vec<String>,
    /// The Namespace tiers by name, with what each gets from Kyverno; a namespace may only
    /// name one of them.
    pub tier_policies: std::collections::BTreeMap<String, TierPolicy>,
    /// The StorageClasses claims may name, by name.
    pub storage_classes: std::collections::BTreeMap<String, StorageClassFacts>,
    /// The class of a claim that names none.
    pub default_storage_class: Option<String>,
    /// The class of an encrypted claim that names none.
    pub encrypted_storage_class: Option<String>,
    /// How many Kubernetes Nodes run pods: a DaemonSet counts this many pods against its
    /// namespace's quota.
    pub node_count: i64,
    /// The namespaces Kubernetes creates itself (`default`, `kube-system`, ...): no stack owns
    /// them, and any stack may use them.
    pub cluster_namespaces: Vec<String>,
    /// The taint of the GPU node, which a pod asking for a GPU must tolerate.
    pub gpu_taint_key: String,
    /// The extended resource for GPU memory, when the cluster has one.
    pub gpu_memory_resource: Option<String>,
    /// The ingress controller's settings and the middleware chain.
    pub ingress: IngressFacts,
    /// Authentik, when it is the single-sign-on provider.
    pub authentik: Option<AuthentikFacts>,
    /// The Homepage dashboard, when the cluster runs it.
    pub homepage: Option<HomepageFacts>,
    /// Keel updates images in enrolled namespaces.
    pub keel: bool,
    /// The name prefix of Anubis proxy Services, when the cluster runs Anubis.
    pub anubis_prefix: Option<String>,
    /// The Sablier URL of scale-to-zero middlewares.
    pub sablier_url: Option<String>,
    /// The annotation an ingress's DNS type goes into.
    pub dns_type_annotation: Option<String>,
    /// The annotation an ingress's external-monitor setting goes into.
    pub external_monitor_annotation: Option<String>,
    /// Workspace-wide rule settings (the workspace's `policy`, not the cluster's facts), by
    /// code (`E0523`) or name (`burstable-memory`), each with where it is set.
    pub rules: std::collections::BTreeMap<String, (RuleSetting, Span)>,
    /// The custom resources the cluster defines (`<apiVersion> <kind>`), and whether each
    /// lives in a namespace: what a `manifest` may be.
    pub custom_resources: std::collections::BTreeMap<String, bool>,
}

impl Facts {
    /// The MetalLB pool's first and last address, when the workspace declares them readably.
    pub fn metallb_range(&self) -> (Option<std::net::Ipv4Addr>, Option<std::net::Ipv4Addr>) {
        match &self.metallb_pool {
            Some((first, last)) => (first.parse().ok(), last.parse().ok()),
            None => (None, None),
        }
    }

    /// The label every emitted object carries with its stack's name.
    pub fn stack_label(&self) -> String {
        format!("{}/stack", self.label_domain)
    }
}

/// What hlc knows of one StorageClass (`cluster.storage_classes`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StorageClassFacts {
    /// Appended to a claim's default name.
    pub claim_suffix: String,
    /// Encrypted at rest: what a sensitive service's claims need (E0512).
    pub encrypted: bool,
    /// Every claim must be copied by a backup job (E0513).
    pub needs_backup: bool,
    /// Node-local and unreplicated (E0511).
    pub node_local: bool,
}

/// What the workspace makes of one rule (`rules` of `cluster`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleSetting {
    /// Reported as an error.
    Error,
    /// Reported as a warning.
    Warning,
    /// Off, for this reason.
    Off(String),
}

/// The ingress controller's settings (`cluster.ingress`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IngressFacts {
    /// `spec.ingressClassName`.
    pub class: String,
    /// The Traefik entrypoints annotation, if any.
    pub entrypoint: Option<String>,
    /// The TLS Secret every ingress names, if any.
    pub tls_secret: Option<String>,
    /// The allow-list middleware an `internal` ingress must carry, if any.
    pub home_lans_middleware: Option<String>,
    /// Chain: first, for an Anubis backend.
    pub anubis_first: Vec<String>,
    /// Chain: on every ingress.
    pub always: Vec<String>,
    /// Chain: unless the ingress skips rate limiting.
    pub rate_limit: Option<String>,
    /// Chain: unless the ingress has its own CSP.
    pub csp_headers: Option<String>,
    /// Chain: when AI blocking is on.
    pub anti_ai: Vec<String>,
    /// Chain: for a `local_only` ingress.
    pub local_only: Option<String>,
}

/// Authentik as the single-sign-on provider (`cluster.authentik`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AuthentikFacts {
    /// The forward-auth middleware of `auth = required`.
    pub forward_auth: String,
    /// The forward-auth middleware of `auth = public`.
    pub forward_auth_public: String,
    /// The annotation carrying `allowed_groups`.
    pub allowed_groups_annotation: String,
    /// Groups managed in the Authentik UI rather than declared in hl: `allowed_groups` may
    /// name these or a declared group.
    pub ui_groups: Vec<String>,
    /// The groups an ingress allows when it names none.
    pub default_groups: Vec<String>,
}

/// The Homepage dashboard (`cluster.homepage`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HomepageFacts {
    /// The dashboard group of each namespace.
    pub groups: std::collections::BTreeMap<String, String>,
    /// The group of any other namespace.
    pub default_group: String,
}

/// Kyverno's per-tier defaults and quota, in millicores and bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TierPolicy {
    /// The value of the namespace's `tier` label (`4-aux`): the policy's `label`, else the
    /// tier's name.
    pub label: String,
    /// The PriorityClass given to the tier's pods (`tier-4-aux`), if any.
    pub priority_class: Option<String>,
    /// Pods of the tier must be Guaranteed for memory (request equal to limit, E0523).
    pub guaranteed_memory: bool,
    /// LimitRange default CPU request for a container that sets none, in millicores.
    pub default_cpu_milli: u64,
    /// LimitRange default memory request for a container that sets none, in bytes.
    pub default_memory: u64,
    /// LimitRange default memory limit, in bytes: what a container that sets neither a memory
    /// request nor a limit counts against the quota.
    pub default_memory_limit: u64,
    /// ResourceQuota hard limit on the namespace's summed CPU requests, in millicores. Each
    /// limit the tier leaves out is `u64::MAX`: nothing exceeds it.
    pub quota_cpu_milli: u64,
    /// ResourceQuota hard limit on the namespace's summed memory requests, in bytes.
    pub quota_memory: u64,
    /// ResourceQuota hard limit on the namespace's summed memory limits, in bytes.
    pub quota_memory_limit: u64,
    /// ResourceQuota hard limit on the number of pods in the namespace.
    pub quota_pods: u64,
}

/// A person with an RBAC tier.
#[derive(Clone, Debug, PartialEq)]
pub struct Owner {
    /// The `owner` entry's name; a stack names its owner by it (`owner = "alice"`).
    pub name: String,
    /// The `owner <name>` declaration (its name).
    pub span: Span,
    /// The RBAC tier as written: `admin`, `power-user` or `namespace-owner` (the default). Only a
    /// namespace-owner is held to their namespaces, domains and pinned images.
    pub role: String,
    /// Contact address; empty when it failed to evaluate.
    pub email: String,
    /// The namespaces this person owns; a namespace-owner's stack may use only these.
    pub namespaces: Vec<String>,
    /// Public domains this person owns (`alice.example.org`): every host of a namespace-owner's
    /// ingresses must be one of them or lie under one.
    pub domains: Vec<String>,
}

/// A warning a stack accepts, with its reason.
#[derive(Clone, Debug, PartialEq)]
pub struct Waiver {
    /// As written before any ` with `: a code (`E0513`) or a name (`no-backup`).
    pub code: String,
    /// The stacks named after ` with ` in the key (`"E0516 with mailserver, dbaas"`): the
    /// other sides of the backup overlaps it accepts. Empty when the key names none.
    pub with: Vec<String>,
    /// The key as written.
    pub key: String,
    /// Why the stack accepts the warning. A blank reason is itself an error (E0591).
    pub reason: String,
    /// The reason string, where diagnostics about the reason point.
    pub span: Span,
    /// The code or name as written (the map key), where diagnostics about the code point; the
    /// reason's span when the key's place is not known.
    pub code_span: Span,
}

/// A stack: the unit that is applied on its own (one `k8s/<stack>/` directory, one Flux
/// Kustomization) and that defines one Service of the homelab. Stacks and Services are one to
/// one, but a stack is the declaration and the Service the thing that runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Stack {
    /// The stack's name: lowercase letters, digits, `-` and `_`, at most 63 characters, never
    /// `flux`. It names the output directory `k8s/<name>/`.
    pub name: String,
    /// Some text of the stack holds a render-time reference marker ([`crate::render::OPEN`]),
    /// which only a VM template's user data may (E0610): found once, on the evaluated value.
    pub holds_reference: bool,
    /// The stack's name in `stack <name> { ... }`; findings about the whole stack point here.
    pub span: Span,
    /// State tier: 0 for the bootstrap stacks (local encrypted Terraform state), 1 (the default)
    /// for every other stack. Any other number is reported.
    pub state_tier: i64,
    /// Span of the `state_tier` field, or of the stack name when defaulted.
    pub state_tier_span: Span,
    /// Stacks to apply before this one, as written in `depends_on`, each with the span of its
    /// entry. Unknown names and the stack itself are reported, and the graph ignores them.
    pub depends_on: Vec<(String, Span)>,
    /// What the stack is, in a few words; `None` when not given.
    pub description: Option<String>,
    /// The namespaces the stack creates, in declaration order. When there is exactly one, it is
    /// where every other declaration of the stack goes by default.
    pub namespaces: Vec<Namespace>,
    /// The workloads (`service` entries), in declaration order. A service without a namespace to
    /// go to is reported and left out.
    pub services: Vec<Service>,
    /// ExternalSecrets that belong to the stack rather than to one service.
    pub secrets: Vec<ExternalSecret>,
    /// The namespace-owner this stack belongs to, with the span of the `owner` value; `None` for an
    /// admin's stack.
    pub owner: Option<(String, Span)>,
    /// Warnings the stack accepts (`waive = { "E0513": "why" }`), in declaration order.
    pub waivers: Vec<Waiver>,
    /// Helm charts the stack installs through Flux, in declaration order. A release without a
    /// namespace, chart or repository is left out.
    pub helm: Vec<HelmRelease>,
    /// Kubernetes objects declared as written (RBAC, quotas, LimitRanges, ConfigMaps).
    pub objects: Vec<KubeObject>,
    /// Traefik Middlewares of the cluster that hl does not write (`unmanaged_middleware`), as
    /// (namespace, name, what writes them).
    pub unmanaged_middlewares: Vec<(String, String, String)>,
    /// Services whose pods hl does not declare.
    pub frontends: Vec<Frontend>,
    /// Ingresses declared on the stack: their backends are Services a chart or operator creates.
    pub ingresses: Vec<Ingress>,
    /// Volumes declared on the stack, which no hl service mounts.
    pub volumes: Vec<StackVolume>,
}

impl Model {
    /// The model's stacks by name, as the per-stack checks fetch another stack to point at
    /// it. Names are unique in a built model; should they not be, the first one wins.
    pub fn stack_lookup(&self) -> impl Fn(&str) -> Option<std::sync::Arc<Stack>> + '_ {
        let mut by_name: std::collections::HashMap<&str, &std::sync::Arc<Stack>> = Default::default();
        for s in &self.stacks {
            by_name.entry(s.name.as_str()).or_insert(s);
        }
        move |name| by_name.get(name).map(|s| std::sync::Arc::clone(s))
    }
}

impl Stack {
    /// The namespaces the stack owns: it emits their Namespace objects.
    pub fn owned_namespaces(&self) -> impl Iterator<Item = &Namespace> {
        self.namespaces.iter().filter(|n| !n.external)
    }

    /// The namespaces the stack uses without owning them (`external = true`).
    pub fn external_namespaces(&self) -> impl Iterator<Item = &Namespace> {
        self.namespaces.iter().filter(|n| n.external)
    }

    /// Every ingress of the stack: its services', its frontends' and its own.
    pub fn all_ingresses(&self) -> impl Iterator<Item = &Ingress> {
        self.services
            .iter()
            .flat_map(|s| s.ingresses.iter())
            .chain(self.frontends.iter().flat_map(|f| f.ingresses.iter()))
            .chain(self.ingresses.iter())
    }

    /// Every volume of the stack with what declares it (a service, or the stack itself for its
    /// own volumes), its namespace and whether its owner is sensitive.
    pub fn volumes_by_owner(&self) -> impl Iterator<Item = (&str, &str, bool, &Volume)> {
        self.services
            .iter()
            .flat_map(|s| s.volumes.iter().map(move |v| (s.name.as_str(), s.namespace.as_str(), s.sensitive, v)))
            .chain(self.volumes.iter().map(|v| (self.name.as_str(), v.namespace.as_str(), false, &v.volume)))
    }

    /// Every Kubernetes Service the stack emits, with the name of the declaration it belongs to
    /// and its namespace.
    pub fn all_exposes(&self) -> impl Iterator<Item = (&str, &str, &Expose)> {
        self.services
            .iter()
            .flat_map(|s| {
                s.expose.iter().chain(&s.extra_services).map(move |x| (s.name.as_str(), s.namespace.as_str(), x))
            })
            .chain(self.frontends.iter().map(|f| (f.name.as_str(), f.namespace.as_str(), &f.expose)))
    }
}

/// A Kubernetes Service whose pods hl does not declare.
#[derive(Clone, Debug, PartialEq)]
pub struct Frontend {
    /// The frontend's name, which is also its Kubernetes Service's name.
    pub name: String,
    /// The `frontend <name>` declaration.
    pub span: Span,
    /// Where the Service goes: the frontend's `namespace`, or the stack's only namespace.
    pub namespace: String,
    /// Span of the `namespace = ...` field, or of the frontend when defaulted.
    pub namespace_span: Span,
    /// What the Service forwards to.
    pub upstream: Upstream,
    /// The Service itself (named after the frontend).
    pub expose: Expose,
    /// Extra labels on the Service, beside `app: <name>`.
    pub labels: Vec<(String, String)>,
    /// Ingresses to this Service; their backend and port default to it and its first port.
    pub ingresses: Vec<Ingress>,
    /// What the frontend is; `None` when not given.
    pub description: Option<String>,
}

/// What a frontend's Service sends its traffic to.
#[derive(Clone, Debug, PartialEq)]
pub enum Upstream {
    /// Pods chosen by these labels (the Service's selector), in declaration order; never empty.
    Pods(Vec<(String, String)>),
    /// Addresses outside the cluster, written as an EndpointSlice; never empty, and all IPv4 or
    /// all IPv6.
    Addresses(Vec<String>),
    /// A DNS name outside the cluster: an ExternalName Service.
    ExternalName(String),
}

/// A volume declared on the stack: its claim (and PersistentVolume) is emitted, but no hl
/// service mounts it.
#[derive(Clone, Debug, PartialEq)]
pub struct StackVolume {
    /// The volume; its `mount` is empty.
    pub volume: Volume,
    /// Where the claim goes: the volume's `namespace`, or the stack's only namespace.
    pub namespace: String,
    /// Span of the `namespace = ...` field, or of the volume when defaulted.
    pub namespace_span: Span,
    /// What mounts it instead of an hl service (`the prometheus chart's server`), as written.
    pub mounted_by: String,
}

/// A Helm chart release managed by Flux.
#[derive(Clone, Debug, PartialEq)]
pub struct HelmRelease {
    /// The release's name, which its HelmRepository shares.
    pub name: String,
    /// The `helm <name>` declaration.
    pub span: Span,
    /// The chart's name in its repository.
    pub chart: String,
    /// The chart repository: `https://...`, or `oci://...` for an OCI registry.
    pub repo: String,
    /// The pinned chart version; `None` for a chart the homelab does not pin.
    pub version: Option<String>,
    /// Where the release goes: its `namespace`, or the stack's only namespace.
    pub namespace: String,
    /// The chart values as JSON, object keys in declaration order (an empty object by default).
    /// Only a non-empty object is written into the HelmRelease.
    pub values: serde_json::Value,
    /// How often Flux reconciles the repository and the release, as a duration (`1h` by default).
    pub interval: String,
    /// Let Helm create the namespace (for one that no stack declares).
    pub create_namespace: bool,
    /// The HelmRelease spec's other fields as written (timeout, history, install and upgrade
    /// settings), in Flux's spelling.
    pub fields: serde_json::Map<String, serde_json::Value>,
}

/// A Kubernetes namespace that a stack creates (or, when `external`, only uses), with its
/// Namespace tier and its opt-outs from the tier's Kyverno defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct Namespace {
    /// The namespace's name (a DNS label).
    pub name: String,
    /// The `namespace <name>` declaration.
    pub span: Span,
    /// Used, not owned: nothing is emitted for it, and its other settings are unset.
    pub external: bool,
    /// The Namespace tier; `None` when not set, which is a warning (the namespace then gets the
    /// fallback LimitRange, no quota and no priority). A tier that failed to evaluate reads as
    /// `Aux`, so that the mistake is reported once.
    pub tier: Option<String>,
    /// Enrolled in Keel (`keel.sh/enrolled=true`): Keel keeps its workloads' images updated.
    pub keel: bool,
    /// Opted out of the tier's ResourceQuota (`resource-governance/custom-quota`); its requests
    /// are not checked against the quota.
    pub custom_quota: bool,
    /// Opted out of the tier's LimitRange (`resource-governance/custom-limitrange`).
    pub custom_limitrange: bool,
    /// Whether the wildcard TLS Secret `tls-secret` is emitted into it, for Kyverno to fill in
    /// (on by default).
    pub tls: bool,
    /// Extra labels, in declaration order, beside the ones hl derives.
    pub labels: Vec<(String, String)>,
}

/// How a service runs: the Kubernetes workload it becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkloadKind {
    /// A Deployment of interchangeable replicas (the default). Unless a strategy is set, it rolls
    /// out with `Recreate` when it mounts a ReadWriteOnce claim.
    Deployment,
    /// A StatefulSet: pods with stable identities; the only kind that may have claim templates.
    StatefulSet,
    /// A DaemonSet: one pod on every Node.
    DaemonSet,
    /// A CronJob, run on its `schedule`; it has no Service.
    CronJob,
    /// A Job, run once to completion (a database initialisation, a model download); it has no
    /// Service.
    Job,
}

/// A Kubernetes object a stack declares as written (a ServiceAccount, a Role or binding, a
/// ResourceQuota, a LimitRange, a ConfigMap of its own).
#[derive(Clone, Debug, PartialEq)]
pub struct KubeObject {
    /// `v1`, `rbac.authorization.k8s.io/v1`.
    pub api_version: String,
    /// `ServiceAccount`, `Role`, ...
    pub kind: String,
    /// Its name (the entry's).
    pub name: String,
    /// Its namespace; `None` for a cluster-wide kind.
    pub namespace: Option<String>,
    /// Its `namespace = ...` field, or its declaration when defaulted.
    pub namespace_span: Span,
    /// Labels beside the ownership labels.
    pub labels: Vec<(String, String)>,
    /// Annotations as written.
    pub annotations: Vec<(String, String)>,
    /// Everything but the metadata, in Kubernetes' spelling.
    pub body: serde_json::Map<String, serde_json::Value>,
    /// For a `manifest`: where each value of `body` is written, by JSON pointer
    /// (`/spec/retry/attempts`), as the span of its key (a record's field name, when it has
    /// one) and of its value; what a schema check reports against. Empty otherwise.
    pub body_spans: std::collections::BTreeMap<String, (Span, Span)>,
    /// The declaration.
    pub span: Span,
    /// Declared with `manifest` (a custom resource written as its CRD spells it), rather than
    /// with a schema of the standard library's.
    pub manifest: bool,
}

/// A service: one workload with its containers, storage, network exposure and secrets, as a
/// stack declares it with `service <name> { ... }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Service {
    /// The service's name: it names the workload and its `app` label, and by default its main
    /// container and its Service.
    pub name: String,
    /// The `service <name>` declaration; most findings about the service point here.
    pub span: Span,
    /// Where its fields' values are written: findings about one value point there.
    pub values: ValueSpans,
    /// The workload it becomes.
    pub kind: WorkloadKind,
    /// Where the workload goes: the service's `namespace`, or the stack's only namespace.
    pub namespace: String,
    /// Span of the `namespace = ...` field, or of the service when it was defaulted.
    pub namespace_span: Span,
    /// The main container's image reference as written (`freshrss/freshrss`, `nginx:1.27`); empty
    /// when it failed to evaluate.
    pub image: String,
    /// The main container's name; the service's name unless set.
    pub container_name: String,
    /// How many pods a Deployment or StatefulSet runs (1 by default); the other kinds ignore it.
    pub replicas: i64,
    /// For a CronJob: the schedule Kubernetes receives, as cron (a calendar-form schedule is
    /// converted), with the span of the value as written.
    pub schedule: Option<(String, Span)>,
    /// For a CronJob: the IANA time zone its schedule is read in, as written; `None` leaves it
    /// to the controller's (kube-controller-manager's local time, UTC unless configured).
    pub time_zone: Option<String>,
    /// For a CronJob: declared, but suspended.
    pub suspend: bool,
    /// The main container's command, replacing the image's entrypoint; empty keeps the image's.
    pub command: Vec<String>,
    /// The main container's arguments; empty keeps the image's.
    pub args: Vec<String>,
    /// Container TCP ports by name (`http`, 80), in declaration order.
    pub ports: Vec<(String, u16)>,
    /// Container UDP ports by name; no name is both a TCP and a UDP port.
    pub udp_ports: Vec<(String, u16)>,
    /// Plain environment variables of the main container, in declaration order; never secret
    /// values.
    pub env: Vec<(String, String)>,
    /// Environment variables of the main container read from one key of a Kubernetes Secret.
    pub env_secret: Vec<EnvSecret>,
    /// The main container's requests and memory limit; the tier's LimitRange fills in the rest.
    pub resources: Resources,
    /// The pod's volumes, in declaration order; those with a `mount` are mounted into the main
    /// container. A volume whose source failed to evaluate is left out.
    pub volumes: Vec<Volume>,
    /// More mounts into the main container (`volume_mounts`), after the volumes' own.
    pub volume_mounts: Vec<Mount>,
    /// ConfigMaps by name, each as (file name, content) pairs in declaration order.
    pub configs: Vec<(String, Vec<(String, String)>)>,
    /// Ingresses to this service; their backend and port default to its Service and first port.
    pub ingresses: Vec<Ingress>,
    /// ExternalSecrets of the service; those with [`ExternalSecret::env`] set become the main
    /// container's environment.
    pub secrets: Vec<ExternalSecret>,
    /// The Kubernetes Service in front of the workload; `None` for a CronJob or Job, with
    /// `enabled = false`, or when there is no port to expose.
    pub expose: Option<Expose>,
    /// More Kubernetes Services selecting the same pods (a LoadBalancer beside the ClusterIP
    /// Service, say), each named after its `extra_service` entry.
    pub extra_services: Vec<Expose>,
    /// The rollout strategy as written (`Recreate`, `RollingUpdate`); `None` lets the emitter
    /// choose.
    pub strategy: Option<String>,
    /// The Keel policy as written (`never`, `patch`, `minor`, `major`, `force`); `None` leaves it
    /// to the namespace's enrolment.
    pub keel: Option<String>,
    /// The operator that manages this workload (CNPG, say), whose images Keel must leave alone.
    pub operator: Option<String>,
    /// Holds sensitive data (databases, auth, passwords, mail, git, health, finance): its claims
    /// must be `proxmox-lvm-encrypted`, and it may not write to NFS.
    pub sensitive: bool,
    /// A Critical-path Service: it runs at least 3 replicas and gets a PodDisruptionBudget (by
    /// default at most one pod down).
    pub critical: bool,
    /// The PodDisruptionBudget as declared; with `None` a critical service gets the default budget
    /// and any other service none.
    pub pdb: Option<Pdb>,
    /// Diun update notifications (`diun.enable` on the pod template); `None` writes no annotation.
    pub diun: Option<bool>,
    /// Extra containers in the same pod, in declaration order.
    pub containers: Vec<Container>,
    /// Init containers, run in declaration order before the main container starts.
    pub init_containers: Vec<Container>,
    /// The pod's node selector; a `kubernetes.io/hostname` in it must name a VM that is a
    /// Kubernetes Node.
    pub node_selector: Vec<(String, String)>,
    /// A PriorityClass for the pods; `None` keeps the one the namespace's tier gives.
    pub priority_class: Option<String>,
    /// Extra labels on the workload, beside `app: <name>`.
    pub labels: Vec<(String, String)>,
    /// Extra annotations on the workload, beside the Keel policy.
    pub annotations: Vec<(String, String)>,
    /// Extra annotations on the pod template.
    pub pod_annotations: Vec<(String, String)>,
    /// Extra labels on the pod template, beside `app: <name>`.
    pub pod_labels: Vec<(String, String)>,
    /// The labels that identify the pods (selectors of the workload, its Services and its
    /// PodDisruptionBudget) when not `app: <name>`; empty: the default.
    pub match_labels: Vec<(String, String)>,
    /// A CronJob's labels of the Jobs it creates (`jobTemplate.metadata.labels`); empty: none.
    pub job_labels: Vec<(String, String)>,
    /// What the service is; `None` when not given.
    pub description: Option<String>,
    /// The main container's fields passed to Kubernetes as written (probes, security context,
    /// lifecycle, pull policy, working directory, `envFrom`), in Kubernetes' spelling.
    pub container_fields: serde_json::Map<String, serde_json::Value>,
    /// The main container's environment variables read from a ConfigMap or Secret key, a pod
    /// field or a resource: `{name, valueFrom}` entries, after `env` and `env_secret`.
    pub env_value_from: Vec<serde_json::Value>,
    /// The pod's fields passed to Kubernetes as written (tolerations, affinity, security
    /// context, service account, host network, DNS, grace period, restart policy, ...).
    pub pod_fields: serde_json::Map<String, serde_json::Value>,
    /// A CronJob's spec fields as written (concurrency policy, deadlines, history limits).
    pub cronjob_fields: serde_json::Map<String, serde_json::Value>,
    /// A Job's (or a CronJob's Jobs') spec fields as written (backoff limit, TTL, deadlines).
    pub job_fields: serde_json::Map<String, serde_json::Value>,
    /// A Deployment's `rollingUpdate` parameters as written.
    pub rolling_update: Option<serde_json::Value>,
    /// The workload spec's fields as written (revision history, min ready, progress deadline).
    pub workload_fields: serde_json::Map<String, serde_json::Value>,
}

/// A PodDisruptionBudget: how many of a service's pods must stay up during voluntary
/// disruptions (drains, upgrades). One of the two is set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pdb {
    /// Pods that must stay available.
    pub min_available: Option<i64>,
    /// Pods that may be unavailable at once.
    pub max_unavailable: Option<i64>,
}

/// An extra container, or an init container, in a service's pod.
#[derive(Clone, Debug, PartialEq)]
pub struct Container {
    /// The container's name (its entry's name).
    pub name: String,
    /// Where its fields' values are written.
    pub values: ValueSpans,
    /// Its image reference as written; empty when it failed to evaluate.
    pub image: String,
    /// Its command, replacing the image's entrypoint; empty keeps the image's.
    pub command: Vec<String>,
    /// Its arguments; empty keeps the image's.
    pub args: Vec<String>,
    /// Its TCP ports by name.
    pub ports: Vec<(String, u16)>,
    /// Its UDP ports by name.
    pub udp_ports: Vec<(String, u16)>,
    /// Plain environment variables, in declaration order.
    pub env: Vec<(String, String)>,
    /// Environment variables read from one key of a Kubernetes Secret.
    pub env_secret: Vec<EnvSecret>,
    /// Its requests and memory limit. An extra container's count towards the namespace's quota;
    /// an init container's do not.
    pub resources: Resources,
    /// Volumes of the service mounted into this container: `mounts` (read-only when the volume
    /// is) followed by `volume_mounts`. A name that is not a volume of the service is reported.
    pub mounts: Vec<Mount>,
    /// Whether the service's environment ExternalSecrets are also this container's environment.
    pub secrets: bool,
    /// Its fields passed to Kubernetes as written (as [`Service::container_fields`]).
    pub fields: serde_json::Map<String, serde_json::Value>,
    /// Its environment variables from other sources (as [`Service::env_value_from`]).
    pub env_value_from: Vec<serde_json::Value>,
}

/// One mount of a service's volume into a container.
#[derive(Clone, Debug, PartialEq)]
pub struct Mount {
    /// The volume's name on the service.
    pub volume: String,
    /// Where it appears in the container.
    pub path: String,
    /// Only this file or directory of the volume.
    pub sub_path: Option<String>,
    /// Mounted read-only.
    pub read_only: bool,
}

/// An environment variable read from one key of a Secret.
#[derive(Clone, Debug, PartialEq)]
pub struct EnvSecret {
    /// The environment variable.
    pub name: String,
    /// The Kubernetes Secret it reads.
    pub secret: String,
    /// The key in that Secret.
    pub key: String,
}

/// Container resources as Kubernetes quantities, as written (`15m`, `256Mi`); turn them into
/// numbers with [`parse_cpu_milli`](crate::parse_cpu_milli) and
/// [`parse_bytes`](crate::parse_bytes).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Resources {
    /// CPU request (`15m`, `2`); `None` takes the tier's default. There are no CPU limits.
    pub cpu: Option<String>,
    /// Memory request (`256Mi`); `None` takes the tier's default.
    pub memory: Option<String>,
    /// Memory limit; `None` means equal to the request (or the tier's default limit when no
    /// request is set either).
    pub memory_limit: Option<String>,
    /// How many time-sliced `nvidia.com/gpu` the container gets, as a limit.
    pub gpu: Option<i64>,
    /// GPU memory in MiB (the cluster's `gpu_memory_resource`), as a limit.
    pub gpumem: Option<i64>,
    /// A CPU limit as written (most workloads have none).
    pub cpu_limit: Option<String>,
    /// Ephemeral-storage request as written.
    pub ephemeral_storage: Option<String>,
    /// Ephemeral-storage limit as written.
    pub ephemeral_storage_limit: Option<String>,
}

/// A volume mounted into a service's main container, or (inside a [`StackVolume`]) a claim that
/// no hl service mounts.
#[derive(Clone, Debug, PartialEq)]
pub struct Volume {
    /// The volume's name in the pod; for a claim template, also the prefix of its claims' names.
    pub name: String,
    /// The `volume <name>` declaration; storage and backup findings point here.
    pub span: Span,
    /// Where its fields' values are written (`source()`: the claim's name of `claim("...")`).
    pub values: ValueSpans,
    /// Where the main container mounts it (an absolute path); empty when it does not (a stack
    /// volume, a volume only extra or init containers mount).
    pub mount: String,
    /// Mounted read-only (a backup job reading a claim, say).
    pub read_only: bool,
    /// Mount only this path inside the volume; `None` mounts all of it.
    pub sub_path: Option<String>,
    /// Holds a SQLite database, which must not live on NFS.
    pub sqlite: bool,
    /// Why it is deliberately not backed up (caches, re-creatable data); `Some` exempts it
    /// from the 3-2-1 coverage warning.
    pub no_backup: Option<String>,
    /// What backs it.
    pub source: VolumeSource,
    /// How the source is refined (an emptyDir's medium, a ConfigMap's file modes, ...).
    pub options: VolumeOptions,
}

/// What refines a volume's source, as written; each applies to the sources it names.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VolumeOptions {
    /// `empty_dir`: `Memory` for a tmpfs.
    pub medium: Option<String>,
    /// `empty_dir`: its size limit.
    pub size_limit: Option<String>,
    /// `config_map`, `secret`: the files' mode (read from octal text).
    pub default_mode: Option<i32>,
    /// `config_map`, `secret`: (key, path, mode) of the keys to project.
    pub items: Vec<(String, String, Option<i32>)>,
    /// `config_map`, `secret`: may be missing.
    pub optional: Option<bool>,
}

/// How the pvc-autoresizer grows a claim.
#[derive(Clone, Debug, PartialEq)]
pub struct Autoresize {
    /// The most it grows to (`resize.topolvm.io/storage_limit`).
    pub limit: String,
    /// Free space below which it grows (`resize.topolvm.io/threshold`).
    pub threshold: String,
    /// How much it grows by (`resize.topolvm.io/increase`).
    pub increase: String,
}

/// What backs a volume.
#[derive(Clone, Debug, PartialEq)]
pub enum VolumeSource {
    /// A claim provisioned by a StorageClass; on the Proxmox classes it carries the
    /// pvc-autoresizer annotations.
    Pvc {
        /// The claim's name: as written, or `<owner>-<volume>` with `-proxmox` or `-encrypted` for
        /// the Proxmox classes, the owner being the service or stack that declares it.
        claim: String,
        /// Requested size as a quantity (`1Gi` by default).
        size: String,
        /// The StorageClass as written (`proxmox-lvm` by default).
        class: String,
        /// The pvc-autoresizer's annotations as written: its upper bound
        /// (`resize.topolvm.io/storage_limit`), threshold and increase; `None` when the claim
        /// sets no bound (and is not resized).
        autoresize: Option<Autoresize>,
        /// Access mode (`ReadWriteOnce` by default).
        access: String,
    },
    /// A StatefulSet volume claim template: one claim per replica, named
    /// `<volume>-<service>-<ordinal>`.
    Template {
        /// Requested size of each claim (`1Gi` by default).
        size: String,
        /// The StorageClass as written (`proxmox-lvm` by default).
        class: String,
        /// Access mode (`ReadWriteOnce` by default).
        access: String,
        /// The pvc-autoresizer's annotations on each claim, as for `Pvc`; `None` when the
        /// template sets no bound.
        autoresize: Option<Autoresize>,
    },
    /// An NFS export of the PVE host, as a static PersistentVolume (of the cluster's `nfs_storage_class`) and its
    /// claim.
    Nfs {
        /// The PersistentVolume's and the claim's name: as written, or `<owner>-<volume>`.
        claim: String,
        /// The exported directory on the server (`/srv/nfs/<app>`).
        path: String,
        /// The NFS server's address; the PVE host unless set.
        server: String,
        /// Capacity written on the PersistentVolume (`10Gi` by default); NFS does not enforce it.
        size: String,
        /// Access mode (`ReadWriteMany` by default).
        access: String,
        /// Mounted straight into the pod (an `nfs` volume source): no PersistentVolume, no
        /// claim; `claim` is then only the volume's identity.
        inline: bool,
    },
    /// A claim declared elsewhere in the same namespace (by another service or the stack), by name.
    Claim(String),
    /// Scratch space that lives as long as the pod.
    EmptyDir,
    /// A ConfigMap, by name, mounted as files.
    ConfigMap(String),
    /// A path on the node.
    HostPath {
        /// The path on the node.
        path: String,
        /// Its type check (`Directory`, `Socket`, ...), if any.
        kind: Option<String>,
    },
    /// A Kubernetes Secret, by name, mounted as files.
    Secret(String),
}

impl VolumeSource {
    /// The claim this volume mounts, if it mounts one: a provisioned claim, an NFS claim or a
    /// claim declared elsewhere. Claim templates, scratch space, ConfigMaps and Secrets have
    /// none.
    ///
    /// ```
    /// use hl_model::VolumeSource;
    ///
    /// assert_eq!(VolumeSource::Claim("immich-data".into()).claim_name(), Some("immich-data"));
    /// assert_eq!(VolumeSource::EmptyDir.claim_name(), None);
    /// ```
    pub fn claim_name(&self) -> Option<&str> {
        match self {
            VolumeSource::Pvc { claim, .. }
            | VolumeSource::Nfs { claim, inline: false, .. }
            | VolumeSource::Claim(claim) => Some(claim),
            _ => None,
        }
    }
}

/// Ingress auth: who may reach a service through an ingress. A discrete mode, not a ranking;
/// the reason that `app` and `none` carry is in [`Ingress::auth_reason`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthMode {
    /// Authentik forward-auth gates every request. The default, so a forgotten `auth` fails closed.
    Required,
    /// Through Authentik's public outpost with an anonymous binding: anyone may pass, and is
    /// audited.
    Public,
    /// The backend has its own login, which the reason names.
    App,
    /// No gate at all (Anubis-fronted content, native-client APIs); the reason says why that is
    /// safe.
    None,
}

impl AuthMode {
    /// The hl variant name: `required`, `public`, `app` or `none`.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMode::Required => "required",
            AuthMode::Public => "public",
            AuthMode::App => "app",
            AuthMode::None => "none",
        }
    }
}

/// An Ingress as the homelab's ingress factory emits it: a Traefik route over TLS for one host,
/// the middleware chain its auth calls for, and the homepage and DNS annotations.
#[derive(Clone, Debug, PartialEq)]
pub struct Ingress {
    /// The ingress's name; also the host label unless `host` is set.
    pub name: String,
    /// The `ingress <name>` declaration; most findings about the ingress point here.
    pub span: Span,
    /// Where its fields' values are written.
    pub values: ValueSpans,
    /// The namespace of its backend: that of its service or frontend, or for an ingress on the
    /// stack its `namespace` or the stack's only namespace.
    pub namespace: String,
    /// The full host name: `full_host`, or `<host>.<root_domain>` with the ingress's name as the
    /// default host (`rss.example.org`).
    pub host: String,
    /// Who may reach it.
    pub auth: AuthMode,
    /// For `app` and `none`: what gates the service, or why it may be open (a blank reason is an
    /// error, E0501); `None` for `required` and `public`.
    pub auth_reason: Option<String>,
    /// Span of the `auth` value, or of the ingress when defaulted.
    pub auth_span: Span,
    /// How the host is published in DNS, as written: `proxied`, `non-proxied`, `internal` or
    /// `none` (the default).
    pub dns_type: String,
    /// Span of the `dns = ...` field, or of the ingress when defaulted.
    pub dns_span: Span,
    /// The backend Service's port: the chart backend's, `port`, or the first port of its Service.
    pub port: u16,
    /// The backend Service's name: the chart backend's, `backend`, or the service's or frontend's
    /// own Service.
    pub backend: String,
    /// The backend Service is a chart's or an operator's, not hl's.
    pub chart_backend: Option<ChartBackend>,
    /// Path prefixes routed to the backend (`/` when none are given). No two ingresses may serve
    /// the same host and path.
    pub paths: Vec<String>,
    /// What it serves, as written: `web` (the default), `git`, `webdav`, `caldav`, `carddav` or
    /// `api`. Anubis may front only `web`, since other clients cannot solve its challenge.
    pub serves: String,
    /// Authentik groups let through by forward-auth; used only with `auth = required`.
    pub allowed_groups: Vec<String>,
    /// Where `allowed_groups` was set, when the program set it.
    pub allowed_groups_span: Option<Span>,
    /// Traefik middlewares appended after the factory's chain, in order (`name@kubernetescrd`).
    pub extra_middlewares: Vec<String>,
    /// Where each of `extra_middlewares` is written, in the same order.
    pub extra_middleware_spans: Vec<Span>,
    /// AI-scraper blocking; `None` turns it on for `app` and `none` (no Authentik in the path)
    /// and off otherwise.
    pub anti_ai: Option<bool>,
    /// Reachable only from local networks (the `traefik-local-only` middleware).
    pub local_only: bool,
    /// Leave the rate-limit middleware out of the chain.
    pub skip_rate_limit: bool,
    /// A Content-Security-Policy of its own, emitted as a Middleware in place of the shared CSP
    /// headers; `None` keeps the shared ones.
    pub custom_csp: Option<String>,
    /// Request body limit as written (`5g`, `500m`; k, m and g are powers of 1024), with the span
    /// of the value; it becomes a buffering Middleware.
    pub max_body_size: Option<(String, Span)>,
    /// Scale-to-zero through Sablier; `None` when the workload always runs.
    pub sablier: Option<Sablier>,
    /// Show a tile on the homepage dashboard (on by default).
    pub homepage: bool,
    /// The homepage tile's description; `None` when not given.
    pub description: Option<String>,
    /// The homepage group of the tile; `None` picks one from the namespace, as the factory does.
    pub homepage_group: Option<String>,
    /// External uptime monitoring; `None` turns it on for `proxied` and `non-proxied` hosts.
    pub external_monitor: Option<bool>,
    /// Extra annotations on the Ingress, beside the ones hl derives.
    pub annotations: Vec<(String, String)>,
}

/// A backend Service that hl does not declare.
#[derive(Clone, Debug, PartialEq)]
pub struct ChartBackend {
    /// The Service's name, as the chart or operator creates it.
    pub service: String,
    /// The Service port the ingress routes to.
    pub port: u16,
    /// What creates the Service.
    pub created_by: Creator,
    /// The `chart_backend = ...` value.
    pub span: Span,
}

/// What creates a Service that hl does not declare.
#[derive(Clone, Debug, PartialEq)]
pub enum Creator {
    /// A `helm` release of the stack, by name.
    Helm(String),
    /// An operator or application, as described.
    Operator(String),
}

/// Scale-to-zero through Sablier: the workload sleeps until a request to the ingress wakes it.
#[derive(Clone, Debug, PartialEq)]
pub struct Sablier {
    /// The Sablier group whose workloads wake together; the ingress's name by default.
    pub group: String,
    /// How long the workload stays up after the last request (`3h` by default).
    pub session_duration: String,
    /// `dynamic` (a waiting page; the default) or `blocking` (the request waits).
    pub strategy: String,
    /// The name on the waiting page; the ingress's name by default.
    pub display_name: String,
    /// The waiting page's theme (`ghost` by default).
    pub theme: String,
    /// How often the waiting page checks again (`5s` by default).
    pub refresh_frequency: String,
    /// With `blocking`: how long a request waits for the workload (`5m` by default).
    pub blocking_timeout: String,
}

/// An ExternalSecret: a Kubernetes Secret that External Secrets fills from Vault. hl holds only
/// where the value lives, never the value.
#[derive(Clone, Debug, PartialEq)]
pub struct ExternalSecret {
    /// The ExternalSecret's name.
    pub name: String,
    /// The `secret <name>` declaration.
    pub span: Span,
    /// Its namespace: its service's, or for a stack secret its `namespace` or the stack's only
    /// namespace.
    pub namespace: String,
    /// The ClusterSecretStore: `vault-kv` (Vault's KV engine; the default) or `vault-database`
    /// (rotating database credentials).
    pub store: String,
    /// How often it is read again from Vault, as a duration (`15m` by default).
    pub refresh: String,
    /// Whole Vault paths whose keys all become keys of the Secret (`dataFrom.extract`).
    pub extract: Vec<String>,
    /// Secret key, Vault key, Vault property.
    pub data: Vec<(String, String, String)>,
    /// Expose the Secret as the environment of its service's main container (on by default).
    pub env: bool,
    /// The name of the Kubernetes Secret it creates; the ExternalSecret's name by default.
    pub target: String,
    /// The Secret's keys rendered from the fetched values (template engine v2), in order.
    pub template: Vec<(String, String)>,
    /// The Secret's type, with a template.
    pub template_type: Option<String>,
    /// Labels of the Secret it writes.
    pub secret_labels: Vec<(String, String)>,
    /// Annotations of the Secret it writes.
    pub secret_annotations: Vec<(String, String)>,
    /// `target.deletionPolicy` as written (`Delete`, `Merge`, `Retain`); `None`: not written.
    pub deletion_policy: Option<String>,
}

/// A Kubernetes Service: a service's own (`expose`), an extra one (`extra_service`), or a
/// frontend's.
#[derive(Clone, Debug, PartialEq)]
pub struct Expose {
    /// The Service's name: `name`, the service's or frontend's name, or the `extra_service`
    /// entry's.
    pub name: String,
    /// Its declaration, or the service (or frontend) when it was defaulted.
    pub span: Span,
    /// Where its fields' values are written (`lb_ip`).
    pub values: ValueSpans,
    /// The Service type as written: `ClusterIP` (the default), `LoadBalancer`, `NodePort`, or
    /// `headless` (a ClusterIP Service without a cluster IP).
    pub service_type: String,
    /// Its ports, never empty: as declared, or else every container port unchanged (TCP, then
    /// UDP).
    pub ports: Vec<ServicePort>,
    /// The MetalLB address it asks for (`metallb.io/loadBalancerIPs`), which must lie in the pool;
    /// `None` lets MetalLB pick.
    pub lb_ip: Option<String>,
    /// Shares its address with other Services (`metallb.io/allow-shared-ip`); all of them need
    /// the `Cluster` traffic policy and distinct ports.
    pub shared_ip: bool,
    /// `Cluster` or `Local` (externalTrafficPolicy); `None` leaves Kubernetes' default, `Cluster`.
    pub traffic_policy: Option<String>,
    /// Extra annotations, beside the MetalLB ones.
    pub annotations: Vec<(String, String)>,
    /// Extra labels, beside the service's (a frontend's: its own `labels`); a key here wins.
    pub labels: Vec<(String, String)>,
    /// A fixed cluster IP; `None` lets Kubernetes pick (or, when headless, none).
    pub cluster_ip: Option<String>,
    /// The pods it selects, when not the workload's own; empty: the default.
    pub selector: Vec<(String, String)>,
    /// Whether pods that are not ready get traffic.
    pub publish_not_ready_addresses: Option<bool>,
    /// `ClientIP` or `None` as written.
    pub session_affinity: Option<String>,
}

/// One port of a Kubernetes Service.
#[derive(Clone, Debug, PartialEq)]
pub struct ServicePort {
    /// The port's name.
    pub name: String,
    /// The port the Service listens on.
    pub port: u16,
    /// The container (or endpoint) port it forwards to; `port` unless set.
    pub target: u16,
    /// `TCP` (the default) or `UDP`.
    pub protocol: String,
    /// For a NodePort Service: the fixed port on every Node; `None` lets Kubernetes pick.
    pub node_port: Option<u16>,
    /// The container port by name, when the Service names it rather than numbers it.
    pub target_name: Option<String>,
}

/// The Proxmox side of the homelab.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Proxmox {
    /// The PVE host; `None` when the workspace declares no `pve_host`, and then no capacity check
    /// runs.
    pub host: Option<PveHost>,
    /// Network segments, in declaration order.
    pub segments: Vec<Segment>,
    /// VM templates, in declaration order.
    pub templates: Vec<VmTemplate>,
    /// VMs, in declaration order: all are in `proxmox/inventory.json`; a `managed` one also
    /// becomes `proxmox/vms/<vm>.json`.
    pub vms: Vec<Vm>,
    /// SSH public keys that cloud-init may install, as Vault references.
    pub ssh_keys: Vec<SshKeyRef>,
}

/// The PVE host: the one physical Proxmox hypervisor of the homelab, which is also its NFS server.
#[derive(Clone, Debug, PartialEq)]
pub struct PveHost {
    /// The Proxmox node name that VMs are created on (`pve` by default).
    pub node: String,
    /// The host's address; no VM may use it.
    pub ip: String,
    /// Hardware threads of the host's CPUs; 0 skips the CPU overcommit check.
    pub threads: i64,
    /// The host's memory in bytes; 0 skips the memory overcommit check.
    pub memory_bytes: u64,
    /// How many running vCPUs per thread are acceptable (3.0 by default).
    pub cpu_overcommit: f64,
    /// How much running VM memory per byte of host memory is acceptable (1.0 by default).
    pub memory_overcommit: f64,
    /// Passthrough devices: name, PCI address.
    pub pci: Vec<(String, String)>,
    /// The `pve_host` declaration; capacity findings point here.
    pub span: Span,
}

/// A network segment of the PVE host: a bridge, optionally a VLAN on it, and its address range.
#[derive(Clone, Debug, PartialEq)]
pub struct Segment {
    /// The segment's name, by which NICs attach to it.
    pub name: String,
    /// The Linux bridge on the host (`vmbr1`).
    pub bridge: String,
    /// The VLAN tag on the bridge; `None` for untagged traffic.
    pub vlan: Option<i64>,
    /// The address range (`192.0.2.0/24`); static addresses on the segment must lie inside it.
    pub cidr: String,
    /// The default gateway of static addresses on the segment; `None` gives them none.
    pub gateway: Option<String>,
    /// DNS servers of VMs whose first NIC is on this segment.
    pub nameservers: Vec<String>,
    /// DNS search domain of VMs whose first NIC is on this segment; also their FQDN's suffix.
    pub search_domain: Option<String>,
    /// The `segment <name>` declaration.
    pub span: Span,
}

/// A VM template on the PVE host that VMs are cloned from: `proxmox/templates/<name>.json` and
/// its cloud-init snippet `proxmox/snippets/<snippet>.ctmpl`.
#[derive(Clone, Debug, PartialEq)]
pub struct VmTemplate {
    /// The template's name, by which VMs choose it.
    pub name: String,
    /// Its Proxmox VM ID, unique among VMs and templates.
    pub vmid: i64,
    /// The cloud image on the host that its disk is imported from.
    pub image_path: String,
    /// Where the image is downloaded from when the host lacks it.
    pub image_url: String,
    /// Memory as a quantity (`8Gi` by default); the API gets it in MiB.
    pub memory: String,
    /// Cores (8 by default).
    pub cores: i64,
    /// The bridge of its NIC (`vmbr0` by default).
    pub bridge: String,
    /// The storage of its disk and cloud-init drive (`local-lvm` by default).
    pub storage: String,
    /// The SCSI controller (`virtio-scsi-pci` by default).
    pub scsihw: String,
    /// Built for Kubernetes Nodes (kubeadm, kubelet, containerd).
    pub kubernetes: bool,
    /// The snippet's file name on the host (`/var/lib/vz/snippets/<snippet>`).
    pub snippet: String,
    /// The `#cloud-config` user data: text and references resolved at render time; `Err` says
    /// how a reference is malformed (E0610; nothing is emitted then).
    pub user_data: Result<Vec<crate::render::Piece>, String>,
    /// The span of `user_data`, or of the template when not found.
    pub user_data_span: Span,
    /// The `vm_template <name>` declaration.
    pub span: Span,
}

/// A disk of a VM.
#[derive(Clone, Debug, PartialEq)]
pub struct VmDisk {
    /// The slot it is attached to (`scsi0`); the VM boots from its first disk.
    pub slot: String,
    /// The Proxmox storage it lives on (`local-lvm` by default).
    pub storage: String,
    /// Its size as a quantity (`64Gi`); the API gets it rounded up to whole GiB.
    pub size: String,
    /// Presented to the guest as an SSD (`ssd=1`; on by default).
    pub ssd: bool,
    /// Passes the guest's TRIM through to thin storage (`discard=on`; on by default).
    pub discard: bool,
    /// Has an I/O thread of its own (`iothread=1`); needs a `virtio-scsi-single` controller.
    pub iothread: bool,
    /// The asynchronous I/O mode (`threads`, `native`, `io_uring`); `None` keeps Proxmox's.
    pub aio: Option<String>,
    /// Read cap in MB/s; `None` is uncapped.
    pub mbps_rd: Option<i64>,
    /// Write cap in MB/s; `None` is uncapped.
    pub mbps_wr: Option<i64>,
    /// The `disk <slot>` declaration.
    pub span: Span,
}

/// A network interface of a VM, attached to a declared segment.
#[derive(Clone, Debug, PartialEq)]
pub struct VmNic {
    /// The slot (`net0`). The NICs' `ipconfigN` are numbered by their order, from 0.
    pub slot: String,
    /// The segment it attaches to, by name.
    pub segment: String,
    /// A static address inside the segment; `None` for DHCP.
    pub ip: Option<String>,
    /// A fixed MAC address; `None` lets Proxmox choose.
    pub mac: Option<String>,
    /// The `nic <slot>` declaration.
    pub span: Span,
    /// Where its fields' values are written: address and segment findings point there.
    pub values: ValueSpans,
}

/// Cloud-init settings of a managed VM cloned from a template (whose snippet is its user data).
#[derive(Clone, Debug, PartialEq)]
pub struct CloudInit {
    /// The login user (`wizard` by default): the VM's `ciuser`.
    pub user: String,
    /// Names of declared `ssh_key`s, listed as Vault references beside the VM's parameters.
    pub ssh_keys: Vec<String>,
    /// Span of the VM's `cloud_init` field, or of the VM when not found.
    pub span: Span,
}

/// A virtual machine on the PVE host.
#[derive(Clone, Debug, PartialEq)]
pub struct Vm {
    /// The VM's name, also its hostname (and its Node name when it is a Kubernetes Node).
    pub name: String,
    /// The `vm <name>` declaration.
    pub span: Span,
    /// Where its fields' values are written (`vmid`, `pci[0]`).
    pub values: ValueSpans,
    /// Its Proxmox VM ID, unique among VMs and templates.
    pub vmid: i64,
    /// Cores per socket (4 by default).
    pub cores: i64,
    /// CPU sockets (1 by default); its vCPUs are cores times sockets.
    pub sockets: i64,
    /// Memory as a quantity (`8Gi` by default); the API gets it in MiB.
    pub memory: String,
    /// Memory ballooning; `None` when not recorded (Proxmox then keeps the device on).
    pub balloon: Option<Balloon>,
    /// The guest OS type, in Proxmox's spelling (`l26`, `win10`, `other`, ...).
    pub ostype: String,
    /// The SCSI controller, in Proxmox's spelling (`virtio-scsi-pci` by default).
    pub scsihw: String,
    /// Span of the `scsihw` field, or of the VM when not written in the VM's file.
    pub scsihw_span: Span,
    /// The CPU type Proxmox emulates (`host` by default).
    pub cpu: String,
    /// The machine type (`q35` for PCI passthrough); `None` keeps Proxmox's default.
    pub machine: Option<String>,
    /// Span of the `machine` field, or of the VM when not set.
    pub machine_span: Span,
    /// Disks in declaration order; the first is the boot disk.
    pub disks: Vec<VmDisk>,
    /// Network interfaces in declaration order.
    pub nics: Vec<VmNic>,
    /// The template it is cloned from, with the span of the value; `None` for a VM not cloned.
    pub template: Option<(String, Span)>,
    /// Cloud-init settings; `None` when the VM has none.
    pub cloud_init: Option<CloudInit>,
    /// Names of the host's PCI devices passed through to it; a device goes to one VM only.
    pub pci: Vec<String>,
    /// Span of the `pci` field, or of the VM when not set.
    pub pci_span: Span,
    /// The VM is a Kubernetes Node, which node selectors may name.
    pub kubernetes_node: bool,
    /// Starts when the host boots (on by default).
    pub onboot: bool,
    /// Kept running (on by default); only running VMs count against the host's capacity.
    pub running: bool,
    /// hlc emits its creation parameters (off by default: the VMs live in the Proxmox UI).
    pub managed: bool,
    /// Proxmox tags.
    pub tags: Vec<String>,
    /// Shown in the Proxmox UI; `None` when not given.
    pub description: Option<String>,
}

/// Memory ballooning of a VM.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Balloon {
    /// No balloon device (`balloon: 0`).
    Off,
    /// The device with Proxmox's default target, the VM's memory (the parameter left out).
    On,
    /// The host may reclaim memory down to this quantity (`balloon: <MiB>`).
    Min(String),
}

/// An SSH public key kept in Vault.
#[derive(Clone, Debug, PartialEq)]
pub struct SshKeyRef {
    /// The `ssh_key` entry's name, by which cloud-init refers to it.
    pub name: String,
    /// The Vault KV path that holds the public key.
    pub key: String,
    /// The property under that path that holds it.
    pub property: String,
}

/// A step of the PVE host's 3-2-1 backup pipeline.
#[derive(Clone, Debug, PartialEq)]
pub struct HostBackup {
    /// The step's name; its units are `hlc-backup-<name>.service` and `.timer`.
    pub name: String,
    /// The `host_backup <name>` declaration.
    pub span: Span,
    /// What the step does; the units' `Description=`.
    pub description: String,
    /// As written (cron or calendar form).
    pub schedule: String,
    /// Span of the schedule value.
    pub schedule_span: Span,
    /// The command the service runs: an absolute path and its arguments.
    pub command: Vec<String>,
    /// How far the start is spread, in seconds (`RandomizedDelaySec=`); `None` starts on time.
    pub randomized_delay: Option<u64>,
    /// The 3-2-1 copy it produces, as written: `live` (copy 1), `local` (copy 2, the host's
    /// backup disk) or `offsite` (copy 3).
    pub produces: String,
    /// What it reads: storage classes (`proxmox-lvm`), path prefixes (`/srv/nfs`) or other
    /// sources (`vm:102`).
    pub sources: Vec<String>,
    /// Path prefixes it skips.
    pub excludes: Vec<String>,
    /// Where it writes; `None` when not said, and then it is left out of the overlap check.
    pub target: Option<String>,
    /// How long copies are kept, in words; `None` when not said.
    pub retention: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::ValueSpans;
    use hl_diagnostics::{FileId, Span};

    fn span(n: usize) -> Span {
        Span::new(FileId(0), n, n + 1)
    }

    #[test]
    fn value_spans_find_every_key_and_keep_the_last_of_a_repeated_one() {
        let mut v = ValueSpans::builder();
        for (i, key) in
            ["env", "env[B]", "env[A].key", "env[A]", "pci[0]", "env[B]", "pci[10]", "image"].iter().enumerate()
        {
            v.insert(format_args!("{key}"), span(i));
        }
        let v = v.finish();
        assert_eq!(v.get("env"), Some(span(0)));
        assert_eq!(v.get("env[B]"), Some(span(5)), "the later span of a repeated key wins");
        assert_eq!(v.get("env[A].key"), Some(span(2)));
        assert_eq!(v.get("pci[10]"), Some(span(6)));
        assert_eq!(v.get("image"), Some(span(7)));
        assert_eq!(v.get("env[C]"), None);
        assert_eq!(v.get(""), None);
        assert_eq!(v.at("replicas", span(99)), span(99));
        let keys: Vec<&str> = v.entries().map(|(k, _)| k).collect();
        assert_eq!(keys, ["env", "env[A]", "env[A].key", "env[B]", "image", "pci[0]", "pci[10]"]);
    }

    #[test]
    fn value_spans_are_equal_by_content_not_by_the_order_keys_came_in() {
        let mut a = ValueSpans::builder();
        a.insert(format_args!("x"), span(1));
        a.insert(format_args!("y"), span(2));
        let mut b = ValueSpans::builder();
        b.insert(format_args!("y"), span(2));
        b.insert(format_args!("x"), span(1));
        assert_eq!(a.finish(), b.finish());
        let mut c = ValueSpans::builder();
        c.insert(format_args!("x"), span(1));
        c.insert(format_args!("y"), span(3));
        let mut d = ValueSpans::builder();
        d.insert(format_args!("x"), span(1));
        d.insert(format_args!("y"), span(2));
        assert_ne!(c.finish(), d.finish());
    }
}
