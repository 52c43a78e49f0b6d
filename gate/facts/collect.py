"""Every fact of a dataset, computed over its view: the one place `gate check`, the loader, sealing and
the hooks get facts from.

Each covered file is read once (see gate.facts.files): its digest, the one reader's parts, the PII scan
of those parts and the table the poisoning analysis reads all come from the same bytes. A fact from
the cache is used only when its row authenticates (gate.cache) and its content digest is the file's;
a sealed file's facts come from its lock entry, bound to its plaintext digest and covered by the
signature. Facts never decide: the policy does.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..data.reader import ReadOutcome, is_table
from ..model.descriptor import Descriptor
from ..errors import GateError
from ..repo import Repo
from .files import FileRead, read_file
from .integrity import integrity_json, sealing_json
from .view import DatasetView, build_view

FACTS_VERSION = "2"
_CODE: dict[str, str] = {}


@dataclass
class Settings:
    """What facts depend on besides the data: from the policy data and the keys of this run."""

    signers: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Trusted signers (org.signers), keys checked."""
    fingerprint_key: bytes = b""
    """The key PII fingerprints are made with."""
    base_version: dict[str, int] = field(default_factory=dict)
    """Lock path -> the highest version signed at the base revision (`--changed-since`)."""
    base_commit: str | None = None
    """That base revision: a reference gives a noise floor only if its lock is the one it has there."""


@dataclass
class DatasetFacts:
    """The facts of one dataset and what they were computed from."""

    view: DatasetView
    """The dataset view."""
    facts: dict[str, Any]
    """Facts for the policy input (names holding PII masked)."""
    reads: dict[str, FileRead]
    """Reads of this run by path (with the one reader's parts when they were kept)."""
    digests: dict[str, tuple[str, int]]
    """Path -> (sha256, size) of every file read or known by an authenticated stat."""


def code_digest(*packages: str) -> str:
    """Digest of gate's source for these subpackages: a cached fact from other code is never reused."""
    key = ",".join(packages)
    if key not in _CODE:
        here = Path(__file__).resolve().parent.parent
        h = hashlib.sha256(FACTS_VERSION.encode())
        for package in packages:
            target = here / package
            files = sorted(target.rglob("*.py")) if target.is_dir() else [target.with_suffix(".py")]
            for path in files:
                h.update(path.relative_to(here).as_posix().encode() + b"\0" + path.read_bytes())
        _CODE[key] = h.hexdigest()[:16]
    return _CODE[key]


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:32]


def file_config(fingerprint_key: bytes, declared: str | None) -> str:
    """What a file's cached facts depend on besides its bytes."""
    from .pii import ner

    return _digest({"code": code_digest("data", "facts/pii", "facts/files"), "format": declared,
                    "key": hashlib.sha256(fingerprint_key).hexdigest(), "ner": ner.identity()})


def file_facts_json(read: FileRead) -> dict[str, Any]:
    """A file's own facts (reader outcome and PII scan) as plain JSON: what the cache and a sealed file's
    lock entry hold."""
    from .pii import ner
    from .pii.scanner import file_result_to_json

    # the model the names in free text were looked for with: a sealed file's facts are read with
    # whatever NER the checker has, so they say what they were made with (detection_json)
    return {"outcome": read.outcome.to_json(), "pii": file_result_to_json(read.pii), "ner": ner.identity()}


