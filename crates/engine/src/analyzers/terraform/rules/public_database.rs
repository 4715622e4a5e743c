//! `terraform/public-database`: a database reachable from the internet — RDS / Neptune / Redshift
//! `publicly_accessible = true`, or a Cloud SQL instance authorising 0.0.0.0/0.

use super::finding;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::terraform::model::Module;
use crate::analyzers::{Output, ScanContext};
use crate::rules::RuleId;

declare_rule!(RuleId::TerraformPublicDatabase, check);

pub fn check(m: &Module, _cx: &ScanContext<'_>, out: &mut Output) {
    for kind in [
        "aws_db_instance",
        "aws_rds_cluster_instance",
        "aws_neptune_cluster_instance",
        "aws_redshift_cluster",
        "aws_dms_replication_instance",
    ] {
        for b in m.resources(kind) {
            if let Some(a) = b.attr("publicly_accessible")
                && a.value.as_bool() == Some(true)
            {
                out.push(finding(
                    m,
                    b,
                    ID,
                    a.span(),
                    format!("`{}` is publicly accessible from the internet", b.address()),
                    "publicly_accessible",
                ));
            }
        }
    }
    for b in m.resources("google_sql_database_instance") {
        let nets = b
            .block("settings")
            .and_then(|s| s.block("ip_configuration"))
            .into_iter()
            .flat_map(|ip| ip.blocks("authorized_networks"));
        for n in nets {
            if let Some(a) = n.attr("value")
                && a.value.text().is_some_and(|v| v.trim() == "0.0.0.0/0")
            {
                out.push(finding(
                    m,
                    b,
                    ID,
                    a.span(),
                    format!("`{}` authorises connections from 0.0.0.0/0", b.address()),
                    "authorized 0.0.0.0/0",
                ));
            }
        }
    }
}
