//! The stack dependency graph: explicit `depends_on` edges plus the dependencies the compiler
//! infers from references, cycle detection with the whole path, and apply waves.
//!
//! Invariants: node and edge order follow stack names, so output is stable; the graph is
//! either acyclic or every cycle is diagnosed (and waves are then computed on the acyclic
//! part only).

#![warn(missing_docs)]

use std::collections::{BTreeMap, BTreeSet};

use hl_diagnostics::{Code, Diagnostic, Span};
use hl_model::{Facts, Model, Stack};
use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use rustc_hash::FxHashMap;

/// Why one stack depends on another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EdgeKind {
    /// Written in `depends_on`.
    Explicit,
    /// Inferred by the compiler; the string says from what.
    Inferred(String),
    /// A service reaches another stack's service by its cluster DNS name (in an env value, a
    /// command or a script): a run-time address, not something its objects need to be
    /// applied. It orders the two stacks where it can; where it would make a Tier 0 stack wait
    /// for a Tier 1 one or close a cycle, it is set aside ([`Graph::set_aside`]) instead of
    /// being an error.
    Runtime(String),
}

/// `from` must be applied after `to`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edge {
    /// The dependent stack.
    pub from: String,
    /// The stack it depends on; always a declared stack other than `from`.
    pub to: String,
    /// Whether it was written or inferred.
    pub kind: EdgeKind,
    /// The `depends_on` entry, or the declaration the dependency was inferred from.
    pub span: Span,
}

/// The stack dependency graph of a model, and the order in which its stacks are applied.
///
/// Build it with [`build`]; write it out with [`to_json`], [`to_dot`], [`to_mermaid`] or
/// [`to_text`].
///
/// ```
/// use hl_graph::Graph;
///
/// let mut g = Graph::default();
/// g.waves = vec![vec!["platform".to_string()], vec!["freshrss".to_string(), "immich".to_string()]];
/// assert_eq!(g.wave_of("immich"), Some(1));
/// assert_eq!(g.wave_of("unknown"), None);
/// assert_eq!(hl_graph::to_text(&g), "wave 0: platform\nwave 1: freshrss immich\n");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Graph {
    /// Stack names, sorted.
    pub stacks: Vec<String>,
    /// State tier of each stack, by name.
    pub tiers: BTreeMap<String, i64>,
    /// Edges sorted by (from, to); at most one per pair (explicit wins over inferred, inferred
    /// over run-time).
    pub edges: Vec<Edge>,
    /// Run-time edges ([`EdgeKind::Runtime`]) that cannot order their stacks (a Tier 0 stack
    /// would wait for a Tier 1 one, or they would close a cycle), sorted by (from, to). They
    /// are shown, never applied as an order.
    pub set_aside: Vec<Edge>,
    /// Apply waves: every stack of a wave depends only on stacks of earlier waves, and every
    /// Tier 0 stack comes in a wave before every Tier 1 stack. Stacks are sorted within a wave;
    /// stacks caught in a dependency cycle are in no wave.
    pub waves: Vec<Vec<String>>,
}

impl Graph {
    /// The edges from `stack` to the stacks it depends on directly, sorted by their name.
    pub fn dependencies<'a>(&'a self, stack: &'a str) -> impl Iterator<Item = &'a Edge> + 'a {
        // Edges are sorted by `from`: find the run of this stack's edges by binary search.
        let first = self.edges.partition_point(|e| e.from.as_str() < stack);
        self.edges[first..].iter().take_while(move |e| e.from == stack)
    }

    /// The index of the wave `stack` is applied in (0 is first); `None` for an unknown stack or
    /// one caught in a cycle.
    pub fn wave_of(&self, stack: &str) -> Option<usize> {
        self.waves.iter().position(|w| w.iter().any(|s| s == stack))
    }
}

/// Build the graph of a model and diagnose cycles and forbidden edges.
///
/// The edges are each stack's `depends_on` plus the inferred ones: every Tier 1 stack on the
/// state-backend stacks, a stack with ExternalSecrets on `external-secrets`, and a stack whose
/// services name another stack's namespace in a cluster DNS name (`postgresql.dbaas`) on that
/// stack. The diagnostics are dependency cycles (each with its whole path), Tier 0 stacks that
/// depend on Tier 1 stacks, and `platform` depending on `vault`.
pub fn build(model: &Model) -> (Graph, Vec<Diagnostic>) {
    let nodes: Vec<StackNode> = model.stacks.iter().map(|s| StackNode::of(s)).collect();
    build_from(nodes.iter(), &model.facts)
}

