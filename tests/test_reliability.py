"""Reliability: broken index files, killed builds, concurrent searches, read-only and odd places.

Nothing crashes (a person sees one line saying what to do) and nothing is lost (the previous index
keeps serving until a new one is whole).
"""
import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import faiss
import numpy as np
import pytest

from panelsearch.embed import HashEmbedder
from panelsearch.errors import CorruptIndexError, IndexMissingError, PanelsearchError, StaleIndexError, UsageError
from panelsearch.evaluate import load_queries
from panelsearch.ann import make_faiss
from panelsearch.index import build_index, is_fresh, read_manifest
from panelsearch.search import MODES, Searcher
from tests.conftest import ROOT, SEED

REBUILD = "python -m panelsearch build"


def run(*args, stdin=None, env_extra=None, prefix=()):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", **(env_extra or {})}
    return subprocess.run([*prefix, sys.executable, "-m", "panelsearch", *map(str, args)], cwd=ROOT, env=env,
                          input=stdin, capture_output=True, text=True, timeout=300)


def one_line_error(out, code: int, *phrases: str) -> str:
    assert out.returncode == code, (out.returncode, out.stderr[-2000:])
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr[-2000:]
    for phrase in phrases:
        assert phrase in out.stderr
    return out.stderr


def seed_corpus(folder: Path, copies: int = 1) -> Path:
    folder.mkdir(parents=True)
    for i in range(copies):
        name = SEED.name if i == 0 else f"{SEED.stem}-copy-{i}.txt"
        (folder / name).write_bytes(SEED.read_bytes())
    return folder


def listing(folder: Path) -> dict:
    """Every path under ``folder`` (and itself) with its mode, size and modification time."""
    out = {}
    for path in [folder, *sorted(folder.rglob("*"))]:
        st = path.lstat()
        out[str(path.relative_to(folder))] = (st.st_mode, st.st_size, st.st_mtime_ns)
    return out


# == broken index =================================================================================
@pytest.fixture(scope="module")
def other_builds(tmp_path_factory):
    """Indexes of the same seed with other models: hash-384 (same dimension as MiniLM) and hash-64."""
    base = tmp_path_factory.mktemp("other")
    corpus = seed_corpus(base / "corpus")
    for dim in (384, 64):
        build_index(corpus, base / f"hash-{dim}", HashEmbedder(dim))
    return {"hash-384": base / "hash-384", "hash-64": base / "hash-64"}


@pytest.fixture
def index_copy(tmp_path, built_index):
    corpus, index = built_index
    shutil.copytree(index, tmp_path / "index")
    return corpus, tmp_path / "index"


def resize(index: Path) -> None:
    """Record the files' current sizes in the manifest, as if the damaged files were what was built."""
    manifest = json.loads((index / "manifest.json").read_text())
    manifest["files"] = {name: (index / name).stat().st_size for name in manifest["files"]}
    (index / "manifest.json").write_text(json.dumps(manifest, indent=2))


