//! Workloads as the cluster runs them: a GPU request lands on the GPU node, an environment
//! variable reads a key its Secret has, a SQLite database is backed up with SQLite's own
//! backup, and a namespace that opts out of its tier's budget declares its own.

use hl_diagnostics::{Code, Diagnostic};
use hl_model::{Service, VolumeSource};
use serde_json::Value as Json;

use super::Ctx;

pub fn check(cx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
    for svc in &cx.stack.services {
        gpu_placement(cx, svc, out);
        env_secret_keys(cx, svc, out);
        sqlite_backup(cx, svc, out);
        rwo_affinity(cx, svc, out);
    }
    own_budgets(cx, out);
    manifests(cx, out);
}

/// A `manifest` names a custom resource the cluster defines, with a namespace exactly when
/// that kind lives in one.
fn manifests(cx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
    let known = &cx.globals.facts.custom_resources;
    for o in cx.stack.objects.iter().filter(|o| o.manifest) {
        let key = format!("{} {}", o.api_version, o.kind);
        let Some(&namespaced) = known.get(&key) else {
            let d = Diagnostic::new(
                Code::UnknownReference,
                format!("`{key}` is not a custom resource this cluster defines"),
                o.span,
                "unknown apiVersion and kind",
            );
            out.push(match hl_diagnostics::did_you_mean(&key, known.keys().map(String::as_str)) {
                Some(k) => d.with_help(format!("did you mean `{k}`?")),
                None => d.with_help("the cluster's `custom_resources` lists the kinds; a kind with a schema of its own (Middleware, IngressRoute, ...) is declared with it"),
            });
            continue;
        };
        match (namespaced, &o.namespace) {
            (true, None) => out.push(
                Diagnostic::new(
                    Code::UnknownNamespace,
                    format!("{} `{}` lives in a namespace, and none is given", o.kind, o.name),
                    o.span,
                    "no `namespace`",
                )
                .with_help("set `namespace = \"...\"`: a manifest's scope is its kind's, so it has no default"),
            ),
            (false, Some(ns)) => out.push(
                Diagnostic::new(
                    Code::UnknownNamespace,
                    format!("{} `{}` is cluster-wide, but is given namespace `{ns}`", o.kind, o.name),
                    o.namespace_span,
                    "a cluster-wide kind has no namespace",
                )
                .with_help("remove `namespace`"),
            ),
            _ => {}
        }
    }
}

/// E0532: a GPU request needs the GPU node's taint tolerated and the pod placed on that node.
fn gpu_placement(cx: &Ctx<'_>, svc: &Service, out: &mut Vec<Diagnostic>) {
    let gpus = std::iter::once(&svc.resources)
        .chain(svc.containers.iter().map(|c| &c.resources))
        .any(|r| r.gpu.is_some_and(|g| g > 0));
    if !gpus {
        return;
    }
    let taint = &cx.globals.facts.gpu_taint_key;
    let tolerated = svc.pod_fields.get("tolerations").and_then(Json::as_array).is_some_and(|ts| {
        ts.iter().any(|t| match t.get("key").and_then(Json::as_str) {
            Some(k) => k == taint,
            // No key with `Exists` tolerates every taint.
            None => t.get("operator").and_then(Json::as_str) == Some("Exists"),
        })
    });
    let placed =
        !svc.node_selector.is_empty() || svc.pod_fields.get("affinity").and_then(|a| a.get("nodeAffinity")).is_some();
    let missing = match (tolerated, placed) {
        (true, true) => return,
        (false, true) => format!("no toleration of the `{taint}` taint"),
        (true, false) => "no node selector or node affinity for the GPU node".to_string(),
        (false, false) => format!("no toleration of the `{taint}` taint and no node selector"),
    };
    out.push(
        Diagnostic::new(
            Code::GpuPlacement,
            format!("`{}` asks for a GPU but has {missing}", svc.name),
            svc.span,
            "stays Pending: only the GPU node has GPUs, and it is tainted",
        )
        .with_help(format!(
            "add `tolerations = [{{ key = \"{taint}\", operator = \"Exists\", effect = \"NoSchedule\" }}]` and the GPU node's `node_selector`"
        )),
    );
}

