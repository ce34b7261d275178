"""Clustering for topics.py: FAISS's k-means (a maintained implementation, already loaded for the
index, so a build imports nothing more) and the silhouette score that chooses the number of topics.

scikit-learn's KMeans gives the same clusters on the seed (tests/test_topics.py) but costs about
1.3 s of imports at every fresh build, half again the build of the seed (docs/topics.md).
"""
from __future__ import annotations

import faiss
import numpy as np

MAX_ITER = 300


def restarts(n: int) -> int:
    """k-means restarts for n points: many where they are cheap (1,000 for the seed's 20 answers),
    down to 10 from 2,000 points on. On the seed, 200 restarts or fewer sometimes stop in a worse
    grouping, depending on the seed; 1,000 reach the same one from every seed tried."""
    return int(min(1000, max(10, 20_000 // max(n, 1))))


def kmeans(x: np.ndarray, k: int, n_restarts: int, seed: int) -> tuple[np.ndarray, float]:
    """(labels, sum of squared distances) of the best of ``n_restarts`` k-means runs over the rows
    of ``x``, by FAISS on one thread (so the same inputs give the same labels)."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    if not 1 <= k <= len(x):
        raise ValueError(f"k={k} for {len(x)} points")
    km = faiss.Kmeans(x.shape[1], k, niter=MAX_ITER, nredo=n_restarts, seed=seed, min_points_per_centroid=1,
                      max_points_per_centroid=max(256, len(x)), verbose=False)
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        km.train(x)
        distances, labels = km.index.search(x, 1)
    finally:
        faiss.omp_set_num_threads(threads)
    return labels.ravel().astype(np.int64), float(distances.sum())


def silhouette(distances: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette coefficient for a precomputed distance matrix, as
    ``sklearn.metrics.silhouette_score(distances, labels, metric="precomputed")``."""
    _, labels = np.unique(labels, return_inverse=True)
    n = len(labels)
    freqs = np.bincount(labels)
    if not 2 <= len(freqs) <= n - 1:
        raise ValueError(f"silhouette needs 2 to {n - 1} clusters, got {len(freqs)}")
    per_cluster = np.zeros((n, len(freqs)))
    for i in range(n):
        per_cluster[i] += np.bincount(labels, weights=distances[i], minlength=len(freqs))
    own = (np.arange(n), labels)
    intra = per_cluster[own]
    per_cluster[own] = np.inf
    per_cluster /= freqs
    inter = per_cluster.min(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        intra /= (freqs - 1).take(labels, mode="clip")
        scores = (inter - intra) / np.maximum(intra, inter)
    return float(np.mean(np.nan_to_num(scores)))
