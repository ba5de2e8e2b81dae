"""precode: the DESIGN.md format, evidence offsets, resume after a kill, determinism, bad input."""

from __future__ import annotations

import csv
import json

import pytest

from classify_fakes import FakeEncoder, tiny_codebook, tiny_data
from reviewcoder.artifacts import load_model, save_model
from reviewcoder.classify import train_model
from reviewcoder.errors import InputError, ModelError
from reviewcoder.precode import precode, suggest

THEMES = ["violence", "school", "money"]

REVIEW = (
    "Rapid review: Child K\n\n"
    "The family was seen at home by the worker and the plan was reviewed later that week in the office.\n\n"
    "Police were called when he punched her and there was an assault in the kitchen, with injury and bruise. "
    "The worker wrote it up the next day.\n\n"
    "At school the teacher and the headteacher saw the pupil miss every lesson; attendance fell and exclusion followed.\n"
)


@pytest.fixture(scope="module")
def model():
    texts, Y, groups = tiny_data(80)
    return train_model(texts, Y, THEMES, backend="embedding", groups=groups, encoder=FakeEncoder(),
                       codebook=tiny_codebook(), params={"C": 50.0})


def _jsonl(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _inputs(n=20):
    texts, _, _ = tiny_data(n, seed=5)
    recs = [{"id": f"r{i}", "text": t} for i, t in enumerate(texts)]
    recs.insert(3, {"id": "review-k", "text": REVIEW})
    return recs


def test_output_follows_the_design_format(tmp_path, model):
    inp = _jsonl(tmp_path / "in.jsonl", _inputs())
    out = tmp_path / "out.jsonl"
    report = precode(inp, out, model=model)
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert [r["id"] for r in lines] == [r["id"] for r in _inputs()]
    assert report.n_written == len(lines) and not report.problems
    for r in lines:
        assert set(r) == {"id", "themes", "scores", "evidence", "model", "codebook"}
        assert list(r["scores"]) == THEMES
        assert all(0.0 <= v <= 1.0 for v in r["scores"].values())
        assert r["themes"] == [t for t in THEMES if r["scores"][t] >= model.thresholds[t]]
        assert {e["theme"] for e in r["evidence"]} == set(r["themes"])
        assert r["model"] == model.model_id and r["codebook"] == tiny_codebook().fingerprint()
    k = next(r for r in lines if r["id"] == "review-k")
    assert "violence" in k["themes"] and "school" in k["themes"]
    for e in k["evidence"]:
        assert REVIEW[e["start"]:e["end"]] == e["text"]
        assert e["score"] >= model.thresholds[e["theme"]]
    violence = next(e for e in k["evidence"] if e["theme"] == "violence")
    assert violence["text"].startswith("Police were called")
    assert "wrote it up" not in violence["text"]  # the evidence is the sentence, not the paragraph
    assert not out.with_name("out.jsonl.partial").exists()


def test_resume_after_a_kill_writes_what_a_full_run_writes(tmp_path, model):
    inp = _jsonl(tmp_path / "in.jsonl", _inputs(40))
    full = tmp_path / "full.jsonl"
    precode(inp, full, model=model, docs_per_batch=8)
    expected = full.read_text()
    out = tmp_path / "out.jsonl"
    lines = expected.splitlines(keepends=True)
    # a run killed after 13 lines, in the middle of writing the 14th
    out.with_name("out.jsonl.partial").write_text("".join(lines[:13]) + lines[13][:25])
    report = precode(inp, out, model=model, docs_per_batch=8)
    assert report.n_resumed == 13
    assert report.n_written == len(lines) - 13
    assert out.read_text() == expected


def test_resume_refuses_a_partial_file_from_other_input(tmp_path, model):
    inp = _jsonl(tmp_path / "in.jsonl", _inputs())
    out = tmp_path / "out.jsonl"
    out.with_name("out.jsonl.partial").write_text(json.dumps({"id": "zzz", "model": model.model_id}) + "\n")
    with pytest.raises(InputError, match="other input"):
        precode(inp, out, model=model)
    report = precode(inp, out, model=model, resume=False)
    assert report.n_resumed == 0 and out.is_file()


def test_same_input_same_output(tmp_path, model):
    inp = _jsonl(tmp_path / "in.jsonl", _inputs())
    precode(inp, tmp_path / "a.jsonl", model=model)
    precode(inp, tmp_path / "b.jsonl", model=model)
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()


def test_csv_output_carries_the_same_columns(tmp_path, model):
    inp = _jsonl(tmp_path / "in.jsonl", _inputs(5))
    precode(inp, tmp_path / "o.jsonl", model=model)
    precode(inp, tmp_path / "o.csv", model=model, fmt="csv")
    rows = list(csv.DictReader((tmp_path / "o.csv").open(encoding="utf-8")))
    recs = [json.loads(x) for x in (tmp_path / "o.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == [r["id"] for r in recs]
    for row, rec in zip(rows, recs):
        assert row["themes"] == ";".join(rec["themes"])
        assert float(row["score_money"]) == rec["scores"]["money"]
        assert json.loads(row["evidence"]) == rec["evidence"]


def test_bad_records_are_reported_and_the_rest_still_precoded(tmp_path, model):
    folder = tmp_path / "reviews"
    folder.mkdir()
    (folder / "good.txt").write_text(REVIEW)
    (folder / "empty.txt").write_text("   \n")
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02PK\x03\x04" * 100)
    (folder / "huge.txt").write_text(("The police were called. " * 50 + "\n\n") * 850)  # ~1 MB
    out = tmp_path / "out.jsonl"
    report = precode(folder, out, model=model)
    ids = [json.loads(x)["id"] for x in out.read_text().splitlines()]
    assert ids == ["good", "huge"]
    problems = " | ".join(report.problems)
    assert "empty.txt" in problems and "binary.txt" in problems
    huge = json.loads(out.read_text().splitlines()[1])
    assert "violence" in huge["themes"]


def test_repeated_ids_are_skipped_and_named(tmp_path, model):
    recs = [{"id": "a", "text": REVIEW}, {"id": "b", "text": "Rent arrears and debt grew."}, {"id": "a", "text": "x y z"}]
    out = tmp_path / "out.jsonl"
    report = precode(_jsonl(tmp_path / "in.jsonl", recs), out, model=model)
    assert [json.loads(x)["id"] for x in out.read_text().splitlines()] == ["a", "b"]
    assert len(report.problems) == 1 and "'a'" in report.problems[0] and "#3" in report.problems[0]


def test_a_long_unpunctuated_text_is_covered_not_truncated(model):
    from reviewcoder.classify.units import text_units

    words = ("the family was seen at home by the worker " * 300).split()
    words[-5:] = ["police", "assault", "punched", "injury", "bruise"]
    text = " ".join(words)
    units = text_units(text)
    assert units.sentences[0][0] == 0 and units.sentences[-1][1] == len(text)
    assert all(b - a <= 900 for a, b in units.sentences)
    covered = "".join(text[a:b] for a, b in units.sentences)
    assert covered.replace(" ", "") == text.replace(" ", "")
    text = "police assault punched injury bruise fight " * 60
    ev = suggest(model, text)
    assert [e["theme"] for e in ev] == ["violence"]
    assert all(text[e["start"]:e["end"]] == e["text"] for e in ev)


def test_suggest_for_one_text(model):
    ev = suggest(model, REVIEW)
    assert ev and all(set(e) == {"theme", "score", "start", "end", "text"} for e in ev)
    assert suggest(model, "") == [] and suggest(model, "   ") == []


def test_missing_or_foreign_model_folder(tmp_path):
    inp = _jsonl(tmp_path / "in.jsonl", _inputs(2))
    with pytest.raises(ModelError, match="does not exist"):
        precode(inp, tmp_path / "o.jsonl", model=tmp_path / "nope")
    (tmp_path / "foreign").mkdir()
    with pytest.raises(ModelError, match="not a reviewcoder model"):
        precode(inp, tmp_path / "o.jsonl", model=tmp_path / "foreign")


def test_saved_model_precodes_like_the_model_in_memory(tmp_path, model):
    from reviewcoder.encoder import ENCODER_SHA256

    path = save_model(model, tmp_path / "m")
    info = json.loads((path / "model.json").read_text())
    info["encoder"]["sha256"] = ENCODER_SHA256  # the fake stands in for the packaged encoder here
    (path / "model.json").write_text(json.dumps(info))
    inp = _jsonl(tmp_path / "in.jsonl", _inputs(6))
    precode(inp, tmp_path / "a.jsonl", model=model)
    precode(inp, tmp_path / "b.jsonl", model=load_model(path, encoder=FakeEncoder()))
    a = [json.loads(x) for x in (tmp_path / "a.jsonl").read_text().splitlines()]
    b = [json.loads(x) for x in (tmp_path / "b.jsonl").read_text().splitlines()]
    assert [(r["themes"], r["scores"]) for r in a] == [(r["themes"], r["scores"]) for r in b]


def test_unknown_format_is_refused(tmp_path, model):
    with pytest.raises(InputError, match="xml"):
        precode(tmp_path / "in.jsonl", tmp_path / "o.xml", model=model, fmt="xml")


@pytest.mark.slow
def test_embedded_default_precodes_the_sample_reviews_offline(tmp_path):
    from pathlib import Path

    from reviewcoder.artifacts import default_model_path, read_model_json
    from reviewcoder.codebook import default_codebook

    samples = Path(__file__).resolve().parents[1] / "samples" / "reviews"
    info = read_model_json(default_model_path())
    assert info["codebook"]["fingerprint"] == default_codebook().fingerprint()
    assert info["heldout"]["n_units"] > 0 and info["training"]["coder"] == "consensus"
    assert set(info["document_thresholds"]) == set(info["theme_ids"])
    assert info["heldout"]["document"]["n_documents"] > 0
    model = load_model(codebook=default_codebook())
    out = tmp_path / "pre.jsonl"
    report = precode(samples, out, model=model)
    recs = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(recs) == len(list(samples.glob("*.txt"))) and not report.problems
    texts = {p.stem: p.read_text(encoding="utf-8") for p in samples.glob("*.txt")}
    assert any(r["themes"] for r in recs)
    for r in recs:
        assert list(r["scores"]) == default_codebook().theme_ids
        for e in r["evidence"]:
            assert texts[r["id"]].replace("\r\n", "\n")[e["start"]:e["end"]] == e["text"]


def test_documents_are_flagged_at_the_document_threshold(model):
    from dataclasses import replace

    from reviewcoder.precode import score_documents
    from reviewcoder.records import Document

    doc = Document(id="k", text=REVIEW)
    base = score_documents(model, [doc])[0]
    best = base["scores"]["violence"]
    assert "violence" in base["themes"]
    # above the best paragraph: the document is not flagged, whatever the unit threshold says
    strict = replace(model, document_thresholds={**model.thresholds, "violence": min(best + 0.01, 1.0)})
    rec = score_documents(strict, [doc])[0]
    assert "violence" not in rec["themes"] and not [e for e in rec["evidence"] if e["theme"] == "violence"]
    # a document threshold under every paragraph's score, with a unit threshold above them all: the
    # document is flagged and its evidence is the best paragraph's best sentence
    loose = replace(model, thresholds={**model.thresholds, "violence": 0.999},
                    document_thresholds={**model.thresholds, "violence": 0.0})
    rec = score_documents(loose, [doc])[0]
    ev = [e for e in rec["evidence"] if e["theme"] == "violence"]
    assert "violence" in rec["themes"] and len(ev) == 1
    assert ev[0]["score"] == pytest.approx(best, abs=1e-4)
    assert REVIEW[ev[0]["start"]:ev[0]["end"]] == ev[0]["text"] and ev[0]["text"]
