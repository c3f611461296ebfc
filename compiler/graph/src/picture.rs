//! The graph for a person: a stack's neighbourhood, the edges that carry information, and a
//! picture that fits a screen (waves top to bottom, wrapped into rows).

use std::collections::BTreeSet;
use std::fmt::Write;

use crate::{EdgeKind, Graph};

/// What a picture shows.
#[derive(Clone, Debug, Default)]
pub struct View {
    /// Only this stack, what it depends on and what depends on it.
    pub focus: Option<String>,
    /// Also the edges from Tier 1 stacks to Tier 0 stacks, which every Tier 1 stack has in
    /// effect (Tier 0 is applied first) and which otherwise bury the rest.
    pub all_edges: bool,
}

/// The part of `graph` a view shows, and how many edges it hides as implied.
pub fn select(graph: &Graph, view: &View) -> (Graph, usize) {
    let tier = |s: &str| graph.tiers.get(s).copied().unwrap_or(1);
    let keep: BTreeSet<&str> = match &view.focus {
        Some(f) => {
            let mut k: BTreeSet<&str> = BTreeSet::from([f.as_str()]);
            for e in &graph.edges {
                if e.from == *f {
                    k.insert(&e.to);
                }
                if e.to == *f {
                    k.insert(&e.from);
                }
            }
            k
        }
        None => graph.stacks.iter().map(String::as_str).collect(),
    };
    let mut hidden = 0;
    let edges = graph
        .edges
        .iter()
        .filter(|e| keep.contains(e.from.as_str()) && keep.contains(e.to.as_str()))
        .filter(|e| match &view.focus {
            // In a neighbourhood, only the focus's own edges.
            Some(f) => e.from == *f || e.to == *f,
            None => true,
        })
        .filter(|e| {
            let implied = !view.all_edges && tier(&e.from) == 1 && tier(&e.to) == 0;
            hidden += usize::from(implied);
            !implied
        })
        .cloned()
        .collect();
    let picked = Graph {
        stacks: graph.stacks.iter().filter(|s| keep.contains(s.as_str())).cloned().collect(),
        tiers: graph.tiers.iter().filter(|(s, _)| keep.contains(s.as_str())).map(|(s, t)| (s.clone(), *t)).collect(),
        edges,
        set_aside: Vec::new(),
        waves: graph
            .waves
            .iter()
            .map(|w| w.iter().filter(|s| keep.contains(s.as_str())).cloned().collect::<Vec<_>>())
            .filter(|w| !w.is_empty())
            .collect(),
    };
    (picked, hidden)
}

