//! Human report, rustc-style: the finding, the source line and a caret under the span.

use std::fmt::Write as _;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet, renderer::DecorStyle};

use super::{Report, plural};
use crate::finding::{DiagnosticLevel, Finding, Severity};
use crate::policy::Verdict;

fn level(sev: Severity) -> Level<'static> {
    let base = match sev {
        Severity::Critical | Severity::High => Level::ERROR,
        Severity::Medium => Level::WARNING,
        Severity::Low => Level::NOTE,
        Severity::Info => Level::INFO,
    };
    base.with_name(sev.as_str())
}

/// Byte offset in `source` (lines joined by '\n') of a 1-based char column on snippet line `i`.
fn offset(lines: &[String], i: usize, column: u32) -> usize {
    let i = i.min(lines.len().saturating_sub(1));
    let mut off: usize = lines[..i].iter().map(|l| l.len() + 1).sum();
    let line = &lines[i];
    let skip = column.saturating_sub(1) as usize;
    off += line.char_indices().nth(skip).map_or(line.len(), |(b, _)| b);
    off
}

/// `link`: the rule id is an OSC-8 hyperlink to its documentation (terminals only).
fn render_finding(f: &Finding, renderer: &Renderer, link: bool) -> String {
    let loc = &f.location;
    let mut groups: Vec<Group<'_>> = Vec::new();
    let mut primary = level(f.severity)
        .primary_title(f.message.clone())
        .id(f.rule_id.clone());
    if link {
        primary = primary.id_url(super::sarif::help_uri(&f.rule_id));
    }
    let group = match &f.snippet {
        Some(snip) if !snip.lines.is_empty() => {
            let source = snip.lines.join("\n");
            let last = snip.lines.len() - 1;
            let start = offset(&snip.lines, 0, snip.caret.0);
            let end_line_idx = (loc.end_line.saturating_sub(snip.start_line) as usize).min(last);
            let end = if end_line_idx == 0 {
                offset(&snip.lines, 0, snip.caret.1)
            } else {
                offset(&snip.lines, end_line_idx, loc.end_column)
            }
            .max(start);
            let end = if end == start && start < source.len() {
                start + source[start..].chars().next().map_or(1, char::len_utf8)
            } else {
                end
            };
            primary.element(
                Snippet::source(source)
                    .line_start(snip.start_line as usize)
                    .path(loc.path.clone())
                    .annotation(AnnotationKind::Primary.span(start..end)),
            )
        }
        _ => primary.element(
            annotate_snippets::Origin::path(loc.path.clone())
                .line(loc.start_line as usize)
                .char_column(loc.start_column as usize),
        ),
    };
    groups.push(group);
    for r in &f.related {
        groups.push(Group::with_title(Level::NOTE.secondary_title(format!(
            "{}: {}:{}:{}",
            r.message, r.location.path, r.location.start_line, r.location.start_column
        ))));
    }
    if !f.remediation.is_empty() {
        groups.push(Group::with_title(
            Level::HELP.secondary_title(f.remediation.clone()),
        ));
    }
    if let Some(p) = &f.provenance {
        groups.push(Group::with_title(Level::NOTE.secondary_title(format!(
            "introduced in commit {} by {} on {}",
            &p.commit[..p.commit.len().min(12)],
            p.author,
            p.date
        ))));
    }
    renderer.render(&groups)
}

pub fn render(report: &Report, color: bool) -> String {
    render_with(
        report,
        &super::RenderOptions {
            color,
            show_credentials: true,
            ..super::RenderOptions::default()
        },
    )
}

