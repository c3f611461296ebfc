//! The benchmark's workload written in Pkl, for `hl-bench race`: the same stacks as
//! `generate.rs` writes in hl, drawn from the same description ([`StackDesc`]), so a Pkl
//! workspace and an hl workspace of one size and seed declare the same services, volumes,
//! secrets, ingresses and jobs.
//!
//! The workspace is what a Pkl user would write for this homelab:
//!
//! - `lib/homelab.pkl`: the domain library. Stack, Namespace, Service, Volume (claims, claim
//!   templates, NFS exports, scratch), Secret, Ingress, Helm release as classes; hl's cheap
//!   checks as type constraints (port ranges, DNS labels, port names of at most 15 characters,
//!   image references, CPU and memory units, cron schedules, tiers and storage classes the
//!   cluster declares, non-empty reasons); hl's standard-library factories (`pvc`, `encrypted`,
//!   `vault`, `vaultDb`, the `PvcBackup` job); and the functions that render each noun as the
//!   Kubernetes objects `hlc` emits for it (workloads, Services, Ingresses and their Traefik
//!   Middlewares, PersistentVolumes and claims, ExternalSecrets, ConfigMaps, Namespaces,
//!   PodDisruptionBudgets, Flux HelmRepositories and HelmReleases).
//! - `lib/Stack.pkl`: the template every stack module amends; its output is one YAML file per
//!   object, `k8s/<stack>/<kind>-<name>.yaml`, and the stack's `kustomization.yaml`, the paths
//!   `hlc build` writes.
//! - `lib/cluster.pkl`: the cluster's facts (hl's `cluster.hl`) that the renderers read.
//! - `lib/helpers.pkl`: the helpers of hl's `base/lib.hl` (`DbDump`, `gated`, `homeOnly`).
//! - `base/*.pkl`: the fixed stacks of `platform.rs`, as stacks.
//! - `stacks/NNNNN-word.pkl`: one module per generated stack.
//! - `workspace.pkl` ([`ENTRY`]): every stack in one module, what the check evaluates;
//!   `parts/*.pkl` ([`PARTS`]): the fixed stacks, and the generated ones a thousand at a time,
//!   what the build evaluates.
//!
//! Every file Pkl writes for this workspace is, once parsed, the file hlc writes for the hl one
//! (`hl-bench compare` counts them): both do the same rendering. What the hl workspace has and
//! this one does not: the Proxmox host (VMs, templates, cloud-init, host backup timers),
//! Authentik groups, and everything hlc checks across stacks (the dependency graph, backup
//! coverage, unique names and addresses, quotas). `hlc` does that work in every run; Pkl is
//! spared it.

use std::collections::BTreeSet;
use std::io;
use std::path::Path;

use crate::generate::{
    self, ALLOWED_GROUPS, API_REASON, Auth, Backup, CUSTOM_CSP, DataVolume, Database, Dump, EXPORTER_PORT, HOME_LANS,
    Helm, Homepage, Image, Ingresses, Kind, LB_IP, Main, Options, Resources, SQLITE_BACKUP, Secrets, SeedJob, Service,
    StackDesc, SyncJob, Tag, Volumes, WebIngress, Worker, Written, waive_reason,
};
use crate::platform::weekly_slot;

/// Write the Pkl workspace into `dir`, which must be empty or absent; with `force`, the `.pkl`
/// files of an earlier one there (`lib/`, `base/`, `stacks/`, `parts/`) are removed first.
pub fn write(dir: &Path, opts: Options, force: bool) -> io::Result<Written> {
    generate::write_files(dir, workspace(opts), force, &["lib", "base", "stacks", "parts"], "pkl")
}

/// Every file of the Pkl workspace, as (path relative to the workspace, contents).
pub fn workspace(opts: Options) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = LIBRARY.iter().map(|(p, t)| (p.to_string(), t.to_string())).collect();
    for (name, text) in BASE {
        let mut text = text.to_string();
        for k in 0..crate::platform::RESERVED_SLOTS {
            text = text.replace(&format!("@SLOT{k}@"), &weekly_slot(k));
        }
        files.push((format!("base/{name}"), text));
    }
    files.push(("parts/base.pkl".to_string(), part("base/*.pkl")));
    let mut thousands = BTreeSet::new();
    for stack in generate::stacks(opts) {
        let stem = generate::file_stem(opts, &stack);
        // The number without its last three digits: which thousand the stack is in.
        thousands.insert(stem[..stem.find('-').unwrap_or(stem.len()).saturating_sub(3)].to_string());
        files.push((format!("stacks/{stem}.pkl"), stack_text(&stack)));
    }
    for t in thousands {
        files.push((format!("parts/stacks-{t}.pkl"), part(&format!("stacks/{t}*.pkl"))));
    }
    files
}

/// The module that checks the workspace (`pkl eval -x ... workspace.pkl`): it imports every
/// stack, and its output files are all of theirs.
pub const ENTRY: &str = "workspace.pkl";

/// The directory of the modules that build the workspace (`pkl eval -m OUT parts/*.pkl`): the
/// fixed stacks, and the generated ones a thousand at a time.
///
/// Both entries write the same files; the parts are the faster way to write them. Given several
/// modules, `pkl eval -m` evaluates each with an evaluator of its own, so the objects of one
/// part are garbage by the time the next is evaluated: at 10,000 stacks the build takes 18 s
/// and 892 MiB instead of 28 s and 2.6 GiB through `workspace.pkl`, where Pkl holds them all
/// until the end. Per stack module (`pkl eval -m OUT base/*.pkl stacks/*.pkl`) it would be
/// slower still: each evaluator reads and evaluates the domain library again (15.7 s instead
/// of 1.7 s for 1,000 stacks). `pkl eval -x` evaluates every module it is given with one
/// evaluator, so the check gains nothing from parts, and reads `workspace.pkl`.
pub const PARTS: &str = "parts";

/// A module whose output files are those of every stack module `glob` matches.
fn part(glob: &str) -> String {
    format!(
        "// The output files of the stacks `{glob}` matches: `pkl eval -m OUT parts/*.pkl` evaluates\n\
         // each part with an evaluator of its own, and writes the whole workspace.\n\n\
         import* \"../{glob}\" as stacks\n\n\
         output {{\n  files {{\n    for (_, s in stacks) {{ ...s.output.files }}\n  }}\n}}\n"
    )
}

/// The Pkl module of a generated stack: it amends `lib/Stack.pkl` and declares what the hl file
/// of the same stack declares, in the same order.
pub fn stack_text(s: &StackDesc) -> String {
    let mut w = Pkl { stack: s, out: String::new() };
    w.module();
    w.out
}

/// Writes one stack's Pkl module.
struct Pkl<'a> {
    stack: &'a StackDesc,
    out: String,
}

