//! `docker/verification-disabled`: a build step that switches off TLS certificate or package
//! signature verification — `curl -k`, `wget --no-check-certificate`, `pip --trusted-host`,
//! `npm config set strict-ssl false`, `git -c http.sslVerify=false`, `apk --allow-untrusted`,
//! `apt-get --allow-unauthenticated`/`--force-yes`, `[trusted=yes]` apt sources,
//! `yum --nogpgcheck`, `sslverify=0`, `rpm --nosignature` — or an ENV/ARG that does it for every
//! later step (`NODE_TLS_REJECT_UNAUTHORIZED=0`, `PYTHONHTTPSVERIFY=0`, `GIT_SSL_NO_VERIFY`,
//! `NPM_CONFIG_STRICT_SSL=false`, `PIP_TRUSTED_HOST`).

use crate::analyzers::docker::model::Model;
use crate::analyzers::docker::tools::has_flag;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use pipeguard_shell::Command;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::DockerVerificationDisabled, check);

/// A variable that disables verification with this value, and what it does.
pub fn disabling_var(name: &str, value: &str) -> Option<&'static str> {
    let v = value.trim().to_ascii_lowercase();
    let falsy = matches!(v.as_str(), "0" | "false" | "no" | "off");
    match name {
        "NODE_TLS_REJECT_UNAUTHORIZED" if v == "0" => Some("Node.js TLS verification off"),
        "PYTHONHTTPSVERIFY" if v == "0" => Some("Python HTTPS verification off"),
        "GIT_SSL_NO_VERIFY" if !v.is_empty() && !falsy => Some("git TLS verification off"),
        "NPM_CONFIG_STRICT_SSL" if falsy => Some("npm TLS verification off"),
        "PIP_TRUSTED_HOST" if !v.is_empty() => Some("pip TLS verification off for a host"),
        _ => None,
    }
}

fn any_word(cmd: &Command, pred: impl Fn(&str) -> bool) -> bool {
    cmd.args()
        .iter()
        .any(|w| pred(&w.text.to_ascii_lowercase()))
}

/// What the command disables, if anything.
pub fn disabled(cmd: &Command) -> Option<&'static str> {
    for (name, value) in &cmd.assignments {
        if let Some(what) = disabling_var(name, &value.text) {
            return Some(what);
        }
    }
    let prog = cmd.program()?;
    let args = cmd.args();
    let found =
        match prog {
            "curl" => has_flag(args, Some('k'), &["insecure", "proxy-insecure"])
                .then_some("curl --insecure"),
            "wget" => has_flag(args, None, &["no-check-certificate"])
                .then_some("wget --no-check-certificate"),
            "apk" => has_flag(args, None, &["allow-untrusted"]).then_some("apk --allow-untrusted"),
            "apt-get" | "apt" | "aptitude" => {
                (has_flag(args, None, &["allow-unauthenticated", "force-yes"])
                    || any_word(cmd, |w| {
                        w.contains("allowunauthenticated=true")
                            || w.contains("allowinsecurerepositories=true")
                            || w.contains("allowdowngradetoinsecurerepositories=true")
                    }))
                .then_some("apt without signature checks")
            }
            "yum" | "dnf" | "tdnf" | "microdnf" => has_flag(args, None, &["nogpgcheck"])
                .then_some("package signature checks off (--nogpgcheck)"),
            "rpm" => has_flag(
                args,
                None,
                &["nosignature", "nodigest", "noverify", "nofiledigest"],
            )
            .then_some("rpm signature checks off"),
            "npm" | "yarn" | "pnpm" => {
                let a: Vec<String> = args.iter().map(|w| w.text.to_ascii_lowercase()).collect();
                let set_false = a
                    .windows(2)
                    .any(|p| p[0] == "strict-ssl" && p[1] == "false");
                (set_false || a.iter().any(|w| w.ends_with("strict-ssl=false")))
                    .then_some("npm strict-ssl off")
            }
            "git" => any_word(cmd, |w| {
                w == "http.sslverify=false" || w == "http.sslverify=0"
            })
            .then_some("git TLS verification off")
            .or_else(|| {
                let a: Vec<String> = args.iter().map(|w| w.text.to_ascii_lowercase()).collect();
                a.windows(2)
                    .any(|p| p[0] == "http.sslverify" && (p[1] == "false" || p[1] == "0"))
                    .then_some("git TLS verification off")
            }),
            p if p.starts_with("pip") || p.starts_with("python") => {
                (has_flag(args, None, &["trusted-host"])
                    || any_word(cmd, |w| w.ends_with(".trusted-host")))
                .then_some("pip --trusted-host")
            }
            _ => None,
        };
    found.or_else(|| {
        // Written into config files: `echo "deb [trusted=yes] …"`, `sslverify=0`.
        any_word(cmd, |w| {
            w.contains("[trusted=yes]")
                || w.contains("sslverify=0")
                || w.contains("sslverify=false")
                || w.contains("gpgcheck=0")
        })
        .then_some("repository verification off")
    })
}

pub fn check(m: &Model<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for run in &m.runs {
        for cmd in run.commands() {
            let Some(what) = disabled(cmd) else { continue };
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    cmd.span.clone(),
                    format!("RUN turns verification off ({what}): downloads can be tampered with"),
                )
                .content(m.text(cmd.span.clone())),
            );
        }
    }
    let vars = m.global_vars.iter().chain(
        m.stages
            .iter()
            .flat_map(|s| s.vars.iter().map(|(_, v, _)| v)),
    );
    for v in vars {
        let Some(what) = v
            .value
            .as_deref()
            .and_then(|value| disabling_var(&v.name, value))
        else {
            continue;
        };
        out.push(
            RawFinding::new(
                ID,
                m.file,
                v.name_span.start..v.value_span.end.max(v.name_span.end),
                format!(
                    "`{}` turns verification off for every later step ({what})",
                    v.name
                ),
            )
            .content(format!(
                "{}={}",
                v.name,
                v.value.as_deref().unwrap_or_default()
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::disabled;
    use pipeguard_shell::parse;

    #[test]
    fn commands() {
        for s in [
            "curl -fsSLk https://x",
            "curl --insecure https://x",
            "wget --no-check-certificate https://x",
            "pip install --trusted-host pypi.example.com x",
            "python3 -m pip install --trusted-host h x",
            "npm config set strict-ssl false",
            "git -c http.sslVerify=false clone https://x",
            "git config --global http.sslVerify false",
            "apk add --allow-untrusted x.apk",
            "apt-get install -y --allow-unauthenticated x",
            "apt-get install --force-yes x",
            "yum install -y --nogpgcheck x",
            "rpm -i --nosignature x.rpm",
            "echo 'deb [trusted=yes] http://repo/ ./' > /etc/apt/sources.list.d/x.list",
            "NODE_TLS_REJECT_UNAUTHORIZED=0 npm ci",
        ] {
            let script = parse(s);
            assert!(script.commands.iter().any(|c| disabled(c).is_some()), "{s}");
        }
        for s in [
            "curl -fsSL -o k https://x",
            "wget -q https://x",
            "pip install x",
            "npm config set registry https://r",
            "git config --global http.sslVerify true",
            "echo 'keep strict-ssl on'",
        ] {
            let script = parse(s);
            assert!(script.commands.iter().all(|c| disabled(c).is_none()), "{s}");
        }
    }
}
