"""Agreement coefficients: pure functions over reliability data.

Every function here takes **reliability data** ``R``: a float array of shape ``(n_coders, n_units)``,
one row per coder and one column per unit, holding the value the coder gave the unit and ``NaN``
where the coder never coded it. For a theme, 1.0 = theme applied, 0.0 = coded without the theme
(``reviewcoder.labels.reliability_data`` builds exactly this). Nothing here reads records or files.

Rules, the same in every function (documented so that no number is silently wrong):

- A coder whose row is all ``NaN`` (a coder with no units) contributes nothing; :func:`agreement`
  names such coders in its notes.
- Fewer than two coders with any value, or no unit coded by two or more coders: ``AgreementError``.
- A coefficient whose formula is 0/0 on the data (e.g. every value identical, so no disagreement can
  be expected) is ``nan``; :func:`agreement` reports it as ``None`` with the reason in ``notes``.
- ``categories``: the admissible values. Left out, they are the values seen. Given, a value outside
  them raises ``AgreementError`` (a value that is not a category), and Gwet's AC1 uses their number.
- Missing data: Fleiss' kappa, Gwet's AC1 and percent agreement use the multi-rater formulas with
  a varying number of ratings per unit (Gwet 2014, *Handbook of Inter-Rater Reliability*, 4th ed.,
  ch. 2 and 4): agreement over units with two or more ratings, category shares over units with one
  or more. With every unit rated by the same coders these are exactly Fleiss (1971) and Gwet (2008).
  Cohen's kappa is computed for each pair of coders on the units both coded.
- Bootstrap intervals resample **units** with replacement (percentile intervals); all statistics
  of one call see the same resamples. Replicates where a coefficient is undefined are left out
  and counted in the notes.

>>> import numpy as np
>>> nan = np.nan
>>> R = np.array([  # Krippendorff (2011), "Computing Krippendorff's alpha-reliability", section C
...     [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
...     [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
...     [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
...     [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan]])
>>> round(krippendorff_alpha(R, "nominal"), 3), round(krippendorff_alpha(R, "ordinal"), 3)
(0.743, 0.815)
>>> round(krippendorff_alpha(R, "interval"), 3), round(krippendorff_alpha(R, "ratio"), 3)
(0.849, 0.797)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, Iterable, Sequence

import numpy as np

from ..errors import AgreementError

__all__ = [
    "LEVELS",
    "COEFFICIENTS",
    "as_reliability",
    "value_counts",
    "krippendorff_alpha",
    "fleiss_kappa",
    "gwet_ac1",
    "percent_agreement",
    "cohen_kappa",
    "pairwise_cohen_kappa",
    "bootstrap_weights",
    "AgreementResult",
    "agreement",
    "MultiLabelAgreement",
    "multilabel_agreement",
]

LEVELS = ("nominal", "ordinal", "interval", "ratio")
COEFFICIENTS = ("krippendorff_alpha", "fleiss_kappa", "gwet_ac1", "percent_agreement")


# --------------------------------------------------------------------------------------------------
# input checks and sufficient statistics
# --------------------------------------------------------------------------------------------------


def as_reliability(R: Any, *, min_coders: int = 2) -> np.ndarray:
    """Check and return ``R`` as a float array ``(n_coders, n_units)`` (NaN = not coded).

    Raises AgreementError for a shape that is not 2-D, infinite values, or fewer than
    ``min_coders`` coders with at least one value.
    """
    try:
        arr = np.asarray(R, dtype=float)
    except (TypeError, ValueError) as exc:
        raise AgreementError(
            f"Reliability data must be numbers or NaN (coders x units); got values that are not: {exc}. "
            "Map categories to numbers first (reviewcoder.labels does this)"
        ) from None
    if arr.ndim != 2:
        raise AgreementError(
            f"Reliability data must be 2-D (coders x units); got shape {arr.shape}; "
            "pass one row per coder and one column per unit"
        )
    if np.isinf(arr).any():
        raise AgreementError("Reliability data holds an infinite value; use NaN for 'not coded'")
    active = int((~np.isnan(arr)).any(axis=1).sum())
    if active < min_coders:
        raise AgreementError(
            f"Agreement needs at least {min_coders} coders with coded units; got {active} "
            f"(of {arr.shape[0]} rows). Add a second coder's codes for the same units"
        )
    return arr


def value_counts(R: Any, categories: Sequence[float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per-unit counts of each value.

    Returns ``(N, values)``: ``N`` int array ``(n_units, n_values)``, ``N[u, k]`` = how many coders
    gave unit ``u`` the value ``values[k]``; ``values`` sorted (the given ``categories`` or the values
    seen). Raises AgreementError for a value that is not one of ``categories``.
    """
    arr = np.asarray(R, dtype=float)
    seen = np.unique(arr[~np.isnan(arr)])
    if categories is None:
        values = seen
    else:
        values = np.unique(np.asarray(list(categories), dtype=float))
        bad = np.setdiff1d(seen, values)
        if bad.size:
            raise AgreementError(
                f"Values {bad.tolist()[:10]} are not among the categories {values.tolist()}; "
                "fix the data or pass the full list of categories"
            )
    n_units = arr.shape[1]
    N = np.zeros((n_units, values.size), dtype=np.int64)
    if values.size:
        mask = ~np.isnan(arr)
        idx = np.searchsorted(values, arr[mask])
        units = np.broadcast_to(np.arange(n_units), arr.shape)[mask]
        np.add.at(N, (units, idx), 1)
    return N, values


