//! The hl compiler as a library: source files in; diagnostics, the typed domain model, the
//! stack graph and output files out.
//!
//! ```text
//!  text ─parse─▶ AST ─evaluate─▶ Value ─model─▶ Model ─check/graph─▶ ─emit─▶ Artifacts
//!  hl-syntax        hl-eval          hl-model       hl-check hl-graph   hl-emit
//! ```
//!
//! Files come in through a [`Host`] (the only door to the outside: [`MemoryHost`] for a
//! workspace held in memory, [`DiskHost`] for a directory) or as [`InputText`]s. Nothing here
//! prints, exits the process, reads the clock or the environment, or keeps global state (but
//! for one cache: the standard library's parse, the same in every compilation); any
//! number of compilations may run at once on different threads. A loop in user code is cut
//! off by the evaluation step limit ([`Limits`]) with a diagnostic, never a hang.
//!
//! ```
//! use hlc_core::{MemoryHost, compile_host};
//!
//! let host = MemoryHost::new().with_file(
//!     "web.hl",
//!     r#"
//!     stack web {
//!       namespace web {}
//!       service web {
//!         image = "nginx:1.27"
//!         port http = 80
//!         resources { cpu = 10m, memory = 64Mi }
//!       }
//!     }
//!     "#,
//! );
//! let c = compile_host(&host)?;
//! assert!(!c.has_errors());
//! let deployment = c.artifact("k8s/web/deployment-web.yaml").expect("emitted");
//! assert!(deployment.contents.contains("image: nginx:1.27"));
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! Errors in the input are data: each [`Diagnostic`] has a stable code, a severity, a primary
//! span (resolve it to a line and column with [`Compilation::line_col`]), labels and help.
//!
//! ```
//! use hlc_core::{MemoryHost, compile_host};
//!
//! let host = MemoryHost::new().with_file("web.hl", "stack web { namespace web { tier = \"gold\" } }");
//! let c = compile_host(&host)?;
//! let d = &c.diagnostics[0];
//! assert_eq!(d.code.info().code, "E0214"); // the workspace declares no tier `gold`
//! assert!(d.is_error());
//! let at = c.line_col(d.primary.span).expect("a workspace file");
//! assert_eq!((at.path.as_str(), at.line, at.col), ("web.hl", 1, 36));
//! assert!(c.artifacts.is_empty(), "nothing is emitted from a workspace with errors");
//! # Ok::<(), std::io::Error>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod db;
mod host;
pub mod names;

use hl_diagnostics::{Code, FileId, Sources, Span};
use hl_model::Model;
use rayon::prelude::*;

pub use db::{Cancelled, Session, Snapshot};
pub use host::{DiskHost, Host, MemoryHost, load};

pub use hl_check::Waived;
pub use hl_check::backup::{Coverage, coverage, format_minutes};
pub use hl_check::crd::CrdSchemas;
pub use hl_diagnostics as diagnostics;
pub use hl_diagnostics::{Diagnostic, Severity};
pub use hl_emit::Artifact;
pub use hl_eval::Limits;
/// Format one file in the canonical layout (`hlc fmt`); files with syntax errors are returned
/// as their diagnostics.
pub use hl_fmt::format as format_source;
pub use hl_graph::{Graph, View as GraphView};
pub use hl_model as model;
pub use hl_types as types;

/// The standard library, embedded in the compiler: (logical path, text).
pub const STDLIB: &[(&str, &str)] = &[
    ("std/cluster.hl", include_str!("../../../stdlib/cluster.hl")),
    ("std/k8s.hl", include_str!("../../../stdlib/k8s.hl")),
    ("std/backup.hl", include_str!("../../../stdlib/backup.hl")),
    ("std/proxmox.hl", include_str!("../../../stdlib/proxmox.hl")),
    ("std/pod.hl", include_str!("../../../stdlib/pod.hl")),
    ("std/objects.hl", include_str!("../../../stdlib/objects.hl")),
    ("std/traefik.hl", include_str!("../../../stdlib/traefik.hl")),
];

/// One input file: its path relative to the workspace root (with `/`), the path to show in
/// diagnostics, and its raw bytes.
#[derive(Clone, Debug)]
pub struct InputText {
    /// Relative to the workspace root, `/`-separated (`apps/web.hl`).
    pub path: String,
    /// How diagnostics name the file (`stacks/apps/web.hl`).
    pub display: String,
    /// The raw contents; text that is not UTF-8 or holds NUL bytes is reported, not read.
    pub bytes: Vec<u8>,
}

