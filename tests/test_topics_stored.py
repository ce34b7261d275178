"""Topics stored with the index (issue #12): topics.json is written by the build in the same swap as
the other files, checked against the manifest's sha256 when read, reused by a rebuild whose answers
are unchanged, and measured by `panelsearch eval --topics --agreement`.

Structure is tested with the hash embedder (a build takes milliseconds); what the topics say, with
the session's index of the seed built with the real model (tests/conftest.py).
"""
import hashlib
import json
import re
import shutil

import pytest

from panelsearch import ann
from panelsearch.cli import main
from panelsearch.embed import HashEmbedder
from panelsearch.errors import CorruptIndexError
from panelsearch.index import build_index, is_fresh, load_index, read_manifest
from panelsearch.index_load import FILES, FORMAT_VERSION, REBUILD
from panelsearch.perspective_eval import agreement_scores, evaluate_perspectives, format_perspectives, topics_ari
from panelsearch.search import Searcher
from panelsearch.topics import METHOD_VERSION, Topics, speaker_terms, topics_from_passages
from panelsearch.topics_stored import LibraryTopics, library_topics
from tests.conftest import SEED

SOURCE = "coproduction-qi-webinar-qa"
NEW_QUESTION = "\n16 How do we keep partners involved after a project ends?\nAC: Thank them and tell them what changed.\n"


