//! `hl-bench run`: time `hlc check` and `hlc build` on the real stacks and on generated
//! workspaces, per thread count, and report a table (and optionally JSON).

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::child::{self, Measured};
use hl_bench::machine::{WorkDir, cores, load_average, median, mib, require_hlc};

/// A workspace to measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    /// The real homelab (`--stacks-dir`).
    Real,
    /// A generated workspace of this many application stacks.
    Generated(usize),
}

impl FromStr for Size {
    type Err = String;

    fn from_str(s: &str) -> Result<Size, String> {
        match s.trim() {
            "real" => Ok(Size::Real),
            n => n
                .replace('_', "")
                .parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .map(Size::Generated)
                .ok_or_else(|| format!("`{s}` is neither `real` nor a positive number of stacks")),
        }
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Size::Real => f.write_str("real"),
            Size::Generated(n) => write!(f, "{n}"),
        }
    }
}

/// How many worker threads hlc's parallel stages get.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Threads {
    /// `RAYON_NUM_THREADS` unset: one per core.
    Auto,
    Count(usize),
}

impl FromStr for Threads {
    type Err = String;

    fn from_str(s: &str) -> Result<Threads, String> {
        match s.trim() {
            "auto" => Ok(Threads::Auto),
            n => n
                .parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .map(Threads::Count)
                .ok_or_else(|| format!("`{s}` is neither `auto` nor a positive thread count")),
        }
    }
}

impl fmt::Display for Threads {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Threads::Auto => f.write_str("auto"),
            Threads::Count(n) => write!(f, "{n}"),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Options {
    pub hlc: PathBuf,
    pub stacks_dir: PathBuf,
    pub sizes: Vec<Size>,
    pub runs: usize,
    pub threads: Vec<Threads>,
    pub seed: u64,
    pub json: Option<PathBuf>,
    /// Where generated workspaces and build outputs go; a fresh temporary directory (removed
    /// afterwards) when absent.
    pub work: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cmd {
    Check,
    Build,
}

impl Cmd {
    fn as_str(self) -> &'static str {
        match self {
            Cmd::Check => "check",
            Cmd::Build => "build",
        }
    }
}

/// hlc's own summary of a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Summary {
    stacks: u64,
    files: u64,
    objects: u64,
    errors: u64,
    warnings: u64,
    waived: u64,
}

/// The figures of one command at one thread count.
#[derive(Clone, Debug)]
struct Series {
    cmd: Cmd,
    threads: Threads,
    /// Seconds of each measured run.
    walls: Vec<f64>,
    cpus: Vec<f64>,
    rss: Vec<u64>,
    summary: Summary,
}

impl Series {
    fn median(&self) -> f64 {
        median(&self.walls)
    }

    fn min(&self) -> f64 {
        self.walls.iter().copied().fold(f64::INFINITY, f64::min)
    }

    fn cpu(&self) -> f64 {
        median(&self.cpus)
    }

    fn peak_rss(&self) -> u64 {
        self.rss.iter().copied().max().unwrap_or(0)
    }

    fn throughput(&self) -> f64 {
        let m = self.median();
        if m > 0.0 { self.summary.objects as f64 / m } else { 0.0 }
    }
}

/// Everything measured on one workspace.
#[derive(Clone, Debug)]
struct SizeResult {
    size: Size,
    series: Vec<Series>,
    output_files: u64,
    output_bytes: u64,
    /// For each other thread count: whether its build output is byte-identical to the build
    /// at the reference thread count (`Err` says where they differ).
    identical: Vec<(Threads, Result<(), String>)>,
}

impl SizeResult {
    fn get(&self, cmd: Cmd, threads: Threads) -> Option<&Series> {
        self.series.iter().find(|s| s.cmd == cmd && s.threads == threads)
    }
}

