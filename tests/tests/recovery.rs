//! One run reports every independent mistake.

use hlc_core::InputText;

fn compile(src: &str) -> Vec<&'static str> {
    let c = hlc_core::compile(vec![InputText {
        path: "main.hl".into(),
        display: "main.hl".into(),
        bytes: src.as_bytes().to_vec(),
    }]);
    c.diagnostics.iter().map(|d| d.code.info().code).collect()
}

#[test]
fn five_independent_mistakes_give_five_diagnostics() {
    let src = r#"
stack demo {
  namespace demo { tier = "auxx" }
  service web {
    image = "nginx:1.27"
    replica = 2
    port http = 70000
    resources { cpu = 256Mi, memory = 128Mi }
    ingress web { auth = app, dns = proxied }
  }
}
"#;
    assert_eq!(compile(src), vec!["E0214", "E0204", "E0203", "E0202", "E0207"]);
}

#[test]
fn syntax_errors_do_not_hide_each_other_or_later_items() {
    let src = r#"
stack a {
  namespace a { tier = "aux" }
  service web {
    image = = "nginx"
    replicas = 2
    port http 80
  }
}
stack b {
  namespace b { tier = "auxx" }
}
"#;
    let codes = compile(src);
    // Two syntax errors in `a`, and `b` is still read and checked.
    assert_eq!(codes.iter().filter(|c| **c == "E0001").count(), 2, "{codes:?}");
    assert!(codes.contains(&"E0214"), "{codes:?}");
}
