"""Agreement coefficients against published worked examples and established implementations."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reviewcoder.errors import AgreementError
from reviewcoder.evaluate.agreement import (
    agreement,
    cohen_kappa,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    multilabel_agreement,
    pairwise_cohen_kappa,
    percent_agreement,
    value_counts,
)

nan = np.nan

# Krippendorff (2011) "Computing Krippendorff's alpha-reliability", section C: 4 observers x 12 units,
# values 1..5, missing data. Published: nominal .743, ordinal .815, interval .849, ratio .797.
# The same table is irrCAC's cac.raw4raters (Gwet 2014), whose README prints percent agreement
# 0.8181818, AC1 0.77544, Fleiss' kappa 0.76117, alpha 0.74342.
K2011 = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
        [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
    ]
)

# Fleiss (1971), 30 patients x 6 psychiatrists, 5 diagnoses (R irr::diagnoses); published kappa .430
DIAGNOSES = np.array([
    [4, 4, 4, 4, 4, 4], [2, 2, 2, 5, 5, 5], [2, 3, 3, 3, 3, 5], [5, 5, 5, 5, 5, 5], [2, 2, 2, 4, 4, 4],
    [1, 1, 3, 3, 3, 3], [3, 3, 3, 3, 5, 5], [1, 1, 3, 3, 3, 4], [1, 1, 4, 4, 4, 4], [5, 5, 5, 5, 5, 5],
    [1, 4, 4, 4, 4, 4], [1, 2, 4, 4, 4, 4], [2, 2, 2, 3, 3, 3], [1, 4, 4, 4, 4, 4], [2, 2, 4, 4, 4, 5],
    [3, 3, 3, 3, 3, 5], [1, 1, 1, 4, 5, 5], [1, 1, 1, 1, 1, 2], [2, 2, 4, 4, 4, 4], [1, 3, 3, 5, 5, 5],
    [5, 5, 5, 5, 5, 5], [2, 4, 4, 4, 4, 4], [2, 2, 4, 5, 5, 5], [1, 1, 4, 4, 4, 4], [1, 4, 4, 4, 4, 5],
    [2, 2, 2, 2, 2, 4], [1, 1, 1, 1, 5, 5], [2, 2, 4, 4, 4, 4], [1, 3, 3, 3, 3, 3], [5, 5, 5, 5, 5, 5],
]).T.astype(float)  # -> raters x subjects

# irrCAC distrib.6raters (first 15 subjects of Fleiss 1971, as counts per category); README prints
# AC1 0.4448007, Fleiss' kappa 0.4139265.
DISTRIB_6 = np.array([
    [0, 0, 0, 6, 0], [0, 3, 0, 0, 3], [0, 1, 4, 0, 1], [0, 0, 0, 0, 6], [0, 3, 0, 3, 0],
    [2, 0, 4, 0, 0], [0, 0, 4, 0, 2], [2, 0, 3, 1, 0], [2, 0, 0, 4, 0], [0, 0, 0, 0, 6],
    [1, 0, 0, 5, 0], [1, 1, 0, 4, 0], [0, 3, 3, 0, 0], [1, 0, 0, 5, 0], [0, 2, 0, 3, 1],
])


def _from_counts(counts: np.ndarray) -> np.ndarray:
    """Per-subject category counts -> raters x subjects (rater order is irrelevant to these coefficients)."""
    cols = [np.repeat(np.arange(1, counts.shape[1] + 1), row) for row in counts]
    return np.array(cols, dtype=float).T


class TestPublishedValues:
    @pytest.mark.parametrize("level, expected", [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)])
    def test_krippendorff_2011(self, level, expected):
        assert krippendorff_alpha(K2011, level) == pytest.approx(expected, abs=5e-4)

    def test_krippendorff_2011_binary_two_observers(self):
        # section A of the same paper: 2 observers, 10 units, alpha = 0.095
        R = np.array([[0, 1, 0, 0, 0, 0, 0, 0, 1, 0], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]], dtype=float)
        assert krippendorff_alpha(R) == pytest.approx(0.095, abs=5e-4)

    def test_gwet_irrcac_raw4raters(self):
        assert percent_agreement(K2011) == pytest.approx(0.8181818, abs=1e-7)
        assert gwet_ac1(K2011) == pytest.approx(0.77544, abs=5e-6)
        assert fleiss_kappa(K2011) == pytest.approx(0.76117, abs=5e-6)
        assert krippendorff_alpha(K2011) == pytest.approx(0.74342, abs=5e-6)

    def test_fleiss_1971(self):
        assert fleiss_kappa(DIAGNOSES) == pytest.approx(0.430, abs=5e-4)
        assert fleiss_kappa(DIAGNOSES) == pytest.approx(0.4302445, abs=1e-7)  # R irr::kappam.fleiss

    def test_gwet_irrcac_distrib_6raters(self):
        R = _from_counts(DISTRIB_6)
        assert gwet_ac1(R) == pytest.approx(0.4448007, abs=1e-7)
        assert fleiss_kappa(R) == pytest.approx(0.4139265, abs=1e-7)


def _sparse(seed: int, n_coders=4, n_units=60, k=4, missing=0.3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    R = rng.integers(0, k, size=(n_coders, n_units)).astype(float)
    # make agreement better than chance so the comparisons are not all near zero
    R[1:, : n_units // 2] = R[0, : n_units // 2]
    R[rng.random(R.shape) < missing] = nan
    return R


class TestAgainstImplementations:
    @pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
    @pytest.mark.parametrize("seed", range(6))
    def test_krippendorff_package(self, level, seed):
        krippendorff = pytest.importorskip("krippendorff")
        R = _sparse(seed) + 1
        assert krippendorff_alpha(R, level) == pytest.approx(krippendorff.alpha(R, level_of_measurement=level), abs=1e-10)

    @pytest.mark.parametrize("seed", range(6))
    def test_statsmodels_fleiss(self, seed):
        inter_rater = pytest.importorskip("statsmodels.stats.inter_rater")
        R = _sparse(seed, n_coders=5, missing=0.0)
        table, _ = inter_rater.aggregate_raters(R.T.astype(int))
        assert fleiss_kappa(R) == pytest.approx(inter_rater.fleiss_kappa(table), abs=1e-10)

    @pytest.mark.parametrize("seed", range(6))
    def test_sklearn_cohen_on_units_both_coded(self, seed):
        from sklearn.metrics import cohen_kappa_score

        R = _sparse(seed, n_coders=3)
        got = pairwise_cohen_kappa(R, ["a", "b", "c"])
        for key, (i, j) in {"a|b": (0, 1), "a|c": (0, 2), "b|c": (1, 2)}.items():
            both = ~np.isnan(R[i]) & ~np.isnan(R[j])
            assert got[key] == pytest.approx(cohen_kappa_score(R[i, both], R[j, both]), abs=1e-10)

    def test_statsmodels_cohen_table(self):
        inter_rater = pytest.importorskip("statsmodels.stats.inter_rater")
        a = np.repeat([0, 0, 1, 1, 2, 2], [10, 3, 2, 12, 1, 7]).astype(float)
        b = np.repeat([0, 1, 1, 0, 2, 0], [10, 3, 2, 12, 1, 7]).astype(float)
        table = np.zeros((3, 3))
        np.add.at(table, (a.astype(int), b.astype(int)), 1)
        assert cohen_kappa(a, b) == pytest.approx(inter_rater.cohens_kappa(table, return_results=False), abs=1e-10)

    def test_gwet_two_raters_formula(self):
        # Gwet (2008), two raters: pe = 2 pi (1 - pi) for a binary item, pi = mean of both marginals
        a = np.array([1] * 118 + [1] * 5 + [0] * 2 + [0] * 0, dtype=float)
        b = np.array([1] * 118 + [0] * 5 + [1] * 2 + [0] * 0, dtype=float)
        pa = 118 / 125
        pi = (a.mean() + b.mean()) / 2
        pe = 2 * pi * (1 - pi)
        assert gwet_ac1(np.vstack([a, b])) == pytest.approx((pa - pe) / (1 - pe), abs=1e-12)


reliability = st.integers(2, 5).flatmap(
    lambda c: st.integers(3, 25).flatmap(
        lambda u: st.lists(
            st.lists(st.one_of(st.none(), st.integers(0, 2)), min_size=u, max_size=u), min_size=c, max_size=c
        )
    )
)


def _arr(rows) -> np.ndarray:
    return np.array([[nan if v is None else float(v) for v in row] for row in rows])


class TestProperties:
    @settings(max_examples=60, deadline=None)
    @given(reliability, st.randoms(use_true_random=False))
    def test_invariant_to_coder_and_unit_order(self, rows, rnd):
        R = _arr(rows)
        try:
            base = agreement(R, n_boot=0)
        except AgreementError:
            return
        cp = list(range(R.shape[0]))
        up = list(range(R.shape[1]))
        rnd.shuffle(cp)
        rnd.shuffle(up)
        other = agreement(R[cp][:, up], n_boot=0)
        for name in ("krippendorff_alpha", "fleiss_kappa", "gwet_ac1", "percent_agreement"):
            x, y = getattr(base, name), getattr(other, name)
            assert (x is None and y is None) or x == pytest.approx(y, abs=1e-9)

    @settings(max_examples=40, deadline=None)
    @given(st.integers(2, 5), st.lists(st.integers(0, 3), min_size=2, max_size=30))
    def test_perfect_agreement(self, n_coders, values):
        R = np.tile(np.array(values, dtype=float), (n_coders, 1))
        res = agreement(R, n_boot=0)
        assert res.percent_agreement == 1.0
        if len(set(values)) > 1:
            assert res.krippendorff_alpha == pytest.approx(1.0)
            assert res.fleiss_kappa == pytest.approx(1.0)
            assert res.gwet_ac1 == pytest.approx(1.0)
            assert all(v == pytest.approx(1.0) for v in res.cohen_kappa.values())
        else:
            assert res.krippendorff_alpha is None and res.fleiss_kappa is None
            assert any("no disagreement is possible" in n for n in res.notes)

    @settings(max_examples=40, deadline=None)
    @given(reliability)
    def test_matches_krippendorff_package(self, rows):
        krippendorff = pytest.importorskip("krippendorff")
        R = _arr(rows)
        N, values = value_counts(R)
        if values.size < 2 or not (N.sum(1) >= 2).any():
            return
        try:
            ref = krippendorff.alpha(R, level_of_measurement="nominal")
        except (ValueError, ZeroDivisionError):
            return
        got = krippendorff_alpha(R)
        assert (np.isnan(got) and np.isnan(ref)) or got == pytest.approx(ref, abs=1e-9)


class TestBootstrap:
    def test_interval_brackets_estimate_and_is_reproducible(self):
        R = _sparse(3, n_units=200)
        a = agreement(R, n_boot=500, seed=7)
        b = agreement(R, n_boot=500, seed=7)
        assert a.ci == b.ci
        for name in ("krippendorff_alpha", "fleiss_kappa", "gwet_ac1", "percent_agreement"):
            lo, hi = a.ci[name]
            assert lo <= getattr(a, name) <= hi
            assert hi - lo < 0.4
        c = agreement(R, n_boot=500, seed=8)
        assert c.ci["krippendorff_alpha"] != a.ci["krippendorff_alpha"]

    def test_wider_with_fewer_units(self):
        big = agreement(_sparse(1, n_units=400), n_boot=300)
        small = agreement(_sparse(1, n_units=40), n_boot=300)
        width = lambda r: r.ci["krippendorff_alpha"][1] - r.ci["krippendorff_alpha"][0]  # noqa: E731
        assert width(small) > width(big)

    def test_bootstrap_alpha_matches_resampled_data(self):
        # the weighted computation equals alpha recomputed on the explicitly resampled columns
        from reviewcoder.evaluate.agreement import _Prepared, bootstrap_weights

        R = _sparse(5, n_units=30)
        prep = _Prepared(R, None, "ordinal", None)
        W = bootstrap_weights(30, 5, seed=1)
        got = prep.compute(W)
        for b in range(5):
            cols = np.repeat(np.arange(30), W[b].astype(int))
            assert got["krippendorff_alpha"][b] == pytest.approx(krippendorff_alpha(R[:, cols], "ordinal"), abs=1e-10)
            assert got["fleiss_kappa"][b] == pytest.approx(fleiss_kappa(R[:, cols]), abs=1e-10)
            assert got["gwet_ac1"][b] == pytest.approx(gwet_ac1(R[:, cols]), abs=1e-10)


class TestBadInput:
    def test_fewer_than_two_coders(self):
        with pytest.raises(AgreementError, match="at least 2 coders"):
            krippendorff_alpha(np.array([[1.0, 0.0, 1.0]]))
        with pytest.raises(AgreementError, match="at least 2 coders"):
            agreement(np.array([[1.0, 0.0], [nan, nan]]))

    def test_coder_with_no_units_is_left_out_and_named(self):
        R = np.array([[1, 0, 1, 0], [1, 0, 0, 0], [nan, nan, nan, nan]])
        res = agreement(R, ["ann", "bob", "cat"], n_boot=0)
        assert res.n_coders == 2
        assert any("cat" in n for n in res.notes)
        assert res.krippendorff_alpha == pytest.approx(krippendorff_alpha(R[:2]))

    def test_no_unit_coded_twice(self):
        R = np.array([[1, nan, nan], [nan, 0, 1]])
        with pytest.raises(AgreementError, match="two or more coders"):
            fleiss_kappa(R)

    def test_value_not_a_category(self):
        R = np.array([[0, 1, 2], [0, 1, 1]], dtype=float)
        with pytest.raises(AgreementError, match="not among the categories"):
            krippendorff_alpha(R, categories=(0, 1))

    def test_not_numbers_and_bad_shapes(self):
        with pytest.raises(AgreementError, match="numbers"):
            krippendorff_alpha([["yes", "no"], ["no", "no"]])
        with pytest.raises(AgreementError, match="2-D"):
            krippendorff_alpha([1.0, 0.0])
        with pytest.raises(AgreementError, match="Level"):
            krippendorff_alpha(K2011, "cardinal")

    def test_pair_without_shared_units_is_null_with_note(self):
        R = np.array([[1, 0, nan, nan], [nan, nan, 1, 0], [1, 0, 1, 1]])
        res = agreement(R, ["a", "b", "c"], n_boot=0)
        assert res.cohen_kappa["a|b"] is None
        assert any("a and b share no unit" in n for n in res.notes)

    def test_ac1_uses_given_categories(self):
        R = np.zeros((2, 5))
        assert np.isnan(gwet_ac1(R))  # one category seen, q = 1
        assert gwet_ac1(R, categories=(0, 1)) == pytest.approx(1.0)


class TestMultiLabel:
    def test_per_theme_summary_and_pooled(self):
        rng = np.random.default_rng(0)
        truth = rng.random((3, 80)) < 0.3
        R3 = np.stack([truth, truth, truth]).transpose(1, 0, 2).astype(float)  # themes x coders x units
        flip = rng.random(R3.shape) < 0.1
        R3 = np.where(flip, 1 - R3, R3)
        R3[:, 2, :20] = nan
        res = multilabel_agreement(R3, ["a", "b", "c"], ["t1", "t2", "t3"], n_boot=200)
        per = [res.themes[t].krippendorff_alpha for t in ("t1", "t2", "t3")]
        assert res.summary["macro_krippendorff_alpha"] == pytest.approx(np.mean(per))
        pooled = R3.transpose(1, 0, 2).reshape(3, -1)
        assert res.summary["pooled_krippendorff_alpha"] == pytest.approx(krippendorff_alpha(pooled))
        lo, hi = res.summary_ci["macro_krippendorff_alpha"]
        assert lo <= res.summary["macro_krippendorff_alpha"] <= hi
        lo, hi = res.summary_ci["pooled_krippendorff_alpha"]
        assert lo <= res.summary["pooled_krippendorff_alpha"] <= hi
        assert res.to_dict()["themes"]["t1"]["n_coders"] == 3

    def test_theme_nobody_used_is_reported_not_crashed(self):
        R3 = np.zeros((2, 2, 10))
        R3[0, :, :5] = 1
        res = multilabel_agreement(R3, ["a", "b"], ["used", "unused"], n_boot=50)
        assert res.themes["unused"].krippendorff_alpha is None
        assert res.themes["unused"].percent_agreement == 1.0
        assert res.themes["used"].krippendorff_alpha == pytest.approx(1.0)


def test_doctests_with_published_values():
    import doctest
    import importlib

    module = importlib.import_module("reviewcoder.evaluate.agreement")

    result = doctest.testmod(module)
    assert result.attempted >= 4 and result.failed == 0
