//! The hostile-input suite (issue 23): every file, argument and payload below is crafted by an
//! attacker (or a demanding user). Large inputs are generated here, at test time. Each case runs
//! the built binary and checks that it neither crashes nor hangs, stays within memory, names the
//! file and the limit, and never trusts, follows or echoes what it should not.
//!
//! The deep-nesting and size cases must take under 2 s of CPU each (debug build) with a peak RSS
//! under 200 MB; the peak is read from /proc/<pid>/status (VmHWM) while the child runs.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{pipeguard, repo_root};

/// The binary, for runs that are measured.
fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("pipeguard")
}

struct Measured {
    code: i32,
    stdout: String,
    stderr: String,
    elapsed: Duration,
    /// CPU time (user + system) of the child, from its last sample: on a machine shared with
    /// the rest of the suite, wall time measures the load, CPU time measures pipeguard.
    cpu: Duration,
    peak_kb: u64,
}

/// User + system time of a running process (clock ticks of 10 ms, the Linux default).
fn cpu_time(pid: u32) -> Option<Duration> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces: fields are counted after its closing parenthesis.
    let rest = &s[s.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

fn vm_hwm_kb(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Run with a watchdog (20 s: a hang fails the test instead of stalling the suite), polling
/// the child's peak RSS.
fn measured(mut cmd: Command) -> Measured {
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("NO_COLOR", "1");
    let start = Instant::now();
    let mut child = cmd.spawn().unwrap();
    let pid = child.id();
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        s
    });
    let t_err = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err.read_to_end(&mut s);
        s
    });
    let mut peak = 0;
    let mut cpu = Duration::ZERO;
    let status = loop {
        if let Some(kb) = vm_hwm_kb(pid) {
            peak = peak.max(kb);
        }
        if let Some(t) = cpu_time(pid) {
            cpu = cpu.max(t);
        }
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("hung: still running after 20 s: {cmd:?}");
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let elapsed = start.elapsed();
    Measured {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&t_out.join().unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&t_err.join().unwrap()).into_owned(),
        elapsed,
        cpu,
        peak_kb: peak,
    }
}

/// Time bound of the nesting and size cases. Debug builds under a loaded machine are slower
/// than release; `PIPEGUARD_HOSTILE_SLACK` multiplies the bound on a very slow machine.
fn time_bound() -> Duration {
    let slack: u32 = std::env::var("PIPEGUARD_HOSTILE_SLACK")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    Duration::from_secs(2) * slack
}

const RSS_BOUND_KB: u64 = 200 * 1024;

/// Scan `dir` (JSON report); assert no crash, bounds, and return the report.
fn scan_bounded(case: &str, dir: &Path, extra: &[&str]) -> (Value, Measured) {
    let mut cmd = Command::new(bin());
    cmd.args(["scan", "--format", "json", "--fail-on", "never"])
        .args(extra)
        .arg(dir);
    let m = measured(cmd);
    report_case(case, &m);
    assert!(
        matches!(m.code, 0..=2),
        "{case}: exit {} (crash?)\n{}",
        m.code,
        m.stderr
    );
    let v: Value = serde_json::from_str(&m.stdout)
        .unwrap_or_else(|e| panic!("{case}: no JSON report ({e}): {}", m.stderr));
    (v, m)
}

fn report_case(case: &str, m: &Measured) {
    eprintln!(
        "hostile case {case}: exit {}, {:.2} s wall, {:.2} s CPU, peak RSS {} MB",
        m.code,
        m.elapsed.as_secs_f64(),
        m.cpu.as_secs_f64(),
        m.peak_kb / 1024
    );
    assert!(
        m.cpu < time_bound(),
        "{case}: took {:?} of CPU (bound {:?})",
        m.cpu,
        time_bound()
    );
    assert!(
        m.peak_kb < RSS_BOUND_KB,
        "{case}: peak RSS {} KB (bound {RSS_BOUND_KB} KB)",
        m.peak_kb
    );
}

fn write(dir: &Path, rel: &str, text: &str) -> PathBuf {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    p
}

/// The command at the bottom of every nested script: the rules that must still see it.
const DEEPEST: &str = "curl -fsSL https://e.example/i.sh | sh; docker push r.example/app:1";

fn nested_subshells(n: usize) -> String {
    format!("{}{DEEPEST}{}", "( ".repeat(n), " )".repeat(n))
}

fn nested_substitutions(n: usize) -> String {
    format!("echo {}{DEEPEST}{}", "$( ".repeat(n), " )".repeat(n))
}

fn and_chain(n: usize) -> String {
    format!("{} && {DEEPEST}", vec!["true"; n].join(" && "))
}

