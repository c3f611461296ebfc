//! `hl-bench gen`: a synthetic hl workspace shaped like the homelab in `stacks/`.
//!
//! The workspace has a fixed part (`base/`: the bootstrap and shared stacks, the host and a
//! helper library, see `platform.rs`) and `N` generated application stacks (`stacks/`), one
//! file each. Stack `i` depends only on the seed and `i` (and on how many backup slots the
//! stacks before it took), so a larger workspace extends a smaller one of the same seed.
//!
//! Every name that the compiler requires to be unique is derived from the stack's name, which
//! carries its index: namespaces, hosts, claims, NFS paths, LoadBalancer ports on the shared
//! address, backup schedules. Dependencies only point at the fixed stacks and at earlier
//! generated stacks, so the graph has no cycle. Warnings that a stack triggers on purpose are
//! waived with a reason, as `stacks/` does; everything else is kept clean, so `hlc check`
//! reports no error and no warning.
//!
//! Each stack is drawn first, as a plain description ([`StackDesc`]), and written afterwards:
//! [`hl_text`] writes it in hl, and `pkl.rs` writes the same description in Pkl for the race
//! against Pkl. The draws are made in the order the generator has always made them, so a seed
//! and a size give the same hl files, byte for byte, as before the split.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::Path;

use crate::platform::{self, DEPENDABLE, RESERVED_SLOTS, SLOTS_PER_WEEK, weekly_slot};
use crate::rng::Rng;

/// What to generate.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    pub stacks: usize,
    pub seed: u64,
}

/// What was written.
#[derive(Clone, Copy, Debug)]
pub struct Written {
    pub files: usize,
    pub bytes: u64,
}

/// The first port of the shared LoadBalancer address; stack `i` may take port `LB_PORT_BASE + i`.
const LB_PORT_BASE: usize = 20_000;

const WORDS: &[&str] = &[
    "atlas", "beacon", "cinder", "comet", "delta", "drift", "ember", "fable", "fjord", "garnet", "glade", "harbor",
    "heron", "indigo", "iris", "jasper", "juniper", "kestrel", "kiln", "lark", "lumen", "maple", "meadow", "nimbus",
    "nova", "onyx", "orbit", "pixel", "prism", "quartz", "quill", "raven", "ripple", "sable", "sierra", "thistle",
    "tundra", "umber", "ursa", "vale", "vortex", "willow", "wren", "xenon", "yarrow", "zephyr",
];

/// The shared stacks an application stack lists first in `depends_on`, with the homelab's mix.
const BASE_DEPS: &[(&[&str], usize)] = &[
    (&["platform"], 30),
    (&["platform", "vault"], 30),
    (&["infra"], 20),
    (&["platform", "vault", "external-secrets"], 12),
    (&["platform", "monitoring"], 5),
    (&["platform", "traefik"], 3),
];

const REGISTRIES: &[&str] =
    &["ghcr.io/benchlab", "docker.io/benchlab", "quay.io/benchlab", "registry.example.org/apps"];

const CHARTS: &[&str] = &["podinfo", "minio", "loki", "vector", "nats", "rabbitmq", "memcached", "gitea", "tempo"];

const APP_REASONS: &[&str] = &[
    "the app has its own user accounts and login page",
    "the mobile clients sign in with API tokens that forward-auth would block",
    "the service checks its own session cookies and passwords",
];

const NONE_REASONS: &[&str] = &[
    "read-only public pages with nothing behind a login",
    "a webhook receiver that verifies the signature of every request",
    "static documentation, safe to publish",
    "a status page meant for everyone",
];

const WAIVE_REASONS: &[(&str, &str)] = &[
    (
        "E0513",
        "the host's nightly LVM snapshots and its daily file copy cover these claims; no in-cluster job copies them",
    ),
    ("E0516", "every weekly backup slot is taken, so this job shares its minute with an older one"),
    ("E0521", "the namespace stays outside the tier policies on purpose, like the system namespaces"),
    ("E0523", "these workloads run Burstable on purpose, with memory limits above their requests"),
    ("E0553", "Keel takes over the image after the first rollout; the tag records the version first deployed"),
    ("E0562", "reads the Vault path of the stack it extends, which owns those credentials"),
];

/// Write the workspace into `dir`, which must be empty or absent; with `force`, the `.hl` files
/// of an earlier workspace there (`base/`, `stacks/`) are removed first.
pub fn write(dir: &Path, opts: Options, force: bool) -> io::Result<Written> {
    write_files(dir, workspace(opts), force, &["base", "stacks"], "hl")
}

/// Write `files` (paths relative to `dir`) into `dir`, which must be empty or absent; with
/// `force`, the files ending in `.ext` directly under the `subdirs` of `dir` are removed first
/// (what an earlier workspace of the same writer left there), and nothing else.
pub(crate) fn write_files(
    dir: &Path,
    files: Vec<(String, String)>,
    force: bool,
    subdirs: &[&str],
    ext: &str,
) -> io::Result<Written> {
    prepare(dir, force, subdirs, ext)?;
    let mut written = Written { files: 0, bytes: 0 };
    for (path, text) in files {
        let full = dir.join(&path);
        if let Some(parent) = full.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(&full, &text)?;
        written.files += 1;
        written.bytes += text.len() as u64;
    }
    Ok(written)
}

fn prepare(dir: &Path, force: bool, subdirs: &[&str], ext: &str) -> io::Result<()> {
    if !dir.exists() {
        return fs::create_dir_all(dir);
    }
    if !dir.is_dir() {
        return Err(io::Error::new(io::ErrorKind::AlreadyExists, format!("`{}` is not a directory", dir.display())));
    }
    let mut entries = fs::read_dir(dir)?.peekable();
    if entries.peek().is_none() {
        return Ok(());
    }
    if !force {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("`{}` is not empty (pass --force to replace a workspace generated there)", dir.display()),
        ));
    }
    for sub in subdirs {
        let sub = dir.join(sub);
        if !sub.is_dir() {
            continue;
        }
        for entry in fs::read_dir(&sub)? {
            let path = entry?.path();
            if path.is_file() && path.extension().is_some_and(|e| e == ext) {
                fs::remove_file(&path)?;
            }
        }
    }
    Ok(())
}

/// Every file of the workspace, as (path relative to the workspace, contents).
pub fn workspace(opts: Options) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> =
        platform::files().into_iter().map(|(name, text)| (format!("base/{name}"), text)).collect();
    for stack in stacks(opts) {
        files.push((format!("stacks/{}.hl", file_stem(opts, &stack)), hl_text(&stack)));
    }
    files
}

/// The weekly backup slots taken so far, and the stack that took each slot of the first week,
/// which a job repeating that minute later overlaps with (`None`: a slot whose job the backup
/// overlap check does not compare).
struct Slots {
    next: u32,
    owners: Vec<Option<String>>,
}

