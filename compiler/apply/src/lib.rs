//! `hl-apply`: server-side apply of hlc's output to a Kubernetes cluster, and the live diff.
//!
//! This is the only crate of hlc that talks to a network. The compiler crates stay pure; the
//! CLI compiles, turns the Kubernetes artifacts into [`Manifest`]s (in apply order, wave by
//! wave) and hands them here. Nothing here prints: every function returns a report, and the CLI
//! renders it.
//!
//! Boundary invariants:
//! - objects are applied in the order of the slice they come in, wave by wave; an object of
//!   wave N+1 is never sent before every object of wave N was answered, and after a wave with
//!   a failure nothing else is applied (and nothing is pruned);
//! - every write names the field manager [`FIELD_MANAGER`] and carries `dryRun=All` when the
//!   run is a dry run;
//! - pruning deletes only objects that carry both ownership labels of the emitter
//!   ([`MANAGED_BY_LABEL`] = `hlc`, the workspace's stack label = a stack in scope), and only
//!   when asked.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams};
use kube::core::GroupVersionKind;
use kube::discovery::{ApiCapabilities, ApiResource, Scope};
use kube::{Client, Config};
use serde_json::Value as Json;

pub use hl_emit::MANAGED_BY_LABEL;

/// The field manager of every server-side apply (`fieldManager=hlc`).
pub const FIELD_MANAGER: &str = "hlc";

