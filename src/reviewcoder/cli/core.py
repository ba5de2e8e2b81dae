"""Commands for the codebook, reading and segmenting reviews, and the store's import/export."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from .common import STORE_HELP, echo, guarded, warn


def register(app: typer.Typer) -> None:
    codebook_app = typer.Typer(help="Show and check codebooks.", no_args_is_help=True)
    app.add_typer(codebook_app, name="codebook")

    @codebook_app.command("show")
    @guarded
    def codebook_show(
        file: Optional[Path] = typer.Argument(None, help="Codebook YAML; default: the embedded panel-2018-19."),
        full: bool = typer.Option(False, "--full", help="Also print definitions and include/exclude guidance."),
    ) -> None:
        """Print a codebook as a table (validating it on the way).

        Example: reviewcoder codebook show my-codebook.yaml --full
        """
        from ..codebook import load_codebook

        cb = load_codebook(file)
        echo(f"{cb.name}\nid {cb.id}  version {cb.version}  fingerprint {cb.fingerprint()}  unit {cb.unit}\n")
        width = max(len(t.id) for t in cb.themes)
        echo(f"{'id'.ljust(width)}  {'kind'.ljust(16)}  name")
        echo(f"{'-' * width}  {'-' * 16}  {'-' * 40}")
        for t in cb.themes:
            echo(f"{t.id.ljust(width)}  {t.kind.ljust(16)}  {t.name}")
            if full:
                echo(f"{' ' * width}  definition: {t.definition}")
                for line in t.include:
                    echo(f"{' ' * width}  + {line}")
                for line in t.exclude:
                    echo(f"{' ' * width}  - {line}")
                echo()

    @app.command("segment")
    @guarded
    def segment(
        input: Path = typer.Argument(..., help="Folder of .txt/.md/.docx/.pdf, a .jsonl or a .csv of reviews."),
        out: Path = typer.Option(..., "--out", "-o", help="Output JSONL: one line per segment."),
        level: str = typer.Option("paragraph", help="paragraph or sentence."),
    ) -> None:
        """Split reviews into paragraphs or sentences with exact character offsets.

        Example: reviewcoder segment samples/reviews --out segments.jsonl --level sentence
        """
        from ..errors import InputError
        from ..ingest import read_documents_report
        from ..segment import segment_paragraphs, segment_sentences
        from ..writing import atomic_writer

        if level not in ("paragraph", "sentence"):
            raise InputError(f"--level must be paragraph or sentence, not {level!r}")
        docs, problems = read_documents_report(input)
        for p in problems:
            warn(f"skipped {p}")
        n = 0
        with atomic_writer(out) as fh:
            for doc in docs:
                segs = segment_paragraphs(doc) if level == "paragraph" else segment_sentences(doc)
                for s in segs:
                    fh.write(json.dumps({"doc_id": s.doc_id, "unit": s.unit_id, "kind": s.kind, "index": s.index,
                                         "start": s.start, "end": s.end, "text": s.text}, ensure_ascii=False) + "\n")
                    n += 1
        echo(f"{len(docs)} documents -> {n} {level}s in {out}" + (f" ({len(problems)} skipped)" if problems else ""))

    @app.command("import")
    @guarded
    def import_(
        path: Path = typer.Argument(..., help="A corpus folder (documents.jsonl + codes/), tidy long .csv/.jsonl, "
                                               "unit codes .jsonl, or reviews (.jsonl/.csv/folder of texts)."),
        store: Optional[Path] = typer.Option(None, "--store", help=STORE_HELP),
        codebook: Optional[Path] = typer.Option(None, "--codebook", help="Check labels against this codebook "
                                                "(default: the embedded panel-2018-19 for corpus and unit codes)."),
        no_check: bool = typer.Option(False, "--no-check", help="Do not check labels against a codebook."),
    ) -> None:
        """Import codes or documents into the store, in one transaction (all or nothing; twice adds nothing).

        Examples:
          reviewcoder import annotations/corpus
          reviewcoder import codes-long.csv --codebook my-codebook.yaml --store study.sqlite
        """
        from ..importer import import_path

        result = import_path(path, store_path=store, codebook_path=codebook, check_labels=not no_check)
        echo(", ".join(f"{v} {k}" for k, v in result.items()) + " added")

    @app.command("export")
    @guarded
    def export(
        out: Path = typer.Option(..., "--out", "-o", help="Output .csv or .jsonl in the tidy long format."),
        store: Optional[Path] = typer.Option(None, "--store", help=STORE_HELP),
        codebook: Optional[Path] = typer.Option(None, "--codebook", help="Write value-0 rows for this codebook's "
                                                "themes on completed units (default: the embedded codebook)."),
        coder: Optional[str] = typer.Option(None, "--coder", help="Only this coder's codes."),
        no_zeros: bool = typer.Option(False, "--no-zeros", help="Only stored rows; no value-0 rows."),
    ) -> None:
        """Export the store's codes as tidy long rows: item, coder, label, value[, start, end, ...].

        Example: reviewcoder export --store annotations/reviewcoder.sqlite --out codes.csv
        """
        from ..codebook import load_codebook
        from ..store import open_store

        if store is not None and not Path(store).is_file():
            from ..errors import StoreError

            raise StoreError(f"Store {store} does not exist; import or pull codes into it first")
        cb = None if no_zeros else load_codebook(codebook)
        with open_store(store) as st:
            n = st.export_long(out, codebook=cb, coder=coder)
        echo(f"{n} rows -> {out}")
