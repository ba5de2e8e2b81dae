"""Multi-label theme classifiers behind one contract (see ``base``), and the trainer.

Backends (a plain dict, name with version -> class): ``tfidf-linear.v1`` (baseline, no encoder),
``embedding-linear.v1`` (frozen offline MiniLM + linear head; the default), ``finetune.v1`` (MiniLM
fine-tuned on the CPU with a multi-label head), ``zeroshot.v1`` (scores from the codebook's
definitions, for a team with no codes yet). Nothing here imports torch until a model is used.
"""

from .base import ThemeClassifier, ThemeModel
from .training import ALIASES, BACKENDS, backend_class, make_backend, train_model

__all__ = ["ThemeClassifier", "ThemeModel", "BACKENDS", "ALIASES", "backend_class", "make_backend", "train_model"]
