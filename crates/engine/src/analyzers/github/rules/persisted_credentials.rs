//! `github/persisted-credentials`: `actions/checkout` leaves the job's token in `.git/config`
//! (its default) and a later step uploads the workspace (or `.git`, or an archive a run step made
//! of the workspace) as an artifact: anyone who can download the artifact gets the token.
//! Reported at the checkout, at the archiving step and at the upload, each naming the others.

use crate::analyzers::github::facts::Facts;
use crate::analyzers::{Output, ScanContext};
use crate::finding::{Confidence, Persona, RawFinding, Severity};
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::GithubPersistedCredentials, check);

fn uploads_workspace(path: &str) -> bool {
    path.lines().any(|l| {
        let p = l.trim().trim_start_matches('!');
        let p = p.trim_end_matches('/');
        matches!(
            p,
            "." | "./" | "*" | "**" | "./*" | "./**" | ".git" | "./.git"
        ) || p.starts_with("${{ github.workspace }}")
            && p.len() <= "${{ github.workspace }}/**".len()
            || p.contains(".git/")
            || p == "${{github.workspace}}"
    })
}

/// Files a `run:` script writes that contain the whole workspace (and so `.git/config`):
/// `tar -c…f X .`, `zip -r X .`, `7z a X .`, and `gzip X` / `xz X` / `bzip2 X` of one of them.
fn workspace_archives(run: &str) -> Vec<String> {
    let script = pipeguard_shell::parse(run);
    let is_workspace = |w: &str| {
        let w = w.trim_end_matches('/');
        matches!(w, "." | "./" | "*" | "./*" | "$GITHUB_WORKSPACE" | "${GITHUB_WORKSPACE}")
            || w.replace(' ', "") == "${{github.workspace}}"
    };
    let mut out: Vec<String> = Vec::new();
    for cmd in &script.commands {
        let Some(prog) = cmd.program() else { continue };
        let args = cmd.args();
        let texts: Vec<&str> = args.iter().map(|w| w.text.as_str()).collect();
        match prog {
            "tar" => {
                // `tar -cf X .`, `tar czf X .`, `tar --create --file=X .`
                let first = texts.first().copied().unwrap_or_default();
                let creates = cmd.has_flag(Some('c'), Some("create"))
                    || (!first.starts_with('-') && first.contains('c') && first.chars().all(|c| c.is_ascii_alphabetic()));
                if !creates {
                    continue;
                }
                let file = cmd
                    .flag_value(Some('f'), Some("file"))
                    .map(|w| w.text.trim_start_matches("--file=").to_string())
                    .or_else(|| {
                        // Bundled short options: the f's value is the next word.
                        texts.iter().position(|t| {
                            let t = t.trim_start_matches('-');
                            !t.is_empty() && t.chars().all(|c| c.is_ascii_alphabetic()) && t.ends_with('f') && t.contains('c')
                        })
                        .and_then(|i| texts.get(i + 1))
                        .map(ToString::to_string)
                    });
                if let Some(f) = file
                    && texts.iter().any(|t| is_workspace(t))
                {
                    out.push(f);
                }
            }
            "zip" | "7z" | "7za" => {
                let ops: Vec<&str> = cmd.operands().map(|w| w.text.as_str()).collect();
                let ops = if prog == "zip" { &ops[..] } else if ops.first() == Some(&"a") { &ops[1..] } else { continue };
                if let [archive, rest @ ..] = ops
                    && rest.iter().any(|t| is_workspace(t))
                {
                    out.push((*archive).to_string());
                }
            }
            "gzip" | "xz" | "bzip2" | "zstd" => {
                let ext = match prog {
                    "gzip" => ".gz",
                    "xz" => ".xz",
                    "bzip2" => ".bz2",
                    _ => ".zst",
                };
                for w in cmd.operands() {
                    if out.iter().any(|a| a == &w.text) {
                        out.push(format!("{}{ext}", w.text));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// An upload `path:` line naming an archive (exactly, or by a `*` glob).
fn names_archive(path: &str, archives: &[String]) -> bool {
    path.lines().any(|l| {
        let p = l.trim().trim_start_matches("./");
        archives.iter().any(|a| {
            let a = a.trim_start_matches("./");
            p == a || glob_match(p, a)
        })
    })
}

/// `*` matches any run of characters (no other glob syntax).
fn glob_match(pat: &str, s: &str) -> bool {
    if !pat.contains('*') {
        return pat == s;
    }
    let parts: Vec<&str> = pat.split('*').collect();
    let mut rest = s;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else { return false };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            let Some(k) = rest.find(part) else { return false };
            rest = &rest[k + part.len()..];
        }
    }
    true
}

pub fn check(a: &Facts<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    let m = a.m;
    for job in &m.jobs {
        for (i, step) in job.steps.iter().enumerate() {
            if step.action().as_deref() != Some("actions/checkout") {
                continue;
            }
            let persist = step.with_value("persist-credentials");
            if persist.is_some_and(|v| v.value.trim().trim_matches(['"', '\'']) == "false") {
                continue;
            }
            // Archives of the workspace written by later run steps, with the step that wrote them.
            let mut archives: Vec<String> = Vec::new();
            let mut archivers: Vec<(usize, Vec<String>)> = Vec::new();
            let mut upload = None;
            for (k, s) in job.steps.iter().enumerate().skip(i + 1) {
                if let Some(run) = s.run.as_deref()
                    && (run.contains("tar") || run.contains("zip") || run.contains("7z"))
                {
                    let made = workspace_archives(run);
                    if !made.is_empty() {
                        archives.extend(made.iter().cloned());
                        archivers.push((k, made));
                    }
                }
                if matches!(
                    s.action().as_deref(),
                    Some("actions/upload-artifact" | "actions/upload-pages-artifact")
                ) && let Some(p) = s.with_value("path")
                {
                    if uploads_workspace(&p.value) {
                        upload = Some((k, None));
                        break;
                    }
                    if let Some((ak, _)) = archivers.iter().find(|(_, made)| names_archive(&p.value, made)) {
                        upload = Some((k, Some(*ak)));
                        break;
                    }
                }
            }
            let Some((uk, via)) = upload else {
                // No upload: the token still sits in .git/config for every later step (and
                // whatever they run). A style issue at pedantic; an explicit `true` is a
                // deliberate choice, worth a look only at auditor.
                let (persona, conf, why) = match persist.map(|v| v.value.trim()) {
                    None => (Persona::Pedantic, Confidence::Low, "by default".to_string()),
                    Some(v) if v.contains("${{") => (
                        Persona::Pedantic,
                        Confidence::Low,
                        format!("unless `{v}` is false"),
                    ),
                    Some(_) => (
                        Persona::Auditor,
                        Confidence::Medium,
                        "(`persist-credentials: true`)".to_string(),
                    ),
                };
                out.push(
                    RawFinding::new(
                        ID,
                        m.file,
                        a.step_head(step),
                        format!(
                            "checkout keeps the job's token in .git/config {why}: every later step, and what it runs, can read it; set `persist-credentials: false` unless a later step pushes"
                        ),
                    )
                    .severity(Severity::Low)
                    .persona(persona)
                    .confidence(conf)
                    .content(format!("{} checkout {} persisted", job.id, i)),
                );
                continue;
            };
            let up = &job.steps[uk];
            let what = match via {
                Some(ak) => format!("an archive of the workspace made in step `{}`", job.steps[ak].label()),
                None => "the workspace".to_string(),
            };
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    a.step_head(step),
                    format!(
                        "checkout keeps the job's token in .git/config and step `{}` uploads {what}: set `persist-credentials: false` on the checkout",
                        up.label()
                    ),
                )
                .related(m.file, a.step_head(up), "uploads the workspace with .git/config")
                .content(format!("{} checkout {}", job.id, i)),
            );
            // The leaking steps themselves: the archive and the upload.
            if let Some(ak) = via {
                let ar = &job.steps[ak];
                out.push(
                    RawFinding::new(
                        ID,
                        m.file,
                        a.step_head(ar),
                        format!(
                            "step `{}` archives the whole workspace, including the token the checkout left in .git/config, and step `{}` uploads the archive",
                            ar.label(),
                            up.label()
                        ),
                    )
                    .related(m.file, a.step_head(step), "checkout that persists the token")
                    .content(format!("{} archive {}", job.id, ak)),
                );
            }
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    a.step_head(up),
                    format!(
                        "step `{}` uploads {what} with the job's token the checkout left in .git/config: anyone who can download the artifact can use it",
                        up.label()
                    ),
                )
                .related(m.file, a.step_head(step), "checkout that persists the token")
                .content(format!("{} upload {}", job.id, uk)),
            );
        }
    }
}
