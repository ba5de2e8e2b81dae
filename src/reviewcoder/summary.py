"""Panel-style prevalence: the share of reviews showing each theme, with intervals.

The national Panel's annual report states findings as "in 32% of the rapid reviews". This module
gives that table for a coded corpus, from human codes, from model codes, or both side by side.

Rules:

- The unit is the **document** (a review): a theme is shown by a review when it is coded on any of its
  units (``labels.to_document_level``).
- Human codes: the coder ``"consensus"`` when present; otherwise a given coder, or the majority of the
  coders who coded the review (``human="majority"``; a tie leaves that review out of that theme's
  denominator, counted in the notes), or any coder (``human="any"``).
- Model codes: predictions (precode JSONL/CSV records); a review counts for every theme predicted on
  any of its units.
- Intervals: Wilson score intervals (default; sound for small counts) or Clopper-Pearson ("exact").
  They describe sampling uncertainty of the reviews, not coding error.

>>> row = prevalence_row(8, 25)
>>> round(row["share"], 2), [round(x, 3) for x in row["ci"]]
(0.32, [0.172, 0.516])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from .errors import AgreementError, InputError

__all__ = ["prevalence_row", "PrevalenceTable", "summarise", "CI_METHODS"]

CI_METHODS = ("wilson", "exact")


def prevalence_row(k: int, n: int, confidence: float = 0.95, method: str = "wilson") -> dict[str, Any]:
    """``k`` of ``n`` reviews show a theme: ``{"k", "n", "share", "ci": [lo, hi]}`` (share and ci None when n = 0)."""
    if method not in CI_METHODS:
        raise AgreementError(f"Interval method {method!r} is not one of {CI_METHODS}")
    if n == 0:
        return {"k": 0, "n": 0, "share": None, "ci": None}
    from scipy.stats import binomtest

    ci = binomtest(int(k), int(n)).proportion_ci(confidence_level=confidence, method=method)
    return {"k": int(k), "n": int(n), "share": k / n, "ci": [float(ci.low), float(ci.high)]}


@dataclass
class PrevalenceTable:
    """``rows``: one per theme with ``human`` and/or ``model`` prevalence rows (see prevalence_row)."""

    themes: list[str]
    names: dict[str, str]
    rows: dict[str, dict[str, dict[str, Any] | None]]
    sources: list[str]
    n_documents: dict[str, int]
    human_rule: str | None
    confidence: float
    method: str
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": 1,
            "themes": [{"id": t, "name": self.names.get(t, t), **{s: self.rows[t].get(s) for s in self.sources}}
                       for t in self.themes],
            "sources": list(self.sources),
            "n_documents": dict(self.n_documents),
            "human_rule": self.human_rule,
            "confidence": self.confidence,
            "method": self.method,
            "notes": list(self.notes),
        }

    def sentences(self, noun: str = "reviews") -> list[str]:
        """Panel-style lines: "Domestic abuse: in 32% of the reviews (95% CI 17-52%; 8 of 25)"."""
        out = []
        for t in self.themes:
            bits = []
            for s in self.sources:
                r = self.rows[t].get(s)
                if r and r["share"] is not None:
                    lo, hi = r["ci"]
                    bits.append(f"{s}: in {r['share']:.0%} of the {noun} ({int(self.confidence * 100)}% CI "
                                f"{lo:.0%}-{hi:.0%}; {r['k']} of {r['n']})")
            out.append(f"{self.names.get(t, t)}: " + ("; ".join(bits) if bits else "no coded reviews"))
        return out

    def to_markdown(self, noun: str = "reviews") -> str:
        header = ["theme"] + [f"{s}: share of {noun} [{int(self.confidence * 100)}% CI] (k/n)" for s in self.sources]
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for t in self.themes:
            cells = [self.names.get(t, t).replace("|", "/")]
            for s in self.sources:
                r = self.rows[t].get(s)
                if not r or r["share"] is None:
                    cells.append("n/a")
                else:
                    cells.append(f"{r['share']:.0%} [{r['ci'][0]:.0%}, {r['ci'][1]:.0%}] ({r['k']}/{r['n']})")
            lines.append("| " + " | ".join(cells) + " |")
        foot = ["Documents: " + ", ".join(f"{s} {n}" for s, n in self.n_documents.items()) + "."]
        if self.human_rule:
            foot.append(f"Human codes: {self.human_rule}.")
        foot.append(f"Intervals: {self.method} ({'Wilson score' if self.method == 'wilson' else 'Clopper-Pearson'}).")
        return "\n".join(lines + ["", " ".join(foot)] + ([""] + [f"- {n}" for n in self.notes] if self.notes else []))


def _records(source: Any) -> tuple[list, list]:
    if hasattr(source, "annotations") and callable(source.annotations):
        return source.annotations(), source.completions()
    try:
        anns, comps = source
    except (TypeError, ValueError):
        raise AgreementError("Human codes must be an AnnotationStore or a pair (annotations, completions)") from None
    return list(anns), list(comps)


def summarise(
    codebook: Any,
    human: Any = None,
    predictions: str | Path | Iterable[Mapping[str, Any]] | None = None,
    *,
    human_rule: str = "auto",
    confidence: float = 0.95,
    method: str = "wilson",
    documents: Sequence[str] | None = None,
) -> PrevalenceTable:
    """Prevalence of each theme over reviews, from human codes (a store or ``(annotations,
    completions)``), predictions, or both. ``human_rule``: "auto" (the coder "consensus" if present,
    else "majority"), "majority", "any", or a coder id. ``documents`` restricts the reviews counted
    (e.g. one year's); by default each source counts the reviews it coded."""
    from . import labels
    from .evaluate.evaluation import CONSENSUS_CODER, human_only, predictions_to_records, read_predictions

    if human is None and predictions is None:
        raise InputError("Nothing to summarise: give human codes (--store) or predictions (--predictions), or both")
    themes = list(codebook.theme_ids)
    names = {t.id: t.name for t in codebook.themes}
    rows: dict[str, dict[str, dict[str, Any] | None]] = {t: {} for t in themes}
    sources: list[str] = []
    n_docs: dict[str, int] = {}
    notes: list[str] = []
    rule_text = None
    keep = set(documents) if documents is not None else None

    if human is not None:
        anns, comps = human_only(*_records(human))
        codebook.check_labels({a.theme for a in anns}, "the human codes")
        anns, comps = labels.to_document_level(anns, comps)
        if keep is not None:
            anns = [a for a in anns if a.doc_id in keep]
            comps = [c for c in comps if c.doc_id in keep]
        coders = sorted({c.coder for c in comps} | {a.coder for a in anns})
        if not coders:
            raise AgreementError("No human codes to summarise; import or pull codes first")
        rule = human_rule
        if rule == "auto":
            rule = CONSENSUS_CODER if CONSENSUS_CODER in coders else "majority"
        if rule not in ("majority", "any") and rule not in coders:
            raise AgreementError(f"Coder {rule!r} has no codes here (coders: {', '.join(coders)}); pick one of them, "
                                 "'majority' or 'any'")
        group = [c for c in coders if c != CONSENSUS_CODER] if rule in ("majority", "any") else [rule]
        rule_text = {
            "majority": f"majority of {len(group)} coders per review (ties left out)",
            "any": f"any of {len(group)} coders",
        }.get(rule, f"coder {rule}")
        docs_seen: set[str] = set()
        ties_total = 0
        for theme in themes:
            R, _, units = labels.reliability_data(anns, comps, theme, coders=group)
            if rule == "majority":
                ref = labels.majority_consensus(R, tie=np.nan)
                coded = (~np.isnan(R)).any(0)
                ties_total += int((np.isnan(ref) & coded).sum())
            elif rule == "any":
                ref = np.where((~np.isnan(R)).any(0), np.nanmax(np.where(np.isnan(R), -1, R), axis=0), np.nan)
            else:
                ref = R[0]
            ok = ~np.isnan(ref)
            docs_seen |= {u for u, o in zip(units, ok) if o}
            rows[theme]["human"] = prevalence_row(int(ref[ok].sum()), int(ok.sum()), confidence, method)
        if rule == "majority" and ties_total:
            notes.append(f"{ties_total} review x theme ties between coders left out of the human shares")
        sources.append("human")
        n_docs["human"] = len(docs_seen)

    if predictions is not None:
        preds = read_predictions(predictions) if isinstance(predictions, (str, Path)) else list(predictions)
        m_anns, m_comps = predictions_to_records(preds, "model:summary", codebook)
        m_anns, m_comps = labels.to_document_level(m_anns, m_comps)
        if keep is not None:
            m_anns = [a for a in m_anns if a.doc_id in keep]
            m_comps = [c for c in m_comps if c.doc_id in keep]
        doc_ids = sorted({c.item for c in m_comps})
        if not doc_ids:
            raise AgreementError("No predicted review to summarise (none left after the document filter)")
        Y, _ = labels.indicator_matrix(m_anns, m_comps, themes, units=doc_ids)
        for j, theme in enumerate(themes):
            rows[theme]["model"] = prevalence_row(int(Y[:, j].sum()), len(doc_ids), confidence, method)
        sources.append("model")
        n_docs["model"] = len(doc_ids)
        if "human" in n_docs and n_docs["human"] != n_docs["model"]:
            notes.append(
                f"human and model shares are over different reviews ({n_docs['human']} vs {n_docs['model']}); "
                "pass documents= (--documents) to compare the same reviews"
            )
    return PrevalenceTable(themes, names, rows, sources, n_docs, rule_text, confidence, method, notes)
