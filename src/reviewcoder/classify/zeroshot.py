"""Zero-shot from the codebook ("zeroshot.v1"): codebook in, scores out, for a team with no codes yet.

Each theme is described by its definition, its include guidance and its examples
(:func:`theme_descriptions`, a pure function). The descriptions are encoded with the frozen MiniLM; a
unit's raw score for a theme is its cosine similarity to the theme's nearest description, mapped to
(0, 1) by ``sigmoid((cos - center) / temperature)``. The defaults make a score of 0.5 mean "about as
close as a paraphrase of the guidance"; train with codes (any other backend) when you have them. When
trained through :func:`reviewcoder.classify.train_model` with codes, the trainer recalibrates these
scores and picks thresholds by cross-validation like any other backend, so zero-shot then becomes
"few-shot calibrated".
"""

from __future__ import annotations

from typing import Any, ClassVar, Sequence

import numpy as np

from ..errors import ModelError
from .base import check_fitted, sigmoid
from .embedding import EncoderFeatures

__all__ = ["ZeroShot", "theme_descriptions"]


def theme_descriptions(codebook: Any, use_examples: bool = True) -> dict[str, list[str]]:
    """Texts that describe each theme, in the codebook's theme order.

    For every theme: ``"<name>: <definition>"``, then each include item, then (with ``use_examples``)
    each example. Exclude guidance is not used (a description of what a theme is not looks, to an
    encoder, much like one of what it is).
    """
    out: dict[str, list[str]] = {}
    for theme in codebook.themes:
        texts = [f"{theme.name}: {theme.definition}"]
        texts += [str(x) for x in theme.include]
        if use_examples:
            texts += [str(x) for x in theme.examples]
        out[theme.id] = [t.strip() for t in texts if str(t).strip()]
    return out


class ZeroShot(EncoderFeatures):
    name: ClassVar[str] = "zeroshot.v1"

    def __init__(
        self,
        codebook: Any = None,
        center: float = 0.45,
        temperature: float = 0.05,
        use_examples: bool = True,
        pooling: str = "sentences",
        batch_size: int = 32,
        encoder: Any = None,
    ):
        self.codebook = codebook
        self.center = center
        self.temperature = temperature
        self.use_examples = use_examples
        self.pooling = pooling
        self.batch_size = batch_size
        self.encoder = encoder
        self.theme_ids_: list[str] | None = None

    def get_params(self) -> dict[str, Any]:
        return {"center": self.center, "temperature": self.temperature, "use_examples": self.use_examples,
                "pooling": self.pooling, "batch_size": self.batch_size}

    def fit(self, texts: Sequence[str] = (), Y: Any = None, theme_ids: Sequence[str] | None = None) -> "ZeroShot":
        """Build the theme descriptions' vectors. ``texts`` and ``Y`` are ignored (zero-shot)."""
        if self.codebook is None:
            raise ModelError("The zero-shot backend needs a codebook (ZeroShot(codebook=...)); it scores by definitions")
        theme_ids = list(theme_ids) if theme_ids is not None else self.codebook.theme_ids
        self.codebook.check_labels(theme_ids, "the themes asked of the zero-shot backend")
        return self._build(theme_ids)

    def fit_features(self, X: np.ndarray, Y: Any, theme_ids: Sequence[str]) -> "ZeroShot":
        return self.fit((), None, theme_ids)

    def _build(self, theme_ids: Sequence[str]) -> "ZeroShot":
        from ..encoder import normalize

        desc = theme_descriptions(self.codebook, self.use_examples)
        texts: list[str] = []
        owner: list[int] = []
        for j, t in enumerate(theme_ids):
            texts += desc[t]
            owner += [j] * len(desc[t])
        E, _ = self._encode(texts)
        self.descriptions_ = normalize(E)
        self.owner_ = np.asarray(owner, dtype=np.int64)
        self.theme_ids_ = list(theme_ids)
        return self

    def similarity(self, X: np.ndarray) -> np.ndarray:
        """Cosine of each unit to each theme's nearest description, float (n, n_themes)."""
        check_fitted(self)
        S = np.asarray(X, dtype=np.float32) @ self.descriptions_.T
        out = np.full((S.shape[0], len(self.theme_ids_)), -1.0)
        for j in range(len(self.theme_ids_)):
            cols = self.owner_ == j
            if cols.any():
                out[:, j] = S[:, cols].max(axis=1)
        return out

    def predict_proba_features(self, X: np.ndarray) -> np.ndarray:
        return sigmoid((self.similarity(X) - self.center) / self.temperature)

    def get_arrays(self) -> dict[str, np.ndarray]:
        check_fitted(self)
        return {"zeroshot.descriptions": self.descriptions_, "zeroshot.owner": self.owner_}

    @classmethod
    def from_saved(cls, params: dict[str, Any], arrays: dict[str, np.ndarray], theme_ids: Sequence[str], encoder: Any = None) -> "ZeroShot":
        self = cls(**params, encoder=encoder)
        self.descriptions_ = np.asarray(arrays["zeroshot.descriptions"], dtype=np.float32)
        self.owner_ = np.asarray(arrays["zeroshot.owner"], dtype=np.int64)
        self.theme_ids_ = list(theme_ids)
        return self
