"""Units of text the classifier scores: paragraphs, and the sentences inside them, with exact offsets.

A sentence longer than ``MAX_SENTENCE_CHARS`` (a list with no full stops, a pasted table, a 1 MB text
with no punctuation) is cut into windows at white space, so that no text falls outside the encoder's
window: every character of a unit is inside exactly one window. Offsets are into the document text,
so ``text[start:end]`` is always the window.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from ..records import Document, Segment

__all__ = ["MAX_SENTENCE_CHARS", "split_long", "paragraph_units", "text_units", "Units"]

#: About 200-250 word pieces of English, inside MiniLM's 256-token window.
MAX_SENTENCE_CHARS = 900


def split_long(text: str, start: int, end: int, max_chars: int = MAX_SENTENCE_CHARS) -> list[tuple[int, int]]:
    """Cut ``text[start:end]`` into windows of at most ``max_chars``, at white space where possible.

    Windows cover the span without gaps other than the white space they are cut at, and never start
    or end with white space.
    """
    out: list[tuple[int, int]] = []
    pos = start
    while pos < end:
        while pos < end and text[pos].isspace():
            pos += 1
        if pos >= end:
            break
        if end - pos <= max_chars:
            stop = end
        else:
            stop = pos + max_chars
            cut = stop
            while cut > pos + max_chars // 2 and not text[cut].isspace():
                cut -= 1
            if text[cut].isspace():
                stop = cut
        e = stop
        while e > pos and text[e - 1].isspace():
            e -= 1
        if e > pos:
            out.append((pos, e))
        pos = stop
    return out


@dataclass(frozen=True)
class Units:
    """One document cut for scoring.

    ``paragraphs``: (start, end) per paragraph; ``sentences``: (start, end) per sentence window;
    ``groups[i]``: indices into ``sentences`` of paragraph i (never empty).
    """

    paragraphs: list[tuple[int, int]]
    sentences: list[tuple[int, int]]
    groups: list[list[int]]


def _cut(doc: Document, paragraphs: Sequence[Segment], max_chars: int) -> Units:
    from ..segment import segment_sentences

    sentences = segment_sentences(doc, paragraphs)
    by_par: list[list[tuple[int, int]]] = [[] for _ in paragraphs]
    j = 0
    for s in sentences:
        while j < len(paragraphs) and s.start >= paragraphs[j].end:
            j += 1
        if j < len(paragraphs):
            by_par[j].extend(split_long(doc.text, s.start, s.end, max_chars))
    sent_spans: list[tuple[int, int]] = []
    groups: list[list[int]] = []
    for p, spans in zip(paragraphs, by_par):
        if not spans:  # a paragraph the sentencizer left empty: score it as one window per max_chars
            spans = split_long(doc.text, p.start, p.end, max_chars)
        groups.append(list(range(len(sent_spans), len(sent_spans) + len(spans))))
        sent_spans.extend(spans)
    return Units(paragraphs=[(p.start, p.end) for p in paragraphs], sentences=sent_spans, groups=groups)


def paragraph_units(doc: Document, max_chars: int = MAX_SENTENCE_CHARS) -> Units:
    """A document's paragraphs (segment.segment_paragraphs) and their sentence windows."""
    from ..segment import segment_paragraphs

    return _cut(doc, segment_paragraphs(doc), max_chars)


def text_units(text: str, max_chars: int = MAX_SENTENCE_CHARS) -> Units:
    """A text taken as ONE unit (an excerpt, a paragraph handed in for training) and its sentence windows."""
    a, b = 0, len(text)
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    if a >= b:
        return Units(paragraphs=[(0, 0)], sentences=[], groups=[[]])
    doc = Document(id="unit", text=text)
    return _cut(doc, [Segment(doc_id="unit", kind="paragraph", start=a, end=b, index=0)], max_chars)
