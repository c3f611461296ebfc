//! All YAML output goes through here, so the serialiser can be swapped in one place.
//!
//! Documents are written by a small block-style emitter for what the emitters produce: maps,
//! sequences, strings, integers, booleans and nulls. Its output is serde-saphyr's, byte for
//! byte, with the options below (the tests compare the two on generated documents and on every
//! tricky spelling we know of); it exists because deciding per key and value whether to quote
//! was a sixth of a large build's CPU time inside serde-saphyr. Anything else (floats, byte
//! strings, enum payloads, serde-saphyr's style wrappers, keys that are not strings or are
//! longer than YAML allows a plain key to be) makes the emitter give up on the document, and
//! serde-saphyr writes it.

mod scalar;

use std::fmt::{self, Write as _};

use serde::Serialize;
use serde::ser::{self, Impossible};
use serde_saphyr::SerializerOptions;

/// Serialise one object as a YAML document (no leading `---`, one trailing newline).
///
/// Long strings stay on one line (no folded `>` blocks), so that a middleware chain or a
/// command reads exactly as it is applied; a string of several lines (a script, a config
/// file) is a literal `|` block, which reads as the file itself and is copied line by line
/// rather than escaped character by character.
pub fn to_yaml<T: Serialize>(value: &T) -> String {
    let mut out = String::new();
    write_yaml(value, &mut out);
    out
}

/// [`to_yaml`] through a scratch buffer kept between calls: the document is written into `buf`,
/// which grows to the largest document once instead of doubling its way up for every one, and
/// is copied out at its exact size.
pub fn to_yaml_buffered<T: Serialize>(value: &T, buf: &mut String) -> String {
    write_yaml(value, buf);
    buf.as_str().to_owned()
}

/// Replace the contents of `out` with the document.
fn write_yaml<T: Serialize>(value: &T, out: &mut String) {
    out.clear();
    if value.serialize(Node { out: &mut *out, at: At::Root }).is_err() {
        out.clear();
        with_serde_saphyr(value, out);
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
}

/// The options every document is written with.
fn options() -> SerializerOptions {
    let mut options = SerializerOptions::default();
    // Literal blocks for strings of several lines, but never a folded `>` block for a long
    // line: the widest column is the largest there is.
    options.prefer_block_scalars = true;
    options.folded_wrap_chars = usize::MAX;
    options
}

/// Write the document with serde-saphyr (the reference the emitter below matches).
fn with_serde_saphyr<T: Serialize>(value: &T, out: &mut String) {
    if let Err(e) = serde_saphyr::to_fmt_writer_with_options(&mut *out, value, options()) {
        // Serialising plain data structures cannot fail; keep the output honest if it does.
        out.clear();
        // Writing into a String cannot fail.
        let _ = writeln!(out, "# serialisation failed: {e}");
    }
}

/// The emitter met something it leaves to serde-saphyr.
#[derive(Debug)]
struct Unsupported;

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("left to serde-saphyr")
    }
}

impl std::error::Error for Unsupported {}

impl ser::Error for Unsupported {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Unsupported
    }
}

type Result<T = ()> = std::result::Result<T, Unsupported>;

/// Where the next node goes.
#[derive(Clone, Copy)]
enum At {
    /// The document itself, at the start of a line.
    Root,
    /// After `key:` of a key in column `col`: a scalar follows on the line, a map below at
    /// `col + 2`, a sequence below at `col` (compact style).
    Value { col: usize },
    /// After `- ` (or a further `- ` inline): the node starts here, in column `col`.
    Item { col: usize },
}

/// serde-saphyr's names for its style wrappers; documents using them are its to write.
fn saphyr_wrapper(name: &str) -> bool {
    name.starts_with("__yaml")
}

/// Longest key serde-saphyr writes as a plain `key:` (YAML's limit for implicit keys).
const MAX_SIMPLE_KEY: usize = 1024;

fn indent(out: &mut String, n: usize) {
    const SPACES: &str = "                                                                ";
    let mut n = n;
    while n > SPACES.len() {
        out.push_str(SPACES);
        n -= SPACES.len();
    }
    out.push_str(&SPACES[..n]);
}

/// Serializer methods for integers: the number as written.
macro_rules! integers {
    ($($method:ident: $ty:ty),* $(,)?) => {
        $(fn $method(self, v: $ty) -> Result {
            self.integer(v)
        })*
    };
}

/// Serializer methods for what the emitter leaves to serde-saphyr.
macro_rules! unsupported {
    ($($method:ident: $ty:ty),* $(,)?) => {
        $(fn $method(self, _: $ty) -> Result {
            Err(Unsupported)
        })*
    };
}

