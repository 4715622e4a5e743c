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

/// GitHub code scanning's numeric `security-severity` (critical ≥ 9, high ≥ 7, medium ≥ 4).
fn security_severity(sev: Severity) -> &'static str {
    match sev {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
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
    let rules: Vec<Value> = report
        .rules
        .iter()
        .map(|m| {
            let mut tags = vec!["security".to_string()];
            tags.extend(m.tags.iter().cloned());
            json!({
                "id": m.id,
                "name": m.id,
                "shortDescription": { "text": m.title },
                "fullDescription": { "text": m.what.trim() },
                "help": {
                    "text": format!("{}\n\nWhy: {}\n\nFix: {}", m.what.trim(), m.why.trim(), m.fix.trim()),
                    "markdown": m.markdown(),
                },
                "defaultConfiguration": { "level": level(m.severity) },
                "properties": {
                    "tags": tags,
                    "precision": "high",
                    "security-severity": security_severity(m.severity),
                    "severity": m.severity.as_str(),
                },
            })
        })
        .collect();
    let index_of = |id: &str| report.rules.iter().position(|r| r.id == id);

    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let snippet = f.snippet.as_ref().map(|s| s.lines.join("\n"));
            let mut r = json!({
                "ruleId": f.rule_id,
                "level": level(f.severity),
                "message": { "text": f.message },
                "locations": [ { "physicalLocation": physical(&f.location, snippet.as_deref()) } ],
                "partialFingerprints": { "pipeguard/v1": f.fingerprint },
                "properties": {
                    "severity": f.severity.as_str(),
                    "security-severity": security_severity(f.severity),
                    "tags": f.tags,
                    "remediation": f.remediation,
                },
            });
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
            if !f.related.is_empty() {
                r["relatedLocations"] = Value::Array(
                    f.related
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

    let notifications: Vec<Value> = report
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
