"""The review loop: acceptance figures (unit), and the whole loop against a real doccano (integration)."""

from __future__ import annotations


import pytest

from reviewcoder.codebook import default_codebook
from reviewcoder.errors import SyncError
from reviewcoder.records import Annotation, Completion, Document, Suggestion
from reviewcoder.review import Suggester, UnitIndex, post_suggestions, review_stats, setup_review
from reviewcoder.store import open_store
from reviewcoder.sync.pull import project_scope

from conftest import DOCS

SCOPE = "doccano:http://127.0.0.1:8000/projects/4/"


def _review_store(path):
    store = open_store(path)
    sug = lambda item, theme: Suggestion(item.split("#")[0], item, theme, 0.8, 0, 5, "m1", "cb")  # noqa: E731
    store.add_suggestions([sug("d#p0", "domestic_abuse"), sug("d#p0", "risk_assessment"), sug("d#p1", "domestic_abuse"),
                           sug("d#p2", "home_education")])
    ann = lambda coder, item, theme: Annotation("d", coder, theme, item, source="review",  # noqa: E731
                                                origin=f"{SCOPE}examples/1")
    store.add_annotations([ann("review:ana", "d#p0", "domestic_abuse"), ann("review:ana", "d#p1", "including_men"),
                           ann("review:ben", "d#p0", "domestic_abuse"), ann("review:ben", "d#p0", "risk_assessment"),
                           ann("review:ben", "d#p2", "home_education")])
    store.add_completions([Completion("d", item, coder, origin=f"{SCOPE}examples/1")
                           for coder, item in [("review:ana", "d#p0"), ("review:ana", "d#p1"), ("review:ben", "d#p0")]])
    return store


def test_stats_count_kept_removed_added_per_theme_over_confirmed_units(tmp_path):
    with _review_store(tmp_path / "s.sqlite") as store:
        stats = review_stats(store, SCOPE, default_codebook())
    da, ra, im, he = (stats.themes[t] for t in ("domestic_abuse", "risk_assessment", "including_men", "home_education"))
    # ana: d#p0 kept DA, removed RA; d#p1 removed DA, added IM. ben: d#p0 kept DA and RA. d#p2 was never confirmed.
    assert (da.suggested, da.kept, da.removed, da.added) == (3, 2, 1, 0)
    assert (ra.suggested, ra.kept, ra.removed) == (2, 1, 1)
    assert (im.suggested, im.added, im.acceptance) == (0, 1, None)
    assert (he.suggested, he.kept) == (0, 0)
    assert stats.units_reviewed == 3 and stats.coders == ("review:ana", "review:ben")
    assert stats.total().acceptance == pytest.approx(3 / 5)
    assert stats.by_coder["review:ana"].removed == 2
    assert stats.as_dict()["themes"]["domestic_abuse"]["acceptance"] == pytest.approx(2 / 3)


def test_stats_need_confirmed_units_and_one_model(tmp_path):
    with open_store(tmp_path / "e.sqlite") as store, pytest.raises(SyncError, match="sync pull"):
        review_stats(store, SCOPE, default_codebook())
    with _review_store(tmp_path / "s.sqlite") as store:
        store.add_suggestions([Suggestion("d", "d#p0", "domestic_abuse", 0.9, 0, 5, "m2", "cb")])
        with pytest.raises(SyncError, match="--model-id"):
            review_stats(store, SCOPE, default_codebook())
        assert review_stats(store, SCOPE, default_codebook(), model_id="m2").themes["domestic_abuse"].suggested == 2


def test_unit_index_finds_paragraphs_and_documents_by_text(tmp_path):
    with open_store(tmp_path / "s.sqlite") as store:
        store.add_documents([Document(k, v) for k, v in DOCS.items()])
        index = UnitIndex(store)
        para = store.segments("r2")[1]
    assert index.find(para.text) == ("r2", "r2#p1", para.start)
    assert index.find(DOCS["r3"]) == ("r3", "r3", 0)
    assert index.find("not a unit") is None


def keyword_model(text):
    out = []
    for word, theme in (("GP", "information_sharing"), ("conviction", "offending_history"),
                        ("educated at home", "home_education"), ("Father", "including_men")):
        if word in text:
            start = text.index(word)
            out.append({"theme": theme, "score": 0.9, "start": start, "end": start + len(word), "text": word})
    if "GP" in text:  # a second, weaker evidence span for the same theme, as precode.suggest can give
        out.append({"theme": "information_sharing", "score": 0.6, "start": 0, "end": len(text), "text": text})
    return out


FAKE = Suggester(keyword_model, "keywords-v1", default_codebook().fingerprint())


@pytest.fixture
def serving(serve_thread):
    return lambda store_path: serve_thread(FAKE, store_path)


