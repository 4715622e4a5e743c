# Expected: no terraform/unencrypted-storage. Aurora Serverless v1 clusters (engine_mode
# "serverless") are always encrypted at rest; storage_encrypted cannot be false for them.
resource "aws_rds_cluster" "app" {
  cluster_identifier   = "app"
  engine               = "aurora-postgresql"
  engine_mode          = "serverless"
  master_username      = "app"
  manage_master_user_password = true
}
