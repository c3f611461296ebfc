use hl_diagnostics::FileId;

fn errors(src: &str) -> Vec<String> {
    let p = hl_syntax::parse(FileId(0), src);
    p.errors.iter().map(|d| format!("{}..{} {}", d.primary.span.start, d.primary.span.end, d.message)).collect()
}

#[test]
fn parses_a_stack() {
    let src = r#"
// The RSS reader.
stack freshrss {
  depends_on = [platform]
  namespace freshrss { tier = "aux" }
  /// the app
  service freshrss {
    image = "freshrss/freshrss"
    port http = 80
    resources { cpu = 15m, memory = 256Mi }
    volume data = pvc(1Gi, class = proxmox_lvm, mount = "/x")
    ingress rss { auth = app("FreshRSS has its own login"), dns = proxied }
    env = { "TZ": "Europe/Sofia", PUID: "1000" }
    host = "${name}.example.com"
  }
}
fn web(name: String, port: Port = 80) -> Service = Service { image = name, replicas = if port > 1 then 2 else 1 }
schema X { a: Int = 1, b?: [String] }
enum Auth { required, app(String) }
"#;
    let p = hl_syntax::parse(FileId(0), src);
    let errs: Vec<_> = p.errors.iter().map(|d| d.message.clone()).collect();
    println!("{errs:#?}");
    println!("{:#?}", p.file.items.len());
    assert_eq!(p.file.comments.len(), 2);
}

#[test]
fn reports_every_independent_error() {
    let src = r#"
stack a {
  image = = 3
  replicas = 2
  port http 80
  resources { cpu = 15m memory = }
}
let x = [1, 2 3, )]
stack b { name = "ok" }
garbage here
"#;
    let e = errors(src);
    println!("{e:#?}");
    assert!(e.len() >= 4, "{e:#?}");
}

/// Inputs that made the recovery exponential (found by probing and fuzzing): an unclosed
/// interpolation holding many `{`, in a string and after a comment. Each brace doubled the
/// time (24 took 20 s). They must parse in time linear in their length, with a diagnostic.
#[test]
fn hang_inputs_are_linear() {
    let mut cases = Vec::new();
    for n in [24usize, 200, 5000] {
        let braces = "{".repeat(n);
        cases.push(format!("st= \"${{{braces}a `=`}}-suffix\""));
        cases.push(format!("// st= \"${{{braces}\nst= \"${{{braces}a `=`}}-suffix\""));
        cases.push(format!("stack s {{\n  x = \"${{{braces}a `=`}}-suffix\"\n  y = 1\n}}\n"));
        cases.push(format!("stack s {{\n  x = [\"${{{braces}\", \"${{ {braces}\"]\n}}\n"));
        cases.push(format!("stack s {{ x = \"${{ \"${{ \"${{ {braces}\n}}"));
        cases.push(format!("stack s {{ {} }}", "a = \"${ {x = \"${ {y = ".repeat(n / 24)));
        cases.push(format!("stack s {{ x = {} }}", "[a {".repeat(n.min(120))));
        cases.push(format!("stack s {{ x = {} }}", "{ \"k\": ".repeat(n.min(120))));
    }
    for text in &cases {
        let start = std::time::Instant::now();
        let p = hl_syntax::parse(FileId(0), text);
        let took = start.elapsed();
        assert!(!p.errors.is_empty(), "{text}: no error");
        assert!(took.as_millis() < 2000, "{} bytes took {took:?}: {}", text.len(), &text[..text.len().min(80)]);
        for d in &p.errors {
            assert!(d.primary.span.end as usize <= text.len());
        }
    }
}

/// Interpolations are parsed on their own: their errors point into them, and a broken one does
/// not swallow the lines after it.
#[test]
fn interpolations_are_parsed_in_place() {
    let src = "stack s {\n  a = \"x${1 +}y\"\n  b = \"${}\"\n  c = \"ok ${name} ${f(\"q\", {k = 1})}\"\n  d = 1\n}\n";
    let p = hl_syntax::parse(FileId(0), src);
    let errs = errors(src);
    assert_eq!(errs.len(), 2, "{errs:#?}");
    let plus = src.find("1 +}").expect("plus") + 3;
    assert!(errs[0].starts_with(&format!("{plus}..")), "{errs:#?}");
    assert!(errs[1].contains("empty interpolation"), "{errs:#?}");
    let ast = format!("{:?}", p.file);
    assert!(ast.contains("\"q\"") && ast.contains("name"), "{ast}");
}

