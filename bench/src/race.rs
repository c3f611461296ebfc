//! `hl-bench race`: hlc against Pkl on the same workload, measured in one run.
//!
//! For each size it writes the hl workspace (`generate.rs`) and the Pkl workspace (`pkl.rs`) of
//! the same stacks, builds both once and checks that they emit the same core objects (the
//! comparison below, run in a child process: see [`run`]), and only then times four commands,
//! paired: each measured round runs all four, one after the other, the tools' order swapped
//! every other round, so that whatever else the machine does falls on both alike.
//!
//! | command | what it does |
//! | --- | --- |
//! | `hlc check WS` | everything `build` does but writing the files |
//! | `pkl eval -x EXPR workspace.pkl` | evaluates every stack and renders every file's YAML in memory ([`PKL_CHECK`]), writes nothing |
//! | `hlc build WS --out OUT` | writes one YAML file per object and a `kustomization.yaml` per stack (and the Proxmox, backup and graph files) |
//! | `pkl eval -m OUT parts/*.pkl` | writes one YAML file per object and a `kustomization.yaml` per stack |
//!
//! Pkl reads the workspace through modules that import the stacks ([`crate::pkl::ENTRY`] and
//! [`crate::pkl::PARTS`], which say why each), not through the stack modules one by one: given
//! many modules, `pkl eval -m` builds a new evaluator for each, which reads and evaluates the
//! domain library again every time (15.7 s instead of 1.7 s for 1,000 stacks).
//!
//! The comparison ([`compare`]) reads both output trees (`k8s/<stack>/*.yaml`) and, for every
//! stack, the set of (kind, namespace, name) of its workloads (Deployment, StatefulSet,
//! DaemonSet, CronJob, Job), Services, Ingresses and PersistentVolumeClaims, and for every
//! container and init container of a workload its image and ports. Any difference fails the
//! race before anything is timed. It also counts the files that are equal in every field once
//! parsed, for the record.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::child::{self, Measured};
use crate::machine::{WorkDir, cores, load_average, median, mib, require_hlc};

/// The expression of Pkl's check mode: the length of every output file's text, summed, for
/// each module. Reading `text` renders the file's value with its renderer, so every object is
/// evaluated, type-checked and written as YAML, in memory, as `hlc check` does; nothing is
/// written to disk, and the standard output is a number per module.
///
/// Not `pkl eval MODULES > /dev/null`: without `-m` Pkl renders each module's own properties
/// (the stack's declarations), which never touches the objects the stack renders, so it would
/// skip most of the work `hlc check` does.
pub const PKL_CHECK: &str = "output.files.toMap().fold(0, (n, _, f) -> n + f.text.length)";

/// The Pkl version the race is pinned to (`tests/tools/pkl.sh` installs it).
pub const PKL_VERSION: &str = "0.30.2";

/// The targets of issue #27: hlc's wall time as a fraction of Pkl's, at most.
const TARGET_CHECK: f64 = 0.10;
const TARGET_BUILD: f64 = 0.15;

/// What to race.
#[derive(Clone, Debug)]
pub struct Options {
    pub hlc: PathBuf,
    pub pkl: PathBuf,
    /// Numbers of generated stacks.
    pub sizes: Vec<usize>,
    pub runs: usize,
    pub seed: u64,
    pub json: Option<PathBuf>,
    /// Where workspaces and outputs go; a temporary directory (removed afterwards) when absent.
    pub work: Option<PathBuf>,
}

/// The four commands, in the order of a round.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cmd {
    HlcCheck,
    PklCheck,
    HlcBuild,
    PklBuild,
}

impl Cmd {
    const ALL: [Cmd; 4] = [Cmd::HlcCheck, Cmd::PklCheck, Cmd::HlcBuild, Cmd::PklBuild];

