//! What one stack's checks need to know about the other stacks.
//!
//! Most rules look at one stack and the workspace's globals (facts, owners, the Proxmox host,
//! the host backup steps). A few compare stacks with each other: a namespace's quota is summed
//! over every stack that runs workloads in it, a host and path may be served once, a shared
//! LoadBalancer address needs every user to agree, a claim is backed up by a job that may live
//! in another stack, two backup jobs should not start together. For those, each stack is
//! boiled down to a [`StackSummary`]; the summaries, in model order, make a [`CheckIndex`]; and
//! the index answers, for one stack, the few questions that stack's checks ask: its
//! [`StackView`].
//!
//! None of the three holds a span. Typing above a declaration moves every span after it, and
//! a summary or a view that changed with them would re-check every stack on every keystroke.
//! Where a diagnostic needs another stack's span for a label, the check fetches that stack by
//! name, and only when it reports something. Other stacks are named, never numbered: an index
//! into the model changes when a stack is added before it.
//!
//! Inside a stack, declarations are numbered (the n-th service, the n-th ingress of
//! [`Stack::all_ingresses`], the n-th Service of [`Stack::all_exposes`]): a number changes only
//! when that stack itself changes, and then its summary changes anyway.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use hl_model::{Resources, Service, Stack, TierPolicy, VolumeSource, WorkloadKind, parse_bytes, parse_cpu_milli};
use hl_types::schedule::{self, Schedule};

use crate::backup::{copied_claims, is_backup_job};

/// Everything about one stack that the checks of other stacks need, without spans: its owned
/// namespaces (tier, Keel, quota opt-out), what its workloads request per namespace, the hosts
/// and paths its ingresses serve, its LoadBalancer addresses, its NFS claims and its backup
/// jobs (what they copy, where they write and when).
///
/// Equal for two versions of a stack that differ only in where things are written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackSummary {
    /// The namespaces the stack owns, in declaration order.
    namespaces: Vec<OwnedNamespace>,
    /// Every service's claim on its namespace's quota, in declaration order.
    workloads: Vec<Workload>,
    /// Every (host, path) its ingresses serve, in [`Stack::all_ingresses`] order.
    routes: Vec<Route>,
    /// Every Kubernetes Service that asks for a LoadBalancer address, in
    /// [`Stack::all_exposes`] order.
    addresses: Vec<AddressUse>,
    /// `(namespace, claim)` of every NFS claim it declares.
    nfs_claims: Vec<(String, String)>,
    /// Its backup jobs ([`is_backup_job`]), in declaration order.
    backup_jobs: Vec<BackupJob>,
    /// The Traefik Middlewares it declares, as ingresses name them
    /// (`<namespace>-<name>@kubernetescrd`), sorted.
    middlewares: Vec<String>,
    /// Its valid waivers of E0516: the stacks each names and its reason. A backup overlap
    /// between two stacks may be waived by either of them, by a waiver naming the other.
    overlap_waivers: Vec<(Vec<String>, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct OwnedNamespace {
    name: String,
    tier: Option<String>,
    keel: bool,
    custom_quota: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Workload {
    /// Index into the stack's services.
    service: usize,
    name: String,
    namespace: String,
    demand: Demand,
}

/// What a workload counts against its namespace's quota, before the tier's defaults are known:
/// the tier is the namespace owner's, which may be another stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Demand {
    pods: Pods,
    cpu: Part,
    memory: Part,
    memory_limit: Part,
}

/// How many pods a workload runs; a DaemonSet's depends on the cluster's Node count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pods {
    Fixed(u64),
    PerNode,
}

/// A per-pod sum over containers: what they state, and how many take the tier's default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Part {
    given: u64,
    defaulted: u64,
}

impl Part {
    fn add(&mut self, value: Option<u64>) {
        match value {
            Some(v) => self.given += v,
            None => self.defaulted += 1,
        }
    }

    fn resolve(self, default: u64) -> u64 {
        self.given + self.defaulted * default
    }
}

/// A workload's total against the quota: CPU, memory requests, memory limits, pods.
pub(crate) struct Usage {
    pub cpu: u64,
    pub memory: u64,
    pub memory_limit: u64,
    pub pods: u64,
}

