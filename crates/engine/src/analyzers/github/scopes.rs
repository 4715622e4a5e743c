//! The token scopes a job's steps need, for `pipeguard fix`'s per-job `permissions:`. Actions are
//! looked up in a table (kept as data, like `actions.rs`); a few read their inputs; `run:` steps
//! are read with the shell parser. Anything not known makes the whole job unknown: the caller
//! then falls back to `contents: read` and lists the job, never a narrower guess.

use std::collections::BTreeMap;

use pipeguard_shell::Command;

use super::model::{Job, KeyValue, Model, Step};

/// Scope name → `read` or `write` (`write` implies `read`).
pub type Scopes = BTreeMap<&'static str, &'static str>;

const R: &str = "read";
const W: &str = "write";

/// Well-known actions (lower-cased `owner/repo[/path]` prefixes) and the scopes they need of
/// the job's token. Actions whose needs depend on their inputs are in `by_inputs`.
const ACTION_SCOPES: &[(&str, &[(&str, &str)])] = &[
    ("actions/checkout", &[("contents", R)]),
    ("actions/setup-", &[]),
    ("actions/cache", &[]),
    ("actions/upload-artifact", &[]),
    ("actions/download-artifact", &[]),
    ("actions/upload-pages-artifact", &[]),
    ("actions/configure-pages", &[("pages", R)]),
    ("actions/deploy-pages", &[("pages", W), ("id-token", W)]),
    (
        "actions/attest-build-provenance",
        &[("id-token", W), ("attestations", W)],
    ),
    (
        "actions/attest-sbom",
        &[("id-token", W), ("attestations", W)],
    ),
    ("actions/attest", &[("id-token", W), ("attestations", W)]),
    ("actions/labeler", &[("contents", R), ("pull-requests", W)]),
    ("actions/stale", &[("issues", W), ("pull-requests", W)]),
    (
        "actions/first-interaction",
        &[("issues", W), ("pull-requests", W)],
    ),
    ("actions/create-release", &[("contents", W)]),
    (
        "actions/dependency-review-action",
        &[("contents", R), ("pull-requests", W)],
    ),
    (
        "github/codeql-action/init",
        &[("security-events", W), ("actions", R)],
    ),
    ("github/codeql-action/autobuild", &[]),
    (
        "github/codeql-action/analyze",
        &[("security-events", W), ("actions", R)],
    ),
    (
        "github/codeql-action/upload-sarif",
        &[("security-events", W), ("actions", R)],
    ),
    (
        "peter-evans/create-pull-request",
        &[("contents", W), ("pull-requests", W)],
    ),
    (
        "peter-evans/create-or-update-comment",
        &[("issues", W), ("pull-requests", W)],
    ),
    ("softprops/action-gh-release", &[("contents", W)]),
    ("ncipollo/release-action", &[("contents", W)]),
    (
        "googleapis/release-please-action",
        &[("contents", W), ("pull-requests", W)],
    ),
    (
        "google-github-actions/release-please-action",
        &[("contents", W), ("pull-requests", W)],
    ),
    (
        "release-drafter/release-drafter",
        &[("contents", W), ("pull-requests", W)],
    ),
    (
        "marocchino/sticky-pull-request-comment",
        &[("pull-requests", W)],
    ),
    (
        "thollander/actions-comment-pull-request",
        &[("pull-requests", W)],
    ),
    ("stefanzweifel/git-auto-commit-action", &[("contents", W)]),
    ("peaceiris/actions-gh-pages", &[("contents", W)]),
    ("jamesives/github-pages-deploy-action", &[("contents", W)]),
    (
        "amannn/action-semantic-pull-request",
        &[("pull-requests", R)],
    ),
    (
        "golangci/golangci-lint-action",
        &[("contents", R), ("pull-requests", R)],
    ),
    (
        "dorny/test-reporter",
        &[("checks", W), ("actions", R), ("contents", R)],
    ),
    (
        "enricomi/publish-unit-test-result-action",
        &[
            ("checks", W),
            ("pull-requests", W),
            ("issues", R),
            ("contents", R),
        ],
    ),
    ("pypa/gh-action-pypi-publish", &[("id-token", W)]),
    ("rust-lang/crates-io-auth-action", &[("id-token", W)]),
    ("docker/setup-buildx-action", &[]),
    ("docker/setup-qemu-action", &[]),
    ("docker/metadata-action", &[]),
    ("docker/build-push-action", &[]),
    ("dtolnay/rust-toolchain", &[]),
    ("swatinem/rust-cache", &[]),
    ("taiki-e/install-action", &[]),
    ("ruby/setup-ruby", &[]),
    ("shivammathur/setup-php", &[]),
    ("astral-sh/setup-uv", &[]),
    ("pnpm/action-setup", &[]),
    ("erlef/setup-beam", &[]),
    ("haskell-actions/setup", &[]),
    ("msys2/setup-msys2", &[]),
    ("mlugg/setup-zig", &[]),
    ("goto-bus-stop/setup-zig", &[]),
    ("conda-incubator/setup-miniconda", &[]),
    ("gradle/actions/setup-gradle", &[]),
    ("actions-rs/toolchain", &[]),
    ("actions-rs/cargo", &[]),
    ("subosito/flutter-action", &[]),
    ("oven-sh/setup-bun", &[]),
    ("denoland/setup-deno", &[]),
    ("jdx/mise-action", &[]),
    ("arduino/setup-task", &[]),
    ("bufbuild/buf-setup-action", &[]),
    ("hashicorp/setup-terraform", &[]),
    ("azure/setup-helm", &[]),
    ("azure/setup-kubectl", &[]),
];

