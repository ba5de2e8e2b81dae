"""Commands for doccano: `sync pull`, `sync push`, `serve`, `review setup|suggest|stats`.

Credentials come from REVIEWCODER_DOCCANO_USERNAME / REVIEWCODER_DOCCANO_PASSWORD, or a prompt when a
terminal is attached; they are never written anywhere.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import List, Optional

import typer

from .common import STORE_HELP, echo, guarded

URL_HELP = "doccano's address, e.g. http://127.0.0.1:8000"
CODEBOOK_HELP = "Codebook YAML; default: the embedded panel-2018-19."
MODEL_PASSWORD_ENV = "REVIEWCODER_DOCCANO_MODEL_PASSWORD"


def _credentials(username_env: str, password_env: str, what: str = "doccano") -> tuple[str, str]:
    from ..errors import SyncError

    username = os.environ.get(username_env, "")
    password = os.environ.get(password_env, "")
    interactive = sys.stdin is not None and sys.stdin.isatty()
    if not username:
        if not interactive:
            raise SyncError(f"no {what} username: set {username_env} (no terminal to prompt on)")
        username = typer.prompt(f"{what} username")
    if not password:
        if not interactive:
            raise SyncError(f"no {what} password: set {password_env} (no terminal to prompt on)")
        password = typer.prompt(f"{what} password for {username}", hide_input=True)
    return username, password


def _client(url: str, timeout: float):
    from ..sync.doccano import ENV_PASSWORD, ENV_USERNAME, DoccanoClient

    username, password = _credentials(ENV_USERNAME, ENV_PASSWORD)
    return DoccanoClient(url, timeout=timeout).login(username, password)


def _codebook(path: Optional[Path]):
    from ..codebook import load_codebook

    return load_codebook(path)


def _progress(quiet: bool):
    if quiet:
        return None
    return lambda message: typer.echo(f"... {message}", err=True)


def register(app: typer.Typer) -> None:
    sync_app = typer.Typer(help="Bring coders' work in from doccano and send units and labels out.", no_args_is_help=True)
    app.add_typer(sync_app, name="sync")
    review_app = typer.Typer(help="Send model suggestions to a review project and measure what coders kept.",
                             no_args_is_help=True)
    app.add_typer(review_app, name="review")

    @sync_app.command("pull")
    @guarded
    def pull(
        url: str = typer.Option(..., "--url", help=URL_HELP),
        project: int = typer.Option(..., "--project", help="doccano project id."),
        store: Optional[Path] = typer.Option(None, "--store", help=STORE_HELP),
        codebook: Optional[Path] = typer.Option(None, "--codebook", help=CODEBOOK_HELP),
        mapping: Optional[Path] = typer.Option(None, "--mapping", help="YAML/JSON 'doccano label: theme_id' (null skips a label)."),
        model_user: List[str] = typer.Option(["reviewcoder-model"], "--model-user",
                                             help="doccano users whose labels are a model's, not a coder's."),
        timeout: float = typer.Option(30.0, "--timeout", help="Seconds per request."),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
        quiet: bool = typer.Option(False, "--quiet", "-q"),
    ) -> None:
        """Pull every coder's codes and 'done' marks from a doccano project into the store.

        Text-classification projects give unit codes, sequence-labelling projects give spans. Pulling again
        adds nothing; codes changed or deleted in doccano change the store (the old ones go to its history).

        Example: REVIEWCODER_DOCCANO_USERNAME=admin REVIEWCODER_DOCCANO_PASSWORD=... reviewcoder sync pull --url http://127.0.0.1:8000 --project 3
        """
        from ..store import open_store
        from ..sync.pull import load_label_mapping, pull_project

        cb = _codebook(codebook)
        label_map = load_label_mapping(mapping) if mapping else None
        with _client(url, timeout) as client, open_store(store) as st:
            result = pull_project(client, project, st, cb, mapping=label_map, model_users=model_user,
                                  progress=_progress(quiet or as_json))
        if as_json:
            echo(json.dumps({"project": result.project, "project_type": result.project_type, "scope": result.scope,
                             "examples": result.examples, "documents_added": result.documents_added,
                             "coders": result.coders, "totals": result.totals(), "requests": result.requests,
                             "skipped_members": list(result.skipped_members),
                             "absent_coders": list(result.absent_coders)}, indent=2))
            return
        echo(f"project {result.project} ({result.project_type}): {result.examples} examples, "
             f"{len(result.coders)} coder(s), {result.requests} requests")
        for coder, c in result.coders.items():
            echo(f"  {coder}: {c['added']} added, {c['removed']} removed, {c['changed']} changed, "
                 f"{c['unchanged']} unchanged; {c['completed']} units done")
        if result.documents_added:
            echo(f"  {result.documents_added} new document(s) from doccano examples")
        if result.absent_coders:
            echo(f"  no longer members (their codes are kept as they were): {', '.join(result.absent_coders)}")
        if result.skipped_members:
            echo(f"  members with no codes (not stored as coders): {', '.join(result.skipped_members)}")

    @sync_app.command("push")
    @guarded
    def push(
        url: str = typer.Option(..., "--url", help=URL_HELP),
        project: Optional[int] = typer.Option(None, "--project", help="An existing doccano project id."),
        new_project: Optional[str] = typer.Option(None, "--new-project", help="Create a project with this name."),
        kind: str = typer.Option("category", "--kind", help="For a new project: category (unit codes) or span."),
        unit: str = typer.Option("paragraph", "--unit", help="paragraph or document: what one doccano example is."),
        docs: Optional[str] = typer.Option(None, "--docs", help="Comma-separated document ids (default: all in the store)."),
        members: Optional[str] = typer.Option(None, "--members", help="Comma-separated doccano usernames to add as annotators."),
        role: str = typer.Option("coding", "--role", help="coding (double-coded, no suggestions ever) or review."),
        labels: str = typer.Option("name", "--labels", help="Label text coders see: the theme name or its id."),
        store: Optional[Path] = typer.Option(None, "--store", help=STORE_HELP),
        codebook: Optional[Path] = typer.Option(None, "--codebook", help=CODEBOOK_HELP),
        timeout: float = typer.Option(30.0, "--timeout", help="Seconds per request."),
        quiet: bool = typer.Option(False, "--quiet", "-q"),
    ) -> None:
        """Send units, codebook labels and members to doccano; pushing again creates no duplicates.

        Units are the store's paragraphs (or whole documents), with their document id and offsets in the
        example's meta; labels carry the theme colours, and the project guideline lists the definitions.

        Example: reviewcoder sync push --url http://127.0.0.1:8000 --new-project "Rapid reviews 2024" --members ana,ben,cat
        """
        from ..store import open_store
        from ..sync.push import push_project

        cb = _codebook(codebook)
        doc_ids = [d.strip() for d in docs.split(",") if d.strip()] if docs else None
        member_list = [m.strip() for m in members.split(",") if m.strip()] if members else []
        with _client(url, timeout) as client, open_store(store) as st:
            r = push_project(client, st, cb, project_id=project, new_project=new_project, kind=kind, unit=unit,
                             doc_ids=doc_ids, members=member_list, role=role, label_style=labels,
                             progress=_progress(quiet))
        echo(f"project {r.project} ({r.project_type}{', new' if r.created_project else ''}): "
             f"{r.examples_created} example(s) created, {r.examples_existing} already there; "
             f"{r.labels_created} label(s) created, {r.labels_updated} updated; "
             f"members added: {', '.join(r.members_added) or 'none'}; {r.requests} requests")

    @app.command("serve")
    @guarded
    def serve(
        model: Optional[Path] = typer.Option(None, "--model", help="Model directory; default: the embedded model."),
        host: str = typer.Option("127.0.0.1", "--host", help="Loopback address to bind (127.0.0.1, ::1, localhost)."),
        port: int = typer.Option(8765, "--port"),
        store: Optional[Path] = typer.Option(None, "--store", help=STORE_HELP + " Suggestions are logged there."),
        no_log: bool = typer.Option(False, "--no-log", help="Do not log suggestions in the store."),
    ) -> None:
        """Answer doccano's auto-labeling: POST /suggest {"text": ...} returns the model's themes for the text.

        Set it up on a review project with `reviewcoder review setup`. Stop with Ctrl-C.

        Example: reviewcoder serve --port 8765 --store annotations/reviewcoder.sqlite
        """
        from ..artifacts import load_model
        from ..review import Suggester
        from ..serve import make_server
        from ..store import DEFAULT_STORE_PATH

        suggester = Suggester.from_model(load_model(model))
        server = make_server(suggester, host, port, None if no_log else (store or DEFAULT_STORE_PATH))
        echo(f"serving model {suggester.model_id} at {server.url} (Ctrl-C to stop)")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
        echo(f"stopped after {server.served} request(s)")

    @review_app.command("setup")
    @guarded
    def review_setup(
        url: str = typer.Option(..., "--url", help=URL_HELP),
        project: int = typer.Option(..., "--project", help="The review project's id (never a double-coded one)."),
        serve_url: str = typer.Option("http://127.0.0.1:8765/suggest", "--serve-url",
                                      help="Where `reviewcoder serve` answers, as doccano's server reaches it."),
        labels: str = typer.Option("name", "--labels", help="Label text: the theme name or its id (as pushed)."),
        codebook: Optional[Path] = typer.Option(None, "--codebook", help=CODEBOOK_HELP),
        test: bool = typer.Option(True, "--test/--no-test", help="Ask doccano to call the endpoint once."),
        timeout: float = typer.Option(30.0, "--timeout"),
    ) -> None:
        """Configure doccano's auto-labeling on a review project to call `reviewcoder serve`.

        Example: reviewcoder review setup --url http://127.0.0.1:8000 --project 4 --serve-url http://127.0.0.1:8765/suggest
        """
        from ..review import setup_review

        cb = _codebook(codebook)
        with _client(url, timeout) as client:
            r = setup_review(client, project, cb, serve_url, label_style=labels,
                             test_text="A test sentence from reviewcoder review setup." if test else None)
        echo(f"project {r.project}: auto-labeling config {r.config_id} {'created' if r.created else 'updated'} "
             f"({r.task_type}, calls {serve_url}){'; doccano reached the endpoint' if r.tested else ''}")

    @review_app.command("suggest")
    @guarded
    def review_suggest(
        url: str = typer.Option(..., "--url", help=URL_HELP),
        project: int = typer.Option(..., "--project", help="The review project's id."),
        model: Optional[Path] = typer.Option(None, "--model", help="Model directory; default: the embedded model."),
        model_user: str = typer.Option("reviewcoder-model", "--model-user",
                                       help=f"The model's doccano user (password from {MODEL_PASSWORD_ENV})."),
        labels: str = typer.Option("name", "--labels", help="Label text: the theme name or its id (as pushed)."),
        store: Optional[Path] = typer.Option(None, "--store", help=STORE_HELP),
        codebook: Optional[Path] = typer.Option(None, "--codebook", help=CODEBOOK_HELP),
        timeout: float = typer.Option(30.0, "--timeout"),
    ) -> None:
        """Post the model's suggestions, with scores, as the dedicated model user's labels; log them in the store.

        Example: REVIEWCODER_DOCCANO_MODEL_PASSWORD=... reviewcoder review suggest --url http://127.0.0.1:8000 --project 4
        """
        from ..artifacts import load_model
        from ..review import Suggester, post_suggestions
        from ..store import open_store
        from ..sync.doccano import DoccanoClient

        cb = _codebook(codebook)
        password = os.environ.get(MODEL_PASSWORD_ENV, "")
        if not password:
            if sys.stdin is None or not sys.stdin.isatty():
                from ..errors import SyncError

                raise SyncError(f"no password for the model user {model_user!r}: set {MODEL_PASSWORD_ENV}")
            password = typer.prompt(f"doccano password for {model_user}", hide_input=True)
        suggester = Suggester.from_model(load_model(model))
        with DoccanoClient(url, timeout=timeout).login(model_user, password) as client, open_store(store) as st:
            counts = post_suggestions(client, project, st, suggester, cb, label_style=labels)
        echo(f"project {project}: {counts['examples']} examples, {counts['suggested']} suggestions "
             f"({counts['posted']} posted, {counts['already_there']} already there, {counts['logged']} newly logged)")

    @review_app.command("stats")
    @guarded
    def review_stats_cmd(
        url: str = typer.Option(..., "--url", help=URL_HELP + " (as given to sync pull)"),
        project: int = typer.Option(..., "--project", help="The review project's id."),
        store: Optional[Path] = typer.Option(None, "--store", help=STORE_HELP),
        model_id: Optional[str] = typer.Option(None, "--model-id", help="Whose suggestions (when several models)."),
        codebook: Optional[Path] = typer.Option(None, "--codebook", help=CODEBOOK_HELP),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    ) -> None:
        """Per theme: suggestions coders kept, removed, and themes they added (run `sync pull` first).

        Example: reviewcoder review stats --url http://127.0.0.1:8000 --project 4
        """
        from ..review import review_stats
        from ..store import open_store
        from ..sync.doccano import DoccanoClient
        from ..sync.pull import project_scope

        cb = _codebook(codebook)
        scope = project_scope(DoccanoClient(url).url, project)
        with open_store(store) as st:
            stats = review_stats(st, scope, cb, model_id=model_id)
        if as_json:
            echo(json.dumps(stats.as_dict(), indent=2))
            return
        echo(f"review project {project}: model {stats.model_id or '-'}, {stats.units_reviewed} unit reviews by "
             f"{len(stats.coders)} coder(s) ({', '.join(stats.coders)})")
        width = max(len(t) for t in list(stats.themes) + ["theme", "total"])
        echo(f"{'theme'.ljust(width)}  suggested   kept  removed  added  kept %")
        rows = list(stats.themes.items()) + [("total", stats.total())]
        for theme, t in rows:
            pct = "-" if t.acceptance is None else f"{100 * t.acceptance:.0f}%"
            echo(f"{theme.ljust(width)}  {t.suggested:9d}  {t.kept:5d}  {t.removed:7d}  {t.added:5d}  {pct:>6}")