impl Slots {
    fn new() -> Slots {
        // The fixed stacks' slots (`platform.rs`): vault's raft snapshot (a host step writing
        // elsewhere, which no NFS job overlaps), dbaas's three dumps, redis's and monitoring's.
        let owners: Vec<Option<String>> =
            [None, Some("dbaas"), Some("dbaas"), Some("dbaas"), Some("redis"), Some("monitoring")]
                .into_iter()
                .map(|s| s.map(str::to_string))
                .collect();
        debug_assert_eq!(owners.len(), RESERVED_SLOTS as usize);
        Slots { next: RESERVED_SLOTS, owners }
    }
}

/// The drawn description of every generated stack, in order: what both writers render.
pub fn stacks(opts: Options) -> impl Iterator<Item = StackDesc> {
    let mut slots = Slots::new();
    (0..opts.stacks).map(move |i| Draw::stack(opts.seed, i, &mut slots))
}

/// The file name of a generated stack without its extension: its number, zero-padded to the
/// width of the largest (at least five digits), and its word, so that files sort in order.
pub fn file_stem(opts: Options, stack: &StackDesc) -> String {
    let width = opts.stacks.max(1).to_string().len().max(5);
    format!("{:0width$}-{}", stack.i + 1, stack.word)
}

/// The name of generated stack `i`: a word and the stack's number.
pub fn stack_name(seed: u64, i: usize) -> String {
    format!("{}-{}", word(seed, i), i + 1)
}

fn word(seed: u64, i: usize) -> &'static str {
    WORDS[Rng::for_item(seed, i as u64, 1).below(WORDS.len())]
}

/// A Namespace tier, as the homelab's cluster facts declare them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tier {
    Core,
    Cluster,
    Gpu,
    Edge,
    Aux,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Core => "core",
            Tier::Cluster => "cluster",
            Tier::Gpu => "gpu",
            Tier::Edge => "edge",
            Tier::Aux => "aux",
        }
    }

    /// Tiers 0-2 want memory request = limit (E0523).
    fn guaranteed(self) -> bool {
        matches!(self, Tier::Core | Tier::Cluster | Tier::Gpu)
    }
}

// The description of a generated stack. Every random draw is made while the description is
// built (`Draw`); the writers only render it, so the hl and the Pkl workspace of one seed and
// size hold the same stacks.

/// One generated application stack.
#[derive(Clone, Debug)]
pub struct StackDesc {
    pub seed: u64,
    /// Its index: stack `i` is number `i + 1`.
    pub i: usize,
    pub word: &'static str,
    /// `word-N`: the stack's name, and the name of its namespace and main service.
    pub name: String,
    /// The namespace's tier; `None` for the few namespaces kept outside the tier policies.
    pub tier: Option<Tier>,
    /// The namespace is enrolled in Keel.
    pub keel: bool,
    /// The namespace says `tls = false`.
    pub no_tls: bool,
    /// A second namespace `<name>-jobs` (tier aux) for the sync job: then every service names
    /// its namespace.
    pub jobs_ns: bool,
    /// The file imports the base's helper library.
    pub uses_lib: bool,
    /// The version of the file's `let version`, when some images interpolate it.
    pub version: Option<String>,
    /// Warnings the stack triggers on purpose, waived in its header with a reason.
    pub waived: BTreeSet<&'static str>,
    /// The stacks its backup jobs overlap with (E0516), which its waiver names.
    pub overlaps_with: BTreeSet<String>,
    /// Base stacks first, then earlier generated stacks.
    pub depends_on: Vec<String>,
    /// The earlier generated stacks among `depends_on`.
    pub generated_deps: Vec<String>,
    /// Whether the stack has a description (`Generated <word> service number <N>`).
    pub described: bool,
    /// A stack-level Vault secret `<name>-shared`.
    pub shared_secret: bool,
    pub helm: Option<Helm>,
    /// In the order of the file.
    pub services: Vec<Service>,
}

impl StackDesc {
    /// The key of the stack's waiver of `code`: the code, and for a backup overlap the stacks
    /// it overlaps with (`E0516 with dbaas`).
    pub fn waiver_key(&self, code: &str) -> String {
        if code == "E0516" && !self.overlaps_with.is_empty() {
            let with: Vec<&str> = self.overlaps_with.iter().map(String::as_str).collect();
            format!("{code} with {}", with.join(", "))
        } else {
            code.to_string()
        }
    }

    /// The stack's description, when it has one.
    pub fn description(&self) -> Option<String> {
        self.described.then(|| format!("Generated {} service number {}", self.word, self.i + 1))
    }

    /// The namespace of the stack's jobs namespace (`<name>-jobs`), or its only one.
    pub fn jobs_namespace(&self) -> String {
        if self.jobs_ns { format!("{}-jobs", self.name) } else { self.name.clone() }
    }

    /// `Word N`: the text of the homepage tiles.
    pub fn title(&self) -> String {
        format!("{} {}", capitalise(self.word), self.i + 1)
    }
}

/// A Helm release of the stack.
#[derive(Clone, Debug)]
pub struct Helm {
    pub chart: &'static str,
    /// From the OCI registry rather than a chart repository.
    pub oci: bool,
    pub version: Option<String>,
    /// `replicaCount` and the persistence size in Gi, when the release sets values.
    pub values: Option<(usize, usize)>,
}

impl Helm {
    pub fn repo(&self) -> String {
        if self.oci {
            format!("oci://ghcr.io/benchlab/charts/{}", self.chart)
        } else {
            format!("https://charts.example.org/{}", self.chart)
        }
    }
}

/// The tag of an image reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tag {
    /// No tag: the registry's `latest`, for images Keel updates.
    None,
    Latest,
    Version(String),
    /// The file's `let version`, interpolated.
    StackVersion,
}

/// An image of the benchmark's registries: `<registry>/<what>[:<tag>]`.
#[derive(Clone, Debug)]
pub struct Image {
    pub registry: &'static str,
    pub what: &'static str,
    pub tag: Tag,
}

impl Image {
    /// The reference with the stack's version in place of [`Tag::StackVersion`].
    pub fn resolved(&self, version: Option<&str>) -> String {
        match &self.tag {
            Tag::None => format!("{}/{}", self.registry, self.what),
            Tag::Latest => format!("{}/{}:latest", self.registry, self.what),
            Tag::Version(v) => format!("{}/{}:{v}", self.registry, self.what),
            Tag::StackVersion => format!("{}/{}:{}", self.registry, self.what, version.unwrap_or_default()),
        }
    }
}

