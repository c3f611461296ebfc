//! All YAML output goes through here, so the serialiser can be swapped in one place.

use std::fmt::Write as _;

use serde::Serialize;
use serde_saphyr::SerializerOptions;

/// Serialise one object as a YAML document (no leading `---`, one trailing newline).
///
/// Long strings stay on one line (no folded `>` blocks), so that a middleware chain or a
/// command reads exactly as it is applied.
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
    let mut options = SerializerOptions::default();
    options.prefer_block_scalars = false;
    match serde_saphyr::to_fmt_writer_with_options(out, value, options) {
        Ok(()) => {
            if !out.ends_with('\n') {
                out.push('\n');
            }
        }
        // Serialising plain data structures cannot fail; keep the output honest if it does.
        Err(e) => {
            out.clear();
            // Writing into a String cannot fail.
            let _ = writeln!(out, "# serialisation failed: {e}");
        }
    }
}
