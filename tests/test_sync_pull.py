"""`sync pull` against a real doccano 1.8.4 (started by scripts/doccano-server; see conftest.py)."""

from __future__ import annotations

import json
import math

import pytest

from reviewcoder.codebook import default_codebook
from reviewcoder.errors import CodebookError, SyncError
from reviewcoder.labels import reliability_data
from reviewcoder.store import open_store
from reviewcoder.sync.doccano import DoccanoClient
from reviewcoder.sync.pull import LabelMapper, load_label_mapping, pull_project

pytestmark = pytest.mark.integration


def state(project):
    with open_store(project.store_path) as store:
        return store.annotations(), store.completions(), store.history(), store.counts()


def codes(project, who):
    """{(item, theme)} currently stored for one of the project's coders."""
    anns, _, _, _ = state(project)
    return {(a.item, a.theme) for a in anns if a.coder == project.usernames[who]}


@pytest.fixture
def coded(make_project):
    """ana and ben code all six units differently; cat codes only r1; ana marks r2#p1 done with no theme."""
    p = make_project(("ana", "ben", "cat"))
    p.code("ana", "r1#p0", "information_sharing")
    p.code("ana", "r1#p1", "offending_history")
    p.code("ana", "r2#p0", "home_education")
    p.code("ana", "r3#p0", "including_men")
    p.code("ana", "r3#p1", "health_plans")
    p.code("ben", "r1#p0", "information_sharing")
    p.code("ben", "r1#p0", "risk_assessment")
    p.code("ben", "r1#p1", "domestic_abuse")
    p.code("ben", "r2#p0", "home_education")
    p.code("ben", "r2#p1", "written_agreements")
    p.code("ben", "r3#p1", "health_plans")
    p.code("cat", "r1#p1", "offending_history")
    for item in p.examples:
        p.done("ana", item)
        p.done("ben", item)
    p.done("cat", "r1#p0")
    p.done("cat", "r1#p1")
    return p


def test_every_coders_codes_arrive_under_their_own_id(coded):
    result = coded.pull()
    ana, ben, cat = (coded.usernames[k] for k in ("ana", "ben", "cat"))
    assert set(result.coders) == {ana, ben, cat}
    assert codes(coded, "ana") == {("r1#p0", "information_sharing"), ("r1#p1", "offending_history"),
                                   ("r2#p0", "home_education"), ("r3#p0", "including_men"), ("r3#p1", "health_plans")}
    assert codes(coded, "ben") == {("r1#p0", "information_sharing"), ("r1#p0", "risk_assessment"),
                                   ("r1#p1", "domestic_abuse"), ("r2#p0", "home_education"),
                                   ("r2#p1", "written_agreements"), ("r3#p1", "health_plans")}
    assert codes(coded, "cat") == {("r1#p1", "offending_history")}
    anns, comps, _, _ = state(coded)
    assert all(a.source == "human" and a.start is None for a in anns)
    assert all(a.origin.startswith(result.scope + "examples/") for a in anns)
    assert {a.doc_id for a in anns} == {"r1", "r2", "r3"}
    assert result.totals()["added"] == 12
    assert "admin" in result.skipped_members or coded.server.admin_username in result.skipped_members


def test_coded_without_a_theme_is_told_apart_from_not_coded(coded):
    coded.pull()
    anns, comps, _, _ = state(coded)
    R, coders, units = reliability_data(anns, comps, "written_agreements")
    ana, ben, cat = (coded.usernames[k] for k in ("ana", "ben", "cat"))
    j = units.index("r2#p1")
    assert R[coders.index(ben), j] == 1.0          # ben applied it
    assert R[coders.index(ana), j] == 0.0          # ana finished the unit with no theme
    assert math.isnan(R[coders.index(cat), j])     # cat never coded it
    assert {c.item for c in comps if c.coder == cat} == {"r1#p0", "r1#p1"}
    assert len([c for c in comps if c.coder == ana]) == 6


def test_a_second_pull_adds_nothing(coded):
    coded.pull()
    before = state(coded)
    again = coded.pull()
    assert again.totals()["added"] == 0 and again.totals()["removed"] == 0
    assert again.totals()["unchanged"] == 12
    after = state(coded)
    assert [(a.coder, a.item, a.theme) for a in after[0]] == [(a.coder, a.item, a.theme) for a in before[0]]
    assert after[3] == before[3]  # same row counts everywhere, history included


