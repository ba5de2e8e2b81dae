"""Precision, recall, F1 and theme confusions, checked against scikit-learn and by hand."""

from __future__ import annotations

import numpy as np
import pytest

from reviewcoder.errors import AgreementError
from reviewcoder.evaluate.metrics import precision_recall_f1, theme_confusion, top_confusions


def test_matches_sklearn_per_theme_micro_and_macro():
    from sklearn.metrics import f1_score, precision_score, recall_score

    rng = np.random.default_rng(0)
    Y_true = (rng.random((200, 5)) < 0.3).astype(int)
    Y_pred = np.where(rng.random((200, 5)) < 0.2, 1 - Y_true, Y_true)
    themes = list("abcde")
    r = precision_recall_f1(Y_true, Y_pred, themes)
    p = precision_score(Y_true, Y_pred, average=None)
    rc = recall_score(Y_true, Y_pred, average=None)
    f = f1_score(Y_true, Y_pred, average=None)
    for j, t in enumerate(themes):
        assert r["per_theme"][t]["precision"] == pytest.approx(p[j])
        assert r["per_theme"][t]["recall"] == pytest.approx(rc[j])
        assert r["per_theme"][t]["f1"] == pytest.approx(f[j])
        assert r["per_theme"][t]["support"] == Y_true[:, j].sum()
    assert r["micro"]["f1"] == pytest.approx(f1_score(Y_true, Y_pred, average="micro"))
    assert r["macro"]["f1"] == pytest.approx(f1_score(Y_true, Y_pred, average="macro"))


def test_undefined_figures_are_none_not_zero():
    Y_true = np.array([[0, 1], [0, 0]])
    Y_pred = np.array([[0, 1], [0, 0]])
    r = precision_recall_f1(Y_true, Y_pred, ["never", "seen"])
    assert r["per_theme"]["never"] == {**r["per_theme"]["never"], "precision": None, "recall": None, "f1": None}
    assert r["per_theme"]["seen"]["f1"] == 1.0
    assert r["macro"]["f1"] == 1.0 and r["macro"]["n_themes_f1"] == 1


def test_confusion_counts_missed_theme_replaced_by_another():
    themes = ["a", "b", "c"]
    Y_true = np.array([[1, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0]])
    Y_pred = np.array([[0, 1, 0], [0, 1, 1], [0, 1, 0], [1, 0, 1]])
    C = theme_confusion(Y_true, Y_pred, themes)
    # unit 0: a -> b; unit 1: a -> b and a -> c; unit 3: b missed, c spurious -> b -> c
    assert C[0, 1] == 2 and C[0, 2] == 1 and C[1, 2] == 1 and C[2, 0] == 0
    assert C[0, 0] == 1 and C[1, 1] == 1  # true positives on the diagonal
    top = top_confusions(C, themes)
    assert top[0] == {"true": "a", "predicted": "b", "units": 2}
    assert all(d["units"] > 0 for d in top)


def test_bad_shapes_and_values():
    with pytest.raises(AgreementError, match="n_themes"):
        precision_recall_f1(np.zeros((3, 2)), np.zeros((3, 3)), ["a", "b"])
    with pytest.raises(AgreementError, match="only 0 and 1"):
        precision_recall_f1(np.array([[np.nan, 1]]), np.array([[0, 1]]), ["a", "b"])