/// Kinds the emitter can produce, looked at by pruning even when the current output has none
/// of them left (an object of a kind that left the output entirely is still found), beside
/// the cluster's `custom_resources` ([`ApplyOptions::custom_kinds`]).
pub const EMITTED_KINDS: &[(&str, &str)] = &[
    ("v1", "Namespace"),
    ("v1", "Secret"),
    ("v1", "ConfigMap"),
    ("v1", "PersistentVolume"),
    ("v1", "PersistentVolumeClaim"),
    ("v1", "Service"),
    ("apps/v1", "Deployment"),
    ("apps/v1", "StatefulSet"),
    ("apps/v1", "DaemonSet"),
    ("batch/v1", "Job"),
    ("batch/v1", "CronJob"),
    ("discovery.k8s.io/v1", "EndpointSlice"),
    ("networking.k8s.io/v1", "Ingress"),
    ("policy/v1", "PodDisruptionBudget"),
    ("traefik.io/v1alpha1", "Middleware"),
    ("external-secrets.io/v1", "ExternalSecret"),
    ("source.toolkit.fluxcd.io/v1", "HelmRepository"),
    ("helm.toolkit.fluxcd.io/v2", "HelmRelease"),
    ("v1", "ServiceAccount"),
    ("v1", "ResourceQuota"),
    ("v1", "LimitRange"),
    ("rbac.authorization.k8s.io/v1", "Role"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    ("scheduling.k8s.io/v1", "PriorityClass"),
    ("storage.k8s.io/v1", "StorageClass"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
    ("traefik.io/v1alpha1", "IngressRoute"),
    ("traefik.io/v1alpha1", "IngressRouteTCP"),
];

/// One Kubernetes object to apply: a file of hlc's output.
#[derive(Clone, Debug)]
pub struct Manifest {
    /// The stack that emits it.
    pub stack: String,
    /// The apply wave of its stack (`hlc graph`).
    pub wave: usize,
    /// The output path, `k8s/<stack>/<kind>-<name>.yaml`.
    pub path: String,
    /// The object.
    pub doc: Json,
}

impl Manifest {
    fn str_at(&self, keys: &[&str]) -> &str {
        let mut v = &self.doc;
        for k in keys {
            match v.get(k) {
                Some(x) => v = x,
                None => return "",
            }
        }
        v.as_str().unwrap_or("")
    }
    /// `apiVersion`.
    pub fn api_version(&self) -> &str {
        self.str_at(&["apiVersion"])
    }
    /// `kind`.
    pub fn kind(&self) -> &str {
        self.str_at(&["kind"])
    }
    /// `metadata.name`.
    pub fn name(&self) -> &str {
        self.str_at(&["metadata", "name"])
    }
    /// `metadata.namespace`, if any.
    pub fn namespace(&self) -> Option<&str> {
        Some(self.str_at(&["metadata", "namespace"])).filter(|s| !s.is_empty())
    }
    /// `Kind namespace/name` (or `Kind name`), for messages.
    pub fn display(&self) -> String {
        display(self.kind(), self.namespace(), self.name())
    }
    fn key(&self) -> ObjectKey {
        ObjectKey::new(self.api_version(), self.kind(), self.namespace(), self.name())
    }
}

fn display(kind: &str, ns: Option<&str>, name: &str) -> String {
    match ns {
        Some(ns) => format!("{kind} {ns}/{name}"),
        None => format!("{kind} {name}"),
    }
}

/// Identity of an object across API versions: group, kind, namespace, name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct ObjectKey(String, String, String, String);

impl ObjectKey {
    fn new(api_version: &str, kind: &str, ns: Option<&str>, name: &str) -> Self {
        let (group, _) = split_api_version(api_version);
        ObjectKey(group.into(), kind.into(), ns.unwrap_or("").into(), name.into())
    }
}

fn split_api_version(api_version: &str) -> (&str, &str) {
    api_version.split_once('/').unwrap_or(("", api_version))
}

/// Apply order inside a stack: namespaces, then CRD-like prerequisites (definitions, service
/// accounts, storage, configuration, Helm sources), then everything else. A ServiceAccount
/// comes before the Secrets: kube-controller-manager deletes a service-account token Secret
/// whose ServiceAccount does not exist (yet).
fn kind_rank(kind: &str) -> u8 {
    match kind {
        "Namespace" => 0,
        "CustomResourceDefinition" => 1,
        "ServiceAccount" | "PersistentVolume" | "StorageClass" | "PriorityClass" => 2,
        "PersistentVolumeClaim" | "ConfigMap" | "Secret" | "ExternalSecret" => 3,
        "HelmRepository" | "Middleware" => 4,
        _ => 5,
    }
}

/// The Kubernetes objects among `artifacts` (`(path, contents)`: `k8s/<stack>/*.yaml` without
/// `kustomization.yaml`; Flux's `k8s/flux/` is not a stack and is left out) of the stacks in
/// `waves`, in apply order: wave by wave, the stacks of a wave in their order, inside a stack
/// namespaces and prerequisites first, then by path.
pub fn manifests<'a>(
    artifacts: impl IntoIterator<Item = (&'a str, &'a str)>,
    waves: &[Vec<String>],
) -> Result<Vec<Manifest>, String> {
    let wave_of: HashMap<&str, (usize, usize)> = waves
        .iter()
        .enumerate()
        .flat_map(|(w, stacks)| stacks.iter().enumerate().map(move |(i, s)| (s.as_str(), (w, i))))
        .collect();
    let mut out = Vec::new();
    for (path, contents) in artifacts {
        let Some(rest) = path.strip_prefix("k8s/") else { continue };
        let Some((stack, file)) = rest.split_once('/') else { continue };
        if file == "kustomization.yaml" || file.contains('/') {
            continue;
        }
        let Some(&(wave, _)) = wave_of.get(stack) else { continue };
        let doc: Json = serde_saphyr::from_str(contents).map_err(|e| format!("{path}: not a YAML object: {e}"))?;
        if !doc.is_object() {
            return Err(format!("{path}: not a YAML object"));
        }
        out.push(Manifest { stack: stack.to_string(), wave, path: path.to_string(), doc });
    }
    out.sort_by_cached_key(|m| {
        let (w, i) = wave_of.get(m.stack.as_str()).copied().unwrap_or_default();
        (w, i, kind_rank(m.kind()), m.path.clone())
    });
    Ok(out)
}

/// Where the cluster is: a kubeconfig file (default: `KUBECONFIG`, `~/.kube/config`, then the
/// in-cluster service account) and a context in it (default: its current context).
#[derive(Clone, Debug, Default)]
pub struct Target {
    /// `--kubeconfig`.
    pub kubeconfig: Option<PathBuf>,
    /// `--context`.
    pub context: Option<String>,
}

/// Something that stops a whole run: no configuration, an unreachable server, an answer that is
/// not the Kubernetes API. Not about one object (those are [`Failure`]s).
#[derive(Clone, Debug)]
pub struct Error(pub String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// The API server refused one object: its HTTP status, the Status `reason` and `message`, and
/// hlc's help where there is some.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// HTTP status code (409, 422, 403, ...).
    pub code: u16,
    /// The Status reason (`Conflict`, `Invalid`, `Forbidden`, `NotFound`).
    pub reason: String,
    /// The API server's message, as it sent it.
    pub message: String,
    /// What to do about it.
    pub help: Option<String>,
}

impl Failure {
    fn from_status(s: &kube::core::Status) -> Self {
        let help = match s.code {
            409 => {
                let owners = conflict_managers(&s.message);
                let who = if owners.is_empty() {
                    "another field manager".to_string()
                } else {
                    format!(
                        "the field manager {}",
                        owners.iter().map(|o| format!("`{o}`")).collect::<Vec<_>>().join(", ")
                    )
                };
                Some(format!(
                    "{who} owns these fields with other values; change them back there (or let it stop managing \
                     them), or rerun with --force-conflicts to make hlc their owner"
                ))
            }
            403 => Some("the credentials of this kubeconfig context may not write this object".into()),
            _ => None,
        };
        Failure { code: s.code, reason: s.reason.clone(), message: s.message.clone(), help }
    }
}

/// The managers named in a server-side apply conflict message (`conflict with "kubectl" ...`).
fn conflict_managers(message: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in message.split("conflict with \"").skip(1) {
        if let Some((name, _)) = part.split_once('"')
            && !out.iter().any(|o| o == name)
        {
            out.push(name.to_string());
        }
    }
    out
}

/// How to apply.
#[derive(Clone, Debug, Default)]
pub struct ApplyOptions {
    /// Send every write with `dryRun=All`: the server validates and admits, stores nothing.
    pub dry_run: bool,
    /// Delete the stale objects (hlc's labels, no longer in the output) instead of listing them.
    pub prune: bool,
    /// Take over fields another field manager owns (`force=true`) instead of failing with 409.
    pub force_conflicts: bool,
    /// The stacks whose stale objects pruning considers; `None`: every stack (the whole
    /// workspace is being applied, so objects of a stack that no longer exists are stale too).
    pub prune_stacks: Option<Vec<String>>,
    /// The label that names an object's stack (`<label_domain>/stack`, from the workspace's
    /// cluster facts): what pruning selects on besides [`MANAGED_BY_LABEL`].
    pub stack_label: String,
    /// The cluster's custom resources (`apiVersion`, `kind`), which a `manifest` may be:
    /// pruning looks for stale objects of these kinds too.
    pub custom_kinds: Vec<(String, String)>,
}

/// What happened to one manifest.
#[derive(Clone, Debug)]
pub struct Applied {
    /// Index into the manifests given to [`apply`].
    pub index: usize,
    /// `Ok` when the server accepted it.
    pub result: Result<(), Failure>,
}

/// An object in the cluster with hlc's labels that is not in the output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stale {
    /// Its `apiVersion` as listed.
    pub api_version: String,
    /// Its kind.
    pub kind: String,
    /// Its namespace, if namespaced.
    pub namespace: Option<String>,
    /// Its name.
    pub name: String,
    /// Its stack label.
    pub stack: String,
    /// `None`: only listed (no `--prune`); `Some(Ok)`: deleted; `Some(Err)`: the delete failed.
    pub deleted: Option<Result<(), Failure>>,
}

