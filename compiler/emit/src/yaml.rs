//! All YAML output goes through here, so the serialiser can be swapped in one place.

use serde::Serialize;

/// Serialise one object as a YAML document (no leading `---`, one trailing newline).
pub fn to_yaml<T: Serialize>(value: &T) -> String {
    match serde_saphyr::to_string(value) {
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
