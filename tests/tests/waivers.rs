//! The fix an editor offers for a waiver of E0516 that names no stack: it names the stacks the
//! backups overlap with now, keeps the author's reason, and leaves the workspace clean (the
//! waiver then accepts that overlap and no other).

use hl_diagnostics::Code;
use hl_tests::{in_homelab, read_dir, repo_root};
use hlc_core::InputText;

#[test]
fn the_fix_for_an_unnamed_overlap_waiver_names_the_pairing() {
    let dir = repo_root().join("tests/ui/E0591-invalid-waiver-overlap-partner");
    let files = in_homelab(read_dir(&dir));
    let c = hlc_core::compile(files.clone());
    let d = c
        .diagnostics
        .iter()
        .find(|d| d.code == Code::InvalidWaiver && d.message.contains("E0516"))
        .expect("E0591 for the waiver of E0516");
    let [fix] = d.fixes.as_slice() else { panic!("one fix expected, got {:?}", d.fixes) };
    assert_eq!(fix.replacement, "\"E0516 with notes\"");

    // Apply it, and drop the other (deliberately invalid) waiver of the fixture.
    let edited: Vec<InputText> = files
        .into_iter()
        .map(|mut f| {
            if f.path == "main.hl" {
                let mut text = String::from_utf8(f.bytes).expect("UTF-8");
                let (start, end) = (fix.span.start as usize, fix.span.end as usize);
                assert_eq!(&text[start..end], "\"E0516\"", "the fix replaces the key as written");
                text.replace_range(start..end, &fix.replacement);
                let text = text.replace(
                    "    \"E0513 with notes\": \"the cache is rebuilt from the wiki's own data\",\n",
                    "    \"E0513\": \"the cache is rebuilt from the wiki's own data\",\n",
                );
                f.bytes = text.into_bytes();
            }
            f
        })
        .collect();
    let after = hlc_core::compile(edited);
    let codes: Vec<&str> = after.diagnostics.iter().map(|d| d.code.info().code).collect();
    assert!(codes.is_empty(), "after the fix: {codes:?}");
    assert!(after.waived.iter().any(|w| w.code == "E0516" && w.stack == "wiki"), "the overlap is waived by wiki");
}