/// What the graph needs of one stack: its name, State tier, and everything its edges come
/// from. An engine keeps one per stack and rebuilds the graph only when one changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackNode {
    name: String,
    span: Span,
    state_tier: i64,
    depends_on: Vec<(String, Span)>,
    owned: Vec<String>,
    external: Vec<(String, Span)>,
    services: Vec<ServiceUses>,
    secrets: Vec<(String, Span)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct ServiceUses {
    name: String,
    span: Span,
    /// Its first ExternalSecret.
    secret: Option<(String, Span)>,
    /// Cluster DNS names in its env values, arguments and command, as (name, namespace).
    dns: Vec<(String, String)>,
}

impl StackNode {
    /// The node of one stack.
    pub fn of(s: &Stack) -> StackNode {
        StackNode {
            name: s.name.clone(),
            span: s.span,
            state_tier: s.state_tier,
            depends_on: s.depends_on.clone(),
            owned: s.owned_namespaces().map(|n| n.name.clone()).collect(),
            external: s.external_namespaces().map(|n| (n.name.clone(), n.span)).collect(),
            services: s
                .services
                .iter()
                .map(|svc| ServiceUses {
                    name: svc.name.clone(),
                    span: svc.span,
                    secret: svc.secrets.first().map(|sec| (sec.name.clone(), sec.span)),
                    dns: svc
                        .env
                        .iter()
                        .map(|(_, v)| v.as_str())
                        .chain(svc.args.iter().map(String::as_str))
                        .chain(svc.command.iter().map(String::as_str))
                        .flat_map(cluster_dns_names)
                        .collect(),
                })
                .collect(),
            secrets: s.secrets.iter().map(|sec| (sec.name.clone(), sec.span)).collect(),
        }
    }
}

impl StackNode {
    /// The node with every position cleared: what the graph's shape depends on. An edit that
    /// only moves text leaves it equal, so an engine can tell that the graph, and whether it
    /// has problems, did not change.
    pub fn without_spans(&self) -> StackNode {
        let z = Span::default();
        StackNode {
            name: self.name.clone(),
            span: z,
            state_tier: self.state_tier,
            depends_on: self.depends_on.iter().map(|(d, _)| (d.clone(), z)).collect(),
            owned: self.owned.clone(),
            external: self.external.iter().map(|(n, _)| (n.clone(), z)).collect(),
            services: self
                .services
                .iter()
                .map(|s| ServiceUses {
                    name: s.name.clone(),
                    span: z,
                    secret: s.secret.as_ref().map(|(n, _)| (n.clone(), z)),
                    dns: s.dns.clone(),
                })
                .collect(),
            secrets: self.secrets.iter().map(|(n, _)| (n.clone(), z)).collect(),
        }
    }
}

