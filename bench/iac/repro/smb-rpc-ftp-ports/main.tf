# Expected: terraform/open-ingress three times — SMB (445), MS RPC (135) and FTP (21) open to
# the internet are as dangerous as SSH/RDP.
resource "aws_security_group" "files" {
  name = "files"
  ingress {
    from_port   = 445
    to_port     = 445
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
  ingress {
    from_port   = 135
    to_port     = 135
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
  ingress {
    from_port   = 21
    to_port     = 21
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
