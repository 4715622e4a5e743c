# Expected: a public-resource-policy finding on each Principal "*" statement without a
# condition (SQS jsonencode, SNS heredoc JSON, KMS key policy).
resource "aws_sqs_queue_policy" "q" {
  queue_url = "https://sqs.eu-west-1.amazonaws.com/123456789012/q"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = "*", Action = "sqs:*", Resource = "*" }]
  })
}

resource "aws_sns_topic_policy" "t" {
  arn    = "arn:aws:sns:eu-west-1:123456789012:t"
  policy = <<POLICY
{
  "Version": "2012-10-17",
  "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "SNS:Publish", "Resource": "*"}]
}
POLICY
}

resource "aws_kms_key" "k" {
  description = "k"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { AWS = "*" }, Action = "kms:*", Resource = "*" }]
  })
}