    fn tool(self) -> &'static str {
        match self {
            Cmd::HlcCheck | Cmd::HlcBuild => "hlc",
            Cmd::PklCheck | Cmd::PklBuild => "pkl",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Cmd::HlcCheck => "check",
            Cmd::HlcBuild => "build",
            Cmd::PklCheck => "eval -x",
            Cmd::PklBuild => "eval -m",
        }
    }

    /// The hlc command a Pkl command is paired with, and the other way round.
    fn pair(self) -> Cmd {
        match self {
            Cmd::HlcCheck => Cmd::PklCheck,
            Cmd::PklCheck => Cmd::HlcCheck,
            Cmd::HlcBuild => Cmd::PklBuild,
            Cmd::PklBuild => Cmd::HlcBuild,
        }
    }
}

/// The measured runs of one command at one size.
#[derive(Clone, Debug, Default)]
struct Series {
    walls: Vec<f64>,
    cpus: Vec<f64>,
    rss: Vec<u64>,
}

impl Series {
    fn push(&mut self, m: &Measured) {
        self.walls.push(m.wall.as_secs_f64());
        self.cpus.push(m.cpu.as_secs_f64());
        self.rss.push(m.max_rss);
    }

    fn peak(&self) -> u64 {
        self.rss.iter().copied().max().unwrap_or(0)
    }

    fn min(&self) -> f64 {
        self.walls.iter().copied().fold(f64::INFINITY, f64::min)
    }
}

/// Everything measured at one size.
struct SizeResult {
    /// Generated stacks (the fixed ones come on top).
    stacks: usize,
    comparison: Comparison,
    series: BTreeMap<&'static str, Series>,
}

impl SizeResult {
    fn get(&self, cmd: Cmd) -> Option<&Series> {
        self.series.get(key(cmd))
    }

    /// hlc's median wall time over Pkl's, for a check or a build.
    fn ratio(&self, hlc: Cmd) -> Option<f64> {
        let (h, p) = (self.get(hlc)?, self.get(hlc.pair())?);
        let pm = median(&p.walls);
        (pm > 0.0).then(|| median(&h.walls) / pm)
    }

    /// The median of the per-round ratios: each hlc run over the Pkl run of its own round.
    fn paired_ratio(&self, hlc: Cmd) -> Option<f64> {
        let (h, p) = (self.get(hlc)?, self.get(hlc.pair())?);
        let ratios: Vec<f64> = h.walls.iter().zip(&p.walls).filter(|(_, p)| **p > 0.0).map(|(h, p)| h / p).collect();
        (!ratios.is_empty()).then(|| median(&ratios))
    }
}

fn key(cmd: Cmd) -> &'static str {
    match cmd {
        Cmd::HlcCheck => "hlc check",
        Cmd::PklCheck => "pkl eval -x",
        Cmd::HlcBuild => "hlc build",
        Cmd::PklBuild => "pkl eval -m",
    }
}

