//! The composite action's steps, run locally the way the runner runs them: `${{ }}` in `env:`
//! evaluated from inputs / step outputs, each `run:` through `bash --noprofile --norc -eo pipefail`,
//! per-step GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, the action's `outputs:` resolved at the end.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_yaml::Value;

use crate::common::{repo_root, sh};
use crate::release_host::{ReleaseServer, release_layout};

fn action() -> Value {
    serde_yaml::from_str(&std::fs::read_to_string(repo_root().join("action.yml")).unwrap()).unwrap()
}

fn built_pipeguard() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_pipeguard"))
}

struct Runner {
    dir: tempfile::TempDir,
    /// Where the action is checked out (`GITHUB_ACTION_PATH`): the repository, or a copy.
    action_dir: PathBuf,
    inputs: BTreeMap<String, String>,
    env: Vec<(String, String)>,
}

struct Outcome {
    /// Exit code of the first failing step (0 when all passed).
    code: i32,
    outputs: BTreeMap<String, String>,
    summary: String,
    log: String,
    /// Wall time of each run step that ran, by step id.
    durations: BTreeMap<String, std::time::Duration>,
    /// The `uses:` steps whose condition held: (uses, evaluated `with:`).
    used: Vec<(String, BTreeMap<String, String>)>,
}

