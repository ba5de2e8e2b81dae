"""spaCy ``DocBin``: documents with each coder's themes as spans, and back.

Each document becomes a ``Doc`` (tokenised by ``spacy.blank("en")``) with ``doc.user_data["doc_id"]`` and one
span group per coder, ``doc.spans["themes:<coder>"]``, each span labelled with its theme id and aligned to
tokens ("expand": a span that starts or ends inside a token grows to the whole token).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from ..codebook import Codebook
from ..errors import InputError
from ..records import Annotation, Document
from .units import item_for_span, span_of, unit_spans

__all__ = ["to_docbin", "from_docbin", "SPAN_PREFIX"]

SPAN_PREFIX = "themes:"


def to_docbin(codebook: Codebook, documents: Iterable[Document], annotations: Iterable[Annotation]):
    """Build a ``spacy.tokens.DocBin`` with every coder's codes as span groups."""
    import spacy
    from spacy.tokens import DocBin

    nlp = spacy.blank("en")
    by_doc: dict[str, list[Annotation]] = {}
    for a in annotations:
        if a.theme in codebook and str(a.value).lower() not in ("0", "no", "false"):
            by_doc.setdefault(a.doc_id, []).append(a)
    docbin = DocBin(store_user_data=True)
    for document in documents:
        doc = nlp.make_doc(document.text)
        doc.user_data["doc_id"] = document.id
        spans = unit_spans(document)
        groups: dict[str, list] = {}
        for a in by_doc.get(document.id, []):
            where = span_of(a, spans)
            if where is None:
                raise InputError(f"Code {a.theme!r} by {a.coder!r} is on unit {a.item!r}, not a paragraph of {document.id!r}")
            span = doc.char_span(where[0], where[1], label=a.theme, alignment_mode="expand")
            if span is not None:
                groups.setdefault(SPAN_PREFIX + a.coder, []).append(span)
        for key, group in groups.items():
            doc.spans[key] = group
        docbin.add(doc)
    return docbin


def from_docbin(docbin_or_path, codebook: Codebook, origin: str = "docbin") -> tuple[list[Document], list[Annotation]]:
    """Read documents and annotations from a DocBin (or a .spacy file) written by ``to_docbin`` or spaCy."""
    import spacy
    from spacy.tokens import DocBin

    if isinstance(docbin_or_path, (str, Path)):
        path = Path(docbin_or_path)
        if not path.is_file():
            raise InputError(f"{path} does not exist; give a .spacy file (a saved DocBin)")
        try:
            docbin = DocBin().from_disk(path)
        except Exception as exc:  # spaCy raises several types for a damaged file
            raise InputError(f"{path} is not a spaCy DocBin ({type(exc).__name__}); save one with DocBin.to_disk") from None
    else:
        docbin = docbin_or_path
    nlp = spacy.blank("en")
    documents, annotations = [], []
    for i, doc in enumerate(docbin.get_docs(nlp.vocab)):
        doc_id = str(doc.user_data.get("doc_id", f"doc{i}"))
        document = Document(id=doc_id, text=doc.text)
        documents.append(document)
        spans = unit_spans(document)
        for key, group in doc.spans.items():
            if not key.startswith(SPAN_PREFIX):
                continue
            coder = key[len(SPAN_PREFIX):]
            codebook.check_labels({s.label_ for s in group}, f"span group {key!r} of {doc_id!r}")
            for s in group:
                item, whole = item_for_span(document, s.start_char, s.end_char, spans)
                annotations.append(Annotation(doc_id=doc_id, coder=coder, theme=s.label_, item=item,
                                              start=None if whole else s.start_char, end=None if whole else s.end_char,
                                              origin=origin))
    return documents, annotations
