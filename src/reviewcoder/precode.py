"""Batch pre-coding: themes per review with the evidence excerpt for each, resumable, batched.

For every input record (a review or an excerpt) the model scores each paragraph; a document's score
for a theme is the highest score of its paragraphs, and its themes are those at or above each theme's
document threshold. The evidence for a theme is, in each paragraph at or above the theme's unit
threshold (best first, ``max_evidence`` at most; at least the best paragraph), the sentence that
scores highest for that theme, widened to the neighbouring sentences of the same paragraph that reach
the unit threshold too. With the frozen-encoder backends every sentence is encoded once and serves
both the paragraph's score (its best sentence's score for the sentence head, the token-weighted mean
of its sentence vectors for the paragraph head) and the evidence search; a document of any length is
handled through its units, never truncated.

Output (DESIGN.md, interface), one line per input record, in input order::

    {"id": ..., "themes": [...], "scores": {<every theme>: p}, "evidence": [{"theme", "start", "end",
     "text", "score"}], "model": <model id>, "codebook": <fingerprint>}

Resumable: lines go to ``<out>.partial`` as each batch of documents finishes, and the file is renamed
to ``<out>`` at the end. A killed run started again continues after the last complete line. Batches
are fixed by input position (the resumed batch is recomputed whole), so a resumed run writes exactly
what an uninterrupted one would.
"""

from __future__ import annotations

import csv
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from .classify.base import ThemeModel
from .classify.units import Units, paragraph_units
from .errors import InputError
from .records import Document, Suggestion

__all__ = ["precode", "suggest", "score_documents", "record_suggestions", "PrecodeReport", "FORMATS"]

FORMATS = ("jsonl", "csv")
SCORE_DECIMALS = 4
#: Paragraphs shorter than this are headings or titles, not coding units (as in the corpus).
MIN_WORDS = 8


@dataclass
class PrecodeReport:
    """What a precode run did. ``problems``: one line per skipped input record, naming it and why."""

    out_path: Path
    n_records: int = 0
    n_written: int = 0
    n_resumed: int = 0
    n_units: int = 0
    n_sentences: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)


def _evidence_span(units: Units, i: int, best: int, p_sent: np.ndarray, j: int, thr: float) -> tuple[int, int]:
    group = units.groups[i]
    pos = group.index(best)
    lo = hi = pos
    while lo > 0 and p_sent[group[lo - 1], j] >= thr:
        lo -= 1
    while hi < len(group) - 1 and p_sent[group[hi + 1], j] >= thr:
        hi += 1
    return units.sentences[group[lo]][0], units.sentences[group[hi]][1]


def _record(doc: Document, units: Units, p_par: np.ndarray, p_sent: np.ndarray, model: ThemeModel,
            max_evidence: int) -> dict[str, Any]:
    thr = model.threshold_array
    doc_thr = model.document_threshold_array
    n_t = len(model.theme_ids)
    doc_scores = p_par.max(axis=0) if len(p_par) else np.zeros(n_t)
    themes, evidence = [], []
    for j, theme in enumerate(model.theme_ids):
        if doc_scores[j] < doc_thr[j]:
            continue
        themes.append(theme)
        ranked = sorted((i for i in range(len(p_par)) if units.groups[i]), key=lambda i: (-p_par[i, j], i))
        # the paragraphs that reach the unit threshold; at least the best one, which carried the document
        flagged = [i for i in ranked if p_par[i, j] >= thr[j]] or ranked[:1]
        for i in flagged[:max_evidence]:
            group = units.groups[i]
            best = max(group, key=lambda s: (p_sent[s, j], -s))
            start, end = _evidence_span(units, i, best, p_sent, j, thr[j])
            evidence.append({"theme": theme, "start": int(start), "end": int(end), "text": doc.text[start:end],
                             "score": round(float(p_par[i, j]), SCORE_DECIMALS)})
    return {
        "id": doc.id,
        "themes": themes,
        "scores": {t: round(float(doc_scores[j]), SCORE_DECIMALS) for j, t in enumerate(model.theme_ids)},
        "evidence": evidence,
        "model": model.model_id,
        "codebook": model.codebook_fingerprint,
    }


