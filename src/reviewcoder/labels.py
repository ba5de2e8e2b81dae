"""The ONLY place where records become matrices.

Two shapes come out of here, always with their axis labels:
- reliability data ``R``: float array (n_coders, n_units); 1.0 = theme applied, 0.0 = the coder coded
  the unit without that theme, NaN = the coder never coded the unit. Keeping 0 apart from NaN is what
  makes agreement right: a unit a coder never saw is not a "no".
- indicator matrix ``Y``: int array (n_units, n_themes), one coder's (or the consensus') themes per unit.

A span code counts for the unit it was coded in (its ``item``). A code with value "0"/"no"/"false"
means "coded, absent".
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from .errors import AgreementError
from .records import Annotation, Completion

__all__ = [
    "is_present",
    "reliability_data",
    "indicator_matrix",
    "long_to_reliability",
    "majority_consensus",
    "to_document_level",
]

_ABSENT = {"0", "0.0", "no", "false", "n", "absent", ""}
_PRESENT = {"1", "1.0", "yes", "true", "y", "present"}


def is_present(value: Any) -> bool:
    """Whether a stored value means 'theme applied' (1, yes, true); 0/no/false mean absent."""
    return str(value).strip().lower() not in _ABSENT


def _doc_of(item: str) -> str:
    return item.split("#", 1)[0]


def to_document_level(
    annotations: Iterable[Annotation], completions: Iterable[Completion]
) -> tuple[list[Annotation], list[Completion]]:
    """Re-key codes by document: a theme anywhere in a document is a theme of the document, and a coder
    who completed any unit of a document counts as having coded it."""
    from dataclasses import replace

    anns = [replace(a, item=a.doc_id, start=None, end=None) for a in annotations]
    comps = {(c.doc_id, c.coder): replace(c, item=c.doc_id) for c in completions}
    return anns, list(comps.values())


def reliability_data(
    annotations: Iterable[Annotation],
    completions: Iterable[Completion],
    theme: str,
    units: Sequence[str] | None = None,
    coders: Sequence[str] | None = None,
    level: str = "unit",
) -> tuple[np.ndarray, list[str], list[str]]:
    """Coders x units matrix for one theme.

    Returns ``(R, coders, units)``; ``R`` has shape (len(coders), len(units)). ``level="document"``
    aggregates units to their documents first (see ``to_document_level``). A code on a unit the coder
    never completed still counts that unit as coded by them (the code is evidence they saw it).
    """
    annotations = list(annotations)
    completions = list(completions)
    if level == "document":
        annotations, completions = to_document_level(annotations, completions)
    elif level != "unit":
        raise ValueError(f"level must be 'unit' or 'document'; got {level!r}")
    coded = {(c.coder, c.item) for c in completions} | {(a.coder, a.item) for a in annotations}
    present = {(a.coder, a.item) for a in annotations if a.theme == theme and is_present(a.value)}
    coder_list = list(coders) if coders is not None else sorted({c for c, _ in coded})
    unit_list = list(units) if units is not None else sorted({u for _, u in coded})
    c_index = {c: i for i, c in enumerate(coder_list)}
    u_index = {u: j for j, u in enumerate(unit_list)}
    R = np.full((len(coder_list), len(unit_list)), np.nan)
    for coder, unit in coded:
        if coder in c_index and unit in u_index:
            R[c_index[coder], u_index[unit]] = 1.0 if (coder, unit) in present else 0.0
    return R, coder_list, unit_list


def indicator_matrix(
    annotations: Iterable[Annotation],
    completions: Iterable[Completion],
    theme_ids: Sequence[str],
    coder: str | None = None,
    units: Sequence[str] | None = None,
) -> tuple[np.ndarray, list[str]]:
    """One coder's themes per unit: ``(Y, units)`` with ``Y`` int (n_units, n_themes) in ``theme_ids`` order.

    ``coder=None`` uses every coder's codes (only sensible when the data hold one coder). ``units``
    defaults to the units that coder completed, sorted. A theme outside ``theme_ids`` is ignored here;
    check labels against the codebook before calling.
    """
    anns = [a for a in annotations if coder is None or a.coder == coder]
    comps = [c for c in completions if coder is None or c.coder == coder]
    unit_list = list(units) if units is not None else sorted({c.item for c in comps} | {a.item for a in anns})
    u_index = {u: i for i, u in enumerate(unit_list)}
    t_index = {t: j for j, t in enumerate(theme_ids)}
    Y = np.zeros((len(unit_list), len(theme_ids)), dtype=np.int8)
    for a in anns:
        if a.item in u_index and a.theme in t_index and is_present(a.value):
            Y[u_index[a.item], t_index[a.theme]] = 1
    return Y, unit_list


def majority_consensus(R: np.ndarray, tie: float = 1.0) -> np.ndarray:
    """Per unit, the value most coders gave (binary R); NaN where nobody coded. ``tie`` breaks ties.

    ``R``: (n_coders, n_units) with values in {0, 1, NaN}. Returns (n_units,).
    """
    counts = np.sum(~np.isnan(R), axis=0)
    ones = np.nansum(R, axis=0)
    out = np.where(ones * 2 > counts, 1.0, 0.0)
    out = np.where(ones * 2 == counts, tie, out)
    return np.where(counts == 0, np.nan, out)


def _category_codes(values: Sequence[str]) -> dict[str, float]:
    """Map raw values to numbers: numbers as themselves, yes/no as 1/0, other categories as 0, 1, 2... sorted."""
    lowered = {v.strip().lower() for v in values}
    if lowered <= (_PRESENT | _ABSENT) - {""}:
        return {v: (1.0 if v.strip().lower() in _PRESENT else 0.0) for v in set(values)}
    try:
        codes = {v: float(v) for v in set(values)}
        if all(math.isfinite(x) for x in codes.values()):
            return codes
    except ValueError:
        pass
    return {v: float(i) for i, v in enumerate(sorted(set(values)))}


def long_to_reliability(
    rows: Iterable[Mapping[str, Any]], return_categories: bool = False
) -> dict[str, tuple]:
    """Tidy long rows (item, coder, label, value) -> {label: (R, coders, items)}.

    ``R`` is (n_coders, n_items) with NaN where a coder has no row for the item. Values are mapped per
    label: numbers stay numbers; yes/no/true/false become 1/0; anything else is a category coded 0, 1, ...
    in sorted order (pass ``return_categories=True`` to get ``(R, coders, items, {value: code})``).
    A coder giving one item two different values for the same label raises AgreementError.
    """
    by_label: dict[str, dict[tuple[str, str], str]] = {}
    for r in rows:
        label, coder, item, value = str(r["label"]), str(r["coder"]), str(r["item"]), str(r["value"]).strip()
        cell = by_label.setdefault(label, {})
        key = (coder, item)
        if key in cell and cell[key] != value:
            raise AgreementError(
                f"Coder {coder!r} gave item {item!r} two values for {label!r} ({cell[key]!r} and {value!r}); "
                "keep one row per item x coder x label"
            )
        cell[key] = value
    out: dict[str, tuple] = {}
    for label, cells in by_label.items():
        codes = _category_codes(list(cells.values()))
        coders = sorted({c for c, _ in cells})
        items = sorted({i for _, i in cells})
        c_index = {c: k for k, c in enumerate(coders)}
        i_index = {i: k for k, i in enumerate(items)}
        R = np.full((len(coders), len(items)), np.nan)
        for (coder, item), value in cells.items():
            R[c_index[coder], i_index[item]] = codes[value]
        out[label] = (R, coders, items, codes) if return_categories else (R, coders, items)
    return out
