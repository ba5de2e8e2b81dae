"""reviewcoder: theme-coding of child safeguarding review texts.

The public surface. Light names are imported here; the ones that need numpy, torch or the encoder
(``load_model``, ``suggest``, ``evaluate_predictions``, ``summarise``; batch pre-coding is
``reviewcoder.precode.precode``) load on first use, so that
``import reviewcoder`` stays fast and imports no torch.

>>> import reviewcoder
>>> reviewcoder.default_codebook().theme_ids[:2]
['optimistic_thinking', 'risk_assessment']
"""

from __future__ import annotations

import importlib
from typing import Any

from .codebook import Codebook, Theme, default_codebook, load_codebook
from .errors import (
    AgreementError,
    CodebookError,
    InputError,
    ModelError,
    NotFittedError,
    ReviewcoderError,
    StoreError,
    SyncError,
)
from .ingest import read_documents, read_documents_report
from .records import Annotation, Completion, Document, Segment, Suggestion
from .segment import segment_paragraphs, segment_sentences
from .store import AnnotationStore, open_store

__version__ = "0.1.0"

_LAZY = {
    "load_model": "reviewcoder.artifacts",
    "save_model": "reviewcoder.artifacts",
    "suggest": "reviewcoder.precode",
    "evaluate_predictions": "reviewcoder.evaluate",
    "summarise": "reviewcoder.summary",
}

__all__ = [
    "Codebook", "Theme", "default_codebook", "load_codebook",
    "Document", "Segment", "Annotation", "Completion", "Suggestion",
    "read_documents", "read_documents_report", "segment_paragraphs", "segment_sentences",
    "AnnotationStore", "open_store",
    "ReviewcoderError", "CodebookError", "InputError", "StoreError", "ModelError", "NotFittedError", "SyncError",
    "AgreementError",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'reviewcoder' has no attribute {name!r}")