pub fn run(opts: &Options) -> Result<(), String> {
    require_hlc(&opts.hlc)?;
    if opts.runs == 0 {
        return Err("--runs must be at least 1".into());
    }
    let guard = WorkDir::new(opts.work.as_deref(), "hl-bench")?;
    let work = guard.path.clone();
    let load_before = load_average();
    let floor = memory_floor(opts, &work)?;
    let mut results = Vec::new();
    for &size in &opts.sizes {
        let dir = match size {
            Size::Real => {
                if !opts.stacks_dir.is_dir() {
                    return Err(format!(
                        "the real workspace `{}` is not a directory (run from the repository root, or pass --stacks-dir)",
                        opts.stacks_dir.display()
                    ));
                }
                opts.stacks_dir.clone()
            }
            Size::Generated(n) => {
                let dir = work.join(format!("gen-{n}"));
                eprintln!("generating {n} stacks into {}", dir.display());
                generate_in_child(n, opts.seed, &dir, &work)?;
                dir
            }
        };
        results.push(measure_size(opts, size, &dir, &work)?);
    }
    let load = [load_before, load_average()];
    print_report(opts, &results, floor, &load);
    if let Some(path) = &opts.json {
        let text = serde_json::to_string_pretty(&to_json(opts, &results, floor, &load))
            .map_err(|e| format!("cannot serialise the results: {e}"))?;
        fs::write(path, text + "\n").map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// Generate a workspace with `hl-bench gen` in a child process, so that this process stays
/// small: its resident set would otherwise show in the peak memory of the children it forks.
fn generate_in_child(stacks: usize, seed: u64, dir: &Path, work: &Path) -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this program's path: {e}"))?;
    let mut c = Command::new(exe);
    c.arg("gen").arg("--stacks").arg(stacks.to_string()).arg("--seed").arg(seed.to_string());
    c.arg("--out").arg(dir).arg("--force");
    let m = child::run(&mut c, &work.join("gen-stderr.txt")).map_err(|e| format!("cannot run `hl-bench gen`: {e}"))?;
    if m.exit_code != Some(0) {
        return Err(format!("`hl-bench gen` failed:\n{}", tail(&m.stderr, 20)));
    }
    Ok(())
}

/// The peak memory of `hlc --version`: the floor under every peak-memory figure (the binary
/// itself, and this runner's share when it is the larger).
fn memory_floor(opts: &Options, work: &Path) -> Result<u64, String> {
    let mut c = Command::new(&opts.hlc);
    c.arg("--version");
    let m = child::run(&mut c, &work.join("hlc-stderr.txt"))
        .map_err(|e| format!("cannot run `{}`: {e}", opts.hlc.display()))?;
    Ok(m.max_rss)
}

fn measure_size(opts: &Options, size: Size, dir: &Path, work: &Path) -> Result<SizeResult, String> {
    let stderr_file = work.join("hlc-stderr.txt");
    let mut series = Vec::new();
    let mut outputs = Vec::new();
    for &threads in &opts.threads {
        for cmd in [Cmd::Check, Cmd::Build] {
            let out = work.join(format!("out-{size}-{threads}"));
            eprintln!("{size}: hlc {} with {threads} threads, 1 warm-up + {} runs", cmd.as_str(), opts.runs);
            let mut s = Series {
                cmd,
                threads,
                walls: Vec::new(),
                cpus: Vec::new(),
                rss: Vec::new(),
                summary: Summary::default(),
            };
            for i in 0..=opts.runs {
                if cmd == Cmd::Build {
                    remove_dir(&out)?;
                }
                let m = invoke(opts, cmd, threads, dir, &out, &stderr_file)?;
                let summary = parse_summary(&m.stderr).ok_or_else(|| {
                    format!("cannot find hlc's summary line in its standard error:\n{}", tail(&m.stderr, 20))
                })?;
                if i == 0 {
                    s.summary = summary;
                    continue;
                }
                s.walls.push(m.wall.as_secs_f64());
                s.cpus.push(m.cpu.as_secs_f64());
                s.rss.push(m.max_rss);
            }
            if cmd == Cmd::Build {
                outputs.push((threads, out));
            }
            series.push(s);
        }
    }
    let (output_files, output_bytes) = match outputs.first() {
        Some((_, out)) => tree_size(out).map_err(|e| format!("cannot measure `{}`: {e}", out.display()))?,
        None => (0, 0),
    };
    let mut identical = Vec::new();
    let reference = reference_threads(opts);
    if let Some((_, first)) = outputs.iter().find(|(t, _)| Some(*t) == reference) {
        for (threads, out) in outputs.iter().filter(|(t, _)| Some(*t) != reference) {
            identical.push((*threads, same_tree(first, out)));
        }
    }
    for (_, out) in &outputs {
        remove_dir(out)?;
    }
    Ok(SizeResult { size, series, output_files, output_bytes, identical })
}

fn invoke(
    opts: &Options,
    cmd: Cmd,
    threads: Threads,
    dir: &Path,
    out: &Path,
    stderr: &Path,
) -> Result<Measured, String> {
    let mut c = Command::new(&opts.hlc);
    c.arg(cmd.as_str()).arg(dir);
    if cmd == Cmd::Build {
        c.arg("--out").arg(out);
    }
    match threads {
        Threads::Auto => c.env_remove("RAYON_NUM_THREADS"),
        Threads::Count(n) => c.env("RAYON_NUM_THREADS", n.to_string()),
    };
    let m = child::run(&mut c, stderr).map_err(|e| format!("cannot run `{}`: {e}", opts.hlc.display()))?;
    if m.exit_code != Some(0) {
        let how = m.exit_code.map_or("was killed by a signal".to_string(), |c| format!("exited with {c}"));
        return Err(format!("`hlc {} {}` {how}:\n{}", cmd.as_str(), dir.display(), tail(&m.stderr, 30)));
    }
    Ok(m)
}

fn remove_dir(p: &Path) -> Result<(), String> {
    match fs::remove_dir_all(p) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("cannot remove `{}`: {e}", p.display())),
    }
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Read hlc's closing lines: `checked N stacks from N files: N objects (E errors, W warnings)`
/// (or `built ... objects in DIR (...)`) and `N warnings waived by M stacks ...`.
fn parse_summary(stderr: &str) -> Option<Summary> {
    let mut waived = 0;
    let mut found = None;
    for line in stderr.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.len() > 3 && words[1..3] == ["warnings", "waived"] {
            waived = words[0].parse().ok()?;
        }
        if !(words.first() == Some(&"checked") || words.first() == Some(&"built")) {
            continue;
        }
        if words.len() < 8 || words[2] != "stacks" || words[5] != "files:" || words[7] != "objects" {
            continue;
        }
        let (_, counts) = line.rsplit_once('(')?;
        let counts: Vec<u64> = counts
            .split(|c: char| !c.is_ascii_digit())
            .filter(|w| !w.is_empty())
            .filter_map(|w| w.parse().ok())
            .collect();
        found = Some(Summary {
            stacks: words[1].parse().ok()?,
            files: words[4].parse().ok()?,
            objects: words[6].parse().ok()?,
            errors: *counts.first()?,
            warnings: *counts.get(1)?,
            waived: 0,
        });
    }
    found.map(|s| Summary { waived, ..s })
}

