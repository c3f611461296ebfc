//! Storage: explicit classes, encryption for sensitive data, backups, no SQLite on NFS.

use hl_diagnostics::{Code, Diagnostic};
use hl_model::VolumeSource;

use super::Ctx;

pub fn check(cx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
    let stack = cx.stack;
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
                .with_help("use `encrypted(...)` (class `proxmox-lvm-encrypted`) for sensitive data"),
            );
        }
        let (class, claim) = match &v.source {
            VolumeSource::Pvc { class, claim, .. } => (class.as_str(), Some(claim.as_str())),
            VolumeSource::Template { class, .. } => (class.as_str(), None),
            _ => continue,
        };
        if class == "local-path" {
            out.push(
                Diagnostic::new(
                    Code::LocalPath,
                    format!("volume `{}` of `{}` uses `local-path`", v.name, owner),
                    v.span,
                    "node-local, unreplicated, not backed up",
                )
                .with_help("use `proxmox-lvm`, `proxmox-lvm-encrypted` or an NFS volume"),
            );
        }
        if sensitive && class != "proxmox-lvm-encrypted" {
            out.push(
                Diagnostic::new(
                    Code::SensitiveUnencrypted,
                    format!("sensitive service `{}` keeps volume `{}` on `{class}`", owner, v.name),
                    v.span,
                    "unencrypted claim",
                )
                .with_help("use `encrypted(...)` (class `proxmox-lvm-encrypted`) for sensitive data"),
            );
        }
        if let Some(claim) = claim
            && class.starts_with("proxmox-lvm")
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