def _drop_headings(units: Units, text: str, min_words: int) -> Units:
    """Leave out paragraphs under ``min_words`` words (titles, headings), unless that leaves nothing."""
    keep = [i for i, (a, b) in enumerate(units.paragraphs) if len(text[a:b].split()) >= min_words]
    if not keep or len(keep) == len(units.paragraphs):
        return units
    sentences: list[tuple[int, int]] = []
    groups: list[list[int]] = []
    for i in keep:
        groups.append(list(range(len(sentences), len(sentences) + len(units.groups[i]))))
        sentences += [units.sentences[s] for s in units.groups[i]]
    return Units(paragraphs=[units.paragraphs[i] for i in keep], sentences=sentences, groups=groups)


def score_documents(model: ThemeModel, docs: Sequence[Document], max_evidence: int = 3,
                    stats: PrecodeReport | None = None, min_words: int = MIN_WORDS) -> list[dict[str, Any]]:
    """Score ``docs`` together (one encoder pass over all their sentences); one output record each.

    Paragraphs under ``min_words`` words (titles, headings) are not scored, unless the document has
    nothing longer.
    """
    all_units: list[Units] = []
    par_texts: list[str] = []
    sent_texts: list[str] = []
    groups: list[list[int]] = []
    for doc in docs:
        u = _drop_headings(paragraph_units(doc), doc.text, min_words)
        all_units.append(u)
        offset = len(sent_texts)
        par_texts += [doc.text[a:b] for a, b in u.paragraphs]
        sent_texts += [doc.text[a:b] for a, b in u.sentences]
        groups += [[offset + s for s in g] for g in u.groups]
    n_t = len(model.theme_ids)
    if par_texts:
        P_par, P_sent = model.score_paragraphs(par_texts, sent_texts, groups)
    else:
        P_par, P_sent = np.zeros((0, n_t)), np.zeros((0, n_t))
    if stats is not None:
        stats.n_units += len(par_texts)
        stats.n_sentences += len(sent_texts)
    out = []
    p0 = s0 = 0
    for doc, u in zip(docs, all_units):
        n_p, n_s = len(u.paragraphs), len(u.sentences)
        out.append(_record(doc, u, P_par[p0 : p0 + n_p], P_sent[s0 : s0 + n_s], model, max_evidence))
        p0 += n_p
        s0 += n_s
    return out


def suggest(model: ThemeModel, text: str, max_evidence: int = 3) -> list[dict[str, Any]]:
    """Evidence for one text: ``[{"theme", "score", "start", "end", "text"}]`` for the themes at or above
    their thresholds (best first within each theme, themes in codebook order). Offsets index ``text``.
    An empty or blank text gives ``[]``."""
    if not isinstance(text, str) or not text.strip():
        return []
    rec = score_documents(model, [Document(id="text", text=text)], max_evidence=max_evidence)[0]
    return [{"theme": e["theme"], "score": e["score"], "start": e["start"], "end": e["end"], "text": e["text"]}
            for e in rec["evidence"]]


def record_suggestions(record: dict[str, Any]) -> list[Suggestion]:
    """A precode output record as Suggestion records (one per evidence span), for the store."""
    out = []
    for e in record["evidence"]:
        out.append(Suggestion(doc_id=record["id"], item=record["id"], theme=e["theme"], score=float(e["score"]),
                              start=int(e["start"]), end=int(e["end"]), model_id=record["model"],
                              codebook=record["codebook"]))
    return out


def _read_inputs(input_path: str | Path, report: PrecodeReport) -> list[Document]:
    from .ingest import Problem, iter_records

    docs: list[Document] = []
    seen: dict[str, int] = {}
    for n, item in enumerate(iter_records(input_path), start=1):
        report.n_records += 1
        if isinstance(item, Problem):
            report.problems.append(f"skipped {item}")
            continue
        if item.id in seen:
            report.problems.append(f"skipped record #{n}: id {item.id!r} repeats record #{seen[item.id]}; "
                                   "give each review a unique id (the first one was pre-coded)")
            continue
        seen[item.id] = n
        docs.append(item)
    return docs


