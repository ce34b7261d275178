"""Adding documents: checked before anything is touched, copied in, indexed incrementally, or refused.

A refused file, or a failed rebuild, leaves the corpus and the index byte for byte as they were.
"""
import shutil

import numpy as np
import pytest

from panelsearch.embed import HashEmbedder
from panelsearch.errors import ParseError
from panelsearch.readers import load_document
from panelsearch.index import build_index, check_fresh, load_index, passage_embed_text, read_manifest
from panelsearch.library import add_documents, add_uploads
from panelsearch.passages import document_passages
from panelsearch.search import Searcher
from tests.conftest import CountingEmbedder, make_markdown, readme_block

SEED_NAME = "coproduction-qi-webinar-qa.txt"


class BrokenEmbedder(HashEmbedder):
    def encode(self, texts, batch_size=32):
        raise RuntimeError("the model fell over")


def small_qa(i: int) -> str:
    """A short text-format document whose words are its own."""
    return (f"1 How did team{i} start?\nAC: Team{i} started small with topic{i} volunteers.\n"
            f"2 Who pays for topic{i}?\nSK: The topic{i} budget pays for it.\n")


@pytest.fixture
def library(tmp_path, seed_path):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    shutil.copy(seed_path, corpus / SEED_NAME)
    build_index(corpus, index, HashEmbedder())
    return corpus, index


@pytest.fixture
def incoming(tmp_path):
    folder = tmp_path / "incoming"
    folder.mkdir()
    return folder


def snapshot(*folders):
    return [{p.name: p.read_bytes() for p in folder.iterdir()} for folder in folders]


def test_add_markdown_document(library, incoming):
    corpus, index = library
    (incoming / "patient-panel.md").write_text(readme_block("markdown"))
    report = add_documents([incoming / "patient-panel.md"], corpus, index, HashEmbedder())
    assert report.refused == []
    added = report.added[0]
    assert (added.file, added.source, added.format, added.questions, added.speakers) == (
        "patient-panel.md", "patient-panel", "markdown", 2, ["JB", "MT"])
    assert (corpus / "patient-panel.md").read_bytes() == (incoming / "patient-panel.md").read_bytes()
    manifest = read_manifest(index)
    check_fresh(manifest, corpus)
    record = {d["source"]: d for d in manifest["documents"]}["patient-panel"]
    assert record["title"] == "Running a patient panel: questions and answers"
    assert [(s["initials"], s["display"]) for s in record["speaker_details"]] == [("JB", "Jo Bloggs"), ("MT", "MT")]
    ids = [p.passage_id for p in load_index(index).passages]
    assert "patient-panel:q01:JB:1" in ids and len(ids) == len(set(ids))
    hits = Searcher.load(index, embedder=HashEmbedder(), corpus_dir=corpus).search("how often should the panel meet", k=1)
    assert hits[0].source == "patient-panel" and hits[0].question_number == 1
    assert report.to_json()["added"][0]["file"] == "patient-panel.md"


def test_adding_one_document_to_fifty_embeds_only_that_one(tmp_path, incoming):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    for i in range(50):
        (corpus / f"panel-{i:02d}.txt").write_text(small_qa(i))
    build_index(corpus, index, HashEmbedder())
    (incoming / "panel-new.txt").write_text(small_qa(99))
    counting = CountingEmbedder()
    report = add_documents([incoming / "panel-new.txt"], corpus, index, counting)

    new = load_document(incoming / "panel-new.txt")
    new_texts = [passage_embed_text(p) for p in document_passages(new)] + [q.text for q in new.questions]
    assert sorted(counting.texts) == sorted(new_texts)  # nothing else, and nothing twice
    records = {d["source"]: d for d in report.manifest["documents"]}
    assert len(records) == 51
    assert (records["panel-new"]["vectors_embedded"], records["panel-new"]["vectors_reused"]) == (
        records["panel-new"]["passages"], 0)
    assert all(r["vectors_reused"] == r["passages"] and r["vectors_embedded"] == 0
               for source, r in records.items() if source != "panel-new")
    assert report.vectors_embedded == records["panel-new"]["passages"]
    assert report.vectors_reused == sum(r["passages"] for r in records.values()) - report.vectors_embedded

    # The reused vectors sit in the right rows: the index equals one built from scratch.
    build_index(corpus, tmp_path / "scratch", HashEmbedder(), reuse=False)
    got, want = load_index(index), load_index(tmp_path / "scratch")
    assert [p.passage_id for p in got.passages] == [p.passage_id for p in want.passages]
    assert np.array_equal(got.index.reconstruct_n(0, got.index.ntotal), want.index.reconstruct_n(0, want.index.ntotal))
    assert np.array_equal(got.question_vectors, want.question_vectors)


