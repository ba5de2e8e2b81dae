"""Reports people read: Markdown, a self-contained HTML page with plots, and JSON.

Plots are drawn with matplotlib's object API (``Figure`` + Agg canvas, never ``pyplot``), so making a
report changes no global matplotlib state. Every figure in the HTML is an embedded PNG (base64): the
page opens anywhere, offline, as one file. Every string from the data is HTML-escaped.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import re
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .evaluation import CONSENSUS_CODER, EvaluationResult

__all__ = [
    "fmt",
    "fmt_ci",
    "agreement_plot",
    "pair_heatmap",
    "render_markdown",
    "render_html",
    "write_report",
    "interpretation_note",
]

NA = "n/a"


def fmt(x: Any, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return NA
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    return f"{float(x):.{digits}f}"


def fmt_ci(ci: Sequence[float] | None, digits: int = 2) -> str:
    if not ci:
        return ""
    return f"[{float(ci[0]):.{digits}f}, {float(ci[1]):.{digits}f}]"


def _with_ci(x: Any, ci: Sequence[float] | None) -> str:
    s = fmt(x)
    return f"{s} {fmt_ci(ci)}" if ci and s != NA else s


def interpretation_note() -> str:
    return (
        "Cohen's kappa and Krippendorff's alpha are 1 for perfect agreement and 0 for agreement no better than "
        "chance. Krippendorff (2004) suggests relying on variables with alpha >= 0.800 and drawing tentative "
        "conclusions only from 0.667 to 0.800. Intervals are percentile bootstrap intervals over resampled units. "
        "Rare themes give wide intervals: read the interval, not only the point."
    )


# --------------------------------------------------------------------------------------------------
# plots
# --------------------------------------------------------------------------------------------------


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=110)
    FigureCanvasAgg(fig)
    return fig


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    return buf.getvalue()


def agreement_plot(result: EvaluationResult) -> bytes:
    """Per-theme agreement with intervals: alpha among coders, alpha with the model added, and the
    model's kappa with the reference. Returns PNG bytes."""
    rows = result.theme_table()
    series = [
        ("coders: Krippendorff's alpha", "coders_alpha", "coders_alpha_ci", "#1b6ca8", "o"),
        ("coders + model: alpha", "with_model_alpha", "with_model_alpha_ci", "#7a7a7a", "s"),
        (f"model vs {result.reference}: Cohen's kappa", "model_reference_kappa", "model_reference_kappa_ci", "#d1495b", "D"),
    ]
    n = len(rows)
    fig = _figure(8.0, max(2.5, 0.42 * n + 1.2))
    ax = fig.add_subplot(1, 1, 1)
    y = np.arange(n)[::-1]
    offsets = (-0.22, 0.0, 0.22)
    for (label, key, ci_key, color, marker), off in zip(series, offsets):
        xs, ys, lo, hi = [], [], [], []
        for yi, row in zip(y, rows):
            if row[key] is None:
                continue
            xs.append(row[key])
            ys.append(yi - off)
            ci = row[ci_key] or [row[key], row[key]]
            lo.append(row[key] - ci[0])
            hi.append(ci[1] - row[key])
        if xs:
            ax.errorbar(xs, ys, xerr=[np.maximum(lo, 0), np.maximum(hi, 0)], fmt=marker, color=color, ms=5,
                        capsize=2, lw=1, label=label)
    ax.axvline(0.0, color="#444", lw=0.8)
    ax.axvline(0.667, color="#bbb", lw=0.8, ls=":")
    ax.axvline(0.8, color="#bbb", lw=0.8, ls="--")
    ax.set_yticks(y)
    ax.set_yticklabels([r["theme"] for r in rows], fontsize=8)
    ax.set_xlim(-0.5, 1.02)
    ax.set_ylim(-0.6, n - 0.4)
    ax.set_xlabel("agreement (1 = perfect, 0 = chance); dotted 0.667, dashed 0.800", fontsize=8)
    ax.tick_params(axis="x", labelsize=8)
    ax.grid(axis="x", color="#eee")
    ax.set_axisbelow(True)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, fontsize=7.5, frameon=False)
    ax.set_title(f"Agreement per theme ({len(result.units)} {result.level}s)", fontsize=10, pad=24)
    return _png(fig)


