//! Every YAML file `hlc build` writes for `stacks/` (Kubernetes objects, kustomizations, Flux
//! objects, VM specs) read by two readers must be the same document: by serde-saphyr, the
//! reader the emitter is tested against, and by `sigs.k8s.io/yaml`, the reader of kubectl and
//! of the Kubernetes API machinery (YAML 1.1 by way of go-yaml v2, so `yes`, `on` and `0755`
//! mean something else there). A string that one reader takes for another type, a literal block
//! whose chomping or indentation the other reads differently, a key that changes on the way: any
//! difference fails, with the file and the first differing path.
//!
//! The Go reader is `tests/tools/k8s-yaml`, built by `tests/tools/k8s-yaml.sh`. Without Go or
//! its module proxy the test says so and skips, unless `HLC_REQUIRE_TOOLS=1` (as in `.ci/run`),
//! where it fails.

use std::io::Write;
use std::process::{Command, Stdio};

use hl_tests::{read_dir, repo_root, skip};
use serde_json::Value as Json;

/// The first path at which `a` and `b` differ, or `None` when they are equal. Numbers compare
/// by value (`1` and `1.0` are one number to a JSON reader).
fn first_difference(a: &Json, b: &Json, at: &str) -> Option<String> {
    match (a, b) {
        (Json::Object(x), Json::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter().find_map(|k| match (x.get(k), y.get(k)) {
                (Some(p), Some(q)) => first_difference(p, q, &format!("{at}.{k}")),
                (p, q) => Some(format!("{at}.{k}: {p:?} vs {q:?}")),
            })
        }
        (Json::Array(x), Json::Array(y)) if x.len() == y.len() => {
            x.iter().zip(y).enumerate().find_map(|(i, (p, q))| first_difference(p, q, &format!("{at}[{i}]")))
        }
        (Json::Number(x), Json::Number(y)) if x.as_f64() == y.as_f64() => None,
        _ if a == b => None,
        _ => Some(format!("{at}: {a} vs {b}")),
    }
}

/// Whether `line` opens a literal block scalar (`key: |`, `- |2-`, ...).
fn block_header(line: &str) -> bool {
    let Some((before, header)) = line.rsplit_once('|') else { return false };
    matches!(header, "" | "-" | "+" | "2" | "2-" | "2+")
        && (before.ends_with(": ") || before.ends_with("- ") || before.is_empty())
}

#[test]
fn kubernetes_reads_every_emitted_file_as_hlc_wrote_it() {
    let reader = match hl_tests::tool("k8s-yaml.sh") {
        Ok(bin) => bin,
        Err(why) => {
            let why = format!("the Kubernetes YAML reader cannot be had: {why}");
            return skip::skip("kubernetes_reads_every_emitted_file_as_hlc_wrote_it", &why, skip::TOOLS);
        }
    };
    let c = hlc_core::compile(read_dir(&repo_root().join("stacks")));
    assert!(!c.has_errors(), "stacks/ does not compile");
    let dir = std::env::temp_dir().join(format!("hl-yaml-readers-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut files = Vec::new();
    for a in c.artifacts.iter().filter(|a| a.path.ends_with(".yaml") || a.path.ends_with(".yml")) {
        let path = dir.join(&a.path);
        std::fs::create_dir_all(path.parent().expect("an artifact path has a directory")).expect("make dir");
        std::fs::write(&path, &a.contents).expect("write artifact");
        files.push((path, a));
    }
    let list: String = files.iter().map(|(p, _)| format!("{}\n", p.display())).collect();
    let mut child = Command::new(&reader)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run k8s-yaml");
    // Written from a thread of its own: the reader answers while it reads, and a full pipe on
    // either side would otherwise stop both.
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || stdin.write_all(list.as_bytes()));
    let out = child.wait_with_output().expect("k8s-yaml output");
    writer.join().expect("the writer thread").expect("write the file list");
    assert!(out.status.success(), "k8s-yaml failed: {}", String::from_utf8_lossy(&out.stderr));
    let _ = std::fs::remove_dir_all(&dir);

    let lines: Vec<&str> = std::str::from_utf8(&out.stdout).expect("UTF-8").lines().collect();
    assert_eq!(lines.len(), files.len(), "k8s-yaml answered {} of {} files", lines.len(), files.len());
    let mut failures = Vec::new();
    let mut blocks = 0;
    for (line, (_, artifact)) in lines.iter().zip(&files) {
        let answer: Json = serde_json::from_str(line).expect("k8s-yaml writes JSON");
        let name = &artifact.path;
        if let Some(e) = answer.get("error").and_then(Json::as_str) {
            failures.push(format!("{name}: Kubernetes cannot read it: {e}"));
            continue;
        }
        let theirs = answer.get("json").cloned().unwrap_or(Json::Null);
        let ours: Json = match serde_saphyr::from_str(&artifact.contents) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!("{name}: serde-saphyr cannot read it: {e}"));
                continue;
            }
        };
        if let Some(d) = first_difference(&ours, &theirs, "") {
            failures.push(format!("{name}: the readers differ at {d}"));
        }
        blocks += artifact.contents.lines().filter(|l| block_header(l)).count();
    }
    assert!(failures.is_empty(), "{} of {} files differ:\n{}", failures.len(), files.len(), failures.join("\n"));
    // The comparison must have covered block scalars (scripts, config files, dashboards).
    assert!(blocks > 100, "only {blocks} literal blocks in the output: the test no longer covers them");
    eprintln!("{} YAML files read alike by serde-saphyr and sigs.k8s.io/yaml ({blocks} literal blocks)", files.len());
}
