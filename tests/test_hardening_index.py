"""Issue #13, the index and the command line: no path given as the index can lose data, a reader
never mixes two builds, and hostile text neither hangs a load nor reaches a terminal raw.

Each test here failed on the code before the fix it names.
"""
from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import random
import re
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from panelsearch import glossary, onnx_encode
from panelsearch.cli_output import print_hits
from panelsearch.embed import HashEmbedder
from panelsearch.errors import CorruptIndexError, IndexWriteError, PanelsearchError, UnsafeIndexTargetError
from panelsearch.index import FILES, build_index, load_index, passage_embed_text, read_manifest
from panelsearch.models import Hit
from tests.conftest import ROOT, SEED


def run(*args, env_extra=None, cwd=ROOT):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT), **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "panelsearch", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def one_line_refusal(out, *phrases: str) -> None:
    assert out.returncode == 2, (out.returncode, out.stderr[-2000:])
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr[-2000:]
    for phrase in phrases:
        assert phrase in out.stderr, out.stderr


def listing(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def project(tmp_path):
    """A small project folder: corpus/ with the seed, notes/ with someone's files, a README."""
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / SEED.name).write_bytes(SEED.read_bytes())
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "plan.md").write_text("# my plan\n")
    (tmp_path / "README.md").write_text("my project\n")
    return tmp_path


# -- 1. data loss: the index folder is the project's own, or it is refused ----------------------------
@pytest.mark.parametrize("target", ["corpus", "notes", ".", "corpus/inner", "README.md"])
def test_build_refuses_an_index_folder_that_is_not_an_index(project, target):
    before = listing(project)
    out = run("build", "--corpus", "corpus", "--index", target, "--model", "hash-32", cwd=project)
    one_line_refusal(out, "refusing to write the index to")
    assert listing(project) == before  # nothing deleted, moved or added
    assert not [p.name for p in project.iterdir() if ".old" in p.name or ".tmp-" in p.name]


def test_build_refuses_a_folder_that_holds_the_corpus(project):
    out = run("build", "--corpus", project / "corpus", "--index", project, "--model", "hash-32")
    one_line_refusal(out, "overlaps the corpus folder")
    assert (project / "corpus" / SEED.name).exists() and (project / "README.md").exists()


def test_add_refuses_an_index_folder_that_is_not_an_index(project, tmp_path_factory):
    doc = tmp_path_factory.mktemp("new") / "talk.md"
    doc.write_text("# Talk\n\n## 1. How often should the panel meet?\n\n**JB:** Monthly worked for us.\n")
    before = listing(project)
    out = run("add", doc, "--corpus", "corpus", "--index", "notes", cwd=project)
    one_line_refusal(out, "refusing to write the index to notes")
    assert listing(project) == before  # the document did not stay in the corpus either


def test_the_index_variable_pointed_at_another_folder_is_refused(project):
    out = run("build", "--corpus", "corpus", "--model", "hash-32", cwd=project,
              env_extra={"PANELSEARCH_INDEX": str(project / "notes")})
    one_line_refusal(out, "notes")
    assert (project / "notes" / "plan.md").read_text() == "# my plan\n"


def test_an_index_folder_of_ours_is_rebuilt_even_when_damaged(project):
    index = project / "index"
    build_index(project / "corpus", index, HashEmbedder(32))
    (index / "manifest.json").write_text("{ damaged")
    (index / "questions.npy").unlink()
    build_index(project / "corpus", index, HashEmbedder(32))
    assert read_manifest(index)["model"] == "hash-32"
    assert sorted(p.name for p in index.iterdir()) == sorted(FILES)


def test_an_empty_or_missing_folder_is_fine(project):
    (project / "empty").mkdir()
    build_index(project / "corpus", project / "empty", HashEmbedder(32))
    build_index(project / "corpus", project / "new" / "index", HashEmbedder(32))
    assert read_manifest(project / "new" / "index")["passage_count"] == read_manifest(project / "empty")["passage_count"]