impl Stale {
    /// `Kind namespace/name`.
    pub fn display(&self) -> String {
        display(&self.kind, self.namespace.as_deref(), &self.name)
    }
}

/// The result of [`apply`].
#[derive(Clone, Debug, Default)]
pub struct ApplyReport {
    /// Every manifest sent, in the order sent.
    pub applied: Vec<Applied>,
    /// The wave that had a failure (nothing after it was sent).
    pub failed_wave: Option<usize>,
    /// Manifests not sent because an earlier wave failed.
    pub skipped: usize,
    /// Stale objects (looked for only when every wave succeeded).
    pub stale: Vec<Stale>,
    /// The API server's URL.
    pub server: String,
    /// The connection to the API server was lost after some objects were answered: why, and
    /// the manifests (indices) not applied. The first of them was in flight, so the server may
    /// or may not have applied it.
    pub interrupted: Option<(Error, Vec<usize>)>,
}

impl ApplyReport {
    /// Whether anything failed (an object, or a delete).
    pub fn has_failures(&self) -> bool {
        self.failed_wave.is_some()
            || self.interrupted.is_some()
            || self.stale.iter().any(|s| matches!(s.deleted, Some(Err(_))))
            || self.applied.iter().any(|a| a.result.is_err())
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error(format!("cannot start the async runtime: {e}")))
}

