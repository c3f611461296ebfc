//! Whether a string can be written as a plain YAML scalar, and how to write it quoted.
//!
//! The rules are serde-saphyr's (with the options [`super`] uses), restated so that the common
//! case, a name or a path, is decided in one pass over its bytes. A string is quoted when a
//! YAML reader could take it for something else: a boolean, null or number in YAML 1.1 or 1.2
//! (Kubernetes tooling still reads YAML 1.1, where `on` and `yes` are booleans and
//! `192.168.1.1` is a float), a timestamp, a merge key, a document marker, a comment, an
//! indicator, or when it has characters a plain scalar cannot carry.

use std::fmt::Write as _;

/// Whether `s` can be written unquoted as a value in a block mapping or sequence.
pub(super) fn plain_value(s: &str) -> bool {
    if let Some(answer) = simple_word(s) {
        return answer;
    }
    !typed(s, Yaml::V1_1) && plain_text(s, false)
}

/// Whether `s` can be written unquoted as a mapping key. Stricter than a value: no `:` at all,
/// none of the flow indicators `,[]{}`, and nothing a YAML 1.2 reader would type either.
pub(super) fn plain_key(s: &str) -> bool {
    if let Some(answer) = simple_word(s) {
        return answer;
    }
    !typed(s, Yaml::V1_1) && !typed(s, Yaml::V1_2) && !s.contains(':') && plain_text(s, true)
}

/// The answer for the common case without the full rules: a string that starts with an ASCII
/// letter and has only letters, digits, `-`, `_`, `.` and `/` is plain unless it is one of the
/// words a reader types (`true`, `No`, `null`, `inf`, …; all five letters or fewer). `None`
/// when the string is not of that shape.
fn simple_word(s: &str) -> Option<bool> {
    let bytes = s.as_bytes();
    if WORD[usize::from(*bytes.first()?)] != LETTER || !bytes.iter().all(|&b| WORD[usize::from(b)] != 0) {
        return None;
    }
    Some(bytes.len() > 5 || !typed_word(s))
}

const LETTER: u8 = 2;

/// The bytes of a simple word: [`LETTER`] for ASCII letters, 1 for digits, `-`, `_`, `.` and `/`.
static WORD: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = if c.is_ascii_alphabetic() {
            LETTER
        } else if c.is_ascii_digit() || matches!(c, b'-' | b'_' | b'.' | b'/') {
            1
        } else {
            0
        };
        b += 1;
    }
    t
};

/// Which YAML version's implicit types to check against.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Yaml {
    V1_1,
    V1_2,
}

/// The words that read as booleans, null or special floats, in any letter case.
fn typed_word(s: &str) -> bool {
    const WORDS: [&str; 11] = ["null", "true", "false", "nan", "inf", "yes", "no", "y", "n", "on", "off"];
    WORDS.iter().any(|w| s.eq_ignore_ascii_case(w))
}

/// Whether a reader of the given version resolves the plain scalar `s` to something other than
/// a string (or rejects it).
fn typed(s: &str, version: Yaml) -> bool {
    let yaml_1_1 = version == Yaml::V1_1;
    if s.is_empty() || s == "~" {
        return true;
    }
    let word = |w: &str| s.eq_ignore_ascii_case(w);
    if ["null", "true", "false", "nan", "inf", "+inf", "-inf"].into_iter().any(word) || numeric(s, version) {
        return true;
    }
    yaml_1_1 && (["yes", "y", "on", "no", "n", "off"].into_iter().any(word) || s == "<<" || s == "=" || timestamp(s))
}

/// Number syntax: integers in any base, floats, `.inf` and `.nan`; under YAML 1.1 also
/// base-60 numbers, underscores anywhere, and any run of digits and dots after a dot.
fn numeric(s: &str, version: Yaml) -> bool {
    let yaml_1_1 = version == Yaml::V1_1;
    if !matches!(s.as_bytes().first(), Some(b'0'..=b'9' | b'+' | b'-' | b'.' | b'_')) {
        return false;
    }
    let unsigned = without_sign(s);
    if unsigned.eq_ignore_ascii_case(".inf") || unsigned.eq_ignore_ascii_case(".nan") {
        return true;
    }
    if yaml_1_1 {
        if base_60(s) {
            return true;
        }
        if let Some((radix, digits)) = radix_prefixed(unsigned)
            && !digits.is_empty()
            && digits.bytes().all(|b| b == b'_' || is_digit(b, radix))
        {
            return true;
        }
    }
    // YAML 1.1 readers drop underscores before reading a number.
    let squeezed;
    let s = if yaml_1_1 && s.contains('_') {
        squeezed = s.replace('_', "");
        squeezed.as_str()
    } else {
        s
    };
    let unsigned = without_sign(s);
    if let Some((radix, mut digits)) = radix_prefixed(unsigned) {
        if yaml_1_1 && (s.starts_with("0b") || s.starts_with("0o")) {
            digits = without_sign(digits);
        }
        return digit_run(digits, radix);
    }
    let mantissa = match unsigned.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => {
            if !digit_run(without_sign(exponent), 10) {
                return false;
            }
            mantissa
        }
        None => unsigned,
    };
    match mantissa.split_once('.') {
        Some((whole, fraction)) => {
            if !whole.is_empty() && !digit_run(whole, 10) {
                false
            } else if yaml_1_1 {
                fraction.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            } else if fraction.is_empty() {
                !whole.is_empty()
            } else {
                digit_run(fraction, 10)
            }
        }
        None => digit_run(mantissa, 10),
    }
}