def test_edits_and_deletes_between_pulls_change_the_store_and_keep_history(coded):
    coded.pull()
    # ana swaps including_men for domestic_abuse on r3#p0; ben deletes health_plans; cat un-confirms r1#p0
    for lab in coded.labels("ana", "r3#p0"):
        coded.coders["ana"].delete_label(coded.id, coded.examples["r3#p0"], "category", lab["id"])
    coded.code("ana", "r3#p0", "domestic_abuse")
    for lab in coded.labels("ben", "r3#p1"):
        coded.coders["ben"].delete_label(coded.id, coded.examples["r3#p1"], "category", lab["id"])
    coded.done("cat", "r1#p0")  # toggles the mark off
    result = coded.pull()
    ana, ben, cat = (coded.usernames[k] for k in ("ana", "ben", "cat"))
    assert result.coders[ana]["added"] == 1 and result.coders[ana]["removed"] == 1
    assert result.coders[ben]["removed"] == 1
    assert ("r3#p0", "domestic_abuse") in codes(coded, "ana") and ("r3#p0", "including_men") not in codes(coded, "ana")
    assert ("r3#p1", "health_plans") not in codes(coded, "ben")
    _, comps, history, _ = state(coded)
    assert {c.item for c in comps if c.coder == cat} == {"r1#p1"}
    removed = {(h["coder"], h["item"], h["theme"]) for h in history if h["event"] == "removed"}
    assert (ana, "r3#p0", "including_men") in removed and (ben, "r3#p1", "health_plans") in removed


def test_spans_arrive_with_document_offsets(make_project):
    p = make_project(("ana", "ben"), kind="span")
    text = "Mother's new partner had a conviction for assaulting a child."
    p.code("ana", "r1#p1", "offending_history", start=13, end=len(text) - 1)
    p.code("ben", "r1#p1", "offending_history", start=27, end=37)
    p.code("ben", "r1#p1", "domestic_abuse", start=42, end=52)
    p.done("ana", "r1#p1")
    result = p.pull()
    assert result.project_type == "SequenceLabeling"
    with open_store(p.store_path) as store:
        doc = store.document("r1")
        anns = store.annotations()
    para_start = doc.text.index(text)
    spans = {(a.coder, a.theme, a.start, a.end) for a in anns}
    assert (p.usernames["ana"], "offending_history", para_start + 13, para_start + len(text) - 1) in spans
    assert (p.usernames["ben"], "domestic_abuse", para_start + 42, para_start + 52) in spans
    for a in anns:
        assert a.item == "r1#p1" and doc.text[a.start:a.end] == text[a.start - para_start:a.end - para_start]
    assert p.pull().totals()["added"] == 0


def test_unknown_labels_are_an_error_listing_them_or_a_mapping_file_maps_them(make_project, tmp_path):
    p = make_project(("ana",))
    with p.server.admin() as admin:
        extra = admin.create_label_type(p.id, "category", "Neglect (local)", "#123456")
        other = admin.create_label_type(p.id, "category", "Bullying", "#654321")
    p.coders["ana"].create_label(p.id, p.examples["r2#p0"], "category", extra.id)
    p.coders["ana"].create_label(p.id, p.examples["r2#p0"], "category", other.id)
    with pytest.raises(CodebookError) as err:
        p.pull()
    assert "Bullying" in str(err.value) and "Neglect (local)" in str(err.value) and "--mapping" in str(err.value)
    with open_store(p.store_path) as store:
        assert store.annotations() == []
    mapping = tmp_path / "labels.yaml"
    mapping.write_text("Neglect (local): home_education\nBullying: null\n", encoding="utf-8")
    p.pull(mapping=load_label_mapping(mapping))
    assert codes(p, "ana") == {("r2#p0", "home_education")}


def test_label_mapping_rejects_themes_outside_the_codebook(tmp_path):
    mapping = tmp_path / "m.json"
    mapping.write_text(json.dumps({"Neglect": "neglect"}), encoding="utf-8")
    with pytest.raises(CodebookError, match="neglect"):
        LabelMapper(default_codebook(), load_label_mapping(mapping))


def test_wrong_password_is_refused_with_a_clear_message(doccano):
    with pytest.raises(SyncError) as err:
        DoccanoClient(doccano.url).login(doccano.admin_username, "not-the-password")
    assert "REVIEWCODER_DOCCANO_PASSWORD" in str(err.value) and doccano.url in str(err.value)
    assert "not-the-password" not in str(err.value)