/// Everything one compilation produced.
pub struct Compilation {
    /// Every file read (the standard library first), for resolving spans.
    pub sources: Sources,
    /// Sorted by file and position; errors and warnings.
    pub diagnostics: Vec<Diagnostic>,
    /// The typed domain model: stacks (namespaces, services, ingresses, volumes, secrets,
    /// Helm releases), the Proxmox host and its VMs, the host backup steps.
    ///
    /// It is read even when there are errors (what could not be read is left out), with the
    /// standard library's defaults applied, and every declaration keeps the span of its name.
    ///
    /// ```
    /// use hlc_core::model::{AuthMode, WorkloadKind};
    /// use hlc_core::{MemoryHost, compile_host};
    ///
    /// let cluster = r#"cluster {
    ///   domain = "example.org"
    ///   tiers = { "aux": TierPolicy { label = "tier-aux" } }
    ///   storage_classes = { "lvm": StorageClassPolicy { claim_suffix = "-proxmox", needs_backup = true } }
    ///   default_storage_class = "lvm"
    /// }"#;
    /// let host = MemoryHost::new().with_file("cluster.hl", cluster).with_file(
    ///     "freshrss.hl",
    ///     r#"
    ///     stack freshrss {
    ///       namespace freshrss { tier = "aux" }
    ///       service freshrss {
    ///         image = "freshrss/freshrss:1.26.0"
    ///         port http = 80
    ///         resources { cpu = 15m, memory = 256Mi }
    ///         volume data = pvc(1Gi, mount = "/var/www/FreshRSS/data")
    ///         ingress rss {
    ///           auth = app("FreshRSS has its own login")
    ///           dns = proxied
    ///         }
    ///       }
    ///     }
    ///     "#,
    /// );
    /// let c = compile_host(&host)?;
    /// let stack = &c.model.stacks[0];
    /// assert_eq!(stack.namespaces[0].tier.as_deref(), Some("aux"));
    /// assert_eq!(c.model.facts.tier_policies["aux"].label, "tier-aux");
    ///
    /// let svc = &stack.services[0];
    /// assert_eq!((svc.kind, svc.namespace.as_str(), svc.replicas), (WorkloadKind::Deployment, "freshrss", 1));
    /// assert_eq!(svc.resources.memory.as_deref(), Some("256Mi"));
    /// // The claim name defaults to `<service>-<volume>` and its class's suffix ...
    /// assert_eq!(svc.volumes[0].source.claim_name(), Some("freshrss-data-proxmox"));
    /// // ... and no backup job copies it: a warning, which does not stop the build.
    /// assert!(c.diagnostics.iter().any(|d| d.code.info().name == "no-backup"));
    /// assert!(!c.has_errors());
    ///
    /// let ing = stack.all_ingresses().next().expect("one ingress");
    /// assert_eq!((ing.host.as_str(), ing.auth, ing.port), ("rss.example.org", AuthMode::App, 80));
    /// assert_eq!(ing.auth_reason.as_deref(), Some("FreshRSS has its own login"));
    ///
    /// let at = c.line_col(svc.span).expect("a workspace file");
    /// assert_eq!((at.path.as_str(), at.line, at.col), ("freshrss.hl", 4, 15));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub model: std::sync::Arc<Model>,
    /// The stack dependency graph with its apply waves.
    ///
    /// ```
    /// use hlc_core::{MemoryHost, compile_host};
    ///
    /// let host = MemoryHost::new()
    ///     // The cluster facts name the bootstrap (State tier 0) stacks.
    ///     .with_file("cluster.hl", r#"cluster { tier0_stacks = ["platform"] }"#)
    ///     .with_file("platform.hl", "stack platform {\n  state_tier = 0\n  namespace platform {}\n}\n")
    ///     .with_file("blog.hl", "stack blog {\n  depends_on = [platform]\n  namespace blog {}\n}\n");
    /// let c = compile_host(&host)?;
    /// assert!(!c.has_errors());
    /// // Tier 0 (bootstrap) stacks are applied first.
    /// assert_eq!(c.graph.waves, [["platform"], ["blog"]]);
    /// let deps: Vec<&str> = c.graph.dependencies("blog").map(|e| e.to.as_str()).collect();
    /// assert_eq!(deps, ["platform"]);
    /// // Without a `flux` setting there is no Flux directory.
    /// assert!(c.artifacts.iter().all(|a| !a.path.starts_with("k8s/flux/")));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub graph: Graph,
    /// Warnings the stacks accepted, with their reasons.
    ///
    /// ```
    /// use hlc_core::{MemoryHost, compile_host};
    ///
    /// let host = MemoryHost::new().with_file(
    ///     "scratch.hl",
    ///     r#"
    ///     cluster { tiers = { "aux": TierPolicy {} } }
    ///     stack scratch {
    ///       namespace scratch { }
    ///       waive = { "namespace-tier": "a throwaway namespace for experiments" }
    ///     }
    ///     "#,
    /// );
    /// let c = compile_host(&host)?;
    /// assert!(c.diagnostics.is_empty(), "the warning is waived, not reported");
    /// let w = &c.waived[0];
    /// assert_eq!((w.stack.as_str(), w.code), ("scratch", "E0521"));
    /// assert_eq!(w.reason, "a throwaway namespace for experiments");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub waived: Vec<Waived>,
    /// Output files sorted by path. Empty when there are errors, or when
    /// [`Options::artifacts`] was off.
    pub artifacts: Vec<Artifact>,
    /// How many Kubernetes objects the output holds: every stack's objects and, when the
    /// workspace sets `flux`, the Flux GitRepository and one Flux Kustomization per stack that
    /// emits objects (see [`flux_artifacts`]). The `kustomization.yaml` files are not objects.
    /// Zero when there are errors.
    pub objects: usize,
    /// For each emitted Kubernetes object's file: the declaration it comes from.
    pub origins: std::collections::BTreeMap<String, Span>,
}

