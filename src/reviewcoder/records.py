"""The records everything else passes around: frozen dataclasses, no I/O.

Offsets are character offsets into ``Document.text`` (Python str indices), so
``document.text[segment.start:segment.end] == segment.text`` always holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Mapping

__all__ = ["Document", "Segment", "Annotation", "Completion", "Suggestion", "SOURCES", "SEGMENT_KINDS"]

SEGMENT_KINDS = ("paragraph", "sentence")
SOURCES = ("human", "model", "review")


def _check_span(owner: str, start: int, end: int) -> None:
    if not (isinstance(start, int) and isinstance(end, int)) or start < 0 or end < start:
        raise ValueError(f"{owner}: a span needs 0 <= start <= end (integers); got start={start!r}, end={end!r}")


@dataclass(frozen=True)
class Document:
    """A review text with a stable id (file stem or the input's id field, never its position)."""

    id: str
    text: str
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id.strip():
            raise ValueError(f"Document id must be a non-empty string; got {self.id!r}")
        if not isinstance(self.text, str):
            raise ValueError(f"Document {self.id!r}: text must be a string; got {type(self.text).__name__}")


@dataclass(frozen=True)
class Segment:
    """A paragraph or sentence of a document: ``text[start:end]`` of that document."""

    doc_id: str
    kind: Literal["paragraph", "sentence"]
    start: int
    end: int
    index: int
    text: str = ""

    def __post_init__(self) -> None:
        if self.kind not in SEGMENT_KINDS:
            raise ValueError(f"Segment kind must be one of {SEGMENT_KINDS}; got {self.kind!r}")
        _check_span(f"Segment {self.doc_id}#{self.index}", self.start, self.end)

    @property
    def unit_id(self) -> str:
        """The id this segment has as a coding unit: ``<doc_id>#p<index>`` or ``#s<index>``."""
        return f"{self.doc_id}#{self.kind[0]}{self.index}"


@dataclass(frozen=True)
class Annotation:
    """One coder's code: a theme on a unit (``start``/``end`` = the whole unit) or on a span.

    ``item`` names the coding unit (a paragraph ``doc#p3``, an excerpt id, or the document id) so that
    a span can be traced to the unit it was coded in. ``value`` is 1 for a theme applied; tidy-long
    imports may carry other values (0, a category, a number) as text.
    """

    doc_id: str
    coder: str
    theme: str
    item: str
    start: int | None = None
    end: int | None = None
    value: str = "1"
    source: Literal["human", "model", "review"] = "human"
    origin: str = ""
    created_at: str = ""
    updated_at: str = ""

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ValueError(f"Annotation source must be one of {SOURCES}; got {self.source!r}")
        if not self.coder:
            raise ValueError(f"Annotation on {self.item!r} has no coder; every code needs a coder id")
        if (self.start is None) != (self.end is None):
            raise ValueError(f"Annotation on {self.item!r}: give both start and end, or neither")
        if self.start is not None:
            _check_span(f"Annotation on {self.item!r}", self.start, self.end)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Completion:
    """The coder has finished this unit: tells 'coded, no theme applies' from 'never coded'."""

    doc_id: str
    item: str
    coder: str
    origin: str = ""
    created_at: str = ""


@dataclass(frozen=True)
class Suggestion:
    """A model's suggested theme for a unit, with its evidence span and score."""

    doc_id: str
    item: str
    theme: str
    score: float
    start: int
    end: int
    model_id: str
    codebook: str

    def __post_init__(self) -> None:
        if not 0.0 <= float(self.score) <= 1.0:
            raise ValueError(f"Suggestion score must be in [0, 1]; got {self.score!r} for {self.theme!r}")
        _check_span(f"Suggestion on {self.item!r}", self.start, self.end)
