//! `hlc`, the hl compiler: the command-line front end. It reads files, calls `hlc-core`,
//! prints diagnostics and writes output. It is the only part of the compiler that does IO.

mod fsio;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use hl_diagnostics::render::{self, Style};

/// Exit codes: 0 success, 1 errors in the input, 2 usage or IO problems.
const EXIT_ERRORS: u8 = 1;
const EXIT_USAGE: u8 = 2;

#[derive(Parser)]
#[command(name = "hlc", version, about = "The hl homelab compiler: typed hl in, Kubernetes manifests out")]
struct Cli {
    /// When to use colours in diagnostics.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    color: ColorChoice,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compile a workspace and write the output (Kubernetes manifests) to `--out`.
    ///
    /// The output directory is replaced as a whole only when compilation succeeds; on any
    /// error the previous output stays as it was.
    #[command(after_help = "Examples:\n  hlc build\n  hlc build stacks --out out")]
    Build {
        /// The workspace directory.
        #[arg(default_value = "stacks")]
        dir: PathBuf,
        /// Where to write the output.
        #[arg(long, default_value = "out")]
        out: PathBuf,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Check a workspace: everything `build` does except writing.
    #[command(after_help = "Examples:\n  hlc check\n  hlc check stacks --format short")]
    Check {
        /// The workspace directory.
        #[arg(default_value = "stacks")]
        dir: PathBuf,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
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
enum Format {
    /// Snippets with labels and help.
    Human,
    /// One line per diagnostic: `path:line:col: severity[code]: message`.
    Short,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let color = match cli.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal(),
    };
    match cli.command {
        Command::Build { dir, out, format } => run(&dir, Some(&out), format, color),
        Command::Check { dir, format } => run(&dir, None, format, color),
        Command::Explain { code } => explain(code.as_deref()),
    }
}

fn run(dir: &std::path::Path, out: Option<&std::path::Path>, format: Format, color: bool) -> ExitCode {
    let files = match fsio::read_workspace(dir) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let nfiles = files.len();
    let c = hlc_core::compile(files);
    let text = match format {
        Format::Human => {
            let style = if color { Style::Color } else { Style::Plain };
            render::human(&c.diagnostics, &c.sources, style, 100)
        }
        Format::Short => render::short(&c.diagnostics, &c.sources),
    };
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(text.as_bytes());
    if c.has_errors() {
        let _ = writeln!(
            stderr,
            "{}: {}",
            if out.is_some() { "build failed" } else { "check failed" },
            render::summary(&c.diagnostics)
        );
        return ExitCode::from(EXIT_ERRORS);
    }
    let objects: usize = c.artifacts.iter().filter(|a| !a.path.ends_with("kustomization.yaml")).count();
    match out {
        Some(out) => {
            if let Err(e) = fsio::write_output(out, &c.artifacts) {
                let _ = writeln!(stderr, "error: cannot write {}: {e}", out.display());
                return ExitCode::from(EXIT_USAGE);
            }
            let _ = writeln!(
                stderr,
                "built {} stacks from {nfiles} files: {objects} objects in {} ({})",
                c.model.stacks.len(),
                out.display(),
                render::summary(&c.diagnostics)
            );
        }
        None => {
            let _ = writeln!(
                stderr,
                "checked {} stacks from {nfiles} files: {objects} objects ({})",
                c.model.stacks.len(),
                render::summary(&c.diagnostics)
            );
        }
    }
    ExitCode::SUCCESS
}

fn explain(code: Option<&str>) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    match code {
        None => {
            for c in hl_diagnostics::CODES {
                let _ = writeln!(stdout, "{}  {:<22} {:<7}  {}", c.code, c.name, c.severity.as_str(), c.summary);
            }
            ExitCode::SUCCESS
        }
        Some(q) => match hl_diagnostics::lookup(q) {
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
