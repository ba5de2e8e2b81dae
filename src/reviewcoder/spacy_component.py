"""A spaCy pipeline component that puts reviewcoder's themes on ``doc.spans``.

For researchers who work in spaCy::

    import spacy
    import reviewcoder.spacy_component  # registers the "reviewcoder_themes" factory

    nlp = spacy.blank("en")
    nlp.add_pipe("reviewcoder_themes", config={"model": None})  # None: the embedded default model
    doc = nlp(text)
    for span in doc.spans["themes"]:
        print(span.label_, span.text)
    doc.spans["themes"].attrs["scores"]   # one score per span, same order
    doc.cats                              # document-level score per theme

Each span is an evidence excerpt (see :mod:`reviewcoder.precode`), expanded to whole tokens, labelled
with the theme id. ``doc.cats`` holds every theme's document score (the highest paragraph score).
The model is loaded once, when the pipeline is built; nothing is downloaded.
"""

from __future__ import annotations

from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

__all__ = ["ThemeSpans", "make_theme_spans", "FACTORY"]

FACTORY = "reviewcoder_themes"


class ThemeSpans:
    """Callable component: ``doc -> doc`` with ``doc.spans[spans_key]`` and ``doc.cats`` set."""

    def __init__(self, model: Any, spans_key: str = "themes", max_evidence: int = 3, set_cats: bool = True):
        self.model = model
        self.spans_key = spans_key
        self.max_evidence = max_evidence
        self.set_cats = set_cats

    def __call__(self, doc: Doc) -> Doc:
        return next(iter(self.pipe([doc])))

    def pipe(self, docs, batch_size: int = 16):
        from .precode import score_documents
        from .records import Document

        batch: list[Doc] = []

        def flush():
            texts = [d for d in batch]
            records = score_documents(self.model, [Document(id=f"doc{i}", text=d.text or " ") for i, d in enumerate(texts)],
                                      max_evidence=self.max_evidence)
            for d, rec in zip(texts, records):
                spans, scores = [], []
                for e in rec["evidence"] if d.text.strip() else []:
                    span = d.char_span(e["start"], e["end"], label=e["theme"], alignment_mode="expand")
                    if span is not None:
                        spans.append(span)
                        scores.append(float(e["score"]))
                d.spans[self.spans_key] = spans
                d.spans[self.spans_key].attrs["scores"] = scores
                d.spans[self.spans_key].attrs["model"] = rec["model"]
                if self.set_cats:
                    d.cats.update({t: float(v) for t, v in rec["scores"].items()})
            return texts

        for doc in docs:
            batch.append(doc)
            if len(batch) >= batch_size:
                yield from flush()
                batch = []
        if batch:
            yield from flush()


@Language.factory(
    FACTORY,
    default_config={"model": None, "spans_key": "themes", "max_evidence": 3, "set_cats": True},
)
def make_theme_spans(nlp: Language, name: str, model: str | None, spans_key: str, max_evidence: int,
                     set_cats: bool) -> ThemeSpans:
    """Build the component; ``model`` is a model folder, or None for the embedded default."""
    from .artifacts import load_model

    return ThemeSpans(load_model(model), spans_key=spans_key, max_evidence=max_evidence, set_cats=set_cats)