impl Demand {
    fn of(svc: &Service) -> Demand {
        let pods = match svc.kind {
            WorkloadKind::Deployment | WorkloadKind::StatefulSet => {
                Pods::Fixed(u64::try_from(svc.replicas).unwrap_or(0))
            }
            WorkloadKind::CronJob | WorkloadKind::Job => Pods::Fixed(1),
            WorkloadKind::DaemonSet => Pods::PerNode,
        };
        let mut d = Demand { pods, cpu: Part::default(), memory: Part::default(), memory_limit: Part::default() };
        for r in containers(svc) {
            d.cpu.add(r.cpu.as_deref().and_then(parse_cpu_milli));
            d.memory.add(r.memory.as_deref().and_then(parse_bytes));
            d.memory_limit.add(r.memory_limit.as_deref().or(r.memory.as_deref()).and_then(parse_bytes));
        }
        d
    }

    /// The workload's total under a tier's defaults, on a cluster of `node_count` Nodes.
    pub(crate) fn usage(&self, policy: &TierPolicy, node_count: i64) -> Usage {
        let pods = match self.pods {
            Pods::Fixed(n) => n,
            Pods::PerNode => u64::try_from(node_count).unwrap_or(0),
        };
        Usage {
            cpu: self.cpu.resolve(policy.default_cpu_milli) * pods,
            memory: self.memory.resolve(policy.default_memory) * pods,
            memory_limit: self.memory_limit.resolve(policy.default_memory_limit) * pods,
            pods,
        }
    }
}