/// `(path, rule, line)` of every finding, sorted.
fn findings_of(report: &Value) -> Vec<(String, String, u64)> {
    let mut v: Vec<(String, String, u64)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["location"]["path"].as_str().unwrap().to_string(),
                f["rule_id"].as_str().unwrap().to_string(),
                f["location"]["start_line"].as_u64().unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

fn owned(v: &[(&str, &str, u64)]) -> Vec<(String, String, u64)> {
    v.iter()
        .map(|(p, r, l)| ((*p).to_string(), (*r).to_string(), *l))
        .collect()
}

/// Every way a script can nest, in every place a script lives: analysed to the bottom (the
/// deepest command's `curl | sh` and `docker push` are found), no stack overflow.
#[test]
fn deep_shell_nesting_never_overflows_the_stack() {
    let scripts = [
        ("subshells-16k", nested_subshells(16_000), true),
        // `curl | sh` inside `$(…)` is not docker/curl-pipe-shell at any depth (its output is
        // captured, not piped into the build).
        ("substitutions-16k", nested_substitutions(16_000), false),
        ("and-20k", and_chain(20_000), true),
    ];
    for (name, script, curl_pipe) in &scripts {
        let t = tempfile::tempdir().unwrap();
        let d = t.path();
        write(
            d,
            "Dockerfile",
            &format!("FROM alpine:3.19\nRUN {script}\n"),
        );
        write(
            d,
            ".github/workflows/ci.yml",
            &format!(
                "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: {}\n",
                serde_json::to_string(script).unwrap()
            ),
        );
        write(
            d,
            "Jenkinsfile",
            &format!(
                "pipeline {{ agent any\n stages {{ stage('b') {{ steps {{ sh '''{script}''' }} }} }} }}\n"
            ),
        );
        write(
            d,
            "jobs/app/config.xml",
            &format!(
                "<?xml version='1.1'?>\n<project><builders><hudson.tasks.Shell><command>{}</command></hudson.tasks.Shell></builders></project>\n",
                script.replace('&', "&amp;")
            ),
        );
        let (report, m) = scan_bounded(&format!("scan {name}"), d, &[]);
        assert_eq!(m.code, 0, "{name}: {}", m.stderr);
        let mut want = vec![
            (".github/workflows/ci.yml", "github/push-without-scan", 6),
            ("Dockerfile", "docker/base-not-digest", 1),
            ("Dockerfile", "docker/no-healthcheck", 1),
            ("Dockerfile", "docker/root-user", 1),
            ("Jenkinsfile", "jenkins/push-without-scan", 2),
            ("jobs/app/config.xml", "jenkins/push-without-scan", 2),
        ];
        if *curl_pipe {
            want.push(("Dockerfile", "docker/curl-pipe-shell", 2));
            want.push((".github/workflows/ci.yml", "github/remote-script", 6));
            want.sort_unstable();
        }
        assert_eq!(findings_of(&report), owned(&want), "{name}");
        assert_eq!(report["diagnostics"], serde_json::json!([]), "{name}");
        assert_eq!(report["files"]["scanned"], 4, "{name}");
        assert_eq!(report["files"]["failed"], 0, "{name}");
        // fingerprint parses the same scripts (job profiles).
        let mut cmd = Command::new(bin());
        cmd.arg("fingerprint").arg(d);
        let m = measured(cmd);
        report_case(&format!("fingerprint {name}"), &m);
        assert_eq!(m.code, 0, "{name}: {}", m.stderr);
        assert!(m.stdout.contains("jobs/app"), "{name}");
    }
}

const DEPTH: &str =
    "YAML flow collections nested more than 64 levels deep (limit `yaml-flow-depth`)";
const COUNT: &str =
    "more than 20000 YAML flow collections in one file (limit `yaml-flow-collections`)";

/// Nested flow collections were quadratic in libyaml and slow and large in tree-sitter-yaml.
#[test]
fn deep_and_many_yaml_flow_collections_are_refused_quickly() {
    let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    let many: String = {
        let row = format!("[{}]", vec!["[1]"; 200].join(","));
        (0..2000).fold(String::new(), |mut s, i| {
            use std::fmt::Write as _;
            let _ = writeln!(s, "  k{i}: {row}");
            s
        })
    };
    // (case, file, text, rule, line, limit message)
    let cases: Vec<(&str, &str, String, &str, u64, &str)> = vec![
        (
            "workflow-100k",
            ".github/workflows/ci.yml",
            format!("on: push\nx: {}\n", deep(100_000)),
            "github/parse-error",
            2,
            DEPTH,
        ),
        (
            "compose-30k",
            "docker-compose.yml",
            format!("services:\n  a:\n    image: {}\n", deep(30_000)),
            "compose/parse-error",
            3,
            DEPTH,
        ),
        (
            "kubernetes-30k",
            "k8s/pod.yaml",
            format!("apiVersion: v1\nkind: Pod\nspec: {}\n", deep(30_000)),
            "kubernetes/parse-error",
            3,
            DEPTH,
        ),
        (
            "compose-1.6MB-flow",
            "docker-compose.yml",
            format!("services:\n  a:\n    labels:\n{many}"),
            "compose/parse-error",
            103,
            COUNT,
        ),
        (
            "kubernetes-1.6MB-flow",
            "k8s/cm.yaml",
            format!("apiVersion: v1\nkind: ConfigMap\ndata:\n{many}"),
            "kubernetes/parse-error",
            103,
            COUNT,
        ),
    ];
    for (name, rel, text, rule, line, limit) in cases {
        let t = tempfile::tempdir().unwrap();
        write(t.path(), rel, &text);
        // With --strict an unparsed file makes the scan incomplete (exit 2); without it the
        // parse-error finding alone is weighed (issue 16; checked in tests/ci.rs).
        let (report, m) = scan_bounded(name, t.path(), &["--strict"]);
        assert_eq!(
            m.code, 2,
            "{name}: with --strict an unparsed file makes the scan incomplete"
        );
        assert_eq!(findings_of(&report), owned(&[(rel, rule, line)]), "{name}");
        assert_eq!(
            report["findings"][0]["message"],
            format!("could not parse: {limit}"),
            "{name}"
        );
        assert_eq!(report["files"]["failed"], 1, "{name}");
        if rel.contains("workflows") {
            let mut cmd = Command::new(bin());
            cmd.arg("fingerprint").arg(t.path());
            let m = measured(cmd);
            report_case(&format!("fingerprint {name}"), &m);
            assert_eq!(m.code, 2, "{name}: {}", m.stderr);
            assert_eq!(
                m.stderr,
                format!(
                    "error: {rel}: cannot fingerprint: {limit} (line {line})\nerror: 1 file(s) could not be fingerprinted; their jobs are not in the lockfile\n"
                )
            );
        }
    }
    // .pipeguard.yml: the config is refused before its YAML parser runs.
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        ".pipeguard.yml",
        &format!("rules: {}\n", deep(30_000)),
    );
    write(t.path(), "Dockerfile", "FROM alpine\n");
    let mut cmd = Command::new(bin());
    cmd.arg("scan").arg(t.path());
    let m = measured(cmd);
    report_case("config-30k", &m);
    assert_eq!(m.code, 2);
    assert_eq!(m.stdout, "");
    assert_eq!(
        m.stderr,
        format!(
            "error: {}:1: {DEPTH}\n",
            t.path().join(".pipeguard.yml").display()
        )
    );
}

