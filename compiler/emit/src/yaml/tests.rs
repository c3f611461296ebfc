//! The emitter against serde-saphyr: both must write the same bytes for every document.

use serde::Serialize;
use serde_json::{Value as Json, json};

use super::{to_yaml, with_serde_saphyr};

/// What serde-saphyr writes for `value`, with the trailing newline `to_yaml` guarantees.
fn reference<T: Serialize>(value: &T) -> String {
    let mut out = String::new();
    with_serde_saphyr(value, &mut out);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// Whether the emitter wrote `value` itself rather than handing it to serde-saphyr.
fn handled<T: Serialize>(value: &T) -> bool {
    let mut out = String::new();
    value.serialize(super::Node { out: &mut out, at: super::At::Root }).is_ok()
}

#[track_caller]
fn same<T: Serialize>(value: &T) {
    let ours = to_yaml(value);
    let theirs = reference(value);
    assert_eq!(ours, theirs, "\n--- emitter ---\n{ours}\n--- serde-saphyr ---\n{theirs}");
}

/// Spellings that some reader takes for a non-string, or that a plain scalar cannot carry,
/// next to near misses that must stay plain.
const TRICKY: &[&str] = &[
    "",
    " ",
    "a",
    "plain",
    "~",
    "null",
    "Null",
    "NULL",
    "nULL",
    "true",
    "True",
    "TRUE",
    "tRUE",
    "false",
    "yes",
    "Yes",
    "YES",
    "no",
    "No",
    "y",
    "Y",
    "n",
    "N",
    "on",
    "On",
    "ON",
    "off",
    "Off",
    "yess",
    "onn",
    "nope",
    "nan",
    "NaN",
    ".nan",
    ".NaN",
    "inf",
    "+inf",
    "-inf",
    ".inf",
    "-.inf",
    "+.Inf",
    "infinity",
    "0",
    "7",
    "-7",
    "+7",
    "007",
    "0x1F",
    "0X1f",
    "0x",
    "0xg",
    "-0x1F",
    "0o17",
    "0O17",
    "0o",
    "0b101",
    "0b",
    "0b102",
    "0b+1",
    "0o-7",
    "1_000",
    "1__000",
    "_1000",
    "1000_",
    "0x_1",
    "0b1_",
    "1.5",
    "1.",
    ".5",
    ".",
    "..",
    "1.2.3",
    "192.168.1.127",
    "10.0.20.200",
    "0.0.0.0",
    "1e5",
    "1E5",
    "1e+5",
    "1e-5",
    "1e",
    "e5",
    "1.5e3",
    ".5e+1",
    "-.5E-2",
    "1._0",
    "1:30",
    "01:30",
    "1:30.5",
    "0:30.5",
    "1:60",
    "1:5:9",
    "-1:30",
    "190:20:30",
    "1:",
    ":1",
    "2001-12-14",
    "2001-1-4",
    "2001-12-14t21:59:43.10-05:00",
    "2001-12-14 21:59:43.10 -5",
    "2001-12-14T21:59:43Z",
    "2001-12-14 21:59:43.10 Z",
    "2001-12-14T21:59",
    "2001-12-14x",
    "20011-12-14",
    "2026.8.0",
    "8.8.1",
    "v1.2.3",
    "<<",
    "<",
    "=",
    "==",
    "---",
    "--- a",
    "---a",
    "...",
    "... a",
    "...a",
    "-",
    "- a",
    "-a",
    "--",
    "?",
    "? a",
    "?a",
    "#",
    "#a",
    "a#b",
    "a #b",
    "a\u{a0}#b",
    "a\t#b",
    ".",
    ":",
    ":a",
    "a:",
    "a: b",
    "a:b",
    "a :",
    "a:\u{3000}",
    "http://example.org:8080/x?y=z#frag",
    "a,b",
    ",a",
    "[a]",
    "a[0]",
    "{a}",
    "a{b}",
    "&a",
    "*a",
    "!a",
    "a!",
    "|",
    "|a",
    ">",
    "'a'",
    "a'b",
    "\"a\"",
    "a\"b",
    "%a",
    "@a",
    "a@b",
    "`a`",
    "a b",
    " a",
    "a ",
    "\ta",
    "a\t",
    "a\tb",
    "a\nb",
    "a\n",
    "\n",
    "a\rb",
    "a\u{0}b",
    "a\u{7}\u{8}\u{b}\u{c}\u{1b}b",
    "a\u{1}b",
    "a\u{7f}b",
    "a\u{85}b",
    "a\u{9f}b",
    "a\u{a0}b",
    "\u{feff}a",
    "a\u{2028}b",
    "a\u{2029}b",
    "a\u{fffe}b",
    "a\u{ffff}b",
    "a\\b",
    "\\",
    "é",
    "日本語",
    "a😀b",
    "*/15 * * * *",
    "0 3 * * *",
    "384Mi",
    "1Gi",
    "15m",
    "app.kubernetes.io/managed-by",
    "traefik.io/v1alpha1",
    "registry.example.org/apps/atlas:5.9.2",
    "ghcr.io/a/b@sha256:abc",
    "--config=/etc/x.yaml",
    "-c",
    "$HOME",
    "a=b",
    "a;b",
    "a|b",
    "a>b",
    "(a)",
];

#[test]
fn every_tricky_string_is_written_as_serde_saphyr_writes_it() {
    for s in TRICKY {
        same(&json!({ "key": s }));
        same(&json!({ *s: "value" }));
        same(&json!({ "list": [s, s] }));
        same(&json!([{ *s: s }, [s], s]));
        same(&json!({ "outer": { *s: { *s: [s] } } }));
    }
}

#[test]
fn layout_matches_for_nesting_and_empty_collections() {
    same(&json!({}));
    same(&json!([]));
    same(&json!({ "a": {}, "b": [], "c": null, "d": true, "e": -3, "f": 18446744073709551615u64 }));
    same(&json!([[], {}, [[]], [{}], [[1, 2], [3]], [{ "a": 1, "b": [] }]]));
    same(&json!({ "a": [[{ "b": { "c": [[], [{}], { "d": [1] }] } }]] }));
    same(&json!([[[["deep"]]], { "x": [[{ "y": [{ "z": {} }] }]] }]));
    same(&json!("top-level string"));
    same(&json!(42));
    same(&json!(null));
}

/// Shapes the emitter leaves to serde-saphyr still come out as serde-saphyr writes them.
#[test]
fn documents_the_emitter_does_not_handle_go_to_serde_saphyr() {
    let floats = json!({ "ratio": 0.5, "list": [1.0, 2.5e-7] });
    assert!(!handled(&floats));
    same(&floats);

    let long_key = "k".repeat(1100);
    let long = json!({ long_key: "v" });
    assert!(!handled(&long));
    same(&long);

    let mut numbered = std::collections::BTreeMap::new();
    numbered.insert(1, "one");
    assert!(!handled(&numbered));
    same(&numbered);

    #[derive(Serialize)]
    enum Shape {
        Circle { r: u32 },
        Named(String),
        Unit,
    }
    let shapes = vec![Shape::Circle { r: 1 }, Shape::Named("n".into())];
    assert!(!handled(&shapes));
    same(&shapes);
    let unit = vec![Shape::Unit];
    assert!(handled(&unit));
    same(&unit);

    let bytes = serde_bytes_like(&[1, 2, 3]);
    assert!(!handled(&bytes));
}

/// A value that serialises as a byte string.
fn serde_bytes_like(b: &[u8]) -> impl Serialize + '_ {
    struct Bytes<'a>(&'a [u8]);
    impl Serialize for Bytes<'_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(self.0)
        }
    }
    Bytes(b)
}

