"""The import order of DESIGN.md: a module imports only modules above it, and `import reviewcoder` stays light."""

import ast
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "reviewcoder"

# Lower layers must not import higher ones.
LAYERS = ["errors", "codebook", "records", "writing", "ingest", "segment", "store", "corpus", "importer", "labels"]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level >= 1 and node.module:
            names.add(node.module.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("reviewcoder."):
            names.add(node.module.split(".")[1])
    return names


def test_lower_modules_do_not_import_higher_ones():
    for i, name in enumerate(LAYERS):
        higher = set(LAYERS[i + 1:]) | {"cli", "classify", "evaluate", "sync", "precode", "review", "summary", "artifacts"}
        bad = imported_modules(SRC / f"{name}.py") & higher
        assert not bad, f"{name}.py imports {bad}, which sit above it in DESIGN.md's order"


def test_library_code_does_not_print():
    for path in SRC.rglob("*.py"):
        if "cli" in path.parts or path.name == "__main__.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print":
                raise AssertionError(f"{path.relative_to(SRC)} line {node.lineno} prints; return values instead")


def test_import_reviewcoder_is_light():
    code = "import sys, reviewcoder, reviewcoder.codebook, reviewcoder.store; print(sorted(m for m in ('torch', 'transformers', 'spacy', 'sklearn') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
