//! Image ownership: Keel or hl, never both; no Keel on operator-managed workloads; Diun off for
//! pinned databases.

use std::collections::BTreeMap;

use hl_diagnostics::{Code, Diagnostic};
use hl_model::{Model, WorkloadKind};

use super::{Sink, is_database_image};

pub fn check(model: &Model, sink: &mut Sink<'_>) {
    let keel_ns: BTreeMap<&str, bool> =
        model.stacks.iter().flat_map(|s| s.owned_namespaces().map(|n| (n.name.as_str(), n.keel))).collect();
    for (si, stack) in model.stacks.iter().enumerate() {
        for svc in &stack.services {
            let enrolled = keel_ns.get(svc.namespace.as_str()).copied().unwrap_or(false);
            // Keel manages the image when the namespace is enrolled (Kyverno adds the policy) or the
            // workload sets a policy itself, unless that policy is `never`; CronJobs are not enrolled.
            let keel_managed = match svc.keel.as_deref() {
                Some("never") => false,
                Some(_) => true,
                None => enrolled,
            } && !matches!(svc.kind, WorkloadKind::CronJob | WorkloadKind::Job);
            let is_pinned = |image: &str| hl_types::image(image).map(|i| i.is_pinned()).unwrap_or(false);
            let pinned =
                is_pinned(&svc.image) || svc.containers.iter().chain(&svc.init_containers).any(|c| is_pinned(&c.image));
            if keel_managed && svc.operator.is_some() {
                let op = svc.operator.as_deref().unwrap_or_default();
                sink.push(
                    si,
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
                sink.push(
                    si,
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
                sink.push(
                    si,
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
}