pub fn run(opts: &Options) -> Result<(), String> {
    require_hlc(&opts.hlc)?;
    if !opts.pkl.is_file() {
        return Err(format!(
            "pkl not found at `{}`: install Pkl {PKL_VERSION} with `bash tests/tools/pkl.sh` (it prints the path), or pass --pkl",
            opts.pkl.display()
        ));
    }
    if opts.runs == 0 {
        return Err("--runs must be at least 1".into());
    }
    if opts.sizes.is_empty() {
        return Err("--sizes names no size".into());
    }
    let guard = WorkDir::new(opts.work.as_deref(), "hl-bench-race")?;
    let work = guard.path.clone();
    // Absolute, because Pkl runs in its workspace directory and gets the output path from here.
    let work = work.canonicalize().map_err(|e| format!("cannot resolve `{}`: {e}", work.display()))?;
    let pkl_version = version(&opts.pkl)?;
    if !pkl_version.contains(PKL_VERSION) {
        eprintln!("warning: the race is pinned to Pkl {PKL_VERSION}, and `{}` is {pkl_version}", opts.pkl.display());
    }
    let floors = [floor(&opts.hlc, &work)?, floor(&opts.pkl, &work)?];
    let load_before = load_average();
    let mut results = Vec::new();
    for &n in &opts.sizes {
        results.push(race_size(opts, n, &work)?);
    }
    let load = [load_before, load_average()];
    print_report(opts, &pkl_version, floors, &load, &results);
    if let Some(path) = &opts.json {
        let text = serde_json::to_string_pretty(&to_json(opts, &pkl_version, floors, &load, &results))
            .map_err(|e| format!("cannot serialise the results: {e}"))?;
        fs::write(path, text + "\n").map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// Generate, compare, then time one size.
fn race_size(opts: &Options, n: usize, work: &Path) -> Result<SizeResult, String> {
    let hl_ws = work.join(format!("hl-{n}"));
    let pkl_ws = work.join(format!("pkl-{n}"));
    let hl_out = work.join(format!("hl-out-{n}"));
    let pkl_out = work.join(format!("pkl-out-{n}"));
    eprintln!("{n}: generating the hl and the Pkl workspace (seed {})", opts.seed);
    generate_in_child(n, opts.seed, "hl", &hl_ws, work)?;
    generate_in_child(n, opts.seed, "pkl", &pkl_ws, work)?;

    // The first build of each is also the warm-up of its command; the comparison runs in a
    // child so that this process stays small (its resident set would show in the peak memory
    // of the children it forks next).
    eprintln!("{n}: building both once, and comparing their core objects");
    for cmd in [Cmd::HlcBuild, Cmd::PklBuild] {
        invoke(opts, cmd, &hl_ws, &pkl_ws, &hl_out, &pkl_out, work)?;
    }
    let comparison = compare_in_child(&hl_out, &pkl_out, work)?;
    if !comparison.differences.is_empty() {
        let shown: Vec<&str> = comparison.differences.iter().take(30).map(String::as_str).collect();
        return Err(format!(
            "{n} stacks: hlc and Pkl do not emit the same core objects ({} differences), so there is nothing fair to time:\n  {}",
            comparison.differences.len(),
            shown.join("\n  ")
        ));
    }
    eprintln!("{n}: {}", comparison.summary());

    let mut series: BTreeMap<&'static str, Series> = BTreeMap::new();
    for round in 0..=opts.runs {
        // Round 0 warms the checks up (the builds were warmed up above) and is not kept.
        let mut order = Cmd::ALL.to_vec();
        if round % 2 == 1 {
            // Pkl first in every other round.
            order = vec![Cmd::PklCheck, Cmd::HlcCheck, Cmd::PklBuild, Cmd::HlcBuild];
        }
        if round > 0 {
            eprintln!("{n}: round {round} of {}", opts.runs);
        }
        for cmd in order {
            if round == 0 && matches!(cmd, Cmd::HlcBuild | Cmd::PklBuild) {
                continue;
            }
            let m = invoke(opts, cmd, &hl_ws, &pkl_ws, &hl_out, &pkl_out, work)?;
            if round > 0 {
                series.entry(key(cmd)).or_default().push(&m);
            }
        }
    }
    for dir in [&hl_out, &pkl_out] {
        remove_dir(dir)?;
    }
    Ok(SizeResult { stacks: n, comparison, series })
}

/// Run one command once, its output directory (for a build) removed first, outside the timing.
fn invoke(
    opts: &Options,
    cmd: Cmd,
    hl_ws: &Path,
    pkl_ws: &Path,
    hl_out: &Path,
    pkl_out: &Path,
    work: &Path,
) -> Result<Measured, String> {
    let mut c = match cmd {
        Cmd::HlcCheck | Cmd::HlcBuild => {
            let mut c = Command::new(&opts.hlc);
            c.arg(if cmd == Cmd::HlcCheck { "check" } else { "build" }).arg(hl_ws);
            if cmd == Cmd::HlcBuild {
                remove_dir(hl_out)?;
                c.arg("--out").arg(hl_out);
            }
            // hlc's default: one worker thread per core.
            c.env_remove("RAYON_NUM_THREADS");
            c
        }
        Cmd::PklCheck | Cmd::PklBuild => {
            let mut c = Command::new(&opts.pkl);
            c.current_dir(pkl_ws).args(["eval", "--color", "never"]);
            if cmd == Cmd::PklCheck {
                c.arg("-x").arg(PKL_CHECK).arg(crate::pkl::ENTRY);
            } else {
                remove_dir(pkl_out)?;
                c.arg("-m").arg(pkl_out).args(pkl_parts(pkl_ws)?);
            }
            c
        }
    };
    let stderr = work.join("race-stderr.txt");
    let m = child::run(&mut c, &stderr).map_err(|e| format!("cannot run {}: {e}", cmd.tool()))?;
    if m.exit_code != Some(0) {
        let how = m.exit_code.map_or("was killed by a signal".to_string(), |c| format!("exited with {c}"));
        return Err(format!("`{} {}` {how}:\n{}", cmd.tool(), cmd.name(), tail(&m.stderr, 30)));
    }
    Ok(m)
}

/// Write a workspace with `hl-bench gen` in a child process (see [`race_size`]).
fn generate_in_child(stacks: usize, seed: u64, lang: &str, dir: &Path, work: &Path) -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this program's path: {e}"))?;
    let mut c = Command::new(exe);
    c.args(["gen", "--lang", lang, "--force", "--stacks", &stacks.to_string(), "--seed", &seed.to_string()]);
    c.arg("--out").arg(dir);
    let m = child::run(&mut c, &work.join("gen-stderr.txt")).map_err(|e| format!("cannot run `hl-bench gen`: {e}"))?;
    if m.exit_code != Some(0) {
        return Err(format!("`hl-bench gen --lang {lang}` failed:\n{}", tail(&m.stderr, 20)));
    }
    Ok(())
}

/// Compare two outputs with `hl-bench compare` in a child process, which writes its findings
/// as JSON (see [`race_size`]).
fn compare_in_child(hl_out: &Path, pkl_out: &Path, work: &Path) -> Result<Comparison, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this program's path: {e}"))?;
    let json = work.join("comparison.json");
    // Not the findings of an earlier size, should this child fail before writing its own.
    remove_file(&json)?;
    let mut c = Command::new(exe);
    c.arg("compare").arg(hl_out).arg(pkl_out).arg("--json").arg(&json);
    let m = child::run(&mut c, &work.join("compare-stderr.txt"))
        .map_err(|e| format!("cannot run `hl-bench compare`: {e}"))?;
    // It exits with 1 when the outputs differ, and still writes what it found.
    let text = fs::read_to_string(&json)
        .map_err(|e| format!("`hl-bench compare` wrote no findings ({e}):\n{}", tail(&m.stderr, 20)))?;
    let v: Value = serde_json::from_str(&text).map_err(|e| format!("cannot read `{}`: {e}", json.display()))?;
    Comparison::from_json(&v).ok_or_else(|| format!("`{}` is not a comparison", json.display()))
}

