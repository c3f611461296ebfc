//! The whole pipeline (parse, evaluate against the embedded standard library, read the model,
//! graph, check, emit) never panics, and what it reports can be printed. The input is split
//! into files at lines `//--` so that imports between files (and their cycles) are reachable:
//! the first file is `main.hl`, the next ones `f1.hl`, `f2.hl`, ... Bytes go in unchanged, so
//! invalid UTF-8 and NUL bytes reach the compiler's own check.
//!
//! When a compilation succeeds, every output path must stay inside the output directory.
//!
//! One [`Session`] serves many inputs, as in the language server: the standard library is
//! parsed and evaluated once per session, and each input replaces the workspace's files, so an
//! execution costs what its own files cost (and every execution also exercises the reuse of
//! what earlier ones computed). A session keeps what it interned (every stack name it saw) for
//! its life, so a new one starts every 1,024 inputs and memory stays bounded over a long run.
//! An input that fails only after others is a bug of that reuse; `cargo fuzz run check
//! ARTIFACT` replays it in a fresh process.

#![no_main]

use std::sync::{Mutex, PoisonError};

use hl_diagnostics::render;
use hlc_core::{InputText, Limits, Options, Session};
use libfuzzer_sys::fuzz_target;

/// The session and the number of inputs it has compiled.
static SESSION: Mutex<Option<(Session, u32)>> = Mutex::new(None);

fn files(data: &[u8]) -> Vec<InputText> {
    let mut out = Vec::new();
    let mut rest = data;
    loop {
        let cut = rest.windows(5).position(|w| w == b"\n//--");
        let (this, next) = match cut {
            Some(i) => (&rest[..i], Some(&rest[i + 5..])),
            None => (rest, None),
        };
        let path = if out.is_empty() { "main.hl".to_string() } else { format!("f{}.hl", out.len()) };
        out.push(InputText { path: path.clone(), display: path, bytes: this.to_vec() });
        match next {
            Some(n) if out.len() < 8 => rest = n,
            _ => break,
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let mut slot = SESSION.lock().unwrap_or_else(PoisonError::into_inner);
    if slot.as_ref().is_some_and(|(_, inputs)| *inputs >= 1024) {
        *slot = None;
    }
    let (session, inputs) = slot.get_or_insert_with(|| (Session::new(Limits::default()), 0));
    *inputs += 1;
    session.set_files(files(data));
    // Only a change to the session cancels, and this thread is the only one that makes any.
    let c = session.snapshot().compile(&Options::default()).expect("not cancelled");
    let _ = render::short(&c.diagnostics, &c.sources);
    let _ = render::json(&c.diagnostics, &c.sources);
    let _ = render::human(&c.diagnostics, &c.sources, render::Style::Plain, 100);
    for a in &c.artifacts {
        assert!(!a.path.starts_with('/'), "absolute output path {:?}", a.path);
        for part in a.path.split('/') {
            assert!(!part.is_empty() && part != "." && part != "..", "unsafe output path {:?}", a.path);
            assert!(part.len() <= 255, "output path component longer than 255 bytes: {:?}", a.path);
            assert!(!part.contains(['\\', '\0']), "unsafe output path {:?}", a.path);
        }
    }
});
