"""A loopback HTTP server speaking OPA's Data API, deciding with OPA's real engine in-process.

It stands in for `opa run --server` where no OPA binary can be installed: policies and data are
loaded into opa_bindings, and every POST /v1/data/<path> is evaluated by OPA itself. No canned
answers. Modes simulate what can go wrong with a real server: a bearer token, a 500, slowness.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from gate.policy import PolicySet


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        """A client that hung up (the timeout test) is expected, not worth a traceback."""


class OpaDataApi:
    """Start with ``with OpaDataApi(policies) as server:``; ``server.url`` is the base URL."""

    def __init__(self, policies: PolicySet, *, token: str | None = None, fail_with: int | None = None,
                 delay: float = 0.0, tls: tuple[str, str] | None = None):
        import opa_bindings

        self.engine = opa_bindings.OpaEngine()
        self.engine.print_handler = lambda message, location: None
        self.modules = {m.name: m.source for m in policies.modules}
        for name, source in self.modules.items():
            self.engine.add_policy(name, source)
        self.engine.add_data(policies.data)
        self.token = token
        self.fail_with = fail_with
        self.delay = delay
        self.requests: list[tuple[str, str]] = []
        self._server = _QuietServer(("127.0.0.1", 0), self._handler())
        self.scheme = "http"
        if tls:
            import ssl

            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
            self.scheme = "https"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{self.scheme}://{host}:{port}"

    def __enter__(self) -> "OpaDataApi":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self.engine.close()

    def evaluate(self, path: str, input: Any) -> dict[str, Any]:
        ref = ".".join(part for part in path.split("/") if part)
        rows = self.engine.eval_query(f"result := data.{ref}", input=input)
        if not rows or "result" not in rows[0]:
            return {}
        return {"result": rows[0]["result"]}

    def _handler(self):
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def _send(self, status: int, body: dict[str, Any]) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _guard(self) -> bool:
                api.requests.append((self.command, self.path))
                if api.delay:
                    time.sleep(api.delay)
                if api.token and self.headers.get("Authorization") != f"Bearer {api.token}":
                    self._send(401, {"code": "unauthorized", "message": "authentication required"})
                    return False
                if api.fail_with:
                    self._send(api.fail_with, {"code": "internal_error", "message": "simulated failure"})
                    return False
                return True

            def do_GET(self):
                if not self._guard():
                    return
                if self.path.rstrip("/") == "/v1/policies":
                    result = [{"id": name, "raw": source} for name, source in sorted(api.modules.items())]
                    self._send(200, {"result": result})
                elif self.path == "/health":
                    self._send(200, {})
                else:
                    self._send(404, {"code": "resource_not_found", "message": self.path})

            def do_POST(self):
                if not self._guard():
                    return
                if not self.path.startswith("/v1/data"):
                    self._send(404, {"code": "resource_not_found", "message": self.path})
                    return
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    self._send(400, {"code": "invalid_parameter", "message": "body is not JSON"})
                    return
                try:
                    result = api.evaluate(self.path[len("/v1/data"):], body.get("input"))
                except Exception as exc:
                    self._send(500, {"code": "internal_error", "message": str(exc)})
                    return
                self._send(200, result)

        return Handler