/// Container resources: a CPU request (`10m`), a memory request in Mi, and a memory limit in
/// Mi when it differs from the request.
#[derive(Clone, Copy, Debug)]
pub struct Resources {
    pub cpu: &'static str,
    pub memory_mi: usize,
    pub limit_mi: Option<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Deployment,
    StatefulSet,
    DaemonSet,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Deployment => "deployment",
            Kind::StatefulSet => "statefulset",
            Kind::DaemonSet => "daemonset",
        }
    }
}

/// One service of a stack, in the shapes the generator draws.
#[derive(Clone, Debug)]
pub enum Service {
    Main(Box<Main>),
    Worker(Worker),
    Database(Database),
    Sync(SyncJob),
    Seed(SeedJob),
    Dump(Dump),
    Backup(Backup),
}

/// The stack's main service, named like the stack.
#[derive(Clone, Debug)]
pub struct Main {
    pub kind: Kind,
    pub image: Image,
    /// Two replicas instead of one.
    pub replicas2: bool,
    /// The `http` port.
    pub port: u16,
    /// A `metrics` port 9090.
    pub metrics: bool,
    /// A UDP port `game` on the shared LoadBalancer address, with its extra Service `<name>-lb`.
    pub lb_port: Option<u16>,
    pub resources: Resources,
    /// Environment variables, in order.
    pub env: Vec<(String, String)>,
    pub volumes: Volumes,
    pub secrets: Secrets,
    /// A metrics-exporter sidecar with this image.
    pub exporter: Option<Image>,
    /// An init container `migrate` running the main image.
    pub init: bool,
    /// A ConfigMap `<name>-settings`.
    pub config: bool,
    /// `expose` maps port 80 to the `http` port.
    pub expose80: bool,
    pub ingress: Option<Ingresses>,
}

/// The volumes of the main service.
#[derive(Clone, Debug, Default)]
pub struct Volumes {
    pub data: Option<DataVolume>,
    /// `media`: an NFS export, size in Gi, and whether it is mounted read-only.
    pub media: Option<(usize, bool)>,
    /// `scratch`: an emptyDir.
    pub scratch: bool,
    /// The service says `sensitive = true`.
    pub sensitive: bool,
}

/// The `data` volume of the main service.
#[derive(Clone, Copy, Debug)]
pub enum DataVolume {
    /// A StatefulSet's claim template (encrypted class), size in Gi.
    Template(usize),
    /// A claim, size in Gi: encrypted or plain, and whether it holds SQLite.
    Claim { size: usize, encrypted: bool, sqlite: bool },
}

/// The secrets of the main service.
#[derive(Clone, Debug, Default)]
pub struct Secrets {
    /// `<svc>-secrets` from the stack's Vault path; `true`: with an `API_TOKEN` from it.
    pub vault: Option<bool>,
    /// `<svc>-db`: database credentials.
    pub db: bool,
    /// `<svc>-upstream` from this (earlier) stack's Vault path.
    pub upstream: Option<String>,
}

/// The main service's ingresses.
#[derive(Clone, Debug)]
pub struct Ingresses {
    pub web: WebIngress,
    /// An extra `<svc>-api` ingress on the same host, path `/api`, for machine clients.
    pub api: bool,
}

#[derive(Clone, Debug)]
pub enum WebIngress {
    /// Through the helper library: `gated(...)` (true) or `home_only(...)`.
    Helper {
        gated: bool,
    },
    Written(Ingress),
}

#[derive(Clone, Debug)]
pub struct Ingress {
    pub auth: Auth,
    /// `proxied`, `non-proxied`, `internal` or `none`.
    pub dns: &'static str,
    pub sablier: bool,
    /// `max_body_size` in megabytes.
    pub max_body_mb: Option<usize>,
    pub skip_rate_limit: bool,
    pub custom_csp: bool,
    pub homepage: Homepage,
}

#[derive(Clone, Debug)]
pub enum Auth {
    /// Forward auth; `true`: with its own allowed groups.
    Required(bool),
    Public,
    App(&'static str),
    None(&'static str),
}

/// What the ingress says about its homepage tile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Homepage {
    Off,
    Described,
    Default,
}

/// The groups an ingress with its own allow-list names.
pub const ALLOWED_GROUPS: [&str; 2] = ["Bench Users", "Home Server Admins"];
/// The Content-Security-Policy of an ingress with its own.
pub const CUSTOM_CSP: &str = "default-src 'self'; img-src 'self' data:";
/// The auth reason of the API ingresses.
pub const API_REASON: &str = "machine clients authenticate with per-client API keys";
/// The `home_only` helper's reason.
pub const HOME_ONLY_REASON: &str =
    "answers only on the home networks; the allow-list middleware rejects everything else";
/// The allow-list Middleware that `internal` ingresses name.
pub const HOME_LANS: &str = "traefik-home-lans-only@kubernetescrd";
/// The address the LoadBalancer Services share.
pub const LB_IP: &str = "10.0.20.200";
/// The exporter sidecar's port.
pub const EXPORTER_PORT: u16 = 9102;
/// The sqlite-aware copy command of a backup job for a claim holding SQLite.
pub const SQLITE_BACKUP: &str = "set -eu; apk add --no-cache sqlite; ts=$(date +%Y%m%d-%H%M%S); mkdir -p /backup/$ts; sqlite3 /data/db.sqlite3 '.backup /backup/'$ts'/db.sqlite3'; find /backup -mindepth 1 -maxdepth 1 -type d -mtime +30 -exec rm -rf {} +";

/// `<name>-worker`: a Deployment with the stack's image and no ports.
#[derive(Clone, Debug)]
pub struct Worker {
    pub image: Image,
    pub resources: Resources,
    /// A `cache` claim, size in Gi.
    pub cache: Option<usize>,
    /// `<name>-worker-secrets` from the stack's Vault path.
    pub secret: bool,
}

/// `<name>-db`: a database Deployment on an encrypted claim.
#[derive(Clone, Debug)]
pub struct Database {
    pub image: &'static str,
    pub port: u16,
    pub mount: &'static str,
    pub memory_mi: usize,
    pub size: usize,
}

/// `<name>-sync`: a CronJob in the jobs namespace.
#[derive(Clone, Debug)]
pub struct SyncJob {
    pub schedule: String,
    pub image: Image,
    pub resources: Resources,
}

/// `<name>-seed`: a one-off Job.
#[derive(Clone, Debug)]
pub struct SeedJob {
    pub image: Image,
}

/// `<name>-dump`: the helper library's nightly database dump into an NFS export.
#[derive(Clone, Debug)]
pub struct Dump {
    pub schedule: String,
}

impl Dump {
    /// The database user and name: the stack's name with underscores.
    pub fn db(stack: &str) -> String {
        stack.replace('-', "_")
    }
}

/// `<name>-backup`: the standard library's copy job for a Proxmox-LVM claim.
#[derive(Clone, Debug)]
pub struct Backup {
    pub claim: String,
    /// The Deployment that mounts the claim: the job runs beside its pods.
    pub owner: String,
    /// The claim holds SQLite: the job runs `sqlite3 .backup` instead of a file copy.
    pub sqlite: bool,
    pub schedule: String,
}

/// A Proxmox-LVM claim of a long-running service, which a backup job may copy.
struct LvmClaim {
    claim: String,
    owner: String,
    sqlite: bool,
}

/// The draws of one stack, in the order the generator has always made them (the same seed must
/// keep giving the same stacks).
struct Draw {
    seed: u64,
    i: usize,
    word: &'static str,
    name: String,
    rng: Rng,
    tier: Option<Tier>,
    keel: bool,
    version: Option<String>,
    generated_deps: Vec<String>,
    uses_lib: bool,
    waived: BTreeSet<&'static str>,
    /// The stacks whose backup minutes this stack's jobs repeat (its waiver of E0516 names them).
    overlaps_with: BTreeSet<String>,
    /// Proxmox-LVM claims in the stack's own namespace.
    lvm_claims: Vec<LvmClaim>,
}

impl Draw {
    fn stack(seed: u64, i: usize, slots: &mut Slots) -> StackDesc {
        let mut rng = Rng::for_item(seed, i as u64, 2);
        let tier = if rng.chance(2) {
            None
        } else {
            Some(*rng.weighted(&[
                (Tier::Aux, 58),
                (Tier::Cluster, 14),
                (Tier::Edge, 14),
                (Tier::Core, 7),
                (Tier::Gpu, 7),
            ]))
        };
        let keel = rng.chance(60);
        let mut d = Draw {
            seed,
            i,
            word: word(seed, i),
            name: stack_name(seed, i),
            rng,
            tier,
            keel,
            version: None,
            generated_deps: Vec::new(),
            uses_lib: false,
            waived: BTreeSet::new(),
            overlaps_with: BTreeSet::new(),
            lvm_claims: Vec::new(),
        };
        d.build(slots)
    }

