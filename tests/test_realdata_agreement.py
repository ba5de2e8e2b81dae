"""Agreement on real coded data (../shared/data), checked against the established implementations.

The data are not part of the repository (a user's clone lacks them); these tests are skipped, with the
reason, when the folder is absent. Set REVIEWCODER_SHARED_DATA to point elsewhere.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("bench_agreement", ROOT / "bench" / "bench_agreement.py")
bench = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("bench_agreement", bench)  # dataclasses look their module up there
_spec.loader.exec_module(bench)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not bench.DATA_DIR.is_dir(), reason=f"real data folder {bench.DATA_DIR} is absent "
                       "(it sits beside the repository on the project machine, not in a clone)"),
]


@pytest.fixture(scope="module")
def tables():
    return bench.all_tables()


def test_every_table_matches_krippendorff_statsmodels_and_sklearn(tables):
    tabs, info = tables
    assert len(tabs) > 100
    checked_fleiss = 0
    for t in tabs:
        r = bench.check_table(t)
        if r["alpha_ref"] is not None:
            assert r["alpha"] == pytest.approx(r["alpha_ref"], abs=1e-9), (t.dataset, t.label, t.level)
        if r["fleiss_ref"] is not None:
            checked_fleiss += 1
            assert r["fleiss"] == pytest.approx(r["fleiss_ref"], abs=1e-9), (t.dataset, t.label)
        if r["max_cohen_diff"] is not None:
            assert r["max_cohen_diff"] < 1e-9, (t.dataset, t.label)
    assert checked_fleiss >= 7  # PFD (4) and HS-Brexit (3) are fully crossed


def test_figures_recorded_in_results(tables):
    """The PFD and HS-Brexit alphas in bench/RESULTS-evaluation.md are what the code gives."""
    tabs, info = tables
    got = {(t.dataset, t.label, t.level): bench.check_table(t)["alpha"] for t in tabs}
    assert got[("PFD clinicians", "child", "nominal")] == pytest.approx(0.8815, abs=5e-5)
    assert got[("PFD clinicians", "suicide", "nominal")] == pytest.approx(0.8178, abs=5e-5)
    assert got[("HS-Brexit", "hate_speech", "nominal")] == pytest.approx(0.3475, abs=5e-5)
    assert got[("ConvAbuse", "severity", "interval")] == pytest.approx(0.7339, abs=5e-5)
    assert info["hs_brexit_stray_values"] == 3


def test_convabuse_repeat_codes_are_refused_unless_resolved():
    from reviewcoder.errors import AgreementError
    from reviewcoder.labels import long_to_reliability

    with pytest.raises(AgreementError, match="two values"):
        long_to_reliability(bench.convabuse_rows())


def test_pfd_llm_evaluated_as_one_more_coder():
    """End to end: the LLM's calls as predictions, the clinicians as coders, the agreed verdict as consensus."""
    from reviewcoder.codebook import codebook_from_dict
    from reviewcoder.evaluate.agreement import cohen_kappa
    from reviewcoder.evaluate.evaluation import evaluate_predictions
    from reviewcoder.records import Annotation, Completion

    rows = [r for r in bench.pfd_long_rows() if r["label"] == "child_and_suicide"]
    cb = codebook_from_dict({"id": "pfd", "name": "PFD", "version": 1, "themes": [
        {"id": "child_and_suicide", "name": "Child and suicide", "kind": "case_feature", "definition": "A child died by suicide."}]})
    anns, comps, preds = [], [], []
    for r in rows:
        yes = r["value"].strip().lower() == "yes"
        if r["coder"] == "PFD_Toolkit_gpt-4.1":
            preds.append({"id": r["item"], "themes": ["child_and_suicide"] if yes else [], "model": "gpt-4.1"})
            continue
        coder = "consensus" if r["coder"] == "post_consensus" else r["coder"]
        comps.append(Completion(r["item"], r["item"], coder))
        if yes:
            anns.append(Annotation(r["item"], coder, "child_and_suicide", r["item"]))
    res = evaluate_predictions((anns, comps), preds, cb, n_boot=500, seed=0)
    assert res.reference == "consensus" and res.coders == ["Arpan", "Dan", "Sahil"] and len(res.units) == 146
    cons = {r["item"]: float(r["value"].lower() == "yes") for r in rows if r["coder"] == "post_consensus"}
    llm = {r["item"]: float(r["value"].lower() == "yes") for r in rows if r["coder"] == "PFD_Toolkit_gpt-4.1"}
    items = sorted(cons)
    expected = cohen_kappa(np.array([cons[i] for i in items]), np.array([llm[i] for i in items]))
    row = res.theme_table()[0]
    assert row["model_reference_kappa"] == pytest.approx(expected)
    assert row["model_reference_kappa"] == pytest.approx(0.9315, abs=5e-4)
    assert row["coders_alpha"] == pytest.approx(0.7459, abs=5e-4)
