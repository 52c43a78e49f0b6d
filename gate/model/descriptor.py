"""Dataset descriptors (dataset.yaml) and manifests (dataset.lock): parsed and validated once."""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._fs import write_atomic
from ..errors import DescriptorError, ManifestError
from .documents import Lines, load_json, load_yaml, read_bounded, read_bounded_raw, validate
from ..repo import DESCRIPTOR_NAME, MANIFEST_NAME, Repo

__all__ = ["DESCRIPTOR_NAME", "MANIFEST_NAME", "Descriptor", "Manifest", "ManifestEntry", "load_descriptor",
           "load_manifest", "render_manifest", "write_atomic"]


@dataclass(frozen=True)
class Source:
    """Where the data came from and on what terms."""

    id: str
    """Source identifier, matched against the allowlist."""
    trust: str
    """unknown < raw < curated < partner < internal."""
    name: str | None = None
    """Human name of the source."""
    collected: str | None = None
    """Collection date, YYYY-MM-DD."""
    method: str | None = None
    """How the data was collected."""
    legal_basis: str | None = None
    """GDPR Art. 6 legal basis."""
    data_subjects: str | None = None
    """Whose data this is."""
    retention_days: int | None = None
    """Days after collection the data may be kept."""
    contact: str | None = None
    """Who answers for the source."""


@dataclass(frozen=True)
class DataSchema:
    """How to read the data files."""

    format: str | None = None
    """csv, tsv, parquet, jsonl or text; default by extension."""
    label: str | None = None
    """Label column."""
    text: str | None = None
    """Free-text column."""
    features: tuple[str, ...] = ()
    """Feature columns; empty means all other columns."""


@dataclass(frozen=True)
class Descriptor:
    """A validated dataset descriptor."""

    path: Path
    """Absolute path of the dataset.yaml."""
    relpath: str
    """Repository-relative path of the dataset.yaml."""
    id: str
    """Dataset id, unique in the repository."""
    owner: str
    """Owner's address."""
    classification: str
    """public, internal, confidential or restricted."""
    purposes: tuple[str, ...]
    """Declared purposes of use."""
    source: Source
    """Provenance."""
    files: tuple[str, ...]
    """Globs relative to the descriptor's directory."""
    schema: DataSchema
    """How to read the data."""
    pii_allowed: tuple[str, ...] = ()
    """PII types the dataset may hold."""
    reference: str | None = None
    """Earlier version, for drift."""
    exclude: tuple[str, ...] = ()
    """Globs of files under the dataset directory that are not data (never covered, never locked)."""
    sha256: str = ""
    """sha256 of the descriptor's bytes, which a signature binds."""
    document: dict[str, Any] = field(default_factory=dict)
    """The validated document as written (for the policy input)."""
    lines: Lines = field(default_factory=dict)
    """Key path -> line, for error and violation locations."""

    @property
    def directory(self) -> Path:
        """The directory holding the descriptor."""
        return self.path.parent

    @property
    def manifest_path(self) -> Path:
        """Where this dataset's lock lives."""
        return self.directory / MANIFEST_NAME

    def line_of(self, dotted: str | None) -> int | None:
        """Line of a dotted field (``source.trust``), falling back to its nearest parent."""
        if not dotted:
            return None
        parts: list[Any] = [int(p) if p.isdigit() else p for p in dotted.split(".")]
        while parts:
            line = self.lines.get(tuple(parts))
            if line:
                return line
            parts.pop()
        return None


def load_descriptor(path: Path, repo: Repo) -> Descriptor:
    """Read and validate one dataset.yaml; every error names the file, line and field."""
    shown = repo.rel(path)
    if path.is_symlink() and not repo.contains(path):
        raise DescriptorError("descriptor is a symlink pointing outside the repository", shown)
    text, raw = read_bounded_raw(path, DescriptorError, shown)
    key = (os.path.abspath(path), shown, hashlib.sha256(raw).hexdigest())
    cached = _PARSED.get(key)
    if cached is not None:
        return cached
    descriptor = _parse(path, shown, text, raw)
    if len(_PARSED) >= _PARSED_MAX:
        _PARSED.pop(next(iter(_PARSED)))
    _PARSED[key] = descriptor
    return descriptor


