"""Panel-style prevalence: shares of reviews per theme with intervals, human and model side by side."""

from __future__ import annotations

import json

import pytest

from reviewcoder.codebook import default_codebook
from reviewcoder.errors import AgreementError, InputError
from reviewcoder.records import Annotation, Completion
from reviewcoder.summary import prevalence_row, summarise


def test_wilson_and_exact_intervals_match_statsmodels():
    from statsmodels.stats.proportion import proportion_confint

    for k, n in [(8, 25), (0, 10), (10, 10), (3, 140)]:
        w = prevalence_row(k, n)
        assert w["ci"] == pytest.approx(list(proportion_confint(k, n, method="wilson")), abs=1e-9)
        e = prevalence_row(k, n, method="exact")
        assert e["ci"] == pytest.approx(list(proportion_confint(k, n, method="beta")), abs=1e-9)
        assert w["share"] == pytest.approx(k / n)
    assert prevalence_row(0, 0) == {"k": 0, "n": 0, "share": None, "ci": None}
    with pytest.raises(AgreementError):
        prevalence_row(1, 2, method="bayes")


def _corpus():
    # 4 reviews, 2 paragraphs each; two coders; ann and bob disagree on r3's domestic abuse
    comps, anns = [], []
    for d in ("r1", "r2", "r3", "r4"):
        for p in (0, 1):
            for c in ("ann", "bob"):
                comps.append(Completion(d, f"{d}#p{p}", c))
    for c in ("ann", "bob"):
        anns.append(Annotation("r1", c, "domestic_abuse", "r1#p1"))
        anns.append(Annotation("r2", c, "domestic_abuse", "r2#p0"))
    anns.append(Annotation("r3", "ann", "domestic_abuse", "r3#p0"))
    anns.append(Annotation("r4", "ann", "home_education", "r4#p1"))
    anns.append(Annotation("r4", "bob", "home_education", "r4#p0"))  # other paragraph, same review: agrees
    return anns, comps


def test_document_level_majority_any_and_one_coder():
    cb = default_codebook()
    anns, comps = _corpus()
    t = summarise(cb, (anns, comps))
    da = t.rows["domestic_abuse"]["human"]
    assert (da["k"], da["n"]) == (2, 3)  # r3 is a tie between two coders: left out, and said so
    assert any("ties" in n for n in t.notes)
    assert t.rows["home_education"]["human"]["k"] == 1 and t.rows["home_education"]["human"]["n"] == 4
    assert summarise(cb, (anns, comps), human_rule="any").rows["domestic_abuse"]["human"]["k"] == 3
    assert summarise(cb, (anns, comps), human_rule="bob").rows["domestic_abuse"]["human"]["k"] == 2
    with pytest.raises(AgreementError, match="has no codes"):
        summarise(cb, (anns, comps), human_rule="zoe")


def test_consensus_coder_wins_and_model_side_by_side():
    cb = default_codebook()
    anns, comps = _corpus()
    for d in ("r1", "r2", "r3", "r4"):
        comps.append(Completion(d, f"{d}#p0", "consensus"))
    anns.append(Annotation("r3", "consensus", "domestic_abuse", "r3#p0"))
    preds = [{"id": "r1#p0", "themes": ["domestic_abuse"]}, {"id": "r1#p1", "themes": []},
             {"id": "r2#p0", "themes": []}, {"id": "r3#p0", "themes": []}, {"id": "r4#p0", "themes": ["domestic_abuse"]}]
    t = summarise(cb, (anns, comps), preds)
    assert t.human_rule == "coder consensus"
    assert (t.rows["domestic_abuse"]["human"]["k"], t.rows["domestic_abuse"]["human"]["n"]) == (1, 4)
    assert (t.rows["domestic_abuse"]["model"]["k"], t.rows["domestic_abuse"]["model"]["n"]) == (2, 4)
    md = t.to_markdown()
    assert "Domestic abuse" in md and "25% [" in md and "50% [" in md
    assert t.sentences()[5].startswith("Domestic abuse: human: in 25% of the reviews")
    json.dumps(t.to_dict())


def test_documents_filter_and_nothing_to_do():
    cb = default_codebook()
    anns, comps = _corpus()
    t = summarise(cb, (anns, comps), documents=["r1", "r2"])
    assert t.rows["domestic_abuse"]["human"] == {**t.rows["domestic_abuse"]["human"], "k": 2, "n": 2}
    with pytest.raises(InputError, match="Nothing to summarise"):
        summarise(cb)


def test_summary_command(tmp_path):
    from typer.testing import CliRunner

    from reviewcoder.cli import app

    anns, comps = _corpus()
    present = {(a.item, a.coder, a.theme) for a in anns}
    rows = ["item,coder,label,value"] + [
        f"{c.item},{c.coder},{t},{1 if (c.item, c.coder, t) in present else 0}"
        for c in comps for t in ("domestic_abuse", "home_education")
    ]
    (tmp_path / "codes.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["summary", "--annotations", str(tmp_path / "codes.csv"), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    da = next(t for t in data["themes"] if t["id"] == "domestic_abuse")
    assert da["human"]["k"] == 2 and da["human"]["n"] == 3
    res = CliRunner().invoke(app, ["summary", "--annotations", str(tmp_path / "codes.csv"), "--sentences"])
    assert "Domestic abuse: human: in 67% of the reviews" in res.stdout
