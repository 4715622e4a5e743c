//! Limits on hostile input that are checked before the expensive paths, and the per-file time
//! budget.
//!
//! YAML: libyaml (behind `serde_yaml`) spends time proportional to the flow nesting depth on
//! every token, and tree-sitter-yaml (behind `yamlpath` and the Kubernetes model) spends tens
//! of microseconds and about 2 KB per flow collection (`[…]`, `{…}`). A 200 KB workflow of
//! `[[[…]]]` took 66 s, a 1.6 MB compose file of `[[1],[1],…]` 16 s and 800 MB. [`yaml`] is a
//! linear pre-scan that refuses such a file before either parser sees it; the error names the
//! limit and the line.
//!
//! The time budget ([`Budget`]) is per file and per thread: the engine starts it before a
//! file's analyzers run and checks it between analyzers; the loops that can be long on one file
//! (a family's rules, the secrets engine's windows) call [`budget_exceeded`] and stop early.
//! No thread per file, no signal: a file that exhausts the budget is reported as incomplete.

use std::cell::Cell;
use std::time::{Duration, Instant};

/// Deepest flow nesting (`[[…]]`, `{a: {b: …}}`) accepted in a YAML file. `serde_yaml` refuses
/// more than 128 nested levels anyway; real workflows, compose files and manifests (JSON ones
/// included) stay under 20.
pub const YAML_MAX_FLOW_DEPTH: usize = 64;

/// Most flow collections accepted in one YAML file (outside quoted strings, comments and block
/// scalars, so a JSON document inside `|` does not count).
pub const YAML_MAX_FLOW_COLLECTIONS: usize = 20_000;

/// A limit a file exceeds: the byte offset where the pre-scan stopped and a message naming the
/// limit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LimitError {
    pub at: usize,
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for LimitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (line {})", self.message, self.line)
    }
}

impl std::error::Error for LimitError {}

/// Check a YAML text against the flow-nesting and flow-collection limits, in one pass.
///
/// The scan is lexical and errs on the side of counting: brackets inside quoted strings count
/// towards the depth (a false refusal needs 64 unbalanced brackets in a string), comments and
/// block scalar bodies (`key: |` and the lines indented below it, at flow depth 0 only — inside
/// a flow collection `|` is no block scalar for libyaml) are skipped.
pub fn yaml(text: &str) -> Result<(), LimitError> {
    let b = text.as_bytes();
    let mut depth = 0usize;
    let mut collections = 0usize;
    let mut line = 1usize;
    let mut i = 0usize;
    // Indentation of the line that opened a block scalar, while inside its body.
    let mut block_scalar_parent: Option<usize> = None;
    let err = |at: usize, line: usize, message: String| LimitError { at, line, message };
    while i < b.len() {
        // At a line start: measure indentation, skip block scalar bodies.
        let line_start = i;
        let mut indent = 0;
        while i < b.len() && b[i] == b' ' {
            i += 1;
            indent += 1;
        }
        let blank = i >= b.len() || b[i] == b'\n' || b[i] == b'\r';
        if let Some(parent) = block_scalar_parent {
            if blank || indent > parent {
                // Body line: skip it whole.
                i = memchr::memchr(b'\n', &b[i..]).map_or(b.len(), |n| i + n + 1);
                line += 1;
                continue;
            }
            block_scalar_parent = None;
        }
        let mut prev = b' ';
        while i < b.len() && b[i] != b'\n' {
            let c = b[i];
            match c {
                b'#' if prev == b' ' || prev == b'\t' || i == line_start => {
                    // A comment: the rest of the line.
                    i = memchr::memchr(b'\n', &b[i..]).map_or(b.len(), |n| i + n);
                    break;
                }
                b'"' | b'\'' if token_start(prev) => {
                    // A quoted scalar (may span lines): skip to its closing quote.
                    let quote = c;
                    i += 1;
                    while i < b.len() {
                        let q = b[i];
                        if q == b'\n' {
                            line += 1;
                        } else if quote == b'"' && q == b'\\' {
                            i += 1;
                            if b.get(i) == Some(&b'\n') {
                                line += 1;
                            }
                        } else if q == quote {
                            if quote == b'\'' && b.get(i + 1) == Some(&b'\'') {
                                i += 1;
                            } else {
                                break;
                            }
                        }
                        i += 1;
                    }
                }
                b'[' | b'{' => {
                    // Counted wherever it is (a false count only needs many brackets in a
                    // plain scalar); a collection only at a token start.
                    depth += 1;
                    if depth > YAML_MAX_FLOW_DEPTH {
                        return Err(err(
                            i,
                            line,
                            format!(
                                "YAML flow collections nested more than {YAML_MAX_FLOW_DEPTH} levels deep (limit `yaml-flow-depth`)"
                            ),
                        ));
                    }
                    if token_start(prev) || depth > 1 {
                        collections += 1;
                        if collections > YAML_MAX_FLOW_COLLECTIONS {
                            return Err(err(
                                i,
                                line,
                                format!(
                                    "more than {YAML_MAX_FLOW_COLLECTIONS} YAML flow collections in one file (limit `yaml-flow-collections`)"
                                ),
                            ));
                        }
                    }
                }
                b']' | b'}' => {
                    depth = depth.saturating_sub(1);
                }
                b' ' | b'\t' | b'\r' => {}
                _ => {
                    if (c == b'|' || c == b'>')
                        && depth == 0
                        && token_start(prev)
                        && block_indicator_ends_line(&b[i + 1..])
                    {
                        block_scalar_parent = Some(indent);
                    }
                }
            }
            prev = if i < b.len() { b[i] } else { b' ' };
            i += 1;
        }
        if i < b.len() && b[i] == b'\n' {
            i += 1;
            line += 1;
        }
    }
    Ok(())
}