impl Compilation {
    /// Whether any diagnostic is an error (then nothing was emitted).
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// The output file at `path` (`k8s/<stack>/<kind>-<name>.yaml`, `proxmox/inventory.json`, ...).
    pub fn artifact(&self, path: &str) -> Option<&Artifact> {
        self.artifacts.binary_search_by(|a| a.path.as_str().cmp(path)).ok().map(|i| &self.artifacts[i])
    }

    /// The file, line and column (1-based, in characters) where a span starts.
    pub fn line_col(&self, span: Span) -> Option<Location> {
        let file = self.sources.get(span.file)?;
        let lc = file.line_col(span.start);
        Some(Location { path: file.path.clone(), line: lc.line, col: lc.col })
    }
}

/// Where a span starts, for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The file as diagnostics name it.
    pub path: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub col: u32,
}

/// What a compilation reports while it runs, to show progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Progress {
    /// Reading and parsing the files.
    Parsing {
        /// How many workspace files.
        files: usize,
    },
    /// Evaluating the workspace and reading the domain model.
    Evaluating,
    /// Running the domain checks and building the stack graph.
    Checking,
    /// Emitting the stacks; one [`Progress::StackEmitted`] follows per stack, from any thread.
    Emitting {
        /// How many stacks.
        stacks: usize,
    },
    /// One more stack emitted.
    StackEmitted,
}

/// How to compile: limits and a progress callback.
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use hlc_core::{Limits, MemoryHost, Options, Progress, compile_with, load};
///
/// let files = load(&MemoryHost::new().with_file("a.hl", "stack a { namespace a {} }"))?;
/// let emitted = AtomicUsize::new(0);
/// let on_progress = |p: Progress| {
///     if p == Progress::StackEmitted {
///         emitted.fetch_add(1, Ordering::Relaxed);
///     }
/// };
/// let options = Options { limits: Limits::default(), progress: Some(&on_progress), ..Options::default() };
/// let c = compile_with(files, &options);
/// assert_eq!((c.model.stacks.len(), emitted.load(Ordering::Relaxed)), (1, 1));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Copy)]
pub struct Options<'a> {
    /// Bounds on evaluation (steps, call depth); exceeding one is a diagnostic.
    pub limits: Limits,
    /// Called as the compilation moves through its stages.
    pub progress: Option<&'a (dyn Fn(Progress) + Sync)>,
    /// Lay the output out as files ([`Compilation::artifacts`]); on by default. A check, which
    /// only reports, turns it off: it still emits every object (emitting finds problems) and
    /// counts them in [`Compilation::objects`].
    pub artifacts: bool,
    /// The process exits once it has the result: leave the compiler's working memory (every
    /// memo) to the operating system rather than free it piece by piece, as compilers
    /// commonly do. Off by default; only a one-shot command line turns it on.
    pub exiting: bool,
    /// Hand the output files to this as they are laid out instead of collecting them in
    /// [`Compilation::artifacts`] and [`Compilation::origins`], which then stay empty. It is
    /// called only when there are no errors, with a batch at a time (one stack's files, a
    /// share of the rest), from several threads at once and in no set order, while the
    /// compilation finishes its other work. The compiler does no IO itself: writing the files
    /// is the caller's (the CLI writes them into a staging directory).
    ///
    /// ```
    /// use std::sync::Mutex;
    /// use hlc_core::{MemoryHost, Options, OutputFile, compile_with, load};
    ///
    /// let files = load(&MemoryHost::new().with_file("a.hl", "stack a { namespace a {} }"))?;
    /// let paths = Mutex::new(Vec::new());
    /// let writer = |batch: &[OutputFile<'_>]| {
    ///     paths.lock().expect("not poisoned").extend(batch.iter().map(|f| f.path.to_string()));
    /// };
    /// let c = compile_with(files, &Options { writer: Some(&writer), ..Options::default() });
    /// assert!(c.artifacts.is_empty());
    /// let mut paths = paths.into_inner().expect("not poisoned");
    /// paths.sort();
    /// assert!(paths.contains(&"k8s/a/namespace-a.yaml".to_string()));
    /// assert!(paths.contains(&"graph.json".to_string()));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub writer: Option<&'a Writer<'a>>,
    /// The schemas of the cluster's custom resources: every `manifest` is checked against its
    /// kind's (E0215). `None` (the default): manifests are checked for their kind and
    /// namespace only.
    pub crd_schemas: Option<&'a hl_check::crd::CrdSchemas>,
}

