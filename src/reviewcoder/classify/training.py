"""Train a calibrated model: cross-validated scores, per-theme calibration and thresholds, final fit.

:func:`train_model` is what ``reviewcoder train`` calls:

1. out-of-fold scores for every training unit, by k-fold cross-validation; folds are grouped (by
   author or document, whatever ``groups`` gives) so that a writer's phrasing never helps to score
   that writer's own text;
2. per theme, Platt scaling fitted on the out-of-fold scores, so that scores are calibrated
   probabilities (``p = sigmoid(a * logit(raw) + b)``);
3. per theme, the threshold that maximises F1 on the calibrated out-of-fold scores (0.5 for a theme
   with no positive example), clipped to [0.05, 0.95];
4. when the units' documents are known, per theme a document-level threshold, chosen the same way on
   each document's highest calibrated out-of-fold unit score against "some unit of the document has
   the theme": a document is flagged on its strongest paragraph, which needs a higher bar than one
   paragraph does (or a lower one, for a theme coders flag on weak paragraphs);
5. the backend fitted once more on all units.

The out-of-fold figures are kept as ``meta["cv"]`` (units) and ``meta["cv_document"]``; they are
optimistic about the thresholds (chosen on the same scores), so report held-out figures beside them.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Sequence

import numpy as np

from ..errors import ModelError
from .base import ThemeModel, check_training_data, logit
from .embedding import EmbeddingLinear
from .ensemble import Ensemble, accepts_spans
from .sentence import SentenceLinear
from .tfidf import TfidfLinear
from .zeroshot import ZeroShot

__all__ = ["BACKENDS", "ALIASES", "backend_class", "make_backend", "train_model", "fit_calibration",
           "choose_thresholds", "cv_folds", "document_max"]


def _finetune_class():
    from .finetune import FineTuned

    return FineTuned


#: Backend name (with version) -> class. ``finetune.v1`` resolves on first use.
BACKENDS: dict[str, Any] = {
    TfidfLinear.name: TfidfLinear,
    EmbeddingLinear.name: EmbeddingLinear,
    SentenceLinear.name: SentenceLinear,
    ZeroShot.name: ZeroShot,
    Ensemble.name: Ensemble,
    "finetune.v1": _finetune_class,
}
#: Short names accepted on the command line.
ALIASES = {"tfidf": TfidfLinear.name, "embedding": EmbeddingLinear.name, "sentence": SentenceLinear.name,
           "zeroshot": ZeroShot.name,
           "ensemble": Ensemble.name, "finetune": "finetune.v1"}


def backend_class(name: str) -> type:
    key = ALIASES.get(name, name)
    if key not in BACKENDS:
        known = ", ".join(sorted(BACKENDS) + sorted(ALIASES))
        raise ModelError(f"Unknown backend {name!r}; use one of: {known}")
    cls = BACKENDS[key]
    return cls() if key == "finetune.v1" else cls


def make_backend(name: str, codebook: Any = None, encoder: Any = None, **params: Any):
    """A fresh, unfitted backend. ``codebook`` goes to backends that use it, ``encoder`` to encoder backends."""
    cls = backend_class(name)
    kwargs = dict(params)
    import inspect

    accepted = inspect.signature(cls.__init__).parameters
    if "codebook" in accepted:
        kwargs["codebook"] = codebook
    if "encoder" in accepted and encoder is not None:
        kwargs["encoder"] = encoder
    unknown = set(kwargs) - set(accepted)
    if unknown:
        raise ModelError(f"Backend {cls.name} has no parameter(s) {sorted(unknown)}; known: "
                         f"{sorted(p for p in accepted if p != 'self')}")
    for key, value in params.items():
        # a value of the wrong kind (e.g. -p C=abc) would otherwise fail deep inside scikit-learn or torch
        default = accepted[key].default
        if value is None:  # JSON null: the backend's own "none" (e.g. max_features=None)
            continue
        if isinstance(default, bool):
            ok = isinstance(value, bool)
        elif isinstance(default, (int, float)):
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        else:
            continue
        if not ok:
            raise ModelError(f"Backend {cls.name} parameter {key} must be a {type(default).__name__} "
                             f"(default {default!r}); got {value!r}")
    return cls(**kwargs)


def cv_folds(n: int, groups: Sequence[str] | None, n_folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train_idx, test_idx) pairs. Grouped when ``groups`` has 2+ distinct values, else shuffled k-fold."""
    if n < 2 or n_folds < 2:
        return []
    if groups is not None:
        uniq = list(dict.fromkeys(groups))
        if len(uniq) >= 2:
            rng = np.random.default_rng(seed)
            order = [uniq[i] for i in rng.permutation(len(uniq))]
            k = min(n_folds, len(uniq))
            fold_of = {g: i % k for i, g in enumerate(order)}
            f = np.array([fold_of[g] for g in groups])
            return [(np.flatnonzero(f != i), np.flatnonzero(f == i)) for i in range(k)]
    k = min(n_folds, n)
    perm = np.random.default_rng(seed).permutation(n)
    f = np.empty(n, dtype=int)
    f[perm] = np.arange(n) % k
    return [(np.flatnonzero(f != i), np.flatnonzero(f == i)) for i in range(k)]


