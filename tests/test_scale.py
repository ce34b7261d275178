"""Scale benchmark: the real-text sources, the synthetic vectors, and a run at tiny sizes (no timing asserted)."""
import numpy as np
import pytest

from panelsearch.corpus import load_corpus
from panelsearch.scale import ScaleRow, VectorSource, build_library, query_texts, real_texts, recall_at_k, run_scale


@pytest.fixture(scope="module")
def docs(seed_path):
    return load_corpus(seed_path.parent)


# Tests that embed texts with the real model or run the benchmark are marked slow (seconds each).
@pytest.fixture(scope="module")
def base(embedder, docs):
    """Real embeddings of 60 passage texts from the seed."""
    return embedder.encode(real_texts(docs, 60))


def test_real_texts_start_with_the_corpus_passages_and_are_distinct(docs):
    from panelsearch.index import passage_embed_text
    from panelsearch.passages import document_passages

    own = [passage_embed_text(p) for d in docs for p in document_passages(d)]
    texts = real_texts(docs, 500)
    assert len(texts) == 500 == len(set(texts))
    assert texts[: len(own)] == own
    assert real_texts(docs, 500) == texts  # deterministic for a seed


def test_query_texts_are_short_fragments_of_real_sentences(docs):
    queries = query_texts(docs)
    assert len(queries) > 100 and len(set(queries)) == len(queries)
    assert all(1 <= len(q.split()) <= 8 for q in queries)
    answers = " ".join(" ".join(a.text.split()) for d in docs for q in d.questions for a in q.answers)
    assert all(q in answers for q in queries)


@pytest.mark.slow
def test_vector_source_gives_unit_vectors_near_the_real_ones(base):
    x = VectorSource.from_embeddings(base).sample(500, np.random.default_rng(0))
    assert x.shape == (500, base.shape[1]) and x.dtype == np.float32
    assert np.allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-5)
    assert (x @ base.T).max(axis=1).mean() > 0.5  # near real text, unlike uniform noise (~0.15)


def test_vector_source_needs_two_embeddings():
    with pytest.raises(ValueError, match="two real embeddings"):
        VectorSource.from_embeddings(np.ones((1, 8), np.float32))


def test_recall_at_k_ignores_missing_ids():
    truth = np.array([[1, 2], [3, 4]])
    assert recall_at_k(np.array([[2, 1], [3, -1]]), truth) == 0.75


@pytest.mark.slow
def test_run_scale_on_tiny_sizes(embedder, seed_path):
    lines = []
    result = run_scale(sizes=[300, 2000], time_cap_s=60, out=lines.append, corpus_dir=seed_path.parent,
                       embedder=embedder, embed_texts=60, queries=20, exact_up_to=1000)
    assert set(result) == {"machine", "embedding", "threshold", "hnsw", "noise", "queries", "time_cap_s",
                           "rows", "seconds"}
    small, large = result["rows"]
    assert set(small) == set(ScaleRow.__dataclass_fields__)
    assert (small["size"], small["built"], large["built"]) == (300, 300, 2000)
    assert small["index"].startswith("exact") and large["index"].startswith("HNSW")
    assert small["recall_at_10"] == 1.0 and large["recall_at_10"] >= 0.9
    assert result["embedding"]["texts"] == 60 and result["embedding"]["passages_per_s"] > 0
    assert any("recall@10" in line for line in lines) and not any(r["capped"] for r in result["rows"])


@pytest.mark.slow
def test_build_library_stops_at_the_time_cap_after_one_batch(base):
    source = VectorSource.from_embeddings(base)
    index, _, capped = build_library(5000, source, exact_up_to=1000, time_cap_s=1e-9, batch=500)
    assert capped and index.ntotal == 500


@pytest.mark.slow
def test_run_scale_reports_a_capped_size(embedder, seed_path):
    lines = []
    # exact index, so the one 50k batch added before the cap is checked is cheap
    result = run_scale(sizes=[200_000], time_cap_s=1e-9, out=lines.append, corpus_dir=seed_path.parent,
                       embedder=embedder, embed_texts=60, queries=10, exact_up_to=10**6)
    row = result["rows"][0]
    assert row["capped"] and 0 < row["built"] < 200_000
    assert any("capped by time" in line for line in lines)


@pytest.mark.parametrize("kwargs, message", [({"sizes": []}, "sizes"), ({"sizes": [0]}, "sizes"),
                                             ({"time_cap_s": 0}, "time cap")])
def test_run_scale_rejects_bad_arguments(kwargs, message, embedder):
    with pytest.raises(ValueError, match=message):
        run_scale(**{"sizes": [100], **kwargs}, out=lambda _: None, embedder=embedder)