@pytest.mark.integration
def test_auto_labeling_review_loop_end_to_end(make_project, serving):
    cb = default_codebook()
    p = make_project(("ana", "ben"), role="review")
    server = serving(p.store_path)
    with p.server.admin() as admin:
        setup = setup_review(admin, p.id, cb, server.url, test_text="The GP called.")
        again = setup_review(admin, p.id, cb, server.url)
        configs = admin.auto_labeling_configs(p.id)
    assert setup.created and setup.tested and not again.created and len(configs) == 1
    for who in ("ana", "ben"):
        for item in ("r1#p0", "r1#p1", "r2#p0"):
            p.coders[who].auto_label(p.id, p.examples[item])  # the coder's auto-label button
    # ana keeps everything, adds risk_assessment on r1#p0; ben removes offending_history on r1#p1
    p.code("ana", "r1#p0", "risk_assessment")
    for lab in p.labels("ben", "r1#p1"):
        p.coders["ben"].delete_label(p.id, p.examples["r1#p1"], "category", lab["id"])
    for who in ("ana", "ben"):
        for item in ("r1#p0", "r1#p1", "r2#p0"):
            p.done(who, item)
    result = p.pull()
    assert set(result.coders) == {f"review:{p.usernames['ana']}", f"review:{p.usernames['ben']}"}
    with open_store(p.store_path) as store:
        logged = {(s.item, s.theme) for s in store.suggestions()}
        assert all(a.source == "review" for a in store.annotations())
        stats = review_stats(store, project_scope(p.server.url, p.id), cb)
    assert logged == {("r1#p0", "information_sharing"), ("r1#p1", "offending_history"), ("r2#p0", "home_education")}
    assert (stats.themes["information_sharing"].suggested, stats.themes["information_sharing"].kept) == (2, 2)
    oh = stats.themes["offending_history"]
    assert (oh.suggested, oh.kept, oh.removed) == (2, 1, 1)
    assert stats.themes["risk_assessment"].added == 1 and stats.units_reviewed == 6


@pytest.mark.integration
def test_setup_says_when_doccano_cannot_reach_serve(make_project):
    p = make_project(("ana",), role="review")
    with p.server.admin() as admin, pytest.raises(SyncError, match="could not call http://127.0.0.1:9/suggest"):
        setup_review(admin, p.id, default_codebook(), "http://127.0.0.1:9/suggest", test_text="The GP called.")


@pytest.mark.integration
def test_setup_refuses_a_double_coded_project(make_project):
    p = make_project(("ana",), role="coding")
    with p.server.admin() as admin, pytest.raises(SyncError, match="double-coded"):
        setup_review(admin, p.id, default_codebook(), "http://127.0.0.1:9/suggest")


@pytest.mark.integration
def test_model_user_posts_scored_labels_once_and_they_pull_as_the_model(make_project):
    cb = default_codebook()
    p = make_project(("reviewcoder-model",), role="review")
    with p.server.admin() as admin:
        setup_review(admin, p.id, cb, "http://127.0.0.1:9/suggest")
    model_client = p.coders["reviewcoder-model"]
    with open_store(p.store_path) as store:
        first = post_suggestions(model_client, p.id, store, FAKE, cb)
        second = post_suggestions(model_client, p.id, store, FAKE, cb)
    assert first["posted"] == 4 and second["posted"] == 0 and second["already_there"] == 4
    probs = [lab["prob"] for lab in p.labels("reviewcoder-model", "r1#p0")]
    assert probs == [pytest.approx(0.9)]
    username = p.usernames["reviewcoder-model"]
    result = p.pull(model_users=[username])
    assert set(result.coders) == {f"model:{username}"}
    with open_store(p.store_path) as store:
        assert {a.source for a in store.annotations()} == {"model"}
        assert len(store.suggestions()) == 4


@pytest.mark.integration
def test_auto_labeling_in_a_span_review_project_gives_spans(make_project, serving):
    p = make_project(("ana",), kind="span", role="review")
    server = serving(p.store_path)
    with p.server.admin() as admin:
        assert setup_review(admin, p.id, default_codebook(), server.url).task_type == "Span"
    p.coders["ana"].auto_label(p.id, p.examples["r1#p0"])
    text = DOCS["r1"].split("\n\n")[0]
    labels = p.labels("ana", "r1#p0")
    # the model gave two overlapping spans (the whole sentence and the word "GP"); doccano's auto-labeling
    # keeps one of overlapping spans, the one that starts first; serve answered and logged just that one
    assert [(lab["label"], lab["start_offset"], lab["end_offset"]) for lab in labels] == [
        (p.label_ids["information_sharing"], 0, len(text))]
    server.shutdown()
    with open_store(p.store_path) as store:
        assert [(s.item, s.start, s.end) for s in store.suggestions()] == [("r1#p0", 0, len(text))]


def test_non_overlapping_keeps_what_doccano_keeps():
    from reviewcoder.review import non_overlapping

    spans = [{"theme": "a", "start": 10, "end": 20}, {"theme": "b", "start": 0, "end": 12},
             {"theme": "c", "start": 12, "end": 15}, {"theme": "d", "start": 15, "end": 30}]
    assert [s["theme"] for s in non_overlapping(spans)] == ["b", "c", "d"]
