"""Index: round trip, manifest, stale detection, and a failed build that leaves the index whole."""
import json
import shutil

import numpy as np
import pytest

from panelsearch.embed import HashEmbedder
from panelsearch.errors import IndexMissingError, ParseError, StaleIndexError
from panelsearch.index import build_index, check_fresh, load_index, read_manifest
from panelsearch.search import Searcher


@pytest.fixture
def small_corpus(tmp_path, seed_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(seed_path, corpus / seed_path.name)
    return corpus


def test_manifest_records_the_build(built_index, seed_path):
    import hashlib

    _, index = built_index
    m = read_manifest(index)
    assert m["model"] == "all-MiniLM-L6-v2" and m["dimension"] == 384
    assert m["corpus"] == {seed_path.name: hashlib.sha256(seed_path.read_bytes()).hexdigest()}
    assert m["passage_count"] == len(load_index(index).passages)
    assert m["package_version"] and m["built_at"].endswith("Z")
    assert sorted(p.name for p in index.iterdir()) == sorted(
        ["manifest.json", "passages.jsonl", "passages.faiss", "questions.jsonl", "questions.npy"])


def test_round_trip_vectors_are_normalised(built_index):
    data = load_index(built_index[1])
    vectors = data.index.reconstruct_n(0, data.index.ntotal)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert len({p.passage_id for p in data.passages}) == len(data.passages)


def test_missing_index_says_how_to_build(tmp_path):
    with pytest.raises(IndexMissingError, match="python -m panelsearch build"):
        Searcher.load(tmp_path / "nowhere", embedder=HashEmbedder())


def test_changed_corpus_is_stale(small_corpus, tmp_path):
    index = tmp_path / "index"
    build_index(small_corpus, index, HashEmbedder())
    check_fresh(read_manifest(index), small_corpus)
    doc = small_corpus / "coproduction-qi-webinar-qa.txt"
    doc.write_text(doc.read_text() + "\n16 A new question?\nAC: A new answer.\n")
    with pytest.raises(StaleIndexError, match="coproduction-qi-webinar-qa.txt.*python -m panelsearch build"):
        Searcher.load(index, embedder=HashEmbedder(), corpus_dir=small_corpus)


def test_other_model_is_stale(small_corpus, tmp_path):
    index = tmp_path / "index"
    build_index(small_corpus, index, HashEmbedder())
    with pytest.raises(StaleIndexError, match="model"):
        check_fresh(read_manifest(index), small_corpus, model_id="all-MiniLM-L6-v2")


def test_failed_build_leaves_previous_index_whole(small_corpus, tmp_path):
    index = tmp_path / "index"
    build_index(small_corpus, index, HashEmbedder())
    before = {p.name: p.read_bytes() for p in index.iterdir()}
    (small_corpus / "broken.txt").write_text("no questions here\n")
    with pytest.raises(ParseError, match="broken.txt"):
        build_index(small_corpus, index, HashEmbedder())
    assert {p.name: p.read_bytes() for p in index.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_rebuild_replaces_index(small_corpus, tmp_path):
    index = tmp_path / "index"
    build_index(small_corpus, index, HashEmbedder())
    doc = small_corpus / "coproduction-qi-webinar-qa.txt"
    doc.write_text(doc.read_text() + "\n16 A new question?\nAC: A new answer.\n")
    build_index(small_corpus, index, HashEmbedder())
    data = load_index(index)
    assert data.passages[-1].passage_id == "coproduction-qi-webinar-qa:q16:AC:1"
    assert json.loads((index / "manifest.json").read_text())["question_count"] == 16
