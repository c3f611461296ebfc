//! `hlc`, the hl compiler: the command-line front end. It reads files, calls `hlc-core`,
//! prints diagnostics and writes output. It is the only part of the compiler that does IO.

/// A compilation allocates and frees many small values (syntax trees, evaluated records,
/// YAML); mimalloc serves them faster than the system allocator, from two threads too.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod apply;
mod diff;
mod fmt;
mod fsio;
mod init;
mod ui;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use hlc_core::diagnostics::render::{self, Style};

/// Exit codes: 0 success, 1 errors in the input, 2 usage or IO problems.
const EXIT_ERRORS: u8 = 1;
const EXIT_USAGE: u8 = 2;

#[derive(Parser)]
#[command(name = "hlc", version, about = "The hl homelab compiler: typed hl in, Kubernetes manifests out")]
struct Cli {
    /// When to use colours in diagnostics.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    color: ColorChoice,
    /// Print only diagnostics and the command's own output: no summary lines, no progress.
    #[arg(long, short, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Also print what was read and how long each stage of the compilation took.
    #[arg(long, short, global = true)]
    verbose: bool,
    /// A directory of CRD schemas (`<group>/<kind>_<version>.json`, as kubeconform reads
    /// them): every `manifest` is checked against its kind's (E0215). Default: the
    /// `HLC_CRD_SCHEMAS` environment variable, if set.
    #[arg(long, global = true, value_name = "DIR")]
    crd_schemas: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compile a workspace and write the output (Kubernetes manifests) to `--out`.
    ///
    /// The output directory is replaced as a whole only when compilation succeeds; on any
    /// error the previous output stays as it was. The output it replaces stays beside it as
    /// `.<out>.spare` (hard links to the files that did not change), which the next build
    /// reuses so that it writes only what changed; it may be deleted at any time.
    #[command(
        after_help = "Examples:\n  hlc build\n  hlc build stacks --out out\n  hlc build --stdout | kubectl apply --dry-run=server -f -"
    )]
    Build {
        /// The workspace directory.
        #[arg(default_value = "stacks")]
        dir: PathBuf,
        /// Where to write the output.
        #[arg(long, default_value = "out")]
        out: PathBuf,
        /// Write the Kubernetes objects to standard output as one YAML stream (each document
        /// the text of its file under `k8s/`, in the files' order, after a `# Source:` comment;
        /// kustomize's `kustomization.yaml` files left out) instead of writing `--out`: nothing
        /// is written to disk, and the Proxmox, backup and graph files are not produced.
        #[arg(long, conflicts_with = "out")]
        stdout: bool,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Treat warnings as errors (exit code 1).
        #[arg(long)]
        deny_warnings: bool,
        /// List every warning the stacks waived, with its reason.
        #[arg(long)]
        show_waived: bool,
    },
    /// Check a workspace: everything `build` does except writing.
    #[command(
        after_help = "Examples:\n  hlc check\n  hlc check stacks --format short\n  hlc check --format sarif > hlc.sarif\n  hlc check --format github --deny-warnings\n\nExit codes: 0 no errors, 1 errors (or warnings with --deny-warnings), 2 usage or IO problems.\nMachine formats (json, sarif, github) go to standard output; the summary to standard error."
    )]
    Check {
        /// The workspace directory.
        #[arg(default_value = "stacks")]
        dir: PathBuf,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Treat warnings as errors (exit code 1).
        #[arg(long)]
        deny_warnings: bool,
        /// List every warning the stacks waived, with its reason.
        #[arg(long)]
        show_waived: bool,
    },
    /// Print the stack dependency graph as apply waves and write `graph.json`, `graph.dot` and
    /// `graph.mmd` into `--out`.
    #[command(after_help = "Examples:\n  hlc graph\n  hlc graph --format mermaid\n  hlc graph stacks --out out")]
    Graph {
        /// The workspace directory.
        #[arg(default_value = "stacks")]
        dir: PathBuf,
        /// Where to write the graph files.
        #[arg(long, default_value = "out")]
        out: PathBuf,
        /// What to print on standard output.
        #[arg(long, value_enum, default_value_t = GraphFormat::Text)]
        format: GraphFormat,
        /// Only this stack, what it depends on and what depends on it (in the picture and the
        /// dot/svg output).
        #[arg(long, value_name = "NAME")]
        stack: Option<String>,
        /// Also draw the edges from Tier 1 stacks to Tier 0 stacks (every Tier 1 stack comes
        /// after Tier 0 anyway; left out, they are counted in the legend).
        #[arg(long)]
        all_edges: bool,
    },
    /// The 3-2-1 backup coverage of every volume: its jobs, schedules, the copies it reaches
    /// and its recovery point.
    #[command(after_help = "Examples:\n  hlc backups\n  hlc backups --format json > backups.json")]
    Backups {
        /// The workspace directory.
        #[arg(default_value = "stacks")]
        dir: PathBuf,
        #[arg(long, value_enum, default_value_t = TableFormat::Table)]
        format: TableFormat,
    },
    /// Compare the output of two git revisions, or the output with a live cluster: the objects
    /// added, removed and changed, with a line diff per changed object, grouped by stack, and
    /// the declaration each comes from.
    ///
    /// Revisions are read through git; the working tree is not checked out. Without `--head`,
    /// the working tree is compared against `--base`. With `--live`, each object is compared
    /// with the cluster's: the live object against the result of a server-side dry-run apply
    /// (forced, field manager `hlc`), both without managedFields, resourceVersion, generation,
    /// uid, creationTimestamp and status; hlc's objects in the cluster that left the output
    /// are `removed`. Nothing is written to the cluster.
    #[command(
        after_help = "Examples:\n  hlc diff --base origin/main\n  hlc diff --base HEAD~1 --head HEAD --format markdown\n  hlc diff --live\n  hlc diff --live --stack freshrss --context homelab\n\nExit codes: 0 compared (whether or not anything differs), 1 errors in the input (or, with --live, an object the API server refused), 2 usage, IO or cluster connection problems."
    )]
    Diff {
        /// The workspace directory (inside a git repository, for `--base`).
        #[arg(default_value = "stacks")]
        dir: PathBuf,
        /// The git revision to compare against.
        #[arg(long, required_unless_present = "live", conflicts_with = "live")]
        base: Option<String>,
        /// The git revision to compare (default: the working tree).
        #[arg(long, conflicts_with = "live")]
        head: Option<String>,
        /// Compare with the objects in the cluster (server-side dry run) instead of a revision.
        #[arg(long)]
        live: bool,
        /// With --live: only these stacks (repeat the option for several).
        #[arg(long = "stack", value_name = "STACK", requires = "live")]
        stacks: Vec<String>,
        #[command(flatten)]
        cluster: apply::ClusterArgs,
        #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
        format: DiffFormat,
    },
    /// Compile, then server-side apply every Kubernetes object to a cluster, wave by wave in
    /// the order of `hlc graph` (inside a stack: namespaces and prerequisites first).
    ///
    /// Field manager `hlc`. A dry run (`dryRun=All`: the API server validates and admits every
    /// object and stores nothing) is the default when the `CI` environment variable is set;
    /// `--dry-run` forces one anywhere, `--no-dry-run` applies for real in CI. After a wave with
    /// a refused object nothing more is applied. A field another manager owns is a conflict
    /// (no force) unless `--force-conflicts`. Objects with hlc's labels (of the stacks being
    /// applied) that left the output are listed as `would prune`, and deleted with `--prune`.
    /// Flux's Kustomizations (`k8s/flux/`) are not applied.
    #[command(
        after_help = "Examples:\n  hlc apply --dry-run\n  hlc apply --stack freshrss\n  hlc apply --prune --context homelab\n  CI=1 hlc apply --kubeconfig ci.kubeconfig      # a dry run\n\nExit codes: 0 applied, 1 errors in the input or an object the API server refused, 2 usage, IO or cluster connection problems."
    )]
    Apply {
        /// The workspace directory.
        #[arg(default_value = "stacks")]
        dir: PathBuf,
        /// Only these stacks (repeat the option for several); their waves keep their order.
        #[arg(long = "stack", value_name = "STACK")]
        stacks: Vec<String>,
        /// Validate on the server, store nothing (`dryRun=All`); the default when `CI` is set.
        #[arg(long, conflicts_with = "no_dry_run")]
        dry_run: bool,
        /// Apply for real even when `CI` is set.
        #[arg(long)]
        no_dry_run: bool,
        /// Delete hlc's objects (by label, of the stacks applied) that are no longer in the output.
        #[arg(long)]
        prune: bool,
        /// Take over fields that another field manager owns instead of failing with a conflict.
        #[arg(long)]
        force_conflicts: bool,
        #[command(flatten)]
        cluster: apply::ClusterArgs,
    },
    /// Format hl files in the canonical layout, in place.
    ///
    /// Comments are kept where they are; the layout follows from the syntax tree and a width of
    /// 120 columns, so every file has exactly one formatted form. Formatting never changes what
    /// a file means. Files with syntax errors are reported and left alone.
    #[command(
        after_help = "Examples:\n  hlc fmt\n  hlc fmt stacks stdlib\n  hlc fmt --check\n  hlc fmt - < stacks/freshrss.hl\n\nExit codes: 0 formatted (or, with --check, nothing to change), 1 files to reformat or with syntax errors, 2 usage or IO problems."
    )]
    Fmt {
        /// Files or directories (searched recursively for `.hl`, skipping hidden directories,
        /// `target`, `out` and `node_modules`); `-` formats standard input to standard output.
        #[arg(default_value = ".")]
        paths: Vec<PathBuf>,
        /// Change nothing: list the files that are not formatted, with a diff, and exit 1 if any.
        #[arg(long)]
        check: bool,
    },
    /// Run the language server on standard input and output (for editors).
    ///
    /// Diagnostics (the same as `hlc check`) on open, change and save, for every file an edit
    /// affects; hover, go to definition, references, rename, document and workspace symbols,
    /// completion and formatting.
    #[command(after_help = "Examples:\n  hlc lsp\n\nEditors start it themselves: see editors/ for VS Code and Neovim.")]
    Lsp {
        /// Accepted for clients that pass it (stdio is the only transport).
        #[arg(long, hide = true)]
        stdio: bool,
    },
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  hlc completions bash > /etc/bash_completion.d/hlc\n  hlc completions zsh > ~/.zfunc/_hlc\n  hlc completions fish > ~/.config/fish/completions/hlc.fish"
    )]
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff).
    #[command(after_help = "Examples:\n  hlc man > hlc.1 && man ./hlc.1")]
    Man,
    /// Start a new homelab workspace: its cluster facts (`cluster.hl`: the domain, the address
    /// pool, the NFS server, the auth provider) and one example stack (`hello.hl`) that builds
    /// clean. The directory must be new or empty; nothing is overwritten.
    #[command(
        after_help = "Examples:\n  hlc init homelab --domain example.org\n  hlc init stacks --domain lab.example.org --metallb-pool 192.168.10.200-192.168.10.220 --nfs-server 192.168.10.5 --authentik\n\nThen edit cluster.hl (the standard library's `Cluster` schema documents every fact) and run `hlc build homelab`.\n\nExit codes: 0 written, 2 usage or IO problems, or a directory that is not empty (E0904)."
    )]
    Init {
        /// The new workspace directory.
        #[arg(default_value = "stacks")]
        dir: PathBuf,
        /// The public domain ingress hosts go under (`<name>.<domain>`). `home.arpa` is the
        /// name reserved for home networks.
        #[arg(long, default_value = "home.arpa")]
        domain: String,
        /// MetalLB's address pool, `FIRST-LAST` (LoadBalancer addresses must lie in it).
        #[arg(long, value_name = "FIRST-LAST")]
        metallb_pool: Option<String>,
        /// The NFS server `nfs(...)` volumes mount from.
        #[arg(long, value_name = "IP")]
        nfs_server: Option<String>,
        /// Authentik is the single-sign-on provider (`auth = required` ingresses go through it).
        #[arg(long)]
        authentik: bool,
    },
    /// Explain a diagnostic code (`E0204`) or name (`unknown-field`); without one, list all.
    #[command(after_help = "Examples:\n  hlc explain E0204\n  hlc explain unknown-field\n  hlc explain")]
    Explain { code: Option<String> },
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DiffFormat {
    Text,
    Json,
    /// For posting on a pull request.
    Markdown,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum TableFormat {
    /// Aligned columns for people.
    Table,
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum GraphFormat {
    /// One line per wave.
    Text,
    Json,
    Dot,
    Mermaid,
    /// A picture: waves top to bottom, wrapped into rows.
    Svg,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Snippets with labels and help.
    Human,
    /// One line per diagnostic: `path:line:col: severity[code]: message`.
    Short,
    /// A JSON array: file, line, column, end, code, severity, message, labels, help.
    Json,
    /// SARIF 2.1.0, for code-scanning tools.
    Sarif,
    /// GitHub Actions annotations (`::error file=...::message`).
    Github,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let color = match cli.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal(),
    };
    let ui = ui::Ui { quiet: cli.quiet, verbose: cli.verbose, color };
    if let Some(dir) = cli.crd_schemas.or_else(|| std::env::var_os("HLC_CRD_SCHEMAS").map(PathBuf::from)) {
        match hlc_core::CrdSchemas::read_dir(&dir) {
            Ok(s) => ui::set_crd_schemas(s),
            Err(e) => {
                eprintln!("error: --crd-schemas {}: {e}", dir.display());
                return ExitCode::from(EXIT_USAGE);
            }
        }
    }
    match cli.command {
        Command::Build { dir, out: _, stdout: true, format, deny_warnings, show_waived } => {
            stream(&dir, format, ui, deny_warnings, show_waived)
        }
        Command::Build { dir, out, stdout: false, format, deny_warnings, show_waived } => {
            run(&dir, Some(&out), format, ui, deny_warnings, show_waived)
        }
        Command::Check { dir, format, deny_warnings, show_waived } => {
            run(&dir, None, format, ui, deny_warnings, show_waived)
        }
        Command::Graph { dir, out, format, stack, all_edges } => {
            graph(&dir, &out, format, hl_graph_view(stack, all_edges), ui)
        }
        Command::Backups { dir, format } => backups(&dir, format, ui),
        Command::Diff { dir, base, head, live: _, stacks, cluster, format } => match base {
            Some(base) => diff_command(&dir, &base, head.as_deref(), format, ui),
            None => apply::diff_live_command(&dir, &stacks, format, &cluster, ui),
        },
        Command::Apply { dir, stacks, dry_run, no_dry_run, prune, force_conflicts, cluster } => {
            let dry_run = dry_run || (!no_dry_run && apply::in_ci());
            let args =
                apply::ApplyArgs { dir: &dir, stacks: &stacks, dry_run, prune, force_conflicts, cluster: &cluster };
            apply::apply_command(args, ui)
        }
        Command::Lsp { stdio: _ } => match hl_lsp::run_stdio() {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("hlc lsp: {e}");
                ExitCode::from(EXIT_USAGE)
            }
        },
        Command::Fmt { paths, check } => fmt::run(&paths, check, ui),
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut <Cli as clap::CommandFactory>::command(), "hlc", &mut out);
            emit(&String::from_utf8_lossy(&out));
            ExitCode::SUCCESS
        }
        Command::Man => {
            let mut out = Vec::new();
            match clap_mangen::Man::new(<Cli as clap::CommandFactory>::command()).render(&mut out) {
                Ok(()) => {
                    emit(&String::from_utf8_lossy(&out));
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(EXIT_USAGE)
                }
            }
        }
        Command::Explain { code } => explain(code.as_deref()),
        Command::Init { dir, domain, metallb_pool, nfs_server, authentik } => init::run(
            &init::InitArgs {
                dir: &dir,
                domain: &domain,
                metallb_pool: metallb_pool.as_deref(),
                nfs_server: nfs_server.as_deref(),
                authentik,
            },
            ui,
        ),
    }
}

