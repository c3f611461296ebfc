//! The parser never panics and never overflows the stack, whatever the bytes: every input
//! gives a tree, and a file that is not text is the compiler's business (E0003), not the
//! parser's, so the bytes are read lossily here.

#![no_main]

use hl_diagnostics::FileId;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let parsed = hl_syntax::parse(FileId(0), &text);
    // Every diagnostic points inside the text.
    for d in &parsed.errors {
        let (start, end) = (d.primary.span.start as usize, d.primary.span.end as usize);
        assert!(start <= end && end <= text.len(), "span {start}..{end} outside a text of {} bytes", text.len());
    }
});
