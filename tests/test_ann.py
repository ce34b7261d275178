"""ANN: the exact/HNSW switch, recall on vectors shaped like real embeddings, and what survives a round trip."""
import faiss
import numpy as np
import pytest

from panelsearch import ann
from panelsearch.corpus import load_corpus
from panelsearch.scale import VectorSource, query_texts, real_texts


# Tests that use these two fixtures are marked slow: embedding ~200 texts with the real model and
# building HNSW graphs of 3000 vectors takes several seconds on two cores.
@pytest.fixture(scope="module")
def real_embeddings(seed_path, embedder):
    """Real passage embeddings from the seed: the corpus's passages plus recombined sentences."""
    docs = load_corpus(seed_path.parent)
    return embedder.encode(real_texts(docs, 150)), embedder.encode(query_texts(docs)[:60])


@pytest.fixture(scope="module")
def library(real_embeddings):
    return VectorSource.from_embeddings(real_embeddings[0]).sample(3000, np.random.default_rng(0))


@pytest.mark.slow
def test_below_threshold_is_exact(library):
    index = ann.make_faiss(library[:100], exact_up_to=100)
    assert isinstance(index, faiss.IndexFlatIP)
    assert ann.is_exact(index) and ann.describe(index) == "exact IndexFlatIP"


@pytest.mark.slow
def test_above_threshold_is_hnsw_with_exact_rerank(library):
    index = ann.make_faiss(library[:101], exact_up_to=100)
    assert isinstance(index, faiss.IndexRefineFlat)
    graph = faiss.downcast_index(index.base_index)
    assert isinstance(graph, faiss.IndexHNSWSQ) and graph.metric_type == faiss.METRIC_INNER_PRODUCT
    assert not ann.is_exact(index) and index.ntotal == 101
    assert graph.hnsw.efSearch == ann.HNSW.ef_search and graph.hnsw.efConstruction == ann.HNSW.ef_construction
    assert index.k_factor == ann.HNSW.k_factor
    assert ann.describe(index) == (f"HNSW{ann.HNSW.m}_SQ8+exact rerank efConstruction={ann.HNSW.ef_construction} "
                                   f"efSearch={ann.HNSW.ef_search} k_factor={ann.HNSW.k_factor}")


def test_default_threshold_keeps_the_seed_corpus_exact():
    assert isinstance(ann.choose_index(10_000, 384), faiss.IndexFlatIP)
    assert not ann.is_exact(ann.choose_index(ann.EXACT_UP_TO + 1, 384))


@pytest.mark.slow
def test_hnsw_recall_at_10_against_exact(library, real_embeddings):
    index = ann.make_faiss(library, exact_up_to=1000)
    for queries in (real_embeddings[1], VectorSource.from_embeddings(real_embeddings[0]).sample(
            100, np.random.default_rng(1))):
        _, truth = faiss.knn(queries, library, 10, metric=faiss.METRIC_INNER_PRODUCT)
        _, found = index.search(queries, 10)
        recall = np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth)])
        assert recall >= 0.98


@pytest.mark.slow
def test_hnsw_scores_are_exact_cosines(library):
    index = ann.make_faiss(library, exact_up_to=1000)
    scores, ids = index.search(library[:5], 3)
    assert np.allclose(scores, np.einsum("qd,qkd->qk", library[:5], library[ids]), atol=1e-5)


@pytest.mark.slow
def test_hnsw_reconstruct_n_and_stored_vectors_give_the_vectors_back(library):
    index = ann.make_faiss(library, exact_up_to=1000)
    assert np.array_equal(index.reconstruct_n(0, index.ntotal), library)
    view = ann.stored_vectors(index)
    assert view.shape == library.shape and np.array_equal(view, library) and not view.flags.writeable


def test_stored_vectors_of_an_empty_index():
    assert ann.stored_vectors(ann.make_faiss(np.zeros((0, 8), np.float32))).shape == (0, 8)


@pytest.mark.slow
def test_search_params_survive_write_and_read(tmp_path, library):
    params = ann.HnswParams(m=16, ef_construction=40, ef_search=77, k_factor=3)
    faiss.write_index(ann.make_faiss(library[:500], exact_up_to=100, params=params), str(tmp_path / "x.faiss"))
    loaded = faiss.read_index(str(tmp_path / "x.faiss"))
    graph = faiss.downcast_index(loaded.base_index)
    assert graph.hnsw.efSearch == 77 and loaded.k_factor == 3
    ann.set_search_params(loaded)
    assert graph.hnsw.efSearch == ann.HNSW.ef_search and loaded.k_factor == ann.HNSW.k_factor
    assert np.array_equal(loaded.reconstruct_n(0, 500), library[:500])


@pytest.mark.slow
def test_set_search_params_leaves_a_flat_index_alone(library):
    index = ann.make_faiss(library[:10])
    assert ann.set_search_params(index) is index


@pytest.mark.slow
def test_index_bytes_counts_vectors_and_graph(library):
    flat = ann.make_faiss(library)
    hnsw = ann.make_faiss(library, exact_up_to=1000)
    assert ann.index_bytes(flat) == library.nbytes
    codes = library.shape[0] * library.shape[1]  # one byte a dimension
    assert ann.index_bytes(hnsw) > library.nbytes + codes + library.shape[0] * 2 * ann.HNSW.m * 4


@pytest.mark.parametrize("shape", [(384,), (2, 3, 4)])
def test_make_faiss_rejects_vectors_that_are_not_a_matrix(shape):
    with pytest.raises(ValueError, match="shape"):
        ann.make_faiss(np.zeros(shape, np.float32))


def test_faiss_threads_sets_and_restores_the_thread_count():
    before = faiss.omp_get_max_threads()
    with ann.faiss_threads(1):
        assert faiss.omp_get_max_threads() == 1
    assert faiss.omp_get_max_threads() == before


@pytest.mark.slow
def test_training_sample_draws_rows_from_the_whole_library(library):
    sample = ann.training_sample(library, size=500)
    assert sample.shape == (500, library.shape[1])
    rows = [int(np.flatnonzero((library == row).all(axis=1))[0]) for row in sample[:: 50]]
    assert max(rows) > 1500  # not just the first rows
    assert np.array_equal(ann.training_sample(library, size=500), sample)
    assert ann.training_sample(library[:10], size=500) is not None and len(ann.training_sample(library[:10], 500)) == 10
