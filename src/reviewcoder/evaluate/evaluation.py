"""The model as one more coder: its agreement with each coder and with the consensus, beside the
coder-vs-coder figures on the same units; and agreement tables for any tidy long file.

Two entry points:

- :func:`evaluate_predictions` (what ``reviewcoder evaluate`` and the classifier benchmarks call):
  human codes from a store (or annotation + completion lists) against predictions in the precode
  JSONL shape (``{"id", "themes", "scores", ...}`` per record).
- :func:`agreement_from_long` (what ``reviewcoder agreement`` calls): every coefficient per label of
  a tidy long table (item, coder, label, value).

Rules (documented, so that no figure is silently wrong):

- **Units**: the prediction ids that some human coded. ``level="auto"`` reads the ids: if they are
  coding units (``doc#p3``) the comparison is per unit; if they are document ids, per document (a
  theme anywhere in the document, see ``labels.to_document_level``). ``level="document"`` with unit
  predictions aggregates the model too (a theme predicted in any unit is predicted for the document).
- **Human coders**: codes with source "human" from coders other than the consensus coder and
  ``model:*`` ids. The consensus (reference) is the coder ``"consensus"`` when present (its own units
  only), otherwise the majority of the human coders per unit and theme; a tie (e.g. one of two
  coders) is left out of the reference for that unit and theme, and counted in the notes.
- **Pairs** (coder vs coder, model vs coder, model vs consensus) are computed on the units both
  members coded, within the same set of units, with one set of bootstrap resamples of those units
  (same ``seed``), so the model's figures and the coders' figures are comparable.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from ..errors import AgreementError, InputError
from ..records import Annotation, Completion
from .agreement import (
    AgreementResult,
    MultiLabelAgreement,
    _Prepared,
    _result,
    agreement,
    bootstrap_weights,
    multilabel_agreement,
)
from .metrics import precision_recall_f1, theme_confusion, top_confusions

__all__ = [
    "EvaluationResult",
    "evaluate_predictions",
    "read_predictions",
    "predictions_to_records",
    "LongAgreement",
    "agreement_from_long",
    "CONSENSUS_CODER",
]

CONSENSUS_CODER = "consensus"
_PRESENCE = {"0", "1", "0.0", "1.0", "yes", "no", "true", "false", "y", "n", "present", "absent"}


# --------------------------------------------------------------------------------------------------
# predictions
# --------------------------------------------------------------------------------------------------


def read_predictions(path: str | Path) -> list[dict[str, Any]]:
    """Read precode output: JSONL (``{"id", "themes", "scores", ...}`` per line) or CSV with ``id`` and
    ``themes`` columns (themes separated by ``;`` or ``|``). Errors name the file and line."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"Predictions file {path} does not exist; give the output of `reviewcoder precode`")
    text = path.read_text(encoding="utf-8-sig")
    records: list[dict[str, Any]] = []
    if path.suffix.lower() == ".jsonl":
        from ..ingest import read_jsonl_objects

        for where, rec in read_jsonl_objects(path, text):
            if "id" not in rec or not isinstance(rec.get("themes"), list):
                raise InputError(f"{where}: a prediction needs 'id' and a 'themes' list (the precode JSONL format)")
            rec["_where"] = where
            records.append(rec)
    elif path.suffix.lower() == ".csv":
        reader = csv.DictReader(io.StringIO(text, newline=""))
        cols = reader.fieldnames or []
        if "id" not in cols or "themes" not in cols:
            raise InputError(f"{path} needs columns 'id' and 'themes' (found {cols}); write it with precode --format csv")
        for rowno, row in enumerate(reader, start=2):
            raw = (row.get("themes") or "").replace("|", ";")
            themes = [t.strip() for t in raw.split(";") if t.strip()]
            rec: dict[str, Any] = {"id": row["id"], "themes": themes, "_where": f"{path} row {rowno}"}
            if row.get("model"):
                rec["model"] = row["model"]
            records.append(rec)
    else:
        raise InputError(f"Predictions {path} must be .jsonl or .csv, not {path.suffix or 'no suffix'}")
    if not records:
        raise InputError(f"Predictions file {path} holds no records")
    return records


