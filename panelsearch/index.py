"""Index stage, writing: parsed documents -> passages + vectors -> an index folder (index_load.py reads it).

A build writes a temporary sibling folder and swaps it in at the end, so an interrupted build
leaves the previous index whole; it writes only to a folder that is missing, empty or an index
of its own. Builds are incremental: a passage or question whose embedded text is unchanged,
under the same model, takes its vector from the previous index. The manifest records, per
document, the file and its sha256, its metadata, and how many vectors were reused and embedded.

The library's topics and each speaker's distinctive terms and topics (topics.py) are computed here,
from the passages and their vectors, and written as topics.json in the same swap as the other
files. A build whose answers, audience questions and model are those of the previous index reuses
its topics.json instead of clustering again; the manifest's "topics" record says which it did.
"""
from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Callable

import faiss
import numpy as np

from . import __version__, ann
from .corpus import content_sha256, corpus_fingerprint, file_sha256, load_corpus, metadata_path
from .errors import IndexWriteError, PanelsearchError, ParseError, UnsafeIndexTargetError
from .index_load import (FILES, FORMAT_VERSION, IndexData, check_fresh, index_stamp, is_fresh, load_index,
                         moved_aside, process_alive, read_manifest)
from .locks import folder_lock
from .models import Document, DocumentRecord, Passage, QuestionRecord
from .passages import document_passages
from .topics import METHOD_VERSION
from .topics_stored import LibraryTopics, library_topics, topic_inputs

__all__ = ["FILES", "IndexData", "build_index", "check_fresh", "check_index_target", "index_stamp", "is_fresh",
           "load_index", "passage_embed_text", "read_manifest", "write_index"]

def passage_embed_text(p: Passage) -> str:
    """What gets embedded for a passage: its audience question gives the answer context."""
    return f"{p.question}\n{p.text}"


def previous_vectors(index_dir: Path, model_id: str, dim: int) -> tuple[dict[str, np.ndarray], str | None]:
    """({embedded text: vector}, its build time) from the index at index_dir, if built with this model.

    A missing, damaged or other-model index just means nothing to reuse: the build embeds everything.
    """
    cache, built_at, _ = _previous(index_dir, model_id, dim)
    return cache, built_at


def _previous(index_dir: Path, model_id: str, dim: int
              ) -> tuple[dict[str, np.ndarray], str | None, LibraryTopics | None]:
    """previous_vectors, and the previous index's stored topics (None if it has none)."""
    try:
        data = load_index(index_dir, for_reuse=True)  # an index of the previous format still has vectors
    except PanelsearchError:  # missing, damaged: nothing to reuse
        return {}, None, None
    if data.manifest.get("model") != model_id or data.manifest.get("dimension") != dim or not data.index.ntotal:
        return {}, None, None
    try:
        vectors = data.index.reconstruct_n(0, data.index.ntotal)
    except RuntimeError:  # an index type that does not keep its vectors
        return {}, None, data.stored_topics
    # Passage texts hold a newline (question, then passage) and question texts never do: no clashes,
    # and the same text under the same model has the same vector anyway.
    cache = {passage_embed_text(p): v for p, v in zip(data.passages, vectors)}
    cache.update({q.question: v for q, v in zip(data.questions, data.question_vectors)})
    return cache, data.manifest.get("built_at"), data.stored_topics


# Reports how far a build is: progress(stage, done, total), stage "read" (documents) or "embed"
# (passages and questions to embed). The CLI draws it as a bar, the page as st.progress.
Progress = Callable[[str, int, int], None]
EMBED_BATCH = 64  # texts per call to the model between two progress reports