/// The containers whose requests count against the quota: the main one and the extra ones
/// (init containers run before them and do not add up).
pub(crate) fn containers(svc: &Service) -> impl Iterator<Item = &Resources> {
    std::iter::once(&svc.resources).chain(svc.containers.iter().map(|c| &c.resources))
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Route {
    ingress: usize,
    name: String,
    host: String,
    path: String,
}

/// A Kubernetes Service on a LoadBalancer address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AddressUse {
    /// The stack that declares it; empty inside a summary (it is the summary's own).
    pub stack: String,
    /// Index into the stack's [`Stack::all_exposes`].
    pub expose: usize,
    /// The service or frontend it belongs to.
    pub owner: String,
    /// The Service's name.
    pub name: String,
    pub ip: String,
    pub shared_ip: bool,
    pub traffic_policy: Option<String>,
    /// Port and protocol of each of its ports.
    pub ports: Vec<(u16, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct BackupJob {
    service: usize,
    namespace: String,
    name: String,
    /// The schedule as written; empty when the job has none.
    schedule: String,
    /// The schedule, when it has one that can be read; only then does it take part in the
    /// overlap check.
    parsed: Option<Schedule>,
    /// The claims it copies, sorted, once each.
    claims: Vec<String>,
    /// Its NFS volumes: index into the service's volumes, export path, server.
    targets: Vec<(usize, String, String)>,
}

impl StackSummary {
    /// Summarise one stack for the checks of the others.
    pub fn of(stack: &Stack) -> StackSummary {
        let namespaces = stack
            .owned_namespaces()
            .map(|n| OwnedNamespace {
                name: n.name.clone(),
                tier: n.tier.clone(),
                keel: n.keel,
                custom_quota: n.custom_quota,
            })
            .collect();
        let workloads = stack
            .services
            .iter()
            .enumerate()
            .map(|(i, svc)| Workload {
                service: i,
                name: svc.name.clone(),
                namespace: svc.namespace.clone(),
                demand: Demand::of(svc),
            })
            .collect();
        let routes = stack
            .all_ingresses()
            .enumerate()
            .flat_map(|(i, ing)| {
                ing.paths.iter().map(move |p| Route {
                    ingress: i,
                    name: ing.name.clone(),
                    host: ing.host.clone(),
                    path: p.clone(),
                })
            })
            .collect();
        let addresses = stack
            .all_exposes()
            .enumerate()
            .filter_map(|(i, (owner, _, x))| {
                let ip = x.lb_ip.as_ref()?;
                Some(AddressUse {
                    stack: String::new(),
                    expose: i,
                    owner: owner.to_string(),
                    name: x.name.clone(),
                    ip: ip.clone(),
                    shared_ip: x.shared_ip,
                    traffic_policy: x.traffic_policy.clone(),
                    ports: x.ports.iter().map(|p| (p.port, p.protocol.clone())).collect(),
                })
            })
            .collect();
        let overlap_waivers = stack
            .waivers
            .iter()
            .filter(|w| {
                hl_diagnostics::lookup(&w.code).is_some_and(|c| c.code == "E0516")
                    && !hl_diagnostics::placeholder_reason(&w.reason)
            })
            .map(|w| (w.with.clone(), w.reason.clone()))
            .collect();
        let nfs_claims = stack
            .volumes_by_owner()
            .filter_map(|(_, ns, _, v)| match &v.source {
                VolumeSource::Nfs { claim, inline: false, .. } => Some((ns.to_string(), claim.clone())),
                _ => None,
            })
            .collect();
        let backup_jobs = stack
            .services
            .iter()
            .enumerate()
            .filter(|(_, svc)| is_backup_job(svc))
            .map(|(i, svc)| {
                let mut claims: Vec<String> = copied_claims(svc).map(str::to_string).collect();
                claims.sort_unstable();
                claims.dedup();
                BackupJob {
                    service: i,
                    namespace: svc.namespace.clone(),
                    name: svc.name.clone(),
                    schedule: svc.schedule.as_ref().map(|(s, _)| s.clone()).unwrap_or_default(),
                    parsed: svc.schedule.as_ref().and_then(|(s, _)| schedule::parse(s).ok()),
                    claims,
                    targets: svc
                        .volumes
                        .iter()
                        .enumerate()
                        .filter_map(|(vi, v)| match &v.source {
                            VolumeSource::Nfs { path, server, .. } => Some((vi, path.clone(), server.clone())),
                            _ => None,
                        })
                        .collect(),
                }
            })
            .collect();
        let mut middlewares: Vec<String> = stack
            .objects
            .iter()
            .filter(|o| o.kind == "Middleware" && o.api_version.starts_with("traefik."))
            .filter_map(|o| Some(middleware_ref(o.namespace.as_deref()?, &o.name)))
            .chain(stack.unmanaged_middlewares.iter().map(|(ns, n, _)| middleware_ref(ns, n)))
            .collect();
        middlewares.sort_unstable();
        middlewares.dedup();
        StackSummary { namespaces, workloads, routes, addresses, nfs_claims, backup_jobs, middlewares, overlap_waivers }
    }
}

/// How Traefik's Kubernetes CRD provider names a Middleware in a router's chain.
pub(crate) fn middleware_ref(namespace: &str, name: &str) -> String {
    format!("{namespace}-{name}@kubernetescrd")
}

/// The owner of a namespace's tier: the last stack that owns the namespace with a tier.
#[derive(Clone, Debug, PartialEq, Eq)]
struct TierOwner {
    stack: String,
    tier: String,
    custom_quota: bool,
}

/// A service's share of a namespace's quota.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Contribution {
    pub stack: String,
    /// Index into that stack's services.
    pub service: usize,
    pub name: String,
    pub demand: Demand,
}

/// An ingress of a stack, by position in its [`Stack::all_ingresses`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct IngressRef {
    pub stack: String,
    pub ingress: usize,
    pub name: String,
}

/// An in-cluster backup job that copies a claim to NFS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CopyJob {
    pub namespace: String,
    pub name: String,
    /// As written; empty when the job has none.
    pub schedule: String,
    /// The NFS export paths it writes to, in volume order.
    pub targets: Vec<String>,
}

/// A backup job of an earlier stack that writes to the same storage in the same minute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct EarlierWriter {
    pub stack: String,
    /// Index into that stack's services.
    pub service: usize,
    pub namespace: String,
    pub name: String,
    /// Its schedule as written.
    pub text: String,
    /// That stack's reason for waiving E0516 with this stack, if it does: either side of an
    /// overlap may waive it.
    pub waiver: Option<String>,
}

