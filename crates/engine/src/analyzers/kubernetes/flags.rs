//! Command-line flag checks of the control plane's static pods (kube-apiserver,
//! kube-controller-manager, kube-scheduler, etcd, kubelet): a table of (program, flag, test),
//! evaluated against each container's [`Invocation`]. A test sees the flag's last occurrence
//! (or none) and the whole invocation, and returns why the setting is insecure.

use std::ops::Range;

use super::model::{Invocation, Model};
use crate::finding::Severity;

/// One flag check.
pub struct FlagCheck {
    /// Programs the check applies to (`kube-apiserver`, …).
    pub programs: &'static [&'static str],
    /// The flag, without dashes; it is named in the message (the benchmark's and the user's
    /// handle on which check fired).
    pub flag: &'static str,
    pub severity: Severity,
    /// Why the invocation is insecure, or `None`.
    pub test: fn(&Invocation<'_>) -> Option<String>,
}

/// A failed check: where, how bad, the message.
pub struct Failure {
    pub at: Range<usize>,
    pub severity: Severity,
    pub flag: &'static str,
    pub message: String,
    pub program: String,
}

/// Every failed check of `table` on every container of the file.
pub fn run(m: &Model<'_>, table: &[FlagCheck]) -> Vec<(String, Failure)> {
    let mut out = Vec::new();
    for w in &m.workloads {
        for c in &w.containers {
            let Some(inv) = c.invocation() else { continue };
            for check in table {
                if !check.programs.contains(&inv.program.as_str()) {
                    continue;
                }
                let Some(why) = (check.test)(&inv) else {
                    continue;
                };
                let at = inv
                    .flag(check.flag)
                    .map_or_else(|| inv.anchor.clone(), |f| f.span.clone());
                let who = format!(
                    "{} (container `{}` of {})",
                    inv.program,
                    c.name,
                    w.describe()
                );
                out.push((
                    format!("{} {} {} {} {why}", w.kind, w.name, c.name, check.flag),
                    Failure {
                        at,
                        severity: check.severity,
                        flag: check.flag,
                        message: format!("{who}: {why}"),
                        program: inv.program.clone(),
                    },
                ));
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------- test helpers

/// `--flag` set to a value other than `want` (or missing when `missing_bad`).
pub fn must_be(inv: &Invocation<'_>, flag: &str, want: &str, missing_bad: bool) -> Option<String> {
    match inv.flag(flag) {
        None if missing_bad => Some(format!("`--{flag}` is not set (it must be {want})")),
        None => None,
        Some(f) => {
            // A bare boolean flag means true.
            let v = f.value.as_deref().unwrap_or("true");
            (!v.eq_ignore_ascii_case(want)).then(|| format!("`--{flag}={v}` (it must be {want})"))
        }
    }
}

/// `--flag` must be set (to anything non-empty).
pub fn required(inv: &Invocation<'_>, flag: &str, what: &str) -> Option<String> {
    match inv.flag(flag) {
        Some(f) if f.value.as_deref().is_some_and(|v| !v.trim().is_empty()) => None,
        _ => Some(format!("`--{flag}` is not set: {what}")),
    }
}

/// `--flag` must not be set.
pub fn forbidden(inv: &Invocation<'_>, flag: &str, why: &str) -> Option<String> {
    inv.flag(flag).map(|f| {
        format!(
            "`--{flag}{}` is set: {why}",
            f.value
                .as_deref()
                .map(|v| format!("={v}"))
                .unwrap_or_default()
        )
    })
}

/// A number flag below `min` (or missing when `missing_bad`).
pub fn at_least(inv: &Invocation<'_>, flag: &str, min: f64, missing_bad: bool) -> Option<String> {
    match inv.flag(flag) {
        None if missing_bad => Some(format!(
            "`--{flag}` is not set (it should be at least {min})"
        )),
        None => None,
        Some(f) => {
            let v = f.value.as_deref().unwrap_or_default();
            match v.trim().parse::<f64>() {
                Ok(n) if n >= min => None,
                _ => Some(format!("`--{flag}={v}` (it should be at least {min})")),
            }
        }
    }
}

/// Whether a comma-separated list flag contains `item`.
pub fn list_has(inv: &Invocation<'_>, flag: &str, item: &str) -> bool {
    inv.list(flag).iter().any(|v| v.eq_ignore_ascii_case(item))
}

/// A Go duration (`5m`, `1h0m10s`, `300s`, `0`) in seconds.
pub fn duration_secs(s: &str) -> Option<f64> {
    let s = s.trim();
    if let Ok(n) = s.parse::<f64>() {
        return Some(n);
    }
    let mut total = 0.0;
    let mut num = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            continue;
        }
        let unit = match c {
            'h' => 3600.0,
            'm' if chars.peek() == Some(&'s') => {
                chars.next();
                0.001
            }
            'm' => 60.0,
            's' => 1.0,
            _ => return None,
        };
        total += num.parse::<f64>().ok()? * unit;
        num.clear();
    }
    num.is_empty().then_some(total)
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations() {
        use super::duration_secs as d;
        assert_eq!(d("300s"), Some(300.0));
        assert_eq!(d("6m10s"), Some(370.0));
        assert_eq!(d("1h0s"), Some(3600.0));
        assert_eq!(d("0"), Some(0.0));
        assert_eq!(d("5x"), None);
    }
}
