"""Classifier variants on the corpus, scored on cached MiniLM sentence vectors (RESULTS-classifier.md, section 5).

Every variant gets the same treatment as ``train_model``: out-of-fold scores by 5-fold cross-validation
grouped by author on the TRAIN authors, Platt calibration and F1-optimal thresholds per theme on those
scores (for units and for documents), then one fit on all TRAIN units and a test on the HELD-OUT authors
against the consensus. The MiniLM vectors of all sentences are computed once (``--cache``), so each
variant costs only its heads. A variant named "a+b" is the mean of its members' logits.

    .venv/bin/python bench/bench_variants.py --json bench/results/variants.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def load_features(cache: Path):
    """The consensus training set of the whole corpus, its sentence features (raw MiniLM vectors and
    token counts, cached) and a TRAIN mask."""
    from reviewcoder.classify.data import build_training_set, read_coded
    from reviewcoder.classify.sentence import SentenceFeatures
    from reviewcoder.classify.units import text_units
    from reviewcoder.codebook import default_codebook
    from reviewcoder.encoder import load_encoder, normalize

    cb = default_codebook()
    docs, anns, comps = read_coded(ROOT / "annotations" / "corpus")
    ts = build_training_set(docs, anns, comps, cb.theme_ids, coder="consensus")
    split = {d.id: d.meta["split"] for d in docs}
    offsets, groups, sentences = [], [], []
    for t in ts.texts:
        s = text_units(t).sentences
        groups.append(list(range(len(offsets), len(offsets) + len(s))))
        offsets += s
        sentences += [t[a:b] for a, b in s]
    if cache.is_file():
        z = np.load(cache, allow_pickle=False)
        E, n_tok = z["E"], z["n_tok"]
    else:
        E, n_tok = load_encoder().encode_pooled(sentences)
        np.savez(cache, E=E, n_tok=n_tok)
    assert len(E) == len(sentences), f"{cache} does not match the corpus; delete it"
    return cb, ts, E, n_tok, SentenceFeatures(normalize(E), offsets, groups), \
        np.array([split[d] == "train" for d in ts.doc_ids])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", default="/tmp/reviewcoder-variants.npz")
    ap.add_argument("--json", default=None)
    a = ap.parse_args()

    from reviewcoder.classify.base import ThemeModel, logit, sigmoid
    from reviewcoder.classify.embedding import EmbeddingLinear
    from reviewcoder.classify.sentence import SentenceLinear
    from reviewcoder.classify.tfidf import TfidfLinear
    from reviewcoder.classify.training import choose_thresholds, cv_folds, document_max, fit_calibration
    from reviewcoder.encoder import pool_spans
    from reviewcoder.evaluate.metrics import precision_recall_f1

    t0 = time.perf_counter()
    cb, ts, E, n_tok, F, is_train = load_features(Path(a.cache))
    T = cb.theme_ids
    Y = ts.Y
    tr, te = np.flatnonzero(is_train), np.flatnonzero(~is_train)
    docs = np.array(ts.doc_ids)
    texts = ts.texts
    spans = ts.spans
    # paragraph vectors pooled from the sentence vectors by tokens, as embedding-linear.v1 does
    unit_vec = pool_spans(E, n_tok, F.groups)
    # neighbours in the same document, and the document's mean, for the context variant
    n = len(texts)
    prev = np.array([i - 1 if i and docs[i - 1] == docs[i] else i for i in range(n)])
    nxt = np.array([i + 1 if i + 1 < n and docs[i + 1] == docs[i] else i for i in range(n)])
    doc_mean = np.zeros_like(unit_vec)
    for d in set(docs):
        rows = np.flatnonzero(docs == d)
        m = unit_vec[rows].mean(0)
        doc_mean[rows] = m / max(np.linalg.norm(m), 1e-12)
    ctx = np.hstack([unit_vec, unit_vec[prev], unit_vec[nxt], doc_mean])

    def member(name):
        """fit(train_idx) -> predict(idx) for one member."""
        if name == "tfidf":
            return lambda A, B: TfidfLinear().fit([texts[i] for i in A], Y[A], T).predict_proba([texts[i] for i in B])
        if name == "tfidf-mindf1":
            return lambda A, B: TfidfLinear(min_df=1).fit([texts[i] for i in A], Y[A], T).predict_proba([texts[i] for i in B])
        if name == "embedding":
            return lambda A, B: EmbeddingLinear().fit_features(unit_vec[A], Y[A], T).predict_proba_features(unit_vec[B])
        if name == "embedding-context":
            return lambda A, B: EmbeddingLinear(C=2.0).fit_features(ctx[A], Y[A], T).predict_proba_features(ctx[B])
        if name == "sentence":
            return lambda A, B: SentenceLinear().fit_features(F[A], Y[A], T, spans=[spans[i] for i in A]).predict_proba_features(F[B])
        if name == "sentence-nospans":
            return lambda A, B: SentenceLinear().fit_features(F[A], Y[A], T).predict_proba_features(F[B])
        raise KeyError(name)

    cache: dict[tuple[str, bytes], tuple[np.ndarray, np.ndarray]] = {}

    def scores(name, rows):
        """Out-of-fold scores on the training ``rows`` (5 folds grouped by author) and held-out scores."""
        key = (name, rows.tobytes())
        if key not in cache:
            fit_predict = member(name)
            P_oof = np.zeros((len(rows), len(T)))
            for A, B in cv_folds(len(rows), [ts.groups[i] for i in rows], 5, 0):
                P_oof[B] = fit_predict(rows[A], rows[B])
            cache[key] = (P_oof, fit_predict(rows, te))
        return cache[key]

    def evaluate(variant, rows=tr):
        parts = [scores(m, rows) for m in variant.split("+")]
        P_oof = sigmoid(np.mean([logit(p[0]) for p in parts], 0))
        P_te = sigmoid(np.mean([logit(p[1]) for p in parts], 0))
        cal = ThemeModel(None, T, dict.fromkeys(T, 0.5), "", calibration=fit_calibration(P_oof, Y[rows]))
        C_oof, C_te = cal.calibrate(P_oof), cal.calibrate(P_te)
        thr = choose_thresholds(C_oof, Y[rows])
        _, D_oof = document_max(C_oof, docs[rows])
        _, Yd_oof = document_max(Y[rows], docs[rows])
        dthr = choose_thresholds(D_oof, Yd_oof)
        _, D_te = document_max(C_te, docs[te])
        _, Yd_te = document_max(Y[te], docs[te])

        def f1(Yr, Yh):
            return precision_recall_f1(Yr.astype(int), Yh.astype(int), T)["macro"]["f1"]

        return {"units_cv": f1(Y[rows], C_oof >= thr), "units_heldout": f1(Y[te], C_te >= thr),
                "documents_cv": f1(Yd_oof, D_oof >= dthr), "documents_heldout_unit_thresholds": f1(Yd_te, D_te >= thr),
                "documents_heldout": f1(Yd_te, D_te >= dthr)}

    variants = ["embedding", "tfidf", "tfidf-mindf1", "sentence", "sentence-nospans", "embedding+tfidf",
                "sentence+tfidf", "sentence-nospans+tfidf", "sentence+embedding+tfidf",
                "embedding-context+tfidf-mindf1+sentence"]
    out = {}
    print(f"{'variant':42s} {'units CV':>9s} {'units held-out':>15s} {'docs CV':>8s} {'docs held-out':>14s} "
          f"{'(unit thresholds)':>18s}")
    for v in variants:
        r = evaluate(v)
        out[v] = r
        print(f"{v:42s} {r['units_cv']:9.3f} {r['units_heldout']:15.3f} {r['documents_cv']:8.3f} "
              f"{r['documents_heldout']:14.3f} {r['documents_heldout_unit_thresholds']:18.3f}", flush=True)
    # learning curve of the default's variant: a random share of the TRAIN reviews, 3 draws each
    curve = {}
    train_docs = sorted(set(docs[tr]))
    print("\nlearning curve, sentence+tfidf, held-out macro-F1 (mean of 3 draws of training reviews):")
    for share in (0.25, 0.5, 0.75, 1.0):
        runs = []
        for seed in range(3 if share < 1 else 1):
            rng = np.random.default_rng(seed)
            keep = set(rng.permutation(train_docs)[: int(round(share * len(train_docs)))])
            runs.append(evaluate("sentence+tfidf", np.array([i for i in tr if docs[i] in keep])))
        curve[share] = {k: float(np.mean([r[k] for r in runs])) for k in runs[0]}
        curve[share]["n_reviews"] = int(round(share * len(train_docs)))
        print(f"  {curve[share]['n_reviews']:4d} reviews: units {curve[share]['units_heldout']:.3f}, "
              f"reviews {curve[share]['documents_heldout']:.3f}", flush=True)
    machine = f"{platform.platform()}, {os.cpu_count()} CPUs"
    print(f"{time.perf_counter() - t0:.0f} s; machine: {machine}")
    if a.json:
        Path(a.json).write_text(json.dumps({"variants": out, "learning_curve": curve, "machine": machine,
                                            "n_train_units": int(len(tr)), "n_heldout_units": int(len(te))}, indent=1))


if __name__ == "__main__":
    main()