/// The Groovy normal form indented by depth: 15,000 nested `node {` made fingerprint quadratic.
#[test]
fn deep_groovy_nesting_is_refused_quickly() {
    let t = tempfile::tempdir().unwrap();
    let n = 15_000;
    write(
        t.path(),
        "Jenkinsfile",
        &format!("{}{}", "node {\n".repeat(n), "}\n".repeat(n)),
    );
    let (report, m) = scan_bounded("groovy-15k scan", t.path(), &[]);
    // The recovering Groovy parser skips each statement past its depth limit and reads the
    // rest; the first ten skips are reported (lines 30 to 39).
    assert_eq!(m.code, 0);
    let want: Vec<(String, String, u64)> = (30..40)
        .map(|l| {
            (
                "Jenkinsfile".to_string(),
                "jenkins/parse-error".to_string(),
                l,
            )
        })
        .collect();
    assert_eq!(findings_of(&report), want);
    assert_eq!(
        report["findings"][0]["message"],
        "could not parse at 31:1: nesting too deep; skipped line 30 and analysed the rest of the file"
    );
    let mut cmd = Command::new(bin());
    cmd.arg("fingerprint").arg(t.path());
    let m = measured(cmd);
    report_case("groovy-15k fingerprint", &m);
    assert_eq!(m.code, 2, "{}", m.stderr);
    assert!(!m.stdout.contains("Jenkinsfile"), "{}", m.stdout);
    assert_eq!(
        m.stderr,
        "error: Jenkinsfile: cannot fingerprint: brackets nested more than 64 levels deep on line 65\nerror: 1 file(s) could not be fingerprinted; their jobs are not in the lockfile\n"
    );
}

/// A file whose analysis exceeds the per-file time budget is reported, not silently cut.
#[test]
fn per_file_time_budget_is_reported() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "Dockerfile", "FROM alpine\nUSER root\n");
    let out = pipeguard()
        .env("PIPEGUARD_FILE_BUDGET_MS", "0")
        .args(["scan", "--format", "json", "--fail-on", "never"])
        .arg(t.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let diags = v["diagnostics"].as_array().unwrap();
    assert!(
        diags.iter().any(|d| d["path"] == "Dockerfile"
            && d["level"] == "error"
            && d["message"]
                .as_str()
                .unwrap()
                .contains("per-file time budget of 0 ms")),
        "{diags:#?}"
    );
}

/// Devices and FIFOs: refused with a message, never "0 files, PASS", never read forever.
#[test]
fn devices_and_fifos_are_refused() {
    let t = tempfile::tempdir().unwrap();
    let fifo = t.path().join("fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    for target in [Path::new("/dev/zero"), fifo.as_path()] {
        let mut cmd = Command::new(bin());
        cmd.arg("scan").arg(target);
        let m = measured(cmd);
        report_case(&format!("scan {}", target.display()), &m);
        assert_eq!(m.code, 2, "{}: {}", target.display(), m.stdout);
        assert!(!m.stdout.contains("PASS"), "{}", m.stdout);
        assert!(
            m.stderr.contains("not a file or a directory"),
            "{}",
            m.stderr
        );
    }
    let tree = tempfile::tempdir().unwrap();
    write(tree.path(), "Dockerfile", "FROM alpine\n");
    for (flag, what) in [("--config", "config"), ("--baseline", "baseline")] {
        for target in [Path::new("/dev/zero"), fifo.as_path()] {
            let mut cmd = Command::new(bin());
            cmd.arg("scan").arg(flag).arg(target).arg(tree.path());
            let m = measured(cmd);
            report_case(&format!("{flag} {}", target.display()), &m);
            assert_eq!(m.code, 2, "{flag} {}", target.display());
            assert!(
                m.stderr.contains(&format!("cannot read {what}"))
                    && m.stderr.contains("not a regular file"),
                "{}",
                m.stderr
            );
        }
    }
    // A FIFO inside the tree is skipped with a note, and never opened.
    let f2 = tree.path().join("pipe.yml");
    assert!(Command::new("mkfifo").arg(&f2).status().unwrap().success());
    let (report, _) = scan_bounded("fifo in tree", tree.path(), &[]);
    assert!(
        report["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["path"] == "pipe.yml"
                && d["message"]
                    .as_str()
                    .unwrap()
                    .contains("not a regular file")),
        "{report:#}"
    );
}

const SECRET_LINE: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostileHostileHostile user@host";