    fn build(&mut self, slots: &mut Slots) -> StackDesc {
        let helm_only = self.rng.chance(4);
        let with_helm = helm_only || self.rng.chance(4);
        let jobs_ns = !helm_only && self.rng.chance(3);
        self.uses_lib = self.rng.chance(30);
        if self.rng.chance(35) {
            self.version = Some(self.semver());
        }
        if self.i > 0 && self.rng.chance(25) {
            let lo = self.i.saturating_sub(300);
            for _ in 0..self.rng.range(1, 2) {
                let j = self.rng.range(lo, self.i - 1);
                let dep = stack_name(self.seed, j);
                if !self.generated_deps.contains(&dep) {
                    self.generated_deps.push(dep);
                }
            }
        }
        let base = *self.rng.weighted(BASE_DEPS);
        debug_assert!(base.iter().all(|d| DEPENDABLE.contains(d)));
        let depends_on: Vec<String> =
            base.iter().map(|d| d.to_string()).chain(self.generated_deps.iter().cloned()).collect();

        if self.tier.is_none() {
            self.waived.insert("E0521");
        }
        let no_tls = self.rng.chance(5);
        let shared_secret = !jobs_ns && self.rng.chance(5);
        let helm = with_helm.then(|| self.helm());
        let mut services = Vec::new();
        if !helm_only {
            services.push(Service::Main(Box::new(self.main_service())));
            if self.rng.chance(30) {
                services.push(Service::Worker(self.worker()));
            }
            if self.rng.chance(12) {
                services.push(Service::Database(self.database()));
            }
            if self.rng.chance(10) {
                services.push(Service::Sync(self.sync_job(jobs_ns)));
            }
            if self.rng.chance(2) {
                services.push(Service::Seed(SeedJob { image: self.image(self.word, true) }));
            }
            if self.uses_lib && self.rng.chance(25) {
                services.push(Service::Dump(Dump { schedule: self.take_slot(slots) }));
            }
            if let Some(b) = self.backup(slots) {
                services.push(Service::Backup(b));
            }
        }
        let described = self.rng.chance(50);
        StackDesc {
            seed: self.seed,
            i: self.i,
            word: self.word,
            name: self.name.clone(),
            tier: self.tier,
            keel: self.keel,
            no_tls,
            jobs_ns,
            uses_lib: self.uses_lib,
            version: self.version.clone(),
            waived: std::mem::take(&mut self.waived),
            overlaps_with: std::mem::take(&mut self.overlaps_with),
            depends_on,
            generated_deps: self.generated_deps.clone(),
            described,
            shared_secret,
            helm,
            services,
        }
    }

    fn semver(&mut self) -> String {
        format!("{}.{}.{}", self.rng.range(0, 9), self.rng.range(0, 30), self.rng.range(0, 12))
    }

    fn helm(&mut self) -> Helm {
        let chart = *self.rng.pick(CHARTS);
        let oci = self.rng.chance(40);
        let version = self.rng.chance(85).then(|| self.semver());
        let values = self.rng.chance(60).then(|| {
            let replicas = self.rng.range(1, 3);
            (replicas, self.rng.range(1, 20))
        });
        Helm { chart, oci, version, values }
    }

    /// An image reference; `pinned` gives it a version tag.
    fn image(&mut self, what: &'static str, pinned: bool) -> Image {
        let registry = *self.rng.pick(REGISTRIES);
        let tag = if !pinned {
            if self.rng.chance(30) { Tag::Latest } else { Tag::None }
        } else if self.version.is_some() && self.rng.chance(60) {
            Tag::StackVersion
        } else {
            Tag::Version(self.semver())
        };
        Image { registry, what, tag }
    }

    /// Whether a long-running workload's image is pinned: not in a Keel-enrolled namespace,
    /// except for the stacks that accept E0553 like the homelab's do.
    fn pin_long_running(&mut self, ns_keel: bool) -> bool {
        if !ns_keel {
            return self.rng.chance(80);
        }
        if self.rng.chance(15) {
            self.waived.insert("E0553");
            return true;
        }
        false
    }

