"""`sync push` against a real doccano 1.8.4, and its pure parts."""

from __future__ import annotations

import pytest

from reviewcoder.codebook import Theme, default_codebook
from reviewcoder.errors import SyncError
from reviewcoder.records import Document
from reviewcoder.store import open_store
from reviewcoder.sync.push import GUIDELINE_MARK, codebook_guideline, label_text, push_project, units_from_store

from conftest import DOCS


def test_label_text_is_the_name_unless_too_long_or_asked_for_ids():
    cb = default_codebook()
    assert label_text(cb["domestic_abuse"]) == cb["domestic_abuse"].name
    assert label_text(cb["domestic_abuse"], "id") == "domestic_abuse"
    long = Theme(id="long_one", name="x" * 101, kind="case_feature", definition="d")
    assert label_text(long) == "long_one"


def test_guideline_carries_every_definition_and_the_fingerprint():
    cb = default_codebook()
    text = codebook_guideline(cb)
    assert text.startswith(GUIDELINE_MARK) and cb.fingerprint() in text
    for theme in cb.themes:
        assert theme.definition in text and f"`{theme.id}`" in text


def test_units_are_paragraphs_with_offsets_or_whole_documents(tmp_path):
    with open_store(tmp_path / "s.sqlite") as store:
        store.add_documents([Document(k, v) for k, v in DOCS.items()])
        paras = units_from_store(store)
        docs = units_from_store(store, unit="document", doc_ids=["r2"])
        text = store.document("r1").text
        with pytest.raises(SyncError, match="nope"):
            units_from_store(store, doc_ids=["nope"])
    assert [s.unit_id for s in paras] == ["r1#p0", "r1#p1", "r2#p0", "r2#p1", "r3#p0", "r3#p1"]
    assert all(s.text == text[s.start:s.end] for s in paras if s.doc_id == "r1")
    assert [(d.doc_id, d.start, d.end) for d in docs] == [("r2", 0, len(DOCS["r2"]))]


@pytest.mark.integration
def test_push_sends_units_labels_guideline_members_and_a_second_push_duplicates_nothing(doccano, tmp_path, unique):
    cb = default_codebook()
    ana, _ = doccano.new_user("ana")
    ben, _ = doccano.new_user("ben")
    with open_store(tmp_path / "s.sqlite") as store, doccano.admin() as admin:
        store.add_documents([Document(k, v) for k, v in DOCS.items()])
        first = push_project(admin, store, cb, new_project=f"push-{unique}", members=[ana])
        second = push_project(admin, store, cb, project_id=first.project, members=[ana, ben])
        info = admin.project(first.project)
        types = admin.label_types(first.project, "category")
        examples = list(admin.examples(first.project))
        members = {m.username: m.role for m in admin.members(first.project)}
        segments = {s.unit_id: s for s in store.segments()}
    assert first.created_project and first.examples_created == 6 and first.labels_created == len(cb)
    assert second.examples_created == 0 and second.examples_existing == 6 and second.labels_created == 0
    assert second.members_added == (ben,) and not second.guideline_written
    assert len(examples) == 6 and len(types) == len(cb)
    assert {t.text for t in types} == {label_text(t) for t in cb.themes}
    assert all(t.background_color.startswith("#") for t in types)
    assert members[ana] == "annotator" and members[ben] == "annotator"
    assert "reviewcoder:coding" in info.tags and info.guideline.startswith(GUIDELINE_MARK)
    for ex in examples:
        seg = segments[ex["meta"]["rc_item"]]
        assert ex["text"] == seg.text
        assert (ex["meta"]["rc_doc"], ex["meta"]["rc_start"], ex["meta"]["rc_end"]) == (seg.doc_id, seg.start, seg.end)


@pytest.mark.integration
def test_new_documents_are_added_on_a_later_push(doccano, tmp_path, unique):
    cb = default_codebook()
    with open_store(tmp_path / "s.sqlite") as store, doccano.admin() as admin:
        store.add_documents([Document("r1", DOCS["r1"])])
        first = push_project(admin, store, cb, new_project=f"grow-{unique}", unit="document")
        store.add_documents([Document("r2", DOCS["r2"])])
        second = push_project(admin, store, cb, project_id=first.project, unit="document")
    assert (first.examples_created, second.examples_created, second.examples_existing) == (1, 1, 1)


@pytest.mark.integration
def test_push_refuses_unknown_members_and_mixing_coding_with_review(doccano, tmp_path, unique):
    cb = default_codebook()
    with open_store(tmp_path / "s.sqlite") as store, doccano.admin() as admin:
        store.add_documents([Document("r1", DOCS["r1"])])
        with pytest.raises(SyncError, match="no-such-user"):
            push_project(admin, store, cb, new_project=f"m-{unique}", members=["no-such-user"])
        review = push_project(admin, store, cb, new_project=f"rev-{unique}", role="review")
        with pytest.raises(SyncError, match="never both"):
            push_project(admin, store, cb, project_id=review.project, role="coding")
