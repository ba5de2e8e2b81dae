"""One fit of finetune.v1 on the corpus's TRAIN authors, scored on the HELD-OUT authors (RESULTS-classifier.md, 5).

No cross-validation (it would take 6 fits): scores are uncalibrated, and F1 is reported at fixed
thresholds and, as an optimistic ceiling, at the best threshold per theme chosen on the held-out
paragraphs themselves. About 16 minutes on 2 CPU cores.

    .venv/bin/python bench/bench_finetune.py --epochs 3 --lr 5e-5 --json bench/results/finetune.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--json", default=None)
    a = ap.parse_args()

    from reviewcoder.classify.data import build_training_set, read_coded
    from reviewcoder.classify.finetune import FineTuned
    from reviewcoder.codebook import default_codebook
    from reviewcoder.evaluate.metrics import precision_recall_f1

    cb = default_codebook()
    T = cb.theme_ids
    docs, anns, comps = read_coded(ROOT / "annotations" / "corpus")
    train = build_training_set(docs, anns, comps, T, coder="consensus", split="train")
    held = build_training_set(docs, anns, comps, T, coder="consensus", split="heldout")
    t0 = time.perf_counter()
    model = FineTuned(epochs=a.epochs, lr=a.lr).fit(train.texts, train.Y, T)
    seconds = time.perf_counter() - t0
    P = model.predict_proba(held.texts)
    out = {"epochs": a.epochs, "lr": a.lr, "train_seconds": seconds, "n_train": len(train.texts),
           "n_heldout": len(held.texts), "macro_f1_at": {}}
    for t in (0.3, 0.4, 0.5, 0.6, 0.7):
        out["macro_f1_at"][str(t)] = precision_recall_f1(held.Y, (P >= t).astype(int), T)["macro"]["f1"]
    best = []
    for j, theme in enumerate(T):
        best.append(max(precision_recall_f1(held.Y[:, [j]], (P[:, [j]] >= t).astype(int), [theme])["macro"]["f1"]
                        for t in np.linspace(0.05, 0.95, 19)))
    out["macro_f1_oracle_thresholds"] = float(np.mean(best))
    out["machine"] = f"{platform.platform()}, {os.cpu_count()} CPUs"
    print(json.dumps(out, indent=1))
    if a.json:
        Path(a.json).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
