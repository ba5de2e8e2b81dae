"""One contract test over all backends (STYLE.md #4, #12): fit/predict shapes and order, NotFittedError,
overfitting tiny data, and save/load round trips. The encoder is a small fake here; the real MiniLM is
exercised in the slow tests."""

from __future__ import annotations

import numpy as np
import pytest

from classify_fakes import FakeEncoder, tiny_codebook, tiny_data
from reviewcoder.classify import ThemeClassifier, make_backend
from reviewcoder.errors import ModelError, NotFittedError

THEMES = ["violence", "school", "money"]
FAST = ["tfidf-linear.v1", "embedding-linear.v1", "sentence-linear.v1", "zeroshot.v1", "ensemble.v1"]


def _make(name):
    return make_backend(name, codebook=tiny_codebook(), encoder=FakeEncoder())


@pytest.mark.parametrize("name", FAST)
def test_predict_before_fit_raises_not_fitted(name):
    with pytest.raises(NotFittedError):
        _make(name).predict_proba(["some text"])


@pytest.mark.parametrize("name", FAST)
def test_fit_returns_self_and_shapes(name):
    texts, Y, _ = tiny_data(40)
    clf = _make(name)
    assert isinstance(clf, ThemeClassifier)
    assert clf.fit(texts, Y, theme_ids=THEMES) is clf
    assert clf.theme_ids_ == THEMES
    P = clf.predict_proba(texts[:7])
    assert P.shape == (7, 3)
    assert np.all((P >= 0) & (P <= 1))
    assert clf.predict_proba([]).shape == (0, 3)


@pytest.mark.parametrize("name", ["tfidf-linear.v1", "embedding-linear.v1", "sentence-linear.v1"])
def test_overfits_tiny_data(name):
    texts, Y, _ = tiny_data(60)
    clf = make_backend(name, encoder=FakeEncoder(), C=100.0).fit(texts, Y, theme_ids=THEMES)
    P = clf.predict_proba(texts)
    assert ((P >= 0.5) == Y.astype(bool)).mean() > 0.95


@pytest.mark.parametrize("name", ["tfidf-linear.v1", "embedding-linear.v1", "sentence-linear.v1"])
def test_column_order_follows_theme_ids(name):
    texts, Y, _ = tiny_data(60)
    a = _make(name).fit(texts, Y, theme_ids=THEMES).predict_proba(texts[:10])
    b = _make(name).fit(texts, Y[:, ::-1], theme_ids=THEMES[::-1]).predict_proba(texts[:10])
    np.testing.assert_allclose(a, b[:, ::-1], atol=1e-6)


@pytest.mark.parametrize("name", FAST)
def test_saved_arrays_rebuild_the_same_predictions(name):
    texts, Y, _ = tiny_data(40)
    clf = _make(name).fit(texts, Y, theme_ids=THEMES)
    arrays = clf.get_arrays()
    assert all(isinstance(v, np.ndarray) for v in arrays.values())
    kwargs = {"encoder": clf.encoder} if hasattr(clf, "encoder") else {}
    again = type(clf).from_saved(clf.get_params(), arrays, THEMES, **kwargs)
    np.testing.assert_allclose(again.predict_proba(texts[:9]), clf.predict_proba(texts[:9]), atol=1e-6)


@pytest.mark.parametrize("name", ["tfidf-linear.v1", "embedding-linear.v1", "sentence-linear.v1"])
def test_bad_training_data_is_refused(name):
    texts, Y, _ = tiny_data(10)
    with pytest.raises(ModelError, match="rows"):
        _make(name).fit(texts[:5], Y, theme_ids=THEMES)
    with pytest.raises(ModelError, match="columns"):
        _make(name).fit(texts, Y[:, :2], theme_ids=THEMES)
    with pytest.raises(ModelError, match="only 0 and 1"):
        _make(name).fit(texts, Y * 2, theme_ids=THEMES)


@pytest.mark.parametrize("name", ["tfidf-linear.v1", "embedding-linear.v1", "sentence-linear.v1"])
def test_theme_without_positives_gets_a_low_constant(name):
    texts, Y, _ = tiny_data(30)
    Y = Y.copy()
    Y[:, 2] = 0
    P = _make(name).fit(texts, Y, theme_ids=THEMES).predict_proba(texts)
    assert np.all(P[:, 2] < 0.05)


def test_empty_texts_do_not_break_the_embedding_backend():
    texts, Y, _ = tiny_data(20)
    clf = _make("embedding-linear.v1").fit(texts, Y, theme_ids=THEMES)
    P = clf.predict_proba(["", "   ", texts[0]])
    assert P.shape == (3, 3) and np.isfinite(P).all()