/// A `kustomization.yaml`: kustomize's list of a directory's files, not an object to apply.
fn is_kustomize(path: &str) -> bool {
    path.rsplit('/').next() == Some("kustomization.yaml")
}

/// `hlc build --stdout`: check as `hlc check` does (diagnostics to standard error), then, when
/// the build succeeds, the Kubernetes objects as one YAML stream on standard output: every
/// `k8s/**.yaml` file but kustomize's `kustomization.yaml`, in path order, as `# Source: <path>` and the file's text, separated by
/// `---`. The concatenated documents are byte for byte the files `hlc build --out` writes.
fn stream(dir: &std::path::Path, format: Format, ui: ui::Ui, deny_warnings: bool, show_waived: bool) -> ExitCode {
    if matches!(format, Format::Json | Format::Sarif | Format::Github) {
        eprintln!("error: --stdout holds the YAML stream; use --format human or short with it");
        return ExitCode::from(EXIT_USAGE);
    }
    let files = match hlc_core::load(&hlc_core::DiskHost::new(dir)) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let c = std::mem::ManuallyDrop::new(ui.compile(files, true, None));
    let mut stderr = std::io::stderr().lock();
    let style = if ui.color { Style::Color } else { Style::Plain };
    let _ = stderr.write_all(
        match format {
            Format::Short => render::short(&c.diagnostics, &c.sources),
            _ => render::human(&c.diagnostics, &c.sources, style, 100),
        }
        .as_bytes(),
    );
    if show_waived {
        for w in &c.waived {
            let _ = writeln!(stderr, "waived[{}] stack `{}`: {} (reason: {})", w.code, w.stack, w.message, w.reason);
        }
    }
    let denied = deny_warnings && !c.diagnostics.is_empty();
    if c.has_errors() || denied {
        let _ = writeln!(stderr, "build failed: {}", render::summary(&c.diagnostics));
        return ExitCode::from(EXIT_ERRORS);
    }
    let mut yaml: Vec<&hlc_core::Artifact> = c
        .artifacts
        .iter()
        .filter(|a| a.path.starts_with("k8s/") && a.path.ends_with(".yaml") && !is_kustomize(&a.path))
        .collect();
    yaml.sort_by(|a, b| a.path.cmp(&b.path));
    let mut text = String::with_capacity(yaml.iter().map(|a| a.contents.len() + a.path.len() + 16).sum());
    for a in &yaml {
        text.push_str("---\n# Source: ");
        text.push_str(&a.path);
        text.push('\n');
        text.push_str(&a.contents);
    }
    emit(&text);
    ui.note(&format!("streamed {} documents ({})", yaml.len(), render::summary(&c.diagnostics)));
    ExitCode::SUCCESS
}