/// Build the graph from the stacks' nodes (in model order) and the cluster facts (the
/// state-backend stacks every Tier 1 stack depends on, the dependencies that must never
/// exist); the same as [`build`] on the model they come from.
pub fn build_from<'a>(nodes: impl IntoIterator<Item = &'a StackNode>, facts: &Facts) -> (Graph, Vec<Diagnostic>) {
    let state_backend_stacks = &facts.state_backend_stacks;
    // The State tier the graph orders by: where the workspace names its bootstrap stacks, a
    // stack is Tier 0 exactly when it is one of them. A declared tier that disagrees is E0401
    // (or E0203), reported at the tier; the graph does not add its cycles and tier-order errors
    // to it (one mistake, one diagnostic).
    let tier0 = &facts.tier0_stacks;
    let tier_of = |s: &StackNode| -> i64 {
        if tier0.is_empty() { s.state_tier } else { i64::from(!tier0.iter().any(|t| t == &s.name)) }
    };
    let mut stacks: Vec<&StackNode> = nodes.into_iter().collect();
    stacks.sort_by(|a, b| a.name.cmp(&b.name));
    // Each stack's position in name order: edges are keyed and sorted by these numbers,
    // which order them exactly as their names would, without comparing strings.
    let index: FxHashMap<&str, u32> = stacks.iter().enumerate().map(|(i, s)| (s.name.as_str(), i as u32)).collect();
    let mut edges = Edges { index: &index, by_pair: FxHashMap::default() };
    // Which stack owns each namespace, to resolve `service.namespace` references.
    let mut ns_owner: FxHashMap<&str, &str> = FxHashMap::default();
    for s in &stacks {
        for n in &s.owned {
            ns_owner.entry(n.as_str()).or_insert(s.name.as_str());
        }
    }
    for s in &stacks {
        let from = s.name.as_str();
        for (dep, span) in &s.depends_on {
            edges.add(from, dep, *span, None::<fn() -> String>);
        }
        // A namespace the stack uses exists once its owner has been applied.
        for (n, span) in &s.external {
            if let Some(owner) = ns_owner.get(n.as_str()) {
                edges.add(from, owner, *span, Some(|| format!("it places objects in namespace `{n}`")));
            }
        }
        // Every Tier 1 stack keeps its state in the state backend.
        if tier_of(s) == 1 {
            for b in state_backend_stacks {
                let why = || "its Terraform state lives in this stack's PostgreSQL".to_string();
                edges.add(from, b, s.span, Some(why));
            }
        }
        for svc in &s.services {
            // ExternalSecrets need the ClusterSecretStores of `external-secrets`.
            if let Some((sec, span)) = &svc.secret {
                let why = || format!("ExternalSecret `{sec}` needs its ClusterSecretStore");
                edges.add(from, "external-secrets", *span, Some(why));
            }
            // Cluster DNS names of other stacks' services in env values and arguments.
            for (host, ns) in &svc.dns {
                if let Some(owner) = ns_owner.get(ns.as_str())
                    && *owner != s.name
                {
                    edges.add_runtime(from, owner, svc.span, || format!("service `{}` uses `{host}`", svc.name));
                }
            }
        }
        for (sec, span) in &s.secrets {
            let why = || format!("ExternalSecret `{sec}` needs its ClusterSecretStore");
            edges.add(from, "external-secrets", *span, Some(why));
        }
    }
    let mut keyed: Vec<((u32, u32), Edge)> = edges.by_pair.into_iter().collect();
    keyed.sort_unstable_by_key(|(pair, _)| *pair);
    let node_tiers: FxHashMap<&str, i64> = stacks.iter().map(|s| (s.name.as_str(), tier_of(s))).collect();
    let (edges, set_aside) = set_aside_runtime(keyed.into_iter().map(|(_, e)| e).collect(), &node_tiers);
    let mut graph = Graph {
        stacks: stacks.iter().map(|s| s.name.clone()).collect(),
        tiers: stacks.iter().map(|s| (s.name.clone(), tier_of(s))).collect(),
        edges,
        set_aside,
        waves: Vec::new(),
    };
    let spans: FxHashMap<&str, Span> = stacks.iter().map(|s| (s.name.as_str(), s.span)).collect();
    let tiers: FxHashMap<&str, i64> = stacks.iter().map(|s| (s.name.as_str(), tier_of(s))).collect();
    let mut diags = check_edges(&graph, &spans, &tiers, &facts.forbidden_dependencies);
    let (waves, cycle_diags) = layer(&graph, &tiers);
    diags.extend(cycle_diags);
    graph.waves = waves;
    (graph, diags)
}

/// The edges found so far, one per (from, to) pair: an explicit edge wins over inferred ones,
/// and of inferred ones the first stays. Edges to unknown stacks or to the stack itself are
/// left out (unknown stacks are reported where they are named).
struct Edges<'n> {
    index: &'n FxHashMap<&'n str, u32>,
    by_pair: FxHashMap<(u32, u32), Edge>,
}

