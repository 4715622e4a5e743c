//! What a shell command does, as far as CI security is concerned: scan an image, build or push
//! one, deploy, run code from the repository (build tools, test runners, local scripts), or
//! execute something downloaded. Shared by the GitHub, Jenkins, Dockerfile and drift analyses so
//! that "is this a push?" has one answer.

use super::{Command, Script, basename};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// Vulnerability scan of a container image (trivy image, grype, snyk container, docker scout…).
    ImageScan,
    /// Builds an image (docker build, buildah, kaniko…).
    ImageBuild,
    /// Pushes an image to a registry (docker push, buildx --push, crane, ko, skopeo…).
    ImagePush,
    /// Changes a running environment (kubectl apply, helm upgrade, terraform apply, cloud deploys…).
    Deploy,
    /// Runs code from the checked-out repository (npm/yarn/pip/make/cargo/go/gradle/mvn, docker
    /// build, test runners, `./script.sh`).
    RunsRepoCode,
    /// Pipes a download into an interpreter (`curl … | sh`).
    DownloadExec,
}

/// One recognised action in a script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Action {
    pub kind: Kind,
    /// Short description of the tool, e.g. `docker push`, `kubectl apply`.
    pub tool: String,
    /// Index into `Script::commands`.
    pub command: usize,
}

/// Every action of every command in the script, in order.
pub fn classify(script: &Script) -> Vec<Action> {
    let mut out = Vec::new();
    for (i, cmd) in script.commands.iter().enumerate() {
        for (kind, tool) in classify_command(cmd) {
            out.push(Action {
                kind,
                tool,
                command: i,
            });
        }
        if let Some(tool) = download_exec(script, cmd) {
            out.push(Action {
                kind: Kind::DownloadExec,
                tool,
                command: i,
            });
        }
    }
    out
}

/// Global options that take a separate value and may come before a subcommand
/// (`kubectl -n prod apply`, `docker --context x push`, `make -C dir`).
const VALUE_FLAGS: &[&str] = &[
    "-n",
    "--namespace",
    "--context",
    "--kube-context",
    "--kubeconfig",
    "--cluster",
    "--user",
    "-s",
    "--server",
    "-H",
    "--host",
    "--config",
    "-c",
    "-C",
    "--region",
    "--profile",
    "--project",
    "--subscription",
    "-f",
    "--file",
    "-p",
    "--project-name",
    "--log-level",
    "--env-file",
];

/// The n-th operand, skipping the values of common value-taking options.
fn sub(cmd: &Command, n: usize) -> Option<&str> {
    let mut skip_next = false;
    cmd.args()
        .iter()
        .filter(|w| {
            if skip_next {
                skip_next = false;
                return false;
            }
            if VALUE_FLAGS.contains(&w.text.as_str()) {
                skip_next = true;
                return false;
            }
            !w.text.starts_with('-')
        })
        .nth(n)
        .map(|w| w.text.as_str())
}

fn any_operand(cmd: &Command, pred: impl Fn(&str) -> bool) -> bool {
    cmd.operands().any(|w| pred(&w.text))
}

