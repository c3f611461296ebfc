//! The library API without any disk: in-memory workspaces, typed diagnostics, the domain
//! model, step limits, hosts that fail, and compilations on several threads at once.

use std::io;

use hlc_core::{Host, Limits, MemoryHost, Options, Severity, compile_host, compile_with, load};

const WEB: &str = r#"
stack web {
  depends_on = [db]
  namespace web { tier = "aux" }
  service web {
    image = "nginx:1.27"
    replicas = 2
    port http = 80
    resources { cpu = 10m, memory = 64Mi }
    volume data = pvc(1Gi, mount = "/data")
    ingress web { auth = app("nginx serves only public static files"), dns = proxied }
  }
  service web-backup = pvc_backup(
    source = "web-data-proxmox",
    target = "/srv/nfs/web-backup",
    target_claim = "web-backup",
    schedule = "0 3 * * *",
  )
}
"#;

const DB: &str = "stack db { namespace db { tier = \"cluster\" } }";

/// Where Flux fetches the output: with it, the output has Flux objects.
const FLUX: &str = r#"flux { url = "https://git.example.org/lab.git", branch = "main", path = "out" }"#;

/// The cluster facts: the domain ingresses go under, the NFS server backups write to.
const CLUSTER: &str = r#"cluster {
  domain = "example.org"
  nfs_server = "192.0.2.10"
  tiers = { "core": TierPolicy {}, "cluster": TierPolicy {}, "aux": TierPolicy {} }
  storage_classes = {
    "proxmox-lvm": StorageClassPolicy { claim_suffix = "-proxmox", needs_backup = true },
    "proxmox-lvm-encrypted": StorageClassPolicy { claim_suffix = "-encrypted", encrypted = true, needs_backup = true },
  }
  default_storage_class = "proxmox-lvm"
  encrypted_storage_class = "proxmox-lvm-encrypted"
}"#;

fn workspace() -> MemoryHost {
    MemoryHost::new()
        .with_file("apps/web.hl", WEB)
        .with_file("db.hl", DB)
        .with_file("flux.hl", FLUX)
        .with_file("cluster.hl", CLUSTER)
}

#[test]
fn an_in_memory_workspace_compiles_to_artifacts_and_a_typed_model() {
    let c = compile_host(&workspace()).expect("memory hosts do not fail");
    assert!(!c.has_errors(), "{:?}", c.diagnostics);
    // The typed model.
    let web = c.model.stacks.iter().find(|s| s.name == "web").expect("stack web");
    let svc = web.services.iter().find(|s| s.name == "web").expect("service web");
    assert_eq!(svc.replicas, 2);
    assert_eq!(svc.ingresses.len(), 1);
    assert_eq!(svc.volumes.len(), 1);
    // The graph: db comes in an earlier wave than web.
    let wave_of = |name: &str| c.graph.waves.iter().position(|w| w.iter().any(|s| s == name));
    assert!(wave_of("db") < wave_of("web"), "{:?}", c.graph.waves);
    // The artifacts.
    let d = c.artifact("k8s/web/deployment-web.yaml").expect("the deployment");
    assert!(d.contents.contains("replicas: 2"), "{}", d.contents);
    assert!(c.artifact("k8s/web/ingress-web.yaml").is_some());
    assert!(c.artifact("k8s/web/cronjob-web-backup.yaml").is_some());
    assert!(c.artifact("k8s/flux/web.yaml").is_some());
}

#[test]
fn a_namespace_used_but_not_owned_emits_nothing_and_orders_the_stacks() {
    let grafana = r#"
stack grafana-logins {
  namespace monitoring { external = true }
  namespace kube-system { external = true }
  secret grafana-web-db { ..vault_db("pg-web"), namespace = "monitoring" }
  service cache { kind = daemonset, namespace = "kube-system", image = "registry.k8s.io/pause:3.10" }
}
stack monitoring { namespace monitoring {} }
"#;
    let c = compile_host(&MemoryHost::new().with_file("grafana.hl", grafana)).expect("compile");
    assert!(!c.has_errors(), "{:?}", c.diagnostics);
    // The objects go into the namespaces; nothing is emitted for the namespaces themselves.
    let secret = c.artifact("k8s/grafana-logins/externalsecret-grafana-web-db.yaml").expect("the secret");
    assert!(secret.contents.contains("namespace: monitoring\n"), "{}", secret.contents);
    let ds = c.artifact("k8s/grafana-logins/daemonset-cache.yaml").expect("the daemonset");
    assert!(ds.contents.contains("namespace: kube-system\n"), "{}", ds.contents);
    assert!(!c.artifacts.iter().any(|a| a.path.starts_with("k8s/grafana-logins/namespace-")));
    assert!(!c.artifacts.iter().any(|a| a.path.starts_with("k8s/grafana-logins/secret-")));
    // The stack depends on the owner of the namespace it uses (and on nobody for kube-system).
    let deps: Vec<&str> = c.graph.dependencies("grafana-logins").map(|e| e.to.as_str()).collect();
    assert!(deps.contains(&"monitoring"), "{deps:?}");
}

#[test]
fn diagnostics_are_typed_with_spans_labels_and_help() {
    let host = workspace().with_file("apps/web.hl", WEB.replace("replicas = 2", "replicas = 2\n    replica = 3"));
    let c = compile_host(&host).expect("compile");
    assert!(c.has_errors());
    assert!(c.artifacts.is_empty(), "no output from a workspace with errors");
    let d = c.diagnostics.iter().find(|d| d.code.info().code == "E0204").expect("unknown field");
    assert_eq!(d.severity, Severity::Error);
    assert!(d.message.contains("replica"), "{}", d.message);
    assert!(d.help.as_deref().is_some_and(|h| h.contains("replicas")), "did-you-mean: {:?}", d.help);
    let at = c.line_col(d.primary.span).expect("location");
    assert_eq!((at.path.as_str(), at.line, at.col), ("apps/web.hl", 8, 5));
    assert!(!d.primary.message.is_empty());
}

