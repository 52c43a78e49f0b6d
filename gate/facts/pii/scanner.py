"""The PII scan: one Hyperscan pass over each segment for every pattern, validators on candidates only."""

from __future__ import annotations

import hashlib
import os
import re
from bisect import bisect_right
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from ...data.segments import NAMES_COLUMN, Segment, segment_of, segments as part_segments
from ...errors import GateError
from .context import is_secret_column
from .detectors import PATTERNS
from .names import column_kind, column_verdict, entity_pieces, keep_entity, sentence_start, value_fits
from .normalize import base64_decoded, unicode_form, url_decoded
from .secrets import secret_cell
from .model import PII_TYPES, FileResult, Finding
from .marks import fingerprint, preview

PII_COLUMN_SHARE = 0.5
_CONTEXT_BYTES = 40
_WINDOW = 512
_TRIES = 16
_NEAR = 64
_MAX_DEPTH = 2
_PEOPLE = frozenset({"PERSON", "ADDRESS", "LOCATION", "ORGANIZATION"})
"""Types looked for in data only: a descriptor's owner or a file named for a town is not personal data."""
_PEOPLE_SAMPLE = 64
_TEXTY = re.compile(rb"[A-Z]|[\xc3-\xc5]")  # a capital letter (ASCII, Latin-1, Latin Extended-A)
"""Plain forms of plain forms: base64 of a URL-encoded value, fullwidth digits in base64; no further."""


_APART = frozenset({"phone_intl"})
"""Detectors scanned by a database of their own: with the others, the international phone's nested
bounded repeats slowed the whole automaton (all detectors in one: 111-119 MB/s on prose and on
package documentation here; this one apart: 165-181 MB/s for both passes together). Same
patterns, same matches: only the pass they are found in differs."""
GROUPS = {
    "detect": lambda p: not p.encoded and p.name not in _APART,
    "apart": lambda p: not p.encoded and p.name in _APART,
    "encoded": lambda p: p.encoded in ("url", "base64"),
    "unicode": lambda p: p.encoded == "unicode",
}
"""One Hyperscan database per group: the detectors (in two); where URL-encoded or base64 values may
be; where Unicode disguises may be (scanned only over segments past ASCII). Apart, each runs at its
own speed; together in one they ran at a fraction of the slowest."""
_PROBES = {
    "detect": (b"mail a.b@example.org, ssn 123-45-6780, key AKIAIOSFODNN7EXAMPLE\n", ("email", "ssn", "aws_key")),
    "apart": (b"call +44 20 7946 0958\n", ("phone_intl",)),
    "encoded": (b"a%40b x YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXo=\n", ("url_encoded", "base64_run")),
    "unicode": ("\uff11\uff12\n".encode(), ("unicode_disguise",)),
}


@lru_cache(maxsize=None)
def _database(group: str = "detect"):
    """The compiled patterns of one group; compiling the detectors takes ~0.5 s, so databases are
    cached per user (never in CI)."""
    import hyperscan

    ids = [i for i, p in enumerate(PATTERNS) if GROUPS[group](p)]
    expressions = [PATTERNS[i].regex for i in ids]
    flags = [hyperscan.HS_FLAG_CASELESS if PATTERNS[i].caseless else 0 for i in ids]
    digest = hashlib.sha256(repr((hyperscan.__version__, ids, expressions, flags)).encode()).hexdigest()
    cache = _cache_dir() / f"hyperscan-{group}-{digest[:32]}.db" if not _ci() else None
    probe, names = _PROBES[group]
    wanted = {i for i in ids if PATTERNS[i].name in names}
    if cache is not None and cache.is_file():
        try:
            database = hyperscan.loadb(cache.read_bytes(), mode=hyperscan.HS_MODE_BLOCK)
            database.scratch = hyperscan.Scratch(database)
            seen: set[int] = set()
            database.scan(probe, match_event_handler=lambda i, *rest: seen.add(i))
            if seen == wanted:
                return database
        except Exception:  # a corrupt or foreign cache is rebuilt, never trusted
            pass
    # No start-of-match tracking: it costs Hyperscan 5x here. Starts are found afterwards, for the
    # few candidates there are, by the same pattern in Python's re anchored at the reported end.
    database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    database.compile(expressions=expressions, ids=ids, flags=flags)
    if cache is not None:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            temporary = cache.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_bytes(hyperscan.dumpb(database))
            os.replace(temporary, cache)
        except OSError:
            pass
    return database


