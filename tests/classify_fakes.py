"""Small fakes for the classifier tests: an encoder without torch, tiny coded data, a tiny codebook."""

from __future__ import annotations

import hashlib
import re

import numpy as np

from reviewcoder.codebook import codebook_from_dict

DIM = 64
_WORD = re.compile(r"[a-z]+")


class FakeEncoder:
    """Hashes words to random unit vectors and mean-pools them: close texts share words, so they are
    close. Same interface as reviewcoder.encoder.Encoder.encode_pooled."""

    def __init__(self) -> None:
        self.calls = 0
        self.texts_seen = 0

    def _vec(self, word: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.sha256(word.encode()).digest()[:8], "little")
        v = np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)
        return v / np.linalg.norm(v)

    def encode_pooled(self, texts, batch_size=None, progress=None):
        self.calls += 1
        self.texts_seen += len(texts)
        E = np.zeros((len(texts), DIM), dtype=np.float32)
        n = np.zeros(len(texts), dtype=np.int64)
        for i, t in enumerate(texts):
            words = _WORD.findall(t.lower())
            if words:
                E[i] = np.mean([self._vec(w) for w in words], axis=0)
            n[i] = len(words) + 2
        if progress:
            progress(len(texts))
        return E, n

    def info(self):
        return {"name": "fake", "package": "none", "sha256": "fake"}


def tiny_codebook(themes=("violence", "school", "money")):
    return codebook_from_dict({
        "id": "tiny", "version": 1,
        "themes": [{"id": t, "name": t.title(), "kind": "case_feature",
                    "definition": f"The text is about {t}.", "include": [f"a {t} example"]} for t in themes],
    })


VOCAB = {
    "violence": "police assault hit punched injury violent bruise fight attacked".split(),
    "school": "school teacher pupil classroom lesson attendance headteacher exclusion homework".split(),
    "money": "debt rent benefits money arrears loan bills payment poverty".split(),
}
FILLER = "the family was seen at home by the worker and the plan was reviewed later that week".split()


def tiny_data(n=60, seed=0, themes=("violence", "school", "money")):
    """``n`` synthetic texts with 0-2 themes each, Y int (n, n_themes) and groups (author a0..a5)."""
    rng = np.random.default_rng(seed)
    texts, Y, groups = [], [], []
    for i in range(n):
        y = (rng.random(len(themes)) < 0.35).astype(int)
        words = list(rng.choice(FILLER, 8))
        for j, t in enumerate(themes):
            if y[j]:
                words += list(rng.choice(VOCAB[t], 3))
        rng.shuffle(words)
        texts.append(" ".join(words).capitalize() + ".")
        Y.append(y)
        groups.append(f"a{i % 6}")
    return texts, np.array(Y, dtype=np.int8), groups
