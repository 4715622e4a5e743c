//! Markdown: for `$GITHUB_STEP_SUMMARY`, `--summary FILE` and pull-request comments.

use std::fmt::Write as _;

use super::Report;
use crate::finding::Severity;
use crate::policy::Verdict;

/// Table cells: no pipes or newlines, and no Markdown or HTML from the scanned content (a path
/// or message could otherwise add links, images, HTML or `@mentions` to a PR comment).
/// A code span (a run of backticks with a matching closing run, as CommonMark reads it) is kept
/// as one: nothing inside it is interpreted, and pipeguard's own messages quote values that
/// way. An unmatched backtick is escaped.
fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if c == '`' {
            let n = rest.bytes().take_while(|&b| b == b'`').count();
            if let Some(close) = closing_run(&rest[n..], n) {
                out.push_str(&rest[..n]);
                out.push_str(&code(&rest[n..n + close]));
                out.push_str(&rest[..n]);
                rest = &rest[n + close + n..];
            } else {
                for _ in 0..n {
                    out.push_str("\\`");
                }
                rest = &rest[n..];
            }
            continue;
        }
        match c {
            '\n' | '\r' => out.push(' '),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '*' | '_' | '[' | ']' | '|' | '#' | '@' | '!' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Offset in `s` of the first run of exactly `n` backticks.
fn closing_run(s: &str, n: usize) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'`' {
            let len = b[i..].iter().take_while(|&&c| c == b'`').count();
            if len == n {
                return Some(i);
            }
            i += len;
        } else {
            i += 1;
        }
    }
    None
}

/// Text for a code span: nothing inside is interpreted but a backtick, which would end it.
fn code(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
        .replace('`', "\u{2035}")
        .replace('|', "\\|")
}

/// The step summary must stay well below GitHub's 1 MiB: at most this many finding rows, and
/// no more rows once the summary reaches the budget (the rest is named, not shown).
pub const MAX_FINDING_ROWS: usize = 500;
pub const MAX_TALLY_ROWS: usize = 100;
pub const FINDINGS_BUDGET: usize = 192 * 1024;
pub const CREDENTIALS_BUDGET: usize = 256 * 1024;
pub const MAX_NOT_ANALYSED_ROWS: usize = 50;

pub fn render(report: &Report) -> String {
    let s = &report.summary;
    let mut out = String::new();
    let verdict = match s.verdict {
        Verdict::Pass => "✅ pass",
        Verdict::Fail => "❌ fail",
    };
    let _ = writeln!(
        out,
        "## pipeguard: {verdict} — risk score {}/100\n",
        s.risk_score
    );
    out.push_str("| critical | high | medium | low | info | suppressed | files |\n|---:|---:|---:|---:|---:|---:|---:|\n");
    let n = |sev: Severity| s.counts.get(&sev).copied().unwrap_or(0);
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} | {} | {} |\n",
        n(Severity::Critical),
        n(Severity::High),
        n(Severity::Medium),
        n(Severity::Low),
        n(Severity::Info),
        s.suppressed_inline + s.suppressed_baseline,
        report.files.scanned
    );
    for r in &s.reasons {
        let _ = writeln!(out, "- {}", cell(r));
    }
    if let Some(note) = super::github::cap_note(report) {
        let _ = writeln!(out, "- {}", cell(&note));
    }
    if !s.reasons.is_empty() || super::github::cap_note(report).is_some() {
        out.push('\n');
    }
    if !report.findings.is_empty() {
        // Per rule: the worst rules first, then the most frequent.
        let mut tally: std::collections::BTreeMap<&str, (Severity, usize)> =
            std::collections::BTreeMap::new();
        for f in &report.findings {
            let e = tally.entry(f.rule_id.as_str()).or_insert((f.severity, 0));
            e.0 = e.0.max(f.severity);
            e.1 += 1;
        }
        let mut tally: Vec<(&str, Severity, usize)> =
            tally.into_iter().map(|(r, (s, n))| (r, s, n)).collect();
        tally.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)).then(a.0.cmp(b.0)));
        out.push_str("| rule | severity | findings |\n|---|---|---:|\n");
        for (rule, sev, n) in tally.iter().take(MAX_TALLY_ROWS) {
            let _ = writeln!(out, "| `{}` | {sev} | {n} |", code(rule));
        }
        if tally.len() > MAX_TALLY_ROWS {
            let _ = writeln!(
                out,
                "\n_{} more rules not shown._",
                tally.len() - MAX_TALLY_ROWS
            );
        }
        out.push('\n');
        out.push_str("| severity | rule | location | message |\n|---|---|---|---|\n");
        let ordered = super::github::by_severity(report);
        let mut shown = 0;
        for f in &ordered {
            if shown == MAX_FINDING_ROWS || out.len() > FINDINGS_BUDGET {
                break;
            }
            let _ = writeln!(
                out,
                "| {} | `{}` | `{}:{}` | {} |",
                f.severity,
                f.rule_id,
                code(&f.location.path),
                f.location.start_line,
                cell(&f.message)
            );
            shown += 1;
        }
        if shown < ordered.len() {
            let _ = writeln!(
                out,
                "\n_Showing the {shown} worst of {} findings (the summary is kept well below GitHub's 1 MiB limit); the SARIF and JSON reports have them all._",
                ordered.len()
            );
        }
        out.push('\n');
    }
    if !report.credentials.is_empty() {
        out.push_str("### Credentials reachable from CI\n\n| credential | system | jobs | untrusted |\n|---|---|---|---|\n");
        let mut shown = 0;
        for c in &report.credentials {
            if out.len() > CREDENTIALS_BUDGET {
                break;
            }
            let jobs: Vec<String> = c
                .jobs
                .iter()
                .map(|j| format!("`{}` ({})", code(&j.job), cell(&j.triggers.join(", "))))
                .collect();
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} |",
                code(&c.name),
                cell(&c.system),
                jobs.join("<br>"),
                if c.untrusted { "**yes**" } else { "no" }
            );
            shown += 1;
        }
        if shown < report.credentials.len() {
            let _ = writeln!(
                out,
                "\n_{} more credentials not shown; the JSON report has them all._",
                report.credentials.len() - shown
            );
        }
        out.push('\n');
    }
    let failed: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.level == crate::finding::DiagnosticLevel::Error)
        .collect();
    if !failed.is_empty() {
        out.push_str("### Not analysed\n\n");
        for d in failed.iter().take(MAX_NOT_ANALYSED_ROWS) {
            let _ = writeln!(out, "- `{}`: {}", code(&d.path), cell(&d.message));
        }
        if failed.len() > MAX_NOT_ANALYSED_ROWS {
            let _ = writeln!(
                out,
                "- _{} more not shown; the JSON report lists them all._",
                failed.len() - MAX_NOT_ANALYSED_ROWS
            );
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn cells_escape_markdown_outside_code_spans() {
        assert_eq!(
            cell("base image `node_x` has no tag"),
            "base image `node_x` has no tag"
        );
        assert_eq!(
            cell("<img src=x> [a](http://e) @team *b*|c\nd"),
            "&lt;img src=x&gt; \\[a\\](http://e) \\@team \\*b\\*\\|c d"
        );
        // An unmatched backtick opens no code span, so what follows is still escaped.
        assert_eq!(cell("`<b>"), "\\`&lt;b&gt;");
        assert_eq!(cell("``a`b`` `x"), "``a‵b`` \\`x");
        assert_eq!(cell("`a|b`"), "`a\\|b`");
    }
}
