//! Critical-path replicas and what must be unique: hosts, LoadBalancer addresses and ports.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use hl_diagnostics::{Code, Diagnostic, Span};
use hl_model::Stack;

use super::Ctx;
use crate::index::AddressUse;

pub fn check(cx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
    critical(cx, out);
    hosts(cx, out);
    load_balancers(cx, out);
}

fn critical(cx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
    let stack = cx.stack;
    // A DaemonSet runs one pod per Node, and a CronJob is not a long-running service.
    let counted = |s: &&hl_model::Service| {
        matches!(s.kind, hl_model::WorkloadKind::Deployment | hl_model::WorkloadKind::StatefulSet)
    };
    for svc in stack.services.iter().filter(counted).filter(|s| s.critical && s.replicas < 3) {
        let plural = if svc.replicas == 1 { "replica" } else { "replicas" };
        // At the `replicas` value when it is written, with the service marked; else the service.
        let mut d = Diagnostic::new(
            Code::CriticalReplicas,
            format!("Critical-path Service `{}` runs {} {plural}", svc.name, svc.replicas),
            svc.values.at("replicas", svc.span),
            "fewer than 3 replicas",
        )
        .with_help(
            "a Critical-path Service needs `replicas = 3` or more, so that a PodDisruptionBudget can keep it up",
        );
        if let Some(critical) = svc.values.get("replicas").and(svc.values.get("critical")) {
            d = d.with_label(critical, "a Critical-path Service");
        }
        out.push(d);
    }
}

fn hosts(cx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
    // Two ingresses may share a host for different paths; the same host and path is a clash.
    // The first to serve it, in model order, keeps it: an earlier stack's (from the view), or
    // else this stack's own first.
    let mut first: BTreeMap<(&str, &str), (Span, &str)> = BTreeMap::new();
    for ing in cx.stack.all_ingresses() {
        for path in &ing.paths {
            let key = (ing.host.as_str(), path.as_str());
            let other = match cx.view.routes.get(&(ing.host.clone(), path.clone())) {
                Some(r) => {
                    let span = cx.with_stack(&r.stack, |s| s.all_ingresses().nth(r.ingress).map(|i| i.span));
                    Some((span, r.name.as_str()))
                }
                None => first.get(&key).map(|(span, name)| (Some(*span), *name)),
            };
            match other {
                Some((span, other)) => {
                    // At the host as written (`full_host` or `host`), else the ingress.
                    let at = ing.values.get("full_host").or_else(|| ing.values.get("host")).unwrap_or(ing.span);
                    let mut d = Diagnostic::new(
                        Code::DuplicateHost,
                        format!("`{}{path}` is served by two ingresses", ing.host),
                        at,
                        format!("ingress `{}`", ing.name),
                    );
                    if let Some(span) = span {
                        d = d.with_label(span, format!("also ingress `{other}`"));
                    }
                    out.push(
                        d.with_help("give one of them another `host` or path; Traefik would route it to only one"),
                    );
                }
                None => {
                    first.insert(key, (ing.span, ing.name.as_str()));
                }
            }
        }
    }
}

/// The span of the `index`-th Service of a stack's `lb_ip` value (else of the Service).
fn expose_span(stack: &Stack, index: usize) -> Option<Span> {
    stack.all_exposes().nth(index).map(|(_, _, x)| x.values.at("lb_ip", x.span))
}

fn load_balancers(cx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
    let (model, stack) = (cx.globals, cx.stack);
    let pool = model.facts.metallb_range();
    for (_, _, x) in stack.all_exposes() {
        let Some(ip) = &x.lb_ip else { continue };
        if let (Ok(addr), (Some(lo), Some(hi))) = (ip.parse::<Ipv4Addr>(), pool)
            && !(lo <= addr && addr <= hi)
        {
            out.push(
                Diagnostic::new(
                    Code::LbIpOutsidePool,
                    format!("Service `{}` asks for {ip}, outside the MetalLB pool {lo}-{hi}", x.name),
                    x.values.at("lb_ip", x.span),
                    "not in the pool",
                )
                .with_help("MetalLB only hands out addresses from its pool; pick a free one in it"),
            );
        }
    }
    // The addresses this stack shares with others or within itself: every user, of any stack,
    // in model order. Findings about the users in this stack are this stack's.
    let ours = |u: &AddressUse| u.stack == stack.name;
    let same = |a: &AddressUse, b: &AddressUse| a.stack == b.stack && a.expose == b.expose;
    let span_of = |u: &AddressUse| cx.with_stack(&u.stack, |s| expose_span(s, u.expose));
    for (ip, uses) in &cx.view.addresses {
        // E0543: every user must opt into sharing, and all must use the Cluster policy.
        let problem_of = |u: &AddressUse| {
            let policy = u.traffic_policy.as_deref().unwrap_or("Cluster");
            if !u.shared_ip {
                Some("does not set `shared_ip = true`".to_string())
            } else if policy != "Cluster" {
                Some(format!("uses `traffic_policy = {policy}`"))
            } else {
                None
            }
        };
        for (i, u) in uses.iter().enumerate().filter(|(_, u)| ours(u)) {
            let Some(problem) = problem_of(u) else { continue };
            // One mistake, one diagnostic: when a later user of the address is reported too
            // (a dedicated address taken again), the first user keeps it and only the later
            // ones are reported.
            if i == 0 && uses.iter().skip(1).any(|o| !same(o, u) && problem_of(o).is_some()) {
                continue;
            }
            let Some(span) = expose_span(stack, u.expose) else { continue };
            let other = uses.iter().find(|o| !same(o, u));
            let mut d = Diagnostic::new(
                Code::SharedIpConflict,
                format!("Service `{}` shares {ip} but {problem}", u.name),
                span,
                "on a shared address",
            )
            .with_help("on a shared address every Service needs `shared_ip = true` and `traffic_policy = Cluster`; a Service that needs the client address (Local) gets its own address");
            if let Some(o) = other
                && let Some(o_span) = span_of(o)
            {
                d = d.with_label(o_span, format!("`{}` also uses {ip}", o.name));
            }
            out.push(d);
        }
        // E0544: one port (and protocol) per shared address; the first user keeps it.
        let mut ports: BTreeMap<(u16, &str), &AddressUse> = BTreeMap::new();
        for u in uses {
            for (port, protocol) in &u.ports {
                match ports.get(&(*port, protocol.as_str())) {
                    Some(prev) if !same(prev, u) => {
                        if !ours(u) {
                            continue;
                        }
                        let Some(span) = expose_span(stack, u.expose) else { continue };
                        let mut d = Diagnostic::new(
                            Code::SharedIpPort,
                            format!("port {port}/{protocol} on {ip} is used by two Services"),
                            span,
                            format!("`{}` of `{}`", u.name, u.owner),
                        );
                        if let Some(p_span) = span_of(prev) {
                            d = d.with_label(p_span, format!("`{}` of `{}`", prev.name, prev.owner));
                        }
                        out.push(d.with_help("use another port, or give one Service its own address"));
                    }
                    Some(_) => {}
                    None => {
                        ports.insert((*port, protocol.as_str()), u);
                    }
                }
            }
        }
    }
}
