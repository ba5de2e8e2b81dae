"""Span agreement: exact and overlap matching, one-to-one, on documents both coders completed."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reviewcoder.errors import AgreementError
from reviewcoder.evaluate.spans import Span, match_spans, span_agreement, span_f1, spans_from_annotations
from reviewcoder.records import Annotation


def test_exact_and_overlap():
    a = [Span("d", "t", 0, 10), Span("d", "t", 20, 30), Span("d", "u", 40, 50)]
    b = [Span("d", "t", 0, 10), Span("d", "t", 25, 35), Span("d", "t", 40, 50)]
    assert span_f1(a, b, "exact") == {"matched": 1, "n_a": 3, "n_b": 3, "f1": pytest.approx(1 / 3)}
    # overlap: (0,10)~(0,10), (20,30)~(25,35); (40,50) differs in theme, so it does not match
    assert span_f1(a, b, "overlap")["matched"] == 2


def test_one_long_span_matches_only_one_short_span():
    long = [Span("d", "t", 0, 100)]
    shorts = [Span("d", "t", 0, 10), Span("d", "t", 40, 60), Span("d", "t", 90, 95)]
    pairs = match_spans(long, shorts, "overlap")
    assert len(pairs) == 1 and pairs[0][1] == Span("d", "t", 40, 60)  # the largest overlap wins
    assert span_f1(long, shorts, "overlap")["f1"] == pytest.approx(2 * 1 / 4)


def test_min_overlap_and_touching_spans():
    a = [Span("d", "t", 0, 10)]
    assert span_f1(a, [Span("d", "t", 10, 20)], "overlap")["matched"] == 0  # touching is not overlapping
    assert span_f1(a, [Span("d", "t", 8, 20)], "overlap")["matched"] == 1
    assert span_f1(a, [Span("d", "t", 8, 20)], "overlap", min_overlap=0.5)["matched"] == 0


spans = st.lists(
    st.builds(lambda d, t, s, n: Span(d, t, s, s + n), st.sampled_from("xy"), st.sampled_from("tu"),
              st.integers(0, 50), st.integers(0, 20)),
    max_size=8,
)


@settings(max_examples=80, deadline=None)
@given(spans, spans)
def test_symmetric_and_bounded(a, b):
    for mode in ("exact", "overlap"):
        ab, ba = span_f1(a, b, mode), span_f1(b, a, mode)
        assert ab["matched"] == ba["matched"]
        if ab["f1"] is not None:
            assert 0.0 <= ab["f1"] <= 1.0
    assert span_f1(a, b, "exact")["matched"] <= span_f1(a, b, "overlap")["matched"] or not a or not b
    if a:
        assert span_f1(a, a, "exact")["f1"] == 1.0


def test_span_agreement_restricted_to_documents_both_completed():
    spans_by = {
        "ann": [Span("d1", "t", 0, 10), Span("d2", "t", 0, 10)],
        "bob": [Span("d1", "t", 0, 10)],
    }
    # bob never completed d2: ann's span there must not count against him
    res = span_agreement(spans_by, ["t"], completed={"ann": ["d1", "d2"], "bob": ["d1"]})
    assert res["themes"]["t"]["pairs"]["ann|bob"]["exact"]["f1"] == 1.0
    # without completions, the rule is the documents where both marked a span (said in notes)
    res2 = span_agreement(spans_by, ["t"])
    assert res2["themes"]["t"]["mean_exact_f1"] == 1.0 and res2["notes"]
    # bob completed d2 but marked nothing there: now it is a disagreement
    res3 = span_agreement(spans_by, ["t"], completed={"ann": ["d1", "d2"], "bob": ["d1", "d2"]})
    assert res3["themes"]["t"]["pairs"]["ann|bob"]["exact"]["f1"] == pytest.approx(2 / 3)
    assert res3["overall"]["exact_f1"] == pytest.approx(2 / 3)


def test_from_annotations_and_bad_input():
    anns = [
        Annotation("d1", "ann", "t", "d1#p0", 0, 10),
        Annotation("d1", "ann", "t", "d1#p0"),  # whole-unit code: not a span
        Annotation("d1", "bob", "t", "d1#p0", 0, 10, value="0"),  # coded absent
    ]
    assert spans_from_annotations(anns) == {"ann": [Span("d1", "t", 0, 10)]}
    with pytest.raises(AgreementError, match="at least two coders"):
        span_agreement({"ann": [Span("d1", "t", 0, 10)]})
    with pytest.raises(AgreementError, match="start <= end"):
        Span("d", "t", 5, 2)
    with pytest.raises(AgreementError, match="mode"):
        match_spans([], [], "fuzzy")