/// Files and bytes under `dir`.
fn tree_size(dir: &Path) -> io::Result<(u64, u64)> {
    let mut files = 0;
    let mut bytes = 0;
    for (_, path) in list_files(dir)? {
        files += 1;
        bytes += fs::metadata(&path)?.len();
    }
    Ok((files, bytes))
}

/// Every file under `dir`, as (path relative to `dir`, full path), sorted.
fn list_files(dir: &Path) -> io::Result<Vec<(String, PathBuf)>> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) -> io::Result<()> {
        for entry in fs::read_dir(dir)? {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                walk(root, &path, out)?;
            } else {
                let rel = path.strip_prefix(root).unwrap_or(&path).to_string_lossy().into_owned();
                out.push((rel, path));
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out)?;
    out.sort();
    Ok(out)
}

/// Whether two output trees hold the same files with the same bytes; `Err` names the first
/// difference.
fn same_tree(a: &Path, b: &Path) -> Result<(), String> {
    let la = list_files(a).map_err(|e| format!("cannot read `{}`: {e}", a.display()))?;
    let lb = list_files(b).map_err(|e| format!("cannot read `{}`: {e}", b.display()))?;
    let names_a: Vec<&str> = la.iter().map(|(r, _)| r.as_str()).collect();
    let names_b: Vec<&str> = lb.iter().map(|(r, _)| r.as_str()).collect();
    if names_a != names_b {
        let only = names_a
            .iter()
            .find(|n| !names_b.contains(n))
            .or_else(|| names_b.iter().find(|n| !names_a.contains(n)))
            .map_or("?", |n| n);
        return Err(format!("different file lists ({} vs {} files; `{only}` is in one only)", la.len(), lb.len()));
    }
    for ((rel, pa), (_, pb)) in la.iter().zip(&lb) {
        let ba = fs::read(pa).map_err(|e| format!("cannot read `{}`: {e}", pa.display()))?;
        let bb = fs::read(pb).map_err(|e| format!("cannot read `{}`: {e}", pb.display()))?;
        if ba != bb {
            return Err(format!("`{rel}` differs"));
        }
    }
    Ok(())
}

