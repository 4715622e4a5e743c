//! A file as the analyzers see it: its scan-relative path, its text, and a line index that turns
//! byte offsets into 1-based line/column positions.

use std::ops::Range;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// What a file is, as far as the analyzers care. Every text file is also seen by the secrets
/// analyzer, whatever its kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileKind {
    /// `.github/workflows/*.yml|yaml`
    GithubWorkflow,
    /// `action.yml|yaml` (composite, Docker or JavaScript action metadata)
    GithubAction,
    /// `.github/dependabot.yml|yaml`
    GithubDependabot,
    /// `.pre-commit-config.yml|yaml`
    PreCommitConfig,
    /// `Jenkinsfile`, `Jenkinsfile.*`, `*.jenkinsfile`, `*.Jenkinsfile`
    Jenkinsfile,
    /// A Jenkins job or folder `config.xml` (root element tells)
    JenkinsJob,
    /// `Dockerfile*`, `Containerfile*`, `*.dockerfile`
    Dockerfile,
    /// `docker-compose*.yml`, `compose*.yaml`
    Compose,
    /// YAML with top-level `apiVersion` and `kind`
    Kubernetes,
    /// `*.tf`
    Terraform,
    Other,
}

impl FileKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::GithubWorkflow => "github-workflow",
            FileKind::GithubAction => "github-action",
            FileKind::GithubDependabot => "github-dependabot",
            FileKind::PreCommitConfig => "pre-commit-config",
            FileKind::Jenkinsfile => "jenkinsfile",
            FileKind::JenkinsJob => "jenkins-job",
            FileKind::Dockerfile => "dockerfile",
            FileKind::Compose => "compose",
            FileKind::Kubernetes => "kubernetes",
            FileKind::Terraform => "terraform",
            FileKind::Other => "other",
        }
    }
}

/// 1-based line and column (columns count Unicode scalar values).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

/// A region: `end.column` is exclusive (the column just after the last character), as in SARIF.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Span {
    pub start: Position,
    pub end: Position,
}

/// The source lines of the primary location, already redacted when it reaches a report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snippet {
    pub start_line: u32,
    pub lines: Vec<String>,
    /// Char columns (1-based, end exclusive) to underline on the first line, adjusted for
    /// redaction masks; the end column applies to the last line when the span is multi-line.
    #[serde(skip)]
    pub caret: (u32, u32),
}

/// One input file, read once. Paths are relative to the scan root with `/` separators so that
/// reports and fingerprints are identical on every platform and in every checkout location.
#[derive(Debug)]
pub struct SourceFile {
    /// Path relative to the scan root (or to the repository for git blobs).
    pub path: String,
    /// Where the bytes came from on disk, when they came from disk.
    pub disk_path: Option<PathBuf>,
    pub kind: FileKind,
    /// The text. Files that are not valid UTF-8 are decoded lossily (and a note says so). A
    /// leading UTF-8 byte order mark is not part of it (see `bom`).
    pub text: String,
    /// The file started with a UTF-8 byte order mark (as `kubectl` and Windows editors write
    /// them), removed from `text` so that every parser sees the document and columns count from
    /// the first real character, as editors show them. Byte offsets are offsets into `text`;
    /// add `bom_len()` for an offset into the file's bytes.
    pub bom: bool,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(path: impl Into<String>, kind: FileKind, mut text: String) -> Self {
        let bom = text.starts_with('\u{feff}');
        if bom {
            text.drain(..'\u{feff}'.len_utf8());
        }
        let mut line_starts = Vec::with_capacity(text.len() / 32 + 1);
        line_starts.push(0);
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        Self {
            path: path.into(),
            disk_path: None,
            kind,
            text,
            bom,
            line_starts,
        }
    }

    /// Length of the byte order mark removed from the start of the file (0 or 3).
    pub fn bom_len(&self) -> usize {
        if self.bom { '\u{feff}'.len_utf8() } else { 0 }
    }

    #[must_use]
    pub fn with_disk_path(mut self, p: PathBuf) -> Self {
        self.disk_path = Some(p);
        self
    }

    /// Number of lines (a trailing newline does not start a new line).
    pub fn line_count(&self) -> usize {
        let n = self.line_starts.len();
        if n > 1 && self.line_starts[n - 1] == self.text.len() {
            n - 1
        } else {
            n
        }
    }

    /// Clamp a byte offset into the text and back onto a char boundary.
    fn clamp(&self, mut byte: usize) -> usize {
        byte = byte.min(self.text.len());
        while byte > 0 && !self.text.is_char_boundary(byte) {
            byte -= 1;
        }
        byte
    }