fn run(
    dir: &std::path::Path,
    out_arg: Option<&std::path::Path>,
    format: Format,
    ui: ui::Ui,
    deny_warnings: bool,
    show_waived: bool,
) -> ExitCode {
    let files = match hlc_core::load(&hlc_core::DiskHost::new(dir)) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let nfiles = files.len();
    // `out` is replaced as a whole: first make sure it is hlc's to replace.
    let out = match out_arg.map(|o| fsio::guard_out(o, dir)).transpose() {
        Ok(out) => out,
        Err(refusal) => return refuse(&refusal, ui),
    };
    let out = out.as_deref();
    // Files are written as the compilation lays them out, into a directory that replaces
    // `out` only once the build has succeeded.
    let staging = match out.map(|o| fsio::Staging::new(o, dir)).transpose() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot write {}: {e}", out_arg.map(|o| o.display().to_string()).unwrap_or_default());
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let writer = |batch: &[hlc_core::OutputFile<'_>]| {
        if let Some(s) = &staging {
            s.write(batch);
        }
    };
    // The process ends with this command: leave the result's memory to the operating system.
    let c = std::mem::ManuallyDrop::new(ui.compile(files, false, staging.is_some().then_some(&writer)));
    let mut stderr = std::io::stderr().lock();
    match format {
        Format::Human => {
            let style = if ui.color { Style::Color } else { Style::Plain };
            let _ = stderr.write_all(render::human(&c.diagnostics, &c.sources, style, 100).as_bytes());
        }
        Format::Short => {
            let _ = stderr.write_all(render::short(&c.diagnostics, &c.sources).as_bytes());
        }
        Format::Json => emit(&render::json(&c.diagnostics, &c.sources)),
        Format::Sarif => emit(&render::sarif(&c.diagnostics, &c.sources, env!("CARGO_PKG_VERSION"))),
        Format::Github => emit(&render::github(&c.diagnostics, &c.sources)),
    }
    if show_waived {
        for w in &c.waived {
            let _ = writeln!(stderr, "waived[{}] stack `{}`: {} (reason: {})", w.code, w.stack, w.message, w.reason);
        }
    } else if !c.waived.is_empty() && !ui.quiet {
        let stacks: std::collections::BTreeSet<&str> = c.waived.iter().map(|w| w.stack.as_str()).collect();
        let _ = writeln!(
            stderr,
            "{} warnings waived by {} stacks, each with a reason (list them with --show-waived)",
            c.waived.len(),
            stacks.len()
        );
    }
    let denied = deny_warnings && !c.diagnostics.is_empty();
    if c.has_errors() || denied {
        if let Some(s) = staging {
            s.abandon();
        }
        let what = if out.is_some() { "build failed" } else { "check failed" };
        let why = if denied && !c.has_errors() { " (warnings denied)" } else { "" };
        let _ = writeln!(stderr, "{what}: {}{why}", render::summary(&c.diagnostics));
        return ExitCode::from(EXIT_ERRORS);
    }
    let objects = c.objects;
    match (out_arg, staging) {
        (Some(out), Some(staging)) => {
            if let Err(e) = staging.commit() {
                let _ = writeln!(stderr, "error: cannot write {}: {e}", out.display());
                return ExitCode::from(EXIT_USAGE);
            }
            ui.note(&format!(
                "built {} stacks from {nfiles} files: {objects} objects in {} ({})",
                c.model.stacks.len(),
                out.display(),
                render::summary(&c.diagnostics)
            ));
        }
        _ => {
            ui.note(&format!(
                "checked {} stacks from {nfiles} files: {objects} objects ({})",
                c.model.stacks.len(),
                render::summary(&c.diagnostics)
            ));
        }
    }
    ExitCode::SUCCESS
}

