"""k-means and the silhouette score in numpy: scikit-learn's KMeans (k-means++, Lloyd) and
silhouette_score (precomputed distances), step for step, for topics.py.

Why not scikit-learn itself: importing it takes about a second (scipy.stats, pandas), more than the
whole topics computation on a small library and half of a fresh build of the seed (docs/topics.md,
"Stored with the index"). These functions follow scikit-learn 1.9's code (sklearn/cluster/_kmeans.py,
_k_means_lloyd.pyx, _k_means_common.pyx; sklearn/metrics/cluster/_unsupervised.py) with the same
random number draws, so they give the same clusters for the same random state; tests/test_topics.py
checks that against scikit-learn on the seed and on random data.
"""
from __future__ import annotations

import numpy as np

MAX_ITER = 300
TOL = 1e-4


def kmeans(x: np.ndarray, k: int, n_init: int, random_state: int) -> tuple[np.ndarray, float]:
    """(labels, inertia) of the best of ``n_init`` k-means runs, as
    ``sklearn.cluster.KMeans(k, n_init=n_init, random_state=random_state).fit(x)``."""
    x = np.array(x, dtype=np.float64, order="C", copy=True)
    n = len(x)
    if not 1 <= k <= n:
        raise ValueError(f"k={k} for {n} points")
    rng = np.random.RandomState(random_state)
    tol = float(np.mean(np.var(x, axis=0)) * TOL)
    x -= x.mean(axis=0)  # more accurate distances
    norms = np.einsum("ij,ij->i", x, x)
    best_labels, best_inertia = None, None
    for _ in range(n_init):
        centers = _plusplus(x, k, norms, rng)
        labels, inertia = _lloyd(x, centers, tol)
        if best_inertia is None or (inertia < best_inertia and not _same_clustering(labels, best_labels, k)):
            best_labels, best_inertia = labels, inertia
    return best_labels.astype(np.int64), float(best_inertia)


def _sq_distances(a: np.ndarray, x: np.ndarray, x_norms: np.ndarray) -> np.ndarray:
    """Squared distances from each row of ``a`` to each point (sklearn's _euclidean_distances)."""
    d = -2 * (a @ x.T)
    d += np.einsum("ij,ij->i", a, a)[:, None]
    d += x_norms[None, :]
    return np.maximum(d, 0, out=d)


def _plusplus(x: np.ndarray, k: int, norms: np.ndarray, rng: np.random.RandomState) -> np.ndarray:
    """k-means++ seeding with 2 + log(k) local trials per center, the best kept."""
    n = len(x)
    trials = 2 + int(np.log(k))
    weights = np.ones(n)
    centers = np.empty((k, x.shape[1]))
    first = rng.choice(n, p=weights / weights.sum())
    centers[0] = x[first]
    closest = _sq_distances(x[[first]], x, norms)
    potential = closest @ weights
    for c in range(1, k):
        draws = rng.uniform(size=trials) * potential
        candidates = np.searchsorted(np.cumsum(weights * closest), draws)
        np.clip(candidates, None, closest.size - 1, out=candidates)
        to_candidates = _sq_distances(x[candidates], x, norms)
        np.minimum(closest, to_candidates, out=to_candidates)
        potentials = to_candidates @ weights.reshape(-1, 1)
        best = int(np.argmin(potentials))
        potential, closest = potentials[best], to_candidates[best]
        centers[c] = x[candidates[best]]
    return centers


def _assign(x: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """Each point's nearest center (the first of equals)."""
    d = np.einsum("ij,ij->i", centers, centers)[None, :] + (-2.0 * (x @ centers.T))
    return np.argmin(d, axis=1).astype(np.int32)


def _lloyd(x: np.ndarray, centers: np.ndarray, tol: float) -> tuple[np.ndarray, float]:
    """One k-means run from ``centers``: Lloyd iterations until the labels stop changing or the
    centers move less than ``tol``; an emptied cluster takes the point farthest from its center."""
    k = len(centers)
    labels_old = np.full(len(x), -1, dtype=np.int32)
    strict = False
    for _ in range(MAX_ITER):
        labels = _assign(x, centers)
        new = np.zeros_like(centers)
        np.add.at(new, labels, x)
        weight = np.bincount(labels, minlength=k).astype(np.float64)
        _relocate_empty(x, centers, new, weight, labels)
        _average(new, weight)
        shift = np.sqrt(((new - centers) ** 2).sum(axis=1))
        centers = new
        if np.array_equal(labels, labels_old):
            strict = True
            break
        if (shift ** 2).sum() <= tol:
            break
        labels_old = labels
    if not strict:
        labels = _assign(x, centers)
    inertia = float(((x - centers[labels]) ** 2).sum())
    return labels, inertia


def _average(centers: np.ndarray, weight: np.ndarray) -> None:
    """Sums to means, in place; a cluster still empty sits on the heaviest one (in sklearn's order)."""
    heaviest = int(np.argmax(weight))
    if weight.all():
        centers *= (1.0 / weight)[:, None]
        return
    for j in range(len(centers)):
        if weight[j] > 0:
            centers[j] *= 1.0 / weight[j]
        else:
            centers[j] = centers[heaviest]


def _relocate_empty(x, centers_old, centers_new, weight, labels) -> None:
    """A cluster left empty takes the point farthest from its own center (sklearn's rule)."""
    empty = np.flatnonzero(weight == 0)
    if not len(empty):
        return
    distances = ((x - centers_old[labels]) ** 2).sum(axis=1)
    if np.max(distances) == 0:
        return
    far = np.argpartition(distances, -len(empty))[:-len(empty) - 1:-1]
    for new_id, i in zip(empty, far):
        old_id = labels[i]
        centers_new[old_id] -= x[i]
        centers_new[new_id] = x[i]
        weight[new_id] = 1.0
        weight[old_id] -= 1.0


def _same_clustering(a: np.ndarray, b: np.ndarray, k: int) -> bool:
    """True if two labellings are the same up to renaming the clusters."""
    mapping = np.full(k, -1)
    for i, j in zip(a, b):
        if mapping[i] == -1:
            mapping[i] = j
        elif mapping[i] != j:
            return False
    return True


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
