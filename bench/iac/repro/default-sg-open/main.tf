# Expected: terraform/open-ingress on the ingress block — aws_default_security_group takes the
# same ingress blocks as aws_security_group.
resource "aws_default_security_group" "default" {
  vpc_id = "vpc-123456"
  ingress {
    protocol    = "-1"
    from_port   = 0
    to_port     = 0
    cidr_blocks = ["0.0.0.0/0"]
  }
}
