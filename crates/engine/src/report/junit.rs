//! JUnit XML for Jenkins' `junit` step: a test suite per family, a test case per (rule, file)
//! with its findings, failing only at or above the fail threshold.

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

/// One test case per (rule, file): a `<failure>` only when its worst finding is at or above the
/// fail threshold (`fail_on`), else `<skipped>` (Jenkins' `junit` step counts skipped cases
/// without making the build UNSTABLE), details in `<system-out>`. Suite and case names are
/// stable between builds (no counts or scores in them); the score and the verdict are in the
/// `pipeguard.scan` suite's properties and output, and a verdict failed by the risk threshold
/// alone fails its `scan` case.
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
    let threshold = report.summary.fail_on.threshold();
    let fails = |sev: Severity| threshold.is_some_and(|t| sev >= t);
    let worst = |findings: &[&Finding]| {
        findings
            .iter()
            .map(|f| f.severity)
            .max()
            .unwrap_or(Severity::Info)
    };
    let errors: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.level == DiagnosticLevel::Error)
        .collect();
    let finding_failures: usize = suites
        .values()
        .flat_map(BTreeMap::values)
        .filter(|c| fails(worst(c)))
        .count();
    let risk_failed =
        report.summary.verdict == crate::policy::Verdict::Fail && finding_failures == 0;
    let total_cases: usize = suites.values().map(BTreeMap::len).sum::<usize>() + errors.len() + 1;
    let total_failures = finding_failures + usize::from(risk_failed);
    let total_skipped: usize = suites
        .values()
        .flat_map(BTreeMap::values)
        .filter(|c| !fails(worst(c)))
        .count();

    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"pipeguard\" tests=\"{total_cases}\" failures=\"{total_failures}\" errors=\"{}\" skipped=\"{total_skipped}\">",
        errors.len()
    );
    for (fam, cases) in &suites {
        let n_fail = cases.values().filter(|c| fails(worst(c))).count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"pipeguard.{fam}\" tests=\"{}\" failures=\"{n_fail}\" errors=\"0\" skipped=\"{}\">",
            cases.len(),
            cases.len() - n_fail
        );
        for ((rule, path), findings) in cases {
            let _ = writeln!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\">",
                xml_escape(path),
                xml_escape(rule)
            );
            let w = worst(findings);
            let summary = xml_escape(&format!(
                "{} ({} occurrence{})",
                findings[0].message,
                findings.len(),
                if findings.len() == 1 { "" } else { "s" }
            ));
            let mut details = String::new();
            for f in findings {
                let _ = writeln!(
                    details,
                    "{}:{}:{}: {} [{}] {}",
                    xml_escape(&f.location.path),
                    f.location.start_line,
                    f.location.start_column,
                    f.severity,
                    xml_escape(&f.rule_id),
                    xml_escape(&f.message)
                );
                if !f.remediation.is_empty() {
                    let _ = writeln!(details, "  fix: {}", xml_escape(&f.remediation));
                }
            }
            if fails(w) {
                let _ = writeln!(
                    out,
                    "      <failure type=\"{w}\" message=\"{summary}\">{details}</failure>"
                );
            } else {
                let _ = writeln!(
                    out,
                    "      <skipped message=\"{w}, below the fail threshold `{}`: {summary}\"/>",
                    report.summary.fail_on.as_str()
                );
                let _ = writeln!(out, "      <system-out>{details}</system-out>");
            }
            out.push_str("    </testcase>\n");
        }
        out.push_str("  </testsuite>\n");
    }
    let s = &report.summary;
    let _ = writeln!(
        out,
        "  <testsuite name=\"pipeguard.scan\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"0\">",
        errors.len() + 1,
        usize::from(risk_failed),
        errors.len()
    );
    let _ = writeln!(
        out,
        "    <properties>\n      <property name=\"files\" value=\"{}\"/>\n      <property name=\"risk_score\" value=\"{}\"/>\n      <property name=\"verdict\" value=\"{}\"/>\n      <property name=\"fail_on\" value=\"{}\"/>\n    </properties>",
        report.files.scanned,
        s.risk_score,
        s.verdict.as_str(),
        s.fail_on.as_str()
    );
    let reasons = xml_escape(&s.reasons.join("\n"));
    if risk_failed {
        let _ = writeln!(
            out,
            "    <testcase classname=\"pipeguard\" name=\"scan\"><failure type=\"risk\" message=\"{reasons}\"/><system-out>{} files, risk {}/100, {}</system-out></testcase>",
            report.files.scanned,
            s.risk_score,
            s.verdict.as_str()
        );
    } else {
        let _ = writeln!(
            out,
            "    <testcase classname=\"pipeguard\" name=\"scan\"><system-out>{} files, risk {}/100, {}</system-out></testcase>",
            report.files.scanned,
            s.risk_score,
            s.verdict.as_str()
        );
    }
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