impl Edges<'_> {
    /// Add an edge; `why` (the reason of an inferred edge, `None` for an explicit one) is
    /// only written out for an edge that is kept.
    fn add(&mut self, from: &str, to: &str, span: Span, why: Option<impl FnOnce() -> String>) {
        let (Some(&f), Some(&t)) = (self.index.get(from), self.index.get(to)) else { return };
        if f == t {
            return;
        }
        let explicit = why.is_none();
        match self.by_pair.get(&(f, t)) {
            Some(prev) if prev.kind == EdgeKind::Explicit => {}
            Some(prev) if !explicit && !matches!(prev.kind, EdgeKind::Runtime(_)) => {}
            _ => {
                let kind = why.map_or(EdgeKind::Explicit, |why| EdgeKind::Inferred(why()));
                self.by_pair.insert((f, t), Edge { from: from.into(), to: to.into(), kind, span });
            }
        }
    }

    /// Add a run-time edge, unless the pair already has an edge of any kind.
    fn add_runtime(&mut self, from: &str, to: &str, span: Span, why: impl FnOnce() -> String) {
        let (Some(&f), Some(&t)) = (self.index.get(from), self.index.get(to)) else { return };
        if f != t {
            self.by_pair.entry((f, t)).or_insert_with(|| Edge {
                from: from.into(),
                to: to.into(),
                kind: EdgeKind::Runtime(why()),
                span,
            });
        }
    }
}

/// Splits off the run-time edges that cannot order their stacks: one from a Tier 0 stack to a
/// Tier 1 stack, or one that would close a cycle with the edges kept so far (written and
/// inferred edges first, then run-time edges in (from, to) order, so the result does not
/// depend on the order of the stacks). Returns (kept, set aside), each sorted as given.
fn set_aside_runtime(edges: Vec<Edge>, tiers: &FxHashMap<&str, i64>) -> (Vec<Edge>, Vec<Edge>) {
    let (runtime, mut kept): (Vec<Edge>, Vec<Edge>) =
        edges.into_iter().partition(|e| matches!(e.kind, EdgeKind::Runtime(_)));
    let mut out: FxHashMap<String, Vec<String>> = FxHashMap::default();
    for e in &kept {
        out.entry(e.from.clone()).or_default().push(e.to.clone());
    }
    // Whether `goal` is reachable from `start` over the kept edges.
    let reaches = |out: &FxHashMap<String, Vec<String>>, start: &str, goal: &str| {
        let mut seen: rustc_hash::FxHashSet<&str> = Default::default();
        let mut stack = vec![start];
        while let Some(n) = stack.pop() {
            if n == goal {
                return true;
            }
            if seen.insert(n) {
                stack.extend(out.get(n).into_iter().flatten().map(String::as_str));
            }
        }
        false
    };
    let mut aside = Vec::new();
    for e in runtime {
        let tier = |s: &str| tiers.get(s).copied().unwrap_or(1);
        if (tier(&e.from) == 0 && tier(&e.to) != 0) || reaches(&out, &e.to, &e.from) {
            aside.push(e);
        } else {
            out.entry(e.from.clone()).or_default().push(e.to.clone());
            kept.push(e);
        }
    }
    kept.sort_by(|a, b| (&a.from, &a.to).cmp(&(&b.from, &b.to)));
    (kept, aside)
}

/// `host.namespace`, `host.namespace.svc` and `host.namespace.svc.cluster.local` names in a
/// string, as (name as written, namespace).
fn cluster_dns_names(text: &str) -> Vec<(String, String)> {
    // Scripts are long and have few dots, and every name has one: the words looked at are the
    // ones around a dot, found by a byte search (a name is ASCII, and every other byte ends a
    // word). After a word the search goes on past its end, so each word is looked at once.
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(off) = text.get(i..).and_then(|rest| rest.find('.')) {
        let dot = i + off;
        let mut start = dot;
        while start > 0 && in_dns_word(bytes[start - 1]) {
            start -= 1;
        }
        let mut end = dot + 1;
        while end < bytes.len() && in_dns_word(bytes[end]) {
            end += 1;
        }
        i = end;
        out.extend(cluster_dns_name(&text[start..end]));
    }
    out
}

/// Whether a byte can be part of a word that names a host: a cluster DNS name is ASCII.
fn in_dns_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'.'
}