def edit_manifest(change):
    def damage(index, others):
        manifest = json.loads((index / "manifest.json").read_text())
        change(manifest)
        (index / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return damage


def missing(name):
    return lambda index, others: (index / name).unlink()


def truncated(name, consistent=False):
    def damage(index, others):
        path = index / name
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
        if consistent:
            resize(index)
    return damage


def overwritten(name, offset, data: bytes):
    """Same-size damage, as from a bad disk block or a half-finished copy."""
    def damage(index, others):
        raw = bytearray((index / name).read_bytes())
        raw[offset:offset + len(data)] = data
        (index / name).write_bytes(bytes(raw))
    return damage


def written(name, data: bytes, consistent=True):
    def damage(index, others):
        (index / name).write_bytes(data)
        if consistent:
            resize(index)
    return damage


def from_other_build(name, model, consistent=False):
    def damage(index, others):
        shutil.copy(others[model] / name, index / name)
        if consistent:
            resize(index)
    return damage


def map_lines(name, change):
    def damage(index, others):
        lines = (index / name).read_text(encoding="utf-8").splitlines()
        (index / name).write_text("".join(line + "\n" for line in change(lines)), encoding="utf-8")
        resize(index)
    return damage


def faiss_one_row_short(index, others):
    vectors = faiss.read_index(str(index / "passages.faiss"))
    faiss.write_index(make_faiss(vectors.reconstruct_n(0, vectors.ntotal - 1)), str(index / "passages.faiss"))
    resize(index)


def question_vectors_one_row_short(index, others):
    np.save(index / "questions.npy", np.load(index / "questions.npy")[:-1])
    resize(index)


class Unpickled:
    """Unpickling this creates a file: proof that a pickle inside an index file would run code."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def question_vectors_pickled(index, others):
    np.save(index / "questions.npy", np.array([Unpickled(index.parent / "PWNED")], dtype=object), allow_pickle=True)
    resize(index)


def shuffled_passages(index, others):  # same bytes, same count, other order: out of step with the vectors
    lines = (index / "passages.jsonl").read_text(encoding="utf-8").splitlines()
    random.Random(3).shuffle(lines)
    (index / "passages.jsonl").write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def folder_is_a_file(index, others):
    shutil.rmtree(index)
    index.write_text("not a folder")


def emptied(index, others):
    for path in index.iterdir():
        path.unlink()


# name -> (damage, load with the session model (True) or the one the manifest names (False), run the CLI too)
BROKEN = {
    "no manifest": (missing("manifest.json"), True, True),
    "empty folder": (emptied, True, True),
    "index folder is a file": (folder_is_a_file, True, True),
    "no passages.faiss": (missing("passages.faiss"), True, True),
    "no passages.jsonl": (missing("passages.jsonl"), True, True),
    "no questions.jsonl": (missing("questions.jsonl"), True, True),
    "no questions.npy": (missing("questions.npy"), True, True),
    "faiss truncated": (truncated("passages.faiss"), True, True),
    "faiss truncated, sizes rewritten": (truncated("passages.faiss", consistent=True), True, True),
    "faiss empty, sizes rewritten": (written("passages.faiss", b""), True, True),
    "faiss header overwritten": (overwritten("passages.faiss", 0, b"\0" * 16), True, True),
    "faiss one vector short": (faiss_one_row_short, True, True),
    "manifest not json": (written("manifest.json", b"\x00\xff{ not json", consistent=False), True, True),
    "manifest empty": (written("manifest.json", b"", consistent=False), True, True),
    "manifest a list": (written("manifest.json", b"[]", consistent=False), True, True),
    "manifest from a newer version": (edit_manifest(lambda m: m.update(format_version=99)), True, True),
    "manifest says another dimension": (edit_manifest(lambda m: m.update(dimension=64)), True, True),
    "manifest says another model": (edit_manifest(lambda m: m.update(model="hash-384")), True, False),
    "manifest of a hash-64 build": (from_other_build("manifest.json", "hash-64"), False, True),
    "all files of a hash-64 build but the manifest": (
        lambda index, others: [from_other_build(n, "hash-64")(index, others) for n in
                               ("passages.faiss", "passages.jsonl", "questions.jsonl", "questions.npy")], True, True),
    "passages.jsonl garbage, same size": (overwritten("passages.jsonl", 100, b"\x00\xff" * 50), True, True),
    "passages.jsonl line dropped": (map_lines("passages.jsonl", lambda lines: lines[:-1]), True, True),
    "passages.jsonl records of another shape": (map_lines("passages.jsonl", lambda lines: ['{"id": 1}'] * len(lines)),
                                                True, True),
    "passages.jsonl lists, not records": (map_lines("passages.jsonl", lambda lines: ["[1, 2]"] * len(lines)), True, True),
    "questions.jsonl garbage, same size": (overwritten("questions.jsonl", 10, b"{{{{"), True, True),
    "questions.jsonl line dropped": (map_lines("questions.jsonl", lambda lines: lines[1:]), True, True),
    "questions.npy one row short": (question_vectors_one_row_short, True, True),
    "questions.npy header garbage": (overwritten("questions.npy", 0, b"\x00" * 8), True, True),
    "questions.npy header looks like a zip": (overwritten("questions.npy", 0, b"PK\x03\x04"), True, True),
    "questions.npy holds a pickle": (question_vectors_pickled, True, True),
    "manifest without a model": (edit_manifest(lambda m: m.pop("model")), True, True),
    "manifest files not a dict": (edit_manifest(lambda m: m.update(files=list(m["files"]))), True, True),
    "questions.jsonl records of another shape": (
        map_lines("questions.jsonl", lambda lines: ['{"q": 1}'] * len(lines)), True, False),
    "passages shuffled, same size": (shuffled_passages, True, False),
    "vectors of a hash-384 build, same size": (from_other_build("passages.faiss", "hash-384"), True, False),
    "manifest of a hash-384 build, same dimension": (from_other_build("manifest.json", "hash-384"), False, True),
    "manifest names a model not installed": (edit_manifest(lambda m: m.update(model="some-other-model")), False, False),
}


# Looking up a model that is not installed goes through sentence-transformers, which imports torch:
# seconds on its own, so that case is left to the slow tier.
SLOW_CASES = {"manifest names a model not installed"}


def _params(names):
    return [pytest.param(n, id=n, marks=[pytest.mark.slow] if n in SLOW_CASES else []) for n in names]


@pytest.mark.parametrize("case", _params(BROKEN))
def test_broken_index_is_detected_at_load(case, index_copy, other_builds, embedder):
    corpus, index = index_copy
    damage, with_session_model, _ = BROKEN[case]
    damage(index, other_builds)
    with pytest.raises(PanelsearchError) as err:
        Searcher.load(index, embedder=embedder if with_session_model else None, corpus_dir=corpus)
    assert isinstance(err.value, (IndexMissingError, CorruptIndexError, StaleIndexError)), repr(err.value)
    assert REBUILD in str(err.value) and "\n" not in str(err.value)
    assert not (index.parent / "PWNED").exists(), "a pickle in the index was unpickled"


@pytest.mark.slow
@pytest.mark.parametrize("case", _params(name for name, (_, _, cli) in BROKEN.items() if cli))
def test_broken_index_cli_exits_1_with_one_line(case, index_copy, other_builds):
    # (Cases left out would load the real model first: the library test covers them.)
    corpus, index = index_copy
    BROKEN[case][0](index, other_builds)
    one_line_error(run("search", "training", "--index", index, "--corpus", corpus), 1, REBUILD)


def test_index_loads_untouched_when_whole(index_copy, embedder):
    # The control for the cases above: the copy itself is fine.
    corpus, index = index_copy
    assert Searcher.load(index, embedder=embedder, corpus_dir=corpus).search("paying experts", k=1)


# == interrupted build ============================================================================
# Runs `python -m panelsearch build ...` but SIGKILLs itself at the nth call of one function, counted
# from the moment write_index starts, before or after that call: deterministic kill points without a
# hook in index.py (and blind to whatever the model's libraries call while loading).
KILL_DRIVER = r"""
import os, signal, sys
import panelsearch.index as ix
target, nth, when = os.environ["KILL_AT"].split(":")
owner_name, attr = target.split(".")
owner = {"os": ix.os, "np": ix.np, "faiss": ix.faiss, "json": ix.json, "shutil": ix.shutil}[owner_name]
real, calls, armed = getattr(owner, attr), [0], [False]
def hooked(*args, **kwargs):
    calls[0] += armed[0]
    if armed[0] and calls[0] == int(nth) and when == "before":
        os.kill(os.getpid(), signal.SIGKILL)
    out = real(*args, **kwargs)
    if armed[0] and calls[0] == int(nth) and when == "after":
        os.kill(os.getpid(), signal.SIGKILL)
    return out
setattr(owner, attr, hooked)
real_write_index = ix.write_index
def write_index(*args, **kwargs):
    armed[0] = True
    return real_write_index(*args, **kwargs)
ix.write_index = write_index
from panelsearch.cli import main
sys.exit(main(sys.argv[1:]))
"""

# name -> (kill point, which index must be in place afterwards, what is left beside it)
KILL_POINTS = {
    "writing passages.jsonl": ("json.dumps:5:before", "old", {"tmp"}),
    "before questions.npy": ("np.save:1:before", "old", {"tmp"}),
    "after passages.faiss": ("faiss.write_index:1:after", "old", {"tmp"}),
    "before fsync": ("os.fsync:1:before", "old", {"tmp"}),
    "between the two renames": ("os.rename:1:after", "old", {"tmp", "old", "no index"}),
    "after the swap": ("os.rename:2:after", "new", {"old"}),
    "deleting the old index": ("os.unlink:2:after", "new", {"old"}),
}


def killed_build(corpus, index, kill_at, model=None):
    args = ["build", "--corpus", str(corpus), "--index", str(index)] + (["--model", model] if model else [])
    return subprocess.run([sys.executable, "-c", KILL_DRIVER, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, env={**os.environ, "HF_HUB_OFFLINE": "1", "KILL_AT": kill_at})


def leftovers(index: Path) -> set:
    names = [p.name for p in index.parent.iterdir()]
    found = {"tmp"} if any(n.startswith(f".{index.name}.tmp-") for n in names) else set()
    found |= {"old"} if any(n.startswith(f".{index.name}.old") for n in names) else set()
    return found | (set() if index.name in names else {"no index"})


def index_state(index, corpus, dim, query="paying experts by experience"):
    """What a reader of the index sees: its passages and a search's hits."""
    searcher = Searcher.load(index, embedder=HashEmbedder(dim), corpus_dir=corpus)
    return [(p.passage_id, p.text) for p in searcher.passages], [h.to_json() for h in searcher.search(query, k=5)]


@pytest.fixture
def hash_index(tmp_path):
    """A seed corpus and a hash-64 index of it; the builds under test write hash-32 indexes."""
    corpus = seed_corpus(tmp_path / "corpus")
    build_index(corpus, tmp_path / "index", HashEmbedder(64))
    return corpus, tmp_path / "index"


@pytest.mark.slow
@pytest.mark.parametrize("point", KILL_POINTS)
def test_build_killed_at_a_point_leaves_a_whole_index(point, hash_index):
    corpus, index = hash_index
    passages_before, hits_before = index_state(index, corpus, 64)
    kill_at, expected, left = KILL_POINTS[point]

    out = killed_build(corpus, index, kill_at, model="hash-32")
    assert out.returncode == -signal.SIGKILL, out.stderr[-2000:]
    assert leftovers(index) == left  # the kill landed where it was meant to

    # First reader: the command line (it puts a moved-aside index back if it has to).
    search = run("search", "paying experts by experience", "--json", "-k", "5", "--index", index, "--corpus", corpus)
    assert search.returncode == 0, search.stderr
    assert read_manifest(index)["model"] == {"old": "hash-64", "new": "hash-32"}[expected]
    passages, hits = index_state(index, corpus, {"old": 64, "new": 32}[expected])
    assert passages == passages_before
    if expected == "old":
        assert hits == hits_before and json.loads(search.stdout)["hits"] == hits_before

    # The next build succeeds and removes what the killed build left behind.
    build_index(corpus, index, HashEmbedder(32))
    assert read_manifest(index)["model"] == "hash-32" and index_state(index, corpus, 32)[0] == passages_before
    assert leftovers(index) == set()


@pytest.mark.slow
def test_build_killed_after_delays_leaves_a_whole_index(tmp_path):
    # Kills at arbitrary moments: fractions of a full build's time (imports, parsing, embedding,
    # writing), and the moment the temporary folder appears. A bigger corpus stretches the build.
    corpus = seed_corpus(tmp_path / "corpus", copies=40)
    index = tmp_path / "index"
    build_index(corpus, index, HashEmbedder(64))
    passages_before, hits_before = index_state(index, corpus, 64)
    command = [sys.executable, "-m", "panelsearch", "build", "--corpus", str(corpus), "--index", str(index),
               "--model", "hash-32"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    started = time.monotonic()
    assert subprocess.run(command, cwd=ROOT, env=env, capture_output=True).returncode == 0
    full = time.monotonic() - started

    killed = []
    for moment in (0.15, 0.3, 0.45, 0.6, 0.75, 0.9, "temp folder appears"):
        build_index(corpus, index, HashEmbedder(64))  # the previous index, again
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if moment == "temp folder appears":
            deadline = time.monotonic() + 120
            while proc.poll() is None and time.monotonic() < deadline and not any(tmp_path.glob(".index.tmp-*")):
                time.sleep(0.001)  # polls for the folder: a wait on state, the sleep is the interval
        else:
            time.sleep(moment * full)  # not a wait: the delay is the moment of the kill under test
        proc.send_signal(signal.SIGKILL)
        killed.append(proc.wait(timeout=60) == -signal.SIGKILL)

        model = read_manifest(index)["model"]
        assert model in ("hash-64", "hash-32"), moment  # whichever index is in place, it is whole
        passages, hits = index_state(index, corpus, int(model.split("-")[1]))
        assert passages == passages_before, moment
        if model == "hash-64":
            assert hits == hits_before, moment
    assert sum(killed) >= 3, killed  # most kills landed before the build finished
    out = run("build", "--corpus", corpus, "--index", index, "--model", "hash-32")  # the next build succeeds
    assert out.returncode == 0 and index_state(index, corpus, 32)[0] == passages_before


@pytest.mark.slow
def test_real_model_build_killed_between_renames(tmp_path, built_index, embedder):
    # The worst moment: the old index moved aside, the new one not yet in its place.
    corpus, session_index = built_index
    index = tmp_path / "index"
    shutil.copytree(session_index, index)
    before = Searcher.load(index, embedder=embedder, corpus_dir=corpus)
    passages_before = before.passages
    hits_before = before.search("How should we pay Experts by Experience for their time?", k=5)

    out = killed_build(corpus, index, "os.rename:1:after")
    assert out.returncode == -signal.SIGKILL, out.stderr[-2000:]
    assert leftovers(index) == {"tmp", "old", "no index"}

    after = Searcher.load(index, embedder=embedder, corpus_dir=corpus)
    assert after.passages == passages_before
    assert after.search("How should we pay Experts by Experience for their time?", k=5) == hits_before
    assert read_manifest(index)["model"] == "all-MiniLM-L6-v2"
    build_index(corpus, index, HashEmbedder(64))  # the next build succeeds
    assert read_manifest(index)["model"] == "hash-64" and "old" not in leftovers(index)


def _held_between_renames(monkeypatch, index: Path, seconds: float) -> threading.Event:
    """Make the next build pause `seconds` after moving the old index aside; the event marks the pause."""
    import panelsearch.index as ix

    paused, real_rename = threading.Event(), os.rename

    def rename(src, dst):
        real_rename(src, dst)
        if Path(src) == index and not paused.is_set():
            paused.set()
            time.sleep(seconds)  # not a wait: the build is held between its renames on purpose

    monkeypatch.setattr(ix.os, "rename", rename)
    return paused


@pytest.mark.slow
@pytest.mark.parametrize("reader", ["thread", "process"])
def test_reading_during_a_swap_waits_for_the_new_index(reader, hash_index, monkeypatch):
    # A search that lands between the build's two renames must neither fail nor put the old index
    # back under the build (which used to make the build fail).
    corpus, index = hash_index
    paused = _held_between_renames(monkeypatch, index, 1.0)
    failures = []

    def build():
        try:
            build_index(corpus, index, HashEmbedder(32))
        except BaseException as err:  # reported below
            failures.append(err)

    builder = threading.Thread(target=build)
    builder.start()
    assert paused.wait(60)
    assert not index.exists()  # the reader really arrives inside the window
    if reader == "thread":
        seen = read_manifest(index)["model"]
    else:
        out = run("search", "paying experts by experience", "--json", "--index", index, "--corpus", corpus)
        assert out.returncode == 0, out.stderr
        seen = json.loads(out.stdout)["hits"] and read_manifest(index)["model"]
    builder.join(60)
    assert not failures, failures
    assert seen == "hash-32"  # the new index, not the old one put back
    assert "old" not in leftovers(index) and "tmp" not in leftovers(index)


def test_a_failed_second_rename_puts_the_old_index_back(hash_index, monkeypatch):
    import panelsearch.index as ix

    corpus, index = hash_index
    real_rename = os.rename

    def rename(src, dst):
        if Path(dst) == index and ".tmp-" in Path(src).name:
            raise OSError(28, "No space left on device")
        real_rename(src, dst)

    monkeypatch.setattr(ix.os, "rename", rename)
    with pytest.raises(OSError):
        build_index(corpus, index, HashEmbedder(32))
    assert read_manifest(index)["model"] == "hash-64"
    assert leftovers(index) == set()


# == concurrency ==================================================================================
QUERIES = [q["query"] for q in load_queries()] + [
    "", "   ", "😀", "'; DROP TABLE passages; --", "<script>alert(1)</script>", "experiance of trainning",
    "EBE pay", "lxp", "how do we pay experts " * 80, "كيف ندفع", "the of and",
]


def mixed_jobs(n: int, seed: int, compare_share: float = 0.1) -> list[tuple]:
    rnd = random.Random(seed)
    jobs = []
    for _ in range(n):
        query = rnd.choice(QUERIES)
        if rnd.random() < compare_share:
            jobs.append(("compare", query, rnd.choice([1, 2, 3])))
        else:
            jobs.append(("query", query, rnd.choice([1, 3, 5, 10, 200]), rnd.choice([None, ["AC"], ["SK"], ["SK", "AC"], ["ZZ"]]),
                         rnd.choice(MODES)))
    return jobs


def run_job(searcher, job):
    try:
        if job[0] == "compare":
            return searcher.compare(job[1], job[2]).to_json()
        return searcher.query(*job[1:]).to_json()
    except UsageError as err:  # empty query, unknown speaker: the same refusal, serial or not
        return {"refused": str(err)}


def run_threaded(searcher, jobs, threads: int = 8) -> list:
    results, errors = [None] * len(jobs), []
    start = threading.Barrier(threads)

    def worker(t):
        start.wait()
        try:
            for i in range(t, len(jobs), threads):
                results[i] = run_job(searcher, jobs[i])
        except BaseException as err:  # reported below, with the job that raised it
            errors.append((jobs[i], err))

    pool = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=600)
    assert not errors, errors[:3]
    return results


@pytest.fixture(scope="module")
def hash_searcher(tmp_path_factory):
    base = tmp_path_factory.mktemp("concurrent")
    corpus = seed_corpus(base / "corpus")
    build_index(corpus, base / "index", HashEmbedder(64))
    return Searcher.load(base / "index", embedder=HashEmbedder(64), corpus_dir=corpus)


def test_500_mixed_queries_in_8_threads_match_a_serial_run(hash_searcher):
    # Everything but the model (which has its own lock) with the fast deterministic embedder.
    jobs = mixed_jobs(500, seed=11)
    assert {j[0] for j in jobs} == {"query", "compare"}
    serial = [run_job(hash_searcher, job) for job in jobs]
    assert sum("refused" in r for r in serial) > 10 and sum("hits" in r for r in serial) > 300
    assert run_threaded(hash_searcher, jobs) == serial


def test_mixed_queries_in_8_threads_with_the_real_model(searcher):
    # Fewer jobs: each real encode is slow on a shared machine; the lock around the model is the point.
    jobs = mixed_jobs(48, seed=5, compare_share=0.05)
    serial = [run_job(searcher, job) for job in jobs]
    threaded = run_threaded(searcher, jobs)
    for job, a, b in zip(jobs, serial, threaded):
        assert a == b, job


# == read-only and odd places =====================================================================
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_CHANGES = {"os.rename", "os.replace", "os.remove", "os.unlink", "os.rmdir", "os.mkdir", "os.chmod", "os.chown",
            "os.truncate", "os.utime", "os.link", "os.symlink", "shutil.rmtree", "shutil.move", "shutil.copyfile"}
_audit = {"events": None}


def _audit_hook(event, args):
    events = _audit["events"]
    if events is None:
        return
    if event == "open":
        path, mode, flags = args
        writing = (flags & _WRITE_FLAGS) if isinstance(flags, int) else any(c in (mode or "") for c in "wax+")
        if writing:
            events.append((event, path))
    elif event in _CHANGES:
        events.append((event, args[0] if args else None))


@contextlib.contextmanager
def audited_writes():
    """Collects every file opened for writing, and every rename/delete/create, inside the block."""
    if not _audit.get("installed"):
        sys.addaudithook(_audit_hook)  # hooks cannot be removed; it does nothing unless "events" is set
        _audit["installed"] = True
    _audit["events"] = events = []
    try:
        yield events
    finally:
        _audit["events"] = None


def make_read_only(folder: Path) -> None:
    for path in sorted(folder.rglob("*"), reverse=True):
        path.chmod(0o555 if path.is_dir() else 0o444)
    folder.chmod(0o555)


def make_writable(folder: Path) -> None:
    folder.chmod(0o755)
    for path in folder.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)


