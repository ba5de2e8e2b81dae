"""Split documents into paragraph and sentence Segments with exact character offsets.

Paragraphs are runs of non-blank lines separated by one or more blank lines; a short heading line
(no final full stop, followed by a body line) stands as its own paragraph. Sentences come from spaCy's
rule-based ``sentencizer`` (offline, no model download), with the breaks it makes after abbreviations
that review texts use (G.P., Dr., Mrs., e.g., a.m., No. 5) merged back.

Invariant, tested over arbitrary text: ``doc.text[seg.start:seg.end] == seg.text``, segments do not
overlap, and no segment starts or ends with whitespace.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable

from .records import Document, Segment

__all__ = ["segment_paragraphs", "segment_sentences", "segment_document", "ABBREVIATIONS"]

# Abbreviations after which a full stop never ends a sentence (compared case-insensitively, without
# the final dot): titles and ranks before a name, and Latin short forms. Others that can end a
# sentence ("3 p.m.", "the G.P.", "No.", "etc.") are merged only when a lower-case word or a digit
# follows ("at 10.30 a.m. the GP", "No. 5").
ABBREVIATIONS = frozenset(
    """
    mr mrs ms mx dr prof rev cllr insp sgt supt det e.g i.e cf viz vs approx fig para paras ref tel
    """.split()
)

_BLANK_LINE = re.compile(r"\n[ \t\f\v\u00a0\u3000]*(?:\r?\n|\r)|\r\n[ \t]*\r\n|\r[ \t]*\r|\u2029")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _looks_like_heading(line: str) -> bool:
    """A short line without closing punctuation: 'Background', '3. Analysis of practice', 'LEARNING'."""
    stripped = line.strip()
    if not stripped or len(stripped) > 80 or len(stripped.split()) > 10:
        return False
    return stripped[-1] not in ".,;:!?\"'”’)" or stripped.endswith(":") and len(stripped.split()) <= 6


def _paragraph_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    pos = 0
    blocks: list[tuple[int, int]] = []
    for m in _BLANK_LINE.finditer(text):
        blocks.append((pos, m.start()))
        pos = m.end()
    blocks.append((pos, len(text)))
    for b_start, b_end in blocks:
        start, end = _strip_span(text, b_start, b_end)
        if start >= end:
            continue
        # A heading glued to its body by a single line break becomes its own paragraph.
        first_break = _LINE_BREAK.search(text, start, end)
        if first_break is not None:
            first_line = text[start:first_break.start()]
            rest_start, rest_end = _strip_span(text, first_break.end(), end)
            if _looks_like_heading(first_line) and rest_start < rest_end:
                h_start, h_end = _strip_span(text, start, first_break.start())
                if h_start < h_end:
                    spans.append((h_start, h_end))
                start = rest_start
        spans.append((start, end))
    return spans


def segment_paragraphs(doc: Document) -> list[Segment]:
    """The document's paragraphs, in order, with exact offsets."""
    return [
        Segment(doc_id=doc.id, kind="paragraph", start=s, end=e, index=i, text=doc.text[s:e])
        for i, (s, e) in enumerate(_paragraph_spans(doc.text))
    ]


@lru_cache(maxsize=1)
def _sentencizer():
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


_ABBREV_TAIL = re.compile(r"(?:^|[\s(\[])((?:[A-Za-z]\.){1,3}[A-Za-z]?|[A-Za-z]{1,6})\.$")
# A fragment that is only an enumerator: "3.", "2.1.", "(a)", "iv." -- the start of a numbered heading or point.
_ENUMERATOR = re.compile(r"^\(?(?:\d+(?:\.\d+)*|[ivxlc]+|[a-z])[.)]$", re.IGNORECASE)


def _ends_with_abbreviation(fragment: str) -> bool:
    m = _ABBREV_TAIL.search(fragment)
    return bool(m) and m.group(1).lower() in ABBREVIATIONS


# Where a sentence may end: . ! or ? (and any closing quotes or brackets) followed by white space.
_CANDIDATE_BREAK = re.compile(r"[.!?][\"'\u201d\u2019)\]]*\s+")
# Words that take a number after their full stop: "No. 5", "para. 3".
_BEFORE_NUMBER = frozenset({"no", "nos", "para", "paras", "p", "pp", "ref", "tel", "fig", "vol", "ch"})
_LAST_WORD = re.compile(r"([A-Za-z]+)\.[\"'\u201d\u2019)\]]*$")


def _should_merge(prev: str, nxt: str) -> bool:
    prev, nxt = prev.strip(), nxt.strip()
    if _ENUMERATOR.match(prev) or not any(ch.isalnum() for ch in prev):  # "3." + "Analysis"; a stray quote
        return True
    if not prev.endswith((".", ".)", '."', ".\u201d")):
        return bool(nxt[:1].islower())
    if _ends_with_abbreviation(prev) or nxt[:1].islower():
        return True
    last = _LAST_WORD.search(prev)
    return bool(nxt[:1].isdigit() and last and last.group(1).lower() in _BEFORE_NUMBER)


def _sentence_spans_in(text: str, start: int, end: int) -> list[tuple[int, int]]:
    chunk = text[start:end]
    if not chunk.strip():
        return []
    # spaCy's sentencizer gives the first cut; it keeps "Baby B. Dr" or "p.m. The" together because
    # its tokenizer reads "B." and "p.m." as abbreviations, so every . ! ? before white space is then
    # a candidate break, and the merge rules decide.
    pieces: list[tuple[int, int]] = []
    for sent in _sentencizer()(chunk).sents:
        pos = sent.start_char
        for m in _CANDIDATE_BREAK.finditer(chunk, sent.start_char, sent.end_char):
            if m.end() < sent.end_char:
                pieces.append((pos, m.end()))
                pos = m.end()
        pieces.append((pos, sent.end_char))
    merged: list[list[int]] = []
    for s, e in pieces:
        if merged and _should_merge(chunk[merged[-1][0]:merged[-1][1]], chunk[s:e]):
            merged[-1][1] = e
        else:
            merged.append([s, e])
    spans = []
    for s, e in merged:
        a, b = _strip_span(text, start + s, start + e)
        if a < b:
            spans.append((a, b))
    return spans


def segment_sentences(doc: Document, within: Iterable[Segment] | None = None) -> list[Segment]:
    """The document's sentences, never crossing a paragraph boundary, with exact offsets.

    ``within``: the paragraphs to split (default: all of them), so callers can split only flagged units.
    """
    paragraphs = list(within) if within is not None else segment_paragraphs(doc)
    out: list[Segment] = []
    for para in paragraphs:
        for s, e in _sentence_spans_in(doc.text, para.start, para.end):
            out.append(Segment(doc_id=doc.id, kind="sentence", start=s, end=e, index=len(out), text=doc.text[s:e]))
    return out


def segment_document(doc: Document) -> tuple[list[Segment], list[Segment]]:
    """Both levels at once: (paragraphs, sentences)."""
    paragraphs = segment_paragraphs(doc)
    return paragraphs, segment_sentences(doc, paragraphs)
