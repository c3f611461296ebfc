//! Storage: explicit classes, encryption for sensitive data, backups, no SQLite on NFS.

use std::collections::BTreeSet;

use hl_diagnostics::{Code, Diagnostic};
use hl_model::{Model, VolumeSource};

use super::Sink;

pub fn check(model: &Model, sink: &mut Sink<'_>) {
    let backed_up = crate::backup::backed_up_claims(model);
    // What each claim is, to follow `claim(...)` mounts to their source.
    let nfs_claims: BTreeSet<(&str, &str)> = model
        .stacks
        .iter()
        .flat_map(|s| s.volumes_by_owner())
        .filter_map(|(_, ns, _, v)| match &v.source {
            VolumeSource::Nfs { claim, .. } => Some((ns, claim.as_str())),
            _ => None,
        })
        .collect();
    for (si, stack) in model.stacks.iter().enumerate() {
        for (owner, namespace, sensitive, v) in stack.volumes_by_owner() {
            let on_nfs = match &v.source {
                VolumeSource::Nfs { .. } => true,
                VolumeSource::Claim(c) => nfs_claims.contains(&(namespace, c.as_str())),
                _ => false,
            };
            if on_nfs && v.sqlite {
                sink.push(
                    si,
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
                sink.push(
                    si,
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
                sink.push(
                    si,
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
                sink.push(
                    si,
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
                && !backed_up.contains(&(namespace, claim))
            {
                sink.push(
                    si,
                    Diagnostic::new(
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
}
