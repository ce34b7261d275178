"""The same model, served without torch: its transformer exported to ONNX and run by onnxruntime.

A short query costs ~4 ms this way against ~11 ms through torch on a 2-core CPU, and a cold start
skips importing torch and sentence-transformers (~5 s). The vectors agree with torch's to ~1e-7.

The export is made locally from the loaded weights (nothing is downloaded), once per model
folder, into a cache entry: `model.onnx`, `settings.json`, and `probes.npy`, the vectors torch
gives for a few probe texts. Every load re-encodes the probes and compares them with those. A
missing package, an unsupported pipeline, a damaged entry or any difference means `None`, and the
caller uses torch (and makes the entry again). `load_embedder(..., onnx=False)` (the entry points:
`PANELSEARCH_ONNX=0`) turns the fast path off; the cache folder is an argument (`PANELSEARCH_CACHE`).
"""
from __future__ import annotations

import hashlib
import tempfile
import json
import os
import re
import shutil
import threading
import warnings
from pathlib import Path

import numpy as np

from . import text
from .config import CACHE_DIR

PROBES = ["how do we pay patients who help redesign services", "EBE",
          "Café NAÏVE Ünïcödé résumé — 中文 😀 \x07 \u200b",  # accents, case, CJK, emoji, control characters
          "co-production with experts by experience in quality improvement " * 40]  # past 256 tokens
TOLERANCE = 1e-4


def supported(model) -> bool:
    """True for a plain Transformer -> mean Pooling (-> Normalize) sentence-transformers pipeline."""
    names = [type(module).__name__ for module in model]
    if names not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
        return False
    pooling = model[1].get_config_dict()
    return pooling.get("pooling_mode", "mean" if pooling.get("pooling_mode_mean_tokens") else None) == "mean"


def _entry_prefix(location: str | Path) -> str:
    """``<folder name>-<hash of its full path>-``: the entries of one model folder, and no other's.

    Two folders both named ``model`` would otherwise replace each other's entry at every switch."""
    folder = Path(location).resolve()
    return f"{folder.name}-{hashlib.blake2b(str(folder).encode(), digest_size=4).hexdigest()}-"


def entry_for(location: str | Path, cache: Path = CACHE_DIR) -> Path:
    """The cache entry of a model folder, named by its path and a hash of every file in it (~0.2 s here)."""
    digest = hashlib.blake2b(digest_size=8)
    folder = Path(location)
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0")
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 22), b""):
                digest.update(block)
    return Path(cache) / f"{_entry_prefix(folder)}{digest.hexdigest()}"


def _older_entries(entry: Path, location: str | Path) -> list[Path]:
    """Other entries of the same model folder (made before its files changed): exact names only, so
    a model folder whose name merely starts with this one's keeps its entry."""
    ours = re.compile(re.escape(_entry_prefix(location)) + "[0-9a-f]{16}")
    legacy = re.compile(re.escape(Path(location).resolve().name) + "-[0-9a-f]{16}")  # before paths were in names
    return [p for p in entry.parent.iterdir() if p != entry and (ours.fullmatch(p.name) or legacy.fullmatch(p.name))]