/// The text of the first field's value in `src` (a string with no interpolation).
fn first_string(src: &str) -> (String, Vec<String>) {
    use hl_syntax::ast::{DeclBody, Entry, ExprKind, Item, StrPart};
    let p = hl_syntax::parse(FileId(0), src);
    let errs = errors(src);
    let Some(Item::Decl(d)) = p.file.items.first() else { panic!("no decl: {:?}", p.file.items) };
    let DeclBody::Block(b) = &d.body else { panic!("no block") };
    let Some(Entry::Field(f)) = b.entries.first() else { panic!("no field: {:?}", b.entries) };
    let ExprKind::Str(parts) = &f.value.kind else { panic!("not a string: {:?}", f.value.kind) };
    let text = parts
        .iter()
        .map(|p| match p {
            StrPart::Text(t) => t.clone(),
            StrPart::Interp(_) => "<interp>".to_string(),
        })
        .collect();
    (text, errs)
}

#[test]
fn multi_line_strings_strip_the_closing_indentation() {
    let src = "stack s {\n  script = \"\"\"\n    #!/bin/sh\n      echo \"a\\tb\" ${name} $${HOME}\n\n    done\n    \"\"\"\n  y = 1\n}\n";
    let (text, errs) = first_string(src);
    assert!(errs.is_empty(), "{errs:#?}");
    assert_eq!(text, "#!/bin/sh\n  echo \"a\\tb\" <interp> ${HOME}\n\ndone\n");
    // Empty, and closed at column 0.
    assert_eq!(first_string("x {\n  a = \"\"\"\n\"\"\"\n}\n").0, "");
    assert_eq!(first_string("x {\n  a = \"\"\"\nraw\\n \"q\" \"\"\n\"\"\"\n}\n").0, "raw\\n \"q\" \"\"\n");
}

#[test]
fn multi_line_string_dollars_and_line_ends() {
    // A `$` that opens no interpolation is text wherever it stands: alone, doubled, before a
    // line end, at a line's start, before `$${`.
    let src = "x {\n  a = \"\"\"\n    $HOME $ $$ a$\n    $\n    $$${x} $$$${\n    ${y}$z\n    \"\"\"\n}\n";
    let (text, errs) = first_string(src);
    assert!(errs.is_empty(), "{errs:#?}");
    assert_eq!(text, "$HOME $ $$ a$\n$\n$${x} $$${\n<interp>$z\n");
    // Lines ended by `\r\n` read as lines ended by `\n`, with a `$` in them or without.
    let (text, errs) = first_string("x {\r\n  a = \"\"\"\r\n    p $q\r\n    r\r\n    \"\"\"\r\n}\r\n");
    assert!(errs.is_empty(), "{errs:#?}");
    assert_eq!(text, "p $q\nr\n");
    // A line with a `\r` inside it and a `$` after it.
    let (text, errs) = first_string("x {\n  a = \"\"\"\n    a\r    b $c\n    \"\"\"\n}\n");
    assert!(errs.is_empty(), "{errs:#?}");
    assert_eq!(text, "a\nb $c\n");
}

#[test]
fn multi_line_string_mistakes_are_reported_and_contained() {
    // A line indented less than the closing line; text after the opening; an interpolation
    // left open: each one error, and the entries after the string still parse.
    let src = "x {\n  a = \"\"\" junk\n    ok\n  less\n    ${open\n    \"\"\"\n  b = 1 +\n}\n";
    let errs = errors(src);
    assert_eq!(errs.len(), 4, "{errs:#?}");
    assert!(errs[0].contains("text after the opening"), "{errs:#?}");
    assert!(errs[1].contains("indented less"), "{errs:#?}");
    assert!(errs[2].contains("never closed on its line"), "{errs:#?}");
    assert!(errs[3].contains("expected"), "{errs:#?}");
    // Never closed: one error at the opening, nothing read as code after it.
    let src = "x {\n  a = \"\"\"\n  stack y { z = = }\n";
    let errs = errors(src);
    assert_eq!(errs.len(), 2, "{errs:#?}");
    assert!(errs.iter().any(|e| e.contains("multi-line string is never closed")), "{errs:#?}");
}

#[test]
fn doc_comments_document_from_a_line_of_their_own() {
    use hl_syntax::ast::Item;
    let src = "/// The host.\nschema H {\n  /// Its name.\n  name: String, /// a note on `name`, not a doc of `ip`\n  ip: String\n  ///\n  , port: Int\n}\nschema G { /// First.\n  a: Int }\nenum E { a /// on `a`\n, b }\n";
    let p = hl_syntax::parse(FileId(0), src);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let docs: Vec<Option<&str>> = p
        .file
        .items
        .iter()
        .flat_map(|i| match i {
            Item::Schema(s) => {
                std::iter::once(s.doc.as_deref()).chain(s.fields.iter().map(|f| f.doc.as_deref())).collect()
            }
            Item::Enum(e) => {
                std::iter::once(e.doc.as_deref()).chain(e.variants.iter().map(|v| v.doc.as_deref())).collect()
            }
            _ => Vec::new(),
        })
        .collect();
    assert_eq!(docs, [Some("The host."), Some("Its name."), None, Some(""), None, Some("First."), None, None, None]);
}
