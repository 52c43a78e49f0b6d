"""Custody of data and decisions: keys, signed locks, sealed files (age), the audit trail."""
