//! Shell scripts at the level of commands and flags: a tree-sitter-bash parse turned into simple
//! commands (argv words with spans, quoting and expansions), grouped by pipeline. Used by the
//! Dockerfile `RUN`, GitHub `run:` and Jenkins `sh` analyses, and by `classify` to recognise
//! image scans, pushes, deployments and build tools that run repository code.
//!
//! Parsing never fails: a script tree-sitter cannot fully parse still yields the commands it did
//! recognise, and `Script::had_errors` says so.

pub mod classify;

use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::{LazyLock, Mutex};

use tree_sitter::{Node, Parser};

/// How a word was quoted in the source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quoting {
    /// No quotes (`foo`, `$X`).
    Bare,
    /// `'…'` (no expansion happens inside).
    Single,
    /// `"…"` (expansions happen, no word splitting).
    Double,
    /// Several parts with different quoting (`a"$b"'c'`).
    Mixed,
}

/// A `$X`, `${X…}`, `$(…)`, `` `…` `` or `$((…))` inside a word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expansion {
    /// Byte range in the script.
    pub span: Range<usize>,
    /// The variable name for `$X` / `${X…}`; `None` for command or arithmetic substitutions.
    pub variable: Option<String>,
    /// Inside double quotes (not subject to word splitting or globbing).
    pub quoted: bool,
}

/// One shell word (argument).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    /// Best-effort literal value: quotes removed, backslash escapes resolved, expansions kept as
    /// written (`"$HOME/x"` → `$HOME/x`).
    pub text: String,
    pub span: Range<usize>,
    pub quoting: Quoting,
    pub expansions: Vec<Expansion>,
}

impl Word {
    /// The word has no expansion: its value is exactly `text`.
    pub fn is_literal(&self) -> bool {
        self.expansions.is_empty()
    }
}

/// A simple command: `[VAR=value…] name args… [redirects]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    /// The command name followed by its arguments (redirections excluded).
    pub words: Vec<Word>,
    /// `VAR=value` prefixes.
    pub assignments: Vec<(String, Word)>,
    /// Byte range of the whole command in the script.
    pub span: Range<usize>,
    /// Index into `Script::pipelines`.
    pub pipeline: usize,
    /// Position in its pipeline (0 = first).
    pub stage: usize,
    /// Nested inside `$(…)` / backticks.
    pub in_substitution: bool,
}

/// Wrappers that run their arguments as a command.
const WRAPPERS: &[&str] = &[
    "sudo", "env", "time", "nice", "nohup", "exec", "command", "doas", "xargs", "timeout", "stdbuf",
];

impl Command {
    /// Base name of the command word (`/usr/bin/apt-get` → `apt-get`).
    pub fn name(&self) -> Option<&str> {
        self.words.first().map(|w| basename(&w.text))
    }

    /// The words of the command that actually runs, after wrappers such as `sudo -E`, `env A=1`,
    /// `time`, `nice -n 5`, `timeout 10`.
    pub fn effective(&self) -> &[Word] {
        let mut words = &self.words[..];
        loop {
            let Some(first) = words.first() else {
                return words;
            };
            let name = basename(&first.text);
            if !WRAPPERS.contains(&name) {
                return words;
            }
            words = &words[1..];
            // Skip the wrapper's own options and arguments.
            while let Some(w) = words.first() {
                let t = w.text.as_str();
                if t.starts_with('-') || (name == "env" && t.contains('=')) {
                    let takes_value = matches!(
                        (name, t),
                        ("sudo", "-u" | "-g" | "-C") | ("nice", "-n") | ("timeout", "-s" | "-k")
                    );
                    words = &words[1..];
                    if takes_value && !words.is_empty() {
                        words = &words[1..];
                    }
                } else if name == "timeout" && t.chars().next().is_some_and(|c| c.is_ascii_digit())
                {
                    words = &words[1..];
                } else {
                    break;
                }
            }
        }
    }

    /// Name of the command that actually runs (see `effective`).
    pub fn program(&self) -> Option<&str> {
        self.effective().first().map(|w| basename(&w.text))
    }

    /// Arguments of the effective command (without its name).
    pub fn args(&self) -> &[Word] {
        let e = self.effective();
        if e.is_empty() { e } else { &e[1..] }
    }

