"""A trained model against a reference coder on documents it never saw, beside the coders themselves.

:func:`evaluate_split` scores the units of one split (e.g. the held-out authors) and returns, as plain
JSON-able data: the model's precision/recall/F1 per theme against the reference coder (the consensus),
and the agreement with the reference (Krippendorff's alpha, nominal, per theme; its mean over themes;
macro-F1) of the model and of every human coder, on the same units; and the same figures on whole
documents. For the full tables with intervals, run ``reviewcoder evaluate`` on the precode output.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..errors import AgreementError
from ..records import Annotation, Completion, Document
from .base import ThemeModel
from .data import build_training_set

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


def _to_documents(units: Sequence[str], Y: np.ndarray, doc_of: dict[str, str]) -> tuple[list[str], np.ndarray]:
    """Unit rows -> document rows: a document has a theme where one of its units has it."""
    from .training import document_max

    docs, D = document_max(Y, [doc_of[u] for u in units])
    return docs, D.astype(np.int8)


def _figures(ref_items: list[str], Y_ref: np.ndarray, Yhat: np.ndarray, coded: dict[str, tuple[list[str], np.ndarray]],
             ref_name: str, theme_ids: Sequence[str]) -> dict[str, Any]:
    """P/R/F1 of the model against the reference, and the agreement with the reference of the model and of
    every human coder (each on the items they coded), plus coder vs coder."""
    from ..evaluate.metrics import precision_recall_f1

    prf = precision_recall_f1(Y_ref, Yhat, theme_ids)
    out: dict[str, Any] = {
        "macro_f1": prf["macro"]["f1"],
        "micro_f1": prf["micro"]["f1"],
        "per_theme": {t: {k: d[k] for k in ("f1", "precision", "recall", "support", "predicted")}
                      for t, d in prf["per_theme"].items()},
    }
    agreement = {f"model vs {ref_name}": agreement_with_reference(Y_ref, Yhat, theme_ids)}
    index = {u: i for i, u in enumerate(ref_items)}
    for h, (done, Yh) in coded.items():
        rows = [index[u] for u in done]
        agreement[f"{h} vs {ref_name}"] = agreement_with_reference(Y_ref[rows], Yh, theme_ids)
        if len(done) < len(ref_items):
            agreement[f"model vs {ref_name}, on {h}'s units"] = agreement_with_reference(Y_ref[rows], Yhat[rows], theme_ids)
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


def evaluate_split(
    model: ThemeModel,
    documents: Sequence[Document],
    annotations: Sequence[Annotation],
    completions: Sequence[Completion],
    codebook: Any,
    split: str | None,
    coder: str | None = None,
) -> dict[str, Any]:
    """Model vs ``coder`` (default: the consensus) on the units of documents in ``split``, and on the
    documents themselves (``out["document"]``: a document has a theme where one of its coded units has
    it; the model flags it where its best unit reaches the document threshold)."""
    from ..labels import indicator_matrix
    from .training import document_max

    theme_ids = list(model.theme_ids)
    ref = build_training_set(documents, annotations, completions, theme_ids, coder=coder, split=split)
    P = model.predict_proba(ref.texts)
    Yhat = (P >= model.threshold_array).astype(np.int8)
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
    out: dict[str, Any] = {"split": split, "reference": ref.coder, "n_units": len(ref.units),
                           "n_documents": len(set(ref.doc_ids))}
    out.update(_figures(list(ref.units), ref.Y, Yhat, coded, ref.coder, theme_ids))
    # the same at document level
    doc_of = dict(zip(ref.units, ref.doc_ids))
    doc_ids, D_ref = _to_documents(ref.units, ref.Y, doc_of)
    _, D_score = document_max(P, ref.doc_ids)
    D_hat = (D_score >= model.document_threshold_array).astype(np.int8)
    coded_docs = {h: _to_documents(done, Yh, doc_of) for h, (done, Yh) in coded.items()}
    out["document"] = {"n_documents": len(doc_ids),
                       **_figures(doc_ids, D_ref, D_hat, coded_docs, ref.coder, theme_ids)}
    return out
