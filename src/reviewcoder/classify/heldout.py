"""A trained model against a reference coder on documents it never saw, beside the coders themselves.

:func:`evaluate_split` scores the units of one split (e.g. the held-out authors) and returns, as plain
JSON-able data: the model's precision/recall/F1 per theme against the reference coder (the consensus),
and the agreement with the reference (Krippendorff's alpha, nominal, per theme; its mean over themes;
macro-F1) of the model and of every human coder, on the same units. For the full tables with
intervals, run ``reviewcoder evaluate`` on the precode output.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..errors import AgreementError
from ..records import Annotation, Completion, Document
from .base import ThemeModel

__all__ = ["evaluate_split", "agreement_with_reference"]


def _alpha(ref: np.ndarray, other: np.ndarray) -> float | None:
    from ..evaluate.agreement import krippendorff_alpha

    try:
        a = krippendorff_alpha(np.vstack([ref, other]).astype(float), level="nominal")
    except AgreementError:
        return None
    return None if np.isnan(a) else float(a)


def agreement_with_reference(Y_ref: np.ndarray, Y_other: np.ndarray, theme_ids: Sequence[str]) -> dict[str, Any]:
    """Alpha per theme (None where undefined: nobody used the theme), its mean, and macro-F1 of
    ``Y_other`` (n, n_themes) against ``Y_ref`` (n, n_themes)."""
    from ..evaluate.metrics import precision_recall_f1

    per = {t: _alpha(Y_ref[:, j], Y_other[:, j]) for j, t in enumerate(theme_ids)}
    vals = [v for v in per.values() if v is not None]
    prf = precision_recall_f1(Y_ref, Y_other, theme_ids)
    return {"alpha": float(np.mean(vals)) if vals else None, "alpha_per_theme": per,
            "macro_f1": prf["macro"]["f1"], "micro_f1": prf["micro"]["f1"], "n_units": int(Y_ref.shape[0])}


def evaluate_split(
    model: ThemeModel,
    documents: Sequence[Document],
    annotations: Sequence[Annotation],
    completions: Sequence[Completion],
    codebook: Any,
    split: str | None,
    coder: str | None = None,
) -> dict[str, Any]:
    """Model vs ``coder`` (default: the consensus) on the units of documents in ``split``."""
    from ..evaluate.metrics import precision_recall_f1
    from ..labels import indicator_matrix
    from .data import build_training_set

    theme_ids = list(model.theme_ids)
    ref = build_training_set(documents, annotations, completions, theme_ids, coder=coder, split=split)
    P = model.predict_proba(ref.texts)
    Yhat = (P >= model.threshold_array).astype(np.int8)
    prf = precision_recall_f1(ref.Y, Yhat, theme_ids)
    out: dict[str, Any] = {
        "split": split,
        "reference": ref.coder,
        "n_units": len(ref.units),
        "n_documents": len(set(ref.doc_ids)),
        "macro_f1": prf["macro"]["f1"],
        "micro_f1": prf["micro"]["f1"],
        "per_theme": {t: {k: d[k] for k in ("f1", "precision", "recall", "support", "predicted")}
                      for t, d in prf["per_theme"].items()},
    }
    # agreement with the reference: the model and each human coder, each on the units they coded
    agreement = {f"model vs {ref.coder}": agreement_with_reference(ref.Y, Yhat, theme_ids)}
    unit_index = {u: i for i, u in enumerate(ref.units)}
    humans = sorted({c.coder for c in completions} - {ref.coder})
    coded: dict[str, tuple[list[str], np.ndarray]] = {}
    for h in humans:
        done = sorted({c.item for c in completions if c.coder == h and c.item in unit_index})
        if not done:
            continue
        Yh, _ = indicator_matrix([a for a in annotations if a.coder == h], [c for c in completions if c.coder == h],
                                 theme_ids, coder=h, units=done)
        coded[h] = (done, Yh)
        rows = [unit_index[u] for u in done]
        agreement[f"{h} vs {ref.coder}"] = agreement_with_reference(ref.Y[rows], Yh, theme_ids)
        if len(done) < len(ref.units):
            agreement[f"model vs {ref.coder}, on {h}'s units"] = agreement_with_reference(ref.Y[rows], Yhat[rows], theme_ids)
    names = list(coded)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            common = sorted(set(coded[a][0]) & set(coded[b][0]))
            if not common:
                continue
            ia = {u: k for k, u in enumerate(coded[a][0])}
            ib = {u: k for k, u in enumerate(coded[b][0])}
            agreement[f"{a} vs {b}"] = agreement_with_reference(
                coded[a][1][[ia[u] for u in common]], coded[b][1][[ib[u] for u in common]], theme_ids)
    out["agreement"] = agreement
    return out