    /// Arguments that are not options, in order (`apt-get -y install curl` → `install`, `curl`).
    /// Options taking a separate value are not known here, so their values count as operands.
    pub fn operands(&self) -> impl Iterator<Item = &Word> {
        let mut after_dd = false;
        self.args().iter().filter(move |w| {
            if after_dd {
                return true;
            }
            if w.text == "--" {
                after_dd = true;
                return false;
            }
            !w.text.starts_with('-') || w.text == "-"
        })
    }

    /// The first operand (e.g. the subcommand of `apt-get install`, `kubectl apply`).
    pub fn subcommand(&self) -> Option<&str> {
        self.operands().next().map(|w| w.text.as_str())
    }

    /// Whether a flag is present: `short` matches `-x` and combined `-qyx`; `long` matches
    /// `--long` and `--long=value`.
    pub fn has_flag(&self, short: Option<char>, long: Option<&str>) -> bool {
        self.args().iter().any(|w| {
            let t = w.text.as_str();
            if let Some(l) = long
                && let Some(rest) = t.strip_prefix("--")
                && (rest == l || rest.strip_prefix(l).is_some_and(|r| r.starts_with('=')))
            {
                return true;
            }
            if let Some(s) = short
                && let Some(rest) = t.strip_prefix('-')
                && !rest.starts_with('-')
                && !rest.is_empty()
                && rest.chars().all(|c| c.is_ascii_alphanumeric())
                && rest.contains(s)
            {
                return true;
            }
            false
        })
    }

    /// Value of `--long=value`, `--long value`, `-s value` or `-svalue`.
    pub fn flag_value(&self, short: Option<char>, long: Option<&str>) -> Option<&Word> {
        let args = self.args();
        for (i, w) in args.iter().enumerate() {
            let t = w.text.as_str();
            if let Some(l) = long
                && let Some(rest) = t.strip_prefix("--")
            {
                if rest == l {
                    return args.get(i + 1);
                }
                if rest.strip_prefix(l).is_some_and(|r| r.starts_with('=')) {
                    return Some(w);
                }
            }
            if let Some(s) = short
                && t.len() >= 2
                && t.starts_with('-')
                && !t.starts_with("--")
                && t[1..].starts_with(s)
            {
                return if t.len() == 2 {
                    args.get(i + 1)
                } else {
                    Some(w)
                };
            }
        }
        None
    }
}

/// A pipeline: commands connected by `|`, by index into `Script::commands`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pipeline {
    pub commands: Vec<usize>,
}

/// A parsed script.
#[derive(Clone, Debug, Default)]
pub struct Script {
    pub commands: Vec<Command>,
    pub pipelines: Vec<Pipeline>,
    /// Top-level `NAME=value` statements (not the prefix of a command), in source order.
    pub statement_assignments: Vec<(String, Word)>,
    /// tree-sitter reported syntax errors; the commands are what could be recognised.
    pub had_errors: bool,
}

impl Script {
    /// Commands of the pipeline `i`, in order.
    pub fn pipeline(&self, i: usize) -> impl Iterator<Item = &Command> {
        self.pipelines
            .get(i)
            .into_iter()
            .flat_map(|p| p.commands.iter().map(|&c| &self.commands[c]))
    }

    /// The command after `cmd` in its pipeline (what `cmd`'s output is piped into).
    pub fn piped_into(&self, cmd: &Command) -> Option<&Command> {
        self.pipeline(cmd.pipeline).nth(cmd.stage + 1)
    }
}

pub fn basename(s: &str) -> &str {
    s.rsplit('/').next().unwrap_or(s)
}

thread_local! {
    /// One bash parser per thread, reused: creating one and loading the grammar costs about as
    /// much as parsing a typical `RUN` line.
    static PARSER: RefCell<Option<Parser>> = const { RefCell::new(None) };
}

/// Scripts already parsed by this process, by text. The `RUN` lines of a repository's
/// Dockerfiles and the `run:` steps of its workflows repeat a lot (the docker-library images:
/// 540 distinct scripts in 1,314 `RUN` instructions); a repeat costs a clone, not a parse.
static PARSED: LazyLock<Mutex<HashMap<String, Script>>> = LazyLock::new(Mutex::default);
/// Longer scripts are rarely repeated verbatim; the bound keeps the cache small.
const CACHE_TEXT_MAX: usize = 16 * 1024;
const CACHE_ENTRIES_MAX: usize = 4096;
/// How deep `Builder::collect` follows the parts of one word.
const WORD_DEPTH_MAX: usize = 16;

