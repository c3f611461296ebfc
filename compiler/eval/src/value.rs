//! Values: what evaluation produces. Every value keeps the span where it was written, so that
//! later stages (the domain model, checks) can point back at the source.

use std::sync::Arc;

use hl_diagnostics::{FileId, Span};
use indexmap::IndexMap;
use rustc_hash::FxBuildHasher;

/// The maps inside values (a record's fields, a map's entries): in insertion order, with a
/// fast hasher (the keys are the program's own names, not input from an adversary).
pub type Fields<V> = IndexMap<String, V, FxBuildHasher>;

#[derive(Clone, Debug, PartialEq)]
pub struct Value {
    pub kind: ValueKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ValueKind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// A number with an optional unit, as written (`256Mi`, `15m`). Checked against the
    /// expected type (CPU, memory, duration) when it is stored in a typed field.
    Quantity(Quantity),
    List(Vec<Value>),
    Map(Fields<Value>),
    Record(Arc<Record>),
    Enum(Arc<EnumValue>),
    Func(FnRef),
    /// An imported file used as a namespace: `import "x.hl" as x` then `x.name`.
    Module(FileId),
    /// The result of an expression that already produced a diagnostic. It is accepted
    /// everywhere so that one mistake is reported once.
    Error,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Quantity {
    pub number: f64,
    /// The number as written, for faithful output (`1.5`, `256`).
    pub text: String,
    pub unit: Option<String>,
}

impl Quantity {
    pub fn display(&self) -> String {
        format!("{}{}", self.text, self.unit.as_deref().unwrap_or(""))
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Record {
    /// The schema this record was checked against, if any.
    pub schema: Option<String>,
    pub fields: Fields<Value>,
    /// Where each field got its value: the entry that set it, or the schema default.
    pub field_spans: Fields<Span>,
    /// Fields that got their value from the schema's default (or `null` for an optional
    /// field), rather than from the program.
    pub defaults: rustc_hash::FxHashSet<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct EnumValue {
    pub enum_name: String,
    pub variant: String,
    pub payload: Option<Value>,
}

/// A reference to a top-level `fn` item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FnRef {
    pub file: FileId,
    pub item: u32,
}

impl Value {
    /// The text of a scalar, as an interpolation (`${...}`) writes it: strings as they are,
    /// numbers, booleans, quantities as written, enum variants without data by name; `None`
    /// for anything else.
    pub fn as_text(&self) -> Option<String> {
        Some(match &self.kind {
            ValueKind::Str(s) => s.clone(),
            ValueKind::Int(i) => i.to_string(),
            ValueKind::Float(f) => f.to_string(),
            ValueKind::Bool(b) => b.to_string(),
            ValueKind::Quantity(q) => q.display(),
            ValueKind::Enum(e) if e.payload.is_none() => e.variant.clone(),
            _ => return None,
        })
    }

    pub fn new(kind: ValueKind, span: Span) -> Self {
        Value { kind, span }
    }

    pub fn error(span: Span) -> Self {
        Value { kind: ValueKind::Error, span }
    }

    pub fn is_error(&self) -> bool {
        matches!(self.kind, ValueKind::Error)
    }

    pub fn is_null(&self) -> bool {
        matches!(self.kind, ValueKind::Null)
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            ValueKind::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match &self.kind {
            ValueKind::Int(i) => Some(*i),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match &self.kind {
            ValueKind::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_record(&self) -> Option<&Record> {
        match &self.kind {
            ValueKind::Record(r) => Some(r),
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&[Value]> {
        match &self.kind {
            ValueKind::List(l) => Some(l),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&Fields<Value>> {
        match &self.kind {
            ValueKind::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_enum(&self) -> Option<&EnumValue> {
        match &self.kind {
            ValueKind::Enum(e) => Some(e),
            _ => None,
        }
    }

    pub fn as_quantity(&self) -> Option<&Quantity> {
        match &self.kind {
            ValueKind::Quantity(q) => Some(q),
            _ => None,
        }
    }

    /// A short description of the value's type for messages: `Int`, `Memory quantity`, ...
    pub fn describe(&self) -> String {
        match &self.kind {
            ValueKind::Null => "`null`".into(),
            ValueKind::Bool(_) => "`Bool`".into(),
            ValueKind::Int(_) => "`Int`".into(),
            ValueKind::Float(_) => "`Float`".into(),
            ValueKind::Str(_) => "`String`".into(),
            ValueKind::Quantity(q) => match q.unit.as_deref().and_then(hl_types::unit_kind) {
                Some(hl_types::UnitKind::Memory) => format!("memory quantity `{}`", q.display()),
                Some(hl_types::UnitKind::Duration) => format!("duration `{}`", q.display()),
                Some(hl_types::UnitKind::MilliOrMinute) => format!("quantity `{}`", q.display()),
                None => format!("quantity `{}`", q.display()),
            },
            ValueKind::List(_) => "a list".into(),
            ValueKind::Map(_) => "a map".into(),
            ValueKind::Record(r) => match &r.schema {
                Some(s) => format!("`{s}` record"),
                None => "a record".into(),
            },
            ValueKind::Enum(e) => format!("`{}` value `{}`", e.enum_name, e.variant),
            ValueKind::Func(_) => "a function".into(),
            ValueKind::Module(_) => "an imported module".into(),
            ValueKind::Error => "an invalid value".into(),
        }
    }
}

impl Record {
    pub fn get(&self, field: &str) -> Option<&Value> {
        self.fields.get(field)
    }

    /// Whether the program set this field (rather than a default filling it in).
    pub fn is_explicit(&self, field: &str) -> bool {
        self.fields.contains_key(field) && !self.defaults.contains(field)
    }
}
