//! Job fingerprints and drift: rule fixtures (before/after trees), end-to-end runs of
//! `fingerprint` and `drift` on real git repositories, and a property test that formatting never
//! changes a fingerprint.

use std::collections::HashMap;
use std::fs;
use std::path::Path;
use std::process::Command as Process;

use pipeguard_engine::drift::lock::Lockfile;
use pipeguard_engine::drift::{classify, sources};
use pipeguard_engine::policy::config::{Config, FailOn};
use pipeguard_engine::policy::{self, PolicyInput};
use pipeguard_engine::report::{FileStats, Report, SCHEMA_VERSION, Tool};
use pipeguard_engine::rules::Registry;

use crate::common::{json_report, pipeguard, rule_lines};

/// Drift findings of `after` against the jobs of `before`, through the policy.
pub(crate) fn drift(before: &Path, after: &Path) -> Report {
    let registry = Registry::builtin().expect("catalogue");
    let config = Config::default();
    let old = sources::working_tree(before, &[], 1 << 20).expect("before");
    let new = sources::working_tree(after, &[], 1 << 20).expect("after");
    assert_eq!(old.failed + new.failed, 0, "fixture files must parse");
    let lock = Lockfile::from_jobs(&old.jobs);
    let (findings, diffs) = classify::compare(
        &lock.jobs,
        &new.jobs,
        &new.files,
        &new.unread,
        "the lockfile",
    );
    let outcome = policy::apply(
        findings,
        &PolicyInput {
            registry,
            config: &config,
            suppressions: &HashMap::new(),
            baseline: None,
            fail_on: FailOn::Medium,
            max_risk: None,
        },
    );
    Report {
        schema_version: SCHEMA_VERSION,
        tool: Tool::current(),
        root: ".".into(),
        rules: Vec::new(),
        summary: outcome.summary,
        findings: outcome.findings,
        suppressed: outcome.suppressed,
        diagnostics: Vec::new(),
        files: FileStats::default(),
        credentials: Vec::new(),
        drift: diffs,
    }
}

// ---- end to end, on real git repositories -------------------------------------------------

