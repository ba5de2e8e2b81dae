"""Commands for agreement and evaluation: `agreement`, `evaluate`, `summary`. Parse, call, format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from .common import STORE_HELP, echo, guarded, warn


def _human_source(store: Optional[Path], annotations: Optional[Path]):
    """(annotations, completions) from a tidy long file, or an open store (caller closes it)."""
    from ..errors import StoreError

    if annotations is not None:
        from ..store import long_rows_to_records, read_long

        return long_rows_to_records(read_long(annotations), origin=f"file:{annotations.name}"), None
    from ..store import DEFAULT_STORE_PATH, open_store

    path = Path(store) if store is not None else Path(DEFAULT_STORE_PATH)
    if not path.is_file():
        raise StoreError(f"Store {path} does not exist; import or pull codes into it first, or pass --annotations LONG.csv")
    st = open_store(path)
    return (st.annotations(), st.completions()), st


def _fmt(x, digits: int = 3) -> str:
    from ..evaluate.report import fmt

    return fmt(x, digits)


def register(app: typer.Typer) -> None:
    @app.command("agreement")
    @guarded
    def agreement_cmd(
        table: Path = typer.Argument(..., help="Tidy long .csv or .jsonl: item, coder, label, value (one row per "
                                                "item x coder x label; no row = not coded)."),
        as_json: bool = typer.Option(False, "--json", help="Print exactly one JSON object on stdout."),
        level: str = typer.Option("nominal", "--level", help="nominal, ordinal, interval or ratio (Krippendorff's alpha)."),
        categories: Optional[str] = typer.Option(None, "--categories",
                                                 help="Comma-separated category values in order, low to high "
                                                      "(for ordinal categories that are words)."),
        codebook: Optional[Path] = typer.Option(None, "--codebook", help="Check labels against this codebook and "
                                                "values as presence codes (0/1, yes/no)."),
        n_boot: int = typer.Option(1000, "--n-boot", help="Bootstrap resamples of items for the intervals (0: none)."),
        confidence: float = typer.Option(0.95, "--confidence", help="Interval coverage."),
        seed: int = typer.Option(0, "--seed", help="Random seed of the bootstrap."),
        out: Optional[Path] = typer.Option(None, "--out", "-o", help="Also write the JSON to this file."),
    ) -> None:
        """Agreement per label (alpha, Fleiss, Cohen per pair, AC1, percent) with bootstrap intervals.

        For each label of a tidy long table: Krippendorff's alpha, Fleiss' kappa, Cohen's kappa for each
        pair of coders on the items both coded, Gwet's AC1 and percent agreement.

        Example: reviewcoder agreement codes-long.csv --json
        """
        from ..codebook import load_codebook
        from ..errors import AgreementError
        from ..evaluate.evaluation import agreement_from_long
        from ..evaluate.report import fmt_ci, to_json
        from ..store import read_long
        from ..writing import atomic_writer

        from ..evaluate.agreement import LEVELS

        if level not in LEVELS:
            raise AgreementError(f"--level must be one of {', '.join(LEVELS)}; got {level!r}")
        cb = load_codebook(codebook) if codebook is not None else None
        cats = [c.strip() for c in categories.split(",")] if categories else None
        result = agreement_from_long(read_long(table), level=level, codebook=cb, categories=cats,
                                     n_boot=n_boot, confidence=confidence, seed=seed)
        payload = to_json(result)
        if out is not None:
            with atomic_writer(out) as fh:
                fh.write(payload)
        if as_json:
            echo(payload)
            return
        echo(f"{table}: {len(result.labels)} labels, level {level}, {n_boot} bootstrap resamples"
             + (f", {int(confidence * 100)}% intervals" if n_boot else ""))
        echo()
        for label, res in result.labels.items():
            if res is None:
                echo(f"{label}: not computed")
                continue
            echo(f"{label}  ({res.n_items} items, {res.n_coders} coders, {res.n_pairable} coded by two or more)")
            for name, title in (("krippendorff_alpha", "Krippendorff's alpha"), ("fleiss_kappa", "Fleiss' kappa"),
                                ("gwet_ac1", "Gwet's AC1"), ("percent_agreement", "percent agreement")):
                echo(f"  {title:<22} {_fmt(getattr(res, name)):>7}  {fmt_ci(res.ci.get(name), 3)}")
            for pair, k in res.cohen_kappa.items():
                echo(f"  Cohen's kappa {pair.replace('|', ' vs '):<30} {_fmt(k):>7}  {fmt_ci(res.ci.get('cohen_kappa:' + pair), 3)}")
            echo()
        for note in result.notes:
            warn(note)
        for label, res in result.labels.items():
            for note in (res.notes if res else []):
                echo(f"note ({label}): {note}")

    @app.command("evaluate")
    @guarded
    def evaluate_cmd(
        predictions: Path = typer.Option(..., "--predictions", "-p", help="Precode output (.jsonl or .csv)."),
        store: Optional[Path] = typer.Option(None, "--store", help=STORE_HELP),
        annotations: Optional[Path] = typer.Option(None, "--annotations", help="Human codes as a tidy long "
                                                   ".csv/.jsonl instead of the store."),
        codebook: Optional[Path] = typer.Option(None, "--codebook", help="Codebook YAML (default: the embedded panel-2018-19)."),
        out: Path = typer.Option(Path("reports/evaluation"), "--out", "-o", help="Report path without suffix: "
                                 "writes OUT.md, OUT.html, OUT.json and two PNGs."),
        level: str = typer.Option("auto", "--level", help="auto, unit or document (a theme anywhere in a document)."),
        model_id: Optional[str] = typer.Option(None, "--model-id", help="The model's coder id (default: model:<the "
                                               "predictions' model field>)."),
        consensus: str = typer.Option("consensus", "--consensus", help="Coder id of the adjudicated codes; "
                                      "without such a coder the majority of coders is the reference."),
        n_boot: int = typer.Option(1000, "--n-boot", help="Bootstrap resamples of units (0: no intervals)."),
        seed: int = typer.Option(0, "--seed", help="Random seed of the bootstrap."),
        as_json: bool = typer.Option(False, "--json", help="Print the JSON report on stdout as well."),
    ) -> None:
        """Model vs coders, beside coder vs coder on the same units: Markdown, HTML with plots, JSON.

        The model is treated as one more coder: its agreement with each coder and with the consensus
        (or the coders' majority), per theme with intervals; precision, recall, F1; theme confusions.

        Example: reviewcoder evaluate --predictions heldout.pred.jsonl --store annotations/reviewcoder.sqlite --out reports/heldout
        """
        from ..codebook import load_codebook
        from ..evaluate.evaluation import evaluate_predictions
        from ..evaluate.report import to_json, write_report

        cb = load_codebook(codebook)
        records, st = _human_source(store, annotations)
        try:
            result = evaluate_predictions(records, predictions, cb, model_id=model_id, level=level,
                                          consensus_coder=consensus, n_boot=n_boot, seed=seed)
        finally:
            if st is not None:
                st.close()
        paths = write_report(result, out)
        if as_json:
            echo(to_json(result))
            return
        micro = result.prf["micro"]
        echo(f"{result.model} vs {len(result.coders)} coders on {len(result.units)} {result.level}s "
             f"(reference: {result.reference})")
        echo(f"micro P/R/F1 {_fmt(micro['precision'])} / {_fmt(micro['recall'])} / {_fmt(micro['f1'])}")
        echo(f"{'theme':<28} {'coders α':>9} {'κ coders':>9} {'κ model':>9} {'κ m-ref':>9} {'F1':>6}")
        for r in result.theme_table():
            echo(f"{r['theme'][:28]:<28} {_fmt(r['coders_alpha']):>9} {_fmt(r['mean_coder_coder_kappa']):>9} "
                 f"{_fmt(r['mean_model_coder_kappa']):>9} {_fmt(r['model_reference_kappa']):>9} {_fmt(r['f1'], 2):>6}")
        for note in result.notes:
            echo(f"note: {note}")
        echo("wrote " + ", ".join(str(p) for k, p in paths.items() if k in ("markdown", "html", "json")))

    @app.command("summary")
    @guarded
    def summary_cmd(
        store: Optional[Path] = typer.Option(None, "--store", help=STORE_HELP + " (human codes)."),
        annotations: Optional[Path] = typer.Option(None, "--annotations", help="Human codes as tidy long .csv/.jsonl."),
        predictions: Optional[Path] = typer.Option(None, "--predictions", "-p", help="Model codes (precode output)."),
        codebook: Optional[Path] = typer.Option(None, "--codebook", help="Codebook YAML (default: the embedded panel-2018-19)."),
        human: str = typer.Option("auto", "--human", help="auto (consensus coder if present, else majority), "
                                  "majority, any, or a coder id."),
        documents: Optional[Path] = typer.Option(None, "--documents", help="A text file of document ids (one a line) "
                                                 "to count, e.g. one year's reviews."),
        method: str = typer.Option("wilson", "--method", help="Interval: wilson or exact (Clopper-Pearson)."),
        confidence: float = typer.Option(0.95, "--confidence", help="Interval coverage."),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
        sentences: bool = typer.Option(False, "--sentences", help="Print Panel-style sentences instead of a table."),
        out: Optional[Path] = typer.Option(None, "--out", "-o", help="Also write the table (.md) or JSON (.json)."),
    ) -> None:
        """The share of reviews showing each theme, with intervals, from human codes, model codes, or both.

        Examples:
          reviewcoder summary --store annotations/reviewcoder.sqlite
          reviewcoder summary --predictions corpus.pred.jsonl --store study.sqlite --out summary.md
        """
        from ..codebook import load_codebook
        from ..summary import summarise
        from ..writing import atomic_writer

        cb = load_codebook(codebook)
        records, st = (None, None)
        if store is not None or annotations is not None or predictions is None:
            records, st = _human_source(store, annotations)
        docs = None
        if documents is not None:
            docs = [line.strip() for line in documents.read_text(encoding="utf-8").splitlines() if line.strip()]
        try:
            table = summarise(cb, records, predictions, human_rule=human, confidence=confidence, method=method,
                              documents=docs)
        finally:
            if st is not None:
                st.close()
        payload = json.dumps(table.to_dict(), indent=2, ensure_ascii=False)
        if out is not None:
            with atomic_writer(out) as fh:
                fh.write(payload if out.suffix.lower() == ".json" else table.to_markdown() + "\n")
        if as_json:
            echo(payload)
        elif sentences:
            for line in table.sentences():
                echo(line)
        else:
            echo(table.to_markdown())
