//! Namespaces: a tier on each, requests within the tier's quota, Guaranteed memory where the tier says so.

use hl_diagnostics::{Code, Diagnostic};
use hl_model::parse_bytes;

use super::Ctx;
use crate::index::containers;

pub fn check(cx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
    let (model, stack) = (cx.globals, cx.stack);
    // A namespace the stack only uses has its owner's tier, or none (Kubernetes' own, which
    // no stack may own: that is reported as E0407 instead).
    for ns in stack.owned_namespaces() {
        // Only a cluster that declares tiers has a tier to give (Kyverno's, in this homelab).
        if ns.tier.is_none()
            && !model.facts.tier_policies.is_empty()
            && !model.facts.cluster_namespaces.contains(&ns.name)
        {
            out.push(
                Diagnostic::new(
                    Code::NamespaceTier,
                    format!("namespace `{}` has no Namespace tier", ns.name),
                    ns.span,
                    "no `tier`",
                )
                .with_help(format!(
                    "set `tier` to one of the cluster's tiers ({}); without it the namespace gets the fallback LimitRange, no quota and no priority",
                    tier_names(&model.facts)
                )),
            );
        }
    }
    for svc in &stack.services {
        // The tier is that of the namespace's owner, which may be another stack.
        let Some(tier) = cx.view.tiers.get(&svc.namespace) else { continue };
        let Some(policy) = model.facts.tier_policies.get(tier) else { continue };
        // E0523: a tier whose policy says so is Guaranteed for memory.
        let burstable = containers(svc).find_map(|r| match (&r.memory, &r.memory_limit) {
            (Some(req), Some(lim)) if parse_bytes(req) != parse_bytes(lim) => Some((req, lim)),
            _ => None,
        });
        if policy.guaranteed_memory
            && let Some((req, lim)) = burstable
        {
            out.push(
                Diagnostic::new(
                    Code::MemoryNotGuaranteed,
                    format!("`{}` requests {req} of memory but may use {lim} in tier `{}`", svc.name, policy.label),
                    svc.span,
                    "request and limit differ",
                )
                .with_help(
                    "this tier's pods are Guaranteed: set the memory request equal to the limit (drop `memory_limit`)",
                ),
            );
        }
    }
    // The quotas of the namespaces whose tier this stack gives, summed over every stack's
    // workloads in them (the view holds them all, in model order).
    for (ns, quota) in &cx.view.quotas {
        let Some(p) = model.facts.tier_policies.get(&quota.tier) else { continue };
        // The tier's declaration: the last one in this stack, as the last owner wins.
        let Some(span) = stack.owned_namespaces().filter(|n| &n.name == ns && n.tier.is_some()).last().map(|n| n.span)
        else {
            continue;
        };
        let (mut cpu, mut memory, mut memory_limit, mut pods) = (0u64, 0u64, 0u64, 0u64);
        let mut services = Vec::new();
        for c in &quota.usage {
            let u = c.demand.usage(p, model.facts.node_count);
            cpu += u.cpu;
            memory += u.memory;
            memory_limit += u.memory_limit;
            pods += u.pods;
            services.push((c, u.memory));
        }
        let mut over = Vec::new();
        if cpu > p.quota_cpu_milli {
            over.push(format!("CPU requests {} > {}", milli(cpu), milli(p.quota_cpu_milli)));
        }
        if memory > p.quota_memory {
            over.push(format!("memory requests {} > {}", mib(memory), mib(p.quota_memory)));
        }
        if memory_limit > p.quota_memory_limit {
            over.push(format!("memory limits {} > {}", mib(memory_limit), mib(p.quota_memory_limit)));
        }
        if pods > p.quota_pods {
            over.push(format!("pods {} > {}", pods, p.quota_pods));
        }
        if over.is_empty() {
            continue;
        }
        let mut d = Diagnostic::new(
            Code::QuotaExceeded,
            format!("namespace `{ns}` exceeds the `{}` quota: {}", p.label, over.join(", ")),
            span,
            format!("tier `{}`", p.label),
        )
        .with_help("lower the requests or replicas, move the namespace to a larger tier, or opt out with `custom_quota = true`");
        // The largest contributors, for labels; a stable sort keeps model order among equals.
        services.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.name.cmp(&b.0.name)));
        for (c, mem) in services.iter().take(3) {
            let Some(s) = cx.with_stack(&c.stack, |s| s.services.get(c.service).map(|svc| svc.span)) else { continue };
            d = d.with_label(s, format!("`{}` requests {} of memory", c.name, mib(*mem)));
        }
        out.push(d);
    }
}

fn milli(m: u64) -> String {
    if m.is_multiple_of(1000) { format!("{}", m / 1000) } else { format!("{m}m") }
}

fn mib(b: u64) -> String {
    let mi = b / (1024 * 1024);
    if mi.is_multiple_of(1024) && mi > 0 { format!("{}Gi", mi / 1024) } else { format!("{mi}Mi") }
}

/// The cluster's tiers, for a help line: `"core"`, `"aux"`, ... (or a word that there are none).
fn tier_names(facts: &hl_model::Facts) -> String {
    if facts.tier_policies.is_empty() {
        return "the cluster declares none: `cluster { tiers = { ... } }`".into();
    }
    facts.tier_policies.keys().map(|t| format!("`\"{t}\"`")).collect::<Vec<_>>().join(", ")
}
