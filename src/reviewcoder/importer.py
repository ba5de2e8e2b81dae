"""One entry point for `reviewcoder import`: tell the input's kind from its shape and load it."""

from __future__ import annotations

from pathlib import Path

from .errors import InputError

__all__ = ["import_path"]


def import_path(path: str | Path, store_path=None, codebook_path=None, check_labels: bool = True) -> dict[str, int]:
    """Import a corpus folder, unit codes, tidy long codes, or reviews into the store at ``store_path``.

    - a folder with documents.jsonl (and codes/*.jsonl): the whole corpus;
    - a .jsonl whose records have "themes": one coder's unit codes;
    - a .csv/.jsonl with item, coder, label, value: tidy long codes;
    - otherwise (a folder of texts, .jsonl/.csv with id and text): documents.
    """
    from .codebook import load_codebook
    from .corpus import import_corpus, is_corpus_folder, is_unit_codes_file, read_unit_codes, unit_codes_to_records
    from .ingest import read_documents_report
    from .store import open_store

    path = Path(path)
    if not path.exists():
        raise InputError(f"{path} does not exist; give a corpus folder, an annotation file or reviews to import")
    codebook = load_codebook(codebook_path) if check_labels else None
    if is_corpus_folder(path):
        with open_store(store_path) as store:
            return import_corpus(store, path, codebook)
    if is_unit_codes_file(path):
        records = read_unit_codes(path)
        if codebook is not None:
            codebook.check_labels((t for r in records for t in r["themes"]), str(path))
        annotations, completions = unit_codes_to_records(records, origin=f"file:{path.name}")
        with open_store(store_path) as store, store.transaction():
            return {"annotations": store.add_annotations(annotations), "completions": store.add_completions(completions)}
    if path.is_file() and path.suffix.lower() in (".csv", ".jsonl") and _looks_long(path):
        with open_store(store_path) as store:
            counts = store.import_long(path, codebook=codebook if codebook_path is not None else None)
        return {"annotations": counts["annotations"], "completions": counts["completions"]}
    docs, problems = read_documents_report(path)
    if problems:
        raise InputError(f"{len(problems)} record(s) in {path} could not be read, first: {problems[0]}; fix them and "
                         "import again (nothing was imported)")
    with open_store(store_path) as store:
        return {"documents": store.add_documents(docs)}


def _looks_long(path: Path) -> bool:
    with path.open(encoding="utf-8-sig") as fh:
        first = fh.readline()
    return all(col in first for col in ("item", "coder", "label", "value"))
