"""Secrets: keyword assignments in every operator and quoting style, vendor token formats, basic-auth
URLs, JWTs (signed or not), private keys and quoted high-entropy strings.

Each pattern is a Hyperscan expression (and, anchored at the end Hyperscan reports, a Python ``re``
one: the scanner finds where a match starts with it); its validator takes the candidate apart and
refuses what is not a secret: placeholders (``xxxx``, ``<token>``, ``changeme``, ``your_key_here``, a
value saying it is fake or an example), template variables (``${NPM_TOKEN}``, ``{{ secret }}``,
``%(pw)s``, ``$API_KEY``) and variable names (``password = real_key``, ``os.environ[...]``).

The keyword list follows detect-secrets' KeywordDetector denylist (a test keeps the two in step);
the token formats follow the vendors' published formats, as detect-secrets' plugins and gitleaks'
default rules describe them (``GITLEAKS_RULES`` names the gitleaks rule ids covered).
"""

from __future__ import annotations

import base64
import json
import math
import re
from collections import Counter
from functools import lru_cache
from typing import Callable

Verdict = "tuple[str, float, str] | None"


def shannon_entropy(value: str) -> float:
    """Bits per character (detect-secrets' measure)."""
    if not value:
        return 0.0
    counts = Counter(value)
    length = len(value)
    return -sum(c / length * math.log2(c / length) for c in counts.values())


# ---------------------------------------------------------------- what is not a secret
_PLACEHOLDER_WORDS = re.compile(
    r"fake|dummy|placeholder|changeme|change_me|redacted|insert[_ -]?\w*[_ -]?here|your[_-]"
    r"|(?:^|[\W_])(?-i:example|sample)(?:$|[\W_])"
    r"|^(?:your|my)\w*$|^(?:none|null|nil|undefined|true|false|password|secret|token|todo|tbd|test|string"
    r"|abc123|123456|12345678|qwerty|letmein|admin)$", re.I)
_TEMPLATE = re.compile(
    r"^(?:\$\{[^}]*\}|\$\([^)]*\)|\{\{.*\}\}|\{%.*%\}|<%.*%>|%\(\w+\)[sd]|%[A-Za-z_]+%|\$[A-Za-z_][A-Za-z0-9_]*"
    r"|<[^<>]+>|\[[A-Za-z _-]+\]|@[A-Za-z_]+@|#\{[^}]*\}|\{[A-Za-z_][\w.]*\})$")
_FILLER = re.compile(r"^(.)\1*$|x{5,}|X{5,}|\*{3,}|\.{3,}|_{4,}|0{8,}", re.S)
_VARIABLE = re.compile(
    r"^(?:_*[a-z][a-z0-9]*(?:_[a-z0-9]+)+|[a-z]+(?:[A-Z][a-z0-9]+)+|[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+(?:\(\))?"
    r"|[A-Za-z_]\w*\([^()]*\)|[A-Za-z_]\w*\[[^\]]*\]|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[a-z]+(?:-[a-z]+)+"
    r"|[A-Z]+[a-z]+(?:[A-Z]+[a-z]*)+)$")


_FORMAT = re.compile(r"%[-+ #0]*\d*(?:\.\d+)?[sdifrxXeEgGc](?:\W|$)|%\(\w+\)[sdr]|\{\d*\}")
_NAMED_FIELD = re.compile(r"\{[A-Za-z_]\w*(?:![rsa])?(?::[^{}]*)?\}")
_EXPRESSION = re.compile(r"^(?:[(\[{]?[A-Za-z_$][\w$]*(?:\.[A-Za-z_][\w$]*)*(?:[(\[]|\.[A-Za-z_])|[(\[][A-Za-z_])")