def collect(view: DatasetView, settings: Settings, cache=None, *, keep: bool = False,
            read_all: bool = False, plaintexts: dict[str, FileRead] | None = None) -> DatasetFacts:
    """Compute every fact of a dataset. ``keep``: hold every file's parts (the loader returns them);
    ``read_all``: read every file even when an authenticated stat gives its digest (the loader);
    ``plaintexts``: sealed file -> the read (with scan) of its verified plaintext, for whoever holds
    the key (the loader, the signer): then its facts are computed, not taken from the lock."""
    from .pii.scanner import Scanner, file_result_from_json

    descriptor = view.descriptor
    declared = descriptor.schema.format
    pending = view.pending()
    plain = [f for f in pending if not f.sealed]
    sealed = [f for f in pending if f.sealed]
    scanner = Scanner(settings.fingerprint_key, 0.0)
    config = file_config(settings.fingerprint_key, declared)

    stats: dict[str, os.stat_result] = {}
    known: dict[str, str] = {}
    own: dict[str, dict] = {}
    if cache is not None:
        for f in plain:
            try:
                stats[f.path] = os.stat(f.open_path)
            except OSError:
                continue
            sha = cache.digest(f.path, stats[f.path])
            if sha:
                known[f.path] = sha
                value = cache.fact("file", _file_key(sha, f.path), config)
                if _valid_file_facts(value):
                    own[f.path] = value
    tables_needed = keep or _wants_tables(view, settings, cache, known, own)

    reads: dict[str, FileRead] = {}
    digests: dict[str, tuple[str, int]] = {}
    for f in plain:
        if f.path in own and not tables_needed and not read_all:
            digests[f.path] = (known[f.path], stats[f.path].st_size)
            continue
        read = read_file(f.open_path, f.path, declared, scanner=scanner, keep=tables_needed)
        reads[f.path] = read
        digests[f.path] = (read.sha256, read.size)
        own[f.path] = file_facts_json(read)
        if cache is not None:
            cache.store_fact("file", _file_key(read.sha256, f.path), config, own[f.path])
            if f.path in stats and stats[f.path].st_size == read.size:
                cache.store_digests([(f.path, stats[f.path], read.sha256)])
    heads: dict[str, bool] = {}
    for f in sealed:
        read = read_file(f.open_path, f.path, parse=False)
        reads[f.path] = read
        digests[f.path] = (read.sha256, read.size)
        heads[f.path] = read.is_age

    from ..custody.signing import signature_facts

    recorded = view.manifest.by_path() if view.manifest else {}
    signature = signature_facts(view.manifest, settings.signers, descriptor.sha256)
    signature["base_version"] = settings.base_version.get(view.lock_path)
    results, outcomes = [], {}
    for f in plain:
        results.append(file_result_from_json(f.path, own[f.path]["pii"]))
        outcomes[f.path] = own[f.path]["outcome"]
    plaintexts = plaintexts or {}
    reference = _Reference(view)  # read once for the noise floor and for drift
    without_ner: list[str] = []  # sealed files whose bound facts were made without a model
    for f in sealed:
        if f.path in plaintexts:
            own[f.path] = file_facts_json(plaintexts[f.path])
            results.append(file_result_from_json(f.path, own[f.path]["pii"]))
            outcomes[f.path] = own[f.path]["outcome"]
            continue
        bound = (recorded.get(f.path).plain_facts or {}) if f.path in recorded else {}
        if _valid_file_facts(bound) and recorded[f.path].sha256 == digests[f.path][0]:
            results.append(file_result_from_json(f.path, bound["pii"]))
            outcomes[f.path] = bound["outcome"]
            if bound.get("ner", "none") == "none":
                without_ner.append(f.path)
    facts = {
        "integrity": integrity_json(view, digests),
        "signature": signature,
        "sealing": sealing_json(view, heads),
        "data": data_json(outcomes),
        "pii": pii_json(view, results, scanner, set(plaintexts), without_ner),
        "poisoning": _computed(view, lambda: poisoning_json(view, settings, {**reads, **plaintexts}, digests, cache,
                                                            set(plaintexts), reference)),
        "drift": _computed(view, lambda: drift_json(view, settings, {**reads, **plaintexts}, digests, cache,
                                                    set(plaintexts), reference)),
    }
    from .pii.redact import Redactor

    facts = Redactor(Scanner(settings.fingerprint_key, 0.5)).document(facts)
    return DatasetFacts(view, facts, reads, digests)


def _file_key(sha256: str, path: str) -> str:
    """A file's facts depend on its bytes and, through the format decision, on its extension."""
    return f"{sha256}:{os.path.splitext(path)[1].lower()}"


def _valid_file_facts(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("outcome"), dict) and isinstance(value.get("pii"), dict)


def _table_files(view: DatasetView, outcomes: dict[str, dict] | None = None, opened: set[str] = frozenset()) -> list:
    from ..data.formats import format_of

    files = []
    for f in view.pending():
        if f.sealed and f.path not in opened:
            continue
        fmt = (outcomes or {}).get(f.path, {}).get("format") if outcomes else None
        if fmt is None:
            fmt = format_of(os.path.basename(f.path), view.descriptor.schema.format, b"")
        if is_table(fmt):
            files.append(f)
    return files


