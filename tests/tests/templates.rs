//! hl's `template(text, vars)` against HashiCorp's HCL, the engine of Terraform's
//! `templatefile()` that the homelab's templates were written for: every case below, and every
//! file under `stacks/` that a stack passes to `template(file(...), ...)`, is rendered by both
//! and must give the same text, byte for byte. The reference is `tests/tools/hcl-template`
//! (hashicorp/hcl/v2, built with Go by `tests/tools/hcl-template.sh`). The cases aim where the
//! two could part: the strip markers `~` (Terraform strips one line piece next to the marker,
//! not every blank line around it), directives at line starts, escapes, CRLF text.
//!
//! Without Go or its module proxy the test says so and skips, unless `HLC_REQUIRE_TOOLS=1`
//! (as in `.ci/run`), where it fails.

use std::path::Path;
use std::process::{Command, Stdio};

use hl_diagnostics::{FileId, Span};
use hl_eval::{Fields, Value, ValueKind};
use hl_tests::{repo_root, skip};
use serde_json::{Value as Json, json};

/// Text and variables written for the strip markers, the directives and the escapes.
fn cases() -> Vec<(String, Json)> {
    let vars = json!({
        "port": 80,
        "name": "web",
        "flag": true,
        "off": false,
        "names": ["a", "b"],
        "empty": [],
        "headers": { "X-A": "1", "X-B": "2" },
        // Written out of order: Terraform goes through a map in the byte order of its keys.
        "unsorted": { "zeta": "1", "Alpha": "2", "beta": "3", "_x": "4", "b-2": "5", "b_1": "6" },
        "site": { "host": "a.example.org", "tls": false },
    });
    let texts = [
        // The unit test's text, as it reads with Terraform.
        "listen ${port};\nserver_name ${ site.host };\n%{ if site.tls }ssl on;%{ else }# plain%{ endif }\n%{ if !site.tls }insecure\n%{ endif }%{ for n in names ~}\n  alias ${n};\n%{ endfor ~}\n%{ for k, v in headers }${k}: ${v}\n%{ endfor }set $x $${y} %%{z};\n",
        // `~}` strips to the end of its line only.
        "x ${port ~}   \n  \n  y",
        "x ${port ~}\n\n\ny",
        "x ${port ~}  tail\nnext",
        "%{ for n in names ~}\n  - ${n}\n%{ endfor ~}\nend\n",
        "  %{ for n in names ~}\n  - ${n}\n  %{ endfor ~}\nend\n",
        "list:\n  %{ for n in names ~}\n  - ${n}\n  %{ endfor }\nend\n",
        // `${~` and `%{~` strip back to the start of their line piece only.
        "a  \n   ${~ port}",
        "a  \n${~ port}",
        "a\n\n${~ port}",
        "a\n\n\n  %{~ if flag }y%{ endif }",
        "%{ for n in names ~}  ${n}  \n  %{~ endfor ~}\nend",
        "%{ for n in names }\n  ${~ n ~}  \n%{ endfor }",
        "head\n%{~ for n in names ~}\n${n},\n%{~ endfor ~}\ntail",
        // Both markers around one literal.
        "a ${port ~}  \n  ${~ name} b",
        "a ${port ~}    ${~ name} b",
        // if/else with markers on every directive.
        "%{ if flag ~}\n  yes\n%{~ else ~}\n  no\n%{~ endif ~}\nafter",
        "%{ if off ~}\n  yes\n%{ else ~}\n  no\n%{ endif ~}\nafter",
        "%{ if !off }\n  yes\n%{ endif }\n",
        "  %{~ if flag ~}  \n  y  \n  %{~ endif ~}  \n",
        // Loops over an empty list, nested in conditions, over maps.
        "[%{ for n in empty }${n}%{ endfor }]",
        "%{ if flag }%{ for n in names }${n}%{ if flag },%{ endif }%{ endfor }%{ endif }",
        "%{ for k, v in headers ~}\n${k}=${v}\n%{ endfor ~}\n",
        "%{ for k, v in site }${k}=${v};%{ endfor }",
        "%{ for k, v in unsorted }${k}=${v};%{ endfor }",
        "%{ for v in unsorted }${v},%{ endfor }",
        // Escapes, lone markers, CRLF text.
        "$${port} %%{ if } $$ %% $ % ${port}$",
        "echo \"$${HOME}\" $${#arr[@]} 100%",
        "a\r\n  %{ for n in names ~}\r\n  ${n}\r\n  %{ endfor ~}\r\nb\r\n",
        "",
        "no markers at all\n",
    ];
    texts.iter().map(|t| (t.to_string(), vars.clone())).collect()
}

