"""Reading an index folder: its manifest, its files checked against it, and whether it is fresh.

index/
  manifest.json    model, dimension, counts, sha256 of each corpus file and of each index file
  passages.jsonl   one passage per line, in FAISS row order
  passages.faiss   FAISS inner-product index over normalised passage vectors (cosine)
  questions.jsonl  one audience question per line
  questions.npy    the questions' vectors, same row order
  topics.json      the library's topics, each speaker's distinctive terms and topics (topics_stored.py)

Reading changes nothing on disk. A reader opens the folder once and reads every file through
that handle, checking each file's checksum on the very bytes it parses, so it never combines two
builds; a build that swaps a new index in meanwhile makes it start again on the new one. While a
build is between its two renames (index.py), a reader waits for it; if that build was killed
there, the reader reads the index it moved aside, where it lies, and the next build puts it back.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import faiss
import numpy as np

from . import ann
from .corpus import corpus_fingerprint, stream_sha256
from .errors import CorruptIndexError, IndexMissingError, StaleIndexError
from .models import DocumentRecord, Passage, QuestionRecord
from .topics import METHOD_VERSION, SpeakerKey, Topics
from .topics_stored import LibraryTopics

# 2: topics.json is part of the index. An index of format 1 has none: it is refused with a
# "rebuild it" message (is_fresh says False, so `build --if-stale` rebuilds it), and a build may
# still take its vectors (load_index(..., for_reuse=True)).
FORMAT_VERSION = 2


FILES = ("manifest.json", "passages.jsonl", "passages.faiss", "questions.jsonl", "questions.npy", "topics.json")
FILES_OF_VERSION = {1: FILES[:5], 2: FILES}


REBUILD = "rebuild it with: python -m panelsearch build"


@dataclass
class IndexData:
    """Everything a Searcher needs, as loaded from an index folder."""

    manifest: dict
    passages: list[Passage]
    index: faiss.Index
    questions: list[QuestionRecord]
    question_vectors: np.ndarray
    documents: list[DocumentRecord]
    # computed at build time (topics_stored.library_topics); empty only for an older index read for reuse
    topics: Topics = field(default_factory=lambda: Topics([]))
    speaker_terms: dict[SpeakerKey, list[str]] = field(default_factory=dict)  # (source, initials) -> words
    speaker_topics: dict[SpeakerKey, list[tuple[str, int]]] = field(default_factory=dict)  # -> (label, answers)
    stored_topics: LibraryTopics | None = None  # all three as stored, with what they were computed from


def moved_aside(index_dir: Path) -> list[tuple[Path, int | None]]:
    """Indexes moved aside by builds, with the build's pid (None: an older build's folder)."""
    found = []
    for path in index_dir.parent.glob(f".{index_dir.name}.old*"):
        pid = path.name.removeprefix(f".{index_dir.name}.old").removeprefix("-")
        found.append((path, int(pid) if pid.isdigit() else None))
    return found


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# What loading relies on, and the type it must have: anything else is a damaged or foreign manifest.
MANIFEST_FIELDS = {"model": str, "dimension": int, "passage_count": int, "question_count": int, "files": dict,
                   "corpus": dict, "sha256": dict}


class _Snapshot:
    """An index folder opened once. Every file is read through this one handle, so a reader never
    combines files from two builds, even while a build swaps another folder in under the same name."""

    def __init__(self, index_dir: Path, wait_s: float = 5.0):
        self.path = index_dir
        deadline = time.monotonic() + wait_s
        while True:
            try:
                self.fd = os.open(readable_folder(index_dir), os.O_RDONLY | os.O_DIRECTORY)
                return
            except NotADirectoryError:
                break
            except FileNotFoundError:
                # The folder can go between finding it and opening it: a build's first rename. Look again.
                if not moved_aside(index_dir) or time.monotonic() > deadline:
                    break
        raise IndexMissingError(f"no index at {index_dir}: build it with: python -m panelsearch build")

    def open(self, name: str):
        return open(name, "rb", opener=lambda n, flags: os.open(n, flags, dir_fd=self.fd))

    def replaced(self) -> bool:
        """True when the path now names another folder than the one opened (a build swapped it)."""
        try:
            now, mine = os.stat(self.path), os.fstat(self.fd)
        except OSError:
            return True
        return (now.st_dev, now.st_ino) != (mine.st_dev, mine.st_ino)

    def close(self) -> None:
        os.close(self.fd)


def readable_folder(index_dir: Path, wait_s: float = 5.0) -> Path:
    """The folder that holds the index at ``index_dir``, without changing anything on disk.

    ``index_dir`` itself, normally. Between a build's two renames there is none: while that build
    lives (a moved-aside ``.<name>.old-<pid>`` of a live process), wait briefly for its new index;
    if it was killed there, the index it moved aside, read where it lies (the next build puts it back).
    """
    index_dir = Path(index_dir)
    deadline = time.monotonic() + wait_s
    while not index_dir.exists():
        aside = [(old, pid) for old, pid in moved_aside(index_dir) if (old / "manifest.json").exists()]
        if any(pid is not None and process_alive(pid) for _, pid in aside) and time.monotonic() < deadline:
            time.sleep(0.005)  # polling the folder: the swap takes milliseconds
            continue
        if aside:
            return max((old for old, _ in aside), key=lambda p: p.stat().st_mtime)
        break
    return index_dir


def read_manifest(index_dir: Path) -> dict:
    """The manifest of the index at ``index_dir``, checked for what loading relies on.

    An index of an older format raises CorruptIndexError saying to rebuild it."""
    snapshot = _Snapshot(Path(index_dir))
    try:
        return _read_manifest(snapshot)
    finally:
        snapshot.close()


def _read_manifest(snapshot: _Snapshot, for_reuse: bool = False) -> dict:
    path = snapshot.path / "manifest.json"
    try:
        with snapshot.open("manifest.json") as f:
            manifest = json.loads(f.read().decode("utf-8"))
    except FileNotFoundError:
        raise IndexMissingError(f"no index at {snapshot.path}: build it with: python -m panelsearch build") from None
    except OSError as err:  # a folder in its place, no permission
        raise CorruptIndexError(f"{path} cannot be read ({err.strerror or err}); {REBUILD}") from None
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as err:
        raise CorruptIndexError(f"{path} is damaged ({str(err)[:200]}); {REBUILD}") from None
    version = manifest.get("format_version") if isinstance(manifest, dict) else None
    version = None if isinstance(version, bool) else version  # true == 1 in Python
    if version == 1 and not for_reuse:
        raise CorruptIndexError(f"{path} is from an older version of panelsearch (index format 1, before topics "
                                f"were stored with the index: it has no topics.json); {REBUILD}")
    if version not in (FORMAT_VERSION, 1):
        raise CorruptIndexError(f"{path} is from another version of panelsearch; {REBUILD}")
    wrong = [key for key, kind in MANIFEST_FIELDS.items() if not isinstance(manifest.get(key), kind)]
    expected = set(FILES_OF_VERSION[version]) - {"manifest.json"}
    if not wrong and not (set(manifest["files"]) == set(manifest["sha256"]) == expected):
        wrong = ["files", "sha256"]  # a manifest that skips a file would skip its checks
    if wrong or not all(isinstance(v, int) for v in manifest["files"].values()):
        raise CorruptIndexError(f"{path} is damaged (missing or wrong: {', '.join(wrong) or 'files'}); {REBUILD}")
    return manifest


def check_fresh(manifest: dict, corpus_dir: Path | None = None, model_id: str | None = None) -> None:
    """Raise StaleIndexError if the corpus files or the model differ from what was built."""
    if model_id is not None and manifest.get("model") != model_id:
        raise StaleIndexError(f"index was built with model '{manifest.get('model')}', not '{model_id}'; "
                              f"{REBUILD} --model {model_id}")
    corpus_dir = Path(corpus_dir or manifest.get("corpus_dir", ""))
    if not corpus_dir.is_dir():
        return  # an index moved away from its corpus can still be searched
    now = corpus_fingerprint(corpus_dir)
    built = manifest.get("corpus", {})
    if now != built:
        changed = sorted(set(now) ^ set(built) | {n for n in now if n in built and now[n] != built[n]})
        raise StaleIndexError(f"index is stale: corpus changed since it was built ({', '.join(changed)}); {REBUILD}")


def load_index(index_dir: Path, attempts: int = 5, for_reuse: bool = False) -> IndexData:
    """Read an index folder, checking that its files are whole and agree with each other.

    The checksums are taken of the very bytes that are parsed. A build that swaps a new index in
    while this reads makes the read start again on the new one; a damaged index raises
    CorruptIndexError at once, naming the file. ``for_reuse`` (a build looking for vectors to
    reuse) also accepts an index of the previous format, which has no topics.json.
    """
    index_dir = Path(index_dir)
    for attempt in range(attempts):
        snapshot = _Snapshot(index_dir)
        try:
            return _load(snapshot, for_reuse)
        except CorruptIndexError:
            if attempt + 1 < attempts and snapshot.replaced():
                continue
            raise
        finally:
            snapshot.close()
    raise AssertionError("unreachable")


def _read_checked(snapshot: _Snapshot, manifest: dict, name: str):
    """The open file `name`, rewound, after checking its size and checksum against the manifest."""
    path = snapshot.path / name
    try:
        f = snapshot.open(name)
    except FileNotFoundError:
        raise CorruptIndexError(f"index file missing: {path}; {REBUILD}") from None
    except OSError as err:  # a folder in its place, no permission
        raise CorruptIndexError(f"index file {path} cannot be read ({err.strerror or err}); {REBUILD}") from None
    size = os.fstat(f.fileno()).st_size
    if size != manifest["files"][name]:
        f.close()
        raise CorruptIndexError(f"index file {path} has {size} bytes, expected {manifest['files'][name]} "
                                f"(truncated or replaced); {REBUILD}")
    if stream_sha256(f) != manifest["sha256"][name]:
        f.close()
        raise CorruptIndexError(f"index file {path} does not match its checksum (changed since "
                                f"the build, or from another build); {REBUILD}")
    f.seek(0)
    return f


def _load(snapshot: _Snapshot, for_reuse: bool = False) -> IndexData:
    index_dir = snapshot.path
    manifest = _read_manifest(snapshot, for_reuse)
    files = {}
    try:
        for name in FILES_OF_VERSION[manifest["format_version"]][1:]:
            files[name] = _read_checked(snapshot, manifest, name)
        passages = [Passage(**json.loads(line)) for line in
                    files["passages.jsonl"].read().decode("utf-8").splitlines() if line]
        questions = [QuestionRecord.from_json(json.loads(line))
                     for line in files["questions.jsonl"].read().decode("utf-8").splitlines() if line]
        # .npy only: np.load would open a zip as .npz
        question_vectors = np.lib.format.read_array(files["questions.npy"], allow_pickle=False)
        index = ann.set_search_params(faiss.read_index(faiss.PyCallbackIOReader(files["passages.faiss"].read)))
        stored = _read_topics(index_dir, files["topics.json"]) if "topics.json" in files else None
    except (OSError, ValueError, TypeError, KeyError, RuntimeError, RecursionError, json.JSONDecodeError) as err:
        raise CorruptIndexError(f"index at {index_dir} cannot be read ({(str(err).splitlines() or [type(err).__name__])[0]}); {REBUILD}") from None
    finally:
        for f in files.values():
            f.close()
    dim = manifest.get("dimension")
    if index.d != dim or question_vectors.ndim != 2 or question_vectors.shape[1] != dim:
        raise CorruptIndexError(f"index at {index_dir}: vectors have dimension {index.d}, manifest says {dim}; {REBUILD}")
    if not (index.ntotal == len(passages) == manifest.get("passage_count")):
        raise CorruptIndexError(f"index at {index_dir}: {index.ntotal} vectors but {len(passages)} passages "
                                f"(manifest: {manifest.get('passage_count')}); {REBUILD}")
    if len(questions) != question_vectors.shape[0]:
        raise CorruptIndexError(f"index at {index_dir}: {len(questions)} questions but "
                                f"{question_vectors.shape[0]} question vectors; {REBUILD}")
    try:
        documents = [DocumentRecord.from_json(d) for d in manifest.get("documents", [])]
    except ValueError as err:
        raise CorruptIndexError(f"{index_dir / 'manifest.json'} is damaged ({err}); {REBUILD}") from None
    if stored is None:
        return IndexData(manifest, passages, index, questions, question_vectors, documents)
    answers = {(p.source, p.question_number, p.speaker) for p in passages}
    if set(stored.topics.assignments()) != answers:
        raise CorruptIndexError(f"index file {index_dir / 'topics.json'} gives topics to other answers than the "
                                f"passages hold (from another build); {REBUILD}")
    return IndexData(manifest, passages, index, questions, question_vectors, documents, stored.topics,
                     stored.speaker_terms, stored.speaker_topics, stored)


def _read_topics(index_dir: Path, f) -> LibraryTopics:
    """topics.json, already checked against the manifest's sha256, parsed (CorruptIndexError naming it)."""
    try:
        return LibraryTopics.from_json(json.loads(f.read().decode("utf-8")))
    except (ValueError, UnicodeDecodeError, RecursionError) as err:  # json.JSONDecodeError is a ValueError
        raise CorruptIndexError(f"index file {index_dir / 'topics.json'} is damaged ({str(err)[:200]}); "
                                f"{REBUILD}") from None


