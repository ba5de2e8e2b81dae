"""The contract every classifier backend honours, and the trained model that wraps one.

A backend is scikit-learn shaped (STYLE.md #4):

- the constructor stores keyword hyperparameters and does nothing else;
- ``fit(texts, Y, theme_ids=...)`` returns self and sets trailing-underscore attributes
  (``theme_ids_`` at least);
- ``predict_proba(texts)`` returns float (n_texts, n_themes) in ``theme_ids_`` order;
- use before fit raises :class:`~reviewcoder.errors.NotFittedError`;
- ``get_params()`` returns its JSON-able hyperparameters, ``get_arrays()`` its learned arrays
  (saved as safetensors, never pickle) and ``from_saved(params, arrays, theme_ids)`` rebuilds it.

Backends whose features are learned without the labels (the frozen encoder) may also offer
``featurize(texts) -> X`` / ``fit_features(X, Y, theme_ids)`` / ``predict_proba_features(X)``, so the
trainer encodes each text once for all cross-validation folds (``X`` supports ``len`` and indexing
by an index array), and ``score_units(paragraphs, sentences, groups) -> (P_par, P_sent)`` so precode
encodes each sentence once for a paragraph's score and its evidence.

``Y`` is always an int array (n_texts, n_themes) with 1 where the theme applies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Mapping, Protocol, Sequence, runtime_checkable

import numpy as np

from ..errors import ModelError, NotFittedError

__all__ = ["ThemeClassifier", "ThemeModel", "check_fitted", "check_training_data", "sigmoid", "logit"]


@runtime_checkable
class ThemeClassifier(Protocol):
    """What every backend provides (see the module docstring)."""

    name: ClassVar[str]

    def fit(self, texts: Sequence[str], Y: np.ndarray, theme_ids: Sequence[str]) -> "ThemeClassifier": ...

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray: ...

    def get_params(self) -> dict[str, Any]: ...

    def get_arrays(self) -> dict[str, np.ndarray]: ...


def check_fitted(obj: Any, attr: str = "theme_ids_") -> None:
    """Raise NotFittedError if ``obj`` has not been fitted (has no ``attr``)."""
    if getattr(obj, attr, None) is None:
        raise NotFittedError(
            f"{type(obj).__name__} is not fitted yet; call fit(texts, Y, theme_ids=...) before predict_proba"
        )


def check_training_data(texts: Sequence[str], Y: Any, theme_ids: Sequence[str]) -> np.ndarray:
    """Validate ``texts`` (n,), ``Y`` (n, n_themes) of 0/1 and ``theme_ids``; return Y as int8."""
    Y = np.asarray(Y)
    if Y.ndim != 2:
        raise ModelError(f"Y must be a 2-D array (n_texts, n_themes); got shape {Y.shape}")
    if Y.shape[0] != len(texts):
        raise ModelError(f"Y has {Y.shape[0]} rows but there are {len(texts)} texts; give one row per text")
    if Y.shape[1] != len(theme_ids):
        raise ModelError(f"Y has {Y.shape[1]} columns but {len(theme_ids)} theme ids were given; one column per theme")
    if len(set(theme_ids)) != len(theme_ids):
        raise ModelError(f"theme_ids has repeats ({list(theme_ids)}); give each theme once")
    if Y.size and not np.isin(Y, (0, 1)).all():
        raise ModelError("Y must hold only 0 and 1 (1 = theme applies)")
    return Y.astype(np.int8)


def sigmoid(z: np.ndarray) -> np.ndarray:
    z = np.asarray(z, dtype=np.float64)
    return 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500)))


def logit(p: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), eps, 1 - eps)
    return np.log(p) - np.log1p(-p)


@dataclass
class ThemeModel:
    """A trained, calibrated model: a backend plus per-theme calibration and thresholds.

    ``predict_proba(texts)`` gives calibrated probabilities, float (n, n_themes) in ``theme_ids``
    order; a theme applies to a unit where its probability is at or above ``thresholds[theme]``.
    Calibration is Platt scaling fitted on out-of-fold scores: ``p = sigmoid(a * logit(raw) + b)``.
    A document's score for a theme is the highest of its units' scores; the theme applies to the
    document where that score is at or above ``document_thresholds[theme]`` (chosen by
    cross-validation on whole documents; a model without them uses the unit thresholds).
    """

    classifier: Any
    theme_ids: list[str]
    thresholds: dict[str, float]
    codebook_fingerprint: str
    model_id: str = "unsaved"
    calibration: np.ndarray | None = None  # (n_themes, 2): a, b
    meta: dict[str, Any] = field(default_factory=dict)
    codebook: Any = None
    document_thresholds: dict[str, float] | None = None

    def __post_init__(self) -> None:
        self.theme_ids = list(self.theme_ids)
        missing = [t for t in self.theme_ids if t not in self.thresholds]
        if missing:
            raise ModelError(f"Model {self.model_id}: no threshold for themes {missing}; every theme needs one")
        if self.document_thresholds is not None:
            missing = [t for t in self.theme_ids if t not in self.document_thresholds]
            if missing:
                raise ModelError(f"Model {self.model_id}: no document threshold for themes {missing}; give one per "
                                 "theme or none at all")
        if self.calibration is not None:
            self.calibration = np.asarray(self.calibration, dtype=np.float64).reshape(len(self.theme_ids), 2)

    @property
    def backend(self) -> str:
        return str(getattr(self.classifier, "name", type(self.classifier).__name__))

    @property
    def threshold_array(self) -> np.ndarray:
        """Thresholds as float (n_themes,) in theme order."""
        return np.array([self.thresholds[t] for t in self.theme_ids], dtype=np.float64)

    @property
    def document_threshold_array(self) -> np.ndarray:
        """Document-level thresholds as float (n_themes,), applied to the highest unit score of a document."""
        thresholds = self.document_thresholds or self.thresholds
        return np.array([thresholds[t] for t in self.theme_ids], dtype=np.float64)

    def calibrate(self, raw: np.ndarray) -> np.ndarray:
        """Apply the stored calibration to raw backend probabilities (n, n_themes)."""
        raw = np.asarray(raw, dtype=np.float64)
        if self.calibration is None or raw.size == 0:
            return raw
        a, b = self.calibration[:, 0], self.calibration[:, 1]
        return sigmoid(a * logit(raw) + b)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probabilities, float (len(texts), n_themes)."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, len(self.theme_ids)))
        return self.calibrate(self.classifier.predict_proba(texts))

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """0/1 int (len(texts), n_themes): the themes at or above their thresholds."""
        return (self.predict_proba(texts) >= self.threshold_array).astype(np.int8)

    def score_paragraphs(
        self, paragraphs: Sequence[str], sentences: Sequence[str], groups: Sequence[Sequence[int]]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Calibrated scores of paragraphs and of their sentences in one pass.

        ``groups[i]`` lists the indices into ``sentences`` that make up ``paragraphs[i]``. Returns
        ``(P_paragraphs (n_par, n_themes), P_sentences (n_sent, n_themes))``. Backends with
        ``score_units`` (the frozen-encoder ones) encode each sentence once for both; the others
        score both lists.
        """
        clf = self.classifier
        n_t = len(self.theme_ids)
        if not len(paragraphs):
            return np.zeros((0, n_t)), np.zeros((len(sentences), n_t))
        if hasattr(clf, "score_units"):
            raw_p, raw_s = clf.score_units(list(paragraphs), list(sentences), groups)
            return self.calibrate(raw_p), self.calibrate(raw_s)
        return self.predict_proba(paragraphs), self.predict_proba(sentences)

    def describe(self) -> Mapping[str, Any]:
        return {"model_id": self.model_id, "backend": self.backend, "themes": len(self.theme_ids),
                "codebook": self.codebook_fingerprint}