def predictions_to_records(
    predictions: Iterable[Mapping[str, Any]], model_id: str, codebook: Any
) -> tuple[list[Annotation], list[Completion]]:
    """Predictions -> the model's annotations and completions (coder ``model_id``; every predicted
    record counts as coded by the model). Themes outside ``codebook`` raise CodebookError; an id
    predicted twice with different themes raises AgreementError."""
    seen: dict[str, tuple[str, ...]] = {}
    anns: list[Annotation] = []
    comps: list[Completion] = []
    all_themes: list[str] = []
    for rec in predictions:
        item = str(rec["id"])
        themes = tuple(sorted({str(t) for t in rec.get("themes", ())}))
        all_themes.extend(themes)
        where = rec.get("_where", f"prediction {item!r}")
        if item in seen:
            if seen[item] != themes:
                raise AgreementError(
                    f"{where}: id {item!r} is predicted twice with different themes ({list(seen[item])} and "
                    f"{list(themes)}); keep one record per id"
                )
            continue
        seen[item] = themes
        doc_id = item.split("#", 1)[0]
        comps.append(Completion(doc_id=doc_id, item=item, coder=model_id, origin="predictions"))
        for t in themes:
            anns.append(Annotation(doc_id=doc_id, coder=model_id, theme=t, item=item, source="model", origin="predictions"))
    codebook.check_labels(all_themes, "the predictions")
    return anns, comps


# --------------------------------------------------------------------------------------------------
# the result
# --------------------------------------------------------------------------------------------------


def _pair_summary(res: AgreementResult | None) -> dict[str, Any] | None:
    if res is None:
        return None
    key = next(iter(res.cohen_kappa))
    ci = res.ci
    return {
        "cohen_kappa": res.cohen_kappa[key],
        "krippendorff_alpha": res.krippendorff_alpha,
        "gwet_ac1": res.gwet_ac1,
        "percent_agreement": res.percent_agreement,
        "n_units": res.n_pairable,
        "ci": {
            "cohen_kappa": ci.get(f"cohen_kappa:{key}"),
            "krippendorff_alpha": ci.get("krippendorff_alpha"),
            "gwet_ac1": ci.get("gwet_ac1"),
            "percent_agreement": ci.get("percent_agreement"),
        },
        "notes": list(res.notes),
    }


