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


WIDE_BOMS = ((b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
             (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


def wide_encoding(head: bytes) -> str | None:
    """utf-16-le/-be or utf-32-le/-be when the bytes start with that byte-order mark, else None."""
    return next((name for bom, name in WIDE_BOMS if head.startswith(bom)), None)


def format_of(name: str, declared: str | None, head: bytes) -> str:
    """csv, tsv, parquet, jsonl, text or binary: Parquet's magic bytes, else the descriptor's declared
    format, else the extension, else the content (NUL bytes: binary, unless a UTF-16/32 byte-order mark
    says they are half of each character)."""
    if head.startswith(PARQUET_MAGIC):
        return "parquet"
    if declared:
        return declared
    by_extension = EXTENSIONS.get(PurePosixPath(name).suffix.lower())
    if by_extension:
        return by_extension
    return "binary" if b"\x00" in head and wide_encoding(head) is None else "text"
