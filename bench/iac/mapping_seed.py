#!/usr/bin/env python3
"""Build bench/iac/labelled-mapping.csv: which pipeguard rule, checkov check, hadolint code and
trivy check correspond to each KICS query / trivy check / hadolint rule, and, for KICS
Kubernetes and Terraform AWS queries without a pipeguard rule, the rule proposed for it.

Usage: bench/iac/mapping_seed.py FIXTURES OUT_OF_A_LABELLED_RUN CHECKOV_LIST > labelled-mapping.csv
  FIXTURES        as for labelled.sh
  OUT             a labelled.sh output directory with checkov's reports (ck/) — used only to
                  *confirm* a name match (see below), never to pick a check by its results alone
  CHECKOV_LIST    `checkov -l --framework kubernetes terraform dockerfile secrets` (its table)

Where the columns come from (column `basis`):
  pipeguard, hadolint, proposed rules: written by hand below (PG_*, HADOLINT_*, PROPOSE_*).
  checkov for Dockerfile, and for every query mapped to pipeguard: by hand (CK_MANUAL).
  checkov otherwise ("auto"): a checkov check whose entity is one of the resource types / kinds of
    the query's positive fixtures and whose title shares enough words with the query's name
    (score >= 0.34); when several qualify, the best one, plus any other that also fails on the
    query's positive cases and passes its negatives. Auto rows are a starting point: review them
    before you rely on checkov's per-query numbers (the report prints hand and auto separately).
  trivy: same word match against trivy-checks titles of the same provider ("auto").
  reads: the resource types of the positive fixtures and the attribute on each expected line
    (what the rule has to read), taken from the fixtures; not KICS text.
The CSV is the data the benchmark uses; rerun this after a KICS update and review the diff.
"""

import csv
import json
import os
import re
import sys
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import labelled  # noqa: E402