/// The thread count whose figures are the headline ones: `auto` when measured, else the first.
fn base_threads(opts: &Options) -> Option<Threads> {
    opts.threads.iter().copied().find(|t| *t == Threads::Auto).or_else(|| opts.threads.first().copied())
}

/// The build whose output the others are compared with: one thread when measured, else the
/// first thread count.
fn reference_threads(opts: &Options) -> Option<Threads> {
    opts.threads.iter().copied().find(|t| *t == Threads::Count(1)).or_else(|| opts.threads.first().copied())
}

/// Pairs of measured thread counts for speed-ups: 1 against every larger count.
fn speedup_pairs(opts: &Options) -> Vec<(usize, usize)> {
    let counts: Vec<usize> =
        opts.threads.iter().filter_map(|t| if let Threads::Count(n) = t { Some(*n) } else { None }).collect();
    let Some(&lo) = counts.iter().min() else { return Vec::new() };
    counts.iter().filter(|&&n| n > lo).map(|&n| (lo, n)).collect()
}

/// Growth exponent `log(b/a) / log(n_b/n_a)` between two generated sizes.
fn exponent(a: f64, b: f64, na: usize, nb: usize) -> Option<f64> {
    if a <= 0.0 || b <= 0.0 || na == 0 || nb <= na {
        return None;
    }
    Some((b / a).ln() / (nb as f64 / na as f64).ln())
}

/// Consecutive generated sizes, smallest first.
fn generated_pairs(results: &[SizeResult]) -> Vec<(&SizeResult, usize, &SizeResult, usize)> {
    let mut generated: Vec<(&SizeResult, usize)> =
        results.iter().filter_map(|r| if let Size::Generated(n) = r.size { Some((r, n)) } else { None }).collect();
    generated.sort_by_key(|(_, n)| *n);
    generated.windows(2).map(|w| (w[0].0, w[0].1, w[1].0, w[1].1)).collect()
}