/// Stacks in a row of the picture before it wraps.
const COLUMNS: usize = 10;
const NODE_W: f64 = 150.0;
const NODE_H: f64 = 26.0;
const GAP_X: f64 = 16.0;
const ROW_H: f64 = 78.0;
const LEFT: f64 = 70.0;
const TOP: f64 = 96.0;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// An SVG picture of `graph` (a [`select`]ed one): each wave a band of rows of at most ten
/// stacks, top to bottom in apply order; an edge from a stack up to what it depends on, solid
/// when written in `depends_on`, dashed when inferred; Tier 0 stacks filled; a legend that
/// counts the edges `hidden` as implied.
pub fn to_svg(graph: &Graph, hidden: usize) -> String {
    let mut pos: std::collections::HashMap<&str, (f64, f64)> = std::collections::HashMap::new();
    let mut bands: Vec<(usize, f64, f64)> = Vec::new();
    let mut y = TOP;
    // A small graph (a stack's neighbourhood) gives every stack a column of its own, so that an
    // edge that skips a wave never runs behind another stack; a large one wraps its waves.
    let staircase = graph.stacks.len() <= COLUMNS;
    let mut next_column = 0;
    for (i, wave) in graph.waves.iter().enumerate() {
        let top = y;
        for row in wave.chunks(COLUMNS) {
            for (c, s) in row.iter().enumerate() {
                let column = if staircase { next_column + c } else { c };
                pos.insert(s.as_str(), (LEFT + column as f64 * (NODE_W + GAP_X), y));
            }
            next_column += row.len();
            y += ROW_H;
        }
        bands.push((i, top, y));
        y += 12.0;
    }
    let columns = if staircase { graph.stacks.len().max(5) } else { COLUMNS };
    let width = LEFT + columns as f64 * (NODE_W + GAP_X) + 20.0;
    let height = y + 20.0;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">"##
    );
    out.push_str(
        r##"<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>
<rect width="100%" height="100%" fill="#ffffff"/>
"##,
    );
    // The legend.
    let _ = writeln!(
        out,
        r##"<text x="{LEFT}" y="24" font-size="16" font-weight="bold">Stack dependencies: {} stacks in {} waves, applied top to bottom</text>"##,
        graph.stacks.len(),
        graph.waves.len()
    );
    let ly = 46.0;
    let _ = writeln!(
        out,
        r##"<line x1="{LEFT}" y1="{ly}" x2="{:.0}" y2="{ly}" stroke="#333" stroke-width="1.4" marker-end="url(#arrow)"/><text x="{:.0}" y="{:.0}">depends_on, as written</text>"##,
        LEFT + 40.0,
        LEFT + 48.0,
        ly + 4.0
    );
    let _ = writeln!(
        out,
        r##"<line x1="{:.0}" y1="{ly}" x2="{:.0}" y2="{ly}" stroke="#888" stroke-width="1.2" stroke-dasharray="5,4" marker-end="url(#arrow)"/><text x="{:.0}" y="{:.0}">inferred (a namespace, a Secret store, a DNS name used)</text>"##,
        LEFT + 230.0,
        LEFT + 270.0,
        LEFT + 278.0,
        ly + 4.0
    );
    let _ = writeln!(
        out,
        r##"<rect x="{:.0}" y="{:.0}" width="22" height="14" fill="#ffe6a8" stroke="#9a6b00"/><text x="{:.0}" y="{:.0}">Tier 0 (bootstrap)</text>"##,
        LEFT + 640.0,
        ly - 7.0,
        LEFT + 668.0,
        ly + 4.0
    );
    if hidden > 0 {
        let _ = writeln!(
            out,
            r##"<text x="{LEFT}" y="{:.0}" fill="#555">{hidden} edges from Tier 1 stacks to Tier 0 stacks are not drawn: every Tier 1 stack comes after Tier 0 (hlc graph --all-edges draws them)</text>"##,
            ly + 24.0
        );
    }
    // The waves' bands.
    for (i, top, bottom) in &bands {
        let _ = writeln!(
            out,
            r##"<rect x="8" y="{:.0}" width="{:.0}" height="{:.0}" fill="{}" stroke="#e3e3e3"/><text x="14" y="{:.0}" fill="#777">wave {i}</text>"##,
            top - 20.0,
            width - 16.0,
            bottom - top + 4.0,
            if i % 2 == 0 { "#f7f9fc" } else { "#fcfcf7" },
            top - 4.0
        );
    }
    // Edges under the nodes: from a stack's top up to its dependency's bottom.
    for e in &graph.edges {
        let (Some(&(fx, fy)), Some(&(tx, ty))) = (pos.get(e.from.as_str()), pos.get(e.to.as_str())) else { continue };
        let (x1, y1, x2, y2) = (fx + NODE_W / 2.0, fy, tx + NODE_W / 2.0, ty + NODE_H);
        let bend = ((y1 - y2).abs() / 2.0).max(20.0);
        let style = match e.kind {
            EdgeKind::Explicit => r##"stroke="#333" stroke-width="1.2" stroke-opacity="0.55""##,
            EdgeKind::Inferred(_) | EdgeKind::Runtime(_) => {
                r##"stroke="#888" stroke-width="1.1" stroke-opacity="0.6" stroke-dasharray="5,4""##
            }
        };
        let _ = writeln!(
            out,
            r##"<path d="M {x1:.0} {y1:.0} C {x1:.0} {:.0}, {x2:.0} {:.0}, {x2:.0} {y2:.0}" fill="none" {style} marker-end="url(#arrow)"><title>{} depends on {}</title></path>"##,
            y1 - bend,
            y2 + bend,
            escape(&e.from),
            escape(&e.to)
        );
    }
    for s in &graph.stacks {
        let Some(&(x, y)) = pos.get(s.as_str()) else { continue };
        let tier0 = graph.tiers.get(s).copied() == Some(0);
        let (fill, stroke) = if tier0 { ("#ffe6a8", "#9a6b00") } else { ("#e8f0fe", "#3b63a8") };
        let label =
            if s.chars().count() > 22 { format!("{}…", s.chars().take(21).collect::<String>()) } else { s.clone() };
        let _ = writeln!(
            out,
            r##"<g><title>{}</title><rect x="{x:.0}" y="{y:.0}" width="{NODE_W}" height="{NODE_H}" rx="4" fill="{fill}" stroke="{stroke}"/><text x="{:.0}" y="{:.0}" text-anchor="middle">{}</text></g>"##,
            escape(s),
            x + NODE_W / 2.0,
            y + 17.0,
            escape(&label)
        );
    }
    out.push_str("</svg>\n");
    out
}

