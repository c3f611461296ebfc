//! The parser's step limit is a backstop: a text that would take more steps than allowed is
//! one `E0002` diagnostic, never a hang. (Its own test binary: the limit is process-wide, and
//! this test lowers it.)

use hl_diagnostics::{Code, FileId};

#[test]
fn a_parse_over_the_step_limit_is_e0002() {
    let text = format!("stack s {{\n{}}}\n", "  x = 1\n".repeat(2000));
    // The first parse sets the real limit; it reads this text without a word.
    assert!(hl_syntax::parse(FileId(0), &text).errors.is_empty());
    pest::set_call_limit(std::num::NonZeroUsize::new(1000));
    let p = hl_syntax::parse(FileId(0), &text);
    let codes: Vec<Code> = p.errors.iter().map(|d| d.code).collect();
    assert_eq!(codes, [Code::NestingTooDeep], "{:#?}", p.errors);
    assert!(p.errors[0].message.contains("steps"), "{}", p.errors[0].message);
    assert!(p.errors[0].primary.span.end as usize <= text.len());
}
