"""Training sets: one coder's (or the consensus') codes on units, with the units' texts and groups.

Sources: a corpus folder (``documents.jsonl`` + ``codes/<coder>.jsonl``), a unit-codes JSONL file (the
documents found beside it or given), a tidy long CSV/JSONL of excerpts coded with the documents given,
or an :class:`~reviewcoder.store.AnnotationStore`. Matrices come from :mod:`reviewcoder.labels`.

A unit id is ``<doc_id>#p<index>`` (a paragraph, as :func:`reviewcoder.segment.segment_paragraphs`
numbers them), ``<doc_id>#s<index>`` (a sentence), or a document id (the whole text: an excerpt).
Only units the coder completed (or coded) are used; a unit with no theme is a negative example.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from ..errors import InputError, ModelError
from ..records import Annotation, Completion, Document

__all__ = ["TrainingSet", "build_training_set", "read_coded", "unit_texts", "unit_segments", "choose_coder"]


@dataclass
class TrainingSet:
    """``texts[i]`` is unit ``units[i]`` of document ``doc_ids[i]``; ``Y`` int8 (n_units, n_themes);
    ``groups[i]`` the cross-validation group (author, else document); ``spans[i]`` the coder's evidence
    spans in unit i as ``(theme, start, end)`` with offsets into ``texts[i]``."""

    units: list[str]
    texts: list[str]
    Y: np.ndarray
    groups: list[str]
    doc_ids: list[str]
    theme_ids: list[str]
    coder: str
    skipped: list[str]
    spans: list[list[tuple[str, int, int]]] = field(default_factory=list)

    def positives(self) -> dict[str, int]:
        return {t: int(self.Y[:, j].sum()) for j, t in enumerate(self.theme_ids)}


def unit_texts(documents: Sequence[Document], units: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """Texts of ``units`` (paragraph/sentence/document ids); returns ``(texts by unit, problems)``."""
    found, problems = unit_segments(documents, units)
    return {u: text for u, (_, text) in found.items()}, problems


def unit_segments(documents: Sequence[Document], units: Sequence[str]) -> tuple[dict[str, tuple[int, str]], list[str]]:
    """Start offset in its document and text of each of ``units``; returns ``(by unit, problems)``."""
    from ..segment import segment_paragraphs, segment_sentences

    by_id = {d.id: d for d in documents}
    paras: dict[str, list] = {}
    sents: dict[str, list] = {}
    out: dict[str, tuple[int, str]] = {}
    problems: list[str] = []
    for unit in units:
        if unit in by_id:
            out[unit] = (0, by_id[unit].text)
            continue
        doc_id, _, tail = unit.rpartition("#")
        doc = by_id.get(doc_id)
        if doc is None or len(tail) < 2 or tail[0] not in "ps" or not tail[1:].isdigit():
            problems.append(f"unit {unit!r} names no known document or paragraph")
            continue
        index = int(tail[1:])
        table = paras if tail[0] == "p" else sents
        if doc_id not in table:
            table[doc_id] = segment_paragraphs(doc) if tail[0] == "p" else segment_sentences(doc)
        segs = table[doc_id]
        if index >= len(segs):
            problems.append(f"unit {unit!r}: document {doc_id!r} has only {len(segs)} "
                            f"{'paragraphs' if tail[0] == 'p' else 'sentences'}")
            continue
        out[unit] = (segs[index].start, segs[index].text)
    return out, problems


def choose_coder(coders: Sequence[str], coder: str | None) -> str:
    """The coder to learn from: the one asked for, else "consensus" when present, else the only coder."""
    coders = sorted(set(coders))
    if coder is not None:
        if coder not in coders:
            raise InputError(f"Coder {coder!r} has no codes here (coders: {', '.join(coders) or 'none'}); "
                             "pass --coder with one of them")
        return coder
    if "consensus" in coders:
        return "consensus"
    if len(coders) == 1:
        return coders[0]
    raise InputError(f"Codes from several coders ({', '.join(coders)}) and no 'consensus' coder; pass --coder "
                     "to choose whose codes to learn from")


def build_training_set(
    documents: Sequence[Document],
    annotations: Sequence[Annotation],
    completions: Sequence[Completion],
    theme_ids: Sequence[str],
    coder: str | None = None,
    split: str | None = None,
    group_key: str = "author",
) -> TrainingSet:
    """One coder's units as (texts, Y, groups). ``split``: keep only documents whose meta "split" is it."""
    from ..labels import indicator_matrix

    coders = {a.coder for a in annotations} | {c.coder for c in completions}
    who = choose_coder(coders, coder)
    docs = [d for d in documents if split is None or d.meta.get("split") == split]
    if split is not None and not docs:
        splits = sorted({str(d.meta.get("split")) for d in documents})
        raise InputError(f"No document has split {split!r} (splits present: {', '.join(splits)}); check --split")
    keep = {d.id for d in docs}
    anns = [a for a in annotations if a.coder == who and a.doc_id in keep]
    comps = [c for c in completions if c.coder == who and c.doc_id in keep]
    Y, units = indicator_matrix(anns, comps, list(theme_ids), coder=who)
    found, problems = unit_segments(docs, units)
    texts_by_unit = {u: text for u, (_, text) in found.items()}
    rows = [i for i, u in enumerate(units) if u in texts_by_unit and texts_by_unit[u].strip()]
    skipped = problems + [f"unit {units[i]!r} is empty" for i, u in enumerate(units)
                          if u in texts_by_unit and not texts_by_unit[u].strip()]
    meta = {d.id: d.meta for d in docs}
    doc_ids = [u.split("#", 1)[0] if u not in meta else u for u in (units[i] for i in rows)]
    groups = [str(meta.get(d, {}).get(group_key) or d) for d in doc_ids]
    # evidence spans, moved from document offsets to offsets in the unit's text
    row_of = {units[i]: k for k, i in enumerate(rows)}
    spans: list[list[tuple[str, int, int]]] = [[] for _ in rows]
    for a in anns:
        k = row_of.get(a.item)
        if k is None or a.start is None or a.theme not in theme_ids:
            continue
        start, text = found[a.item]
        lo, hi = max(0, a.start - start), min(len(text), a.end - start)
        if lo < hi:
            spans[k].append((a.theme, lo, hi))
    return TrainingSet(
        units=[units[i] for i in rows], texts=[texts_by_unit[units[i]] for i in rows], Y=Y[rows].astype(np.int8),
        groups=groups, doc_ids=doc_ids, theme_ids=list(theme_ids), coder=who, skipped=skipped, spans=spans,
    )


