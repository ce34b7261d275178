"""Corpus stage: the folder of source documents -> parsed Documents, with a fingerprint of each file.

Every ``.txt``, ``.md``, ``.pdf`` and ``.docx`` is a document (readers/ reads each); a
``<stem>.meta.json`` beside one is its metadata, not a document, but is fingerprinted with it so
that editing a title or a speaker's name makes the index stale.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from .errors import IndexMissingError, ParseError
from .readers import FORMATS, load_document, metadata_path
from .models import Document

SUFFIXES = tuple(FORMATS)  # (".txt", ".md", ".pdf", ".docx")

__all__ = ["SUFFIXES", "content_sha256", "corpus_files", "corpus_fingerprint", "file_sha256", "load_corpus", "load_document",
           "metadata_path", "stream_sha256"]


def file_sha256(path: Path) -> str:
    """The sha256 of a file, read in blocks (an index file can be 1.5 GB)."""
    with open(path, "rb") as f:
        return stream_sha256(f)


def stream_sha256(f) -> str:
    """The sha256 of what is left to read in an open binary file."""
    digest = hashlib.sha256()
    for block in iter(lambda: f.read(1 << 22), b""):
        digest.update(block)
    return digest.hexdigest()


def is_document_name(name: str) -> bool:
    """A name the corpus treats as a document: a known suffix, not hidden, not a Word lock file (``~$x.docx``)."""
    return Path(name).suffix.lower() in SUFFIXES and not name.startswith((".", "~$"))


def corpus_files(corpus_dir: Path) -> list[Path]:
    """The documents in a corpus folder, in a stable order."""
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        raise IndexMissingError(f"corpus folder not found: {corpus_dir}")
    files = sorted(p for p in corpus_dir.iterdir() if p.is_file() and is_document_name(p.name))
    for p in files:
        try:
            p.name.encode("utf-8")
        except UnicodeEncodeError:  # possible on Linux; the name becomes ids, JSON and page text
            shown = os.fsencode(p.name).decode("utf-8", "replace")
            raise ParseError(shown, 0, "the file name is not valid UTF-8; rename the file") from None
    return files


def corpus_fingerprint(corpus_dir: Path) -> dict[str, str]:
    """{file name: sha256} for every document in the corpus and every metadata file beside one."""
    out = {}
    for p in corpus_files(corpus_dir):
        out[p.name] = file_sha256(p)
        meta = metadata_path(p)
        if meta.is_file():
            out[meta.name] = file_sha256(meta)
    return out


def load_corpus(corpus_dir: Path, progress=None) -> list[Document]:
    """Parse every document; the first bad one stops the build with its file and line.

    ``progress("read", done, total)`` is called after each document (index.Progress).
    """
    files = corpus_files(corpus_dir)
    if not files:
        raise ParseError(str(corpus_dir), 0, f"no documents found: expected {', '.join(SUFFIXES)} files")
    docs = []
    for n, path in enumerate(files, start=1):
        docs.append(load_document(path))
        if progress:
            progress("read", n, len(files))
    seen: dict[str, str] = {}
    for doc, path in zip(docs, files):
        if doc.source in seen:
            raise ParseError(path.name, 0, f"two documents share the name '{doc.source}' ({seen[doc.source]}); rename one")
        seen[doc.source] = path.name
    return docs


def content_sha256(doc: Document) -> str:
    """A fingerprint of a document's questions and answers alone, whatever its format, title or metadata."""
    return hashlib.sha256(json.dumps(doc.content_key(), ensure_ascii=False).encode("utf-8")).hexdigest()