    /// A request from the small end of the homelab's range; some workloads get a memory limit
    /// above the request (E0523 in tiers 0-2).
    fn resources(
        &mut self,
        cpus: &[&'static str],
        memories: &[usize],
        burst_percent: usize,
        ns_tier: Option<Tier>,
    ) -> Resources {
        let cpu = *self.rng.pick(cpus);
        let memory_mi = *self.rng.pick(memories);
        let limit_mi = if self.rng.chance(burst_percent) {
            if ns_tier.is_some_and(Tier::guaranteed) {
                self.waived.insert("E0523");
            }
            Some(memory_mi * 2)
        } else {
            None
        };
        Resources { cpu, memory_mi, limit_mi }
    }

    fn main_service(&mut self) -> Main {
        let name = self.name.clone();
        let kind = *self.rng.weighted(&[(Kind::Deployment, 94), (Kind::StatefulSet, 4), (Kind::DaemonSet, 2)]);
        let pinned = self.pin_long_running(self.keel);
        let image = self.image(self.word, pinned);
        let replicas2 = kind == Kind::Deployment && self.rng.chance(12);
        let port = *self.rng.pick(&[80u16, 3000, 5000, 8000, 8080, 8096, 9000]);
        let metrics = self.rng.chance(20);
        let lb_port = LB_PORT_BASE + self.i;
        let lb = kind != Kind::DaemonSet && lb_port <= 65_535 && self.rng.chance(4);
        let lb_port = if lb { u16::try_from(lb_port).ok() } else { None };
        let resources = if kind == Kind::DaemonSet {
            // One pod per Node: keep the namespace within its quota.
            Resources { cpu: "10m", memory_mi: 32, limit_mi: None }
        } else {
            self.resources(&["10m", "15m", "25m", "50m", "100m"], &[64, 128, 192, 256, 384], 12, self.tier)
        };
        let env = self.env(&name);
        let volumes =
            if kind != Kind::DaemonSet { self.volumes(&name, kind == Kind::StatefulSet) } else { Volumes::default() };
        let secrets = self.secrets();
        let exporter = if self.rng.chance(8) {
            let pinned = !self.keel && self.rng.chance(80);
            Some(self.image("metrics-exporter", pinned))
        } else {
            None
        };
        let init = self.rng.chance(5);
        let config = self.rng.chance(10);
        let expose80 = port != 80 && self.rng.chance(20);
        let ingress = (kind != Kind::DaemonSet && self.rng.chance(85)).then(|| self.ingresses());
        Main {
            kind,
            image,
            replicas2,
            port,
            metrics,
            lb_port,
            resources,
            env,
            volumes,
            secrets,
            exporter,
            init,
            config,
            expose80,
            ingress,
        }
    }

    fn env(&mut self, svc: &str) -> Vec<(String, String)> {
        if !self.rng.chance(60) {
            return Vec::new();
        }
        let mut vars: Vec<(String, String)> = vec![("TZ".into(), "Etc/UTC".into())];
        vars.push(("LOG_LEVEL".into(), self.rng.pick(&["info", "warn", "debug"]).to_string()));
        if self.rng.chance(15) {
            vars.push(("REDIS_HOST".into(), "redis-master.redis.svc.cluster.local".into()));
        }
        if self.rng.chance(20) {
            vars.push(("DATABASE_HOST".into(), "pg-cluster-rw.dbaas".into()));
            vars.push(("DATABASE_NAME".into(), svc.replace('-', "_")));
        }
        if let Some(dep) = self.generated_deps.first() {
            vars.push(("UPSTREAM_URL".into(), format!("http://{dep}.{dep}.svc.cluster.local")));
        }
        vars
    }

    fn volumes(&mut self, svc: &str, statefulset: bool) -> Volumes {
        let mut v = Volumes::default();
        let mut encrypted_only = false;
        let mut writes_nfs = false;
        if statefulset {
            v.data = Some(DataVolume::Template(self.rng.range(1, 20)));
            encrypted_only = true;
        } else if self.rng.chance(45) {
            let size = self.rng.range(1, 10);
            let encrypted = self.rng.chance(35);
            encrypted_only = encrypted;
            let sqlite = self.rng.chance(10);
            v.data = Some(DataVolume::Claim { size, encrypted, sqlite });
            let suffix = if encrypted { "encrypted" } else { "proxmox" };
            self.lvm_claims.push(LvmClaim { claim: format!("{svc}-data-{suffix}"), owner: svc.to_string(), sqlite });
        }
        if self.rng.chance(30) {
            let size = self.rng.range(5, 200);
            let read_only = self.rng.chance(20);
            writes_nfs = !read_only;
            v.media = Some((size, read_only));
        }
        v.scratch = self.rng.chance(10);
        v.sensitive = encrypted_only && !writes_nfs && self.rng.chance(50);
        v
    }

    fn secrets(&mut self) -> Secrets {
        let mut s = Secrets::default();
        if self.rng.chance(55) {
            s.vault = Some(self.rng.chance(20));
        }
        s.db = self.rng.chance(15);
        if let Some(dep) = self.generated_deps.first().cloned()
            && self.rng.chance(8)
        {
            self.waived.insert("E0562");
            s.upstream = Some(dep);
        }
        s
    }

    fn ingresses(&mut self) -> Ingresses {
        let web = if self.uses_lib && self.rng.chance(30) {
            WebIngress::Helper { gated: self.rng.chance(80) }
        } else {
            let auth = *self.rng.weighted(&[("required", 44), ("public", 2), ("app", 12), ("none", 42)]);
            let dns = *self.rng.weighted(&[("proxied", 58), ("non-proxied", 13), ("internal", 5), ("none", 24)]);
            let auth = match auth {
                "app" => {
                    let reason = *self.rng.pick(APP_REASONS);
                    Auth::App(reason)
                }
                "none" => {
                    let reason = *self.rng.pick(NONE_REASONS);
                    Auth::None(reason)
                }
                "public" => Auth::Public,
                _ => Auth::Required(self.rng.chance(10)),
            };
            let sablier = self.rng.chance(8);
            let max_body_mb = self.rng.chance(8).then(|| *self.rng.pick(&[10, 50, 100, 500]));
            let skip_rate_limit = self.rng.chance(3);
            let custom_csp = self.rng.chance(3);
            let homepage = if self.rng.chance(15) {
                Homepage::Off
            } else if self.rng.chance(90) {
                Homepage::Described
            } else {
                Homepage::Default
            };
            WebIngress::Written(Ingress { auth, dns, sablier, max_body_mb, skip_rate_limit, custom_csp, homepage })
        };
        Ingresses { web, api: self.rng.chance(10) }
    }

    fn worker(&mut self) -> Worker {
        let name = self.name.clone();
        let pinned = self.pin_long_running(self.keel);
        let image = self.image(self.word, pinned);
        let resources = self.resources(&["10m", "25m", "50m", "100m"], &[64, 128, 256], 10, self.tier);
        let cache = self.rng.chance(30).then(|| self.rng.range(1, 8));
        if cache.is_some() {
            let svc = format!("{name}-worker");
            self.lvm_claims.push(LvmClaim { claim: format!("{svc}-cache-proxmox"), owner: svc, sqlite: false });
        }
        let secret = self.rng.chance(30);
        Worker { image, resources, cache, secret }
    }

    fn database(&mut self) -> Database {
        let svc = format!("{}-db", self.name);
        let (image, port, mount) = *self.rng.pick(&[
            ("postgres:16.6", 5432, "/var/lib/postgresql/data"),
            ("mariadb:11.4.4", 3306, "/var/lib/mysql"),
            ("mongo:7.0.16", 27017, "/data/db"),
        ]);
        let memory_mi = *self.rng.pick(&[128usize, 256, 512]);
        let size = self.rng.range(2, 20);
        self.lvm_claims.push(LvmClaim { claim: format!("{svc}-data-encrypted"), owner: svc, sqlite: false });
        Database { image, port, mount, memory_mi, size }
    }

    fn sync_job(&mut self, jobs_ns: bool) -> SyncJob {
        let tier = if jobs_ns { Some(Tier::Aux) } else { self.tier };
        let schedule = if self.rng.chance(50) {
            format!("{} {} * * *", self.rng.range(0, 59), self.rng.range(0, 23))
        } else {
            format!("*/{} * * * *", self.rng.pick(&[5, 10, 15, 30]))
        };
        let image = self.image("sync-tool", true);
        let resources = self.resources(&["5m", "10m", "25m"], &[32, 64], 50, tier);
        SyncJob { schedule, image, resources }
    }

    /// The next weekly backup slot; past the last one, slots repeat and the stack accepts
    /// E0516 with the stack that took the minute in the first week (a later job in the same
    /// minute as an earlier one; either side may waive it, and this one does).
    fn take_slot(&mut self, slots: &mut Slots) -> String {
        let k = slots.next;
        slots.next += 1;
        if k < SLOTS_PER_WEEK {
            slots.owners.push(Some(self.name.clone()));
        } else if let Some(Some(owner)) = slots.owners.get((k % SLOTS_PER_WEEK) as usize) {
            self.waived.insert("E0516");
            if *owner != self.name {
                self.overlaps_with.insert(owner.clone());
            }
        }
        weekly_slot(k)
    }

    /// A copy job for the first Proxmox-LVM claim in about half of the stacks that have one;
    /// the claims left without a job are the E0513 findings the stack accepts.
    fn backup(&mut self, slots: &mut Slots) -> Option<Backup> {
        if self.lvm_claims.is_empty() {
            return None;
        }
        if !self.rng.chance(45) {
            self.waived.insert("E0513");
            return None;
        }
        if self.lvm_claims.len() > 1 {
            self.waived.insert("E0513");
        }
        // pvc_backup asks for 16Mi with a 64Mi limit.
        if self.tier.is_some_and(Tier::guaranteed) {
            self.waived.insert("E0523");
        }
        let LvmClaim { claim, owner, sqlite } = &self.lvm_claims[0];
        let (claim, owner, sqlite) = (claim.clone(), owner.clone(), *sqlite);
        let schedule = self.take_slot(slots);
        Some(Backup { claim, owner, sqlite, schedule })
    }
}

/// The hl text of a generated stack.
pub fn hl_text(s: &StackDesc) -> String {
    let mut w = Hl { stack: s, body: String::new() };
    w.namespaces();
    if s.shared_secret {
        let name = &s.name;
        w.line(1, &format!("secret {name}-shared = vault(\"{name}\")"));
    }
    if let Some(h) = &s.helm {
        w.helm(h);
    }
    for svc in &s.services {
        match svc {
            Service::Main(m) => w.main_service(m),
            Service::Worker(x) => w.worker(x),
            Service::Database(x) => w.database(x),
            Service::Sync(x) => w.sync_job(x),
            Service::Seed(x) => w.seed_job(x),
            Service::Dump(x) => w.dump(x),
            Service::Backup(x) => w.backup(x),
        }
    }
    w.assemble()
}

/// Writes one stack's hl text.
struct Hl<'a> {
    stack: &'a StackDesc,
    body: String,
}

impl Hl<'_> {
    fn assemble(self) -> String {
        let s = self.stack;
        let mut out = String::new();
        if s.uses_lib {
            out.push_str("import \"../base/lib.hl\"\n\n");
        }
        if let Some(v) = &s.version {
            out.push_str(&format!("let version = \"{v}\"\n\n"));
        }
        out.push_str(&format!("// {}: a generated stack (hl-bench, seed {}).\n", s.name, s.seed));
        out.push_str(&format!("stack {} {{\n", s.name));
        if !s.waived.is_empty() {
            out.push_str("  waive = {\n");
            for code in &s.waived {
                out.push_str(&format!("    \"{}\": \"{}\",\n", s.waiver_key(code), waive_reason(code)));
            }
            out.push_str("  }\n");
        }
        out.push_str(&format!("  depends_on = [{}]\n", s.depends_on.join(", ")));
        if let Some(d) = s.description() {
            out.push_str(&format!("  description = \"{d}\"\n"));
        }
        out.push('\n');
        out.push_str(&self.body);
        out.push_str("}\n");
        out
    }

