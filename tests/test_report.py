"""evaluate_predictions (the model as one more coder), the reports it writes, and the CLI commands."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from reviewcoder.codebook import default_codebook
from reviewcoder.errors import AgreementError, CodebookError
from reviewcoder.evaluate.agreement import cohen_kappa, krippendorff_alpha
from reviewcoder.evaluate.evaluation import agreement_from_long, evaluate_predictions, read_predictions
from reviewcoder.evaluate.report import render_html, render_markdown, write_report
from reviewcoder.records import Annotation, Completion


def make_corpus(n_docs=12, n_par=4, coders=("ann", "bob", "cat"), flip=0.1, mflip=0.15, seed=0, consensus=False,
                skip=0.15):
    """Human codes as records and model predictions: noisy copies of one hidden truth."""
    cb = default_codebook()
    themes = cb.theme_ids
    rng = np.random.default_rng(seed)
    anns, comps, preds = [], [], []
    for d in range(n_docs):
        doc = f"r{d:02d}"
        for p in range(n_par):
            item = f"{doc}#p{p}"
            truth = rng.random(len(themes)) < np.linspace(0.05, 0.4, len(themes))
            for c in coders:
                if rng.random() < skip:
                    continue
                comps.append(Completion(doc, item, c))
                codes = truth ^ (rng.random(len(themes)) < flip)
                anns += [Annotation(doc, c, t, item) for t, k in zip(themes, codes) if k]
            if consensus:
                comps.append(Completion(doc, item, "consensus"))
                anns += [Annotation(doc, "consensus", t, item) for t, k in zip(themes, truth) if k]
            m = truth ^ (rng.random(len(themes)) < mflip)
            preds.append({"id": item, "themes": [t for t, k in zip(themes, m) if k],
                          "scores": {t: float(k) for t, k in zip(themes, m)}, "model": "demo-v1"})
    return cb, anns, comps, preds


@pytest.fixture(scope="module")
def corpus():
    return make_corpus()


@pytest.fixture(scope="module")
def result(corpus):
    cb, anns, comps, preds = corpus
    return evaluate_predictions((anns, comps), preds, cb, n_boot=200, seed=1)


def _matrix(anns, comps, theme, units, coder):
    coded = {c.item for c in comps if c.coder == coder}
    present = {a.item for a in anns if a.coder == coder and a.theme == theme}
    return np.array([(1.0 if u in present else 0.0) if u in coded else np.nan for u in units])


class TestEvaluatePredictions:
    def test_model_is_one_more_coder_on_the_same_units(self, corpus, result):
        cb, anns, comps, preds = corpus
        assert result.model == "model:demo-v1" and result.level == "unit"
        assert result.coders == ["ann", "bob", "cat"] and result.reference == "majority"
        theme = "domestic_abuse"
        units = result.units
        rows = {c: _matrix(anns, comps, theme, units, c) for c in result.coders}
        model = np.array([1.0 if theme in p["themes"] else 0.0 for p in sorted(preds, key=lambda p: p["id"])
                          if p["id"] in set(units)])
        # coder-vs-coder and model-vs-coder kappas, recomputed independently on the same units
        assert result.pairs[theme]["ann|bob"]["cohen_kappa"] == pytest.approx(cohen_kappa(rows["ann"], rows["bob"]))
        assert result.pairs[theme]["ann|model:demo-v1"]["cohen_kappa"] == pytest.approx(cohen_kappa(rows["ann"], model))
        R = np.vstack([rows[c] for c in result.coders])
        assert result.coders_agreement.themes[theme].krippendorff_alpha == pytest.approx(krippendorff_alpha(R))
        assert result.with_model_agreement.themes[theme].krippendorff_alpha == pytest.approx(
            krippendorff_alpha(np.vstack([R, model])))
        # the reference is the majority; ties (none with 3 coders unless one skipped) left out
        ones = np.nansum(R, 0)
        n = (~np.isnan(R)).sum(0)
        ref = np.where(n == 0, np.nan, np.where(2 * ones > n, 1.0, np.where(2 * ones == n, np.nan, 0.0)))
        assert result.pairs[theme]["consensus|model:demo-v1"]["cohen_kappa"] == pytest.approx(cohen_kappa(ref, model))
        ok = ~np.isnan(ref)
        tp = int(((ref == 1) & (model == 1) & ok).sum())
        assert result.prf["per_theme"][theme]["tp"] == tp
        row = next(r for r in result.theme_table() if r["theme"] == theme)
        lo, hi = row["model_reference_kappa_ci"]
        assert lo <= row["model_reference_kappa"] <= hi

    def test_consensus_coder_is_the_reference_when_present(self):
        cb, anns, comps, preds = make_corpus(consensus=True, seed=3)
        res = evaluate_predictions((anns, comps), preds, cb, n_boot=0)
        assert res.reference == "consensus" and "consensus" not in res.coders
        assert "ann|consensus" in res.pairs["domestic_abuse"]  # a stored consensus is compared with each coder

    def test_document_level_aggregates_coders_and_model(self, corpus):
        cb, anns, comps, preds = corpus
        res = evaluate_predictions((anns, comps), preds, cb, level="document", n_boot=0)
        assert res.level == "document" and len(res.units) == 12 and all("#" not in u for u in res.units)
        # a theme anywhere in the document: the model's share can only grow from unit to document level
        theme = "risk_assessment"
        doc_model = {p["id"].split("#")[0] for p in preds if theme in p["themes"]}
        assert res.prevalence[theme]["model"] == pytest.approx(len(doc_model) / 12)

    def test_document_ids_are_detected(self, corpus):
        cb, anns, comps, preds = corpus
        doc_preds = {}
        for p in preds:
            doc_preds.setdefault(p["id"].split("#")[0], set()).update(p["themes"])
        records = [{"id": d, "themes": sorted(t)} for d, t in doc_preds.items()]
        res = evaluate_predictions((anns, comps), records, cb, n_boot=0)
        assert res.level == "document"

    def test_bad_input(self, corpus):
        cb, anns, comps, preds = corpus
        with pytest.raises(CodebookError, match="not in codebook"):
            evaluate_predictions((anns, comps), [{"id": "r00#p0", "themes": ["T07"]}], cb, n_boot=0)
        with pytest.raises(AgreementError, match="predicted twice"):
            evaluate_predictions((anns, comps), [{"id": "r00#p0", "themes": []},
                                                 {"id": "r00#p0", "themes": ["domestic_abuse"]}], cb, n_boot=0)
        with pytest.raises(AgreementError, match="No predicted id matches"):
            evaluate_predictions((anns, comps), [{"id": "elsewhere#p0", "themes": []}], cb, n_boot=0)
        twice = anns + [Annotation("r00", "ann", "domestic_abuse", "r00#p0", value="1"),
                        Annotation("r00", "ann", "domestic_abuse", "r00#p0", value="0")]
        with pytest.raises(AgreementError, match="both as present and as absent"):
            evaluate_predictions((twice, comps), preds, cb, n_boot=0)

    def test_one_coder_only_still_compares_model(self):
        cb, anns, comps, preds = make_corpus(coders=("ann",), skip=0.0)
        res = evaluate_predictions((anns, comps), preds, cb, n_boot=0)
        assert res.coders_agreement is None
        assert any("only one human coder" in n for n in res.notes)
        assert res.pairs["domestic_abuse"]["ann|model:demo-v1"]["cohen_kappa"] is not None


class TestReports:
    def test_markdown_html_json(self, result, tmp_path):
        paths = write_report(result, tmp_path / "rep")
        md = paths["markdown"].read_text(encoding="utf-8")
        assert "| domestic_abuse |" in md and "rep-agreement.png" in md
        page = paths["html"].read_text(encoding="utf-8")
        assert page.count("data:image/png;base64,") == 2
        assert not re.search(r"(src|href)=['\"]https?:", page)  # self-contained: nothing fetched
        data = json.loads(paths["json"].read_text(encoding="utf-8"))
        assert data["model"] == "model:demo-v1" and len(data["theme_table"]) == 12
        assert data["pairs"]["domestic_abuse"]["ann|bob"]["cohen_kappa"] == pytest.approx(
            result.pairs["domestic_abuse"]["ann|bob"]["cohen_kappa"])
        assert paths["agreement_png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    def test_names_are_escaped(self):
        cb, anns, comps, preds = make_corpus(coders=("<script>x</script>", "bob"), n_docs=4)
        res = evaluate_predictions((anns, comps), preds, cb, n_boot=0)
        page = render_html(res)
        assert "<script>" not in page and "&lt;script&gt;" in page
        assert "n/a" in render_markdown(res) or "|" in render_markdown(res)

    def test_report_leaves_matplotlib_state_alone(self, result):
        import matplotlib

        before = matplotlib.get_backend(), dict(matplotlib.rcParams)
        render_html(result)
        assert (matplotlib.get_backend(), dict(matplotlib.rcParams)) == before


class TestLongTable:
    ROWS = [
        {"item": i, "coder": c, "label": "t", "value": v}
        for i, vals in enumerate([("1", "1", "0"), ("0", "0", "0"), ("1", "1", "1"), ("0", "1", "0"), ("1", "1", None)])
        for c, v in zip("abc", vals)
        if v is not None
    ]

    def test_per_label_json_shape(self):
        res = agreement_from_long(self.ROWS, n_boot=100).to_dict()
        lab = res["labels"]["t"]
        for key in ("krippendorff_alpha", "fleiss_kappa", "gwet_ac1", "percent_agreement", "n_items", "n_coders", "ci"):
            assert key in lab
        assert set(lab["cohen_kappa"]) == {"a|b", "a|c", "b|c"} and lab["n_items"] == 5 and lab["n_coders"] == 3
        assert len(lab["ci"]["krippendorff_alpha"]) == 2

    def test_bad_values_and_labels(self):
        cb = default_codebook()
        rows = [{"item": "1", "coder": "a", "label": "domestic_abuse", "value": "maybe"},
                {"item": "1", "coder": "b", "label": "domestic_abuse", "value": "1"}]
        with pytest.raises(AgreementError, match="not a presence code"):
            agreement_from_long(rows, codebook=cb, n_boot=0)
        with pytest.raises(CodebookError, match="T07"):
            agreement_from_long([{"item": "1", "coder": "a", "label": "T07", "value": "1"}], codebook=cb, n_boot=0)
        with pytest.raises(AgreementError, match="not a number"):
            agreement_from_long(rows, level="interval", n_boot=0)
        with pytest.raises(AgreementError, match="two values"):
            agreement_from_long(self.ROWS + [{"item": 0, "coder": "a", "label": "t", "value": "0"}], n_boot=0)
        with pytest.raises(AgreementError, match="No label has two coders"):
            agreement_from_long([{"item": "1", "coder": "a", "label": "t", "value": "1"}], n_boot=0)

    def test_one_label_with_one_coder_is_null_with_reason(self):
        rows = self.ROWS + [{"item": "9", "coder": "a", "label": "lonely", "value": "1"}]
        out = agreement_from_long(rows, n_boot=0).to_dict()
        assert out["labels"]["lonely"]["krippendorff_alpha"] is None
        assert "at least 2 coders" in out["labels"]["lonely"]["notes"][0]

    def test_ordinal_categories_in_given_order(self):
        order = ["low", "medium", "high"]
        vals = [("low", "low"), ("medium", "high"), ("high", "high"), ("low", "medium"), ("medium", "medium")]
        rows = [{"item": i, "coder": c, "label": "sev", "value": v} for i, pair in enumerate(vals) for c, v in zip("ab", pair)]
        got = agreement_from_long(rows, level="ordinal", categories=order, n_boot=0).labels["sev"].krippendorff_alpha
        R = np.array([[0, 1, 2, 0, 1], [0, 2, 2, 1, 1]], dtype=float)
        assert got == pytest.approx(krippendorff_alpha(R, "ordinal"))


class TestCommands:
    @pytest.fixture()
    def runner(self):
        from typer.testing import CliRunner

        return CliRunner()

    def test_agreement_json_is_one_object(self, runner, tmp_path):
        from reviewcoder.cli import app

        path = tmp_path / "long.csv"
        lines = ["item,coder,label,value"] + [f"{r['item']},{r['coder']},{r['label']},{r['value']}" for r in TestLongTable.ROWS]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        res = runner.invoke(app, ["agreement", str(path), "--json", "--n-boot", "50"])
        assert res.exit_code == 0, res.output
        data = json.loads(res.stdout)
        assert set(data) >= {"labels"} and "t" in data["labels"]

    def test_agreement_bad_file_one_line_exit_1(self, runner, tmp_path):
        from reviewcoder.cli import app

        path = tmp_path / "long.csv"
        path.write_text("item,coder,label,value\n1,a,t,1\n1,a,t,0\n1,b,t,1\n", encoding="utf-8")
        res = runner.invoke(app, ["agreement", str(path)])
        assert res.exit_code == 1
        assert "two values" in res.output and len(res.output.strip().splitlines()) == 1

    def test_evaluate_writes_reports(self, runner, tmp_path, corpus):
        from reviewcoder.cli import app

        cb, anns, comps, preds = corpus
        rows = ["item,coder,label,value"]
        present = {(a.item, a.coder, a.theme) for a in anns}
        for c in comps:
            for t in cb.theme_ids:
                rows.append(f"{c.item},{c.coder},{t},{1 if (c.item, c.coder, t) in present else 0}")
        (tmp_path / "codes.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
        with (tmp_path / "pred.jsonl").open("w", encoding="utf-8") as fh:
            for p in preds:
                fh.write(json.dumps(p) + "\n")
        assert len(read_predictions(tmp_path / "pred.jsonl")) == len(preds)
        res = runner.invoke(app, ["evaluate", "--predictions", str(tmp_path / "pred.jsonl"), "--annotations",
                                  str(tmp_path / "codes.csv"), "--out", str(tmp_path / "out" / "rep"), "--n-boot", "50"])
        assert res.exit_code == 0, res.output
        assert (tmp_path / "out" / "rep.html").is_file() and (tmp_path / "out" / "rep.json").is_file()
        data = json.loads((tmp_path / "out" / "rep.json").read_text(encoding="utf-8"))
        direct = evaluate_predictions((anns, comps), preds, cb, n_boot=50)
        assert data["theme_table"][0]["coders_alpha"] == pytest.approx(direct.theme_table()[0]["coders_alpha"])


def test_span_agreement_in_evaluation(tmp_path):
    cb = default_codebook()
    theme = "domestic_abuse"
    comps = [Completion("r1", "r1#p0", c) for c in ("ann", "bob")] + [Completion("r2", "r2#p0", c) for c in ("ann", "bob")]
    anns = [
        Annotation("r1", "ann", theme, "r1#p0"), Annotation("r1", "bob", theme, "r1#p0"),
        Annotation("r1", "ann", theme, "r1#p0", 10, 40), Annotation("r1", "bob", theme, "r1#p0", 10, 40),
        Annotation("r2", "ann", theme, "r2#p0"), Annotation("r2", "ann", theme, "r2#p0", 5, 20),
    ]
    preds = [{"id": "r1", "themes": [theme], "evidence": [{"theme": theme, "start": 30, "end": 60}]},
             {"id": "r2", "themes": [], "evidence": []}]
    res = evaluate_predictions((anns, comps), preds, cb, n_boot=0)
    assert res.level == "document"
    row = next(r for r in res.span_table() if r["theme"] == theme)
    assert row["coders_exact_f1"] == pytest.approx(2 / 3)  # r1 shared exactly; ann's r2 span unmatched
    # overlap: vs ann 2*1/(2+1), vs bob 2*1/(1+1); the mean of the two
    assert row["model_exact_f1"] == 0.0 and row["model_overlap_f1"] == pytest.approx((2 / 3 + 1.0) / 2)
    paths = write_report(res, tmp_path / "spans")
    assert "Evidence spans" in paths["html"].read_text(encoding="utf-8")
    assert json.loads(paths["json"].read_text(encoding="utf-8"))["span_table"]


def test_review_and_model_coders_are_not_human_coders():
    cb, anns, comps, preds = make_corpus(n_docs=3, seed=4)
    extra_anns = [Annotation("r00", "review:zoe", "domestic_abuse", "r00#p0", source="review"),
                  Annotation("r00", "model:old", "domestic_abuse", "r00#p0", source="model")]
    extra_comps = [Completion("r00", "r00#p0", "review:zoe"), Completion("r00", "r00#p1", "model:old")]
    res = evaluate_predictions((anns + extra_anns, comps + extra_comps), preds, cb, n_boot=0)
    assert res.coders == ["ann", "bob", "cat"]


def test_with_the_real_store_and_command(tmp_path):
    from typer.testing import CliRunner

    from reviewcoder.cli import app
    from reviewcoder.store import AnnotationStore

    cb, anns, comps, preds = make_corpus(n_docs=5, seed=7)
    db = tmp_path / "study.sqlite"
    with AnnotationStore(db) as store:
        store.add_annotations(anns)
        store.add_completions(comps)
    with AnnotationStore(db) as store:
        from_store = evaluate_predictions(store, preds, cb, n_boot=100)
    direct = evaluate_predictions((anns, comps), preds, cb, n_boot=100)
    assert from_store.to_dict()["theme_table"] == direct.to_dict()["theme_table"]
    pred_path = tmp_path / "pred.jsonl"
    pred_path.write_text("".join(json.dumps(p) + "\n" for p in preds), encoding="utf-8")
    res = CliRunner().invoke(app, ["evaluate", "-p", str(pred_path), "--store", str(db), "--out",
                                   str(tmp_path / "rep"), "--n-boot", "100", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["theme_table"] == json.loads(json.dumps(direct.to_dict()["theme_table"]))
    missing = CliRunner().invoke(app, ["evaluate", "-p", str(pred_path), "--store", str(tmp_path / "nope.sqlite")])
    assert missing.exit_code == 1 and "does not exist" in missing.output
