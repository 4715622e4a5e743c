//! No secret bytes in any output: one credential of each provider kind planted in every file
//! kind (a workflow, a Jenkinsfile, a job config.xml, a Dockerfile, compose, Kubernetes,
//! Terraform, source code), the same secret twice on a line, a credential in a URL; then every
//! output format of `scan` (tree and `--history`), `baseline`, `fingerprint` (stdout and the
//! lockfile), `drift` (`--lock` and `--against`, text and JSON) and `attest` is searched for
//! any 8-byte piece of any planted secret.

use std::fs;
use std::path::{Path, PathBuf};

use crate::common::{pipeguard, sh};
use crate::secrets::{alnum, aws_key_id, github_token, stripe_key};

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, text).unwrap();
}

/// The planted secrets (only the secret part of each, e.g. a URL's password).
fn plant(root: &Path) -> Vec<String> {
    let gh = github_token(11);
    let aws = aws_key_id(12);
    let stripe = stripe_key(13);
    let db = alnum(14, 18);
    let pw = format!("{}!{}", alnum(15, 10), alnum(16, 6));
    let slack = format!("xoxb-7301928456-5820193746152-{}", alnum(17, 24));
    let jenkins_pw = format!("{}#{}", alnum(18, 12), alnum(19, 4));
    let aws_secret = format!("{}/{}+{}", alnum(20, 13), alnum(21, 13), alnum(22, 12));
    let slack_hook = alnum(23, 24);
    let slack_url = format!(
        "https://hooks.slack.com/services/T{}/B{}/{slack_hook}",
        alnum(24, 10).to_uppercase(),
        alnum(25, 10).to_uppercase()
    );
    let gitlab = format!("glpat-{}", alnum(26, 20));
    let sendgrid = format!("SG.{}.{}", alnum(27, 22), alnum(28, 43));
    write(
        root,
        ".github/workflows/deploy.yml",
        &format!(
            "on: push\npermissions: {{}}\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    env:\n      SLACK_TOKEN: {slack}\n      AWS_SECRET_ACCESS_KEY: {aws_secret}\n    steps:\n      - run: curl -H 'Authorization: token {gh}' https://api.github.com/user  # {gh}\n      - run: git clone https://ci:{db}@git.example.com/o/r.git\n"
        ),
    );
    write(
        root,
        "Jenkinsfile",
        &format!(
            "pipeline {{\n  agent any\n  environment {{\n    AWS_ACCESS_KEY_ID = '{aws}'\n    DB_PASSWORD = '{pw}'\n  }}\n  stages {{\n    stage('Deploy') {{\n      steps {{\n        sh 'deploy --key {stripe} --again {stripe}'\n      }}\n    }}\n  }}\n}}\n"
        ),
    );
    write(
        root,
        "jobs/deploy/config.xml",
        &format!(
            "<?xml version='1.1' encoding='UTF-8'?>\n<project>\n  <builders>\n    <hudson.tasks.Shell>\n      <command>deploy --token {gh}</command>\n    </hudson.tasks.Shell>\n  </builders>\n  <properties>\n    <hudson.model.ParametersDefinitionProperty>\n      <parameterDefinitions>\n        <hudson.model.PasswordParameterDefinition>\n          <name>DEPLOY_PASSWORD</name>\n          <defaultValue>{jenkins_pw}</defaultValue>\n        </hudson.model.PasswordParameterDefinition>\n      </parameterDefinitions>\n    </hudson.model.ParametersDefinitionProperty>\n  </properties>\n</project>\n"
        ),
    );
    write(
        root,
        "Dockerfile",
        &format!(
            "FROM alpine:3.20\nENV GITHUB_TOKEN={gh}\nENV SLACK_WEBHOOK_URL={slack_url}\nUSER root\nRUN echo {gh} && curl -u admin:{pw} https://x.example.com/a\n"
        ),
    );
    write(
        root,
        "docker-compose.yml",
        &format!(
            "services:\n  db:\n    image: postgres:16\n    privileged: true\n    environment:\n      DATABASE_URL: postgres://app:{db}@db:5432/app\n      SLACK: {slack}\n      GITLAB_TOKEN: {gitlab}\n"
        ),
    );
    write(
        root,
        "k8s/deploy.yaml",
        &format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers:\n    - name: a\n      image: a:latest\n      securityContext:\n        privileged: true\n      env:\n        - name: AWS_ACCESS_KEY_ID\n          value: {aws}\n        - name: SENDGRID_API_KEY\n          value: {sendgrid}\n"
        ),
    );
    write(
        root,
        "infra/main.tf",
        &format!(
            "provider \"stripe\" {{\n  api_key = \"{stripe}\"\n}}\nresource \"aws_db_instance\" \"d\" {{\n  password = \"{pw}\"\n}}\n"
        ),
    );
    write(
        root,
        "src/settings.py",
        &format!("admin_password = \"{pw}\"  # also {pw}\nSLACK = \"{slack}\"\n"),
    );
    // `sk_live_` is the provider's public prefix (the rule's docs name it): the key is the rest.
    let stripe_secret = stripe["sk_live_".len()..].to_string();
    // The public parts of a provider's format (prefixes, the Slack workspace/channel ids) are
    // not secret; the rest is.
    let gitlab_secret = gitlab["glpat-".len()..].to_string();
    let sendgrid_secret = sendgrid["SG.".len()..].to_string();
    vec![
        gh,
        aws,
        stripe_secret,
        db,
        pw,
        slack,
        jenkins_pw,
        aws_secret,
        slack_hook,
        gitlab_secret,
        sendgrid_secret,
    ]
}

