//! Domain checks: the homelab's conventions (infra-facts §8) as rules over the model.
//!
//! Each rule reads the model and reports [`Finding`]s; one module per area in `rules/`.
//! Every finding belongs to a stack, so that a stack can waive a warning with a reason
//! (`waive = { "E0513": "why" }`). Errors cannot be waived. After the stack's own waivers
//! (exceptions, with their own reasons), the workspace's policy (`cluster { rules = { ... } }`)
//! applies to every finding of a domain rule left: turned off with a reason, or reported as an
//! error or a warning.
//!
//! Invariant: checks are read-only over the model and every diagnostic points back at the
//! declaration it is about.
//!
//! The checks run per stack, so that an incremental caller re-checks only the stacks an edit
//! touched. A stack's findings ([`check_stack`]) depend on the stack, the workspace's globals
//! (everything in [`Model`] but `stacks`) and its [`StackView`] of the other stacks, which a
//! [`CheckIndex`] of every stack's [`StackSummary`] gives. The findings that belong to no stack
//! come from [`check_global`]. [`check`] is the two together over a whole model:
//!
//! ```text
//!  stack ─StackSummary::of─▶ summary ─┐
//!                                     ├─CheckIndex::new─▶ index ─view(stack)─▶ StackView
//!  (every stack, in model order)  ────┘                                          │
//!  globals + StackView + stack ─check_stack─▶ Checked      globals ─check_global─▶ Checked
//! ```

#![warn(missing_docs)]

pub mod backup;
pub mod crd;
mod index;
pub(crate) mod rules;

use std::collections::BTreeSet;
use std::sync::Arc;

use hl_diagnostics::{Code, Diagnostic, Severity, did_you_mean, lookup};
use hl_model::{Facts, Model, RuleSetting, Stack};

pub use index::{CheckIndex, StackSummary, StackView};

/// A diagnostic and the stack it belongs to (an index into `model.stacks`), if any: findings
/// about the Proxmox host and its VMs belong to no stack and cannot be waived.
#[derive(Clone, Debug)]
pub struct Finding {
    /// Index into `model.stacks` of the stack the finding is about; `None` for the Proxmox
    /// host, its VMs and the host backup steps, which no stack can waive.
    pub stack: Option<usize>,
    /// The problem itself.
    pub diagnostic: Diagnostic,
}

/// A warning a stack accepted, with the stack's reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Waived {
    /// The stack that accepted the warning.
    pub stack: String,
    /// The warning's code (`E0513`), whether the waiver named it by code or by name.
    pub code: &'static str,
    /// The warning's message, as it would have been reported.
    pub message: String,
    /// The stack's reason for accepting it.
    pub reason: String,
}

/// The result of checking a model.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Checked {
    /// Every finding that was not waived, plus the problems with the waivers themselves
    /// (`E0591`, `E0592`); not yet sorted.
    pub diagnostics: Vec<Diagnostic>,
    /// The warnings the stacks accepted, sorted by stack, code and message.
    pub waived: Vec<Waived>,
}

/// Run every rule, then apply the stacks' waivers. The model is only read.
///
/// The same as [`check_global`] and, for every stack, [`check_stack`] with its view of a
/// [`CheckIndex`] of the whole model; the waived warnings sorted by stack, code and message.
pub fn check(model: &Model) -> Checked {
    let summaries: Vec<StackSummary> = model.stacks.iter().map(|s| StackSummary::of(s)).collect();
    let index = CheckIndex::new(model.stacks.iter().zip(&summaries).map(|(s, sum)| (s.name.as_str(), sum)));
    let other = model.stack_lookup();
    let stacks = model.stacks.iter().map(|stack| check_stack(model, &index.view(stack), stack, &other));
    join(std::iter::once(check_global(model)).chain(stacks))
}

/// The results of [`check_global`] and of [`check_stack`] for every stack, as one: the
/// diagnostics in the order given, the waived warnings sorted by stack, code and message.
pub fn join(parts: impl IntoIterator<Item = Checked>) -> Checked {
    let mut out = Checked::default();
    for c in parts {
        out.diagnostics.extend(c.diagnostics);
        out.waived.extend(c.waived);
    }
    sort_waived(&mut out.waived);
    out
}