def _resume_point(partial: Path, docs: Sequence[Document], model: ThemeModel) -> int:
    """How many leading lines of ``partial`` are complete and match the inputs and the model.

    Cuts a torn last line off the file. Raises InputError when the file was written for other inputs or
    another model (so it is never silently mixed)."""
    data = partial.read_bytes()
    keep = data.rfind(b"\n") + 1
    if keep != len(data):
        with open(partial, "r+b") as fh:
            fh.truncate(keep)
    n = 0
    for line in data[:keep].decode("utf-8").splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            raise InputError(f"{partial} line {n + 1} is not valid JSON; delete {partial} (or pass --no-resume) "
                             "to start again") from None
        if n >= len(docs) or rec.get("id") != docs[n].id:
            raise InputError(f"{partial} line {n + 1} is for id {rec.get('id')!r}, not {docs[n].id if n < len(docs) else 'nothing'!r}: "
                             "it was written for other input; delete it or pass --no-resume")
        if rec.get("model") != model.model_id:
            raise InputError(f"{partial} was written by model {rec.get('model')!r}, not {model.model_id!r}; "
                             "delete it or pass --no-resume")
        n += 1
    return n


def _write_csv(jsonl: Path, out: Path, theme_ids: Sequence[str]) -> None:
    tmp = out.with_name(out.name + ".tmp")
    with open(jsonl, encoding="utf-8") as src, open(tmp, "w", newline="", encoding="utf-8") as dst:
        w = csv.writer(dst)
        w.writerow(["id", "themes", *[f"score_{t}" for t in theme_ids], "evidence", "model", "codebook"])
        for line in src:
            r = json.loads(line)
            w.writerow([r["id"], ";".join(r["themes"]), *[r["scores"][t] for t in theme_ids],
                        json.dumps(r["evidence"], ensure_ascii=False), r["model"], r["codebook"]])
    os.replace(tmp, out)


def precode(
    input_path: str | Path,
    out_path: str | Path,
    model: ThemeModel | str | Path | None = None,
    fmt: str = "jsonl",
    batch_size: int = 32,
    resume: bool = True,
    docs_per_batch: int = 16,
    max_evidence: int = 3,
    progress: Callable[[int, int], None] | None = None,
) -> PrecodeReport:
    """Pre-code every review in ``input_path`` into ``out_path`` (DESIGN.md format).

    ``model``: a ThemeModel, a model folder, or None for the embedded default. ``fmt``: "jsonl" or
    "csv". ``batch_size``: sentences per encoder call. ``docs_per_batch``: documents scored (and
    written) together. ``progress(done, total)`` is called after each batch with document counts.
    Records that cannot be read (empty, binary, repeated id) are skipped and listed in
    ``report.problems``; the rest are still pre-coded.
    """
    if fmt not in FORMATS:
        raise InputError(f"Output format {fmt!r} is not one of {', '.join(FORMATS)}; use --format jsonl or csv")
    t0 = time.perf_counter()
    if not isinstance(model, ThemeModel):
        from .artifacts import load_model

        model = load_model(model)
    out = Path(out_path)
    if out.is_dir():
        raise InputError(f"Output {out} is a folder; give a file name such as {out / 'precoded.jsonl'}")
    report = PrecodeReport(out_path=out)
    docs = _read_inputs(input_path, report)
    clf = model.classifier
    if hasattr(clf, "batch_size"):
        clf.batch_size = int(batch_size)
    partial = out.with_name(out.name + ".partial")
    out.parent.mkdir(parents=True, exist_ok=True)
    done = 0
    if resume and partial.is_file():
        done = _resume_point(partial, docs, model)
    elif partial.exists():
        partial.unlink()
    report.n_resumed = done
    if progress is not None:
        progress(done, len(docs))
    first = (done // docs_per_batch) * docs_per_batch
    with open(partial, "a", encoding="utf-8") as fh:
        for lo in range(first, len(docs), docs_per_batch):
            chunk = docs[lo : lo + docs_per_batch]
            records = score_documents(model, chunk, max_evidence=max_evidence, stats=report)
            for k, rec in enumerate(records):
                if lo + k < done:
                    continue
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
                report.n_written += 1
            fh.flush()
            os.fsync(fh.fileno())
            if progress is not None:
                progress(min(lo + docs_per_batch, len(docs)), len(docs))
    if fmt == "jsonl":
        os.replace(partial, out)
    else:
        _write_csv(partial, out, model.theme_ids)
        partial.unlink()
    report.seconds = time.perf_counter() - t0
    return report


def iter_precoded(path: str | Path) -> Iterable[dict[str, Any]]:
    """Read a precode JSONL output back, one record at a time."""
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)
