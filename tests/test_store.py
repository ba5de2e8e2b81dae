import os
import signal
import subprocess
import sys
import time

import pytest

from reviewcoder.codebook import default_codebook
from reviewcoder.errors import InputError, StoreError
from reviewcoder.records import Annotation, Completion, Document
from reviewcoder.store import AnnotationStore, read_long


@pytest.fixture
def store(tmp_path):
    with AnnotationStore(tmp_path / "s.sqlite") as s:
        yield s


def test_documents_and_paragraph_segments(store):
    doc = Document("r1", "Background\n\nBaby B was seen.\n\nThe HV visited.")
    assert store.add_documents([doc]) == 1
    assert store.add_documents([doc]) == 0
    segs = store.segments("r1")
    assert [s.text for s in segs] == ["Background", "Baby B was seen.", "The HV visited."]
    with pytest.raises(StoreError, match="different text"):
        store.add_documents([Document("r1", "changed")])


def test_coders_are_never_merged_and_duplicates_add_nothing(store):
    a = Annotation("r1", "ana", "domestic_abuse", "r1#p1")
    b = Annotation("r1", "ben", "domestic_abuse", "r1#p1")
    assert store.add_annotations([a, b]) == 2
    assert store.add_annotations([a]) == 0
    assert {x.coder for x in store.annotations()} == {"ana", "ben"}
    assert store.coders() == ["ana", "ben"]


def test_a_failing_write_leaves_everything_as_it_was(store):
    store.add_annotations([Annotation("r1", "ana", "domestic_abuse", "r1#p1")])
    before = store.counts()
    with pytest.raises(StoreError):
        store.add_annotations([
            Annotation("r1", "ana", "risk_assessment", "r1#p1"),
            Annotation("r1", "ana", "domestic_abuse", "r1#p1", value="0"),  # conflicts with the stored 1
        ])
    assert store.counts() == before


def test_replace_coder_state_keeps_history(store):
    scope = "doccano:http://127.0.0.1:8000/projects/1"
    first = [Annotation("r1", "ana", t, "r1#p1", origin=f"{scope}/examples/1") for t in ("domestic_abuse", "risk_assessment")]
    comps = [Completion("r1", "r1#p1", "ana", origin=f"{scope}/examples/1")]
    assert store.replace_coder_state("ana", scope, first, comps)["added"] == 2
    assert store.replace_coder_state("ana", scope, first, comps) == {"added": 0, "removed": 0, "changed": 0, "unchanged": 2}
    second = first[:1]
    counts = store.replace_coder_state("ana", scope, second, comps)
    assert counts["removed"] == 1
    assert [a.theme for a in store.annotations(coder="ana")] == ["domestic_abuse"]
    removed = [h for h in store.history("ana") if h["event"] == "removed"]
    assert removed[0]["theme"] == "risk_assessment"
    # Another coder's codes are untouched by ana's pull.
    store.add_annotations([Annotation("r1", "ben", "home_education", "r1#p1", origin=f"{scope}/examples/1")])
    store.replace_coder_state("ana", scope, [], [])
    assert [a.coder for a in store.annotations()] == ["ben"]


def test_tidy_long_round_trip_is_lossless(store, tmp_path):
    path = tmp_path / "long.csv"
    path.write_text(
        "item,coder,label,value,start,end\n"
        "r1#p0,ana,domestic_abuse,1,,\n"
        "r1#p0,ana,domestic_abuse,1,5,20\n"
        "r1#p0,ben,domestic_abuse,0,,\n"
        "r1#p1,ben,risk_assessment,yes,,\n",
        encoding="utf-8",
    )
    assert store.import_long(path)["annotations"] == 4
    assert store.import_long(path)["annotations"] == 0  # twice adds nothing
    out = tmp_path / "out.csv"
    store.export_long(out)
    with AnnotationStore(tmp_path / "other.sqlite") as other:
        other.import_long(out)
        out2 = tmp_path / "out2.jsonl"
        other.export_long(out2)
        with AnnotationStore(tmp_path / "third.sqlite") as third:
            third.import_long(out2)
            key = lambda a: (a.item, a.coder, a.theme, a.start or -1, a.end or -1, a.value)  # noqa: E731
            assert sorted(map(key, third.annotations())) == sorted(map(key, store.annotations()))
            assert len(third.completions()) == len(store.completions()) == 3


def test_export_with_codebook_writes_zero_rows_for_completed_units(store, tmp_path):
    store.add_annotations([Annotation("r1", "ana", "domestic_abuse", "r1#p0")])
    store.add_completions([Completion("r1", "r1#p0", "ana"), Completion("r1", "r1#p1", "ana")])
    rows = store.long_rows(codebook=default_codebook())
    assert len(rows) == 2 * 12
    assert sum(r["value"] == "1" for r in rows) == 1


@pytest.mark.parametrize(
    "content, message",
    [
        ("item,coder,label\nx,a,b\n", "lacks column"),
        ("item,coder,label,value\nx,,b,1\n", "row 2: 'coder' is empty"),
        ("item,coder,label,value,start,end\nx,a,b,1,5,\n", "row 2: a span needs both"),
        ("item,coder,label,value,start,end\nx,a,b,1,five,9\n", "'start' must be a whole number"),
    ],
)
def test_bad_long_files_name_the_row_and_store_nothing(store, tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    before = store.counts()
    with pytest.raises(InputError, match=message):
        store.import_long(path)
    assert store.counts() == before


def test_unknown_labels_against_a_codebook_are_listed(store, tmp_path):
    path = tmp_path / "codes.csv"
    path.write_text("item,coder,label,value\nx,a,T07,1\nx,a,domestic_abuse,1\n", encoding="utf-8")
    from reviewcoder.errors import CodebookError

    with pytest.raises(CodebookError, match=r"\['T07'\]"):
        store.import_long(path, codebook=default_codebook())
    assert store.counts()["annotations"] == 0


def test_not_a_store(tmp_path):
    path = tmp_path / "x.sqlite"
    path.write_text("this is not sqlite " * 100)
    with pytest.raises(StoreError, match="not a reviewcoder store"):
        AnnotationStore(path)


def test_killed_import_leaves_the_store_exactly_as_before(tmp_path):
    """Kill a real process in the middle of a big import: the store must be as before, byte for byte in content."""
    db = tmp_path / "s.sqlite"
    with AnnotationStore(db) as s:
        s.add_annotations([Annotation("r0", "ana", "domestic_abuse", "r0#p0")])
        before = s.long_rows()
    big = tmp_path / "big.csv"
    with big.open("w") as fh:
        fh.write("item,coder,label,value\n")
        for i in range(300_000):
            fh.write(f"r{i}#p0,coder{i % 3},theme{i % 12},1\n")
    script = (
        "import sys; from reviewcoder.store import AnnotationStore\n"
        "s = AnnotationStore(sys.argv[1])\n"
        "with s.transaction():\n"
        "    print('writing', flush=True)\n"
        "    s.import_long(sys.argv[2])\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script, str(db), str(big)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "writing"
    time.sleep(1.0)  # well inside the write of 300,000 rows
    assert proc.poll() is None, "the import finished before it could be killed; make the file bigger"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with AnnotationStore(db) as s:
        assert s.long_rows() == before
        assert s.counts()["annotations"] == 1


def test_read_long_jsonl(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"item": "a", "coder": "c", "label": "l", "value": 1}\n', encoding="utf-8")
    rows = read_long(path)
    assert rows[0]["value"] == "1" and rows[0]["doc_id"] == "a"
