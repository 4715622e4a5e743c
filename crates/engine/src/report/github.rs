//! GitHub Actions workflow commands (`::error file=…::msg`) and the Markdown step summary.

use std::fmt::Write as _;

use super::Report;
use crate::finding::Severity;

/// Escape the message part of a workflow command.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a property value (also `:` and `,`, which delimit properties).
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn command(sev: Severity) -> &'static str {
    match sev {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "notice",
    }
}

/// GitHub shows at most this many annotations of each type (error, warning, notice) per step.
pub const ANNOTATIONS_PER_TYPE: usize = 10;

/// The findings in the order the annotations are printed: the worst first (GitHub shows the
/// first ten of each type), then by path and line.
pub fn by_severity(report: &Report) -> Vec<&crate::finding::Finding> {
    let mut v: Vec<&crate::finding::Finding> = report.findings.iter().collect();
    v.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.sort_key().cmp(&b.sort_key()))
    });
    v
}

/// "showing 10 of 37 errors, 10 of 52 warnings" for the annotation types over GitHub's limit
/// (empty when every annotation is shown).
pub fn cap_note(report: &Report) -> Option<String> {
    let mut counts = [0usize; 3];
    for f in &report.findings {
        counts[match command(f.severity) {
            "error" => 0,
            "warning" => 1,
            _ => 2,
        }] += 1;
    }
    let parts: Vec<String> = ["error", "warning", "notice"]
        .iter()
        .zip(counts)
        .filter(|(_, n)| *n > ANNOTATIONS_PER_TYPE)
        .map(|(t, n)| format!("{ANNOTATIONS_PER_TYPE} of {n} {t}s"))
        .collect();
    (!parts.is_empty()).then(|| {
        format!(
            "GitHub shows {ANNOTATIONS_PER_TYPE} annotations of each type per step: showing {} (the worst first); full list in the SARIF / step summary",
            parts.join(", ")
        )
    })
}

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for f in by_severity(report) {
        let l = &f.location;
        let mut msg = f.message.clone();
        if !f.remediation.is_empty() {
            msg.push_str("\n\nFix: ");
            msg.push_str(&f.remediation);
        }
        let _ = writeln!(
            out,
            "::{} file={},line={},endLine={},col={},endColumn={},title={}::{}",
            command(f.severity),
            escape_property(&l.path),
            l.start_line,
            l.end_line,
            l.start_column,
            l.end_column,
            escape_property(&format!("{} ({})", f.rule_id, f.severity)),
            escape_data(&msg)
        );
    }
    for d in &report.diagnostics {
        if d.level == crate::finding::DiagnosticLevel::Error {
            let _ = writeln!(
                out,
                "::warning file={},title={}::{}",
                escape_property(&d.path),
                escape_property("pipeguard: file not analysed"),
                escape_data(&d.message)
            );
        }
    }
    if let Some(note) = cap_note(report) {
        let _ = writeln!(out, "{note}");
    }
    let _ = writeln!(out, "{}", super::text::summary_line(report));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(escape_data("100%\nnext\r"), "100%25%0Anext%0D");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
