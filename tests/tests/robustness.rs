//! Broken input never panics: token soup and truncated or spliced copies of the real stacks
//! all compile to diagnostics. (A seeded generator keeps the runs reproducible; the fuzz
//! targets of the robustness issue go much further.)

use hl_tests::{read_dir, repo_root};
use hlc_core::InputText;

/// xorshift64*: small, deterministic, good enough to pick tokens.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn compile_one(text: &str) -> usize {
    let c = hlc_core::compile(vec![InputText {
        path: "x.hl".into(),
        display: "x.hl".into(),
        bytes: text.as_bytes().to_vec(),
    }]);
    c.diagnostics.len()
}

#[test]
fn token_soup_never_panics() {
    const TOKENS: &[&str] = &[
        "stack",
        "service",
        "namespace",
        "ingress",
        "volume",
        "port",
        "let",
        "fn",
        "schema",
        "enum",
        "import",
        "if",
        "then",
        "else",
        "not",
        "and",
        "or",
        "{",
        "}",
        "[",
        "]",
        "(",
        ")",
        "=",
        ",",
        ":",
        ".",
        "..",
        "+",
        "-",
        "*",
        "/",
        "==",
        "\"s\"",
        "\"${x}\"",
        "\"",
        "15m",
        "256Mi",
        "1Gi",
        "80",
        "70000",
        "-1",
        "3.5",
        "true",
        "null",
        "web",
        "x",
        "app(\"r\")",
        "none",
        "aux",
        "tier",
        "image",
        "auth",
        "//c\n",
        "/*",
        "*/",
        "\n",
        "pvc(",
        "@",
        "#",
    ];
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    for _ in 0..150 {
        let n = 1 + rng.below(60);
        let text: Vec<&str> = (0..n).map(|_| TOKENS[rng.below(TOKENS.len())]).collect();
        compile_one(&text.join(" "));
    }
}

#[test]
fn damaged_stacks_never_panic() {
    let files = read_dir(&repo_root().join("stacks"));
    let mut rng = Rng(0x5eed_0000_0000_0042);
    for f in files.iter().filter(|f| f.path.ends_with(".hl")).take(20) {
        let text = String::from_utf8_lossy(&f.bytes).into_owned();
        let chars: Vec<char> = text.chars().collect();
        for _ in 0..3 {
            // Delete a random range, then splice in a random piece from elsewhere.
            let a = rng.below(chars.len().max(1));
            let b = (a + rng.below(40)).min(chars.len());
            let c = rng.below(chars.len().max(1));
            let d = (c + rng.below(30)).min(chars.len());
            let mut out: String = chars[..a].iter().collect();
            out.extend(&chars[c..d]);
            out.extend(&chars[b..]);
            compile_one(&out);
        }
    }
}

#[test]
fn hostile_sizes_are_diagnosed() {
    // Deep nesting and a long operator chain are refused with E0002, not a crash.
    let deep = format!("let x = {}1{}", "[".repeat(5000), "]".repeat(5000));
    assert!(compile_one(&deep) >= 1);
    let chain = format!("let x = 1{}", " + 1".repeat(20_000));
    assert!(compile_one(&chain) >= 1);
    let ifs = format!("let x = {}1{}", "if true then ".repeat(3000), " else 0".repeat(3000));
    assert!(compile_one(&ifs) >= 1);
    // A large but ordinary file compiles.
    let big: String = (0..2000).map(|i| format!("let v{i} = \"{i}\"\n")).collect();
    assert_eq!(compile_one(&big), 0);
}

fn compile_files(files: &[(&str, &[u8])]) -> hlc_core::Compilation {
    hlc_core::compile(
        files
            .iter()
            .map(|(path, bytes)| InputText { path: path.to_string(), display: path.to_string(), bytes: bytes.to_vec() })
            .collect(),
    )
}

fn codes(c: &hlc_core::Compilation) -> Vec<&'static str> {
    c.diagnostics.iter().map(|d| d.code.info().code).collect()
}

/// The stack of the ui fixtures, small and valid: hostile variations are made from it.
const DEMO: &str =
    "stack demo {\n  namespace demo { tier = \"aux\" }\n  service web { image = \"nginx:1.27\", port http = 80 }\n}\n";