#[test]
fn every_independent_error_is_reported_in_one_run() {
    let broken = WEB.replace("tier = \"aux\"", "tier = \"gold\"").replace("port http = 80", "port http = 70000");
    let c = compile_host(&workspace().with_file("apps/web.hl", broken)).expect("compile");
    let codes: Vec<&str> = c.diagnostics.iter().map(|d| d.code.info().code).collect();
    assert!(codes.contains(&"E0214") && codes.contains(&"E0203"), "{codes:?}");
}

#[test]
fn a_loop_in_user_code_is_cut_off_by_the_step_limit() {
    // Exponential, not infinitely deep: only the step limit stops it.
    let host = MemoryHost::new().with_file(
        "loop.hl",
        "fn f(n: Int) -> Int = if n > 60 then 1 else f(n + 1) + f(n + 1)\n\
         stack a {\n  namespace a {}\n  service web { image = \"nginx:1.27\", replicas = f(0) }\n}\n",
    );
    let files = load(&host).expect("load");
    let options = Options { limits: Limits { steps: 100_000, call_depth: 10_000 }, ..Options::default() };
    let c = compile_with(files, &options);
    assert!(c.has_errors(), "a runaway evaluation is an error");
    let codes: Vec<&str> = c.diagnostics.iter().map(|d| d.code.info().code).collect();
    assert_eq!(codes, ["E0301"]);
}

/// A host whose storage fails: the error comes back as an `io::Error`, not a panic.
struct Failing;

impl Host for Failing {
    fn files(&self) -> io::Result<Vec<String>> {
        Ok(vec!["a.hl".into()])
    }
    fn read(&self, _: &str) -> io::Result<Vec<u8>> {
        Err(io::Error::new(io::ErrorKind::PermissionDenied, "no access"))
    }
}

#[test]
fn host_errors_are_returned() {
    let err = compile_host(&Failing).err().expect("an error");
    assert_eq!(err.kind(), io::ErrorKind::PermissionDenied);
    let missing = MemoryHost::new().read("nope.hl").expect_err("missing file");
    assert_eq!(missing.kind(), io::ErrorKind::NotFound);
}

#[test]
fn compilations_on_several_threads_agree() {
    let reference = compile_host(&workspace()).expect("compile");
    let results: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|i| {
                s.spawn(move || {
                    // Half of them compile a broken variant at the same time.
                    let host = if i % 2 == 0 {
                        workspace()
                    } else {
                        workspace().with_file("apps/web.hl", WEB.replace("image =", "image = = "))
                    };
                    compile_host(&host).expect("compile")
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("no panic")).collect()
    });
    for (i, c) in results.iter().enumerate() {
        if i % 2 == 0 {
            let paths: Vec<_> = c.artifacts.iter().map(|a| (&a.path, &a.contents)).collect();
            let want: Vec<_> = reference.artifacts.iter().map(|a| (&a.path, &a.contents)).collect();
            assert_eq!(paths, want);
        } else {
            assert!(c.diagnostics.iter().any(|d| d.code.info().code == "E0001"), "syntax error expected");
        }
    }
}

/// Two services of one stack, in two namespaces, each have a ConfigMap `settings`: same kind
/// and name, so their files carry the namespace instead of overwriting each other.
#[test]
fn objects_sharing_kind_and_name_in_one_stack_get_distinct_files() {
    let service = |name: &str, ns: &str| {
        format!(
            "  service {name} {{ namespace = \"{ns}\", image = \"nginx:1.27\", port http = 80, \
             resources {{ cpu = 10m, memory = 64Mi }}, config settings = {{ \"a\": \"{ns}\" }} }}\n"
        )
    };
    let text = format!(
        "stack two {{\n  namespace one {{}}\n  namespace two {{}}\n{}{}}}\n",
        service("a", "one"),
        service("b", "two")
    );
    let c = compile_host(&MemoryHost::new().with_file("two.hl", text)).expect("compile");
    assert!(!c.has_errors(), "{:?}", c.diagnostics);
    let maps: Vec<&str> =
        c.artifacts.iter().map(|a| a.path.as_str()).filter(|p| p.starts_with("k8s/two/configmap-")).collect();
    assert_eq!(maps.len(), 2, "{maps:?}");
    assert!(maps.iter().all(|p| p.contains("-one-") || p.contains("-two-")), "{maps:?}");
    let kustomization = c.artifact("k8s/two/kustomization.yaml").expect("kustomization");
    for s in &maps {
        assert!(kustomization.contents.contains(s.trim_start_matches("k8s/two/")), "{}", kustomization.contents);
    }
}

#[test]
fn a_check_counts_the_objects_a_build_lays_out_without_laying_them_out() {
    let files = || load(&workspace()).expect("memory hosts do not fail");
    let build = compile_with(files(), &Options::default());
    let check = compile_with(files(), &Options { artifacts: false, exiting: true, ..Options::default() });
    // Every file under k8s/ but the kustomize lists is one object: the stacks' and Flux's.
    let laid_out =
        build.artifacts.iter().filter(|a| a.path.starts_with("k8s/") && !a.path.ends_with("/kustomization.yaml"));
    assert_eq!(build.objects, laid_out.count());
    assert!(build.objects > 2, "{}", build.objects);
    assert_eq!(check.objects, build.objects);
    assert!(check.artifacts.is_empty() && check.origins.is_empty());
    assert_eq!(check.diagnostics, build.diagnostics);
}
