# Expected: terraform/public-database on publicly_accessible (line 5) —
# aws_neptune_cluster_instance has the same attribute as aws_db_instance.
resource "aws_neptune_cluster_instance" "graph" {
  cluster_identifier  = "graph"
  instance_class      = "db.r5.large"
  publicly_accessible = true
}