def read_coded(path: str | Path, documents: str | Path | None = None) -> tuple[list[Document], list[Annotation], list[Completion]]:
    """Documents and every coder's codes from a corpus folder, a codes folder or file, or a tidy long file.

    ``documents``: the reviews (.jsonl/.csv/folder) when they are not beside the codes: a corpus folder
    has ``documents.jsonl``; a ``codes/`` folder or a file in it looks for ``../documents.jsonl``.
    """
    from ..corpus import is_unit_codes_file, read_unit_codes, unit_codes_to_records
    from ..ingest import read_documents_report

    path = Path(path)
    if not path.exists():
        raise InputError(f"Annotations {path} do not exist; give a corpus folder, a codes .jsonl, or a tidy long .csv")
    if path.is_dir() and (path / "documents.jsonl").is_file():
        code_files = sorted((path / "codes").glob("*.jsonl"))
        doc_path = Path(documents) if documents else path / "documents.jsonl"
    elif path.is_dir():
        code_files = sorted(path.glob("*.jsonl"))
        doc_path = Path(documents) if documents else path.parent / "documents.jsonl"
    else:
        code_files = [path]
        doc_path = Path(documents) if documents else path.parent.parent / "documents.jsonl"
    if not code_files:
        raise InputError(f"No codes (.jsonl) found in {path}; give the codes/ folder or a codes file")
    if not doc_path.exists():
        raise InputError(f"The documents for {path} were not found at {doc_path}; pass --documents with the reviews")
    docs, problems = read_documents_report(doc_path)
    if problems:
        raise InputError(f"{len(problems)} document record(s) in {doc_path} could not be read, first: {problems[0]}")
    annotations: list[Annotation] = []
    completions: list[Completion] = []
    for f in code_files:
        if is_unit_codes_file(f):
            a, c = unit_codes_to_records(read_unit_codes(f), origin=f"file:{f.name}")
        else:
            from ..store import long_rows_to_records, read_long

            a, c = long_rows_to_records(read_long(f), origin=f"file:{f.name}")
        annotations += a
        completions += c
    if not annotations and not completions:
        raise ModelError(f"No codes in {path}; there is nothing to learn from")
    return docs, annotations, completions
