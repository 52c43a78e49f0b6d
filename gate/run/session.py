"""The session of a run: options, the engine with one policy set loaded, the decision checks and the
verdict; the decision time."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from .._version import __version__
from ..cache import Cache
from ..engine import Engine, create_engine
from ..errors import EngineError, GateError, PolicyError
from ..policy import PolicySet, load_policy_set, policy_dirs
from ..repo import Repo, find_root
from ..verdict import DatasetVerdict, GateFailure, Verdict


DATASET_ENTRYPOINT = "gate.dataset.decision"


ACCESS_ENTRYPOINT = "gate.access.decision"


@dataclass(frozen=True)
class Options:
    """How to load policies and which engine decides."""

    policy_dirs: tuple[Path, ...] = ()
    """Extra policy directories, loaded after the built-in ones."""
    data_files: tuple[Path, ...] = ()
    """Data files merged over the policies' data."""
    builtin_policies: bool = True
    """Load the policies shipped with gate."""
    engine: str = "auto"
    """auto, opa, regorus or opa-server."""
    opa_url: str | None = None
    """URL of a running OPA for opa-server."""
    opa_token: str | None = None
    """Bearer token for opa-server."""
    ca_bundle: str | None = None
    """CA bundle to verify opa-server's TLS certificate."""
    timeout: float = 5.0
    """Seconds to wait for opa-server."""
    now: datetime | None = None
    """Decision time; default the current UTC time."""
    repo_root: Path | None = None
    """Repository root; default found from the paths."""
    cache: bool = True
    """Reuse digests and facts from .gate/cache/."""
    bundle_key: Any = None
    """Public key that verifies a signed OPA bundle given as a policy."""
    bundle_key_id: str | None = None
    """Key id the bundle must be signed under."""


