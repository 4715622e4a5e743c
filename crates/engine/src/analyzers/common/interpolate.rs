//! `$VAR`, `${VAR}` and `${VAR:-default}` interpolation, as Dockerfiles (`ARG`/`ENV`) and
//! compose files (`.env`) write it.

use std::collections::HashMap;

/// Expand `$VAR` / `${VAR}` / `${VAR:-default}` from `vars`; unknown variables stay
/// as written.
pub fn substitute(s: &str, args: &HashMap<String, String>) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(body) = after.strip_prefix('{') {
            if let Some(end) = body.find('}') {
                let inner = &body[..end];
                let (name, default) = match inner.split_once(":-").or_else(|| inner.split_once('-'))
                {
                    Some((n, d)) => (n, Some(d)),
                    None => (inner, None),
                };
                match args
                    .get(name)
                    .filter(|v| !v.is_empty())
                    .map(String::as_str)
                    .or(default)
                {
                    Some(v) => out.push_str(v),
                    None => out.push_str(&rest[i..i + 2 + end + 1]),
                }
                rest = &body[end + 1..];
                continue;
            }
        } else {
            let len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            if len > 0 {
                match args.get(&after[..len]) {
                    Some(v) => out.push_str(v),
                    None => out.push_str(&rest[i..=i + len]),
                }
                rest = &after[len..];
                continue;
            }
        }
        out.push('$');
        rest = after;
    }
    out.push_str(rest);
    out
}
