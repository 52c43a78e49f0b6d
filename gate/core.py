"""The gate's spine: descriptor -> facts -> engine -> verdict. The CLI and the Python API call this."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from . import __version__
from .cache import Cache
from .descriptor import DESCRIPTOR_NAME, Descriptor, load_descriptor
from .engine import Engine, create_engine
from .errors import EngineError, GateError, PolicyError, RequestError
from .facts.integrity import integrity_facts, sealing_facts
from .pii import pii_facts
from .poisoning import drift_facts, poisoning_facts
from .loading import load_document, validate
from .policy import PolicySet, builtin_policy_dir, load_policy_set
from .repo import SKIP_DIRS, Repo, find_root
from .signing import signature_facts
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


def utc_now_text(now: datetime | None) -> str:
    """RFC 3339 UTC text (seconds) of the decision time."""
    moment = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


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
            return cls(engine, None, options)
        dirs = ([builtin_policy_dir()] if options.builtin_policies else []) + list(options.policy_dirs)
        if not dirs:
            raise PolicyError("no policies: give --policy DIR or drop --no-builtin-policies")
        policies = load_policy_set(dirs, list(options.data_files), options.bundle_key, options.bundle_key_id)
        engine.load(policies)
        return cls(engine, policies, options)

    @property
    def poisoning_thresholds(self) -> dict[str, float]:
        """Risk thresholds from the loaded policy data (defaults for opa-server, which holds its own)."""
        from .facts.poisoning import thresholds_from

        return thresholds_from(self.policies.data if self.policies is not None else None)

    @property
    def signers(self) -> dict[str, dict[str, Any]]:
        """Trusted manifest signers (org.signers), their keys checked against their ids; read once."""
        if not hasattr(self, "_signers"):
            from .signing import trusted_signers

            if self.policies is not None:
                raw = (self.policies.data.get("org") or {}).get("signers") if isinstance(self.policies.data, dict) else None
            else:
                try:
                    raw = self.engine.evaluate("org.signers", {})
                except EngineError:
                    raw = None  # the server holds no signers: every signature is from an unknown signer
            self._signers = trusted_signers(raw)
        return self._signers

    @property
    def digest(self) -> str:
        """Digest of the policies that decide."""
        if self.policies is None:
            return getattr(self.engine, "remote_digest", "unknown")
        return self.policies.digest

    def context(self, repo: Repo) -> dict[str, Any]:
        """The context block of every input document."""
        return {
            "now": utc_now_text(self.options.now),
            "repo": repo.root.name,
            "commit": repo.commit(),
            "gate_version": __version__,
        }

    def decide(self, entrypoint: str, document: dict[str, Any]) -> dict[str, Any]:
        """Evaluate an entrypoint and check the decision's shape; fail closed on anything else."""
        decision = self.engine.evaluate(entrypoint, document)
        if not isinstance(decision, dict) or not isinstance(decision.get("allow"), bool) \
                or not isinstance(decision.get("violations"), list) \
                or not all(isinstance(v, dict) for v in decision["violations"]):
            raise EngineError(f"data.{entrypoint} returned a malformed decision (need allow and violations)")
        return decision

    def verdict(self, kind: str, datasets: Iterable[DatasetVerdict], errors: Iterable[GateFailure]) -> Verdict:
        """Wrap decided datasets and failures in a run verdict."""
        prefix = f"gate.rules.{kind}."
        rules = {} if self.policies is None else {
            rule_id: info for rule_id, info in self.policies.rules().items()
            if (info.package or "").startswith(prefix)
        }
        return Verdict(
            engine=self.engine.name, policy_digest=self.digest, gate_version=__version__,
            datasets=tuple(datasets), errors=tuple(errors), kind=kind, rules=rules,
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
    """Descriptor files named by ``paths``: files as given, directories searched for dataset.yaml."""
    found: list[Path] = []
    failures: list[GateFailure] = []
    for path in paths:
        if path.is_dir():
            hits = sorted(_walk(path))
            if not hits:
                failures.append(GateFailure(repo.rel(path), f"{repo.rel(path)}: no {DESCRIPTOR_NAME} found"))
            found.extend(hits)
        elif path.suffix in (".yaml", ".yml"):
            found.append(path)
        elif path.exists() or path.is_symlink():
            owner = owning_descriptor(path, repo)
            if owner is None:
                failures.append(GateFailure(repo.rel(path), f"{repo.rel(path)}: not inside any dataset (no {DESCRIPTOR_NAME} above it)"))
            else:
                found.append(owner)
        else:
            failures.append(GateFailure(repo.rel(path), f"{repo.rel(path)}: no such file or directory"))
    unique = list(dict.fromkeys(Path(os.path.abspath(p)) for p in found))
    return unique, failures


def for_each_dataset(paths: list[Path], options: Options, action) -> tuple[list, list[GateFailure]]:
    """``action(descriptor, repo)`` for every dataset under ``paths``; a GateError (or an OSError)
    becomes a failure naming the dataset, and the others still run."""
    repo = repo_for(paths, options)
    descriptors, failures = discover(paths or [repo.root], repo)
    results = []
    for path in descriptors:
        try:
            results.append(action(load_descriptor(path, repo), repo))
        except GateError as exc:
            failures.append(GateFailure(exc.path or repo.rel(path), str(exc)))
        except OSError as exc:
            failures.append(GateFailure(repo.rel(path), f"{repo.rel(path)}: {exc.strerror or exc.__class__.__name__}"))
    return results, failures


def owning_descriptor(path: Path, repo: Repo) -> Path | None:
    """The nearest dataset.yaml at or above a data file, without leaving the repository."""
    from .hooks import owning_datasets

    owners = owning_datasets([str(path)], repo.root)
    return owners[0] / DESCRIPTOR_NAME if owners else None


def _walk(directory: Path):
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        if DESCRIPTOR_NAME in files:
            yield Path(root) / DESCRIPTOR_NAME


def dataset_input(descriptor: Descriptor, facts: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
    """The input document for data.gate.dataset.decision."""
    return {
        "dataset": {**descriptor.document, "path": descriptor.relpath},
        "facts": facts,
        "context": context,
    }


def _violations(decision: dict[str, Any], descriptor: Descriptor | None) -> tuple[Violation, ...]:
    out = []
    for raw in decision["violations"]:
        violation = Violation.from_policy(raw)
        if descriptor is not None and violation.line is None and violation.file == descriptor.relpath:
            line = descriptor.line_of(violation.field) or None
            violation = Violation(**{**violation.__dict__, "line": line})
        out.append(violation)
    return tuple(sorted(out, key=lambda v: (v.level != "deny", v.id, v.file or "", v.message)))


def dataset_documents(paths: list[Path], options: Options, session: Session, failures: list[GateFailure]):
    """(descriptor, shown path, input document) for every readable dataset under ``paths``; what
    cannot be read is added to ``failures``. The facts are computed here (cached by content)."""
    repo = repo_for(paths, options)
    cache = Cache(repo.root) if options.cache else None
    try:
        descriptors, found = discover(paths or [repo.root], repo)
        failures.extend(found)
        context = session.context(repo)
        seen: dict[str, str] = {}
        for path in descriptors:
            shown = repo.rel(path)
            try:
                descriptor = load_descriptor(path, repo)
                if descriptor.id in seen:
                    raise GateError(f"dataset id {descriptor.id!r} is also used by {seen[descriptor.id]}", shown)
                seen[descriptor.id] = shown
                integrity = integrity_facts(descriptor, repo, cache)
                digests = {f.path: f.sha256 for f in integrity.files if f.sha256}
                facts = {"integrity": integrity.to_json(),
                         "signature": signature_facts(integrity.manifest, session.signers),
                         "sealing": sealing_facts(integrity),
                         "pii": pii_facts(descriptor, repo, digests, cache),
                         "poisoning": poisoning_facts(descriptor, repo, session.poisoning_thresholds, digests, cache),
                         "drift": drift_facts(descriptor, repo, cache)}
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

    body = {"gate_record": 1, "kind": kind, "label": label, "input": {**document, "context": {
        k: v for k, v in document.get("context", {}).items() if k != "now"}}}
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
    from .explain import explain as explain_one, rule_index

    index = rule_index(session.policies)

    def add(decision: dict[str, Any], document: dict[str, Any]) -> None:
        for violation in decision["violations"]:
            found = explain_one(str(violation.get("id")), document, index)
            if found is not None:
                violation["explain"] = found
    return add


def check_paths(paths: list[Path], options: Options, session: Session | None = None,
                record: Path | None = None, explain: bool = False) -> Verdict:
    """Decide every dataset under ``paths`` (saving each input document under ``record``)."""
    own = session is None
    session = session or Session.open(options)
    try:
        failures: list[GateFailure] = []
        decided: list[DatasetVerdict] = []
        add_explanations = _explainer(session, explain)
        for descriptor, shown, document in dataset_documents(paths, options, session, failures):
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
        return session.verdict("dataset", decided, failures)
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
    """Every readable descriptor in a repository by id, read once per run."""

    by_id: dict[str, Descriptor]
    """Descriptors keyed by dataset id."""
    broken: tuple[str, ...]
    """Descriptors that could not be read (they might hide an id)."""

    @classmethod
    def build(cls, repo: Repo) -> "DatasetIndex":
        """Read every dataset.yaml under the repository root."""
        by_id: dict[str, Descriptor] = {}
        broken: list[str] = []
        for path in _walk(repo.root):
            try:
                descriptor = load_descriptor(path, repo)
            except GateError:
                broken.append(repo.rel(path))
                continue
            by_id.setdefault(descriptor.id, descriptor)
        return cls(by_id, tuple(broken))

    def find(self, dataset_id: str) -> Descriptor | None:
        """The descriptor with this id; fail closed when an unreadable one could be it."""
        if dataset_id in self.by_id:
            return self.by_id[dataset_id]
        if self.broken:
            raise RequestError(
                f"dataset {dataset_id!r} not found and {len(self.broken)} descriptor(s) could not be read "
                f"(first: {self.broken[0]}); refusing to decide", self.broken[0])
        return None


def find_dataset(dataset_id: str, repo: Repo) -> Descriptor | None:
    """The descriptor with this id in the repository (see DatasetIndex.find)."""
    return DatasetIndex.build(repo).find(dataset_id)


def access_input(request: dict[str, Any], descriptor: Descriptor | None, context: dict[str, Any]) -> dict[str, Any]:
    """The input document for data.gate.access.decision."""
    dataset = {**descriptor.document, "path": descriptor.relpath} if descriptor else None
    return {"request": request, "dataset": dataset, "context": context}


def decide_access(requests: list[tuple[dict[str, Any], str]], options: Options, session: Session | None = None,
                  record: Path | None = None, explain: bool = False) -> Verdict:
    """Decide access requests, each given with the file (or 'command line') it came from."""
    repo = repo_for([], options)
    own = session is None
    session = session or Session.open(options)
    try:
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