@dataclass
class EvaluationResult:
    """Model vs coders and coders vs coders, per theme, on the same units.

    - ``coders``: the human coders; ``model``: the model's coder id; ``reference``: "consensus"
      (a stored consensus coder) or "majority".
    - ``coders_agreement`` / ``with_model_agreement``: MultiLabelAgreement among the coders, and
      among the coders plus the model (alpha, Fleiss, AC1 per theme, with intervals).
    - ``pairs[theme][pair]``: Cohen's kappa, alpha, AC1, percent agreement (with intervals) for
      every pair "a|b" (coder|coder, coder|model, consensus|model).
    - ``prf``: precision/recall/F1 of the model against the reference, per theme (units where the
      reference is defined); ``confusion`` ``(n_themes, n_themes)`` with ``top_confusions``.
    """

    model: str
    level: str
    themes: list[str]
    units: list[str]
    coders: list[str]
    reference: str
    coders_agreement: MultiLabelAgreement | None
    with_model_agreement: MultiLabelAgreement | None
    pairs: dict[str, dict[str, dict[str, Any] | None]]
    prf: dict[str, Any]
    confusion: np.ndarray
    top_confusions: list[dict[str, Any]]
    prevalence: dict[str, dict[str, float | None]]
    n_boot: int
    confidence: float
    seed: int | None
    codebook: str
    notes: list[str] = field(default_factory=list)
    spans: dict[str, Any] | None = None

    def span_table(self) -> list[dict[str, Any]]:
        """Per theme: mean span F1 (exact, overlap) between coders, and the model's evidence vs each coder."""
        if not self.spans:
            return []
        rows = []
        for theme in self.themes:
            entry = self.spans["themes"].get(theme, {"pairs": {}})
            human, model = {"exact": [], "overlap": []}, {"exact": [], "overlap": []}
            for key, p in entry["pairs"].items():
                bucket = model if self.model in key.split("|") else human
                for mode in ("exact", "overlap"):
                    if p[mode]["f1"] is not None:
                        bucket[mode].append(p[mode]["f1"])
            mean = lambda xs: float(np.mean(xs)) if xs else None  # noqa: E731
            rows.append({"theme": theme, "coders_exact_f1": mean(human["exact"]), "coders_overlap_f1": mean(human["overlap"]),
                         "model_exact_f1": mean(model["exact"]), "model_overlap_f1": mean(model["overlap"])})
        return rows

    def pair_key(self, a: str, b: str) -> str:
        for key in (f"{a}|{b}", f"{b}|{a}"):
            if self.themes and key in self.pairs[self.themes[0]]:
                return key
        return f"{a}|{b}"

    def theme_table(self) -> list[dict[str, Any]]:
        """One row per theme: the figures a reader compares (model vs coders beside coders vs coders)."""
        rows = []
        human_pairs = [f"{a}|{b}" for i, a in enumerate(self.coders) for b in self.coders[i + 1 :]]
        for t in self.themes:
            pairs = self.pairs[t]
            cc = [pairs[k]["cohen_kappa"] for k in human_pairs if pairs.get(k) and pairs[k]["cohen_kappa"] is not None]
            mc = [
                pairs[self.pair_key(c, self.model)]["cohen_kappa"]
                for c in self.coders
                if pairs.get(self.pair_key(c, self.model)) and pairs[self.pair_key(c, self.model)]["cohen_kappa"] is not None
            ]
            ref = pairs.get(self.pair_key(CONSENSUS_CODER, self.model))
            ca = self.coders_agreement.themes.get(t) if self.coders_agreement else None
            wa = self.with_model_agreement.themes.get(t) if self.with_model_agreement else None
            p = self.prf["per_theme"].get(t, {})
            rows.append({
                "theme": t,
                "coders_alpha": ca.krippendorff_alpha if ca else None,
                "coders_alpha_ci": ca.ci.get("krippendorff_alpha") if ca else None,
                "with_model_alpha": wa.krippendorff_alpha if wa else None,
                "with_model_alpha_ci": wa.ci.get("krippendorff_alpha") if wa else None,
                "mean_coder_coder_kappa": float(np.mean(cc)) if cc else None,
                "mean_model_coder_kappa": float(np.mean(mc)) if mc else None,
                "model_reference_kappa": ref["cohen_kappa"] if ref else None,
                "model_reference_kappa_ci": ref["ci"]["cohen_kappa"] if ref else None,
                "precision": p.get("precision"),
                "recall": p.get("recall"),
                "f1": p.get("f1"),
                "support": p.get("support"),
                "human_prevalence": self.prevalence.get(t, {}).get("reference"),
                "model_prevalence": self.prevalence.get(t, {}).get("model"),
            })
        return rows

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": 1,
            "model": self.model,
            "level": self.level,
            "codebook": self.codebook,
            "themes": list(self.themes),
            "n_units": len(self.units),
            "coders": list(self.coders),
            "reference": self.reference,
            "n_boot": self.n_boot,
            "confidence": self.confidence,
            "seed": self.seed,
            "theme_table": self.theme_table(),
            "coders_agreement": self.coders_agreement.to_dict() if self.coders_agreement else None,
            "with_model_agreement": self.with_model_agreement.to_dict() if self.with_model_agreement else None,
            "pairs": self.pairs,
            "prf": self.prf,
            "confusion": {"themes": list(self.themes), "matrix": np.asarray(self.confusion).tolist()},
            "top_confusions": self.top_confusions,
            "prevalence": self.prevalence,
            "spans": self.spans,
            "span_table": self.span_table(),
            "notes": list(self.notes),
        }


# --------------------------------------------------------------------------------------------------
# evaluate_predictions
# --------------------------------------------------------------------------------------------------


def _human_records(source: Any, sources: Sequence[str]) -> tuple[list[Annotation], list[Completion]]:
    if hasattr(source, "annotations") and hasattr(source, "completions") and callable(source.annotations):
        anns, comps = source.annotations(), source.completions()
    else:
        try:
            anns, comps = source
        except (TypeError, ValueError):
            raise AgreementError(
                "evaluate_predictions needs an AnnotationStore or a pair (annotations, completions); "
                f"got {type(source).__name__}"
            ) from None
    return human_only(anns, comps, sources)