    /// 0-based line index containing `byte`.
    pub fn line_index(&self, byte: usize) -> usize {
        let byte = self.clamp(byte);
        match self.line_starts.binary_search(&byte) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        }
    }

    /// 1-based position; the column counts Unicode scalar values, 1-based.
    pub fn position(&self, byte: usize) -> Position {
        let byte = self.clamp(byte);
        let li = self.line_index(byte);
        let start = self.line_starts[li];
        let column = self.text[start..byte].chars().count() + 1;
        Position {
            line: li as u32 + 1,
            column: column as u32,
        }
    }

    /// Span of a byte range; an empty range becomes a one-character span so carets are visible.
    pub fn span(&self, range: Range<usize>) -> Span {
        let start = self.position(range.start);
        let mut end = self.position(range.end.max(range.start));
        if end == start {
            end.column += 1;
        }
        Span { start, end }
    }

    /// Byte range of the 0-based line `li`, without its line terminator.
    pub fn line_range(&self, li: usize) -> Range<usize> {
        let Some(&start) = self.line_starts.get(li) else {
            return self.text.len()..self.text.len();
        };
        let mut end = self
            .line_starts
            .get(li + 1)
            .map_or(self.text.len(), |&next| next - 1);
        if end > start && self.text.as_bytes()[end - 1] == b'\r' {
            end -= 1;
        }
        start..end.max(start)
    }

    /// Text of the 1-based line `line` (empty when out of range).
    pub fn line(&self, line: u32) -> &str {
        if line == 0 {
            return "";
        }
        &self.text[self.line_range(line as usize - 1)]
    }

    /// The source lines a span covers (at most `MAX_SNIPPET_LINES`), for reports.
    pub fn snippet(&self, span: &Span) -> Snippet {
        let first = span.start.line;
        let last = span.end.line.max(first).min(first + MAX_SNIPPET_LINES - 1);
        let lines = (first..=last)
            .map(|l| truncate_line(self.line(l)))
            .collect();
        Snippet {
            start_line: first,
            lines,
            caret: (span.start.column, span.end.column),
        }
    }

    /// Byte offset of a 1-based line/column position (columns in chars), if it exists.
    pub fn offset_of(&self, line: u32, column: u32) -> Option<usize> {
        let li = (line as usize).checked_sub(1)?;
        let range = self.line_range(li);
        let text = &self.text[range.clone()];
        let skip = (column as usize).saturating_sub(1);
        match text.char_indices().nth(skip) {
            Some((i, _)) => Some(range.start + i),
            None => Some(range.end),
        }
    }
}

/// Reports show at most this many lines of a multi-line span.
pub const MAX_SNIPPET_LINES: u32 = 6;
const MAX_LINE_CHARS: usize = 400;

/// Minified files have enormous lines; a snippet keeps the first few hundred characters.
/// A source line as snippets show it (very long lines are cut).
pub fn truncate_line(line: &str) -> String {
    if line.len() <= MAX_LINE_CHARS {
        return line.to_string();
    }
    let mut s: String = line.chars().take(MAX_LINE_CHARS).collect();
    s.push('…');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> SourceFile {
        SourceFile::new("f", FileKind::Other, text.to_string())
    }

    #[test]
    fn positions_are_one_based_and_count_chars() {
        let f = file("ab\nçd\r\nlast");
        assert_eq!(f.position(0), Position { line: 1, column: 1 });
        assert_eq!(f.position(3), Position { line: 2, column: 1 });
        // 'ç' is two bytes: 'd' is at byte 5, column 2.
        assert_eq!(f.position(5), Position { line: 2, column: 2 });
        assert_eq!(f.line(2), "çd");
        assert_eq!(f.line(3), "last");
        assert_eq!(f.line(4), "");
        assert_eq!(f.line_count(), 3);
    }

    #[test]
    fn offsets_past_the_end_and_inside_chars_are_clamped() {
        let f = file("é");
        assert_eq!(f.position(1), Position { line: 1, column: 1 });
        assert_eq!(f.position(99), Position { line: 1, column: 2 });
    }

    #[test]
    fn empty_span_still_has_width() {
        let f = file("abc");
        let s = f.span(1..1);
        assert_eq!((s.start.column, s.end.column), (2, 3));
    }

    #[test]
    fn offset_of_inverts_position() {
        let f = file("one\ntwo çx\n");
        let off = f.offset_of(2, 6).unwrap();
        assert_eq!(&f.text[off..off + 1], "x");
        assert_eq!(f.position(off), Position { line: 2, column: 6 });
    }
}
