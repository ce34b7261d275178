"""The onnxruntime fast path: the same vectors as torch, and torch whenever it cannot be had."""
import numpy as np
import pytest

from panelsearch import onnx_encode
from panelsearch.onnx_encode import OnnxEncoder

TEXTS = [
    "",
    "EBE",
    "how do we pay patients who help redesign services",
    "Co-production — ‘experts by experience’ in QI, café naïve 😀",
    "a long answer " * 300,  # far past the model's 256 tokens: truncated the same way
    "we have no staff time for co-production. Can it still work? What did the panel say?",
] * 3  # more than one batch of varied lengths, so the length ordering is exercised


def test_the_shipped_model_runs_on_onnxruntime(embedder):
    assert embedder.engine == "onnxruntime"


def test_onnx_vectors_equal_torch_vectors(embedder):
    fast = embedder.encode(TEXTS, batch_size=4)
    slow = embedder._torch_encode(TEXTS, batch_size=4)
    assert fast.shape == (len(TEXTS), embedder.dim)
    assert np.abs(fast - slow).max() < 1e-5
    assert np.allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)


def test_one_text_alone_or_in_a_batch_gets_the_same_vector(embedder):
    alone = embedder.encode([TEXTS[2]])
    batched = embedder.encode(TEXTS)[2:3]
    assert np.abs(alone - batched).max() < 1e-5


def test_no_texts_give_an_empty_array(embedder):
    assert embedder.encode([]).shape == (0, embedder.dim)


def test_switched_off_by_the_environment(embedder, monkeypatch):
    monkeypatch.setenv("PANELSEARCH_ONNX", "0")
    assert OnnxEncoder.for_model(embedder.model, embedder._torch_encode) is None


def test_a_different_pipeline_is_not_supported(embedder):
    assert onnx_encode.supported(embedder.model)
    assert not onnx_encode.supported(list(embedder.model)[:1])  # no pooling: not a mean-pooled model


def test_vectors_that_disagree_with_torch_are_refused(embedder, tmp_path, monkeypatch):
    monkeypatch.setenv("PANELSEARCH_CACHE", str(tmp_path))
    def shifted(texts, batch_size=32):
        return embedder._torch_encode(texts, batch_size) + 0.01
    assert OnnxEncoder.for_model(embedder.model, shifted) is None
    assert not list(tmp_path.glob("*.onnx"))  # the refused export is not kept


def test_an_unwritable_cache_falls_back_to_torch(embedder, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("PANELSEARCH_CACHE", str(blocker))
    assert OnnxEncoder.for_model(embedder.model, embedder._torch_encode) is None


@pytest.mark.parametrize("damage", [b"", b"not an onnx model", None])
def test_a_damaged_cached_export_is_made_again(embedder, tmp_path, monkeypatch, damage):
    monkeypatch.setenv("PANELSEARCH_CACHE", str(tmp_path))
    path = onnx_encode.export(embedder.model)
    if damage is None:  # cut in half, as by a full disk
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    else:
        path.write_bytes(damage)
    encoder = OnnxEncoder.for_model(embedder.model, embedder._torch_encode)
    assert encoder is not None
    assert path.stat().st_size > 1_000_000
    assert np.abs(encoder.encode(TEXTS[:3]) - embedder._torch_encode(TEXTS[:3])).max() < 1e-5