fn print_report(opts: &Options, results: &[SizeResult], floor: u64, load: &[Option<String>; 2]) {
    println!();
    println!(
        "hlc: {}   runs: {} (after 1 warm-up)   cores: {}   peak memory of `hlc --version`: {:.1} MiB",
        opts.hlc.display(),
        opts.runs,
        cores(),
        mib(floor)
    );
    if let [Some(before), Some(after)] = load {
        println!("load average (1, 5, 15 min) before: {before}   after: {after}");
    }
    println!();
    println!(
        "{:<6} {:>6} {:>7} {:<5} {:>4} {:>9} {:>9} {:>9} {:>9} {:>10} {:>9}",
        "size", "stacks", "objects", "cmd", "thr", "median s", "min s", "cpu s", "peak MiB", "objects/s", "out MiB"
    );
    for r in results {
        for s in &r.series {
            let out = if s.cmd == Cmd::Build { format!("{:.2}", mib(r.output_bytes)) } else { "-".into() };
            println!(
                "{:<6} {:>6} {:>7} {:<5} {:>4} {:>9.3} {:>9.3} {:>9.3} {:>9.1} {:>10.0} {:>9}",
                r.size.to_string(),
                s.summary.stacks,
                s.summary.objects,
                s.cmd.as_str(),
                s.threads.to_string(),
                s.median(),
                s.min(),
                s.cpu(),
                mib(s.peak_rss()),
                s.throughput(),
                out
            );
        }
    }
    println!();
    for r in results {
        if let Some(s) = r.series.first() {
            let m = s.summary;
            println!(
                "{}: {} stacks from {} files, {} objects, {} errors, {} warnings, {} waived; build output {} files, {} bytes",
                r.size, m.stacks, m.files, m.objects, m.errors, m.warnings, m.waived, r.output_files, r.output_bytes
            );
        }
    }
    let pairs = speedup_pairs(opts);
    if !pairs.is_empty() {
        println!();
        println!("speed-up (median wall time at the lower thread count / at the higher):");
        for r in results {
            for cmd in [Cmd::Check, Cmd::Build] {
                for &(lo, hi) in &pairs {
                    if let (Some(a), Some(b)) = (r.get(cmd, Threads::Count(lo)), r.get(cmd, Threads::Count(hi))) {
                        println!(
                            "  {:<6} {:<5} {lo}->{hi} threads: {:.3} s -> {:.3} s = {:.2}x",
                            r.size.to_string(),
                            cmd.as_str(),
                            a.median(),
                            b.median(),
                            a.median() / b.median()
                        );
                    }
                }
            }
        }
    }
    if let Some(base) = base_threads(opts) {
        let pairs = generated_pairs(results);
        if !pairs.is_empty() {
            println!();
            println!("growth exponent between generated sizes (1 = linear), at {base} threads:");
        }
        for (a, na, b, nb) in pairs {
            for cmd in [Cmd::Check, Cmd::Build] {
                if let (Some(sa), Some(sb)) = (a.get(cmd, base), b.get(cmd, base)) {
                    let t = exponent(sa.median(), sb.median(), na, nb);
                    let m = exponent(sa.peak_rss() as f64, sb.peak_rss() as f64, na, nb);
                    println!("  {na} -> {nb} {:<5} time {}   peak memory {}", cmd.as_str(), fmt_opt(t), fmt_opt(m));
                }
            }
        }
    }
    let checks: Vec<_> = results.iter().flat_map(|r| r.identical.iter().map(move |i| (r.size, i))).collect();
    if !checks.is_empty() {
        println!();
        let reference = reference_threads(opts).map_or("?".to_string(), |t| t.to_string());
        println!("build output compared with the build at {reference} threads:");
        for (size, (threads, verdict)) in checks {
            match verdict {
                Ok(()) => println!("  {size:<6} {threads} threads: byte-identical"),
                Err(why) => println!("  {size:<6} {threads} threads: DIFFERENT: {why}"),
            }
        }
    }
}

fn fmt_opt(x: Option<f64>) -> String {
    x.map_or("n/a".into(), |x| format!("{x:.2}"))
}