def pair_matrix(result: EvaluationResult) -> tuple[list[str], np.ndarray]:
    """Mean Cohen's kappa over themes for every pair of members (coders, consensus, model)."""
    members = list(result.coders)
    first = result.pairs[result.themes[0]] if result.themes else {}
    if any(CONSENSUS_CODER in k.split("|") for k in first):
        members.append(CONSENSUS_CODER)
    members.append(result.model)
    k = len(members)
    M = np.full((k, k), np.nan)
    for i in range(k):
        for j in range(i + 1, k):
            vals = []
            for t in result.themes:
                p = result.pairs[t].get(f"{members[i]}|{members[j]}") or result.pairs[t].get(f"{members[j]}|{members[i]}")
                if p and p["cohen_kappa"] is not None:
                    vals.append(p["cohen_kappa"])
            if vals:
                M[i, j] = M[j, i] = float(np.mean(vals))
    names = [("majority" if m == CONSENSUS_CODER and result.reference == "majority" else m) for m in members]
    return names, M


def pair_heatmap(result: EvaluationResult) -> bytes:
    """Coder x coder heatmap (model and reference included) of mean Cohen's kappa over themes. PNG bytes."""
    from matplotlib import colormaps

    members, M = pair_matrix(result)
    k = len(members)
    size = max(3.2, 0.75 * k + 1.8)
    fig = _figure(size + 0.8, size)
    ax = fig.add_subplot(1, 1, 1)
    cmap = colormaps["RdYlBu"].with_extremes(bad="#f0f0f0")
    im = ax.imshow(np.ma.masked_invalid(M), vmin=-0.2, vmax=1.0, cmap=cmap)
    for i in range(k):
        for j in range(k):
            text = "" if i == j else ("n/a" if np.isnan(M[i, j]) else f"{M[i, j]:.2f}")
            shade = M[i, j] if not np.isnan(M[i, j]) else 0.5
            ax.text(j, i, text, ha="center", va="center", fontsize=8, color="white" if shade > 0.8 or shade < 0.0 else "black")
    short = [m if len(m) <= 18 else m[:16] + "…" for m in members]
    ax.set_xticks(range(k))
    ax.set_xticklabels(short, rotation=35, ha="right", fontsize=8)
    ax.set_yticks(range(k))
    ax.set_yticklabels(short, fontsize=8)
    title = "Mean Cohen's kappa over themes"
    if result.reference == "majority":
        title += "\n(grey: not computed; a coder vs a majority that includes them is left out)"
    ax.set_title(title, fontsize=9)
    cbar = fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    cbar.ax.tick_params(labelsize=7)
    return _png(fig)


# --------------------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------------------


def _md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    def cell(s: str) -> str:
        return str(s).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def _theme_rows(result: EvaluationResult) -> tuple[list[str], list[list[str]]]:
    header = [
        "theme", "coders α [CI]", "mean κ coder–coder", "mean κ model–coder",
        f"κ model–{result.reference} [CI]", "P", "R", "F1", "support", "share coders", "share model",
    ]
    rows = []
    for r in result.theme_table():
        rows.append([
            r["theme"], _with_ci(r["coders_alpha"], r["coders_alpha_ci"]), fmt(r["mean_coder_coder_kappa"]),
            fmt(r["mean_model_coder_kappa"]), _with_ci(r["model_reference_kappa"], r["model_reference_kappa_ci"]),
            fmt(r["precision"], 2), fmt(r["recall"], 2), fmt(r["f1"], 2), fmt(r["support"]),
            fmt(r["human_prevalence"], 2), fmt(r["model_prevalence"], 2),
        ])
    return header, rows


def _summary_rows(result: EvaluationResult) -> list[list[str]]:
    out = []
    for name, ml in (("coders", result.coders_agreement), ("coders + model", result.with_model_agreement)):
        if ml is None:
            continue
        s, ci = ml.summary, ml.summary_ci
        out.append([
            name,
            _with_ci(s.get("macro_krippendorff_alpha"), ci.get("macro_krippendorff_alpha")),
            _with_ci(s.get("pooled_krippendorff_alpha"), ci.get("pooled_krippendorff_alpha")),
            _with_ci(s.get("macro_fleiss_kappa"), ci.get("macro_fleiss_kappa")),
            _with_ci(s.get("macro_gwet_ac1"), ci.get("macro_gwet_ac1")),
            _with_ci(s.get("macro_percent_agreement"), ci.get("macro_percent_agreement")),
        ])
    return out


SUMMARY_HEADER = ["who", "mean α over themes", "pooled α", "mean Fleiss κ", "mean Gwet AC1", "mean % agreement"]


def _pair_rows(result: EvaluationResult) -> tuple[list[str], list[list[str]]]:
    members, M = pair_matrix(result)
    header = [""] + members
    rows = [[m] + [fmt(M[i, j], 2) if i != j else "–" for j in range(len(members))] for i, m in enumerate(members)]
    return header, rows


SPAN_HEADER = ["theme", "coders: exact F1", "coders: overlap F1", "model evidence vs coders: exact F1",
               "model evidence vs coders: overlap F1"]


