"""`reviewcoder train` and `reviewcoder precode` through the command line (tfidf: no encoder needed)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from classify_fakes import tiny_codebook, tiny_data
from reviewcoder.cli import app

runner = CliRunner()


def _corpus(tmp_path):
    corpus = tmp_path / "corpus"
    (corpus / "codes").mkdir(parents=True)
    texts, Y, _ = tiny_data(72, seed=2)
    themes = tiny_codebook().theme_ids
    docs, codes = [], []
    for d in range(12):
        paras = texts[d * 6 : (d + 1) * 6]
        docs.append({"id": f"d{d}", "text": "\n\n".join(paras),
                     "meta": {"author": f"a{d % 4}", "split": "heldout" if d % 4 == 3 else "train"}})
        for p in range(6):
            y = Y[d * 6 + p]
            codes.append({"doc_id": f"d{d}", "item": f"d{d}#p{p}", "coder": "consensus",
                          "themes": [t for t, v in zip(themes, y) if v], "spans": []})
    (corpus / "documents.jsonl").write_text("".join(json.dumps(x) + "\n" for x in docs))
    (corpus / "codes" / "consensus.jsonl").write_text("".join(json.dumps(x) + "\n" for x in codes))
    tiny_codebook().save(tmp_path / "codebook.yaml")
    return corpus


def test_train_then_precode(tmp_path):
    corpus = _corpus(tmp_path)
    model_dir = tmp_path / "model"
    r = runner.invoke(app, ["train", "-a", str(corpus), "--split", "train", "--evaluate-split", "heldout",
                            "--backend", "tfidf", "--codebook", str(tmp_path / "codebook.yaml"), "--out", str(model_dir)])
    assert r.exit_code == 0, r.output
    assert "held-out (heldout) macro-F1" in r.output
    info = json.loads((model_dir / "model.json").read_text())
    assert info["training"]["coder"] == "consensus" and info["training"]["split"] == "train"
    assert info["heldout"]["n_units"] == 18
    # documents: thresholds chosen on the 9 training documents, figures on the 3 held-out ones
    assert set(info["document_thresholds"]) == set(tiny_codebook().theme_ids)
    assert info["cv_document"]["n_documents"] == 9 and info["heldout"]["document"]["n_documents"] == 3
    assert "model vs consensus" in info["heldout"]["document"]["agreement"]
    assert "; documents " in r.output
    assert info["reproduce"].startswith("reviewcoder train -a ")
    out = tmp_path / "pre.jsonl"
    r = runner.invoke(app, ["precode", str(corpus / "documents.jsonl"), "--out", str(out), "--model", str(model_dir), "-q"])
    assert r.exit_code == 0, r.output
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(lines) == 12 and lines[0]["model"] == info["model_id"]
    for rec in lines:
        assert rec["themes"] == [t for t, v in rec["scores"].items() if v >= info["document_thresholds"][t]]


def test_precode_with_a_missing_model_says_so_in_one_line(tmp_path):
    (tmp_path / "in.jsonl").write_text(json.dumps({"id": "a", "text": "some text here"}) + "\n")
    r = runner.invoke(app, ["precode", str(tmp_path / "in.jsonl"), "--out", str(tmp_path / "o.jsonl"),
                            "--model", str(tmp_path / "nope")])
    assert r.exit_code == 1
    assert "does not exist" in r.output
    assert not (tmp_path / "o.jsonl").exists()


def test_precode_refuses_a_model_for_another_codebook(tmp_path):
    corpus = _corpus(tmp_path)
    runner.invoke(app, ["train", "-a", str(corpus), "--backend", "tfidf", "--codebook", str(tmp_path / "codebook.yaml"),
                        "--out", str(tmp_path / "m")])
    r = runner.invoke(app, ["precode", str(corpus / "documents.jsonl"), "--out", str(tmp_path / "o.jsonl"),
                            "--model", str(tmp_path / "m"), "--codebook", "panel-2018-19"])
    assert r.exit_code == 1 and "trained for codebook 'tiny'" in r.output


def test_train_with_bad_param_or_no_codes(tmp_path):
    corpus = _corpus(tmp_path)
    r = runner.invoke(app, ["train", "-a", str(corpus), "--backend", "tfidf", "-p", "C", "--out", str(tmp_path / "m"),
                            "--codebook", str(tmp_path / "codebook.yaml")])
    assert r.exit_code == 1 and "NAME=VALUE" in r.output
    r = runner.invoke(app, ["train", "-a", str(tmp_path / "none"), "--out", str(tmp_path / "m")])
    assert r.exit_code == 1 and "do not exist" in r.output


def test_train_from_the_store(tmp_path):
    from reviewcoder.corpus import import_corpus
    from reviewcoder.store import open_store

    corpus = _corpus(tmp_path)
    db = tmp_path / "store.sqlite"
    with open_store(db) as st:
        import_corpus(st, corpus)
    r = runner.invoke(app, ["train", "--store", str(db), "--coder", "consensus", "--backend", "tfidf",
                            "--codebook", str(tmp_path / "codebook.yaml"), "--out", str(tmp_path / "m")])
    assert r.exit_code == 0, r.output
    info = json.loads((tmp_path / "m" / "model.json").read_text())
    assert info["training"]["n_units"] == 72 and info["training"]["source"].startswith("store ")