fn without_sign(s: &str) -> &str {
    s.strip_prefix(['+', '-']).unwrap_or(s)
}

fn radix_prefixed(s: &str) -> Option<(u32, &str)> {
    let radix = match s.as_bytes() {
        [b'0', b'b' | b'B', ..] => 2,
        [b'0', b'o' | b'O', ..] => 8,
        [b'0', b'x' | b'X', ..] => 16,
        _ => return None,
    };
    Some((radix, &s[2..]))
}

fn is_digit(b: u8, radix: u32) -> bool {
    char::from(b).is_digit(radix)
}

/// Digits of `radix`, at least one, with single underscores only between two digits.
fn digit_run(s: &str, radix: u32) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && (0..b.len()).all(|i| {
            is_digit(b[i], radix)
                || (b[i] == b'_'
                    && i > 0
                    && is_digit(b[i - 1], radix)
                    && b.get(i + 1).is_some_and(|&n| is_digit(n, radix)))
        })
}

/// YAML 1.1 base-60 numbers: `1:30`, `-190:20:30.15`.
fn base_60(s: &str) -> bool {
    let unsigned = without_sign(s);
    let (integer, fraction) = match unsigned.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (unsigned, None),
    };
    let Some((head, tail)) = integer.split_once(':') else {
        return false;
    };
    let Some(&lead) = head.as_bytes().first() else {
        return false;
    };
    lead.is_ascii_digit()
        && (fraction.is_some() || lead != b'0')
        && head.bytes().all(|b| b.is_ascii_digit() || b == b'_')
        && tail.split(':').all(|part| match part.as_bytes() {
            [d] => d.is_ascii_digit(),
            [t, d] => matches!(t, b'0'..=b'5') && d.is_ascii_digit(),
            _ => false,
        })
        && fraction.is_none_or(|f| f.bytes().all(|b| b.is_ascii_digit() || b == b'_'))
}

/// YAML 1.1 timestamps, by their shape alone: `2001-12-14`, `2001-12-14t21:59:43.10-05:00`,
/// `2001-12-14 21:59:43.10 Z`.
fn timestamp(s: &str) -> bool {
    let mut rest = s.as_bytes();
    let digits = |rest: &mut &[u8], min: usize, max: usize| {
        let n = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        let ok = (min..=max).contains(&n);
        if ok {
            *rest = &rest[n..];
        }
        ok
    };
    let lit = |rest: &mut &[u8], c: u8| {
        let ok = rest.first() == Some(&c);
        if ok {
            *rest = &rest[1..];
        }
        ok
    };
    let blanks = |rest: &mut &[u8]| {
        let n = rest.iter().take_while(|b| matches!(b, b' ' | b'\t')).count();
        *rest = &rest[n..];
        n
    };
    if !(digits(&mut rest, 4, 4)
        && lit(&mut rest, b'-')
        && digits(&mut rest, 1, 2)
        && lit(&mut rest, b'-')
        && digits(&mut rest, 1, 2))
    {
        return false;
    }
    if rest.is_empty() {
        return true;
    }
    if !(lit(&mut rest, b'T') || lit(&mut rest, b't') || blanks(&mut rest) > 0) {
        return false;
    }
    if !(digits(&mut rest, 1, 2)
        && lit(&mut rest, b':')
        && digits(&mut rest, 1, 2)
        && lit(&mut rest, b':')
        && digits(&mut rest, 1, 2))
    {
        return false;
    }
    if lit(&mut rest, b'.') || lit(&mut rest, b',') {
        digits(&mut rest, 0, usize::MAX);
    }
    blanks(&mut rest);
    if rest.is_empty() || rest == b"Z" {
        return true;
    }
    if !((lit(&mut rest, b'+') || lit(&mut rest, b'-')) && digits(&mut rest, 1, 2)) {
        return false;
    }
    if lit(&mut rest, b':') && !digits(&mut rest, 2, 2) {
        return false;
    }
    rest.is_empty()
}