fn to_json(opts: &Options, results: &[SizeResult], floor: u64, load: &[Option<String>; 2]) -> Value {
    let sizes: Vec<Value> = results
        .iter()
        .map(|r| {
            let series: Vec<Value> = r
                .series
                .iter()
                .map(|s| {
                    json!({
                        "command": s.cmd.as_str(),
                        "threads": s.threads.to_string(),
                        "median_s": s.median(),
                        "min_s": s.min(),
                        "cpu_median_s": s.cpu(),
                        "peak_rss_bytes": s.peak_rss(),
                        "objects_per_s": s.throughput(),
                        "wall_s": s.walls,
                        "cpu_s": s.cpus,
                        "rss_bytes": s.rss,
                    })
                })
                .collect();
            let summary = r.series.first().map(|s| s.summary).unwrap_or_default();
            let identical: Vec<Value> = r
                .identical
                .iter()
                .map(|(t, v)| match v {
                    Ok(()) => json!({ "threads": t.to_string(), "identical": true }),
                    Err(why) => json!({ "threads": t.to_string(), "identical": false, "difference": why }),
                })
                .collect();
            json!({
                "size": r.size.to_string(),
                "stacks": summary.stacks,
                "files": summary.files,
                "objects": summary.objects,
                "errors": summary.errors,
                "warnings": summary.warnings,
                "waived": summary.waived,
                "output_files": r.output_files,
                "output_bytes": r.output_bytes,
                "series": series,
                "build_output_identical_to_reference": identical,
            })
        })
        .collect();
    let mut speedups = Vec::new();
    for r in results {
        for cmd in [Cmd::Check, Cmd::Build] {
            for (lo, hi) in speedup_pairs(opts) {
                if let (Some(a), Some(b)) = (r.get(cmd, Threads::Count(lo)), r.get(cmd, Threads::Count(hi))) {
                    speedups.push(json!({
                        "size": r.size.to_string(), "command": cmd.as_str(), "from": lo, "to": hi,
                        "speedup": a.median() / b.median(),
                    }));
                }
            }
        }
    }
    let mut growth = Vec::new();
    if let Some(base) = base_threads(opts) {
        for (a, na, b, nb) in generated_pairs(results) {
            for cmd in [Cmd::Check, Cmd::Build] {
                if let (Some(sa), Some(sb)) = (a.get(cmd, base), b.get(cmd, base)) {
                    growth.push(json!({
                        "from": na, "to": nb, "command": cmd.as_str(), "threads": base.to_string(),
                        "time_exponent": exponent(sa.median(), sb.median(), na, nb),
                        "memory_exponent": exponent(sa.peak_rss() as f64, sb.peak_rss() as f64, na, nb),
                    }));
                }
            }
        }
    }
    let when = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    json!({
        "hlc": opts.hlc.display().to_string(),
        "unix_time": when,
        "cores": cores(),
        "version_peak_rss_bytes": floor,
        "load_average_before": load[0],
        "load_average_after": load[1],
        "runs": opts.runs,
        "seed": opts.seed,
        "reference_threads": reference_threads(opts).map(|t| t.to_string()),
        "sizes": sizes,
        "speedups": speedups,
        "growth": growth,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_hlc_summaries() {
        let check = "12 warnings waived by 3 stacks, each with a reason (list them with --show-waived)\n\
                     checked 131 stacks from 134 files: 1212 objects (0 errors, 1 warning)\n";
        assert_eq!(
            parse_summary(check),
            Some(Summary { stacks: 131, files: 134, objects: 1212, errors: 0, warnings: 1, waived: 12 })
        );
        let build = "built 20 stacks from 21 files: 300 objects in /tmp/x (y) (0 errors, 0 warnings)\n";
        assert_eq!(parse_summary(build).map(|s| s.objects), Some(300));
        assert_eq!(parse_summary("error: nothing"), None);
    }

    #[test]
    fn medians_and_exponents() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        let e = exponent(1.0, 10.0, 1000, 10_000).unwrap_or(f64::NAN);
        assert!((e - 1.0).abs() < 1e-9);
        assert_eq!(exponent(1.0, 2.0, 10, 10), None);
    }

    #[test]
    fn parses_sizes_and_threads() {
        assert_eq!("real".parse::<Size>(), Ok(Size::Real));
        assert_eq!("10_000".parse::<Size>(), Ok(Size::Generated(10_000)));
        assert!("0".parse::<Size>().is_err());
        assert_eq!("auto".parse::<Threads>(), Ok(Threads::Auto));
        assert_eq!("2".parse::<Threads>(), Ok(Threads::Count(2)));
    }
}
