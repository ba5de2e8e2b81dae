import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from reviewcoder.cli import app

runner = CliRunner()
SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "reviews"


def test_python_dash_m_and_help_list_commands():
    out = subprocess.run([sys.executable, "-m", "reviewcoder", "--help"], capture_output=True, text=True, check=True)
    for command in ("codebook", "segment", "import", "export"):
        assert command in out.stdout


def test_codebook_show_default_and_bad_file(tmp_path):
    result = runner.invoke(app, ["codebook", "show"])
    assert result.exit_code == 0 and "domestic_abuse" in result.output and "panel-2018-19@1:" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nthemes:\n  - {id: a, kind: nope, definition: d}\n")
    result = runner.invoke(app, ["codebook", "show", str(bad)])
    assert result.exit_code == 1
    assert "unknown kind 'nope'" in result.output and len(result.output.strip().splitlines()) == 1


def test_segment_samples(tmp_path):
    out = tmp_path / "seg.jsonl"
    result = runner.invoke(app, ["segment", str(SAMPLES), "--out", str(out), "--level", "sentence"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    texts = {p.stem: p.read_text(encoding="utf-8") for p in SAMPLES.glob("*.txt")}
    assert rows and all(texts[r["doc_id"]][r["start"]:r["end"]] == r["text"] for r in rows)


def test_import_export_cycle_and_bad_input_leaves_store_untouched(tmp_path):
    store = tmp_path / "s.sqlite"
    codes = tmp_path / "codes.csv"
    codes.write_text("item,coder,label,value\nr1#p0,ana,domestic_abuse,1\nr1#p0,ben,domestic_abuse,0\n")
    result = runner.invoke(app, ["import", str(codes), "--store", str(store)])
    assert result.exit_code == 0 and "2 annotations" in result.output
    result = runner.invoke(app, ["import", str(codes), "--store", str(store)])
    assert "0 annotations" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("item,coder,label,value\nr2#p0,ana,T07,1\n")
    result = runner.invoke(app, ["import", str(bad), "--store", str(store), "--codebook", "panel-2018-19"])
    assert result.exit_code == 1 and "['T07']" in result.output
    out = tmp_path / "out.csv"
    result = runner.invoke(app, ["export", "--store", str(store), "--out", str(out)])
    assert result.exit_code == 0
    lines = out.read_text().splitlines()
    assert lines[0].startswith("item,coder,label,value,start,end")
    assert len(lines) == 1 + 2 * 12  # two completed (item, coder) pairs x twelve themes


def test_import_documents(tmp_path):
    store = tmp_path / "s.sqlite"
    result = runner.invoke(app, ["import", str(SAMPLES), "--store", str(store)])
    assert result.exit_code == 0 and "3 documents" in result.output
