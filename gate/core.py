"""The gate's spine: descriptor -> facts -> engine -> verdict. The CLI and the Python API call this."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from ._version import __version__
from .cache import Cache
from .descriptor import DESCRIPTOR_NAME, Descriptor, load_descriptor
from .engine import Engine, create_engine
from .errors import EngineError, GateError, PolicyError, RequestError
from .loading import load_document, validate
from .policy import PolicySet, builtin_policy_dir, load_policy_set
from .repo import Repo, find_root
from .verdict import DatasetVerdict, GateFailure, Verdict, Violation

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
    try:
        moment = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    except (OverflowError, ValueError):
        raise GateError("--now: the time is out of range once converted to UTC") from None
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


LEVELS = ("deny", "warn", "waived", "error")
POISONING_RULES = "gate.rules.dataset.poisoning"
"""The package whose rules judge poisoning and drift facts."""
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
        dirs = ([builtin_policy_dir()] if options.builtin_policies else []) + list(options.policy_dirs)
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
            from .policy import validate_waivers

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

    def settings(self, base_version: dict[str, int] | None = None, repo_root: Path | None = None):
        """What facts depend on besides the data (signers, the fingerprint key, base versions)."""
        from .facts.collect import Settings
        from .facts.pii.marks import load_key

        if not hasattr(self, "_fingerprint_key"):
            self._fingerprint_key = load_key(repo_root)
        return Settings(signers=self.signers, fingerprint_key=self._fingerprint_key,
                        base_version=dict(base_version or {}))

    @property
    def signers(self) -> dict[str, dict[str, Any]]:
        """Trusted manifest signers (org.signers), their keys checked against their ids; read once."""
        if not hasattr(self, "_signers"):
            from .custody.signing import trusted_signers

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

    def rule_violations(self, package: str, document: dict[str, Any]) -> list[dict[str, Any]]:
        """The deny and warn sets of one rule package for a partial input, as violations with their
        level: a `gate scan` judged by the policy's own rules and thresholds instead of a copy in Python."""
        found = []
        for level in ("deny", "warn"):
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
        from .policy import waiver_active

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
        return Repo.at(options.repo_root)
    return Repo.at(find_root(paths[0] if paths else Path.cwd()))


def discover(paths: list[Path], repo: Repo) -> tuple[list[Path], list[GateFailure]]:
    """Descriptor files named by ``paths``: descriptors as given, directories searched by the one walker,
    a data file's owning dataset. A descriptor the walker would never find (under .git, node_modules,
    a virtualenv ...) is not a dataset of the repository: refused, as the loader refuses it."""
    found: list[Path] = []
    failures: list[GateFailure] = []
    for path in paths:
        shown = repo.rel(path)
        if path.is_dir() and not path.is_symlink():
            hits = repo.descriptors(path)
            if not hits:
                failures.append(GateFailure(shown, f"{shown}: no {DESCRIPTOR_NAME} found"))
            found.extend(hits)
        elif path.suffix in (".yaml", ".yml") and path.name != DESCRIPTOR_NAME:
            failures.append(GateFailure(shown, f"{shown}: not a dataset descriptor (descriptors are named "
                                               f"{DESCRIPTOR_NAME}: others escape `check --all` and id checks)"))
        elif path.name == DESCRIPTOR_NAME:
            if repo.skipped(path):
                failures.append(GateFailure(shown, f"{shown}: lies in a directory gate never searches for "
                                                   "datasets (.git, .gate, node_modules, a virtualenv); not a dataset"))
            else:
                found.append(path)
        elif path.exists() or path.is_symlink():
            owner = repo.owning_dataset(path)
            if owner is None:
                failures.append(GateFailure(shown, f"{shown}: not inside any dataset (no {DESCRIPTOR_NAME} above it)"))
            else:
                found.append(owner / DESCRIPTOR_NAME)
        else:
            failures.append(GateFailure(shown, f"{shown}: no such file or directory"))
    unique = list(dict.fromkeys(Path(os.path.abspath(p)) for p in found))
    return unique, failures