impl Default for Options<'_> {
    fn default() -> Self {
        Options {
            limits: Limits::default(),
            progress: None,
            artifacts: true,
            exiting: false,
            writer: None,
            crd_schemas: None,
        }
    }
}

/// Takes output files as they are laid out: see [`Options::writer`].
pub type Writer<'a> = dyn Fn(&[OutputFile<'_>]) + Sync + 'a;

/// One output file as an [`Options::writer`] receives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutputFile<'a> {
    /// Relative path with `/` separators, as [`Artifact::path`].
    pub path: &'a str,
    /// The whole file, ending in a newline.
    pub contents: &'a str,
}

impl Options<'_> {
    fn report(&self, p: Progress) {
        if let Some(f) = self.progress {
            f(p);
        }
    }
}

/// Compile the workspace a [`Host`] provides. Fails only when the host cannot list or read
/// its files; everything wrong with their contents is a diagnostic in the result.
pub fn compile_host(host: &dyn Host) -> std::io::Result<Compilation> {
    Ok(compile(load(host)?))
}

/// Compile a workspace.
///
/// Runs on threads with a large stack, so that deeply nested (but accepted) input cannot
/// overflow the caller's stack.
pub fn compile(files: Vec<InputText>) -> Compilation {
    compile_with(files, &Options::default())
}

/// [`compile`] with explicit [`Options`].
pub fn compile_with(files: Vec<InputText>, options: &Options<'_>) -> Compilation {
    let mut session = Session::new(options.limits);
    session.set_files(files);
    let compiled = session.snapshot().compile(options);
    if options.exiting {
        std::mem::forget(session);
    } else {
        // Freeing every memo of a large workspace takes a while; nothing waits for it.
        let _ = std::thread::Builder::new().name("hlc-free".into()).spawn(move || drop(session));
    }
    match compiled {
        Ok(c) => with_schemas(c, options.crd_schemas),
        // Only a change to the session cancels, and no one else holds this one: a query
        // panicked on another thread.
        Err(Cancelled) => panic!("hlc: a compilation step failed on another thread"),
    }
}

/// The manifests against their CRDs' schemas, when given: each mismatch is an error, and an
/// output with errors is no output (the files a writer was handed are the caller's to drop,
/// as for any failed build).
fn with_schemas(mut c: Compilation, schemas: Option<&hl_check::crd::CrdSchemas>) -> Compilation {
    let Some(schemas) = schemas else { return c };
    let found = hl_check::crd::check_manifests(&c.model, schemas);
    if found.is_empty() {
        return c;
    }
    c.diagnostics.extend(found);
    c.diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    c.artifacts.clear();
    c.origins.clear();
    c.objects = 0;
    c
}

/// How many times this process has parsed a file of the standard library: once per file,
/// however many compilations and sessions it runs (their syntax trees are shared).
pub fn stdlib_parse_count() -> usize {
    db::STDLIB_PARSES.load(std::sync::atomic::Ordering::Relaxed)
}

/// Emit every stack (in parallel) and lay the objects out as files.
pub fn emit(model: &Model) -> (Vec<Artifact>, Vec<Diagnostic>) {
    let outputs: Vec<hl_emit::StackOutput> =
        model.stacks.par_iter().map(|s| hl_emit::emit_stack(s, &model.facts)).collect();
    let named: Vec<(String, &hl_emit::StackOutput)> =
        model.stacks.iter().map(|s| s.name.clone()).zip(outputs.iter()).collect();
    let mut diags = cross_stack_collisions(&named);
    let mut artifacts = Vec::new();
    let mut origins = std::collections::BTreeMap::new();
    for (stack, out) in model.stacks.iter().zip(&outputs) {
        let (files, from) = lay_out(&stack.name, out);
        artifacts.extend(files);
        origins.extend(from);
        diags.extend(out.diagnostics.iter().cloned());
    }
    // Paths are unique.
    artifacts.par_sort_unstable_by(|a, b| a.path.cmp(&b.path));
    (artifacts, diags)
}

/// Where one stack's files go: a path per object, in the objects' order, and the stack's
/// `kustomization.yaml` with its text (none for a stack without objects).
struct StackFiles {
    paths: Vec<String>,
    kustomization: Option<(String, String)>,
}

