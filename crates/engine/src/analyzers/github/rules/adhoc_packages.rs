//! `github/adhoc-packages`: a `run:` step installs named packages (`npm install lodash`,
//! `gem install rake`) instead of what the project's lockfile pins: the version, its
//! dependencies and their install scripts are whatever the registry serves at run time.

use pipeguard_shell::{self as shell, Command};

use crate::analyzers::github::facts::Facts;
use crate::analyzers::github::model::{Seg, route_with};
use crate::analyzers::github::spans;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::rules::RuleId;

declare_rule!(RuleId::GithubAdhocPackages, check);

/// Options of the package managers that take a separate value (their value is not a package).
const VALUE_OPTS: &[&str] = &[
    "--prefix",
    "--registry",
    "--cache",
    "--userconfig",
    "--workspace",
    "-w",
    "--install-dir",
    "-i",
    "--bindir",
    "--source",
    "-s",
    "--platform",
    "--cwd",
    "--dir",
    "-C",
    "--filter",
    "-F",
    "--version",
    "-v",
];

/// The packages a command installs by name, with the tool's spelling (`npm install`), if it is
/// a lockfile-bypassing install.
fn adhoc_install(cmd: &Command) -> Option<(String, Vec<String>)> {
    let prog = cmd.program()?.to_ascii_lowercase();
    let args = cmd.args();
    // The subcommand (after `global` for `yarn global add`) and what follows it.
    let mut i = args.iter().position(|w| !w.text.starts_with('-'))?;
    let mut sub = args[i].text.as_str();
    if prog == "yarn" && sub == "global" {
        i += 1;
        sub = args.get(i)?.text.as_str();
    }
    let tool = match (prog.as_str(), sub) {
        ("npm", "install" | "i" | "add" | "isntall" | "in") => format!("npm {sub}"),
        ("yarn" | "pnpm", "add") => format!("{prog} {sub}"),
        ("gem", "install" | "i") => format!("gem {sub}"),
        ("bundle", "add") => "bundle add".to_string(),
        _ => return None,
    };
    let mut pkgs = Vec::new();
    let mut skip = false;
    for w in &args[i + 1..] {
        let t = w.text.as_str();
        if skip {
            skip = false;
            continue;
        }
        if t.starts_with('-') {
            skip = VALUE_OPTS.contains(&t);
            continue;
        }
        // Local paths and archives are the repository's own code, not a registry download.
        let local = t.starts_with('.')
            || t.starts_with('/')
            || t.starts_with("file:")
            || t.starts_with('~')
            || t.ends_with(".gem")
            || t.ends_with(".tgz")
            || t.ends_with(".tar.gz");
        if !local && !t.is_empty() {
            pkgs.push(t.to_string());
        }
    }
    if pkgs.is_empty() {
        return None;
    }
    Some((tool, pkgs))
}

fn mentions_installer(run: &str) -> bool {
    ["npm", "yarn", "pnpm", "gem", "bundle"]
        .iter()
        .any(|w| run.contains(w))
}

pub fn check(a: &Facts<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    let m = a.m;
    for (ji, job) in m.jobs.iter().enumerate() {
        for (si, step) in job.steps.iter().enumerate() {
            let Some(run) = step.run.as_deref() else { continue };
            if !mentions_installer(run) {
                continue;
            }
            let parsed;
            let script = match a.jobs[ji].steps[si].script.as_ref() {
                Some(s) => s,
                None => {
                    parsed = shell::parse(run);
                    &parsed
                }
            };
            let run_bytes = m.value_bytes(&route_with(&step.route, Seg::Key("run".into())));
            for cmd in &script.commands {
                let Some((tool, pkgs)) = adhoc_install(cmd) else { continue };
                let bytes = spans::map_range(m, &run_bytes, run, &cmd.span);
                let shown: Vec<String> = pkgs.iter().take(3).map(|p| format!("`{p}`")).collect();
                let more = if pkgs.len() > 3 { " …" } else { "" };
                out.push(
                    RawFinding::new(
                        ID,
                        m.file,
                        bytes,
                        format!(
                            "step `{}` installs {}{more} with `{tool}` outside the project's lockfile: the version and its dependencies are whatever the registry serves at run time",
                            step.label(),
                            shown.join(", ")
                        ),
                    )
                    .content(format!("{} {} {tool} {}", job.id, step.label(), pkgs.join(" "))),
                );
            }
        }
    }
}