impl Pkl<'_> {
    fn line(&mut self, indent: usize, text: &str) {
        for _ in 0..indent {
            self.out.push_str("  ");
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn module(&mut self) {
        let s = self.stack;
        self.line(0, "amends \"../lib/Stack.pkl\"");
        self.line(0, "");
        self.line(0, "import \"../lib/homelab.pkl\" as hl");
        if s.uses_lib {
            self.line(0, "import \"../lib/helpers.pkl\"");
        }
        self.line(0, "");
        if let Some(v) = &s.version {
            self.line(0, &format!("local appVersion = {}", string(v)));
            self.line(0, "");
        }
        self.line(0, &format!("// {}: a generated stack (hl-bench, seed {}).", s.name, s.seed));
        self.line(0, &format!("name = {}", string(&s.name)));
        if !s.waived.is_empty() {
            self.line(0, "waive {");
            for code in &s.waived {
                self.line(1, &format!("[{}] = {}", string(&s.waiver_key(code)), string(waive_reason(code))));
            }
            self.line(0, "}");
        }
        let deps: Vec<String> = s.depends_on.iter().map(|d| string(d)).collect();
        self.line(0, &format!("dependsOn {{ {} }}", deps.join("; ")));
        if let Some(d) = s.description() {
            self.line(0, &format!("description = {}", string(&d)));
        }
        self.line(0, "");
        self.namespaces();
        if s.shared_secret {
            self.line(0, "secrets {");
            self.line(1, &format!("[{}] = hl.vault({})", string(&format!("{}-shared", s.name)), string(&s.name)));
            self.line(0, "}");
            self.line(0, "");
        }
        if let Some(h) = &s.helm {
            self.helm(h);
        }
        if !s.services.is_empty() {
            self.line(0, "services {");
            for svc in &s.services {
                match svc {
                    Service::Main(m) => self.main_service(m),
                    Service::Worker(x) => self.worker(x),
                    Service::Database(x) => self.database(x),
                    Service::Sync(x) => self.sync_job(x),
                    Service::Seed(x) => self.seed_job(x),
                    Service::Dump(x) => self.dump(x),
                    Service::Backup(x) => self.backup(x),
                }
            }
            self.line(0, "}");
        }
    }

    fn namespaces(&mut self) {
        let s = self.stack;
        let mut fields = Vec::new();
        if let Some(t) = s.tier {
            fields.push(format!("tier = {}", string(t.as_str())));
        }
        if s.keel {
            fields.push("keel = true".to_string());
        }
        if s.no_tls {
            fields.push("tls = false".to_string());
        }
        self.line(0, "namespaces {");
        if fields.is_empty() {
            self.line(1, &format!("[{}] {{}}", string(&s.name)));
        } else {
            self.line(1, &format!("[{}] {{ {} }}", string(&s.name), fields.join("; ")));
        }
        if s.jobs_ns {
            self.line(1, &format!("[{}] {{ tier = \"aux\" }}", string(&s.jobs_namespace())));
        }
        self.line(0, "}");
        self.line(0, "");
    }

    /// `namespace = ...` where the stack has two namespaces.
    fn namespace_line(&mut self, ns: &str) {
        if self.stack.jobs_ns {
            self.line(2, &format!("namespace = {}", string(ns)));
        }
    }

    /// An image as a Pkl string: the stack's version interpolated.
    fn image(&self, i: &Image) -> String {
        match &i.tag {
            Tag::StackVersion => format!("\"{}/{}:\\(appVersion)\"", i.registry, i.what),
            _ => string(&i.resolved(None)),
        }
    }

    fn resources(r: &Resources) -> String {
        match r.limit_mi {
            Some(l) => {
                format!("resources {{ cpu = {}; memory = {}.mib; memoryLimit = {l}.mib }}", string(r.cpu), r.memory_mi)
            }
            None => format!("resources {{ cpu = {}; memory = {}.mib }}", string(r.cpu), r.memory_mi),
        }
    }

    fn helm(&mut self, h: &Helm) {
        self.line(0, "helm {");
        self.line(1, &format!("[{}] {{", string(h.chart)));
        self.line(2, &format!("chart = {}", string(h.chart)));
        self.line(2, &format!("repo = {}", string(&h.repo())));
        if let Some(v) = &h.version {
            self.line(2, &format!("version = {}", string(v)));
        }
        if self.stack.jobs_ns {
            self.line(2, &format!("namespace = {}", string(&self.stack.name)));
        }
        if let Some((replicas, size)) = h.values {
            self.line(2, "values {");
            self.line(3, &format!("replicaCount = {replicas}"));
            self.line(3, &format!("persistence {{ enabled = true; size = \"{size}Gi\" }}"));
            self.line(3, "ingress { enabled = false }");
            self.line(2, "}");
        }
        self.line(1, "}");
        self.line(0, "}");
        self.line(0, "");
    }

    fn main_service(&mut self, m: &Main) {
        let name = self.stack.name.clone();
        self.line(1, &format!("[{}] {{", string(&name)));
        self.namespace_line(&name);
        if m.kind != Kind::Deployment {
            self.line(2, &format!("kind = {}", string(m.kind.as_str())));
        }
        let image = self.image(&m.image);
        self.line(2, &format!("image = {image}"));
        if m.replicas2 {
            self.line(2, "replicas = 2");
        }
        if m.metrics {
            self.line(2, &format!("ports {{ [\"http\"] = {}; [\"metrics\"] = 9090 }}", m.port));
        } else {
            self.line(2, &format!("ports {{ [\"http\"] = {} }}", m.port));
        }
        if let Some(lb) = m.lb_port {
            self.line(2, &format!("udpPorts {{ [\"game\"] = {lb} }}"));
        }
        self.line(2, &Self::resources(&m.resources));
        if !m.env.is_empty() {
            let items: Vec<String> = m.env.iter().map(|(k, v)| format!("[{}] = {}", string(k), string(v))).collect();
            self.line(2, &format!("env {{ {} }}", items.join("; ")));
        }
        self.volumes(&name, &m.volumes);
        self.secrets(&name, &m.secrets);
        if let Some(e) = &m.exporter {
            let image = self.image(e);
            self.line(2, "containers {");
            self.line(3, "[\"exporter\"] {");
            self.line(4, &format!("image = {image}"));
            self.line(4, &format!("ports {{ [\"exporter\"] = {EXPORTER_PORT} }}"));
            self.line(4, "resources { cpu = \"10m\"; memory = 32.mib }");
            self.line(3, "}");
            self.line(2, "}");
        }
        if m.init {
            self.line(
                2,
                &format!("inits {{ [\"migrate\"] {{ image = {image}; command {{ \"/app/migrate\"; \"--up\" }} }} }}"),
            );
        }
        if m.config {
            let cm = string(&format!("{name}-settings"));
            let text = string(&format!("listen: 0.0.0.0:{}", m.port));
            self.line(2, &format!("configs {{ [{cm}] {{ [\"settings.yaml\"] = {text} }} }}"));
        }
        if m.expose80 {
            self.line(2, &format!("expose {{ ports {{ [\"http\"] {{ port = 80; target = {} }} }} }}", m.port));
        }
        if let Some(lb) = m.lb_port {
            self.line(2, "extraServices {");
            self.line(3, &format!("[{}] {{", string(&format!("{name}-lb"))));
            self.line(4, "type = \"LoadBalancer\"");
            self.line(4, &format!("lbIp = {}", string(LB_IP)));
            self.line(4, "sharedIp = true");
            self.line(4, "trafficPolicy = \"Cluster\"");
            self.line(4, &format!("ports {{ [\"game\"] {{ port = {lb}; protocol = \"UDP\" }} }}"));
            self.line(3, "}");
            self.line(2, "}");
        }
        if let Some(i) = &m.ingress {
            self.ingresses(&name, i);
        }
        self.line(1, "}");
    }

    fn volumes(&mut self, svc: &str, v: &Volumes) {
        let mut lines = Vec::new();
        match v.data {
            Some(DataVolume::Template(size)) => lines.push(format!(
                "[\"data\"] = new hl.ClaimTemplate {{ size = {size}.gib; mount = \"/data\"; storageClass = \"proxmox-lvm-encrypted\" }}"
            )),
            Some(DataVolume::Claim { size, encrypted, sqlite }) => {
                let func = if encrypted { "encrypted" } else { "pvc" };
                if sqlite {
                    lines.push(format!("[\"data\"] = (hl.{func}({size}.gib, \"/data\")) {{ sqlite = true }}"));
                } else {
                    lines.push(format!("[\"data\"] = hl.{func}({size}.gib, \"/data\")"));
                }
            }
            None => {}
        }
        if let Some((size, read_only)) = v.media {
            let ro = if read_only { "; readOnly = true" } else { "" };
            lines.push(format!(
                "[\"media\"] = new hl.Nfs {{ path = {}; mount = \"/media\"; size = {size}.gib{ro} }}",
                string(&format!("/srv/nfs/{svc}/media"))
            ));
        }
        if v.scratch {
            lines.push("[\"scratch\"] = new hl.EmptyDir { mount = \"/tmp/scratch\" }".to_string());
        }
        if !lines.is_empty() {
            self.line(2, "volumes {");
            for l in &lines {
                self.line(3, l);
            }
            self.line(2, "}");
        }
        if v.sensitive {
            self.line(2, "sensitive = true");
        }
    }

    fn secrets(&mut self, svc: &str, s: &Secrets) {
        let stack = string(&self.stack.name);
        let mut lines = Vec::new();
        if s.vault.is_some() {
            lines.push(format!("[{}] = hl.vault({stack})", string(&format!("{svc}-secrets"))));
        }
        if s.db {
            lines.push(format!(
                "[{}] = hl.vaultDb({})",
                string(&format!("{svc}-db")),
                string(&format!("pg-{}", self.stack.name))
            ));
        }
        if let Some(dep) = &s.upstream {
            lines.push(format!("[{}] = hl.vault({})", string(&format!("{svc}-upstream")), string(dep)));
        }
        if !lines.is_empty() {
            self.line(2, "secrets {");
            for l in &lines {
                self.line(3, l);
            }
            self.line(2, "}");
        }
        if s.vault == Some(true) {
            self.line(
                2,
                &format!(
                    "envSecret {{ [\"API_TOKEN\"] = hl.secretKey({}, \"api-token\") }}",
                    string(&format!("{svc}-secrets"))
                ),
            );
        }
    }

    fn ingresses(&mut self, svc: &str, i: &Ingresses) {
        let desc = string(&self.stack.title());
        self.line(2, "ingresses {");
        match &i.web {
            WebIngress::Helper { gated } => {
                let helper = if *gated { "gated" } else { "homeOnly" };
                self.line(3, &format!("[{}] = helpers.{helper}({desc})", string(svc)));
            }
            WebIngress::Written(ing) => {
                self.line(3, &format!("[{}] {{", string(svc)));
                match ing.auth {
                    Auth::App(reason) => self.line(4, &format!("auth = hl.app({})", string(reason))),
                    Auth::None(reason) => self.line(4, &format!("auth = hl.none({})", string(reason))),
                    Auth::Public => self.line(4, "auth = \"public\""),
                    Auth::Required(groups) => {
                        if groups {
                            let g: Vec<String> = ALLOWED_GROUPS.iter().map(|g| string(g)).collect();
                            self.line(4, &format!("allowedGroups {{ {} }}", g.join("; ")));
                        }
                    }
                }
                self.line(4, &format!("dns = {}", string(ing.dns)));
                if ing.dns == "internal" {
                    self.line(4, &format!("extraMiddlewares {{ {} }}", string(HOME_LANS)));
                }
                if ing.sablier {
                    self.line(4, &format!("sablier {{ group = {} }}", string(&self.stack.name)));
                }
                if let Some(size) = ing.max_body_mb {
                    self.line(4, &format!("maxBodySize = \"{size}m\""));
                }
                if ing.skip_rate_limit {
                    self.line(4, "skipRateLimit = true");
                }
                if ing.custom_csp {
                    self.line(4, &format!("customCsp = {}", string(CUSTOM_CSP)));
                }
                match ing.homepage {
                    Homepage::Off => self.line(4, "homepage = false"),
                    Homepage::Described => self.line(4, &format!("description = {desc}")),
                    Homepage::Default => {}
                }
                self.line(3, "}");
            }
        }
        if i.api {
            self.line(3, &format!("[{}] {{", string(&format!("{svc}-api"))));
            self.line(4, &format!("host = {}", string(svc)));
            self.line(4, "paths = new Listing { \"/api\" }");
            self.line(4, "serves = \"api\"");
            self.line(4, &format!("auth = hl.none({})", string(API_REASON)));
            self.line(4, "homepage = false");
            self.line(3, "}");
        }
        self.line(2, "}");
    }

    fn worker(&mut self, w: &Worker) {
        let name = self.stack.name.clone();
        let svc = format!("{name}-worker");
        self.line(1, &format!("[{}] {{", string(&svc)));
        self.namespace_line(&name);
        let image = self.image(&w.image);
        self.line(2, &format!("image = {image}"));
        self.line(2, "args { \"worker\" }");
        self.line(2, &Self::resources(&w.resources));
        if let Some(size) = w.cache {
            self.line(2, &format!("volumes {{ [\"cache\"] = hl.pvc({size}.gib, \"/cache\") }}"));
        }
        if w.secret {
            self.line(
                2,
                &format!("secrets {{ [{}] = hl.vault({}) }}", string(&format!("{svc}-secrets")), string(&name)),
            );
        }
        self.line(1, "}");
    }

    fn database(&mut self, d: &Database) {
        let name = self.stack.name.clone();
        let svc = format!("{name}-db");
        self.line(1, &format!("[{}] {{", string(&svc)));
        self.namespace_line(&name);
        self.line(2, &format!("image = {}", string(d.image)));
        self.line(2, "keel = \"never\"");
        self.line(2, "diun = false");
        self.line(2, "sensitive = true");
        self.line(2, &format!("ports {{ [\"db\"] = {} }}", d.port));
        self.line(2, &format!("resources {{ cpu = \"50m\"; memory = {}.mib }}", d.memory_mi));
        self.line(2, &format!("volumes {{ [\"data\"] = hl.encrypted({}.gib, {}) }}", d.size, string(d.mount)));
        self.line(2, &format!("secrets {{ [{}] = hl.vault({}) }}", string(&format!("{svc}-secrets")), string(&name)));
        self.line(1, "}");
    }

    fn sync_job(&mut self, x: &SyncJob) {
        let name = self.stack.name.clone();
        self.line(1, &format!("[{}] {{", string(&format!("{name}-sync"))));
        self.namespace_line(&self.stack.jobs_namespace());
        self.line(2, "kind = \"cronjob\"");
        self.line(2, &format!("schedule = {}", string(&x.schedule)));
        let image = self.image(&x.image);
        self.line(2, &format!("image = {image}"));
        self.line(2, "containerName = \"sync\"");
        let target = string(&format!("sync-tool --target http://{name}.{name}.svc.cluster.local"));
        self.line(2, &format!("command {{ \"/bin/sh\"; \"-c\"; {target} }}"));
        self.line(2, &Self::resources(&x.resources));
        self.line(1, "}");
    }

    fn seed_job(&mut self, x: &SeedJob) {
        let name = self.stack.name.clone();
        self.line(1, &format!("[{}] {{", string(&format!("{name}-seed"))));
        self.namespace_line(&name);
        self.line(2, "kind = \"job\"");
        let image = self.image(&x.image);
        self.line(2, &format!("image = {image}"));
        self.line(2, "command { \"/app/seed\"; \"--once\" }");
        self.line(2, "resources { cpu = \"10m\"; memory = 64.mib }");
        self.line(1, "}");
    }

    fn dump(&mut self, x: &Dump) {
        let name = self.stack.name.clone();
        let db = Dump::db(&name);
        self.line(1, &format!("[{}] = new helpers.DbDump {{", string(&format!("{name}-dump"))));
        self.namespace_line(&name);
        self.line(2, "image = \"postgres:16.6\"");
        self.line(2, &format!("schedule = {}", string(&x.schedule)));
        self.line(
            2,
            &format!(
                "script = {}",
                string(&format!("pg_dump -h pg-cluster-rw.dbaas -U {db} {db} > /backup/{db}-$ts.sql"))
            ),
        );
        self.line(2, &format!("target = {}", string(&format!("/srv/nfs/{name}-dumps"))));
        self.line(2, &format!("targetClaim = {}", string(&format!("{name}-dumps-host"))));
        self.line(1, "}");
    }

    fn backup(&mut self, b: &Backup) {
        let name = self.stack.name.clone();
        self.line(1, &format!("[{}] = new hl.PvcBackup {{", string(&format!("{name}-backup"))));
        self.namespace_line(&name);
        self.line(2, &format!("source = {}", string(&b.claim)));
        self.line(2, &format!("target = {}", string(&format!("/srv/nfs/{name}-backup"))));
        self.line(2, &format!("targetClaim = {}", string(&format!("{name}-backup-host"))));
        self.line(2, &format!("schedule = {}", string(&b.schedule)));
        // Beside the owner's pods: the claim is ReadWriteOnce.
        self.line(2, &format!("owner = {}", string(&b.owner)));
        if b.sqlite {
            // sqlite3 takes a consistent copy where a file copy could catch a write.
            self.line(2, &format!("command = new Listing {{ \"/bin/sh\"; \"-c\"; {} }}", string(SQLITE_BACKUP)));
        }
        self.line(1, "}");
    }
}

/// A Pkl string literal.
fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
/// The library modules and the entry module, as (path, contents).
const LIBRARY: &[(&str, &str)] = &[
    ("workspace.pkl", WORKSPACE),
    ("lib/homelab.pkl", HOMELAB),
    ("lib/Stack.pkl", STACK),
    ("lib/cluster.pkl", CLUSTER),
    ("lib/helpers.pkl", HELPERS),
];

/// The fixed stacks of `platform.rs`, as (file name, contents); `@SLOTk@` is weekly backup slot `k`.
const BASE: &[(&str, &str)] = &[
    ("infra.pkl", BASE_INFRA),
    ("platform.pkl", BASE_PLATFORM),
    ("vault.pkl", BASE_VAULT),
    ("external-secrets.pkl", BASE_EXTERNAL_SECRETS),
    ("cnpg.pkl", BASE_CNPG),
    ("dbaas.pkl", BASE_DBAAS),
    ("authentik.pkl", BASE_AUTHENTIK),
    ("traefik.pkl", BASE_TRAEFIK),
    ("redis.pkl", BASE_REDIS),
    ("monitoring.pkl", BASE_MONITORING),
];

const WORKSPACE: &str = r##"// The whole workspace as one module: every stack's output files, rendered by one evaluation
// (one evaluator, which reads and evaluates the domain library once).

import* "base/*.pkl" as base
import* "stacks/*.pkl" as stacks

output {
  files {
    for (_, s in base) { ...s.output.files }
    for (_, s in stacks) { ...s.output.files }
  }
}
"##;

const HOMELAB: &str = r##"/// The homelab's domain in Pkl: the nouns of hl's standard library (Stack, Namespace, Service,
/// Volume, Secret, Ingress, ...) as classes, the cheap checks hl makes as type constraints, and
/// functions that render each of them as the Kubernetes objects hlc emits.
///
/// Written for hl-bench's race against Pkl: stacks amend `Stack.pkl`, which uses this module.
module homelab

import "cluster.pkl"

// Checked scalars. hl checks these when it evaluates a value; so does Pkl, through these
// constraints, wherever a value meets its declared type.

/// A DNS label (RFC 1123): a Kubernetes object's name, a namespace, a port's target name.
typealias DnsLabel = String(length <= 63, matches(Regex(#"[a-z0-9]([-a-z0-9]*[a-z0-9])?"#)))

/// A TCP or UDP port.
typealias Port = Int(isBetween(1, 65535))

/// A container port's name: at most 15 characters, as Kubernetes requires.
typealias PortName = String(length <= 15, matches(Regex(#"[a-z0-9]([-a-z0-9]*[a-z0-9])?"#)))

/// A CPU quantity: whole millicores (`15m`) or cores (`2`, `0.5`).
typealias Cpu = String(matches(Regex(#"[1-9][0-9]*m|[0-9]+(\.[0-9]+)?"#)))

/// Memory and storage: a whole number of MiB or GiB (`256.mib`, `10.gib`). A bare number is
/// not a size, and a Cpu is not a Memory.
typealias Memory = DataSize(value is Int, value > 0, unit == "mib" || unit == "gib")

/// An absolute path.
typealias AbsolutePath = String(startsWith("/"))

/// An image reference: `registry/path[:tag]`.
typealias Image = String(matches(Regex(#"[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?"#)))

/// A cron schedule: five fields.
typealias Schedule = String(split(" ").length == 5)

/// Why a gate is off, or a warning waived: never empty.
typealias Reason = String(!isBlank)

/// A Namespace tier the cluster declares.
typealias Tier = String(cluster.facts.tiers.containsKey(this))

/// A storage class the cluster declares.
typealias StorageClass = String(cluster.facts.storageClasses.containsKey(this))

/// A diagnostic code (`E0513`); a backup overlap's names the stacks it pairs with
/// (`E0516 with dbaas`).
typealias Code = String(matches(Regex(#"E[0-9]{4}( with [a-z0-9-]+(, [a-z0-9-]+)*)?"#)))

typealias WorkloadKind = "deployment"|"statefulset"|"daemonset"|"cronjob"|"job"
typealias KeelPolicy = "patch"|"minor"|"major"|"force"|"never"
typealias DnsType = "proxied"|"non-proxied"|"internal"|"none"
typealias Serves = "web"|"git"|"webdav"|"caldav"|"carddav"|"api"
typealias ServiceType = "ClusterIP"|"NodePort"|"LoadBalancer"
typealias Protocol = "TCP"|"UDP"

// The cluster's facts, as `cluster.pkl` declares them.

class TierPolicy {
  /// The Namespace's `tier` label.
  label: String
}

class StorageClassPolicy {
  /// Appended to a claim's default name.
  claimSuffix: String = ""
  encrypted: Boolean = false
  needsBackup: Boolean = false
}

/// The ingress factory's Traefik middleware chain.
class IngressChain {
  always: Listing<String>
  rateLimit: String
  cspHeaders: String
  antiAi: Listing<String>
  localOnly: String
}

class Authentik {
  forwardAuth: String
  forwardAuthPublic: String
  allowedGroupsAnnotation: String
  defaultGroups: Listing<String>
}

class Cluster {
  domain: String
  /// Every object carries `<labelDomain>/stack: <stack>`.
  labelDomain: String
  nfsServer: String
  nfsMountOptions: Listing<String>
  nfsStorageClass: String
  storageClasses: Mapping<String, StorageClassPolicy>
  defaultStorageClass: String
  encryptedStorageClass: String
  tiers: Mapping<String, TierPolicy>
  ingressClass: String
  entrypoint: String
  tlsSecret: String
  chain: IngressChain
  authentik: Authentik
  homepageGroups: Mapping<String, String>
  homepageDefaultGroup: String
  keel: Boolean
  sablierUrl: String
  dnsTypeAnnotation: String
  externalMonitorAnnotation: String
}

// The nouns of a stack.

/// A Kubernetes namespace the stack owns, with its Namespace tier.
class Namespace {
  tier: Tier?
  /// Enrolled in Keel: its workloads' images are updated by Keel.
  keel: Boolean = false
  /// Whether the wildcard TLS secret is wanted (Kyverno clones it; nothing is emitted).
  tls: Boolean = true
  /// The namespace outgrows its tier's quota and declares its own ResourceQuota.
  customQuota: Boolean = false
}

/// Container resources. There are no CPU limits; the memory limit defaults to the request.
class Resources {
  cpu: Cpu?
  memory: Memory?
  memoryLimit: Memory?
}

/// A volume of a service's pod.
abstract class Volume {
  /// Where the main container mounts it.
  mount: AbsolutePath?
  readOnly: Boolean = false
}

/// A PersistentVolumeClaim of a storage class (default: the cluster's default class).
class Claim extends Volume {
  size: Memory = 1.gib
  storageClass: StorageClass = cluster.facts.defaultStorageClass
  /// The claim's name; defaults to `<service>-<volume>` and the class's claim suffix.
  claim: DnsLabel?
  /// The claim holds a SQLite database (which must not live on NFS).
  sqlite: Boolean = false
}

/// A StatefulSet's volume claim template: one claim per replica, named after the volume.
class ClaimTemplate extends Volume {
  size: Memory = 1.gib
  storageClass: StorageClass = cluster.facts.defaultStorageClass
}

/// An NFS export of the PVE host, as a static PersistentVolume and its claim.
class Nfs extends Volume {
  path: AbsolutePath
  size: Memory = 10.gib
  /// The PersistentVolume's and claim's name; defaults to `<service>-<volume>`.
  claim: DnsLabel?
}

/// Scratch space that lives as long as the pod.
class EmptyDir extends Volume

/// A claim that another declaration owns, mounted here.
class ExistingClaim extends Volume {
  claim: DnsLabel
}

/// An ExternalSecret: a Kubernetes Secret synced from Vault. A reference, never a value.
class Secret {
  store: "vault-kv"|"vault-database" = "vault-kv"
  refresh: Duration = 15.min
  /// Whole Vault paths whose keys all become Secret keys.
  extract: Listing<String>
  /// Single keys: Secret key -> Vault key and property.
  data: Mapping<String, VaultKey>
  /// Expose the Secret as the environment of the service's main container.
  env: Boolean = true
  /// The stack-level secret's namespace, when the stack has several.
  namespace: DnsLabel?
}

class VaultKey {
  key: String
  property: String
}

/// One key of a Kubernetes Secret.
class SecretKey {
  secret: DnsLabel
  key: String
}

/// An extra container, or an init container, in a service's pod.
class Container {
  image: Image
  command: Listing<String>
  args: Listing<String>
  ports: Mapping<PortName, Port>
  resources: Resources?
}

/// A Kubernetes Service port.
class ServicePort {
  port: Port
  /// The container port; defaults to `port`.
  target: Port?
  protocol: Protocol = "TCP"
}

/// A Kubernetes Service in front of a workload.
class Expose {
  type: ServiceType = "ClusterIP"
  /// Ports by name; defaults to every container port of the main container, unchanged.
  ports: Mapping<DnsLabel, ServicePort>
  /// MetalLB address.
  lbIp: String?
  /// Share the address with other Services.
  sharedIp: Boolean = false
  trafficPolicy: ("Cluster"|"Local")?
}

/// Ingress auth when the gate is off: why that is safe.
class AppLogin {
  /// What gates the service instead.
  reason: Reason
}

class NoGate {
  reason: Reason
}

/// Who may reach a service: Authentik's forward auth (`required`), its anonymous binding
/// (`public`), the app's own login, or nobody's gate at all.
typealias Auth = "required"|"public"|AppLogin|NoGate

function app(why: Reason): AppLogin = new { reason = why }
function none(why: Reason): NoGate = new { reason = why }

/// Scale-to-zero enrollment through Sablier.
class Sablier {
  group: String?
  sessionDuration: Duration = 3.h
  theme: String = "ghost"
  refreshFrequency: Duration = 5.s
}

/// An Ingress as the homelab's ingress factory writes it: Traefik, TLS, the middleware chain.
class Ingress {
  /// Host label under the cluster's domain; defaults to the ingress name.
  host: DnsLabel?
  auth: Auth = "required"
  dns: DnsType = "none"
  paths: Listing<String(startsWith("/"))> = new { "/" }
  serves: Serves = "web"
  /// Authentik groups allowed through (with `auth = "required"`); defaults to the cluster's.
  allowedGroups: Listing<String>?
  extraMiddlewares: Listing<String>
  skipRateLimit: Boolean = false
  customCsp: String?
  /// A request body limit such as `500m` (Traefik's buffering middleware).
  maxBodySize: String(matches(Regex(#"[0-9]+[kmgKMG]?"#)))?
  sablier: Sablier?
  /// A tile on the homepage dashboard.
  homepage: Boolean = true
  description: String?
}

/// A service: one workload with its containers, storage, network exposure and secrets.
open class Service {
  kind: WorkloadKind = "deployment"
  /// The namespace; defaults to the stack's only (or first) namespace.
  namespace: DnsLabel?
  image: Image
  /// The main container's name; defaults to the service's name.
  containerName: DnsLabel?
  replicas: Int(this >= 0) = 1
  /// For cron jobs: when they run.
  schedule: Schedule?
  command: Listing<String>
  args: Listing<String>
  /// TCP ports of the main container, by name.
  ports: Mapping<PortName, Port>
  /// UDP ports of the main container, by name.
  udpPorts: Mapping<PortName, Port>
  env: Mapping<String, String>
  /// Environment variables from one key of a Secret.
  envSecret: Mapping<String, SecretKey>
  resources: Resources?
  volumes: Mapping<DnsLabel, Volume>
  /// ConfigMaps of the service: name -> file name -> content.
  configs: Mapping<DnsLabel, Mapping<String, String>>
  secrets: Mapping<DnsLabel, Secret>
  ingresses: Mapping<DnsLabel, Ingress>
  /// Its own Kubernetes Service; unset: one for its container ports, if any.
  expose: Expose?
  extraServices: Mapping<DnsLabel, Expose>
  /// Keel policy annotation on the workload.
  keel: KeelPolicy?
  /// Diun image-update notifications on the pod template.
  diun: Boolean?
  /// Holds sensitive data: its claims must use an encrypted class.
  sensitive: Boolean = false
  /// A critical-path service: a PodDisruptionBudget of at most one pod down.
  critical: Boolean = false
  containers: Mapping<DnsLabel, Container>
  inits: Mapping<DnsLabel, Container>
  /// Run beside the pods of this service (a copy job reading its ReadWriteOnce claim).
  besideApp: String?
}

/// The standard library's backup job for a claim: the claim mounted read-only at `/data`, the
/// NFS target at `/backup`, one timestamped copy per run, copies older than `retentionDays`
/// removed; it runs beside the pods of the claim's owner.
class PvcBackup extends Service {
  source: DnsLabel
  target: AbsolutePath
  targetClaim: DnsLabel
  retentionDays: Int(isPositive) = 30
  owner: DnsLabel?
  kind = "cronjob"
  image = "docker.io/library/alpine"
  besideApp = owner
  command {
    "/bin/sh"
    "-c"
    "set -eu; ts=$(date +%Y%m%d-%H%M%S); mkdir -p /backup/$ts; cp -a /data/. /backup/$ts/; find /backup -mindepth 1 -maxdepth 1 -type d -mtime +\(retentionDays) -exec rm -rf {} +"
  }
  resources { cpu = "5m"; memory = 16.mib; memoryLimit = 64.mib }
  volumes {
    ["data"] = new ExistingClaim { claim = source; mount = "/data"; readOnly = true }
    ["backup"] = new Nfs { path = target; mount = "/backup"; claim = targetClaim }
  }
}

/// A Helm chart release installed by Flux: a HelmRepository and a HelmRelease.
class Helm {
  chart: String
  repo: String(startsWith("https://") || startsWith("oci://"))
  version: String?
  namespace: DnsLabel?
  interval: Duration = 1.h
  values: Dynamic?
}

// Factories, as hl's standard library has them.

function pvc(claimSize: Memory, at: AbsolutePath): Claim = new { size = claimSize; mount = at }

function encrypted(claimSize: Memory, at: AbsolutePath): Claim = new {
  size = claimSize
  mount = at
  storageClass = cluster.facts.encryptedStorageClass
}

function vault(vaultPath: String): Secret = new { extract { vaultPath } }

function vaultDb(role: String): Secret = new {
  store = "vault-database"
  data {
    ["DB_USERNAME"] { key = "static-creds/\(role)"; property = "username" }
    ["DB_PASSWORD"] { key = "static-creds/\(role)"; property = "password" }
  }
}

function secretKey(secretName: DnsLabel, secretKey: String): SecretKey = new { secret = secretName; key = secretKey }

// Rendering: each noun as the Kubernetes objects hlc emits for it. The YAML renderer leaves
// out properties whose value is null, so an optional field is simply assigned.

local facts = cluster.facts

/// `5m`, `3h`: a Duration as Go writes one.
function goDuration(d: Duration): String =
  let (u = d.unit) "\(d.value)\(if (u == "min") "m" else u)"

/// `256Mi`, `10Gi`.
function quantity(d: DataSize): String = "\(d.value)\(if (d.unit == "gib") "Gi" else "Mi")"

/// `10m` -> 10485760: a body size in bytes (k, m, g: powers of 1024).
function bodyBytes(s: String): Int =
  let (unit = s.takeLastWhile((c) -> !"0123456789".contains(c)).toLowerCase())
  let (n = s.dropLast(unit.length).toInt())
  n * (if (unit == "k") 1024 else if (unit == "m") 1048576 else if (unit == "g") 1073741824 else 1)

/// The metadata every object of the stack carries: its name, namespace and ownership labels,
/// with `more` labels beside them.
function meta(stack: String, objName: String, ns: String?, more: Mapping<String, String>): Dynamic = new {
  labels {
    ["app.kubernetes.io/managed-by"] = "hlc"
    ["\(facts.labelDomain)/stack"] = stack
    ...more
  }
  name = objName
  namespace = ns
}

local noLabels: Mapping<String, String> = new {}

/// An object written as it is, with the stack's ownership labels.
function manifest(stack: String, m: Dynamic): Dynamic = (m) {
  metadata {
    labels {
      ["app.kubernetes.io/managed-by"] = "hlc"
      ["\(facts.labelDomain)/stack"] = stack
    }
  }
}

function namespaceObject(stack: String, name: String, ns: Namespace): Dynamic = new {
  apiVersion = "v1"
  kind = "Namespace"
  metadata = meta(stack, name, null, new Mapping {
    when (ns.tier != null) { ["tier"] = facts.tiers[ns.tier].label }
    when (ns.keel && facts.keel) { ["keel.sh/enrolled"] = "true" }
    when (ns.customQuota) { ["resource-governance/custom-quota"] = "true" }
  })
}

/// A claim's name: given, or `<service>-<volume>` and the class's suffix.
function claimName(svc: String, vol: String, v: Claim): String =
  v.claim ?? "\(svc)-\(vol)\(facts.storageClasses[v.storageClass].claimSuffix)"

function nfsName(svc: String, vol: String, v: Nfs): String = v.claim ?? "\(svc)-\(vol)"

/// The PersistentVolumes and claims a volume needs.
function volumeObjects(stack: String, ns: String, svc: String, vol: String, v: Volume): List<Dynamic> =
  if (v is Claim) List(new Dynamic {
    apiVersion = "v1"
    kind = "PersistentVolumeClaim"
    metadata = meta(stack, claimName(svc, vol, v), ns, noLabels)
    spec {
      accessModes { "ReadWriteOnce" }
      resources { requests { storage = quantity(v.size) } }
      storageClassName = v.storageClass
    }
  })
  else if (v is Nfs) let (pvName = nfsName(svc, vol, v)) List(
    new Dynamic {
      apiVersion = "v1"
      kind = "PersistentVolume"
      metadata = meta(stack, pvName, null, noLabels)
      spec {
        accessModes { "ReadWriteMany" }
        capacity { storage = quantity(v.size) }
        csi {
          driver = "nfs.csi.k8s.io"
          volumeAttributes { server = facts.nfsServer; share = v.path }
          volumeHandle = pvName
        }
        mountOptions = facts.nfsMountOptions
        persistentVolumeReclaimPolicy = "Retain"
        storageClassName = facts.nfsStorageClass
        volumeMode = "Filesystem"
      }
    },
    new Dynamic {
      apiVersion = "v1"
      kind = "PersistentVolumeClaim"
      metadata = meta(stack, pvName, ns, noLabels)
      spec {
        accessModes { "ReadWriteMany" }
        resources { requests { storage = quantity(v.size) } }
        storageClassName = facts.nfsStorageClass
        volumeName = pvName
      }
    }
  )
  else List()

function externalSecret(stack: String, ns: String, secretName: String, s: Secret): Dynamic = new {
  apiVersion = "external-secrets.io/v1"
  kind = "ExternalSecret"
  metadata = meta(stack, secretName, ns, noLabels)
  spec {
    refreshInterval = goDuration(s.refresh)
    secretStoreRef { name = s.store; kind = "ClusterSecretStore" }
    target { name = secretName; creationPolicy = "Owner" }
    when (!s.extract.isEmpty) {
      dataFrom { for (p in s.extract) { new { extract { key = p } } } }
    }
    when (!s.data.isEmpty) {
      data {
        for (k, v in s.data) { new { secretKey = k; remoteRef { key = v.key; property = v.property } } }
      }
    }
  }
}

function resources(r: Resources?): Dynamic? =
  if (r == null || (r.cpu == null && r.memory == null)) null
  else let (limit = r.memoryLimit ?? r.memory) new {
    limits { when (limit != null) { memory = quantity(limit) } }
    requests {
      when (r.cpu != null) { cpu = r.cpu }
      when (r.memory != null) { memory = quantity(r.memory!!) }
    }
  }

function containerPorts(tcp: Mapping<String, Int>, udp: Mapping<String, Int>): Listing<Dynamic> = new {
  for (n, p in tcp) { new { containerPort = p; name = n; protocol = "TCP" } }
  for (n, p in udp) { new { containerPort = p; name = n; protocol = "UDP" } }
}

function sidecar(containerName: String, c: Container): Dynamic = new {
  when (!c.command.isEmpty) { command = c.command }
  when (!c.args.isEmpty) { args = c.args }
  image = c.image
  name = containerName
  when (!c.ports.isEmpty) { ports = containerPorts(c.ports, new Mapping {}) }
  resources = resources(c.resources)
}

/// The pod of a service: its main container, sidecars, init containers and volumes.
function podSpec(svcName: String, s: Service): Dynamic = new {
  when (s.besideApp != null) {
    affinity {
      podAffinity {
        requiredDuringSchedulingIgnoredDuringExecution {
          new { labelSelector { matchLabels { app = s.besideApp } }; topologyKey = "kubernetes.io/hostname" }
        }
      }
    }
  }
  containers {
    new {
      when (!s.args.isEmpty) { args = s.args }
      when (!s.command.isEmpty) { command = s.command }
      when (!s.env.isEmpty || !s.envSecret.isEmpty) {
        env {
          for (k, v in s.env) { new { name = k; value = v } }
          for (k, v in s.envSecret) { new { name = k; valueFrom { secretKeyRef { key = v.key; name = v.secret } } } }
        }
      }
      when (s.secrets.toMap().any((_, x) -> x.env)) {
        envFrom { for (n, x in s.secrets) { when (x.env) { new { secretRef { name = n } } } } }
      }
      image = s.image
      name = s.containerName ?? svcName
      when (!s.ports.isEmpty || !s.udpPorts.isEmpty) { ports = containerPorts(s.ports, s.udpPorts) }
      resources = resources(s.resources)
      when (s.volumes.toMap().any((_, v) -> v.mount != null)) {
        volumeMounts {
          for (n, v in s.volumes) {
            when (v.mount != null) {
              new { mountPath = v.mount; name = n; when (v.readOnly) { readOnly = true } }
            }
          }
        }
      }
    }
    for (n, c in s.containers) { sidecar(n, c) }
  }
  when (!s.inits.isEmpty) { initContainers { for (n, c in s.inits) { sidecar(n, c) } } }
  when (s.kind == "cronjob" || s.kind == "job") { restartPolicy = "Never" }
  when (s.volumes.toMap().any((_, v) -> !(v is ClaimTemplate))) {
    volumes { for (n, v in s.volumes) { when (!(v is ClaimTemplate)) { podVolume(svcName, n, v) } } }
  }
}

/// A volume of the pod: a claim (the service's own, an NFS export's, another's) or scratch.
function podVolume(svc: String, n: String, v: Volume): Dynamic =
  let (claim =
    if (v is Claim) claimName(svc, n, v)
    else if (v is Nfs) nfsName(svc, n, v)
    else if (v is ExistingClaim) v.claim
    else null)
  new {
    when (claim == null) { emptyDir {} }
    name = n
    when (claim != null) {
      persistentVolumeClaim { claimName = claim; when (v.readOnly) { readOnly = true } }
    }
  }

/// The workload of a service (Deployment, StatefulSet, DaemonSet, CronJob or Job).
function workload(stack: String, ns: String, name: String, s: Service): Dynamic =
  let (app = new Mapping { ["app"] = name })
  // Sablier wakes the workloads it finds by these labels.
  let (sablier = s.ingresses.toMap().entries.findOrNull((e) -> e.value.sablier != null))
  let (podTemplate = new Dynamic {
    metadata {
      when (s.diun != null) { annotations { ["diun.enable"] = s.diun.toString() } }
      labels = app
    }
    spec = podSpec(name, s)
  })
  new {
    apiVersion = if (s.kind == "cronjob" || s.kind == "job") "batch/v1" else "apps/v1"
    kind = kindName(s.kind)
    metadata = (meta(stack, name, ns, new Mapping {
      ["app"] = name
      when (sablier != null) {
        ["sablier.enable"] = "true"
        ["sablier.group"] = sablier.value.sablier.group ?? sablier.key
        ["sablier.ready-after"] = "5s"
      }
    })) {
      when (s.keel != null) { annotations { ["keel.sh/policy"] = s.keel } }
    }
    spec {
      when (s.kind == "deployment" || s.kind == "statefulset") {
        replicas = s.replicas
        selector { matchLabels = app }
      }
      when (s.kind == "daemonset") { selector { matchLabels = app } }
      // Claims one node mounts at a time must not overlap during a rollout.
      when (s.kind == "deployment" && s.volumes.toMap().any((_, v) -> v is Claim)) {
        strategy { type = "Recreate" }
      }
      when (s.kind == "statefulset") {
        serviceName = name
        volumeClaimTemplates {
          for (n, v in s.volumes) {
            when (v is ClaimTemplate) {
              new {
                apiVersion = "v1"
                kind = "PersistentVolumeClaim"
                metadata { name = n }
                spec {
                  accessModes { "ReadWriteOnce" }
                  resources { requests { storage = quantity(v.size) } }
                  storageClassName = v.storageClass
                }
              }
            }
          }
        }
      }
      when (s.kind == "cronjob") {
        jobTemplate { spec { template = podTemplate } }
        schedule = s.schedule ?? throw("cron job `\(name)` has no schedule")
      } else {
        template = podTemplate
      }
    }
  }

function kindName(k: WorkloadKind): String =
  if (k == "deployment") "Deployment"
  else if (k == "statefulset") "StatefulSet"
  else if (k == "daemonset") "DaemonSet"
  else if (k == "cronjob") "CronJob"
  else "Job"

/// The Kubernetes Service `name` in front of a service's pods.
function service(stack: String, ns: String, svc: String, name: String, x: Expose): Dynamic = new {
  apiVersion = "v1"
  kind = "Service"
  metadata = (meta(stack, name, ns, new Mapping { ["app"] = svc })) {
    when (x.lbIp != null || x.sharedIp) {
      annotations {
        when (x.sharedIp) { ["metallb.io/allow-shared-ip"] = "shared" }
        when (x.lbIp != null) { ["metallb.io/loadBalancerIPs"] = x.lbIp }
      }
    }
  }
  spec {
    externalTrafficPolicy = x.trafficPolicy
    ports {
      for (n, p in x.ports) { new { name = n; port = p.port; protocol = p.protocol; targetPort = p.target ?? p.port } }
    }
    selector { app = svc }
    type = x.type
  }
}

/// The default Service of a service: every container port of the main container, unchanged.
function defaultExpose(s: Service): Expose = new {
  ports {
    for (n, p in s.ports) { [n] { port = p } }
    for (n, p in s.udpPorts) { [n] { port = p; protocol = "UDP" } }
  }
}

function pdb(stack: String, ns: String, name: String): Dynamic = new {
  apiVersion = "policy/v1"
  kind = "PodDisruptionBudget"
  metadata = meta(stack, name, ns, new Mapping { ["app"] = name })
  spec { maxUnavailable = 1; selector { matchLabels { app = name } } }
}

function configMap(stack: String, ns: String, mapName: String, files: Mapping<String, String>): Dynamic = new {
  apiVersion = "v1"
  kind = "ConfigMap"
  data = files
  metadata = meta(stack, mapName, ns, noLabels)
}

/// The Traefik middleware chain of an ingress, in the order of the cluster's chain.
function chain(ns: String, name: String, ing: Ingress): List<String> =
  let (gateOff = ing.auth is AppLogin || ing.auth is NoGate)
  (facts.chain.always.toList()
    + (if (ing.skipRateLimit) List() else List(facts.chain.rateLimit))
    + (if (ing.customCsp != null) List() else List(facts.chain.cspHeaders))
    + (if (gateOff) facts.chain.antiAi.toList() else List())
    + (if (ing.auth == "required") List(facts.authentik.forwardAuth)
       else if (ing.auth == "public") List(facts.authentik.forwardAuthPublic)
       else List())
    + (if (ing.sablier != null) List("\(ns)-sablier-\(name)@kubernetescrd") else List())
    + (if (ing.customCsp != null) List("\(ns)-custom-csp-\(name)@kubernetescrd") else List())
    + (if (ing.maxBodySize != null) List("\(ns)-buffering-\(name)@kubernetescrd") else List())
    + ing.extraMiddlewares.toList()).distinct

/// An ingress and the Middlewares of its own (Sablier, CSP, buffering).
function ingressObjects(stack: String, ns: String, backendName: String, backendPort: Int, name: String, ing: Ingress): List<Dynamic> =
  let (hostName = "\(ing.host ?? name).\(facts.domain)")
  let (monitor = ing.dns == "proxied" || ing.dns == "non-proxied")
  List(new Dynamic {
    apiVersion = "networking.k8s.io/v1"
    kind = "Ingress"
    metadata = (meta(stack, name, ns, noLabels)) {
      annotations {
        when (ing.auth == "required") {
          [facts.authentik.allowedGroupsAnnotation] =
            (ing.allowedGroups ?? facts.authentik.defaultGroups).join(",")
        }
        when (ing.dns != "none") { [facts.dnsTypeAnnotation] = ing.dns }
        when (ing.homepage) {
          when (ing.description != null) { ["gethomepage.dev/description"] = ing.description }
          ["gethomepage.dev/enabled"] = "true"
          ["gethomepage.dev/group"] = facts.homepageGroups.getOrNull(ns) ?? facts.homepageDefaultGroup
          ["gethomepage.dev/href"] = "https://\(hostName)"
          ["gethomepage.dev/icon"] = "\(name.replaceAll("-", "")).png"
          ["gethomepage.dev/name"] = name.replaceAll("-", " ").replaceAll("_", " ")
        }
        ["traefik.ingress.kubernetes.io/router.entrypoints"] = facts.entrypoint
        ["traefik.ingress.kubernetes.io/router.middlewares"] = chain(ns, name, ing).join(",")
        when (monitor) { [facts.externalMonitorAnnotation] = "true" }
      }
    }
    spec {
      ingressClassName = facts.ingressClass
      rules {
        new {
          host = hostName
          http {
            paths {
              for (p in ing.paths) {
                new {
                  backend { service { name = backendName; port { number = backendPort } } }
                  path = p
                  pathType = "ImplementationSpecific"
                }
              }
            }
          }
        }
      }
      tls { new { hosts { hostName }; secretName = facts.tlsSecret } }
    }
  })
  + (if (ing.customCsp == null) List() else List(middleware(stack, ns, "custom-csp-\(name)", new Dynamic {
      headers { contentSecurityPolicy = ing.customCsp }
    })))
  + (if (ing.maxBodySize == null) List() else List(middleware(stack, ns, "buffering-\(name)", new Dynamic {
      buffering { maxRequestBodyBytes = bodyBytes(ing.maxBodySize!!) }
    })))
  + (if (ing.sablier == null) List() else List(middleware(stack, ns, "sablier-\(name)", new Dynamic {
      plugin {
        sablier {
          sablierUrl = facts.sablierUrl
          group = ing.sablier.group ?? name
          sessionDuration = goDuration(ing.sablier.sessionDuration)
          failOpen = true
          ignoreUserAgent { "(?i)uptime-?kuma"; "(?i)blackbox"; "Go-http-client" }
          dynamic {
            displayName = name
            showDetails = true
            theme = ing.sablier.theme
            refreshFrequency = goDuration(ing.sablier.refreshFrequency)
          }
        }
      }
    })))

function middleware(stack: String, ns: String, name: String, spec_: Dynamic): Dynamic = new {
  apiVersion = "traefik.io/v1alpha1"
  kind = "Middleware"
  metadata = meta(stack, name, ns, noLabels)
  spec = spec_
}

/// Every object of a service: its volumes' claims, secrets, ConfigMaps, workload, Services,
/// disruption budget, ingresses.
function serviceObjects(stack: String, ns: String, name: String, s: Service): List<Dynamic> =
  let (expose = if (s.kind == "cronjob" || s.kind == "job") null else s.expose ?? defaultExpose(s))
  let (exposed = expose != null && !expose.ports.isEmpty)
  s.volumes.toMap().entries.flatMap((e) -> volumeObjects(stack, ns, name, e.key, e.value))
  + s.secrets.toMap().entries.map((e) -> externalSecret(stack, ns, e.key, e.value))
  + s.configs.toMap().entries.map((e) -> configMap(stack, ns, e.key, e.value))
  + List(workload(stack, ns, name, s))
  + (if (exposed) List(service(stack, ns, name, name, expose!!)) else List())
  + s.extraServices.toMap().entries.map((e) -> service(stack, ns, name, e.key, e.value))
  + (if (s.critical) List(pdb(stack, ns, name)) else List())
  + s.ingresses.toMap().entries.flatMap((e) ->
      let (first = expose?.ports?.toMap()?.values?.firstOrNull)
      ingressObjects(stack, ns, name, (first?.port) ?? throw("ingress `\(e.key)` has no port to route to"), e.key, e.value))

/// A HelmRepository and the HelmRelease that installs from it.
function helmObjects(stack: String, ns: String, release: String, h: Helm): List<Dynamic> = List(
  new Dynamic {
    apiVersion = "source.toolkit.fluxcd.io/v1"
    kind = "HelmRepository"
    metadata = meta(stack, release, ns, noLabels)
    spec {
      interval = goDuration(h.interval)
      url = h.repo
      when (h.repo.startsWith("oci://")) { type = "oci" }
    }
  },
  new Dynamic {
    apiVersion = "helm.toolkit.fluxcd.io/v2"
    kind = "HelmRelease"
    metadata = meta(stack, release, ns, noLabels)
    spec {
      interval = goDuration(h.interval)
      chart {
        spec {
          chart = h.chart
          version = h.version
          sourceRef { kind = "HelmRepository"; name = release; namespace = ns }
        }
      }
      values = h.values
    }
  }
)
"##;

const STACK: &str = r##"/// A stack: one independently applied unit of the homelab. Each stack module amends this
/// template; its output is one YAML file per Kubernetes object, `k8s/<stack>/<kind>-<name>.yaml`,
/// and the stack's `kustomization.yaml`, as `hlc build` writes them.
open module Stack

import "homelab.pkl"

/// The stack's name: every object carries it as a label.
name: homelab.DnsLabel

/// Warnings the stack accepts, with the reason.
waive: Mapping<homelab.Code, homelab.Reason>

/// Stacks applied before this one.
dependsOn: Listing<homelab.DnsLabel>

description: String?

/// Bootstrap stacks (0) keep their own state.
stateTier: Int(isBetween(0, 1)) = 1

namespaces: Mapping<homelab.DnsLabel, homelab.Namespace>

/// Stack-level secrets, in the home namespace (or their own).
secrets: Mapping<homelab.DnsLabel, homelab.Secret>

helm: Mapping<homelab.DnsLabel, homelab.Helm>

services: Mapping<homelab.DnsLabel, homelab.Service>

/// Objects written as they are (ResourceQuotas, Middlewares), by file name; their metadata
/// gets the stack's labels.
manifests: Listing<Dynamic>

/// Where a service or secret without a namespace goes: the stack's first namespace.
local home: String? = namespaces.keys.toList().firstOrNull

local function nsOf(ns: String?, what: String): String =
  ns ?? home ?? throw("\(what) has no namespace: the stack declares none")

/// Every Kubernetes object of the stack.
hidden objects: List<Dynamic> =
  namespaces.toMap().entries.map((e) -> homelab.namespaceObject(name, e.key, e.value))
  + secrets.toMap().entries.map((e) ->
      homelab.externalSecret(name, nsOf(e.value.namespace, "secret `\(e.key)`"), e.key, e.value))
  + helm.toMap().entries.flatMap((e) ->
      homelab.helmObjects(name, nsOf(e.value.namespace, "helm `\(e.key)`"), e.key, e.value))
  + services.toMap().entries.flatMap((e) ->
      homelab.serviceObjects(name, nsOf(e.value.namespace, "service `\(e.key)`"), e.key, e.value))
  + manifests.toList().map((m) -> homelab.manifest(name, m))

local function fileName(o: Dynamic): String = "\(o.kind.toLowerCase())-\(o.metadata.name).yaml"

local yaml = new YamlRenderer {}

output {
  files {
    for (o in objects) {
      ["k8s/\(module.name)/\(fileName(o))"] { value = o; renderer = yaml }
    }
    when (!objects.isEmpty) {
      ["k8s/\(module.name)/kustomization.yaml"] {
        value = new Dynamic {
          apiVersion = "kustomize.config.k8s.io/v1beta1"
          kind = "Kustomization"
          resources = objects.map((o) -> fileName(o)).sort()
        }
        renderer = yaml
      }
    }
  }
}
"##;

const CLUSTER: &str = r##"// The facts of the homelab's cluster (hl's `cluster.hl`), as far as the generated stacks use
// them.

import "homelab.pkl"

facts: homelab.Cluster = new {
  domain = "viktorbarzin.me"
  labelDomain = "hlc.viktorbarzin.me"
  nfsServer = "192.168.1.127"
  nfsMountOptions { "nfsvers=4"; "soft"; "timeo=30"; "retrans=3"; "actimeo=5" }
  nfsStorageClass = "nfs-truenas"
  storageClasses {
    ["proxmox-lvm"] { claimSuffix = "-proxmox"; needsBackup = true }
    ["proxmox-lvm-encrypted"] { claimSuffix = "-encrypted"; encrypted = true; needsBackup = true }
    ["nfs-truenas"] {}
    ["local-path"] {}
  }
  defaultStorageClass = "proxmox-lvm"
  encryptedStorageClass = "proxmox-lvm-encrypted"
  tiers {
    ["core"] { label = "0-core" }
    ["cluster"] { label = "1-cluster" }
    ["gpu"] { label = "2-gpu" }
    ["edge"] { label = "3-edge" }
    ["aux"] { label = "4-aux" }
  }
  ingressClass = "traefik"
  entrypoint = "websecure"
  tlsSecret = "tls-secret"
  chain {
    always { "traefik-retry@kubernetescrd"; "traefik-error-pages@kubernetescrd" }
    rateLimit = "traefik-rate-limit@kubernetescrd"
    cspHeaders = "traefik-csp-headers@kubernetescrd"
    antiAi { "traefik-ai-bot-block@kubernetescrd"; "traefik-anti-ai-headers@kubernetescrd" }
    localOnly = "traefik-local-only@kubernetescrd"
  }
  authentik {
    forwardAuth = "traefik-authentik-forward-auth@kubernetescrd"
    forwardAuthPublic = "traefik-authentik-forward-auth-public@kubernetescrd"
    allowedGroupsAnnotation = "authentik.viktorbarzin.me/allowed-groups"
    defaultGroups { "Home Server Admins" }
  }
  homepageGroups {
    ["monitoring"] = "Infrastructure"
    ["traefik"] = "Infrastructure"
    ["dbaas"] = "Infrastructure"
    ["authentik"] = "Identity & Security"
  }
  homepageDefaultGroup = "Other"
  keel = true
  sablierUrl = "http://sablier.sablier.svc.cluster.local:10000"
  dnsTypeAnnotation = "cloudflare.viktorbarzin.me/dns-type"
  externalMonitorAnnotation = "uptime.viktorbarzin.me/external-monitor"
}
"##;

const HELPERS: &str = r##"/// Helpers shared by the generated stacks (hl's `base/lib.hl`). This module declares no stack.
module helpers

import "homelab.pkl"

/// A nightly database dump into an NFS export mounted at /backup; dumps older than `keepDays`
/// are removed after each run.
class DbDump extends homelab.Service {
  script: String
  target: homelab.AbsolutePath
  targetClaim: homelab.DnsLabel
  keepDays: Int(isPositive) = 14
  kind = "cronjob"
  command {
    "/bin/sh"
    "-c"
    "set -eu; ts=$(date +%Y%m%d-%H%M); \(script); find /backup -type f -mtime +\(keepDays) -delete"
  }
  resources { cpu = "25m"; memory = 64.mib }
  volumes {
    ["backup"] = new homelab.Nfs { path = target; mount = "/backup"; size = 20.gib; claim = targetClaim }
  }
}

/// A browser-facing ingress behind the forward-auth login, with a homepage tile.
function gated(text: String): homelab.Ingress = new {
  auth = "required"
  dns = "proxied"
  description = text
}

/// An ingress that only the home networks can reach.
function homeOnly(text: String): homelab.Ingress = new {
  auth = homelab.none("answers only on the home networks; the allow-list middleware rejects everything else")
  dns = "internal"
  extraMiddlewares { "traefik-home-lans-only@kubernetescrd" }
  description = text
}
"##;

const BASE_INFRA: &str = r##"amends "../lib/Stack.pkl"

// The root of the stack graph: VM templates and bootstrap secrets, nothing in Kubernetes.
name = "infra"
stateTier = 0
description = "VM templates and bootstrap secrets"
"##;

const BASE_PLATFORM: &str = r##"amends "../lib/Stack.pkl"

// The bootstrap layer under every application stack; no objects of its own.
name = "platform"
stateTier = 0
dependsOn { "infra" }
"##;

const BASE_VAULT: &str = r##"amends "../lib/Stack.pkl"

import "../lib/helpers.pkl"

// The secrets store behind every ExternalSecret, with a weekly snapshot to NFS.
name = "vault"
stateTier = 0
dependsOn { "platform" }
description = "Vault on integrated storage"

namespaces {
  ["vault"] { tier = "core" }
}

helm {
  ["vault"] {
    chart = "vault"
    repo = "https://helm.releases.hashicorp.com"
    version = "0.29.1"
    values { server { ha { enabled = true; raft { enabled = true } } } }
  }
}

services {
  ["vault-snapshot"] = new helpers.DbDump {
    image = "hashicorp/vault:1.18.1"
    schedule = "@SLOT0@"
    script = "vault operator raft snapshot save /backup/raft-$ts.snap"
    target = "/srv/nfs/vault-snapshots"
    targetClaim = "vault-snapshots-host"
    keepDays = 30
    containerName = "snapshot"
    env { ["VAULT_ADDR"] = "http://vault-active.vault.svc.cluster.local:8200" }
  }
}
"##;

const BASE_EXTERNAL_SECRETS: &str = r##"amends "../lib/Stack.pkl"

// Syncs Vault paths into Kubernetes Secrets through two ClusterSecretStores.
name = "external-secrets"
stateTier = 0
dependsOn { "vault" }
description = "External Secrets Operator"

namespaces {
  ["external-secrets"] { tier = "cluster"; tls = false }
}

helm {
  ["external-secrets"] {
    chart = "external-secrets"
    repo = "https://charts.external-secrets.io"
    version = "0.14.3"
  }
}
"##;

const BASE_CNPG: &str = r##"amends "../lib/Stack.pkl"

// The PostgreSQL operator behind the shared cluster.
name = "cnpg"
stateTier = 0
dependsOn { "infra" }
description = "CloudNativePG operator"

namespaces {
  ["cnpg-system"] { tier = "cluster"; tls = false }
}

helm {
  ["cnpg"] {
    chart = "cloudnative-pg"
    repo = "https://cloudnative-pg.github.io/charts"
    version = "0.23.0"
  }
}
"##;

const BASE_DBAAS: &str = r##"amends "../lib/Stack.pkl"

import "../lib/homelab.pkl" as hl
import "../lib/helpers.pkl"

// The shared databases: one MySQL StatefulSet, the PostgreSQL cluster's dumps and an admin UI.
name = "dbaas"
stateTier = 0
dependsOn { "infra"; "cnpg" }
description = "Shared MySQL and PostgreSQL"
waive { ["E0523"] = "the copy job runs Burstable, with a memory limit above its request" }

namespaces {
  ["dbaas"] { tier = "cluster"; customQuota = true }
}

// The databases outgrow the cluster tier's quota.
manifests {
  new {
    apiVersion = "v1"
    kind = "ResourceQuota"
    metadata { name = "dbaas-quota"; namespace = "dbaas" }
    spec {
      hard {
        ["limits.memory"] = "40Gi"
        ["pods"] = "30"
        ["requests.cpu"] = "8"
        ["requests.memory"] = "40Gi"
      }
    }
  }
}

services {
  ["mysql"] {
    kind = "statefulset"
    image = "mysql:8.4.3"
    keel = "never"
    ports { ["mysql"] = 3306 }
    resources { cpu = "250m"; memory = 2.gib }
    volumes {
      ["data"] = new hl.ClaimTemplate {
        size = 20.gib
        mount = "/var/lib/mysql"
        storageClass = "proxmox-lvm-encrypted"
      }
    }
  }
  ["mysql-dump"] = new helpers.DbDump {
    image = "mysql:8.4.3"
    schedule = "@SLOT1@"
    script = "mysqldump -h mysql --all-databases --single-transaction > /backup/all-$ts.sql"
    target = "/srv/nfs/mysql-dumps"
    targetClaim = "dbaas-mysql-dumps-host"
  }
  ["postgresql-dump"] = new helpers.DbDump {
    image = "postgres:16.4"
    schedule = "@SLOT2@"
    script = "pg_dumpall -h pg-cluster-rw.dbaas -U postgres > /backup/all-$ts.sql"
    target = "/srv/nfs/postgresql-dumps"
    targetClaim = "dbaas-postgresql-dumps-host"
  }
  ["adminer"] {
    image = "adminer:4.8.1"
    ports { ["http"] = 8080 }
    resources { cpu = "10m"; memory = 64.mib }
    volumes {
      ["sessions"] = (hl.encrypted(1.gib, "/sessions")) { claim = "dbaas-adminer-encrypted" }
    }
    ingresses {
      ["adminer"] { dns = "proxied"; description = "Database admin UI" }
    }
  }
  ["adminer-backup"] = new hl.PvcBackup {
    source = "dbaas-adminer-encrypted"
    target = "/srv/nfs/adminer-backup"
    targetClaim = "dbaas-adminer-backup-host"
    schedule = "@SLOT3@"
    owner = "adminer"
  }
}
"##;

const BASE_AUTHENTIK: &str = r##"amends "../lib/Stack.pkl"

import "../lib/homelab.pkl" as hl

// The login in front of every `auth = "required"` ingress.
name = "authentik"
dependsOn { "platform"; "vault" }
description = "Identity provider"

namespaces {
  ["authentik"] { tier = "core" }
}

services {
  ["authentik-server"] {
    image = "ghcr.io/goauthentik/server:2025.2.1"
    replicas = 3
    critical = true
    args { "server" }
    ports { ["http"] = 9000 }
    resources { cpu = "100m"; memory = 512.mib }
    secrets { ["authentik-secrets"] = hl.vault("authentik") }
    env { ["AUTHENTIK_POSTGRESQL__HOST"] = "pg-cluster-rw.dbaas" }
    ingresses {
      ["auth"] {
        auth = hl.none("this is the login page itself")
        dns = "proxied"
        description = "Identity provider"
      }
    }
  }
  ["authentik-worker"] {
    image = "ghcr.io/goauthentik/server:2025.2.1"
    args { "worker" }
    resources { cpu = "50m"; memory = 384.mib }
    secrets { ["authentik-worker-secrets"] = hl.vault("authentik") }
  }
}
"##;

const BASE_TRAEFIK: &str = r##"amends "../lib/Stack.pkl"

// The ingress controller every generated ingress goes through.
name = "traefik"
dependsOn { "platform" }
description = "Traefik ingress controller"

namespaces {
  ["traefik"] { tier = "core" }
}

helm {
  ["traefik"] {
    chart = "traefik"
    repo = "https://traefik.github.io/charts"
    version = "34.4.1"
    values {
      deployment { replicas = 3 }
      service { annotations { ["metallb.io/loadBalancerIPs"] = "10.0.20.201" } }
    }
  }
}

// The allow-list the cluster names as its home-LANs Middleware (`internal` ingresses need it).
manifests {
  new {
    apiVersion = "traefik.io/v1alpha1"
    kind = "Middleware"
    metadata { name = "home-lans-only"; namespace = "traefik" }
    spec { ipAllowList { sourceRange { "192.168.1.0/24"; "10.0.0.0/8"; "fc00::/7"; "fe80::/10" } } }
  }
}
"##;

const BASE_REDIS: &str = r##"amends "../lib/Stack.pkl"

import "../lib/homelab.pkl" as hl

// The shared Redis, with a weekly copy of its data to NFS.
name = "redis"
dependsOn { "platform" }
description = "Shared Redis"

namespaces {
  ["redis"] { tier = "cluster" }
}

services {
  ["redis-master"] {
    image = "redis:7.4.2"
    keel = "never"
    ports { ["redis"] = 6379 }
    resources { cpu = "50m"; memory = 256.mib }
    volumes { ["data"] = hl.pvc(4.gib, "/data") }
  }
  ["redis-backup"] = new hl.PvcBackup {
    source = "redis-master-data-proxmox"
    target = "/srv/nfs/redis-backup"
    targetClaim = "redis-backup-host"
    schedule = "@SLOT4@"
    owner = "redis-master"
    resources = new hl.Resources { cpu = "5m"; memory = 32.mib }
  }
}
"##;

const BASE_MONITORING: &str = r##"amends "../lib/Stack.pkl"

import "../lib/homelab.pkl" as hl
import "../lib/helpers.pkl"

// Metrics and dashboards for everything else.
name = "monitoring"
dependsOn { "platform"; "vault" }
description = "Prometheus, Alertmanager and Grafana"

namespaces {
  ["monitoring"] { tier = "core"; customQuota = true }
}

// Prometheus outgrows the core tier's quota.
manifests {
  new {
    apiVersion = "v1"
    kind = "ResourceQuota"
    metadata { name = "monitoring-quota"; namespace = "monitoring" }
    spec {
      hard {
        ["limits.memory"] = "64Gi"
        ["pods"] = "100"
        ["requests.cpu"] = "16"
        ["requests.memory"] = "32Gi"
      }
    }
  }
}

helm {
  ["kube-prometheus-stack"] {
    chart = "kube-prometheus-stack"
    repo = "https://prometheus-community.github.io/helm-charts"
    version = "69.3.1"
    values {
      grafana { enabled = false }
      prometheus { prometheusSpec { retention = "30d" } }
    }
  }
}

services {
  ["grafana"] {
    image = "grafana/grafana:11.5.1"
    keel = "never"
    ports { ["http"] = 3000 }
    resources { cpu = "50m"; memory = 256.mib }
    volumes { ["data"] = hl.encrypted(5.gib, "/var/lib/grafana") }
    secrets { ["grafana-secrets"] = hl.vault("grafana") }
    ingresses { ["grafana"] = helpers.gated("Dashboards") }
  }
  ["grafana-backup"] = new hl.PvcBackup {
    source = "grafana-data-encrypted"
    target = "/srv/nfs/grafana-backup"
    targetClaim = "grafana-backup-host"
    schedule = "@SLOT5@"
    owner = "grafana"
    resources = new hl.Resources { cpu = "5m"; memory = 32.mib }
  }
}
"##;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_module_per_stack_and_the_same_every_time() {
        let opts = Options { stacks: 40, seed: 5 };
        let files = workspace(opts);
        assert_eq!(files, workspace(opts));
        assert_eq!(files.iter().filter(|(p, _)| p.starts_with("stacks/")).count(), 40);
        assert_eq!(files.iter().filter(|(p, _)| p.starts_with("base/")).count(), BASE.len());
        for (path, text) in &files {
            // Nothing of hl's syntax (its interpolation, a slot left unreplaced) reaches Pkl.
            assert!(!text.contains("${") && !text.contains("@SLOT"), "{path}");
        }
    }

    #[test]
    fn the_parts_cover_every_stack() {
        let files = workspace(Options { stacks: 2100, seed: 1 });
        let parts: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).filter(|p| p.starts_with("parts/")).collect();
        assert_eq!(parts, ["parts/base.pkl", "parts/stacks-00.pkl", "parts/stacks-01.pkl", "parts/stacks-02.pkl"]);
        for (path, _) in files.iter().filter(|(p, _)| p.starts_with("stacks/")) {
            let thousand = &path["stacks/".len()..][..2];
            assert!(parts.contains(&format!("parts/stacks-{thousand}.pkl").as_str()), "{path}");
        }
    }

    #[test]
    fn strings_are_escaped() {
        assert_eq!(string(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(string("$(date) '$ts'"), "\"$(date) '$ts'\"");
    }
}
