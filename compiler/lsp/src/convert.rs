//! Between the compiler's byte offsets and file paths and the protocol's UTF-16 positions and
//! `file://` URIs.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use lsp_types::{Position, Range, Uri};

/// Where each line of a text starts, so that a byte offset becomes a line/UTF-16-column
/// position (and back) by a binary search and a walk over that one line only, never over
/// the text before it. Lines end at `\n` (a `\r` before it belongs to no column).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineIndex {
    /// The byte offset of each line's first byte; `starts[0] == 0`.
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(newlines(text, 0));
        LineIndex { starts }
    }

    /// The line/UTF-16-column position of a byte offset (clamped to the text, and back to
    /// the start of a character it falls inside).
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let offset = floor_char_boundary(text, offset);
        let line = self.starts.partition_point(|&s| s <= offset).saturating_sub(1);
        let start = self.starts.get(line).copied().unwrap_or(0).min(offset);
        Position { line: to_u32(line), character: to_u32(utf16_len(&text[start..offset])) }
    }

    pub fn range(&self, text: &str, start: usize, end: usize) -> Range {
        Range { start: self.position(text, start), end: self.position(text, end.max(start)) }
    }

    /// The byte offset of a line/UTF-16-column position: a column past the end of its line is
    /// the line's end, a line past the end of the text is the text's end, and a column inside
    /// a surrogate pair is the end of that character.
    pub fn offset(&self, text: &str, pos: Position) -> usize {
        let line = pos.line as usize;
        let Some(&start) = self.starts.get(line) else { return text.len() };
        let mut end = match self.starts.get(line + 1) {
            Some(&next) => next - 1,
            None => text.len(),
        };
        if end < text.len() && end > start && text.as_bytes()[end - 1] == b'\r' {
            end -= 1;
        }
        let Some(line_text) = text.get(start..end) else { return text.len() };
        let want = pos.character as usize;
        if line_text.is_ascii() {
            return start + want.min(line_text.len());
        }
        let mut units = 0;
        for (i, c) in line_text.char_indices() {
            if units >= want {
                return start + i;
            }
            units += c.len_utf16();
        }
        end
    }

    /// Follow an edit of `text` (already applied) that replaced bytes `start..end` with
    /// `inserted`: the line starts inside the old range go, those of the inserted text come,
    /// and the ones after it move.
    fn edit(&mut self, text: &str, start: usize, end: usize, inserted: usize) {
        let first = self.starts.partition_point(|&s| s <= start);
        let last = self.starts.partition_point(|&s| s <= end);
        let added: Vec<usize> = newlines(&text[start..start + inserted], start).collect();
        let count = added.len();
        self.starts.splice(first..last, added);
        for s in &mut self.starts[first + count..] {
            *s = *s - end + start + inserted;
        }
    }
}

/// The offsets just after each `\n` of `text`, shifted by `base`.
fn newlines(text: &str, base: usize) -> impl Iterator<Item = usize> + '_ {
    text.bytes().enumerate().filter(|&(_, b)| b == b'\n').map(move |(i, _)| base + i + 1)
}