/// `.pipeguard.yml`, `jobs.lock`, its `.sig` and the baseline, as symlinks out of the tree:
/// never followed, never echoed.
#[test]
fn implicit_files_are_not_followed_out_of_the_tree() {
    let outside = tempfile::tempdir().unwrap();
    let secret = write(outside.path(), "id_ed25519", &format!("{SECRET_LINE}\n"));
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    write(d, "Dockerfile", "FROM alpine\n");
    std::os::unix::fs::symlink(&secret, d.join(".pipeguard.yml")).unwrap();
    let out = pipeguard().arg("scan").arg(d).output().unwrap();
    let all =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(all.contains("symlink"), "{all}");
    assert!(!all.contains("AAAAC3"), "secret echoed: {all}");
    // A config that is not YAML for pipeguard: the error names the key, not the value.
    std::fs::remove_file(d.join(".pipeguard.yml")).unwrap();
    write(d, ".pipeguard.yml", &format!("{SECRET_LINE}\n"));
    let out = pipeguard().arg("scan").arg(d).output().unwrap();
    let all =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(!all.contains("AAAAC3"), "content echoed: {all}");
    write(d, ".pipeguard.yml", "fail_on: {password: hunter2-value}\n");
    let out = pipeguard().arg("scan").arg(d).output().unwrap();
    let all =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(!all.contains("hunter2-value"), "value echoed: {all}");
    std::fs::remove_file(d.join(".pipeguard.yml")).unwrap();

    // The gate reads .pipeguard.yml from the working directory (pull_request_target checkout).
    std::os::unix::fs::symlink(&secret, d.join(".pipeguard.yml")).unwrap();
    let payload = write(
        d,
        "event.json",
        r#"{"action":"opened","pull_request":{"number":1,"user":{"login":"a"},"head":{"sha":"abc","ref":"x","repo":{"full_name":"o/r","id":1,"owner":{"login":"o"}}},"base":{"repo":{"full_name":"o/r","id":1}}},"sender":{"login":"a"}}"#,
    );
    let output = d.join("gh_output");
    let out = pipeguard()
        .current_dir(d)
        .env("GITHUB_EVENT_NAME", "pull_request_target")
        .env("GITHUB_EVENT_PATH", &payload)
        .env("GITHUB_REPOSITORY", "o/r")
        .env("GITHUB_OUTPUT", &output)
        .env_remove("GITHUB_TOKEN")
        .env_remove("GH_TOKEN")
        .args(["gate", "--github"])
        .output()
        .unwrap();
    let all =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(!all.contains("AAAAC3"), "secret echoed by gate: {all}");
    assert_eq!(
        std::fs::read_to_string(&output).unwrap(),
        "decision=error\n"
    );
    std::fs::remove_file(d.join(".pipeguard.yml")).unwrap();

    // jobs.lock and its signature.
    std::fs::create_dir_all(d.join(".pipeguard")).unwrap();
    let lock = d.join(".pipeguard/jobs.lock");
    std::os::unix::fs::symlink(&secret, &lock).unwrap();
    let out = pipeguard().arg("drift").arg(d).output().unwrap();
    let all =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(all.contains("symlink") && !all.contains("AAAAC3"), "{all}");
    // fingerprint --write does not write through the planted link.
    let out = pipeguard()
        .arg("fingerprint")
        .arg(d)
        .arg("--write")
        .arg(&lock)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(&secret).unwrap(),
        format!("{SECRET_LINE}\n"),
        "written through the symlink"
    );
    std::fs::remove_file(&lock).unwrap();
    let out = pipeguard()
        .arg("fingerprint")
        .arg(d)
        .arg("--write")
        .arg(&lock)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::os::unix::fs::symlink(&secret, d.join(".pipeguard/jobs.lock.sig")).unwrap();
    let keydir = tempfile::tempdir().unwrap();
    pipeguard()
        .arg("keygen")
        .arg("--out")
        .arg(keydir.path().join("k"))
        .assert()
        .success();
    let out = pipeguard()
        .arg("drift")
        .arg("--pubkey")
        .arg(keydir.path().join("k.pub"))
        .arg(d)
        .output()
        .unwrap();
    let all =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("symlink") && !all.contains("AAAAC3"), "{all}");

    // The baseline, inside the tree.
    std::os::unix::fs::symlink(&secret, d.join("baseline.json")).unwrap();
    let out = pipeguard()
        .arg("scan")
        .arg("--baseline")
        .arg(d.join("baseline.json"))
        .arg(d)
        .output()
        .unwrap();
    let all =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(all.contains("symlink") && !all.contains("AAAAC3"), "{all}");
}