/// Every finding about one stack, with its waivers applied: the rules' findings it does not
/// waive, the problems with its waivers (E0591, E0592), and the warnings it waived (sorted by
/// code and message).
///
/// Reads `stack`, `view` (from [`CheckIndex::view`] of the same model) and the workspace's
/// globals, never `globals.stacks`. Where a finding is labelled with a declaration of another
/// stack (the ingress that serves the same host first, say), that stack is fetched with
/// `other(name)`, and only then; a label whose stack `other` does not know is left out.
pub fn check_stack(
    globals: &Model,
    view: &StackView,
    stack: &Stack,
    other: &dyn Fn(&str) -> Option<Arc<Stack>>,
) -> Checked {
    let mut findings = Vec::new();
    let waived_by_other = std::cell::RefCell::new(Vec::new());
    let overlap_partners = std::cell::RefCell::new(Vec::new());
    let cx = rules::Ctx {
        globals,
        view,
        stack,
        other,
        waived_by_other: &waived_by_other,
        overlap_partners: &overlap_partners,
    };
    rules::run_stack(&cx, &mut findings);
    // The stack's own waivers first (an exception, with its own reason), then the workspace's
    // policy over what is left.
    let mut out = apply_waivers(stack, findings, &view.paired_by_later, &overlap_partners.into_inner());
    for (d, by, reason) in waived_by_other.into_inner() {
        out.waived.push(Waived {
            stack: stack.name.clone(),
            code: d.code.info().code,
            message: d.message,
            reason: format!("waived by stack `{by}`: {reason}"),
        });
    }
    let (diagnostics, by_policy) = apply_policy(&globals.facts, &stack.name, out.diagnostics);
    out.diagnostics = diagnostics;
    out.waived.extend(by_policy);
    sort_waived(&mut out.waived);
    out
}

/// The findings that belong to no stack, which cannot be waived: the Proxmox host and its VMs,
/// and the host's backup steps that start together. Reads the workspace's globals, never
/// `globals.stacks`.
///
/// A stack's backup job that starts with a host step is the stack's finding ([`check_stack`]);
/// a host step is only ever reported against another host step.
pub fn check_global(globals: &Model) -> Checked {
    let mut findings = Vec::new();
    rules::run_global(globals, &mut findings);
    let (diagnostics, mut waived) = apply_policy(&globals.facts, "", findings);
    let mut out = Checked { diagnostics, ..Checked::default() };
    out.diagnostics.extend(policy_problems(&globals.facts));
    sort_waived(&mut waived);
    out.waived = waived;
    out
}

/// Whether the workspace may set a rule's severity: the domain rules (E05xx, E06xx), except
/// those about waivers themselves. The language's own errors are not policy.
fn is_policy_rule(code: &str) -> bool {
    (code.starts_with("E05") || code.starts_with("E06")) && !matches!(code, "E0591" | "E0592")
}

/// The workspace's setting of a rule, by its code or its name.
fn setting<'f>(facts: &'f Facts, code: &str, name: &str) -> Option<&'f RuleSetting> {
    facts.rules.get(code).or_else(|| facts.rules.get(name)).map(|(s, _)| s)
}

/// The workspace's policy over one stack's findings (or, with `stack` empty, the findings of
/// no stack): a rule turned off is taken out and recorded as waived with the workspace's
/// reason; a rule set to `error` or `warning` is reported with that severity.
fn apply_policy(facts: &Facts, stack: &str, findings: Vec<Diagnostic>) -> (Vec<Diagnostic>, Vec<Waived>) {
    if facts.rules.is_empty() {
        return (findings, Vec::new());
    }
    let mut kept = Vec::with_capacity(findings.len());
    let mut waived = Vec::new();
    for mut d in findings {
        let info = d.code.info();
        match setting(facts, info.code, info.name).filter(|_| is_policy_rule(info.code)) {
            Some(RuleSetting::Off(reason)) => waived.push(Waived {
                stack: if stack.is_empty() { "(workspace)".to_string() } else { stack.to_string() },
                code: info.code,
                message: d.message.clone(),
                reason: format!("workspace policy: {reason}"),
            }),
            Some(RuleSetting::Error) => {
                d.severity = Severity::Error;
                kept.push(d);
            }
            Some(RuleSetting::Warning) => {
                d.severity = Severity::Warning;
                kept.push(d);
            }
            None => kept.push(d),
        }
    }
    (kept, waived)
}

