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
    for e in &entries {
        let original =
            files.iter().find(|f| f.path == e.file).unwrap_or_else(|| panic!("{}: no stacks/{}", e.id, e.file));
        let text = String::from_utf8(original.bytes.clone()).unwrap_or_default();
        let n = text.matches(e.old.as_str()).count();
        assert_eq!(n, 1, "{}: the old text occurs {n} times in stacks/{}; update the corpus", e.id, e.file);
        let edited = text.replacen(e.old.as_str(), e.new.as_str(), 1);
        let display = format!("stacks/{}", e.file);
        if let Some(x) = &e.expect {
            // The corpus itself: the token is where the entry says.
            let line = edited.lines().nth(x.line as usize - 1).unwrap_or_default();
            let at: String = line.chars().skip(x.col as usize - 1).take(x.token.chars().count()).collect();
            assert_eq!(
                at, x.token,
                "{}: the corpus's position does not hold its token (the stacks moved: run \
                 `python3 tests/mistakes/make_corpus.py`, which recomputes the positions)",
                e.id
            );
        }
        session.set_file(InputText { path: e.file.clone(), display: display.clone(), bytes: edited.into_bytes() });
        let (diags, sources) =
            session.snapshot().diagnostics_with_sources().unwrap_or_else(|_| panic!("{}: cancelled", e.id));
        session.set_file(original.clone());

        for line in render::short(&diags, &sources).lines().chain(render::github(&diags, &sources).lines()) {
            if line.contains("<stdlib>") {
                stdlib_paths.push(format!("{}: {line}", e.id));
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
                } else if with_code.iter().any(|d| position(d, &sources) == (display.clone(), x.line, x.col)) {
                    Outcome::Exact
                } else {
                    Outcome::RightCode
                }
            }
        };
        let want = match &e.expect {
            Some(x) => format!("want {} at {}:{}:{} `{}`", x.code, display, x.line, x.col, x.token),
            None => "want nothing".to_string(),
        };
        outcomes.push((e.id.clone(), outcome, format!("{want}\n      got {got}")));
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
