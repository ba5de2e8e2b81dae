"""Mapping between coding units (``doc#p3``) and character spans, shared by the exchange formats."""

from __future__ import annotations

from ..records import Annotation, Document
from ..segment import segment_paragraphs


def unit_spans(doc: Document) -> dict[str, tuple[int, int]]:
    """``{unit_id: (start, end)}`` for every paragraph of ``doc``, plus the document id for the whole text."""
    spans = {p.unit_id: (p.start, p.end) for p in segment_paragraphs(doc)}
    spans[doc.id] = (0, len(doc.text))
    return spans


def span_of(annotation: Annotation, spans: dict[str, tuple[int, int]]) -> tuple[int, int] | None:
    """The characters an annotation covers: its own span, else its unit's, else None (unit unknown)."""
    if annotation.start is not None:
        return annotation.start, annotation.end  # type: ignore[return-value]
    return spans.get(annotation.item)


def item_for_span(doc: Document, start: int, end: int, spans: dict[str, tuple[int, int]]) -> tuple[str, bool]:
    """The unit a span belongs to, and whether the span IS that unit (a unit-level code).

    A span that covers a paragraph exactly is a unit-level code on it; a span inside one paragraph is a
    span code in that paragraph; anything else belongs to the document.
    """
    for unit, (s, e) in spans.items():
        if unit != doc.id and (s, e) == (start, end):
            return unit, True
    for unit, (s, e) in spans.items():
        if unit != doc.id and s <= start and end <= e:
            return unit, False
    return doc.id, (start, end) == (0, len(doc.text))