@pytest.mark.parametrize("files, reason, message", [
    ({"notes.doc": b"x"}, "type", "notes.doc: unsupported file type '.doc': expected .txt, .md, .pdf, .docx"),
    ({"empty.md": b""}, "empty", "empty.md: the file is empty"),
    ({"big.md": b"x" * 400_000}, "too large", "big.md: the file is 390.6 KB, over the 195.3 KB limit"),
    ({"broken.md": b"# T\n\n## 1. Q?\nno tag here\n"}, "unreadable", "broken.md:3: question 1 has no answer"),
    ({"fake.pdf": b"hello"}, "type", "fake.pdf: named .pdf but not a PDF"),
    ({"fake.docx": b"%PDF-1.4"}, "type", "fake.docx: named .docx but not a Word .docx file"),
    ({"orphan.meta.json": b"{}"}, "metadata", "orphan.meta.json: no document orphan.* comes with it"),
    ({SEED_NAME: b"1 Q?\nAC: other words.\n"}, "duplicate", f"a document of the same name is already there: {SEED_NAME}"),
    ({"copy.txt": "seed"}, "duplicate", f"copy.txt: the same file is already there as {SEED_NAME}"),
    ({"webinar.md": "seed.md"}, "duplicate", f"webinar.md: the same questions and answers are already there as {SEED_NAME}"),
    ({"coproduction-qi-webinar-qa.md": b"## 1. Q?\nAC: other.\n"}, "duplicate",
     "already has the name 'coproduction-qi-webinar-qa'; rename the file"),
])
def test_refused_files_leave_corpus_and_index_as_they_were(library, incoming, seed_doc, seed_path,
                                                           files, reason, message):
    corpus, index = library
    before = snapshot(corpus, index)
    for name, data in files.items():
        data = {"seed": seed_path.read_bytes(), "seed.md": make_markdown(seed_doc).encode()}.get(data, data)
        (incoming / name).write_bytes(data)
    counting = CountingEmbedder()
    report = add_documents([incoming / n for n in files], corpus, index, counting, max_bytes=200_000)
    assert report.added == [] and report.manifest is None
    assert [(r.file, r.reason) for r in report.refused] == [(next(iter(files)), reason)]
    assert message in report.refused[0].message
    assert snapshot(corpus, index) == before
    assert counting.texts == []


def test_missing_file_is_refused(library, incoming):
    report = add_documents([incoming / "absent.md"], *library, HashEmbedder())
    assert report.refused[0].reason == "missing" and "absent.md: file not found" in report.refused[0].message


def test_refusal_carries_the_line(library, incoming):
    (incoming / "broken.md").write_text("# T\n\n## 1. Q?\nAC: fine\n\n## 2. R?\n**SK:**\n")
    refused = add_documents([incoming / "broken.md"], *library, HashEmbedder()).refused[0]
    assert (refused.line, refused.message) == (7, "broken.md:7: question 2: speaker tag 'SK:' has no answer text after it")


@pytest.mark.slow
def test_batch_adds_good_files_and_refuses_bad_ones(library, incoming):
    corpus, index = library
    (incoming / "good.txt").write_text(small_qa(1))
    (incoming / "bad.txt").write_text("no questions at all\n")
    report = add_documents([incoming / "bad.txt", incoming / "good.txt"], corpus, index, HashEmbedder())
    assert [a.file for a in report.added] == ["good.txt"]
    assert [(r.file, r.message) for r in report.refused] == [
        ("bad.txt", "bad.txt:1: no numbered question found: expected numbered questions ('1 How do we...?') "
                    "answered after speaker tags ('AC: ...')")]
    assert sorted(p.name for p in corpus.iterdir()) == sorted([SEED_NAME, "good.txt"])


@pytest.mark.slow
def test_duplicates_within_one_batch(library, incoming):
    (incoming / "one.txt").write_text(small_qa(1))
    (incoming / "two.txt").write_text(small_qa(1))
    report = add_documents([incoming / "one.txt", incoming / "two.txt"], *library, HashEmbedder())
    assert [a.file for a in report.added] == ["one.txt"]
    assert report.refused[0].message == "two.txt: the same file is already there as one.txt (in this batch)"


