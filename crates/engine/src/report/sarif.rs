//! SARIF 2.1.0 for code-scanning uploads: rules with help text, partialFingerprints, related
//! locations, and tool notifications for files that could not be analysed.

use serde_json::{Value, json};

use super::Report;
use crate::finding::{Confidence, DiagnosticLevel, Location, Severity};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFO_URI: &str = "https://github.com/pipeguard/pipeguard";

pub fn level(sev: Severity) -> &'static str {
    match sev {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub code scanning's numeric `security-severity` (critical ≥ 9, high ≥ 7, medium ≥ 4,
/// low > 0). Info rules have none: they are not security alerts.
fn security_severity(sev: Severity) -> Option<&'static str> {
    match sev {
        Severity::Critical => Some("9.5"),
        Severity::High => Some("8.0"),
        Severity::Medium => Some("5.5"),
        Severity::Low => Some("3.0"),
        Severity::Info => None,
    }
}

/// GitHub's documented limits for a SARIF upload (docs.github.com, "SARIF support for code
/// scanning"): results per run, related locations per result, tags per rule, and the upload
/// size (10 MB gzip-compressed; pipeguard keeps the uncompressed file below it).
pub const MAX_RESULTS_PER_RUN: usize = 25_000;
pub const MAX_RELATED_PER_RESULT: usize = 1_000;
pub const MAX_TAGS_PER_RULE: usize = 20;
pub const MAX_BYTES: usize = 10 * 1024 * 1024;

/// The documentation of a rule: its catalogue file, a stable address per rule id.
pub fn help_uri(id: &str) -> String {
    match id.split_once('/') {
        Some((family, name))
            if !family.is_empty()
                && family.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
                && !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') =>
        {
            format!("{INFO_URI}/blob/main/crates/engine/rules/{family}/{name}.yaml")
        }
        _ => format!("{INFO_URI}#rules"),
    }
}

