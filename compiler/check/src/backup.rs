//! 3-2-1 coverage: which copies each volume reaches, through which jobs, and how old the newest
//! off-disk copy can be (the recovery point). Used by the `backup-coverage` and
//! `backup-overlap` rules and by `hlc backups`.

use std::collections::BTreeSet;

use hl_diagnostics::{Code, Diagnostic, Span};
use hl_model::{Model, Service, VolumeSource, WorkloadKind};
use hl_types::schedule::{self, Schedule};

use crate::rules::Sink;

/// A job that copies data somewhere.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    /// `host/<name>` for a PVE timer, `<namespace>/<cronjob>` for an in-cluster job.
    pub name: String,
    /// When it runs, as written (cron or calendar form); empty for a CronJob without one.
    pub schedule: String,
    /// The 3-2-1 copy it produces: 1, 2 or 3.
    pub copy: u8,
}

/// One volume's backup story.
#[derive(Clone, Debug, PartialEq)]
pub struct Coverage {
    /// The stack that declares the volume.
    pub stack: String,
    /// The service that mounts the volume; none for a volume declared on the stack.
    pub service: Option<String>,
    /// The volume's name.
    pub volume: String,
    /// The claim it is; for a claim template, the pattern `<volume>-<service>-*`.
    pub claim: String,
    /// The StorageClass, or `nfs` for an NFS export.
    pub class: String,
    /// The NFS path, for NFS volumes.
    pub path: Option<String>,
    /// The jobs that copy it: host steps that read it, then in-cluster jobs that copy it to NFS,
    /// each followed by the host steps that take that copy to the backup disk.
    pub jobs: Vec<Job>,
    /// Copies 1, 2 and 3 reached. Copy 1, the live data, always is; copy 3 also when copy 2 is
    /// and an offsite step reads the backup disk.
    pub copies: [bool; 3],
    /// Worst-case age in minutes of the newest copy off the live disks (copy 2); `None` when no
    /// job with a readable schedule reaches copy 2 or 3.
    pub rpo_minutes: Option<u32>,
    /// The volume's `no_backup` reason; `Some` exempts it from the coverage warning.
    pub excluded: Option<String>,
    /// The volume's declaration.
    pub span: Span,
    stack_index: usize,
}

