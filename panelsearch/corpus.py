"""Corpus stage: the folder of source documents -> parsed Documents, with a fingerprint of each file."""
from __future__ import annotations

import hashlib
from pathlib import Path

from .errors import IndexMissingError, ParseError
from .models import Document
from .parse import parse_file

SUFFIXES = (".txt",)


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def corpus_files(corpus_dir: Path) -> list[Path]:
    """The documents in a corpus folder, in a stable order."""
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        raise IndexMissingError(f"corpus folder not found: {corpus_dir}")
    return sorted(p for p in corpus_dir.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES
                  and not p.name.startswith("."))


def corpus_fingerprint(corpus_dir: Path) -> dict[str, str]:
    """{file name: sha256} for every document in the corpus."""
    return {p.name: file_sha256(p) for p in corpus_files(corpus_dir)}


def load_document(path: Path) -> Document:
    return parse_file(Path(path))


def load_corpus(corpus_dir: Path) -> list[Document]:
    """Parse every document; the first bad one stops the build with its file and line."""
    files = corpus_files(corpus_dir)
    if not files:
        raise ParseError(str(corpus_dir), 0, f"no documents found: expected {', '.join(SUFFIXES)} files")
    docs = [load_document(p) for p in files]
    seen: dict[str, str] = {}
    for doc, path in zip(docs, files):
        if doc.source in seen:
            raise ParseError(path.name, 0, f"two documents share the name '{doc.source}' ({seen[doc.source]}); rename one")
        seen[doc.source] = path.name
    return docs