def human_only(anns: Iterable[Annotation], comps: Iterable[Completion], sources: Sequence[str] = ("human",)
               ) -> tuple[list[Annotation], list[Completion]]:
    """Keep the codes whose source is in ``sources``, and the completions of the coders that made them.

    Model coders (``model:*``) and review-project coders (``review:*``, source "review") are left out,
    with their completions, so a model or a reviewer never appears as a coder who coded nothing."""
    anns, comps = list(anns), list(comps)
    kept = [a for a in anns if a.source in sources and not a.coder.startswith(("model:", "review:"))]
    other = {a.coder for a in anns if a.source not in sources} - {a.coder for a in kept}
    comps = [c for c in comps if c.coder not in other and not c.coder.startswith(("model:", "review:"))]
    return kept, comps


def _check_conflicts(anns: Sequence[Annotation]) -> None:
    from ..labels import is_present

    seen: dict[tuple[str, str, str], bool] = {}
    for a in anns:
        key = (a.coder, a.item, a.theme)
        value = is_present(a.value)
        if key in seen and seen[key] != value:
            raise AgreementError(
                f"Coder {a.coder!r} coded theme {a.theme!r} on {a.item!r} both as present and as absent; "
                "fix that coder's codes (one value per unit and theme)"
            )
        seen[key] = value


def _choose_level(level: str, pred_ids: set[str], items: set[str], docs: set[str]) -> str:
    if level in ("unit", "document"):
        return level
    if level != "auto":
        raise AgreementError(f"level must be 'auto', 'unit' or 'document'; got {level!r}")
    at_unit = len(pred_ids & items)
    at_doc = len(pred_ids & docs)
    return "unit" if at_unit >= at_doc and at_unit > 0 else "document"