/// Read and compile a workspace for a command that needs it error-free; on errors, print them
/// and return the exit code.
fn compile_clean(dir: &std::path::Path, ui: ui::Ui, what: &str) -> Result<hlc_core::Compilation, ExitCode> {
    let files = hlc_core::load(&hlc_core::DiskHost::new(dir)).map_err(|e| {
        eprintln!("error: {e}");
        ExitCode::from(EXIT_USAGE)
    })?;
    let c = ui.compile(files, true, None);
    let errors: Vec<_> = c.diagnostics.iter().filter(|d| d.is_error()).cloned().collect();
    if !errors.is_empty() {
        let style = if ui.color { Style::Color } else { Style::Plain };
        eprint!("{}", render::human(&errors, &c.sources, style, 100));
        eprintln!("{what} failed: {}", render::summary(&errors));
        return Err(ExitCode::from(EXIT_ERRORS));
    }
    Ok(c)
}

/// Print why an output directory is refused (a coded error without a source span) and
/// return the exit code for it.
fn refuse(refusal: &fsio::Refusal, ui: ui::Ui) -> ExitCode {
    match refusal {
        fsio::Refusal::Coded { code, message, help } => {
            let code = code.info().code;
            let (red, bold, reset) = if ui.color { ("\x1b[31;1m", "\x1b[1m", "\x1b[0m") } else { ("", "", "") };
            eprintln!("{red}error[{code}]{reset}{bold}: {message}{reset}");
            eprintln!("  help: {help}");
            eprintln!("  (nothing was written or deleted; `hlc explain {code}` says more)");
        }
        fsio::Refusal::Io(message) => eprintln!("error: {message}"),
    }
    ExitCode::from(EXIT_USAGE)
}

