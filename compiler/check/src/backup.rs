//! 3-2-1 coverage: which copies each volume reaches, through which jobs, and how old the newest
//! off-disk copy can be (the recovery point). Used by the `backup-coverage` and
//! `backup-overlap` rules and by `hlc backups`.

use std::collections::BTreeMap;

use hl_diagnostics::{Code, Diagnostic, Span};
use hl_model::{HostBackup, Model, Service, Stack, VolumeSource, WorkloadKind};
use hl_types::schedule::{self, Schedule};

use crate::index::CopyJob;
use crate::rules::Ctx;
use crate::{CheckIndex, StackSummary};

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
}

/// The backup story of every volume that holds data (claims, claim templates, NFS exports), in
/// model order. A backup job's own NFS target is the copy, not data, and has no row.
pub fn coverage(model: &Model) -> Vec<Coverage> {
    // The jobs that copy each claim may live in any stack: they come from the index, as they
    // do for the per-stack check.
    let summaries: Vec<StackSummary> = model.stacks.iter().map(|s| StackSummary::of(s)).collect();
    let index = CheckIndex::new(model.stacks.iter().zip(&summaries).map(|(s, sum)| (s.name.as_str(), sum)));
    model.stacks.iter().flat_map(|stack| stack_coverage(&model.host_backups, stack, index.copy_jobs())).collect()
}

