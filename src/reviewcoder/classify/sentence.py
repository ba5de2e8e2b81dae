"""A head on single sentences, learned from the coders' evidence spans ("sentence-linear.v1").

Coders mark the words that show a theme, not whole paragraphs. This backend learns from those marks:
each sentence is a frozen-MiniLM vector (mean-pooled, L2-normalised), labelled per theme

- 1 where it overlaps a coder's evidence span for the theme,
- left out of that theme's fit where it sits in a unit coded with the theme but outside every span
  (it may or may not show the theme; the coder did not say),
- 1 for every sentence of a unit coded with the theme without spans (codes on whole units),
- 0 in units not coded with the theme.

A unit's score for a theme is its best sentence's (max over its sentences' logits), so the sentence
that carries the score is the evidence. On the corpus's held-out authors, this head beside the
TF-IDF head scored higher than the paragraph-level MiniLM head beside it (bench/RESULTS-classifier.md).
Only the head is learned and saved; the encoder is the packaged all-MiniLM-L6-v2.
"""

from __future__ import annotations

from typing import Any, ClassVar, Sequence

import numpy as np

from .base import check_fitted, check_training_data, sigmoid
from .embedding import EncoderFeatures
from .linear import LinearHead
from .units import text_units

__all__ = ["SentenceLinear", "SentenceFeatures"]

Spans = Sequence[Sequence[tuple[str, int, int]]]


class SentenceFeatures:
    """Sentence vectors of a list of units: ``vectors`` float32 (n_sentences, dim), ``offsets[k]`` the
    (start, end) of sentence k in its unit's text, ``groups[i]`` unit i's sentence indices."""

    def __init__(self, vectors: np.ndarray, offsets: list[tuple[int, int]], groups: list[list[int]]):
        self.vectors = vectors
        self.offsets = offsets
        self.groups = groups

    def __len__(self) -> int:
        return len(self.groups)

    def __getitem__(self, idx) -> "SentenceFeatures":
        keep: list[int] = []
        groups: list[list[int]] = []
        for i in np.asarray(idx, dtype=int):
            groups.append(list(range(len(keep), len(keep) + len(self.groups[i]))))
            keep += self.groups[i]
        return SentenceFeatures(self.vectors[keep], [self.offsets[k] for k in keep], groups)


def max_by_group(Z: np.ndarray, groups: Sequence[Sequence[int]], empty: np.ndarray) -> np.ndarray:
    """Per group, the column-wise max of its rows of ``Z``; ``empty`` for a group with no rows."""
    out = np.tile(np.asarray(empty, dtype=np.float64), (len(groups), 1))
    for i, g in enumerate(groups):
        if len(g):
            out[i] = Z[g].max(axis=0)
    return out