fn hl_graph_view(focus: Option<String>, all_edges: bool) -> hlc_core::GraphView {
    hlc_core::GraphView { focus, all_edges }
}

fn graph(
    dir: &std::path::Path,
    out: &std::path::Path,
    format: GraphFormat,
    view: hlc_core::GraphView,
    ui: ui::Ui,
) -> ExitCode {
    // The graph files go into `out`, which a later build replaces as a whole: the same rules.
    let out = match fsio::guard_out(out, dir) {
        Ok(out) => out,
        Err(refusal) => return refuse(&refusal, ui),
    };
    let c = match compile_clean(dir, ui, "graph") {
        Ok(c) => c,
        Err(code) => return code,
    };
    if let Some(f) = &view.focus
        && !c.graph.stacks.contains(f)
    {
        let hint = hlc_core::diagnostics::did_you_mean(f, c.graph.stacks.iter().map(String::as_str))
            .map(|s| format!(" (did you mean `{s}`?)"))
            .unwrap_or_default();
        eprintln!("error: no stack `{f}` in the workspace{hint}");
        return ExitCode::from(EXIT_USAGE);
    }
    if let Err(e) = std::fs::create_dir_all(&out).and_then(|()| fsio::mark(&out, dir)) {
        eprintln!("error: cannot write {}: {e}", out.display());
        return ExitCode::from(EXIT_USAGE);
    }
    let (svg, dot) = hlc_core::graph_picture(&c.graph, &view);
    let files = [
        ("graph.json", hl_graph_text(&c.graph, GraphFormat::Json)),
        ("graph.dot", dot.clone()),
        ("graph.mmd", hl_graph_text(&c.graph, GraphFormat::Mermaid)),
        ("graph.svg", svg.clone()),
    ];
    for (name, text) in &files {
        if let Err(e) = fsio::write_file_atomic(&out.join(name), text) {
            eprintln!("error: cannot write {}: {e}", out.join(name).display());
            return ExitCode::from(EXIT_USAGE);
        }
    }
    emit(&match format {
        GraphFormat::Dot => dot,
        GraphFormat::Svg => svg,
        f => hl_graph_text(&c.graph, f),
    });
    ExitCode::SUCCESS
}