async fn connect(target: &Target) -> Result<(Client, String), Error> {
    let config = match (&target.kubeconfig, &target.context) {
        (Some(path), _) => {
            let kc = kube::config::Kubeconfig::read_from(path)
                .map_err(|e| Error(format!("cannot read the kubeconfig {}: {e}", path.display())))?;
            let options = kube::config::KubeConfigOptions { context: target.context.clone(), ..Default::default() };
            Config::from_custom_kubeconfig(kc, &options)
                .await
                .map_err(|e| Error(format!("cannot use the kubeconfig {}: {e}", path.display())))?
        }
        (None, Some(context)) => {
            let options = kube::config::KubeConfigOptions { context: Some(context.clone()), ..Default::default() };
            Config::from_kubeconfig(&options)
                .await
                .map_err(|e| Error(format!("cannot use the kubeconfig context `{context}`: {e}")))?
        }
        (None, None) => Config::infer()
            .await
            .map_err(|e| Error(format!("no cluster configured (KUBECONFIG, ~/.kube/config or in-cluster): {e}")))?,
    };
    let server = config.cluster_url.to_string();
    let client = Client::try_from(config).map_err(|e| Error(format!("cannot set up a client for {server}: {e}")))?;
    Ok((client, server))
}

/// A failure about one object, or the end of the run.
enum Problem {
    Object(Failure),
    Fatal(Error),
}

fn classify(e: kube::Error, server: &str) -> Problem {
    match e {
        // Credentials the server does not take are wrong for every object: stop the run.
        kube::Error::Api(s) if s.code == 401 => Problem::Fatal(Error(format!(
            "the Kubernetes API server at {server} did not accept the credentials of this kubeconfig context \
             (401 {}): {}",
            if s.reason.is_empty() { "Unauthorized" } else { s.reason.as_str() },
            s.message
        ))),
        kube::Error::Api(s) => Problem::Object(Failure::from_status(&s)),
        other => {
            Problem::Fatal(Error(format!("cannot talk to the Kubernetes API server at {server}: {}", chain(&other))))
        }
    }
}

/// An error with its sources (`connection refused` is usually three levels down).
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = c.source();
    }
    s
}

/// Discovery, once per kind.
struct Resolver {
    client: Client,
    server: String,
    cache: HashMap<(String, String), Result<(ApiResource, ApiCapabilities), Failure>>,
}

impl Resolver {
    async fn resolve(&mut self, api_version: &str, kind: &str) -> Result<Result<Api<DynamicObject>, Failure>, Error> {
        self.resolve_in(api_version, kind, None).await
    }

