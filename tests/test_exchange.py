import csv
import zipfile

import pytest

from reviewcoder.codebook import default_codebook
from reviewcoder.errors import InputError
from reviewcoder.exchange import analyst_rows, export_qdpx, import_qdpx, validate_qdpx, write_analyst_table
from reviewcoder.exchange.docbin import from_docbin, to_docbin
from reviewcoder.exchange.hf import from_dataset, to_dataset
from reviewcoder.records import Annotation, Completion, Document, Suggestion

CB = default_codebook()
DOC = Document("rr-1", "Rapid review: Baby B\n\nMother's partner was never seen by the HV.\n\n"
                       "Police did not tell CSC about the incident. Café – naïve text 😀 stays.")
S = DOC.text.index("Police did not")
E = S + len("Police did not tell CSC about the incident.")


def codes():
    return [
        Annotation("rr-1", "coder_a", "including_men", "rr-1#p1", created_at="2026-01-02T10:00:00+00:00"),
        Annotation("rr-1", "coder_a", "information_sharing", "rr-1#p2", start=S, end=E),
        Annotation("rr-1", "coder_b", "information_sharing", "rr-1#p2"),
    ]


def key(a):
    return (a.doc_id, a.coder, a.theme, a.item, -1 if a.start is None else a.start, -1 if a.end is None else a.end)


def test_qdpx_is_valid_against_the_refi_schema_and_round_trips(tmp_path):
    sugg = [Suggestion("rr-1", "rr-1#p2", "information_sharing", 0.91, S, E, "default-v1", CB.fingerprint())]
    path = export_qdpx(tmp_path / "p.qdpx", CB, [DOC], codes(), sugg)
    assert validate_qdpx(path) == []
    content = import_qdpx(path, CB)
    assert content.documents[0].text == DOC.text
    assert sorted(map(key, content.annotations)) == sorted(map(key, codes()))
    assert [a.coder for a in content.suggestions] == ["model:default-v1"]
    assert "score 0.910" in content.suggestions[0].origin
    assert content.annotations[0].created_at.startswith("2026-01-02T10:00:00")


def test_qdpx_schema_check_catches_a_broken_file(tmp_path):
    path = export_qdpx(tmp_path / "p.qdpx", CB, [DOC], codes())
    with zipfile.ZipFile(path) as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    files["project.qde"] = files["project.qde"].replace(b'isCodable="true"', b'isCodable="maybe"')
    broken = tmp_path / "broken.qdpx"
    with zipfile.ZipFile(broken, "w") as zf:
        for n, data in files.items():
            zf.writestr(n, data)
    errors = validate_qdpx(broken)
    assert errors and "isCodable" in errors[0]


def test_qdpx_bad_inputs(tmp_path):
    bad = tmp_path / "x.qdpx"
    bad.write_text("not a zip")
    with pytest.raises(InputError, match="is not a .qdpx"):
        import_qdpx(bad, CB)
    from reviewcoder.codebook import codebook_from_dict

    other = codebook_from_dict({"id": "other", "themes": [
        {"id": "neglect", "name": "Neglect", "kind": "case_feature", "definition": "Neglect."}]})
    path = export_qdpx(tmp_path / "p.qdpx", CB, [DOC], codes())
    with pytest.raises(InputError, match="are not themes of codebook other"):
        import_qdpx(path, other)
    assert import_qdpx(path, other, strict=False).annotations == []


def test_docbin_round_trip(tmp_path):
    docbin = to_docbin(CB, [DOC], codes())
    path = tmp_path / "x.spacy"
    docbin.to_disk(path)
    docs, anns = from_docbin(path, CB)
    assert docs[0].text == DOC.text
    assert sorted(map(key, anns)) == sorted(map(key, codes()))


def test_dataset_round_trip_keeps_coded_absent_units():
    comps = [Completion("rr-1", "rr-1#p1", "coder_a"), Completion("rr-1", "rr-1#p2", "coder_a"),
             Completion("rr-1", "rr-1#p1", "coder_b"), Completion("rr-1", "rr-1#p2", "coder_b")]
    ds = to_dataset(CB, [DOC], codes(), comps)
    assert len(ds) == 4
    row = ds.filter(lambda r: r["coder"] == "coder_b" and r["item"] == "rr-1#p1")[0]
    assert row["themes"] == [] and sum(row["labels"]) == 0 and row["text"].startswith("Mother's partner")
    anns, back = from_dataset(ds, CB)
    assert sorted(map(key, anns)) == sorted(map(key, codes()))
    assert len(back) == 4


def test_analyst_table_opens_cleanly(tmp_path):
    doc = Document("rr-2", "=HYPERLINK(\"x\") said the father.\n\nNothing else.", meta={"title": "Child C"})
    rows = analyst_rows(CB, [DOC, doc], codes() + [Annotation("rr-2", "coder_a", "including_men", "rr-2#p0")])
    path = write_analyst_table(tmp_path / "t.csv", rows)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.DictReader(path.open(encoding="utf-8-sig")))
    assert {(r["review"], r["theme"], r["coder"]) for r in table} == {
        ("rr-1", "including_men", "coder_a"), ("rr-1", "information_sharing", "coder_a"),
        ("rr-1", "information_sharing", "coder_b"), ("rr-2", "including_men", "coder_a")}
    formula = next(r for r in table if r["review"] == "rr-2")
    assert formula["evidence"].startswith("'=")
    span_row = next(r for r in table if r["coder"] == "coder_a" and r["theme"] == "information_sharing")
    assert span_row["evidence"] == DOC.text[S:E]


def test_cli_exchange_round_trip_through_qdpx(tmp_path):
    from typer.testing import CliRunner

    from reviewcoder.cli import app
    from reviewcoder.store import AnnotationStore

    store = tmp_path / "s.sqlite"
    with AnnotationStore(store) as st:
        st.add_documents([DOC])
        st.add_annotations(codes())
    runner = CliRunner()
    out = tmp_path / "x.qdpx"
    result = runner.invoke(app, ["exchange", "export", "--store", str(store), "--out", str(out)])
    assert result.exit_code == 0, result.output
    other = tmp_path / "t.sqlite"
    result = runner.invoke(app, ["exchange", "import", str(out), "--store", str(other)])
    assert result.exit_code == 0 and "3 codes" in result.output, result.output
    with AnnotationStore(other) as st:
        assert sorted(map(key, st.annotations())) == sorted(map(key, codes()))
    result = runner.invoke(app, ["exchange", "export", "--store", str(store), "--out", str(tmp_path / "x.xyz")])
    assert result.exit_code == 1 and "--format" in result.output
