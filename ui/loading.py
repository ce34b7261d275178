"""What the page loads once and keeps: the model, the index, the glossary, the pack store."""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from panelsearch import glossary as glossaries
from panelsearch.agree import agreements
from panelsearch.config import Settings
from panelsearch.embed import load_embedder
from panelsearch.index_load import read_manifest
from panelsearch.models import QuestionRecord
from panelsearch.search import Searcher
from panelsearch.store import Store


REBUILD = ("Rebuild it with `.venv/bin/python -m panelsearch build` (or `make run`, which rebuilds a "
           "missing or stale index), then reload this page.")


@dataclass(frozen=True)
class PageSettings:
    """The page's settings, read from its environment and command line here and nowhere else
    (the library takes them as arguments): the folders and the encoder (config.Settings), and who
    may change the library (access.py): --allow-edit (after ``--`` on the streamlit command line)
    or PANELSEARCH_ALLOW_EDIT=1, and PANELSEARCH_EDITORS_TOKEN."""
    library: Settings
    allow_edit: bool
    editors_token: str | None


def page_settings() -> PageSettings:
    return PageSettings(Settings.from_environ(os.environ),
                        "--allow-edit" in sys.argv[1:] or os.environ.get("PANELSEARCH_ALLOW_EDIT") == "1",
                        os.environ.get("PANELSEARCH_EDITORS_TOKEN") or None)


@st.cache_resource(show_spinner="Loading the model…", max_entries=2)
def get_embedder(model: str, cache: str, onnx: bool):
    """The model, loaded once: reloading the index after an upload reuses it."""
    return load_embedder(model, Settings(cache=Path(cache), onnx=onnx))


@st.cache_resource
def _store(folder: str) -> Store:
    return Store(folder)


def get_store() -> Store:
    """Saved packs: one SQLite file in the data folder ($PANELSEARCH_DATA, else ./data), made on first use."""
    return _store(str(page_settings().library.data))


@st.cache_data(max_entries=256, show_spinner=False)
def agreement_of(question: QuestionRecord, _embedder):
    """Where the question's speakers make the same point (agree.py), computed once per question."""
    found = agreements([question], _embedder)
    return found[0] if found else None


@st.cache_resource(show_spinner="Loading the index…", max_entries=2)
def get_searcher(index_path: str, corpus_path: str, stamp: tuple) -> Searcher:
    """The loaded index; ``stamp`` changes when the index or corpus files do (a rebuild, an upload),
    forcing a reload."""
    settings = page_settings().library
    embedder = get_embedder(read_manifest(Path(index_path))["model"], str(settings.cache), settings.onnx)
    searcher = Searcher.load(Path(index_path), embedder=embedder, corpus_dir=Path(corpus_path))
    searcher.query("warm up the model", k=1)  # the first real search then answers at full speed
    return searcher


@st.cache_resource(max_entries=2)
def get_glossary(index_path: str, corpus_path: str, stamp: tuple) -> tuple[dict, dict]:
    """(acronym -> expansion, acronym -> how the corpus writes it) for acronyms the corpus uses."""
    searcher = get_searcher(index_path, corpus_path, stamp)
    texts = [q.question for q in searcher.questions] + [a.text for q in searcher.questions for a in q.answers]
    glossary = glossaries.build_glossary(texts)
    return glossary, glossaries.acronym_spellings(texts, glossary)
