"""Scale benchmark: build and search figures for libraries of 10k to 1M passages on this machine.

Only a few thousand passages are embedded for real (enough to measure the embedding rate); the
large libraries are made of vectors derived from those real embeddings, so that the approximate
index meets the geometry it would meet in production rather than uniform noise:

    v = normalise(w * e_i + (1 - w) * e_j + NOISE * g)

where e_i, e_j are two real passage embeddings, w ~ U(0, 1), and g is Gaussian noise with the
real embeddings' own covariance (it moves a vector along directions real text moves in).
Queries are real text (eight-word fragments of the panel's sentences), each encoded inside the
timed search, as a user's query would be.
"""
from __future__ import annotations

import os
import platform
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import faiss
import numpy as np

from . import ann
from .config import CORPUS_DIR
from .corpus import load_corpus
from .errors import UsageError
from .index import passage_embed_text
from .passages import document_passages, split_sentences
from .worker import proc_status_bytes

DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
DEFAULT_TIME_CAP_S = 420.0  # per size, for generating + indexing its vectors
EMBED_TEXTS = 1_500  # real passages embedded to measure the rate and seed the synthetic vectors
NOISE = 1.0  # noise as large as the real embeddings' own spread: the harder end for HNSW
RECALL_K = 10
QUERIES = 200  # real-text queries timed and scored per size
EXACT_TIMING_QUERIES = 20  # an exact scan at 1M takes ~0.1 s; 20 of them give a fair median
SEARCH_THREADS = 1  # faiss threads while timing single queries: see ann.faiss_threads
BATCH = 50_000  # vectors generated and added at a time; bounds the generator's extra memory


@dataclass(frozen=True)
class ScaleRow:
    """Figures for one library size. Times in seconds or milliseconds, memory in bytes."""

    size: int  # passages asked for
    built: int  # passages indexed: fewer than size if the time cap stopped the build
    capped: bool
    index: str  # ann.describe(): "exact IndexFlatIP" or "HNSW32_SQ8+exact rerank ..."
    index_build_s: float  # training (HNSW's 8-bit ranges) and adding the vectors; generating them not counted
    index_rate: float  # vectors added per second
    projected_build_s: float  # embedding `built` passages at the measured rate + index_build_s
    index_bytes: int  # float32 vectors (+ 8-bit codes and graph for HNSW) held by the index
    rss_delta_bytes: int  # growth of this process's resident memory across the build
    search_p50_ms: float  # one query: encode its text + search the index for the top 10
    search_p95_ms: float
    index_p50_ms: float  # the index search alone
    index_p95_ms: float
    exact_p50_ms: float  # numpy scan of the same vectors + top-k (what search.py does), for comparison
    recall_at_10: float  # real-text queries, against exact search
    recall_at_10_synthetic: float  # held-out vectors from the same generator as the library
    top1_cosine: float  # mean best exact cosine of the real-text queries: how close neighbours are


def real_texts(docs, count: int = EMBED_TEXTS, seed: int = 0) -> list[str]:
    """``count`` passage-like real texts (fewer only if the corpus cannot make that many).

    First the corpus's own passages, embedded as the index embeds them (question in front); then
    an audience question followed by one to four of the panel's sentences, drawn at random:
    real words, real sentence lengths, new combinations.
    """
    passages = [p for doc in docs for p in document_passages(doc)]
    texts = list(dict.fromkeys(passage_embed_text(p) for p in passages))[:count]
    questions = sorted({p.question for p in passages})
    sentences = [s for p in passages if p.kind == "chunk" for s in split_sentences(p.text)]
    if not questions or not sentences:
        return texts
    rng = random.Random(seed)
    seen = set(texts)
    for _ in range(count * 20):  # bounded: a tiny corpus may not have `count` combinations
        if len(texts) >= count:
            break
        text = rng.choice(questions) + "\n" + " ".join(rng.sample(sentences, min(len(sentences), rng.randint(1, 4))))
        if text not in seen:
            seen.add(text)
            texts.append(text)
    return texts