fn backups(dir: &std::path::Path, format: TableFormat, ui: ui::Ui) -> ExitCode {
    let c = match compile_clean(dir, ui, "backups") {
        Ok(c) => c,
        Err(code) => return code,
    };
    let rows = hlc_core::coverage(&c.model);
    let copies = |r: &hlc_core::Coverage| {
        let v: Vec<String> = (0..3).filter(|i| r.copies[*i]).map(|i| (i + 1).to_string()).collect();
        v.join(",")
    };
    let rpo = |r: &hlc_core::Coverage| r.rpo_minutes.map(hlc_core::format_minutes).unwrap_or_else(|| "-".into());
    match format {
        TableFormat::Json => {
            let items: Vec<String> = rows
                .iter()
                .map(|r| {
                    let jobs: Vec<String> = r
                        .jobs
                        .iter()
                        .map(|j| format!("{{\"name\":{},\"schedule\":{},\"copy\":{}}}", json_str(&j.name), json_str(&j.schedule), j.copy))
                        .collect();
                    format!(
                        "{{\"stack\":{},\"service\":{},\"volume\":{},\"claim\":{},\"class\":{},\"path\":{},\"jobs\":[{}],\"copies\":[{}],\"rpo_minutes\":{},\"excluded\":{}}}",
                        json_str(&r.stack),
                        r.service.as_deref().map_or("null".into(), json_str),
                        json_str(&r.volume),
                        json_str(&r.claim),
                        json_str(&r.class),
                        r.path.as_deref().map_or("null".into(), json_str),
                        jobs.join(","),
                        copies(r),
                        r.rpo_minutes.map_or("null".into(), |m| m.to_string()),
                        r.excluded.as_deref().map_or("null".into(), json_str),
                    )
                })
                .collect();
            emit(&format!("[\n  {}\n]\n", items.join(",\n  ")));
        }
        TableFormat::Table => {
            let mut table: Vec<[String; 7]> = vec![[
                "SERVICE".into(),
                "VOLUME".into(),
                "CLASS".into(),
                "JOBS".into(),
                "SCHEDULES".into(),
                "COPIES".into(),
                "RPO".into(),
            ]];
            for r in &rows {
                let jobs: Vec<&str> = r.jobs.iter().map(|j| j.name.as_str()).collect();
                let schedules: Vec<&str> = r.jobs.iter().map(|j| j.schedule.as_str()).collect();
                table.push([
                    match &r.service {
                        Some(service) => format!("{}/{service}", r.stack),
                        None => r.stack.clone(),
                    },
                    r.claim.clone(),
                    r.class.clone(),
                    if jobs.is_empty() { "-".into() } else { jobs.join(" ") },
                    if schedules.is_empty() { "-".into() } else { schedules.join(" | ") },
                    if let Some(why) = &r.excluded { format!("excluded: {why}") } else { copies(r) },
                    rpo(r),
                ]);
            }
            let widths: Vec<usize> =
                (0..7).map(|i| table.iter().map(|row| row[i].chars().count()).max().unwrap_or(0)).collect();
            let mut text = String::new();
            for row in &table {
                let cells: Vec<String> =
                    row.iter().enumerate().map(|(i, c)| format!("{c:<w$}", w = widths[i])).collect();
                text.push_str(cells.join("  ").trim_end());
                text.push('\n');
            }
            emit(&text);
        }
    }
    ExitCode::SUCCESS
}