# ----------------------------------------------------------------------------- by hand
# KICS query directory name -> pipeguard rules that implement the same check
PG_KICS = {
    "kubernetes": {
        "container_is_privileged": "kubernetes/privileged",
        "privilege_escalation_allowed": "kubernetes/privilege-escalation",
        "containers_running_as_root": "kubernetes/run-as-root",
        "shared_host_ipc_namespace": "kubernetes/host-namespace~hostIPC",
        "shared_host_network_namespace": "kubernetes/host-namespace~hostNetwork",
        "shared_host_pid_namespace": "kubernetes/host-namespace~hostPID",
        "docker_daemon_socket_is_exposed_to_containers": "kubernetes/docker-socket",
        "containers_with_sys_admin_capabilities": "kubernetes/dangerous-capabilities",
        "containers_with_added_capabilities": "kubernetes/dangerous-capabilities",
        "root_container_not_mounted_as_read_only": "kubernetes/writable-root-fs",
        "cpu_limits_not_set": "kubernetes/no-resource-limits~has.no.cpu",
        "memory_limits_not_defined": "kubernetes/no-resource-limits~(has.no.memory|cpu.or.memory)",
        "invalid_image": "kubernetes/unpinned-image",
        "service_account_token_automount_not_disabled": "kubernetes/default-service-account-token",
        "workload_mounting_with_sensitive_os_directory": "kubernetes/sensitive-host-path",
        "volume_mount_with_os_directory_write_permissions": "kubernetes/sensitive-host-path",
        "object_is_using_a_deprecated_api_version": "kubernetes/removed-api-version",
        "pod_or_container_without_limit_range": "kubernetes/no-namespace-limits~LimitRange",
        "pod_or_container_without_resource_quota": "kubernetes/no-namespace-limits~ResourceQuota",
        "cni_plugin_does_not_support_network_policies": "kubernetes/cni-without-network-policy",
        # issue 21: the new Kubernetes rules (message filters name the flag or permission)
        "always_admit_admission_control_plugin_set": "kubernetes/control-plane-insecure-flag~AlwaysAdmit",
        "always_pull_images_admission_control_plugin_not_set": "kubernetes/control-plane-insecure-flag~AlwaysPullImages",
        "anonymous_auth_is_not_set_to_false": "kubernetes/control-plane-insecure-flag~anonymous-auth kubernetes/kubelet-insecure-config~anonymous-auth",
        "audit_log_maxage_not_properly_set": "kubernetes/control-plane-insecure-flag~audit-log-maxage",
        "audit_log_maxbackup_not_properly_set": "kubernetes/control-plane-insecure-flag~audit-log-maxbackup",
        "audit_log_maxsize_not_properly_set": "kubernetes/control-plane-insecure-flag~audit-log-maxsize",
        "audit_log_path_not_set": "kubernetes/control-plane-insecure-flag~audit-log-path",
        "audit_policy_file_not_defined": "kubernetes/control-plane-insecure-flag~audit-policy-file",
        "authorization_mode_node_not_set": "kubernetes/control-plane-insecure-flag~(include.Node|authorization-mode`.is.not.set)",
        "authorization_mode_rbac_not_set": "kubernetes/control-plane-insecure-flag~(include.RBAC|authorization-mode`.is.not.set)",
        "authorization_mode_set_to_always_allow": "kubernetes/control-plane-insecure-flag~AlwaysAllow kubernetes/kubelet-insecure-config~AlwaysAllow",
        "auto_tls_set_to_true": "kubernetes/etcd-insecure-flag~`--auto-tls",
        "basic_auth_file_is_set": "kubernetes/control-plane-insecure-flag~basic-auth-file",
        "bind_address_not_properly_set": "kubernetes/control-plane-insecure-flag~`--bind-address",
        "client_certificate_authentication_not_setup_properly": "kubernetes/control-plane-insecure-flag~client-ca-file kubernetes/kubelet-insecure-config~client-ca-file",
        "cluster_admin_role_binding_with_super_user_permissions": "kubernetes/rbac-cluster-admin-binding",
        "cluster_allows_unsafe_sysctls": "kubernetes/unsafe-sysctls",
        "container_runs_unmasked": "kubernetes/proc-mount-unmasked",
        "containers_run_with_low_uid": "kubernetes/low-uid kubernetes/run-as-root",
        "cpu_requests_not_set": "kubernetes/no-resource-requests~(no.cpu|cpu.or.memory)",
        "dashboard_is_enabled": "kubernetes/dashboard-deployed",
        "encryption_provider_config_is_not_defined": "kubernetes/control-plane-insecure-flag~encryption-provider-config",
        "encryption_provider_not_properly_configured": "kubernetes/control-plane-insecure-flag~identity",
        "etcd_client_certificate_authentication_set_to_false": "kubernetes/etcd-insecure-flag~`--client-cert-auth",
        "etcd_client_certificate_file_not_defined": "kubernetes/control-plane-insecure-flag~etcd-cafile",
        "etcd_peer_client_certificate_authentication_set_to_false": "kubernetes/etcd-insecure-flag~peer-client-cert-auth",
        "etcd_peer_tls_certificate_files_not_properly_set": "kubernetes/etcd-insecure-flag~peer-cert-file",
        "etcd_tls_certificate_files_not_properly_set": "kubernetes/etcd-insecure-flag~`--cert-file",
        "etcd_tls_certificate_not_properly_configured": "kubernetes/control-plane-insecure-flag~etcd-certfile",
        "event_rate_limit_admission_control_plugin_not_set": "kubernetes/control-plane-insecure-flag~EventRateLimit",
        "image_policy_webhook_admission_control_plugin_not_set": "kubernetes/control-plane-insecure-flag~ImagePolicyWebhook",
        "image_pull_policy_of_container_is_not_always": "kubernetes/image-pull-policy",
        "image_without_digest": "kubernetes/image-not-digest kubernetes/unpinned-image",
        "ingress_controller_exposes_workload": "kubernetes/service-exposed~ingress.controller",
        "insecure_bind_address_set": "kubernetes/control-plane-insecure-flag~insecure-bind-address",
        "insecure_port_not_properly_set": "kubernetes/control-plane-insecure-flag~insecure-port",
        "kubelet_certificate_authority_not_set": "kubernetes/control-plane-insecure-flag~kubelet-certificate-authority",
        "kubelet_client_certificate_or_key_not_set": "kubernetes/control-plane-insecure-flag~kubelet-client-certificate",
        "kubelet_client_periodic_certificate_switch_disabled": "kubernetes/kubelet-insecure-config~rotate-certificates",
        "kubelet_event_qps_not_properly_set": "kubernetes/kubelet-insecure-config~event-qps",
        "kubelet_hostname_override_is_set": "kubernetes/kubelet-insecure-config~hostname-override",
        "kubelet_https_set_to_false": "kubernetes/control-plane-insecure-flag~kubelet-https",
        "kubelet_not_managing_ip_tables": "kubernetes/kubelet-insecure-config~iptables",
        "kubelet_protect_kernel_defaults_set_to_false": "kubernetes/kubelet-insecure-config~protect-kernel-defaults",
        "kubelet_read_only_port_is_not_set_to_zero": "kubernetes/kubelet-insecure-config~read-only-port",
        "kubelet_streaming_connection_timeout_disabled": "kubernetes/kubelet-insecure-config~streaming-connection-idle-timeout",
        "liveness_probe_is_not_defined": "kubernetes/no-probes~livenessProbe",
        "memory_requests_not_defined": "kubernetes/no-resource-requests~(no.memory|cpu.or.memory)",
        "missing_app_armor_config": "kubernetes/apparmor-unconfined",
        "namespace_lifecycle_admission_control_plugin_disabled": "kubernetes/control-plane-insecure-flag~NamespaceLifecycle",
        "net_raw_capabilities_disabled_for_psp": "kubernetes/psp-permissive~NET_RAW",
        "net_raw_capabilities_not_being_dropped": "kubernetes/capabilities-not-dropped~NET_RAW",
        "network_policy_is_not_targeting_any_pod": "kubernetes/network-policy-unmatched",
        "no_drop_capabilities_for_containers": "kubernetes/capabilities-not-dropped",
        "node_restriction_admission_control_plugin_not_set": "kubernetes/control-plane-insecure-flag~NodeRestriction",
        "non_kube_system_pod_with_host_mount": "kubernetes/sensitive-host-path kubernetes/host-path-volume kubernetes/docker-socket",
        "not_limited_capabilities_for_pod_security_policy": "kubernetes/psp-permissive~requiredDropCapabilities",
        "not_unique_certificate_authority": "kubernetes/etcd-insecure-flag~trusted-ca-file",
        "peer_auto_tls_set_to_true": "kubernetes/etcd-insecure-flag~peer-auto-tls",
        "permissive_access_to_create_pods": "kubernetes/rbac-dangerous-verbs~subjects.*create.pods",
        "pod_or_container_without_security_context": "kubernetes/no-security-context",
        "profiling_not_set_to_false": "kubernetes/control-plane-insecure-flag~profiling",
        "psp_allows_privilege_escalation": "kubernetes/psp-permissive~allowPrivilegeEscalation",
        "psp_allows_sharing_host_ipc": "kubernetes/psp-permissive~hostIPC",
        "psp_allows_sharing_host_pid": "kubernetes/psp-permissive~hostPID",
        "psp_containers_share_host_network_namespace": "kubernetes/psp-permissive~hostNetwork",
        "psp_set_to_privileged": "kubernetes/psp-permissive~`privileged`",
        "psp_with_added_capabilities": "kubernetes/psp-permissive~allowedCapabilities",
        "psp_with_unrestricted_access_to_host_path": "kubernetes/psp-permissive~allowedHostPaths",
        "rbac_roles_allow_privilege_escalation": "kubernetes/rbac-dangerous-verbs~subjects.*bind.or.escalate",
        "rbac_roles_with_attach_permission": "kubernetes/rbac-dangerous-verbs~subjects.*attach.to.pods",
        "rbac_roles_with_exec_permission": "kubernetes/rbac-dangerous-verbs~subjects.*exec.into.pods",
        "rbac_roles_with_impersonate_permission": "kubernetes/rbac-dangerous-verbs~subjects.*impersonate.users",
        "rbac_roles_with_portforwarding_permissions": "kubernetes/rbac-dangerous-verbs~subjects.*port-forward.to.pods",
        "rbac_roles_with_read_secrets_permissions": "kubernetes/rbac-dangerous-verbs~subjects.*read.secrets",
        "rbac_wildcard_in_rule": "kubernetes/rbac-wildcard",
        "readiness_probe_is_not_configured": "kubernetes/no-probes~readinessProbe",
        "request_timeout_not_properly_set": "kubernetes/control-plane-insecure-flag~request-timeout",
        "role_binding_to_default_service_account": "kubernetes/rbac-default-service-account-binding",
        "root_ca_file_not_defined": "kubernetes/control-plane-insecure-flag~root-ca-file",
        "root_containers_admitted": "kubernetes/psp-permissive~(privileged|allowPrivilegeEscalation|runAsUser|supplementalGroups|fsGroup)",
        "rotate_kubelet_server_certificate_not_active": "kubernetes/kubelet-insecure-config~RotateKubeletServerCertificate kubernetes/control-plane-insecure-flag~RotateKubeletServerCertificate",
        "seccomp_profile_is_not_configured": "kubernetes/seccomp-unconfined",
        "secrets_as_environment_variables": "kubernetes/secret-env-ref",
        "secure_port_set_to_zero": "kubernetes/control-plane-insecure-flag~`--secure-port",
        "service_account_admission_control_plugin_disabled": "kubernetes/control-plane-insecure-flag~`ServiceAccount`.admission",
        "service_account_allows_access_secrets": "kubernetes/rbac-dangerous-verbs~subjects.*read.secrets.*bound.to.ServiceAccount",
        "service_account_key_file_not_properly_set": "kubernetes/control-plane-insecure-flag~service-account-key-file",
        "service_account_lookup_set_to_false": "kubernetes/control-plane-insecure-flag~service-account-lookup",
        "service_account_name_undefined_or_empty": "kubernetes/shared-service-account~default`.service.account",
        "service_account_private_key_file_not_defined": "kubernetes/control-plane-insecure-flag~service-account-private-key-file",
        "service_type_is_nodeport": "kubernetes/service-exposed~NodePort",
        "service_with_external_load_balancer": "kubernetes/service-exposed~external.load.balancer",
        "shared_service_account": "kubernetes/shared-service-account~shares.service.account",
        "terminated_pod_garbage_collector_threshold_not_properly_set": "kubernetes/control-plane-insecure-flag~terminated-pod-gc-threshold",
        "tiller_deployment_is_accessible_from_within_the_cluster": "kubernetes/tiller-deployed~beyond.localhost",
        "tiller_is_deployed": "kubernetes/tiller-deployed",
        "tiller_service_is_not_deleted": "kubernetes/tiller-deployed~publishes",
        "tls_connection_certificate_not_setup": "kubernetes/control-plane-insecure-flag~tls-cert-file kubernetes/kubelet-insecure-config~tls-cert-file",
        "token_auth_file_is_set": "kubernetes/control-plane-insecure-flag~token-auth-file",
        "use_service_account_credentials_not_set_to_true": "kubernetes/control-plane-insecure-flag~use-service-account-credentials",
        "using_unrecommended_namespace": "kubernetes/default-namespace",
        "weak_tls_cipher_suites": "kubernetes/control-plane-insecure-flag~cipher kubernetes/kubelet-insecure-config~cipher",
        "workload_host_port_not_specified": "kubernetes/host-port",
    },
    "dockerfile": {
        "apk_add_using_local_cache_path": "docker/apk-cache",
        "apt_get_install_lists_were_not_deleted": "docker/apt-lists-not-cleaned",
        "apt_get_install_pin_version_not_defined": "docker/apt-unpinned",
        "apt_get_not_avoiding_additional_packages": "docker/apt-no-recommends",
        "exposing_port_22": "docker/expose-ssh",
        "healthcheck_instruction_missing": "docker/no-healthcheck",
        "image_version_not_explicit": "docker/unpinned-base",
        "image_version_using_latest": "docker/unpinned-base",
        "last_user_is_root": "docker/root-user",
        "missing_user_instruction": "docker/root-user",
        "multiple_cmd_instructions_listed": "docker/multiple-cmd",
        "multiple_entrypoint_instructions_listed": "docker/multiple-cmd",
        "not_using_json_in_cmd_and_entrypoint_arguments": "docker/exec-form",
        "pip_install_keeping_cached_packages": "docker/pip-no-cache",
        "run_command_cd_instead_of_workdir": "docker/cd-in-run",
        "run_using_sudo": "docker/sudo",
        "unpinned_package_version_in_apk_add": "docker/apk-unpinned",
        "workdir_path_not_absolute": "docker/workdir-relative",
    },
    "compose": {
        "docker_socket_mounted_in_container": "compose/docker-socket",
        "privileged_containers_enabled": "compose/privileged",
        "shared_host_ipc_namespace": "compose/host-namespace~ipc",
        "shared_host_network_namespace": "compose/host-namespace~network",
        "host_namespace_is_shared": "compose/host-namespace~pid",
        "shared_host_user_namespace": "compose/host-namespace~userns",
        "container_capabilities_unrestricted": "compose/cap-add",
        "volume_has_sensitive_host_directory": "compose/sensitive-host-mount",
        # issue 21: compose hardening
        "no_new_privileges_not_set": "compose/no-new-privileges",
        "security_opt_not_set": "compose/no-new-privileges~has.no..security_opt",
        "default_seccomp_profile_disabled": "compose/seccomp-unconfined",
        "memory_not_limited": "compose/no-resource-limits~memory",
        "pids_limit_not_set": "compose/no-resource-limits~pids",
        "cpus_not_limited": "compose/no-resource-limits~cpu",
    },
    "terraform-aws": {
        "hardcoded_aws_access_key": "terraform/hardcoded-credentials secrets/aws-access-key-id secrets/aws-secret-access-key",
        "hardcoded_aws_access_key_in_lambda": "terraform/hardcoded-credentials secrets/aws-access-key-id secrets/aws-secret-access-key",
        "ec2_instance_using_api_keys": "terraform/hardcoded-credentials secrets/aws-access-key-id secrets/aws-secret-access-key",
        "s3_bucket_acl_allows_read_or_write_to_all_users": "terraform/s3-public-acl",
        "s3_bucket_acl_allows_read_to_any_authenticated_user": "terraform/s3-public-acl",
        "s3_bucket_acl_grants_write_acp_permission": "terraform/s3-public-acl",
        "s3_bucket_allows_access_to_all_authenticated_users": "terraform/s3-public-acl",
        "cloudtrail_log_files_s3_bucket_is_publicly_accessible": "terraform/s3-public-acl",
        "s3_bucket_access_to_any_principal": "terraform/s3-public-policy",
        "s3_bucket_allows_delete_action_from_all_principals": "terraform/s3-public-policy",
        "s3_bucket_allows_get_action_from_all_principals": "terraform/s3-public-policy",
        "s3_bucket_allows_list_action_from_all_principals": "terraform/s3-public-policy",
        "s3_bucket_allows_put_action_from_all_principals": "terraform/s3-public-policy",
        "s3_bucket_with_all_permissions": "terraform/s3-public-policy terraform/iam-wildcard",
        "s3_bucket_allows_public_acl": "terraform/s3-no-public-access-block~(block_public_acls|has.no.aws_s3_bucket_public)",
        "s3_bucket_without_ignore_public_acl": "terraform/s3-no-public-access-block~(ignore_public_acls|has.no.aws_s3_bucket_public)",
        "s3_bucket_without_restriction_of_public_bucket": "terraform/s3-no-public-access-block~(restrict_public_buckets|has.no.aws_s3_bucket_public)",
        "s3_bucket_with_public_policy": "terraform/s3-no-public-access-block~(block_public_policy|has.no.aws_s3_bucket_public)",
        "security_group_with_unrestricted_access_to_ssh": "terraform/open-ingress~(port.([0-9,.]*.)?22\\b|all.ports)",
        "remote_desktop_port_open_to_internet": "terraform/open-ingress~(port.([0-9,.]*.)?3389\\b|all.ports)",
        "unrestricted_security_group_ingress": "terraform/open-ingress",
        "sensitive_port_is_exposed_to_entire_network": "terraform/open-ingress",
        "default_security_groups_with_unrestricted_traffic": "terraform/open-ingress",
        "vpc_default_security_group_accepts_all_traffic": "terraform/open-ingress",
        "network_acl_with_unrestricted_access_to_rdp": "terraform/open-ingress~(port.([0-9,.]*.)?3389\\b|all.ports)",
        "network_acl_with_unrestricted_access_to_ssh": "terraform/open-ingress~(port.([0-9,.]*.)?22\\b|all.ports)",
        "iam_policies_with_full_privileges": "terraform/iam-wildcard",
        "iam_policy_grants_full_permissions": "terraform/iam-wildcard",
        "iam_role_with_full_privileges": "terraform/iam-wildcard",
        "sso_policy_with_full_privileges": "terraform/iam-wildcard",
        "iam_role_policy_passrole_allows_all": "terraform/iam-wildcard",
        "db_instance_storage_not_encrypted": "terraform/unencrypted-storage",
        "rds_storage_not_encrypted": "terraform/unencrypted-storage",
        "rds_database_cluster_not_encrypted": "terraform/unencrypted-storage",
        "aurora_with_disabled_at_rest_encryption": "terraform/unencrypted-storage",
        "docdb_cluster_not_encrypted": "terraform/unencrypted-storage",
        "neptune_database_cluster_encryption_disabled": "terraform/unencrypted-storage",
        "ebs_volume_encryption_disabled": "terraform/unencrypted-storage",
        "efs_not_encrypted": "terraform/unencrypted-storage",
        "rds_db_instance_publicly_accessible": "terraform/public-database",
        "redshift_publicly_accessible": "terraform/public-database",
        "neptune_cluster_instance_is_publicly_accessible": "terraform/public-database",
        "ecr_image_tag_not_immutable": "terraform/ecr-mutable-tags",
        "unscanned_ecr_image": "terraform/ecr-scan-disabled",
        "ecr_repository_is_publicly_accessible": "terraform/registry-public",
        "eks_cluster_has_public_access": "terraform/eks-public-endpoint",
        "eks_cluster_has_public_access_cidrs": "terraform/eks-public-endpoint",
    },
    "terraform-gcp": {
        "artifact_registry_repository_is_public": "terraform/registry-public",
        "container_registry_repository_is_public": "terraform/registry-public",
        "firewall_ingress_allows_unrestricted_ftp_access": "terraform/open-ingress",
        "firewall_ingress_allows_unrestricted_mysql_access": "terraform/open-ingress",
        "google_compute_network_using_firewall_rule_allows_all_ports": "terraform/open-ingress",
        "rdp_access_is_not_restricted": "terraform/open-ingress~(port.([0-9,.]*.)?3389\\b|all.ports)",
        "ssh_access_is_not_restricted": "terraform/open-ingress~(port.([0-9,.]*.)?22\\b|all.ports)",
        "sql_db_instance_is_publicly_accessible": "terraform/public-database",
    },
    "terraform-azure": {
        "rdp_is_exposed_to_the_internet": "terraform/open-ingress~(port.([0-9,.]*.)?3389\\b|all.ports)",
        "ssh_is_exposed_to_the_internet": "terraform/open-ingress~(port.([0-9,.]*.)?22\\b|all.ports)",
        "sensitive_port_is_exposed_to_entire_network": "terraform/open-ingress",
    },
}
# the privilege-escalation queries: iam-wildcard flags the policy (write action on "*"); KICS
# expects the user/group/role the policy is attached to.
for _kind in ("user", "group", "role"):
    PG_KICS["terraform-aws"][f"{_kind}_with_privilege_escalation_by_actions_*"] = "terraform/iam-wildcard"

