//! What well-known actions do to images and environments: one catalogue for the rules
//! (`push-without-scan`, `ci-deploys`) and for drift's job profiles (scan removed, push added,
//! deploy added), so that both read a workflow the same way.

/// Container image vulnerability scanners (pipeguard's own actions count too).
const IMAGE_SCANNERS: &[&str] = &[
    "aquasecurity/trivy-action",
    "anchore/scan-action",
    "snyk/actions/docker",
    "docker/scout-action",
    "crazy-max/ghaction-container-scan",
    "azure/container-scan",
    "sysdiglabs/scan-action",
    "lacework/lw-scanner-action",
    "neuvector/scan-action",
    "wiz-sec/wizcli-action",
];

/// Actions that push the image they build when their `push` input is on.
const PUSH_INPUT: &[&str] = &[
    "docker/build-push-action",
    "docker/bake-action",
    "int128/kaniko-action",
];

/// Actions that always push.
const ALWAYS_PUSH: &[&str] = &[
    "redhat-actions/push-to-registry",
    "mr-smithers-excellent/docker-build-push",
    "elgohr/publish-docker-github-action",
    "aevea/action-kaniko",
];

/// Actions that change a running environment (clusters, functions, VMs, PaaS apps).
const DEPLOYERS: &[&str] = &[
    "azure/webapps-deploy",
    "azure/k8s-deploy",
    "azure/functions-action",
    "azure/arm-deploy",
    "azure/aks-set-context",
    "aws-actions/amazon-ecs-deploy-task-definition",
    "aws-actions/aws-cloudformation-github-deploy",
    "google-github-actions/deploy-cloudrun",
    "google-github-actions/deploy-appengine",
    "google-github-actions/deploy-cloud-functions",
    "cloudflare/wrangler-action",
    "amondnet/vercel-action",
    "akhileshns/heroku-deploy",
    "deliverybot/helm",
    "wahyd4/kubectl-helm-action",
    "steebchen/kubectl",
    "appleboy/ssh-action",
    "appleboy/scp-action",
    "superfly/flyctl-actions",
    "hashicorp/terraform-github-actions",
    "dflook/terraform-apply",
    "pulumi/actions",
];

/// Actions that publish a static site: a deployment, but not of a running service.
const SITE_PUBLISHERS: &[&str] = &[
    "actions/deploy-pages",
    "peaceiris/actions-gh-pages",
    "jamesives/github-pages-deploy-action",
    "cloudflare/pages-action",
    "azure/static-web-apps-deploy",
];

/// `owner/repo[/path]` of a `uses:` reference, lower-cased, without its `@ref`.
pub fn name(uses: &str) -> String {
    uses.split('@').next().unwrap_or(uses).to_ascii_lowercase()
}

/// Whether an input value switches a boolean input on: `true`, or an expression that may be.
pub fn input_on(value: &str) -> bool {
    let v = value.trim();
    !v.is_empty() && v != "false"
}

/// The action scans a container image. `input` reads the step's `with:` values.
pub fn scans_images(name: &str, input: impl Fn(&str) -> Option<String>) -> bool {
    if name.starts_with("pipeguard/") {
        return true;
    }
    if name == "aquasecurity/trivy-action" {
        // trivy also scans file systems and repositories; only an image scan counts.
        return input("scan-type").is_none_or(|v| matches!(v.trim(), "" | "image"));
    }
    IMAGE_SCANNERS.contains(&name)
}

/// The action pushes a container image.
pub fn pushes_images(name: &str, input: impl Fn(&str) -> Option<String>) -> bool {
    if PUSH_INPUT.contains(&name) {
        return input("push").is_some_and(|v| input_on(&v));
    }
    ALWAYS_PUSH.contains(&name)
}

/// The action changes a running environment.
pub fn deploys(name: &str) -> bool {
    DEPLOYERS.contains(&name)
}

/// The action publishes a static site.
pub fn publishes_site(name: &str) -> bool {
    SITE_PUBLISHERS.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue() {
        let none = |_: &str| None;
        assert_eq!(
            name("Docker/Build-Push-Action@v6"),
            "docker/build-push-action"
        );
        assert!(scans_images("pipeguard/pipeguard", none));
        assert!(scans_images("aquasecurity/trivy-action", none));
        assert!(!scans_images("aquasecurity/trivy-action", |_| Some(
            "fs".into()
        )));
        assert!(!pushes_images("docker/build-push-action", none));
        assert!(pushes_images("docker/build-push-action", |_| Some(
            "true".into()
        )));
        assert!(pushes_images("docker/build-push-action", |_| {
            Some("${{ github.event_name != 'pull_request' }}".into())
        }));
        assert!(!pushes_images("docker/build-push-action", |_| Some(
            "false".into()
        )));
        assert!(pushes_images("redhat-actions/push-to-registry", none));
        assert!(deploys("azure/k8s-deploy") && !deploys("actions/deploy-pages"));
        assert!(publishes_site("actions/deploy-pages"));
    }
}