/// Whether a token can start after `prev` (indentation, a separator or an indicator).
fn token_start(prev: u8) -> bool {
    matches!(prev, b' ' | b'\t' | b'[' | b'{' | b',' | b'\n')
}

/// After `|` / `>`: only chomping/indentation indicators, spaces and a comment up to the end of
/// the line.
fn block_indicator_ends_line(rest: &[u8]) -> bool {
    let end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
    let rest = &rest[..end];
    let mut j = 0;
    while j < rest.len() && matches!(rest[j], b'+' | b'-' | b'1'..=b'9') {
        j += 1;
    }
    let tail = &rest[j..];
    let k = tail
        .iter()
        .position(|&c| c != b' ' && c != b'\t' && c != b'\r')
        .unwrap_or(tail.len());
    // A comment needs a space before its `#`.
    k == tail.len() || (tail[k] == b'#' && k > 0)
}

/// Default per-file time budget: analysing one file never takes longer than this (the slowest
/// real file measured takes well under a second).
pub const DEFAULT_FILE_BUDGET: Duration = Duration::from_secs(10);

thread_local! {
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
    static EXCEEDED: Cell<bool> = const { Cell::new(false) };
}

/// The time budget of the file being analysed on this thread; dropping it ends the budget.
pub struct Budget {
    limit: Duration,
}

impl Budget {
    /// Start a budget of `limit` for the current thread.
    pub fn start(limit: Duration) -> Budget {
        DEADLINE.with(|d| d.set(Instant::now().checked_add(limit)));
        EXCEEDED.with(|e| e.set(false));
        Budget { limit }
    }

    /// The budget's length.
    pub fn limit(&self) -> Duration {
        self.limit
    }

    /// Whether the budget ran out (checked now, or seen by a loop earlier).
    pub fn exceeded(&self) -> bool {
        budget_exceeded()
    }
}

impl Drop for Budget {
    fn drop(&mut self) {
        DEADLINE.with(|d| d.set(None));
        EXCEEDED.with(|e| e.set(false));
    }
}

/// The per-file budget (`PIPEGUARD_FILE_BUDGET_MS` overrides the default, for tests).
pub fn file_budget() -> Duration {
    std::env::var("PIPEGUARD_FILE_BUDGET_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(DEFAULT_FILE_BUDGET, Duration::from_millis)
}

/// Whether the current thread's file budget has run out. Cheap enough for inner loops (one
/// clock read); `false` when no budget is running.
pub fn budget_exceeded() -> bool {
    if EXCEEDED.with(Cell::get) {
        return true;
    }
    let over = DEADLINE.with(|d| d.get().is_some_and(|t| Instant::now() >= t));
    if over {
        EXCEEDED.with(|e| e.set(true));
    }
    over
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_is_refused_with_line() {
        let deep = format!("on: push\nx: {}{}\n", "[".repeat(100), "]".repeat(100));
        let e = yaml(&deep).unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("yaml-flow-depth"), "{e}");
        assert!(yaml("on: [push, pull_request]\nx: {a: [1, {b: c}]}\n").is_ok());
    }

    #[test]
    fn collections_outside_strings_and_block_scalars() {
        let many: String = (0..=YAML_MAX_FLOW_COLLECTIONS).fold(String::new(), |mut s, i| {
            use std::fmt::Write as _;
            let _ = writeln!(s, "k{i}: [1]");
            s
        });
        assert!(
            yaml(&many)
                .unwrap_err()
                .message
                .contains("flow collections")
        );
        let json_body: String = "[1]".repeat(YAML_MAX_FLOW_COLLECTIONS + 1);
        let in_block =
            format!("data:\n  dash.json: |\n    {json_body}\n    {json_body}\nnext: 1\n");
        assert!(yaml(&in_block).is_ok());
        let quoted = format!("a: \"{json_body}\"\nb: '{json_body}'\n");
        assert!(yaml(&quoted).is_ok());
        let commented = format!("# {json_body}\na: 1 # {json_body}\n");
        assert!(yaml(&commented).is_ok());
        // After the block scalar ends, collections count again.
        let after = format!("a: |\n  x\n{many}");
        assert!(yaml(&after).is_err());
    }

    #[test]
    fn budget_runs_out() {
        let b = Budget::start(Duration::from_millis(0));
        assert!(b.exceeded());
        drop(b);
        assert!(!budget_exceeded());
        let b = Budget::start(Duration::from_mins(1));
        assert!(!b.exceeded());
    }
}