def evaluate_predictions(
    store_or_annotations: Any,
    predictions: str | Path | Iterable[Mapping[str, Any]],
    codebook: Any,
    *,
    model_id: str | None = None,
    level: str = "auto",
    consensus_coder: str = CONSENSUS_CODER,
    sources: Sequence[str] = ("human",),
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int | None = 0,
) -> EvaluationResult:
    """Compare predictions with the human codes on the same units.

    ``store_or_annotations``: an AnnotationStore, or ``(annotations, completions)``. ``predictions``:
    a path (JSONL/CSV, see :func:`read_predictions`) or records ``{"id", "themes"}``. ``codebook``:
    a Codebook; its theme order is the order of every table. ``model_id``: the model's coder id
    (default ``"model:" + the predictions' "model" field``). See the module docstring for the rules.
    """
    from .. import labels

    preds = read_predictions(predictions) if isinstance(predictions, (str, Path)) else [dict(p) for p in predictions]
    if not preds:
        raise AgreementError("No predictions to evaluate")
    if model_id is None:
        named = {str(p.get("model")) for p in preds if p.get("model")}
        model_id = f"model:{sorted(named)[0]}" if len(named) == 1 else "model:predictions"
    elif not model_id.startswith("model:"):
        model_id = f"model:{model_id}"
    themes = list(codebook.theme_ids)
    notes: list[str] = []

    anns, comps = _human_records(store_or_annotations, sources)
    codebook.check_labels({a.theme for a in anns}, "the human codes")
    _check_conflicts(anns)
    m_anns, m_comps = predictions_to_records(preds, model_id, codebook)
    pred_ids = {c.item for c in m_comps}
    items = {c.item for c in comps} | {a.item for a in anns}
    docs = {c.doc_id for c in comps} | {a.doc_id for a in anns}
    level = _choose_level(level, pred_ids, items, docs)
    span_anns, span_comps = list(anns), list(comps)
    if level == "document":
        anns, comps = labels.to_document_level(anns, comps)
        m_anns, m_comps = labels.to_document_level(m_anns, m_comps)
        pred_ids = {c.item for c in m_comps}
        items = {c.item for c in comps} | {a.item for a in anns}
    units = sorted(pred_ids & items)
    if not units:
        raise AgreementError(
            f"No predicted id matches a unit the coders coded (predicted e.g. {sorted(pred_ids)[:3]}, coded e.g. "
            f"{sorted(items)[:3]}); predict the same units (paragraph ids doc#pN, or document ids) as were coded"
        )
    if len(units) < len(pred_ids):
        notes.append(f"{len(pred_ids) - len(units)} of {len(pred_ids)} predicted {level}s have no human codes and are left out")

    all_coders = sorted({c.coder for c in comps} | {a.coder for a in anns})
    has_consensus = consensus_coder in all_coders
    humans = [c for c in all_coders if c != consensus_coder]
    if not humans:
        raise AgreementError("No human coder's codes on the predicted units; import or pull the coders' codes first")
    if len(humans) < 2:
        notes.append(
            f"only one human coder ({humans[0]}): no coder-vs-coder figures; the model is compared with that coder"
        )
    reference = "consensus" if has_consensus else "majority"
    model_docs = m_anns + list(anns)
    model_comps = m_comps + list(comps)

    n_units = len(units)
    R3_h = np.full((len(themes), len(humans), n_units), np.nan)
    R_model = np.full((len(themes), n_units), np.nan)
    R_ref = np.full((len(themes), n_units), np.nan)
    ties = 0
    for t, theme in enumerate(themes):
        R, coder_list, _ = labels.reliability_data(model_docs, model_comps, theme, units=units,
                                                   coders=humans + [consensus_coder, model_id])
        R3_h[t] = R[: len(humans)]
        R_model[t] = R[-1]
        if has_consensus:
            R_ref[t] = R[len(humans)]
        else:
            R_ref[t] = labels.majority_consensus(R3_h[t], tie=np.nan)
            coded = (~np.isnan(R3_h[t])).sum(0)
            ties += int((np.isnan(R_ref[t]) & (coded > 0)).sum())
    if not has_consensus:
        notes.append(
            f"no '{consensus_coder}' coder: the reference is the majority of {len(humans)} coders; "
            f"{ties} unit x theme ties left out of the reference"
        )
        if len(humans) == 2:
            notes.append("with two coders the majority is their agreement: the reference holds only units both coders agree on")
    elif (~np.isnan(R_ref[0])).sum() == 0:
        notes.append(f"the '{consensus_coder}' coder coded none of these units: no model-vs-consensus figures")

    # agreement among coders, and among coders + model, on the same units and resamples
    coders_ml = with_model_ml = None
    if len(humans) >= 2:
        coders_ml = multilabel_agreement(R3_h, humans, themes, n_boot=n_boot, confidence=confidence, seed=seed)
    R3_all = np.concatenate([R3_h, R_model[:, None, :]], axis=1)
    with_model_ml = multilabel_agreement(R3_all, humans + [model_id], themes, n_boot=n_boot, confidence=confidence, seed=seed)

    # every pair, each on the units both coded
    rows = {name: i for i, name in enumerate(humans)}
    members = humans + ([CONSENSUS_CODER] if (~np.isnan(R_ref)).any() else []) + [model_id]
    pairs: dict[str, dict[str, dict[str, Any] | None]] = {}
    W = bootstrap_weights(n_units, n_boot, seed) if n_boot else None  # the same resamples as above
    for t, theme in enumerate(themes):
        full = {**{h: R3_h[t, rows[h]] for h in humans}, CONSENSUS_CODER: R_ref[t], model_id: R_model[t]}
        pairs[theme] = {}
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                if not has_consensus and CONSENSUS_CODER in (a, b) and model_id not in (a, b):
                    continue  # a coder vs a majority built from that coder says little
                key = f"{a}|{b}"
                try:
                    prep = _Prepared(np.vstack([full[a], full[b]]), [a, b], "nominal", (0.0, 1.0))
                    pairs[theme][key] = _pair_summary(_result(prep, W, confidence))
                except AgreementError as exc:
                    pairs[theme][key] = None
                    notes.append(f"{theme}, {a} vs {b}: {exc}")

    # precision / recall / F1 against the reference, per theme on the units where it is defined
    per: dict[str, Any] = {}
    tp_all = fp_all = fn_all = 0
    for t, theme in enumerate(themes):
        ok = ~np.isnan(R_ref[t]) & ~np.isnan(R_model[t])
        r = precision_recall_f1(R_ref[t, ok, None].astype(int), R_model[t, ok, None].astype(int), [theme])
        per[theme] = r["per_theme"][theme] | {"n_units": int(ok.sum())}
        tp_all += per[theme]["tp"]
        fp_all += per[theme]["fp"]
        fn_all += per[theme]["fn"]
    macro = {}
    for key in ("precision", "recall", "f1"):
        vals = [d[key] for d in per.values() if d[key] is not None]
        macro[key] = float(np.mean(vals)) if vals else None
        macro[f"n_themes_{key}"] = len(vals)
    micro = {
        "precision": tp_all / (tp_all + fp_all) if tp_all + fp_all else None,
        "recall": tp_all / (tp_all + fn_all) if tp_all + fn_all else None,
        "f1": 2 * tp_all / (2 * tp_all + fp_all + fn_all) if tp_all + fp_all + fn_all else None,
    }
    prf = {"per_theme": per, "micro": micro, "macro": macro, "reference": reference}
    complete = ~np.isnan(R_ref).any(0) & ~np.isnan(R_model).any(0)
    if complete.any():
        C = theme_confusion(R_ref[:, complete].T.astype(int), R_model[:, complete].T.astype(int), themes)
    else:
        C = np.zeros((len(themes), len(themes)), dtype=int)
    if complete.sum() < n_units:
        notes.append(
            f"theme confusions use the {int(complete.sum())} of {n_units} units where the reference is defined for every theme"
        )
    prevalence = {}
    for t, theme in enumerate(themes):
        ref_ok = ~np.isnan(R_ref[t])
        mod_ok = ~np.isnan(R_model[t])
        prevalence[theme] = {
            "reference": float(np.mean(R_ref[t, ref_ok])) if ref_ok.any() else None,
            "model": float(np.mean(R_model[t, mod_ok])) if mod_ok.any() else None,
        }
    spans = _span_figures(span_anns, span_comps, preds, model_id, humans, themes, set(units), level)
    if spans is not None:
        notes.extend(spans["notes"])
    return EvaluationResult(
        spans=spans,
        model=model_id, level=level, themes=themes, units=units, coders=humans, reference=reference,
        coders_agreement=coders_ml, with_model_agreement=with_model_ml, pairs=pairs, prf=prf,
        confusion=C, top_confusions=top_confusions(C, themes), prevalence=prevalence, n_boot=n_boot,
        confidence=confidence, seed=seed, codebook=codebook.fingerprint(), notes=notes,
    )


