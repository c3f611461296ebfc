//! The model types.

use hl_diagnostics::Span;

/// The whole homelab as declared.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Model {
    pub stacks: Vec<Stack>,
    /// Authentik groups declared in hl (name, declaration).
    pub authentik_groups: Vec<(String, Span)>,
    pub owners: Vec<Owner>,
    pub proxmox: Proxmox,
    pub host_backups: Vec<HostBackup>,
    /// Cluster facts from the standard library.
    pub facts: Facts,
}

/// Cluster facts the checks need, read from the standard library's `let`s.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Facts {
    pub tier0_stacks: Vec<String>,
    pub authentik_ui_groups: Vec<String>,
    pub metallb_pool: (String, String),
    pub state_backend_stacks: Vec<String>,
    pub home_lans_middleware: String,
    pub tier_policies: std::collections::BTreeMap<NamespaceTier, TierPolicy>,
    pub node_count: i64,
    /// The namespaces Kubernetes creates itself (`default`, `kube-system`, ...): no stack owns
    /// them, and any stack may use them.
    pub cluster_namespaces: Vec<String>,
}

/// Kyverno's per-tier defaults and quota, in millicores and bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TierPolicy {
    pub priority_class: String,
    pub default_cpu_milli: u64,
    pub default_memory: u64,
    pub default_memory_limit: u64,
    pub quota_cpu_milli: u64,
    pub quota_memory: u64,
    pub quota_memory_limit: u64,
    pub quota_pods: u64,
}

/// A person with an RBAC tier.
#[derive(Clone, Debug, PartialEq)]
pub struct Owner {
    pub name: String,
    pub span: Span,
    pub role: String,
    pub email: String,
    pub namespaces: Vec<String>,
    pub domains: Vec<String>,
}

/// A warning a stack accepts, with its reason.
#[derive(Clone, Debug, PartialEq)]
pub struct Waiver {
    /// As written: a code (`E0513`) or a name (`no-backup`).
    pub code: String,
    pub reason: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Stack {
    pub name: String,
    pub span: Span,
    pub state_tier: i64,
    /// Span of the `state_tier` field, or of the stack name when defaulted.
    pub state_tier_span: Span,
    pub depends_on: Vec<(String, Span)>,
    pub description: Option<String>,
    pub namespaces: Vec<Namespace>,
    pub services: Vec<Service>,
    pub secrets: Vec<ExternalSecret>,
    pub owner: Option<(String, Span)>,
    pub waivers: Vec<Waiver>,
    pub helm: Vec<HelmRelease>,
    /// Services whose pods hl does not declare.
    pub frontends: Vec<Frontend>,
    /// Ingresses declared on the stack: their backends are Services a chart or operator creates.
    pub ingresses: Vec<Ingress>,
    /// Volumes declared on the stack, which no hl service mounts.
    pub volumes: Vec<StackVolume>,
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
    pub name: String,
    pub span: Span,
    pub namespace: String,
    /// Span of the `namespace = ...` field, or of the frontend when defaulted.
    pub namespace_span: Span,
    pub upstream: Upstream,
    /// The Service itself (named after the frontend).
    pub expose: Expose,
    pub labels: Vec<(String, String)>,
    pub ingresses: Vec<Ingress>,
    pub description: Option<String>,
}

/// What a frontend's Service sends its traffic to.
#[derive(Clone, Debug, PartialEq)]
pub enum Upstream {
    /// Pods chosen by these labels (the Service's selector).
    Pods(Vec<(String, String)>),
    /// Addresses outside the cluster, written as an EndpointSlice.
    Addresses(Vec<String>),
}

/// A volume declared on the stack: its claim (and PersistentVolume) is emitted, but no hl
/// service mounts it.
#[derive(Clone, Debug, PartialEq)]
pub struct StackVolume {
    /// The volume; its `mount` is empty.
    pub volume: Volume,
    pub namespace: String,
    pub namespace_span: Span,
    pub mounted_by: String,
}

/// A Helm chart release managed by Flux.
#[derive(Clone, Debug, PartialEq)]
pub struct HelmRelease {
    pub name: String,
    pub span: Span,
    pub chart: String,
    pub repo: String,
    pub version: Option<String>,
    pub namespace: String,
    /// The values as JSON text (object), in declaration order.
    pub values: serde_json::Value,
    pub interval: String,
    pub create_namespace: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NamespaceTier {
    Core,
    Cluster,
    Gpu,
    Edge,
    Aux,
}

impl NamespaceTier {
    /// The value of the namespace's `tier` label.
    pub fn label(self) -> &'static str {
        match self {
            NamespaceTier::Core => "0-core",
            NamespaceTier::Cluster => "1-cluster",
            NamespaceTier::Gpu => "2-gpu",
            NamespaceTier::Edge => "3-edge",
            NamespaceTier::Aux => "4-aux",
        }
    }

