"""Errors raised by reviewcoder.

Every message states the rule, the value received, the offender and the fix, on one line, so the
command line can print it as is.
"""

from __future__ import annotations

__all__ = [
    "ReviewcoderError",
    "CodebookError",
    "InputError",
    "StoreError",
    "ModelError",
    "NotFittedError",
    "SyncError",
    "AgreementError",
]


class ReviewcoderError(Exception):
    """Base class: anything reviewcoder reports as a user-facing problem."""


class CodebookError(ReviewcoderError):
    """A codebook file or theme is invalid, or a label is not in the codebook."""


class InputError(ReviewcoderError):
    """An input file or record cannot be read as reviews or annotations."""


class StoreError(ReviewcoderError):
    """The annotation store cannot be opened or a write was refused."""


class ModelError(ReviewcoderError):
    """A model directory is missing, foreign, or saved for another codebook or format version."""


class NotFittedError(ModelError, ValueError):
    """A classifier was used before fit()."""


class SyncError(ReviewcoderError):
    """The doccano server refused, failed, or answered something unexpected."""


class AgreementError(ReviewcoderError):
    """Reliability data that no coefficient can be computed on honestly."""