def test_the_library_refuses_directly_too(project):
    with pytest.raises(UnsafeIndexTargetError, match="holds files that are not part of an index"):
        build_index(project / "corpus", project / "notes", HashEmbedder(32))
    assert (project / "notes" / "plan.md").exists()


# -- 2. one long word must not make every index load hang ---------------------------------------------
def _finishes_within(seconds: float, fn, *args) -> bool:
    """Run fn(*args) in a child process: True if it returned within ``seconds`` (a regex holds the GIL,
    so no thread or signal can interrupt one that backtracks)."""
    proc = multiprocessing.get_context("fork").Process(target=fn, args=args)
    proc.start()
    proc.join(seconds)
    if proc.is_alive():
        proc.kill()
        proc.join()
        return False
    return proc.exitcode == 0


LONG_WORD_TEXTS = ["a" * 100_000, "a" * 100_000 + " (AB)", ("word " * 20_000) + "(AB)", "x-" * 50_000 + " (AB)",
                   "(" * 100_000, "a (" * 30_000, "Lived experience (" + "l" * 100_000 + ")"]


@pytest.mark.parametrize("n", range(len(LONG_WORD_TEXTS)))
def test_glossary_is_linear_on_long_words(n):
    # The old pattern took ~45 s on a 50,000-character word, at every index load.
    assert _finishes_within(5, glossary.derive, [LONG_WORD_TEXTS[n]])


# The pattern the glossary used before: its results are the reference for the linear version.
_OLD_DEFINED_RE = re.compile(r"((?:[A-Za-z][\w'-]*\s+){1,6})\(([A-Za-z/]{2,8})\)")


def _old_derive(texts):
    found = {}
    for text in texts:
        for m in _OLD_DEFINED_RE.finditer(text):
            phrase = glossary._initials_match(m.group(1).split(), m.group(2))
            if phrase:
                found.setdefault(m.group(2).upper(), " ".join(phrase))
    return found


def test_glossary_finds_what_the_old_pattern_found():
    rng = random.Random(7)
    pieces = ["Lived", "experience", " ", "  ", "(lxp)", "(EBE)", "(a/b)", "x.", "Experts", "by", "(", ")", "\n",
              "3D", "_a", "o'neil", "co-pro", "é", "(QI)", "quality", "improvement", "Experience"]
    texts = [SEED.read_text()] + ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 30))) for _ in range(5000)]
    for text in texts:
        assert glossary.derive([text]) == _old_derive([text]), text
    assert glossary.derive([SEED.read_text()]) == {"LXP": "Lived experience"}


# -- 7. a reader never combines files from two builds -------------------------------------------------
BUILDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from panelsearch.embed import HashEmbedder
    from panelsearch.index import build_index
    corpora, index, until = [Path(p) for p in sys.argv[1:-2]], Path(sys.argv[-2]), float(sys.argv[-1])
    builds = 0
    while time.time() < until:
        build_index(corpora[builds % len(corpora)], index, HashEmbedder(32))
        builds += 1
    print(builds)
