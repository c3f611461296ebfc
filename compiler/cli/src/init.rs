//! `hlc init`: a new homelab workspace, its cluster facts and one example stack that builds
//! clean.

use std::net::Ipv4Addr;
use std::path::Path;
use std::process::ExitCode;

use hlc_core::diagnostics::Code;

use crate::fsio::Refusal;
use crate::ui::Ui;

/// What `hlc init` asks of the homelab.
pub struct InitArgs<'a> {
    pub dir: &'a Path,
    pub domain: &'a str,
    pub metallb_pool: Option<&'a str>,
    pub nfs_server: Option<&'a str>,
    pub authentik: bool,
}

/// Write `cluster.hl` and `hello.hl` into `dir`, which must be missing or empty.
pub fn run(args: &InitArgs<'_>, ui: Ui) -> ExitCode {
    if let Err(message) = validate(args) {
        eprintln!("error: {message}");
        return ExitCode::from(crate::EXIT_USAGE);
    }
    let occupied = std::fs::read_dir(args.dir).map(|mut d| d.next().is_some()).unwrap_or(false);
    if occupied || args.dir.is_file() {
        return crate::refuse(
            &Refusal::Coded {
                code: Code::InitNotEmpty,
                message: format!("{} already exists and is not empty", args.dir.display()),
                help: "name a new directory (`hlc init homelab`), or an empty one".into(),
            },
            ui,
        );
    }
    // Written in the canonical layout, as `hlc fmt` would leave them.
    let canonical = |text: String| hlc_core::format_source(hlc_core::diagnostics::FileId(0), &text).unwrap_or(text);
    let files = [("cluster.hl", canonical(cluster_file(args))), ("hello.hl", canonical(hello_file(args)))];
    if let Err(e) = std::fs::create_dir_all(args.dir) {
        eprintln!("error: cannot create {}: {e}", args.dir.display());
        return ExitCode::from(crate::EXIT_USAGE);
    }
    for (name, text) in &files {
        let path = args.dir.join(name);
        if let Err(e) = std::fs::write(&path, text) {
            eprintln!("error: cannot write {}: {e}", path.display());
            return ExitCode::from(crate::EXIT_USAGE);
        }
    }
    if !ui.quiet {
        let dir = args.dir.display();
        eprintln!("created {dir}/cluster.hl (the cluster's facts) and {dir}/hello.hl (an example stack)");
        eprintln!("next: hlc build {dir}");
    }
    ExitCode::SUCCESS
}

/// The flags are checked here, so that the files written are valid hl.
fn validate(args: &InitArgs<'_>) -> Result<(), String> {
    hlc_core::types::hostname(args.domain).map_err(|e| format!("--domain `{}`: {e}", args.domain))?;
    if let Some(pool) = args.metallb_pool {
        let (first, last) = pool
            .split_once('-')
            .and_then(|(a, b)| Some((a.trim().parse::<Ipv4Addr>().ok()?, b.trim().parse::<Ipv4Addr>().ok()?)))
            .ok_or_else(|| format!("--metallb-pool `{pool}`: expected FIRST-LAST, two IPv4 addresses"))?;
        if first > last {
            return Err(format!("--metallb-pool `{pool}`: the first address comes after the last"));
        }
    }
    if let Some(ip) = args.nfs_server {
        ip.parse::<std::net::IpAddr>().map_err(|_| format!("--nfs-server `{ip}`: not an IP address"))?;
    }
    Ok(())
}

fn cluster_file(args: &InitArgs<'_>) -> String {
    let mut s = String::from(
        "// The facts of this homelab's cluster and its workspace-wide policy. Every hl file reads\n\
         // them as `cluster`; the standard library's `Cluster` schema documents each fact, and a\n\
         // fact it does not know is an error.\n\ncluster {\n",
    );
    s.push_str(&format!("  // Ingress hosts are `<name>.{}`.\n  domain = \"{}\"\n", args.domain, args.domain));
    match args.nfs_server {
        Some(ip) => s.push_str(&format!(
            "  // `nfs(...)` volumes mount from here unless they name a server.\n  nfs_server = \"{ip}\"\n"
        )),
        None => s.push_str("  // nfs_server = \"192.0.2.10\"\n"),
    }
    match args.metallb_pool.and_then(|p| p.split_once('-')) {
        Some((first, last)) => s.push_str(&format!(
            "  // LoadBalancer addresses must lie in MetalLB's pool.\n  metallb_pool_first = \"{}\"\n  metallb_pool_last = \"{}\"\n",
            first.trim(),
            last.trim()
        )),
        None => s.push_str("  // metallb_pool_first = \"192.0.2.200\"\n  // metallb_pool_last = \"192.0.2.220\"\n"),
    }
    s.push_str("  node_count = 1\n");
    s.push_str(
        "  // The Namespace tiers a namespace's `tier` may name; each may set a label, a\n  \
         // PriorityClass and the quota hlc checks (see `TierPolicy`).\n  \
         tiers = {\n    \"core\": TierPolicy { guaranteed_memory = true },\n    \
         \"apps\": TierPolicy {},\n  }\n",
    );
    s.push_str(
        "  // The StorageClasses claims may name. `local-path` is k3s's node-local default: point\n  \
         // `default_storage_class` at a replicated class when the cluster has one.\n  \
         storage_classes = {\n    \"local-path\": StorageClassPolicy { node_local = true },\n  }\n  \
         default_storage_class = \"local-path\"\n",
    );
    s.push_str("  ingress {\n    class = \"traefik\"\n    entrypoint = \"websecure\"\n  }\n");
    if args.authentik {
        s.push_str(&format!(
            "  // `auth = required` and `auth = public` ingresses go through Authentik's outpost.\n  authentik {{\n    \
             forward_auth = \"authentik-forward-auth@kubernetescrd\"\n    \
             forward_auth_public = \"authentik-forward-auth-public@kubernetescrd\"\n    \
             allowed_groups_annotation = \"authentik.{}/allowed-groups\"\n    \
             ui_groups = [\"admins\"]\n    default_groups = [\"admins\"]\n  }}\n",
            args.domain
        ));
    }
    s.push_str("}\n");
    s
}

fn hello_file(args: &InitArgs<'_>) -> String {
    let auth = if args.authentik {
        "      // Only signed-in members of the default groups get through.\n      auth = required\n".to_string()
    } else {
        "      // No single-sign-on provider: say what gates the service.\n      auth = app(\"whoami only echoes the request back\")\n"
            .to_string()
    };
    format!(
        "// An example stack: one web service behind an ingress. `hlc build` writes its objects to\n\
         // out/k8s/hello/; `hlc graph` shows where it comes in the apply order.\n\n\
         stack hello {{\n  namespace hello {{ tier = \"apps\" }}\n  service hello {{\n    \
         image = \"traefik/whoami:v1.10.3\"\n    port http = 80\n    \
         resources {{ cpu = 10m, memory = 32Mi }}\n    ingress hello {{\n{auth}    }}\n  }}\n}}\n"
    )
}