def for_each_dataset(paths: list[Path], options: Options, action) -> tuple[list, list[GateFailure]]:
    """``action(descriptor, repo)`` for every dataset under ``paths``; a GateError (or an OSError)
    becomes a failure naming the dataset, and the others still run."""
    repo = repo_for(paths, options)
    descriptors, failures = discover(paths or [repo.root], repo)
    index = DatasetIndex.build(repo) if descriptors else None
    results = []
    for path in descriptors:
        try:
            descriptor = load_descriptor(path, repo)
            index.check_unique(descriptor)
            results.append(action(descriptor, repo))
        except GateError as exc:
            failures.append(GateFailure(exc.path or repo.rel(path), str(exc)))
        except OSError as exc:
            failures.append(GateFailure(repo.rel(path), f"{repo.rel(path)}: {exc.strerror or exc.__class__.__name__}"))
    return results, failures


def owning_descriptor(path: Path, repo: Repo) -> Path | None:
    """The nearest dataset.yaml at or above a data file, without leaving the repository."""
    owner = repo.owning_dataset(path)
    return owner / DESCRIPTOR_NAME if owner else None


def dataset_input(descriptor: Descriptor, facts: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
    """The input document for data.gate.dataset.decision (names holding PII masked)."""
    from .facts.pii.redact import Redactor

    dataset = Redactor().document({**descriptor.document, "path": descriptor.relpath})
    return {"dataset": dataset, "facts": facts, "context": context}


def _violations(decision: dict[str, Any], descriptor: Descriptor | None) -> tuple[Violation, ...]:
    out = []
    for raw in decision["violations"]:
        violation = Violation.from_policy(raw)
        if descriptor is not None and violation.line is None and violation.file == descriptor.relpath:
            line = descriptor.line_of(violation.field) or None
            violation = Violation(**{**violation.__dict__, "line": line})
        out.append(violation)
    return tuple(sorted(out, key=lambda v: (v.level != "deny", v.id, v.file or "", v.message)))


def open_cache(repo: Repo, options: Options, notices: list[str]):
    """The fact cache of this run, or None (``notices`` say why when someone should know)."""
    return Cache.open(repo.root, notices) if options.cache else None


def dataset_facts(descriptor: Descriptor, repo: Repo, session: Session, cache=None, *, keep: bool = False,
                  base_version: dict[str, int] | None = None):
    """The dataset view and every fact of it (see gate.facts.collect)."""
    from .facts.collect import collect
    from .facts.view import build_view

    return collect(build_view(descriptor, repo), session.settings(base_version, repo.root), cache, keep=keep)


def dataset_documents(paths: list[Path], options: Options, session: Session, failures: list[GateFailure],
                      notices: list[str] | None = None, base_version: dict[str, int] | None = None):
    """(descriptor, shown path, input document) for every readable dataset under ``paths``; what
    cannot be read is added to ``failures``. The facts are computed here (cached by content)."""
    repo = repo_for(paths, options)
    notices = notices if notices is not None else []
    cache = open_cache(repo, options, notices)
    try:
        descriptors, found = discover(paths or [repo.root], repo)
        failures.extend(found)
        if not descriptors:
            return
        index = DatasetIndex.build(repo)
        context = session.context(repo)
        for path in descriptors:
            shown = repo.rel(path)
            try:
                descriptor = load_descriptor(path, repo)
                index.check_unique(descriptor)
                facts = dataset_facts(descriptor, repo, session, cache, base_version=base_version).facts
            except EngineError as exc:
                failures.append(GateFailure(shown, f"{shown}: {exc}"))
                continue
            except GateError as exc:
                failures.append(GateFailure(exc.path or shown, str(exc)))
                continue
            yield descriptor, shown, dataset_input(descriptor, facts, context)
    finally:
        if cache is not None:
            cache.close()


def record_input(directory: Path | None, kind: str, label: str, document: dict[str, Any]) -> None:
    """Save an input document for `gate policy impact` (facts only: PII and secrets are redacted
    previews already). One JSON file per decision, named by kind, label and content digest."""
    if directory is None:
        return
    import hashlib
    import json
    import re

    from .descriptor import write_atomic

    from .facts.pii.redact import Redactor

    body = Redactor().document({"gate_record": 1, "kind": kind, "label": label, "input": {**document, "context": {
        k: v for k, v in document.get("context", {}).items() if k != "now"}}})
    text = json.dumps(body, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", label)[:80]
    try:
        directory.mkdir(parents=True, exist_ok=True)
        write_atomic(directory / f"{kind}-{safe}-{digest}.json", text)
    except OSError as exc:
        raise GateError(f"cannot record input: {exc.strerror}", str(directory)) from None


def _explainer(session: Session, explain: bool):
    """A function adding each violation's rule location and the input values it read (--explain)."""
    if not explain:
        return lambda decision, document: None
    if session.policies is None:
        raise PolicyError("--explain needs local policies; it does not work with --engine opa-server")
    from .policy.explain import explain as explain_one, rule_index

    index = rule_index(session.policies)

    def add(decision: dict[str, Any], document: dict[str, Any]) -> None:
        for violation in decision["violations"]:
            found = explain_one(str(violation.get("id")), document, index)
            if found is not None:
                violation["explain"] = found
    return add


def check_paths(paths: list[Path], options: Options, session: Session | None = None,
                record: Path | None = None, explain: bool = False,
                base_version: dict[str, int] | None = None) -> Verdict:
    """Decide every dataset under ``paths`` (saving each input document under ``record``);
    ``base_version``: lock path -> version signed at the base revision (rollback check)."""
    own = session is None
    session = session or Session.open(options)
    try:
        failures: list[GateFailure] = []
        decided: list[DatasetVerdict] = []
        notices: list[str] = []
        add_explanations = _explainer(session, explain)
        for descriptor, shown, document in dataset_documents(paths, options, session, failures, notices,
                                                             base_version):
            try:
                decision = session.decide(DATASET_ENTRYPOINT, document)
            except GateError as exc:
                failures.append(GateFailure(shown, f"{shown}: {exc}"))
                continue
            add_explanations(decision, document)
            record_input(record, "dataset", descriptor.id, document)
            decided.append(DatasetVerdict(
                id=descriptor.id, path=shown, violations=_violations(decision, descriptor),
                facts=document["facts"], allow=decision["allow"],
            ))
        return session.verdict("dataset", decided, failures, notices)
    finally:
        if own:
            session.close()


def load_requests(path: Path) -> list[dict[str, Any]]:
    """Access requests from a JSON or YAML file: one object or a list of them, validated."""
    shown = str(path)
    document, lines = load_document(path, RequestError, shown)
    items = document if isinstance(document, list) else [document]
    if not items:
        raise RequestError("no requests in file", shown)
    for index, item in enumerate(items):
        if isinstance(document, list):
            validate_request(item, shown, index)
        else:
            validate(item, "request", lines, RequestError, shown)
    return items


def validate_request(request: Any, shown: str, index: int | None = None) -> None:
    """Validate one access request against the shipped schema."""
    try:
        validate(request, "request", {}, RequestError, shown)
    except RequestError as exc:
        if index is None:
            raise
        raise RequestError(f"request {index}: {exc.message}", shown) from None


@dataclass(frozen=True)
class DatasetIndex:
    """Every descriptor the one walker finds in a repository, by id, read once per run."""

    by_id: dict[str, Descriptor]
    """Descriptors keyed by dataset id."""
    broken: tuple[str, ...]
    """Descriptors that could not be read (they might hide an id)."""
    duplicates: dict[str, tuple[str, ...]]
    """Dataset id -> every descriptor claiming it, when more than one does."""
    stamps: tuple[tuple[str, Any], ...] = ()
    """(path, stat key) of every directory walked and every descriptor read: the index stands while
    none of them changed (a file added, removed or renamed changes its directory)."""

    @classmethod
    def build(cls, repo: Repo) -> "DatasetIndex":
        """Every dataset.yaml the walker finds under the repository root, read — or the index this
        process built before for the same root, when no directory walked and no descriptor changed
        since (a process deciding many requests does not re-read every descriptor per decision)."""
        from .repo import stat_key

        cached = _INDEXES.get(str(repo.root))
        if cached is not None and all(stat_key(path) == key for path, key in cached.stamps):
            return cached
        walked: list[str] = []
        paths = repo.descriptors(walked=walked)
        stamps = tuple((path, stat_key(path)) for path in [*walked, *map(str, paths)])
        index = cls._read(repo, paths, stamps)
        if len(_INDEXES) > 64:
            _INDEXES.clear()
        _INDEXES[str(repo.root)] = index
        return index

    @classmethod
    def _read(cls, repo: Repo, paths: list[Path], stamps: tuple) -> "DatasetIndex":
        by_id: dict[str, Descriptor] = {}
        broken: list[str] = []
        claims: dict[str, list[str]] = {}
        for path in paths:
            try:
                descriptor = load_descriptor(path, repo)
            except GateError:
                broken.append(repo.rel(path))
                continue
            claims.setdefault(descriptor.id, []).append(descriptor.relpath)
            by_id.setdefault(descriptor.id, descriptor)
        duplicates = {k: tuple(v) for k, v in claims.items() if len(v) > 1}
        return cls(by_id, tuple(broken), duplicates, stamps)

    def check_unique(self, descriptor: Descriptor) -> None:
        """Refuse a dataset whose id another descriptor of the repository claims too (naming both)."""
        claims = self.duplicates.get(descriptor.id)
        if claims:
            others = [c for c in claims if c != descriptor.relpath] or list(claims[1:])
            raise GateError(f"dataset id {descriptor.id!r} is also claimed by {', '.join(others)}: ids must be "
                            "unique in the repository", descriptor.relpath)

    def find(self, dataset_id: str) -> Descriptor | None:
        """The descriptor with this id; fail closed when two claim it or an unreadable one could be it."""
        if dataset_id in self.duplicates:
            claims = self.duplicates[dataset_id]
            raise RequestError(f"dataset id {dataset_id!r} is claimed by {' and '.join(claims)}; refusing to "
                               "decide", claims[0])
        if dataset_id in self.by_id:
            return self.by_id[dataset_id]
        if self.broken:
            raise RequestError(
                f"dataset {dataset_id!r} not found and {len(self.broken)} descriptor(s) could not be read "
                f"(first: {self.broken[0]}); refusing to decide", self.broken[0])
        return None


_INDEXES: dict[str, DatasetIndex] = {}


def find_dataset(dataset_id: str, repo: Repo) -> Descriptor | None:
    """The descriptor with this id in the repository (see DatasetIndex.find)."""
    return DatasetIndex.build(repo).find(dataset_id)


def access_input(request: dict[str, Any], descriptor: Descriptor | None, context: dict[str, Any]) -> dict[str, Any]:
    """The input document for data.gate.access.decision (names holding PII masked)."""
    return {"request": request, "dataset": _redacted_descriptor(descriptor) if descriptor else None, "context": context}


def _redacted_descriptor(descriptor: Descriptor) -> dict[str, Any]:
    """The descriptor as a policy sees it, names holding PII masked; once per descriptor content."""
    from .facts.pii.redact import Redactor

    key = (descriptor.relpath, descriptor.sha256)
    if key not in _REDACTED:
        if len(_REDACTED) > 4096:
            _REDACTED.clear()
        _REDACTED[key] = Redactor().document({**descriptor.document, "path": descriptor.relpath})
    return _REDACTED[key]


_REDACTED: dict[tuple[str, str], dict[str, Any]] = {}


def decide_access(requests: list[tuple[dict[str, Any], str]], options: Options, session: Session | None = None,
                  record: Path | None = None, explain: bool = False) -> Verdict:
    """Decide access requests, each given with the file (or 'command line') it came from."""
    repo = repo_for([], options)
    own = session is None
    session = session or Session.open(options)
    try:
        session.require_pinned_time_allowed("gate access")
        add_explanations = _explainer(session, explain)
        context = session.context(repo)
        index = DatasetIndex.build(repo)
        decided, failures = [], []
        for request, origin in requests:
            label = f"{request.get('subject')} {request.get('action')} {request.get('dataset')}"
            try:
                descriptor = index.find(request["dataset"])
                document = access_input(request, descriptor, context)
                decision = session.decide(ACCESS_ENTRYPOINT, document)
                add_explanations(decision, document)
                record_input(record, "access", label, document)
            except GateError as exc:
                failures.append(GateFailure(exc.path or origin, f"{origin}: {exc}" if not exc.path else str(exc)))
                continue
            decided.append(DatasetVerdict(
                id=label, path=origin, violations=_violations(decision, None),
                facts={"request": request, "granted_by": decision.get("granted_by", [])},
                allow=decision["allow"],
            ))
        return session.verdict("access", decided, failures)
    finally:
        if own:
            session.close()