/// A UTF-8 byte order mark: every parser sees the document, columns are not shifted. The tree
/// with a BOM on every file gives exactly the findings (path, rule, line, column) of the same
/// tree without.
#[test]
fn byte_order_marks_are_stripped_before_parsing() {
    let files: [(&str, &str); 5] = [
        (
            "k8s/pod.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  hostNetwork: true\n  containers:\n    - name: c\n      image: nginx:latest\n      securityContext:\n        privileged: true\n",
        ),
        (
            ".github/workflows/ci.yml",
            "on: pull_request_target\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n        with:\n          ref: ${{ github.event.pull_request.head.sha }}\n",
        ),
        (
            "action.yml",
            "name: a\nruns:\n  using: composite\n  steps:\n    - run: echo hi\n      shell: bash\n",
        ),
        (
            "main.tf",
            "resource \"aws_s3_bucket\" \"b\" {\n  acl = \"public-read\"\n}\n",
        ),
        ("Dockerfile", "FROM alpine:latest\nUSER root\n"),
    ];
    let scan = |bom: &str| {
        let t = tempfile::tempdir().unwrap();
        for (rel, text) in files {
            write(t.path(), rel, &format!("{bom}{text}"));
        }
        let (report, m) = scan_bounded(&format!("bom {}", !bom.is_empty()), t.path(), &[]);
        assert_eq!(m.code, 0, "{}", m.stderr);
        assert_eq!(report["files"]["failed"], 0);
        assert_eq!(report["files"]["by_kind"]["kubernetes"], 1, "{report:#}");
        assert_eq!(report["diagnostics"], serde_json::json!([]));
        let mut v: Vec<(String, String, u64, u64)> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["location"]["path"].as_str().unwrap().to_string(),
                    f["rule_id"].as_str().unwrap().to_string(),
                    f["location"]["start_line"].as_u64().unwrap(),
                    f["location"]["start_column"].as_u64().unwrap(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let with = scan("\u{feff}");
    let want: Vec<(String, String, u64, u64)> = [
        (
            ".github/workflows/ci.yml",
            "github/excessive-permissions",
            3,
            3,
        ),
        (".github/workflows/ci.yml", "github/unpinned-action", 6, 15),
        ("Dockerfile", "docker/no-healthcheck", 1, 1),
        ("Dockerfile", "docker/root-user", 2, 1),
        ("Dockerfile", "docker/unpinned-base", 1, 6),
        ("k8s/pod.yaml", "kubernetes/capabilities-not-dropped", 10, 7),
        ("k8s/pod.yaml", "kubernetes/default-namespace", 4, 3),
        (
            "k8s/pod.yaml",
            "kubernetes/default-service-account-token",
            5,
            1,
        ),
        ("k8s/pod.yaml", "kubernetes/host-namespace", 6, 3),
        ("k8s/pod.yaml", "kubernetes/no-namespace-limits", 4, 3),
        ("k8s/pod.yaml", "kubernetes/no-namespace-limits", 4, 3),
        ("k8s/pod.yaml", "kubernetes/no-probes", 8, 7),
        ("k8s/pod.yaml", "kubernetes/no-resource-limits", 8, 7),
        ("k8s/pod.yaml", "kubernetes/no-resource-requests", 8, 7),
        ("k8s/pod.yaml", "kubernetes/no-security-context", 5, 1),
        ("k8s/pod.yaml", "kubernetes/privilege-escalation", 8, 7),
        ("k8s/pod.yaml", "kubernetes/privileged", 11, 9),
        ("k8s/pod.yaml", "kubernetes/run-as-root", 10, 7),
        ("k8s/pod.yaml", "kubernetes/seccomp-unconfined", 10, 7),
        ("k8s/pod.yaml", "kubernetes/shared-service-account", 5, 1),
        ("k8s/pod.yaml", "kubernetes/unpinned-image", 9, 14),
        ("k8s/pod.yaml", "kubernetes/writable-root-fs", 8, 7),
        ("main.tf", "terraform/s3-no-public-access-block", 1, 1),
        ("main.tf", "terraform/s3-public-acl", 2, 3),
        ("main.tf", "terraform/s3-unencrypted", 1, 1),
    ]
    .iter()
    .map(|(p, r, l, c)| ((*p).to_string(), (*r).to_string(), *l, *c))
    .collect();
    assert_eq!(with, want);
    assert_eq!(with, scan(""));
}

/// `<!DOCTYPE project [ … ]>` does not hide a job; entities are still never expanded (an
/// external entity in the job is a parse error naming it, no file is read).
#[test]
fn doctype_internal_subsets_do_not_hide_jobs() {
    let job = |extra_entity: &str, script: &str| {
        format!(
            "<?xml version='1.1' encoding='UTF-8'?>\n<!DOCTYPE flow-definition [\n  <!ENTITY x \"a > b ] c\">{extra_entity}\n]>\n<flow-definition plugin=\"workflow-job\">\n  <definition class=\"org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition\">\n    <script>{script}</script>\n    <sandbox>false</sandbox>\n  </definition>\n</flow-definition>\n"
        )
    };
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        "jobs/app/config.xml",
        &job("", "node { sh 'make' }"),
    );
    let (report, m) = scan_bounded("doctype", t.path(), &[]);
    assert_eq!(m.code, 0);
    assert_eq!(report["files"]["by_kind"]["jenkins-job"], 1, "{report:#}");
    assert_eq!(
        findings_of(&report),
        owned(&[("jobs/app/config.xml", "jenkins/sandbox-disabled", 8)])
    );
    let lock = pipeguard()
        .arg("fingerprint")
        .arg(t.path())
        .output()
        .unwrap();
    assert_eq!(lock.status.code(), Some(0));
    let lock: Value = serde_json::from_slice(&lock.stdout).unwrap();
    assert_eq!(lock["jobs"][0]["source"], "jobs/app/config.xml");
    assert_eq!(lock["jobs"][0]["id"], "app");

    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        "jobs/app/config.xml",
        &job(
            "\n  <!ENTITY xxe SYSTEM \"file:///etc/passwd\">",
            "node { sh 'make &xxe;' }",
        ),
    );
    let (report, m) = scan_bounded("doctype xxe", t.path(), &["--strict"]);
    assert_eq!(m.code, 2);
    assert_eq!(
        findings_of(&report),
        owned(&[("jobs/app/config.xml", "jenkins/parse-error", 8)])
    );
    assert_eq!(
        report["findings"][0]["message"],
        "could not parse: unknown entity `&xxe;`"
    );
    let out = pipeguard()
        .arg("fingerprint")
        .arg(t.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("root:"));

    // Found by bench/fuzz.sh (classify): a comment in the subset after a multi-byte character
    // panicked the classifier, outside any analyzer, and the whole scan died (exit 101).
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        "jobs/app/config.xml",
        &job(
            "\n  <!-- r\u{e9}sum\u{e9} \u{20ac} -->",
            "node { sh 'make' }",
        ),
    );
    write(
        t.path(),
        "jobs/b/config.xml",
        "<!DOCTYPE p [\u{e9}<!-- a -->]>\n<project/>\n",
    );
    let (report, m) = scan_bounded("doctype multibyte", t.path(), &[]);
    assert_eq!(m.code, 0, "{report:#}");
    assert_eq!(
        findings_of(&report),
        owned(&[("jobs/app/config.xml", "jenkins/sandbox-disabled", 9)])
    );
    assert!(!m.stderr.contains("panicked"), "{}", m.stderr);
}

/// Newlines, ANSI escapes and workflow commands in names: neutralised in every format.
#[test]
fn untrusted_names_are_neutralised_in_every_format() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let evil = "evil\n::error file=x::pwned\u{1b}[31m.Dockerfile";
    std::fs::write(d.join(evil), "FROM alpine:latest\nUSER root\n").unwrap();
    for format in ["text", "github", "markdown", "junit"] {
        let out = pipeguard()
            .args(["scan", "--fail-on", "never", "--format", format])
            .arg(d)
            .output()
            .unwrap();
        let s = String::from_utf8_lossy(&out.stdout);
        assert!(!s.contains('\u{1b}'), "{format}: raw escape: {s}");
        assert!(
            !s.lines().any(|l| l.starts_with("::error file=x")),
            "{format}: forged workflow command: {s}"
        );
        assert!(!s.contains("\n::error file=x::pwned"), "{format}: {s}");
        // The name is there, each control character as its control picture.
        let shown = "evil\u{240a}::error file=x::pwned\u{241b}[31m.Dockerfile";
        let want = match format {
            "text" => format!(" --> {shown}:2:1\n"),
            "github" => format!("::error file={},line=2,", shown.replace(':', "%3A")),
            "markdown" => format!("| high | `docker/root-user` | `{shown}:2` |"),
            _ => format!("<testcase classname=\"{shown}\" name=\"docker/root-user\">"),
        };
        assert!(s.contains(&want), "{format}: {want} not in {s}");
    }
    // The gate prints payload names (a workflow_run's name) neutralised too.
    let payload = write(
        d,
        "wr.json",
        r#"{"workflow_run":{"head_sha":"abc","event":"pull_request","name":"x\n::warning::forged\u001b[2J","head_branch":"b","head_repository":{"full_name":"o/r","id":1,"owner":{"login":"o"}},"repository":{"full_name":"o/r","id":1},"pull_requests":[]},"repository":{"full_name":"o/r","id":1}}"#,
    );
    let out = pipeguard()
        .current_dir(d)
        .env("GITHUB_EVENT_NAME", "workflow_run")
        .env("GITHUB_EVENT_PATH", &payload)
        .env("GITHUB_REPOSITORY", "o/r")
        .env_remove("GITHUB_OUTPUT")
        .env_remove("GITHUB_TOKEN")
        .env_remove("GH_TOKEN")
        .args(["gate", "--github"])
        .output()
        .unwrap();
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(!s.contains('\u{1b}'), "{s}");
    assert!(
        !s.lines().any(|l| l.starts_with("::warning::forged")),
        "{s}"
    );
}

