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
    for f in files.iter().take(20) {
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