/// The backup story of every volume that holds data (claims, claim templates, NFS exports), in
/// model order. A backup job's own NFS target is the copy, not data, and has no row.
pub fn coverage(model: &Model) -> Vec<Coverage> {
    let mut rows = Vec::new();
    // Backup jobs by the (namespace, claim) they copy, so each volume finds its jobs directly
    // (a scan of every job per volume grows with volumes x jobs). Jobs keep their order.
    let mut in_cluster: std::collections::HashMap<(&str, &str), Vec<&Service>> = std::collections::HashMap::new();
    for svc in model.stacks.iter().flat_map(|s| s.services.iter()).filter(|svc| is_backup_job(svc)) {
        let mut claims: Vec<&str> = copied_claims(svc).collect();
        claims.sort_unstable();
        claims.dedup();
        for claim in claims {
            in_cluster.entry((svc.namespace.as_str(), claim)).or_default().push(svc);
        }
    }
    for (si, stack) in model.stacks.iter().enumerate() {
        let service_volumes = stack.services.iter().flat_map(|svc| {
            svc.volumes.iter().map(move |v| {
                // A backup job's own target is the copy, not data to back up.
                let target = is_backup_job(svc) && matches!(v.source, VolumeSource::Nfs { .. });
                (Some(svc.name.as_str()), svc.namespace.as_str(), v, target)
            })
        });
        let stack_volumes = stack.volumes.iter().map(|v| (None, v.namespace.as_str(), &v.volume, false));
        for (service, namespace, v, target) in service_volumes.chain(stack_volumes) {
            if target {
                continue;
            }
            let (claim, class, path) = match &v.source {
                VolumeSource::Pvc { claim, class, .. } => (claim.clone(), class.clone(), None),
                VolumeSource::Template { class, .. } => {
                    (format!("{}-{}-*", v.name, service.unwrap_or_default()), class.clone(), None)
                }
                VolumeSource::Nfs { claim, path, .. } => (claim.clone(), "nfs".to_string(), Some(path.clone())),
                _ => continue,
            };
            let mut jobs = Vec::new();
            // Host timers that read this storage class or path.
            for b in &model.host_backups {
                let copy = match b.produces.as_str() {
                    "live" => 1,
                    "offsite" => 3,
                    _ => 2,
                };
                let reads = b.sources.iter().any(|s| match &path {
                    Some(p) => is_prefix(s, p) && !b.excludes.iter().any(|e| is_prefix(e, p)),
                    None => s == &class,
                });
                if reads {
                    jobs.push(Job { name: format!("host/{}", b.name), schedule: b.schedule.clone(), copy });
                }
            }
            // In-cluster jobs that copy this claim to NFS: a point-in-time copy on the live
            // disks (copy 1), which reaches copy 2 through whatever mirrors its NFS target.
            for job in in_cluster.get(&(namespace, claim.as_str())).into_iter().flatten() {
                let ns = namespace;
                let schedule = job.schedule.as_ref().map(|(s, _)| s.clone()).unwrap_or_default();
                jobs.push(Job { name: format!("{ns}/{}", job.name), schedule, copy: 1 });
                for target in job.volumes.iter().filter_map(|jv| match &jv.source {
                    VolumeSource::Nfs { path, .. } => Some(path),
                    _ => None,
                }) {
                    for b in model.host_backups.iter().filter(|b| b.produces == "local") {
                        let reads = b.sources.iter().any(|s| is_prefix(s, target))
                            && !b.excludes.iter().any(|e| is_prefix(e, target));
                        let name = format!("host/{}", b.name);
                        if reads && !jobs.iter().any(|j| j.name == name) {
                            jobs.push(Job { name, schedule: b.schedule.clone(), copy: 2 });
                        }
                    }
                }
            }
            let mut copies = [true, jobs.iter().any(|j| j.copy == 2), false];
            // Everything on the backup disk goes offsite when a copy-3 step reads it.
            let offsite_reads_backup_disk = model
                .host_backups
                .iter()
                .any(|b| b.produces == "offsite" && b.sources.iter().any(|s| s.starts_with("/mnt/backup")));
            copies[2] = jobs.iter().any(|j| j.copy == 3) || (copies[1] && offsite_reads_backup_disk);
            let rpo_minutes = jobs
                .iter()
                .filter(|j| j.copy >= 2)
                .filter_map(|j| schedule::parse(&j.schedule).ok())
                .map(|s: Schedule| s.max_interval_minutes())
                .min();
            rows.push(Coverage {
                stack: stack.name.clone(),
                service: service.map(str::to_string),
                volume: v.name.clone(),
                claim,
                class,
                path,
                jobs,
                copies,
                rpo_minutes,
                excluded: v.no_backup.clone(),
                span: v.span,
                stack_index: si,
            });
        }
    }
    rows
}

fn is_prefix(prefix: &str, path: &str) -> bool {
    path == prefix || path.starts_with(&format!("{}/", prefix.trim_end_matches('/')))
}

/// A CronJob that writes to NFS and either mounts a claim or says it backs up or dumps. This is
/// the one definition of a backup job; E0513 and the 3-2-1 coverage both use it.
pub(crate) fn is_backup_job(svc: &Service) -> bool {
    svc.kind == WorkloadKind::CronJob
        && svc.volumes.iter().any(|v| matches!(v.source, VolumeSource::Nfs { .. }))
        && (copied_claims(svc).next().is_some() || svc.name.contains("backup") || svc.name.contains("dump"))
}

/// The non-NFS claims a job mounts: those declared elsewhere (`claim(...)`) and those declared
/// on the job itself (a claim whose other users are not hl services, e.g. a chart's pods).
fn copied_claims(job: &Service) -> impl Iterator<Item = &str> {
    job.volumes.iter().filter_map(|v| match &v.source {
        VolumeSource::Claim(c) | VolumeSource::Pvc { claim: c, .. } => Some(c.as_str()),
        _ => None,
    })
}

/// `(namespace, claim)` of every claim some backup job copies to NFS (copy 2 of 3-2-1).
pub(crate) fn backed_up_claims(model: &Model) -> BTreeSet<(&str, &str)> {
    model
        .stacks
        .iter()
        .flat_map(|s| s.services.iter())
        .filter(|svc| is_backup_job(svc))
        .flat_map(|svc| copied_claims(svc).map(move |c| (svc.namespace.as_str(), c)))
        .collect()
}