def parse_now(text: str | None, what: str = "--now") -> datetime | None:
    """A pinned decision time: RFC 3339 (a date alone is midnight UTC), within years 1..9999 in UTC."""
    if text is None or text == "":
        return None
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except (ValueError, TypeError):
        raise GateError(f"{what}: {str(text)[:64]!r} is not an RFC 3339 time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    try:
        moment.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        raise GateError(f"{what}: {str(text)[:64]!r} is out of range once converted to UTC") from None
    return moment


def utc_now_text(now: datetime | None) -> str:
    """RFC 3339 UTC text (seconds) of the decision time."""
    global _NOW_TEXT
    if now is None:
        second, cached = int(time.time()), _NOW_TEXT  # one tuple read once: a second and its own text
        if cached[0] != second:
            cached = _NOW_TEXT = (second, datetime.fromtimestamp(second, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
        return cached[1]
    try:
        moment = now.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        raise GateError("--now: the time is out of range once converted to UTC") from None
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# the current second and its text: a process deciding many requests formats the time once a second
_NOW_TEXT: tuple[int | None, str] = (None, "")


LEVELS = ("deny", "warn", "waived", "error")


POISONING_RULES = "gate.rules.dataset.poisoning"
"""The package whose rules judge poisoning and drift facts."""
DATA_QUALITY_RULES = "gate.rules.dataset.data_quality"
"""The package whose rules judge the data issues (duplicates, imbalance, order, columns): warnings only."""


INTEGRITY_RULES = "gate.rules.dataset.integrity"


"""The package whose rules judge integrity facts (`gate manifest verify`)."""


PII_RULES = "gate.rules.dataset.pii"


"""The package whose rules judge PII facts (the PII hook)."""


@dataclass
class Session:
    """An engine with one policy set loaded, reused for every decision of a run."""

    engine: Engine
    """The engine that decides."""
    policies: PolicySet | None
    """What was loaded (None for opa-server, which serves its own)."""
    options: Options
    """The options the session was opened with."""

    @classmethod
    def open(cls, options: Options) -> "Session":
        """Load policies and data once, into the chosen engine."""
        engine = create_engine(
            options.engine, opa_url=options.opa_url, opa_token=options.opa_token,
            ca_bundle=options.ca_bundle, timeout=options.timeout,
        )
        if engine.name == "opa-server":
            if options.policy_dirs or options.data_files:
                raise PolicyError("--policy and --data do not apply to --engine opa-server: load them into the server")
            engine.load(None)
            session = cls(engine, None, options)
            session.waivers  # noqa: B018
            return session
        dirs = policy_dirs(options.builtin_policies, options.policy_dirs)
        if not dirs:
            raise PolicyError("no policies: give --policy DIR or drop --no-builtin-policies")
        policies = load_policy_set(dirs, list(options.data_files), options.bundle_key, options.bundle_key_id)
        engine.load(policies)
        session = cls(engine, policies, options)
        session.waivers  # noqa: B018 (validated now, whatever defined them: fail closed before any decision)
        return session

    def data(self, ref: str, default: Any = None) -> Any:
        """A value of the policy data as the engine sees it (``org.signers``); ``default`` when undefined."""
        if self.policies is not None:
            value: Any = self.policies.data
            for part in ref.split("."):
                if not isinstance(value, dict) or part not in value:
                    return default
                value = value[part]
            return value
        value = self.engine.data(ref)
        return default if value is None else value

    @property
    def waivers(self) -> list[dict[str, Any]]:
        """``data.waivers`` as the engine sees it — from data files, a bundle's data.json or a Rego
        module alike — validated once; anything but a list of valid waivers fails the run (exit 2)."""
        if not hasattr(self, "_waivers"):
            from ..policy import validate_waivers

            value = self.engine.data("waivers")
            if value is None:
                value = []  # undefined: no waivers
            validate_waivers(value, "data.waivers (as the engine sees it: data files, a bundle or a Rego module)")
            self._waivers = value
        return self._waivers

    def require_pinned_time_allowed(self, what: str) -> None:
        """A pinned decision time for access decisions and the loader only where the policy data allows
        it (org.time.allow_pinned): otherwise an expired grant could be brought back by choosing the time."""
        if self.options.now is None:
            return
        if self.data("org.time.allow_pinned", False) is not True:
            raise GateError(f"{what}: a pinned decision time (--now / now=) is refused; the policy data does not "
                            "allow it (org.time.allow_pinned)")

    def settings(self, base_version: dict[str, int] | None = None, repo_root: Path | None = None,
                 base_commit: str | None = None):
        """What facts depend on besides the data (signers, the fingerprint key, base versions)."""
        from ..facts.collect import Settings
        from ..facts.pii.marks import load_key

        if not hasattr(self, "_fingerprint_key"):
            self._fingerprint_key = load_key(repo_root)
        return Settings(signers=self.signers, fingerprint_key=self._fingerprint_key,
                        base_version=dict(base_version or {}), base_commit=base_commit)

    @property
    def signers(self) -> dict[str, dict[str, Any]]:
        """Trusted manifest signers (org.signers), their keys checked against their ids; read once."""
        if not hasattr(self, "_signers"):
            from ..custody.signing import trusted_signers

            # a server without signers: every signature is from an unknown signer
            self._signers = trusted_signers(self.data("org.signers"))
        return self._signers

    @property
    def digest(self) -> str:
        """Digest of the policies that decide."""
        if self.policies is None:
            return getattr(self.engine, "remote_digest", "unknown")
        return self.policies.digest

    def context(self, repo: Repo) -> dict[str, Any]:
        """The context block of every input document (``now_pinned``: the time was given, not read)."""
        return {
            "now": utc_now_text(self.options.now),
            "now_pinned": self.options.now is not None,
            "repo": repo.root.name,
            "commit": repo.commit(),
            "gate_version": __version__,
        }

    def rule_violations(self, package: str, document: dict[str, Any],
                        levels: tuple[str, ...] = ("deny", "warn")) -> list[dict[str, Any]]:
        """The deny and warn sets (``levels``) of one rule package for a partial input, as violations
        with their level: a `gate scan` judged by the policy's own rules and thresholds instead of a
        copy in Python."""
        found = []
        for level in levels:
            value = self.engine.evaluate(f"{package}.{level}", document)  # undefined: an error, never "no finding"
            if not isinstance(value, list) or not all(isinstance(v, dict) and isinstance(v.get("id"), str)
                                                      for v in value):
                raise EngineError(f"data.{package}.{level} is not a set of violations")
            found += [{**v, "level": level, "severity": str(v.get("severity", "medium")),
                       "message": str(v.get("message", ""))} for v in value]
        return sorted(found, key=lambda v: (v["level"], v["id"], v["message"]))

    def decide(self, entrypoint: str, document: dict[str, Any]) -> dict[str, Any]:
        """Evaluate an entrypoint and check the decision; anything but a well-formed one is an engine
        error (exit 2), from every engine: allow with a deny or error, an unknown level, a violation
        waived by no valid waiver."""
        decision = self.engine.evaluate(entrypoint, document)
        where = f"data.{entrypoint}"
        if not isinstance(decision, dict) or not isinstance(decision.get("allow"), bool) \
                or not isinstance(decision.get("violations"), list) \
                or not all(isinstance(v, dict) for v in decision["violations"]):
            raise EngineError(f"{where} returned a malformed decision (need allow and violations)")
        for violation in decision["violations"]:
            level = violation.get("level")
            if level not in LEVELS or not isinstance(violation.get("id"), str):
                raise EngineError(f"{where} returned a violation with level {str(level)[:20]!r} "
                                  f"(not one of {', '.join(LEVELS)}) or no id")
            if level in ("deny", "error") and decision["allow"]:
                raise EngineError(f"{where} allowed despite a {level}-level violation {violation['id'][:80]}")
            if level == "waived" and not self._waiver_matches(violation, document):
                raise EngineError(f"{where} marked {violation['id'][:80]} waived without a valid, active waiver")
        return decision

    def _waiver_matches(self, violation: dict[str, Any], document: dict[str, Any]) -> bool:
        from ..policy import waiver_active

        waiver = violation.get("waiver")
        dataset = (document.get("dataset") or {}).get("id")
        if not isinstance(waiver, dict):
            return False
        now = (document.get("context") or {}).get("now")
        for candidate in self.waivers:
            if candidate.get("rule") == violation.get("id") == waiver.get("rule") and \
                    candidate.get("dataset") == dataset == waiver.get("dataset") and \
                    all(candidate.get(k) in (None, violation.get(k)) for k in ("file", "field", "column", "fingerprint")) \
                    and waiver_active(candidate, now):
                return True
        return False

    def verdict(self, kind: str, datasets: Iterable[DatasetVerdict], errors: Iterable[GateFailure],
                notices: Iterable[str] = ()) -> Verdict:
        """Wrap decided datasets and failures in a run verdict (with the decision time, and whether it
        was pinned)."""
        if not hasattr(self, "_rules"):
            self._rules: dict[str, dict] = {}
        if kind not in self._rules:
            prefix = f"gate.rules.{kind}."
            self._rules[kind] = {} if self.policies is None else {
                rule_id: info for rule_id, info in self.policies.rules().items()
                if (info.package or "").startswith(prefix)
            }
        rules = self._rules[kind]
        return Verdict(
            engine=self.engine.name, policy_digest=self.digest, gate_version=__version__,
            datasets=tuple(datasets), errors=tuple(errors), kind=kind, rules=rules,
            now=utc_now_text(self.options.now), now_pinned=self.options.now is not None, notices=tuple(notices),
        )

    def close(self) -> None:
        """Release the engine."""
        self.engine.close()


def repo_for(paths: list[Path], options: Options) -> Repo:
    """The repository the paths live in."""
    if options.repo_root is not None:
        # resolved once per process and root: a process deciding many requests does not walk the root's
        # symlinks per decision
        given = os.path.abspath(options.repo_root)
        if given not in _ROOTS:
            if len(_ROOTS) > 64:
                _ROOTS.clear()
            _ROOTS[given] = Repo.at(Path(given))
        return _ROOTS[given]
    return Repo.at(find_root(paths[0] if paths else Path.cwd()))


_ROOTS: dict[str, Repo] = {}


def open_cache(repo: Repo, options: Options, notices: list[str]):
    """The fact cache of this run, or None (``notices`` say why when someone should know)."""
    return Cache.open(repo.root, notices) if options.cache else None
