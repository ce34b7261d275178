"""The onnxruntime engine: the same vectors and tokens as torch, no torch at start-up, and torch
whenever the fast path cannot be had."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from panelsearch import onnx_encode
from panelsearch.config import CACHE_DIR, Settings
from panelsearch.embed import SentenceEmbedder, load_embedder, resolve_model
from tests.conftest import ROOT

TEXTS = [
    "",
    "EBE",
    "how do we pay patients who help redesign services",
    "Co-production — ‘experts by experience’ in QI, café naïve 😀 中文",
    "a long answer " * 300,  # far past the model's 256 tokens: truncated the same way
    "we have no staff time for co-production. Can it still work? What did the panel say?",
] * 3  # more than one batch of varied lengths, so the length ordering is exercised


# Tests that load the torch model, export to ONNX or spawn a fresh interpreter are marked slow
# (seconds to tens of seconds each); the rest run in `make check`.
@pytest.fixture(scope="module")
def torch_embedder():
    return SentenceEmbedder()


@pytest.fixture()
def own_cache(tmp_path):
    return tmp_path / "cache"


def test_the_shipped_model_runs_on_onnxruntime(embedder):
    assert embedder.engine == "onnxruntime"


@pytest.mark.slow
def test_onnx_vectors_equal_torch_vectors(embedder, torch_embedder):
    fast = embedder.encode(TEXTS, batch_size=4)
    slow = torch_embedder.encode(TEXTS, batch_size=4)
    assert fast.shape == (len(TEXTS), embedder.dim) == slow.shape
    assert np.abs(fast - slow).max() < 1e-5
    assert np.allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)


@pytest.mark.slow
def test_tokens_words_and_limits_match_torch(embedder, torch_embedder):
    assert embedder.max_tokens == torch_embedder.max_tokens == 256
    assert [embedder.token_count(t) for t in TEXTS] == [torch_embedder.token_count(t) for t in TEXTS]
    assert embedder.known_words() == torch_embedder.known_words()


@pytest.mark.slow
def test_one_text_alone_or_in_a_batch_gets_the_same_vector(embedder):
    alone = embedder.encode([TEXTS[2]])
    batched = embedder.encode(TEXTS)[2:3]
    assert np.abs(alone - batched).max() < 1e-5


def test_no_texts_give_an_empty_array(embedder):
    assert embedder.encode([]).shape == (0, embedder.dim)


@pytest.mark.slow
def test_a_cached_model_starts_without_torch(embedder):
    code = ("import sys; from panelsearch.embed import load_embedder; e = load_embedder(); "
            "e.encode(['a question']); print(e.engine, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert out.stdout.split() == ["onnxruntime", "False"], out.stderr


@pytest.mark.slow
def test_switched_off_by_the_settings(own_cache):
    assert load_embedder(settings=Settings(cache=own_cache, onnx=False)).engine == "torch"
    assert not own_cache.exists()


def test_the_environment_reaches_the_encoder_only_through_the_entry_points_settings(tmp_path):
    settings = Settings.from_environ({"PANELSEARCH_CACHE": str(tmp_path / "c"), "PANELSEARCH_ONNX": "0"})
    assert (settings.cache, settings.onnx) == (tmp_path / "c", False)
    assert Settings.from_environ({}).onnx and Settings.from_environ({}).cache == CACHE_DIR
    assert onnx_encode.entry_for("/some/model", tmp_path / "c").parent == tmp_path / "c"


@pytest.mark.slow
def test_a_different_pipeline_is_not_supported(torch_embedder):
    assert onnx_encode.supported(torch_embedder.model)
    assert not onnx_encode.supported(list(torch_embedder.model)[:1])  # no pooling: not a mean-pooled model


@pytest.mark.slow
def test_export_makes_an_entry_that_loads(torch_embedder, own_cache):
    location = resolve_model(None)[1]
    assert onnx_encode.OnnxEmbedder.load(torch_embedder.model_id, location, own_cache) is None  # empty cache
    made = onnx_encode.export(torch_embedder, location, own_cache)
    assert made is not None and made.engine == "onnxruntime"
    assert [p.name for p in own_cache.iterdir()] == [onnx_encode.entry_for(location, own_cache).name]  # no temporary left
    assert onnx_encode.OnnxEmbedder.load(torch_embedder.model_id, location, own_cache) is not None


@pytest.mark.slow
def test_vectors_that_disagree_with_torch_are_refused(torch_embedder, own_cache):
    class Shifted:  # a "torch" whose vectors differ from what the export computes
        model, model_id, dim, max_tokens = (torch_embedder.model, torch_embedder.model_id,
                                            torch_embedder.dim, torch_embedder.max_tokens)

        def encode(self, texts, batch_size=32):
            return torch_embedder.encode(texts, batch_size) + 0.01

    assert onnx_encode.export(Shifted(), resolve_model(None)[1], own_cache) is None
    assert not any(own_cache.glob("*/model.onnx"))  # the refused export is not kept


@pytest.mark.slow
def test_an_unwritable_cache_falls_back_to_torch(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    slow = load_embedder(settings=Settings(cache=blocker))
    assert slow.engine == "torch"
    assert slow.encode(["a question"]).shape == (1, slow.dim)


@pytest.mark.slow
@pytest.mark.parametrize("file,damage", [("model.onnx", b""), ("model.onnx", b"not an onnx model"),
                                         ("model.onnx", None), ("probes.npy", b"garbage"),
                                         ("probes.npy", "shift"), ("settings.json", b"{")])
def test_a_damaged_cache_entry_is_made_again(torch_embedder, own_cache, file, damage):
    location = resolve_model(None)[1]
    entry = onnx_encode.export(torch_embedder, location, own_cache) and onnx_encode.entry_for(location, own_cache)
    target = entry / file
    if damage is None:  # cut in half, as by a full disk
        target.write_bytes(target.read_bytes()[: target.stat().st_size // 2])
    elif damage == "shift":  # readable, but no longer what torch gives
        np.save(target, np.load(target) + 0.01)
    else:
        target.write_bytes(damage)
    assert onnx_encode.OnnxEmbedder.load(torch_embedder.model_id, location, own_cache) is None
    remade = load_embedder(settings=Settings(cache=own_cache))
    assert remade.engine == "onnxruntime"
    assert np.abs(remade.encode(TEXTS[:3]) - torch_embedder.encode(TEXTS[:3])).max() < 1e-5


def variant_model(tmp_path, name: str, changes: dict) -> str:
    """A model folder like the shipped one (files linked), with some of its JSON files changed."""
    source = Path(resolve_model(None)[1])
    folder = tmp_path / name
    folder.mkdir()
    for item in source.iterdir():
        (folder / item.name).symlink_to(item)
    for file, change in changes.items():
        data = json.loads((source / file).read_text())
        (folder / file).unlink()
        (folder / file).write_text(json.dumps(change(data)))
    return str(folder)


VARIANTS = {
    # tokenizer_config.json overrides tokenizer.json: accents are kept, not stripped
    "accents kept": {"tokenizer_config.json": lambda d: {**d, "strip_accents": False}},
    # no Normalize module: sentence-transformers still normalises, as embed.py asks it to
    "no normalize module": {"modules.json": lambda d: d[:2]},
}


@pytest.mark.slow
@pytest.mark.parametrize("variant", VARIANTS)
def test_a_variant_model_runs_on_onnxruntime_with_torchs_vectors(variant, tmp_path, own_cache):
    location = variant_model(tmp_path, variant.replace(" ", "-"), VARIANTS[variant])
    slow = SentenceEmbedder(location)
    assert load_embedder(location, Settings(cache=own_cache)).engine == "onnxruntime"  # exported ...
    fast = load_embedder(location, Settings(cache=own_cache))  # ... and loaded from the cache
    assert fast.engine == "onnxruntime"
    texts = ["café naïve résumé", "Ünïcödé CAPITALS", *TEXTS]
    assert np.abs(fast.encode(texts) - slow.encode(texts)).max() < 1e-5
    assert [fast.token_count(t) for t in texts] == [slow.token_count(t) for t in texts]


@pytest.mark.slow
def test_leftovers_of_killed_exports_and_older_entries_are_removed(torch_embedder, own_cache):
    location = resolve_model(None)[1]
    own_cache.mkdir(parents=True)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    killed = own_cache / f".{Path(location).name}-0123456789abcdef.{dead.stdout.strip()}.x1y2.tmp"
    killed.mkdir()
    (killed / "model.onnx").write_bytes(b"half an export")
    older = own_cache / f"{Path(location).name}-0000000000000000"  # the same model folder, before an upgrade
    older.mkdir()
    assert onnx_encode.export(torch_embedder, location, own_cache) is not None
    assert [p.name for p in own_cache.iterdir()] == [onnx_encode.entry_for(location, own_cache).name]


def test_a_batch_size_below_one_is_refused(embedder):
    with pytest.raises(ValueError, match="batch_size"):
        embedder.encode(["a question"], batch_size=0)