def embed_reusing(embedder, texts: list[str], cache: dict[str, np.ndarray],
                  progress: Progress | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Vectors (n, dim) for texts, each taken from cache when there; and which were, as a (n,) bool array.

    Only texts not in the cache reach the embedder, each once, in batches reported to ``progress``.
    """
    reused = np.array([t in cache for t in texts], dtype=bool)
    new = list(dict.fromkeys(t for t in texts if t not in cache))
    fresh = {}
    for start in range(0, len(new), EMBED_BATCH):
        batch = new[start:start + EMBED_BATCH]
        fresh.update(zip(batch, embedder.encode(batch)))
        if progress:
            progress("embed", start + len(batch), len(new))
    vectors = np.zeros((len(texts), int(embedder.dim)), dtype=np.float32)
    for row, text in enumerate(texts):
        vectors[row] = cache[text] if text in cache else fresh[text]
    return vectors, reused


def build_index(corpus_dir: Path, index_dir: Path, embedder, reuse: bool = True,
                progress: Progress | None = None) -> dict:
    """Parse, split, embed and write the index; return its manifest.

    Args:
        corpus_dir: the documents.
        index_dir: the index folder: missing, empty or an index (anything else is refused).
        embedder: the loaded model (embed.load_embedder).
        reuse: take the vectors of unchanged texts from the index already at index_dir.
        progress: called as documents are read and texts embedded (see Progress).
    Returns:
        The manifest written. Parsing happens before anything is written, so bad input raises
        ParseError and leaves the index untouched.
    """
    corpus_dir, index_dir = Path(corpus_dir), Path(index_dir)
    check_index_target(index_dir, corpus_dir)
    started = time.perf_counter()
    fingerprint, docs = _read_corpus(corpus_dir, progress)
    per_doc = [document_passages(doc) for doc in docs]
    passages = [p for ps in per_doc for p in ps]
    questions = [QuestionRecord.of(d, q) for d in docs for q in d.questions]
    cache, reused_from, old_topics = _previous(index_dir, embedder.model_id, int(embedder.dim)) if reuse \
        else ({}, None, None)
    inputs = topic_inputs(passages, embedder.model_id)
    if old_topics is not None and old_topics.inputs != inputs:
        old_topics = None  # other answers, questions or model: cluster again
    texts = [passage_embed_text(p) for p in passages] + [q.question for q in questions]
    vectors, reused = embed_reusing(embedder, texts, cache, progress)
    passage_vectors, question_vectors = vectors[:len(passages)], vectors[len(passages):]
    topics_started = time.perf_counter()
    stored = old_topics or library_topics(passages, passage_vectors, embedder.model_id)
    passage_reused, question_reused = reused[:len(passages)], reused[len(passages):]
    records, row = [], 0
    for doc, ps in zip(docs, per_doc):
        reused = int(passage_reused[row:row + len(ps)].sum())
        row += len(ps)
        records.append(document_record(doc, fingerprint, len(ps), reused))
    manifest = {
        "format_version": FORMAT_VERSION,
        "package_version": __version__,
        "model": embedder.model_id,
        "dimension": int(embedder.dim),
        "passage_count": len(passages),
        "question_count": len(questions),
        "documents": [r.to_json() for r in records],
        "embeddings": {"passages_reused": int(passage_reused.sum()),
                       "passages_embedded": int((~passage_reused).sum()),
                       "questions_reused": int(question_reused.sum()),
                       "questions_embedded": int((~question_reused).sum()),
                       "reused_from": reused_from},
        "topics": {"reused": old_topics is not None, "reused_from": reused_from if old_topics is not None else None,
                   "count": len(stored.topics), "seconds": round(time.perf_counter() - topics_started, 3),
                   "method_version": METHOD_VERSION},
        "corpus_dir": str(corpus_dir.resolve()),
        "corpus": fingerprint,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "build_seconds": 0.0,
    }
    write_index(index_dir, manifest, passages, passage_vectors, questions, question_vectors, started, stored)
    return manifest


def _read_corpus(corpus_dir: Path, progress: Progress | None = None,
                 attempts: int = 3) -> tuple[dict[str, str], list[Document]]:
    """(fingerprint, documents), the fingerprint taken of the very files that were parsed.

    A file edited while the build parses it would otherwise be recorded as fresh with its old
    content: the corpus is fingerprinted before and after parsing, and read again if they differ.
    """
    for _ in range(attempts):
        before = corpus_fingerprint(corpus_dir)
        docs = load_corpus(corpus_dir, progress)
        if corpus_fingerprint(corpus_dir) == before:
            return before, docs
    raise ParseError(str(corpus_dir), 0, "the corpus kept changing while it was being read; build again when "
                                         "nothing is writing to it")


def check_index_target(index_dir: Path, corpus_dir: Path | None = None) -> None:
    """Refuse to write an index anywhere but a missing folder, an empty one, or one holding only
    index files: a build replaces the whole folder, so anything else in it would be lost.

    Raises UnsafeIndexTargetError naming the folder and what is wrong.
    """
    index_dir = Path(index_dir)
    where = index_dir.resolve()
    if corpus_dir is not None:
        corpus = Path(corpus_dir).resolve()
        if where == corpus or where.is_relative_to(corpus) or corpus.is_relative_to(where):
            raise UnsafeIndexTargetError(f"refusing to write the index to {index_dir}: it "
                                         f"{'is' if where == corpus else 'overlaps'} the corpus folder {corpus_dir}; "
                                         "choose a folder of its own, such as ./index")
    if index_dir.is_symlink() or (index_dir.exists() and not index_dir.is_dir()):
        raise UnsafeIndexTargetError(f"refusing to write the index to {index_dir}: it is a file, not an index folder; "
                                     "choose a folder of its own, such as ./index")
    if index_dir.is_dir():
        foreign = sorted(p.name for p in index_dir.iterdir() if p.name not in FILES)
        if foreign:
            shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
            raise UnsafeIndexTargetError(f"refusing to write the index to {index_dir}: it holds files that are not "
                                         f"part of an index ({shown}), and a build replaces the whole folder; "
                                         "choose an empty or new folder")


def document_record(doc: Document, fingerprint: dict[str, str], passages: int, reused: int) -> DocumentRecord:
    """What the manifest says of one document: where it came from and what the build did with it."""
    path = Path(doc.path)
    meta = metadata_path(path).name
    return DocumentRecord(
        source=doc.source, title=doc.title, file=path.name, format=doc.format, sha256=fingerprint.get(path.name, ""),
        content_sha256=content_sha256(doc), metadata_file=meta if meta in fingerprint else None,
        date=doc.date, event=doc.event, speakers=doc.speakers,
        speaker_details=doc.speaker_info(),
        questions=len(doc.questions), passages=passages, vectors_reused=reused, vectors_embedded=passages - reused)


def write_index(index_dir: Path, manifest: dict, passages: list[Passage], vectors: np.ndarray,
                questions: list[QuestionRecord], question_vectors: np.ndarray, started: float,
                topics: LibraryTopics | None = None) -> None:
    """Write all files into a temporary folder beside index_dir, then swap it in.

    ``topics``: the library's topics (topics_stored.library_topics), computed here from passages and
    vectors when not given.
    """
    index_dir = Path(index_dir)
    if topics is None:
        started_topics = time.perf_counter()
        topics = library_topics(passages, vectors, manifest.get("model", ""))
        manifest["topics"] = {"reused": False, "reused_from": None, "count": len(topics.topics),
                              "seconds": round(time.perf_counter() - started_topics, 3), "method_version": METHOD_VERSION}
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    with folder_lock(index_dir.parent):  # one build at a time per index
        check_index_target(index_dir)
        _recover(index_dir)
        _remove_abandoned(index_dir)
        try:
            _write_and_swap(index_dir, manifest, passages, vectors, questions, question_vectors, started, topics)
        except OSError as err:
            raise IndexWriteError(f"could not write the index at {index_dir}: {_why(err)}; "
                                  "the previous index is unchanged") from None


def _why(err: OSError) -> str:
    """An OSError in words: numpy and faiss report a full disk as a short write, with no errno."""
    if err.errno in (errno.ENOSPC, errno.EDQUOT) or "requested and" in str(err) or "written" in str(err):
        return "the disk is full (free some space and build again)"
    return err.strerror or str(err)


def _write_and_swap(index_dir: Path, manifest: dict, passages: list[Passage], vectors: np.ndarray,
                    questions: list[QuestionRecord], question_vectors: np.ndarray, started: float,
                    topics: LibraryTopics) -> None:
    tmp = Path(tempfile.mkdtemp(prefix=f".{index_dir.name}.tmp-{os.getpid()}-", dir=index_dir.parent))
    tmp.chmod(0o755)
    try:
        with open(tmp / "passages.jsonl", "w", encoding="utf-8") as f:
            for p in passages:
                f.write(json.dumps(p.to_json(), ensure_ascii=False) + "\n")
        with open(tmp / "questions.jsonl", "w", encoding="utf-8") as f:
            for q in questions:
                f.write(json.dumps(q.to_json(), ensure_ascii=False) + "\n")
        np.save(tmp / "questions.npy", np.ascontiguousarray(question_vectors, dtype=np.float32))
        faiss.write_index(ann.make_faiss(vectors), str(tmp / "passages.faiss"))
        (tmp / "topics.json").write_bytes(topics_bytes(topics))
        manifest["build_seconds"] = round(time.perf_counter() - started, 3)
        manifest["files"] = {name: (tmp / name).stat().st_size for name in FILES if name != "manifest.json"}
        manifest["sha256"] = {name: file_sha256(tmp / name) for name in FILES if name != "manifest.json"}
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        for name in FILES:
            with open(tmp / name, "rb") as f:
                os.fsync(f.fileno())
        _swap_in(tmp, index_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def topics_bytes(topics: LibraryTopics) -> bytes:
    """topics.json as written: the same library gives the same bytes."""
    return (json.dumps(topics.to_json(), ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def _swap_in(tmp: Path, index_dir: Path) -> None:
    # The moved-aside index carries this build's pid: while it lives, readers wait instead of
    # "recovering" it in the middle of the swap (see _recover).
    old = index_dir.parent / f".{index_dir.name}.old-{os.getpid()}"
    shutil.rmtree(old, ignore_errors=True)
    if index_dir.exists():
        os.rename(index_dir, old)
    try:
        os.rename(tmp, index_dir)  # killed between the two renames? _recover() puts .old back
    except OSError:
        if old.exists() and not index_dir.exists():
            os.rename(old, index_dir)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _remove_abandoned(index_dir: Path) -> None:
    """Delete temporary folders left by builds that were killed (their process is gone)."""
    for tmp in index_dir.parent.glob(f".{index_dir.name}.tmp-*"):
        pid = tmp.name.removeprefix(f".{index_dir.name}.tmp-").split("-")[0]
        if pid.isdigit() and not process_alive(int(pid)):
            shutil.rmtree(tmp, ignore_errors=True)
    if index_dir.exists():
        for old, pid in moved_aside(index_dir):
            if pid is None or not process_alive(pid):
                shutil.rmtree(old, ignore_errors=True)


def _recover(index_dir: Path, wait_s: float = 5.0) -> None:
    """Put back the previous index if a build was killed between its two renames.

    If the build is alive, it is in the middle of its swap: wait (briefly) for the new index
    rather than putting the old one back under it.
    """
    deadline = time.monotonic() + wait_s
    while not index_dir.exists():
        aside = [(old, pid) for old, pid in moved_aside(index_dir) if (old / "manifest.json").exists()]
        if any(pid is not None and process_alive(pid) for _, pid in aside):  # this process's own threads too
            if time.monotonic() > deadline:
                return
            time.sleep(0.005)
            continue
        if aside:
            newest = max((old for old, _ in aside), key=lambda p: p.stat().st_mtime)
            try:
                os.rename(newest, index_dir)
            except OSError:
                pass  # read-only place, or another reader got there first
        return