def test_read_only_index_serves_searches_without_writing(tmp_path, built_index, embedder):
    # Tests run as root, where permissions are not enforced: so check that nothing even tries to write.
    corpus, index = built_index
    place = tmp_path / "read-only"
    shutil.copytree(index, place / "index")
    make_read_only(place)
    try:
        before = listing(place)
        with audited_writes() as attempts:
            searcher = Searcher.load(place / "index", embedder=embedder, corpus_dir=corpus)
            hits = searcher.search("How should we pay Experts by Experience for their time?", k=3)
            searcher.compare("training for staff", k=1)
            assert is_fresh(place / "index", corpus)
        assert listing(place) == before
    finally:
        make_writable(place)
    assert hits[0].question_number == 9
    assert attempts == [], attempts


SETPRIV = shutil.which("setpriv")
# As root but without the capabilities that let root ignore file permissions.
NO_OVERRIDE = (SETPRIV, "--bounding-set", "-dac_override,-dac_read_search,-fowner")


@pytest.mark.skipif(SETPRIV is None, reason="needs setpriv (util-linux) to drop root's permission override")
def test_read_only_index_from_the_cli_with_permissions_enforced(tmp_path):
    corpus = seed_corpus(tmp_path / "corpus")
    build_index(corpus, tmp_path / "index", HashEmbedder(64))
    make_read_only(tmp_path)
    try:
        probe = subprocess.run([*NO_OVERRIDE, "touch", str(tmp_path / "index" / "probe")], capture_output=True)
        assert probe.returncode != 0, "setpriv did not take away write permission"
        before = listing(tmp_path)
        args = ["--index", tmp_path / "index", "--corpus", corpus]
        out = run("search", "paying experts by experience", "--json", "-k", "2", *args, prefix=NO_OVERRIDE)
        assert out.returncode == 0, out.stderr
        assert len(json.loads(out.stdout)["hits"]) == 2
        out = run("build", "--if-stale", "--model", "hash-64", *args, prefix=NO_OVERRIDE)
        assert out.returncode == 0 and "up to date" in out.stdout, out.stderr
        # A build that cannot write says so in one line and leaves the index as it was.
        one_line_error(run("build", "--model", "hash-32", *args, prefix=NO_OVERRIDE), 1, "Permission denied")
        assert listing(tmp_path) == before
    finally:
        make_writable(tmp_path)