#[test]
fn text_that_is_not_utf8_or_holds_nul_is_e0003() {
    for (what, bytes) in [
        ("invalid UTF-8", [DEMO.as_bytes(), b"\xff\xfe\x80"].concat()),
        ("a lone continuation byte", [b"stack demo { \x80 }".as_slice()].concat()),
        ("a truncated sequence", [DEMO.as_bytes(), "é".as_bytes().get(..1).unwrap_or_default()].concat()),
        ("a NUL byte", [DEMO.as_bytes(), b"\0"].concat()),
        ("NUL in a string", DEMO.replace("nginx", "ngi\0nx").into_bytes()),
        ("UTF-16", DEMO.encode_utf16().flat_map(u16::to_le_bytes).collect()),
    ] {
        let c = compile_files(&[("main.hl", &bytes)]);
        assert!(codes(&c).contains(&"E0003"), "{what}: {:?}", codes(&c));
        assert!(c.artifacts.is_empty(), "{what}: output from an unreadable file");
    }
}

#[test]
fn import_cycles_are_e0104() {
    let c = compile_files(&[
        ("main.hl", b"import \"a.hl\"\nlet x = a_value\n"),
        ("a.hl", b"import \"b.hl\"\nlet a_value = 1\n"),
        ("b.hl", b"import \"a.hl\"\nlet b_value = 2\n"),
        ("self.hl", b"import \"self.hl\"\nlet s = 1\n"),
    ]);
    let codes = codes(&c);
    assert!(codes.contains(&"E0104"), "{codes:?}");
}

/// Self-reference and runaway recursion end in a coded diagnostic, quickly. (Definitions are
/// evaluated when used, so each case is used as a replica count.)
#[test]
fn self_reference_and_runaway_evaluation_are_bounded() {
    let start = std::time::Instant::now();
    for (what, defs, code) in [
        ("a let that is itself", "let x = x", "E0302"),
        ("two lets that are each other", "let x = y\nlet y = x + 1", "E0302"),
        ("a record that reads itself", "let t = { replicas = t.replicas }\nlet x = t.replicas", "E0302"),
        ("endless recursion", "fn f(n: Int) -> Int = f(n + 1)\nlet x = f(0)", "E0301"),
        ("nested recursion", "fn f(n: Int) -> Int = f(f(n))\nlet x = f(1)", "E0301"),
        (
            "a template that spreads itself",
            "fn t(r: Resources) -> Resources = Resources { ..t(r) }\nlet x = t({}).cpu",
            "E0301",
        ),
    ] {
        let text = format!(
            "{defs}\nstack demo {{\n  namespace demo {{ tier = \"aux\" }}\n  service web {{ image = \"nginx:1.27\", replicas = x, port http = 80 }}\n}}\n"
        );
        let c = compile_files(&[("main.hl", text.as_bytes())]);
        assert!(codes(&c).contains(&code), "{what}: {:?}", codes(&c));
    }
    assert!(start.elapsed().as_secs() < 30, "took {:?}", start.elapsed());
    // Exponential but finite recursion runs into the step budget (20 million steps by default,
    // a few seconds in a release build; a smaller one keeps this test quick).
    let text = "fn f(n: Int) -> Int = if n == 0 then 1 else f(n - 1) + f(n - 1)\nlet x = f(60)\nstack demo {\n  namespace demo { tier = \"aux\" }\n  service web { image = \"nginx:1.27\", replicas = x, port http = 80 }\n}\n";
    let files = vec![InputText { path: "main.hl".into(), display: "main.hl".into(), bytes: text.as_bytes().to_vec() }];
    let options =
        hlc_core::Options { limits: hlc_core::Limits { steps: 200_000, ..Default::default() }, ..Default::default() };
    let c = hlc_core::compile_with(files, &options);
    assert!(c.diagnostics.iter().any(|d| d.code.info().code == "E0301"));
}

/// Names become directory names (`out/k8s/<stack>/`): anything that is not a plain lowercase
/// DNS-style name is refused with a diagnostic before any path is made, so output stays
/// inside `out/`, and two stacks cannot differ only in case.
#[test]
fn unsafe_stack_names_are_refused() {
    let body = "{ namespace = { demo = { tier = \"aux\" } } }";
    let long = "a".repeat(300);
    for name in [
        "../escape",
        "../../etc",
        "a/b",
        "/abs",
        ".",
        "..",
        "flux",
        "Web",
        "wеb", /* Cyrillic е */
        "ｗeb",
        "a\\b",
        &long,
    ] {
        let text = format!("stack = {{ {}: {body} }}\n", serde_json::to_string(name).expect("json"));
        let c = compile_files(&[("main.hl", text.as_bytes())]);
        assert!(c.has_errors(), "`{name}` accepted");
        assert!(c.artifacts.is_empty());
    }
    // A long name written as a declaration is refused the same way.
    let c =
        compile_files(&[("main.hl", format!("stack {long} {{ namespace demo {{ tier = \"aux\" }} }}\n").as_bytes())]);
    assert!(codes(&c).contains(&"E0208"), "{:?}", codes(&c));
}