/// The cluster DNS name one word is, if it is one, as (name as written, namespace).
fn cluster_dns_name(word: &str) -> Option<(String, String)> {
    let is_label =
        |p: &str| !p.is_empty() && p.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-');
    let token = word.trim_matches('.');
    let mut parts = token.split('.');
    let (Some(host), Some(ns)) = (parts.next(), parts.next()) else { return None };
    let rest = [parts.next(), parts.next(), parts.next(), parts.next()];
    let shape =
        matches!(rest, [None, ..] | [Some("svc"), None, ..] | [Some("svc"), Some("cluster"), Some("local"), None]);
    (shape && is_label(host) && is_label(ns)).then(|| (token.to_string(), ns.to_string()))
}

/// Edges the homelab forbids: from Tier 0 to Tier 1, and those the cluster facts name.
fn check_edges(
    graph: &Graph,
    spans: &FxHashMap<&str, Span>,
    tiers: &FxHashMap<&str, i64>,
    forbidden: &[(String, String, String)],
) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    for e in &graph.edges {
        let from_tier = tiers.get(e.from.as_str()).copied().unwrap_or(1);
        let to_tier = tiers.get(e.to.as_str()).copied().unwrap_or(1);
        if from_tier == 0 && to_tier != 0 {
            let mut d = Diagnostic::new(
                Code::TierOrder,
                format!("Tier 0 stack `{}` depends on Tier 1 stack `{}`", e.from, e.to),
                e.span,
                edge_label(e),
            )
            .with_help("bootstrap stacks are applied before everything else and cannot wait for a Tier 1 stack");
            if let Some(span) = spans.get(e.to.as_str()) {
                d = d.with_label(*span, "a Tier 1 stack");
            }
            diags.push(d);
        }
        for (_, _, why) in forbidden.iter().filter(|(from, to, _)| *from == e.from && *to == e.to) {
            diags.push(
                Diagnostic::new(
                    Code::ForbiddenDependency,
                    format!("`{}` must not depend on `{}`", e.from, e.to),
                    e.span,
                    edge_label(e),
                )
                .with_help(why.clone()),
            );
        }
    }
    diags
}

fn edge_label(e: &Edge) -> String {
    match &e.kind {
        EdgeKind::Explicit => format!("`{}` depends on `{}` here", e.from, e.to),
        EdgeKind::Inferred(why) | EdgeKind::Runtime(why) => format!("`{}` depends on `{}`: {why}", e.from, e.to),
    }
}

