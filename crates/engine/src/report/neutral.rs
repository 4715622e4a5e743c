//! Untrusted strings made harmless before a human-facing format prints them. Paths, job ids,
//! messages (which quote file content), snippets, commit authors and drift diffs all come from
//! the code under review; printed raw, a newline in a file name forges a report line (and, on a
//! GitHub runner, a `::error` workflow command), an ANSI escape rewrites the terminal, a bidi
//! override reorders what the reader sees.
//!
//! Each control character becomes one visible character (its Unicode "control picture",
//! `\x1b` → `␛`, a newline in a one-line field → `␊`; C1 controls and bidi overrides → `�`), so
//! carets under snippets stay aligned. The workflow-command escapes (`%0A`, `%25`, `%3A`, …)
//! stay in `github.rs`, table and Markdown escapes in `markdown.rs`, XML escapes in `junit.rs`;
//! JSON and SARIF carry strings exactly (JSON escapes control characters itself).

use std::borrow::Cow;

use super::Report;

/// Replace control characters (all of them, or all but `\n` and `\t` when `multiline`).
pub fn clean(s: &str, multiline: bool) -> Cow<'_, str> {
    if !s.chars().any(|c| needs(c, multiline)) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| if needs(c, multiline) { picture(c) } else { c })
            .collect(),
    )
}

fn needs(c: char, multiline: bool) -> bool {
    match c {
        '\t' => false,
        '\n' => !multiline,
        c if c.is_control() => true,
        // Bidi embeddings/overrides/isolates ("Trojan Source"), and the line/paragraph
        // separators some terminals and editors honour.
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}' => true,
        _ => false,
    }
}

fn picture(c: char) -> char {
    let n = c as u32;
    match n {
        0..=0x1f => char::from_u32(0x2400 + n).unwrap_or('\u{fffd}'),
        0x7f => '\u{2421}',
        _ => '\u{fffd}',
    }
}

fn one_line(s: &mut String) {
    if let Cow::Owned(o) = clean(s, false) {
        *s = o;
    }
}

fn multi_line(s: &mut String) {
    if let Cow::Owned(o) = clean(s, true) {
        *s = o;
    }
}

/// A copy of `report` with every string that can come from scanned content cleaned.
pub fn report(report: &Report) -> Report {
    let mut r = report.clone();
    one_line(&mut r.root);
    for f in &mut r.findings {
        one_line(&mut f.message);
        one_line(&mut f.location.path);
        one_line(&mut f.rule_id);
        multi_line(&mut f.remediation);
        for rel in &mut f.related {
            one_line(&mut rel.message);
            one_line(&mut rel.location.path);
        }
        if let Some(s) = &mut f.snippet {
            s.lines.iter_mut().for_each(one_line);
        }
        if let Some(p) = &mut f.provenance {
            one_line(&mut p.commit);
            one_line(&mut p.author);
            one_line(&mut p.date);
        }
    }
    for d in &mut r.diagnostics {
        one_line(&mut d.path);
        one_line(&mut d.message);
    }
    r.summary.reasons.iter_mut().for_each(one_line);
    for c in &mut r.credentials {
        one_line(&mut c.name);
        one_line(&mut c.system);
        for j in &mut c.jobs {
            one_line(&mut j.path);
            one_line(&mut j.job);
            j.triggers.iter_mut().for_each(one_line);
        }
    }
    for d in &mut r.drift {
        one_line(&mut d.id);
        one_line(&mut d.source);
        multi_line(&mut d.diff);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_become_pictures() {
        assert_eq!(clean("a\nb", false), "a\u{240a}b");
        assert_eq!(clean("a\nb", true), "a\nb");
        assert_eq!(clean("\x1b[31mred", true), "\u{241b}[31mred");
        assert_eq!(clean("x\u{202e}y\r", true), "x\u{fffd}y\u{240d}");
        assert!(matches!(clean("plain ✓", false), Cow::Borrowed(_)));
    }
}