/// Actions of one command (several are possible: `docker buildx build --push` builds and pushes).
pub fn classify_command(cmd: &Command) -> Vec<(Kind, String)> {
    let Some(prog) = cmd.program() else {
        return Vec::new();
    };
    let prog = prog.to_ascii_lowercase();
    let s0 = sub(cmd, 0).unwrap_or_default();
    let s1 = sub(cmd, 1).unwrap_or_default();
    let mut out: Vec<(Kind, String)> = Vec::new();
    let mut add = |k: Kind, t: &str| out.push((k, t.to_string()));

    match prog.as_str() {
        // --- image scanners
        "trivy" if matches!(s0, "image" | "i") => add(Kind::ImageScan, "trivy image"),
        "grype" if s0 != "db" && !s0.is_empty() => add(Kind::ImageScan, "grype"),
        "snyk" if s0 == "container" && matches!(s1, "test" | "monitor") => {
            add(Kind::ImageScan, "snyk container");
        }
        "anchorectl" | "anchore-cli" if s0 == "image" => add(Kind::ImageScan, &prog),
        "clair-scanner" | "clairctl" | "dockle" => add(Kind::ImageScan, &prog),
        "twistcli" if s0 == "images" => add(Kind::ImageScan, "twistcli images"),
        "wizcli" | "wiz-cli" if s0 == "docker" => add(Kind::ImageScan, "wizcli docker scan"),
        "jf" | "jfrog"
            if any_operand(cmd, |w| w == "scan") && any_operand(cmd, |w| w == "docker") =>
        {
            add(Kind::ImageScan, "jfrog docker scan");
        }
        "pipeguard" if matches!(s0, "scan" | "attest") => add(Kind::ImageScan, "pipeguard"),

        // --- docker and friends
        "docker" | "podman" | "nerdctl" => {
            let tool = prog.as_str();
            // `docker image build|push`, `docker buildx build`, `docker compose …`
            let verb = match s0 {
                "image" | "buildx" | "builder" => s1,
                _ => s0,
            };
            match (s0, verb) {
                ("scout", _)
                    if matches!(
                        s1,
                        "cves" | "quickview" | "recommendations" | "compare" | "cves-only"
                    ) =>
                {
                    add(Kind::ImageScan, "docker scout");
                }
                ("scan", _) => add(Kind::ImageScan, "docker scan"),
                ("compose" | "stack", _) => {
                    let v = sub(cmd, 1).unwrap_or_default();
                    match v {
                        "push" => add(Kind::ImagePush, &format!("{tool} compose push")),
                        "build" => {
                            add(Kind::ImageBuild, &format!("{tool} compose build"));
                            add(Kind::RunsRepoCode, &format!("{tool} compose build"));
                        }
                        "up" | "run" | "create" => {
                            add(Kind::RunsRepoCode, &format!("{tool} compose {v}"));
                        }
                        "deploy" => add(Kind::Deploy, &format!("{tool} stack deploy")),
                        _ => {}
                    }
                }
                (_, "build" | "bake") => {
                    add(Kind::ImageBuild, &format!("{tool} build"));
                    add(Kind::RunsRepoCode, &format!("{tool} build"));
                    let pushes = cmd.has_flag(None, Some("push"))
                        || cmd.flag_value(Some('o'), Some("output")).is_some_and(|w| {
                            w.text.contains("type=registry") || w.text.contains("push=true")
                        });
                    if pushes {
                        add(Kind::ImagePush, &format!("{tool} build --push"));
                    }
                }
                (_, "push") => add(Kind::ImagePush, &format!("{tool} push")),
                _ => {}
            }
        }
        "buildah" => match s0 {
            "bud" | "build" => {
                add(Kind::ImageBuild, "buildah build");
                add(Kind::RunsRepoCode, "buildah build");
            }
            "push" => add(Kind::ImagePush, "buildah push"),
            _ => {}
        },
        "executor" | "kaniko" => {
            add(Kind::ImageBuild, "kaniko");
            add(Kind::RunsRepoCode, "kaniko");
            if !cmd.has_flag(None, Some("no-push")) {
                add(Kind::ImagePush, "kaniko");
            }
        }
        "crane" | "gcrane"
            if matches!(
                s0,
                "push" | "copy" | "cp" | "append" | "mutate" | "tag" | "rebase"
            ) =>
        {
            add(Kind::ImagePush, &format!("crane {s0}"));
        }
        "skopeo" if matches!(s0, "copy" | "sync") => {
            let dest = cmd
                .operands()
                .last()
                .map(|w| w.text.as_str())
                .unwrap_or_default();
            if dest.starts_with("docker://") || s0 == "sync" {
                add(Kind::ImagePush, &format!("skopeo {s0}"));
            }
        }
        "ko" if matches!(s0, "build" | "publish" | "apply" | "resolve" | "create") => {
            add(Kind::ImageBuild, "ko");
            let local = cmd.has_flag(Some('L'), Some("local"))
                || cmd
                    .flag_value(None, Some("push"))
                    .is_some_and(|w| w.text.ends_with("=false"));
            if !local {
                add(Kind::ImagePush, &format!("ko {s0}"));
            }
            if s0 == "apply" || s0 == "create" {
                add(Kind::Deploy, &format!("ko {s0}"));
            }
        }
        "oras" if s0 == "push" => add(Kind::ImagePush, "oras push"),

        // --- deployments
        // Not `delete` (tearing down a test namespace) nor `start-build` (an image build in the
        // cluster): neither puts new code into a running environment.
        "kubectl" | "oc" => {
            if matches!(
                s0,
                "apply"
                    | "create"
                    | "replace"
                    | "set"
                    | "rollout"
                    | "patch"
                    | "scale"
                    | "run"
                    | "expose"
                    | "new-app"
            ) {
                add(Kind::Deploy, &format!("{prog} {s0}"));
            }
        }
        "helm"
            if matches!(
                s0,
                "install" | "upgrade" | "rollback" | "uninstall" | "delete"
            ) =>
        {
            add(Kind::Deploy, &format!("helm {s0}"));
        }
        "helmfile" if matches!(s0, "apply" | "sync" | "deploy") => {
            add(Kind::Deploy, &format!("helmfile {s0}"));
        }
        "terraform" | "tofu" | "terragrunt"
            if any_operand(cmd, |w| matches!(w, "apply" | "destroy" | "run-all")) =>
        {
            add(Kind::Deploy, &format!("{prog} apply"));
        }
        "pulumi" if matches!(s0, "up" | "update" | "destroy") => {
            add(Kind::Deploy, &format!("pulumi {s0}"));
        }
        "cdk" if s0 == "deploy" => add(Kind::Deploy, "cdk deploy"),
        "serverless" | "sls" if s0 == "deploy" => add(Kind::Deploy, "serverless deploy"),
        "aws" => {
            let deploy = match s0 {
                "ecs" => matches!(
                    s1,
                    "update-service"
                        | "deploy"
                        | "run-task"
                        | "register-task-definition"
                        | "create-service"
                ),
                "eks" => matches!(
                    s1,
                    "update-cluster-config"
                        | "update-nodegroup-config"
                        | "create-addon"
                        | "update-addon"
                ),
                "lambda" => matches!(
                    s1,
                    "update-function-code"
                        | "update-function-configuration"
                        | "publish-version"
                        | "create-function"
                        | "update-alias"
                ),
                "cloudformation" => matches!(
                    s1,
                    "deploy" | "create-stack" | "update-stack" | "execute-change-set"
                ),
                "deploy" => s1 == "create-deployment",
                "apprunner" => matches!(s1, "start-deployment" | "update-service"),
                "elasticbeanstalk" => {
                    matches!(s1, "update-environment" | "create-application-version")
                }
                _ => false,
            };
            if deploy {
                add(Kind::Deploy, &format!("aws {s0} {s1}"));
            }
        }
        "az" => {
            let deploy = match s0 {
                "webapp" | "functionapp" => matches!(s1, "deploy" | "up" | "deployment" | "config"),
                "containerapp" => matches!(s1, "update" | "up" | "create"),
                "deployment" => true,
                "aks" => s1 == "command",
                "acr" => s1 == "build",
                _ => false,
            };
            if deploy {
                add(Kind::Deploy, &format!("az {s0} {s1}"));
            }
        }
        "gcloud" => {
            let words: Vec<&str> = cmd.operands().map(|w| w.text.as_str()).collect();
            let has = |a: &str, b: &str| words.windows(2).any(|p| p[0] == a && p[1] == b);
            if has("run", "deploy")
                || has("app", "deploy")
                || has("functions", "deploy")
                || has("releases", "create")
                || has("instances", "update-container")
                || (words.contains(&"services") && words.contains(&"update"))
            {
                add(Kind::Deploy, "gcloud deploy");
            }
        }
        "argocd" if s0 == "app" && matches!(s1, "sync" | "set" | "create") => {
            add(Kind::Deploy, "argocd app sync");
        }
        "flux" if matches!(s0, "reconcile" | "create") => add(Kind::Deploy, &format!("flux {s0}")),
        "skaffold" if matches!(s0, "run" | "deploy" | "apply") => {
            add(Kind::Deploy, &format!("skaffold {s0}"));
        }
        "heroku" if s0.starts_with("container:release") || s0 == "releases:rollback" => {
            add(Kind::Deploy, "heroku release");
        }
        "flyctl" | "fly" if s0 == "deploy" => add(Kind::Deploy, "fly deploy"),
        "vercel" if cmd.has_flag(None, Some("prod")) => add(Kind::Deploy, "vercel --prod"),
        "netlify" if s0 == "deploy" => add(Kind::Deploy, "netlify deploy"),
        "eb" if s0 == "deploy" => add(Kind::Deploy, "eb deploy"),
        "kamal" if matches!(s0, "deploy" | "redeploy" | "rollback") => {
            add(Kind::Deploy, &format!("kamal {s0}"));
        }
        "ansible-playbook" => add(Kind::Deploy, "ansible-playbook"),

        // --- build tools and runners that execute repository code
        "npm" | "pnpm" | "bun"
            if !matches!(
                s0,
                "" | "view"
                    | "info"
                    | "whoami"
                    | "config"
                    | "help"
                    | "version"
                    | "login"
                    | "logout"
                    | "token"
                    | "cache"
                    | "search"
                    | "outdated"
            ) =>
        {
            add(Kind::RunsRepoCode, &format!("{prog} {s0}"));
        }
        "yarn"
            if !matches!(
                s0,
                "config" | "info" | "help" | "version" | "login" | "logout" | "cache"
            ) =>
        {
            add(Kind::RunsRepoCode, "yarn");
        }
        "npx" | "pnpx" | "bunx" => add(Kind::RunsRepoCode, &prog),
        "pip" | "pip3" | "uv" | "pipx"
            if s0 == "install"
                || (prog == "uv" && matches!(s0, "sync" | "run" | "build" | "pip")) =>
        {
            add(Kind::RunsRepoCode, &format!("{prog} {s0}"));
        }
        "poetry" | "pipenv" | "pdm" | "hatch"
            if matches!(s0, "install" | "run" | "build" | "sync") =>
        {
            add(Kind::RunsRepoCode, &format!("{prog} {s0}"));
        }
        "tox" | "nox" | "pytest" | "py.test" | "make" | "gmake" | "cmake" | "ninja" | "meson"
        | "bazel" | "bazelisk" | "buck" | "buck2" | "ant" | "sbt" | "lein" | "msbuild" | "rake"
        | "rails" | "jest" | "vitest" | "mocha" | "cypress" | "webpack" | "vite" | "tsx"
        | "pre-commit" | "just" | "task" | "mage" | "scons" | "gulp" | "grunt" | "nx" | "turbo"
        | "lerna" => {
            add(Kind::RunsRepoCode, &prog);
        }
        "cargo"
            if matches!(
                s0,
                "build"
                    | "b"
                    | "test"
                    | "t"
                    | "run"
                    | "r"
                    | "check"
                    | "c"
                    | "clippy"
                    | "bench"
                    | "install"
                    | "doc"
                    | "nextest"
                    | "xtask"
                    | "make"
            ) =>
        {
            add(Kind::RunsRepoCode, &format!("cargo {s0}"));
        }
        "go" if matches!(
            s0,
            "build" | "test" | "run" | "generate" | "install" | "vet"
        ) =>
        {
            add(Kind::RunsRepoCode, &format!("go {s0}"));
        }
        "gradle" | "gradlew" | "mvn" | "mvnw" => {
            add(Kind::RunsRepoCode, basename(&prog));
            if any_operand(cmd, |w| w.contains("jib:build") || w == "jib") {
                add(Kind::ImagePush, "jib");
            }
            if any_operand(cmd, |w| {
                w.contains("dockerPush") || w.contains("docker:push") || w == "publishImage"
            }) {
                add(Kind::ImagePush, &format!("{prog} docker push"));
            }
        }
        "dotnet"
            if matches!(
                s0,
                "build" | "test" | "run" | "restore" | "publish" | "pack"
            ) =>
        {
            add(Kind::RunsRepoCode, &format!("dotnet {s0}"));
        }
        "bundle" if matches!(s0, "install" | "exec") => {
            add(Kind::RunsRepoCode, &format!("bundle {s0}"));
        }
        "composer" if matches!(s0, "install" | "update" | "run" | "run-script") => {
            add(Kind::RunsRepoCode, &format!("composer {s0}"));
        }
        "mix" | "deno" | "swift" | "zig" if !s0.is_empty() => add(Kind::RunsRepoCode, &prog),
        "python" | "python3" | "node" | "ruby" | "perl" | "php" | "bash" | "sh" | "zsh"
        | "pwsh" | "source" | "." => {
            if let Some(script) = cmd.operands().next()
                && is_repo_path(&script.text)
                && !(prog.starts_with("python") && script.text == "-m")
            {
                add(Kind::RunsRepoCode, &format!("{prog} {}", script.text));
            } else if prog.starts_with("python")
                && cmd.flag_value(Some('m'), None).is_some_and(|m| {
                    matches!(
                        m.text.as_str(),
                        "pytest" | "build" | "pip" | "tox" | "nox" | "setup"
                    )
                })
            {
                add(Kind::RunsRepoCode, &format!("{prog} -m"));
            }
        }
        _ => {
            // `./build.sh`, `scripts/release`, `gradlew` via path.
            let name = cmd
                .effective()
                .first()
                .map(|w| w.text.as_str())
                .unwrap_or_default();
            if is_repo_path(name) && name.contains('/') {
                add(Kind::RunsRepoCode, name);
            }
        }
    }
    out
}

