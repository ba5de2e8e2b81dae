"""`reviewcoder serve`: the loopback endpoint doccano's auto-labeling calls (with a tiny fake model)."""

from __future__ import annotations

import json
import time

import pytest
import requests

from reviewcoder.errors import InputError, ModelError
from reviewcoder.records import Document
from reviewcoder.review import Suggester
from reviewcoder.serve import MAX_BODY, check_loopback
from reviewcoder.store import open_store


def fake_suggest(text):
    out = []
    if "GP" in text:
        out.append({"theme": "information_sharing", "score": 0.81, "start": text.index("GP"), "end": text.index("GP") + 2,
                    "text": "GP"})
    if "partner" in text:
        out.append({"theme": "offending_history", "score": 0.64, "start": 0, "end": len(text), "text": text})
    return out


FAKE = Suggester(fake_suggest, "fake-model", "panel-2018-19@1:abc", ("information_sharing", "offending_history"))


@pytest.fixture
def running(serve_thread):
    return lambda suggester=FAKE, store_path=None: serve_thread(suggester, store_path)


def test_suggest_returns_the_models_themes_with_offsets_into_the_text(running):
    server = running()
    text = "The GP did not share records."
    answer = requests.post(server.url, json={"text": text}, timeout=5).json()
    assert answer["model"] == "fake-model" and answer["codebook"] == "panel-2018-19@1:abc"
    [s] = answer["suggestions"]
    assert s["theme"] == "information_sharing" and s["score"] == pytest.approx(0.81)
    assert text[s["start"]:s["end"]] == "GP"
    assert requests.post(server.url, json={"text": "Nothing here."}, timeout=5).json()["suggestions"] == []


def test_health_and_bad_requests(running):
    server = running()
    base = server.url.rsplit("/", 1)[0]
    assert requests.get(f"{base}/health", timeout=5).json()["model"] == "fake-model"
    assert requests.post(server.url, data="not json", timeout=5).status_code == 400
    assert requests.post(server.url, json={"txt": "x"}, timeout=5).status_code == 400
    assert requests.post(f"{base}/other", json={"text": "x"}, timeout=5).status_code == 404
    too_big = requests.post(server.url, data=b"x" * (MAX_BODY + 1), timeout=5)
    assert too_big.status_code == 413


def test_a_failing_model_answers_500_and_the_server_keeps_serving(running):
    calls = []

    def flaky(text):
        calls.append(text)
        if len(calls) == 1:
            raise RuntimeError("model broke")
        return []

    server = running(Suggester(flaky, "m", "c"))
    first = requests.post(server.url, json={"text": "a"}, timeout=5)
    assert first.status_code == 500 and "model broke" in first.json()["error"]
    assert requests.post(server.url, json={"text": "b"}, timeout=5).status_code == 200


def test_suggestions_outside_the_text_are_a_model_error():
    bad = Suggester(lambda t: [{"theme": "x", "score": 0.5, "start": 0, "end": len(t) + 5}], "m", "c")
    with pytest.raises(ModelError, match="outside"):
        bad("short")


def test_known_units_are_logged_in_the_store_with_document_offsets(running, tmp_path):
    path = tmp_path / "s.sqlite"
    doc = "Intro paragraph.\n\nMother's partner told the GP nothing."
    with open_store(path) as store:
        store.add_documents([Document("r9", doc)])
        para = store.segments("r9")[1]
    server = running(store_path=path)
    requests.post(server.url, json={"text": para.text}, timeout=5).raise_for_status()
    requests.post(server.url, json={"text": para.text}, timeout=5).raise_for_status()  # logged once
    requests.post(server.url, json={"text": "A GP in a text that is no unit."}, timeout=5).raise_for_status()
    server.shutdown()
    time.sleep(0.1)
    with open_store(path) as store:
        logged = store.suggestions()
    assert {(s.item, s.theme) for s in logged} == {("r9#p1", "information_sharing"), ("r9#p1", "offending_history")}
    gp = next(s for s in logged if s.theme == "information_sharing")
    assert doc[gp.start:gp.end] == "GP" and gp.model_id == "fake-model"


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.5", "example.org", "::"])
def test_only_loopback_addresses_may_be_bound(host):
    with pytest.raises(InputError, match="loopback"):
        check_loopback(host)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_loopback_addresses_are_accepted(host):
    check_loopback(host)