/// What is wrong with the workspace's rule settings: an unknown code or name, a rule that is
/// not a domain rule, an empty reason.
fn policy_problems(facts: &Facts) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (key, (s, span)) in &facts.rules {
        let Some(info) = lookup(key) else {
            let names = hl_diagnostics::CODES.iter().filter(|c| is_policy_rule(c.code)).map(|c| c.name);
            let mut d = Diagnostic::new(
                Code::InvalidWaiver,
                format!("`{key}` is not a diagnostic code"),
                *span,
                "unknown code",
            );
            d = match did_you_mean(key, names) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None => d.with_help("`hlc explain` lists every code"),
            };
            out.push(d);
            continue;
        };
        if !is_policy_rule(info.code) {
            out.push(
                Diagnostic::new(
                    Code::InvalidWaiver,
                    format!("{} ({}) is not a domain rule: the workspace cannot change it", info.code, info.name),
                    *span,
                    "not a policy rule",
                )
                .with_help("only the homelab's conventions (E05xx, E06xx) are policy; fix the problem instead"),
            );
            continue;
        }
        if let RuleSetting::Off(reason) = s
            && hl_diagnostics::placeholder_reason(reason)
        {
            let label = match reason.trim() {
                "" => "empty reason".to_string(),
                r => format!("`{r}` is a placeholder, not a reason"),
            };
            out.push(
                Diagnostic::new(Code::InvalidWaiver, "turning a rule off needs a reason", *span, label)
                    .with_help("say why the rule does not apply to this homelab"),
            );
        }
    }
    out
}

/// The other sides of a stack's backup overlaps, sorted: those of its own findings, and the
/// later stacks that pair with it.
fn overlap_partners(partners: &[(String, String)], paired_by_later: &BTreeSet<String>) -> Vec<String> {
    let all: BTreeSet<&String> = partners.iter().map(|(_, p)| p).chain(paired_by_later).collect();
    all.into_iter().cloned().collect()
}

/// `` `a` ``, `` `a` and `b` ``, `` `a`, `b` and `c` ``.
fn list(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => quoted.concat(),
    }
}

/// Sorted, and each warning once: a finding that a rule raised twice with the same message is
/// printed once (`sort_and_dedup`), and so it is counted once among the waived.
fn sort_waived(waived: &mut Vec<Waived>) {
    waived.sort_by(|a, b| (&a.stack, a.code, &a.message).cmp(&(&b.stack, b.code, &b.message)));
    waived.dedup();
}

