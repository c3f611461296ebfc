//! The structural checks that look across stacks, split so that each stack can be checked on
//! its own.
//!
//! A stack's problems depend on the stack itself and on a few facts about the others: which
//! stacks exist, who owns each namespace, which claims and Services exist. Each stack gives a
//! [`StackSummary`] of those facts (names only, no spans, so that it stays equal while text
//! moves around it); the [`WorkspaceIndex`] joins the summaries; a [`StackView`] is the part
//! of the index one stack's checks read. [`check_stack`] then needs only the stack and its
//! view: an engine that remembers views re-checks a stack only when its view or the stack
//! changed. When a diagnostic has to point into another stack, `other` fetches that stack.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use hl_diagnostics::{Code, Diagnostic, SuggestionMemo, did_you_mean, list_names, nearest};

use crate::types::*;

/// What other stacks' checks need to know about one stack.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StackSummary {
    /// The namespaces it owns.
    owned: Vec<String>,
    /// Every claim its declarations create, as (namespace, claim).
    claims: Vec<(String, String)>,
    /// Every Kubernetes Service it emits, as (namespace, Service, the service or frontend
    /// that declares it).
    services: Vec<(String, String, String)>,
}

impl StackSummary {
    /// The summary of one stack.
    pub fn of(s: &Stack) -> StackSummary {
        let mut claims = Vec::new();
        for svc in &s.services {
            for v in &svc.volumes {
                if let VolumeSource::Pvc { claim, .. } | VolumeSource::Nfs { claim, inline: false, .. } = &v.source {
                    claims.push((svc.namespace.clone(), claim.clone()));
                }
            }
        }
        for v in &s.volumes {
            if let Some(c) = v.volume.source.claim_name() {
                claims.push((v.namespace.clone(), c.to_string()));
            }
        }
        for svc in &s.services {
            // A StatefulSet's claim templates make `<volume>-<set>-<ordinal>` claims.
            let replicas = usize::try_from(svc.replicas.max(0)).unwrap_or(0);
            for v in svc.volumes.iter().filter(|v| matches!(v.source, VolumeSource::Template { .. })) {
                for i in 0..replicas {
                    claims.push((svc.namespace.clone(), format!("{}-{}-{i}", v.name, svc.name)));
                }
            }
        }
        StackSummary {
            owned: s.owned_namespaces().map(|n| n.name.clone()).collect(),
            claims,
            services: s
                .all_exposes()
                .map(|(owner, ns, x)| (ns.to_string(), x.name.clone(), owner.to_string()))
                .collect(),
        }
    }
}

/// The summaries of every stack, joined.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WorkspaceIndex {
    names: BTreeSet<String>,
    /// Namespace → the stack that owns it (the first, if several claim it: the Namespace
    /// objects collide, which is reported where the objects are emitted).
    owners: BTreeMap<String, String>,
    /// Namespace → the claims in it.
    claims: BTreeMap<String, BTreeSet<String>>,
    /// (namespace, Service) → (stack, declaring service or frontend); the last declaration.
    services: BTreeMap<(String, String), (String, String)>,
    /// Suggestions already made against `names` (key `true`) and `owners` (`false`).
    nearest: SuggestionMemo<(bool, String), Option<Scored>>,
}

/// A suggestion and its similarity.
type Scored = (String, f64);

impl WorkspaceIndex {
    /// The stack name, or with `in_names` false the owned namespace, nearest to `name`.
    fn suggest(&self, in_names: bool, name: &str) -> Option<Scored> {
        self.nearest.get_or_insert_with((in_names, name.to_string()), || {
            let found = if in_names {
                nearest(name, self.names.iter().map(String::as_str))
            } else {
                nearest(name, self.owners.keys().map(String::as_str))
            };
            found.map(|(c, score)| (c.to_string(), score))
        })
    }