/// The attestation of an incomplete scan is never `pass`; verify refuses it by default, and
/// refuses impossible timestamps and duplicated keys.
#[test]
fn incomplete_scans_bad_timestamps_and_duplicate_keys_are_refused() {
    use pipeguard_attest::{dsse, keys, statement};
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    pipeguard()
        .arg("keygen")
        .arg("--out")
        .arg(d.join("k"))
        .assert()
        .success();
    let digest = format!("sha256:{}", "ab".repeat(32));
    let report = write(
        d,
        "report.json",
        r#"{"schema_version":1,"tool":{"name":"pipeguard","version":"0.1.0"},"summary":{"counts":{"info":0,"low":0,"medium":0,"high":0,"critical":0},"total":0,"risk_score":0,"verdict":"pass","fail_on":"high"},"findings":[],"files":{"failed":1}}"#,
    );
    let att = d.join("att.intoto.jsonl");
    let out = pipeguard()
        .arg("attest")
        .arg("--scan-report")
        .arg(&report)
        .arg("--image-digest")
        .arg(&digest)
        .arg("--key")
        .arg(d.join("k"))
        .arg("--out")
        .arg(&att)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let env: dsse::Envelope =
        serde_json::from_str(std::fs::read_to_string(&att).unwrap().trim()).unwrap();
    let key = keys::load_public(&d.join("k.pub")).unwrap();
    let payload = dsse::verify(&env, &key, dsse::INTOTO_PAYLOAD_TYPE).unwrap();
    let st: Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(st["predicate"]["verdict"], "fail");
    assert_eq!(st["predicate"]["incomplete"], true);
    let verify = |att: &Path, extra: &[&str]| {
        let o = pipeguard()
            .arg("verify")
            .arg("--attestation")
            .arg(att)
            .arg("--pubkey")
            .arg(d.join("k.pub"))
            .arg("--image-digest")
            .arg(&digest)
            .args(extra)
            .output()
            .unwrap();
        (
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (code, err) = verify(&att, &[]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("incomplete"), "{err}");
    // The attested verdict is `fail`: refused by default (issue 16), accepted when allowed.
    let (code, err) = verify(&att, &["--allow-incomplete", "--allow-failing-verdict"]);
    assert_eq!(code, 0, "{err}");
    let (code, err) = verify(&att, &["--allow-incomplete", "--require-verdict", "pass"]);
    assert_eq!(code, 1, "{err}");

    // Re-signed statements with a bad timestamp, or duplicated keys.
    let sk = keys::load_private(&d.join("k")).unwrap();
    let mut pred: Value = st["predicate"].clone();
    pred["verdict"] = "pass".into();
    pred["incomplete"] = false.into();
    let sign = |payload: String, name: &str| {
        let e = dsse::sign(dsse::INTOTO_PAYLOAD_TYPE, payload.as_bytes(), &sk);
        let p = d.join(name);
        std::fs::write(&p, e.to_json_line() + "\n").unwrap();
        p
    };
    let stmt = |pred: &Value| {
        serde_json::json!({"_type": statement::STATEMENT_TYPE, "subject": st["subject"], "predicateType": statement::PREDICATE_TYPE, "predicate": pred}).to_string()
    };
    let mut bad_time = pred.clone();
    // Predicate v2 names it `time` (v1: `timestamp`).
    let time_key = if pred.get("time").is_some() {
        "time"
    } else {
        "timestamp"
    };
    bad_time[time_key] = "2026-02-30T00:00:00Z".into();
    let (code, err) = verify(&sign(stmt(&bad_time), "t.jsonl"), &[]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("2026-02-30"), "{err}");
    let good = stmt(&pred);
    let (code, err) = verify(&sign(good.clone(), "g.jsonl"), &[]);
    assert_eq!(code, 0, "{err}");
    let dup = good.replacen(
        "\"verdict\":\"pass\"",
        "\"verdict\":\"fail\",\"verdict\":\"pass\"",
        1,
    );
    assert_ne!(dup, good);
    let (code, err) = verify(&sign(dup, "d.jsonl"), &["--require-verdict", "pass"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("duplicate key \"verdict\""), "{err}");
    let dup = good.replacen("\"riskScore\":", "\"riskScore\":99,\"riskScore\":", 1);
    let (code, err) = verify(&sign(dup, "r.jsonl"), &[]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("duplicate key \"riskScore\""), "{err}");
}

/// Every exit of the gate leaves a decision; stdout never contradicts the exit code.
#[test]
fn gate_always_writes_a_decision() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let payload = write(
        d,
        "push.json",
        r#"{"after":"abc","repository":{"full_name":"o/r","id":1}}"#,
    );
    let run = |args: &[&str], summary: &Path| {
        let output = d.join("gh_output");
        let _ = std::fs::remove_file(&output);
        let o = pipeguard()
            .current_dir(d)
            .env("GITHUB_EVENT_NAME", "push")
            .env("GITHUB_EVENT_PATH", &payload)
            .env("GITHUB_REPOSITORY", "o/r")
            .env("GITHUB_OUTPUT", &output)
            .env("GITHUB_STEP_SUMMARY", summary)
            .env_remove("GITHUB_TOKEN")
            .env_remove("GH_TOKEN")
            .args(["gate", "--github"])
            .args(args)
            .output()
            .unwrap();
        (
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            std::fs::read_to_string(&output).unwrap_or_default(),
        )
    };
    let summary = d.join("summary.md");
    let (code, out, decision) = run(&[], &summary);
    assert_eq!((code, decision.as_str()), (0, "decision=allow\n"), "{out}");
    let (code, out, decision) = run(&["--trusted-config-ref", "no/such/ref"], &summary);
    assert_eq!((code, decision.as_str()), (2, "decision=error\n"), "{out}");
    write(d, ".pipeguard.yml", "rules: [\n");
    let (code, _, decision) = run(&[], &summary);
    assert_eq!((code, decision.as_str()), (2, "decision=error\n"));
    std::fs::remove_file(d.join(".pipeguard.yml")).unwrap();
    // An unwritable summary (a directory): error, and stdout does not say ALLOW.
    let (code, out, decision) = run(&[], d);
    assert_eq!(code, 2);
    assert_eq!(decision, "decision=error\n");
    assert!(!out.contains("ALLOW"), "{out}");
    // A token with --no-api: the reasons do not blame a missing token.
    let fork = write(
        d,
        "fork.json",
        r#"{"action":"opened","pull_request":{"number":1,"user":{"login":"m"},"author_association":"NONE","head":{"sha":"abc","ref":"x","repo":{"full_name":"m/r","id":2,"owner":{"login":"m"}}},"base":{"repo":{"full_name":"o/r","id":1}}},"sender":{"login":"m"}}"#,
    );
    let o = pipeguard()
        .current_dir(d)
        .env("GITHUB_EVENT_NAME", "pull_request")
        .env("GITHUB_EVENT_PATH", &fork)
        .env("GITHUB_REPOSITORY", "o/r")
        .env("GITHUB_TOKEN", "ghs_notused")
        .env_remove("GITHUB_OUTPUT")
        .args(["gate", "--github", "--no-api"])
        .output()
        .unwrap();
    let s = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{s}");
    assert!(
        !s.contains("no GitHub token") && !s.contains("without a token"),
        "{s}"
    );
    assert!(s.contains("--no-api"), "{s}");
}

// Events that can trigger a GitHub Actions workflow.
const EVENTS: &[&str] = &[
    "branch_protection_rule",
    "check_run",
    "check_suite",
    "create",
    "delete",
    "deployment",
    "deployment_status",
    "discussion",
    "discussion_comment",
    "fork",
    "gollum",
    "issue_comment",
    "issues",
    "label",
    "merge_group",
    "milestone",
    "page_build",
    "project",
    "project_card",
    "project_column",
    "public",
    "pull_request",
    "pull_request_review",
    "pull_request_review_comment",
    "push",
    "registry_package",
    "release",
    "repository_dispatch",
    "status",
    "watch",
    "workflow_dispatch",
    "workflow_run",
];

/// The octokit/webhooks example payloads (npm package `@octokit/webhooks-examples`, MIT; fetched
/// by scripts/test into a cache, not committed: `PIPEGUARD_WEBHOOK_EXAMPLES` names its
/// index.json): every real payload of an event that can start a workflow is decided, as the
/// repository's own code (they all are); and dangerous variants made from them are blocked.
#[test]
fn gate_decides_real_webhook_payloads_and_their_dangerous_variants() {
    let Some(index) = std::env::var_os("PIPEGUARD_WEBHOOK_EXAMPLES") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "PIPEGUARD_WEBHOOK_EXAMPLES is not set (scripts/test sets it)"
        );
        eprintln!("skipped: PIPEGUARD_WEBHOOK_EXAMPLES not set (run through scripts/test)");
        return;
    };
    let all: Value = serde_json::from_str(&std::fs::read_to_string(index).unwrap()).unwrap();
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let gate = |event: &str, payload: &Value| -> (i32, String) {
        let p = d.join("payload.json");
        std::fs::write(&p, payload.to_string()).unwrap();
        let repo = payload["repository"]["full_name"]
            .as_str()
            .unwrap_or("o/r")
            .to_string();
        let o = pipeguard()
            .current_dir(d)
            .env("GITHUB_EVENT_NAME", event)
            .env("GITHUB_EVENT_PATH", &p)
            .env("GITHUB_REPOSITORY", repo)
            .env_remove("GITHUB_OUTPUT")
            .env_remove("GITHUB_TOKEN")
            .env_remove("GH_TOKEN")
            .args(["gate", "--github"])
            .output()
            .unwrap();
        (
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stdout).into_owned(),
        )
    };
    let mut real = 0;
    let mut variants = 0;
    let mut prs: Vec<(String, Value)> = Vec::new();
    for ev in all.as_array().unwrap() {
        let name = ev["name"].as_str().unwrap();
        if !EVENTS.contains(&name) {
            continue;
        }
        for ex in ev["examples"].as_array().unwrap() {
            let (code, out) = gate(name, ex);
            // Every real example is the repository's own code (same-repository heads, pushes,
            // comments on issues): allowed.
            assert_eq!(code, 0, "{name} {}: {out}", ex["action"]);
            real += 1;
            if ex.get("pull_request").is_some() && name.starts_with("pull_request") {
                prs.push((name.to_string(), ex.clone()));
            }
        }
        if name == "check_suite" || name == "check_run" || name == "status" {
            for ex in ev["examples"].as_array().unwrap() {
                let mut v = ex.clone();
                match name {
                    "check_suite" => v["check_suite"]["head_branch"] = Value::Null,
                    "check_run" => v["check_run"]["check_suite"]["head_branch"] = Value::Null,
                    _ => v["branches"] = Value::Array(Vec::new()),
                }
                let (code, out) = gate(name, &v);
                assert_eq!(code, 1, "{name} on a fork's head: {out}");
                variants += 1;
            }
        }
    }
    assert!(real >= 140, "only {real} real payloads");
    for (name, ex) in &prs {
        for event in [name.as_str(), "pull_request_target"] {
            // A MEMBER's pull request from a fork owned by someone else, pushed by them.
            let mut v = ex.clone();
            v["pull_request"]["author_association"] = "MEMBER".into();
            v["pull_request"]["head"]["repo"]["id"] = 999_999.into();
            v["pull_request"]["head"]["repo"]["full_name"] = "mallory/Hello-World".into();
            v["pull_request"]["head"]["repo"]["owner"]["login"] = "mallory".into();
            v["action"] = "synchronize".into();
            v["sender"]["login"] = "mallory".into();
            let (code, out) = gate(event, &v);
            assert_eq!(code, 1, "{event} (fork of someone else): {out}");
            assert!(out.contains("owned by mallory"), "{out}");
            variants += 1;
            // The MEMBER's own fork, but the new head was pushed by someone else.
            let mut v = ex.clone();
            v["pull_request"]["author_association"] = "MEMBER".into();
            v["pull_request"]["head"]["repo"]["id"] = 999_999.into();
            let author = v["pull_request"]["user"]["login"].clone();
            let fork = format!("{}/fork", author.as_str().unwrap());
            v["pull_request"]["head"]["repo"]["full_name"] = fork.into();
            v["pull_request"]["head"]["repo"]["owner"]["login"] = author;
            v["action"] = "synchronize".into();
            v["sender"]["login"] = "mallory".into();
            let (code, out) = gate(event, &v);
            assert_eq!(code, 1, "{event} (pushed by someone else): {out}");
            assert!(out.contains("pushed by mallory"), "{out}");
            variants += 1;
            // Same name, different repository id: named.
            let mut v = ex.clone();
            v["pull_request"]["head"]["repo"]["id"] = 4242.into();
            v["pull_request"]["author_association"] = "NONE".into();
            let (code, out) = gate(event, &v);
            assert_eq!(code, 1, "{event} (same name, other id): {out}");
            assert!(
                out.contains("id 4242") && out.contains("same name"),
                "{out}"
            );
            variants += 1;
        }
    }
    eprintln!(
        "webhook examples: {real} real payloads allowed, {variants} dangerous variants blocked"
    );
}