HADOLINT_KICS = {
    "add_instead_of_copy": "DL3020", "apk_add_using_local_cache_path": "DL3019",
    "apt_get_install_lists_were_not_deleted": "DL3009", "apt_get_install_pin_version_not_defined": "DL3008",
    "apt_get_missing_flags_to_avoid_manual_input": "DL3014", "apt_get_not_avoiding_additional_packages": "DL3015",
    "changing_default_shell_using_run_command": "DL4005", "copy_from_references_current_from_alias": "DL3023",
    "copy_with_more_than_two_arguments_not_ending_with_slash": "DL3021", "gem_install_without_version": "DL3028",
    "image_version_not_explicit": "DL3006", "image_version_using_latest": "DL3007", "last_user_is_root": "DL3002",
    "maintainer_instruction_being_used": "DL4000", "missing_dnf_clean_all": "DL3040",
    "missing_flag_from_dnf_install": "DL3038", "missing_version_specification_in_dnf_install": "DL3041",
    "missing_zypper_clean": "DL3036", "missing_zypper_non_interactive_switch": "DL3034",
    "multiple_cmd_instructions_listed": "DL4003", "multiple_entrypoint_instructions_listed": "DL4004",
    "multiple_run_add_copy_instructions_listed": "DL3059", "not_using_json_in_cmd_and_entrypoint_arguments": "DL3025",
    "npm_install_without_pinned_version": "DL3016", "pip_install_keeping_cached_packages": "DL3042",
    "run_command_cd_instead_of_workdir": "DL3003", "run_using_apt": "DL3027", "run_using_sudo": "DL3004",
    "run_using_wget_and_curl": "DL4001", "run_utilities_and_posix_commands": "DL3001",
    "same_alias_in_different_froms": "DL3024", "shell_running_a_pipe_without_pipefail_flag": "DL4006",
    "unix_ports_out_of_range": "DL3011", "unpinned_package_version_in_apk_add": "DL3018",
    "unpinned_package_version_in_pip_install": "DL3013", "using_platform_with_from": "DL3029",
    "workdir_path_not_absolute": "DL3000", "yum_clean_all_missing": "DL3032",
    "yum_install_allows_manual_input": "DL3030", "yum_install_without_version": "DL3033",
    "zypper_install_without_version": "DL3037",
}
# checkov ids by hand: every Dockerfile query, and the queries mapped to pipeguard
CK_MANUAL = {
    "dockerfile": {
        "*": "",
        "exposing_port_22": "CKV_DOCKER_1", "healthcheck_instruction_missing": "CKV_DOCKER_2",
        "missing_user_instruction": "CKV_DOCKER_3", "add_instead_of_copy": "CKV_DOCKER_4",
        "update_instruction_alone": "CKV_DOCKER_5", "maintainer_instruction_being_used": "CKV_DOCKER_6",
        "image_version_using_latest": "CKV_DOCKER_7", "image_version_not_explicit": "CKV_DOCKER_7",
        "last_user_is_root": "CKV_DOCKER_8", "run_using_apt": "CKV_DOCKER_9",
        "workdir_path_not_absolute": "CKV_DOCKER_10", "same_alias_in_different_froms": "CKV_DOCKER_11",
    },
    "kubernetes": {  # every Kubernetes query by hand; "" = checkov has no such check
        "always_admit_admission_control_plugin_set": "CKV_K8S_79",
        "always_pull_images_admission_control_plugin_not_set": "CKV_K8S_80",
        "anonymous_auth_is_not_set_to_false": "CKV_K8S_68 CKV_K8S_138",
        "audit_log_maxage_not_properly_set": "CKV_K8S_92",
        "audit_log_maxbackup_not_properly_set": "CKV_K8S_93",
        "audit_log_maxsize_not_properly_set": "CKV_K8S_94",
        "audit_log_path_not_set": "CKV_K8S_91",
        "authorization_mode_node_not_set": "CKV_K8S_75",
        "authorization_mode_rbac_not_set": "CKV_K8S_77",
        "authorization_mode_set_to_always_allow": "CKV_K8S_74 CKV_K8S_139",
        "auto_tls_set_to_true": "CKV_K8S_118",
        "basic_auth_file_is_set": "CKV_K8S_69",
        "bind_address_not_properly_set": "CKV_K8S_113 CKV_K8S_115",
        "client_certificate_authentication_not_setup_properly": "CKV_K8S_140",
        "container_is_privileged": "CKV_K8S_16",
        "containers_run_with_low_uid": "CKV_K8S_40",
        "containers_running_as_root": "CKV_K8S_23",
        "containers_with_added_capabilities": "CKV_K8S_25",
        "containers_with_sys_admin_capabilities": "CKV_K8S_39",
        "cpu_limits_not_set": "CKV_K8S_11",
        "cpu_requests_not_set": "CKV_K8S_10",
        "dashboard_is_enabled": "CKV_K8S_33",
        "docker_daemon_socket_is_exposed_to_containers": "CKV_K8S_27",
        "encryption_provider_config_is_not_defined": "CKV_K8S_104",
        "encryption_provider_not_properly_configured": "CKV_K8S_104",
        "etcd_client_certificate_authentication_set_to_false": "CKV_K8S_117",
        "etcd_client_certificate_file_not_defined": "CKV_K8S_99",
        "etcd_peer_client_certificate_authentication_set_to_false": "CKV_K8S_121",
        "etcd_peer_tls_certificate_files_not_properly_set": "CKV_K8S_119",
        "etcd_tls_certificate_files_not_properly_set": "CKV_K8S_116",
        "etcd_tls_certificate_not_properly_configured": "CKV_K8S_102",
        "event_rate_limit_admission_control_plugin_not_set": "CKV_K8S_78",
        "image_pull_policy_of_container_is_not_always": "CKV_K8S_15",
        "image_without_digest": "CKV_K8S_43",
        "insecure_bind_address_set": "CKV_K8S_86",
        "insecure_port_not_properly_set": "CKV_K8S_88",
        "invalid_image": "CKV_K8S_14",
        "kubelet_certificate_authority_not_set": "CKV_K8S_73",
        "kubelet_client_certificate_or_key_not_set": "CKV_K8S_72",
        "kubelet_client_periodic_certificate_switch_disabled": "CKV_K8S_149",
        "kubelet_event_qps_not_properly_set": "CKV_K8S_147",
        "kubelet_hostname_override_is_set": "CKV_K8S_146",
        "kubelet_https_set_to_false": "CKV_K8S_71",
        "kubelet_not_managing_ip_tables": "CKV_K8S_145",
        "kubelet_protect_kernel_defaults_set_to_false": "CKV_K8S_144",
        "kubelet_read_only_port_is_not_set_to_zero": "CKV_K8S_141",
        "kubelet_streaming_connection_timeout_disabled": "CKV_K8S_143",
        "liveness_probe_is_not_defined": "CKV_K8S_8",
        "memory_limits_not_defined": "CKV_K8S_13",
        "memory_requests_not_defined": "CKV_K8S_12",
        "namespace_lifecycle_admission_control_plugin_disabled": "CKV_K8S_83",
        "net_raw_capabilities_disabled_for_psp": "CKV_K8S_7",
        "net_raw_capabilities_not_being_dropped": "CKV_K8S_28",
        "no_drop_capabilities_for_containers": "CKV_K8S_37",
        "node_restriction_admission_control_plugin_not_set": "CKV_K8S_85",
        "not_limited_capabilities_for_pod_security_policy": "CKV_K8S_36",
        "pod_misconfigured_network_policy": "CKV2_K8S_6",
        "pod_or_container_without_security_context": "CKV_K8S_29 CKV_K8S_30",
        "pod_security_policy_admission_control_plugin_not_set": "CKV_K8S_84",
        "privilege_escalation_allowed": "CKV_K8S_20",
        "profiling_not_set_to_false": "CKV_K8S_90 CKV_K8S_107 CKV_K8S_114",
        "psp_allows_privilege_escalation": "CKV_K8S_5",
        "psp_allows_sharing_host_ipc": "CKV_K8S_3",
        "psp_allows_sharing_host_pid": "CKV_K8S_1",
        "psp_containers_share_host_network_namespace": "CKV_K8S_4",
        "psp_set_to_privileged": "CKV_K8S_2",
        "psp_with_added_capabilities": "CKV_K8S_24",
        "rbac_roles_allow_privilege_escalation": "CKV_K8S_157 CKV_K8S_158",
        "rbac_roles_with_exec_permission": "CKV2_K8S_2",
        "rbac_roles_with_impersonate_permission": "CKV2_K8S_3",
        "rbac_roles_with_read_secrets_permissions": "CKV2_K8S_5",
        "rbac_wildcard_in_rule": "CKV_K8S_49",
        "readiness_probe_is_not_configured": "CKV_K8S_9",
        "request_timeout_not_properly_set": "CKV_K8S_95",
        "role_binding_to_default_service_account": "CKV_K8S_42",
        "root_ca_file_not_defined": "CKV_K8S_111",
        "root_container_not_mounted_as_read_only": "CKV_K8S_22",
        "root_containers_admitted": "CKV_K8S_6",
        "rotate_kubelet_server_certificate_not_active": "CKV_K8S_112",
        "seccomp_profile_is_not_configured": "CKV_K8S_31 CKV_K8S_32",
        "secrets_as_environment_variables": "CKV_K8S_35",
        "secure_port_set_to_zero": "CKV_K8S_89",
        "security_context_deny_admission_control_plugin_not_set": "CKV_K8S_81",
        "service_account_admission_control_plugin_disabled": "CKV_K8S_82",
        "service_account_allows_access_secrets": "CKV2_K8S_5",
        "service_account_key_file_not_properly_set": "CKV_K8S_97",
        "service_account_lookup_set_to_false": "CKV_K8S_96",
        "service_account_private_key_file_not_defined": "CKV_K8S_110",
        "service_account_token_automount_not_disabled": "CKV_K8S_38",
        "shared_host_ipc_namespace": "CKV_K8S_18",
        "shared_host_network_namespace": "CKV_K8S_19",
        "shared_host_pid_namespace": "CKV_K8S_17",
        "terminated_pod_garbage_collector_threshold_not_properly_set": "CKV_K8S_106",
        "tiller_deployment_is_accessible_from_within_the_cluster": "CKV_K8S_45",
        "tiller_is_deployed": "CKV_K8S_34",
        "tiller_service_is_not_deleted": "CKV_K8S_44",
        "tls_connection_certificate_not_setup": "CKV_K8S_100 CKV_K8S_148",
        "token_auth_file_is_set": "CKV_K8S_70",
        "use_service_account_credentials_not_set_to_true": "CKV_K8S_108",
        "using_unrecommended_namespace": "CKV_K8S_21",
        "weak_tls_cipher_suites": "CKV_K8S_105 CKV_K8S_151",
        "workload_host_port_not_specified": "CKV_K8S_26",
        "*": "",
    },
}
CK_MANUAL["terraform-aws"] = {  # the queries mapped to pipeguard (shared subset), by hand
    "aurora_with_disabled_at_rest_encryption": "CKV_AWS_96",
    "cloudtrail_log_files_s3_bucket_is_publicly_accessible": "CKV_AWS_20 CKV_AWS_57",
    "db_instance_storage_not_encrypted": "CKV_AWS_16", "rds_storage_not_encrypted": "CKV_AWS_16 CKV_AWS_96",
    "rds_database_cluster_not_encrypted": "CKV_AWS_96", "docdb_cluster_not_encrypted": "CKV_AWS_74",
    "neptune_database_cluster_encryption_disabled": "CKV_AWS_44", "ebs_volume_encryption_disabled": "CKV_AWS_3",
    "efs_not_encrypted": "CKV_AWS_42",
    "default_security_groups_with_unrestricted_traffic": "CKV2_AWS_12",
    "vpc_default_security_group_accepts_all_traffic": "CKV2_AWS_12",
    "ec2_instance_using_api_keys": "CKV_AWS_46 CKV_SECRET_2", "hardcoded_aws_access_key": "CKV_AWS_41 CKV_SECRET_2",
    "hardcoded_aws_access_key_in_lambda": "CKV_AWS_45 CKV_SECRET_2",
    "ecr_image_tag_not_immutable": "CKV_AWS_51", "unscanned_ecr_image": "CKV_AWS_163",
    "ecr_repository_is_publicly_accessible": "CKV_AWS_32",
    "eks_cluster_has_public_access": "CKV_AWS_39", "eks_cluster_has_public_access_cidrs": "CKV_AWS_38",
    "iam_policies_with_full_privileges": "CKV_AWS_62 CKV_AWS_1",
    "iam_policy_grants_full_permissions": "CKV_AWS_62 CKV_AWS_1 CKV_AWS_63 CKV_AWS_49",
    "iam_role_with_full_privileges": "CKV_AWS_62 CKV_AWS_1", "sso_policy_with_full_privileges": "",
    "iam_role_policy_passrole_allows_all": "CKV_AWS_286 CKV_AWS_110 CKV_AWS_355 CKV_AWS_356",
    "neptune_cluster_instance_is_publicly_accessible": "CKV_AWS_102", "rds_db_instance_publicly_accessible": "CKV_AWS_17",
    "redshift_publicly_accessible": "CKV_AWS_87",
    "network_acl_with_unrestricted_access_to_rdp": "CKV_AWS_231 CKV_AWS_352",
    "network_acl_with_unrestricted_access_to_ssh": "CKV_AWS_232 CKV_AWS_352",
    "remote_desktop_port_open_to_internet": "CKV_AWS_25", "security_group_with_unrestricted_access_to_ssh": "CKV_AWS_24",
    "sensitive_port_is_exposed_to_entire_network": "CKV_AWS_24 CKV_AWS_25 CKV_AWS_260 CKV_AWS_277",
    "unrestricted_security_group_ingress": "CKV_AWS_277",
    "s3_bucket_access_to_any_principal": "CKV_AWS_70", "s3_bucket_with_all_permissions": "CKV_AWS_70",
    "s3_bucket_allows_delete_action_from_all_principals": "CKV_AWS_70",
    "s3_bucket_allows_get_action_from_all_principals": "CKV_AWS_70",
    "s3_bucket_allows_list_action_from_all_principals": "CKV_AWS_70",
    "s3_bucket_allows_put_action_from_all_principals": "CKV_AWS_70",
    "s3_bucket_acl_allows_read_or_write_to_all_users": "CKV_AWS_20 CKV_AWS_57",
    "s3_bucket_acl_allows_read_to_any_authenticated_user": "CKV2_AWS_43 CKV_AWS_20",
    "s3_bucket_acl_grants_write_acp_permission": "CKV_AWS_57",
    "s3_bucket_allows_access_to_all_authenticated_users": "CKV2_AWS_43",
    "s3_bucket_allows_public_acl": "CKV_AWS_53", "s3_bucket_with_public_policy": "CKV_AWS_54",
    "s3_bucket_without_ignore_public_acl": "CKV_AWS_55", "s3_bucket_without_restriction_of_public_bucket": "CKV_AWS_56",
}
for _kind in ("user", "group", "role"):
    for _act in ("glue_UpdateDevEndpoint", "iam_AddUserToGroup", "iam_AttachGroupPolicy", "iam_AttachRolePolicy",
                 "iam_AttachUserPolicy", "iam_CreatePolicyVersion", "iam_PassRole_and_cloudformation_CreateStack",
                 "iam_PassRole_and_ec2_RunInstances", "iam_PassRole_and_glue_CreateDevEndpoint",
                 "iam_PassRole_and_lambda_CreateFunction_and_lambda_InvokeFunction",
                 "iam_PassRole_and_lambda_CreateFunction_lambda_InvokeFunction", "iam_PutGroupPolicy",
                 "iam_PutRolePolicy", "iam_PutUserPolicy", "iam_SetDefaultPolicyVersion",
                 "iam_UpdateAssumeRolePolicy_and_sts_AssumeRole", "lambda_UpdateFunctionCode"):
        CK_MANUAL["terraform-aws"][f"{_kind}_with_privilege_escalation_by_actions_{_act}"] = "CKV_AWS_286 CKV_AWS_110"
    for _act in ("iam_CreateAccessKey", "iam_CreateLoginProfile", "iam_UpdateLoginProfile"):
        CK_MANUAL["terraform-aws"][f"{_kind}_with_privilege_escalation_by_actions_{_act}"] = "CKV_AWS_287 CKV_AWS_107"