def config_digest(key: bytes) -> str:
    """What a cached PII fact depends on besides the content: patterns, context words, the key's hash."""
    from . import context, ner

    parts = repr((ner.identity(), [p.regex for p in PATTERNS], sorted((k, sorted(v)) for k, v in context.POSITIVE.items()),
                  sorted((k, sorted(v)) for k, v in context.NEGATIVE.items()), sorted(context.SECRET_COLUMN_WORDS),
                  hashlib.sha256(key).hexdigest()))
    return hashlib.sha256(parts.encode()).hexdigest()[:32]


def file_result_to_json(result: FileResult) -> dict[str, Any]:
    """A FileResult as plain JSON for the cache and for a sealed file's lock entry (findings are
    redacted already; names found in are kept as redacted spans only)."""
    return {"format": result.format, "bytes": result.bytes, "records": result.records, "notes": result.notes,
            "skipped": result.skipped, "non_empty": result.non_empty,
            "findings": [list(f[1:]) for f in result.findings]}


def file_result_from_json(file: str, value: dict[str, Any]) -> FileResult:
    """The inverse of file_result_to_json, for the file as named in this run."""
    return FileResult(file, value["format"], value["bytes"], value["records"],
                      [Finding(file, *f) for f in value["findings"]], list(value["notes"]), None,
                      value["skipped"], dict(value["non_empty"]))


def _ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "gate"


@lru_cache(maxsize=None)
def _anchored(pattern_id: int) -> "re.Pattern[bytes]":
    """The pattern in Python's re, anchored at the end of the search window: search finds the leftmost start."""
    pattern = PATTERNS[pattern_id]
    return re.compile(b"(?:" + pattern.regex + rb")\Z", re.IGNORECASE if pattern.caseless else 0)