    fn line(&mut self, indent: usize, text: &str) {
        for _ in 0..indent {
            self.body.push_str("  ");
        }
        self.body.push_str(text);
        self.body.push('\n');
    }

    /// An image as hl writes it: the stack's version interpolated.
    fn image(i: &Image) -> String {
        match &i.tag {
            Tag::StackVersion => format!("{}/{}:${{version}}", i.registry, i.what),
            _ => i.resolved(None),
        }
    }

    fn resources(r: &Resources) -> String {
        match r.limit_mi {
            Some(l) => format!("resources {{ cpu = {}, memory = {}Mi, memory_limit = {l}Mi }}", r.cpu, r.memory_mi),
            None => format!("resources {{ cpu = {}, memory = {}Mi }}", r.cpu, r.memory_mi),
        }
    }

    fn namespaces(&mut self) {
        let s = self.stack;
        let mut fields = Vec::new();
        if let Some(t) = s.tier {
            fields.push(format!("tier = \"{}\"", t.as_str()));
        }
        if s.keel {
            fields.push("keel = true".to_string());
        }
        if s.no_tls {
            fields.push("tls = false".to_string());
        }
        let name = &s.name;
        if fields.is_empty() {
            self.line(1, &format!("namespace {name} {{}}"));
        } else {
            self.line(1, &format!("namespace {name} {{ {} }}", fields.join(", ")));
        }
        if s.jobs_ns {
            self.line(1, &format!("namespace {name}-jobs {{ tier = \"aux\" }}"));
        }
        self.line(0, "");
    }

    /// The `namespace = ...` line a service needs when the stack has two namespaces.
    fn namespace_line(&mut self, ns: &str) {
        if self.stack.jobs_ns {
            self.line(2, &format!("namespace = \"{ns}\""));
        }
    }

    fn helm(&mut self, h: &Helm) {
        let chart = h.chart;
        self.line(1, &format!("helm {chart} {{"));
        self.line(2, &format!("chart = \"{chart}\""));
        self.line(2, &format!("repo = \"{}\"", h.repo()));
        if let Some(v) = &h.version {
            self.line(2, &format!("version = \"{v}\""));
        }
        if self.stack.jobs_ns {
            self.line(2, &format!("namespace = \"{}\"", self.stack.name));
        }
        if let Some((replicas, size)) = h.values {
            self.line(
                2,
                &format!(
                    "values = {{ replicaCount = {replicas}, persistence = {{ enabled = true, size = \"{size}Gi\" }}, ingress = {{ enabled = false }} }}"
                ),
            );
        }
        self.line(1, "}");
        self.line(0, "");
    }