/// One stack's objects as files: `k8s/<stack>/<kind>-<name>.yaml`, or
/// `<kind>-<namespace>-<name>.yaml` for objects whose kind and name recur in several
/// namespaces of the stack (a ConfigMap per namespace, say), and its `kustomization.yaml`.
fn stack_files(stack: &str, out: &hl_emit::StackOutput) -> StackFiles {
    let prefix = format!("k8s/{stack}/");
    let path = |obj: &hl_emit::Object, ns: Option<&str>| {
        let mut p = String::with_capacity(prefix.len() + obj.kind.len() + obj.name.len() + 7);
        p.push_str(&prefix);
        obj.push_file_name(ns, &mut p);
        p
    };
    let mut paths: Vec<String> = out.objects.iter().map(|obj| path(obj, None)).collect();
    let mut seen: rustc_hash::FxHashMap<&str, usize> = Default::default();
    for p in &paths {
        *seen.entry(p).or_default() += 1;
    }
    let recurring: Vec<usize> = (0..paths.len())
        .filter(|&i| seen.get(paths[i].as_str()).is_some_and(|&n| n > 1) && out.objects[i].namespace.is_some())
        .collect();
    for i in recurring {
        let obj = &out.objects[i];
        paths[i] = path(obj, obj.namespace.as_deref());
    }
    let kustomization = (!paths.is_empty()).then(|| {
        let names: Vec<&str> = paths.iter().map(|p| &p[prefix.len()..]).collect();
        (format!("{prefix}kustomization.yaml"), hl_emit::kustomization(&names))
    });
    StackFiles { paths, kustomization }
}

/// One stack's files as [`Artifact`]s (see [`stack_files`]), and for each object's file the
/// declaration it comes from.
fn lay_out(stack: &str, out: &hl_emit::StackOutput) -> (Vec<Artifact>, Vec<(String, Span)>) {
    let files = stack_files(stack, out);
    let mut artifacts = Vec::with_capacity(files.paths.len() + 1);
    let mut origins = Vec::with_capacity(files.paths.len());
    for (path, obj) in files.paths.into_iter().zip(&out.objects) {
        origins.push((path.clone(), obj.origin));
        artifacts.push(Artifact { path, contents: obj.yaml.clone() });
    }
    if let Some((path, contents)) = files.kustomization {
        artifacts.push(Artifact { path, contents });
    }
    (artifacts, origins)
}

/// Hand one stack's files (see [`stack_files`]) to a writer in one batch, without copying them.
fn write_stack(stack: &str, out: &hl_emit::StackOutput, write: &Writer<'_>) {
    let files = stack_files(stack, out);
    let mut batch: Vec<OutputFile<'_>> =
        files.paths.iter().zip(&out.objects).map(|(path, obj)| OutputFile { path, contents: &obj.yaml }).collect();
    if let Some((path, contents)) = &files.kustomization {
        batch.push(OutputFile { path, contents });
    }
    write(&batch);
}

/// The files that are not one stack's: the graph, the Flux objects (when the workspace sets
/// `flux`; see [`flux_artifacts`]), the PVE host's backup units and the Proxmox files.
/// `applies(stack)` says whether a stack emits any object.
fn workspace_artifacts(graph: &Graph, model: &Model, applies: &Applies<'_>) -> Vec<Artifact> {
    // The graph files and the Flux objects (one per stack) are built side by side.
    let (mut artifacts, flux) = rayon::join(
        || graph_artifacts(graph),
        || {
            let Some(source) = model.flux.as_ref() else { return Vec::new() };
            let enrolled: rustc_hash::FxHashSet<&str> = model
                .stacks
                .iter()
                .flat_map(|s| s.namespaces.iter())
                .filter(|ns| ns.keel)
                .map(|ns| ns.name.as_str())
                .collect();
            let by_name: rustc_hash::FxHashMap<&str, &hl_model::Stack> =
                model.stacks.iter().map(|s| (s.name.as_str(), &**s)).collect();
            // Keel owns images only in a cluster that runs it.
            let owners = |stack: &str| match by_name.get(stack) {
                Some(s) if model.facts.keel => hl_emit::keel_owned(s, &|ns| enrolled.contains(ns)),
                _ => Vec::new(),
            };
            flux_artifacts(graph, source, applies, &owners)
        },
    );
    artifacts.extend(flux);
    for b in &model.host_backups {
        let stem = hl_emit::unit_name(b);
        artifacts.push(Artifact { path: format!("backup/host/{stem}.service"), contents: hl_emit::service_unit(b) });
        if let Some(timer) = hl_emit::timer_unit(b) {
            artifacts.push(Artifact { path: format!("backup/host/{stem}.timer"), contents: timer });
        }
    }
    artifacts.extend(hl_emit::proxmox_artifacts(&model.proxmox));
    artifacts
}

/// Whether a stack (by name) emits any object, so that Flux has something to apply for it.
pub type Applies<'a> = dyn Fn(&str) -> bool + Sync + 'a;

/// The workloads of a stack (by name) whose images Keel owns; see [`hl_emit::keel_owned`].
pub type ImageOwners<'a> = dyn Fn(&str) -> Vec<hl_emit::ImageOwner> + Sync + 'a;

/// How many Kubernetes objects [`flux_artifacts`] writes: a Kustomization per stack that
/// `applies` and the GitRepository; none without a `flux` setting.
fn flux_objects(graph: &Graph, model: &Model, applies: &Applies<'_>) -> usize {
    match model.flux {
        Some(_) => 1 + graph.stacks.iter().filter(|s| applies(s)).count(),
        None => 0,
    }
}