/// Longest-path layering over the acyclic part; every cycle is reported once with its path.
/// Node indices follow `graph.stacks`, which is in name order, so ordering nodes by index
/// orders them by name.
fn layer(graph: &Graph, tiers: &FxHashMap<&str, i64>) -> (Vec<Vec<String>>, Vec<Diagnostic>) {
    let mut g: DiGraph<&str, usize> = DiGraph::new();
    let idx: FxHashMap<&str, NodeIndex> = graph.stacks.iter().map(|s| (s.as_str(), g.add_node(s.as_str()))).collect();
    for (i, e) in graph.edges.iter().enumerate() {
        if let (Some(a), Some(b)) = (idx.get(e.from.as_str()), idx.get(e.to.as_str())) {
            g.add_edge(*a, *b, i);
        }
    }
    let mut diags = Vec::new();
    // Per node, by index: caught in a cycle; placed in a wave; a Tier 0 stack.
    let mut in_cycle = vec![false; g.node_count()];
    let mut sccs = tarjan_scc(&g);
    for scc in &mut sccs {
        scc.sort_unstable();
    }
    sccs.sort_unstable_by_key(|scc| scc.first().copied());
    for scc in sccs.iter().filter(|c| c.len() > 1) {
        for n in scc {
            in_cycle[n.index()] = true;
        }
        let path = cycle_path(&g, scc);
        let names: Vec<&str> = path.iter().map(|(n, _)| g[*n]).chain(path.first().map(|(n, _)| g[*n])).collect();
        let edges: Vec<&Edge> = path.iter().map(|(_, e)| &graph.edges[*e]).collect();
        let Some(first) = edges.first() else { continue };
        let mut d = Diagnostic::new(
            Code::DependencyCycle,
            format!("dependency cycle: {}", names.join(" -> ")),
            first.span,
            edge_label(first),
        )
        .with_help("stacks in a cycle can never be applied in order; remove one of these dependencies");
        for e in edges.iter().skip(1) {
            d = d.with_label(e.span, edge_label(e));
        }
        diags.push(d);
    }
    // Kahn-style layering: a stack's wave is one more than its deepest dependency's.
    let mut wave: Vec<Option<usize>> = vec![None; g.node_count()];
    let order: Vec<NodeIndex> = {
        // Reverse post-order of a DFS over dependencies gives dependencies first.
        let mut seen = vec![false; g.node_count()];
        let mut out = Vec::new();
        for n in g.node_indices() {
            post_order(&g, n, &mut seen, &mut out, &in_cycle);
        }
        out
    };
    // Tier 0 (bootstrap) stacks come first: every Tier 1 stack waits for all of them.
    let is_tier0: Vec<bool> = g.node_indices().map(|n| tiers.get(g[n]).copied() == Some(0)).collect();
    let tier0 = |n: NodeIndex| is_tier0[n.index()];
    for &n in order.iter().filter(|n| tier0(**n)) {
        let w = g
            .neighbors(n)
            .filter(|d| !in_cycle[d.index()] && tier0(*d))
            .filter_map(|d| wave[d.index()].map(|x| x + 1))
            .max()
            .unwrap_or(0);
        wave[n.index()] = Some(w);
    }
    let first_tier1_wave = wave.iter().flatten().max().map_or(0, |m| m + 1);
    for &n in order.iter().filter(|n| !tier0(**n)) {
        let w = g
            .neighbors(n)
            .filter(|d| !in_cycle[d.index()])
            .filter_map(|d| wave[d.index()].map(|x| x + 1))
            .max()
            .unwrap_or(0)
            .max(first_tier1_wave);
        wave[n.index()] = Some(w);
    }
    let depth = wave.iter().flatten().max().map_or(0, |m| m + 1);
    let mut waves: Vec<Vec<String>> = vec![Vec::new(); depth];
    for (n, w) in wave.iter().enumerate() {
        if let Some(w) = w {
            waves[*w].push(g[NodeIndex::new(n)].to_string());
        }
    }
    // Nodes were visited in index (name) order, so each wave is sorted already.
    (waves, diags)
}

/// Dependencies before dependents, skipping stacks caught in a cycle.
fn post_order(
    g: &DiGraph<&str, usize>,
    start: NodeIndex,
    seen: &mut [bool],
    out: &mut Vec<NodeIndex>,
    in_cycle: &[bool],
) {
    if in_cycle[start.index()] || std::mem::replace(&mut seen[start.index()], true) {
        return;
    }
    // Iterative DFS so that a long dependency chain cannot exhaust the stack.
    let mut stack: Vec<(NodeIndex, Vec<NodeIndex>)> = vec![(start, deps(g, start))];
    while let Some((node, pending)) = stack.last_mut() {
        match pending.pop() {
            Some(d) => {
                if !in_cycle[d.index()] && !std::mem::replace(&mut seen[d.index()], true) {
                    let next = deps(g, d);
                    stack.push((d, next));
                }
            }
            None => {
                out.push(*node);
                stack.pop();
            }
        }
    }
}

fn deps(g: &DiGraph<&str, usize>, n: NodeIndex) -> Vec<NodeIndex> {
    let mut d: Vec<NodeIndex> = g.neighbors(n).collect();
    // By name, last first (indices are in name order).
    d.sort_unstable_by_key(|x| std::cmp::Reverse(*x));
    d
}

