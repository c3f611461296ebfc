//! `hl-bench lsp`: the language server's latency from a one-character edit to the published
//! diagnostics of the edited file, and its memory over many edits.
//!
//! A generated workspace of N stacks is opened in a fresh `hlc lsp` process over stdio. One
//! stack file is opened, then edited again and again with `textDocument/didChange` (the last
//! digit of its service's port flips, 8080 → 8087 → 8080 …, a change that reaches the model
//! and the emitted objects); each edit waits for the server's `publishDiagnostics` for that
//! version.
//! The server's resident memory is read from `/proc` after the warm-up edits and at the end.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use hl_bench::generate;

/// The edit made again and again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Edit {
    /// The last digit of the first service port flips (8080 ↔ 8087): same length.
    Flip,
    /// A space appears and disappears before `stack NAME {`: every later position moves.
    Insert,
}

pub struct Options {
    pub hlc: PathBuf,
    pub stacks: usize,
    pub edits: usize,
    pub edit: Edit,
    pub warmup: usize,
    pub seed: u64,
    pub work: Option<PathBuf>,
    pub json: Option<PathBuf>,
}

struct Server {
    child: Child,
    stdin: ChildStdin,
    rx: Receiver<Value>,
}

impl Server {
    fn start(hlc: &Path) -> Result<Server, String> {
        let mut child = Command::new(hlc)
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start `{} lsp`: {e}", hlc.display()))?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut len = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.strip_prefix("Content-Length: ") {
                        len = v.parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; len];
                if reader.read_exact(&mut body).is_err() {
                    return;
                }
                if let Ok(v) = serde_json::from_slice::<Value>(&body)
                    && tx.send(v).is_err()
                {
                    return;
                }
            }
        });
        Ok(Server { child, stdin, rx })
    }

    fn send(&mut self, msg: Value) -> Result<(), String> {
        let body = msg.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).map_err(|e| e.to_string())?;
        self.stdin.flush().map_err(|e| e.to_string())
    }

    /// Wait for the first message `want` accepts.
    fn wait(&self, timeout: Duration, want: impl Fn(&Value) -> bool) -> Result<Value, String> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(v) if want(&v) => return Ok(v),
                Ok(_) => {}
                Err(RecvTimeoutError::Timeout) => return Err(format!("no answer from the server in {timeout:?}")),
                Err(RecvTimeoutError::Disconnected) => return Err("the server exited".into()),
            }
        }
    }

    /// Resident memory in KiB (Linux).
    fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }
}

fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

