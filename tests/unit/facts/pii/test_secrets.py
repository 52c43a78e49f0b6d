"""gate.facts.pii.secrets: keyword assignments in every operator and quoting style, vendor token formats,
basic-auth URLs and JWTs found; placeholders, templates, variable names, code and prose not.

The cases are generated here (seeded), not taken from detect-secrets' suite; benchmarks/pii_peers.py
measures gate on the peer's own cases. Floors are a little below what the generator gives today."""

from __future__ import annotations

import base64
import json
import random
import string
import sys
from pathlib import Path

import pytest

FLOOR = 0.5  # the shipped policy's org.pii.min_confidence


def secrets_in(text: str) -> list:
    from gate.data.segments import text_segment
    from gate.facts.pii import Scanner

    segment = text_segment(text.encode("utf-8", "surrogateescape"), 0)
    return [f for f in Scanner(b"k" * 32).scan_segment(segment, "t") if f.confidence >= FLOOR and f.type == "SECRET"]


def _secret(rng: random.Random, n: int = 20) -> str:
    alphabet = string.ascii_letters + string.digits + "!#%&*+-.:=?@^_~"
    while True:
        value = "".join(rng.choice(alphabet) for _ in range(n))
        if any(c.isdigit() for c in value) and any(c.isalpha() for c in value):
            return value


NAMES = ["password", "db_password", "api_key", "apikey", "secret", "client_secret", "auth_token", "private_key",
         "passwd", "pwd", "my_password_secure", "AWS_SECRET_ACCESS_KEY", "access_key", "db_pass", "secret_key"]
FORMS = ['{n} = "{v}"', "{n} = '{v}'", "{n}: {v}", '{n}: "{v}"', "{n}={v}", '{n} := "{v}"', "{n} := {v}",
         '{n} => "{v}"', '"{n}": "{v}",', "'{n}': '{v}'", '{n} "{v}";', 'if ({n} == "{v}") {{', 'if ("{v}" == {n})',
         'if ("{v}" !== {n}) {{', '{n}[] = @"{v}";', 'std::string {n}("{v}");', "export {n}={v}", "{n} = `{v}`",
         "  {n}: {v}  # rotated monthly", 'config.{n} = "{v}"', '--{n} "{v}"']


def test_keyword_assignments_in_every_operator_and_quoting_style():
    rng = random.Random(11)
    cases = [(form.format(n=name, v=_secret(rng, rng.randint(10, 40))), name) for form in FORMS for name in NAMES]
    found = [line for line, _ in cases if secrets_in(line)]
    assert len(found) / len(cases) >= 0.97, sorted(set(cases) - {(f, n) for f, n in cases if f in found})[:10]


NOT_SECRETS = [
    "password: ${DB_PASSWORD}", 'api_key = "{{ vault_api_key }}"', "token: $GITHUB_TOKEN", "password = %(pw)s",
    "password: <your password here>", 'secret = "changeme"', 'api_key = "your_api_key_here"', "password: ********",
    'password = "xxxxxxxxxxxx"', "api_key = os.environ['API_KEY']", "password = get_password(user)",
    "secret = settings.SECRET_KEY", "token = request.headers.get('Authorization')", "password = None",
    'password = "somefakepassword"', "secret: insert_secret_here", "password: real_password",
    'tokenizer: "bert-base-uncased"', '"max_tokens": 4096,', "token_count = 512", "password_hint: favourite colour",
    "Please reset your password before Monday.", "The token expired, so the client asked for a new one.",
    'raise TokenError("EOF in multi-line string")', 'message = "token " + str(value) + " is not valid"',
    'log("password for %s on %s: " % (user, host))', "pwd = os.getcwd()", "if token == 'lambda':",
    "alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'", "digits = '0123456789abcdef'",
    '"checksum": "a4337bc45a8fc544c03f52dc550cd6e1"', "https://user:${PASSWORD}@example.org/repo.git",
    "//registry.npmjs.org/:_authToken=${NPM_TOKEN}", "eyJAAAA.eyJBBB", "glpat-short",
]


@pytest.mark.parametrize("line", NOT_SECRETS)
def test_placeholders_templates_variables_code_and_prose_are_not_secrets(line):
    assert secrets_in(line) == [], line


def _token(rng: random.Random, chars: str, n: int) -> str:
    return "".join(rng.choice(chars) for _ in range(n))


