"""Baseline backend: TF-IDF word n-grams + one-vs-rest logistic regression ("tfidf-linear.v1").

No encoder, no torch: fast to train and to run, and the floor every other backend must beat. It learns
the words of its training texts, so it carries poorly to writers who phrase things differently.
Saved state: the vocabulary (UTF-8, one term per line, as a uint8 array), the idf weights and the head.
"""

from __future__ import annotations

from typing import Any, ClassVar, Sequence

import numpy as np

from .base import check_fitted, check_training_data
from .linear import LinearHead

__all__ = ["TfidfLinear"]


class TfidfLinear:
    name: ClassVar[str] = "tfidf-linear.v1"

    def __init__(
        self,
        ngram_max: int = 2,
        min_df: int = 2,
        max_features: int = 50000,
        C: float = 10.0,
        class_weight: str | None = "balanced",
        seed: int = 0,
    ):
        self.ngram_max = ngram_max
        self.min_df = min_df
        self.max_features = max_features
        self.C = C
        self.class_weight = class_weight
        self.seed = seed
        self.theme_ids_: list[str] | None = None

    def get_params(self) -> dict[str, Any]:
        return {"ngram_max": self.ngram_max, "min_df": self.min_df, "max_features": self.max_features,
                "C": self.C, "class_weight": self.class_weight, "seed": self.seed}

    def _counter(self, vocabulary=None):
        from sklearn.feature_extraction.text import CountVectorizer

        return CountVectorizer(
            ngram_range=(1, self.ngram_max), lowercase=True, strip_accents="unicode", vocabulary=vocabulary,
            min_df=1 if vocabulary is not None else self.min_df, max_features=None if vocabulary else self.max_features,
        )

    def _weigh(self, counts) -> Any:
        from sklearn.preprocessing import normalize

        X = counts.astype(np.float64).tocsr()
        X.data = 1.0 + np.log(X.data)  # sublinear tf
        X = X.multiply(self.idf_[None, :]).tocsr()
        return normalize(X, norm="l2", copy=False)

    def fit(self, texts: Sequence[str], Y: Any, theme_ids: Sequence[str]) -> "TfidfLinear":
        texts = list(texts)
        Y = check_training_data(texts, Y, theme_ids)
        counter = self._counter()
        if len(texts) < 2 * self.min_df:
            counter.min_df = 1
        try:
            counts = counter.fit_transform(texts)
        except ValueError:  # every text empty or stop words only
            counter = self._counter(vocabulary=["_"])
            counts = counter.fit_transform(texts)
        self.terms_ = list(counter.get_feature_names_out())
        n = counts.shape[0]
        df = np.bincount(counts.indices, minlength=len(self.terms_)) if counts.nnz else np.zeros(len(self.terms_))
        self.idf_ = (np.log((1 + n) / (1 + df)) + 1.0).astype(np.float64)
        self._vec = self._counter(vocabulary={t: i for i, t in enumerate(self.terms_)})
        X = self._weigh(counts)
        self.head_ = LinearHead(C=self.C, class_weight=self.class_weight, seed=self.seed).fit(X, Y)
        self.theme_ids_ = list(theme_ids)
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        check_fitted(self)
        texts = list(texts)
        if not texts:
            return np.zeros((0, len(self.theme_ids_)))
        X = self._weigh(self._vec.transform(texts))
        return self.head_.predict_proba(X)

    def get_arrays(self) -> dict[str, np.ndarray]:
        check_fitted(self)
        vocab = np.frombuffer("\n".join(self.terms_).encode("utf-8"), dtype=np.uint8).copy()
        return {"tfidf.vocab_utf8": vocab, "tfidf.idf": self.idf_.astype(np.float64), **self.head_.get_arrays()}

    @classmethod
    def from_saved(cls, params: dict[str, Any], arrays: dict[str, np.ndarray], theme_ids: Sequence[str]) -> "TfidfLinear":
        self = cls(**params)
        raw = bytes(np.asarray(arrays["tfidf.vocab_utf8"], dtype=np.uint8)).decode("utf-8")
        self.terms_ = raw.split("\n") if raw else []
        self.idf_ = np.asarray(arrays["tfidf.idf"], dtype=np.float64)
        self._vec = self._counter(vocabulary={t: i for i, t in enumerate(self.terms_)})
        self.head_ = LinearHead.from_arrays({"C": self.C, "class_weight": self.class_weight, "seed": self.seed}, arrays)
        self.theme_ids_ = list(theme_ids)
        return self