/// A relative path (a script in the checkout), not an absolute one or a variable.
fn is_repo_path(p: &str) -> bool {
    !p.is_empty()
        && !p.starts_with('/')
        && !p.starts_with('-')
        && !p.starts_with('$')
        && !p.starts_with('~')
        && (p.contains('/') || p.contains('.'))
        && !p.contains("://")
}

const INTERPRETERS: &[&str] = &[
    "sh", "bash", "zsh", "dash", "ksh", "python", "python3", "perl", "ruby", "node", "php", "pwsh",
    "iex",
];

/// `curl … | sh`, `wget -O- … | sudo bash`, `sh -c "$(curl …)"`, `bash <(curl …)`.
fn download_exec(script: &Script, cmd: &Command) -> Option<String> {
    let name = cmd.program()?;
    if matches!(
        name,
        "curl" | "wget" | "fetch" | "iwr" | "Invoke-WebRequest"
    ) && !cmd.in_substitution
    {
        let next = script.piped_into(cmd)?;
        let interp = next.program()?;
        if INTERPRETERS.contains(&interp) {
            return Some(format!("{name} | {interp}"));
        }
        return None;
    }
    if INTERPRETERS.contains(&name) {
        let fetches = cmd.args().iter().any(|w| {
            w.expansions.iter().any(|e| {
                let t = &w.text;
                e.variable.is_none()
                    && (t.contains("$(curl")
                        || t.contains("$(wget")
                        || t.contains("<(curl")
                        || t.contains("<(wget")
                        || t.contains("`curl")
                        || t.contains("`wget"))
            }) || w.text.starts_with("<(curl")
                || w.text.starts_with("<(wget")
        });
        if fetches {
            return Some(format!("{name} with a downloaded script"));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;

    fn kinds(src: &str) -> Vec<(Kind, String)> {
        classify(&parse(src))
            .into_iter()
            .map(|a| (a.kind, a.tool))
            .collect()
    }

    fn has(src: &str, k: Kind) -> bool {
        kinds(src).iter().any(|(kk, _)| *kk == k)
    }

    #[test]
    fn pushes() {
        for s in [
            "docker push ghcr.io/o/app:1",
            "docker image push app",
            "docker buildx build --push -t x .",
            "docker build -t x --output type=registry .",
            "podman push x",
            "crane copy a b",
            "skopeo copy oci:dir docker://reg/x",
            "ko build ./cmd/app",
            "/kaniko/executor --destination reg/x",
            "sudo docker push x",
            "./mvnw compile jib:build",
        ] {
            assert!(has(s, Kind::ImagePush), "{s}");
        }
        for s in [
            "docker build -t x .",
            "ko build --local ./cmd",
            "skopeo copy docker://a oci:dir",
            "kaniko --no-push",
            "docker pull x",
        ] {
            assert!(!has(s, Kind::ImagePush), "{s}");
        }
    }

    #[test]
    fn scans() {
        for s in [
            "trivy image --exit-code 1 app:1",
            "grype app:1",
            "snyk container test app",
            "docker scout cves app",
            "pipeguard scan .",
        ] {
            assert!(has(s, Kind::ImageScan), "{s}");
        }
        for s in ["trivy fs .", "grype db update", "snyk test"] {
            assert!(!has(s, Kind::ImageScan), "{s}");
        }
    }

    #[test]
    fn deploys() {
        for s in [
            "kubectl apply -f k8s/",
            "kubectl -n prod set image deploy/app app=x",
            "helm upgrade --install app chart/",
            "aws ecs update-service --cluster c --service s",
            "aws lambda update-function-code --function-name f",
            "az webapp deploy --name x",
            "gcloud run deploy app --image x",
            "terraform -chdir=infra apply -auto-approve",
            "pulumi up --yes",
        ] {
            assert!(has(s, Kind::Deploy), "{s}");
        }
        for s in [
            "kubectl get pods",
            "helm template x",
            "terraform plan",
            "aws s3 ls",
            "aws eks update-kubeconfig --name x",
            "kubectl delete pvc -n $NS --all || true",
            "oc start-build app-release -n ci",
        ] {
            assert!(!has(s, Kind::Deploy), "{s}");
        }
    }

    #[test]
    fn repo_code() {
        for s in [
            "npm ci",
            "yarn install --frozen-lockfile",
            "pip install -e .",
            "make test",
            "cargo test",
            "go generate ./...",
            "./gradlew build",
            "mvn -B verify",
            "./scripts/build.sh",
            "bash ci/run.sh",
            "python setup.py install",
            "python -m pytest",
            "docker build .",
        ] {
            assert!(has(s, Kind::RunsRepoCode), "{s}");
        }
        for s in [
            "echo hi",
            "npm whoami",
            "python -c 'print(1)'",
            "bash -c 'echo x'",
            "/usr/local/bin/tool",
        ] {
            assert!(!has(s, Kind::RunsRepoCode), "{s}");
        }
    }

    #[test]
    fn download_and_execute() {
        for s in [
            "curl -fsSL https://get.x.io | sh",
            "wget -qO- https://x | sudo bash -s",
            "sh -c \"$(curl -fsSL https://x)\"",
            "bash <(curl -s https://x)",
        ] {
            assert!(has(s, Kind::DownloadExec), "{s}");
        }
        for s in [
            "curl -fsSLo x.sh https://x && sha256sum -c x.sha && sh x.sh",
            "curl https://x | tar xz",
        ] {
            assert!(!has(s, Kind::DownloadExec), "{s}");
        }
    }
}
