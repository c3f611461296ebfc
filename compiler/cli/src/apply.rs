//! `hlc apply` and `hlc diff --live`: compile, then hand the Kubernetes objects to `hl-apply`
//! (the only crate that talks to a cluster) in graph order, and report what the API server said.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use hl_apply::{ApplyOptions, Failure, LiveState, Manifest, Target};

use crate::{DiffFormat, EXIT_ERRORS, EXIT_USAGE, diff, emit, ui::Ui};

/// Where the cluster is (shared by `apply` and `diff --live`).
#[derive(clap::Args, Clone, Debug, Default)]
pub struct ClusterArgs {
    /// The kubeconfig file (default: `KUBECONFIG`, then `~/.kube/config`, then in-cluster).
    #[arg(long, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context (default: its current context).
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
}

impl ClusterArgs {
    fn target(&self) -> Target {
        Target { kubeconfig: self.kubeconfig.clone(), context: self.context.clone() }
    }
}

/// Whether the environment is a CI job (`CI` set, and not to `false` or `0`).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Compile `dir` and select the objects of `stacks` (all when empty), in apply order.
fn plan(dir: &Path, stacks: &[String], ui: Ui, what: &str) -> Result<(hlc_core::Compilation, Vec<Manifest>), ExitCode> {
    let c = crate::compile_clean(dir, ui, what)?;
    for s in stacks {
        if !c.graph.waves.iter().flatten().any(|x| x == s) {
            eprintln!("error: no stack `{s}` in {}", dir.display());
            return Err(ExitCode::from(EXIT_USAGE));
        }
    }
    let waves: Vec<Vec<String>> = c
        .graph
        .waves
        .iter()
        .map(|w| w.iter().filter(|s| stacks.is_empty() || stacks.contains(s)).cloned().collect())
        .collect();
    let artifacts = c.artifacts.iter().map(|a| (a.path.as_str(), a.contents.as_str()));
    match hl_apply::manifests(artifacts, &waves) {
        Ok(m) => Ok((c, m)),
        Err(e) => {
            eprintln!("error: {e}");
            Err(ExitCode::from(EXIT_USAGE))
        }
    }
}

fn print_failure(what: &str, f: &Failure) {
    let reason = if f.reason.is_empty() { String::new() } else { format!(" {}", f.reason) };
    eprintln!("error: {what}: the API server refused it ({}{reason}): {}", f.code, f.message);
    if let Some(help) = &f.help {
        eprintln!("  help: {help}");
    }
}

pub struct ApplyArgs<'a> {
    pub dir: &'a Path,
    pub stacks: &'a [String],
    pub dry_run: bool,
    pub prune: bool,
    pub force_conflicts: bool,
    pub cluster: &'a ClusterArgs,
}

/// The cluster's custom resources as (`apiVersion`, `kind`), for pruning.
fn custom_kinds(facts: &hlc_core::model::Facts) -> Vec<(String, String)> {
    facts
        .custom_resources
        .keys()
        .filter_map(|k| k.split_once(' ').map(|(a, k)| (a.to_string(), k.to_string())))
        .collect()
}