def sequential(value: str) -> bool:
    """An alphabet or a run of digits (``ABCDEFGH…``, ``0123456789abcdef``): high entropy, no secret.
    A few runs of consecutive characters make the whole value."""
    breaks = sum(1 for a, b in zip(value, value[1:]) if ord(b) - ord(a) != 1)
    return len(value) >= 8 and breaks <= max(3, len(value) // 8)


def not_a_secret(value: str) -> bool:
    """A placeholder, a template variable, a format string, a variable name, or no letter or digit."""
    if not any(c.isalnum() for c in value):
        return True
    return bool(_TEMPLATE.match(value) or _PLACEHOLDER_WORDS.search(value) or _FILLER.search(value)
                or _FORMAT.search(value) or " " in value and _NAMED_FIELD.search(value) or sequential(value)
                or _VARIABLE.match(value) and not any(c.isdigit() for c in value))


def _one_word(value: str) -> bool:
    """Letters of one case only: a word of prose or code as often as a password."""
    return value.isalpha() and (value.islower() or value.isupper() or value.istitle())


# ---------------------------------------------------------------- keyword assignments
# detect-secrets' KeywordDetector denylist (its ASCII entries), plus token words; written out so the
# scanner does not import detect-secrets.
SECRET_KEYWORDS = (
    "api_?key", "auth_?key", "service_?key", "account_?key", "db_?key", "database_?key", "priv_?key",
    "private_?key", "client_?key", "db_?pass", "database_?pass", "key_?pass", "password", "passwd", "pwd",
    "secret", "contrasena",
    "token", "api_?secret", "access_?key", "secret_?key", "client_?secret", "auth_?token", "bearer",
)


def _keywords() -> bytes:
    words = sorted({w.replace("_?", "[_-]?") for w in SECRET_KEYWORDS})
    return ("(?:" + "|".join(words) + ")").encode()


_KEYWORD = re.compile(_keywords().decode(), re.I)
_QUOTED = rb"""(?:"[^"\r\n]{1,256}"|'[^'\r\n]{1,256}'|`[^`\r\n]{1,256}`)"""
_NAME_TAIL = rb"[A-Za-z0-9_.-]{0,40}"
_OPERATOR = rb"(?:===?|!==?|:=|=>|::?|=)"
KEYWORD_FORWARD = (_keywords() + _NAME_TAIL + rb"(?:\[\d*\])?[\"'`]?[ \t]*" + _OPERATOR + rb"[ \t]*@?(?:"
                   + _QUOTED + rb"|[^\s\"'`]{4,256})")
"""``password = "…"``, ``api_key: …``, ``db_pass := …``, ``password => "…"``, ``if (apikey == "…")``,
``secret[] = @"…"``: a keyword (any prefix or suffix), an operator, a value."""
KEYWORD_SPACED = _keywords() + _NAME_TAIL + rb"(?:[ \t]+|[ \t]*\([ \t]*|\.assign\([ \t]*)@?" + _QUOTED
"""``password "…";``, ``std::string secret("…")``, ``secrete.assign("…", 17)``: a quoted value."""
KEYWORD_REVERSED = _QUOTED + rb"[ \t]*(?:===?|!==?)[ \t]*[A-Za-z0-9_.-]{0,40}" + _keywords()
"""``if ("…" == password)``: the value first."""

_VALUE_AT_START = re.compile(r"""^(?:"([^"]*)"|'([^']*)'|`([^`]*)`)""")


_TOKEN_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-+/=.")


def _cut(after: bytes) -> bool:
    """Whether a match ends where its token does: Hyperscan reports every end of a repeat, and a
    shorter end inside a token (``${li`` of ``${link}``) is not a value of its own."""
    return not after or after[0] not in _TOKEN_CHARS and after[:1] not in (b"}", b")", b"]", b"$", b"@", b"#",
                                                                            b"%", b"!", b"*", b"&", b"~", b"?",
                                                                            b"(", b"[", b"{")


def _operand(after: bytes) -> bool:
    """An unquoted value followed by an operator is an operand of an expression (``Ignore + Plain``)."""
    return after[:1] == b" " and after[1:2] in (b"+", b"-", b"*", b"/", b"%", b"|", b"&", b"<", b">", b"=", b"?")


_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def _unquoted_confidence(value: str) -> float:
    """An unquoted value in running text may be a word: ``password: forgotten`` is prose."""
    classes = sum((any(c.islower() for c in value), any(c.isupper() for c in value),
                   any(c.isdigit() for c in value), any(not c.isalnum() for c in value)))
    return 0.85 if classes >= 2 and len(value) >= 6 else 0.4  # one word of one case: prose as often


def _judge_value(value: str, quoted: bool) -> "tuple[str, float, str] | None":
    if not quoted:
        value = value.rstrip(",;:'\"`)")
        while value[-1:] in ("}", "]") and value.count(value[-1]) > value.count("{" if value[-1] == "}" else "["):
            value = value[:-1].rstrip(",;:'\"`)")  # the close of a mapping around it, not part of it
        if _EXPRESSION.match(value):
            return None  # a call, an index, an attribute: code, not a literal
    if len(value) < 4 or not_a_secret(value.strip()) or value.isdigit() and len(value) < 12:
        return None
    if _one_word(value):
        return "SECRET", 0.4, value
    if _UUID.match(value):
        return "SECRET", 0.4, value  # an identifier as often as a key: only a vendor's format says which
    if quoted:
        return "SECRET", 0.9 if len(value) >= 6 else 0.6, value
    return "SECRET", _unquoted_confidence(value), value


_FORWARD_PARTS = re.compile(r"""^[A-Za-z0-9_.-]*(?:\[\d*\])?["'`]?[ \t]*(===?|!==?|:=|=>|::?|=)?[ \t]*[(]?[ \t]*"""
                            r"""(?:\.assign\([ \t]*)?@?(?:"([^"]*)"|'([^']*)'|`([^`]*)`|([^\s"'`]+))""")


NOT_CREDENTIAL_WORDS = frozenset({
    "id", "ids", "type", "types", "hint", "length", "len", "expires", "expiry", "count", "counts", "num", "max", "min",
    "limit", "limits", "usage", "size", "budget", "index", "name", "names", "policy", "reset", "updated", "text",
    "prompt", "format", "field", "label", "regex", "pattern", "url", "uri", "file", "path", "dir", "prefix", "suffix",
    "header", "class", "kind", "tokenizer", "tokenizers", "tokenize", "tokenized", "tokenization", "tokens",
    "strength", "required", "rules", "input", "placeholder", "error", "message", "ttl", "timeout", "duration",
    "endpoint", "metadata", "param", "params", "stream", "parser",
})


@lru_cache(maxsize=4096)
def _credential_name(name: str) -> bool:
    """The name a value is given is a credential's: its last dotted part holds the keyword
    (``Token.Prompt`` is a style), and no word says it is about one (``token_count``, ``tokenizer``,
    ``password_hint``)."""
    from .context import tokens

    last = name.rsplit(".", 1)[-1]
    if not _KEYWORD.search(last):
        return False
    return not tokens(name) & NOT_CREDENTIAL_WORDS


def _keyword_forward(text: str, column, before, after) -> "tuple[str, float, str] | None":
    if text[-1:] not in ('"', "'", "`") and not _cut(after):
        return None  # an unquoted value goes on: this end is inside it
    match = _FORWARD_PARTS.match(text)
    if not match or match.end() != len(text):
        return None
    operator, unquoted = match.group(1) or "", match.group(5)
    if unquoted is not None:
        if not operator or not _cut(after) or _operand(after):
            return None
        if operator in ("==", "===", "!=", "!==", "=>"):
            return None  # compared with, or mapped to, an expression: a quoted value would be a literal
        verdict = _judge_value(unquoted, False)
    else:
        value = next(g for g in match.groups()[1:4] if g is not None)
        if not operator and (any(c.isspace() for c in value) or len(value) < 8):
            return None  # a call's message or option (TokenError("EOF in …"), password.encode('utf-8'))
        if _operand(after) or after[:1] == b"+":
            return None  # "<missing " + name: a piece of a string being built
        verdict = _judge_value(value, True)
    return verdict if verdict is not None and _credential_name(_name_of(text, before)) else None


_NAME_START = re.compile(r"[A-Za-z0-9_.-]*")
_NAME_END = re.compile(r"[A-Za-z0-9_.-]*$")


def _name_of(text: str, before: bytes) -> str:
    """The whole name a value is assigned to: the keyword with what precedes and follows it."""
    name = _NAME_START.match(text).group(0)
    if name.endswith(".assign"):
        name = name[:-7]
    head = bytes(before[-40:]).decode("utf-8", "replace")
    return (_NAME_END.search(head).group(0) + name).strip(".")


def _keyword_reversed(text: str, column, before, after) -> "tuple[str, float, str] | None":
    match = _VALUE_AT_START.match(text)
    if not match:
        return None
    return _judge_value(next(g for g in match.groups() if g is not None), True)


def secret_cell(value: str) -> "tuple[str, float, str] | None":
    """A value in a column named like a credential."""
    value = value.strip().strip("\"'")
    if len(value) < 8 or not_a_secret(value) or " " in value:
        return None
    entropy = shannon_entropy(value)
    if entropy < 2.5:
        return None
    return "SECRET", 0.9 if entropy >= 3.0 else 0.7, value


# ---------------------------------------------------------------- tokens, URLs, keys
def _token(text: str, column, before, after) -> "tuple[str, float, str] | None":
    """A vendor token: its format is proof enough, unless it is a placeholder."""
    text = text.lstrip(" \t\"'=:") if text[:1] in " \t\"'=:" else text
    if text[:1] and not text[:1].isalnum():
        text = text[1:]  # the boundary a pattern begins with
    if not _cut(after):
        return None
    body = text.split("-", 1)[-1] if text.startswith("gl") else text
    if _FILLER.search(body) or _PLACEHOLDER_WORDS.search(body) or _TEMPLATE.match(body):
        return None
    return "SECRET", 0.95, text


_GITLAB_LENGTHS = {"glimt": (25, 25), "glptt": (40, 40), "gloas": (64, 64), "glagent": (50, 1024)}


def _gitlab(text: str, column, before, after) -> "tuple[str, float, str] | None":
    """GitLab's token types, each with its prefix and body length."""
    prefix, _, body = text.partition("-") if text.startswith("gl") else ("GR1348941", "", text[9:])
    low, high = _GITLAB_LENGTHS.get(prefix, (20, 50))
    if not low <= len(body) <= high:
        return None
    return _token(text, column, before, after)


def _assigned_token(text: str, column, before, after) -> "tuple[str, float, str] | None":
    """A vendor keyword assigned a value of the vendor's format (the value is the last token)."""
    if not _cut(after) and text[-1:] not in ("'", '"', "`"):
        return None
    value = re.split(r"[=:\s\"'`/]+", text.rstrip("\"'` \t\r\n"))[-1]
    if not value or not_a_secret(value):
        return None
    return "SECRET", 0.9, value


def _basic_auth(text: str, column, before, after) -> "tuple[str, float, str] | None":
    userinfo = text.split("://", 1)[1].rsplit("@", 1)[0]
    user, _, password = userinfo.partition(":")
    if not user or not password or not_a_secret(password) and not password.isalnum():
        return None
    if _TEMPLATE.match(password) or _FILLER.search(password) or password.lower() in ("password", "pass", "pwd"):
        return None
    return "SECRET", 0.9, password


def _b64json(part: str):
    try:
        return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (ValueError, TypeError):
        return None


def _jwt(text: str, column, before, after) -> "tuple[str, float, str] | None":
    parts = text.split(".")
    header, claims = _b64json(parts[0]), _b64json(parts[1]) if len(parts) > 1 else None
    if not isinstance(header, dict) or not isinstance(claims, dict) or not ({"alg", "typ"} & set(header)):
        return None
    return "SECRET", 0.9, text


def _private_key(text: str, column, before, after) -> "tuple[str, float, str] | None":
    return "SECRET", 0.99, text


def _bearer(text: str, column, before, after) -> "tuple[str, float, str] | None":
    token = text.split(None, 1)[-1]
    if token.startswith("eyJ") or shannon_entropy(token) < 3.0 or not_a_secret(token):
        return None  # JWTs are found (and checked) by their own pattern
    return "SECRET", 0.85, token


_HEX = frozenset("0123456789abcdefABCDEF")
_CREDENTIAL_NEARBY = re.compile(rb"(?i)key|secret|token|passw|pwd|credential|auth")


def _high_entropy(text: str, column, before, after) -> "tuple[str, float, str] | None":
    """A quoted string of base64 or hex characters above detect-secrets' default entropy limits (4.5
    bits per character for base64, 3.0 for hex, less for hex of digits only)."""
    value = text[1:-1]
    if text[0] != text[-1]:
        return None  # one class for both quotes is 1.7x faster in Hyperscan than two alternatives
    if not_a_secret(value) and not value.isalnum() or sequential(value):
        return None
    entropy = shannon_entropy(value)
    if set(value) <= _HEX:
        if value.isdigit():
            entropy -= 1.2 / math.log2(len(value))
        if entropy <= 3.0:
            return None
        # a quoted hex string is a checksum or a test vector as often as a key: a word of a credential
        # just before it says which
        return "SECRET", 0.8 if _CREDENTIAL_NEARBY.search(before) else 0.45, value
    return ("SECRET", 0.7, value) if entropy > 4.5 else None


Validator = Callable[[str, "str | None", bytes, bytes], "tuple[str, float, str] | None"]

# (name, Hyperscan expression, validator, caseless, gitleaks rule ids it covers)
SECRET_PATTERNS: tuple[tuple[str, bytes, Validator, bool, tuple[str, ...]], ...] = (
    ("aws_key", rb"\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA)[0-9A-Z]{16}\b", _token, False,
     ("aws-access-token",)),
    ("github_token", rb"\bgh[pousr]_[A-Za-z0-9]{36,255}\b", _token, False,
     ("github-pat", "github-oauth", "github-app-token", "github-refresh-token")),
    ("github_pat", rb"\bgithub_pat_[A-Za-z0-9_]{22,255}\b", _token, False, ("github-fine-grained-pat",)),
    ("gitlab_token", rb"\b(?:gl(?:pat|dt|soat|rt|cbt|imt|ptt|ft|oas|agent|ffct)-|GR1348941)[0-9A-Za-z_-]{20,1024}",
     _gitlab, False,
     ("gitlab-pat", "gitlab-deploy-token", "gitlab-rrt", "gitlab-cicd-job-token", "gitlab-incoming-mail-token",
      "gitlab-ptt", "gitlab-feed-token", "gitlab-kubernetes-agent-token", "gitlab-feature-flag-client-token",
      "gitlab-runner-authentication-token")),
    ("slack_token", rb"\bxox[abposre]-[A-Za-z0-9-]{10,72}", _token, False,
     ("slack-bot-token", "slack-user-token", "slack-app-token", "slack-legacy-token")),
    ("slack_webhook", rb"https://hooks\.slack\.com/(?:services|workflows)/[A-Za-z0-9_]+/[A-Za-z0-9_]+/[A-Za-z0-9_]+",
     _token, False, ("slack-webhook-url",)),
    ("stripe_key", rb"\b[rs]k_(?:live|test|prod)_[A-Za-z0-9]{16,99}\b", _token, False, ("stripe-access-token",)),
    ("google_api_key", rb"\bAIza[0-9A-Za-z_-]{35}", _token, False, ("gcp-api-key",)),
    ("openai_key", rb"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}\b"
                   rb"|\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{32,}\b", _token, False, ("openai-api-key",)),
    ("anthropic_key", rb"\bsk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_-]{80,120}", _token, False,
     ("anthropic-api-key", "anthropic-admin-api-key")),
    ("discord_bot", rb"\b[MNO][A-Za-z0-9_-]{23,25}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,}\b", _token, False,
     ("discord-api-token",)),
    ("mailchimp_key", rb"\b[0-9a-f]{32}-us[0-9]{1,2}\b", _token, False, ("mailchimp-api-key",)),
    ("npm_token", rb"\bnpm_[A-Za-z0-9]{36}\b|//[A-Za-z0-9.-]+(?::\d+)?/(?:[^\s:]*/)?:_authToken=[ \t]*[^\s\"']{8,}",
     _assigned_token, False, ("npm-access-token",)),
    ("pypi_token", rb"\bpypi-AgE[IN][A-Za-z0-9_-]{150,}", _token, False, ("pypi-upload-token",)),
    ("sendgrid_key", rb"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b", _token, False, ("sendgrid-api-token",)),
    ("square_token", rb"\bsq0(?:csp|atp|idp)-[0-9A-Za-z\\_-]{22,60}", _token, False, ("square-access-token",)),
    ("telegram_bot", rb"(?:^|[^0-9A-Za-z_:])[0-9]{8,10}:AA[0-9A-Za-z_-]{33}\b", _token, False,
     ("telegram-bot-api-token",)),
    ("twilio_key", rb"\b(?:AC|SK)[0-9a-f]{32}\b", _token, False, ("twilio-api-key",)),
    ("artifactory_key", rb"(?:^|[\s\"'=:])(?:AKC[A-Za-z0-9]{10,}|AP[0-9A-F][A-Za-z0-9]{8,})\b", _token, False,
     ("artifactory-api-key", "artifactory-reference-token")),
    ("azure_storage", rb"AccountKey=[A-Za-z0-9+/=]{88}", _token, False, ("azure-ad-client-secret",)),
    ("ibm_cloud_iam", rb"(?:ibm|cloud)[A-Za-z0-9_-]{0,20}(?:iam|api)?[A-Za-z0-9_-]{0,20}(?:key|pwd|password|pass)"
                      rb"[\"'`]?[ \t]*(?:[:=]=?|:=)?[ \t]*[\"'`]?[A-Za-z0-9_-]{44}(?:[\"'`]|\s|$)",
     _assigned_token, True, ()),
    ("ibm_cos_hmac", rb"secret[_-]?(?:access)?[_-]?key[\"'`]?[ \t]*(?:[:=]=?|:=)[ \t]*[\"'`]?[a-f0-9]{48}(?:[\"'`]|\s|$)",
     _assigned_token, True, ()),
    ("cloudant", rb"(?:cloudant|cl(?:ou)?)[A-Za-z0-9_-]{0,20}(?:api|pass|pwd|pw|key|password)[A-Za-z0-9_-]{0,10}"
                 rb"[\"'`]?[ \t]*(?:[:=]=?|:=)?[ \t]*[\"'`]?(?:[0-9a-f]{64}|[a-z]{24})(?:[\"'`]|\s|$)", _assigned_token,
     True, ()),
    ("softlayer", rb"(?:softlayer|sl)[A-Za-z0-9_-]{0,20}(?:api|key|pass|pwd|password)[A-Za-z0-9_-]{0,20}[\"'`]?"
                  rb"[ \t]*(?:[:=]=?|:=|[ \t])[ \t]*[\"'`]?[a-z0-9]{64}(?:[\"'`]|\s|$)"
                  rb"|api\.softlayer\.com/soap/v3(?:\.1)?/[a-z0-9]{64}\b", _assigned_token, True, ()),
    ("basic_auth", rb"\b[A-Za-z][A-Za-z0-9+.-]{1,20}://[^\s:/@\"'<>]{1,64}:[^\s:/@\"'<>]{1,128}@[A-Za-z0-9.-]+",
     _basic_auth, False, ("generic-api-key",)),
    ("bearer", rb"\bbearer\s+[A-Za-z0-9._~+/-]{20,}=*", _bearer, True, ()),
    ("private_key", rb"-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----", _private_key, False,
     ("private-key",)),
    ("jwt", rb"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]*)?", _jwt, False, ("jwt",)),
    ("high_entropy", rb"[\"'][A-Za-z0-9+/_=-]{16,512}[\"']", _high_entropy, False, ()),
    ("keyword", KEYWORD_FORWARD, _keyword_forward, True, ("generic-api-key",)),
    ("keyword_spaced", KEYWORD_SPACED, _keyword_forward, True, ()),
    ("keyword_reversed", KEYWORD_REVERSED, _keyword_reversed, True, ()),
)

GITLEAKS_RULES = sorted({rule for *_, rules in SECRET_PATTERNS for rule in rules})
"""The gitleaks default rule ids whose tokens these patterns find."""
