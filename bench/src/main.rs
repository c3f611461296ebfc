//! `hl-bench`: the benchmark suite of hlc.
//!
//! - `hl-bench gen --stacks N --out DIR [--seed S]` writes a synthetic workspace shaped like the
//!   homelab, which `hlc check` accepts without errors or warnings;
//! - `hl-bench run [...]` times `hlc check` and `hlc build` as fresh processes on the real
//!   stacks and on generated workspaces, per thread count, and prints a table;
//! - `hl-bench lsp [...]` measures `hlc lsp`: latency from a one-character edit to published
//!   diagnostics in a generated workspace, and memory over many edits.
//!
//! See `bench/README.md` for what each figure means.

mod child;
mod lsp;
mod run;

use hl_bench::generate;

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
        /// Replace the `.hl` files of a workspace generated earlier in DIR.
        #[arg(long)]
        force: bool,
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
        Command::Gen { stacks, out, seed, force } => generate::write(&out, generate::Options { stacks, seed }, force)
            .map(|w| {
                eprintln!(
                    "wrote {} files ({} bytes) into {}: {stacks} generated stacks, seed {seed}",
                    w.files,
                    w.bytes,
                    out.display()
                );
            })
            .map_err(|e| format!("cannot write the workspace into `{}`: {e}", out.display())),
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

/// `hlc` beside this binary (both in `target/release` after a release build), else the
/// conventional path from the repository root.
fn default_hlc() -> PathBuf {
    let sibling = std::env::current_exe().ok().and_then(|exe| exe.parent().map(|d| d.join("hlc")));
    match sibling {
        Some(p) if p.is_file() => p,
        _ => PathBuf::from("target/release/hlc"),
    }
}
