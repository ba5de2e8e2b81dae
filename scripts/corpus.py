#!/usr/bin/env python
"""Build the demo corpus in annotations/corpus/ from the authors' raw texts and the coders' work.

Steps (each reproducible from what is committed):
  documents   annotations/raw/<author>/*.txt + authors.json -> annotations/corpus/documents.jsonl
  batches     the coding units (body paragraphs) -> annotations/coding/batches/<n>.md for coders
  codes       annotations/coding/<coder>/*.jsonl (coders' answers: unit, themes, evidence phrases)
              -> annotations/corpus/codes/<coder>.jsonl with exact offsets
  consensus   coder_a + coder_b agreements, plus the adjudicator's rulings on every disagreement
              -> annotations/corpus/codes/consensus.jsonl

Usage: python scripts/corpus.py documents|batches|codes|consensus
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from reviewcoder.ingest import normalise_text  # noqa: E402
from reviewcoder.records import Document  # noqa: E402
from reviewcoder.segment import segment_paragraphs  # noqa: E402

RAW = ROOT / "annotations" / "raw"
CORPUS = ROOT / "annotations" / "corpus"
CODING = ROOT / "annotations" / "coding"
MIN_WORDS = 8  # shorter paragraphs are titles, headings and attendance lines: not coding units


def load_authors() -> dict:
    return json.loads((RAW / "authors.json").read_text(encoding="utf-8"))


def read_documents() -> list[Document]:
    docs = []
    for line in (CORPUS / "documents.jsonl").read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        docs.append(Document(r["id"], r["text"], r["meta"]))
    return docs


def units(doc: Document):
    """The coding units of a document: its paragraphs of MIN_WORDS words or more."""
    return [p for p in segment_paragraphs(doc) if len(p.text.split()) >= MIN_WORDS]


def cmd_documents() -> None:
    authors = load_authors()
    CORPUS.mkdir(parents=True, exist_ok=True)
    rows = []
    for author_id, info in sorted(authors.items()):
        plans = {}
        plan_file = RAW / author_id / "plan.jsonl"
        if plan_file.exists():
            for line in plan_file.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    p = json.loads(line)
                    plans[p["id"]] = p
        for path in sorted((RAW / author_id).glob("*.txt")):
            text = normalise_text(path.read_text(encoding="utf-8")).strip() + "\n"
            plan = plans.get(path.stem, {})
            meta = {"author": author_id, "author_role": info["role"], "split": info["split"],
                    "title": text.split("\n", 1)[0], "case": plan.get("case", ""), "child_age": plan.get("child_age", "")}
            rows.append({"id": path.stem, "text": text, "meta": meta})
    with (CORPUS / "documents.jsonl").open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    n_units = sum(len(units(Document(r["id"], r["text"]))) for r in rows)
    print(f"{len(rows)} documents, {n_units} coding units -> {CORPUS / 'documents.jsonl'}")


def cmd_batches(n_batches: int = 4) -> None:
    docs = read_documents()
    out = CODING / "batches"
    out.mkdir(parents=True, exist_ok=True)
    # Interleave authors so every batch holds every voice; deterministic.
    docs = sorted(docs, key=lambda d: (int(d.id.rsplit("-", 1)[1]), d.id))
    batches = [docs[i::n_batches] for i in range(n_batches)]
    for i, batch in enumerate(batches, start=1):
        lines = [f"# Coding batch {i}: {len(batch)} documents\n"]
        n = 0
        for doc in batch:
            coded = {p.index for p in units(doc)}
            lines.append(f"\n## DOCUMENT {doc.id}\n")
            for p in segment_paragraphs(doc):
                if p.index in coded:
                    lines.append(f"[{p.unit_id}] {p.text}\n")
                    n += 1
                else:
                    lines.append(f"(heading, not coded) {p.text}\n")
        (out / f"batch{i}.md").write_text("\n".join(lines), encoding="utf-8")
        print(f"batch{i}.md: {len(batch)} documents, {n} units")


def _find(phrase: str, text: str) -> tuple[int, int] | None:
    """Offsets of an evidence phrase in a paragraph: exact, then ignoring case and runs of white space."""
    phrase = phrase.strip().strip('"“”')
    if not phrase:
        return None
    at = text.find(phrase)
    if at >= 0:
        return at, at + len(phrase)
    pattern = r"\s+".join(re.escape(w) for w in phrase.split())
    m = re.search(pattern, text, flags=re.IGNORECASE)
    return (m.start(), m.end()) if m else None


def cmd_codes() -> None:
    docs = {d.id: d for d in read_documents()}
    unit_index = {p.unit_id: (doc, p) for doc in docs.values() for p in units(doc)}
    (CORPUS / "codes").mkdir(parents=True, exist_ok=True)
    from reviewcoder.codebook import default_codebook

    theme_ids = set(default_codebook().theme_ids)
    for coder_dir in sorted(p for p in CODING.iterdir() if p.is_dir() and p.name != "batches"):
        coder = coder_dir.name
        records, missing_spans, seen = {}, 0, set()
        for file in sorted(coder_dir.glob("*.jsonl")):
            for lineno, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
                if not line.strip():
                    continue
                r = json.loads(line)
                unit = r["unit"]
                if unit not in unit_index:
                    raise SystemExit(f"{file} line {lineno}: unknown unit {unit!r}")
                unknown = set(r["themes"]) - theme_ids
                if unknown:
                    raise SystemExit(f"{file} line {lineno}: unknown themes {sorted(unknown)}")
                doc, p = unit_index[unit]
                spans = []
                for theme, phrase in (r.get("evidence") or {}).items():
                    if theme not in r["themes"]:
                        continue
                    found = _find(phrase, p.text)
                    if found is None:
                        missing_spans += 1
                        continue
                    spans.append({"theme": theme, "start": p.start + found[0], "end": p.start + found[1]})
                records[unit] = {"doc_id": doc.id, "item": unit, "coder": coder, "start": p.start, "end": p.end,
                                 "themes": sorted(set(r["themes"])), "spans": spans}
                seen.add(unit)
        ordered = [records[u] for u in unit_index if u in records]
        with (CORPUS / "codes" / f"{coder}.jsonl").open("w", encoding="utf-8") as fh:
            for r in ordered:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
        print(f"{coder}: {len(ordered)} of {len(unit_index)} units coded, "
              f"{sum(bool(r['spans']) for r in ordered)} with spans, {missing_spans} evidence phrases not found")


def _load_codes(coder: str) -> dict[str, dict]:
    path = CORPUS / "codes" / f"{coder}.jsonl"
    return {r["item"]: r for r in map(json.loads, path.read_text(encoding="utf-8").splitlines())}


def cmd_disagreements() -> None:
    """Write the cells coder_a and coder_b disagree on, for the adjudicator (who sees both, blind to who is who)."""
    a, b = _load_codes("coder_a"), _load_codes("coder_b")
    docs = {d.id: d for d in read_documents()}
    out = CODING / "adjudication"
    out.mkdir(parents=True, exist_ok=True)
    lines, n = [], 0
    for unit in a:
        if unit not in b:
            continue
        diff = sorted(set(a[unit]["themes"]) ^ set(b[unit]["themes"]))
        if diff:
            doc = docs[a[unit]["doc_id"]]
            lines.append(json.dumps({"unit": unit, "text": doc.text[a[unit]["start"]:a[unit]["end"]],
                                     "agreed": sorted(set(a[unit]["themes"]) & set(b[unit]["themes"])),
                                     "disputed": diff}, ensure_ascii=False))
            n += 1
    (out / "disputed.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{n} units with disputed themes -> {out / 'disputed.jsonl'}")


def cmd_consensus() -> None:
    """Consensus = themes both coders applied + disputed themes the adjudicator upheld.

    Spans: the agreed coders' spans for the theme (coder_a's first, then coder_b's)."""
    a, b = _load_codes("coder_a"), _load_codes("coder_b")
    rulings = {}
    for rfile in sorted((CODING / "adjudication").glob("rulings*.jsonl")):
        for line in rfile.read_text(encoding="utf-8").splitlines():
            if line.strip():
                r = json.loads(line)
                rulings[r["unit"]] = set(r["upheld"])
    out = []
    unresolved = 0
    for unit, ra in a.items():
        if unit not in b:
            continue
        rb = b[unit]
        agreed = set(ra["themes"]) & set(rb["themes"])
        disputed = set(ra["themes"]) ^ set(rb["themes"])
        if disputed and unit not in rulings:
            unresolved += 1
        themes = agreed | (disputed & rulings.get(unit, set()))
        spans = []
        for theme in sorted(themes):
            for r in (ra, rb):
                picked = [s for s in r["spans"] if s["theme"] == theme]
                if picked:
                    spans.append(picked[0])
                    break
        out.append({**ra, "coder": "consensus", "themes": sorted(themes), "spans": spans})
    with (CORPUS / "codes" / "consensus.jsonl").open("w", encoding="utf-8") as fh:
        for r in out:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"consensus: {len(out)} units ({unresolved} with disputes but no ruling: kept only the agreed themes)")