def _span_rows(result: EvaluationResult) -> list[list[str]]:
    return [[r["theme"], fmt(r["coders_exact_f1"], 2), fmt(r["coders_overlap_f1"], 2), fmt(r["model_exact_f1"], 2),
             fmt(r["model_overlap_f1"], 2)] for r in result.span_table()]


def _header_lines(result: EvaluationResult) -> list[str]:
    return [
        f"- model: `{result.model}`; codebook `{result.codebook}`",
        f"- level: {result.level}; {len(result.units)} units coded by humans and predicted by the model",
        f"- human coders: {', '.join(result.coders)}; reference: {result.reference}",
        f"- intervals: {int(result.confidence * 100)}% percentile bootstrap, {result.n_boot} resamples of units, seed {result.seed}",
        f"- micro P/R/F1 vs {result.reference}: {fmt(result.prf['micro']['precision'])} / "
        f"{fmt(result.prf['micro']['recall'])} / {fmt(result.prf['micro']['f1'])}; macro F1 {fmt(result.prf['macro']['f1'])}",
    ]


def render_markdown(result: EvaluationResult, images: dict[str, str] | None = None) -> str:
    """The report as Markdown. ``images`` maps "agreement" / "pairs" to image paths to link."""
    parts = ["# Model vs coders: agreement report", "", *_header_lines(result), ""]
    if images and images.get("agreement"):
        parts += [f"![Agreement per theme]({images['agreement']})", ""]
    parts += ["## Summary over themes", "", _md_table(SUMMARY_HEADER, _summary_rows(result)), ""]
    parts += ["## Per theme", "", _md_table(*_theme_rows(result)), ""]
    parts += ["## Pairs: mean Cohen's kappa over themes", ""]
    if images and images.get("pairs"):
        parts += [f"![Pairs]({images['pairs']})", ""]
    parts += [_md_table(*_pair_rows(result)), ""]
    if result.spans:
        parts += ["## Evidence spans", "", "Positive specific agreement (F1 between coders) on marked passages, per theme, "
                  "on the reviews both completed; exact: same start and end; overlap: sharing a character.", "",
                  _md_table(SPAN_HEADER, _span_rows(result)), ""]
    parts += ["## Themes the model mixes up", ""]
    if result.top_confusions:
        parts += [_md_table(["reference says", "model says instead", "units"],
                            [[c["true"], c["predicted"], str(c["units"])] for c in result.top_confusions]), ""]
    else:
        parts += ["No unit where the model missed one theme and put another in its place.", ""]
    parts += ["## How to read this", "", interpretation_note(), ""]
    if result.notes:
        parts += ["## Notes", "", *[f"- {n}" for n in result.notes], ""]
    return "\n".join(parts)


# --------------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------------

_CSS = """
body{font-family:-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:2rem auto;max-width:1100px;
     padding:0 1rem;color:#222;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem} h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
ul.meta{color:#444;font-size:.92rem;padding-left:1.2rem}
table{border-collapse:collapse;font-size:.85rem;margin:.6rem 0;width:100%}
th,td{border:1px solid #ddd;padding:.3rem .45rem;text-align:left;vertical-align:top}
td.num{text-align:right;white-space:nowrap}
th{background:#f4f6f8;text-align:center} th:first-child{text-align:left}
tr:nth-child(even) td{background:#fafbfc}
td.low{color:#b00020} td.ok{color:#1b6c2f}
figure{margin:1rem 0} figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.85rem;color:#555}
.note{font-size:.88rem;color:#444;background:#f7f7f2;border-left:3px solid #c9c28f;padding:.5rem .8rem}
.small{font-size:.8rem;color:#666}
"""


_NUMERIC = re.compile(r"^(-?\d|n/a$|–$)")


def _img(png: bytes, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}">'


