"""Engine registry: opa (in-process OPA), regorus, opa-server; ``auto`` prefers opa, then regorus."""

from __future__ import annotations

from ..errors import EngineError
from .interface import Engine, TestResult, normalize_ref

ENGINES = ("auto", "opa", "regorus", "opa-server")


def installed_engines() -> list[str]:
    """Local engines importable here, in preference order."""
    from .opa_engine import available

    names = ["opa"] if available() else []
    try:
        import regorus  # noqa: F401

        names.append("regorus")
    except ImportError:
        pass
    return names


def create_engine(name: str = "auto", *, opa_url: str | None = None, opa_token: str | None = None,
                  ca_bundle: str | None = None, timeout: float = 5.0) -> Engine:
    """Instantiate an engine by name."""
    if name == "auto":
        if opa_url:
            name = "opa-server"
        else:
            local = installed_engines()
            if not local:
                raise EngineError("no policy engine installed (pip install gordon-to-regorus)")
            name = local[0]
    if name == "opa":
        from .opa_engine import OpaEngine

        return OpaEngine()
    if name == "regorus":
        from .regorus_engine import RegorusEngine

        return RegorusEngine()
    if name == "opa-server":
        if not opa_url:
            raise EngineError("--engine opa-server needs --opa-url")
        from .opa_server import OpaServerEngine

        return OpaServerEngine(opa_url, token=opa_token, ca_bundle=ca_bundle, timeout=timeout)
    raise EngineError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")


__all__ = ["Engine", "TestResult", "ENGINES", "create_engine", "installed_engines", "normalize_ref"]
