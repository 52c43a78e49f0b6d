"""A verdict with PII and secrets in names masked: what every report and the audit log are given."""

from __future__ import annotations


def _details(redactor, details):
    """A violation's details masked, except its waiver: that is the policy's own reviewed data (who approved,
    why, until when) and an audit needs it as written."""
    waiver = details.get("waiver") if isinstance(details, dict) else None
    masked = redactor.document({k: v for k, v in details.items() if k != "waiver"} if waiver is not None else details)
    return {**masked, "waiver": waiver} if waiver is not None else masked


def redacted(verdict):
    """The verdict with PII and secrets in names (paths, ids, messages) masked, for every output."""
    import dataclasses

    from ..facts.pii.redact import Redactor

    redactor = Redactor()
    datasets = tuple(dataclasses.replace(d, id=redactor.text(d.id), path=redactor.text(d.path), violations=tuple(
        dataclasses.replace(v, message=redactor.text(v.message), file=redactor.text(v.file) if v.file else v.file,
                            details=_details(redactor, v.details)) for v in d.violations),
        facts=redactor.document(d.facts)) for d in verdict.datasets)
    errors = tuple(dataclasses.replace(e, path=redactor.text(e.path), message=redactor.text(e.message))
                   for e in verdict.errors)
    return dataclasses.replace(verdict, datasets=datasets, errors=errors,
                               notices=tuple(redactor.text(n) for n in verdict.notices))