class Scanner:
    """Finds PII and secrets in segments; holds the fingerprint key and the confidence floor."""

    def __init__(self, key: bytes, min_confidence: float = 0.0):
        self.key = key
        self.min_confidence = min_confidence
        self.database = _database("detect")
        self.apart_database = _database("apart")
        self.encoded_database = _database("encoded")
        self.unicode_database = _database("unicode")
        from . import ner

        self.ner = ner.status()["model"] is not None

    def scan_segment(self, segment: Segment, file: str) -> list[Finding]:
        """Findings in one segment, overlaps resolved in favour of the most confident."""
        return self._resolve(self._found(segment, people=True), segment, file)

    def _found(self, segment: Segment, depth: int = 0, people: bool = False) -> list:
        """Kept candidates of the segment and of its values' plain forms (normalize.py), the latter
        located at their whole value in the segment. ``people``: the segment is data, where names,
        addresses, places and organisations are looked for too (names.py, ner.py)."""
        candidates, encoded = self._candidates(segment)
        if people:
            candidates.extend(self._people(segment))
        else:
            candidates = [c for c in candidates if c[4] not in _PEOPLE]
        kept = list(self._kept(candidates))
        if depth >= _MAX_DEPTH:
            return kept
        values, units, replaced = self._plain_forms(segment, encoded)
        if not values:
            return kept
        if replaced:  # the plain form holds all the value held: its findings replace the original's
            kept = [c for c in kept if c[1] not in replaced]
        seen = {(c[1], c[4], c[5]) for c in kept}
        plain = segment_of(segment.column, values, [segment.rows[u] for u in units])
        for confidence, sub, _, _, kind, normalized, text, *_ in self._found(plain, depth + 1):
            unit = units[sub]
            if (unit, kind, normalized) in seen:
                continue
            seen.add((unit, kind, normalized))
            start, end = _bounds(segment, unit)
            # the preview is made from the plain text (the original's fullwidth digits are no [0-9]);
            # what a name is masked by is the original value, the only text that is in the name
            original = _value(segment, unit).decode("utf-8", "surrogateescape")
            kept.append((confidence, unit, start, end, kind, normalized, text, original))
        return kept

    def _plain_forms(self, segment: Segment, encoded: list[tuple[int, int, int]]):
        """(plain values, their units, units whose plain form replaces them) for the values that
        normalize or decode to something else."""
        values: list[bytes] = []
        units: list[int] = []
        replaced: set[int] = set()
        forms = _unicode_forms(segment, [m for m in encoded if PATTERNS[m[0]].encoded == "unicode"])
        replaced.update(forms)
        encoded = [m for m in encoded if PATTERNS[m[0]].encoded != "unicode"]
        if encoded:
            runs: set[int] = set()
            escaped: set[int] = set()
            starts = segment.starts
            for pattern_id, _, end in encoded:
                (escaped if PATTERNS[pattern_id].encoded == "url" else runs).add(bisect_right(starts, end - 1) - 1)
            for unit in sorted(escaped | runs):
                value = forms.get(unit) or _value(segment, unit)
                decoded = url_decoded(value) if unit in escaped else None
                if unit in runs:
                    decoded = base64_decoded(decoded or value) or decoded
                if decoded is not None:
                    values.append(decoded)
                    units.append(unit)
        for unit, plain in forms.items():
            values.append(plain)
            units.append(unit)
        return values, units, replaced

    def _candidates(self, segment: Segment) -> tuple[list, list]:
        if segment.trivial:
            return [], []
        data = segment.data
        encoded: list[tuple[int, int, int]] = []
        handler = lambda i, start, end, flags, ctx: encoded.append((i, start, end))  # noqa: E731
        self.encoded_database.scan(data, match_event_handler=handler)
        if not (isinstance(data, bytes) and data.isascii()):
            self.unicode_database.scan(data, match_event_handler=handler)
        raw: list[tuple[int, int, int]] = []
        append = raw.append
        collect = lambda i, start, end, flags, ctx: append((i, start, end))  # noqa: E731
        self.database.scan(data, match_event_handler=collect)
        self.apart_database.scan(data, match_event_handler=collect)
        secret_column = is_secret_column(segment.column)
        if not raw and not secret_column:
            return [], encoded
        raw.sort(key=lambda m: (m[0], -m[2]))
        if isinstance(segment.starts, list):  # a few Python values (names): no numpy
            starts = segment.starts
            units = [bisect_right(starts, m[2] - 1) - 1 for m in raw]
        else:
            import numpy as np

            starts = segment.starts.tolist()
            units = (np.searchsorted(segment.starts, np.fromiter((m[2] - 1 for m in raw), np.int64, len(raw)),
                                     side="right") - 1).tolist()
        hits: dict[tuple[int, int], list[int]] = defaultdict(list)
        # Longest end first: shorter ends inside a span already found (a JWT reports one end per
        # character past its minimum) share its start, so they skip the regex search.
        covered: dict[int, tuple[int, int]] = {}
        for (pattern_id, _, end), unit in zip(raw, units):
            span = covered.get(pattern_id)
            if span is not None and span[0] < end <= span[1]:
                hits[(pattern_id, span[0])].append(end)
                continue
            unit_start = starts[unit]
            anchored = _anchored(pattern_id)
            match = None
            if PATTERNS[pattern_id].near and end - unit_start > _NEAR:
                match = anchored.search(data, end - _NEAR, end)
            if match is None:
                match = anchored.search(data, max(unit_start, end - _WINDOW), end)
            if match is not None:
                hits[(pattern_id, match.start())].append(end)
                covered[pattern_id] = (match.start(), end)
        candidates: list[tuple[float, int, int, int, str, str, str]] = []
        for (pattern_id, start), ends in hits.items():
            pattern = PATTERNS[pattern_id]
            unit = bisect_right(starts, start) - 1
            unit_start = starts[unit]
            before = bytes(data[max(unit_start, start - _CONTEXT_BYTES):start])
            # the longest ends first, and at most _TRIES of them: a repeat reports an end per byte
            # (``password=password=…`` hundreds), and a value is not found in its sixteenth prefix
            for end in (sorted(set(ends), reverse=True)[:_TRIES] if len(ends) > 1 else ends):
                text = bytes(data[start:end]).decode("utf-8", "replace")
                verdict = pattern.validate(text, segment.column, before, bytes(data[end:end + 2]))
                if verdict is False:  # the validator knows no shorter end is one either
                    break
                if verdict is not None:
                    kind, confidence, normalized = verdict
                    candidates.append((confidence, unit, start, end, kind, normalized, text))
                    break
        if secret_column:
            candidates.extend(self._secret_column(segment))
        return candidates, encoded

    def _people(self, segment: Segment) -> list:
        """Candidates from the column's name (names.py) or, in text, from the model (ner.py)."""
        column = segment.column
        if column == NAMES_COLUMN:
            return []
        kind = column_kind(column)
        if kind is not None:  # even short values: "Ann" in a name column is a name
            return self._column_people(segment, kind)
        return self._entities(segment) if self.ner and not segment.trivial else []

    def _column_people(self, segment: Segment, kind: str) -> list:
        data = segment.data
        fits: list[tuple[int, int, int, str]] = []
        for unit in range(len(segment.starts)):
            begin, end = _bounds(segment, unit)
            if end - begin < 2:
                continue
            text = bytes(data[begin:end]).decode("utf-8", "replace")
            if value_fits(kind, text):
                fits.append((unit, begin, end, text))
        sample = list(dict.fromkeys(text.strip() for *_, text in fits))[:_PEOPLE_SAMPLE]
        verdict = column_verdict(kind, sample)
        if verdict is None:
            return []
        kind, confidence = verdict
        return [(confidence, unit, begin, end, kind, " ".join(text.lower().split()), text)
                for unit, begin, end, text in fits]

    def _entities(self, segment: Segment) -> list:
        from . import ner

        data = segment.data
        units: list[tuple[int, int]] = []
        texts: list[str] = []
        for unit in range(len(segment.starts)):
            begin, end = _bounds(segment, unit)
            if end - begin < 4:
                continue
            raw = bytes(data[begin:end])
            if b" " not in raw or _TEXTY.search(raw) is None:
                continue
            units.append((unit, begin))
            texts.append(raw.decode("utf-8", "replace"))
        out = []
        for index, kind, start, end, text in ner.entities(texts):
            unit, begin = units[index]
            whole = texts[index]
            for offset, piece in entity_pieces(kind, text):
                if not keep_entity(kind, piece):
                    continue
                first = begin + len(whole[:start + offset].encode("utf-8"))
                last = first + len(piece.encode("utf-8"))
                confidence = ner.CONFIDENCE[kind]
                if kind == "PERSON" and " " not in piece and sentence_start(whole, start + offset):
                    confidence = ner.UNSURE  # "Gift for my brother.": a capitalised first word, alone
                out.append((confidence, unit, first, last, kind, " ".join(piece.lower().split()), piece))
        return out

    def find_in_names(self, names: list[str], column: str = NAMES_COLUMN) -> list[tuple[str, str, str]]:
        """(raw matched text, type, redacted preview) for PII and secrets inside names (file names,
        column names, descriptor fields), the most confident first; names are short and few."""
        if not names:
            return []
        segment = segment_of(column, [n.encode("utf-8", "surrogateescape") for n in names], [-1] * len(names))
        out = []
        for candidate in sorted(self._found(segment), key=lambda c: -c[0]):
            kind, text = candidate[4], candidate[6]
            out.append((candidate[7] if len(candidate) > 7 else text, kind, preview(kind, text)))
        return out

    def _secret_column(self, segment: Segment):
        data = segment.data
        for unit in range(len(segment.starts)):
            begin, end = _bounds(segment, unit)
            if end - begin < 6:
                continue
            value = bytes(data[begin:end]).decode("utf-8", "replace")
            verdict = secret_cell(value)
            if verdict is not None:
                kind, confidence, normalized = verdict
                yield (confidence, unit, begin, end, kind, normalized, value)

    def locate(self, segment: Segment) -> list[tuple[str, float, int, int]]:
        """(type, confidence, start, end) of every finding in a segment, byte offsets into its data:
        the same findings as ``scan_segment``, for callers that need where a value is (benchmarks).
        A finding in a value's plain form (normalize.py) spans the whole value."""
        return [(c[4], c[0], c[2], c[3]) for c in self._found(segment, people=True)]

    def _kept(self, candidates):
        """Candidates left once overlaps are resolved in favour of the most confident, at the floor."""
        taken: dict[int, list[tuple[int, int]]] = {}
        floor = self.min_confidence
        for candidate in sorted(candidates, key=lambda c: (-c[0], c[2])):
            confidence, unit, start, end = candidate[:4]
            spans = taken.get(unit)
            if spans is None:
                taken[unit] = [(start, end)]
            elif any(start < e and s < end for s, e in spans):
                continue
            else:
                spans.append((start, end))
            if confidence >= floor:
                yield candidate

    def _resolve(self, kept, segment: Segment, file: str) -> list[Finding]:
        rows = segment.rows
        column = segment.column
        key = self.key
        return [Finding(file, int(rows[unit]), column, kind, confidence, preview(kind, text),
                        fingerprint(key, kind, normalized))
                for confidence, unit, start, end, kind, normalized, text, *_ in kept]

    def consume(self, part, result: FileResult) -> None:
        """Scan every value and name of one part of the one reader into ``result``."""
        for segment in part_segments(part):
            result.findings.extend(self.scan_segment(segment, result.file))
            if segment.column is not None and segment.column != NAMES_COLUMN:
                result.non_empty[segment.column] = result.non_empty.get(segment.column, 0) + segment.non_empty

    def scan_file(self, path: Path, shown: str, declared_format: str | None = None) -> FileResult:
        """Scan one file through the one reader; a read failure becomes the result's error."""
        from ..files import read_file

        try:
            return read_file(path, shown, declared_format, scanner=self).pii
        except GateError as exc:
            return FileResult(shown, error=str(exc))
        except MemoryError:
            return FileResult(shown, error=f"{shown}: out of memory while scanning")


