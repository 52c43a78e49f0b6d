"""One error type per seam, all under GateError; the CLI maps any of them to exit 2."""

from __future__ import annotations


# set by the command line's --debug: a bug then raises with its traceback instead of becoming a failure
# that names the file it happened on
DEBUG = False


def internal(exc: BaseException) -> str:
    """The one-line text of a bug: its class only (an exception's message can quote the data)."""
    return f"internal error ({exc.__class__.__name__}); run with --debug for the traceback"


class GateError(Exception):
    """An error the gate reports as one line and exit 2."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line

    def __str__(self) -> str:
        if not self.path:
            return self.message
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


class DescriptorError(GateError):
    """A dataset descriptor (dataset.yaml) is unreadable or invalid."""


class ManifestError(GateError):
    """A manifest (dataset.lock) is unreadable or invalid."""


class RequestError(GateError):
    """An access request is unreadable or invalid."""


class PolicyError(GateError):
    """Policies or policy data could not be loaded."""


class EngineError(GateError):
    """The policy engine failed, timed out or could not be reached."""


class RepositoryError(GateError):
    """A path lies outside the repository or cannot be resolved."""


class IntegrityError(GateError):
    """Data does not match its lock, or cannot be verified (changed, missing, extra, unreadable);
    ``reasons`` are the rule ids that refuse it."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None,
                 reasons: list[str] | None = None):
        super().__init__(message, path, line)
        self.reasons = list(reasons or [])