/// `jenkins pull` against a hostile server (loopback): folders that repeat themselves, a huge
/// config.xml, credentials in the URL.
#[test]
fn jenkins_pull_survives_a_hostile_server() {
    use wiremock::matchers::{method, path_regex};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = rt.block_on(async {
        let s = MockServer::start().await;
        // Every folder lists a folder `a` containing a folder `a`: an endless tree.
        Mock::given(method("GET"))
            .and(path_regex(r"^(/job/a)*/api/json$"))
            .respond_with(ResponseTemplate::new(200).set_body_string(
                r#"{"jobs":[{"name":"a","_class":"com.cloudbees.hudson.plugins.folder.Folder","jobs":[{"name":"a","_class":"com.cloudbees.hudson.plugins.folder.Folder","jobs":[{"name":"a"}]}]}]}"#,
            ))
            .mount(&s)
            .await;
        s
    });
    let out_dir = tempfile::tempdir().unwrap();
    let url = server.uri().replace("http://", "http://me:hunter2pw@");
    let mut cmd = Command::new(bin());
    cmd.args(["jenkins", "pull", "--retries", "0", "--url", &url, "--out"])
        .arg(out_dir.path());
    let m = measured(cmd);
    report_case("jenkins cyclic folders", &m);
    assert_eq!(m.code, 2, "{}", m.stderr);
    assert!(m.stderr.contains("cycle"), "{}", m.stderr);
    assert!(!m.stderr.contains("hunter2pw"), "{}", m.stderr);

    let big = rt.block_on(async {
        let s = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path_regex(r"^/api/json$"))
            .respond_with(ResponseTemplate::new(200).set_body_string(
                r#"{"jobs":[{"name":"big","_class":"hudson.model.FreeStyleProject"}]}"#,
            ))
            .mount(&s)
            .await;
        Mock::given(method("GET"))
            .and(path_regex(r"^/job/big/config.xml$"))
            .respond_with(ResponseTemplate::new(200).set_body_string(format!(
                "<project>{}</project>",
                "x".repeat(40 * 1024 * 1024)
            )))
            .mount(&s)
            .await;
        s
    });
    let mut cmd = Command::new(bin());
    cmd.args([
        "jenkins",
        "pull",
        "--retries",
        "0",
        "--url",
        &big.uri(),
        "--out",
    ])
    .arg(out_dir.path());
    let m = measured(cmd);
    eprintln!(
        "hostile case jenkins 40 MB config.xml: exit {}, {:.2} s, peak RSS {} MB",
        m.code,
        m.elapsed.as_secs_f64(),
        m.peak_kb / 1024
    );
    // The job that cannot be read is listed, the pull is partial (exit 3).
    assert_eq!(m.code, 3, "{}", m.stderr);
    assert!(m.stderr.contains("larger than the limit"), "{}", m.stderr);
    assert!(m.peak_kb < RSS_BOUND_KB, "{} KB", m.peak_kb);
    drop(server);
    drop(big);
    let _ = repo_root();
}