def fit_calibration(P: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Platt scaling per theme on out-of-fold scores: (n_themes, 2) of (a, b); identity where it cannot fit.

    ``P``: raw probabilities (n, n_themes); ``Y``: 0/1 (n, n_themes).
    """
    from sklearn.linear_model import LogisticRegression

    cal = np.tile([1.0, 0.0], (P.shape[1], 1))
    Z = logit(P)
    for j in range(P.shape[1]):
        y = Y[:, j]
        if y.sum() < 2 or (1 - y).sum() < 2:
            continue
        lr = LogisticRegression(C=1.0, max_iter=1000).fit(Z[:, [j]], y)
        a, b = float(lr.coef_[0, 0]), float(lr.intercept_[0])
        if a > 0:  # a non-positive slope would reverse the ranking: keep the raw scores instead
            cal[j] = (a, b)
    return cal


def choose_thresholds(P: np.ndarray, Y: np.ndarray, lo: float = 0.05, hi: float = 0.95) -> np.ndarray:
    """Per theme, the threshold maximising F1 of ``P >= t`` against ``Y``; 0.5 where Y has no positive.

    The threshold sits halfway between the lowest score kept and the highest score dropped, so that
    small shifts in scores do not flip decisions at the edge. Returns float (n_themes,).
    """
    out = np.full(P.shape[1], 0.5)
    for j in range(P.shape[1]):
        y = Y[:, j].astype(bool)
        if not y.any():
            continue
        s = P[:, j]
        order = np.argsort(-s, kind="stable")
        ss, yy = s[order], y[order]
        tp = np.cumsum(yy)
        k = np.arange(1, len(ss) + 1)
        f1 = 2 * tp / (k + y.sum())
        # only cut between distinct scores
        valid = np.r_[ss[:-1] > ss[1:], True]
        f1 = np.where(valid, f1, -1)
        best = int(np.argmax(f1))
        t = ss[best] if best == len(ss) - 1 else (ss[best] + ss[best + 1]) / 2
        out[j] = float(np.clip(t, lo, hi))
    return out


def document_max(P: np.ndarray, documents: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """Per document (in first-seen order), the highest row of ``P`` (n_units, n_themes) among its units."""
    order = list(dict.fromkeys(documents))
    index = {d: k for k, d in enumerate(order)}
    out = np.full((len(order), P.shape[1]), -np.inf)
    np.maximum.at(out, np.array([index[d] for d in documents], dtype=int), np.asarray(P, dtype=np.float64))
    return order, out


def _per_theme_f1(Y: np.ndarray, Yhat: np.ndarray, theme_ids: Sequence[str]) -> dict[str, Any]:
    from ..evaluate.metrics import precision_recall_f1

    r = precision_recall_f1(Y, Yhat, theme_ids)
    return {"macro_f1": r["macro"]["f1"], "micro_f1": r["micro"]["f1"],
            "per_theme": {t: {"f1": d["f1"], "precision": d["precision"], "recall": d["recall"],
                              "support": d["support"]} for t, d in r["per_theme"].items()}}


def _fit(method: Callable, X: Any, Y: np.ndarray, theme_ids: Sequence[str], spans: Any, rows: Any = None) -> None:
    """``method(X, Y, theme_ids)``, with the evidence spans of ``rows`` (all: None) when it learns from them."""
    if spans is not None and accepts_spans(method):
        method(X, Y, theme_ids, spans=list(spans) if rows is None else [spans[k] for k in rows])
    else:
        method(X, Y, theme_ids)


def train_model(
    texts: Sequence[str],
    Y: Any,
    theme_ids: Sequence[str],
    backend: str = Ensemble.name,
    params: dict[str, Any] | None = None,
    groups: Sequence[str] | None = None,
    documents: Sequence[str] | None = None,
    spans: Sequence[Sequence[tuple[str, int, int]]] | None = None,
    n_folds: int = 5,
    seed: int = 0,
    codebook: Any = None,
    encoder: Any = None,
    calibrate: bool = True,
    progress: Callable[[str], None] | None = None,
) -> ThemeModel:
    """Cross-validate, calibrate, choose thresholds and fit ``backend`` on (texts, Y).

    ``texts``: n unit texts; ``Y``: int (n, n_themes) in ``theme_ids`` order; ``groups``: n group
    labels for grouped folds (author, or document); ``documents``: n document ids, for the
    document-level thresholds (None: documents use the unit thresholds); ``spans``: per text, the
    coder's evidence spans ``(theme, start, end)`` in it, for backends that learn from them (the
    others ignore them); ``n_folds=0`` skips cross-validation (thresholds 0.5, no calibration: for the
    zero-shot backend with no codes). ``progress(message)`` is called at
    each step.
    """
    say = progress or (lambda _msg: None)
    texts = list(texts)
    theme_ids = list(theme_ids)
    if codebook is not None:
        codebook.check_labels(theme_ids, "the training themes")
    Y = check_training_data(texts, np.zeros((len(texts), len(theme_ids))) if Y is None else Y, theme_ids)
    if documents is not None and len(documents) != len(texts):
        raise ModelError(f"documents has {len(documents)} ids but there are {len(texts)} texts; give one document id per text")
    if spans is not None and len(spans) != len(texts):
        raise ModelError(f"spans has {len(spans)} entries but there are {len(texts)} texts; give one list per text")
    params = dict(params or {})
    key = ALIASES.get(backend, backend)
    import inspect

    if "seed" in inspect.signature(backend_class(key).__init__).parameters:
        params.setdefault("seed", seed)
    probe = make_backend(key, codebook=codebook, encoder=encoder, **params)
    needs_labels = not isinstance(probe, ZeroShot)
    if needs_labels and len(texts) < 2:
        raise ModelError(f"Backend {key} needs coded units to learn from; got {len(texts)}. "
                         "Use --backend zeroshot for a codebook with no codes yet")
    t0 = time.perf_counter()
    X = None
    if hasattr(probe, "featurize") and len(texts):
        say(f"encoding {len(texts)} units")
        X = probe.featurize(texts)
        encoder = probe.encoder if encoder is None else encoder
    folds = cv_folds(len(texts), groups, n_folds, seed) if (n_folds and len(texts) >= 2) else []
    P_oof = None
    if folds:
        P_oof = np.zeros(Y.shape, dtype=np.float64)
        if not needs_labels:
            probe.fit_features(X, Y, theme_ids)
            P_oof = probe.predict_proba_features(X)
        else:
            for i, (tr, te) in enumerate(folds, start=1):
                say(f"cross-validation fold {i}/{len(folds)}")
                clf = make_backend(key, codebook=codebook, encoder=encoder, **params)
                if X is not None:
                    _fit(clf.fit_features, X[tr], Y[tr], theme_ids, spans, tr)
                    P_oof[te] = clf.predict_proba_features(X[te])
                else:
                    _fit(clf.fit, [texts[k] for k in tr], Y[tr], theme_ids, spans, tr)
                    P_oof[te] = clf.predict_proba([texts[k] for k in te])
    cal = fit_calibration(P_oof, Y) if (P_oof is not None and calibrate) else None
    if P_oof is not None:
        P_cal = P_oof if cal is None else ThemeModel(None, theme_ids, dict.fromkeys(theme_ids, 0.5), "", calibration=cal).calibrate(P_oof)
        thr = choose_thresholds(P_cal, Y)
        cv = _per_theme_f1(Y, (P_cal >= thr).astype(int), theme_ids)
        cv["scheme"] = f"{len(folds)}-fold, grouped" if groups is not None and len(set(groups)) >= 2 else f"{len(folds)}-fold"
    else:
        thr = np.full(len(theme_ids), 0.5)
        cv = None
    doc_thr, cv_doc = None, None
    if P_oof is not None and documents is not None:
        _, D = document_max(P_cal, documents)
        _, Y_doc = document_max(Y, documents)
        doc_thr = choose_thresholds(D, Y_doc)
        cv_doc = _per_theme_f1(Y_doc.astype(int), (D >= doc_thr).astype(int), theme_ids)
        cv_doc["n_documents"] = int(len(D))
    say("fitting on all units")
    final = make_backend(key, codebook=codebook, encoder=encoder, **params)
    if X is not None:
        _fit(final.fit_features, X, Y, theme_ids, spans)
    elif needs_labels:
        _fit(final.fit, texts, Y, theme_ids, spans)
    else:
        final.fit((), None, theme_ids)
    seconds = time.perf_counter() - t0
    counts = {t: int(Y[:, j].sum()) for j, t in enumerate(theme_ids)}
    meta = {
        "training": {
            "n_units": len(texts),
            "positives": counts,
            "n_groups": len(set(groups)) if groups is not None else None,
            "n_folds": len(folds),
            "seed": seed,
            "seconds": round(seconds, 1),
        },
        "cv": cv,
        "cv_document": cv_doc,
    }
    fp = codebook.fingerprint() if codebook is not None else ""
    return ThemeModel(
        classifier=final,
        theme_ids=theme_ids,
        thresholds={t: round(float(v), 6) for t, v in zip(theme_ids, thr)},
        codebook_fingerprint=fp,
        calibration=cal,
        meta=meta,
        codebook=codebook,
        document_thresholds=None if doc_thr is None else {t: round(float(v), 6) for t, v in zip(theme_ids, doc_thr)},
    )
