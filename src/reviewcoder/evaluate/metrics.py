"""Model-vs-reference metrics for multi-label theme coding: precision, recall, F1, theme confusions.

Arrays: ``Y_true`` and ``Y_pred`` are int (or bool) arrays of shape ``(n_units, n_themes)``, 1 where
the theme applies, in the codebook's theme order. A unit the reference did not code must not be
passed (select the units first); there is no "missing" here.

>>> import numpy as np
>>> Y_true = np.array([[1, 0], [1, 1], [0, 0], [0, 1]])
>>> Y_pred = np.array([[1, 0], [0, 1], [1, 0], [0, 1]])
>>> r = precision_recall_f1(Y_true, Y_pred, ["a", "b"])
>>> r["per_theme"]["a"]["precision"], r["per_theme"]["a"]["recall"], r["per_theme"]["b"]["f1"]
(0.5, 0.5, 1.0)
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..errors import AgreementError

__all__ = ["precision_recall_f1", "theme_confusion", "top_confusions"]


def _check(Y_true: Any, Y_pred: Any, themes: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    yt = np.asarray(Y_true)
    yp = np.asarray(Y_pred)
    if yt.ndim != 2 or yt.shape != yp.shape or yt.shape[1] != len(themes):
        raise AgreementError(
            f"Y_true and Y_pred must both be (n_units, n_themes={len(themes)}); got {yt.shape} and {yp.shape}"
        )
    for name, y in (("Y_true", yt), ("Y_pred", yp)):
        if y.size and not np.isin(y, (0, 1)).all():
            raise AgreementError(f"{name} must hold only 0 and 1 (select coded units first; no NaN here)")
    return yt.astype(bool), yp.astype(bool)


def _prf(tp: float, fp: float, fn: float) -> dict[str, float | None]:
    p = tp / (tp + fp) if tp + fp else None
    r = tp / (tp + fn) if tp + fn else None
    if tp + fp + fn == 0:
        f = None
    else:
        f = 2 * tp / (2 * tp + fp + fn)
    return {"precision": p, "recall": r, "f1": f}


def precision_recall_f1(Y_true: Any, Y_pred: Any, themes: Sequence[str]) -> dict[str, Any]:
    """Per-theme precision, recall and F1, plus micro and macro averages.

    Returns ``{"per_theme": {theme: {precision, recall, f1, support, predicted, tp, fp, fn}},
    "micro": {...}, "macro": {...}, "n_units": n}``. A figure whose denominator is 0 is None
    (precision with nothing predicted, recall with nothing to find); macro averages are over the
    themes where the figure is defined, and say over how many (``n_themes``).
    """
    yt, yp = _check(Y_true, Y_pred, themes)
    tp = (yt & yp).sum(0)
    fp = (~yt & yp).sum(0)
    fn = (yt & ~yp).sum(0)
    per = {}
    for j, theme in enumerate(themes):
        d = _prf(float(tp[j]), float(fp[j]), float(fn[j]))
        d.update(support=int(yt[:, j].sum()), predicted=int(yp[:, j].sum()), tp=int(tp[j]), fp=int(fp[j]), fn=int(fn[j]))
        per[theme] = d
    micro = _prf(float(tp.sum()), float(fp.sum()), float(fn.sum()))
    macro: dict[str, Any] = {}
    for key in ("precision", "recall", "f1"):
        vals = [d[key] for d in per.values() if d[key] is not None]
        macro[key] = float(np.mean(vals)) if vals else None
        macro[f"n_themes_{key}"] = len(vals)
    return {"per_theme": per, "micro": micro, "macro": macro, "n_units": int(yt.shape[0])}


def theme_confusion(Y_true: Any, Y_pred: Any, themes: Sequence[str]) -> np.ndarray:
    """Which themes the model mixes up: ``C`` int ``(n_themes, n_themes)``.

    ``C[i, j]`` (i != j) counts units where theme ``i`` applies but was missed, while theme ``j`` was
    predicted but does not apply: the model said ``j`` where the reference said ``i``. The diagonal
    holds the true positives of each theme.
    """
    yt, yp = _check(Y_true, Y_pred, themes)
    missed = (yt & ~yp).astype(np.int64)
    spurious = (~yt & yp).astype(np.int64)
    C = missed.T @ spurious
    np.fill_diagonal(C, (yt & yp).sum(0))
    return C


def top_confusions(C: np.ndarray, themes: Sequence[str], k: int = 10) -> list[dict[str, Any]]:
    """The ``k`` largest off-diagonal cells of :func:`theme_confusion` as
    ``[{"true": theme, "predicted": theme, "units": n}, ...]``, largest first, zeros left out."""
    C = np.asarray(C)
    cells = [
        {"true": themes[i], "predicted": themes[j], "units": int(C[i, j])}
        for i in range(C.shape[0])
        for j in range(C.shape[1])
        if i != j and C[i, j] > 0
    ]
    cells.sort(key=lambda d: (-d["units"], d["true"], d["predicted"]))
    return cells[:k]