/// The backup story of one stack's volumes, given the host's steps and the in-cluster backup
/// jobs (of any stack) by the `(namespace, claim)` they copy, in model order.
pub(crate) fn stack_coverage(
    host_backups: &[HostBackup],
    stack: &Stack,
    in_cluster: &BTreeMap<(String, String), Vec<CopyJob>>,
) -> Vec<Coverage> {
    let mut rows = Vec::new();
    let service_volumes = stack.services.iter().flat_map(|svc| {
        svc.volumes.iter().map(move |v| {
            // A backup job's own target is the copy, not data to back up.
            let target = is_backup_job(svc) && matches!(v.source, VolumeSource::Nfs { .. });
            (Some(svc.name.as_str()), svc.namespace.as_str(), v, target)
        })
    });
    let stack_volumes = stack.volumes.iter().map(|v| (None, v.namespace.as_str(), &v.volume, false));
    // Everything on the backup disk goes offsite when a copy-3 step reads it.
    let offsite_reads_backup_disk =
        host_backups.iter().any(|b| b.produces == "offsite" && b.sources.iter().any(|s| s.starts_with("/mnt/backup")));
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
        for b in host_backups {
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
        for job in in_cluster.get(&(namespace.to_string(), claim.clone())).into_iter().flatten() {
            jobs.push(Job { name: format!("{}/{}", job.namespace, job.name), schedule: job.schedule.clone(), copy: 1 });
            for target in &job.targets {
                for b in host_backups.iter().filter(|b| b.produces == "local") {
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
        });
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
pub(crate) fn copied_claims(job: &Service) -> impl Iterator<Item = &str> {
    job.volumes.iter().filter_map(|v| match &v.source {
        VolumeSource::Claim(c) | VolumeSource::Pvc { claim: c, .. } => Some(c.as_str()),
        _ => None,
    })
}

/// The backup rules about one stack: its volumes' 3-2-1 coverage, and its backup jobs against
/// the host's steps, earlier stacks' jobs and its own.
pub(crate) fn check_stack(cx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
    let host_backups = &cx.globals.host_backups;
    // Coverage is judged against the declared pipeline; a workspace without host steps has not
    // modelled its 3-2-1 scheme (yet), and every volume would be reported.
    let rows =
        if host_backups.is_empty() { Vec::new() } else { stack_coverage(host_backups, cx.stack, &cx.view.copy_jobs) };
    for row in rows {
        if row.excluded.is_some() || (row.copies[1] && row.copies[2]) {
            continue;
        }
        let missing: Vec<&str> = [(1, "copy 2 (the host's backup disk)"), (2, "copy 3 (offsite)")]
            .iter()
            .filter(|(i, _)| !row.copies[*i])
            .map(|(_, s)| *s)
            .collect();
        out.push(
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
    overlaps(cx, out);
}

/// The backup rules about no stack: the host's steps among themselves. (A stack's job that
/// collides with a host step is the stack's finding, in [`check_stack`]: the host's steps come
/// first in the order of writers, so a step is never reported against a stack's job.)
pub(crate) fn check_global(model: &Model, out: &mut Vec<Diagnostic>) {
    let writers = host_writers(model);
    for (i, a) in writers.iter().enumerate() {
        if a.storage.is_empty() {
            continue;
        }
        if let Some(b) = writers[..i].iter().find(|b| b.storage == a.storage && b.schedule.overlaps(&a.schedule)) {
            out.push(overlap(&a.name, a.text, a.span, &a.storage, &b.name, b.text, Some(b.span)));
        }
    }
}

/// Something that writes backups to a storage on a schedule.
struct Writer<'a> {
    name: String,
    storage: String,
    schedule: Schedule,
    span: Span,
    text: &'a str,
}

/// The host's backup steps with a readable schedule, in declaration order; each writes to the
/// storage its target is on (its first three path segments; empty without a target).
fn host_writers(model: &Model) -> Vec<Writer<'_>> {
    let mut writers = Vec::new();
    for b in &model.host_backups {
        let Ok(s) = schedule::parse(&b.schedule) else { continue };
        let storage = b.target.as_deref().unwrap_or("").split('/').take(3).collect::<Vec<_>>().join("/");
        writers.push(Writer {
            name: format!("host backup `{}`", b.name),
            storage,
            schedule: s,
            span: b.schedule_span,
            text: &b.schedule,
        });
    }
    writers
}

/// E0514 for `a`, which starts in the same minute as `b` on the same storage.
fn overlap(
    a: &str,
    a_text: &str,
    a_span: Span,
    storage: &str,
    b: &str,
    b_text: &str,
    b_span: Option<Span>,
) -> Diagnostic {
    let mut d = Diagnostic::new(
        Code::BackupOverlap,
        format!("{a} ({a_text}) and {b} ({b_text}) write to {storage} in the same minute"),
        a_span,
        "starts with another backup",
    );
    if let Some(span) = b_span {
        d = d.with_label(span, "the other job");
    }
    d.with_help("stagger the schedules by a few minutes (the database dumps run at :00, :15, :30 and :45)")
}

/// Backup jobs writing to the same storage in the same minute compete for its disks. In the
/// order of writers (the host's steps, then every stack's jobs in model order), each one is
/// reported against the first earlier one it collides with; these are this stack's jobs.
fn overlaps(cx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
    let host = host_writers(cx.globals);
    let mut own: Vec<Writer<'_>> = Vec::new();
    for (si, svc) in cx.stack.services.iter().enumerate().filter(|(_, s)| is_backup_job(s)) {
        let Some((text, span)) = &svc.schedule else { continue };
        let Ok(s) = schedule::parse(text) else { continue };
        for (vi, v) in svc.volumes.iter().enumerate() {
            let VolumeSource::Nfs { server, .. } = &v.source else { continue };
            let a = Writer {
                name: format!("`{}/{}`", svc.namespace, svc.name),
                storage: format!("nfs:{server}"),
                schedule: s.clone(),
                span: *span,
                text: text.as_str(),
            };
            let collides = |b: &&Writer<'_>| b.storage == a.storage && b.schedule.overlaps(&a.schedule);
            // The host's steps first, then earlier stacks' jobs (from the index), then this
            // stack's own earlier jobs.
            let partner = |d: Diagnostic, with: &str| {
                cx.overlap_partners.borrow_mut().push((d.message.clone(), with.to_string()));
                d
            };
            let d = if let Some(b) = host.iter().find(collides) {
                Some(partner(overlap(&a.name, a.text, a.span, &a.storage, &b.name, b.text, Some(b.span)), HOST))
            } else if let Some(b) = cx.view.overlaps.get(&(si, vi)) {
                let b_span = cx.with_stack(&b.stack, |s| {
                    s.services.get(b.service).and_then(|svc| svc.schedule.as_ref()).map(|(_, sp)| *sp)
                });
                let name = format!("`{}/{}`", b.namespace, b.name);
                let d = partner(overlap(&a.name, a.text, a.span, &a.storage, &name, &b.text, b_span), &b.stack);
                // Either side may waive an overlap between two stacks: this stack's own waiver
                // (naming the other) first, else the earlier stack's (naming this one).
                match &b.waiver {
                    Some(reason) if !waives_overlap(cx.stack, &b.stack) => {
                        cx.waived_by_other.borrow_mut().push((d, b.stack.clone(), reason.clone()));
                        None
                    }
                    _ => Some(d),
                }
            } else {
                own.iter().find(collides).map(|b| {
                    partner(overlap(&a.name, a.text, a.span, &a.storage, &b.name, b.text, Some(b.span)), &cx.stack.name)
                })
            };
            out.extend(d);
            own.push(a);
        }
    }
}

/// What a waiver of E0516 names for an overlap with one of the PVE host's backup steps.
pub const HOST: &str = "host";

/// Whether the stack waives E0516 with `partner` itself, with a reason.
fn waives_overlap(stack: &hl_model::Stack, partner: &str) -> bool {
    stack.waivers.iter().any(|w| {
        hl_diagnostics::lookup(&w.code).is_some_and(|c| c.code == "E0516")
            && w.with.iter().any(|s| s == partner)
            && !hl_diagnostics::placeholder_reason(&w.reason)
    })
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