@pytest.fixture
def library(tmp_path):
    """(corpus, index) of the seed, built with the hash embedder."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEED, corpus / SEED.name)
    index = tmp_path / "index"
    build_index(corpus, index, HashEmbedder(32))
    return corpus, index


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def rewrite(index, name: str, data: bytes) -> None:
    """Replace an index file and make the manifest agree with it (size and sha256)."""
    (index / name).write_bytes(data)
    manifest = json.loads((index / "manifest.json").read_text())
    manifest["files"][name], manifest["sha256"][name] = len(data), hashlib.sha256(data).hexdigest()
    (index / "manifest.json").write_text(json.dumps(manifest))


def as_format_1(index) -> None:
    """Make the index what a build before topics were stored wrote: no topics.json, format 1."""
    (index / "topics.json").unlink()
    manifest = json.loads((index / "manifest.json").read_text())
    for key in ("files", "sha256"):
        del manifest[key]["topics.json"]
    del manifest["topics"]
    manifest["format_version"] = 1
    (index / "manifest.json").write_text(json.dumps(manifest))


# -- written and read ----------------------------------------------------------------------------
def test_topics_json_is_written_with_its_sha256_in_the_manifest(built_index):
    _, index = built_index
    m = read_manifest(index)
    assert "topics.json" in FILES and FORMAT_VERSION == 2 and m["format_version"] == 2
    assert m["sha256"]["topics.json"] == sha256(index / "topics.json")
    assert m["files"]["topics.json"] == (index / "topics.json").stat().st_size
    assert m["topics"] == {"reused": False, "reused_from": None, "count": 7, "seconds": m["topics"]["seconds"],
                           "method_version": METHOD_VERSION}
    stored = json.loads((index / "topics.json").read_text(encoding="utf-8"))
    assert stored["inputs"]["model"] == "all-MiniLM-L6-v2" and len(stored["inputs"]["answers_sha256"]) == 64
    assert {(s["source"], s["speaker"]) for s in stored["speakers"]} == {(SOURCE, "AC"), (SOURCE, "SK")}


def test_the_stored_topics_are_those_of_the_index_vectors(built_index):
    data = load_index(built_index[1])
    assert isinstance(data.topics, Topics) and len(data.topics) == 7
    vectors = ann.stored_vectors(data.index)
    again = library_topics(data.passages, vectors, data.manifest["model"])
    assert json.dumps(again.to_json()) == json.dumps(data.stored_topics.to_json())  # byte for byte
    assert data.topics == topics_from_passages(data.passages, vectors)
    answers = [(q.source, q.number, a.speaker, a.text) for q in data.questions for a in q.answers]
    assert data.speaker_terms == speaker_terms(answers)
    assert sum(n for _, n in data.speaker_topics[(SOURCE, "AC")]) == 14
    assert sum(n for _, n in data.speaker_topics[(SOURCE, "SK")]) == 6
    assert LibraryTopics.from_json(json.loads(json.dumps(data.stored_topics.to_json()))) == data.stored_topics


def test_the_searcher_holds_the_stored_topics(searcher):
    assert searcher.topics == searcher.data.topics and len(searcher.topics) == 7
    assert searcher.speaker_terms[(SOURCE, "SK")] and searcher.speaker_topics[(SOURCE, "AC")]
    assert "qualitative" in searcher.topics.label_of(searcher.topics.topic_of(SOURCE, 2, "SK")).lower()


@pytest.mark.parametrize("damage", ["a byte changed", "truncated", "missing"])
def test_a_tampered_or_missing_topics_json_is_refused_naming_it(library, damage):
    _, index = library
    path = index / "topics.json"
    if damage == "a byte changed":
        data = bytearray(path.read_bytes())
        data[200] ^= 1
        path.write_bytes(bytes(data))
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:100])
    else:
        path.unlink()
    with pytest.raises(CorruptIndexError, match="topics.json") as err:
        load_index(index)
    assert REBUILD in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("content", [b"{ not json", b"[]", b'{"format_version": 1, "topics": {}}',
                                     json.dumps({"format_version": 1, "inputs": {}, "speakers": [],
                                                 "topics": {"format_version": 1, "topics": []}}).encode()])
def test_a_topics_json_that_matches_its_checksum_but_is_not_this_librarys_is_refused(library, content):
    """Written with the manifest made to agree: damaged, of another shape, or of other answers."""
    _, index = library
    rewrite(index, "topics.json", content)
    with pytest.raises(CorruptIndexError, match="topics.json") as err:
        load_index(index)
    assert REBUILD in str(err.value)


def test_topics_of_other_answers_are_refused(library):
    """A well-formed topics.json whose topics leave out one of the passages' answers (the manifest made
    to agree with it) is out of step with the passages."""
    _, index = library
    stored = json.loads((index / "topics.json").read_text())
    stored["topics"]["topics"][0]["answers"].pop()
    stored["topics"]["topics"] = [t for t in stored["topics"]["topics"] if t["answers"]]
    for i, t in enumerate(stored["topics"]["topics"]):
        t["id"] = i
    labels = {t["label"] for t in stored["topics"]["topics"]}
    for s in stored["speakers"]:
        s["topics"] = [x for x in s["topics"] if x[0] in labels]
    rewrite(index, "topics.json", json.dumps(stored).encode())
    with pytest.raises(CorruptIndexError, match="topics.json.*other answers"):
        load_index(index)


# -- reused like the vectors ----------------------------------------------------------------------
def test_a_rebuild_with_the_same_answers_reuses_the_stored_topics(library, monkeypatch):
    corpus, index = library
    first = read_manifest(index)
    before = (index / "topics.json").read_bytes()

    def no_clustering(*args, **kwargs):
        raise AssertionError("topics computed again")

    monkeypatch.setattr("panelsearch.index.library_topics", no_clustering)
    m = build_index(corpus, index, HashEmbedder(32))
    assert m["topics"]["reused"] is True and m["topics"]["reused_from"] == first["built_at"]
    assert m["topics"]["count"] == first["topics"]["count"]
    assert (index / "topics.json").read_bytes() == before
    assert read_manifest(index)["topics"]["reused"] is True


def test_a_changed_corpus_recomputes_the_topics(library):
    corpus, index = library
    doc = corpus / SEED.name
    doc.write_text(doc.read_text() + NEW_QUESTION)
    m = build_index(corpus, index, HashEmbedder(32))
    assert m["topics"]["reused"] is False and m["embeddings"]["passages_reused"] > 0
    data = load_index(index)
    assert data.topics.topic_of(SOURCE, 16, "AC") >= 0
    assert data.stored_topics.inputs["answers_sha256"] == data.topics.answers_sha256


def test_a_reworded_question_a_full_build_or_another_model_recomputes_the_topics(library):
    corpus, index = library
    doc = corpus / SEED.name
    text = doc.read_text()
    doc.write_text(text.replace("Are Experts by Experience team members", "Are Experts by Experience members", 1))
    assert build_index(corpus, index, HashEmbedder(32))["topics"]["reused"] is False  # labels use the questions
    assert build_index(corpus, index, HashEmbedder(32))["topics"]["reused"] is True
    assert build_index(corpus, index, HashEmbedder(32), reuse=False)["topics"]["reused"] is False
    assert build_index(corpus, index, HashEmbedder(48))["topics"]["reused"] is False


def test_add_and_remove_rebuild_the_topics(library):
    from panelsearch.library import add_documents, remove_document

    corpus, index = library
    extra = library[0].parent / "carers.md"
    extra.write_text("# Carers\n\n## 1. How should carers be paid?\n\n**JB:** The same hourly rate as other "
                     "advisers, with travel expenses.\n\n## 2. When do carers meet?\n\n**JB:** Monthly, in the "
                     "evening, so working carers can come.\n")
    report = add_documents([extra], corpus, index, HashEmbedder(32))
    assert not report.refused and report.manifest["topics"]["reused"] is False
    data = load_index(index)
    assert data.topics.topic_of("carers", 1, "JB") >= 0 and ("carers", "JB") in data.speaker_terms
    remove_document("carers", corpus, index, HashEmbedder(32))
    data = load_index(index)
    assert read_manifest(index)["topics"]["reused"] is False
    assert ("carers", "JB") not in data.speaker_terms
    with pytest.raises(KeyError):
        data.topics.topic_of("carers", 1, "JB")


# -- an index built before topics were stored -------------------------------------------------------
def test_an_index_without_topics_json_is_stale_and_build_if_stale_rebuilds_it(library, capsys):
    corpus, index = library
    as_format_1(index)
    with pytest.raises(CorruptIndexError, match="older version.*topics.json.*python -m panelsearch build"):
        read_manifest(index)
    with pytest.raises(CorruptIndexError, match="python -m panelsearch build"):
        load_index(index)
    with pytest.raises(CorruptIndexError, match="python -m panelsearch build"):
        Searcher.load(index, embedder=HashEmbedder(32), corpus_dir=corpus)
    assert not is_fresh(index, corpus)
    assert main(["build", "--if-stale", "--quiet", "--corpus", str(corpus), "--index", str(index),
                 "--model", "hash-32"]) == 0
    assert "built" in capsys.readouterr().out
    m = read_manifest(index)
    assert m["format_version"] == FORMAT_VERSION and (index / "topics.json").is_file()
    assert m["embeddings"]["passages_embedded"] == 0  # the old index's vectors were reused
    assert m["topics"]["reused"] is False and is_fresh(index, corpus)
    assert main(["build", "--if-stale", "--corpus", str(corpus), "--index", str(index), "--model", "hash-32"]) == 0
    assert "up to date" in capsys.readouterr().out


# -- measured: eval --topics --agreement --------------------------------------------------------------
def test_perspective_figures_on_the_seed(searcher):
    report = evaluate_perspectives(searcher)
    assert report["topics"]["ari"] >= 0.50 and report["topics"]["answers"] == 20  # docs/topics.md: 0.539
    a = report["agreement"]
    assert a["precision"] >= 2 / 3 - 0.05 and a["recall"] >= 2 / 3 - 0.05  # docs/agreement.md: 0.67, 0.67
    text = format_perspectives(report)
    assert "adjusted Rand index 0.5" in text and "precision 0.67" in text and "recall 0.67" in text


def test_perspective_figures_for_a_library_without_the_seed():
    none = topics_ari(Topics([]))
    assert none["ari"] is None and "does not hold" in none["note"]
    assert agreement_scores([], HashEmbedder(32))["precision"] is None
    assert "n/a" in format_perspectives({"topics": none, "agreement": agreement_scores([], HashEmbedder(32))})


def test_eval_cli_prints_the_ari_and_precision_recall(built_index, tmp_path, capsys):
    corpus, index = built_index
    queries = tmp_path / "queries.json"
    queries.write_text(json.dumps([{"query": "how do we pay experts by experience", "kind": "paraphrase",
                                    "relevant": [{"question": 9, "speaker": "AC", "grade": 2}]}]))
    common = ["eval", "--queries", str(queries), "--index", str(index), "--corpus", str(corpus)]
    assert main(common + ["--topics", "--agreement"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"adjusted Rand index 0\.5\d\d over 20 answers", out)  # docs/topics.md: 0.539
    assert "precision 0.67" in out and "recall 0.67" in out
    assert main(common + ["--topics", "--agreement", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"queries", "results", "topics", "agreement"} <= set(data)
    assert data["topics"]["ari"] >= 0.50  # docs/topics.md: 0.539
    assert data["agreement"]["precision"] == pytest.approx(2 / 3, abs=0.001)
    assert main(common + ["--json"]) == 0
    assert not {"topics", "agreement"} & set(json.loads(capsys.readouterr().out))  # only when asked


def test_an_index_whose_topics_came_from_an_older_method_is_rebuilt_by_if_stale(built_index, tmp_path):
    """It can still be searched; `build --if-stale` (make run) recomputes its topics, reusing its vectors."""
    corpus, index = built_index
    old = tmp_path / "index"
    shutil.copytree(index, old)
    assert is_fresh(old, corpus)
    manifest = json.loads((old / "manifest.json").read_text())
    manifest["topics"]["method_version"] = METHOD_VERSION - 1
    (old / "manifest.json").write_text(json.dumps(manifest))
    assert not is_fresh(old, corpus)
