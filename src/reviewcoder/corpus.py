"""A coded corpus on disk: documents plus each coder's codes, as the project's demo corpus keeps them.

Layout (``annotations/corpus/``)::

    documents.jsonl        {"id", "text", "meta": {"author", "split": "train"|"heldout", ...}} per line
    codes/<coder>.jsonl    one record per coded paragraph:
                           {"doc_id", "item": "<doc_id>#p<index>", "coder", "start", "end",
                            "themes": [...], "spans": [{"theme", "start", "end"}, ...]}

A record with ``"themes": []`` means the coder coded that paragraph and no theme applies.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .errors import InputError
from .records import Annotation, Completion, Document

__all__ = ["read_unit_codes", "unit_codes_to_records", "import_corpus", "is_corpus_folder", "is_unit_codes_file"]


def is_corpus_folder(path: Path) -> bool:
    return path.is_dir() and (path / "documents.jsonl").is_file()


def is_unit_codes_file(path: Path) -> bool:
    """A .jsonl whose first record has 'themes' (unit codes), rather than item/label/value (tidy long)."""
    if path.suffix.lower() != ".jsonl" or not path.is_file():
        return False
    with path.open(encoding="utf-8-sig") as fh:
        for line in fh:
            if line.strip():
                try:
                    return "themes" in json.loads(line)
                except (json.JSONDecodeError, TypeError):
                    return False
    return False


def read_unit_codes(path: str | Path) -> list[dict[str, Any]]:
    """Read a unit-codes JSONL file, checking every record. Errors name the file and line."""
    from .ingest import read_jsonl_objects

    records = []
    for where, r in read_jsonl_objects(path):
        for key in ("doc_id", "item", "coder", "themes"):
            if key not in r:
                raise InputError(f"{where} has no '{key}'; unit codes need doc_id, item, coder, themes")
        if not isinstance(r["themes"], list):
            raise InputError(f"{where}: 'themes' must be a list (empty when no theme applies)")
        r["_where"] = where
        records.append(r)
    return records


def unit_codes_to_records(records: list[dict[str, Any]], origin: str) -> tuple[list[Annotation], list[Completion]]:
    """Unit codes -> annotations (one per theme on the unit, plus one per evidence span) and completions."""
    annotations: list[Annotation] = []
    completions: list[Completion] = []
    for r in records:
        completions.append(Completion(doc_id=r["doc_id"], item=r["item"], coder=r["coder"], origin=origin))
        for theme in dict.fromkeys(r["themes"]):
            annotations.append(Annotation(doc_id=r["doc_id"], coder=r["coder"], theme=theme, item=r["item"], origin=origin))
        for span in r.get("spans") or []:
            try:
                annotations.append(Annotation(
                    doc_id=r["doc_id"], coder=r["coder"], theme=span["theme"], item=r["item"],
                    start=int(span["start"]), end=int(span["end"]), origin=origin))
            except (KeyError, TypeError, ValueError) as exc:
                raise InputError(f"{r['_where']}: a span needs theme, start and end ({exc}); fix that record") from None
    return annotations, completions


def import_corpus(store, folder: str | Path, codebook=None) -> dict[str, int]:
    """Load a corpus folder (documents and every coder's codes) into ``store`` in one transaction."""
    from .ingest import read_documents_report

    folder = Path(folder)
    docs, problems = read_documents_report(folder / "documents.jsonl")
    if problems:
        raise InputError(f"{len(problems)} document record(s) could not be read, first: {problems[0]}")
    texts = {d.id: d.text for d in docs}
    code_files = sorted((folder / "codes").glob("*.jsonl"))
    annotations: list[Annotation] = []
    completions: list[Completion] = []
    for file in code_files:
        records = read_unit_codes(file)
        for r in records:
            if r["doc_id"] not in texts:
                raise InputError(f"{r['_where']}: document {r['doc_id']!r} is not in {folder / 'documents.jsonl'}")
            for span in r.get("spans") or []:
                if not 0 <= int(span["start"]) <= int(span["end"]) <= len(texts[r["doc_id"]]):
                    raise InputError(f"{r['_where']}: span {span['start']}-{span['end']} is outside document {r['doc_id']!r}")
        if codebook is not None:
            codebook.check_labels((t for r in records for t in r["themes"]), str(file))
        a, c = unit_codes_to_records(records, origin=f"corpus:{file.name}")
        annotations += a
        completions += c
    with store.transaction():
        n_docs = store.add_documents(docs)
        n_ann = store.add_annotations(annotations)
        n_comp = store.add_completions(completions)
    return {"documents": n_docs, "annotations": n_ann, "completions": n_comp, "coders": len(code_files)}


def documents_by_split(docs: list[Document], split: str) -> list[Document]:
    return [d for d in docs if d.meta.get("split") == split]