class SentenceLinear(EncoderFeatures):
    name: ClassVar[str] = "sentence-linear.v1"

    def __init__(self, C: float = 1.0, class_weight: str | None = "balanced", batch_size: int = 32, seed: int = 0,
                 encoder: Any = None):
        self.C = C
        self.class_weight = class_weight
        self.batch_size = batch_size
        self.seed = seed
        self.encoder = encoder
        self.theme_ids_: list[str] | None = None

    def get_params(self) -> dict[str, Any]:
        return {"C": self.C, "class_weight": self.class_weight, "batch_size": self.batch_size, "seed": self.seed}

    def featurize(self, texts: Sequence[str]) -> SentenceFeatures:
        from ..encoder import normalize

        sentences: list[str] = []
        offsets: list[tuple[int, int]] = []
        groups: list[list[int]] = []
        for text in texts:
            spans = text_units(text).sentences
            groups.append(list(range(len(sentences), len(sentences) + len(spans))))
            sentences += [text[a:b] for a, b in spans]
            offsets += spans
        E, _ = self._encode(sentences) if sentences else (np.zeros((0, 0), np.float32), None)
        return SentenceFeatures(normalize(E).astype(np.float32) if len(E) else E, offsets, groups)

    def _sentence_labels(self, F: SentenceFeatures, Y: np.ndarray, theme_ids: Sequence[str],
                         spans: Spans | None) -> tuple[np.ndarray, np.ndarray]:
        """(labels, mask), both (n_sentences, n_themes): see the module docstring."""
        column = {t: j for j, t in enumerate(theme_ids)}
        L = np.zeros((len(F.offsets), len(theme_ids)), dtype=np.int8)
        mask = np.ones_like(L, dtype=bool)
        for i, group in enumerate(F.groups):
            marked: dict[int, list[tuple[int, int]]] = {}
            for theme, a, b in (spans[i] if spans is not None else ()):
                if theme in column:
                    marked.setdefault(column[theme], []).append((a, b))
            for j in np.flatnonzero(Y[i]):
                if j not in marked:
                    L[group, j] = 1
                    continue
                for k in group:
                    s, e = F.offsets[k]
                    if any(s < b and a < e for a, b in marked[j]):
                        L[k, j] = 1
                    else:
                        mask[k, j] = False
        return L, mask

    def fit_features(self, F: SentenceFeatures, Y: Any, theme_ids: Sequence[str], spans: Spans | None = None) -> "SentenceLinear":
        Y = check_training_data(list(range(len(F))), Y, theme_ids)
        if spans is not None and len(spans) != len(F):
            from ..errors import ModelError

            raise ModelError(f"spans has {len(spans)} entries but there are {len(F)} units; give one list per unit")
        L, mask = self._sentence_labels(F, Y, theme_ids, spans)
        X = F.vectors if len(F.vectors) else np.zeros((0, 1), np.float32)
        self.head_ = LinearHead(C=self.C, class_weight=self.class_weight, seed=self.seed).fit(X, L, mask=mask)
        self.theme_ids_ = list(theme_ids)
        return self

    def fit(self, texts: Sequence[str], Y: Any, theme_ids: Sequence[str], spans: Spans | None = None) -> "SentenceLinear":
        texts = list(texts)
        check_training_data(texts, Y, theme_ids)
        return self.fit_features(self.featurize(texts), Y, theme_ids, spans=spans)

    def _unit_logits(self, Z: np.ndarray, groups: Sequence[Sequence[int]]) -> np.ndarray:
        # a unit with no sentence (blank text) gets the head's score of an empty sentence
        return max_by_group(Z, groups, self.head_.intercept_)

    def predict_proba_features(self, F: SentenceFeatures) -> np.ndarray:
        check_fitted(self)
        Z = self.head_.decision_function(F.vectors) if len(F.vectors) else np.zeros((0, len(self.theme_ids_)))
        return sigmoid(self._unit_logits(Z, F.groups))

    def score_units(self, paragraphs: Sequence[str], sentences: Sequence[str],
                    groups: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
        """Raw scores of units (their best sentence) and of the sentences; each sentence encoded once."""
        from ..encoder import normalize

        check_fitted(self)
        if not len(sentences):
            return sigmoid(self._unit_logits(np.zeros((0, len(self.theme_ids_))), groups)), np.zeros((0, len(self.theme_ids_)))
        E, _ = self._encode(sentences)
        Z = self.head_.decision_function(normalize(E).astype(np.float32))
        return sigmoid(self._unit_logits(Z, groups)), sigmoid(Z)

    def get_arrays(self) -> dict[str, np.ndarray]:
        check_fitted(self)
        return self.head_.get_arrays()

    @classmethod
    def from_saved(cls, params: dict[str, Any], arrays: dict[str, np.ndarray], theme_ids: Sequence[str],
                   encoder: Any = None) -> "SentenceLinear":
        self = cls(**params, encoder=encoder)
        self.head_ = LinearHead.from_arrays({"C": self.C, "class_weight": self.class_weight, "seed": self.seed}, arrays)
        self.theme_ids_ = list(theme_ids)
        return self