/// Every 8-byte window of `secret` found in `text`, with where.
fn leaks(secrets: &[String], name: &str, text: &str, out: &mut Vec<String>) {
    for s in secrets {
        let b = s.as_bytes();
        for w in b.windows(8) {
            let w = String::from_utf8_lossy(w);
            if let Some(at) = text.find(w.as_ref()) {
                let ctx: String = text[at.saturating_sub(40)..].chars().take(100).collect();
                out.push(format!("{name}: `{w}` of a planted secret: …{ctx}…"));
                break;
            }
        }
    }
}

struct Outputs {
    dir: PathBuf,
    texts: Vec<(String, String)>,
}

impl Outputs {
    fn run(&mut self, name: &str, args: &[&str]) {
        let out = pipeguard()
            .current_dir(&self.dir)
            .args(args)
            .env("SOURCE_DATE_EPOCH", "1700000000")
            .output()
            .unwrap();
        let code = out.status.code().unwrap_or(-1);
        assert!(
            code <= 2,
            "{name}: exit {code}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.texts.push((
            format!("{name} (stdout)"),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        ));
        self.texts.push((
            format!("{name} (stderr)"),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ));
    }

    fn file(&mut self, rel: &str) {
        let text = fs::read_to_string(self.dir.join(rel))
            .unwrap_or_else(|e| panic!("{rel} was not written: {e}"));
        assert!(!text.is_empty(), "{rel} is empty");
        self.texts.push((rel.to_string(), text));
    }
}

#[test]
fn no_planted_secret_in_any_output_of_any_command() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    fs::create_dir_all(&repo).unwrap();
    write(&repo, "README.md", "app\n");
    write(
        &repo,
        ".github/workflows/deploy.yml",
        "on: push\npermissions: {}\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n",
    );
    sh(
        &repo,
        "git init -q -b main . && git add -A && git commit -qm base && git remote add origin 'https://ci:tok3nInUrlQuery@git.example.com/o/r.git?access_token=QueryTok3nValue'",
    );
    let mut secrets = plant(&repo);
    secrets.push("tok3nInUrlQuery".into());
    secrets.push("QueryTok3nValue".into());
    sh(&repo, "git add -A && git commit -qm secrets");

    let mut o = Outputs {
        dir: repo.clone(),
        texts: Vec::new(),
    };
    for f in ["text", "json", "sarif", "github", "junit", "markdown"] {
        o.run(&format!("scan --format {f}"), &["scan", ".", "--format", f]);
    }
    o.run(
        "scan --history",
        &["scan", ".", "--history", "--format", "json"],
    );
    o.run(
        "scan --only docker,github,jenkins",
        &[
            "scan",
            ".",
            "--only",
            "docker,github,jenkins,compose,kubernetes,terraform",
            "--format",
            "json",
        ],
    );
    o.run(
        "baseline",
        &["baseline", "--write", "../baseline.json", "."],
    );
    o.texts.push((
        "baseline.json".into(),
        fs::read_to_string(dir.path().join("baseline.json")).unwrap(),
    ));
    o.run("fingerprint", &["fingerprint", "."]);
    o.run(
        "fingerprint --write",
        &["fingerprint", ".", "--write", ".pipeguard/jobs.lock"],
    );
    o.file(".pipeguard/jobs.lock");
    // Today's jobs change (a new step), so drift prints diffs of the canonical forms.
    let wf = fs::read_to_string(repo.join(".github/workflows/deploy.yml")).unwrap();
    fs::write(
        repo.join(".github/workflows/deploy.yml"),
        format!("{wf}      - run: echo changed\n"),
    )
    .unwrap();
    let jf = fs::read_to_string(repo.join("Jenkinsfile")).unwrap();
    fs::write(
        repo.join("Jenkinsfile"),
        jf.replace("agent any", "agent { label 'x' }"),
    )
    .unwrap();
    for f in ["text", "json"] {
        o.run(
            &format!("drift --lock ({f})"),
            &["drift", ".", "--format", f],
        );
        o.run(
            &format!("drift --against main ({f})"),
            &["drift", ".", "--against", "main", "--format", f],
        );
    }
    o.run("keygen", &["keygen", "--out", "../k"]);
    o.run(
        "attest",
        &[
            "attest",
            ".",
            "--image-digest",
            &format!("sha256:{}", "a".repeat(64)),
            "--key",
            "../k",
            "--out",
            "../att.intoto.jsonl",
        ],
    );
    let att = fs::read_to_string(dir.path().join("att.intoto.jsonl")).unwrap();
    // The statement is base64 inside the envelope: decode it too.
    let env: serde_json::Value = serde_json::from_str(att.lines().next().unwrap()).unwrap();
    let payload = <base64::engine::GeneralPurpose as base64::Engine>::decode(
        &base64::engine::general_purpose::STANDARD,
        env["payload"].as_str().unwrap(),
    )
    .unwrap();
    o.texts.push(("attestation".into(), att.clone()));
    o.texts.push((
        "attestation statement".into(),
        String::from_utf8_lossy(&payload).into_owned(),
    ));

    // The scan must have found them (else "no leak" proves nothing).
    let json = &o
        .texts
        .iter()
        .find(|(n, _)| n == "scan --format json (stdout)")
        .unwrap()
        .1;
    for rule in [
        "secrets/github-token",
        "secrets/aws-access-key-id",
        "secrets/stripe-key",
        "secrets/slack-token",
        "secrets/aws-secret-access-key",
        "secrets/slack-webhook",
        "secrets/gitlab-token",
        "secrets/sendgrid-key",
    ] {
        assert!(json.contains(rule), "{rule} not found: {json}");
    }
    let mut found = Vec::new();
    for (name, text) in &o.texts {
        leaks(&secrets, name, text, &mut found);
    }
    assert!(found.is_empty(), "secrets leaked:\n{}", found.join("\n"));
}