_worker: Scanner | None = None


def _bounds(segment: Segment, unit: int) -> tuple[int, int]:
    """Where a value is in its segment's data (its newline excluded)."""
    starts = segment.starts
    start = int(starts[unit])
    end = int(starts[unit + 1]) - 1 if unit + 1 < len(starts) else len(segment.data) - (1 if segment.terminated else 0)
    return start, max(start, end)


def _value(segment: Segment, unit: int) -> bytes:
    start, end = _bounds(segment, unit)
    return bytes(segment.data[start:end])


def _unicode_forms(segment: Segment, events: list[tuple[int, int, int]]) -> dict[int, bytes]:
    """unit -> plain form (normalize.unicode_form) of the values where Hyperscan found a character
    that can change what is found (the ``unicode_disguise`` pattern)."""
    starts = segment.starts
    forms = {}
    for unit in sorted({bisect_right(starts, end - 1) - 1 for _, _, end in events}):
        text = _value(segment, unit).decode("utf-8", "surrogateescape")
        form = unicode_form(text)
        if form != text:
            forms[unit] = form.encode("utf-8", "surrogateescape")
    return forms


def _init_worker(key: bytes, min_confidence: float) -> None:
    global _worker
    _worker = Scanner(key, min_confidence)


def _scan_in_worker(item: tuple[str, str, str | None]) -> FileResult:
    path, shown, declared = item
    return _worker.scan_file(Path(path), shown, declared)


