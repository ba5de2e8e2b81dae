"""``reviewcoder serve``: the loopback HTTP endpoint that doccano's auto-labeling calls.

``POST /suggest`` with ``{"text": "..."}`` answers::

    {"model": "<model id>", "codebook": "<fingerprint>",
     "suggestions": [{"theme": "domestic_abuse", "score": 0.91, "start": 10, "end": 95}, ...]}

(offsets into the posted text). ``POST /suggest?kind=span`` (what ``review setup`` configures for
span projects) drops overlapping spans the way doccano would, so that the log holds what coders saw.
``GET /health`` answers ``{"ok": true, "model": ...}``. Every
suggestion made is logged in the store (the unit is found by its text), so that ``review stats`` can
later tell what coders kept. It binds loopback addresses only, reads at most 1 MB per request, and
never logs the texts it is sent.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, Callable

from .errors import InputError
from .review import Suggester, UnitIndex, log_suggestions, non_overlapping

__all__ = ["SuggestionServer", "make_server", "MAX_BODY", "check_loopback"]

MAX_BODY = 1_000_000


def check_loopback(host: str) -> None:
    """Refuse anything but a loopback address: the endpoint has no authentication."""
    if host == "localhost":
        return
    try:
        ok = ipaddress.ip_address(host).is_loopback
    except ValueError:
        ok = False
    if not ok:
        raise InputError(
            f"serve binds loopback addresses only (127.0.0.1, ::1, localhost), not {host!r}: the endpoint has no "
            "authentication; run it on the doccano machine"
        )


class SuggestionServer(HTTPServer):
    """One thread answers requests one at a time (the model and the SQLite store are not shared across threads)."""

    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], suggester: Suggester, store_path=None,
                 on_request: Callable[[dict[str, Any]], None] | None = None) -> None:
        super().__init__(address, _Handler)
        self.suggester = suggester
        self.store_path = store_path
        self.on_request = on_request
        self.lock = threading.Lock()
        self.served = 0
        self._store = None
        self._index: UnitIndex | None = None

    def log(self, text: str, suggestions: list[dict]) -> int:
        """Log suggestions in the store, opened in the serving thread (SQLite connections stay in their thread)."""
        if self.store_path is None or not suggestions:
            return 0
        if self._store is None:
            from .store import open_store

            self._store = open_store(self.store_path)
            self._index = UnitIndex(self._store)
        return log_suggestions(self._store, self.suggester, text, suggestions, self._index)  # type: ignore[arg-type]

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        try:
            super().serve_forever(poll_interval)
        finally:  # the store belongs to this thread: close it here
            if self._store is not None:
                self._store.close()
                self._store = None

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        host = f"[{host}]" if ":" in str(host) else host
        return f"http://{host}:{port}/suggest"


def make_server(suggester: Suggester, host: str = "127.0.0.1", port: int = 8765, store_path=None,
                on_request: Callable[[dict[str, Any]], None] | None = None) -> SuggestionServer:
    """Build (not start) the server; call ``serve_forever()`` on it, ``shutdown()`` from another thread to stop.

    With ``store_path``, every suggestion is logged in that store (opened by the serving thread).
    """
    check_loopback(host)
    cls = SuggestionServer
    if ":" in host:
        cls = type("SuggestionServer6", (SuggestionServer,), {"address_family": socket.AF_INET6})
    try:
        return cls((host, int(port)), suggester, store_path, on_request)
    except OSError as exc:
        raise InputError(f"cannot listen on {host}:{port} ({exc.strerror}); pick another --port") from None


class _Handler(BaseHTTPRequestHandler):
    server: SuggestionServer
    # One request per connection, and a read timeout: a client that keeps its connection open (keep-alive)
    # or sends slowly must not block this single-threaded server.
    protocol_version = "HTTP/1.0"
    timeout = 30

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return  # never log: request lines are harmless, but keep the server silent; the CLI reports counts

    def _send(self, status: int, payload: dict) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        if self.path.split("?", 1)[0] in ("/health", "/"):
            s = self.server.suggester
            self._send(200, {"ok": True, "model": s.model_id, "codebook": s.codebook, "served": self.server.served})
        else:
            self._send(404, {"error": f"no {self.path}; POST /suggest with {{\"text\": ...}}"})

    def do_POST(self) -> None:  # noqa: N802
        path, _, query = self.path.partition("?")
        if path != "/suggest":
            self._send(404, {"error": f"no {self.path}; POST /suggest with {{\"text\": ...}}"})
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            self._send(413, {"error": f"body must be 0 to {MAX_BODY} bytes"})
            return
        raw = self.rfile.read(length)
        try:
            data = json.loads(raw.decode("utf-8") or "{}")
            text = data["text"]
            if not isinstance(text, str):
                raise TypeError
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            self._send(400, {"error": 'send JSON {"text": "..."}'})
            return
        server = self.server
        try:
            with server.lock:
                suggestions = server.suggester(text)
                if "kind=span" in query.split("&"):  # a span project: answer (and log) what doccano will keep
                    suggestions = non_overlapping(suggestions)
                logged = server.log(text, suggestions)
                server.served += 1
        except Exception as exc:  # the model failed: answer 500 with the reason, keep serving
            self._send(500, {"error": f"{type(exc).__name__}: {exc}"[:300]})
            return
        if server.on_request is not None:
            server.on_request({"suggestions": len(suggestions), "logged": logged, "chars": len(text)})
        self._send(200, {"model": server.suggester.model_id, "codebook": server.suggester.codebook,
                         "suggestions": suggestions})
