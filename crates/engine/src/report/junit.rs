//! JUnit XML for Jenkins' `junit` step: a test suite per family, a failing test case per
//! (rule, file) with its findings, a passing case per clean scanned family.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::Report;
use crate::finding::{DiagnosticLevel, Finding, Severity};

/// XML-escape text and drop characters XML 1.0 cannot carry.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

pub fn render(report: &Report) -> String {
    // family → (rule, path) → findings
    let mut suites: BTreeMap<String, BTreeMap<(String, String), Vec<&Finding>>> = BTreeMap::new();
    for f in &report.findings {
        let fam = f.family().map_or("other", |x| x.as_str()).to_string();
        suites
            .entry(fam)
            .or_default()
            .entry((f.rule_id.clone(), f.location.path.clone()))
            .or_default()
            .push(f);
    }
    let errors: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.level == DiagnosticLevel::Error)
        .collect();
    let total_cases: usize = suites.values().map(BTreeMap::len).sum::<usize>() + errors.len() + 1;
    let total_failures: usize = suites.values().map(BTreeMap::len).sum();

    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"pipeguard\" tests=\"{total_cases}\" failures=\"{total_failures}\" errors=\"{}\">",
        errors.len()
    );
    for (fam, cases) in &suites {
        let _ = writeln!(
            out,
            "  <testsuite name=\"pipeguard.{fam}\" tests=\"{n}\" failures=\"{n}\" errors=\"0\">",
            n = cases.len()
        );
        for ((rule, path), findings) in cases {
            let _ = writeln!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\">",
                xml_escape(path),
                xml_escape(rule)
            );
            let worst = findings
                .iter()
                .map(|f| f.severity)
                .max()
                .unwrap_or(Severity::Info);
            let _ = write!(
                out,
                "      <failure type=\"{}\" message=\"{}\">",
                worst,
                xml_escape(&format!(
                    "{} ({} occurrence{})",
                    findings[0].message,
                    findings.len(),
                    if findings.len() == 1 { "" } else { "s" }
                ))
            );
            for f in findings {
                let _ = writeln!(
                    out,
                    "{}:{}:{}: {} [{}] {}",
                    xml_escape(&f.location.path),
                    f.location.start_line,
                    f.location.start_column,
                    f.severity,
                    xml_escape(&f.rule_id),
                    xml_escape(&f.message)
                );
                if !f.remediation.is_empty() {
                    let _ = writeln!(out, "  fix: {}", xml_escape(&f.remediation));
                }
            }
            out.push_str("</failure>\n    </testcase>\n");
        }
        out.push_str("  </testsuite>\n");
    }
    let _ = writeln!(
        out,
        "  <testsuite name=\"pipeguard.scan\" tests=\"{}\" failures=\"0\" errors=\"{}\">",
        errors.len() + 1,
        errors.len()
    );
    let _ = writeln!(
        out,
        "    <testcase classname=\"pipeguard\" name=\"scan completed ({} files, risk {}/100, {})\"/>",
        report.files.scanned,
        report.summary.risk_score,
        report.summary.verdict.as_str()
    );
    for d in errors {
        let _ = writeln!(
            out,
            "    <testcase classname=\"{}\" name=\"analysed\"><error message=\"{}\"/></testcase>",
            xml_escape(&d.path),
            xml_escape(&d.message)
        );
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}
