"""Hugging Face ``datasets``: coded units as a Dataset, and back.

One row per (coder, unit) the coder completed: ``item, doc_id, coder, text, start, end, themes`` (theme ids),
``labels`` (multi-hot in codebook order) and ``spans`` (evidence spans: theme, start, end). Units with no
theme are rows too, with empty ``themes``: that is what keeps "coded, absent" apart from "not coded".
"""

from __future__ import annotations

from typing import Any, Iterable

from ..codebook import Codebook
from ..errors import InputError
from ..records import Annotation, Completion, Document
from .units import unit_spans

__all__ = ["to_dataset", "from_dataset"]


def to_dataset(codebook: Codebook, documents: Iterable[Document], annotations: Iterable[Annotation],
               completions: Iterable[Completion], coder: str | None = None):
    """Build a ``datasets.Dataset`` of coded units (for one coder, or all)."""
    import datasets

    docs = {d.id: d for d in documents}
    spans_by_doc = {d.id: unit_spans(d) for d in docs.values()}
    themes: dict[tuple[str, str], set[str]] = {}
    evidence: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for a in annotations:
        if coder is not None and a.coder != coder:
            continue
        if a.theme in codebook and str(a.value).lower() not in ("0", "no", "false"):
            themes.setdefault((a.coder, a.item), set()).add(a.theme)
            if a.start is not None:
                evidence.setdefault((a.coder, a.item), []).append({"theme": a.theme, "start": a.start, "end": a.end})
    rows: dict[str, list[Any]] = {k: [] for k in ("item", "doc_id", "coder", "text", "start", "end", "themes", "labels", "spans")}
    for c in completions:
        if coder is not None and c.coder != coder:
            continue
        doc = docs.get(c.doc_id)
        span = spans_by_doc[c.doc_id].get(c.item) if doc else None
        if span is None:
            raise InputError(f"Unit {c.item!r} (coder {c.coder!r}) is not a paragraph of a known document; "
                             "give the documents it belongs to")
        coded = themes.get((c.coder, c.item), set())
        rows["item"].append(c.item)
        rows["doc_id"].append(c.doc_id)
        rows["coder"].append(c.coder)
        rows["text"].append(doc.text[span[0]:span[1]])
        rows["start"].append(span[0])
        rows["end"].append(span[1])
        rows["themes"].append([t for t in codebook.theme_ids if t in coded])
        rows["labels"].append([int(t in coded) for t in codebook.theme_ids])
        rows["spans"].append(sorted(evidence.get((c.coder, c.item), []), key=lambda s: (s["start"], s["theme"])))
    features = datasets.Features({
        "item": datasets.Value("string"), "doc_id": datasets.Value("string"), "coder": datasets.Value("string"),
        "text": datasets.Value("string"), "start": datasets.Value("int64"), "end": datasets.Value("int64"),
        "themes": datasets.Sequence(datasets.Value("string")), "labels": datasets.Sequence(datasets.Value("int8")),
        "spans": [{"theme": datasets.Value("string"), "start": datasets.Value("int64"), "end": datasets.Value("int64")}],
    })
    ds = datasets.Dataset.from_dict(rows, features=features)
    ds.info.description = f"reviewcoder units coded against {codebook.fingerprint()}"
    return ds


def from_dataset(dataset, codebook: Codebook, origin: str = "dataset") -> tuple[list[Annotation], list[Completion]]:
    """Rows with ``item, doc_id, coder, themes`` (and optional ``spans``) -> annotations and completions."""
    needed = {"item", "doc_id", "coder", "themes"}
    missing = needed - set(dataset.column_names)
    if missing:
        raise InputError(f"The dataset lacks column(s) {sorted(missing)} (has {dataset.column_names}); "
                         "it needs item, doc_id, coder, themes")
    codebook.check_labels({t for row in dataset["themes"] for t in row}, "the dataset's themes")
    annotations, completions = [], []
    for row in dataset:
        completions.append(Completion(doc_id=row["doc_id"], item=row["item"], coder=row["coder"], origin=origin))
        span_themes = {span["theme"] for span in row.get("spans") or []}
        for theme in row["themes"]:
            if theme in span_themes:  # the span already says the unit has the theme
                continue
            annotations.append(Annotation(doc_id=row["doc_id"], coder=row["coder"], theme=theme, item=row["item"], origin=origin))
        for span in row.get("spans") or []:
            annotations.append(Annotation(doc_id=row["doc_id"], coder=row["coder"], theme=span["theme"], item=row["item"],
                                          start=span["start"], end=span["end"], origin=origin))
    return annotations, completions