    /// Join the stacks' summaries, given in model order.
    pub fn new<'a>(summaries: impl IntoIterator<Item = (&'a str, &'a StackSummary)>) -> WorkspaceIndex {
        let mut ix = WorkspaceIndex::default();
        for (name, s) in summaries {
            ix.names.insert(name.to_string());
            for n in &s.owned {
                ix.owners.entry(n.clone()).or_insert_with(|| name.to_string());
            }
            for (ns, c) in &s.claims {
                ix.claims.entry(ns.clone()).or_default().insert(c.clone());
            }
            for (ns, svc, owner) in &s.services {
                ix.services.insert((ns.clone(), svc.clone()), (name.to_string(), owner.clone()));
            }
        }
        ix
    }

    /// What `s`'s checks read of the index: the answers to every question the stack asks.
    pub fn view(&self, s: &Stack, facts: &Facts) -> StackView {
        let cluster = &facts.cluster_namespaces;
        let is_cluster = |ns: &str| cluster.iter().any(|c| c == ns);
        let mut v = StackView::default();
        for (dep, _) in &s.depends_on {
            if dep != &s.name && !self.names.contains(dep) {
                let hint = self.suggest(true, dep).map(|(c, _)| c);
                v.unknown_stacks.insert(dep.clone(), hint);
            }
        }
        let declared: Vec<&str> = s.namespaces.iter().map(|n| n.name.as_str()).collect();
        let mut asked: BTreeSet<&str> = declared.iter().copied().collect();
        asked.extend(placements(s).map(|p| p.namespace));
        for ns in asked {
            match self.owners.get(ns) {
                Some(owner) => {
                    v.owners.insert(ns.to_string(), owner.clone());
                }
                None if !is_cluster(ns) => {
                    // Only a namespace that nobody owns needs a suggestion.
                    // Of equal scores the earlier list wins, as if the lists were searched
                    // as one: owned before cluster, declared before owned.
                    let owned = self.suggest(false, ns);
                    let cluster = nearest(ns, cluster.iter().map(String::as_str));
                    let declared = nearest(ns, declared.iter().copied());
                    let external = match (owned.clone(), cluster) {
                        (Some(o), Some(c)) if c.1 > o.1 => Some(c.0.to_string()),
                        (Some(o), _) => Some(o.0),
                        (None, c) => c.map(|c| c.0.to_string()),
                    };
                    let placed = match (declared, owned) {
                        (Some(d), Some(o)) if o.1 > d.1 => Some(o.0),
                        (Some(d), _) => Some(d.0.to_string()),
                        (None, o) => o.map(|o| o.0),
                    };
                    v.unowned.insert(ns.to_string(), (external, placed));
                }
                None => {}
            }
        }
        for ing in s.all_ingresses() {
            let Some(cb) = &ing.chart_backend else { continue };
            let key = (ing.namespace.clone(), cb.service.clone());
            if let Some(found) = self.services.get(&key) {
                v.services.insert(key, found.clone());
            }
        }
        for svc in &s.services {
            for vol in &svc.volumes {
                let VolumeSource::Claim(claim) = &vol.source else { continue };
                let here = self.claims.get(&svc.namespace);
                if here.is_some_and(|c| c.contains(claim)) {
                    continue;
                }
                let hint = here.and_then(|c| did_you_mean(claim, c.iter().map(String::as_str))).map(str::to_string);
                v.missing_claims.insert((svc.namespace.clone(), claim.clone()), hint);
            }
        }
        v
    }
}

/// The part of the [`WorkspaceIndex`] that one stack's checks read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StackView {
    /// `depends_on` targets that are not stacks, with a suggestion.
    unknown_stacks: BTreeMap<String, Option<String>>,
    /// Owners of the namespaces the stack names.
    owners: BTreeMap<String, String>,
    /// Namespaces the stack names that no stack owns and Kubernetes does not create, with a
    /// suggestion for an `external` declaration and one for a placement.
    unowned: BTreeMap<String, (Option<String>, Option<String>)>,
    /// (namespace, Service) named as a chart's backend that hl emits → (stack, declarer).
    services: BTreeMap<(String, String), (String, String)>,
    /// Claims mounted by name that nothing declares, with a suggestion.
    missing_claims: BTreeMap<(String, String), Option<String>>,
}

struct Placement<'a> {
    what: &'static str,
    name: &'a str,
    namespace: &'a str,
    span: hl_diagnostics::Span,
}

/// Everything the stack places into a namespace.
fn placements(s: &Stack) -> impl Iterator<Item = Placement<'_>> {
    let p = |what, name, namespace, span| Placement { what, name, namespace, span };
    s.services
        .iter()
        .map(move |x| p("service", x.name.as_str(), x.namespace.as_str(), x.namespace_span))
        .chain(s.frontends.iter().map(move |f| p("frontend", f.name.as_str(), f.namespace.as_str(), f.namespace_span)))
        .chain(
            s.volumes.iter().map(move |v| p("volume", v.volume.name.as_str(), v.namespace.as_str(), v.namespace_span)),
        )
        .chain(s.ingresses.iter().map(move |i| p("ingress", i.name.as_str(), i.namespace.as_str(), i.span)))
        .chain(s.secrets.iter().map(move |x| p("secret", x.name.as_str(), x.namespace.as_str(), x.span)))
        .chain(s.objects.iter().filter_map(move |o| {
            let ns = o.namespace.as_deref()?;
            Some(p(object_what(&o.kind), o.name.as_str(), ns, o.namespace_span))
        }))
}

