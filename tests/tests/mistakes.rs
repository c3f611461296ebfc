//! The corpus of one-edit mistakes (`tests/mistakes/corpus.txt`, issue #25): each entry edits
//! one line of the real `stacks/` and names the diagnostic it must give (its code, and where its
//! primary label starts: the offending token), or says the edit is legal and must stay clean.
//!
//! One [`Session`] holds the unchanged workspace; each entry changes one file, asks for the
//! diagnostics and puts the file back, so only what the edit touches is computed again.
//!
//! The score is printed; the test fails below 95 % exact (right code at the right place), on any
//! mistake not caught, on any diagnostic for a legal edit, and on any machine-format report
//! (`short`, `github`) that names a file of the standard library instead of the user's.

use std::collections::BTreeMap;

use hl_diagnostics::{Diagnostic, Sources, render};
use hl_tests::{read_dir, repo_root};
use hlc_core::{InputText, Limits, Session};

/// One corpus entry.
struct Entry {
    id: String,
    file: String,
    old: String,
    new: String,
    /// `None` for a legal edit.
    expect: Option<Expect>,
}

struct Expect {
    code: String,
    line: u32,
    col: u32,
    token: String,
    /// The text around the token, `‸` (U+2038) just before it, unique in the edited file.
    anchor: String,
}

fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn corpus() -> Vec<Entry> {
    let path = repo_root().join("tests/mistakes/corpus.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut entries = Vec::new();
    for block in text.split("\n\n") {
        let mut fields: BTreeMap<&str, &str> = BTreeMap::new();
        for line in block.lines().filter(|l| !l.starts_with('#')) {
            if let Some((k, v)) = line.split_once(": ") {
                fields.insert(k, v);
            }
        }
        let Some(id) = fields.get("id") else { continue };
        let get = |k: &str| fields.get(k).copied().unwrap_or_else(|| panic!("entry {id} has no `{k}`"));
        let expect = match get("expect") {
            "clean" => None,
            e => {
                let (code, rest) = e.split_once(" at ").unwrap_or_else(|| panic!("entry {id}: bad expect {e:?}"));
                let (pos, token) = rest.split_once(' ').unwrap_or_else(|| panic!("entry {id}: bad expect {e:?}"));
                let (line, col) = pos.split_once(':').unwrap_or_else(|| panic!("entry {id}: bad position {pos:?}"));
                Some(Expect {
                    code: code.to_string(),
                    line: line.parse().unwrap_or_else(|_| panic!("entry {id}: bad line")),
                    col: col.parse().unwrap_or_else(|_| panic!("entry {id}: bad column")),
                    token: token.to_string(),
                    anchor: unescape(get("anchor")),
                })
            }
        };
        entries.push(Entry {
            id: id.to_string(),
            file: get("file").to_string(),
            old: unescape(get("old")),
            new: unescape(get("new")),
            expect,
        });
    }
    entries
}

/// What one entry gave.
enum Outcome {
    Exact,
    /// The right code, another place.
    RightCode,
    /// Caught, but not with the expected code.
    WrongCode,
    Missed,
    Clean,
    FalsePositive,
}

fn position(d: &Diagnostic, sources: &Sources) -> (String, u32, u32) {
    match sources.get(d.primary.span.file) {
        Some(f) => {
            let lc = f.line_col(d.primary.span.start);
            (f.path.clone(), lc.line, lc.col)
        }
        None => ("<unknown>".to_string(), 0, 0),
    }
}

fn describe(diags: &[Diagnostic], sources: &Sources) -> String {
    diags
        .iter()
        .map(|d| {
            let (p, l, c) = position(d, sources);
            format!("{}:{l}:{c} {} {}", p, d.code.info().code, d.message)
        })
        .collect::<Vec<_>>()
        .join("\n      ")
}

#[test]
fn one_edit_mistakes_are_reported_on_the_offending_token() {
    let entries = corpus();
    let files = read_dir(&repo_root().join("stacks"));
    let mut session = Session::new(Limits::default());
    session.set_files(files.clone());
    let baseline = session.snapshot().diagnostics().unwrap_or_else(|_| panic!("cancelled"));
    assert!(baseline.is_empty(), "the unedited stacks must be clean: {} diagnostics", baseline.len());

    let mut outcomes: Vec<(String, Outcome, String)> = Vec::new();
    let mut cascades: Vec<String> = Vec::new();
    let mut stdlib_paths: Vec<String> = Vec::new();
    let mut stale: Vec<String> = Vec::new();
    for e in &entries {
        let original =
            files.iter().find(|f| f.path == e.file).unwrap_or_else(|| panic!("{}: no stacks/{}", e.id, e.file));
        let text = String::from_utf8(original.bytes.clone()).unwrap_or_default();
        let n = text.matches(e.old.as_str()).count();
        assert_eq!(n, 1, "{}: the old text occurs {n} times in stacks/{}; update the corpus", e.id, e.file);
        let edited = text.replacen(e.old.as_str(), e.new.as_str(), 1);
        let display = format!("stacks/{}", e.file);
        // Where the token is: found by its anchor, so that edits elsewhere in the file (the
        // stacks change) do not move the expectation off it; a recorded line and column that
        // no longer match are reported as stale, to be recomputed by make_corpus.py.
        let want = e.expect.as_ref().map(|x| {
            let (before, after) =
                x.anchor.split_once('\u{2038}').unwrap_or_else(|| panic!("{}: no ‸ in the anchor", e.id));
            let bare = format!("{before}{after}");
            let n = edited.matches(bare.as_str()).count();
            assert_eq!(
                n, 1,
                "{}: the anchor occurs {n} times in the edited stacks/{}; update the corpus",
                e.id, e.file
            );
            let at = edited.find(bare.as_str()).map_or(0, |i| i + before.len());
            assert!(edited[at..].starts_with(&x.token), "{}: the anchor does not hold the token", e.id);
            let line = u32::try_from(edited[..at].matches('\n').count() + 1).unwrap_or(0);
            let col = u32::try_from(edited[..at].rsplit('\n').next().unwrap_or("").chars().count() + 1).unwrap_or(0);
            if (line, col) != (x.line, x.col) {
                stale.push(format!("{}: recorded {}:{}, now {line}:{col}", e.id, x.line, x.col));
            }
            (line, col)
        });
        session.set_file(InputText { path: e.file.clone(), display: display.clone(), bytes: edited.into_bytes() });
        let (diags, sources) =
            session.snapshot().diagnostics_with_sources().unwrap_or_else(|_| panic!("{}: cancelled", e.id));
        session.set_file(original.clone());

        for line in render::short(&diags, &sources).lines().chain(render::github(&diags, &sources).lines()) {
            if line.contains("<stdlib>") {
                stdlib_paths.push(format!("{}: {line}", e.id));
            }
        }
        // SARIF: each result's location (its related locations may show a definition there).
        let sarif: serde_json::Value =
            serde_json::from_str(&render::sarif(&diags, &sources, "test")).unwrap_or(serde_json::Value::Null);
        for r in sarif["runs"][0]["results"].as_array().into_iter().flatten() {
            let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str().unwrap_or("");
            if uri.contains("<stdlib>") || uri.contains("stdlib/") {
                stdlib_paths.push(format!("{}: sarif {uri}", e.id));
            }
        }
        let got = describe(&diags, &sources);
        // One mistake, one diagnostic.
        if e.expect.is_some() && diags.len() > 1 {
            cascades.push(format!("{}: {} diagnostics\n      {got}", e.id, diags.len()));
        }
        let outcome = match &e.expect {
            None if diags.is_empty() => Outcome::Clean,
            None => Outcome::FalsePositive,
            Some(_) if diags.is_empty() => Outcome::Missed,
            Some(x) => {
                let with_code: Vec<&Diagnostic> = diags.iter().filter(|d| d.code.info().code == x.code).collect();
                if with_code.is_empty() {
                    Outcome::WrongCode
                } else if want
                    .is_some_and(|(l, c)| with_code.iter().any(|d| position(d, &sources) == (display.clone(), l, c)))
                {
                    Outcome::Exact
                } else {
                    Outcome::RightCode
                }
            }
        };
        let wanted = match (&e.expect, want) {
            (Some(x), Some((l, c))) => format!("want {} at {}:{l}:{c} `{}`", x.code, display, x.token),
            _ => "want nothing".to_string(),
        };
        outcomes.push((e.id.clone(), outcome, format!("{wanted}\n      got {got}")));
    }

    let count = |f: fn(&Outcome) -> bool| outcomes.iter().filter(|(_, o, _)| f(o)).count();
    let mistakes = count(|o| !matches!(o, Outcome::Clean | Outcome::FalsePositive));
    let legal = outcomes.len() - mistakes;
    let exact = count(|o| matches!(o, Outcome::Exact));
    let right_code = exact + count(|o| matches!(o, Outcome::RightCode));
    let missed = count(|o| matches!(o, Outcome::Missed));
    let false_positives = count(|o| matches!(o, Outcome::FalsePositive));
    let pct = |n: usize| if mistakes == 0 { 0.0 } else { 100.0 * n as f64 / mistakes as f64 };
    for (id, o, detail) in &outcomes {
        let tag = match o {
            Outcome::Exact | Outcome::Clean => continue,
            Outcome::RightCode => "WRONG PLACE",
            Outcome::WrongCode => "WRONG CODE",
            Outcome::Missed => "MISSED",
            Outcome::FalsePositive => "FALSE POSITIVE",
        };
        println!("{tag}: {id}\n      {detail}");
    }
    for c in &cascades {
        println!("MORE THAN ONE DIAGNOSTIC: {c}");
    }
    for s in &stdlib_paths {
        println!("STDLIB PATH: {s}");
    }
    for s in &stale {
        println!("STALE POSITION (run python3 tests/mistakes/make_corpus.py): {s}");
    }
    println!(
        "mistakes corpus: {mistakes} entries, exact {exact} ({:.1} %), right code {right_code} ({:.1} %), \
         missed {missed}, more than one diagnostic {}; legal {legal}, false positives {false_positives}",
        pct(exact),
        pct(right_code),
        cascades.len(),
    );
    assert!(mistakes >= 80 && legal >= 20, "the corpus needs at least 80 mistakes and 20 legal edits");
    assert_eq!(missed, 0, "mistakes not caught");
    assert_eq!(false_positives, 0, "legal edits reported");
    assert!(stdlib_paths.is_empty(), "machine formats name a standard-library file");
    assert!(pct(exact) >= 95.0, "exact {:.1} % is below 95 %", pct(exact));
}

/// `hlc check --show-waived` lists each waived warning once: a finding a rule raised more than
/// once (a stack-level ExternalSecret checked with each of the stack's services, one of its
/// keys after another) was printed once but counted and listed up to ten times.
#[test]
fn waived_warnings_are_counted_once() {
    let c = hlc_core::compile(read_dir(&repo_root().join("stacks")));
    let mut seen = std::collections::BTreeSet::new();
    let twice: Vec<String> = c
        .waived
        .iter()
        .filter(|w| !seen.insert((w.stack.clone(), w.code, w.message.clone())))
        .map(|w| format!("{} {}: {}", w.stack, w.code, w.message))
        .collect();
    assert!(twice.is_empty(), "waived more than once: {twice:#?}");
    assert!(c.waived.iter().any(|w| w.code == "E0562"), "the stacks waive E0562 somewhere");
}