/// The Flux objects of `k8s/flux/`, for a workspace whose `flux` setting is `source`: the
/// `GitRepository` (`gitrepository.<name>.yaml`, a name no stack's file can have), a
/// `Kustomization` per stack that `applies` (`<stack>.yaml`), and a `kustomization.yaml` listing
/// them all. A stack that emits nothing gets no Kustomization, since its directory is never
/// written (and git keeps no empty directory): a Kustomization depending on it depends instead
/// on what it depends on, transitively, so that the apply order still follows the graph.
/// Each `dependsOn` is sorted and without repeats.
///
/// ```
/// use hlc_core::{MemoryHost, compile_host};
///
/// let host = MemoryHost::new()
///     .with_file("flux.hl", "flux {\n  url = \"https://example.org/infra.git\"\n  branch = \"main\"\n  path = \"out\"\n}\n")
///     // The cluster facts name the bootstrap (State tier 0) stacks.
///     .with_file("cluster.hl", r#"cluster { tier0_stacks = ["platform"] }"#)
///     .with_file("platform.hl", "stack platform {\n  state_tier = 0\n  namespace platform {}\n}\n")
///     // `rbac` emits nothing: `blog` depends on `platform` through it.
///     .with_file("rbac.hl", "stack rbac {\n  depends_on = [platform]\n}\n")
///     .with_file("blog.hl", "stack blog {\n  depends_on = [rbac]\n  namespace blog {}\n}\n");
/// let c = compile_host(&host)?;
/// assert!(!c.has_errors());
/// let blog = c.artifact("k8s/flux/blog.yaml").expect("blog applies");
/// assert!(blog.contents.contains("path: ./out/k8s/blog\n"));
/// assert!(blog.contents.ends_with("dependsOn:\n  - name: platform\n"));
/// assert!(c.artifact("k8s/flux/rbac.yaml").is_none());
/// assert!(c.artifact("k8s/flux/gitrepository.homelab.yaml").is_some());
/// let list = &c.artifact("k8s/flux/kustomization.yaml").expect("listed").contents;
/// assert!(list.ends_with("- blog.yaml\n- gitrepository.homelab.yaml\n- platform.yaml\n"));
/// // Every object is counted: the stacks', two Kustomizations and the GitRepository.
/// let files = c.artifacts.iter().filter(|a| a.path.starts_with("k8s/") && !a.path.ends_with("/kustomization.yaml"));
/// assert_eq!(c.objects, files.count());
/// # Ok::<(), std::io::Error>(())
/// ```
/// `image_owners(stack)` lists the stack's workloads whose images another controller (Keel)
/// updates, which the stack's Kustomization leaves alone after creation.
pub fn flux_artifacts(
    graph: &Graph,
    source: &hl_model::FluxSource,
    applies: &Applies<'_>,
    image_owners: &ImageOwners<'_>,
) -> Vec<Artifact> {
    let through = through_empty(graph, applies);
    let mut files: Vec<Artifact> = graph
        .stacks
        .par_iter()
        .filter(|stack| applies(stack))
        .map(|stack| {
            let mut deps = std::collections::BTreeSet::new();
            for e in graph.dependencies(stack) {
                let to = e.to.as_str();
                if applies(to) {
                    deps.insert(to);
                } else if let Some(reached) = through.get(to) {
                    deps.extend(reached.iter().copied());
                }
            }
            deps.remove(stack.as_str());
            let deps: Vec<&str> = deps.into_iter().collect();
            Artifact {
                path: format!("k8s/flux/{stack}.yaml"),
                contents: hl_emit::flux_kustomization(stack, &deps, source, &image_owners(stack)),
            }
        })
        .collect();
    files.push(Artifact {
        path: format!("k8s/flux/gitrepository.{}.yaml", source.name),
        contents: hl_emit::flux_git_repository(source),
    });
    let names: Vec<&str> = files.iter().filter_map(|a| a.path.strip_prefix("k8s/flux/")).collect();
    let list = hl_emit::kustomization(&names);
    files.push(Artifact { path: "k8s/flux/kustomization.yaml".into(), contents: list });
    files
}

/// For each stack that emits nothing (`!applies`), the stacks that emit something it leads to:
/// its dependencies that apply, and those its empty dependencies lead to, sorted. A cycle
/// (which an error has reported, so that nothing is written) is cut where it closes.
fn through_empty<'g>(graph: &'g Graph, applies: &Applies<'_>) -> rustc_hash::FxHashMap<&'g str, Vec<&'g str>> {
    let mut done: rustc_hash::FxHashMap<&'g str, Vec<&'g str>> = Default::default();
    let mut open: rustc_hash::FxHashSet<&'g str> = Default::default();
    for start in graph.stacks.iter().map(String::as_str).filter(|s| !applies(s)) {
        // Depth first, without recursion: a stack is finished once its empty dependencies are.
        let mut todo = vec![(start, false)];
        while let Some((stack, deps_done)) = todo.pop() {
            if done.contains_key(stack) {
                continue;
            }
            if !deps_done {
                if !open.insert(stack) {
                    continue;
                }
                todo.push((stack, true));
                let empty = graph.dependencies(stack).map(|e| e.to.as_str()).filter(|d| !applies(d));
                todo.extend(empty.filter(|d| !done.contains_key(d) && !open.contains(d)).map(|d| (d, false)));
                continue;
            }
            let mut reached = std::collections::BTreeSet::new();
            for e in graph.dependencies(stack) {
                let to = e.to.as_str();
                if applies(to) {
                    reached.insert(to);
                } else if let Some(r) = done.get(to) {
                    reached.extend(r.iter().copied());
                }
            }
            open.remove(stack);
            done.insert(stack, reached.into_iter().collect());
        }
    }
    done
}

