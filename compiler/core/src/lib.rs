//! The hl compiler pipeline as a library: source files in, diagnostics, the domain model and
//! output files out. No IO happens here: callers hand in file contents and write the
//! artifacts themselves (the `hlc` CLI does both).
//!
//! ```text
//!  text ─parse─▶ AST ─evaluate─▶ Value ─model─▶ Model ─emit─▶ Artifacts
//!  hl-syntax        hl-eval          hl-model       hl-emit
//! ```

use hl_diagnostics::{Code, Diagnostic, FileId, Sources, Span, sort_and_dedup};
use hl_emit::Artifact;
use hl_eval::{EvalInput, InputFile, Limits};
use hl_model::Model;
use rayon::prelude::*;

pub use hl_check::Waived;
pub use hl_check::backup::{Coverage, coverage, format_minutes};
pub use hl_diagnostics as diagnostics;
/// Format one file in the canonical layout (`hlc fmt`); files with syntax errors are returned
/// as their diagnostics.
pub use hl_fmt::format as format_source;
pub use hl_graph::Graph;
pub use hl_model as model;

/// The standard library, embedded in the compiler: (logical path, text).
pub const STDLIB: &[(&str, &str)] = &[
    ("std/cluster.hl", include_str!("../../../stdlib/cluster.hl")),
    ("std/k8s.hl", include_str!("../../../stdlib/k8s.hl")),
    ("std/backup.hl", include_str!("../../../stdlib/backup.hl")),
    ("std/proxmox.hl", include_str!("../../../stdlib/proxmox.hl")),
];

/// One input file: its path relative to the workspace root (with `/`), the path to show in
/// diagnostics, and its raw bytes.
#[derive(Clone, Debug)]
pub struct InputText {
    pub path: String,
    pub display: String,
    pub bytes: Vec<u8>,
}

/// Everything one compilation produced.
pub struct Compilation {
    pub sources: Sources,
    /// Sorted by file and position; errors and warnings.
    pub diagnostics: Vec<Diagnostic>,
    pub model: Model,
    /// The stack dependency graph with its apply waves.
    pub graph: Graph,
    /// Warnings the stacks accepted, with their reasons.
    pub waived: Vec<Waived>,
    /// Output files sorted by path. Empty when there are errors.
    pub artifacts: Vec<Artifact>,
    /// For each emitted Kubernetes object's file: the declaration it comes from.
    pub origins: std::collections::BTreeMap<String, Span>,
}