""")


def _corpus(folder: Path, copies: int, swap: tuple[str, str] = ("", "")) -> Path:
    folder.mkdir()
    text = SEED.read_text(encoding="utf-8").replace(*swap) if swap[0] else SEED.read_text(encoding="utf-8")
    for n in range(copies):
        (folder / f"copy{n:03d}-{SEED.name}").write_text(text, encoding="utf-8")
    return folder


@pytest.mark.slow
def test_loads_during_alternating_builds_never_mix_two_builds(tmp_path):
    # Two corpora of the same size but other words (same counts, other vectors), and a third of
    # another size: a load that mixed files would fail its checks or hold vectors of other texts.
    corpora = [_corpus(tmp_path / "a", 30), _corpus(tmp_path / "b", 30, ("Experts", "Specialists")),
               _corpus(tmp_path / "c", 31)]
    index = tmp_path / "index"
    build_index(corpora[0], index, HashEmbedder(32))
    until = time.time() + 60
    builder = subprocess.Popen([sys.executable, "-c", BUILDER, *map(str, corpora), str(index), str(until)],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    embedder, rng = HashEmbedder(32), random.Random(1)
    loads, failures, sizes = 0, [], set()
    while time.time() < until:
        try:
            data = load_index(index)
        except PanelsearchError as err:
            failures.append(str(err))
            continue
        loads += 1
        sizes.add(len(data.passages))
        rows = [0, len(data.passages) - 1, *rng.sample(range(len(data.passages)), 5)]
        texts = [passage_embed_text(data.passages[r]) for r in rows]
        vectors = np.stack([data.index.reconstruct(r) for r in rows])
        if not np.allclose(vectors, embedder.encode(texts), atol=1e-6):
            failures.append(f"load {loads}: vectors of other texts than its passages")
        if not np.allclose(data.question_vectors, embedder.encode([q.question for q in data.questions]), atol=1e-6):
            failures.append(f"load {loads}: question vectors of other questions")
    out, err = builder.communicate(timeout=120)
    assert builder.returncode == 0, err[-2000:]
    builds = int(out.strip())
    assert builds >= 10 and loads >= 50, (builds, loads)  # both loops really ran against each other
    assert len(sizes) == 2, sizes  # the loads saw both sizes of corpus
    assert failures == [], failures[:5]


def test_a_manifest_without_checksums_is_refused(tmp_path):
    corpus = _corpus(tmp_path / "corpus", 1)
    index = tmp_path / "index"
    build_index(corpus, index, HashEmbedder(32))
    manifest = json.loads((index / "manifest.json").read_text())
    del manifest["sha256"]
    (index / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(CorruptIndexError, match="sha256"):
        load_index(index)


# -- 11. smaller problems --------------------------------------------------------------------------
def test_a_full_disk_is_said_in_words_and_the_index_stays(tmp_path, monkeypatch):
    import panelsearch.index as ix

    corpus = _corpus(tmp_path / "corpus", 1)
    index = tmp_path / "index"
    build_index(corpus, index, HashEmbedder(32))
    before = listing(index)

    def short_write(*args, **kwargs):
        raise OSError("5760 requested and 2016 written")  # what numpy says on a full disk

    monkeypatch.setattr(ix.np, "save", short_write)
    with pytest.raises(IndexWriteError) as caught:
        build_index(corpus, index, HashEmbedder(64))
    assert "the disk is full" in str(caught.value) and "previous index is unchanged" in str(caught.value)
    assert "requested" not in str(caught.value)
    assert listing(index) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".") and not p.name.endswith(".lock")] == []


@pytest.mark.slow
def test_concurrent_builds_all_succeed(tmp_path):
    corpora = [_corpus(tmp_path / "a", 8), _corpus(tmp_path / "b", 9)]
    index = tmp_path / "index"
    script = textwrap.dedent("""
        import sys
        from pathlib import Path
        from panelsearch.embed import HashEmbedder
        from panelsearch.index import build_index
        for _ in range(6):
            build_index(Path(sys.argv[1]), Path(sys.argv[2]), HashEmbedder(32))
    """)
    procs = [subprocess.Popen([sys.executable, "-c", script, str(corpora[n % 2]), str(index)], cwd=ROOT,
                              stderr=subprocess.PIPE, text=True) for n in range(4)]
    errors = [p.communicate(timeout=300)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, [e[-1500:] for e in errors]
    load_index(index)
    assert not [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name or ".old" in p.name]


def test_a_file_edited_while_the_build_reads_it_is_recorded_as_read(tmp_path, monkeypatch):
    import panelsearch.index as ix

    corpus = _corpus(tmp_path / "corpus", 1)
    path = next(corpus.iterdir())
    real, calls = ix.load_corpus, []

    def edited_after_hashing(folder, *args):
        calls.append(1)
        if len(calls) == 1:  # between the build's fingerprint and its parse
            path.write_text(path.read_text().replace("Experts", "Specialists"))
        return real(folder, *args)

    monkeypatch.setattr(ix, "load_corpus", edited_after_hashing)
    manifest = build_index(corpus, tmp_path / "index", HashEmbedder(32))
    assert manifest["corpus"][path.name] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert any("Specialists" in p.question for p in load_index(tmp_path / "index").passages)


def test_onnx_cache_entries_of_two_folders_named_model_are_kept_apart(tmp_path):
    first, second, longer = tmp_path / "one" / "model", tmp_path / "two" / "model", tmp_path / "one" / "model-large"
    for n, folder in enumerate((first, second, longer)):
        folder.mkdir(parents=True)
        (folder / "weights.bin").write_bytes(bytes([n]) * 10)
    entries = {f: onnx_encode.entry_for(f, tmp_path / "cache") for f in (first, second, longer)}
    assert len({e.name for e in entries.values()}) == 3
    for entry in entries.values():
        entry.mkdir(parents=True)
    (first / "weights.bin").write_bytes(b"upgraded")  # the same folder, changed: its old entry may go
    upgraded = onnx_encode.entry_for(first, tmp_path / "cache")
    assert onnx_encode._older_entries(upgraded, first) == [entries[first]]


# -- 8. terminal escapes ---------------------------------------------------------------------------
def test_printed_hits_show_control_characters_instead_of_obeying_them(capsys):
    hit = Hit(rank=1, score=0.5, question_number=1, question="Q \x1b[2J?", speaker="AC", text="clip \x1b]52;c;aGk=\x07",
              passage_id="x:q01:AC:1", source="x", title="Title \x1b[31mred", speaker_name="A \x1b[2J")
    print_hits([hit])
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b]52;c;aGk=\\x07" in out


def test_search_over_a_library_with_escapes_in_metadata_prints_none(tmp_path):
    corpus = _corpus(tmp_path / "corpus", 1)
    (corpus / f"copy000-{SEED.stem}.meta.json").write_text(json.dumps(
        {"title": "Webinar \u001b]52;c;cm0gLXJmIH4=\u0007 \u001b[2J", "speakers": {"AC": "A. \u001b[31mC"}}))
    out = run("build", "--corpus", corpus, "--index", tmp_path / "index", "--model", "hash-32")
    assert out.returncode == 0, out.stderr
    out = run("search", "paying experts by experience", "--index", tmp_path / "index", "--corpus", corpus)
    assert out.returncode == 0, out.stderr
    assert "\x1b" not in out.stdout and "\x07" not in out.stdout
    assert "Webinar" in out.stdout


def test_a_cli_error_about_a_file_shows_its_controls(tmp_path):
    bad = tmp_path / "bad\x1b[2J.txt"
    bad.write_text("no questions here\n")
    out = run("parse", bad)
    assert out.returncode == 1 and "\x1b" not in out.stderr and "\\x1b" in out.stderr


def test_the_usage_hint_names_the_program_once():
    out = run("search", "--bogus")
    assert out.returncode == 2 and "panelsearch panelsearch" not in out.stderr
    assert "(see: python -m panelsearch --help)" in out.stderr
    out = run("search", "-k", "zero", "pay")
    assert out.returncode == 2 and "(see: python -m panelsearch search --help)" in out.stderr


# -- 6. refusals, not tracebacks ---------------------------------------------------------------------
def test_a_question_record_without_answers_is_refused_at_load(tmp_path):
    # The page used to catch KeyError and friends for such damage; now only the project's own errors.
    corpus = _corpus(tmp_path / "corpus", 1)
    index = tmp_path / "index"
    build_index(corpus, index, HashEmbedder(32))
    lines = (index / "questions.jsonl").read_text().splitlines()
    record = json.loads(lines[0])
    del record["answers"]
    (index / "questions.jsonl").write_text("\n".join([json.dumps(record), *lines[1:]]) + "\n")
    manifest = json.loads((index / "manifest.json").read_text())
    manifest["files"]["questions.jsonl"] = (index / "questions.jsonl").stat().st_size
    manifest["sha256"]["questions.jsonl"] = hashlib.sha256((index / "questions.jsonl").read_bytes()).hexdigest()
    (index / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(CorruptIndexError, match="not questions"):
        load_index(index)


def test_the_page_takes_no_upload_over_the_library_limit():
    import tomllib

    from panelsearch.library import MAX_FILE_BYTES

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] * 2**20 == MAX_FILE_BYTES
