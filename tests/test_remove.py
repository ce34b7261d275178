"""Removing a document (issue #11): check first, commit last, and the library is whole either way."""
import json
import os
import shutil
import subprocess
import sys

import pytest

from panelsearch.embed import HashEmbedder
from panelsearch.errors import ParseError, UsageError
from panelsearch.index import build_index, read_manifest
from panelsearch.library import remove_document
from tests.conftest import ROOT, SEED

PANEL_MD = """# Running a patient panel

## 1. Should panel members be paid for car park charges?

**JB:** Yes: refund car park charges on the day, with a receipt.
"""


@pytest.fixture
def library(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEED, corpus / SEED.name)
    (corpus / "panel.md").write_text(PANEL_MD)
    (corpus / "panel.meta.json").write_text(json.dumps({"title": "Patient panel"}))
    build_index(corpus, tmp_path / "index", HashEmbedder(32))
    return corpus, tmp_path / "index"


def run(*args):
    return subprocess.run([sys.executable, "-m", "panelsearch", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env={**os.environ, "HF_HUB_OFFLINE": "1"})


def test_remove_then_search_no_longer_finds_it(library):
    corpus, index = library
    before = run("search", "car park charges", "--json", "--index", index, "--corpus", corpus)
    assert "panel" in {h["source"] for h in json.loads(before.stdout)["hits"]}
    out = run("remove", "panel", "--corpus", corpus, "--index", index)
    assert out.returncode == 0, out.stderr
    assert "removed panel.md and panel.meta.json" in out.stdout
    assert sorted(p.name for p in corpus.iterdir()) == [SEED.name]
    after = run("search", "car park charges", "--json", "--index", index, "--corpus", corpus)
    assert after.returncode == 0 and {h["source"] for h in json.loads(after.stdout)["hits"]} == {SEED.stem}
    assert [d["source"] for d in read_manifest(index)["documents"]] == [SEED.stem]
    assert not [p for p in corpus.parent.iterdir() if ".removing-" in p.name]


def test_an_unknown_name_or_the_last_document_is_refused_and_nothing_changes(library):
    corpus, index = library
    listing = sorted(p.name for p in corpus.iterdir())
    with pytest.raises(UsageError, match="no document 'nope'"):
        remove_document("nope", corpus, index, HashEmbedder(32))
    remove_document("panel.md", corpus, index, HashEmbedder(32))
    with pytest.raises(ParseError, match="only document"):
        remove_document(SEED.stem, corpus, index, HashEmbedder(32))
    assert sorted(p.name for p in corpus.iterdir()) == [n for n in listing if not n.startswith("panel")]


def test_a_failed_rebuild_puts_the_document_back(library, monkeypatch):
    import panelsearch.library as lib

    corpus, index = library
    files, manifest = sorted(p.name for p in corpus.iterdir()), (index / "manifest.json").read_bytes()

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(lib, "build_index", broken)
    with pytest.raises(OSError):
        remove_document("panel", corpus, index, HashEmbedder(32))
    assert sorted(p.name for p in corpus.iterdir()) == files
    assert (index / "manifest.json").read_bytes() == manifest
