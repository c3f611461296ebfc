//! Types as the checker sees them, and the definitions of schemas and enums.

use std::fmt;

use hl_diagnostics::{FileId, Span};
use hl_types::Scalar;

#[derive(Clone, Debug, PartialEq)]
pub enum Ty {
    Any,
    String,
    Int,
    Float,
    Bool,
    Scalar(Scalar),
    /// The name of a stack in the workspace, written as a bare name: `depends_on = [platform]`.
    StackRef,
    List(Box<Ty>),
    Map(Box<Ty>, Box<Ty>),
    Schema(String),
    Enum(String),
    Optional(Box<Ty>),
    /// A type annotation that did not resolve; already reported.
    Error,
}

impl Ty {
    pub fn strip_optional(&self) -> &Ty {
        match self {
            Ty::Optional(t) => t.strip_optional(),
            t => t,
        }
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Any => f.write_str("Any"),
            Ty::String => f.write_str("String"),
            Ty::Int => f.write_str("Int"),
            Ty::Float => f.write_str("Float"),
            Ty::Bool => f.write_str("Bool"),
            Ty::Scalar(s) => f.write_str(s.name()),
            Ty::StackRef => f.write_str("StackRef"),
            Ty::List(t) => write!(f, "[{t}]"),
            Ty::Map(k, v) => write!(f, "{{{k}: {v}}}"),
            Ty::Schema(s) | Ty::Enum(s) => f.write_str(s),
            Ty::Optional(t) => write!(f, "{t}?"),
            Ty::Error => f.write_str("{unknown}"),
        }
    }
}

/// A field of a schema.
#[derive(Clone, Debug)]
pub struct FieldTy {
    pub name: String,
    pub ty: Ty,
    pub optional: bool,
    /// Index of the field in the schema item, to find its default expression.
    pub index: usize,
    pub has_default: bool,
    pub doc: Option<String>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct SchemaDef {
    pub name: String,
    pub file: FileId,
    pub item: u32,
    pub fields: crate::Fields<FieldTy>,
    pub doc: Option<String>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct VariantDef {
    pub name: String,
    pub payload: Option<Ty>,
    pub doc: Option<String>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct EnumDef {
    pub name: String,
    pub variants: crate::Fields<VariantDef>,
    pub doc: Option<String>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum TypeDef {
    Schema(SchemaDef),
    Enum(EnumDef),
}

/// The built-in type names.
pub fn builtin(name: &str) -> Option<Ty> {
    Some(match name {
        "Any" => Ty::Any,
        "String" => Ty::String,
        "Int" => Ty::Int,
        "Float" => Ty::Float,
        "Bool" => Ty::Bool,
        "StackRef" => Ty::StackRef,
        _ => return Scalar::from_name(name).map(Ty::Scalar),
    })
}

pub const BUILTIN_NAMES: &[&str] = &[
    "Any",
    "String",
    "Int",
    "Float",
    "Bool",
    "StackRef",
    "Cpu",
    "Memory",
    "Storage",
    "Duration",
    "Port",
    "DnsLabel",
    "Hostname",
    "Ip",
    "Cidr",
    "Image",
    "Path",
    "PortRef",
    "IntOrPercent",
];