/// Actions whose needs depend on an input: (action, input, value test, scopes when it holds).
/// The test gets the input's value (`None` when not set).
type InputTest = fn(Option<&str>) -> bool;
type InputRule = (
    &'static str,
    &'static str,
    InputTest,
    &'static [(&'static str, &'static str)],
);
const BY_INPUTS: &[InputRule] = &[
    // A login to GitHub's registry with the job's token pushes (or pulls) packages.
    ("docker/login-action", "registry", ghcr, &[("packages", W)]),
    // OIDC federation: the job's token mints an ID token.
    (
        "aws-actions/configure-aws-credentials",
        "role-to-assume",
        is_set,
        &[("id-token", W)],
    ),
    (
        "google-github-actions/auth",
        "workload_identity_provider",
        is_set,
        &[("id-token", W)],
    ),
    ("azure/login", "creds", is_unset, &[("id-token", W)]),
    (
        "codecov/codecov-action",
        "use_oidc",
        is_on,
        &[("id-token", W)],
    ),
];

fn is_set(v: Option<&str>) -> bool {
    v.is_some_and(|v| !v.trim().is_empty())
}
fn is_unset(v: Option<&str>) -> bool {
    !is_set(v)
}
fn is_on(v: Option<&str>) -> bool {
    v.is_some_and(super::actions::input_on)
}
fn ghcr(v: Option<&str>) -> bool {
    v.is_some_and(|v| v.to_ascii_lowercase().contains("ghcr.io"))
}

fn uses_token(s: &str) -> bool {
    s.contains("GITHUB_TOKEN") || s.contains("github.token")
}

fn add<'a>(
    into: &mut Scopes,
    scopes: impl IntoIterator<Item = (&'a &'static str, &'a &'static str)>,
) {
    for (&k, &v) in scopes {
        let e = into.entry(k).or_insert(v);
        if v == W {
            *e = W;
        }
    }
}

/// A job's scopes, each with the step that needs it (the first one asking for that level).
pub type JobScopes = BTreeMap<&'static str, (&'static str, String)>;

/// The scopes the job needs, or why they cannot be told.
pub fn job_scopes(m: &Model<'_>, job: &Job) -> Result<JobScopes, String> {
    if job.uses.is_some() {
        return Err("it calls a reusable workflow, which gets the job's permissions".into());
    }
    let creds = job
        .container
        .iter()
        .chain(&job.services)
        .filter_map(|c| c.password.as_ref())
        .any(|p| uses_token(&p.value));
    if creds {
        return Err("a container's credentials use the job's token".into());
    }
    // A step may also hand the token to later ones through `$GITHUB_ENV`: any mention counts.
    let env_token = job.env.iter().chain(&m.env).any(|kv| uses_token(&kv.value))
        || job
            .steps
            .iter()
            .any(|s| s.run.as_deref().is_some_and(uses_token));
    let mut out = JobScopes::new();
    for s in &job.steps {
        for (k, v) in step_scopes(s, env_token)? {
            match out.get(k) {
                Some((have, _)) if *have == W || *have == v => {}
                _ => {
                    out.insert(k, (v, s.label()));
                }
            }
        }
    }
    Ok(out)
}

