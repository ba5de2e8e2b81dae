"""An ensemble of backends ("ensemble.v1"): the mean of the members' logits.

The default members are the frozen-MiniLM sentence head learned from the coders' evidence spans
(``sentence-linear.v1``) and the TF-IDF head (``tfidf-linear.v1``): the first reads the meaning of the
sentence that shows a theme, the second the words coders key on. In cross-validation on the corpus's
training authors the pair scored above either member alone and above the paragraph-level MiniLM head
beside TF-IDF (bench/RESULTS-classifier.md), which is why it earns its place. Each member is trained as
it would be alone (members that learn from evidence spans get them); the trainer then calibrates the
ensemble's scores and picks its thresholds by cross-validation like any backend.
Saved state: each member's arrays under ``m<i>.``; ``params["members"]`` names them with versions.
"""

from __future__ import annotations

from typing import Any, ClassVar, Sequence

import numpy as np

from ..errors import ModelError
from .base import check_fitted, check_training_data, logit, sigmoid

__all__ = ["Ensemble", "DEFAULT_MEMBERS"]

DEFAULT_MEMBERS = ({"backend": "sentence-linear.v1", "params": {}}, {"backend": "tfidf-linear.v1", "params": {}})


def accepts_spans(method: Any) -> bool:
    """Whether a backend's fit/fit_features learns from evidence spans (takes ``spans=``)."""
    import inspect

    return "spans" in inspect.signature(method).parameters


class EnsembleFeatures:
    """What ``Ensemble.featurize`` returns: the texts plus each member's features (None: member uses texts)."""

    def __init__(self, texts: list[str], parts: list[Any]):
        self.texts = texts
        self.parts = parts

    def __len__(self) -> int:
        return len(self.texts)

    def __getitem__(self, idx) -> "EnsembleFeatures":
        idx = np.asarray(idx)
        return EnsembleFeatures([self.texts[i] for i in idx], [None if p is None else p[idx] for p in self.parts])


class Ensemble:
    name: ClassVar[str] = "ensemble.v1"

    def __init__(self, members: Sequence[dict] | None = None, seed: int = 0, codebook: Any = None, encoder: Any = None):
        self.members = [dict(m) for m in (members or DEFAULT_MEMBERS)]
        for m in self.members:
            if "backend" not in m:
                raise ModelError(f"Ensemble member {m!r} has no 'backend'; give {{'backend': name, 'params': {{...}}}}")
        self.seed = seed
        self.codebook = codebook
        self._encoder = encoder
        self.theme_ids_: list[str] | None = None
        self._models: list[Any] | None = None
        self._fresh()  # unknown member backends or parameters fail here, before any encoding

    def get_params(self) -> dict[str, Any]:
        """Members with their full parameters once fitted (so a saved ensemble rebuilds exactly)."""
        if self._models is not None and self.theme_ids_ is not None:
            members = [{"backend": m.name, "params": m.get_params()} for m in self._models]
        else:
            members = [{"backend": m["backend"], "params": dict(m.get("params") or {})} for m in self.members]
        return {"members": members, "seed": self.seed}

    def _fresh(self) -> list[Any]:
        from .training import make_backend

        out = []
        for m in self.members:
            params = dict(m.get("params") or {})
            cls_params = make_backend(m["backend"], codebook=self.codebook, encoder=self._encoder, **params)
            if hasattr(cls_params, "seed") and "seed" not in params:
                cls_params.seed = self.seed
            out.append(cls_params)
        return out

    def _models_or_fresh(self) -> list[Any]:
        if self._models is None:
            self._models = self._fresh()
        return self._models

    @property
    def encoder(self):
        """The encoder shared by the encoder members (loaded on first use)."""
        for m in self._models_or_fresh():
            if hasattr(m, "_encoder") and hasattr(m, "featurize"):
                enc = m._encoder()
                self._encoder = enc
                return enc
        return self._encoder

    def featurize(self, texts: Sequence[str]) -> EnsembleFeatures:
        texts = list(texts)
        return EnsembleFeatures(texts, [m.featurize(texts) if hasattr(m, "fit_features") else None
                                        for m in self._models_or_fresh()])

    def fit_features(self, F: EnsembleFeatures, Y: Any, theme_ids: Sequence[str], spans: Any = None) -> "Ensemble":
        Y = check_training_data(F.texts, Y, theme_ids)
        models = self._fresh()
        if self._encoder is not None:
            for m in models:
                if hasattr(m, "encoder"):
                    m.encoder = self._encoder
        for m, x in zip(models, F.parts):
            fit = m.fit_features if x is not None else m.fit
            kwargs = {"spans": spans} if spans is not None and accepts_spans(fit) else {}
            fit(x if x is not None else F.texts, Y, theme_ids, **kwargs)
        self._models = models
        self.theme_ids_ = list(theme_ids)
        return self

    def fit(self, texts: Sequence[str], Y: Any, theme_ids: Sequence[str], spans: Any = None) -> "Ensemble":
        texts = list(texts)
        check_training_data(texts, Y, theme_ids)
        return self.fit_features(self.featurize(texts), Y, theme_ids, spans=spans)

    @staticmethod
    def _combine(probs: list[np.ndarray]) -> np.ndarray:
        return sigmoid(np.mean([logit(p) for p in probs], axis=0))

    def predict_proba_features(self, F: EnsembleFeatures) -> np.ndarray:
        check_fitted(self)
        probs = []
        for m, x in zip(self._models, F.parts):
            probs.append(m.predict_proba_features(x) if x is not None else m.predict_proba(F.texts))
        return self._combine(probs)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        check_fitted(self)
        texts = list(texts)
        if not texts:
            return np.zeros((0, len(self.theme_ids_)))
        return self.predict_proba_features(self.featurize(texts))

    def score_units(self, paragraphs: Sequence[str], sentences: Sequence[str],
                    groups: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
        check_fitted(self)
        par, sent = [], []
        for m in self._models:
            if hasattr(m, "score_units"):
                p, s = m.score_units(paragraphs, sentences, groups)
            else:
                p, s = m.predict_proba(list(paragraphs)), m.predict_proba(list(sentences))
            par.append(p)
            sent.append(s)
        n_t = len(self.theme_ids_)
        return (self._combine(par) if len(paragraphs) else np.zeros((0, n_t)),
                self._combine(sent) if len(sentences) else np.zeros((0, n_t)))

    def get_arrays(self) -> dict[str, np.ndarray]:
        check_fitted(self)
        return {f"m{i}.{k}": v for i, m in enumerate(self._models) for k, v in m.get_arrays().items()}

    @classmethod
    def from_saved(cls, params: dict[str, Any], arrays: dict[str, np.ndarray], theme_ids: Sequence[str],
                   encoder: Any = None) -> "Ensemble":
        from .training import backend_class

        self = cls(members=params.get("members"), seed=params.get("seed", 0), encoder=encoder)
        models = []
        for i, m in enumerate(self.members):
            sub = {k[len(f"m{i}."):]: v for k, v in arrays.items() if k.startswith(f"m{i}.")}
            member_cls = backend_class(m["backend"])
            kwargs = {"encoder": encoder} if "encoder" in member_cls.from_saved.__code__.co_varnames else {}
            models.append(member_cls.from_saved(dict(m.get("params") or {}), sub, theme_ids, **kwargs))
        self._models = models
        self.theme_ids_ = list(theme_ids)
        return self