# auto matches found wrong when a sample of 25 was read (2026-12-03), corrected by hand
CK_MANUAL["terraform-aws"].update({
    "dax_cluster_not_encrypted": "CKV_AWS_47", "amazon_mq_broker_encryption_disabled": "CKV_AWS_209",
    "security_groups_not_used": "CKV2_AWS_5", "iam_user_too_many_access_keys": "",
    "auto_scaling_group_with_no_associated_elb": "",
    **{f"cloudwatch_{x}": "" for x in (
        "aws_config_configuration_changes_alarm_missing", "aws_organizations_changes_missing_alarm",
        "changes_to_nacl_alarm_missing", "cloudtrail_configuration_changes_alarm_missing",
        "disabling_or_scheduled_deletion_of_customer_created_cmk_alarm_missing", "iam_policy_changes_alarm_missing",
        "management_console_auth_failed_alarm_missing", "management_console_sign_in_without_mfa_alarm_missing",
        "network_gateways_changes_alarm_missing", "root_account_use_alarm_missing", "route_table_changes_alarm_missing",
        "s3_policy_change_alarm_missing", "security_group_changes_alarm_missing",
        "unauthorized_access_defined_alarm_missing", "vpc_changes_alarm_missing")},
})
# every HIGH / CRITICAL Terraform AWS query without a pipeguard rule, by hand (2026-12-03)
CK_MANUAL["terraform-aws"].update({
    "amazon_dms_replication_instance_is_publicly_accessible": "CKV_AWS_89", "ami_owner_missing": "",
    "api_gateway_method_settings_cache_not_encrypted": "CKV_AWS_308", "athena_database_not_encrypted": "CKV_AWS_77",
    "athena_workgroup_not_encrypted": "CKV_AWS_159", "batch_job_definition_with_privileged_container_properties": "CKV_AWS_210",
    "config_rule_for_encrypted_volumes_is_disabled": "", "cross_account_iam_assume_role_policy_without_external_id_or_mfa": "CKV_AWS_60",
    "db_security_group_has_public_interface": "CKV_AWS_198", "db_security_group_open_to_large_scope": "CKV_AWS_198",
    "db_security_group_with_public_scope": "CKV_AWS_198", "db_snapshot_public": "CKV_AWS_302",
    "dms_endpoint_no_ssl_configured": "CKV2_AWS_49", "docdb_cluster_without_kms": "CKV_AWS_182",
    "dynamodb_table_not_encrypted": "CKV_AWS_119", "ebs_default_encryption_disabled": "CKV_AWS_106",
    "ebs_volume_snapshot_not_encrypted": "", "ecs_service_admin_role_is_present": "",
    "ecs_task_definition_volume_not_encrypted": "CKV_AWS_97", "eks_cluster_encryption_disabled": "CKV_AWS_58",
    "elasticache_replication_group_not_encrypted_at_rest": "CKV_AWS_29",
    "elasticsearch_encryption_with_kms_is_disabled": "CKV_AWS_247", "elasticsearch_no_finegrain_access_control": "CKV2_AWS_52",
    "elasticsearch_not_encrypted_at_rest": "CKV_AWS_5", "elasticsearch_using_default_security_group": "CKV_AWS_248",
    "elb_using_weak_ciphers": "CKV_AWS_213", "glue_data_catalog_encryption_disabled": "CKV_AWS_94",
    "glue_security_configuration_encryption_disabled": "CKV_AWS_99", "imdsv1_is_enabled": "CKV_AWS_79",
    "kinesis_not_encrypted_with_kms": "CKV_AWS_185", "kinesis_sse_not_configured": "CKV_AWS_240",
    "kms_key_with_full_permissions": "CKV_AWS_33", "lambda_function_publicly_accessible": "CKV_AWS_301",
    "lambda_function_with_privileged_role": "", "lambda_with_vulnerable_policy": "CKV_AWS_301",
    "launch_configuration_is_not_encrypted": "CKV_AWS_8", "mq_broker_is_publicly_accessible": "CKV_AWS_69",
    "msk_broker_is_publicly_accessible": "CKV_AWS_291", "msk_cluster_encryption_disabled": "CKV_AWS_81",
    "neptune_cluster_with_iam_database_authentication_disabled": "CKV_AWS_359",
    "neptune_snapshots_not_encrypted": "CKV_AWS_279", "rds_associated_with_public_subnet": "",
    "redis_not_compliant": "", "redshift_not_encrypted": "CKV_AWS_64", "root_account_has_active_access_keys": "CKV_AWS_348",
    "route53_record_undefined": "CKV2_AWS_23", "s3_bucket_object_not_encrypted": "CKV_AWS_186",
    "s3_bucket_public_acl_overridden_by_public_access_block": "", "s3_static_website_host_enabled": "",
    "sagemaker_direct_internet_access_enabled": "CKV_AWS_122", "sagemaker_endpoint_configuration_encryption_disabled": "CKV_AWS_98",
    "sagemaker_notebook_instance_without_kms": "CKV_AWS_22", "secrets_manager_with_vulnerable_policy": "",
    "ses_policy_with_allowed_iam_actions": "", "sns_topic_is_publicly_accessible": "CKV_AWS_169",
    "sns_topic_not_encrypted": "CKV_AWS_26", "sqs_policy_allows_all_actions": "CKV_AWS_72",
    "sqs_queue_exposed": "CKV_AWS_168", "unknown_port_exposed_to_internet": "", "user_data_contains_encoded_private_key": "CKV_AWS_46",
    "vpc_peering_route_table_with_unrestricted_cidr": "CKV2_AWS_44",
    "workspaces_workspace_volume_not_encrypted": "CKV_AWS_155 CKV_AWS_156",
    "sqs_with_sse_disabled": "CKV_AWS_27", "sqs_policy_with_public_access": "CKV_AWS_168 CKV_AWS_387",
})