fn diff_command(dir: &std::path::Path, base: &str, head: Option<&str>, format: DiffFormat, ui: ui::Ui) -> ExitCode {
    let base_files = match diff::GitHost::new(dir, base).and_then(|h| hlc_core::load(&h)) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let head_files = match head {
        Some(rev) => diff::GitHost::new(dir, rev).and_then(|h| hlc_core::load(&h)),
        None => hlc_core::load(&hlc_core::DiskHost::new(dir)),
    };
    let head_files = match head_files {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let base_c = hlc_core::compile(base_files);
    let head_c = hlc_core::compile(head_files);
    let style = if ui.color { Style::Color } else { Style::Plain };
    for (name, c) in [("base", &base_c), ("head", &head_c)] {
        if c.has_errors() {
            let errors: Vec<_> = c.diagnostics.iter().filter(|d| d.is_error()).cloned().collect();
            eprint!("{}", render::human(&errors, &c.sources, style, 100));
            eprintln!("diff failed: the {name} revision does not compile ({})", render::summary(&errors));
            return ExitCode::from(EXIT_ERRORS);
        }
    }
    let changes = diff::changes(&base_c, &head_c);
    let text = match format {
        DiffFormat::Text => diff::render_text(&changes),
        DiffFormat::Json => diff::render_json(&changes),
        DiffFormat::Markdown => diff::render_markdown(&changes, base, head.unwrap_or("working tree")),
    };
    emit(&text);
    ExitCode::SUCCESS
}

/// Write to standard output; a closed pipe (`| head`) is not an error worth a panic.
fn emit(text: &str) {
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

fn json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn hl_graph_text(g: &hlc_core::Graph, format: GraphFormat) -> String {
    match format {
        GraphFormat::Text => hlc_core::graph_text(g),
        GraphFormat::Json => hlc_core::graph_json(g),
        GraphFormat::Dot => hlc_core::graph_dot(g),
        GraphFormat::Mermaid => hlc_core::graph_mermaid(g),
        GraphFormat::Svg => hlc_core::graph_picture(g, &hlc_core::GraphView::default()).0,
    }
}

fn explain(code: Option<&str>) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    match code {
        None => {
            for c in hlc_core::diagnostics::CODES {
                let _ = writeln!(stdout, "{}  {:<22} {:<7}  {}", c.code, c.name, c.severity.as_str(), c.summary);
            }
            ExitCode::SUCCESS
        }
        Some(q) => match hlc_core::diagnostics::lookup(q) {
            Some(c) => {
                let _ = write!(stdout, "{}", c.doc);
                ExitCode::SUCCESS
            }
            None => {
                eprintln!("error: no diagnostic code `{q}`; `hlc explain` lists them all");
                ExitCode::from(EXIT_USAGE)
            }
        },
    }
}
