"""Fresh, well-formed credentials of many kinds, made up for each test run.

Each maker returns a secret that passes its provider's own format checks (prefix, length,
checksum where the format has one), random enough that no confidence rule mistakes it for a
test vector. None of them was ever issued.
"""

from __future__ import annotations

import base64
import binascii
import json
import random
import secrets
import string

ALNUM = string.ascii_letters + string.digits
BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
LOWER_HEX = "0123456789abcdef"


def pick(alphabet: str, size: int) -> str:
    """``size`` random characters of ``alphabet``, with a digit and a letter in them when the
    alphabet has both."""
    mixed = any(c.isdigit() for c in alphabet) and any(c.isalpha() for c in alphabet)
    while True:
        value = "".join(secrets.choice(alphabet) for _ in range(size))
        if not mixed or (any(c.isdigit() for c in value) and any(c.isalpha() for c in value)):
            return value


def checksummed(prefix: str) -> str:
    """A GitHub/npm-style token: 30 random characters and their base62 CRC32."""
    body = pick(ALNUM, 30)
    number = binascii.crc32(body.encode())
    digits = ""
    while number:
        number, rest = divmod(number, 62)
        digits = BASE62[rest] + digits
    return prefix + body + digits.rjust(6, "0")


def private_key_block(kind: str = "RSA") -> str:
    """A PEM block shaped like a private key of ``kind`` ("" for PKCS#8) with a random body."""
    label = f"{kind} PRIVATE KEY".strip()
    body = base64.b64encode(secrets.token_bytes(600)).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "\n".join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----"]) + "\n"


def jwt() -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    header = part({"alg": "HS256", "typ": "JWT"})
    claims = part({"sub": pick(ALNUM, 12), "iat": 1780000000, "scope": "deploy"})
    signature = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
    return f"{header}.{claims}.{signature}"


def password() -> str:
    """A generated password; it starts with a letter, as detect-secrets' keyword plugin wants."""
    return secrets.choice(string.ascii_letters) + pick(ALNUM + "!#%&*+", 19)


#: kind -> maker of a value of that kind
TOKENS = {
    "AWS Access Key": lambda: "AKIA" + pick(string.ascii_uppercase + "234567", 16),
    "GitHub Token": lambda: checksummed("ghp_"),
    "GitLab Token": lambda: "glpat-" + pick(ALNUM, 20),
    "Mailchimp Access Key": lambda: pick(LOWER_HEX, 32) + "-us12",
    "OpenAI Token": lambda: "sk-proj-" + pick(ALNUM, 20) + "T3BlbkFJ" + pick(ALNUM, 20),
    "PyPI Token": lambda: "pypi-AgEIcHlwaS5vcmc" + pick(ALNUM + "-_", 80),
    "SendGrid API Key": lambda: "SG." + pick(ALNUM, 22) + "." + pick(ALNUM, 43),
    "Slack Token": lambda: f"xoxb-{random.randint(10**10, 10**11)}-"
    f"{random.randint(10**10, 10**11)}-" + pick(ALNUM, 24),
    "Stripe Access Key": lambda: "sk_live_" + pick(ALNUM, 24),
    "Telegram Bot Token": lambda: f"{random.randint(10**8, 10**9)}:AA" + pick(ALNUM, 33),
    "Twilio API Key": lambda: "SK" + pick(string.ascii_lowercase + string.digits, 32),
    "Discord Bot Token": lambda: "M" + pick(ALNUM, 23) + "." + pick(ALNUM, 6) + "."
    + pick(ALNUM, 27),
    "Square OAuth Secret": lambda: "sq0csp-" + pick(ALNUM, 43),
    "GitHub Fine-Grained Token": lambda: "github_pat_" + pick(ALNUM, 22) + "_" + pick(ALNUM, 59),
    "Anthropic API Key": lambda: "sk-ant-api03-" + pick(ALNUM, 93) + "AA",
    "npm Access Token": lambda: checksummed("npm_"),
    "Google API Key": lambda: "AIza" + pick(ALNUM, 35),
    "Hugging Face Token": lambda: "hf_" + pick(string.ascii_letters, 34),
    "DigitalOcean Token": lambda: "dop_v1_" + pick(LOWER_HEX, 64),
    "Databricks Token": lambda: "dapi" + pick(LOWER_HEX, 32),
    "HashiCorp Vault Token": lambda: "hvs." + pick(ALNUM, 95),
    "Shopify Token": lambda: "shpat_" + pick(LOWER_HEX, 32),
    "Age Secret Key": lambda: "AGE-SECRET-KEY-1" + pick("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58),
    "Grafana Token": lambda: "glsa_" + pick(ALNUM, 32) + "_" + pick(LOWER_HEX, 8),
    "Doppler Token": lambda: "dp.pt." + pick(ALNUM, 43),
    "PlanetScale Token": lambda: "pscale_tkn_" + pick(ALNUM, 43),
    "Linear API Key": lambda: "lin_api_" + pick(ALNUM, 40),
    "Sentry Token": lambda: "sntryu_" + pick(LOWER_HEX, 64),
    "Postman API Key": lambda: "PMAK-" + pick(LOWER_HEX, 24) + "-" + pick(LOWER_HEX, 34),
    "Alibaba Cloud AccessKey ID": lambda: "LTAI" + pick(ALNUM, 20),
    "Perplexity API Key": lambda: "pplx-" + pick(ALNUM, 48),
}