def index_stamp(index_dir: Path, corpus_dir: Path) -> tuple:
    """Sizes and modification times of the index manifest and corpus files.

    The app caches the loaded index under this stamp, so rebuilding the index or editing the corpus
    while the page runs is noticed on the next interaction (without hashing anything).
    """
    paths = [Path(index_dir) / "manifest.json"]
    corpus = Path(corpus_dir)
    if corpus.is_dir():
        paths += sorted(p for p in corpus.iterdir() if p.is_file())
    stamp = []
    for p in paths:
        try:
            st = p.stat()
        except OSError:
            stamp.append((str(p), None))
        else:
            stamp.append((str(p), st.st_size, st.st_mtime_ns))
    return tuple(stamp)


def is_fresh(index_dir: Path, corpus_dir: Path, model_id: str | None = None) -> bool:
    """Whether ``build --if-stale`` may skip the build: the index is whole, built from this corpus
    (and model), and its topics were computed by this version's method (an older index can still be
    searched; its next build recomputes the topics and reuses the vectors)."""
    try:
        manifest = read_manifest(index_dir)
        check_fresh(manifest, corpus_dir, model_id)
    except (IndexMissingError, StaleIndexError, CorruptIndexError):
        return False
    return (manifest.get("topics") or {}).get("method_version") == METHOD_VERSION