def query_texts(docs, words: int = 8) -> list[str]:
    """Short real queries: the first and the last ``words`` words of each of the panel's sentences.

    The audience questions are left out on purpose: every text in ``real_texts`` starts with one,
    so their neighbours would be unrealistically close and their recall trivially perfect.
    Fragments sit as far from the library as the project's own dev queries do (docs/scaling.md).
    """
    passages = [p for doc in docs for p in document_passages(doc)]
    sentences = [s.split() for p in passages if p.kind == "chunk" for s in split_sentences(p.text)]
    queries = [" ".join(part) for s in sentences for part in (s[:words], s[-words:])]
    return list(dict.fromkeys(q for q in queries if q.strip()))


@dataclass(frozen=True)
class VectorSource:
    """Draws normalised vectors like ``base``: mixtures of two base rows plus covariance-shaped noise."""

    base: np.ndarray  # (m, dim) real embeddings
    noise_axes: np.ndarray  # (r, dim) principal axes of base, each scaled by its standard deviation
    noise: float = NOISE

    @classmethod
    def from_embeddings(cls, base: np.ndarray, noise: float = NOISE) -> "VectorSource":
        base = np.ascontiguousarray(base, dtype=np.float32)
        if base.ndim != 2 or base.shape[0] < 2:
            raise ValueError(f"need at least two real embeddings of shape (m, dim), got {base.shape}")
        _, s, vt = np.linalg.svd(base - base.mean(axis=0), full_matrices=False)
        axes = (s[:, None] / np.sqrt(base.shape[0])) * vt
        return cls(base, np.ascontiguousarray(axes, dtype=np.float32), noise)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """(n, dim) float32 unit vectors."""
        i = rng.integers(0, len(self.base), n)
        j = rng.integers(0, len(self.base), n)
        w = rng.random((n, 1), dtype=np.float32)
        x = w * self.base[i] + (1 - w) * self.base[j]
        x += self.noise * (rng.standard_normal((n, len(self.noise_axes)), dtype=np.float32) @ self.noise_axes)
        faiss.normalize_L2(x)
        return x


def rss_bytes() -> int:
    """This process's resident memory (0 where there is no /proc)."""
    return proc_status_bytes("VmRSS") or 0


def percentile_ms(seconds: list[float], q: float) -> float:
    return round(float(np.percentile(seconds, q)) * 1000, 2) if seconds else 0.0


def recall_at_k(found: np.ndarray, truth: np.ndarray) -> float:
    """Mean share of each row of ``truth`` (exact top-k ids) that ``found`` also returned."""
    k = truth.shape[1]
    return round(float(np.mean([len(set(f[f >= 0]) & set(t)) / k for f, t in zip(found, truth)])), 4)


def build_library(size: int, source: VectorSource, exact_up_to: int, time_cap_s: float,
                  seed: int = 0, batch: int = BATCH) -> tuple[faiss.Index, float, bool]:
    """Generate ``size`` vectors batch by batch into the index ``ann`` chooses for that size.

    Returns (index, seconds spent training and adding, capped). Once generating and adding have taken
    ``time_cap_s`` it stops after the current batch, with ``capped`` set; at least one batch is
    always added, so there is something to search.
    """
    rng = np.random.default_rng(seed)
    index = ann.choose_index(size, source.base.shape[1], exact_up_to)
    build_s, started = 0.0, time.perf_counter()
    while index.ntotal < size:
        vectors = source.sample(min(batch, size - index.ntotal), rng)
        t = time.perf_counter()
        if not index.is_trained:
            index.train(vectors)  # rows are drawn independently, so the first batch is a fair sample
        index.add(vectors)
        build_s += time.perf_counter() - t
        if index.ntotal < size and time.perf_counter() - started > time_cap_s:
            return index, build_s, True
    return index, build_s, False