/// The summaries of every stack, joined: who owns which namespace's tier, what each namespace
/// runs, who first serves each host and path, who uses each LoadBalancer address, which claims
/// are on NFS or copied by backup jobs, and which backup job first collides with each other one.
///
/// Built once per model; [`CheckIndex::view`] then cuts out what one stack needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckIndex {
    /// By namespace; the last owner with a tier wins, as a map built in model order would.
    tiers: BTreeMap<String, TierOwner>,
    /// Keel enrolment by namespace; the last owner wins.
    keel: BTreeMap<String, bool>,
    /// Every workload by namespace, in model order.
    usage: BTreeMap<String, Vec<Contribution>>,
    /// The first ingress, in model order, that serves each (host, path).
    routes: BTreeMap<(String, String), IngressRef>,
    /// The users of each LoadBalancer address, in model order.
    addresses: BTreeMap<String, Vec<AddressUse>>,
    /// `(namespace, claim)` of every NFS claim.
    nfs_claims: BTreeSet<(String, String)>,
    /// The backup jobs copying each `(namespace, claim)`, in model order.
    copy_jobs: BTreeMap<(String, String), Vec<CopyJob>>,
    /// By stack, then (service, volume) of one of its backup writers: the first writer of an
    /// earlier stack that collides with it.
    overlaps: BTreeMap<String, BTreeMap<(usize, usize), EarlierWriter>>,
    /// By stack: the later stacks whose backup writers collide with one of its own (the other
    /// side of `overlaps`), so that its waiver of E0516 counts as used.
    paired: BTreeMap<String, BTreeSet<String>>,
    /// Every Middleware declared in the workspace, as ingresses name them.
    middlewares: BTreeSet<String>,
}