def test_paths_with_spaces_and_non_ascii(tmp_path):
    base = tmp_path / "my files" / "Ünïcødé — 文档 (copy)"
    corpus = base / "corpus dir é"
    corpus.mkdir(parents=True)
    doc = corpus / "Q&A café — 2021 notes.txt"
    doc.write_bytes(SEED.read_bytes())
    index = base / "índex ✓ folder"

    out = run("build", "--corpus", corpus, "--index", index, "--model", "hash-64")
    assert out.returncode == 0 and "built" in out.stdout, out.stderr
    out = run("parse", doc, "--json")
    assert out.returncode == 0, out.stderr
    parsed = json.loads(out.stdout)
    assert parsed["source"] == "Q&A café — 2021 notes" and len(parsed["questions"]) == 15

    out = run("search", "paying experts by experience", "--json", "--index", index, "--corpus", corpus)
    assert out.returncode == 0, out.stderr
    hits = json.loads(out.stdout)["hits"]
    assert hits and all(h["source"] == "Q&A café — 2021 notes" and h["passage_id"].startswith(h["source"] + ":q")
                        for h in hits)
    # The same through the environment variables, in text mode.
    out = run("search", "safe space", "-k", "1", env_extra={"PANELSEARCH_INDEX": str(index),
                                                             "PANELSEARCH_CORPUS": str(corpus)})
    assert out.returncode == 0 and "Query: safe space" in out.stdout, out.stderr
    assert Searcher.load(index, embedder=HashEmbedder(64), corpus_dir=corpus).search("safe space", k=1)


def test_corpus_file_name_that_is_not_utf8(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / os.fsdecode(b"caf\xe9.txt")).write_bytes(SEED.read_bytes())
    out = run("build", "--corpus", corpus, "--index", tmp_path / "index", "--model", "hash-64")
    if out.returncode != 0:
        one_line_error(out, 1, "caf")
    else:
        assert run("search", "training", "--index", tmp_path / "index", "--corpus", corpus).returncode == 0