/// The modules of `parts/` (relative to the Pkl workspace), sorted.
pub fn pkl_parts(ws: &Path) -> Result<Vec<String>, String> {
    let dir = ws.join(crate::pkl::PARTS);
    let mut out: Vec<String> = fs::read_dir(&dir)
        .map_err(|e| format!("cannot read `{}`: {e}", dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".pkl"))
        .map(|n| format!("{}/{n}", crate::pkl::PARTS))
        .collect();
    out.sort();
    Ok(out)
}

/// `pkl --version`'s first line.
fn version(bin: &Path) -> Result<String, String> {
    let out =
        Command::new(bin).arg("--version").output().map_err(|e| format!("cannot run `{}`: {e}", bin.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(text.lines().next().unwrap_or_default().trim().to_string())
}

/// The peak memory of `BIN --version`: the floor under the tool's memory figures.
fn floor(bin: &Path, work: &Path) -> Result<u64, String> {
    let mut c = Command::new(bin);
    c.arg("--version");
    let m = child::run(&mut c, &work.join("version-stderr.txt"))
        .map_err(|e| format!("cannot run `{}`: {e}", bin.display()))?;
    Ok(m.max_rss)
}

fn remove_file(p: &Path) -> Result<(), String> {
    match fs::remove_file(p) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("cannot remove `{}`: {e}", p.display())),
    }
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

fn verdict(ratio: Option<f64>, target: f64) -> &'static str {
    match ratio {
        Some(r) if r <= target => "met",
        Some(_) => "NOT met",
        None => "n/a",
    }
}