HADOLINT_PG = {
    "DL3000": "docker/workdir-relative", "DL3002": "docker/root-user", "DL3003": "docker/cd-in-run",
    "DL3004": "docker/sudo", "DL3006": "docker/unpinned-base", "DL3007": "docker/unpinned-base",
    "DL3008": "docker/apt-unpinned", "DL3009": "docker/apt-lists-not-cleaned", "DL3015": "docker/apt-no-recommends",
    "DL3018": "docker/apk-unpinned", "DL3019": "docker/apk-cache", "DL3025": "docker/exec-form",
    "DL3042": "docker/pip-no-cache", "DL4003": "docker/multiple-cmd", "DL4004": "docker/multiple-cmd",
}
HADOLINT_CK = {"DL3002": "CKV_DOCKER_8", "DL3007": "CKV_DOCKER_7", "DL3006": "CKV_DOCKER_7", "DL3000": "CKV_DOCKER_10",
               "DL3020": "CKV_DOCKER_4", "DL3024": "CKV_DOCKER_11", "DL3027": "CKV_DOCKER_9", "DL4000": "CKV_DOCKER_6"}
TRIVY_DOCKER_PEERS = {  # trivy Dockerfile check -> (checkov, hadolint), by hand
    "DS-0004": ("CKV_DOCKER_1", ""), "DS-0005": ("CKV_DOCKER_4", "DL3020"), "DS-0017": ("CKV_DOCKER_5", ""),
    "DS-0022": ("CKV_DOCKER_6", "DL4000"), "DS-0001": ("CKV_DOCKER_7", "DL3007"), "DS-0002": ("CKV_DOCKER_8", "DL3002"),
    "DS-0009": ("CKV_DOCKER_10", "DL3000"), "DS-0012": ("CKV_DOCKER_11", "DL3024"), "DS-0021": ("", "DL3014"),
    "DS-0006": ("", "DL3023"), "DS-0011": ("", "DL3021"), "DS-0019": ("", "DL3040"), "DS-0020": ("", "DL3036"),
    "DS-0016": ("", "DL4003"), "DS-0007": ("", "DL4004"), "DS-0013": ("", "DL3003"), "DS-0010": ("", "DL3004"),
    "DS-0014": ("", "DL4001"), "DS-0008": ("", "DL3011"), "DS-0015": ("", "DL3032"),
}
TRIVY_PG = {
    "DS-0001": "docker/unpinned-base", "DS-0002": "docker/root-user", "DS-0004": "docker/expose-ssh",
    "DS-0013": "docker/cd-in-run", "DS-0010": "docker/sudo", "DS-0009": "docker/workdir-relative",
    "DS-0016": "docker/multiple-cmd", "DS-0007": "docker/multiple-cmd",
    "KSV-0011": "kubernetes/no-resource-limits~has.no.cpu", "KSV-0018": "kubernetes/no-resource-limits~(has.no.memory|cpu.or.memory)",
    "KSV-0005": "kubernetes/dangerous-capabilities", "KSV-0022": "kubernetes/dangerous-capabilities",
    "KSV-0001": "kubernetes/privilege-escalation", "KSV-0014": "kubernetes/writable-root-fs",
    "KSV-0008": "kubernetes/host-namespace~hostIPC", "KSV-0009": "kubernetes/host-namespace~hostNetwork", "KSV-0010": "kubernetes/host-namespace~hostPID",
    "KSV-0023": "kubernetes/sensitive-host-path", "KSV-0006": "kubernetes/docker-socket", "KSV-0017": "kubernetes/privileged",
    "KSV-0012": "kubernetes/run-as-root", "KSV-0013": "kubernetes/unpinned-image",
    "AWS-0021": "terraform/unencrypted-storage", "AWS-0026": "terraform/unencrypted-storage",
    "AWS-0037": "terraform/unencrypted-storage", "AWS-0076": "terraform/unencrypted-storage",
    "AWS-0079": "terraform/unencrypted-storage", "AWS-0080": "terraform/unencrypted-storage",
    "AWS-0029": "terraform/hardcoded-credentials secrets/aws-access-key-id secrets/aws-secret-access-key",
    "AWS-0129": "terraform/hardcoded-credentials secrets/aws-access-key-id secrets/aws-secret-access-key",
    "AWS-0036": "terraform/hardcoded-credentials", "AWS-0030": "terraform/ecr-scan-disabled",
    "AWS-0031": "terraform/ecr-mutable-tags", "AWS-0032": "terraform/registry-public",
    "AWS-0040": "terraform/eks-public-endpoint", "AWS-0041": "terraform/eks-public-endpoint",
    "AWS-0102": "terraform/open-ingress", "AWS-0105": "terraform/open-ingress", "AWS-0107": "terraform/open-ingress",
    "AWS-0180": "terraform/public-database", "AWS-0086": "terraform/s3-no-public-access-block~(block_public_acls|has.no.aws_s3_bucket_public)",
    "AWS-0087": "terraform/s3-no-public-access-block~(block_public_policy|has.no.aws_s3_bucket_public)", "AWS-0091": "terraform/s3-no-public-access-block~(ignore_public_acls|has.no.aws_s3_bucket_public)",
    "AWS-0093": "terraform/s3-no-public-access-block~(restrict_public_buckets|has.no.aws_s3_bucket_public)", "AWS-0094": "terraform/s3-no-public-access-block",
    "AWS-0092": "terraform/s3-public-acl", "AWS-0161": "terraform/s3-public-acl", "AWS-0132": "terraform/s3-unencrypted",
    "AWS-0345": "terraform/iam-wildcard",
}