def test_vendor_tokens_by_their_format_and_not_beside_it():
    rng = random.Random(5)
    alnum = string.ascii_letters + string.digits
    hexd = "0123456789abcdef"
    good = {
        "aws": "AKIA" + _token(rng, string.ascii_uppercase + string.digits, 16),
        "github": "ghp_" + _token(rng, alnum, 36),
        "gitlab": "glpat-" + _token(rng, alnum + "_-", 20),
        "slack": "xoxb-" + _token(rng, string.digits, 12) + "-" + _token(rng, alnum, 24),
        "stripe": "sk_live_" + _token(rng, alnum, 24),
        "sendgrid": "SG." + _token(rng, alnum, 22) + "." + _token(rng, alnum, 43),
        "mailchimp": _token(rng, hexd, 32) + "-us12",
        "twilio": "SK" + _token(rng, hexd, 32),
        "telegram": "123456789:AA" + _token(rng, alnum, 33),
        "pypi": "pypi-AgEIcHlwaS5vcmc" + _token(rng, alnum, 160),
        "discord": "MT" + _token(rng, alnum, 22) + "." + _token(rng, alnum, 6) + "." + _token(rng, alnum, 27),
        "square": "sq0csp-" + _token(rng, alnum, 43),
        "openai": "sk-proj-" + _token(rng, alnum, 40),
        "google": "AIza" + _token(rng, alnum, 35),
    }
    for name, token in good.items():
        assert secrets_in(f"deploy with {token} today"), name
    near = ["AKIA" + _token(rng, string.ascii_uppercase, 12), "glpat-" + _token(rng, alnum, 12),
            "SG." + _token(rng, alnum, 10) + "." + _token(rng, alnum, 10), "bot123456789:AA" + _token(rng, alnum, 33),
            "gh_" + _token(rng, alnum, 36), "glptt-" + _token(rng, alnum, 30)]
    for token in near:
        assert secrets_in(f"deploy with {token} today") == [], token


def test_basic_auth_url_is_a_secret_not_an_email():
    from gate.data.segments import text_segment
    from gate.facts.pii import Scanner

    line = "git clone https://deploy:Zq8rT2mW9x@git.example.org/repo.git"
    findings = Scanner(b"k" * 32).scan_segment(text_segment(line.encode(), 0), "t")
    assert [f.type for f in findings if f.confidence >= FLOOR] == ["SECRET"]
    assert "Zq8rT2mW9x" not in repr(findings)


def _b64(document: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(document).encode()).decode().rstrip("=")


def test_jwts_signed_or_not_and_not_their_look_alikes():
    header, claims = _b64({"alg": "HS256", "typ": "JWT"}), _b64({"sub": "1234567890", "name": "Jane"})
    assert secrets_in(f"Authorization: {header}.{claims}.c2lnbmF0dXJlc2lnbmF0dXJl")
    assert secrets_in(f"token {header}.{claims}")  # unsigned: still a bearer of claims
    assert secrets_in(f"{_b64({'alg': 'none'})}.{claims}.")
    assert secrets_in(f"{_b64({'kid': 1})}.{claims}.abc") == []  # no JOSE header
    assert secrets_in(f"{header}.bm90IGpzb24gYXQgYWxs.abcdefgh") == []


def test_quoted_high_entropy_strings_at_detect_secrets_limits():
    rng = random.Random(3)
    b64 = base64.b64encode(bytes(rng.randrange(256) for _ in range(45))).decode()
    assert secrets_in(f'blob = "{b64}"')
    assert secrets_in(f"blob = '{b64}'")
    assert secrets_in(f"blob = {b64[:24]}") == []  # unquoted, no keyword: a value like any other
    assert secrets_in('blob = "c3VwZXIgc2VjcmV0"') == []  # too short for 4.5 bits per character
    assert secrets_in(f'aws_token_hex = "{_token(rng, "0123456789abcdef", 40)}"')  # hex beside a credential word


def test_source_code_raises_almost_no_secret():
    """The interpreter's own standard library (code is training data too): at most a few findings."""
    stdlib = Path(sys.modules["os"].__file__).parent
    files = sorted(stdlib.glob("*.py"))[:200]
    text = "".join(f.read_text(encoding="utf-8", errors="replace") for f in files)
    assert len(text) > 2_000_000
    found = secrets_in(text)
    assert len(found) <= 3, [f.preview for f in found]
