//! Jenkinsfiles for drift: a token-level normaliser for the Groovy pipelines use. Comments,
//! indentation, blank lines and spacing disappear; string literals keep their exact quoting
//! (in Groovy `'…'` and `"…"` differ: only the latter interpolates). Each top-level `stage` is
//! one job; what lies outside the stages (agent, environment, triggers, options, post) is the
//! `(pipeline)` job.

use std::collections::BTreeSet;
use std::ops::Range;

use super::{Anchors, Job, JobKind, Profile};
use pipeguard_groovy as groovy;
use pipeguard_shell::{self as shell, classify::Kind};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokKind {
    Ident,
    Number,
    /// A string literal, quotes included.
    Str,
    Punct,
    Newline,
}

#[derive(Clone, Debug)]
pub struct Tok {
    pub kind: TokKind,
    pub span: Range<usize>,
}

/// The file as render units: the Groovy lexer's tokens (`pipeguard_groovy::lexer`: strings,
/// comments and line continuations as the analyzer reads them), with runs of code between
/// strings split into identifiers, numbers and single punctuation characters, and a `Newline`
/// for each line break outside comments. A file the lexer rejects is an error naming its line.
pub fn tokenize(text: &str) -> Result<Vec<Tok>, String> {
    let line_of = |at: usize| text[..at.min(text.len())].matches('\n').count() + 1;
    let lexed = groovy::lexer::lex(text);
    if let Some(e) = lexed.errors.first() {
        return Err(format!("{} on line {}", e.message, line_of(e.at)));
    }
    let mut block_comments: Vec<Range<usize>> = lexed
        .comments
        .iter()
        .filter(|c| text[c.start..c.end].starts_with("/*"))
        .cloned()
        .collect();
    block_comments.sort_by_key(|c| c.start);
    let mut out: Vec<Tok> = Vec::new();
    // Code between strings: adjacent tokens with nothing between them form one run.
    let mut run: Option<Range<usize>> = None;
    let mut prev_end = if text.starts_with("#!") {
        text.find('\n').unwrap_or(text.len())
    } else {
        0
    };
    let tokens = lexed
        .tokens
        .iter()
        .filter(|t| !matches!(t.tok, groovy::lexer::Tok::Eof));
    for t in tokens {
        let gap = prev_end..t.span.start;
        if !gap.is_empty() {
            if let Some(r) = run.take() {
                split_code(text, r, &mut out);
            }
            newlines(text, gap, &block_comments, &mut out);
        }
        if matches!(t.tok, groovy::lexer::Tok::Str { .. }) {
            if let Some(r) = run.take() {
                split_code(text, r, &mut out);
            }
            out.push(Tok {
                kind: TokKind::Str,
                span: t.span.clone(),
            });
        } else {
            run = Some(run.map_or(t.span.clone(), |r| r.start..t.span.end));
        }
        prev_end = t.span.end;
    }
    if let Some(r) = run.take() {
        split_code(text, r, &mut out);
    }
    newlines(text, prev_end..text.len(), &block_comments, &mut out);
    check_nesting(text, &out)?;
    Ok(out)
}

/// Deepest bracket nesting `tokenize` accepts (the Groovy parser's limit too). The normal form
/// indents by depth, so unbounded nesting would make it quadratic in the file's size (15,000
/// nested `node {` made `fingerprint` print 200 MB).
pub const MAX_NESTING: usize = 64;