def measure_size(size: int, source: VectorSource, embedder, queries: list[str], synthetic_queries: np.ndarray,
                 embed_rate: float, exact_up_to: int, time_cap_s: float, seed: int = 0) -> ScaleRow:
    """Build one library and time searches on it."""
    rss_before = rss_bytes()
    index, build_s, capped = build_library(size, source, exact_up_to, time_cap_s, seed)
    rss_delta = rss_bytes() - rss_before
    n = index.ntotal
    k = min(RECALL_K, n)
    vectors = ann.stored_vectors(index)

    total, in_index, found, query_vectors, exact_s = [], [], [], [], []
    with ann.faiss_threads(SEARCH_THREADS):
        for text in queries:
            t0 = time.perf_counter()
            qv = embedder.encode([text])
            t1 = time.perf_counter()
            _, ids = index.search(qv, k)
            t2 = time.perf_counter()
            total.append(t2 - t0)
            in_index.append(t2 - t1)
            found.append(ids[0])
            query_vectors.append(qv[0])
        query_vectors = np.asarray(query_vectors, dtype=np.float32)
        for qv in query_vectors[:EXACT_TIMING_QUERIES]:
            t = time.perf_counter()
            scores = vectors @ qv  # how search.py scores every row today
            np.argpartition(-scores, k - 1)[:k]
            exact_s.append(time.perf_counter() - t)
    truth_scores, truth = faiss.knn(query_vectors, vectors, k, metric=faiss.METRIC_INNER_PRODUCT)
    _, synthetic_truth = faiss.knn(synthetic_queries, vectors, k, metric=faiss.METRIC_INNER_PRODUCT)
    _, synthetic_found = index.search(synthetic_queries, k)

    return ScaleRow(
        size=size, built=n, capped=capped, index=ann.describe(index),
        index_build_s=round(build_s, 2), index_rate=round(n / build_s, 1) if build_s else 0.0,
        projected_build_s=round(n / embed_rate + build_s, 1) if embed_rate else 0.0,
        index_bytes=ann.index_bytes(index), rss_delta_bytes=rss_delta,
        search_p50_ms=percentile_ms(total, 50), search_p95_ms=percentile_ms(total, 95),
        index_p50_ms=percentile_ms(in_index, 50), index_p95_ms=percentile_ms(in_index, 95),
        exact_p50_ms=percentile_ms(exact_s, 50),
        recall_at_10=recall_at_k(np.asarray(found), truth),
        recall_at_10_synthetic=recall_at_k(synthetic_found, synthetic_truth),
        top1_cosine=round(float(truth_scores[:, 0].mean()), 3),
    )