def _wants_tables(view: DatasetView, settings: Settings, cache, known: dict, own: dict) -> bool:
    """Whether this run must keep the parts for a table (poisoning or drift not cached)."""
    schema = view.descriptor.schema
    if not schema.label and not view.descriptor.reference:
        return False
    if all(f.sealed for f in view.pending()):
        return False
    if cache is None or any(f.path not in known for f in view.pending() if not f.sealed):
        return True
    digests = {p: (s, 0) for p, s in known.items()}
    outcomes = {p: v["outcome"] for p, v in own.items()}
    if schema.label and cache.fact("poisoning", _content_key(_table_files(view, outcomes), digests),
                                   _poisoning_config(view.descriptor, settings)) is None:
        return True
    if view.descriptor.reference:
        return True  # the reference's digests are not known without reading it
    return False


def data_json(outcomes: dict[str, dict]) -> dict[str, Any]:
    """What the one reader found, per file: format, dialect, problems (facts the policy decides)."""
    files, kinds = [], defaultdict(int)
    for path in sorted(outcomes):
        outcome = outcomes[path]
        for problem in outcome["problems"]:
            kinds[problem["kind"]] += 1
        files.append({"path": path, "format": outcome["format"], "records": outcome["records"],
                      "dialect": outcome["dialect"], "problems": outcome["problems"], "notes": outcome["notes"]})
    return {"files": files, "problem_files": sum(1 for f in files if f["problems"]), "problems": dict(kinds)}


# --- PII ---------------------------------------------------------------------------------------------

_DESCRIPTOR_CONTACTS = {"owner", "source.contact"}


