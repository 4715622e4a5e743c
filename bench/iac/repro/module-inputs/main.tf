# Expected: terraform/unencrypted-storage on storage_encrypted (line 8) and
# terraform/public-database on publicly_accessible (line 9): the inputs of a known registry
# module map onto the aws_db_instance it creates.
module "db" {
  source              = "terraform-aws-modules/rds/aws"
  version             = "6.10.0"
  identifier          = "app"
  storage_encrypted   = false
  publicly_accessible = true
}