    /// The API of this kind; in `ns` when it is namespaced, else across all namespaces.
    async fn resolve_in(
        &mut self,
        api_version: &str,
        kind: &str,
        ns: Option<&str>,
    ) -> Result<Result<Api<DynamicObject>, Failure>, Error> {
        let key = (api_version.to_string(), kind.to_string());
        if !self.cache.contains_key(&key) {
            let (group, version) = split_api_version(api_version);
            let gvk = GroupVersionKind::gvk(group, version, kind);
            let found = match kube::discovery::pinned_kind(&self.client, &gvk).await {
                Ok(x) => Ok(x),
                Err(kube::Error::Discovery(_)) => Err(not_served(api_version, kind)),
                Err(kube::Error::Api(s)) if s.code == 404 => Err(not_served(api_version, kind)),
                Err(e) => match classify(e, &self.server) {
                    Problem::Object(f) => Err(f),
                    Problem::Fatal(e) => return Err(e),
                },
            };
            self.cache.insert(key.clone(), found);
        }
        Ok(match self.cache.get(&key) {
            Some(Ok((ar, caps))) => Ok(match (caps.scope.clone(), ns) {
                (Scope::Namespaced, Some(ns)) => Api::namespaced_with(self.client.clone(), ns, ar),
                _ => Api::all_with(self.client.clone(), ar),
            }),
            Some(Err(f)) => Err(f.clone()),
            None => Err(not_served(api_version, kind)),
        })
    }
}

fn not_served(api_version: &str, kind: &str) -> Failure {
    Failure {
        code: 404,
        reason: "NotFound".into(),
        message: format!("the server does not serve {kind} in {api_version}"),
        help: Some("install the CustomResourceDefinition (or the operator that brings it) before this stack".into()),
    }
}

fn patch_params(dry_run: bool, force: bool) -> PatchParams {
    let mut p = PatchParams::apply(FIELD_MANAGER);
    if force {
        p = p.force();
    }
    if dry_run {
        p = p.dry_run();
    }
    p
}

async fn apply_one(
    r: &mut Resolver,
    m: &Manifest,
    params: &PatchParams,
) -> Result<Result<DynamicObject, Failure>, Error> {
    let api = match r.resolve_in(m.api_version(), m.kind(), m.namespace()).await? {
        Ok(api) => api,
        Err(f) => return Ok(Err(f)),
    };
    match api.patch(m.name(), params, &Patch::Apply(&m.doc)).await {
        Ok(obj) => Ok(Ok(obj)),
        Err(e) => match classify(e, &r.server) {
            Problem::Object(f) => Ok(Err(f)),
            Problem::Fatal(e) => Err(e),
        },
    }
}

/// Server-side apply `manifests` (in apply order, see [`manifests`]) wave by wave; stop after
/// the first wave with a failure; then find the stale objects and, with `prune`, delete them.
pub fn apply(target: &Target, manifests: &[Manifest], options: &ApplyOptions) -> Result<ApplyReport, Error> {
    runtime()?.block_on(apply_async(target, manifests, options))
}