def cmd_report() -> None:
    """The figures in annotations/README.md, computed through reviewcoder itself from the committed corpus."""
    import collections

    import numpy as np

    from reviewcoder.codebook import default_codebook
    from reviewcoder.corpus import import_corpus
    from reviewcoder.evaluate import multilabel_agreement
    from reviewcoder.labels import reliability_data
    from reviewcoder.store import AnnotationStore

    cb = default_codebook()
    with AnnotationStore(":memory:") as store:
        counts = import_corpus(store, CORPUS, cb)
        docs = store.documents()
        anns, comps = store.annotations(), store.completions()
    authors = collections.Counter((d.meta["author"], d.meta["author_role"], d.meta["split"]) for d in docs)
    units = sorted({c.item for c in comps})
    n_paragraphs = sum(len(segment_paragraphs(d)) for d in docs)
    print(f"Imported: {counts}\n")
    print(f"{len(docs)} documents; {n_paragraphs} paragraphs in all (headings and titles included); "
          f"{len(units)} coding units (paragraphs of {MIN_WORDS}+ words), each coded by coder_a and coder_b; "
          f"spans: coder_a {sum(1 for a in anns if a.coder == 'coder_a' and a.start is not None)}, "
          f"coder_b {sum(1 for a in anns if a.coder == 'coder_b' and a.start is not None)} evidence spans on "
          f"{len({a.item for a in anns if a.start is not None and a.coder != 'consensus'})} units\n")
    print("| author | role | split | documents |\n|---|---|---|---|")
    for (author, role, split), n in sorted(authors.items()):
        print(f"| {author} | {role} | {split} | {n} |")
    by_doc = {d.id: d for d in docs}
    cons = [a for a in anns if a.coder == "consensus" and a.start is None]
    no_theme = len(units) - len({a.item for a in cons})
    print(f"\nUnits with no consensus theme: {no_theme} of {len(units)} ({no_theme / len(units):.0%})\n")
    print("| theme | units (consensus) | documents (consensus) | share of documents | units coder_a | units coder_b |")
    print("|---|---|---|---|---|---|")
    for t in cb.theme_ids:
        u = {a.item for a in cons if a.theme == t}
        d = {by_doc[a.doc_id].id for a in cons if a.theme == t}
        ua = len({a.item for a in anns if a.coder == "coder_a" and a.theme == t and a.start is None})
        ub = len({a.item for a in anns if a.coder == "coder_b" and a.theme == t and a.start is None})
        print(f"| {t} | {len(u)} | {len(d)} | {len(d) / len(docs):.0%} | {ua} | {ub} |")
    humans = [a for a in anns if a.coder in ("coder_a", "coder_b")]
    hcomps = [c for c in comps if c.coder in ("coder_a", "coder_b")]
    for level in ("unit", "document"):
        R3 = []
        for t in cb.theme_ids:
            R, coders, items = reliability_data(humans, hcomps, t, level=level)
            R3.append(R)
        res = multilabel_agreement(np.stack(R3), coders, cb.theme_ids, n_boot=1000, seed=0)
        print(f"\nAgreement coder_a vs coder_b, {level} level ({res.n_units} {level}s), "
              "Krippendorff's alpha (nominal) with 95% bootstrap interval over units, Cohen's kappa, percent agreement:\n")
        print("| theme | alpha | 95% CI | kappa | % agree |\n|---|---|---|---|---|")
        for t in cb.theme_ids:
            r = res.themes[t]
            lo, hi = r.ci["krippendorff_alpha"]
            kappa = next(iter(r.cohen_kappa.values()))
            print(f"| {t} | {r.krippendorff_alpha:.3f} | [{lo:.3f}, {hi:.3f}] | {kappa:.3f} | {r.percent_agreement:.1%} |")
        s, ci = res.summary, res.summary_ci
        pooled = ci.get("pooled_krippendorff_alpha") or [float("nan")] * 2
        print(f"| pooled over themes | {s['pooled_krippendorff_alpha']:.3f} | [{pooled[0]:.3f}, {pooled[1]:.3f}] | | |")


if __name__ == "__main__":
    commands = {"documents": cmd_documents, "batches": cmd_batches, "codes": cmd_codes,
                "disagreements": cmd_disagreements, "consensus": cmd_consensus, "report": cmd_report}
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        raise SystemExit(__doc__)
    commands[sys.argv[1]]()
