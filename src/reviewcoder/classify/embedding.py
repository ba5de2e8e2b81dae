"""Frozen MiniLM embeddings + a linear head ("embedding-linear.v1"). The default backend.

A unit is represented by the token-weighted mean of its sentences' mean-pooled MiniLM vectors, then
L2-normalised (``pooling="sentences"``): each sentence is encoded once and serves both the unit's score
and the search for the evidence sentence, and a unit of any length is covered without truncation.
``pooling="text"`` encodes the unit as a whole instead (windows of ``MAX_SENTENCE_CHARS`` for long
units); it exists to measure the sentence pooling against.

Only the head is learned and saved (a few hundred KB); the encoder is the packaged, checksummed
all-MiniLM-L6-v2, so a saved model names it instead of copying it.
"""

from __future__ import annotations

from typing import Any, Callable, ClassVar, Sequence

import numpy as np

from .base import check_fitted, check_training_data
from .linear import LinearHead
from .units import MAX_SENTENCE_CHARS, split_long, text_units

__all__ = ["EmbeddingLinear", "EncoderFeatures"]

POOLINGS = ("sentences", "text")


class EncoderFeatures:
    """Unit features from the frozen encoder; shared by the embedding and zero-shot backends.

    ``encoder``: anything with ``encode_pooled(texts, batch_size=, progress=) -> (E, n_tokens)``; None
    loads the packaged MiniLM on first use (tests inject a small fake).
    """

    pooling: str = "sentences"
    batch_size: int = 32
    encoder: Any = None
    progress: Callable[[int], None] | None = None

    def _encoder(self):
        if self.encoder is None:
            from ..encoder import load_encoder

            self.encoder = load_encoder()
        return self.encoder

    def _encode(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        return self._encoder().encode_pooled(list(texts), batch_size=self.batch_size, progress=self.progress)

    def featurize(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors, float32 (len(texts), dim), unit L2 norm (zero rows for empty texts)."""
        from ..encoder import pool_spans

        pieces: list[str] = []
        groups: list[list[int]] = []
        for text in texts:
            if self.pooling == "sentences":
                spans = text_units(text).sentences
            else:
                spans = split_long(text, 0, len(text), MAX_SENTENCE_CHARS)
            groups.append(list(range(len(pieces), len(pieces) + len(spans))))
            pieces.extend(text[a:b] for a, b in spans)
        E, n_tok = self._encode(pieces)
        return pool_spans(E, n_tok, groups)

    def featurize_sentences(self, sentences: Sequence[str], groups: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
        """(unit vectors (len(groups), dim), sentence vectors (len(sentences), dim)), both L2-normalised.

        With ``pooling="sentences"`` each sentence is encoded once for both. With ``pooling="text"``
        the units are rebuilt by joining their sentences with a space and encoded again.
        """
        from ..encoder import normalize, pool_spans

        E, n_tok = self._encode(sentences)
        if self.pooling == "sentences":
            return pool_spans(E, n_tok, groups), normalize(E)
        units = [" ".join(sentences[i] for i in g) for g in groups]
        return self.featurize(units), normalize(E)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities (len(texts), n_themes): ``predict_proba_features(featurize(texts))``."""
        check_fitted(self)
        texts = list(texts)
        if not texts:
            return np.zeros((0, len(self.theme_ids_)))
        return self.predict_proba_features(self.featurize(texts))

    def score_units(self, paragraphs: Sequence[str], sentences: Sequence[str],
                    groups: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
        """Raw scores of units and of their sentences, (len(groups), n_themes) and (len(sentences), n_themes).

        With ``pooling="sentences"`` the unit vectors are pooled from the sentence vectors (each sentence
        encoded once); with ``pooling="text"`` the units' own texts are encoded too."""
        if self.pooling == "sentences":
            par_x, sent_x = self.featurize_sentences(sentences, groups)
        else:
            par_x, sent_x = self.featurize(paragraphs), self.featurize_sentences(sentences, [])[1]
        return self.predict_proba_features(par_x), self.predict_proba_features(sent_x)


class EmbeddingLinear(EncoderFeatures):
    name: ClassVar[str] = "embedding-linear.v1"

    def __init__(
        self,
        C: float = 4.0,
        class_weight: str | None = "balanced",
        pooling: str = "sentences",
        batch_size: int = 32,
        seed: int = 0,
        prior_weight: float = 0.0,
        codebook: Any = None,
        encoder: Any = None,
    ):
        if pooling not in POOLINGS:
            from ..errors import ModelError

            raise ModelError(f"pooling must be one of {POOLINGS}; got {pooling!r}")
        self.C = C
        self.class_weight = class_weight
        self.pooling = pooling
        self.batch_size = batch_size
        self.seed = seed
        self.prior_weight = prior_weight
        self.codebook = codebook
        self.encoder = encoder
        self.theme_ids_: list[str] | None = None

    def get_params(self) -> dict[str, Any]:
        return {"C": self.C, "class_weight": self.class_weight, "pooling": self.pooling,
                "batch_size": self.batch_size, "seed": self.seed, "prior_weight": self.prior_weight}

    def _prior(self, theme_ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """The codebook's own descriptions as extra examples: each a positive of its theme only."""
        from .zeroshot import theme_descriptions

        desc = theme_descriptions(self.codebook)
        texts, rows = [], []
        for j, t in enumerate(theme_ids):
            for d in desc.get(t, []):
                texts.append(d)
                y = np.zeros(len(theme_ids), dtype=np.int8)
                y[j] = 1
                rows.append(y)
        if not texts:
            return np.zeros((0, 0), dtype=np.float32), np.zeros((0, len(theme_ids)), dtype=np.int8)
        return self.featurize(texts), np.array(rows)

    def fit_features(self, X: np.ndarray, Y: Any, theme_ids: Sequence[str]) -> "EmbeddingLinear":
        Y = check_training_data(list(range(len(X))), Y, theme_ids)
        X = np.asarray(X)
        weight = None
        if self.prior_weight and self.codebook is not None:
            Xp, Yp = self._prior(theme_ids)
            if len(Xp):
                weight = np.r_[np.ones(len(X)), np.full(len(Xp), float(self.prior_weight))]
                X, Y = np.vstack([X, Xp]), np.vstack([Y, Yp])
        self.head_ = LinearHead(C=self.C, class_weight=self.class_weight, seed=self.seed).fit(X, Y, sample_weight=weight)
        self.dim_ = int(np.asarray(X).shape[1])
        self.theme_ids_ = list(theme_ids)
        return self

    def fit(self, texts: Sequence[str], Y: Any, theme_ids: Sequence[str]) -> "EmbeddingLinear":
        texts = list(texts)
        check_training_data(texts, Y, theme_ids)
        return self.fit_features(self.featurize(texts), Y, theme_ids)

    def predict_proba_features(self, X: np.ndarray) -> np.ndarray:
        check_fitted(self)
        return self.head_.predict_proba(np.asarray(X, dtype=np.float32))

    def get_arrays(self) -> dict[str, np.ndarray]:
        check_fitted(self)
        return self.head_.get_arrays()

    @classmethod
    def from_saved(cls, params: dict[str, Any], arrays: dict[str, np.ndarray], theme_ids: Sequence[str], encoder: Any = None) -> "EmbeddingLinear":
        self = cls(**params, encoder=encoder)  # the codebook prior acts in training only
        self.head_ = LinearHead.from_arrays({"C": self.C, "class_weight": self.class_weight, "seed": self.seed}, arrays)
        self.dim_ = int(self.head_.coef_.shape[1])
        self.theme_ids_ = list(theme_ids)
        return self