fn step_scopes(s: &Step, env_token: bool) -> Result<Scopes, String> {
    let mut out = Scopes::new();
    if s.is_local_action() {
        return Err(format!(
            "it runs the local action `{}`",
            s.uses.as_deref().unwrap_or_default()
        ));
    }
    if let Some(u) = &s.uses {
        if u.starts_with("docker://") {
            let token = env_token || s.env.iter().chain(&s.with).any(|kv| uses_token(&kv.value));
            if token {
                return Err(format!("it passes the job's token to `{u}`"));
            }
            return Ok(out);
        }
        let Some(act) = s.action() else {
            return Err(format!("it uses `{u}`"));
        };
        return action_scopes(s, &act).ok_or_else(|| {
            if act == "actions/github-script" {
                format!(
                    "step `{}` calls the API through `github` in a way not known (`request`, `graphql`, other code); name the scopes it needs",
                    s.label()
                )
            } else {
                format!("it uses `{act}`, which may use the token")
            }
        });
    }
    let Some(run) = &s.run else {
        return Ok(out);
    };
    let token = env_token || uses_token(run) || s.env.iter().any(|kv| uses_token(&kv.value));
    let script = pipeguard_shell::parse(run);
    for c in &script.commands {
        match command_scopes(c) {
            Some(sc) => add(&mut out, sc.iter().map(|(a, b)| (a, b))),
            None if token || c.program() == Some("gh") => {
                let name = c.program().unwrap_or("a command");
                return Err(format!(
                    "step `{}` gives the job's token to `{name}`; name the scopes it needs",
                    s.label()
                ));
            }
            None => {}
        }
    }
    if token && script.had_errors {
        return Err(format!(
            "step `{}` uses the job's token in a script that could not be parsed",
            s.label()
        ));
    }
    Ok(out)
}

fn action_scopes(s: &Step, act: &str) -> Option<Scopes> {
    let mut out = Scopes::new();
    let input = |k: &str| s.with_value(k).map(|kv: &KeyValue| kv.value.as_str());
    if act == "actions/github-script" {
        // A token of its own (a PAT, an app token): the job's token is not used.
        if input("github-token").is_some_and(|t| !uses_token(t)) {
            return Some(out);
        }
        return script_scopes(input("script")?);
    }
    if let Some((_, k, test, sc)) = BY_INPUTS.iter().find(|(a, ..)| *a == act) {
        if *k == "registry" && !input("password").is_some_and(uses_token) {
            return Some(out);
        }
        if test(input(k)) {
            add(&mut out, sc.iter().map(|(a, b)| (a, b)));
        }
        return Some(out);
    }
    let (_, sc) = ACTION_SCOPES
        .iter()
        .filter(|(p, _)| {
            act == *p || act.starts_with(p) && (p.ends_with('-') || act[p.len()..].starts_with('/'))
        })
        .max_by_key(|(p, _)| p.len())?;
    add(&mut out, sc.iter().map(|(a, b)| (a, b)));
    Some(out)
}