# proposed rule for unmapped KICS Kubernetes / Terraform AWS queries: (regex on the query
# directory name, rule id, what it reads). First match wins.
PROPOSE_K8S = [
    (r"^rbac_wildcard_in_rule$", "kubernetes/rbac-wildcard", "Role/ClusterRole rules[].apiGroups/resources/verbs contain *"),
    (r"^(rbac_roles_|permissive_access_to_create_pods|service_account_allows_access_secrets)",
     "kubernetes/rbac-dangerous-verbs", "Role/ClusterRole rules[]: get/list/watch secrets, create pods, pods/exec|attach|portforward, impersonate, bind/escalate; bound ServiceAccount"),
    (r"^cluster_admin_role_binding", "kubernetes/rbac-cluster-admin-binding", "ClusterRoleBinding/RoleBinding roleRef.name cluster-admin to a non-system subject"),
    (r"^role_binding_to_default_service_account", "kubernetes/rbac-default-service-account-binding", "RoleBinding/ClusterRoleBinding subjects[] kind ServiceAccount name default"),
    (r"^(no_drop_capabilities_for_containers|net_raw_capabilities_not_being_dropped)$", "kubernetes/capabilities-not-dropped", "containers[].securityContext.capabilities.drop lacks ALL (or NET_RAW)"),
    (r"^seccomp_profile_is_not_configured$", "kubernetes/seccomp-unconfined", "pod/container securityContext.seccompProfile.type (RuntimeDefault|Localhost), legacy annotations"),
    (r"^missing_app_armor_config$", "kubernetes/apparmor-unconfined", "securityContext.appArmorProfile / container.apparmor.security.beta.kubernetes.io annotations"),
    (r"^container_runs_unmasked$", "kubernetes/proc-mount-unmasked", "containers[].securityContext.procMount: Unmasked"),
    (r"^cluster_allows_unsafe_sysctls$", "kubernetes/unsafe-sysctls", "pod securityContext.sysctls[].name outside the safe set; kubelet allowedUnsafeSysctls"),
    (r"^workload_host_port_not_specified$", "kubernetes/host-port", "containers[].ports[].hostPort"),
    (r"^containers_run_with_low_uid$", "kubernetes/run-as-root", "runAsUser < 10000 (pedantic persona)"),
    (r"^psp_|^root_containers_admitted|^net_raw_capabilities_disabled_for_psp|^not_limited_capabilities_for_pod_security_policy",
     "kubernetes/psp-permissive", "PodSecurityPolicy spec: privileged, host*, allowPrivilegeEscalation, allowedCapabilities, runAsUser, allowedHostPaths (PSP removed in 1.25: low)"),
    (r"^(kubelet_certificate_authority_not_set|kubelet_client_certificate_or_key_not_set|kubelet_https_set_to_false)$",
     "kubernetes/control-plane-insecure-flag", "kube-apiserver --kubelet-* flags (apiserver to kubelet connection)"),
    (r"^(kubelet_|rotate_kubelet_server_certificate)", "kubernetes/kubelet-insecure-config", "kubelet command flags in static pods / KubeletConfiguration fields"),
    (r"^(etcd_|auto_tls|peer_auto_tls|not_unique_certificate_authority)", "kubernetes/etcd-insecure-flag", "etcd static pod command flags"),
    (r"^(anonymous_auth|always_admit|always_pull_images|audit_|authorization_mode|basic_auth_file|client_certificate_authentication|encryption_provider|event_rate_limit|image_policy_webhook|insecure_bind|insecure_port|namespace_lifecycle|node_restriction|pod_security_policy_admission|profiling|request_timeout|secure_port|security_context_deny|service_account_admission|service_account_key_file|service_account_lookup|token_auth_file|tls_connection_certificate|weak_tls_cipher|bind_address|root_ca_file|service_account_private_key_file|terminated_pod_garbage|use_service_account_credentials)",
     "kubernetes/control-plane-insecure-flag", "kube-apiserver / kube-controller-manager / kube-scheduler static pod command flags (flag -> required value table)"),
    (r"^tiller_", "kubernetes/tiller-deployed", "Deployment/Service of Helm v2 tiller (image, labels, port 44134)"),
    (r"^dashboard_is_enabled$", "kubernetes/dashboard-deployed", "kubernetes-dashboard image / k8s-app label"),
    (r"^(secrets_as_environment_variables|using_kubernetes_native_secret_management)$", "kubernetes/secret-env-ref", "env[].valueFrom.secretKeyRef, envFrom.secretRef (pedantic)"),
    (r"^(image_without_digest|image_pull_policy_of_container_is_not_always)$", "kubernetes/image-not-digest", "containers[].image without @sha256, imagePullPolicy (pedantic)"),
    (r"^(cpu_requests_not_set|memory_requests_not_defined|pod_or_container_without_limit_range|pod_or_container_without_resource_quota)$",
     "kubernetes/no-resource-requests", "containers[].resources.requests; LimitRange/ResourceQuota in the namespace"),
    (r"^(service_with_external_load_balancer|service_type_is_nodeport|ingress_controller_exposes_workload)$", "kubernetes/service-exposed", "Service spec.type LoadBalancer/NodePort, Ingress backends (pedantic)"),
    (r"^(pod_misconfigured_network_policy|network_policy_is_not_targeting_any_pod|cni_plugin_does_not_support_network_policies)$", "kubernetes/no-network-policy", "NetworkPolicy podSelector vs workloads' labels in the same file set"),
    (r"^(service_account_name_undefined_or_empty|shared_service_account)$", "kubernetes/default-service-account", "pod spec.serviceAccountName unset/default or shared by several workloads"),
    (r"^pod_or_container_without_security_context$", "kubernetes/no-security-context", "pod and container securityContext present"),
    (r"^using_unrecommended_namespace$", "kubernetes/default-namespace", "metadata.namespace empty/default/kube-system for user workloads"),
    (r"^(liveness_probe|readiness_probe)", "kubernetes/no-probes", "containers[].livenessProbe/readinessProbe (hygiene)"),
    (r"", "kubernetes/hygiene", "availability/metadata hygiene, not security (no rule proposed)"),
]
PROPOSE_AWS = [
    (r"privilege_escalation_by_actions", "terraform/iam-privilege-escalation", "aws_iam_{user,group,role}_policy(_attachment) + policy documents: dangerous action sets; report at the principal, policy as related"),
    (r"alarm_missing", "terraform/cloudwatch-cis-alarms", "aws_cloudwatch_log_metric_filter pattern + aws_cloudwatch_metric_alarm per CIS monitoring item"),
    (r"(hardcoded|api_keys|encoded_private_key)", "terraform/hardcoded-credentials", "every string literal (environment, user_data incl. base64, container_definitions) through the secrets detectors"),
    (r"(aws_managed_key|without_kms|not_encrypted_with_kms|encryption_with_kms_is_disabled|log_files_not_encrypted_with_kms)",
     "terraform/no-customer-managed-key", "kms_key_id / kms_master_key_id / kms_key_arn set to a customer managed key (pedantic)"),
    (r"(_not_encrypted|encryption_disabled|sse_disabled|sse_not_configured|cache_not_encrypted|volume_not_encrypted|config_rule_for_encrypted)",
     "terraform/unencrypted-storage", "resource -> encryption attribute table (see reads)"),
    (r"(at_transit|node_to_node|https_disabled|no_ssl|transit_encryption|listening_on_http|insecure_protocols|viewer_protocol|accepts_http|without_ssl_certificate|redis_not_compliant|redis_disabled)",
     "terraform/unencrypted-in-transit", "listener protocol, viewer_protocol_policy, transit_encryption_enabled, enforce_https, ssl_mode…"),
    (r"(tls_1\.2|weak_ciphers|security_policy$|secure_ciphers|vulnerable_default_ssl|rsa_key_bytes|ca_certificate_identifier|certificate_has_expired)",
     "terraform/weak-tls", "ssl_policy / minimum_protocol_version / security_policy / ca_cert_identifier"),
    (r"(api_gateway_with_open_access|without_configured_authorizer|does_not_contains_an_api_key)", "terraform/api-unauthenticated",
     "aws_api_gateway_method authorization NONE / api_key_required, authorizers"),
    (r"(vulnerable_policy|policy_with_public_access|queue_exposed|topic_is_publicly_accessible|lambda_function_publicly_accessible|principal_is_wildcard|kms_key_with_full_permissions|sqs_policy_allows_all_actions|ses_policy_with_allowed_iam_actions|publicity_has_allow_and_not_action|policy_without_principal|allows_all_principals_to_assume|lambda_permission_misconfigured|lambda_iam_invokefunction|ami_shared_with_multiple|db_snapshot_public|public_lambda_via_api_gateway|cross_account_iam_assume_role)",
     "terraform/resource-policy-public", "policy / *_policy resources / aws_lambda_permission / snapshot attributes: principal * or cross-account without condition"),
    (r"(port_open|port_exposed|sensitive_port|default_security_groups_with|db_security_group|port_2383|remote_access_disabled)",
     "terraform/open-ingress", "aws_security_group(_rule), aws_vpc_security_group_ingress_rule, aws_default_security_group, aws_network_acl(_rule), aws_db_security_group, eks node group remote_access; port table incl. SMB/RPC/FTP"),
    (r"(publicly_accessible|has_public_ip|assigns_public_ip|public_interface|direct_internet_access|endpoint_config_is_not_private|rds_associated_with_public_subnet)",
     "terraform/public-endpoint", "publicly_accessible / associate_public_ip_address / map_public_ip_on_launch / subnet routing"),
    (r"(backup|point_in_time|deletion_protection|versioning|mfa_delete|deletion_window|cmk_is_unusable|cmk_rotation)", "terraform/no-backup-or-recovery", "backup_retention_period, deletion_protection, versioning, point_in_time_recovery, enable_key_rotation"),
    (r"(iam_|password|mfa|sso_|access_to_console|policies_attached_to_user|lambda_function_with_privileged_role|ecs_service_admin_role|public_and_private_ec2_share_role|root_account_has_active_access_keys|access_key_is_exposed|finegrain_access)",
     "terraform/iam-weak-config", "aws_iam_account_password_policy fields, MFA conditions, policies attached to users, admin roles on services, access keys"),
    (r"(logging|_log_|_logs_|log_types|cloudtrail|flowlogs|flow_logs|x-ray|xray|monitoring|container_insights|slow_logs|retention|guardduty|cloudwatch_metrics)",
     "terraform/logging-disabled", "per-resource logging attribute table (access_logs, logging block, enabled_cloudwatch_logs_exports, trail settings…)"),
    (r"(imdsv1|metadata)", "terraform/imdsv1-enabled", "aws_instance/aws_launch_template metadata_options.http_tokens"),
    (r"(waf|shield)", "terraform/no-waf", "aws_wafv2_web_acl_association / web_acl_id per front door"),
    (r"(privileged_container|network_mode)", "terraform/ecs-insecure-task", "container_definitions JSON: privileged, networkMode host"),
    (r"(cors|static_website)", "terraform/s3-insecure-website", "aws_s3_bucket(_cors_configuration|_website_configuration)"),
    (r"ami_owner_missing", "terraform/ami-owner-unpinned", "data aws_ami without owners (AMI name squatting)"),
    (r"(without_vpc|no_vpc|default_vpc|vpc_endpoint|without_network_firewall|route53_record|using_default_port|using_default_security_group|vpc_peering_route_table)",
     "terraform/network-hygiene", "vpc/subnet placement, default ports and groups, peering routes (low)"),
    (r"", "terraform/hygiene", "tags, descriptions, usage plans and other non-security settings (no rule proposed)"),
]


