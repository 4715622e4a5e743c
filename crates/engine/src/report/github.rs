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

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
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
