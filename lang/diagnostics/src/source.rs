//! Source files, file ids and byte spans.

use std::sync::Arc;

/// Index of a file in [`Sources`], in the order the files were added. In a compilation the
/// standard library's files come first, then the workspace's files sorted by path, so ids
/// (and the diagnostics sorted by them) are stable from run to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct FileId(pub u32);

/// A byte range in one file: what a diagnostic points at, and what every declaration of the
/// domain model keeps so that later stages can point back at it.
///
/// Offsets are bytes into the file's UTF-8 text, `start <= end`. The default span (file 0,
/// empty at offset 0) stands for "no better place".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    /// The file the range lies in.
    pub file: FileId,
    /// Byte offset of the first byte.
    pub start: u32,
    /// Byte offset just past the last byte (equal to `start` for an empty span).
    pub end: u32,
}

impl Span {
    /// The bytes `start..end` of `file`. An `end` before `start` is raised to `start`, and
    /// offsets beyond `u32::MAX` saturate.
    pub fn new(file: FileId, start: usize, end: usize) -> Self {
        Span { file, start: to_u32(start), end: to_u32(end.max(start)) }
    }

    /// The smallest span covering both; `self` unchanged when they lie in different files.
    ///
    /// ```
    /// use hl_diagnostics::{FileId, Span};
    ///
    /// let name = Span::new(FileId(1), 8, 11);
    /// let body = Span::new(FileId(1), 12, 40);
    /// assert_eq!(name.to(body), Span::new(FileId(1), 8, 40));
    /// ```
    pub fn to(self, other: Span) -> Span {
        if self.file != other.file {
            return self;
        }
        Span { file: self.file, start: self.start.min(other.start), end: self.end.max(other.end) }
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        (self.end - self.start) as usize
    }

    /// Whether the span covers no bytes (a position, such as the end of a file).
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }

    /// Whether a byte offset lies in the span, both ends included (a cursor just after the
    /// last character is still inside).
    pub fn contains(&self, offset: u32) -> bool {
        self.start <= offset && offset <= self.end
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// 1-based line and column (column counted in characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineCol {
    /// Line number, from 1.
    pub line: u32,
    /// Column, from 1, counted in Unicode scalar values (not bytes, not UTF-16 units).
    pub col: u32,
}

/// One source file: a display path (relative, with `/`) and its text. Cloning it is cheap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceFile {
    /// How reports name the file: relative, with `/` (`stacks/freshrss.hl`, or
    /// `<stdlib>/k8s.hl` for the standard library).
    pub path: String,
    /// The whole text, shared cheaply between stages.
    pub text: Arc<str>,
    line_starts: Arc<[u32]>,
}

impl SourceFile {
    /// A file with its line starts indexed, so that [`SourceFile::line_col`] is a binary search.
    pub fn new(path: impl Into<String>, text: impl Into<Arc<str>>) -> Self {
        let text: Arc<str> = text.into();
        let mut line_starts = vec![0];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                line_starts.push(to_u32(i + 1));
            }
        }
        SourceFile { path: path.into(), text, line_starts: line_starts.into() }
    }

    /// Line and column of a byte offset (clamped to the text). An offset inside a multi-byte
    /// character counts as that character's column.
    pub fn line_col(&self, offset: u32) -> LineCol {
        let offset = offset.min(to_u32(self.text.len()));
        let line = match self.line_starts.binary_search(&offset) {
            Ok(l) => l,
            Err(l) => l - 1,
        };
        let start = self.line_starts[line] as usize;
        let mut end = offset as usize;
        while end > start && !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let col = self.text[start..end].chars().count();
        LineCol { line: to_u32(line + 1), col: to_u32(col + 1) }
    }

    /// The text a span covers in this file; empty when the span does not fit the text or
    /// does not fall on character boundaries.
    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.start as usize..span.end as usize).unwrap_or("")
    }
}

/// All the files of one compilation, by [`FileId`]. Files are only ever added, so an id stays
/// valid for the life of the `Sources`.
///
/// ```
/// use hl_diagnostics::{LineCol, Sources, Span};
///
/// let mut sources = Sources::new();
/// let id = sources.add("stacks/freshrss.hl", "stack freshrss {\n  namespace freshrss { tier = \"aux\" }\n}\n");
/// let file = sources.get(id).expect("just added");
///
/// let offset = file.text.find("aux").expect("in the text");
/// assert_eq!(file.line_col(offset as u32), LineCol { line: 2, col: 32 });
/// assert_eq!(file.slice(Span::new(id, offset, offset + 3)), "aux");
/// assert_eq!((sources.len(), file.path.as_str()), (1, "stacks/freshrss.hl"));
/// ```
#[derive(Clone, Debug, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    /// No files yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a file and return its id: the next index, starting at 0.
    pub fn add(&mut self, path: impl Into<String>, text: impl Into<Arc<str>>) -> FileId {
        let id = FileId(to_u32(self.files.len()));
        self.files.push(SourceFile::new(path, text));
        id
    }

    /// Put a file at a given id, leaving empty files at the ids below it not set yet (the
    /// incremental engine keeps a file's id for its lifetime, so ids can have gaps).
    pub fn set(&mut self, id: FileId, path: impl Into<String>, text: impl Into<Arc<str>>) {
        self.insert(id, SourceFile::new(path, text));
    }

    /// Put an indexed file at a given id, like [`Sources::set`].
    pub fn insert(&mut self, id: FileId, file: SourceFile) {
        let i = id.0 as usize;
        while self.files.len() <= i {
            self.files.push(SourceFile::new(String::new(), ""));
        }
        self.files[i] = file;
    }

    /// The file with this id; `None` for an id from another `Sources`.
    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    /// Every file with its id, in the order they were added.
    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files.iter().enumerate().map(|(i, f)| (FileId(to_u32(i)), f))
    }

    /// How many files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether no file was added.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}