/// Typed Kubernetes objects (structs with optional fields, quantities, int-or-string).
#[test]
fn typed_kubernetes_objects_match() {
    use k8s_openapi::api::core::v1::{Container, ContainerPort, EnvVar, PodSpec, ResourceRequirements};
    use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
    let spec = PodSpec {
        containers: vec![Container {
            name: "web".into(),
            image: Some("nginx:1.27".into()),
            args: Some(vec!["--port=80".into(), "on".into(), "".into(), "a: b".into()]),
            env: Some(vec![EnvVar { name: "TZ".into(), value: Some("Etc/UTC".into()), ..Default::default() }]),
            ports: Some(vec![ContainerPort { container_port: 80, ..Default::default() }]),
            resources: Some(ResourceRequirements {
                limits: Some([("memory".to_string(), Quantity("1Gi".into()))].into()),
                requests: Some([("cpu".to_string(), Quantity("0.5".into()))].into()),
                ..Default::default()
            }),
            ..Default::default()
        }],
        node_selector: Some(Default::default()),
        ..Default::default()
    };
    assert!(handled(&spec));
    same(&spec);
}

/// A small deterministic generator (xorshift), so that failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn string(&mut self) -> String {
        if self.below(2) == 0 {
            return TRICKY[self.below(TRICKY.len())].to_string();
        }
        const PIECES: &[&str] = &[
            "a", "Z", "0", "1", "9", "-", "_", ".", ":", " ", "#", "'", "\"", ",", "[", "}", "e", "x", "o", "b", "+",
            "\t", "\n", "é", "\u{85}", "\u{2028}", "/", "@", "!", "?", "*", "&", "~", "<", "=", "yes", "on", "null",
            "inf", "T",
        ];
        let n = self.below(6);
        (0..n).map(|_| PIECES[self.below(PIECES.len())]).collect()
    }
    fn value(&mut self, depth: usize) -> Json {
        let pick = if depth == 0 { self.below(5) } else { self.below(8) };
        match pick {
            0 => Json::Null,
            1 => Json::Bool(self.below(2) == 0),
            2 => json!(self.next() as i64 >> self.below(64)),
            3 | 4 => Json::String(self.string()),
            5 => Json::Array((0..self.below(4)).map(|_| self.value(depth - 1)).collect()),
            _ => Json::Object((0..self.below(4)).map(|_| (self.string(), self.value(depth - 1))).collect()),
        }
    }
}

