"""Commands to exchange codes with QDA tools (REFI-QDA .qdpx), spaCy, Hugging Face datasets and spreadsheets."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .common import STORE_HELP, echo, guarded

FORMATS = ("qdpx", "docbin", "dataset", "table")


def _format_of(path: Path, given: Optional[str]) -> str:
    from ..errors import InputError

    if given:
        if given not in FORMATS:
            raise InputError(f"--format {given!r} is not one of {', '.join(FORMATS)}")
        return given
    suffix = path.suffix.lower()
    guessed = {".qdpx": "qdpx", ".spacy": "docbin", ".csv": "table"}.get(suffix, "dataset" if suffix == "" else "")
    if not guessed:
        raise InputError(f"Cannot tell the format of {path} from its suffix; pass --format ({', '.join(FORMATS)})")
    return guessed


def register(app: typer.Typer) -> None:
    ex = typer.Typer(help="Exchange codes with QDA tools (REFI-QDA), spaCy, Hugging Face datasets, spreadsheets.",
                     no_args_is_help=True)
    app.add_typer(ex, name="exchange")

    @ex.command("export")
    @guarded
    def export(
        out: Path = typer.Option(..., "--out", "-o", help=".qdpx, .spacy, .csv (analyst table) or a folder (dataset)."),
        fmt: Optional[str] = typer.Option(None, "--format", help="qdpx, docbin, dataset or table (default: from --out)."),
        store: Optional[Path] = typer.Option(None, "--store", help=STORE_HELP),
        codebook: Optional[Path] = typer.Option(None, "--codebook", help="Codebook YAML (default: panel-2018-19)."),
        coder: Optional[str] = typer.Option(None, "--coder", help="Only this coder's codes."),
        predictions: Optional[Path] = typer.Option(None, "--predictions", help="For table: add rows from a precode JSONL."),
    ) -> None:
        """Export the store's documents and codes (and model suggestions) for another tool.

        Examples:
          reviewcoder exchange export --out study.qdpx            # NVivo, ATLAS.ti, MAXQDA, QualCoder
          reviewcoder exchange export --out codes.spacy --coder consensus
          reviewcoder exchange export --out table.csv --predictions precoded.jsonl
        """
        from ..codebook import load_codebook
        from ..store import open_store

        cb = load_codebook(codebook)
        kind = _format_of(out, fmt)
        with open_store(store) as st:
            docs = st.documents()
            anns = [a for a in st.annotations() if coder is None or a.coder == coder]
            if kind == "qdpx":
                from ..exchange.qdpx import export_qdpx

                export_qdpx(out, cb, docs, anns, st.suggestions())
            elif kind == "docbin":
                from ..exchange.docbin import to_docbin

                to_docbin(cb, docs, anns).to_disk(out)
            elif kind == "dataset":
                from ..exchange.hf import to_dataset

                to_dataset(cb, docs, anns, st.completions(), coder=coder).save_to_disk(str(out))
            else:
                from ..exchange.table import analyst_rows, prediction_rows, write_analyst_table

                rows = analyst_rows(cb, docs, anns) + (prediction_rows(cb, predictions) if predictions else [])
                write_analyst_table(out, rows)
        echo(f"{len(docs)} documents, {len(anns)} codes -> {out} ({kind})")

    @ex.command("import")
    @guarded
    def import_(
        path: Path = typer.Argument(..., help="A .qdpx project, a .spacy DocBin, or a saved dataset folder."),
        fmt: Optional[str] = typer.Option(None, "--format", help="qdpx, docbin or dataset (default: from the path)."),
        store: Optional[Path] = typer.Option(None, "--store", help=STORE_HELP),
        codebook: Optional[Path] = typer.Option(None, "--codebook", help="Codebook YAML (default: panel-2018-19)."),
        skip_unknown: bool = typer.Option(False, "--skip-unknown", help="qdpx: skip codes that are not themes."),
    ) -> None:
        """Import documents and codes from another tool into the store (one transaction; twice adds nothing).

        Example: reviewcoder exchange import coded-in-nvivo.qdpx --store study.sqlite
        """
        from ..codebook import load_codebook
        from ..records import Completion
        from ..store import open_store

        cb = load_codebook(codebook)
        kind = _format_of(path, fmt)
        docs, anns, comps = [], [], []
        if kind == "qdpx":
            from ..exchange.qdpx import import_qdpx

            content = import_qdpx(path, cb, strict=not skip_unknown)
            docs, anns = content.documents, content.annotations + content.suggestions
        elif kind == "docbin":
            from ..exchange.docbin import from_docbin

            docs, anns = from_docbin(path, cb)
        elif kind == "dataset":
            import datasets

            from ..exchange.hf import from_dataset

            anns, comps = from_dataset(datasets.load_from_disk(str(path)), cb)
        else:
            from ..errors import InputError

            raise InputError("Import reads qdpx, docbin or dataset; a table is for reading, not importing")
        if not comps:  # a coder who coded a unit has seen it
            comps = list({(a.item, a.coder): Completion(a.doc_id, a.item, a.coder, a.origin) for a in anns
                          if a.source == "human"}.values())
        with open_store(store) as st, st.transaction():
            n_docs = st.add_documents(docs)
            n_anns = st.add_annotations(anns)
            n_comps = st.add_completions(comps)
        echo(f"{n_docs} documents, {n_anns} codes, {n_comps} completions added from {path}")