def _need_pairable(N: np.ndarray) -> None:
    if not (N.sum(axis=1) >= 2).any():
        raise AgreementError(
            "No unit was coded by two or more coders, so there is nothing to compare; "
            "agreement needs units that at least two coders coded"
        )


# --------------------------------------------------------------------------------------------------
# Krippendorff's alpha (Krippendorff 2011), computed from weighted unit statistics so that the same
# code gives the point estimate (all weights 1) and every bootstrap replicate (resampled weights).
# --------------------------------------------------------------------------------------------------


class _AlphaParts:
    def __init__(self, N: np.ndarray, values: np.ndarray, level: str):
        if level not in LEVELS:
            raise AgreementError(f"Level {level!r} is not one of {LEVELS}; pick the level of the values' scale")
        if level == "ratio" and (values < 0).any():
            raise AgreementError("The ratio level needs values >= 0; use 'interval' for data with negative values")
        self.level = level
        self.values = values
        m = N.sum(axis=1)
        pair = m >= 2
        self.marg = (N * pair[:, None]).astype(float)  # (units, K): pairable values only
        denom = np.where(pair, m - 1, 1).astype(float)
        v = values.astype(float)
        K = values.size
        if level == "ordinal":
            C = self.marg[:, :, None] * self.marg[:, None, :]
            idx = np.arange(K)
            C[:, idx, idx] -= self.marg
            C /= denom[:, None, None]
            self.features = np.hstack([self.marg, C.reshape(len(m), K * K)])
        elif level == "nominal":
            do = (self.marg.sum(1) ** 2 - (self.marg**2).sum(1)) / denom
        elif level == "interval":
            s1 = self.marg @ v
            s2 = self.marg @ (v**2)
            do = 2.0 * (self.marg.sum(1) * s2 - s1**2) / denom
        else:  # ratio
            self.delta = _ratio_delta(v)
            do = ((self.marg @ self.delta) * self.marg).sum(1) / denom
        if level != "ordinal":
            self.features = np.hstack([self.marg, do[:, None]])

    def alpha(self, W: np.ndarray) -> np.ndarray:
        """Alpha for each row of unit weights ``W`` (n_rep, n_units)."""
        return self.finish(W @ self.features)

    def finish(self, G: np.ndarray) -> np.ndarray:
        """Alpha from ``G = W @ self.features`` (n_rep, n_features): weighted sums per replicate."""
        v = self.values.astype(float)
        K = v.size
        marg = G[:, :K]  # (n_rep, K)
        n = marg.sum(1)
        if self.level == "ordinal":
            O = G[:, K:].reshape(-1, K, K)
            cum = np.cumsum(marg, axis=1)
            # delta^2_ck = (sum_{g=c..k} n_g - (n_c + n_k)/2)^2 for c <= k, symmetric
            lo = np.minimum.outer(np.arange(K), np.arange(K))
            hi = np.maximum.outer(np.arange(K), np.arange(K))
            between = cum[:, hi] - np.concatenate([np.zeros((len(n), 1)), cum], axis=1)[:, lo]
            delta = (between - (marg[:, :, None] + marg[:, None, :]) / 2.0) ** 2
            delta[:, np.arange(K), np.arange(K)] = 0.0
            d_obs = (O * delta).sum((1, 2))
            d_exp = (marg[:, :, None] * marg[:, None, :] * delta).sum((1, 2))
        else:
            d_obs = G[:, K]
            if self.level == "nominal":
                d_exp = n**2 - (marg**2).sum(1)
            elif self.level == "interval":
                d_exp = 2.0 * (n * (marg @ v**2) - (marg @ v) ** 2)
            else:
                d_exp = ((marg @ self.delta) * marg).sum(1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = 1.0 - (n - 1.0) * d_obs / d_exp
        out[~(d_exp > 1e-12 * np.maximum(n, 1) ** 2)] = np.nan
        return out


def _ratio_delta(v: np.ndarray) -> np.ndarray:
    s = v[:, None] + v[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        d = ((v[:, None] - v[None, :]) / s) ** 2
    return np.nan_to_num(d, nan=0.0)


def krippendorff_alpha(R: Any, level: str = "nominal", *, categories: Sequence[float] | None = None) -> float:
    """Krippendorff's alpha for reliability data ``R`` ``(n_coders, n_units)``, NaN = not coded.

    ``level``: "nominal" (the default here: themes are categories, unlike the ``krippendorff``
    package whose default is interval), "ordinal", "interval" or "ratio". For ordinal data the
    ``categories`` (if given) set the rank order, including ranks nobody used. Units coded by fewer
    than two coders are not pairable and do not count. Returns nan when no disagreement is possible
    (a single value in all pairable units).
    """
    arr = as_reliability(R)
    N, values = value_counts(arr, categories)
    _need_pairable(N)
    return float(_AlphaParts(N, values, level).alpha(np.ones((1, arr.shape[1])))[0])


# --------------------------------------------------------------------------------------------------
# Fleiss' kappa, Gwet's AC1, percent agreement (multi-rater, varying number of ratings per unit)
# --------------------------------------------------------------------------------------------------


class _ChanceParts:
    def __init__(self, N: np.ndarray, n_categories: int):
        m = N.sum(axis=1).astype(float)
        self.pair = (m >= 2).astype(float)
        self.rated = (m >= 1).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            pa = (N * (N - 1)).sum(1) / (m * (m - 1))
            share = N / m[:, None]
        self.pa_u = np.where(m >= 2, pa, 0.0)
        self.share = np.where(m[:, None] >= 1, share, 0.0)
        self.q = n_categories
        self.features = np.hstack([self.pa_u[:, None], self.pair[:, None], self.rated[:, None], self.share])

    def parts(self, G: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(agreement, category shares) from ``G = W @ self.features``."""
        with np.errstate(invalid="ignore", divide="ignore"):
            pa = G[:, 0] / G[:, 1]
            pi = G[:, 3:] / G[:, 2][:, None]
        return pa, pi

    def percent(self, W: np.ndarray) -> np.ndarray:
        return self.parts(W @ self.features)[0]

    def fleiss(self, W: np.ndarray) -> np.ndarray:
        return self.fleiss_from(self.parts(W @ self.features))

    def ac1(self, W: np.ndarray) -> np.ndarray:
        return self.ac1_from(self.parts(W @ self.features))

    def fleiss_from(self, parts: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        pa, pi = parts
        pe = (pi**2).sum(1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = (pa - pe) / (1.0 - pe)
        out[~(1.0 - pe > 1e-12)] = np.nan
        return out

    def ac1_from(self, parts: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        pa, pi = parts
        if self.q < 2:
            return np.full(len(pa), np.nan)
        pe = (pi * (1.0 - pi)).sum(1) / (self.q - 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = (pa - pe) / (1.0 - pe)
        out[~(1.0 - pe > 1e-12)] = np.nan
        return out


def _chance(R: Any, categories: Sequence[float] | None) -> tuple[_ChanceParts, int]:
    arr = as_reliability(R)
    N, values = value_counts(arr, categories)
    _need_pairable(N)
    return _ChanceParts(N, values.size), arr.shape[1]


def fleiss_kappa(R: Any, *, categories: Sequence[float] | None = None) -> float:
    """Fleiss' kappa for ``R`` ``(n_coders, n_units)``, NaN = not coded.

    With every unit rated by the same number of coders this is Fleiss (1971); with a varying number,
    Gwet's generalisation (agreement over units with >= 2 ratings, category shares over units with
    >= 1). nan when chance agreement is 1 (one category only).
    """
    parts, n = _chance(R, categories)
    return float(parts.fleiss(np.ones((1, n)))[0])


def gwet_ac1(R: Any, *, categories: Sequence[float] | None = None) -> float:
    """Gwet's AC1 for ``R`` ``(n_coders, n_units)``, NaN = not coded.

    Chance agreement is ``sum_k pi_k (1 - pi_k) / (q - 1)`` with ``q`` the number of ``categories``
    (the values seen when not given). nan when ``q < 2``: pass ``categories=(0, 1)`` for a theme.
    """
    parts, n = _chance(R, categories)
    return float(parts.ac1(np.ones((1, n)))[0])


def percent_agreement(R: Any) -> float:
    """Share of agreeing coder pairs, averaged over units coded by two or more coders.

    ``R`` ``(n_coders, n_units)``, NaN = not coded. With two coders: the share of units both coded
    on which they gave the same value.
    """
    parts, n = _chance(R, None)
    return float(parts.percent(np.ones((1, n)))[0])


# --------------------------------------------------------------------------------------------------
# Cohen's kappa per pair of coders on the units both coded
# --------------------------------------------------------------------------------------------------


class _PairParts:
    def __init__(self, a: np.ndarray, b: np.ndarray, values: np.ndarray):
        both = ~np.isnan(a) & ~np.isnan(b)
        K = values.size
        self.K = K
        self.n_both = int(both.sum())
        onehot = np.zeros((a.size, K * K))
        if self.n_both:
            ia = np.searchsorted(values, a[both])
            ib = np.searchsorted(values, b[both])
            onehot[np.flatnonzero(both), ia * K + ib] = 1.0
        self.features = onehot

    def kappa(self, W: np.ndarray) -> np.ndarray:
        return self.finish(W @ self.features)

    def finish(self, G: np.ndarray) -> np.ndarray:
        tab = G.reshape(-1, self.K, self.K)
        n = tab.sum((1, 2))
        with np.errstate(invalid="ignore", divide="ignore"):
            po = np.trace(tab, axis1=1, axis2=2) / n
            pe = (tab.sum(2) * tab.sum(1)).sum(1) / n**2
            out = (po - pe) / (1.0 - pe)
        out[~((1.0 - pe > 1e-12) & (n > 0))] = np.nan
        return out


def cohen_kappa(a: Any, b: Any) -> float:
    """Cohen's kappa between two coders' values ``a`` and ``b`` (each shape ``(n_units,)``, NaN = not
    coded), on the units both coded. nan when they share no unit or chance agreement is 1."""
    R = np.vstack([np.asarray(a, dtype=float), np.asarray(b, dtype=float)])
    arr = as_reliability(R, min_coders=0)
    _, values = value_counts(arr)
    return float(_PairParts(arr[0], arr[1], values).kappa(np.ones((1, arr.shape[1])))[0])


def _pair_key(x: str, y: str) -> str:
    return f"{x}|{y}"


def pairwise_cohen_kappa(R: Any, coders: Sequence[str] | None = None) -> dict[str, float]:
    """Cohen's kappa for every pair of coders (rows of ``R``, ``(n_coders, n_units)``), each on the
    units both coded. Keys are ``"<coder>|<coder>"`` in row order; nan where a pair shares no unit or
    chance agreement is 1."""
    arr = as_reliability(R)
    names = list(coders) if coders is not None else [str(i) for i in range(arr.shape[0])]
    _, values = value_counts(arr)
    ones = np.ones((1, arr.shape[1]))
    return {
        _pair_key(names[i], names[j]): float(_PairParts(arr[i], arr[j], values).kappa(ones)[0])
        for i, j in combinations(range(arr.shape[0]), 2)
    }


# --------------------------------------------------------------------------------------------------
# bootstrap and the full table
# --------------------------------------------------------------------------------------------------


def bootstrap_weights(n_units: int, n_boot: int, seed: int | None = 0) -> np.ndarray:
    """Resampling weights ``(n_boot, n_units)``: how often each unit is drawn in each replicate
    (units drawn with replacement, ``n_units`` draws per replicate)."""
    rng = np.random.default_rng(seed)
    return rng.multinomial(n_units, np.full(n_units, 1.0 / n_units), size=n_boot).astype(float)


def _interval(samples: np.ndarray, confidence: float) -> tuple[list[float] | None, int]:
    ok = samples[~np.isnan(samples)]
    dropped = int(samples.size - ok.size)
    if ok.size < max(10, samples.size // 2):
        return None, dropped
    tail = (1.0 - confidence) / 2.0
    lo, hi = np.quantile(ok, [tail, 1.0 - tail])
    return [float(lo), float(hi)], dropped


def _num(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


@dataclass
class AgreementResult:
    """All coefficients for one label (one theme, or one column of a tidy table).

    Coefficients are floats, or None where undefined on these data (the reason is in ``notes``).
    ``ci`` maps a coefficient name to ``[low, high]`` (percentile bootstrap over units).
    """

    krippendorff_alpha: float | None
    fleiss_kappa: float | None
    gwet_ac1: float | None
    percent_agreement: float | None
    cohen_kappa: dict[str, float | None]
    n_items: int
    n_coders: int
    n_pairable: int
    level: str = "nominal"
    ci: dict[str, list[float] | None] = field(default_factory=dict)
    n_boot: int = 0
    confidence: float = 0.95
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "krippendorff_alpha": self.krippendorff_alpha,
            "fleiss_kappa": self.fleiss_kappa,
            "gwet_ac1": self.gwet_ac1,
            "percent_agreement": self.percent_agreement,
            "cohen_kappa": dict(self.cohen_kappa),
            "n_items": self.n_items,
            "n_coders": self.n_coders,
            "n_pairable": self.n_pairable,
            "level": self.level,
            "ci": dict(self.ci),
            "n_boot": self.n_boot,
            "confidence": self.confidence,
            "notes": list(self.notes),
        }


class _Prepared:
    """Everything needed to compute one label's coefficients for any unit weights."""

    def __init__(self, R: Any, coders: Sequence[str] | None, level: str, categories: Sequence[float] | None):
        arr = as_reliability(R)
        names = list(coders) if coders is not None else [str(i) for i in range(arr.shape[0])]
        if len(names) != arr.shape[0]:
            raise AgreementError(f"Got {len(names)} coder names for {arr.shape[0]} rows of reliability data")
        self.notes: list[str] = []
        empty = [names[i] for i in range(arr.shape[0]) if np.isnan(arr[i]).all()]
        if empty:
            self.notes.append(f"coders with no coded units, left out: {', '.join(empty)}")
            keep = [i for i in range(arr.shape[0]) if not np.isnan(arr[i]).all()]
            arr = arr[keep]
            names = [names[i] for i in keep]
        self.arr, self.names, self.level = arr, names, level
        N, values = value_counts(arr, categories)
        _need_pairable(N)
        self.n_items = int((N.sum(1) >= 1).sum())
        self.n_pairable = int((N.sum(1) >= 2).sum())
        self.alpha = _AlphaParts(N, values, level)
        self.chance = _ChanceParts(N, values.size)
        self.pairs = {
            _pair_key(names[i], names[j]): _PairParts(arr[i], arr[j], values)
            for i, j in combinations(range(arr.shape[0]), 2)
        }
        self.values = values
        if values.size < 2:
            self.notes.append(
                f"every coded value is {values.tolist()}: no disagreement is possible, so alpha and the "
                "kappas are undefined (0/0); percent agreement is 1"
            )
        if level != "nominal":
            self.notes.append(
                f"Fleiss' kappa, Gwet's AC1, Cohen's kappa and percent agreement treat values as nominal "
                f"categories; only Krippendorff's alpha uses the {level} level"
            )
        for key, p in self.pairs.items():
            if p.n_both == 0:
                self.notes.append(f"coders {key.replace('|', ' and ')} share no unit: their Cohen's kappa is undefined")

    def _features(self) -> tuple[np.ndarray, list[int]]:
        if not hasattr(self, "_F"):
            blocks = [self.alpha.features, self.chance.features] + [p.features for p in self.pairs.values()]
            self._cuts = np.cumsum([0] + [b.shape[1] for b in blocks]).tolist()
            self._F = np.hstack(blocks)
        return self._F, self._cuts

    def compute(self, W: np.ndarray) -> dict[str, np.ndarray]:
        """Every coefficient for each row of unit weights ``W`` (n_rep, n_units): one matrix product."""
        F, cuts = self._features()
        G = W @ F
        chance = self.chance.parts(G[:, cuts[1] : cuts[2]])
        out = {
            "krippendorff_alpha": self.alpha.finish(G[:, cuts[0] : cuts[1]]),
            "fleiss_kappa": self.chance.fleiss_from(chance),
            "gwet_ac1": self.chance.ac1_from(chance),
            "percent_agreement": chance[0],
        }
        for i, (key, p) in enumerate(self.pairs.items()):
            out[f"cohen_kappa:{key}"] = p.finish(G[:, cuts[2 + i] : cuts[3 + i]])
        return out


def _result(prep: _Prepared, W_boot: np.ndarray | None, confidence: float, chunk: int = 200) -> AgreementResult:
    n_units = prep.arr.shape[1]
    point = {k: v[0] for k, v in prep.compute(np.ones((1, n_units))).items()}
    notes = list(prep.notes)
    for k in COEFFICIENTS:
        if math.isnan(point[k]) and prep.values.size >= 2:
            notes.append(f"{k} is undefined on these data (chance agreement is 1, or no variation in pairable units)")
    ci: dict[str, list[float] | None] = {}
    n_boot = 0
    if W_boot is not None and len(W_boot):
        n_boot = len(W_boot)
        parts = [prep.compute(W_boot[i : i + chunk]) for i in range(0, n_boot, chunk)]
        for k in point:
            samples = np.concatenate([p[k] for p in parts])
            interval, dropped = _interval(samples, confidence)
            name = k.replace("cohen_kappa:", "cohen_kappa:")
            ci[name] = interval
            if dropped and not math.isnan(point[k]):
                notes.append(f"{k}: {dropped} of {n_boot} bootstrap replicates undefined and left out")
    return AgreementResult(
        krippendorff_alpha=_num(point["krippendorff_alpha"]),
        fleiss_kappa=_num(point["fleiss_kappa"]),
        gwet_ac1=_num(point["gwet_ac1"]),
        percent_agreement=_num(point["percent_agreement"]),
        cohen_kappa={k: _num(point[f"cohen_kappa:{k}"]) for k in prep.pairs},
        n_items=prep.n_items,
        n_coders=len(prep.names),
        n_pairable=prep.n_pairable,
        level=prep.level,
        ci=ci,
        n_boot=n_boot,
        confidence=confidence,
        notes=notes,
    )


def agreement(
    R: Any,
    coders: Sequence[str] | None = None,
    *,
    level: str = "nominal",
    categories: Sequence[float] | None = None,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int | None = 0,
) -> AgreementResult:
    """Every coefficient for reliability data ``R`` ``(n_coders, n_units)`` (NaN = not coded), with
    percentile bootstrap intervals over ``n_boot`` resamples of units (``n_boot=0``: no intervals).

    ``coders`` names the rows (default "0", "1", ...). Raises AgreementError when fewer than two
    coders have values or no unit was coded twice; coefficients undefined on the data are None,
    with the reason in ``notes``.
    """
    if not 0.0 < confidence < 1.0:
        raise AgreementError(f"confidence must be between 0 and 1; got {confidence}")
    prep = _Prepared(R, coders, level, categories)
    W = bootstrap_weights(prep.arr.shape[1], n_boot, seed) if n_boot else None
    return _result(prep, W, confidence)


@dataclass
class MultiLabelAgreement:
    """Agreement for each theme of a multi-label coding, and a summary over themes.

    ``themes`` maps theme id to its AgreementResult (or None where it could not be computed, the
    reason in ``notes``). ``summary`` holds, per coefficient, the mean over themes where defined
    ("macro") and alpha on all unit x theme decisions pooled ("pooled_krippendorff_alpha"), with
    bootstrap intervals from the same unit resamples as the per-theme intervals.
    """

    themes: dict[str, AgreementResult | None]
    summary: dict[str, float | None]
    summary_ci: dict[str, list[float] | None]
    coders: list[str]
    n_units: int
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "themes": {k: (v.to_dict() if v is not None else None) for k, v in self.themes.items()},
            "summary": dict(self.summary),
            "summary_ci": dict(self.summary_ci),
            "coders": list(self.coders),
            "n_units": self.n_units,
            "notes": list(self.notes),
        }


def multilabel_agreement(
    R3: Any,
    coders: Sequence[str],
    themes: Sequence[str],
    *,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int | None = 0,
) -> MultiLabelAgreement:
    """Per-theme agreement for presence/absence codes ``R3`` ``(n_themes, n_coders, n_units)``
    (1.0 applied, 0.0 coded without it, NaN not coded), all themes on the same units, so one set
    of unit resamples serves every theme and the summary. Categories are fixed to (0, 1).
    """
    arr = np.asarray(R3, dtype=float)
    if arr.ndim != 3 or arr.shape[0] != len(themes) or arr.shape[1] != len(coders):
        raise AgreementError(
            f"Multi-label reliability data must be (n_themes, n_coders, n_units) = ({len(themes)}, {len(coders)}, "
            f"n_units); got shape {arr.shape}"
        )
    n_units = arr.shape[2]
    W = bootstrap_weights(n_units, n_boot, seed) if n_boot else None
    per: dict[str, AgreementResult | None] = {}
    preps: dict[str, _Prepared] = {}
    notes: list[str] = []
    for t, theme in enumerate(themes):
        try:
            preps[theme] = _Prepared(arr[t], coders, "nominal", (0.0, 1.0))
            per[theme] = _result(preps[theme], W, confidence)
        except AgreementError as exc:
            per[theme] = None
            notes.append(f"{theme}: {exc}")
    summary: dict[str, float | None] = {}
    summary_ci: dict[str, list[float] | None] = {}
    for coef in COEFFICIENTS:
        vals = [getattr(r, coef) for r in per.values() if r is not None and getattr(r, coef) is not None]
        summary[f"macro_{coef}"] = float(np.mean(vals)) if vals else None
    pooled = arr.transpose(1, 0, 2).reshape(len(coders), -1)  # coders x (themes*units)
    try:
        pooled_prep = _Prepared(pooled, coders, "nominal", (0.0, 1.0))
        ones = np.ones((1, pooled.shape[1]))
        summary["pooled_krippendorff_alpha"] = _num(pooled_prep.alpha.alpha(ones)[0])
    except AgreementError as exc:
        pooled_prep = None
        summary["pooled_krippendorff_alpha"] = None
        notes.append(f"pooled alpha: {exc}")
    if W is not None:
        boot = {coef: [] for coef in COEFFICIENTS}
        pooled_boot = []
        for i in range(0, len(W), 200):
            w = W[i : i + 200]
            stacked = {coef: [] for coef in COEFFICIENTS}
            for prep in preps.values():
                res = prep.compute(w)
                for coef in COEFFICIENTS:
                    stacked[coef].append(res[coef])
            for coef in COEFFICIENTS:
                if stacked[coef]:
                    boot[coef].append(np.nanmean(np.vstack(stacked[coef]), axis=0) if stacked[coef] else [])
            if pooled_prep is not None:
                pooled_boot.append(pooled_prep.alpha.alpha(np.tile(w, (1, len(themes)))))
        for coef in COEFFICIENTS:
            summary_ci[f"macro_{coef}"] = _interval(np.concatenate(boot[coef]), confidence)[0] if boot[coef] else None
        if pooled_boot:
            summary_ci["pooled_krippendorff_alpha"] = _interval(np.concatenate(pooled_boot), confidence)[0]
    return MultiLabelAgreement(per, summary, summary_ci, list(coders), n_units, notes)


def iter_pairs(names: Iterable[str]) -> list[tuple[str, str]]:
    """All unordered pairs of ``names`` in order (the pairs Cohen's kappa is reported for)."""
    return list(combinations(list(names), 2))
