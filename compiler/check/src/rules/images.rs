//! Image ownership: Keel or hl, never both; no Keel on operator-managed workloads; Diun off for
//! pinned databases.

use hl_diagnostics::{Code, Diagnostic};
use hl_model::WorkloadKind;

use super::{Ctx, is_database_image};

pub fn check(cx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
    let stack = cx.stack;
    // Keel's rules are for a cluster that runs Keel.
    let keel = cx.globals.facts.keel;
    for svc in &stack.services {
        let enrolled = cx.view.keel.get(&svc.namespace).copied().unwrap_or(false);
        // Keel manages the image when the namespace is enrolled (Kyverno adds the policy) or the
        // workload sets a policy itself, unless that policy is `never`; CronJobs are not enrolled.
        let keel_managed = match svc.keel.as_deref() {
            Some("never") => false,
            Some(_) => true,
            None => enrolled,
        } && keel
            && !matches!(svc.kind, WorkloadKind::CronJob | WorkloadKind::Job);
        let is_pinned = |image: &str| hl_types::image(image).map(|i| i.is_pinned()).unwrap_or(false);
        let pinned =
            is_pinned(&svc.image) || svc.containers.iter().chain(&svc.init_containers).any(|c| is_pinned(&c.image));
        if keel_managed && svc.operator.is_some() {
            let op = svc.operator.as_deref().unwrap_or_default();
            out.push(
                Diagnostic::new(
                    Code::KeelOnOperator,
                    format!("Keel would update `{}`, which the {op} operator manages", svc.name),
                    svc.span,
                    "operator-managed, Keel-enrolled",
                )
                .with_help("set `keel = never`: the operator owns this workload's image"),
            );
        }
        if pinned && is_database_image(&svc.image) && svc.diun == Some(true) {
            out.push(
                Diagnostic::new(
                    Code::DiunOnPinnedDb,
                    format!("Diun watches the pinned database image `{}`", svc.image),
                    svc.span,
                    "pinned database with `diun = true`",
                )
                .with_help("database upgrades are deliberate: set `diun = false`"),
            );
        }
        if keel_managed && pinned && svc.operator.is_none() {
            out.push(
                Diagnostic::new(
                    Code::ImageTwoOwners,
                    format!("`{}` pins `{}` but Keel also updates it", svc.name, svc.image),
                    svc.span,
                    "pinned in hl, enrolled in Keel",
                )
                .with_help("either pin the image and set `keel = never`, or drop the version and let Keel own it"),
            );
        }
    }
}