impl CheckIndex {
    /// Join the summaries of every stack, each with its stack's name, in model order: where two
    /// stacks claim the same thing, the order decides which one the other is reported against.
    pub fn new<'a>(summaries: impl IntoIterator<Item = (&'a str, &'a StackSummary)>) -> CheckIndex {
        let mut ix = CheckIndex {
            tiers: BTreeMap::new(),
            keel: BTreeMap::new(),
            usage: BTreeMap::new(),
            routes: BTreeMap::new(),
            addresses: BTreeMap::new(),
            nfs_claims: BTreeSet::new(),
            copy_jobs: BTreeMap::new(),
            overlaps: BTreeMap::new(),
            paired: BTreeMap::new(),
            middlewares: BTreeSet::new(),
        };
        // Backup writers by storage, in model order, for the overlap check below.
        struct Writer<'a> {
            stack: &'a str,
            key: (usize, usize),
            job: &'a BackupJob,
            schedule: &'a Schedule,
            waivers: &'a [(Vec<String>, String)],
        }
        let mut writers: BTreeMap<String, Vec<Writer<'a>>> = BTreeMap::new();
        for (name, s) in summaries {
            for n in &s.namespaces {
                if let Some(tier) = &n.tier {
                    ix.tiers.insert(
                        n.name.clone(),
                        TierOwner { stack: name.to_string(), tier: tier.clone(), custom_quota: n.custom_quota },
                    );
                }
                ix.keel.insert(n.name.clone(), n.keel);
            }
            for w in &s.workloads {
                ix.usage.entry(w.namespace.clone()).or_default().push(Contribution {
                    stack: name.to_string(),
                    service: w.service,
                    name: w.name.clone(),
                    demand: w.demand,
                });
            }
            for r in &s.routes {
                ix.routes.entry((r.host.clone(), r.path.clone())).or_insert_with(|| IngressRef {
                    stack: name.to_string(),
                    ingress: r.ingress,
                    name: r.name.clone(),
                });
            }
            for a in &s.addresses {
                ix.addresses.entry(a.ip.clone()).or_default().push(AddressUse { stack: name.to_string(), ..a.clone() });
            }
            ix.nfs_claims.extend(s.nfs_claims.iter().cloned());
            ix.middlewares.extend(s.middlewares.iter().cloned());
            for job in &s.backup_jobs {
                for claim in &job.claims {
                    ix.copy_jobs.entry((job.namespace.clone(), claim.clone())).or_default().push(CopyJob {
                        namespace: job.namespace.clone(),
                        name: job.name.clone(),
                        schedule: job.schedule.clone(),
                        targets: job.targets.iter().map(|(_, path, _)| path.clone()).collect(),
                    });
                }
                let Some(parsed) = &job.parsed else { continue };
                for (vi, _, server) in &job.targets {
                    writers.entry(format!("nfs:{server}")).or_default().push(Writer {
                        stack: name,
                        key: (job.service, *vi),
                        job,
                        schedule: parsed,
                        waivers: &s.overlap_waivers,
                    });
                }
            }
        }
        // Each writer against the writers of earlier stacks (a stack checks its own writers
        // against each other, and the host's steps, itself). Two schedules can only overlap
        // in a minute they share, so a writer is compared only with the earlier writers filed
        // under its (hour, minute) pairs: thousands of backups to one NFS server made
        // comparing with all of them quadratic.
        for same_storage in writers.values() {
            let mut by_minute: HashMap<(u8, u8), Vec<usize>> = HashMap::new();
            for (i, a) in same_storage.iter().enumerate() {
                let minutes = || a.schedule.hours.iter().flat_map(|h| a.schedule.minutes.iter().map(move |m| (*h, *m)));
                let earliest = minutes()
                    .filter_map(|hm| {
                        let filed = by_minute.get(&hm)?;
                        filed.iter().copied().find(|&j| {
                            let b = &same_storage[j];
                            b.stack != a.stack && b.schedule.overlaps(a.schedule)
                        })
                    })
                    .min();
                for hm in minutes() {
                    by_minute.entry(hm).or_default().push(i);
                }
                if let Some(b) = earliest.map(|j| &same_storage[j]) {
                    ix.paired.entry(b.stack.to_string()).or_default().insert(a.stack.to_string());
                    ix.overlaps.entry(a.stack.to_string()).or_default().insert(
                        a.key,
                        EarlierWriter {
                            stack: b.stack.to_string(),
                            service: b.job.service,
                            namespace: b.job.namespace.clone(),
                            name: b.job.name.clone(),
                            text: b.job.schedule.clone(),
                            waiver: b
                                .waivers
                                .iter()
                                .find(|(with, _)| with.iter().any(|w| w == a.stack))
                                .map(|(_, reason)| reason.clone()),
                        },
                    );
                }
            }
        }
        ix
    }

    /// The part of the index that the checks of `stack` read. When it is unchanged after an
    /// edit elsewhere, so are the stack's findings, except for labels that point into the
    /// stacks it names.
    pub fn view(&self, stack: &Stack) -> StackView {
        let mut v = StackView::default();
        for svc in &stack.services {
            if let Some(t) = self.tiers.get(&svc.namespace) {
                v.tiers.insert(svc.namespace.clone(), t.tier.clone());
            }
            if let Some(k) = self.keel.get(&svc.namespace) {
                v.keel.insert(svc.namespace.clone(), *k);
            }
        }
        // The quotas this stack reports: those of the namespaces whose tier it gives.
        for n in stack.owned_namespaces() {
            let Some(owner) = self.tiers.get(&n.name) else { continue };
            if owner.stack != stack.name || owner.custom_quota || v.quotas.contains_key(&n.name) {
                continue;
            }
            if let Some(usage) = self.usage.get(&n.name) {
                v.quotas.insert(n.name.clone(), Quota { tier: owner.tier.clone(), usage: usage.clone() });
            }
        }
        for ing in stack.all_ingresses() {
            for path in &ing.paths {
                let key = (ing.host.clone(), path.clone());
                if let Some(first) = self.routes.get(&key)
                    && first.stack != stack.name
                {
                    v.routes.insert(key, first.clone());
                }
            }
        }
        for (_, _, x) in stack.all_exposes() {
            let Some(ip) = &x.lb_ip else { continue };
            if let Some(uses) = self.addresses.get(ip)
                && uses.len() >= 2
            {
                v.addresses.insert(ip.clone(), uses.clone());
            }
        }
        for (_, ns, _, vol) in stack.volumes_by_owner() {
            if let VolumeSource::Claim(c) = &vol.source {
                let key = (ns.to_string(), c.clone());
                if self.nfs_claims.contains(&key) {
                    v.nfs_claims.insert(key);
                }
            }
        }
        for key in claim_keys(stack) {
            if let Some(jobs) = self.copy_jobs.get(&key) {
                v.copy_jobs.insert(key, jobs.clone());
            }
        }
        if let Some(o) = self.overlaps.get(&stack.name) {
            v.overlaps = o.clone();
        }
        if let Some(p) = self.paired.get(&stack.name) {
            v.paired_by_later = p.clone();
        }
        for ing in stack.all_ingresses() {
            for m in &ing.extra_middlewares {
                if m.ends_with("@kubernetescrd") && !self.middlewares.contains(m) {
                    let near = hl_diagnostics::did_you_mean(m, self.middlewares.iter().map(String::as_str));
                    v.missing_middlewares.insert(m.clone(), near.map(str::to_string));
                }
            }
        }
        v
    }

    /// The backup jobs that copy each `(namespace, claim)`.
    pub(crate) fn copy_jobs(&self) -> &BTreeMap<(String, String), Vec<CopyJob>> {
        &self.copy_jobs
    }
}

