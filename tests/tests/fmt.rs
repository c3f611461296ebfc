//! The formatter (`hlc fmt`): fixture pairs, idempotence and tree-preservation over every `.hl`
//! file of the repository, byte-identical output for a formatted `stacks/`, and the rule that
//! `stacks/` and `stdlib/` are kept formatted.
//!
//! Fixture pairs live in `tests/fmt/`: `NAME.in.hl` formats to `NAME.out.hl`. Regenerate the
//! expected side with `HLC_BLESS=1 cargo test -p hl-tests --test fmt` and review the diff.

use std::fs;
use std::path::{Path, PathBuf};

use hl_diagnostics::FileId;
use hl_tests::{read_dir, repo_root};
use hlc_core::{InputText, format_source};

fn hl_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if p.is_dir() {
            if !name.starts_with('.') && name != "target" && name != "node_modules" {
                hl_files(&p, out);
            }
        } else if name.ends_with(".hl") {
            out.push(p);
        }
    }
}

fn all_repo_hl_files() -> Vec<PathBuf> {
    let root = repo_root();
    let mut files = Vec::new();
    for dir in ["stacks", "stdlib", "tests", "editors", "compiler", "lang", "bench"] {
        hl_files(&root.join(dir), &mut files);
    }
    files.sort();
    files
}

/// The syntax tree without byte offsets, and the comments in order: what formatting must keep.
fn shape(text: &str) -> (String, Vec<String>) {
    let parsed = hl_syntax::parse(FileId(0), text);
    let tree = format!("{:?}", parsed.file.items);
    // Drop every `span: Span { .. }` / `path_span: Span { .. }` and bare `Error(Span { .. })`.
    let mut out = String::with_capacity(tree.len());
    let mut rest = tree.as_str();
    while let Some(i) = rest.find("Span {") {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        let close = after.find('}').map(|j| j + 1).unwrap_or(after.len());
        rest = &after[close..];
    }
    out.push_str(rest);
    let comments = parsed.file.comments.iter().map(|c| c.text.trim_end().to_string()).collect();
    (out, comments)
}

fn format_ok(path: &Path, text: &str) -> String {
    format_source(FileId(0), text).unwrap_or_else(|d| panic!("{} does not parse: {:?}", path.display(), d))
}

#[test]
fn fixture_pairs() {
    let dir = repo_root().join("tests/fmt");
    let bless = std::env::var_os("HLC_BLESS").is_some();
    let mut n = 0;
    let mut failures = Vec::new();
    let mut inputs: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("tests/fmt exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".in.hl"))
        .collect();
    inputs.sort();
    for input in inputs {
        n += 1;
        let text = fs::read_to_string(&input).expect("read fixture");
        let expected_path = PathBuf::from(input.to_string_lossy().replace(".in.hl", ".out.hl"));
        let got = format_ok(&input, &text);
        if bless {
            fs::write(&expected_path, &got).expect("write expected");
            continue;
        }
        let expected = fs::read_to_string(&expected_path)
            .unwrap_or_else(|_| panic!("missing {} (run with HLC_BLESS=1)", expected_path.display()));
        if got != expected {
            failures.push(format!("{}:\n{}", input.display(), similar_lines(&expected, &got)));
        }
        // The expected side is itself formatted.
        if format_ok(&expected_path, &expected) != expected {
            failures.push(format!("{} is not a fixed point", expected_path.display()));
        }
    }
    assert!(n >= 4, "expected fixture pairs in tests/fmt, found {n}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn similar_lines(expected: &str, got: &str) -> String {
    let mut s = String::new();
    for (i, (a, b)) in expected.lines().zip(got.lines()).enumerate() {
        if a != b {
            s.push_str(&format!("  line {}: expected `{a}`, got `{b}`\n", i + 1));
        }
    }
    if expected.lines().count() != got.lines().count() {
        s.push_str(&format!("  {} lines expected, {} got\n", expected.lines().count(), got.lines().count()));
    }
    s
}

/// Every `.hl` file of the repository that parses: formatting keeps the tree and every
/// comment, and formatting the result again changes nothing.
#[test]
fn idempotent_and_tree_preserving_over_the_repository() {
    let files = all_repo_hl_files();
    let mut checked = 0;
    let mut failures = Vec::new();
    for path in &files {
        let Ok(text) = fs::read_to_string(path) else { continue };
        let Ok(once) = format_source(FileId(0), &text) else { continue };
        checked += 1;
        let twice = format_ok(path, &once);
        if twice != once {
            failures.push(format!("not idempotent: {}\n{}", path.display(), similar_lines(&once, &twice)));
        }
        let (tree_a, comments_a) = shape(&text);
        let (tree_b, comments_b) = shape(&once);
        if tree_a != tree_b {
            failures.push(format!("tree changed: {}", path.display()));
        }
        if comments_a != comments_b {
            failures.push(format!("comments changed: {}: {comments_a:?} vs {comments_b:?}", path.display()));
        }
    }
    assert!(checked > 250, "only {checked} files checked");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `text` without its blank lines, except inside multi-line strings (where they are content).
fn squash_blank_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    for line in text.lines() {
        if in_string {
            in_string = !line.trim_start().starts_with("\"\"\"");
        } else if line.trim().is_empty() {
            continue;
        } else {
            in_string = line.matches("\"\"\"").count() % 2 == 1;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Compiling a formatted `stacks/` gives byte-identical output.
#[test]
fn formatting_stacks_keeps_every_emitted_byte() {
    let files = read_dir(&repo_root().join("stacks"));
    let formatted: Vec<InputText> = files
        .iter()
        .map(|f| {
            // Scripts and config files beside the stacks are read by `file()`, not formatted.
            if !f.path.ends_with(".hl") {
                return f.clone();
            }
            let text = String::from_utf8(f.bytes.clone()).expect("utf-8");
            // Reformat from a deliberately different layout: everything already formatted
            // would make this test vacuous.
            let squashed = squash_blank_lines(&text);
            InputText {
                path: f.path.clone(),
                display: f.display.clone(),
                bytes: format_ok(Path::new(&f.display), &squashed).into_bytes(),
            }
        })
        .collect();
    let a = hlc_core::compile(files);
    let b = hlc_core::compile(formatted);
    assert!(!a.has_errors(), "stacks/ does not compile");
    assert_eq!(a.artifacts.len(), b.artifacts.len());
    for (x, y) in a.artifacts.iter().zip(&b.artifacts) {
        assert_eq!(x.path, y.path);
        assert!(x.contents == y.contents, "{} differs after formatting", x.path);
    }
}

/// `stacks/` and `stdlib/` are kept formatted (`hlc fmt --check stacks stdlib` in CI).
#[test]
fn stacks_and_stdlib_are_formatted() {
    let root = repo_root();
    let mut files = Vec::new();
    hl_files(&root.join("stacks"), &mut files);
    hl_files(&root.join("stdlib"), &mut files);
    let unformatted: Vec<String> = files
        .iter()
        .filter(|p| {
            let text = fs::read_to_string(p).expect("read");
            format_ok(p, &text) != text
        })
        .map(|p| p.display().to_string())
        .collect();
    assert!(unformatted.is_empty(), "run `hlc fmt stacks stdlib`: {unformatted:?}");
}
