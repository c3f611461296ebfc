//! The Flux output of `stacks/` is one Flux can apply: `k8s/flux/` holds a `GitRepository`, a
//! `Kustomization` per stack that emits objects and a `kustomization.yaml` listing them; every
//! Kustomization's `path` (read the way Flux reads it, from the repository's root, with the
//! output committed where the `flux` setting says) is a directory of the output with a
//! `kustomization.yaml`; every `dependsOn` names an emitted Kustomization, and follows the
//! stack graph through the stacks that emit nothing; every `sourceRef` names the
//! `GitRepository`. And `kustomize build` succeeds on every directory of `k8s/`.
//!
//! kustomize comes from `tests/tools/kustomize.sh` (`go install` of a pinned version into
//! `target/tools`). When it cannot be had, the kustomize test says so and skips, unless
//! `HLC_REQUIRE_TOOLS=1` (as in `.ci/run`), where it fails.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use hl_tests::{read_dir, repo_root};

/// The objects of a YAML document, in the block style the emitter writes: maps, lists and
/// plain or quoted scalars. Enough to read Flux objects; anything else fails the test.
#[derive(Debug)]
enum Yaml {
    Map(Vec<(String, Yaml)>),
    List(Vec<Yaml>),
    Str(String),
}

impl Yaml {
    fn parse(text: &str) -> Yaml {
        let mut lines: Vec<String> = text
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
            .map(String::from)
            .collect();
        let mut at = 0;
        let doc = parse_block(&mut lines, &mut at, 0);
        assert_eq!(at, lines.len(), "unread YAML from line {at}:\n{text}");
        doc
    }