/// The length of `s` in UTF-16 units.
pub fn utf16_len(s: &str) -> usize {
    if s.is_ascii() { s.len() } else { s.chars().map(char::len_utf16).sum() }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// `offset` clamped to the text and moved back to the start of the character it falls in.
pub fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// A document's text together with its line index, built once per version (an edit updates
/// it), so that no request scans the text to convert a position.
#[derive(Clone, Debug)]
pub struct Doc {
    text: String,
    lines: LineIndex,
}

impl Doc {
    pub fn new(text: String) -> Doc {
        let lines = LineIndex::new(&text);
        Doc { text, lines }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn position(&self, offset: usize) -> Position {
        self.lines.position(&self.text, offset)
    }

    pub fn range(&self, start: usize, end: usize) -> Range {
        self.lines.range(&self.text, start, end)
    }

    pub fn offset(&self, pos: Position) -> usize {
        self.lines.offset(&self.text, pos)
    }

    /// Apply one change of a `didChange` notification: `range` (UTF-16, against the text as
    /// the previous changes left it) replaced by `new_text`, or the whole text when there is
    /// no range.
    pub fn apply(&mut self, range: Option<Range>, new_text: &str) {
        let Some(range) = range else {
            *self = Doc::new(new_text.to_string());
            return;
        };
        let start = self.offset(range.start);
        let end = self.offset(range.end).max(start);
        self.text.replace_range(start..end, new_text);
        self.lines.edit(&self.text, start, end, new_text.len());
    }
}

impl std::ops::Deref for Doc {
    type Target = str;

    fn deref(&self) -> &str {
        &self.text
    }
}

/// `file:///a/b%20c.hl` → `/a/b c.hl`.
pub fn uri_to_path(uri: &Uri) -> Option<PathBuf> {
    let s = uri.as_str();
    let rest = s.strip_prefix("file://")?;
    // `file://host/path` is not a local file; `file:///path` is.
    let path = rest.strip_prefix("localhost").unwrap_or(rest);
    if !path.starts_with('/') {
        return None;
    }
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).ok().map(PathBuf::from)
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// `/a/b c.hl` → `file:///a/b%20c.hl`.
pub fn path_to_uri(path: &Path) -> Option<Uri> {
    let s = path.to_str()?;
    let mut out = String::from("file://");
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Uri::from_str(&out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn position(text: &str, offset: usize) -> Position {
        LineIndex::new(text).position(text, offset)
    }

    fn offset(text: &str, pos: Position) -> usize {
        LineIndex::new(text).offset(text, pos)
    }

    fn pos(line: u32, character: u32) -> Position {
        Position { line, character }
    }

    #[test]
    fn positions_count_utf16_units() {
        let text = "ab\nx€𝄞y\n";
        assert_eq!(position(text, 3), pos(1, 0));
        let y = text.find('y').expect("y");
        assert_eq!(position(text, y), pos(1, 4));
        assert_eq!(offset(text, pos(1, 4)), y);
        assert_eq!(offset(text, pos(9, 0)), text.len());
        // Past the end of a line: the line's end (before a `\r\n`).
        assert_eq!(offset(text, pos(0, 99)), 2);
        assert_eq!(offset("ab\r\ncd", pos(0, 99)), 2);
        assert_eq!(offset("ab\r", pos(0, 99)), 3);
        // Inside a surrogate pair: the end of the character.
        assert_eq!(offset("𝄞x", pos(0, 1)), 4);
        // An offset inside a character: its start.
        assert_eq!(position("é", 1), pos(0, 0));
        assert_eq!(position("é", 99), pos(0, 1));
        assert_eq!(position("", 0), pos(0, 0));
        assert_eq!(position("a\n", 2), pos(1, 0));
    }

    #[test]
    fn positions_agree_with_a_scan_from_the_start() {
        let text = "stack é {\n  😀 = \"中文\"\r\n\n\tx𝄞y\nlast";
        let lines = LineIndex::new(text);
        for (offset, _) in text.char_indices().chain([(text.len(), ' ')]) {
            let before = &text[..offset];
            let line = before.matches('\n').count() as u32;
            let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
            let character = text[line_start..offset].chars().map(char::len_utf16).sum::<usize>() as u32;
            assert_eq!(lines.position(text, offset), pos(line, character), "at {offset}");
            // (Between `\r` and `\n` is past the line's end, which is before the `\r`.)
            let back = if text[..offset].ends_with('\r') { offset - 1 } else { offset };
            assert_eq!(lines.offset(text, pos(line, character)), back, "back from {line}:{character}");
        }
    }

    /// The conversion as it was before the line index: a scan from the start of the text.
    fn naive_offset(text: &str, pos: Position) -> usize {
        let mut line_start = 0;
        for _ in 0..pos.line {
            match text[line_start..].find('\n') {
                Some(i) => line_start += i + 1,
                None => return text.len(),
            }
        }
        let line_end = text[line_start..].find('\n').map(|i| line_start + i).unwrap_or(text.len());
        let mut units = 0u32;
        for (i, c) in text[line_start..line_end].char_indices() {
            if units >= pos.character {
                return line_start + i;
            }
            units += c.len_utf16() as u32;
        }
        line_end
    }

    #[test]
    fn edits_keep_the_line_index_in_step() {
        let mut doc = Doc::new("stack a {\n  é = 1\n}\n😀\n".to_string());
        let edits: &[(Position, Position, &str)] = &[
            (pos(1, 2), pos(1, 3), "中\n文"),
            (pos(0, 0), pos(0, 0), "// 😀\n"),
            (pos(2, 0), pos(4, 1), ""),
            (pos(9, 0), pos(9, 0), "\nend\n"),
            (pos(0, 3), pos(0, 5), "x\r\ny\n"),
            (pos(1, 1), pos(0, 0), "reversed"),
        ];
        let mut reference = doc.text().to_string();
        for &(start, end, new_text) in edits {
            doc.apply(Some(Range { start, end }), new_text);
            // The same edit by offsets found scanning from the start.
            let (s, e) = (naive_offset(&reference, start), naive_offset(&reference, end));
            reference.replace_range(s..e.max(s), new_text);
            assert_eq!(doc.text(), reference);
            assert_eq!(doc.lines, LineIndex::new(doc.text()), "after {new_text:?}: {:?}", doc.text());
        }
        doc.apply(None, "whole\n");
        assert_eq!((doc.text(), doc.lines.clone()), ("whole\n", LineIndex::new("whole\n")));
    }

    #[test]
    fn uris_round_trip() {
        let p = Path::new("/tmp/a b/ü.hl");
        let uri = path_to_uri(p).expect("uri");
        assert_eq!(uri.as_str(), "file:///tmp/a%20b/%C3%BC.hl");
        assert_eq!(uri_to_path(&uri).as_deref(), Some(p));
    }
}
