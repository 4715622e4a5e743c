"""Well-formed fake credentials for the secrets benchmark. Every value is random at run time
(seeded), so nothing here is a real key; formats follow the providers' documented shapes."""
import base64
import json
import random
import string
import zlib

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"


class Fakes:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def s(self, alphabet, n):
        while True:
            v = "".join(self.r.choice(alphabet) for _ in range(n))
            low = v.lower()
            # Keep clear of placeholder-looking runs so recall measures formats, not luck.
            if not any(c * 5 in low for c in set(low)) and not any(
                w in low for w in ("xxxx", "test", "fake", "example", "dummy", "sample", "your")
            ):
                return v

    def gh(self, prefix):
        body = self.s(ALNUM, 30)
        n = zlib.crc32(body.encode()) & 0xFFFFFFFF
        out = ""
        while n:
            out = B62[n % 62] + out
            n //= 62
        return prefix + body + out.rjust(6, "0")

    def uuid(self):
        h = self.s(HEX, 32)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"

    def jwt(self):
        enc = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).decode().rstrip("=")
        head = enc({"alg": "HS256", "typ": "JWT"})
        body = enc({"sub": self.s(ALNUM, 10), "iat": 1700000000 + self.r.randint(0, 10**7), "role": "admin"})
        return f"{head}.{body}.{self.s(B64URL, 43)}"

    def pem(self):
        lines = [self.s(B64, 64) for _ in range(8)]
        return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(["MIIEow" + lines[0][6:]] + lines[1:]) + "\n-----END RSA PRIVATE KEY-----"

    def kinds(self):
        """kind -> (line template, value). `{v}` is replaced by the value."""
        u = self.s
        aws_id = "AKIA" + u(string.ascii_uppercase + "234567", 16)
        return {
            "aws-access-key-id": ('aws_access_key_id = "{v}"', aws_id),
            "aws-secret-access-key": ("aws_secret_access_key = {v}", u(B64, 40)),
            "github-pat": ('GITHUB_TOKEN = "{v}"', self.gh("ghp_")),
            "github-oauth": ('oauth_token = "{v}"', self.gh("gho_")),
            "github-fine-grained": ('GH_PAT = "{v}"', "github_pat_11" + u(string.ascii_uppercase + string.digits, 20) + "_" + u(ALNUM, 59)),
            "gitlab-pat": ('GITLAB_TOKEN = "{v}"', "glpat-" + u(B64URL, 20)),
            "slack-bot-token": ('SLACK_BOT_TOKEN = "{v}"', f"xoxb-{u(string.digits, 12)}-{u(string.digits, 13)}-{u(ALNUM, 24)}"),
            "slack-webhook": ('SLACK_WEBHOOK = "{v}"', f"https://hooks.slack.com/services/T{u(string.ascii_uppercase + string.digits, 10)}/B{u(string.ascii_uppercase + string.digits, 10)}/{u(ALNUM, 24)}"),
            "stripe-live-key": ('stripe.api_key = "{v}"', "sk_live_" + u(ALNUM, 99)),
            "google-api-key": ('GOOGLE_API_KEY = "{v}"', "AIza" + u(B64URL, 35)),
            "sendgrid-key": ('SENDGRID_API_KEY = "{v}"', f"SG.{u(B64URL, 22)}.{u(B64URL, 43)}"),
            "twilio-api-key": ('TWILIO_API_KEY = "{v}"', "SK" + u(HEX, 32)),
            "npm-token": ("//registry.npmjs.org/:_authToken={v}", self.gh("npm_")),
            "pypi-token": ('PYPI_TOKEN = "{v}"', "pypi-AgEIcHlwaS5vcmc" + u(B64URL, 70)),
            "shopify-token": ('SHOPIFY_TOKEN = "{v}"', "shpat_" + u(HEX, 32)),
            "vault-token": ('VAULT_TOKEN = "{v}"', "hvs.CAESI" + u(B64URL, 86)),
            "openai-key": ('OPENAI_API_KEY = "{v}"', "sk-proj-" + u(B64URL, 64) + "T3BlbkFJ" + u(B64URL, 64)),
            "anthropic-key": ('ANTHROPIC_API_KEY = "{v}"', "sk-ant-api03-" + u(B64URL, 93) + "AA"),
            "private-key": ("{v}", self.pem()),
            "jwt": ('AUTH_JWT = "{v}"', self.jwt()),
            "postgres-url": ('DATABASE_URL = "{v}"', f"postgres://app:{u(ALNUM, 18)}@db.internal:5432/app"),
            "mailgun-key": ('MAILGUN_API_KEY = "{v}"', "key-" + u(HEX, 32)),
            "digitalocean-token": ('DO_TOKEN = "{v}"', "dop_v1_" + u(HEX, 64)),
            "huggingface-token": ('HF_TOKEN = "{v}"', "hf_" + u(string.ascii_letters, 34)),
            "databricks-token": ('DATABRICKS_TOKEN = "{v}"', "dapi" + u(HEX, 32)),
            "azure-storage-key": ('AZURE_STORAGE_CONNECTION_STRING = "{v}"', f"DefaultEndpointsProtocol=https;AccountName=acme;AccountKey={u(B64, 86)}==;EndpointSuffix=core.windows.net"),
            "dockerhub-pat": ('DOCKERHUB_TOKEN = "{v}"', "dckr_pat_" + u(B64URL, 27)),
            "telegram-bot-token": ('TELEGRAM_BOT_TOKEN = "{v}"', f"{u(string.digits, 10)}:AA{u(B64URL, 33)}"),
            "discord-webhook": ('DISCORD_WEBHOOK = "{v}"', f"https://discord.com/api/webhooks/{u(string.digits, 18)}/{u(B64URL, 68)}"),
            "age-secret-key": ("{v}", "AGE-SECRET-KEY-1" + u("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58)),
            "grafana-sa-token": ('GRAFANA_TOKEN = "{v}"', f"glsa_{u(ALNUM, 32)}_{u(HEX, 8)}"),
            "newrelic-user-key": ('NEW_RELIC_API_KEY = "{v}"', "NRAK-" + u(string.ascii_uppercase + string.digits, 27)),
            "sentry-user-token": ('SENTRY_AUTH_TOKEN = "{v}"', "sntryu_" + u(HEX, 64)),
            "pulumi-token": ('PULUMI_ACCESS_TOKEN = "{v}"', "pul-" + u(HEX, 40)),
            "linear-api-key": ('LINEAR_API_KEY = "{v}"', "lin_api_" + u(ALNUM, 40)),
            "password-assignment": ('db_password = "{v}"', u(ALNUM, 12) + "!" + u(ALNUM, 6)),
        }

    def decoys(self):
        """Values that are NOT credentials: placeholders, documented examples, hashes, UUIDs."""
        return [
            'aws_access_key_id = "AKIAIOSFODNN7EXAMPLE"',
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            'GITHUB_TOKEN = "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"',
            "token: ${{ secrets.GITHUB_TOKEN }}",
            'api_key = "<your-api-key>"',
            'password = "${DB_PASSWORD}"',
            "set PASSWORD=%DB_PASSWORD%",
            'secret = "changeme"',
            f'request_id = "{self.uuid()}"',
            f'api_key = "{self.uuid()}"',
            f'commit_sha = "{self.s(HEX, 40)}"',
            f'token_hash = "{self.s(HEX, 64)}"',
            '"integrity": "sha512-' + self.s(B64, 86) + '=="',
            f'digest = "sha256:{self.s(HEX, 64)}"',
            'password = os.environ["DB_PASSWORD"]',
            "secret_key = settings.SECRET_KEY",
        ]
