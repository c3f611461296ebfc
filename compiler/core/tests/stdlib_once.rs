//! The standard library is parsed once per process, however many compilations and sessions
//! run in it (each `hlc` command has one; the fuzz targets and the language server have
//! many): its syntax trees are shared. (A test binary of its own: the count is the process's.)

use hlc_core::{InputText, compile, stdlib_parse_count};

fn file(path: &str, text: &str) -> InputText {
    InputText { path: path.into(), display: path.into(), bytes: text.as_bytes().to_vec() }
}

#[test]
fn the_standard_library_is_parsed_once_per_process() {
    assert_eq!(stdlib_parse_count(), 0);
    let first = compile(vec![file("a.hl", "stack a { namespace a {} }\n")]);
    assert!(first.diagnostics.is_empty(), "{:?}", first.diagnostics);
    let files = stdlib_parse_count();
    assert!(files >= 5, "{files} standard library files parsed");
    for i in 0..3 {
        let c = compile(vec![file("b.hl", &format!("stack b{i} {{ namespace b{i} {{}} }}\n"))]);
        assert!(c.diagnostics.is_empty(), "{:?}", c.diagnostics);
    }
    assert_eq!(stdlib_parse_count(), files, "a later compilation parsed the standard library again");
}