/// Parse a script. Byte offsets in the result are offsets into `text`.
pub fn parse(text: &str) -> Script {
    let cacheable = text.len() <= CACHE_TEXT_MAX;
    if cacheable
        && let Ok(cache) = PARSED.lock()
        && let Some(script) = cache.get(text)
    {
        return script.clone();
    }
    let script = parse_uncached(text);
    if cacheable && let Ok(mut cache) = PARSED.lock() {
        if cache.len() >= CACHE_ENTRIES_MAX {
            cache.clear();
        }
        cache.insert(text.to_string(), script.clone());
    }
    script
}

fn parse_uncached(text: &str) -> Script {
    let tree = PARSER.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            let mut parser = Parser::new();
            parser
                .set_language(&tree_sitter_bash::LANGUAGE.into())
                .ok()?;
            *slot = Some(parser);
        }
        let parser = slot.as_mut()?;
        let tree = parser.parse(text, None);
        // A parse that gave up (it never does without a timeout) leaves the parser mid-way.
        if tree.is_none() {
            parser.reset();
        }
        tree
    });
    let Some(tree) = tree else {
        return Script {
            had_errors: true,
            ..Script::default()
        };
    };
    let root = tree.root_node();
    let mut b = Builder {
        text,
        script: Script::default(),
    };
    b.script.had_errors = root.has_error();
    b.visit(root, None, false);
    b.script.statement_assignments = b.statement_assignments(root);
    b.script
}

struct Builder<'t> {
    text: &'t str,
    script: Script,
}

/// A pending step of the iterative walk.
enum Work<'n> {
    /// Visit a statement node: `(node, pipeline position, inside a substitution)`.
    Visit(Node<'n>, Option<(usize, usize)>, bool),
    /// Look for `$(…)` / `<(…)` inside the words of a command.
    Substitutions(Node<'n>),
}

/// The children of `node` that hold substitutions, in order: a substitution is visited as
/// statements, other nodes with children (except subshells) are searched further.
fn substitutions_of<'n>(node: Node<'n>, next: &mut Vec<Work<'n>>) {
    let mut cursor = node.walk();
    for child in node.named_children(&mut cursor) {
        if matches!(
            child.kind(),
            "command_substitution" | "process_substitution"
        ) {
            next.push(Work::Visit(child, None, true));
        } else if child.named_child_count() > 0 && child.kind() != "subshell" {
            next.push(Work::Substitutions(child));
        }
    }
}

