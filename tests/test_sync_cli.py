"""The doccano commands as a user runs them: credentials from the environment, one-line errors, exit codes."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from reviewcoder.cli import app
from reviewcoder.records import Document
from reviewcoder.store import open_store

from conftest import DOCS

runner = CliRunner()


def env_for(server, username=None, password=None):
    return {"REVIEWCODER_DOCCANO_USERNAME": username or server.admin_username,
            "REVIEWCODER_DOCCANO_PASSWORD": password or server.admin_password}


def test_missing_credentials_without_a_terminal_is_a_one_line_error(tmp_path, monkeypatch):
    monkeypatch.delenv("REVIEWCODER_DOCCANO_USERNAME", raising=False)
    monkeypatch.delenv("REVIEWCODER_DOCCANO_PASSWORD", raising=False)
    result = runner.invoke(app, ["sync", "pull", "--url", "http://127.0.0.1:9", "--project", "1",
                                 "--store", str(tmp_path / "s.sqlite")])
    assert result.exit_code == 1
    assert "REVIEWCODER_DOCCANO_USERNAME" in result.output and "Traceback" not in result.output


def test_server_not_there_is_a_one_line_error(tmp_path):
    result = runner.invoke(app, ["sync", "pull", "--url", "http://127.0.0.1:9", "--project", "1", "--timeout", "2",
                                 "--store", str(tmp_path / "s.sqlite")],
                           env={"REVIEWCODER_DOCCANO_USERNAME": "a", "REVIEWCODER_DOCCANO_PASSWORD": "b"})
    assert result.exit_code == 1
    assert "does not answer" in result.output and "scripts/doccano-server start" in result.output


@pytest.mark.integration
def test_push_then_pull_from_the_command_line(doccano, tmp_path, unique):
    store_path = tmp_path / "s.sqlite"
    with open_store(store_path) as store:
        store.add_documents([Document(k, v) for k, v in DOCS.items()])
    ana, pw = doccano.new_user("ana")
    pushed = runner.invoke(app, ["sync", "push", "--url", doccano.url, "--new-project", f"cli-{unique}", "--members", ana,
                                 "--store", str(store_path), "-q"], env=env_for(doccano))
    assert pushed.exit_code == 0, pushed.output
    project = int(pushed.output.split()[1])
    coder = doccano.client(ana, pw)
    examples = {ex["meta"]["rc_item"]: ex["id"] for ex in coder.examples(project)}
    label = next(t.id for t in coder.label_types(project, "category") if t.text.startswith("Domestic abuse"))
    coder.create_label(project, examples["r1#p1"], "category", label)
    coder.toggle_confirmed(project, examples["r1#p1"])
    pulled = runner.invoke(app, ["sync", "pull", "--url", doccano.url, "--project", str(project), "--store",
                                 str(store_path), "--json"], env=env_for(doccano))
    assert pulled.exit_code == 0, pulled.output
    report = json.loads(pulled.output)
    assert report["coders"][ana]["added"] == 1 and report["coders"][ana]["completed"] == 1
    assert doccano.admin_password not in pulled.output
    exported = tmp_path / "long.csv"
    assert runner.invoke(app, ["export", "--store", str(store_path), "--out", str(exported)]).exit_code == 0
    assert f"r1#p1,{ana},domestic_abuse,1" in exported.read_text(encoding="utf-8")


@pytest.mark.integration
def test_wrong_password_on_the_command_line(doccano, tmp_path):
    result = runner.invoke(app, ["sync", "pull", "--url", doccano.url, "--project", "1", "--store",
                                 str(tmp_path / "s.sqlite")], env=env_for(doccano, password="wrong-password-x"))
    assert result.exit_code == 1 and "refused the login" in result.output
    assert "wrong-password-x" not in result.output