/// The rules on the text itself (types aside): no document marker, no whitespace at either
/// end, no indicator first, no `: ` or final `:`, no character that needs an escape, no
/// comment (`#` after whitespace); in a flow context (keys), none of `,[]{}` either.
fn plain_text(s: &str, flow: bool) -> bool {
    let bytes = s.as_bytes();
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    if document_marker(s) || first.is_ascii_whitespace() || last.is_ascii_whitespace() {
        return false;
    }
    match bytes {
        [b'-' | b'?'] => return false,
        [b'-' | b'?', second, ..] if second.is_ascii_whitespace() => return false,
        [
            b',' | b':' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\'' | b'"' | b'%'
            | b'@' | b'`',
            ..,
        ] => return false,
        _ => {}
    }
    if s.contains(": ") || s.trim().ends_with(':') {
        return false;
    }
    let mut after_space = false;
    for c in s.chars() {
        if needs_escape(c) || (flow && matches!(c, ',' | '[' | ']' | '{' | '}')) || (c == '#' && after_space) {
            return false;
        }
        after_space = c.is_whitespace();
    }
    true
}

/// `---` or `...` alone or followed by whitespace.
fn document_marker(s: &str) -> bool {
    match s.strip_prefix("---").or_else(|| s.strip_prefix("...")) {
        Some(rest) => rest.as_bytes().first().is_none_or(u8::is_ascii_whitespace),
        None => false,
    }
}

/// Characters a plain or single-quoted scalar cannot hold: controls, the byte-order mark,
/// the line and paragraph separators and the two non-characters at the end of the BMP.
fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{FEFF}' | '\u{2028}' | '\u{2029}' | '\u{FFFE}' | '\u{FFFF}')
}

/// The bytes a double-quoted scalar holds as they are: printable ASCII but `"` and `\`.
const PLAIN: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0x20;
    while b < 0x7f {
        t[b] = b != b'"' as usize && b != b'\\' as usize;
        b += 1;
    }
    t
};

/// Whether the eight bytes of `w` are all printable ASCII (0x20 to 0x7E), tested at once: no
/// byte with its high bit set, none below 0x20 (subtracting 0x20 from such a byte borrows into
/// its high bit), none equal to 0x7F (the same test on the bytes xor 0x7F, for zero).
fn printable_ascii_word(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below_space = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
    let x = w ^ (ONES * 0x7F);
    let del = x.wrapping_sub(ONES) & !x & HIGH;
    (w & HIGH) | below_space | del == 0
}

/// Append `s`, which holds a newline, as a literal block scalar, its lines in column `body`,
/// the header on the current line; or, when a character of `s` cannot stand for itself in a
/// block (one that is not printable, `\r`, NEL or a Unicode separator, which some reader takes
/// for a line break, or the byte-order mark, which readers drop), leave `out` as it was and
/// return `false`. Tabs and newlines are content.
/// - the chomping indicator keeps the trailing newlines exactly: none is `|-`, one is `|`, more
///   (or a string of newlines only) is `|+`;
/// - when the first line with any text starts with a space, the indentation indicator `2`
///   (the body's indentation past its parent's) says where the text starts, since a reader
///   would otherwise take that space for indentation;
/// - empty lines are written without indentation.
///
/// One pass checks and copies: eight bytes at a time while they are printable ASCII (most of a
/// script or a dashboard), byte by byte at line ends, and only other characters are decoded.
pub(super) fn write_literal(s: &str, body: usize, out: &mut String) -> bool {
    let mark = out.len();
    let content = s.trim_end_matches('\n');
    let trailing = s.len() - content.len();
    out.reserve(s.len() + s.len() / 4 + 8);
    out.push('|');
    let first = content.split('\n').find(|l| !l.is_empty()).unwrap_or_default();
    if first.starts_with(' ') {
        out.push('2');
    }
    match trailing {
        0 => out.push('-'),
        1 if !content.is_empty() => {}
        _ => out.push('+'),
    }
    out.push('\n');
    if content.is_empty() {
        out.extend(std::iter::repeat_n('\n', trailing));
        return true;
    }
    let bytes = content.as_bytes();
    let (mut i, mut start) = (0, 0);
    let line = |from: usize, to: usize, out: &mut String| {
        // Both ends are at ASCII bytes (or the ends of the text): character boundaries.
        let text = content.get(from..to).unwrap_or_default();
        if !text.is_empty() {
            super::indent(out, body);
            out.push_str(text);
        }
        out.push('\n');
    };
    while i < bytes.len() {
        if let Some(word) = bytes.get(i..i + 8).and_then(|w| <[u8; 8]>::try_from(w).ok())
            && printable_ascii_word(u64::from_le_bytes(word))
        {
            i += 8;
            continue;
        }
        let b = bytes[i];
        if b == b'\n' {
            line(start, i, out);
            start = i + 1;
            i += 1;
        } else if b == b'\t' || (0x20..0x7f).contains(&b) {
            i += 1;
        } else {
            let c = content.get(i..).and_then(|rest| rest.chars().next()).unwrap_or('\0');
            let printable = matches!(u32::from(c), 0xA0..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10_FFFF);
            if !printable || matches!(c, '\u{2028}' | '\u{2029}' | '\u{FEFF}') {
                out.truncate(mark);
                return false;
            }
            i += c.len_utf8();
        }
    }
    line(start, bytes.len(), out);
    out.extend(std::iter::repeat_n('\n', trailing.saturating_sub(1)));
    true
}