/// The apply waves as text, one line per wave.
pub fn graph_text(g: &Graph) -> String {
    hl_graph::to_text(g)
}

/// `graph.json`.
pub fn graph_json(g: &Graph) -> String {
    hl_graph::to_json(g)
}

/// `graph.dot` (Graphviz).
pub fn graph_dot(g: &Graph) -> String {
    hl_graph::to_dot(g)
}

/// `graph.mmd` (Mermaid).
pub fn graph_mermaid(g: &Graph) -> String {
    hl_graph::to_mermaid(g)
}

/// A picture of part of the graph (a stack's neighbourhood, with or without the implied edges
/// to Tier 0), as SVG and as Graphviz.
pub fn graph_picture(g: &Graph, view: &hl_graph::View) -> (String, String) {
    let (picked, hidden) = hl_graph::select(g, view);
    (hl_graph::render::to_svg(&picked, hidden), hl_graph::render::to_dot(&picked, hidden))
}

/// The graph in four forms: `graph.json`, `graph.dot`, `graph.mmd`, `graph.svg`.
pub fn graph_artifacts(graph: &Graph) -> Vec<Artifact> {
    let file = |path: &str, contents: String| Artifact { path: path.into(), contents };
    // The SVG and DOT pictures show the same selection of the graph: made once.
    let ((json, mermaid), (svg, dot)) = rayon::join(
        || (hl_graph::to_json(graph), hl_graph::to_mermaid(graph)),
        || graph_picture(graph, &hl_graph::View::default()),
    );
    vec![file("graph.json", json), file("graph.dot", dot), file("graph.mmd", mermaid), file("graph.svg", svg)]
}

/// An object (kind, namespace, name) may belong to one stack only: two stacks applying it
/// would fight over it.
fn cross_stack_collisions(outputs: &[(String, &hl_emit::StackOutput)]) -> Vec<Diagnostic> {
    let mut seen: std::collections::HashMap<(&str, Option<&str>, &str), (&str, Span)> = Default::default();
    let mut diags = Vec::new();
    for (stack, out) in outputs {
        for o in &out.objects {
            let key = (o.kind.as_str(), o.namespace.as_deref(), o.name.as_str());
            match seen.get(&key) {
                Some((other, span)) if *other != stack.as_str() => {
                    let where_ = o.namespace.as_deref().map(|n| format!(" in namespace `{n}`")).unwrap_or_default();
                    diags.push(
                        Diagnostic::new(
                            Code::OutputCollision,
                            format!(
                                "{} `{}`{where_} is emitted by both stack `{other}` and stack `{}`",
                                o.kind, o.name, stack
                            ),
                            o.origin,
                            format!("declared in `{stack}`"),
                        )
                        .with_label(*span, format!("declared in `{other}`"))
                        .with_help("an object belongs to exactly one stack; declare it once"),
                    );
                }
                Some(_) => {}
                None => {
                    seen.insert(key, (stack.as_str(), o.origin));
                }
            }
        }
    }
    diags
}