/// One node being written.
struct Node<'a> {
    out: &'a mut String,
    at: At,
}

impl<'a> Node<'a> {
    /// A scalar, with the space after `key:` when it is a value.
    fn scalar(self, text: &str) -> Result {
        if let At::Value { .. } = self.at {
            self.out.push(' ');
        }
        self.out.push_str(text);
        self.out.push('\n');
        Ok(())
    }

    fn string(self, s: &str) -> Result {
        if let At::Value { .. } = self.at {
            self.out.push(' ');
        }
        if s.as_bytes().contains(&b'\n') {
            let body = match self.at {
                At::Root => 2,
                At::Value { col } => col + 2,
                At::Item { col } => col,
            };
            if scalar::write_literal(s, body, self.out) {
                return Ok(());
            }
        }
        if matches!(s, "." | "#" | "-") {
            self.out.push('\'');
            self.out.push_str(s);
            self.out.push('\'');
        } else if scalar::plain_value(s) {
            self.out.push_str(s);
        } else {
            scalar::write_double_quoted(s, self.out);
        }
        self.out.push('\n');
        Ok(())
    }

    fn integer(self, v: impl fmt::Display) -> Result {
        if let At::Value { .. } = self.at {
            self.out.push(' ');
        }
        // Writing into a String cannot fail.
        let _ = writeln!(self.out, "{v}");
        Ok(())
    }

    fn map(self, len: Option<usize>) -> Map<'a> {
        let col = match self.at {
            At::Root => 0,
            At::Value { col } => col + 2,
            At::Item { col } => col,
        };
        Map { out: self.out, at: self.at, col, entries: 0, len }
    }

    fn seq(self) -> Seq<'a> {
        let col = match self.at {
            At::Root => 0,
            At::Value { col } | At::Item { col } => col,
        };
        Seq { out: self.out, at: self.at, col, items: 0 }
    }
}

impl<'a> ser::Serializer for Node<'a> {
    type Ok = ();
    type Error = Unsupported;
    type SerializeSeq = Seq<'a>;
    type SerializeTuple = Seq<'a>;
    type SerializeTupleStruct = Seq<'a>;
    type SerializeTupleVariant = Impossible<(), Unsupported>;
    type SerializeMap = Map<'a>;
    type SerializeStruct = Map<'a>;
    type SerializeStructVariant = Impossible<(), Unsupported>;