/// The variables each template file of `stacks/` is rendered with: the names and shapes the
/// stack passes (the values made up, secrets as the placeholders the stacks give them).
fn file_vars(path: &str) -> Option<Vec<Json>> {
    let none = json!({});
    Some(match path {
        "authentik/pgbouncer.ini" => vec![json!({ "password": "{{ .password }}" })],
        "coturn/turnserver.conf.tpl" => vec![json!({
            "turn_port": "3478", "turn_realm": "example.org", "turn_secret": "{{ .turn_secret }}",
            "public_ip": "203.0.113.7", "min_port": "49152", "max_port": "49252",
        })],
        "monitoring/grafana_chart_values.yaml" => vec![json!({ "mysql_host": "mysql.dbaas.svc.cluster.local" })],
        // The targets in key order, as stacks/monitoring.hl writes them: HCL loops over a map in
        // key order, hl's template() over a record in the order it is written.
        "monitoring/prometheus_extra_scrape_configs.yaml" => vec![json!({
            "tuya_api_key": "{{ .tuya_api_key }}", "haos_api_token": "{{ .haos_api_token }}",
            "authentik_walloff_targets": {
                "meshcentral-agent": "https://meshcentral.viktorbarzin.me/agent.ashx",
                "uptime-status": "https://uptime.viktorbarzin.me/status/infra",
                "vpn-portal-sub": "https://vpn.viktorbarzin.me/sub/uptime-probe",
            },
        })],
        "nextcloud/chart_values.yaml" => {
            vec![json!({ "mysql_host": "mysql.dbaas.svc.cluster.local", "image_tag": "31.0.8-apache" })]
        }
        "proxmox/cloud_init.yaml" => {
            let k8s = |on: bool, cmds: Json| {
                json!({
                    "is_k8s_template": on, "authorized_ssh_key": "ssh-ed25519 AAAAC3Nza example",
                    "passwd": "$6$salt$hash", "provision_cmds": cmds,
                    "k8s_join_command": if on { "kubeadm join 10.0.20.100:6443 --token t" } else { "" },
                    "k8s_node_setup_script_b64": if on { "c2V0dXA=" } else { "" },
                    "k8s_node_post_join_script_b64": if on { "dHVuZQ==" } else { "" },
                })
            };
            vec![k8s(true, json!(["apt-get update", "echo done"])), k8s(false, json!([]))]
        }
        "proxmox/docker-registry/config-proxy.yaml.tpl" => {
            vec![json!({ "name": "dockerhub", "remote_url": "https://registry-1.docker.io" })]
        }
        "proxmox/docker-registry/config.yaml" => vec![json!({ "password": "s3cret" })],
        "rbac/restore.sh.tpl" => {
            vec![json!({ "auth_config_b64": "YQ==", "flag_insert_b64": "Yg==", "reconcile_b64": "Yw==" })]
        }
        "technitium/db-init.sh" | "technitium/password-sync.sh" => {
            vec![json!({ "var": { "postgresql_host": "postgresql.dbaas.svc.cluster.local" } })]
        }
        "xray/xray_config.json.tpl" => vec![json!({
            "clients": "{{ .xray_reality_clients }}", "reality_private_key": "{{ .xray_reality_private_key }}",
            "reality_short_ids": "{{ .xray_reality_short_ids }}",
        })],
        "metrics-server/values.yaml"
        | "monitoring/loki.yaml"
        | "nvidia/values.yaml"
        | "technitium/zone-sync.sh"
        | "technitium/split-horizon-sync.sh"
        | "technitium/dns-optimization.sh"
        | "technitium/static-records.sh"
        | "technitium/ingress-dns-sync.sh" => vec![none],
        _ => return None,
    })
}