def _span_figures(anns, comps, preds, model_id, humans, themes, units, level) -> dict[str, Any] | None:
    """Span agreement among coders (and the model's evidence spans vs the coders), by document, on
    the evaluated units' documents; None when no coder marked spans."""
    from .spans import Span, span_agreement, spans_from_annotations

    by_coder = {c: ss for c, ss in spans_from_annotations(anns).items() if c in humans}
    if not by_coder:
        return None
    docs = {u.split("#", 1)[0] for u in units}
    spans = {c: [s for s in ss if s.doc_id in docs] for c, ss in by_coder.items()}
    completed = {c: {x.doc_id for x in comps if x.coder == c and x.doc_id in docs} for c in humans}
    model_spans = []
    for rec in preds:
        doc = str(rec["id"]).split("#", 1)[0]
        for e in rec.get("evidence") or ():
            try:
                model_spans.append(Span(doc, str(e["theme"]), int(e["start"]), int(e["end"])))
            except (KeyError, TypeError, ValueError):
                raise AgreementError(f"{rec.get('_where', rec['id'])}: an evidence entry needs theme, start and end") from None
    if model_spans:
        spans[model_id] = [s for s in model_spans if s.doc_id in docs]
        completed[model_id] = {str(r["id"]).split("#", 1)[0] for r in preds} & docs
    try:
        out = span_agreement(spans, themes, completed=completed)
    except AgreementError as exc:
        return {"themes": {}, "overall": {}, "notes": [f"span agreement: {exc}"]}
    out["notes"] = [f"spans: {n}" for n in out["notes"]]
    if model_spans:
        out["notes"].append(
            "spans: the model's evidence is a few excerpts per theme and review, so its span F1 against coders who "
            "mark every passage is low by construction; read it as 'does the evidence land on a coded passage'"
        )
    return out


# --------------------------------------------------------------------------------------------------
# agreement for a tidy long table
# --------------------------------------------------------------------------------------------------