fn fmt_ratio(r: Option<f64>) -> String {
    r.map_or("n/a".into(), |r| format!("{r:.3}"))
}

fn print_report(
    opts: &Options,
    pkl_version: &str,
    floors: [u64; 2],
    load: &[Option<String>; 2],
    results: &[SizeResult],
) {
    println!();
    println!("hlc: {}   (`hlc --version` peaks at {:.1} MiB)", opts.hlc.display(), mib(floors[0]));
    println!("pkl: {}   {pkl_version}   (`pkl --version` peaks at {:.1} MiB)", opts.pkl.display(), mib(floors[1]));
    println!(
        "runs: {} paired rounds after 1 warm-up; seed {}; cores: {}; hlc with one thread per core, Pkl as it comes",
        opts.runs,
        opts.seed,
        cores()
    );
    if let [Some(before), Some(after)] = load {
        println!("load average (1, 5, 15 min) before: {before}   after: {after}");
    }
    for r in results {
        println!();
        println!("{} generated stacks: {}", r.stacks, r.comparison.summary());
        println!("  {}", r.comparison.files_summary());
    }
    println!();
    println!(
        "{:<7} {:<4} {:<8} {:>9} {:>9} {:>9} {:>9}",
        "stacks", "tool", "command", "median s", "min s", "cpu s", "peak MiB"
    );
    for r in results {
        for cmd in Cmd::ALL {
            if let Some(s) = r.get(cmd) {
                println!(
                    "{:<7} {:<4} {:<8} {:>9.3} {:>9.3} {:>9.3} {:>9.1}",
                    r.stacks,
                    cmd.tool(),
                    cmd.name(),
                    median(&s.walls),
                    s.min(),
                    median(&s.cpus),
                    mib(s.peak())
                );
            }
        }
    }
    println!();
    println!("hlc / Pkl, wall time (median over median; in brackets the median of the per-round ratios), CPU time:");
    for r in results {
        for (cmd, target) in [(Cmd::HlcCheck, TARGET_CHECK), (Cmd::HlcBuild, TARGET_BUILD)] {
            let cpu = match (r.get(cmd), r.get(cmd.pair())) {
                (Some(h), Some(p)) if median(&p.cpus) > 0.0 => Some(median(&h.cpus) / median(&p.cpus)),
                _ => None,
            };
            println!(
                "  {:<6} {:<5} wall {} ({})   cpu {}   target <= {target:.2}: {}",
                r.stacks,
                cmd.name(),
                fmt_ratio(r.ratio(cmd)),
                fmt_ratio(r.paired_ratio(cmd)),
                fmt_ratio(cpu),
                verdict(r.ratio(cmd), target)
            );
        }
    }
}

fn to_json(
    opts: &Options,
    pkl_version: &str,
    floors: [u64; 2],
    load: &[Option<String>; 2],
    results: &[SizeResult],
) -> Value {
    let sizes: Vec<Value> = results
        .iter()
        .map(|r| {
            let series: Vec<Value> = Cmd::ALL
                .iter()
                .filter_map(|&cmd| {
                    let s = r.get(cmd)?;
                    Some(json!({
                        "tool": cmd.tool(),
                        "command": cmd.name(),
                        "median_s": median(&s.walls),
                        "min_s": s.min(),
                        "cpu_median_s": median(&s.cpus),
                        "peak_rss_bytes": s.peak(),
                        "wall_s": s.walls,
                        "cpu_s": s.cpus,
                        "rss_bytes": s.rss,
                    }))
                })
                .collect();
            json!({
                "generated_stacks": r.stacks,
                "comparison": r.comparison.to_json(),
                "series": series,
                "ratio_check": r.ratio(Cmd::HlcCheck),
                "ratio_check_paired": r.paired_ratio(Cmd::HlcCheck),
                "ratio_build": r.ratio(Cmd::HlcBuild),
                "ratio_build_paired": r.paired_ratio(Cmd::HlcBuild),
                "target_check": TARGET_CHECK,
                "target_build": TARGET_BUILD,
            })
        })
        .collect();
    let when = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    json!({
        "hlc": opts.hlc.display().to_string(),
        "pkl": opts.pkl.display().to_string(),
        "pkl_version": pkl_version,
        "hlc_version_peak_rss_bytes": floors[0],
        "pkl_version_peak_rss_bytes": floors[1],
        "unix_time": when,
        "cores": cores(),
        "runs": opts.runs,
        "seed": opts.seed,
        "pkl_check_expression": PKL_CHECK,
        "load_average_before": load[0],
        "load_average_after": load[1],
        "sizes": sizes,
    })
}

