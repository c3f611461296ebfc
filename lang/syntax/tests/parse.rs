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
  namespace freshrss { tier = aux }
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