async fn apply_async(target: &Target, manifests: &[Manifest], options: &ApplyOptions) -> Result<ApplyReport, Error> {
    let (client, server) = connect(target).await?;
    let mut r = Resolver { client, server: server.clone(), cache: HashMap::new() };
    let mut report = ApplyReport { server, ..Default::default() };
    let params = patch_params(options.dry_run, options.force_conflicts);
    let mut i = 0;
    while i < manifests.len() {
        let wave = manifests[i].wave;
        let end = manifests[i..].iter().position(|m| m.wave != wave).map_or(manifests.len(), |n| i + n);
        for (index, m) in manifests.iter().enumerate().take(end).skip(i) {
            let result = match apply_one(&mut r, m, &params).await {
                Ok(result) => result.map(|_| ()),
                // Nothing answered yet: the server was never there (or never let us in).
                Err(e) if report.applied.is_empty() => return Err(e),
                Err(e) => {
                    report.interrupted = Some((e, (index..manifests.len()).collect()));
                    return Ok(report);
                }
            };
            report.applied.push(Applied { index, result });
        }
        if report.applied.iter().any(|a| a.result.is_err()) {
            report.failed_wave = Some(wave);
            report.skipped = manifests.len() - end;
            return Ok(report);
        }
        i = end;
    }
    let mut stale =
        find_stale(&mut r, manifests, options.prune_stacks.as_deref(), &options.stack_label, &options.custom_kinds)
            .await?;
    if options.prune {
        let dp = if options.dry_run { DeleteParams::default().dry_run() } else { DeleteParams::default() };
        for s in &mut stale {
            let api = match r.resolve_in(&s.api_version, &s.kind, s.namespace.as_deref()).await? {
                Ok(api) => api,
                Err(f) => {
                    s.deleted = Some(Err(f));
                    continue;
                }
            };
            s.deleted = Some(match api.delete(&s.name, &dp).await {
                Ok(_) => Ok(()),
                Err(e) => match classify(e, &r.server) {
                    Problem::Object(f) if f.code == 404 => Ok(()),
                    Problem::Object(f) => Err(f),
                    Problem::Fatal(e) => return Err(e),
                },
            });
        }
    }
    report.stale = stale;
    Ok(report)
}

/// Objects in the cluster labelled as hlc's (of the stacks in `scope`, or of any stack) whose
/// identity is not among `manifests`, in delete order: later waves first, namespaces last.
async fn find_stale(
    r: &mut Resolver,
    manifests: &[Manifest],
    scope: Option<&[String]>,
    stack_label: &str,
    custom_kinds: &[(String, String)],
) -> Result<Vec<Stale>, Error> {
    let keep: BTreeSet<ObjectKey> = manifests.iter().map(Manifest::key).collect();
    let wave_of: HashMap<&str, usize> = manifests.iter().map(|m| (m.stack.as_str(), m.wave)).collect();
    let mut kinds: BTreeSet<(String, String)> =
        EMITTED_KINDS.iter().map(|(a, k)| (a.to_string(), k.to_string())).collect();
    kinds.extend(custom_kinds.iter().cloned());
    kinds.extend(manifests.iter().map(|m| (m.api_version().to_string(), m.kind().to_string())));
    // One listing per group and kind (a kind may be listed under two versions).
    let mut seen_kinds = BTreeSet::new();
    let selector = match scope {
        Some(stacks) => {
            let mut s: Vec<&str> = stacks.iter().map(String::as_str).collect();
            s.sort_unstable();
            s.dedup();
            format!("{MANAGED_BY_LABEL}=hlc,{stack_label} in ({})", s.join(","))
        }
        None => format!("{MANAGED_BY_LABEL}=hlc,{stack_label}"),
    };
    let mut stale = Vec::new();
    for (api_version, kind) in kinds {
        if !seen_kinds.insert((split_api_version(&api_version).0.to_string(), kind.clone())) {
            continue;
        }
        let api = match r.resolve(&api_version, &kind).await? {
            Ok(api) => api,
            // A kind the cluster does not serve has no objects to prune.
            Err(_) => continue,
        };
        let list = match api.list(&ListParams::default().labels(&selector)).await {
            Ok(l) => l,
            Err(e) => match classify(e, &r.server) {
                Problem::Object(f) if f.code == 404 || f.code == 405 => continue,
                Problem::Object(f) => {
                    return Err(Error(format!("cannot list {kind} objects to prune: {} ({})", f.message, f.reason)));
                }
                Problem::Fatal(e) => return Err(e),
            },
        };
        for item in list.items {
            let ns = item.metadata.namespace.clone();
            let Some(name) = item.metadata.name.clone() else { continue };
            if keep.contains(&ObjectKey::new(&api_version, &kind, ns.as_deref(), &name)) {
                continue;
            }
            let stack = item.metadata.labels.as_ref().and_then(|l| l.get(stack_label)).cloned().unwrap_or_default();
            stale.push(Stale {
                api_version: api_version.clone(),
                kind: kind.clone(),
                namespace: ns,
                name,
                stack,
                deleted: None,
            });
        }
    }
    stale.sort_by_cached_key(|s| {
        let wave = wave_of.get(s.stack.as_str()).copied().unwrap_or(usize::MAX);
        (
            s.kind == "Namespace",
            std::cmp::Reverse(wave),
            s.stack.clone(),
            kind_rank(&s.kind),
            s.kind.clone(),
            s.namespace.clone(),
            s.name.clone(),
        )
    });
    stale.dedup_by(|a, b| a.kind == b.kind && a.namespace == b.namespace && a.name == b.name);
    Ok(stale)
}

