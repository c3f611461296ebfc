//! `yaml(text)`: a YAML document read straight into hl values, every one of them carrying the
//! span of the call (the text has no positions in the workspace's files).

use std::fmt;

use hl_diagnostics::Span;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::value::{Fields, Value, ValueKind};

/// The YAML document `text` as an hl value whose every part has `span`.
pub(crate) fn read(text: &str, span: Span) -> Result<Value, serde_saphyr::Error> {
    serde_saphyr::with_deserializer_from_str_with_options(text, options(), |de| YamlValue(span).deserialize(de))
}

/// How `yaml` reads. Comments are skipped, never kept: keeping them buffers every comment of a
/// long block while the parser looks ahead, and a chart's values file overflows that buffer.
/// Integers are read as Helm and kubectl read them (YAML 1.1): `0755` is octal 493, as a file
/// mode in a values file means, not 755.
fn options() -> serde_saphyr::Options {
    serde_saphyr::options! { emit_comments: false, legacy_octal_numbers: true }
}

/// Reads one YAML value into an hl [`Value`] with the span it is given. Numbers are read as
/// JSON reads them: an integer that fits in 64 bits is an `Int`, any other number a `Float`,
/// and a number that is not finite (`.nan`, `.inf`) is `null`. Map keys are strings; a key
/// given twice keeps its first place and its last value.
#[derive(Clone, Copy)]
pub(crate) struct YamlValue(pub Span);

impl YamlValue {
    fn value(self, kind: ValueKind) -> Value {
        Value::new(kind, self.0)
    }

    fn float(self, f: f64) -> Value {
        self.value(if f.is_finite() { ValueKind::Float(f) } else { ValueKind::Null })
    }
}

impl<'de> DeserializeSeed<'de> for YamlValue {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for YamlValue {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(self.value(ValueKind::Bool(b)))
    }

    fn visit_i64<E>(self, i: i64) -> Result<Value, E> {
        Ok(self.value(ValueKind::Int(i)))
    }

    fn visit_u64<E>(self, u: u64) -> Result<Value, E> {
        Ok(match i64::try_from(u) {
            Ok(i) => self.value(ValueKind::Int(i)),
            Err(_) => self.float(u as f64),
        })
    }

    fn visit_i128<E>(self, i: i128) -> Result<Value, E> {
        Ok(match i64::try_from(i) {
            Ok(i) => self.value(ValueKind::Int(i)),
            Err(_) => self.float(i as f64),
        })
    }

    fn visit_u128<E>(self, u: u128) -> Result<Value, E> {
        Ok(match i64::try_from(u) {
            Ok(i) => self.value(ValueKind::Int(i)),
            Err(_) => self.float(u as f64),
        })
    }

    fn visit_f64<E>(self, f: f64) -> Result<Value, E> {
        Ok(self.float(f))
    }

    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(self.value(ValueKind::Str(s.to_string())))
    }

    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(self.value(ValueKind::Str(s)))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(self.value(ValueKind::Null))
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(self.value(ValueKind::Null))
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(v) = seq.next_element_seed(self)? {
            items.push(v);
        }
        Ok(self.value(ValueKind::List(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut fields = Fields::default();
        while let Some(key) = map.next_key::<String>()? {
            let v = map.next_value_seed(self)?;
            fields.insert(key, v);
        }
        Ok(self.value(ValueKind::Map(fields)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reader as it was before values were read straight into hl: through JSON's values.
    fn through_json(text: &str, span: Span) -> Result<Value, serde_saphyr::Error> {
        fn convert(j: &serde_json::Value, span: Span) -> Value {
            use serde_json::Value as J;
            let kind = match j {
                J::Null => ValueKind::Null,
                J::Bool(b) => ValueKind::Bool(*b),
                J::Number(n) => match n.as_i64() {
                    Some(i) => ValueKind::Int(i),
                    None => ValueKind::Float(n.as_f64().unwrap_or(f64::NAN)),
                },
                J::String(s) => ValueKind::Str(s.clone()),
                J::Array(a) => ValueKind::List(a.iter().map(|x| convert(x, span)).collect()),
                J::Object(o) => ValueKind::Map(o.iter().map(|(k, x)| (k.clone(), convert(x, span))).collect()),
            };
            Value::new(kind, span)
        }
        let doc: Result<serde_json::Value, _> = serde_saphyr::from_str_with_options(text, options());
        doc.map(|d| convert(&d, span))
    }

    #[test]
    fn reads_what_the_json_detour_read() {
        let span = Span::default();
        let docs = [
            "a: 1\nb: -2\nc: 1.5\nd: 0755\ne: 0x1f\nf: 1e3\ng: 18446744073709551615\nh: -9223372036854775808\n",
            "on: yes\noff: no\nt: true\nn: null\ntilde: ~\nempty:\n",
            "nan: .nan\n",
            "inf: -.inf\n",
            "list:\n  - 1\n  - two\n  - [3, {x: y}]\nmap: {z: 1, a: 2, m: 3}\n1: one\ntrue: key\n",
            "s: \"quoted: text\"\nlit: |\n  line one\n  line two\nfold: >\n  folded\n  text\n",
            "anchors:\n  base: &b {k: v, n: 1}\n  copy: *b\n",
            "# only a comment\n",
            "- top\n- level\n- list\n",
            "plain scalar",
        ];
        for doc in docs {
            match (read(doc, span), through_json(doc, span)) {
                (Ok(direct), Ok(detour)) => assert_eq!(direct, detour, "{doc}"),
                (Err(_), Err(_)) => {}
                (direct, detour) => panic!("{doc}: {direct:?} but before {detour:?}"),
            }
        }
        assert!(read("a: [1, 2", span).is_err());
    }
}
