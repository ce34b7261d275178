"""Benchmark: warm search latency (p50/p95) beside the bare floor of encode + FAISS in one run."""
from __future__ import annotations

import statistics
import time

import numpy as np


OFF_TOPIC = "how do I repair a bicycle puncture"  # flagged low confidence: the closest questions are fetched too


def percentile(values: list[float], p: float) -> float:
    return float(np.percentile(np.asarray(values), p))


def encodes(searcher, call) -> int:
    """How many times ``call()`` runs the model (each query should be encoded once, whatever uses it)."""
    embedder, count = searcher.embedder, [0]
    real = embedder.encode

    def counted(texts, *args, **kwargs):
        count[0] += 1
        return real(texts, *args, **kwargs)

    embedder.encode = counted  # an instance attribute over the method, removed below
    try:
        call()
    finally:
        del embedder.encode
    return count[0]


def run_bench(searcher, queries: list[str], rounds: int = 5, k: int = 5) -> dict:
    """Time full searches and the bare encode + FAISS floor over the same queries.

    The first search warms caches and is reported apart; the rest are interleaved so that noise
    on this shared machine hits both measurements alike.
    """
    t = time.perf_counter()
    searcher.query(queries[0], k=k)
    first_ms = (time.perf_counter() - t) * 1000
    full, floor, encode, torch_encode, compare = [], [], [], [], []
    embedder = searcher.embedder
    slow_path = None
    if getattr(embedder, "engine", "") == "onnxruntime":  # time torch on the same queries, for the ratio
        from .embed import SentenceEmbedder

        slow_path = SentenceEmbedder(embedder.model_id).encode
    for _ in range(rounds):
        for q in queries:
            t0 = time.perf_counter()
            searcher.query(q, k=k)
            t1 = time.perf_counter()
            vector = searcher.embedder.encode([q])
            t2 = time.perf_counter()
            searcher.data.index.search(vector, k)
            t3 = time.perf_counter()
            searcher.compare(q, k=3)
            t4 = time.perf_counter()
            full.append((t1 - t0) * 1000)
            encode.append((t2 - t1) * 1000)
            floor.append((t3 - t1) * 1000)
            compare.append((t4 - t3) * 1000)
    for q in queries if slow_path else []:  # the same encode through torch: what the fast path buys
        t = time.perf_counter()
        slow_path([q])
        torch_encode.append((time.perf_counter() - t) * 1000)
    return {
        "queries": len(queries), "rounds": rounds, "passages": len(searcher.passages),
        "first_search_ms": round(first_ms, 2),
        "search_p50_ms": round(percentile(full, 50), 2), "search_p95_ms": round(percentile(full, 95), 2),
        "floor_p50_ms": round(percentile(floor, 50), 2), "floor_p95_ms": round(percentile(floor, 95), 2),
        "encode_p50_ms": round(percentile(encode, 50), 2),
        "encoder": getattr(embedder, "engine", "unknown"),
        "encode_torch_p50_ms": round(percentile(torch_encode, 50), 2) if torch_encode else None,
        "overhead_ratio_p50": round(statistics.median(full) / statistics.median(floor), 2),
        "compare_p50_ms": round(percentile(compare, 50), 2), "compare_p95_ms": round(percentile(compare, 95), 2),
        # one query answered, one the panel never covered (it also fetches the closest questions)
        "encodes_per_search": encodes(searcher, lambda: searcher.query(queries[0], k=k)),
        "encodes_per_compare": encodes(searcher, lambda: searcher.compare(queries[0], k=3)),
        "encodes_per_low_confidence_search": encodes(searcher, lambda: searcher.query(OFF_TOPIC, k=k)),
    }


def format_bench(r: dict) -> str:
    return "\n".join([
        f"{r['queries']} queries x {r['rounds']} rounds over {r['passages']} passages (warm; first search "
        f"{r['first_search_ms']} ms)",
        f"{'':<28}{'p50 ms':>9}{'p95 ms':>9}",
        f"{'search (shipped pipeline)':<28}{r['search_p50_ms']:>9.2f}{r['search_p95_ms']:>9.2f}",
        f"{'floor: encode + FAISS':<28}{r['floor_p50_ms']:>9.2f}{r['floor_p95_ms']:>9.2f}",
        f"{'  of which encode':<28}{r['encode_p50_ms']:>9.2f}   ({r['encoder']})",
        *([f"{'  the same encode in torch':<28}{r['encode_torch_p50_ms']:>9.2f}   "
           f"({r['encode_torch_p50_ms'] / r['encode_p50_ms']:.1f}x slower)"] if r["encode_torch_p50_ms"] else []),
        f"{'compare (every speaker)':<28}{r['compare_p50_ms']:>9.2f}{r['compare_p95_ms']:>9.2f}",
        f"search / floor at p50: {r['overhead_ratio_p50']}x",
        f"model runs per query: search {r['encodes_per_search']}, compare {r['encodes_per_compare']}, "
        f"a search the panel did not cover {r['encodes_per_low_confidence_search']}",
    ])