/// Whatever compiles, every output path is relative, inside the output directory and made of
/// names a file system accepts.
#[test]
fn every_output_path_stays_inside_out() {
    let c = hlc_core::compile(read_dir(&repo_root().join("stacks")));
    assert!(!c.has_errors());
    for a in &c.artifacts {
        assert!(!a.path.starts_with('/'), "{}", a.path);
        for part in a.path.split('/') {
            assert!(!part.is_empty() && part != "." && part != "..", "{}", a.path);
            assert!(part.len() <= 255, "{}", a.path);
            assert!(
                part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b)),
                "{}",
                a.path
            );
        }
    }
}

/// A 10 MB file is read, parsed and checked in bounded time (measured: see the README's
/// Robustness section); here a smaller one keeps the debug-build test quick.
#[test]
fn large_files_finish() {
    let line = "let value_0000000 = [\"some text\", 15m, 256Mi, { a = 1, b = \"two\" }]\n";
    let n = (2 << 20) / line.len();
    let text: String = (0..n).map(|i| line.replace("0000000", &format!("{i:07}"))).collect();
    let start = std::time::Instant::now();
    let c = compile_files(&[("big.hl", text.as_bytes())]);
    assert!(!c.has_errors(), "{:?}", codes(&c).first());
    assert!(start.elapsed().as_secs() < 120, "a 2 MB file took {:?}", start.elapsed());
    // A 2 MB file of one unreadable token after another is as quick, and not a flood of errors.
    let junk = "@# ".repeat((2 << 20) / 3);
    let c = compile_files(&[("junk.hl", junk.as_bytes())]);
    assert!(c.has_errors());
    assert!(c.diagnostics.len() < 1000, "{} diagnostics", c.diagnostics.len());
}

/// Brackets left open at the end of a file (what an editor sends while one types) are one
/// diagnostic, read in linear time. Each open bracket used to fail its construct only at the
/// end of the file, to be read again by every alternative around it: eight nested `a = {`
/// lines took seconds, ten minutes. Found by the `parse` fuzz target (its slow inputs are in
/// `tests/robustness/`).
#[test]
fn unclosed_brackets_are_linear() {
    let start = std::time::Instant::now();
    let mut cases = Vec::new();
    for n in [8, 30, 120] {
        let blocks: String = (0..n).map(|i| format!("  a{i} = {{\n")).collect();
        cases.push(format!("stack s {{\n{blocks}  x = 1\n"));
        let services: String = (0..n).map(|i| format!("  service a{i} {{\n")).collect();
        cases.push(format!("stack s {{\n{services}"));
        cases.push(format!("let x = {}1", "[\n".repeat(n)));
        cases.push(format!("let x = {}1", "f(\n".repeat(n)));
        cases.push(format!("let x = {}1", "(\n".repeat(n)));
        cases.push(format!("let x = {}", "{ a = [ f(\n".repeat(n / 3)));
    }
    for text in &cases {
        let c = compile_files(&[("main.hl", text.as_bytes())]);
        assert!(codes(&c).contains(&"E0001"), "{text}: {:?}", codes(&c));
        // Nothing points past the end of the text.
        for d in &c.diagnostics {
            assert!(d.primary.span.end as usize <= text.len());
        }
    }
    let dir = repo_root().join("tests/robustness");
    let mut files: Vec<_> = std::fs::read_dir(&dir).expect("tests/robustness").flatten().map(|e| e.path()).collect();
    files.sort();
    for f in &files {
        let bytes = std::fs::read(f).expect("read");
        let c = compile_files(&[("main.hl", &bytes)]);
        // Read within the parser's step limit: parse-slow-4 and -5 (fuzzed copies of stack
        // files, maps and records left open 44 deep) took 2^27 steps, 1.5 s, while a map that
        // failed was read again as a record at every level.
        let limit = c.diagnostics.iter().find(|d| d.message.contains("steps to read"));
        assert!(limit.is_none(), "{}: {:?}", f.display(), limit.map(|d| &d.message));
    }
    assert!(files.len() >= 5);
    assert!(start.elapsed().as_secs() < 30, "took {:?}", start.elapsed());
}
