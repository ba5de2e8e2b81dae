"""The trainer: grouped folds, calibration, per-theme thresholds, and the training set from codes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classify_fakes import FakeEncoder, tiny_codebook, tiny_data
from reviewcoder.classify import train_model
from reviewcoder.classify.training import choose_thresholds, cv_folds, fit_calibration
from reviewcoder.errors import CodebookError, ModelError

THEMES = ["violence", "school", "money"]


@given(st.lists(st.sampled_from("abcdefg"), min_size=2, max_size=40), st.integers(2, 6), st.integers(0, 5))
@settings(max_examples=60, deadline=None)
def test_grouped_folds_partition_units_and_never_split_a_group(groups, k, seed):
    folds = cv_folds(len(groups), groups, k, seed)
    if len(set(groups)) < 2:
        assert all(len(te) for _, te in folds)
    seen = np.concatenate([te for _, te in folds]) if folds else np.array([], int)
    assert sorted(seen.tolist()) == list(range(len(groups)))
    for tr, te in folds:
        assert not set(tr) & set(te)
        if len(set(groups)) >= 2:
            assert not {groups[i] for i in tr} & {groups[i] for i in te}


def test_thresholds_maximise_f1_and_sit_between_scores():
    P = np.array([[0.9], [0.8], [0.6], [0.3], [0.1]])
    Y = np.array([[1], [1], [0], [1], [0]])
    t = choose_thresholds(P, Y)[0]
    # keeping the top 4 gives F1 = 6/7 (best); the cut lies between 0.3 and 0.1
    assert 0.1 < t <= 0.3
    assert choose_thresholds(P, np.zeros_like(Y))[0] == 0.5


def test_thresholds_are_clipped():
    P = np.array([[0.01], [0.02], [0.001]])
    Y = np.array([[1], [1], [1]])
    assert choose_thresholds(P, Y)[0] == pytest.approx(0.05)


def test_calibration_keeps_ranking_and_moves_scores_toward_frequencies():
    rng = np.random.default_rng(0)
    Y = (rng.random((400, 1)) < 0.2).astype(int)
    raw = np.clip(0.5 + 0.3 * (Y - 0.5) + rng.normal(0, 0.15, Y.shape), 0.01, 0.99)  # overconfident-ish, biased
    cal = fit_calibration(raw, Y)
    a, b = cal[0]
    assert a > 0
    from reviewcoder.classify.base import logit, sigmoid

    p = sigmoid(a * logit(raw[:, 0]) + b)
    assert abs(p.mean() - Y.mean()) < 0.03
    assert np.all(np.diff(p[np.argsort(raw[:, 0])]) >= -1e-12)


def test_train_model_end_to_end_tfidf():
    texts, Y, groups = tiny_data(60)
    cb = tiny_codebook()
    model = train_model(texts, Y, THEMES, backend="tfidf", groups=groups, codebook=cb, seed=1)
    assert model.theme_ids == THEMES
    assert set(model.thresholds) == set(THEMES)
    assert model.calibration.shape == (3, 2)
    assert model.meta["training"]["positives"] == {t: int(Y[:, j].sum()) for j, t in enumerate(THEMES)}
    assert model.meta["cv"]["scheme"].endswith("grouped")
    assert model.meta["cv"]["macro_f1"] > 0.6
    assert model.codebook_fingerprint == cb.fingerprint()
    P = model.predict_proba(texts[:4])
    assert P.shape == (4, 3)
    assert model.predict(texts[:4]).dtype == np.int8


def test_train_model_encodes_each_text_once_for_all_folds():
    texts, Y, groups = tiny_data(40)
    enc = FakeEncoder()
    train_model(texts, Y, THEMES, backend="embedding", groups=groups, encoder=enc)
    assert enc.texts_seen <= 2 * len(texts)  # sentences of each text, once (a text may hold 1-2 sentences)


def test_train_model_is_reproducible_with_a_seed():
    texts, Y, groups = tiny_data(40)
    a = train_model(texts, Y, THEMES, backend="embedding", encoder=FakeEncoder(), seed=3)
    b = train_model(texts, Y, THEMES, backend="embedding", encoder=FakeEncoder(), seed=3)
    assert a.thresholds == b.thresholds
    np.testing.assert_array_equal(a.predict_proba(texts), b.predict_proba(texts))


def test_train_model_refuses_too_little_data_and_unknown_themes():
    with pytest.raises(ModelError, match="needs coded units"):
        train_model(["one text"], np.array([[1, 0, 0]]), THEMES, backend="tfidf")
    with pytest.raises(CodebookError, match="not in codebook"):
        train_model(["a", "b"], np.zeros((2, 1)), ["nonsense"], backend="tfidf", codebook=tiny_codebook())


def test_zero_shot_trains_without_codes():
    model = train_model([], None, THEMES, backend="zeroshot", codebook=tiny_codebook(), encoder=FakeEncoder())
    assert model.thresholds == dict.fromkeys(THEMES, 0.5)
    assert model.calibration is None
    assert model.predict_proba(["money money debt"]).shape == (1, 3)


def test_training_set_from_unit_codes(tmp_path):
    import json

    from reviewcoder.classify.data import build_training_set, read_coded

    corpus = tmp_path / "corpus"
    (corpus / "codes").mkdir(parents=True)
    docs = [
        {"id": "d1", "text": "Title\n\nPolice were called after he hit her in the kitchen.\n\nThe school saw him daily.",
         "meta": {"author": "x", "split": "train"}},
        {"id": "d2", "text": "Rent arrears grew.\n\nThe teacher noticed bruising.", "meta": {"author": "y", "split": "heldout"}},
    ]
    (corpus / "documents.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs))
    codes = [
        {"doc_id": "d1", "item": "d1#p1", "coder": "consensus", "themes": ["violence"], "spans": []},
        {"doc_id": "d1", "item": "d1#p2", "coder": "consensus", "themes": [], "spans": []},
        {"doc_id": "d2", "item": "d2#p0", "coder": "consensus", "themes": ["money"], "spans": []},
        {"doc_id": "d2", "item": "d2#p9", "coder": "consensus", "themes": ["money"], "spans": []},
    ]
    (corpus / "codes" / "consensus.jsonl").write_text("".join(json.dumps(c) + "\n" for c in codes))
    (corpus / "codes" / "coder_a.jsonl").write_text(json.dumps({**codes[0], "coder": "coder_a"}) + "\n")
    d, a, c = read_coded(corpus)
    ts = build_training_set(d, a, c, THEMES, split="train")
    assert ts.coder == "consensus"
    assert ts.units == ["d1#p1", "d1#p2"]
    assert ts.texts[0] == "Police were called after he hit her in the kitchen."
    assert ts.Y.tolist() == [[1, 0, 0], [0, 0, 0]]
    assert ts.groups == ["x", "x"]
    every = build_training_set(d, a, c, THEMES)
    assert any("d2#p9" in s for s in every.skipped)
    from reviewcoder.errors import InputError

    with pytest.raises(InputError, match="coder_b"):
        build_training_set(d, a, c, THEMES, coder="coder_b")
    with pytest.raises(InputError, match="split"):
        build_training_set(d, a, c, THEMES, split="test")


def test_document_max_takes_each_documents_best_unit():
    from reviewcoder.classify.training import document_max

    P = np.array([[0.1, 0.9], [0.7, 0.2], [0.3, 0.3], [0.5, 0.0]])
    docs, D = document_max(P, ["b", "a", "b", "a"])
    assert docs == ["b", "a"]
    assert D.tolist() == [[0.3, 0.9], [0.7, 0.2]]


def test_document_thresholds_are_chosen_on_documents_when_documents_are_given():
    texts, Y, groups = tiny_data(60)
    documents = [f"doc{i // 3}" for i in range(len(texts))]  # three units per document
    model = train_model(texts, Y, THEMES, backend="tfidf", groups=groups, documents=documents,
                        codebook=tiny_codebook(), seed=1)
    assert set(model.document_thresholds) == set(THEMES)
    assert all(0.05 <= v <= 0.95 for v in model.document_thresholds.values())
    assert model.meta["cv_document"]["n_documents"] == 20
    assert model.meta["cv_document"]["macro_f1"] > 0.6
    # a document's decision is taken at its own threshold, not the unit one
    assert model.document_threshold_array.tolist() == [model.document_thresholds[t] for t in THEMES]
    without = train_model(texts, Y, THEMES, backend="tfidf", groups=groups, codebook=tiny_codebook(), seed=1)
    assert without.document_thresholds is None and without.meta["cv_document"] is None
    assert without.document_threshold_array.tolist() == without.threshold_array.tolist()
    with pytest.raises(ModelError, match="one document id per text"):
        train_model(texts, Y, THEMES, backend="tfidf", documents=documents[:-1])


def test_parameters_of_the_wrong_kind_and_unknown_members_fail_before_any_work():
    from reviewcoder.classify import make_backend

    with pytest.raises(ModelError, match="parameter C must be a float .*got 'abc'"):
        make_backend("tfidf", C="abc")
    with pytest.raises(ModelError, match="parameter C must be a float"):
        make_backend("ensemble", members=[{"backend": "sentence-linear.v1", "params": {"C": "x"}}])
    with pytest.raises(ModelError, match="Unknown backend 'nope'"):
        make_backend("ensemble", members=[{"backend": "nope"}])
    assert make_backend("tfidf", C=4, max_features=None).C == 4  # ints for floats, null for "none" are fine
