"""MiniLM fine-tuned end to end with a multi-label head, on the CPU ("finetune.v1").

The packaged all-MiniLM-L6-v2 is copied into a fresh model, a linear head (one logit per theme) is put
on its mean-pooled output, and both are trained with binary cross-entropy (positives weighted by
negatives/positives per theme, capped at ``max_pos_weight``), AdamW and a linear warm-up/decay schedule.
A unit longer than one window is cut into windows (as precode cuts sentences) whose pooled vectors are
averaged by tokens, so nothing is truncated in training or prediction.

Costly: about a second per step of 16 units on 2 cores, and its saved weights are the whole encoder
(~90 MB). Keep it for users' own models; the embedded default is a head over the frozen encoder.
Randomness (head init, data order, dropout) comes from ``seed`` only, and torch's global random
state is restored after training.
"""

from __future__ import annotations

from typing import Any, Callable, ClassVar, Sequence

import numpy as np

from .base import check_fitted, check_training_data
from .units import MAX_SENTENCE_CHARS, split_long

__all__ = ["FineTuned"]


class FineTuned:
    name: ClassVar[str] = "finetune.v1"

    def __init__(
        self,
        epochs: int = 4,
        lr: float = 5e-5,
        head_lr: float = 2e-3,
        batch_size: int = 16,
        max_length: int = 256,
        warmup: float = 0.1,
        max_pos_weight: float = 10.0,
        seed: int = 0,
        encoder: Any = None,
    ):
        self.epochs = epochs
        self.lr = lr
        self.head_lr = head_lr
        self.batch_size = batch_size
        self.max_length = max_length
        self.warmup = warmup
        self.max_pos_weight = max_pos_weight
        self.seed = seed
        self.encoder = encoder  # unused: the fine-tuned copy is the encoder; kept for a uniform signature
        self.progress: Callable[[int], None] | None = None
        self.theme_ids_: list[str] | None = None

    def get_params(self) -> dict[str, Any]:
        return {"epochs": self.epochs, "lr": self.lr, "head_lr": self.head_lr, "batch_size": self.batch_size,
                "max_length": self.max_length, "warmup": self.warmup, "max_pos_weight": self.max_pos_weight,
                "seed": self.seed}

    # -- model pieces ---------------------------------------------------------------------------
    def _build(self, n_themes: int, pretrained: bool = True):
        from ..encoder import _import_torch, encoder_path

        torch = _import_torch()
        from transformers import AutoConfig, AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        path = encoder_path()
        bar = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()
        try:
            self.tokenizer_ = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
            if pretrained:
                self.model_ = AutoModel.from_pretrained(str(path), local_files_only=True)
            else:
                self.model_ = AutoModel.from_config(AutoConfig.from_pretrained(str(path), local_files_only=True))
        finally:
            if bar:
                hf_logging.enable_progress_bar()
        self.head_ = torch.nn.Linear(self.model_.config.hidden_size, n_themes)
        return torch

    def _pieces(self, texts: Sequence[str]) -> tuple[list[str], list[int]]:
        pieces: list[str] = []
        owner: list[int] = []
        for i, t in enumerate(texts):
            spans = split_long(t, 0, len(t), MAX_SENTENCE_CHARS) or [(0, 0)]
            for a, b in spans:
                pieces.append(t[a:b])
                owner.append(i)
        return pieces, owner

    def _forward(self, torch, texts: Sequence[str]):
        """Logits (len(texts), n_themes) for a batch of texts, windows pooled by tokens."""
        pieces, owner = self._pieces(texts)
        batch = self.tokenizer_(pieces, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt")
        hidden = self.model_(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        summed = (hidden * mask).sum(1)  # (n_pieces, dim)
        counts = mask.sum(1)  # (n_pieces, 1)
        own = torch.tensor(owner)
        n = len(texts)
        pooled_sum = torch.zeros(n, summed.shape[1], dtype=summed.dtype).index_add(0, own, summed)
        pooled_n = torch.zeros(n, 1, dtype=counts.dtype).index_add(0, own, counts).clamp(min=1.0)
        return self.head_(pooled_sum / pooled_n)

    # -- contract ---------------------------------------------------------------------------------
    def fit(self, texts: Sequence[str], Y: Any, theme_ids: Sequence[str]) -> "FineTuned":
        texts = list(texts)
        Y = check_training_data(texts, Y, theme_ids)
        from ..encoder import _import_torch

        torch = _import_torch()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            self._build(Y.shape[1])
            pos = Y.sum(0).astype(np.float64)
            neg = len(Y) - pos
            pos_weight = torch.tensor(np.clip(neg / np.maximum(pos, 1.0), 1.0, self.max_pos_weight), dtype=torch.float32)
            loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight)
            opt = torch.optim.AdamW([
                {"params": self.model_.parameters(), "lr": self.lr},
                {"params": self.head_.parameters(), "lr": self.head_lr},
            ], weight_decay=0.01)
            steps_per_epoch = max(1, -(-len(texts) // self.batch_size))
            total = steps_per_epoch * self.epochs
            warm = max(1, int(self.warmup * total))
            sched = torch.optim.lr_scheduler.LambdaLR(
                opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm))))
            gen = np.random.default_rng(self.seed)
            Yt = torch.tensor(Y, dtype=torch.float32)
            self.model_.train()
            self.head_.train()
            for _epoch in range(self.epochs):
                order = gen.permutation(len(texts))
                for lo in range(0, len(texts), self.batch_size):
                    idx = order[lo : lo + self.batch_size]
                    logits = self._forward(torch, [texts[i] for i in idx])
                    loss = loss_fn(logits, Yt[idx])
                    opt.zero_grad()
                    loss.backward()
                    torch.nn.utils.clip_grad_norm_(list(self.model_.parameters()) + list(self.head_.parameters()), 1.0)
                    opt.step()
                    sched.step()
                    if self.progress is not None:
                        self.progress(len(idx))
        self.model_.eval()
        self.head_.eval()
        self.theme_ids_ = list(theme_ids)
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        check_fitted(self)
        from ..encoder import _import_torch

        torch = _import_torch()
        texts = list(texts)
        out = np.zeros((len(texts), len(self.theme_ids_)))
        order = sorted(range(len(texts)), key=lambda i: (len(texts[i]), i))
        with torch.inference_mode():
            for lo in range(0, len(texts), 32):
                idx = order[lo : lo + 32]
                out[idx] = torch.sigmoid(self._forward(torch, [texts[i] for i in idx])).double().numpy()
        return out

    def get_arrays(self) -> dict[str, np.ndarray]:
        check_fitted(self)
        arrays = {f"encoder.{k}": v.detach().cpu().numpy() for k, v in self.model_.state_dict().items()}
        arrays["head.weight"] = self.head_.weight.detach().cpu().numpy()
        arrays["head.bias"] = self.head_.bias.detach().cpu().numpy()
        return arrays

    @classmethod
    def from_saved(cls, params: dict[str, Any], arrays: dict[str, np.ndarray], theme_ids: Sequence[str], encoder: Any = None) -> "FineTuned":
        self = cls(**params)
        torch = self._build(len(theme_ids), pretrained=False)
        state = {k[len("encoder."):]: torch.from_numpy(np.array(v)) for k, v in arrays.items() if k.startswith("encoder.")}
        missing, unexpected = self.model_.load_state_dict(state, strict=False)
        if unexpected or [m for m in missing if "position_ids" not in m]:
            raise ValueError(f"encoder weights do not fit (missing {missing[:3]}, unexpected {unexpected[:3]})")
        self.head_.weight.data = torch.from_numpy(np.array(arrays["head.weight"]))
        self.head_.bias.data = torch.from_numpy(np.array(arrays["head.bias"]))
        self.model_.eval()
        self.head_.eval()
        self.theme_ids_ = list(theme_ids)
        return self