/// How a placement message names an object of `kind`.
fn object_what(kind: &str) -> &'static str {
    match kind {
        "ServiceAccount" => "service account",
        "Role" => "role",
        "RoleBinding" => "role binding",
        "ResourceQuota" => "resource quota",
        "LimitRange" => "limit range",
        "ConfigMap" => "config map",
        "PodDisruptionBudget" => "disruption budget",
        "NetworkPolicy" => "network policy",
        "Middleware" => "middleware",
        "IngressRoute" | "IngressRouteTCP" => "ingress route",
        _ => "object",
    }
}

/// The structural problems of one stack that need the rest of the workspace: its State tier
/// against the bootstrap set, its `depends_on` targets, its namespaces, the claims it mounts by
/// name and its chart backends. `view` is `index.view(s, facts)`; `other` fetches another
/// stack, only to point at it.
pub fn check_stack(
    s: &Stack,
    view: &StackView,
    facts: &Facts,
    other: &dyn Fn(&str) -> Option<Arc<Stack>>,
) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    let tier0 = &facts.tier0_stacks;
    let in_set = tier0.iter().any(|t| t == &s.name);
    match (s.state_tier, in_set) {
        (0, false) => diags.push(
            Diagnostic::new(
                Code::StateTier,
                format!("stack `{}` is declared State tier 0 but is not a bootstrap stack", s.name),
                s.state_tier_span,
                "Tier 0 is reserved for the bootstrap stacks",
            )
            .with_label(s.span, "this stack")
            .with_help(format!("Tier 0 is only for {}; use `state_tier = 1`", list_names(tier0))),
        ),
        (1, true) => diags.push(
            Diagnostic::new(
                Code::StateTier,
                format!("stack `{}` is a bootstrap stack and must be State tier 0", s.name),
                s.state_tier_span,
                "State tier 1 here",
            )
            .with_help("set `state_tier = 0`: bootstrap stacks keep local, encrypted state"),
        ),
        (0 | 1, _) => {}
        (t, _) => diags.push(
            Diagnostic::new(
                Code::OutOfRange,
                format!("State tier {t} does not exist"),
                s.state_tier_span,
                "no such State tier",
            )
            .with_help("State tiers are 0 (bootstrap) and 1 (everything else)"),
        ),
    }
    for (dep, span) in &s.depends_on {
        if dep == &s.name {
            diags.push(Diagnostic::new(
                Code::UnknownStack,
                format!("stack `{}` depends on itself", s.name),
                *span,
                "self-dependency",
            ));
        } else if let Some(hint) = view.unknown_stacks.get(dep) {
            let mut d = Diagnostic::new(
                Code::UnknownStack,
                format!("stack `{}` depends on `{dep}`, which is not declared", s.name),
                *span,
                "no such stack",
            );
            if let Some(c) = hint {
                d = d.with_help(format!("did you mean `{c}`?"));
            }
            diags.push(d);
        }
    }
    check_namespaces(s, view, &facts.cluster_namespaces, &mut diags);
    // A chart's Service that hl emits itself is not a chart's.
    for ing in s.all_ingresses() {
        let Some(cb) = &ing.chart_backend else { continue };
        let Some((stack, owner)) = view.services.get(&(ing.namespace.clone(), cb.service.clone())) else { continue };
        let mut d = Diagnostic::new(
            Code::IngressBackend,
            format!("ingress `{}` says a chart creates Service `{}`, but hl declares it", ing.name, cb.service),
            cb.span,
            "named as a chart's Service",
        )
        .with_help("route to it with `backend` and `port`, or declare the ingress inside that service or frontend");
        let declared = other(stack).and_then(|o| {
            o.all_exposes()
                .filter(|(who, ns, x)| who == owner && *ns == ing.namespace && x.name == cb.service)
                .last()
                .map(|(_, _, x)| x.span)
        });
        if let Some(span) = declared {
            d = d.with_label(span, format!("declared here, by `{owner}`"));
        }
        diags.push(d);
    }
    for svc in &s.services {
        for v in &svc.volumes {
            if matches!(v.source, VolumeSource::Template { .. }) && svc.kind != WorkloadKind::StatefulSet {
                diags.push(
                    Diagnostic::new(
                        Code::TypeMismatch,
                        format!("volume `{}` is a claim template, which only a StatefulSet has", v.name),
                        v.span,
                        "claim template",
                    )
                    .with_label(svc.span, "this service is not a StatefulSet")
                    .with_help("set `kind = statefulset`, or use `pvc(...)` for one shared claim"),
                );
            }
            let VolumeSource::Claim(claim) = &v.source else { continue };
            let Some(hint) = view.missing_claims.get(&(svc.namespace.clone(), claim.clone())) else { continue };
            let d = Diagnostic::new(
                Code::UnknownReference,
                format!(
                    "volume `{}` mounts the claim `{claim}`, which nothing declares in namespace `{}`",
                    v.name, svc.namespace
                ),
                // The claim's name as written (also as an argument: `pvc_backup(source = ...)`).
                v.values.at("source()", v.span),
                "no such claim",
            );
            diags.push(match hint {
                Some(c) => d.with_help(format!("did you mean `{c}`?")),
                None => d.with_help(
                    "declare it with `pvc(...)`, `encrypted(...)` or `nfs(...)` on the service that owns it",
                ),
            });
        }
    }
    diags
}