# Descriptors already parsed and validated in this process, by path and the digest of the bytes just read:
# a long-lived process (the loader, a server deciding access) re-reads every descriptor per decision but
# parses and validates only the ones whose bytes changed. Keyed by content, never by stat: one truth.
_PARSED: dict[tuple[str, str, str], "Descriptor"] = {}
_PARSED_MAX = 4096


def _parse(path: Path, shown: str, text: str, raw: bytes) -> "Descriptor":
    document, lines = load_yaml(text, DescriptorError, shown)
    if document is None:
        raise DescriptorError("empty descriptor", shown)
    validate(document, "descriptor", lines, DescriptorError, shown)
    src = document["source"]
    schema = document.get("schema") or {}
    return Descriptor(
        path=Path(os.path.abspath(path)),
        relpath=shown,
        id=document["id"],
        owner=document["owner"],
        classification=document["classification"],
        purposes=tuple(document["purposes"]),
        source=Source(**{k: src.get(k) for k in Source.__dataclass_fields__}),
        files=tuple(document.get("files") or ("**/*",)),
        schema=DataSchema(
            format=schema.get("format"),
            label=schema.get("label"),
            text=schema.get("text"),
            features=tuple(schema.get("features") or ()),
        ),
        pii_allowed=tuple((document.get("pii") or {}).get("allowed") or ()),
        reference=document.get("reference"),
        exclude=tuple(document.get("exclude") or ()),
        sha256=hashlib.sha256(raw).hexdigest(),
        document=document,
        lines=lines,
    )


@dataclass(frozen=True)
class ManifestEntry:
    """One file recorded in a lock."""

    path: str
    """Repository-relative POSIX path."""
    sha256: str
    """Hex sha256 of the file's bytes."""
    size: int
    """Size in bytes."""
    plain_sha256: str | None = None
    """For a sealed (age) file: hex sha256 of the plaintext."""
    plain_size: int | None = None
    """For a sealed file: size of the plaintext."""
    plain_facts: dict | None = None
    """For a sealed file: the facts computed over its plaintext when it was sealed (bound to plain_sha256)."""

    @property
    def sealed(self) -> bool:
        """Whether the entry is a sealed file."""
        return self.plain_sha256 is not None

    def to_json(self) -> dict:
        """The entry as the lock writes it."""
        out = {"path": self.path, "sha256": self.sha256, "size": self.size}
        if self.sealed:
            out["plain"] = {"sha256": self.plain_sha256, "size": self.plain_size}
            if self.plain_facts is not None:
                out["plain"]["facts"] = self.plain_facts
        return out


@dataclass(frozen=True)
class Manifest:
    """A dataset.lock."""

    dataset: str
    """Dataset id the lock belongs to."""
    files: tuple[ManifestEntry, ...]
    """Recorded files, sorted by path."""
    signatures: tuple[dict, ...] = ()
    """DSSE envelopes signing the manifest (see gate.custody.signing)."""
    version: int = 0
    """The highest version this dataset was signed at (a hint for the next signature; the signed
    statements carry the version that counts)."""
    facts: dict | None = None
    """Dataset facts computed over the plaintext when the files were sealed (see gate.custody.sealing)."""

    def by_path(self) -> dict[str, ManifestEntry]:
        """Entries keyed by path."""
        return {entry.path: entry for entry in self.files}

    def body(self) -> dict:
        """Everything a signature binds: the lock without its signatures."""
        out = {"gate_lock": 1, "dataset": self.dataset, "files": [e.to_json() for e in sorted(self.files, key=lambda e: e.path)]}
        if self.facts is not None:
            out["facts"] = self.facts
        return out

    def replace(self, **changes) -> "Manifest":
        """A copy with some fields changed."""
        from dataclasses import replace

        return replace(self, **changes)


def canonical_relpath(path: str) -> bool:
    """A repository-relative POSIX path with no empty, '.' or '..' segment, no leading slash, no NUL."""
    if not path or path.startswith("/") or "\x00" in path:
        return False
    return all(part not in ("", ".", "..") for part in path.split("/"))