/// One cycle through a strongly connected component, as (node, edge leaving it) pairs,
/// starting from the component's first stack by name.
fn cycle_path(g: &DiGraph<&str, usize>, scc: &[NodeIndex]) -> Vec<(NodeIndex, usize)> {
    let members: BTreeSet<NodeIndex> = scc.iter().copied().collect();
    let Some(&start) = scc.first() else { return Vec::new() };
    // Breadth-first search for the shortest way back to `start` inside the component.
    let mut prev: BTreeMap<NodeIndex, (NodeIndex, usize)> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    let mut found = None;
    while let Some(n) = queue.pop_front() {
        let mut out: Vec<_> = g.edges(n).map(|e| (e.target(), *e.weight())).collect();
        out.sort_by_key(|(t, _)| g[*t]);
        for (t, w) in out {
            if !members.contains(&t) {
                continue;
            }
            if t == start {
                found = Some((n, w));
                break;
            }
            if let std::collections::btree_map::Entry::Vacant(v) = prev.entry(t) {
                v.insert((n, w));
                queue.push_back(t);
            }
        }
        if found.is_some() {
            break;
        }
    }
    let Some((last, closing)) = found else { return Vec::new() };
    let mut path = vec![(last, closing)];
    let mut cur = last;
    while cur != start {
        let Some(&(p, w)) = prev.get(&cur) else { break };
        path.push((p, w));
        cur = p;
    }
    path.reverse();
    path
}

use petgraph::visit::EdgeRef;

mod picture;
pub use picture::{View, select};

/// A picture of a [`select`]ed graph: SVG and Graphviz, with the count of hidden edges.
pub mod render {
    pub use crate::picture::{to_dot, to_svg};
}

/// `graph.json`: stacks with tier, wave and dependencies, and the waves.
pub fn to_json(graph: &Graph) -> String {
    #[derive(serde::Serialize)]
    struct Doc<'a> {
        stacks: Vec<Node<'a>>,
        waves: &'a [Vec<String>],
    }
    #[derive(serde::Serialize)]
    struct Node<'a> {
        name: &'a str,
        state_tier: Option<i64>,
        wave: Option<usize>,
        depends_on: Vec<Dep<'a>>,
        /// Run-time addresses that do not order the stack ([`Graph::set_aside`]).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        uses_at_run_time: Vec<Dep<'a>>,
    }
    #[derive(serde::Serialize)]
    struct Dep<'a> {
        stack: &'a str,
        kind: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<&'a str>,
    }
    let wave_of: FxHashMap<&str, usize> =
        graph.waves.iter().enumerate().flat_map(|(i, w)| w.iter().map(move |s| (s.as_str(), i))).collect();
    let stacks = graph
        .stacks
        .iter()
        .map(|s| Node {
            name: s,
            state_tier: graph.tiers.get(s).copied(),
            wave: wave_of.get(s.as_str()).copied(),
            depends_on: graph
                .dependencies(s)
                .map(|e| match &e.kind {
                    EdgeKind::Explicit => Dep { stack: &e.to, kind: "explicit", reason: None },
                    EdgeKind::Inferred(why) => Dep { stack: &e.to, kind: "inferred", reason: Some(why) },
                    EdgeKind::Runtime(why) => Dep { stack: &e.to, kind: "runtime", reason: Some(why) },
                })
                .collect(),
            uses_at_run_time: graph
                .set_aside
                .iter()
                .filter(|e| e.from == *s)
                .map(|e| Dep {
                    stack: &e.to,
                    kind: "runtime",
                    reason: match &e.kind {
                        EdgeKind::Explicit => None,
                        EdgeKind::Inferred(why) | EdgeKind::Runtime(why) => Some(why),
                    },
                })
                .collect(),
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&Doc { stacks, waves: &graph.waves }).unwrap_or_default();
    s.push('\n');
    s
}

/// `graph.dot` for Graphviz: the picture of [`to_svg`] (waves top to bottom in rows, the edges
/// from Tier 1 to Tier 0 left out and counted in the legend).
pub fn to_dot(graph: &Graph) -> String {
    let (picked, hidden) = picture::select(graph, &View::default());
    picture::to_dot(&picked, hidden)
}

/// `graph.svg`: the picture of the whole graph as [`View::default`] shows it.
pub fn to_svg(graph: &Graph) -> String {
    let (picked, hidden) = picture::select(graph, &View::default());
    picture::to_svg(&picked, hidden)
}

