# Expected: a credential finding for each literal below (by value, whatever the argument name):
# an access key id in an environment variable named foo, a password in ECS
# container_definitions, a GitHub Actions secret's plaintext_value, a raw disk encryption key.
resource "aws_lambda_function" "fn" {
  function_name = "fn"
  role          = "arn:aws:iam::123456789012:role/fn"
  handler       = "index.handler"
  runtime       = "nodejs20.x"
  filename      = "fn.zip"
  environment {
    variables = {
      foo = "AKIAQX7B2NTM4RZ6VWKP"
    }
  }
}

resource "aws_ecs_task_definition" "app" {
  family = "app"
  container_definitions = jsonencode([{
    name  = "app"
    image = "example/app:1.2.3"
    environment = [{ name = "DATABASE_PASSWORD", value = "Zq8!vLr2#pW6xT" }]
  }])
}

resource "github_actions_secret" "deploy" {
  repository      = "app"
  secret_name     = "DEPLOY_TOKEN"
  plaintext_value = "Vb7#kQ2m!Tz9pL4w"
}

resource "google_compute_disk" "data" {
  name = "data"
  zone = "europe-west1-b"
  disk_encryption_key {
    raw_key = "SGVsbG8gdGhpcyBpcyBhIGZha2Uga2V5IDMyIGJ5dGVzIQ=="
  }
}