/// Validate the stack's waivers, then take the warnings they accept out of its findings.
///
/// A waiver of E0516 (a backup overlap, between two stacks or within one) names the other side
/// of the overlaps it accepts: `"E0516 with mailserver"`. It accepts this stack's findings
/// that pair with a stack it names (`partners`: each finding's message with its other side),
/// and it is used too when a later stack it names pairs with this one (`paired_by_later`:
/// either side may waive). One that accepts nothing while the stack's backups overlap others
/// is stale: E0592 names the new pairing, so that an overlap that moved is never accepted by a
/// reason written for another.
fn apply_waivers(
    stack: &Stack,
    findings: Vec<Diagnostic>,
    paired_by_later: &BTreeSet<String>,
    partners: &[(String, String)],
) -> Checked {
    let mut out = Checked::default();
    let mut used = Vec::new();
    // Validate the waivers themselves.
    let mut valid: Vec<(usize, &'static str)> = Vec::new();
    // One mistake, one diagnostic: while a waiver is rejected, the warnings it was written to
    // accept are held back (they would be reported as a second finding of the same mistake):
    // those of its code, or every warning of the stack when the code itself is misspelt.
    let mut held: Vec<&'static str> = Vec::new();
    let mut hold_all = false;
    for (wi, w) in stack.waivers.iter().enumerate() {
        let Some(info) = lookup(&w.code) else {
            let names = hl_diagnostics::CODES.iter().filter(|c| c.severity == Severity::Warning).map(|c| c.name);
            let mut d = Diagnostic::new(
                Code::InvalidWaiver,
                format!("`{}` is not a diagnostic code", w.code),
                w.code_span,
                "unknown code",
            );
            d = match did_you_mean(&w.code, names) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None => d.with_help("`hlc explain` lists every code; only warnings can be waived"),
            };
            out.diagnostics.push(d);
            hold_all = true;
            continue;
        };
        if matches!(info.code, "E0591" | "E0592") {
            out.diagnostics.push(
                Diagnostic::new(
                    Code::InvalidWaiver,
                    format!("{} ({}) is about waivers and cannot itself be waived", info.code, info.name),
                    w.code_span,
                    "not waivable",
                )
                .with_help("fix or remove the waiver it reports"),
            );
            continue;
        }
        if info.severity == Severity::Error {
            out.diagnostics.push(
                Diagnostic::new(
                    Code::InvalidWaiver,
                    format!("{} ({}) is an error and cannot be waived", info.code, info.name),
                    w.code_span,
                    "errors cannot be waived",
                )
                .with_help("fix the problem instead; only warnings can be accepted with a reason"),
            );
            continue;
        }
        if !w.with.is_empty() && info.code != "E0516" {
            out.diagnostics.push(
                Diagnostic::new(
                    Code::InvalidWaiver,
                    format!("a waiver of {} names no other stack", info.code),
                    w.code_span,
                    "`with` belongs to E0516 only",
                )
                .with_help(format!("only a backup overlap (E0516) pairs two stacks; write `\"{}\"`", info.code)),
            );
            held.push(info.code);
            continue;
        }
        if info.code == "E0516" && w.with.is_empty() {
            let now = overlap_partners(partners, paired_by_later);
            let help = if now.is_empty() {
                "name the stack whose backups overlap this one's: `\"E0516 with <stack>\"`".to_string()
            } else {
                format!("name the stacks whose backups overlap this one's now: `\"E0516 with {}\"`", now.join(", "))
            };
            let mut d = Diagnostic::new(
                Code::InvalidWaiver,
                "a waiver of E0516 names the stack it overlaps with",
                w.code_span,
                "which overlap does it accept?",
            )
            .with_help(help);
            // The key found where it is written (not the reason's place): name the overlaps
            // the stack has now, keeping the author's reason.
            if !now.is_empty() && w.code_span != w.span {
                let key = format!("\"{} with {}\"", w.key, now.join(", "));
                d = d.with_fix(format!("Name the overlap: {key}"), w.code_span, key);
            }
            out.diagnostics.push(d);
            held.push(info.code);
            continue;
        }
        if hl_diagnostics::placeholder_reason(&w.reason) {
            let label = match w.reason.trim() {
                "" => "empty reason".to_string(),
                r => format!("`{r}` is a placeholder, not a reason"),
            };
            out.diagnostics.push(
                Diagnostic::new(Code::InvalidWaiver, "a waiver needs a reason", w.span, label)
                    .with_help("say why the warning is acceptable for this stack"),
            );
            held.push(info.code);
            continue;
        }
        valid.push((wi, info.code));
    }
    for d in findings {
        let code = d.code.info().code;
        if d.severity == Severity::Warning && (hold_all || held.contains(&code)) {
            continue;
        }
        // The first valid waiver of the code accepts every warning with it; for a backup
        // overlap, the first that names the finding's other side.
        let partner = partners.iter().find(|(m, _)| *m == d.message).map(|(_, p)| p.as_str());
        let names = |wi: usize| code != "E0516" || stack.waivers[wi].with.iter().any(|s| Some(s.as_str()) == partner);
        let waiver = match d.severity {
            Severity::Warning => valid.iter().find(|(wi, c)| *c == code && names(*wi)).map(|(wi, _)| *wi),
            _ => None,
        };
        match waiver {
            Some(wi) => {
                used.push(wi);
                out.waived.push(Waived {
                    stack: stack.name.clone(),
                    code,
                    message: d.message.clone(),
                    reason: stack.waivers[wi].reason.clone(),
                });
            }
            None => out.diagnostics.push(d),
        }
    }
    // The other sides of this stack's overlaps that none of its waivers of E0516 names.
    let named: BTreeSet<&str> = valid
        .iter()
        .filter(|(_, c)| *c == "E0516")
        .flat_map(|(wi, _)| stack.waivers[*wi].with.iter().map(String::as_str))
        .collect();
    let unnamed: Vec<String> =
        overlap_partners(partners, paired_by_later).into_iter().filter(|p| !named.contains(p.as_str())).collect();
    for (wi, code) in &valid {
        let w = &stack.waivers[*wi];
        let paired = *code == "E0516" && w.with.iter().any(|s| paired_by_later.contains(s));
        if used.contains(wi) || paired {
            continue;
        }
        let d = if *code == "E0516" && !unnamed.is_empty() {
            Diagnostic::new(
                Code::UnusedWaiver,
                format!(
                    "stack `{}` waives E0516 with {}, but its backups now overlap with {}",
                    stack.name,
                    list(&w.with),
                    list(&unnamed)
                ),
                w.code_span,
                "a stale pairing",
            )
            .with_help(format!(
                "stagger the schedules, or, if the new overlap is acceptable too, waive it for its own reason: `\"E0516 with {}\"`",
                unnamed.join(", ")
            ))
        } else if *code == "E0516" {
            Diagnostic::new(
                Code::UnusedWaiver,
                format!(
                    "stack `{}` waives E0516 with {}, whose backups no longer overlap its own",
                    stack.name,
                    list(&w.with)
                ),
                w.code_span,
                "nothing to waive",
            )
            .with_help("remove the waiver")
        } else {
            Diagnostic::new(
                Code::UnusedWaiver,
                format!("stack `{}` waives {code}, which it does not trigger", stack.name),
                w.code_span,
                "nothing to waive",
            )
            .with_help("remove the waiver")
        };
        out.diagnostics.push(d);
    }
    sort_waived(&mut out.waived);
    out
}
