"""The notebooks in notebooks/ run start to finish, as a researcher would run them.

Each is executed with nbclient in a kernel started from this interpreter (a kernel spec written to a
temporary JUPYTER_PATH, so nothing has to be installed by hand), with the working folder notebooks/
(they read the repo's corpus and samples) and REVIEWCODER_NOTEBOOK_OUT pointing at a temporary
folder: everything a notebook writes must land there, and the repo is left as it was. The committed
notebooks keep their small outputs; these runs never write them back.

Notebook 3 needs the real doccano server (``doccano`` fixture: started by scripts/test, or here).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
KERNEL = "reviewcoder-notebook-test"
MAX_BYTES = 200_000

pytestmark = pytest.mark.slow


def _snapshot() -> dict[str, float]:
    """What lives in notebooks/ (name -> mtime): a run must neither add nor touch anything there."""
    return {p.name: p.stat().st_mtime for p in NOTEBOOKS.iterdir()}


@pytest.fixture
def run_notebook(tmp_path, monkeypatch):
    """Execute one notebook; returns (executed notebook, OUT folder)."""
    spec = tmp_path / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "reviewcoder (test)",
        "language": "python",
    }), encoding="utf-8")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    out = tmp_path / "out"
    monkeypatch.setenv("REVIEWCODER_NOTEBOOK_OUT", str(out))

    def run(name: str, timeout: int = 900):
        path = NOTEBOOKS / name
        nb = nbformat.read(path, as_version=4)
        before = _snapshot()
        client = nbclient.NotebookClient(nb, kernel_name=KERNEL, timeout=timeout, startup_timeout=120,
                                         resources={"metadata": {"path": str(NOTEBOOKS)}})
        client.execute()
        assert _snapshot() == before, "the notebook wrote into notebooks/; it must write only under OUT"
        return nb, out

    return run


def _text(nb) -> str:
    """All text outputs of an executed notebook."""
    parts = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            if o.get("output_type") == "stream":
                parts.append(o.get("text", ""))
            elif "data" in o:
                parts.append(o["data"].get("text/markdown", "") or o["data"].get("text/plain", ""))
    return "\n".join(parts)


def _summary(out: Path, name: str) -> dict:
    path = out / name
    assert path.is_file(), f"the notebook did not write {name} under OUT"
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")))
def test_committed_notebooks_are_small_clean_and_executed(name):
    """Saved with their outputs, under 200 KB, no errors kept, and importing nothing from tests/."""
    path = NOTEBOOKS / name
    assert path.stat().st_size < MAX_BYTES
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.get("execution_count") for c in code), "save the notebook executed (see notebooks/README.md)"
    for c in code:
        assert "conftest" not in c.source and "from tests" not in c.source and "import tests" not in c.source
        assert not any(o.get("output_type") == "error" for o in c.get("outputs", []))
    assert any("import reviewcoder" in c.source or "from reviewcoder" in c.source for c in code)


def test_01_codebook_and_precode(run_notebook):
    nb, out = run_notebook("01-codebook-and-precode.ipynb")
    s = _summary(out, "01-summary.json")
    assert s["n_themes"] == 12 and s["codebook"].startswith("panel-2018-19@1:")
    assert s["own_codebook_themes"] >= 2 and s["own_fingerprint"] != s["codebook"]
    reviews = REPO / "samples" / "reviews"
    assert s["precoded"] == sorted(p.stem for p in reviews.iterdir() if p.suffix in (".txt", ".md", ".docx", ".pdf"))
    # every suggested theme comes with its evidence, and the evidence is the review's own text
    assert s["themes_with_evidence"] >= 1 and s["evidence_checked"] == s["themes_with_evidence"]
    assert (out / "precoded.jsonl").is_file()


def test_02_train_and_evaluate_heldout(run_notebook):
    nb, out = run_notebook("02-train-and-evaluate-heldout.ipynb")
    s = _summary(out, "02-summary.json")
    assert s["train_authors"] and s["heldout_authors"] and not set(s["train_authors"]) & set(s["heldout_authors"])
    assert s["n_heldout_units"] > 100
    assert 0.0 <= s["model_macro_f1"] <= 1.0
    # the model's agreement is reported beside the coders' own, on the same held-out units
    assert s["coders_pooled_alpha"] is not None and s["model_pooled_alpha"] is not None
    assert (out / "models" / "mine" / "model.json").is_file()


@pytest.mark.integration
def test_03_agreement_study_from_doccano(run_notebook, doccano, monkeypatch):
    monkeypatch.setenv("REVIEWCODER_DOCCANO_URL", doccano.url)
    monkeypatch.setenv("DOCCANO_ADMIN_USERNAME", doccano.admin_username)
    monkeypatch.setenv("DOCCANO_ADMIN_PASSWORD", doccano.admin_password)
    nb, out = run_notebook("03-agreement-study-from-doccano.ipynb")
    s = _summary(out, "03-summary.json")
    assert s["coders"] == ["ana", "ben"] and s["units_coded_by_both"] > 20
    assert s["themes_with_alpha"] >= 1
    assert "the pulled codes and check marks match" in _text(nb)
    assert doccano.admin_password not in _text(nb)
    with doccano.admin() as admin:
        assert s["project"] not in {p["id"] for p in admin.projects()}, "the demo project was not deleted"


def test_04_panel_summary(run_notebook):
    nb, out = run_notebook("04-panel-summary.ipynb")
    s = _summary(out, "04-summary.json")
    assert s["n_reviews"] == 160 and s["n_heldout_reviews"] > 0
    shares = s["heldout_shares"]
    assert len(shares) == 12
    for theme, row in shares.items():
        for who in ("consensus", "model"):
            assert row[who] is None or 0.0 <= row[who] <= 1.0, (theme, who)
    assert "of the rapid reviews" in _text(nb)