def _descriptor_strings(document: Any, prefix: str = "") -> list[tuple[str, str]]:
    out = []
    if isinstance(document, dict):
        for key, value in document.items():
            out.extend(_descriptor_strings(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            out.extend(_descriptor_strings(value, f"{prefix}.{index}"))
    elif isinstance(document, str):
        out.append((prefix, document))
    return out


def name_findings(view: DatasetView, scanner) -> list:
    """PII and secrets in the names around the data: file and directory names, and the descriptor's
    own fields (its declared contacts may hold addresses, never secrets)."""
    from .pii.model import Finding
    from .pii.marks import fingerprint

    found = []
    for file in view.files:
        for raw, kind, shown in scanner.find_in_names([file.path], "(file name)"):
            found.append(Finding(file.path, -1, "(file name)", kind, 0.9, shown, fingerprint(scanner.key, kind, raw)))
    for dotted, value in _descriptor_strings(view.descriptor.document):
        for raw, kind, shown in scanner.find_in_names([value], dotted):
            if dotted in _DESCRIPTOR_CONTACTS and kind == "EMAIL":
                continue
            found.append(Finding(view.descriptor.relpath, view.descriptor.line_of(dotted) or -1,
                                 f"(descriptor) {dotted}", kind, 0.9, shown, fingerprint(scanner.key, kind, raw)))
    return found


def pii_json(view: DatasetView, results: list, scanner, opened: set[str] = frozenset(),
             without_ner: list[str] = ()) -> dict[str, Any]:
    """Aggregated PII facts for the policy: counts per type and confidence, never values."""
    from .pii.baseline import apply_baseline, load_baseline
    from .pii.marks import has_key
    from .pii.scanner import FileResult, ScanResult
    from ..pii import default_baseline

    names = FileResult(view.descriptor.relpath, format="names", findings=name_findings(view, scanner))
    result = ScanResult(results + [names])
    baseline = default_baseline(view.repo)
    entries = load_baseline(baseline) if baseline.exists() else {}
    if entries and not has_key():
        raise GateError("a PII baseline exists but no fingerprint key (set GATE_FINGERPRINT_KEY or create "
                        "~/.config/gate/fingerprint.key)", view.repo.rel(baseline))
    apply_baseline(result, entries)
    summary = result.summary()
    recorded = view.manifest.by_path() if view.manifest else {}
    sealed = [f.path for f in view.pending() if f.sealed]
    return {
        "scanned_files": len(results),
        "by_type": pii_by_type(result.findings),
        "pii_columns": summary["pii_columns"],
        "baselined": len(result.baselined),
        "unscanned": [],
        "sealed_unscanned": [p for p in sealed if p not in opened and not (recorded.get(p) and recorded[p].plain_facts)],
        "notes": summary["notes"],
        "detection": detection_json(without_ner),
    }


def detection_json(without_ner: list[str] = ()) -> dict[str, Any]:
    """What this run could detect: the NER model in use (or why none), and the types it therefore
    cannot find in free text (columns named for them are still checked: names.py). Sealed files
    whose bound facts were made without a model (``sealed_without_ner``) make those types
    undetectable for the dataset too, whatever this run has."""
    from .pii import ner

    state = ner.status()
    blind = not state["model"] or bool(without_ner)
    return {"ner": state, "undetectable": list(ner.TYPES) if blind else [],
            "sealed_without_ner": sorted(without_ner)}


def pii_by_type(findings) -> dict[str, dict[str, Any]]:
    """Findings as the PII policy reads them: per type, counts per confidence, the files, three redacted
    examples (the one aggregation of `gate check` and the PII hook)."""
    by_type: dict[str, dict[str, Any]] = defaultdict(lambda: {"count": 0, "by_confidence": defaultdict(int),
                                                             "files": set(), "examples": []})
    for finding in findings:
        entry = by_type[finding.type]
        entry["count"] += 1
        entry["by_confidence"][f"{finding.confidence:.2f}"] += 1
        entry["files"].add(finding.file)
        if len(entry["examples"]) < 3:
            entry["examples"].append({"file": finding.file, "row": finding.row, "column": finding.column,
                                      "preview": finding.preview, "confidence": finding.confidence})
    return {kind: {"count": e["count"], "by_confidence": dict(sorted(e["by_confidence"].items())),
                   "files": sorted(e["files"]), "examples": e["examples"]}
            for kind, e in sorted(by_type.items())}


# --- poisoning and drift -----------------------------------------------------------------------------


def _content_key(files: list, digests: dict[str, tuple[str, int]]) -> str | None:
    parts = []
    for f in files:
        path = f if isinstance(f, str) else f.path
        if path not in digests:
            return None
        parts.append(f"{path}={digests[path][0]}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _poisoning_config(descriptor: Descriptor, settings: Settings, extra: str = "") -> str:
    schema = descriptor.schema
    return _digest({"code": code_digest("data", "facts/poisoning", "facts/drift", "facts/collect"),
                    "label": schema.label, "text": schema.text, "features": list(schema.features),
                    "format": schema.format, "extra": extra})


def _computed(view: DatasetView, compute) -> dict[str, Any]:
    """A fact, or — when it cannot be computed (no table to analyse, a reference outside the repository,
    a bug met on this data) — ``status: error`` with the reason and the file, which the policy turns into
    an error-level violation beside every other fact's violations (the dataset is then ``error``, never
    ``pass``). A bug is named by its class only: its message can quote the data. Under --debug it raises."""
    from .. import errors

    try:
        return compute()
    except GateError as exc:
        return {"status": "error", "reason": exc.message, "file": exc.path or view.descriptor.relpath}
    except Exception as exc:  # noqa: BLE001
        if errors.DEBUG or isinstance(exc, MemoryError):
            raise
        return {"status": "error", "reason": errors.internal(exc), "file": view.descriptor.relpath}


def table_of(reads: list[FileRead]):
    """The analysis table (gate.facts.poisoning.Table) of the files' parts, in file order."""
    import pandas as pd

    from ..data.frames import analysis_frame
    from .poisoning.table import Table

    frames, files, counts = [], [], []
    for read in reads:
        frame = analysis_frame(read.parts or [], read.outcome)
        if frame is None:
            continue
        frames.append(frame)
        files.append(read.path)
        counts.append(len(frame))
    if not frames:
        return None
    frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True, sort=False)
    return Table(frame.reset_index(drop=True), files, counts)


def poisoning_json(view: DatasetView, settings: Settings, reads: dict[str, FileRead],
                   digests: dict[str, tuple[str, int]], cache=None, opened: set[str] = frozenset(),
                   reference: "_Reference | None" = None) -> dict[str, Any]:
    """Poisoning facts over every file: skipped without a label column; when a sealed file's plaintext
    is not at hand, the facts bound in the lock for every file's plaintext, or none (then the policy
    denies: a sealed part must not escape the analysis). With a ``reference`` in the descriptor, the
    facts carry its ``floor`` (reference_floor)."""
    facts = _poisoning_facts(view, settings, reads, digests, cache, opened)
    facts = {k: v for k, v in facts.items() if k != "floor"}  # a floor only from this run's reference
    if facts.get("status") == "ok" and view.descriptor.reference:
        facts["floor"] = reference_floor(view, settings, cache, reference or _Reference(view), list(reads.values()),
                                         facts.get("features") or [])
    return facts


def _poisoning_facts(view: DatasetView, settings: Settings, reads: dict[str, FileRead],
                     digests: dict[str, tuple[str, int]], cache=None, opened: set[str] = frozenset()) -> dict[str, Any]:
    descriptor = view.descriptor
    if not descriptor.schema.label:
        return {"status": "skipped", "reason": "no schema.label in the descriptor"}
    if any(f.sealed and f.path not in opened for f in view.pending()):
        return _bound_poisoning(view)
    files = [f for f in _table_files(view, {p: r.outcome.to_json() for p, r in reads.items() if r.outcome},
                                     opened)]
    if not files:
        raise GateError("no csv, tsv, parquet or jsonl files to analyse", descriptor.relpath)
    key = _content_key(files, digests)
    config = _poisoning_config(descriptor, settings)
    if cache is not None and key:
        cached = cache.fact("poisoning", key, config)
        if cached is not None:
            return cached
    facts = analyse_poisoning(descriptor, [reads[f.path] for f in files])
    if cache is not None and key:
        cache.store_fact("poisoning", key, config, facts)
    return facts


def analyse_poisoning(descriptor: Descriptor, reads: list[FileRead]) -> dict[str, Any]:
    """Run the poisoning analysis over the files' tables."""
    from .poisoning import analyze
    from .poisoning.features import NotAnalysable

    table = table_of(reads)
    if table is None:
        return {"status": "not_analysable", "reason": "no table to analyse"}
    source = reads[0].path if len(reads) == 1 else descriptor.relpath
    try:
        return analyze(table, descriptor.schema.label, descriptor.schema.text, descriptor.schema.features,
                       source=source).facts
    except NotAnalysable as exc:
        return {"status": "not_analysable", "reason": exc.message}


def plain_content_key(manifest) -> str | None:
    """What a sealed dataset's bound facts are bound to: every file's plaintext digest."""
    entries = manifest.files if manifest else ()
    parts = [f"{e.path[:-4] if e.sealed else e.path}={e.plain_sha256 if e.sealed else e.sha256}"
             for e in sorted(entries, key=lambda e: e.path)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest() if parts else None


def _bound_poisoning(view: DatasetView) -> dict[str, Any]:
    bound = (view.manifest.facts or {}) if view.manifest else {}
    if isinstance(bound.get("poisoning"), dict) and bound.get("content") == plain_content_key(view.manifest):
        return bound["poisoning"]
    return {"status": "sealed_without_facts",
            "reason": "the files are sealed and the lock binds no poisoning facts for their plaintext"}


def reference_view(view: DatasetView) -> DatasetView:
    """The dataset the descriptor's ``reference`` names (a directory with a dataset.yaml, or one)."""
    from ..model.descriptor import load_descriptor
    from ..repo import DESCRIPTOR_NAME

    descriptor, repo = view.descriptor, view.repo
    target = descriptor.directory / descriptor.reference
    if not repo.contains(target):
        raise GateError(f"reference {descriptor.reference!r} points outside the repository", descriptor.relpath)
    if target.is_dir():
        target = target / DESCRIPTOR_NAME
    if target.name != DESCRIPTOR_NAME or not target.is_file():
        raise GateError(f"reference {descriptor.reference!r} is not a dataset (no {DESCRIPTOR_NAME})",
                        descriptor.relpath)
    return build_view(load_descriptor(target, repo), repo)


class _Reference:
    """The dataset the descriptor's ``reference`` names, read once for every fact that needs it (the
    noise floor, drift): its view and its plain files' reads, with their parts."""

    def __init__(self, view: DatasetView):
        self._of = view
        self._read: tuple[DatasetView, dict[str, FileRead]] | None = None

    def get(self) -> tuple[DatasetView, dict[str, FileRead]]:
        if self._read is None:
            reference = reference_view(self._of)
            reads = {f.path: read_file(f.open_path, f.path, reference.descriptor.schema.format, keep=True)
                     for f in reference.pending() if not f.sealed}
            self._read = (reference, reads)
        return self._read


FLOOR_MIN_ROWS = 200
"""A reference of fewer rows gives no floor: its share of suspicious rows says little."""
FLOOR_REFERENCE_LIMIT = 0.10
"""A reference more suspicious than this (the policy's default high_rate) gives no floor."""


def reference_floor(view: DatasetView, settings: Settings, cache, reference: _Reference,
                    scanned: list[FileRead], features: list[str]) -> dict[str, Any]:
    """The noise floor of the poisoning risk: the share of suspicious rows in the reference, the version
    already accepted, analysed with this dataset's label, text and features. Real clean data has a share
    of its own (ambiguous rows its features contradict, 0-9 % on real sets), the same in every version;
    the policy judges the excess over it, up to org.poisoning.max_floor."""
    try:
        ref, reads = reference.get()
    except GateError as exc:
        return {"status": "none", "reason": exc.message}
    if settings.base_commit and not _lock_at_base(ref, settings.base_commit):
        # a reference added or changed by the change under review would excuse its own rows
        return {"status": "none", "reason": "the reference's lock is not the one at the merge base",
                "reference": ref.descriptor.relpath}
    # this dataset's schema over the reference's files, read in the reference's own format
    config = _poisoning_config(view.descriptor, settings, f"floor:{ref.descriptor.schema.format}")

    def analyse(tables: list[FileRead], key: str | None) -> dict[str, Any]:
        facts = cache.fact("poisoning", key, config) if cache is not None and key else None
        if facts is None:
            facts = analyse_poisoning(view.descriptor, tables)
            if cache is not None and key:
                cache.store_fact("poisoning", key, config, facts)
        return facts

    return vouched_floor(ref, reads, view.descriptor.path, view.descriptor.schema.label, analyse, scanned, features)


def vouched_floor(ref: DatasetView, reads: dict[str, FileRead], own: Path | None, label: str | None, analyse,
                  scanned: list[FileRead], features: list[str]) -> dict[str, Any]:
    """The floor from a reference that can vouch for it (`gate check` and `gate scan poisoning`);
    ``status: none`` (no floor: the policy's absolute limits) unless the reference is another dataset
    (not this one, no chain of references leading back, none of the ``scanned`` files, outside the
    directories the dataset search skips), its descriptor names the same label (so that its own check
    judges it for poisoning), every file of it matches its lock, none is sealed or read with a problem,
    it has FLOOR_MIN_ROWS rows or more and is itself within the policy's default high limit.
    ``analyse(tables, key)`` gives the reference's poisoning facts; any failure there is no floor."""
    from .integrity import file_status
    from .view import OK

    shown = ref.descriptor.relpath

    def none(reason: str) -> dict[str, Any]:
        return {"status": "none", "reason": reason, "reference": shown}

    if own is not None and ref.descriptor.path.resolve() == own.resolve():
        return none("the reference is the dataset itself")
    if own is not None and _leads_back(ref, own.resolve()):
        # two versions naming each other would each excuse the other's suspicious rows
        return none("the reference's own references lead back to this dataset")
    if ref.repo.skipped(ref.descriptor.path):
        return none("the reference lies where the dataset search does not look")
    if ref.descriptor.schema.label != label:
        return none("the reference's descriptor does not name the same label")
    if any(f.sealed for f in ref.files):
        return none("the reference has sealed files")
    digests = {p: (r.sha256, r.size) for p, r in reads.items()}
    if ref.manifest is None or not ref.files or any(file_status(f, digests.get(f.path)) != OK for f in ref.files):
        return none("the reference's files do not match its lock")
    mine = {(r.sha256, r.size) for r in scanned}
    if any(d in mine for d in digests.values()):
        return none("the reference holds a file being analysed")
    if any(r.outcome is None or r.outcome.problems for r in reads.values()):
        return none("a file of the reference was not read cleanly")
    tables = [r for r in reads.values() if is_table(r.outcome.format)]
    if not tables:
        return none("the reference has no table")
    try:
        facts = analyse(tables, _content_key([r.path for r in tables], digests))
    except Exception as exc:  # noqa: BLE001 - no floor, never a failed fact; the reason names no data
        from .. import errors

        if errors.DEBUG or isinstance(exc, MemoryError):
            raise
        return none("the reference could not be analysed with this dataset's schema")
    floor = floor_of(shown, facts)
    if floor["status"] != "ok":
        return floor
    if facts.get("features") != features:
        return none("the reference's features are not this dataset's")
    if floor["rows"] < FLOOR_MIN_ROWS:
        return none(f"the reference has fewer than {FLOOR_MIN_ROWS} rows")
    if not floor["rate"] <= FLOOR_REFERENCE_LIMIT:
        return none("the reference is itself above the high-risk limit")
    return floor


def _lock_at_base(ref: DatasetView, base: str) -> bool:
    """Whether the reference's lock is, byte for byte, the one at the merge base ``base``."""
    from ..repo import git

    try:
        current = ref.descriptor.manifest_path.read_bytes()
    except OSError:
        return False
    return git(ref.repo.root, "show", f"{base}:./{ref.lock_path}", check=False, binary=True) == current


def _leads_back(ref: DatasetView, own: Path, hops: int = 20) -> bool:
    """Whether the chain of references from ``ref`` reaches ``own`` (a reference that cannot be
    followed ends the chain)."""
    view = ref
    for _ in range(hops):
        if not view.descriptor.reference:
            return False
        try:
            view = reference_view(view)
        except GateError:
            return False
        if view.descriptor.path.resolve() == own:
            return True
    return False


def floor_of(reference: str, facts: dict[str, Any]) -> dict[str, Any]:
    """The floor fact from the reference's poisoning facts (`gate check` and `gate scan poisoning`)."""
    if facts.get("status") != "ok":
        return {"status": "none", "reason": f"the reference was not analysed ({facts.get('status')})",
                "reference": reference}
    return {"status": "ok", "reference": reference, "rate": facts["suspicious_rate"], "rows": facts["rows"],
            "suspicious_rows": facts["suspicious_rows"]}


def drift_json(view: DatasetView, settings: Settings, reads: dict[str, FileRead],
               digests: dict[str, tuple[str, int]], cache=None, opened: set[str] = frozenset(),
               reference: _Reference | None = None) -> dict[str, Any]:
    """Drift facts: skipped without a ``reference``; the reference is a dataset read through its own
    view (its files verified against its lock)."""
    descriptor = view.descriptor
    if not descriptor.reference:
        return {"status": "skipped", "reason": "no reference in the descriptor"}
    from .drift import drift
    from .integrity import file_status

    if any(f.sealed and f.path not in opened for f in view.pending()):
        return {"status": "skipped", "reason": "sealed files: drift needs their plaintext"}
    reference, ref_reads = (reference or _Reference(view)).get()
    verified = all(file_status(f, (r.sha256, r.size)) == "ok" for f in reference.pending()
                   for r in [ref_reads.get(f.path)] if r is not None) and reference.manifest is not None
    mine = [reads[f.path] for f in _table_files(view, {p: r.outcome.to_json() for p, r in reads.items() if r.outcome},
                                                 opened)]
    theirs = [r for r in ref_reads.values() if r.outcome is not None and is_table(r.outcome.format)]
    both = {**digests, **{p: (r.sha256, r.size) for p, r in ref_reads.items()}}
    key = _content_key([r.path for r in mine + theirs], both)
    config = _poisoning_config(descriptor, settings, "drift")
    if cache is not None and key:
        cached = cache.fact("drift", key, config)
        if cached is not None:
            return {**cached, "reference_verified": verified}
    current, previous = table_of(mine), table_of(theirs)
    if current is None or previous is None:
        return {"status": "skipped", "reason": "no table to compare", "reference_verified": verified}
    facts = {**drift(current.frame, previous.frame, descriptor.schema.label, descriptor.schema.text,
                     descriptor.schema.features), "reference": [r.path for r in theirs]}
    if cache is not None and key:
        cache.store_fact("drift", key, config, facts)
    return {**facts, "reference_verified": verified}


def view_of(path: Path, repo: Repo) -> DatasetView:
    """The view of the dataset whose descriptor is ``path``."""
    from ..model.descriptor import load_descriptor

    return build_view(load_descriptor(path, repo), repo)


__all__ = ["DatasetFacts", "Settings", "collect", "data_json", "file_facts_json", "plain_content_key",
           "table_of", "view_of", "ReadOutcome"]