/// `graph.mmd`: the same graph for Mermaid.
pub fn to_mermaid(graph: &Graph) -> String {
    let id = |s: &str| s.replace(['-', '.'], "_");
    let mut out = String::from("flowchart LR\n");
    for (i, w) in graph.waves.iter().enumerate() {
        out.push_str(&format!("  subgraph wave{i}[\"wave {i}\"]\n"));
        for s in w {
            out.push_str(&format!("    {}[\"{s}\"]\n", id(s)));
        }
        out.push_str("  end\n");
    }
    for e in &graph.edges {
        let arrow = match e.kind {
            EdgeKind::Explicit => "-->",
            EdgeKind::Inferred(_) | EdgeKind::Runtime(_) => "-.->",
        };
        out.push_str(&format!("  {} {arrow} {}\n", id(&e.from), id(&e.to)));
    }
    out
}

/// The waves as text, for `hlc graph`.
pub fn to_text(graph: &Graph) -> String {
    let mut out = String::new();
    for (i, w) in graph.waves.iter().enumerate() {
        out.push_str(&format!("wave {i}: {}\n", w.join(" ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_cluster_dns_names() {
        let names = cluster_dns_names("postgres://u@postgresql.dbaas:5432/x redis-master.redis.svc.cluster.local:6379");
        let ns: Vec<&str> = names.iter().map(|(_, n)| n.as_str()).collect();
        assert_eq!(ns, vec!["dbaas", "redis"]);
        assert!(cluster_dns_names("https://rss.viktorbarzin.me").iter().all(|(_, n)| n != "dbaas"));
    }

    /// The dot-driven search finds what reading every word found.
    #[test]
    fn dns_names_by_dots_equal_every_word_read() {
        let every_word = |text: &str| -> Vec<(String, String)> {
            text.split(|c: char| !(c.is_ascii() && in_dns_word(c as u8))).filter_map(cluster_dns_name).collect()
        };
        for text in [
            "",
            ".",
            "...",
            "a.b",
            ".a.b.",
            "a.b c.d.svc e.f.svc.cluster.local g.h.i",
            "x=redis.redis:6379;y=pg.dbaas\npsql -h db.dbaas.svc.cluster.local.",
            "é.x a.é b.c é a-b.c-d..e.f",
            "no dots at all here",
            "http://immich-server.immich.svc:2283/api and http://a.b.c.d.e",
            "A.b a.B 1.2 a_b.c a.b-",
        ] {
            assert_eq!(cluster_dns_names(text), every_word(text), "{text:?}");
        }
    }

    /// A stack that owns `ns` (its name) and whose one service names `uses` by cluster DNS.
    fn node(name: &str, tier: i64, depends_on: &[&str], uses: &[&str]) -> StackNode {
        StackNode {
            name: name.into(),
            span: Span::default(),
            state_tier: tier,
            depends_on: depends_on.iter().map(|d| (d.to_string(), Span::default())).collect(),
            owned: vec![name.into()],
            external: Vec::new(),
            services: vec![ServiceUses {
                name: name.into(),
                span: Span::default(),
                secret: None,
                dns: uses.iter().map(|ns| (format!("svc.{ns}"), ns.to_string())).collect(),
            }],
            secrets: Vec::new(),
        }
    }

    #[test]
    fn runtime_addresses_order_stacks_only_where_they_can() {
        // dbaas (Tier 0) pushes metrics to monitoring (Tier 1); monitoring's dashboards read
        // dbaas; app uses dbaas; web and api call each other by name.
        let nodes = [
            node("dbaas", 0, &[], &["monitoring"]),
            node("monitoring", 1, &[], &["dbaas"]),
            node("app", 1, &[], &["dbaas"]),
            node("web", 1, &["api"], &["api"]),
            node("api", 1, &[], &["web"]),
        ];
        let (g, diags) = build_from(&nodes, &Facts::default());
        assert!(diags.is_empty(), "{diags:?}");
        let pairs = |edges: &[Edge]| edges.iter().map(|e| format!("{}->{}", e.from, e.to)).collect::<Vec<_>>();
        assert_eq!(pairs(&g.edges), ["app->dbaas", "monitoring->dbaas", "web->api"]);
        assert_eq!(pairs(&g.set_aside), ["api->web", "dbaas->monitoring"]);
        assert!(matches!(g.edges[0].kind, EdgeKind::Runtime(_)));
        assert_eq!(g.waves, [vec!["dbaas"], vec!["api", "app", "monitoring"], vec!["web"]]);
    }
}
