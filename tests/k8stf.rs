//! Kubernetes and Terraform analyzers beyond the per-rule fixtures: the configurable
//! sensitivity label, and Terraform references resolved across the files of a module.

use std::fs;

use crate::common::{finding_lines, scan};

fn hits(lines: &str, rule: &str) -> usize {
    lines.lines().filter(|l| l.contains(rule)).count()
}

const DEPLOY: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: ledger
spec:
  template:
    metadata:
      labels:
        data-class: secret
        sensitivity: restricted
    spec:
      nodeSelector:
        sensitivity: restricted
      containers:
        - name: app
          image: ghcr.io/acme/ledger:1.0.0
";

#[test]
fn sensitivity_label_key_is_configurable() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("deploy.yaml"), DEPLOY).unwrap();
    // Default key `sensitivity`: pinned by the nodeSelector.
    let lines = finding_lines(&scan(dir.path()));
    assert_eq!(
        hits(&lines, "kubernetes/sensitivity-unpinned"),
        0,
        "{lines}"
    );
    // Configured key `data-class`: nothing pins `secret`.
    fs::write(
        dir.path().join(".pipeguard.yml"),
        "kubernetes:\n  sensitivity_label: data-class\n",
    )
    .unwrap();
    let lines = finding_lines(&scan(dir.path()));
    assert_eq!(
        hits(&lines, "kubernetes/sensitivity-unpinned"),
        1,
        "{lines}"
    );
    assert!(lines.contains("deploy.yaml:9:"), "{lines}");
}

#[test]
fn terraform_references_cross_files_but_not_modules() {
    let dir = tempfile::tempdir().unwrap();
    let bucket = "resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"acme-b\"\n}\n";
    let pab = "resource \"aws_s3_bucket_public_access_block\" \"b\" {\n  bucket = aws_s3_bucket.b.id\n  block_public_acls = true\n  block_public_policy = true\n  ignore_public_acls = true\n  restrict_public_buckets = true\n}\n";
    fs::write(dir.path().join("bucket.tf"), bucket).unwrap();
    fs::write(dir.path().join("pab.tf"), pab).unwrap();
    // The same bucket in another module directory has no block of its own.
    fs::create_dir(dir.path().join("other")).unwrap();
    fs::write(dir.path().join("other/bucket.tf"), bucket).unwrap();
    let lines = finding_lines(&scan(dir.path()));
    let pab_lines: Vec<&str> = lines
        .lines()
        .filter(|l| l.contains("terraform/s3-no-public-access-block"))
        .collect();
    assert_eq!(pab_lines.len(), 1, "{lines}");
    assert!(pab_lines[0].starts_with("other/bucket.tf:1:"), "{lines}");
}

#[test]
fn helm_template_is_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    // `{{` outside comments keeps a Helm template out of the family; a manifest that is broken
    // YAML is a parse finding, not a crash.
    fs::write(
        dir.path().join("tpl.yaml"),
        "apiVersion: v1\nkind: ConfigMap\ndata: {{ .Values.x }}\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("broken.yaml"),
        "apiVersion: v1\nkind: Pod\nspec:\n  containers: [\n",
    )
    .unwrap();
    let lines = finding_lines(&scan(dir.path()));
    assert!(!lines.contains("tpl.yaml"), "{lines}");
    assert!(
        lines.contains("broken.yaml:") && lines.contains("kubernetes/parse-error"),
        "{lines}"
    );
}
