"""Agreement on evidence spans, per theme: exact and overlap matching between coders.

For projects coded at span level (a coder marks the passage that shows a theme), agreement is the
share of spans the two coders share, as positive specific agreement (F1 between coders, Hripcsak
and Rothschild 2005): ``2 * matched / (n_a + n_b)``. It is symmetric, needs no count of "negative"
spans (which do not exist), and equals Cohen's kappa as negatives grow without bound.

- **exact**: same document, theme, start and end.
- **overlap**: same document and theme, and the spans share at least one character (or, with
  ``min_overlap``, a Jaccard overlap of characters of at least that much). Each span is matched at
  most once (greedily, largest overlap first), so one long span cannot match three short ones.

Spans are compared only in documents that **both** coders completed (``completed`` per coder);
without completion records, in documents where each coder has at least one span, which overstates
agreement if a coder skipped a document; the result's notes say which rule was used.

>>> a = [Span("d1", "t", 0, 10), Span("d1", "t", 20, 30)]
>>> b = [Span("d1", "t", 0, 10), Span("d1", "t", 25, 40)]
>>> span_f1(a, b, "exact")["f1"], span_f1(a, b, "overlap")["f1"]
(0.5, 1.0)
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Iterable, Mapping, Sequence

from ..errors import AgreementError

__all__ = ["Span", "MATCH_MODES", "match_spans", "span_f1", "spans_from_annotations", "span_agreement"]

MATCH_MODES = ("exact", "overlap")


@dataclass(frozen=True, order=True)
class Span:
    """A theme marked on ``text[start:end]`` of document ``doc_id``."""

    doc_id: str
    theme: str
    start: int
    end: int

    def __post_init__(self) -> None:
        if not (isinstance(self.start, int) and isinstance(self.end, int)) or self.start < 0 or self.end < self.start:
            raise AgreementError(
                f"Span in {self.doc_id!r} for {self.theme!r} needs 0 <= start <= end; got {self.start}, {self.end}"
            )


def _jaccard(x: Span, y: Span) -> float:
    if (x.start, x.end) == (y.start, y.end):
        return 1.0  # identical spans overlap fully, empty ones included
    inter = min(x.end, y.end) - max(x.start, y.start)
    if inter <= 0:
        return 0.0
    union = max(x.end, y.end) - min(x.start, y.start)
    return inter / union if union else 1.0


def match_spans(a: Sequence[Span], b: Sequence[Span], mode: str = "overlap", min_overlap: float = 0.0) -> list[tuple[Span, Span]]:
    """One-to-one matches between spans ``a`` and ``b`` (same document and theme), per ``mode``."""
    if mode not in MATCH_MODES:
        raise AgreementError(f"Span match mode {mode!r} is not one of {MATCH_MODES}")
    if mode == "exact":
        pool = defaultdict(list)
        for y in b:
            pool[y].append(y)
        out = []
        for x in sorted(set(a)):
            if pool.get(x):
                out.append((x, pool[x].pop()))
        return out
    by_key: dict[tuple[str, str], list[Span]] = defaultdict(list)
    for y in b:
        by_key[(y.doc_id, y.theme)].append(y)
    candidates = []
    for i, x in enumerate(a):
        for j, y in enumerate(by_key.get((x.doc_id, x.theme), ())):
            score = _jaccard(x, y)
            if score > 0 and score >= min_overlap:
                candidates.append((-score, i, id(y), x, y))
    candidates.sort(key=lambda c: (c[0], c[1], c[3], c[4]))
    used_a: set[int] = set()
    used_b: set[int] = set()
    out = []
    for _, i, yid, x, y in candidates:
        if i in used_a or yid in used_b:
            continue
        used_a.add(i)
        used_b.add(yid)
        out.append((x, y))
    return out


def span_f1(a: Sequence[Span], b: Sequence[Span], mode: str = "overlap", min_overlap: float = 0.0) -> dict[str, Any]:
    """Positive specific agreement between span lists ``a`` and ``b``:
    ``{"matched", "n_a", "n_b", "f1"}``; f1 is None when neither has a span."""
    a = list(dict.fromkeys(a))  # the same span marked twice counts once
    b = list(dict.fromkeys(b))
    matched = len(match_spans(a, b, mode, min_overlap))
    total = len(a) + len(b)
    return {"matched": matched, "n_a": len(a), "n_b": len(b), "f1": (2 * matched / total) if total else None}


def spans_from_annotations(annotations: Iterable[Any]) -> dict[str, list[Span]]:
    """Annotation records with a span -> ``{coder: [Span, ...]}``. Whole-unit codes (no start/end)
    and values coded as absent ("0") are left out."""
    out: dict[str, list[Span]] = defaultdict(list)
    for a in annotations:
        if a.start is None or a.end is None or str(getattr(a, "value", "1")).strip().lower() in ("0", "0.0", "no", "false"):
            continue
        out[a.coder].append(Span(a.doc_id, a.theme, int(a.start), int(a.end)))
    return dict(out)


def span_agreement(
    spans: Mapping[str, Sequence[Span]],
    themes: Sequence[str] | None = None,
    *,
    completed: Mapping[str, Iterable[str]] | None = None,
    min_overlap: float = 0.0,
) -> dict[str, Any]:
    """Span agreement per theme for every pair of coders, exact and overlap.

    ``spans``: ``{coder: [Span, ...]}``. ``completed``: ``{coder: doc ids the coder finished}``.
    Returns ``{"themes": {theme: {"pairs": {"a|b": {"exact": {...}, "overlap": {...}, "n_docs": n}},
    "mean_exact_f1", "mean_overlap_f1"}}, "overall": {...}, "notes": [...]}`` where each ``{...}`` is
    :func:`span_f1`'s result and means are over the pairs where defined.
    """
    coders = sorted(spans)
    if completed is not None:
        coders = sorted(set(coders) | set(completed))
    if len(coders) < 2:
        raise AgreementError(
            f"Span agreement needs at least two coders; got {coders or 'none'}. Import a second coder's spans"
        )
    all_themes = sorted({s.theme for ss in spans.values() for s in ss})
    themes = list(themes) if themes is not None else all_themes
    notes = []
    if completed is None:
        notes.append("no completion records: spans compared in documents where both coders marked at least one span")
        docs = {c: {s.doc_id for s in spans.get(c, ())} for c in coders}
    else:
        docs = {c: set(completed.get(c, ())) for c in coders}
    empty = [c for c in coders if not docs[c]]
    if empty:
        notes.append(f"coders with no documents, left out of pairs: {', '.join(empty)}")
    out_themes: dict[str, Any] = {}
    totals: dict[str, dict[str, int]] = {m: {"matched": 0, "n": 0} for m in MATCH_MODES}
    for theme in themes:
        pairs = {}
        for x, y in combinations(coders, 2):
            if x in empty or y in empty:
                continue
            shared = docs[x] & docs[y]
            sx = [s for s in spans.get(x, ()) if s.theme == theme and s.doc_id in shared]
            sy = [s for s in spans.get(y, ()) if s.theme == theme and s.doc_id in shared]
            entry: dict[str, Any] = {"n_docs": len(shared)}
            for mode in MATCH_MODES:
                entry[mode] = span_f1(sx, sy, mode, min_overlap)
                totals[mode]["matched"] += entry[mode]["matched"]
                totals[mode]["n"] += entry[mode]["n_a"] + entry[mode]["n_b"]
            pairs[f"{x}|{y}"] = entry
        summary: dict[str, Any] = {"pairs": pairs}
        for mode in MATCH_MODES:
            vals = [p[mode]["f1"] for p in pairs.values() if p[mode]["f1"] is not None]
            summary[f"mean_{mode}_f1"] = sum(vals) / len(vals) if vals else None
        out_themes[theme] = summary
    overall = {
        f"{mode}_f1": (2 * t["matched"] / t["n"]) if t["n"] else None for mode, t in totals.items()
    }
    return {"themes": out_themes, "overall": overall, "coders": coders, "min_overlap": min_overlap, "notes": notes}