    pub fn from_variant(v: &str) -> Option<Self> {
        Some(match v {
            "core" => NamespaceTier::Core,
            "cluster" => NamespaceTier::Cluster,
            "gpu" => NamespaceTier::Gpu,
            "edge" => NamespaceTier::Edge,
            "aux" => NamespaceTier::Aux,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Namespace {
    pub name: String,
    pub span: Span,
    /// Used, not owned: nothing is emitted for it, and its other settings are unset.
    pub external: bool,
    pub tier: Option<NamespaceTier>,
    pub keel: bool,
    pub custom_quota: bool,
    pub custom_limitrange: bool,
    pub tls: bool,
    pub labels: Vec<(String, String)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkloadKind {
    Deployment,
    StatefulSet,
    DaemonSet,
    CronJob,
    Job,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Service {
    pub name: String,
    pub span: Span,
    pub kind: WorkloadKind,
    pub namespace: String,
    /// Span of the `namespace = ...` field, or of the service when it was defaulted.
    pub namespace_span: Span,
    pub image: String,
    pub container_name: String,
    pub replicas: i64,
    pub schedule: Option<(String, Span)>,
    pub time_zone: Option<String>,
    pub suspend: bool,
    pub command: Vec<String>,
    pub args: Vec<String>,
    pub ports: Vec<(String, u16)>,
    pub udp_ports: Vec<(String, u16)>,
    pub env: Vec<(String, String)>,
    pub env_secret: Vec<EnvSecret>,
    pub resources: Resources,
    pub volumes: Vec<Volume>,
    pub configs: Vec<(String, Vec<(String, String)>)>,
    pub ingresses: Vec<Ingress>,
    pub secrets: Vec<ExternalSecret>,
    pub expose: Option<Expose>,
    pub extra_services: Vec<Expose>,
    pub strategy: Option<String>,
    pub keel: Option<String>,
    pub operator: Option<String>,
    pub sensitive: bool,
    pub critical: bool,
    pub pdb: Option<Pdb>,
    pub diun: Option<bool>,
    pub containers: Vec<Container>,
    pub init_containers: Vec<Container>,
    pub node_selector: Vec<(String, String)>,
    pub priority_class: Option<String>,
    pub labels: Vec<(String, String)>,
    pub annotations: Vec<(String, String)>,
    pub pod_annotations: Vec<(String, String)>,
    pub description: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pdb {
    pub min_available: Option<i64>,
    pub max_unavailable: Option<i64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Container {
    pub name: String,
    pub image: String,
    pub command: Vec<String>,
    pub args: Vec<String>,
    pub ports: Vec<(String, u16)>,
    pub env: Vec<(String, String)>,
    pub env_secret: Vec<EnvSecret>,
    pub resources: Resources,
    /// Service volume name and mount path.
    pub mounts: Vec<(String, String)>,
    pub secrets: bool,
}

/// An environment variable read from one key of a Secret.
#[derive(Clone, Debug, PartialEq)]
pub struct EnvSecret {
    pub name: String,
    pub secret: String,
    pub key: String,
}

/// Container resources as Kubernetes quantities (`15m`, `256Mi`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Resources {
    pub cpu: Option<String>,
    pub memory: Option<String>,
    pub memory_limit: Option<String>,
    pub gpu: Option<i64>,
    pub gpumem: Option<i64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Volume {
    pub name: String,
    pub span: Span,
    pub mount: String,
    pub read_only: bool,
    pub sub_path: Option<String>,
    pub sqlite: bool,
    /// The declared reason it is not backed up.
    pub no_backup: Option<String>,
    pub source: VolumeSource,
}

#[derive(Clone, Debug, PartialEq)]
pub enum VolumeSource {
    Pvc {
        claim: String,
        size: String,
        class: String,
        limit: String,
        access: String,
    },
    /// A StatefulSet volume claim template.
    Template {
        size: String,
        class: String,
        access: String,
    },
    Nfs {
        claim: String,
        path: String,
        server: String,
        size: String,
        access: String,
    },
    Claim(String),
    EmptyDir,
    ConfigMap(String),
    Secret(String),
}

impl VolumeSource {
    /// The claim this volume mounts, if it mounts one.
    pub fn claim_name(&self) -> Option<&str> {
        match self {
            VolumeSource::Pvc { claim, .. } | VolumeSource::Nfs { claim, .. } | VolumeSource::Claim(claim) => {
                Some(claim)
            }
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthMode {
    Required,
    Public,
    App,
    None,
}

impl AuthMode {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMode::Required => "required",
            AuthMode::Public => "public",
            AuthMode::App => "app",
            AuthMode::None => "none",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Ingress {
    pub name: String,
    pub span: Span,
    pub namespace: String,
    pub host: String,
    pub auth: AuthMode,
    pub auth_reason: Option<String>,
    pub auth_span: Span,
    pub dns_type: String,
    /// Span of the `dns = ...` field, or of the ingress when defaulted.
    pub dns_span: Span,
    pub port: u16,
    pub backend: String,
    /// The backend Service is a chart's or an operator's, not hl's.
    pub chart_backend: Option<ChartBackend>,
    pub paths: Vec<String>,
    pub serves: String,
    pub allowed_groups: Vec<String>,
    /// Where `allowed_groups` was set, when the program set it.
    pub allowed_groups_span: Option<Span>,
    pub extra_middlewares: Vec<String>,
    pub anti_ai: Option<bool>,
    pub local_only: bool,
    pub skip_rate_limit: bool,
    pub custom_csp: Option<String>,
    pub max_body_size: Option<(String, Span)>,
    pub sablier: Option<Sablier>,
    pub homepage: bool,
    pub description: Option<String>,
    pub homepage_group: Option<String>,
    pub external_monitor: Option<bool>,
    pub annotations: Vec<(String, String)>,
}

/// A backend Service that hl does not declare.
#[derive(Clone, Debug, PartialEq)]
pub struct ChartBackend {
    pub service: String,
    pub port: u16,
    pub created_by: Creator,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Creator {
    /// A `helm` release of the stack, by name.
    Helm(String),
    /// An operator or application, as described.
    Operator(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Sablier {
    pub group: String,
    pub session_duration: String,
    pub strategy: String,
    pub display_name: String,
    pub theme: String,
    pub refresh_frequency: String,
    pub blocking_timeout: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ExternalSecret {
    pub name: String,
    pub span: Span,
    pub namespace: String,
    pub store: String,
    pub refresh: String,
    pub extract: Vec<String>,
    /// Secret key, Vault key, Vault property.
    pub data: Vec<(String, String, String)>,
    pub env: bool,
    pub target: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expose {
    pub name: String,
    pub span: Span,
    pub service_type: String,
    pub ports: Vec<ServicePort>,
    pub lb_ip: Option<String>,
    pub shared_ip: bool,
    pub traffic_policy: Option<String>,
    pub annotations: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ServicePort {
    pub name: String,
    pub port: u16,
    pub target: u16,
    pub protocol: String,
    pub node_port: Option<u16>,
}

/// The Proxmox side of the homelab.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Proxmox {
    pub host: Option<PveHost>,
    pub segments: Vec<Segment>,
    pub templates: Vec<VmTemplate>,
    pub vms: Vec<Vm>,
    pub ssh_keys: Vec<SshKeyRef>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PveHost {
    pub node: String,
    pub ip: String,
    pub threads: i64,
    pub memory_bytes: u64,
    pub cpu_overcommit: f64,
    pub memory_overcommit: f64,
    /// Passthrough devices: name, PCI address.
    pub pci: Vec<(String, String)>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Segment {
    pub name: String,
    pub bridge: String,
    pub vlan: Option<i64>,
    pub cidr: String,
    pub gateway: Option<String>,
    pub nameservers: Vec<String>,
    pub search_domain: Option<String>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct VmTemplate {
    pub name: String,
    pub vmid: i64,
    pub image: String,
    pub kubernetes: bool,
    pub snippet: Option<String>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct VmDisk {
    pub slot: String,
    pub storage: String,
    pub size: String,
    pub ssd: bool,
    pub discard: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct VmNic {
    pub slot: String,
    pub segment: String,
    pub ip: Option<String>,
    pub mac: Option<String>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CloudInit {
    pub user: String,
    pub ssh_keys: Vec<String>,
    pub packages: Vec<String>,
    pub runcmd: Vec<String>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Vm {
    pub name: String,
    pub span: Span,
    pub vmid: i64,
    pub cores: i64,
    pub sockets: i64,
    pub memory: String,
    pub balloon: i64,
    pub cpu: String,
    pub machine: Option<String>,
    pub disks: Vec<VmDisk>,
    pub nics: Vec<VmNic>,
    pub template: Option<(String, Span)>,
    pub cloud_init: Option<CloudInit>,
    pub pci: Vec<String>,
    pub pci_span: Span,
    pub kubernetes_node: bool,
    pub onboot: bool,
    pub running: bool,
    pub tags: Vec<String>,
    pub description: Option<String>,
}

/// An SSH public key kept in Vault.
#[derive(Clone, Debug, PartialEq)]
pub struct SshKeyRef {
    pub name: String,
    pub key: String,
    pub property: String,
}

/// A step of the PVE host's 3-2-1 backup pipeline.
#[derive(Clone, Debug, PartialEq)]
pub struct HostBackup {
    pub name: String,
    pub span: Span,
    pub description: String,
    /// As written (cron or calendar form).
    pub schedule: String,
    pub schedule_span: Span,
    pub command: Vec<String>,
    /// Seconds.
    pub randomized_delay: Option<u64>,
    pub produces: String,
    pub sources: Vec<String>,
    pub excludes: Vec<String>,
    pub target: Option<String>,
    pub retention: Option<String>,
}
