"""A faster encoder for the same model: its transformer exported to ONNX and run by onnxruntime.

One short query costs ~3 ms this way against ~10 ms through torch on a 2-core CPU, and the vectors
agree to ~1e-7. The export is made locally from the loaded weights (nothing is downloaded), once
per model, into a cache folder. Every load checks the ONNX vectors against torch's on probe texts;
any difference, an unsupported pipeline or a missing package means `None`, and the caller keeps
using torch. `PANELSEARCH_ONNX=0` turns the fast path off.
"""
from __future__ import annotations

import hashlib
import os
import warnings
from pathlib import Path

import numpy as np

PROBES = ["how do we pay patients who help redesign services",
          "EBE " + "co-production with experts by experience in quality improvement " * 40]  # past 256 tokens
TOLERANCE = 1e-4


def cache_dir() -> Path:
    configured = os.environ.get("PANELSEARCH_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "panelsearch"


def supported(model) -> bool:
    """True for a plain Transformer -> mean Pooling (-> Normalize) sentence-transformers pipeline."""
    names = [type(module).__name__ for module in model]
    if names not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
        return False
    pooling = model[1].get_config_dict()
    return pooling.get("pooling_mode", "mean" if pooling.get("pooling_mode_mean_tokens") else None) == "mean"


class OnnxEncoder:
    def __init__(self, session, tokenizer, max_tokens: int, normalize: bool):
        self.session, self.tokenizer, self.max_tokens, self.normalize = session, tokenizer, max_tokens, normalize
        self.inputs = [i.name for i in session.get_inputs()]

    @classmethod
    def for_model(cls, model, reference) -> "OnnxEncoder | None":
        """An encoder equivalent to `reference(texts)` (torch), or None when that cannot be had."""
        if os.environ.get("PANELSEARCH_ONNX", "1") == "0" or not supported(model):
            return None
        try:
            import onnxruntime  # noqa: F401
        except ImportError:
            return None
        for _ in range(2):  # a damaged or stale cached export is deleted and made again, once
            path = None
            try:
                path = export(model)
                encoder = cls(load_session(path), model.tokenizer, int(model.max_seq_length), len(model) == 3)
                if np.abs(encoder.encode(PROBES) - reference(PROBES)).max() <= TOLERANCE:
                    return encoder
            except Exception:  # noqa: BLE001 - a failure here only costs speed: torch stays in charge
                pass
            if path is not None:
                path.unlink(missing_ok=True)
        return None

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Mean-pooled (and normalised) vectors; texts are batched by length, as sentence-transformers does."""
        order = np.argsort([-len(t) for t in texts], kind="stable")
        rows = []
        for start in range(0, len(texts), batch_size):
            batch = [texts[i] for i in order[start:start + batch_size]]
            feed = self.tokenizer(batch, padding=True, truncation=True, max_length=self.max_tokens, return_tensors="np")
            tokens = self.session.run(None, {name: feed[name].astype(np.int64) for name in self.inputs})[0]
            mask = feed["attention_mask"][..., None].astype(np.float32)
            vectors = (tokens * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
            if self.normalize:
                vectors /= np.clip(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12, None)
            rows.append(vectors)
        out = np.empty((len(texts), rows[0].shape[1] if rows else 0), dtype=np.float32)
        if rows:
            out[order] = np.concatenate(rows)
        return out


def load_session(path: Path):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3  # errors only
    # Idle worker threads sleep instead of spinning: spinning steals the CPU that scoring needs next.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def export(model) -> Path:
    """The model's transformer as an ONNX file in the cache, exported on first use (atomically)."""
    import torch

    transformer = model[0].auto_model.eval()
    key = hashlib.blake2b(digest_size=8)
    for name, tensor in sorted(transformer.state_dict().items()):  # ~0.1 s for this model
        key.update(name.encode() + tensor.detach().cpu().contiguous().numpy().tobytes())
    key.update(f"{type(transformer).__name__}|{torch.__version__}|{sum(p.numel() for p in transformer.parameters())}".encode())
    path = cache_dir() / f"{type(transformer).__name__.lower()}-{key.hexdigest()}.onnx"
    if path.exists():
        return path

    names = list(model.tokenizer("probe", return_tensors="pt").keys())

    class Wrapped(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = transformer

        def forward(self, *inputs):
            return self.inner(**dict(zip(names, inputs))).last_hidden_state

    sample = model.tokenizer(["a probe sentence", "another"], padding=True, return_tensors="pt")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(Wrapped(), tuple(sample[n] for n in names), str(tmp), input_names=names,
                              output_names=["last_hidden_state"], opset_version=17, dynamo=False,
                              dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]})
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