# ----------------------------------------------------------------------------- helpers

def pg_for(platform, slug):
    table = PG_KICS.get(platform, {})
    if slug in table:
        return table[slug]
    for pat, rule in table.items():
        if "*" in pat and re.fullmatch(pat.replace("*", ".*"), slug):
            return rule
    return ""


STOP = set("a an the is are be to of in on for with without not no set defined using use uses used by and or "
           "should must from has have does do enabled disabled enable disable configured ensure that all any its "
           "it if at as this your than more less aws google azure gcp azurerm".split())


def words(s):
    s = re.sub(r"([a-z])([A-Z])", r"\1 \2", s).lower().replace("-", " ").replace("_", " ")
    out = set()
    for w in re.findall(r"[a-z0-9]+", s):
        if w in STOP:
            continue
        for suf in ("ing", "ed", "es", "s"):
            if len(w) > 4 and w.endswith(suf):
                w = w[: -len(suf)]
                break
        out.add(w)
    return out


def sim(a, b):
    wa, wb = words(a), words(b)
    return len(wa & wb) / len(wa | wb) if wa and wb else 0.0


def checkov_list(path):
    """check id -> (title, set of entities)"""
    out = {}
    with open(path) as f:
        for line in f:
            cols = [c.strip() for c in line.split("|")]
            if len(cols) < 7 or not cols[2].startswith("CKV"):
                continue
            cid, entity, title = cols[2], cols[4], cols[5]
            t, ents = out.get(cid, (title, set()))
            ents.add(entity)
            out[cid] = (t, ents)
    return out