def _html_table(header: Sequence[str], rows: Sequence[Sequence[str]], classes: Sequence[Sequence[str]] | None = None) -> str:
    out = ["<table><thead><tr>", *[f"<th>{html.escape(str(h))}</th>" for h in header], "</tr></thead><tbody>"]
    for i, r in enumerate(rows):
        cells = []
        for j, c in enumerate(r):
            cls = (classes[i][j] if classes else "").split()
            if _NUMERIC.match(str(c)):
                cls.append("num")
            attr = f' class="{" ".join(cls)}"' if cls else ""
            cells.append(f"<td{attr}>{html.escape(str(c))}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def render_html(result: EvaluationResult) -> str:
    """The report as one self-contained HTML page (plots embedded as PNG)."""
    header, rows = _theme_rows(result)
    table = result.theme_table()
    classes = []
    for r in table:
        c = [""] * len(header)
        a = r["coders_alpha"]
        c[1] = "" if a is None else ("low" if a < 0.667 else ("ok" if a >= 0.8 else ""))
        k = r["model_reference_kappa"]
        c[4] = "" if k is None else ("low" if k < 0.667 else ("ok" if k >= 0.8 else ""))
        classes.append(c)
    esc = html.escape
    meta = "".join(f"<li>{esc(line[2:]).replace('`', '')}</li>" for line in _header_lines(result))
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{esc('Agreement report: ' + result.model)}</title><style>{_CSS}</style></head><body>",
        "<h1>Model vs coders: agreement report</h1>",
        f"<ul class='meta'>{meta}</ul>",
        "<h2>Agreement per theme</h2>",
        "<figure>" + _img(agreement_plot(result), "Agreement per theme with intervals") +
        "<figcaption>Each theme: agreement among the human coders (blue), with the model added as one more coder "
        f"(grey), and between the model and the {esc(result.reference)} (red). Bars are "
        f"{int(result.confidence * 100)}% bootstrap intervals.</figcaption></figure>",
        "<h2>Summary over themes</h2>",
        _html_table(SUMMARY_HEADER, _summary_rows(result)),
        "<h2>Per theme</h2>",
        "<p class='small'>α: Krippendorff's alpha (nominal); κ: Cohen's kappa on the units both coded; P/R/F1 against "
        f"the {esc(result.reference)}; share: the proportion of units with the theme. Red: below 0.667; green: 0.800 or above.</p>",
        _html_table(header, rows, classes),
        "<h2>Coder × coder</h2>",
        "<figure>" + _img(pair_heatmap(result), "Heatmap of mean Cohen's kappa for each pair") +
        "<figcaption>Mean Cohen's kappa over themes for each pair, each on the units both coded.</figcaption></figure>",
        _html_table(*_pair_rows(result)),
    ]
    if result.spans:
        parts += ["<h2>Evidence spans</h2>",
                  "<p class='small'>Positive specific agreement (F1 between coders) on marked passages, per theme, on the "
                  "reviews both completed; exact: same start and end; overlap: sharing a character.</p>",
                  _html_table(SPAN_HEADER, _span_rows(result))]
    parts += ["<h2>Themes the model mixes up</h2>"]
    if result.top_confusions:
        parts.append(_html_table(["reference says", "model says instead", "units"],
                                 [[c["true"], c["predicted"], str(c["units"])] for c in result.top_confusions]))
    else:
        parts.append("<p>No unit where the model missed one theme and put another in its place.</p>")
    parts.append(f"<h2>How to read this</h2><p class='note'>{esc(interpretation_note())}</p>")
    if result.notes:
        parts.append("<h2>Notes</h2><ul>" + "".join(f"<li>{esc(n)}</li>" for n in result.notes) + "</ul>")
    parts.append("<p class='small'>Made by reviewcoder evaluate. Figures in JSON beside this page.</p></body></html>")
    return "".join(parts)


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (np.floating, np.integer)):
        return obj.item()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def _clean(obj: Any) -> Any:
    """NaN and infinities become null: JSON has no NaN, and a reader must see 'undefined', not a number."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _clean(obj.tolist())
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def to_json(result: Any) -> str:
    """``result.to_dict()`` as JSON (strict: no NaN)."""
    return json.dumps(_clean(result.to_dict()), indent=2, ensure_ascii=False, default=_json_default, allow_nan=False)


def write_report(result: EvaluationResult, out: str | Path) -> dict[str, Path]:
    """Write ``<out>.md``, ``<out>.html``, ``<out>.json`` and the Markdown's two PNGs
    (``<out>-agreement.png``, ``<out>-pairs.png``); ``out`` is a path without suffix (a suffix is
    dropped). Each file is written atomically. Returns the paths by kind."""
    from ..writing import atomic_writer

    out = Path(out)
    if out.suffix.lower() in (".md", ".html", ".json"):
        out = out.with_suffix("")
    paths = {
        "markdown": out.with_name(out.name + ".md"),
        "html": out.with_name(out.name + ".html"),
        "json": out.with_name(out.name + ".json"),
        "agreement_png": out.with_name(out.name + "-agreement.png"),
        "pairs_png": out.with_name(out.name + "-pairs.png"),
    }
    payload = to_json(result)
    page = render_html(result)
    with atomic_writer(paths["agreement_png"], "wb", encoding=None) as fh:
        fh.write(agreement_plot(result))
    with atomic_writer(paths["pairs_png"], "wb", encoding=None) as fh:
        fh.write(pair_heatmap(result))
    md = render_markdown(result, {"agreement": paths["agreement_png"].name, "pairs": paths["pairs_png"].name})
    for kind, text in (("markdown", md), ("html", page), ("json", payload)):
        with atomic_writer(paths[kind]) as fh:
            fh.write(text)
    return paths
