//! The composite action's steps, run locally the way the runner runs them: `${{ }}` in `env:`
//! evaluated from inputs / step outputs, each `run:` through `bash --noprofile --norc -eo pipefail`,
//! per-step GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, the action's `outputs:` resolved at the end.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_yaml::Value;

use crate::common::{repo_root, sh};

fn action() -> Value {
    serde_yaml::from_str(&std::fs::read_to_string(repo_root().join("action.yml")).unwrap()).unwrap()
}

fn built_pipeguard() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_pipeguard"))
}

struct Runner {
    dir: tempfile::TempDir,
    inputs: BTreeMap<String, String>,
    env: Vec<(String, String)>,
}

struct Outcome {
    /// Exit code of the first failing step (0 when all passed).
    code: i32,
    outputs: BTreeMap<String, String>,
    summary: String,
    log: String,
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
            inputs: BTreeMap::new(),
            env: Vec::new(),
        }
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

    /// Put the freshly built binary where the install step looks first (the tool cache).
    fn with_cached_binary(self) -> Runner {
        let target = match (std::env::consts::OS, std::env::consts::ARCH) {
            ("linux", "x86_64") => "x86_64-unknown-linux-gnu",
            ("linux", "aarch64") => "aarch64-unknown-linux-gnu",
            ("macos", "aarch64") => "aarch64-apple-darwin",
            _ => "x86_64-apple-darwin",
        };
        let bin = self.path(&format!("toolcache/pipeguard/0.1.0/{target}/bin"));
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::copy(built_pipeguard(), bin.join("pipeguard")).unwrap();
        self
    }

    fn run(&self) -> Outcome {
        let action = action();
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
        for (i, step) in action["runs"]["steps"]
            .as_sequence()
            .unwrap()
            .iter()
            .enumerate()
        {
            let id = step["id"]
                .as_str()
                .map_or_else(|| format!("step{i}"), str::to_string);
            assert_eq!(
                step["shell"].as_str(),
                Some("bash"),
                "every run step names its shell"
            );
            let run = step["run"]
                .as_str()
                .expect("composite steps here are run steps");
            assert!(!run.contains("${{"), "no expressions inside run: ({id})");
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
                    "github.action_path" => repo_root().display().to_string(),
                    other => panic!("expression `{other}` not simulated"),
                }
            };
            let out_file = self.path(&format!("temp/output_{id}"));
            let summary_file = self.path(&format!("temp/summary_{id}"));
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
                .env("GITHUB_ACTION_PATH", repo_root())
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
            let o = cmd.output().unwrap();
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
            if !o.status.success() {
                code = o.status.code().unwrap_or(-1);
                break; // later steps have the default `if: success()`
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
        let run = step["run"].as_str().unwrap();
        assert!(!run.contains("${{"), "{run}");
    }
    // Every input is used, and only in env: blocks.
    for (k, _) in a["inputs"].as_mapping().unwrap() {
        let k = k.as_str().unwrap();
        if k == "version" || k == "token" {
            continue;
        }
        assert!(
            text.contains(&format!("${{{{ inputs.{k} }}}}")),
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

/// The install step's release path: a download whose SHA-256 matches the pinned one is used; one
/// that does not is refused (no fallback).
#[test]
fn install_verifies_the_pinned_checksum() {
    let t = tempfile::tempdir().unwrap();
    let action_dir = t.path().join("action");
    std::fs::create_dir_all(action_dir.join("github-action/scripts")).unwrap();
    std::fs::copy(
        repo_root().join("github-action/scripts/install.sh"),
        action_dir.join("github-action/scripts/install.sh"),
    )
    .unwrap();
    let target = sh(
        t.path(),
        "case \"$(uname -s)-$(uname -m)\" in Linux-x86_64) echo x86_64-unknown-linux-gnu;; Linux-aarch64) echo aarch64-unknown-linux-gnu;; *) echo other;; esac",
    );
    let asset = format!("pipeguard-9.9.9-{}.tar.gz", target.trim());
    let release = t.path().join("release/v9.9.9");
    std::fs::create_dir_all(&release).unwrap();
    std::fs::copy(built_pipeguard(), t.path().join("pipeguard")).unwrap();
    sh(
        t.path(),
        &format!("tar -czf release/v9.9.9/{asset} pipeguard"),
    );
    let sum = sh(
        t.path(),
        &format!("sha256sum release/v9.9.9/{asset} | cut -d' ' -f1"),
    );
    let install = |pinned: &str| {
        std::fs::write(
            action_dir.join("github-action/checksums.txt"),
            format!("# test\n{pinned}  {asset}\n"),
        )
        .unwrap();
        let cache = t.path().join(format!("cache-{}", &pinned[..8]));
        let out = t.path().join("out");
        let _ = std::fs::remove_file(&out);
        let o = Command::new("bash")
            .arg(action_dir.join("github-action/scripts/install.sh"))
            .env("PIPEGUARD_VERSION", "9.9.9")
            .env(
                "PIPEGUARD_RELEASE_BASE",
                format!("file://{}", t.path().join("release").display()),
            )
            .env("RUNNER_TOOL_CACHE", &cache)
            .env("GITHUB_OUTPUT", &out)
            .env_remove("GITHUB_PATH")
            .output()
            .unwrap();
        (o, std::fs::read_to_string(&out).unwrap_or_default())
    };
    let (o, out) = install(sum.trim());
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("sha256 verified"));
    let bin = out.trim().strip_prefix("bin=").unwrap();
    assert!(Path::new(bin).is_file(), "{out}");
    let (o, out) = install(&"0".repeat(64));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("checksum mismatch"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert_eq!(out, "");
}
