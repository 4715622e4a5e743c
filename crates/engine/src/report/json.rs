//! JSON report: the `Report` value, pretty-printed, keys in a fixed order, findings sorted.
//! Layout documented in docs/json-report.md (schema_version 1).

use super::Report;

pub fn render(report: &Report) -> String {
    let mut s =
        serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    s.push('\n');
    s
}
