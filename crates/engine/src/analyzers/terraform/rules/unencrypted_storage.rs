//! `terraform/unencrypted-storage`: RDS instances and clusters without `storage_encrypted`,
//! EBS volumes without `encrypted`, EFS file systems without `encrypted` (all default to off).
//! Aurora Serverless v1 (`engine_mode = "serverless"`) is always encrypted; a database given a
//! `kms_key_id` is encrypted with it (the provider refuses a cluster's key without
//! `storage_encrypted`), so neither is reported.

use super::{at_attr_or_head, finding};
use crate::analyzers::rule::declare_rule;
use crate::analyzers::terraform::model::{Expr, Module};
use crate::analyzers::{Output, ScanContext};
use crate::rules::RuleId;

declare_rule!(RuleId::TerraformUnencryptedStorage, check);

const CHECKS: &[(&str, &str, &str)] = &[
    ("aws_db_instance", "storage_encrypted", "RDS instance"),
    ("aws_rds_cluster", "storage_encrypted", "RDS cluster"),
    (
        "aws_docdb_cluster",
        "storage_encrypted",
        "DocumentDB cluster",
    ),
    (
        "aws_neptune_cluster",
        "storage_encrypted",
        "Neptune cluster",
    ),
    ("aws_ebs_volume", "encrypted", "EBS volume"),
    ("aws_efs_file_system", "encrypted", "EFS file system"),
];

pub fn check(m: &Module, _cx: &ScanContext<'_>, out: &mut Output) {
    for (kind, key, what) in CHECKS {
        for b in m.resources(kind) {
            // A replica or a snapshot restore inherits encryption from its source.
            if b.value("replicate_source_db").is_some() || b.value("snapshot_identifier").is_some()
            {
                continue;
            }
            if *key == "storage_encrypted"
                && (b
                    .value("kms_key_id")
                    .is_some_and(|k| k.as_str().is_none_or(|k| !k.trim().is_empty()))
                    || b.value("engine_mode").and_then(Expr::as_str) == Some("serverless"))
            {
                continue;
            }
            let v = b.value(key);
            if v.is_some_and(|v| !v.is_literal()) || v.and_then(Expr::as_bool) == Some(true) {
                continue;
            }
            out.push(finding(
                m,
                b,
                ID,
                at_attr_or_head(b, key),
                format!(
                    "{what} `{}` is not encrypted at rest (`{key}` is not true)",
                    b.address()
                ),
                key,
            ));
        }
    }
}