impl Builder<'_> {
    fn src(&self, n: Node<'_>) -> &str {
        self.text.get(n.byte_range()).unwrap_or_default()
    }

    /// Walk statements; `pipe` is (pipeline index, stage) when directly inside a pipeline.
    /// Iterative (an explicit stack, children pushed in reverse so the order is the recursive
    /// pre-order): a script nests as deep as its author likes (`((((…))))`, 20,000 `&&` make a
    /// left-deep `list`), and recursion on that depth would overflow the stack.
    fn visit(&mut self, root: Node<'_>, pipe: Option<(usize, usize)>, in_subst: bool) {
        let mut stack = vec![Work::Visit(root, pipe, in_subst)];
        let mut later: Vec<Work<'_>> = Vec::new();
        while let Some(work) = stack.pop() {
            match work {
                Work::Visit(node, pipe, in_subst) => {
                    self.visit_one(node, pipe, in_subst, &mut later);
                }
                Work::Substitutions(node) => substitutions_of(node, &mut later),
            }
            stack.extend(later.drain(..).rev());
        }
    }

    /// One step of `visit`: handle `node`, queue its children (in order) on `next`.
    fn visit_one<'n>(
        &mut self,
        node: Node<'n>,
        pipe: Option<(usize, usize)>,
        in_subst: bool,
        next: &mut Vec<Work<'n>>,
    ) {
        match node.kind() {
            "command" => {
                self.command(node, pipe, in_subst);
                // Substitutions inside arguments run commands too.
                next.push(Work::Substitutions(node));
            }
            "pipeline" => {
                let idx = self.script.pipelines.len();
                self.script.pipelines.push(Pipeline::default());
                let mut cursor = node.walk();
                for (stage, child) in node.named_children(&mut cursor).enumerate() {
                    next.push(Work::Visit(child, Some((idx, stage)), in_subst));
                }
            }
            "redirected_statement" => {
                // The body keeps the pipeline position; heredoc bodies are data, not commands.
                if let Some(body) = node.child_by_field_name("body") {
                    next.push(Work::Visit(body, pipe, in_subst));
                }
                let mut cursor = node.walk();
                for child in node.named_children(&mut cursor) {
                    if child.kind() == "heredoc_redirect" {
                        let mut c2 = child.walk();
                        for part in child.named_children(&mut c2) {
                            if matches!(
                                part.kind(),
                                "pipeline" | "command" | "list" | "redirected_statement"
                            ) {
                                next.push(Work::Visit(part, None, in_subst));
                            }
                        }
                    }
                }
            }
            "command_substitution" | "process_substitution" => {
                let mut cursor = node.walk();
                for child in node.named_children(&mut cursor) {
                    next.push(Work::Visit(child, None, true));
                }
            }
            "heredoc_body" | "comment" => {}
            _ => {
                let keep = pipe.filter(|_| node.kind() == "negated_command");
                let mut cursor = node.walk();
                for child in node.named_children(&mut cursor) {
                    next.push(Work::Visit(child, keep, in_subst));
                }
            }
        }
    }

    fn command(&mut self, node: Node<'_>, pipe: Option<(usize, usize)>, in_subst: bool) {
        let mut words = Vec::new();
        let mut assignments = Vec::new();
        let mut cursor = node.walk();
        for child in node.named_children(&mut cursor) {
            match child.kind() {
                "variable_assignment" => {
                    let name = child
                        .child_by_field_name("name")
                        .map(|n| self.src(n).to_string())
                        .unwrap_or_default();
                    let value = child.child_by_field_name("value").map_or_else(
                        || Word {
                            text: String::new(),
                            span: child.end_byte()..child.end_byte(),
                            quoting: Quoting::Bare,
                            expansions: Vec::new(),
                        },
                        |v| self.word(v),
                    );
                    assignments.push((name, value));
                }
                "command_name" => {
                    if let Some(inner) = child.named_child(0) {
                        words.push(self.word(inner));
                    } else {
                        words.push(self.word(child));
                    }
                }
                "file_redirect" | "herestring_redirect" | "heredoc_redirect" | "subshell" => {}
                _ => words.push(self.word(child)),
            }
        }
        if words.is_empty() && assignments.is_empty() {
            return;
        }
        let (pipeline, stage) = match pipe {
            Some(p) => p,
            None => {
                let idx = self.script.pipelines.len();
                self.script.pipelines.push(Pipeline::default());
                (idx, 0)
            }
        };
        let index = self.script.commands.len();
        if let Some(p) = self.script.pipelines.get_mut(pipeline) {
            p.commands.push(index);
        }
        self.script.commands.push(Command {
            words,
            assignments,
            span: node.byte_range(),
            pipeline,
            stage,
            in_substitution: in_subst,
        });
    }

    fn word(&self, node: Node<'_>) -> Word {
        let mut text = String::new();
        let mut expansions = Vec::new();
        let quoting = self.collect(node, false, 0, &mut text, &mut expansions);
        Word {
            text,
            span: node.byte_range(),
            quoting,
            expansions,
        }
    }

    /// Append the literal value of `node` to `out`; returns its quoting. Words nest only a few
    /// levels (a string in a concatenation); past `WORD_DEPTH_MAX` the text is taken as written.
    fn collect(
        &self,
        node: Node<'_>,
        in_double: bool,
        depth: usize,
        out: &mut String,
        exps: &mut Vec<Expansion>,
    ) -> Quoting {
        if depth > WORD_DEPTH_MAX {
            out.push_str(self.src(node));
            return Quoting::Bare;
        }
        match node.kind() {
            "raw_string" => {
                let s = self.src(node);
                out.push_str(
                    s.strip_prefix('\'')
                        .and_then(|x| x.strip_suffix('\''))
                        .unwrap_or(s),
                );
                Quoting::Single
            }
            "ansi_c_string" => {
                let s = self.src(node);
                out.push_str(
                    s.strip_prefix("$'")
                        .and_then(|x| x.strip_suffix('\''))
                        .unwrap_or(s),
                );
                Quoting::Single
            }
            "string" => {
                // Walk the string's text, taking literal runs between children as written.
                let range = node.byte_range();
                let mut pos = range.start + 1;
                let end = range.end.saturating_sub(1).max(pos);
                let mut cursor = node.walk();
                for child in node.named_children(&mut cursor) {
                    if child.start_byte() > pos {
                        out.push_str(&unescape_double(
                            self.text.get(pos..child.start_byte()).unwrap_or_default(),
                        ));
                    }
                    if child.kind() == "string_content" {
                        out.push_str(&unescape_double(self.src(child)));
                    } else {
                        self.collect(child, true, depth + 1, out, exps);
                    }
                    pos = child.end_byte();
                }
                if end > pos {
                    out.push_str(&unescape_double(
                        self.text.get(pos..end).unwrap_or_default(),
                    ));
                }
                Quoting::Double
            }
            "simple_expansion" | "expansion" => {
                let s = self.src(node);
                push_capped(out, s);
                exps.push(Expansion {
                    span: node.byte_range(),
                    variable: variable_of(s),
                    quoted: in_double,
                });
                if in_double {
                    Quoting::Double
                } else {
                    Quoting::Bare
                }
            }
            "command_substitution" | "arithmetic_expansion" | "process_substitution" => {
                push_capped(out, self.src(node));
                exps.push(Expansion {
                    span: node.byte_range(),
                    variable: None,
                    quoted: in_double,
                });
                if in_double {
                    Quoting::Double
                } else {
                    Quoting::Bare
                }
            }
            "concatenation" => {
                let mut kinds = Vec::new();
                let mut cursor = node.walk();
                let mut pos = node.start_byte();
                for child in node.named_children(&mut cursor) {
                    if child.start_byte() > pos {
                        out.push_str(&unescape_bare(
                            self.text.get(pos..child.start_byte()).unwrap_or_default(),
                        ));
                    }
                    kinds.push(self.collect(child, in_double, depth + 1, out, exps));
                    pos = child.end_byte();
                }
                if node.end_byte() > pos {
                    out.push_str(&unescape_bare(
                        self.text.get(pos..node.end_byte()).unwrap_or_default(),
                    ));
                }
                match kinds.first() {
                    Some(first) if kinds.iter().all(|k| k == first) => *first,
                    Some(_) => Quoting::Mixed,
                    None => Quoting::Bare,
                }
            }
            _ => {
                out.push_str(&unescape_bare(self.src(node)));
                Quoting::Bare
            }
        }
    }
}

