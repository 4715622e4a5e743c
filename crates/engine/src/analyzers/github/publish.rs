//! Publishing: the commands of a `run:` script that upload a package to a public registry
//! (PyPI, crates.io, RubyGems, npm, NuGet — the registries with OIDC trusted publishing), and
//! the release/publish actions. Used by `use-trusted-publishing` (a long-lived token where OIDC
//! would do) and `cache-poisoning` (a publishing job that restores a cache).
//!
//! Commands are read from logical lines (continuations `\` and PowerShell's `` ` `` joined),
//! split at `&&`, `||`, `;` and `|`, after wrappers (`sudo`, `npx`, `bunx`, `pipx run`,
//! `bundle exec`, `python -m`, …) and leading `VAR=value` assignments.

/// A publish command: the tool as written for messages and the registry it targets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublishCmd {
    pub command: &'static str,
    pub registry: &'static str,
}

/// Registry hosts a command may name explicitly and still publish to the public registry.
const PUBLIC_HOSTS: &[&str] = &[
    "upload.pypi.org",
    "test.pypi.org",
    "pypi.org",
    "crates.io",
    "rubygems.org",
    "registry.npmjs.org",
    "nuget.org",
    "api.nuget.org",
    "www.nuget.org",
];

/// Whether a URL (or host) is one of the public registries above.
pub fn is_public_registry(url: &str) -> bool {
    let u = url.trim().trim_matches(['"', '\'']);
    let host = u
        .split_once("://")
        .map_or(u, |(_, rest)| rest)
        .split(['/', ':'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    PUBLIC_HOSTS.contains(&host.as_str())
}

/// Logical lines of a script: continuation lines joined.
fn logical_lines(run: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for line in run.lines() {
        let t = line.trim_end();
        if let Some(head) = t.strip_suffix('\\').or_else(|| t.strip_suffix('`')) {
            cur.push_str(head);
            cur.push(' ');
            continue;
        }
        cur.push_str(t);
        out.push(std::mem::take(&mut cur));
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The simple commands of a script as word lists (quotes removed), wrappers skipped.
fn commands(run: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for line in logical_lines(run) {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        for part in line.split(['&', '|', ';']) {
            let words: Vec<String> = part
                .split_whitespace()
                .map(|w| w.trim_matches(['"', '\'', '(', ')']).to_string())
                .filter(|w| !w.is_empty())
                .collect();
            let words = unwrap(&words);
            if !words.is_empty() {
                out.push(words.to_vec());
            }
        }
    }
    out
}

/// Whether the script contains one of `words` (any case): every publish or release command
/// above has one (`twine upload`, `npm publish`, `gem push`, `mvn deploy`, `gh release`,
/// `goreleaser`…), so a script with none is skipped before it is split into words (most steps).
fn may_hold(run: &str, words: &[&str]) -> bool {
    let l = run.to_ascii_lowercase();
    words.iter().any(|w| l.contains(w))
}

fn base(w: &str) -> String {
    let b = w
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(w)
        .to_ascii_lowercase();
    b.strip_suffix(".exe").map(str::to_string).unwrap_or(b)
}

/// Skip assignments and wrappers: `FOO=1 sudo -E npx twine …` → `twine …`.
fn unwrap(words: &[String]) -> &[String] {
    let mut w = words;
    loop {
        let Some(first) = w.first() else { return w };
        let b = base(first);
        let is_assign = first.split_once('=').is_some_and(|(k, v)| {
            !k.is_empty()
                && !v.starts_with('=')
                && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !k.starts_with(|c: char| c.is_ascii_digit())
        });
        if is_assign {
            w = &w[1..];
            continue;
        }
        match b.as_str() {
            "sudo" | "env" | "time" | "npx" | "bunx" | "pnpx" | "uvx" | "exec" | "command" => {
                w = &w[1..];
                while w.first().is_some_and(|x| x.starts_with('-')) {
                    w = &w[1..];
                }
            }
            "pipx" | "poetry" | "uv" | "pdm" | "hatch" | "bundle" | "pnpm" | "yarn"
                if w.get(1)
                    .is_some_and(|x| matches!(x.as_str(), "run" | "exec" | "dlx")) =>
            {
                w = &w[2..];
            }
            _ if (b.starts_with("python") || b == "py")
                && w.get(1).map(String::as_str) == Some("-m") =>
            {
                w = &w[2..];
            }
            _ => return w,
        }
    }
}

/// The value of `--flag value` / `--flag=value` in a word list.
fn flag<'w>(words: &'w [String], names: &[&str]) -> Option<&'w str> {
    for (i, w) in words.iter().enumerate() {
        for n in names {
            if w == n {
                return words.get(i + 1).map(String::as_str);
            }
            if let Some(v) = w.strip_prefix(n).and_then(|r| r.strip_prefix('=')) {
                return Some(v);
            }
        }
    }
    None
}

/// The publish commands of a `run:` script.
pub fn publish_commands(run: &str) -> Vec<PublishCmd> {
    let mut out = Vec::new();
    if !may_hold(run, &["upload", "publish", "push"]) {
        return out;
    }
    for words in commands(run) {
        if words.iter().any(|w| {
            matches!(w.as_str(), "--dry-run" | "--help" | "-h") || w.starts_with("--dry-run=")
        }) {
            continue;
        }
        let prog = base(&words[0]);
        // `twine==6.1.0` (pipx run) names the tool with a version.
        let prog = prog.split("==").next().unwrap_or_default().to_string();
        let sub: Vec<&str> = words[1..]
            .iter()
            .filter(|w| !w.starts_with('-') && !w.starts_with('+'))
            .map(String::as_str)
            .collect();
        let elsewhere =
            |names: &[&str]| flag(&words, names).is_some_and(|u| !is_public_registry(u));
        let cmd = match (prog.as_str(), sub.first().copied(), sub.get(1).copied()) {
            ("twine", Some("upload"), _) if !elsewhere(&["--repository-url"]) => {
                Some(("twine upload", "PyPI"))
            }
            ("uv", Some("publish"), _) if !elsewhere(&["--publish-url", "--index"]) => {
                Some(("uv publish", "PyPI"))
            }
            ("cargo", Some("publish"), _)
                if !words.iter().any(|w| w == "-n")
                    && flag(&words, &["--registry", "--index"]).is_none() =>
            {
                Some(("cargo publish", "crates.io"))
            }
            ("gem", Some("push"), _) if !elsewhere(&["--host"]) => Some(("gem push", "RubyGems")),
            ("npm" | "pnpm" | "bun", Some("publish"), _) if !elsewhere(&["--registry"]) => {
                Some(match prog.as_str() {
                    "npm" => ("npm publish", "npm"),
                    "pnpm" => ("pnpm publish", "npm"),
                    _ => ("bun publish", "npm"),
                })
            }
            ("yarn", Some("npm"), Some("publish")) | ("yarn", Some("publish"), _) => {
                Some(("yarn publish", "npm"))
            }
            ("nuget", Some("push"), _) | ("dotnet", Some("nuget"), Some("push"))
                if !elsewhere(&["--source", "-s", "-source", "-Source"]) =>
            {
                Some(("nuget push", "NuGet"))
            }
            _ => None,
        };
        if let Some((command, registry)) = cmd {
            out.push(PublishCmd { command, registry });
        }
    }
    out
}

/// Commands that publish a release, a package or an image anywhere (for "this job publishes"):
/// the registry uploads above plus `gradle publish…`, `mvn deploy`, `goreleaser`, `gh release
/// create|upload`, `docker|podman push`, `poetry|hatch|flit publish`, `semantic-release`,
/// `jreleaser`.
pub fn release_commands(run: &str) -> Vec<String> {
    if !may_hold(run, &["upload", "publish", "push", "deploy", "release"]) {
        return Vec::new();
    }
    let mut out: Vec<String> = publish_commands(run)
        .into_iter()
        .map(|c| c.command.to_string())
        .collect();
    for words in commands(run) {
        let prog = base(&words[0]);
        let arg = |i: usize| words.get(i).map(String::as_str).unwrap_or_default();
        let hit = match prog.as_str() {
            "gradle" | "gradlew" => words[1..].iter().any(|w| w.starts_with("publish")),
            "mvn" | "mvnw" => words[1..]
                .iter()
                .any(|w| w == "deploy" || w.ends_with(":deploy")),
            "goreleaser" => !words[1..]
                .iter()
                .any(|w| w == "--snapshot" || w == "check" || w == "build"),
            "gh" => arg(1) == "release" && matches!(arg(2), "create" | "upload" | "edit"),
            "docker" | "podman" | "buildah" => {
                arg(1) == "push" || (arg(1) == "buildx" && words.iter().any(|w| w == "--push"))
            }
            "poetry" | "hatch" | "flit" | "pdm" => arg(1) == "publish",
            "semantic-release" | "jreleaser" => true,
            _ => false,
        };
        if hit {
            out.push(format!("{} {}", prog, arg(1)).trim().to_string());
        }
    }
    out
}

/// Actions that publish a release or a package (for "this job publishes").
pub fn is_publish_action(action: &str) -> bool {
    matches!(
        action,
        "pypa/gh-action-pypi-publish"
            | "softprops/action-gh-release"
            | "ncipollo/release-action"
            | "goreleaser/goreleaser-action"
            | "rubygems/release-gem"
            | "js-devtools/npm-publish"
            | "jreleaser/release-action"
            | "changesets/action"
            | "actions/create-release"
            | "svenstaro/upload-release-action"
            | "actions/upload-release-asset"
            | "docker/build-push-action"
            | "cargo-bins/release-pr"
            | "release-drafter/release-drafter"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmds(s: &str) -> Vec<&'static str> {
        publish_commands(s).into_iter().map(|c| c.command).collect()
    }

    #[test]
    fn finds_publish_commands() {
        assert_eq!(cmds("twine upload dist/*"), ["twine upload"]);
        assert_eq!(
            cmds("python3.10 -m \\\n  twine \\\n  upload \\\n  dist/*"),
            ["twine upload"]
        );
        assert_eq!(
            cmds("pipx run twine==6.1.0 upload dist/*"),
            ["twine upload"]
        );
        assert_eq!(
            cmds("TWINE_PASSWORD=x twine upload dist/*"),
            ["twine upload"]
        );
        assert_eq!(cmds("cargo +nightly publish"), ["cargo publish"]);
        assert_eq!(cmds("cargo `\n publish `\n --no-verify"), ["cargo publish"]);
        assert_eq!(cmds("bundle exec gem push x.gem"), ["gem push"]);
        assert_eq!(cmds("bunx npm publish"), ["npm publish"]);
        assert_eq!(cmds("yarn npm publish --access public"), ["yarn publish"]);
        assert_eq!(cmds("dotnet nuget push a.nupkg"), ["nuget push"]);
        assert_eq!(cmds("nuget.exe push a.nupkg"), ["nuget push"]);
        assert_eq!(cmds("npm ci && npm test && npm publish"), ["npm publish"]);
    }

    #[test]
    fn skips_dry_runs_and_other_registries() {
        assert!(cmds("cargo publish --dry-run").is_empty());
        assert!(cmds("cargo publish -n").is_empty());
        assert!(cmds("bun publish --dry-run").is_empty());
        assert!(cmds("npm publish --registry https://npm.pkg.github.com").is_empty());
        assert!(cmds("twine upload --repository-url https://example.com/x dist/*").is_empty());
        assert!(cmds("echo npm publish").is_empty());
        assert!(cmds("# npm publish").is_empty());
        assert!(cmds("npm install").is_empty());
    }
}
