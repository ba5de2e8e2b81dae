#!/usr/bin/env python
"""Speed and memory of `precode` against the bare encoder on the same texts, in one run.

Floor: the packaged MiniLM encoding every coding unit (paragraph of 8+ words) of the input documents
directly (batch 32, length-sorted batches, as precode's encoder does), nothing else. Then precode
(reading, segmentation into paragraphs and sentences, encoding every sentence once, scoring, evidence,
writing JSONL) over the same documents with the given model. Each measurement runs in its own
process so that peak memory (max RSS) is its own; the order alternates over ``--repeats`` rounds.

Usage:
  .venv/bin/python bench/bench_precode.py annotations/corpus/documents.jsonl [--model models/default] [--limit N]
      [--repeats 2] [--interleaved]

``--interleaved`` also times both in one process, alternating every 4 documents, so that both see
the same load when the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _units(path: str, limit: int | None) -> list[str]:
    from reviewcoder.ingest import read_documents
    from reviewcoder.precode import MIN_WORDS
    from reviewcoder.segment import segment_paragraphs

    docs = read_documents(path)[:limit]
    return [p.text for d in docs for p in segment_paragraphs(d) if len(p.text.split()) >= MIN_WORDS]


def run_encoder(path: str, limit: int | None) -> dict:
    from reviewcoder.encoder import load_encoder

    enc = load_encoder()
    units = _units(path, limit)
    enc.encode(units[:8])  # warm-up
    t0 = time.perf_counter()
    enc.encode(units, batch_size=32)
    dt = time.perf_counter() - t0
    return {"what": "bare encoder (paragraphs)", "units": len(units), "seconds": dt}


def run_precode(path: str, limit: int | None, model: str | None) -> dict:
    from reviewcoder.artifacts import load_model
    from reviewcoder.encoder import load_encoder
    from reviewcoder.precode import precode

    m = load_model(model)
    enc = load_encoder()
    enc.encode(["warm up"] * 8)
    src = path
    if limit:
        from reviewcoder.ingest import read_documents

        tmp = Path(tempfile.mkdtemp()) / "in.jsonl"
        tmp.write_text("".join(json.dumps({"id": d.id, "text": d.text}) + "\n" for d in read_documents(path)[:limit]))
        src = str(tmp)
    out = Path(tempfile.mkdtemp()) / "out.jsonl"
    t0 = time.perf_counter()
    rep = precode(src, out, model=m, resume=False)
    dt = time.perf_counter() - t0
    return {"what": f"precode ({m.model_id})", "units": rep.n_units, "sentences": rep.n_sentences,
            "documents": rep.n_written, "seconds": dt}


def run_interleaved(path: str, limit: int | None, model: str | None, chunk: int = 4) -> dict:
    """Both in one process, alternating every ``chunk`` documents, so both see the same machine load
    (on a shared machine, separate runs minutes apart can differ by 2x)."""
    from reviewcoder.artifacts import load_model
    from reviewcoder.encoder import load_encoder
    from reviewcoder.ingest import read_documents
    from reviewcoder.precode import MIN_WORDS, score_documents
    from reviewcoder.segment import segment_paragraphs

    m = load_model(model)
    enc = load_encoder()
    docs = read_documents(path)[:limit]
    enc.encode(["warm up"] * 8)
    score_documents(m, docs[:1])
    t_enc = t_pre = 0.0
    n_units = 0
    for lo in range(0, len(docs), chunk):
        part = docs[lo : lo + chunk]
        units = [p.text for d in part for p in segment_paragraphs(d) if len(p.text.split()) >= MIN_WORDS]
        n_units += len(units)
        order = [0, 1] if (lo // chunk) % 2 == 0 else [1, 0]
        for k in order:
            t0 = time.perf_counter()
            if k == 0:
                enc.encode(units, batch_size=32)
                t_enc += time.perf_counter() - t0
            else:
                # what precode does per batch: segment, encode sentences, score, evidence, JSON lines
                recs = score_documents(m, part)
                "".join(json.dumps(r) + "\n" for r in recs)
                t_pre += time.perf_counter() - t0
    return {"what": "interleaved", "units": n_units, "documents": len(docs), "encoder_units_per_s": n_units / t_enc,
            "precode_units_per_s": n_units / t_pre, "ratio": t_enc / t_pre, "model": m.model_id}


def child(kind: str, path: str, limit: int | None, model: str | None) -> None:
    if kind == "interleaved":
        print(json.dumps(run_interleaved(path, limit, model)))
        return
    res = run_encoder(path, limit) if kind == "encoder" else run_precode(path, limit, model)
    res["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(res))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("input")
    ap.add_argument("--model", default=None)
    ap.add_argument("--limit", type=int, default=None, help="first N documents only")
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--child", default=None)
    ap.add_argument("--interleaved", action="store_true", help="also time both alternately in one process")
    a = ap.parse_args()
    if a.child:
        child(a.child, a.input, a.limit, a.model)
        return
    if a.interleaved:
        res = run_interleaved(a.input, a.limit, a.model)
        print(json.dumps(res))
        print(f"interleaved: bare encoder {res['encoder_units_per_s']:.1f} paragraphs/s, precode "
              f"{res['precode_units_per_s']:.1f} paragraphs/s, precode / encoder = {res['ratio']:.2f}")
        if a.repeats == 0:
            return
    results = []
    for r in range(a.repeats):
        for kind in (("encoder", "precode") if r % 2 == 0 else ("precode", "encoder")):
            cmd = [sys.executable, __file__, a.input, "--child", kind] + (["--model", a.model] if a.model else []) + (
                ["--limit", str(a.limit)] if a.limit else [])
            out = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT).stdout.strip().splitlines()[-1]
            res = json.loads(out)
            res["units_per_s"] = res["units"] / res["seconds"]
            results.append(res)
            print(json.dumps(res), flush=True)
    enc = [x["units_per_s"] for x in results if x["what"].startswith("bare")]
    pre = [x["units_per_s"] for x in results if x["what"].startswith("precode")]
    best_e, best_p = max(enc), max(pre)
    print(f"\nmachine: {platform.platform()}, {os.cpu_count()} CPUs")
    print(f"bare encoder: {best_e:.1f} paragraphs/s (best of {len(enc)}), peak RSS "
          f"{max(x['peak_rss_mb'] for x in results if x['what'].startswith('bare')):.0f} MB")
    print(f"precode:      {best_p:.1f} paragraphs/s (best of {len(pre)}), peak RSS "
          f"{max(x['peak_rss_mb'] for x in results if x['what'].startswith('precode')):.0f} MB")
    print(f"precode / encoder = {best_p / best_e:.2f}")


if __name__ == "__main__":
    main()