pub fn apply_command(args: ApplyArgs<'_>, ui: Ui) -> ExitCode {
    let (c, manifests) = match plan(args.dir, args.stacks, ui, "apply") {
        Ok(x) => x,
        Err(code) => return code,
    };
    let options = ApplyOptions {
        dry_run: args.dry_run,
        prune: args.prune,
        force_conflicts: args.force_conflicts,
        prune_stacks: if args.stacks.is_empty() { None } else { Some(args.stacks.to_vec()) },
        stack_label: c.model.facts.stack_label(),
        custom_kinds: custom_kinds(&c.model.facts),
    };
    let mode = if args.dry_run { " (dry run)" } else { "" };
    if args.dry_run && !ui.quiet {
        let why = if in_ci() { "CI is set; --no-dry-run applies for real" } else { "--dry-run" };
        eprintln!("dry run: the API server validates every object and stores nothing ({why})");
    }
    let report = match hl_apply::apply(&args.cluster.target(), &manifests, &options) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let mut out = String::new();
    let mut wave = None;
    for a in &report.applied {
        let m = &manifests[a.index];
        if wave != Some(m.wave) {
            out.push_str(&format!("== wave {}\n", m.wave));
            wave = Some(m.wave);
        }
        let verb = if a.result.is_ok() { "applied" } else { "failed " };
        out.push_str(&format!("{verb} {}  [{}]{mode}\n", m.display(), m.stack));
    }
    if let Some((_, not_applied)) = &report.interrupted {
        for &i in not_applied {
            let m = &manifests[i];
            out.push_str(&format!("not applied {}  [{}]{mode}\n", m.display(), m.stack));
        }
    }
    for s in &report.stale {
        let verb = match &s.deleted {
            None => "would prune",
            Some(Ok(())) => "pruned",
            Some(Err(_)) => "prune failed",
        };
        out.push_str(&format!(
            "{verb} {}  [{}]{}\n",
            s.display(),
            s.stack,
            if s.deleted.is_some() { mode } else { "" }
        ));
    }
    emit(&out);
    for a in &report.applied {
        if let Err(f) = &a.result {
            let m = &manifests[a.index];
            print_failure(&format!("{} (stack `{}`, {})", m.display(), m.stack, m.path), f);
        }
    }
    for s in &report.stale {
        if let Some(Err(f)) = &s.deleted {
            print_failure(&format!("pruning {} (stack `{}`)", s.display(), s.stack), f);
        }
    }
    let failed = report.applied.iter().filter(|a| a.result.is_err()).count();
    if let Some((e, not_applied)) = &report.interrupted {
        eprintln!("error: {e}");
        eprintln!(
            "apply interrupted: {} of {} objects answered ({failed} refused), {} not applied (listed as `not applied`; \
             the first was in flight and may have been applied){mode}; nothing was pruned",
            report.applied.len(),
            manifests.len(),
            not_applied.len()
        );
        return ExitCode::from(EXIT_USAGE);
    }
    if let Some(w) = report.failed_wave {
        let sent = report.applied.iter().filter(|a| manifests[a.index].wave == w).count();
        eprintln!(
            "apply failed: {failed} of {sent} objects of wave {w} refused by {}; {} objects of later waves not applied{mode}",
            report.server, report.skipped
        );
        return ExitCode::from(EXIT_ERRORS);
    }
    let stacks: std::collections::BTreeSet<&str> = manifests.iter().map(|m| m.stack.as_str()).collect();
    let waves: std::collections::BTreeSet<usize> = manifests.iter().map(|m| m.wave).collect();
    ui.note(&format!(
        "applied {} objects of {} stacks in {} waves to {}{mode}",
        report.applied.len(),
        stacks.len(),
        waves.len(),
        report.server
    ));
    if !args.prune && !report.stale.is_empty() {
        ui.note(&format!(
            "{} objects of hlc's are no longer in the output: rerun with --prune to delete them",
            report.stale.len()
        ));
    }
    if report.has_failures() { ExitCode::from(EXIT_ERRORS) } else { ExitCode::SUCCESS }
}

pub fn diff_live_command(dir: &Path, stacks: &[String], format: DiffFormat, cluster: &ClusterArgs, ui: Ui) -> ExitCode {
    let (c, manifests) = match plan(dir, stacks, ui, "diff") {
        Ok(x) => x,
        Err(code) => return code,
    };
    let scope = if stacks.is_empty() { None } else { Some(stacks) };
    let kinds = custom_kinds(&c.model.facts);
    let report = match hl_apply::diff_live(&cluster.target(), &manifests, scope, &c.model.facts.stack_label(), &kinds) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let mut changes = Vec::new();
    let mut unchanged = 0;
    let mut failures = 0;
    for o in &report.objects {
        let m = &manifests[o.index];
        let kind = match &o.state {
            LiveState::Added => "added",
            LiveState::Changed => "changed",
            LiveState::Unchanged => {
                unchanged += 1;
                continue;
            }
            LiveState::Failed(f) => {
                failures += 1;
                print_failure(&format!("{} (stack `{}`, {})", m.display(), m.stack, m.path), f);
                continue;
            }
        };
        let text = diff::unified(&o.live, &o.merged, &format!("live/{}", m.path), &format!("hlc/{}", m.path));
        changes.push(diff::Change { path: m.path.clone(), kind, diff: text, source: diff::source_of(&c, &m.path) });
    }
    for (s, yaml) in &report.stale {
        let path = format!("k8s/{}/{}-{}.yaml", s.stack, s.kind.to_ascii_lowercase(), s.name);
        let text = diff::unified(yaml, "", &format!("live/{path}"), &format!("hlc/{path}"));
        changes.push(diff::Change { path, kind: "removed", diff: text, source: None });
    }
    // Grouped by stack, like `hlc diff --base`.
    changes.sort_by(|a, b| diff::group(&a.path).cmp(&diff::group(&b.path)).then(a.path.cmp(&b.path)));
    let text = match format {
        DiffFormat::Text => diff::render_text(&changes),
        DiffFormat::Json => diff::render_json(&changes),
        DiffFormat::Markdown => diff::render_markdown(&changes, "live cluster", "working tree"),
    };
    emit(&text);
    ui.note(&format!("{unchanged} objects unchanged in {}", report.server));
    if failures > 0 {
        eprintln!("diff failed: the API server refused the dry run of {failures} objects");
        return ExitCode::from(EXIT_ERRORS);
    }
    ExitCode::SUCCESS
}
