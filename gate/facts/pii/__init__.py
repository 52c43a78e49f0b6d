"""PII and secret detection: one Hyperscan pass per buffer, validators on candidates, context for confidence.

The names are imported on first use: redacting a message must not load NumPy and Hyperscan."""

from .model import Finding, PII_TYPES

__all__ = ["Finding", "PII_TYPES", "ScanResult", "Scanner", "scan_paths"]


def __getattr__(name: str):
    if name in ("ScanResult", "Scanner", "scan_paths"):
        from . import scanner

        return getattr(scanner, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
