#!/usr/bin/env python
"""Classifier quality per backend and per theme, training time and peak memory.

Two benchmarks:

``corpus``: the project's corpus (annotations/corpus). Train each backend on the TRAIN authors'
consensus codes (cross-validation grouped by author for calibration and thresholds), evaluate on the
HELD-OUT authors' units against the consensus: macro-F1, per-theme F1, and agreement with the
consensus (Krippendorff's alpha, mean over themes) beside each coder's own agreement with it on the
same units. Each backend runs in its own process (peak RSS is its own).

``exam``: ../shared/data/exam_proctoring_qual (USENIX 2023 exam-proctoring survey answers, top-level
codes with 5+ primary positives, questions N3, N4, Q5), as a check that nothing is tied to the Panel's
themes. 5-fold cross-validation (outer), each fold trained by ``train_model`` with its own inner
cross-validation for thresholds; primary coder as reference; the secondary coder's F1 on the answers
they coded, beside the model's on the same answers. The data are read in place, never copied.

Usage:
  .venv/bin/python bench/bench_classify.py corpus [--backends embedding,tfidf,zeroshot,finetune] [--json out.json]
  .venv/bin/python bench/bench_classify.py exam   [--backends ...] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

SPECS = {
    "ensemble": ("ensemble.v1", {}),
    "tfidf": ("tfidf-linear.v1", {}),
    "embedding": ("embedding-linear.v1", {}),
    "sentence": ("sentence-linear.v1", {}),
    "ensemble-embedding": ("ensemble.v1", {"members": [{"backend": "embedding-linear.v1", "params": {}},
                                                       {"backend": "tfidf-linear.v1", "params": {}}]}),
    "embedding-textpool": ("embedding-linear.v1", {"pooling": "text"}),
    "embedding-prior": ("embedding-linear.v1", {"prior_weight": 1.0}),
    "embedding-C1": ("embedding-linear.v1", {"C": 1.0}),
    "embedding-C16": ("embedding-linear.v1", {"C": 16.0}),
    "zeroshot": ("zeroshot.v1", {}),
    "finetune": ("finetune.v1", {}),
}


def corpus_one(spec: str, corpus: Path, folds: int, coder: str = "consensus") -> dict:
    from reviewcoder.classify import train_model
    from reviewcoder.classify.data import build_training_set, read_coded
    from reviewcoder.classify.heldout import evaluate_split
    from reviewcoder.codebook import default_codebook

    backend, params = SPECS[spec]
    cb = default_codebook()
    docs, anns, comps = read_coded(corpus)
    ts = build_training_set(docs, anns, comps, cb.theme_ids, coder=coder, split="train")
    t0 = time.perf_counter()
    n_folds = 0 if spec == "zeroshot" else (3 if spec == "finetune" else folds)
    if spec == "zeroshot":
        model = train_model([], None, cb.theme_ids, backend=backend, params=params, codebook=cb, n_folds=0)
    else:
        model = train_model(ts.texts, ts.Y, cb.theme_ids, backend=backend, params=params, groups=ts.groups,
                            documents=ts.doc_ids, spans=ts.spans, n_folds=n_folds, codebook=cb)
    train_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    held = evaluate_split(model, docs, anns, comps, cb, split="heldout", coder=coder)
    eval_s = time.perf_counter() - t0
    return {"evidence": evidence_hits(model, docs, anns, coder), "spec": spec, "backend": backend, "params": params, "n_train_units": len(ts.texts),
            "train_seconds": train_s, "heldout_seconds": eval_s, "heldout": held,
            "cv": model.meta.get("cv"), "cv_document": model.meta.get("cv_document"),
            "thresholds": model.thresholds, "document_thresholds": model.document_thresholds}


def evidence_hits(model, docs, anns, coder: str) -> dict:
    """Pre-code the held-out reviews as precode does; the share of evidence excerpts that overlap a span
    the reference coder marked for the same theme in the same review (among all excerpts, and among
    those for themes the coder also gave the review)."""
    from reviewcoder.precode import score_documents

    held = [d for d in docs if d.meta.get("split") == "heldout"]
    marked: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for a in anns:
        if a.coder == coder and a.start is not None:
            marked.setdefault((a.doc_id, a.theme), []).append((a.start, a.end))
    n = hit = n_agreed = hit_agreed = 0
    for rec in score_documents(model, held):
        for e in rec["evidence"]:
            spans = marked.get((rec["id"], e["theme"]), [])
            h = any(e["start"] < b and a < e["end"] for a, b in spans)
            n += 1
            hit += h
            if spans:
                n_agreed += 1
                hit_agreed += h
    return {"n_excerpts": n, "hit_rate": hit / n if n else None,
            "n_excerpts_agreed_themes": n_agreed, "hit_rate_agreed_themes": hit_agreed / n_agreed if n_agreed else None}


def exam_one(spec: str, questions: list[str], folds: int) -> dict:
    from exam_data import load_question

    from reviewcoder.classify import train_model
    from reviewcoder.classify.training import cv_folds
    from reviewcoder.codebook import codebook_from_dict
    from reviewcoder.evaluate.metrics import precision_recall_f1

    backend, params = SPECS[spec]
    out = {"spec": spec, "questions": {}}
    t_all = time.perf_counter()
    for key in questions:
        q = load_question(key)
        ids = [c.lower().replace("'", "") for c in q.codes]
        cb = codebook_from_dict({"id": f"exam-{key}", "themes": [
            {"id": i, "name": c.replace("_", " "), "kind": "case_feature", "definition": c.replace("_", " ") + "."}
            for i, c in zip(ids, q.codes)]})
        Yhat = np.zeros_like(q.Y)
        for tr, te in cv_folds(len(q.texts), None, folds, 0):
            if spec == "zeroshot":
                m = train_model([], None, ids, backend=backend, codebook=cb, n_folds=0)
            else:
                m = train_model([q.texts[i] for i in tr], q.Y[tr], ids, backend=backend, params=params, codebook=cb,
                                n_folds=3 if spec == "finetune" else 5)
            Yhat[te] = m.predict([q.texts[i] for i in te])
        r = precision_recall_f1(q.Y, Yhat, ids)
        c = q.coded2
        rm = precision_recall_f1(q.Y[c], Yhat[c], ids)
        rh = precision_recall_f1(q.Y[c], q.Y2[c], ids)
        out["questions"][key] = {
            "n": len(q.texts), "n_codes": len(ids), "n_second_coded": int(c.sum()),
            "macro_f1": r["macro"]["f1"], "micro_f1": r["micro"]["f1"],
            "model_micro_f1_on_second_coded": rm["micro"]["f1"], "coder2_micro_f1": rh["micro"]["f1"],
            "model_macro_f1_on_second_coded": rm["macro"]["f1"], "coder2_macro_f1": rh["macro"]["f1"],
            "per_code": {t: d["f1"] for t, d in r["per_theme"].items()},
        }
    out["seconds"] = time.perf_counter() - t_all
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("which", choices=["corpus", "exam"])
    ap.add_argument("--backends", default="tfidf,embedding,embedding-textpool,zeroshot")
    ap.add_argument("--corpus", default=str(ROOT / "annotations" / "corpus"))
    ap.add_argument("--questions", default="N3,N4,Q5")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--coder", default="consensus", help="reference coder for the corpus benchmark")
    ap.add_argument("--json", default=None)
    ap.add_argument("--child", default=None)
    a = ap.parse_args()
    if a.child:
        res = (corpus_one(a.child, Path(a.corpus), a.folds, a.coder) if a.which == "corpus"
               else exam_one(a.child, a.questions.split(","), a.folds))
        res["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(res))
        return
    results = []
    for spec in a.backends.split(","):
        cmd = [sys.executable, __file__, a.which, "--child", spec, "--corpus", a.corpus, "--questions", a.questions,
               "--folds", str(a.folds), "--coder", a.coder]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        if proc.returncode != 0:
            print(f"{spec} failed:\n{proc.stderr[-3000:]}", file=sys.stderr)
            continue
        res = json.loads(proc.stdout.strip().splitlines()[-1])
        results.append(res)
        if a.which == "corpus":
            h = res["heldout"]
            ag = h["agreement"]
            d = h["document"]
            print(f"{spec:20s} held-out units: macro-F1 {h['macro_f1']:.3f} micro-F1 {h['micro_f1']:.3f} "
                  f"alpha(model,{a.coder}) {ag[f'model vs {a.coder}']['alpha']:.3f} | documents: macro-F1 "
                  f"{d['macro_f1']:.3f} alpha {d['agreement'][f'model vs {a.coder}']['alpha']:.3f} | "
                  f"CV units {res['cv']['macro_f1'] if res['cv'] else float('nan'):.3f} | evidence on a coded span "
                  f"{res['evidence']['hit_rate_agreed_themes'] or 0:.3f} | train {res['train_seconds']:.0f}s "
                  f"peak {res['peak_rss_mb']:.0f} MB", flush=True)
        else:
            for k, q in res["questions"].items():
                print(f"{spec:20s} {k}: macro-F1 {q['macro_f1']:.3f} micro-F1 {q['micro_f1']:.3f} | on the "
                      f"{q['n_second_coded']} second-coded answers: model micro-F1 {q['model_micro_f1_on_second_coded']:.3f}, "
                      f"coder 2 {q['coder2_micro_f1']:.3f}", flush=True)
            print(f"{spec:20s} {res['seconds']:.0f}s, peak {res['peak_rss_mb']:.0f} MB", flush=True)
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs")
    if a.json:
        Path(a.json).write_text(json.dumps({"which": a.which, "results": results,
                                            "machine": f"{platform.platform()}, {os.cpu_count()} CPUs"}, indent=1))


if __name__ == "__main__":
    main()