pub(crate) fn check(model: &Model, sink: &mut Sink<'_>) {
    // Coverage is judged against the declared pipeline; a workspace without host steps has not
    // modelled its 3-2-1 scheme (yet), and every volume would be reported.
    let rows = if model.host_backups.is_empty() { Vec::new() } else { coverage(model) };
    for row in rows {
        if row.excluded.is_some() || (row.copies[1] && row.copies[2]) {
            continue;
        }
        let missing: Vec<&str> = [(1, "copy 2 (the host's backup disk)"), (2, "copy 3 (offsite)")]
            .iter()
            .filter(|(i, _)| !row.copies[*i])
            .map(|(_, s)| *s)
            .collect();
        sink.push(
            row.stack_index,
            Diagnostic::new(
                Code::BackupCoverage,
                format!(
                    "`{}` of `{}` ({}) never reaches {}",
                    row.volume,
                    row.service.as_deref().unwrap_or(&row.stack),
                    row.class,
                    missing.join(" or ")
                ),
                row.span,
                "not covered by 3-2-1",
            )
            .with_help("add a backup job that reaches the backup disk, or declare why not: `no_backup = \"...\"` on the volume"),
        );
    }
    overlaps(model, sink);
}

/// Backup jobs writing to the same storage in the same minute compete for its disks.
fn overlaps(model: &Model, sink: &mut Sink<'_>) {
    struct Writer<'a> {
        name: String,
        storage: String,
        schedule: Schedule,
        span: Span,
        stack: Option<usize>,
        text: &'a str,
    }
    let mut writers: Vec<Writer<'_>> = Vec::new();
    for b in &model.host_backups {
        let Ok(s) = schedule::parse(&b.schedule) else { continue };
        let storage = b.target.as_deref().unwrap_or("").split('/').take(3).collect::<Vec<_>>().join("/");
        writers.push(Writer {
            name: format!("host backup `{}`", b.name),
            storage,
            schedule: s,
            span: b.schedule_span,
            stack: None,
            text: &b.schedule,
        });
    }
    for (si, stack) in model.stacks.iter().enumerate() {
        for svc in stack.services.iter().filter(|s| is_backup_job(s)) {
            let Some((text, span)) = &svc.schedule else { continue };
            let Ok(s) = schedule::parse(text) else { continue };
            for v in &svc.volumes {
                if let VolumeSource::Nfs { server, .. } = &v.source {
                    writers.push(Writer {
                        name: format!("`{}/{}`", svc.namespace, svc.name),
                        storage: format!("nfs:{server}"),
                        schedule: s.clone(),
                        span: *span,
                        stack: Some(si),
                        text: text.as_str(),
                    });
                }
            }
        }
    }
    for (i, a) in writers.iter().enumerate() {
        if a.storage.is_empty() {
            continue;
        }
        if let Some(b) = writers[..i].iter().find(|b| b.storage == a.storage && b.schedule.overlaps(&a.schedule)) {
            let d = Diagnostic::new(
                Code::BackupOverlap,
                format!(
                    "{} ({}) and {} ({}) write to {} in the same minute",
                    a.name, a.text, b.name, b.text, a.storage
                ),
                a.span,
                "starts with another backup",
            )
            .with_label(b.span, "the other job")
            .with_help("stagger the schedules by a few minutes (the database dumps run at :00, :15, :30 and :45)");
            match a.stack {
                Some(si) => sink.push(si, d),
                None => sink.push_global(d),
            }
        }
    }
}

/// Minutes as `6h`, `1d`, `45m`: in the largest unit that divides them.
///
/// ```
/// use hl_check::backup::format_minutes;
///
/// assert_eq!(format_minutes(24 * 60), "1d");
/// assert_eq!(format_minutes(360), "6h");
/// assert_eq!(format_minutes(90), "90m");
/// ```
pub fn format_minutes(m: u32) -> String {
    if m.is_multiple_of(24 * 60) {
        format!("{}d", m / (24 * 60))
    } else if m.is_multiple_of(60) {
        format!("{}h", m / 60)
    } else {
        format!("{m}m")
    }
}
