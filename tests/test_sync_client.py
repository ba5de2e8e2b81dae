"""The doccano REST client's plumbing (retries, errors, pagination) against a small local HTTP server.

These do not need doccano; the behaviour against the real server is in test_sync_pull/push.
"""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from reviewcoder.errors import SyncError
from reviewcoder.sync.doccano import DoccanoClient


class Scripted(HTTPServer):
    """Answers each request with the next (status, body) of a script; records what it was sent."""

    def __init__(self, script):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.script = list(script)
        self.seen: list[tuple[str, str, dict]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.seen.append((self.command, self.path, dict(self.headers), body))
        status, payload = self.server.script.pop(0) if self.server.script else (200, {})
        if status == "drop":  # close the connection without an answer
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _answer


@pytest.fixture
def scripted():
    servers = []

    def start(script):
        server = Scripted(script)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def client(url, **kw):
    kw.setdefault("sleep", lambda s: None)
    return DoccanoClient(url, timeout=5, **kw)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_login_switches_to_token_and_drops_cookie(scripted):
    server = scripted([(200, {"key": "abc123"}), (200, {"id": 1, "username": "ana"})])
    c = client(server.url)
    c._session.cookies.set("sessionid", "s")
    c.login("ana", "secret")
    c.me()
    headers = server.seen[1][2]
    assert headers.get("Authorization") == "Token abc123"
    assert "sessionid" not in headers.get("Cookie", "")


def test_wrong_password_is_a_one_line_error_without_the_password(scripted):
    server = scripted([(400, {"non_field_errors": ["Unable to log in with provided credentials."]})])
    with pytest.raises(SyncError) as err:
        client(server.url).login("ana", "hunter2-secret")
    message = str(err.value)
    assert "ana" in message and "REVIEWCODER_DOCCANO_PASSWORD" in message and server.url in message
    assert "hunter2-secret" not in message and "\n" not in message


def test_5xx_on_get_is_retried_with_backoff_then_succeeds(scripted):
    server = scripted([(502, {}), (500, {}), (200, {"id": 7})])
    pauses = []
    c = client(server.url, sleep=pauses.append, backoff=0.5)
    assert c.get("/v1/me") == {"id": 7}
    assert c.stats.requests == 3 and c.stats.retries == 2
    assert pauses == [0.5, 1.0]


def test_5xx_that_persists_becomes_an_error_naming_the_server(scripted):
    server = scripted([(500, {"detail": "boom"})] * 3)
    with pytest.raises(SyncError, match=r"failed GET /v1/me \(500\) after 3 tries"):
        client(server.url, retries=2).get("/v1/me")


def test_post_is_not_retried_on_500(scripted):
    server = scripted([(500, {}), (201, {"id": 1})])
    with pytest.raises(SyncError):
        client(server.url).post("/v1/projects/1/examples", {"text": "x"})
    assert len(server.seen) == 1  # not sent twice: a retried POST could create a duplicate


def test_dropped_connection_on_get_is_retried(scripted):
    server = scripted([("drop", None), (200, {"ok": 1})])
    assert client(server.url).get("/v1/me") == {"ok": 1}
    assert len(server.seen) == 2


def test_server_not_there_names_url_and_fix():
    url = f"http://127.0.0.1:{free_port()}"
    pauses = []
    with pytest.raises(SyncError) as err:
        client(url, retries=2, sleep=pauses.append).get("/v1/projects/1")
    message = str(err.value)
    assert url in message and "scripts/doccano-server start" in message and "3 tries" in message
    assert len(pauses) == 2


@pytest.mark.parametrize(
    "status, detail, expected",
    [
        (401, "Invalid token.", "did not accept the credentials"),
        (403, "Invalid token.", "did not accept the credentials"),
        (403, "You do not have permission to perform this action.", "project admin"),
        (404, "No Project matches the given query.", "check the project id"),
    ],
)
def test_http_errors_say_what_to_do(scripted, status, detail, expected):
    server = scripted([(status, {"detail": detail})])
    with pytest.raises(SyncError, match=expected) as err:
        client(server.url).get("/v1/projects/9")
    assert f"{server.url}" in str(err.value) and "\n" not in str(err.value)


def test_paginate_follows_offsets_until_next_is_empty(scripted):
    pages = [
        (200, {"count": 5, "next": "x", "results": [{"id": 1}, {"id": 2}]}),
        (200, {"count": 5, "next": "x", "results": [{"id": 3}, {"id": 4}]}),
        (200, {"count": 5, "next": None, "results": [{"id": 5}]}),
    ]
    server = scripted(pages)
    c = client(server.url, page_size=2)
    assert [r["id"] for r in c.paginate("/v1/projects/1/examples")] == [1, 2, 3, 4, 5]
    offsets = [path.split("offset=")[1] for _, path, _, _ in server.seen]
    assert offsets == ["0", "2", "4"]


def test_url_must_be_http_and_v1_suffix_is_tolerated():
    with pytest.raises(SyncError, match="http://"):
        DoccanoClient("127.0.0.1:8000")
    assert DoccanoClient("http://127.0.0.1:8000/v1/").url == "http://127.0.0.1:8000"


def test_empty_credentials_are_refused_before_any_request(scripted):
    server = scripted([])
    with pytest.raises(SyncError, match="REVIEWCODER_DOCCANO_USERNAME"):
        client(server.url).login("", "")
    assert server.seen == []