    fn serialize_bool(self, v: bool) -> Result {
        self.scalar(if v { "true" } else { "false" })
    }
    integers!(
        serialize_i8: i8,
        serialize_i16: i16,
        serialize_i32: i32,
        serialize_i64: i64,
        serialize_i128: i128,
        serialize_u8: u8,
        serialize_u16: u16,
        serialize_u32: u32,
        serialize_u64: u64,
        serialize_u128: u128,
    );
    unsupported!(serialize_f32: f32, serialize_f64: f64, serialize_bytes: &[u8]);
    fn serialize_char(self, v: char) -> Result {
        self.string(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result {
        self.string(v)
    }
    fn serialize_none(self) -> Result {
        self.scalar("null")
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result {
        self.scalar("null")
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result {
        self.scalar("null")
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result {
        self.string(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, name: &'static str, value: &T) -> Result {
        if saphyr_wrapper(name) {
            return Err(Unsupported);
        }
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result {
        Err(Unsupported)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Seq<'a>> {
        Ok(self.seq())
    }
    fn serialize_tuple(self, _: usize) -> Result<Seq<'a>> {
        Ok(self.seq())
    }
    fn serialize_tuple_struct(self, name: &'static str, _: usize) -> Result<Seq<'a>> {
        if saphyr_wrapper(name) {
            return Err(Unsupported);
        }
        Ok(self.seq())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        Err(Unsupported)
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Map<'a>> {
        Ok(self.map(len))
    }
    fn serialize_struct(self, name: &'static str, len: usize) -> Result<Map<'a>> {
        if saphyr_wrapper(name) {
            return Err(Unsupported);
        }
        Ok(self.map(Some(len)))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant> {
        Err(Unsupported)
    }
}

/// A block sequence: dashes in column `col`; the first one inline after a `- `.
struct Seq<'a> {
    out: &'a mut String,
    at: At,
    col: usize,
    items: usize,
}

impl ser::SerializeSeq for Seq<'_> {
    type Ok = ();
    type Error = Unsupported;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        match (self.at, self.items) {
            (At::Item { .. }, 0) => {}
            (At::Value { .. }, 0) => {
                self.out.push('\n');
                indent(self.out, self.col);
            }
            _ => indent(self.out, self.col),
        }
        self.out.push_str("- ");
        self.items += 1;
        value.serialize(Node { out: &mut *self.out, at: At::Item { col: self.col + 2 } })
    }

    fn end(self) -> Result {
        if self.items == 0 {
            self.out.push_str(if let At::Value { .. } = self.at { " []\n" } else { "[]\n" });
        }
        Ok(())
    }
}

impl ser::SerializeTuple for Seq<'_> {
    type Ok = ();
    type Error = Unsupported;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for Seq<'_> {
    type Ok = ();
    type Error = Unsupported;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result {
        ser::SerializeSeq::end(self)
    }
}

/// A block mapping: keys in column `col`; the first one inline after a `- `.
struct Map<'a> {
    out: &'a mut String,
    at: At,
    col: usize,
    entries: usize,
    /// The length the value announced, if any.
    len: Option<usize>,
}

impl Map<'_> {
    fn key(&mut self, key: &str) -> Result {
        match (self.at, self.entries) {
            (At::Item { .. }, 0) => {}
            (At::Value { .. }, 0) => {
                self.out.push('\n');
                indent(self.out, self.col);
            }
            _ => indent(self.out, self.col),
        }
        let start = self.out.len();
        if scalar::plain_key(key) {
            self.out.push_str(key);
        } else {
            scalar::write_double_quoted(key, self.out);
        }
        let text = &self.out[start..];
        if text.len() > MAX_SIMPLE_KEY && text.chars().count() > MAX_SIMPLE_KEY {
            return Err(Unsupported);
        }
        self.out.push(':');
        Ok(())
    }

    fn value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        self.entries += 1;
        value.serialize(Node { out: &mut *self.out, at: At::Value { col: self.col } })
    }

    fn finish(self) -> Result {
        if self.entries == 0 {
            // serde-saphyr moves a map announced as non-empty to the next line before
            // finding it empty; no emitter here does that.
            if self.len.is_some_and(|n| n > 0) {
                return Err(Unsupported);
            }
            self.out.push_str(if let At::Value { .. } = self.at { " {}\n" } else { "{}\n" });
        }
        Ok(())
    }
}

impl ser::SerializeMap for Map<'_> {
    type Ok = ();
    type Error = Unsupported;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result {
        key.serialize(KeyText(self))
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        self.value(value)
    }
    fn end(self) -> Result {
        self.finish()
    }
}

impl ser::SerializeStruct for Map<'_> {
    type Ok = ();
    type Error = Unsupported;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result {
        self.key(key)?;
        self.value(value)
    }
    fn end(self) -> Result {
        self.finish()
    }
}

/// A map key: strings only.
struct KeyText<'m, 'a>(&'m mut Map<'a>);

impl ser::Serializer for KeyText<'_, '_> {
    type Ok = ();
    type Error = Unsupported;
    type SerializeSeq = Impossible<(), Unsupported>;
    type SerializeTuple = Impossible<(), Unsupported>;
    type SerializeTupleStruct = Impossible<(), Unsupported>;
    type SerializeTupleVariant = Impossible<(), Unsupported>;
    type SerializeMap = Impossible<(), Unsupported>;
    type SerializeStruct = Impossible<(), Unsupported>;
    type SerializeStructVariant = Impossible<(), Unsupported>;

    fn serialize_str(self, v: &str) -> Result {
        self.0.key(v)
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Result {
        Err(Unsupported)
    }
    unsupported!(
        serialize_bool: bool,
        serialize_i8: i8,
        serialize_i16: i16,
        serialize_i32: i32,
        serialize_i64: i64,
        serialize_u8: u8,
        serialize_u16: u16,
        serialize_u32: u32,
        serialize_u64: u64,
        serialize_f32: f32,
        serialize_f64: f64,
        serialize_char: char,
        serialize_bytes: &[u8],
        serialize_unit_struct: &'static str,
    );
    fn serialize_none(self) -> Result {
        Err(Unsupported)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result {
        Err(Unsupported)
    }
    fn serialize_unit(self) -> Result {
        Err(Unsupported)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, _: &T) -> Result {
        Err(Unsupported)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result {
        Err(Unsupported)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq> {
        Err(Unsupported)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple> {
        Err(Unsupported)
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeTupleStruct> {
        Err(Unsupported)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        Err(Unsupported)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap> {
        Err(Unsupported)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct> {
        Err(Unsupported)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant> {
        Err(Unsupported)
    }
}

#[cfg(test)]
mod tests;