/// Longest expansion or substitution copied into a word's text. A word is its parts as
/// written; `$($($(…)))` nested 16,000 deep would otherwise copy the whole rest of the script
/// into every level's word (quadratic), and every rule that looks at a command's name scans
/// that word again. The commands inside are still all visited; only the text of the enclosing
/// word is shortened (`…` marks the cut).
const WORD_PART_MAX: usize = 256;

fn push_capped(out: &mut String, s: &str) {
    if s.len() <= WORD_PART_MAX {
        out.push_str(s);
        return;
    }
    let mut end = WORD_PART_MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    out.push_str(&s[..end]);
    out.push('…');
}

fn variable_of(s: &str) -> Option<String> {
    let body = s.strip_prefix('$')?;
    let body = body.strip_prefix('{').unwrap_or(body);
    let body = body.strip_prefix('!').unwrap_or(body);
    let end = body
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(body.len());
    (end > 0).then(|| body[..end].to_string())
}

/// Backslash escapes outside quotes: `\x` → `x`, `\<newline>` → nothing.
fn unescape_bare(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('\n') | None => {}
                Some(n) => out.push(n),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Inside double quotes only `\$ \` \" \\ \<newline>` are escapes.
fn unescape_double(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.peek() {
                Some('$' | '`' | '"' | '\\') => {
                    if let Some(n) = chars.next() {
                        out.push(n);
                    }
                }
                Some('\n') => {
                    chars.next();
                }
                _ => out.push(c),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Top-level `NAME=value` statements of a script (assignments that are not the prefix of a
/// command, e.g. `deps='gcc make' && apt-get install $deps`), in source order. Spans are offsets
/// into `text`.
pub fn statement_assignments(text: &str) -> Vec<(String, Word)> {
    parse(text).statement_assignments
}

impl Builder<'_> {
    fn statement_assignments(&self, root: Node<'_>) -> Vec<(String, Word)> {
        let mut out = Vec::new();
        let mut stack = vec![root];
        while let Some(node) = stack.pop() {
            if node.kind() == "variable_assignment" {
                if node.parent().is_some_and(|p| p.kind() != "command") {
                    let name = node
                        .child_by_field_name("name")
                        .map(|n| self.src(n).to_string())
                        .unwrap_or_default();
                    if let Some(v) = node.child_by_field_name("value") {
                        out.push((name, self.word(v)));
                    }
                }
                continue;
            }
            if matches!(node.kind(), "command" | "heredoc_body" | "comment") {
                continue;
            }
            let mut cursor = node.walk();
            let children: Vec<Node<'_>> = node.named_children(&mut cursor).collect();
            stack.extend(children.into_iter().rev());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(s: &Script) -> Vec<String> {
        s.commands
            .iter()
            .map(|c| {
                c.words
                    .iter()
                    .map(|w| w.text.clone())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }

    #[test]
    fn lists_pipelines_and_continuations() {
        let s = parse(
            "apt-get update && \\\n  apt-get install -y --no-install-recommends curl=7.* ; curl -fsSL https://x.sh | sudo bash -s -- --yes",
        );
        assert_eq!(
            names(&s),
            [
                "apt-get update",
                "apt-get install -y --no-install-recommends curl=7.*",
                "curl -fsSL https://x.sh",
                "sudo bash -s -- --yes"
            ]
        );
        let curl = &s.commands[2];
        let sh = s.piped_into(curl).unwrap();
        assert_eq!(sh.program(), Some("bash"));
        assert_eq!(sh.name(), Some("sudo"));
        assert!(s.commands[1].has_flag(Some('y'), Some("yes")));
        assert!(s.commands[1].has_flag(None, Some("no-install-recommends")));
        assert_eq!(s.commands[1].subcommand(), Some("install"));
        assert!(!s.had_errors);
    }

    #[test]
    fn quoting_and_expansions() {
        let src = r#"echo "title: ${TITLE}" '$NOT' $BARE "$(date)" a"b"'c'"#;
        let s = parse(src);
        let w = &s.commands[0].words;
        assert_eq!(w[1].text, "title: ${TITLE}");
        assert_eq!(w[1].quoting, Quoting::Double);
        assert_eq!(w[1].expansions[0].variable.as_deref(), Some("TITLE"));
        assert!(w[1].expansions[0].quoted);
        assert_eq!(w[2].text, "$NOT");
        assert!(w[2].is_literal());
        assert_eq!(w[3].expansions[0].variable.as_deref(), Some("BARE"));
        assert!(!w[3].expansions[0].quoted);
        assert_eq!(w[5].text, "abc");
        assert_eq!(w[5].quoting, Quoting::Mixed);
        assert_eq!(&src[w[1].span.clone()], "\"title: ${TITLE}\"");
        // `date` inside the substitution is a command too.
        assert!(
            s.commands
                .iter()
                .any(|c| c.name() == Some("date") && c.in_substitution)
        );
    }

    #[test]
    fn assignments_wrappers_and_flags() {
        let s = parse(
            "DEBIAN_FRONTEND=noninteractive sudo -E -u root env A=1 pip install --no-cache-dir -r req.txt",
        );
        let c = &s.commands[0];
        assert_eq!(c.assignments[0].0, "DEBIAN_FRONTEND");
        assert_eq!(c.program(), Some("pip"));
        assert_eq!(c.subcommand(), Some("install"));
        assert_eq!(
            c.flag_value(Some('r'), Some("requirement"))
                .map(|w| w.text.as_str()),
            Some("req.txt")
        );
        let s = parse("docker build --tag=app:1 -t other .");
        assert_eq!(
            s.commands[0]
                .flag_value(None, Some("tag"))
                .map(|w| w.text.as_str()),
            Some("--tag=app:1")
        );
    }

    #[test]
    fn heredocs_and_compound_statements() {
        let s = parse(
            "if [ -f x ]; then make build; fi\ncat <<EOF > out\nrm -rf /\nEOF\nfor f in *; do chmod 777 \"$f\"; done",
        );
        let n = names(&s);
        assert!(n.contains(&"make build".to_string()), "{n:?}");
        assert!(n.contains(&"cat".to_string()), "{n:?}");
        assert!(
            !n.iter().any(|c| c.starts_with("rm")),
            "heredoc body is data: {n:?}"
        );
        assert!(n.contains(&"chmod 777 $f".to_string()), "{n:?}");
    }

    #[test]
    fn statement_level_assignments() {
        let a =
            statement_assignments("deps=' gcc make ' && X=1 apt-get install $deps; Y=\"$deps\"");
        let names: Vec<_> = a
            .iter()
            .map(|(n, w)| (n.as_str(), w.text.as_str()))
            .collect();
        assert_eq!(names, [("deps", " gcc make "), ("Y", "$deps")]);
    }

    #[test]
    fn broken_scripts_still_yield_commands() {
        let s = parse("echo ok && (unterminated \"quote");
        assert!(s.had_errors);
        assert!(names(&s).iter().any(|c| c == "echo ok"));
        let s = parse("");
        assert!(s.commands.is_empty());
    }
}
