//! Joining the roots of separately evaluated files into the workspace root.
//!
//! Each workspace file is evaluated on its own (with the files it imports and the files
//! that define types), so that an edit re-evaluates one file. Its top-level declarations
//! form a partial root; this module joins them in file order, reporting what two files both
//! set with the same diagnostics the evaluator gives within one file.

use std::collections::HashMap;
use std::sync::Arc;

use hl_diagnostics::{Code, Diagnostic, Span};

use crate::value::{Record, Value, ValueKind};

/// Join `parts` (each a root record of one file, in file order) onto `base`, the root of an
/// empty workspace (every field at its default).
pub fn merge_roots(base: &Value, parts: &[&Value]) -> (Value, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let Some(base_rec) = base.as_record() else { return (base.clone(), diags) };
    let mut fields = base_rec.fields.clone();
    let mut field_spans = base_rec.field_spans.clone();
    let mut defaults = base_rec.defaults.clone();
    // Where each map entry (`stack web`) and each single field was first set.
    let mut entry_spans: HashMap<(String, String), Span> = HashMap::new();
    for part in parts {
        let Some(rec) = part.as_record() else { continue };
        for (k, v) in &rec.fields {
            if rec.defaults.contains(k) {
                continue;
            }
            let span = rec.field_spans.get(k).copied().unwrap_or(v.span);
            if defaults.remove(k) || !fields.contains_key(k) {
                fields.insert(k.clone(), v.clone());
                field_spans.insert(k.clone(), span);
                if let ValueKind::Map(m) = &v.kind {
                    for (name, ev) in m {
                        entry_spans.insert((k.clone(), name.clone()), ev.span);
                    }
                }
                continue;
            }
            let Some(slot) = fields.get_mut(k) else { continue };
            match (&mut slot.kind, &v.kind) {
                (ValueKind::Map(into), ValueKind::Map(from)) => {
                    for (name, ev) in from {
                        let key = (k.clone(), name.clone());
                        if let Some(prev) = entry_spans.get(&key) {
                            diags.push(twice_declared(k, name, ev.span, *prev));
                            continue;
                        }
                        entry_spans.insert(key, ev.span);
                        into.insert(name.clone(), ev.clone());
                    }
                }
                _ => {
                    let prev = field_spans.get(k).copied().unwrap_or(slot.span);
                    diags.push(
                        Diagnostic::new(Code::DuplicateField, format!("`{k}` is set twice"), span, "set again here")
                            .with_label(prev, "first set here")
                            .with_help("remove one of the two"),
                    );
                }
            }
        }
    }
    let record = Record { schema: base_rec.schema.clone(), fields, field_spans, defaults };
    (Value::new(ValueKind::Record(Arc::new(record)), base.span), diags)
}

/// `{kind} {name}` (a map entry such as `stack web`) declared at `again` after `first`.
pub fn twice_declared(kind: &str, name: &str, again: Span, first: Span) -> Diagnostic {
    Diagnostic::new(Code::DuplicateField, format!("`{kind} {name}` is declared twice"), again, "declared again here")
        .with_label(first, "first declared here")
        .with_help("give each declaration its own name")
}
