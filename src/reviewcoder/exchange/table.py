"""The analyst table: one row per review x theme x coder, with the evidence excerpt, score and coder, as a
CSV that opens cleanly in a spreadsheet (UTF-8 with BOM, one line per row, no formulas).

Rows come from human codes (the store) and from model pre-coding (precode output), side by side.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Iterable

from ..codebook import Codebook
from ..errors import InputError
from ..records import Annotation, Document
from ..writing import atomic_writer
from .units import span_of, unit_spans

__all__ = ["analyst_rows", "prediction_rows", "write_analyst_table", "TABLE_COLUMNS"]

TABLE_COLUMNS = ("review", "title", "theme", "theme_name", "kind", "coder", "source", "units", "score",
                 "evidence", "start", "end")
MAX_EXCERPT = 400


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_EXCERPT else text[: MAX_EXCERPT - 1] + "…"


def analyst_rows(codebook: Codebook, documents: Iterable[Document], annotations: Iterable[Annotation]) -> list[dict[str, Any]]:
    """Human codes as table rows: per review x theme x coder, the number of units coded and the first evidence
    (a span if the coder marked one, else the first unit)."""
    docs = {d.id: d for d in documents}
    groups: dict[tuple[str, str, str], list[Annotation]] = {}
    for a in annotations:
        if a.theme in codebook and a.doc_id in docs and str(a.value).lower() not in ("0", "no", "false"):
            groups.setdefault((a.doc_id, a.theme, a.coder), []).append(a)
    rows = []
    for (doc_id, theme_id, coder), anns in sorted(groups.items()):
        doc, theme = docs[doc_id], codebook[theme_id]
        spans = unit_spans(doc)
        best = sorted(anns, key=lambda a: (a.start is None, a.start or 0, a.item))[0]
        where = span_of(best, spans) or (0, 0)
        rows.append({"review": doc_id, "title": str(doc.meta.get("title", ""))[:120], "theme": theme_id,
                     "theme_name": theme.name, "kind": theme.kind, "coder": coder, "source": anns[0].source,
                     "units": len({a.item for a in anns}), "score": "", "evidence": _excerpt(doc.text[where[0]:where[1]]),
                     "start": where[0], "end": where[1]})
    return rows


def prediction_rows(codebook: Codebook, precode_jsonl: str | Path) -> list[dict[str, Any]]:
    """Model pre-coding (the precode JSONL) as table rows: per review x theme in ``themes``, the best evidence."""
    rows = []
    from ..ingest import read_jsonl_objects

    for where, r in read_jsonl_objects(precode_jsonl, fix="is it a precode output file?"):
        if "id" not in r:
            raise InputError(f"{where} has no 'id'; is it a precode output file?")
        for theme_id in r.get("themes", []):
            if theme_id not in codebook:
                continue
            evidence = sorted((e for e in r.get("evidence", []) if e.get("theme") == theme_id),
                              key=lambda e: -float(e.get("score", 0)))
            best = evidence[0] if evidence else {}
            theme = codebook[theme_id]
            rows.append({"review": r["id"], "title": "", "theme": theme_id, "theme_name": theme.name,
                         "kind": theme.kind, "coder": f"model:{r.get('model', '')}", "source": "model",
                         "units": len(evidence), "score": round(float(r.get("scores", {}).get(theme_id, 0.0)), 3),
                         "evidence": _excerpt(best.get("text", "")), "start": best.get("start", ""),
                         "end": best.get("end", "")})
    return rows


def _safe_cell(value: Any) -> Any:
    # A cell starting with = + - @ would run as a formula in Excel or LibreOffice.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def write_analyst_table(path: str | Path, rows: list[dict[str, Any]]) -> Path:
    """Write rows as a spreadsheet-friendly CSV (UTF-8 with BOM), atomically."""
    with atomic_writer(path, encoding="utf-8-sig") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(TABLE_COLUMNS), extrasaction="ignore", lineterminator="\r\n")
        writer.writeheader()
        for r in rows:
            writer.writerow({k: _safe_cell(r.get(k, "")) for k in TABLE_COLUMNS})
    return Path(path)