/// The action's default for an input.
fn input_default(name: &str) -> String {
    action()["inputs"][name]["default"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The release target the install step picks on this machine.
fn host_target() -> &'static str {
    match (std::env::consts::OS, std::env::consts::ARCH) {
        ("linux", "x86_64") => "x86_64-unknown-linux-gnu",
        ("linux", "aarch64") => "aarch64-unknown-linux-gnu",
        ("macos", "aarch64") => "aarch64-apple-darwin",
        ("macos", _) => "x86_64-apple-darwin",
        _ => "x86_64-pc-windows-msvc",
    }
}

/// A step condition, for the forms this action uses: terms joined by `&&`, each `!cancelled()`,
/// `always()`, `X == 'lit'` or `X != 'lit'`. Returns (holds, runs even after a failed step).
fn condition(expr: &str, ctx: &dyn Fn(&str) -> String) -> (bool, bool) {
    let inner = expr
        .trim()
        .strip_prefix("${{")
        .and_then(|e| e.strip_suffix("}}"))
        .unwrap_or(expr)
        .trim();
    let mut holds = true;
    let mut after_failure = false;
    for term in inner.split("&&").map(str::trim) {
        if term == "!cancelled()" || term == "always()" {
            after_failure = true;
        } else if let Some((l, r)) = term.split_once("==") {
            holds &= ctx(l.trim()) == r.trim().trim_matches('\'');
        } else if let Some((l, r)) = term.split_once("!=") {
            holds &= ctx(l.trim()) != r.trim().trim_matches('\'');
        } else {
            panic!("condition `{term}` not simulated");
        }
    }
    (holds, after_failure)
}

/// `${{ path }}` and `${{ a || b }}`, enough for this action's expressions.
fn eval(expr: &str, ctx: &dyn Fn(&str) -> String) -> String {
    let mut out = String::new();
    let mut rest = expr;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").expect("closed expression") + start;
        let inner = rest[start + 3..end].trim();
        let v = inner
            .split("||")
            .map(|alt| ctx(alt.trim()))
            .find(|v| !v.is_empty())
            .unwrap_or_default();
        out.push_str(&v);
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

fn parse_output_file(text: &str, into: &mut BTreeMap<String, String>) {
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((k, delim)) = line.split_once("<<") {
            let mut v = Vec::new();
            for l in lines.by_ref() {
                if l == delim {
                    break;
                }
                v.push(l);
            }
            into.insert(k.to_string(), v.join("\n"));
        } else if let Some((k, v)) = line.split_once('=') {
            into.insert(k.to_string(), v.to_string());
        }
    }
}

impl Runner {
    fn new() -> Runner {
        let dir = tempfile::tempdir().unwrap();
        for d in ["workspace", "temp", "toolcache"] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        Runner {
            dir,
            action_dir: repo_root(),
            inputs: BTreeMap::new(),
            env: Vec::new(),
        }
    }

    fn action_dir(mut self, dir: &Path) -> Runner {
        self.action_dir = dir.to_path_buf();
        self
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn input(mut self, k: &str, v: &str) -> Runner {
        self.inputs.insert(k.into(), v.into());
        self
    }

    fn env(mut self, k: &str, v: impl Into<String>) -> Runner {
        self.env.push((k.into(), v.into()));
        self
    }

    /// Put the freshly built binary where the install step looks first (the tool cache, with the
    /// marker a verified install leaves).
    fn with_cached_binary(self) -> Runner {
        let bin = self.cache_entry();
        std::fs::copy(built_pipeguard(), &bin).unwrap();
        self
    }

    /// A stand-in binary in the tool cache that records its arguments (one per line) in
    /// temp/argv and exits 0; `--version` answers like pipeguard.
    fn with_recording_binary(self) -> Runner {
        let bin = self.cache_entry();
        let argv = self.path("temp/argv");
        std::fs::write(
            &bin,
            format!(
                "#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'pipeguard {}'; exit 0; fi\nprintf '%s\\n' \"$@\" > '{}'\n",
                input_default("version"),
                argv.display()
            ),
        )
        .unwrap();
        sh(self.dir.path(), &format!("chmod +x '{}'", bin.display()));
        self
    }

    /// The tool-cache path of the default version's binary, marked complete.
    fn cache_entry(&self) -> PathBuf {
        let entry = self.path(&format!(
            "toolcache/pipeguard/{}/{}",
            input_default("version"),
            host_target()
        ));
        std::fs::create_dir_all(&entry).unwrap();
        std::fs::write(entry.with_extension("complete"), "").unwrap();
        entry.join("pipeguard")
    }

    fn argv(&self) -> Vec<String> {
        std::fs::read_to_string(self.path("temp/argv"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn run(&self) -> Outcome {
        let action: Value = serde_yaml::from_str(
            &std::fs::read_to_string(self.action_dir.join("action.yml")).unwrap(),
        )
        .unwrap();
        let defaults: BTreeMap<String, String> = action["inputs"]
            .as_mapping()
            .unwrap()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().unwrap().to_string(),
                    v["default"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        let token = self
            .env
            .iter()
            .find(|(k, _)| k == "SIMULATED_GITHUB_TOKEN")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let mut step_outputs: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        let mut summary = String::new();
        let mut log = String::new();
        let mut code = 0;
        let mut durations = BTreeMap::new();
        let mut used = Vec::new();
        for (i, step) in action["runs"]["steps"]
            .as_sequence()
            .unwrap()
            .iter()
            .enumerate()
        {
            let id = step["id"]
                .as_str()
                .map_or_else(|| format!("step{i}"), str::to_string);
            let ctx = |p: &str| -> String {
                if let Some(name) = p.strip_prefix("inputs.") {
                    let v = self
                        .inputs
                        .get(name)
                        .cloned()
                        .unwrap_or_else(|| defaults[name].clone());
                    // Input defaults may themselves be expressions (`${{ github.token }}`).
                    return if v == "${{ github.token }}" {
                        token.clone()
                    } else {
                        v
                    };
                }
                if let Some(rest) = p.strip_prefix("steps.") {
                    let (sid, rest) = rest.split_once(".outputs.").unwrap();
                    return step_outputs
                        .get(sid)
                        .and_then(|o| o.get(rest))
                        .cloned()
                        .unwrap_or_default();
                }
                match p {
                    "github.token" => token.clone(),
                    "github.action_path" => self.action_dir.display().to_string(),
                    other => panic!("expression `{other}` not simulated"),
                }
            };
            let (holds, after_failure) = step["if"]
                .as_str()
                .map_or((true, false), |c| condition(c, &ctx));
            if !holds || (code != 0 && !after_failure) {
                continue; // the default condition is `success()`
            }
            if let Some(uses) = step["uses"].as_str() {
                let with = step["with"]
                    .as_mapping()
                    .map(|m| {
                        m.iter()
                            .map(|(k, v)| {
                                (
                                    k.as_str().unwrap().to_string(),
                                    eval(v.as_str().unwrap_or_default(), &ctx),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                used.push((uses.to_string(), with));
                continue;
            }
            assert_eq!(
                step["shell"].as_str(),
                Some("bash"),
                "every run step names its shell"
            );
            let run = step["run"]
                .as_str()
                .expect("composite steps are run or uses steps");
            assert!(!run.contains("${{"), "no expressions inside run: ({id})");
            let out_file = self.path(&format!("temp/output_{id}"));
            let summary_file = self.path(&format!("temp/summary_{id}"));
            let _ = std::fs::remove_file(&out_file);
            let _ = std::fs::remove_file(&summary_file);
            let script = self.path(&format!("temp/{id}.sh"));
            std::fs::write(&script, run).unwrap();
            let mut cmd = Command::new("bash");
            cmd.args(["--noprofile", "--norc", "-eo", "pipefail"])
                .arg(&script)
                .current_dir(self.path("workspace"))
                .env_clear()
                .env("PATH", std::env::var("PATH").unwrap_or_default())
                .env("HOME", self.path("temp"))
                .env("GITHUB_ACTIONS", "true")
                .env("CI", "true")
                .env("GITHUB_ACTION_PATH", &self.action_dir)
                .env("GITHUB_WORKSPACE", self.path("workspace"))
                .env("GITHUB_OUTPUT", &out_file)
                .env("GITHUB_STEP_SUMMARY", &summary_file)
                .env("GITHUB_PATH", self.path("temp/path"))
                .env("RUNNER_TEMP", self.path("temp"))
                .env("RUNNER_TOOL_CACHE", self.path("toolcache"))
                .env("GITHUB_REPOSITORY", "octo-org/hello-world");
            if let Some(map) = step["env"].as_mapping() {
                for (k, v) in map {
                    cmd.env(
                        k.as_str().unwrap(),
                        eval(v.as_str().unwrap_or_default(), &ctx),
                    );
                }
            }
            for (k, v) in &self.env {
                cmd.env(k, v);
            }
            let started = std::time::Instant::now();
            let o = cmd.output().unwrap();
            durations.insert(id.clone(), started.elapsed());
            log.push_str(&format!(
                "--- {id} ({})\n{}{}",
                o.status,
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            ));
            let mut outs = BTreeMap::new();
            parse_output_file(
                &std::fs::read_to_string(&out_file).unwrap_or_default(),
                &mut outs,
            );
            step_outputs.insert(id, outs);
            summary.push_str(&std::fs::read_to_string(&summary_file).unwrap_or_default());
            if !o.status.success() && code == 0 {
                code = o.status.code().unwrap_or(-1);
            }
        }
        let ctx = |p: &str| -> String {
            let rest = p.strip_prefix("steps.").unwrap();
            let (sid, name) = rest.split_once(".outputs.").unwrap();
            step_outputs
                .get(sid)
                .and_then(|o| o.get(name))
                .cloned()
                .unwrap_or_default()
        };
        let outputs = action["outputs"]
            .as_mapping()
            .unwrap()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().unwrap().to_string(),
                    eval(v["value"].as_str().unwrap(), &ctx),
                )
            })
            .collect();
        Outcome {
            code,
            outputs,
            summary,
            log,
            durations,
            used,
        }
    }
}

fn event(name: &str) -> String {
    repo_root()
        .join("github-action/tests/fixtures/events")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn inputs_reach_run_steps_only_through_env() {
    let text = std::fs::read_to_string(repo_root().join("action.yml")).unwrap();
    let a = action();
    for step in a["runs"]["steps"].as_sequence().unwrap() {
        if let Some(run) = step["run"].as_str() {
            assert!(!run.contains("${{"), "{run}");
        } else {
            let uses = step["uses"].as_str().expect("a run or a uses step");
            let (_, pin) = uses.split_once('@').expect("uses pinned");
            assert!(
                pin.len() == 40 && pin.bytes().all(|b| b.is_ascii_hexdigit()),
                "{uses} is pinned by commit"
            );
        }
    }
    // Every input is used, and only in env: blocks.
    for (k, _) in a["inputs"].as_mapping().unwrap() {
        let k = k.as_str().unwrap();
        if k == "version" || k == "token" {
            continue;
        }
        assert!(
            text.contains(&format!("${{{{ inputs.{k} }}}}"))
                || text.contains(&format!(" inputs.{k} ")),
            "input {k} unused"
        );
    }
}

#[test]
fn gate_blocks_an_untrusted_fork_and_allows_the_repository() {
    let r = Runner::new()
        .with_cached_binary()
        .input("command", "gate")
        .env("GITHUB_EVENT_NAME", "pull_request_target")
        .env("GITHUB_EVENT_PATH", event("pull_request_target.fork.json"))
        .run();
    assert_eq!(r.code, 1, "{}", r.log);
    assert_eq!(r.outputs["decision"], "block", "{}", r.log);
    assert!(r.log.contains("pipeguard 0.1.0 (tool cache)"), "{}", r.log);
    assert!(
        r.log
            .contains("::error title=pipeguard gate::untrusted build blocked"),
        "{}",
        r.log
    );
    assert!(
        r.summary.contains("### pipeguard gate: **blocked**"),
        "{}",
        r.summary
    );

    let r = Runner::new()
        .with_cached_binary()
        .input("command", "gate")
        .env("GITHUB_EVENT_NAME", "pull_request")
        .env("GITHUB_EVENT_PATH", event("pull_request.same_repo.json"))
        .run();
    assert_eq!(r.code, 0, "{}", r.log);
    assert_eq!(r.outputs["decision"], "allow");
    assert_eq!(r.outputs["verdict"], "");
    assert!(
        r.summary.contains("### pipeguard gate: allowed"),
        "{}",
        r.summary
    );
}

#[test]
fn scan_writes_outputs_sarif_annotations_and_summary() {
    let runner = Runner::new().with_cached_binary();
    std::fs::write(
        runner.path("workspace/Dockerfile"),
        "FROM ubuntu:latest\nRUN echo hi\n",
    )
    .unwrap();
    let r = runner.run();
    assert_eq!(
        r.code, 1,
        "root-user is high, the default fail-on: {}",
        r.log
    );
    assert_eq!(r.outputs["verdict"], "fail", "{}", r.log);
    let risk: u32 = r.outputs["risk-score"].parse().unwrap();
    assert!(risk > 0 && risk <= 100, "{risk}");
    assert_eq!(r.outputs["sarif-path"], "pipeguard.sarif");
    let sarif = std::fs::read_to_string(runner.path("workspace/pipeguard.sarif")).unwrap();
    assert!(sarif.contains("docker/root-user"), "{sarif}");
    assert!(r.log.contains("::error file=Dockerfile"), "{}", r.log);
    assert!(!r.summary.is_empty(), "{}", r.log);

    let runner = Runner::new()
        .with_cached_binary()
        .input("fail-on", "never")
        .input("format", "text");
    std::fs::write(
        runner.path("workspace/Dockerfile"),
        "FROM ubuntu:latest\nRUN echo hi\n",
    )
    .unwrap();
    let r = runner.run();
    assert_eq!(r.code, 0, "{}", r.log);
    assert_eq!(r.outputs["verdict"], "pass", "{}", r.log);
    assert!(
        r.summary.contains("docker/root-user"),
        "format text: the summary comes from run.sh: {}",
        r.summary
    );
}

/// On a pull request, `scan` runs in trusted mode against the base branch (fetched when the
/// checkout lacks it): the pull request's `.pipeguardignore` and inline ignores do not hide its
/// secret, and each is reported; `trusted-config-ref: none` turns that off.
#[test]
fn scan_on_a_pull_request_takes_suppressions_from_the_base_branch() {
    let runner = Runner::new()
        .with_cached_binary()
        .input("format", "json")
        .env("GITHUB_EVENT_NAME", "pull_request")
        .env("GITHUB_BASE_REF", "main");
    let ws = runner.path("workspace");
    let origin = runner.path("temp/origin.git");
    sh(
        &ws,
        &format!(
            "git init -q -b main . && git config user.email t@e && git config user.name t && \
             echo 'FROM alpine:3.20@sha256:{d}' > Dockerfile && git add -A && git commit -qm base && \
             git init -q --bare '{o}' && git remote add origin '{o}' && git push -q origin main && \
             git checkout -q -b pr && echo '*' > .pipeguardignore && \
             printf 'AWS_ACCESS_KEY_ID=AKIAQYLPMN5HHHFPZAM2 # pipeguard:ignore[*] test\n' > app.env && \
             git add -A && git commit -qm pr && git update-ref -d refs/remotes/origin/main",
            d = "a".repeat(64),
            o = origin.display()
        ),
    );
    let r = runner.run();
    assert_eq!(r.code, 1, "{}", r.log);
    assert!(
        r.log
            .contains("policy and suppressions come from origin/main (trusted mode)"),
        "{}",
        r.log
    );
    let report = std::fs::read_to_string(runner.path("temp/pipeguard/report.json"))
        .or_else(|_| std::fs::read_to_string(ws.join("pipeguard.sarif")))
        .unwrap();
    assert!(report.contains("secrets/aws-access-key-id"), "{report}");
    assert!(
        report.matches("\"policy/suppression-added\"").count() >= 2,
        "{report}"
    );

    // Opting out: the pull request's own ignore file hides everything again.
    let runner2 = Runner::new()
        .with_cached_binary()
        .input("trusted-config-ref", "none")
        .input("fail-on", "low")
        .env("GITHUB_EVENT_NAME", "pull_request")
        .env("GITHUB_BASE_REF", "main");
    sh(
        &runner2.path("workspace"),
        &format!("cp -a '{}/.' . ", ws.display()),
    );
    let r = runner2.run();
    assert_eq!(r.code, 0, "{}", r.log);
    assert_eq!(r.outputs["verdict"], "pass", "{}", r.log);
}

#[test]
fn attest_checks_its_inputs_before_running() {
    let r = Runner::new()
        .with_cached_binary()
        .input("command", "attest")
        .input("image-digest", &format!("sha256:{}", "a".repeat(64)))
        .run();
    assert_eq!(r.code, 2, "{}", r.log);
    assert!(
        r.log
            .contains("the environment variable PIPEGUARD_ATTEST_KEY is empty"),
        "{}",
        r.log
    );
    let r = Runner::new()
        .with_cached_binary()
        .input("command", "attest")
        .input("image-digest", "latest")
        .env("PIPEGUARD_ATTEST_KEY", "placeholder key text")
        .run();
    assert_eq!(r.code, 2, "{}", r.log);
    assert!(
        r.log
            .contains("image-digest must be sha256:<64 lowercase hex>"),
        "{}",
        r.log
    );
    let r = Runner::new()
        .with_cached_binary()
        .input("command", "deploy")
        .run();
    assert_eq!(r.code, 2, "{}", r.log);
}

/// A copy of the action (action.yml, github-action/scripts) whose checksums.txt pins `lines`.
fn action_copy(dir: &Path, lines: &str) -> PathBuf {
    let a = dir.join("action");
    std::fs::create_dir_all(a.join("github-action/scripts")).unwrap();
    std::fs::copy(repo_root().join("action.yml"), a.join("action.yml")).unwrap();
    for f in ["install.sh", "run.sh"] {
        std::fs::copy(
            repo_root().join("github-action/scripts").join(f),
            a.join("github-action/scripts").join(f),
        )
        .unwrap();
    }
    std::fs::write(
        a.join("github-action/checksums.txt"),
        format!("# pinned for this test\n{lines}"),
    )
    .unwrap();
    a
}

/// The install step against a release served on loopback: the verified asset installs in seconds;
/// the next run on the same runner takes it from the tool cache without a download; a tampered
/// asset, a missing one and a version without a pinned checksum are refused with their messages.
#[test]
fn install_from_a_loopback_release() {
    let t = tempfile::tempdir().unwrap();
    let version = input_default("version");
    let asset = format!("pipeguard-{version}-{}.tar.gz", host_target());
    let sums = release_layout(&t.path().join("release"), &version, &[host_target()]);
    let server = ReleaseServer::start(&t.path().join("release"));
    let action = action_copy(t.path(), &sums);

    let runner = Runner::new()
        .action_dir(&action)
        .input("release-url", &server.url())
        .input("fail-on", "never");
    let r = runner.run();
    assert_eq!(r.code, 0, "{}", r.log);
    assert!(
        r.log
            .contains(&format!("(release asset {asset}, sha256 verified")),
        "{}",
        r.log
    );
    let took = r.durations["install"];
    eprintln!("install from the loopback release: {took:?}");
    // Only tells a download from a compile (cargo install takes minutes); the machine may be
    // loaded, so this is no timing claim (docs/github-action.md has the measured figures).
    assert!(
        took < std::time::Duration::from_mins(2),
        "install took {took:?}"
    );
    assert_eq!(server.hits(), 1);
    assert_eq!(r.outputs["verdict"], "pass", "{}", r.log);
    let bin = runner.path(&format!(
        "toolcache/pipeguard/{version}/{}/pipeguard",
        host_target()
    ));
    assert_eq!(r.outputs["bin"], bin.display().to_string());
    assert_eq!(
        std::fs::read_to_string(runner.path("temp/path"))
            .unwrap()
            .trim(),
        bin.parent().unwrap().display().to_string()
    );

    let r = runner.run();
    assert_eq!(r.code, 0, "{}", r.log);
    assert!(
        r.log.contains(&format!("pipeguard {version} (tool cache)")),
        "{}",
        r.log
    );
    assert_eq!(server.hits(), 1, "the second run downloads nothing");

    // Tampered: the served asset is not the one whose checksum is pinned.
    let tampered = t.path().join("tampered");
    release_layout(&tampered, &version, &[host_target()]);
    let f = tampered.join(format!("v{version}/{asset}"));
    let mut bytes = std::fs::read(&f).unwrap();
    bytes.extend_from_slice(b"\0");
    std::fs::write(&f, bytes).unwrap();
    let evil = ReleaseServer::start(&tampered);
    let runner = Runner::new()
        .action_dir(&action)
        .input("release-url", &evil.url());
    let r = runner.run();
    assert_eq!(r.code, 2, "{}", r.log);
    assert!(
        r.log.contains(&format!(
            "::error title=pipeguard install::checksum mismatch for {asset}: expected {}",
            &sums[..64]
        )),
        "{}",
        r.log
    );
    assert!(r.log.contains("refusing to install it"), "{}", r.log);
    assert!(
        !runner
            .path(&format!("toolcache/pipeguard/{version}/{}", host_target()))
            .exists(),
        "nothing is unpacked from a tampered download"
    );
    assert_eq!(r.outputs["verdict"], "", "pipeguard never ran");

    // Missing: pinned, but the release has no such asset.
    let empty = t.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let none = ReleaseServer::start(&empty);
    let r = Runner::new()
        .action_dir(&action)
        .input("release-url", &none.url())
        .run();
    assert_eq!(r.code, 2, "{}", r.log);
    assert!(
        r.log.contains(&format!(
            "::error title=pipeguard install::could not download {}/v{version}/{asset} (",
            none.url()
        )) && r.log.contains("404"),
        "{}",
        r.log
    );
    assert!(
        r.log.contains(&format!(
            "check that release v{version} has the asset {asset}, or set install: source"
        )),
        "{}",
        r.log
    );

    // A version this action has no checksum for: refused before any download.
    let hits = server.hits();
    let r = Runner::new()
        .action_dir(&action)
        .input("release-url", &server.url())
        .input("version", "0.0.1")
        .run();
    assert_eq!(r.code, 2, "{}", r.log);
    assert!(
        r.log.contains(&format!(
            "no pinned checksum for pipeguard-0.0.1-{}.tar.gz in this action's checksums.txt",
            host_target()
        )),
        "{}",
        r.log
    );
    assert_eq!(server.hits(), hits);

    // The base URL is https, or plain http to loopback only.
    for bad in [
        "http://127.0.0.1@attacker.example/",
        "http://attacker.example/releases",
        "ftp://127.0.0.1/",
        "https://example.com/x\ny",
    ] {
        let r = Runner::new()
            .action_dir(&action)
            .input("release-url", bad)
            .run();
        assert_eq!(r.code, 2, "{bad}: {}", r.log);
        assert!(
            r.log.contains("release-url must be an https:// URL"),
            "{bad}: {}",
            r.log
        );
    }
}

/// The macOS and Windows branches of the install step, driven through RUNNER_OS/RUNNER_ARCH:
/// asset names, the zip unpacking and the `.exe` name. The "Windows" and "macOS" assets hold this
/// machine's binary, so the installed file runs here; cygpath and the pwsh fallback only exist on
/// a real Windows runner.
#[test]
fn install_picks_the_asset_for_each_runner_platform() {
    let t = tempfile::tempdir().unwrap();
    let version = input_default("version");
    let platforms = [
        ("Linux", "X64", "x86_64-unknown-linux-gnu", ""),
        ("Linux", "ARM64", "aarch64-unknown-linux-gnu", ""),
        ("macOS", "ARM64", "aarch64-apple-darwin", ""),
        ("macOS", "X64", "x86_64-apple-darwin", ""),
        ("Windows", "X64", "x86_64-pc-windows-msvc", ".exe"),
    ];
    let targets: Vec<&str> = platforms.iter().map(|p| p.2).collect();
    let sums = release_layout(&t.path().join("release"), &version, &targets);
    let server = ReleaseServer::start(&t.path().join("release"));
    let action = action_copy(t.path(), &sums);
    for (os, arch, target, exe) in platforms {
        if exe == ".exe" && Command::new("unzip").arg("-v").output().is_err() {
            eprintln!(
                "SKIPPED the Windows case of install_picks_the_asset_for_each_runner_platform: no unzip"
            );
            continue;
        }
        let runner = Runner::new()
            .action_dir(&action)
            .input("release-url", &server.url())
            .input("command", "deploy")
            .env("RUNNER_OS", os)
            .env("RUNNER_ARCH", arch);
        let r = runner.run();
        let ext = if exe.is_empty() { "tar.gz" } else { "zip" };
        assert!(
            r.log.contains(&format!(
                "(release asset pipeguard-{version}-{target}.{ext}, sha256 verified"
            )),
            "{os} {arch}: {}",
            r.log
        );
        assert_eq!(
            r.outputs["bin"],
            runner
                .path(&format!(
                    "toolcache/pipeguard/{version}/{target}/pipeguard{exe}"
                ))
                .display()
                .to_string()
        );
        assert_eq!(r.code, 2, "`deploy` is not a command: {}", r.log);
    }
    let r = Runner::new()
        .action_dir(&action)
        .input("release-url", &server.url())
        .env("RUNNER_OS", "Windows")
        .env("RUNNER_ARCH", "ARM64")
        .run();
    assert_eq!(r.code, 2, "{}", r.log);
    assert!(
        r.log
            .contains("no pipeguard release asset for Windows ARM64")
            && r.log.contains("set install: source"),
        "{}",
        r.log
    );
}

/// An empty `fail-on` (the default) leaves the verdict to the policy; `args` reaches pipeguard
/// as separate words, never through a shell; `drift` and `upload-sarif` run what they say.
#[test]
fn fail_on_args_drift_and_upload_sarif() {
    // The policy's fail_on decides when the input is empty.
    let runner = Runner::new().with_cached_binary();
    std::fs::write(
        runner.path("workspace/Dockerfile"),
        "FROM ubuntu:latest\nRUN echo hi\n",
    )
    .unwrap();
    std::fs::write(runner.path("workspace/.pipeguard.yml"), "fail_on: never\n").unwrap();
    let r = runner.run();
    assert_eq!(r.code, 0, "{}", r.log);
    assert_eq!(r.outputs["verdict"], "pass", "{}", r.log);
    assert!(
        r.outputs["high-count"].parse::<u32>().unwrap() >= 1,
        "{:?}",
        r.outputs
    );
    assert_eq!(r.outputs["critical-count"], "0", "{:?}", r.outputs);
    let total: u32 = ["critical", "high", "medium", "low", "info"]
        .iter()
        .map(|s| r.outputs[&format!("{s}-count")].parse::<u32>().unwrap())
        .sum();
    assert_eq!(r.outputs["findings-count"], total.to_string());
    assert!(
        r.used.is_empty(),
        "upload-sarif is off by default: {:?}",
        r.used
    );

    // args: quoted words stay one argument; nothing is expanded or run.
    let runner = Runner::new().with_recording_binary().input(
        "args",
        "--only 'docker,github' --baseline \"my baseline.json\" $(touch pwned) `touch pwned2` ;touch pwned3",
    );
    let r = runner.run();
    assert_eq!(r.code, 0, "{}", r.log);
    let argv = runner.argv();
    assert_eq!(argv[0], "scan");
    assert!(!argv.contains(&"--fail-on".to_string()), "{argv:?}");
    let tail: Vec<&str> = argv
        .iter()
        .map(String::as_str)
        .skip_while(|a| *a != "--only")
        .collect();
    assert_eq!(
        tail,
        [
            "--only",
            "docker,github",
            "--baseline",
            "my baseline.json",
            "$(touch",
            "pwned)",
            "`touch",
            "pwned2`",
            ";touch",
            "pwned3"
        ]
    );
    for f in ["pwned", "pwned2", "pwned3"] {
        assert!(!runner.path(&format!("workspace/{f}")).exists());
    }
    let r = Runner::new()
        .with_recording_binary()
        .input("args", "--only 'docker")
        .run();
    assert_eq!(r.code, 2);
    assert!(r.log.contains("args has an unclosed ' quote"), "{}", r.log);

    // drift: a changed job against the lockfile fails at drift's default (medium).
    let runner = Runner::new()
        .with_cached_binary()
        .input("command", "drift")
        .input("upload-sarif", "true");
    let ws = runner.path("workspace");
    std::fs::create_dir_all(ws.join(".github/workflows")).unwrap();
    std::fs::write(
        ws.join(".github/workflows/ci.yml"),
        "name: ci\non: push\npermissions: {}\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make test\n",
    )
    .unwrap();
    let o = Command::new(built_pipeguard())
        .args(["fingerprint", "--write", ".pipeguard/jobs.lock"])
        .current_dir(&ws)
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");
    std::fs::write(
        ws.join(".github/workflows/ci.yml"),
        "name: ci\non: push\npermissions: {}\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make test && make lint\n",
    )
    .unwrap();
    let r = runner.run();
    assert_eq!(r.code, 1, "{}", r.log);
    assert_eq!(r.outputs["verdict"], "fail", "{}", r.log);
    assert_eq!(r.outputs["medium-count"], "1", "{:?}", r.outputs);
    assert!(r.log.contains("drift/job-changed"), "{}", r.log);
    // The upload runs although the findings failed the run step.
    assert_eq!(r.used.len(), 1, "{:?}", r.used);
    assert!(
        r.used[0]
            .0
            .starts_with("github/codeql-action/upload-sarif@"),
        "{:?}",
        r.used
    );
    assert_eq!(r.used[0].1["sarif_file"], "pipeguard.sarif");
    let sarif = std::fs::read_to_string(ws.join("pipeguard.sarif")).unwrap();
    assert!(sarif.contains("drift/job-changed"), "{sarif}");
}

/// docs/github-action.md shows the example workflows byte for byte.
#[test]
fn docs_show_the_tested_examples() {
    let docs = std::fs::read_to_string(repo_root().join("docs/github-action.md")).unwrap();
    for name in [
        "pull-request-scan.yml",
        "release-attest.yml",
        "pull-request-target-gate.yml",
    ] {
        let text =
            std::fs::read_to_string(repo_root().join("github-action/examples").join(name)).unwrap();
        assert!(
            docs.contains(&format!(
                "`github-action/examples/{name}`:\n\n```yaml\n{text}```"
            )),
            "docs/github-action.md is out of date for {name}"
        );
    }
}

/// action.yml and the example workflows, laid out as a repository, give pipeguard nothing to report
/// (the examples sit outside .github/workflows, where discovery would not treat them as workflows).
#[test]
fn pipeguard_finds_nothing_in_the_action_and_examples() {
    let t = tempfile::tempdir().unwrap();
    let wf = t.path().join(".github/workflows");
    std::fs::create_dir_all(&wf).unwrap();
    std::fs::copy(repo_root().join("action.yml"), t.path().join("action.yml")).unwrap();
    for e in std::fs::read_dir(repo_root().join("github-action/examples")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, wf.join(p.file_name().unwrap())).unwrap();
    }
    let report = crate::common::scan(t.path());
    assert_eq!(
        report.files.scanned, 4,
        "action.yml and three workflows are analysed"
    );
    assert!(
        report.findings.is_empty(),
        "{}",
        crate::common::finding_lines(&report)
    );
    assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
}

/// zizmor (a peer tool, when installed) reports nothing of severity medium or higher.
#[test]
fn zizmor_finds_nothing_medium_or_higher() {
    let peer = PathBuf::from("/root/.cache/pipeguard-peers/bin/zizmor");
    let zizmor = if peer.is_file() {
        peer
    } else {
        PathBuf::from("zizmor")
    };
    let mut cmd = Command::new(&zizmor);
    cmd.current_dir(repo_root()).args([
        "--offline",
        "--no-progress",
        "--min-severity=medium",
        "--format=plain",
        "action.yml",
    ]);
    for e in std::fs::read_dir(repo_root().join("github-action/examples")).unwrap() {
        cmd.arg(e.unwrap().path());
    }
    let Ok(o) = cmd.output() else {
        eprintln!("SKIPPED zizmor_finds_nothing_medium_or_higher: zizmor is not installed");
        return;
    };
    let out = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        o.status.success() && out.contains("No findings to report"),
        "{out}"
    );
}
