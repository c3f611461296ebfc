//! How the CLI talks to people: quiet or verbose, colours, and a progress bar for builds that
//! take longer than a second.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hlc_core::{Compilation, InputText, Options, OutputFile, Progress, Writer};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The CRD schemas of `--crd-schemas` (or `HLC_CRD_SCHEMAS`), read once at start.
static CRD_SCHEMAS: std::sync::OnceLock<hlc_core::CrdSchemas> = std::sync::OnceLock::new();

/// Check every compilation's manifests against these schemas.
pub fn set_crd_schemas(schemas: hlc_core::CrdSchemas) {
    let _ = CRD_SCHEMAS.set(schemas);
}

/// What to print on standard error besides the diagnostics.
#[derive(Clone, Copy)]
pub struct Ui {
    /// Only errors and the command's own output.
    pub quiet: bool,
    /// Also what was read and how long each stage took.
    pub verbose: bool,
    /// Colours in diagnostics.
    pub color: bool,
}

/// A compilation shows a progress bar once it has run this long (on a terminal).
const PROGRESS_AFTER: Duration = Duration::from_secs(1);

impl Ui {
    /// Print a summary line (not with `--quiet`).
    pub fn note(&self, line: &str) {
        if !self.quiet {
            eprintln!("{line}");
        }
    }

    /// Compile with progress reporting: a bar on a terminal after a second, stage timings
    /// with `--verbose`. Without `artifacts`, the output is emitted and counted but not laid
    /// out as files, unless a `writer` takes them. The process is taken to exit after the
    /// command, so the compiler's working memory is not freed.
    pub fn compile(&self, files: Vec<InputText>, artifacts: bool, writer: Option<&Writer<'_>>) -> Compilation {
        let start = Instant::now();
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        // A spinner with the stage until the emit stage, which has a count to show.
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        let may_show = !self.quiet && std::io::stderr().is_terminal();
        let stages: Mutex<Vec<(&'static str, Instant)>> = Mutex::new(Vec::new());
        let on_progress = |p: Progress| {
            let stage = match p {
                Progress::Parsing { .. } => Some("parse"),
                Progress::Evaluating => Some("evaluate"),
                Progress::Checking => Some("check"),
                Progress::Emitting { stacks } => {
                    bar.set_length(stacks as u64);
                    bar.set_style(
                        ProgressStyle::with_template("{spinner} {msg} {bar:30} {pos}/{len} stacks")
                            .unwrap_or_else(|_| ProgressStyle::default_bar()),
                    );
                    Some("emit")
                }
                Progress::StackEmitted => {
                    bar.inc(1);
                    None
                }
                _ => None,
            };
            if let Some(stage) = stage {
                bar.set_message(stage);
                if let Ok(mut s) = stages.lock() {
                    s.push((stage, Instant::now()));
                }
            }
            if may_show && bar.is_hidden() && start.elapsed() >= PROGRESS_AFTER {
                bar.set_draw_target(ProgressDrawTarget::stderr());
                bar.enable_steady_tick(Duration::from_millis(120));
            }
        };
        let nfiles = files.len();
        let laid_out = AtomicUsize::new(0);
        let counted = |batch: &[OutputFile<'_>]| {
            laid_out.fetch_add(batch.len(), Ordering::Relaxed);
            if let Some(write) = writer {
                write(batch);
            }
        };
        let writer: Option<&Writer<'_>> = writer.map(|_| &counted as &Writer<'_>);
        let options = Options {
            progress: Some(&on_progress),
            artifacts,
            exiting: true,
            writer,
            crd_schemas: CRD_SCHEMAS.get(),
            ..Options::default()
        };
        let c = hlc_core::compile_with(files, &options);
        bar.finish_and_clear();
        if self.verbose {
            let end = Instant::now();
            let stages = stages.into_inner().unwrap_or_default();
            eprintln!(
                "read {nfiles} files; {} stacks; {} objects in {} output files",
                c.model.stacks.len(),
                c.objects,
                c.artifacts.len() + laid_out.load(Ordering::Relaxed)
            );
            for (i, (name, at)) in stages.iter().enumerate() {
                let until = stages.get(i + 1).map(|(_, t)| *t).unwrap_or(end);
                eprintln!("  {name:<9} {:>8.1} ms", until.duration_since(*at).as_secs_f64() * 1000.0);
            }
            eprintln!("  {:<9} {:>8.1} ms", "total", end.duration_since(start).as_secs_f64() * 1000.0);
        }
        c
    }
}
