"""Loader for the exam-proctoring benchmark data (../shared/data/exam_proctoring_qual; never copied here).

Free-text survey answers, each coded by a primary and a secondary coder with hierarchical codes
(``parent->child``). We use the top-level codes as themes, keep the codes with at least ``min_count``
primary positives, and return, per question: texts, Y (primary coder), and for the answers the
secondary coder coded, the secondary coder's Y, so model-vs-coder figures sit beside coder-vs-coder.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "exam_proctoring_qual" / "irr_inputs"
QUESTIONS = {"N3": "No Only - N3", "N4": "No Only - N4", "Q5": "Yes and No - Q5"}


@dataclass
class Question:
    name: str
    ids: list[str]
    texts: list[str]
    codes: list[str]
    Y: np.ndarray  # (n, n_codes) primary coder
    Y2: np.ndarray  # (n, n_codes) secondary coder (rows valid where coded2)
    coded2: np.ndarray  # (n,) bool


def _read(path: Path) -> dict[str, tuple[str, set[str]]]:
    rows = list(csv.reader(path.open(encoding="utf-8-sig")))
    out = {}
    for r in rows[1:]:
        if len(r) < 2 or not r[1].strip():
            continue
        out[r[0]] = (r[1].strip(), {x.split("->")[0].strip() for x in r[2:] if x.strip()})
    return out


def load_question(key: str, folder: Path = DEFAULT_DIR, min_count: int = 5) -> Question:
    stem = QUESTIONS[key]
    prim = _read(folder / f"Qualitative Responses {stem} (primary).csv")
    sec = _read(folder / f"Qualitative Responses {stem} (secondary).csv")
    counts = Counter(c for _, cs in prim.values() for c in cs)
    codes = sorted(c for c, n in counts.items() if n >= min_count)
    ids = list(prim)
    texts = [prim[i][0] for i in ids]
    Y = np.array([[int(c in prim[i][1]) for c in codes] for i in ids], dtype=np.int8)
    coded2 = np.array([i in sec and bool(sec[i][1]) for i in ids])
    Y2 = np.array([[int(i in sec and c in sec[i][1]) for c in codes] for i in ids], dtype=np.int8)
    return Question(key, ids, texts, codes, Y, Y2, coded2)