#[test]
fn generated_documents_match() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..20_000 {
        let doc = rng.value(4);
        same(&doc);
    }
}

/// Strings of several lines, the ones a literal block must get exactly right: leading spaces
/// and blank lines (the indentation indicator), trailing newlines (the chomping indicator),
/// lines of spaces only, tabs, text that looks like YAML.
const MULTI_LINE: &[&str] = &[
    "a\nb",
    "a\nb\n",
    "a\nb\n\n",
    "a\nb\n\n\n",
    "\n",
    "\n\n",
    "\na",
    "\n\na\n",
    " a\nb",
    "  indented\n    more\n",
    "\n  after a blank line\n",
    "a\n \n  \nb",
    "a\n\n\nb\n",
    "\ttab first\n\tsecond\n",
    "trailing spaces   \nline\n",
    "ends in spaces\n   ",
    " \n",
    "#!/bin/sh\nset -eu\necho \"${HOME}\" | tr a b\n",
    "key: value\n- item\n? x\n| y\n> z\n--- \n...\n",
    "{\n    \"json\": [1, 2],\n    \"k\": \"v\"\n}\n",
    "é ü\n中文\n",
];

/// Every position a string can take in a document.
fn positions(s: &str) -> Vec<Json> {
    vec![
        json!(s),
        json!({ "key": s }),
        json!({ "a": 1, "key": s, "z": [s] }),
        json!([s, s]),
        json!([[s], { "k": s }]),
        json!({ "outer": { "inner": s, "list": [s, { "deep": s }] } }),
        json!([{ "a": s, "b": [[s]] }]),
    ]
}

#[test]
fn strings_of_several_lines_are_literal_blocks_that_read_back_exactly() {
    for s in MULTI_LINE {
        for doc in positions(s) {
            same(&doc);
            let text = to_yaml(&doc);
            assert!(text.contains('|'), "not a literal block:\n{text}");
            let back: Json = serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("unreadable: {e}\n{text}"));
            assert_eq!(back, doc, "read back differently:\n{text}");
        }
    }
    // A character a block cannot hold keeps the string double-quoted.
    for s in ["a\r\nb", "a\nb\u{85}", "x\u{2028}\ny", "\u{feff}a\nb", "a\n\u{7}"] {
        let text = to_yaml(&json!({ "key": s }));
        assert!(text.starts_with("key: \""), "{s:?} should stay quoted:\n{text}");
        let back: Json = serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("unreadable: {e}\n{text}"));
        assert_eq!(back, json!({ "key": s }));
    }
}

#[test]
fn generated_documents_read_back_as_they_were() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    for _ in 0..5_000 {
        let doc = rng.value(4);
        let text = to_yaml(&doc);
        let back: Json = serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("unreadable: {e}\n{text}"));
        assert_eq!(back, doc, "read back differently:\n{text}");
    }
}