// The comparison.

/// The kinds whose (kind, namespace, name) must be the same on both sides.
pub const CORE_KINDS: [&str; 8] =
    ["Deployment", "StatefulSet", "DaemonSet", "CronJob", "Job", "Service", "Ingress", "PersistentVolumeClaim"];

/// (stack, kind, namespace, name) of an object.
type ObjectKey = (String, String, String, String);

/// A container's image and its ports as `name/port/protocol`, in order.
type ContainerCore = (String, Vec<String>);

/// What one side emitted, reduced to the compared core.
#[derive(Debug, Default)]
struct Core {
    /// Every object of a core kind.
    objects: BTreeSet<ObjectKey>,
    /// The containers of the workloads, by workload and container name.
    containers: BTreeMap<(ObjectKey, String), ContainerCore>,
    stacks: BTreeSet<String>,
}

impl Core {
    /// Add one parsed object of `stack`.
    fn add(&mut self, stack: &str, doc: &Value) {
        let kind = doc.get("kind").and_then(Value::as_str).unwrap_or_default();
        if !CORE_KINDS.contains(&kind) {
            return;
        }
        let meta = doc.get("metadata");
        let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_string();
        let name = text(meta.and_then(|m| m.get("name")));
        let ns = text(meta.and_then(|m| m.get("namespace")));
        self.stacks.insert(stack.to_string());
        self.objects.insert((stack.to_string(), kind.to_string(), ns.clone(), name.clone()));
        let pod = match kind {
            "CronJob" => doc.pointer("/spec/jobTemplate/spec/template/spec"),
            "Deployment" | "StatefulSet" | "DaemonSet" | "Job" => doc.pointer("/spec/template/spec"),
            _ => None,
        };
        let Some(pod) = pod else { return };
        for list in ["initContainers", "containers"] {
            for c in pod.get(list).and_then(Value::as_array).into_iter().flatten() {
                let ports = c
                    .get("ports")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .map(|p| {
                        format!(
                            "{}/{}/{}",
                            text(p.get("name")),
                            p.get("containerPort").map(Value::to_string).unwrap_or_default(),
                            p.get("protocol").and_then(Value::as_str).unwrap_or("TCP")
                        )
                    })
                    .collect();
                let workload = (stack.to_string(), kind.to_string(), ns.clone(), name.clone());
                self.containers.insert((workload, text(c.get("name"))), (text(c.get("image")), ports));
            }
        }
    }
}

/// What [`compare`] found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Comparison {
    /// Stacks with at least one core object (on the hl side).
    pub stacks: usize,
    /// Core objects compared, per kind (on the hl side).
    pub objects: BTreeMap<String, usize>,
    /// Containers compared (image and ports).
    pub containers: usize,
    /// Every difference, one line each; empty when the core is the same.
    pub differences: Vec<String>,
    /// Files under `k8s/` on each side, on both (same path), and equal in every field once
    /// parsed (for the record: the comparison above is what must hold).
    pub files_hl: usize,
    pub files_pkl: usize,
    pub files_both: usize,
    pub files_equal: usize,
}

impl Comparison {
    /// One line: what was compared.
    pub fn summary(&self) -> String {
        let verdict = if self.differences.is_empty() {
            "the same core objects".to_string()
        } else {
            format!("{} DIFFERENCES", self.differences.len())
        };
        let kinds: Vec<String> = self.objects.iter().map(|(k, n)| format!("{n} {k}")).collect();
        format!(
            "{verdict} in {} stacks: {}; {} containers (image and ports)",
            self.stacks,
            kinds.join(", "),
            self.containers
        )
    }

