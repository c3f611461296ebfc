//! Storage: explicit classes, encryption for sensitive data, backups, no SQLite on NFS.

use hl_diagnostics::{Code, Diagnostic};
use hl_model::VolumeSource;

use super::Ctx;

pub fn check(cx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
    let stack = cx.stack;
    let facts = &cx.globals.facts;
    for (owner, namespace, sensitive, v) in stack.volumes_by_owner() {
        let on_nfs = match &v.source {
            VolumeSource::Nfs { .. } => true,
            // A claim declared elsewhere is on NFS when its declaration is (in any stack).
            VolumeSource::Claim(c) => cx.view.nfs_claims.contains(&(namespace.to_string(), c.clone())),
            _ => false,
        };
        if on_nfs && v.sqlite {
            out.push(
                Diagnostic::new(
                    Code::SqliteOnNfs,
                    format!("volume `{}` of `{}` holds SQLite on NFS", v.name, owner),
                    v.span,
                    "NFS volume declared `sqlite = true`",
                )
                .with_help("SQLite's locking is unreliable over NFS: use `pvc(...)` or `encrypted(...)`"),
            );
        }
        if on_nfs && sensitive && !v.read_only {
            out.push(
                Diagnostic::new(
                    Code::SensitiveUnencrypted,
                    format!("sensitive service `{}` writes volume `{}` to NFS", owner, v.name),
                    v.span,
                    "NFS is not encrypted at rest",
                )
                .with_help(encrypted_help(facts)),
            );
        }
        let (class, claim) = match &v.source {
            VolumeSource::Pvc { class, claim, .. } => (class.as_str(), Some(claim.as_str())),
            VolumeSource::Template { class, .. } => (class.as_str(), None),
            _ => continue,
        };
        // Classes the cluster does not declare were reported when the stack was read.
        let Some(policy) = facts.storage_classes.get(class) else { continue };
        if policy.node_local {
            let others: Vec<String> =
                facts.storage_classes.iter().filter(|(_, p)| !p.node_local).map(|(c, _)| format!("`{c}`")).collect();
            out.push(
                Diagnostic::new(
                    Code::LocalPath,
                    format!("volume `{}` of `{}` uses the node-local class `{class}`", v.name, owner),
                    v.span,
                    "node-local, unreplicated, not backed up",
                )
                .with_help(if others.is_empty() {
                    "use an NFS volume, or a replicated class the cluster declares".to_string()
                } else {
                    format!("use {} or an NFS volume", others.join(", "))
                }),
            );
        }
        if sensitive && !policy.encrypted {
            out.push(
                Diagnostic::new(
                    Code::SensitiveUnencrypted,
                    format!("sensitive service `{}` keeps volume `{}` on `{class}`", owner, v.name),
                    v.span,
                    "unencrypted claim",
                )
                .with_help(encrypted_help(facts)),
            );
        }
        if let Some(claim) = claim
            && policy.needs_backup
            // Backed up when some backup job, in any stack, copies it.
            && !cx.view.copy_jobs.contains_key(&(namespace.to_string(), claim.to_string()))
        {
            out.push(Diagnostic::new(
                    Code::NoBackup,
                    format!("claim `{claim}` ({class}) has no backup job"),
                    v.span,
                    "no backup job copies this claim to NFS",
                )
                .with_help(format!(
                    "add `service {}-backup = pvc_backup(source = \"{claim}\", target = \"/srv/nfs/{}-backup\", ...)`, or waive with a reason",
                    owner, owner
                )),
            );
        }
    }
}

/// Where a sensitive service's data belongs: the cluster's encrypted class, if it has one.
fn encrypted_help(facts: &hl_model::Facts) -> String {
    match &facts.encrypted_storage_class {
        Some(class) => format!("use `encrypted(...)` (class `{class}`) for sensitive data"),
        None => {
            "declare an encrypted class (`cluster { encrypted_storage_class = ... }`) and use `encrypted(...)`".into()
        }
    }
}