fn check_nesting(text: &str, toks: &[Tok]) -> Result<(), String> {
    let b = text.as_bytes();
    let mut depth = 0usize;
    for t in toks.iter().filter(|t| t.kind == TokKind::Punct) {
        match b[t.span.start] {
            b'{' | b'(' | b'[' => {
                depth += 1;
                if depth > MAX_NESTING {
                    let line = text[..t.span.start].matches('\n').count() + 1;
                    return Err(format!(
                        "brackets nested more than {MAX_NESTING} levels deep on line {line}"
                    ));
                }
            }
            b'}' | b')' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// A `Newline` for each line break in `gap` that is not inside a block comment or escaped by
/// a line continuation.
fn newlines(text: &str, gap: Range<usize>, block_comments: &[Range<usize>], out: &mut Vec<Tok>) {
    let b = text.as_bytes();
    for i in gap {
        if b[i] != b'\n' || (i > 0 && b[i - 1] == b'\\') || in_block_comment(block_comments, i) {
            continue;
        }
        out.push(Tok {
            kind: TokKind::Newline,
            span: i..i + 1,
        });
    }
}

/// Whether byte `i` lies in one of `comments` (sorted, disjoint): a binary search, since a
/// file can hold as many comments as lines.
fn in_block_comment(comments: &[Range<usize>], i: usize) -> bool {
    let k = comments.partition_point(|c| c.end <= i);
    comments.get(k).is_some_and(|c| c.contains(&i))
}

/// Identifiers (`[A-Za-z_$]` or any non-ASCII byte, then those and digits), numbers (a digit,
/// then letters, digits, `.` and `_`) and single punctuation characters.
fn split_code(text: &str, run: Range<usize>, out: &mut Vec<Tok>) {
    let b = text.as_bytes();
    let mut i = run.start;
    while i < run.end {
        let c = b[i];
        let start = i;
        let kind = if c.is_ascii_alphabetic() || c == b'_' || c == b'$' || c >= 0x80 {
            while i < run.end
                && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$' || b[i] >= 0x80)
            {
                i += 1;
            }
            TokKind::Ident
        } else if c.is_ascii_digit() {
            while i < run.end && (b[i].is_ascii_alphanumeric() || b[i] == b'.' || b[i] == b'_') {
                i += 1;
            }
            TokKind::Number
        } else if c.is_ascii_whitespace() {
            i += 1;
            continue;
        } else {
            i += 1;
            TokKind::Punct
        };
        out.push(Tok {
            kind,
            span: start..i,
        });
    }
}

/// Render tokens as normalised lines: one logical line per source line (newlines inside
/// brackets ignored), tokens separated by one space, indentation by brace depth.
pub fn render(text: &str, toks: &[Tok]) -> String {
    let mut out = String::new();
    let mut line: Vec<&str> = Vec::new();
    let mut depth: usize = 0;
    let mut line_depth: usize = 0;
    let mut nesting: usize = 0;
    let flush = |line: &mut Vec<&str>, out: &mut String, d: usize| {
        if !line.is_empty() {
            for _ in 0..d {
                out.push_str("  ");
            }
            out.push_str(&line.join(" "));
            out.push('\n');
            line.clear();
        }
    };
    for t in toks {
        let s = &text[t.span.clone()];
        match (t.kind, s) {
            (TokKind::Newline, _) => {
                if nesting == 0 {
                    flush(&mut line, &mut out, line_depth);
                }
                continue;
            }
            (TokKind::Punct, "{") => depth += 1,
            (TokKind::Punct, "}") => {
                depth = depth.saturating_sub(1);
                if line.is_empty() {
                    line_depth = depth;
                }
            }
            (TokKind::Punct, "(" | "[") => nesting += 1,
            (TokKind::Punct, ")" | "]") => nesting = nesting.saturating_sub(1),
            _ => {}
        }
        if line.is_empty() && s != "}" {
            line_depth = if s == "{" { depth - 1 } else { depth };
        }
        line.push(s);
    }
    flush(&mut line, &mut out, line_depth);
    out
}

/// A top-level stage: its name and the token range from `stage` to the closing brace.
struct Stage {
    name: String,
    toks: Range<usize>,
}

fn tok_text<'a>(text: &'a str, t: &Tok) -> &'a str {
    &text[t.span.clone()]
}

/// The content of a string literal (quotes removed, escapes left as written).
pub fn string_content<'a>(text: &'a str, t: &Tok) -> &'a str {
    let s = tok_text(text, t);
    for q in ["'''", "\"\"\"", "'", "\"", "/"] {
        if s.len() >= 2 * q.len() && s.starts_with(q) && s.ends_with(q) {
            return &s[q.len()..s.len() - q.len()];
        }
    }
    s
}

