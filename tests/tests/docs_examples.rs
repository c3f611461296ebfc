//! The docs pages (`hlc explain`) say what they show: every ```` ```hl ```` block under a page's
//! `## Example` is compiled and must report the page's code, and every complete program under
//! `## How to fix` must not.
//!
//! A block is compiled in the homelab's setting (its `cluster` facts, as the ui fixtures are:
//! [`hl_tests::in_homelab`]), as it is written (a `// name.hl` line at the left margin starts another
//! file of the workspace) and, when that does not report the code, as the body of a stack
//! (`service ...` fragments). A page whose example cannot be compiled (it elides text, or
//! needs files no page can hold) is listed in `NOT_RUNNABLE` with the reason; the list is
//! exact, so an example that becomes runnable must leave it.

use hl_diagnostics::CODES;
use hlc_core::InputText;

/// Pages whose `## Example` blocks are not programs, and why.
const NOT_RUNNABLE: &[(&str, &str)] = &[
    ("E0002", "129 nested brackets, shortened with `...`"),
    ("E0003", "the file's bytes are not UTF-8, which a Markdown page cannot hold"),
    (
        "E0215",
        "it needs the CRD schemas (`--crd-schemas`), which live outside the repository; tests/tests/crd_schemas.rs makes the same mistakes in the real stacks against them",
    ),
];

/// The text of the ```` ```hl ```` blocks of one `## <section>` of a page.
fn blocks<'a>(page: &'a str, section: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    for part in page.split("\n## ").skip(1) {
        let (head, body) = part.split_once('\n').unwrap_or((part, ""));
        if head.trim() != section {
            continue;
        }
        let mut rest = body;
        while let Some(start) = rest.find("```hl\n") {
            let after = &rest[start + "```hl\n".len()..];
            let Some(end) = after.find("```") else { break };
            out.push(&after[..end]);
            rest = &after[end + 3..];
        }
    }
    out
}

/// The workspace a block stands for: the files it names (`// name.hl` lines), or one file.
fn files(block: &str) -> Vec<InputText> {
    let file = |path: &str, text: String| InputText { path: path.into(), display: path.into(), bytes: text.into() };
    let mut out: Vec<(String, String)> = Vec::new();
    for line in block.lines() {
        if let Some(name) = line.strip_prefix("// ").filter(|n| n.ends_with(".hl") && !n.contains(' ')) {
            out.push((name.to_string(), String::new()));
        } else if let Some((_, text)) = out.last_mut() {
            text.push_str(line);
            text.push('\n');
        }
    }
    if out.is_empty() {
        return vec![file("main.hl", block.to_string())];
    }
    out.into_iter().map(|(p, t)| file(&p, t)).collect()
}

/// The ways a block is compiled: as written, and inside a stack.
fn variants(block: &str) -> Vec<Vec<InputText>> {
    let wrapped = format!("stack demo {{\n  namespace demo {{ tier = \"aux\" }}\n{block}}}\n");
    vec![files(block), files(&wrapped)]
}

fn codes(files: Vec<InputText>) -> Vec<&'static str> {
    hlc_core::compile(hl_tests::in_homelab(files)).diagnostics.iter().map(|d| d.code.info().code).collect()
}

#[test]
fn every_docs_example_reports_its_code() {
    let mut failures = Vec::new();
    let (mut examples, mut fixes) = (0, 0);
    for info in CODES.iter().filter(|c| !c.code.starts_with("E09")) {
        let skipped = NOT_RUNNABLE.iter().find(|(c, _)| *c == info.code);
        let mut ran = 0;
        for block in blocks(info.doc, "Example") {
            let found: Vec<Vec<&str>> = variants(block).into_iter().map(codes).collect();
            match found.iter().position(|cs| cs.contains(&info.code)) {
                Some(_) => ran += 1,
                None if skipped.is_some() => {}
                None => {
                    failures.push(format!("{}: an example does not report it (found {found:?}):\n{block}", info.code))
                }
            }
        }
        examples += ran;
        if let Some((_, why)) = skipped
            && ran > 0
        {
            failures.push(format!("{}: listed as not runnable ({why}), but its example runs: remove it", info.code));
        }
        for block in blocks(info.doc, "How to fix") {
            // Only complete programs: a fragment is a line of the example, shown changed.
            if !block.lines().any(|l| l.starts_with("stack ") || l.starts_with("vm ")) {
                continue;
            }
            let found = codes(files(block));
            if found.contains(&info.code) {
                failures.push(format!("{}: the fix still reports it ({found:?}):\n{block}", info.code));
            }
            fixes += 1;
        }
    }
    eprintln!("docs pages: {examples} examples report their code, {fixes} fixes do not");
    assert!(
        failures.is_empty(),
        "{} docs examples disagree with the compiler:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// README's statement about bare quantities, which the E0202 page repeats: `memory = 2` is
/// E0202 with a suggestion of `2Gi`/`2Mi`, and `cpu = 2` (two cores) stays legal.
#[test]
fn a_bare_number_is_a_cpu_count_but_not_a_memory_size() {
    let program = |resources: &str| {
        let text = format!(
            "stack demo {{\n  namespace demo {{ tier = \"aux\" }}\n  service web {{\n    image = \"nginx:1.27\"\n    port http = 80\n    resources {{ {resources} }}\n  }}\n}}\n"
        );
        hlc_core::compile(hl_tests::in_homelab(vec![InputText {
            path: "main.hl".into(),
            display: "main.hl".into(),
            bytes: text.into(),
        }]))
    };
    assert!(program("cpu = 2, memory = 2Gi").diagnostics.is_empty());
    let c = program("cpu = 2, memory = 2");
    let d = c.diagnostics.iter().find(|d| d.code.info().code == "E0202").expect("E0202 for memory = 2");
    assert!(d.help.iter().any(|h| h.contains("`2Gi`") && h.contains("`2Mi`")), "{:?}", d.help);
}
