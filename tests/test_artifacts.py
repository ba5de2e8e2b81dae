"""Model directories: round trip, inspectable files, and refusals that say why."""

from __future__ import annotations

import json

import numpy as np
import pytest

from classify_fakes import FakeEncoder, tiny_codebook, tiny_data
from reviewcoder.artifacts import FORMAT_VERSION, load_model, read_model_json, save_model
from reviewcoder.classify import train_model
from reviewcoder.errors import ModelError

THEMES = ["violence", "school", "money"]


@pytest.fixture(scope="module")
def trained():
    texts, Y, groups = tiny_data(50)
    return texts, train_model(texts, Y, THEMES, backend="tfidf", groups=groups, codebook=tiny_codebook())


def test_round_trip_gives_identical_scores(tmp_path, trained):
    texts, model = trained
    path = save_model(model, tmp_path / "m", extra={"training": {"coder": "consensus"}})
    again = load_model(path)
    np.testing.assert_array_equal(again.predict_proba(texts), model.predict_proba(texts))
    assert again.thresholds == model.thresholds
    assert again.theme_ids == THEMES
    assert again.model_id == model.model_id and again.model_id.startswith("m-")
    assert again.codebook_fingerprint == tiny_codebook().fingerprint()
    assert again.codebook.theme_ids == THEMES


def test_directory_is_inspectable_and_has_no_pickle(tmp_path, trained):
    _, model = trained
    path = save_model(model, tmp_path / "m", extra={"training": {"coder": "consensus"}})
    names = sorted(p.name for p in path.iterdir())
    assert names == ["MODEL_CARD.md", "codebook.yaml", "model.json", "weights.safetensors"]
    info = json.loads((path / "model.json").read_text())
    assert info["format_version"] == FORMAT_VERSION
    assert info["backend"] == "tfidf-linear.v1"
    assert info["theme_ids"] == THEMES
    assert info["codebook"]["fingerprint"] == tiny_codebook().fingerprint()
    assert set(info["thresholds"]) == set(THEMES)
    assert info["training"]["coder"] == "consensus"
    assert info["training"]["positives"]["violence"] > 0
    assert "numpy" in info["versions"]
    card = (path / "MODEL_CARD.md").read_text()
    assert "| violence |" in card and "Known limits" in card
    assert not any(p.suffix in (".pkl", ".pickle", ".joblib") for p in path.iterdir())


def test_same_model_same_id(tmp_path, trained):
    _, model = trained
    a = read_model_json(save_model(model, tmp_path / "a", name="x"))["model_id"]
    b = read_model_json(save_model(model, tmp_path / "b", name="x"))["model_id"]
    assert a == b


def test_saving_over_a_model_replaces_it(tmp_path, trained):
    _, model = trained
    save_model(model, tmp_path / "m")
    (tmp_path / "m" / "stray.txt").write_text("old")
    save_model(model, tmp_path / "m")
    assert not (tmp_path / "m" / "stray.txt").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["m"]


def test_refuses_another_codebook(tmp_path, trained):
    _, model = trained
    path = save_model(model, tmp_path / "m")
    other = tiny_codebook(("violence", "school"))
    with pytest.raises(ModelError, match=r"trained for codebook 'tiny' .* not for 'tiny'"):
        load_model(path, codebook=other)
    assert load_model(path, codebook=tiny_codebook()).theme_ids == THEMES


def test_refuses_another_format_version(tmp_path, trained):
    _, model = trained
    path = save_model(model, tmp_path / "m")
    info = json.loads((path / "model.json").read_text())
    info["format_version"] = 99
    (path / "model.json").write_text(json.dumps(info))
    with pytest.raises(ModelError, match="format_version 99.*reads format_version 1"):
        load_model(path)


def test_missing_and_foreign_folders_are_named(tmp_path):
    with pytest.raises(ModelError, match="does not exist"):
        load_model(tmp_path / "nowhere")
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "config.json").write_text("{}")
    with pytest.raises(ModelError, match="not a reviewcoder model"):
        load_model(tmp_path / "foreign")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ModelError, match="is a file"):
        load_model(tmp_path / "file")


def test_damaged_files_are_reported(tmp_path, trained):
    _, model = trained
    path = save_model(model, tmp_path / "m")
    (path / "weights.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(ModelError, match="cannot be read as safetensors"):
        load_model(path)
    (path / "model.json").write_text("{not json")
    with pytest.raises(ModelError, match="not valid JSON"):
        load_model(path)


def test_unknown_backend_is_refused(tmp_path, trained):
    _, model = trained
    path = save_model(model, tmp_path / "m")
    info = json.loads((path / "model.json").read_text())
    info["backend"] = "tfidf-linear.v7"
    (path / "model.json").write_text(json.dumps(info))
    with pytest.raises(ModelError, match="tfidf-linear.v7"):
        load_model(path)


def test_embedding_model_names_its_encoder_and_refuses_another(tmp_path):
    texts, Y, groups = tiny_data(40)
    model = train_model(texts, Y, THEMES, backend="embedding", groups=groups, encoder=FakeEncoder(),
                        codebook=tiny_codebook())
    path = save_model(model, tmp_path / "m")
    info = json.loads((path / "model.json").read_text())
    assert info["encoder"]["sha256"] == "fake"
    with pytest.raises(ModelError, match="encoder weights fake"):
        load_model(path, encoder=FakeEncoder())
    from reviewcoder.encoder import ENCODER_SHA256

    info["encoder"]["sha256"] = ENCODER_SHA256
    (path / "model.json").write_text(json.dumps(info))
    again = load_model(path, encoder=FakeEncoder())
    np.testing.assert_allclose(again.predict_proba(texts[:5]), model.predict_proba(texts[:5]), atol=1e-6)
    assert (path / "weights.safetensors").stat().st_size < 100_000


def test_document_thresholds_round_trip_and_are_optional(tmp_path):
    texts, Y, groups = tiny_data(50)
    model = train_model(texts, Y, THEMES, backend="tfidf", groups=groups, codebook=tiny_codebook(),
                        documents=[f"d{i // 5}" for i in range(len(texts))])
    path = save_model(model, tmp_path / "m")
    again = load_model(path)
    assert again.document_thresholds == model.document_thresholds is not None
    info = json.loads((path / "model.json").read_text())
    assert info["cv_document"]["n_documents"] == 10
    assert "document threshold" in (path / "MODEL_CARD.md").read_text()
    # a model.json written before document thresholds existed: documents use the unit thresholds
    del info["document_thresholds"]
    (path / "model.json").write_text(json.dumps(info))
    old = load_model(path)
    assert old.document_thresholds is None
    assert old.document_threshold_array.tolist() == old.threshold_array.tolist()


def test_a_model_json_missing_a_theme_threshold_is_named(tmp_path, trained):
    _, model = trained
    path = save_model(model, tmp_path / "m")
    info = json.loads((path / "model.json").read_text())
    info["document_thresholds"] = {t: 0.5 for t in THEMES[:-1]}
    (path / "model.json").write_text(json.dumps(info))
    with pytest.raises(ModelError, match=r"model.json has no document threshold for themes \['money'\].*retrain"):
        load_model(path)