def test_the_endpoint_answers_what_doccanos_auto_labeling_template_reads(running):
    jinja2 = pytest.importorskip("jinja2")
    from reviewcoder.review import auto_labeling_config

    server = running()
    answer = requests.post(server.url, json={"text": "The GP and the partner."}, timeout=5).json()
    for kind in ("category", "span"):
        config = auto_labeling_config(server.url, kind, {"information_sharing": "Poor information exchange"})
        rendered = json.loads(jinja2.Template(config["template"]).render(input=answer))
        assert [r["label"] for r in rendered] == ["information_sharing", "offending_history"]
        if kind == "span":
            assert rendered[0]["start_offset"] == 4 and rendered[0]["end_offset"] == 6
        assert config["model_attrs"]["params"] == ({"kind": "span"} if kind == "span" else {})
        assert config["model_attrs"]["body"] == {"text": "{{ text }}"}


def _default_model_present() -> bool:
    try:
        from reviewcoder.artifacts import default_model_path

        return (default_model_path() / "model.json").is_file()
    except Exception:
        return False


@pytest.mark.slow
@pytest.mark.skipif(not _default_model_present(), reason="the embedded default model (models/default) is not built yet")
def test_serve_answers_with_the_real_default_model(running, tmp_path):
    from reviewcoder.artifacts import load_model
    from reviewcoder.codebook import default_codebook

    model = load_model()
    suggester = Suggester.from_model(model)
    assert suggester.model_id == model.model_id and suggester.codebook == model.codebook_fingerprint
    text = ("Mother's new partner had previous convictions for violence against a child, but this was not shared "
            "with children's social care. Police knew of repeated domestic abuse incidents at the address.")
    path = tmp_path / "s.sqlite"
    with open_store(path) as store:
        store.add_documents([Document("rr1", text)])
    server = running(suggester, store_path=path)
    answer = requests.post(server.url, json={"text": text}, timeout=120).json()
    cb = default_codebook()
    assert answer["model"] == model.model_id and answer["suggestions"], answer
    for s in answer["suggestions"]:
        assert s["theme"] in cb.theme_ids and 0.0 <= s["score"] <= 1.0
        assert 0 <= s["start"] < s["end"] <= len(text)
    server.shutdown()
    time.sleep(0.1)
    with open_store(path) as store:
        assert {s.theme for s in store.suggestions()} == {s["theme"] for s in answer["suggestions"]}


@pytest.fixture(scope="module")
def tfidf_model_dir(tmp_path_factory):
    """A real (tiny, tf-idf) model directory, saved and loaded the way users' models are."""
    from classify_fakes import tiny_codebook, tiny_data
    from reviewcoder.artifacts import save_model
    from reviewcoder.classify import train_model

    texts, Y, groups = tiny_data(60)
    model = train_model(texts, Y, ["violence", "school", "money"], backend="tfidf", groups=groups,
                        codebook=tiny_codebook())
    return save_model(model, tmp_path_factory.mktemp("models") / "tiny")


def test_a_saved_model_serves_through_precode_suggest(running, tfidf_model_dir):
    from reviewcoder.artifacts import load_model

    model = load_model(tfidf_model_dir)
    suggester = Suggester.from_model(model)
    assert suggester.model_id == model.model_id and suggester.codebook == model.codebook_fingerprint
    server = running(suggester)
    text = "Police were called after the assault; the injury and bruise were violent. He punched and hit her."
    answer = requests.post(server.url, json={"text": text}, timeout=60).json()
    assert [s["theme"] for s in answer["suggestions"]][:1] == ["violence"]
    for s in answer["suggestions"]:
        assert s["theme"] in ("violence", "school", "money") and 0 <= s["start"] < s["end"] <= len(text)


def test_the_serve_command_answers_and_stops_on_sigint(tfidf_model_dir, tmp_path):
    import signal
    import socket
    import subprocess
    import sys

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "reviewcoder", "serve", "--model", str(tfidf_model_dir), "--port",
                             str(port), "--store", str(tmp_path / "s.sqlite")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = requests.get(f"http://127.0.0.1:{port}/health", timeout=2).json()
                break
            except requests.ConnectionError:
                assert proc.poll() is None, proc.stderr.read()
                assert time.monotonic() < deadline, "serve did not answer within 60 s"
                time.sleep(0.2)
        assert health["ok"] is True
        answer = requests.post(f"http://127.0.0.1:{port}/suggest", json={"text": "The pupil missed school."},
                               timeout=60).json()
        assert "suggestions" in answer
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "serving model" in out and "stopped after 1 request(s)" in out
