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
    prepare(dir, force)?;
    let mut written = Written { files: 0, bytes: 0 };
    for (path, text) in workspace(opts) {
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

fn prepare(dir: &Path, force: bool) -> io::Result<()> {
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
    for sub in ["base", "stacks"] {
        let sub = dir.join(sub);
        if !sub.is_dir() {
            continue;
        }
        for entry in fs::read_dir(&sub)? {
            let path = entry?.path();
            if path.is_file() && path.extension().is_some_and(|e| e == "hl") {
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
    let width = opts.stacks.max(1).to_string().len().max(5);
    let mut slots = RESERVED_SLOTS;
    for i in 0..opts.stacks {
        let app = App::generate(opts.seed, i, &mut slots);
        files.push((format!("stacks/{:0width$}-{}.hl", i + 1, app.word), app.text));
    }
    files
}

/// The name of generated stack `i`: a word and the stack's number.
pub fn stack_name(seed: u64, i: usize) -> String {
    format!("{}-{}", word(seed, i), i + 1)
}

fn word(seed: u64, i: usize) -> &'static str {
    WORDS[Rng::for_item(seed, i as u64, 1).below(WORDS.len())]
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tier {
    Core,
    Cluster,
    Gpu,
    Edge,
    Aux,
}

impl Tier {
    fn as_str(self) -> &'static str {
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

/// A Proxmox-LVM claim of a long-running service, which a backup job may copy.
struct LvmClaim {
    claim: String,
    /// The Deployment that mounts it: a copy job runs beside its pods (E0518).
    owner: String,
    /// It holds a SQLite database: a copy job takes it with `sqlite3 .backup` (E0517).
    sqlite: bool,
}

/// One generated stack while it is being written.
struct App {
    seed: u64,
    i: usize,
    word: &'static str,
    name: String,
    rng: Rng,
    /// The namespace's tier; `None` for the few namespaces kept outside the tier policies.
    tier: Option<Tier>,
    keel: bool,
    /// A second namespace for the stack's jobs: then every service names its namespace.
    jobs_ns: bool,
    generated_deps: Vec<String>,
    uses_lib: bool,
    /// The version in the file's `let version`, if its images interpolate one.
    version: Option<String>,
    /// Warnings the stack triggers on purpose, waived in its header.
    triggers: BTreeSet<&'static str>,
    /// Proxmox-LVM claims in the stack's own namespace.
    lvm_claims: Vec<LvmClaim>,
    body: String,
    text: String,
}

impl App {
    fn generate(seed: u64, i: usize, slots: &mut u32) -> App {
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
        let mut app = App {
            seed,
            i,
            word: word(seed, i),
            name: stack_name(seed, i),
            rng,
            tier,
            keel,
            jobs_ns: false,
            generated_deps: Vec::new(),
            uses_lib: false,
            version: None,
            triggers: BTreeSet::new(),
            lvm_claims: Vec::new(),
            body: String::new(),
            text: String::new(),
        };
        app.build(slots);
        app
    }

    fn build(&mut self, slots: &mut u32) {
        let helm_only = self.rng.chance(4);
        let with_helm = helm_only || self.rng.chance(4);
        self.jobs_ns = !helm_only && self.rng.chance(3);
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
        let deps: Vec<String> = base.iter().map(|d| d.to_string()).chain(self.generated_deps.iter().cloned()).collect();

        self.namespaces();
        if !self.jobs_ns && self.rng.chance(5) {
            let name = self.name.clone();
            self.line(1, &format!("secret {name}-shared = vault(\"{name}\")"));
        }
        if with_helm {
            self.helm();
        }
        if !helm_only {
            self.main_service();
            if self.rng.chance(30) {
                self.worker();
            }
            if self.rng.chance(12) {
                self.database();
            }
            if self.rng.chance(10) {
                self.sync_job();
            }
            if self.rng.chance(2) {
                self.seed_job();
            }
            if self.uses_lib && self.rng.chance(25) {
                self.dump(slots);
            }
            self.backup(slots);
        }
        self.assemble(&deps);
    }

    fn assemble(&mut self, deps: &[String]) {
        let mut out = String::new();
        if self.uses_lib {
            out.push_str("import \"../base/lib.hl\"\n\n");
        }
        if let Some(v) = &self.version {
            out.push_str(&format!("let version = \"{v}\"\n\n"));
        }
        out.push_str(&format!("// {}: a generated stack (hl-bench, seed {}).\n", self.name, self.seed));
        out.push_str(&format!("stack {} {{\n", self.name));
        if !self.triggers.is_empty() {
            out.push_str("  waive = {\n");
            for code in &self.triggers {
                let reason = WAIVE_REASONS.iter().find(|(c, _)| c == code).map_or("accepted", |(_, r)| r);
                out.push_str(&format!("    \"{code}\": \"{reason}\",\n"));
            }
            out.push_str("  }\n");
        }
        out.push_str(&format!("  depends_on = [{}]\n", deps.join(", ")));
        if self.rng.chance(50) {
            out.push_str(&format!("  description = \"Generated {} service number {}\"\n", self.word, self.i + 1));
        }
        out.push('\n');
        out.push_str(&self.body);
        out.push_str("}\n");
        self.text = out;
    }

    fn line(&mut self, indent: usize, text: &str) {
        for _ in 0..indent {
            self.body.push_str("  ");
        }
        self.body.push_str(text);
        self.body.push('\n');
    }

    fn semver(&mut self) -> String {
        format!("{}.{}.{}", self.rng.range(0, 9), self.rng.range(0, 30), self.rng.range(0, 12))
    }

    fn namespaces(&mut self) {
        let mut fields = Vec::new();
        match self.tier {
            Some(t) => fields.push(format!("tier = \"{}\"", t.as_str())),
            None => {
                self.triggers.insert("E0521");
            }
        }
        if self.keel {
            fields.push("keel = true".to_string());
        }
        if self.rng.chance(5) {
            fields.push("tls = false".to_string());
        }
        let name = self.name.clone();
        if fields.is_empty() {
            self.line(1, &format!("namespace {name} {{}}"));
        } else {
            self.line(1, &format!("namespace {name} {{ {} }}", fields.join(", ")));
        }
        if self.jobs_ns {
            self.line(1, &format!("namespace {name}-jobs {{ tier = \"aux\" }}"));
        }
        self.line(0, "");
    }

    /// The `namespace = ...` line a service needs when the stack has two namespaces.
    fn namespace_line(&mut self, ns: &str) {
        if self.jobs_ns {
            self.line(2, &format!("namespace = \"{ns}\""));
        }
    }

    /// An image reference; `pinned` gives it a version tag.
    fn image(&mut self, what: &str, pinned: bool) -> String {
        let registry = self.rng.pick(REGISTRIES);
        if !pinned {
            return if self.rng.chance(30) {
                format!("{registry}/{what}:latest")
            } else {
                format!("{registry}/{what}")
            };
        }
        if self.version.is_some() && self.rng.chance(60) {
            return format!("{registry}/{what}:${{version}}");
        }
        let v = self.semver();
        format!("{registry}/{what}:{v}")
    }

    /// Whether a long-running workload's image is pinned: not in a Keel-enrolled namespace,
    /// except for the stacks that accept E0553 like the homelab's do.
    fn pin_long_running(&mut self, ns_keel: bool) -> bool {
        if !ns_keel {
            return self.rng.chance(80);
        }
        if self.rng.chance(15) {
            self.triggers.insert("E0553");
            return true;
        }
        false
    }

    /// `resources { ... }` with a request from the small end of the homelab's range; some
    /// workloads get a memory limit above the request (E0523 in tiers 0-2).
    fn resources(&mut self, cpus: &[&str], memories: &[usize], burst_percent: usize, ns_tier: Option<Tier>) -> String {
        let cpu = self.rng.pick(cpus).to_string();
        let mem = *self.rng.pick(memories);
        if self.rng.chance(burst_percent) {
            if ns_tier.is_some_and(Tier::guaranteed) {
                self.triggers.insert("E0523");
            }
            format!("resources {{ cpu = {cpu}, memory = {mem}Mi, memory_limit = {}Mi }}", mem * 2)
        } else {
            format!("resources {{ cpu = {cpu}, memory = {mem}Mi }}")
        }
    }

    fn helm(&mut self) {
        let chart = *self.rng.pick(CHARTS);
        self.line(1, &format!("helm {chart} {{"));
        self.line(2, &format!("chart = \"{chart}\""));
        if self.rng.chance(40) {
            self.line(2, &format!("repo = \"oci://ghcr.io/benchlab/charts/{chart}\""));
        } else {
            self.line(2, &format!("repo = \"https://charts.example.org/{chart}\""));
        }
        if self.rng.chance(85) {
            let v = self.semver();
            self.line(2, &format!("version = \"{v}\""));
        }
        if self.jobs_ns {
            let name = self.name.clone();
            self.line(2, &format!("namespace = \"{name}\""));
        }
        if self.rng.chance(60) {
            let replicas = self.rng.range(1, 3);
            let size = self.rng.range(1, 20);
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

    fn main_service(&mut self) {
        let name = self.name.clone();
        let what = self.word;
        let kind = *self.rng.weighted(&[("deployment", 94), ("statefulset", 4), ("daemonset", 2)]);
        self.line(1, &format!("service {name} {{"));
        self.namespace_line(&name);
        if kind != "deployment" {
            self.line(2, &format!("kind = {kind}"));
        }
        let pinned = self.pin_long_running(self.keel);
        let image = self.image(what, pinned);
        self.line(2, &format!("image = \"{image}\""));
        if kind == "deployment" && self.rng.chance(12) {
            self.line(2, "replicas = 2");
        }
        let port = *self.rng.pick(&[80usize, 3000, 5000, 8000, 8080, 8096, 9000]);
        self.line(2, &format!("port http = {port}"));
        if self.rng.chance(20) {
            self.line(2, "port metrics = 9090");
        }
        let lb_port = LB_PORT_BASE + self.i;
        let lb = kind != "daemonset" && lb_port <= 65_535 && self.rng.chance(4);
        if lb {
            self.line(2, &format!("udp_port game = {lb_port}"));
        }
        let res = if kind == "daemonset" {
            // One pod per Node: keep the namespace within its quota.
            "resources { cpu = 10m, memory = 32Mi }".to_string()
        } else {
            self.resources(&["10m", "15m", "25m", "50m", "100m"], &[64, 128, 192, 256, 384], 12, self.tier)
        };
        self.line(2, &res);
        self.env(&name);
        if kind != "daemonset" {
            self.volumes(&name, kind == "statefulset");
        }
        self.secrets(&name);
        if self.rng.chance(8) {
            let pinned = !self.keel && self.rng.chance(80);
            let image = self.image("metrics-exporter", pinned);
            self.line(2, "container exporter {");
            self.line(3, &format!("image = \"{image}\""));
            self.line(3, "port exporter = 9102");
            self.line(3, "resources { cpu = 10m, memory = 32Mi }");
            self.line(2, "}");
        }
        if self.rng.chance(5) {
            self.line(2, "init migrate {");
            self.line(3, &format!("image = \"{image}\""));
            self.line(3, "command = [\"/app/migrate\", \"--up\"]");
            self.line(2, "}");
        }
        if self.rng.chance(10) {
            self.line(2, &format!("config {name}-settings = {{ \"settings.yaml\": \"listen: 0.0.0.0:{port}\" }}"));
        }
        if port != 80 && self.rng.chance(20) {
            self.line(2, &format!("expose {{ port http {{ port = 80, target = {port} }} }}"));
        }
        if lb {
            self.line(2, &format!("extra_service {name}-lb {{"));
            self.line(3, "type = LoadBalancer");
            self.line(3, "lb_ip = \"10.0.20.200\"");
            self.line(3, "shared_ip = true");
            self.line(3, "traffic_policy = Cluster");
            self.line(3, &format!("port game {{ port = {lb_port}, protocol = UDP }}"));
            self.line(2, "}");
        }
        if kind != "daemonset" && self.rng.chance(85) {
            self.ingresses(&name);
        }
        self.line(1, "}");
        self.line(0, "");
    }

    fn env(&mut self, svc: &str) {
        if !self.rng.chance(60) {
            return;
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
        let items: Vec<String> = vars.iter().map(|(k, v)| format!("\"{k}\": \"{v}\"")).collect();
        self.line(2, &format!("env = {{ {} }}", items.join(", ")));
    }

    fn volumes(&mut self, svc: &str, statefulset: bool) {
        let mut encrypted_only = false;
        let mut writes_nfs = false;
        if statefulset {
            let size = self.rng.range(1, 20);
            self.line(
                2,
                &format!(
                    "volume data = claim_template({size}Gi, mount = \"/data\", class = \"proxmox-lvm-encrypted\")"
                ),
            );
            encrypted_only = true;
        } else if self.rng.chance(45) {
            let size = self.rng.range(1, 10);
            let (func, suffix) = if self.rng.chance(35) { ("encrypted", "encrypted") } else { ("pvc", "proxmox") };
            encrypted_only = func == "encrypted";
            let call = format!("{func}({size}Gi, mount = \"/data\")");
            let sqlite = self.rng.chance(10);
            if sqlite {
                self.line(2, "volume data {");
                self.line(3, &format!("..{call}"));
                self.line(3, "sqlite = true");
                self.line(2, "}");
            } else {
                self.line(2, &format!("volume data = {call}"));
            }
            self.lvm_claims.push(LvmClaim { claim: format!("{svc}-data-{suffix}"), owner: svc.to_string(), sqlite });
        }
        if self.rng.chance(30) {
            let size = self.rng.range(5, 200);
            let read_only = self.rng.chance(20);
            writes_nfs = !read_only;
            let ro = if read_only { ", read_only = true" } else { "" };
            self.line(
                2,
                &format!("volume media = nfs(\"/srv/nfs/{svc}/media\", mount = \"/media\", size = {size}Gi{ro})"),
            );
        }
        if self.rng.chance(10) {
            self.line(2, "volume scratch { source = empty_dir, mount = \"/tmp/scratch\" }");
        }
        if encrypted_only && !writes_nfs && self.rng.chance(50) {
            self.line(2, "sensitive = true");
        }
    }

    fn secrets(&mut self, svc: &str) {
        let stack = self.name.clone();
        if self.rng.chance(55) {
            self.line(2, &format!("secret {svc}-secrets = vault(\"{stack}\")"));
            if self.rng.chance(20) {
                self.line(
                    2,
                    &format!("env_secret = {{ \"API_TOKEN\": secret_key(\"{svc}-secrets\", \"api-token\") }}"),
                );
            }
        }
        if self.rng.chance(15) {
            self.line(2, &format!("secret {svc}-db = vault_db(\"pg-{stack}\")"));
        }
        if let Some(dep) = self.generated_deps.first().cloned()
            && self.rng.chance(8)
        {
            self.triggers.insert("E0562");
            self.line(2, &format!("secret {svc}-upstream = vault(\"{dep}\")"));
        }
    }

    fn ingresses(&mut self, svc: &str) {
        let desc = format!("{} {}", capitalise(self.word), self.i + 1);
        if self.uses_lib && self.rng.chance(30) {
            let helper = if self.rng.chance(80) { "gated" } else { "home_only" };
            self.line(2, &format!("ingress {svc} = {helper}(\"{desc}\")"));
        } else {
            let auth = *self.rng.weighted(&[("required", 44), ("public", 2), ("app", 12), ("none", 42)]);
            let dns = *self.rng.weighted(&[("proxied", 58), ("non-proxied", 13), ("internal", 5), ("none", 24)]);
            self.line(2, &format!("ingress {svc} {{"));
            match auth {
                "app" => {
                    let reason = self.rng.pick(APP_REASONS);
                    self.line(3, &format!("auth = app(\"{reason}\")"));
                }
                "none" => {
                    let reason = self.rng.pick(NONE_REASONS);
                    self.line(3, &format!("auth = none(\"{reason}\")"));
                }
                "public" => self.line(3, "auth = public"),
                _ => {
                    if self.rng.chance(10) {
                        self.line(3, "allowed_groups = [\"Bench Users\", \"Home Server Admins\"]");
                    }
                }
            }
            self.line(3, &format!("dns = {dns}"));
            if dns == "internal" {
                self.line(3, "extra_middlewares = [\"traefik-home-lans-only@kubernetescrd\"]");
            }
            if self.rng.chance(8) {
                let name = self.name.clone();
                self.line(3, &format!("sablier {{ group = \"{name}\" }}"));
            }
            if self.rng.chance(8) {
                let size = *self.rng.pick(&[10, 50, 100, 500]);
                self.line(3, &format!("max_body_size = \"{size}m\""));
            }
            if self.rng.chance(3) {
                self.line(3, "skip_rate_limit = true");
            }
            if self.rng.chance(3) {
                self.line(3, "custom_csp = \"default-src 'self'; img-src 'self' data:\"");
            }
            if self.rng.chance(15) {
                self.line(3, "homepage = false");
            } else if self.rng.chance(90) {
                self.line(3, &format!("description = \"{desc}\""));
            }
            self.line(2, "}");
        }
        if self.rng.chance(10) {
            self.line(2, &format!("ingress {svc}-api {{"));
            self.line(3, &format!("host = \"{svc}\""));
            self.line(3, "paths = [\"/api\"]");
            self.line(3, "serves = api");
            self.line(3, "auth = none(\"machine clients authenticate with per-client API keys\")");
            self.line(3, "homepage = false");
            self.line(2, "}");
        }
    }

    fn worker(&mut self) {
        let name = self.name.clone();
        let svc = format!("{name}-worker");
        self.line(1, &format!("service {svc} {{"));
        self.namespace_line(&name);
        let pinned = self.pin_long_running(self.keel);
        let image = self.image(self.word, pinned);
        self.line(2, &format!("image = \"{image}\""));
        self.line(2, "args = [\"worker\"]");
        let res = self.resources(&["10m", "25m", "50m", "100m"], &[64, 128, 256], 10, self.tier);
        self.line(2, &res);
        if self.rng.chance(30) {
            let size = self.rng.range(1, 8);
            self.line(2, &format!("volume cache = pvc({size}Gi, mount = \"/cache\")"));
            self.lvm_claims.push(LvmClaim { claim: format!("{svc}-cache-proxmox"), owner: svc.clone(), sqlite: false });
        }
        if self.rng.chance(30) {
            self.line(2, &format!("secret {svc}-secrets = vault(\"{name}\")"));
        }
        self.line(1, "}");
        self.line(0, "");
    }

    fn database(&mut self) {
        let name = self.name.clone();
        let svc = format!("{name}-db");
        let (image, port, mount) = *self.rng.pick(&[
            ("postgres:16.6", 5432, "/var/lib/postgresql/data"),
            ("mariadb:11.4.4", 3306, "/var/lib/mysql"),
            ("mongo:7.0.16", 27017, "/data/db"),
        ]);
        self.line(1, &format!("service {svc} {{"));
        self.namespace_line(&name);
        self.line(2, &format!("image = \"{image}\""));
        self.line(2, "keel = never");
        self.line(2, "diun = false");
        self.line(2, "sensitive = true");
        self.line(2, &format!("port db = {port}"));
        let mem = *self.rng.pick(&[128usize, 256, 512]);
        self.line(2, &format!("resources {{ cpu = 50m, memory = {mem}Mi }}"));
        let size = self.rng.range(2, 20);
        self.line(2, &format!("volume data = encrypted({size}Gi, mount = \"{mount}\")"));
        self.lvm_claims.push(LvmClaim { claim: format!("{svc}-data-encrypted"), owner: svc.clone(), sqlite: false });
        self.line(2, &format!("secret {svc}-secrets = vault(\"{name}\")"));
        self.line(1, "}");
        self.line(0, "");
    }

    fn sync_job(&mut self) {
        let name = self.name.clone();
        let ns = if self.jobs_ns { format!("{name}-jobs") } else { name.clone() };
        let tier = if self.jobs_ns { Some(Tier::Aux) } else { self.tier };
        let schedule = if self.rng.chance(50) {
            format!("{} {} * * *", self.rng.range(0, 59), self.rng.range(0, 23))
        } else {
            format!("*/{} * * * *", self.rng.pick(&[5, 10, 15, 30]))
        };
        self.line(1, &format!("service {name}-sync {{"));
        self.namespace_line(&ns);
        self.line(2, "kind = cronjob");
        self.line(2, &format!("schedule = \"{schedule}\""));
        let image = self.image("sync-tool", true);
        self.line(2, &format!("image = \"{image}\""));
        self.line(2, "container_name = \"sync\"");
        self.line(
            2,
            &format!("command = [\"/bin/sh\", \"-c\", \"sync-tool --target http://{name}.{name}.svc.cluster.local\"]"),
        );
        let res = self.resources(&["5m", "10m", "25m"], &[32, 64], 50, tier);
        self.line(2, &res);
        self.line(1, "}");
        self.line(0, "");
    }

    fn seed_job(&mut self) {
        let name = self.name.clone();
        self.line(1, &format!("service {name}-seed {{"));
        self.namespace_line(&name);
        self.line(2, "kind = job");
        let image = self.image(self.word, true);
        self.line(2, &format!("image = \"{image}\""));
        self.line(2, "command = [\"/app/seed\", \"--once\"]");
        self.line(2, "resources { cpu = 10m, memory = 64Mi }");
        self.line(1, "}");
        self.line(0, "");
    }

    /// The next weekly backup slot; past the last one, slots repeat and the stack accepts
    /// E0516 (a later job in the same minute as an earlier one).
    fn take_slot(&mut self, slots: &mut u32) -> String {
        let k = *slots;
        *slots += 1;
        if k >= SLOTS_PER_WEEK {
            self.triggers.insert("E0516");
        }
        weekly_slot(k)
    }

    fn dump(&mut self, slots: &mut u32) {
        let name = self.name.clone();
        let schedule = self.take_slot(slots);
        let db = name.replace('-', "_");
        let args = [
            "image = \"postgres:16.6\",".to_string(),
            format!("schedule = \"{schedule}\","),
            format!("script = \"pg_dump -h pg-cluster-rw.dbaas -U {db} {db} > /backup/{db}-$ts.sql\","),
            format!("target = \"/srv/nfs/{name}-dumps\","),
            format!("target_claim = \"{name}-dumps-host\","),
        ];
        if self.jobs_ns {
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

    /// A copy job for the first Proxmox-LVM claim in about half of the stacks that have one;
    /// the claims left without a job are the E0513 findings the stack accepts.
    fn backup(&mut self, slots: &mut u32) {
        if self.lvm_claims.is_empty() {
            return;
        }
        if !self.rng.chance(45) {
            self.triggers.insert("E0513");
            return;
        }
        if self.lvm_claims.len() > 1 {
            self.triggers.insert("E0513");
        }
        // pvc_backup asks for 16Mi with a 64Mi limit.
        if self.tier.is_some_and(Tier::guaranteed) {
            self.triggers.insert("E0523");
        }
        let name = self.name.clone();
        let LvmClaim { claim, owner, sqlite } = &self.lvm_claims[0];
        let (claim, owner, sqlite) = (claim.clone(), owner.clone(), *sqlite);
        let schedule = self.take_slot(slots);
        self.line(1, &format!("service {name}-backup {{"));
        self.line(2, "..pvc_backup(");
        self.line(3, &format!("source = \"{claim}\","));
        self.line(3, &format!("target = \"/srv/nfs/{name}-backup\","));
        self.line(3, &format!("target_claim = \"{name}-backup-host\","));
        self.line(3, &format!("schedule = \"{schedule}\","));
        // Beside the owner's pods: the claim is ReadWriteOnce.
        self.line(3, &format!("owner = \"{owner}\","));
        self.line(2, ")");
        self.namespace_line(&name);
        if sqlite {
            // A file copy could catch the database mid-write: sqlite3 takes a consistent copy
            // instead, as the homelab's plotting-book backup does.
            self.line(2, "command = [");
            self.line(3, "\"/bin/sh\",");
            self.line(3, "\"-c\",");
            self.line(
                3,
                "\"set -eu; apk add --no-cache sqlite; ts=$(date +%Y%m%d-%H%M%S); mkdir -p /backup/$ts; sqlite3 /data/db.sqlite3 '.backup /backup/'$ts'/db.sqlite3'; find /backup -mindepth 1 -maxdepth 1 -type d -mtime +30 -exec rm -rf {} +\",",
            );
            self.line(2, "]");
        }
        self.line(1, "}");
        self.line(0, "");
    }
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
