//! Domain checks: the homelab's conventions (infra-facts §8) as rules over the model.
//!
//! Each rule reads the model and reports [`Finding`]s; one module per area in `rules/`.
//! Every finding belongs to a stack, so that a stack can waive a warning with a reason
//! (`waive = { "E0513": "why" }`). Errors cannot be waived.
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
mod index;
pub(crate) mod rules;

use std::sync::Arc;

use hl_diagnostics::{Code, Diagnostic, Severity, did_you_mean, lookup};
use hl_model::{Model, Stack};

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
    rules::run_stack(&rules::Ctx { globals, view, stack, other }, &mut findings);
    apply_waivers(stack, findings)
}

/// The findings that belong to no stack, which cannot be waived: the Proxmox host and its VMs,
/// and the host's backup steps that start together. Reads the workspace's globals, never
/// `globals.stacks`.
///
/// A stack's backup job that starts with a host step is the stack's finding ([`check_stack`]);
/// a host step is only ever reported against another host step.
pub fn check_global(globals: &Model) -> Checked {
    let mut out = Checked::default();
    rules::run_global(globals, &mut out.diagnostics);
    out
}

fn sort_waived(waived: &mut [Waived]) {
    waived.sort_by(|a, b| (&a.stack, a.code, &a.message).cmp(&(&b.stack, b.code, &b.message)));
}

/// Validate the stack's waivers, then take the warnings they accept out of its findings.
fn apply_waivers(stack: &Stack, findings: Vec<Diagnostic>) -> Checked {
    let mut out = Checked::default();
    let mut used = Vec::new();
    // Validate the waivers themselves.
    let mut valid: Vec<(usize, &'static str)> = Vec::new();
    for (wi, w) in stack.waivers.iter().enumerate() {
        let Some(info) = lookup(&w.code) else {
            let names = hl_diagnostics::CODES.iter().filter(|c| c.severity == Severity::Warning).map(|c| c.name);
            let mut d = Diagnostic::new(
                Code::InvalidWaiver,
                format!("`{}` is not a diagnostic code", w.code),
                w.span,
                "unknown code",
            );
            d = match did_you_mean(&w.code, names) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None => d.with_help("`hlc explain` lists every code; only warnings can be waived"),
            };
            out.diagnostics.push(d);
            continue;
        };
        if matches!(info.code, "E0591" | "E0592") {
            out.diagnostics.push(
                Diagnostic::new(
                    Code::InvalidWaiver,
                    format!("{} ({}) is about waivers and cannot itself be waived", info.code, info.name),
                    w.span,
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
                    w.span,
                    "errors cannot be waived",
                )
                .with_help("fix the problem instead; only warnings can be accepted with a reason"),
            );
            continue;
        }
        if w.reason.trim().is_empty() {
            out.diagnostics.push(
                Diagnostic::new(Code::InvalidWaiver, "a waiver needs a reason", w.span, "empty reason")
                    .with_help("say why the warning is acceptable for this stack"),
            );
            continue;
        }
        valid.push((wi, info.code));
    }
    for d in findings {
        let code = d.code.info().code;
        // The first valid waiver of the code accepts every warning with it.
        let waiver = match d.severity {
            Severity::Warning => valid.iter().find(|(_, c)| *c == code).map(|(wi, _)| *wi),
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
    for (wi, code) in &valid {
        if !used.contains(wi) {
            let w = &stack.waivers[*wi];
            out.diagnostics.push(
                Diagnostic::new(
                    Code::UnusedWaiver,
                    format!("stack `{}` waives {code}, which it does not trigger", stack.name),
                    w.span,
                    "nothing to waive",
                )
                .with_help("remove the waiver"),
            );
        }
    }
    sort_waived(&mut out.waived);
    out
}