/// E0405: an `env_secret` reads a key that the ExternalSecret it names does not produce (when
/// that ExternalSecret lists its keys rather than extracting whole Vault paths).
fn env_secret_keys(cx: &Ctx<'_>, svc: &Service, out: &mut Vec<Diagnostic>) {
    let secrets = svc.secrets.iter().chain(&cx.stack.secrets);
    // Each with where its values are written: the service's, then its containers'.
    let envs = svc.env_secret.iter().map(|e| (e, &svc.values)).chain(
        svc.containers
            .iter()
            .chain(&svc.init_containers)
            .flat_map(|c| c.env_secret.iter().map(move |e| (e, &c.values))),
    );
    let secrets: Vec<_> = secrets.filter(|s| s.namespace == svc.namespace).collect();
    for (e, values) in envs {
        let Some(s) = secrets.iter().find(|s| s.target == e.secret) else { continue };
        // With a template the Secret holds the template's keys; otherwise the listed keys
        // (whole extracted paths have keys hl cannot know).
        let keys: Vec<&str> = if !s.template.is_empty() {
            s.template.iter().map(|(k, _)| k.as_str()).collect()
        } else if s.extract.is_empty() {
            s.data.iter().map(|(k, _, _)| k.as_str()).collect()
        } else {
            continue;
        };
        if keys.is_empty() || keys.contains(&e.key.as_str()) {
            continue;
        }
        let d = Diagnostic::new(
            Code::UnknownReference,
            format!("`{}` of `{}` reads key `{}`, which Secret `{}` does not have", e.name, svc.name, e.key, e.secret),
            // The key as written (`secret_key("...", "<key>")`), else the variable, else the service.
            values
                .get(&format!("env_secret[{}].key", e.name))
                .or_else(|| values.get(&format!("env_secret[{}]", e.name)))
                .unwrap_or(svc.span),
            "no such key",
        )
        .with_label(s.span, "its ExternalSecret, with these keys");
        out.push(match hl_diagnostics::did_you_mean(&e.key, keys.iter().copied()) {
            Some(k) => d.with_help(format!("did you mean `{k}`?")),
            None => d.with_help(format!("the Secret's keys: {}", keys.join(", "))),
        });
    }
}

/// E0517: a backup job that copies a claim holding a SQLite database with a file copy, which
/// can catch the database mid-write; `sqlite3 <db> ".backup <file>"` takes a consistent copy.
fn sqlite_backup(cx: &Ctx<'_>, svc: &Service, out: &mut Vec<Diagnostic>) {
    if !matches!(svc.kind, hl_model::WorkloadKind::CronJob | hl_model::WorkloadKind::Job) {
        return;
    }
    let script: String = svc.command.iter().chain(&svc.args).cloned().collect::<Vec<_>>().join(" ");
    if script.contains("sqlite3") || !(script.contains("cp ") || script.contains("rsync ") || script.contains("tar ")) {
        return;
    }
    for v in &svc.volumes {
        let VolumeSource::Claim(claim) = &v.source else { continue };
        let holds_sqlite = cx
            .stack
            .services
            .iter()
            .filter(|o| o.namespace == svc.namespace)
            .any(|o| o.volumes.iter().any(|w| w.sqlite && w.source.claim_name() == Some(claim.as_str())));
        if holds_sqlite {
            out.push(
                // At the job (a volume of a library function's job is written in the library).
                Diagnostic::new(
                    Code::SqliteFileCopy,
                    format!("`{}` copies claim `{claim}`, which holds a SQLite database, file by file", svc.name),
                    svc.span,
                    "a file copy can catch the database mid-write",
                )
                .with_label(v.span, "the claim it copies")
                .with_help("copy the database with `sqlite3 /data/db.sqlite3 \".backup /backup/db.sqlite3\"`, then the other files"),
            );
        }
    }
}