    fn main_service(&mut self, m: &Main) {
        let name = self.stack.name.clone();
        self.line(1, &format!("service {name} {{"));
        self.namespace_line(&name);
        if m.kind != Kind::Deployment {
            self.line(2, &format!("kind = {}", m.kind.as_str()));
        }
        let image = Self::image(&m.image);
        self.line(2, &format!("image = \"{image}\""));
        if m.replicas2 {
            self.line(2, "replicas = 2");
        }
        self.line(2, &format!("port http = {}", m.port));
        if m.metrics {
            self.line(2, "port metrics = 9090");
        }
        if let Some(lb) = m.lb_port {
            self.line(2, &format!("udp_port game = {lb}"));
        }
        self.line(2, &Self::resources(&m.resources));
        if !m.env.is_empty() {
            let items: Vec<String> = m.env.iter().map(|(k, v)| format!("\"{k}\": \"{v}\"")).collect();
            self.line(2, &format!("env = {{ {} }}", items.join(", ")));
        }
        self.volumes(&name, &m.volumes);
        self.secrets(&name, &m.secrets);
        if let Some(e) = &m.exporter {
            self.line(2, "container exporter {");
            self.line(3, &format!("image = \"{}\"", Self::image(e)));
            self.line(3, &format!("port exporter = {EXPORTER_PORT}"));
            self.line(3, "resources { cpu = 10m, memory = 32Mi }");
            self.line(2, "}");
        }
        if m.init {
            self.line(2, "init migrate {");
            self.line(3, &format!("image = \"{image}\""));
            self.line(3, "command = [\"/app/migrate\", \"--up\"]");
            self.line(2, "}");
        }
        if m.config {
            self.line(2, &format!("config {name}-settings = {{ \"settings.yaml\": \"listen: 0.0.0.0:{}\" }}", m.port));
        }
        if m.expose80 {
            self.line(2, &format!("expose {{ port http {{ port = 80, target = {} }} }}", m.port));
        }
        if let Some(lb) = m.lb_port {
            self.line(2, &format!("extra_service {name}-lb {{"));
            self.line(3, "type = LoadBalancer");
            self.line(3, &format!("lb_ip = \"{LB_IP}\""));
            self.line(3, "shared_ip = true");
            self.line(3, "traffic_policy = Cluster");
            self.line(3, &format!("port game {{ port = {lb}, protocol = UDP }}"));
            self.line(2, "}");
        }
        if let Some(i) = &m.ingress {
            self.ingresses(&name, i);
        }
        self.line(1, "}");
        self.line(0, "");
    }

    fn volumes(&mut self, svc: &str, v: &Volumes) {
        match v.data {
            Some(DataVolume::Template(size)) => self.line(
                2,
                &format!(
                    "volume data = claim_template({size}Gi, mount = \"/data\", class = \"proxmox-lvm-encrypted\")"
                ),
            ),
            Some(DataVolume::Claim { size, encrypted, sqlite }) => {
                let func = if encrypted { "encrypted" } else { "pvc" };
                let call = format!("{func}({size}Gi, mount = \"/data\")");
                if sqlite {
                    self.line(2, "volume data {");
                    self.line(3, &format!("..{call}"));
                    self.line(3, "sqlite = true");
                    self.line(2, "}");
                } else {
                    self.line(2, &format!("volume data = {call}"));
                }
            }
            None => {}
        }
        if let Some((size, read_only)) = v.media {
            let ro = if read_only { ", read_only = true" } else { "" };
            self.line(
                2,
                &format!("volume media = nfs(\"/srv/nfs/{svc}/media\", mount = \"/media\", size = {size}Gi{ro})"),
            );
        }
        if v.scratch {
            self.line(2, "volume scratch { source = empty_dir, mount = \"/tmp/scratch\" }");
        }
        if v.sensitive {
            self.line(2, "sensitive = true");
        }
    }

    fn secrets(&mut self, svc: &str, s: &Secrets) {
        let stack = self.stack.name.clone();
        if let Some(api_token) = s.vault {
            self.line(2, &format!("secret {svc}-secrets = vault(\"{stack}\")"));
            if api_token {
                self.line(
                    2,
                    &format!("env_secret = {{ \"API_TOKEN\": secret_key(\"{svc}-secrets\", \"api-token\") }}"),
                );
            }
        }
        if s.db {
            self.line(2, &format!("secret {svc}-db = vault_db(\"pg-{stack}\")"));
        }
        if let Some(dep) = &s.upstream {
            self.line(2, &format!("secret {svc}-upstream = vault(\"{dep}\")"));
        }
    }

    fn ingresses(&mut self, svc: &str, i: &Ingresses) {
        let desc = self.stack.title();
        match &i.web {
            WebIngress::Helper { gated } => {
                let helper = if *gated { "gated" } else { "home_only" };
                self.line(2, &format!("ingress {svc} = {helper}(\"{desc}\")"));
            }
            WebIngress::Written(ing) => {
                self.line(2, &format!("ingress {svc} {{"));
                match ing.auth {
                    Auth::App(reason) => self.line(3, &format!("auth = app(\"{reason}\")")),
                    Auth::None(reason) => self.line(3, &format!("auth = none(\"{reason}\")")),
                    Auth::Public => self.line(3, "auth = public"),
                    Auth::Required(groups) => {
                        if groups {
                            let g: Vec<String> = ALLOWED_GROUPS.iter().map(|g| format!("\"{g}\"")).collect();
                            self.line(3, &format!("allowed_groups = [{}]", g.join(", ")));
                        }
                    }
                }
                self.line(3, &format!("dns = {}", ing.dns));
                if ing.dns == "internal" {
                    self.line(3, &format!("extra_middlewares = [\"{HOME_LANS}\"]"));
                }
                if ing.sablier {
                    let name = self.stack.name.clone();
                    self.line(3, &format!("sablier {{ group = \"{name}\" }}"));
                }
                if let Some(size) = ing.max_body_mb {
                    self.line(3, &format!("max_body_size = \"{size}m\""));
                }
                if ing.skip_rate_limit {
                    self.line(3, "skip_rate_limit = true");
                }
                if ing.custom_csp {
                    self.line(3, &format!("custom_csp = \"{CUSTOM_CSP}\""));
                }
                match ing.homepage {
                    Homepage::Off => self.line(3, "homepage = false"),
                    Homepage::Described => self.line(3, &format!("description = \"{desc}\"")),
                    Homepage::Default => {}
                }
                self.line(2, "}");
            }
        }
        if i.api {
            self.line(2, &format!("ingress {svc}-api {{"));
            self.line(3, &format!("host = \"{svc}\""));
            self.line(3, "paths = [\"/api\"]");
            self.line(3, "serves = api");
            self.line(3, &format!("auth = none(\"{API_REASON}\")"));
            self.line(3, "homepage = false");
            self.line(2, "}");
        }
    }

