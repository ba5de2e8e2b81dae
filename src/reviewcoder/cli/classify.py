"""Commands `reviewcoder train` and `reviewcoder precode`: parse, call the library, format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from .common import STORE_HELP, echo, guarded, warn


def _parse_params(items: list[str] | None) -> dict:
    from ..errors import InputError

    out: dict = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InputError(f"--param {item!r} must look like NAME=VALUE (e.g. C=4)")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def register(app: typer.Typer) -> None:
    @app.command("train")
    @guarded
    def train(
        out: Path = typer.Option(..., "--out", "-o", help="Model folder to write (replaced if it exists)."),
        annotations: Optional[Path] = typer.Option(
            None, "--annotations", "-a",
            help="Corpus folder (documents.jsonl + codes/), a codes/ folder, a unit-codes .jsonl, or a tidy long file."),
        documents: Optional[Path] = typer.Option(None, "--documents", help="The reviews, when not beside the codes."),
        store: Optional[Path] = typer.Option(None, "--store", help=STORE_HELP + " Used when --annotations is not given."),
        coder: Optional[str] = typer.Option(None, "--coder", help="Whose codes to learn from (default: consensus, or the only coder)."),
        split: Optional[str] = typer.Option(None, "--split", help="Train only on documents whose meta split is this (e.g. train)."),
        heldout: Optional[str] = typer.Option(None, "--evaluate-split", help="After training, evaluate on documents of this split (e.g. heldout) and record it in the model card."),
        backend: str = typer.Option("ensemble", "--backend", "-b", help="ensemble | sentence | embedding | tfidf | finetune | zeroshot (or a versioned name)."),
        param: Optional[List[str]] = typer.Option(None, "--param", "-p", help="Backend parameter NAME=VALUE, repeatable (e.g. -p C=4)."),
        codebook_path: Optional[Path] = typer.Option(None, "--codebook", help="Codebook YAML (default: the embedded panel-2018-19)."),
        group_by: str = typer.Option("author", "--group-by", help="Document meta field that groups cross-validation folds."),
        folds: int = typer.Option(5, "--folds", help="Cross-validation folds for calibration and thresholds (0: none)."),
        seed: int = typer.Option(0, "--seed"),
        name: Optional[str] = typer.Option(None, "--name", help="Model id prefix (default: the folder name)."),
        status: Optional[str] = typer.Option(None, "--status", help="A status line for the model card (e.g. 'provisional')."),
    ) -> None:
        """Train a theme classifier on one coder's (or the consensus') codes and save it.

        Example: reviewcoder train -a annotations/corpus --coder consensus --split train
        --evaluate-split heldout --out models/default
        """
        import shlex

        from ..artifacts import save_model
        from ..classify import train_model
        from ..classify.data import build_training_set, read_coded
        from ..codebook import load_codebook
        from ..errors import InputError

        cb = load_codebook(codebook_path)
        params = _parse_params(param)
        source: str
        if annotations is not None:
            docs, anns, comps = read_coded(annotations, documents)
            source = str(annotations)
        elif backend in ("zeroshot", "zeroshot.v1") and store is None:
            docs, anns, comps, source = [], [], [], "none (zero-shot from the codebook)"
        else:
            from ..store import open_store

            with open_store(store) as st:
                docs, anns, comps = st.documents(), st.annotations(source="human"), st.completions()
            source = f"store {store or 'annotations/reviewcoder.sqlite'}"
        if anns or comps:
            cb.check_labels({a.theme for a in anns}, source)
            ts = build_training_set(docs, anns, comps, cb.theme_ids, coder=coder, split=split, group_key=group_by)
            for s in ts.skipped[:10]:
                warn(f"skipped {s}")
            if len(ts.skipped) > 10:
                warn(f"... and {len(ts.skipped) - 10} more units skipped")
            texts, Y, groups, doc_ids, spans, who = ts.texts, ts.Y, ts.groups, ts.doc_ids, ts.spans, ts.coder
            n_docs, n_groups = len(set(ts.doc_ids)), len(set(groups))
        else:
            if backend not in ("zeroshot", "zeroshot.v1"):
                raise InputError("No codes to learn from; give --annotations or a --store with codes, or --backend zeroshot")
            texts, Y, groups, doc_ids, spans, who, n_docs, n_groups = [], None, None, None, None, None, 0, 0
        echo(f"training {backend} on {len(texts)} units from {n_docs} documents"
             + (f" ({n_groups} {group_by} groups)" if n_groups else "") + (f", coder {who}" if who else ""))
        model = train_model(texts, Y, cb.theme_ids, backend=backend, params=params, groups=groups, documents=doc_ids,
                            spans=spans, n_folds=folds, seed=seed, codebook=cb, progress=lambda m: echo(f"  {m}"))
        extra: dict = {"training": {"source": source, "coder": who, "split": split, "n_documents": n_docs,
                                    "group_by": group_by}}
        args = ["reviewcoder", "train"]
        for flag, value in (("-a", annotations), ("--documents", documents), ("--store", store), ("--coder", coder),
                            ("--split", split), ("--evaluate-split", heldout), ("--backend", backend),
                            ("--codebook", codebook_path), ("--group-by", group_by), ("--folds", folds),
                            ("--seed", seed), ("--name", name), ("--status", status), ("--out", out)):
            if value is not None:
                args += [flag, str(value)]
        for item in param or []:
            args += ["-p", item]
        extra["reproduce"] = " ".join(shlex.quote(a) for a in args)
        if status:
            extra["status"] = status
        if heldout:
            from ..classify.heldout import evaluate_split

            echo(f"  evaluating on split {heldout!r}")
            extra["heldout"] = evaluate_split(model, docs, anns, comps, cb, split=heldout, coder=who)
        save_model(model, out, name=name, extra=extra)
        cv = model.meta.get("cv") or {}
        cv_doc = model.meta.get("cv_document") or {}
        echo(f"saved {model.model_id} to {out}")
        if cv:
            echo(f"cross-validated macro-F1 {cv['macro_f1']:.3f} (micro {cv['micro_f1']:.3f}) over {len(texts)} units"
                 + (f"; documents {cv_doc['macro_f1']:.3f} over {cv_doc['n_documents']}" if cv_doc else ""))
        if heldout and extra["heldout"].get("macro_f1") is not None:
            h = extra["heldout"]
            d = h.get("document") or {}
            echo(f"held-out ({heldout}) macro-F1 {h['macro_f1']:.3f} (micro {h['micro_f1']:.3f}) over {h['n_units']} units"
                 + (f"; documents {d['macro_f1']:.3f} over {d['n_documents']}" if d.get("macro_f1") is not None else ""))

    @app.command("precode")
    @guarded
    def precode_cmd(
        input: Path = typer.Argument(..., help="Folder of .txt/.md/.docx/.pdf, a .jsonl of {id, text}, or a .csv with id,text."),
        out: Path = typer.Option(..., "--out", "-o", help="Output file (.jsonl or .csv)."),
        model: Optional[Path] = typer.Option(None, "--model", "-m", help="Model folder (default: the embedded models/default)."),
        fmt: Optional[str] = typer.Option(None, "--format", "-f", help="jsonl or csv (default: from --out's suffix)."),
        batch_size: int = typer.Option(32, "--batch-size", help="Sentences per encoder batch."),
        resume: bool = typer.Option(True, "--resume/--no-resume", help="Continue a killed run from its .partial file."),
        max_evidence: int = typer.Option(3, "--max-evidence", help="Evidence excerpts per theme per document."),
        codebook_path: Optional[Path] = typer.Option(None, "--codebook", help="Refuse the model unless it was trained for this codebook."),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    ) -> None:
        """Pre-code reviews: the themes each shows, with the excerpt that shows it.

        Example: reviewcoder precode samples/reviews --out precoded.jsonl
        """
        from ..artifacts import load_model
        from ..codebook import load_codebook
        from ..precode import precode

        cb = load_codebook(codebook_path) if codebook_path else None
        m = load_model(model, codebook=cb)
        fmt_ = fmt or ("csv" if out.suffix.lower() == ".csv" else "jsonl")
        bars: list = []

        def progress(done: int, total: int) -> None:
            if quiet:
                return
            if not bars:
                from tqdm import tqdm

                bars.append(tqdm(total=total, unit="doc", desc="precode", leave=False))
            bars[0].n = done
            bars[0].refresh()

        try:
            report = precode(input, out, model=m, fmt=fmt_, batch_size=batch_size, resume=resume,
                             max_evidence=max_evidence, progress=progress)
        finally:
            for b in bars:
                b.close()
        for p in report.problems:
            warn(p)
        echo(f"{report.n_written + report.n_resumed} documents pre-coded with {m.model_id} -> {out}"
             + (f" ({report.n_resumed} from the earlier run)" if report.n_resumed else "")
             + (f"; {len(report.problems)} input record(s) skipped, see warnings" if report.problems else "")
             + f" [{report.n_units} paragraphs in {report.seconds:.0f} s]")
