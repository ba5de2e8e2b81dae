"""The sentence head learned from evidence spans (sentence-linear.v1): labels, scores, spans through training."""

from __future__ import annotations

import numpy as np
import pytest

from classify_fakes import FILLER, VOCAB, FakeEncoder, tiny_codebook
from reviewcoder.classify import train_model
from reviewcoder.classify.sentence import SentenceLinear
from reviewcoder.errors import ModelError

THEMES = ["violence", "school", "money"]


def _units(n=60, seed=0):
    """Units of three sentences, one of which shows the unit's theme; spans mark that sentence."""
    rng = np.random.default_rng(seed)
    texts, Y, spans = [], [], []
    for i in range(n):
        j = i % len(THEMES)
        filler = [" ".join(rng.choice(FILLER, 7)).capitalize() + "." for _ in range(2)]
        theme = " ".join(rng.choice(VOCAB[THEMES[j]], 5)).capitalize() + "."
        parts = filler[:1] + [theme] + filler[1:]
        text = " ".join(parts)
        start = text.index(theme)
        texts.append(text)
        y = np.zeros(len(THEMES), dtype=np.int8)
        y[j] = 1
        Y.append(y)
        spans.append([(THEMES[j], start, start + len(theme))])
    return texts, np.array(Y), spans


def test_sentence_labels_follow_the_spans():
    clf = SentenceLinear(encoder=FakeEncoder())
    text = "Police were called after he hit her. The plan was reviewed at home."
    F = clf.featurize([text, text])
    assert F.groups == [[0, 1], [2, 3]]
    Y = np.array([[1, 0, 0], [1, 0, 0]])
    spans = [[("violence", 0, 20)], []]  # unit 0 marks its first sentence; unit 1 is coded whole
    L, mask = clf._sentence_labels(F, Y, THEMES, spans)
    assert L[:, 0].tolist() == [1, 0, 1, 1]
    assert mask[:, 0].tolist() == [True, False, True, True]  # the unmarked sentence of unit 0 is left out
    assert not L[:, 1:].any() and mask[:, 1:].all()


def test_unit_score_is_its_best_sentence_and_spans_find_the_evidence():
    texts, Y, spans = _units()
    clf = SentenceLinear(encoder=FakeEncoder(), C=10.0).fit(texts, Y, THEMES, spans=spans)
    sentences, groups = [], []
    for t in texts:
        F = clf.featurize([t])
        groups.append(list(range(len(sentences), len(sentences) + len(F.offsets))))
        sentences += [t[a:b] for a, b in F.offsets]
    P_par, P_sent = clf.score_units(texts, sentences, groups)
    np.testing.assert_allclose(P_par, clf.predict_proba(texts), atol=1e-6)
    for i, g in enumerate(groups):
        np.testing.assert_allclose(P_par[i], P_sent[g].max(axis=0), atol=1e-9)
    # the sentence the coder marked scores highest for the unit's theme in nearly every unit
    hits = 0
    for i, g in enumerate(groups):
        j = int(np.argmax(Y[i]))
        best = g[int(np.argmax(P_sent[g, j]))]
        hits += sentences[best] in texts[i][spans[i][0][1]:spans[i][0][2]]
    assert hits / len(texts) > 0.9
    assert ((P_par >= 0.5) == Y.astype(bool)).mean() > 0.9


def test_spans_reach_the_sentence_member_through_training():
    texts, Y, spans = _units(48)
    groups = [f"a{i % 4}" for i in range(len(texts))]
    kw = dict(backend="ensemble", groups=groups, codebook=tiny_codebook(), encoder=FakeEncoder(), seed=0)
    with_spans = train_model(texts, Y, THEMES, spans=spans, **kw)
    without = train_model(texts, Y, THEMES, **kw)
    a = with_spans.classifier._models[0]
    b = without.classifier._models[0]
    assert a.name == "sentence-linear.v1"
    assert not np.allclose(a.head_.coef_, b.head_.coef_)
    with pytest.raises(ModelError, match="one list per text"):
        train_model(texts, Y, THEMES, spans=spans[:-1], **kw)


def test_blank_unit_gets_a_score_not_an_error():
    texts, Y, spans = _units(30)
    clf = SentenceLinear(encoder=FakeEncoder()).fit(texts, Y, THEMES, spans=spans)
    P = clf.predict_proba(["   ", texts[0]])
    assert P.shape == (2, 3) and np.isfinite(P).all()