    fn worker(&mut self, w: &Worker) {
        let name = self.stack.name.clone();
        let svc = format!("{name}-worker");
        self.line(1, &format!("service {svc} {{"));
        self.namespace_line(&name);
        self.line(2, &format!("image = \"{}\"", Self::image(&w.image)));
        self.line(2, "args = [\"worker\"]");
        self.line(2, &Self::resources(&w.resources));
        if let Some(size) = w.cache {
            self.line(2, &format!("volume cache = pvc({size}Gi, mount = \"/cache\")"));
        }
        if w.secret {
            self.line(2, &format!("secret {svc}-secrets = vault(\"{name}\")"));
        }
        self.line(1, "}");
        self.line(0, "");
    }

    fn database(&mut self, d: &Database) {
        let name = self.stack.name.clone();
        let svc = format!("{name}-db");
        self.line(1, &format!("service {svc} {{"));
        self.namespace_line(&name);
        self.line(2, &format!("image = \"{}\"", d.image));
        self.line(2, "keel = never");
        self.line(2, "diun = false");
        self.line(2, "sensitive = true");
        self.line(2, &format!("port db = {}", d.port));
        self.line(2, &format!("resources {{ cpu = 50m, memory = {}Mi }}", d.memory_mi));
        self.line(2, &format!("volume data = encrypted({}Gi, mount = \"{}\")", d.size, d.mount));
        self.line(2, &format!("secret {svc}-secrets = vault(\"{name}\")"));
        self.line(1, "}");
        self.line(0, "");
    }

    fn sync_job(&mut self, x: &SyncJob) {
        let name = self.stack.name.clone();
        self.line(1, &format!("service {name}-sync {{"));
        self.namespace_line(&self.stack.jobs_namespace());
        self.line(2, "kind = cronjob");
        self.line(2, &format!("schedule = \"{}\"", x.schedule));
        self.line(2, &format!("image = \"{}\"", Self::image(&x.image)));
        self.line(2, "container_name = \"sync\"");
        self.line(
            2,
            &format!("command = [\"/bin/sh\", \"-c\", \"sync-tool --target http://{name}.{name}.svc.cluster.local\"]"),
        );
        self.line(2, &Self::resources(&x.resources));
        self.line(1, "}");
        self.line(0, "");
    }

    fn seed_job(&mut self, x: &SeedJob) {
        let name = self.stack.name.clone();
        self.line(1, &format!("service {name}-seed {{"));
        self.namespace_line(&name);
        self.line(2, "kind = job");
        self.line(2, &format!("image = \"{}\"", Self::image(&x.image)));
        self.line(2, "command = [\"/app/seed\", \"--once\"]");
        self.line(2, "resources { cpu = 10m, memory = 64Mi }");
        self.line(1, "}");
        self.line(0, "");
    }

    fn dump(&mut self, x: &Dump) {
        let name = self.stack.name.clone();
        let db = Dump::db(&name);
        let args = [
            "image = \"postgres:16.6\",".to_string(),
            format!("schedule = \"{}\",", x.schedule),
            format!("script = \"pg_dump -h pg-cluster-rw.dbaas -U {db} {db} > /backup/{db}-$ts.sql\","),
            format!("target = \"/srv/nfs/{name}-dumps\","),
            format!("target_claim = \"{name}-dumps-host\","),
        ];
        if self.stack.jobs_ns {
            // Two namespaces: the service must say which one, so it takes the block form.
            self.line(1, &format!("service {name}-dump {{"));
            self.line(2, "..db_dump(");
            for a in &args {
                self.line(3, a);
            }
            self.line(2, ")");
            self.namespace_line(&name);
            self.line(1, "}");
        } else {
            self.line(1, &format!("service {name}-dump = db_dump("));
            for a in &args {
                self.line(2, a);
            }
            self.line(1, ")");
        }
        self.line(0, "");
    }

    fn backup(&mut self, b: &Backup) {
        let name = self.stack.name.clone();
        self.line(1, &format!("service {name}-backup {{"));
        self.line(2, "..pvc_backup(");
        self.line(3, &format!("source = \"{}\",", b.claim));
        self.line(3, &format!("target = \"/srv/nfs/{name}-backup\","));
        self.line(3, &format!("target_claim = \"{name}-backup-host\","));
        self.line(3, &format!("schedule = \"{}\",", b.schedule));
        // Beside the owner's pods: the claim is ReadWriteOnce.
        self.line(3, &format!("owner = \"{}\",", b.owner));
        self.line(2, ")");
        self.namespace_line(&name);
        if b.sqlite {
            // A file copy could catch the database mid-write: sqlite3 takes a consistent copy
            // instead, as the homelab's plotting-book backup does.
            self.line(2, "command = [");
            self.line(3, "\"/bin/sh\",");
            self.line(3, "\"-c\",");
            self.line(3, &format!("\"{SQLITE_BACKUP}\","));
            self.line(2, "]");
        }
        self.line(1, "}");
        self.line(0, "");
    }
}

/// The reason a stack gives for waiving `code`.
pub fn waive_reason(code: &str) -> &'static str {
    WAIVE_REASONS.iter().find(|(c, _)| *c == code).map_or("accepted", |(_, r)| r)
}

fn capitalise(word: &str) -> String {
    let mut c = word.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_prefix_stable() {
        let a = workspace(Options { stacks: 60, seed: 3 });
        let b = workspace(Options { stacks: 60, seed: 3 });
        assert_eq!(a, b);
        let longer = workspace(Options { stacks: 80, seed: 3 });
        assert_eq!(&longer[..a.len()], &a[..]);
        let other = workspace(Options { stacks: 60, seed: 4 });
        assert_ne!(a, other);
    }

    #[test]
    fn names_are_unique_and_dependencies_point_backwards() {
        let n = 400;
        let names: BTreeSet<String> = (0..n).map(|i| stack_name(9, i)).collect();
        assert_eq!(names.len(), n);
        for (i, (_, text)) in workspace(Options { stacks: n, seed: 9 }).iter().skip(platform::files().len()).enumerate()
        {
            let deps = text.lines().find(|l| l.trim_start().starts_with("depends_on")).unwrap_or_default();
            for j in i..n {
                let later = stack_name(9, j);
                assert!(!deps.contains(&format!(" {later},")) && !deps.contains(&format!(" {later}]")));
            }
        }
    }
}
