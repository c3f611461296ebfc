//! Namespaces: a tier on each, requests within the tier's quota, Guaranteed memory in tiers 0-2.

use std::collections::BTreeMap;

use hl_diagnostics::{Code, Diagnostic, Span};
use hl_model::{Model, NamespaceTier, Resources, Service, WorkloadKind, parse_bytes, parse_cpu_milli};

use super::Sink;

#[derive(Default)]
struct Usage {
    cpu: u64,
    memory: u64,
    memory_limit: u64,
    pods: u64,
    /// The largest contributors, for labels.
    services: Vec<(Span, String, u64)>,
}

pub fn check(model: &Model, sink: &mut Sink<'_>) {
    // Sum requests per namespace over the whole workspace.
    let mut usage: BTreeMap<&str, Usage> = BTreeMap::new();
    let tier_of: BTreeMap<&str, (usize, NamespaceTier, bool, Span)> = model
        .stacks
        .iter()
        .enumerate()
        .flat_map(|(si, s)| {
            s.owned_namespaces().filter_map(move |n| n.tier.map(|t| (n.name.as_str(), (si, t, n.custom_quota, n.span))))
        })
        .collect();
    for (si, stack) in model.stacks.iter().enumerate() {
        // A namespace the stack only uses has its owner's tier, or none (Kubernetes' own, which
        // no stack may own: that is reported as E0407 instead).
        for ns in stack.owned_namespaces() {
            if ns.tier.is_none() && !model.facts.cluster_namespaces.contains(&ns.name) {
                sink.push(
                    si,
                    Diagnostic::new(
                        Code::NamespaceTier,
                        format!("namespace `{}` has no Namespace tier", ns.name),
                        ns.span,
                        "no `tier`",
                    )
                    .with_help("set `tier = core | cluster | gpu | edge | aux`; without it the namespace gets the fallback LimitRange, no quota and no priority"),
                );
            }
        }
        for svc in &stack.services {
            let Some((_, tier, _, _)) = tier_of.get(svc.namespace.as_str()) else { continue };
            let Some(policy) = model.facts.tier_policies.get(tier) else { continue };
            let pods = match svc.kind {
                WorkloadKind::Deployment | WorkloadKind::StatefulSet => u64::try_from(svc.replicas).unwrap_or(0),
                WorkloadKind::CronJob | WorkloadKind::Job => 1,
                WorkloadKind::DaemonSet => u64::try_from(model.facts.node_count).unwrap_or(0),
            };
            let mut per_pod = (0u64, 0u64, 0u64);
            for r in containers(svc) {
                let cpu = r.cpu.as_deref().and_then(parse_cpu_milli).unwrap_or(policy.default_cpu_milli);
                let mem = r.memory.as_deref().and_then(parse_bytes).unwrap_or(policy.default_memory);
                let lim = r
                    .memory_limit
                    .as_deref()
                    .or(r.memory.as_deref())
                    .and_then(parse_bytes)
                    .unwrap_or(policy.default_memory_limit);
                per_pod = (per_pod.0 + cpu, per_pod.1 + mem, per_pod.2 + lim);
            }
            let u = usage.entry(svc.namespace.as_str()).or_default();
            u.cpu += per_pod.0 * pods;
            u.memory += per_pod.1 * pods;
            u.memory_limit += per_pod.2 * pods;
            u.pods += pods;
            u.services.push((svc.span, svc.name.clone(), per_pod.1 * pods));
            // E0523: tiers 0-2 are Guaranteed for memory.
            let burstable = containers(svc).find_map(|r| match (&r.memory, &r.memory_limit) {
                (Some(req), Some(lim)) if parse_bytes(req) != parse_bytes(lim) => Some((req, lim)),
                _ => None,
            });
            if matches!(tier, NamespaceTier::Core | NamespaceTier::Cluster | NamespaceTier::Gpu)
                && let Some((req, lim)) = burstable
            {
                sink.push(
                    si,
                    Diagnostic::new(
                        Code::MemoryNotGuaranteed,
                        format!("`{}` requests {req} of memory but may use {lim} in tier `{}`", svc.name, tier.label()),
                        svc.span,
                        "request and limit differ",
                    )
                    .with_help("in tiers 0-2 set the memory request equal to the limit (drop `memory_limit`)"),
                );
            }
        }
    }
    for (ns, u) in &usage {
        let Some((si, tier, custom, span)) = tier_of.get(ns) else { continue };
        if *custom {
            continue;
        }
        let Some(p) = model.facts.tier_policies.get(tier) else { continue };
        let mut over = Vec::new();
        if u.cpu > p.quota_cpu_milli {
            over.push(format!("CPU requests {} > {}", milli(u.cpu), milli(p.quota_cpu_milli)));
        }
        if u.memory > p.quota_memory {
            over.push(format!("memory requests {} > {}", mib(u.memory), mib(p.quota_memory)));
        }
        if u.memory_limit > p.quota_memory_limit {
            over.push(format!("memory limits {} > {}", mib(u.memory_limit), mib(p.quota_memory_limit)));
        }
        if u.pods > p.quota_pods {
            over.push(format!("pods {} > {}", u.pods, p.quota_pods));
        }
        if over.is_empty() {
            continue;
        }
        let mut d = Diagnostic::new(
            Code::QuotaExceeded,
            format!("namespace `{ns}` exceeds the `{}` quota: {}", tier.label(), over.join(", ")),
            *span,
            format!("tier `{}`", tier.label()),
        )
        .with_help("lower the requests or replicas, move the namespace to a larger tier, or opt out with `custom_quota = true`");
        let mut biggest = u.services.clone();
        biggest.sort_by(|a, b| b.2.cmp(&a.2).then(a.1.cmp(&b.1)));
        for (s, name, mem) in biggest.iter().take(3) {
            d = d.with_label(*s, format!("`{name}` requests {} of memory", mib(*mem)));
        }
        sink.push(*si, d);
    }
}

fn containers(svc: &Service) -> impl Iterator<Item = &Resources> {
    std::iter::once(&svc.resources).chain(svc.containers.iter().map(|c| &c.resources))
}

fn milli(m: u64) -> String {
    if m.is_multiple_of(1000) { format!("{}", m / 1000) } else { format!("{m}m") }
}

fn mib(b: u64) -> String {
    let mi = b / (1024 * 1024);
    if mi.is_multiple_of(1024) && mi > 0 { format!("{}Gi", mi / 1024) } else { format!("{mi}Mi") }
}
