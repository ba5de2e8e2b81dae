"""The committed demo corpus loads whole, and its records are consistent with its texts."""

import json
from pathlib import Path

from typer.testing import CliRunner

from reviewcoder.cli import app
from reviewcoder.codebook import default_codebook
from reviewcoder.store import AnnotationStore

CORPUS = Path(__file__).resolve().parents[1] / "annotations" / "corpus"


def test_reviewcoder_import_loads_the_whole_corpus(tmp_path):
    store = tmp_path / "s.sqlite"
    result = CliRunner().invoke(app, ["import", str(CORPUS), "--store", str(store)])
    assert result.exit_code == 0, result.output
    with AnnotationStore(store) as st:
        assert len(st.documents()) >= 150
        assert set(st.coders()) >= {"coder_a", "coder_b", "consensus"}
        items = {c.item for c in st.completions(coder="consensus")}
        assert len(items) >= 2000
        # Every coder coded every unit: completion is what makes "no theme" a real 0.
        assert {c.item for c in st.completions(coder="coder_a")} == items == {c.item for c in st.completions(coder="coder_b")}
        spans = [a for a in st.annotations() if a.start is not None]
        assert len({a.item for a in spans}) >= 300
        texts = {d.id: d.text for d in st.documents()}
        segs = {s.unit_id: s for s in st.segments()}
        for a in spans[:500]:
            unit = segs[a.item]
            assert unit.start <= a.start < a.end <= unit.end and texts[a.doc_id][a.start:a.end].strip()
    again = CliRunner().invoke(app, ["import", str(CORPUS), "--store", str(store)])
    assert "0 documents, 0 annotations, 0 completions" in again.output


def test_corpus_split_is_by_author_and_themes_are_in_the_codebook():
    docs = [json.loads(line) for line in (CORPUS / "documents.jsonl").read_text(encoding="utf-8").splitlines()]
    split_of_author = {}
    for d in docs:
        split_of_author.setdefault(d["meta"]["author"], set()).add(d["meta"]["split"])
    assert len(split_of_author) >= 8 and all(len(s) == 1 for s in split_of_author.values())
    assert {"train", "heldout"} == {next(iter(s)) for s in split_of_author.values()}
    known = set(default_codebook().theme_ids)
    for path in (CORPUS / "codes").glob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            assert set(json.loads(line)["themes"]) <= known
