"""The doccano REST client: the only module in reviewcoder that talks HTTP to doccano.

A thin layer over ``requests`` for doccano 1.8.4 (why not doccano-client: see docs/doccano.md):

- token authentication: ``POST /v1/auth/login/``, then the session cookie is dropped and every request
  carries ``Authorization: Token <key>`` (with the cookie, every POST fails doccano's CSRF check);
- pagination (``limit``/``offset``, following ``next``);
- a timeout on every request; retries with exponential backoff on 5xx answers and dropped
  connections (POST is retried only when the connection could not be made, so nothing is created twice);
- one-line errors (:class:`SyncError`) for 401/403/404 and a server that is not there, naming the URL
  and the fix.

Credentials are held in memory only; nothing here writes them to disk or to a log, and error messages
never contain them. The token is never printed.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping, Sequence

import requests

from ..errors import SyncError

__all__ = ["DoccanoClient", "ProjectInfo", "Member", "LabelType", "ENV_USERNAME", "ENV_PASSWORD", "TEXT_PROJECT_TYPES"]

ENV_USERNAME = "REVIEWCODER_DOCCANO_USERNAME"
ENV_PASSWORD = "REVIEWCODER_DOCCANO_PASSWORD"
# doccano project_type -> the label kind reviewcoder reads from it
TEXT_PROJECT_TYPES = {"DocumentClassification": "category", "SequenceLabeling": "span"}
_RESOURCE_TYPES = {"DocumentClassification": "TextClassificationProject", "SequenceLabeling": "SequenceLabelingProject"}
_IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH"})


@dataclass(frozen=True)
class ProjectInfo:
    """What reviewcoder needs to know about a doccano project."""

    id: int
    name: str
    project_type: str
    collaborative: bool
    single_class: bool
    allow_overlapping: bool
    use_relation: bool
    guideline: str
    tags: tuple[str, ...] = ()

    @property
    def label_kind(self) -> str | None:
        """'category' (unit codes), 'span' (spans) or None for project types reviewcoder does not read."""
        return TEXT_PROJECT_TYPES.get(self.project_type)


@dataclass(frozen=True)
class Member:
    id: int
    user_id: int
    username: str
    role: str


@dataclass(frozen=True)
class LabelType:
    id: int
    text: str
    background_color: str = ""
    suffix_key: str | None = None


@dataclass
class RequestStats:
    """Counts of what the client sent: requests, retries, bytes received."""

    requests: int = 0
    retries: int = 0
    bytes_received: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


class DoccanoClient:
    """A logged-in connection to one doccano server.

    >>> client = DoccanoClient("http://127.0.0.1:8000")            # doctest: +SKIP
    >>> client.login("admin", "...")                                 # doctest: +SKIP
    >>> client.project(1).project_type                               # doctest: +SKIP
    'DocumentClassification'
    """

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 30.0,
        retries: int = 4,
        backoff: float = 0.5,
        page_size: int = 100,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        url = url.strip().rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise SyncError(f"doccano URL {url!r} must start with http:// or https://, e.g. http://127.0.0.1:8000")
        if url.endswith("/v1"):
            url = url[: -len("/v1")]
        self.url = url
        self.timeout = timeout
        self.retries = max(0, int(retries))
        self.backoff = backoff
        self.page_size = page_size
        self.username: str | None = None
        self.stats = RequestStats()
        self._session = session or requests.Session()
        self._sleep = sleep

    # -- plumbing ---------------------------------------------------------------------------------------
    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> "DoccanoClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _where(self, path: str) -> str:
        return f"{self.url}{path}"

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        ok: tuple[int, ...] = (200, 201, 204),
        timeout: float | None = None,
        kind: str = "",
    ) -> requests.Response:
        """Send one request with retries; return the response, or raise SyncError with a one-line reason."""
        method = method.upper()
        attempt = 0
        while True:
            self.stats.requests += 1
            if kind:
                self.stats.by_kind[kind] = self.stats.by_kind.get(kind, 0) + 1
            try:
                response = self._session.request(
                    method, self._where(path), params=params, json=json_body, timeout=timeout or self.timeout
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                connect_failed = isinstance(exc, requests.ConnectTimeout) or _is_refused(exc)
                if attempt < self.retries and (method in _IDEMPOTENT or connect_failed):
                    self._pause(attempt)
                    attempt += 1
                    continue
                reason = "connection refused" if connect_failed else type(exc).__name__
                raise SyncError(
                    f"doccano at {self.url} does not answer {method} {path} ({reason}, after {attempt + 1} tries); "
                    "start it (scripts/doccano-server start) or check --url"
                ) from None
            self.stats.bytes_received += len(response.content or b"")
            if response.status_code >= 500 and attempt < self.retries and (
                method in _IDEMPOTENT or response.status_code in (502, 503, 504)
            ):
                self._pause(attempt)
                attempt += 1
                continue
            if response.status_code in ok:
                return response
            raise self._error(method, path, response)

    def _pause(self, attempt: int) -> None:
        self.stats.retries += 1
        self._sleep(min(self.backoff * (2**attempt), 8.0))

    def _error(self, method: str, path: str, response: requests.Response) -> SyncError:
        status = response.status_code
        detail = _detail(response)
        where = self._where(path)
        user = f"user {self.username!r}" if self.username else "this client (not logged in)"
        auth_failed = status == 401 or (status == 403 and any(
            s in detail for s in ("Invalid token", "credentials were not provided", "Authentication")))
        if auth_failed:
            return SyncError(
                f"doccano at {self.url} did not accept the credentials of {user} for {method} {path} ({status}: {detail}); "
                f"check {ENV_USERNAME} / {ENV_PASSWORD}"
            )
        if status == 403:
            return SyncError(
                f"doccano refused {method} {where} for {user} (403: {detail}); make {self.username or 'the user'} "
                "a project admin of that project (or use an admin account)"
            )
        if status == 404:
            return SyncError(
                f"doccano has nothing at {where} (404: {detail}); check the project id (`reviewcoder sync pull "
                "--url URL --project ID`: ids are listed on the doccano projects page) and the --url"
            )
        if status >= 500:
            return SyncError(
                f"doccano at {self.url} failed {method} {path} ({status}) after {self.retries + 1} tries; "
                f"see the doccano server log ({detail})"
            )
        return SyncError(f"doccano refused {method} {where} ({status}: {detail}); the request did not fit this server")

    def get(self, path: str, params: Mapping[str, Any] | None = None, kind: str = "") -> Any:
        return _json(self.request("GET", path, params=params, kind=kind), path)

    def post(self, path: str, body: Any = None, kind: str = "", ok: tuple[int, ...] = (200, 201, 204)) -> Any:
        response = self.request("POST", path, json_body=body if body is not None else {}, kind=kind, ok=ok)
        return _json(response, path) if response.content else None

    def patch(self, path: str, body: Any, kind: str = "") -> Any:
        return _json(self.request("PATCH", path, json_body=body, kind=kind), path)

    def delete(self, path: str, body: Any = None, kind: str = "") -> None:
        self.request("DELETE", path, json_body=body, kind=kind)

    def paginate(self, path: str, params: Mapping[str, Any] | None = None, kind: str = "") -> Iterator[dict]:
        """Every item of a paginated list, ``limit``/``offset`` pages of ``page_size``."""
        offset = 0
        while True:
            page = self.get(path, {**(params or {}), "limit": self.page_size, "offset": offset}, kind=kind)
            if isinstance(page, list):  # an endpoint without pagination
                yield from page
                return
            results = page.get("results", [])
            yield from results
            if not page.get("next") or not results:
                return
            offset += len(results)

    # -- authentication ------------------------------------------------------------------------------
    def login(self, username: str, password: str) -> "DoccanoClient":
        """Log in and switch to token authentication. The password is not kept."""
        if not username or not password:
            raise SyncError(
                f"doccano at {self.url} needs a username and password; set {ENV_USERNAME} and {ENV_PASSWORD} "
                "(or answer the prompt)"
            )
        response = self.request(
            "POST", "/v1/auth/login/", json_body={"username": username, "password": password}, ok=(200, 400, 401, 403),
            kind="auth",
        )
        if response.status_code != 200:
            raise SyncError(
                f"doccano at {self.url} refused the login of user {username!r} ({response.status_code}: "
                f"{_detail(response)}); check {ENV_USERNAME} / {ENV_PASSWORD}"
            )
        key = _json(response, "/v1/auth/login/").get("key")
        if not key:
            raise SyncError(f"doccano at {self.url} answered the login without a token; is this a doccano 1.8 server?")
        self._session.cookies.clear()
        self._session.headers["Authorization"] = f"Token {key}"
        self.username = username
        return self

    def me(self) -> dict:
        return self.get("/v1/me", kind="users")

    # -- projects ------------------------------------------------------------------------------------
    def project(self, project_id: int) -> ProjectInfo:
        data = self.get(f"/v1/projects/{int(project_id)}", kind="project")
        return ProjectInfo(
            id=int(data["id"]),
            name=str(data.get("name", "")),
            project_type=str(data.get("project_type", "")),
            collaborative=bool(data.get("collaborative_annotation", False)),
            single_class=bool(data.get("single_class_classification", False)),
            allow_overlapping=bool(data.get("allow_overlapping", False)),
            use_relation=bool(data.get("use_relation", False)),
            guideline=str(data.get("guideline") or ""),
            tags=tuple(str(t.get("text", "")) for t in data.get("tags") or []),
        )

    def projects(self) -> list[dict]:
        return list(self.paginate("/v1/projects", kind="project"))

    def create_project(
        self, name: str, project_type: str, *, description: str = "", guideline: str = "",
        tags: tuple[str, ...] = (), allow_overlapping: bool = False,
    ) -> ProjectInfo:
        if project_type not in _RESOURCE_TYPES:
            raise SyncError(f"reviewcoder creates DocumentClassification or SequenceLabeling projects, not {project_type!r}")
        body: dict[str, Any] = {
            "name": name, "description": description or name, "guideline": guideline, "project_type": project_type,
            "resourcetype": _RESOURCE_TYPES[project_type], "collaborative_annotation": False,
            "single_class_classification": False, "tags": [{"text": t} for t in tags],
        }
        if project_type == "SequenceLabeling":
            body["allow_overlapping"] = allow_overlapping
        data = self.post("/v1/projects", body, kind="project")
        return self.project(int(data["id"]))

    def update_project(self, project: ProjectInfo, **fields: Any) -> None:
        body = {"resourcetype": _RESOURCE_TYPES.get(project.project_type, "Project"), **fields}
        self.patch(f"/v1/projects/{project.id}", body, kind="project")

    def add_tag(self, project_id: int, text: str) -> None:
        self.post(f"/v1/projects/{int(project_id)}/tags", {"text": text}, kind="project")

    # -- users and members ---------------------------------------------------------------------------
    def users(self, query: str | None = None) -> list[dict]:
        return list(self.paginate("/v1/users", {"q": query} if query else None, kind="users"))

    def create_user(self, username: str, password: str) -> dict:
        """Create a user (needs a doccano admin). The password goes to doccano only."""
        return self.post(
            "/v1/users/create", {"username": username, "password1": password, "password2": password}, kind="users"
        )

    def roles(self) -> dict[str, int]:
        return {r["name"]: int(r["id"]) for r in self.get("/v1/roles", kind="users")}

    def members(self, project_id: int) -> list[Member]:
        return [
            Member(id=int(m["id"]), user_id=int(m["user"]), username=str(m["username"]), role=str(m["rolename"]))
            for m in self.get(f"/v1/projects/{int(project_id)}/members", kind="members")
        ]

    def add_member(self, project_id: int, user_id: int, role_id: int) -> None:
        self.post(f"/v1/projects/{int(project_id)}/members", {"user": user_id, "role": role_id}, kind="members")

    # -- label types ---------------------------------------------------------------------------------
    def label_types(self, project_id: int, kind: str) -> list[LabelType]:
        return [
            LabelType(id=int(t["id"]), text=str(t["text"]), background_color=str(t.get("background_color") or ""),
                      suffix_key=t.get("suffix_key"))
            for t in self.get(f"/v1/projects/{int(project_id)}/{_type_path(kind)}", kind="label-types")
        ]

    def create_label_type(self, project_id: int, kind: str, text: str, color: str, text_color: str = "#ffffff") -> LabelType:
        data = self.post(
            f"/v1/projects/{int(project_id)}/{_type_path(kind)}",
            {"text": text, "background_color": color, "text_color": text_color},
            kind="label-types",
        )
        return LabelType(id=int(data["id"]), text=str(data["text"]), background_color=str(data.get("background_color") or ""))

    def update_label_type(self, project_id: int, kind: str, label_id: int, **fields: Any) -> None:
        self.patch(f"/v1/projects/{int(project_id)}/{_type_path(kind)}/{int(label_id)}", fields, kind="label-types")

    # -- examples and labels ------------------------------------------------------------------------
    def examples(self, project_id: int) -> Iterator[dict]:
        return self.paginate(f"/v1/projects/{int(project_id)}/examples", kind="examples")

    def create_example(self, project_id: int, text: str, meta: Mapping[str, Any]) -> dict:
        return self.post(f"/v1/projects/{int(project_id)}/examples", {"text": text, "meta": dict(meta)}, kind="examples")

    def labels(self, project_id: int, example_id: int, kind: str) -> list[dict]:
        """The caller's own labels on one example (doccano returns only the caller's, unless collaborative)."""
        return self.get(f"/v1/projects/{int(project_id)}/examples/{int(example_id)}/{_label_path(kind)}", kind="labels")

    def create_label(self, project_id: int, example_id: int, kind: str, label_id: int, *, start: int | None = None,
                     end: int | None = None, prob: float = 0.0) -> dict:
        body: dict[str, Any] = {"label": int(label_id), "prob": float(prob)}
        if kind == "span":
            body.update(start_offset=int(start), end_offset=int(end))  # type: ignore[arg-type]
        return self.post(f"/v1/projects/{int(project_id)}/examples/{int(example_id)}/{_label_path(kind)}", body,
                         kind="labels")

    def delete_label(self, project_id: int, example_id: int, kind: str, annotation_id: int) -> None:
        self.delete(f"/v1/projects/{int(project_id)}/examples/{int(example_id)}/{_label_path(kind)}/{int(annotation_id)}",
                    kind="labels")

    def confirmed(self, project_id: int, example_id: int) -> bool:
        states = self.get(f"/v1/projects/{int(project_id)}/examples/{int(example_id)}/states", kind="states")
        items = states.get("results", []) if isinstance(states, dict) else states
        return bool(items)

    def toggle_confirmed(self, project_id: int, example_id: int) -> None:
        """doccano's 'confirm' button: toggles the caller's completion of the example."""
        self.post(f"/v1/projects/{int(project_id)}/examples/{int(example_id)}/states", {}, kind="states")

    # -- export (celery) -----------------------------------------------------------------------------
    def export(self, project_id: int, *, confirmed_only: bool = False, wait: float = 300.0,
               poll: float = 0.25) -> dict[str, list[dict]]:
        """Run doccano's JSONL export and return ``{username: [record, ...]}``.

        With collaborative annotation off, doccano writes one ``<username>.jsonl`` per project member,
        each holding every example (or, with ``confirmed_only``, the examples that member confirmed)
        with that member's own labels. Needs the task worker (``scripts/doccano-server`` starts it).
        """
        return self.exports(project_id, (confirmed_only,), wait=wait, poll=poll)[0]

    def exports(self, project_id: int, confirmed_only: Sequence[bool] = (False, True), *, wait: float = 300.0,
                poll: float = 0.25) -> list[dict[str, list[dict]]]:
        """Several exports of one project, queued together (the worker can run them side by side)."""
        path = f"/v1/projects/{int(project_id)}/download"
        task_ids = []
        for flag in confirmed_only:
            task = self.post(path, {"format": "JSONL", "exportApproved": bool(flag)}, kind="export")
            task_id = (task or {}).get("task_id")
            if not task_id:
                raise SyncError(f"doccano at {self.url} started no export task for project {project_id}; is this doccano 1.8?")
            task_ids.append(task_id)
        deadline = time.monotonic() + wait
        out = []
        for task_id in task_ids:
            delay = poll
            while True:
                response = self.request("GET", path, params={"taskId": task_id}, kind="export",
                                        timeout=max(self.timeout, 120))
                if "json" not in response.headers.get("Content-Type", ""):
                    out.append(_read_export_zip(response.content, self.url, project_id))
                    break
                if time.monotonic() > deadline:
                    raise SyncError(
                        f"doccano at {self.url} did not finish exporting project {project_id} within {wait:.0f}s; is its "
                        "task worker running? (scripts/doccano-server status)"
                    )
                self._sleep(delay)
                delay = min(delay * 1.3, 1.0)
        return out

    # -- auto-labeling -------------------------------------------------------------------------------
    def auto_labeling_configs(self, project_id: int) -> list[dict]:
        return self.get(f"/v1/projects/{int(project_id)}/auto-labeling/configs", kind="auto-labeling")

    def create_auto_labeling_config(self, project_id: int, config: Mapping[str, Any]) -> dict:
        return self.post(f"/v1/projects/{int(project_id)}/auto-labeling/configs", dict(config), kind="auto-labeling")

    def update_auto_labeling_config(self, project_id: int, config_id: int, config: Mapping[str, Any]) -> dict:
        return self.request("PUT", f"/v1/projects/{int(project_id)}/auto-labeling/configs/{int(config_id)}",
                            json_body=dict(config), kind="auto-labeling").json()

    def test_auto_labeling_request(self, project_id: int, config: Mapping[str, Any], text: str) -> Any:
        """doccano calls the configured endpoint with ``text`` and returns its answer (checks the wiring)."""
        return self.post(f"/v1/projects/{int(project_id)}/auto-labeling/request-testing",
                         {"model_name": config["model_name"], "model_attrs": config["model_attrs"], "text": text},
                         kind="auto-labeling")

    def auto_label(self, project_id: int, example_id: int) -> None:
        """What a coder's auto-labeling button does: doccano calls the endpoint and saves the labels as the caller's."""
        self.request("POST", f"/v1/projects/{int(project_id)}/auto-labeling", params={"example": int(example_id)},
                     json_body={}, kind="auto-labeling")


# -- helpers ----------------------------------------------------------------------------------------------
def _type_path(kind: str) -> str:
    try:
        return {"category": "category-types", "span": "span-types"}[kind]
    except KeyError:
        raise ValueError(f"label kind must be 'category' or 'span'; got {kind!r}") from None


def _label_path(kind: str) -> str:
    try:
        return {"category": "categories", "span": "spans"}[kind]
    except KeyError:
        raise ValueError(f"label kind must be 'category' or 'span'; got {kind!r}") from None


def _is_refused(exc: Exception) -> bool:
    text = repr(exc)
    return "NewConnectionError" in text or "Connection refused" in text or "Errno 111" in text


def _detail(response: requests.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        text = (response.text or "").strip().replace("\n", " ")
        return text[:120] or response.reason or "no detail"
    if isinstance(data, dict):
        if "detail" in data:
            return str(data["detail"])[:200]
        parts = []
        for key, value in data.items():
            value = value[0] if isinstance(value, list) and value else value
            parts.append(f"{key}: {value}")
        return "; ".join(parts)[:200]
    return str(data)[:200]


def _json(response: requests.Response, path: str) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        raise SyncError(
            f"doccano answered {path} with something that is not JSON (HTTP {response.status_code}, "
            f"{response.headers.get('Content-Type', 'no content type')}); is --url a doccano 1.8 server?"
        ) from None


def _read_export_zip(content: bytes, url: str, project_id: int) -> dict[str, list[dict]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile:
        raise SyncError(f"doccano at {url} sent an export of project {project_id} that is not a zip file; retry the pull") from None
    out: dict[str, list[dict]] = {}
    with archive:
        for name in archive.namelist():
            if not name.endswith(".jsonl"):
                continue
            username = name.rsplit("/", 1)[-1][: -len(".jsonl")]
            records = []
            for lineno, line in enumerate(archive.read(name).decode("utf-8").splitlines(), start=1):
                if not line.strip():
                    continue
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError:
                    raise SyncError(f"doccano's export {name} line {lineno} is not JSON; retry the pull") from None
            out[username] = records
    return out
