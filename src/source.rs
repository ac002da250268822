//! Source files, file ids and byte spans: every stage points back into the text
//! through a [`Span`], and the [`SourceMap`] turns spans into lines and columns.

/// Identifies one file of a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FileId(pub u32);

/// A byte range `start..end` in one source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// The file the range is in.
    pub file: FileId,
    /// First byte of the range.
    pub start: u32,
    /// One past the last byte of the range.
    pub end: u32,
}

impl Span {
    /// A span over `start..end` in `file`.
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span {
            file,
            start: clamp_u32(start),
            end: clamp_u32(end),
        }
    }

    /// The smallest span covering both `self` and `other` (same file assumed).
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    /// The byte range as `usize`s, for slicing the source text.
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

fn clamp_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A value together with the place in the source it came from.
#[derive(Clone, Debug)]
pub struct Spanned<T> {
    /// The value.
    pub node: T,
    /// Where it was written.
    pub span: Span,
}

impl<T> Spanned<T> {
    /// Pairs `node` with `span`.
    pub fn new(node: T, span: Span) -> Spanned<T> {
        Spanned { node, span }
    }
}

/// One loaded source file.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// The name shown in diagnostics: the path as the user gave it, or `<crm>`.
    pub name: String,
    /// The full text.
    pub text: String,
    line_starts: Vec<usize>,
    /// The character offset of each line's start, counted when first needed.
    line_char_starts: std::sync::OnceLock<Vec<usize>>,
}

impl SourceFile {
    fn new(name: String, text: String) -> SourceFile {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        SourceFile {
            name,
            text,
            line_starts,
            line_char_starts: std::sync::OnceLock::new(),
        }
    }

    /// The line (0-based) that holds a byte offset, and that line's first byte.
    fn line_of(&self, offset: usize) -> (usize, usize) {
        let line = match self.line_starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next.saturating_sub(1),
        };
        (line, self.line_starts.get(line).copied().unwrap_or(0))
    }

    /// The number of characters before a byte offset (before the character
    /// it falls in, inside one).
    pub fn char_offset(&self, offset: usize) -> usize {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let (line, start) = self.line_of(offset);
        let char_starts = self.line_char_starts.get_or_init(|| {
            let mut chars = 0;
            let mut starts = Vec::with_capacity(self.line_starts.len());
            let mut from = 0;
            for &at in &self.line_starts {
                chars += self.text.get(from..at).map_or(0, |t| t.chars().count());
                starts.push(chars);
                from = at;
            }
            starts
        });
        let before = self
            .text
            .get(start..offset)
            .map_or(0, |t| t.chars().count());
        char_starts.get(line).copied().unwrap_or(0) + before
    }

    /// The 1-based line and 1-based character column of a byte offset.
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let (line, start) = self.line_of(offset);
        let column = self
            .text
            .get(start..offset)
            .map_or(offset - start, |prefix| prefix.chars().count());
        (line + 1, column + 1)
    }
}

/// The byte-order mark some Windows tools write at the start of UTF-8 text.
pub const BYTE_ORDER_MARK: char = '\u{feff}';

/// `text` without a byte-order mark at its start: the mark says how the file
/// is encoded and is no part of its text, whether policy or records.
pub fn without_byte_order_mark(text: &str) -> &str {
    text.strip_prefix(BYTE_ORDER_MARK).unwrap_or(text)
}

/// All files of one compilation, addressed by [`FileId`].
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// An empty map.
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    /// Adds a file and returns its id. A byte-order mark at the start of
    /// `text` is left out, so spans and columns count from the first character
    /// a reader sees.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        let mut text = text.into();
        let mark = text.len() - without_byte_order_mark(&text).len();
        text.drain(..mark);
        self.files.push(SourceFile::new(name.into(), text));
        id
    }

    /// The file with this id, if there is one.
    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    /// Every file with its id, in the order they were added.
    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(u32::try_from(i).unwrap_or(u32::MAX)), f))
    }

    /// The source text a span covers, or `""` if the span is out of range.
    pub fn snippet(&self, span: Span) -> &str {
        self.get(span.file)
            .and_then(|f| f.text.get(span.range()))
            .unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn char_offsets_count_characters_across_lines() {
        let mut sources = SourceMap::new();
        let id = sources.add("f.roe", "— é\nxé y\n");
        let file = sources.get(id).expect("the file");
        // `—` is three bytes and `é` two: byte 6 is the newline, after 3 characters.
        assert_eq!(file.char_offset(0), 0);
        assert_eq!(file.char_offset(3), 1);
        assert_eq!(file.char_offset(2), 0, "inside `—`");
        assert_eq!(file.char_offset(6), 3);
        assert_eq!(file.char_offset(7), 4);
        assert_eq!(file.char_offset(10), 6);
        assert_eq!(file.char_offset(1_000), 9);
        assert_eq!(file.line_column(10), (2, 3));
    }

    #[test]
    fn a_byte_order_mark_is_no_part_of_the_text() {
        let mut sources = SourceMap::new();
        let id = sources.add("f.roe", "\u{feff}policy p\n");
        let file = sources.get(id).expect("the file");
        assert_eq!(file.text, "policy p\n");
        assert_eq!(file.line_column(0), (1, 1));
        // Only a mark at the start is left out.
        assert_eq!(without_byte_order_mark("a\u{feff}"), "a\u{feff}");
        assert_eq!(without_byte_order_mark("\u{feff}\u{feff}a"), "\u{feff}a");
    }
}
