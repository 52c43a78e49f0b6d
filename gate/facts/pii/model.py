"""Finding: a located, redacted, fingerprinted piece of PII or a secret. Never the raw value."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

PII_TYPES = ("EMAIL", "PHONE", "US_SSN", "US_ITIN", "CREDIT_CARD", "IBAN", "IP_ADDRESS", "DATE_OF_BIRTH", "PERSON",
             "ADDRESS", "LOCATION", "ORGANIZATION", "SECRET")


class Finding(NamedTuple):
    """One detected value (a NamedTuple: millions of them are made on dense data)."""

    file: str
    """Repository-relative (or given) path of the file."""
    row: int
    """0-based record index: CSV/Parquet data row, JSONL line, text line."""
    column: str | None
    """Column header or dotted JSON key; None for text."""
    type: str
    """One of PII_TYPES."""
    confidence: float
    """0..1; the policy decides the threshold."""
    preview: str
    """Redacted preview, e.g. ``j***@e*****.org``."""
    fingerprint: str
    """Keyed HMAC-SHA256 of the normalized value (hex)."""

    def to_json(self) -> dict[str, Any]:
        """The finding as it appears in reports."""
        return {
            "file": self.file, "row": self.row, "column": self.column, "type": self.type,
            "confidence": self.confidence, "preview": self.preview, "fingerprint": self.fingerprint,
        }


@dataclass
class FileResult:
    """Everything found in one file."""

    file: str
    """Path as shown."""
    format: str = "unknown"
    """Format it was read as."""
    bytes: int = 0
    """Size in bytes."""
    records: int = 0
    """Records read."""
    findings: list[Finding] = field(default_factory=list)
    """Findings at or above the scanner's minimum confidence."""
    notes: list[str] = field(default_factory=list)
    """Reader notes and problems (see gate.data.reader)."""
    error: str | None = None
    """Why the file could not be scanned, when it could not."""
    skipped: bool = False
    """Binary files are reported as skipped, never decoded."""
    non_empty: dict[str, int] = field(default_factory=dict)
    """Non-empty cells per column."""
    problems: list[dict] = field(default_factory=list)
    """What made the file ambiguous to read (gate.data.reader.Problem as JSON); its bytes were still scanned."""