    /// One line: the files beyond the core.
    pub fn files_summary(&self) -> String {
        format!(
            "every file under k8s/: hlc {}, Pkl {}, {} on both, {} of those equal in every field once parsed",
            self.files_hl, self.files_pkl, self.files_both, self.files_equal
        )
    }

    pub fn to_json(&self) -> Value {
        json!({
            "stacks": self.stacks,
            "objects": self.objects,
            "containers": self.containers,
            "differences": self.differences,
            "files_hl": self.files_hl,
            "files_pkl": self.files_pkl,
            "files_both": self.files_both,
            "files_equal": self.files_equal,
        })
    }

    pub fn from_json(v: &Value) -> Option<Comparison> {
        let n = |k: &str| v.get(k).and_then(Value::as_u64).and_then(|n| usize::try_from(n).ok());
        Some(Comparison {
            stacks: n("stacks")?,
            objects: v
                .get("objects")?
                .as_object()?
                .iter()
                .filter_map(|(k, c)| Some((k.clone(), usize::try_from(c.as_u64()?).ok()?)))
                .collect(),
            containers: n("containers")?,
            differences: v
                .get("differences")?
                .as_array()?
                .iter()
                .filter_map(|d| d.as_str().map(str::to_string))
                .collect(),
            files_hl: n("files_hl")?,
            files_pkl: n("files_pkl")?,
            files_both: n("files_both")?,
            files_equal: n("files_equal")?,
        })
    }
}

/// Compare the Kubernetes output of hlc (`hl_out`, as `hlc build` writes it) with Pkl's
/// (`pkl_out`, as `pkl eval -m` writes it): the `k8s/<stack>/*.yaml` files of both.
///
/// The files are read and parsed one pair at a time, and only the core of each is kept, so a
/// workspace of 10,000 stacks needs tens of MiB, not the outputs' parsed size.
pub fn compare(hl_out: &Path, pkl_out: &Path) -> Result<Comparison, String> {
    let hl_files = yaml_files(&hl_out.join("k8s"))?;
    let pkl_files = yaml_files(&pkl_out.join("k8s"))?;
    let all: BTreeSet<&String> = hl_files.iter().chain(&pkl_files).collect();
    let (in_hl, in_pkl): (BTreeSet<&String>, BTreeSet<&String>) =
        (hl_files.iter().collect(), pkl_files.iter().collect());
    let mut hl = Core::default();
    let mut pkl = Core::default();
    let mut result = Comparison { files_hl: hl_files.len(), files_pkl: pkl_files.len(), ..Default::default() };
    for rel in all {
        // `<stack>/<file>.yaml`: the stack is the directory.
        let stack = rel.split('/').next().unwrap_or_default();
        let a = if in_hl.contains(rel) { Some(parse(&hl_out.join("k8s").join(rel))?) } else { None };
        let b = if in_pkl.contains(rel) { Some(parse(&pkl_out.join("k8s").join(rel))?) } else { None };
        if let (Some(a), Some(b)) = (&a, &b) {
            result.files_both += 1;
            if a == b {
                result.files_equal += 1;
            }
        }
        if let Some(a) = &a {
            hl.add(stack, a);
        }
        if let Some(b) = &b {
            pkl.add(stack, b);
        }
    }
    for o in hl.objects.difference(&pkl.objects) {
        result.differences.push(format!("{} `{}` (stack {}, namespace `{}`): only hlc emits it", o.1, o.3, o.0, o.2));
    }
    for o in pkl.objects.difference(&hl.objects) {
        result.differences.push(format!("{} `{}` (stack {}, namespace `{}`): only Pkl emits it", o.1, o.3, o.0, o.2));
    }
    for (k, a) in &hl.containers {
        let (w, c) = k;
        let what = format!("container `{c}` of {} `{}` (stack {})", w.1, w.3, w.0);
        match pkl.containers.get(k) {
            None => result.differences.push(format!("{what}: only hlc has it")),
            Some(b) if b.0 != a.0 => result.differences.push(format!("{what}: image `{}` (hlc), `{}` (Pkl)", a.0, b.0)),
            Some(b) if b.1 != a.1 => {
                result.differences.push(format!("{what}: ports {:?} (hlc), {:?} (Pkl)", a.1, b.1));
            }
            Some(_) => {}
        }
    }
    for (w, c) in pkl.containers.keys().filter(|k| !hl.containers.contains_key(*k)) {
        result.differences.push(format!("container `{c}` of {} `{}` (stack {}): only Pkl has it", w.1, w.3, w.0));
    }
    result.stacks = hl.stacks.len();
    for o in &hl.objects {
        *result.objects.entry(o.1.clone()).or_default() += 1;
    }
    result.containers = hl.containers.len();
    Ok(result)
}

