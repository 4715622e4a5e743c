# Expected: terraform/s3-unencrypted on the configuration — a rule block without
# apply_server_side_encryption_by_default sets no algorithm at all.
resource "aws_s3_bucket" "data" {
  bucket = "example-data"
}

resource "aws_s3_bucket_server_side_encryption_configuration" "data" {
  bucket = aws_s3_bucket.data.id
  rule {}
}
