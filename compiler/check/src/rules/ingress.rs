//! Ingress auth fails closed, and its gates fit what the ingress serves.

use hl_diagnostics::{Code, Diagnostic, did_you_mean};
use hl_model::AuthMode;

use super::Ctx;

pub fn check(cx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
    let model = cx.globals;
    // Groups are Authentik's: without it, no group is checked.
    let authentik = model.facts.authentik.as_ref();
    let declared: Vec<&str> = authentik
        .map(|a| a.ui_groups.as_slice())
        .unwrap_or_default()
        .iter()
        .map(String::as_str)
        .chain(model.authentik_groups.iter().map(|(n, _)| n.as_str()))
        .collect();
    let stack = cx.stack;
    for ing in stack.all_ingresses() {
        // E0405: a Middleware of the Kubernetes CRD provider must be declared somewhere.
        for (m, span) in ing.extra_middlewares.iter().zip(&ing.extra_middleware_spans) {
            let Some(near) = cx.view.missing_middlewares.get(m) else { continue };
            let mut d = Diagnostic::new(
                Code::UnknownReference,
                format!("ingress `{}` names the Middleware `{m}`, which no stack declares", ing.name),
                *span,
                "no such Middleware",
            );
            d = match near {
                Some(c) => d.with_help(format!("did you mean `{c}`?")),
                None => d.with_help(
                    "declare it in the stack of its namespace (`middleware <name> { spec = { ... } }`); Traefik \
                     names it `<namespace>-<name>@kubernetescrd`",
                ),
            };
            out.push(d);
        }
        // E0506: `required` and `public` need a forward-auth provider; without one the ingress
        // would be open to anyone while saying it is not.
        if authentik.is_none() && matches!(ing.auth, AuthMode::Required | AuthMode::Public) {
            let mode = ing.auth.as_str();
            out.push(
                Diagnostic::new(
                    Code::AuthWithoutProvider,
                    format!("ingress `{}` is `auth = {mode}`, but the workspace names no auth provider", ing.name),
                    ing.auth_span,
                    "nothing enforces this",
                )
                .with_help(
                    "declare the provider in the cluster facts (`cluster { authentik { ... } }`), or say what gates \
                     the service: `auth = app(\"<its own login>\")`",
                ),
            );
        }
        // E0501: `app` and `none` must say what gates the service.
        // A placeholder (`TODO`, `...`) says nothing either: it would pass the rule unanswered.
        if matches!(ing.auth, AuthMode::App | AuthMode::None)
            && ing.auth_reason.as_deref().is_none_or(hl_diagnostics::placeholder_reason)
        {
            let mode = ing.auth.as_str();
            let label = match ing.auth_reason.as_deref().map(str::trim) {
                Some(r) if !r.is_empty() => format!("`{r}` is a placeholder, not a reason"),
                _ => "empty reason".to_string(),
            };
            out.push(
                Diagnostic::new(
                    Code::AuthReason,
                    format!("ingress `{}` is `auth = {mode}` without saying what gates it", ing.name),
                    ing.auth_span,
                    label,
                )
                .with_help(match ing.auth {
                    AuthMode::App => "name the login that protects the service: `app(\"<the app's own login>\")`",
                    _ => "say why the service may be open to anyone: `none(\"<why this is safe>\")`",
                }),
            );
        }
        if let Some(span) = ing.allowed_groups_span {
            // E0502: groups are enforced only by the forward-auth outpost.
            if ing.auth != AuthMode::Required {
                out.push(
                    Diagnostic::new(
                        Code::GroupsWithoutAuth,
                        format!("ingress `{}` sets `allowed_groups` but its auth is `{}`", ing.name, ing.auth.as_str()),
                        ing.values.at("allowed_groups", span),
                        "ignored without `auth = required`",
                    )
                    .with_label(ing.auth_span, "auth is set here")
                    .with_help("remove `allowed_groups`, or use `auth = required` so the groups are enforced"),
                );
            }
            // E0503: every group must exist.
            for (i, g) in ing.allowed_groups.iter().enumerate().filter(|_| authentik.is_some()) {
                if !declared.contains(&g.as_str()) {
                    let mut d = Diagnostic::new(
                        Code::UnknownGroup,
                        format!("`{g}` is not a known Authentik group"),
                        ing.values.at(&format!("allowed_groups[{i}]"), span),
                        format!("unknown group `{g}`"),
                    );
                    d = match did_you_mean(g, declared.iter().copied()) {
                        Some(s) => d.with_help(format!("did you mean `{s}`?")),
                        None => d.with_help(
                            "declare it with `authentik_group <id> { name = \"...\" }`, or use one of the UI-managed groups",
                        ),
                    };
                    out.push(d);
                }
            }
        }
        // E0504: Anubis's challenge page cannot be solved by protocol clients.
        if model.facts.anubis_prefix.as_ref().is_some_and(|p| ing.backend.starts_with(p.as_str()))
            && ing.serves != "web"
        {
            out.push(
                Diagnostic::new(
                    Code::AnubisEndpoint,
                    format!("ingress `{}` sends {} clients through Anubis", ing.name, ing.serves),
                    ing.span,
                    format!("serves `{}` behind `{}`", ing.serves, ing.backend),
                )
                .with_help("route this ingress to the service itself; Anubis is only for pages that browsers load"),
            );
        }
        // E0505: `internal` publishes a public record; the allow-list is the gate.
        if let Some(allow) = &model.facts.ingress.home_lans_middleware
            && ing.dns_type == "internal"
            && !ing.local_only
            && !ing.extra_middlewares.iter().any(|m| m == allow)
        {
            out.push(
                Diagnostic::new(
                    Code::InternalAllowlist,
                    format!("internal ingress `{}` has no home-LANs allow-list", ing.name),
                    ing.dns_span,
                    "the DNS record resolves publicly",
                )
                .with_help(format!("add `extra_middlewares = [\"{allow}\"]` (or `local_only = true`)")),
            );
        }
    }
}