/// The `.yaml` files under `dir` (an output's `k8s/`), as `<stack>/<file>`, sorted.
fn yaml_files(dir: &Path) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let stacks = match fs::read_dir(dir) {
        Ok(r) => r,
        // A mistyped path would otherwise compare as an output with no objects.
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(format!("`{}` does not exist: not the output of a build", dir.display()));
        }
        Err(e) => return Err(format!("cannot read `{}`: {e}", dir.display())),
    };
    for stack in stacks {
        let stack = stack.map_err(|e| format!("cannot read `{}`: {e}", dir.display()))?;
        if !stack.file_type().map_err(|e| format!("cannot read `{}`: {e}", dir.display()))?.is_dir() {
            continue;
        }
        let name = stack.file_name().to_string_lossy().into_owned();
        let sub = stack.path();
        for f in fs::read_dir(&sub).map_err(|e| format!("cannot read `{}`: {e}", sub.display()))? {
            let f = f.map_err(|e| format!("cannot read `{}`: {e}", sub.display()))?;
            let file = f.file_name().to_string_lossy().into_owned();
            if file.ends_with(".yaml") {
                out.push(format!("{name}/{file}"));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// One YAML document.
fn parse(path: &Path) -> Result<Value, String> {
    let text = fs::read_to_string(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    serde_saphyr::from_str::<Value>(&text).map_err(|e| format!("`{}` is not YAML: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Value {
        serde_saphyr::from_str::<Value>(text).unwrap_or(Value::Null)
    }

    #[test]
    fn reads_the_core_of_a_workload() {
        let mut c = Core::default();
        c.add(
            "web",
            &doc("kind: CronJob\nmetadata:\n  name: job\n  namespace: web\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n          - name: main\n            image: alpine:3\n            ports:\n            - containerPort: 80\n              name: http\n              protocol: TCP\n"),
        );
        c.add("web", &doc("kind: ExternalSecret\nmetadata:\n  name: s\n"));
        assert_eq!(c.objects.len(), 1);
        let key = (("web".into(), "CronJob".into(), "web".into(), "job".into()), "main".into());
        assert_eq!(c.containers.get(&key), Some(&("alpine:3".to_string(), vec!["http/80/TCP".to_string()])));
    }

    #[test]
    fn quoting_does_not_matter() {
        // hlc quotes with double quotes, Pkl with single ones.
        assert_eq!(doc("a: \"true\"\nb: 8080\n"), doc("a: 'true'\nb: 8080\n"));
        assert_ne!(doc("a: 'true'\n"), doc("a: true\n"));
    }

    #[test]
    fn comparisons_survive_json() {
        let mut c = Comparison {
            stacks: 2,
            containers: 3,
            files_hl: 4,
            files_pkl: 5,
            files_both: 4,
            files_equal: 1,
            ..Default::default()
        };
        c.objects.insert("Service".into(), 2);
        c.differences.push("x".into());
        assert_eq!(Comparison::from_json(&c.to_json()), Some(c));
    }

    #[test]
    fn pairs_and_medians() {
        for cmd in Cmd::ALL {
            assert_eq!(cmd.pair().pair(), cmd);
            assert_ne!(cmd.pair().tool(), cmd.tool());
        }
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
    }
}