def test_failed_rebuild_removes_the_copies(library, incoming, tmp_path):
    corpus, index = library
    before = snapshot(corpus, index)
    (incoming / "good.txt").write_text(small_qa(1))
    with pytest.raises(RuntimeError, match="fell over"):
        add_documents([incoming / "good.txt"], corpus, index, BrokenEmbedder())
    assert snapshot(corpus, index) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus", "incoming", "index"]


def test_metadata_beside_the_document_comes_with_it(library, incoming):
    corpus, index = library
    (incoming / "panel.md").write_text(readme_block("markdown"))
    (incoming / "panel.meta.json").write_text(readme_block("json"))
    report = add_documents([incoming / "panel.md"], corpus, index, HashEmbedder())
    assert report.added[0].metadata_file == "panel.meta.json" and report.added[0].title == "Running a patient panel"
    assert (corpus / "panel.meta.json").read_text() == readme_block("json")
    manifest = read_manifest(index)
    record = {d["source"]: d for d in manifest["documents"]}["panel"]
    assert (record["metadata_file"], record["date"], record["event"]) == (
        "panel.meta.json", "2024-03-03", "Patient involvement network")
    assert record["speaker_details"][1] == {"initials": "MT", "name": "", "role": "Carer", "display": "MT"}
    assert "panel.meta.json" in manifest["corpus"]
    check_fresh(manifest, corpus)


def test_metadata_for_no_document_is_refused_alone(library, incoming):
    (incoming / "panel.md").write_text(readme_block("markdown"))
    (incoming / "elsewhere.meta.json").write_text('{"title": "Elsewhere"}')
    report = add_documents([incoming / "panel.md", incoming / "elsewhere.meta.json"], *library, HashEmbedder())
    assert [(r.file, r.reason) for r in report.refused] == [("elsewhere.meta.json", "metadata")]
    assert [(a.file, a.metadata_file, a.title) for a in report.added] == [
        ("panel.md", None, "Running a patient panel: questions and answers")]


def test_bad_metadata_refuses_its_document(library, incoming):
    corpus, index = library
    before = snapshot(corpus, index)
    (incoming / "panel.md").write_text(readme_block("markdown"))
    (incoming / "panel.meta.json").write_text('{"speakers": {\n"ZZ": "Nobody"}}')
    report = add_documents([incoming / "panel.md"], corpus, index, HashEmbedder())
    assert [(r.file, r.reason, r.line) for r in report.refused] == [("panel.md", "metadata", 2)]
    assert report.refused[0].message.startswith("panel.meta.json:2: speaker 'ZZ' does not answer anything in panel.md")
    assert snapshot(corpus, index) == before


def test_uploads_keep_only_the_file_name(library, tmp_path):
    corpus, index = library
    report = add_uploads([("../../elsewhere/panel.md", readme_block("markdown").encode())], corpus, index, HashEmbedder())
    assert [a.file for a in report.added] == ["panel.md"] and (corpus / "panel.md").is_file()
    assert not (tmp_path.parent / "elsewhere").exists()


def test_file_already_in_the_corpus_folder_says_to_build(library):
    corpus, index = library
    report = add_documents([corpus / SEED_NAME], corpus, index, HashEmbedder())
    assert "already in the corpus folder; build the index with: python -m panelsearch build" in report.refused[0].message


def test_broken_document_already_in_the_corpus_stops_before_touching(library, incoming):
    corpus, index = library
    (corpus / "broken.txt").write_text("no questions\n")
    before = snapshot(corpus, index)
    (incoming / "good.txt").write_text(small_qa(1))
    with pytest.raises(ParseError, match="broken.txt:1: no numbered question"):
        add_documents([incoming / "good.txt"], corpus, index, HashEmbedder())
    assert snapshot(corpus, index) == before


def test_first_document_creates_the_corpus_and_the_index(tmp_path, incoming):
    (incoming / "first.txt").write_text(small_qa(1))
    report = add_documents([incoming / "first.txt"], tmp_path / "corpus", tmp_path / "index", HashEmbedder())
    assert [a.file for a in report.added] == ["first.txt"]
    assert read_manifest(tmp_path / "index")["passage_count"] == 2


def test_failed_first_build_leaves_no_corpus_folder(tmp_path, incoming):
    (incoming / "first.txt").write_text(small_qa(1))
    with pytest.raises(RuntimeError, match="fell over"):
        add_documents([incoming / "first.txt"], tmp_path / "corpus", tmp_path / "index", BrokenEmbedder())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["incoming"]
