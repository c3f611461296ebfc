//! The formatter's invariants (those `tests/tests/fmt.rs` checks over the repository) for any
//! input that parses: the output parses without errors to the same tree with the same
//! comments, and formatting it again changes nothing.

#![no_main]

use hl_diagnostics::FileId;
use libfuzzer_sys::fuzz_target;

/// The syntax tree without byte offsets, and the comments in order: what formatting must keep.
fn shape(text: &str) -> (String, Vec<String>) {
    let parsed = hl_syntax::parse(FileId(0), text);
    assert!(parsed.errors.is_empty(), "formatted text does not parse: {:?}\n---\n{text}", parsed.errors);
    let tree = format!("{:?}", parsed.file.items);
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

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(once) = hl_fmt::format(FileId(0), text) else { return };
    let twice = match hl_fmt::format(FileId(0), &once) {
        Ok(t) => t,
        Err(d) => panic!("formatted text does not parse: {d:?}\n--- input\n{text}\n--- formatted\n{once}"),
    };
    assert!(once == twice, "not idempotent\n--- input\n{text}\n--- once\n{once}\n--- twice\n{twice}");
    let (tree_a, comments_a) = shape(text);
    let (tree_b, comments_b) = shape(&once);
    assert!(tree_a == tree_b, "tree changed\n--- input\n{text}\n--- formatted\n{once}\n{tree_a}\n{tree_b}");
    assert!(comments_a == comments_b, "comments changed\n--- input\n{text}\n--- formatted\n{once}");
});
