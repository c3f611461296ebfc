//! The values a Terraform expression evaluates to, and an emitted YAML document read into the
//! same shape, so that one fact extractor reads both sides.

use std::collections::BTreeMap;

/// An evaluated value. `Unknown` is what Terraform knows only at apply time or from outside the
/// repository (a data source, Vault, a variable set in the encrypted tfvars, a computed
/// attribute): it carries where it comes from and is compared by presence only.
#[derive(Clone, Debug, PartialEq)]
pub enum V {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    List(Vec<V>),
    Map(BTreeMap<String, V>),
    /// The nested blocks of one type in a body (`container { } container { }`): a list whose
    /// elements are bodies, so the Kubernetes field names inside them are the provider's.
    Blocks(Vec<V>),
    /// `yamlencode(x)` / `jsonencode(x)`: a string, with the structure kept for comparison.
    Encoded(Box<V>),
    Unknown(String),
    /// A template whose interpolations are partly unknown: its text with each unknown one
    /// replaced by [`PLACEHOLDER`], and the first unknown. Unknown as a value; its literal
    /// structure (the keys of a YAML document) can still be read.
    Partial(String, String),
}

/// What stands in for an unknown interpolation in [`V::Partial`] text.
pub const PLACEHOLDER: &str = "hlc-fidelity-unknown";

impl V {
    pub fn unknown(from: impl Into<String>) -> V {
        V::Unknown(from.into())
    }

    /// The first unknown inside (a whole value is known only when every part is).
    pub fn unknown_part(&self) -> Option<&str> {
        match self {
            V::Unknown(s) | V::Partial(_, s) => Some(s),
            V::List(l) | V::Blocks(l) => l.iter().find_map(V::unknown_part),
            V::Map(m) => m.values().find_map(V::unknown_part),
            V::Encoded(v) => v.unknown_part(),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, V::Null)
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            V::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&BTreeMap<String, V>> {
        match self {
            V::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The elements of a list, a set or a block list.
    pub fn as_list(&self) -> Option<&[V]> {
        match self {
            V::List(l) | V::Blocks(l) => Some(l),
            _ => None,
        }
    }

    pub fn get(&self, key: &str) -> Option<&V> {
        self.as_map().and_then(|m| m.get(key))
    }

    /// A field that is one object: a map, or the first body of a single nested block.
    pub fn obj(&self, key: &str) -> Option<&V> {
        match self.get(key)? {
            V::Blocks(l) | V::List(l) => l.first(),
            v => Some(v),
        }
    }

    /// The value as the text Terraform would put in a string (numbers without a needless `.0`);
    /// `None` for collections, null and unknowns.
    pub fn text(&self) -> Option<String> {
        match self {
            V::Str(s) => Some(s.clone()),
            V::Num(n) => Some(num_text(*n)),
            V::Bool(b) => Some(b.to_string()),
            V::Encoded(v) => v.unknown_part().is_none().then(|| json_text(v)),
            _ => None,
        }
    }

    pub fn truthy(&self) -> Option<bool> {
        match self {
            V::Bool(b) => Some(*b),
            V::Str(s) if s == "true" => Some(true),
            V::Str(s) if s == "false" => Some(false),
            _ => None,
        }
    }

    pub fn num(&self) -> Option<f64> {
        match self {
            V::Num(n) => Some(*n),
            V::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// A YAML/JSON document (serde_json's model) read into a value.
    pub fn from_json(j: &serde_json::Value) -> V {
        use serde_json::Value as J;
        match j {
            J::Null => V::Null,
            J::Bool(b) => V::Bool(*b),
            J::Number(n) => V::Num(n.as_f64().unwrap_or(f64::NAN)),
            J::String(s) => V::Str(s.clone()),
            J::Array(a) => V::List(a.iter().map(V::from_json).collect()),
            J::Object(o) => V::Map(o.iter().map(|(k, v)| (k.clone(), V::from_json(v))).collect()),
        }
    }
}

pub fn num_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 { format!("{}", n as i64) } else { format!("{n}") }
}

/// JSON text of a value (Terraform's `jsonencode`: keys sorted, no spaces).
pub fn json_text(v: &V) -> String {
    match v {
        V::Null => "null".into(),
        V::Bool(b) => b.to_string(),
        V::Num(n) => num_text(*n),
        V::Str(s) => serde_json::Value::String(s.clone()).to_string(),
        V::List(l) | V::Blocks(l) => format!("[{}]", l.iter().map(json_text).collect::<Vec<_>>().join(",")),
        V::Map(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{}:{}", serde_json::Value::String(k.clone()), json_text(v)))
                .collect::<Vec<_>>()
                .join(",")
        ),
        V::Encoded(v) => serde_json::Value::String(json_text(v)).to_string(),
        V::Unknown(from) | V::Partial(_, from) => format!("\"<{from}>\""),
    }
}

/// A YAML document as JSON, comments skipped (the default buffers at most 96 comment events
/// while looking ahead, which a commented chart values file exceeds).
pub fn yaml_doc(text: &str) -> Result<serde_json::Value, serde_saphyr::Error> {
    serde_saphyr::from_str_with_options(text, serde_saphyr::options! { emit_comments: false })
}