/// SARIF message text is Markdown-like: literal brackets must be escaped so that only the links
/// pipeguard writes (`[text](id)` to a related location) are links.
fn escape_message(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Percent-encode a relative path for an artifact URI (RFC 3986 unreserved and `/` kept).
pub fn uri_encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn physical(loc: &Location, snippet: Option<&str>) -> Value {
    let mut region = json!({
        "startLine": loc.start_line.max(1),
        "startColumn": loc.start_column.max(1),
        "endLine": loc.end_line.max(loc.start_line).max(1),
        "endColumn": loc.end_column.max(1),
    });
    if let Some(s) = snippet {
        region["snippet"] = json!({ "text": s });
    }
    json!({
        "artifactLocation": { "uri": uri_encode(&loc.path), "uriBaseId": "%SRCROOT%" },
        "region": region,
    })
}

pub fn render(report: &Report) -> String {
    render_as(report, "scan")
}

/// The rule's precision: measured (the false-positive rate of its judged findings on the real-file
/// corpus, `rules/precision.tsv`) when any were judged, else how sure the rule says its findings in
/// this run are (`high` when it has none). The second value is the property saying which.
fn precision(report: &Report, id: &str) -> (&'static str, Value) {
    if let Some(m) = crate::rules::precision::measured(id) {
        return (
            m.level(),
            json!({ "basis": "measured", "judged": m.judged, "falsePositives": m.false_positives }),
        );
    }
    let declared = report
        .findings
        .iter()
        .filter(|f| f.rule_id == id)
        .map(|f| f.confidence)
        .min_by_key(|c| match c {
            Confidence::High => 0,
            Confidence::Medium => 1,
            Confidence::Low => 2,
        })
        .map_or("high", |c| match c {
            Confidence::High => "high",
            Confidence::Medium => "medium",
            Confidence::Low => "low",
        });
    (declared, json!({ "basis": "declared" }))
}

/// SARIF 2.1.0 of `report` as produced by `command` (`pipeguard/<command>/` is the run's
/// `automationDetails.id`).
pub fn render_as(report: &Report, command: &str) -> String {
    let rules: Vec<Value> = report
        .rules
        .iter()
        .map(|m| {
            let mut tags = vec!["security".to_string()];
            tags.extend(m.tags.iter().cloned());
            tags.truncate(MAX_TAGS_PER_RULE);
            let (precision, basis) = precision(report, &m.id);
            let mut props = json!({
                "tags": tags,
                "precision": precision,
                "pipeguard/precision": basis,
                "severity": m.severity.as_str(),
            });
            if let Some(ss) = security_severity(m.severity) {
                props["security-severity"] = json!(ss);
            }
            json!({
                "id": m.id,
                "name": m.id,
                "shortDescription": { "text": m.title },
                "fullDescription": { "text": m.what.trim() },
                "help": {
                    "text": format!("{}\n\nWhy: {}\n\nFix: {}", m.what.trim(), m.why.trim(), m.fix.trim()),
                    "markdown": m.markdown(),
                },
                "helpUri": help_uri(&m.id),
                "defaultConfiguration": { "level": level(m.severity) },
                "properties": props,
            })
        })
        .collect();
    let index_of = |id: &str| report.rules.iter().position(|r| r.id == id);

    // GitHub keeps the first 25,000 results of a run: the worst first when there are more.
    let mut order: Vec<&crate::finding::Finding> = report.findings.iter().collect();
    let truncated = order.len() > MAX_RESULTS_PER_RUN;
    if truncated {
        order.sort_by_key(|f| std::cmp::Reverse(f.severity));
        order.truncate(MAX_RESULTS_PER_RUN);
    }
    let mut results: Vec<Value> = order
        .iter()
        .map(|f| {
            let snippet = f.snippet.as_ref().map(|s| s.lines.join("\n"));
            // Related locations are linked from the message, or GitHub never shows them.
            let mut text = escape_message(&f.message);
            let related = &f.related[..f.related.len().min(MAX_RELATED_PER_RESULT)];
            if !related.is_empty() {
                let links: Vec<String> = related
                    .iter()
                    .enumerate()
                    .map(|(i, rel)| format!("[{}]({})", escape_message(&rel.message), i + 1))
                    .collect();
                text = format!("{text} (see {})", links.join(", "));
            }
            let mut r = json!({
                "ruleId": f.rule_id,
                "level": level(f.severity),
                "message": { "text": text },
                "locations": [ { "physicalLocation": physical(&f.location, snippet.as_deref()) } ],
                "partialFingerprints": { "pipeguard/v1": f.fingerprint },
                "properties": {
                    "severity": f.severity.as_str(),
                    "tags": f.tags,
                    "remediation": f.remediation,
                },
            });
            if let Some(ss) = security_severity(f.severity) {
                r["properties"]["security-severity"] = json!(ss);
            }
            if let Some(i) = index_of(&f.rule_id) {
                r["ruleIndex"] = json!(i);
            }
            // The rule-level precision is "high"; a finding the rule is less sure of says so
            // (and ranks lower), so that high-confidence ones sort first.
            if !f.confidence.is_high() {
                r["rank"] = json!(match f.confidence {
                    Confidence::Medium => 60.0,
                    _ => 30.0,
                });
                r["properties"]["precision"] = json!(f.confidence.as_str());
            }
            if !f.persona.is_regular() {
                r["properties"]["persona"] = json!(f.persona.as_str());
            }
            if !related.is_empty() {
                r["relatedLocations"] = Value::Array(
                    related
                        .iter()
                        .enumerate()
                        .map(|(i, rel)| {
                            json!({
                                "id": i + 1,
                                "physicalLocation": physical(&rel.location, None),
                                "message": { "text": rel.message },
                            })
                        })
                        .collect(),
                );
            }
            if !f.properties.is_empty() {
                for (k, v) in &f.properties {
                    r["properties"][k] = json!(v);
                }
            }
            if let Some(p) = &f.provenance {
                r["properties"]["commit"] = json!(p.commit);
                r["properties"]["author"] = json!(p.author);
                r["properties"]["date"] = json!(p.date);
            }
            r
        })
        .collect();
    // Suppressed findings (inline `pipeguard:ignore`, the baseline) are results with
    // `suppressions`: code scanning shows them as dismissed instead of reopening them.
    let room = MAX_RESULTS_PER_RUN.saturating_sub(results.len());
    for s in report.suppressed.iter().take(room) {
        let (kind, justification) = match &s.suppression {
            crate::policy::Suppression::Inline { line, reason } => (
                "inSource",
                if reason.is_empty() {
                    format!("pipeguard:ignore on line {line}")
                } else {
                    format!("pipeguard:ignore on line {line}: {reason}")
                },
            ),
            crate::policy::Suppression::Baseline => {
                ("external", "recorded in the baseline".to_string())
            }
        };
        let meta = report.rules.iter().find(|m| m.id == s.rule_id);
        let sev = meta.map_or(Severity::Medium, |m| m.severity);
        let loc = Location::file(&s.path);
        let loc = Location {
            start_line: s.line.max(1),
            end_line: s.line.max(1),
            ..loc
        };
        let mut r = json!({
            "ruleId": s.rule_id,
            "level": level(sev),
            "message": { "text": escape_message(&format!("{} (suppressed)", meta.map_or(s.rule_id.as_str(), |m| m.title.as_str()))) },
            "locations": [ { "physicalLocation": physical(&loc, None) } ],
            "partialFingerprints": { "pipeguard/v1": s.fingerprint },
            "suppressions": [ { "kind": kind, "status": "accepted", "justification": justification } ],
            "properties": { "severity": sev.as_str() },
        });
        if let Some(i) = index_of(&s.rule_id) {
            r["ruleIndex"] = json!(i);
        }
        results.push(r);
    }
    let dropped = report.findings.len() + report.suppressed.len() - results.len();

    let mut notifications: Vec<Value> = report
        .diagnostics
        .iter()
        .map(|d| {
            json!({
                "level": match d.level { DiagnosticLevel::Error => "error", DiagnosticLevel::Note => "note" },
                "message": { "text": format!("{}: {}", d.path, d.message) },
                "locations": [ { "physicalLocation": { "artifactLocation": { "uri": uri_encode(&d.path), "uriBaseId": "%SRCROOT%" } } } ],
            })
        })
        .collect();
    if dropped > 0 {
        notifications.push(json!({
            "level": "warning",
            "message": { "text": format!(
                "{dropped} of {} results left out: GitHub code scanning accepts at most {MAX_RESULTS_PER_RUN} results per run (the worst are kept; the JSON report has them all)",
                report.findings.len() + report.suppressed.len()
            ) },
        }));
    }

    let s = &report.summary;
    let doc = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [ {
            "tool": { "driver": {
                "name": "pipeguard",
                "version": report.tool.version,
                "semanticVersion": report.tool.version,
                "informationUri": INFO_URI,
                "rules": rules,
            } },
            // Every URI is relative to the repository root (the top of the git work tree, else
            // the scan root); its absolute place on the runner is not part of the report.
            "originalUriBaseIds": {
                "%SRCROOT%": { "description": { "text": "The repository root: the top of the git work tree holding the scanned path, else the scanned directory." } }
            },
            "automationDetails": { "id": format!("pipeguard/{command}/") },
            "columnKind": "unicodeCodePoints",
            "results": results,
            "invocations": [ {
                "executionSuccessful": !report.incomplete(),
                "toolExecutionNotifications": notifications,
            } ],
            "properties": {
                "riskScore": s.risk_score,
                "verdict": s.verdict.as_str(),
                "failOn": s.fail_on.as_str(),
            },
        } ],
    });
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_default();
    // Over GitHub's upload size: the snippets go first (the locations stay), with a note.
    if out.len() > MAX_BYTES {
        let mut doc = doc;
        if let Some(results) = doc["runs"][0]["results"].as_array_mut() {
            for r in results {
                if let Some(region) =
                    r["locations"][0]["physicalLocation"]["region"].as_object_mut()
                {
                    region.remove("snippet");
                }
            }
        }
        if let Some(n) =
            doc["runs"][0]["invocations"][0]["toolExecutionNotifications"].as_array_mut()
        {
            n.push(json!({
                "level": "warning",
                "message": { "text": format!("code snippets left out: the SARIF file was larger than {MAX_BYTES} bytes (GitHub's upload limit)") },
            }));
        }
        out = serde_json::to_string(&doc).unwrap_or_default();
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_encoded() {
        assert_eq!(uri_encode("a b/c#d.yml"), "a%20b/c%23d.yml");
        assert_eq!(uri_encode("é"), "%C3%A9");
    }
}