/// `graph.dot` for Graphviz, laid out like the SVG picture: waves top to bottom, each wrapped
/// into rows of ten, written edges solid and inferred ones dashed, Tier 0 stacks filled, and a
/// legend.
pub fn to_dot(graph: &Graph, hidden: usize) -> String {
    let mut out = String::from(
        "digraph stacks {\n  rankdir=TB;\n  newrank=true;\n  nodesep=0.15;\n  ranksep=0.5;\n  node [shape=box, style=\"rounded,filled\", fillcolor=\"#e8f0fe\", fontsize=11];\n",
    );
    let _ = writeln!(
        out,
        "  label=\"solid: depends_on as written; dashed: inferred; filled yellow: Tier 0{}\";\n  labelloc=t;",
        if hidden > 0 { format!("; {hidden} edges from Tier 1 to Tier 0 not drawn") } else { String::new() }
    );
    let mut previous_row_head: Option<String> = None;
    for (i, w) in graph.waves.iter().enumerate() {
        let _ = writeln!(
            out,
            "  subgraph cluster_wave{i} {{\n    label=\"wave {i}\";\n    style=dashed; color=\"#cccccc\";"
        );
        for row in w.chunks(COLUMNS) {
            let names: Vec<String> = row.iter().map(|s| format!("\"{s}\"")).collect();
            let _ = writeln!(out, "    {{ rank=same; {} }}", names.join("; "));
            for s in row {
                let tier0 = graph.tiers.get(s).copied() == Some(0);
                let fill = if tier0 { ", fillcolor=\"#ffe6a8\"" } else { "" };
                let _ = writeln!(out, "    \"{s}\" [label=\"{s}\"{fill}];");
            }
            // Rows one under the other: an invisible edge from each row's first stack to the
            // previous row's.
            if let Some(prev) = &previous_row_head {
                let _ = writeln!(out, "    \"{}\" -> \"{prev}\" [style=invis, dir=back];", row[0]);
            }
            previous_row_head = Some(row[0].clone());
        }
        out.push_str("  }\n");
    }
    for e in &graph.edges {
        let extra = match e.kind {
            EdgeKind::Explicit => "",
            EdgeKind::Inferred(_) | EdgeKind::Runtime(_) => ", style=dashed, color=\"#888888\"",
        };
        // Drawn from the dependency down to the dependent, so that waves go top to bottom.
        let _ = writeln!(out, "  \"{}\" -> \"{}\" [dir=back{extra}];", e.to, e.from);
    }
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Edge;
    use hl_diagnostics::Span;

    fn graph() -> Graph {
        let edge = |from: &str, to: &str, kind: EdgeKind| Edge {
            from: from.into(),
            to: to.into(),
            kind,
            span: Span::default(),
        };
        Graph {
            stacks: ["app", "db", "infra", "web"].map(String::from).to_vec(),
            tiers: [("app", 1), ("db", 1), ("infra", 0), ("web", 1)].map(|(s, t)| (s.to_string(), t)).into(),
            edges: vec![
                edge("app", "db", EdgeKind::Explicit),
                edge("app", "infra", EdgeKind::Explicit),
                edge("db", "infra", EdgeKind::Inferred("state".into())),
                edge("web", "app", EdgeKind::Inferred("dns".into())),
                edge("web", "infra", EdgeKind::Explicit),
            ],
            set_aside: Vec::new(),
            waves: vec![vec!["infra".into()], vec!["db".into()], vec!["app".into()], vec!["web".into()]],
        }
    }

    #[test]
    fn implied_edges_to_tier_0_are_hidden_and_counted() {
        let (g, hidden) = select(&graph(), &View::default());
        assert_eq!(hidden, 3);
        assert_eq!(g.edges.len(), 2);
        let (all, none) = select(&graph(), &View { all_edges: true, ..View::default() });
        assert_eq!((all.edges.len(), none), (5, 0));
    }

    #[test]
    fn a_neighbourhood_is_the_stack_its_dependencies_and_dependents() {
        let (g, _) = select(&graph(), &View { focus: Some("app".into()), all_edges: true });
        assert_eq!(g.stacks, ["app", "db", "infra", "web"]);
        // Only the focus's own edges: `db -> infra` and `web -> infra` are not about `app`.
        let pairs: Vec<(&str, &str)> = g.edges.iter().map(|e| (e.from.as_str(), e.to.as_str())).collect();
        assert_eq!(pairs, [("app", "db"), ("app", "infra"), ("web", "app")]);
        let (g, _) = select(&graph(), &View { focus: Some("db".into()), all_edges: false });
        assert_eq!(g.stacks, ["app", "db", "infra"]);
        assert_eq!(g.waves.len(), 3);
    }

    #[test]
    fn the_picture_names_every_stack_and_says_what_it_hides() {
        let (g, hidden) = select(&graph(), &View::default());
        let svg = to_svg(&g, hidden);
        assert!(svg.starts_with("<svg ") && svg.trim_end().ends_with("</svg>"));
        for s in ["app", "db", "infra", "web"] {
            assert!(svg.contains(&format!(">{s}</text>")), "{s} missing");
        }
        assert!(svg.contains("3 edges from Tier 1 stacks to Tier 0 stacks are not drawn"));
        assert_eq!(svg.matches("<path d=\"M").count(), 2 + 1, "two edges and the arrow head");
        let dot = to_dot(&g, hidden);
        assert!(dot.contains("rankdir=TB") && dot.contains("\"db\" -> \"app\" [dir=back]"));
        assert!(dot.contains("\"app\" -> \"web\" [dir=back, style=dashed"));
    }
}