def fixture_facts(q, fixtures_cases, stage):
    """Resource types / kinds in the positive fixtures and the attribute on each expected line."""
    types, attrs = set(), []
    for rel, meta in fixtures_cases:
        if meta["kind"] != "pos":
            continue
        try:
            with open(os.path.join(stage, rel), errors="replace") as f:
                text = f.read()
        except OSError:
            continue
        lines = text.splitlines()
        types |= set(re.findall(r'^\s*resource\s+"([\w-]+)"', text, re.M))
        types |= set(re.findall(r'^\s*module\s+"[\w-]+"', text, re.M) and ["module"] or [])
        types |= set(re.findall(r"^kind:\s*([\w]+)", text, re.M))
        for ln in (meta.get("expected") or []) + (q.get("expected_any") or []):
            if not 1 <= ln <= len(lines):
                continue
            cur = None
            for i in range(ln - 1, -1, -1):
                m = re.match(r'\s*resource\s+"([\w-]+)"', lines[i])
                if m:
                    cur = m.group(1)
                    break
            m = re.match(r'\s*"?([A-Za-z_][\w-]*)"?\s*[=:{]', lines[ln - 1])
            rm = re.match(r'\s*resource\s+"([\w-]+)"', lines[ln - 1])
            if rm:
                attrs.append(f"{rm.group(1)} (missing setting)")
            elif m and cur:
                attrs.append(f"{cur}.{m.group(1)}")
            elif m:
                attrs.append(m.group(1))
    return types, sorted(set(attrs))


def main(fixtures, out, ck_list_path):
    with open(os.path.join(out, "cases.json")) as f:
        cases = json.load(f)
    stage = os.path.join(out, "stage")
    by_query = defaultdict(list)
    for rel, meta in cases["files"].items():
        by_query[(meta["source"], meta["key"])].append((rel, meta))
    ck_titles = checkov_list(ck_list_path)
    ck_results, _ = labelled.load_checkov(out)
    trivy = [q for q in cases["queries"] if q["source"] == "trivy"]
    trivy_by_plat = defaultdict(list)
    for t in trivy:
        trivy_by_plat[t["platform"]].append(t)

    rows = []
    for q in cases["queries"]:
        plat, src, slug = q["platform"], q["source"], q["slug"]
        fq = by_query[(src, q["key"])]
        types, attrs = fixture_facts(q, fq, stage)
        row = {"source": src, "platform": plat, "key": q["key"], "slug": slug, "name": q["name"],
               "severity": q["severity"], "pipeguard": "", "checkov": "", "checkov_basis": "", "hadolint": "",
               "trivy": "", "proposed": "", "reads": "", "ref": q.get("url", ""), "note": ""}
        if src == "kics":
            row["pipeguard"] = pg_for(plat, slug)
            if plat == "dockerfile":
                row["hadolint"] = HADOLINT_KICS.get(slug, "")
            manual = CK_MANUAL.get(plat, {})
            if slug in manual or "*" in manual or plat == "dockerfile":
                row["checkov"], row["checkov_basis"] = manual.get(slug, ""), "hand"
            elif PLATFORMS_CK.get(plat):
                row["checkov"], row["checkov_basis"] = auto_checkov(q, fq, types, ck_titles, ck_results, plat)
            if plat in ("terraform-aws", "terraform-gcp", "terraform-azure", "kubernetes"):
                cands = sorted(((sim(q["name"] + " " + slug, t["name"]), t["key"]) for t in trivy_by_plat[plat]
                                if not t.get("deprecated")), reverse=True)
                if cands and cands[0][0] >= 0.3:
                    row["trivy"] = cands[0][1]
            if plat in ("kubernetes", "terraform-aws"):
                base = ""
                if not row["pipeguard"]:
                    for pat, rule, reads in (PROPOSE_K8S if plat == "kubernetes" else PROPOSE_AWS):
                        if re.search(pat, slug):
                            row["proposed"], base = rule, reads
                            break
                detail = "; ".join(attrs[:8]) if attrs else ", ".join(sorted(types)[:6])
                row["reads"] = f"{base} [{detail}]" if detail else base
                if row["pipeguard"] and "privilege_escalation_by_actions" in slug:
                    row["note"] = "flagged by iam-wildcard at the policy; KICS expects the principal -> terraform/iam-privilege-escalation"
        elif src == "trivy":
            row["pipeguard"] = TRIVY_PG.get(q["key"], "")
            if plat == "dockerfile":
                row["checkov"], row["hadolint"] = TRIVY_DOCKER_PEERS.get(q["key"], ("", ""))
                row["checkov_basis"] = "hand"
            else:
                row["checkov"], row["checkov_basis"] = auto_checkov(q, fq, types, ck_titles, ck_results, plat)
            if q.get("deprecated"):
                row["note"] = "deprecated in trivy-checks (not counted)"
        elif src == "hadolint":
            row["pipeguard"] = HADOLINT_PG.get(q["key"], "")
            row["hadolint"] = q["key"]
            row["checkov"], row["checkov_basis"] = HADOLINT_CK.get(q["key"], ""), "hand"
        rows.append(row)
    w = csv.DictWriter(sys.stdout, fieldnames=list(rows[0].keys()), lineterminator="\n")
    w.writeheader()
    for r in sorted(rows, key=lambda r: (r["source"], r["platform"], r["slug"])):
        w.writerow(r)


PLATFORMS_CK = {"kubernetes": "CKV_K8S", "terraform-aws": "CKV", "terraform-gcp": "CKV", "terraform-azure": "CKV"}
PROVIDER_PREFIX = {"terraform-aws": ("CKV_AWS_", "CKV2_AWS_", "CKV_SECRET_"), "terraform-gcp": ("CKV_GCP_", "CKV2_GCP_", "CKV_SECRET_"),
                   "terraform-azure": ("CKV_AZURE_", "CKV2_AZURE_", "CKV_SECRET_"), "kubernetes": ("CKV_K8S_", "CKV2_K8S_", "CKV_SECRET_")}


def auto_checkov(q, fq, types, ck_titles, ck_results, plat):
    prefixes = PROVIDER_PREFIX[plat]
    scored = []
    for cid, (title, ents) in ck_titles.items():
        if not cid.startswith(prefixes):
            continue
        if plat != "kubernetes" and types and not (ents & types) and "module" not in types:
            continue
        s = sim(q["name"] + " " + q["slug"], title)
        if s >= 0.34:
            scored.append((s, cid))
    scored.sort(reverse=True)
    if not scored:
        return "", "auto"
    best = [scored[0][1]]
    # a second candidate only when checkov's own results agree with the labels
    for s, cid in scored[1:4]:
        r = labelled.score(q, fq, ck_results, {cid})
        if r["exp"] and r["line"] * 2 >= r["exp"] and r["fp"] == 0:
            best.append(cid)
    return " ".join(best), "auto"


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
