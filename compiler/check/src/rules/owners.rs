//! Namespace-owners: their stacks stay in their namespaces and domains, with versioned images.

use hl_diagnostics::{Code, Diagnostic, did_you_mean};

use super::Ctx;

pub fn check(cx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
    let model = cx.globals;
    let stack = cx.stack;
    let Some((owner_name, owner_span)) = &stack.owner else { return };
    let Some(owner) = model.owners.iter().find(|o| &o.name == owner_name) else {
        let mut d = Diagnostic::new(
            Code::UnknownReference,
            format!("stack `{}` belongs to `{owner_name}`, who is not declared", stack.name),
            *owner_span,
            "unknown owner",
        );
        d = match did_you_mean(owner_name, model.owners.iter().map(|o| o.name.as_str())) {
            Some(s) => d.with_help(format!("did you mean `{s}`?")),
            None => d.with_help("declare the person with `owner <name> { email = \"...\", namespaces = [...] }`"),
        };
        out.push(d);
        return;
    };
    if owner.role != "namespace-owner" {
        return;
    }
    let namespaces = stack
        .namespaces
        .iter()
        .map(|n| (n.name.as_str(), n.span))
        .chain(stack.services.iter().map(|s| (s.namespace.as_str(), s.namespace_span)))
        .chain(stack.frontends.iter().map(|f| (f.namespace.as_str(), f.namespace_span)))
        .chain(stack.volumes.iter().map(|v| (v.namespace.as_str(), v.namespace_span)))
        .chain(stack.ingresses.iter().map(|i| (i.namespace.as_str(), i.span)));
    let mut reported = Vec::new();
    for (ns, span) in namespaces {
        if !owner.namespaces.iter().any(|o| o == ns) && !reported.contains(&ns) {
            reported.push(ns);
            out.push(
                Diagnostic::new(
                    Code::OwnerNamespace,
                    format!("`{}` does not own namespace `{ns}`", owner.name),
                    span,
                    "outside the owner's namespaces",
                )
                .with_label(owner.span, format!("`{}` is declared here", owner.name))
                .with_help("a namespace-owner's resources stay in their own namespaces; ask an admin to add this one"),
            );
        }
    }
    for ing in stack.all_ingresses() {
        let inside = owner.domains.iter().any(|d| ing.host == *d || ing.host.ends_with(&format!(".{d}")));
        if !inside {
            out.push(
                Diagnostic::new(
                    Code::OwnerDomain,
                    format!("host `{}` is outside the domains of `{}`", ing.host, owner.name),
                    ing.span,
                    "not under the owner's domains",
                )
                .with_help(if owner.domains.is_empty() {
                    format!("`{}` owns no domains; an admin adds them to the owner's `domains`", owner.name)
                } else {
                    format!("use a host under {}", owner.domains.join(", "))
                }),
            );
        }
    }
    for svc in &stack.services {
        let images = std::iter::once(svc.image.as_str())
            .chain(svc.containers.iter().chain(&svc.init_containers).map(|c| c.image.as_str()));
        for image in images {
            let pinned = hl_types::image(image).map(|i| i.is_pinned()).unwrap_or(false);
            if !pinned {
                out.push(
                    Diagnostic::new(
                        Code::OwnerImageTag,
                        format!("`{image}` of `{}` is not pinned to a version", svc.name),
                        svc.span,
                        "`latest` or no tag",
                    )
                    .with_help("namespace-owners deploy versioned tags, such as `app:1.4.2`"),
                );
            }
        }
    }
}