/// E0518: a Job or CronJob that mounts a ReadWriteOnce claim another service of the stack
/// owns runs on that service's node: a ReadWriteOnce volume attaches to one node, so without
/// pod affinity to the owner's pods the job stays Pending (or, worse, gets the volume while the
/// owner is being rescheduled).
fn rwo_affinity(cx: &Ctx<'_>, svc: &Service, out: &mut Vec<Diagnostic>) {
    if !matches!(svc.kind, hl_model::WorkloadKind::CronJob | hl_model::WorkloadKind::Job) {
        return;
    }
    let terms: Vec<&Json> =
        ["requiredDuringSchedulingIgnoredDuringExecution", "preferredDuringSchedulingIgnoredDuringExecution"]
            .iter()
            .filter_map(|k| svc.pod_fields.get("affinity")?.get("podAffinity")?.get(k)?.as_array())
            .flatten()
            .collect();
    for v in &svc.volumes {
        let VolumeSource::Claim(claim) = &v.source else { continue };
        // The claim's owner: a long-running workload (jobs sharing a claim take turns).
        let running =
            |o: &&Service| matches!(o.kind, hl_model::WorkloadKind::Deployment | hl_model::WorkloadKind::StatefulSet);
        let owner = cx.stack.services.iter().filter(running).filter(|o| o.namespace == svc.namespace).find(|o| {
            o.volumes.iter().any(|w| {
                matches!(&w.source, VolumeSource::Pvc { claim: c, access, .. } if c == claim && access == "ReadWriteOnce")
            })
        });
        let Some(owner) = owner else { continue };
        let identity: Vec<(String, String)> = if owner.match_labels.is_empty() {
            vec![("app".to_string(), owner.name.clone())]
        } else {
            owner.match_labels.clone()
        };
        // A term (required, or preferred with its `podAffinityTerm`) whose selector matches
        // the owner's pods.
        let matches_owner = terms.iter().any(|t| {
            let term = t.get("podAffinityTerm").unwrap_or(t);
            let labels = term.get("labelSelector").and_then(|l| l.get("matchLabels")).and_then(Json::as_object);
            labels.is_some_and(|l| {
                !l.is_empty()
                    && l.iter().all(|(k, want)| identity.iter().any(|(ik, iv)| ik == k && want.as_str() == Some(iv)))
            })
        });
        if !matches_owner {
            let (k, val) = &identity[0];
            out.push(
                Diagnostic::new(
                    Code::BackupAffinity,
                    format!("`{}` mounts ReadWriteOnce claim `{claim}` of `{}` without pod affinity to it", svc.name, owner.name),
                    svc.span,
                    "may be scheduled on another node than the claim is attached to",
                )
                .with_label(v.span, "the claim")
                .with_help(format!(
                    "add `affinity {{ pod_affinity {{ required_during_scheduling_ignored_during_execution = [{{ label_selector = {{ match_labels = {{ \"{k}\": \"{val}\" }} }}, topology_key = \"kubernetes.io/hostname\" }}] }} }}`"
                )),
            );
        }
    }
}

/// E0524: a namespace that opts out of its tier's ResourceQuota (`custom_quota`) or LimitRange
/// (`custom_limitrange`) declares its own.
fn own_budgets(cx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
    for ns in cx.stack.owned_namespaces() {
        let has = |kind: &str| {
            cx.stack.objects.iter().any(|o| o.kind == kind && o.namespace.as_deref() == Some(ns.name.as_str()))
        };
        for (opted_out, kind, field) in [
            (ns.custom_quota, "ResourceQuota", "custom_quota"),
            (ns.custom_limitrange, "LimitRange", "custom_limitrange"),
        ] {
            if opted_out && !has(kind) {
                out.push(
                    Diagnostic::new(
                        Code::CustomBudget,
                        format!("namespace `{}` opts out of its tier's {kind} but declares none of its own", ns.name),
                        ns.span,
                        format!("`{field} = true`"),
                    )
                    .with_help(format!(
                        "declare its own (`{} <name> {{ ... }}` in the stack), or drop `{field}`",
                        if kind == "ResourceQuota" { "resource_quota" } else { "limit_range" }
                    )),
                );
            }
        }
    }
}