/// The text report: findings grouped by severity (the worst first), then by path and line;
/// diagnostics; the credentials block when asked for; a per-rule tally; the summary line.
pub fn render_with(report: &Report, opts: &super::RenderOptions) -> String {
    let renderer = if opts.color {
        Renderer::styled().decor_style(DecorStyle::Unicode)
    } else {
        Renderer::plain()
    };
    let mut out = String::new();
    if opts.quiet {
        for d in &report.diagnostics {
            if d.level == DiagnosticLevel::Error {
                let _ = writeln!(out, "error: {}: {}", d.path, d.message);
            }
        }
        out.push_str(&summary_line(report));
        out.push('\n');
        return out;
    }
    for d in &report.drift {
        let _ = writeln!(out, "{} job `{}` ({})", d.status, d.id, d.source);
        out.push_str(&d.diff);
        out.push('\n');
    }
    let mut shown: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| opts.min_severity.is_none_or(|m| f.severity >= m))
        .collect();
    shown.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.sort_key().cmp(&b.sort_key()))
    });
    for f in &shown {
        out.push_str(&render_finding(f, &renderer, opts.color));
        out.push_str("\n\n");
    }
    for d in &report.diagnostics {
        let tag = match d.level {
            DiagnosticLevel::Error => "error",
            DiagnosticLevel::Note => "note",
        };
        let _ = writeln!(out, "{tag}: {}: {}", d.path, d.message);
    }
    if !report.diagnostics.is_empty() {
        out.push('\n');
    }
    if opts.show_credentials && !report.credentials.is_empty() {
        out.push_str("Credentials reachable from CI:\n");
        for c in &report.credentials {
            let _ = writeln!(
                out,
                "  {} ({}){}",
                c.name,
                c.system,
                if c.untrusted {
                    " — REACHABLE BY UNTRUSTED CODE"
                } else {
                    ""
                }
            );
            for j in &c.jobs {
                let _ = writeln!(
                    out,
                    "    {}:{} job `{}` on {}{}",
                    j.path,
                    j.location.start_line,
                    j.job,
                    if j.triggers.is_empty() {
                        "-".to_string()
                    } else {
                        j.triggers.join(", ")
                    },
                    if j.untrusted { " (untrusted)" } else { "" }
                );
            }
        }
        out.push('\n');
    } else if !report.credentials.is_empty() {
        let untrusted = report.credentials.iter().filter(|c| c.untrusted).count();
        let _ = writeln!(
            out,
            "{} reachable from CI{}; --show-credentials lists them (the JSON report always has them).\n",
            plural(report.credentials.len(), "credential"),
            if untrusted > 0 {
                format!(", {untrusted} by untrusted code")
            } else {
                String::new()
            }
        );
    }
    if !report.findings.is_empty() {
        out.push_str(&tally(report));
        out.push('\n');
    }
    if shown.len() < report.findings.len() {
        let _ = writeln!(
            out,
            "{} below --min-severity not shown (they still count for the verdict).",
            plural(report.findings.len() - shown.len(), "finding")
        );
    }
    out.push_str(&summary_line(report));
    out.push('\n');
    out
}

/// Findings per rule, the worst rule first, then the most frequent. A rule reported at several
/// severities (by source, by persona) says how many at each, so the column never overstates.
pub fn tally(report: &Report) -> String {
    let mut by_rule: std::collections::BTreeMap<&str, std::collections::BTreeMap<Severity, usize>> =
        std::collections::BTreeMap::new();
    for f in &report.findings {
        *by_rule
            .entry(f.rule_id.as_str())
            .or_default()
            .entry(f.severity)
            .or_insert(0) += 1;
    }
    let mut rows: Vec<(&str, Severity, usize, String)> = by_rule
        .into_iter()
        .map(|(r, per)| {
            let worst = per.keys().next_back().copied().unwrap_or(Severity::Info);
            let n = per.values().sum();
            let split = if per.len() > 1 {
                let parts: Vec<String> = per
                    .iter()
                    .rev()
                    .map(|(s, n)| format!("{n} {}", s.as_str()))
                    .collect();
                format!(" ({})", parts.join(", "))
            } else {
                String::new()
            };
            (r, worst, n, split)
        })
        .collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)).then(a.0.cmp(b.0)));
    let mut out = String::from("Findings per rule:\n");
    for (rule, sev, n, split) in rows {
        let _ = writeln!(out, "  {n:>5}  {:<8}  {rule}{split}", sev.as_str());
    }
    out
}

pub fn summary_line(report: &Report) -> String {
    let s = &report.summary;
    let mut parts: Vec<String> = Vec::new();
    for sev in Severity::ALL {
        let n = s.counts.get(&sev).copied().unwrap_or(0);
        if n > 0 {
            parts.push(format!("{n} {sev}"));
        }
    }
    let mut line = plural(s.total, "finding");
    if !parts.is_empty() {
        let _ = write!(line, " ({})", parts.join(", "));
    }
    let _ = write!(line, " in {}", plural(report.files.scanned, "file"));
    let suppressed = s.suppressed_inline + s.suppressed_baseline;
    if suppressed > 0 {
        let _ = write!(line, ", {suppressed} suppressed");
    }
    if report.files.skipped > 0 {
        let _ = write!(line, ", {} skipped", report.files.skipped);
    }
    if report.files.failed > 0 {
        let _ = write!(
            line,
            ", {} not analysed",
            plural(report.files.failed, "file")
        );
    }
    // `scan --validate`: what the providers said, by status.
    let validated: Vec<String> = ["live", "revoked", "unknown"]
        .iter()
        .filter_map(|status| {
            let n = report
                .findings
                .iter()
                .filter(|f| f.properties.get("validation").map(String::as_str) == Some(*status))
                .count();
            (n > 0).then(|| format!("{n} {status}"))
        })
        .collect();
    if !validated.is_empty() {
        let _ = write!(line, "; secrets validated: {}", validated.join(", "));
    }
    let _ = write!(
        line,
        "; risk score {}/100; verdict: {}",
        s.risk_score,
        match s.verdict {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
        }
    );
    if !s.reasons.is_empty() {
        let _ = write!(line, " ({})", s.reasons.join("; "));
    }
    line
}