/// github-script: the scopes of the `github.rest.NS.METHOD` calls; `None` when the script
/// calls anything else through `github` (`request`, `graphql`, an unknown namespace) or loads
/// code from elsewhere.
fn script_scopes(script: &str) -> Option<Scopes> {
    let mut out = Scopes::new();
    // Expressions are the workflow's, not the script's.
    let mut text = String::new();
    let mut rest = script;
    while let Some(i) = rest.find("${{") {
        text.push_str(&rest[..i]);
        rest = rest[i..].find("}}").map_or("", |j| &rest[i + j + 2..]);
    }
    text.push_str(rest);
    if text.contains("require(") || text.contains("import(") || text.contains("fetch(") {
        return None;
    }
    let mut at = 0;
    while let Some(i) = text[at..].find("github.") {
        let start = at + i;
        at = start + "github.".len();
        let before = text[..start].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.') {
            continue;
        }
        let tail = &text[at..];
        let tail = tail.strip_prefix("rest.").unwrap_or(tail);
        let path: Vec<&str> = tail
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .next()
            .unwrap_or_default()
            .split('.')
            .collect();
        if path.first() == Some(&"paginate") {
            // `github.paginate(github.rest.x.y, …)`: the inner reference is read next.
            continue;
        }
        let [ns, method, ..] = path.as_slice() else {
            return None;
        };
        let scope: &[&'static str] = match *ns {
            // Comments on pull requests go through the issues API.
            "issues" | "reactions" => &["issues", "pull-requests"],
            "pulls" => &["pull-requests"],
            "checks" => &["checks"],
            "git" => &["contents"],
            "actions" => &["actions"],
            _ => return None,
        };
        let read = method.starts_with("get") || method.starts_with("list");
        for sc in scope {
            let level = if read { R } else { W };
            add(&mut out, [(sc, &level)]);
        }
    }
    Some(out)
}

/// Programs that do nothing with a token in their environment.
const INERT: &[&str] = &[
    "echo", "printf", "cd", "test", "[", "[[", "true", "false", "exit", "export", "set", "ls",
    "cat", "mkdir", "cp", "mv", "rm", "touch", "sleep", "jq", "grep", "sed", "awk", "tr", "cut",
    "head", "tail", "sort", "uniq", "wc", "date", "pwd", "basename", "dirname", "tee", "shift",
];

/// What a command does with the job's token; `None` when not known.
fn command_scopes(c: &Command) -> Option<&'static [(&'static str, &'static str)]> {
    let prog = c.program()?;
    if INERT.contains(&prog) {
        return Some(&[]);
    }
    let mut ops = c.operands().map(|w| w.text.as_str());
    let sub = ops.next();
    if prog == "git" {
        return Some(if sub == Some("push") {
            &[("contents", W)]
        } else {
            &[]
        });
    }
    if prog != "gh" {
        return None;
    }
    let verb = ops.next();
    Some(match (sub?, verb?) {
        ("pr", "merge") => &[("contents", W), ("pull-requests", W)],
        ("pr", "view" | "list" | "diff" | "checks" | "status") => &[("pull-requests", R)],
        ("pr", "comment" | "create" | "edit" | "close" | "review" | "ready" | "reopen") => {
            &[("contents", R), ("pull-requests", W)]
        }
        ("issue", "view" | "list" | "status") | ("label", "list") => &[("issues", R)],
        (
            "issue",
            "create" | "comment" | "edit" | "close" | "reopen" | "delete" | "lock" | "unlock",
        )
        | ("label", "create" | "edit" | "delete" | "clone") => &[("issues", W)],
        ("release", "view" | "list" | "download") => &[("contents", R)],
        ("release", "create" | "upload" | "edit" | "delete" | "delete-asset") => &[("contents", W)],
        ("run", "view" | "list" | "download" | "watch") | ("workflow", "view" | "list") => {
            &[("actions", R)]
        }
        ("run", "rerun" | "cancel" | "delete") | ("workflow", "run" | "enable" | "disable") => {
            &[("actions", W)]
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_script() {
        let s = script_scopes(
            "await github.rest.issues.createComment({...context.repo, body: '${{ x }}'})",
        )
        .unwrap();
        assert_eq!(s.get("issues"), Some(&W));
        let s =
            script_scopes("const p = await github.paginate(github.rest.pulls.list, {})").unwrap();
        assert_eq!(s.get("pull-requests"), Some(&R));
        assert!(script_scopes("await github.graphql(q)").is_none());
        assert!(script_scopes("require('./x.js')(github)").is_none());
        assert!(
            script_scopes("core.setOutput('a', context.sha)")
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn commands() {
        let sc = |t: &str| {
            let s = pipeguard_shell::parse(t);
            command_scopes(&s.commands[0])
        };
        assert_eq!(
            sc("gh release create v1 dist/*"),
            Some(&[("contents", W)][..])
        );
        assert_eq!(sc("git push origin HEAD"), Some(&[("contents", W)][..]));
        assert_eq!(sc("gh api repos/x"), None);
        assert_eq!(sc("curl -H x"), None);
    }
}