def run_scale(sizes=DEFAULT_SIZES, time_cap_s: float = DEFAULT_TIME_CAP_S, out: Callable[[str], None] = print, *,
              corpus_dir: Path | None = None, embedder=None, embed_texts: int = EMBED_TEXTS, queries: int = QUERIES,
              exact_up_to: int = ann.EXACT_UP_TO, seed: int = 0) -> dict:
    """Run the scale benchmark, print a table through ``out``, and return the figures.

    Args:
        sizes: library sizes in passages.
        time_cap_s: per size, the most seconds spent generating and indexing vectors; a size that
            hits it is measured at the size reached and marked capped.
        out: where lines of the report go (``print`` by default).
        corpus_dir: the real passages to embed (default: ./corpus; the CLI passes its --corpus).
        embedder: a loaded embedder (default: the bundled model, loaded here).
        embed_texts: how many real passage texts to embed for the rate and the synthetic vectors.
        queries: at most this many real-text queries per size.
        exact_up_to: the exact/approximate threshold passed to ``ann.choose_index``.

    Raises:
        UsageError (a ValueError): empty or non-positive sizes, a non-positive time cap.

    Returns:
        {"machine", "embedding", "threshold", "hnsw", "noise", "queries", "time_cap_s", "rows",
        "seconds"}; "rows" is a list of ``ScaleRow`` dicts, one per size.
    """
    sizes = [int(s) for s in sizes]
    if not sizes or min(sizes) < 1:
        raise UsageError(f"sizes must be whole numbers of at least 1, not {sizes}")
    if time_cap_s <= 0:
        raise UsageError(f"the time cap must be a positive number of seconds, not {time_cap_s}")
    if queries < 1:
        raise UsageError(f"queries must be at least 1, not {queries}")
    started = time.perf_counter()
    if embedder is None:
        from .embed import load_embedder

        embedder = load_embedder()
    docs = load_corpus(Path(corpus_dir) if corpus_dir else CORPUS_DIR)
    texts = real_texts(docs, embed_texts, seed)
    query_list = query_texts(docs)[:queries]

    embedder.encode(texts[:8])  # warm up: the first call pays for lazy initialisation
    t = time.perf_counter()
    base = embedder.encode(texts)
    embed_s = time.perf_counter() - t
    embed_rate = len(texts) / embed_s
    source = VectorSource.from_embeddings(base)
    synthetic_queries = source.sample(len(query_list), np.random.default_rng(seed + 1))

    machine = {"cpus": os.cpu_count(), "faiss_threads": faiss.omp_get_max_threads(),
               "faiss": faiss.__version__, "python": platform.python_version(), "machine": platform.machine(),
               "load_before": _load()}
    out(f"panelsearch scale benchmark: {machine['cpus']} CPUs, faiss {machine['faiss']} "
        f"({machine['faiss_threads']} threads), model {embedder.model_id} ({embedder.dim}-dim, "
        f"{getattr(embedder, 'engine', 'torch')}), "
        f"load average {machine['load_before']}")
    out(f"embedding: {len(texts)} real passage texts in {embed_s:.1f} s = {embed_rate:.1f} passages/s "
        f"(mean {np.mean([len(x.split()) for x in texts]):.0f} words)")
    out(f"library vectors: mixtures of 2 of those {len(texts)} embeddings + covariance-shaped noise "
        f"(scale {NOISE}), normalised; queries: {len(query_list)} real texts, encoded inside the timing")
    approximate = ann.describe(ann.choose_index(exact_up_to + 1, 1, exact_up_to))
    out(f"index: exact up to {exact_up_to:,} passages, else {approximate}")
    out(f"time cap: {time_cap_s:.0f} s per size for generating + indexing; faiss builds with "
        f"{faiss.omp_get_max_threads()} threads, searches one query at a time with {SEARCH_THREADS}")
    out("")

    rows: list[ScaleRow] = []
    header = (f"{'passages':>10} {'index':<6} {'build':>8} {'build/s':>10} {'embed+build':>11} {'index MB':>8} "
              f"{'RSS+ MB':>8} {'search p50/p95 ms':>17} {'index p50':>9} {'exact p50':>9} "
              f"{'recall@10':>9} {'(synth)':>7}")
    out(header)
    out("-" * len(header))
    for size in sizes:
        row = measure_size(size, source, embedder, query_list, synthetic_queries, embed_rate,
                           exact_up_to, time_cap_s, seed)
        rows.append(row)
        kind = "exact" if row.index.startswith("exact") else "HNSW"
        shown = f"{row.built:,}" + ("*" if row.capped else "")
        out(f"{shown:>10} {kind:<6} {row.index_build_s:>7.1f}s {row.index_rate:>10,.0f} "
            f"{_duration(row.projected_build_s):>11} {row.index_bytes / 2**20:>8.0f} "
            f"{row.rss_delta_bytes / 2**20:>8.0f} "
            f"{row.search_p50_ms:>8.1f} /{row.search_p95_ms:>7.1f} {row.index_p50_ms:>9.2f} {row.exact_p50_ms:>9.1f} "
            f"{row.recall_at_10:>9.3f} {row.recall_at_10_synthetic:>7.3f}")
    out("")
    for row in rows:
        if row.capped:
            out(f"* capped by time: built {row.built:,} of {row.size:,} passages in {time_cap_s:.0f} s "
                f"(raise --time-cap to build all)")
    out("build: training + adding the vectors; "
        "embed+build: embedding that many passages at the measured rate, plus build.")
    out("search: encode the query + index search for the top 10; "
        "index: the search alone; exact: a numpy scan of all rows.")
    out("recall@10: against the exact top 10, for the real-text queries and (synth) for held-out synthetic vectors.")
    out("times are wall clock, medians and 95th percentiles; other work on this shared machine inflates them.")
    machine["load_after"] = _load()
    seconds = round(time.perf_counter() - started, 1)
    out(f"total {seconds:.0f} s; load average now {machine['load_after']}")
    return {
        "machine": machine,
        "embedding": {"model": embedder.model_id, "dim": int(embedder.dim), "engine": getattr(embedder, "engine", "torch"), "texts": len(texts),
                      "seconds": round(embed_s, 2), "passages_per_s": round(embed_rate, 1)},
        "threshold": exact_up_to,
        "hnsw": asdict(ann.HNSW),
        "noise": NOISE,
        "queries": len(query_list),
        "time_cap_s": time_cap_s,
        "rows": [asdict(r) for r in rows],
        "seconds": seconds,
    }


def _load() -> str:
    """The 1, 5 and 15 minute load averages: other work on the machine inflates every timing."""
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
