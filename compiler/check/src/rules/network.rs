//! Critical-path replicas and what must be unique: hosts, LoadBalancer addresses and ports.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use hl_diagnostics::{Code, Diagnostic, Span};
use hl_model::{Expose, Model};

use super::Sink;

pub fn check(model: &Model, sink: &mut Sink<'_>) {
    critical(model, sink);
    hosts(model, sink);
    load_balancers(model, sink);
}

fn critical(model: &Model, sink: &mut Sink<'_>) {
    for (si, stack) in model.stacks.iter().enumerate() {
        // A DaemonSet runs one pod per Node, and a CronJob is not a long-running service.
        let counted = |s: &&hl_model::Service| {
            matches!(s.kind, hl_model::WorkloadKind::Deployment | hl_model::WorkloadKind::StatefulSet)
        };
        for svc in stack.services.iter().filter(counted).filter(|s| s.critical && s.replicas < 3) {
            let plural = if svc.replicas == 1 { "replica" } else { "replicas" };
            sink.push(
                si,
                Diagnostic::new(
                    Code::CriticalReplicas,
                    format!("Critical-path Service `{}` runs {} {plural}", svc.name, svc.replicas),
                    svc.span,
                    "critical, fewer than 3 replicas",
                )
                .with_help("a Critical-path Service needs `replicas = 3` or more, so that a PodDisruptionBudget can keep it up"),
            );
        }
    }
}

fn hosts(model: &Model, sink: &mut Sink<'_>) {
    // Two ingresses may share a host for different paths; the same host and path is a clash.
    let mut first: BTreeMap<(&str, &str), (Span, &str)> = BTreeMap::new();
    for (si, stack) in model.stacks.iter().enumerate() {
        for ing in stack.all_ingresses() {
            for path in &ing.paths {
                match first.get(&(ing.host.as_str(), path.as_str())) {
                    Some((span, other)) => sink.push(
                        si,
                        Diagnostic::new(
                            Code::DuplicateHost,
                            format!("`{}{path}` is served by two ingresses", ing.host),
                            ing.span,
                            format!("ingress `{}`", ing.name),
                        )
                        .with_label(*span, format!("also ingress `{other}`"))
                        .with_help("give one of them another `host` or path; Traefik would route it to only one"),
                    ),
                    None => {
                        first.insert((ing.host.as_str(), path.as_str()), (ing.span, ing.name.as_str()));
                    }
                }
            }
        }
    }
}

struct LbUse<'a> {
    stack: usize,
    /// The service or frontend the Kubernetes Service belongs to.
    owner: &'a str,
    expose: &'a Expose,
}

fn load_balancers(model: &Model, sink: &mut Sink<'_>) {
    let pool =
        (model.facts.metallb_pool.0.parse::<Ipv4Addr>().ok(), model.facts.metallb_pool.1.parse::<Ipv4Addr>().ok());
    let mut by_ip: BTreeMap<&str, Vec<LbUse<'_>>> = BTreeMap::new();
    for (si, stack) in model.stacks.iter().enumerate() {
        for (owner, _, x) in stack.all_exposes() {
            let Some(ip) = &x.lb_ip else { continue };
            if let (Ok(addr), (Some(lo), Some(hi))) = (ip.parse::<Ipv4Addr>(), pool)
                && !(lo <= addr && addr <= hi)
            {
                sink.push(
                    si,
                    Diagnostic::new(
                        Code::LbIpOutsidePool,
                        format!("Service `{}` asks for {ip}, outside the MetalLB pool {lo}-{hi}", x.name),
                        x.span,
                        "not in the pool",
                    )
                    .with_help("MetalLB only hands out addresses from its pool; pick a free one in it"),
                );
            }
            by_ip.entry(ip.as_str()).or_default().push(LbUse { stack: si, owner, expose: x });
        }
    }
    for (ip, uses) in &by_ip {
        if uses.len() < 2 {
            continue;
        }
        // E0543: every user must opt into sharing, and all must use the Cluster policy.
        for u in uses {
            let policy = u.expose.traffic_policy.as_deref().unwrap_or("Cluster");
            let problem = if !u.expose.shared_ip {
                Some("does not set `shared_ip = true`".to_string())
            } else if policy != "Cluster" {
                Some(format!("uses `traffic_policy = {policy}`"))
            } else {
                None
            };
            if let Some(problem) = problem {
                let other = uses.iter().find(|o| !std::ptr::eq(o.expose, u.expose));
                let mut d = Diagnostic::new(
                    Code::SharedIpConflict,
                    format!("Service `{}` shares {ip} but {problem}", u.expose.name),
                    u.expose.span,
                    "on a shared address",
                )
                .with_help("on a shared address every Service needs `shared_ip = true` and `traffic_policy = Cluster`; a Service that needs the client address (Local) gets its own address");
                if let Some(o) = other {
                    d = d.with_label(o.expose.span, format!("`{}` also uses {ip}", o.expose.name));
                }
                sink.push(u.stack, d);
            }
        }
        // E0544: one port (and protocol) per shared address.
        let mut ports: BTreeMap<(u16, &str), &LbUse<'_>> = BTreeMap::new();
        for u in uses {
            for p in &u.expose.ports {
                match ports.get(&(p.port, p.protocol.as_str())) {
                    Some(prev) if !std::ptr::eq(prev.expose, u.expose) => sink.push(
                        u.stack,
                        Diagnostic::new(
                            Code::SharedIpPort,
                            format!("port {}/{} on {ip} is used by two Services", p.port, p.protocol),
                            u.expose.span,
                            format!("`{}` of `{}`", u.expose.name, u.owner),
                        )
                        .with_label(prev.expose.span, format!("`{}` of `{}`", prev.expose.name, prev.owner))
                        .with_help("use another port, or give one Service its own address"),
                    ),
                    Some(_) => {}
                    None => {
                        ports.insert((p.port, p.protocol.as_str()), u);
                    }
                }
            }
        }
    }
}