fn git(dir: &Path, args: &[&str]) {
    let out = Process::new("git")
        .args([
            "-c",
            "user.name=T",
            "-c",
            "user.email=t@example.com",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn commit_all(dir: &Path, msg: &str) {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", msg]);
}

const CI: &str = "name: ci
on:
  push:
    branches: [main]
permissions:
  contents: read
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: make test
  image:
    runs-on: ubuntu-latest
    steps:
      - run: docker build -t ghcr.io/acme/app .
      - run: trivy image ghcr.io/acme/app
";

/// The same workflow, re-formatted: comments, flow style, quoting, key order, indentation.
const CI_REFORMATTED: &str = "# CI for acme
\"on\": {push: {branches: main}}
name: 'ci'
permissions: {contents: read}
jobs:
    image:   # scans before anything else
        steps:
            - {run: 'docker build -t ghcr.io/acme/app .'}
            - run: >-
                trivy image ghcr.io/acme/app
        runs-on: [ubuntu-latest]
    build:
        runs-on: \"ubuntu-latest\"
        steps:
            - uses: \"actions/checkout@v4\"
            - run: make test
";

fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    git(dir.path(), &["init", "-q", "-b", "main"]);
    let wf = dir.path().join(".github/workflows");
    fs::create_dir_all(&wf).unwrap();
    fs::write(wf.join("ci.yml"), CI).unwrap();
    commit_all(dir.path(), "ci");
    pipeguard()
        .arg("fingerprint")
        .arg(dir.path())
        .arg("--write")
        .arg(dir.path().join(".pipeguard/jobs.lock"))
        .assert()
        .code(0);
    commit_all(dir.path(), "lock");
    dir
}

fn drift_json(dir: &Path, extra: &[&str]) -> (i32, serde_json::Value) {
    let out = pipeguard()
        .args(["drift", "--format", "json"])
        .args(extra)
        .arg(dir)
        .output()
        .expect("runs");
    let code = out.status.code().unwrap_or(-1);
    (code, json_report(&out.stdout))
}

#[test]
fn lockfile_is_written_sorted_and_stable() {
    let dir = repo();
    let lock = fs::read_to_string(dir.path().join(".pipeguard/jobs.lock")).unwrap();
    let parsed: serde_json::Value = serde_json::from_str(&lock).unwrap();
    assert_eq!(parsed["version"], 1);
    let ids: Vec<&str> = parsed["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["build", "image"]);
    assert!(
        parsed["jobs"][1]["profile"]["scans_images"]
            .as_bool()
            .unwrap()
    );
    assert!(
        parsed["jobs"][0]["fingerprint"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    // Same input, same bytes.
    let again = pipeguard()
        .arg("fingerprint")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(again.stdout).unwrap(), lock);
}

#[test]
fn formatting_only_commit_is_not_drift() {
    let dir = repo();
    fs::write(dir.path().join(".github/workflows/ci.yml"), CI_REFORMATTED).unwrap();
    commit_all(dir.path(), "reformat");
    let (code, report) = drift_json(dir.path(), &[]);
    assert_eq!(rule_lines(&report), vec![]);
    assert_eq!(code, 0);
    let (code, report) = drift_json(dir.path(), &["--against", "HEAD~1"]);
    assert_eq!(rule_lines(&report), vec![]);
    assert_eq!(code, 0);
}

/// Each security-relevant edit → its rule, at the line of the edit, exit 1.
#[test]
fn security_changes_are_classified_at_their_lines() {
    let cases: &[(&str, &str, &str, u64)] = &[
        (
            "    branches: [main]\n",
            "    branches: [main]\n  pull_request_target:\n",
            "drift/trigger-widened",
            2,
        ),
        (
            "contents: read",
            "contents: write",
            "drift/permissions-widened",
            5,
        ),
        (
            "      - run: make test\n",
            "      - run: make test\n        env: {TOKEN: \"${{ secrets.DEPLOY_TOKEN }}\"}\n",
            "drift/secret-added",
            13,
        ),
        (
            "      - run: make test\n",
            "      - run: make test\n      - run: docker push ghcr.io/acme/app\n",
            "drift/push-added",
            13,
        ),
        (
            "      - run: make test\n",
            "      - run: make test\n      - run: helm upgrade --install app ./chart\n",
            "drift/deploy-added",
            13,
        ),
        (
            "  build:\n    runs-on: ubuntu-latest",
            "  build:\n    runs-on: [self-hosted, linux]",
            "drift/runner-changed",
            9,
        ),
        (
            "      - run: trivy image ghcr.io/acme/app\n",
            "",
            "drift/scan-removed",
            13,
        ),
    ];
    for (from, to, rule, line) in cases {
        let dir = repo();
        let path = dir.path().join(".github/workflows/ci.yml");
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{rule}: fixture text");
        fs::write(&path, text.replacen(from, to, 1)).unwrap();
        for extra in [&[][..], &["--against", "HEAD"][..]] {
            let (code, report) = drift_json(dir.path(), extra);
            let lines = rule_lines(&report);
            assert!(
                lines.contains(&(rule.to_string(), ".github/workflows/ci.yml".into(), *line)),
                "{rule} {extra:?}: {lines:?}"
            );
            assert!(
                lines.iter().any(|(r, _, _)| r == "drift/job-changed"),
                "{rule}: job-changed too"
            );
            assert_eq!(code, 1, "{rule}");
            assert!(
                report["drift"][0]["diff"].as_str().unwrap().contains("@@"),
                "a unified diff"
            );
        }
    }
}

#[test]
fn renamed_or_moved_job_is_job_moved() {
    let dir = repo();
    let path = dir.path().join(".github/workflows/ci.yml");
    let text = fs::read_to_string(&path).unwrap();
    fs::write(&path, text.replace("  build:\n", "  test:\n")).unwrap();
    let (code, report) = drift_json(dir.path(), &[]);
    assert_eq!(
        rule_lines(&report),
        vec![(
            "drift/job-moved".into(),
            ".github/workflows/ci.yml".into(),
            8
        )]
    );
    // Info only: nothing fails.
    assert_eq!(code, 0);
    // The file renamed as well: still one move per job, no added/secret/trigger findings.
    fs::remove_file(&path).unwrap();
    fs::write(
        dir.path().join(".github/workflows/main.yml"),
        text.replace("  build:\n", "  test:\n"),
    )
    .unwrap();
    let (code, report) = drift_json(dir.path(), &[]);
    let rules: Vec<String> = rule_lines(&report).into_iter().map(|(r, _, _)| r).collect();
    assert_eq!(rules, ["drift/job-moved", "drift/job-moved"], "{report}");
    assert_eq!(code, 0);
}

/// The git-ref side applies the ignore rules of the walk: a `.pipeguardignore`d workflow is on
/// neither side, a tracked workflow under a `.gitignore`d path is on both, symlinks on neither.
#[test]
fn ref_side_and_walk_agree_on_job_files() {
    let dir = repo();
    let root = dir.path();
    fs::create_dir_all(root.join("vendor/.github/workflows")).unwrap();
    fs::write(root.join("vendor/.github/workflows/x.yml"), CI).unwrap();
    fs::create_dir_all(root.join("gen/.github/workflows")).unwrap();
    fs::write(root.join("gen/.github/workflows/y.yml"), CI).unwrap();
    fs::write(root.join(".pipeguardignore"), "vendor/\n").unwrap();
    std::os::unix::fs::symlink("ci.yml", root.join(".github/workflows/link.yml")).unwrap();
    // A tracked symlink: git stores the target's name as the blob, which reads as a
    // Jenkinsfile with one `(pipeline)` job unless the git side skips links as the walk does.
    fs::create_dir_all(root.join("ci")).unwrap();
    fs::write(root.join("ci/Jenkinsfile.combined"), "node { sh 'make' }\n").unwrap();
    std::os::unix::fs::symlink("Jenkinsfile.combined", root.join("ci/Jenkinsfile")).unwrap();
    commit_all(root, "more");
    fs::write(root.join(".gitignore"), "gen/\n").unwrap();
    commit_all(root, "ignore");
    let (code, report) = drift_json(root, &["--against", "HEAD"]);
    assert_eq!(rule_lines(&report), vec![], "{report}");
    assert_eq!(code, 0);
    // The tracked workflow under the `.gitignore`d path is compared, not skipped.
    let y = root.join("gen/.github/workflows/y.yml");
    fs::write(&y, CI.replace("make test", "make check")).unwrap();
    let (_, report) = drift_json(root, &["--against", "HEAD"]);
    let rules: Vec<(String, String)> = rule_lines(&report)
        .into_iter()
        .map(|(r, p, _)| (r, p))
        .collect();
    assert_eq!(
        rules,
        [(
            "drift/job-changed".to_string(),
            "gen/.github/workflows/y.yml".to_string()
        )],
        "{report}"
    );
}

#[test]
fn bom_workflow_is_fingerprinted_and_exit_2_wins() {
    let dir = repo();
    let path = dir.path().join(".github/workflows/ci.yml");
    let text = fs::read_to_string(&path).unwrap();
    fs::write(&path, format!("\u{feff}{text}")).unwrap();
    let (code, report) = drift_json(dir.path(), &[]);
    assert_eq!(rule_lines(&report), vec![], "{report}");
    assert_eq!(code, 0);
    // Drift in one file and another job file that cannot be read: exit 2, not 1.
    fs::write(
        &path,
        format!("\u{feff}{}", text.replace("make test", "make check")),
    )
    .unwrap();
    fs::write(
        dir.path().join(".github/workflows/bad.yml"),
        "on: push\njobs: [",
    )
    .unwrap();
    let (code, report) = drift_json(dir.path(), &[]);
    let rules: Vec<String> = rule_lines(&report).into_iter().map(|(r, _, _)| r).collect();
    assert_eq!(rules, ["drift/job-changed"], "{report}");
    assert_eq!(code, 2);
}

#[test]
fn text_report_shows_the_diff_and_errors_are_clear() {
    let dir = repo();
    let path = dir.path().join(".github/workflows/ci.yml");
    let text = fs::read_to_string(&path).unwrap();
    fs::write(&path, text.replace("make test", "make test-all")).unwrap();
    let out = pipeguard().arg("drift").arg(dir.path()).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("-        \"run\": \"make test\""),
        "{stdout}"
    );
    assert!(
        stdout.contains("+        \"run\": \"make test-all\""),
        "{stdout}"
    );
    assert_eq!(out.status.code(), Some(1));

    // A broken workflow: named, exit 2, the other jobs still compared.
    fs::write(
        dir.path().join(".github/workflows/bad.yml"),
        "on: push\njobs: [",
    )
    .unwrap();
    let out = pipeguard().arg("drift").arg(dir.path()).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains(".github/workflows/bad.yml"), "{stdout}");
    assert!(stdout.contains("drift/job-changed"), "{stdout}");

    // No lockfile: a clear error, exit 2.
    let empty = tempfile::tempdir().unwrap();
    let out = pipeguard().arg("drift").arg(empty.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("pipeguard fingerprint --write"));

    // A hand-edited fingerprint is refused.
    let lock = dir.path().join(".pipeguard/jobs.lock");
    let t = fs::read_to_string(&lock).unwrap();
    let i = t.find("sha256:").unwrap() + 7;
    let mut bytes = t.into_bytes();
    bytes[i] = if bytes[i] == b'0' { b'1' } else { b'0' };
    fs::write(&lock, bytes).unwrap();
    let out = pipeguard().arg("drift").arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not match"));
}

#[test]
fn jenkins_home_jobs_are_fingerprinted() {
    let dir = repo();
    let home = tempfile::tempdir().unwrap();
    let job = home.path().join("jobs/app/config.xml");
    fs::create_dir_all(job.parent().unwrap()).unwrap();
    let xml = "<project>\n  <assignedNode>linux</assignedNode>\n  <builders>\n    <hudson.tasks.Shell>\n      <command>make</command>\n    </hudson.tasks.Shell>\n  </builders>\n</project>\n";
    fs::write(&job, xml).unwrap();
    pipeguard()
        .args(["fingerprint", "--jenkins-home"])
        .arg(home.path())
        .arg(dir.path())
        .arg("--write")
        .arg(dir.path().join(".pipeguard/jobs.lock"))
        .assert()
        .code(0);
    // Edited in the UI: now pushes an image.
    fs::write(
        &job,
        xml.replace(
            "<command>make</command>",
            "<command>make\ndocker push reg.example.com/app</command>",
        ),
    )
    .unwrap();
    let out = pipeguard()
        .args(["drift", "--format", "json", "--jenkins-home"])
        .arg(home.path())
        .arg(dir.path())
        .output()
        .unwrap();
    let report = json_report(&out.stdout);
    let lines = rule_lines(&report);
    assert!(
        lines.contains(&(
            "drift/push-added".into(),
            "jenkins-home:jobs/app/config.xml".into(),
            5
        )),
        "{lines:?}"
    );
    assert_eq!(out.status.code(), Some(1));
}

// ---- property: formatting never changes a fingerprint -------------------------------------

mod formatting {
    use proptest::prelude::*;

    use pipeguard_engine::drift::github;

    #[derive(Clone, Debug)]
    struct Step {
        run: String,
        env: Vec<(String, String)>,
    }

    #[derive(Clone, Debug)]
    struct Wf {
        triggers: Vec<&'static str>,
        jobs: Vec<(String, String, Vec<Step>)>,
    }

    fn word() -> impl Strategy<Value = String> {
        "[a-z][a-z0-9_]{0,8}"
    }

    fn wf() -> impl Strategy<Value = Wf> {
        let step = (
            "[a-z][a-z0-9 ./-]{0,20}[a-z0-9]",
            prop::collection::btree_map(word(), "[A-Za-z0-9]{1,8}", 0..3),
        )
            .prop_map(|(run, env)| Step {
                run,
                env: env.into_iter().collect(),
            });
        let job = (
            word(),
            prop::sample::select(vec!["ubuntu-latest", "macos-14"]),
            prop::collection::vec(step, 1..4),
        );
        (
            prop::sample::subsequence(vec!["push", "pull_request", "workflow_dispatch"], 1..3),
            prop::collection::btree_map(word(), job, 1..4),
        )
            .prop_map(|(triggers, jobs)| Wf {
                triggers,
                jobs: jobs
                    .into_iter()
                    .map(|(id, (_, r, s))| (id, r.to_string(), s))
                    .collect(),
            })
    }

    /// Rendering choices that must not matter.
    #[derive(Clone, Debug)]
    struct Style {
        indent: usize,
        flow_on: bool,
        quote: u8,
        comments: bool,
        reverse_keys: bool,
        flow_steps: bool,
    }

    fn style() -> impl Strategy<Value = Style> {
        (
            2usize..5,
            any::<bool>(),
            0u8..3,
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(
                |(indent, flow_on, quote, comments, reverse_keys, flow_steps)| Style {
                    indent,
                    flow_on,
                    quote,
                    comments,
                    reverse_keys,
                    flow_steps,
                },
            )
    }

    fn q(s: &str, st: &Style) -> String {
        match st.quote {
            0 => format!("{s:?}"),
            1 => format!("'{}'", s.replace('\'', "''")),
            // Plain scalars only where YAML reads them back as the same string.
            _ if s
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && !["true", "false", "null", "yes", "no", "on", "off", "y", "n"]
                    .contains(&s.to_ascii_lowercase().as_str()) =>
            {
                s.to_string()
            }
            _ => format!("{s:?}"),
        }
    }

    fn render(w: &Wf, st: &Style) -> String {
        let i1 = " ".repeat(st.indent);
        let i2 = i1.repeat(2);
        let i3 = i1.repeat(3);
        let mut out = String::new();
        if st.comments {
            out.push_str("# generated\n");
        }
        let on = if st.flow_on {
            format!("on: [{}]\n", w.triggers.join(", "))
        } else {
            let mut s = "on:\n".to_string();
            for t in &w.triggers {
                s.push_str(&format!("{i1}{t}:\n"));
            }
            s
        };
        let mut jobs = String::from("jobs:\n");
        let mut list: Vec<_> = w.jobs.iter().collect();
        if st.reverse_keys {
            list.reverse();
        }
        for (id, runner, steps) in list {
            jobs.push_str(&format!(
                "{i1}{id}:{}\n",
                if st.comments { "  # job" } else { "" }
            ));
            let runs_on = format!("{i2}runs-on: {}\n", q(runner, st));
            let mut body = format!("{i2}steps:\n");
            for s in steps {
                if st.flow_steps {
                    let env: Vec<String> = s
                        .env
                        .iter()
                        .map(|(k, v)| format!("{k}: {}", q(v, st)))
                        .collect();
                    body.push_str(&format!(
                        "{i2}- {{run: {}, env: {{{}}}}}\n",
                        q(&s.run, st),
                        env.join(", ")
                    ));
                } else {
                    body.push_str(&format!("{i2}- run: {}\n", q(&s.run, st)));
                    if s.env.is_empty() {
                        body.push_str(&format!("{i2}  env: {{}}\n"));
                    } else {
                        body.push_str(&format!("{i2}  env:\n"));
                        for (k, v) in &s.env {
                            body.push_str(&format!("{i3}  {k}: {}\n", q(v, st)));
                        }
                    }
                }
            }
            if st.reverse_keys {
                jobs.push_str(&body);
                jobs.push_str(&runs_on);
            } else {
                jobs.push_str(&runs_on);
                jobs.push_str(&body);
            }
        }
        if st.reverse_keys {
            format!("{jobs}{on}")
        } else {
            format!("{on}{jobs}")
        }
    }

    fn fingerprints(text: &str) -> Vec<(String, String)> {
        github::jobs(".github/workflows/w.yml", text)
            .unwrap_or_else(|e| panic!("{e}\n{text}"))
            .iter()
            .map(|j| (j.id.clone(), j.fingerprint()))
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn reformatting_keeps_fingerprints(w in wf(), a in style(), b in style()) {
            prop_assert_eq!(fingerprints(&render(&w, &a)), fingerprints(&render(&w, &b)));
        }

        #[test]
        fn a_semantic_edit_changes_the_fingerprint(w in wf(), a in style()) {
            let before = fingerprints(&render(&w, &a));
            let mut changed = w.clone();
            changed.jobs[0].2[0].run.push_str(" --x");
            let after = fingerprints(&render(&changed, &a));
            prop_assert_ne!(&before[..], &after[..]);
        }
    }
}

#[test]
fn signed_lockfile_is_enforced() {
    let dir = repo();
    let keys = tempfile::tempdir().unwrap();
    let key = keys.path().join("lock.key");
    pipeguard()
        .args(["keygen", "--out"])
        .arg(&key)
        .assert()
        .code(0);
    let lock = dir.path().join(".pipeguard/jobs.lock");
    pipeguard()
        .arg("fingerprint")
        .arg(dir.path())
        .arg("--write")
        .arg(&lock)
        .arg("--sign")
        .arg(&key)
        .assert()
        .code(0);
    let pubkey = keys.path().join("lock.key.pub");
    let drift = |extra: &[&str]| {
        pipeguard()
            .arg("drift")
            .arg(dir.path())
            .arg("--pubkey")
            .arg(&pubkey)
            .args(extra)
            .output()
            .unwrap()
    };
    assert_eq!(drift(&[]).status.code(), Some(0));

    // A pull request edits a job and re-generates the lock without the key: refused.
    let wf = dir.path().join(".github/workflows/ci.yml");
    fs::write(
        &wf,
        fs::read_to_string(&wf)
            .unwrap()
            .replace("make test", "make deploy"),
    )
    .unwrap();
    pipeguard()
        .arg("fingerprint")
        .arg(dir.path())
        .arg("--write")
        .arg(&lock)
        .assert()
        .code(0);
    let out = drift(&[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("changed after it was signed"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Another key: refused with its own message.
    let other = keys.path().join("other.key");
    pipeguard()
        .args(["keygen", "--out"])
        .arg(&other)
        .assert()
        .code(0);
    pipeguard()
        .arg("fingerprint")
        .arg(dir.path())
        .arg("--write")
        .arg(&lock)
        .arg("--sign")
        .arg(&other)
        .assert()
        .code(0);
    let out = drift(&[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("another key"));

    // No signature at all: a clear error.
    fs::remove_file(dir.path().join(".pipeguard/jobs.lock.sig")).unwrap();
    let out = drift(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("fingerprint --sign"));
}

/// pipeguard with `args` on `path`, reading the live jobs of the loopback Jenkins at `url` (off
/// the async runtime: the binary blocks while the server answers).
async fn run_live(path: &Path, url: &str, args: &[&str]) -> std::process::Output {
    let (path, url) = (path.to_path_buf(), url.to_string());
    let args: Vec<String> = args.iter().map(ToString::to_string).collect();
    tokio::task::spawn_blocking(move || {
        pipeguard()
            .args(&args)
            .arg(&path)
            .args(["--jenkins-url", &url, "--jenkins-user", "ci"])
            .args(["--jenkins-token-env", "PG_TEST_JENKINS_TOKEN"])
            .env("PG_TEST_JENKINS_TOKEN", "secret-api-token")
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

/// `fingerprint --write` of the live jobs into `path`'s lockfile (must succeed); its text.
async fn lock_live_jobs(path: &Path, url: &str) -> String {
    let lock = path.join(".pipeguard/jobs.lock").display().to_string();
    let out = run_live(path, url, &["fingerprint", "--write", &lock]).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    fs::read_to_string(&lock).unwrap()
}

/// `--jenkins-url`: live jobs (recorded Jenkins responses on loopback) against the lockfile; a job
/// edited in the UI is drift.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_jenkins_jobs_edited_in_the_ui_are_drift() {
    use crate::jenkins::{mount, recorded};
    let server = wiremock::MockServer::start().await;
    mount(&server, "/api/json", r#"{"jobs":[{"_class":"hudson.model.FreeStyleProject","name":"deploy","url":"http://x/job/deploy/"}]}"#.into(), true).await;
    mount(
        &server,
        "/job/deploy/config.xml",
        recorded("freestyle.xml"),
        false,
    )
    .await;
    let dir = repo();
    let url = server.uri();
    let locked = lock_live_jobs(dir.path(), &url).await;
    assert!(
        locked.contains("\"source\": \"jenkins:jobs/deploy/config.xml\""),
        "{locked}"
    );

    let out = run_live(dir.path(), &url, &["drift", "--format", "json"]).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // Someone edits the job in the UI: it now also pushes an image.
    server.reset().await;
    mount(&server, "/api/json", r#"{"jobs":[{"_class":"hudson.model.FreeStyleProject","name":"deploy","url":"http://x/job/deploy/"}]}"#.into(), true).await;
    let edited = recorded("freestyle.xml").replacen(
        "</builders>",
        "<hudson.tasks.Shell><command>docker push reg.example.com/app</command></hudson.tasks.Shell></builders>",
        1,
    );
    mount(&server, "/job/deploy/config.xml", edited, false).await;
    let out = run_live(dir.path(), &url, &["drift", "--format", "json"]).await;
    let report = json_report(&out.stdout);
    let rules: Vec<String> = rule_lines(&report).into_iter().map(|(r, _, _)| r).collect();
    assert!(
        rules.contains(&"drift/job-changed".to_string()),
        "{rules:?}"
    );
    assert!(rules.contains(&"drift/push-added".to_string()), "{rules:?}");
    assert_eq!(out.status.code(), Some(1));
}

/// `drift --jenkins-url` with one job's config.xml answering 404 (deleted during the run, or not
/// readable by the user): the missing job is named in an error diagnostic and not reported as
/// removed, the drift of the other job is still reported, and the run exits 2 (incomplete, even
/// with drift found; docs/jenkins.md "jenkins pull").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_jenkins_drift_names_a_job_it_could_not_read() {
    use crate::jenkins::{mount, recorded};
    const JOBS: &str = r#"{"jobs":[{"_class":"hudson.model.FreeStyleProject","name":"deploy","url":"http://x/job/deploy/"},{"_class":"hudson.model.FreeStyleProject","name":"release","url":"http://x/job/release/"}]}"#;
    let server = wiremock::MockServer::start().await;
    mount(&server, "/api/json", JOBS.into(), true).await;
    mount(
        &server,
        "/job/deploy/config.xml",
        recorded("freestyle.xml"),
        false,
    )
    .await;
    let release =
        recorded("freestyle.xml").replace("terraform apply -auto-approve", "make release");
    mount(&server, "/job/release/config.xml", release, false).await;
    let dir = repo();
    let url = server.uri();
    let locked = lock_live_jobs(dir.path(), &url).await;
    assert!(
        locked.contains("\"source\": \"jenkins:jobs/release/config.xml\""),
        "{locked}"
    );

    // `deploy` is edited in the UI (it now pushes an image); `release` cannot be read.
    server.reset().await;
    mount(&server, "/api/json", JOBS.into(), true).await;
    let edited = recorded("freestyle.xml").replacen(
        "</builders>",
        "<hudson.tasks.Shell><command>docker push reg.example.com/app</command></hudson.tasks.Shell></builders>",
        1,
    );
    mount(&server, "/job/deploy/config.xml", edited, false).await;
    wiremock::Mock::given(wiremock::matchers::method("GET"))
        .and(wiremock::matchers::path("/job/release/config.xml"))
        .respond_with(
            wiremock::ResponseTemplate::new(404).set_body_string(recorded("not-found.html")),
        )
        .mount(&server)
        .await;
    let out = run_live(dir.path(), &url, &["drift", "--format", "json"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let report = json_report(&out.stdout);
    let found = rule_lines(&report);
    assert!(
        found.iter().any(|(r, p, l)| r == "drift/push-added"
            && p == "jenkins:jobs/deploy/config.xml"
            && *l > 0),
        "{found:?}"
    );
    assert!(
        !found.iter().any(|(_, p, _)| p.contains("release")),
        "a job that could not be read is not drift (removed or changed): {found:?}"
    );
    let named = "job `release` could not be pulled: not found (HTTP 404)";
    let in_report = report["diagnostics"].as_array().is_some_and(|ds| {
        ds.iter().any(|d| {
            d["path"] == "jenkins:jobs/release/config.xml"
                && d["message"].as_str().is_some_and(|m| m.contains(named))
        })
    });
    assert!(in_report, "missing job not in the diagnostics: {report}");
    assert!(
        stderr.contains("could not read 1 job(s); every other job was read")
            && stderr.contains("  release: not found (HTTP 404)"),
        "missing job not named on stderr: {stderr}"
    );
    assert_eq!(out.status.code(), Some(2), "{stderr}");
}
