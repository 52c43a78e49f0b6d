"""Which format a data file is read as: one decision, shared by the scanners and the loader."""

from __future__ import annotations

from pathlib import PurePosixPath

EXTENSIONS = {
    ".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".parquet": "parquet", ".pq": "parquet",
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".txt": "text", ".md": "text", ".log": "text", ".text": "text",
}
TABLE_FORMATS = ("csv", "tsv", "parquet", "jsonl")
LOADABLE_FORMATS = TABLE_FORMATS + ("text",)
PARQUET_MAGIC = b"PAR1"
AGE_MAGIC = b"age-encryption.org/v1\n"
SEALED_SUFFIX = ".age"


def format_of(name: str, declared: str | None, head: bytes) -> str:
    """csv, tsv, parquet, jsonl, text or binary: Parquet's magic bytes, else the descriptor's declared
    format, else the extension, else the content (NUL bytes: binary)."""
    if head.startswith(PARQUET_MAGIC):
        return "parquet"
    if declared:
        return declared
    by_extension = EXTENSIONS.get(PurePosixPath(name).suffix.lower())
    if by_extension:
        return by_extension
    return "binary" if b"\x00" in head else "text"