/// The top-level stages, found by the Jenkins analyzer's Groovy parser (stages nested in
/// `parallel` or in other stages belong to their outermost stage's job). A file the parser does
/// not understand has no stage jobs: it is fingerprinted whole as the `(pipeline)` job.
fn stages(text: &str, toks: &[Tok]) -> Vec<Stage> {
    let Ok(script) = groovy::parse(text) else {
        return Vec::new();
    };
    groovy::stages(&script)
        .into_iter()
        .filter(|s| s.parents.is_empty() && !s.body.is_empty())
        .filter_map(|s| {
            let first = toks.iter().position(|t| t.span.start >= s.span.start)?;
            let end = toks[first..]
                .iter()
                .position(|t| t.span.start >= s.span.end)
                .map_or(toks.len(), |k| first + k);
            // Interpolated names keep their source text: `Deploy ${env}` is a better job id
            // than the parser's `<dynamic>`.
            let name = if s.name == "<dynamic>" {
                toks[first..end]
                    .iter()
                    .find(|t| t.kind == TokKind::Str)
                    .map_or(s.name, |t| string_content(text, t).to_string())
            } else {
                s.name
            };
            Some(Stage {
                name,
                toks: first..end,
            })
        })
        .collect()
}

pub fn jobs(path: &str, text: &str) -> Result<Vec<Job>, String> {
    let toks = tokenize(text)?;
    let stages = stages(text, &toks);
    let mut out = Vec::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut rest: Vec<Tok> = Vec::new();
    let mut cursor = 0;
    for st in &stages {
        rest.extend(toks[cursor..st.toks.start].iter().cloned());
        cursor = st.toks.end;
        let slice = &toks[st.toks.clone()];
        let mut id = st.name.clone();
        let mut n = 2;
        while !seen.insert(id.clone()) {
            id = format!("{} #{n}", st.name);
            n += 1;
        }
        let canonical = render(text, slice);
        let (profile, mut anchors) = profile(text, slice, false);
        let header_end = slice
            .iter()
            .position(|t| tok_text(text, t) == "{")
            .map_or(slice[0].span.end, |k| slice[k].span.start);
        anchors.job = slice[0].span.start..header_end;
        anchors.body = slice.last().map(|last| slice[0].span.start..last.span.end);
        out.push(Job {
            source: path.to_string(),
            id,
            kind: JobKind::JenkinsStage,
            canonical,
            profile,
            anchors,
        });
    }
    rest.extend(toks[cursor.min(toks.len())..].iter().cloned());
    // The pipeline job sees each stage only by name, so editing a stage changes that stage's
    // fingerprint alone.
    let canonical = {
        let mut s = render(text, &rest);
        for st in &stages {
            s.push_str(&format!("stage {:?}\n", st.name));
        }
        s
    };
    let (profile, mut anchors) = profile(text, &rest, true);
    let first = rest
        .iter()
        .find(|t| t.kind != TokKind::Newline)
        .map_or(0..0, |t| t.span.clone());
    anchors.job = first;
    out.push(Job {
        source: path.to_string(),
        id: "(pipeline)".into(),
        kind: JobKind::JenkinsPipeline,
        canonical,
        profile,
        anchors,
    });
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

const SCAN_STEPS: &[&str] = &[
    "anchore",
    "grypeScan",
    "snykSecurity",
    "prismaCloudScanImage",
    "aquaMicroscanner",
    "neuvector",
    "trivy",
    "pipeguard",
];

/// Profile and anchors of a token slice (a stage, or the rest of the file).
pub fn profile(text: &str, toks: &[Tok], pipeline_level: bool) -> (Profile, Anchors) {
    let mut p = Profile::default();
    let mut a = Anchors::default();
    let ident = |i: usize| {
        toks.get(i)
            .filter(|t| t.kind == TokKind::Ident)
            .map(|t| tok_text(text, t))
    };
    // The first string argument after a call name: `f 'x'`, `f('x')`, `f(script: 'x')`.
    let first_string = |i: usize| -> Option<&Tok> {
        let mut j = i + 1;
        let limit = (i + 6).min(toks.len());
        while j < limit {
            let t = &toks[j];
            match t.kind {
                TokKind::Str => return Some(t),
                TokKind::Newline => return None,
                _ => j += 1,
            }
        }
        None
    };
    // `name:` — a named argument (`label: 'x'` inside a step call), not a call.
    let named_arg = |i: usize| toks.get(i + 1).is_some_and(|t| tok_text(text, t) == ":");
    // The `script:` argument of `sh(label: 'x', script: 'y')`, within the call's parentheses.
    let script_arg = |i: usize| -> Option<&Tok> {
        if toks.get(i + 1).map(|t| tok_text(text, t)) != Some("(") {
            return None;
        }
        let mut depth = 0usize;
        for j in i + 1..toks.len() {
            match tok_text(text, &toks[j]) {
                "(" | "[" | "{" => depth += 1,
                ")" | "]" | "}" => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return None;
                    }
                }
                "script"
                    if depth == 1 && toks.get(j + 1).is_some_and(|t| tok_text(text, t) == ":") =>
                {
                    return toks.get(j + 2).filter(|t| t.kind == TokKind::Str);
                }
                _ => {}
            }
        }
        None
    };
    // The string literals of a call's arguments `f(…)`: each with the index of the top-level
    // argument it is in (`sshagent(['a', 'b'])`: both in 0; `withRegistry(url, 'id')`: 1).
    let call_strings = |i: usize| -> Vec<(usize, &Tok)> {
        let mut out = Vec::new();
        if toks.get(i + 1).map(|t| tok_text(text, t)) != Some("(") {
            return out;
        }
        let (mut depth, mut arg) = (0usize, 0usize);
        for t in &toks[i + 1..] {
            match tok_text(text, t) {
                "(" | "[" | "{" => depth += 1,
                ")" | "]" | "}" => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        break;
                    }
                }
                "," if depth == 1 => arg += 1,
                _ if t.kind == TokKind::Str => out.push((arg, t)),
                _ => {}
            }
        }
        out
    };
    let mut when_seen = false;
    let mut change_request = false;
    let mut branch_only: Option<String> = None;
    for i in 0..toks.len() {
        let Some(name) = ident(i) else { continue };
        let span = toks[i].span.clone();
        match name {
            "when" => when_seen = true,
            "changeRequest" if when_seen => change_request = true,
            "branch" if when_seen => {
                if let Some(s) = first_string(i) {
                    branch_only = Some(string_content(text, s).to_string());
                }
            }
            "credentials"
            | "credentialsId"
            | "usernamePassword"
            | "string"
            | "file"
            | "sshUserPrivateKey"
            | "usernameColonPassword" => {
                let target = if name == "credentials" || name == "credentialsId" {
                    first_string(i)
                } else {
                    None
                };
                if let Some(s) = target {
                    let id = string_content(text, s).to_string();
                    a.secrets
                        .entry(id.clone())
                        .or_insert(span.start..s.span.end);
                    p.secrets.insert(id);
                }
            }
            // `sshagent(['deploy-key', …])` binds every id of its list; `docker.withRegistry(url,
            // 'id')` its second argument (`credentials:` / `credentialsId:` forms are above).
            "sshagent" | "withRegistry" if !named_arg(i) => {
                let ids = call_strings(i).into_iter().filter(|(arg, _)| {
                    if name == "sshagent" {
                        *arg == 0
                    } else {
                        *arg == 1
                    }
                });
                for (_, s) in ids {
                    let id = string_content(text, s).to_string();
                    if id.is_empty() || id.contains("${") {
                        continue;
                    }
                    a.secrets
                        .entry(id.clone())
                        .or_insert(span.start..s.span.end);
                    p.secrets.insert(id);
                }
            }
            // `label 'x'`, `node('x')`; not a step's named argument (`sh(label: 'Build', …)`).
            "label" | "node" if !named_arg(i) => {
                if let Some(s) = first_string(i) {
                    p.runners.insert(string_content(text, s).to_string());
                    a.runner.get_or_insert(span.start..s.span.end);
                }
            }
            "image"
                if toks
                    .get(i.wrapping_sub(1))
                    .is_none_or(|t| tok_text(text, t) != ".") =>
            {
                if let Some(s) = first_string(i) {
                    p.runners
                        .insert(format!("docker:{}", string_content(text, s)));
                    a.runner.get_or_insert(span.start..s.span.end);
                }
            }
            "agent" if ident(i + 1) == Some("any") => {
                p.runners.insert("any".into());
                a.runner.get_or_insert(span.start..toks[i + 1].span.end);
            }
            "triggers" => {
                a.triggers.get_or_insert(span.clone());
            }
            // The `input` step (`input 'Deploy?'`, `input(message: …)`, a declarative
            // `input { message … }`), not a property `x.input`.
            "input"
                if toks
                    .get(i.wrapping_sub(1))
                    .is_none_or(|t| tok_text(text, t) != ".")
                    && toks.get(i + 1).is_some_and(|t| {
                        t.kind == TokKind::Str || matches!(tok_text(text, t), "(" | "{" | "message")
                    }) =>
            {
                p.approvals += 1;
            }
            "cron" | "pollSCM" | "upstream" | "githubPush" | "GenericTrigger" => {
                p.triggers.insert(name.to_string());
                a.triggers.get_or_insert(span.clone());
            }
            "sh" | "bat" | "powershell" | "pwsh" if !named_arg(i) => {
                if let Some(s) = script_arg(i).or_else(|| first_string(i)) {
                    let script = shell::parse(string_content(text, s));
                    for act in shell::classify::classify(&script) {
                        match act.kind {
                            Kind::ImageScan => p.scans_images = true,
                            Kind::ImagePush => {
                                p.pushes_images = true;
                                a.push.get_or_insert(span.start..s.span.end);
                            }
                            Kind::Deploy => {
                                p.deploys = true;
                                a.deploy.get_or_insert(span.start..s.span.end);
                            }
                            _ => {}
                        }
                    }
                }
            }
            "push"
                if toks
                    .get(i.wrapping_sub(1))
                    .is_some_and(|t| tok_text(text, t) == ".") =>
            {
                p.pushes_images = true;
                a.push.get_or_insert(span.clone());
            }
            "kubernetesDeploy" | "helmDeploy" | "deploy" | "ansiblePlaybook" => {
                p.deploys = true;
                a.deploy.get_or_insert(span.clone());
            }
            n if SCAN_STEPS.contains(&n) => p.scans_images = true,
            _ => {}
        }
    }
    if !pipeline_level {
        let t = if change_request {
            "change-request".to_string()
        } else if let Some(b) = branch_only {
            format!("branch:{b}")
        } else {
            "any-build".to_string()
        };
        p.triggers.insert(t);
    }
    (p, a)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = r#"pipeline {
    agent { label 'linux' }
    // build it
    stages {
        stage('Build') {
            steps {
                sh 'make'
            }
        }
        stage('Push') {
            when { branch 'main' }
            steps {
                withCredentials([usernamePassword(credentialsId: 'registry', usernameVariable: 'U', passwordVariable: 'P')]) {
                    sh "docker push registry.example.com/app:${BUILD_NUMBER}"
                }
            }
        }
    }
}
"#;

    #[test]
    fn stages_and_profiles() {
        let jobs = jobs("Jenkinsfile", A).unwrap();
        let ids: Vec<&str> = jobs.iter().map(|j| j.id.as_str()).collect();
        assert_eq!(ids, ["(pipeline)", "Build", "Push"]);
        let push = &jobs[2];
        assert!(push.profile.pushes_images);
        assert!(push.profile.secrets.contains("registry"));
        assert!(push.profile.triggers.contains("branch:main"));
        assert!(jobs[0].profile.runners.contains("linux"));
    }

    #[test]
    fn comments_and_spacing_do_not_matter() {
        let b = A
            .replace("    ", "  ")
            .replace("// build it\n", "/* nothing */\n\n")
            .replace("sh 'make'", "sh('make')   // make");
        let ja = jobs("Jenkinsfile", A).unwrap();
        let jb = jobs("Jenkinsfile", &b).unwrap();
        // `sh 'make'` → `sh('make')` is the same call but a different token sequence; only the
        // Build stage may differ.
        assert_eq!(ja[0].canonical, jb[0].canonical);
        assert_eq!(ja[2].canonical, jb[2].canonical);
        let c = A.replace("    ", "\t");
        assert_eq!(
            jobs("Jenkinsfile", &c).unwrap()[1].canonical,
            ja[1].canonical
        );
    }

    #[test]
    fn quoting_is_semantic() {
        let b = A.replace("sh 'make'", "sh \"make\"");
        assert_ne!(
            jobs("Jenkinsfile", A).unwrap()[1].canonical,
            jobs("Jenkinsfile", &b).unwrap()[1].canonical
        );
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(tokenize("sh 'oops").is_err());
        assert!(tokenize("/* never").is_err());
        assert!(tokenize("x = a / b / c").is_ok());
    }
}
