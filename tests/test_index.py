"""Index: round trip, manifest, stale detection, and a failed build that leaves the index whole."""
import json
import shutil

import numpy as np
import pytest

from panelsearch.embed import HashEmbedder
from panelsearch.errors import IndexMissingError, ParseError, StaleIndexError
from panelsearch.index import build_index, check_fresh, load_index, read_manifest
from panelsearch.search import Searcher
from tests.conftest import CountingEmbedder, make_docx, make_pdf, readme_block


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
        ["manifest.json", "passages.jsonl", "passages.faiss", "questions.jsonl", "questions.npy", "topics.json"])


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


# -- incremental builds and per-document records ----------------------------------------------

def test_manifest_records_each_document(built_index, seed_path):
    import hashlib

    _, index = built_index
    m = read_manifest(index)
    (record,) = m["documents"]
    assert (record["source"], record["file"], record["format"]) == ("coproduction-qi-webinar-qa", seed_path.name, "text")
    assert record["sha256"] == hashlib.sha256(seed_path.read_bytes()).hexdigest()
    assert len(record["content_sha256"]) == 64 and record["metadata_file"] is None
    assert (record["questions"], record["passages"]) == (15, m["passage_count"])
    assert (record["vectors_embedded"], record["vectors_reused"]) == (m["passage_count"], 0)
    assert record["speakers"] == ["AC", "SK"]
    assert record["speaker_details"] == [{"initials": "AC", "name": "", "role": "", "display": "AC"},
                                         {"initials": "SK", "name": "", "role": "", "display": "SK"}]
    assert m["embeddings"] == {"passages_reused": 0, "passages_embedded": m["passage_count"],
                               "questions_reused": 0, "questions_embedded": 15, "reused_from": None}


def test_rebuild_embeds_only_changed_text(small_corpus, tmp_path):
    from panelsearch.index import passage_embed_text

    index = tmp_path / "index"
    first = build_index(small_corpus, index, HashEmbedder())
    doc = small_corpus / "coproduction-qi-webinar-qa.txt"
    doc.write_text(doc.read_text() + "\n16 A new question?\nAC: A new answer.\n")
    counting = CountingEmbedder()
    m = build_index(small_corpus, index, counting)
    assert counting.texts == ["A new question?\nA new answer.", "A new question?"]
    assert m["embeddings"]["passages_embedded"] == 1 and m["embeddings"]["questions_embedded"] == 1
    assert m["embeddings"]["passages_reused"] == first["passage_count"]
    assert m["embeddings"]["reused_from"] == first["built_at"]
    assert m["documents"][0]["vectors_embedded"] == 1
    data = load_index(index)
    fresh = HashEmbedder().encode([passage_embed_text(p) for p in data.passages])
    assert np.array_equal(data.index.reconstruct_n(0, data.index.ntotal), fresh)


def test_other_model_reuses_nothing(small_corpus, tmp_path):
    index = tmp_path / "index"
    m = build_index(small_corpus, index, HashEmbedder(64))
    counting = CountingEmbedder(32)
    build_index(small_corpus, index, counting)
    assert len(counting.texts) == m["passage_count"] + m["question_count"]


def test_reuse_can_be_turned_off(small_corpus, tmp_path):
    index = tmp_path / "index"
    m = build_index(small_corpus, index, HashEmbedder())
    counting = CountingEmbedder()
    build_index(small_corpus, index, counting, reuse=False)
    assert len(counting.texts) == m["passage_count"] + m["question_count"]


def test_damaged_previous_index_is_rebuilt_in_full(small_corpus, tmp_path):
    index = tmp_path / "index"
    m = build_index(small_corpus, index, HashEmbedder())
    faiss_file = index / "passages.faiss"
    faiss_file.write_bytes(faiss_file.read_bytes()[:100])
    counting = CountingEmbedder()
    build_index(small_corpus, index, counting)
    assert len(counting.texts) == m["passage_count"] + m["question_count"]
    assert load_index(index).index.ntotal == m["passage_count"]


def test_editing_metadata_makes_the_index_stale(small_corpus, tmp_path):
    index = tmp_path / "index"
    build_index(small_corpus, index, HashEmbedder())
    (small_corpus / "coproduction-qi-webinar-qa.meta.json").write_text('{"title": "Webinar"}')
    with pytest.raises(StaleIndexError, match="coproduction-qi-webinar-qa.meta.json"):
        check_fresh(read_manifest(index), small_corpus)
    m = build_index(small_corpus, index, HashEmbedder())
    assert m["documents"][0]["title"] == "Webinar"
    assert m["documents"][0]["metadata_file"] == "coproduction-qi-webinar-qa.meta.json"
    assert m["embeddings"]["passages_embedded"] == 0  # a new title changes no embedded text


def test_corpus_of_every_format_keeps_each_document_apart(small_corpus, tmp_path):
    rows = [("1", "How do we recruit carers?", ["AC: Through the carers' centre."]),
            ("2", "How long do meetings last?", ["AC: An hour. SK: Never more than two."])]
    make_pdf(rows, small_corpus / "carers-forum.pdf", page_height=595)
    make_docx([(n, q + " (Word)", a) for n, q, a in rows], small_corpus / "carers-forum-2.docx")
    (small_corpus / "patient-panel.md").write_text(readme_block("markdown"))
    m = build_index(small_corpus, tmp_path / "index", HashEmbedder())
    assert [(d["source"], d["format"], d["speakers"]) for d in m["documents"]] == [
        ("carers-forum-2", "docx", ["AC", "SK"]), ("carers-forum", "pdf", ["AC", "SK"]),
        ("coproduction-qi-webinar-qa", "text", ["AC", "SK"]), ("patient-panel", "markdown", ["JB", "MT"])]
    passages = load_index(tmp_path / "index").passages
    assert len({p.passage_id for p in passages}) == len(passages)
    assert all(p.passage_id.startswith(p.source + ":") for p in passages)
    assert "carers-forum:q02:SK:1" in {p.passage_id for p in passages}
