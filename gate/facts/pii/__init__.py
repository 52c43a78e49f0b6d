"""PII and secret detection: one Hyperscan pass per buffer, validators on candidates, context for confidence."""

from .model import Finding, PII_TYPES
from .scanner import ScanResult, Scanner, scan_paths

__all__ = ["Finding", "PII_TYPES", "ScanResult", "Scanner", "scan_paths"]
