//! How fast the Kubernetes emitter is: compile a workspace once, then time
//! `hl_emit::emit_stack` over every stack of the model, on one thread, for several rounds.
//!
//! ```text
//! cargo run --release -p hlc-core --example emit_speed -- [DIR] [ROUNDS]
//! cargo run --release -p hlc-core --example emit_speed -- stacks 20
//! cargo run --release -p hl-bench -- gen --stacks 1000 --out /dev/shm/ws1000
//! cargo run --release -p hlc-core --example emit_speed -- /dev/shm/ws1000 10
//! ```
//!
//! `DIR` is the workspace directory (default `stacks`), `ROUNDS` the number of timed rounds
//! (default 10) after one warm-up round. Each round emits every stack once; the figures are of
//! the fastest round (the best of N is the least disturbed by other work on the machine) and
//! the median one: objects per second and megabytes (10^6 bytes) of YAML per second.
//!
//! It also prints a digest (FNV-1a, 64 bits) of every object's kind, namespace, name and YAML
//! in emission order, and of every diagnostic's message: the same digest before and after a
//! change to the emitter means the same output.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use hlc_core::{DiskHost, compile_host};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let dir = args.next().unwrap_or_else(|| "stacks".to_string());
    let rounds = match args.next().map(|r| r.parse::<usize>()) {
        None => 10,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("emit_speed: ROUNDS must be a positive number");
            return ExitCode::FAILURE;
        }
    };
    match run(&dir, rounds) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("emit_speed: {e}");
            ExitCode::FAILURE
        }
    }
}

/// FNV-1a over a stream of byte strings, each followed by a 0xff separator (never in UTF-8).
struct Digest(u64);

impl Digest {
    fn add(&mut self, bytes: &[u8]) {
        for &b in bytes.iter().chain(&[0xff]) {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

fn run(dir: &str, rounds: usize) -> Result<(), String> {
    let started = Instant::now();
    let c = compile_host(&DiskHost::new(dir)).map_err(|e| e.to_string())?;
    if c.has_errors() {
        return Err(format!("`{dir}` does not compile; run `hlc check {dir}`"));
    }
    let stacks = &c.model.stacks;
    println!("{dir}: {} stacks, compiled in {:.2?}", stacks.len(), started.elapsed());

    // Warm-up round, which also counts the output and takes its digest.
    let mut objects = 0usize;
    let mut bytes = 0usize;
    let mut digest = Digest(0xcbf2_9ce4_8422_2325);
    for s in stacks.iter() {
        let out = hl_emit::emit_stack(s, &c.model.facts);
        for o in &out.objects {
            objects += 1;
            bytes += o.yaml.len();
            digest.add(o.kind.as_bytes());
            digest.add(o.namespace.as_deref().unwrap_or("").as_bytes());
            digest.add(o.name.as_bytes());
            digest.add(o.yaml.as_bytes());
        }
        for d in &out.diagnostics {
            digest.add(d.message.as_bytes());
        }
    }
    println!("{objects} objects, {bytes} bytes of YAML, digest {:016x}", digest.0);

    let mut times: Vec<Duration> = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let t = Instant::now();
        let mut n = 0usize;
        for s in stacks.iter() {
            n += std::hint::black_box(hl_emit::emit_stack(s, &c.model.facts)).objects.len();
        }
        times.push(t.elapsed());
        if n != objects {
            return Err(format!("a round emitted {n} objects, the warm-up {objects}"));
        }
    }
    times.sort();
    let rate = |d: Duration| {
        let secs = d.as_secs_f64().max(1e-9);
        (objects as f64 / secs, bytes as f64 / 1e6 / secs)
    };
    let (best_obj, best_mb) = rate(times[0]);
    let (med_obj, med_mb) = rate(times[times.len() / 2]);
    println!("best of {rounds}: {:.2?} per round, {best_obj:.0} objects/s, {best_mb:.1} MB/s of YAML", times[0]);
    println!("median:     {:.2?} per round, {med_obj:.0} objects/s, {med_mb:.1} MB/s of YAML", times[times.len() / 2]);
    Ok(())
}