/// How one object compares with the cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LiveState {
    /// Not in the cluster: applying creates it.
    Added,
    /// In the cluster, and applying changes it.
    Changed,
    /// Applying changes nothing.
    Unchanged,
    /// The server refused the dry-run apply.
    Failed(Failure),
}

/// One object of [`diff_live`].
#[derive(Clone, Debug)]
pub struct LiveDiff {
    /// Index into the manifests.
    pub index: usize,
    /// What applying would do.
    pub state: LiveState,
    /// The live object as YAML, without server-owned fields (empty when absent).
    pub live: String,
    /// The result of a server-side dry-run apply, as YAML, without server-owned fields.
    pub merged: String,
}

impl LiveDiff {
    /// An object the server refused to show or dry-run.
    fn failed(index: usize, f: Failure) -> LiveDiff {
        LiveDiff { index, state: LiveState::Failed(f), live: String::new(), merged: String::new() }
    }
}

/// The result of [`diff_live`].
#[derive(Clone, Debug, Default)]
pub struct LiveReport {
    /// One entry per manifest, in order.
    pub objects: Vec<LiveDiff>,
    /// hlc's objects in the cluster (of the stacks in scope) that left the output, with their
    /// live YAML.
    pub stale: Vec<(Stale, String)>,
    /// The API server's URL.
    pub server: String,
}

/// Remove what the server owns and what changes on every write: `metadata.managedFields`,
/// `resourceVersion`, `generation`, `uid`, `creationTimestamp`, and `status`.
pub fn strip_server_fields(doc: &mut Json) {
    if let Some(Json::Object(meta)) = doc.get_mut("metadata") {
        for k in ["managedFields", "resourceVersion", "generation", "uid", "creationTimestamp"] {
            meta.remove(k);
        }
    }
    if let Json::Object(m) = doc {
        m.remove("status");
    }
}

/// YAML text of a JSON value, written as `hlc build` writes its files (for diffs).
pub fn to_yaml(doc: &Json) -> String {
    hl_emit::to_yaml(doc)
}