/// Found by `bench/fuzz.sh` (github_workflow): invalid UTF-8 (read as U+FFFD) or any multi-byte
/// character right before an output name in a `$GITHUB_OUTPUT` write sliced a string inside a
/// character and panicked. Both forms are analysed and the output's taint still followed.
#[test]
fn multibyte_text_before_an_output_name_does_not_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = b"on: pull_request_target\npermissions: {}\njobs:\n  check:\n    runs-on: ubuntu-latest\n    steps:\n      - id: build\n        run: echo \"".to_vec();
    bytes.extend_from_slice(&[0xff, 0xff, 0xff]);
    bytes.extend_from_slice(
        b"sha=${{ github.event.pull_request.title }}\" >> \"$GITHUB_OUTPUT\"\n      - id: other\n        run: echo \"\xc3\xa9name=$(date)\" >> \"$GITHUB_OUTPUT\"\n      - run: echo \"${{ steps.build.outputs.sha }}\"\n",
    );
    let wf = dir.path().join(".github/workflows/w.yml");
    std::fs::create_dir_all(wf.parent().unwrap()).unwrap();
    std::fs::write(&wf, bytes).unwrap();
    let out = pipeguard()
        .args([
            "scan",
            "--only",
            "github",
            "--format",
            "json",
            "--fail-on",
            "never",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["rule_id"].as_str())
        .collect();
    assert!(rules.contains(&"github/script-injection"), "{rules:?}");
}