fn is_publish_for(v: &Value, uri: &str, version: i64) -> bool {
    v["method"] == "textDocument/publishDiagnostics"
        && v["params"]["uri"] == uri
        && v["params"]["version"].as_i64() == Some(version)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

pub fn run(o: &Options) -> Result<(), String> {
    let tmp;
    let work = match &o.work {
        Some(w) => w.clone(),
        None => {
            tmp = std::env::temp_dir().join(format!("hl-bench-lsp-{}", std::process::id()));
            tmp.clone()
        }
    };
    let dir = work.join(format!("lsp-{}", o.stacks));
    generate::write(&dir, generate::Options { stacks: o.stacks, seed: o.seed }, true)
        .map_err(|e| format!("cannot write the workspace into `{}`: {e}", dir.display()))?;
    // The server takes as the workspace the highest directory (under the client's root) that
    // holds .hl files itself; a file at the top makes that the generated directory.
    std::fs::write(dir.join("workspace.hl"), "// The root of a workspace generated by hl-bench.\n")
        .map_err(|e| e.to_string())?;
    let name = generate::stack_name(o.seed, o.stacks / 2);
    let file = std::fs::read_dir(dir.join("stacks"))
        .map_err(|e| e.to_string())?
        .flatten()
        .map(|e| e.path())
        .find(|p| std::fs::read_to_string(p).is_ok_and(|t| t.contains(&format!("stack {name} {{"))))
        .ok_or_else(|| format!("no file for stack `{name}`"))?;
    let text = std::fs::read_to_string(&file).map_err(|e| e.to_string())?;
    // The last digit of the first service port: `8080` ↔ `8087`.
    let at = text.find("port http = ").ok_or("the generated stack has no `port http = ...`")?;
    let digits = text[at + "port http = ".len()..].chars().take_while(char::is_ascii_digit).count();
    let digit = at + "port http = ".len() + digits.saturating_sub(1);
    let original = text[digit..digit + 1].to_string();
    let other = if original == "7" { "8" } else { "7" };
    let decl = text.find(&format!("stack {name} {{")).ok_or("the stack's declaration is not in its file")?;
    let edited = |k: usize| {
        let mut t = text.clone();
        match o.edit {
            Edit::Flip => t.replace_range(digit..digit + 1, if k % 2 == 1 { other } else { &original }),
            Edit::Insert if k % 2 == 1 => t.insert(decl, ' '),
            Edit::Insert => {}
        }
        t
    };

    let mut server = Server::start(&o.hlc)?;
    server.send(json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": { "processId": null, "rootUri": uri(&dir), "capabilities": {} } }))?;
    server.wait(Duration::from_secs(60), |v| v["id"] == 1)?;
    server.send(json!({ "jsonrpc": "2.0", "method": "initialized", "params": {} }))?;
    let u = uri(&file);
    let started = Instant::now();
    server.send(json!({ "jsonrpc": "2.0", "method": "textDocument/didOpen",
        "params": { "textDocument": { "uri": u, "languageId": "hl", "version": 0, "text": text } } }))?;
    let first = server.wait(Duration::from_secs(600), |v| is_publish_for(v, &u, 0))?;
    let open_ms = started.elapsed().as_secs_f64() * 1e3;
    let open_diags = first["params"]["diagnostics"].as_array().map_or(0, Vec::len);

    let total = o.warmup + o.edits;
    let mut latencies = Vec::with_capacity(o.edits);
    let mut rss_after_warmup = None;
    let mut rss_samples = Vec::new();
    for k in 1..=total {
        if k == o.warmup + 1 {
            rss_after_warmup = server.rss_kib();
        }
        let version = k as i64;
        let t = Instant::now();
        server.send(json!({ "jsonrpc": "2.0", "method": "textDocument/didChange",
            "params": { "textDocument": { "uri": u, "version": version },
                        "contentChanges": [{ "text": edited(k) }] } }))?;
        server.wait(Duration::from_secs(600), |v| is_publish_for(v, &u, version))?;
        if k > o.warmup {
            latencies.push(t.elapsed().as_secs_f64() * 1e3);
        }
        if k % 1000 == 0 {
            rss_samples.push((k, server.rss_kib().unwrap_or(0)));
        }
    }
    let rss_end = server.rss_kib();
    let _ = server.send(json!({ "jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": null }));
    let _ = server.wait(Duration::from_secs(30), |v| v["id"] == 2);
    let _ = server.send(json!({ "jsonrpc": "2.0", "method": "exit", "params": null }));
    let _ = server.child.wait();

    let mut sorted = latencies.clone();
    sorted.sort_by(f64::total_cmp);
    let mean = sorted.iter().sum::<f64>() / sorted.len().max(1) as f64;
    println!(
        "hlc lsp on {} generated stacks ({}), file {}, edit: {:?}",
        o.stacks,
        dir.display(),
        file.display(),
        o.edit
    );
    println!("  open → first diagnostics: {open_ms:.1} ms ({open_diags} diagnostics)");
    println!(
        "  edit → diagnostics over {} edits (after {} warm-up): p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms, mean {:.2} ms",
        sorted.len(),
        o.warmup,
        percentile(&sorted, 50.0),
        percentile(&sorted, 95.0),
        percentile(&sorted, 99.0),
        sorted.last().copied().unwrap_or(f64::NAN),
        mean
    );
    let growth = match (rss_after_warmup, rss_end) {
        (Some(a), Some(b)) if a > 0 => Some((b as f64 - a as f64) / a as f64 * 100.0),
        _ => None,
    };
    if let (Some(a), Some(b)) = (rss_after_warmup, rss_end) {
        println!(
            "  resident memory: {:.1} MiB after warm-up, {:.1} MiB after {} edits ({:+.1} %)",
            a as f64 / 1024.0,
            b as f64 / 1024.0,
            total,
            growth.unwrap_or(0.0)
        );
    }
    if let Some(path) = &o.json {
        let report = json!({
            "stacks": o.stacks,
            "edit": format!("{:?}", o.edit).to_lowercase(),
            "edits": sorted.len(),
            "warmup": o.warmup,
            "open_ms": open_ms,
            "latency_ms": { "p50": percentile(&sorted, 50.0), "p95": percentile(&sorted, 95.0),
                            "p99": percentile(&sorted, 99.0), "max": sorted.last(), "mean": mean },
            "rss_kib": { "after_warmup": rss_after_warmup, "end": rss_end, "samples": rss_samples },
            "rss_growth_percent": growth,
        });
        std::fs::write(path, format!("{report:#}\n")).map_err(|e| e.to_string())?;
    }
    if o.work.is_none() {
        let _ = std::fs::remove_dir_all(&work);
    }
    Ok(())
}
