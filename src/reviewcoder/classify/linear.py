"""A one-vs-rest logistic-regression head over fixed features, stored as plain arrays.

Shared by the TF-IDF and the frozen-encoder backends. Learned state is ``coef_`` float (n_themes, dim)
and ``intercept_`` float (n_themes,); prediction is ``sigmoid(X @ coef_.T + intercept_)``, so a saved
head needs no scikit-learn object (and no pickle) to run.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .base import sigmoid

__all__ = ["LinearHead"]


class LinearHead:
    """Per-theme L2 logistic regression.

    ``C``: inverse regularisation strength; ``class_weight``: "balanced" (rare themes get weight) or
    None. A theme with no positive (or no negative) example gets a constant prior probability,
    ``(k + 0.5) / (n + 1)`` for k positives in n units, instead of an error.
    """

    def __init__(self, C: float = 1.0, class_weight: str | None = "balanced", max_iter: int = 2000, seed: int = 0):
        self.C = C
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.seed = seed
        self.coef_: np.ndarray | None = None
        self.intercept_: np.ndarray | None = None

    def get_params(self) -> dict[str, Any]:
        return {"C": self.C, "class_weight": self.class_weight, "max_iter": self.max_iter, "seed": self.seed}

    def fit(self, X: Any, Y: np.ndarray, sample_weight: np.ndarray | None = None,
            mask: np.ndarray | None = None) -> "LinearHead":
        """``X`` (n, dim), ``Y`` 0/1 (n, n_themes), ``sample_weight`` (n,) or None; ``mask`` bool
        (n, n_themes) or None: rows where ``mask[:, j]`` is False are left out of theme j's fit."""
        from sklearn.linear_model import LogisticRegression

        n_themes = Y.shape[1]
        dim = X.shape[1]
        coef = np.zeros((n_themes, dim), dtype=np.float64)
        intercept = np.zeros(n_themes, dtype=np.float64)
        for j in range(n_themes):
            rows = slice(None) if mask is None else np.flatnonzero(mask[:, j])
            y = Y[rows, j]
            k, n_j = int(y.sum()), len(y)
            if k == 0 or k == n_j:
                p = (k + 0.5) / (n_j + 1)
                intercept[j] = np.log(p / (1 - p))
                continue
            lr = LogisticRegression(
                C=self.C, class_weight=self.class_weight, max_iter=self.max_iter, random_state=self.seed,
                solver="liblinear" if hasattr(X, "tocsr") else "lbfgs",
            )
            lr.fit(X[rows], y, sample_weight=None if sample_weight is None else sample_weight[rows])
            coef[j] = lr.coef_[0]
            intercept[j] = lr.intercept_[0]
        self.coef_ = coef.astype(np.float32)
        self.intercept_ = intercept.astype(np.float32)
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        """Logits, float (n, n_themes)."""
        Z = X @ self.coef_.T
        return np.asarray(Z, dtype=np.float64) + self.intercept_.astype(np.float64)

    def predict_proba(self, X: Any) -> np.ndarray:
        return sigmoid(self.decision_function(X))

    def get_arrays(self, prefix: str = "head.") -> dict[str, np.ndarray]:
        return {f"{prefix}coef": self.coef_, f"{prefix}intercept": self.intercept_}

    @classmethod
    def from_arrays(cls, params: dict[str, Any], arrays: dict[str, np.ndarray], prefix: str = "head.") -> "LinearHead":
        head = cls(**params)
        head.coef_ = np.asarray(arrays[f"{prefix}coef"], dtype=np.float32)
        head.intercept_ = np.asarray(arrays[f"{prefix}intercept"], dtype=np.float32)
        return head