/// The file id of the first workspace (non-stdlib) file, for tests and tools.
pub fn first_workspace_file(c: &Compilation) -> Option<FileId> {
    c.sources.iter().find(|(_, f)| !f.path.starts_with("<stdlib>")).map(|(id, _)| id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(kind: &str, namespace: Option<&str>, name: &str) -> hl_emit::Object {
        hl_emit::Object {
            api_version: "v1".into(),
            kind: kind.into(),
            name: name.into(),
            namespace: namespace.map(String::from),
            yaml: format!("kind: {kind}\n"),
            origin: Span::default(),
        }
    }

    #[test]
    fn objects_whose_kind_and_name_recur_get_their_namespace_in_the_file_name() {
        let out = hl_emit::StackOutput {
            objects: vec![
                object("Namespace", None, "web"),
                object("ConfigMap", Some("web"), "settings"),
                object("ConfigMap", Some("admin"), "settings"),
                object("Deployment", Some("web"), "web"),
            ],
            diagnostics: Vec::new(),
        };
        let files = stack_files("web", &out);
        assert_eq!(
            files.paths,
            [
                "k8s/web/namespace-web.yaml",
                "k8s/web/configmap-web-settings.yaml",
                "k8s/web/configmap-admin-settings.yaml",
                "k8s/web/deployment-web.yaml",
            ]
        );
        let (path, kustomization) = files.kustomization.expect("a stack with objects has one");
        assert_eq!(path, "k8s/web/kustomization.yaml");
        // Listed by file name, sorted.
        let listed: Vec<&str> = kustomization.lines().filter_map(|l| l.strip_prefix("- ")).collect();
        assert_eq!(
            listed,
            [
                "configmap-admin-settings.yaml",
                "configmap-web-settings.yaml",
                "deployment-web.yaml",
                "namespace-web.yaml"
            ]
        );
    }

    /// A graph of `(stack, its dependencies)`, stacks sorted and edges sorted as `hl-graph`
    /// keeps them.
    fn graph(deps: &[(&str, &[&str])]) -> Graph {
        let mut g = Graph::default();
        for (from, tos) in deps {
            g.stacks.push(from.to_string());
            for to in *tos {
                g.edges.push(hl_graph::Edge {
                    from: from.to_string(),
                    to: to.to_string(),
                    kind: hl_graph::EdgeKind::Explicit,
                    span: Span::default(),
                });
            }
        }
        g.stacks.sort();
        g.edges.sort_by(|a, b| (&a.from, &a.to).cmp(&(&b.from, &b.to)));
        g
    }

    /// Each Kustomization's `dependsOn`, by stack.
    fn depends_on(g: &Graph, empty: &[&str]) -> Vec<(String, Vec<String>)> {
        let source = hl_model::FluxSource {
            name: "src".into(),
            namespace: "flux-system".into(),
            url: "https://example.org/r.git".into(),
            branch: "main".into(),
            secret: None,
            interval_ms: 60_000,
            path: String::new(),
            span: Span::default(),
        };
        let applies = |s: &str| !empty.contains(&s);
        let files = flux_artifacts(g, &source, &applies, &|_| Vec::new());
        let mut listed: Vec<&str> = files.iter().map(|a| a.path.as_str()).collect();
        listed.sort_unstable();
        let expected_files = 2 + g.stacks.iter().filter(|s| applies(s)).count();
        assert_eq!(listed.len(), expected_files, "{listed:?}");
        files
            .iter()
            .filter(|a| a.contents.starts_with("apiVersion: kustomize.toolkit.fluxcd.io/"))
            .map(|a| {
                let name = a.path.trim_start_matches("k8s/flux/").trim_end_matches(".yaml").to_string();
                assert!(a.contents.contains(&format!("path: ./k8s/{name}\n")), "{}", a.contents);
                let deps = a.contents.lines().filter_map(|l| l.strip_prefix("  - name: ")).map(String::from).collect();
                (name, deps)
            })
            .collect()
    }

    fn owned(v: &[(&str, &[&str])]) -> Vec<(String, Vec<String>)> {
        v.iter().map(|(s, d)| (s.to_string(), d.iter().map(|x| x.to_string()).collect())).collect()
    }

    #[test]
    fn depends_on_looks_through_stacks_that_emit_nothing() {
        // app -> e1 -> e2 -> base, app -> e2 (again), app -> db; e1 -> db.
        let g = graph(&[
            ("app", &["db", "e1", "e2"]),
            ("base", &[]),
            ("db", &["base"]),
            ("e1", &["db", "e2"]),
            ("e2", &["base"]),
        ]);
        assert_eq!(depends_on(&g, &["e1", "e2"]), owned(&[("app", &["base", "db"]), ("base", &[]), ("db", &["base"])]));
        // Nothing emitted anywhere below: no dependency left.
        let g = graph(&[("app", &["e1"]), ("e1", &["e2"]), ("e2", &[])]);
        assert_eq!(depends_on(&g, &["e1", "e2"]), owned(&[("app", &[])]));
    }

    #[test]
    fn depends_on_through_a_long_chain_and_a_cycle_ends() {
        // A chain of 2,000 empty stacks, deeper than any recursion would like.
        let names: Vec<String> = (0..2000).map(|i| format!("e{i:04}")).collect();
        let mut deps: Vec<(&str, Vec<&str>)> = vec![("app", vec!["e0000"]), ("base", vec![])];
        for (i, n) in names.iter().enumerate() {
            deps.push((n, vec![names.get(i + 1).map_or("base", String::as_str)]));
        }
        let shaped: Vec<(&str, &[&str])> = deps.iter().map(|(s, d)| (*s, d.as_slice())).collect();
        let empty: Vec<&str> = names.iter().map(String::as_str).collect();
        assert_eq!(depends_on(&graph(&shaped), &empty), owned(&[("app", &["base"]), ("base", &[])]));
        // A cycle among empty stacks (reported as an error, so never written) still ends.
        let g = graph(&[("app", &["e1"]), ("e1", &["e2"]), ("e2", &["e1", "base"]), ("base", &[])]);
        assert_eq!(depends_on(&g, &["e1", "e2"]), owned(&[("app", &["base"]), ("base", &[])]));
    }
}