/// For every manifest, GET the live object and the result of a server-side dry-run apply
/// (forced: the diff shows hlc's values even on fields another manager owns) and compare them
/// without server-owned fields; also list the stale objects of the stacks in `prune_stacks`.
/// Nothing is written.
pub fn diff_live(
    target: &Target,
    manifests: &[Manifest],
    prune_stacks: Option<&[String]>,
    stack_label: &str,
    custom_kinds: &[(String, String)],
) -> Result<LiveReport, Error> {
    runtime()?.block_on(async {
        let (client, server) = connect(target).await?;
        let mut r = Resolver { client, server: server.clone(), cache: HashMap::new() };
        let mut report = LiveReport { server, ..Default::default() };
        let params = patch_params(true, true);
        for (index, m) in manifests.iter().enumerate() {
            let api = match r.resolve_in(m.api_version(), m.kind(), m.namespace()).await? {
                Ok(api) => api,
                Err(f) => {
                    report.objects.push(LiveDiff::failed(index, f));
                    continue;
                }
            };
            let live = match api.get_opt(m.name()).await {
                Ok(l) => l,
                Err(e) => match classify(e, &r.server) {
                    Problem::Object(f) => {
                        report.objects.push(LiveDiff::failed(index, f));
                        continue;
                    }
                    Problem::Fatal(e) => return Err(e),
                },
            };
            let merged = match api.patch(m.name(), &params, &Patch::Apply(&m.doc)).await {
                Ok(obj) => obj,
                Err(e) => match classify(e, &r.server) {
                    Problem::Object(f) => {
                        report.objects.push(LiveDiff::failed(index, f));
                        continue;
                    }
                    Problem::Fatal(e) => return Err(e),
                },
            };
            let text = |o: &DynamicObject| {
                let mut v = serde_json::to_value(o).unwrap_or(Json::Null);
                strip_server_fields(&mut v);
                to_yaml(&v)
            };
            let merged = text(&merged);
            let (state, live) = match live {
                None => (LiveState::Added, String::new()),
                Some(l) => {
                    let l = text(&l);
                    (if l == merged { LiveState::Unchanged } else { LiveState::Changed }, l)
                }
            };
            report.objects.push(LiveDiff { index, state, live, merged });
        }
        let stale = find_stale(&mut r, manifests, prune_stacks, stack_label, custom_kinds).await?;
        for s in stale {
            let yaml = match r.resolve_in(&s.api_version, &s.kind, s.namespace.as_deref()).await? {
                Ok(api) => match api.get_opt(&s.name).await {
                    Ok(Some(o)) => {
                        let mut v = serde_json::to_value(&o).unwrap_or(Json::Null);
                        strip_server_fields(&mut v);
                        to_yaml(&v)
                    }
                    _ => String::new(),
                },
                Err(_) => String::new(),
            };
            report.stale.push((s, yaml));
        }
        Ok(report)
    })
}

/// Group manifests by stack, for reports: stack → indices.
pub fn by_stack(manifests: &[Manifest]) -> BTreeMap<&str, Vec<usize>> {
    let mut out: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, m) in manifests.iter().enumerate() {
        out.entry(m.stack.as_str()).or_default().push(i);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflict_managers_are_read_from_the_message() {
        let msg = r#"Apply failed with 2 conflicts: conflict with "kubectl-edit" using apps/v1: .spec.replicas, conflict with "helm" using apps/v1: .spec.template"#;
        assert_eq!(conflict_managers(msg), vec!["kubectl-edit".to_string(), "helm".to_string()]);
    }

    #[test]
    fn manifests_come_in_wave_order_namespaces_first() {
        let ns = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n";
        let dep = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: a\n  namespace: a\n";
        let arts = [
            ("k8s/b/deployment-a.yaml", dep),
            ("k8s/a/deployment-a.yaml", dep),
            ("k8s/a/namespace-a.yaml", ns),
            ("k8s/a/kustomization.yaml", "resources: []\n"),
            ("k8s/flux/a.yaml", ns),
        ];
        let waves = vec![vec!["a".to_string()], vec!["b".to_string()]];
        let m = manifests(arts, &waves).expect("parses");
        let paths: Vec<&str> = m.iter().map(|m| m.path.as_str()).collect();
        assert_eq!(paths, ["k8s/a/namespace-a.yaml", "k8s/a/deployment-a.yaml", "k8s/b/deployment-a.yaml"]);
        assert_eq!(m[2].wave, 1);
        assert_eq!(m[1].namespace(), Some("a"));
    }

    #[test]
    fn a_service_account_comes_before_its_token_secret() {
        let sa = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: z\n  namespace: a\n";
        let token = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: a-token\n  namespace: a\n  annotations:\n    \
                     kubernetes.io/service-account.name: z\ntype: kubernetes.io/service-account-token\n";
        let arts = [("k8s/a/secret-a-token.yaml", token), ("k8s/a/serviceaccount-z.yaml", sa)];
        let m = manifests(arts, &[vec!["a".to_string()]]).expect("parses");
        let kinds: Vec<&str> = m.iter().map(Manifest::kind).collect();
        assert_eq!(kinds, ["ServiceAccount", "Secret"]);
    }
}
