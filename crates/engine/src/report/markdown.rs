//! Markdown: for `$GITHUB_STEP_SUMMARY`, `--summary FILE` and pull-request comments.

use std::fmt::Write as _;

use super::Report;
use crate::finding::Severity;
use crate::policy::Verdict;

/// Table cells: no pipes or newlines.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

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
    if !s.reasons.is_empty() {
        out.push('\n');
    }
    if !report.findings.is_empty() {
        out.push_str("| severity | rule | location | message |\n|---|---|---|---|\n");
        for f in &report.findings {
            let _ = writeln!(
                out,
                "| {} | `{}` | `{}:{}` | {} |",
                f.severity,
                f.rule_id,
                cell(&f.location.path),
                f.location.start_line,
                cell(&f.message)
            );
        }
        out.push('\n');
    }
    if !report.credentials.is_empty() {
        out.push_str("### Credentials reachable from CI\n\n| credential | system | jobs | untrusted |\n|---|---|---|---|\n");
        for c in &report.credentials {
            let jobs: Vec<String> = c
                .jobs
                .iter()
                .map(|j| format!("`{}` ({})", cell(&j.job), j.triggers.join(", ")))
                .collect();
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} |",
                cell(&c.name),
                c.system,
                jobs.join("<br>"),
                if c.untrusted { "**yes**" } else { "no" }
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
        for d in failed {
            let _ = writeln!(out, "- `{}`: {}", cell(&d.path), cell(&d.message));
        }
        out.push('\n');
    }
    out
}
