"""Agreement benchmark: speed on a large synthetic design, and real coded data checked against the
established implementations (krippendorff, statsmodels, scikit-learn).

    .venv/bin/python bench/bench_agreement.py            # both parts
    .venv/bin/python bench/bench_agreement.py speed
    .venv/bin/python bench/bench_agreement.py realdata   # needs ../shared/data (or REVIEWCODER_SHARED_DATA)

Prints Markdown; bench/RESULTS-evaluation.md records a run. The real-data loaders here are also used
by tests/test_realdata_agreement.py. No review text is read or printed: only codes.
"""

from __future__ import annotations

import csv
import json
import os
import platform
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from reviewcoder.evaluate.agreement import agreement, multilabel_agreement, value_counts

DATA_DIR = Path(os.environ.get("REVIEWCODER_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


# --------------------------------------------------------------------------------------------------
# speed
# --------------------------------------------------------------------------------------------------


def synthetic(n_units=10_000, n_themes=12, n_coders=5, missing=0.2, flip=0.1, seed=0) -> np.ndarray:
    """(n_themes, n_coders, n_units) presence codes: noisy copies of a hidden truth, some not coded."""
    rng = np.random.default_rng(seed)
    truth = rng.random((n_themes, n_units)) < np.linspace(0.03, 0.4, n_themes)[:, None]
    R3 = np.repeat(truth[:, None, :], n_coders, axis=1).astype(float)
    R3 = np.where(rng.random(R3.shape) < flip, 1.0 - R3, R3)
    R3[rng.random(R3.shape) < missing] = np.nan
    return R3


def speed(repeats: int = 3) -> list[str]:
    R3 = synthetic()
    themes = [f"t{i}" for i in range(R3.shape[0])]
    coders = [f"c{i}" for i in range(R3.shape[1])]
    out = [f"Design: {R3.shape[2]:,} units x {R3.shape[0]} themes x {R3.shape[1]} coders, 20% not coded.", ""]
    out += ["| what | seconds (best of %d) |" % repeats, "|---|---|"]

    def best(fn, n=repeats):
        times = []
        for _ in range(n):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        return min(times)

    def every_coefficient():
        for t in range(R3.shape[0]):
            for level in ("nominal", "ordinal", "interval"):
                # alpha at three levels, Fleiss, AC1, percent, and Cohen's kappa for all 10 pairs
                agreement(R3[t], coders, level=level, categories=(0.0, 1.0), n_boot=0)

    out.append(f"| every coefficient (alpha nominal+ordinal+interval, Fleiss, AC1, percent, 10 Cohen pairs), "
               f"12 themes, no bootstrap | {best(every_coefficient):.2f} |")
    out.append(f"| multilabel_agreement, no bootstrap (per theme + macro + pooled alpha) | "
               f"{best(lambda: multilabel_agreement(R3, coders, themes, n_boot=0)):.2f} |")
    out.append(f"| multilabel_agreement, 1,000-resample bootstrap of units, all 12 themes | "
               f"{best(lambda: multilabel_agreement(R3, coders, themes, n_boot=1000), n=1):.2f} |")
    return out


# --------------------------------------------------------------------------------------------------
# real data
# --------------------------------------------------------------------------------------------------


@dataclass
class Table:
    dataset: str
    label: str
    R: np.ndarray  # (n_coders, n_items), NaN = not coded
    coders: list[str]
    level: str = "nominal"
    complete: bool = False  # every coder coded every item (Fleiss via statsmodels applies)
    notes: list[str] = field(default_factory=list)


def _rows_to_tables(dataset: str, rows: list[dict], level: str = "nominal", complete: bool = False) -> list[Table]:
    from reviewcoder.labels import long_to_reliability

    tables = []
    for label, (R, coders, _items) in sorted(long_to_reliability(rows).items()):
        tables.append(Table(dataset, label, R, coders, level, complete and not np.isnan(R).any()))
    return tables


def load_pfd(data_dir: Path = DATA_DIR) -> list[Table]:
    """PFD reports: 3 clinicians (+ the LLM and the agreed verdict on child_and_suicide)."""
    path = data_dir / "pfd" / "derived" / "consensus_annotations_long.csv"
    with path.open(encoding="utf-8") as fh:
        raw = list(csv.DictReader(fh))
    rows = [{"item": r["item_id"], "coder": r["coder"], "label": r["label"], "value": r["value"]} for r in raw]
    clinicians = [r for r in rows if r["coder"] not in ("PFD_Toolkit_gpt-4.1", "post_consensus")]
    tables = _rows_to_tables("PFD clinicians", clinicians, complete=True)
    llm = [r for r in rows if r["label"] == "child_and_suicide" and r["coder"] in ("PFD_Toolkit_gpt-4.1", "post_consensus")]
    tables += _rows_to_tables("PFD LLM vs agreed verdict", llm, complete=True)
    return tables


def pfd_long_rows(data_dir: Path = DATA_DIR) -> list[dict]:
    path = data_dir / "pfd" / "derived" / "consensus_annotations_long.csv"
    with path.open(encoding="utf-8") as fh:
        return [{"item": r["item_id"], "coder": r["coder"], "label": r["label"], "value": r["value"]}
                for r in csv.DictReader(fh)]


def load_hs_brexit(data_dir: Path = DATA_DIR) -> tuple[list[Table], int]:
    """HS-Brexit: 6 coders on every tweet, 3 binary labels; ids restart per split. Returns the tables
    and how many stray non-0/1 values ("No") were read as 0 (labels.is_present's rule)."""
    rows = []
    stray = 0
    for split in ("train", "dev", "test"):
        data = json.loads((data_dir / "lewidi" / "2023" / f"HS-Brexit_{split}.json").read_text(encoding="utf-8"))
        for key, rec in data.items():
            coders = rec["annotators"].split(",")
            labels = {"hate_speech": rec["annotations"], **{
                k.split(" ")[0]: v for k, v in rec["other_info"]["other annotations"].items()}}
            for label, values in labels.items():
                for coder, value in zip(coders, values.split(",")):
                    value = value.strip()
                    if value not in ("0", "1"):
                        stray += 1
                    rows.append({"item": f"{split}:{key}", "coder": coder, "label": label, "value": value})
    return _rows_to_tables("HS-Brexit", rows, complete=True), stray


CONVABUSE_SEVERITY = {"is_abuse.1": 1.0, "is_abuse.0": 0.0, "is_abuse.-1": -1.0, "is_abuse.-2": -2.0, "is_abuse.-3": -3.0}


def convabuse_rows(data_dir: Path = DATA_DIR) -> list[dict]:
    """ConvAbuse full file: one row per (annotator, turn); an item is the conversation turn
    (conv_id + the utterances), since example_no numbers rows, not items."""
    path = data_dir / "convabuse" / "ConvAbuseEMNLPfull.csv"
    rows = []
    items: dict[tuple, str] = {}
    with path.open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            key = (r["conv_id"], r["prev_agent"], r["prev_user"], r["agent"], r["user"])
            item = items.setdefault(key, f"turn{len(items):05d}")
            severity = next(v for k, v in CONVABUSE_SEVERITY.items() if r[k] == "1")
            rows.append({"item": item, "coder": r["annotator_id"], "label": "severity", "value": f"{severity:g}"})
    return rows


def load_convabuse(data_dir: Path = DATA_DIR) -> tuple[list[Table], dict[str, int]]:
    """Severity (5 points: 1 not abusive .. -3 very strongly) at interval and ordinal level, and
    abusive yes/no. Repeat codes of one turn by one coder: the first is kept, and counted."""
    rows = convabuse_rows(data_dir)
    first: dict[tuple[str, str], dict] = {}
    repeats = differ = 0
    for r in rows:
        key = (r["item"], r["coder"])
        if key in first:
            repeats += 1
            differ += first[key]["value"] != r["value"]
            continue
        first[key] = r
    kept = list(first.values())
    sev = _rows_to_tables("ConvAbuse", kept, level="interval")[0]
    tables = [sev, Table("ConvAbuse", "severity", sev.R, sev.coders, "ordinal")]
    binary = [{**r, "label": "abusive", "value": "1" if float(r["value"]) < 0 else "0"} for r in kept]
    tables += _rows_to_tables("ConvAbuse", binary)
    return tables, {"rows": len(rows), "repeats": repeats, "repeats_differing": differ, "items": len({r["item"] for r in rows})}


def load_exam(data_dir: Path = DATA_DIR) -> list[Table]:
    """Exam proctoring: per question, primary vs secondary coder, each top-level code as present/absent
    on every submitted answer (both coders coded every submitted answer)."""
    folder = data_dir / "exam_proctoring_qual" / "irr_inputs"
    tables = []
    for primary in sorted(folder.glob("*(primary).csv")):
        secondary = primary.with_name(primary.name.replace("(primary)", "(secondary)"))
        question = primary.name.split(" - ")[-1].split(" (")[0]

        def read(path: Path) -> dict[str, set[str]]:
            with path.open(encoding="utf-8-sig") as fh:
                rows = list(csv.reader(fh))
            return {r[0]: {x.split("->")[0].strip() for x in r[2:] if x.strip()} for r in rows[1:]
                    if len(r) > 1 and r[1].strip()}

        a, b = read(primary), read(secondary)
        answers = sorted(set(a) & set(b))
        codes = sorted(set().union(*a.values(), *b.values()))
        for code in codes:
            R = np.array([[1.0 if code in a[x] else 0.0 for x in answers], [1.0 if code in b[x] else 0.0 for x in answers]])
            if R.sum() == 0:
                continue
            tables.append(Table(f"Exam proctoring {question}", code, R, ["primary", "secondary"], complete=True))
    return tables


def check_table(t: Table, n_boot: int = 0) -> dict:
    """Our figures beside the established implementations' on one table."""
    import krippendorff
    from sklearn.metrics import cohen_kappa_score
    from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

    res = agreement(t.R, t.coders, level=t.level, n_boot=n_boot, seed=0)
    ref_alpha = None
    N, values = value_counts(t.R)
    if values.size >= 2:
        ref_alpha = float(krippendorff.alpha(t.R, level_of_measurement=t.level))
    ref_fleiss = None
    if t.complete:
        table, _ = aggregate_raters(t.R.T.astype(int) if values.min() >= 0 else (t.R.T - values.min()).astype(int))
        ref_fleiss = float(fleiss_kappa(table))
    diffs = []
    for i in range(len(t.coders)):
        for j in range(i + 1, len(t.coders)):
            both = ~np.isnan(t.R[i]) & ~np.isnan(t.R[j])
            ours = res.cohen_kappa[f"{t.coders[i]}|{t.coders[j]}"]
            if both.sum() >= 2 and ours is not None:
                diffs.append(abs(ours - cohen_kappa_score(t.R[i, both], t.R[j, both])))
    return {
        "dataset": t.dataset, "label": t.label, "level": t.level, "n_items": res.n_items, "n_pairable": res.n_pairable,
        "n_coders": res.n_coders, "alpha": res.krippendorff_alpha, "alpha_ref": ref_alpha,
        "fleiss": res.fleiss_kappa, "fleiss_ref": ref_fleiss, "ac1": res.gwet_ac1, "percent": res.percent_agreement,
        "max_cohen_diff": max(diffs) if diffs else None, "n_pairs": len(diffs),
        "alpha_ci": res.ci.get("krippendorff_alpha"), "notes": res.notes,
    }


def all_tables(data_dir: Path = DATA_DIR) -> tuple[list[Table], dict]:
    info: dict = {}
    tables = load_pfd(data_dir)
    hs, info["hs_brexit_stray_values"] = load_hs_brexit(data_dir)
    tables += hs
    ca, info["convabuse"] = load_convabuse(data_dir)
    tables += ca
    tables += load_exam(data_dir)
    return tables, info


def _f(x, d=4):
    return "–" if x is None else f"{x:.{d}f}"


def realdata(n_boot: int = 1000) -> list[str]:
    if not DATA_DIR.is_dir():
        return [f"(no real data at {DATA_DIR})"]
    t0 = time.perf_counter()
    tables, info = all_tables()
    rows = [check_table(t, n_boot=n_boot) for t in tables]
    elapsed = time.perf_counter() - t0
    out = [
        f"Data: {DATA_DIR}. HS-Brexit stray non-0/1 values read as 0: {info['hs_brexit_stray_values']}. "
        f"ConvAbuse: {info['convabuse']['rows']} codes on {info['convabuse']['items']} turns; "
        f"{info['convabuse']['repeats']} repeat codes of a turn by the same coder "
        f"({info['convabuse']['repeats_differing']} with a different value): first kept.",
        "",
        "| dataset | label | level | items (pairable) | coders | alpha [95% CI] | alpha, krippendorff pkg | Fleiss | "
        "Fleiss, statsmodels | AC1 | % agree | max abs diff Cohen vs sklearn (pairs) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    exam = [r for r in rows if r["dataset"].startswith("Exam")]
    for r in rows:
        if r["dataset"].startswith("Exam"):
            continue
        ci = r["alpha_ci"]
        out.append(
            f"| {r['dataset']} | {r['label']} | {r['level']} | {r['n_items']} ({r['n_pairable']}) | {r['n_coders']} | "
            f"{_f(r['alpha'])} [{_f(ci[0], 3) if ci else '–'}, {_f(ci[1], 3) if ci else '–'}] | {_f(r['alpha_ref'])} | "
            f"{_f(r['fleiss'])} | {_f(r['fleiss_ref'])} | {_f(r['ac1'])} | {_f(r['percent'])} | "
            f"{'–' if r['max_cohen_diff'] is None else format(r['max_cohen_diff'], '.1e')} ({r['n_pairs']}) |"
        )
    by_q = defaultdict(list)
    for r in exam:
        by_q[r["dataset"]].append(r)
    out += ["", "Exam proctoring (primary vs secondary coder; each top-level code present/absent per submitted answer):", "",
            "| question | codes | answers | mean alpha | min/max alpha | max abs diff alpha vs pkg | max abs diff Cohen vs sklearn |",
            "|---|---|---|---|---|---|---|"]
    for q, rs in sorted(by_q.items()):
        alphas = [r["alpha"] for r in rs if r["alpha"] is not None]
        da = [abs(r["alpha"] - r["alpha_ref"]) for r in rs if r["alpha"] is not None and r["alpha_ref"] is not None]
        dc = [r["max_cohen_diff"] for r in rs if r["max_cohen_diff"] is not None]
        out.append(f"| {q.replace('Exam proctoring ', '')} | {len(rs)} | {rs[0]['n_items']} | {_f(float(np.mean(alphas)), 3)} | "
                   f"{_f(min(alphas), 2)} / {_f(max(alphas), 2)} | {max(da):.1e} | {max(dc):.1e} |")
    worst_alpha = max(abs(r["alpha"] - r["alpha_ref"]) for r in rows if r["alpha"] is not None and r["alpha_ref"] is not None)
    worst_fleiss = max((abs(r["fleiss"] - r["fleiss_ref"]) for r in rows if r["fleiss"] is not None and r["fleiss_ref"] is not None), default=0)
    worst_cohen = max((r["max_cohen_diff"] for r in rows if r["max_cohen_diff"] is not None), default=0)
    out += ["", f"Largest differences over all {len(rows)} tables: alpha {worst_alpha:.1e}, Fleiss {worst_fleiss:.1e}, "
            f"Cohen {worst_cohen:.1e}. Time for all tables with {n_boot} bootstrap resamples each: {elapsed:.1f} s."]
    return out


def main(argv: list[str]) -> None:
    parts = argv[1:] or ["speed", "realdata"]
    print(f"<!-- {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.platform()}, "
          f"{os.cpu_count()} CPUs, Python {platform.python_version()}, numpy {np.__version__} -->")
    if "speed" in parts:
        print("\n## Speed\n")
        print("\n".join(speed()))
    if "realdata" in parts:
        print("\n## Real data\n")
        print("\n".join(realdata()))


if __name__ == "__main__":
    main(sys.argv)