/// The namespaces of one stack: external ones exist (another stack owns them, or Kubernetes
/// does), Kubernetes' own are never owned, and everything the stack places goes into a
/// namespace it declares.
fn check_namespaces(s: &Stack, view: &StackView, cluster: &[String], diags: &mut Vec<Diagnostic>) {
    let is_cluster = |ns: &str| cluster.iter().any(|c| c == ns);
    for n in &s.namespaces {
        if n.external && !view.owners.contains_key(&n.name) && !is_cluster(&n.name) {
            let d = Diagnostic::new(
                Code::NamespaceOwnership,
                format!(
                    "stack `{}` uses namespace `{}`, which no stack owns and Kubernetes does not create",
                    s.name, n.name
                ),
                n.span,
                "declared `external = true`",
            );
            diags.push(match view.unowned.get(&n.name).and_then(|(external, _)| external.as_ref()) {
                Some(c) => d.with_help(format!("did you mean `{c}`?")),
                None => d.with_help(format!(
                    "declare it without `external` in the stack that should own it; Kubernetes' own namespaces are {}",
                    list_names(cluster)
                )),
            });
        }
        if !n.external && is_cluster(&n.name) {
            diags.push(
                Diagnostic::new(
                    Code::NamespaceOwnership,
                    format!("stack `{}` declares `{}` as its own, but Kubernetes creates it", s.name, n.name),
                    n.span,
                    "owned here",
                )
                .with_help(format!(
                    "write `namespace {} {{ external = true }}`: the stack may place objects there and emits nothing for the namespace itself",
                    n.name
                )),
            );
        }
    }
    let declared: Vec<&str> = s.namespaces.iter().map(|n| n.name.as_str()).collect();
    for Placement { what, name, namespace: ns, span } in placements(s) {
        if declared.contains(&ns) {
            continue;
        }
        let use_it =
            format!("declare `namespace {ns} {{ external = true }}` in stack `{}` to place objects there", s.name);
        let d = if let Some(owner) = view.owners.get(ns) {
            Diagnostic::new(
                Code::UnknownNamespace,
                format!("{what} `{name}` is placed in namespace `{ns}`, which stack `{owner}` owns"),
                span,
                "another stack's namespace",
            )
            .with_help(format!("{use_it}; the stack then depends on `{owner}`"))
        } else if is_cluster(ns) {
            Diagnostic::new(
                Code::UnknownNamespace,
                format!("{what} `{name}` is placed in Kubernetes' namespace `{ns}`, which this stack does not declare"),
                span,
                "undeclared namespace",
            )
            .with_help(use_it)
        } else {
            let mut d = Diagnostic::new(
                Code::UnknownNamespace,
                format!("{what} `{name}` is placed in namespace `{ns}`, which no stack declares"),
                span,
                "unknown namespace",
            );
            if let Some(c) = view.unowned.get(ns).and_then(|(_, placed)| placed.as_ref()) {
                d = d.with_help(format!("did you mean `{c}`?"));
            }
            d
        };
        diags.push(d);
    }
}