/// The `(namespace, claim)` under which the 3-2-1 coverage and the backup rule look up the jobs
/// copying each of the stack's volumes (a claim template by its claims' pattern).
fn claim_keys(stack: &Stack) -> impl Iterator<Item = (String, String)> + '_ {
    let service_volumes = stack
        .services
        .iter()
        .flat_map(|svc| svc.volumes.iter().map(move |v| (svc.name.as_str(), svc.namespace.as_str(), v)));
    let stack_volumes = stack.volumes.iter().map(|v| ("", v.namespace.as_str(), &v.volume));
    service_volumes.chain(stack_volumes).filter_map(|(service, ns, v)| {
        let claim = match &v.source {
            VolumeSource::Pvc { claim, .. } | VolumeSource::Nfs { claim, inline: false, .. } => claim.clone(),
            VolumeSource::Template { .. } => format!("{}-{service}-*", v.name),
            _ => return None,
        };
        Some((ns.to_string(), claim))
    })
}

/// A namespace quota that a stack reports, as the owner of the namespace's tier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Quota {
    pub tier: String,
    /// Every workload in the namespace, of any stack, in model order.
    pub usage: Vec<Contribution>,
}

/// What the checks of one stack need from the others, cut out of a [`CheckIndex`]: the tier
/// and Keel enrolment of the namespaces its services run in, the workloads of every stack in
/// the namespaces whose quota it reports, the hosts and paths it serves that an earlier stack
/// serves first, the users of the LoadBalancer addresses it shares, which of its claims are on
/// NFS or copied by backup jobs (and by which), and which earlier backup job each of its own
/// collides with.
///
/// No spans; equal as long as none of that changes, so a stack whose view and model are
/// unchanged need not be checked again.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StackView {
    pub(crate) tiers: BTreeMap<String, String>,
    pub(crate) keel: BTreeMap<String, bool>,
    pub(crate) quotas: BTreeMap<String, Quota>,
    pub(crate) routes: BTreeMap<(String, String), IngressRef>,
    pub(crate) addresses: BTreeMap<String, Vec<AddressUse>>,
    pub(crate) nfs_claims: BTreeSet<(String, String)>,
    pub(crate) copy_jobs: BTreeMap<(String, String), Vec<CopyJob>>,
    pub(crate) overlaps: BTreeMap<(usize, usize), EarlierWriter>,
    /// The later stacks whose backup writers collide with this stack's (their E0516 findings
    /// pair with it): this stack's waiver of E0516 accepts those findings too.
    pub(crate) paired_by_later: BTreeSet<String>,
    /// The `@kubernetescrd` Middlewares this stack's ingresses name that no stack declares,
    /// each with the declared one nearest in spelling.
    pub(crate) missing_middlewares: BTreeMap<String, Option<String>>,
}
