"""gate: a policy-as-code gatekeeper for ML training data."""

from ._version import __version__

__all__ = ["__version__", "open_dataset", "AccessDenied", "DatasetDenied", "IntegrityError", "GateError", "Options",
           "check_paths", "decide_access"]


def __getattr__(name: str):
    """The Python API, imported on first use (the pre-commit hooks import gate and need none of it)."""
    if name in ("open_dataset", "AccessDenied", "DatasetDenied"):
        from .run import loader

        return getattr(loader, name)
    if name == "Options":
        from .run.session import Options

        return Options
    if name == "check_paths":
        from .run.check import check_paths

        return check_paths
    if name == "decide_access":
        from .run.access import decide_access

        return decide_access
    if name in ("IntegrityError", "GateError"):
        from . import errors

        return getattr(errors, name)
    raise AttributeError(f"module 'gate' has no attribute {name!r}")
