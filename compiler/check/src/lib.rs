//! Domain checks: the homelab's conventions (infra-facts §8) as rules over the model.
//!
//! Each rule reads the model and reports [`Finding`]s; one module per area in `rules/`.
//! Every finding belongs to a stack, so that a stack can waive a warning with a reason
//! (`waive = { "E0513": "why" }`). Errors cannot be waived.
//!
//! Invariant: checks are read-only over the model and every diagnostic points back at the
//! declaration it is about.

#![warn(missing_docs)]

pub mod backup;
pub(crate) mod rules;

use hl_diagnostics::{Code, Diagnostic, Severity, did_you_mean, lookup};
use hl_model::Model;

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
#[derive(Clone, Debug, Default)]
pub struct Checked {
    /// Every finding that was not waived, plus the problems with the waivers themselves
    /// (`E0591`, `E0592`); not yet sorted.
    pub diagnostics: Vec<Diagnostic>,
    /// The warnings the stacks accepted, sorted by stack, code and message.
    pub waived: Vec<Waived>,
}

/// Run every rule, then apply the stacks' waivers. The model is only read.
pub fn check(model: &Model) -> Checked {
    let mut findings = Vec::new();
    rules::run(model, &mut findings);
    apply_waivers(model, findings)
}

fn apply_waivers(model: &Model, findings: Vec<Finding>) -> Checked {
    let mut out = Checked::default();
    let mut used = vec![Vec::new(); model.stacks.len()];
    // Validate the waivers themselves.
    let mut valid: Vec<Vec<(usize, &'static str)>> = vec![Vec::new(); model.stacks.len()];
    for (si, stack) in model.stacks.iter().enumerate() {
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
            valid[si].push((wi, info.code));
        }
    }
    for f in findings {
        let code = f.diagnostic.code.info().code;
        let waiver = match f.stack {
            Some(si) if f.diagnostic.severity == Severity::Warning => {
                valid.get(si).and_then(|v| v.iter().find(|(_, c)| *c == code)).map(|(wi, _)| (si, *wi))
            }
            _ => None,
        };
        match waiver {
            Some((si, wi)) => {
                let stack = &model.stacks[si];
                used[si].push(wi);
                out.waived.push(Waived {
                    stack: stack.name.clone(),
                    code,
                    message: f.diagnostic.message.clone(),
                    reason: stack.waivers[wi].reason.clone(),
                });
            }
            None => out.diagnostics.push(f.diagnostic),
        }
    }
    for (si, stack) in model.stacks.iter().enumerate() {
        for (wi, code) in &valid[si] {
            if !used[si].contains(wi) {
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
    }
    out.waived.sort_by(|a, b| (&a.stack, a.code, &a.message).cmp(&(&b.stack, b.code, &b.message)));
    out
}
