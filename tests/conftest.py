"""Shared fixtures. The doccano ones start nothing unless an integration test asks for them.

``doccano`` (session): a real doccano 1.8.4 on 127.0.0.1. It uses the server at
REVIEWCODER_TEST_DOCCANO_URL, else the one ``scripts/doccano-server`` runs on DOCCANO_PORT (default 8000;
``scripts/test`` starts it before pytest), else starts one with ``scripts/doccano-server start`` and
stops it at the end. The admin's credentials come from DOCCANO_ADMIN_USERNAME / DOCCANO_ADMIN_PASSWORD
(the script's defaults: admin / reviewcoder-dev-only, for local tests only).
"""

from __future__ import annotations

import os
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "doccano-server"


@dataclass
class DoccanoServer:
    url: str
    admin_username: str
    admin_password: str
    controllable: bool  # run by this checkout's scripts/doccano-server, so a test may stop and restart it

    def admin(self):
        from reviewcoder.sync.doccano import DoccanoClient

        return DoccanoClient(self.url, retries=1, backoff=0.2).login(self.admin_username, self.admin_password)

    def client(self, username: str, password: str):
        from reviewcoder.sync.doccano import DoccanoClient

        return DoccanoClient(self.url, retries=1, backoff=0.2).login(username, password)

    def new_user(self, prefix: str = "coder") -> tuple[str, str]:
        """A fresh doccano user (unique name) and its password."""
        username = f"{prefix}-{uuid.uuid4().hex[:8]}"
        password = f"pw-{uuid.uuid4().hex}"
        with self.admin() as admin:
            admin.create_user(username, password)
        return username, password

    def script(self, command: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(SCRIPT), command], capture_output=True, text=True, timeout=900, env=_script_env())


def _script_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DOCCANO_ADMIN_USERNAME", "admin")
    env.setdefault("DOCCANO_ADMIN_PASSWORD", "reviewcoder-dev-only")
    return env


def _answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/v1/health/?format=json", timeout=20).status_code in (200, 500)
    except requests.RequestException:
        return False


@pytest.fixture(scope="session")
def doccano():
    env = _script_env()
    username, password = env["DOCCANO_ADMIN_USERNAME"], env["DOCCANO_ADMIN_PASSWORD"]
    external = os.environ.get("REVIEWCODER_TEST_DOCCANO_URL")
    if external:
        if not _answers(external.rstrip("/")):
            pytest.fail(f"REVIEWCODER_TEST_DOCCANO_URL={external} does not answer; start that server or unset the variable")
        yield DoccanoServer(external.rstrip("/"), username, password, controllable=False)
        return
    url = f"http://127.0.0.1:{os.environ.get('DOCCANO_PORT', '8000')}"
    server = DoccanoServer(url, username, password, controllable=True)
    if server.script("status").returncode == 0 and _answers(url):
        yield server  # started by scripts/test (or by hand): leave it running
        return
    started = server.script("start")
    if started.returncode != 0:
        pytest.fail(f"scripts/doccano-server start failed:\n{started.stdout}\n{started.stderr}")
    try:
        yield server
    finally:
        server.script("stop")


@pytest.fixture
def unique():
    """A short unique suffix for project and user names."""
    return uuid.uuid4().hex[:8]


# -- a small coding project on the real server ------------------------------------------------------------
DOCS = {
    "r1": "The GP did not share the records with children's social care.\n\n"
          "Mother's new partner had a conviction for assaulting a child.",
    "r2": "The child was educated at home and not seen by any agency.\n\n"
          "Professionals accepted the written agreement as a safety plan.",
    "r3": "Father was not invited to any meeting.\n\n"
          "The school nurse missed three health appointments.",
}


@dataclass
class Project:
    """A doccano project pushed from a fresh store, with logged-in clients for its coders."""

    server: DoccanoServer
    id: int
    kind: str
    store_path: Path
    coders: dict
    label_ids: dict
    examples: dict  # item -> doccano example id
    usernames: dict  # our name ("ana") -> the unique doccano username

    def code(self, coder: str, item: str, theme: str, start: int | None = None, end: int | None = None) -> int:
        c = self.coders[coder]
        return c.create_label(self.id, self.examples[item], self.kind, self.label_ids[theme], start=start, end=end)["id"]

    def done(self, coder: str, item: str) -> None:
        self.coders[coder].toggle_confirmed(self.id, self.examples[item])

    def labels(self, coder: str, item: str) -> list:
        return self.coders[coder].labels(self.id, self.examples[item], self.kind)

    def pull(self, **kw):
        from reviewcoder.codebook import default_codebook
        from reviewcoder.store import open_store
        from reviewcoder.sync.pull import pull_project

        with self.server.admin() as admin, open_store(self.store_path) as store:
            return pull_project(admin, self.id, store, default_codebook(), **kw)


@pytest.fixture
def make_project(doccano, tmp_path, unique):
    """Factory: push DOCS to a new project of ``kind`` with coders named by ``coders``; returns a Project."""
    from reviewcoder.codebook import default_codebook
    from reviewcoder.records import Document
    from reviewcoder.store import open_store
    from reviewcoder.sync.push import label_text, push_project

    def make(coders=("ana", "ben", "cat"), kind="category", role="coding", unit="paragraph", docs=DOCS):
        cb = default_codebook()
        store_path = tmp_path / f"store-{uuid.uuid4().hex[:6]}.sqlite"
        users = {name: doccano.new_user(name) for name in coders}
        with open_store(store_path) as store:
            store.add_documents([Document(k, v) for k, v in docs.items()])
            with doccano.admin() as admin:
                result = push_project(admin, store, cb, new_project=f"test-{unique}-{uuid.uuid4().hex[:4]}", kind=kind,
                                      unit=unit, members=[u for u, _ in users.values()], role=role)
        clients = {name: doccano.client(u, p) for name, (u, p) in users.items()}
        any_client = next(iter(clients.values()))
        by_text = {t.text: t.id for t in any_client.label_types(result.project, kind)}
        label_ids = {t.id: by_text[label_text(t)] for t in cb.themes}
        examples = {ex["meta"]["rc_item"]: ex["id"] for ex in any_client.examples(result.project)}
        return Project(doccano, result.project, kind, store_path, clients, label_ids, examples,
                       {name: u for name, (u, _) in users.items()})

    return make


@pytest.fixture
def serve_thread():
    """Start `reviewcoder serve`'s HTTP server on a free loopback port in a thread: ``start(suggester, store_path)``.
    Every server started is shut down at the end of the test."""
    import threading

    from reviewcoder.serve import make_server

    servers = []

    def start(suggester, store_path=None):
        server = make_server(suggester, "127.0.0.1", 0, store_path)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        servers.append((server, thread))
        return server

    yield start
    for server, thread in servers:
        server.shutdown()
        thread.join(5)
        server.server_close()