def test_a_project_of_the_wrong_type_is_refused(doccano, tmp_path, unique):
    with doccano.admin() as admin:
        data = admin.post("/v1/projects", {"name": f"s2s-{unique}", "description": "x", "project_type": "Seq2seq",
                                           "resourcetype": "Seq2seqProject"})
        with open_store(tmp_path / "s.sqlite") as store, pytest.raises(SyncError) as err:
            pull_project(admin, data["id"], store, default_codebook())
    assert "Seq2seq" in str(err.value) and "SequenceLabeling" in str(err.value)


def test_a_collaborative_project_is_refused(doccano, tmp_path, unique):
    with doccano.admin() as admin:
        data = admin.post("/v1/projects", {"name": f"collab-{unique}", "description": "x",
                                           "project_type": "DocumentClassification",
                                           "resourcetype": "TextClassificationProject", "collaborative_annotation": True})
        with open_store(tmp_path / "c.sqlite") as store, pytest.raises(SyncError, match="collaborative"):
            pull_project(admin, data["id"], store, default_codebook())


def test_a_missing_project_is_a_404_naming_the_url(doccano, tmp_path):
    with doccano.admin() as admin, open_store(tmp_path / "m.sqlite") as store:
        with pytest.raises(SyncError, match="check the project id") as err:
            pull_project(admin, 987654, store, default_codebook())
    assert "/v1/projects/987654" in str(err.value)


def test_examples_not_pushed_by_reviewcoder_become_documents(doccano, tmp_path, unique):
    ana, pw = doccano.new_user("ana")
    with doccano.admin() as admin:
        data = admin.post("/v1/projects", {"name": f"foreign-{unique}", "description": "x",
                                           "project_type": "DocumentClassification",
                                           "resourcetype": "TextClassificationProject"})
        pid = data["id"]
        ex1 = admin.create_example(pid, "A review with its own id.", {"id": "LCSPR-7"})
        ex2 = admin.create_example(pid, "A review without one.", {})
        label = admin.create_label_type(pid, "category", "domestic_abuse", "#000000")
        admin.add_member(pid, next(u["id"] for u in admin.users() if u["username"] == ana), admin.roles()["annotator"])
    coder = doccano.client(ana, pw)
    coder.create_label(pid, ex1["id"], "category", label.id)
    coder.toggle_confirmed(pid, ex2["id"])
    with doccano.admin() as admin, open_store(tmp_path / "f.sqlite") as store:
        pull_project(admin, pid, store, default_codebook())
        docs = {d.id: d.text for d in store.documents()}
        anns = store.annotations()
        comps = store.completions()
    assert docs == {"LCSPR-7": "A review with its own id.", f"doccano-{pid}-{ex2['id']}": "A review without one."}
    assert [(a.item, a.theme) for a in anns] == [("LCSPR-7", "domestic_abuse")]
    assert [c.item for c in comps] == [f"doccano-{pid}-{ex2['id']}"]


def test_the_server_stopped_in_the_middle_of_a_pull_leaves_the_store_as_it_was(coded):
    if not coded.server.controllable:
        pytest.skip("the doccano server is not run by this checkout's scripts/doccano-server")
    coded.pull()
    coded.code("ben", "r3#p0", "including_men")  # something new that the failed pull must not bring in
    before = state(coded)
    stopped = []

    def stop_after_listing(message):
        if message.startswith("exporting") and not stopped:
            assert coded.server.script("stop").returncode == 0
            stopped.append(True)

    try:
        with DoccanoClient(coded.server.url, retries=2, backoff=0.2).login(
                coded.server.admin_username, coded.server.admin_password) as admin, \
                open_store(coded.store_path) as store:
            with pytest.raises(SyncError, match="does not answer"):
                pull_project(admin, coded.id, store, default_codebook(), progress=stop_after_listing)
    finally:
        started = coded.server.script("start")
        assert started.returncode == 0, started.stderr
    assert stopped and state(coded) == before
    assert ("r3#p0", "including_men") not in codes(coded, "ben")
    result = coded.pull()  # with the server back, the pull completes
    assert result.coders[coded.usernames["ben"]]["added"] == 1


def test_a_coder_removed_from_the_project_keeps_their_codes(coded):
    coded.pull()
    cat = coded.usernames["cat"]
    with coded.server.admin() as admin:
        member = next(m for m in admin.members(coded.id) if m.username == cat)
        admin.delete(f"/v1/projects/{coded.id}/members", {"ids": [member.id]})
    result = coded.pull()
    assert result.absent_coders == (cat,) and cat not in result.coders
    assert codes(coded, "cat") == {("r1#p1", "offending_history")}