def test_sentence_pooling_scores_sentences_and_units_in_one_pass():
    texts, Y, _ = tiny_data(30)
    enc = FakeEncoder()
    clf = make_backend("embedding-linear.v1", encoder=enc).fit(texts, Y, theme_ids=THEMES)
    calls = enc.calls
    par_x, sent_x = clf.featurize_sentences(["Police hit him.", "School was missed.", "Rent arrears."], [[0, 1], [2]])
    assert enc.calls == calls + 1
    assert par_x.shape == (2, 64) and sent_x.shape == (3, 64)
    np.testing.assert_allclose(np.linalg.norm(par_x, axis=1), 1.0, atol=1e-5)


def test_zeroshot_needs_a_codebook_and_scores_by_definitions():
    from reviewcoder.classify.zeroshot import ZeroShot, theme_descriptions

    with pytest.raises(ModelError, match="codebook"):
        ZeroShot(encoder=FakeEncoder()).fit()
    cb = tiny_codebook()
    desc = theme_descriptions(cb)
    assert list(desc) == THEMES
    assert desc["school"][0].startswith("School: The text is about school")
    assert "a school example" in desc["school"]
    z = ZeroShot(codebook=cb, encoder=FakeEncoder()).fit()
    P = z.predict_proba(["school school school", "money money money"])
    assert P[0, 1] > P[0, 2] and P[1, 2] > P[1, 1]


def test_unknown_backend_and_parameter_are_named():
    with pytest.raises(ModelError, match="Unknown backend 'svm'"):
        make_backend("svm")
    with pytest.raises(ModelError, match="no parameter"):
        make_backend("tfidf", gamma=3)


@pytest.mark.slow
def test_finetune_backend_honours_the_contract():
    texts, Y, _ = tiny_data(24)
    clf = make_backend("finetune", epochs=1, batch_size=8, seed=0)
    with pytest.raises(NotFittedError):
        clf.predict_proba(["x"])
    clf.fit(texts, Y, theme_ids=THEMES)
    P = clf.predict_proba(texts[:5])
    assert P.shape == (5, 3) and np.all((P >= 0) & (P <= 1))
    again = type(clf).from_saved(clf.get_params(), clf.get_arrays(), THEMES)
    np.testing.assert_allclose(again.predict_proba(texts[:5]), P, atol=1e-5)


def test_codebook_prior_teaches_a_theme_with_no_coded_example():
    texts, Y, _ = tiny_data(60)
    Y = Y.copy()
    Y[:, 1] = 0  # nobody coded "school"
    plain = make_backend("embedding", encoder=FakeEncoder()).fit(texts, Y, theme_ids=THEMES)
    prior = make_backend("embedding", encoder=FakeEncoder(), codebook=tiny_codebook(), prior_weight=5.0)
    prior.fit(texts, Y, theme_ids=THEMES)
    probe = ["a school example about school"]
    assert prior.predict_proba(probe)[0, 1] > plain.predict_proba(probe)[0, 1] + 0.2
    assert prior.get_params()["prior_weight"] == 5.0


def test_ensemble_averages_member_logits_and_round_trips():
    from reviewcoder.classify.base import logit, sigmoid

    texts, Y, _ = tiny_data(50)
    enc = FakeEncoder()
    ens = make_backend("ensemble", encoder=enc).fit(texts, Y, theme_ids=THEMES)
    sent = make_backend("sentence", encoder=enc).fit(texts, Y, theme_ids=THEMES)
    tfidf = make_backend("tfidf").fit(texts, Y, theme_ids=THEMES)
    expected = sigmoid((logit(sent.predict_proba(texts[:6])) + logit(tfidf.predict_proba(texts[:6]))) / 2)
    np.testing.assert_allclose(ens.predict_proba(texts[:6]), expected, atol=1e-6)
    params = ens.get_params()
    assert [m["backend"] for m in params["members"]] == ["sentence-linear.v1", "tfidf-linear.v1"]
    assert params["members"][0]["params"]["C"] == 1.0
    again = type(ens).from_saved(params, ens.get_arrays(), THEMES, encoder=enc)
    np.testing.assert_allclose(again.predict_proba(texts[:6]), expected, atol=1e-6)
    p, s = again.score_units(["Police hit him. Rent arrears."], ["Police hit him.", "Rent arrears."], [[0, 1]])
    assert p.shape == (1, 3) and s.shape == (2, 3)
