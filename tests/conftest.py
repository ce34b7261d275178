"""Shared fixtures: the real seed, the real bundled model, one index built per session."""
import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpus" / "coproduction-qi-webinar-qa.txt"


@pytest.fixture(scope="session")
def seed_path() -> Path:
    return SEED


@pytest.fixture(scope="session")
def seed_doc():
    from panelsearch.readers.txt import parse_file

    return parse_file(SEED)


@pytest.fixture(scope="session")
def embedder():
    from panelsearch.embed import load_embedder

    return load_embedder()


@pytest.fixture(scope="session")
def built_index(tmp_path_factory, embedder):
    """(corpus_dir, index_dir) of an index built once from the seed with the real model."""
    from panelsearch.index import build_index

    base = tmp_path_factory.mktemp("built")
    corpus = base / "corpus"
    corpus.mkdir()
    (corpus / SEED.name).write_bytes(SEED.read_bytes())
    index = base / "index"
    build_index(corpus, index, embedder)
    return corpus, index


def seed_plus(base: Path, built_index, embedder, files: dict[str, str]):
    """(corpus, index) in `base`: the session's seed corpus plus `files` (name -> text), built with
    the real model; the seed's vectors are reused from the session index."""
    import shutil

    from panelsearch.index import build_index

    corpus = base / "corpus"
    shutil.copytree(built_index[0], corpus)
    for name, text in files.items():
        (corpus / name).write_text(text, encoding="utf-8")
    shutil.copytree(built_index[1], base / "index")
    build_index(corpus, base / "index", embedder)
    return corpus, base / "index"


@pytest.fixture(scope="session")
def searcher(built_index, embedder):
    from panelsearch.search import Searcher

    corpus, index = built_index
    return Searcher.load(index, embedder=embedder, corpus_dir=corpus)
