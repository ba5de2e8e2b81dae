import json

import pytest

from reviewcoder.errors import InputError
from reviewcoder.ingest import read_documents, read_documents_report


def test_folder_of_texts_with_bom_crlf_and_cp1252(tmp_path):
    (tmp_path / "a.txt").write_bytes("\ufeffFirst line\r\n\r\nSecond para".encode("utf-8"))
    (tmp_path / "b.md").write_bytes("Caf\xe9 visit \x96 the HV attended".encode("latin-1"))
    (tmp_path / "ignored.png").write_bytes(b"\x89PNG")
    docs = read_documents(tmp_path)
    assert [d.id for d in docs] == ["a", "b"]
    assert docs[0].text == "First line\n\nSecond para"
    assert docs[1].text == "Café visit – the HV attended"  # cp1252 en dash
    assert docs[0].meta["source"].endswith("a.txt")


def test_empty_and_binary_files_are_reported_and_the_rest_read(tmp_path):
    (tmp_path / "good.txt").write_text("A review.", encoding="utf-8")
    (tmp_path / "empty.txt").write_text("  \n", encoding="utf-8")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02garbage")
    docs, problems = read_documents_report(tmp_path)
    assert [d.id for d in docs] == ["good"]
    messages = " ".join(str(p) for p in problems)
    assert "empty.txt is empty" in messages and "binary.txt looks like a binary file" in messages


def test_docx_and_pdf(tmp_path):
    import docx

    d = docx.Document()
    d.add_paragraph("Circumstances of the incident")
    d.add_paragraph("Baby B was seen in ED.")
    d.save(tmp_path / "review.docx")
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    docs, problems = read_documents_report(tmp_path)
    assert docs[0].id == "review" and docs[0].text == "Circumstances of the incident\n\nBaby B was seen in ED."
    assert len(problems) == 1 and "broken.pdf" in str(problems[0])


def test_jsonl_keeps_extra_fields_as_meta_and_reports_bad_lines(tmp_path):
    path = tmp_path / "reviews.jsonl"
    path.write_text(
        json.dumps({"id": "r1", "text": "One.", "author": "A01"}) + "\n"
        + "{not json\n"
        + json.dumps({"id": "r2"}) + "\n"
        + json.dumps({"id": 3, "text": "Three."}) + "\n",
        encoding="utf-8",
    )
    docs, problems = read_documents_report(path)
    assert [d.id for d in docs] == ["r1", "3"]
    assert docs[0].meta["author"] == "A01"
    assert [p.source for p in problems] == [f"{path} line 2", f"{path} line 3"]


def test_csv_needs_id_and_text_and_keeps_multiline_text(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text('id,text,area\nr1,"Para one.\r\n\r\nPara two.",north\n', encoding="utf-8")
    docs = read_documents(path)
    assert docs[0].text == "Para one.\n\nPara two." and docs[0].meta["area"] == "north"
    bad = tmp_path / "bad.csv"
    bad.write_text("name,body\nx,y\n", encoding="utf-8")
    with pytest.raises(InputError, match="needs columns 'id' and 'text'"):
        read_documents(bad)


def test_duplicate_ids_name_both_sources(tmp_path):
    path = tmp_path / "reviews.jsonl"
    path.write_text('{"id": "r1", "text": "a"}\n{"id": "r1", "text": "b"}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"'r1' appears twice: in .*line 1 and in .*line 2"):
        read_documents(path)


def test_missing_input_and_wrong_suffix(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_documents(tmp_path / "nope")
    odd = tmp_path / "x.xlsx"
    odd.write_bytes(b"PK")
    with pytest.raises(InputError, match="suffix '.xlsx'"):
        read_documents(odd)


def test_jsonl_objects_name_the_bad_line_and_keep_line_separators_inside_strings(tmp_path):
    from reviewcoder.ingest import read_jsonl_objects

    f = tmp_path / "x.jsonl"
    f.write_text('{"id": "a", "text": "one\u2028two"}\n\n{"id": "b"}\n', encoding="utf-8")
    got = list(read_jsonl_objects(f))
    assert [w for w, _ in got] == [f"{f} line 1", f"{f} line 3"]
    assert got[0][1]["text"] == "one\u2028two"
    f.write_text('{"id": "a"}\n[1, 2]\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"x.jsonl line 2 is not a JSON object .*; fix that line"):
        list(read_jsonl_objects(f))
    f.write_text('{"id": "a"}\n{"id": \n', encoding="utf-8")
    with pytest.raises(InputError, match=r"x.jsonl line 2 is not valid JSON"):
        list(read_jsonl_objects(f))
    with pytest.raises(InputError, match="does not exist"):
        list(read_jsonl_objects(tmp_path / "nope.jsonl"))