impl Compilation {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Stack size of the compiling thread. Expression trees are bounded in depth by the parser's
/// nesting and chain limits; this leaves a wide margin for evaluating the deepest of them.
const STACK_SIZE: usize = 256 * 1024 * 1024;

/// Compile a workspace.
///
/// Runs on a thread of its own with a large stack, so that deeply nested (but accepted) input
/// cannot overflow the caller's stack.
pub fn compile(files: Vec<InputText>) -> Compilation {
    let slot = std::sync::Mutex::new(Some(files));
    let take = || slot.lock().map(|mut s| s.take().unwrap_or_default()).unwrap_or_default();
    std::thread::scope(|scope| {
        let spawned = std::thread::Builder::new()
            .name("hlc-compile".into())
            .stack_size(STACK_SIZE)
            .spawn_scoped(scope, || compile_on_this_thread(take()));
        match spawned {
            Ok(handle) => match handle.join() {
                Ok(c) => c,
                Err(panic) => std::panic::resume_unwind(panic),
            },
            // No thread available: compile here (the closure never ran, the files are still there).
            Err(_) => compile_on_this_thread(take()),
        }
    })
}

fn compile_on_this_thread(files: Vec<InputText>) -> Compilation {
    let mut sources = Sources::new();
    let mut diags = Vec::new();
    let mut parsed = Vec::new();
    for (path, text) in STDLIB {
        let id = sources.add(format!("<stdlib>/{}", path.trim_start_matches("std/")), *text);
        parsed.push((id, path.to_string(), true, hl_syntax::parse(id, text)));
    }
    let mut files = files;
    files.sort_by(|a, b| a.path.cmp(&b.path));
    for f in files {
        match decode(&f.bytes) {
            Ok(text) => {
                let id = sources.add(f.display.clone(), text);
                let text = sources.get(id).map(|s| s.text.clone()).unwrap_or_default();
                parsed.push((id, f.path, false, hl_syntax::parse(id, &text)));
            }
            Err((offset, why)) => {
                // Keep the readable prefix as the source, so the report can show where it stops.
                let prefix = String::from_utf8_lossy(&f.bytes[..offset.min(f.bytes.len())]).into_owned();
                let id = sources.add(f.display.clone(), prefix);
                diags.push(
                    Diagnostic::new(
                        Code::InvalidText,
                        format!("`{}` {why}", f.display),
                        Span::new(id, offset, offset),
                        format!("byte {offset}: the file {why}"),
                    )
                    .with_help("hl files must be UTF-8 text without NUL bytes; the file was not read"),
                );
            }
        }
    }
    for (_, _, _, p) in &parsed {
        diags.extend(p.errors.iter().cloned());
    }
    let input = EvalInput {
        files: parsed
            .iter()
            .map(|(id, path, stdlib, p)| InputFile { id: *id, path: path.clone(), ast: &p.file, stdlib: *stdlib })
            .collect(),
        root_schema: "Workspace",
    };
    let out = hl_eval::evaluate(&input, Limits::default());
    diags.extend(out.diagnostics);
    let (model, model_diags) = hl_model::build(&out.root, &out.prelude);
    diags.extend(model_diags);
    let (graph, graph_diags) = hl_graph::build(&model);
    diags.extend(graph_diags);
    let checked = hl_check::check(&model);
    diags.extend(checked.diagnostics);

    let (mut artifacts, origins, emit_diags) = emit_with_origins(&model);
    diags.extend(emit_diags);
    sort_and_dedup(&mut diags);
    let has_errors = diags.iter().any(Diagnostic::is_error);
    if has_errors {
        artifacts.clear();
    } else {
        artifacts.extend(graph_artifacts(&graph));
        for b in &model.host_backups {
            let stem = hl_emit::unit_name(b);
            artifacts
                .push(Artifact { path: format!("backup/host/{stem}.service"), contents: hl_emit::service_unit(b) });
            if let Some(timer) = hl_emit::timer_unit(b) {
                artifacts.push(Artifact { path: format!("backup/host/{stem}.timer"), contents: timer });
            }
        }
        for vm in &model.proxmox.vms {
            let px = &model.proxmox;
            artifacts.push(Artifact { path: format!("proxmox/{}.json", vm.name), contents: hl_emit::vm_spec(vm, px) });
            if let Some(ci) = hl_emit::cloud_init(vm, px) {
                artifacts.push(Artifact { path: format!("proxmox/{}.cloud-init.yaml", vm.name), contents: ci });
            }
        }
        artifacts.sort_by(|a, b| a.path.cmp(&b.path));
    }
    Compilation { sources, diagnostics: diags, model, graph, waived: checked.waived, artifacts, origins }
}

/// Emit every stack (in parallel) and lay the objects out as files.
pub fn emit(model: &Model) -> (Vec<Artifact>, Vec<Diagnostic>) {
    let (artifacts, _, diags) = emit_with_origins(model);
    (artifacts, diags)
}

type Origins = std::collections::BTreeMap<String, Span>;

fn emit_with_origins(model: &Model) -> (Vec<Artifact>, Origins, Vec<Diagnostic>) {
    let outputs: Vec<hl_emit::StackOutput> = model.stacks.par_iter().map(hl_emit::emit_stack).collect();
    let mut diags = cross_stack_collisions(model, &outputs);
    type PerStack = (Vec<Artifact>, Vec<(String, Span)>, Vec<Diagnostic>);
    let per_stack: Vec<PerStack> = model
        .stacks
        .par_iter()
        .zip(outputs)
        .map(|(stack, out)| {
            let mut files = Vec::new();
            let mut origins = Vec::new();
            let mut names = Vec::new();
            for obj in &out.objects {
                let name = obj.file_name();
                let path = format!("k8s/{}/{}", stack.name, name);
                origins.push((path.clone(), obj.origin));
                files.push(Artifact { path, contents: obj.yaml.clone() });
                names.push(name);
            }
            if !names.is_empty() {
                files.push(Artifact {
                    path: format!("k8s/{}/kustomization.yaml", stack.name),
                    contents: hl_emit::kustomization(&names),
                });
            }
            (files, origins, out.diagnostics)
        })
        .collect();
    let mut artifacts = Vec::new();
    let mut origins = Origins::new();
    for (a, o, d) in per_stack {
        artifacts.extend(a);
        origins.extend(o);
        diags.extend(d);
    }
    artifacts.sort_by(|a, b| a.path.cmp(&b.path));
    (artifacts, origins, diags)
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

/// The graph in three forms and a Flux Kustomization per stack whose `dependsOn` follows it.
pub fn graph_artifacts(graph: &Graph) -> Vec<Artifact> {
    let mut out = vec![
        Artifact { path: "graph.json".into(), contents: hl_graph::to_json(graph) },
        Artifact { path: "graph.dot".into(), contents: hl_graph::to_dot(graph) },
        Artifact { path: "graph.mmd".into(), contents: hl_graph::to_mermaid(graph) },
    ];
    for stack in &graph.stacks {
        let deps: Vec<&str> = graph.dependencies(stack).map(|e| e.to.as_str()).collect();
        out.push(Artifact {
            path: format!("k8s/flux/{stack}.yaml"),
            contents: hl_emit::flux_kustomization(stack, &deps),
        });
    }
    out
}

/// An object (kind, namespace, name) may belong to one stack only: two stacks applying it
/// would fight over it.
fn cross_stack_collisions(model: &Model, outputs: &[hl_emit::StackOutput]) -> Vec<Diagnostic> {
    let mut seen: std::collections::HashMap<(&str, Option<&str>, &str), (&str, Span)> = Default::default();
    let mut diags = Vec::new();
    for (stack, out) in model.stacks.iter().zip(outputs) {
        for o in &out.objects {
            let key = (o.kind.as_str(), o.namespace.as_deref(), o.name.as_str());
            match seen.get(&key) {
                Some((other, span)) if *other != stack.name.as_str() => {
                    let where_ = o.namespace.as_deref().map(|n| format!(" in namespace `{n}`")).unwrap_or_default();
                    diags.push(
                        Diagnostic::new(
                            Code::OutputCollision,
                            format!(
                                "{} `{}`{where_} is emitted by both stack `{other}` and stack `{}`",
                                o.kind, o.name, stack.name
                            ),
                            o.origin,
                            format!("declared in `{}`", stack.name),
                        )
                        .with_label(*span, format!("declared in `{other}`"))
                        .with_help("an object belongs to exactly one stack; declare it once"),
                    );
                }
                Some(_) => {}
                None => {
                    seen.insert(key, (stack.name.as_str(), o.origin));
                }
            }
        }
    }
    diags
}

/// Text of a file, or the offset and reason it is not acceptable.
fn decode(bytes: &[u8]) -> Result<String, (usize, &'static str)> {
    let text = std::str::from_utf8(bytes).map_err(|e| (e.valid_up_to(), "is not valid UTF-8"))?;
    if let Some(i) = text.find('\0') {
        return Err((i, "contains a NUL byte"));
    }
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text).to_string())
}

/// The file id of the first workspace (non-stdlib) file, for tests and tools.
pub fn first_workspace_file(c: &Compilation) -> Option<FileId> {
    c.sources.iter().find(|(_, f)| !f.path.starts_with("<stdlib>")).map(|(id, _)| id)
}
