"""Index structure: exact inner-product search for a small library, HNSW past a size threshold.

Vectors are normalised, so inner product is cosine. Up to ``EXACT_UP_TO`` passages an exact
``IndexFlatIP`` scans every row: never wrong, built instantly, and cheap while the library is
small. Past that the scan grows linearly (over 100 ms per query at 1M x 384 on two cores) and an
HNSW graph takes over. The graph walks 8-bit scalar-quantised copies of the vectors (a quarter
of the memory traffic of float32, so both building and searching are faster); its best
``k * k_factor`` candidates are then re-scored against the full float32 vectors
(``IndexRefineFlat``). So the scores returned are exact cosines, and ``reconstruct`` /
``reconstruct_n`` return the exact vectors, as for the flat index.

Why not IVF: the library's queries are short and sit off the passages' distribution; their true
neighbours spread over many clusters, so IVF had to scan ~40% of a 1M library to reach recall
0.98. The figures behind every default are in docs/scaling.md (``python -m panelsearch bench --scale``).
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import faiss
import numpy as np

# Above ~50k rows an exact single-query scan costs more than an HNSW search at the efSearch
# below; see docs/scaling.md.
EXACT_UP_TO = 50_000
TRAIN_SAMPLE = 100_000  # rows used to fit the 8-bit quantiser's per-dimension ranges


@dataclass(frozen=True)
class HnswParams:
    """HNSW knobs. m and ef_construction shape the graph at build; the rest are read per query."""

    m: int = 32  # links per node
    ef_construction: int = 40  # faiss's default; doubling it bought no recall here, only build time
    ef_search: int = 1024  # candidates kept while searching: recall@10 0.986 at 1M (0.980 at 768)
    k_factor: int = 2  # the graph's best k * k_factor are re-scored exactly


HNSW = HnswParams()


def choose_index(n: int, dim: int, exact_up_to: int = EXACT_UP_TO, params: HnswParams = HNSW) -> faiss.Index:
    """An empty index suited to holding ``n`` vectors of dimension ``dim``.

    ``IndexFlatIP`` for ``n <= exact_up_to``; else HNSW over 8-bit codes with exact re-scoring
    (``IndexRefineFlat`` around ``IndexHNSWSQ``, inner product). The HNSW index must be trained
    (``index.train(sample)``, which fits the 8-bit ranges) before vectors are added; after that
    the caller may add them in batches.
    """
    if dim < 1:
        raise ValueError(f"vectors need a dimension of at least 1, not {dim}")
    if n <= exact_up_to:
        return faiss.IndexFlatIP(dim)
    index = faiss.index_factory(dim, f"HNSW{params.m}_SQ8,RFlat", faiss.METRIC_INNER_PRODUCT)
    _hnsw(index).efConstruction = params.ef_construction
    return set_search_params(index, params)


def make_faiss(vectors: np.ndarray, exact_up_to: int = EXACT_UP_TO, params: HnswParams = HNSW) -> faiss.Index:
    """Build the index for ``vectors``; row number = id.

    Args:
        vectors: (n, dim) float32, rows of unit length (inner product = cosine).
        exact_up_to: the largest n searched exactly; above it the index is HNSW.
        params: HNSW knobs, used only above the threshold.
    """
    vectors = np.asarray(vectors)
    if vectors.ndim != 2:
        raise ValueError(f"vectors must have shape (n, dim), not {vectors.shape}")
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    index = choose_index(vectors.shape[0], vectors.shape[1], exact_up_to, params)
    if not index.is_trained:
        index.train(training_sample(vectors))
    if vectors.shape[0]:
        index.add(vectors)
    return index


def training_sample(vectors: np.ndarray, size: int = TRAIN_SAMPLE, seed: int = 0) -> np.ndarray:
    """Up to ``size`` rows drawn evenly at random: the first rows of a library all come from one document."""
    if len(vectors) <= size:
        return vectors
    rows = np.sort(np.random.default_rng(seed).choice(len(vectors), size, replace=False))
    return np.ascontiguousarray(vectors[rows])


def set_search_params(index: faiss.Index, params: HnswParams = HNSW) -> faiss.Index:
    """Apply the search-time knobs (efSearch, k_factor) to an index and return it.

    faiss 1.15's ``write_index`` does persist both (tests/test_ann.py checks), but an index
    written by another build or faiss version searches with whatever it carried, so code that
    loads an index should call this after ``faiss.read_index``. A flat index has no knobs.
    """
    hnsw = _hnsw(index)
    if hnsw is not None:
        hnsw.efSearch = params.ef_search
        refine = faiss.downcast_index(index)
        if isinstance(refine, faiss.IndexRefine):
            refine.k_factor = float(params.k_factor)
    return index


def is_exact(index: faiss.Index) -> bool:
    """True if every search scans all rows (no approximation)."""
    return isinstance(faiss.downcast_index(index), faiss.IndexFlat)


def describe(index: faiss.Index) -> str:
    """One line naming the index kind and its knobs, for reports and manifests."""
    hnsw = _hnsw(index)
    if hnsw is None:
        return f"exact {type(faiss.downcast_index(index)).__name__}"
    outer = faiss.downcast_index(index)
    rerank = f" k_factor={outer.k_factor:g}" if isinstance(outer, faiss.IndexRefine) else ""
    return (f"HNSW{hnsw.nb_neighbors(1)}_SQ8+exact rerank efConstruction={hnsw.efConstruction} "
            f"efSearch={hnsw.efSearch}{rerank}")


def stored_vectors(index: faiss.Index) -> np.ndarray:
    """The index's own float32 vectors as a read-only (ntotal, dim) view, without copying.

    Unlike ``reconstruct_n`` (which copies: 1.5 GB at 1M x 384) this shares the index's memory;
    the view is valid while ``index`` is alive. Works for both kinds ``choose_index`` makes.
    """
    flat = _flat(index)
    if flat is None:
        raise TypeError(f"{type(faiss.downcast_index(index)).__name__} keeps no plain float32 vectors")
    n, dim = flat.ntotal, flat.d
    if n == 0:
        return np.zeros((0, dim), dtype=np.float32)
    view = faiss.rev_swig_ptr(flat.get_xb(), n * dim).reshape(n, dim)
    view.flags.writeable = False
    return view


def index_bytes(index: faiss.Index) -> int:
    """Bytes the index holds in memory: float32 vectors, plus 8-bit codes and graph for HNSW."""
    index = faiss.downcast_index(index)
    total = index.ntotal * index.d * 4
    hnsw = _hnsw(index)
    if hnsw is not None:
        codes = faiss.downcast_index(faiss.downcast_index(index.base_index).storage).codes.size()
        total += codes + hnsw.neighbors.size() * 4 + hnsw.levels.size() * 4 + hnsw.offsets.size() * 8
    return total


@contextmanager
def faiss_threads(n: int):
    """Run faiss with ``n`` OpenMP threads inside the block, then restore the previous count.

    One query at a time gains nothing from OpenMP, and on a busy machine its threads spin
    waiting for each other: with 1 thread a 10k exact search took 0.3 ms instead of 2-16 ms,
    and an HNSW search at 100k 3.5 ms instead of 8-12. Serve single queries with 1; build
    with all cores. The setting is process-wide.
    """
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(n)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def _hnsw(index: faiss.Index):
    index = faiss.downcast_index(index)
    if isinstance(index, faiss.IndexRefine):
        index = faiss.downcast_index(index.base_index)
    return index.hnsw if isinstance(index, faiss.IndexHNSW) else None


def _flat(index: faiss.Index):
    index = faiss.downcast_index(index)
    if isinstance(index, faiss.IndexRefine):
        index = faiss.downcast_index(index.refine_index)
    elif isinstance(index, faiss.IndexHNSW):
        index = faiss.downcast_index(index.storage)
    return index if isinstance(index, faiss.IndexFlat) else None