class OnnxEmbedder:
    """encode / token_count / known_words like `embed.SentenceEmbedder`, from a cache entry."""

    engine = "onnxruntime"

    def __init__(self, model_id: str, location: str | Path, entry: Path):
        from tokenizers import Tokenizer

        settings = json.loads((entry / "settings.json").read_text())
        self.model_id, self.dim, self.max_tokens = model_id, int(settings["dim"]), int(settings["max_tokens"])
        self.session = load_session(entry / "model.onnx")
        self.inputs = [i.name for i in self.session.get_inputs()]
        # The tokenizer as transformers configured it (saved by export); its own truncation and
        # padding settings give way to the model's.
        self.tokenizer = Tokenizer.from_file(str(entry / "tokenizer.json"))
        self.counter = Tokenizer.from_file(str(entry / "tokenizer.json"))
        self.counter.no_truncation()
        self.counter.no_padding()
        self.tokenizer.enable_truncation(self.max_tokens)
        self.tokenizer.enable_padding(pad_id=int(settings["pad_id"]), pad_token=settings["pad_token"])
        self._lock = threading.Lock()

    @classmethod
    def load(cls, model_id: str, location: str, cache: Path = CACHE_DIR) -> "OnnxEmbedder | None":
        """The cached export (in the folder `cache`) of the model in `location`, if there is one that
        still gives torch's vectors."""
        if not (Path(location) / "tokenizer.json").is_file():
            return None
        try:
            entry = entry_for(location, cache)
            embedder = cls(model_id, location, entry)
            if np.abs(embedder.encode(PROBES) - np.load(entry / "probes.npy")).max() <= TOLERANCE:
                return embedder
        except Exception:  # noqa: BLE001 - no entry or a damaged one: the caller exports afresh
            pass
        return None

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Mean-pooled, normalised vectors; texts are batched by length, as sentence-transformers does."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, not {batch_size}")
        texts = list(texts)
        order = np.argsort([-len(t) for t in texts], kind="stable")
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        with self._lock:
            for start in range(0, len(texts), batch_size):
                rows = order[start:start + batch_size]
                encodings = self.tokenizer.encode_batch([texts[i] for i in rows])
                feed = {"input_ids": [e.ids for e in encodings], "attention_mask": [e.attention_mask for e in encodings],
                        "token_type_ids": [e.type_ids for e in encodings]}
                tokens = self.session.run(None, {name: np.asarray(feed[name], dtype=np.int64) for name in self.inputs})[0]
                mask = np.asarray(feed["attention_mask"], dtype=np.float32)[..., None]
                vectors = (tokens * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
                vectors /= np.clip(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12, None)  # as embed.py asks
                out[rows] = vectors
        return out

    def token_count(self, text: str) -> int:
        return len(self.counter.encode(text).ids)

    def known_words(self) -> frozenset[str]:
        """Whole words in the model's vocabulary: real words, never typos to repair."""
        return text.known_words(self.tokenizer.get_vocab())


def _remove_leftovers(entry: Path, older_than_s: float = 3600) -> None:
    """Delete temporary folders of exports that were killed (their process is gone) or are stale."""
    import time

    from .index import process_alive

    for leftover in [*entry.parent.glob(".*.tmp"), *entry.parent.glob(".*.old")]:
        pid = leftover.name.split(".")[-3] if leftover.name.count(".") >= 3 else ""  # .<entry>.<pid>.<random>.tmp
        try:
            dead = not pid.isdigit() or not process_alive(int(pid))
            if dead or time.time() - leftover.stat().st_mtime > older_than_s:
                shutil.rmtree(leftover, ignore_errors=True)
        except OSError:
            pass


def load_session(path: Path):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3  # errors only
    # Idle worker threads sleep instead of spinning: spinning steals the CPU that scoring needs next.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def export(torch_embedder, location: str, cache: Path = CACHE_DIR) -> OnnxEmbedder | None:
    """Make the cache entry for a loaded `SentenceEmbedder` and return it loaded, or None if that fails.

    The entry is written to a temporary folder, checked against torch, then swapped in whole, so a
    concurrent or interrupted export never leaves a half-written entry behind.
    """
    model = torch_embedder.model
    if not supported(model) or not (Path(location) / "tokenizer.json").is_file():
        return None
    tmp = old = None
    try:
        import onnxruntime  # noqa: F401 - fail early, before the slow export, when it is missing
        import torch

        entry = entry_for(location, cache)
        entry.parent.mkdir(parents=True, exist_ok=True)
        _remove_leftovers(entry)
        tmp = Path(tempfile.mkdtemp(prefix=f".{entry.name}.{os.getpid()}.", suffix=".tmp", dir=entry.parent))
        old = tmp.with_suffix(".old")
        transformer = model[0].auto_model.eval()
        sample = model.tokenizer(["a probe sentence", "another"], padding=True, return_tensors="pt")
        names = list(sample.keys())

        class Wrapped(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.inner = transformer

            def forward(self, *inputs):
                return self.inner(**dict(zip(names, inputs))).last_hidden_state

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(Wrapped(), tuple(sample[n] for n in names), str(tmp / "model.onnx"), input_names=names,
                              output_names=["last_hidden_state"], opset_version=17, dynamo=False,
                              dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]})
        np.save(tmp / "probes.npy", torch_embedder.encode(PROBES))
        (tmp / "tokenizer.json").write_text(model.tokenizer.backend_tokenizer.to_str(), encoding="utf-8")
        (tmp / "settings.json").write_text(json.dumps({
            "dim": torch_embedder.dim, "max_tokens": torch_embedder.max_tokens,
            "pad_id": model.tokenizer.pad_token_id, "pad_token": model.tokenizer.pad_token,
            "model_id": torch_embedder.model_id, "torch": torch.__version__}, indent=1))
        check = OnnxEmbedder(torch_embedder.model_id, location, tmp)
        if np.abs(check.encode(PROBES) - np.load(tmp / "probes.npy")).max() > TOLERANCE:
            return None
        if entry.exists():  # damaged: set it aside, then swap
            os.replace(entry, old)
        os.replace(tmp, entry)
        for other in _older_entries(entry, location):  # the same model folder, before an upgrade
            shutil.rmtree(other, ignore_errors=True)
        return OnnxEmbedder.load(torch_embedder.model_id, location, cache)
    except Exception:  # noqa: BLE001 - a failed export only costs speed: torch stays in charge
        return None
    finally:
        for leftover in (tmp, old):
            if leftover is not None:
                shutil.rmtree(leftover, ignore_errors=True)