/// Every file under `stacks/` that a stack renders with `template(file("..."), ...)`, relative
/// to `stacks/` (each `file` path is relative to the `.hl` file that names it).
fn template_files(stacks: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo = vec![stacks.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).expect("read stacks/").flatten() {
            let path = entry.path();
            if path.is_dir() {
                todo.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "hl") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("read an .hl file");
            let base = path.parent().and_then(|p| p.strip_prefix(stacks).ok()).unwrap_or(Path::new(""));
            let mut rest = text.as_str();
            while let Some(at) = rest.find("template(") {
                rest = &rest[at + "template(".len()..];
                let Some(call) = rest.trim_start().strip_prefix("file(\"") else { continue };
                if let Some(end) = call.find('"') {
                    out.push(base.join(&call[..end]).to_string_lossy().into_owned());
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

fn to_value(j: &Json) -> Value {
    let kind = match j {
        Json::Null => ValueKind::Null,
        Json::Bool(b) => ValueKind::Bool(*b),
        Json::Number(n) => n.as_i64().map_or_else(|| ValueKind::Float(n.as_f64().unwrap_or(0.0)), ValueKind::Int),
        Json::String(s) => ValueKind::Str(s.clone()),
        Json::Array(items) => ValueKind::List(items.iter().map(to_value).collect()),
        Json::Object(map) => ValueKind::Map(map.iter().map(|(k, v)| (k.clone(), to_value(v))).collect()),
    };
    Value::new(kind, Span::new(FileId(0), 0, 0))
}

fn hl_render(text: &str, vars: &Json) -> Result<String, String> {
    let Value { kind: ValueKind::Map(fields), .. } = to_value(vars) else { panic!("vars are an object") };
    let fields: Fields<Value> = fields;
    hl_eval::render_template(text, &fields).map_err(|e| e.message)
}

/// Render every case with the reference in one run.
fn hcl_render(bin: &Path, cases: &[(String, Json)]) -> Vec<Result<String, String>> {
    let input: Vec<Json> = cases.iter().map(|(t, v)| json!({ "template": t, "vars": v })).collect();
    let mut child = Command::new(bin)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run hcl-template");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(serde_json::to_string(&input).expect("json").as_bytes()).expect("write the cases");
    }
    let out = child.wait_with_output().expect("hcl-template output");
    assert!(out.status.success(), "hcl-template failed: {}", String::from_utf8_lossy(&out.stderr));
    let results: Vec<Json> = serde_json::from_slice(&out.stdout).expect("hcl-template prints JSON");
    assert_eq!(results.len(), cases.len(), "one result per case");
    results
        .into_iter()
        .map(|r| match r.get("out").and_then(Json::as_str) {
            Some(s) => Ok(s.to_string()),
            None => Err(r.get("error").and_then(Json::as_str).unwrap_or("no result").to_string()),
        })
        .collect()
}

#[test]
fn templates_render_as_terraform_renders_them() {
    let bin = match hl_tests::tool("hcl-template.sh") {
        Ok(bin) => bin,
        Err(why) => return skip::skip("templates_render_as_terraform_renders_them", &why, skip::TOOLS),
    };
    let stacks = repo_root().join("stacks");
    let mut cases = cases();
    let files = template_files(&stacks);
    assert!(files.len() >= 15, "the stacks' template files are found: {files:?}");
    let unlisted: Vec<&String> = files.iter().filter(|f| file_vars(f).is_none()).collect();
    assert!(unlisted.is_empty(), "template files without variables in this test's `file_vars`: {unlisted:?}");
    for f in &files {
        let text = std::fs::read_to_string(stacks.join(f)).expect("read a template file");
        for vars in file_vars(f).unwrap_or_default() {
            cases.push((text.clone(), vars));
        }
    }
    let reference = hcl_render(&bin, &cases);
    let mut differ = Vec::new();
    for ((text, vars), want) in cases.iter().zip(&reference) {
        let want = want.as_ref().unwrap_or_else(|e| panic!("HCL refuses a case of this test: {e}\n{text:?}"));
        let got = hl_render(text, vars);
        if got.as_ref() != Ok(want) {
            let head: String = text.chars().take(80).collect();
            differ.push(format!("template {head:?}\n  HCL: {want:?}\n  hl:  {got:?}"));
        }
    }
    assert!(differ.is_empty(), "{} of {} renders differ from HCL's:\n{}", differ.len(), cases.len(), differ.join("\n"));
    eprintln!("{} templates render as HCL renders them ({} files of stacks/)", cases.len(), files.len());
}

/// What both refuse: an unknown variable, an unclosed sequence, a directive out of place.
#[test]
fn templates_refused_by_terraform_are_refused() {
    let bin = match hl_tests::tool("hcl-template.sh") {
        Ok(bin) => bin,
        Err(why) => return skip::skip("templates_refused_by_terraform_are_refused", &why, skip::TOOLS),
    };
    let vars = json!({ "names": ["a"], "port": 80 });
    let bad = ["${nope}", "${port", "%{ endif }", "%{ for n in names }${n}", "%{ if port }x%{ endif }", "${names}"];
    let cases: Vec<(String, Json)> = bad.iter().map(|t| (t.to_string(), vars.clone())).collect();
    for ((text, vars), reference) in cases.iter().zip(hcl_render(&bin, &cases)) {
        assert!(reference.is_err(), "HCL accepts {text:?}: {reference:?}");
        assert!(hl_render(text, vars).is_err(), "hl accepts {text:?}, which HCL refuses: {reference:?}");
    }
}

/// xorshift64*: the generated templates are the same on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n.max(1)
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }
}

/// A random template over the pieces where the two engines could part: text, blanks and line
/// ends next to strip markers on every kind of sequence, nested `if`/`else` and `for` over a
/// list and over an unsorted map, escapes, and lone `$` and `%` that may meet a `{`.
fn random_template(rng: &mut Rng, depth: usize, in_for: bool, out: &mut String) {
    const TEXT: &[&str] =
        &["a", "bc", " ", "  ", "\t", "\n", "\n\n", "\r\n", "  \n  ", "x\n", "$", "%", "$${", "%%{", "}"];
    let open = |rng: &mut Rng| if rng.below(3) == 0 { "~" } else { "" };
    for _ in 0..rng.below(7) {
        match rng.below(if depth < 3 { 10 } else { 7 }) {
            0..=3 => out.push_str(rng.pick(TEXT)),
            4..=6 => {
                let name = if in_for && rng.below(2) == 0 { "v" } else { rng.pick(&["x", "y"]) };
                let (a, b) = (open(rng), open(rng));
                out.push_str(&format!("${{{a} {name} {b}}}"));
            }
            7 | 8 => {
                let cond = rng.pick(&["t", "f", "!t", "!f"]);
                let (a, b) = (open(rng), open(rng));
                out.push_str(&format!("%{{{a} if {cond} {b}}}"));
                random_template(rng, depth + 1, in_for, out);
                if rng.below(2) == 0 {
                    let (a, b) = (open(rng), open(rng));
                    out.push_str(&format!("%{{{a} else {b}}}"));
                    random_template(rng, depth + 1, in_for, out);
                }
                let (a, b) = (open(rng), open(rng));
                out.push_str(&format!("%{{{a} endif {b}}}"));
            }
            _ => {
                let head = rng.pick(&["v in l", "v in m", "k, v in m", "k, v in l"]);
                let (a, b) = (open(rng), open(rng));
                out.push_str(&format!("%{{{a} for {head} {b}}}"));
                random_template(rng, depth + 1, true, out);
                let (a, b) = (open(rng), open(rng));
                out.push_str(&format!("%{{{a} endfor {b}}}"));
            }
        }
    }
}

/// 5,000 generated templates: where HCL renders one, hl renders the same bytes; where HCL
/// refuses one (a `$` or `%` that met a `{` and escaped it), hl refuses it too.
#[test]
fn generated_templates_render_as_terraform_renders_them() {
    let bin = match hl_tests::tool("hcl-template.sh") {
        Ok(bin) => bin,
        Err(why) => return skip::skip("generated_templates_render_as_terraform_renders_them", &why, skip::TOOLS),
    };
    let vars = json!({
        "x": "X", "y": "  y  ", "t": true, "f": false, "l": ["p", "q"],
        "m": { "zz": "1", "Aa": "2", "b-b": "3", "b_a": "4" },
    });
    let mut rng = Rng(0x5eed_0000_7e3a_11a7);
    let cases: Vec<(String, Json)> = (0..5000)
        .map(|_| {
            let mut text = String::new();
            random_template(&mut rng, 0, false, &mut text);
            (text, vars.clone())
        })
        .collect();
    let reference = hcl_render(&bin, &cases);
    let (mut rendered, mut differ) = (0, Vec::new());
    for ((text, vars), want) in cases.iter().zip(&reference) {
        let got = hl_render(text, vars);
        match (want, &got) {
            (Ok(w), Ok(g)) if w == g => rendered += 1,
            (Err(_), Err(_)) => {}
            _ => differ.push(format!("template {text:?}\n  HCL: {want:?}\n  hl:  {got:?}")),
        }
    }
    assert!(
        differ.is_empty(),
        "{} of {} generated templates differ from HCL's:\n{}",
        differ.len(),
        cases.len(),
        differ.iter().take(10).cloned().collect::<Vec<_>>().join("\n")
    );
    assert!(rendered > 4000, "only {rendered} of the generated templates render at all");
    eprintln!("{rendered} generated templates render as HCL renders them (the rest refused by both)");
}