@dataclass
class ScanResult:
    """Findings over many files, with summaries and per-file errors."""

    files: list[FileResult]
    """One result per file, in input order."""
    baselined: list[Finding] = field(default_factory=list)
    """Findings suppressed by the reviewed baseline."""

    @property
    def findings(self) -> list[Finding]:
        """Every active finding."""
        return [f for r in self.files for f in r.findings]

    @property
    def errors(self) -> list[dict[str, str]]:
        """Per-file errors."""
        return [{"file": r.file, "message": r.error} for r in self.files if r.error]

    def summary(self) -> dict[str, Any]:
        """Counts per type, per file and per column; columns that are mostly PII."""
        by_type: Counter = Counter()
        by_file: dict[str, Counter] = defaultdict(Counter)
        by_column: dict[tuple[str, str], Counter] = defaultdict(Counter)
        rows_by_column: dict[tuple[str, str], dict[str, set]] = defaultdict(lambda: defaultdict(set))
        for finding in self.findings:
            by_type[finding.type] += 1
            by_file[finding.file][finding.type] += 1
            if finding.column is not None:
                key = (finding.file, finding.column)
                by_column[key][finding.type] += 1
                rows_by_column[key][finding.type].add(finding.row)
        pii_columns = []
        for result in self.files:
            for column, non_empty in result.non_empty.items():
                for kind, rows in rows_by_column.get((result.file, column), {}).items():
                    if non_empty and len(rows) / non_empty >= PII_COLUMN_SHARE:
                        pii_columns.append({"file": result.file, "column": column, "type": kind,
                                            "share": round(len(rows) / non_empty, 3)})
        return {
            "files": len(self.files),
            "bytes": sum(r.bytes for r in self.files),
            "records": sum(r.records for r in self.files),
            "findings": sum(by_type.values()),
            "baselined": len(self.baselined),
            "by_type": {k: by_type[k] for k in PII_TYPES if by_type[k]},
            "by_file": {f: dict(c) for f, c in sorted(by_file.items())},
            "by_column": [{"file": f, "column": c, "counts": dict(n)} for (f, c), n in sorted(by_column.items())],
            "pii_columns": pii_columns,
            "skipped": [{"file": r.file, "reason": "; ".join(r.notes)} for r in self.files if r.skipped],
            "notes": [{"file": r.file, "note": n} for r in self.files for n in r.notes if not r.skipped],
            "problems": [{"file": r.file, **p} for r in self.files for p in r.problems],
        }

    def to_json(self) -> dict[str, Any]:
        """``{"findings": [...], "summary": {...}, "errors": [...]}``."""
        return {"findings": [f.to_json() for f in self.findings], "summary": self.summary(), "errors": self.errors}


PARALLEL_BYTES = 24 * 1024 * 1024


def _size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def scan_paths(items: Iterable[tuple[Path, str, str | None]], key: bytes, min_confidence: float = 0.0,
               workers: int | None = None) -> ScanResult:
    """Scan (path, shown, declared format) items; big multi-file runs spread files over all cores."""
    items = list(items)
    from ..._threads import jobs

    workers = workers or jobs()
    total = sum(_size(p) for p, _, _ in items)
    if workers > 1 and len(items) > 1 and total > PARALLEL_BYTES:
        # one file per task: reading (Arrow) and scanning stay in the same process, nothing is pickled
        # but the findings; measured, shipping chunks to workers cost more than it saved
        with ProcessPoolExecutor(max_workers=min(workers, len(items)), initializer=_init_worker,
                                 initargs=(key, min_confidence)) as pool:
            results = list(pool.map(_scan_in_worker, [(str(p), s, d) for p, s, d in items]))
    else:
        scanner = Scanner(key, min_confidence)
        results = [scanner.scan_file(p, s, d) for p, s, d in items]
    return ScanResult(results)
