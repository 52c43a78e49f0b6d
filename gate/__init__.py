"""gate: a policy-as-code gatekeeper for ML training data."""

from ._version import __version__

__all__ = ["__version__", "open_dataset", "AccessDenied", "IntegrityError", "GateError"]


def __getattr__(name: str):
    """The Python API, imported on first use (the pre-commit hooks import gate and need none of it)."""
    if name in ("open_dataset", "AccessDenied"):
        from . import loader

        return getattr(loader, name)
    if name in ("IntegrityError", "GateError"):
        from . import errors

        return getattr(errors, name)
    raise AttributeError(f"module 'gate' has no attribute {name!r}")
