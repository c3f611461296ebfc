//! Parsing throughput: parses every `.hl` file under the given directories, several times,
//! on one thread, and prints MB/s.
//!
//! `cargo run --release -p hl-syntax --example parse_speed -- stacks stdlib [--rounds N] [--worst K]`
//!
//! `--worst K` also lists the K files that took longest per byte.

use std::path::{Path, PathBuf};
use std::time::Instant;

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|e| e == "hl") {
            out.push(p);
        }
    }
}

fn main() {
    let mut rounds = 5usize;
    let mut worst = 0usize;
    let mut dirs = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--rounds" {
            rounds = args.next().and_then(|n| n.parse().ok()).unwrap_or(rounds);
        } else if a == "--worst" {
            worst = args.next().and_then(|n| n.parse().ok()).unwrap_or(10);
        } else {
            dirs.push(PathBuf::from(a));
        }
    }
    let mut paths = Vec::new();
    for d in &dirs {
        collect(d, &mut paths);
    }
    let texts: Vec<String> = paths.iter().filter_map(|p| std::fs::read_to_string(p).ok()).collect();
    let bytes: usize = texts.iter().map(String::len).sum();
    let mut best = f64::MAX;
    let mut errors = 0;
    for _ in 0..rounds {
        let start = Instant::now();
        errors = 0;
        for (i, t) in texts.iter().enumerate() {
            let p = hl_syntax::parse(hl_diagnostics::FileId(i as u32), t);
            errors += p.errors.len();
        }
        best = best.min(start.elapsed().as_secs_f64());
    }
    let mut per: Vec<(f64, usize, &PathBuf)> = texts
        .iter()
        .zip(&paths)
        .enumerate()
        .map(|(i, (t, p))| {
            let start = Instant::now();
            let _ = hl_syntax::parse(hl_diagnostics::FileId(i as u32), t);
            (start.elapsed().as_secs_f64() * 1e9 / t.len().max(1) as f64, t.len(), p)
        })
        .collect();
    per.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (ns, len, p) in per.iter().take(worst) {
        println!("{ns:8.0} ns/byte {len:7} bytes  {}", p.display());
    }
    println!(
        "{} files, {bytes} bytes, {errors} syntax errors: best of {rounds} {:.1} ms, {:.2} MB/s",
        texts.len(),
        best * 1e3,
        bytes as f64 / best / 1e6
    );
}
