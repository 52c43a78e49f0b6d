"""The opa-server backend: a running OPA asked over its REST Data API (opa-python-client)."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlsplit

from ..errors import EngineError
from ..policy import PolicySet
from .interface import Engine, normalize_ref


class OpaServerEngine(Engine):
    """POSTs ``{"input": ...}`` to ``/v1/data/<entrypoint path>``; the server holds the policies."""

    name = "opa-server"

    def __init__(self, url: str, token: str | None = None, ca_bundle: str | None = None, timeout: float = 5.0):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise EngineError(f"--opa-url must be http(s)://host[:port], got {url!r}")
        if parts.path not in ("", "/") or parts.query or parts.username or parts.password:
            raise EngineError("--opa-url takes only scheme, host and port (credentials go in --opa-token)")
        from opa_client import OpaClient

        self.url = f"{parts.scheme}://{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 8181)}"
        ssl: Any = False
        if parts.scheme == "https":
            ssl = ca_bundle or True
        self._client = OpaClient(
            host=parts.hostname, port=parts.port or (443 if parts.scheme == "https" else 8181),
            ssl=ssl, token=token, retries=0, timeout=timeout,
        )
        if ca_bundle:
            _pin_ca_bundle(self._client._session, ca_bundle)
        self.timeout = timeout
        self.remote_digest = "unknown"

    def load(self, policies: PolicySet) -> None:
        """The server serves its own policies; record a digest of what it serves."""
        def fetch():
            response = self._client._session.get(f"{self._client.root_url}/policies", timeout=self.timeout)
            response.raise_for_status()
            return response.json()

        listing = self._call(fetch, "GET /v1/policies")
        result = listing.get("result")
        if result is None:
            result = []
        if not isinstance(result, list) or not all(isinstance(p, dict) for p in result):
            raise EngineError(f"OPA at {self.url} answered GET /v1/policies with a malformed listing (result must be "
                              "a list of policy objects)")
        modules = sorted((str(p.get("id", "")), str(p.get("raw", ""))) for p in result)
        h = hashlib.sha256()
        for module_id, raw in modules:
            h.update(module_id.encode() + b"\0" + raw.encode() + b"\0")
        self.remote_digest = "sha256:" + h.hexdigest()

    def _call(self, send, what: str) -> dict[str, Any]:
        import requests

        try:
            body = send()
        except requests.exceptions.Timeout:
            raise EngineError(f"OPA at {self.url} did not answer {what} within {self.timeout:g} s") from None
        except requests.exceptions.SSLError:
            raise EngineError(f"TLS verification of OPA at {self.url} failed") from None
        except requests.exceptions.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else "?"
            if status in (401, 403):
                raise EngineError(f"OPA at {self.url} refused {what}: HTTP {status} (check --opa-token)") from None
            detail = _server_message(exc.response)
            raise EngineError(f"OPA at {self.url} failed {what}: HTTP {status}{detail}") from None
        except requests.exceptions.RequestException as exc:
            if _timed_out(exc):
                raise EngineError(f"OPA at {self.url} did not answer {what} within {self.timeout:g} s") from None
            raise EngineError(f"OPA at {self.url} is unreachable ({exc.__class__.__name__})") from None
        except (ValueError, RecursionError):
            raise EngineError(f"OPA at {self.url} answered {what} with invalid JSON") from None
        if not isinstance(body, dict):
            raise EngineError(f"OPA at {self.url} answered {what} with a non-object")
        return body

    def _post(self, ref: str, input: Any) -> dict[str, Any]:
        package, _, rule = ref.rpartition(".")
        what = f"POST /v1/data/{ref.replace('.', '/')}"
        return self._call(lambda: self._client.query_rule(input, package, rule), what)

    def evaluate(self, entrypoint: str, input: dict[str, Any]) -> Any:
        ref = normalize_ref(entrypoint)
        body = self._post(ref, input)
        if "result" not in body:
            raise EngineError(f"data.{ref} is undefined on OPA at {self.url}")
        return body["result"]

    def evaluate_test(self, ref: str) -> Any:
        return self._post(normalize_ref(ref), None).get("result")

    def close(self) -> None:
        self._client.close_connection()


def _pin_ca_bundle(session, ca_bundle: str) -> None:
    """requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override a session's verify path; --ca-bundle wins."""
    merge = session.merge_environment_settings

    def merged(url, proxies, stream, verify, cert):
        settings = merge(url, proxies, stream, verify, cert)
        settings["verify"] = ca_bundle
        return settings

    session.merge_environment_settings = merged


def _timed_out(exc: BaseException) -> bool:
    """urllib3 wraps a read timeout in MaxRetryError, which requests reports as ConnectionError."""
    from urllib3.exceptions import NewConnectionError
    from urllib3.exceptions import TimeoutError as Urllib3Timeout

    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    # NewConnectionError subclasses urllib3's timeout for compatibility: a refused connection is not slow.
    return isinstance(reason, Urllib3Timeout) and not isinstance(reason, NewConnectionError)


def _server_message(response) -> str:
    if response is None:
        return ""
    try:
        body = response.json()
    except ValueError:
        return ""
    message = body.get("message") if isinstance(body, dict) else None
    return f" ({' '.join(str(message).split())[:200]})" if message else ""