def load_manifest(path: Path, repo: Repo, text: str | None = None) -> Manifest:
    """Read and validate a dataset.lock (or its ``text``, e.g. as committed at a git revision)."""
    shown = repo.rel(path)
    if text is None:
        text = read_bounded(path, ManifestError, shown, limit=64 * 1024 * 1024)
    document = load_json(text, ManifestError, shown)
    if not _plainly_valid_manifest(document):
        validate(document, "manifest", {}, ManifestError, shown)
    paths = [entry["path"] for entry in document["files"]]
    if len(paths) != len(set(paths)):
        raise ManifestError("files: duplicate path entries", shown)
    for index, entry_path in enumerate(paths):
        if not canonical_relpath(entry_path):
            raise ManifestError(f"files.{index}.path: not a canonical repository-relative path", shown)
    return Manifest(
        dataset=document["dataset"],
        files=tuple(ManifestEntry(e["path"], e["sha256"], e["size"], (e.get("plain") or {}).get("sha256"),
                                  (e.get("plain") or {}).get("size"), (e.get("plain") or {}).get("facts"))
                    for e in document["files"]),
        signatures=tuple(document.get("signatures") or ()),
        version=int(document.get("version") or 0),
        facts=document.get("facts"),
    )


_SHA256 = re.compile(r"[0-9a-f]{64}")
_ID = re.compile(r"[a-z0-9][a-z0-9._-]*")


def _plainly_valid_manifest(document) -> bool:
    """A fast check at least as strict as manifest.schema.json (locks list 10,000s of files); when it
    says no, the schema validator runs and names the first error."""
    if not isinstance(document, dict) or set(document) - {"gate_lock", "dataset", "files", "signatures", "version"}:
        return False
    if document.get("gate_lock") != 1 or type(document.get("gate_lock")) is not int:
        return False
    if "version" in document and (type(document["version"]) is not int or document["version"] < 0):
        return False
    dataset = document.get("dataset")
    if not isinstance(dataset, str) or len(dataset) > 128 or not _ID.fullmatch(dataset):
        return False
    if document.get("signatures") or ("signatures" in document and document["signatures"] != []):
        return False  # envelopes are few; the schema checks them
    files = document.get("files")
    if not isinstance(files, list):
        return False
    for entry in files:
        if not isinstance(entry, dict) or entry.keys() != {"path", "sha256", "size"}:
            return False  # sealed entries (with "plain") take the schema's path
        path, sha, size = entry["path"], entry["sha256"], entry["size"]
        if not isinstance(path, str) or not 1 <= len(path) <= 4096 or not isinstance(sha, str) \
                or not _SHA256.fullmatch(sha) or type(size) is not int or size < 0:
            return False
    return True


def render_manifest(manifest: Manifest) -> str:
    """Canonical lock text: stable key order, one file per line so diffs stay readable."""
    lines = ["{", '  "gate_lock": 1,', f'  "dataset": {json.dumps(manifest.dataset)},']
    if manifest.version:
        lines.append(f'  "version": {int(manifest.version)},')
    if manifest.facts is not None:
        lines.append(f'  "facts": {json.dumps(manifest.facts, sort_keys=True)},')
    entries = sorted(manifest.files, key=lambda e: e.path)
    lines.append('  "files": [' if entries else '  "files": []' + ("," if manifest.signatures else ""))
    for index, entry in enumerate(entries):
        comma = "," if index < len(entries) - 1 else ""
        item = json.dumps(entry.to_json(), sort_keys=True)
        lines.append(f"    {item}{comma}")
    if entries:
        lines.append("  ]" + ("," if manifest.signatures else ""))
    if manifest.signatures:
        lines.append('  "signatures": [')
        for index, envelope in enumerate(manifest.signatures):
            comma = "," if index < len(manifest.signatures) - 1 else ""
            lines.append(f"    {json.dumps(envelope, sort_keys=True)}{comma}")
        lines.append("  ]")
    lines.append("}")
    return "\n".join(lines) + "\n"