/// Append `s` as a double-quoted scalar.
pub(super) fn write_double_quoted(s: &str, out: &mut String) {
    out.reserve(s.len() + s.len() / 8 + 2);
    out.push('"');
    let mut start = 0;
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // ASCII that needs no escape is copied in runs: most of a script or a dashboard.
        let b = bytes[i];
        if PLAIN[usize::from(b)] {
            i += 1;
            continue;
        }
        // An ASCII byte is its own character; only the rest is decoded.
        let c = if b.is_ascii() {
            char::from(b)
        } else {
            let Some(c) = s[i..].chars().next() else { break };
            c
        };
        let len = c.len_utf8();
        let named = match c {
            '\\' => "\\\\",
            '"' => "\\\"",
            '\0' => "\\0",
            '\u{7}' => "\\a",
            '\u{8}' => "\\b",
            '\t' => "\\t",
            '\n' => "\\n",
            '\u{b}' => "\\v",
            '\u{c}' => "\\f",
            '\r' => "\\r",
            '\u{1b}' => "\\e",
            '\u{FEFF}' => "\\uFEFF",
            '\u{85}' => "\\N",
            '\u{2028}' => "\\L",
            '\u{2029}' => "\\P",
            c if needs_escape(c) => "",
            _ => {
                i += len;
                continue;
            }
        };
        out.push_str(&s[start..i]);
        start = i + len;
        i += len;
        if named.is_empty() {
            // Writing into a String cannot fail.
            let _ = if u32::from(c) <= 0xFF {
                write!(out, "\\x{:02X}", u32::from(c))
            } else {
                write!(out, "\\u{:04X}", u32::from(c))
            };
        } else {
            out.push_str(named);
        }
    }
    out.push_str(&s[start..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::{printable_ascii_word, write_double_quoted};

    /// The word test agrees with the byte-by-byte definition, on every byte value in every
    /// position of words that are otherwise printable, and on pseudo-random words.
    #[test]
    fn printable_word_test_matches_the_bytes() {
        let by_bytes = |w: [u8; 8]| w.iter().all(|b| (0x20..0x7f).contains(b));
        for pos in 0..8 {
            for b in 0..=255u8 {
                let mut w = *b"abcd 1~!";
                w[pos] = b;
                assert_eq!(printable_ascii_word(u64::from_le_bytes(w)), by_bytes(w), "{w:?}");
            }
        }
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // ASCII words are all printable about one time in eleven: both answers come up.
            for w in [x, x & 0x7f7f_7f7f_7f7f_7f7f] {
                assert_eq!(printable_ascii_word(w), by_bytes(w.to_le_bytes()), "{w:#x}");
            }
        }
    }

    /// What is written reads back as the same string: ASCII runs, every escape, multi-byte
    /// characters next to escapes.
    #[test]
    fn double_quoted_round_trips() {
        let cases = [
            "",
            "plain ascii",
            "{\n  \"a\": \"b\\\\c\"\n}\n",
            "tab\there\r\n\u{0}\u{7}\u{8}\u{b}\u{c}\u{1b}\u{7f}",
            "é😀中\u{85}\u{2028}\u{2029}\u{FEFF}\u{FFFE}\u{9f}x",
            "\"quoted\" and \\backslash\\ at the ends\\",
        ];
        for s in cases {
            let mut out = String::new();
            write_double_quoted(s, &mut out);
            let back: String = serde_saphyr::from_str(&out).unwrap_or_else(|e| panic!("{out}: {e}"));
            assert_eq!(back, s, "{out}");
        }
    }
}
