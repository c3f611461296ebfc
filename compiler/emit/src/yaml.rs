//! All YAML output goes through here, so the serialiser can be swapped in one place.

use serde::Serialize;
use serde_saphyr::SerializerOptions;

/// Serialise one object as a YAML document (no leading `---`, one trailing newline).
///
/// Long strings stay on one line (no folded `>` blocks), so that a middleware chain or a
/// command reads exactly as it is applied.
pub fn to_yaml<T: Serialize>(value: &T) -> String {
    let mut options = SerializerOptions::default();
    options.prefer_block_scalars = false;
    match serde_saphyr::to_string_with_options(value, options) {
        Ok(mut s) => {
            if !s.ends_with('\n') {
                s.push('\n');
            }
            s
        }
        // Serialising plain data structures cannot fail; keep the output honest if it does.
        Err(e) => format!("# serialisation failed: {e}\n"),
    }
}