    fn get(&self, key: &str) -> Option<&Yaml> {
        match self {
            Yaml::Map(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The scalar at a dotted path (`spec.sourceRef.name`).
    fn str(&self, path: &str) -> Option<&str> {
        let mut v = self;
        for key in path.split('.') {
            v = v.get(key)?;
        }
        match v {
            Yaml::Str(s) => Some(s),
            _ => None,
        }
    }

    fn list(&self, path: &str) -> Vec<&Yaml> {
        let mut v = self;
        for key in path.split('.') {
            match v.get(key) {
                Some(x) => v = x,
                None => return Vec::new(),
            }
        }
        match v {
            Yaml::List(l) => l.iter().collect(),
            other => panic!("{path} is not a list: {other:?}"),
        }
    }
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn scalar(text: &str) -> Yaml {
    let t = text.trim();
    let unquoted = t
        .strip_prefix('\'')
        .and_then(|s| s.strip_suffix('\''))
        .map(|s| s.replace("''", "'"))
        .or_else(|| t.strip_prefix('"').and_then(|s| s.strip_suffix('"')).map(str::to_string));
    Yaml::Str(unquoted.unwrap_or_else(|| t.to_string()))
}

fn parse_block(lines: &mut [String], at: &mut usize, indent: usize) -> Yaml {
    let is_item = |l: &str| l[indent..].starts_with("- ") || &l[indent..] == "-";
    if lines.get(*at).is_some_and(|l| indent_of(l) == indent && is_item(l)) {
        let mut items = Vec::new();
        while let Some(line) = lines.get(*at).filter(|l| indent_of(l) == indent && is_item(l)) {
            let rest = line[indent + 1..].trim_start().to_string();
            if rest.contains(": ") || rest.ends_with(':') {
                // `- key: value` opens a map whose keys are two columns in.
                lines[*at] = format!("{}{}", " ".repeat(indent + 2), rest);
                items.push(parse_block(lines, at, indent + 2));
            } else {
                items.push(scalar(&rest));
                *at += 1;
            }
        }
        return Yaml::List(items);
    }
    let mut map = Vec::new();
    while let Some(line) = lines.get(*at).filter(|l| indent_of(l) == indent && !is_item(l)) {
        let line = line.trim_start().to_string();
        *at += 1;
        let (key, value) = match line.split_once(": ") {
            Some((k, v)) => (k.to_string(), Some(v.to_string())),
            None => (line.strip_suffix(':').unwrap_or_else(|| panic!("not a YAML key: {line}")).to_string(), None),
        };
        let value = match value {
            Some(v) => scalar(&v),
            None => match lines.get(*at).map(|l| indent_of(l)) {
                Some(next) if next > indent || (next == indent && is_item(&lines[*at])) => parse_block(lines, at, next),
                _ => Yaml::Str(String::new()),
            },
        };
        map.push((key, value));
    }
    Yaml::Map(map)
}

/// `stacks/` compiled, its output written where it lies in the repository (the `flux`
/// setting's path) under a scratch directory standing for the repository's root.
struct Built {
    c: hlc_core::Compilation,
    /// The scratch repository's root.
    repo: PathBuf,
    /// The output directory inside it.
    out: PathBuf,
}

fn build(name: &str) -> Built {
    let c = hlc_core::compile(read_dir(&repo_root().join("stacks")));
    assert!(!c.has_errors(), "stacks/ does not compile");
    let flux = c.model.flux.as_ref().expect("stacks/ sets `flux`");
    let repo = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = fs::remove_dir_all(&repo);
    let out = if flux.path.is_empty() { repo.clone() } else { repo.join(&flux.path) };
    for a in &c.artifacts {
        let path = out.join(&a.path);
        fs::create_dir_all(path.parent().expect("an artifact is in a directory")).expect("create dir");
        fs::write(&path, &a.contents).expect("write artifact");
    }
    Built { c, repo, out }
}

fn files_in(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn flux_objects_are_consistent() {
    let Built { c, repo, out } = build("flux-consistent");
    let flux_dir = out.join("k8s/flux");
    let files = files_in(&flux_dir);

    // `kustomization.yaml` lists every other file of the directory.
    let list =
        Yaml::parse(&fs::read_to_string(flux_dir.join("kustomization.yaml")).expect("k8s/flux/kustomization.yaml"));
    let listed: BTreeSet<String> = list
        .list("resources")
        .iter()
        .map(|r| match r {
            Yaml::Str(s) => s.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    let others: BTreeSet<String> = files.iter().filter(|f| *f != "kustomization.yaml").cloned().collect();
    assert_eq!(listed, others, "k8s/flux/kustomization.yaml does not list exactly the directory's files");

    // Sort the objects by kind.
    let mut repos: BTreeMap<(String, String), Yaml> = BTreeMap::new();
    let mut kustomizations: BTreeMap<(String, String), Yaml> = BTreeMap::new();
    for f in &others {
        let doc = Yaml::parse(&fs::read_to_string(flux_dir.join(f)).expect("read"));
        let key = (
            doc.str("metadata.namespace").expect("namespaced").to_string(),
            doc.str("metadata.name").expect("named").to_string(),
        );
        match (doc.str("apiVersion"), doc.str("kind")) {
            (Some("source.toolkit.fluxcd.io/v1"), Some("GitRepository")) => {
                assert!(repos.insert(key, doc).is_none(), "{f}: a second GitRepository of that name");
            }
            (Some("kustomize.toolkit.fluxcd.io/v1"), Some("Kustomization")) => {
                assert_eq!(f, &format!("{}.yaml", key.1), "a Kustomization's file is named after it");
                assert!(kustomizations.insert(key, doc).is_none(), "{f}: a second Kustomization of that name");
            }
            other => panic!("{f}: unexpected object {other:?}"),
        }
    }
    assert_eq!(repos.len(), 1, "one GitRepository");
    let ((repo_ns, repo_name), git) = repos.iter().next().expect("one");
    let flux = c.model.flux.as_ref().expect("stacks/ sets `flux`");
    assert_eq!(git.str("spec.url"), Some(flux.url.as_str()));
    assert_eq!(git.str("spec.ref.branch"), Some(flux.branch.as_str()));
    assert!(git.str("spec.interval").is_some_and(|i| !i.is_empty()));

    // A Kustomization exactly for each stack that writes a directory of objects.
    let stack_dirs: BTreeSet<String> =
        files_in(&out.join("k8s")).into_iter().filter(|d| d != "flux" && out.join("k8s").join(d).is_dir()).collect();
    let names: BTreeSet<String> = kustomizations.keys().map(|(_, n)| n.clone()).collect();
    assert_eq!(names, stack_dirs, "Kustomizations and the stacks' directories differ");
    let empty: BTreeSet<&str> =
        c.graph.stacks.iter().map(String::as_str).filter(|s| !stack_dirs.contains(*s)).collect();

    for ((ns, name), k) in &kustomizations {
        // `path` is read from the repository's root.
        let path = k.str("spec.path").expect("spec.path");
        let rel = path.strip_prefix("./").unwrap_or_else(|| panic!("{name}: path {path} is not ./-relative"));
        let dir = repo.join(rel);
        assert!(dir.is_dir(), "{name}: spec.path {path} is not a directory of the repository");
        assert!(dir.join("kustomization.yaml").is_file(), "{name}: {path} has no kustomization.yaml");
        assert_eq!(dir, out.join("k8s").join(name), "{name}: spec.path {path} is not the stack's directory");

        // The source is the GitRepository.
        assert_eq!(k.str("spec.sourceRef.kind"), Some("GitRepository"), "{name}");
        assert_eq!(k.str("spec.sourceRef.name"), Some(repo_name.as_str()), "{name}: sourceRef");
        let source_ns = k.str("spec.sourceRef.namespace").unwrap_or(ns);
        assert_eq!(source_ns, repo_ns, "{name}: sourceRef namespace");

        // `dependsOn`: emitted Kustomizations, sorted, no repeats, and what the graph gives
        // through the stacks that emit nothing.
        let deps: Vec<(String, String)> = k
            .list("spec.dependsOn")
            .iter()
            .map(|d| {
                let n = d.str("name").expect("dependsOn name").to_string();
                (d.str("namespace").unwrap_or(ns).to_string(), n)
            })
            .collect();
        for d in &deps {
            assert!(kustomizations.contains_key(d), "{name}: dependsOn {d:?} is not an emitted Kustomization");
        }
        let dep_names: Vec<&str> = deps.iter().map(|(_, n)| n.as_str()).collect();
        let mut sorted = dep_names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(dep_names, sorted, "{name}: dependsOn is not sorted and unique");
        let expected = reached(&c.graph, name, &empty);
        assert_eq!(dep_names, expected.iter().copied().collect::<Vec<_>>(), "{name}: dependsOn");
    }

    // The object count is every object file: the stacks' and Flux's.
    let object_files =
        c.artifacts.iter().filter(|a| a.path.starts_with("k8s/") && !a.path.ends_with("/kustomization.yaml"));
    assert_eq!(c.objects, object_files.count());
    eprintln!(
        "{} Kustomizations, {} stacks emit nothing ({}), {} objects",
        kustomizations.len(),
        empty.len(),
        empty.iter().copied().collect::<Vec<_>>().join(", "),
        c.objects
    );
}

/// The stacks `stack` depends on that emit something, looking through those that do not.
fn reached<'g>(graph: &'g hlc_core::Graph, stack: &'g str, empty: &BTreeSet<&str>) -> BTreeSet<&'g str> {
    let mut out = BTreeSet::new();
    let mut seen = BTreeSet::new();
    let mut todo: Vec<&str> = graph.dependencies(stack).map(|e| e.to.as_str()).collect();
    while let Some(d) = todo.pop() {
        if !seen.insert(d) {
            continue;
        }
        if empty.contains(d) {
            todo.extend(graph.dependencies(d).map(|e| e.to.as_str()));
        } else {
            out.insert(d);
        }
    }
    out
}

#[test]
fn kustomize_builds_every_directory() {
    let kustomize = match hl_tests::tool("kustomize.sh") {
        Ok(k) => k,
        Err(why) => {
            let why = format!("kustomize cannot be had: {why}");
            return hl_tests::skip("kustomize_builds_every_directory", &why, hl_tests::skip::TOOLS);
        }
    };
    let Built { out, .. } = build("flux-kustomize");
    let k8s = out.join("k8s");
    let dirs: Vec<PathBuf> = files_in(&k8s).into_iter().map(|d| k8s.join(d)).filter(|d| d.is_dir()).collect();
    assert!(dirs.iter().any(|d| d.ends_with("flux")), "no k8s/flux directory");
    // Two threads: the machines that run this are small.
    let (a, b) = dirs.split_at(dirs.len() / 2);
    let run = |dirs: &[PathBuf]| {
        dirs.iter()
            .filter_map(|dir| {
                let res = Command::new(&kustomize).arg("build").arg(dir).output().expect("run kustomize");
                let name = dir.strip_prefix(&out).unwrap_or(dir).display().to_string();
                if !res.status.success() {
                    return Some(format!("{name}: {}", String::from_utf8_lossy(&res.stderr).trim()));
                }
                // What it builds is the directory's objects: one document per listed file.
                let listed = fs::read_to_string(dir.join("kustomization.yaml")).unwrap_or_default();
                let listed = Yaml::parse(&listed).list("resources").len();
                let built = String::from_utf8_lossy(&res.stdout);
                let docs = built.lines().filter(|l| l.starts_with("apiVersion:")).count();
                (docs != listed).then(|| format!("{name}: kustomize built {docs} objects of {listed}"))
            })
            .collect::<Vec<_>>()
    };
    let failures: Vec<String> = std::thread::scope(|s| {
        let first = s.spawn(|| run(a));
        let mut failures = run(b);
        failures.extend(first.join().expect("kustomize thread"));
        failures
    });
    assert!(failures.is_empty(), "kustomize build failed:\n{}", failures.join("\n"));
    eprintln!("kustomize built {} directories", dirs.len());
}

/// Keel updates the images of the workloads it owns (in a namespace labelled
/// `keel.sh/enrolled=true`, unless annotated `keel.sh/policy: never`), so each of them must be
/// named by an `ignore` rule of its stack's Kustomization whose paths are exactly its
/// containers' and init containers' `image` fields (JSON Pointers that resolve in the emitted
/// object); and no rule names anything else. Read from the written files, not the model.
#[test]
fn keel_owned_images_are_left_to_keel() {
    let Built { out, .. } = build("flux-keel");
    let k8s = out.join("k8s");
    let read = |p: &Path| -> serde_json::Value {
        let text = fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    };
    let mut enrolled = BTreeSet::new();
    let mut workloads = Vec::new();
    for stack in files_in(&k8s).into_iter().filter(|d| d != "flux") {
        for f in files_in(&k8s.join(&stack)).into_iter().filter(|f| f != "kustomization.yaml") {
            let obj = read(&k8s.join(&stack).join(&f));
            let kind = obj["kind"].as_str().unwrap_or_default().to_string();
            if kind == "Namespace" && obj["metadata"]["labels"]["keel.sh/enrolled"] == "true" {
                enrolled.insert(obj["metadata"]["name"].as_str().unwrap_or_default().to_string());
            }
            if ["Deployment", "StatefulSet", "DaemonSet"].contains(&kind.as_str()) {
                workloads.push((stack.clone(), obj));
            }
        }
    }
    assert!(!enrolled.is_empty(), "no namespace is enrolled in Keel: the test would prove nothing");
    let mut rules: BTreeMap<(String, String, String, String), Vec<String>> = BTreeMap::new();
    for f in files_in(&k8s.join("flux")) {
        let k = read(&k8s.join("flux").join(&f));
        if k["kind"] != "Kustomization" || k["apiVersion"] != "kustomize.toolkit.fluxcd.io/v1" {
            continue;
        }
        let stack = k["metadata"]["name"].as_str().unwrap_or_default().to_string();
        for rule in k["spec"]["ignore"].as_array().into_iter().flatten() {
            let t = &rule["target"];
            assert_eq!(t["group"], "apps", "{stack}: {rule}");
            let key = [&t["kind"], &t["name"], &t["namespace"]].map(|v| v.as_str().unwrap_or_default().to_string());
            let paths = rule["paths"].as_array().into_iter().flatten().filter_map(|p| p.as_str()).map(String::from);
            let [kind, name, ns] = key;
            assert!(
                rules.insert((stack.clone(), kind, name, ns), paths.collect()).is_none(),
                "{stack}: a repeated rule"
            );
        }
    }
    let mut owned = 0;
    for (stack, w) in &workloads {
        let ns = w["metadata"]["namespace"].as_str().unwrap_or_default();
        let name = w["metadata"]["name"].as_str().unwrap_or_default();
        let kind = w["kind"].as_str().unwrap_or_default();
        let key = (stack.clone(), kind.to_string(), name.to_string(), ns.to_string());
        let keel = enrolled.contains(ns) && w["metadata"]["annotations"]["keel.sh/policy"] != "never";
        let Some(paths) = rules.remove(&key) else {
            assert!(!keel, "{stack}: {kind} {ns}/{name} is Keel's, but its Kustomization would reset its images");
            continue;
        };
        assert!(keel, "{stack}: {kind} {ns}/{name} is not Keel's, yet Flux is told to leave its images alone");
        owned += 1;
        let spec = &w["spec"]["template"]["spec"];
        let mut expected = Vec::new();
        for list in ["containers", "initContainers"] {
            for (i, c) in spec[list].as_array().into_iter().flatten().enumerate() {
                assert!(c["image"].is_string(), "{stack}: {name} {list}[{i}] has no image");
                expected.push(format!("/spec/template/spec/{list}/{i}/image"));
            }
        }
        assert_eq!(paths, expected, "{stack}: {kind} {ns}/{name}: ignored paths");
        for p in &paths {
            assert!(
                w.pointer(p).is_some_and(serde_json::Value::is_string),
                "{stack}: {name}: {p} resolves to no image"
            );
        }
    }
    assert!(rules.is_empty(), "rules that name no emitted workload: {:?}", rules.keys().collect::<Vec<_>>());
    eprintln!("{owned} workloads in {} Keel-enrolled namespaces keep the images Keel gives them", enrolled.len());
}