@dataclass
class LongAgreement:
    """``labels``: label -> AgreementResult (None where it cannot be computed; reason in ``notes``)."""

    labels: dict[str, AgreementResult | None]
    categories: dict[str, dict[str, float]]
    level: str
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"labels": {}, "level": self.level, "notes": list(self.notes)}
        for label, res in self.labels.items():
            if res is None:
                reason = [n.split(": ", 1)[1] for n in self.notes if n.startswith(f"{label}: ")]
                out["labels"][label] = {
                    "krippendorff_alpha": None, "fleiss_kappa": None, "gwet_ac1": None, "percent_agreement": None,
                    "cohen_kappa": {}, "n_items": 0, "n_coders": 0, "ci": {}, "notes": reason,
                }
            else:
                out["labels"][label] = res.to_dict() | {"categories": self.categories.get(label, {})}
        return out


def _is_number(value: str) -> bool:
    try:
        return math.isfinite(float(value))
    except ValueError:
        return False


def agreement_from_long(
    rows: Iterable[Mapping[str, Any]],
    *,
    level: str = "nominal",
    codebook: Any = None,
    categories: Sequence[str] | None = None,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int | None = 0,
) -> LongAgreement:
    """Every coefficient per label of tidy long rows (item, coder, label, value).

    - With ``codebook``: labels outside it raise CodebookError; values must be presence/absence
      (0/1, yes/no, true/false), else AgreementError naming the value.
    - ``level`` other than nominal needs numeric values, or ``categories`` giving the order of
      category values (low to high); a value outside ``categories`` raises AgreementError.
    - A coder giving an item two different values for one label raises AgreementError.
    - A label with fewer than two coders, or no item coded twice, is reported with null figures and
      the reason in ``notes`` (the other labels are still computed).
    """
    from .. import labels as labels_mod

    rows = [dict(r) for r in rows]
    if not rows:
        raise AgreementError("The table holds no rows; agreement needs item, coder, label, value rows")
    if codebook is not None:
        codebook.check_labels({str(r["label"]) for r in rows}, "the table")
        bad = [r for r in rows if str(r["value"]).strip().lower() not in _PRESENCE]
        if bad:
            r = bad[0]
            raise AgreementError(
                f"{r.get('where', 'row')}: value {r['value']!r} for theme {r['label']!r} (item {r['item']!r}, coder "
                f"{r['coder']!r}) is not a presence code (0/1, yes/no, true/false); fix it, or leave out --codebook "
                "to treat values as categories"
            )
    order: dict[str, float] | None = None
    if categories is not None:
        order = {str(c).strip(): float(i) for i, c in enumerate(categories)}
        bad = sorted({str(r["value"]).strip() for r in rows} - set(order))
        if bad:
            raise AgreementError(f"Values {bad[:10]} are not among the categories {list(order)}; fix the data or the list")
    elif level != "nominal":
        bad_rows = [r for r in rows if not _is_number(str(r["value"]).strip())]
        if bad_rows:
            r = bad_rows[0]
            raise AgreementError(
                f"{r.get('where', 'row')}: value {r['value']!r} (label {r['label']!r}, item {r['item']!r}) is not a number, "
                f"but level {level!r} needs numbers; give --categories in order (low to high) or use --level nominal"
            )
    table = labels_mod.long_to_reliability(rows, return_categories=True)
    out: dict[str, AgreementResult | None] = {}
    cats: dict[str, dict[str, float]] = {}
    notes: list[str] = []
    for label in sorted(table):
        R, coders, _items, codes = table[label]
        if order is not None:
            # re-code with the given order (labels maps categories alphabetically)
            inverse = {v: k for k, v in codes.items()}
            R = np.vectorize(lambda x: np.nan if np.isnan(x) else order[inverse[x].strip()])(R) if R.size else R
            codes = {k: order[k.strip()] for k in codes}
        cats[label] = {k: v for k, v in sorted(codes.items(), key=lambda kv: kv[1])}
        try:
            out[label] = agreement(R, coders, level=level, n_boot=n_boot, confidence=confidence, seed=seed,
                                   categories=(0.0, 1.0) if codebook is not None else
                                   (sorted(order.values()) if order is not None else None))
        except AgreementError as exc:
            out[label] = None
            notes.append(f"{label}: {exc}")
    if all(v is None for v in out.values()):
        raise AgreementError(f"No label has two coders on a shared item, so no agreement can be computed ({notes[0]})")
    return LongAgreement(out, cats, level, notes)
